/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mevent: bhyve's event-loop API over Linux epoll, with an eventfd to wake
 * the dispatch thread, a timerfd per EVF_TIMER and a signalfd per
 * EVF_SIGNAL.
 *
 * Threads
 *   - Any thread: mevent_add*(), mevent_enable/disable/delete*(),
 *     mevent_timer_update().  These validate their arguments, create the
 *     event's private descriptor (see below) and record the wanted state in
 *     the struct mevent under base->mtx, put the event on the change list
 *     and, when called off the dispatch thread, wake it through the eventfd.
 *     They never call epoll_ctl(), never close a descriptor of a live event
 *     and never free an event.
 *   - Any thread or a signal handler: mevent_exit() (an atomic flag and an
 *     eventfd write, both async-signal-safe; errno is preserved).
 *   - The dispatch thread (the one inside mevent_dispatch()): applies the
 *     change list (epoll_ctl, timer arming, close and free of deleted
 *     events) before every epoll_wait(), and runs the callbacks, one at a
 *     time and without base->mtx held, so a callback may call any mevent
 *     function.  A change made inside a callback is applied after the
 *     current batch, before the next epoll_wait().
 *   - mevent_base_new()/mevent_base_free(): the owner, while no thread is
 *     in mevent_dispatch().
 *
 * Deletion
 *   mevent_delete() marks the event deleted under the lock.  Just before a
 *   callback runs, the dispatch thread checks (under the lock) that its event
 *   is still enabled and not deleted; so after mevent_delete() or
 *   mevent_disable() returns on the dispatch thread, that callback is never
 *   invoked again, even if the event is in the batch epoll_wait() already
 *   returned.  The struct is freed only by the dispatch thread while it
 *   applies changes, i.e. between batches, so no pointer in a batch ever
 *   dangles.  On another thread, a callback that had already passed the
 *   check may still be running when mevent_delete() returns; to know that it
 *   has finished (before freeing the callback's param), wait for any callback
 *   of an event added after the delete: changes are applied in order and
 *   callbacks run one at a time on one thread.
 *
 * One descriptor per event
 *   epoll accepts one registration per (descriptor, open file), while
 *   bhyve's API (from kqueue) treats EVF_READ and EVF_WRITE on one fd as
 *   independent events.  Each READ/WRITE event therefore registers its own
 *   duplicate of the caller's fd (F_DUPFD_CLOEXEC), with data.ptr pointing
 *   at the event.  This makes several events on one fd independent, keeps
 *   the registration owned by mevent (the caller closing or reusing its fd
 *   number cannot remove or steal it) and makes disable a plain
 *   EPOLL_CTL_DEL (an epoll registration with an empty mask would still
 *   report EPOLLHUP/EPOLLERR).  The cost is one extra descriptor per
 *   READ/WRITE event.  A second event with the same fd and type as a live
 *   one is refused with EEXIST, as in bhyve.
 *
 * Callback arguments: READ/WRITE get the caller's fd; TIMER gets its
 * timerfd (the expiration count has been read); SIGNAL gets the signal
 * number (one signalfd_siginfo has been read).  EPOLLHUP/EPOLLERR count as
 * ready for both READ and WRITE, so the callback sees EOF or the error.
 *
 * Signals: the signal is blocked in the thread calling mevent_add(); the
 * signalfd reports signals sent to the process (kill) or to the dispatch
 * thread itself, not those directed at another thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "mevent.h"

#define MEVENT_BATCH 32

struct mevent {
	struct mevent_base *base;
	mevent_cb_t *func;
	void *param;
	enum ev_type type;
	int fd;              /* as given: caller's fd, period or signal number */
	int pfd;             /* private fd in epoll: dup, timerfd or signalfd */

	/* Wanted state: any thread, under base->mtx. */
	bool enabled;
	bool deleted;
	bool close_fd;       /* mevent_delete_close(): close fd when freed */
	bool period_changed;
	int period_ms;       /* EVF_TIMER only */

	/* Applied state: dispatch thread only, under base->mtx. */
	bool registered;     /* pfd is in epoll (and a timer is armed) */

	/* Lists, under base->mtx. */
	bool queued;                 /* on the change list */
	struct mevent *next_change;
	struct mevent *prev, *next;  /* every event not yet freed */
};

struct mevent_base {
	pthread_mutex_t mtx;
	int epfd;
	int wakefd;                  /* eventfd; data.ptr NULL in epoll */
	atomic_int exit_req;
	bool dispatching;            /* under mtx */
	struct mevent *events;       /* every event not yet freed */
	struct mevent *chg_head;     /* change list, FIFO */
	struct mevent **chg_tailp;
};

/* The base whose mevent_dispatch() runs on this thread, if any. */
static __thread struct mevent_base *mevent_cur_base;

bool
mevent_on_dispatch_thread(struct mevent_base *base)
{
	return (base != NULL && mevent_cur_base == base);
}

static void
mevent_wake(struct mevent_base *base)
{
	uint64_t one = 1;
	ssize_t r;

	r = write(base->wakefd, &one, sizeof(one));
	(void)r;        /* EAGAIN: the counter is full, it is readable */
}

static void
mevent_drain_wake(struct mevent_base *base)
{
	uint64_t cnt;
	ssize_t r;

	r = read(base->wakefd, &cnt, sizeof(cnt));
	(void)r;
}

/* Called with base->mtx held, after changing evp's wanted state. */
static void
mevent_queue_locked(struct mevent *evp)
{
	struct mevent_base *base = evp->base;

	if (!evp->queued) {
		evp->queued = true;
		evp->next_change = NULL;
		*base->chg_tailp = evp;
		base->chg_tailp = &evp->next_change;
	}
	if (!mevent_on_dispatch_thread(base))
		mevent_wake(base);
}

static int
mevent_timer_arm(int tfd, int msecs)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (msecs > 0) {
		its.it_value.tv_sec = msecs / 1000;
		its.it_value.tv_nsec = (long)(msecs % 1000) * 1000000L;
		its.it_interval = its.it_value;
	}
	return (timerfd_settime(tfd, 0, &its, NULL));
}

/* A live (not deleted) event with this fd and type exists.  Under mtx. */
static bool
mevent_exists_locked(struct mevent_base *base, int fd, enum ev_type type)
{
	struct mevent *evp;

	for (evp = base->events; evp != NULL; evp = evp->next) {
		if (!evp->deleted && evp->type == type && evp->fd == fd)
			return (true);
	}
	return (false);
}

/* Creates the private descriptor for a new event; -1 with errno on error. */
static int
mevent_open_pfd(int fd, enum ev_type type)
{
	struct stat st;
	sigset_t set;
	int pfd;

	switch (type) {
	case EVF_READ:
	case EVF_WRITE:
		if (fd < 0 || fstat(fd, &st) != 0) {
			errno = EBADF;
			return (-1);
		}
		/* epoll refuses regular files and directories. */
		if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
			errno = EPERM;
			return (-1);
		}
		return (fcntl(fd, F_DUPFD_CLOEXEC, 0));
	case EVF_TIMER:
		if (fd <= 0) {
			errno = EINVAL;
			return (-1);
		}
		return (timerfd_create(CLOCK_MONOTONIC,
		    TFD_NONBLOCK | TFD_CLOEXEC));
	case EVF_SIGNAL:
		if (fd <= 0 || fd >= NSIG || fd == SIGKILL || fd == SIGSTOP) {
			errno = EINVAL;
			return (-1);
		}
		sigemptyset(&set);
		if (sigaddset(&set, fd) != 0) {
			errno = EINVAL;
			return (-1);
		}
		pfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
		return (pfd);
	}
	errno = EINVAL;
	return (-1);
}

static struct mevent *
mevent_add_state(struct mevent_base *base, int fd, enum ev_type type,
    mevent_cb_t *func, void *param, bool enabled)
{
	struct mevent *evp;
	sigset_t set;
	int err;

	if (base == NULL || func == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	evp = calloc(1, sizeof(*evp));
	if (evp == NULL)
		return (NULL);
	evp->pfd = mevent_open_pfd(fd, type);
	if (evp->pfd < 0) {
		err = errno;
		free(evp);
		errno = err;
		return (NULL);
	}
	evp->base = base;
	evp->func = func;
	evp->param = param;
	evp->type = type;
	evp->fd = fd;
	evp->enabled = enabled;
	evp->period_ms = type == EVF_TIMER ? fd : 0;

	pthread_mutex_lock(&base->mtx);
	if (type != EVF_TIMER && mevent_exists_locked(base, fd, type)) {
		pthread_mutex_unlock(&base->mtx);
		close(evp->pfd);
		free(evp);
		errno = EEXIST;
		return (NULL);
	}
	evp->next = base->events;
	if (base->events != NULL)
		base->events->prev = evp;
	base->events = evp;
	if (enabled)
		mevent_queue_locked(evp);
	pthread_mutex_unlock(&base->mtx);

	if (type == EVF_SIGNAL) {
		sigemptyset(&set);
		sigaddset(&set, fd);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	return (evp);
}

struct mevent *
mevent_add(struct mevent_base *base, int fd, enum ev_type type,
    mevent_cb_t *func, void *param)
{
	return (mevent_add_state(base, fd, type, func, param, true));
}

struct mevent *
mevent_add_disabled(struct mevent_base *base, int fd, enum ev_type type,
    mevent_cb_t *func, void *param)
{
	return (mevent_add_state(base, fd, type, func, param, false));
}

/* Sets the wanted enabled state; -1 (EINVAL) for a deleted event. */
static int
mevent_set_enabled(struct mevent *evp, bool enabled)
{
	struct mevent_base *base;

	if (evp == NULL) {
		errno = EINVAL;
		return (-1);
	}
	base = evp->base;
	pthread_mutex_lock(&base->mtx);
	if (evp->deleted) {
		pthread_mutex_unlock(&base->mtx);
		errno = EINVAL;
		return (-1);
	}
	if (evp->enabled != enabled) {
		evp->enabled = enabled;
		mevent_queue_locked(evp);
	}
	pthread_mutex_unlock(&base->mtx);
	return (0);
}

int
mevent_enable(struct mevent *evp)
{
	return (mevent_set_enabled(evp, true));
}

int
mevent_disable(struct mevent *evp)
{
	return (mevent_set_enabled(evp, false));
}

static int
mevent_delete_common(struct mevent *evp, bool close_fd)
{
	struct mevent_base *base;

	if (evp == NULL) {
		errno = EINVAL;
		return (-1);
	}
	base = evp->base;
	pthread_mutex_lock(&base->mtx);
	if (evp->deleted) {
		pthread_mutex_unlock(&base->mtx);
		errno = EINVAL;
		return (-1);
	}
	evp->deleted = true;
	evp->close_fd = close_fd &&
	    (evp->type == EVF_READ || evp->type == EVF_WRITE);
	mevent_queue_locked(evp);
	pthread_mutex_unlock(&base->mtx);
	return (0);
}

int
mevent_delete(struct mevent *evp)
{
	return (mevent_delete_common(evp, false));
}

int
mevent_delete_close(struct mevent *evp)
{
	return (mevent_delete_common(evp, true));
}

int
mevent_timer_update(struct mevent *evp, int msecs)
{
	struct mevent_base *base;

	if (evp == NULL || evp->type != EVF_TIMER || msecs <= 0) {
		errno = EINVAL;
		return (-1);
	}
	base = evp->base;
	pthread_mutex_lock(&base->mtx);
	if (evp->deleted) {
		pthread_mutex_unlock(&base->mtx);
		errno = EINVAL;
		return (-1);
	}
	evp->period_ms = msecs;
	evp->period_changed = true;
	mevent_queue_locked(evp);
	pthread_mutex_unlock(&base->mtx);
	return (0);
}

static void
mevent_warn(const struct mevent *evp, const char *what)
{
	fprintf(stderr, "mevent: %s (type %d, fd %d): %s\n", what,
	    (int)evp->type, evp->fd, strerror(errno));
}

/*
 * Dispatch thread, base->mtx held: make evp's epoll registration and timer
 * match its wanted state.  A deleted event is unregistered, unlinked and
 * pushed on *gravep for the caller to close and free after unlocking.
 */
static void
mevent_apply_one(struct mevent_base *base, struct mevent *evp,
    struct mevent **gravep)
{
	struct epoll_event ee;

	if (evp->deleted) {
		if (evp->registered)
			(void)epoll_ctl(base->epfd, EPOLL_CTL_DEL, evp->pfd,
			    NULL);
		evp->registered = false;
		if (evp->prev != NULL)
			evp->prev->next = evp->next;
		else
			base->events = evp->next;
		if (evp->next != NULL)
			evp->next->prev = evp->prev;
		evp->next_change = *gravep;
		*gravep = evp;
		return;
	}
	if (evp->enabled && !evp->registered) {
		if (evp->type == EVF_TIMER &&
		    mevent_timer_arm(evp->pfd, evp->period_ms) != 0) {
			mevent_warn(evp, "cannot arm timer");
			return;
		}
		memset(&ee, 0, sizeof(ee));
		ee.events = evp->type == EVF_WRITE ? EPOLLOUT : EPOLLIN;
		ee.data.ptr = evp;
		if (epoll_ctl(base->epfd, EPOLL_CTL_ADD, evp->pfd, &ee) != 0) {
			mevent_warn(evp, "cannot watch");
			if (evp->type == EVF_TIMER)
				(void)mevent_timer_arm(evp->pfd, 0);
			return;
		}
		evp->registered = true;
		evp->period_changed = false;
	} else if (!evp->enabled && evp->registered) {
		(void)epoll_ctl(base->epfd, EPOLL_CTL_DEL, evp->pfd, NULL);
		evp->registered = false;
		if (evp->type == EVF_TIMER)
			(void)mevent_timer_arm(evp->pfd, 0);
	}
	if (evp->period_changed) {
		/* A disabled timer is armed with the new period on enable. */
		evp->period_changed = false;
		if (evp->registered &&
		    mevent_timer_arm(evp->pfd, evp->period_ms) != 0)
			mevent_warn(evp, "cannot re-arm timer");
	}
}

/* Dispatch thread: applies every queued change, then frees deleted events. */
static void
mevent_apply_changes(struct mevent_base *base)
{
	struct mevent *evp, *grave = NULL;

	pthread_mutex_lock(&base->mtx);
	while ((evp = base->chg_head) != NULL) {
		base->chg_head = evp->next_change;
		if (base->chg_head == NULL)
			base->chg_tailp = &base->chg_head;
		evp->queued = false;
		mevent_apply_one(base, evp, &grave);
	}
	pthread_mutex_unlock(&base->mtx);

	/* Out of epoll and unreachable: close the fds, then free. */
	while ((evp = grave) != NULL) {
		grave = evp->next_change;
		close(evp->pfd);
		if (evp->close_fd)
			close(evp->fd);
		free(evp);
	}
}

/* Dispatch thread: runs evp's callback if it is still enabled. */
static void
mevent_run(struct mevent_base *base, struct mevent *evp)
{
	struct signalfd_siginfo ssi;
	uint64_t expirations;
	bool live;
	int cbfd;

	pthread_mutex_lock(&base->mtx);
	live = evp->enabled && !evp->deleted;
	pthread_mutex_unlock(&base->mtx);
	if (!live)
		return;

	switch (evp->type) {
	case EVF_TIMER:
		/* Consume the expirations, or epoll reports it forever. */
		if (read(evp->pfd, &expirations, sizeof(expirations)) !=
		    (ssize_t)sizeof(expirations))
			return;
		cbfd = evp->pfd;
		break;
	case EVF_SIGNAL:
		if (read(evp->pfd, &ssi, sizeof(ssi)) != (ssize_t)sizeof(ssi))
			return;
		cbfd = evp->fd;
		break;
	default:
		cbfd = evp->fd;
		break;
	}
	evp->func(cbfd, evp->type, evp->param);
}

int
mevent_dispatch(struct mevent_base *base)
{
	struct epoll_event evs[MEVENT_BATCH];
	int i, n, err, ret = 0;

	if (base == NULL) {
		errno = EINVAL;
		return (-1);
	}
	pthread_mutex_lock(&base->mtx);
	if (base->dispatching || mevent_cur_base != NULL) {
		pthread_mutex_unlock(&base->mtx);
		errno = EBUSY;
		return (-1);
	}
	base->dispatching = true;
	mevent_cur_base = base;
	pthread_mutex_unlock(&base->mtx);

	for (;;) {
		mevent_apply_changes(base);
		if (atomic_load(&base->exit_req))
			break;
		n = epoll_wait(base->epfd, evs, MEVENT_BATCH, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -1;
			break;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				mevent_drain_wake(base);
			else
				mevent_run(base, evs[i].data.ptr);
			/* The rest of the batch stays pending (level). */
			if (atomic_load(&base->exit_req))
				break;
		}
	}

	/* Free what was deleted meanwhile; consume the exit request. */
	err = errno;
	mevent_apply_changes(base);
	atomic_store(&base->exit_req, 0);
	mevent_drain_wake(base);
	pthread_mutex_lock(&base->mtx);
	base->dispatching = false;
	mevent_cur_base = NULL;
	pthread_mutex_unlock(&base->mtx);
	errno = err;
	return (ret);
}

void
mevent_exit(struct mevent_base *base)
{
	int saved = errno;

	if (base == NULL)
		return;
	atomic_store(&base->exit_req, 1);
	mevent_wake(base);
	errno = saved;
}

struct mevent_base *
mevent_base_new(void)
{
	struct mevent_base *base;
	struct epoll_event ee;
	int err;

	base = calloc(1, sizeof(*base));
	if (base == NULL)
		return (NULL);
	base->epfd = -1;
	base->wakefd = -1;
	base->chg_tailp = &base->chg_head;
	atomic_init(&base->exit_req, 0);
	err = pthread_mutex_init(&base->mtx, NULL);
	if (err != 0) {
		free(base);
		errno = err;
		return (NULL);
	}
	base->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (base->epfd < 0)
		goto fail;
	base->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (base->wakefd < 0)
		goto fail;
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.ptr = NULL;
	if (epoll_ctl(base->epfd, EPOLL_CTL_ADD, base->wakefd, &ee) != 0)
		goto fail;
	return (base);
fail:
	err = errno;
	mevent_base_free(base);
	errno = err;
	return (NULL);
}

void
mevent_base_free(struct mevent_base *base)
{
	struct mevent *evp;

	if (base == NULL)
		return;
	while ((evp = base->events) != NULL) {
		base->events = evp->next;
		close(evp->pfd);
		if (evp->deleted && evp->close_fd)
			close(evp->fd);
		free(evp);
	}
	if (base->wakefd >= 0)
		close(base->wakefd);
	if (base->epfd >= 0)
		close(base->epfd);
	pthread_mutex_destroy(&base->mtx);
	free(base);
}
