/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block backend: opening and locking the image, the request logic (bounds,
 * continuing short transfers, the write-zeroes fallback, the sticky flush
 * error) and completions.  The engines that run the primitive I/Os are in
 * block_if_uring.c and block_if_thr.c; see block_if.h for the contract.
 *
 * Threads: the owner's thread (the virtio-blk worker) for everything;
 * bif_post() and bif_prim_exec() also from the thread engine's workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/fs.h>

#include "block_if.h"
#include "block_if_impl.h"

#define ZERO_CHUNK	65536
#define ZERO_MAX_IOV	1024		/* IOV_MAX: 64 MiB per write */

static uint8_t zero_chunk[ZERO_CHUNK];

/* --- requests ------------------------------------------------------------ */

static int
req_fd(struct blockif *bc, struct blockif_req *req)
{
	return req->br_fdsel && bc->fd_buf >= 0 ? bc->fd_buf : bc->fd;
}

/* Drop n bytes from the front of the request's iovec list. */
static void
iov_advance(struct blockif_req *req, uint64_t n)
{
	while (n > 0 && req->br_iovcnt > 0) {
		if (n >= req->br_iov->iov_len) {
			n -= req->br_iov->iov_len;
			req->br_iov++;
			req->br_iovcnt--;
		} else {
			req->br_iov->iov_base = (uint8_t *)req->br_iov->iov_base +
			    n;
			req->br_iov->iov_len -= n;
			n = 0;
		}
	}
}

/* Zero buffers for the next write of the fallback; count in br_iovcnt. */
static void
zero_iov(struct blockif_req *req)
{
	uint64_t left = req->br_total - req->br_done;
	int n = 0;

	while (left > 0 && n < ZERO_MAX_IOV) {
		size_t c = left < ZERO_CHUNK ? (size_t)left : ZERO_CHUNK;

		req->br_ziov[n].iov_base = zero_chunk;
		req->br_ziov[n].iov_len = c;
		left -= c;
		n++;
	}
	req->br_iov = req->br_ziov;
	req->br_iovcnt = n;
}

void
bif_prim(struct blockif *bc, struct blockif_req *req, struct bif_prim *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = req_fd(bc, req);
	p->off = req->br_offset + req->br_done;
	switch (req->br_op) {
	case BIF_READ:
		p->kind = BIFP_READV;
		break;
	case BIF_WRITE:
		p->kind = BIFP_WRITEV;
		p->rwflags = req->br_dsync ? RWF_DSYNC : 0;
		break;
	case BIF_FLUSH:
		p->kind = BIFP_FDATASYNC;
		return;
	case BIF_DISCARD:
		p->kind = BIFP_FALLOCATE;
		p->mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		p->len = req->br_total;
		return;
	case BIF_WRITE_ZEROES:
		if (req->br_stage == 0) {
			p->kind = BIFP_FALLOCATE;
			p->mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
			p->len = req->br_total;
			return;
		}
		p->kind = BIFP_WRITEV;
		break;
	}
	p->iov = req->br_iov;
	p->iovcnt = req->br_iovcnt;
}

long
bif_prim_exec(const struct bif_prim *p)
{
	ssize_t r;

	switch (p->kind) {
	case BIFP_READV:
		r = preadv(p->fd, p->iov, p->iovcnt, (off_t)p->off);
		break;
	case BIFP_WRITEV:
		r = pwritev2(p->fd, p->iov, p->iovcnt, (off_t)p->off,
		    p->rwflags);
		break;
	case BIFP_FDATASYNC:
		r = fdatasync(p->fd);
		break;
	case BIFP_FALLOCATE:
		r = fallocate(p->fd, p->mode, (off_t)p->off, (off_t)p->len);
		break;
	default:
		errno = EINVAL;
		r = -1;
	}
	return r < 0 ? -(long)errno : (long)r;
}

/* Put req on the done list; signal the owner if it is not reaping now. */
static void
done_append(struct blockif *bc, struct blockif_req *req, long res, int fin,
    bool signal)
{
	req->br_res = res;
	req->br_fin = fin;
	req->br_next = NULL;
	pthread_mutex_lock(&bc->done_mtx);
	if (bc->done_tail != NULL)
		bc->done_tail->br_next = req;
	else
		bc->done_head = req;
	bc->done_tail = req;
	pthread_mutex_unlock(&bc->done_mtx);
	if (signal)
		(void)eventfd_write(bc->compl_fd, 1);
}

void
bif_post(struct blockif *bc, struct blockif_req *req, long res)
{
	done_append(bc, req, res, BIF_PRIM, true);
}

static void
finish(struct blockif *bc, struct blockif_req *req, int error)
{
	req->br_error = error;
	free(req->br_ziov);
	req->br_ziov = NULL;
	done_append(bc, req, 0, BIF_FINAL, false);
}

static bool
unsupported(long res)
{
	return res == -EOPNOTSUPP || res == -EINVAL || res == -ENOTTY ||
	    res == -ENOSYS;
}

void
bif_io_done(struct blockif *bc, struct blockif_req *req, long res)
{
	switch (req->br_op) {
	case BIF_FLUSH:
		if (res < 0 && bc->flush_error == 0)
			bc->flush_error = (int)-res;
		finish(bc, req, res < 0 ? (int)-res : 0);
		return;
	case BIF_DISCARD:
		/* A discard is a hint: unsupported means done. */
		if (unsupported(res)) {
			bc->no_punch_hole = true;
			res = 0;
		}
		finish(bc, req, res < 0 ? (int)-res : 0);
		return;
	case BIF_WRITE_ZEROES:
		if (req->br_stage == 0) {
			if (unsupported(res)) {
				bc->no_zero_range = true;
				req->br_stage = 1;
				req->br_ziov = calloc(ZERO_MAX_IOV,
				    sizeof(struct iovec));
				if (req->br_ziov == NULL) {
					finish(bc, req, ENOMEM);
					return;
				}
				zero_iov(req);
				bc->eng->start(bc, req);
				return;
			}
			finish(bc, req, res < 0 ? (int)-res : 0);
			return;
		}
		break;
	default:
		break;
	}
	/* READ, WRITE and the zero writes: continue short transfers. */
	if (res < 0) {
		finish(bc, req, (int)-res);
		return;
	}
	if (res == 0 || (uint64_t)res > req->br_total - req->br_done) {
		finish(bc, req, EIO);	/* end of file inside the disk */
		return;
	}
	req->br_done += (uint64_t)res;
	if (req->br_done == req->br_total) {
		finish(bc, req, 0);
		return;
	}
	if (req->br_op == BIF_WRITE_ZEROES)
		zero_iov(req);
	else
		iov_advance(req, (uint64_t)res);
	bc->eng->start(bc, req);
}

/* Everything in the request is aligned for O_DIRECT. */
static bool
dio_ok(const struct blockif *bc, const struct blockif_req *req)
{
	uint64_t a = bc->dio_align;

	if (req->br_offset % a != 0)
		return false;
	for (int i = 0; i < req->br_iovcnt; i++)
		if ((uintptr_t)req->br_iov[i].iov_base % a != 0 ||
		    req->br_iov[i].iov_len % a != 0)
			return false;
	return true;
}

int
blockif_submit(struct blockif *bc, struct blockif_req *req)
{
	uint64_t total = 0;
	int err = 0;

	if (bc->inflight >= bc->depth) {
		errno = EBUSY;
		return -1;
	}
	bc->inflight++;
	req->br_error = 0;
	req->br_done = 0;
	req->br_stage = 0;
	req->br_ziov = NULL;
	req->br_fdsel = 0;
	switch (req->br_op) {
	case BIF_READ:
	case BIF_WRITE:
		if (req->br_iovcnt < 0 || req->br_iovcnt > IOV_MAX) {
			err = EINVAL;
			break;
		}
		for (int i = 0; i < req->br_iovcnt; i++) {
			if (req->br_iov[i].iov_len > bc->size - total) {
				err = EINVAL;	/* longer than the disk */
				break;
			}
			total += req->br_iov[i].iov_len;
		}
		break;
	case BIF_DISCARD:
	case BIF_WRITE_ZEROES:
		total = req->br_len;
		break;
	case BIF_FLUSH:
		if (bc->flush_error != 0)
			err = bc->flush_error;
		break;
	default:
		err = EINVAL;
	}
	/* Bounds without overflow: total <= size, offset <= size - total. */
	if (err == 0 && (total > bc->size || req->br_offset > bc->size - total))
		err = EINVAL;
	if (err == 0 && bc->ro && req->br_op != BIF_READ &&
	    req->br_op != BIF_FLUSH)
		err = EROFS;
	req->br_total = total;
	if (err == 0 && req->br_op == BIF_DISCARD && bc->no_punch_hole)
		total = 0;
	if (err == 0 && total == 0 && req->br_op != BIF_FLUSH) {
		finish(bc, req, 0);		/* nothing to do */
		(void)eventfd_write(bc->compl_fd, 1);
		return 0;
	}
	if (err != 0) {
		finish(bc, req, err);
		(void)eventfd_write(bc->compl_fd, 1);
		return 0;
	}
	if (req->br_op == BIF_WRITE_ZEROES && bc->no_zero_range) {
		req->br_stage = 1;
		req->br_ziov = calloc(ZERO_MAX_IOV, sizeof(struct iovec));
		if (req->br_ziov == NULL) {
			finish(bc, req, ENOMEM);
			(void)eventfd_write(bc->compl_fd, 1);
			return 0;
		}
		zero_iov(req);
	}
	if (bc->fd_buf >= 0 && (req->br_op == BIF_READ ||
	    req->br_op == BIF_WRITE) && !dio_ok(bc, req))
		req->br_fdsel = 1;
	bc->eng->start(bc, req);
	return 0;
}

void
blockif_kick(struct blockif *bc)
{
	bc->eng->kick(bc);
}

int
blockif_completion_fd(const struct blockif *bc)
{
	return bc->compl_fd;
}

unsigned
blockif_inflight(const struct blockif *bc)
{
	return bc->inflight;
}

int
blockif_reap(struct blockif *bc, blockif_done_fn *done, void *arg)
{
	struct blockif_req *list;
	eventfd_t v;
	int n = 0;

	(void)eventfd_read(bc->compl_fd, &v);
	bc->eng->reap(bc);
	for (;;) {
		pthread_mutex_lock(&bc->done_mtx);
		list = bc->done_head;
		bc->done_head = bc->done_tail = NULL;
		pthread_mutex_unlock(&bc->done_mtx);
		if (list == NULL)
			break;
		while (list != NULL) {
			struct blockif_req *r = list;

			list = r->br_next;
			if (r->br_fin == BIF_FINAL) {
				bc->inflight--;
				n++;
				done(r, arg);
			} else {
				bif_io_done(bc, r, r->br_res);
			}
		}
	}
	bc->eng->kick(bc);
	return n;
}

void
blockif_drain(struct blockif *bc, blockif_done_fn *done, void *arg)
{
	while (bc->inflight > 0) {
		struct pollfd pfd = { .fd = bc->compl_fd, .events = POLLIN };

		if (blockif_reap(bc, done, arg) == 0)
			(void)poll(&pfd, 1, 100);
	}
}

/* --- opening ------------------------------------------------------------- */

uint64_t blockif_size(const struct blockif *bc) { return bc->size; }
unsigned blockif_sectsz(const struct blockif *bc) { return bc->sectsz; }
unsigned blockif_psectsz(const struct blockif *bc) { return bc->psectsz; }
bool blockif_is_ro(const struct blockif *bc) { return bc->ro; }
bool blockif_is_blockdev(const struct blockif *bc) { return bc->blockdev; }
const char *blockif_engine(const struct blockif *bc) { return bc->eng->name; }

static bool
pow2_in(unsigned v, unsigned lo, unsigned hi)
{
	return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

/* "PATH: WHAT" or "PATH: WHAT: DETAIL"; returns -1. */
static int
open_err(char *err, size_t errlen, const char *path, const char *what,
    const char *detail)
{
	snprintf(err, errlen, "%s: %s%s%s", path, what, detail ? ": " : "",
	    detail ? detail : "");
	return -1;
}

/* Open, lock, size; fills bc (fds, size, sector sizes). */
static int
open_image(struct blockif *bc, const struct blockif_opts *o, char *err,
    size_t errlen)
{
	int flags = (o->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
	    (o->sync ? O_SYNC : 0);
	struct flock fl;
	struct stat st;
	unsigned dev_lsec = 512, dev_psec = 0;

	bc->fd = open(o->path, flags | (o->nocache ? O_DIRECT : 0));
	if (bc->fd < 0 && o->nocache && errno == EINVAL)
		return open_err(err, errlen, o->path, "the file system "
		    "does not support direct I/O (nocache)", NULL);
	if (bc->fd < 0 && !o->ro && (errno == EROFS || errno == EACCES))
		return open_err(err, errlen, o->path, "cannot open it for "
		    "writing (add ,ro for a read-only disk)", strerror(errno));
	if (bc->fd < 0)
		return open_err(err, errlen, o->path, "cannot open",
		    strerror(errno));
	if (fstat(bc->fd, &st) != 0)
		return open_err(err, errlen, o->path, "fstat",
		    strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		int ls = 0, ps = 0;

		bc->blockdev = true;
		if (ioctl(bc->fd, BLKGETSIZE64, &bc->size) != 0)
			return open_err(err, errlen, o->path,
			    "BLKGETSIZE64", strerror(errno));
		if (ioctl(bc->fd, BLKSSZGET, &ls) == 0 && ls >= 512)
			dev_lsec = (unsigned)ls;
		if (ioctl(bc->fd, BLKPBSZGET, &ps) == 0 && ps > 0)
			dev_psec = (unsigned)ps;
	} else if (S_ISREG(st.st_mode)) {
		bc->size = (uint64_t)st.st_size;
	} else {
		return open_err(err, errlen, o->path, "not a regular "
		    "file or a block device", NULL);
	}
	/* One writer or many readers, across processes (OFD lock). */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = o->ro ? F_RDLCK : F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(bc->fd, F_OFD_SETLK, &fl) != 0) {
		if (errno == EAGAIN || errno == EACCES)
			return open_err(err, errlen, o->path, o->ro ?
			    "in use: another process has it open read-write" :
			    "in use: another process has it open (a VM image "
			    "may have one writer or any number of readers)", NULL);
		fprintf(stderr, "zhyve: %s: cannot lock it (%s); other "
		    "processes may open it at the same time\n", o->path,
		    strerror(errno));
	}
	if (o->nocache) {
		bc->fd_buf = open(o->path, flags);
		if (bc->fd_buf < 0)
			return open_err(err, errlen, o->path, "cannot open",
			    strerror(errno));
	}
	bc->sectsz = o->sectsz != 0 ? o->sectsz : dev_lsec;
	if (!pow2_in(bc->sectsz, 512, 4096))
		return open_err(err, errlen, o->path, "sector size must "
		    "be a power of two from 512 to 4096", NULL);
	if (bc->sectsz < dev_lsec) {
		snprintf(err, errlen, "%s: sector size %u is smaller than the "
		    "device's logical sector size %u", o->path, bc->sectsz,
		    dev_lsec);
		return -1;
	}
	bc->psectsz = o->psectsz != 0 ? o->psectsz :
	    dev_psec > bc->sectsz ? dev_psec : bc->sectsz;
	if (!pow2_in(bc->psectsz, bc->sectsz, 65536))
		return open_err(err, errlen, o->path, "physical sector "
		    "size must be a power of two, at least the logical one and "
		    "at most 65536", NULL);
	bc->size -= bc->size % bc->sectsz;	/* whole sectors only */
	bc->dio_align = bc->sectsz > 4096 ? bc->sectsz : 4096;
#ifdef STATX_DIOALIGN
	if (o->nocache) {
		struct statx sx;

		if (statx(bc->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
		    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_mem_align > 0) {
			unsigned a = sx.stx_dio_mem_align >
			    sx.stx_dio_offset_align ? sx.stx_dio_mem_align :
			    sx.stx_dio_offset_align;
			if (a > 0)
				bc->dio_align = a;
		}
	}
#endif
	return 0;
}

struct blockif *
blockif_open(const struct blockif_opts *o, char *err, size_t errlen)
{
	struct blockif *bc;
	const char *want = o->engine;
	int r;

	if (o->path == NULL || o->path[0] == '\0') {
		snprintf(err, errlen, "no image path");
		return NULL;
	}
	if (want != NULL && strcmp(want, "uring") != 0 &&
	    strcmp(want, "threads") != 0) {
		snprintf(err, errlen, "engine '%s': expected uring or threads",
		    want);
		return NULL;
	}
	bc = calloc(1, sizeof(*bc));
	if (bc == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(bc->path, sizeof(bc->path), "%s", o->path);
	bc->fd = bc->fd_buf = bc->compl_fd = -1;
	bc->ro = o->ro;
	bc->nocache = o->nocache;
	bc->depth = o->depth == 0 ? 256 : o->depth > 4096 ? 4096 : o->depth;
	pthread_mutex_init(&bc->done_mtx, NULL);
	if (open_image(bc, o, err, errlen) != 0)
		goto fail;
	bc->compl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (bc->compl_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	bc->eng = want != NULL && strcmp(want, "threads") == 0 ?
	    &bif_engine_threads : &bif_engine_uring;
	r = bc->eng->init(bc);
	if (r != 0 && bc->eng == &bif_engine_uring && want == NULL) {
		/* io_uring refused (kernel, sysctl, seccomp): use threads. */
		bc->eng = &bif_engine_threads;
		r = bc->eng->init(bc);
	}
	if (r != 0) {
		snprintf(err, errlen, "%s: cannot start the %s I/O engine: %s",
		    o->path, bc->eng->name, strerror(-r));
		bc->eng = NULL;
		goto fail;
	}
	return bc;
fail:
	blockif_close(bc, NULL, NULL);
	return NULL;
}

static void
discard_done(struct blockif_req *req, void *arg)
{
	(void)req;
	(void)arg;
}

void
blockif_close(struct blockif *bc, blockif_done_fn *done, void *arg)
{
	if (bc == NULL)
		return;
	if (bc->eng != NULL) {
		blockif_drain(bc, done != NULL ? done : discard_done, arg);
		bc->eng->fini(bc);
	}
	if (bc->fd >= 0)
		close(bc->fd);
	if (bc->fd_buf >= 0)
		close(bc->fd_buf);
	if (bc->compl_fd >= 0)
		close(bc->compl_fd);
	pthread_mutex_destroy(&bc->done_mtx);
	free(bc);
}
