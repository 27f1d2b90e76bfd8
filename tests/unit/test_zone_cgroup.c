/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the zone's cgroup handling (zone/zone_cgroup.c): a mount
 * that is not cgroup2 is refused by name; a host without a usable cgroup v2
 * gets the "no usable cgroup v2" explanation; on a host with one (and as
 * root) a cgroup is made with the spec's limits, joined by a child and
 * removed.  Single-threaded (plus one forked child).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "zone.h"

#define BASE "name = zcgtest\nuid = 2001\ngid = 2001\nzhyve = /z\n" \
	"config = /c\n"

static char err[1024];

static int
spec(const char *text, struct zone_spec *s)
{
	zone_spec_init(s);
	return zone_spec_parse(text, strlen(text), "spec", s, err,
	    sizeof(err));
}

/* Is /sys/fs/cgroup cgroup2 with the memory controller at its root? */
static bool
host_has_v2(void)
{
	struct statfs sf;
	char buf[512] = "";
	ssize_t n;
	int fd;

	if (statfs("/sys/fs/cgroup", &sf) != 0 || sf.f_type != 0x63677270)
		return false;
	fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, "memory") != NULL;
}

TEST(mount_not_cgroup2)
{
	struct zone_spec s;
	struct zone_cgroup cg;

	CHECK_EQ(spec(BASE "cgroup.mount = /tmp\n", &s), 0);
	CHECK_EQ(zone_cgroup_probe(&s, &cg, err, sizeof(err)), -1);
	CHECK(strstr(err, "cgroup.mount: '/tmp' is not a cgroup2 file system")
	    != NULL);
	zone_spec_free(&s);
}

TEST(probe_explains)
{
	struct zone_spec s;
	struct zone_cgroup cg;
	int r;

	CHECK_EQ(spec(BASE "memory.max = 1G\n", &s), 0);
	r = zone_cgroup_probe(&s, &cg, err, sizeof(err));
	if (host_has_v2()) {
		CHECK_EQ(r, 0);
		CHECK_STR(cg.mount, "/sys/fs/cgroup");
	} else {
		CHECK_EQ(r, -1);
		CHECK(strstr(err, "no usable cgroup v2") != NULL);
		CHECK(strstr(err, "cgroup=off") != NULL);
	}
	zone_spec_free(&s);
}

static long
read_num(const char *dir, const char *file, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

TEST(create_join_destroy)
{
	struct zone_spec s;
	struct zone_cgroup cg;
	char buf[128];
	struct stat st;
	pid_t pid;
	int status = -1;

	if (!host_has_v2())
		SKIP("no usable cgroup v2 on this host");
	if (geteuid() != 0)
		SKIP("needs root");
	CHECK_EQ(spec(BASE "cgroup.parent = zhyve-unit-test\n"
	    "memory.max = 64M\npids.max = 16\ncpu.max = 20000 100000\n"
	    "cpu.weight = 30\n", &s), 0);
	CHECK_EQ(zone_cgroup_probe(&s, &cg, err, sizeof(err)), 0);
	if (zone_cgroup_create(&s, &cg, err, sizeof(err)) != 0) {
		printf("    %s\n", err);
		CHECK(0);
		zone_spec_free(&s);
		return;
	}
	CHECK_STR(cg.path, "/sys/fs/cgroup/zhyve-unit-test/zcgtest");
	read_num(cg.path, "memory.max", buf, sizeof(buf));
	CHECK_STR(buf, "67108864\n");
	read_num(cg.path, "pids.max", buf, sizeof(buf));
	CHECK_STR(buf, "16\n");
	read_num(cg.path, "cpu.max", buf, sizeof(buf));
	CHECK_STR(buf, "20000 100000\n");
	read_num(cg.path, "cpu.weight", buf, sizeof(buf));
	CHECK_STR(buf, "30\n");
	read_num(cg.path, "memory.oom.group", buf, sizeof(buf));
	CHECK_STR(buf, "1\n");
	/* A child joins, and the cgroup goes once it has ended. */
	pid = fork();
	if (pid == 0)
		_exit(zone_cgroup_enter(&cg, err, sizeof(err)) == 0 ? 0 : 1);
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(zone_cgroup_oom_kills(&cg), 0);
	CHECK_EQ(zone_cgroup_destroy(&cg, err, sizeof(err)), 0);
	CHECK(stat("/sys/fs/cgroup/zhyve-unit-test/zcgtest", &st) != 0);
	rmdir("/sys/fs/cgroup/zhyve-unit-test");
	zone_spec_free(&s);
}

int
main(void)
{
	RUN(mount_not_cgroup2);
	RUN(probe_explains);
	RUN(create_join_destroy);
	TEST_SUMMARY();
}
