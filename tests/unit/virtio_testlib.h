/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helpers for the virtio unit tests: a "driver side" of a split
 * virtqueue laid out in fake guest memory (vm_create_fake), so tests can
 * post chains and read back used entries exactly as a guest would.
 *
 * Threads: the test's main thread; used-ring reads are acquire loads so a
 * device worker thread's completions are seen correctly.
 */
#ifndef ZHYVE_VIRTIO_TESTLIB_H
#define ZHYVE_VIRTIO_TESTLIB_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "vmm.h"

struct tq {
	struct vm *vm;
	uint16_t size;
	uint64_t desc, avail, used;	/* guest-physical */
	uint16_t avail_idx;		/* driver's next avail index */
	uint16_t used_seen;		/* used entries consumed */
};

static inline uint8_t *
tq_g(struct vm *vm, uint64_t gpa)
{
	return vm_map_gpa(vm, gpa, 1);
}

/* Descriptors at base, driver area after them, device area 4 KiB later. */
static inline void
tq_layout(struct tq *q, struct vm *vm, uint16_t size, uint64_t base)
{
	memset(q, 0, sizeof(*q));
	q->vm = vm;
	q->size = size;
	q->desc = base;
	q->avail = base + 16ULL * size;
	q->used = (q->avail + 6 + 2ULL * size + 4095) & ~4095ULL;
	memset(vm_map_gpa(vm, q->desc, 16ULL * size), 0, 16ULL * size);
	memset(vm_map_gpa(vm, q->avail, 6 + 2ULL * size), 0, 6 + 2ULL * size);
	memset(vm_map_gpa(vm, q->used, 6 + 8ULL * size), 0, 6 + 8ULL * size);
}

static inline void
tq_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline uint16_t
tq_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void
tq_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t
tq_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
tq_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Write a descriptor into a table at table_gpa (the ring's or indirect). */
static inline void
tq_desc_at(struct vm *vm, uint64_t table_gpa, uint16_t i, uint64_t addr,
    uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = vm_map_gpa(vm, table_gpa + 16ULL * i, 16);

	tq_put64(d, addr);
	tq_put32(d + 8, len);
	tq_put16(d + 12, flags);
	tq_put16(d + 14, next);
}

static inline void
tq_desc(struct tq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
    uint16_t next)
{
	tq_desc_at(q->vm, q->desc, i, addr, len, flags, next);
}

/* Make chain `head` available and publish the new avail->idx. */
static inline void
tq_post(struct tq *q, uint16_t head)
{
	uint8_t *a = tq_g(q->vm, q->avail);

	tq_put16(a + 4 + 2 * (q->avail_idx % q->size), head);
	q->avail_idx++;
	__atomic_store_n((uint16_t *)(void *)(a + 2), q->avail_idx,
	    __ATOMIC_RELEASE);
}

static inline void
tq_set_avail_idx(struct tq *q, uint16_t idx)
{
	q->avail_idx = idx;
	__atomic_store_n((uint16_t *)(void *)(tq_g(q->vm, q->avail) + 2), idx,
	    __ATOMIC_RELEASE);
}

static inline uint16_t
tq_used_idx(struct tq *q)
{
	return __atomic_load_n((uint16_t *)(void *)(tq_g(q->vm, q->used) + 2),
	    __ATOMIC_ACQUIRE);
}

/* Next used entry, if any: 1 with id/len, else 0. */
static inline int
tq_get_used(struct tq *q, uint32_t *id, uint32_t *len)
{
	uint8_t *u = tq_g(q->vm, q->used);
	uint8_t *e;

	if (tq_used_idx(q) == q->used_seen)
		return 0;
	e = u + 4 + 8 * (q->used_seen % q->size);
	*id = tq_get32(e);
	*len = tq_get32(e + 4);
	q->used_seen++;
	return 1;
}

static inline void
tq_set_used_event(struct tq *q, uint16_t ev)
{
	tq_put16(tq_g(q->vm, q->avail) + 4 + 2 * q->size, ev);
}

static inline uint16_t
tq_avail_event(struct tq *q)
{
	return tq_get16(tq_g(q->vm, q->used) + 4 + 8 * q->size);
}

static inline double
tq_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
