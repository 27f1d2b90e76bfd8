/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The zone spec parser: text in, a checked struct zone_spec out.
 *
 * Syntax (like zhyve's -k files): one "key = value" per line; blanks around
 * key and value are removed, as is a trailing CR; blank lines and lines
 * whose first non-blank character is '#' are ignored.  Keys are from the
 * table below; some may be repeated (disk, boot, ro, tap, io.max), every
 * other key may appear once.  The whole text is parsed into a private spec
 * and only copied out when everything is valid.
 *
 * Threads: the launcher is single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "zone_spec.h"

const char *const zone_system_dirs[] = { "/lib", "/lib64", "/usr", NULL };

/* Paths the zone builds itself: nothing from the spec may land there. */
static const char *const zone_reserved[] = {
	"/zhyve", "/config", "/dev", "/run", "/proc", "/sys", NULL
};

void
zone_spec_init(struct zone_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->uid = (uid_t)-1;
	s->gid = (gid_t)-1;
	s->netns = true;
	s->vhost_net = false;
	s->cgroup = true;
	s->memory_max = ZONE_UNSET;
	s->memory_swap_max = ZONE_UNSET;
	s->cpu_quota = ZONE_UNSET;
	s->cpu_period = 100000;
	s->cpu_weight = ZONE_UNSET;
	s->pids_max = ZONE_UNSET;
	s->nofile = 4096;
	s->fsize = ZONE_NOLIMIT;
	s->tmpfs_run = 1024 * 1024;
	s->tmpfs_tmp = 16 * 1024 * 1024;
}

void
zone_spec_free(struct zone_spec *s)
{
	size_t i;

	free(s->zhyve);
	free(s->config);
	free(s->cgroup_parent);
	free(s->cgroup_mount);
	for (i = 0; i < s->ndisk; i++)
		free(s->disk[i].path);
	for (i = 0; i < s->nboot; i++)
		free(s->boot[i].path);
	for (i = 0; i < s->nro; i++)
		free(s->ro[i].path);
	for (i = 0; i < s->nio; i++)
		free(s->io[i].dev);
	zone_spec_init(s);
}

/* ---- small checks shared with the rest of the launcher ---------------- */

bool
zone_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ZONE_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

bool
zone_valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ZONE_IFNAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

bool
zone_path_is_clean(const char *p)
{
	const char *c;
	size_t n = strlen(p);

	if (n < 2 || n >= ZONE_PATH_MAX || p[0] != '/' || p[n - 1] == '/')
		return false;
	for (c = p; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	for (c = p; c != NULL && *c != '\0'; c = strchr(c + 1, '/')) {
		const char *comp = c + 1;
		size_t len = strcspn(comp, "/");

		if (len == 0 || (len == 1 && comp[0] == '.') ||
		    (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return false;
	}
	return true;
}

bool
zone_path_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return p[0] == '/';
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int
zone_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *c = s;

	if (*c < '0' || *c > '9')
		return -1;
	for (; *c >= '0' && *c <= '9'; c++) {
		if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	switch (*c) {
	case '\0': break;
	case 'k': case 'K': mul = 1ULL << 10; c++; break;
	case 'm': case 'M': mul = 1ULL << 20; c++; break;
	case 'g': case 'G': mul = 1ULL << 30; c++; break;
	case 't': case 'T': mul = 1ULL << 40; c++; break;
	default: return -1;
	}
	if (*c != '\0' || (v != 0 && mul > UINT64_MAX / v))
		return -1;
	*out = v * mul;
	return 0;
}

/* ---- value setters: each checks one value and stores it --------------- */

static int __attribute__((format(printf, 3, 4)))
why(char *w, size_t wlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w, wlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A number in [lo, hi] or, when `word` is non-NULL, that word. */
static int
parse_limit(const char *v, uint64_t lo, uint64_t hi, bool sizes,
    const char *word, uint64_t *out, char *w, size_t wlen)
{
	uint64_t x;
	char *end;

	if (word != NULL && strcmp(v, word) == 0) {
		*out = ZONE_NOLIMIT;
		return 0;
	}
	if (sizes) {
		if (zone_parse_size(v, &x) != 0)
			return why(w, wlen, "'%s' is not a size (a number with "
			    "an optional k, m, g or t suffix%s%s)", v,
			    word ? ", or " : "", word ? word : "");
	} else {
		errno = 0;
		x = strtoull(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0)
			return why(w, wlen, "'%s' is not a number%s%s", v,
			    word ? " or " : "", word ? word : "");
	}
	if (x < lo || x > hi)
		return why(w, wlen, "%s is out of range (%llu to %llu%s%s)", v,
		    (unsigned long long)lo, (unsigned long long)hi,
		    word ? ", or " : "", word ? word : "");
	*out = x;
	return 0;
}

static int
parse_bool(const char *v, bool *out, char *w, size_t wlen)
{
	if (strcasecmp(v, "on") == 0 || strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(v, "off") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	return why(w, wlen, "'%s' is not on or off", v);
}

static int
parse_id(const char *v, uint32_t *out, char *w, size_t wlen)
{
	uint64_t x;

	if (parse_limit(v, 0, 4294967294ULL, false, NULL, &x, w, wlen) != 0)
		return -1;
	if (x == 0)
		return why(w, wlen, "0 is root's; the zone needs an "
		    "unprivileged id");
	*out = (uint32_t)x;
	return 0;
}

/* A clean absolute path, copied. */
static int
parse_path(const char *v, char **out, char *w, size_t wlen)
{
	if (!zone_path_is_clean(v))
		return why(w, wlen, "'%s' is not a clean absolute path (no "
		    "'.', '..', '//', trailing '/' or control characters; "
		    "shorter than %d)", v, ZONE_PATH_MAX);
	*out = strdup(v);
	if (*out == NULL)
		return why(w, wlen, "out of memory");
	return 0;
}

static bool
under_any(const char *p, const char *const *dirs)
{
	for (; *dirs != NULL; dirs++)
		if (zone_path_under(p, *dirs))
			return true;
	return false;
}

/* A file the zone sees at its host path (disk=, disk_ro=, boot=). */
static int
parse_file(const char *v, bool system_ok, struct zone_file *f, char *w,
    size_t wlen)
{
	if (parse_path(v, &f->path, w, wlen) != 0)
		return -1;
	if (under_any(v, zone_reserved) && !zone_path_under(v, "/dev") &&
	    !zone_path_under(v, "/run")) {
		free(f->path);
		f->path = NULL;
		return why(w, wlen, "'%s' is where the zone keeps its own files",
		    v);
	}
	if (zone_path_under(v, "/dev/net") || strcmp(v, "/dev/kvm") == 0 ||
	    strcmp(v, "/dev/null") == 0 || strcmp(v, "/dev/zero") == 0 ||
	    strcmp(v, "/dev/full") == 0 || strcmp(v, "/dev/urandom") == 0 ||
	    strcmp(v, "/dev/vhost-net") == 0) {
		free(f->path);
		f->path = NULL;
		return why(w, wlen, "'%s' is one of the zone's standard devices",
		    v);
	}
	if (!system_ok && under_any(v, zone_system_dirs)) {
		free(f->path);
		f->path = NULL;
		return why(w, wlen, "'%s' lies in a read-only system directory",
		    v);
	}
	return 0;
}

/* io.max: "DEVICE key=N|max ..." with keys rbps wbps riops wiops. */
static int
parse_io(const char *v, struct zone_io *io, char *w, size_t wlen)
{
	static const char *const names[ZONE_IO_N] = {
		"rbps", "wbps", "riops", "wiops"
	};
	char buf[ZONE_SPEC_MAX_LINE], inner[256], *save = NULL, *tok;
	unsigned maj, min;
	int nlim = 0, i;

	snprintf(buf, sizeof(buf), "%s", v);
	for (i = 0; i < ZONE_IO_N; i++)
		io->limit[i] = ZONE_UNSET;
	tok = strtok_r(buf, " \t", &save);
	if (tok == NULL)
		return why(w, wlen, "no device (expected 'DEVICE rbps=N "
		    "wbps=N riops=N wiops=N')");
	if (tok[0] == '/') {
		if (!zone_path_is_clean(tok) || !zone_path_under(tok, "/dev"))
			return why(w, wlen, "'%s': give a block device under "
			    "/dev or MAJOR:MINOR", tok);
		io->maj = io->min = 0;
	} else {
		char tail;

		if (sscanf(tok, "%u:%u%c", &maj, &min, &tail) != 2 ||
		    strspn(tok, "0123456789:") != strlen(tok))
			return why(w, wlen, "'%s': give a block device under "
			    "/dev or MAJOR:MINOR", tok);
		io->maj = maj;
		io->min = min;
	}
	io->dev = strdup(tok);
	if (io->dev == NULL)
		return why(w, wlen, "out of memory");
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		char *eq = strchr(tok, '=');

		for (i = 0; i < ZONE_IO_N; i++)
			if (eq != NULL && (size_t)(eq - tok) ==
			    strlen(names[i]) && strncmp(tok, names[i],
			    (size_t)(eq - tok)) == 0)
				break;
		if (i == ZONE_IO_N || io->limit[i] != ZONE_UNSET) {
			free(io->dev);
			io->dev = NULL;
			return why(w, wlen, i == ZONE_IO_N ? "'%s': expected "
			    "rbps=, wbps=, riops= or wiops=" :
			    "'%s': given twice", tok);
		}
		if (parse_limit(eq + 1, 1, UINT64_MAX - 2, i <= ZONE_IO_WBPS,
		    "max", &io->limit[i], inner, sizeof(inner)) != 0) {
			free(io->dev);
			io->dev = NULL;
			return why(w, wlen, "%s: %s", names[i], inner);
		}
		nlim++;
	}
	if (nlim == 0) {
		free(io->dev);
		io->dev = NULL;
		return why(w, wlen, "no limit after the device (rbps=, wbps=, "
		    "riops=, wiops=)");
	}
	return 0;
}

/* cpu.max: "max", "QUOTA" or "QUOTA PERIOD" (or "max PERIOD"), in us. */
static int
parse_cpu_max(const char *v, struct zone_spec *s, char *w, size_t wlen)
{
	char q[64], p[64], extra;
	int n = sscanf(v, "%63s %63s %c", q, p, &extra);

	if (n < 1 || n > 2)
		return why(w, wlen, "'%s': expected 'QUOTA [PERIOD]' in "
		    "microseconds, or 'max [PERIOD]'", v);
	if (n == 2 && parse_limit(p, 1000, 1000000, false, NULL,
	    &s->cpu_period, w, wlen) != 0)
		return -1;
	return parse_limit(q, 1000, 1ULL << 40, false, "max", &s->cpu_quota,
	    w, wlen);
}

/* ---- the key table ------------------------------------------------------- */

enum key_id {
	K_NAME, K_UID, K_GID, K_ZHYVE, K_CONFIG, K_DISK, K_DISK_RO, K_BOOT,
	K_RO, K_TAP, K_NETNS, K_VHOST, K_CGROUP, K_CG_PARENT, K_CG_MOUNT,
	K_MEM_MAX, K_SWAP_MAX, K_CPU_MAX, K_CPU_WEIGHT, K_PIDS_MAX, K_IO_MAX,
	K_NOFILE, K_FSIZE, K_CORE, K_TMPFS_RUN, K_TMPFS_TMP, K_COUNT
};

static const struct {
	const char *key;
	bool repeat;
} keys[K_COUNT] = {
	[K_NAME] = { "name", false },
	[K_UID] = { "uid", false },
	[K_GID] = { "gid", false },
	[K_ZHYVE] = { "zhyve", false },
	[K_CONFIG] = { "config", false },
	[K_DISK] = { "disk", true },
	[K_DISK_RO] = { "disk_ro", true },
	[K_BOOT] = { "boot", true },
	[K_RO] = { "ro", true },
	[K_TAP] = { "tap", true },
	[K_NETNS] = { "netns", false },
	[K_VHOST] = { "vhost_net", false },
	[K_CGROUP] = { "cgroup", false },
	[K_CG_PARENT] = { "cgroup.parent", false },
	[K_CG_MOUNT] = { "cgroup.mount", false },
	[K_MEM_MAX] = { "memory.max", false },
	[K_SWAP_MAX] = { "memory.swap.max", false },
	[K_CPU_MAX] = { "cpu.max", false },
	[K_CPU_WEIGHT] = { "cpu.weight", false },
	[K_PIDS_MAX] = { "pids.max", false },
	[K_IO_MAX] = { "io.max", true },
	[K_NOFILE] = { "rlimit.nofile", false },
	[K_FSIZE] = { "rlimit.fsize", false },
	[K_CORE] = { "rlimit.core", false },
	[K_TMPFS_RUN] = { "tmpfs.run", false },
	[K_TMPFS_TMP] = { "tmpfs.tmp", false },
};

static int
full(char *w, size_t wlen, size_t max)
{
	return why(w, wlen, "more than %zu given", max);
}

/* A path given twice among the files the zone sees. */
static bool
file_seen(const struct zone_spec *s, const char *p)
{
	size_t i;

	for (i = 0; i < s->ndisk; i++)
		if (strcmp(s->disk[i].path, p) == 0)
			return true;
	for (i = 0; i < s->nboot; i++)
		if (strcmp(s->boot[i].path, p) == 0)
			return true;
	for (i = 0; i < s->nro; i++)
		if (strcmp(s->ro[i].path, p) == 0)
			return true;
	return false;
}

static int
set_key(struct zone_spec *s, enum key_id k, const char *v, char *w,
    size_t wlen)
{
	struct zone_file *f;
	uint32_t id;
	size_t i;

	switch (k) {
	case K_NAME:
		if (!zone_valid_name(v))
			return why(w, wlen, "'%s' is not a valid VM name (1 to "
			    "%d of A-Z a-z 0-9 . _ -, not starting with . or -)",
			    v, ZONE_NAME_MAX);
		snprintf(s->name, sizeof(s->name), "%s", v);
		return 0;
	case K_UID:
		if (parse_id(v, &id, w, wlen) != 0)
			return -1;
		s->uid = (uid_t)id;
		return 0;
	case K_GID:
		if (parse_id(v, &id, w, wlen) != 0)
			return -1;
		s->gid = (gid_t)id;
		return 0;
	case K_ZHYVE:
		return parse_path(v, &s->zhyve, w, wlen);
	case K_CONFIG:
		return parse_path(v, &s->config, w, wlen);
	case K_DISK:
	case K_DISK_RO:
	case K_BOOT:
		if (zone_path_is_clean(v) && file_seen(s, v))
			return why(w, wlen, "'%s' is already given", v);
		if (k == K_BOOT) {
			if (s->nboot == ZONE_MAX_BOOT)
				return full(w, wlen, ZONE_MAX_BOOT);
			f = &s->boot[s->nboot];
		} else {
			if (s->ndisk == ZONE_MAX_DISKS)
				return full(w, wlen, ZONE_MAX_DISKS);
			f = &s->disk[s->ndisk];
		}
		if (parse_file(v, k == K_BOOT, f, w, wlen) != 0)
			return -1;
		f->ro = k != K_DISK;
		if (k == K_BOOT)
			s->nboot++;
		else
			s->ndisk++;
		return 0;
	case K_RO:
		if (s->nro == ZONE_MAX_RO)
			return full(w, wlen, ZONE_MAX_RO);
		if (!zone_path_is_clean(v))
			return why(w, wlen, "'%s' is not a clean absolute path",
			    v);
		if (!under_any(v, zone_system_dirs))
			return why(w, wlen, "'%s' is outside the allowed set "
			    "(/lib, /lib64, /usr; the zhyve binary, boot files "
			    "and disks have keys of their own)", v);
		if (file_seen(s, v))
			return why(w, wlen, "'%s' is already given", v);
		if (parse_path(v, &s->ro[s->nro].path, w, wlen) != 0)
			return -1;
		s->ro[s->nro++].ro = true;
		return 0;
	case K_TAP:
		if (s->ntap == ZONE_MAX_TAPS)
			return full(w, wlen, ZONE_MAX_TAPS);
		if (!zone_valid_ifname(v))
			return why(w, wlen, "'%s' is not an interface name (1 to "
			    "%d of A-Z a-z 0-9 . _ -)", v, ZONE_IFNAME_MAX);
		for (i = 0; i < s->ntap; i++)
			if (strcmp(s->tap[i], v) == 0)
				return why(w, wlen, "'%s' is already given", v);
		snprintf(s->tap[s->ntap++], sizeof(s->tap[0]), "%s", v);
		return 0;
	case K_NETNS:
		return parse_bool(v, &s->netns, w, wlen);
	case K_VHOST:
		return parse_bool(v, &s->vhost_net, w, wlen);
	case K_CGROUP:
		return parse_bool(v, &s->cgroup, w, wlen);
	case K_CG_PARENT:
		/* Relative to the cgroup2 mount: check it as "/" + value. */
		if (v[0] == '/' || strlen(v) + 2 >= ZONE_PATH_MAX) {
			return why(w, wlen, "'%s': give a relative path below "
			    "the cgroup2 mount, such as zhyve or machine/zhyve",
			    v);
		} else {
			char abs[ZONE_PATH_MAX];

			snprintf(abs, sizeof(abs), "/%s", v);
			if (!zone_path_is_clean(abs) ||
			    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
			    "KLMNOPQRSTUVWXYZ0123456789._-/") != strlen(v))
				return why(w, wlen, "'%s': give a relative "
				    "path of A-Z a-z 0-9 . _ - components", v);
		}
		s->cgroup_parent = strdup(v);
		return s->cgroup_parent == NULL ? why(w, wlen, "out of memory")
		    : 0;
	case K_CG_MOUNT:
		return parse_path(v, &s->cgroup_mount, w, wlen);
	case K_MEM_MAX:
		return parse_limit(v, 4ULL << 20, 1ULL << 60, true, "max",
		    &s->memory_max, w, wlen);
	case K_SWAP_MAX:
		return parse_limit(v, 0, 1ULL << 60, true, "max",
		    &s->memory_swap_max, w, wlen);
	case K_CPU_MAX:
		return parse_cpu_max(v, s, w, wlen);
	case K_CPU_WEIGHT:
		return parse_limit(v, 1, 10000, false, NULL, &s->cpu_weight, w,
		    wlen);
	case K_PIDS_MAX:
		return parse_limit(v, 2, 4194304, false, "max", &s->pids_max,
		    w, wlen);
	case K_IO_MAX:
		if (s->nio == ZONE_MAX_IO)
			return full(w, wlen, ZONE_MAX_IO);
		if (parse_io(v, &s->io[s->nio], w, wlen) != 0)
			return -1;
		s->nio++;
		return 0;
	case K_NOFILE:
		return parse_limit(v, 64, 1048576, false, NULL, &s->nofile, w,
		    wlen);
	case K_FSIZE:
		return parse_limit(v, 1ULL << 20, 1ULL << 62, true, "unlimited",
		    &s->fsize, w, wlen);
	case K_CORE:
		if (strcmp(v, "0") == 0)
			return 0;
		return why(w, wlen, "core dumps are always off in a zone (they "
		    "would hold guest memory); only 0 is accepted");
	case K_TMPFS_RUN:
		return parse_limit(v, 4096, 1ULL << 30, true, NULL,
		    &s->tmpfs_run, w, wlen);
	case K_TMPFS_TMP:
		return parse_limit(v, 4096, 1ULL << 30, true, NULL,
		    &s->tmpfs_tmp, w, wlen);
	case K_COUNT:
		break;
	}
	return why(w, wlen, "internal error: no setter");
}

/* ---- the file ------------------------------------------------------------ */

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int __attribute__((format(printf, 4, 5)))
whole(char *err, size_t errlen, const char *fname, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", fname, msg);
	return -1;
}

/* What the file as a whole must say. */
static int
check_complete(const struct zone_spec *s, const char *fname, char *err,
    size_t errlen)
{
	static const char *const sys_zone = "the zone's own files";
	size_t i;

	if (s->name[0] == '\0')
		return whole(err, errlen, fname, "name: missing (the VM name)");
	if (s->uid == (uid_t)-1)
		return whole(err, errlen, fname, "uid: missing (the "
		    "unprivileged uid zhyve runs as)");
	if (s->gid == (gid_t)-1)
		return whole(err, errlen, fname, "gid: missing (the "
		    "unprivileged gid zhyve runs as)");
	if (s->zhyve == NULL)
		return whole(err, errlen, fname, "zhyve: missing (the path of "
		    "the zhyve binary)");
	if (s->config == NULL)
		return whole(err, errlen, fname, "config: missing (the path of "
		    "zhyve's configuration file)");
	if (!s->cgroup && (s->memory_max != ZONE_UNSET ||
	    s->memory_swap_max != ZONE_UNSET || s->cpu_quota != ZONE_UNSET ||
	    s->cpu_weight != ZONE_UNSET || s->pids_max != ZONE_UNSET ||
	    s->nio > 0))
		return whole(err, errlen, fname, "cgroup: off, but cgroup "
		    "limits are given (memory.*, cpu.*, pids.max, io.max)");
	if (s->cgroup_parent != NULL && !s->cgroup)
		return whole(err, errlen, fname, "cgroup.parent: given with "
		    "cgroup=off");
	for (i = 0; i < s->ndisk; i++)
		if (strcmp(s->disk[i].path, s->config) == 0 ||
		    strcmp(s->disk[i].path, s->zhyve) == 0)
			return whole(err, errlen, fname, "disk: '%s' is one of "
			    "%s (zhyve, config)", s->disk[i].path, sys_zone);
	return 0;
}

int
zone_spec_parse(const char *text, size_t len, const char *fname,
    struct zone_spec *out, char *err, size_t errlen)
{
	struct zone_spec *s;
	unsigned long lineno = 0, seen_at[K_COUNT] = { 0 };
	const char *p = text, *end = text + len;
	char line[ZONE_SPEC_MAX_LINE + 2], w[512];

	if (len > ZONE_SPEC_MAX_BYTES)
		return whole(err, errlen, fname, "larger than %d bytes",
		    ZONE_SPEC_MAX_BYTES);
	if (memchr(text, '\0', len) != NULL)
		return whole(err, errlen, fname, "holds a NUL byte");
	s = malloc(sizeof(*s));
	if (s == NULL)
		return whole(err, errlen, fname, "out of memory");
	zone_spec_init(s);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		char *key, *val, *eq;
		int k;

		lineno++;
		if (n > ZONE_SPEC_MAX_LINE) {
			snprintf(err, errlen, "%s:%lu: line longer than %d bytes",
			    fname, lineno, ZONE_SPEC_MAX_LINE);
			goto fail;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl != NULL);
		key = trim(line);
		if (key[0] == '\0' || key[0] == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%lu: '%.64s': expected "
			    "key = value", fname, lineno, key);
			goto fail;
		}
		*eq = '\0';
		val = trim(eq + 1);
		key = trim(key);
		for (k = 0; k < K_COUNT; k++)
			if (strcmp(keys[k].key, key) == 0)
				break;
		if (k == K_COUNT) {
			snprintf(err, errlen, "%s:%lu: %.64s: unknown key (see "
			    "zhyve-zone(5))", fname, lineno, key);
			goto fail;
		}
		if (seen_at[k] != 0 && !keys[k].repeat) {
			snprintf(err, errlen, "%s:%lu: %s: given twice (first on "
			    "line %lu)", fname, lineno, key, seen_at[k]);
			goto fail;
		}
		if (val[0] == '\0') {
			snprintf(err, errlen, "%s:%lu: %s: empty value", fname,
			    lineno, key);
			goto fail;
		}
		if (set_key(s, (enum key_id)k, val, w, sizeof(w)) != 0) {
			snprintf(err, errlen, "%s:%lu: %s: %s", fname, lineno,
			    key, w);
			goto fail;
		}
		if (seen_at[k] == 0)
			seen_at[k] = lineno;
	}
	if (check_complete(s, fname, err, errlen) != 0)
		goto fail;
	zone_spec_free(out);
	*out = *s;
	free(s);
	return 0;
fail:
	zone_spec_free(s);
	free(s);
	return -1;
}

int
zone_spec_load(const char *path, struct zone_spec *out, char *err,
    size_t errlen)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	buf = malloc(ZONE_SPEC_MAX_BYTES + 1);
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (len <= ZONE_SPEC_MAX_BYTES &&
	    (n = read(fd, buf + len, ZONE_SPEC_MAX_BYTES + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
			close(fd);
			free(buf);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	r = zone_spec_parse(buf, len, path, out, err, errlen);
	free(buf);
	return r;
}
