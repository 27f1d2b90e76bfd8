/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the virtio PCI transport (devices/virtio/virtio_pci.c,
 * virtio_notify.c, virtio_worker.c), driven through the trap table as a
 * guest would: identity and capabilities, feature negotiation and
 * FEATURES_OK, queue setup rules (sizes, frozen after enable/DRIVER_OK,
 * rings outside RAM), reset, MSI-X (vectors, masking, pending bits), INTx
 * with the ISR, and the PCI configuration access window.  virtio-blk is
 * the device under test.
 *
 * Threads: main thread; each device's worker thread runs behind it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "virtio_pcidrv.h"

#define RING0	0x100000ULL
#define BUF	0x400000ULL

static char img[64];
static struct vdrv d;
static const char *global_set;	/* "key=value" set before the devices */

static int
setup(const char *extra)
{
	char arg[256], err[256] = "";
	int fd;

	drv_ctx_setup();
	if (global_set != NULL && config_parse_assignment(global_set) != 0)
		printf("    %s: %s\n", global_set, config_error());
	snprintf(img, sizeof(img), "/tmp/zhyve-vpci-XXXXXX");
	fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, 1 << 20) != 0)
		printf("    cannot create %s\n", img);
	close(fd);
	snprintf(arg, sizeof(arg), "4,virtio-blk,%s%s", img, extra);
	if (pci_parse_slot(arg) != 0 || drv_pci_init(err, sizeof(err)) != 0) {
		printf("    init: %s\n", err);
		return -1;
	}
	return drv_attach(&d, 4);
}

static void
teardown(void)
{
	drv_ctx_teardown();
	unlink(img);
}

/* A one-descriptor request the device answers at once (GET_ID). */
static void
post_get_id(uint16_t head)
{
	struct tq *q = &d.q[0];
	uint8_t *h = drv_g(BUF);

	memset(h, 0, 16);
	h[0] = 8;		/* VIRTIO_BLK_T_GET_ID */
	tq_desc(q, head, BUF, 16, VRING_DESC_F_NEXT, (uint16_t)(head + 1));
	tq_desc(q, (uint16_t)(head + 1), BUF + 0x100, 21, VRING_DESC_F_WRITE,
	    0);
	tq_post(q, head);
}

static uint64_t
base_features(void)
{
	return VIRTIO_F_VERSION_1 | (1ULL << 9);	/* FLUSH */
}

TEST(identity_and_caps)
{
	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	CHECK_EQ(drv_cfgr(&d, PCIR_VENDOR, 2), 0x1AF4);
	CHECK_EQ(drv_cfgr(&d, PCIR_DEVICE, 2), 0x1042);
	CHECK(drv_cfgr(&d, PCIR_REVID, 1) >= 1);
	CHECK_EQ(drv_cfgr(&d, PCIR_SUBVEND, 2), 0x1AF4);
	CHECK_EQ(drv_cfgr(&d, PCIR_CLASS, 1), 0x01);
	CHECK_EQ(d.ncaps, 5);		/* common, notify, ISR, device, PCI */
	CHECK(d.pcicfg != 0);
	CHECK(d.msix_cap != 0);
	CHECK_EQ(d.notify_mult, 4);
	CHECK_EQ(d.devcfg_len, 60);
	CHECK(drv_cfgr(&d, d.msix_cap + 2, 2) % 2048 == 1);	/* 2 vectors */
	CHECK_EQ(R16(d.common + DC_NUMQ), 1);
	{
		uint64_t f = drv_offered(&d);

		CHECK(f & VIRTIO_F_VERSION_1);
		CHECK(f & VIRTIO_F_EVENT_IDX);
		CHECK(f & VIRTIO_F_INDIRECT_DESC);
		CHECK(!(f & VIRTIO_F_ACCESS_PLATFORM));
	}
	/* Queue registers of a queue that does not exist. */
	W16(d.common + DC_QSEL, 5);
	CHECK_EQ(R16(d.common + DC_QSIZE), 0);
	CHECK_EQ(R16(d.common + DC_QMSIX), VIRTIO_MSI_NO_VECTOR);
	W16(d.common + DC_QSEL, 0);
	CHECK_EQ(R16(d.common + DC_QSIZE), 256);
	CHECK_EQ(R16(d.common + DC_QNOFF), 0);
	teardown();

	/* virtio_msix=false: no MSI-X capability, INTx instead. */
	CHECK_EQ(setup(",virtio_msix=false"), 0);
	CHECK_EQ(d.msix_cap, 0);
	CHECK(drv_cfgr(&d, PCIR_INTPIN, 1) == 1);
	teardown();
	/* The same from the global key (-W); the device's own key wins. */
	global_set = "virtio_msix=false";
	CHECK_EQ(setup(""), 0);
	CHECK_EQ(d.msix_cap, 0);
	teardown();
	CHECK_EQ(setup(",virtio_msix=true"), 0);
	CHECK(d.msix_cap != 0);
	teardown();
	global_set = NULL;
}

TEST(feature_negotiation)
{
	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	/* Without VERSION_1: FEATURES_OK does not stick. */
	CHECK(!(drv_negotiate(&d, 1ULL << 9) & VIRTIO_S_FEATURES_OK));
	/* Asking for something not offered. */
	CHECK(!(drv_negotiate(&d, base_features() |
	    VIRTIO_F_ACCESS_PLATFORM) & VIRTIO_S_FEATURES_OK));
	CHECK(!(drv_negotiate(&d, base_features() | (1ULL << 12)) &
	    VIRTIO_S_FEATURES_OK));			/* MQ: not offered */
	/* DRIVER_OK without FEATURES_OK is refused. */
	drv_driver_ok(&d);
	CHECK(!(drv_status(&d) & VIRTIO_S_DRIVER_OK));
	/* Accepted. */
	CHECK(drv_negotiate(&d, base_features()) & VIRTIO_S_FEATURES_OK);
	/* Frozen after FEATURES_OK. */
	W32(d.common + DC_GFSEL, 0);
	W32(d.common + DC_GF, 0xFFFFFFFFu);
	CHECK_EQ(R32(d.common + DC_GF), (uint32_t)base_features());
	/* Status bits accumulate; NEEDS_RESET cannot be written. */
	W8(d.common + DC_STATUS, VIRTIO_S_NEEDS_RESET);
	CHECK(!(drv_status(&d) & VIRTIO_S_NEEDS_RESET));
	CHECK(drv_status(&d) & VIRTIO_S_FEATURES_OK);
	/* Reset clears everything. */
	W8(d.common + DC_STATUS, 0);
	CHECK_EQ(drv_status(&d), 0);
	W32(d.common + DC_GFSEL, 1);
	CHECK_EQ(R32(d.common + DC_GF), 0);
	teardown();
}

TEST(queue_rules)
{
	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	/* Enabling a queue before FEATURES_OK breaks the device. */
	W8(d.common + DC_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	drv_queue(&d, 0, 16, RING0, VIRTIO_MSI_NO_VECTOR);
	CHECK(drv_status(&d) & VIRTIO_S_NEEDS_RESET);
	CHECK_EQ(R16(d.common + DC_QENABLE), 0);

	/* Sizes: powers of two up to 256 only. */
	CHECK(drv_negotiate(&d, base_features()) & VIRTIO_S_FEATURES_OK);
	CHECK(!(drv_status(&d) & VIRTIO_S_NEEDS_RESET));
	W16(d.common + DC_QSEL, 0);
	W16(d.common + DC_QSIZE, 100);
	CHECK_EQ(R16(d.common + DC_QSIZE), 256);
	W16(d.common + DC_QSIZE, 512);
	CHECK_EQ(R16(d.common + DC_QSIZE), 256);
	W16(d.common + DC_QSIZE, 0);
	CHECK_EQ(R16(d.common + DC_QSIZE), 256);
	W16(d.common + DC_QSIZE, 32);
	CHECK_EQ(R16(d.common + DC_QSIZE), 32);

	/* Rings outside RAM: NEEDS_RESET, the queue stays off. */
	W64(d.common + DC_QDESC, DRV_MEMSIZE - 64);
	W64(d.common + DC_QDRIVER, RING0 + 0x1000);
	W64(d.common + DC_QDEVICE, RING0 + 0x2000);
	W16(d.common + DC_QENABLE, 1);
	CHECK(drv_status(&d) & VIRTIO_S_NEEDS_RESET);
	CHECK_EQ(R16(d.common + DC_QENABLE), 0);

	/* After a reset the device works; layout frozen once running. */
	CHECK(drv_negotiate(&d, base_features()) & VIRTIO_S_FEATURES_OK);
	drv_queue(&d, 0, 16, RING0, VIRTIO_MSI_NO_VECTOR);
	CHECK_EQ(R16(d.common + DC_QENABLE), 1);
	W16(d.common + DC_QSIZE, 8);		/* enabled: refused */
	CHECK_EQ(R16(d.common + DC_QSIZE), 16);
	W64(d.common + DC_QDESC, RING0 + 0x10000);
	CHECK_EQ(R32(d.common + DC_QDESC), (uint32_t)RING0);
	drv_driver_ok(&d);
	CHECK(drv_status(&d) & VIRTIO_S_DRIVER_OK);
	W16(d.common + DC_QSIZE, 64);		/* after DRIVER_OK: refused */
	CHECK_EQ(R16(d.common + DC_QSIZE), 16);
	post_get_id(0);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	CHECK(!(drv_status(&d) & VIRTIO_S_NEEDS_RESET));
	/* The device still uses the size it was enabled with. */
	post_get_id(2);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 2));
	teardown();
}

TEST(kick_before_driver_ok)
{
	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	CHECK(drv_negotiate(&d, base_features()) & VIRTIO_S_FEATURES_OK);
	drv_queue(&d, 0, 16, RING0, VIRTIO_MSI_NO_VECTOR);
	post_get_id(0);
	drv_kick(&d, 0);
	usleep(20000);
	CHECK_EQ(tq_used_idx(&d.q[0]), 0);	/* not live yet */
	drv_driver_ok(&d);			/* start looks at the ring */
	CHECK(drv_wait_used(&d, 0, 1));
	teardown();
}

TEST(msix_vectors)
{
	unsigned n0;
	uint32_t pba;

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	drv_msix_enable(&d, true);
	drv_msix_vector(&d, 0, 0x31, false);	/* config */
	drv_msix_vector(&d, 1, 0x32, false);	/* queue 0 */
	CHECK(drv_negotiate(&d, base_features()) & VIRTIO_S_FEATURES_OK);
	W16(d.common + DC_MSIX, 0);
	CHECK_EQ(R16(d.common + DC_MSIX), 0);
	W16(d.common + DC_MSIX, 7);		/* no such vector */
	CHECK_EQ(R16(d.common + DC_MSIX), VIRTIO_MSI_NO_VECTOR);
	W16(d.common + DC_MSIX, 0);
	drv_queue(&d, 0, 16, RING0, 1);
	CHECK_EQ(R16(d.common + DC_QMSIX), 1);
	drv_driver_ok(&d);

	n0 = vm_fake_msi_count(drv_ctx.vm);
	post_get_id(0);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	CHECK(drv_wait_msis(n0 + 1));
	{
		uint64_t a;
		uint32_t data;

		vm_fake_last_msi(drv_ctx.vm, &a, &data);
		CHECK_EQ(data, 0x32);
		CHECK_EQ(a, 0xFEE00000u);
	}
	/* Masked: the pending bit instead of a message, sent on unmask. */
	drv_msix_vector(&d, 1, 0x32, true);
	n0 = vm_fake_msi_count(drv_ctx.vm);
	post_get_id(2);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 2));
	usleep(20000);
	CHECK_EQ(vm_fake_msi_count(drv_ctx.vm), n0);
	pba = R32(d.msix_pba);
	CHECK_EQ(pba & 2, 2);
	drv_msix_vector(&d, 1, 0x33, false);
	CHECK_EQ(vm_fake_msi_count(drv_ctx.vm), n0 + 1);
	CHECK_EQ(R32(d.msix_pba) & 2, 0);
	/* A broken ring raises the config vector. */
	n0 = vm_fake_msi_count(drv_ctx.vm);
	tq_set_avail_idx(&d.q[0], 200);
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	CHECK(drv_wait_msis(n0 + 1));
	{
		uint64_t a;
		uint32_t data;

		vm_fake_last_msi(drv_ctx.vm, &a, &data);
		CHECK_EQ(data, 0x31);
	}
	teardown();
}

TEST(intx_and_isr)
{
	int gsi;

	if (setup(",virtio_msix=false") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	gsi = drv_cfgr(&d, PCIR_INTLINE, 1);
	CHECK(drv_negotiate(&d, base_features()) & VIRTIO_S_FEATURES_OK);
	drv_queue(&d, 0, 16, RING0, VIRTIO_MSI_NO_VECTOR);
	CHECK_EQ(R16(d.common + DC_QMSIX), VIRTIO_MSI_NO_VECTOR);
	drv_driver_ok(&d);
	CHECK_EQ(vm_fake_irq_level(drv_ctx.vm, (uint32_t)gsi), 0);
	post_get_id(0);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	for (int i = 0; i < 1000 &&
	    vm_fake_irq_level(drv_ctx.vm, (uint32_t)gsi) == 0; i++)
		usleep(1000);
	CHECK_EQ(vm_fake_irq_level(drv_ctx.vm, (uint32_t)gsi), 1);
	CHECK(drv_cfgr(&d, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	CHECK_EQ(R8(d.isr), VIRTIO_ISR_QUEUE);	/* read clears */
	CHECK_EQ(vm_fake_irq_level(drv_ctx.vm, (uint32_t)gsi), 0);
	CHECK_EQ(R8(d.isr), 0);
	/* Config change (broken ring): ISR bit 1. */
	tq_desc(&d.q[0], 0, DRV_MEMSIZE, 16, 0, 0);
	tq_post(&d.q[0], 0);
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	for (int i = 0; i < 1000 &&
	    vm_fake_irq_level(drv_ctx.vm, (uint32_t)gsi) == 0; i++)
		usleep(1000);
	CHECK_EQ(R8(d.isr), VIRTIO_ISR_CONFIG);
	/* Reset lowers everything and the device comes back. */
	W8(d.common + DC_STATUS, 0);
	CHECK_EQ(drv_status(&d), 0);
	CHECK_EQ(vm_fake_irq_level(drv_ctx.vm, (uint32_t)gsi), 0);
	CHECK(drv_negotiate(&d, base_features()) & VIRTIO_S_FEATURES_OK);
	drv_queue(&d, 0, 16, RING0, VIRTIO_MSI_NO_VECTOR);
	drv_driver_ok(&d);
	post_get_id(0);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	teardown();
}

TEST(pci_cfg_window)
{
	int c;

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	c = d.pcicfg;
	/* Read num_queues (BAR 0 + 0x12, 2 bytes) through config space. */
	drv_cfgw(&d, c + 4, 1, 0);
	drv_cfgw(&d, c + 8, 4, 0x12);
	drv_cfgw(&d, c + 12, 4, 2);
	CHECK_EQ(drv_cfgr(&d, c + 16, 4) & 0xFFFF, 1);
	/* Write device_status = ACKNOWLEDGE through it. */
	drv_cfgw(&d, c + 8, 4, 0x14);
	drv_cfgw(&d, c + 12, 4, 1);
	drv_cfgw(&d, c + 16, 1, VIRTIO_S_ACKNOWLEDGE);
	CHECK_EQ(drv_status(&d), VIRTIO_S_ACKNOWLEDGE);
	/* Bad windows do nothing. */
	drv_cfgw(&d, c + 12, 4, 3);		/* length 3 */
	CHECK_EQ(drv_cfgr(&d, c + 16, 4), 0);
	drv_cfgw(&d, c + 12, 4, 4);
	drv_cfgw(&d, c + 8, 4, 0xFFFFFFFEu);	/* off the BAR */
	CHECK_EQ(drv_cfgr(&d, c + 16, 4), 0);
	drv_cfgw(&d, c + 4, 1, 3);		/* another BAR */
	drv_cfgw(&d, c + 8, 4, 0x14);
	drv_cfgw(&d, c + 16, 4, 0);
	CHECK_EQ(drv_status(&d), VIRTIO_S_ACKNOWLEDGE);
	/* Reset through the window (it holds the PCI lock: no deadlock). */
	drv_cfgw(&d, c + 4, 1, 0);
	drv_cfgw(&d, c + 12, 4, 1);
	drv_cfgw(&d, c + 16, 1, 0);
	CHECK_EQ(drv_status(&d), 0);
	teardown();
}

TEST(bar_moves)
{
	uint64_t nb = PCI_MMIO32_BASE + 0x100000;

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	/* The guest moves BAR 0: registers (and doorbells) follow. */
	drv_cfgw(&d, PCIR_BAR(0), 4, (uint32_t)nb);
	CHECK_EQ(drv_attach(&d, 4), 0);
	CHECK_EQ(d.common, nb);
	CHECK(drv_negotiate(&d, base_features()) & VIRTIO_S_FEATURES_OK);
	drv_queue(&d, 0, 16, RING0, VIRTIO_MSI_NO_VECTOR);
	drv_driver_ok(&d);
	post_get_id(0);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	/* Odd accesses: unaligned sizes and reserved offsets are harmless. */
	W8(d.common + 0x37, 0xFF);
	W32(d.common + 0x100, 0xFFFFFFFFu);
	CHECK_EQ(R32(d.common + 0x100), 0);
	W16(d.notify + 0x100, 0);		/* past the doorbells */
	CHECK_EQ(drv_mmio(d.common, 3, false, 0), 0);
	CHECK(drv_status(&d) & VIRTIO_S_DRIVER_OK);
	teardown();
}

int
main(void)
{
	RUN(identity_and_caps);
	RUN(feature_negotiation);
	RUN(queue_rules);
	RUN(kick_before_driver_ok);
	RUN(msix_vectors);
	RUN(intx_and_isr);
	RUN(pci_cfg_window);
	RUN(bar_moves);
	TEST_SUMMARY();
}
