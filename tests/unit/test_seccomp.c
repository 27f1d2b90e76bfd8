/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of zhyve's seccomp filters (vmm/seccomp_filter.c) and their
 * policy table (vmm/seccomp_policy.h): the table is well formed and never
 * allows the dangerous calls; the config keys are checked; and in forked
 * children, each role's filter lets its calls through, stops zhyve with
 * SIGSYS (and a message naming the call and the role) on a forbidden one,
 * checks arguments (ioctl requests, PROT_EXEC, clone flags) and kills at
 * once on another architecture's system call.  The parent is never
 * filtered.  Single-threaded but for one case that starts a thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "seccomp_filter.h"
#include "test.h"

/*
 * The sanitizer runtimes make system calls of their own (sigaltstack,
 * sched_getaffinity, ...) that zhyve's policy does not allow; zhyve turns
 * seccomp off by default in such builds.  Cases whose filtered child must
 * get through are skipped there.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif
#define SKIP_IF_SANITIZED() \
	do { \
		if (SANITIZED) \
			SKIP("the sanitizer runtime makes calls the policy " \
			    "forbids (seccomp is off in sanitizer builds)"); \
	} while (0)

/* Calls no role may ever make. */
static const char *const never[] = {
	"execve", "execveat", "fork", "vfork", "open", "openat", "openat2",
	"creat", "socket", "socketpair", "connect", "bind", "listen",
	"ptrace", "process_vm_readv", "process_vm_writev", "mount",
	"umount2", "pivot_root", "chroot", "chdir", "fchdir", "unshare",
	"setns", "setuid", "setgid", "setresuid", "setresgid", "setgroups",
	"capset", "kill", "tkill", "bpf", "perf_event_open", "init_module",
	"finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"reboot", "keyctl", "add_key", "request_key", "userfaultfd",
	"memfd_create", "mknod", "mknodat", "chmod", "fchmod", "chown",
	"fchown", "link", "linkat", "symlink", "rename", "renameat2", "mkdir",
	"rmdir", "truncate", "ftruncate", "io_uring_setup", "io_uring_register",
	"rt_sigaction", "sigaltstack", "personality", "modify_ldt", "iopl",
	"ioperm", "swapon", "acct", "settimeofday", "clock_settime",
	"sethostname", "setdomainname", "quotactl", "open_by_handle_at",
	"name_to_handle_at", "fanotify_init", "inotify_init1",
	"pkey_mprotect", "move_mount", "open_tree", "fsopen", "fsmount",
	NULL
};

TEST(table_well_formed)
{
	size_t n, i, j;
	const struct seccomp_rule *t = seccomp_policy(&n);

	CHECK(n > 50);
	for (i = 0; i < n; i++) {
		if (t[i].why == NULL || strlen(t[i].why) < 8) {
			printf("    rule %zu (%s): no comment\n", i, t[i].syscall);
			CHECK(0);
		}
		if (seccomp_syscall_resolve_name(t[i].syscall) ==
		    __NR_SCMP_ERROR) {
			printf("    rule %zu: unknown system call %s\n", i,
			    t[i].syscall);
			CHECK(0);
		}
		CHECK(t[i].roles != 0);
		CHECK((t[i].roles & ~((1u << SECCOMP_NROLES) - 1)) == 0);
		CHECK(t[i].arg >= -1 && t[i].arg <= 5);
		for (j = 0; j < i; j++)
			if (strcmp(t[i].syscall, t[j].syscall) == 0 &&
			    t[i].arg == t[j].arg && t[i].mask == t[j].mask &&
			    t[i].value == t[j].value) {
				printf("    rules %zu and %zu are the same (%s)\n",
				    j, i, t[i].syscall);
				CHECK(0);
			}
	}
}

TEST(table_never_allows_the_dangerous)
{
	size_t n, i, k;
	const struct seccomp_rule *t = seccomp_policy(&n);

	for (i = 0; i < n; i++)
		for (k = 0; never[k] != NULL; k++)
			if (strcmp(t[i].syscall, never[k]) == 0) {
				printf("    the policy allows %s\n", never[k]);
				CHECK(0);
			}
	/* clone only for threads, mmap/mprotect never executable. */
	for (i = 0; i < n; i++) {
		if (strcmp(t[i].syscall, "clone") == 0)
			CHECK(t[i].arg == 0 && (t[i].mask & CLONE_THREAD) &&
			    t[i].value == CLONE_THREAD);
		if (strcmp(t[i].syscall, "mmap") == 0 ||
		    strcmp(t[i].syscall, "mprotect") == 0)
			CHECK(t[i].arg == 2 && t[i].mask == PROT_EXEC &&
			    t[i].value == 0);
		if (strcmp(t[i].syscall, "ioctl") == 0)
			CHECK(t[i].arg == 1 && t[i].mask == 0xffffffffu);
		if (strcmp(t[i].syscall, "prctl") == 0)
			CHECK(t[i].arg == 0);
	}
}

TEST(keys)
{
	char err[256];

	config_init();
	CHECK_EQ(config_set("seccomp", "maybe"), 0);
	seccomp_reset_for_tests();
	CHECK_EQ(seccomp_setup(err, sizeof(err)), -1);
	CHECK(strstr(err, "seccomp") != NULL && strstr(err, "maybe") != NULL);
	CHECK(!seccomp_enabled());

	config_init();
	CHECK_EQ(config_set("test.seccomp_violation", "main"), 0);
	seccomp_reset_for_tests();
	CHECK_EQ(seccomp_setup(err, sizeof(err)), -1);
	CHECK(strstr(err, "test.seccomp_violation: only the seccomp test "
	    "build") != NULL);

	config_init();
	CHECK_EQ(config_set("seccomp", "false"), 0);
	seccomp_reset_for_tests();
	CHECK_EQ(seccomp_setup(err, sizeof(err)), 0);
	CHECK(!seccomp_enabled());
	/* Disabled: installing does nothing and succeeds. */
	CHECK_EQ(seccomp_install(SECCOMP_ROLE_MAIN, err, sizeof(err)), 0);
	CHECK_EQ(seccomp_setup(err, sizeof(err)), -1);	/* twice */
	CHECK(strstr(err, "twice") != NULL);

	seccomp_reset_for_tests();
	CHECK_EQ(seccomp_install(SECCOMP_ROLE_VCPU, err, sizeof(err)), -1);
	CHECK(strstr(err, "before seccomp_setup") != NULL);
	CHECK_EQ(seccomp_install((enum seccomp_role)7, err, sizeof(err)), -1);
	config_fini();
}

/* ---- children ------------------------------------------------------------ */

enum action {
	A_NOTHING, A_OPENAT, A_SOCKET, A_ACCEPT, A_KVM_RUN_IOCTL, A_BAD_IOCTL,
	A_MMAP_EXEC, A_MPROTECT_EXEC, A_FORK, A_CLONE3, A_THREAD, A_X32,
	A_EPOLL_WAIT, A_STATUS,
};

static int devnull = -1;

static void *
noop(void *arg)
{
	return arg;
}

static void *
worker(void *arg)
{
	char err[256];

	(void)arg;
	if (seccomp_install(SECCOMP_ROLE_WORKER, err, sizeof(err)) != 0)
		return (void *)1;
	/* Allowed for workers, and inherited from main: both pass. */
	if (write(devnull, "x", 1) != 1)
		return (void *)2;
	return NULL;
}

/*
 * Runs `act` in a child filtered as `role`; returns its wait status and
 * what it wrote on stderr in `msg`.  The child exits 0 if the action
 * returned, 10 + step if something before it failed.
 */
static int
in_child(enum seccomp_role role, enum action act, char *msg, size_t msglen)
{
	int p[2], status = -1;
	pid_t pid;
	ssize_t n;

	msg[0] = '\0';
	if (pipe(p) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char err[256];
		long r = 0;

		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		/* As in zhyve, where the vCPU threads exist before the main
		 * filter: glibc sets up its thread signals (rt_sigaction) on
		 * the first pthread_create(). */
		if (act == A_THREAD) {
			pthread_t t0;

			if (pthread_create(&t0, NULL, noop, NULL) != 0 ||
			    pthread_join(t0, NULL) != 0)
				_exit(17);
		}
		config_init();
		if (config_set("seccomp", "true") != 0)
			_exit(10);
		seccomp_reset_for_tests();
		if (seccomp_setup(err, sizeof(err)) != 0) {
			dprintf(STDERR_FILENO, "setup: %s\n", err);
			_exit(11);
		}
		if (seccomp_install(role, err, sizeof(err)) != 0) {
			dprintf(STDERR_FILENO, "install: %s\n", err);
			_exit(12);
		}
		/* Every role may write. */
		if (write(devnull, "x", 1) != 1)
			_exit(13);
		switch (act) {
		case A_NOTHING:
			break;
		case A_OPENAT:
			r = open("/", O_RDONLY);
			break;
		case A_SOCKET:
			r = socket(AF_UNIX, SOCK_STREAM, 0);
			break;
		case A_ACCEPT:
			r = accept4(devnull, NULL, NULL, 0);
			break;
		case A_KVM_RUN_IOCTL:
			/* Allowed for vCPUs: /dev/null answers ENOTTY. */
			r = ioctl(devnull, KVM_RUN, 0);
			if (r == -1 && errno == ENOTTY)
				_exit(20);
			break;
		case A_BAD_IOCTL:
			r = ioctl(devnull, KVM_CREATE_VM, 0);
			break;
		case A_MMAP_EXEC:
			r = (long)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			break;
		case A_MPROTECT_EXEC: {
			void *m = mmap(NULL, 4096, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				_exit(14);
			r = mprotect(m, 4096, PROT_READ | PROT_EXEC);
			break;
		}
		case A_FORK:
			r = fork();
			if (r == 0)
				_exit(0);
			break;
		case A_CLONE3:
			r = syscall(SYS_clone3, NULL, 0);
			if (r == -1 && errno == ENOSYS)
				_exit(21);
			break;
		case A_THREAD: {
			pthread_t t;
			void *ret = (void *)9;

			if (pthread_create(&t, NULL, worker, NULL) != 0)
				_exit(15);
			if (pthread_join(t, &ret) != 0 || ret != NULL)
				_exit(16);
			_exit(22);
		}
		case A_X32:
			r = syscall(0x40000000 | SYS_getpid);
			break;
		case A_EPOLL_WAIT:
			r = syscall(SYS_epoll_wait, -1, NULL, 0, 0);
			break;
		case A_STATUS:
			break;
		}
		(void)r;
		_exit(0);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	n = read(p[0], msg, msglen - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static bool
killed_by_sigsys(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

static bool
exited(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

TEST(allowed_calls_pass)
{
	char msg[512];
	int r;

	SKIP_IF_SANITIZED();

	for (r = 0; r < SECCOMP_NROLES; r++) {
		int st = in_child((enum seccomp_role)r, A_NOTHING, msg,
		    sizeof(msg));

		if (!exited(st, 0))
			printf("    role %s: status 0x%x: %s\n",
			    seccomp_role_name((enum seccomp_role)r), st, msg);
		CHECK(exited(st, 0));
	}
}

TEST(forbidden_calls_stop_with_sigsys)
{
	char msg[512];
	int st;

	st = in_child(SECCOMP_ROLE_VCPU, A_OPENAT, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "zhyve: seccomp: the vcpu thread made a forbidden "
	    "system call: openat (257)") != NULL);
	st = in_child(SECCOMP_ROLE_MAIN, A_SOCKET, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "the main thread made a forbidden system call: "
	    "socket") != NULL);
	st = in_child(SECCOMP_ROLE_WORKER, A_OPENAT, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "the worker thread") != NULL);
}

TEST(roles_differ)
{
	char msg[512];
	int st;

	SKIP_IF_SANITIZED();

	/* accept4: the main thread's console socket, nobody else's. */
	st = in_child(SECCOMP_ROLE_WORKER, A_ACCEPT, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "accept4") != NULL);
	st = in_child(SECCOMP_ROLE_MAIN, A_ACCEPT, msg, sizeof(msg));
	CHECK(exited(st, 0));
	/* epoll_wait: the event loop only. */
	st = in_child(SECCOMP_ROLE_VCPU, A_EPOLL_WAIT, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	st = in_child(SECCOMP_ROLE_MAIN, A_EPOLL_WAIT, msg, sizeof(msg));
	CHECK(exited(st, 0));
	/* KVM_RUN: vCPU threads only. */
	st = in_child(SECCOMP_ROLE_VCPU, A_KVM_RUN_IOCTL, msg, sizeof(msg));
	CHECK(exited(st, 20));
	st = in_child(SECCOMP_ROLE_MAIN, A_KVM_RUN_IOCTL, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "ioctl") != NULL);
}

TEST(arguments_checked)
{
	char msg[512];
	int st;

	SKIP_IF_SANITIZED();

	st = in_child(SECCOMP_ROLE_VCPU, A_BAD_IOCTL, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	st = in_child(SECCOMP_ROLE_MAIN, A_MMAP_EXEC, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "mmap") != NULL);
	st = in_child(SECCOMP_ROLE_VCPU, A_MPROTECT_EXEC, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "mprotect") != NULL);
	/* fork is clone without CLONE_THREAD. */
	st = in_child(SECCOMP_ROLE_MAIN, A_FORK, msg, sizeof(msg));
	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "clone") != NULL);
	st = in_child(SECCOMP_ROLE_MAIN, A_CLONE3, msg, sizeof(msg));
	CHECK(exited(st, 21));
}

TEST(thread_after_main_filter)
{
	char msg[512];
	int st;

	SKIP_IF_SANITIZED();
	st = in_child(SECCOMP_ROLE_MAIN, A_THREAD, msg, sizeof(msg));
	if (!exited(st, 22))
		printf("    status 0x%x: %s\n", st, msg);
	CHECK(exited(st, 22));
}

TEST(other_architecture_kills_at_once)
{
	char msg[512];
	int st = in_child(SECCOMP_ROLE_MAIN, A_X32, msg, sizeof(msg));

	CHECK(killed_by_sigsys(st));
	CHECK(strstr(msg, "forbidden") == NULL);	/* no handler ran */
}

int
main(void)
{
	RUN(table_well_formed);
	RUN(table_never_allows_the_dangerous);
	RUN(keys);
	RUN(allowed_calls_pass);
	RUN(forbidden_calls_stop_with_sigsys);
	RUN(roles_differ);
	RUN(arguments_checked);
	RUN(thread_after_main_filter);
	RUN(other_architecture_kills_at_once);
	TEST_SUMMARY();
}
