/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Seccomp inside zhyve: one allow-list per thread role (the table in
 * seccomp_policy.h), compiled with libseccomp (seccomp_filter.c) when zhyve starts and
 * installed by each thread on itself.
 *
 * Filters belong to threads, and a thread inherits its creator's filter and
 * can only narrow it further.  So:
 *
 *   seccomp_setup()          main thread, once, right after the config tree
 *                            is read and before any thread is created: reads
 *                            the key `seccomp` (default true), compiles the
 *                            three filters, sets no_new_privs and the SIGSYS
 *                            handler.  Nothing is enforced yet.
 *   seccomp_install(VCPU)    each vCPU thread, first thing in its loop,
 *                            before its first KVM_RUN.
 *   seccomp_install(WORKER)  each device worker thread, first thing, before
 *                            it touches guest data.
 *   seccomp_install(MAIN)    the main thread, after every host resource is
 *                            open and every thread started (vCPUs included),
 *                            before the event loop runs: the main thread
 *                            runs no guest-driven code before it.
 *
 * Every thread is thus filtered before it handles anything the guest
 * controls.  A thread created after seccomp_install(MAIN) by the main thread
 * inherits the main filter and narrows it with its own role's: it may then
 * only make the calls both lists allow.  Threads must not be created by
 * vCPU or worker threads.
 *
 * A forbidden call: the SIGSYS handler writes "zhyve: seccomp: the <role>
 * thread made a forbidden system call: <name> (<number>)" on stderr and
 * zhyve is then killed by SIGSYS (SECCOMP_RET_KILL_PROCESS), so a parent
 * such as zhyve-zone reports a seccomp violation.  System calls of another
 * architecture (x32, int 0x80) kill at once.
 *
 * seccomp=false turns it all off (for debugging, and the default in
 * sanitizer builds, whose leak checker needs ptrace at exit).
 *
 * Test builds (-DZHYVE_SECCOMP_TEST, the zhyve-seccomp-test binary) honour
 * test.seccomp_violation=main|vcpu|worker: that thread makes a forbidden
 * call (openat) right after installing its filter.  Other builds refuse
 * the key.
 *
 * Threads: as above; seccomp_install() is thread-safe.
 */
#ifndef ZHYVE_SECCOMP_FILTER_H
#define ZHYVE_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum seccomp_role {
	SECCOMP_ROLE_MAIN,	/* main thread: event loop and callbacks */
	SECCOMP_ROLE_VCPU,	/* vCPU thread: KVM_RUN and exit handlers */
	SECCOMP_ROLE_WORKER,	/* device worker thread */
	SECCOMP_NROLES
};

/* 0 or -1 with a message naming the key or the problem. */
int seccomp_setup(char *err, size_t errlen);
int seccomp_install(enum seccomp_role role, char *err, size_t errlen);

/*
 * For threads with nobody to report to (device workers): when filters are
 * in force, seccomp_install(role); if that fails, a message on stderr and
 * zhyve ends at once with status 4 (an error of zhyve's).  Before
 * seccomp_setup() (unit tests) or with seccomp=false it does nothing.
 */
void seccomp_enter(enum seccomp_role role);

/* Whether filters are in force (after seccomp_setup()). */
bool seccomp_enabled(void);
const char *seccomp_role_name(enum seccomp_role role);

/* ---- the policy, as data (seccomp_policy.h) ----------------------------- */

enum seccomp_rule_action {
	SECCOMP_RULE_ALLOW,	/* allowed */
	SECCOMP_RULE_ENOSYS,	/* fails with ENOSYS (libc falls back) */
};

struct seccomp_rule {
	const char *syscall;	/* the name libseccomp knows it by */
	unsigned roles;		/* bit (1 << role) for each role allowed */
	enum seccomp_rule_action action;
	int arg;		/* -1, or the argument (arg & mask) == value */
	uint64_t mask;
	uint64_t value;
	const char *why;	/* who needs it, on which thread: never empty */
};

/* The table, for tests and for review. */
const struct seccomp_rule *seccomp_policy(size_t *n);

/*
 * For tests: forget the setup so seccomp_setup() can run again (filters
 * already installed stay, as the kernel wants).
 */
void seccomp_reset_for_tests(void);

#endif
