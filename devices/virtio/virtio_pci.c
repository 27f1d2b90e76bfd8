/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio 1.x ("modern") PCI transport.
 *
 * PCI identity: vendor 0x1AF4, device 0x1040 + virtio type, revision 1,
 * subsystem 0x1AF4 / type.  Everything lives in BAR 0, a 16 KiB 32-bit
 * memory BAR, found by the guest through vendor capabilities:
 *
 *   BAR 0 + 0x0000  common configuration (VIRTIO_PCI_CAP_COMMON_CFG)
 *         + 0x1000  ISR status, read clears (VIRTIO_PCI_CAP_ISR_CFG)
 *         + 0x2000  device configuration (VIRTIO_PCI_CAP_DEVICE_CFG)
 *         + 0x3000  doorbells, 4 bytes apart (VIRTIO_PCI_CAP_NOTIFY_CFG)
 *   BAR 1          MSI-X table and PBA (one vector per queue + config)
 *
 * plus the VIRTIO_PCI_CAP_PCI_CFG window, which reaches BAR 0 through
 * config space.  With virtio_msix=false there is no MSI-X: interrupts go
 * through the ISR and INTx.
 *
 * Driver protocol as the spec has it: status ACKNOWLEDGE, DRIVER; feature
 * words; FEATURES_OK (kept only if the driver asked for nothing we do not
 * offer and for VERSION_1); queue setup and queue_enable (the rings are
 * checked and mapped then); DRIVER_OK starts the worker.  Queue settings
 * are frozen once a queue is enabled or the device is live.  Writing 0
 * to device_status resets the device, after the worker quiesced.
 *
 * Threads: the hooks run on vCPU threads.  Register accesses take pi_lock
 * then vs_mtx (the PCI core's order; its config-space hooks arrive with
 * pi_lock held already).  Doorbell writes take no lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "config.h"
#include "pci_emul.h"
#include "vmctx.h"
#include "virtio.h"

/* Capability types and layout (struct virtio_pci_cap). */
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4
#define CAP_PCI		5
#define CAP_LEN		16
#define CAP_NOTIFY_LEN	20
#define CAP_PCI_LEN	20
#define CAPO_BAR	4
#define CAPO_OFFSET	8
#define CAPO_LENGTH	12
#define CAPO_DATA	16

/* Common configuration registers. */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0C
#define CC_MSIX		0x10
#define CC_NUMQ		0x12
#define CC_STATUS	0x14
#define CC_CFGGEN	0x15
#define CC_QSEL		0x16
#define CC_QSIZE	0x18
#define CC_QMSIX	0x1A
#define CC_QENABLE	0x1C
#define CC_QNOTIFY	0x1E
#define CC_QDESC	0x20
#define CC_QDRIVER	0x28
#define CC_QDEVICE	0x30

#define CORE_FEATURES	(VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC | \
			 VIRTIO_F_EVENT_IDX)

static uint64_t
offered(struct virtio_softc *vs)
{
	return (vs->vs_dev_features & ~VIRTIO_F_ACCESS_PLATFORM) |
	    CORE_FEATURES;
}

/* The selected queue, or NULL if queue_select is out of range. */
static struct vqueue *
selq(struct virtio_softc *vs)
{
	return vs->vs_queue_sel < vs->vs_nvq ?
	    &vs->vs_queues[vs->vs_queue_sel] : NULL;
}

static uint8_t
status(struct virtio_softc *vs)
{
	return __atomic_load_n(&vs->vs_status, __ATOMIC_ACQUIRE);
}

static uint16_t
vector_ok(struct virtio_softc *vs, uint16_t v)
{
	/* A vector we cannot map reads back as NO_VECTOR (spec). */
	return vs->vs_has_msix && v < vs->vs_nvec ? v : VIRTIO_MSI_NO_VECTOR;
}

/* --- common configuration (pi_lock, vs_mtx held) ------------------------- */

static uint64_t
common_read(struct virtio_softc *vs, uint64_t off, int size)
{
	uint8_t img[VIRTIO_COMMON_SIZE];
	struct vqueue *vq = selq(vs);
	uint64_t f = offered(vs), v = 0;

	memset(img, 0, sizeof(img));
	virtio_put32(img + CC_DFSELECT, vs->vs_dfselect);
	virtio_put32(img + CC_DF, vs->vs_dfselect == 0 ? (uint32_t)f :
	    vs->vs_dfselect == 1 ? (uint32_t)(f >> 32) : 0);
	virtio_put32(img + CC_GFSELECT, vs->vs_gfselect);
	virtio_put32(img + CC_GF, vs->vs_gfselect == 0 ?
	    (uint32_t)vs->vs_drv_features : vs->vs_gfselect == 1 ?
	    (uint32_t)(vs->vs_drv_features >> 32) : 0);
	virtio_put16(img + CC_MSIX, vs->vs_msix_config);
	virtio_put16(img + CC_NUMQ, (uint16_t)vs->vs_nvq);
	img[CC_STATUS] = status(vs);
	img[CC_CFGGEN] = vs->vs_cfggen;
	virtio_put16(img + CC_QSEL, vs->vs_queue_sel);
	virtio_put16(img + CC_QMSIX, VIRTIO_MSI_NO_VECTOR);
	if (vq != NULL) {
		virtio_put16(img + CC_QSIZE, vq->vq_size);
		virtio_put16(img + CC_QMSIX, vq->vq_msix);
		virtio_put16(img + CC_QENABLE, vq->vq_enabled);
		virtio_put16(img + CC_QNOTIFY, (uint16_t)vq->vq_num);
		virtio_put64(img + CC_QDESC, vq->vq_desc_gpa);
		virtio_put64(img + CC_QDRIVER, vq->vq_avail_gpa);
		virtio_put64(img + CC_QDEVICE, vq->vq_used_gpa);
	}
	/* off < VIRTIO_COMMON_SIZE: checked by the caller. */
	for (int i = size - 1; i >= 0; i--)
		v = (v << 8) | (off + (uint64_t)i < sizeof(img) ?
		    img[off + (uint64_t)i] : 0);
	return v;
}

/* Device reset; pi_lock and vs_mtx held (vs_mtx released while waiting). */
static void
device_reset(struct virtio_softc *vs)
{
	virtio_worker_quiesce(vs);
	if (vs->vs_vc->vc_reset != NULL)
		vs->vs_vc->vc_reset(vs);
	for (int q = 0; q < vs->vs_nvq; q++)
		vq_reset(&vs->vs_queues[q]);
	vs->vs_dfselect = vs->vs_gfselect = 0;
	vs->vs_drv_features = vs->vs_negotiated = 0;
	vs->vs_queue_sel = 0;
	__atomic_store_n(&vs->vs_msix_config, VIRTIO_MSI_NO_VECTOR,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&vs->vs_status, 0, __ATOMIC_RELEASE);
	vs->vs_broken_logged = false;
	(void)virtio_isr_read(vs);
}

static void
status_write(struct virtio_softc *vs, uint8_t v)
{
	uint8_t old = status(vs);
	uint8_t base, want;
	bool go_live = false;

	if (v == 0) {
		device_reset(vs);
		return;
	}
	/* Bits only accumulate until a reset; NEEDS_RESET is ours. */
	base = (uint8_t)((old | v) & ~VIRTIO_S_NEEDS_RESET);
	if ((v & VIRTIO_S_FEATURES_OK) && !(old & VIRTIO_S_FEATURES_OK)) {
		uint64_t drv = vs->vs_drv_features;

		if ((drv & ~offered(vs)) == 0 &&
		    (drv & VIRTIO_F_VERSION_1) != 0) {
			vs->vs_negotiated = drv;
			if (vs->vs_vc->vc_features != NULL)
				vs->vs_vc->vc_features(vs, drv);
		} else {
			base &= (uint8_t)~VIRTIO_S_FEATURES_OK;
		}
	}
	if ((v & VIRTIO_S_DRIVER_OK) && !(old & VIRTIO_S_DRIVER_OK)) {
		if (base & VIRTIO_S_FEATURES_OK)
			go_live = true;
		else
			base &= (uint8_t)~VIRTIO_S_DRIVER_OK;
	}
	/* The worker may set NEEDS_RESET meanwhile: keep it. */
	do {
		want = (uint8_t)(base | (old & VIRTIO_S_NEEDS_RESET));
	} while (!__atomic_compare_exchange_n(&vs->vs_status, &old, want,
	    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	if (go_live)
		virtio_worker_go_live(vs);
}

static void
queue_enable(struct virtio_softc *vs, struct vqueue *vq)
{
	char why[200];

	if (!(status(vs) & VIRTIO_S_FEATURES_OK)) {
		virtio_needs_reset(vs, "a queue was enabled before "
		    "FEATURES_OK");
		return;
	}
	if (vq_map(vq, vs->vs_negotiated, why, sizeof(why)) != 0) {
		virtio_needs_reset(vs, why);
		return;
	}
	vq->vq_enabled = true;
}

/* Write half (or all) of a 64-bit queue address. */
static void
addr_write(uint64_t *a, uint64_t rel, int size, uint64_t val)
{
	if (size == 8 && rel == 0)
		*a = val;
	else if (size == 4 && rel == 0)
		*a = (*a & ~0xFFFFFFFFULL) | (uint32_t)val;
	else if (size == 4 && rel == 4)
		*a = (*a & 0xFFFFFFFFULL) | (uint64_t)(uint32_t)val << 32;
}

static void
common_write(struct virtio_softc *vs, uint64_t off, int size, uint64_t val)
{
	struct vqueue *vq = selq(vs);
	bool frozen;

	switch (off) {
	case CC_DFSELECT:
		if (size == 4)
			vs->vs_dfselect = (uint32_t)val;
		return;
	case CC_GFSELECT:
		if (size == 4)
			vs->vs_gfselect = (uint32_t)val;
		return;
	case CC_GF:
		/* Frozen once FEATURES_OK was accepted. */
		if (size != 4 || (status(vs) & VIRTIO_S_FEATURES_OK))
			return;
		if (vs->vs_gfselect == 0)
			vs->vs_drv_features = (vs->vs_drv_features &
			    ~0xFFFFFFFFULL) | (uint32_t)val;
		else if (vs->vs_gfselect == 1)
			vs->vs_drv_features = (vs->vs_drv_features &
			    0xFFFFFFFFULL) | (uint64_t)(uint32_t)val << 32;
		return;
	case CC_MSIX:
		if (size == 2)
			__atomic_store_n(&vs->vs_msix_config,
			    vector_ok(vs, (uint16_t)val), __ATOMIC_RELAXED);
		return;
	case CC_STATUS:
		if (size == 1)
			status_write(vs, (uint8_t)val);
		return;
	case CC_QSEL:
		if (size == 2)
			vs->vs_queue_sel = (uint16_t)val;
		return;
	default:
		break;
	}
	if (vq == NULL)
		return;
	if (off == CC_QMSIX && size == 2) {
		__atomic_store_n(&vq->vq_msix, vector_ok(vs, (uint16_t)val),
		    __ATOMIC_RELAXED);
		return;
	}
	/* Queue layout: only before the queue is enabled and the device live. */
	frozen = vq->vq_enabled || (status(vs) & VIRTIO_S_DRIVER_OK);
	if (frozen)
		return;
	if (off == CC_QSIZE && size == 2) {
		uint16_t n = (uint16_t)val;

		/* A split ring's size is a power of two, at most ours. */
		if (n != 0 && (n & (n - 1)) == 0 && n <= vq->vq_maxsize)
			vq->vq_size = n;
	} else if (off == CC_QENABLE && size == 2) {
		if (val == 1)
			queue_enable(vs, vq);
	} else if (off >= CC_QDESC && off < CC_QDESC + 8) {
		addr_write(&vq->vq_desc_gpa, off - CC_QDESC, size, val);
	} else if (off >= CC_QDRIVER && off < CC_QDRIVER + 8) {
		addr_write(&vq->vq_avail_gpa, off - CC_QDRIVER, size, val);
	} else if (off >= CC_QDEVICE && off < CC_QDEVICE + 8) {
		addr_write(&vq->vq_used_gpa, off - CC_QDEVICE, size, val);
	}
}

/* --- the register BAR ----------------------------------------------------- */

static uint64_t
bar_access(struct virtio_softc *vs, bool write, uint64_t off, int size,
    uint64_t val)
{
	struct pci_devinst *pi = vs->vs_pi;
	uint64_t r = 0;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return 0;
	/* Doorbells need no lock: signal the queue's eventfd. */
	if (off >= VIRTIO_NOTIFY_OFF && off < VIRTIO_NOTIFY_OFF +
	    (uint64_t)vs->vs_nvq * VIRTIO_NOTIFY_MULT) {
		int q = (int)((off - VIRTIO_NOTIFY_OFF) / VIRTIO_NOTIFY_MULT);

		if (write && vs->vs_queues[q].vq_kickfd >= 0)
			(void)eventfd_write(vs->vs_queues[q].vq_kickfd, 1);
		return 0;
	}
	pthread_mutex_lock(&pi->pi_lock);
	pthread_mutex_lock(&vs->vs_mtx);
	if (off < VIRTIO_COMMON_SIZE) {
		if (write)
			common_write(vs, off, size, val);
		else
			r = common_read(vs, off, size);
	} else if (off == VIRTIO_ISR_OFF) {
		if (!write)
			r = virtio_isr_read(vs);
	} else if (off >= VIRTIO_DEVCFG_OFF &&
	    off - VIRTIO_DEVCFG_OFF < vs->vs_cfgsize &&
	    (uint64_t)size <= vs->vs_cfgsize - (off - VIRTIO_DEVCFG_OFF)) {
		uint64_t o = off - VIRTIO_DEVCFG_OFF;

		if (write) {
			if (vs->vs_vc->vc_cfgwrite != NULL)
				vs->vs_vc->vc_cfgwrite(vs, (int)o, size,
				    (uint32_t)val);
		} else {
			for (int i = size - 1; i >= 0; i--)
				r = (r << 8) | vs->vs_cfg[o + (uint64_t)i];
		}
	}
	pthread_mutex_unlock(&vs->vs_mtx);
	pthread_mutex_unlock(&pi->pi_lock);
	return r;
}

void
virtio_pci_barwrite(struct pci_devinst *pi, int baridx, uint64_t off,
    int size, uint64_t val)
{
	if (baridx == VIRTIO_BAR && pi->pi_arg != NULL)
		bar_access(pi->pi_arg, true, off, size, val);
}

uint64_t
virtio_pci_barread(struct pci_devinst *pi, int baridx, uint64_t off, int size)
{
	if (baridx == VIRTIO_BAR && pi->pi_arg != NULL)
		return bar_access(pi->pi_arg, false, off, size, 0);
	return 0;
}

void
virtio_pci_baraddr(struct pci_devinst *pi, int baridx, bool enabled,
    uint64_t addr)
{
	if (baridx == VIRTIO_BAR && pi->pi_arg != NULL)
		virtio_kicks_bind(pi->pi_arg, enabled, addr);
}

void
virtio_pci_msix_update(struct pci_devinst *pi, int vector)
{
	if (pi->pi_arg != NULL)
		virtio_vectors_update(pi->pi_arg, vector);
}

/* --- the PCI configuration access capability (pi_lock held) ----------------- */

/* The window's BAR offset and length if it names a valid access, else -1. */
static int
pcicfg_target(struct virtio_softc *vs, uint64_t *off)
{
	int c = vs->vs_pcicfg_off;
	uint32_t len = pci_get_cfgdata32(vs->vs_pi, c + CAPO_LENGTH);

	*off = pci_get_cfgdata32(vs->vs_pi, c + CAPO_OFFSET);
	if (pci_get_cfgdata8(vs->vs_pi, c + CAPO_BAR) != VIRTIO_BAR ||
	    (len != 1 && len != 2 && len != 4) || *off % len != 0 ||
	    *off + len > VIRTIO_BAR_SIZE)
		return -1;
	return (int)len;
}

int
virtio_pci_cfgwrite(struct pci_devinst *pi, int off, int size, uint32_t val)
{
	struct virtio_softc *vs = pi->pi_arg;
	uint64_t boff;
	int len;

	if (vs == NULL || vs->vs_pcicfg_off == 0 ||
	    off != vs->vs_pcicfg_off + CAPO_DATA)
		return -1;
	len = pcicfg_target(vs, &boff);
	if (len > 0 && size >= len)
		bar_access(vs, true, boff, len, val);
	return 0;
}

int
virtio_pci_cfgread(struct pci_devinst *pi, int off, int size, uint32_t *val)
{
	struct virtio_softc *vs = pi->pi_arg;
	uint64_t boff;
	int len;

	if (vs == NULL || vs->vs_pcicfg_off == 0 ||
	    off != vs->vs_pcicfg_off + CAPO_DATA)
		return -1;
	len = pcicfg_target(vs, &boff);
	*val = len > 0 && size >= len ?
	    (uint32_t)bar_access(vs, false, boff, len, 0) : 0;
	return 0;
}

/* --- init and teardown (main thread) ---------------------------------------- */

static int
add_cap(struct pci_devinst *pi, int type, uint32_t off, uint32_t len,
    int caplen, uint32_t extra)
{
	uint8_t cap[CAP_PCI_LEN];

	memset(cap, 0, sizeof(cap));
	cap[0] = 0x09;		/* vendor specific */
	cap[2] = (uint8_t)caplen;
	cap[3] = (uint8_t)type;
	cap[CAPO_BAR] = type == CAP_PCI ? 0 : VIRTIO_BAR;
	virtio_put32(cap + CAPO_OFFSET, off);
	virtio_put32(cap + CAPO_LENGTH, len);
	virtio_put32(cap + CAPO_DATA, extra);
	return pci_emul_add_capability(pi, cap, caplen);
}

static void
on_broken(struct vqueue *vq, const char *why)
{
	virtio_needs_reset(vq->vq_vs, why);
}

int
virtio_pci_init(struct virtio_softc *vs, const struct virtio_consts *vc,
    struct pci_devinst *pi, struct config_node *nvl)
{
	bool msix = true;
	int c;

	vs->vs_vc = vc;
	vs->vs_pi = pi;
	vs->vs_vm = pi->pi_vmctx->vm;
	vs->vs_epfd = vs->vs_ctlfd = -1;
	snprintf(vs->vs_name, sizeof(vs->vs_name), "%s %s", vc->vc_name,
	    pi->pi_name);
	pthread_mutex_init(&vs->vs_mtx, NULL);
	pthread_cond_init(&vs->vs_cv, NULL);
	vs->vs_inited = true;
	vs->vs_msix_config = VIRTIO_MSI_NO_VECTOR;
	if (vc->vc_nvq < 1 || vc->vc_nvq > 64 || vc->vc_qsize == 0 ||
	    (vc->vc_qsize & (vc->vc_qsize - 1)) != 0 ||
	    vc->vc_qsize > VQ_MAX_SIZE || vs->vs_cfgsize > 0x1000) {
		pci_emul_seterr(pi, "bad virtio model description");
		return -1;
	}
	/* The global key (-W) and the device's own, which wins. */
	if (config_get_bool("virtio_msix", true, &msix) != 0 ||
	    config_get_bool_node(nvl, "virtio_msix", msix, &msix) != 0) {
		pci_emul_seterr(pi, "%s", config_error());
		return -1;
	}
	vs->vs_nvq = vc->vc_nvq;
	vs->vs_queues = calloc((size_t)vs->vs_nvq, sizeof(*vs->vs_queues));
	if (vs->vs_queues == NULL) {
		pci_emul_seterr(pi, "out of memory");
		return -1;
	}
	for (int q = 0; q < vs->vs_nvq; q++) {
		vq_init(&vs->vs_queues[q], vs->vs_vm, q, vc->vc_qsize);
		vs->vs_queues[q].vq_vs = vs;
		vs->vs_queues[q].vq_on_broken = on_broken;
	}

	pci_set_cfgdata16(pi, PCIR_VENDOR, VIRTIO_VENDOR);
	pci_set_cfgdata16(pi, PCIR_DEVICE,
	    (uint16_t)(VIRTIO_DEV_MODERN_BASE + vc->vc_devtype));
	pci_set_cfgdata8(pi, PCIR_REVID, 1);
	pci_set_cfgdata8(pi, PCIR_CLASS, vc->vc_class);
	pci_set_cfgdata8(pi, PCIR_SUBCLASS, vc->vc_subclass);
	pci_set_cfgdata16(pi, PCIR_SUBVEND, VIRTIO_VENDOR);
	pci_set_cfgdata16(pi, PCIR_SUBDEV, vc->vc_devtype);
	if (pci_emul_alloc_bar(pi, VIRTIO_BAR, PCIBAR_MEM32,
	    VIRTIO_BAR_SIZE) != 0)
		return -1;
	if (add_cap(pi, CAP_COMMON, VIRTIO_COMMON_OFF, VIRTIO_COMMON_SIZE,
	    CAP_LEN, 0) < 0 ||
	    add_cap(pi, CAP_NOTIFY, VIRTIO_NOTIFY_OFF,
	    (uint32_t)vs->vs_nvq * VIRTIO_NOTIFY_MULT, CAP_NOTIFY_LEN,
	    VIRTIO_NOTIFY_MULT) < 0 ||
	    add_cap(pi, CAP_ISR, VIRTIO_ISR_OFF, 1, CAP_LEN, 0) < 0 ||
	    (vs->vs_cfgsize > 0 && add_cap(pi, CAP_DEVICE, VIRTIO_DEVCFG_OFF,
	    (uint32_t)vs->vs_cfgsize, CAP_LEN, 0) < 0) ||
	    (c = add_cap(pi, CAP_PCI, 0, 0, CAP_PCI_LEN, 0)) < 0) {
		pci_emul_seterr(pi, "no room for the virtio capabilities");
		return -1;
	}
	vs->vs_pcicfg_off = c;
	pci_set_cfgmask8(pi, c + CAPO_BAR, 0xFF);
	pci_set_cfgmask32(pi, c + CAPO_OFFSET, 0xFFFFFFFFu);
	pci_set_cfgmask32(pi, c + CAPO_LENGTH, 0xFFFFFFFFu);
	vs->vs_has_msix = msix;
	if (msix && pci_emul_add_msixcap(pi, vs->vs_nvq + 1,
	    VIRTIO_MSIX_BAR) != 0)
		return -1;
	pci_lintr_request(pi);
	if (virtio_notify_init(vs) != 0 || virtio_worker_init(vs) != 0 ||
	    virtio_worker_start_thread(vs) != 0) {
		pci_emul_seterr(pi, "cannot set up the worker: %s",
		    strerror(errno));
		return -1;
	}
	pi->pi_arg = vs;
	return 0;
}

void
virtio_pci_fini(struct virtio_softc *vs)
{
	if (!vs->vs_inited)
		return;
	vs->vs_inited = false;
	if (vs->vs_bar_on)
		virtio_kicks_bind(vs, false, vs->vs_bar_addr);
	virtio_worker_fini(vs);
	virtio_notify_fini(vs);
	free(vs->vs_queues);
	vs->vs_queues = NULL;
	vs->vs_nvq = 0;
	pthread_cond_destroy(&vs->vs_cv);
	pthread_mutex_destroy(&vs->vs_mtx);
}

void
virtio_pci_destroy(struct pci_devinst *pi)
{
	struct virtio_softc *vs = pi->pi_arg;

	if (vs == NULL)
		return;
	pi->pi_arg = NULL;
	virtio_pci_fini(vs);
	if (vs->vs_vc->vc_destroy != NULL)
		vs->vs_vc->vc_destroy(vs);
}
