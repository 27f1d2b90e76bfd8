/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block backend: a raw image file or a block device, with asynchronous
 * requests (read, write, flush, discard, write-zeroes).
 *
 * Open: the image is locked with an OFD lock (a write lock, or a read
 * lock for read-only use) so that two VMMs cannot open one image
 * read-write; the size comes from fstat or BLKGETSIZE64.
 *
 * Requests: blockif_submit() queues a request, blockif_kick() hands the
 * queued ones to the engine, and completions are collected with
 * blockif_reap(), which calls the caller's function for each finished
 * request.  blockif_completion_fd() becomes readable when completions may
 * be waiting, so the caller can sleep in epoll.  Everything but the
 * engine's own I/O runs on the caller's thread (one thread per blockif:
 * the virtio-blk worker), so the caller needs no locks.
 *
 * Engines: "uring" (io_uring through liburing, the default) and
 * "threads" (a small pool of worker threads doing preadv/pwritev/
 * fdatasync/fallocate), used when io_uring is refused (old kernel,
 * io_uring_disabled, a seccomp filter) or asked for.
 *
 * Semantics the callers rely on:
 *  - offset and length are checked against the size again (overflow-
 *    safe); a request outside the disk fails with EINVAL;
 *  - short reads and writes are continued until done; end of file inside
 *    the disk is EIO;
 *  - FLUSH is fdatasync.  Once a flush has failed, every later flush fails
 *    with the same error: after a failed writeback the kernel may have
 *    dropped the dirty pages, so a later "successful" flush would claim
 *    that lost data is durable.  Only reopening the image (restarting
 *    zhyve) clears it;
 *  - DISCARD punches a hole (fallocate PUNCH_HOLE|KEEP_SIZE, also on block
 *    devices); where that is not supported it succeeds without effect (a
 *    discard is a hint);
 *  - WRITE_ZEROES uses fallocate ZERO_RANGE and falls back to writing
 *    zeroes where that is not supported;
 *  - a write with br_dsync set is durable when it completes (RWF_DSYNC);
 *  - with `nocache` the image is opened O_DIRECT; requests whose buffers
 *    or offsets are not aligned for direct I/O go through a second,
 *    buffered descriptor instead (the kernel keeps the two coherent).
 */
#ifndef ZHYVE_BLOCK_IF_H
#define ZHYVE_BLOCK_IF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct blockif;

struct blockif_opts {
	const char *path;
	bool ro;		/* open read-only, read lock */
	bool nocache;		/* O_DIRECT */
	bool sync;		/* O_SYNC (bhyve's "direct") */
	unsigned sectsz;	/* logical sector size; 0: from the device */
	unsigned psectsz;	/* physical; 0: from the device or sectsz */
	const char *engine;	/* "uring", "threads" or NULL (default) */
	unsigned depth;		/* most requests in flight (1..4096) */
};

enum blockif_op {
	BIF_READ,
	BIF_WRITE,
	BIF_FLUSH,
	BIF_DISCARD,
	BIF_WRITE_ZEROES,
};

struct blockif_req {
	/* Filled by the caller. */
	enum blockif_op br_op;
	uint64_t br_offset;	/* bytes */
	uint64_t br_len;	/* DISCARD / WRITE_ZEROES: bytes */
	struct iovec *br_iov;	/* READ / WRITE: the buffers; may be */
	int br_iovcnt;		/* modified while the request runs */
	bool br_dsync;		/* WRITE: durable on completion */
	void *br_param;		/* the caller's */

	/* Result, valid in the completion callback. */
	int br_error;		/* 0 or an errno value */

	/* The backend's. */
	uint64_t br_done;	/* bytes transferred so far */
	uint64_t br_total;
	int br_fdsel;		/* 0 main fd, 1 buffered fd */
	int br_stage;		/* WRITE_ZEROES fallback */
	struct iovec *br_ziov;	/* WRITE_ZEROES fallback buffers */
	long br_res;		/* last primitive's result */
	int br_fin;		/* on the done list: finished */
	struct blockif_req *br_next;
};

typedef void blockif_done_fn(struct blockif_req *req, void *arg);

/* Open; NULL with a message naming the path in err. */
struct blockif *blockif_open(const struct blockif_opts *o, char *err,
    size_t errlen);
/* Wait for everything in flight (callbacks run), then close. */
void blockif_close(struct blockif *bc, blockif_done_fn *done, void *arg);

uint64_t blockif_size(const struct blockif *bc);	/* bytes, whole sectors */
unsigned blockif_sectsz(const struct blockif *bc);
unsigned blockif_psectsz(const struct blockif *bc);
bool blockif_is_ro(const struct blockif *bc);
bool blockif_is_blockdev(const struct blockif *bc);
const char *blockif_engine(const struct blockif *bc);

/*
 * Queue a request (not started until blockif_kick).  Returns 0, or -1 with
 * errno EBUSY when `depth` requests are already in flight.
 */
int blockif_submit(struct blockif *bc, struct blockif_req *req);
void blockif_kick(struct blockif *bc);
int blockif_completion_fd(const struct blockif *bc);
/* Run `done` for every finished request; returns how many. */
int blockif_reap(struct blockif *bc, blockif_done_fn *done, void *arg);
/* Wait until nothing is in flight, running `done` for each. */
void blockif_drain(struct blockif *bc, blockif_done_fn *done, void *arg);
unsigned blockif_inflight(const struct blockif *bc);

#endif
