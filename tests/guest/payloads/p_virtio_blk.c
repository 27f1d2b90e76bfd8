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
 * Boot CPU only.
 */
#include "plib.h"

#define RING		0x100000u
#define DESC		RING
#define AVAIL		(RING + 0x1000)
#define USED		(RING + 0x2000)
#define HDR		0x110000u
#define STATUS		0x110100u
#define DATA		0x120000u
#define DATA2		0x130000u
#define QSZ		16
#define BAR_POOL	0xC4000000u	/* for BARs nobody assigned */
#define POLL_LIMIT	20000000u

#define F_NEXT		1
#define F_WRITE		2

static unsigned slot;
static uint32_t common, notify, devcfg, notify_mult;
static uint16_t notify_off, avail_idx, used_seen;
static uint32_t bar_next = BAR_POOL;

static inline uint8_t rd8(uint32_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t rd16(uint32_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t rd32(uint32_t a) { return *(volatile uint32_t *)a; }
static inline void wr8(uint32_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void wr16(uint32_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void wr32(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

static uint8_t cfg8(unsigned off)
{
	return (uint8_t)(pci_cfg_read32(0, slot, 0, off & ~3u) >> (8 * (off & 3)));
}

/* Address of memory BAR b, assigning one if it is unassigned. */
static uint32_t bar_addr(unsigned b)
{
	unsigned off = 0x10 + 4 * b;
	uint32_t v = pci_cfg_read32(0, slot, 0, off), sz;
	int is64 = (v & 6) == 4;

	if (v & 1)
		return 0;			/* I/O BAR: not ours */
	if (is64 && pci_cfg_read32(0, slot, 0, off + 4) != 0)
		return 0;			/* above 4 GiB */
	if ((v & ~0xFu) != 0)
		return v & ~0xFu;
	pci_cfg_write32(0, slot, 0, off, 0xFFFFFFFFu);
	sz = pci_cfg_read32(0, slot, 0, off) & ~0xFu;
	if (sz == 0)
		return 0;			/* not implemented */
	sz = ~sz + 1;
	bar_next = (bar_next + sz - 1) & ~(sz - 1);
	pci_cfg_write32(0, slot, 0, off, bar_next);
	if (is64)
		pci_cfg_write32(0, slot, 0, off + 4, 0);
	v = bar_next;
	bar_next += sz;
	return v;
}

static int find_device(void)
{
	for (slot = 0; slot < 32; slot++)
		if (pci_cfg_read32(0, slot, 0, 0) == 0x10421AF4u)
			return 0;
	return -1;
}

static void find_caps(void)
{
	unsigned off = cfg8(0x34), guard = 0;

	while (off != 0 && guard++ < 48) {
		uint8_t type = cfg8(off + 3);

		if (cfg8(off) == 0x09 && type >= 1 && type <= 4) {
			uint32_t a = bar_addr(cfg8(off + 4)) +
			    pci_cfg_read32(0, slot, 0, off + 8);

			if (type == 1)
				common = a;
			else if (type == 2) {
				notify = a;
				notify_mult = pci_cfg_read32(0, slot, 0, off + 16);
			} else if (type == 4)
				devcfg = a;
		}
		off = cfg8(off + 1);
	}
}

static void desc(unsigned i, uint32_t addr, uint32_t len, uint16_t flags,
    uint16_t next)
{
	uint32_t d = DESC + 16 * i;

	wr32(d, addr);
	wr32(d + 4, 0);
	wr32(d + 8, len);
	wr16(d + 12, flags);
	wr16(d + 14, next);
}

/* One request: header, optional data, status.  Returns the status. */
static int do_req(uint32_t type, uint32_t sector, uint32_t data, uint32_t len,
    int dev_writes)
{
	unsigned n = 0;

	wr32(HDR, type);
	wr32(HDR + 4, 0);
	wr32(HDR + 8, sector);
	wr32(HDR + 12, 0);
	wr8(STATUS, 0xFF);
	desc(n, HDR, 16, F_NEXT, (uint16_t)(n + 1));
	n++;
	if (len != 0) {
		desc(n, data, len, F_NEXT | (dev_writes ? F_WRITE : 0),
		    (uint16_t)(n + 1));
		n++;
	}
	desc(n, STATUS, 1, F_WRITE, 0);
	wr16(AVAIL + 4 + 2 * (avail_idx % QSZ), 0);
	__asm__ volatile("" ::: "memory");
	avail_idx++;
	wr16(AVAIL + 2, avail_idx);
	__asm__ volatile("mfence" ::: "memory");
	wr16(notify + notify_off * notify_mult, 0);
	for (uint32_t i = 0; rd16(USED + 2) == used_seen; i++) {
		if (i == POLL_LIMIT)
			return -1;
		cpu_relax();
	}
	used_seen++;
	return rd8(STATUS);
}

static int setup(void)
{
	uint32_t f0, f1;
	uint16_t qmax;

	wr8(common + 0x14, 0);
	while (rd8(common + 0x14) != 0)
		cpu_relax();
	wr8(common + 0x14, 1);
	wr8(common + 0x14, 1 | 2);
	wr32(common + 0x00, 0);
	f0 = rd32(common + 0x04);
	wr32(common + 0x00, 1);
	f1 = rd32(common + 0x04);
	if (!(f1 & 1)) {
		fail("virtio-blk", "VERSION_1 not offered");
		return -1;
	}
	wr32(common + 0x08, 0);
	wr32(common + 0x0C, f0 & (1u << 9));		/* FLUSH */
	wr32(common + 0x08, 1);
	wr32(common + 0x0C, 1);				/* VERSION_1 */
	wr8(common + 0x14, 1 | 2 | 8);
	if (!(rd8(common + 0x14) & 8)) {
		fail("virtio-blk", "FEATURES_OK refused");
		return -1;
	}
	wr16(common + 0x16, 0);
	qmax = rd16(common + 0x18);
	if (qmax < QSZ) {
		fail("virtio-blk", "queue too small");
		return -1;
	}
	memset((void *)RING, 0, 0x3000);
	wr16(common + 0x18, QSZ);
	wr32(common + 0x20, DESC);
	wr32(common + 0x24, 0);
	wr32(common + 0x28, AVAIL);
	wr32(common + 0x2C, 0);
	wr32(common + 0x30, USED);
	wr32(common + 0x34, 0);
	wr16(common + 0x1A, 0xFFFF);			/* no MSI-X vector */
	notify_off = rd16(common + 0x1E);
	wr16(common + 0x1C, 1);
	wr8(common + 0x14, 1 | 2 | 8 | 4);		/* DRIVER_OK */
	return (rd8(common + 0x14) & 0x40) ? -1 : 0;
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

	console_init();
	if (find_device() != 0) {
		fail("virtio-blk", "no 1af4:1042 on bus 0");
		reset_cf9();
	}
	/* BARs are sized and placed with decode off, then turned on. */
	pci_cfg_write32(0, slot, 0, 0x04,
	    pci_cfg_read32(0, slot, 0, 0x04) & ~0x7u);
	find_caps();
	pci_cfg_write32(0, slot, 0, 0x04,
	    pci_cfg_read32(0, slot, 0, 0x04) | 0x6);	/* memory, bus master */
	if (common == 0 || notify == 0 || devcfg == 0) {
		fail("virtio-blk", "virtio capabilities not found");
		reset_cf9();
	}
	printf("virtio-blk at 00:%02x.0, registers at %p\n", slot,
	    (void *)common);
	if (setup() != 0)
		reset_cf9();
	cap_lo = rd32(devcfg);
	cap_hi = rd32(devcfg + 4);
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
