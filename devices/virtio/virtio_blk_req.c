/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk request decoding: from a validated chain (the walker already
 * checked every buffer lies in guest RAM) to either an immediate answer or
 * a block backend request with its bounds checked.  See virtio_blk.h.
 *
 * Threads: the device's worker thread (and the fuzz target); pure.
 */
#include <stdio.h>
#include <string.h>

#include "virtio_blk.h"

/* Split iov[0..n) at byte `at`: returns the index where the rest starts,
 * after trimming the buffer that straddles `at`. */
static int
iov_skip(struct iovec *iov, int n, uint64_t at)
{
	int i = 0;

	while (i < n && at >= iov[i].iov_len) {
		at -= iov[i].iov_len;
		i++;
	}
	if (i < n && at > 0) {
		iov[i].iov_base = (uint8_t *)iov[i].iov_base + at;
		iov[i].iov_len -= at;
	}
	return i;
}

static void
answer(struct vtblk_decoded *out, uint8_t st)
{
	out->action = VTBLK_DONE;
	out->status_val = st;
}

/*
 * Byte range of `nsect` 512-byte sectors from `sector`, checked against
 * the disk without overflow; false if outside or not sector-aligned.
 */
static bool
range_ok(const struct vtblk_disk *d, uint64_t sector, uint64_t len,
    uint64_t *off)
{
	if (sector > (UINT64_MAX >> 9))
		return false;
	*off = sector << 9;
	return *off % d->sectsz == 0 && len % d->sectsz == 0 &&
	    len <= d->size && *off <= d->size - len;
}

void
vtblk_decode(const struct vtblk_disk *d, const struct vq_chain *ch,
    struct iovec *iov, struct vtblk_decoded *out)
{
	uint8_t hdr[VTBLK_HDR_SIZE], seg[VTBLK_SEG_SIZE];
	uint64_t sector, in_len, out_len, off;
	int nread = ch->nread, niov = ch->niov, in0, out0;
	struct iovec *last;
	uint32_t type;

	memset(out, 0, sizeof(*out));
	/* The status byte: the last byte of the last, writable buffer. */
	if (niov == 0 || nread >= niov) {
		out->action = VTBLK_BROKEN;
		out->why = "request without a device-writable status byte";
		return;
	}
	last = &iov[niov - 1];
	out->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	last->iov_len--;		/* the walker refuses 0-length buffers */
	if (last->iov_len == 0)
		niov--;
	in_len = ch->wlen - 1;		/* device-writable data bytes */

	if (ch->rlen < VTBLK_HDR_SIZE) {
		answer(out, VTBLK_S_IOERR);
		return;
	}
	iov_to_buf(iov, nread, 0, hdr, sizeof(hdr));	/* copied once */
	type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
	    (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	sector = 0;
	for (int i = 15; i >= 8; i--)
		sector = (sector << 8) | hdr[i];
	out_len = ch->rlen - VTBLK_HDR_SIZE;	/* device-readable data */
	out0 = iov_skip(iov, nread, VTBLK_HDR_SIZE);
	in0 = nread;

	switch (type) {
	case VTBLK_T_IN:
		if (out_len != 0 || !range_ok(d, sector, in_len, &off)) {
			answer(out, VTBLK_S_IOERR);
			return;
		}
		out->req.br_op = BIF_READ;
		out->req.br_offset = off;
		out->req.br_iov = iov + in0;
		out->req.br_iovcnt = niov - in0;
		/* in_len <= disk size; the used length field is 32 bits. */
		out->used_len = in_len < UINT32_MAX ? (uint32_t)in_len + 1 :
		    UINT32_MAX;
		break;
	case VTBLK_T_OUT:
		if (d->ro || in_len != 0 || !range_ok(d, sector, out_len, &off)) {
			answer(out, VTBLK_S_IOERR);
			return;
		}
		out->req.br_op = BIF_WRITE;
		out->req.br_offset = off;
		out->req.br_iov = iov + out0;
		out->req.br_iovcnt = nread - out0;
		/* Without FLUSH the driver expects write-through. */
		out->req.br_dsync = !(d->features & VTBLK_F_FLUSH);
		out->used_len = 1;
		break;
	case VTBLK_T_FLUSH:
		out->req.br_op = BIF_FLUSH;
		out->used_len = 1;
		break;
	case VTBLK_T_GET_ID: {
		uint64_t n = in_len < VTBLK_ID_BYTES ? in_len : VTBLK_ID_BYTES;

		buf_to_iov(d->ident, (size_t)n, iov + in0, niov - in0, 0);
		out->used_len = (uint32_t)n + 1;
		answer(out, VTBLK_S_OK);
		return;
	}
	case VTBLK_T_DISCARD:
	case VTBLK_T_WRITE_ZEROES: {
		bool z = type == VTBLK_T_WRITE_ZEROES;
		uint32_t nsect, flags;

		if (!(d->features & (z ? VTBLK_F_WRITE_ZEROES :
		    VTBLK_F_DISCARD))) {
			answer(out, VTBLK_S_UNSUPP);
			return;
		}
		/* One segment per request (max_*_seg = 1). */
		if (d->ro || in_len != 0 || out_len != VTBLK_SEG_SIZE) {
			answer(out, VTBLK_S_IOERR);
			return;
		}
		iov_to_buf(iov + out0, nread - out0, 0, seg, sizeof(seg));
		sector = 0;
		for (int i = 7; i >= 0; i--)
			sector = (sector << 8) | seg[i];
		nsect = (uint32_t)seg[8] | (uint32_t)seg[9] << 8 |
		    (uint32_t)seg[10] << 16 | (uint32_t)seg[11] << 24;
		flags = (uint32_t)seg[12] | (uint32_t)seg[13] << 8 |
		    (uint32_t)seg[14] << 16 | (uint32_t)seg[15] << 24;
		/* Only write-zeroes knows a flag (unmap, a hint). */
		if (flags & ~(z ? 1u : 0u)) {
			answer(out, VTBLK_S_UNSUPP);
			return;
		}
		if (nsect > (z ? VTBLK_MAX_ZEROES : VTBLK_MAX_DISCARD) ||
		    !range_ok(d, sector, (uint64_t)nsect << 9, &off)) {
			answer(out, VTBLK_S_IOERR);
			return;
		}
		out->req.br_op = z ? BIF_WRITE_ZEROES : BIF_DISCARD;
		out->req.br_offset = off;
		out->req.br_len = (uint64_t)nsect << 9;
		out->used_len = 1;
		break;
	}
	default:
		answer(out, VTBLK_S_UNSUPP);
		return;
	}
	out->action = VTBLK_SUBMIT;
}

void
vtblk_default_ident(const char *path, char ident[VTBLK_ID_BYTES])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	char buf[VTBLK_ID_BYTES + 1];

	for (const char *p = path; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ULL;
	}
	snprintf(buf, sizeof(buf), "ZHYVE-%04X-%04X-%04X",
	    (unsigned)(h >> 48) & 0xFFFF, (unsigned)(h >> 32) & 0xFFFF,
	    (unsigned)(h >> 16) & 0xFFFF);
	memcpy(ident, buf, VTBLK_ID_BYTES);
}
