/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the ACPI table builder (acpi/).  Single-threaded.
 *
 * Tables are built into host memory, walked from the RSDP the way an OS
 * does, checked field by field, and then handed to a real parser: each
 * table is written to a temporary file and disassembled with `iasl -d`
 * (Debian package acpica-tools); the DSDT's disassembly is compiled again
 * with iasl.  Any Error/Warning from iasl fails the test.  Without iasl the
 * iasl cases are reported as skipped, never as passed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi_walk.h"

static int nskipped;

TEST(layout_and_checksums)
{
	static const unsigned ncpu[] = { 1, 4, 8 };

	for (size_t k = 0; k < sizeof(ncpu) / sizeof(ncpu[0]); k++) {
		struct acpi_config c;

		cfg_full(&c, ncpu[k]);
		CHECK_EQ(build(&c), 0);
		CHECK_EQ(ntabs, 7);
		CHECK_STR(tabs[0].sig, "XSDT");
		CHECK_STR(tabs[1].sig, "RSDT");
		CHECK_STR(tabs[2].sig, "FACP");	/* FADT first in the XSDT */
		CHECK(find("APIC") != NULL && find("MCFG") != NULL);
		CHECK(find("DSDT") != NULL && find("FACS") != NULL);
		for (int i = 0; i < ntabs; i++) {
			if (strcmp(tabs[i].sig, "FACS") == 0) {
				CHECK_EQ(tabs[i].len, 64);
				CHECK_EQ((tabs[i].p - area) % 64, 0);
				continue;
			}
			CHECK_EQ(acpi_sum(tabs[i].p, tabs[i].len), 0);
			CHECK_EQ((tabs[i].p - area) % 16, 0);
		}
		/* RSDT mirrors the XSDT. */
		CHECK_EQ(tabs[1].len - 36, (tabs[0].len - 36) / 2);
		for (uint32_t i = 0; i < (tabs[0].len - 36) / 8; i++)
			CHECK_EQ(le32(tabs[1].p + 36 + 4 * i),
			    le64(tabs[0].p + 36 + 8 * i));
		/* Nothing past `used`. */
		for (size_t i = area_used; i < sizeof(area); i++)
			if (area[i] != 0) {
				CHECK(area[i] == 0);
				break;
			}
	}
}

static void
check_gas(const uint8_t *g, uint8_t space, uint8_t bits, uint64_t addr)
{
	CHECK_EQ(g[0], space);
	CHECK_EQ(g[1], bits);
	CHECK_EQ(g[2], 0);
	CHECK_EQ(le64(g + 4), addr);
}

TEST(fadt_fields)
{
	struct acpi_config c;
	struct table *t;
	uint8_t *f;
	uint32_t flags;

	cfg_full(&c, 2);
	c.kbd = false;
	CHECK_EQ(build(&c), 0);
	if ((t = find("FACP")) == NULL) {
		CHECK(t != NULL);
		return;
	}
	f = t->p;
	CHECK_EQ(t->len, 276);
	CHECK_EQ(f[8], 6);
	CHECK_EQ(le32(f + 36), le64(f + 132));	/* FACS == X_FACS */
	CHECK_EQ(le32(f + 40), le64(f + 140));	/* DSDT == X_DSDT */
	CHECK_EQ(le16(f + 46), ACPI_SCI_IRQ);
	CHECK_EQ(le32(f + 48), ACPI_SMI_CMD);
	CHECK_EQ(f[52], ACPI_ENABLE_VAL);
	CHECK_EQ(f[53], ACPI_DISABLE_VAL);
	CHECK_EQ(le32(f + 56), ACPI_PM1A_EVT_BLK);
	CHECK_EQ(le32(f + 60), 0);		/* no PM1b */
	CHECK_EQ(le32(f + 64), ACPI_PM1A_CNT_BLK);
	CHECK_EQ(le32(f + 76), ACPI_PM_TMR_BLK);
	CHECK_EQ(le32(f + 80), ACPI_GPE0_BLK);
	CHECK_EQ(f[88], 4);
	CHECK_EQ(f[89], 2);
	CHECK_EQ(f[91], 4);
	CHECK_EQ(f[92], 4);
	check_gas(f + 148, 1, 32, ACPI_PM1A_EVT_BLK);
	check_gas(f + 172, 1, 16, ACPI_PM1A_CNT_BLK);
	check_gas(f + 208, 1, 32, ACPI_PM_TMR_BLK);
	check_gas(f + 220, 1, 32, ACPI_GPE0_BLK);
	check_gas(f + 160, 0, 0, 0);		/* X_PM1b_EVT absent */
	check_gas(f + 116, 1, 8, ACPI_RESET_PORT);
	CHECK_EQ(f[128], ACPI_RESET_VALUE);
	flags = le32(f + 112);
	CHECK((flags & (1u << 4)) == 0);	/* fixed power button */
	CHECK((flags & (1u << 5)) != 0);	/* no sleep button */
	CHECK((flags & (1u << 8)) == 0);	/* 24-bit PM timer */
	CHECK((flags & (1u << 10)) != 0);	/* reset register */
	CHECK((flags & (1u << 20)) == 0);	/* not hardware-reduced */
	CHECK_EQ(le16(f + 109) & 3, 1);		/* legacy devices, no 8042 */
	c.kbd = true;
	CHECK_EQ(build(&c), 0);
	if ((t = find("FACP")) == NULL) {
		CHECK(t != NULL);
		return;
	}
	CHECK_EQ(le16(t->p + 109) & 3, 3);
	f = t->p;
	t = find("DSDT");
	CHECK(t != NULL && (uint64_t)(t->p - area) + BASE == le64(f + 140));
	t = find("FACS");
	CHECK(t != NULL && (uint64_t)(t->p - area) + BASE == le64(f + 132));
}

/* --- iasl: a real ACPI parser must accept every table ------------------ */

static char tmpdir[256];

static bool
have_iasl(void)
{
	return (system("iasl -v >/dev/null 2>&1") == 0);
}

static int
make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/zhyve-acpi-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	return (mkdtemp(tmpdir) != NULL ? 0 : -1);
}

static void
remove_tmpdir(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("    could not remove %s\n", tmpdir);
}

/* Print and count lines of `file` that contain any of `bad`. */
static int
grep_bad(const char *file, const char *const *bad)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(file, "r");

	if (f == NULL)
		return (1);
	while (fgets(line, sizeof(line), f) != NULL) {
		for (const char *const *b = bad; *b != NULL; b++) {
			if (strstr(line, *b) != NULL) {
				printf("    %s: %s", strrchr(file, '/') + 1, line);
				n++;
				break;
			}
		}
	}
	fclose(f);
	return (n);
}

static bool
file_has(const char *file, const char *s)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(file, "r");

	if (f == NULL)
		return (false);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, s) != NULL;
	fclose(f);
	return (found);
}

static const char *const iasl_bad[] = { "Error", "Warning", "Unknown",
	"Invalid", "Incorrect", "should be", NULL };
static const char *const dsl_bad[] = { "Incorrect", "Invalid", "Unknown",
	"****", NULL };

/* <tmpdir>/<name><ext> into out; false if it does not fit. */
static bool
tmppath(char *out, size_t n, const char *name, const char *ext)
{
	int r = snprintf(out, n, "%s/%s%s", tmpdir, name, ext);

	return (r > 0 && (size_t)r < n);
}

/* Write table t to <tmpdir>/<sig>.dat, run iasl -d, check its output. */
static void
iasl_disassemble(const struct table *t)
{
	char path[512], cmd[1024];
	FILE *f;
	int rc;

	if (!tmppath(path, sizeof(path), t->sig, ".dat")) {
		CHECK(!"path too long");
		return;
	}
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(fwrite(t->p, 1, t->len, f), t->len);
	fclose(f);
	rc = snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat >%s.log "
	    "2>&1", tmpdir, t->sig, t->sig);
	CHECK(rc > 0 && (size_t)rc < sizeof(cmd));
	rc = system(cmd);
	if (rc != 0)
		printf("    iasl -d %s.dat: exit status %d\n", t->sig, rc);
	CHECK_EQ(rc, 0);
	if (tmppath(path, sizeof(path), t->sig, ".log"))
		CHECK_EQ(grep_bad(path, iasl_bad), 0);
	if (tmppath(path, sizeof(path), t->sig, ".dsl"))
		CHECK_EQ(grep_bad(path, dsl_bad), 0);
}

/* Compile the DSDT's disassembly again: the ASL must be clean. */
static void
iasl_recompile_dsdt(void)
{
	char path[512], cmd[1024];
	int rc;

	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -p re DSDT.dsl >re.log "
	    "2>&1", tmpdir);
	rc = system(cmd);
	CHECK_EQ(rc, 0);
	if (!tmppath(path, sizeof(path), "re", ".log"))
		return;
	CHECK(file_has(path, " 0 Errors, 0 Warnings"));
	if (!file_has(path, " 0 Errors, 0 Warnings"))
		grep_bad(path, (const char *const[]){ "rror", "arning", NULL });
}

static void
iasl_check_config(const struct acpi_config *c)
{
	char path[512];

	if (make_tmpdir() != 0) {
		CHECK(!"mkdtemp");
		return;
	}
	CHECK_EQ(build(c), 0);
	CHECK_EQ(ntabs, 7);
	for (int i = 0; i < ntabs; i++)
		iasl_disassemble(&tabs[i]);
	iasl_recompile_dsdt();
	if (!tmppath(path, sizeof(path), "DSDT", ".dsl"))
		return;
	CHECK(file_has(path, "EisaId (\"PNP0A08\")"));
	CHECK(file_has(path, "Name (_PRT, Package (0x80)"));
	CHECK(file_has(path, "EisaId (\"PNP0B00\")"));
	CHECK_EQ(file_has(path, "EisaId (\"PNP0501\")"), c->com[0]);
	CHECK_EQ(file_has(path, "EisaId (\"PNP0303\")"), c->kbd);
	CHECK_EQ(file_has(path, "QWordMemory"), c->mmio64_size != 0);
	CHECK_EQ(file_has(path, "Device (ISA)"), c->lpc_slot >= 0);
	if (!tmppath(path, sizeof(path), "APIC", ".dsl"))
		return;
	CHECK(file_has(path, "[Processor Local APIC]"));
	CHECK(file_has(path, "[Interrupt Source Override]"));
	remove_tmpdir();
}

TEST(iasl_1cpu)
{
	struct acpi_config c;

	cfg_topo(&c, 1, 1, 1, 1);
	iasl_check_config(&c);
}

TEST(iasl_4cpu)
{
	struct acpi_config c;

	cfg_full(&c, 4);
	c.topo.sockets = 2;
	c.topo.cores = 2;
	iasl_check_config(&c);
}

TEST(iasl_8cpu)
{
	struct acpi_config c;

	cfg_full(&c, 8);
	c.lpc_slot = -1;
	c.com[2] = c.com[3] = true;
	c.vga = true;
	iasl_check_config(&c);
}

TEST(iasl_300cpu_x2apic)
{
	struct acpi_config c;

	cfg_full(&c, 300);
	iasl_check_config(&c);
}

/* Does the iasl check catch a broken table?  (It must be able to fail.) */
TEST(iasl_catches_bad_checksum)
{
	struct acpi_config c;
	struct table *t;
	char path[512];

	cfg_topo(&c, 1, 1, 1, 1);
	CHECK_EQ(build(&c), 0);
	if ((t = find("APIC")) == NULL || make_tmpdir() != 0) {
		CHECK(!"setup");
		return;
	}
	t->p[9]++;
	{
		/* Run the same steps, expecting complaints this time. */
		char cmd[1024];
		FILE *f;

		f = tmppath(path, sizeof(path), "APIC", ".dat") ?
		    fopen(path, "w") : NULL;
		if (f != NULL) {
			fwrite(t->p, 1, t->len, f);
			fclose(f);
		}
		snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d APIC.dat "
		    ">APIC.log 2>&1", tmpdir);
		CHECK_EQ(system(cmd), 0);
		CHECK(tmppath(path, sizeof(path), "APIC", ".log"));
		printf("    (expected complaint follows)\n");
		CHECK(grep_bad(path, iasl_bad) > 0);
	}
	remove_tmpdir();
}

#define RUN_IASL(name)                                                       \
	do {                                                                 \
		if (have_iasl()) {                                           \
			RUN(name);                                           \
		} else {                                                     \
			printf("skip %s (skipped: iasl not installed)\n",    \
			    #name);                                          \
			nskipped++;                                          \
		}                                                            \
	} while (0)

static void
run_iasl_tests(void)
{
	if (!have_iasl())
		printf("*** skipped: iasl not installed (Debian package "
		    "acpica-tools): the tables were NOT checked by a real "
		    "parser ***\n");
	RUN_IASL(iasl_1cpu);
	RUN_IASL(iasl_4cpu);
	RUN_IASL(iasl_8cpu);
	RUN_IASL(iasl_300cpu_x2apic);
	RUN_IASL(iasl_catches_bad_checksum);
}

int
main(void)
{
	RUN(layout_and_checksums);
	RUN(fadt_fields);
	run_iasl_tests();
	if (nskipped > 0) {
		printf("%d passed, %d failed, %d skipped\n", test_npass,
		    test_nfail, nskipped);
		return (test_nfail ? 1 : 0);
	}
	TEST_SUMMARY();
}
