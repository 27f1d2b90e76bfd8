/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The zone spec against the host: zone_spec_check_host() looks (and only
 * looks) at every file, device and tap the spec names, and
 * zone_spec_print() writes a spec back out in canonical form.
 *
 * The permission checks use the mode bits with the zone's uid and gid only:
 * zhyve runs without supplementary groups, and ACLs are not consulted.
 *
 * Threads: the launcher is single-threaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "zone_spec.h"

#define MAY_R 4
#define MAY_W 2
#define MAY_X 1

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Would uid/gid (no supplementary groups) get `want` on this inode? */
static bool
may(const struct stat *st, uid_t uid, gid_t gid, unsigned want)
{
	unsigned m;

	if (st->st_uid == uid)
		m = (st->st_mode >> 6) & 7;
	else if (st->st_gid == gid)
		m = (st->st_mode >> 3) & 7;
	else
		m = st->st_mode & 7;
	return (m & want) == want;
}

static const char *
perms(unsigned want)
{
	switch (want) {
	case MAY_R: return "readable";
	case MAY_R | MAY_W: return "readable and writable";
	case MAY_R | MAY_X: return "readable and executable";
	default: return "usable";
	}
}

/* A regular file the zone's uid may use as `want`. */
static int
check_regular(const struct zone_spec *s, const char *key, const char *path,
    unsigned want, struct stat *st, char *err, size_t errlen)
{
	if (stat(path, st) != 0)
		return fail(err, errlen, "%s: '%s': %s", key, path,
		    strerror(errno));
	if (!S_ISREG(st->st_mode))
		return fail(err, errlen, "%s: '%s' is not a regular file", key,
		    path);
	if (!may(st, s->uid, s->gid, want))
		return fail(err, errlen, "%s: '%s' is not %s by uid %u gid %u "
		    "(owner %u:%u, mode %04o); change its owner or mode",
		    key, path, perms(want), (unsigned)s->uid, (unsigned)s->gid,
		    (unsigned)st->st_uid, (unsigned)st->st_gid,
		    (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Does `path` (symlinks followed) lie inside one of the system dirs? */
static int
resolves_in_system(const char *path, bool *in, char *why, size_t whylen)
{
	char real[PATH_MAX], dir[PATH_MAX];
	int i;

	if (realpath(path, real) == NULL)
		return fail(why, whylen, "%s", strerror(errno));
	*in = false;
	for (i = 0; zone_system_dirs[i] != NULL; i++) {
		if (realpath(zone_system_dirs[i], dir) == NULL)
			continue;
		if (zone_path_under(real, dir))
			*in = true;
	}
	return 0;
}

static bool
lexically_in_system(const char *p)
{
	int i;

	for (i = 0; zone_system_dirs[i] != NULL; i++)
		if (zone_path_under(p, zone_system_dirs[i]))
			return true;
	return false;
}

/*
 * Where on the host the block device `dev`, or one of its partitions, is
 * mounted (the first such mount point), or false.  A guest must never get
 * a disk the host is using.
 */
static bool
blockdev_mounted(dev_t dev, char *where, size_t len)
{
	unsigned devs_maj[65], devs_min[65];
	char path[128], line[1024], name[256];
	size_t ndevs = 0, i;
	struct dirent *de;
	bool found = false;
	DIR *d;
	FILE *f;

	devs_maj[ndevs] = major(dev);
	devs_min[ndevs++] = minor(dev);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(dev),
	    minor(dev));
	d = opendir(path);
	while (d != NULL && (de = readdir(d)) != NULL && ndevs < 65) {
		char dpath[512], buf[32];
		unsigned a, b;
		FILE *df;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dpath, sizeof(dpath), "%s/%s/partition", path,
		    de->d_name);
		if (access(dpath, F_OK) != 0)
			continue;
		snprintf(dpath, sizeof(dpath), "%s/%s/dev", path, de->d_name);
		if ((df = fopen(dpath, "re")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), df) != NULL &&
		    sscanf(buf, "%u:%u", &a, &b) == 2) {
			devs_maj[ndevs] = a;
			devs_min[ndevs++] = b;
		}
		fclose(df);
	}
	if (d != NULL)
		closedir(d);
	f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		unsigned a, b;

		if (sscanf(line, "%*s %*s %u:%u %*s %255s", &a, &b, name) != 3)
			continue;
		for (i = 0; i < ndevs; i++)
			if (devs_maj[i] == a && devs_min[i] == b) {
				snprintf(where, len, "%s", name);
				found = true;
			}
	}
	fclose(f);
	return found;
}

static int
check_disk(const struct zone_spec *s, struct zone_file *f, char *err,
    size_t errlen)
{
	const char *key = f->ro ? "disk_ro" : "disk";
	char where[256];
	struct stat st;

	if (stat(f->path, &st) != 0)
		return fail(err, errlen, "%s: '%s': %s", key, f->path,
		    strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (!zone_path_under(f->path, "/dev"))
			return fail(err, errlen, "%s: '%s': a block device must "
			    "be named by a path under /dev", key, f->path);
		if (blockdev_mounted(st.st_rdev, where, sizeof(where)))
			return fail(err, errlen, "%s: '%s' (or a partition of it) "
			    "is mounted on the host at %s", key, f->path, where);
		f->blockdev = true;
		f->rdev = st.st_rdev;
		return 0;
	}
	if (zone_path_under(f->path, "/dev"))
		return fail(err, errlen, "%s: '%s' is under /dev but is not a "
		    "block device", key, f->path);
	return check_regular(s, key, f->path, f->ro ? MAY_R : MAY_R | MAY_W,
	    &st, err, errlen);
}

static int
check_boot(const struct zone_spec *s, struct zone_file *f, char *err,
    size_t errlen)
{
	struct stat st;
	char w[256];

	if (check_regular(s, "boot", f->path, MAY_R, &st, err, errlen) != 0)
		return -1;
	if (lexically_in_system(f->path)) {
		if (resolves_in_system(f->path, &f->in_system, w,
		    sizeof(w)) != 0)
			return fail(err, errlen, "boot: '%s': %s", f->path, w);
		if (!f->in_system)
			return fail(err, errlen, "boot: '%s' lies under a "
			    "system directory but resolves outside it", f->path);
	}
	return 0;
}

static int
check_ro(struct zone_file *f, char *err, size_t errlen)
{
	char w[256];

	if (resolves_in_system(f->path, &f->in_system, w, sizeof(w)) != 0)
		return fail(err, errlen, "ro: '%s': %s", f->path, w);
	if (!f->in_system)
		return fail(err, errlen, "ro: '%s' resolves outside the allowed "
		    "set (/lib, /lib64, /usr)", f->path);
	return 0;
}

/* A character device the zone gets a node of. */
static int
check_chardev(const char *path, const char *why, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return fail(err, errlen, "%s: %s on the host (%s)", path,
		    strerror(errno), why);
	if (!S_ISCHR(st.st_mode))
		return fail(err, errlen, "%s: not a character device on the "
		    "host (%s)", path, why);
	return 0;
}

/* Reads a small sysfs attribute as a number; -1 if absent. */
static int
read_sys_long(const char *path, long *out)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*out = strtol(buf, NULL, 0);
	return 0;
}

static int
check_tap(const struct zone_spec *s, const char *tap, char *err,
    size_t errlen)
{
	char path[128];
	long flags, owner, group;

	snprintf(path, sizeof(path), "/sys/class/net/%s", tap);
	if (access(path, F_OK) != 0)
		return fail(err, errlen, "tap: '%s': no such interface "
		    "(create it with 'ip tuntap add dev %s mode tap user %u')",
		    tap, tap, (unsigned)s->uid);
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", tap);
	if (read_sys_long(path, &flags) != 0 || (flags & 0x0002) == 0)
		return fail(err, errlen, "tap: '%s' is not a tap interface",
		    tap);
	snprintf(path, sizeof(path), "/sys/class/net/%s/owner", tap);
	if (read_sys_long(path, &owner) != 0)
		owner = -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/group", tap);
	if (read_sys_long(path, &group) != 0)
		group = -1;
	if (owner != (long)s->uid && group != (long)s->gid)
		return fail(err, errlen, "tap: '%s' belongs to user %ld group "
		    "%ld, so zhyve (uid %u gid %u) could not attach to it; "
		    "create it with 'ip tuntap add dev %s mode tap user %u'",
		    tap, owner, group, (unsigned)s->uid, (unsigned)s->gid, tap,
		    (unsigned)s->uid);
	return 0;
}

int
zone_spec_check_host(struct zone_spec *s, char *err, size_t errlen)
{
	static const char *const std_devs[] = {
		"/dev/null", "/dev/zero", "/dev/full", "/dev/urandom", NULL
	};
	struct stat st;
	size_t i;

	if (check_regular(s, "zhyve", s->zhyve, MAY_R | MAY_X, &st, err,
	    errlen) != 0 ||
	    check_regular(s, "config", s->config, MAY_R, &st, err,
	    errlen) != 0)
		return -1;
	for (i = 0; i < s->ndisk; i++)
		if (check_disk(s, &s->disk[i], err, errlen) != 0)
			return -1;
	for (i = 0; i < s->nboot; i++)
		if (check_boot(s, &s->boot[i], err, errlen) != 0)
			return -1;
	for (i = 0; i < s->nro; i++)
		if (check_ro(&s->ro[i], err, errlen) != 0)
			return -1;
	for (i = 0; i < s->ntap; i++)
		if (check_tap(s, s->tap[i], err, errlen) != 0)
			return -1;
	for (i = 0; std_devs[i] != NULL; i++)
		if (check_chardev(std_devs[i], "every zone has it", err,
		    errlen) != 0)
			return -1;
	if (check_chardev("/dev/kvm", "is the kvm module loaded?", err,
	    errlen) != 0)
		return -1;
	if (s->ntap > 0 && check_chardev("/dev/net/tun", "tap= needs it; is "
	    "the tun module loaded?", err, errlen) != 0)
		return -1;
	if (s->vhost_net && check_chardev("/dev/vhost-net", "vhost_net=on "
	    "needs it; is the vhost_net module loaded?", err, errlen) != 0)
		return -1;
	for (i = 0; i < s->nio; i++) {
		struct zone_io *io = &s->io[i];

		if (io->dev[0] != '/')
			continue;
		if (stat(io->dev, &st) != 0)
			return fail(err, errlen, "io.max: '%s': %s", io->dev,
			    strerror(errno));
		if (!S_ISBLK(st.st_mode))
			return fail(err, errlen, "io.max: '%s' is not a block "
			    "device", io->dev);
		io->maj = major(st.st_rdev);
		io->min = minor(st.st_rdev);
	}
	return 0;
}

/* ---- printing ------------------------------------------------------------ */

static void
print_limit(FILE *f, const char *key, uint64_t v, const char *word)
{
	if (v == ZONE_UNSET)
		return;
	if (v == ZONE_NOLIMIT)
		fprintf(f, "%s = %s\n", key, word);
	else
		fprintf(f, "%s = %llu\n", key, (unsigned long long)v);
}

void
zone_spec_print(const struct zone_spec *s, FILE *f)
{
	static const char *const ionames[ZONE_IO_N] = {
		"rbps", "wbps", "riops", "wiops"
	};
	size_t i;
	int j;

	fprintf(f, "name = %s\nuid = %u\ngid = %u\nzhyve = %s\nconfig = %s\n",
	    s->name, (unsigned)s->uid, (unsigned)s->gid, s->zhyve, s->config);
	for (i = 0; i < s->ndisk; i++)
		fprintf(f, "%s = %s\n", s->disk[i].ro ? "disk_ro" : "disk",
		    s->disk[i].path);
	for (i = 0; i < s->nboot; i++)
		fprintf(f, "boot = %s\n", s->boot[i].path);
	for (i = 0; i < s->nro; i++)
		fprintf(f, "ro = %s\n", s->ro[i].path);
	for (i = 0; i < s->ntap; i++)
		fprintf(f, "tap = %s\n", s->tap[i]);
	fprintf(f, "netns = %s\nvhost_net = %s\ncgroup = %s\n",
	    s->netns ? "on" : "off", s->vhost_net ? "on" : "off",
	    s->cgroup ? "on" : "off");
	if (s->cgroup_parent != NULL)
		fprintf(f, "cgroup.parent = %s\n", s->cgroup_parent);
	if (s->cgroup_mount != NULL)
		fprintf(f, "cgroup.mount = %s\n", s->cgroup_mount);
	print_limit(f, "memory.max", s->memory_max, "max");
	print_limit(f, "memory.swap.max", s->memory_swap_max, "max");
	if (s->cpu_quota == ZONE_NOLIMIT)
		fprintf(f, "cpu.max = max %llu\n",
		    (unsigned long long)s->cpu_period);
	else if (s->cpu_quota != ZONE_UNSET)
		fprintf(f, "cpu.max = %llu %llu\n",
		    (unsigned long long)s->cpu_quota,
		    (unsigned long long)s->cpu_period);
	print_limit(f, "cpu.weight", s->cpu_weight, "");
	print_limit(f, "pids.max", s->pids_max, "max");
	for (i = 0; i < s->nio; i++) {
		fprintf(f, "io.max = %s", s->io[i].dev);
		for (j = 0; j < ZONE_IO_N; j++) {
			if (s->io[i].limit[j] == ZONE_NOLIMIT)
				fprintf(f, " %s=max", ionames[j]);
			else if (s->io[i].limit[j] != ZONE_UNSET)
				fprintf(f, " %s=%llu", ionames[j],
				    (unsigned long long)s->io[i].limit[j]);
		}
		fputc('\n', f);
	}
	fprintf(f, "rlimit.nofile = %llu\n", (unsigned long long)s->nofile);
	print_limit(f, "rlimit.fsize", s->fsize, "unlimited");
	fprintf(f, "tmpfs.run = %llu\ntmpfs.tmp = %llu\n",
	    (unsigned long long)s->tmpfs_run, (unsigned long long)s->tmpfs_tmp);
}
