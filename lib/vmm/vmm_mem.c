/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmm guest memory: RAM segments, ROMs, and the bounds-checked
 * guest-physical accessors.  Machine-independent except for the PC layout
 * chosen by vm_setup_memory() (RAM below the 32-bit hole, the rest above
 * 4 GiB).
 *
 * Threads: the layout is built by the main thread before any vCPU runs and
 * never changes afterwards, so the accessors take no lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm_impl.h"

#define PAGE_MASK 0xFFFULL

static int
seg_register(struct vm *vm, struct vm_memseg *s, char *err, size_t errlen)
{
	if (vm->fake)
		return 0;
	s->slot = vm->next_slot++;
	return vm_kvm_set_slot(vm, s->slot, s->gpa, s->len, s->hva, s->rom,
	    err, errlen);
}

static int
seg_add(struct vm *vm, uint64_t gpa, uint64_t len, uint8_t *hva, bool rom,
    char *err, size_t errlen)
{
	struct vm_memseg *s;

	if (vm->nsegs >= VM_MAX_SEGS) {
		snprintf(err, errlen, "too many guest memory segments");
		return -1;
	}
	s = &vm->segs[vm->nsegs];
	memset(s, 0, sizeof(*s));
	s->gpa = gpa;
	s->len = len;
	s->hva = hva;
	s->rom = rom;
	s->owner = true;
	s->map_len = len;
	if (seg_register(vm, s, err, errlen) != 0)
		return -1;
	vm->nsegs++;
	return 0;
}

static bool
ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Guest RAM starts on a 2 MiB boundary of the host's address space, as the
 * guest-physical ranges do: KVM maps a guest 2 MiB frame with one large
 * page only when host and guest addresses agree modulo 2 MiB, so where the
 * host's transparent-huge-page policy gives huge pages, the guest gets the
 * benefit of them (fewer nested page walks) instead of paying for them
 * alone.  The host's policy is left as it is (no MADV_HUGEPAGE).
 */
#define GUEST_ALIGN	MIB(2)

static void *
alloc_guest(uint64_t len)
{
	uint8_t *p, *a;
	uint64_t slack = GUEST_ALIGN;

	p = mmap(NULL, len + slack, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + GUEST_ALIGN - 1) &
	    ~(uintptr_t)(GUEST_ALIGN - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + len + slack)
		munmap(a + len, (size_t)(p + len + slack - (a + len)));
	return a;
}

int
vm_setup_memory(struct vm *vm, uint64_t memsize, uint64_t lowmem_limit,
    char *err, size_t errlen)
{
	uint64_t low, high;
	uint8_t *p;

	if (vm->nsegs != 0) {
		snprintf(err, errlen, "guest memory is already set up");
		return -1;
	}
	if (memsize < MIB(1) || (memsize & PAGE_MASK) != 0) {
		snprintf(err, errlen, "memory.size: %llu bytes is not a "
		    "multiple of 4 KiB of at least 1 MiB",
		    (unsigned long long)memsize);
		return -1;
	}
	if (lowmem_limit < MIB(16) || lowmem_limit > VM_HOLE_START_MAX ||
	    (lowmem_limit & (MIB(2) - 1)) != 0) {
		snprintf(err, errlen, "memory.lowmem_limit: 0x%llx must be a "
		    "multiple of 2 MiB between 16 MiB and 3 GiB",
		    (unsigned long long)lowmem_limit);
		return -1;
	}
	if (memsize > VM_MAX_MEMSIZE) {
		snprintf(err, errlen, "memory.size: %llu bytes is more than "
		    "the supported %llu GiB", (unsigned long long)memsize,
		    (unsigned long long)(VM_MAX_MEMSIZE >> 30));
		return -1;
	}
	low = memsize < lowmem_limit ? memsize : lowmem_limit;
	high = memsize - low;

	p = alloc_guest(low);
	if (p == NULL) {
		snprintf(err, errlen, "cannot reserve %llu MiB of guest RAM: %s",
		    (unsigned long long)(low >> 20), strerror(errno));
		return -1;
	}
	if (seg_add(vm, 0, low, p, false, err, errlen) != 0) {
		munmap(p, low);
		return -1;
	}
	if (high != 0) {
		p = alloc_guest(high);
		if (p == NULL) {
			snprintf(err, errlen, "cannot reserve %llu MiB of guest "
			    "RAM above 4 GiB: %s",
			    (unsigned long long)(high >> 20), strerror(errno));
			return -1;
		}
		if (seg_add(vm, HIGHMEM_BASE, high, p, false, err,
		    errlen) != 0) {
			munmap(p, high);
			return -1;
		}
	}
	vm->lowmem = low;
	vm->highmem = high;
	return 0;
}

uint64_t
vm_lowmem_size(const struct vm *vm)
{
	return vm->lowmem;
}

uint64_t
vm_highmem_size(const struct vm *vm)
{
	return vm->highmem;
}

uint64_t
vm_mem_size(const struct vm *vm)
{
	return vm->lowmem + vm->highmem;
}

static int
check_rom_range(struct vm *vm, uint64_t gpa, uint64_t len, bool may_punch_ram,
    char *err, size_t errlen)
{
	if (len == 0 || (len & PAGE_MASK) != 0 || (gpa & PAGE_MASK) != 0 ||
	    gpa + len < gpa || gpa + len > 0x100000000ULL) {
		snprintf(err, errlen, "ROM at 0x%llx size 0x%llx: must be "
		    "page-aligned, non-empty and below 4 GiB",
		    (unsigned long long)gpa, (unsigned long long)len);
		return -1;
	}
	for (int i = 0; i < vm->nsegs; i++) {
		struct vm_memseg *s = &vm->segs[i];

		if (!ranges_overlap(gpa, len, s->gpa, s->len))
			continue;
		if (!s->rom && may_punch_ram)
			continue;
		snprintf(err, errlen, "ROM at 0x%llx size 0x%llx overlaps "
		    "guest %s at 0x%llx", (unsigned long long)gpa,
		    (unsigned long long)len, s->rom ? "ROM" : "RAM",
		    (unsigned long long)s->gpa);
		return -1;
	}
	return 0;
}

int
vm_map_rom(struct vm *vm, uint64_t gpa, const void *data, size_t len,
    char *err, size_t errlen)
{
	uint8_t *p;

	if (check_rom_range(vm, gpa, len, false, err, errlen) != 0)
		return -1;
	p = alloc_guest(len);
	if (p == NULL) {
		snprintf(err, errlen, "cannot allocate ROM: %s", strerror(errno));
		return -1;
	}
	memcpy(p, data, len);
	if (mprotect(p, len, PROT_READ) != 0 ||
	    seg_add(vm, gpa, len, p, true, err, errlen) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "mprotect: %s", strerror(errno));
		munmap(p, len);
		return -1;
	}
	vm->segs[vm->nsegs - 1].owner = true;
	return 0;
}

/*
 * Remove [gpa, gpa+len) from the RAM segment that contains it, splitting
 * the segment in two.  The host pages stay allocated (they are simply no
 * longer guest RAM).
 */
static int
punch_ram(struct vm *vm, uint64_t gpa, uint64_t len, char *err, size_t errlen)
{
	for (int i = 0; i < vm->nsegs; i++) {
		struct vm_memseg *s = &vm->segs[i], old;
		uint64_t tail_gpa, tail_len;

		if (s->rom || !ranges_overlap(gpa, len, s->gpa, s->len))
			continue;
		if (gpa <= s->gpa || gpa + len >= s->gpa + s->len) {
			snprintf(err, errlen, "ROM alias at 0x%llx must lie "
			    "inside guest RAM", (unsigned long long)gpa);
			return -1;
		}
		old = *s;
		if (!vm->fake && vm_kvm_set_slot(vm, old.slot, old.gpa, 0,
		    old.hva, false, err, errlen) != 0)
			return -1;
		s->len = gpa - old.gpa;
		if (seg_register(vm, s, err, errlen) != 0)
			return -1;
		tail_gpa = gpa + len;
		tail_len = old.gpa + old.len - tail_gpa;
		if (seg_add(vm, tail_gpa, tail_len,
		    old.hva + (tail_gpa - old.gpa), false, err, errlen) != 0)
			return -1;
		vm->segs[vm->nsegs - 1].owner = false;
		return 0;
	}
	return 0;
}

int
vm_alias_rom(struct vm *vm, uint64_t rom_gpa, uint64_t rom_offset,
    uint64_t alias_gpa, size_t len, char *err, size_t errlen)
{
	struct vm_memseg *rom = NULL;

	for (int i = 0; i < vm->nsegs; i++)
		if (vm->segs[i].rom && vm->segs[i].gpa == rom_gpa)
			rom = &vm->segs[i];
	if (rom == NULL || rom_offset > rom->len || len > rom->len - rom_offset) {
		snprintf(err, errlen, "ROM alias: no ROM at 0x%llx covering "
		    "offset 0x%llx size 0x%zx", (unsigned long long)rom_gpa,
		    (unsigned long long)rom_offset, len);
		return -1;
	}
	if (check_rom_range(vm, alias_gpa, len, true, err, errlen) != 0)
		return -1;
	if (punch_ram(vm, alias_gpa, len, err, errlen) != 0)
		return -1;
	/* rom may have moved if segs[] was appended to: look it up again. */
	for (int i = 0; i < vm->nsegs; i++)
		if (vm->segs[i].rom && vm->segs[i].gpa == rom_gpa)
			rom = &vm->segs[i];
	if (seg_add(vm, alias_gpa, len, rom->hva + rom_offset, true, err,
	    errlen) != 0)
		return -1;
	vm->segs[vm->nsegs - 1].owner = false;
	return 0;
}

/*
 * The one bounds check for guest-physical accesses: the range must be
 * non-empty and wholly inside one RAM segment.  Written so that no sum can
 * overflow: off = gpa - s->gpa is only computed once gpa >= s->gpa, and the
 * length is compared against what remains of the segment.
 */
void *
vm_map_gpa(struct vm *vm, uint64_t gpa, size_t len)
{
	if (len == 0)
		return NULL;
	for (int i = 0; i < vm->nsegs; i++) {
		const struct vm_memseg *s = &vm->segs[i];
		uint64_t off;

		if (s->rom || gpa < s->gpa)
			continue;
		off = gpa - s->gpa;
		if (off >= s->len || len > s->len - off)
			continue;
		return s->hva + off;
	}
	return NULL;
}

bool
vm_gpa_is_ram(struct vm *vm, uint64_t gpa, size_t len)
{
	return vm_map_gpa(vm, gpa, len) != NULL;
}

int
vm_copyin(struct vm *vm, uint64_t gpa, void *dst, size_t len)
{
	void *p;

	if (len == 0)
		return 0;
	p = vm_map_gpa(vm, gpa, len);
	if (p == NULL)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

int
vm_copyout(struct vm *vm, const void *src, uint64_t gpa, size_t len)
{
	void *p;

	if (len == 0)
		return 0;
	p = vm_map_gpa(vm, gpa, len);
	if (p == NULL)
		return -1;
	memcpy(p, src, len);
	return 0;
}

void
vm_mem_free(struct vm *vm)
{
	for (int i = 0; i < vm->nsegs; i++) {
		struct vm_memseg *s = &vm->segs[i];

		if (s->owner)
			munmap(s->hva, s->map_len);
	}
	vm->nsegs = 0;
}
