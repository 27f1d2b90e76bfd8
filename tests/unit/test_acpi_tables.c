/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the ACPI table builder: MADT topology and x2APIC entries,
 * MCFG, DSDT content, configuration errors, and building into a fake VM's
 * memory.  Single-threaded.  (iasl checks are in test_acpi.c.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi_walk.h"
#include "vmm.h"

/* Local APIC entries of the MADT: count, and APIC IDs in order. */
static int
madt_lapics(uint32_t *ids, uint32_t *uids, int max, int *other_types)
{
	struct table *t = find("APIC");
	int n = 0;

	*other_types = 0;
	if (t == NULL)
		return (-1);
	for (uint32_t o = 44; o + 2 <= t->len;) {
		uint8_t type = t->p[o], len = t->p[o + 1];

		if (len < 2 || o + len > t->len)
			return (-1);
		if ((type == 0 || type == 9) && n < max) {
			ids[n] = type == 0 ? t->p[o + 3] : le32(t->p + o + 4);
			uids[n] = type == 0 ? t->p[o + 2] : le32(t->p + o + 12);
			n++;
		} else {
			*other_types |= 1 << type;
		}
		o += len;
	}
	return (n);
}

TEST(madt_topology)
{
	static const struct {
		unsigned cpus, s, c, t;
		uint32_t ids[8];
	} cases[] = {
		{ 4, 2, 2, 1, { 0, 1, 2, 3 } },
		{ 6, 2, 3, 1, { 0, 1, 2, 4, 5, 6 } },
		{ 8, 2, 2, 2, { 0, 1, 2, 3, 4, 5, 6, 7 } },
		{ 5, 3, 1, 2, { 0, 1, 2, 3, 4 } },
		{ 3, 2, 3, 1, { 0, 1, 2 } },	/* fewer vCPUs than maxcpus */
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct acpi_config c;
		uint32_t ids[16], uids[16];
		int other, n;

		cfg_topo(&c, cases[k].cpus, cases[k].s, cases[k].c,
		    cases[k].t);
		CHECK_EQ(build(&c), 0);
		n = madt_lapics(ids, uids, 16, &other);
		CHECK_EQ(n, (int)cases[k].cpus);
		for (int i = 0; i < n && i < 8; i++) {
			CHECK_EQ(ids[i], cases[k].ids[i]);
			CHECK_EQ(uids[i], (uint32_t)i);
		}
		/* IOAPIC, overrides and LAPIC NMI; no x2APIC NMI. */
		CHECK_EQ(other, (1 << 1) | (1 << 2) | (1 << 4));
	}
}

TEST(madt_details)
{
	struct acpi_config c;
	struct table *t;
	int nio = 0, niso = 0, nnmi = 0;

	cfg_topo(&c, 2, 1, 2, 1);
	CHECK_EQ(build(&c), 0);
	if ((t = find("APIC")) == NULL) {
		CHECK(t != NULL);
		return;
	}
	CHECK_EQ(le32(t->p + 36), LAPIC_BASE);
	CHECK_EQ(le32(t->p + 40), 1);		/* PCAT_COMPAT */
	for (uint32_t o = 44; o + 2 <= t->len && t->p[o + 1] >= 2;
	    o += t->p[o + 1]) {
		uint8_t *e = t->p + o;

		if (e[0] == 1) {
			nio++;
			CHECK_EQ(le32(e + 4), IOAPIC_BASE);
			CHECK_EQ(le32(e + 8), 0);
		} else if (e[0] == 2) {
			niso++;
			if (e[3] == 0) {
				CHECK_EQ(le32(e + 4), 2);
				CHECK_EQ(le16(e + 8), 0x5);	/* edge, high */
			} else {
				CHECK_EQ(e[3], ACPI_SCI_IRQ);
				CHECK_EQ(le32(e + 4), ACPI_SCI_IRQ);
				CHECK_EQ(le16(e + 8), 0xD);	/* level, high */
			}
		} else if (e[0] == 4) {
			nnmi++;
			CHECK_EQ(e[2], 0xFF);
			CHECK_EQ(e[5], 1);			/* LINT1 */
		}
	}
	CHECK_EQ(nio, 1);
	CHECK_EQ(niso, 2);
	CHECK_EQ(nnmi, 1);
}

TEST(madt_x2apic)
{
	struct acpi_config c;
	static uint32_t ids[512], uids[512];
	int other, n;

	cfg_topo(&c, 300, 1, 300, 1);
	CHECK_EQ(build(&c), 0);
	n = madt_lapics(ids, uids, 512, &other);
	CHECK_EQ(n, 300);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(ids[i], (uint32_t)i);
		CHECK_EQ(uids[i], (uint32_t)i);
	}
	CHECK((other & (1 << 10)) != 0);	/* x2APIC NMI present */
}

TEST(mcfg_fields)
{
	struct acpi_config c;
	struct table *t;

	cfg_topo(&c, 1, 1, 1, 1);
	CHECK_EQ(build(&c), 0);
	if ((t = find("MCFG")) == NULL) {
		CHECK(t != NULL);
		return;
	}
	CHECK_EQ(t->len, 60);
	CHECK_EQ(le64(t->p + 44), PCI_ECAM_BASE);
	CHECK_EQ(le16(t->p + 52), 0);
	CHECK_EQ(t->p[54], 0);
	CHECK_EQ(t->p[55], PCI_ECAM_BUSES - 1);
}

static bool
has_bytes(const struct table *t, const char *s)
{
	return (memmem(t->p, t->len, s, strlen(s)) != NULL);
}

TEST(dsdt_content)
{
	struct acpi_config c;
	struct table *t;
	/* Name(_S5_, Package(4){5, 5, 0, 0}) */
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08,
	    0x04, 0x0A, ACPI_S5_SLP_TYP, 0x0A, ACPI_S5_SLP_TYP, 0x00, 0x00 };

	cfg_topo(&c, 2, 1, 2, 1);
	c.com[0] = true;
	CHECK_EQ(build(&c), 0);
	if ((t = find("DSDT")) == NULL) {
		CHECK(t != NULL);
		return;
	}
	CHECK_EQ(t->p[8], 2);
	CHECK(memmem(t->p, t->len, s5, sizeof(s5)) != NULL);
	CHECK(has_bytes(t, "_PRT") && has_bytes(t, "PCI0"));
	CHECK(has_bytes(t, "COM1") && !has_bytes(t, "COM2"));
	CHECK(!has_bytes(t, "KBD_") && !has_bytes(t, "ISA_"));
	CHECK(has_bytes(t, "C000") && has_bytes(t, "C001") &&
	    !has_bytes(t, "C002"));
	CHECK(has_bytes(t, "ACPI0007"));
}

TEST(errors)
{
	struct acpi_config c;
	char err[256];
	size_t used;

	cfg_full(&c, 4);
	err[0] = '\0';
	CHECK_EQ(acpi_build_to_buffer(&c, BASE, area, 512, &used, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "no room") != NULL);
	CHECK_EQ(acpi_build_to_buffer(&c, BASE + 4, area, sizeof(area), &used,
	    err, sizeof(err)), -1);
	CHECK(strstr(err, "aligned") != NULL);
	c.lpc_slot = 32;
	CHECK_EQ(acpi_build_to_buffer(&c, BASE, area, sizeof(area), &used, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "LPC slot 32") != NULL);
	cfg_full(&c, 4);
	c.mmio64_base = UINT64_MAX - 10;
	CHECK_EQ(acpi_build_to_buffer(&c, BASE, area, sizeof(area), &used, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "64-bit PCI window") != NULL);
	cfg_full(&c, 0);
	CHECK_EQ(acpi_build_to_buffer(&c, BASE, area, sizeof(area), &used, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "bad topology") != NULL);
	cfg_topo(&c, 4, 1, 4, 0);
	CHECK_EQ(acpi_build_to_buffer(&c, BASE, area, sizeof(area), &used, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "bad topology") != NULL);
	cfg_topo(&c, 5000, 1, 5000, 1);
	CHECK_EQ(acpi_build_to_buffer(&c, BASE, area, sizeof(area), &used, err,
	    sizeof(err)), -1);
	CHECK(err[0] != '\0');
}

TEST(build_into_guest)
{
	struct vm *vm = vm_create_fake("acpi");
	struct acpi_config c;
	uint64_t rsdp = 0;
	uint8_t buf[36];
	char err[256];

	if (vm == NULL) {
		CHECK(vm != NULL);
		return;
	}
	cfg_full(&c, 2);
	/* No RAM yet: refused with a message. */
	CHECK_EQ(acpi_build(vm, &c, &rsdp, err, sizeof(err)), -1);
	CHECK(strstr(err, "not RAM") != NULL);
	CHECK_EQ(vm_setup_memory(vm, MIB(64), LOWMEM_LIMIT_DEFAULT, err,
	    sizeof(err)), 0);
	CHECK_EQ(acpi_build(vm, &c, &rsdp, err, sizeof(err)), 0);
	CHECK_EQ(rsdp, ACPI_TABLES_BASE);
	CHECK_EQ(vm_copyin(vm, rsdp, buf, sizeof(buf)), 0);
	CHECK(memcmp(buf, "RSD PTR ", 8) == 0);
	CHECK_EQ(acpi_sum(buf, 36), 0);
	vm_destroy(vm);
}

int
main(void)
{
	RUN(madt_topology);
	RUN(madt_details);
	RUN(madt_x2apic);
	RUN(mcfg_fields);
	RUN(dsdt_content);
	RUN(errors);
	RUN(build_into_guest);
	TEST_SUMMARY();
}
