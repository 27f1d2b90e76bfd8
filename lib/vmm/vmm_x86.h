/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmm, x86 part: CPUID, MSRs and initial register state.
 *
 * Threads: called by the thread that owns the vCPU, before it first runs
 * (the main thread during start-up is fine too, before the vCPU thread
 * exists).
 */
#ifndef ZHYVE_VMM_X86_H
#define ZHYVE_VMM_X86_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

struct vcpu_x86_topo {
	uint32_t apic_id;
	unsigned thread_bits;	/* width of the SMT field of the APIC ID */
	unsigned core_bits;	/* width of the core field */
	unsigned threads;	/* per core */
	unsigned cores;		/* per socket */
	bool x2apic;		/* -x given (x2APIC is offered either way) */
};

/*
 * Give the vCPU the CPUID the host's KVM supports, adjusted to the given
 * topology: APIC IDs (leaves 1, 0xB, 0x8000001E), logical counts, cache
 * sharing (leaf 4), and the hypervisor bit.  -1 with err set on failure.
 */
int vcpu_x86_set_cpuid(struct vcpu *vcpu, const struct vcpu_x86_topo *t,
    char *err, size_t errlen);

/* Reset-state MSRs (fast strings on, like real firmware leaves them). */
int vcpu_x86_set_msrs(struct vcpu *vcpu, char *err, size_t errlen);

/*
 * Initial state for a direct Linux boot (64-bit boot protocol): long mode,
 * paging with page tables at cr3, flat code selector code_sel / data
 * selector data_sel from the GDT at gdt (limit gdt_limit), rip, rsi.
 */
int vcpu_x86_set_linux64(struct vcpu *vcpu, uint64_t rip, uint64_t rsi,
    uint64_t cr3, uint64_t gdt, uint16_t gdt_limit, uint16_t code_sel,
    uint16_t data_sel, char *err, size_t errlen);

/*
 * Initial state for the PVH entry: 32-bit protected mode, paging off,
 * flat 4 GiB segments (CS code_sel, others data_sel), eip, ebx = start_info.
 */
int vcpu_x86_set_pvh(struct vcpu *vcpu, uint32_t eip, uint32_t ebx,
    uint64_t gdt, uint16_t gdt_limit, uint16_t code_sel, uint16_t data_sel,
    char *err, size_t errlen);

/* One-line register dump for diagnostics (rip, cs, cr0...). */
void vcpu_x86_describe(struct vcpu *vcpu, char *buf, size_t len);

#endif
