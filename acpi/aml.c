/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AML encoder and resource-template builder (see aml.h).
 *
 * Main thread only, during start-up.
 *
 * Encodings follow the ACPI specification, "ACPI Machine Language (AML)
 * Specification" (term/name/data objects, PkgLength) and "Resource Data
 * Types for ACPI" (small and large resource descriptors).
 */
#include <stdlib.h>
#include <string.h>

#include "aml.h"

/* Opcodes. */
#define ZERO_OP		0x00
#define ONE_OP		0x01
#define NAME_OP		0x08
#define BYTE_PREFIX	0x0A
#define WORD_PREFIX	0x0B
#define DWORD_PREFIX	0x0C
#define STRING_PREFIX	0x0D
#define QWORD_PREFIX	0x0E
#define SCOPE_OP	0x10
#define BUFFER_OP	0x11
#define PACKAGE_OP	0x12
#define METHOD_OP	0x14
#define DUAL_NAME	0x2E
#define MULTI_NAME	0x2F
#define EXT_OP		0x5B
#define DEVICE_OP	0x82	/* after EXT_OP */
#define ROOT_CHAR	0x5C
#define PARENT_CHAR	0x5E

#define PKGLEN_RESERVE	4	/* bytes held for a PkgLength until aml_end */

static void
aml_fail(struct aml *a, const char *why)
{
	if (a->error == NULL)
		a->error = why;
}

void
aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void
aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int
aml_finish(struct aml *a)
{
	if (a->error == NULL && a->depth != 0)
		aml_fail(a, "AML: unclosed scope, device, method or package");
	return (a->error == NULL ? 0 : -1);
}

void
aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->error != NULL || n == 0)
		return;
	if (n > a->cap - a->len) {
		size_t ncap = a->cap ? a->cap : 4096;
		uint8_t *nb;

		while (ncap - a->len < n) {
			if (ncap > ((size_t)1 << 28)) {
				aml_fail(a, "AML: table too large");
				return;
			}
			ncap *= 2;
		}
		nb = realloc(a->buf, ncap);
		if (nb == NULL) {
			aml_fail(a, "AML: out of memory");
			return;
		}
		a->buf = nb;
		a->cap = ncap;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void
aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void
aml_le(struct aml *a, uint64_t v, int n)
{
	uint8_t b[8];

	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, (size_t)n);
}

/* --- Names ------------------------------------------------------------ */

static bool
seg_char_ok(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || c == '_')
		return (true);
	return (!first && c >= '0' && c <= '9');
}

void
aml_namestring(struct aml *a, const char *path)
{
	uint8_t segs[255][4];
	unsigned nseg = 0;
	const char *p = path;

	if (path == NULL) {
		aml_fail(a, "AML: NULL name");
		return;
	}
	if (*p == '\\') {
		aml_byte(a, ROOT_CHAR);
		p++;
	} else {
		while (*p == '^') {
			aml_byte(a, PARENT_CHAR);
			p++;
		}
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ".");

		if (n == 0 || n > 4 || nseg == 255) {
			aml_fail(a, "AML: bad name segment");
			return;
		}
		for (size_t i = 0; i < 4; i++) {
			if (i < n && !seg_char_ok(p[i], i == 0)) {
				aml_fail(a, "AML: bad character in name");
				return;
			}
			segs[nseg][i] = i < n ? (uint8_t)p[i] : '_';
		}
		nseg++;
		p += n;
		if (*p == '.') {
			p++;
			if (*p == '\0') {
				aml_fail(a, "AML: name ends with '.'");
				return;
			}
		}
	}
	if (nseg == 0) {
		aml_byte(a, 0x00);	/* NullName */
		return;
	}
	if (nseg == 2) {
		aml_byte(a, DUAL_NAME);
	} else if (nseg > 2) {
		aml_byte(a, MULTI_NAME);
		aml_byte(a, (uint8_t)nseg);
	}
	aml_bytes(a, segs, 4 * (size_t)nseg);
}

/* --- Data objects ----------------------------------------------------- */

void
aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, ONE_OP);
	} else if (v <= 0xFF) {
		aml_byte(a, BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xFFFF) {
		aml_byte(a, WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xFFFFFFFF) {
		aml_byte(a, DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void
aml_string(struct aml *a, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7E) {
			aml_fail(a, "AML: string is not printable ASCII");
			return;
		}
	}
	aml_byte(a, STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

void
aml_eisaid(struct aml *a, const char *id)
{
	uint8_t b[4];
	int h[4];

	if (strlen(id) != 7) {
		aml_fail(a, "AML: EISA id is not 7 characters");
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			aml_fail(a, "AML: bad EISA id vendor");
			return;
		}
	}
	for (int i = 0; i < 4; i++) {
		if ((h[i] = hexval(id[3 + i])) < 0) {
			aml_fail(a, "AML: bad EISA id product");
			return;
		}
	}
	/* Three 5-bit letters ('A' = 1), then four hex digits, big-endian. */
	b[0] = (uint8_t)(((id[0] - 0x40) << 2) | ((id[1] - 0x40) >> 3));
	b[1] = (uint8_t)((((id[1] - 0x40) & 7) << 5) | (id[2] - 0x40));
	b[2] = (uint8_t)(h[0] << 4 | h[1]);
	b[3] = (uint8_t)(h[2] << 4 | h[3]);
	aml_byte(a, DWORD_PREFIX);
	aml_bytes(a, b, 4);
}

void
aml_name(struct aml *a, const char *path)
{
	aml_byte(a, NAME_OP);
	aml_namestring(a, path);
}

void
aml_name_int(struct aml *a, const char *path, uint64_t v)
{
	aml_name(a, path);
	aml_integer(a, v);
}

/* --- PkgLength -------------------------------------------------------- */

/*
 * PkgLength counts itself and what follows up to the end of the object.
 * One byte holds lengths up to 63; otherwise bits 7-6 of the lead byte give
 * the number of following bytes, its low nibble the low 4 bits.
 */
static int
pkglen_size(size_t content)
{
	if (content + 1 <= 0x3F)
		return (1);
	if (content + 2 <= 0xFFF)
		return (2);
	if (content + 3 <= 0xFFFFF)
		return (3);
	if (content + 4 <= 0xFFFFFFF)
		return (4);
	return (-1);
}

static void
pkglen_encode(uint8_t *p, int n, size_t total)
{
	if (n == 1) {
		p[0] = (uint8_t)total;
		return;
	}
	p[0] = (uint8_t)(((n - 1) << 6) | (total & 0xF));
	for (int i = 1; i < n; i++)
		p[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

static void
aml_open(struct aml *a)
{
	static const uint8_t zero[PKGLEN_RESERVE];

	if (a->error != NULL)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		aml_fail(a, "AML: nesting too deep");
		return;
	}
	a->open[a->depth++] = a->len;
	aml_bytes(a, zero, sizeof(zero));
}

void
aml_end(struct aml *a)
{
	size_t start, content;
	int n;

	if (a->error != NULL)
		return;
	if (a->depth == 0) {
		aml_fail(a, "AML: aml_end without begin");
		return;
	}
	start = a->open[--a->depth];
	content = a->len - start - PKGLEN_RESERVE;
	n = pkglen_size(content);
	if (n < 0) {
		aml_fail(a, "AML: object too large");
		return;
	}
	memmove(a->buf + start + n, a->buf + start + PKGLEN_RESERVE, content);
	a->len -= (size_t)(PKGLEN_RESERVE - n);
	pkglen_encode(a->buf + start, n, content + (size_t)n);
}

void
aml_scope_begin(struct aml *a, const char *path)
{
	aml_byte(a, SCOPE_OP);
	aml_open(a);
	aml_namestring(a, path);
}

void
aml_device_begin(struct aml *a, const char *path)
{
	aml_byte(a, EXT_OP);
	aml_byte(a, DEVICE_OP);
	aml_open(a);
	aml_namestring(a, path);
}

void
aml_method_begin(struct aml *a, const char *path, unsigned nargs,
    bool serialized)
{
	if (nargs > 7) {
		aml_fail(a, "AML: too many method arguments");
		return;
	}
	aml_byte(a, METHOD_OP);
	aml_open(a);
	aml_namestring(a, path);
	aml_byte(a, (uint8_t)(nargs | (serialized ? 0x08 : 0)));
}

void
aml_package_begin(struct aml *a, unsigned nelem)
{
	if (nelem > 255) {
		aml_fail(a, "AML: package too large");
		return;
	}
	aml_byte(a, PACKAGE_OP);
	aml_open(a);
	aml_byte(a, (uint8_t)nelem);
}

void
aml_buffer(struct aml *a, const void *data, size_t n)
{
	aml_byte(a, BUFFER_OP);
	aml_open(a);
	aml_integer(a, n);
	aml_bytes(a, data, n);
	aml_end(a);
}

/* --- Resource templates ----------------------------------------------- */

/* Small items: tag (7 bits: name << 3 | length).  Large items: 0x80|name. */
#define RES_IRQ_NOFLAGS	0x22
#define RES_IO		0x47
#define RES_END_TAG	0x79
#define RES_MEM32_FIXED	0x86
#define RES_DWORD_ADDR	0x87
#define RES_WORD_ADDR	0x88
#define RES_QWORD_ADDR	0x8A

#define ADDR_MEM	0
#define ADDR_IO		1
#define ADDR_BUS	2
/* General flags: producer, positive decode, min and max fixed. */
#define ADDR_GEN_FLAGS	0x0C
#define MEM_RW		0x01
#define MEM_CACHEABLE	0x02
#define IO_ENTIRE_RANGE	0x03

void
aml_res_init(struct aml_res *r)
{
	memset(r, 0, sizeof(*r));
}

static uint8_t *
res_room(struct aml_res *r, size_t n)
{
	uint8_t *p;

	/* Keep 2 bytes for the End Tag. */
	if (r->overflow || n > sizeof(r->buf) - 2 - r->len) {
		r->overflow = true;
		return (NULL);
	}
	p = r->buf + r->len;
	r->len += n;
	return (p);
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void
res_io(struct aml_res *r, uint16_t min, uint16_t max, uint8_t align,
    uint8_t len)
{
	uint8_t *p = res_room(r, 8);

	if (p == NULL)
		return;
	p[0] = RES_IO;
	p[1] = 0x01;	/* 16-bit decode */
	put_le(p + 2, min, 2);
	put_le(p + 4, max, 2);
	p[6] = align;
	p[7] = len;
}

void
res_irq_noflags(struct aml_res *r, unsigned irq)
{
	uint8_t *p;

	if (irq > 15) {
		r->overflow = true;
		return;
	}
	if ((p = res_room(r, 3)) == NULL)
		return;
	p[0] = RES_IRQ_NOFLAGS;
	put_le(p + 1, 1u << irq, 2);
}

/* Word/DWord/QWord address space descriptor with `w`-byte fields. */
static void
res_addr(struct aml_res *r, uint8_t tag, int w, uint8_t type, uint8_t tflags,
    uint64_t min, uint64_t max)
{
	size_t body = 3 + 5 * (size_t)w;
	uint8_t *p = res_room(r, 3 + body);

	if (p == NULL)
		return;
	p[0] = tag;
	put_le(p + 1, body, 2);
	p[3] = type;
	p[4] = ADDR_GEN_FLAGS;
	p[5] = tflags;
	put_le(p + 6, 0, w);			/* granularity */
	put_le(p + 6 + w, min, w);
	put_le(p + 6 + 2 * w, max, w);
	put_le(p + 6 + 3 * w, 0, w);		/* translation offset */
	put_le(p + 6 + 4 * w, max - min + 1, w);	/* length */
}

void
res_word_bus(struct aml_res *r, uint16_t min, uint16_t max)
{
	res_addr(r, RES_WORD_ADDR, 2, ADDR_BUS, 0, min, max);
}

void
res_word_io(struct aml_res *r, uint16_t min, uint16_t max)
{
	res_addr(r, RES_WORD_ADDR, 2, ADDR_IO, IO_ENTIRE_RANGE, min, max);
}

void
res_dword_mem(struct aml_res *r, uint32_t min, uint32_t max, bool cacheable)
{
	res_addr(r, RES_DWORD_ADDR, 4, ADDR_MEM,
	    MEM_RW | (cacheable ? MEM_CACHEABLE : 0), min, max);
}

void
res_qword_mem(struct aml_res *r, uint64_t min, uint64_t max, bool cacheable)
{
	res_addr(r, RES_QWORD_ADDR, 8, ADDR_MEM,
	    MEM_RW | (cacheable ? MEM_CACHEABLE : 0), min, max);
}

void
res_mem32_fixed(struct aml_res *r, uint32_t base, uint32_t len)
{
	uint8_t *p = res_room(r, 12);

	if (p == NULL)
		return;
	p[0] = RES_MEM32_FIXED;
	put_le(p + 1, 9, 2);
	p[3] = MEM_RW;
	put_le(p + 4, base, 4);
	put_le(p + 8, len, 4);
}

void
aml_res_emit(struct aml *a, const struct aml_res *r)
{
	uint8_t tmp[AML_RES_MAX];

	if (r->overflow) {
		aml_fail(a, "AML: resource template too large or invalid");
		return;
	}
	memcpy(tmp, r->buf, r->len);
	tmp[r->len] = RES_END_TAG;
	tmp[r->len + 1] = 0;	/* checksum 0: "treat as correct" */
	aml_buffer(a, tmp, r->len + 2);
}
