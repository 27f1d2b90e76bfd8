/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-rnd (entropy device): fills the guest's buffers from getrandom().
 *
 *   -s SLOT,virtio-rnd[,limit=BYTES]
 *
 * Rate bound: a token bucket of `limit` bytes per second (size suffixes
 * allowed; default 1m; 0 = no bound) that holds at most one second's
 * worth.  When it is empty, buffers wait in the ring and a timer wakes
 * the worker when there is something to give again, so a guest reading
 * /dev/hwrng in a loop cannot drain the host's entropy pool or keep a
 * host CPU busy.
 *
 * Threads: init on the main thread; qnotify and the timer on the device's
 * worker thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "pci_emul.h"
#include "virtio.h"

#define VTRND_QSIZE		64
#define VTRND_DEFAULT_LIMIT	(1u << 20)
#define VTRND_MAX_LIMIT		(1ULL << 30)
#define VTRND_WAIT_NS		10000000	/* 10 ms between refills */
#define VTRND_MAX_CHAIN		(1u << 20)	/* bytes per request, at most */

struct vtrnd_softc {
	struct virtio_softc vs;	/* first */
	uint64_t limit;		/* bytes per second, 0: none */
	uint64_t tokens;	/* bytes we may give now */
	uint64_t last_ns;	/* last refill */
	int timerfd;
	bool timer_armed;
	struct iovec iov[VTRND_QSIZE];
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
refill(struct vtrnd_softc *sc)
{
	uint64_t now = now_ns(), dt = now - sc->last_ns;

	sc->last_ns = now;
	if (dt > 1000000000ULL)
		dt = 1000000000ULL;
	/* dt <= 1e9 and limit <= 2^30: no overflow. */
	sc->tokens += dt * sc->limit / 1000000000ULL;
	if (sc->tokens > sc->limit)
		sc->tokens = sc->limit;
}

static void
arm_timer(struct vtrnd_softc *sc)
{
	struct itimerspec its = { .it_value = { 0, VTRND_WAIT_NS } };

	if (!sc->timer_armed && timerfd_settime(sc->timerfd, 0, &its,
	    NULL) == 0)
		sc->timer_armed = true;
}

/* Fill up to n bytes of the buffers; returns how many were filled. */
static size_t
fill(struct iovec *iov, int niov, size_t n)
{
	size_t done = 0;

	for (int i = 0; i < niov && done < n; i++) {
		size_t want = iov[i].iov_len < n - done ? iov[i].iov_len :
		    n - done, got = 0;

		while (got < want) {
			ssize_t r = getrandom((uint8_t *)iov[i].iov_base + got,
			    want - got, GRND_NONBLOCK);

			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				return done + got;
			}
			got += (size_t)r;
		}
		done += got;
	}
	return done;
}

static void
vtrnd_qnotify(struct virtio_softc *vs, struct vqueue *vq)
{
	struct vtrnd_softc *sc = (struct vtrnd_softc *)vs;
	struct vq_chain ch;
	bool used = false;
	int r = 0;

	do {
		for (;;) {
			size_t n;

			if (sc->limit != 0) {
				refill(sc);
				if (sc->tokens == 0) {
					if (vq_has_avail(vq))
						arm_timer(sc);
					break;
				}
			}
			r = vq_getchain(vq, &ch, sc->iov, VTRND_QSIZE);
			if (r <= 0)
				break;
			if (ch.nread != 0) {
				vq_set_broken(vq, "entropy request with a "
				    "device-readable buffer");
				r = -1;
				break;
			}
			/* A partial fill is fine: bound the work per request. */
			n = ch.wlen > VTRND_MAX_CHAIN ? VTRND_MAX_CHAIN :
			    (size_t)ch.wlen;
			if (sc->limit != 0 && n > sc->tokens)
				n = (size_t)sc->tokens;
			n = fill(sc->iov, ch.niov, n);
			if (sc->limit != 0)
				sc->tokens -= n;
			vq_relchain(vq, ch.head, (uint32_t)n);
			used = true;
		}
	} while (r == 0 && (sc->limit == 0 || sc->tokens > 0) &&
	    vq_kicks_on(vq));
	if (used && vq_need_interrupt(vq))
		virtio_vq_interrupt(vs, vq);
}

static void
vtrnd_timer(struct virtio_softc *vs, void *arg)
{
	struct vtrnd_softc *sc = arg;
	uint64_t n;

	if (read(sc->timerfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	sc->timer_armed = false;
	if (vs->vs_running && vq_ready(&vs->vs_queues[0]))
		vtrnd_qnotify(vs, &vs->vs_queues[0]);
}

static void
vtrnd_quiesce(struct virtio_softc *vs)
{
	struct vtrnd_softc *sc = (struct vtrnd_softc *)vs;
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };

	timerfd_settime(sc->timerfd, 0, &off, NULL);
	sc->timer_armed = false;
}

static void
vtrnd_destroy(struct virtio_softc *vs)
{
	struct vtrnd_softc *sc = (struct vtrnd_softc *)vs;

	if (sc->timerfd >= 0)
		close(sc->timerfd);
	free(sc);
}

static const struct virtio_consts vtrnd_vc = {
	.vc_name = "virtio-rnd",
	.vc_devtype = VIRTIO_ID_ENTROPY,
	.vc_class = 0xFF,		/* other */
	.vc_subclass = 0x00,
	.vc_nvq = 1,
	.vc_qsize = VTRND_QSIZE,
	.vc_qnotify = vtrnd_qnotify,
	.vc_quiesce = vtrnd_quiesce,
	.vc_destroy = vtrnd_destroy,
};

static int
vtrnd_init(struct pci_devinst *pi, struct config_node *nvl)
{
	struct vtrnd_softc *sc;
	const char *s;
	uint64_t limit = VTRND_DEFAULT_LIMIT;

	for (struct config_node *c = config_first_child(nvl); c != NULL;
	    c = config_next_sibling(c)) {
		const char *k = config_node_name(c);

		if (strcmp(k, "device") != 0 && strcmp(k, "limit") != 0 &&
		    strcmp(k, "virtio_msix") != 0) {
			pci_emul_seterr(pi, "unknown key '%s' (virtio-rnd takes "
			    "limit, virtio_msix)", k);
			return -1;
		}
	}
	s = config_get_node(nvl, "limit");
	if (s != NULL && (config_parse_size(s, &limit) != 0 ||
	    limit > VTRND_MAX_LIMIT)) {
		pci_emul_seterr(pi, "limit '%s': expected bytes per second "
		    "(k/m/g suffixes allowed) up to 1g, or 0 for no limit", s);
		return -1;
	}
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		pci_emul_seterr(pi, "out of memory");
		return -1;
	}
	sc->limit = limit;
	sc->tokens = limit;
	sc->last_ns = now_ns();
	sc->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC);
	if (sc->timerfd < 0 || virtio_pci_init(&sc->vs, &vtrnd_vc, pi,
	    nvl) != 0 || virtio_worker_add_fd(&sc->vs, sc->timerfd,
	    vtrnd_timer, sc) != 0) {
		if (pi->pi_err[0] == '\0')
			pci_emul_seterr(pi, "cannot set up: %s",
			    strerror(errno));
		pi->pi_arg = NULL;
		virtio_pci_fini(&sc->vs);
		vtrnd_destroy(&sc->vs);
		return -1;
	}
	return 0;
}

const struct pci_devemu pci_de_virtio_rnd = {
	.pe_emu = "virtio-rnd",
	.pe_init = vtrnd_init,
	.pe_barwrite = virtio_pci_barwrite,
	.pe_barread = virtio_pci_barread,
	.pe_cfgwrite = virtio_pci_cfgwrite,
	.pe_cfgread = virtio_pci_cfgread,
	.pe_baraddr = virtio_pci_baraddr,
	.pe_msix_update = virtio_pci_msix_update,
};
