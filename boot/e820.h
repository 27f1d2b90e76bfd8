/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's physical memory map in BIOS e820 form.  One builder feeds
 * every consumer: the Linux zero page, the PVH start_info memory map, and
 * the firmware tables (ACPI, SMBIOS) that describe RAM.
 *
 * Threads: called by the main thread during start-up.
 */
#ifndef ZHYVE_E820_H
#define ZHYVE_E820_H

#include <stdint.h>

struct vm;

/* Entry types, as the BIOS INT 15h/E820h call reports them. */
#define E820_TYPE_RAM		1
#define E820_TYPE_RESERVED	2
#define E820_TYPE_ACPI		3	/* ACPI tables, reclaimable */
#define E820_TYPE_NVS		4	/* ACPI NVS */
#define E820_TYPE_UNUSABLE	5

/* End of conventional memory: 0x9FC00..1 MiB is EBDA, VGA and BIOS area. */
#define E820_BASEMEM_END	0x9FC00ULL
#define E820_BIOS_END		0x100000ULL

/* e820_build() never produces more entries than this. */
#define E820_MAX_BUILT		8

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/*
 * Fill tab[0..max) with the map of `vm` (memory must be set up), sorted by
 * address, non-overlapping:
 *
 *   0 .. 0x9FC00                RAM
 *   0x9FC00 .. 0x100000         reserved (EBDA, VGA, option ROMs, BIOS;
 *                               the ACPI/SMBIOS tables live in 0xE0000..)
 *   0x100000 .. lowmem          RAM
 *   PCI_ECAM_BASE, SIZE         reserved (PCIe MMCONFIG, named by MCFG)
 *   0xFEC00000 .. 4 GiB         reserved (IOAPIC, local APIC, boot ROM)
 *   4 GiB .. 4 GiB + highmem    RAM, if there is highmem
 *
 * Returns the number of entries, or -1 if `max` is too small.
 */
int e820_build(struct vm *vm, struct e820_entry *tab, int max);

/* Total bytes of the entries of type `type`. */
uint64_t e820_total(const struct e820_entry *tab, int n, uint32_t type);

#endif
