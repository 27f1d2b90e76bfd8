/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for virtio-rnd (devices/virtio/virtio_rnd.c): buffers come
 * back full of random bytes, the token bucket bounds the rate, hostile
 * requests break the queue, configuration errors are clear.
 *
 * Threads: main thread; the device's worker thread runs behind it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "virtio_pcidrv.h"

#define RING0	0x100000ULL
#define BUF	0x400000ULL
#define QSZ	16

static struct vdrv d;

static int
setup(const char *opts)
{
	char arg[128], err[256] = "";

	drv_ctx_setup();
	snprintf(arg, sizeof(arg), "5,virtio-rnd%s", opts);
	if (pci_parse_slot(arg) != 0 || drv_pci_init(err, sizeof(err)) != 0) {
		printf("    init: %s\n", err);
		return -1;
	}
	if (drv_attach(&d, 5) != 0)
		return -1;
	if (!(drv_negotiate(&d, VIRTIO_F_VERSION_1) & VIRTIO_S_FEATURES_OK))
		return -1;
	drv_queue(&d, 0, QSZ, RING0, VIRTIO_MSI_NO_VECTOR);
	drv_driver_ok(&d);
	return 0;
}

static void
post_buf(uint16_t i, uint64_t gpa, uint32_t len, uint16_t flags)
{
	tq_desc(&d.q[0], i, gpa, len, flags, 0);
	tq_post(&d.q[0], i);
}

TEST(fills_buffers)
{
	uint32_t id = 0, len = 0;
	uint8_t *b;
	int zeros = 0;

	if (setup("") != 0) {
		CHECK(0);
		drv_ctx_teardown();
		return;
	}
	CHECK_EQ(drv_cfgr(&d, PCIR_DEVICE, 2), 0x1044);
	CHECK_EQ(d.devcfg, 0);		/* no device configuration */
	b = drv_g(BUF);
	memset(b, 0, 4096);
	post_buf(0, BUF, 4096, VRING_DESC_F_WRITE);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	CHECK_EQ(tq_get_used(&d.q[0], &id, &len), 1);
	CHECK_EQ(id, 0);
	CHECK_EQ(len, 4096);
	for (int i = 0; i < 4096; i++)
		zeros += b[i] == 0;
	CHECK(zeros < 100);		/* about 16 expected */
	/* Two buffers in one chain. */
	tq_desc(&d.q[0], 1, BUF + 8192, 100, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 2);
	tq_desc(&d.q[0], 2, BUF + 16384, 100, VRING_DESC_F_WRITE, 0);
	tq_post(&d.q[0], 1);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 2));
	CHECK_EQ(tq_get_used(&d.q[0], &id, &len), 1);
	CHECK_EQ(len, 200);
	drv_ctx_teardown();
}

TEST(rate_bound)
{
	uint32_t id, len;
	uint64_t total = 0;
	uint16_t posted = 0;
	double t0, el;

	/* 64 KiB/s, at most one second's worth at once. */
	if (setup(",limit=64k") != 0) {
		CHECK(0);
		drv_ctx_teardown();
		return;
	}
	t0 = tq_now();
	/* Keep four 64 KiB buffers posted for 1.5 s and count bytes. */
	for (; posted < 4; posted++)
		post_buf(posted % QSZ, BUF + 0x10000ULL * (posted % QSZ),
		    65536, VRING_DESC_F_WRITE);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	while (tq_now() - t0 < 1.5) {
		usleep(5000);
		while (tq_get_used(&d.q[0], &id, &len)) {
			CHECK(len <= 65536);
			total += len;
			post_buf(posted % QSZ, BUF + 0x10000ULL * (posted % QSZ),
			    65536, VRING_DESC_F_WRITE);
			posted++;
			drv_kick(&d, 0);
		}
	}
	el = tq_now() - t0;
	/* The full bucket plus the rate, and not much less than that. */
	CHECK(total <= 65536 + (uint64_t)(el * 65536) + 4096);
	CHECK(total >= 65536 + (uint64_t)(1.0 * 65536 / 2));
	drv_ctx_teardown();

	/* limit=0: no bound. */
	if (setup(",limit=0") != 0) {
		CHECK(0);
		drv_ctx_teardown();
		return;
	}
	for (uint16_t i = 0; i < 8; i++)
		post_buf(i, BUF + 0x100000ULL * i, 1 << 20, VRING_DESC_F_WRITE);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 8));
	total = 0;
	while (tq_get_used(&d.q[0], &id, &len))
		total += len;
	CHECK_EQ(total, 8u << 20);
	/* One request gets at most 1 MiB, however large its buffers. */
	tq_desc(&d.q[0], 8, BUF, 4u << 20, VRING_DESC_F_WRITE, 0);
	tq_post(&d.q[0], 8);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 9));
	CHECK_EQ(tq_get_used(&d.q[0], &id, &len), 1);
	CHECK_EQ(len, 1u << 20);
	drv_ctx_teardown();
}

TEST(hostile)
{
	/* A device-readable buffer. */
	if (setup("") != 0) {
		CHECK(0);
		drv_ctx_teardown();
		return;
	}
	post_buf(0, BUF, 64, 0);
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	CHECK_EQ(tq_used_idx(&d.q[0]), 0);
	/* Reset while the bucket timer is pending, then it works again. */
	drv_ctx_teardown();

	if (setup(",limit=1k") != 0) {
		CHECK(0);
		drv_ctx_teardown();
		return;
	}
	post_buf(0, BUF, 4096, VRING_DESC_F_WRITE);
	post_buf(1, BUF + 4096, 4096, VRING_DESC_F_WRITE);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	W8(d.common + DC_STATUS, 0);
	CHECK_EQ(drv_status(&d), 0);
	CHECK(drv_negotiate(&d, VIRTIO_F_VERSION_1) & VIRTIO_S_FEATURES_OK);
	drv_queue(&d, 0, QSZ, RING0, VIRTIO_MSI_NO_VECTOR);
	drv_driver_ok(&d);
	post_buf(0, BUF, 16, VRING_DESC_F_WRITE);
	drv_kick(&d, 0);
	CHECK(drv_wait_used(&d, 0, 1));
	drv_ctx_teardown();
}

TEST(config_errors)
{
	static const char *const bad[] = { ",limit=fast", ",limit=2g",
	    ",rate=1", ",virtio_msix=x" };
	static const char *const what[] = { "limit", "limit",
	    "unknown key 'rate'", "virtio_msix" };

	for (int i = 0; i < 4; i++) {
		char arg[64], err[256] = "";

		drv_ctx_setup();
		snprintf(arg, sizeof(arg), "5,virtio-rnd%s", bad[i]);
		CHECK_EQ(pci_parse_slot(arg), 0);
		CHECK_EQ(drv_pci_init(err, sizeof(err)), -1);
		if (strstr(err, what[i]) == NULL) {
			printf("    \"%s\" lacks \"%s\"\n", err, what[i]);
			CHECK(0);
		}
		drv_ctx_teardown();
	}
}

int
main(void)
{
	RUN(fills_buffers);
	RUN(rate_bound);
	RUN(hostile);
	RUN(config_errors);
	TEST_SUMMARY();
}
