/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for vmm/mevent.c with real threads and real descriptors
 * (pipes, socketpairs, timerfds, signals); no KVM.  Most cases run
 * mevent_dispatch() on a helper thread while the main thread drives it;
 * the signal and same-batch cases run it on the main thread, guarded by a
 * watchdog timer event.  Counters shared between threads use atomics.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mevent.h"
#include "test.h"

#define LOAD(p)     __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define INC(p)      __atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST)

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Polls until *p >= want or about two seconds passed; returns *p. */
static int
wait_at_least(int *p, int want)
{
	int i;

	for (i = 0; i < 2000 && LOAD(p) < want; i++)
		msleep(1);
	return (LOAD(p));
}

/* mevent_dispatch() on a helper thread. */
struct runner {
	struct mevent_base *base;
	pthread_t tid;
	int ret;
};

static void *
runner_main(void *arg)
{
	struct runner *r = arg;

	r->ret = mevent_dispatch(r->base);
	return (NULL);
}

static void
runner_start(struct runner *r, struct mevent_base *base)
{
	r->base = base;
	r->ret = -2;
	if (pthread_create(&r->tid, NULL, runner_main, r) != 0) {
		printf("    pthread_create failed\n");
		exit(1);
	}
}

/* Joins the dispatch thread (exiting it first if ask_exit); its return. */
static int
runner_join(struct runner *r, bool ask_exit)
{
	struct timespec dl;

	if (ask_exit)
		mevent_exit(r->base);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 3;
	if (pthread_timedjoin_np(r->tid, NULL, &dl) != 0) {
		printf("    dispatch thread did not return\n");
		exit(1);
	}
	return (r->ret);
}

/* What a callback saw. */
struct seen {
	int count;
	int fd;
	int type;
	void *param;
	bool consume;           /* read one byte per callback */
	bool exit_after;        /* mevent_exit() from the callback */
	struct mevent_base *base;
	struct mevent *self;
	struct mevent *other;
};

static void
record_cb(int fd, enum ev_type type, void *param)
{
	struct seen *s = param;
	char c;

	STORE(&s->fd, fd);
	STORE(&s->type, (int)type);
	STORE(&s->param, param);
	if (s->consume && read(fd, &c, 1) != 1)
		STORE(&s->fd, -100);
	INC(&s->count);
	if (s->exit_after)
		mevent_exit(s->base);
}

/* Watchdog for dispatch on the main thread. */
static int watchdog_fired;

static void
watchdog_cb(int fd, enum ev_type type, void *param)
{
	STORE(&watchdog_fired, 1);
	mevent_exit(param);
}

static void
exit_cb(int fd, enum ev_type type, void *param)
{
	mevent_exit(param);
}

TEST(read_event_args)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { .consume = true };
	struct runner r;
	int p[2];

	CHECK(base != NULL);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(mevent_add(base, p[0], EVF_READ, record_cb, &s) != NULL);
	runner_start(&r, base);
	CHECK_EQ(wait_at_least(&s.count, 1), 1);
	CHECK_EQ(LOAD(&s.fd), p[0]);
	CHECK_EQ(LOAD(&s.type), EVF_READ);
	CHECK(LOAD(&s.param) == &s);
	msleep(20);
	CHECK_EQ(LOAD(&s.count), 1);    /* drained: no more callbacks */
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
	close(p[0]);
	close(p[1]);
}

TEST(read_disable_enable)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { .consume = true };
	struct mevent *evp;
	struct runner r;
	int p[2], pending = 0;

	CHECK_EQ(pipe(p), 0);
	evp = mevent_add(base, p[0], EVF_READ, record_cb, &s);
	CHECK(evp != NULL);
	runner_start(&r, base);
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(wait_at_least(&s.count, 1), 1);

	CHECK_EQ(mevent_disable(evp), 0);
	CHECK_EQ(mevent_disable(evp), 0);       /* idempotent */
	CHECK_EQ(write(p[1], "b", 1), 1);
	msleep(50);
	CHECK_EQ(LOAD(&s.count), 1);
	CHECK_EQ(ioctl(p[0], FIONREAD, &pending), 0);
	CHECK_EQ(pending, 1);                   /* data waits, no callback */

	CHECK_EQ(mevent_enable(evp), 0);
	CHECK_EQ(wait_at_least(&s.count, 2), 2);
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
	close(p[0]);
	close(p[1]);
}

TEST(add_disabled_then_enable)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { .consume = true };
	struct mevent *evp;
	struct runner r;
	int p[2];

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	evp = mevent_add_disabled(base, p[0], EVF_READ, record_cb, &s);
	CHECK(evp != NULL);
	runner_start(&r, base);
	msleep(30);
	CHECK_EQ(LOAD(&s.count), 0);
	CHECK_EQ(mevent_enable(evp), 0);
	CHECK_EQ(wait_at_least(&s.count, 1), 1);
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
	close(p[0]);
	close(p[1]);
}

TEST(write_event)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { .exit_after = true };
	struct runner r;
	int p[2];

	s.base = base;
	CHECK_EQ(pipe(p), 0);
	CHECK(mevent_add(base, p[1], EVF_WRITE, record_cb, &s) != NULL);
	runner_start(&r, base);
	CHECK_EQ(runner_join(&r, false), 0);    /* the callback exits */
	CHECK_EQ(LOAD(&s.count), 1);
	CHECK_EQ(LOAD(&s.fd), p[1]);
	CHECK_EQ(LOAD(&s.type), EVF_WRITE);
	CHECK(LOAD(&s.param) == &s);
	mevent_base_free(base);
	close(p[0]);
	close(p[1]);
}

/* WRITE disables itself after one call so it does not spin. */
static void
write_once_cb(int fd, enum ev_type type, void *param)
{
	struct seen *s = param;

	INC(&s->count);
	STORE(&s->type, (int)type);
	mevent_disable(s->self);
}

TEST(read_and_write_same_fd)
{
	struct mevent_base *base = mevent_base_new();
	struct seen rd = { .consume = true }, wr = { 0 };
	struct runner r;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK(mevent_add(base, sv[0], EVF_READ, record_cb, &rd) != NULL);
	wr.self = mevent_add(base, sv[0], EVF_WRITE, write_once_cb, &wr);
	CHECK(wr.self != NULL);
	runner_start(&r, base);
	CHECK_EQ(wait_at_least(&wr.count, 1), 1);
	CHECK_EQ(LOAD(&wr.type), EVF_WRITE);
	CHECK_EQ(write(sv[1], "z", 1), 1);
	CHECK_EQ(wait_at_least(&rd.count, 1), 1);
	CHECK_EQ(LOAD(&rd.fd), sv[0]);
	CHECK_EQ(LOAD(&rd.type), EVF_READ);
	msleep(20);
	CHECK_EQ(LOAD(&wr.count), 1);
	CHECK_EQ(LOAD(&rd.count), 1);
	/* A second READ on the same fd is refused. */
	errno = 0;
	CHECK(mevent_add(base, sv[0], EVF_READ, record_cb, &rd) == NULL);
	CHECK_EQ(errno, EEXIST);
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
	close(sv[0]);
	close(sv[1]);
}

TEST(add_errors)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { 0 };
	struct mevent *evp;
	char path[] = "/tmp/mevent-test-XXXXXX";
	int fd, p[2];

	CHECK_EQ(pipe(p), 0);
	errno = 0;
	CHECK(mevent_add(base, p[0], EVF_READ, NULL, &s) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(mevent_add(NULL, p[0], EVF_READ, record_cb, &s) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(mevent_add(base, -1, EVF_READ, record_cb, &s) == NULL);
	CHECK_EQ(errno, EBADF);
	errno = 0;
	CHECK(mevent_add(base, 9999, EVF_WRITE, record_cb, &s) == NULL);
	CHECK_EQ(errno, EBADF);
	errno = 0;
	CHECK(mevent_add(base, p[0], (enum ev_type)7, record_cb, &s) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(mevent_add(base, 0, EVF_TIMER, record_cb, &s) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(mevent_add(base, -5, EVF_TIMER, record_cb, &s) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(mevent_add(base, 0, EVF_SIGNAL, record_cb, &s) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(mevent_add(base, SIGKILL, EVF_SIGNAL, record_cb, &s) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(mevent_add(base, 100000, EVF_SIGNAL, record_cb, &s) == NULL);
	CHECK_EQ(errno, EINVAL);

	/* epoll cannot watch a regular file: refused at once. */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	errno = 0;
	CHECK(mevent_add(base, fd, EVF_READ, record_cb, &s) == NULL);
	CHECK_EQ(errno, EPERM);
	close(fd);

	/* Calls on a READ event that only timers accept. */
	evp = mevent_add(base, p[0], EVF_READ, record_cb, &s);
	CHECK(evp != NULL);
	errno = 0;
	CHECK_EQ(mevent_timer_update(evp, 10), -1);
	CHECK_EQ(errno, EINVAL);
	evp = mevent_add(base, 50, EVF_TIMER, record_cb, &s);
	CHECK(evp != NULL);
	CHECK_EQ(mevent_timer_update(evp, 0), -1);
	CHECK_EQ(mevent_timer_update(NULL, 10), -1);
	CHECK_EQ(mevent_enable(NULL), -1);
	CHECK_EQ(mevent_disable(NULL), -1);
	CHECK_EQ(mevent_delete(NULL), -1);
	CHECK_EQ(mevent_delete_close(NULL), -1);
	/* A deleted (not yet freed) event refuses further changes. */
	CHECK_EQ(mevent_delete(evp), 0);
	errno = 0;
	CHECK_EQ(mevent_delete(evp), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mevent_enable(evp), -1);
	CHECK_EQ(mevent_timer_update(evp, 10), -1);
	/* Two timers with the same period are two events. */
	CHECK(mevent_add(base, 50, EVF_TIMER, record_cb, &s) != NULL);
	CHECK(mevent_add(base, 50, EVF_TIMER, record_cb, &s) != NULL);
	CHECK_EQ(mevent_dispatch(NULL), -1);
	CHECK(!mevent_on_dispatch_thread(base));
	CHECK(!mevent_on_dispatch_thread(NULL));
	mevent_exit(NULL);
	/* Remaining events (one deleted, unapplied) are freed here. */
	mevent_base_free(base);
	mevent_base_free(NULL);
	close(p[0]);
	close(p[1]);
}

TEST(timer_periodic)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { 0 };
	struct runner r;
	char link[64], target[64];
	int n;

	CHECK(mevent_add(base, 20, EVF_TIMER, record_cb, &s) != NULL);
	runner_start(&r, base);
	msleep(200);
	n = LOAD(&s.count);
	/* About 10; missed ticks fold into one callback; a spin is huge. */
	CHECK(n >= 4);
	CHECK(n <= 13);
	CHECK_EQ(LOAD(&s.type), EVF_TIMER);
	CHECK(LOAD(&s.param) == &s);
	CHECK_EQ(runner_join(&r, true), 0);
	/* The callback got a timerfd. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", s.fd);
	n = (int)readlink(link, target, sizeof(target) - 1);
	CHECK(n > 0);
	target[n > 0 ? n : 0] = '\0';
	CHECK_STR(target, "anon_inode:[timerfd]");
	mevent_base_free(base);
}

TEST(timer_update)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { 0 };
	struct mevent *evp;
	struct runner r;
	int n;

	evp = mevent_add(base, 1000, EVF_TIMER, record_cb, &s);
	CHECK(evp != NULL);
	runner_start(&r, base);
	msleep(50);
	CHECK_EQ(LOAD(&s.count), 0);
	CHECK_EQ(mevent_timer_update(evp, 10), 0);
	msleep(100);
	n = LOAD(&s.count);
	CHECK(n >= 4);
	CHECK(n <= 12);
	CHECK_EQ(mevent_timer_update(evp, 1000), 0);
	msleep(10);                             /* an in-flight tick */
	n = LOAD(&s.count);
	msleep(150);
	CHECK_EQ(LOAD(&s.count), n);
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
}

TEST(timer_disable)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { 0 };
	struct mevent *evp;
	struct runner r;
	int n;

	evp = mevent_add(base, 10, EVF_TIMER, record_cb, &s);
	CHECK(evp != NULL);
	runner_start(&r, base);
	CHECK(wait_at_least(&s.count, 2) >= 2);
	CHECK_EQ(mevent_disable(evp), 0);
	msleep(5);
	n = LOAD(&s.count);
	msleep(100);
	CHECK_EQ(LOAD(&s.count), n);
	/* Period changes while disabled apply on enable. */
	CHECK_EQ(mevent_timer_update(evp, 5), 0);
	msleep(30);
	CHECK_EQ(LOAD(&s.count), n);
	CHECK_EQ(mevent_enable(evp), 0);
	CHECK(wait_at_least(&s.count, n + 3) >= n + 3);
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
}

TEST(signal_event)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { .exit_after = true };
	sigset_t cur;

	s.base = base;
	STORE(&watchdog_fired, 0);
	CHECK(mevent_add(base, SIGUSR1, EVF_SIGNAL, record_cb, &s) != NULL);
	CHECK(mevent_add(base, 2000, EVF_TIMER, watchdog_cb, base) != NULL);
	/* The add blocked SIGUSR1 in this thread: raise() leaves it pending. */
	CHECK_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	CHECK_EQ(sigismember(&cur, SIGUSR1), 1);
	errno = 0;
	CHECK(mevent_add(base, SIGUSR1, EVF_SIGNAL, record_cb, &s) == NULL);
	CHECK_EQ(errno, EEXIST);
	CHECK_EQ(raise(SIGUSR1), 0);
	CHECK_EQ(mevent_dispatch(base), 0);
	CHECK_EQ(LOAD(&watchdog_fired), 0);
	CHECK_EQ(s.count, 1);
	CHECK_EQ(s.fd, SIGUSR1);
	CHECK_EQ(s.type, EVF_SIGNAL);
	CHECK(s.param == &s);
	/* The siginfo was read: the signal is no longer pending. */
	CHECK_EQ(sigpending(&cur), 0);
	CHECK_EQ(sigismember(&cur, SIGUSR1), 0);
	mevent_base_free(base);
}

/* Both ready in one batch: whichever runs first deletes the other. */
static struct seen pair[2];

static void
pair_cb(int fd, enum ev_type type, void *param)
{
	struct seen *s = param;

	INC(&s->count);
	if (LOAD(&pair[0].count) + LOAD(&pair[1].count) == 1)
		CHECK_EQ(mevent_delete(s->other), 0);
}

TEST(delete_pending_in_batch)
{
	struct mevent_base *base = mevent_base_new();
	struct mevent *a, *b;
	int p[2], q[2];

	memset(pair, 0, sizeof(pair));
	STORE(&watchdog_fired, 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	CHECK_EQ(write(p[1], "p", 1), 1);
	CHECK_EQ(write(q[1], "q", 1), 1);
	/* Not consumed: each stays ready, so each would fire every loop. */
	a = mevent_add(base, p[0], EVF_READ, pair_cb, &pair[0]);
	b = mevent_add(base, q[0], EVF_READ, pair_cb, &pair[1]);
	CHECK(a != NULL && b != NULL);
	pair[0].other = b;
	pair[1].other = a;
	CHECK(mevent_add(base, 60, EVF_TIMER, exit_cb, base) != NULL);
	CHECK(mevent_add(base, 2000, EVF_TIMER, watchdog_cb, base) != NULL);
	CHECK_EQ(mevent_dispatch(base), 0);
	CHECK_EQ(LOAD(&watchdog_fired), 0);
	/* The survivor ran many times; the deleted one never did. */
	CHECK(pair[0].count == 0 || pair[1].count == 0);
	CHECK(pair[0].count + pair[1].count > 1);
	mevent_base_free(base);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void
delete_self_cb(int fd, enum ev_type type, void *param)
{
	struct seen *s = param;

	INC(&s->count);
	CHECK_EQ(mevent_delete(s->self), 0);
}

TEST(delete_self)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { 0 };
	struct runner r;
	int p[2];

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);       /* stays readable */
	s.self = mevent_add(base, p[0], EVF_READ, delete_self_cb, &s);
	CHECK(s.self != NULL);
	runner_start(&r, base);
	CHECK_EQ(wait_at_least(&s.count, 1), 1);
	msleep(50);
	CHECK_EQ(LOAD(&s.count), 1);
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
	/* mevent_delete leaves the caller's fd open. */
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	close(p[0]);
	close(p[1]);
}

static void
delete_close_cb(int fd, enum ev_type type, void *param)
{
	struct seen *s = param;

	INC(&s->count);
	CHECK_EQ(mevent_delete_close(s->self), 0);
	/* Still registered until this batch ends: not closed yet. */
	STORE(&s->fd, fcntl(fd, F_GETFD) >= 0);
}

TEST(delete_close)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { 0 };
	struct runner r;
	int p[2];

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	s.self = mevent_add(base, p[0], EVF_READ, delete_close_cb, &s);
	CHECK(s.self != NULL);
	runner_start(&r, base);
	CHECK_EQ(wait_at_least(&s.count, 1), 1);
	CHECK_EQ(runner_join(&r, true), 0);     /* changes applied on return */
	CHECK_EQ(s.count, 1);
	CHECK_EQ(s.fd, 1);
	errno = 0;
	CHECK_EQ(fcntl(p[0], F_GETFD), -1);
	CHECK_EQ(errno, EBADF);
	mevent_base_free(base);
	close(p[1]);
}

TEST(cross_thread_add)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { .consume = true };
	struct runner r;
	int p[2];

	CHECK_EQ(pipe(p), 0);
	runner_start(&r, base);
	msleep(20);                             /* dispatch is in epoll_wait */
	CHECK(!mevent_on_dispatch_thread(base));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(mevent_add(base, p[0], EVF_READ, record_cb, &s) != NULL);
	CHECK_EQ(wait_at_least(&s.count, 1), 1);
	CHECK_EQ(LOAD(&s.fd), p[0]);
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
	close(p[0]);
	close(p[1]);
}

/* The param of the event the main thread deletes; freed by main. */
struct victim {
	int count;
};

static void
victim_cb(int fd, enum ev_type type, void *param)
{
	struct victim *v = param;

	INC(&v->count);                         /* ASan: use after free */
}

static void
fence_cb(int fd, enum ev_type type, void *param)
{
	struct seen *s = param;

	INC(&s->count);
	mevent_delete(s->self);
}

TEST(cross_thread_delete_then_free)
{
	struct mevent_base *base = mevent_base_new();
	struct victim *v = calloc(1, sizeof(*v));
	struct seen fence = { 0 };
	struct mevent *evp;
	struct runner r;
	int p[2], q[2], n;

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);       /* never consumed */
	evp = mevent_add(base, p[0], EVF_READ, victim_cb, v);
	CHECK(evp != NULL);
	runner_start(&r, base);
	CHECK(wait_at_least(&v->count, 50) >= 50);   /* firing in a loop */
	CHECK_EQ(mevent_delete(evp), 0);
	/* Handshake: a callback of an event added after the delete. */
	CHECK_EQ(write(q[1], "f", 1), 1);
	fence.self = mevent_add(base, q[0], EVF_READ, fence_cb, &fence);
	CHECK(fence.self != NULL);
	CHECK_EQ(wait_at_least(&fence.count, 1), 1);
	n = LOAD(&v->count);
	msleep(20);
	CHECK_EQ(LOAD(&v->count), n);
	free(v);
	msleep(20);                             /* a late callback would hit */
	CHECK_EQ(runner_join(&r, true), 0);
	mevent_base_free(base);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

TEST(exit_from_other_thread)
{
	struct mevent_base *base = mevent_base_new();
	struct runner r;
	int i;

	/* Twice: a finished dispatch can run again. */
	for (i = 0; i < 2; i++) {
		runner_start(&r, base);
		msleep(10);
		CHECK_EQ(runner_join(&r, true), 0);
	}
	mevent_base_free(base);
}

TEST(exit_from_callback)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { .exit_after = true };
	int p[2];

	s.base = base;
	STORE(&watchdog_fired, 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(mevent_add(base, p[0], EVF_READ, record_cb, &s) != NULL);
	CHECK(mevent_add(base, 2000, EVF_TIMER, watchdog_cb, base) != NULL);
	CHECK_EQ(mevent_dispatch(base), 0);
	CHECK_EQ(LOAD(&watchdog_fired), 0);
	CHECK_EQ(s.count, 1);
	mevent_base_free(base);
	close(p[0]);
	close(p[1]);
}

TEST(exit_before_dispatch)
{
	struct mevent_base *base = mevent_base_new();

	mevent_exit(base);
	CHECK_EQ(mevent_dispatch(base), 0);
	mevent_base_free(base);
}

static struct mevent_base *alarm_base;

static void
alarm_handler(int sig)
{
	mevent_exit(alarm_base);
}

TEST(exit_from_signal_handler)
{
	struct mevent_base *base = mevent_base_new();
	struct itimerval itv = { { 0, 0 }, { 0, 20000 } };
	struct sigaction sa, old;

	STORE(&watchdog_fired, 0);
	alarm_base = base;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_handler;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGALRM, &sa, &old), 0);
	CHECK(mevent_add(base, 2000, EVF_TIMER, watchdog_cb, base) != NULL);
	CHECK_EQ(setitimer(ITIMER_REAL, &itv, NULL), 0);
	CHECK_EQ(mevent_dispatch(base), 0);
	CHECK_EQ(LOAD(&watchdog_fired), 0);
	CHECK_EQ(sigaction(SIGALRM, &old, NULL), 0);
	mevent_base_free(base);
}

/* Inside a callback: on the dispatch thread; no nested dispatch. */
static void
nested_cb(int fd, enum ev_type type, void *param)
{
	struct seen *s = param;

	STORE(&s->fd, mevent_on_dispatch_thread(s->base) ? 1 : 0);
	errno = 0;
	STORE(&s->type, mevent_dispatch(s->base) == -1 && errno == EBUSY);
	INC(&s->count);
	mevent_exit(s->base);
}

TEST(on_dispatch_thread_and_nesting)
{
	struct mevent_base *base = mevent_base_new();
	struct seen s = { 0 };
	struct runner r;

	s.base = base;
	CHECK(mevent_add(base, 1, EVF_TIMER, nested_cb, &s) != NULL);
	runner_start(&r, base);
	CHECK_EQ(runner_join(&r, false), 0);
	CHECK_EQ(s.count, 1);
	CHECK_EQ(s.fd, 1);
	CHECK_EQ(s.type, 1);
	mevent_base_free(base);
}

int
main(void)
{
	RUN(read_event_args);
	RUN(read_disable_enable);
	RUN(add_disabled_then_enable);
	RUN(write_event);
	RUN(read_and_write_same_fd);
	RUN(add_errors);
	RUN(timer_periodic);
	RUN(timer_update);
	RUN(timer_disable);
	RUN(signal_event);
	RUN(delete_pending_in_batch);
	RUN(delete_self);
	RUN(delete_close);
	RUN(cross_thread_add);
	RUN(cross_thread_delete_then_free);
	RUN(exit_from_other_thread);
	RUN(exit_from_callback);
	RUN(exit_before_dispatch);
	RUN(exit_from_signal_handler);
	RUN(on_dispatch_thread_and_nesting);
	TEST_SUMMARY();
}
