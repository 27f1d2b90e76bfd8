/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small virtio-net "guest driver" for the unit tests: a machine context
 * with a fake VM, the device created from an -s string with a socketpair
 * standing in for the tap (net_backend_test_sockets), capabilities found
 * through ECAM, registers reached through the trap table exactly as guest
 * MMIO would, and queues laid out with virtio_testlib.h.
 *
 * Threads: the test's main thread; the device's worker thread runs behind
 * it, so waits poll guest memory with a timeout.
 */
#ifndef ZHYVE_VIRTIO_NET_DRV_H
#define ZHYVE_VIRTIO_NET_DRV_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "iotrap.h"
#include "net_backend.h"
#include "pci_emul.h"
#include "platform.h"
#include "virtio.h"
#include "virtio_net.h"
#include "virtio_testlib.h"
#include "vmctx.h"
#include "vmm.h"

#define ND_MEMSIZE	(64u << 20)
#define ND_WAIT_S	5.0
#define ND_SLOT		3
#define ND_QSIZE	16
#define ND_RING(q)	(0x100000ULL + 0x10000ULL * (q))
#define ND_BUF		0x400000ULL	/* buffers from here, 64 KiB each */
#define ND_MAC		"52:54:00:12:34:56"

static const uint8_t nd_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct ndev {
	struct pci_devinst *pi;
	uint64_t common, isr, devcfg, notify;
	uint32_t notify_mult;
	int msix_cap;
	uint64_t msix_table;
	struct tq q[VTNET_NQ];
	int host;		/* the test's end of the socketpair */
	int devfd;		/* the device's end */
};

static struct vmctx nd_ctx;

static inline uint64_t
nd_mmio(uint64_t gpa, int size, bool write, uint64_t v)
{
	if (iotrap_dispatch(nd_ctx.traps, IOTRAP_MMIO, gpa, size, write,
	    &v) != 0)
		return write ? 0 : ~0ULL;
	return v;
}

#define NR8(a)		((uint8_t)nd_mmio((a), 1, false, 0))
#define NR16(a)		((uint16_t)nd_mmio((a), 2, false, 0))
#define NR32(a)		((uint32_t)nd_mmio((a), 4, false, 0))
#define NW8(a, v)	nd_mmio((a), 1, true, (v))
#define NW16(a, v)	nd_mmio((a), 2, true, (v))
#define NW32(a, v)	nd_mmio((a), 4, true, (v))
#define NW64(a, v)	nd_mmio((a), 8, true, (v))

static inline uint32_t
nd_cfgr(int reg, int size)
{
	return (uint32_t)nd_mmio(PCI_ECAM_BASE + ((uint64_t)ND_SLOT << 15) +
	    (uint64_t)reg, size, false, 0);
}

static inline void
nd_cfgw(int reg, int size, uint32_t v)
{
	nd_mmio(PCI_ECAM_BASE + ((uint64_t)ND_SLOT << 15) + (uint64_t)reg,
	    size, true, v);
}

static inline uint64_t
nd_bar(int bar)
{
	uint64_t lo = nd_cfgr(PCIR_BAR(bar), 4);

	if ((lo & 0x6) == PCIM_BAR_MEM_64)
		return (lo & ~0xFULL) | (uint64_t)nd_cfgr(PCIR_BAR(bar + 1), 4)
		    << 32;
	return lo & ~0xFULL;
}

/* A fresh machine; no device yet. */
static inline void
nd_ctx_setup(void)
{
	char err[256];

	config_init();
	memset(&nd_ctx, 0, sizeof(nd_ctx));
	nd_ctx.vm = vm_create_fake("vnet");
	if (vm_setup_memory(nd_ctx.vm, ND_MEMSIZE, ND_MEMSIZE, err,
	    sizeof(err)) != 0)
		printf("    vm_setup_memory: %s\n", err);
	nd_ctx.traps = iotrap_table_new();
	nd_ctx.ncpus = 1;
	nd_ctx.exit_status = -1;
}

static inline void
nd_ctx_teardown(void)
{
	struct pci_devinst *pi = pci_find_device(0, ND_SLOT, 0);

	if (pi != NULL && pi->pi_arg != NULL)
		virtio_pci_destroy(pi);
	pci_fini();
	iotrap_table_free(nd_ctx.traps);
	vm_destroy(nd_ctx.vm);
	config_fini();
}

/*
 * Create the device: -s ND_SLOT,virtio-net,fd=<socket>,mac=ND_MAC<extra>
 * and find its capabilities.  `vnet`: the socket carries headers.
 * 0, or -1 with err filled by pci_init.
 */
static inline int
nd_create(struct ndev *d, bool vnet, const char *extra, char *err,
    size_t errlen)
{
	char arg[256];
	int sv[2], off, guard = 0;

	memset(d, 0, sizeof(*d));
	d->host = d->devfd = -1;
	nd_ctx_setup();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	d->devfd = sv[0];
	d->host = sv[1];
	net_backend_test_sockets(true, vnet);
	snprintf(arg, sizeof(arg), "%d,virtio-net,fd=%d,mac=%s%s", ND_SLOT,
	    sv[0], ND_MAC, extra);
	if (pci_parse_slot(arg) != 0) {
		snprintf(err, errlen, "pci_parse_slot(%s) failed", arg);
		return -1;
	}
	if (pci_init(&nd_ctx, err, errlen) != 0)
		return -1;
	d->pi = pci_find_device(0, ND_SLOT, 0);
	if (d->pi == NULL) {
		snprintf(err, errlen, "no device in slot %d", ND_SLOT);
		return -1;
	}
	off = (int)nd_cfgr(PCIR_CAP_PTR, 1);
	while (off != 0 && guard++ < 48) {
		int id = (int)nd_cfgr(off, 1);

		if (id == 0x09) {
			int type = (int)nd_cfgr(off + 3, 1);
			uint64_t a = nd_bar((int)nd_cfgr(off + 4, 1)) +
			    nd_cfgr(off + 8, 4);

			if (type == 1)
				d->common = a;
			else if (type == 2) {
				d->notify = a;
				d->notify_mult = nd_cfgr(off + 16, 4);
			} else if (type == 3)
				d->isr = a;
			else if (type == 4)
				d->devcfg = a;
		} else if (id == PCIY_MSIX) {
			uint32_t t = nd_cfgr(off + 4, 4);

			d->msix_cap = off;
			d->msix_table = nd_bar((int)(t & 7)) + (t & ~7u);
		}
		off = (int)nd_cfgr(off + 1, 1);
	}
	if (d->common == 0 || d->notify == 0 || d->devcfg == 0) {
		snprintf(err, errlen, "virtio capabilities not found");
		return -1;
	}
	return 0;
}

static inline void
nd_destroy(struct ndev *d)
{
	nd_ctx_teardown();
	net_backend_test_sockets(false, false);
	if (d->host >= 0)
		close(d->host);
	if (d->devfd >= 0)
		close(d->devfd);
	d->host = d->devfd = -1;
}

static inline uint8_t
nd_status(struct ndev *d)
{
	return NR8(d->common + 0x14);
}

static inline uint64_t
nd_offered(struct ndev *d)
{
	uint64_t f;

	NW32(d->common + 0x00, 0);
	f = NR32(d->common + 0x04);
	NW32(d->common + 0x00, 1);
	return f | (uint64_t)NR32(d->common + 0x04) << 32;
}

/* MSI-X on, one vector per queue (vector q) and config (vector 3). */
static inline void
nd_msix(struct ndev *d)
{
	uint16_t c = (uint16_t)nd_cfgr(d->msix_cap + 2, 2);

	nd_cfgw(d->msix_cap + 2, 2, c | 0x8000u);
	for (int v = 0; v <= VTNET_NQ; v++) {
		uint64_t e = d->msix_table + 16ULL * (uint64_t)v;

		NW32(e, 0xFEE00000u);
		NW32(e + 4, 0);
		NW32(e + 8, 0x40u + (uint32_t)v);
		NW32(e + 12, 0);
	}
}

/*
 * The whole driver start: reset, features (VERSION_1 added), queues of
 * ND_QSIZE, MSI-X, DRIVER_OK.  Returns the status read back.
 */
static inline uint8_t
nd_start(struct ndev *d, uint64_t want)
{
	want |= VIRTIO_F_VERSION_1;
	NW8(d->common + 0x14, 0);
	NW8(d->common + 0x14, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	NW32(d->common + 0x08, 0);
	NW32(d->common + 0x0C, (uint32_t)want);
	NW32(d->common + 0x08, 1);
	NW32(d->common + 0x0C, (uint32_t)(want >> 32));
	NW8(d->common + 0x14, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER |
	    VIRTIO_S_FEATURES_OK);
	if (d->msix_cap != 0)
		nd_msix(d);
	NW16(d->common + 0x10, VTNET_NQ);	/* config vector */
	for (int q = 0; q < VTNET_NQ; q++) {
		struct tq *t = &d->q[q];

		tq_layout(t, nd_ctx.vm, ND_QSIZE, ND_RING(q));
		NW16(d->common + 0x16, (uint16_t)q);
		NW16(d->common + 0x18, ND_QSIZE);
		NW64(d->common + 0x20, t->desc);
		NW64(d->common + 0x28, t->avail);
		NW64(d->common + 0x30, t->used);
		NW16(d->common + 0x1A, (uint16_t)q);
		NW16(d->common + 0x1C, 1);
	}
	NW8(d->common + 0x14, nd_status(d) | VIRTIO_S_DRIVER_OK);
	return nd_status(d);
}

static inline void
nd_kick(struct ndev *d, int q)
{
	NW16(d->notify + (uint64_t)q * d->notify_mult, (uint16_t)q);
}

static inline uint8_t *
nd_g(uint64_t gpa, size_t len)
{
	return vm_map_gpa(nd_ctx.vm, gpa, len);
}

/* Wait until queue q's used->idx reaches want; true if it did. */
static inline bool
nd_wait_used(struct ndev *d, int q, uint16_t want)
{
	double t0 = tq_now();

	while ((uint16_t)(tq_used_idx(&d->q[q]) - want) > 0x7FFF) {
		if (tq_now() - t0 > ND_WAIT_S)
			return false;
		usleep(200);
	}
	return true;
}

static inline bool
nd_wait_needs_reset(struct ndev *d)
{
	double t0 = tq_now();

	while (!(nd_status(d) & VIRTIO_S_NEEDS_RESET)) {
		if (tq_now() - t0 > ND_WAIT_S)
			return false;
		usleep(200);
	}
	return true;
}

static inline struct vtnet_stats
nd_stats(struct ndev *d)
{
	struct vtnet_stats s;

	memset(&s, 0, sizeof(s));
	virtio_net_stats(d->pi, &s);
	return s;
}

/* Wait until a counter (by offset in struct vtnet_stats) reaches want. */
static inline bool
nd_wait_stat(struct ndev *d, size_t off, uint64_t want)
{
	double t0 = tq_now();

	for (;;) {
		struct vtnet_stats s = nd_stats(d);
		uint64_t v;

		memcpy(&v, (uint8_t *)&s + off, sizeof(v));
		if (v >= want)
			return true;
		if (tq_now() - t0 > ND_WAIT_S)
			return false;
		usleep(200);
	}
}

#define ND_WAIT_STAT(d, field, want) \
	nd_wait_stat((d), offsetof(struct vtnet_stats, field), (want))

/* One frame from the device's side of the socket; -1 after `ms`. */
static inline ssize_t
nd_host_recv(struct ndev *d, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = d->host, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return recv(d->host, buf, len, MSG_DONTWAIT);
}

/* An Ethernet frame: dst, src, type 0x0800, payload bytes i*7+seed. */
static inline size_t
nd_frame(uint8_t *f, size_t len, const uint8_t *dst, const uint8_t *src,
    uint8_t seed)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 7 + seed);
	return len;
}

#endif
