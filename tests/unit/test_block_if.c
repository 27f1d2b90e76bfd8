/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the block backend (devices/backend/block_if.c and both
 * engines): reads and writes with many requests in flight, flush and its
 * sticky error, discard, write-zeroes (with the fallback on tmpfs, which
 * has no ZERO_RANGE), bounds, read-only images, the OFD lock, sector
 * sizes, I/O errors.
 *
 * Threads: main thread (the engine's threads run behind block_if).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liburing.h>

#include "block_if.h"
#include "block_if_impl.h"
#include "test.h"

#define IMGSIZE (4u << 20)

static char path[64];
static int ndone;
static struct blockif_req *last_done;

static const char *engines[] = { "uring", "threads" };

static void
mkimage(const char *dir, uint64_t size)
{
	int fd;

	snprintf(path, sizeof(path), "%s/zhyve-bif-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
		printf("    cannot make %s: %s\n", path, strerror(errno));
	close(fd);
}

static struct blockif *
open_img(const char *engine, bool ro, bool nocache)
{
	struct blockif_opts o = { .path = path, .ro = ro, .nocache = nocache,
	    .engine = engine, .depth = 64 };
	char err[256] = "";
	struct blockif *bc = blockif_open(&o, err, sizeof(err));

	if (bc == NULL)
		printf("    blockif_open: %s\n", err);
	return bc;
}

static void
on_done(struct blockif_req *req, void *arg)
{
	(void)arg;
	ndone++;
	last_done = req;
}

/* Submit one request and wait for it; returns its error. */
static int
run1(struct blockif *bc, struct blockif_req *r)
{
	ndone = 0;
	if (blockif_submit(bc, r) != 0)
		return -1;
	blockif_kick(bc);
	blockif_drain(bc, on_done, NULL);
	return ndone == 1 && last_done == r ? r->br_error : -2;
}

static int
rw(struct blockif *bc, enum blockif_op op, uint64_t off, void *buf,
    size_t len)
{
	struct iovec iov = { buf, len };
	struct blockif_req r = { .br_op = op, .br_offset = off,
	    .br_iov = &iov, .br_iovcnt = 1 };

	return run1(bc, &r);
}

TEST(rw_many_in_flight)
{
	for (int e = 0; e < 2; e++) {
		static struct blockif_req reqs[32];
		static struct iovec iov[32][2];
		static uint8_t buf[32][8192], back[8192];
		struct blockif *bc;

		mkimage("/tmp", IMGSIZE);
		bc = open_img(engines[e], false, false);
		if (bc == NULL) {
			CHECK(0);
			continue;
		}
		CHECK_STR(blockif_engine(bc), engines[e]);
		CHECK_EQ(blockif_size(bc), IMGSIZE);
		CHECK_EQ(blockif_sectsz(bc), 512);
		/* 32 writes in flight at once, two buffers each. */
		for (int i = 0; i < 32; i++) {
			memset(buf[i], 'a' + i, sizeof(buf[i]));
			iov[i][0] = (struct iovec){ buf[i], 4096 };
			iov[i][1] = (struct iovec){ buf[i] + 4096, 4096 };
			reqs[i] = (struct blockif_req){ .br_op = BIF_WRITE,
			    .br_offset = (uint64_t)i * 8192, .br_iov = iov[i],
			    .br_iovcnt = 2, .br_dsync = i == 5 };
			CHECK_EQ(blockif_submit(bc, &reqs[i]), 0);
		}
		CHECK_EQ(blockif_inflight(bc), 32);
		blockif_kick(bc);
		ndone = 0;
		blockif_drain(bc, on_done, NULL);
		CHECK_EQ(ndone, 32);
		CHECK_EQ(blockif_inflight(bc), 0);
		for (int i = 0; i < 32; i++)
			CHECK_EQ(reqs[i].br_error, 0);
		for (int i = 0; i < 32; i += 7) {
			memset(back, 0, sizeof(back));
			CHECK_EQ(rw(bc, BIF_READ, (uint64_t)i * 8192, back,
			    8192), 0);
			CHECK(memcmp(back, buf[i], 8192) == 0);
		}
		{
			struct blockif_req f = { .br_op = BIF_FLUSH };
			CHECK_EQ(run1(bc, &f), 0);
		}
		blockif_close(bc, NULL, NULL);
		unlink(path);
	}
}

TEST(depth_limit)
{
	static struct blockif_req reqs[65];
	static uint8_t b[512];
	struct iovec iov = { b, 512 };
	struct blockif *bc;

	mkimage("/tmp", IMGSIZE);
	bc = open_img(NULL, false, false);
	if (bc == NULL) {
		CHECK(0);
		return;
	}
	for (int i = 0; i < 64; i++) {
		reqs[i] = (struct blockif_req){ .br_op = BIF_READ,
		    .br_iov = &iov, .br_iovcnt = 1 };
		CHECK_EQ(blockif_submit(bc, &reqs[i]), 0);
	}
	reqs[64] = reqs[0];
	errno = 0;
	CHECK_EQ(blockif_submit(bc, &reqs[64]), -1);
	CHECK_EQ(errno, EBUSY);
	blockif_kick(bc);
	ndone = 0;
	blockif_drain(bc, on_done, NULL);
	CHECK_EQ(ndone, 64);
	blockif_close(bc, NULL, NULL);
	unlink(path);
}

TEST(bounds)
{
	static uint8_t b[1024];
	struct blockif *bc;

	mkimage("/tmp", IMGSIZE);
	bc = open_img(NULL, false, false);
	if (bc == NULL) {
		CHECK(0);
		return;
	}
	CHECK_EQ(rw(bc, BIF_READ, IMGSIZE - 512, b, 512), 0);
	CHECK_EQ(rw(bc, BIF_READ, IMGSIZE - 512, b, 1024), EINVAL);
	CHECK_EQ(rw(bc, BIF_WRITE, IMGSIZE, b, 1), EINVAL);
	CHECK_EQ(rw(bc, BIF_READ, ~0ULL - 100, b, 512), EINVAL);
	{
		struct blockif_req r = { .br_op = BIF_DISCARD,
		    .br_offset = 512, .br_len = ~0ULL };
		CHECK_EQ(run1(bc, &r), EINVAL);
		r = (struct blockif_req){ .br_op = BIF_WRITE_ZEROES,
		    .br_offset = ~0ULL - 511, .br_len = 1024 };
		CHECK_EQ(run1(bc, &r), EINVAL);
		r = (struct blockif_req){ .br_op = 99 };
		CHECK_EQ(run1(bc, &r), EINVAL);
	}
	blockif_close(bc, NULL, NULL);
	unlink(path);
}

static bool
all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

TEST(discard_and_zeroes)
{
	static const char *dirs[] = { "/tmp", "/dev/shm" };

	for (int d = 0; d < 2; d++) {
		for (int e = 0; e < 2; e++) {
			static uint8_t b[3u << 20];
			struct blockif *bc;
			struct blockif_req r;
			struct stat st;

			if (stat(dirs[d], &st) != 0)
				SKIP("no /dev/shm");
			mkimage(dirs[d], IMGSIZE);
			bc = open_img(engines[e], false, false);
			if (bc == NULL) {
				CHECK(0);
				continue;
			}
			memset(b, 0xEE, sizeof(b));
			CHECK_EQ(rw(bc, BIF_WRITE, 0, b, sizeof(b)), 0);
			/* Zero 2 MiB + 512 in the middle. */
			r = (struct blockif_req){ .br_op = BIF_WRITE_ZEROES,
			    .br_offset = 4096, .br_len = (2u << 20) + 512 };
			CHECK_EQ(run1(bc, &r), 0);
			CHECK_EQ(rw(bc, BIF_READ, 0, b, sizeof(b)), 0);
			CHECK(all_bytes(b, 4096, 0xEE));
			CHECK(all_bytes(b + 4096, (2u << 20) + 512, 0));
			CHECK(all_bytes(b + 4096 + (2u << 20) + 512, 4096, 0xEE));
			/* tmpfs has no ZERO_RANGE: the fallback wrote zeroes. */
			if (d == 1)
				CHECK(bc->no_zero_range);
			/* Discard reads back as zeroes on these file systems. */
			r = (struct blockif_req){ .br_op = BIF_DISCARD,
			    .br_offset = 0, .br_len = 4096 };
			CHECK_EQ(run1(bc, &r), 0);
			CHECK_EQ(rw(bc, BIF_READ, 0, b, 8192), 0);
			CHECK(all_bytes(b, 4096, 0));
			CHECK(all_bytes(b + 4096, 4096, 0));
			CHECK_EQ(blockif_size(bc), IMGSIZE);	/* KEEP_SIZE */
			blockif_close(bc, NULL, NULL);
			unlink(path);
		}
	}
}

TEST(read_only_and_lock)
{
	static uint8_t b[512];
	struct blockif *a, *c;
	struct blockif_opts o = { 0 };
	char err[256] = "";

	mkimage("/tmp", IMGSIZE);
	a = open_img(NULL, true, false);
	CHECK(a != NULL);
	CHECK(blockif_is_ro(a));
	if (a != NULL) {
		CHECK_EQ(rw(a, BIF_WRITE, 0, b, 512), EROFS);
		CHECK_EQ(rw(a, BIF_READ, 0, b, 512), 0);
	}
	/* Another reader is fine, a writer is not. */
	c = open_img(NULL, true, false);
	CHECK(c != NULL);
	blockif_close(c, NULL, NULL);
	o.path = path;
	c = blockif_open(&o, err, sizeof(err));
	CHECK(c == NULL);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "in use") != NULL);
	blockif_close(a, NULL, NULL);
	/* A writer excludes readers and writers. */
	a = open_img(NULL, false, false);
	CHECK(a != NULL);
	o.ro = true;
	c = blockif_open(&o, err, sizeof(err));
	CHECK(c == NULL);
	CHECK(strstr(err, "in use") != NULL);
	blockif_close(a, NULL, NULL);
	/* Closed: free again. */
	c = blockif_open(&o, err, sizeof(err));
	CHECK(c != NULL);
	blockif_close(c, NULL, NULL);
	unlink(path);
}

TEST(open_errors)
{
	struct blockif_opts o = { .path = "/nonexistent/zhyve.img" };
	char err[256] = "";
	struct blockif *bc;

	CHECK(blockif_open(&o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/zhyve.img") != NULL);
	o.path = "/dev/null";		/* a character device */
	CHECK(blockif_open(&o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a regular file or a block device") != NULL);
	o.path = "/tmp";
	CHECK(blockif_open(&o, err, sizeof(err)) == NULL);
	mkimage("/tmp", IMGSIZE + 1000);
	o.path = path;
	o.engine = "magic";
	CHECK(blockif_open(&o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "uring or threads") != NULL);
	o.engine = NULL;
	o.sectsz = 1000;
	CHECK(blockif_open(&o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "sector size") != NULL);
	o.sectsz = 4096;
	o.psectsz = 2048;		/* smaller than logical */
	CHECK(blockif_open(&o, err, sizeof(err)) == NULL);
	o.psectsz = 16384;
	bc = blockif_open(&o, err, sizeof(err));
	CHECK(bc != NULL);
	if (bc != NULL) {
		/* Whole 4 KiB sectors only. */
		CHECK_EQ(blockif_size(bc), IMGSIZE);
		CHECK_EQ(blockif_sectsz(bc), 4096);
		CHECK_EQ(blockif_psectsz(bc), 16384);
		blockif_close(bc, NULL, NULL);
	}
	unlink(path);
}

TEST(nocache)
{
	static uint8_t b[8192] __attribute__((aligned(4096)));
	struct blockif *bc;

	mkimage("/tmp", IMGSIZE);
	bc = open_img(NULL, false, true);
	if (bc == NULL)
		SKIP("no O_DIRECT on /tmp");
	memset(b, 0x5A, sizeof(b));
	/* Aligned: O_DIRECT; misaligned buffer: the buffered twin. */
	CHECK_EQ(rw(bc, BIF_WRITE, 0, b, 4096), 0);
	CHECK_EQ(rw(bc, BIF_WRITE, 4096, b + 1, 512), 0);
	memset(b, 0, sizeof(b));
	CHECK_EQ(rw(bc, BIF_READ, 4096, b + 3, 512), 0);
	CHECK(all_bytes(b + 3, 512, 0x5A));
	CHECK_EQ(rw(bc, BIF_READ, 0, b, 4096), 0);
	CHECK(all_bytes(b, 4096, 0x5A));
	blockif_close(bc, NULL, NULL);
	unlink(path);
}

TEST(io_errors)
{
	static uint8_t b[4096];
	struct blockif *bc;
	struct rlimit old, lim;
	int fd;

	for (int e = 0; e < 2; e++) {
		mkimage("/tmp", IMGSIZE);
		bc = open_img(engines[e], false, false);
		if (bc == NULL) {
			CHECK(0);
			continue;
		}
		/* The image shrinks behind our back: reads hit end of file. */
		fd = open(path, O_RDWR);
		CHECK(fd >= 0 && ftruncate(fd, 8192) == 0);
		close(fd);
		CHECK_EQ(rw(bc, BIF_READ, 1 << 20, b, 4096), EIO);
		CHECK_EQ(rw(bc, BIF_READ, 4096, b, 4096), 0);
		/* Writes past a file size limit fail with EFBIG. */
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = 65536;
		setrlimit(RLIMIT_FSIZE, &lim);
		CHECK_EQ(rw(bc, BIF_WRITE, 1 << 20, b, 4096), EFBIG);
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, SIG_DFL);
		/* A flush that failed stays failed. */
		{
			struct blockif_req f = { .br_op = BIF_FLUSH };

			CHECK_EQ(run1(bc, &f), 0);
			bc->inflight++;
			bif_io_done(bc, &f, -EIO);	/* as if fdatasync failed */
			ndone = 0;
			blockif_drain(bc, on_done, NULL);
			CHECK_EQ(ndone, 1);
			CHECK_EQ(f.br_error, EIO);
			CHECK_EQ(run1(bc, &f), EIO);
			CHECK_EQ(run1(bc, &f), EIO);
			/* Data I/O goes on. */
			CHECK_EQ(rw(bc, BIF_WRITE, 0, b, 512), 0);
		}
		blockif_close(bc, NULL, NULL);
		unlink(path);
	}
}

/*
 * The io_uring engine's ring runs only what the engine submits: an
 * operation it never uses (openat, a nop) completes with -EACCES instead
 * of running, so the ring cannot be turned against the host after the
 * seccomp filter (which does not see io_uring operations).
 */
TEST(uring_restricted)
{
	struct blockif *bc;
	struct io_uring *ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	uint8_t b[512];
	int i;

	mkimage("/tmp", IMGSIZE);
	bc = open_img("uring", false, false);
	CHECK(bc != NULL);
	if (bc == NULL)
		return;
	if (strcmp(blockif_engine(bc), "uring") != 0) {
		blockif_close(bc, NULL, NULL);
		unlink(path);
		SKIP("no io_uring on this kernel (the thread engine took over)");
	}
	ring = bif_uring_ring(bc);
	CHECK(ring != NULL);
	for (i = 0; ring != NULL && i < 2; i++) {
		sqe = io_uring_get_sqe(ring);
		CHECK(sqe != NULL);
		if (sqe == NULL)
			break;
		if (i == 0)
			io_uring_prep_openat(sqe, AT_FDCWD, "/", O_RDONLY, 0);
		else
			io_uring_prep_nop(sqe);
		io_uring_sqe_set_data(sqe, NULL);
		CHECK_EQ(io_uring_submit(ring), 1);
		CHECK_EQ(io_uring_wait_cqe(ring, &cqe), 0);
		CHECK_EQ(cqe->res, -EACCES);
		io_uring_cqe_seen(ring, cqe);
	}
	/* The engine's own operations still run. */
	memset(b, 0x5a, sizeof(b));
	CHECK_EQ(rw(bc, BIF_WRITE, 0, b, 512), 0);
	{
		struct blockif_req f = { .br_op = BIF_FLUSH };
		CHECK_EQ(run1(bc, &f), 0);
	}
	blockif_close(bc, NULL, NULL);
	unlink(path);
}

int
main(void)
{
	RUN(rw_many_in_flight);
	RUN(depth_limit);
	RUN(bounds);
	RUN(discard_and_zeroes);
	RUN(read_only_and_lock);
	RUN(open_errors);
	RUN(nocache);
	RUN(io_errors);
	RUN(uring_restricted);
	TEST_SUMMARY();
}
