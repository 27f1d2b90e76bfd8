/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for virtio-blk (devices/virtio/virtio_blk.c and
 * virtio_blk_req.c) through the PCI transport, with queues in fake guest
 * memory and a real image file: reads, writes, many requests in flight,
 * flush, discard, write-zeroes, GET_ID, the device configuration, I/O
 * errors, hostile requests (short or read-only status, missing status,
 * wrong buffer directions, heads reused while in flight), reset while
 * busy, and configuration errors.  Every case ends with the device in a
 * defined state and the process alive.
 *
 * Threads: main thread; the device's worker thread runs behind it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "test.h"
#include "virtio_blk.h"
#include "virtio_pcidrv.h"

#define RING0	0x100000ULL
#define HDRS	0x200000ULL	/* request headers/status: 256 bytes each */
#define DATA	0x800000ULL	/* data buffers: 64 KiB each */
#define QSZ	128
#define IMGSZ	(8u << 20)

static char img[64];
static struct vdrv d;
static uint16_t next_head;	/* descriptor allocator: 4 per request */
static uint16_t nposted;

static const uint64_t all_feats = VIRTIO_F_VERSION_1 | VTBLK_F_FLUSH |
    VTBLK_F_DISCARD | VTBLK_F_WRITE_ZEROES | VTBLK_F_BLK_SIZE |
    VTBLK_F_SEG_MAX | VTBLK_F_SIZE_MAX | VTBLK_F_TOPOLOGY |
    VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX;

static void
make_image(void)
{
	int fd;

	snprintf(img, sizeof(img), "/tmp/zhyve-vblk-XXXXXX");
	fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, IMGSZ) != 0)
		printf("    cannot create %s\n", img);
	close(fd);
}

/* Start a device with options; 0, or -1 with the error in err. */
static int
start_dev(const char *opts, char *err, size_t errlen)
{
	char arg[256];

	snprintf(arg, sizeof(arg), "4,virtio-blk,%s%s", img, opts);
	if (pci_parse_slot(arg) != 0) {
		snprintf(err, errlen, "-s refused");
		return -1;
	}
	return drv_pci_init(err, errlen);
}

/* A live device with one queue of QSZ and the features it takes. */
static int
setup_feats(const char *opts, uint64_t feats)
{
	char err[256] = "";

	drv_ctx_setup();
	make_image();
	next_head = nposted = 0;
	if (start_dev(opts, err, sizeof(err)) != 0) {
		printf("    init: %s\n", err);
		return -1;
	}
	if (drv_attach(&d, 4) != 0)
		return -1;
	feats &= drv_offered(&d);
	if (!(drv_negotiate(&d, feats) & VIRTIO_S_FEATURES_OK))
		return -1;
	drv_queue(&d, 0, QSZ, RING0, VIRTIO_MSI_NO_VECTOR);
	drv_driver_ok(&d);
	return (drv_status(&d) & VIRTIO_S_DRIVER_OK) ? 0 : -1;
}

static int
setup(const char *opts)
{
	return setup_feats(opts, all_feats);
}

static void
teardown(void)
{
	drv_ctx_teardown();
	unlink(img);
}

struct rq {
	uint16_t head;
	uint64_t hdr;		/* gpa of the header; status at hdr + 16 */
};

/* Header at slot n: type, sector. */
static uint64_t
put_hdr(int n, uint32_t type, uint64_t sector)
{
	uint64_t g = HDRS + 256ULL * (uint64_t)n;
	uint8_t *h = drv_g(g);

	memset(h, 0, 32);
	tq_put32(h, type);
	tq_put64(h + 8, sector);
	h[16] = 0xAA;		/* status: not yet written */
	return g;
}

/*
 * Post the usual three-descriptor request: header, data (dlen bytes at
 * dgpa, device-writable if dwrite; none if dlen 0), status.
 */
static struct rq
post(uint32_t type, uint64_t sector, uint64_t dgpa, uint32_t dlen,
    bool dwrite)
{
	struct tq *q = &d.q[0];
	struct rq r;
	uint16_t h = next_head, i = h;

	next_head = (uint16_t)((next_head + 4) % QSZ);
	r.head = h;
	r.hdr = put_hdr(h / 4, type, sector);
	tq_desc(q, i, r.hdr, 16, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	i++;
	if (dlen > 0) {
		tq_desc(q, i, dgpa, dlen, VRING_DESC_F_NEXT |
		    (dwrite ? VRING_DESC_F_WRITE : 0), (uint16_t)(i + 1));
		i++;
	}
	tq_desc(q, i, r.hdr + 16, 1, VRING_DESC_F_WRITE, 0);
	tq_post(q, h);
	nposted++;
	return r;
}

/* Kick and wait for everything posted; returns the last used length. */
static bool
run(void)
{
	drv_kick(&d, 0);
	return drv_wait_used(&d, 0, nposted);
}

static uint8_t
st(struct rq r)
{
	return *drv_g(r.hdr + 16);
}

/* One request, waited for: its status. */
static uint8_t
do_req(uint32_t type, uint64_t sector, uint64_t dgpa, uint32_t dlen,
    bool dwrite)
{
	struct rq r = post(type, sector, dgpa, dlen, dwrite);

	if (!run())
		return 0xEE;
	return st(r);
}

static void
file_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(img, O_RDONLY);

	if (fd < 0 || pread(fd, buf, len, (off_t)off) != (ssize_t)len)
		memset(buf, 0x77, len);
	if (fd >= 0)
		close(fd);
}

static bool
all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* --- tests ------------------------------------------------------------------ */

TEST(config_space)
{
	if (setup(",sectorsize=4096/16384") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	CHECK_EQ(R32(d.devcfg + 0), IMGSZ / 512);	/* capacity lo */
	CHECK_EQ(R32(d.devcfg + 4), 0);
	CHECK_EQ(R32(d.devcfg + 12), 254);		/* seg_max */
	CHECK_EQ(R32(d.devcfg + 20), 4096);		/* blk_size */
	CHECK_EQ(R8(d.devcfg + 24), 2);			/* 4 logical/physical */
	CHECK_EQ(R32(d.devcfg + 40), 1);		/* max_discard_seg */
	CHECK_EQ(R32(d.devcfg + 52), 1);		/* max_write_zeroes_seg */
	CHECK_EQ(R32(d.devcfg + 44), 8);		/* discard alignment */
	CHECK_EQ(R32(d.devcfg + 60), 0);		/* past the end */
	W32(d.devcfg, 0);				/* read-only */
	CHECK_EQ(R32(d.devcfg + 0), IMGSZ / 512);
	{
		uint64_t f = drv_offered(&d);

		CHECK(f & VTBLK_F_DISCARD);
		CHECK(f & VTBLK_F_WRITE_ZEROES);
		CHECK(!(f & VTBLK_F_RO));
	}
	teardown();

	if (setup(",ro,nodelete") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	{
		uint64_t f = drv_offered(&d);

		CHECK(f & VTBLK_F_RO);
		CHECK(!(f & VTBLK_F_DISCARD));
		CHECK(!(f & VTBLK_F_WRITE_ZEROES));
	}
	CHECK_EQ(R32(d.devcfg + 20), 512);
	teardown();
}

TEST(read_write)
{
	uint8_t back[4096];
	struct rq r;

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	memset(drv_g(DATA), 0x5C, 4096);
	CHECK_EQ(do_req(VTBLK_T_OUT, 10, DATA, 4096, false), VTBLK_S_OK);
	file_read(10 * 512, back, sizeof(back));
	CHECK(all_bytes(back, 4096, 0x5C));
	memset(drv_g(DATA + 0x10000), 0, 4096);
	r = post(VTBLK_T_IN, 10, DATA + 0x10000, 4096, true);
	CHECK(run());
	CHECK_EQ(st(r), VTBLK_S_OK);
	CHECK(all_bytes(drv_g(DATA + 0x10000), 4096, 0x5C));
	{
		uint32_t id = 0, len = 0;

		while (tq_get_used(&d.q[0], &id, &len))
			;
		CHECK_EQ(id, r.head);
		CHECK_EQ(len, 4097);		/* data + status */
	}
	/* The last sector of the disk, and the flush. */
	CHECK_EQ(do_req(VTBLK_T_OUT, IMGSZ / 512 - 1, DATA, 512, false),
	    VTBLK_S_OK);
	CHECK_EQ(do_req(VTBLK_T_FLUSH, 0, 0, 0, false), VTBLK_S_OK);
	teardown();
}

TEST(any_layout_and_indirect)
{
	struct tq *q;
	uint64_t tab = DATA + 0x100000, buf = DATA + 0x200000;
	uint8_t *b, back[1024];

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	q = &d.q[0];
	/* One readable buffer holding header and data (a write). */
	b = drv_g(buf);
	memset(b, 0, 16);
	tq_put32(b, VTBLK_T_OUT);
	tq_put64(b + 8, 4);
	memset(b + 16, 0x42, 1024);
	tq_desc(q, 0, buf, 16 + 1024, VRING_DESC_F_NEXT, 1);
	tq_desc(q, 1, buf + 0x1000, 1, VRING_DESC_F_WRITE, 0);
	tq_post(q, 0);
	nposted++;
	CHECK(run());
	CHECK_EQ(*drv_g(buf + 0x1000), VTBLK_S_OK);
	file_read(4 * 512, back, sizeof(back));
	CHECK(all_bytes(back, 1024, 0x42));
	/* A read through an indirect table; data and status in one buffer. */
	memset(b, 0, 16);
	tq_put32(b, VTBLK_T_IN);
	tq_put64(b + 8, 4);
	memset(drv_g(buf + 0x2000), 0, 1025);
	tq_desc_at(drv_ctx.vm, tab, 0, buf, 16, VRING_DESC_F_NEXT, 1);
	tq_desc_at(drv_ctx.vm, tab, 1, buf + 0x2000, 1025,
	    VRING_DESC_F_WRITE, 0);
	tq_desc(q, 4, tab, 32, VRING_DESC_F_INDIRECT, 0);
	tq_post(q, 4);
	nposted++;
	CHECK(run());
	CHECK(all_bytes(drv_g(buf + 0x2000), 1024, 0x42));
	CHECK_EQ(*drv_g(buf + 0x2000 + 1024), VTBLK_S_OK);
	CHECK(!(drv_status(&d) & VIRTIO_S_NEEDS_RESET));
	teardown();
}

TEST(many_in_flight)
{
	struct rq r[QSZ / 4];
	uint8_t back[8192];
	int n = QSZ / 4;

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	for (int i = 0; i < n; i++) {
		memset(drv_g(DATA + 0x10000ULL * (uint64_t)i), 'A' + i % 26,
		    8192);
		r[i] = post(VTBLK_T_OUT, (uint64_t)i * 16,
		    DATA + 0x10000ULL * (uint64_t)i, 8192, false);
	}
	CHECK(run());
	for (int i = 0; i < n; i++)
		CHECK_EQ(st(r[i]), VTBLK_S_OK);
	for (int i = 0; i < n; i += 5) {
		file_read((uint64_t)i * 16 * 512, back, sizeof(back));
		CHECK(all_bytes(back, sizeof(back), (uint8_t)('A' + i % 26)));
	}
	/* Reads of all of them, in flight together. */
	for (int i = 0; i < n; i++) {
		memset(drv_g(DATA + 0x10000ULL * (uint64_t)i), 0, 8192);
		r[i] = post(VTBLK_T_IN, (uint64_t)i * 16,
		    DATA + 0x10000ULL * (uint64_t)i, 8192, true);
	}
	CHECK(run());
	for (int i = 0; i < n; i++) {
		CHECK_EQ(st(r[i]), VTBLK_S_OK);
		CHECK(all_bytes(drv_g(DATA + 0x10000ULL * (uint64_t)i), 8192,
		    (uint8_t)('A' + i % 26)));
	}
	teardown();
}

/* A discard / write-zeroes request with one segment. */
static uint8_t
seg_req(uint32_t type, uint64_t sector, uint32_t nsect, uint32_t flags,
    int nseg)
{
	uint8_t *s = drv_g(DATA + 0x300000);

	for (int i = 0; i < nseg; i++) {
		tq_put64(s + 16 * i, sector);
		tq_put32(s + 16 * i + 8, nsect);
		tq_put32(s + 16 * i + 12, flags);
	}
	return do_req(type, 0, DATA + 0x300000, 16u * (uint32_t)nseg, false);
}

TEST(discard_and_write_zeroes)
{
	uint8_t back[8192];

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	memset(drv_g(DATA), 0xEE, 65536);
	CHECK_EQ(do_req(VTBLK_T_OUT, 0, DATA, 65536, false), VTBLK_S_OK);
	CHECK_EQ(seg_req(VTBLK_T_WRITE_ZEROES, 8, 8, 1, 1), VTBLK_S_OK);
	file_read(0, back, sizeof(back));
	CHECK(all_bytes(back, 4096, 0xEE));
	CHECK(all_bytes(back + 4096, 4096, 0));
	CHECK_EQ(seg_req(VTBLK_T_DISCARD, 0, 8, 0, 1), VTBLK_S_OK);
	file_read(0, back, 4096);
	CHECK(all_bytes(back, 4096, 0));
	/* Flags, too many segments, ranges. */
	CHECK_EQ(seg_req(VTBLK_T_DISCARD, 0, 8, 1, 1), VTBLK_S_UNSUPP);
	CHECK_EQ(seg_req(VTBLK_T_WRITE_ZEROES, 0, 8, 2, 1), VTBLK_S_UNSUPP);
	CHECK_EQ(seg_req(VTBLK_T_DISCARD, 0, 8, 0, 2), VTBLK_S_IOERR);
	CHECK_EQ(seg_req(VTBLK_T_DISCARD, IMGSZ / 512 - 4, 8, 0, 1),
	    VTBLK_S_IOERR);
	CHECK_EQ(seg_req(VTBLK_T_WRITE_ZEROES, ~0ULL >> 1, 8, 0, 1),
	    VTBLK_S_IOERR);
	CHECK_EQ(seg_req(VTBLK_T_WRITE_ZEROES, 0, VTBLK_MAX_ZEROES + 1, 0, 1),
	    VTBLK_S_IOERR);
	CHECK_EQ(seg_req(VTBLK_T_DISCARD, 0, 0, 0, 1), VTBLK_S_OK);
	teardown();

	/* nodelete: no DISCARD feature; the request is unsupported. */
	if (setup(",nodelete") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	CHECK_EQ(seg_req(VTBLK_T_DISCARD, 0, 8, 0, 1), VTBLK_S_UNSUPP);
	CHECK_EQ(seg_req(VTBLK_T_WRITE_ZEROES, 0, 8, 0, 1), VTBLK_S_OK);
	teardown();
}

TEST(get_id)
{
	uint8_t *b;

	if (setup(",ser=SERIAL-0123") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	b = drv_g(DATA);
	memset(b, 0xFF, 64);
	CHECK_EQ(do_req(VTBLK_T_GET_ID, 0, DATA, 20, true), VTBLK_S_OK);
	CHECK(memcmp(b, "SERIAL-0123\0\0\0\0\0\0\0\0\0", 20) == 0);
	CHECK_EQ(b[20], 0xFF);
	/* A short buffer gets what fits. */
	memset(b, 0xFF, 64);
	CHECK_EQ(do_req(VTBLK_T_GET_ID, 0, DATA, 4, true), VTBLK_S_OK);
	CHECK(memcmp(b, "SERI", 4) == 0);
	CHECK_EQ(b[4], 0xFF);
	teardown();

	/* Default: derived from the path, 20 characters. */
	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	b = drv_g(DATA);
	memset(b, 0, 64);
	CHECK_EQ(do_req(VTBLK_T_GET_ID, 0, DATA, 64, true), VTBLK_S_OK);
	CHECK(memcmp(b, "ZHYVE-", 6) == 0);
	CHECK_EQ(b[10], '-');
	CHECK_EQ(strlen((char *)b), 20);
	teardown();
}

TEST(request_errors)
{
	struct tq *q;

	if (setup(",sectorsize=4096") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	q = &d.q[0];
	/* Outside the disk, unaligned to 4 KiB sectors, unknown type. */
	CHECK_EQ(do_req(VTBLK_T_IN, IMGSZ / 512, DATA, 4096, true),
	    VTBLK_S_IOERR);
	CHECK_EQ(do_req(VTBLK_T_IN, IMGSZ / 512 - 8, DATA, 8192, true),
	    VTBLK_S_IOERR);
	CHECK_EQ(do_req(VTBLK_T_IN, ~0ULL, DATA, 4096, true), VTBLK_S_IOERR);
	CHECK_EQ(do_req(VTBLK_T_IN, 1, DATA, 4096, true), VTBLK_S_IOERR);
	CHECK_EQ(do_req(VTBLK_T_OUT, 0, DATA, 512, false), VTBLK_S_IOERR);
	CHECK_EQ(do_req(99, 0, DATA, 512, true), VTBLK_S_UNSUPP);
	/* A read whose data buffer is device-readable. */
	CHECK_EQ(do_req(VTBLK_T_IN, 0, DATA, 4096, false), VTBLK_S_IOERR);
	/* A write whose data buffer is device-writable. */
	CHECK_EQ(do_req(VTBLK_T_OUT, 0, DATA, 4096, true), VTBLK_S_IOERR);
	/* Header shorter than 16 bytes. */
	put_hdr(40, VTBLK_T_IN, 0);
	tq_desc(q, 100, HDRS + 256 * 40, 8, VRING_DESC_F_NEXT, 101);
	tq_desc(q, 101, HDRS + 256 * 40 + 16, 1, VRING_DESC_F_WRITE, 0);
	tq_post(q, 100);
	nposted++;
	CHECK(run());
	CHECK_EQ(*drv_g(HDRS + 256 * 40 + 16), VTBLK_S_IOERR);
	CHECK(!(drv_status(&d) & VIRTIO_S_NEEDS_RESET));
	/* Still works. */
	CHECK_EQ(do_req(VTBLK_T_IN, 0, DATA, 4096, true), VTBLK_S_OK);
	teardown();

	if (setup(",ro") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	CHECK_EQ(do_req(VTBLK_T_OUT, 0, DATA, 512, false), VTBLK_S_IOERR);
	CHECK_EQ(do_req(VTBLK_T_IN, 0, DATA, 512, true), VTBLK_S_OK);
	teardown();
}

/* After NEEDS_RESET: reset, set up again, and a request works. */
static void
recover(void)
{
	next_head = nposted = 0;
	CHECK(drv_negotiate(&d, all_feats & drv_offered(&d)) &
	    VIRTIO_S_FEATURES_OK);
	drv_queue(&d, 0, QSZ, RING0, VIRTIO_MSI_NO_VECTOR);
	drv_driver_ok(&d);
	CHECK_EQ(do_req(VTBLK_T_FLUSH, 0, 0, 0, false), VTBLK_S_OK);
}

TEST(hostile_chains)
{
	struct tq *q;

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	q = &d.q[0];
	/* Status buffer read-only. */
	put_hdr(0, VTBLK_T_IN, 0);
	tq_desc(q, 0, HDRS, 16, VRING_DESC_F_NEXT, 1);
	tq_desc(q, 1, HDRS + 16, 1, 0, 0);
	tq_post(q, 0);
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	CHECK_EQ(tq_used_idx(q), 0);
	recover();

	/* No status at all: only the header. */
	q = &d.q[0];
	put_hdr(0, VTBLK_T_FLUSH, 0);
	tq_desc(q, 0, HDRS, 16, 0, 0);
	tq_post(q, 0);
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	recover();

	/* Zero-length status buffer. */
	q = &d.q[0];
	put_hdr(0, VTBLK_T_FLUSH, 0);
	tq_desc(q, 0, HDRS, 16, VRING_DESC_F_NEXT, 1);
	tq_desc(q, 1, HDRS + 16, 0, VRING_DESC_F_WRITE, 0);
	tq_post(q, 0);
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	recover();

	/* The same head twice while the first is in flight. */
	q = &d.q[0];
	put_hdr(0, VTBLK_T_IN, 0);
	tq_desc(q, 0, HDRS, 16, VRING_DESC_F_NEXT, 1);
	tq_desc(q, 1, DATA, 65536, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	tq_desc(q, 2, HDRS + 16, 1, VRING_DESC_F_WRITE, 0);
	tq_post(q, 0);
	tq_post(q, 0);
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	recover();

	/* Data outside RAM; the avail index running away. */
	q = &d.q[0];
	post(VTBLK_T_IN, 0, DRV_MEMSIZE - 256, 512, true);
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	recover();
	tq_set_avail_idx(&d.q[0], (uint16_t)(d.q[0].avail_idx + QSZ + 1));
	drv_kick(&d, 0);
	CHECK(drv_wait_needs_reset(&d));
	recover();
	teardown();
}

TEST(io_errors_reach_the_guest)
{
	struct rlimit old, lim;
	int fd;

	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	/* The image shrinks under us: reads past its end fail. */
	fd = open(img, O_RDWR);
	CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
	close(fd);
	CHECK_EQ(do_req(VTBLK_T_IN, 2048, DATA, 4096, true), VTBLK_S_IOERR);
	/* Writes that the file system refuses (here: a size limit). */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 8192;
	setrlimit(RLIMIT_FSIZE, &lim);
	CHECK_EQ(do_req(VTBLK_T_OUT, 2048, DATA, 4096, false), VTBLK_S_IOERR);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	/* The device is fine. */
	CHECK(!(drv_status(&d) & VIRTIO_S_NEEDS_RESET));
	CHECK_EQ(do_req(VTBLK_T_OUT, 0, DATA, 4096, false), VTBLK_S_OK);
	CHECK_EQ(do_req(VTBLK_T_FLUSH, 0, 0, 0, false), VTBLK_S_OK);
	teardown();
}

TEST(reset_while_busy)
{
	if (setup("") != 0) {
		CHECK(0);
		teardown();
		return;
	}
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < QSZ / 4; i++)
			post(i % 2 ? VTBLK_T_OUT : VTBLK_T_IN,
			    (uint64_t)i * 128, DATA + 0x10000ULL * (uint64_t)i,
			    65536, i % 2 == 0);
		drv_kick(&d, 0);
		W8(d.common + DC_STATUS, 0);	/* returns once quiesced */
		CHECK_EQ(drv_status(&d), 0);
		recover();
	}
	teardown();
}

TEST(no_flush_feature)
{
	uint8_t back[512];

	/* Without FLUSH the driver expects write-through; writes work. */
	if (setup_feats("", VIRTIO_F_VERSION_1) != 0) {
		CHECK(0);
		teardown();
		return;
	}
	memset(drv_g(DATA), 0x11, 512);
	CHECK_EQ(do_req(VTBLK_T_OUT, 1, DATA, 512, false), VTBLK_S_OK);
	file_read(512, back, sizeof(back));
	CHECK(all_bytes(back, 512, 0x11));
	/* DISCARD not negotiated: unsupported. */
	CHECK_EQ(seg_req(VTBLK_T_DISCARD, 0, 8, 0, 1), VTBLK_S_UNSUPP);
	teardown();
}

static void
expect_init_error(const char *opts, const char *what)
{
	char err[256] = "";

	drv_ctx_setup();
	make_image();
	CHECK_EQ(start_dev(opts, err, sizeof(err)), -1);
	if (strstr(err, what) == NULL) {
		printf("    error \"%s\" lacks \"%s\"\n", err, what);
		CHECK(0);
	}
	teardown();
}

TEST(config_errors)
{
	char err[256] = "";

	expect_init_error(",sectorsize=1000", "sectorsize");
	expect_init_error(",sectorsize=4096/512", "sectorsize");
	expect_init_error(",sectorsize=8192", "sectorsize");
	expect_init_error(",sectorsize=512/", "sectorsize");
	expect_init_error(",ser=0123456789012345678901", "ser");
	expect_init_error(",bogus=1", "unknown key 'bogus'");
	expect_init_error(",ro=maybe", "ro");
	expect_init_error(",engine=fast", "engine");
	expect_init_error(",virtio_msix=2", "virtio_msix");

	/* A missing image names its path. */
	drv_ctx_setup();
	CHECK_EQ(pci_parse_slot("4,virtio-blk,/nonexistent/disk.img"), 0);
	CHECK_EQ(drv_pci_init(err, sizeof(err)), -1);
	CHECK(strstr(err, "/nonexistent/disk.img") != NULL);
	drv_ctx_teardown();
	/* No path. */
	drv_ctx_setup();
	CHECK_EQ(pci_parse_slot("4,virtio-blk"), -1);
	CHECK_EQ(config_set("pci.0.4.0.device", "virtio-blk"), 0);
	CHECK_EQ(drv_pci_init(err, sizeof(err)), -1);
	CHECK(strstr(err, "path") != NULL);
	drv_ctx_teardown();

	/* Two devices on one image: the second is refused (OFD lock). */
	drv_ctx_setup();
	make_image();
	{
		char a[128], b[128];

		snprintf(a, sizeof(a), "4,virtio-blk,%s", img);
		snprintf(b, sizeof(b), "5,virtio-blk,%s", img);
		CHECK_EQ(pci_parse_slot(a), 0);
		CHECK_EQ(pci_parse_slot(b), 0);
		CHECK_EQ(drv_pci_init(err, sizeof(err)), -1);
		CHECK(strstr(err, "in use") != NULL);
		CHECK(strstr(err, img) != NULL);
	}
	teardown();
	/* ... but two read-only ones share it. */
	drv_ctx_setup();
	make_image();
	{
		char a[128], b[128];

		snprintf(a, sizeof(a), "4,virtio-blk,%s,ro", img);
		snprintf(b, sizeof(b), "5,virtio-blk,%s,ro", img);
		CHECK_EQ(pci_parse_slot(a), 0);
		CHECK_EQ(pci_parse_slot(b), 0);
		CHECK_EQ(drv_pci_init(err, sizeof(err)), 0);
	}
	teardown();
}

int
main(void)
{
	RUN(config_space);
	RUN(read_write);
	RUN(any_layout_and_indirect);
	RUN(many_in_flight);
	RUN(discard_and_write_zeroes);
	RUN(get_id);
	RUN(request_errors);
	RUN(hostile_chains);
	RUN(io_errors_reach_the_guest);
	RUN(reset_while_busy);
	RUN(no_flush_feature);
	RUN(config_errors);
	TEST_SUMMARY();
}
