/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the AML encoder (acpi/aml.c): exact byte encodings of
 * integers, names, EISA ids, PkgLength at its size boundaries, resource
 * descriptors, and the sticky error handling.  Single-threaded.
 */
#include <stdint.h>
#include <string.h>

#include "aml.h"
#include "test.h"

/* True if the encoder produced exactly these bytes without error. */
static int
same(struct aml *a, const uint8_t *want, size_t n)
{
	int ok = a->error == NULL && a->len == n && memcmp(a->buf, want, n) == 0;

	if (!ok) {
		printf("    got %zu bytes (%s):", a->len,
		    a->error ? a->error : "no error");
		for (size_t i = 0; i < a->len && i < 24; i++)
			printf(" %02x", a->buf[i]);
		printf("\n");
	}
	aml_free(a);
	return (ok);
}

#define EXPECT(a, ...)                                                       \
	do {                                                                 \
		static const uint8_t _w[] = { __VA_ARGS__ };                 \
		CHECK(same(a, _w, sizeof(_w)));                              \
	} while (0)

TEST(integers)
{
	struct aml a;

	aml_init(&a); aml_integer(&a, 0); EXPECT(&a, 0x00);
	aml_init(&a); aml_integer(&a, 1); EXPECT(&a, 0x01);
	aml_init(&a); aml_integer(&a, 2); EXPECT(&a, 0x0A, 0x02);
	aml_init(&a); aml_integer(&a, 0xFF); EXPECT(&a, 0x0A, 0xFF);
	aml_init(&a); aml_integer(&a, 0x100); EXPECT(&a, 0x0B, 0x00, 0x01);
	aml_init(&a); aml_integer(&a, 0x1FFFF);
	EXPECT(&a, 0x0C, 0xFF, 0xFF, 0x01, 0x00);
	aml_init(&a); aml_integer(&a, 0x100000000ULL);
	EXPECT(&a, 0x0E, 0, 0, 0, 0, 1, 0, 0, 0);
}

TEST(names)
{
	struct aml a;

	aml_init(&a); aml_namestring(&a, "_HID");
	EXPECT(&a, '_', 'H', 'I', 'D');
	aml_init(&a); aml_namestring(&a, "RTC");
	EXPECT(&a, 'R', 'T', 'C', '_');
	aml_init(&a); aml_namestring(&a, "\\_SB.PCI0");
	EXPECT(&a, 0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	aml_init(&a); aml_namestring(&a, "^^ISA");
	EXPECT(&a, 0x5E, 0x5E, 'I', 'S', 'A', '_');
	aml_init(&a); aml_namestring(&a, "\\A.B2.C_3");
	EXPECT(&a, 0x5C, 0x2F, 3, 'A', '_', '_', '_', 'B', '2', '_', '_',
	    'C', '_', '3', '_');
	aml_init(&a); aml_namestring(&a, "\\");
	EXPECT(&a, 0x5C, 0x00);
	aml_init(&a); aml_name_int(&a, "PICM", 0);
	EXPECT(&a, 0x08, 'P', 'I', 'C', 'M', 0x00);

	static const char *const bad[] = { "1ABC", "ABCDE", "abc", "A..B",
		"A.", ".A", "A-B", "\\^A" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a);
		aml_namestring(&a, bad[i]);
		CHECK(a.error != NULL);
		CHECK_EQ(aml_finish(&a), -1);
		aml_free(&a);
	}
}

TEST(strings_and_eisaid)
{
	struct aml a;

	aml_init(&a); aml_eisaid(&a, "PNP0A03");
	EXPECT(&a, 0x0C, 0x41, 0xD0, 0x0A, 0x03);
	aml_init(&a); aml_eisaid(&a, "PNP0501");
	EXPECT(&a, 0x0C, 0x41, 0xD0, 0x05, 0x01);
	aml_init(&a); aml_string(&a, "AB");
	EXPECT(&a, 0x0D, 'A', 'B', 0x00);

	static const char *const bad[] = { "pnp0a03", "PNP0A0", "PNP0A0G",
		"PNP0A033" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a);
		aml_eisaid(&a, bad[i]);
		CHECK(a.error != NULL);
		aml_free(&a);
	}
	aml_init(&a);
	aml_string(&a, "A\nB");
	CHECK(a.error != NULL);
	aml_free(&a);
}

/* Buffer(n) of n zero bytes: return the PkgLength bytes. */
static size_t
buffer_pkglen(size_t n, uint8_t *out)
{
	static uint8_t zeros[8192];
	struct aml a;
	size_t k = 0;

	aml_init(&a);
	aml_buffer(&a, zeros, n);
	if (a.error != NULL || a.len < 2 || a.buf[0] != 0x11) {
		aml_free(&a);
		return (0);
	}
	k = (size_t)(a.buf[1] >> 6) + 1;
	memcpy(out, a.buf + 1, k);
	/* The whole object is opcode + PkgLength value. */
	{
		size_t total = k == 1 ? a.buf[1] : (size_t)(a.buf[1] & 0xF);

		for (size_t i = 1; i < k; i++)
			total |= (size_t)a.buf[1 + i] << (4 + 8 * (i - 1));
		if (total + 1 != a.len)
			k = 0;
	}
	aml_free(&a);
	return (k);
}

TEST(pkglength_boundaries)
{
	uint8_t p[4];

	/* 60 data bytes + BytePrefix 0x3C = 62 bytes: total 63, one byte. */
	CHECK_EQ(buffer_pkglen(60, p), 1);
	CHECK_EQ(p[0], 0x3F);
	/* 61 + 2 = 63 bytes of content: needs two bytes, total 65. */
	CHECK_EQ(buffer_pkglen(61, p), 2);
	CHECK_EQ(p[0], 0x41);
	CHECK_EQ(p[1], 0x04);
	/* 4090 + WordConst (3) = 4093 + 2 = 4095: still two bytes. */
	CHECK_EQ(buffer_pkglen(4090, p), 2);
	CHECK_EQ(buffer_pkglen(4091, p), 3);
	/* 5000 + 3 = 5003 + 3 = 5006 = 0x138E. */
	CHECK_EQ(buffer_pkglen(5000, p), 3);
	CHECK_EQ(p[0], 0x8E);
	CHECK_EQ(p[1], 0x38);
	CHECK_EQ(p[2], 0x01);
}

TEST(objects)
{
	struct aml a;

	aml_init(&a);
	aml_method_begin(&a, "_PIC", 1, false);
	aml_byte(&a, AML_STORE_OP);
	aml_byte(&a, AML_ARG0_OP);
	aml_namestring(&a, "PICM");
	aml_end(&a);
	CHECK_EQ(aml_finish(&a), 0);
	EXPECT(&a, 0x14, 0x0C, '_', 'P', 'I', 'C', 0x01, 0x70, 0x68,
	    'P', 'I', 'C', 'M');

	aml_init(&a);
	aml_scope_begin(&a, "\\_SB");
	aml_device_begin(&a, "PCI0");
	aml_end(&a);
	aml_end(&a);
	CHECK_EQ(aml_finish(&a), 0);
	EXPECT(&a, 0x10, 0x0D, 0x5C, '_', 'S', 'B', '_',
	    0x5B, 0x82, 0x05, 'P', 'C', 'I', '0');

	aml_init(&a);
	aml_package_begin(&a, 2);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_end(&a);
	EXPECT(&a, 0x12, 0x05, 0x02, 0x0A, 0x05, 0x00);

	/* Unbalanced: open without close, close without open. */
	aml_init(&a);
	aml_device_begin(&a, "X");
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);
	aml_init(&a);
	aml_end(&a);
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);
	/* Too deep, too many elements, too many arguments. */
	aml_init(&a);
	for (int i = 0; i <= AML_MAX_DEPTH; i++)
		aml_scope_begin(&a, "X");
	CHECK(a.error != NULL);
	aml_free(&a);
	aml_init(&a);
	aml_package_begin(&a, 256);
	CHECK(a.error != NULL);
	aml_free(&a);
	aml_init(&a);
	aml_method_begin(&a, "M", 8, false);
	CHECK(a.error != NULL);
	aml_free(&a);
}

TEST(resources)
{
	struct aml_res r;
	struct aml a;

	aml_res_init(&r);
	res_io(&r, 0x3F8, 0x3F8, 1, 8);
	res_irq_noflags(&r, 4);
	aml_init(&a);
	aml_res_emit(&a, &r);
	EXPECT(&a, 0x11, 0x10, 0x0A, 0x0D,
	    0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08,
	    0x22, 0x10, 0x00, 0x79, 0x00);

	aml_res_init(&r);
	res_word_bus(&r, 0, 0xFF);
	CHECK_EQ(r.len, 16);
	CHECK_EQ(r.buf[0], 0x88);
	CHECK_EQ(r.buf[1], 13);
	CHECK_EQ(r.buf[3], 2);		/* bus number range */
	CHECK_EQ(r.buf[14], 0x00);	/* length 0x100 */
	CHECK_EQ(r.buf[15], 0x01);
	res_dword_mem(&r, 0xC0000000, 0xDFFFFFFF, false);
	CHECK_EQ(r.len, 16 + 26);
	res_qword_mem(&r, 0x800000000ULL, 0xFFFFFFFFFULL, true);
	CHECK_EQ(r.len, 16 + 26 + 46);
	res_mem32_fixed(&r, 0xE0000000, 0x10000000);
	CHECK_EQ(r.len, 16 + 26 + 46 + 12);
	CHECK(!r.overflow);

	/* IRQ above 15 and overflowing the template are errors. */
	aml_res_init(&r);
	res_irq_noflags(&r, 16);
	aml_init(&a);
	aml_res_emit(&a, &r);
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);
	aml_res_init(&r);
	for (int i = 0; i < 100; i++)
		res_io(&r, 0x100, 0x100, 1, 1);
	CHECK(r.overflow);
	CHECK(r.len <= AML_RES_MAX - 2);
}

int
main(void)
{
	RUN(integers);
	RUN(names);
	RUN(strings_and_eisaid);
	RUN(pkglength_boundaries);
	RUN(objects);
	RUN(resources);
	TEST_SUMMARY();
}
