/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DSDT (Differentiated System Description Table), encoded as AML with
 * aml.c.  Main thread only, during start-up.
 *
 * In ASL terms the table is:
 *
 *   Name (_S5, Package (4) { ACPI_S5_SLP_TYP, ACPI_S5_SLP_TYP, 0, 0 })
 *   Name (PICM, 0)
 *   Method (_PIC, 1) { Store (Arg0, PICM) }
 *   Scope (\_SB) {
 *     Device (PCI0) {                      host bridge, segment 0, bus 0
 *       _HID PNP0A08, _CID PNP0A03, _SEG 0, _BBN 0, _UID 0
 *       _CRS: buses, I/O 0-0xCF7 and 0xD00-0xFFFF, config ports 0xCF8,
 *             [VGA memory,] 32-bit window, [64-bit window]
 *       _PRT: every slot 0-31, pins INTA-INTD -> PCI_INTX_GSI(slot, pin)
 *       Device (ISA) { _ADR lpc_slot << 16; ISA devices }  if an LPC slot
 *     }
 *     ISA devices (here when there is no LPC slot):
 *       COM1-COM4 (PNP0501) as configured, RTC (PNP0B00), KBD (PNP0303)
 *     Device (MRES) { PNP0C02: ECAM range and the ACPI PM ports }
 *     Device (Cnnn) { _HID "ACPI0007", _UID n }  one per vCPU
 *   }
 *
 * _PRT names GSIs directly (APIC mode); there are no PCI interrupt link
 * devices, so PCI INTx does not work for a guest that keeps the 8259s.
 */
#include <stdio.h>
#include <string.h>

#include "acpi_impl.h"
#include "aml.h"
#include "platform.h"

#define DSDT_REV	2	/* 64-bit AML integers */
#define MAX_CPU_DEVICES	4096	/* Cnnn names use three hex digits */

static const struct {
	uint16_t port;
	uint8_t irq;
} com_res[ACPI_NCOM] = {
	{ COM1_PORT, COM1_IRQ }, { COM2_PORT, COM2_IRQ },
	{ COM3_PORT, COM3_IRQ }, { COM4_PORT, COM4_IRQ },
};

static void
dsdt_pci_crs(struct aml *a, const struct acpi_config *cfg)
{
	struct aml_res r;

	aml_res_init(&r);
	res_word_bus(&r, 0, PCI_ECAM_BUSES - 1);
	res_io(&r, 0xCF8, 0xCF8, 1, 8);
	res_word_io(&r, 0x0000, 0x0CF7);
	res_word_io(&r, 0x0D00, 0xFFFF);
	if (cfg->vga)
		res_dword_mem(&r, 0xA0000, 0xBFFFF, true);
	res_dword_mem(&r, (uint32_t)PCI_MMIO32_BASE,
	    (uint32_t)(PCI_MMIO32_BASE + PCI_MMIO32_SIZE - 1), false);
	if (cfg->mmio64_size != 0)
		res_qword_mem(&r, cfg->mmio64_base,
		    cfg->mmio64_base + cfg->mmio64_size - 1, true);
	aml_name(a, "_CRS");
	aml_res_emit(a, &r);
}

static void
dsdt_pci_prt(struct aml *a)
{
	aml_name(a, "_PRT");
	aml_package_begin(a, 32 * 4);
	for (unsigned slot = 0; slot < 32; slot++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			aml_package_begin(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xFFFF);
			aml_integer(a, pin);
			aml_integer(a, 0);	/* source: none, a GSI */
			aml_integer(a, PCI_INTX_GSI(slot, pin));
			aml_end(a);
		}
	}
	aml_end(a);
}

static void
dsdt_isa_device(struct aml *a, const char *name, const char *hid,
    int uid, const struct aml_res *r)
{
	aml_device_begin(a, name);
	aml_name(a, "_HID");
	aml_eisaid(a, hid);
	if (uid >= 0)
		aml_name_int(a, "_UID", (uint64_t)uid);
	aml_name(a, "_CRS");
	aml_res_emit(a, r);
	aml_end(a);
}

static void
dsdt_isa_devices(struct aml *a, const struct acpi_config *cfg)
{
	struct aml_res r;

	for (int i = 0; i < ACPI_NCOM; i++) {
		char name[5];

		if (!cfg->com[i])
			continue;
		snprintf(name, sizeof(name), "COM%d", i + 1);
		aml_res_init(&r);
		res_io(&r, com_res[i].port, com_res[i].port, 1, 8);
		res_irq_noflags(&r, com_res[i].irq);
		dsdt_isa_device(a, name, "PNP0501", i + 1, &r);
	}

	aml_res_init(&r);
	res_io(&r, RTC_PORT, RTC_PORT, 1, 2);
	res_irq_noflags(&r, RTC_IRQ);
	dsdt_isa_device(a, "RTC", "PNP0B00", -1, &r);

	if (cfg->kbd) {
		aml_res_init(&r);
		res_io(&r, KBD_DATA_PORT, KBD_DATA_PORT, 1, 1);
		res_io(&r, KBD_STS_PORT, KBD_STS_PORT, 1, 1);
		res_irq_noflags(&r, KBD_IRQ);
		dsdt_isa_device(a, "KBD", "PNP0303", -1, &r);
	}
}

static void
dsdt_pci0(struct aml *a, const struct acpi_config *cfg)
{
	aml_device_begin(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_name_int(a, "_UID", 0);
	dsdt_pci_crs(a, cfg);
	dsdt_pci_prt(a);
	if (cfg->lpc_slot >= 0) {
		aml_device_begin(a, "ISA");
		aml_name_int(a, "_ADR", (uint64_t)cfg->lpc_slot << 16);
		dsdt_isa_devices(a, cfg);
		aml_end(a);
	}
	aml_end(a);
}

/* Motherboard resources: ECAM (so Linux trusts the MCFG) and PM ports. */
static void
dsdt_mres(struct aml *a)
{
	struct aml_res r;

	aml_res_init(&r);
	res_mem32_fixed(&r, (uint32_t)PCI_ECAM_BASE, (uint32_t)PCI_ECAM_SIZE);
	res_io(&r, ACPI_PM1A_EVT_BLK, ACPI_PM1A_EVT_BLK, 1,
	    ACPI_GPE0_BLK + 4 - ACPI_PM1A_EVT_BLK);
	aml_device_begin(a, "MRES");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name_int(a, "_UID", 0);
	aml_name(a, "_CRS");
	aml_res_emit(a, &r);
	aml_end(a);
}

static void
dsdt_cpus(struct aml *a, const struct acpi_config *cfg)
{
	for (unsigned i = 0; i < cfg->topo.cpus; i++) {
		char name[5];

		snprintf(name, sizeof(name), "C%03X", i & 0xFFF);
		aml_device_begin(a, name);
		aml_name(a, "_HID");
		aml_string(a, "ACPI0007");
		aml_name_int(a, "_UID", i);
		aml_end(a);
	}
}

static void
dsdt_body(struct aml *a, const struct acpi_config *cfg)
{
	aml_name(a, "_S5");
	aml_package_begin(a, 4);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a);

	aml_name_int(a, "PICM", 0);
	aml_method_begin(a, "_PIC", 1, false);
	aml_byte(a, AML_STORE_OP);
	aml_byte(a, AML_ARG0_OP);
	aml_namestring(a, "PICM");
	aml_end(a);

	aml_scope_begin(a, "\\_SB");
	dsdt_pci0(a, cfg);
	if (cfg->lpc_slot < 0)
		dsdt_isa_devices(a, cfg);
	dsdt_mres(a);
	dsdt_cpus(a, cfg);
	aml_end(a);
}

int
acpi_build_dsdt(struct acpi_area *a, uint64_t *gpa)
{
	struct aml aml;
	uint8_t *p;

	if (a->cfg->topo.cpus > MAX_CPU_DEVICES) {
		acpi_err(a, "ACPI tables: %u vCPUs; at most %u supported",
		    a->cfg->topo.cpus, MAX_CPU_DEVICES);
		return (-1);
	}
	aml_init(&aml);
	dsdt_body(&aml, a->cfg);
	if (aml_finish(&aml) != 0) {
		acpi_err(a, "ACPI tables: DSDT: %s", aml.error);
		aml_free(&aml);
		return (-1);
	}
	p = acpi_alloc(a, ACPI_HDR_LEN + aml.len, 16, gpa, "DSDT");
	if (p == NULL) {
		aml_free(&aml);
		return (-1);
	}
	acpi_header(p, "DSDT", (uint32_t)(ACPI_HDR_LEN + aml.len), DSDT_REV);
	memcpy(p + ACPI_HDR_LEN, aml.buf, aml.len);
	acpi_finish_table(p);
	aml_free(&aml);
	return (0);
}
