/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Limits and privileges of the process that becomes zhyve.
 *
 * zone_rlimits(): no core dumps (they would hold guest memory), and the
 * spec's descriptor and file-size limits, soft = hard so zhyve cannot raise
 * them.
 *
 * zone_drop_privileges(), in this order (the early steps need capabilities
 * the later ones take away):
 *   1. ambient capabilities cleared; every capability dropped from the
 *      bounding set (needs CAP_SETPCAP)
 *   2. securebits locked: no "root is special", keep-caps off and locked,
 *      no raising ambient capabilities (needs CAP_SETPCAP)
 *   3. no supplementary groups, then gid, then uid (real, effective, saved);
 *      leaving uid 0 clears the permitted and effective sets
 *   4. capset() of empty sets, for certainty
 *   5. no_new_privs: exec can never grant anything again
 *   6. checks: every set empty, ids as asked, setuid(0) refused
 *
 * Threads: the single-threaded child, as root until step 3.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#include "zone.h"

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
set_limit(int res, const char *key, uint64_t v, char *err, size_t errlen)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = v == ZONE_NOLIMIT ? RLIM_INFINITY :
	    (rlim_t)v;
	if (setrlimit(res, &rl) != 0) {
		struct rlimit cur = { 0, 0 };

		(void)getrlimit(res, &cur);
		return fail(err, errlen, "%s: cannot set %llu: %s%s", key,
		    (unsigned long long)v, strerror(errno), errno == EPERM ?
		    " (above the launcher's hard limit, and raising it needs "
		    "CAP_SYS_RESOURCE)" : "");
	}
	return 0;
}

int
zone_rlimits(const struct zone_spec *s, char *err, size_t errlen)
{
	if (set_limit(RLIMIT_CORE, "rlimit.core", 0, err, errlen) != 0 ||
	    set_limit(RLIMIT_NOFILE, "rlimit.nofile", s->nofile, err,
	    errlen) != 0 ||
	    set_limit(RLIMIT_FSIZE, "rlimit.fsize", s->fsize, err,
	    errlen) != 0)
		return -1;
	return 0;
}

static int
capget_all(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};

	return (int)syscall(SYS_capget, &h, d);
}

static int
capset_none(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	return (int)syscall(SYS_capset, &h, d);
}

int
zone_drop_privileges(const struct zone_spec *s, char *err, size_t errlen)
{
	struct __user_cap_data_struct d[2];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int c;

	/* 1. Ambient and bounding sets. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL)
		return fail(err, errlen, "capabilities: cannot clear the "
		    "ambient set: %s", strerror(errno));
	for (c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break;		/* past the kernel's last capability */
		if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			return fail(err, errlen, "capabilities: cannot drop %d "
			    "from the bounding set: %s", c, strerror(errno));
	}
	/* 2. Securebits, locked. */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
	    SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
	    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0) != 0)
		return fail(err, errlen, "capabilities: cannot lock the "
		    "securebits: %s", strerror(errno));
	/* 3. Groups and ids. */
	if (setgroups(0, NULL) != 0)
		return fail(err, errlen, "cannot drop the supplementary groups: "
		    "%s", strerror(errno));
	if (setresgid(s->gid, s->gid, s->gid) != 0)
		return fail(err, errlen, "gid: cannot switch to %u: %s",
		    (unsigned)s->gid, strerror(errno));
	if (setresuid(s->uid, s->uid, s->uid) != 0)
		return fail(err, errlen, "uid: cannot switch to %u: %s",
		    (unsigned)s->uid, strerror(errno));
	/* 4. Nothing left, explicitly. */
	if (capset_none() != 0)
		return fail(err, errlen, "capabilities: capset: %s",
		    strerror(errno));
	/* 5. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(err, errlen, "cannot set no_new_privs: %s",
		    strerror(errno));
	/* 6. Check. */
	if (capget_all(d) != 0 || d[0].effective || d[0].permitted ||
	    d[0].inheritable || d[1].effective || d[1].permitted ||
	    d[1].inheritable)
		return fail(err, errlen, "capabilities: some remain after the "
		    "drop");
	for (c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break;
		if (r != 0)
			return fail(err, errlen, "capabilities: %d remains in the "
			    "bounding set", c);
	}
	if (getresuid(&ru, &eu, &su) != 0 || ru != s->uid || eu != s->uid ||
	    su != s->uid || getresgid(&rg, &eg, &sg) != 0 || rg != s->gid ||
	    eg != s->gid || sg != s->gid)
		return fail(err, errlen, "ids: not %u:%u after the switch",
		    (unsigned)s->uid, (unsigned)s->gid);
	if (setuid(0) == 0)
		return fail(err, errlen, "ids: could go back to uid 0");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return fail(err, errlen, "no_new_privs did not stick");
	return 0;
}
