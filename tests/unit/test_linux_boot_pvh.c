/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the PVH ELF loader (boot/pvh.c): a small ELF64 and ELF32
 * vmlinux with a XEN_ELFNOTE_PHYS32_ENTRY note, built in memory, checked
 * for copied segments, zeroed bss and the hvm_start_info contents; then
 * hostile headers, program headers and notes.
 *
 * Threads: single-threaded test program.
 */
#include <elf.h>

#include "linux_boot_testlib.h"

/* --- a synthetic ELF vmlinux with a PVH note -------------------------------- */

#define ELF_SEG_OFF	0x1000
#define ELF_SEG_FILESZ	0x3000
#define ELF_SEG_MEMSZ	0x5000
#define ELF_SEG_PADDR	0x1000000ULL
#define ELF_ENTRY	(ELF_SEG_PADDR + 0x100)
#define ELF_NOTE_OFF	0x800
#define ELF_FILE_LEN	(ELF_SEG_OFF + ELF_SEG_FILESZ)
#define GNU_NOTE_LEN	36	/* 12 + "GNU\0" + 20-byte desc; the Xen note follows */

struct elfk {
	uint8_t buf[ELF_FILE_LEN];
	bool is64;
	size_t notelen;
};

static size_t
put_note(uint8_t *p, const char *name, uint32_t type, const void *desc,
    uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	size_t off = 12;

	memcpy(p, &namesz, 4);
	memcpy(p + 4, &descsz, 4);
	memcpy(p + 8, &type, 4);
	memcpy(p + off, name, namesz);
	off += (namesz + 3) & ~3U;
	memcpy(p + off, desc, descsz);
	off += (descsz + 3) & ~3U;
	return off;
}

/* Program header i (0 = PT_LOAD, 1 = PT_NOTE) as a 64-bit view. */
struct ph {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

static void
elf_set_ph(struct elfk *k, int i, const struct ph *p)
{
	if (k->is64) {
		Elf64_Phdr ph = { .p_type = p->type, .p_offset = p->offset,
		    .p_vaddr = p->paddr + 0xffffffff80000000ULL,
		    .p_paddr = p->paddr, .p_filesz = p->filesz,
		    .p_memsz = p->memsz, .p_align = p->align,
		    .p_flags = PF_R | PF_X };
		memcpy(k->buf + sizeof(Elf64_Ehdr) + i * sizeof(ph), &ph,
		    sizeof(ph));
	} else {
		Elf32_Phdr ph = { .p_type = p->type,
		    .p_offset = (uint32_t)p->offset,
		    .p_vaddr = (uint32_t)p->paddr + 0xC0000000U,
		    .p_paddr = (uint32_t)p->paddr,
		    .p_filesz = (uint32_t)p->filesz,
		    .p_memsz = (uint32_t)p->memsz,
		    .p_align = (uint32_t)p->align, .p_flags = PF_R | PF_X };
		memcpy(k->buf + sizeof(Elf32_Ehdr) + i * sizeof(ph), &ph,
		    sizeof(ph));
	}
}

static struct ph
elf_load_ph(void)
{
	return (struct ph){ PT_LOAD, ELF_SEG_OFF, ELF_SEG_PADDR,
	    ELF_SEG_FILESZ, ELF_SEG_MEMSZ, 0x200000 };
}

static struct ph
elf_note_ph(const struct elfk *k)
{
	return (struct ph){ PT_NOTE, ELF_NOTE_OFF, 0, k->notelen, k->notelen,
	    4 };
}

static void
elf_make(struct elfk *k, bool is64)
{
	uint64_t entry64 = ELF_ENTRY;
	uint32_t entry32 = (uint32_t)ELF_ENTRY;
	static const uint8_t gnu[20] = { 1, 2, 3 };
	uint8_t *n = k->buf + ELF_NOTE_OFF;

	memset(k, 0, sizeof(*k));
	k->is64 = is64;
	if (is64) {
		Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64,
		    .e_version = EV_CURRENT, .e_entry = 0xffffffff81000000ULL,
		    .e_phoff = sizeof(Elf64_Ehdr),
		    .e_ehsize = sizeof(Elf64_Ehdr),
		    .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2 };
		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(k->buf, &eh, sizeof(eh));
	} else {
		Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386,
		    .e_version = EV_CURRENT, .e_entry = 0xC1000000U,
		    .e_phoff = sizeof(Elf32_Ehdr),
		    .e_ehsize = sizeof(Elf32_Ehdr),
		    .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 2 };
		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(k->buf, &eh, sizeof(eh));
	}
	/* A GNU build-id-like note first, then the PVH entry. */
	k->notelen = put_note(n, "GNU", 3, gnu, sizeof(gnu));
	if (is64)
		k->notelen += put_note(n + k->notelen, "Xen", 18, &entry64, 8);
	else
		k->notelen += put_note(n + k->notelen, "Xen", 18, &entry32, 4);
	elf_set_ph(k, 0, &(struct ph){ 0 });
	{
		struct ph l = elf_load_ph(), no = elf_note_ph(k);

		elf_set_ph(k, 0, &l);
		elf_set_ph(k, 1, &no);
	}
	for (size_t i = ELF_SEG_OFF; i < ELF_FILE_LEN; i++)
		k->buf[i] = (uint8_t)(i * 13);
}

static void
elf_write(const struct elfk *k)
{
	write_file(kpath, k->buf, sizeof(k->buf));
}

static void
check_pvh_loaded(struct vm *vm, bool with_initrd, size_t ilen,
    const char *cmd, const struct boot_entry *e)
{
	struct hvm_start_info si;
	struct hvm_modlist_entry mod;
	struct hvm_memmap_table_entry mm[E820_MAX_BUILT];
	struct e820_entry t[E820_MAX_BUILT];
	const uint8_t *seg;
	int n = e820_build(vm, t, E820_MAX_BUILT);

	CHECK_EQ(e->mode, BOOT_ENTRY_PVH32);
	CHECK_EQ(e->rip, ELF_ENTRY);
	CHECK_EQ(e->rbx, BOOT_START_INFO_GPA);
	CHECK_EQ(e->cr3, 0);
	CHECK_EQ(e->gdt_gpa, BOOT_GDT_GPA);
	CHECK_EQ(e->kernel_gpa, ELF_SEG_PADDR);
	CHECK_EQ(e->kernel_end, ELF_SEG_PADDR + ELF_SEG_MEMSZ);
	CHECK_EQ(vm_copyin(vm, BOOT_START_INFO_GPA, &si, sizeof(si)), 0);
	CHECK_EQ(si.magic, 0x336ec578);
	CHECK_EQ(si.version, 1);
	CHECK_EQ(si.flags, 0);
	CHECK_EQ(si.rsdp_paddr, 0xF0000);
	CHECK_EQ(si.cmdline_paddr, BOOT_CMDLINE_GPA);
	CHECK_STR((char *)vm_map_gpa(vm, si.cmdline_paddr, strlen(cmd) + 1),
	    cmd);
	CHECK_EQ(si.memmap_paddr, BOOT_MEMMAP_GPA);
	CHECK_EQ(si.memmap_entries, n);
	CHECK_EQ(vm_copyin(vm, si.memmap_paddr, mm, n * sizeof(mm[0])), 0);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(mm[i].addr, t[i].addr);
		CHECK_EQ(mm[i].size, t[i].size);
		CHECK_EQ(mm[i].type, t[i].type);
		CHECK_EQ(mm[i].reserved, 0);
	}
	if (with_initrd) {
		CHECK_EQ(si.nr_modules, 1);
		CHECK_EQ(si.modlist_paddr, BOOT_MODLIST_GPA);
		CHECK_EQ(vm_copyin(vm, si.modlist_paddr, &mod, sizeof(mod)),
		    0);
		CHECK_EQ(mod.size, ilen);
		CHECK_EQ(mod.paddr % 4096, 0);
		CHECK(mod.paddr >= e->kernel_end);
		CHECK(mod.paddr + mod.size <= vm_lowmem_size(vm));
		CHECK_EQ(mod.cmdline_paddr, 0);
		CHECK(initrd_matches(vm, mod.paddr, ilen));
	} else {
		CHECK_EQ(si.nr_modules, 0);
		CHECK_EQ(si.modlist_paddr, 0);
	}
	/* Segment copied, bss zeroed. */
	seg = vm_map_gpa(vm, ELF_SEG_PADDR, ELF_SEG_MEMSZ);
	CHECK(seg != NULL);
	for (size_t i = 0; seg && i < ELF_SEG_MEMSZ; i++) {
		uint8_t want = i < ELF_SEG_FILESZ ?
		    (uint8_t)((ELF_SEG_OFF + i) * 13) : 0;
		if (seg[i] != want) {
			printf("    segment byte %#zx: %#x != %#x\n", i,
			    seg[i], want);
			CHECK(!"segment differs");
			break;
		}
	}
}

TEST(pvh_elf64)
{
	struct vm *vm = make_vm(GIB(1), MIB(768));
	const char *cmd = "console=hvc0 quiet";
	struct boot_entry e;
	struct elfk k;
	char err[512];
	size_t ilen = 100000;

	/* Dirty the bss area so zeroing is visible. */
	memset(vm_map_gpa(vm, ELF_SEG_PADDR, ELF_SEG_MEMSZ), 0xAA,
	    ELF_SEG_MEMSZ);
	elf_make(&k, true);
	elf_write(&k);
	write_initrd(ilen);
	CHECK_EQ(load(vm, true, cmd, &e, err, sizeof(err)), 0);
	if (err[0])
		printf("    err: %s\n", err);
	check_pvh_loaded(vm, true, ilen, cmd, &e);
	vm_destroy(vm);
}

TEST(pvh_elf32_no_initrd)
{
	struct vm *vm = make_vm(MIB(64), LOWMEM_LIMIT_DEFAULT);
	struct boot_entry e;
	struct elfk k;
	char err[512];

	elf_make(&k, false);
	elf_write(&k);
	CHECK_EQ(load(vm, false, "a=b", &e, err, sizeof(err)), 0);
	if (err[0])
		printf("    err: %s\n", err);
	check_pvh_loaded(vm, false, 0, "a=b", &e);
	vm_destroy(vm);
}

/* Rewrite program header i of a fresh ELF64 and expect `what`. */
static void
elf_bad_ph(struct vm *vm, int i, struct ph p, const char *what)
{
	struct elfk k;

	elf_make(&k, true);
	elf_set_ph(&k, i, &p);
	elf_write(&k);
	expect_fail(vm, false, "", what);
}

TEST(pvh_hostile_segments)
{
	struct vm *vm = make_vm(MIB(64), LOWMEM_LIMIT_DEFAULT);
	struct ph p;

	p = elf_load_ph();
	p.filesz = ELF_SEG_FILESZ + 1;		/* past EOF */
	p.memsz = p.filesz;
	elf_bad_ph(vm, 0, p, "truncated");
	p = elf_load_ph();
	p.offset = UINT64_MAX - 0x10;		/* offset + filesz wraps */
	elf_bad_ph(vm, 0, p, "truncated");
	p = elf_load_ph();
	p.filesz = ELF_SEG_MEMSZ + 1;		/* filesz > memsz */
	elf_bad_ph(vm, 0, p, "p_filesz");
	p = elf_load_ph();
	p.paddr = GIB(1);			/* outside RAM */
	elf_bad_ph(vm, 0, p, "not inside guest RAM");
	p = elf_load_ph();
	p.paddr = MIB(64) - 0x1000;		/* straddles the end of RAM */
	elf_bad_ph(vm, 0, p, "not inside guest RAM");
	p = elf_load_ph();
	p.paddr = 0x8000;			/* over the loader's structures */
	elf_bad_ph(vm, 0, p, "not inside guest RAM");
	p = elf_load_ph();
	p.paddr = UINT64_MAX - 0x100;		/* paddr + memsz wraps */
	elf_bad_ph(vm, 0, p, "not inside guest RAM");
	p = elf_load_ph();
	p.memsz = UINT64_MAX;			/* absurd memsz */
	elf_bad_ph(vm, 0, p, "not inside guest RAM");
	p = elf_load_ph();
	p.type = PT_NULL;			/* nothing to load */
	elf_bad_ph(vm, 0, p, "nothing to load");
	vm_destroy(vm);
}

TEST(pvh_hostile_notes)
{
	struct vm *vm = make_vm(MIB(64), LOWMEM_LIMIT_DEFAULT);
	uint64_t far = GIB(2), inside = ELF_SEG_PADDR + ELF_SEG_FILESZ + 4;
	uint32_t huge = 0xFFFFFFF0;
	uint16_t two = 7;
	struct elfk k;
	struct ph p;

	/* No PVH note at all: only the GNU one. */
	elf_make(&k, true);
	memset(k.buf + ELF_NOTE_OFF + GNU_NOTE_LEN, 0, 24);
	k.notelen = GNU_NOTE_LEN;
	p = elf_note_ph(&k);
	elf_set_ph(&k, 1, &p);
	elf_write(&k);
	expect_fail(vm, false, "", "ELF kernel has no PVH entry note");
	/* No PT_NOTE either. */
	p.type = PT_NULL;
	elf_bad_ph(vm, 1, p, "ELF kernel has no PVH entry note");
	/* Note segment past EOF. */
	p = (struct ph){ PT_NOTE, ELF_FILE_LEN - 8, 0, 64, 64, 4 };
	elf_bad_ph(vm, 1, p, "truncated");
	/* namesz runs past the segment. */
	elf_make(&k, true);
	memcpy(k.buf + ELF_NOTE_OFF, &huge, 4);
	elf_write(&k);
	expect_fail(vm, false, "", "malformed note");
	/* descsz runs past the segment. */
	elf_make(&k, true);
	memcpy(k.buf + ELF_NOTE_OFF + 4, &huge, 4);
	elf_write(&k);
	expect_fail(vm, false, "", "malformed note");
	/* Segment ends inside the PVH note's name (descsz 0). */
	elf_make(&k, true);
	memset(k.buf + ELF_NOTE_OFF + GNU_NOTE_LEN + 4, 0, 4);
	p = elf_note_ph(&k);
	p.filesz = p.memsz = GNU_NOTE_LEN + 14;
	elf_set_ph(&k, 1, &p);
	elf_write(&k);
	expect_fail(vm, false, "", "malformed note");
	/* PVH note with a 7-byte value. */
	elf_make(&k, true);
	memcpy(k.buf + ELF_NOTE_OFF + GNU_NOTE_LEN + 4, &two, 2);
	elf_write(&k);
	expect_fail(vm, false, "", "malformed note");
	/* Entry outside the loaded segment (above 4 GiB, and in its bss). */
	elf_make(&k, true);
	memcpy(k.buf + ELF_NOTE_OFF + GNU_NOTE_LEN + 16, &far, 8);
	elf_write(&k);
	expect_fail(vm, false, "", "not inside a loaded segment");
	far = 0x100000000ULL + ELF_ENTRY;
	memcpy(k.buf + ELF_NOTE_OFF + GNU_NOTE_LEN + 16, &far, 8);
	elf_write(&k);
	expect_fail(vm, false, "", "not inside a loaded segment");
	memcpy(k.buf + ELF_NOTE_OFF + GNU_NOTE_LEN + 16, &inside, 8);
	elf_write(&k);
	expect_fail(vm, false, "", "not inside a loaded segment");
	vm_destroy(vm);
}

TEST(pvh_hostile_headers)
{
	struct vm *vm = make_vm(MIB(64), LOWMEM_LIMIT_DEFAULT);
	Elf64_Ehdr eh;
	struct elfk k;

#define BAD_EHDR(stmt, what)                                                 \
	do {                                                                 \
		elf_make(&k, true);                                          \
		memcpy(&eh, k.buf, sizeof(eh));                              \
		stmt;                                                        \
		memcpy(k.buf, &eh, sizeof(eh));                              \
		elf_write(&k);                                               \
		expect_fail(vm, false, "", what);                            \
	} while (0)

	BAD_EHDR(eh.e_ident[EI_CLASS] = 7, "ELF class");
	BAD_EHDR(eh.e_ident[EI_DATA] = ELFDATA2MSB, "little-endian");
	BAD_EHDR(eh.e_type = ET_DYN, "not an executable");
	BAD_EHDR(eh.e_machine = EM_AARCH64, "machine");
	BAD_EHDR(eh.e_ident[EI_CLASS] = ELFCLASS32, "machine");
	BAD_EHDR(eh.e_phentsize = 32, "program header size");
	BAD_EHDR(eh.e_phnum = 0, "program headers");
	BAD_EHDR(eh.e_phnum = 0xFFFF, "program headers");
	BAD_EHDR(eh.e_phoff = ELF_FILE_LEN - 8, "truncated");
	BAD_EHDR(eh.e_phoff = UINT64_MAX - 4, "truncated");
#undef BAD_EHDR
	/* ELF header cut short. */
	elf_make(&k, true);
	write_file(kpath, k.buf, 40);
	expect_fail(vm, false, "", "truncated");
	write_file(kpath, k.buf, 10);
	expect_fail(vm, false, "", "truncated");
	vm_destroy(vm);
}

int
main(void)
{
	testlib_init();
	RUN(pvh_elf64);
	RUN(pvh_elf32_no_initrd);
	RUN(pvh_hostile_segments);
	RUN(pvh_hostile_notes);
	RUN(pvh_hostile_headers);
	testlib_fini();
	TEST_SUMMARY();
}
