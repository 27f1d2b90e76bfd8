/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the virtio-blk request path: the chain walker,
 * the request decoder (virtio_blk_req.c) and the block backend
 * (block_if.c with its io_uring engine) on small images in /dev/shm.
 *
 * Structure-aware: fuzz_virtq.c throws raw bytes at the ring, so here the
 * input is a list of requests that the harness lays out as a driver
 * would, and then bends.  Byte 0 picks the disk (512- or 4096-byte
 * sectors, read-only) and the negotiated features; then 24-byte records:
 *
 *   +0  le32 type        +4  le64 sector       +12 le16 data length
 *   +14 layout bits: 0 data device-writable, 1 header split in two,
 *       2 data and status in one buffer, 3 indirect table, 4 status
 *       read-only, 5 no status, 6 header and payload in one buffer,
 *       7 a readable buffer after the writable ones
 *   +15 discard/write-zeroes segments (0..3)
 *   +16 le64 segment sector  +20 (overlapping) le32 sectors, +23 flags
 *
 * Each accepted chain is decoded; answered requests must have their
 * status byte in guest RAM; submitted ones must lie inside the disk and
 * guest RAM and are then really executed.
 *
 * Threads: the fuzzing thread (the backend's work runs in io_uring).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block_if.h"
#include "virtio.h"
#include "virtio_blk.h"
#include "vmm.h"

#define MEMSIZE		(16u << 20)
#define QSIZE		256
#define RING		0x10000ULL
#define HDRS		0x100000ULL	/* + i * 0x1000: header, segments */
#define TABLES		0x200000ULL	/* + i * 0x1000: indirect tables */
#define DATA		0x400000ULL	/* + i * 0x10000: data */
#define MAXREQ		32
#define REC		24
#define DISKSIZE	(256u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm *vm;
static uint8_t *ram;
static struct blockif *bc[2];		/* 512- and 4096-byte sectors */

static struct blockif *
open_disk(unsigned sectsz)
{
	struct blockif_opts o = { .sectsz = sectsz, .depth = 8 };
	char path[64], err[256];
	struct blockif *b;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/zhyve-fuzz-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, DISKSIZE) != 0)
		abort();
	close(fd);
	o.path = path;
	b = blockif_open(&o, err, sizeof(err));
	unlink(path);
	if (b == NULL) {
		fprintf(stderr, "fuzz_blk: %s\n", err);
		abort();
	}
	return b;
}

static void
setup_once(void)
{
	char err[128];

	if (vm != NULL)
		return;
	vm = vm_create_fake("fuzz");
	if (vm == NULL || vm_setup_memory(vm, MEMSIZE, MEMSIZE, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_blk: guest memory: %s\n", err);
		abort();
	}
	ram = vm_map_gpa(vm, 0, MEMSIZE);
	bc[0] = open_disk(512);
	bc[1] = open_disk(4096);
}

static void
on_broken(struct vqueue *vq, const char *why)
{
	(void)vq;
	(void)why;
}

static void
in_ram(const void *p, size_t len)
{
	const uint8_t *b = p;

	if (b < ram || len > MEMSIZE || b + len > ram + MEMSIZE)
		abort();
}

static void
done(struct blockif_req *req, void *arg)
{
	(void)req;
	(void)arg;
}

static void
put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
    uint16_t flags, uint16_t next)
{
	uint8_t *d = ram + table + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

struct buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* Lay out request i from record r; returns the chain's head. */
static uint16_t
build(unsigned i, const uint8_t *r, uint16_t *next_desc)
{
	uint64_t hdr = HDRS + 0x1000ULL * i, dat = DATA + 0x10000ULL * i;
	uint64_t status = hdr + 0x800;
	uint16_t dlen, head, n = 0;
	uint8_t lay = r[14], nseg = r[15] & 3;
	struct buf b[8];
	uint32_t plen;

	memcpy(&dlen, r + 12, 2);
	memcpy(ram + hdr, r, 12);		/* type, sector */
	memset(ram + hdr + 12, 0, 4);
	for (unsigned s = 0; s < nseg; s++)
		memcpy(ram + hdr + 16 + 16 * s, r + 16, 8),
		    memcpy(ram + hdr + 24 + 16 * s, r + 20, 4),
		    memset(ram + hdr + 28 + 16 * s, r[23], 4);
	/* Readable: header, then segments or write data. */
	plen = nseg ? 16u * nseg : (lay & 1) ? 0 : dlen;
	if (lay & 64) {
		if (!nseg && plen > 0x7E0)
			plen = 0x7E0;
		if (!nseg)
			memcpy(ram + hdr + 16, ram + dat, plen);
		b[n++] = (struct buf){ hdr, 16 + plen, false };
	} else {
		if (lay & 2) {
			b[n++] = (struct buf){ hdr, 8, false };
			b[n++] = (struct buf){ hdr + 8, 8, false };
		} else {
			b[n++] = (struct buf){ hdr, 16, false };
		}
		if (plen)
			b[n++] = (struct buf){ nseg ? hdr + 16 : dat, plen,
			    false };
	}
	/* Writable: read data, then the status byte. */
	if ((lay & 1) && dlen) {
		if ((lay & 4) && !(lay & 32))
			b[n++] = (struct buf){ dat, (uint32_t)dlen + 1, true };
		else
			b[n++] = (struct buf){ dat, dlen, true };
	}
	if (!(lay & 32) && !((lay & 1) && dlen && (lay & 4)))
		b[n++] = (struct buf){ status, 1, !(lay & 16) };
	if (lay & 128)
		b[n++] = (struct buf){ hdr, 4, false };

	head = *next_desc;
	if (lay & 8) {
		uint64_t tab = TABLES + 0x1000ULL * i;

		for (uint16_t k = 0; k < n; k++)
			put_desc(tab, k, b[k].addr, b[k].len, (uint16_t)(
			    (k + 1 < n ? VRING_DESC_F_NEXT : 0) |
			    (b[k].write ? VRING_DESC_F_WRITE : 0)),
			    (uint16_t)(k + 1));
		put_desc(RING, head, tab, 16u * n, VRING_DESC_F_INDIRECT, 0);
		*next_desc = (uint16_t)((head + 1) % QSIZE);
		return head;
	}
	for (uint16_t k = 0; k < n; k++) {
		uint16_t d = (uint16_t)((head + k) % QSIZE);

		put_desc(RING, d, b[k].addr, b[k].len, (uint16_t)(
		    (k + 1 < n ? VRING_DESC_F_NEXT : 0) |
		    (b[k].write ? VRING_DESC_F_WRITE : 0)),
		    (uint16_t)((d + 1) % QSIZE));
	}
	*next_desc = (uint16_t)((head + n) % QSIZE);
	return head;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iovec iov[QSIZE];
	struct vtblk_disk disk;
	struct vtblk_decoded dec;
	struct vqueue vq;
	struct vq_chain ch;
	struct blockif *b;
	uint16_t nd = 0, nreq = 0;
	uint8_t *avail;
	char why[128];

	setup_once();
	if (size < 1)
		return 0;
	b = bc[data[0] & 1];
	memset(&disk, 0, sizeof(disk));
	disk.size = blockif_size(b);
	disk.sectsz = blockif_sectsz(b);
	disk.ro = (data[0] >> 1) & 1;
	disk.features = VIRTIO_F_VERSION_1 |
	    ((data[0] & 4) ? VTBLK_F_FLUSH : 0) |
	    ((data[0] & 8) ? VTBLK_F_DISCARD : 0) |
	    ((data[0] & 16) ? VTBLK_F_WRITE_ZEROES : 0);
	memcpy(disk.ident, "FUZZ-SERIAL-0123456", 20);

	vq_init(&vq, vm, 0, QSIZE);
	vq.vq_on_broken = on_broken;
	vq.vq_size = QSIZE;
	vq.vq_desc_gpa = RING;
	vq.vq_avail_gpa = RING + 16ULL * QSIZE;
	vq.vq_used_gpa = RING + 0x2000;
	if (vq_map(&vq, VIRTIO_F_INDIRECT_DESC, why, sizeof(why)) != 0)
		abort();
	memset(ram + RING, 0, 0x4000);
	avail = ram + vq.vq_avail_gpa;
	for (size_t off = 1; off + REC <= size && nreq < MAXREQ; off += REC) {
		uint16_t h = build(nreq, data + off, &nd);

		memcpy(avail + 4 + 2 * nreq, &h, 2);
		nreq++;
	}
	memcpy(avail + 2, &nreq, 2);

	for (int k = 0; k < MAXREQ; k++) {
		if (vq_getchain(&vq, &ch, iov, QSIZE) <= 0)
			break;
		vtblk_decode(&disk, &ch, iov, &dec);
		if (dec.action == VTBLK_BROKEN)
			break;
		in_ram(dec.status, 1);
		if (dec.action == VTBLK_SUBMIT) {
			struct blockif_req *r = &dec.req;
			uint64_t total = r->br_len;

			for (int i = 0; i < r->br_iovcnt; i++) {
				in_ram(r->br_iov[i].iov_base,
				    r->br_iov[i].iov_len);
				if (r->br_op == BIF_READ || r->br_op == BIF_WRITE)
					total += r->br_iov[i].iov_len;
			}
			if (r->br_op != BIF_FLUSH &&
			    (total > disk.size ||
			    r->br_offset > disk.size - total))
				abort();
			if (disk.ro && r->br_op != BIF_READ &&
			    r->br_op != BIF_FLUSH)
				abort();
			if (blockif_submit(b, r) != 0)
				abort();
			blockif_kick(b);
			blockif_drain(b, done, NULL);
			*dec.status = r->br_error ? VTBLK_S_IOERR : VTBLK_S_OK;
		} else {
			*dec.status = dec.status_val;
		}
		vq_relchain(&vq, ch.head, dec.used_len);
	}
	return 0;
}
