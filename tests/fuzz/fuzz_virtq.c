/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the virtqueue chain walker (virtio_ring.c).
 *
 * The input becomes a guest's split ring: byte 0 picks the queue size,
 * byte 1 the features (INDIRECT_DESC, EVENT_IDX), bytes 2..3 the avail
 * index, and the rest fills guest memory from the descriptor table on,
 * so descriptors, ring entries and indirect tables are all fuzzed, while
 * the buffers they point to may be anywhere (mostly outside the small
 * RAM).  Every chain the walker accepts must lie inside guest RAM: each
 * buffer is checked against the RAM mapping and touched, so ASan reports
 * any stray pointer.  Used entries are published and the notification
 * logic runs too.
 *
 * Threads: single-threaded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio.h"
#include "vmm.h"

#define MEMSIZE		(16u << 20)
#define RING_GPA	0x1000
#define MAXQ		256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm *vm;
static uint8_t *ram;

static void
setup_once(void)
{
	char err[128];

	if (vm != NULL)
		return;
	vm = vm_create_fake("fuzz");
	if (vm == NULL || vm_setup_memory(vm, MEMSIZE, MEMSIZE, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: guest memory: %s\n", err);
		abort();
	}
	ram = vm_map_gpa(vm, 0, MEMSIZE);
}

static void
on_broken(struct vqueue *vq, const char *why)
{
	(void)vq;
	(void)why;
}

/*
 * With the input's "fold" flag, the ring's descriptors point into the
 * fuzzed window of guest memory (so headers, segments and indirect tables
 * come from the input too) with lengths below 8 KiB; the fuzzer then gets
 * past the address checks at once.  Without it they stay raw.
 */
static void
fold_descs(uint16_t qsize)
{
	for (unsigned i = 0; i < qsize; i++) {
		uint8_t *d = ram + RING_GPA + 16 * i;
		uint64_t a;
		uint32_t l;

		memcpy(&a, d, 8);
		memcpy(&l, d + 8, 4);
		a = RING_GPA + a % 0x1F000;
		l &= 0x1FFF;
		memcpy(d, &a, 8);
		memcpy(d + 8, &l, 4);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iovec iov[MAXQ];
	static const uint16_t sizes[] = { 1, 2, 4, 8, 16, 64, 128, 256 };
	struct vqueue vq;
	struct vq_chain ch;
	uint16_t qsize, aidx;
	uint8_t flags;
	uint64_t feat = 0;
	size_t n;
	char why[128];
	volatile uint8_t sink = 0;

	setup_once();
	if (size < 4)
		return 0;
	flags = data[1];
	qsize = sizes[data[0] & 7];
	if (data[1] & 1)
		feat |= VIRTIO_F_INDIRECT_DESC;
	if (data[1] & 2)
		feat |= VIRTIO_F_EVENT_IDX;
	aidx = (uint16_t)(data[2] | data[3] << 8);
	data += 4;
	size -= 4;
	/* Guest memory from the ring on: the fuzz bytes, then zeroes. */
	memset(ram, 0, 0x20000);
	n = size < 0x1F000 ? size : 0x1F000;
	memcpy(ram + RING_GPA, data, n);

	if (flags & 0x80)
		fold_descs(qsize);
	vq_init(&vq, vm, 0, MAXQ);
	vq.vq_on_broken = on_broken;
	vq.vq_size = qsize;
	vq.vq_desc_gpa = RING_GPA;
	vq.vq_avail_gpa = RING_GPA + 16ULL * qsize;
	vq.vq_used_gpa = (vq.vq_avail_gpa + 6 + 2ULL * qsize + 3) & ~3ULL;
	if (vq_map(&vq, feat, why, sizeof(why)) != 0)
		abort();		/* the layout above is always valid */
	/* The driver's avail index (the ring bytes stay fuzzed). */
	memcpy(ram + vq.vq_avail_gpa + 2, &aidx, 2);

	for (int k = 0; k < 2 * MAXQ; k++) {
		int r = vq_getchain(&vq, &ch, iov, MAXQ);

		if (r <= 0)
			break;
		if (ch.niov > qsize || ch.nread > ch.niov)
			abort();
		for (int i = 0; i < ch.niov; i++) {
			uint8_t *p = iov[i].iov_base;

			if (p < ram || iov[i].iov_len > MEMSIZE ||
			    p + iov[i].iov_len > ram + MEMSIZE)
				abort();
			sink ^= p[0];
			sink ^= p[iov[i].iov_len - 1];
		}
		vq_relchain(&vq, ch.head, (uint32_t)ch.wlen);
		(void)vq_need_interrupt(&vq);
	}
	(void)vq_kicks_on(&vq);
	(void)sink;
	return 0;
}
