/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mevent: the event loop (bhyve's API on epoll, eventfd, timerfd, signalfd).
 *
 * One thread runs mevent_dispatch(); callbacks run on that thread, one at a
 * time.  Any thread may add/enable/disable/delete events: the change is
 * queued and applied by the dispatch thread before it next waits (it is
 * woken through an eventfd).  A delete is deferred the same way, so a
 * callback never runs on an event after mevent_delete() has returned on the
 * dispatch thread, and the struct mevent is freed only by the dispatch
 * thread once no callback for it can be running.
 *
 * Event types:
 *   EVF_READ / EVF_WRITE: level-triggered readiness of an fd.
 *   EVF_TIMER: `fd` is a period in milliseconds; the callback gets a
 *              timerfd as its fd.  Periodic until disabled or deleted.
 *   EVF_SIGNAL: `fd` is a signal number; the signal is blocked in the
 *              calling thread and delivered through a signalfd.  Add
 *              signal events before creating other threads so they inherit
 *              the mask.
 */
#ifndef ZHYVE_MEVENT_H
#define ZHYVE_MEVENT_H

#include <stdbool.h>

enum ev_type { EVF_READ, EVF_WRITE, EVF_TIMER, EVF_SIGNAL };

struct mevent;
struct mevent_base;

typedef void mevent_cb_t(int fd, enum ev_type type, void *param);

struct mevent_base *mevent_base_new(void);
/* Frees the base and every remaining event; call after dispatch returned. */
void mevent_base_free(struct mevent_base *base);

struct mevent *mevent_add(struct mevent_base *base, int fd, enum ev_type type,
    mevent_cb_t *func, void *param);
struct mevent *mevent_add_disabled(struct mevent_base *base, int fd,
    enum ev_type type, mevent_cb_t *func, void *param);
int mevent_enable(struct mevent *evp);
int mevent_disable(struct mevent *evp);
int mevent_delete(struct mevent *evp);
/* Delete and close the fd (for read/write events). */
int mevent_delete_close(struct mevent *evp);
/* Change a timer's period (ms); takes effect from now. */
int mevent_timer_update(struct mevent *evp, int msecs);

/* Run until mevent_exit(); returns 0, or -1 on a host error. */
int mevent_dispatch(struct mevent_base *base);
/* Ask dispatch to return (any thread, async-signal-safe). */
void mevent_exit(struct mevent_base *base);
/* True when called on the dispatch thread. */
bool mevent_on_dispatch_thread(struct mevent_base *base);

#endif
