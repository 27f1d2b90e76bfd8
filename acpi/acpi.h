/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI table builder: RSDP, XSDT (+ RSDT), FADT, FACS, DSDT, MADT, MCFG.
 *
 * Runs on the main thread during start-up, before any vCPU runs.
 *
 * The tables are laid out in the legacy BIOS area (ACPI_TABLES_BASE, 64 KiB)
 * with the RSDP first, so a guest finds it by scanning 0xE0000..0xFFFFF on
 * 16-byte boundaries.  The caller marks the area reserved in the e820 map.
 * Every address, port and IRQ in the tables comes from platform.h; the
 * ACPI fixed hardware they describe is devices/isa/acpi_pm.c.
 *
 * Choices made here (documented because guests depend on them):
 *   - A PC, not a hardware-reduced platform.  The machine starts in legacy
 *     mode (SCI_EN clear); the OS writes ACPI_ENABLE_VAL to SMI_CMD to switch
 *     to ACPI mode, as on bhyve.
 *   - 24-bit PM timer (TMR_VAL_EXT clear).
 *   - Fixed-hardware power button (PWR_BUTTON flag clear); no sleep button
 *     (SLP_BUTTON flag set).  Only \_S5 (soft off) is declared.
 *   - Reset register: I/O port ACPI_RESET_PORT, value ACPI_RESET_VALUE.
 *   - MADT: one local APIC (x2APIC for IDs >= 255) per started vCPU, ACPI
 *     processor UID = vCPU index, APIC ID from topology_apic_id(); IOAPIC id
 *     0 (the in-kernel IOAPIC's reset value) with GSI base 0; overrides
 *     IRQ0 -> GSI2 (edge, active high) and SCI (level, active high, as the
 *     in-kernel IOAPIC and PIC see a raised line); LINT1 is NMI.
 *   - DSDT: \_SB.PCI0 (PNP0A08) with _CRS windows and a _PRT for all 32
 *     slots x 4 pins routed straight to GSIs (PCI_INTX_GSI: APIC mode
 *     only; no PCI link devices), ISA devices (COM ports, RTC, optional
 *     8042) under \_SB.PCI0.ISA when an LPC slot is given (else under
 *     \_SB), a PNP0C02 device reserving ECAM and the PM ports, and one
 *     ACPI0007 processor device per vCPU (_UID = MADT processor UID).
 */
#ifndef ZHYVE_ACPI_H
#define ZHYVE_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topology.h"

struct vm;

#define ACPI_TABLES_BASE	0xE0000ULL
#define ACPI_TABLES_SIZE	0x10000ULL

#define ACPI_NCOM		4

struct acpi_config {
	struct topology topo;	/* topo.cpus local APICs, one per vCPU */
	bool com[ACPI_NCOM];	/* COM1..COM4 present */
	bool kbd;		/* 8042 keyboard controller at 0x60/0x64 */
	bool vga;		/* legacy VGA may be present (else NO_VGA) */
	int lpc_slot;		/* PCI slot of the LPC bridge (bus 0), or -1 */
	uint64_t mmio64_base;	/* 64-bit PCI window; size 0 = none */
	uint64_t mmio64_size;
};

/* Defaults: no COM ports, no 8042, no VGA, no LPC slot, no 64-bit window. */
void acpi_config_init(struct acpi_config *cfg);

/*
 * Build the tables into host memory as if `buf` were guest-physical
 * `base_gpa` (16-byte aligned).  The RSDP is at offset 0.  On success
 * *used is the number of bytes written (the rest of buf is zeroed).
 * Returns 0, or -1 with a message in err.
 */
int acpi_build_to_buffer(const struct acpi_config *cfg, uint64_t base_gpa,
    uint8_t *buf, size_t len, size_t *used, char *err, size_t errlen);

/*
 * Build the tables into guest RAM at ACPI_TABLES_BASE and return the
 * RSDP's guest-physical address.  -1 with err if the area is not RAM or
 * the tables do not fit.
 */
int acpi_build(struct vm *vm, const struct acpi_config *cfg,
    uint64_t *rsdp_gpa, char *err, size_t errlen);

/* Sum of bytes, for checksum checks (tables sum to 0). */
uint8_t acpi_sum(const void *p, size_t len);

#endif
