/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "virtio-blk": a minimal virtio 1.x driver.  It finds the first
 * modern virtio-blk function (1AF4:1042) on bus 0, assigns any BAR that
 * firmware left unassigned (QEMU with a bare ROM), walks the vendor
 * capabilities, negotiates VERSION_1 + FLUSH, sets up one 16-entry queue
 * (MSI-X left off; the used ring is polled), and then: reads the
 * capacity, writes 8 sectors and reads them back, writes a marker sector
 * that the host checks afterwards, flushes, reads the serial with GET_ID,
 * and checks that a read past the end and an unknown request fail as
 * they should.  Prints "PASS virtio-blk" and resets through 0xCF9.
 * The driver core is shared with p_bench_virtio (vblk.h).
 * Boot CPU only.
 */
#include "plib.h"
#include "vblk.h"

#define RING		0x100000u
#define HDR		0x110000u
#define STATUS		0x110100u
#define DATA		0x120000u
#define DATA2		0x130000u
#define QSZ		16
#define POLL_LIMIT	20000000u

static struct vblk vb;
static uint16_t avail_idx;

/* One request: header, optional data, status.  Returns the status. */
static int do_req(uint32_t type, uint32_t sector, uint32_t data, uint32_t len,
    int dev_writes)
{
	unsigned n = 0;

	vblk_hdr(HDR, type, sector);
	vb_wr8(STATUS, 0xFF);
	vblk_desc(vb.desc, n, HDR, 16, VBLK_F_NEXT, (uint16_t)(n + 1));
	n++;
	if (len != 0) {
		vblk_desc(vb.desc, n, data, len,
		    VBLK_F_NEXT | (dev_writes ? VBLK_F_WRITE : 0),
		    (uint16_t)(n + 1));
		n++;
	}
	vblk_desc(vb.desc, n, STATUS, 1, VBLK_F_WRITE, 0);
	vb_wr16(vb.avail + 4 + 2 * (avail_idx % QSZ), 0);
	avail_idx++;
	vblk_publish_kick(&vb, avail_idx);
	if (vblk_wait_used(&vb, avail_idx, POLL_LIMIT) != 0)
		return -1;
	return vb_rd8(STATUS);
}

static int check(int got, int want, const char *what)
{
	if (got == want)
		return 0;
	printf("FAIL virtio-blk: %s: status %d, wanted %d\n", what, got, want);
	return -1;
}

void pmain(void)
{
	uint32_t cap_lo, cap_hi;
	uint8_t *a = (uint8_t *)DATA, *b = (uint8_t *)DATA2;
	char serial[21];
	const char *why;

	console_init();
	if ((why = vblk_find(&vb)) != NULL) {
		fail("virtio-blk", why);
		reset_cf9();
	}
	printf("virtio-blk at 00:%02x.0, registers at %p\n", vb.slot,
	    (void *)vb.common);
	if ((why = vblk_setup(&vb, VBLK_FEAT_FLUSH, QSZ, QSZ, RING)) != NULL) {
		fail("virtio-blk", why);
		reset_cf9();
	}
	cap_lo = vb_rd32(vb.devcfg);
	cap_hi = vb_rd32(vb.devcfg + 4);
	printf("capacity %u sectors\n", cap_lo);

	for (unsigned i = 0; i < 4096; i++)
		a[i] = (uint8_t)(i * 7 + 3);
	memset(b, 0, 4096);
	if (check(do_req(1, 8, DATA, 4096, 0), 0, "write") ||
	    check(do_req(0, 8, DATA2, 4096, 1), 0, "read"))
		reset_cf9();
	for (unsigned i = 0; i < 4096; i++) {
		if (b[i] != a[i]) {
			printf("FAIL virtio-blk: byte %u reads %x, wrote %x\n",
			    i, b[i], a[i]);
			reset_cf9();
		}
	}
	puts("read back 8 sectors");
	memset(a, 0, 512);
	memcpy(a, "ZHYVE-PAYLOAD-SECTOR", 20);
	if (check(do_req(1, 100, DATA, 512, 0), 0, "marker write") ||
	    check(do_req(4, 0, 0, 0, 0), 0, "flush"))
		reset_cf9();
	memset(b, 0, 64);
	if (check(do_req(8, 0, DATA2, 20, 1), 0, "GET_ID"))
		reset_cf9();
	memcpy(serial, b, 20);
	serial[20] = '\0';
	printf("serial %s\n", serial);
	if (cap_hi == 0 &&
	    (check(do_req(0, cap_lo, DATA2, 512, 1), 1, "read past the end") ||
	    check(do_req(99, 0, DATA2, 512, 1), 2, "unknown request")))
		reset_cf9();
	pass("virtio-blk");
	reset_cf9();
}
