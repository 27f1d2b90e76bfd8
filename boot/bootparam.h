/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Layouts of the structures a direct Linux boot hands the kernel: the x86
 * boot protocol's setup header and zero page ("struct boot_params", see the
 * kernel's Documentation/arch/x86/boot.rst and zero-page.rst), and the PVH
 * start_info block (Xen's public arch-x86/hvm/start_info.h).  Written from
 * the documented offsets; every field the loader touches is checked against
 * its documented offset at compile time.
 *
 * All fields are little-endian, as is the host (x86_64 only).
 *
 * Threads: data definitions only.
 */
#ifndef ZHYVE_BOOTPARAM_H
#define ZHYVE_BOOTPARAM_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* --- bzImage setup header ------------------------------------------------ */

#define BZ_HDR_OFFSET		0x1F1	/* setup header inside file and zero page */
#define BZ_HDR_MAGIC		0x53726448U	/* "HdrS" */
#define BZ_BOOT_FLAG		0xAA55
#define BZ_SECTOR		512
#define BZ_DEFAULT_SETUP_SECTS	4	/* setup_sects == 0 means 4 */
#define BZ_ENTRY64_OFFSET	0x200	/* 64-bit entry, from the load address */

/* loadflags */
#define BZ_LOADED_HIGH		0x01
#define BZ_KASLR_FLAG		0x02
#define BZ_QUIET_FLAG		0x20
#define BZ_KEEP_SEGMENTS	0x40
#define BZ_CAN_USE_HEAP		0x80

/* xloadflags (protocol 2.12+) */
#define BZ_XLF_KERNEL_64		0x0001
#define BZ_XLF_CAN_BE_LOADED_ABOVE_4G	0x0002

#define BZ_LOADER_UNDEFINED	0xFF	/* type_of_loader for unlisted loaders */
#define BZ_VID_MODE_NORMAL	0xFFFF

struct bz_setup_header {
	uint8_t setup_sects;		/* 0x1f1 */
	uint16_t root_flags;		/* 0x1f2 */
	uint32_t syssize;		/* 0x1f4: 16-byte paragraphs */
	uint16_t ram_size;		/* 0x1f8 */
	uint16_t vid_mode;		/* 0x1fa */
	uint16_t root_dev;		/* 0x1fc */
	uint16_t boot_flag;		/* 0x1fe: 0xAA55 */
	uint8_t jump[2];		/* 0x200: jmp rel8; header ends at 0x202 + jump[1] */
	uint32_t header;		/* 0x202: "HdrS" */
	uint16_t version;		/* 0x206 */
	uint32_t realmode_swtch;	/* 0x208 */
	uint16_t start_sys_seg;		/* 0x20c */
	uint16_t kernel_version;	/* 0x20e */
	uint8_t type_of_loader;		/* 0x210 */
	uint8_t loadflags;		/* 0x211 */
	uint16_t setup_move_size;	/* 0x212 */
	uint32_t code32_start;		/* 0x214 */
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;		/* 0x21c */
	uint32_t bootsect_kludge;	/* 0x220 */
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t ext_loader_ver;		/* 0x226 */
	uint8_t ext_loader_type;	/* 0x227 */
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;	/* 0x22c */
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t relocatable_kernel;	/* 0x234 */
	uint8_t min_alignment;		/* 0x235 */
	uint16_t xloadflags;		/* 0x236 */
	uint32_t cmdline_size;		/* 0x238 */
	uint32_t hardware_subarch;	/* 0x23c */
	uint64_t hardware_subarch_data;	/* 0x240 */
	uint32_t payload_offset;	/* 0x248 */
	uint32_t payload_length;	/* 0x24c */
	uint64_t setup_data;		/* 0x250 */
	uint64_t pref_address;		/* 0x258 */
	uint32_t init_size;		/* 0x260 */
	uint32_t handover_offset;	/* 0x264 */
	uint32_t kernel_info_offset;	/* 0x268 */
} __attribute__((packed));

/* Header bytes the loader needs (through init_size): protocol >= 2.10. */
#define BZ_HDR_MIN_END		0x264
/* The zero page's copy of the header ends before edd_mbr_sig_buffer. */
#define BZ_HDR_MAX_END		0x290

struct bz_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define BZ_E820_MAX		128	/* entries in the zero page */

struct boot_params {
	uint8_t screen_info[0x40];		/* 0x000 */
	uint8_t apm_bios_info[0x14];		/* 0x040 */
	uint8_t pad_054[4];			/* 0x054 */
	uint64_t tboot_addr;			/* 0x058 */
	uint8_t ist_info[0x10];			/* 0x060 */
	uint64_t acpi_rsdp_addr;		/* 0x070 */
	uint8_t pad_078[8];			/* 0x078 */
	uint8_t hd0_info[0x10];			/* 0x080 */
	uint8_t hd1_info[0x10];			/* 0x090 */
	uint8_t sys_desc_table[0x10];		/* 0x0a0 */
	uint8_t olpc_ofw_header[0x10];		/* 0x0b0 */
	uint32_t ext_ramdisk_image;		/* 0x0c0 */
	uint32_t ext_ramdisk_size;		/* 0x0c4 */
	uint32_t ext_cmd_line_ptr;		/* 0x0c8 */
	uint8_t pad_0cc[0x70];			/* 0x0cc */
	uint32_t cc_blob_address;		/* 0x13c */
	uint8_t edid_info[0x80];		/* 0x140 */
	uint8_t efi_info[0x20];			/* 0x1c0 */
	uint32_t alt_mem_k;			/* 0x1e0 */
	uint32_t scratch;			/* 0x1e4 */
	uint8_t e820_entries;			/* 0x1e8 */
	uint8_t eddbuf_entries;			/* 0x1e9 */
	uint8_t edd_mbr_sig_buf_entries;	/* 0x1ea */
	uint8_t kbd_status;			/* 0x1eb */
	uint8_t secure_boot;			/* 0x1ec */
	uint8_t pad_1ed[2];			/* 0x1ed */
	uint8_t sentinel;			/* 0x1ef: must be 0 from a loader */
	uint8_t pad_1f0;			/* 0x1f0 */
	struct bz_setup_header hdr;		/* 0x1f1 */
	uint8_t pad_26c[BZ_HDR_MAX_END - 0x26c];	/* 0x26c */
	uint32_t edd_mbr_sig_buffer[16];	/* 0x290 */
	struct bz_e820_entry e820_table[BZ_E820_MAX];	/* 0x2d0 */
	uint8_t pad_cd0[0x30];			/* 0xcd0 */
	uint8_t eddbuf[0x1ec];			/* 0xd00 */
	uint8_t pad_eec[0x114];			/* 0xeec */
} __attribute__((packed));

#define BP_OFF(f) (offsetof(struct boot_params, f))
#define HDR_OFF(f) (BZ_HDR_OFFSET + offsetof(struct bz_setup_header, f))

static_assert(sizeof(struct bz_e820_entry) == 20, "e820 entry");
static_assert(sizeof(struct boot_params) == 4096, "zero page size");
static_assert(BP_OFF(acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
static_assert(BP_OFF(ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
static_assert(BP_OFF(ext_ramdisk_size) == 0x0c4, "ext_ramdisk_size");
static_assert(BP_OFF(ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
static_assert(BP_OFF(cc_blob_address) == 0x13c, "cc_blob_address");
static_assert(BP_OFF(e820_entries) == 0x1e8, "e820_entries");
static_assert(BP_OFF(sentinel) == 0x1ef, "sentinel");
static_assert(BP_OFF(hdr) == BZ_HDR_OFFSET, "hdr");
static_assert(BP_OFF(edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig_buffer");
static_assert(BP_OFF(e820_table) == 0x2d0, "e820_table");
static_assert(BP_OFF(eddbuf) == 0xd00, "eddbuf");
static_assert(HDR_OFF(setup_sects) == 0x1f1, "setup_sects");
static_assert(HDR_OFF(syssize) == 0x1f4, "syssize");
static_assert(HDR_OFF(vid_mode) == 0x1fa, "vid_mode");
static_assert(HDR_OFF(boot_flag) == 0x1fe, "boot_flag");
static_assert(HDR_OFF(jump) == 0x200, "jump");
static_assert(HDR_OFF(header) == 0x202, "header");
static_assert(HDR_OFF(version) == 0x206, "version");
static_assert(HDR_OFF(type_of_loader) == 0x210, "type_of_loader");
static_assert(HDR_OFF(loadflags) == 0x211, "loadflags");
static_assert(HDR_OFF(code32_start) == 0x214, "code32_start");
static_assert(HDR_OFF(ramdisk_image) == 0x218, "ramdisk_image");
static_assert(HDR_OFF(ramdisk_size) == 0x21c, "ramdisk_size");
static_assert(HDR_OFF(heap_end_ptr) == 0x224, "heap_end_ptr");
static_assert(HDR_OFF(cmd_line_ptr) == 0x228, "cmd_line_ptr");
static_assert(HDR_OFF(initrd_addr_max) == 0x22c, "initrd_addr_max");
static_assert(HDR_OFF(kernel_alignment) == 0x230, "kernel_alignment");
static_assert(HDR_OFF(relocatable_kernel) == 0x234, "relocatable_kernel");
static_assert(HDR_OFF(xloadflags) == 0x236, "xloadflags");
static_assert(HDR_OFF(cmdline_size) == 0x238, "cmdline_size");
static_assert(HDR_OFF(setup_data) == 0x250, "setup_data");
static_assert(HDR_OFF(pref_address) == 0x258, "pref_address");
static_assert(HDR_OFF(init_size) == 0x260, "init_size");
static_assert(HDR_OFF(kernel_info_offset) == 0x268, "kernel_info_offset");

/* --- PVH ------------------------------------------------------------------ */

#define PVH_NOTE_NAME		"Xen"
#define PVH_NOTE_PHYS32_ENTRY	18	/* XEN_ELFNOTE_PHYS32_ENTRY */
#define PVH_START_MAGIC		0x336ec578U
#define PVH_START_VERSION	1	/* with memmap_paddr/entries */

/* Memory map entry types (same numbers as e820). */
#define PVH_MEMMAP_RAM		1
#define PVH_MEMMAP_RESERVED	2
#define PVH_MEMMAP_ACPI		3
#define PVH_MEMMAP_NVS		4
#define PVH_MEMMAP_UNUSABLE	5

struct hvm_start_info {
	uint32_t magic;			/* 0x00 */
	uint32_t version;		/* 0x04 */
	uint32_t flags;			/* 0x08 */
	uint32_t nr_modules;		/* 0x0c */
	uint64_t modlist_paddr;		/* 0x10 */
	uint64_t cmdline_paddr;		/* 0x18 */
	uint64_t rsdp_paddr;		/* 0x20 */
	uint64_t memmap_paddr;		/* 0x28: version 1 */
	uint32_t memmap_entries;	/* 0x30 */
	uint32_t reserved;		/* 0x34 */
};

struct hvm_modlist_entry {
	uint64_t paddr;			/* 0x00 */
	uint64_t size;			/* 0x08 */
	uint64_t cmdline_paddr;		/* 0x10 */
	uint64_t reserved;		/* 0x18 */
};

struct hvm_memmap_table_entry {
	uint64_t addr;			/* 0x00 */
	uint64_t size;			/* 0x08 */
	uint32_t type;			/* 0x10 */
	uint32_t reserved;		/* 0x14 */
};

static_assert(sizeof(struct hvm_start_info) == 0x38, "start_info size");
static_assert(offsetof(struct hvm_start_info, modlist_paddr) == 0x10, "modlist");
static_assert(offsetof(struct hvm_start_info, cmdline_paddr) == 0x18, "cmdline");
static_assert(offsetof(struct hvm_start_info, rsdp_paddr) == 0x20, "rsdp");
static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 0x28, "memmap");
static_assert(offsetof(struct hvm_start_info, memmap_entries) == 0x30, "entries");
static_assert(sizeof(struct hvm_modlist_entry) == 0x20, "modlist entry");
static_assert(sizeof(struct hvm_memmap_table_entry) == 0x18, "memmap entry");

#endif
