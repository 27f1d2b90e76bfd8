/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMBIOS 2.8 table builder (see smbios.h for what is built).
 *
 * Main thread only, during start-up.
 *
 * Each structure is a formatted area (type, length, handle, fields) followed
 * by its string set: NUL-terminated strings, then one more NUL (two NULs
 * when there are no strings).  String fields hold a 1-based index into the
 * set, or 0 for "not specified"; empty strings are never stored.  Handles
 * are numbered from 0 in table order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "smbios.h"
#include "vmm.h"

#define EP_LEN		0x1F
#define SMBIOS_MAJOR	2
#define SMBIOS_MINOR	8
#define NO_HANDLE	0xFFFF
#define NO_ERR_INFO	0xFFFE
#define DIMM_MAX	GIB(16)

/* Formatted-area lengths for SMBIOS 2.8. */
#define T0_LEN		0x18
#define T1_LEN		0x1B
#define T2_LEN		0x0F
#define T3_LEN		0x16
#define T4_LEN		0x2A
#define T16_LEN		0x17
#define T17_LEN		0x28
#define T19_LEN		0x1F
#define T32_LEN		0x0B
#define T127_LEN	0x04
#define MAX_FMT_LEN	0x2A

struct smb {
	uint8_t *buf;		/* start of the structure table */
	size_t cap;
	size_t len;
	uint16_t nhandles;
	size_t maxsize;		/* largest structure incl. strings */
	size_t cur;		/* offset of the open structure */
	unsigned nstr;		/* strings in the open structure */
	bool overflow;
	uint8_t scratch[MAX_FMT_LEN];
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t
sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n-- > 0)
		s = (uint8_t)(s + *p++);
	return (s);
}

static void *
smb_room(struct smb *s, size_t n)
{
	void *p;

	if (s->overflow || n > s->cap - s->len) {
		s->overflow = true;
		return (NULL);
	}
	p = s->buf + s->len;
	s->len += n;
	return (p);
}

/* Open a structure; returns its zeroed formatted area.  Never NULL: on
 * overflow the fields go to scratch space and the build fails at the end. */
static uint8_t *
smb_begin(struct smb *s, uint8_t type, uint8_t flen, uint16_t *handle)
{
	uint8_t *p = smb_room(s, flen);

	s->cur = s->len;
	if (p == NULL)
		p = s->scratch;
	else
		s->cur = (size_t)(p - s->buf);
	memset(p, 0, flen);
	p[0] = type;
	p[1] = flen;
	put16(p + 2, s->nhandles);
	if (handle != NULL)
		*handle = s->nhandles;
	s->nhandles++;
	s->nstr = 0;
	return (p);
}

/* Add a string to the open structure; its index, or 0 for none. */
static uint8_t
smb_str(struct smb *s, const char *str)
{
	size_t n;
	char *p;

	if (str == NULL || *str == '\0')
		return (0);
	n = strlen(str) + 1;
	if ((p = smb_room(s, n)) == NULL)
		return (0);
	memcpy(p, str, n);
	return ((uint8_t)++s->nstr);
}

static void
smb_end(struct smb *s)
{
	uint8_t *p = smb_room(s, s->nstr == 0 ? 2 : 1);

	if (p == NULL)
		return;
	p[0] = 0;
	if (s->nstr == 0)
		p[1] = 0;
	if (s->len - s->cur > s->maxsize)
		s->maxsize = s->len - s->cur;
}

static void
type0_bios(struct smb *s, const struct smbios_config *c)
{
	uint8_t *p = smb_begin(s, 0, T0_LEN, NULL);

	p[4] = smb_str(s, c->str[SMBIOS_BIOS_VENDOR]);
	p[5] = smb_str(s, c->str[SMBIOS_BIOS_VERSION]);
	put16(p + 6, 0xF000);		/* starting segment */
	p[8] = smb_str(s, c->str[SMBIOS_BIOS_DATE]);
	p[9] = 0;			/* ROM size: 64 KiB */
	put64(p + 10, 1ULL << 7);	/* characteristics: PCI */
	p[18] = 0x01;			/* ext 1: ACPI */
	p[19] = 0x10;			/* ext 2: virtual machine */
	p[20] = 1;			/* system BIOS major.minor */
	p[21] = 0;
	p[22] = 0xFF;			/* no embedded controller */
	p[23] = 0xFF;
	smb_end(s);
}

static void
type1_system(struct smb *s, const struct smbios_config *c)
{
	uint8_t *p = smb_begin(s, 1, T1_LEN, NULL);

	p[4] = smb_str(s, c->str[SMBIOS_SYS_MANUFACTURER]);
	p[5] = smb_str(s, c->str[SMBIOS_SYS_PRODUCT]);
	p[6] = smb_str(s, c->str[SMBIOS_SYS_VERSION]);
	p[7] = smb_str(s, c->str[SMBIOS_SYS_SERIAL]);
	/* UUID: the first three fields little-endian (SMBIOS 2.6+). */
	for (int i = 0; i < 4; i++)
		p[8 + i] = c->uuid[3 - i];
	p[12] = c->uuid[5];
	p[13] = c->uuid[4];
	p[14] = c->uuid[7];
	p[15] = c->uuid[6];
	memcpy(p + 16, c->uuid + 8, 8);
	p[24] = 0x06;			/* wake-up type: power switch */
	p[25] = smb_str(s, c->str[SMBIOS_SYS_SKU]);
	p[26] = smb_str(s, c->str[SMBIOS_SYS_FAMILY]);
	smb_end(s);
}

static void
type3_chassis(struct smb *s, const struct smbios_config *c)
{
	uint8_t *p = smb_begin(s, 3, T3_LEN, NULL);

	p[4] = smb_str(s, c->str[SMBIOS_CHASSIS_MANUFACTURER]);
	p[5] = 0x01;			/* type: other */
	p[6] = smb_str(s, c->str[SMBIOS_CHASSIS_VERSION]);
	p[7] = smb_str(s, c->str[SMBIOS_CHASSIS_SERIAL]);
	p[8] = smb_str(s, c->str[SMBIOS_CHASSIS_ASSET]);
	p[9] = 0x03;			/* boot-up state: safe */
	p[10] = 0x03;			/* power supply state: safe */
	p[11] = 0x03;			/* thermal state: safe */
	p[12] = 0x02;			/* security: unknown */
	/* OEM (4), height, cords, no contained elements: all 0. */
	p[21] = smb_str(s, c->str[SMBIOS_CHASSIS_SKU]);
	smb_end(s);
}

/* The board comes right before its chassis: the chassis handle is next. */
static void
type2_board(struct smb *s, const struct smbios_config *c)
{
	uint16_t handle;
	uint8_t *p = smb_begin(s, 2, T2_LEN, &handle);

	p[4] = smb_str(s, c->str[SMBIOS_BOARD_MANUFACTURER]);
	p[5] = smb_str(s, c->str[SMBIOS_BOARD_PRODUCT]);
	p[6] = smb_str(s, c->str[SMBIOS_BOARD_VERSION]);
	p[7] = smb_str(s, c->str[SMBIOS_BOARD_SERIAL]);
	p[8] = smb_str(s, c->str[SMBIOS_BOARD_ASSET]);
	p[9] = 0x01;			/* feature flags: hosting board */
	p[10] = 0;			/* location in chassis: none */
	put16(p + 11, (uint16_t)(handle + 1));
	p[13] = 0x0A;			/* board type: motherboard */
	p[14] = 0;			/* no contained objects */
	smb_end(s);
}

static uint8_t
cap255(unsigned v)
{
	return ((uint8_t)(v > 255 ? 255 : v));
}

/* One type 4 per socket. */
static void
type4_cpus(struct smb *s, const struct smbios_config *c)
{
	const struct topology *t = &c->topo;
	unsigned per_socket = t->cores * t->threads;

	for (unsigned sock = 0; sock < t->sockets; sock++) {
		unsigned first = sock * per_socket, started = 0;
		uint16_t chars = 0x04;		/* 64-bit capable */
		char name[32];
		uint8_t *p;

		if (t->cpus > first)
			started = t->cpus - first < per_socket ?
			    t->cpus - first : per_socket;
		snprintf(name, sizeof(name), "CPU %u", sock);
		p = smb_begin(s, 4, T4_LEN, NULL);
		p[4] = smb_str(s, name);
		p[5] = 0x03;			/* central processor */
		p[6] = 0x01;			/* family: other */
		p[7] = smb_str(s, c->str[SMBIOS_SYS_MANUFACTURER]);
		/* Processor ID (8 bytes), version, voltage, clocks: 0. */
		p[24] = started > 0 ? 0x41 : 0x00;	/* populated, enabled */
		p[25] = 0x01;			/* upgrade: other */
		put16(p + 26, NO_HANDLE);	/* L1, L2, L3 caches */
		put16(p + 28, NO_HANDLE);
		put16(p + 30, NO_HANDLE);
		p[35] = cap255(t->cores);
		p[36] = cap255((started + t->threads - 1) / t->threads);
		p[37] = cap255(per_socket);
		if (t->cores > 1)
			chars |= 0x08;		/* multi-core */
		if (t->threads > 1)
			chars |= 0x10;		/* hardware threads */
		put16(p + 38, chars);
		put16(p + 40, 0x01);		/* family 2: other */
		smb_end(s);
	}
}

static void
memory(struct smb *s, const struct smbios_config *c)
{
	uint64_t total = c->lowmem + c->highmem, left = total;
	uint64_t total_kb = total >> 10;
	unsigned ndev = (unsigned)((total + DIMM_MAX - 1) / DIMM_MAX);
	uint16_t array;
	uint8_t *p;

	p = smb_begin(s, 16, T16_LEN, &array);
	p[4] = 0x03;			/* location: system board */
	p[5] = 0x03;			/* use: system memory */
	p[6] = 0x03;			/* error correction: none */
	if (total_kb < 0x80000000ULL) {
		put32(p + 7, (uint32_t)total_kb);
	} else {
		put32(p + 7, 0x80000000);
		put64(p + 15, total);	/* extended capacity, bytes */
	}
	put16(p + 11, NO_ERR_INFO);
	put16(p + 13, (uint16_t)ndev);
	smb_end(s);

	for (unsigned i = 0; i < ndev; i++) {
		uint64_t size = left < DIMM_MAX ? left : DIMM_MAX;
		char loc[32];

		left -= size;
		snprintf(loc, sizeof(loc), "DIMM %u", i);
		p = smb_begin(s, 17, T17_LEN, NULL);
		put16(p + 4, array);
		put16(p + 6, NO_ERR_INFO);
		put16(p + 8, 0xFFFF);		/* total width: unknown */
		put16(p + 10, 0xFFFF);		/* data width: unknown */
		/* Size in MiB, or in KiB (bit 15) for a small odd size. */
		if ((size & (MIB(1) - 1)) != 0 && (size >> 10) < 0x7FFF)
			put16(p + 12, (uint16_t)(0x8000 | (size >> 10)));
		else
			put16(p + 12, (uint16_t)(size >> 20));
		p[14] = 0x09;			/* form factor: DIMM */
		p[16] = smb_str(s, loc);
		p[18] = 0x07;			/* type: RAM */
		put16(p + 19, 0x0004);		/* detail: unknown */
		smb_end(s);
	}

	for (int hi = 0; hi < 2; hi++) {
		uint64_t start = hi ? HIGHMEM_BASE : 0;
		uint64_t size = hi ? c->highmem : c->lowmem;
		uint64_t end = start + size - 1;

		if (size == 0)
			continue;
		p = smb_begin(s, 19, T19_LEN, NULL);
		if ((end >> 10) < 0xFFFFFFFFULL) {
			put32(p + 4, (uint32_t)(start >> 10));
			put32(p + 8, (uint32_t)(end >> 10));
		} else {
			put32(p + 4, 0xFFFFFFFF);
			put32(p + 8, 0xFFFFFFFF);
			put64(p + 15, start);
			put64(p + 23, end);
		}
		put16(p + 12, array);
		p[14] = 1;			/* partition width */
		smb_end(s);
	}
}

static int
check_config(const struct smbios_config *c, char *err, size_t errlen)
{
	const struct topology *t = &c->topo;

	for (int i = 0; i < SMBIOS_NSTR; i++) {
		const char *v = c->str[i];

		if (v == NULL)
			continue;
		if (strlen(v) > SMBIOS_MAX_STRLEN) {
			snprintf(err, errlen, "%s: longer than %d characters",
			    smbios_key(i), SMBIOS_MAX_STRLEN);
			return (-1);
		}
		for (const char *q = v; *q != '\0'; q++) {
			if ((unsigned char)*q < 0x20 || *q == 0x7F) {
				snprintf(err, errlen, "%s: contains a control "
				    "character", smbios_key(i));
				return (-1);
			}
		}
	}
	if (t->cpus == 0 || t->sockets == 0 || t->cores == 0 ||
	    t->threads == 0 || t->sockets > 4096) {
		snprintf(err, errlen, "SMBIOS: bad topology (%u cpus, %u "
		    "sockets, %u cores, %u threads)", t->cpus, t->sockets,
		    t->cores, t->threads);
		return (-1);
	}
	if (c->lowmem == 0 || c->lowmem > HIGHMEM_BASE ||
	    c->highmem > (1ULL << 52)) {
		snprintf(err, errlen, "SMBIOS: bad memory size");
		return (-1);
	}
	return (0);
}

int
smbios_build_to_buffer(const struct smbios_config *cfg, uint64_t base_gpa,
    uint8_t *buf, size_t len, size_t *used, char *err, size_t errlen)
{
	struct smb s;
	uint8_t *ep;

	if (errlen > 0)
		err[0] = '\0';
	if (check_config(cfg, err, errlen) != 0)
		return (-1);
	if ((base_gpa & 15) != 0 || len <= SMBIOS_TABLE_OFFSET ||
	    base_gpa + len > 0x100000000ULL) {
		snprintf(err, errlen, "SMBIOS: area 0x%llx+0x%zx must be "
		    "16-byte aligned, below 4 GiB and hold the entry point",
		    (unsigned long long)base_gpa, len);
		return (-1);
	}
	memset(buf, 0, len);
	memset(&s, 0, sizeof(s));
	s.buf = buf + SMBIOS_TABLE_OFFSET;
	s.cap = len - SMBIOS_TABLE_OFFSET;
	if (s.cap > 0xFFFF)
		s.cap = 0xFFFF;			/* 16-bit table length */

	type0_bios(&s, cfg);
	type1_system(&s, cfg);
	type2_board(&s, cfg);
	type3_chassis(&s, cfg);
	type4_cpus(&s, cfg);
	memory(&s, cfg);
	smb_begin(&s, 32, T32_LEN, NULL);	/* boot: no errors */
	smb_end(&s);
	smb_begin(&s, 127, T127_LEN, NULL);
	smb_end(&s);
	if (s.overflow) {
		snprintf(err, errlen, "SMBIOS: tables do not fit in %zu bytes",
		    s.cap);
		return (-1);
	}

	ep = buf;
	memcpy(ep, "_SM_", 4);
	ep[5] = EP_LEN;
	ep[6] = SMBIOS_MAJOR;
	ep[7] = SMBIOS_MINOR;
	put16(ep + 8, (uint16_t)s.maxsize);
	ep[10] = 0;				/* entry point revision */
	memcpy(ep + 16, "_DMI_", 5);
	put16(ep + 22, (uint16_t)s.len);
	put32(ep + 24, (uint32_t)(base_gpa + SMBIOS_TABLE_OFFSET));
	put16(ep + 28, s.nhandles);
	ep[30] = SMBIOS_MAJOR << 4 | SMBIOS_MINOR;	/* BCD revision */
	ep[21] = (uint8_t)(0 - sum8(ep + 16, 15));	/* intermediate */
	ep[4] = (uint8_t)(0 - sum8(ep, EP_LEN));
	*used = SMBIOS_TABLE_OFFSET + s.len;
	return (0);
}

int
smbios_build(struct vm *vm, const struct smbios_config *cfg, char *err,
    size_t errlen)
{
	struct smbios_config c = *cfg;
	uint8_t *buf;
	size_t used;
	int rc = -1;

	c.lowmem = vm_lowmem_size(vm);
	c.highmem = vm_highmem_size(vm);
	if (!vm_gpa_is_ram(vm, SMBIOS_BASE, SMBIOS_SIZE)) {
		snprintf(err, errlen, "SMBIOS: guest memory at 0x%llx-0x%llx "
		    "is not RAM", (unsigned long long)SMBIOS_BASE,
		    (unsigned long long)(SMBIOS_BASE + SMBIOS_SIZE - 1));
		return (-1);
	}
	if ((buf = malloc(SMBIOS_SIZE)) == NULL) {
		snprintf(err, errlen, "SMBIOS: out of memory");
		return (-1);
	}
	if (smbios_build_to_buffer(&c, SMBIOS_BASE, buf, SMBIOS_SIZE, &used,
	    err, errlen) == 0) {
		if (vm_copyout(vm, buf, SMBIOS_BASE, SMBIOS_SIZE) == 0)
			rc = 0;
		else
			snprintf(err, errlen, "SMBIOS: cannot write guest "
			    "memory at 0x%llx", (unsigned long long)SMBIOS_BASE);
	}
	free(buf);
	return (rc);
}
