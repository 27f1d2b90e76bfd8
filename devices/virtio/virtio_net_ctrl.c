/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net control queue: receive mode (promiscuous, all-multicast) and
 * the MAC filter tables and address (virtio 1.x, 5.1.6.5).
 *
 * A command is one chain: device-readable {u8 class, u8 command, data},
 * then one device-writable ack byte.  The readable part is copied out of
 * guest memory once and parsed from the copy; the answer is OK or ERR.
 * A chain without a command or without a writable ack byte breaks the
 * queue (NEEDS_RESET).
 *
 * The address set here (ADDR_SET) is what the receive filter matches;
 * the transmit anti-spoofing check keeps using the configured address,
 * so a guest cannot take another MAC by asking (see virtio_net.h).
 *
 * Threads: the device's worker thread.
 */
#include <string.h>

#include "virtio_net.h"

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * One table of a TABLE_SET: le32 entries, then 6 bytes each.  Checks it
 * lies inside [*p, end) and advances *p; -1 if not.
 */
static int
mac_table(const uint8_t **p, const uint8_t *end, uint8_t (*tab)[6],
    int *ntab, bool *overflow)
{
	uint32_t n;

	if (end - *p < 4)
		return -1;
	n = le32(*p);
	*p += 4;
	/* Compared in size_t: n * 6 cannot overflow 64 bits. */
	if ((size_t)n * 6 > (size_t)(end - *p))
		return -1;
	*overflow = n > VTNET_MACTAB;
	*ntab = n > VTNET_MACTAB ? VTNET_MACTAB : (int)n;
	memcpy(tab, *p, (size_t)*ntab * 6);
	*p += (size_t)n * 6;
	return 0;
}

uint8_t
vtnet_ctrl_exec(struct vtnet_filter *f, uint64_t feat, const uint8_t *cmd,
    size_t len)
{
	const uint8_t *d = cmd + 2, *end = cmd + len;
	struct vtnet_filter nf;

	if (len < 2)
		return VTNET_CTRL_ERR;
	switch (cmd[0]) {
	case VTNET_CTRL_RX:
		if (!(feat & VTNET_F_CTRL_RX) || len != 3)
			return VTNET_CTRL_ERR;
		if (cmd[1] == VTNET_CTRL_RX_PROMISC)
			f->promisc = d[0] != 0;
		else if (cmd[1] == VTNET_CTRL_RX_ALLMULTI)
			f->allmulti = d[0] != 0;
		else
			return VTNET_CTRL_ERR;
		return VTNET_CTRL_OK;
	case VTNET_CTRL_MAC:
		if (cmd[1] == VTNET_CTRL_MAC_ADDR_SET) {
			/* A unicast address only. */
			if (!(feat & VTNET_F_CTRL_MAC_ADDR) || len != 8 ||
			    (d[0] & 1))
				return VTNET_CTRL_ERR;
			memcpy(f->mac, d, 6);
			return VTNET_CTRL_OK;
		}
		if (cmd[1] != VTNET_CTRL_MAC_TABLE_SET ||
		    !(feat & VTNET_F_CTRL_RX))
			return VTNET_CTRL_ERR;
		/* Both tables, exactly filling the command; all or nothing. */
		nf = *f;
		if (mac_table(&d, end, nf.uc, &nf.nuc, &nf.uc_overflow) != 0 ||
		    mac_table(&d, end, nf.mc, &nf.nmc, &nf.mc_overflow) != 0 ||
		    d != end)
			return VTNET_CTRL_ERR;
		*f = nf;
		return VTNET_CTRL_OK;
	default:
		return VTNET_CTRL_ERR;
	}
}

void
vtnet_ctrl_notify(struct vtnet_softc *sc, struct vqueue *vq)
{
	uint8_t cmd[VTNET_CTRL_MAX], ack;
	struct vq_chain ch;
	int r;

	do {
		while ((r = vq_getchain(vq, &ch, sc->iov, VTNET_QSIZE)) > 0) {
			if (ch.rlen < 2 || ch.nread == ch.niov) {
				vq_set_broken(vq, "queue %d: control chain %u "
				    "lacks the command or the ack byte",
				    vq->vq_num, ch.head);
				r = -1;
				break;
			}
			ack = VTNET_CTRL_ERR;
			if (ch.rlen <= sizeof(cmd)) {
				/* nread <= niov <= VTNET_QSIZE (walker). */
				size_t n = iov_to_buf(sc->iov, ch.nread, 0, cmd,
				    (size_t)ch.rlen);

				ack = vtnet_ctrl_exec(&sc->flt, sc->feat, cmd, n);
			}
			if (ack != VTNET_CTRL_OK)
				VTNET_COUNT(sc, ctrl_errors, 1);
			/* The ack: the first device-writable byte. */
			buf_to_iov(&ack, 1, sc->iov + ch.nread,
			    ch.niov - ch.nread, 0);
			vq_relchain(vq, ch.head, 1);
		}
	} while (r == 0 && vq_kicks_on(vq));
	if (vq_need_interrupt(vq))
		virtio_vq_interrupt(&sc->vs, vq);
}
