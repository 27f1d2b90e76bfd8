/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net on vhost-net: hand the receive and transmit rings to the
 * kernel at DRIVER_OK, take them back on reset.
 *
 * Start (the worker's first look at the device after DRIVER_OK):
 *   1. the memory table: guest RAM below 4 GiB and above, as mapped here;
 *   2. the features vhost understands of those negotiated (VERSION_1,
 *      EVENT_IDX, INDIRECT_DESC, MRG_RXBUF), plus "vhost adds the header"
 *      when the tap has no virtio-net header of its own;
 *   3. per ring: size, first avail index, host addresses; as kick the
 *      queue's doorbell eventfd (a KVM ioeventfd), which the worker then
 *      stops watching; as call the MSI-X vector's irqfd when it is bound
 *      (the interrupt goes guest-ward without zhyve), else a relay eventfd
 *      the worker turns into virtio_vq_interrupt() (INTx, masked or
 *      unbound vectors); an error eventfd that makes the device
 *      NEEDS_RESET; the tap as backend; then one kick so vhost looks at
 *      buffers posted before it started.
 * Stop (reset, exit): detach the tap, read back each ring's avail index
 * into the core's queue state, watch the doorbells again.
 *
 * Any failure at start is reported once and the device runs the userspace
 * path from then on.  The control queue is always served here.
 *
 * Limits: the interrupt route is chosen at start; a vector the guest masks
 * later is still signalled through its irqfd (KVM's irqfd does not know
 * the MSI-X mask).  Linux masks vectors only briefly and tolerates a
 * spurious virtio interrupt.
 *
 * Threads: the device's worker thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio_net.h"
#include "vmm.h"

#define GIB4	(1ULL << 32)

/*
 * Stand-in for a core API (proposed: virtio_worker_watch_kick(vs, q, on)
 * in virtio_worker.c): switch the worker's epoll interest in one of its
 * own fds between EPOLLIN and nothing, keeping the entry and its data.
 * vs_wsrc is written only at init, so reading it here is safe.
 */
int
vtnet_worker_watch(struct virtio_softc *vs, int fd, bool on)
{
	for (int i = 0; i < vs->vs_nwsrc; i++) {
		struct virtio_wsrc *w = &vs->vs_wsrc[i];
		struct epoll_event ev;

		if (w->fd != fd)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = on ? EPOLLIN : 0;
		ev.data.ptr = w;
		return epoll_ctl(vs->vs_epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	errno = ENOENT;
	return -1;
}

/* The irqfd of vq's MSI-X vector if it is live, else the relay eventfd. */
static int
call_fd(struct vtnet_softc *sc, struct vqueue *vq, int ring)
{
	struct virtio_softc *vs = &sc->vs;
	uint16_t v = __atomic_load_n(&vq->vq_msix, __ATOMIC_RELAXED);

	if (__atomic_load_n(&vs->vs_msix_on, __ATOMIC_ACQUIRE) &&
	    vs->vs_vecs != NULL && v < vs->vs_nvec &&
	    __atomic_load_n(&vs->vs_vecs[v].live, __ATOMIC_ACQUIRE) &&
	    vs->vs_vecs[v].fd >= 0)
		return vs->vs_vecs[v].fd;
	return sc->vh_relay[ring];
}

static int
mem_table(struct vtnet_softc *sc, char *why, size_t whylen)
{
	struct vm *vm = sc->vs.vs_vm;
	struct vhost_region r[2];
	uint64_t lo = vm_lowmem_size(vm), hi = vm_highmem_size(vm);
	int n = 0;

	/* Each of the two RAM ranges is one mapping (vm_setup_memory). */
	if (lo > 0) {
		r[n].gpa = 0;
		r[n].size = lo;
		r[n].hva = vm_map_gpa(vm, 0, (size_t)lo);
		if (r[n++].hva == NULL) {
			snprintf(why, whylen, "guest RAM below 4 GiB is not "
			    "one mapping");
			return -1;
		}
	}
	if (hi > 0) {
		r[n].gpa = GIB4;
		r[n].size = hi;
		r[n].hva = vm_map_gpa(vm, GIB4, (size_t)hi);
		if (r[n++].hva == NULL) {
			snprintf(why, whylen, "guest RAM above 4 GiB is not "
			    "one mapping");
			return -1;
		}
	}
	if (vhost_net_set_mem(&sc->vh, r, n) != 0) {
		snprintf(why, whylen, "VHOST_SET_MEM_TABLE: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
vtnet_vhost_start(struct vtnet_softc *sc)
{
	struct virtio_softc *vs = &sc->vs;
	const uint64_t pass = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX |
	    VIRTIO_F_INDIRECT_DESC | VTNET_F_MRG_RXBUF;
	uint64_t f;
	char why[240];

	if (mem_table(sc, why, sizeof(why)) != 0)
		goto fail;
	f = sc->feat & pass & sc->vh.features;
	if (!sc->be.vnet_hdr)
		f |= VHOST_F_NET_HDR;
	if (vhost_net_set_features(&sc->vh, f) != 0) {
		snprintf(why, sizeof(why), "VHOST_SET_FEATURES 0x%llx: %s",
		    (unsigned long long)f, strerror(errno));
		goto fail;
	}
	for (int q = 0; q < 2; q++) {
		struct vqueue *vq = &vs->vs_queues[q];
		struct vhost_ring r;

		if (!vq_ready(vq))
			continue;
		r.num = vq->vq_size;
		r.base = vq->vq_last_avail;
		r.desc = vq->vq_desc;
		r.avail = vq->vq_avail;
		r.used = vq->vq_used;
		r.kickfd = vq->vq_kickfd;
		r.callfd = call_fd(sc, vq, q);
		r.errfd = sc->vh_err[q];
		if (vtnet_worker_watch(vs, vq->vq_kickfd, false) != 0) {
			snprintf(why, sizeof(why), "cannot take queue %d's "
			    "doorbell from the worker: %s", q, strerror(errno));
			goto fail;
		}
		if (vhost_net_ring_start(&sc->vh, q, &r, sc->be.fd, why,
		    sizeof(why)) != 0) {
			(void)vtnet_worker_watch(vs, vq->vq_kickfd, true);
			goto fail;
		}
		sc->vh_ring[q] = true;
		(void)eventfd_write(vq->vq_kickfd, 1);
	}
	sc->vh_running = true;
	vtnet_watch_update(sc);
	return 0;
fail:
	fprintf(stderr, "zhyve: %s: vhost-net: %s; using the userspace data "
	    "path\n", vs->vs_name, why);
	vtnet_vhost_stop(sc);
	sc->use_vhost = false;
	return -1;
}

void
vtnet_vhost_stop(struct vtnet_softc *sc)
{
	struct virtio_softc *vs = &sc->vs;

	for (int q = 0; q < 2; q++) {
		struct vqueue *vq = &vs->vs_queues[q];
		uint16_t base = 0;

		if (!sc->vh_ring[q])
			continue;
		if (vhost_net_ring_stop(&sc->vh, q, &base) == 0 &&
		    vq->vq_used != NULL) {
			/* Where the kernel got to, for whoever runs it next. */
			vq->vq_last_avail = base;
			vq->vq_used_idx = __atomic_load_n(
			    (uint16_t *)(void *)(vq->vq_used + 2),
			    __ATOMIC_ACQUIRE);
		}
		(void)vtnet_worker_watch(vs, vq->vq_kickfd, true);
		sc->vh_ring[q] = false;
	}
	sc->vh_running = false;
	for (int q = 0; q < 2; q++) {
		uint64_t v;

		while (sc->vh_relay[q] >= 0 &&
		    read(sc->vh_relay[q], &v, sizeof(v)) == (ssize_t)sizeof(v))
			;
	}
}

void
vtnet_vhost_event(struct vtnet_softc *sc, int ring, bool err)
{
	struct virtio_softc *vs = &sc->vs;
	char why[80];

	if (!sc->vh_running || ring < 0 || ring > 1 || !sc->vh_ring[ring])
		return;
	if (err) {
		snprintf(why, sizeof(why), "vhost-net found queue %d broken",
		    ring);
		virtio_needs_reset(vs, why);
		return;
	}
	virtio_vq_interrupt(vs, &vs->vs_queues[ring]);
}
