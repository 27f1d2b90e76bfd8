/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VM's cgroup (v2): <cgroup2 mount>/<cgroup.parent>/<name>, with the
 * memory, CPU, pids and I/O limits of the spec.
 *
 *  - probe: find the cgroup2 mount (cgroup.mount, else /sys/fs/cgroup if it
 *    is cgroup2, else the first cgroup2 in mountinfo) and check that its
 *    root offers the controllers the spec needs.  The memory controller is
 *    always needed: it is how an OOM kill is told apart from a plain
 *    SIGKILL.  A host with the v1 hybrid layout has a cgroup2 mount with
 *    no controllers; the message says so and what to do.
 *  - create: enable the controllers from the root down to the parent
 *    (cgroup.subtree_control), make the VM's directory, write the limits
 *    and memory.oom.group=1 (an OOM kill takes the whole zone), remember
 *    memory.events' oom_kill, and open cgroup.procs for the child.
 *  - the child writes "0" into cgroup.procs: it moves itself.
 *  - destroy: rmdir once zhyve is gone (the zone's last task may take a
 *    moment to leave).
 *
 * Threads: single-threaded launcher (enter runs in the child).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "zone.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

enum { C_MEMORY, C_CPU, C_PIDS, C_IO, C_N };
static const char *const ctl_name[C_N] = { "memory", "cpu", "pids", "io" };

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
is_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* Reads a small file into buf (NUL-terminated); -1 with errno. */
static int
read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int
write_file(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Is `word` one of the blank-separated words of `list`? */
static bool
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/* The controllers this spec needs. */
static void
needed(const struct zone_spec *s, bool need[C_N])
{
	need[C_MEMORY] = true;
	need[C_CPU] = s->cpu_quota != ZONE_UNSET || s->cpu_weight != ZONE_UNSET;
	need[C_PIDS] = s->pids_max != ZONE_UNSET;
	need[C_IO] = s->nio > 0;
}

/* A cgroup v1 hierarchy holding a controller, for the message. */
static bool
v1_holder(const char *ctl, char *where, size_t len)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *sep = strstr(line, " - cgroup ");
		char mnt[512], opts[512];

		if (sep == NULL ||
		    sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(sep, " - cgroup %*s %511s", opts) != 1)
			continue;
		for (char *o = strtok(opts, ","); o != NULL;
		    o = strtok(NULL, ","))
			if (strcmp(o, ctl) == 0) {
				snprintf(where, len, "%s", mnt);
				found = true;
			}
	}
	fclose(f);
	return found;
}

static int
find_mount(const struct zone_spec *s, char *mnt, size_t len, char *err,
    size_t errlen)
{
	char line[1024];
	FILE *f;

	if (s->cgroup_mount != NULL) {
		if (!is_cgroup2(s->cgroup_mount))
			return fail(err, errlen, "cgroup.mount: '%s' is not a "
			    "cgroup2 file system", s->cgroup_mount);
		snprintf(mnt, len, "%s", s->cgroup_mount);
		return 0;
	}
	if (is_cgroup2("/sys/fs/cgroup")) {
		snprintf(mnt, len, "/sys/fs/cgroup");
		return 0;
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char m[512];

			if (strstr(line, " - cgroup2 ") == NULL ||
			    sscanf(line, "%*s %*s %*s %*s %511s", m) != 1)
				continue;
			snprintf(mnt, len, "%s", m);
			fclose(f);
			return 0;
		}
		fclose(f);
	}
	return fail(err, errlen, "no usable cgroup v2: no cgroup2 file system "
	    "is mounted (mount one on /sys/fs/cgroup, or set cgroup=off in "
	    "the zone spec for development only: no resource limits)");
}

int
zone_cgroup_probe(const struct zone_spec *s, struct zone_cgroup *cg,
    char *err, size_t errlen)
{
	char path[PATH_MAX + 64], ctls[512], where[512];
	bool need[C_N];
	int c;

	memset(cg, 0, sizeof(*cg));
	cg->procs_fd = -1;
	if (find_mount(s, cg->mount, sizeof(cg->mount), err, errlen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg->mount);
	if (read_small(path, ctls, sizeof(ctls)) != 0)
		return fail(err, errlen, "no usable cgroup v2: cannot read %s: "
		    "%s", path, strerror(errno));
	needed(s, need);
	for (c = 0; c < C_N; c++) {
		if (!need[c] || has_word(ctls, ctl_name[c]))
			continue;
		if (v1_holder(ctl_name[c], where, sizeof(where)))
			return fail(err, errlen, "no usable cgroup v2: the %s "
			    "controller is not available at %s because a cgroup "
			    "v1 hierarchy holds it (%s): this host uses the v1 "
			    "or hybrid layout.  Boot it with "
			    "systemd.unified_cgroup_hierarchy=1 (or "
			    "cgroup_no_v1=all), or set cgroup=off in the zone "
			    "spec for development only (no resource limits)",
			    ctl_name[c], cg->mount, where);
		return fail(err, errlen, "no usable cgroup v2: the %s controller "
		    "is not available at %s (cgroup.controllers: '%.*s'); set "
		    "cgroup=off in the zone spec for development only (no "
		    "resource limits)", ctl_name[c], cg->mount,
		    (int)strcspn(ctls, "\n"), ctls);
	}
	return 0;
}

/* Enables the needed controllers in dir's cgroup.subtree_control. */
static int
enable(const char *dir, const bool need[C_N], char *err, size_t errlen)
{
	char path[PATH_MAX], ctls[512], val[32];
	int c;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (read_small(path, ctls, sizeof(ctls)) != 0)
		return fail(err, errlen, "cgroup: cannot read %s: %s", path,
		    strerror(errno));
	for (c = 0; c < C_N; c++) {
		if (!need[c])
			continue;
		if (!has_word(ctls, ctl_name[c]))
			return fail(err, errlen, "cgroup: the %s controller is "
			    "not available in %s", ctl_name[c], dir);
		snprintf(val, sizeof(val), "+%s", ctl_name[c]);
		if (write_file(dir, "cgroup.subtree_control", val) != 0)
			return fail(err, errlen, "cgroup: cannot enable %s in "
			    "%s/cgroup.subtree_control: %s%s", ctl_name[c], dir,
			    strerror(errno), errno == EBUSY ? " (the cgroup "
			    "has processes of its own; choose another "
			    "cgroup.parent)" : "");
	}
	return 0;
}

/* Reads "key N" from a flat-keyed file such as memory.events. */
static uint64_t
read_key(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX], buf[1024], *p;
	size_t n = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_small(path, buf, sizeof(buf)) != 0)
		return 0;
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return 0;
}

static void
fmt_limit(char *buf, size_t len, uint64_t v)
{
	if (v == ZONE_NOLIMIT)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static int
write_limits(const struct zone_spec *s, const char *dir, char *err,
    size_t errlen)
{
	static const char *const ionames[ZONE_IO_N] = {
		"rbps", "wbps", "riops", "wiops"
	};
	struct { const char *key, *file; uint64_t v; } lim[] = {
		{ "memory.max", "memory.max", s->memory_max },
		{ "memory.swap.max", "memory.swap.max", s->memory_swap_max },
		{ "pids.max", "pids.max", s->pids_max },
		{ "cpu.weight", "cpu.weight", s->cpu_weight },
	};
	char val[256], num[32];
	size_t i;
	int j;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (lim[i].v == ZONE_UNSET)
			continue;
		fmt_limit(val, sizeof(val), lim[i].v);
		if (write_file(dir, lim[i].file, val) != 0)
			return fail(err, errlen, "%s: cannot write '%s' to "
			    "%s/%s: %s%s", lim[i].key, val, dir, lim[i].file,
			    strerror(errno), errno == ENOENT ? " (not "
			    "supported by this host's kernel configuration)" :
			    "");
	}
	if (s->cpu_quota != ZONE_UNSET) {
		fmt_limit(num, sizeof(num), s->cpu_quota);
		snprintf(val, sizeof(val), "%s %llu", num,
		    (unsigned long long)s->cpu_period);
		if (write_file(dir, "cpu.max", val) != 0)
			return fail(err, errlen, "cpu.max: cannot write '%s' to "
			    "%s/cpu.max: %s", val, dir, strerror(errno));
	}
	for (i = 0; i < s->nio; i++) {
		size_t n = (size_t)snprintf(val, sizeof(val), "%u:%u",
		    s->io[i].maj, s->io[i].min);

		for (j = 0; j < ZONE_IO_N && n < sizeof(val); j++) {
			if (s->io[i].limit[j] == ZONE_UNSET)
				continue;
			fmt_limit(num, sizeof(num), s->io[i].limit[j]);
			n += (size_t)snprintf(val + n, sizeof(val) - n,
			    " %s=%s", ionames[j], num);
		}
		if (write_file(dir, "io.max", val) != 0)
			return fail(err, errlen, "io.max: cannot write '%s' to "
			    "%s/io.max: %s%s", val, dir, strerror(errno),
			    errno == ENODEV || errno == EINVAL ? " (io.max "
			    "takes a whole disk, not a partition)" : "");
	}
	/* An OOM kill takes the whole zone, never a part of it. */
	if (write_file(dir, "memory.oom.group", "1") != 0)
		return fail(err, errlen, "cgroup: cannot write 1 to "
		    "%s/memory.oom.group: %s", dir, strerror(errno));
	return 0;
}

int
zone_cgroup_create(const struct zone_spec *s, struct zone_cgroup *cg,
    char *err, size_t errlen)
{
	const char *parent = s->cgroup_parent != NULL ? s->cgroup_parent :
	    "zhyve";
	char dir[PATH_MAX], procs[256], path[PATH_MAX + 16];
	bool need[C_N];
	const char *p;

	needed(s, need);
	cg->memory = need[C_MEMORY];
	/* Enable the controllers level by level down to the parent. */
	snprintf(dir, sizeof(dir), "%s", cg->mount);
	if (enable(dir, need, err, errlen) != 0)
		return -1;
	for (p = parent; *p != '\0';) {
		size_t n = strcspn(p, "/");

		if (strlen(dir) + n + 2 > sizeof(dir))
			return fail(err, errlen, "cgroup.parent: path too long");
		strcat(dir, "/");
		strncat(dir, p, n);
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return fail(err, errlen, "cgroup: cannot make %s: %s",
			    dir, strerror(errno));
		if (enable(dir, need, err, errlen) != 0)
			return -1;
		p += n;
		if (*p == '/')
			p++;
	}
	if ((size_t)snprintf(cg->path, sizeof(cg->path), "%s/%s", dir,
	    s->name) >= sizeof(cg->path))
		return fail(err, errlen, "cgroup: path too long");
	if (mkdir(cg->path, 0755) == 0) {
		cg->created = true;
	} else if (errno == EEXIST) {
		/* A cgroup left by an earlier run may be reused if empty. */
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->path);
		if (read_small(path, procs, sizeof(procs)) != 0)
			return fail(err, errlen, "cgroup: %s exists and cannot "
			    "be read: %s", cg->path, strerror(errno));
		if (procs[0] != '\0')
			return fail(err, errlen, "cgroup: %s has processes: is "
			    "a zone named '%s' running already?", cg->path,
			    s->name);
		cg->created = true;	/* ours now: removed at the end */
	} else {
		return fail(err, errlen, "cgroup: cannot make %s: %s",
		    cg->path, strerror(errno));
	}
	if (write_limits(s, cg->path, err, errlen) != 0)
		goto undo;
	cg->oom_kills0 = read_key(cg->path, "memory.events", "oom_kill");
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->path);
	cg->procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (cg->procs_fd < 0) {
		fail(err, errlen, "cgroup: cannot open %s: %s", path,
		    strerror(errno));
		goto undo;
	}
	return 0;
undo:
	(void)rmdir(cg->path);
	cg->created = false;
	return -1;
}

int
zone_cgroup_enter(const struct zone_cgroup *cg, char *err, size_t errlen)
{
	struct statfs sf;

	/* Make sure the descriptor still is the cgroup's cgroup.procs. */
	if (fstatfs(cg->procs_fd, &sf) != 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return fail(err, errlen, "cgroup: lost the descriptor of "
		    "%s/cgroup.procs", cg->path);
	if (write(cg->procs_fd, "0", 1) != 1)
		return fail(err, errlen, "cgroup: cannot join %s: %s", cg->path,
		    strerror(errno));
	return 0;
}

uint64_t
zone_cgroup_oom_kills(const struct zone_cgroup *cg)
{
	uint64_t n;

	if (!cg->memory || cg->path[0] == '\0')
		return 0;
	n = read_key(cg->path, "memory.events", "oom_kill");
	return n > cg->oom_kills0 ? n - cg->oom_kills0 : 0;
}

uint64_t
zone_cgroup_memory_peak(const struct zone_cgroup *cg)
{
	char path[PATH_MAX + 16], buf[64];

	if (!cg->memory || cg->path[0] == '\0')
		return 0;
	snprintf(path, sizeof(path), "%s/memory.peak", cg->path);
	if (read_small(path, buf, sizeof(buf)) != 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

int
zone_cgroup_destroy(struct zone_cgroup *cg, char *err, size_t errlen)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	if (cg->procs_fd >= 0) {
		close(cg->procs_fd);
		cg->procs_fd = -1;
	}
	if (!cg->created)
		return 0;
	for (i = 0; i < 100; i++) {
		if (rmdir(cg->path) == 0 || errno == ENOENT) {
			cg->created = false;
			return 0;
		}
		if (errno != EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	return fail(err, errlen, "cgroup: cannot remove %s: %s", cg->path,
	    strerror(errno));
}
