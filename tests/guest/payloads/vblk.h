/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal modern virtio-blk (1AF4:1042) driver core for the test
 * payloads, as static inline functions (no Makefile change: every payload
 * may include it, the ones that do not pay nothing): find the first such
 * function on bus 0, give memory BARs that firmware left unassigned an
 * address (QEMU with a bare ROM), find the virtio capabilities, negotiate
 * features and set up queue 0 with the used ring polled (MSI-X off).
 * Used by p_virtio_blk and p_bench_virtio; boot CPU only.
 *
 * Functions that can fail return NULL on success, else why (for fail()).
 */
#ifndef PAYLOAD_VBLK_H
#define PAYLOAD_VBLK_H

#include "plib.h"

#define VBLK_BAR_POOL		0xC4000000u	/* for BARs nobody assigned */

/* Descriptor flags and feature bits (virtio 1.x). */
#define VBLK_F_NEXT		1
#define VBLK_F_WRITE		2
#define VBLK_F_INDIRECT		4
#define VBLK_FEAT_FLUSH		(1u << 9)	/* in feature word 0 */
#define VBLK_FEAT_INDIRECT	(1u << 28)	/* in feature word 0 */
#define VBLK_FEAT1_VERSION_1	(1u << 0)	/* in feature word 1 */

/* Device status bits. */
#define VBLK_S_ACK		1
#define VBLK_S_DRIVER		2
#define VBLK_S_DRIVER_OK	4
#define VBLK_S_FEATURES_OK	8
#define VBLK_S_NEEDS_RESET	0x40
#define VBLK_S_FAILED		0x80

/* Common configuration registers. */
#define VBLK_CC_DFSELECT	0x00
#define VBLK_CC_DF		0x04
#define VBLK_CC_GFSELECT	0x08
#define VBLK_CC_GF		0x0C
#define VBLK_CC_STATUS		0x14
#define VBLK_CC_QSELECT		0x16
#define VBLK_CC_QSIZE		0x18
#define VBLK_CC_QMSIX		0x1A
#define VBLK_CC_QENABLE		0x1C
#define VBLK_CC_QNOTIFYOFF	0x1E
#define VBLK_CC_QDESC		0x20
#define VBLK_CC_QDRIVER		0x28
#define VBLK_CC_QDEVICE		0x30

struct vblk {
	unsigned slot;			/* device number on bus 0 */
	uint32_t common, notify, devcfg, notify_mult;
	uint32_t bar_next;		/* next free address for a BAR */
	uint32_t f0;			/* feature word 0 the device offers */
	uint32_t feat0;			/* feature word 0 negotiated */
	uint32_t desc, avail, used;	/* queue 0's rings */
	uint32_t kick;			/* queue 0's notify address */
	uint16_t qsize;			/* queue 0's size as set */
};

static inline uint8_t vb_rd8(uint32_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t vb_rd16(uint32_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t vb_rd32(uint32_t a) { return *(volatile uint32_t *)a; }
static inline void vb_wr8(uint32_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void vb_wr16(uint32_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void vb_wr32(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

static inline uint8_t vblk_cfg8(const struct vblk *v, unsigned off)
{
	return (uint8_t)(pci_cfg_read32(0, v->slot, 0, off & ~3u) >>
	    (8 * (off & 3)));
}

/* Address of memory BAR b, assigning one if it is unassigned; 0 if it is
 * an I/O BAR, above 4 GiB or not implemented. */
static inline uint32_t vblk_bar(struct vblk *v, unsigned b)
{
	unsigned off = 0x10 + 4 * b;
	uint32_t r = pci_cfg_read32(0, v->slot, 0, off), sz;
	int is64 = (r & 6) == 4;

	if (b > 5 || (r & 1))
		return 0;
	if (is64 && pci_cfg_read32(0, v->slot, 0, off + 4) != 0)
		return 0;
	if ((r & ~0xFu) != 0)
		return r & ~0xFu;
	pci_cfg_write32(0, v->slot, 0, off, 0xFFFFFFFFu);
	sz = pci_cfg_read32(0, v->slot, 0, off) & ~0xFu;
	if (sz == 0)
		return 0;
	sz = ~sz + 1;
	v->bar_next = (v->bar_next + sz - 1) & ~(sz - 1);
	pci_cfg_write32(0, v->slot, 0, off, v->bar_next);
	if (is64)
		pci_cfg_write32(0, v->slot, 0, off + 4, 0);
	r = v->bar_next;
	v->bar_next += sz;
	return r;
}

/* Finds the device and its registers; turns on memory decoding and bus
 * mastering (BARs are sized and placed with decoding off). */
static inline const char *vblk_find(struct vblk *v)
{
	unsigned off, guard = 0;

	memset(v, 0, sizeof(*v));
	v->bar_next = VBLK_BAR_POOL;
	for (v->slot = 0; v->slot < 32; v->slot++)
		if (pci_cfg_read32(0, v->slot, 0, 0) == 0x10421AF4u)
			break;
	if (v->slot == 32)
		return "no 1af4:1042 on bus 0";
	pci_cfg_write32(0, v->slot, 0, 0x04,
	    pci_cfg_read32(0, v->slot, 0, 0x04) & ~0x7u);
	off = vblk_cfg8(v, 0x34);
	while (off != 0 && guard++ < 48) {
		uint8_t type = vblk_cfg8(v, off + 3);

		if (vblk_cfg8(v, off) == 0x09 && type >= 1 && type <= 4) {
			uint32_t a = vblk_bar(v, vblk_cfg8(v, off + 4)) +
			    pci_cfg_read32(0, v->slot, 0, off + 8);

			if (type == 1) {
				v->common = a;
			} else if (type == 2) {
				v->notify = a;
				v->notify_mult =
				    pci_cfg_read32(0, v->slot, 0, off + 16);
			} else if (type == 4) {
				v->devcfg = a;
			}
		}
		off = vblk_cfg8(v, off + 1);
	}
	pci_cfg_write32(0, v->slot, 0, 0x04,
	    pci_cfg_read32(0, v->slot, 0, 0x04) | 0x6);
	if (v->common == 0 || v->notify == 0 || v->devcfg == 0)
		return "virtio capabilities not found";
	return NULL;
}

/*
 * Resets the device, negotiates VERSION_1 plus whatever of want0 (feature
 * word 0) the device offers, and sets up queue 0 with its descriptor table
 * at ring, the available ring at ring + 0x1000 and the used ring at
 * ring + 0x2000 (room for 256 entries), size min(offered, qmax) and at
 * least qmin; no MSI-X vector.  Ends with DRIVER_OK.
 */
static inline const char *vblk_setup(struct vblk *v, uint32_t want0,
    unsigned qmax, unsigned qmin, uint32_t ring)
{
	uint32_t c = v->common, f1;
	uint16_t q;

	if (qmax > 256)
		qmax = 256;
	vb_wr8(c + VBLK_CC_STATUS, 0);
	for (uint32_t i = 0; vb_rd8(c + VBLK_CC_STATUS) != 0; i++) {
		if (i == 1000000)
			return "device reset does not complete";
		cpu_relax();
	}
	vb_wr8(c + VBLK_CC_STATUS, VBLK_S_ACK);
	vb_wr8(c + VBLK_CC_STATUS, VBLK_S_ACK | VBLK_S_DRIVER);
	vb_wr32(c + VBLK_CC_DFSELECT, 0);
	v->f0 = vb_rd32(c + VBLK_CC_DF);
	vb_wr32(c + VBLK_CC_DFSELECT, 1);
	f1 = vb_rd32(c + VBLK_CC_DF);
	if (!(f1 & VBLK_FEAT1_VERSION_1))
		return "VERSION_1 not offered";
	v->feat0 = v->f0 & want0;
	vb_wr32(c + VBLK_CC_GFSELECT, 0);
	vb_wr32(c + VBLK_CC_GF, v->feat0);
	vb_wr32(c + VBLK_CC_GFSELECT, 1);
	vb_wr32(c + VBLK_CC_GF, VBLK_FEAT1_VERSION_1);
	vb_wr8(c + VBLK_CC_STATUS,
	    VBLK_S_ACK | VBLK_S_DRIVER | VBLK_S_FEATURES_OK);
	if (!(vb_rd8(c + VBLK_CC_STATUS) & VBLK_S_FEATURES_OK))
		return "FEATURES_OK refused";
	vb_wr16(c + VBLK_CC_QSELECT, 0);
	q = vb_rd16(c + VBLK_CC_QSIZE);
	if (q > qmax)
		q = (uint16_t)qmax;
	if (q < qmin || q == 0)
		return "queue too small";
	v->qsize = q;
	v->desc = ring;
	v->avail = ring + 0x1000;
	v->used = ring + 0x2000;
	memset((void *)ring, 0, 0x3000);
	vb_wr16(c + VBLK_CC_QSIZE, q);
	vb_wr32(c + VBLK_CC_QDESC, v->desc);
	vb_wr32(c + VBLK_CC_QDESC + 4, 0);
	vb_wr32(c + VBLK_CC_QDRIVER, v->avail);
	vb_wr32(c + VBLK_CC_QDRIVER + 4, 0);
	vb_wr32(c + VBLK_CC_QDEVICE, v->used);
	vb_wr32(c + VBLK_CC_QDEVICE + 4, 0);
	vb_wr16(c + VBLK_CC_QMSIX, 0xFFFF);		/* no MSI-X vector */
	v->kick = v->notify +
	    vb_rd16(c + VBLK_CC_QNOTIFYOFF) * v->notify_mult;
	vb_wr16(c + VBLK_CC_QENABLE, 1);
	vb_wr8(c + VBLK_CC_STATUS, VBLK_S_ACK | VBLK_S_DRIVER |
	    VBLK_S_FEATURES_OK | VBLK_S_DRIVER_OK);
	if (vb_rd8(c + VBLK_CC_STATUS) & (VBLK_S_NEEDS_RESET | VBLK_S_FAILED))
		return "device refused DRIVER_OK";
	return NULL;
}

/* The device's status register; NULL if it reports no trouble. */
static inline const char *vblk_health(const struct vblk *v)
{
	uint8_t s = vb_rd8(v->common + VBLK_CC_STATUS);

	if (s & VBLK_S_NEEDS_RESET)
		return "device needs reset";
	if (!(s & VBLK_S_DRIVER_OK))
		return "device lost DRIVER_OK";
	return NULL;
}

/* Writes descriptor i of the table at table. */
static inline void vblk_desc(uint32_t table, unsigned i, uint32_t addr,
    uint32_t len, uint16_t flags, uint16_t next)
{
	uint32_t d = table + 16 * i;

	vb_wr32(d, addr);
	vb_wr32(d + 4, 0);
	vb_wr32(d + 8, len);
	vb_wr16(d + 12, flags);
	vb_wr16(d + 14, next);
}

/* A request header: type (0 read, 1 write, 4 flush, 8 get id), sector. */
static inline void vblk_hdr(uint32_t hdr, uint32_t type, uint32_t sector)
{
	vb_wr32(hdr, type);
	vb_wr32(hdr + 4, 0);
	vb_wr32(hdr + 8, sector);
	vb_wr32(hdr + 12, 0);
}

/* Publishes the available index idx (entries written before it) and
 * kicks queue 0. */
static inline void vblk_publish_kick(const struct vblk *v, uint16_t idx)
{
	__asm__ volatile("" ::: "memory");
	vb_wr16(v->avail + 2, idx);
	__asm__ volatile("mfence" ::: "memory");
	vb_wr16(v->kick, 0);
}

/* Polls until the used index equals idx; 0, or -1 after limit polls. */
static inline int vblk_wait_used(const struct vblk *v, uint16_t idx,
    uint32_t limit)
{
	for (uint32_t i = 0; vb_rd16(v->used + 2) != idx; i++) {
		if (i == limit)
			return -1;
		cpu_relax();
	}
	__asm__ volatile("" ::: "memory");
	return 0;
}

#endif
