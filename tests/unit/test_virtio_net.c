/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the virtio-net userspace data path: the device is made
 * from -s with a SOCK_SEQPACKET socketpair standing in for the tap, driven
 * through its PCI registers with queues in fake guest memory.  Transmit
 * and receive of single and merged buffers, offload headers, backpressure,
 * MAC anti-spoofing, hostile chains, a vanished backend, reset.
 *
 * Threads: the main thread; the device's worker runs behind it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "virtio_net_drv.h"

#define F_BASE	(VTNET_F_MAC | VTNET_F_MTU | VTNET_F_STATUS)
#define F_OFFL	(VTNET_F_CSUM | VTNET_F_GUEST_CSUM | VTNET_F_HOST_TSO4 | \
		 VTNET_F_HOST_TSO6 | VTNET_F_GUEST_TSO4 | VTNET_F_GUEST_TSO6)

static const uint8_t other_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t bcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

static struct ndev d;
static uint16_t tx_head, rx_head;	/* next free descriptor */

static bool
setup(bool vnet, const char *extra, uint64_t want)
{
	char err[300] = "";

	tx_head = rx_head = 0;
	if (nd_create(&d, vnet, extra, err, sizeof(err)) != 0) {
		printf("    setup: %s\n", err);
		return false;
	}
	if (!(nd_start(&d, want) & VIRTIO_S_DRIVER_OK)) {
		printf("    setup: DRIVER_OK refused\n");
		return false;
	}
	return true;
}

/* Transmit buffer for descriptor i: 64 KiB at ND_BUF + i * 64 KiB. */
static uint64_t
txbuf(int i)
{
	return ND_BUF + 0x10000ULL * (uint64_t)i;
}

static uint64_t
rxbuf(int i)
{
	return ND_BUF + 0x100000ULL + 0x10000ULL * (uint64_t)i;
}

/*
 * Post a transmit chain of hdr+frame split into `nseg` descriptors
 * (indices tx_head..); returns the head.
 */
static uint16_t
post_tx(const uint8_t *hdr, const uint8_t *frame, size_t flen, int nseg)
{
	struct tq *q = &d.q[VTNET_TXQ];
	uint8_t all[70000];
	size_t total = VTNET_HDR_LEN + flen, off = 0;
	uint16_t head = tx_head;

	memcpy(all, hdr, VTNET_HDR_LEN);
	memcpy(all + VTNET_HDR_LEN, frame, flen);
	for (int s = 0; s < nseg; s++) {
		size_t len = s == nseg - 1 ? total - off : total / (size_t)nseg;
		uint16_t i = (uint16_t)(tx_head % ND_QSIZE);

		memcpy(nd_g(txbuf(i), len), all + off, len);
		tq_desc(q, i, txbuf(i), (uint32_t)len,
		    s == nseg - 1 ? 0 : VRING_DESC_F_NEXT,
		    (uint16_t)((i + 1) % ND_QSIZE));
		off += len;
		tx_head++;
	}
	tq_post(q, (uint16_t)(head % ND_QSIZE));
	return (uint16_t)(head % ND_QSIZE);
}

/* Post one receive buffer of len bytes; returns its descriptor. */
static uint16_t
post_rx(uint32_t len)
{
	struct tq *q = &d.q[VTNET_RXQ];
	uint16_t i = (uint16_t)(rx_head++ % ND_QSIZE);

	memset(nd_g(rxbuf(i), len), 0xEE, len);
	tq_desc(q, i, rxbuf(i), len, VRING_DESC_F_WRITE, 0);
	tq_post(q, i);
	return i;
}

static void
hdr_none(uint8_t *h)
{
	memset(h, 0, VTNET_HDR_LEN);
}

/* Send a frame host -> device with a header. */
static void
host_send(const uint8_t *hdr, const uint8_t *frame, size_t flen)
{
	uint8_t all[70000];

	memcpy(all, hdr, VTNET_HDR_LEN);
	memcpy(all + VTNET_HDR_LEN, frame, flen);
	CHECK_EQ(send(d.host, all, VTNET_HDR_LEN + flen, 0),
	    (ssize_t)(VTNET_HDR_LEN + flen));
}

/* --- transmit ------------------------------------------------------------------- */

TEST(tx_single_and_segmented)
{
	uint8_t hdr[VTNET_HDR_LEN], f[1514], got[2000];
	uint32_t id, len;
	ssize_t n;

	if (!setup(true, "", F_BASE))
		goto out;
	hdr_none(hdr);
	hdr[10] = 0x77;		/* num_buffers: not the guest's to send */
	nd_frame(f, 60, other_mac, nd_mac, 1);
	post_tx(hdr, f, 60, 1);
	nd_kick(&d, VTNET_TXQ);
	n = nd_host_recv(&d, got, sizeof(got), 5000);
	CHECK_EQ(n, VTNET_HDR_LEN + 60);
	CHECK_EQ(got[10], 0);
	CHECK(memcmp(got + VTNET_HDR_LEN, f, 60) == 0);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 1));
	CHECK_EQ(tq_get_used(&d.q[VTNET_TXQ], &id, &len), 1);
	CHECK_EQ(id, 0);
	CHECK_EQ(len, 0);

	/* A full-size frame over 5 descriptors, headers split too. */
	nd_frame(f, 1514, bcast, nd_mac, 2);
	post_tx(hdr, f, 1514, 5);
	nd_kick(&d, VTNET_TXQ);
	n = nd_host_recv(&d, got, sizeof(got), 5000);
	CHECK_EQ(n, VTNET_HDR_LEN + 1514);
	CHECK(n > 0 && memcmp(got + VTNET_HDR_LEN, f, 1514) == 0);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 2));
	CHECK_EQ(nd_stats(&d).tx_frames, 2);
	CHECK_EQ(nd_stats(&d).tx_bytes, 60 + 1514);
	/* Completions interrupt the driver (MSI-X through the PCI core). */
	CHECK(vm_fake_msi_count(nd_ctx.vm) >= 1);
out:
	nd_destroy(&d);
}

TEST(tx_offload_headers)
{
	uint8_t hdr[VTNET_HDR_LEN], f[9000], got[10000];
	ssize_t n;

	if (!setup(true, "", F_BASE | F_OFFL))
		goto out;
	/* TSO4 with a partial checksum: passed to the tap unchanged. */
	hdr_none(hdr);
	hdr[0] = VTNET_HDR_F_NEEDS_CSUM;
	hdr[1] = VTNET_GSO_TCPV4;
	hdr[2] = 54;			/* hdr_len */
	hdr[4] = 0xA8; hdr[5] = 0x05;	/* gso_size 1448 */
	hdr[6] = 34;			/* csum_start */
	hdr[8] = 16;			/* csum_offset */
	nd_frame(f, 9000, other_mac, nd_mac, 3);
	post_tx(hdr, f, 9000, 3);
	nd_kick(&d, VTNET_TXQ);
	n = nd_host_recv(&d, got, sizeof(got), 5000);
	CHECK_EQ(n, VTNET_HDR_LEN + 9000);
	CHECK(n > 0 && memcmp(got, hdr, VTNET_HDR_LEN) == 0);
	CHECK(n > 0 && memcmp(got + VTNET_HDR_LEN, f, 9000) == 0);

	/* UFO was not negotiated: dropped and counted, buffer returned. */
	hdr[1] = VTNET_GSO_UDP;
	post_tx(hdr, f, 9000, 1);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 2));
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 100), -1);
	CHECK_EQ(nd_stats(&d).tx_bad, 1);

	/* Checksum offset outside the frame. */
	hdr[1] = VTNET_GSO_NONE;
	hdr[6] = 0xFF; hdr[7] = 0xFF;
	post_tx(hdr, f, 100, 1);
	/* DATA_VALID is not for the driver to set. */
	hdr_none(hdr);
	hdr[0] = VTNET_HDR_F_DATA_VALID;
	post_tx(hdr, f, 100, 1);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 4));
	CHECK_EQ(nd_stats(&d).tx_bad, 3);
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 100), -1);
out:
	nd_destroy(&d);
}

TEST(tx_offloads_not_negotiated)
{
	uint8_t hdr[VTNET_HDR_LEN], f[9000], got[100];

	if (!setup(true, "", F_BASE))
		goto out;
	hdr_none(hdr);
	hdr[0] = VTNET_HDR_F_NEEDS_CSUM;
	hdr[6] = 34;
	hdr[8] = 16;
	nd_frame(f, 100, other_mac, nd_mac, 4);
	post_tx(hdr, f, 100, 1);		/* CSUM not negotiated */
	hdr_none(hdr);
	hdr[1] = VTNET_GSO_TCPV4;
	hdr[4] = 1;
	post_tx(hdr, f, 9000, 1);		/* TSO4 not negotiated */
	hdr_none(hdr);
	post_tx(hdr, f, 1500 + 18 + 1, 1);	/* over MTU + MAC/VLAN */
	post_tx(hdr, f, 13, 1);			/* runt */
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 4));
	CHECK_EQ(nd_stats(&d).tx_bad, 4);
	CHECK_EQ(nd_stats(&d).tx_frames, 0);
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 100), -1);
	CHECK(!(nd_status(&d) & VIRTIO_S_NEEDS_RESET));
	/* The device goes on: a good frame after them. */
	post_tx(hdr, f, 1518, 1);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 5));
	CHECK_EQ(nd_stats(&d).tx_frames, 1);
out:
	nd_destroy(&d);
}

TEST(tx_spoofed_source_mac)
{
	uint8_t hdr[VTNET_HDR_LEN], f[100], got[200];

	if (!setup(true, "", F_BASE))
		goto out;
	hdr_none(hdr);
	nd_frame(f, 100, bcast, other_mac, 5);
	post_tx(hdr, f, 100, 2);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 1));
	CHECK_EQ(nd_stats(&d).tx_spoofed, 1);
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 100), -1);
	/* Its own MAC still goes out. */
	nd_frame(f, 100, bcast, nd_mac, 6);
	post_tx(hdr, f, 100, 1);
	nd_kick(&d, VTNET_TXQ);
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 5000),
	    VTNET_HDR_LEN + 100);
out:
	nd_destroy(&d);
}

TEST(tx_spoofing_allowed)
{
	uint8_t hdr[VTNET_HDR_LEN], f[100], got[200];

	if (!setup(true, ",allow_mac_spoofing", F_BASE))
		goto out;
	hdr_none(hdr);
	nd_frame(f, 100, bcast, other_mac, 7);
	post_tx(hdr, f, 100, 1);
	nd_kick(&d, VTNET_TXQ);
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 5000),
	    VTNET_HDR_LEN + 100);
	CHECK_EQ(nd_stats(&d).tx_spoofed, 0);
out:
	nd_destroy(&d);
}

TEST(tx_backpressure)
{
	uint8_t hdr[VTNET_HDR_LEN], f[1600], got[2000];
	int sndbuf = 4096, nsent = 60, posted = 0, nrecv = 0;

	if (!setup(true, "", F_BASE))
		goto out;
	/* A small socket buffer: the device sees EAGAIN and must wait. */
	setsockopt(d.devfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	hdr_none(hdr);
	while (nrecv < nsent) {
		ssize_t n;

		/* Keep the ring full; a descriptor is reused once used. */
		while (posted < nsent &&
		    posted - tq_used_idx(&d.q[VTNET_TXQ]) < ND_QSIZE) {
			nd_frame(f, 1500, other_mac, nd_mac, (uint8_t)posted);
			post_tx(hdr, f, 1500, 1);
			posted++;
		}
		nd_kick(&d, VTNET_TXQ);
		if (nrecv == 0)
			usleep(50000);	/* let the device fill the socket */
		n = nd_host_recv(&d, got, sizeof(got), 5000);
		if (n != VTNET_HDR_LEN + 1500)
			break;
		/* In order, none lost. */
		CHECK_EQ(got[VTNET_HDR_LEN + 20], (uint8_t)(20 * 7 + nrecv));
		nrecv++;
	}
	CHECK_EQ(nrecv, nsent);
	CHECK(nd_wait_used(&d, VTNET_TXQ, (uint16_t)nsent));
	CHECK_EQ(nd_stats(&d).tx_frames, (uint64_t)nsent);
	CHECK_EQ(nd_stats(&d).tx_errors, 0);
out:
	nd_destroy(&d);
}

TEST(tx_hostile_chains)
{
	struct tq *q;
	uint8_t f[100];

	/* A device-writable buffer in a transmit chain. */
	if (!setup(true, "", F_BASE))
		goto out;
	q = &d.q[VTNET_TXQ];
	nd_frame(nd_g(txbuf(0), 112) + VTNET_HDR_LEN, 100, bcast, nd_mac, 1);
	memset(nd_g(txbuf(0), 12), 0, 12);
	tq_desc(q, 0, txbuf(0), 12, VRING_DESC_F_NEXT, 1);
	tq_desc(q, 1, txbuf(0) + 12, 100, VRING_DESC_F_WRITE, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_needs_reset(&d));
	nd_destroy(&d);

	/* Shorter than the header. */
	if (!setup(true, "", F_BASE))
		goto out;
	q = &d.q[VTNET_TXQ];
	tq_desc(q, 0, txbuf(0), 8, 0, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_needs_reset(&d));
	nd_destroy(&d);

	/* A zero-length descriptor (the walker's rule). */
	if (!setup(true, "", F_BASE))
		goto out;
	q = &d.q[VTNET_TXQ];
	tq_desc(q, 0, txbuf(0), 12, VRING_DESC_F_NEXT, 1);
	tq_desc(q, 1, txbuf(0) + 12, 0, 0, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_needs_reset(&d));
	nd_destroy(&d);

	/* A buffer outside guest RAM. */
	if (!setup(true, "", F_BASE))
		goto out;
	q = &d.q[VTNET_TXQ];
	tq_desc(q, 0, ND_MEMSIZE - 8, 112, 0, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_needs_reset(&d));
	/* Nothing reached the tap, and the device is still there. */
	CHECK_EQ(nd_host_recv(&d, f, sizeof(f), 100), -1);
	CHECK_EQ(nd_stats(&d).tx_frames, 0);
out:
	nd_destroy(&d);
}

/* --- receive -------------------------------------------------------------------- */

TEST(rx_single)
{
	uint8_t hdr[VTNET_HDR_LEN], f[1514], *b;
	uint32_t id, len;
	unsigned msis;

	if (!setup(true, "", F_BASE))
		goto out;
	post_rx(2048);
	post_rx(2048);
	nd_kick(&d, VTNET_RXQ);
	msis = vm_fake_msi_count(nd_ctx.vm);
	hdr_none(hdr);
	hdr[10] = 0x55;		/* the device writes num_buffers itself */
	nd_frame(f, 100, nd_mac, other_mac, 9);
	host_send(hdr, f, 100);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
	CHECK_EQ(tq_get_used(&d.q[VTNET_RXQ], &id, &len), 1);
	CHECK_EQ(id, 0);
	CHECK_EQ(len, VTNET_HDR_LEN + 100);
	b = nd_g(rxbuf(0), 2048);
	CHECK_EQ(b[0], 0);
	CHECK_EQ(b[10], 1);
	CHECK_EQ(b[11], 0);
	CHECK(memcmp(b + VTNET_HDR_LEN, f, 100) == 0);
	CHECK_EQ(b[VTNET_HDR_LEN + 100], 0xEE);	/* nothing beyond */
	CHECK(vm_fake_msi_count(nd_ctx.vm) > msis);
	CHECK_EQ(nd_stats(&d).rx_frames, 1);
	CHECK_EQ(nd_stats(&d).rx_bytes, 100);
	/* A second frame: the second buffer. */
	host_send(hdr, f, 60);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 2));
	CHECK_EQ(tq_get_used(&d.q[VTNET_RXQ], &id, &len), 1);
	CHECK_EQ(id, 1);
	CHECK_EQ(len, VTNET_HDR_LEN + 60);
out:
	nd_destroy(&d);
}

TEST(rx_split_descriptors)
{
	uint8_t hdr[VTNET_HDR_LEN], f[1514], got[1600];
	struct tq *q;
	uint32_t id, len;

	if (!setup(true, "", F_BASE))
		goto out;
	q = &d.q[VTNET_RXQ];
	/* Header split over two buffers (5 + 7 bytes), data in three. */
	tq_desc(q, 0, rxbuf(0), 5, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	tq_desc(q, 1, rxbuf(1), 7, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	tq_desc(q, 2, rxbuf(2), 500, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	tq_desc(q, 3, rxbuf(3), 500, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
	tq_desc(q, 4, rxbuf(4), 600, VRING_DESC_F_WRITE, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_RXQ);
	hdr_none(hdr);
	nd_frame(f, 1514, nd_mac, other_mac, 10);
	host_send(hdr, f, 1514);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
	CHECK_EQ(tq_get_used(q, &id, &len), 1);
	CHECK_EQ(len, VTNET_HDR_LEN + 1514);
	memcpy(got, nd_g(rxbuf(0), 5), 5);
	memcpy(got + 5, nd_g(rxbuf(1), 7), 7);
	memcpy(got + 12, nd_g(rxbuf(2), 500), 500);
	memcpy(got + 512, nd_g(rxbuf(3), 500), 500);
	memcpy(got + 1012, nd_g(rxbuf(4), 514), 514);
	CHECK_EQ(got[10], 1);
	CHECK(memcmp(got + VTNET_HDR_LEN, f, 1514) == 0);
out:
	nd_destroy(&d);
}

TEST(rx_merged_buffers)
{
	uint8_t hdr[VTNET_HDR_LEN], f[9000], got[9100];
	struct tq *q;
	uint32_t id[8], len[8];
	size_t off = 0;

	if (!setup(true, "", F_BASE | VTNET_F_MRG_RXBUF | F_OFFL))
		goto out;
	q = &d.q[VTNET_RXQ];
	for (int i = 0; i < 8; i++)
		post_rx(2048);
	nd_kick(&d, VTNET_RXQ);
	/* A GSO frame for the guest: 9000 bytes in 5 buffers. */
	hdr_none(hdr);
	hdr[0] = VTNET_HDR_F_NEEDS_CSUM;
	hdr[1] = VTNET_GSO_TCPV4;
	hdr[4] = 0xA8; hdr[5] = 0x05;
	nd_frame(f, 9000, nd_mac, other_mac, 11);
	host_send(hdr, f, 9000);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 5));
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(tq_get_used(q, &id[i], &len[i]), 1);
		CHECK_EQ(id[i], i);
		memcpy(got + off, nd_g(rxbuf((int)id[i]), len[i]), len[i]);
		off += len[i];
	}
	CHECK_EQ(off, VTNET_HDR_LEN + 9000);
	CHECK_EQ(got[0], VTNET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(got[1], VTNET_GSO_TCPV4);
	CHECK_EQ(got[10], 5);		/* num_buffers */
	CHECK(memcmp(got + VTNET_HDR_LEN, f, 9000) == 0);
	/* The next frame starts in the sixth buffer. */
	hdr_none(hdr);
	host_send(hdr, f, 100);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 6));
	CHECK_EQ(tq_get_used(q, &id[0], &len[0]), 1);
	CHECK_EQ(id[0], 5);
	CHECK_EQ(nd_g(rxbuf(5), 12)[10], 1);
out:
	nd_destroy(&d);
}

TEST(rx_merged_not_enough_buffers)
{
	uint8_t hdr[VTNET_HDR_LEN], f[9000];
	uint32_t id, len;

	if (!setup(true, "", F_BASE | VTNET_F_MRG_RXBUF))
		goto out;
	post_rx(1024);
	post_rx(1024);
	nd_kick(&d, VTNET_RXQ);
	hdr_none(hdr);
	nd_frame(f, 3000, nd_mac, other_mac, 12);
	host_send(hdr, f, 3000);		/* needs 3 buffers: dropped */
	CHECK(ND_WAIT_STAT(&d, rx_nobuf, 1));
	CHECK_EQ(tq_used_idx(&d.q[VTNET_RXQ]), 0);
	/* The buffers were given back: a small frame uses the first. */
	host_send(hdr, f, 200);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
	CHECK_EQ(tq_get_used(&d.q[VTNET_RXQ], &id, &len), 1);
	CHECK_EQ(id, 0);
	CHECK_EQ(len, VTNET_HDR_LEN + 200);
out:
	nd_destroy(&d);
}

TEST(rx_buffer_too_small_without_mrg)
{
	uint8_t hdr[VTNET_HDR_LEN], f[1514];
	uint32_t id, len;

	if (!setup(true, "", F_BASE))
		goto out;
	post_rx(512);
	nd_kick(&d, VTNET_RXQ);
	hdr_none(hdr);
	nd_frame(f, 1514, nd_mac, other_mac, 13);
	host_send(hdr, f, 1514);
	CHECK(ND_WAIT_STAT(&d, rx_nobuf, 1));
	host_send(hdr, f, 400);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
	CHECK_EQ(tq_get_used(&d.q[VTNET_RXQ], &id, &len), 1);
	CHECK_EQ(len, VTNET_HDR_LEN + 400);
out:
	nd_destroy(&d);
}

TEST(rx_waits_for_buffers)
{
	uint8_t hdr[VTNET_HDR_LEN], f[200], peek[300];

	if (!setup(true, "", F_BASE))
		goto out;
	hdr_none(hdr);
	nd_frame(f, 200, nd_mac, other_mac, 14);
	host_send(hdr, f, 200);
	usleep(100000);
	/* No buffers: the frame waits in the backend, nothing is lost. */
	CHECK_EQ(recv(d.devfd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT),
	    VTNET_HDR_LEN + 200);
	CHECK_EQ(nd_stats(&d).rx_nobuf, 0);
	post_rx(2048);
	nd_kick(&d, VTNET_RXQ);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
	CHECK(memcmp(nd_g(rxbuf(0), 212) + VTNET_HDR_LEN, f, 200) == 0);
out:
	nd_destroy(&d);
}

TEST(rx_header_fixed_for_the_guest)
{
	uint8_t hdr[VTNET_HDR_LEN], f[200];

	/* No GUEST_CSUM: DATA_VALID is cleared, NEEDS_CSUM drops. */
	if (!setup(true, "", F_BASE))
		goto out;
	post_rx(2048);
	post_rx(2048);
	nd_kick(&d, VTNET_RXQ);
	hdr_none(hdr);
	nd_frame(f, 200, nd_mac, other_mac, 15);
	hdr[0] = VTNET_HDR_F_NEEDS_CSUM;
	host_send(hdr, f, 200);
	CHECK(ND_WAIT_STAT(&d, rx_errors, 1));
	hdr[0] = VTNET_HDR_F_DATA_VALID;
	host_send(hdr, f, 200);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
	CHECK_EQ(nd_g(rxbuf(0), 1)[0], 0);
	/* A GSO frame the guest did not ask for is dropped. */
	hdr[0] = 0;
	hdr[1] = VTNET_GSO_TCPV6;
	host_send(hdr, f, 200);
	CHECK(ND_WAIT_STAT(&d, rx_errors, 2));
	CHECK_EQ(tq_used_idx(&d.q[VTNET_RXQ]), 1);
out:
	nd_destroy(&d);
}

TEST(rx_hostile_chains)
{
	struct tq *q;

	/* A device-readable buffer in a receive chain. */
	if (!setup(true, "", F_BASE))
		goto out;
	q = &d.q[VTNET_RXQ];
	tq_desc(q, 0, rxbuf(0), 100, VRING_DESC_F_NEXT, 1);
	tq_desc(q, 1, rxbuf(1), 2000, VRING_DESC_F_WRITE, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_RXQ);
	CHECK(nd_wait_needs_reset(&d));
	nd_destroy(&d);

	/* Shorter than the header. */
	if (!setup(true, "", F_BASE))
		goto out;
	q = &d.q[VTNET_RXQ];
	tq_desc(q, 0, rxbuf(0), 10, VRING_DESC_F_WRITE, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_RXQ);
	CHECK(nd_wait_needs_reset(&d));
	nd_destroy(&d);

	/* Merged: a later chain that is read-only breaks the queue. */
	if (!setup(true, "", F_BASE | VTNET_F_MRG_RXBUF))
		goto out;
	{
		uint8_t hdr[VTNET_HDR_LEN], f[3000];

		q = &d.q[VTNET_RXQ];
		tq_desc(q, 0, rxbuf(0), 1024, VRING_DESC_F_WRITE, 0);
		tq_desc(q, 1, rxbuf(1), 1024, 0, 0);
		tq_post(q, 0);
		tq_post(q, 1);
		nd_kick(&d, VTNET_RXQ);
		hdr_none(hdr);
		nd_frame(f, 3000, nd_mac, other_mac, 16);
		host_send(hdr, f, 3000);
		CHECK(nd_wait_needs_reset(&d));
		/* No used entry was published for the broken frame. */
		CHECK_EQ(tq_used_idx(q), 0);
		CHECK_EQ(nd_g(rxbuf(1), 1)[0], 0);	/* untouched */
	}
out:
	nd_destroy(&d);
}

/* --- bare frames (a tap without IFF_VNET_HDR) ------------------------------------- */

TEST(raw_backend)
{
	uint8_t hdr[VTNET_HDR_LEN], f[200], got[300];
	uint64_t off;
	ssize_t n;

	if (!setup(false, "", F_BASE))
		goto out;
	off = nd_offered(&d);
	CHECK(!(off & VTNET_F_CSUM));
	CHECK(!(off & VTNET_F_GUEST_TSO4));
	CHECK(off & VTNET_F_MRG_RXBUF);
	/* Transmit: the header is stripped. */
	hdr_none(hdr);
	nd_frame(f, 200, bcast, nd_mac, 17);
	post_tx(hdr, f, 200, 2);
	nd_kick(&d, VTNET_TXQ);
	n = nd_host_recv(&d, got, sizeof(got), 5000);
	CHECK_EQ(n, 200);
	CHECK(n > 0 && memcmp(got, f, 200) == 0);
	/* Receive: a zero header is made up. */
	post_rx(2048);
	nd_kick(&d, VTNET_RXQ);
	nd_frame(f, 150, nd_mac, other_mac, 18);
	CHECK_EQ(send(d.host, f, 150, 0), 150);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
	CHECK_EQ(nd_g(rxbuf(0), 1)[0], 0);
	CHECK_EQ(nd_g(rxbuf(0), 12)[10], 1);
	CHECK(memcmp(nd_g(rxbuf(0), 162) + VTNET_HDR_LEN, f, 150) == 0);
out:
	nd_destroy(&d);
}

/* --- the backend going away; reset --------------------------------------------------- */

TEST(backend_gone)
{
	uint8_t hdr[VTNET_HDR_LEN], f[200];
	struct vtnet_stats s;

	if (!setup(true, "", F_BASE))
		goto out;
	post_rx(2048);
	nd_kick(&d, VTNET_RXQ);
	CHECK_EQ(NR16(d.devcfg + 6), VTNET_S_LINK_UP);
	close(d.host);
	d.host = -1;
	/* The device sees the end, reports the link down, stops reading. */
	CHECK(ND_WAIT_STAT(&d, rx_errors, 1));
	usleep(50000);
	CHECK_EQ(NR16(d.devcfg + 6), 0);
	/* Retries back off: a few reads in 350 ms, not a spin. */
	usleep(350000);
	s = nd_stats(&d);
	CHECK(s.rx_errors <= 4);
	/* Transmit: dropped and counted, buffers come back. */
	hdr_none(hdr);
	nd_frame(f, 200, bcast, nd_mac, 19);
	post_tx(hdr, f, 200, 1);
	post_tx(hdr, f, 200, 1);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 2));
	CHECK_EQ(nd_stats(&d).tx_errors, 2);
	CHECK(!(nd_status(&d) & VIRTIO_S_NEEDS_RESET));
out:
	nd_destroy(&d);
}

TEST(reset_and_restart)
{
	uint8_t hdr[VTNET_HDR_LEN], f[200], got[300];

	if (!setup(true, "", F_BASE))
		goto out;
	hdr_none(hdr);
	nd_frame(f, 200, bcast, nd_mac, 20);
	post_tx(hdr, f, 200, 1);
	nd_kick(&d, VTNET_TXQ);
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 5000),
	    VTNET_HDR_LEN + 200);
	/* Reset; the driver starts again from scratch. */
	NW8(d.common + 0x14, 0);
	CHECK_EQ(nd_status(&d), 0);
	tx_head = rx_head = 0;
	CHECK(nd_start(&d, F_BASE) & VIRTIO_S_DRIVER_OK);
	post_tx(hdr, f, 200, 1);
	nd_kick(&d, VTNET_TXQ);
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 5000),
	    VTNET_HDR_LEN + 200);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 1));
	post_rx(2048);
	nd_kick(&d, VTNET_RXQ);
	host_send(hdr, f, 100);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
out:
	nd_destroy(&d);
}

int
main(void)
{
	RUN(tx_single_and_segmented);
	RUN(tx_offload_headers);
	RUN(tx_offloads_not_negotiated);
	RUN(tx_spoofed_source_mac);
	RUN(tx_spoofing_allowed);
	RUN(tx_backpressure);
	RUN(tx_hostile_chains);
	RUN(rx_single);
	RUN(rx_split_descriptors);
	RUN(rx_merged_buffers);
	RUN(rx_merged_not_enough_buffers);
	RUN(rx_buffer_too_small_without_mrg);
	RUN(rx_waits_for_buffers);
	RUN(rx_header_fixed_for_the_guest);
	RUN(rx_hostile_chains);
	RUN(raw_backend);
	RUN(backend_gone);
	RUN(reset_and_restart);
	TEST_SUMMARY();
}
