/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmm, x86 part: CPUID tables, MSRs and the initial register state for
 * direct kernel boot.  Called before a vCPU first runs (see vmm_x86.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm_impl.h"
#include "vmm_x86.h"

#define CPUID_MAX_ENTRIES 512

#define CPUID1_ECX_X2APIC	(1u << 21)
#define CPUID1_ECX_HYPERVISOR	(1u << 31)
#define CPUID1_EDX_HTT		(1u << 28)

static struct kvm_cpuid2 *
supported_cpuid(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES *
	    sizeof(struct kvm_cpuid_entry2));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s",
		    strerror(errno));
		free(c);
		return NULL;
	}
	return c;
}

static struct kvm_cpuid_entry2 *
cpuid_find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != fn)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != idx)
			continue;
		return e;
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *
cpuid_add(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx, bool indexed)
{
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find(c, fn, idx);
	if (e != NULL)
		return e;
	if (c->nent >= CPUID_MAX_ENTRIES)
		return NULL;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return e;
}

static void
cpuid_remove(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function != fn)
			c->entries[j++] = c->entries[i];
	c->nent = j;
}

/* Leaf 0xB: SMT level then core level; higher subleaves are invalid. */
static int
cpuid_set_leaf_b(struct kvm_cpuid2 *c, const struct vcpu_x86_topo *t)
{
	unsigned per_pkg = t->threads * t->cores;

	for (uint32_t sub = 0; sub < 3; sub++) {
		struct kvm_cpuid_entry2 *e = cpuid_add(c, 0xB, sub, true);

		if (e == NULL)
			return -1;
		e->flags |= KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e->edx = t->apic_id;
		if (sub == 0) {
			e->eax = t->thread_bits;
			e->ebx = t->threads;
			e->ecx = sub | (1u << 8);
		} else if (sub == 1) {
			e->eax = t->thread_bits + t->core_bits;
			e->ebx = per_pkg;
			e->ecx = sub | (2u << 8);
		} else {
			e->eax = 0;
			e->ebx = 0;
			e->ecx = sub;
		}
	}
	return 0;
}

/*
 * Leaf 0xD must not offer XSAVE state components whose feature the CPUID
 * hides (a nested or emulated host may report AVX state in XCR0 without the
 * AVX feature bit): Linux then computes a smaller buffer than CPUID says and
 * warns.  Drop such components and recompute the maximum size.
 */
static void
cpuid_fix_xsave(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *l1 = cpuid_find(c, 1, 0);
	struct kvm_cpuid_entry2 *l7 = cpuid_find(c, 7, 0);
	struct kvm_cpuid_entry2 *d0 = cpuid_find(c, 0xD, 0);
	uint32_t mask = ~0u, max = 576;

	if (d0 == NULL)
		return;
	if (l1 == NULL || !(l1->ecx & (1u << 28)))	/* AVX */
		mask &= ~(1u << 2);
	if (l7 == NULL || !(l7->ebx & (1u << 14)))	/* MPX */
		mask &= ~((1u << 3) | (1u << 4));
	if (l7 == NULL || !(l7->ebx & (1u << 16)))	/* AVX-512F */
		mask &= ~((1u << 5) | (1u << 6) | (1u << 7));
	if (l7 == NULL || !(l7->ecx & (1u << 3)))	/* PKU */
		mask &= ~(1u << 9);
	d0->eax &= mask;
	for (uint32_t i = 2; i < 32; i++) {
		struct kvm_cpuid_entry2 *e;

		if (!(d0->eax & (1u << i)))
			continue;
		e = cpuid_find(c, 0xD, i);
		if (e != NULL && e->eax != 0 && e->ebx + e->eax > max)
			max = e->ebx + e->eax;
	}
	d0->ecx = max;
	if (d0->ebx > max)
		d0->ebx = max;
}

int
vcpu_x86_set_cpuid(struct vcpu *vcpu, const struct vcpu_x86_topo *t,
    char *err, size_t errlen)
{
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	unsigned per_pkg = t->threads * t->cores;
	unsigned pkg_bits = t->thread_bits + t->core_bits;
	int r = -1;

	if (vcpu->vm->fake)
		return 0;
	c = supported_cpuid(vcpu->vm, err, errlen);
	if (c == NULL)
		return -1;

	if ((e = cpuid_find(c, 0, 0)) != NULL && e->eax < 0xB)
		e->eax = 0xB;
	if ((e = cpuid_find(c, 1, 0)) != NULL) {
		e->ebx = (e->ebx & 0xFFFF) | ((per_pkg & 0xFF) << 16) |
		    (t->apic_id << 24);
		e->ecx |= CPUID1_ECX_HYPERVISOR;
		/*
		 * KVM's local APIC does x2APIC whether or not -x asked for it;
		 * offering it spares the guest MMIO exits for every APIC
		 * access (costly when KVM itself runs nested).
		 */
		e->ecx |= CPUID1_ECX_X2APIC;
		if (per_pkg > 1)
			e->edx |= CPUID1_EDX_HTT;
		else
			e->edx &= ~CPUID1_EDX_HTT;
	}
	/* Leaf 4 (Intel deterministic cache parameters). */
	for (uint32_t i = 0; i < c->nent; i++) {
		uint32_t level, share;

		e = &c->entries[i];
		if (e->function != 4 || (e->eax & 0x1F) == 0)
			continue;
		level = (e->eax >> 5) & 0x7;
		share = level >= 3 ? per_pkg : t->threads;
		e->eax &= 0x3FFF;
		e->eax |= ((share - 1) & 0xFFF) << 14;
		e->eax |= ((t->cores - 1) & 0x3F) << 26;
	}
	if (cpuid_set_leaf_b(c, t) != 0) {
		snprintf(err, errlen, "CPUID table full");
		goto out;
	}
	/* Leaf 0x1F would override 0xB in the guest; we describe no dies. */
	cpuid_remove(c, 0x1F);
	cpuid_fix_xsave(c);
	/* AMD: core count and APIC ID core-field width. */
	if ((e = cpuid_find(c, 0x80000008, 0)) != NULL)
		e->ecx = (e->ecx & ~0xF0FFu) | ((per_pkg - 1) & 0xFF) |
		    ((pkg_bits & 0xF) << 12);
	if ((e = cpuid_find(c, 0x80000001, 0)) != NULL) {
		/* CmpLegacy: HTT means cores, not hyperthreads. */
		if (per_pkg > 1)
			e->ecx |= 1u << 1;
		else
			e->ecx &= ~(1u << 1);
	}
	if ((e = cpuid_find(c, 0x8000001E, 0)) != NULL) {
		e->eax = t->apic_id;
		e->ebx = ((t->threads - 1) << 8) |
		    ((t->apic_id >> t->thread_bits) & 0xFF);
		e->ecx = 0;
		e->edx = 0;
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0) {
		snprintf(err, errlen, "KVM_SET_CPUID2 on vCPU %d: %s", vcpu->id,
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	free(c);
	return r;
}

#define MSR_IA32_MISC_ENABLE	0x1a0
#define MISC_ENABLE_FAST_STRING	1

int
vcpu_x86_set_msrs(struct vcpu *vcpu, char *err, size_t errlen)
{
	/* struct kvm_msrs ends in a flexible array: room for one entry. */
	union {
		struct kvm_msrs hdr;
		uint8_t raw[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m;

	if (vcpu->vm->fake)
		return 0;
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.hdr.entries[0].index = MSR_IA32_MISC_ENABLE;
	m.hdr.entries[0].data = MISC_ENABLE_FAST_STRING;
	if (ioctl(vcpu->fd, KVM_SET_MSRS, &m) != 1) {
		snprintf(err, errlen, "KVM_SET_MSRS on vCPU %d failed", vcpu->id);
		return -1;
	}
	return 0;
}

static void
flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xFFFFFFFF;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64 ? 1 : 0;
	s->db = code64 ? 0 : 1;
}

static int
set_state(struct vcpu *vcpu, struct kvm_sregs *sregs, struct kvm_regs *regs,
    char *err, size_t errlen)
{
	if (ioctl(vcpu->fd, KVM_SET_SREGS, sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0) {
		snprintf(err, errlen, "setting vCPU %d registers: %s", vcpu->id,
		    strerror(errno));
		return -1;
	}
	return 0;
}

#define CR0_PE (1u << 0)
#define CR0_ET (1u << 4)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define SEG_CODE_XRA 0xB
#define SEG_DATA_RWA 0x3

int
vcpu_x86_set_linux64(struct vcpu *vcpu, uint64_t rip, uint64_t rsi,
    uint64_t cr3, uint64_t gdt, uint16_t gdt_limit, uint16_t code_sel,
    uint16_t data_sel, char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	flat_segment(&sregs.cs, code_sel, SEG_CODE_XRA, true);
	flat_segment(&sregs.ds, data_sel, SEG_DATA_RWA, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = gdt;
	sregs.gdt.limit = gdt_limit;
	sregs.cr3 = cr3;
	sregs.cr4 = CR4_PAE;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_PG;
	sregs.efer = EFER_LME | EFER_LMA;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = rip;
	regs.rsi = rsi;
	return set_state(vcpu, &sregs, &regs, err, errlen);
}

int
vcpu_x86_set_pvh(struct vcpu *vcpu, uint32_t eip, uint32_t ebx, uint64_t gdt,
    uint16_t gdt_limit, uint16_t code_sel, uint16_t data_sel, char *err,
    size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	flat_segment(&sregs.cs, code_sel, SEG_CODE_XRA, false);
	flat_segment(&sregs.ds, data_sel, SEG_DATA_RWA, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = gdt;
	sregs.gdt.limit = gdt_limit;
	sregs.cr0 = CR0_PE | CR0_ET;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = eip;
	regs.rbx = ebx;
	return set_state(vcpu, &sregs, &regs, err, errlen);
}

void
vcpu_x86_describe(struct vcpu *vcpu, char *buf, size_t len)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (vcpu->vm->fake || ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(buf, len, "vCPU %d: registers unavailable", vcpu->id);
		return;
	}
	snprintf(buf, len, "vCPU %d: rip 0x%llx cs 0x%x (base 0x%llx) "
	    "rsp 0x%llx rflags 0x%llx cr0 0x%llx cr3 0x%llx efer 0x%llx",
	    vcpu->id, (unsigned long long)regs.rip, sregs.cs.selector,
	    (unsigned long long)sregs.cs.base, (unsigned long long)regs.rsp,
	    (unsigned long long)regs.rflags, (unsigned long long)sregs.cr0,
	    (unsigned long long)sregs.cr3, (unsigned long long)sregs.efer);
}
