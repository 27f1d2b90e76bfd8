/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for direct Linux boot (boot/): the e820 map and the bzImage
 * loader (zero page contents, kernel and initrd placement) with small
 * kernels built in memory and written to temporary files, hostile variants
 * of them, foreign files, and the host's own Debian kernel when one is
 * installed.  The PVH ELF loader is tested in test_linux_boot_pvh.c.
 *
 * Threads: single-threaded test program.
 */
#include <glob.h>

#include "linux_boot_testlib.h"

/* --- a synthetic bzImage -------------------------------------------------- */

#define BZ_PAYLOAD	0x10000	/* protected-mode bytes */

struct bz {
	uint8_t *buf;
	size_t len;
	struct bz_setup_header *h;	/* points into buf (packed) */
};

static void
bz_make(struct bz *b)
{
	unsigned setup_sects = 4;
	size_t setup = (setup_sects + 1) * 512;

	b->len = setup + BZ_PAYLOAD;
	b->buf = calloc(1, b->len);
	b->h = (struct bz_setup_header *)(b->buf + BZ_HDR_OFFSET);
	b->h->setup_sects = (uint8_t)setup_sects;
	b->h->syssize = BZ_PAYLOAD / 16;
	b->h->boot_flag = BZ_BOOT_FLAG;
	b->h->jump[0] = 0xEB;
	b->h->jump[1] = 0x6A;		/* header ends at 0x26c */
	b->h->header = BZ_HDR_MAGIC;
	b->h->version = 0x020F;
	b->h->loadflags = BZ_LOADED_HIGH;
	b->h->code32_start = 0x100000;
	b->h->initrd_addr_max = 0x7FFFFFFF;
	b->h->kernel_alignment = 0x200000;
	b->h->relocatable_kernel = 1;
	b->h->xloadflags = BZ_XLF_KERNEL_64 | BZ_XLF_CAN_BE_LOADED_ABOVE_4G;
	b->h->cmdline_size = 2047;
	b->h->pref_address = 0x1000000;
	b->h->init_size = 0x400000;
	for (size_t i = setup; i < b->len; i++)
		b->buf[i] = (uint8_t)(i ^ 0x5A);
}

static void
bz_write(struct bz *b)
{
	write_file(kpath, b->buf, b->len);
	free(b->buf);
	b->buf = NULL;
}

/* --- e820 ------------------------------------------------------------------ */

TEST(e820_layout_with_highmem)
{
	struct vm *vm = make_vm(GIB(1), MIB(512));
	struct e820_entry t[E820_MAX_BUILT];
	int n = e820_build(vm, t, E820_MAX_BUILT);

	CHECK_EQ(n, 6);
	CHECK_EQ(t[0].addr, 0);
	CHECK_EQ(t[0].size, 0x9FC00);
	CHECK_EQ(t[0].type, E820_TYPE_RAM);
	CHECK_EQ(t[1].addr, 0x9FC00);
	CHECK_EQ(t[1].size, 0x100000 - 0x9FC00);
	CHECK_EQ(t[1].type, E820_TYPE_RESERVED);
	CHECK_EQ(t[2].addr, 0x100000);
	CHECK_EQ(t[2].size, MIB(512) - 0x100000);
	CHECK_EQ(t[2].type, E820_TYPE_RAM);
	CHECK_EQ(t[3].addr, PCI_ECAM_BASE);
	CHECK_EQ(t[3].size, PCI_ECAM_SIZE);
	CHECK_EQ(t[3].type, E820_TYPE_RESERVED);
	CHECK_EQ(t[4].addr, 0xFEC00000);
	CHECK_EQ(t[4].addr + t[4].size, 0x100000000ULL);
	CHECK_EQ(t[4].type, E820_TYPE_RESERVED);
	CHECK_EQ(t[5].addr, 0x100000000ULL);
	CHECK_EQ(t[5].size, MIB(512));
	CHECK_EQ(t[5].type, E820_TYPE_RAM);
	/* RAM adds up to the VM's memory minus the legacy hole. */
	CHECK_EQ(e820_total(t, n, E820_TYPE_RAM),
	    GIB(1) - (0x100000 - 0x9FC00));
	for (int i = 1; i < n; i++)
		CHECK(t[i].addr >= t[i - 1].addr + t[i - 1].size);
	/* Too small a table is refused, not overrun. */
	CHECK_EQ(e820_build(vm, t, 5), -1);
	CHECK_EQ(e820_build(vm, t, 0), -1);
	vm_destroy(vm);
}

TEST(e820_layout_lowmem_only)
{
	struct vm *vm = make_vm(MIB(256), LOWMEM_LIMIT_DEFAULT);
	struct e820_entry t[E820_MAX_BUILT];
	int n = e820_build(vm, t, E820_MAX_BUILT);

	CHECK_EQ(n, 5);
	CHECK_EQ(t[2].addr + t[2].size, MIB(256));
	CHECK_EQ(t[4].addr, IOAPIC_BASE);
	CHECK_EQ(e820_build(vm, t, 5), 5);
	vm_destroy(vm);
}

/* --- bzImage --------------------------------------------------------------- */

TEST(bzimage_boot_params)
{
	struct vm *vm = make_vm(MIB(256), LOWMEM_LIMIT_DEFAULT);
	const char *cmd = "console=ttyS0 root=/dev/vda1 rw";
	struct boot_params bp;
	struct e820_entry t[E820_MAX_BUILT];
	struct boot_entry e;
	char err[512];
	struct bz b;
	size_t ilen = MIB(1) + 123;
	const uint8_t *k;
	char *c;
	int n;

	bz_make(&b);
	bz_write(&b);
	write_initrd(ilen);
	CHECK_EQ(load(vm, true, cmd, &e, err, sizeof(err)), 0);
	if (err[0])
		printf("    err: %s\n", err);
	CHECK_EQ(e.mode, BOOT_ENTRY_LINUX64);
	CHECK_EQ(e.kernel_gpa, 0x1000000);
	CHECK_EQ(e.rip, 0x1000000 + 0x200);
	CHECK_EQ(e.rsi, BOOT_ZEROPAGE_GPA);
	CHECK_EQ(e.cr3, BOOT_PML4_GPA);
	CHECK_EQ(e.gdt_gpa, BOOT_GDT_GPA);
	CHECK_EQ(e.gdt_limit, BOOT_GDT_LIMIT);
	CHECK_EQ(e.rsp, BOOT_STACK_TOP);

	CHECK_EQ(vm_copyin(vm, BOOT_ZEROPAGE_GPA, &bp, sizeof(bp)), 0);
	CHECK_EQ(bp.hdr.header, BZ_HDR_MAGIC);
	CHECK_EQ(bp.hdr.version, 0x020F);
	CHECK_EQ(bp.hdr.type_of_loader, 0xFF);
	CHECK_EQ(bp.hdr.vid_mode, 0xFFFF);
	CHECK(bp.hdr.loadflags & BZ_LOADED_HIGH);
	CHECK(bp.hdr.loadflags & BZ_CAN_USE_HEAP);
	CHECK_EQ(bp.hdr.code32_start, 0x1000000);
	CHECK_EQ(bp.hdr.init_size, 0x400000);
	CHECK_EQ(bp.sentinel, 0);
	CHECK_EQ(bp.acpi_rsdp_addr, 0xF0000);
	/* Command line. */
	CHECK_EQ(bp.hdr.cmd_line_ptr, BOOT_CMDLINE_GPA);
	CHECK_EQ(bp.ext_cmd_line_ptr, 0);
	c = vm_map_gpa(vm, bp.hdr.cmd_line_ptr, strlen(cmd) + 1);
	CHECK(c != NULL);
	if (c)
		CHECK_STR(c, cmd);
	/* Ramdisk: page-aligned, as high as possible below lowmem. */
	CHECK_EQ(bp.hdr.ramdisk_size, ilen);
	CHECK_EQ(bp.ext_ramdisk_image, 0);
	CHECK_EQ(bp.ext_ramdisk_size, 0);
	CHECK_EQ(bp.hdr.ramdisk_image % 4096, 0);
	CHECK_EQ(bp.hdr.ramdisk_image, (MIB(256) - ilen) & ~0xFFFULL);
	CHECK(bp.hdr.ramdisk_image >= e.kernel_end);
	CHECK_EQ(e.initrd_gpa, bp.hdr.ramdisk_image);
	CHECK(initrd_matches(vm, bp.hdr.ramdisk_image, ilen));
	/* e820 as built for the VM. */
	n = e820_build(vm, t, E820_MAX_BUILT);
	CHECK_EQ(bp.e820_entries, n);
	for (int i = 0; i < n && i < BZ_E820_MAX; i++) {
		CHECK_EQ(bp.e820_table[i].addr, t[i].addr);
		CHECK_EQ(bp.e820_table[i].size, t[i].size);
		CHECK_EQ(bp.e820_table[i].type, t[i].type);
	}
	/* The protected-mode payload was copied to the load address. */
	k = vm_map_gpa(vm, e.kernel_gpa, BZ_PAYLOAD);
	CHECK(k != NULL);
	for (size_t i = 0; k && i < BZ_PAYLOAD; i++)
		if (k[i] != (uint8_t)((i + 5 * 512) ^ 0x5A)) {
			CHECK(!"payload differs");
			break;
		}
	vm_destroy(vm);
}

TEST(bzimage_gdt_and_page_tables)
{
	struct vm *vm = make_vm(MIB(64), LOWMEM_LIMIT_DEFAULT);
	struct boot_entry e;
	char err[512];
	uint64_t gdt[6], pml4, pdpt[4], pd;
	struct bz b;

	bz_make(&b);
	bz_write(&b);
	CHECK_EQ(load(vm, false, NULL, &e, err, sizeof(err)), 0);
	CHECK_EQ(vm_copyin(vm, BOOT_GDT_GPA, gdt, sizeof(gdt)), 0);
	CHECK_EQ(gdt[0], 0);
	CHECK_EQ(gdt[BOOT_SEL_CODE32 / 8], BOOT_DESC_CODE32);
	CHECK_EQ(gdt[BOOT_SEL_CODE64 / 8], BOOT_DESC_CODE64);
	CHECK_EQ(gdt[BOOT_SEL_DATA / 8], BOOT_DESC_DATA);
	/* L=1 D=0 in code64; TSS present, type 0xB, base 0 (PVH ABI). */
	CHECK_EQ((gdt[2] >> 53) & 3, 1);
	CHECK_EQ((gdt[4] >> 40) & 0xFF, 0x8B);
	CHECK_EQ(gdt[4] & 0xFFFF, BOOT_TSS_LIMIT);
	CHECK_EQ((gdt[4] >> 16) & 0xFFFFFF, BOOT_TSS_BASE);
	CHECK_EQ(gdt[4] >> 56, 0);
	CHECK_EQ(gdt[5], 0);
	CHECK_EQ(vm_copyin(vm, BOOT_PML4_GPA, &pml4, 8), 0);
	CHECK_EQ(pml4, BOOT_PDPT_GPA | 3);
	CHECK_EQ(vm_copyin(vm, BOOT_PDPT_GPA, pdpt, sizeof(pdpt)), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pdpt[i], (BOOT_PD_GPA + 4096ULL * i) | 3);
	/* 2 MiB pages: PD 3, entry 511 maps 4 GiB - 2 MiB. */
	CHECK_EQ(vm_copyin(vm, BOOT_PD_GPA + 3 * 4096 + 511 * 8, &pd, 8), 0);
	CHECK_EQ(pd, (GIB(4) - MIB(2)) | 0x83);
	CHECK_EQ(vm_copyin(vm, BOOT_PD_GPA + 8, &pd, 8), 0);
	CHECK_EQ(pd, MIB(2) | 0x83);
	/* NULL command line is the empty string. */
	CHECK_EQ(*(char *)vm_map_gpa(vm, BOOT_CMDLINE_GPA, 1), '\0');
	/* No initrd: ramdisk fields zero. */
	CHECK_EQ(e.initrd_size, 0);
	vm_destroy(vm);
}

TEST(bzimage_initrd_addr_max)
{
	struct vm *vm = make_vm(GIB(1), LOWMEM_LIMIT_DEFAULT);
	struct boot_params bp;
	struct boot_entry e;
	char err[512];
	struct bz b;
	size_t ilen = 3 * 4096 + 17;

	bz_make(&b);
	b.h->initrd_addr_max = 0x37FFFFFF;
	bz_write(&b);
	write_initrd(ilen);
	CHECK_EQ(load(vm, true, "x", &e, err, sizeof(err)), 0);
	CHECK_EQ(vm_copyin(vm, BOOT_ZEROPAGE_GPA, &bp, sizeof(bp)), 0);
	CHECK(bp.hdr.ramdisk_image + ilen - 1 <= 0x37FFFFFF);
	CHECK_EQ(bp.hdr.ramdisk_image, (0x38000000 - ilen) & ~0xFFFULL);
	CHECK(initrd_matches(vm, bp.hdr.ramdisk_image, ilen));
	vm_destroy(vm);
}

TEST(bzimage_relocated_in_small_ram)
{
	/* 12 MiB: pref_address 16 MiB does not fit; 2 MiB-aligned slot. */
	struct vm *vm = make_vm(MIB(12), LOWMEM_LIMIT_DEFAULT);
	struct boot_params bp;
	struct boot_entry e;
	char err[512];
	struct bz b;

	bz_make(&b);
	bz_write(&b);
	write_initrd(4096);
	CHECK_EQ(load(vm, true, "", &e, err, sizeof(err)), 0);
	CHECK_EQ(e.kernel_gpa, MIB(2));
	CHECK_EQ(e.rip, MIB(2) + 0x200);
	CHECK_EQ(e.kernel_end, MIB(2) + 0x400000);
	CHECK_EQ(vm_copyin(vm, BOOT_ZEROPAGE_GPA, &bp, sizeof(bp)), 0);
	CHECK_EQ(bp.hdr.code32_start, MIB(2));
	CHECK_EQ(bp.hdr.ramdisk_image, MIB(12) - 4096);
	vm_destroy(vm);
}

TEST(bzimage_protocol_214_rsdp_only)
{
	struct vm *vm = make_vm(MIB(64), LOWMEM_LIMIT_DEFAULT);
	struct boot_params bp;
	struct boot_entry e;
	char err[512];
	struct bz b;

	bz_make(&b);
	b.h->version = 0x020C;
	bz_write(&b);
	CHECK_EQ(load(vm, false, "", &e, err, sizeof(err)), 0);
	CHECK_EQ(vm_copyin(vm, BOOT_ZEROPAGE_GPA, &bp, sizeof(bp)), 0);
	CHECK_EQ(bp.acpi_rsdp_addr, 0);
	vm_destroy(vm);
}

TEST(bzimage_hostile)
{
	struct vm *vm = make_vm(MIB(64), LOWMEM_LIMIT_DEFAULT);
	char longcmd[64];
	struct bz b;

	/* Header cut off right after "HdrS". */
	bz_make(&b);
	write_file(kpath, b.buf, 0x210);
	free(b.buf);
	expect_fail(vm, false, "", "truncated");

	/* setup_sects huge: setup code past EOF. */
	bz_make(&b);
	b.h->setup_sects = 255;
	b.len = 0x1000;
	bz_write(&b);
	expect_fail(vm, false, "", "setup_sects 255");

	/* syssize beyond the file. */
	bz_make(&b);
	b.h->syssize = BZ_PAYLOAD / 16 + 1;
	bz_write(&b);
	expect_fail(vm, false, "", "syssize");

	/* syssize too small to hold the 64-bit entry. */
	bz_make(&b);
	b.h->syssize = 0x20;
	bz_write(&b);
	expect_fail(vm, false, "", "syssize");

	/* Command line over cmdline_size: both numbers named. */
	bz_make(&b);
	b.h->cmdline_size = 16;
	bz_write(&b);
	memset(longcmd, 'a', 40);
	longcmd[40] = '\0';
	expect_fail(vm, false, longcmd, "40 bytes");
	expect_fail(vm, false, longcmd, "at most 16");

	/* Old protocol, no 64-bit entry, zImage. */
	bz_make(&b);
	b.h->version = 0x020B;
	bz_write(&b);
	expect_fail(vm, false, "", "2.11 is too old");
	bz_make(&b);
	b.h->xloadflags = 0;
	bz_write(&b);
	expect_fail(vm, false, "", "XLF_KERNEL_64");
	bz_make(&b);
	b.h->loadflags = 0;
	bz_write(&b);
	expect_fail(vm, false, "", "zImage");

	/* Header shorter than the protocol needs. */
	bz_make(&b);
	b.h->jump[1] = 0x10;
	bz_write(&b);
	expect_fail(vm, false, "", "setup header ends");

	/* Bad kernel_alignment. */
	bz_make(&b);
	b.h->kernel_alignment = 0x300000;
	bz_write(&b);
	expect_fail(vm, false, "", "kernel_alignment");
	bz_make(&b);
	b.h->kernel_alignment = 0;
	bz_write(&b);
	expect_fail(vm, false, "", "kernel_alignment");

	/* init_size larger than RAM; non-relocatable at a bad address. */
	bz_make(&b);
	b.h->init_size = 0xF0000000;
	bz_write(&b);
	expect_fail(vm, false, "", "does not fit");
	bz_make(&b);
	b.h->relocatable_kernel = 0;
	b.h->pref_address = MIB(62);
	bz_write(&b);
	expect_fail(vm, false, "", "not relocatable");
	bz_make(&b);
	b.h->relocatable_kernel = 0;
	b.h->pref_address = 0x10000;	/* in the loader's low MiB */
	bz_write(&b);
	expect_fail(vm, false, "", "does not fit");
	bz_make(&b);
	b.h->relocatable_kernel = 0;
	b.h->pref_address = UINT64_MAX - 0x1000;	/* would overflow */
	bz_write(&b);
	expect_fail(vm, false, "", "does not fit");
	vm_destroy(vm);
}

TEST(bzimage_initrd_errors)
{
	struct vm *vm = make_vm(MIB(32), LOWMEM_LIMIT_DEFAULT);
	struct bz b;
	int fd;

	bz_make(&b);
	bz_write(&b);
	/* 20 MiB initrd: RAM above the kernel (16 + 4 MiB) is 12 MiB. */
	fd = open(ipath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, MIB(20)) == 0);
	close(fd);
	expect_fail(vm, true, "", "does not fit");
	/* initrd_addr_max below the kernel's end. */
	bz_make(&b);
	b.h->initrd_addr_max = 0xFFFFFF;
	bz_write(&b);
	write_initrd(4096);
	expect_fail(vm, true, "", "does not fit");
	/* Empty, missing, and a directory. */
	bz_make(&b);
	bz_write(&b);
	write_initrd(0);
	expect_fail(vm, true, "", "empty");
	unlink(ipath);
	expect_fail(vm, true, "", "No such file");
	CHECK_EQ(mkdir(ipath, 0700), 0);
	expect_fail(vm, true, "", "not a regular file");
	rmdir(ipath);
	vm_destroy(vm);
}

TEST(foreign_files)
{
	struct vm *vm = make_vm(MIB(64), LOWMEM_LIMIT_DEFAULT);
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";
	uint8_t zeros[4096];
	char big[BOOT_CMDLINE_AREA + 1];
	char verr[256] = "";

	write_file(kpath, text, sizeof(text));
	expect_fail(vm, false, "", "neither a bzImage");
	memset(zeros, 0, sizeof(zeros));
	write_file(kpath, zeros, sizeof(zeros));
	expect_fail(vm, false, "", "neither a bzImage");
	write_file(kpath, zeros, 0);
	expect_fail(vm, false, "", "neither a bzImage");
	write_file(kpath, "\177EL", 3);
	expect_fail(vm, false, "", "neither a bzImage");
	unlink(kpath);
	expect_fail(vm, false, "", "No such file");
	CHECK_EQ(mkdir(kpath, 0700), 0);
	expect_fail(vm, false, "", "not a regular file");
	rmdir(kpath);
	/* Over the command line area, whatever the kernel. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(kpath, text, sizeof(text));
	expect_fail(vm, false, big, "at most 65535");
	vm_destroy(vm);
	/* Too little RAM below the hole for any direct boot (if libvmm
	 * accepts so small a guest at all). */
	vm = vm_create_fake("tiny");
	CHECK(vm != NULL);
	if (vm != NULL && vm_setup_memory(vm, MIB(1), LOWMEM_LIMIT_DEFAULT,
	    verr, sizeof(verr)) == 0)
		expect_fail(vm, false, "", "at least 2 MiB");
	else
		printf("    (a 1 MiB guest is refused by libvmm: %s)\n", verr);
	vm_destroy(vm);
}

/* --- real kernels ---------------------------------------------------------- */

static void
boot_real(const char *kernel, const char *initrd)
{
	struct vm *vm = make_vm(MIB(512), LOWMEM_LIMIT_DEFAULT);
	struct boot_entry e;
	struct boot_params bp;
	char err[512] = "";

	printf("    loading %s%s%s\n", kernel, initrd ? " + " : "",
	    initrd ? initrd : "");
	CHECK_EQ(linux_boot_load(vm, kernel, initrd, "console=ttyS0", 0xF0000,
	    &e, err, sizeof(err)), 0);
	if (err[0])
		printf("    err: %s\n", err);
	if (e.mode == BOOT_ENTRY_LINUX64 && e.rip != 0) {
		CHECK_EQ(e.rip, e.kernel_gpa + 0x200);
		CHECK_EQ(vm_copyin(vm, BOOT_ZEROPAGE_GPA, &bp, sizeof(bp)), 0);
		CHECK_EQ(bp.hdr.header, BZ_HDR_MAGIC);
		CHECK(bp.hdr.version >= 0x020C);
		CHECK_EQ(bp.hdr.cmd_line_ptr, BOOT_CMDLINE_GPA);
		if (initrd)
			CHECK(bp.hdr.ramdisk_size > 0);
		printf("    protocol %u.%02u, loaded at %#llx..%#llx, initrd "
		    "%#llx + %llu\n", bp.hdr.version >> 8,
		    bp.hdr.version & 0xFF, (unsigned long long)e.kernel_gpa,
		    (unsigned long long)e.kernel_end,
		    (unsigned long long)e.initrd_gpa,
		    (unsigned long long)e.initrd_size);
	} else if (e.mode == BOOT_ENTRY_PVH32 && e.rip != 0) {
		printf("    PVH entry %#llx, kernel %#llx..%#llx\n",
		    (unsigned long long)e.rip,
		    (unsigned long long)e.kernel_gpa,
		    (unsigned long long)e.kernel_end);
	}
	vm_destroy(vm);
}

TEST(debian_kernel)
{
	glob_t g;
	const char *vmlinux = getenv("ZHYVE_TEST_VMLINUX");

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		globfree(&g);
		SKIP("no /boot/vmlinuz-* on this machine (install "
		    "linux-image-amd64 to run this check)");
	} else {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char initrd[512];
			const char *ver = g.gl_pathv[i] + strlen("/boot/vmlinuz-");

			snprintf(initrd, sizeof(initrd), "/boot/initrd.img-%s",
			    ver);
			boot_real(g.gl_pathv[i],
			    access(initrd, R_OK) == 0 ? initrd : NULL);
		}
	}
	globfree(&g);
	/* An uncompressed vmlinux (PVH), when one is pointed at. */
	if (vmlinux != NULL && vmlinux[0] != '\0')
		boot_real(vmlinux, NULL);
}

int
main(void)
{
	testlib_init();
	RUN(e820_layout_with_highmem);
	RUN(e820_layout_lowmem_only);
	RUN(bzimage_boot_params);
	RUN(bzimage_gdt_and_page_tables);
	RUN(bzimage_initrd_addr_max);
	RUN(bzimage_relocated_in_small_ram);
	RUN(bzimage_protocol_214_rsdp_only);
	RUN(bzimage_hostile);
	RUN(bzimage_initrd_errors);
	RUN(foreign_files);
	RUN(debian_kernel);
	testlib_fini();
	TEST_SUMMARY();
}
