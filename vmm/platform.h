/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fixed parts of zhyve's PC platform, in one place.  The ACPI tables,
 * e820 map, PCI core and devices all take their addresses from here.
 *
 * Guest-physical map (lowmem = RAM below the hole, at most LOWMEM_LIMIT):
 *
 *   0x0000_0000 +----------------------------+
 *               | RAM (lowmem)               |  e820: 0..0x9FC00 usable,
 *               |                            |  0x9FC00..0x100000 reserved
 *               |                            |  (EBDA, VGA hole, BIOS area;
 *               |                            |   the top of a boot ROM is
 *               |                            |   aliased at 0xE0000..)
 *   lowmem      +----------------------------+
 *               | (unused)                   |
 *   0xC000_0000 +----------------------------+
 *               | PCI 32-bit MMIO window     |  512 MiB, BARs placed here
 *   0xE000_0000 +----------------------------+
 *               | PCIe ECAM (MCFG), 256 MiB  |  bus 0..255
 *   0xF000_0000 +----------------------------+
 *               | (unused)                   |
 *   0xFEC0_0000 | IOAPIC                     |
 *   0xFEE0_0000 | local APIC                 |
 *               | boot ROM, ends at 4 GiB    |
 *   0x1_0000_0000 +--------------------------+
 *               | RAM (highmem), if any      |
 *   PCI_MMIO64  +----------------------------+
 *               | PCI 64-bit MMIO window     |
 *               +----------------------------+
 *
 * Port I/O: legacy ISA below 0x1000 (PIC 0x20/0xA0, PIT 0x40, kbd 0x60/0x64,
 * RTC 0x70, POST 0x80, COM 0x3F8/0x2F8/0x3E8/0x2E8, ACPI PM 0x400..),
 * PCI config 0xCF8/0xCFC (reset control at 0xCF9), PCI I/O BARs in
 * 0x2000..0xFFFF.
 */
#ifndef ZHYVE_PLATFORM_H
#define ZHYVE_PLATFORM_H

#include <stdint.h>

#define GIB(x) ((uint64_t)(x) << 30)
#define MIB(x) ((uint64_t)(x) << 20)
#define KIB(x) ((uint64_t)(x) << 10)

#define LOWMEM_LIMIT_DEFAULT	0xC0000000ULL
#define HIGHMEM_BASE		0x100000000ULL

#define PCI_MMIO32_BASE		0xC0000000ULL
#define PCI_MMIO32_SIZE		MIB(512)
/*
 * ECAM covers the buses that exist: bus 0 only.  The MCFG's end bus is
 * what Linux takes as the last bus (pcibios_last_bus); announcing 256
 * made it probe 32 slots on each of 255 empty buses for peer bridges,
 * one MMIO exit each, about 1.5 s of every boot here.
 */
#define PCI_ECAM_BASE		0xE0000000ULL
#define PCI_ECAM_BUSES		1
#define PCI_ECAM_SIZE		MIB(PCI_ECAM_BUSES)
/* The 64-bit window starts at the first 1 GiB boundary above RAM. */
#define PCI_MMIO64_ALIGN	GIB(1)
#define PCI_MMIO64_SIZE		GIB(32)

#define IOAPIC_BASE		0xFEC00000ULL
#define LAPIC_BASE		0xFEE00000ULL
#define IOAPIC_PINS		24

#define BOOTROM_MAX_SIZE	MIB(16)
#define BOOTROM_ALIAS_END	0x100000ULL	/* top 128 KiB also here */
#define BOOTROM_ALIAS_MAX	KIB(128)

#define PCI_IO_BASE		0x2000
#define PCI_IO_LIMIT		0x10000

/* INTx: device `slot`, pin 0..3 (INTA..INTD) -> IOAPIC input (GSI). */
#define PCI_INTX_FIRST_GSI	16
#define PCI_INTX_NGSI		8
#define PCI_INTX_GSI(slot, pin)	(PCI_INTX_FIRST_GSI + (((slot) + (pin)) % PCI_INTX_NGSI))

/* ACPI fixed hardware (PM1a only; no PM1b, no GPE1). */
#define ACPI_SCI_IRQ		9
#define ACPI_SMI_CMD		0xB2
#define ACPI_ENABLE_VAL		0xA0
#define ACPI_DISABLE_VAL	0xA1
#define ACPI_PM1A_EVT_BLK	0x400	/* 4 bytes: STS(2) EN(2) */
#define ACPI_PM1A_CNT_BLK	0x404	/* 2 bytes */
#define ACPI_PM_TMR_BLK		0x408	/* 4 bytes, 24-bit timer */
#define ACPI_GPE0_BLK		0x40C	/* 4 bytes: STS(2) EN(2) */
#define ACPI_PM_TMR_FREQ	3579545
#define ACPI_S5_SLP_TYP		5	/* value in PM1_CNT.SLP_TYP for \_S5 */
#define ACPI_RESET_PORT		0xCF9
#define ACPI_RESET_VALUE	0x06

/* ISA */
#define COM1_PORT 0x3F8
#define COM2_PORT 0x2F8
#define COM3_PORT 0x3E8
#define COM4_PORT 0x2E8
#define COM1_IRQ 4
#define COM2_IRQ 3
#define COM3_IRQ 4
#define COM4_IRQ 3
#define RTC_PORT 0x70
#define RTC_IRQ 8
#define KBD_DATA_PORT 0x60
#define KBD_STS_PORT 0x64
#define KBD_IRQ 1

/* PCI IDs zhyve presents. */
#define ZHYVE_HOSTBRIDGE_VENDOR	0x1275	/* same IDs as bhyve's host bridge */
#define ZHYVE_HOSTBRIDGE_DEVICE	0x1275
#define ZHYVE_LPC_VENDOR	0x8086	/* PIIX3 ISA bridge, as bhyve */
#define ZHYVE_LPC_DEVICE	0x7000

/* Firmware identity. */
#define ZHYVE_ACPI_OEM_ID	"ZHYVE "	/* 6 chars */
#define ZHYVE_ACPI_OEM_TABLE_ID	"ZHYVEVM "	/* 8 chars */
#define ZHYVE_ACPI_CREATOR_ID	"ZHYV"

#endif
