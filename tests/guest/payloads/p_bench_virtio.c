/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "bench_virtio" (bench/run.sh: virtio notify path and device
 * throughput): drives the first modern virtio-blk function (1AF4:1042) on
 * bus 0 with the driver core of vblk.h.  Queue 0 gets the largest size the
 * device offers up to 256; MSI-X stays off and the available ring asks for
 * no interrupts (NO_INTERRUPT): the used ring is polled.  Features: only
 * VERSION_1 and, if offered, INDIRECT_DESC.  What it does is read from a
 * parameter block in the ROM image, which bench/run.sh patches in copies
 * of this ROM (bench/probe patch ROM OUT KIND COUNT), as for bench_exit:
 *
 *   kind 0  kick: `count` times, one 4 KiB read (header, data, status
 *           descriptors), one write to the queue's notify register, poll
 *           until the used index moves on
 *   kind 1  batch: `count` times, a batch of 4 KiB reads (one per queue
 *           entry, each chain behind one indirect descriptor if the device
 *           offers INDIRECT_DESC, else as many 3-descriptor chains as
 *           fit), ONE notify, poll until all are used
 *
 * (default: kind 0, 1000).  Request i of a batch reads sector 8 * i of the
 * image.  Every request's status byte is checked (and, after the first
 * round, that data arrived), the device status at the end; any error
 * prints "FAIL bench_virtio: ..." and resets without the end marker, so
 * a broken run never yields a time.  The loop runs between "GO!" and
 * "RESET!" on COM1 (bench/run.sh times it between them); the line before
 * "GO!" names the queue size and the batch size, with the count printed
 * at a fixed width so that runs of any count make the same COM1 exits.  Then 0xCF9.
 * Boot CPU only.
 */
#include "plib.h"
#include "vblk.h"

#define KIND_KICK	0
#define KIND_BATCH	1

#define RING		0x100000u	/* desc, avail +0x1000, used +0x2000 */
#define IND		0x104000u	/* indirect tables, 48 bytes each */
#define HDRS		0x108000u	/* request headers, 16 bytes each */
#define STATS		0x109000u	/* status bytes, one each */
#define DATA		0x200000u	/* 4 KiB buffers, one each */
#define BLK		4096u
#define POLL_LIMIT	20000000u

/* The magic must occur once in the ROM: bench/probe looks for it. */
static volatile const struct {
	char magic[8];
	uint32_t kind;
	uint32_t count;
} params = { { 'Z', 'H', 'B', 'E', 'N', 'C', 'H', '1' }, KIND_KICK, 1000 };

static struct vblk vb;

static void __attribute__((noreturn)) die(const char *why)
{
	const char *h = vblk_health(&vb);

	printf("\nFAIL bench_virtio: %s (device: %s)\n", why, h ? h : "ok");
	reset_cf9();
}

/* Poison the first byte of each buffer; the image is zeros. */
static void poison(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		vb_wr8(DATA + i * BLK, 0xA5);
}

static void check_data(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (vb_rd8(DATA + i * BLK) != 0)
			die("a read returned no data");
}

static void kick_loop(uint32_t n)
{
	uint16_t idx = 0;

	vblk_hdr(HDRS, 0, 0);
	vblk_desc(vb.desc, 0, HDRS, 16, VBLK_F_NEXT, 1);
	vblk_desc(vb.desc, 1, DATA, BLK, VBLK_F_NEXT | VBLK_F_WRITE, 2);
	vblk_desc(vb.desc, 2, STATS, 1, VBLK_F_WRITE, 0);
	poison(1);
	printf("bench virtio kind 0 count %10u queue %u batch 1\nGO!", n,
	    vb.qsize);
	for (uint32_t i = 0; i < n; i++) {
		vb_wr8(STATS, 0xFF);
		vb_wr16(vb.avail + 4 + 2 * (idx % vb.qsize), 0);
		idx++;
		vblk_publish_kick(&vb, idx);
		if (vblk_wait_used(&vb, idx, POLL_LIMIT) != 0)
			die("request not used in time");
		if (vb_rd8(STATS) != 0)
			die("request status not OK");
		if (i == 0)
			check_data(1);
	}
}

static void batch_loop(uint32_t n)
{
	int ind = (vb.feat0 & VBLK_FEAT_INDIRECT) != 0;
	unsigned b = ind ? vb.qsize : vb.qsize / 3u, w;
	uint16_t idx = 0;

	if (b == 0)
		die("queue too small for one chain");
	for (unsigned i = 0; i < b; i++) {
		uint32_t t = ind ? IND + 48 * i : vb.desc;
		unsigned d = ind ? 0 : 3 * i;

		vblk_hdr(HDRS + 16 * i, 0, 8 * i);
		vblk_desc(t, d, HDRS + 16 * i, 16, VBLK_F_NEXT,
		    (uint16_t)(d + 1));
		vblk_desc(t, d + 1, DATA + i * BLK, BLK,
		    VBLK_F_NEXT | VBLK_F_WRITE, (uint16_t)(d + 2));
		vblk_desc(t, d + 2, STATS + i, 1, VBLK_F_WRITE, 0);
		if (ind)
			vblk_desc(vb.desc, i, t, 48, VBLK_F_INDIRECT, 0);
		vb_wr8(STATS + i, 0xFF);
	}
	poison(b);
	printf("bench virtio kind 1 count %10u queue %u batch %u indirect %d\nGO!",
	    n, vb.qsize, b, ind);
	for (uint32_t r = 0; r < n; r++) {
		/* A full queue puts head i in slot i every round. */
		if (r == 0 || b != vb.qsize)
			for (unsigned i = 0; i < b; i++)
				vb_wr16(vb.avail + 4 +
				    2 * ((uint16_t)(idx + i) % vb.qsize),
				    (uint16_t)(ind ? i : 3 * i));
		idx = (uint16_t)(idx + b);
		vblk_publish_kick(&vb, idx);
		if (vblk_wait_used(&vb, idx, POLL_LIMIT) != 0)
			die("batch not used in time");
		/* Check the status bytes four at a time, re-arm them. */
		for (w = 0; w + 4 <= b; w += 4) {
			if (vb_rd32(STATS + w) != 0)
				die("request status not OK");
			vb_wr32(STATS + w, 0xFFFFFFFFu);
		}
		for (; w < b; w++) {
			if (vb_rd8(STATS + w) != 0)
				die("request status not OK");
			vb_wr8(STATS + w, 0xFF);
		}
		if (r == 0)
			check_data(b);
	}
}

void pmain(void)
{
	uint32_t kind = params.kind, n = params.count;
	const char *why;

	console_init();
	if ((why = vblk_find(&vb)) != NULL ||
	    (why = vblk_setup(&vb, VBLK_FEAT_INDIRECT, 256, 4, RING)) != NULL) {
		printf("FAIL bench_virtio: %s\n", why);
		reset_cf9();
	}
	vb_wr16(vb.avail, 1);			/* NO_INTERRUPT: we poll */
	switch (kind) {
	case KIND_KICK:
		kick_loop(n);
		break;
	case KIND_BATCH:
		batch_loop(n);
		break;
	default:
		die("unknown kind");
	}
	if ((why = vblk_health(&vb)) != NULL)
		die(why);
	printf("\nRESET!");
	reset_cf9();
}
