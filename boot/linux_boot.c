/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Direct Linux boot: format detection, file access and the low-memory
 * structures every boot path shares (command line, GDT/TSS, identity page
 * tables).  The formats themselves are in bzimage.c and pvh.c.
 *
 * Files are read with pread() into bounded buffers or straight into guest
 * RAM after vm_map_gpa() has checked the destination; every file range is
 * checked against the size fstat() reported, and a short read (the file
 * shrank underneath us) is an error too.
 *
 * Threads: main thread, start-up only.
 */
#include "linux_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootparam.h"
#include "linux_boot_impl.h"
#include "platform.h"
#include "vmm.h"

#define PAGE_SIZE	4096ULL

void
boot_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
kfile_open(struct kfile *f, const char *path, const char *what, char *err,
    size_t errlen)
{
	struct stat st;

	f->fd = -1;
	f->size = 0;
	f->path = path;
	f->what = what;
	if (path == NULL || path[0] == '\0') {
		boot_seterr(err, errlen, "%s: empty file name", what);
		return -1;
	}
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		boot_seterr(err, errlen, "%s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(f->fd, &st) != 0) {
		boot_seterr(err, errlen, "%s %s: %s", what, path,
		    strerror(errno));
		kfile_close(f);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		boot_seterr(err, errlen, "%s %s: not a regular file", what,
		    path);
		kfile_close(f);
		return -1;
	}
	f->size = (uint64_t)st.st_size;
	return 0;
}

void
kfile_close(struct kfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int
kfile_read(struct kfile *f, uint64_t off, void *dst, uint64_t len, char *err,
    size_t errlen)
{
	uint8_t *p = dst;

	/* Bounds: the whole range inside the file, computed without overflow. */
	if (off > f->size || len > f->size - off) {
		boot_seterr(err, errlen,
		    "%s %s is truncated: needs bytes %#llx..%#llx but is only "
		    "%llu bytes long", f->what, f->path,
		    (unsigned long long)off,
		    (unsigned long long)(len > UINT64_MAX - off ? UINT64_MAX :
		    off + len), (unsigned long long)f->size);
		return -1;
	}
	while (len > 0) {
		size_t chunk = len > (1U << 30) ? (1U << 30) : (size_t)len;
		ssize_t r = pread(f->fd, p, chunk, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			boot_seterr(err, errlen, "%s %s: read: %s", f->what,
			    f->path, strerror(errno));
			return -1;
		}
		if (r == 0) {
			boot_seterr(err, errlen,
			    "%s %s: file shrank while being read", f->what,
			    f->path);
			return -1;
		}
		p += r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

void *
boot_map(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (len == 0 || len > SIZE_MAX || gpa > UINT64_MAX - len)
		return NULL;
	return vm_map_gpa(vm, gpa, (size_t)len);
}

int
kfile_read_guest(struct kfile *f, struct vm *vm, uint64_t off, uint64_t gpa,
    uint64_t len, char *err, size_t errlen)
{
	void *dst;

	if (len == 0)
		return 0;
	dst = boot_map(vm, gpa, len);
	if (dst == NULL) {
		boot_seterr(err, errlen,
		    "%s %s: destination %#llx + %#llx is not guest RAM",
		    f->what, f->path, (unsigned long long)gpa,
		    (unsigned long long)len);
		return -1;
	}
	return kfile_read(f, off, dst, len, err, errlen);
}

int
boot_load_initrd(struct vm *vm, const char *path, uint64_t lo, uint64_t hi,
    uint64_t *gpa, uint64_t *size, char *err, size_t errlen)
{
	struct kfile f;
	uint64_t at;
	int rc;

	if (kfile_open(&f, path, "initrd", err, errlen) != 0)
		return -1;
	if (f.size == 0) {
		boot_seterr(err, errlen, "initrd %s is empty", path);
		kfile_close(&f);
		return -1;
	}
	lo = boot_align_up(lo, PAGE_SIZE);
	if (hi <= lo || f.size > hi - lo ||
	    (at = boot_align_down(hi - f.size, PAGE_SIZE)) < lo) {
		boot_seterr(err, errlen,
		    "initrd %s (%llu bytes) does not fit: the kernel allows "
		    "it only in %#llx..%#llx (%llu bytes) of guest RAM; give "
		    "the guest more memory or use a smaller initrd", path,
		    (unsigned long long)f.size, (unsigned long long)lo,
		    (unsigned long long)hi,
		    (unsigned long long)(hi > lo ? hi - lo : 0));
		kfile_close(&f);
		return -1;
	}
	rc = kfile_read_guest(&f, vm, 0, at, f.size, err, errlen);
	kfile_close(&f);
	if (rc != 0)
		return -1;
	*gpa = at;
	*size = f.size;
	return 0;
}

int
boot_write_cmdline(const struct boot_args *a, char *err, size_t errlen)
{
	if (a->cmdline_len >= BOOT_CMDLINE_AREA) {
		boot_seterr(err, errlen,
		    "kernel command line is %zu bytes; at most %llu are "
		    "supported", a->cmdline_len,
		    (unsigned long long)(BOOT_CMDLINE_AREA - 1));
		return -1;
	}
	if (vm_copyout(a->vm, a->cmdline, BOOT_CMDLINE_GPA,
	    a->cmdline_len + 1) != 0) {
		boot_seterr(err, errlen,
		    "kernel command line: %#llx is not guest RAM",
		    (unsigned long long)BOOT_CMDLINE_GPA);
		return -1;
	}
	return 0;
}

int
boot_write_gdt(struct vm *vm, struct boot_entry *out, char *err,
    size_t errlen)
{
	uint64_t gdt[(BOOT_GDT_LIMIT + 1) / 8];
	uint64_t base = BOOT_TSS_BASE;

	memset(gdt, 0, sizeof(gdt));
	gdt[BOOT_SEL_CODE32 / 8] = BOOT_DESC_CODE32;
	gdt[BOOT_SEL_CODE64 / 8] = BOOT_DESC_CODE64;
	gdt[BOOT_SEL_DATA / 8] = BOOT_DESC_DATA;
	/*
	 * TSS: base 0, limit 0x67, present, DPL 0, type 0xB (busy), byte
	 * granular.  Only its descriptor matters: no task switch ever reads
	 * the TSS before the kernel installs its own.
	 */
	gdt[BOOT_SEL_TSS / 8] = (uint64_t)BOOT_TSS_LIMIT |
	    ((base & 0xFFFFFFULL) << 16) | (0x8BULL << 40) |
	    (((base >> 24) & 0xFFULL) << 56);
	gdt[BOOT_SEL_TSS / 8 + 1] = base >> 32;	/* long-mode upper half */
	if (vm_copyout(vm, gdt, BOOT_GDT_GPA, sizeof(gdt)) != 0) {
		boot_seterr(err, errlen, "GDT: %#llx is not guest RAM",
		    (unsigned long long)BOOT_GDT_GPA);
		return -1;
	}
	out->gdt_gpa = BOOT_GDT_GPA;
	out->gdt_limit = BOOT_GDT_LIMIT;
	return 0;
}

int
boot_write_page_tables(struct vm *vm, struct boot_entry *out, char *err,
    size_t errlen)
{
	/* PML4, PDPT, then 4 page directories: six contiguous pages. */
	enum { NPAGES = 6, NENT = 512 };
	const uint64_t P = 0x1, RW = 0x2, PS = 0x80;
	uint64_t *pt = calloc(NPAGES * NENT, sizeof(uint64_t));
	int rc = 0;

	static_assert(BOOT_PDPT_GPA == BOOT_PML4_GPA + PAGE_SIZE, "layout");
	static_assert(BOOT_PD_GPA == BOOT_PDPT_GPA + PAGE_SIZE, "layout");
	if (pt == NULL) {
		boot_seterr(err, errlen, "page tables: out of memory");
		return -1;
	}
	pt[0] = BOOT_PDPT_GPA | P | RW;
	for (uint64_t i = 0; i < 4; i++) {
		pt[NENT + i] = (BOOT_PD_GPA + i * PAGE_SIZE) | P | RW;
		for (uint64_t j = 0; j < NENT; j++)
			pt[(2 + i) * NENT + j] =
			    ((i * NENT + j) << 21) | P | RW | PS;
	}
	if (vm_copyout(vm, pt, BOOT_PML4_GPA,
	    NPAGES * NENT * sizeof(uint64_t)) != 0) {
		boot_seterr(err, errlen, "page tables: %#llx is not guest RAM",
		    (unsigned long long)BOOT_PML4_GPA);
		rc = -1;
	} else {
		out->cr3 = BOOT_PML4_GPA;
	}
	free(pt);
	return rc;
}

int
linux_boot_load(struct vm *vm, const char *kernel, const char *initrd,
    const char *cmdline, uint64_t rsdp_gpa, struct boot_entry *out,
    char *err, size_t errlen)
{
	struct boot_args a = {
		.vm = vm,
		.initrd = initrd,
		.cmdline = cmdline != NULL ? cmdline : "",
		.rsdp_gpa = rsdp_gpa,
	};
	uint8_t head[KFILE_HEAD_SIZE];
	uint64_t headlen;
	struct kfile kf;
	int rc;

	memset(out, 0, sizeof(*out));
	a.cmdline_len = strlen(a.cmdline);
	if (vm_lowmem_size(vm) < 2 * BOOT_KERNEL_MIN_GPA) {
		boot_seterr(err, errlen,
		    "direct kernel boot needs at least 2 MiB of guest RAM "
		    "below the PCI hole; this guest has %llu bytes",
		    (unsigned long long)vm_lowmem_size(vm));
		return -1;
	}
	if (a.cmdline_len >= BOOT_CMDLINE_AREA) {
		boot_seterr(err, errlen,
		    "kernel command line is %zu bytes; at most %llu are "
		    "supported", a.cmdline_len,
		    (unsigned long long)(BOOT_CMDLINE_AREA - 1));
		return -1;
	}
	if (initrd != NULL && initrd[0] == '\0')
		a.initrd = NULL;
	if (kfile_open(&kf, kernel, "kernel", err, errlen) != 0)
		return -1;
	headlen = kf.size < sizeof(head) ? kf.size : sizeof(head);
	memset(head, 0, sizeof(head));
	if (kfile_read(&kf, 0, head, headlen, err, errlen) != 0) {
		kfile_close(&kf);
		return -1;
	}
	if (headlen >= 4 && memcmp(head, "\177ELF", 4) == 0) {
		rc = pvh_load(&kf, head, headlen, &a, out, err, errlen);
	} else if (headlen >= HDR_OFF(version) &&
	    memcmp(head + HDR_OFF(header), "HdrS", 4) == 0) {
		rc = bzimage_load(&kf, head, headlen, &a, out, err, errlen);
	} else {
		boot_seterr(err, errlen,
		    "kernel %s is neither a bzImage (no \"HdrS\" setup header) "
		    "nor an ELF vmlinux", kernel);
		rc = -1;
	}
	kfile_close(&kf);
	if (rc == 0)
		rc = boot_write_cmdline(&a, err, errlen);
	if (rc == 0)
		rc = boot_write_gdt(vm, out, err, errlen);
	if (rc == 0)
		out->rsp = BOOT_STACK_TOP;
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
