/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the SMBIOS builder (acpi/smbios.c, smbios_config.c).
 * Single-threaded.
 *
 * The table is built into host memory, walked structure by structure, then
 * written in dmidecode's --dump-bin layout (entry point at offset 0 with its
 * table address patched to 0x20, table at 0x20) and decoded by a real
 * parser: `dmidecode --from-dump` (Debian package dmidecode).  Without
 * dmidecode those cases are reported as skipped, never as passed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "platform.h"
#include "smbios.h"
#include "test.h"
#include "vmm.h"

#define BASE 0xF0000ULL
#define UUID "12345678-9abc-def0-1122-334455667788"

static uint8_t area[SMBIOS_SIZE];
static size_t area_used;
static int nskipped;

struct st {
	uint8_t type, len;
	uint16_t handle;
	const uint8_t *p;
	const char *strs[8];
	int nstrs;
};
static struct st sts[64];
static int nsts;

static uint16_t
le16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | p[1] << 8));
}

static uint32_t
le32(const uint8_t *p)
{
	return (le16(p) | (uint32_t)le16(p + 2) << 16);
}

static uint8_t
sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n-- > 0)
		s = (uint8_t)(s + *p++);
	return (s);
}

static void
base_cfg(struct smbios_config *c)
{
	smbios_config_init(c);
	CHECK_EQ(smbios_parse_uuid(UUID, c->uuid), 0);
	c->topo = (struct topology){ .cpus = 4, .sockets = 2, .cores = 2,
	    .threads = 1, .maxcpus = 4 };
	c->lowmem = GIB(3);
	c->highmem = GIB(5);
	c->str[SMBIOS_SYS_MANUFACTURER] = "Acme Systems";
	c->str[SMBIOS_SYS_PRODUCT] = "Roadrunner";
	c->str[SMBIOS_SYS_SERIAL] = "SN-0001";
	c->str[SMBIOS_SYS_SKU] = "";
	c->str[SMBIOS_BIOS_VERSION] = "7.42";
}

/* Build and walk; -1 if the table's structure is wrong anywhere. */
static int
build(const struct smbios_config *c)
{
	char err[256];
	const uint8_t *ep = area, *t, *end;
	size_t maxsize = 0;

	nsts = 0;
	if (smbios_build_to_buffer(c, BASE, area, sizeof(area), &area_used,
	    err, sizeof(err)) != 0) {
		printf("    build failed: %s\n", err);
		return (-1);
	}
	if (memcmp(ep, "_SM_", 4) != 0 || ep[5] != 0x1F || sum(ep, 0x1F) != 0 ||
	    memcmp(ep + 16, "_DMI_", 5) != 0 || sum(ep + 16, 15) != 0 ||
	    ep[6] != 2 || ep[7] != 8 || ep[30] != 0x28 ||
	    le32(ep + 24) != BASE + 0x20 ||
	    0x20 + (size_t)le16(ep + 22) != area_used)
		return (-1);
	t = area + 0x20;
	end = t + le16(ep + 22);
	while (t < end) {
		struct st *s = &sts[nsts];
		const uint8_t *q;

		if (nsts == 64 || t + 4 > end || t[1] < 4 || t + t[1] > end)
			return (-1);
		s->type = t[0];
		s->len = t[1];
		s->handle = le16(t + 2);
		s->p = t;
		s->nstrs = 0;
		q = t + t[1];
		if (q + 2 > end)
			return (-1);
		if (q[0] == 0 && q[1] == 0) {
			q += 2;			/* no strings */
		} else {
			while (q < end && *q != 0) {
				size_t n = strnlen((const char *)q,
				    (size_t)(end - q));

				if (q + n >= end || s->nstrs == 8)
					return (-1);
				s->strs[s->nstrs++] = (const char *)q;
				q += n + 1;
			}
			if (q >= end)
				return (-1);
			q++;
		}
		if ((size_t)(q - t) > maxsize)
			maxsize = (size_t)(q - t);
		t = q;
		if (s->handle != nsts)
			return (-1);
		nsts++;
	}
	if (t != end || nsts != le16(ep + 28) || maxsize != le16(ep + 8) ||
	    sts[nsts - 1].type != 127)
		return (-1);
	return (0);
}

static const struct st *
find(uint8_t type, int nth)
{
	for (int i = 0; i < nsts; i++)
		if (sts[i].type == type && nth-- == 0)
			return (&sts[i]);
	return (NULL);
}

/* The string a field points to, "" for index 0, NULL if out of range. */
static const char *
str(const struct st *s, int off)
{
	int i = s->p[off];

	if (i == 0)
		return ("");
	return (i <= s->nstrs ? s->strs[i - 1] : NULL);
}

TEST(structure)
{
	struct smbios_config c;
	const struct st *s;

	base_cfg(&c);
	CHECK_EQ(build(&c), 0);
	/* 0,1,2,3, two sockets, 16, one DIMM, two ranges, 32, 127 */
	CHECK_EQ(nsts, 12);
	if ((s = find(1, 0)) != NULL) {
		static const uint8_t le_uuid[16] = { 0x78, 0x56, 0x34, 0x12,
		    0xbc, 0x9a, 0xf0, 0xde, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
		    0x77, 0x88 };

		CHECK_EQ(s->len, 0x1B);
		CHECK(memcmp(s->p + 8, le_uuid, 16) == 0);
		CHECK_STR(str(s, 4), "Acme Systems");
		CHECK_STR(str(s, 7), "SN-0001");
		CHECK_EQ(s->p[25], 0);		/* empty SKU: index 0 */
		CHECK_STR(str(s, 26), "Virtual Machine");
	} else {
		CHECK(s != NULL);
	}
	if ((s = find(0, 0)) != NULL) {
		CHECK_STR(str(s, 4), "zhyve");
		CHECK_STR(str(s, 5), "7.42");
	}
	if ((s = find(4, 1)) != NULL) {
		CHECK_STR(str(s, 4), "CPU 1");
		CHECK_EQ(s->p[35], 2);		/* cores */
		CHECK_EQ(s->p[36], 2);		/* enabled */
		CHECK_EQ(s->p[37], 2);		/* threads */
		CHECK_EQ(s->p[24], 0x41);
	} else {
		CHECK(s != NULL);
	}
	CHECK(find(4, 2) == NULL);
	if ((s = find(2, 0)) != NULL)
		CHECK_EQ(sts[le16(s->p + 11)].type, 3);	/* chassis handle */
	if ((s = find(19, 1)) != NULL) {
		CHECK_EQ(le32(s->p + 4), HIGHMEM_BASE >> 10);
		CHECK_EQ(le32(s->p + 8), (HIGHMEM_BASE + GIB(5) - 1) >> 10);
	} else {
		CHECK(s != NULL);
	}
}

/* Type 17 sizes add up to the RAM size exactly. */
static uint64_t
dimm_total(int *ndimm)
{
	uint64_t total = 0;
	const struct st *s;

	*ndimm = 0;
	while ((s = find(17, *ndimm)) != NULL) {
		uint16_t v = le16(s->p + 12);

		total += (v & 0x8000) ? (uint64_t)(v & 0x7FFF) << 10 :
		    (uint64_t)v << 20;
		(*ndimm)++;
	}
	return (total);
}

TEST(memory_and_topology)
{
	struct smbios_config c;
	const struct st *s;
	int n;

	base_cfg(&c);
	c.highmem = GIB(29) + KIB(512);
	CHECK_EQ(build(&c), 0);
	CHECK_EQ(dimm_total(&n), GIB(32) + KIB(512));
	CHECK_EQ(n, 3);
	if ((s = find(16, 0)) != NULL)
		CHECK_EQ(le16(s->p + 13), 3);

	/* 3 of 4 vCPUs started: socket 1 has one enabled core. */
	base_cfg(&c);
	c.topo.cpus = 3;
	CHECK_EQ(build(&c), 0);
	if ((s = find(4, 1)) != NULL)
		CHECK_EQ(s->p[36], 1);
	c.topo.cpus = 2;
	CHECK_EQ(build(&c), 0);
	if ((s = find(4, 1)) != NULL) {
		CHECK_EQ(s->p[36], 0);
		CHECK_EQ(s->p[24], 0x00);	/* unpopulated */
	}
	/* SMT: thread count per socket is cores * threads. */
	c.topo = (struct topology){ .cpus = 8, .sockets = 1, .cores = 4,
	    .threads = 2, .maxcpus = 8 };
	CHECK_EQ(build(&c), 0);
	if ((s = find(4, 0)) != NULL) {
		CHECK_EQ(s->p[35], 4);
		CHECK_EQ(s->p[37], 8);
		CHECK_EQ(le16(s->p + 38), 0x04 | 0x08 | 0x10);
	}
	/* Low memory only: a single mapped range. */
	base_cfg(&c);
	c.highmem = 0;
	c.lowmem = MIB(100);
	CHECK_EQ(build(&c), 0);
	CHECK(find(19, 0) != NULL && find(19, 1) == NULL);
	CHECK_EQ(dimm_total(&n), MIB(100));
}

TEST(bad_config)
{
	struct smbios_config c;
	char err[256], big[300];
	size_t used;

	base_cfg(&c);
	c.str[SMBIOS_SYS_SERIAL] = "abc\ndef";
	CHECK_EQ(smbios_build_to_buffer(&c, BASE, area, sizeof(area), &used,
	    err, sizeof(err)), -1);
	CHECK(strstr(err, "smbios.system.serial_number") != NULL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	base_cfg(&c);
	c.str[SMBIOS_BOARD_ASSET] = big;
	CHECK_EQ(smbios_build_to_buffer(&c, BASE, area, sizeof(area), &used,
	    err, sizeof(err)), -1);
	CHECK(strstr(err, "smbios.board.asset_tag") != NULL);
	base_cfg(&c);
	CHECK_EQ(smbios_build_to_buffer(&c, BASE, area, 200, &used, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "do not fit") != NULL);
	c.topo.threads = 0;
	CHECK_EQ(smbios_build_to_buffer(&c, BASE, area, sizeof(area), &used,
	    err, sizeof(err)), -1);
}

TEST(uuid_and_tree)
{
	struct smbios_config c;
	uint8_t u[16], v[16];
	char err[256];

	CHECK_EQ(smbios_parse_uuid("12345678-9ABC-def0-1122-334455667788", u),
	    0);
	CHECK_EQ(u[0], 0x12);
	CHECK_EQ(u[15], 0x88);
	CHECK_EQ(smbios_parse_uuid("12345678-9abc-def0-1122-33445566778", u),
	    -1);
	CHECK_EQ(smbios_parse_uuid("12345678+9abc-def0-1122-334455667788", u),
	    -1);
	CHECK_EQ(smbios_parse_uuid("1234567g-9abc-def0-1122-334455667788", u),
	    -1);
	smbios_uuid_from_seed("a", u);
	smbios_uuid_from_seed("a", v);
	CHECK(memcmp(u, v, 16) == 0);
	CHECK_EQ(u[6] >> 4, 8);
	CHECK_EQ(u[8] >> 6, 2);
	smbios_uuid_from_seed("b", v);
	CHECK(memcmp(u, v, 16) != 0);

	config_init();
	CHECK_EQ(config_set("smbios.system.product_name", "FromTree"), 0);
	CHECK_EQ(config_set("smbios.bios.vendor", ""), 0);
	CHECK_EQ(config_set("uuid", UUID), 0);
	smbios_config_init(&c);
	CHECK_EQ(smbios_config_from_tree(&c, "vm1", err, sizeof(err)), 0);
	CHECK_STR(c.str[SMBIOS_SYS_PRODUCT], "FromTree");
	CHECK_STR(c.str[SMBIOS_BIOS_VENDOR], "");
	CHECK_STR(c.str[SMBIOS_SYS_MANUFACTURER], "zhyve");
	CHECK(smbios_parse_uuid(UUID, u) == 0 && memcmp(c.uuid, u, 16) == 0);
	CHECK_EQ(config_set("uuid", "not-a-uuid"), 0);
	CHECK_EQ(smbios_config_from_tree(&c, "vm1", err, sizeof(err)), -1);
	CHECK(strncmp(err, "uuid:", 5) == 0);
	config_init();
	smbios_config_init(&c);
	CHECK_EQ(smbios_config_from_tree(&c, "vm1", err, sizeof(err)), 0);
	memcpy(u, c.uuid, 16);
	CHECK_EQ(smbios_config_from_tree(&c, "vm2", err, sizeof(err)), 0);
	CHECK(memcmp(u, c.uuid, 16) != 0);	/* per-VM */
	CHECK_EQ(c.uuid[6] >> 4, 8);
	config_fini();
}

TEST(build_into_guest)
{
	struct vm *vm = vm_create_fake("smbios");
	struct smbios_config c;
	uint8_t ep[0x1F];
	char err[256];

	if (vm == NULL) {
		CHECK(vm != NULL);
		return;
	}
	base_cfg(&c);
	CHECK_EQ(smbios_build(vm, &c, err, sizeof(err)), -1);
	CHECK(strstr(err, "not RAM") != NULL);
	CHECK_EQ(vm_setup_memory(vm, MIB(64), LOWMEM_LIMIT_DEFAULT, err,
	    sizeof(err)), 0);
	CHECK_EQ(smbios_build(vm, &c, err, sizeof(err)), 0);
	CHECK_EQ(vm_copyin(vm, SMBIOS_BASE, ep, sizeof(ep)), 0);
	CHECK(memcmp(ep, "_SM_", 4) == 0);
	CHECK_EQ(sum(ep, sizeof(ep)), 0);
	CHECK_EQ(le32(ep + 24), SMBIOS_BASE + SMBIOS_TABLE_OFFSET);
	vm_destroy(vm);
}

/* --- dmidecode: a real SMBIOS parser must accept the table ------------ */

static bool
have_dmidecode(void)
{
	return (system("dmidecode --version >/dev/null 2>&1") == 0);
}

/*
 * Write a --dump-bin style file and run dmidecode --from-dump on it; the
 * output goes to a malloc'ed string (NULL on failure).
 */
static char *
dmidecode(void)
{
	char dir[256], file[300], cmd[700];
	const char *t = getenv("TMPDIR");
	uint8_t ep[0x20];
	char *out = NULL;
	size_t cap = 0, n = 0;
	FILE *f;
	int rc;

	snprintf(dir, sizeof(dir), "%s/zhyve-smbios-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(dir) == NULL)
		return (NULL);
	snprintf(file, sizeof(file), "%s/dmi.bin", dir);
	/* Entry point with the table address patched to 0x20. */
	memcpy(ep, area, sizeof(ep));
	ep[24] = 0x20;
	ep[25] = ep[26] = ep[27] = 0;
	ep[21] = 0;
	ep[21] = (uint8_t)(0 - sum(ep + 16, 15));
	ep[4] = 0;
	ep[4] = (uint8_t)(0 - sum(ep, 0x1F));
	if ((f = fopen(file, "w")) != NULL) {
		fwrite(ep, 1, sizeof(ep), f);
		fwrite(area + 0x20, 1, area_used - 0x20, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "dmidecode --from-dump '%s' 2>&1",
		    file);
		if ((f = popen(cmd, "r")) != NULL) {
			char buf[4096];
			size_t k;

			while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
				char *nb = realloc(out, cap + k + 1);

				if (nb == NULL)
					break;
				out = nb;
				cap += k;
				memcpy(out + n, buf, k);
				n += k;
				out[n] = '\0';
			}
			rc = pclose(f);
			if (rc != 0) {
				printf("    dmidecode exit status %d\n", rc);
				free(out);
				out = NULL;
			}
		}
	}
	unlink(file);
	rmdir(dir);
	return (out);
}

/* Lines dmidecode prints for damaged tables. */
static int
count_complaints(const char *out)
{
	static const char *const bad[] = { "BAD INDEX", "OUT OF SPEC",
		"Invalid entry length", "Wrong DMI", "broken", "Truncated",
		"checksum", "No SMBIOS nor DMI entry point found", NULL };
	int n = 0;

	for (const char *const *b = bad; *b != NULL; b++) {
		if (strstr(out, *b) != NULL) {
			printf("    dmidecode output has \"%s\"\n", *b);
			n++;
		}
	}
	return (n);
}

static bool
has(const char *out, const char *s)
{
	bool r = strstr(out, s) != NULL;

	if (!r)
		printf("    missing from dmidecode output: \"%s\"\n", s);
	return (r);
}

TEST(dmidecode_decodes)
{
	struct smbios_config c;
	char *out, want[64];
	const char *u;

	base_cfg(&c);
	CHECK_EQ(build(&c), 0);
	if ((out = dmidecode()) == NULL) {
		CHECK(out != NULL);
		return;
	}
	CHECK_EQ(count_complaints(out), 0);
	CHECK(has(out, "SMBIOS 2.8 present."));
	CHECK(has(out, "12 structures occupying"));
	/* The UUID printed equals the configured one. */
	u = strstr(out, "UUID: ");
	CHECK(u != NULL && strncasecmp(u + 6, UUID, 36) == 0);
	static const char *const want_lines[] = {
		"Handle 0x0000, DMI type 0, 24 bytes",
		"Handle 0x0001, DMI type 1, 27 bytes",
		"Handle 0x0004, DMI type 4, 42 bytes",
		"Handle 0x0005, DMI type 4, 42 bytes",
		"DMI type 16, 23 bytes", "DMI type 17, 40 bytes",
		"DMI type 19, 31 bytes", "DMI type 32, 11 bytes",
		"End Of Table", "Vendor: zhyve", "Version: 7.42",
		"Manufacturer: Acme Systems", "Product Name: Roadrunner",
		"Serial Number: SN-0001", "SKU Number: Not Specified",
		"Family: Virtual Machine", "Socket Designation: CPU 1",
		"Core Count: 2", "Thread Count: 2", "Maximum Capacity: 8 GB",
		"Size: 8 GB", "Range Size: 3 GB", "Range Size: 5 GB",
		"System is a virtual machine", "Type Detail: Unknown",
	};
	for (size_t i = 0; i < sizeof(want_lines) / sizeof(want_lines[0]); i++)
		CHECK(has(out, want_lines[i]));
	snprintf(want, sizeof(want), "Starting Address: 0x%011llX",
	    (unsigned long long)HIGHMEM_BASE);
	CHECK(has(out, want));
	free(out);
}

TEST(dmidecode_big_and_small)
{
	struct smbios_config c;
	char *out;

	base_cfg(&c);
	c.topo = (struct topology){ .cpus = 24, .sockets = 3, .cores = 4,
	    .threads = 2, .maxcpus = 24 };
	c.highmem = GIB(45) + KIB(512);
	for (int i = 0; i < SMBIOS_NSTR; i++)
		c.str[i] = NULL;
	CHECK_EQ(build(&c), 0);
	if ((out = dmidecode()) == NULL) {
		CHECK(out != NULL);
		return;
	}
	CHECK_EQ(count_complaints(out), 0);
	CHECK(has(out, "Socket Designation: CPU 2"));
	CHECK(has(out, "Thread Count: 8"));
	CHECK(has(out, "Size: 512 kB"));
	CHECK(has(out, "Number Of Devices: 4"));
	CHECK(has(out, "Vendor: Not Specified"));
	free(out);
}

/* The dmidecode check must be able to fail: damage a string index. */
TEST(dmidecode_catches_damage)
{
	struct smbios_config c;
	const struct st *s;
	char *out;

	base_cfg(&c);
	CHECK_EQ(build(&c), 0);
	if ((s = find(1, 0)) == NULL) {
		CHECK(s != NULL);
		return;
	}
	((uint8_t *)s->p)[5] = 9;		/* product name -> index 9 */
	if ((out = dmidecode()) == NULL) {
		CHECK(out != NULL);
		return;
	}
	printf("    (expected complaint follows)\n");
	CHECK(count_complaints(out) > 0);
	free(out);
}

#define RUN_DMI(name)                                                        \
	do {                                                                 \
		if (have_dmidecode()) {                                      \
			RUN(name);                                           \
		} else {                                                     \
			printf("skip %s (skipped: dmidecode not "            \
			    "installed)\n", #name);                          \
			nskipped++;                                          \
		}                                                            \
	} while (0)

static void
run_dmidecode_tests(void)
{
	if (!have_dmidecode())
		printf("*** skipped: dmidecode not installed (Debian package "
		    "dmidecode): the table was NOT checked by a real parser "
		    "***\n");
	RUN_DMI(dmidecode_decodes);
	RUN_DMI(dmidecode_big_and_small);
	RUN_DMI(dmidecode_catches_damage);
}

int
main(void)
{
	RUN(structure);
	RUN(memory_and_topology);
	RUN(bad_config);
	RUN(uuid_and_tree);
	RUN(build_into_guest);
	run_dmidecode_tests();
	if (nskipped > 0) {
		printf("%d passed, %d failed, %d skipped\n", test_npass,
		    test_nfail, nskipped);
		return (test_nfail ? 1 : 0);
	}
	TEST_SUMMARY();
}
