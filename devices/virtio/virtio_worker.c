/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-device worker thread of a virtio device.
 *
 * It sleeps in epoll_wait on: one eventfd per queue (the guest's notify
 * write signals it in the kernel through an ioeventfd, so a kick costs no
 * exit to zhyve's userspace), a control eventfd (start, quiesce, exit),
 * and the model's own fds (backend completions, a timer).  While the
 * device is live it calls the model's vc_qnotify for kicked queues; it is
 * the only thread that reads or writes a live ring.
 *
 * Start: DRIVER_OK bumps vs_start_gen and signals the control fd; the
 * worker then looks at every ready queue once (kicks sent before
 * DRIVER_OK are not lost).
 *
 * Quiesce (device reset): the vCPU thread clears vs_live, bumps
 * vs_quiesce_req, signals the control fd and waits on vs_cv.  The worker
 * runs the model's vc_quiesce (every request in flight is finished or
 * cancelled), stops serving queues and acknowledges.  Only then does the
 * reset clear the queues.  The vCPU may hold pi_lock while it waits, so
 * the worker never blocks on pi_lock: virtio_worker_lock_pi() gives up
 * (dropping an interrupt the reset will clear anyway) when a quiesce is
 * pending.
 *
 * Threads: the worker thread, and the vCPU threads through the functions
 * that say so.  Locks: vs_mtx for the handshake fields; the worker holds
 * no lock while it calls the model.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci_emul.h"
#include "seccomp_filter.h"
#include "virtio.h"

enum { WS_CTL, WS_KICK, WS_FD };

static void
drain_eventfd(int fd)
{
	eventfd_t v;

	while (eventfd_read(fd, &v) == 0)
		;
}

static int
wsrc_add(struct virtio_softc *vs, int kind, int fd, int qnum,
    virtio_fd_fn *fn, void *arg)
{
	int max = 1 + vs->vs_nvq + VIRTIO_MAX_WSRC;
	struct virtio_wsrc *w;
	struct epoll_event ev;

	if (vs->vs_nwsrc >= max) {
		errno = ENOSPC;
		return -1;
	}
	w = &vs->vs_wsrc[vs->vs_nwsrc];
	w->kind = kind;
	w->fd = fd;
	w->qnum = qnum;
	w->fn = fn;
	w->arg = arg;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = w;
	if (epoll_ctl(vs->vs_epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return -1;
	vs->vs_nwsrc++;
	return 0;
}

int
virtio_worker_init(struct virtio_softc *vs)
{
	int max = 1 + vs->vs_nvq + VIRTIO_MAX_WSRC;

	vs->vs_epfd = vs->vs_ctlfd = -1;
	vs->vs_wsrc = calloc((size_t)max, sizeof(*vs->vs_wsrc));
	if (vs->vs_wsrc == NULL)
		return -1;
	vs->vs_epfd = epoll_create1(EPOLL_CLOEXEC);
	vs->vs_ctlfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vs->vs_epfd < 0 || vs->vs_ctlfd < 0 ||
	    wsrc_add(vs, WS_CTL, vs->vs_ctlfd, -1, NULL, NULL) != 0)
		return -1;
	for (int q = 0; q < vs->vs_nvq; q++) {
		struct vqueue *vq = &vs->vs_queues[q];

		vq->vq_kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vq->vq_kickfd < 0 ||
		    wsrc_add(vs, WS_KICK, vq->vq_kickfd, q, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}

int
virtio_worker_add_fd(struct virtio_softc *vs, int fd, virtio_fd_fn *fn,
    void *arg)
{
	return wsrc_add(vs, WS_FD, fd, -1, fn, arg);
}

bool
virtio_on_worker(struct virtio_softc *vs)
{
	return vs->vs_thread_up && pthread_equal(pthread_self(), vs->vs_thread);
}

/* Serve every ready queue once (start, or after the model freed room). */
static void
serve_all(struct virtio_softc *vs)
{
	for (int q = 0; q < vs->vs_nvq; q++)
		if (vq_ready(&vs->vs_queues[q]))
			vs->vs_vc->vc_qnotify(vs, &vs->vs_queues[q]);
}

/* A control event; false when the thread should exit. */
static bool
handle_ctl(struct virtio_softc *vs, uint32_t *seen_start)
{
	uint32_t g;

	drain_eventfd(vs->vs_ctlfd);
	pthread_mutex_lock(&vs->vs_mtx);
	if (vs->vs_exit || vs->vs_quiesce_req != vs->vs_quiesce_ack) {
		bool exiting = vs->vs_exit;

		g = vs->vs_quiesce_req;
		pthread_mutex_unlock(&vs->vs_mtx);
		if (vs->vs_vc->vc_quiesce != NULL)
			vs->vs_vc->vc_quiesce(vs);
		vs->vs_running = false;
		pthread_mutex_lock(&vs->vs_mtx);
		__atomic_store_n(&vs->vs_quiesce_ack, g, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&vs->vs_cv);
		if (exiting) {
			pthread_mutex_unlock(&vs->vs_mtx);
			return false;
		}
	}
	if (__atomic_load_n(&vs->vs_live, __ATOMIC_ACQUIRE) &&
	    vs->vs_start_gen != *seen_start) {
		*seen_start = vs->vs_start_gen;
		pthread_mutex_unlock(&vs->vs_mtx);
		vs->vs_running = true;
		serve_all(vs);
		return true;
	}
	pthread_mutex_unlock(&vs->vs_mtx);
	return true;
}

static void *
worker_main(void *arg)
{
	struct virtio_softc *vs = arg;
	struct epoll_event evs[16];
	uint32_t seen_start = 0;

	/* Filtered before it touches anything the guest controls. */
	seccomp_enter(SECCOMP_ROLE_WORKER);
	for (;;) {
		int n = epoll_wait(vs->vs_epfd, evs, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "zhyve: %s: worker: epoll_wait: %s\n",
			    vs->vs_name, strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct virtio_wsrc *w = evs[i].data.ptr;

			switch (w->kind) {
			case WS_CTL:
				if (!handle_ctl(vs, &seen_start))
					return NULL;
				break;
			case WS_KICK:
				drain_eventfd(w->fd);
				/* qnum < vs_nvq: set by virtio_worker_init. */
				if (vs->vs_running &&
				    vq_ready(&vs->vs_queues[w->qnum]))
					vs->vs_vc->vc_qnotify(vs,
					    &vs->vs_queues[w->qnum]);
				break;
			default:
				w->fn(vs, w->arg);
				break;
			}
		}
	}
}

int
virtio_worker_start_thread(struct virtio_softc *vs)
{
	int e = pthread_create(&vs->vs_thread, NULL, worker_main, vs);

	if (e != 0) {
		errno = e;
		return -1;
	}
	vs->vs_thread_up = true;
	return 0;
}

void
virtio_worker_go_live(struct virtio_softc *vs)
{
	vs->vs_start_gen++;
	__atomic_store_n(&vs->vs_live, true, __ATOMIC_RELEASE);
	if (vs->vs_ctlfd >= 0)
		(void)eventfd_write(vs->vs_ctlfd, 1);
}

void
virtio_worker_quiesce(struct virtio_softc *vs)
{
	uint32_t g;

	__atomic_store_n(&vs->vs_live, false, __ATOMIC_RELEASE);
	if (!vs->vs_thread_up) {
		if (vs->vs_vc->vc_quiesce != NULL)
			vs->vs_vc->vc_quiesce(vs);
		return;
	}
	g = __atomic_add_fetch(&vs->vs_quiesce_req, 1, __ATOMIC_RELEASE);
	(void)eventfd_write(vs->vs_ctlfd, 1);
	while ((int32_t)(vs->vs_quiesce_ack - g) < 0)
		pthread_cond_wait(&vs->vs_cv, &vs->vs_mtx);
}

bool
virtio_worker_lock_pi(struct virtio_softc *vs)
{
	pthread_mutex_t *m = &vs->vs_pi->pi_lock;

	for (;;) {
		if (pthread_mutex_trylock(m) == 0)
			return true;
		if (__atomic_load_n(&vs->vs_quiesce_req, __ATOMIC_ACQUIRE) !=
		    __atomic_load_n(&vs->vs_quiesce_ack, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&vs->vs_exit, __ATOMIC_ACQUIRE))
			return false;
		sched_yield();
	}
}

void
virtio_worker_fini(struct virtio_softc *vs)
{
	if (vs->vs_thread_up) {
		pthread_mutex_lock(&vs->vs_mtx);
		__atomic_store_n(&vs->vs_exit, true, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&vs->vs_mtx);
		(void)eventfd_write(vs->vs_ctlfd, 1);
		pthread_join(vs->vs_thread, NULL);
		vs->vs_thread_up = false;
	}
	for (int q = 0; vs->vs_queues != NULL && q < vs->vs_nvq; q++) {
		if (vs->vs_queues[q].vq_kickfd >= 0)
			close(vs->vs_queues[q].vq_kickfd);
		vs->vs_queues[q].vq_kickfd = -1;
	}
	if (vs->vs_ctlfd >= 0)
		close(vs->vs_ctlfd);
	if (vs->vs_epfd >= 0)
		close(vs->vs_epfd);
	vs->vs_ctlfd = vs->vs_epfd = -1;
	free(vs->vs_wsrc);
	vs->vs_wsrc = NULL;
	vs->vs_nwsrc = 0;
}
