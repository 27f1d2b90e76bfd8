/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MCFG (PCI Express memory-mapped configuration space base address table).
 *
 * Main thread only, during start-up.
 *
 * One allocation: segment 0, buses 0..PCI_ECAM_BUSES-1 at PCI_ECAM_BASE.
 * The same range is reserved by a PNP0C02 device in the DSDT, which Linux
 * checks before it trusts the MCFG.
 */
#include "acpi_impl.h"
#include "platform.h"

#define MCFG_REV	1
#define MCFG_ALLOC_LEN	16
#define MCFG_LEN	(ACPI_HDR_LEN + 8 + MCFG_ALLOC_LEN)

_Static_assert(PCI_ECAM_BUSES >= 1 && PCI_ECAM_BUSES <= 256,
    "ECAM bus count");
_Static_assert(PCI_ECAM_SIZE == (uint64_t)PCI_ECAM_BUSES << 20,
    "ECAM size must be 1 MiB per bus");

int
acpi_build_mcfg(struct acpi_area *a, uint64_t *gpa)
{
	uint8_t *p = acpi_alloc(a, MCFG_LEN, 16, gpa, "MCFG");
	uint8_t *e;

	if (p == NULL)
		return (-1);
	acpi_header(p, "MCFG", MCFG_LEN, MCFG_REV);
	/* 8 reserved bytes, then the allocation structure. */
	e = p + ACPI_HDR_LEN + 8;
	acpi_put64(e, PCI_ECAM_BASE);
	acpi_put16(e + 8, 0);			/* PCI segment group */
	e[10] = 0;				/* start bus */
	e[11] = PCI_ECAM_BUSES - 1;		/* end bus */
	acpi_finish_table(p);
	return (0);
}
