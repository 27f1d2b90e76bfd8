/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the trap registry (vmm/iotrap.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "iotrap.h"
#include "test.h"

struct rec {
	int calls;
	bool write;
	uint64_t off;
	int size;
	uint64_t val;
};

static int
h_rec(void *arg, bool write, uint64_t off, int size, uint64_t *val)
{
	struct rec *r = arg;

	r->calls++;
	r->write = write;
	r->off = off;
	r->size = size;
	if (write)
		r->val = *val;
	else
		*val = 0xA5A5 + off;
	return 0;
}

TEST(register_and_dispatch)
{
	struct iotrap_table *t = iotrap_table_new();
	struct rec a = { 0 }, b = { 0 };
	uint64_t v = 0;

	CHECK_EQ(iotrap_register(t, IOTRAP_PIO, 0x3F8, 8, h_rec, &a, "com1"), 0);
	CHECK_EQ(iotrap_register(t, IOTRAP_PIO, 0x2F8, 8, h_rec, &b, "com2"), 0);
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_PIO, 0x3FD, 1, false, &v), 0);
	CHECK_EQ(a.calls, 1);
	CHECK_EQ(a.off, 5);
	CHECK_EQ(v, 0xA5A5 + 5);
	v = 0x41;
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_PIO, 0x2F8, 1, true, &v), 0);
	CHECK_EQ(b.calls, 1);
	CHECK(b.write);
	CHECK_EQ(b.val, 0x41);
	/* Same addresses in the other space are not claimed. */
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_MMIO, 0x3F8, 1, false, &v), -1);
	CHECK_STR(iotrap_lookup_name(t, IOTRAP_PIO, 0x3FF), "com1");
	CHECK(iotrap_lookup_name(t, IOTRAP_PIO, 0x400) == NULL);
	iotrap_table_free(t);
}

TEST(unclaimed_and_straddle)
{
	struct iotrap_table *t = iotrap_table_new();
	struct rec a = { 0 };
	uint64_t v;

	CHECK_EQ(iotrap_register(t, IOTRAP_PIO, 0x100, 4, h_rec, &a, "x"), 0);
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_PIO, 0xFF, 1, false, &v), -1);
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_PIO, 0x104, 1, false, &v), -1);
	/* An access running past the end of the range is unclaimed. */
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_PIO, 0x102, 4, false, &v), -1);
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_PIO, 0x100, 4, false, &v), 0);
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_PIO, 0x100, 0, false, &v), -1);
	CHECK_EQ(iotrap_dispatch(t, IOTRAP_PIO, 0x100, 9, false, &v), -1);
	CHECK_EQ(a.calls, 1);
	iotrap_table_free(t);
}

TEST(overlap_and_bad_ranges)
{
	struct iotrap_table *t = iotrap_table_new();
	struct rec a = { 0 };

	CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, 0x1000, 0x1000, h_rec, &a, "a"), 0);
	errno = 0;
	CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, 0x1FFF, 1, h_rec, &a, "b"), -1);
	CHECK_EQ(errno, EEXIST);
	CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, 0x800, 0x801, h_rec, &a, "c"), -1);
	CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, 0x800, 0x800, h_rec, &a, "d"), 0);
	CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, 0x2000, 0, h_rec, &a, "e"), -1);
	CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, UINT64_MAX, 2, h_rec, &a, "f"), -1);
	CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, UINT64_MAX, 1, h_rec, &a, "g"), 0);
	CHECK_EQ(iotrap_unregister(t, IOTRAP_MMIO, 0x1001), -1);
	CHECK_EQ(iotrap_unregister(t, IOTRAP_MMIO, 0x1000), 0);
	CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, 0x1800, 0x10, h_rec, &a, "h"), 0);
	iotrap_table_free(t);
}

/* Many ranges inserted out of order are all found (binary search). */
TEST(many_ranges)
{
	struct iotrap_table *t = iotrap_table_new();
	struct rec r[64];
	uint64_t v;
	int ok = 0;

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 64; i++) {
		int k = (i * 37) % 64;

		CHECK_EQ(iotrap_register(t, IOTRAP_MMIO, 0x10000 + k * 0x100,
		    0x80, h_rec, &r[k], "r"), 0);
	}
	for (int k = 0; k < 64; k++) {
		if (iotrap_dispatch(t, IOTRAP_MMIO, 0x10000 + k * 0x100 + 0x7F,
		    1, false, &v) == 0 && r[k].calls == 1)
			ok++;
		CHECK_EQ(iotrap_dispatch(t, IOTRAP_MMIO,
		    0x10000 + k * 0x100 + 0x80, 1, false, &v), -1);
	}
	CHECK_EQ(ok, 64);
	iotrap_table_free(t);
}

/* A handler that moves its own range (as a BAR write does). */
static struct iotrap_table *move_t;
static int
h_move(void *arg, bool write, uint64_t off, int size, uint64_t *val)
{
	CHECK_EQ(iotrap_unregister(move_t, IOTRAP_PIO, 0x500), 0);
	CHECK_EQ(iotrap_register(move_t, IOTRAP_PIO, 0x600, 4, h_move, arg,
	    "moved"), 0);
	return 0;
}

TEST(reregister_from_handler)
{
	uint64_t v = 1;

	move_t = iotrap_table_new();
	CHECK_EQ(iotrap_register(move_t, IOTRAP_PIO, 0x500, 4, h_move, NULL, "m"), 0);
	CHECK_EQ(iotrap_dispatch(move_t, IOTRAP_PIO, 0x500, 4, true, &v), 0);
	CHECK_EQ(iotrap_dispatch(move_t, IOTRAP_PIO, 0x500, 4, true, &v), -1);
	CHECK_STR(iotrap_lookup_name(move_t, IOTRAP_PIO, 0x600), "moved");
	iotrap_table_free(move_t);
}

/*
 * Dispatchers on several threads while another registers/unregisters: under
 * ASan a use-after-free of an entry fails this test.
 */
static struct iotrap_table *race_t;
static volatile bool race_done;
static int
h_count(void *arg, bool write, uint64_t off, int size, uint64_t *val)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_RELAXED);
	*val = 7;
	return 0;
}

static void *
race_dispatch(void *arg)
{
	uint64_t v;

	(void)arg;
	while (!race_done)
		(void)iotrap_dispatch(race_t, IOTRAP_MMIO, 0x9000, 4, false, &v);
	return NULL;
}

TEST(concurrent_unregister)
{
	pthread_t th[3];
	int count = 0;

	race_t = iotrap_table_new();
	race_done = false;
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, race_dispatch, NULL);
	for (int i = 0; i < 20000; i++) {
		CHECK_EQ(iotrap_register(race_t, IOTRAP_MMIO, 0x9000, 0x10,
		    h_count, &count, "race"), 0);
		CHECK_EQ(iotrap_unregister(race_t, IOTRAP_MMIO, 0x9000), 0);
	}
	race_done = true;
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	{
		uint64_t v;

		/* Nothing claims the range once it is gone. */
		CHECK_EQ(iotrap_dispatch(race_t, IOTRAP_MMIO, 0x9000, 4, false,
		    &v), -1);
	}
	iotrap_table_free(race_t);
}

int
main(void)
{
	RUN(register_and_dispatch);
	RUN(unclaimed_and_straddle);
	RUN(overlap_and_bad_ranges);
	RUN(many_ranges);
	RUN(reregister_from_handler);
	RUN(concurrent_unregister);
	TEST_SUMMARY();
}
