/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Direct Linux boot: load a kernel (bzImage through the 64-bit boot
 * protocol, or an ELF vmlinux through its PVH entry note) and an initrd
 * into guest RAM, and describe the boot CPU's initial state.  Selected by
 * the config keys boot.kernel, boot.initrd and boot.cmdline (no bootrom).
 *
 * Fixed guest-physical addresses (all in conventional memory, below the
 * EBDA; 0xE0000..0xFFFFF is left to the ACPI/SMBIOS tables):
 *
 *   0x0000 .. 0x0FFF   untouched (real-mode IVT and BIOS data area)
 *   0x1000             GDT (BOOT_GDT_GPA, 6 descriptors)
 *   0x2000             PML4             } identity map of the first 4 GiB
 *   0x3000             PDPT             } with 2 MiB pages (LINUX64 only)
 *   0x4000 .. 0x7FFF   4 page directories }
 *   0x8000             boot_params, "zero page" (LINUX64 only)
 *   0x9000             hvm_start_info, module list at 0x9040, memory map
 *                      at 0x9100..0x9FFF (PVH32 only)
 *   0xF000 .. 0xFFFF   boot stack; rsp/esp starts at 0x10000
 *   0x20000 .. 0x2FFFF kernel command line (NUL-terminated)
 *   1 MiB and up       kernel (bzImage: at pref_address when it fits,
 *                      else the lowest aligned address from 1 MiB; ELF:
 *                      at its segments' p_paddr), then the initrd as high
 *                      as the kernel's limits allow below the PCI hole
 *
 * Initial CPU state the caller must load (everything else zero; interrupts
 * off; code/data segments: base 0, limit 0xFFFFFFFF, granularity 4 KiB,
 * present, DPL 0, S=1; LDTR null/unusable; IDTR base 0 limit 0):
 *
 *   BOOT_ENTRY_LINUX64 (Linux 64-bit boot protocol):
 *     CR0 = PE | PG (| ET | NE), CR4 = PAE, EFER = LME | LMA, CR3 = cr3,
 *     CS = BOOT_SEL_CODE64 (code, type 0xB, L=1, D=0),
 *     DS/ES/SS/FS/GS = BOOT_SEL_DATA (data, type 0x3, D/B=1),
 *     TR = BOOT_SEL_TSS (base 0, limit 0x67, type 0xB busy, byte granular;
 *          the PVH ABI asks for exactly this, the 64-bit protocol for
 *          nothing: the kernel loads its own TR before it needs one),
 *     GDTR = gdt_gpa/gdt_limit, RFLAGS = 0x2, RIP = rip, RSI = rsi,
 *     RSP = rsp.
 *   BOOT_ENTRY_PVH32 (PVH ABI): 32-bit protected mode, paging off:
 *     CR0 = PE (ET reads as 1; nothing else set), CR4 = 0, EFER = 0,
 *     CR3 = 0,
 *     CS = BOOT_SEL_CODE32 (code, type 0xB, D/B=1, L=0),
 *     DS/ES/SS/FS/GS = BOOT_SEL_DATA, TR = BOOT_SEL_TSS as above,
 *     GDTR = gdt_gpa/gdt_limit, EFLAGS = 0x2, EIP = rip, EBX = rbx,
 *     ESP = rsp.
 *
 * Threads: main thread, during start-up, before any vCPU runs.
 */
#ifndef ZHYVE_LINUX_BOOT_H
#define ZHYVE_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;

#define BOOT_GDT_GPA		0x1000ULL
#define BOOT_TSS_BASE		0ULL	/* PVH: TR base 0, limit 0x67 */
#define BOOT_TSS_LIMIT		0x67
#define BOOT_PML4_GPA		0x2000ULL
#define BOOT_PDPT_GPA		0x3000ULL
#define BOOT_PD_GPA		0x4000ULL	/* 4 pages */
#define BOOT_ZEROPAGE_GPA	0x8000ULL
#define BOOT_START_INFO_GPA	0x9000ULL
#define BOOT_MODLIST_GPA	0x9040ULL
#define BOOT_MEMMAP_GPA		0x9100ULL
#define BOOT_MEMMAP_MAX		((0xA000 - 0x9100) / 24)
#define BOOT_STACK_TOP		0x10000ULL
#define BOOT_CMDLINE_GPA	0x20000ULL
#define BOOT_CMDLINE_AREA	0x10000ULL	/* incl. the NUL */
/* Kernel and initrd go above this; the low MiB is the loader's. */
#define BOOT_KERNEL_MIN_GPA	0x100000ULL

/* GDT selectors. */
#define BOOT_SEL_CODE32		0x08
#define BOOT_SEL_CODE64		0x10	/* __BOOT_CS of the 64-bit protocol */
#define BOOT_SEL_DATA		0x18	/* __BOOT_DS */
#define BOOT_SEL_TSS		0x20	/* 16-byte system descriptor */
#define BOOT_GDT_LIMIT		0x2F

/* The descriptors as written (flat, 4 KiB granularity, accessed). */
#define BOOT_DESC_CODE32	0x00CF9B000000FFFFULL
#define BOOT_DESC_CODE64	0x00AF9B000000FFFFULL
#define BOOT_DESC_DATA		0x00CF93000000FFFFULL

struct boot_entry {
	enum { BOOT_ENTRY_LINUX64, BOOT_ENTRY_PVH32 } mode;
	uint64_t rip;		/* LINUX64: load address + 0x200; PVH: entry */
	uint64_t rsi;		/* LINUX64: GPA of boot_params (zero page) */
	uint64_t rbx;		/* PVH32: GPA of hvm_start_info */
	uint64_t gdt_gpa;
	uint16_t gdt_limit;
	uint64_t cr3;		/* LINUX64: identity map of 0..4 GiB; PVH: 0 */
	uint64_t rsp;		/* boot stack top (0 = none) */
	/* Where things went (informational, for logs and tests). */
	uint64_t kernel_gpa, kernel_end;	/* [start, end) incl. bss/init */
	uint64_t initrd_gpa, initrd_size;	/* 0, 0 without an initrd */
};

/*
 * Load `kernel` (a bzImage with the 64-bit entry, protocol 2.12+, or an
 * ELF32/ELF64 vmlinux with a XEN_ELFNOTE_PHYS32_ENTRY note) and, if not
 * NULL, `initrd`; write the command line (NULL = empty), the GDT, the page
 * tables and the zero page or start_info, and fill *out.  `rsdp_gpa` is the
 * ACPI RSDP address handed to the kernel (0 = none).
 *
 * Guest memory must be set up (vm_setup_memory()).  Returns 0, or -1 with
 * a message naming the file and the problem in err.  On error guest RAM may
 * hold part of the image; the VM must not be started.
 */
int linux_boot_load(struct vm *vm, const char *kernel, const char *initrd,
    const char *cmdline, uint64_t rsdp_gpa, struct boot_entry *out,
    char *err, size_t errlen);

/*
 * The same, with the paths and command line from the config tree
 * (boot.kernel, boot.initrd, boot.cmdline).  Returns 1 if boot.kernel is
 * not set (no direct boot; *out untouched), 0 after a successful load,
 * -1 on error (also when boot.initrd or boot.cmdline is set without
 * boot.kernel).
 */
int linux_boot_from_config(struct vm *vm, uint64_t rsdp_gpa,
    struct boot_entry *out, char *err, size_t errlen);

#endif
