/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block backend internals shared by block_if.c (opening, request logic,
 * completions) and its two engines, block_if_uring.c and block_if_thr.c.
 *
 * The request logic breaks a request into primitive I/Os (one preadv,
 * pwritev, fdatasync or fallocate at a time) and decides after each one
 * whether the request is finished, continues (a short transfer), or
 * falls back (write-zeroes without ZERO_RANGE).  An engine only runs
 * primitives: start() begins one for a request, and its completion comes
 * back to bif_io_done() on the reaping thread with the result in br_res
 * (bytes, or a negative errno).
 *
 * Threads: everything here runs on the thread that owns the blockif,
 * except the thread engine's workers, which call bif_prim_exec() and
 * bif_post().
 */
#ifndef ZHYVE_BLOCK_IF_IMPL_H
#define ZHYVE_BLOCK_IF_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block_if.h"

enum bif_kind { BIFP_READV, BIFP_WRITEV, BIFP_FDATASYNC, BIFP_FALLOCATE };

/* One primitive I/O. */
struct bif_prim {
	enum bif_kind kind;
	int fd;
	const struct iovec *iov;
	int iovcnt;
	uint64_t off;
	uint64_t len;		/* FALLOCATE */
	int mode;		/* FALLOCATE */
	int rwflags;		/* WRITEV: RWF_DSYNC */
};

struct bif_engine {
	const char *name;
	int (*init)(struct blockif *bc);	/* 0 or -errno */
	void (*fini)(struct blockif *bc);
	void (*start)(struct blockif *bc, struct blockif_req *req);
	void (*kick)(struct blockif *bc);
	/* Feed finished primitives to bif_io_done(). */
	void (*reap)(struct blockif *bc);
};

struct blockif {
	char path[256];
	int fd;			/* O_DIRECT with nocache */
	int fd_buf;		/* buffered twin with nocache, else -1 */
	bool ro, blockdev, nocache;
	uint64_t size;
	unsigned sectsz, psectsz;
	unsigned dio_align;	/* memory and offset alignment for O_DIRECT */
	unsigned depth;
	unsigned inflight;

	int flush_error;	/* sticky, see block_if.h */
	bool no_zero_range;
	bool no_punch_hole;

	/* Completions: an eventfd and a list of finished primitives. */
	int compl_fd;
	pthread_mutex_t done_mtx;
	struct blockif_req *done_head, *done_tail;

	const struct bif_engine *eng;
	void *eng_state;
};

/*
 * The io_uring engine's ring (NULL with another engine or none open), for
 * tests that check its restrictions; the owner's thread only.
 */
struct io_uring;
struct io_uring *bif_uring_ring(struct blockif *bc);

/* Fill the next primitive of a request (block_if.c). */
void bif_prim(struct blockif *bc, struct blockif_req *req,
    struct bif_prim *p);
/* Run a primitive synchronously; returns bytes or -errno. */
long bif_prim_exec(const struct bif_prim *p);
/* A primitive of req finished with res (reaping thread). */
void bif_io_done(struct blockif *bc, struct blockif_req *req, long res);
/* Put req on the done list (any thread) and signal compl_fd. */
void bif_post(struct blockif *bc, struct blockif_req *req, long res);

extern const struct bif_engine bif_engine_uring;
extern const struct bif_engine bif_engine_threads;

/* Marks a done-list entry that is final (not a primitive result). */
#define BIF_FINAL	1
#define BIF_PRIM	0

#endif
