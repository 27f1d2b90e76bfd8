/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueues: mapping the three ring areas, the one chain walker,
 * publishing used entries, and EVENT_IDX notification suppression.  See
 * the layout in virtio.h.
 *
 * Threads: vq_map()/vq_reset() run on a vCPU thread while the device is
 * not live (vs_mtx held); everything else runs on the device's worker
 * thread, which is the only thread that touches a live ring.
 *
 * Guest memory is shared with a guest that may be hostile and may write
 * it concurrently: values are loaded once (volatile/atomic loads) into
 * locals, checked, and only the checked local copy is used.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "virtio.h"
#include "vmm.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtio rings are little-endian; this code assumes a little-endian host"
#endif

/* Offsets inside the areas. */
#define AVAIL_FLAGS	0
#define AVAIL_IDX	2
#define AVAIL_RING	4
#define USED_FLAGS	0
#define USED_IDX	2
#define USED_RING	4
#define DESC_SIZE	16

/* A descriptor, copied out of guest memory once. */
struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Aligned loads/stores of ring fields (alignment checked in vq_map). */
static inline uint16_t
ld16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p,
	    __ATOMIC_RELAXED);
}

static inline uint16_t
ld16_acquire(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p,
	    __ATOMIC_ACQUIRE);
}

static inline void
st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

static inline void
st16_release(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELEASE);
}

static inline void
st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
}

/*
 * Copy descriptor i of a table once.  An indirect table need not be
 * 8-byte aligned, so fall back to byte loads then.
 */
static void
desc_read(const uint8_t *tab, uint32_t i, struct vdesc *d)
{
	const volatile uint8_t *p = tab + (size_t)i * DESC_SIZE;
	uint64_t lo, hi;

	if (((uintptr_t)p & 7) == 0) {
		lo = *(const volatile uint64_t *)(const volatile void *)p;
		hi = *(const volatile uint64_t *)(const volatile void *)(p + 8);
	} else {
		lo = hi = 0;
		for (int b = 7; b >= 0; b--) {
			lo = (lo << 8) | p[b];
			hi = (hi << 8) | p[8 + b];
		}
	}
	d->addr = lo;
	d->len = (uint32_t)hi;
	d->flags = (uint16_t)(hi >> 32);
	d->next = (uint16_t)(hi >> 48);
}

void
vq_init(struct vqueue *vq, struct vm *vm, int num, uint16_t maxsize)
{
	memset(vq, 0, sizeof(*vq));
	vq->vq_vm = vm;
	vq->vq_num = num;
	vq->vq_maxsize = maxsize;
	vq->vq_size = maxsize;
	vq->vq_msix = VIRTIO_MSI_NO_VECTOR;
	vq->vq_kickfd = -1;
}

void
vq_reset(struct vqueue *vq)
{
	vq->vq_size = vq->vq_maxsize;
	vq->vq_msix = VIRTIO_MSI_NO_VECTOR;
	vq->vq_enabled = false;
	vq->vq_desc_gpa = vq->vq_avail_gpa = vq->vq_used_gpa = 0;
	vq->vq_desc = vq->vq_avail = vq->vq_used = NULL;
	vq->vq_features = 0;
	vq->vq_last_avail = vq->vq_used_idx = vq->vq_signalled = 0;
	vq->vq_signalled_valid = false;
	vq->vq_broken = false;
}

int
vq_map(struct vqueue *vq, uint64_t features, char *why, size_t whylen)
{
	uint32_t n = vq->vq_size;
	uint8_t *d, *a, *u;

	if (n == 0 || (n & (n - 1)) != 0 || n > vq->vq_maxsize) {
		snprintf(why, whylen, "queue %d: size %u is not a power of two "
		    "in 1..%u", vq->vq_num, n, vq->vq_maxsize);
		return -1;
	}
	if ((vq->vq_desc_gpa & 15) != 0 || (vq->vq_avail_gpa & 1) != 0 ||
	    (vq->vq_used_gpa & 3) != 0) {
		snprintf(why, whylen, "queue %d: misaligned ring (descriptors "
		    "0x%llx, driver area 0x%llx, device area 0x%llx)",
		    vq->vq_num, (unsigned long long)vq->vq_desc_gpa,
		    (unsigned long long)vq->vq_avail_gpa,
		    (unsigned long long)vq->vq_used_gpa);
		return -1;
	}
	/* Each area whole inside RAM: vm_map_gpa checks without overflow. */
	d = vm_map_gpa(vq->vq_vm, vq->vq_desc_gpa, (size_t)n * DESC_SIZE);
	a = vm_map_gpa(vq->vq_vm, vq->vq_avail_gpa, 6 + 2 * (size_t)n);
	u = vm_map_gpa(vq->vq_vm, vq->vq_used_gpa, 6 + 8 * (size_t)n);
	if (d == NULL || a == NULL || u == NULL) {
		snprintf(why, whylen, "queue %d: the %s area is not in guest "
		    "RAM", vq->vq_num, d == NULL ? "descriptor" :
		    a == NULL ? "driver" : "device");
		return -1;
	}
	vq->vq_desc = d;
	vq->vq_avail = a;
	vq->vq_used = u;
	vq->vq_features = features;
	vq->vq_last_avail = 0;
	vq->vq_used_idx = 0;
	vq->vq_signalled = 0;
	vq->vq_signalled_valid = false;
	vq->vq_broken = false;
	return 0;
}

bool
vq_ready(const struct vqueue *vq)
{
	return vq->vq_desc != NULL && !vq->vq_broken;
}

void
vq_set_broken(struct vqueue *vq, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vq->vq_broken = true;
	if (vq->vq_on_broken != NULL)
		vq->vq_on_broken(vq, why);
}

bool
vq_has_avail(struct vqueue *vq)
{
	if (!vq_ready(vq))
		return false;
	return ld16_acquire(vq->vq_avail + AVAIL_IDX) != vq->vq_last_avail;
}

int
vq_getchain(struct vqueue *vq, struct vq_chain *ch, struct iovec *iov,
    int cap)
{
	const uint8_t *tab;
	uint32_t size, tabn, idx, visited, limit;
	uint16_t aidx, navail, head;
	bool indirect = false, seen_write = false;
	struct vdesc d;

	if (!vq_ready(vq))
		return 0;
	size = vq->vq_size;
	aidx = ld16_acquire(vq->vq_avail + AVAIL_IDX);
	navail = (uint16_t)(aidx - vq->vq_last_avail);
	if (navail == 0)
		return 0;
	/* The driver can have at most `size` chains outstanding. */
	if (navail > size) {
		vq_set_broken(vq, "queue %d: available index jumped from %u to "
		    "%u (queue size %u)", vq->vq_num, vq->vq_last_avail, aidx,
		    size);
		return -1;
	}
	/* size is a power of two: the mask keeps the slot inside the ring. */
	head = ld16(vq->vq_avail + AVAIL_RING +
	    2 * (size_t)(vq->vq_last_avail & (size - 1)));
	if (head >= size) {
		vq_set_broken(vq, "queue %d: chain head %u out of range (queue "
		    "size %u)", vq->vq_num, head, size);
		return -1;
	}
	memset(ch, 0, sizeof(*ch));
	ch->head = head;
	limit = (uint32_t)cap < size ? (uint32_t)cap : size;
	tab = vq->vq_desc;
	tabn = size;
	idx = head;
	visited = 0;
	for (;;) {
		void *h;

		/* idx < tabn: checked for the head and for every `next`. */
		desc_read(tab, idx, &d);
		visited++;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (indirect) {
				vq_set_broken(vq, "queue %d: indirect "
				    "descriptor inside an indirect table",
				    vq->vq_num);
				return -1;
			}
			if (!(vq->vq_features & VIRTIO_F_INDIRECT_DESC) ||
			    (d.flags & VRING_DESC_F_NEXT)) {
				vq_set_broken(vq, "queue %d: indirect descriptor "
				    "%s", vq->vq_num,
				    (d.flags & VRING_DESC_F_NEXT) ?
				    "with NEXT set" : "not negotiated");
				return -1;
			}
			if (d.len == 0 || d.len % DESC_SIZE != 0 ||
			    d.len / DESC_SIZE > size) {
				vq_set_broken(vq, "queue %d: indirect table of "
				    "%u bytes (need a multiple of 16, at most "
				    "%u entries)", vq->vq_num, d.len, size);
				return -1;
			}
			tab = vm_map_gpa(vq->vq_vm, d.addr, d.len);
			if (tab == NULL) {
				vq_set_broken(vq, "queue %d: indirect table at "
				    "0x%llx+%u is not in guest RAM", vq->vq_num,
				    (unsigned long long)d.addr, d.len);
				return -1;
			}
			tabn = d.len / DESC_SIZE;
			idx = 0;
			visited = 0;
			indirect = true;
			continue;
		}
		if (d.len == 0) {
			vq_set_broken(vq, "queue %d: zero-length buffer in chain "
			    "%u", vq->vq_num, head);
			return -1;
		}
		h = vm_map_gpa(vq->vq_vm, d.addr, d.len);
		if (h == NULL) {
			vq_set_broken(vq, "queue %d: buffer at 0x%llx+%u is not "
			    "in guest RAM", vq->vq_num,
			    (unsigned long long)d.addr, d.len);
			return -1;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			seen_write = true;
			ch->wlen += d.len;
		} else if (seen_write) {
			vq_set_broken(vq, "queue %d: device-readable buffer after "
			    "a writable one in chain %u", vq->vq_num, head);
			return -1;
		} else {
			ch->rlen += d.len;
			ch->nread++;
		}
		if (ch->niov >= limit) {
			vq_set_broken(vq, "queue %d: chain %u has more than %u "
			    "buffers", vq->vq_num, head, limit);
			return -1;
		}
		iov[ch->niov].iov_base = h;
		iov[ch->niov].iov_len = d.len;
		ch->niov++;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= tabn) {
			vq_set_broken(vq, "queue %d: next index %u out of range "
			    "(%u descriptors)", vq->vq_num, d.next, tabn);
			return -1;
		}
		/* tabn distinct descriptors at most: one more is a loop. */
		if (visited >= tabn) {
			vq_set_broken(vq, "queue %d: chain %u loops", vq->vq_num,
			    head);
			return -1;
		}
		idx = d.next;
	}
	vq->vq_last_avail++;
	return 1;
}

void
vq_retchain(struct vqueue *vq)
{
	vq->vq_last_avail--;
}

void
vq_relchain(struct vqueue *vq, uint16_t head, uint32_t len)
{
	uint8_t *e;

	if (vq->vq_used == NULL)
		return;
	e = vq->vq_used + USED_RING +
	    8 * (size_t)(vq->vq_used_idx & (vq->vq_size - 1));
	st32(e, head);
	st32(e + 4, len);
	vq->vq_used_idx++;
	/* The entry is visible before the index that publishes it. */
	st16_release(vq->vq_used + USED_IDX, vq->vq_used_idx);
}

/* Interrupt when new_idx passed the event index since old (virtio spec). */
static bool
need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool
vq_need_interrupt(struct vqueue *vq)
{
	uint16_t old = vq->vq_signalled, cur = vq->vq_used_idx;
	bool valid = vq->vq_signalled_valid;

	/* Nothing published since the last decision (or since the map). */
	if (vq->vq_used == NULL || old == cur)
		return false;
	/* Our used->idx store before the driver's flag/event load. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->vq_signalled = cur;
	vq->vq_signalled_valid = true;
	if (vq->vq_features & VIRTIO_F_EVENT_IDX) {
		uint16_t ev = ld16(vq->vq_avail + AVAIL_RING +
		    2 * (size_t)vq->vq_size);
		return !valid || need_event(ev, cur, old);
	}
	return (ld16(vq->vq_avail + AVAIL_FLAGS) &
	    VRING_AVAIL_F_NO_INTERRUPT) == 0;
}

bool
vq_kicks_on(struct vqueue *vq)
{
	if (!vq_ready(vq))
		return false;
	if (vq->vq_features & VIRTIO_F_EVENT_IDX)
		st16(vq->vq_used + USED_RING + 8 * (size_t)vq->vq_size,
		    vq->vq_last_avail);
	/* Publish before looking at avail->idx again (lost-kick race). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_has_avail(vq);
}

size_t
iov_to_buf(const struct iovec *iov, int n, size_t skip, void *buf, size_t len)
{
	size_t done = 0;

	for (int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, c;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		c = l - skip < len - done ? l - skip : len - done;
		memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + skip,
		    c);
		done += c;
		skip = 0;
	}
	return done;
}

size_t
buf_to_iov(const void *buf, size_t len, const struct iovec *iov, int n,
    size_t skip)
{
	size_t done = 0;

	for (int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, c;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		c = l - skip < len - done ? l - skip : len - done;
		memcpy((uint8_t *)iov[i].iov_base + skip,
		    (const uint8_t *)buf + done, c);
		done += c;
		skip = 0;
	}
	return done;
}
