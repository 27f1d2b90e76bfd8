/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net userspace data path: transmit on kicks, receive from the tap,
 * the receive filter, and publishing merged receive buffers.  See
 * virtio_net.h for the frame format and the checks.
 *
 * Transmit: the header and the Ethernet header are copied out of guest
 * memory once, checked, and sent from that copy; the payload goes to the
 * tap straight from guest memory (one writev per frame).  Whatever the
 * guest writes into the buffer meanwhile cannot change what was checked.
 *
 * Receive: one readv into [header copy][first chain after its header]
 * [bounce buffer]; a frame that does not fit the first chain continues in
 * further chains (MRG_RXBUF) copied from the bounce buffer, and all of its
 * used entries become visible with one used->idx store.
 *
 * Threads: the device's worker thread (and the TX fuzz target).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include "virtio_net.h"

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static const char *
mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
	return buf;
}

/*
 * dst = the part of src[0..n) from byte `off` on; at most cap entries.
 * Returns the count, or -1 if it does not fit (cannot happen for a chain
 * the walker accepted: it has at most VTNET_QSIZE buffers).
 */
static int
iov_from(const struct iovec *src, int n, size_t off, struct iovec *dst,
    int cap)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		size_t l = src[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		if (k >= cap)
			return -1;
		dst[k].iov_base = (uint8_t *)src[i].iov_base + off;
		dst[k].iov_len = l - off;
		off = 0;
		k++;
	}
	return k;
}

/* dst = the first `len` bytes of src[0..n); at most cap entries. */
static int
iov_upto(const struct iovec *src, int n, size_t len, struct iovec *dst,
    int cap)
{
	int k = 0;

	for (int i = 0; i < n && len > 0 && k < cap; i++) {
		size_t c = src[i].iov_len < len ? src[i].iov_len : len;

		dst[k].iov_base = src[i].iov_base;
		dst[k].iov_len = c;
		len -= c;
		k++;
	}
	return k;
}

/* --- used ring ------------------------------------------------------------------ */

/*
 * Publish n used entries with a single used->idx store, so the driver
 * never sees the first buffers of a merged frame without the rest (it
 * would drop the frame: "buffers missing").  The core's vq_relchain()
 * bumps the index per entry; this writes the entries the same way and the
 * index once (see the used ring layout in virtio.h).
 */
void
vtnet_used_batch(struct vqueue *vq, const struct vtnet_used *u, int n)
{
	uint16_t idx = vq->vq_used_idx;

	if (n == 1) {
		vq_relchain(vq, (uint16_t)u[0].id, u[0].len);
		return;
	}
	if (vq->vq_used == NULL || n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		/* vq_size is a power of two (vq_map): the slot is in the ring. */
		uint8_t *e = vq->vq_used + 4 + 8 * (size_t)((uint16_t)(idx + i) &
		    (vq->vq_size - 1));

		__atomic_store_n((uint32_t *)(void *)e, u[i].id,
		    __ATOMIC_RELAXED);
		__atomic_store_n((uint32_t *)(void *)(e + 4), u[i].len,
		    __ATOMIC_RELAXED);
	}
	vq->vq_used_idx = (uint16_t)(idx + n);
	__atomic_store_n((uint16_t *)(void *)(vq->vq_used + 2), vq->vq_used_idx,
	    __ATOMIC_RELEASE);
}

/* --- transmit -------------------------------------------------------------------- */

bool
vtnet_tx_hdr_ok(uint64_t feat, uint16_t mtu, bool vnet_hdr,
    const uint8_t hdr[VTNET_HDR_LEN], size_t framelen)
{
	uint8_t flags = hdr[0], gso = hdr[1];
	uint64_t need;

	/* DATA_VALID and anything else is not the driver's to set. */
	if (flags & ~VTNET_HDR_F_NEEDS_CSUM)
		return false;
	if (flags & VTNET_HDR_F_NEEDS_CSUM) {
		if (!vnet_hdr || !(feat & VTNET_F_CSUM))
			return false;
		/* The checksum field lies inside the frame. */
		if ((size_t)le16(hdr + 6) + le16(hdr + 8) + 2 > framelen)
			return false;
	}
	switch (gso & ~VTNET_GSO_ECN) {
	case VTNET_GSO_NONE:
		if (gso & VTNET_GSO_ECN)
			return false;
		/* One frame: the device MTU plus MAC and VLAN headers. */
		return framelen <= ((feat & VTNET_F_MTU) ? (size_t)mtu + 18 :
		    (size_t)VTNET_TX_MAX_FRAME);
	case VTNET_GSO_TCPV4:
		need = VTNET_F_HOST_TSO4;
		break;
	case VTNET_GSO_TCPV6:
		need = VTNET_F_HOST_TSO6;
		break;
	case VTNET_GSO_UDP:
		need = VTNET_F_HOST_UFO;
		break;
	default:
		return false;
	}
	if (!vnet_hdr || !(feat & need))
		return false;
	if ((gso & VTNET_GSO_ECN) && !(feat & VTNET_F_HOST_ECN))
		return false;
	return le16(hdr + 4) != 0;	/* gso_size */
}

enum { TX_SENT, TX_DROP, TX_AGAIN, TX_BROKEN };

static int
tx_chain(struct vtnet_softc *sc, struct vqueue *vq, const struct vq_chain *ch)
{
	uint8_t head[VTNET_HDR_LEN + VTNET_ETH_HLEN];
	const uint8_t *src;
	char a[20], b[20];
	size_t framelen;
	ssize_t r;
	int n = 0, k;

	if (ch->nread != ch->niov) {
		vq_set_broken(vq, "queue %d: transmit chain %u has "
		    "device-writable buffers", vq->vq_num, ch->head);
		return TX_BROKEN;
	}
	if (ch->rlen < VTNET_HDR_LEN) {
		vq_set_broken(vq, "queue %d: transmit chain %u has %llu bytes, "
		    "less than the %d-byte header", vq->vq_num, ch->head,
		    (unsigned long long)ch->rlen, VTNET_HDR_LEN);
		return TX_BROKEN;
	}
	framelen = ch->rlen - VTNET_HDR_LEN;
	if (framelen < VTNET_ETH_HLEN || framelen > VTNET_TX_MAX_FRAME) {
		VTNET_COUNT(sc, tx_bad, 1);
		return TX_DROP;
	}
	/* ch->niov <= VTNET_QSIZE: the walker's cap. */
	iov_to_buf(sc->iov, ch->niov, 0, head, sizeof(head));
	if (!vtnet_tx_hdr_ok(sc->feat, sc->mtu, sc->be.vnet_hdr, head,
	    framelen)) {
		VTNET_COUNT(sc, tx_bad, 1);
		return TX_DROP;
	}
	src = head + VTNET_HDR_LEN + 6;
	if (!sc->allow_spoof && memcmp(src, sc->mac_cfg, 6) != 0) {
		VTNET_COUNT(sc, tx_spoofed, 1);
		if (!sc->logged_spoof) {
			sc->logged_spoof = true;
			fprintf(stderr, "zhyve: %s: dropping frames with source "
			    "MAC %s (the device's is %s; allow_mac_spoofing "
			    "permits them); further drops are only counted\n",
			    sc->vs.vs_name, mac_str(src, a, sizeof(a)),
			    mac_str(sc->mac_cfg, b, sizeof(b)));
		}
		return TX_DROP;
	}
	if (sc->be.vnet_hdr) {
		head[10] = head[11] = 0;	/* num_buffers: receive only */
		sc->xiov[n].iov_base = head;
		sc->xiov[n++].iov_len = VTNET_HDR_LEN;
	}
	sc->xiov[n].iov_base = head + VTNET_HDR_LEN;
	sc->xiov[n++].iov_len = VTNET_ETH_HLEN;
	k = iov_from(sc->iov, ch->niov, VTNET_HDR_LEN + VTNET_ETH_HLEN,
	    sc->xiov + n, VTNET_QSIZE + 4 - n);
	if (k < 0) {
		VTNET_COUNT(sc, tx_bad, 1);
		return TX_DROP;
	}
	r = net_backend_send(&sc->be, sc->xiov, n + k);
	if (r < 0) {
		if (errno == EAGAIN)
			return TX_AGAIN;
		VTNET_COUNT(sc, tx_errors, 1);
		if (!sc->logged_txerr) {
			sc->logged_txerr = true;
			fprintf(stderr, "zhyve: %s: %s: send: %s; frames are "
			    "dropped and counted\n", sc->vs.vs_name,
			    sc->be.ifname, strerror(errno));
		}
		return TX_DROP;
	}
	sc->logged_txerr = false;
	VTNET_COUNT(sc, tx_frames, 1);
	VTNET_COUNT(sc, tx_bytes, framelen);
	return TX_SENT;
}

int
vtnet_tx_process(struct vtnet_softc *sc, struct vqueue *vq, int budget)
{
	struct vq_chain ch;
	int done = 0, r;

	while (done < budget && !sc->tx_wait) {
		r = vq_getchain(vq, &ch, sc->iov, VTNET_QSIZE);
		if (r == 0) {
			/* Empty: ask for kicks, and look once more. */
			if (!vq_kicks_on(vq))
				break;
			continue;
		}
		if (r < 0)
			break;
		switch (tx_chain(sc, vq, &ch)) {
		case TX_AGAIN:
			/* The backend is full: keep the chain for EPOLLOUT. */
			vq_retchain(vq);
			sc->tx_wait = true;
			vtnet_watch_update(sc);
			return done;
		case TX_BROKEN:
			return done;
		default:
			vq_relchain(vq, ch.head, 0);
			done++;
			break;
		}
	}
	return done;
}

void
vtnet_tx_notify(struct vtnet_softc *sc)
{
	struct vqueue *vq = &sc->vs.vs_queues[VTNET_TXQ];

	if (!sc->started || !vq_ready(vq))
		return;
	/* Budget spent: come back after other work (the kick fd is ours). */
	if (vtnet_tx_process(sc, vq, VTNET_BUDGET) >= VTNET_BUDGET &&
	    vq->vq_kickfd >= 0)
		(void)eventfd_write(vq->vq_kickfd, 1);
	if (vq_need_interrupt(vq))
		virtio_vq_interrupt(&sc->vs, vq);
}

/* --- receive ---------------------------------------------------------------------- */

bool
vtnet_filter_accept(const struct vtnet_filter *f, const uint8_t dst[6])
{
	static const uint8_t bcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

	if (f->promisc)
		return true;
	if (dst[0] & 1) {
		if (memcmp(dst, bcast, 6) == 0 || f->allmulti || f->mc_overflow)
			return true;
		/* nmc <= VTNET_MACTAB (vtnet_ctrl_exec). */
		for (int i = 0; i < f->nmc; i++)
			if (memcmp(dst, f->mc[i], 6) == 0)
				return true;
		return false;
	}
	if (memcmp(dst, f->mac, 6) == 0 || f->uc_overflow)
		return true;
	for (int i = 0; i < f->nuc; i++)
		if (memcmp(dst, f->uc[i], 6) == 0)
			return true;
	return false;
}

/* What the tap put in the header, made fit for what the guest accepted. */
static bool
rx_hdr_fix(uint64_t feat, uint8_t *hdr)
{
	uint8_t gso = hdr[1];
	bool ok;

	if (!(feat & VTNET_F_GUEST_CSUM)) {
		if (hdr[0] & VTNET_HDR_F_NEEDS_CSUM)
			return false;
		hdr[0] = 0;
	}
	hdr[0] &= VTNET_HDR_F_NEEDS_CSUM | VTNET_HDR_F_DATA_VALID;
	switch (gso & ~VTNET_GSO_ECN) {
	case VTNET_GSO_NONE:
		ok = true;
		break;
	case VTNET_GSO_TCPV4:
		ok = (feat & VTNET_F_GUEST_TSO4) != 0;
		break;
	case VTNET_GSO_TCPV6:
		ok = (feat & VTNET_F_GUEST_TSO6) != 0;
		break;
	case VTNET_GSO_UDP:
		ok = (feat & VTNET_F_GUEST_UFO) != 0;
		break;
	default:
		ok = false;
		break;
	}
	if ((gso & VTNET_GSO_ECN) && !(feat & VTNET_F_GUEST_ECN))
		ok = false;
	return ok;
}

enum { RX_OK, RX_EMPTY, RX_NOBUF, RX_STOP };

/* Take the next receive chain and check it; 1, 0 (none) or -1 (broken). */
static int
rx_getchain(struct vqueue *vq, struct vq_chain *ch, struct iovec *iov)
{
	int r = vq_getchain(vq, ch, iov, VTNET_QSIZE);

	if (r <= 0)
		return r;
	if (ch->nread != 0) {
		vq_set_broken(vq, "queue %d: receive chain %u has "
		    "device-readable buffers", vq->vq_num, ch->head);
		return -1;
	}
	return 1;
}

/* Undo `n` vq_getchain()s: the chains go back to the avail ring. */
static void
rx_giveback(struct vqueue *vq, int n)
{
	while (n-- > 0)
		vq_retchain(vq);
}

static int
rx_frame(struct vtnet_softc *sc, struct vqueue *vq)
{
	uint8_t hdr[VTNET_HDR_LEN], dst[6];
	struct iovec hiov[VTNET_HDR_LEN];
	struct vq_chain ch;
	size_t room, framelen, rest, off;
	int n = 0, k, nh, nused, r, data0;
	bool vnet = sc->be.vnet_hdr;
	ssize_t got;

	r = rx_getchain(vq, &ch, sc->iov);
	if (r <= 0)
		return r == 0 ? RX_NOBUF : RX_STOP;
	if (ch.wlen < VTNET_HDR_LEN) {
		vq_set_broken(vq, "queue %d: receive chain %u has %llu bytes, "
		    "less than the %d-byte header", vq->vq_num, ch.head,
		    (unsigned long long)ch.wlen, VTNET_HDR_LEN);
		return RX_STOP;
	}
	/* Where the header goes (at most 12 buffers of >= 1 byte). */
	nh = iov_upto(sc->iov, ch.niov, VTNET_HDR_LEN, hiov, VTNET_HDR_LEN);
	room = ch.wlen - VTNET_HDR_LEN;
	if (vnet) {
		sc->xiov[n].iov_base = hdr;
		sc->xiov[n++].iov_len = VTNET_HDR_LEN;
	}
	data0 = n;
	k = iov_from(sc->iov, ch.niov, VTNET_HDR_LEN, sc->xiov + n,
	    VTNET_QSIZE + 3 - n);
	if (k < 0) {
		vq_retchain(vq);
		return RX_STOP;
	}
	n += k;
	sc->xiov[n].iov_base = sc->bounce;
	sc->xiov[n++].iov_len = VTNET_BOUNCE;

	got = net_backend_recv(&sc->be, sc->xiov, n);
	if (got < 0) {
		int e = errno;

		vq_retchain(vq);
		if (e == EAGAIN) {
			vtnet_backend_ok(sc);
			return RX_EMPTY;
		}
		VTNET_COUNT(sc, rx_errors, 1);
		if (e == EFAULT || e == EMSGSIZE || e == EINVAL)
			return RX_OK;	/* one bad frame, not a dead tap */
		vtnet_backend_failed(sc, "receive", e);
		return RX_STOP;
	}
	if (got == 0) {
		/* End of file: a socket backend whose peer went away. */
		vq_retchain(vq);
		VTNET_COUNT(sc, rx_errors, 1);
		vtnet_backend_failed(sc, "receive", ENOTCONN);
		return RX_STOP;
	}
	vtnet_backend_ok(sc);
	if (vnet) {
		if ((size_t)got < VTNET_HDR_LEN) {
			vq_retchain(vq);
			VTNET_COUNT(sc, rx_errors, 1);
			return RX_OK;
		}
		framelen = (size_t)got - VTNET_HDR_LEN;
	} else {
		memset(hdr, 0, sizeof(hdr));
		framelen = (size_t)got;
	}
	if (framelen < VTNET_ETH_HLEN || !rx_hdr_fix(sc->feat, hdr)) {
		vq_retchain(vq);
		VTNET_COUNT(sc, rx_errors, 1);
		return RX_OK;
	}
	if (!sc->flt.promisc) {
		iov_to_buf(sc->xiov + data0, n - data0, 0, dst, sizeof(dst));
		if (!vtnet_filter_accept(&sc->flt, dst)) {
			vq_retchain(vq);
			VTNET_COUNT(sc, rx_filtered, 1);
			return RX_OK;
		}
	}
	sc->used[0].id = ch.head;
	sc->used[0].len = (uint32_t)(VTNET_HDR_LEN +
	    (framelen < room ? framelen : room));
	nused = 1;
	if (framelen > room) {
		if (!(sc->feat & VTNET_F_MRG_RXBUF)) {
			/* The driver gave buffers too small for the frame. */
			vq_retchain(vq);
			VTNET_COUNT(sc, rx_nobuf, 1);
			return RX_OK;
		}
		/* The rest is in the bounce buffer: spread it over chains. */
		rest = framelen - room;
		off = 0;
		while (rest > 0) {
			struct vq_chain c2;
			size_t c;

			r = rx_getchain(vq, &c2, sc->iov);
			if (r < 0)
				return RX_STOP;
			if (r == 0 || nused >= VTNET_QSIZE) {
				rx_giveback(vq, nused);
				VTNET_COUNT(sc, rx_nobuf, 1);
				return RX_NOBUF;
			}
			/* c <= rest <= VTNET_BOUNCE - off: inside the bounce. */
			c = c2.wlen < rest ? (size_t)c2.wlen : rest;
			buf_to_iov(sc->bounce + off, c, sc->iov, c2.niov, 0);
			sc->used[nused].id = c2.head;
			sc->used[nused++].len = (uint32_t)c;
			off += c;
			rest -= c;
		}
	}
	hdr[10] = (uint8_t)nused;
	hdr[11] = (uint8_t)(nused >> 8);
	buf_to_iov(hdr, VTNET_HDR_LEN, hiov, nh, 0);
	vtnet_used_batch(vq, sc->used, nused);
	VTNET_COUNT(sc, rx_frames, 1);
	VTNET_COUNT(sc, rx_bytes, framelen);
	return RX_OK;
}

int
vtnet_rx_process(struct vtnet_softc *sc, struct vqueue *vq, int budget)
{
	int done = 0, r;

	/* Every turn reads a frame from the tap or ends the loop. */
	for (int turn = 0; turn < budget; turn++) {
		r = vq_has_avail(vq) ? rx_frame(sc, vq) : RX_NOBUF;
		if (r == RX_NOBUF) {
			if (vq_kicks_on(vq))
				continue;
			/* No buffers: leave frames in the tap until a kick. */
			sc->rx_wait = true;
			vtnet_watch_update(sc);
			break;
		}
		if (r != RX_OK)
			break;
		done++;
	}
	return done;
}

void
vtnet_rx_notify(struct vtnet_softc *sc)
{
	struct vqueue *vq = &sc->vs.vs_queues[VTNET_RXQ];

	if (!sc->started || sc->vh_running)
		return;
	if (!vq_ready(vq)) {
		/* Not set up or broken: stop reading until the next start. */
		sc->rx_wait = true;
		vtnet_watch_update(sc);
		return;
	}
	vtnet_rx_process(sc, vq, VTNET_BUDGET);
	if (vq_need_interrupt(vq))
		virtio_vq_interrupt(&sc->vs, vq);
}
