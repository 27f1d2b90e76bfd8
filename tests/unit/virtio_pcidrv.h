/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny virtio 1.x PCI driver for the unit tests: it builds a machine
 * context with a fake VM, creates devices from -s strings, finds the
 * virtio capabilities through ECAM, and talks to the device through the
 * trap table exactly as a guest's MMIO accesses would arrive.  Queues are
 * laid out in guest memory with virtio_testlib.h.
 *
 * Threads: the test's main thread; the device's worker thread runs behind
 * it, so waits poll the used ring with a timeout.
 */
#ifndef ZHYVE_VIRTIO_PCIDRV_H
#define ZHYVE_VIRTIO_PCIDRV_H

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "iotrap.h"
#include "pci_emul.h"
#include "platform.h"
#include "virtio.h"
#include "virtio_testlib.h"
#include "vmctx.h"
#include "vmm.h"

#define DRV_MEMSIZE	(64u << 20)
#define DRV_WAIT_S	5.0

struct vdrv {
	int slot;
	struct pci_devinst *pi;
	uint64_t common, isr, devcfg, notify;	/* guest-physical */
	uint32_t notify_mult, devcfg_len;
	int pcicfg;			/* PCI_CFG capability offset */
	int msix_cap;			/* 0: none */
	uint64_t msix_table;		/* guest-physical */
	uint64_t msix_pba;
	int ncaps;
	struct tq q[4];
};

static struct vmctx drv_ctx;

static inline void
drv_ctx_setup(void)
{
	char err[256];

	config_init();
	memset(&drv_ctx, 0, sizeof(drv_ctx));
	drv_ctx.vm = vm_create_fake("virtio");
	if (vm_setup_memory(drv_ctx.vm, DRV_MEMSIZE, DRV_MEMSIZE, err,
	    sizeof(err)) != 0)
		printf("    vm_setup_memory: %s\n", err);
	drv_ctx.traps = iotrap_table_new();
	drv_ctx.ncpus = 1;
	drv_ctx.exit_status = -1;
}

/* Create the devices given with -s; 0 or -1 with the message in err. */
static inline int
drv_pci_init(char *err, size_t errlen)
{
	return pci_init(&drv_ctx, err, errlen);
}

static inline void
drv_ctx_teardown(void)
{
	for (int s = 0; s < PCI_MAXSLOTS; s++) {
		struct pci_devinst *pi = pci_find_device(0, s, 0);

		if (pi != NULL && pi->pi_arg != NULL &&
		    strncmp(pi->pi_d->pe_emu, "virtio", 6) == 0)
			virtio_pci_destroy(pi);
	}
	pci_fini();
	iotrap_table_free(drv_ctx.traps);
	vm_destroy(drv_ctx.vm);
	config_fini();
}

static inline uint64_t
drv_mmio(uint64_t gpa, int size, bool write, uint64_t v)
{
	if (iotrap_dispatch(drv_ctx.traps, IOTRAP_MMIO, gpa, size, write,
	    &v) != 0)
		return write ? 0 : ~0ULL;
	return v;
}

#define R8(a)		((uint8_t)drv_mmio((a), 1, false, 0))
#define R16(a)		((uint16_t)drv_mmio((a), 2, false, 0))
#define R32(a)		((uint32_t)drv_mmio((a), 4, false, 0))
#define W8(a, v)	drv_mmio((a), 1, true, (v))
#define W16(a, v)	drv_mmio((a), 2, true, (v))
#define W32(a, v)	drv_mmio((a), 4, true, (v))
#define W64(a, v)	drv_mmio((a), 8, true, (v))

static inline uint64_t
drv_ecam(int slot, int reg)
{
	return PCI_ECAM_BASE + ((uint64_t)slot << 15) + (uint64_t)reg;
}

static inline uint32_t
drv_cfgr(struct vdrv *d, int reg, int size)
{
	return (uint32_t)drv_mmio(drv_ecam(d->slot, reg), size, false, 0);
}

static inline void
drv_cfgw(struct vdrv *d, int reg, int size, uint32_t v)
{
	drv_mmio(drv_ecam(d->slot, reg), size, true, v);
}

static inline uint64_t
drv_bar(struct vdrv *d, int bar)
{
	uint64_t lo = drv_cfgr(d, PCIR_BAR(bar), 4);

	if ((lo & 0x6) == PCIM_BAR_MEM_64)
		return (lo & ~0xFULL) |
		    (uint64_t)drv_cfgr(d, PCIR_BAR(bar + 1), 4) << 32;
	return lo & ~0xFULL;
}

/* Find the device and its capabilities; 0 or -1. */
static inline int
drv_attach(struct vdrv *d, int slot)
{
	int off, guard = 0;

	memset(d, 0, sizeof(*d));
	d->slot = slot;
	d->pi = pci_find_device(0, slot, 0);
	if (d->pi == NULL || drv_cfgr(d, PCIR_VENDOR, 2) != VIRTIO_VENDOR)
		return -1;
	off = drv_cfgr(d, PCIR_CAP_PTR, 1);
	while (off != 0 && guard++ < 48) {
		int id = drv_cfgr(d, off, 1);

		if (id == 0x09) {
			int type = drv_cfgr(d, off + 3, 1);
			int bar = drv_cfgr(d, off + 4, 1);
			uint64_t a = drv_bar(d, bar) + drv_cfgr(d, off + 8, 4);

			d->ncaps++;
			switch (type) {
			case 1: d->common = a; break;
			case 2:
				d->notify = a;
				d->notify_mult = drv_cfgr(d, off + 16, 4);
				break;
			case 3: d->isr = a; break;
			case 4:
				d->devcfg = a;
				d->devcfg_len = drv_cfgr(d, off + 12, 4);
				break;
			case 5: d->pcicfg = off; break;
			}
		} else if (id == PCIY_MSIX) {
			uint32_t t = drv_cfgr(d, off + 4, 4);
			uint32_t p = drv_cfgr(d, off + 8, 4);

			d->msix_cap = off;
			d->msix_table = drv_bar(d, (int)(t & 7)) + (t & ~7u);
			d->msix_pba = drv_bar(d, (int)(p & 7)) + (p & ~7u);
		}
		off = drv_cfgr(d, off + 1, 1);
	}
	return d->common != 0 && d->notify != 0 && d->isr != 0 ? 0 : -1;
}

/* Common configuration registers. */
#define DC_DFSEL	0x00
#define DC_DF		0x04
#define DC_GFSEL	0x08
#define DC_GF		0x0C
#define DC_MSIX		0x10
#define DC_NUMQ		0x12
#define DC_STATUS	0x14
#define DC_QSEL		0x16
#define DC_QSIZE	0x18
#define DC_QMSIX	0x1A
#define DC_QENABLE	0x1C
#define DC_QNOFF	0x1E
#define DC_QDESC	0x20
#define DC_QDRIVER	0x28
#define DC_QDEVICE	0x30

static inline uint8_t
drv_status(struct vdrv *d)
{
	return R8(d->common + DC_STATUS);
}

static inline uint64_t
drv_offered(struct vdrv *d)
{
	uint64_t f;

	W32(d->common + DC_DFSEL, 0);
	f = R32(d->common + DC_DF);
	W32(d->common + DC_DFSEL, 1);
	return f | (uint64_t)R32(d->common + DC_DF) << 32;
}

/* Reset, ACK, DRIVER, features, FEATURES_OK; returns the status read. */
static inline uint8_t
drv_negotiate(struct vdrv *d, uint64_t want)
{
	W8(d->common + DC_STATUS, 0);
	W8(d->common + DC_STATUS, VIRTIO_S_ACKNOWLEDGE);
	W8(d->common + DC_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	W32(d->common + DC_GFSEL, 0);
	W32(d->common + DC_GF, (uint32_t)want);
	W32(d->common + DC_GFSEL, 1);
	W32(d->common + DC_GF, (uint32_t)(want >> 32));
	W8(d->common + DC_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER |
	    VIRTIO_S_FEATURES_OK);
	return drv_status(d);
}

/* Lay out queue qi of `size` at base and enable it. */
static inline void
drv_queue(struct vdrv *d, int qi, uint16_t size, uint64_t base,
    uint16_t vector)
{
	struct tq *q = &d->q[qi];

	tq_layout(q, drv_ctx.vm, size, base);
	W16(d->common + DC_QSEL, (uint16_t)qi);
	W16(d->common + DC_QSIZE, size);
	W64(d->common + DC_QDESC, q->desc);
	W32(d->common + DC_QDRIVER, (uint32_t)q->avail);
	W32(d->common + DC_QDRIVER + 4, (uint32_t)(q->avail >> 32));
	W64(d->common + DC_QDEVICE, q->used);
	W16(d->common + DC_QMSIX, vector);
	W16(d->common + DC_QENABLE, 1);
}

static inline void
drv_driver_ok(struct vdrv *d)
{
	W8(d->common + DC_STATUS, drv_status(d) | VIRTIO_S_DRIVER_OK);
}

static inline void
drv_kick(struct vdrv *d, int qi)
{
	W16(d->notify + (uint64_t)qi * d->notify_mult, (uint16_t)qi);
}

/* Wait until used->idx reaches `want`; true if it did. */
static inline bool
drv_wait_used(struct vdrv *d, int qi, uint16_t want)
{
	double t0 = tq_now();

	while ((uint16_t)(tq_used_idx(&d->q[qi]) - want) > 0x7FFF) {
		if (tq_now() - t0 > DRV_WAIT_S)
			return false;
		usleep(200);
	}
	return true;
}

/* Wait for NEEDS_RESET in device_status. */
static inline bool
drv_wait_needs_reset(struct vdrv *d)
{
	double t0 = tq_now();

	while (!(drv_status(d) & VIRTIO_S_NEEDS_RESET)) {
		if (tq_now() - t0 > DRV_WAIT_S)
			return false;
		usleep(200);
	}
	return true;
}

static inline bool
drv_wait_msis(unsigned want)
{
	double t0 = tq_now();

	while (vm_fake_msi_count(drv_ctx.vm) < want) {
		if (tq_now() - t0 > DRV_WAIT_S)
			return false;
		usleep(200);
	}
	return true;
}

/* MSI-X: enable the capability and program vector v (unmasked). */
static inline void
drv_msix_enable(struct vdrv *d, bool on)
{
	uint16_t c = (uint16_t)drv_cfgr(d, d->msix_cap + 2, 2);

	drv_cfgw(d, d->msix_cap + 2, 2, on ? c | 0x8000u : c & 0x7FFFu);
}

static inline void
drv_msix_vector(struct vdrv *d, int v, uint32_t data, bool masked)
{
	uint64_t e = d->msix_table + 16ULL * (uint64_t)v;

	W32(e, 0xFEE00000u);
	W32(e + 4, 0);
	W32(e + 8, data);
	W32(e + 12, masked ? 1 : 0);
}

static inline uint8_t *
drv_g(uint64_t gpa)
{
	return vm_map_gpa(drv_ctx.vm, gpa, 1);
}

#endif
