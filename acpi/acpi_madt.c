/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MADT (Multiple APIC Description Table, revision 5).
 *
 * Main thread only, during start-up.
 *
 * One enabled local APIC entry per started vCPU: processor UID = vCPU index,
 * APIC ID = topology_apic_id() (the same function CPUID uses).  A vCPU whose
 * APIC ID or UID does not fit the 8-bit xAPIC entry (>= 255; 255 is the
 * xAPIC broadcast ID) gets a local x2APIC entry instead, and then an x2APIC
 * NMI entry covers those processors.  Then the IOAPIC, the interrupt source
 * overrides for the PIT (IRQ0 -> GSI2) and the SCI, and LINT1 as NMI.
 */
#include "acpi_impl.h"
#include "platform.h"

#define MADT_REV		5
#define MADT_FIXED_LEN		(ACPI_HDR_LEN + 8)
#define MADT_PCAT_COMPAT	1	/* dual 8259s present */

#define T_LAPIC			0
#define T_IOAPIC		1
#define T_ISO			2
#define T_LAPIC_NMI		4
#define T_X2APIC		9
#define T_X2APIC_NMI		10

#define LAPIC_LEN		8
#define IOAPIC_LEN		12
#define ISO_LEN			10
#define LAPIC_NMI_LEN		6
#define X2APIC_LEN		16
#define X2APIC_NMI_LEN		12

#define LAPIC_ENABLED		1

/* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2. */
#define INTI_ACTIVE_HIGH	0x1
#define INTI_EDGE		0x4
#define INTI_LEVEL		0xC

#define IOAPIC_ID		0
#define PIT_IRQ			0
#define PIT_GSI			2
#define NMI_LINT		1

static bool
needs_x2apic(uint32_t apic_id, unsigned uid)
{
	return (apic_id >= 255 || uid >= 255);
}

int
acpi_build_madt(struct acpi_area *a, uint64_t *gpa)
{
	const struct topology *t = &a->cfg->topo;
	size_t len = MADT_FIXED_LEN;
	bool any_x2apic = false;
	uint8_t *p, *e;

	for (unsigned i = 0; i < t->cpus; i++) {
		if (needs_x2apic(topology_apic_id(t, i), i)) {
			len += X2APIC_LEN;
			any_x2apic = true;
		} else {
			len += LAPIC_LEN;
		}
	}
	len += IOAPIC_LEN + 2 * ISO_LEN + LAPIC_NMI_LEN;
	if (any_x2apic)
		len += X2APIC_NMI_LEN;
	if ((p = acpi_alloc(a, len, 16, gpa, "MADT")) == NULL)
		return (-1);

	acpi_header(p, "APIC", (uint32_t)len, MADT_REV);
	acpi_put32(p + ACPI_HDR_LEN, (uint32_t)LAPIC_BASE);
	acpi_put32(p + ACPI_HDR_LEN + 4, MADT_PCAT_COMPAT);
	e = p + MADT_FIXED_LEN;

	for (unsigned i = 0; i < t->cpus; i++) {
		uint32_t id = topology_apic_id(t, i);

		if (needs_x2apic(id, i)) {
			e[0] = T_X2APIC;
			e[1] = X2APIC_LEN;
			acpi_put32(e + 4, id);
			acpi_put32(e + 8, LAPIC_ENABLED);
			acpi_put32(e + 12, i);
			e += X2APIC_LEN;
		} else {
			e[0] = T_LAPIC;
			e[1] = LAPIC_LEN;
			e[2] = (uint8_t)i;
			e[3] = (uint8_t)id;
			acpi_put32(e + 4, LAPIC_ENABLED);
			e += LAPIC_LEN;
		}
	}

	e[0] = T_IOAPIC;
	e[1] = IOAPIC_LEN;
	e[2] = IOAPIC_ID;
	acpi_put32(e + 4, (uint32_t)IOAPIC_BASE);
	acpi_put32(e + 8, 0);			/* GSI base */
	e += IOAPIC_LEN;

	/* The PIT's IRQ0 arrives on IOAPIC pin 2. */
	e[0] = T_ISO;
	e[1] = ISO_LEN;
	e[2] = 0;				/* ISA bus */
	e[3] = PIT_IRQ;
	acpi_put32(e + 4, PIT_GSI);
	acpi_put16(e + 8, INTI_ACTIVE_HIGH | INTI_EDGE);
	e += ISO_LEN;

	/* The SCI is a level interrupt, raised as a high level. */
	e[0] = T_ISO;
	e[1] = ISO_LEN;
	e[2] = 0;
	e[3] = ACPI_SCI_IRQ;
	acpi_put32(e + 4, ACPI_SCI_IRQ);
	acpi_put16(e + 8, INTI_ACTIVE_HIGH | INTI_LEVEL);
	e += ISO_LEN;

	/* LINT1 of every processor (UID 0xFF = all) is the NMI input. */
	e[0] = T_LAPIC_NMI;
	e[1] = LAPIC_NMI_LEN;
	e[2] = 0xFF;
	acpi_put16(e + 3, INTI_ACTIVE_HIGH | INTI_EDGE);
	e[5] = NMI_LINT;
	e += LAPIC_NMI_LEN;

	if (any_x2apic) {
		e[0] = T_X2APIC_NMI;
		e[1] = X2APIC_NMI_LEN;
		acpi_put16(e + 2, INTI_ACTIVE_HIGH | INTI_EDGE);
		acpi_put32(e + 4, 0xFFFFFFFF);	/* all processors */
		e[8] = NMI_LINT;
		e += X2APIC_NMI_LEN;
	}

	if ((size_t)(e - p) != len) {
		acpi_err(a, "ACPI tables: internal error: MADT length");
		return (-1);
	}
	acpi_finish_table(p);
	return (0);
}
