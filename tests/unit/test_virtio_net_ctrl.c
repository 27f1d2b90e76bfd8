/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for virtio-net's control queue, receive filter, options and
 * identity: rx mode and MAC table/address commands through the queue and
 * as a pure parser with hostile input; config space and features; the
 * deterministic MAC; -s parsing and every option error; vhost=on without
 * /dev/vhost-net.
 *
 * Threads: the main thread; the device's worker runs behind it.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "virtio_net_drv.h"

#define F_CTRL	(VTNET_F_MAC | VTNET_F_CTRL_VQ | VTNET_F_CTRL_RX | \
		 VTNET_F_CTRL_MAC_ADDR)

static const uint8_t other_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t new_mac[6] = { 0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE };
static const uint8_t bcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t mcast[6] = { 0x01, 0x00, 0x5E, 0x00, 0x00, 0x01 };
static const uint8_t mcast2[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

static struct ndev d;
static uint16_t ctl_head, rx_head;

static bool
setup(const char *extra, uint64_t want)
{
	char err[300] = "";

	ctl_head = rx_head = 0;
	if (nd_create(&d, true, extra, err, sizeof(err)) != 0) {
		printf("    setup: %s\n", err);
		return false;
	}
	return (nd_start(&d, want) & VIRTIO_S_DRIVER_OK) != 0;
}

#define CBUF(i)	(ND_BUF + 0x1000ULL * (uint64_t)(i))
#define RBUF(i)	(ND_BUF + 0x200000ULL + 0x1000ULL * (uint64_t)(i))

/* Send one command through the queue; returns the ack (or 0xFF). */
static uint8_t
ctrl(const uint8_t *cmd, size_t len)
{
	struct tq *q = &d.q[VTNET_CTLQ];
	uint16_t i = (uint16_t)((ctl_head * 2) % ND_QSIZE);
	uint8_t *ack = nd_g(CBUF(i + 1), 1);
	uint32_t id, ulen;

	memcpy(nd_g(CBUF(i), len), cmd, len);
	*ack = 0xFF;
	tq_desc(q, i, CBUF(i), (uint32_t)len, VRING_DESC_F_NEXT,
	    (uint16_t)(i + 1));
	tq_desc(q, (uint16_t)(i + 1), CBUF(i + 1), 1, VRING_DESC_F_WRITE, 0);
	tq_post(q, i);
	ctl_head++;
	nd_kick(&d, VTNET_CTLQ);
	if (!nd_wait_used(&d, VTNET_CTLQ, ctl_head))
		return 0xFF;
	if (tq_get_used(q, &id, &ulen) != 1 || id != i || ulen != 1)
		return 0xFE;
	return *ack;
}

static uint8_t
ctrl_rx(uint8_t cmd, uint8_t on)
{
	uint8_t c[3] = { VTNET_CTRL_RX, cmd, on };

	return ctrl(c, sizeof(c));
}

/* MAC_TABLE_SET with nuc unicast and nmc multicast entries. */
static uint8_t
ctrl_table(const uint8_t (*uc)[6], uint32_t nuc, const uint8_t (*mc)[6],
    uint32_t nmc)
{
	uint8_t c[2 + 8 + 6 * 8];
	size_t n = 0;

	c[n++] = VTNET_CTRL_MAC;
	c[n++] = VTNET_CTRL_MAC_TABLE_SET;
	tq_put32(c + n, nuc);
	n += 4;
	if (nuc > 0)
		memcpy(c + n, uc, 6 * (size_t)nuc);
	n += 6 * (size_t)nuc;
	tq_put32(c + n, nmc);
	n += 4;
	if (nmc > 0)
		memcpy(c + n, mc, 6 * (size_t)nmc);
	n += 6 * (size_t)nmc;
	return ctrl(c, n);
}

/* A frame to dst arrives from the host: was it delivered? */
static bool
delivered(const uint8_t *dst)
{
	uint8_t all[VTNET_HDR_LEN + 100];
	struct tq *q = &d.q[VTNET_RXQ];
	uint16_t before = tq_used_idx(q);
	uint64_t filtered = nd_stats(&d).rx_filtered;
	uint16_t i = (uint16_t)(rx_head++ % ND_QSIZE);
	double t0 = tq_now();

	tq_desc(q, i, RBUF(i), 2048, VRING_DESC_F_WRITE, 0);
	tq_post(q, i);
	nd_kick(&d, VTNET_RXQ);
	memset(all, 0, VTNET_HDR_LEN);
	nd_frame(all + VTNET_HDR_LEN, 100, dst, other_mac, 1);
	send(d.host, all, sizeof(all), 0);
	while (tq_now() - t0 < ND_WAIT_S) {
		if (tq_used_idx(q) != before) {
			uint32_t id, len;

			tq_get_used(q, &id, &len);
			return true;
		}
		if (nd_stats(&d).rx_filtered != filtered) {
			/* The buffer was not used: take the slot back. */
			rx_head--;
			d.q[VTNET_RXQ].avail_idx--;
			tq_set_avail_idx(q, d.q[VTNET_RXQ].avail_idx);
			return false;
		}
		usleep(200);
	}
	printf("    neither delivered nor filtered\n");
	return false;
}

TEST(identity_and_config_space)
{
	uint64_t f;

	if (!setup("", 0))
		goto out;
	CHECK_EQ(nd_cfgr(PCIR_VENDOR, 2), VIRTIO_VENDOR);
	CHECK_EQ(nd_cfgr(PCIR_DEVICE, 2), 0x1041);
	CHECK_EQ(nd_cfgr(PCIR_CLASS, 1), 0x02);
	CHECK_EQ(nd_cfgr(PCIR_SUBDEV, 2), VIRTIO_ID_NET);
	f = nd_offered(&d);
	CHECK(f & VIRTIO_F_VERSION_1);
	CHECK(f & VTNET_F_MAC);
	CHECK(f & VTNET_F_MTU);
	CHECK(f & VTNET_F_STATUS);
	CHECK(f & VTNET_F_CSUM);
	CHECK(f & VTNET_F_GUEST_CSUM);
	CHECK(f & VTNET_F_HOST_TSO4);
	CHECK(f & VTNET_F_HOST_TSO6);
	CHECK(f & VTNET_F_HOST_UFO);
	CHECK(f & VTNET_F_GUEST_TSO4);
	CHECK(f & VTNET_F_GUEST_UFO);
	CHECK(f & VTNET_F_MRG_RXBUF);
	CHECK(f & VTNET_F_CTRL_VQ);
	CHECK(f & VTNET_F_CTRL_RX);
	CHECK(f & VTNET_F_CTRL_MAC_ADDR);
	CHECK(!(f & (1ULL << 22)));		/* no MQ */
	CHECK(!(f & VTNET_F_HOST_ECN));
	CHECK_EQ(NR16(d.common + 0x12), VTNET_NQ);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(NR8(d.devcfg + (uint64_t)i), nd_mac[i]);
	CHECK_EQ(NR16(d.devcfg + 6), VTNET_S_LINK_UP);
	CHECK_EQ(NR16(d.devcfg + 8), 1);
	CHECK_EQ(NR16(d.devcfg + 10), 1500);
	/* The config space is read-only for the driver. */
	NW8(d.devcfg, 0x00);
	CHECK_EQ(NR8(d.devcfg), nd_mac[0]);
	nd_destroy(&d);

	if (!setup(",mtu=9000", 0))
		goto out;
	CHECK_EQ(NR16(d.devcfg + 10), 9000);
out:
	nd_destroy(&d);
}

TEST(rx_mode_and_mac_tables)
{
	if (!setup("", F_CTRL))
		goto out;
	/* Until the driver says otherwise, everything comes in. */
	CHECK(delivered(other_mac));
	CHECK_EQ(ctrl_rx(VTNET_CTRL_RX_PROMISC, 0), VTNET_CTRL_OK);
	CHECK(delivered(nd_mac));
	CHECK(delivered(bcast));
	CHECK(!delivered(other_mac));
	CHECK(!delivered(mcast));
	CHECK_EQ(nd_stats(&d).rx_filtered, 2);
	/* Tables: one unicast, one multicast address. */
	CHECK_EQ(ctrl_table(&other_mac, 1, &mcast, 1), VTNET_CTRL_OK);
	CHECK(delivered(other_mac));
	CHECK(delivered(mcast));
	CHECK(!delivered(mcast2));
	CHECK_EQ(ctrl_rx(VTNET_CTRL_RX_ALLMULTI, 1), VTNET_CTRL_OK);
	CHECK(delivered(mcast2));
	CHECK_EQ(ctrl_rx(VTNET_CTRL_RX_ALLMULTI, 0), VTNET_CTRL_OK);
	CHECK_EQ(ctrl_table(NULL, 0, NULL, 0), VTNET_CTRL_OK);
	CHECK(!delivered(other_mac));
	CHECK(!delivered(mcast));
	CHECK_EQ(ctrl_rx(VTNET_CTRL_RX_PROMISC, 1), VTNET_CTRL_OK);
	CHECK(delivered(other_mac));
out:
	nd_destroy(&d);
}

TEST(mac_addr_set)
{
	uint8_t c[8] = { VTNET_CTRL_MAC, VTNET_CTRL_MAC_ADDR_SET };
	uint8_t all[VTNET_HDR_LEN + 100];
	struct tq *q;

	if (!setup("", F_CTRL))
		goto out;
	CHECK_EQ(ctrl_rx(VTNET_CTRL_RX_PROMISC, 0), VTNET_CTRL_OK);
	memcpy(c + 2, new_mac, 6);
	CHECK_EQ(ctrl(c, 8), VTNET_CTRL_OK);
	/* The filter follows the new address... */
	CHECK(delivered(new_mac));
	CHECK(!delivered(nd_mac));
	/* ...but transmitting from it is spoofing (configured MAC only). */
	q = &d.q[VTNET_TXQ];
	memset(all, 0, sizeof(all));
	nd_frame(all + VTNET_HDR_LEN, 100, bcast, new_mac, 2);
	memcpy(nd_g(CBUF(100), sizeof(all)), all, sizeof(all));
	tq_desc(q, 0, CBUF(100), sizeof(all), 0, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_TXQ);
	CHECK(nd_wait_used(&d, VTNET_TXQ, 1));
	CHECK_EQ(nd_stats(&d).tx_spoofed, 1);
	/* A multicast address is refused. */
	memcpy(c + 2, mcast, 6);
	CHECK_EQ(ctrl(c, 8), VTNET_CTRL_ERR);
	/* Reset: the configured address again. */
	NW8(d.common + 0x14, 0);
	ctl_head = rx_head = 0;
	CHECK(nd_start(&d, F_CTRL) & VIRTIO_S_DRIVER_OK);
	CHECK_EQ(ctrl_rx(VTNET_CTRL_RX_PROMISC, 0), VTNET_CTRL_OK);
	CHECK(delivered(nd_mac));
	CHECK(!delivered(new_mac));
out:
	nd_destroy(&d);
}

TEST(ctrl_errors_through_the_queue)
{
	uint8_t bad1[3] = { VTNET_CTRL_RX, 7, 1 };		/* no such cmd */
	uint8_t bad2[4] = { VTNET_CTRL_RX, 0, 1, 1 };		/* too long */
	uint8_t bad3[3] = { 9, 0, 0 };				/* class */
	uint8_t bad4[2] = { 4, 0 };				/* MQ */

	if (!setup("", F_CTRL))
		goto out;
	CHECK_EQ(ctrl(bad1, sizeof(bad1)), VTNET_CTRL_ERR);
	CHECK_EQ(ctrl(bad2, sizeof(bad2)), VTNET_CTRL_ERR);
	CHECK_EQ(ctrl(bad3, sizeof(bad3)), VTNET_CTRL_ERR);
	CHECK_EQ(ctrl(bad4, sizeof(bad4)), VTNET_CTRL_ERR);
	CHECK_EQ(nd_stats(&d).ctrl_errors, 4);
	CHECK(!(nd_status(&d) & VIRTIO_S_NEEDS_RESET));
	nd_destroy(&d);

	/* Without CTRL_RX negotiated, rx mode commands fail. */
	if (!setup("", VTNET_F_CTRL_VQ))
		goto out;
	CHECK_EQ(ctrl_rx(VTNET_CTRL_RX_PROMISC, 0), VTNET_CTRL_ERR);
	nd_destroy(&d);

	/* A command with no writable ack byte breaks the queue. */
	if (!setup("", F_CTRL))
		goto out;
	{
		struct tq *q = &d.q[VTNET_CTLQ];

		memcpy(nd_g(CBUF(0), 3), bad1, 3);
		tq_desc(q, 0, CBUF(0), 3, 0, 0);
		tq_post(q, 0);
		nd_kick(&d, VTNET_CTLQ);
		CHECK(nd_wait_needs_reset(&d));
	}
	nd_destroy(&d);

	/* Only the ack, no command. */
	if (!setup("", F_CTRL))
		goto out;
	{
		struct tq *q = &d.q[VTNET_CTLQ];

		tq_desc(q, 0, CBUF(0), 1, VRING_DESC_F_NEXT, 1);
		tq_desc(q, 1, CBUF(1), 1, VRING_DESC_F_WRITE, 0);
		tq_post(q, 0);
		nd_kick(&d, VTNET_CTLQ);
		CHECK(nd_wait_needs_reset(&d));
	}
out:
	nd_destroy(&d);
}

/* The parser alone, with hostile tables. */
TEST(ctrl_exec_hostile_tables)
{
	const uint64_t feat = F_CTRL;
	struct vtnet_filter f;
	uint8_t c[2 + 8 + 6 * 70];

	vtnet_filter_reset(&f, nd_mac);
	/* Counts that overflow 32-bit arithmetic, in a buffer just as big
	 * as the command (ASan sees any read past it). */
	{
		uint8_t *s = malloc(10);

		s[0] = VTNET_CTRL_MAC;
		s[1] = VTNET_CTRL_MAC_TABLE_SET;
		tq_put32(s + 2, 0xFFFFFFFFu);
		tq_put32(s + 6, 0);
		CHECK_EQ(vtnet_ctrl_exec(&f, feat, s, 10), VTNET_CTRL_ERR);
		tq_put32(s + 2, 0x2AAAAAABu);	/* * 6 wraps to 2 */
		CHECK_EQ(vtnet_ctrl_exec(&f, feat, s, 10), VTNET_CTRL_ERR);
		free(s);
	}
	c[0] = VTNET_CTRL_MAC;
	c[1] = VTNET_CTRL_MAC_TABLE_SET;
	/* Truncated: the multicast count is missing. */
	tq_put32(c + 2, 0);
	CHECK_EQ(vtnet_ctrl_exec(&f, feat, c, 6), VTNET_CTRL_ERR);
	/* Trailing bytes after both tables. */
	tq_put32(c + 6, 0);
	CHECK_EQ(vtnet_ctrl_exec(&f, feat, c, 11), VTNET_CTRL_ERR);
	CHECK_EQ(vtnet_ctrl_exec(&f, feat, c, 10), VTNET_CTRL_OK);
	/* A failed command leaves the filter as it was. */
	f.promisc = false;
	tq_put32(c + 2, 1);
	memcpy(c + 6, other_mac, 6);
	tq_put32(c + 12, 5);			/* 5 entries, none there */
	CHECK_EQ(vtnet_ctrl_exec(&f, feat, c, 16), VTNET_CTRL_ERR);
	CHECK_EQ(f.nuc, 0);
	CHECK(!vtnet_filter_accept(&f, other_mac));
	/* 70 unicast entries: the table overflows into "accept all". */
	tq_put32(c + 2, 70);
	for (int i = 0; i < 70; i++) {
		memcpy(c + 6 + 6 * i, other_mac, 6);
		c[6 + 6 * i + 5] = (uint8_t)i;
	}
	tq_put32(c + 6 + 6 * 70, 0);
	CHECK_EQ(vtnet_ctrl_exec(&f, feat, c, 2 + 8 + 6 * 70),
	    VTNET_CTRL_OK);
	CHECK_EQ(f.nuc, VTNET_MACTAB);
	CHECK(f.uc_overflow);
	CHECK(vtnet_filter_accept(&f, new_mac));
	CHECK(!vtnet_filter_accept(&f, mcast));
	/* Short commands. */
	CHECK_EQ(vtnet_ctrl_exec(&f, feat, c, 0), VTNET_CTRL_ERR);
	CHECK_EQ(vtnet_ctrl_exec(&f, feat, c, 1), VTNET_CTRL_ERR);
	c[0] = VTNET_CTRL_MAC;
	c[1] = VTNET_CTRL_MAC_ADDR_SET;
	CHECK_EQ(vtnet_ctrl_exec(&f, feat, c, 7), VTNET_CTRL_ERR);
	CHECK_EQ(vtnet_ctrl_exec(&f, VTNET_F_CTRL_VQ, c, 8), VTNET_CTRL_ERR);
}

TEST(generated_mac)
{
	uint8_t a[6], b[6], c[6], e[6];

	vtnet_gen_mac("vm0", 0, 3, 0, a);
	vtnet_gen_mac("vm0", 0, 3, 0, b);
	vtnet_gen_mac("vm0", 0, 4, 0, c);
	vtnet_gen_mac("vm1", 0, 3, 0, e);
	CHECK(memcmp(a, b, 6) == 0);
	CHECK(memcmp(a, c, 6) != 0);
	CHECK(memcmp(a, e, 6) != 0);
	CHECK_EQ(a[0] & 3, 2);			/* local, unicast */
	CHECK_EQ(c[0] & 3, 2);
	CHECK_EQ(e[0] & 3, 2);
	/* Many names: always local and unicast. */
	for (int i = 0; i < 200; i++) {
		char name[16];

		snprintf(name, sizeof(name), "guest%d", i);
		vtnet_gen_mac(name, 0, i % 32, 0, a);
		CHECK_EQ(a[0] & 3, 2);
	}
	/* Without mac=, the device uses the generated one for its slot. */
	{
		char err[300];
		int sv[2];

		nd_ctx_setup();
		CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
		net_backend_test_sockets(true, true);
		snprintf(err, sizeof(err), "3,virtio-net,fd=%d", sv[0]);
		CHECK_EQ(pci_parse_slot(err), 0);
		CHECK_EQ(pci_init(&nd_ctx, err, sizeof(err)), 0);
		vtnet_gen_mac("vnet", 0, ND_SLOT, 0, b);
		for (int i = 0; i < 6; i++)
			CHECK_EQ(nd_mmio(nd_bar(0) + 0x2000 + (uint64_t)i, 1,
			    false, 0), b[i]);
		{
			struct pci_devinst *pi = pci_find_device(0, ND_SLOT, 0);

			if (pi != NULL)
				virtio_pci_destroy(pi);
		}
		nd_ctx_teardown();
		net_backend_test_sockets(false, false);
		close(sv[0]);
		close(sv[1]);
	}
}

TEST(parse_mac)
{
	uint8_t m[6];

	CHECK_EQ(vtnet_parse_mac("52:54:00:ab:CD:ef", m), 0);
	CHECK_EQ(m[0], 0x52);
	CHECK_EQ(m[3], 0xAB);
	CHECK_EQ(m[5], 0xEF);
	CHECK_EQ(vtnet_parse_mac("52-54-00-ab-cd-ef", m), 0);
	CHECK_EQ(vtnet_parse_mac("52:54-00:ab:cd:ef", m), -1);
	CHECK_EQ(vtnet_parse_mac("52:54:00:ab:cd", m), -1);
	CHECK_EQ(vtnet_parse_mac("52:54:00:ab:cd:ef:01", m), -1);
	CHECK_EQ(vtnet_parse_mac("5:54:00:ab:cd:ef", m), -1);
	CHECK_EQ(vtnet_parse_mac("xx:54:00:ab:cd:ef", m), -1);
	CHECK_EQ(vtnet_parse_mac("", m), -1);
}

/* Build a device from an -s tail; the pci_init error (or "" on success). */
static const char *
try_init(const char *opts, int *parse_rc)
{
	static char err[300];
	char arg[256];
	struct pci_devinst *pi;

	err[0] = '\0';
	nd_ctx_setup();
	snprintf(arg, sizeof(arg), "3,virtio-net%s", opts);
	*parse_rc = pci_parse_slot(arg);
	if (*parse_rc == 0 && pci_init(&nd_ctx, err, sizeof(err)) == 0)
		err[0] = '\0';
	pi = pci_find_device(0, 3, 0);
	if (pi != NULL && pi->pi_arg != NULL)
		virtio_pci_destroy(pi);
	nd_ctx_teardown();
	return err;
}

static void
expect_error(const char *opts, const char *want)
{
	int prc;
	const char *e = try_init(opts, &prc);

	if (prc != 0) {
		printf("    %s: -s refused\n", opts);
		CHECK(0);
		return;
	}
	if (strstr(e, want) == NULL) {
		printf("    %s: error \"%s\" lacks \"%s\"\n", opts, e, want);
		CHECK(0);
	}
}

TEST(option_errors)
{
	char opts[128];
	int sv[2], pfd[2], prc;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	CHECK_EQ(pipe(pfd), 0);
	net_backend_test_sockets(true, true);
	expect_error("", "no backend");
	snprintf(opts, sizeof(opts), ",tap0,fd=%d", sv[0]);
	expect_error(opts, "not both");
	expect_error(",fd=abc", "fd: 'abc'");
	expect_error(",fd=-1", "fd: '-1'");
	expect_error(",fd=999999", "fd=999999: not an open file descriptor");
	snprintf(opts, sizeof(opts), ",fd=%d", pfd[0]);
	expect_error(opts, "not a tap device");
	expect_error(",a/b", "not a valid interface name");
	expect_error(",tap%d", "not a valid interface name");
	expect_error(",abcdefghijklmnopq", "not a valid interface name");
	snprintf(opts, sizeof(opts), ",fd=%d,mac=01:00:5e:00:00:01", sv[0]);
	expect_error(opts, "multicast");
	snprintf(opts, sizeof(opts), ",fd=%d,mac=00:00:00:00:00:00", sv[0]);
	expect_error(opts, "mac: 00:00:00:00:00:00");
	snprintf(opts, sizeof(opts), ",fd=%d,mac=52:54:00", sv[0]);
	expect_error(opts, "mac: '52:54:00' is not a MAC address");
	snprintf(opts, sizeof(opts), ",fd=%d,mtu=67", sv[0]);
	expect_error(opts, "mtu: '67'");
	snprintf(opts, sizeof(opts), ",fd=%d,mtu=65536", sv[0]);
	expect_error(opts, "mtu: '65536'");
	snprintf(opts, sizeof(opts), ",fd=%d,vhost=maybe", sv[0]);
	expect_error(opts, "vhost");
	snprintf(opts, sizeof(opts), ",fd=%d,allow_mac_spoofing=2", sv[0]);
	expect_error(opts, "allow_mac_spoofing");
	snprintf(opts, sizeof(opts), ",fd=%d,vhots=on", sv[0]);
	expect_error(opts, "unknown option 'vhots'");
	/* A malformed -s tail is refused by the parser itself. */
	try_init(",tap0,=x", &prc);
	CHECK(prc != 0);
	/* Good ones. */
	snprintf(opts, sizeof(opts), ",fd=%d,mac=52:54:00:00:00:01,mtu=9000,"
	    "allow_mac_spoofing=false", sv[0]);
	CHECK_STR(try_init(opts, &prc), "");
	CHECK_EQ(prc, 0);
	/* A pipe is not a tap even when tests allow sockets: tap check. */
	net_backend_test_sockets(false, false);
	snprintf(opts, sizeof(opts), ",fd=%d", sv[0]);
	expect_error(opts, "not a tap device");
	close(sv[0]);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
}

TEST(legacy_syntax)
{
	const char *v;

	config_init();
	CHECK_EQ(pci_parse_slot("4,virtio-net,tap7,mac=52:54:00:00:00:07,"
	    "vhost=on,allow_mac_spoofing"), 0);
	v = config_get("pci.0.4.0.backend");
	CHECK_STR(v, "tap7");
	CHECK_STR(config_get("pci.0.4.0.mac"), "52:54:00:00:00:07");
	CHECK_STR(config_get("pci.0.4.0.vhost"), "on");
	CHECK_STR(config_get("pci.0.4.0.allow_mac_spoofing"), "true");
	CHECK_STR(config_get("pci.0.4.0.device"), "virtio-net");
	CHECK_EQ(pci_parse_slot("5,virtio-net,fd=9,mtu=1400"), 0);
	CHECK_STR(config_get("pci.0.5.0.fd"), "9");
	CHECK(config_get_raw("pci.0.5.0.backend") == NULL);
	CHECK_EQ(pci_parse_slot("6,virtio-net,backend=tap9"), 0);
	CHECK_STR(config_get("pci.0.6.0.backend"), "tap9");
	CHECK_EQ(pci_parse_slot("7,virtio-net"), 0);
	/* A bad key after the name: nothing is written. */
	CHECK(pci_parse_slot("8,virtio-net,tap8,=bad") != 0);
	CHECK(config_get_raw("pci.0.8.0.backend") == NULL);
	config_fini();
}

TEST(vhost_unavailable_falls_back)
{
	uint8_t all[VTNET_HDR_LEN + 60], got[200];
	struct tq *q;

	if (access(VHOST_PATH_DEFAULT, F_OK) == 0)
		SKIP("this host has /dev/vhost-net");
	if (!setup(",vhost=on", VTNET_F_MAC))
		goto out;
	/* The userspace path carries the frame. */
	q = &d.q[VTNET_TXQ];
	memset(all, 0, sizeof(all));
	nd_frame(all + VTNET_HDR_LEN, 60, bcast, nd_mac, 3);
	memcpy(nd_g(CBUF(0), sizeof(all)), all, sizeof(all));
	tq_desc(q, 0, CBUF(0), sizeof(all), 0, 0);
	tq_post(q, 0);
	nd_kick(&d, VTNET_TXQ);
	CHECK_EQ(nd_host_recv(&d, got, sizeof(got), 5000), (ssize_t)sizeof(all));
out:
	nd_destroy(&d);
}

int
main(void)
{
	RUN(identity_and_config_space);
	RUN(rx_mode_and_mac_tables);
	RUN(mac_addr_set);
	RUN(ctrl_errors_through_the_queue);
	RUN(ctrl_exec_hostile_tables);
	RUN(generated_mac);
	RUN(parse_mac);
	RUN(option_errors);
	RUN(legacy_syntax);
	RUN(vhost_unavailable_falls_back);
	TEST_SUMMARY();
}
