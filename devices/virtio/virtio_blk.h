/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk: constants, and the request decoder that virtio_blk.c, the
 * unit tests and the fuzz target share.
 *
 * A request is one chain: a 16-byte header {le32 type, le32 ioprio,
 * le64 sector} the device reads, data (read by the device for writes,
 * discard and write-zeroes segments; written for reads and GET_ID), and a
 * one-byte status the device writes last.  With VERSION_1 the layout is
 * free (VIRTIO_F_ANY_LAYOUT): the header may share a buffer with data,
 * and the status byte is simply the last device-writable byte, which
 * must be in the chain's last buffer.
 *
 * Threads: vtblk_decode() is a pure function of its arguments (it copies
 * what it needs out of guest memory once); it runs on the worker thread.
 */
#ifndef ZHYVE_VIRTIO_BLK_H
#define ZHYVE_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block_if.h"
#include "virtio.h"

/* Feature bits. */
#define VTBLK_F_SIZE_MAX	(1ULL << 1)
#define VTBLK_F_SEG_MAX		(1ULL << 2)
#define VTBLK_F_RO		(1ULL << 5)
#define VTBLK_F_BLK_SIZE	(1ULL << 6)
#define VTBLK_F_FLUSH		(1ULL << 9)
#define VTBLK_F_TOPOLOGY	(1ULL << 10)
#define VTBLK_F_DISCARD		(1ULL << 13)
#define VTBLK_F_WRITE_ZEROES	(1ULL << 14)

/* Request types. */
#define VTBLK_T_IN		0
#define VTBLK_T_OUT		1
#define VTBLK_T_FLUSH		4
#define VTBLK_T_GET_ID		8
#define VTBLK_T_DISCARD		11
#define VTBLK_T_WRITE_ZEROES	13

/* Status byte. */
#define VTBLK_S_OK		0
#define VTBLK_S_IOERR		1
#define VTBLK_S_UNSUPP		2

#define VTBLK_ID_BYTES		20
#define VTBLK_HDR_SIZE		16
#define VTBLK_SEG_SIZE		16	/* discard / write-zeroes segment */
#define VTBLK_QSIZE		256
#define VTBLK_SIZE_MAX		(4u << 20)	/* bytes per buffer */
#define VTBLK_MAX_DISCARD	0x3FFFFFu	/* sectors per request */
#define VTBLK_MAX_ZEROES	0x10000u	/* sectors per request */
#define VTBLK_CFG_SIZE		60

/* What the decoder needs to know about the disk. */
struct vtblk_disk {
	uint64_t size;		/* bytes, whole logical sectors */
	unsigned sectsz;	/* logical sector size */
	bool ro;
	uint64_t features;	/* negotiated */
	char ident[VTBLK_ID_BYTES];	/* GET_ID answer, zero-padded */
};

enum vtblk_action {
	VTBLK_BROKEN,		/* no status byte: the ring is broken */
	VTBLK_DONE,		/* answered: status (and used_len) are final */
	VTBLK_SUBMIT,		/* hand `req` to the block backend */
};

struct vtblk_decoded {
	enum vtblk_action action;
	const char *why;	/* VTBLK_BROKEN */
	uint8_t *status;	/* the status byte, in guest RAM */
	uint8_t status_val;	/* VTBLK_DONE */
	uint32_t used_len;	/* bytes written into the chain when OK */
	struct blockif_req req;	/* VTBLK_SUBMIT: op, offset, len, iov */
};

/*
 * Decode the chain ch with buffers iov (modified: the header and status
 * byte are cut off, leaving the data buffers).  VTBLK_DONE requests that
 * need data written (GET_ID) have it written already.
 */
void vtblk_decode(const struct vtblk_disk *d, const struct vq_chain *ch,
    struct iovec *iov, struct vtblk_decoded *out);

/* The default serial number for an image path ("ZHYVE-XXXX-XXXX-XXXX"). */
void vtblk_default_ident(const char *path, char ident[VTBLK_ID_BYTES]);

#endif
