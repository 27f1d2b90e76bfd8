/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tap backend of virtio-net: open a tap by name or take an inherited
 * fd, set the virtio-net header length and the offloads, and move frames.
 * See net_backend.h.
 *
 * Threads: open/close on the main thread; send/recv on the device's
 * worker thread; the offload ioctls on whichever thread owns the device
 * state (they are single system calls).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <net/if.h>
#include <linux/if_tun.h>

#include "net_backend.h"

static bool test_sockets, test_sockets_vnet;

void
net_backend_test_sockets(bool allow, bool vnet)
{
	test_sockets = allow;
	test_sockets_vnet = vnet;
}

bool
net_backend_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= NETBE_NAMELEN || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		/* '%' would make TUNSETIFF pick a new name from a template. */
		if (c <= ' ' || c >= 0x7F || c == '/' || c == ':' || c == '%')
			return false;
	}
	return true;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return -1;
	return 0;
}

static int
open_by_name(struct net_backend *be, const char *name, char *err,
    size_t errlen)
{
	struct ifreq ifr;
	int fd;

	if (!net_backend_name_ok(name)) {
		snprintf(err, errlen, "backend: '%s' is not a valid interface "
		    "name (1 to %d characters, no '/', ':', '%%' or blanks)",
		    name, NETBE_NAMELEN - 1);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "backend %s: cannot open /dev/net/tun: "
		    "%s", name, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	be->created = if_nametoindex(name) == 0;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		int e = errno;

		snprintf(err, errlen, "backend %s: cannot attach to the tap "
		    "(TUNSETIFF): %s%s", name, strerror(e),
		    e == EPERM ? " (needs CAP_NET_ADMIN, or a tap owned by "
		    "this user)" : e == EINVAL ? " (is it a tun, or a "
		    "multi-queue tap?)" : e == EBUSY ? " (another process "
		    "has it open)" : "");
		close(fd);
		return -1;
	}
	be->fd = fd;
	be->owned = true;
	be->vnet_hdr = true;
	be->is_tap = true;
	snprintf(be->ifname, sizeof(be->ifname), "%s", ifr.ifr_name);
	return 0;
}

static int
open_test_socket(struct net_backend *be, int fd, char *err, size_t errlen)
{
	int type = 0;
	socklen_t l = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0 ||
	    (type != SOCK_SEQPACKET && type != SOCK_DGRAM)) {
		snprintf(err, errlen, "fd=%d: not a tap device", fd);
		return -1;
	}
	if (set_nonblock(fd) != 0) {
		snprintf(err, errlen, "fd=%d: %s", fd, strerror(errno));
		return -1;
	}
	be->fd = fd;
	be->vnet_hdr = test_sockets_vnet;
	snprintf(be->ifname, sizeof(be->ifname), "sock%d", fd);
	return 0;
}

static int
open_by_fd(struct net_backend *be, int fd, char *err, size_t errlen)
{
	struct ifreq ifr;

	if (fcntl(fd, F_GETFD) < 0) {
		snprintf(err, errlen, "fd=%d: not an open file descriptor", fd);
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) != 0) {
		if (test_sockets)
			return open_test_socket(be, fd, err, errlen);
		snprintf(err, errlen, "fd=%d: not a tap device (TUNGETIFF: "
		    "%s)", fd, strerror(errno));
		return -1;
	}
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TAP) {
		snprintf(err, errlen, "fd=%d (%.*s): a tun (IP-level) device, "
		    "not a tap", fd, (int)sizeof(ifr.ifr_name), ifr.ifr_name);
		return -1;
	}
	if (!(ifr.ifr_flags & IFF_NO_PI)) {
		snprintf(err, errlen, "fd=%d (%.*s): the tap was opened without "
		    "IFF_NO_PI; open it with IFF_NO_PI", fd,
		    (int)sizeof(ifr.ifr_name), ifr.ifr_name);
		return -1;
	}
	if (set_nonblock(fd) != 0) {
		snprintf(err, errlen, "fd=%d: cannot make it non-blocking: %s",
		    fd, strerror(errno));
		return -1;
	}
	be->fd = fd;
	be->vnet_hdr = (ifr.ifr_flags & IFF_VNET_HDR) != 0;
	be->is_tap = true;
	snprintf(be->ifname, sizeof(be->ifname), "%.*s",
	    (int)sizeof(ifr.ifr_name) - 1, ifr.ifr_name);
	return 0;
}

int
net_backend_open(struct net_backend *be, const char *name, int fd,
    char *err, size_t errlen)
{
	int rc;

	memset(be, 0, sizeof(*be));
	be->fd = -1;
	if (name != NULL)
		rc = open_by_name(be, name, err, errlen);
	else
		rc = open_by_fd(be, fd, err, errlen);
	if (rc != 0)
		return -1;
	/* A fresh tap hands us plain frames until the driver asks for more. */
	if (be->vnet_hdr &&
	    (net_backend_set_hdr_len(be, 12) != 0 ||
	    net_backend_set_offloads(be, 0) != 0)) {
		snprintf(err, errlen, "%s: cannot set the virtio-net header "
		    "(TUNSETVNETHDRSZ/TUNSETOFFLOAD): %s", be->ifname,
		    strerror(errno));
		net_backend_close(be);
		return -1;
	}
	return 0;
}

void
net_backend_close(struct net_backend *be)
{
	if (be->fd >= 0 && be->owned)
		close(be->fd);
	be->fd = -1;
}

int
net_backend_set_hdr_len(struct net_backend *be, int len)
{
	if (!be->vnet_hdr) {
		errno = EINVAL;
		return -1;
	}
	if (be->is_tap && ioctl(be->fd, TUNSETVNETHDRSZ, &len) != 0)
		return -1;
	be->hdr_len = len;
	return 0;
}

int
net_backend_set_offloads(struct net_backend *be, unsigned off)
{
	if (!be->vnet_hdr) {
		if (off == 0)
			return 0;
		errno = EINVAL;
		return -1;
	}
	if (be->is_tap && ioctl(be->fd, TUNSETOFFLOAD, (unsigned long)off) != 0)
		return -1;
	be->offloads = off;
	return 0;
}

ssize_t
net_backend_send(struct net_backend *be, const struct iovec *iov, int n)
{
	struct msghdr m;
	ssize_t r;

	if (be->is_tap) {
		do {
			r = writev(be->fd, iov, n);
		} while (r < 0 && errno == EINTR);
		return r;
	}
	/* A test socket: no SIGPIPE when the other end is gone. */
	memset(&m, 0, sizeof(m));
	m.msg_iov = (struct iovec *)(uintptr_t)iov;
	m.msg_iovlen = (size_t)n;
	do {
		r = sendmsg(be->fd, &m, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	return r;
}

ssize_t
net_backend_recv(struct net_backend *be, const struct iovec *iov, int n)
{
	ssize_t r;

	do {
		r = readv(be->fd, iov, n);
	} while (r < 0 && errno == EINTR);
	return r;
}
