/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block backend engine on io_uring, through liburing: one ring per image,
 * sized for the request depth, with the completion eventfd registered so
 * the owner can sleep in epoll.  After set-up the only system call on the
 * submission and completion paths is io_uring_enter (made by
 * io_uring_submit() when there is something to submit, and by
 * io_uring_peek_cqe() only if the kernel has completions held back after
 * a CQ overflow); teardown unmaps the rings and closes the ring's
 * descriptor.  vmm/seccomp_policy.h allows these on every thread.  The
 * ring is restricted at set-up to the four operations the engine submits
 * (readv, writev, fsync, fallocate; see restrict_ring()).
 *
 * Why io_uring is the default: measured on the project's 2-core test
 * machines with a 1 GiB image, 4 KiB random reads from the page cache ran
 * at 280-470 k/s with io_uring against 28-140 k/s with a pool of 4 or 8
 * threads (no thread hand-off per request), and 4 KiB O_DIRECT random
 * reads at queue depth 32 at ~78 k/s against ~44 k/s; large sequential
 * transfers were within noise of each other.  The thread engine
 * (block_if_thr.c) stays as the fallback.
 *
 * Threads: the blockif owner's thread only (the submission and
 * completion queues are single-producer/single-consumer, and liburing's
 * ring state is not locked).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>

#include "block_if.h"
#include "block_if_impl.h"

struct uring {
	struct io_uring ring;
	struct blockif_req *wait_head, *wait_tail;
};

/*
 * The only operations the ring will ever run: those bif_prim() produces.
 * seccomp does not see what an io_uring does, so without this a ring made
 * before the filter could open, connect or send on behalf of a zhyve
 * whose code a guest had taken over.  With restrictions registered, the
 * kernel refuses other opcodes (-EACCES in their completions), any SQE
 * flags, and every later io_uring_register operation.
 */
static const uint8_t allowed_ops[] = {
	IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_FALLOCATE,
};

static int
restrict_ring(struct io_uring *ring)
{
	struct io_uring_restriction res[sizeof(allowed_ops)];
	size_t i;
	int e;

	memset(res, 0, sizeof(res));
	for (i = 0; i < sizeof(allowed_ops); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = allowed_ops[i];
	}
	/* Debian's liburing 2.3 declares io_uring_register_restrictions()
	 * and io_uring_enable_rings() but does not export them: the
	 * generic io_uring_register() does the same (0 or -errno). */
	e = io_uring_register((unsigned)ring->ring_fd,
	    IORING_REGISTER_RESTRICTIONS, res, (unsigned)i);
	if (e == 0)
		e = io_uring_register((unsigned)ring->ring_fd,
		    IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	return e;
}

static int
uring_init(struct blockif *bc)
{
	struct uring *u;
	unsigned entries = 1;
	int e;

	while (entries < bc->depth)
		entries <<= 1;
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	/*
	 * liburing returns 0 or -errno (it does not use errno).  The ring
	 * starts disabled so that its restrictions can be registered before
	 * any submission; a kernel without IORING_SETUP_R_DISABLED (before
	 * 5.10) fails here and block_if.c falls back to the thread engine.
	 */
	e = io_uring_queue_init(entries, &u->ring, IORING_SETUP_R_DISABLED);
	if (e < 0) {
		free(u);
		return e;
	}
	e = io_uring_register_eventfd(&u->ring, bc->compl_fd);
	if (e == 0)
		e = restrict_ring(&u->ring);
	if (e < 0) {
		io_uring_queue_exit(&u->ring);
		free(u);
		return e;
	}
	bc->eng_state = u;
	return 0;
}


static void
uring_fini(struct blockif *bc)
{
	struct uring *u = bc->eng_state;

	if (u != NULL) {
		io_uring_queue_exit(&u->ring);
		free(u);
	}
	bc->eng_state = NULL;
}

/* Put one request's next primitive in the SQ; false if the SQ is full. */
static bool
sq_push(struct blockif *bc, struct uring *u, struct blockif_req *req)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	struct bif_prim p;

	if (sqe == NULL)
		return false;
	bif_prim(bc, req, &p);
	switch (p.kind) {
	case BIFP_READV:
		io_uring_prep_readv2(sqe, p.fd, p.iov, (unsigned)p.iovcnt,
		    p.off, p.rwflags);
		break;
	case BIFP_WRITEV:
		io_uring_prep_writev2(sqe, p.fd, p.iov, (unsigned)p.iovcnt,
		    p.off, p.rwflags);
		break;
	case BIFP_FDATASYNC:
		io_uring_prep_fsync(sqe, p.fd, IORING_FSYNC_DATASYNC);
		break;
	case BIFP_FALLOCATE:
		io_uring_prep_fallocate(sqe, p.fd, p.mode, (off_t)p.off,
		    (off_t)p.len);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	return true;
}

static void
uring_start(struct blockif *bc, struct blockif_req *req)
{
	struct uring *u = bc->eng_state;

	/* FIFO behind anything already waiting for SQ room. */
	if (u->wait_head == NULL && sq_push(bc, u, req))
		return;
	req->br_next = NULL;
	if (u->wait_tail != NULL)
		u->wait_tail->br_next = req;
	else
		u->wait_head = req;
	u->wait_tail = req;
}

static void
uring_kick(struct blockif *bc)
{
	struct uring *u = bc->eng_state;

	while (u->wait_head != NULL && sq_push(bc, u, u->wait_head)) {
		u->wait_head = u->wait_head->br_next;
		if (u->wait_head == NULL)
			u->wait_tail = NULL;
	}
	/*
	 * io_uring_sq_ready() counts what the kernel has not consumed yet,
	 * so a short submission is simply submitted again.
	 */
	while (io_uring_sq_ready(&u->ring) > 0) {
		int r = io_uring_submit(&u->ring);

		if (r > 0 || r == -EINTR)
			continue;
		/* EAGAIN/EBUSY: the kernel is short; retry at the next reap. */
		break;
	}
}

static void
uring_reap(struct blockif *bc)
{
	struct uring *u = bc->eng_state;
	struct io_uring_cqe *c;

	/* The CQ slot is handed back before the request goes on. */
	while (io_uring_peek_cqe(&u->ring, &c) == 0) {
		struct blockif_req *req = io_uring_cqe_get_data(c);
		long res = c->res;

		io_uring_cqe_seen(&u->ring, c);
		bif_io_done(bc, req, res);
	}
}

const struct bif_engine bif_engine_uring = {
	.name = "uring",
	.init = uring_init,
	.fini = uring_fini,
	.start = uring_start,
	.kick = uring_kick,
	.reap = uring_reap,
};

struct io_uring *
bif_uring_ring(struct blockif *bc)
{
	if (bc->eng != &bif_engine_uring || bc->eng_state == NULL)
		return NULL;
	return &((struct uring *)bc->eng_state)->ring;
}
