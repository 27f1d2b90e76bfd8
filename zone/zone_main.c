/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zhyve-zone: runs one zhyve as the init of its own locked-down zone.
 *
 *   zhyve-zone [-n] [-r FD] SPEC
 *
 * The launcher, in order:
 *   1. closes every inherited descriptor but 0, 1, 2 (and -r's) and clears
 *      the environment
 *   2. reads and checks the spec (zone_spec.c), then the host (paths,
 *      devices, taps): nothing has changed on the host if this fails
 *      (-n stops here and prints the spec and the cgroup it would use)
 *   3. creates the VM's cgroup v2 with the spec's limits (zone_cgroup.c)
 *   4. a new PID namespace, then fork: the child is its PID 1
 * The child, which becomes zhyve:
 *   5. joins the cgroup; sets the rlimits (core dumps off)
 *   6. network namespace with the taps (netns=on, zone_net.c)
 *   7. new mount, IPC, UTS and cgroup namespaces; hostname = the VM name
 *   8. builds the root and pivots into it (zone_root.c)
 *   9. drops every capability, no_new_privs, unprivileged gid and uid
 *      (zone_priv.c)
 *  10. execs /zhyve -k /config -o ready_fd=3 NAME, with an empty
 *      environment and descriptors 0, 1, 2 and 3 (the ready pipe) only
 * The launcher then waits: it reports "hardware ready" when zhyve writes
 * its line on the ready pipe (relaying it to -r FD), forwards SIGTERM,
 * SIGINT and SIGHUP to zhyve as SIGTERM (zhyve presses the guest's power
 * button) and SIGQUIT as SIGKILL, and when zhyve is gone it removes the
 * cgroup and exits with the status of the table in zone.h / zhyve-zone(8).
 * A set-up failure in the child comes back on a close-on-exec pipe.
 *
 * Threads: single-threaded (the child too).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zone.h"

#define ERRLEN 1024

static const char *prog = "zhyve-zone";

static void
usage(FILE *f)
{
	fprintf(f, "usage: %s [-n] [-r FD] SPEC\n"
	    "  -n     check the spec and the host, print the zone, start "
	    "nothing\n"
	    "  -r FD  also write \"ready\" on descriptor FD when zhyve's "
	    "hardware is ready\n"
	    "Exit status: 0 reboot, 1 poweroff, 2 halt, 3 triple fault, "
	    "4 zhyve error,\n"
	    "5 zhyve's other status, 6 seccomp violation, 7 out of memory, "
	    "8 killed by\na signal, 9 no zone (see zhyve-zone(8)).\n", prog);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the child ----------------------------------------------------------- */

/* Sends the set-up error to the launcher and ends the child. */
static void __attribute__((noreturn))
child_fail(int errfd, const char *stage, const char *msg)
{
	char buf[ERRLEN + 64];
	int n = snprintf(buf, sizeof(buf), "%s: %s", stage, msg);

	if (n > 0)
		(void)!write(errfd, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
	_exit(ZONE_EXIT_SETUP);
}

static void __attribute__((noreturn))
child(const struct zone_spec *s, const struct zone_cgroup *cg, int readyw,
    int errw)
{
	char err[ERRLEN] = "";
	char *argv[] = {
		"zhyve", "-k", "/config", "-o", "ready_fd=3", NULL, NULL
	};
	char *envp[] = { NULL };
	struct zone_cgroup mycg = *cg;
	int cgfd;

	argv[5] = (char *)s->name;
	/*
	 * The ready pipe goes on fd 3, and everything else closes on exec.
	 * First every descriptor the child still needs moves above 10: any
	 * of them may be fd 3 now (the cgroup's cgroup.procs often is).
	 */
	errw = fcntl(errw, F_DUPFD_CLOEXEC, 10);
	if (errw < 0)
		_exit(ZONE_EXIT_SETUP);
	readyw = fcntl(readyw, F_DUPFD_CLOEXEC, 10);
	if (readyw < 0)
		child_fail(errw, "ready pipe", strerror(errno));
	if (s->cgroup) {
		cgfd = fcntl(cg->procs_fd, F_DUPFD_CLOEXEC, 10);
		if (cgfd < 0)
			child_fail(errw, "cgroup", strerror(errno));
		mycg.procs_fd = cgfd;
	}
	if (dup2(readyw, ZONE_READY_FD) != ZONE_READY_FD)
		child_fail(errw, "ready pipe", strerror(errno));
	if (close_range(ZONE_READY_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
		child_fail(errw, "descriptors", strerror(errno));
	/* If the launcher dies before the zone is up, so does the zone. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

	if (s->cgroup && zone_cgroup_enter(&mycg, err, sizeof(err)) != 0)
		child_fail(errw, "cgroup", err);
	if (zone_rlimits(s, err, sizeof(err)) != 0)
		child_fail(errw, "rlimits", err);
	if (zone_net_enter(s, err, sizeof(err)) != 0)
		child_fail(errw, "network", err);
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
	    CLONE_NEWCGROUP) != 0) {
		snprintf(err, sizeof(err), "unshare: %s", strerror(errno));
		child_fail(errw, "namespaces", err);
	}
	if (sethostname(s->name, strlen(s->name)) != 0) {
		snprintf(err, sizeof(err), "sethostname: %s", strerror(errno));
		child_fail(errw, "namespaces", err);
	}
	if (zone_root_build(s, err, sizeof(err)) != 0)
		child_fail(errw, "root", err);
	if (zone_drop_privileges(s, err, sizeof(err)) != 0)
		child_fail(errw, "privileges", err);
	/* Changing ids cleared it; set it again for the unprivileged zone. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	execve("/zhyve", argv, envp);
	snprintf(err, sizeof(err), "cannot run /zhyve (%s): %s", s->zhyve,
	    strerror(errno));
	child_fail(errw, "exec", err);
}

/* ---- the launcher -------------------------------------------------------- */

/* Descriptors 0-2 open (on /dev/null if need be), all others closed. */
static int
sanitize_fds(int keep)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return -1;
	if (keep > 3) {
		if (close_range(3, (unsigned)keep - 1, 0) != 0)
			return -1;
		return close_range((unsigned)keep + 1, ~0U, 0);
	}
	return close_range(keep == 3 ? 4 : 3, ~0U, 0);
}

struct waitstate {
	pid_t pid;
	int status;
	bool exited;
	bool ready;
	double t_fork, t_exec, t_ready;
	char setup_err[ERRLEN];
	size_t setup_len;
};

/* Reads what is there; returns false at EOF or error. */
static bool
drain(int fd, char *buf, size_t len, size_t *have)
{
	char tmp[256];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	if (*have + (size_t)n >= len)
		n = (ssize_t)(len - 1 - *have);
	memcpy(buf + *have, tmp, (size_t)n);
	*have += (size_t)n;
	buf[*have] = '\0';
	return true;
}

static void
wait_zone(const struct zone_spec *s, struct waitstate *w, int readyr,
    int errr, int sigfd, int relay)
{
	struct pollfd pfd[3];
	char rbuf[64] = "";
	size_t rlen = 0;
	bool err_open = true, ready_open = true;

	while (!w->exited) {
		int n = 0, i_err = -1, i_ready = -1;

		pfd[n].fd = sigfd;
		pfd[n++].events = POLLIN;
		if (err_open) {
			i_err = n;
			pfd[n].fd = errr;
			pfd[n++].events = POLLIN;
		}
		if (ready_open && !err_open) {
			i_ready = n;
			pfd[n].fd = readyr;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (i_err >= 0 && pfd[i_err].revents != 0 &&
		    !drain(errr, w->setup_err, sizeof(w->setup_err),
		    &w->setup_len)) {
			err_open = false;
			w->t_exec = now();
		}
		if (i_ready >= 0 && pfd[i_ready].revents != 0) {
			if (!drain(readyr, rbuf, sizeof(rbuf), &rlen))
				ready_open = false;
			if (!w->ready && strstr(rbuf, "ready\n") != NULL) {
				w->ready = true;
				w->t_ready = now();
				fprintf(stderr, "%s: %s: hardware ready %.3f s "
				    "after exec (zone set up in %.3f s)\n", prog,
				    s->name, w->t_ready - w->t_exec,
				    w->t_exec - w->t_fork);
				if (relay >= 0) {
					(void)!write(relay, "ready\n", 6);
					close(relay);
					relay = -1;
				}
			}
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCHLD) {
				if (waitpid(w->pid, &w->status, WNOHANG) ==
				    w->pid)
					w->exited = true;
			} else if (si.ssi_signo == SIGQUIT) {
				(void)kill(w->pid, SIGKILL);
			} else {
				(void)kill(w->pid, SIGTERM);
			}
		}
	}
	/* The last words of a child that failed before exec, and a ready
	 * line written just before zhyve ended. */
	while (err_open && drain(errr, w->setup_err, sizeof(w->setup_err),
	    &w->setup_len))
		;
	while (w->exited && ready_open && !w->ready &&
	    drain(readyr, rbuf, sizeof(rbuf), &rlen))
		;
	if (!w->ready && strstr(rbuf, "ready\n") != NULL) {
		w->ready = true;
		fprintf(stderr, "%s: %s: hardware ready (reported as zhyve "
		    "ended)\n", prog, s->name);
	}
}

/* The table: zhyve's fate as the launcher's exit status. */
static int
report(const struct zone_spec *s, const struct zone_cgroup *cg,
    const struct waitstate *w)
{
	static const char *const bhyve[] = {
		"guest reboot", "guest poweroff", "guest halt",
		"guest triple fault", "zhyve error"
	};
	uint64_t ooms = s->cgroup ? zone_cgroup_oom_kills(cg) : 0;
	uint64_t peak = s->cgroup ? zone_cgroup_memory_peak(cg) : 0;
	char extra[96] = "";
	int code;

	if (peak > 0)
		snprintf(extra, sizeof(extra), "; memory peak %llu KiB",
		    (unsigned long long)(peak >> 10));
	if (w->setup_len > 0) {
		fprintf(stderr, "%s: %s: zone set-up failed: %s\n", prog,
		    s->name, w->setup_err);
		return ZONE_EXIT_SETUP;
	}
	if (WIFEXITED(w->status)) {
		code = WEXITSTATUS(w->status);
		if (code <= ZONE_EXIT_VMM_ERROR) {
			fprintf(stderr, "%s: %s: %s (zhyve status %d)%s\n", prog,
			    s->name, bhyve[code], code, extra);
			return code;
		}
		fprintf(stderr, "%s: %s: zhyve exited with status %d%s\n",
		    prog, s->name, code, extra);
		return ZONE_EXIT_VMM_OTHER;
	}
	code = WTERMSIG(w->status);
	if (code == SIGSYS) {
		fprintf(stderr, "%s: %s: seccomp violation: zhyve made a "
		    "forbidden system call and was killed (SIGSYS)%s\n", prog,
		    s->name, extra);
		return ZONE_EXIT_SECCOMP;
	}
	if (code == SIGKILL && ooms > 0) {
		fprintf(stderr, "%s: %s: out of memory: the kernel killed zhyve "
		    "at the zone's memory limit (memory.max %llu bytes, %llu "
		    "OOM kill%s)%s\n", prog, s->name,
		    (unsigned long long)s->memory_max, (unsigned long long)ooms,
		    ooms == 1 ? "" : "s", extra);
		return ZONE_EXIT_OOM;
	}
	fprintf(stderr, "%s: %s: zhyve killed by signal %d (SIG%s)%s\n", prog,
	    s->name, code, sigabbrev_np(code) ? sigabbrev_np(code) : "?",
	    extra);
	return ZONE_EXIT_SIGNAL;
}

static int
setup_fail(const char *name, const char *err)
{
	fprintf(stderr, "%s: %s%s%s\n", prog, name ? name : "",
	    name ? ": " : "", err);
	return ZONE_EXIT_SETUP;
}

int
main(int argc, char **argv)
{
	char err[ERRLEN];
	struct zone_spec spec;
	struct zone_cgroup cg;
	struct waitstate w;
	sigset_t set;
	int readyp[2], errp[2], sigfd, relay = -1, pidns = -1, c;
	int code = ZONE_EXIT_SETUP;
	bool check_only = false;

	while ((c = getopt(argc, argv, "+hnr:")) != -1) {
		switch (c) {
		case 'n':
			check_only = true;
			break;
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end != '\0' || v < 3 || v > 1024) {
				fprintf(stderr, "%s: -r: '%s' is not a "
				    "descriptor number from 3 to 1024\n", prog,
				    optarg);
				return ZONE_EXIT_SETUP;
			}
			relay = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return ZONE_EXIT_SETUP;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return ZONE_EXIT_SETUP;
	}
	/* 1. Nothing inherited but stdio (and the relay descriptor). */
	if (relay >= 0 && fcntl(relay, F_GETFD) < 0)
		return setup_fail(NULL, "-r: that descriptor is not open");
	if (sanitize_fds(relay) != 0)
		return setup_fail(NULL, "cannot close the inherited descriptors");
	if (relay >= 0)
		(void)fcntl(relay, F_SETFD, FD_CLOEXEC);
	clearenv();
	umask(022);

	/* 2. The spec, then the host. */
	zone_spec_init(&spec);
	if (zone_spec_load(argv[optind], &spec, err, sizeof(err)) != 0)
		return setup_fail(NULL, err);
	code = ZONE_EXIT_SETUP;
	if (zone_spec_check_host(&spec, err, sizeof(err)) != 0)
		goto done;
	memset(&cg, 0, sizeof(cg));
	cg.procs_fd = -1;
	if (spec.cgroup && zone_cgroup_probe(&spec, &cg, err,
	    sizeof(err)) != 0)
		goto done;
	if (check_only) {
		zone_spec_print(&spec, stdout);
		if (spec.cgroup)
			printf("# cgroup: %s/%s/%s\n", cg.mount,
			    spec.cgroup_parent ? spec.cgroup_parent : "zhyve",
			    spec.name);
		else
			printf("# cgroup: none (cgroup=off: no resource "
			    "limits)\n");
		code = 0;
		err[0] = '\0';
		goto done;
	}
	if (geteuid() != 0) {
		snprintf(err, sizeof(err), "must run as root (it builds "
		    "namespaces and a cgroup, then drops to the spec's uid)");
		goto done;
	}
	if (!spec.cgroup)
		fprintf(stderr, "%s: %s: WARNING: cgroup=off: this zone runs "
		    "WITHOUT any resource limit (memory, CPU, pids, I/O) and an "
		    "OOM kill is reported as a plain SIGKILL; for development "
		    "only\n", prog, spec.name);

	/* 3. The cgroup. */
	if (spec.cgroup && zone_cgroup_create(&spec, &cg, err,
	    sizeof(err)) != 0)
		goto done;

	/* 4. PID namespace and the child. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (pipe2(readyp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0 ||
	    sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		snprintf(err, sizeof(err), "pipes and signals: %s",
		    strerror(errno));
		goto out;
	}
	/* Only the child goes into the new PID namespace: the launcher's
	 * later children (none today; a sanitizer's helper) stay in its own. */
	if ((pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0 ||
	    unshare(CLONE_NEWPID) != 0) {
		snprintf(err, sizeof(err), "cannot make a PID namespace: %s",
		    strerror(errno));
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.t_fork = now();
	w.pid = fork();
	if (w.pid > 0 && setns(pidns, CLONE_NEWPID) != 0)
		fprintf(stderr, "%s: %s: cannot return to the launcher's PID "
		    "namespace: %s\n", prog, spec.name, strerror(errno));
	if (w.pid < 0) {
		snprintf(err, sizeof(err), "fork: %s", strerror(errno));
		goto out;
	}
	if (w.pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(readyp[0]);
		close(errp[0]);
		close(sigfd);
		close(pidns);
		if (relay >= 0)
			close(relay);
		child(&spec, &cg, readyp[1], errp[1]);
	}
	close(readyp[1]);
	close(errp[1]);
	wait_zone(&spec, &w, readyp[0], errp[0], sigfd, relay);
	if (!w.exited) {
		(void)kill(w.pid, SIGKILL);
		(void)waitpid(w.pid, &w.status, 0);
		snprintf(err, sizeof(err), "lost track of zhyve (poll: %s); "
		    "killed it", strerror(errno));
		goto out;
	}
	code = report(&spec, &cg, &w);
	err[0] = '\0';
out:
	if (err[0] != '\0')
		setup_fail(spec.name, err);
	err[0] = '\0';
	if (spec.cgroup && zone_cgroup_destroy(&cg, err, sizeof(err)) != 0)
		fprintf(stderr, "%s: %s: %s\n", prog, spec.name, err);
	err[0] = '\0';
done:
	if (err[0] != '\0')
		setup_fail(spec.name, err);
	if (pidns >= 0)
		close(pidns);
	zone_spec_free(&spec);
	return code;
}
