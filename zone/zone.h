/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zhyve-zone: the launcher that runs one zhyve as the init of its own
 * locked-down sandbox (zhyve-zone(8)).  Its pieces:
 *
 *   zone_spec*.c   the spec: what the zone may see and its limits
 *   zone_cgroup.c  the VM's cgroup v2: create, limits, join, OOM count
 *   zone_root.c    the zone's root on a tmpfs, then pivot_root
 *   zone_net.c     the zone's network namespace, taps moved in
 *   zone_priv.c    rlimits, capabilities, ids, no_new_privs
 *   zone_main.c    the order of it all, the wait and the status table
 *
 * Nothing here links code of zhyve itself: the VMM is only exec'ed.
 *
 * Threads: single-threaded.  The functions marked "child" run in the
 * forked child that becomes zhyve; the others in the launcher.
 */
#ifndef ZHYVE_ZONE_H
#define ZHYVE_ZONE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone_spec.h"

/*
 * The launcher's exit status: zhyve's own (bhyve's codes) when zhyve exited,
 * then what else can happen.  The same table is in zhyve-zone(8).
 */
enum zone_exit {
	ZONE_EXIT_REBOOT = 0,		/* the guest rebooted */
	ZONE_EXIT_POWEROFF = 1,		/* the guest powered off */
	ZONE_EXIT_HALT = 2,		/* the guest halted */
	ZONE_EXIT_TRIPLEFAULT = 3,	/* the guest triple-faulted */
	ZONE_EXIT_VMM_ERROR = 4,	/* zhyve stopped on an error */
	ZONE_EXIT_VMM_OTHER = 5,	/* zhyve exited with another status */
	ZONE_EXIT_SECCOMP = 6,		/* zhyve killed: seccomp violation */
	ZONE_EXIT_OOM = 7,		/* zhyve killed: out of memory (cgroup) */
	ZONE_EXIT_SIGNAL = 8,		/* zhyve killed by another signal */
	ZONE_EXIT_SETUP = 9,		/* no zone: usage, spec, host, set-up */
};

/* The descriptor zhyve finds its ready pipe on (-o ready_fd=3). */
#define ZONE_READY_FD 3

/* ---- zone_cgroup.c ------------------------------------------------------ */

struct zone_cgroup {
	char mount[PATH_MAX];	/* the cgroup2 mount point */
	char path[PATH_MAX];	/* the VM's cgroup directory */
	int procs_fd;		/* its cgroup.procs, open for writing */
	bool created;		/* we made the directory (and remove it) */
	bool memory;		/* the memory controller is on for it */
	uint64_t oom_kills0;	/* memory.events oom_kill at start */
};

/*
 * Finds the cgroup2 mount and checks it has the controllers the spec
 * needs; explains a host without a usable cgroup v2 (such as the v1 hybrid
 * layout) in err.  Changes nothing.
 */
int zone_cgroup_probe(const struct zone_spec *s, struct zone_cgroup *cg,
    char *err, size_t errlen);
/* Creates <mount>/<parent>/<name> with the spec's limits (after probe).
 * On error nothing of the VM's cgroup is left. */
int zone_cgroup_create(const struct zone_spec *s, struct zone_cgroup *cg,
    char *err, size_t errlen);
/* Child: moves the calling process into the cgroup. */
int zone_cgroup_enter(const struct zone_cgroup *cg, char *err, size_t errlen);
/* OOM kills since zone_cgroup_create(); 0 if unknown. */
uint64_t zone_cgroup_oom_kills(const struct zone_cgroup *cg);
/* Peak memory use in bytes (memory.peak), or 0 if the host has none. */
uint64_t zone_cgroup_memory_peak(const struct zone_cgroup *cg);
/* Removes the cgroup once its processes are gone (retries briefly). */
int zone_cgroup_destroy(struct zone_cgroup *cg, char *err, size_t errlen);

/* ---- zone_root.c (child) ------------------------------------------------ */

/*
 * In a fresh mount namespace: builds the zone's root on a tmpfs, pivots
 * into it and detaches the old root.  Layout in zhyve-zone(8).
 */
int zone_root_build(const struct zone_spec *s, char *err, size_t errlen);

/* ---- zone_net.c (child) ------------------------------------------------- */

/* With netns=on: a new network namespace, the taps moved into it and up,
 * loopback up.  Nothing with netns=off. */
int zone_net_enter(const struct zone_spec *s, char *err, size_t errlen);

/* ---- zone_priv.c (child) ------------------------------------------------ */

/* RLIMIT_CORE 0, RLIMIT_NOFILE and RLIMIT_FSIZE from the spec. */
int zone_rlimits(const struct zone_spec *s, char *err, size_t errlen);
/*
 * Drops every capability (bounding set, ambient, then permitted, effective
 * and inheritable), locks the securebits, sets no supplementary groups and
 * the spec's gid and uid, then no_new_privs; checks that it worked.
 */
int zone_drop_privileges(const struct zone_spec *s, char *err,
    size_t errlen);

#endif
