/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's e820 memory map, built from the VM's RAM layout and the fixed
 * platform ranges in platform.h.
 *
 * Threads: main thread, start-up only.
 */
#include "e820.h"

#include "platform.h"
#include "vmm.h"

static int
add(struct e820_entry *tab, int n, int max, uint64_t start, uint64_t end,
    uint32_t type)
{
	if (n < 0 || start >= end)
		return n;
	if (n >= max)
		return -1;
	tab[n].addr = start;
	tab[n].size = end - start;
	tab[n].type = type;
	return n + 1;
}

int
e820_build(struct vm *vm, struct e820_entry *tab, int max)
{
	uint64_t low = vm_lowmem_size(vm);
	uint64_t high = vm_highmem_size(vm);
	int n = 0;

	/* The hole starts no lower than the PCI windows below it. */
	if (low > PCI_ECAM_BASE)
		low = PCI_ECAM_BASE;

	n = add(tab, n, max, 0, low < E820_BASEMEM_END ? low : E820_BASEMEM_END,
	    E820_TYPE_RAM);
	n = add(tab, n, max, E820_BASEMEM_END, E820_BIOS_END,
	    E820_TYPE_RESERVED);
	n = add(tab, n, max, E820_BIOS_END, low, E820_TYPE_RAM);
	n = add(tab, n, max, PCI_ECAM_BASE, PCI_ECAM_BASE + PCI_ECAM_SIZE,
	    E820_TYPE_RESERVED);
	n = add(tab, n, max, IOAPIC_BASE, HIGHMEM_BASE, E820_TYPE_RESERVED);
	if (high > 0)
		n = add(tab, n, max, HIGHMEM_BASE, HIGHMEM_BASE + high,
		    E820_TYPE_RAM);
	return n;
}

uint64_t
e820_total(const struct e820_entry *tab, int n, uint32_t type)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		if (tab[i].type == type)
			sum += tab[i].size;
	return sum;
}
