/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ELF vmlinux loader for the PVH boot ABI: PT_LOAD segments are copied to
 * their physical addresses (p_paddr), the 32-bit entry point comes from the
 * XEN_ELFNOTE_PHYS32_ENTRY note (name "Xen", type 18) in a PT_NOTE segment,
 * and the kernel starts in flat 32-bit protected mode with EBX pointing at
 * an hvm_start_info block (version 1, with a memory map).
 *
 * Everything is validated before the first byte is copied: header fields,
 * each program header's file range (p_offset + p_filesz inside the file,
 * p_filesz <= p_memsz) and guest range (inside RAM below the PCI hole, above
 * the loader's low MiB), the notes' lengths, and the entry point (inside a
 * loaded segment).
 *
 * Threads: main thread, start-up only.
 */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bootparam.h"
#include "e820.h"
#include "linux_boot_impl.h"
#include "platform.h"
#include "vmm.h"

#define PAGE_SIZE	4096ULL
#define PVH_MAX_PHDRS	128
#define PVH_MAX_NOTES	(1ULL << 20)	/* bytes in one PT_NOTE segment */

struct seg {
	uint32_t type;
	uint64_t offset, filesz, paddr, memsz, align;
};

struct elf_info {
	bool is64;
	int nseg;
	struct seg seg[PVH_MAX_PHDRS];
};

/* ELF header and program headers into *ei (class-independent form). */
static int
read_headers(struct kfile *kf, const uint8_t *head, size_t headlen,
    struct elf_info *ei, char *err, size_t errlen)
{
	uint64_t phoff, phentsize, phnum, type, machine, want_mach;
	uint8_t *ph;

	if (headlen < EI_NIDENT) {
		boot_seterr(err, errlen, "ELF kernel %s is truncated", kf->path);
		return -1;
	}
	if (head[EI_CLASS] != ELFCLASS64 && head[EI_CLASS] != ELFCLASS32) {
		boot_seterr(err, errlen, "ELF kernel %s: unknown ELF class %u",
		    kf->path, head[EI_CLASS]);
		return -1;
	}
	ei->is64 = head[EI_CLASS] == ELFCLASS64;
	if (head[EI_DATA] != ELFDATA2LSB || head[EI_VERSION] != EV_CURRENT) {
		boot_seterr(err, errlen,
		    "ELF kernel %s is not a little-endian ELF version 1 file",
		    kf->path);
		return -1;
	}
	if (headlen < (ei->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr))) {
		boot_seterr(err, errlen,
		    "ELF kernel %s is truncated inside its ELF header",
		    kf->path);
		return -1;
	}
	if (ei->is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, head, sizeof(eh));
		type = eh.e_type;
		machine = eh.e_machine;
		phoff = eh.e_phoff;
		phentsize = eh.e_phentsize;
		phnum = eh.e_phnum;
		want_mach = EM_X86_64;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, head, sizeof(eh));
		type = eh.e_type;
		machine = eh.e_machine;
		phoff = eh.e_phoff;
		phentsize = eh.e_phentsize;
		phnum = eh.e_phnum;
		want_mach = EM_386;
	}
	if (type != ET_EXEC) {
		boot_seterr(err, errlen,
		    "ELF kernel %s is not an executable (e_type %llu)",
		    kf->path, (unsigned long long)type);
		return -1;
	}
	if (machine != want_mach) {
		boot_seterr(err, errlen,
		    "ELF kernel %s is for machine %llu, not %s", kf->path,
		    (unsigned long long)machine,
		    ei->is64 ? "x86-64" : "i386");
		return -1;
	}
	if (phentsize != (ei->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))) {
		boot_seterr(err, errlen,
		    "ELF kernel %s: program header size %llu is wrong",
		    kf->path, (unsigned long long)phentsize);
		return -1;
	}
	if (phnum == 0 || phnum > PVH_MAX_PHDRS) {
		boot_seterr(err, errlen,
		    "ELF kernel %s has %llu program headers (1..%d supported)",
		    kf->path, (unsigned long long)phnum, PVH_MAX_PHDRS);
		return -1;
	}
	/* phnum * phentsize <= 128 * 56: no overflow; kfile_read bounds it. */
	ph = malloc(phnum * phentsize);
	if (ph == NULL) {
		boot_seterr(err, errlen, "ELF kernel %s: out of memory",
		    kf->path);
		return -1;
	}
	if (kfile_read(kf, phoff, ph, phnum * phentsize, err, errlen) != 0) {
		free(ph);
		return -1;
	}
	ei->nseg = (int)phnum;
	for (uint64_t i = 0; i < phnum; i++) {
		struct seg *s = &ei->seg[i];

		if (ei->is64) {
			Elf64_Phdr p;

			memcpy(&p, ph + i * phentsize, sizeof(p));
			*s = (struct seg){ p.p_type, p.p_offset, p.p_filesz,
			    p.p_paddr, p.p_memsz, p.p_align };
		} else {
			Elf32_Phdr p;

			memcpy(&p, ph + i * phentsize, sizeof(p));
			*s = (struct seg){ p.p_type, p.p_offset, p.p_filesz,
			    p.p_paddr, p.p_memsz, p.p_align };
		}
	}
	free(ph);
	return 0;
}

/* Check every PT_LOAD; returns the end of the highest one in *kend. */
static int
check_loads(struct kfile *kf, struct vm *vm, const struct elf_info *ei,
    uint64_t *kstart, uint64_t *kend, char *err, size_t errlen)
{
	uint64_t low = vm_lowmem_size(vm);
	int nload = 0;

	*kstart = UINT64_MAX;
	*kend = 0;
	for (int i = 0; i < ei->nseg; i++) {
		const struct seg *s = &ei->seg[i];

		if (s->type != PT_LOAD || s->memsz == 0)
			continue;
		if (s->filesz > s->memsz) {
			boot_seterr(err, errlen,
			    "ELF kernel %s: segment %d has p_filesz %#llx > "
			    "p_memsz %#llx", kf->path, i,
			    (unsigned long long)s->filesz,
			    (unsigned long long)s->memsz);
			return -1;
		}
		if (s->offset > kf->size || s->filesz > kf->size - s->offset) {
			boot_seterr(err, errlen,
			    "ELF kernel %s is truncated: segment %d needs file "
			    "bytes %#llx + %#llx, but the file is %llu bytes",
			    kf->path, i, (unsigned long long)s->offset,
			    (unsigned long long)s->filesz,
			    (unsigned long long)kf->size);
			return -1;
		}
		/* Guest range: inside lowmem RAM, clear of the loader's MiB. */
		if (s->paddr < BOOT_KERNEL_MIN_GPA || s->paddr > low ||
		    s->memsz > low - s->paddr ||
		    boot_map(vm, s->paddr, s->memsz) == NULL) {
			boot_seterr(err, errlen,
			    "ELF kernel %s: segment %d (%#llx + %#llx) is not "
			    "inside guest RAM %#llx..%#llx below the PCI hole",
			    kf->path, i, (unsigned long long)s->paddr,
			    (unsigned long long)s->memsz,
			    (unsigned long long)BOOT_KERNEL_MIN_GPA,
			    (unsigned long long)low);
			return -1;
		}
		if (s->paddr < *kstart)
			*kstart = s->paddr;
		if (s->paddr + s->memsz > *kend)
			*kend = s->paddr + s->memsz;
		nload++;
	}
	if (nload == 0) {
		boot_seterr(err, errlen, "ELF kernel %s has nothing to load",
		    kf->path);
		return -1;
	}
	return 0;
}

/* Walk the notes in buf[0..len); 1 = found the PVH entry, 0 = not, -1 = bad. */
static int
scan_notes(const uint8_t *buf, uint64_t len, uint64_t align,
    uint64_t *entry)
{
	uint64_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t nameoff, descoff;

		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		off += 12;
		/* Each length checked against what is left; off <= len. */
		if (namesz > len - off)
			return -1;
		nameoff = off;
		off = boot_align_up(off + namesz, align);
		if (off > len)
			off = len;
		if (descsz > len - off)
			return -1;
		descoff = off;
		off = boot_align_up(off + descsz, align);
		if (off > len)
			off = len;
		if (type != PVH_NOTE_PHYS32_ENTRY ||
		    namesz != sizeof(PVH_NOTE_NAME) ||
		    memcmp(buf + nameoff, PVH_NOTE_NAME,
		    sizeof(PVH_NOTE_NAME)) != 0)
			continue;
		if (descsz == 4) {
			uint32_t v;

			memcpy(&v, buf + descoff, 4);
			*entry = v;
		} else if (descsz == 8) {
			memcpy(entry, buf + descoff, 8);
		} else {
			return -1;
		}
		return 1;
	}
	return 0;
}

static int
find_entry(struct kfile *kf, const struct elf_info *ei, uint64_t *entry,
    char *err, size_t errlen)
{
	for (int i = 0; i < ei->nseg; i++) {
		const struct seg *s = &ei->seg[i];
		uint8_t *buf;
		int r;

		if (s->type != PT_NOTE || s->filesz == 0)
			continue;
		if (s->filesz > PVH_MAX_NOTES) {
			boot_seterr(err, errlen,
			    "ELF kernel %s: note segment %d is %llu bytes "
			    "(at most %llu supported)", kf->path, i,
			    (unsigned long long)s->filesz,
			    (unsigned long long)PVH_MAX_NOTES);
			return -1;
		}
		buf = malloc(s->filesz);
		if (buf == NULL) {
			boot_seterr(err, errlen,
			    "ELF kernel %s: out of memory", kf->path);
			return -1;
		}
		if (kfile_read(kf, s->offset, buf, s->filesz, err,
		    errlen) != 0) {
			free(buf);
			return -1;
		}
		r = scan_notes(buf, s->filesz, s->align == 8 ? 8 : 4, entry);
		free(buf);
		if (r < 0) {
			boot_seterr(err, errlen,
			    "ELF kernel %s: malformed note in segment %d",
			    kf->path, i);
			return -1;
		}
		if (r == 1)
			return 0;
	}
	boot_seterr(err, errlen,
	    "ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): %s; "
	    "use a kernel built with CONFIG_PVH=y, or its bzImage", kf->path);
	return -1;
}

static int
check_entry(struct kfile *kf, const struct elf_info *ei, uint64_t entry,
    char *err, size_t errlen)
{
	if (entry < HIGHMEM_BASE) {
		for (int i = 0; i < ei->nseg; i++) {
			const struct seg *s = &ei->seg[i];

			if (s->type == PT_LOAD && entry >= s->paddr &&
			    entry - s->paddr < s->filesz)
				return 0;
		}
	}
	boot_seterr(err, errlen,
	    "ELF kernel %s: PVH entry point %#llx is not inside a loaded "
	    "segment", kf->path, (unsigned long long)entry);
	return -1;
}

static int
load_segments(struct kfile *kf, struct vm *vm, const struct elf_info *ei,
    char *err, size_t errlen)
{
	for (int i = 0; i < ei->nseg; i++) {
		const struct seg *s = &ei->seg[i];
		uint8_t *dst;

		if (s->type != PT_LOAD || s->memsz == 0)
			continue;
		/* Ranges checked by check_loads(). */
		if (kfile_read_guest(kf, vm, s->offset, s->paddr, s->filesz,
		    err, errlen) != 0)
			return -1;
		dst = boot_map(vm, s->paddr, s->memsz);
		if (dst == NULL) {
			boot_seterr(err, errlen, "ELF kernel %s: segment %d "
			    "is not guest RAM", kf->path, i);
			return -1;
		}
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

static int
write_start_info(const struct boot_args *a, const struct boot_entry *out,
    char *err, size_t errlen)
{
	struct e820_entry map[E820_MAX_BUILT];
	struct hvm_memmap_table_entry mm[E820_MAX_BUILT];
	struct hvm_start_info si;
	struct hvm_modlist_entry mod;
	int n;

	static_assert(E820_MAX_BUILT <= BOOT_MEMMAP_MAX, "memmap area");
	static_assert(BOOT_MODLIST_GPA >= BOOT_START_INFO_GPA + sizeof(si),
	    "layout");
	static_assert(BOOT_MEMMAP_GPA >= BOOT_MODLIST_GPA + sizeof(mod),
	    "layout");
	n = e820_build(a->vm, map, E820_MAX_BUILT);
	if (n < 0) {
		boot_seterr(err, errlen, "PVH memory map: too many entries");
		return -1;
	}
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < n; i++) {
		mm[i].addr = map[i].addr;
		mm[i].size = map[i].size;
		mm[i].type = map[i].type;	/* same numbering as e820 */
	}
	memset(&si, 0, sizeof(si));
	si.magic = PVH_START_MAGIC;
	si.version = PVH_START_VERSION;
	si.cmdline_paddr = BOOT_CMDLINE_GPA;
	si.rsdp_paddr = a->rsdp_gpa;
	si.memmap_paddr = BOOT_MEMMAP_GPA;
	si.memmap_entries = (uint32_t)n;
	memset(&mod, 0, sizeof(mod));
	if (out->initrd_size > 0) {
		si.nr_modules = 1;
		si.modlist_paddr = BOOT_MODLIST_GPA;
		mod.paddr = out->initrd_gpa;
		mod.size = out->initrd_size;
	}
	if (vm_copyout(a->vm, &si, BOOT_START_INFO_GPA, sizeof(si)) != 0 ||
	    vm_copyout(a->vm, &mod, BOOT_MODLIST_GPA, sizeof(mod)) != 0 ||
	    vm_copyout(a->vm, mm, BOOT_MEMMAP_GPA,
	    (size_t)n * sizeof(mm[0])) != 0) {
		boot_seterr(err, errlen, "PVH start_info: %#llx is not guest RAM",
		    (unsigned long long)BOOT_START_INFO_GPA);
		return -1;
	}
	return 0;
}

int
pvh_load(struct kfile *kf, const uint8_t *head, size_t headlen,
    const struct boot_args *a, struct boot_entry *out, char *err,
    size_t errlen)
{
	struct elf_info *ei;
	uint64_t entry = 0, kstart, kend;
	int rc = -1;

	ei = calloc(1, sizeof(*ei));
	if (ei == NULL) {
		boot_seterr(err, errlen, "ELF kernel %s: out of memory",
		    kf->path);
		return -1;
	}
	if (read_headers(kf, head, headlen, ei, err, errlen) != 0 ||
	    check_loads(kf, a->vm, ei, &kstart, &kend, err, errlen) != 0 ||
	    find_entry(kf, ei, &entry, err, errlen) != 0 ||
	    check_entry(kf, ei, entry, err, errlen) != 0 ||
	    load_segments(kf, a->vm, ei, err, errlen) != 0)
		goto out;
	out->kernel_gpa = kstart;
	out->kernel_end = boot_align_up(kend, PAGE_SIZE);
	if (a->initrd != NULL &&
	    boot_load_initrd(a->vm, a->initrd, out->kernel_end,
	    vm_lowmem_size(a->vm), &out->initrd_gpa, &out->initrd_size, err,
	    errlen) != 0)
		goto out;
	if (write_start_info(a, out, err, errlen) != 0)
		goto out;
	out->mode = BOOT_ENTRY_PVH32;
	out->rip = entry;
	out->rbx = BOOT_START_INFO_GPA;
	out->cr3 = 0;
	rc = 0;
out:
	free(ei);
	return rc;
}
