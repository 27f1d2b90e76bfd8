/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The zone spec: one file that says everything a zone may see and every
 * limit it runs under (the format is documented in zhyve-zone(5)).
 *
 *     name = vm0
 *     uid = 2001
 *     gid = 2001
 *     zhyve = /usr/sbin/zhyve
 *     config = /var/lib/zhyve/vm0/zhyve.conf
 *     disk = /var/lib/zhyve/vm0/disk0.img
 *     memory.max = 600M
 *
 * zone_spec_parse() checks the text only (syntax, known keys, ranges, the
 * shape of every path and the allowed set for ro=); zone_spec_check_host()
 * then looks at the host (files exist, have the right type and are usable by
 * the zone's uid; taps exist and belong to it) and fills in the resolved
 * fields.  Neither changes anything on the host; a failed parse leaves the
 * caller's spec as it was.
 *
 * Threads: the launcher is single-threaded.
 */
#ifndef ZHYVE_ZONE_SPEC_H
#define ZHYVE_ZONE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define ZONE_NAME_MAX	63		/* same rule as zhyve's VM name */
#define ZONE_IFNAME_MAX	15		/* IFNAMSIZ - 1 */
#define ZONE_PATH_MAX	1024
#define ZONE_MAX_DISKS	64
#define ZONE_MAX_BOOT	16
#define ZONE_MAX_RO	32
#define ZONE_MAX_TAPS	32
#define ZONE_MAX_IO	16
#define ZONE_SPEC_MAX_BYTES (64 * 1024)
#define ZONE_SPEC_MAX_LINE  4096

/* A limit that was not given, and one given as "max" / "unlimited". */
#define ZONE_UNSET	UINT64_MAX
#define ZONE_NOLIMIT	(UINT64_MAX - 1)

/* A file the zone sees at the same path as the host. */
struct zone_file {
	char *path;
	bool ro;
	/* Filled by zone_spec_check_host(): */
	bool blockdev;		/* a block device (made with mknod in /dev) */
	dev_t rdev;		/* its device number */
	bool in_system;		/* under /lib, /lib64 or /usr: seen through them */
};

/* One io.max line: a device and up to four limits (ZONE_UNSET if absent). */
enum { ZONE_IO_RBPS, ZONE_IO_WBPS, ZONE_IO_RIOPS, ZONE_IO_WIOPS, ZONE_IO_N };
struct zone_io {
	char *dev;		/* as given: a block device path or MAJ:MIN */
	unsigned maj, min;	/* MAJ:MIN given, or filled by the host check */
	uint64_t limit[ZONE_IO_N];
};

struct zone_spec {
	char name[ZONE_NAME_MAX + 1];
	uid_t uid;
	gid_t gid;
	char *zhyve;			/* the VMM binary, /zhyve in the zone */
	char *config;			/* its config file, /config in the zone */
	struct zone_file disk[ZONE_MAX_DISKS];
	size_t ndisk;
	struct zone_file boot[ZONE_MAX_BOOT];	/* ROMs, kernels, initrds */
	size_t nboot;
	struct zone_file ro[ZONE_MAX_RO];	/* extra read-only binds */
	size_t nro;
	char tap[ZONE_MAX_TAPS][ZONE_IFNAME_MAX + 1];
	size_t ntap;
	bool netns;			/* default true */
	bool vhost_net;			/* default false */
	bool cgroup;			/* default true */
	char *cgroup_parent;		/* default "zhyve" */
	char *cgroup_mount;		/* default: found in mountinfo */
	uint64_t memory_max;		/* bytes, ZONE_NOLIMIT or ZONE_UNSET */
	uint64_t memory_swap_max;
	uint64_t cpu_quota;		/* microseconds, ZONE_NOLIMIT or UNSET */
	uint64_t cpu_period;		/* microseconds (default 100000) */
	uint64_t cpu_weight;		/* 1..10000 or ZONE_UNSET */
	uint64_t pids_max;
	struct zone_io io[ZONE_MAX_IO];
	size_t nio;
	uint64_t nofile;		/* RLIMIT_NOFILE (default 4096) */
	uint64_t fsize;			/* RLIMIT_FSIZE bytes or ZONE_NOLIMIT */
	uint64_t tmpfs_run;		/* bytes (default 1 MiB) */
	uint64_t tmpfs_tmp;		/* bytes (default 16 MiB) */
};

/* An empty spec with the defaults; zone_spec_free() releases one. */
void zone_spec_init(struct zone_spec *s);
void zone_spec_free(struct zone_spec *s);

/*
 * Parses a spec from text (len bytes; NUL bytes are errors).  `fname` names
 * the source in messages.  On success the old contents of *out are freed
 * and replaced; on error *out is untouched and err holds
 * "FNAME:LINE: KEY: problem" (or "FNAME: problem" for whole-file ones,
 * such as a missing required key).  Returns 0 or -1.
 */
int zone_spec_parse(const char *text, size_t len, const char *fname,
    struct zone_spec *out, char *err, size_t errlen);
/* Reads and parses a spec file (at most ZONE_SPEC_MAX_BYTES). */
int zone_spec_load(const char *path, struct zone_spec *out, char *err,
    size_t errlen);

/*
 * Checks the spec against the host, changing nothing: every path exists
 * with the right type and the zone's uid/gid may use it, ro= paths resolve
 * (symlinks followed) inside the allowed set, taps exist and belong to the
 * zone, the devices the zone needs exist.  Fills the resolved fields.
 * 0, or -1 with a message naming the key.
 */
int zone_spec_check_host(struct zone_spec *s, char *err, size_t errlen);

/* Prints the spec in its canonical form (valid input for the parser). */
void zone_spec_print(const struct zone_spec *s, FILE *f);

/* Helpers shared with the launcher and the tests. */
bool zone_valid_name(const char *s);
bool zone_valid_ifname(const char *s);
/* Absolute, no empty, "." or ".." component, no trailing '/'. */
bool zone_path_is_clean(const char *p);
/* p equals dir or lies below it (component-wise). */
bool zone_path_under(const char *p, const char *dir);
/* "123", "4k", "16M", "1g", "2T" (binary units). 0 or -1. */
int zone_parse_size(const char *s, uint64_t *out);

/* The directories the zone sees read-only, and ro= must lie under. */
extern const char *const zone_system_dirs[];	/* NULL-terminated */

#endif
