/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI table builder: the area allocator, shared helpers, the RSDP and the
 * root tables (XSDT, and an RSDT for ACPI 1.0 readers).
 *
 * Main thread only, during start-up.
 *
 * Layout (offsets from ACPI_TABLES_BASE, each table 16-byte aligned, the
 * FACS 64-byte aligned as the spec requires):
 *   RSDP, XSDT, RSDT, FADT, FACS, DSDT, MADT, MCFG
 * The FADT is the first entry of the XSDT (some firmware readers expect it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_impl.h"
#include "platform.h"
#include "vmm.h"

#define RSDP_LEN	36
#define RSDP_V1_LEN	20
#define ROOT_ENTRIES	3	/* FADT, MADT, MCFG */

void
acpi_config_init(struct acpi_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->topo.cpus = cfg->topo.sockets = cfg->topo.cores = 1;
	cfg->topo.threads = cfg->topo.maxcpus = 1;
	cfg->lpc_slot = -1;
}

void
acpi_err(struct acpi_area *a, const char *fmt, ...)
{
	va_list ap;

	if (a->err == NULL || a->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(a->err, a->errlen, fmt, ap);
	va_end(ap);
}

uint8_t
acpi_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + b[i]);
	return (s);
}

void
acpi_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void
acpi_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void
acpi_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t *
acpi_alloc(struct acpi_area *a, size_t len, size_t align, uint64_t *gpa,
    const char *what)
{
	size_t off = (a->used + align - 1) & ~(align - 1);

	if (off < a->used || off > a->cap || len > a->cap - off) {
		acpi_err(a, "ACPI tables: no room for the %s (%zu bytes) in the "
		    "%zu-byte table area (too many vCPUs?)", what, len, a->cap);
		return (NULL);
	}
	a->used = off + len;
	memset(a->buf + off, 0, len);
	*gpa = a->base + off;
	return (a->buf + off);
}

void
acpi_header(uint8_t *p, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(p, sig, 4);
	acpi_put32(p + 4, len);
	p[8] = rev;
	p[9] = 0;			/* checksum, set by acpi_finish_table */
	memcpy(p + 10, ZHYVE_ACPI_OEM_ID, 6);
	memcpy(p + 16, ZHYVE_ACPI_OEM_TABLE_ID, 8);
	acpi_put32(p + 24, 1);		/* OEM revision */
	memcpy(p + 28, ZHYVE_ACPI_CREATOR_ID, 4);
	acpi_put32(p + 32, 1);		/* creator revision */
}

void
acpi_finish_table(uint8_t *p)
{
	uint32_t len = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
	    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;

	p[9] = 0;
	p[9] = (uint8_t)(0 - acpi_sum(p, len));
}

void
acpi_gas(uint8_t *p, uint8_t space, uint8_t bit_width, uint8_t bit_offset,
    uint8_t access, uint64_t addr)
{
	p[0] = space;
	p[1] = bit_width;
	p[2] = bit_offset;
	p[3] = access;
	acpi_put64(p + 4, addr);
}

static int
check_config(struct acpi_area *a)
{
	const struct acpi_config *cfg = a->cfg;

	if (cfg->topo.cpus == 0 || cfg->topo.sockets == 0 ||
	    cfg->topo.cores == 0 || cfg->topo.threads == 0) {
		acpi_err(a, "ACPI tables: bad topology (%u cpus, %u sockets, "
		    "%u cores, %u threads)", cfg->topo.cpus, cfg->topo.sockets,
		    cfg->topo.cores, cfg->topo.threads);
		return (-1);
	}
	if (cfg->lpc_slot >= 32) {
		acpi_err(a, "ACPI tables: LPC slot %d is not a PCI slot (0-31)",
		    cfg->lpc_slot);
		return (-1);
	}
	if (cfg->mmio64_size != 0 &&
	    (cfg->mmio64_base + cfg->mmio64_size - 1 < cfg->mmio64_base ||
	    cfg->mmio64_base < HIGHMEM_BASE)) {
		acpi_err(a, "ACPI tables: bad 64-bit PCI window 0x%llx+0x%llx",
		    (unsigned long long)cfg->mmio64_base,
		    (unsigned long long)cfg->mmio64_size);
		return (-1);
	}
	return (0);
}

int
acpi_build_to_buffer(const struct acpi_config *cfg, uint64_t base_gpa,
    uint8_t *buf, size_t len, size_t *used, char *err, size_t errlen)
{
	struct acpi_area a = {
		.cfg = cfg, .buf = buf, .cap = len, .used = 0,
		.base = base_gpa, .err = err, .errlen = errlen,
	};
	uint64_t rsdp, xsdt, rsdt, fadt, facs, dsdt, madt, mcfg;
	uint8_t *p_rsdp, *p_xsdt, *p_rsdt;
	uint64_t entries[ROOT_ENTRIES];
	int n = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((base_gpa & 15) != 0 || base_gpa + len < base_gpa ||
	    base_gpa + len > 0x100000000ULL) {
		acpi_err(&a, "ACPI tables: area 0x%llx+0x%zx must be 16-byte "
		    "aligned and below 4 GiB", (unsigned long long)base_gpa,
		    len);
		return (-1);
	}
	if (check_config(&a) != 0)
		return (-1);
	memset(buf, 0, len);

	if ((p_rsdp = acpi_alloc(&a, RSDP_LEN, 16, &rsdp, "RSDP")) == NULL ||
	    (p_xsdt = acpi_alloc(&a, ACPI_HDR_LEN + 8 * ROOT_ENTRIES, 16, &xsdt,
	    "XSDT")) == NULL ||
	    (p_rsdt = acpi_alloc(&a, ACPI_HDR_LEN + 4 * ROOT_ENTRIES, 16, &rsdt,
	    "RSDT")) == NULL)
		return (-1);
	/* The FADT points at the FACS and DSDT: build those first. */
	if (acpi_build_facs(&a, &facs) != 0 ||
	    acpi_build_dsdt(&a, &dsdt) != 0 ||
	    acpi_build_fadt(&a, facs, dsdt, &fadt) != 0 ||
	    acpi_build_madt(&a, &madt) != 0 ||
	    acpi_build_mcfg(&a, &mcfg) != 0)
		return (-1);
	entries[n++] = fadt;
	entries[n++] = madt;
	entries[n++] = mcfg;

	acpi_header(p_xsdt, "XSDT", ACPI_HDR_LEN + 8 * (uint32_t)n, 1);
	acpi_header(p_rsdt, "RSDT", ACPI_HDR_LEN + 4 * (uint32_t)n, 1);
	for (int i = 0; i < n; i++) {
		acpi_put64(p_xsdt + ACPI_HDR_LEN + 8 * i, entries[i]);
		acpi_put32(p_rsdt + ACPI_HDR_LEN + 4 * i, (uint32_t)entries[i]);
	}
	acpi_finish_table(p_xsdt);
	acpi_finish_table(p_rsdt);

	/* RSDP (ACPI 2.0+): checksum over the first 20 bytes, extended
	 * checksum over all 36. */
	memcpy(p_rsdp, "RSD PTR ", 8);
	memcpy(p_rsdp + 9, ZHYVE_ACPI_OEM_ID, 6);
	p_rsdp[15] = 2;				/* revision */
	acpi_put32(p_rsdp + 16, (uint32_t)rsdt);
	acpi_put32(p_rsdp + 20, RSDP_LEN);
	acpi_put64(p_rsdp + 24, xsdt);
	p_rsdp[8] = (uint8_t)(0 - acpi_sum(p_rsdp, RSDP_V1_LEN));
	p_rsdp[32] = (uint8_t)(0 - acpi_sum(p_rsdp, RSDP_LEN));

	if (rsdp != base_gpa) {
		acpi_err(&a, "ACPI tables: internal error: RSDP not first");
		return (-1);
	}
	*used = a.used;
	return (0);
}

int
acpi_build(struct vm *vm, const struct acpi_config *cfg, uint64_t *rsdp_gpa,
    char *err, size_t errlen)
{
	uint8_t *buf;
	size_t used;

	if (!vm_gpa_is_ram(vm, ACPI_TABLES_BASE, ACPI_TABLES_SIZE)) {
		snprintf(err, errlen, "ACPI tables: guest memory at 0x%llx-0x%llx "
		    "is not RAM", (unsigned long long)ACPI_TABLES_BASE,
		    (unsigned long long)(ACPI_TABLES_BASE + ACPI_TABLES_SIZE - 1));
		return (-1);
	}
	if ((buf = malloc(ACPI_TABLES_SIZE)) == NULL) {
		snprintf(err, errlen, "ACPI tables: out of memory");
		return (-1);
	}
	if (acpi_build_to_buffer(cfg, ACPI_TABLES_BASE, buf, ACPI_TABLES_SIZE,
	    &used, err, errlen) != 0) {
		free(buf);
		return (-1);
	}
	/* Copy the whole area so stale bytes never look like tables. */
	if (vm_copyout(vm, buf, ACPI_TABLES_BASE, ACPI_TABLES_SIZE) != 0) {
		snprintf(err, errlen, "ACPI tables: cannot write guest memory "
		    "at 0x%llx", (unsigned long long)ACPI_TABLES_BASE);
		free(buf);
		return (-1);
	}
	free(buf);
	*rsdp_gpa = ACPI_TABLES_BASE;
	return (0);
}
