/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for virtio-net's transmit path (virtio_net_rxtx.c):
 * the chain walker, the header and frame checks, the anti-spoofing check
 * and the frame sent to the backend.
 *
 * The input becomes a guest's transmit ring: byte 0 picks the queue size,
 * byte 1 the negotiated offloads and device options (CSUM, TSO4/6, UFO,
 * MTU, INDIRECT_DESC, allow_mac_spoofing, a tap with or without the
 * virtio-net header), bytes 2..3 the avail index, and the rest fills guest
 * memory from the descriptor table on.  With the "fold" bit, descriptors
 * are pointed into the fuzzed window so headers and frames come from the
 * input too.  The backend is a datagram socketpair.
 *
 * The oracle: every frame that reaches the backend must obey the rules
 * the device enforces (a header the negotiated features allow, no
 * num_buffers, at least an Ethernet header, within the size limits, the
 * device's own source MAC unless spoofing is allowed); anything else
 * aborts.  Buffers outside guest RAM are caught by the walker or by ASan.
 *
 * Threads: single-threaded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "virtio_net.h"
#include "vmm.h"

#define MEMSIZE		(16u << 20)
#define RING_GPA	0x1000
#define WINDOW		0x1F000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm *vm;
static uint8_t *ram;
static int sv[2] = { -1, -1 };
static struct vtnet_softc sc;
static uint8_t frame[128 * 1024];
static const uint8_t own[6] = { 0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC };

static void
setup_once(void)
{
	char err[128];
	int big = 4 << 20;

	if (vm != NULL)
		return;
	vm = vm_create_fake("fuzz");
	if (vm == NULL || vm_setup_memory(vm, MEMSIZE, MEMSIZE, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: guest memory: %s\n", err);
		abort();
	}
	ram = vm_map_gpa(vm, 0, MEMSIZE);
	/* Non-blocking, as the device's backend is: a full socket is EAGAIN. */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) != 0)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	sc.bounce = NULL;
}

static void
on_broken(struct vqueue *vq, const char *why)
{
	(void)vq;
	(void)why;
}

static void
fold_descs(uint16_t qsize)
{
	for (unsigned i = 0; i < qsize; i++) {
		uint8_t *d = ram + RING_GPA + 16 * i;
		uint64_t a;
		uint32_t l;

		memcpy(&a, d, 8);
		memcpy(&l, d + 8, 4);
		a = RING_GPA + a % WINDOW;
		l &= 0x1FFF;
		memcpy(d, &a, 8);
		memcpy(d + 8, &l, 4);
	}
}

/* What the backend got must be something the device may send. */
static void
check_sent(bool vnet)
{
	size_t hl = vnet ? VTNET_HDR_LEN : 0;
	ssize_t n;

	while ((n = recv(sv[1], frame, sizeof(frame), MSG_DONTWAIT)) >= 0) {
		size_t flen;

		if ((size_t)n < hl + VTNET_ETH_HLEN)
			abort();
		flen = (size_t)n - hl;
		if (flen > VTNET_TX_MAX_FRAME)
			abort();
		if (vnet && (frame[10] != 0 || frame[11] != 0 ||
		    !vtnet_tx_hdr_ok(sc.feat, sc.mtu, true, frame, flen)))
			abort();
		if (!sc.allow_spoof && memcmp(frame + hl + 6, own, 6) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t fbits[] = {
		VTNET_F_CSUM, VTNET_F_HOST_TSO4, VTNET_F_HOST_TSO6,
		VTNET_F_HOST_UFO, VTNET_F_MTU, VIRTIO_F_INDIRECT_DESC,
	};
	struct vqueue vq;
	uint16_t qsize, aidx;
	char err[200];
	bool vnet;

	setup_once();
	if (size < 4)
		return 0;
	qsize = (uint16_t)(1u << (data[0] % 9));	/* 1..256 */
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.vs.vs_name, sizeof(sc.vs.vs_name), "fuzz");
	for (size_t i = 0; i < sizeof(fbits) / sizeof(fbits[0]); i++)
		if (data[1] & (1u << i))
			sc.feat |= fbits[i];
	sc.allow_spoof = (data[1] & 0x40) != 0;
	vnet = (data[1] & 0x80) != 0;
	sc.be.fd = sv[0];
	sc.be.vnet_hdr = vnet;
	sc.be.hdr_len = vnet ? VTNET_HDR_LEN : 0;
	snprintf(sc.be.ifname, sizeof(sc.be.ifname), "fuzz");
	memcpy(sc.mac_cfg, own, 6);
	sc.mtu = (uint16_t)(68 + (data[2] * 37) % 9000);
	sc.epfd = sc.timerfd = -1;
	sc.logged_spoof = sc.logged_txerr = true;	/* no log spam */
	aidx = (uint16_t)(data[2] | data[3] << 8);

	memset(ram + RING_GPA, 0, WINDOW);
	memcpy(ram + RING_GPA, data + 4,
	    size - 4 < WINDOW ? size - 4 : WINDOW);
	if (data[3] & 0x80)
		fold_descs(qsize);

	vq_init(&vq, vm, VTNET_TXQ, 256);
	vq.vq_on_broken = on_broken;
	vq.vq_size = qsize;
	vq.vq_desc_gpa = RING_GPA;
	vq.vq_avail_gpa = RING_GPA + 16ULL * qsize;
	vq.vq_used_gpa = (vq.vq_avail_gpa + 6 + 2ULL * qsize + 3) & ~3ULL;
	/* The avail index comes from the input, not the memory image. */
	memcpy(ram + vq.vq_avail_gpa + 2, &aidx, 2);
	if (vq_map(&vq, sc.feat | VIRTIO_F_EVENT_IDX, err, sizeof(err)) != 0)
		return 0;
	(void)vtnet_tx_process(&sc, &vq, 300);
	check_sent(vnet);
	/* Every used entry names a head inside the ring. */
	for (uint16_t i = 0; i < vq.vq_used_idx && i < qsize; i++) {
		uint32_t id;

		memcpy(&id, ram + vq.vq_used_gpa + 4 + 8 * i, 4);
		if (id >= qsize)
			abort();
	}
	return 0;
}
