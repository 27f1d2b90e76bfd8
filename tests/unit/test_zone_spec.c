/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the zone spec parser (zone/zone_spec.c) and its host check
 * (zone/zone_spec_host.c): good specs parse to the right values, and bad
 * ones (unknown keys, paths outside the allowed set, limits out of range,
 * missing keys, duplicates) give an error naming the key and leave the
 * caller's spec unchanged.  Single-threaded.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "test.h"
#include "zone_spec.h"

#define BASE \
	"name = vm0\nuid = 2001\ngid = 2002\nzhyve = /usr/sbin/zhyve\n" \
	"config = /var/lib/zhyve/vm0.conf\n"

static char err[1024];

static int
parse(const char *text, struct zone_spec *s)
{
	err[0] = '\0';
	return zone_spec_parse(text, strlen(text), "spec", s, err,
	    sizeof(err));
}

/* The canonical print of a spec, to see that a failed parse changed
 * nothing. */
static char *
dump(const struct zone_spec *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	zone_spec_print(s, f);
	fclose(f);
	return buf;
}

/* Parses BASE + extra and expects an error containing `want`, with a
 * spec that held a good parse before left exactly as it was. */
static int
bad(const char *extra, const char *want)
{
	struct zone_spec s;
	char text[8192], *before, *after;
	int ok;

	zone_spec_init(&s);
	if (parse(BASE "memory.max = 1G\ndisk = /srv/vm0.img\n", &s) != 0) {
		printf("    good spec failed: %s\n", err);
		return 0;
	}
	before = dump(&s);
	snprintf(text, sizeof(text), "%s%s", BASE, extra);
	ok = parse(text, &s) == -1 && strstr(err, want) != NULL;
	after = dump(&s);
	if (!ok)
		printf("    extra '%s': wanted an error with '%s', got '%s'\n",
		    extra, want, err);
	if (before == NULL || after == NULL || strcmp(before, after) != 0) {
		printf("    extra '%s': the spec changed\n", extra);
		ok = 0;
	}
	free(before);
	free(after);
	zone_spec_free(&s);
	return ok;
}

/* Like bad(), for a whole text (to vary the keys BASE sets). */
static int
bad_text(const char *text, const char *want)
{
	struct zone_spec s;
	char *before, *after;
	int ok;

	zone_spec_init(&s);
	if (parse(BASE, &s) != 0)
		return 0;
	before = dump(&s);
	ok = parse(text, &s) == -1 && strstr(err, want) != NULL;
	after = dump(&s);
	if (!ok)
		printf("    '%s': wanted an error with '%s', got '%s'\n", text,
		    want, err);
	ok = ok && before != NULL && after != NULL &&
	    strcmp(before, after) == 0;
	free(before);
	free(after);
	zone_spec_free(&s);
	return ok;
}

#define IDS(n, u, g) "name = " n "\nuid = " u "\ngid = " g \
	"\nzhyve = /z\nconfig = /c\n"

TEST(good_spec)
{
	struct zone_spec s;

	zone_spec_init(&s);
	CHECK_EQ(parse(BASE
	    "# a comment\n"
	    "\n"
	    "  disk = /srv/vm0/disk0.img  \r\n"
	    "disk_ro = /dev/vdb\n"
	    "boot = /usr/share/seabios/bios-256k.bin\n"
	    "boot = /boot/vmlinuz\n"
	    "ro = /usr/lib/x86_64-linux-gnu\n"
	    "tap = tap0\n"
	    "tap = vm0.net1\n"
	    "netns = off\n"
	    "vhost_net = on\n"
	    "cgroup.parent = machine/zhyve\n"
	    "memory.max = 600M\n"
	    "memory.swap.max = 0\n"
	    "cpu.max = 50000 100000\n"
	    "cpu.weight = 200\n"
	    "pids.max = 64\n"
	    "io.max = 8:16 rbps=1048576 wiops=max\n"
	    "rlimit.nofile = 1024\n"
	    "rlimit.fsize = 10G\n"
	    "rlimit.core = 0\n"
	    "tmpfs.run = 64k\n"
	    "tmpfs.tmp = 2m\n", &s), 0);
	CHECK_STR(err, "");
	CHECK_STR(s.name, "vm0");
	CHECK_EQ(s.uid, 2001);
	CHECK_EQ(s.gid, 2002);
	CHECK_STR(s.zhyve, "/usr/sbin/zhyve");
	CHECK_STR(s.config, "/var/lib/zhyve/vm0.conf");
	CHECK_EQ(s.ndisk, 2);
	CHECK_STR(s.disk[0].path, "/srv/vm0/disk0.img");
	CHECK(!s.disk[0].ro);
	CHECK_STR(s.disk[1].path, "/dev/vdb");
	CHECK(s.disk[1].ro);
	CHECK_EQ(s.nboot, 2);
	CHECK_EQ(s.nro, 1);
	CHECK_EQ(s.ntap, 2);
	CHECK_STR(s.tap[1], "vm0.net1");
	CHECK(!s.netns);
	CHECK(s.vhost_net);
	CHECK(s.cgroup);
	CHECK_STR(s.cgroup_parent, "machine/zhyve");
	CHECK_EQ(s.memory_max, 600ULL << 20);
	CHECK_EQ(s.memory_swap_max, 0);
	CHECK_EQ(s.cpu_quota, 50000);
	CHECK_EQ(s.cpu_period, 100000);
	CHECK_EQ(s.cpu_weight, 200);
	CHECK_EQ(s.pids_max, 64);
	CHECK_EQ(s.nio, 1);
	CHECK_EQ(s.io[0].maj, 8);
	CHECK_EQ(s.io[0].min, 16);
	CHECK(s.io[0].limit[ZONE_IO_RBPS] == 1048576);
	CHECK(s.io[0].limit[ZONE_IO_WBPS] == ZONE_UNSET);
	CHECK(s.io[0].limit[ZONE_IO_WIOPS] == ZONE_NOLIMIT);
	CHECK_EQ(s.nofile, 1024);
	CHECK_EQ(s.fsize, 10ULL << 30);
	CHECK_EQ(s.tmpfs_run, 64 * 1024);
	CHECK_EQ(s.tmpfs_tmp, 2 * 1024 * 1024);
	zone_spec_free(&s);
}

TEST(defaults)
{
	struct zone_spec s;

	zone_spec_init(&s);
	CHECK_EQ(parse(BASE, &s), 0);
	CHECK(s.netns);
	CHECK(!s.vhost_net);
	CHECK(s.cgroup);
	CHECK(s.cgroup_parent == NULL);
	CHECK(s.memory_max == ZONE_UNSET);
	CHECK(s.pids_max == ZONE_UNSET);
	CHECK(s.fsize == ZONE_NOLIMIT);
	CHECK_EQ(s.nofile, 4096);
	CHECK_EQ(s.tmpfs_run, 1 << 20);
	CHECK_EQ(s.tmpfs_tmp, 16 << 20);
	zone_spec_free(&s);
}

/* The canonical print parses back to the same print. */
TEST(print_round_trip)
{
	struct zone_spec a, b;
	char *pa, *pb;

	zone_spec_init(&a);
	zone_spec_init(&b);
	CHECK_EQ(parse(BASE "disk = /srv/a.img\nboot = /srv/rom.bin\n"
	    "cpu.max = max 20000\npids.max = max\nmemory.max = 64m\n"
	    "io.max = /dev/sda wbps=4096 riops=10\nrlimit.fsize = unlimited\n",
	    &a), 0);
	pa = dump(&a);
	CHECK(pa != NULL);
	if (pa != NULL)
		CHECK_EQ(parse(pa, &b), 0);
	pb = dump(&b);
	CHECK(pb != NULL && pa != NULL && strcmp(pa, pb) == 0);
	CHECK(a.cpu_quota == ZONE_NOLIMIT);
	CHECK_EQ(a.cpu_period, 20000);
	free(pa);
	free(pb);
	zone_spec_free(&a);
	zone_spec_free(&b);
}

TEST(unknown_and_malformed)
{
	CHECK(bad("memroy.max = 1G\n", "spec:6: memroy.max: unknown key"));
	CHECK(bad("rlimit.nproc = 10\n", "rlimit.nproc: unknown key"));
	CHECK(bad("just some words\n", "spec:6: 'just some words': expected "
	    "key = value"));
	CHECK(bad("= 5\n", ": unknown key"));
	CHECK(bad("tap =\n", "tap: empty value"));
	CHECK(bad("name = vm1\n", "spec:6: name: given twice (first on line 1)"));
	CHECK(bad("uid = 3000\n", "uid: given twice"));
	CHECK(bad("netns = maybe\n", "netns: 'maybe' is not on or off"));
}

TEST(missing_keys)
{
	struct zone_spec s;

	zone_spec_init(&s);
	CHECK_EQ(parse("uid = 5\ngid = 5\nzhyve = /z\nconfig = /c\n", &s), -1);
	CHECK(strstr(err, "name: missing") != NULL);
	CHECK_EQ(parse("name = a\ngid = 5\nzhyve = /z\nconfig = /c\n", &s),
	    -1);
	CHECK(strstr(err, "uid: missing") != NULL);
	CHECK_EQ(parse("name = a\nuid = 5\nzhyve = /z\nconfig = /c\n", &s),
	    -1);
	CHECK(strstr(err, "gid: missing") != NULL);
	CHECK_EQ(parse("name = a\nuid = 5\ngid = 5\nconfig = /c\n", &s), -1);
	CHECK(strstr(err, "zhyve: missing") != NULL);
	CHECK_EQ(parse("name = a\nuid = 5\ngid = 5\nzhyve = /z\n", &s), -1);
	CHECK(strstr(err, "config: missing") != NULL);
	CHECK_EQ(parse("", &s), -1);
	CHECK(strstr(err, "name: missing") != NULL);
	zone_spec_free(&s);
}

TEST(ids_and_names)
{
	CHECK(bad_text(IDS("a", "0", "5"), "spec:2: uid: 0 is root's"));
	CHECK(bad_text(IDS("a", "5", "0"), "spec:3: gid: 0 is root's"));
	CHECK(bad_text(IDS("a", "-1", "5"), "uid: '-1' is not a number"));
	CHECK(bad_text(IDS("a", "4294967295", "5"),
	    "uid: 4294967295 is out of range"));
	CHECK(bad_text(IDS("a", "12abc", "5"), "uid: '12abc' is not a number"));
	CHECK(bad_text(IDS("../x", "5", "5"),
	    "name: '../x' is not a valid VM name"));
	CHECK(bad_text(IDS("a/b", "5", "5"), "is not a valid VM name"));
	CHECK(bad_text(IDS("-rf", "5", "5"), "is not a valid VM name"));
	CHECK(bad_text(IDS(
	    "a234567890123456789012345678901234567890123456789012345678901234",
	    "5", "5"), "is not a valid VM name"));
	CHECK(bad_text("name = a\nuid = 5\ngid = 5\nzhyve = zhyve\n"
	    "config = /c\n", "spec:4: zhyve: 'zhyve' is not a clean absolute"));
	CHECK(bad_text("name = a\nuid = 5\ngid = 5\nzhyve = /z\n"
	    "config = c\n", "spec:5: config: 'c' is not a clean absolute"));
	CHECK(bad("tap = tap0/x\n", "tap: 'tap0/x' is not an interface name"));
	CHECK(bad("tap = abcdefghijklmnop\n", "is not an interface name"));
	CHECK(bad("tap = ..\n", "is not an interface name"));
	CHECK(bad("tap = t0\ntap = t0\n", "tap: 't0' is already given"));
}

TEST(paths_outside_allowed_set)
{
	CHECK(bad("ro = /etc\n", "ro: '/etc' is outside the allowed set"));
	CHECK(bad("ro = /etc/shadow\n", "is outside the allowed set"));
	CHECK(bad("ro = /usrx/lib\n", "is outside the allowed set"));
	CHECK(bad("ro = /\n", "ro: '/' is not a clean absolute path"));
	CHECK(bad("ro = /usr/../etc\n", "is not a clean absolute path"));
	CHECK(bad("ro = /usr/./lib\n", "is not a clean absolute path"));
	CHECK(bad("ro = /usr//lib\n", "is not a clean absolute path"));
	CHECK(bad("ro = usr/lib\n", "is not a clean absolute path"));
	CHECK(bad("ro = /usr/lib/\n", "is not a clean absolute path"));
	CHECK(bad("disk = relative.img\n", "disk: 'relative.img' is not a "
	    "clean absolute path"));
	CHECK(bad("disk = /srv/../etc/passwd\n", "is not a clean absolute"));
	CHECK(bad("disk = /usr/lib/disk.img\n", "disk: '/usr/lib/disk.img' "
	    "lies in a read-only system directory"));
	CHECK(bad("disk_ro = /lib/x.img\n", "lies in a read-only system"));
	CHECK(bad("disk = /proc/self/mem\n", "is where the zone keeps its "
	    "own files"));
	CHECK(bad("disk = /sys/block/sda\n", "is where the zone keeps"));
	CHECK(bad("disk = /zhyve\n", "is where the zone keeps"));
	CHECK(bad("boot = /config\n", "is where the zone keeps"));
	CHECK(bad("disk = /dev/kvm\n", "disk: '/dev/kvm' is one of the zone's "
	    "standard devices"));
	CHECK(bad("disk = /dev/net/tun\n", "standard devices"));
	CHECK(bad("disk = /srv/a.img\ndisk_ro = /srv/a.img\n",
	    "disk_ro: '/srv/a.img' is already given"));
	CHECK(bad("disk = /usr/sbin/zhyve\n", "lies in a read-only system"));
	CHECK(bad("disk = /var/lib/zhyve/vm0.conf\n", "disk: "
	    "'/var/lib/zhyve/vm0.conf' is one of the zone's own files"));
	CHECK(bad("cgroup.parent = /zhyve\n", "cgroup.parent: '/zhyve': give "
	    "a relative path"));
	CHECK(bad("cgroup.parent = a/../b\n", "cgroup.parent: 'a/../b': give "
	    "a relative path"));
	CHECK(bad("cgroup.parent = a b\n", "give a relative path"));
}

TEST(limits_out_of_range)
{
	CHECK(bad("memory.max = 1M\n", "memory.max: 1M is out of range "
	    "(4194304 to"));
	CHECK(bad("memory.max = 12q\n", "memory.max: '12q' is not a size"));
	CHECK(bad("memory.max = 99999999999999999999\n", "is not a size"));
	CHECK(bad("memory.max = 20000000T\n", "memory.max: '20000000T' is not "
	    "a size"));
	CHECK(bad("memory.swap.max = -1\n", "memory.swap.max: '-1' is not a "
	    "size"));
	CHECK(bad("cpu.max = 500\n", "cpu.max: 500 is out of range (1000 to"));
	CHECK(bad("cpu.max = 50000 2000000\n", "cpu.max: 2000000 is out of "
	    "range (1000 to 1000000)"));
	CHECK(bad("cpu.max = 1 2 3\n", "cpu.max: '1 2 3': expected"));
	CHECK(bad("cpu.max = fast\n", "cpu.max: 'fast' is not a number"));
	CHECK(bad("cpu.weight = 0\n", "cpu.weight: 0 is out of range (1 to "
	    "10000)"));
	CHECK(bad("cpu.weight = 10001\n", "cpu.weight: 10001 is out of range"));
	CHECK(bad("pids.max = 1\n", "pids.max: 1 is out of range"));
	CHECK(bad("pids.max = 5000000\n", "pids.max: 5000000 is out of range"));
	CHECK(bad("rlimit.nofile = 10\n", "rlimit.nofile: 10 is out of range"));
	CHECK(bad("rlimit.nofile = 2000000\n", "is out of range"));
	CHECK(bad("rlimit.fsize = 100\n", "rlimit.fsize: 100 is out of range"));
	CHECK(bad("rlimit.core = 1\n", "rlimit.core: core dumps are always "
	    "off"));
	CHECK(bad("tmpfs.run = 0\n", "tmpfs.run: 0 is out of range"));
	CHECK(bad("tmpfs.tmp = 2g\n", "tmpfs.tmp: 2g is out of range"));
	CHECK(bad("io.max = 8:0\n", "io.max: no limit after the device"));
	CHECK(bad("io.max = 8:0 rbps=0\n", "io.max: rbps: 0 is out of range"));
	CHECK(bad("io.max = 8:0 speed=5\n", "io.max: 'speed=5': expected"));
	CHECK(bad("io.max = 8:0 rbps=1 rbps=2\n", "'rbps=2': given twice"));
	CHECK(bad("io.max = sda rbps=1\n", "io.max: 'sda': give a block device"));
	CHECK(bad("io.max = /tmp/x rbps=1\n", "io.max: '/tmp/x': give a block"));
	CHECK(bad("io.max = 8:0x rbps=1\n", "give a block device"));
	CHECK(bad("cgroup = off\nmemory.max = 1G\n", "cgroup: off, but cgroup "
	    "limits are given"));
	CHECK(bad("cgroup = off\ncgroup.parent = x\n", "cgroup.parent: given "
	    "with cgroup=off"));
}

TEST(counts_and_sizes)
{
	struct zone_spec s;
	char *text;
	size_t len = 0, cap = 128 * 1024;
	int i;

	text = malloc(cap);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	len = (size_t)snprintf(text, cap, "%s", BASE);
	for (i = 0; i < ZONE_MAX_TAPS + 1; i++)
		len += (size_t)snprintf(text + len, cap - len, "tap = t%d\n", i);
	zone_spec_init(&s);
	CHECK_EQ(parse(text, &s), -1);
	CHECK(strstr(err, "tap: more than 32 given") != NULL);
	/* A file larger than the limit, a line longer than the limit. */
	memset(text, '#', cap - 1);
	text[cap - 1] = '\0';
	CHECK_EQ(parse(text, &s), -1);
	CHECK(strstr(err, "spec: larger than") != NULL);
	text[ZONE_SPEC_MAX_LINE + 10] = '\0';
	CHECK_EQ(parse(text, &s), -1);
	CHECK(strstr(err, "spec:1: line longer than") != NULL);
	/* A NUL byte inside the text. */
	memcpy(text, BASE, sizeof(BASE));
	CHECK_EQ(zone_spec_parse(text, sizeof(BASE), "spec", &s, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "NUL byte") != NULL);
	free(text);
	zone_spec_free(&s);
}

TEST(helpers)
{
	uint64_t v;

	CHECK(zone_path_under("/usr/lib", "/usr"));
	CHECK(zone_path_under("/usr", "/usr"));
	CHECK(!zone_path_under("/usrx", "/usr"));
	CHECK(!zone_path_under("/us", "/usr"));
	CHECK(zone_path_is_clean("/a/b"));
	CHECK(!zone_path_is_clean("/"));
	CHECK(!zone_path_is_clean("/a/b\n"));
	CHECK(!zone_path_is_clean("/a/.."));
	CHECK(zone_path_is_clean("/a/..b"));
	CHECK(zone_path_is_clean("/a/.b"));
	CHECK_EQ(zone_parse_size("4k", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(zone_parse_size("16777215T", &v), 0);
	CHECK_EQ(zone_parse_size("16777215t0", &v), -1);
	CHECK_EQ(zone_parse_size("16777216T", &v), -1);
	CHECK_EQ(zone_parse_size("18446744073709551615", &v), 0);
	CHECK_EQ(zone_parse_size("18446744073709551616", &v), -1);
	CHECK_EQ(zone_parse_size("", &v), -1);
	CHECK_EQ(zone_parse_size("k", &v), -1);
}

/* ---- the host check, on files made here ---------------------------------- */

static char tmpdir[64];

static void
mkfile(const char *name, mode_t mode, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
	(void)chmod(path, mode);
}

static char path_buf[256];

/* DEVNAME=vda from a uevent file, as /dev/vda. */
static void
find_devname(const char *uevent, char *out, size_t len)
{
	char line[256];
	FILE *f = fopen(uevent, "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "DEVNAME=", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "/dev/%s", line + 8);
		}
	fclose(f);
}

TEST(host_check)
{
	char zhyve[128], conf[128], img[128], text[2048];
	struct zone_spec s;
	int r;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/zone-spec-test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		SKIP("mkdtemp failed");
	mkfile("zhyve", 0755, zhyve, sizeof(zhyve));
	mkfile("conf", 0644, conf, sizeof(conf));
	mkfile("img", 0600, img, sizeof(img));
	zone_spec_init(&s);
	/* The image is the creator's, mode 0600: not for uid 2001. */
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = %s\nconfig = %s\ndisk = %s\n", zhyve, conf, img);
	CHECK_EQ(parse(text, &s), 0);
	r = zone_spec_check_host(&s, err, sizeof(err));
	if (geteuid() == 2001) {
		CHECK_EQ(r, 0);
	} else {
		CHECK_EQ(r, -1);
		CHECK(strstr(err, "disk: ") != NULL &&
		    strstr(err, "is not readable and writable by uid 2001") !=
		    NULL);
	}
	/* Read-only is enough for disk_ro once others may read it. */
	(void)chmod(img, 0644);
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = %s\nconfig = %s\ndisk_ro = %s\nro = /usr/lib\n", zhyve,
	    conf, img);
	CHECK_EQ(parse(text, &s), 0);
	r = zone_spec_check_host(&s, err, sizeof(err));
	if (access("/dev/kvm", F_OK) == 0)
		CHECK_EQ(r, 0);
	else
		CHECK(strstr(err, "/dev/kvm") != NULL);
	/* A missing file, a directory, a non-executable zhyve. */
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = %s\nconfig = %s/nope\n", zhyve, tmpdir);
	CHECK_EQ(parse(text, &s), 0);
	CHECK_EQ(zone_spec_check_host(&s, err, sizeof(err)), -1);
	CHECK(strstr(err, "config: ") != NULL &&
	    strstr(err, "No such file") != NULL);
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = %s\nconfig = %s\nboot = %s\n", zhyve, conf, tmpdir);
	CHECK_EQ(parse(text, &s), 0);
	CHECK_EQ(zone_spec_check_host(&s, err, sizeof(err)), -1);
	CHECK(strstr(err, "boot: ") != NULL &&
	    strstr(err, "is not a regular file") != NULL);
	(void)chmod(zhyve, 0644);
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = %s\nconfig = %s\n", zhyve, conf);
	CHECK_EQ(parse(text, &s), 0);
	CHECK_EQ(zone_spec_check_host(&s, err, sizeof(err)), -1);
	CHECK(strstr(err, "zhyve: ") != NULL &&
	    strstr(err, "readable and executable") != NULL);
	/* A regular file under /dev, a tap that does not exist. */
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = /bin/sh\nconfig = %s\ndisk = /dev/null\n", conf);
	CHECK_EQ(parse(text, &s), -1);
	CHECK(strstr(err, "standard devices") != NULL);
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = /bin/sh\nconfig = %s\ntap = zq-no-such\n", conf);
	CHECK_EQ(parse(text, &s), 0);
	CHECK_EQ(zone_spec_check_host(&s, err, sizeof(err)), -1);
	CHECK(strstr(err, "tap: 'zq-no-such': no such interface") != NULL);
	/* The host's root disk is mounted: never a guest's. */
	{
		struct stat rst;
		char dev[300] = "";

		if (stat("/", &rst) == 0 && major(rst.st_dev) != 0) {
			snprintf(path_buf, sizeof(path_buf),
			    "/sys/dev/block/%u:%u/uevent", major(rst.st_dev),
			    minor(rst.st_dev));
			find_devname(path_buf, dev, sizeof(dev));
		}
		if (dev[0] != '\0' && access(dev, F_OK) == 0) {
			snprintf(text, sizeof(text), "name = t\nuid = 2001\n"
			    "gid = 2001\nzhyve = /bin/sh\nconfig = %s\n"
			    "disk_ro = %s\n", conf, dev);
			CHECK_EQ(parse(text, &s), 0);
			CHECK_EQ(zone_spec_check_host(&s, err, sizeof(err)), -1);
			CHECK(strstr(err, "is mounted on the host at /") != NULL);
		}
	}
	zone_spec_free(&s);
	unlink(zhyve);
	unlink(conf);
	unlink(img);
	rmdir(tmpdir);
}

/*
 * A symlink under /usr that points outside the allowed set: one the host
 * already has (Debian's libssl keeps /usr/lib/ssl/certs -> /etc/ssl/certs),
 * or the first such link found near the top of /usr/lib.
 */
static int
find_escaping_link(char *out, size_t len)
{
	static const char *const known[] = {
		"/usr/lib/ssl/certs", "/usr/lib/ssl/openssl.cnf",
		"/usr/lib/environment.d/99-environment.conf", NULL
	};
	char target[256];
	ssize_t n;
	int i;

	for (i = 0; known[i] != NULL; i++) {
		n = readlink(known[i], target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, "/etc/", 5) == 0 &&
		    access(known[i], F_OK) == 0) {
			snprintf(out, len, "%s", known[i]);
			return 0;
		}
	}
	return -1;
}

TEST(host_check_symlink_escape)
{
	char link[256], text[768];
	struct zone_spec s;

	if (find_escaping_link(link, sizeof(link)) != 0)
		SKIP("no symlink from /usr/lib to /etc on this host");
	zone_spec_init(&s);
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = /bin/sh\nconfig = /etc/passwd\nro = %s\n", link);
	CHECK_EQ(parse(text, &s), 0);
	CHECK_EQ(zone_spec_check_host(&s, err, sizeof(err)), -1);
	CHECK(strstr(err, "resolves outside the allowed set") != NULL);
	snprintf(text, sizeof(text), "name = t\nuid = 2001\ngid = 2001\n"
	    "zhyve = /bin/sh\nconfig = /etc/passwd\nboot = %s\n", link);
	CHECK_EQ(parse(text, &s), 0);
	CHECK_EQ(zone_spec_check_host(&s, err, sizeof(err)), -1);
	CHECK(strstr(err, "resolves outside it") != NULL ||
	    strstr(err, "is not a regular file") != NULL);
	zone_spec_free(&s);
}

int
main(void)
{
	RUN(good_spec);
	RUN(defaults);
	RUN(print_round_trip);
	RUN(unknown_and_malformed);
	RUN(missing_keys);
	RUN(ids_and_names);
	RUN(paths_outside_allowed_set);
	RUN(limits_out_of_range);
	RUN(counts_and_sizes);
	RUN(helpers);
	RUN(host_check);
	RUN(host_check_symlink_escape);
	TEST_SUMMARY();
}
