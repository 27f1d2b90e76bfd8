/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Seccomp filters for zhyve's threads (seccomp_filter.h): the policy table
 * (seccomp_policy.h) compiled with libseccomp into one BPF program per role
 * at start-up, and installed by each thread on itself with one seccomp(2)
 * call, so installing needs no memory and cannot half-fail.
 *
 * Each filter: the role's rules; anything else traps (SIGSYS to our
 * handler, which names the call and then makes the one call every filter
 * kills the process for, kexec_load); another architecture's system call
 * kills the process at once.
 *
 * Threads: seccomp_setup() on the main thread before any other exists;
 * seccomp_install() on any thread, for itself; the SIGSYS handler on the
 * thread that made the forbidden call.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "seccomp_filter.h"
#include "seccomp_policy.h"

#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif

/* Sanitizer builds: the leak checker needs ptrace and /proc at exit. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifndef SANITIZER_BUILD
#define SANITIZER_BUILD 0
#endif

#define NAMES_MAX 512		/* syscall numbers the handler can name */

static const char *const role_names[SECCOMP_NROLES] = {
	[SECCOMP_ROLE_MAIN] = "main",
	[SECCOMP_ROLE_VCPU] = "vcpu",
	[SECCOMP_ROLE_WORKER] = "worker",
};

static struct {
	bool setup;
	bool enabled;
	int test_role;			/* test builds: -1 or the role */
	struct sock_fprog prog[SECCOMP_NROLES];
	char *names[NAMES_MAX];		/* from libseccomp, for the handler */
} sc = { .test_role = -1 };

/* The role this thread installed (-1: none), for the SIGSYS message. */
static __thread int thread_role = -1;

const char *
seccomp_role_name(enum seccomp_role role)
{
	return (unsigned)role < SECCOMP_NROLES ? role_names[role] : "?";
}

bool
seccomp_enabled(void)
{
	return sc.enabled;
}

void
seccomp_enter(enum seccomp_role role)
{
	char err[256];

	if (!sc.enabled || seccomp_install(role, err, sizeof(err)) == 0)
		return;
	fprintf(stderr, "zhyve: %s\n", err);
	_exit(4);
}

const struct seccomp_rule *
seccomp_policy(size_t *n)
{
	*n = sizeof(seccomp_policy_table) / sizeof(seccomp_policy_table[0]);
	return seccomp_policy_table;
}

/* ---- the SIGSYS handler: async-signal-safe ------------------------------ */

static void
put(char *buf, size_t *n, size_t len, const char *s)
{
	while (*s != '\0' && *n + 1 < len)
		buf[(*n)++] = *s++;
}

static void
put_num(char *buf, size_t *n, size_t len, long v)
{
	char d[24];
	int i = 0;

	if (v < 0) {
		put(buf, n, len, "-");
		v = -v;
	}
	do {
		d[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && i < (int)sizeof(d));
	while (i > 0 && *n + 1 < len)
		buf[(*n)++] = d[--i];
}

static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char buf[256];
	size_t n = 0;
	int nr = si->si_syscall;

	(void)sig;
	(void)uc;
	put(buf, &n, sizeof(buf), "zhyve: seccomp: the ");
	put(buf, &n, sizeof(buf), thread_role >= 0 ?
	    role_names[thread_role] : "(no role of its own)");
	put(buf, &n, sizeof(buf), " thread made a forbidden system call: ");
	put(buf, &n, sizeof(buf), nr >= 0 && nr < NAMES_MAX &&
	    sc.names[nr] != NULL ? sc.names[nr] : "?");
	put(buf, &n, sizeof(buf), " (");
	put_num(buf, &n, sizeof(buf), nr);
	put(buf, &n, sizeof(buf), "); zhyve stops\n");
	(void)!write(STDERR_FILENO, buf, n);
	/* Every filter kills the whole process for this call. */
	syscall(SYS_kexec_load, 0, 0, 0, 0);
	syscall(SYS_exit_group, 128 + SIGSYS);
}

/* ---- compiling the filters ----------------------------------------------- */

static int
compile_role(enum seccomp_role role, struct sock_fprog *prog, char *err,
    size_t errlen)
{
	size_t n, i;
	const struct seccomp_rule *t = seccomp_policy(&n);
	scmp_filter_ctx ctx;
	off_t size;
	void *buf = NULL;
	int fd = -1, r;

	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp: cannot start a filter (out of "
		    "memory?)");
		return -1;
	}
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r != 0) {
		snprintf(err, errlen, "seccomp: filter attributes: %s",
		    strerror(-r));
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint32_t action;
		int nr;

		if ((t[i].roles & (1u << role)) == 0)
			continue;
		nr = seccomp_syscall_resolve_name(t[i].syscall);
		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "seccomp: the policy names an "
			    "unknown system call '%s'", t[i].syscall);
			r = -1;
			goto out;
		}
		action = t[i].action == SECCOMP_RULE_ENOSYS ?
		    SCMP_ACT_ERRNO(ENOSYS) : SCMP_ACT_ALLOW;
		if (t[i].arg < 0)
			r = seccomp_rule_add(ctx, action, nr, 0);
		else
			r = seccomp_rule_add(ctx, action, nr, 1,
			    SCMP_CMP((unsigned)t[i].arg, SCMP_CMP_MASKED_EQ,
			    t[i].mask, t[i].value));
		if (r != 0) {
			snprintf(err, errlen, "seccomp: %s rule for %s: %s",
			    role_names[role], t[i].syscall, strerror(-r));
			goto out;
		}
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(kexec_load),
	    0);
	if (r != 0) {
		snprintf(err, errlen, "seccomp: the kill rule: %s", strerror(-r));
		goto out;
	}
	/* The BPF program, kept in memory for seccomp_install(). */
	fd = memfd_create("zhyve-seccomp", MFD_CLOEXEC);
	r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	if (r == 0 && ((size = lseek(fd, 0, SEEK_END)) <= 0 ||
	    size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS ||
	    (buf = malloc((size_t)size)) == NULL ||
	    pread(fd, buf, (size_t)size, 0) != size))
		r = -EIO;
	if (r != 0) {
		snprintf(err, errlen, "seccomp: cannot export the %s filter: %s",
		    role_names[role], strerror(-r));
		free(buf);
		goto out;
	}
	prog->filter = buf;
	prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return r == 0 ? 0 : -1;
}

void
seccomp_reset_for_tests(void)
{
	int i;

	for (i = 0; i < SECCOMP_NROLES; i++) {
		free(sc.prog[i].filter);
		sc.prog[i].filter = NULL;
		sc.prog[i].len = 0;
	}
	for (i = 0; i < NAMES_MAX; i++) {
		free(sc.names[i]);
		sc.names[i] = NULL;
	}
	sc.setup = false;
	sc.enabled = false;
	sc.test_role = -1;
}

static int
test_key(bool on, char *err, size_t errlen)
{
	const char *t = config_get_raw("test.seccomp_violation");

	sc.test_role = -1;
	if (t == NULL)
		return 0;
#ifdef ZHYVE_SECCOMP_TEST
	for (int i = 0; i < SECCOMP_NROLES; i++)
		if (strcmp(t, role_names[i]) == 0)
			sc.test_role = i;
	if (sc.test_role < 0) {
		snprintf(err, errlen, "test.seccomp_violation: '%s' is not main, "
		    "vcpu or worker", t);
		return -1;
	}
	if (!on) {
		snprintf(err, errlen, "test.seccomp_violation: needs "
		    "seccomp=true");
		return -1;
	}
	return 0;
#else
	(void)on;
	snprintf(err, errlen, "test.seccomp_violation: only the seccomp test "
	    "build (zhyve-seccomp-test) honours this key");
	return -1;
#endif
}

int
seccomp_setup(char *err, size_t errlen)
{
	struct sigaction sa;
	bool on;
	int i;

	if (sc.setup) {
		snprintf(err, errlen, "seccomp: set up twice");
		return -1;
	}
	if (config_get_bool("seccomp", !SANITIZER_BUILD, &on) != 0) {
		snprintf(err, errlen, "%s", config_error());
		return -1;
	}
	if (test_key(on, err, errlen) != 0)
		return -1;
	if (!on) {
		sc.setup = true;
		sc.enabled = false;
		return 0;
	}
	for (i = 0; i < SECCOMP_NROLES; i++)
		if (compile_role((enum seccomp_role)i, &sc.prog[i], err,
		    errlen) != 0) {
			seccomp_reset_for_tests();
			return -1;
		}
	for (i = 0; i < NAMES_MAX; i++)
		sc.names[i] = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, i);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "seccomp: %s", strerror(errno));
		seccomp_reset_for_tests();
		return -1;
	}
	sc.setup = true;
	sc.enabled = true;
	return 0;
}

int
seccomp_install(enum seccomp_role role, char *err, size_t errlen)
{
	if ((unsigned)role >= SECCOMP_NROLES) {
		snprintf(err, errlen, "seccomp: no role %d", (int)role);
		return -1;
	}
	if (!sc.setup) {
		snprintf(err, errlen, "seccomp: install (%s) before "
		    "seccomp_setup()", role_names[role]);
		return -1;
	}
	if (!sc.enabled)
		return 0;
	if (thread_role >= 0) {
		snprintf(err, errlen, "seccomp: this thread installed the %s "
		    "filter already", role_names[thread_role]);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
	    &sc.prog[role]) != 0) {
		snprintf(err, errlen, "seccomp: cannot install the %s filter: "
		    "%s", role_names[role], strerror(errno));
		return -1;
	}
	thread_role = (int)role;
#ifdef ZHYVE_SECCOMP_TEST
	if (sc.test_role == (int)role) {
		fprintf(stderr, "zhyve: test.seccomp_violation: the %s thread "
		    "now makes a forbidden system call\n", role_names[role]);
		syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
	}
#endif
	return 0;
}
