/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by the direct-boot loaders (linux_boot.c, bzimage.c,
 * pvh.c): bounds-checked file reads, error messages, and the pieces every
 * boot path writes into low guest memory.
 *
 * Threads: main thread, start-up only.
 */
#ifndef ZHYVE_LINUX_BOOT_IMPL_H
#define ZHYVE_LINUX_BOOT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux_boot.h"

struct vm;

/* An open kernel or initrd file: a regular file of known size. */
struct kfile {
	int fd;
	uint64_t size;
	const char *path;
	const char *what;	/* "kernel" or "initrd", for messages */
};

/* What the format loaders need besides the kernel file. */
struct boot_args {
	struct vm *vm;
	const char *initrd;	/* NULL = none */
	const char *cmdline;	/* never NULL */
	size_t cmdline_len;	/* strlen(cmdline) */
	uint64_t rsdp_gpa;
};

/* Bytes of the file start that the format detection reads. */
#define KFILE_HEAD_SIZE		0x400

void boot_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int kfile_open(struct kfile *f, const char *path, const char *what,
    char *err, size_t errlen);
void kfile_close(struct kfile *f);
/* [off, off+len) must lie inside the file ("truncated" otherwise). */
int kfile_read(struct kfile *f, uint64_t off, void *dst, uint64_t len,
    char *err, size_t errlen);
/* The same, straight into guest RAM at gpa (checked with vm_map_gpa). */
int kfile_read_guest(struct kfile *f, struct vm *vm, uint64_t off,
    uint64_t gpa, uint64_t len, char *err, size_t errlen);

/* Host pointer for [gpa, gpa+len) of guest RAM, len > 0; NULL if not RAM. */
void *boot_map(struct vm *vm, uint64_t gpa, uint64_t len);

/*
 * Load the initrd as high as possible inside [lo, hi), page-aligned.
 * Sets *gpa and *size.
 */
int boot_load_initrd(struct vm *vm, const char *path, uint64_t lo,
    uint64_t hi, uint64_t *gpa, uint64_t *size, char *err, size_t errlen);

/* Write the command line at BOOT_CMDLINE_GPA. */
int boot_write_cmdline(const struct boot_args *a, char *err, size_t errlen);
/* Write the GDT and TSS; fills out->gdt_*. */
int boot_write_gdt(struct vm *vm, struct boot_entry *out, char *err,
    size_t errlen);
/* Write the 4 GiB identity map; fills out->cr3. */
int boot_write_page_tables(struct vm *vm, struct boot_entry *out, char *err,
    size_t errlen);

static inline uint64_t
boot_align_up(uint64_t v, uint64_t a)	/* a: power of two; v + a - 1 must not wrap */
{
	return (v + a - 1) & ~(a - 1);
}

static inline uint64_t
boot_align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

/* Format loaders: the file is open, `head` holds its first bytes. */
int bzimage_load(struct kfile *kf, const uint8_t *head, size_t headlen,
    const struct boot_args *a, struct boot_entry *out, char *err,
    size_t errlen);
int pvh_load(struct kfile *kf, const uint8_t *head, size_t headlen,
    const struct boot_args *a, struct boot_entry *out, char *err,
    size_t errlen);

#endif
