/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bzImage loader: the x86 Linux boot protocol, 64-bit entry (protocol 2.12
 * and later, xloadflags XLF_KERNEL_64).  The real-mode setup code is not
 * run: the protected-mode kernel is copied to its load address, the zero
 * page is filled in here, and the vCPU starts in long mode at the load
 * address + 0x200 with RSI pointing at the zero page.
 *
 * Every header field that sizes or places something (setup_sects, syssize,
 * init_size, kernel_alignment, pref_address, cmdline_size, initrd_addr_max)
 * is checked against the file size and guest RAM before it is used.
 *
 * Threads: main thread, start-up only.
 */
#include <stdlib.h>
#include <string.h>

#include "bootparam.h"
#include "e820.h"
#include "linux_boot_impl.h"
#include "platform.h"
#include "vmm.h"

#define PAGE_SIZE	4096ULL
#define HEAP_END_PTR	0xFE00	/* the customary value; the setup code is not run */

/* Where the protected-mode kernel goes: [*addr, *addr + need). */
static int
place_kernel(const struct kfile *kf, const struct bz_setup_header *h,
    uint64_t need, uint64_t low, uint64_t *addr, char *err, size_t errlen)
{
	uint64_t at = h->pref_address;

	if (h->relocatable_kernel) {
		uint64_t align = h->kernel_alignment;

		if (align == 0 || (align & (align - 1)) != 0 ||
		    align > GIB(1)) {
			boot_seterr(err, errlen,
			    "kernel %s: kernel_alignment %#llx is not a power "
			    "of two up to 1 GiB", kf->path,
			    (unsigned long long)align);
			return -1;
		}
		/* pref_address if it is usable, else the lowest slot. */
		if (at < BOOT_KERNEL_MIN_GPA || (at & (align - 1)) != 0 ||
		    at > low || need > low - at)
			at = boot_align_up(BOOT_KERNEL_MIN_GPA, align);
	}
	if (at < BOOT_KERNEL_MIN_GPA || at > low || need > low - at) {
		boot_seterr(err, errlen,
		    "kernel %s does not fit: it needs %llu bytes (init_size) "
		    "at %#llx%s, but guest RAM below the PCI hole is "
		    "%#llx..%#llx", kf->path, (unsigned long long)need,
		    (unsigned long long)at,
		    h->relocatable_kernel ? "" : " (not relocatable)",
		    (unsigned long long)BOOT_KERNEL_MIN_GPA,
		    (unsigned long long)low);
		return -1;
	}
	*addr = at;
	return 0;
}

static int
write_zero_page(const struct boot_args *a, const uint8_t *head,
    uint64_t hdr_end, uint64_t kaddr, const struct boot_entry *out,
    char *err, size_t errlen)
{
	struct e820_entry map[E820_MAX_BUILT];
	struct boot_params *bp;
	int n, rc = 0;

	n = e820_build(a->vm, map, E820_MAX_BUILT);
	if (n < 0 || n > BZ_E820_MAX) {
		boot_seterr(err, errlen, "e820 map does not fit the zero page");
		return -1;
	}
	bp = calloc(1, sizeof(*bp));
	if (bp == NULL) {
		boot_seterr(err, errlen, "zero page: out of memory");
		return -1;
	}
	/* The kernel's own header, as the boot protocol asks (bounded:
	 * BZ_HDR_OFFSET < hdr_end <= BZ_HDR_MAX_END <= headlen). */
	memcpy((uint8_t *)bp + BZ_HDR_OFFSET, head + BZ_HDR_OFFSET,
	    hdr_end - BZ_HDR_OFFSET);
	bp->hdr.type_of_loader = BZ_LOADER_UNDEFINED;
	bp->hdr.loadflags |= BZ_CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = HEAP_END_PTR;
	bp->hdr.vid_mode = BZ_VID_MODE_NORMAL;
	bp->hdr.code32_start = (uint32_t)kaddr;
	bp->hdr.cmd_line_ptr = (uint32_t)BOOT_CMDLINE_GPA;
	bp->ext_cmd_line_ptr = (uint32_t)(BOOT_CMDLINE_GPA >> 32);
	bp->hdr.ramdisk_image = (uint32_t)out->initrd_gpa;
	bp->hdr.ramdisk_size = (uint32_t)out->initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(out->initrd_gpa >> 32);
	bp->ext_ramdisk_size = (uint32_t)(out->initrd_size >> 32);
	bp->hdr.setup_data = 0;		/* no setup_data chain */
	bp->hdr.hardware_subarch = 0;	/* a plain PC */
	bp->hdr.hardware_subarch_data = 0;
	if (bp->hdr.version >= 0x020E)
		bp->acpi_rsdp_addr = a->rsdp_gpa;
	bp->e820_entries = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	if (vm_copyout(a->vm, bp, BOOT_ZEROPAGE_GPA, sizeof(*bp)) != 0) {
		boot_seterr(err, errlen, "zero page: %#llx is not guest RAM",
		    (unsigned long long)BOOT_ZEROPAGE_GPA);
		rc = -1;
	}
	free(bp);
	return rc;
}

int
bzimage_load(struct kfile *kf, const uint8_t *head, size_t headlen,
    const struct boot_args *a, struct boot_entry *out, char *err,
    size_t errlen)
{
	struct bz_setup_header h;
	uint64_t hdr_end, setup_size, load_size, need, low, kaddr;
	unsigned setup_sects;

	memset(&h, 0, sizeof(h));
	if (headlen < BZ_HDR_MIN_END) {
		boot_seterr(err, errlen,
		    "kernel %s is truncated: %llu bytes, too short for a "
		    "bzImage setup header", kf->path,
		    (unsigned long long)kf->size);
		return -1;
	}
	memcpy(&h, head + BZ_HDR_OFFSET,
	    headlen - BZ_HDR_OFFSET < sizeof(h) ? headlen - BZ_HDR_OFFSET :
	    sizeof(h));
	if (h.version < 0x020C) {
		boot_seterr(err, errlen,
		    "kernel %s: boot protocol %u.%02u is too old; the 64-bit "
		    "entry point needs 2.12 or later", kf->path,
		    h.version >> 8, h.version & 0xFF);
		return -1;
	}
	/* The header ends at 0x202 + the jump's displacement byte. */
	hdr_end = 0x202 + (uint64_t)h.jump[1];
	if (hdr_end < BZ_HDR_MIN_END) {
		boot_seterr(err, errlen,
		    "kernel %s: setup header ends at %#llx, too short for "
		    "boot protocol %u.%02u", kf->path,
		    (unsigned long long)hdr_end, h.version >> 8,
		    h.version & 0xFF);
		return -1;
	}
	if (hdr_end > BZ_HDR_MAX_END)
		hdr_end = BZ_HDR_MAX_END;
	if (hdr_end > headlen) {
		boot_seterr(err, errlen,
		    "kernel %s is truncated inside its setup header", kf->path);
		return -1;
	}
	if ((h.loadflags & BZ_LOADED_HIGH) == 0) {
		boot_seterr(err, errlen,
		    "kernel %s is a zImage (LOADED_HIGH not set in loadflags); "
		    "only bzImage kernels are supported", kf->path);
		return -1;
	}
	if ((h.xloadflags & BZ_XLF_KERNEL_64) == 0) {
		boot_seterr(err, errlen,
		    "kernel %s has no 64-bit entry point (XLF_KERNEL_64 not "
		    "set in xloadflags); a 64-bit kernel is needed", kf->path);
		return -1;
	}

	/* Sizes: setup code, then syssize paragraphs of protected-mode code. */
	setup_sects = h.setup_sects ? h.setup_sects : BZ_DEFAULT_SETUP_SECTS;
	setup_size = ((uint64_t)setup_sects + 1) * BZ_SECTOR;
	if (setup_size > kf->size) {
		boot_seterr(err, errlen,
		    "kernel %s is truncated: setup_sects %u means %llu bytes "
		    "of setup code, but the file is %llu bytes", kf->path,
		    setup_sects, (unsigned long long)setup_size,
		    (unsigned long long)kf->size);
		return -1;
	}
	load_size = (uint64_t)h.syssize * 16;
	if (load_size <= BZ_ENTRY64_OFFSET) {
		boot_seterr(err, errlen,
		    "kernel %s: syssize %u gives %llu bytes of protected-mode "
		    "code, too small to hold the 64-bit entry at %#x",
		    kf->path, h.syssize, (unsigned long long)load_size,
		    BZ_ENTRY64_OFFSET);
		return -1;
	}
	if (load_size > kf->size - setup_size) {
		boot_seterr(err, errlen,
		    "kernel %s is truncated: syssize says %llu bytes of "
		    "protected-mode code after the %llu-byte setup, but only "
		    "%llu bytes follow", kf->path,
		    (unsigned long long)load_size,
		    (unsigned long long)setup_size,
		    (unsigned long long)(kf->size - setup_size));
		return -1;
	}
	if (a->cmdline_len > h.cmdline_size) {
		boot_seterr(err, errlen,
		    "kernel command line is %zu bytes, but kernel %s accepts "
		    "at most %u (cmdline_size)", a->cmdline_len, kf->path,
		    h.cmdline_size);
		return -1;
	}

	/* The kernel uses init_size bytes from its load address. */
	need = h.init_size > load_size ? h.init_size : load_size;
	need = boot_align_up(need, PAGE_SIZE);
	low = vm_lowmem_size(a->vm);
	if (place_kernel(kf, &h, need, low, &kaddr, err, errlen) != 0)
		return -1;
	if (kfile_read_guest(kf, a->vm, setup_size, kaddr, load_size, err,
	    errlen) != 0)
		return -1;
	out->kernel_gpa = kaddr;
	out->kernel_end = kaddr + need;

	if (a->initrd != NULL) {
		/* initrd_addr_max is the highest byte address it may use. */
		uint64_t hi = (uint64_t)h.initrd_addr_max + 1;

		if (hi > low)
			hi = low;
		if (boot_load_initrd(a->vm, a->initrd, out->kernel_end, hi,
		    &out->initrd_gpa, &out->initrd_size, err, errlen) != 0)
			return -1;
	}
	if (write_zero_page(a, head, hdr_end, kaddr, out, err, errlen) != 0)
		return -1;
	if (boot_write_page_tables(a->vm, out, err, errlen) != 0)
		return -1;
	out->mode = BOOT_ENTRY_LINUX64;
	out->rip = kaddr + BZ_ENTRY64_OFFSET;
	out->rsi = BOOT_ZEROPAGE_GPA;
	return 0;
}
