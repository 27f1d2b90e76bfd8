/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the register surface a guest reaches with port I/O
 * and MMIO: PCI configuration mechanism #1 (ports 0xCF8-0xCFF), the ECAM
 * window, BAR sizing and moves, the command register, MSI-X, and the
 * virtio-pci regions (common configuration, notify, ISR, device
 * configuration, MSI-X table and PBA) of a virtio-blk and a virtio-rnd
 * device, next to a host bridge and an LPC bridge.
 *
 * Every input gets a fresh platform: a fake VM (no KVM), a trap table and
 * the devices from -s strings, built and found as tests/unit/virtio_pcidrv.h
 * does, with memory decode and bus mastering on; the input is replayed as
 * accesses; then everything is torn down (worker threads joined), so no
 * state crosses inputs and the leak checker sees every allocation freed.
 *
 * The input is a list of 8-byte operations:
 *   byte 0: bits 0-2 kind, bits 3-4 size (1, 2, 4, 8), bit 5 write
 *   bytes 1-3: where (meaning depends on the kind)
 *   bytes 4-7: the value written (little endian; 8-byte writes repeat it)
 * kinds: 0 ECAM access (slot, register 0..4095); 1 port 0xCF8 + (0..7);
 * 2 an offset in one of a device's BARs, read from its config space at
 * that moment (so moved BARs are followed); 3 an offset in one of the
 * virtio regions found at attach time (stale once the guest moves the
 * BAR, as a guest's cached pointer would be); 4 any address in the 32-bit
 * PCI window and ECAM (0xC0000000 up); 5 four bytes into guest RAM in the
 * area where a fuzzed queue address most likely points, so chains, rings
 * and indirect tables come from the input too; 6 lets the worker threads
 * run (sched_yield).
 *
 * The oracles, besides ASan/UBSan and the walker's own bounds (every
 * access a device makes must stay inside guest RAM): after every
 * operation, neither device's status holds DRIVER_OK without FEATURES_OK,
 * nor FEATURES_OK without VERSION_1 among the negotiated features; and at
 * the end, with the BARs and command registers put back as the firmware
 * left them, writing 0 to device_status resets each device whatever the
 * guest did before: status reads 0 and no queue is enabled.
 *
 * Threads: the fuzzer's thread acts as the vCPU; each virtio device's
 * worker thread runs behind it, as in zhyve.
 */
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio_pcidrv.h"

#define SLOT_BLK	3
#define SLOT_RND	4
#define RAM_AREA	0x100000ULL	/* kind 5 writes land here (256 KiB) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char img[64];

static void
make_image(void)
{
	int fd;

	if (img[0] != '\0')
		return;
	snprintf(img, sizeof(img), "/dev/shm/zhyve-fuzz-pci-XXXXXX");
	fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, 1 << 20) != 0) {
		fprintf(stderr, "fuzz_pci: cannot create %s\n", img);
		abort();
	}
	close(fd);	/* the devices open it by path; removed at exit */
}

static void
drop_image(void)
{
	if (img[0] != '\0')
		unlink(img);
}

static void
platform_up(struct vdrv *d)
{
	char blk[128], rnd[32], err[256] = "";

	drv_ctx_setup();
	snprintf(blk, sizeof(blk), "%d,virtio-blk,%s", SLOT_BLK, img);
	snprintf(rnd, sizeof(rnd), "%d,virtio-rnd", SLOT_RND);
	if (pci_parse_slot("0,hostbridge") != 0 ||
	    pci_parse_slot("31,lpc") != 0 ||
	    pci_parse_slot(blk) != 0 ||
	    pci_parse_slot(rnd) != 0 ||
	    drv_pci_init(err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pci: platform: %s\n", err);
		abort();
	}
	for (int i = 0; i < 2; i++) {
		int slot = i == 0 ? SLOT_BLK : SLOT_RND;

		if (drv_attach(&d[i], slot) != 0) {
			fprintf(stderr, "fuzz_pci: slot %d: no virtio device\n",
			    slot);
			abort();
		}
		drv_cfgw(&d[i], PCIR_COMMAND, 2,
		    PCIM_CMD_MEMEN | PCIM_CMD_BUSMASTER);
	}
}

static void
guest_access(int space, uint64_t addr, int size, bool write, uint64_t v)
{
	(void)iotrap_dispatch(drv_ctx.traps, space, addr, size, write, &v);
}

static void
check_status(const struct vdrv *d, const char *when)
{
	struct virtio_softc *vs = d->pi->pi_arg;
	uint8_t st = __atomic_load_n(&vs->vs_status, __ATOMIC_ACQUIRE);

	if ((st & VIRTIO_S_DRIVER_OK) && !(st & VIRTIO_S_FEATURES_OK)) {
		fprintf(stderr, "fuzz_pci: slot %d %s: status 0x%x has "
		    "DRIVER_OK without FEATURES_OK\n", d->slot, when, st);
		abort();
	}
	if ((st & VIRTIO_S_FEATURES_OK) &&
	    !(vs->vs_negotiated & VIRTIO_F_VERSION_1)) {
		fprintf(stderr, "fuzz_pci: slot %d %s: FEATURES_OK without "
		    "VERSION_1 negotiated\n", d->slot, when);
		abort();
	}
}

/* The BARs and command register as platform_up left them. */
struct saved {
	uint32_t bar[6];
};

static void
save_bars(const struct vdrv *d, struct saved *s)
{
	for (int b = 0; b < 6; b++)
		s->bar[b] = drv_cfgr((struct vdrv *)d, PCIR_BAR(b), 4);
}

static void
reset_and_check(struct vdrv *d, const struct saved *s)
{
	drv_cfgw(d, PCIR_COMMAND, 2, 0);
	for (int b = 0; b < 6; b++)
		drv_cfgw(d, PCIR_BAR(b), 4, s->bar[b]);
	drv_cfgw(d, PCIR_COMMAND, 2, PCIM_CMD_MEMEN | PCIM_CMD_BUSMASTER);
	W8(d->common + DC_STATUS, 0);
	if (drv_status(d) != 0) {
		fprintf(stderr, "fuzz_pci: slot %d: status 0x%x after a "
		    "reset\n", d->slot, drv_status(d));
		abort();
	}
	for (uint16_t q = 0; q < R16(d->common + DC_NUMQ); q++) {
		W16(d->common + DC_QSEL, q);
		if (R16(d->common + DC_QENABLE) != 0) {
			fprintf(stderr, "fuzz_pci: slot %d: queue %u enabled "
			    "after a reset\n", d->slot, q);
			abort();
		}
	}
}

static uint64_t
region(const struct vdrv *d, unsigned which)
{
	switch (which % 6) {
	case 0: return d->common;
	case 1: return d->notify;
	case 2: return d->isr;
	case 3: return d->devcfg;
	case 4: return d->msix_table;
	default: return d->msix_pba;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int sizes[4] = { 1, 2, 4, 8 };
	static const int slots[8] = { 0, SLOT_BLK, SLOT_RND, 31, 1, 7,
	    SLOT_BLK, SLOT_RND };
	struct vdrv d[2];
	struct saved saved[2];

	if (size < 8 || size > 8 * 512)
		return 0;
	make_image();
	platform_up(d);
	save_bars(&d[0], &saved[0]);
	save_bars(&d[1], &saved[1]);
	for (size_t o = 0; o + 8 <= size; o += 8) {
		const uint8_t *p = data + o;
		int sz = sizes[(p[0] >> 3) & 3];
		bool wr = (p[0] & 0x20) != 0;
		uint32_t v32 = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		uint64_t v = sz == 8 ? (uint64_t)v32 << 32 | v32 : v32;
		uint32_t where = (uint32_t)p[1] | (uint32_t)p[2] << 8 |
		    (uint32_t)p[3] << 16;
		struct vdrv *dv = &d[p[1] & 1];

		switch (p[0] & 7) {
		case 0:		/* ECAM: slot, register */
			guest_access(IOTRAP_MMIO, drv_ecam(slots[p[1] & 7],
			    (int)((where >> 8) & 0xFFF)), sz, wr, v);
			break;
		case 1:		/* mechanism #1 ports */
			guest_access(IOTRAP_PIO, 0xCF8 + (p[1] & 7),
			    sz > 4 ? 4 : sz, wr, v);
			break;
		case 2: {	/* a BAR as its register says now */
			int bar = (p[1] >> 1) % 6;
			uint64_t base = drv_bar(dv, bar);

			if (base != 0)
				guest_access(IOTRAP_MMIO, base + (where >> 8), sz, wr, v);
			break;
		}
		case 3: {	/* a virtio region found at attach */
			uint64_t base = region(dv, p[1] >> 1);

			if (base != 0)
				guest_access(IOTRAP_MMIO, base + ((where >> 8) & 0xFFF),
				    sz, wr, v);
			break;
		}
		case 4:		/* anywhere in the PCI window and ECAM */
			guest_access(IOTRAP_MMIO, PCI_MMIO32_BASE +
			    ((uint64_t)where << 6) + (p[4] & 0x3F), sz, wr, v);
			break;
		case 5:		/* guest RAM where rings are likely put */
			memcpy(drv_g(RAM_AREA + ((where & 0xFFFF) << 2)), p + 4, 4);
			break;
		default:	/* let the workers serve what was kicked */
			sched_yield();
			break;
		}
		check_status(&d[0], "during the run");
		check_status(&d[1], "during the run");
	}
	reset_and_check(&d[0], &saved[0]);
	reset_and_check(&d[1], &saved[1]);
	drv_ctx_teardown();
	return 0;
}

__attribute__((destructor)) static void
fuzz_pci_fini(void)
{
	drop_image();
}
