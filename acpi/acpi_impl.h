/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by the ACPI table files (acpi_build.c, acpi_fadt.c,
 * acpi_madt.c, acpi_mcfg.c, acpi_dsdt.c).  Not for use outside acpi/.
 *
 * Main thread only, during start-up.
 *
 * A struct acpi_area is the output buffer standing for guest-physical
 * [base, base + cap).  Tables are carved out of it in order with
 * acpi_alloc(); fields are stored little-endian with the acpi_put*()
 * helpers, whatever the host's alignment rules.
 */
#ifndef ZHYVE_ACPI_IMPL_H
#define ZHYVE_ACPI_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "acpi.h"

#define ACPI_HDR_LEN	36

/* Generic Address Structure: address space ids and access sizes. */
#define ACPI_GAS_MEM	0
#define ACPI_GAS_IO	1
#define ACPI_ACC_UNDEF	0
#define ACPI_ACC_BYTE	1
#define ACPI_ACC_WORD	2
#define ACPI_ACC_DWORD	3
#define ACPI_ACC_QWORD	4

struct acpi_area {
	const struct acpi_config *cfg;
	uint8_t *buf;
	size_t cap;
	size_t used;
	uint64_t base;
	char *err;
	size_t errlen;
};

/*
 * Reserve `len` bytes aligned to `align` (a power of two), zeroed.
 * Returns the host pointer and sets *gpa, or NULL with err set.
 */
uint8_t *acpi_alloc(struct acpi_area *a, size_t len, size_t align,
    uint64_t *gpa, const char *what);

void acpi_put16(uint8_t *p, uint16_t v);
void acpi_put32(uint8_t *p, uint32_t v);
void acpi_put64(uint8_t *p, uint64_t v);
/* Standard 36-byte header (checksum left 0; see acpi_finish_table). */
void acpi_header(uint8_t *p, const char sig[4], uint32_t len, uint8_t rev);
/* Set the header checksum so the table's bytes sum to 0. */
void acpi_finish_table(uint8_t *p);
/* 12-byte Generic Address Structure. */
void acpi_gas(uint8_t *p, uint8_t space, uint8_t bit_width,
    uint8_t bit_offset, uint8_t access, uint64_t addr);

void acpi_err(struct acpi_area *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The tables; each returns 0 and the table's address, or -1 with err. */
int acpi_build_facs(struct acpi_area *a, uint64_t *gpa);
int acpi_build_fadt(struct acpi_area *a, uint64_t facs, uint64_t dsdt,
    uint64_t *gpa);
int acpi_build_madt(struct acpi_area *a, uint64_t *gpa);
int acpi_build_mcfg(struct acpi_area *a, uint64_t *gpa);
int acpi_build_dsdt(struct acpi_area *a, uint64_t *gpa);

#endif
