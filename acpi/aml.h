/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small AML (ACPI Machine Language) encoder for the DSDT.
 *
 * Main thread only, during start-up.
 *
 * Output goes to a growable byte buffer.  Objects with a PkgLength
 * (Scope, Device, Method, Package) are opened with aml_*_begin() and closed
 * with aml_end(); the length is patched in at the end using the shortest
 * encoding.  Errors (out of memory, a bad name, unbalanced begin/end) are
 * sticky: the encoder stops writing and aml_finish() reports the first one,
 * so callers need not check every call.
 *
 * Resource templates (the byte buffers returned by _CRS) are built with a
 * struct aml_res and the res_*() helpers, then emitted as a Buffer with
 * aml_res_emit(), which appends the End Tag.
 *
 * Names: a path such as "\\_SB.PCI0", "^ISA", "_HID" or "PCI0.ISA"; each
 * segment is 1-4 characters [A-Z_][A-Z0-9_]* and is padded with '_'.
 */
#ifndef ZHYVE_AML_H
#define ZHYVE_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 16

struct aml {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t open[AML_MAX_DEPTH];	/* offsets of PkgLength placeholders */
	int depth;
	const char *error;		/* first error, or NULL */
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/* 0 if everything was closed and no error occurred; else -1 (a->error). */
int aml_finish(struct aml *a);

void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* A NameString (path as described above). */
void aml_namestring(struct aml *a, const char *path);
/* The smallest integer encoding (Zero, One, Byte/Word/DWord/QWordConst). */
void aml_integer(struct aml *a, uint64_t v);
/* A String object: printable ASCII only. */
void aml_string(struct aml *a, const char *s);
/* A compressed EISA id ("PNP0A08") as a DWordConst. */
void aml_eisaid(struct aml *a, const char *id);
/* Name(path, <object>): the object is emitted by the next call. */
void aml_name(struct aml *a, const char *path);
/* Name(path, integer) shorthand. */
void aml_name_int(struct aml *a, const char *path, uint64_t v);
/* Buffer(n) { bytes }. */
void aml_buffer(struct aml *a, const void *data, size_t n);

void aml_scope_begin(struct aml *a, const char *path);
void aml_device_begin(struct aml *a, const char *path);
void aml_method_begin(struct aml *a, const char *path, unsigned nargs,
    bool serialized);
/* Package(nelem) { ... }: nelem must match what is emitted, <= 255. */
void aml_package_begin(struct aml *a, unsigned nelem);
void aml_end(struct aml *a);

/* Opcodes used directly by callers inside method bodies. */
#define AML_STORE_OP	0x70
#define AML_RETURN_OP	0xA4
#define AML_ARG0_OP	0x68

/* --- Resource templates --------------------------------------------- */

#define AML_RES_MAX 512

struct aml_res {
	uint8_t buf[AML_RES_MAX];
	size_t len;
	bool overflow;
};

void aml_res_init(struct aml_res *r);
/* IO(Decode16, min, max, align, len) */
void res_io(struct aml_res *r, uint16_t min, uint16_t max, uint8_t align,
    uint8_t len);
/* IRQNoFlags() { irq }, irq 0..15 */
void res_irq_noflags(struct aml_res *r, unsigned irq);
/* WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, ...) */
void res_word_bus(struct aml_res *r, uint16_t min, uint16_t max);
/* WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange) */
void res_word_io(struct aml_res *r, uint16_t min, uint16_t max);
/* DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, cache, RW) */
void res_dword_mem(struct aml_res *r, uint32_t min, uint32_t max,
    bool cacheable);
/* QWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, cache, RW) */
void res_qword_mem(struct aml_res *r, uint64_t min, uint64_t max,
    bool cacheable);
/* Memory32Fixed(ReadWrite, base, len) */
void res_mem32_fixed(struct aml_res *r, uint32_t base, uint32_t len);
/* Emit ResourceTemplate() { ... } (End Tag added) as a Buffer object. */
void aml_res_emit(struct aml *a, const struct aml_res *r);

#endif
