/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The trap registry: one interval table each for port I/O and MMIO.
 *
 * Each space keeps a sorted array of pointers to refcounted entries,
 * searched by binary search under a read lock.  A dispatch takes a
 * reference before dropping the lock and calls the handler with no lock
 * held; unregister removes the entry from the array under the write lock
 * and drops the table's reference, so the entry is freed by whichever
 * thread drops the last reference (see iotrap.h for what that means for
 * device state).
 *
 * Threads: vCPU threads dispatch; any thread may (un)register.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "iotrap.h"

struct iotrap {
	uint64_t base;
	uint64_t len;
	iotrap_handler_t *fn;
	void *arg;
	char name[32];
	unsigned refs;		/* atomic */
};

struct iotrap_space_tab {
	struct iotrap **v;
	size_t n, cap;
};

struct iotrap_table {
	pthread_rwlock_t lock;
	struct iotrap_space_tab sp[2];
};

struct iotrap_table *
iotrap_table_new(void)
{
	struct iotrap_table *t = calloc(1, sizeof(*t));

	if (t != NULL)
		pthread_rwlock_init(&t->lock, NULL);
	return t;
}

static void
trap_put(struct iotrap *e)
{
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(e);
}

void
iotrap_table_free(struct iotrap_table *t)
{
	if (t == NULL)
		return;
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < t->sp[s].n; i++)
			trap_put(t->sp[s].v[i]);
		free(t->sp[s].v);
	}
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

/* Index of the first entry whose end is above addr (lower bound). */
static size_t
lower_bound(const struct iotrap_space_tab *st, uint64_t addr)
{
	size_t lo = 0, hi = st->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iotrap *e = st->v[mid];

		if (e->base + (e->len - 1) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
iotrap_register(struct iotrap_table *t, enum iotrap_space space,
    uint64_t base, uint64_t len, iotrap_handler_t *fn, void *arg,
    const char *name)
{
	struct iotrap_space_tab *st;
	struct iotrap *e;
	size_t i;
	int r = -1;

	if (len == 0 || base + (len - 1) < base || fn == NULL ||
	    (space != IOTRAP_PIO && space != IOTRAP_MMIO)) {
		errno = EINVAL;
		return -1;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -1;
	e->base = base;
	e->len = len;
	e->fn = fn;
	e->arg = arg;
	e->refs = 1;
	strncpy(e->name, name != NULL ? name : "?", sizeof(e->name) - 1);

	pthread_rwlock_wrlock(&t->lock);
	st = &t->sp[space];
	i = lower_bound(st, base);
	if (i < st->n && st->v[i]->base <= base + (len - 1)) {
		errno = EEXIST;
		goto out;
	}
	if (st->n == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 16;
		struct iotrap **nv = realloc(st->v, ncap * sizeof(*nv));

		if (nv == NULL)
			goto out;
		st->v = nv;
		st->cap = ncap;
	}
	memmove(&st->v[i + 1], &st->v[i], (st->n - i) * sizeof(*st->v));
	st->v[i] = e;
	st->n++;
	e = NULL;
	r = 0;
out:
	pthread_rwlock_unlock(&t->lock);
	free(e);
	return r;
}

int
iotrap_unregister(struct iotrap_table *t, enum iotrap_space space,
    uint64_t base)
{
	struct iotrap_space_tab *st;
	struct iotrap *e = NULL;
	size_t i;

	if (space != IOTRAP_PIO && space != IOTRAP_MMIO) {
		errno = EINVAL;
		return -1;
	}
	pthread_rwlock_wrlock(&t->lock);
	st = &t->sp[space];
	i = lower_bound(st, base);
	if (i < st->n && st->v[i]->base == base) {
		e = st->v[i];
		memmove(&st->v[i], &st->v[i + 1],
		    (st->n - i - 1) * sizeof(*st->v));
		st->n--;
	}
	pthread_rwlock_unlock(&t->lock);
	if (e == NULL) {
		errno = ENOENT;
		return -1;
	}
	trap_put(e);
	return 0;
}

/* Find the entry wholly containing [addr, addr+size) and take a reference. */
static struct iotrap *
trap_get(struct iotrap_table *t, enum iotrap_space space, uint64_t addr,
    uint64_t size)
{
	struct iotrap_space_tab *st = &t->sp[space];
	struct iotrap *e = NULL;
	size_t i;

	pthread_rwlock_rdlock(&t->lock);
	i = lower_bound(st, addr);
	if (i < st->n) {
		struct iotrap *c = st->v[i];

		/* addr >= base, and the access ends inside the range. */
		if (c->base <= addr && size <= c->len &&
		    addr - c->base <= c->len - size) {
			e = c;
			__atomic_add_fetch(&e->refs, 1, __ATOMIC_ACQ_REL);
		}
	}
	pthread_rwlock_unlock(&t->lock);
	return e;
}

int
iotrap_dispatch(struct iotrap_table *t, enum iotrap_space space,
    uint64_t addr, int size, bool write, uint64_t *val)
{
	struct iotrap *e;

	if ((space != IOTRAP_PIO && space != IOTRAP_MMIO) || size <= 0 ||
	    size > 8)
		return -1;
	e = trap_get(t, space, addr, (uint64_t)size);
	if (e == NULL)
		return -1;
	if (!write)
		*val = 0;
	(void)e->fn(e->arg, write, addr - e->base, size, val);
	trap_put(e);
	return 0;
}

const char *
iotrap_lookup_name(struct iotrap_table *t, enum iotrap_space space,
    uint64_t addr)
{
	struct iotrap_space_tab *st;
	const char *name = NULL;
	size_t i;

	if (space != IOTRAP_PIO && space != IOTRAP_MMIO)
		return NULL;
	pthread_rwlock_rdlock(&t->lock);
	st = &t->sp[space];
	i = lower_bound(st, addr);
	if (i < st->n && st->v[i]->base <= addr)
		name = st->v[i]->name;
	pthread_rwlock_unlock(&t->lock);
	return name;
}
