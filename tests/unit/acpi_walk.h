/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helpers shared by test_acpi.c and test_acpi_tables.c: build the ACPI
 * tables into a host buffer standing for guest-physical 0xE0000 and walk
 * them from the RSDP the way an OS does.  Single-threaded.
 */
#ifndef ZHYVE_TEST_ACPI_WALK_H
#define ZHYVE_TEST_ACPI_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "platform.h"
#include "test.h"

#define BASE 0xE0000ULL
#define MAXT 16

static uint8_t area[ACPI_TABLES_SIZE];
static size_t area_used;

struct table {
	char sig[5];
	uint8_t *p;
	uint32_t len;
};
static struct table tabs[MAXT];
static int ntabs;

static inline uint16_t
le16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | p[1] << 8));
}

static inline uint32_t
le32(const uint8_t *p)
{
	return ((uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16);
}

static inline uint64_t
le64(const uint8_t *p)
{
	return ((uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32);
}

static inline void
cfg_topo(struct acpi_config *c, unsigned cpus, unsigned s, unsigned co,
    unsigned t)
{
	acpi_config_init(c);
	c->topo.cpus = cpus;
	c->topo.sockets = s;
	c->topo.cores = co;
	c->topo.threads = t;
	c->topo.maxcpus = s * co * t;
}

static inline void
cfg_full(struct acpi_config *c, unsigned cpus)
{
	cfg_topo(c, cpus, 1, cpus, 1);
	c->com[0] = c->com[1] = true;
	c->kbd = true;
	c->lpc_slot = 31;
	c->mmio64_base = 0x1000000000ULL;
	c->mmio64_size = PCI_MMIO64_SIZE;
}

/* Guest-physical address to host pointer for `len` bytes, or NULL. */
static inline uint8_t *
at(uint64_t gpa, size_t len)
{
	if (gpa < BASE || gpa - BASE > area_used ||
	    len > area_used - (gpa - BASE))
		return (NULL);
	return (area + (gpa - BASE));
}

static inline int
add_table(uint64_t gpa)
{
	uint8_t *h = at(gpa, 8);

	if (h == NULL || ntabs == MAXT || at(gpa, le32(h + 4)) == NULL)
		return (-1);
	memcpy(tabs[ntabs].sig, h, 4);
	tabs[ntabs].sig[4] = '\0';
	tabs[ntabs].p = h;
	tabs[ntabs].len = le32(h + 4);
	ntabs++;
	return (0);
}

static inline struct table *
find(const char *sig)
{
	for (int i = 0; i < ntabs; i++)
		if (strcmp(tabs[i].sig, sig) == 0)
			return (&tabs[i]);
	return (NULL);
}

/* Build, then walk RSDP -> XSDT -> tables and FADT -> DSDT/FACS. */
static inline int
build(const struct acpi_config *c)
{
	char err[256];
	uint8_t *x, *f;

	ntabs = 0;
	if (acpi_build_to_buffer(c, BASE, area, sizeof(area), &area_used, err,
	    sizeof(err)) != 0) {
		printf("    build failed: %s\n", err);
		return (-1);
	}
	if (memcmp(area, "RSD PTR ", 8) != 0 || area[15] != 2 ||
	    acpi_sum(area, 20) != 0 || le32(area + 20) != 36 ||
	    acpi_sum(area, 36) != 0)
		return (-1);
	if (add_table(le64(area + 24)) != 0 || add_table(le32(area + 16)) != 0)
		return (-1);
	x = tabs[0].p;
	for (uint32_t o = 36; o + 8 <= tabs[0].len; o += 8)
		if (add_table(le64(x + o)) != 0)
			return (-1);
	if ((f = at(le64(x + 36), 276)) == NULL || memcmp(f, "FACP", 4) != 0)
		return (-1);
	if (add_table(le64(f + 140)) != 0 || add_table(le64(f + 132)) != 0)
		return (-1);
	return (0);
}

#endif
