/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net on real Linux taps (skipped where /dev/net/tun cannot make
 * one): a tap opened by name with the virtio-net header, an inherited tap
 * fd without it, wrong fds (a tun, a tap without IFF_NO_PI), the tap
 * going down (EIO) and being deleted while in use.  Frames are watched
 * and injected on the host side with a packet socket bound to the tap.
 *
 * Threads: the main thread; the device's worker runs behind it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>

#include "test.h"
#include "virtio_net_drv.h"

#define TAPNAME	"ztunit0"

static const uint8_t bcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t peer[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static struct ndev d;

/* A tap fd with these flags, or -1 (errno set). */
static int
tap_open(const char *name, short flags)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static const char *
no_taps(void)
{
	int fd = tap_open("ztprobe0", IFF_TAP | IFF_NO_PI);

	if (fd < 0)
		return "cannot create taps here (/dev/net/tun, CAP_NET_ADMIN)";
	close(fd);
	return NULL;
}

static void
link_updown(const char *name, bool up)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char p[128];
	FILE *f;

	/* No IPv6 chatter on the test tap. */
	snprintf(p, sizeof(p), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	f = fopen(p, "w");
	if (f != NULL) {
		fputs("1\n", f);
		fclose(f);
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		CHECK_EQ(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	}
	close(s);
}

/* A packet socket bound to the tap: what the host sees / sends. */
static int
packet_socket(const char *name)
{
	struct sockaddr_ll a;
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (s < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sll_family = AF_PACKET;
	a.sll_protocol = htons(ETH_P_ALL);
	a.sll_ifindex = (int)if_nametoindex(name);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Wait for a frame on the packet socket with this first payload byte. */
static ssize_t
packet_wait(int s, uint8_t *buf, size_t len, uint8_t seed)
{
	double t0 = tq_now();

	while (tq_now() - t0 < ND_WAIT_S) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) != 1)
			continue;
		n = recv(s, buf, len, 0);
		if (n >= 15 && buf[14] == (uint8_t)(14 * 7 + seed))
			return n;
	}
	return -1;
}

/* Device on `opts` (-s tail after "virtio-net,"), started. */
static bool
start_dev(const char *opts, uint64_t want)
{
	char arg[200], err[300];

	memset(&d, 0, sizeof(d));
	d.host = d.devfd = -1;
	nd_ctx_setup();
	snprintf(arg, sizeof(arg), "%d,virtio-net,%s,mac=%s", ND_SLOT, opts,
	    ND_MAC);
	if (pci_parse_slot(arg) != 0 || pci_init(&nd_ctx, err,
	    sizeof(err)) != 0) {
		printf("    %s: %s\n", arg, err);
		return false;
	}
	d.pi = pci_find_device(0, ND_SLOT, 0);
	{
		/* Capabilities: reuse nd_create's walk on a socket-less dev. */
		int off = (int)nd_cfgr(PCIR_CAP_PTR, 1), guard = 0;

		while (off != 0 && guard++ < 48) {
			if (nd_cfgr(off, 1) == 0x09) {
				int type = (int)nd_cfgr(off + 3, 1);
				uint64_t a = nd_bar((int)nd_cfgr(off + 4, 1)) +
				    nd_cfgr(off + 8, 4);

				if (type == 1)
					d.common = a;
				else if (type == 2) {
					d.notify = a;
					d.notify_mult = nd_cfgr(off + 16, 4);
				} else if (type == 4)
					d.devcfg = a;
			} else if (nd_cfgr(off, 1) == PCIY_MSIX) {
				uint32_t t = nd_cfgr(off + 4, 4);

				d.msix_cap = off;
				d.msix_table = nd_bar((int)(t & 7)) + (t & ~7u);
			}
			off = (int)nd_cfgr(off + 1, 1);
		}
	}
	return (nd_start(&d, want) & VIRTIO_S_DRIVER_OK) != 0;
}

static void
guest_tx(uint16_t i, uint8_t seed, size_t flen)
{
	struct tq *q = &d.q[VTNET_TXQ];
	uint64_t b = ND_BUF + 0x10000ULL * i;
	uint8_t *p = nd_g(b, VTNET_HDR_LEN + flen);

	memset(p, 0, VTNET_HDR_LEN);
	nd_frame(p + VTNET_HDR_LEN, flen, bcast, nd_mac, seed);
	tq_desc(q, (uint16_t)(i % ND_QSIZE), b, (uint32_t)(VTNET_HDR_LEN + flen),
	    0, 0);
	tq_post(q, (uint16_t)(i % ND_QSIZE));
	nd_kick(&d, VTNET_TXQ);
}

static void
guest_rxbuf(uint16_t i)
{
	struct tq *q = &d.q[VTNET_RXQ];

	tq_desc(q, i, ND_BUF + 0x200000ULL + 0x10000ULL * i, 0x10000,
	    VRING_DESC_F_WRITE, 0);
	tq_post(q, i);
	nd_kick(&d, VTNET_RXQ);
}

TEST(tap_by_name)
{
	const char *why = no_taps();
	uint8_t buf[2000], f[200];
	int ps = -1;
	ssize_t n;
	uint8_t *g;

	if (why != NULL)
		SKIP(why);
	if (!start_dev(TAPNAME, VTNET_F_MAC | VTNET_F_CSUM |
	    VTNET_F_GUEST_CSUM | VTNET_F_HOST_TSO4 | VTNET_F_GUEST_TSO4 |
	    VTNET_F_MRG_RXBUF)) {
		CHECK(0);
		goto out;
	}
	CHECK(if_nametoindex(TAPNAME) != 0);
	link_updown(TAPNAME, true);
	ps = packet_socket(TAPNAME);
	CHECK(ps >= 0);
	/* Guest -> host. */
	guest_tx(0, 31, 100);
	n = packet_wait(ps, buf, sizeof(buf), 31);
	CHECK_EQ(n, 100);
	CHECK(n > 0 && memcmp(buf + 6, nd_mac, 6) == 0);
	/* Host -> guest, header and num_buffers filled in. */
	guest_rxbuf(0);
	nd_frame(f, 200, nd_mac, peer, 32);
	CHECK_EQ(send(ps, f, 200, 0), 200);
	CHECK(nd_wait_used(&d, VTNET_RXQ, 1));
	g = nd_g(ND_BUF + 0x200000ULL, VTNET_HDR_LEN + 200);
	CHECK_EQ(g[10], 1);
	CHECK(memcmp(g + VTNET_HDR_LEN, f, 200) == 0);
	/* The host takes the link down: sends fail with EIO, counted. */
	link_updown(TAPNAME, false);
	guest_tx(1, 33, 100);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 2));
	CHECK_EQ(nd_stats(&d).tx_errors, 1);
	link_updown(TAPNAME, true);
	guest_tx(2, 34, 100);
	CHECK_EQ(packet_wait(ps, buf, sizeof(buf), 34), 100);
out:
	if (ps >= 0)
		close(ps);
	nd_ctx_teardown();
	/* The tap was ours: it went away with the device. */
	CHECK_EQ(if_nametoindex(TAPNAME), 0);
}

TEST(tap_fd_without_vnet_header)
{
	const char *why = no_taps();
	char opts[32];
	uint8_t buf[2000];
	int fd, ps = -1;
	uint64_t off;

	if (why != NULL)
		SKIP(why);
	fd = tap_open(TAPNAME, IFF_TAP | IFF_NO_PI);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	snprintf(opts, sizeof(opts), "fd=%d", fd);
	if (!start_dev(opts, VTNET_F_MAC)) {
		CHECK(0);
		goto out;
	}
	off = nd_offered(&d);
	CHECK(!(off & VTNET_F_CSUM));
	CHECK(!(off & VTNET_F_HOST_TSO4));
	link_updown(TAPNAME, true);
	ps = packet_socket(TAPNAME);
	guest_tx(0, 41, 120);
	CHECK_EQ(packet_wait(ps, buf, sizeof(buf), 41), 120);
out:
	if (ps >= 0)
		close(ps);
	nd_ctx_teardown();
	/* An inherited fd is not ours to close. */
	CHECK(fcntl(fd, F_GETFD) >= 0);
	close(fd);
}

TEST(wrong_fds)
{
	const char *why = no_taps();
	char arg[64], err[300];
	int tun, nopi;

	if (why != NULL)
		SKIP(why);
	tun = tap_open("ztunit1", IFF_TUN | IFF_NO_PI);
	nopi = tap_open("ztunit2", IFF_TAP);
	CHECK(tun >= 0 && nopi >= 0);
	nd_ctx_setup();
	snprintf(arg, sizeof(arg), "3,virtio-net,fd=%d", tun);
	CHECK_EQ(pci_parse_slot(arg), 0);
	CHECK(pci_init(&nd_ctx, err, sizeof(err)) != 0);
	CHECK(strstr(err, "a tun (IP-level) device, not a tap") != NULL);
	nd_ctx_teardown();
	/*
	 * Some kernels (6.18 here) report IFF_NO_PI in TUNGETIFF for a tap
	 * that does prepend packet information; only where the flag reads
	 * true can the device refuse such a tap.
	 */
	{
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		if (ioctl(nopi, TUNGETIFF, &ifr) == 0 &&
		    !(ifr.ifr_flags & IFF_NO_PI)) {
			nd_ctx_setup();
			snprintf(arg, sizeof(arg), "3,virtio-net,fd=%d", nopi);
			CHECK_EQ(pci_parse_slot(arg), 0);
			CHECK(pci_init(&nd_ctx, err, sizeof(err)) != 0);
			CHECK(strstr(err, "without IFF_NO_PI") != NULL);
			nd_ctx_teardown();
		} else {
			printf("    (TUNGETIFF does not report IFF_NO_PI "
			    "faithfully here: that check is not tested)\n");
		}
	}
	close(tun);
	close(nopi);
}

TEST(tap_deleted_in_use)
{
	const char *why = no_taps();
	struct vtnet_stats s;

	if (why != NULL)
		SKIP(why);
	if (system("command -v ip >/dev/null 2>&1") != 0)
		SKIP("no ip command (iproute2)");
	if (!start_dev(TAPNAME, VTNET_F_MAC | VTNET_F_STATUS)) {
		CHECK(0);
		goto out;
	}
	link_updown(TAPNAME, true);
	guest_rxbuf(0);
	CHECK_EQ(system("ip link del " TAPNAME), 0);
	/* The device notices, reports the link down, and does not spin. */
	CHECK(ND_WAIT_STAT(&d, rx_errors, 1));
	usleep(400000);
	s = nd_stats(&d);
	CHECK(s.rx_errors <= 5);
	CHECK_EQ(NR16(d.devcfg + 6), 0);
	guest_tx(0, 51, 100);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 1));
	CHECK_EQ(nd_stats(&d).tx_errors, 1);
	CHECK(!(nd_status(&d) & VIRTIO_S_NEEDS_RESET));
out:
	nd_ctx_teardown();
}

int
main(void)
{
	RUN(tap_by_name);
	RUN(tap_fd_without_vnet_header);
	RUN(wrong_fds);
	RUN(tap_deleted_in_use);
	TEST_SUMMARY();
}
