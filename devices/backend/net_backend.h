/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Network backends for virtio-net: a Linux tap device, opened by name or
 * handed in already open by a parent (fd=N), and the vhost-net kernel
 * data path that can drive the same tap without zhyve in the loop.
 *
 * Tap.  Frames are whole Ethernet frames (IFF_TAP, IFF_NO_PI).  When the
 * tap has IFF_VNET_HDR, every frame is preceded by a virtio-net header of
 * net_backend_set_hdr_len() bytes (TUNSETVNETHDRSZ), which carries the
 * checksum and segmentation offloads in both directions; what the tap may
 * hand us (unchecksummed, TSO, UFO frames) is set with TUNSETOFFLOAD.  A
 * tap without IFF_VNET_HDR (an fd from a parent that did not ask for it)
 * carries bare frames and no offloads.  The fd is non-blocking.
 *
 * vhost-net.  /dev/vhost-net takes the guest memory table, the rings (as
 * host addresses), an eventfd to kick each ring, an eventfd it signals
 * for each ring's interrupt, and the tap fd as the backend; from then on
 * the kernel moves frames between the rings and the tap.
 *
 * Threads: opened and closed on the main thread (device init and exit);
 * send/recv on the device's worker thread; the ioctls from the thread that
 * owns the device state at that moment (vCPU thread under the device lock,
 * or the worker).  No locks inside.
 */
#ifndef ZHYVE_NET_BACKEND_H
#define ZHYVE_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Offloads the tap may hand us (the values of Linux's TUN_F_*). */
#define NETBE_OFF_CSUM	0x01
#define NETBE_OFF_TSO4	0x02
#define NETBE_OFF_TSO6	0x04
#define NETBE_OFF_ECN	0x08
#define NETBE_OFF_UFO	0x10

#define NETBE_NAMELEN	16	/* IFNAMSIZ */

struct net_backend {
	int fd;			/* -1 when closed */
	bool owned;		/* we opened it: close it at the end */
	bool vnet_hdr;		/* frames carry a virtio-net header */
	bool is_tap;		/* false: a test socket (see below) */
	bool created;		/* opened by name and did not exist before */
	char ifname[NETBE_NAMELEN];
	int hdr_len;		/* header bytes per frame (vnet_hdr only) */
	unsigned offloads;	/* NETBE_OFF_* last set */
};

/*
 * Open a tap: by interface name (name != NULL; created if it does not
 * exist, as TUNSETIFF does) or an inherited fd (fd >= 0), which must be a
 * tap (TUNGETIFF) opened with IFF_NO_PI.  0, or -1 with a message in err
 * that names the problem.
 */
int net_backend_open(struct net_backend *be, const char *name, int fd,
    char *err, size_t errlen);
void net_backend_close(struct net_backend *be);
/* Header length in front of each frame (vnet_hdr taps only); 0 or -1. */
int net_backend_set_hdr_len(struct net_backend *be, int len);
/* NETBE_OFF_* the reader accepts; 0 or -1 (errno set). */
int net_backend_set_offloads(struct net_backend *be, unsigned off);
/* One frame out / in (with the header first when vnet_hdr); -1 + errno. */
ssize_t net_backend_send(struct net_backend *be, const struct iovec *iov,
    int n);
ssize_t net_backend_recv(struct net_backend *be, const struct iovec *iov,
    int n);
/* A valid interface name for TUNSETIFF (what Linux's dev_valid_name allows,
 * without the '%d' templates)? */
bool net_backend_name_ok(const char *name);

/*
 * Unit tests only: let fd=N be a SOCK_SEQPACKET or SOCK_DGRAM socket,
 * treated as a tap with a virtio-net header (vnet) or without.  Production
 * code never calls this.
 */
void net_backend_test_sockets(bool allow, bool vnet);

/* --- vhost-net (net_backend_vhost.c) ---------------------------------------- */

#define VHOST_PATH_DEFAULT	"/dev/vhost-net"
/* Feature bits of vhost itself (beyond the virtio ones it passes on). */
#define VHOST_F_NET_HDR		(1ULL << 27)	/* vhost adds/strips the header */

struct vhost_net {
	int fd;			/* -1 when closed */
	uint64_t features;	/* what VHOST_GET_FEATURES offered */
};

/* One guest RAM range for the memory table. */
struct vhost_region {
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

/* What vhost needs to run one ring. */
struct vhost_ring {
	unsigned num;		/* queue size */
	uint16_t base;		/* next avail index to take */
	void *desc, *avail, *used;	/* host addresses */
	int kickfd;		/* the guest's doorbell (ioeventfd) */
	int callfd;		/* signalled for an interrupt (irqfd) */
	int errfd;		/* signalled when vhost finds the ring broken */
};

/*
 * Open the vhost-net device at path, become its owner and read its
 * features.  0, or -1 with a message in err (errno kept: ENOENT when the
 * device or module is missing).
 */
int vhost_net_open(struct vhost_net *vh, const char *path, char *err,
    size_t errlen);
void vhost_net_close(struct vhost_net *vh);
int vhost_net_set_mem(struct vhost_net *vh, const struct vhost_region *r,
    int n);
int vhost_net_set_features(struct vhost_net *vh, uint64_t features);
/* Program ring idx and attach the tap; 0 or -1 with the step in why. */
int vhost_net_ring_start(struct vhost_net *vh, int idx,
    const struct vhost_ring *r, int tapfd, char *why, size_t whylen);
/* Detach the tap and stop ring idx; *base gets its next avail index. */
int vhost_net_ring_stop(struct vhost_net *vh, int idx, uint16_t *base);

#endif
