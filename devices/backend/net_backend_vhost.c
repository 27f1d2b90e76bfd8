/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhost-net: the Linux kernel's virtio-net data path (the part SmartOS
 * calls viona).  zhyve opens /dev/vhost-net, becomes its owner, gives it
 * the guest memory table (guest-physical ranges and where they are mapped
 * in zhyve), and for each ring its size, first index, host addresses, the
 * ioeventfd that the guest's doorbell signals, the irqfd to signal for an
 * interrupt, an error eventfd, and the tap as the backend.  The kernel's
 * vhost thread then moves frames between the rings and the tap with no
 * exit to zhyve.  See net_backend.h.
 *
 * Threads: open/close on the main thread; the ring ioctls on the device's
 * worker thread (start on DRIVER_OK, stop on reset).  vhost accepts ioctls
 * from any thread of the owner process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vhost.h>

#include "net_backend.h"

int
vhost_net_open(struct vhost_net *vh, const char *path, char *err,
    size_t errlen)
{
	uint64_t f = 0;
	int e;

	vh->fd = open(path, O_RDWR | O_CLOEXEC);
	vh->features = 0;
	if (vh->fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open %s: %s%s", path,
		    strerror(e), e == ENOENT ? " (load the vhost_net module)" :
		    "");
		errno = e;
		return -1;
	}
	if (ioctl(vh->fd, VHOST_SET_OWNER) != 0 ||
	    ioctl(vh->fd, VHOST_GET_FEATURES, &f) != 0) {
		e = errno;
		snprintf(err, errlen, "%s: VHOST_SET_OWNER/GET_FEATURES: %s",
		    path, strerror(e));
		close(vh->fd);
		vh->fd = -1;
		errno = e;
		return -1;
	}
	vh->features = f;
	return 0;
}

void
vhost_net_close(struct vhost_net *vh)
{
	if (vh->fd >= 0)
		close(vh->fd);
	vh->fd = -1;
}

int
vhost_net_set_mem(struct vhost_net *vh, const struct vhost_region *r, int n)
{
	struct vhost_memory *m;
	int rc;

	if (n < 1 || n > 64) {
		errno = EINVAL;
		return -1;
	}
	m = calloc(1, sizeof(*m) + (size_t)n * sizeof(m->regions[0]));
	if (m == NULL)
		return -1;
	m->nregions = (uint32_t)n;
	for (int i = 0; i < n; i++) {
		m->regions[i].guest_phys_addr = r[i].gpa;
		m->regions[i].memory_size = r[i].size;
		m->regions[i].userspace_addr = (uint64_t)(uintptr_t)r[i].hva;
	}
	rc = ioctl(vh->fd, VHOST_SET_MEM_TABLE, m);
	free(m);
	return rc;
}

int
vhost_net_set_features(struct vhost_net *vh, uint64_t features)
{
	return ioctl(vh->fd, VHOST_SET_FEATURES, &features);
}

static int
ring_file(int fd, unsigned long req, int idx, int file)
{
	struct vhost_vring_file f = { .index = (unsigned)idx, .fd = file };

	return ioctl(fd, req, &f);
}

int
vhost_net_ring_start(struct vhost_net *vh, int idx, const struct vhost_ring *r,
    int tapfd, char *why, size_t whylen)
{
	struct vhost_vring_state st = { .index = (unsigned)idx };
	struct vhost_vring_addr a;
	const char *step;

	step = "VHOST_SET_VRING_NUM";
	st.num = r->num;
	if (ioctl(vh->fd, VHOST_SET_VRING_NUM, &st) != 0)
		goto fail;
	step = "VHOST_SET_VRING_BASE";
	st.num = r->base;
	if (ioctl(vh->fd, VHOST_SET_VRING_BASE, &st) != 0)
		goto fail;
	step = "VHOST_SET_VRING_ADDR";
	memset(&a, 0, sizeof(a));
	a.index = (unsigned)idx;
	a.desc_user_addr = (uint64_t)(uintptr_t)r->desc;
	a.avail_user_addr = (uint64_t)(uintptr_t)r->avail;
	a.used_user_addr = (uint64_t)(uintptr_t)r->used;
	if (ioctl(vh->fd, VHOST_SET_VRING_ADDR, &a) != 0)
		goto fail;
	step = "VHOST_SET_VRING_KICK";
	if (ring_file(vh->fd, VHOST_SET_VRING_KICK, idx, r->kickfd) != 0)
		goto fail;
	step = "VHOST_SET_VRING_CALL";
	if (ring_file(vh->fd, VHOST_SET_VRING_CALL, idx, r->callfd) != 0)
		goto fail;
	step = "VHOST_SET_VRING_ERR";
	if (r->errfd >= 0 &&
	    ring_file(vh->fd, VHOST_SET_VRING_ERR, idx, r->errfd) != 0)
		goto fail;
	step = "VHOST_NET_SET_BACKEND";
	if (ring_file(vh->fd, VHOST_NET_SET_BACKEND, idx, tapfd) != 0)
		goto fail;
	return 0;
fail:
	snprintf(why, whylen, "ring %d: %s: %s", idx, step, strerror(errno));
	return -1;
}

int
vhost_net_ring_stop(struct vhost_net *vh, int idx, uint16_t *base)
{
	struct vhost_vring_state st = { .index = (unsigned)idx };
	int rc = 0;

	if (ring_file(vh->fd, VHOST_NET_SET_BACKEND, idx, -1) != 0)
		rc = -1;
	/* Stops the ring and tells where the kernel got to. */
	if (ioctl(vh->fd, VHOST_GET_VRING_BASE, &st) != 0)
		rc = -1;
	else
		*base = (uint16_t)st.num;
	(void)ring_file(vh->fd, VHOST_SET_VRING_KICK, idx, -1);
	(void)ring_file(vh->fd, VHOST_SET_VRING_CALL, idx, -1);
	(void)ring_file(vh->fd, VHOST_SET_VRING_ERR, idx, -1);
	return rc;
}
