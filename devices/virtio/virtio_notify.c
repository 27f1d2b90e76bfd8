/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio doorbells: guest kicks in through ioeventfds, interrupts out
 * through irqfds.
 *
 * Kicks: each queue has its own doorbell address in the register BAR
 * (VIRTIO_NOTIFY_OFF + queue * VIRTIO_NOTIFY_MULT).  While the BAR
 * decodes, each address is an ioeventfd: KVM signals the queue's eventfd
 * in the kernel and the vCPU goes straight back into the guest.  We ask
 * for any access width first (len 0), then for the 16-bit write of the
 * queue index (datamatch); a write KVM does not match still reaches
 * virtio_pci_barwrite(), which signals the same eventfd.
 *
 * Interrupts: with MSI-X on, every table entry has an eventfd bound with
 * irqfd to an MSI route that mirrors the entry (vm_msi_route_add/update
 * when the guest programs it, see virtio_vectors_update()).  While an
 * entry is unmasked and bound, signalling it is one eventfd write, no
 * lock.  While it is masked, or if KVM would not take a route (the fake
 * VM of the unit tests), the PCI core's pci_generate_msix() sends it or
 * sets its pending bit.  With MSI-X off, the ISR and INTx (pci_lintr_*).
 *
 * Threads: virtio_vq_interrupt/virtio_config_interrupt from the worker
 * thread (or a vCPU thread that holds pi_lock); the rest on vCPU threads
 * with pi_lock held.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci_emul.h"
#include "virtio.h"
#include "vmm.h"

int
virtio_notify_init(struct virtio_softc *vs)
{
	if (!vs->vs_has_msix)
		return 0;
	vs->vs_nvec = vs->vs_nvq + 1;
	vs->vs_vecs = calloc((size_t)vs->vs_nvec, sizeof(*vs->vs_vecs));
	if (vs->vs_vecs == NULL)
		return -1;
	for (int v = 0; v < vs->vs_nvec; v++) {
		vs->vs_vecs[v].gsi = -1;
		vs->vs_vecs[v].fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vs->vs_vecs[v].fd < 0)
			return -1;
	}
	return 0;
}

void
virtio_notify_fini(struct virtio_softc *vs)
{
	for (int v = 0; vs->vs_vecs != NULL && v < vs->vs_nvec; v++) {
		struct virtio_vec *e = &vs->vs_vecs[v];

		if (e->gsi >= 0) {
			vm_irqfd(vs->vs_vm, e->fd, (uint32_t)e->gsi, false);
			vm_msi_route_del(vs->vs_vm, e->gsi);
		}
		if (e->fd >= 0)
			close(e->fd);
	}
	free(vs->vs_vecs);
	vs->vs_vecs = NULL;
	vs->vs_nvec = 0;
}

/* --- kicks ----------------------------------------------------------------- */

void
virtio_kicks_bind(struct virtio_softc *vs, bool on, uint64_t bar_addr)
{
	for (int q = 0; q < vs->vs_nvq; q++) {
		struct vqueue *vq = &vs->vs_queues[q];
		uint64_t a = bar_addr + VIRTIO_NOTIFY_OFF +
		    (uint64_t)q * VIRTIO_NOTIFY_MULT;

		if (vq->vq_kickfd < 0)
			continue;
		if (!on) {
			if (vq->vq_kick_bound)
				vm_ioeventfd(vs->vs_vm, vq->vq_kickfd, a,
				    vq->vq_kick_len, false,
				    vq->vq_kick_len != 0, (uint64_t)q, false);
			vq->vq_kick_bound = false;
			continue;
		}
		if (vq->vq_kick_bound)
			continue;
		if (vm_ioeventfd(vs->vs_vm, vq->vq_kickfd, a, 0, false, false,
		    0, true) == 0) {
			vq->vq_kick_len = 0;
			vq->vq_kick_bound = true;
		} else if (vm_ioeventfd(vs->vs_vm, vq->vq_kickfd, a, 2, false,
		    true, (uint64_t)q, true) == 0) {
			vq->vq_kick_len = 2;
			vq->vq_kick_bound = true;
		}
		/* Else: notify writes trap to virtio_pci_barwrite(). */
	}
	vs->vs_bar_on = on;
	vs->vs_bar_addr = bar_addr;
}

/* --- MSI-X vectors ------------------------------------------------------------ */

/* Make vector v's route and irqfd match its table entry; pi_lock held. */
static void
vec_update(struct virtio_softc *vs, int v)
{
	struct virtio_vec *e = &vs->vs_vecs[v];
	uint64_t addr;
	uint32_t data;
	bool masked;
	int gsi;

	if (pci_msix_vector(vs->vs_pi, v, &addr, &data, &masked) != 0 ||
	    masked) {
		__atomic_store_n(&e->live, false, __ATOMIC_RELEASE);
		return;
	}
	if (e->gsi < 0) {
		gsi = vm_msi_route_add(vs->vs_vm, addr, data);
		if (gsi < 0)
			goto slow;
		if (vm_irqfd(vs->vs_vm, e->fd, (uint32_t)gsi, true) != 0) {
			vm_msi_route_del(vs->vs_vm, gsi);
			goto slow;
		}
		e->gsi = gsi;
	} else if ((e->addr != addr || e->data != data) &&
	    vm_msi_route_update(vs->vs_vm, e->gsi, addr, data) != 0) {
		goto slow;
	}
	e->addr = addr;
	e->data = data;
	__atomic_store_n(&e->live, true, __ATOMIC_RELEASE);
	return;
slow:
	/* No kernel route: the PCI core sends it (vm_msi) instead. */
	__atomic_store_n(&e->live, false, __ATOMIC_RELEASE);
}

void
virtio_vectors_update(struct virtio_softc *vs, int vector)
{
	__atomic_store_n(&vs->vs_msix_on, pci_msix_enabled(vs->vs_pi),
	    __ATOMIC_RELEASE);
	if (vs->vs_vecs == NULL)
		return;
	if (vector >= 0 && vector < vs->vs_nvec) {
		vec_update(vs, vector);
	} else if (vector < 0) {
		for (int v = 0; v < vs->vs_nvec; v++)
			vec_update(vs, v);
	}
}

static void
vec_signal(struct virtio_softc *vs, unsigned v)
{
	struct virtio_vec *e;

	/* v comes from a guest register: bound it. */
	if (vs->vs_vecs == NULL || v >= (unsigned)vs->vs_nvec)
		return;
	e = &vs->vs_vecs[v];
	if (__atomic_load_n(&e->live, __ATOMIC_ACQUIRE)) {
		(void)eventfd_write(e->fd, 1);
		return;
	}
	if (!virtio_worker_lock_pi(vs))
		return;
	pci_generate_msix(vs->vs_pi, (int)v);
	pthread_mutex_unlock(&vs->vs_pi->pi_lock);
}

static void
intx_raise(struct virtio_softc *vs, uint32_t bit)
{
	if (!virtio_worker_lock_pi(vs))
		return;
	__atomic_fetch_or(&vs->vs_isr, bit, __ATOMIC_ACQ_REL);
	pci_lintr_assert(vs->vs_pi);
	pthread_mutex_unlock(&vs->vs_pi->pi_lock);
}

void
virtio_vq_interrupt(struct virtio_softc *vs, struct vqueue *vq)
{
	if (vs == NULL)
		return;
	if (__atomic_load_n(&vs->vs_msix_on, __ATOMIC_ACQUIRE)) {
		uint16_t v = __atomic_load_n(&vq->vq_msix, __ATOMIC_RELAXED);

		if (v != VIRTIO_MSI_NO_VECTOR)
			vec_signal(vs, v);
	} else {
		intx_raise(vs, VIRTIO_ISR_QUEUE);
	}
}

void
virtio_config_interrupt(struct virtio_softc *vs)
{
	if (__atomic_load_n(&vs->vs_msix_on, __ATOMIC_ACQUIRE)) {
		uint16_t v = __atomic_load_n(&vs->vs_msix_config,
		    __ATOMIC_RELAXED);

		if (v != VIRTIO_MSI_NO_VECTOR)
			vec_signal(vs, v);
	} else {
		intx_raise(vs, VIRTIO_ISR_CONFIG);
	}
}

uint8_t
virtio_isr_read(struct virtio_softc *vs)
{
	uint32_t v = __atomic_exchange_n(&vs->vs_isr, 0, __ATOMIC_ACQ_REL);

	if (v != 0)
		pci_lintr_deassert(vs->vs_pi);
	return (uint8_t)v;
}

void
virtio_needs_reset(struct virtio_softc *vs, const char *why)
{
	uint8_t old = __atomic_fetch_or(&vs->vs_status, VIRTIO_S_NEEDS_RESET,
	    __ATOMIC_ACQ_REL);

	/* Every queue stops taking chains; completions still publish. */
	for (int q = 0; q < vs->vs_nvq; q++)
		vs->vs_queues[q].vq_broken = true;
	if (old & VIRTIO_S_NEEDS_RESET)
		return;
	if (!vs->vs_broken_logged) {
		vs->vs_broken_logged = true;
		fprintf(stderr, "zhyve: %s: %s; the device needs a reset\n",
		    vs->vs_name, why);
	}
	virtio_config_interrupt(vs);
}
