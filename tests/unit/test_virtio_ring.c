/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the split-virtqueue code (devices/virtio/virtio_ring.c):
 * the chain walker against well-formed and hostile rings laid out in fake
 * guest memory, used-ring publishing and EVENT_IDX suppression.
 *
 * Threads: main thread only.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "virtio.h"
#include "virtio_testlib.h"
#include "vmm.h"

#define MEMSIZE		(16u << 20)
#define RING_GPA	0x100000ULL
#define BUF_GPA		0x200000ULL
#define QSIZE		8

static struct vm *vm;
static struct vqueue vq;
static struct tq q;
static int broken_calls;
static char broken_why[256];
static struct iovec iov[64];
static struct vq_chain ch;

static void
on_broken(struct vqueue *v, const char *why)
{
	(void)v;
	broken_calls++;
	snprintf(broken_why, sizeof(broken_why), "%s", why);
}

static void
setup_feat(uint64_t features)
{
	char err[256];

	vm = vm_create_fake("ring");
	if (vm_setup_memory(vm, MEMSIZE, MEMSIZE, err, sizeof(err)) != 0)
		printf("    vm_setup_memory: %s\n", err);
	tq_layout(&q, vm, QSIZE, RING_GPA);
	vq_init(&vq, vm, 0, QSIZE);
	vq.vq_on_broken = on_broken;
	vq.vq_desc_gpa = q.desc;
	vq.vq_avail_gpa = q.avail;
	vq.vq_used_gpa = q.used;
	if (vq_map(&vq, features, err, sizeof(err)) != 0)
		printf("    vq_map: %s\n", err);
	broken_calls = 0;
	broken_why[0] = '\0';
}

static void
setup(void)
{
	setup_feat(VIRTIO_F_INDIRECT_DESC);
}

static void
teardown(void)
{
	vm_destroy(vm);
	vm = NULL;
}

/* A hostile ring: getchain says broken, once; the queue stays broken. */
static void
expect_broken(const char *what)
{
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), -1);
	CHECK_EQ(broken_calls, 1);
	CHECK(vq.vq_broken);
	if (strstr(broken_why, what) == NULL) {
		printf("    reason \"%s\" lacks \"%s\"\n", broken_why, what);
		CHECK(0);
	}
	/* Defined state afterwards: nothing more is taken, no new report. */
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 0);
	CHECK_EQ(broken_calls, 1);
	CHECK(!vq_has_avail(&vq));
}

TEST(simple_chain)
{
	setup();
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 0);	/* nothing yet */
	tq_desc(&q, 3, BUF_GPA, 16, VRING_DESC_F_NEXT, 5);
	tq_desc(&q, 5, BUF_GPA + 0x1000, 4096, VRING_DESC_F_NEXT |
	    VRING_DESC_F_WRITE, 1);
	tq_desc(&q, 1, BUF_GPA + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	tq_post(&q, 3);
	CHECK(vq_has_avail(&vq));
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	CHECK_EQ(ch.head, 3);
	CHECK_EQ(ch.niov, 3);
	CHECK_EQ(ch.nread, 1);
	CHECK_EQ(ch.rlen, 16);
	CHECK_EQ(ch.wlen, 4097);
	CHECK(iov[0].iov_base == vm_map_gpa(vm, BUF_GPA, 16));
	CHECK(iov[1].iov_base == vm_map_gpa(vm, BUF_GPA + 0x1000, 1));
	CHECK_EQ(iov[1].iov_len, 4096);
	CHECK(iov[2].iov_base == vm_map_gpa(vm, BUF_GPA + 0x3000, 1));
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 0);
	CHECK_EQ(broken_calls, 0);

	/* Give it back: the guest sees {3, 100}. */
	{
		uint32_t id = 0, len = 0;

		vq_relchain(&vq, 3, 100);
		CHECK_EQ(tq_get_used(&q, &id, &len), 1);
		CHECK_EQ(id, 3);
		CHECK_EQ(len, 100);
		CHECK_EQ(tq_get_used(&q, &id, &len), 0);
	}
	/* retchain puts the chain back. */
	tq_post(&q, 3);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	vq_retchain(&vq);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	CHECK_EQ(ch.head, 3);
	teardown();
}

TEST(wraparound)
{
	setup();
	/* Indices are free-running 16-bit counters: start near the wrap. */
	vq.vq_last_avail = 65534;
	vq.vq_used_idx = 65534;
	tq_set_avail_idx(&q, 65534);
	q.used_seen = 65534;
	for (int i = 0; i < 5; i++) {
		uint32_t id = 0, len = 0;

		tq_desc(&q, (uint16_t)i, BUF_GPA, 512, VRING_DESC_F_WRITE, 0);
		tq_post(&q, (uint16_t)i);
		CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
		CHECK_EQ(ch.head, i);
		vq_relchain(&vq, ch.head, 512);
		CHECK_EQ(tq_get_used(&q, &id, &len), 1);
		CHECK_EQ(id, (uint32_t)i);
	}
	CHECK_EQ(broken_calls, 0);
	teardown();
}

TEST(indirect)
{
	uint64_t tab = BUF_GPA + 0x10000;

	setup();
	tq_desc_at(vm, tab, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 2);
	tq_desc_at(vm, tab, 2, BUF_GPA + 0x100, 512, VRING_DESC_F_NEXT |
	    VRING_DESC_F_WRITE, 1);
	tq_desc_at(vm, tab, 1, BUF_GPA + 0x400, 1, VRING_DESC_F_WRITE, 0);
	/* A direct buffer first, then the table (allowed by the spec). */
	tq_desc(&q, 0, BUF_GPA + 0x800, 8, VRING_DESC_F_NEXT, 4);
	tq_desc(&q, 4, tab, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	CHECK_EQ(ch.niov, 4);
	CHECK_EQ(ch.nread, 2);
	CHECK_EQ(ch.rlen, 24);
	CHECK_EQ(ch.wlen, 513);
	CHECK(iov[1].iov_base == vm_map_gpa(vm, BUF_GPA, 1));
	CHECK(iov[3].iov_base == vm_map_gpa(vm, BUF_GPA + 0x400, 1));
	CHECK_EQ(broken_calls, 0);
	teardown();
}

TEST(indirect_hostile)
{
	uint64_t tab = BUF_GPA + 0x10000, tab2 = BUF_GPA + 0x20000;

	/* Not negotiated. */
	setup_feat(0);
	tq_desc_at(vm, tab, 0, BUF_GPA, 16, 0, 0);
	tq_desc(&q, 0, tab, 16, VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	expect_broken("not negotiated");
	teardown();

	/* Indirect inside indirect. */
	setup();
	tq_desc_at(vm, tab2, 0, BUF_GPA, 16, 0, 0);
	tq_desc_at(vm, tab, 0, tab2, 16, VRING_DESC_F_INDIRECT, 0);
	tq_desc(&q, 0, tab, 16, VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	expect_broken("inside an indirect");
	teardown();

	/* INDIRECT together with NEXT. */
	setup();
	tq_desc_at(vm, tab, 0, BUF_GPA, 16, 0, 0);
	tq_desc(&q, 0, tab, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	tq_post(&q, 0);
	expect_broken("with NEXT");
	teardown();

	/* Table length not a multiple of 16; zero; larger than the queue. */
	setup();
	tq_desc(&q, 0, tab, 24, VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	expect_broken("indirect table");
	teardown();
	setup();
	tq_desc(&q, 0, tab, 0, VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	expect_broken("indirect table");
	teardown();
	setup();
	tq_desc(&q, 0, tab, 16 * (QSIZE + 1), VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	expect_broken("indirect table");
	teardown();

	/* Table outside RAM. */
	setup();
	tq_desc(&q, 0, MEMSIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	expect_broken("not in guest RAM");
	teardown();

	/* A loop inside the table. */
	setup();
	tq_desc_at(vm, tab, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 1);
	tq_desc_at(vm, tab, 1, BUF_GPA, 16, VRING_DESC_F_NEXT, 0);
	tq_desc(&q, 0, tab, 32, VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	expect_broken("loops");
	teardown();

	/* next beyond the table's end. */
	setup();
	tq_desc_at(vm, tab, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 2);
	tq_desc(&q, 0, tab, 32, VRING_DESC_F_INDIRECT, 0);
	tq_post(&q, 0);
	expect_broken("out of range");
	teardown();
}

TEST(buffers_outside_ram)
{
	/* Entirely outside RAM. */
	setup();
	tq_desc(&q, 0, 0x80000000ULL, 16, 0, 0);
	tq_post(&q, 0);
	expect_broken("not in guest RAM");
	teardown();

	/* Straddling the end of RAM by one byte. */
	setup();
	tq_desc(&q, 0, MEMSIZE - 15, 16, VRING_DESC_F_WRITE, 0);
	tq_post(&q, 0);
	expect_broken("not in guest RAM");
	teardown();

	/* addr + len wraps around 2^64. */
	setup();
	tq_desc(&q, 0, 0xFFFFFFFFFFFFFF00ULL, 0x200, 0, 0);
	tq_post(&q, 0);
	expect_broken("not in guest RAM");
	teardown();

	/* Length larger than RAM. */
	setup();
	tq_desc(&q, 0, BUF_GPA, 0xFFFFFFFFu, VRING_DESC_F_WRITE, 0);
	tq_post(&q, 0);
	expect_broken("not in guest RAM");
	teardown();

	/* Zero-length buffers are refused. */
	setup();
	tq_desc(&q, 0, BUF_GPA, 0, 0, 0);
	tq_post(&q, 0);
	expect_broken("zero-length");
	teardown();

	/* The last byte of RAM is fine. */
	setup();
	tq_desc(&q, 0, MEMSIZE - 1, 1, VRING_DESC_F_WRITE, 0);
	tq_post(&q, 0);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	CHECK_EQ(broken_calls, 0);
	teardown();
}

TEST(loops_and_indices)
{
	/* Self loop. */
	setup();
	tq_desc(&q, 2, BUF_GPA, 16, VRING_DESC_F_NEXT, 2);
	tq_post(&q, 2);
	expect_broken("loops");
	teardown();

	/* Longer loop through every descriptor. */
	setup();
	for (uint16_t i = 0; i < QSIZE; i++)
		tq_desc(&q, i, BUF_GPA, 16, VRING_DESC_F_NEXT,
		    (uint16_t)((i + 1) % QSIZE));
	tq_post(&q, 0);
	expect_broken("loops");
	teardown();

	/* A chain using every descriptor exactly once is fine. */
	setup();
	for (uint16_t i = 0; i < QSIZE; i++)
		tq_desc(&q, i, BUF_GPA, 16, i + 1 < QSIZE ?
		    VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	tq_post(&q, 0);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	CHECK_EQ(ch.niov, QSIZE);
	teardown();

	/* ... but not if the caller's iovec array is shorter. */
	setup();
	for (uint16_t i = 0; i < QSIZE; i++)
		tq_desc(&q, i, BUF_GPA, 16, i + 1 < QSIZE ?
		    VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	tq_post(&q, 0);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 4), -1);
	CHECK(strstr(broken_why, "more than 4") != NULL);
	teardown();

	/* next index beyond the queue. */
	setup();
	tq_desc(&q, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, QSIZE);
	tq_post(&q, 0);
	expect_broken("out of range");
	teardown();

	/* Head index beyond the queue. */
	setup();
	tq_post(&q, 0xFFFF);
	expect_broken("head");
	teardown();

	/* Readable after writable. */
	setup();
	tq_desc(&q, 0, BUF_GPA, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	tq_desc(&q, 1, BUF_GPA, 16, 0, 0);
	tq_post(&q, 0);
	expect_broken("readable buffer after");
	teardown();
}

TEST(avail_index_jump)
{
	setup();
	tq_desc(&q, 0, BUF_GPA, 16, 0, 0);
	tq_set_avail_idx(&q, QSIZE + 1);
	expect_broken("jumped");
	teardown();

	/* Exactly a full ring is fine. */
	setup();
	for (uint16_t i = 0; i < QSIZE; i++) {
		tq_desc(&q, i, BUF_GPA, 16, 0, 0);
		tq_post(&q, i);
	}
	for (int i = 0; i < QSIZE; i++)
		CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 0);
	CHECK_EQ(broken_calls, 0);
	teardown();

	/* Going backwards is a jump of ~65535. */
	setup();
	tq_set_avail_idx(&q, 0xFFFF);
	expect_broken("jumped");
	teardown();
}

TEST(map_checks)
{
	char why[256];

	setup();
	vq_reset(&vq);
	CHECK(!vq_ready(&vq));
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 0);	/* unmapped: nothing */
	vq.vq_desc_gpa = q.desc;
	vq.vq_avail_gpa = q.avail;
	vq.vq_used_gpa = q.used;
	vq.vq_size = 6;					/* not a power of two */
	CHECK_EQ(vq_map(&vq, 0, why, sizeof(why)), -1);
	CHECK(strstr(why, "power of two") != NULL);
	vq.vq_size = 16;				/* above the maximum */
	CHECK_EQ(vq_map(&vq, 0, why, sizeof(why)), -1);
	vq.vq_size = 0;
	CHECK_EQ(vq_map(&vq, 0, why, sizeof(why)), -1);
	vq.vq_size = 4;
	vq.vq_desc_gpa = q.desc + 8;			/* misaligned */
	CHECK_EQ(vq_map(&vq, 0, why, sizeof(why)), -1);
	CHECK(strstr(why, "misaligned") != NULL);
	vq.vq_desc_gpa = q.desc;
	vq.vq_used_gpa = MEMSIZE - 8;			/* runs off RAM */
	CHECK_EQ(vq_map(&vq, 0, why, sizeof(why)), -1);
	CHECK(strstr(why, "device area") != NULL);
	vq.vq_used_gpa = 0xFFFFFFFFFFFFFFF0ULL;
	CHECK_EQ(vq_map(&vq, 0, why, sizeof(why)), -1);
	vq.vq_used_gpa = q.used;
	CHECK_EQ(vq_map(&vq, 0, why, sizeof(why)), 0);
	CHECK(vq_ready(&vq));
	teardown();
}

TEST(interrupt_suppression)
{
	uint32_t id, len;

	/* Without EVENT_IDX: the NO_INTERRUPT flag. */
	setup_feat(0);
	CHECK(!vq_need_interrupt(&vq));		/* nothing used yet */
	vq_relchain(&vq, 0, 1);
	CHECK(vq_need_interrupt(&vq));
	CHECK(!vq_need_interrupt(&vq));		/* nothing new */
	tq_put16(tq_g(vm, q.avail), VRING_AVAIL_F_NO_INTERRUPT);
	vq_relchain(&vq, 0, 1);
	CHECK(!vq_need_interrupt(&vq));
	tq_put16(tq_g(vm, q.avail), 0);
	vq_relchain(&vq, 0, 1);
	CHECK(vq_need_interrupt(&vq));
	CHECK(!vq_kicks_on(&vq));
	teardown();

	/* With EVENT_IDX: used_event says when. */
	setup_feat(VIRTIO_F_EVENT_IDX);
	tq_set_used_event(&q, 2);
	vq_relchain(&vq, 0, 1);			/* used idx 1 */
	CHECK(vq_need_interrupt(&vq));		/* first one always */
	vq_relchain(&vq, 0, 1);			/* 2: not past event 2 */
	CHECK(!vq_need_interrupt(&vq));
	vq_relchain(&vq, 0, 1);			/* 3: crossed 2 */
	CHECK(vq_need_interrupt(&vq));
	vq_relchain(&vq, 0, 1);			/* 4: event still 2 */
	CHECK(!vq_need_interrupt(&vq));
	tq_set_used_event(&q, 4);
	vq_relchain(&vq, 0, 1);
	vq_relchain(&vq, 0, 1);			/* 6: crossed 4 in the batch */
	CHECK(vq_need_interrupt(&vq));
	while (tq_get_used(&q, &id, &len))
		;
	/* avail_event follows what we took. */
	tq_desc(&q, 0, BUF_GPA, 16, 0, 0);
	tq_post(&q, 0);
	tq_post(&q, 0);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	CHECK(vq_kicks_on(&vq));		/* one more is waiting */
	CHECK_EQ(tq_avail_event(&q), 1);
	CHECK_EQ(vq_getchain(&vq, &ch, iov, 64), 1);
	CHECK(!vq_kicks_on(&vq));
	CHECK_EQ(tq_avail_event(&q), 2);
	teardown();
}

TEST(iov_copy)
{
	char a[4] = "abc", b[5] = "defg", out[16];
	struct iovec v[2] = { { a, 3 }, { b, 4 } };

	memset(out, 0, sizeof(out));
	CHECK_EQ(iov_to_buf(v, 2, 0, out, sizeof(out)), 7);
	CHECK_STR(out, "abcdefg");
	memset(out, 0, sizeof(out));
	CHECK_EQ(iov_to_buf(v, 2, 2, out, 3), 3);
	CHECK_STR(out, "cde");
	CHECK_EQ(iov_to_buf(v, 2, 9, out, 3), 0);
	CHECK_EQ(buf_to_iov("XYZ", 3, v, 2, 2), 3);
	CHECK_STR(a, "abX");
	CHECK_STR(b, "YZfg");
	CHECK_EQ(buf_to_iov("0123456789", 10, v, 2, 0), 7);
}

int
main(void)
{
	RUN(simple_chain);
	RUN(wraparound);
	RUN(indirect);
	RUN(indirect_hostile);
	RUN(buffers_outside_ram);
	RUN(loops_and_indices);
	RUN(avail_index_jump);
	RUN(map_checks);
	RUN(interrupt_suppression);
	RUN(iov_copy);
	TEST_SUMMARY();
}
