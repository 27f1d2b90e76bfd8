/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * probe: the measuring half of bench/run.sh.  Starts a VMM command (or K
 * of them), watches what it writes on stdout through a pipe and when it
 * exits, and prints one line of key=value results.  Single-threaded: one
 * poll() loop over the children's pipes and pidfds.
 *
 *   probe run [OPTS] -- CMD...
 *	status=ok|exit:N|signal:N|timeout|killed first_us= begin_us=
 *	marker_us= exit_us= teardown_us= utime_us= stime_us= bytes= rss_kb=
 *	pss_kb= cg_usage= cg_max= cg_kmem=
 *	Times are microseconds from just before fork(); -1 = not measured.
 *	killed = stopped by the probe after the ready string (-r).
 *   probe multi -k K [OPTS] -- CMD...
 *	starts K copies at once ("%i" in an argument becomes the copy's
 *	index), waits for each one's ready string, then kills them all:
 *	k= ready= failed= all_first_us= first_med_us= all_ready_us=
 *	rss_med_kb= rss_max_kb= pss_med_kb=
 *   probe patch ROM OUT KIND COUNT
 *	copies ROM to OUT with the bench_exit parameter block set.
 *
 * The probe raises itself to SCHED_FIFO when it may (root), so that its
 * timestamps stay close to the events on a loaded machine; the commands it
 * starts get the normal policy back (SCHED_RESET_ON_FORK).
 *
 * OPTS:
 *   -c CPU    pin the command to CPU (the probe moves to another CPU)
 *   -e FILE   stderr of the command goes to FILE (default /dev/null)
 *   -g DIR    cgroup v1 memory hierarchy dir: the child joins a fresh group
 *	       below it before exec; its usage is sampled with the memory
 *   -n        stdout of the command goes to /dev/null, not to the probe
 *   -r STR    ready string: once seen, wait -s ms, sample memory, kill
 *   -s MS     settle time before sampling memory (default 100)
 *   -B STR    begin marker: its time is reported as begin_us
 *   -M STR    teardown marker: the last bytes the guest writes before reset
 *   -t SEC    give up after SEC seconds (default 60)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_K		256
#define MATCH_MAX	64

struct opts {
	int cpu;
	const char *cg_parent;
	const char *err_file;
	int to_null;
	const char *ready;
	int settle_ms;
	const char *marker;
	const char *begin;
	int timeout_s;
	int k;
	char **argv;
};

/* Streaming matcher for one fixed string. */
struct match {
	const char *s;
	size_t len, have;
	int64_t when;		/* -1 until seen */
};

struct child {
	pid_t pid;
	int out_fd;		/* read end of its stdout, or -1 */
	int pid_fd;		/* pidfd, or -1 once reaped */
	int64_t first, exit_at;
	uint64_t bytes;
	struct match marker, ready, begin;
	int status, reaped, sampled;
	struct rusage ru;
	long rss_kb, pss_kb;
	long long cg_usage, cg_max, cg_kmem;
	char cg_dir[512];
};

static int64_t t_start;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fatal(const char *what)
{
	fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: probe run [-c CPU] [-e ERRFILE] [-g CGDIR] [-n] [-r READY] [-s MS] "
	    "[-B BEGIN] [-M MARKER] [-t SEC] -- CMD...\n"
	    "       probe multi -k K [same options] -- CMD...\n"
	    "       probe patch ROM OUT KIND COUNT\n");
	exit(2);
}

static long parse_num(const char *s, const char *flag, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "probe: %s %s: want a number from %ld to %ld\n",
		    flag, s, lo, hi);
		exit(2);
	}
	return v;
}

static void match_init(struct match *m, const char *s)
{
	m->s = s;
	m->len = s ? strlen(s) : 0;
	m->have = 0;
	m->when = -1;
}

/* Feeds bytes; records the time of the first complete match.  The KMP-free
 * restart is fine for the short, distinct markers used here. */
static void match_feed(struct match *m, const char *buf, size_t n, int64_t t)
{
	if (!m->len || m->when >= 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == m->s[m->have]) {
			if (++m->have == m->len) {
				m->when = t;
				return;
			}
		} else {
			m->have = buf[i] == m->s[0];
		}
	}
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static long long read_ll(const char *dir, const char *name)
{
	char path[600], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = atoll(buf);
	fclose(f);
	return v;
}

static void sample_memory(struct child *c)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)c->pid);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Rss:", 4))
				c->rss_kb = atol(line + 4);
			else if (!strncmp(line, "Pss:", 4))
				c->pss_kb = atol(line + 4);
		}
		fclose(f);
	}
	if (c->cg_dir[0]) {
		c->cg_usage = read_ll(c->cg_dir, "memory.usage_in_bytes");
		c->cg_max = read_ll(c->cg_dir, "memory.max_usage_in_bytes");
		c->cg_kmem = read_ll(c->cg_dir, "memory.kmem.usage_in_bytes");
	}
	c->sampled = 1;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fatal("sched_setaffinity");
}

/* Moves the probe off `cpu` if another CPU is allowed. */
static void pin_probe_elsewhere(int cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (i != cpu && CPU_ISSET(i, &set)) {
			pin(i);
			return;
		}
	}
}

static void start_child(struct child *c, const struct opts *o, int index)
{
	int p[2] = { -1, -1 };
	char **argv = o->argv;
	char *subst[64];
	char bufs[8][256];
	int nb = 0;

	memset(c, 0, sizeof(*c));
	c->out_fd = c->pid_fd = -1;
	c->first = c->exit_at = -1;
	c->rss_kb = c->pss_kb = -1;
	c->cg_usage = c->cg_max = c->cg_kmem = -1;
	match_init(&c->marker, o->marker);
	match_init(&c->ready, o->ready);
	match_init(&c->begin, o->begin);

	/* "%i" -> index, in multi mode (at most 8 such arguments; main()
	 * checked that the command has fewer than 64). */
	if (o->k > 0) {
		int n;

		for (n = 0; argv[n]; n++) {
			char *pos = strstr(argv[n], "%i");

			subst[n] = argv[n];
			if (pos && nb < 8) {
				snprintf(bufs[nb], sizeof(bufs[nb]), "%.*s%d%s",
				    (int)(pos - argv[n]), argv[n], index, pos + 2);
				subst[n] = bufs[nb++];
			}
		}
		subst[n] = NULL;
		argv = subst;
	}
	if (o->cg_parent) {
		snprintf(c->cg_dir, sizeof(c->cg_dir), "%s/probe-%d-%d",
		    o->cg_parent, (int)getpid(), index);
		if (mkdir(c->cg_dir, 0755) < 0)
			fatal(c->cg_dir);
	}
	if (!o->to_null && pipe2(p, O_CLOEXEC) < 0)
		fatal("pipe");

	c->pid = fork();
	if (c->pid < 0)
		fatal("fork");
	if (c->pid == 0) {
		int fd;

		if (o->cg_parent) {
			char path[600], pid[32];
			int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

			snprintf(path, sizeof(path), "%s/cgroup.procs", c->cg_dir);
			fd = open(path, O_WRONLY);
			if (fd < 0 || write(fd, pid, (size_t)n) != n)
				_exit(126);
			close(fd);
		}
		if (o->cpu >= 0)
			pin(o->cpu);
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			_exit(126);
		dup2(fd, STDIN_FILENO);
		dup2(o->to_null ? fd : p[1], STDOUT_FILENO);
		if (o->err_file) {
			int efd = open(o->err_file,
			    O_WRONLY | O_CREAT | O_TRUNC, 0644);

			dup2(efd >= 0 ? efd : fd, STDERR_FILENO);
		} else {
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (!o->to_null) {
		close(p[1]);
		c->out_fd = p[0];
	}
	c->pid_fd = pidfd_open_(c->pid);
	if (c->pid_fd < 0)
		fatal("pidfd_open");
}

static void reap(struct child *c)
{
	if (c->reaped)
		return;
	if (wait4(c->pid, &c->status, 0, &c->ru) < 0)
		fatal("wait4");
	c->exit_at = now_us() - t_start;
	c->reaped = 1;
	close(c->pid_fd);
	c->pid_fd = -1;
}

static void drain(struct child *c)
{
	char buf[65536];
	ssize_t n = read(c->out_fd, buf, sizeof(buf));
	int64_t t = now_us() - t_start;

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		close(c->out_fd);
		c->out_fd = -1;
		return;
	}
	if (c->first < 0)
		c->first = t;
	c->bytes += (uint64_t)n;
	match_feed(&c->marker, buf, (size_t)n, t);
	match_feed(&c->ready, buf, (size_t)n, t);
	match_feed(&c->begin, buf, (size_t)n, t);
}

static int done(const struct child *c)
{
	return c->reaped && c->out_fd < 0;
}

/*
 * Runs the poll loop over n children until each is done, or (with a ready
 * string) until every live child is ready and sampled, or the timeout.
 * Returns 1 on timeout.
 */
static int watch(struct child *cs, int n, const struct opts *o)
{
	struct pollfd pf[2 * MAX_K];
	int64_t deadline = (int64_t)o->timeout_s * 1000000;
	int64_t all_ready_at = -1;

	for (;;) {
		int np = 0, pending = 0, unready = 0;
		int64_t t = now_us() - t_start, wait_ms;

		for (int i = 0; i < n; i++) {
			struct child *c = &cs[i];

			if (!done(c))
				pending++;
			if (o->ready && !c->reaped && c->ready.when < 0)
				unready++;
		}
		if (o->ready && !unready) {
			if (all_ready_at < 0)
				all_ready_at = t;
			if (t >= all_ready_at + (int64_t)o->settle_ms * 1000)
				return 0;
		}
		if (!pending)
			return 0;
		if (t >= deadline)
			return 1;
		for (int i = 0; i < n; i++) {
			if (cs[i].out_fd >= 0)
				pf[np++] = (struct pollfd){ cs[i].out_fd, POLLIN, 0 };
			if (cs[i].pid_fd >= 0)
				pf[np++] = (struct pollfd){ cs[i].pid_fd, POLLIN, 0 };
		}
		wait_ms = (deadline - t) / 1000 + 1;
		if (all_ready_at >= 0)
			wait_ms = (all_ready_at + o->settle_ms * 1000 - t) / 1000 + 1;
		if (poll(pf, (nfds_t)np, (int)wait_ms) < 0 && errno != EINTR)
			fatal("poll");
		for (int j = 0; j < np; j++) {
			if (!(pf[j].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			for (int i = 0; i < n; i++) {
				if (pf[j].fd == cs[i].out_fd)
					drain(&cs[i]);
				else if (pf[j].fd == cs[i].pid_fd)
					reap(&cs[i]);
			}
		}
	}
}

static void finish(struct child *c)
{
	if (!c->reaped) {
		kill(c->pid, SIGKILL);
		reap(c);
	}
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
	if (c->cg_dir[0]) {
		/* Charges left behind (page cache) do not block rmdir in v1;
		 * a group still being torn down may need a moment. */
		for (int i = 0; i < 50 && rmdir(c->cg_dir) < 0 && errno == EBUSY; i++)
			usleep(10000);
	}
}

static const char *status_str(const struct child *c, int timed_out, char *buf,
    size_t len)
{
	if (timed_out)
		return "timeout";
	if (c->sampled)
		return "killed";
	if (WIFEXITED(c->status)) {
		if (WEXITSTATUS(c->status) == 0)
			return "ok";
		snprintf(buf, len, "exit:%d", WEXITSTATUS(c->status));
	} else {
		snprintf(buf, len, "signal:%d", WTERMSIG(c->status));
	}
	return buf;
}

static int64_t tv_us(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static int cmd_run(const struct opts *o)
{
	struct child c;
	int timed_out;
	char sbuf[32];

	t_start = now_us();
	start_child(&c, o, 0);
	timed_out = watch(&c, 1, o);
	if (o->ready && c.ready.when >= 0 && !c.reaped) {
		sample_memory(&c);
		timed_out = 0;
	}
	finish(&c);
	printf("status=%s first_us=%lld begin_us=%lld marker_us=%lld exit_us=%lld "
	    "teardown_us=%lld utime_us=%lld stime_us=%lld bytes=%llu "
	    "rss_kb=%ld pss_kb=%ld cg_usage=%lld cg_max=%lld cg_kmem=%lld\n",
	    status_str(&c, timed_out, sbuf, sizeof(sbuf)),
	    (long long)c.first, (long long)c.begin.when, (long long)c.marker.when,
	    (long long)(c.sampled ? -1 : c.exit_at),
	    (long long)(!c.sampled && c.marker.when >= 0 ?
	    c.exit_at - c.marker.when : -1),
	    (long long)tv_us(c.ru.ru_utime), (long long)tv_us(c.ru.ru_stime),
	    (unsigned long long)c.bytes, c.rss_kb, c.pss_kb,
	    c.cg_usage, c.cg_max, c.cg_kmem);
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
	if (n == 0)
		return -1;
	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmd_multi(const struct opts *o)
{
	static struct child cs[MAX_K];
	long long firsts[MAX_K], rss[MAX_K], pss[MAX_K];
	long long all_first = 0, all_ready = 0, rss_max = 0;
	int nready = 0, nfirst = 0, nrss = 0, npss = 0;

	t_start = now_us();
	for (int i = 0; i < o->k; i++)
		start_child(&cs[i], o, i);
	watch(cs, o->k, o);
	for (int i = 0; i < o->k; i++) {
		struct child *c = &cs[i];

		if (c->first >= 0) {
			firsts[nfirst++] = c->first;
			if (c->first > all_first)
				all_first = c->first;
		}
		if (c->ready.when >= 0 && !c->reaped) {
			nready++;
			if (c->ready.when > all_ready)
				all_ready = c->ready.when;
			sample_memory(c);
			if (c->rss_kb >= 0) {
				rss[nrss++] = c->rss_kb;
				if (c->rss_kb > rss_max)
					rss_max = c->rss_kb;
			}
			if (c->pss_kb >= 0)
				pss[npss++] = c->pss_kb;
		}
	}
	for (int i = 0; i < o->k; i++)
		finish(&cs[i]);
	printf("k=%d ready=%d failed=%d all_first_us=%lld first_med_us=%lld "
	    "all_ready_us=%lld rss_med_kb=%lld rss_max_kb=%lld pss_med_kb=%lld\n",
	    o->k, nready, o->k - nready,
	    nfirst == o->k ? all_first : -1LL, median(firsts, nfirst),
	    nready == o->k ? all_ready : -1LL, median(rss, nrss),
	    nrss ? rss_max : -1LL, median(pss, npss));
	return 0;
}

static int cmd_patch(int argc, char **argv)
{
	static const char magic[8] = { 'Z', 'H', 'B', 'E', 'N', 'C', 'H', '1' };
	static unsigned char rom[16 << 20];
	uint32_t kind, count;
	size_t len = 0, at = 0;
	int hits = 0;
	FILE *f;

	if (argc != 6)
		usage();
	kind = (uint32_t)parse_num(argv[4], "KIND", 0, 255);
	count = (uint32_t)parse_num(argv[5], "COUNT", 1, 1000000000);
	f = fopen(argv[2], "rb");
	if (!f)
		fatal(argv[2]);
	len = fread(rom, 1, sizeof(rom), f);
	fclose(f);
	for (size_t i = 0; len >= 16 && i <= len - 16; i++) {
		if (!memcmp(rom + i, magic, sizeof(magic))) {
			at = i;
			hits++;
		}
	}
	if (hits != 1) {
		fprintf(stderr, "probe: %s: %d parameter blocks, want 1\n",
		    argv[2], hits);
		return 2;
	}
	for (int b = 0; b < 4; b++) {
		rom[at + 8 + b] = (unsigned char)(kind >> (8 * b));
		rom[at + 12 + b] = (unsigned char)(count >> (8 * b));
	}
	f = fopen(argv[3], "wb");
	if (!f || fwrite(rom, 1, len, f) != len || fclose(f) != 0)
		fatal(argv[3]);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .cpu = -1, .settle_ms = 100, .timeout_s = 60 };
	int multi, opt;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "patch"))
		return cmd_patch(argc, argv);
	if (strcmp(argv[1], "run") && strcmp(argv[1], "multi"))
		usage();
	multi = !strcmp(argv[1], "multi");
	optind = 2;
	while ((opt = getopt(argc, argv, "+B:c:e:g:nr:s:M:t:k:")) != -1) {
		switch (opt) {
		case 'c': o.cpu = (int)parse_num(optarg, "-c", 0, CPU_SETSIZE - 1); break;
		case 'e': o.err_file = optarg; break;
		case 'g': o.cg_parent = optarg; break;
		case 'n': o.to_null = 1; break;
		case 'r': o.ready = optarg; break;
		case 's': o.settle_ms = (int)parse_num(optarg, "-s", 0, 60000); break;
		case 'M': o.marker = optarg; break;
		case 'B': o.begin = optarg; break;
		case 't': o.timeout_s = (int)parse_num(optarg, "-t", 1, 3600); break;
		case 'k': o.k = (int)parse_num(optarg, "-k", 1, MAX_K); break;
		default: usage();
		}
	}
	if (optind >= argc || (multi && !o.k) || (!multi && o.k))
		usage();
	if ((o.ready && strlen(o.ready) > MATCH_MAX) ||
	    (o.marker && strlen(o.marker) > MATCH_MAX) ||
	    (o.begin && strlen(o.begin) > MATCH_MAX) ||
	    (o.ready && !*o.ready) || (o.marker && !*o.marker) ||
	    (o.begin && !*o.begin)) {
		fprintf(stderr, "probe: -r/-M/-B: 1 to %d characters\n", MATCH_MAX);
		return 2;
	}
	if (multi && o.cg_parent) {
		fprintf(stderr, "probe: -g is for run, not multi\n");
		return 2;
	}
	o.argv = argv + optind;
	{
		struct sched_param sp = { .sched_priority = 10 };

		/* Best effort: without the privilege the probe just runs at
		 * the normal policy. */
		(void)sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
	}
	if (multi && argc - optind >= 64) {
		fprintf(stderr, "probe: multi: at most 63 command arguments\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (o.cpu >= 0)
		pin_probe_elsewhere(o.cpu);
	return multi ? cmd_multi(&o) : cmd_run(&o);
}
