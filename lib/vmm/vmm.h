/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmm: the machine-independent interface to the in-kernel VMM.
 *
 * This library is the only code in zhyve that issues KVM ioctls.  Everything
 * else sees opaque handles (struct vm, struct vcpu) and the functions below.
 * The x86-specific parts (CPUID, MSRs, register state, the PC memory map)
 * live in vmm_x86.h / vmm_x86.c.
 *
 * Guest memory.  Guest RAM is a small set of segments, each a contiguous
 * host mapping.  The only way to get a host pointer for a guest-physical
 * range is vm_map_gpa(), which returns NULL unless the whole range lies inside
 * one RAM segment (computed without overflow).  vm_copyin()/vm_copyout() are
 * built on it.  A range that is not RAM is never "partially" mapped.
 *
 * Fake VMs.  vm_create_fake() gives a VM with guest memory but no KVM: the
 * unit tests use it to lay out virtqueues and tables in "guest" memory, and
 * interrupt calls are recorded instead of injected (see vm_fake_*()).
 *
 * Threads: vm_* functions may be called from any thread; a struct vcpu is
 * used only by the thread that runs it, except vcpu_kick().
 */
#ifndef ZHYVE_VMM_H
#define ZHYVE_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;

#define VM_MAX_NAMELEN 64
#define VM_MAX_SEGS 8

/* What ended a call to vcpu_run(). */
enum vm_exitcode {
	VM_EXIT_INOUT,	   /* port I/O: see exit.u.inout */
	VM_EXIT_MMIO,	   /* memory access nobody backs: see exit.u.mmio */
	VM_EXIT_SHUTDOWN,  /* triple fault */
	VM_EXIT_RESET,	   /* reset requested through the kernel (PSCI-like) */
	VM_EXIT_POWEROFF,  /* poweroff requested through the kernel */
	VM_EXIT_HLT,	   /* hlt with no in-kernel local APIC */
	VM_EXIT_INTR,	   /* interrupted by vcpu_kick() or a signal */
	VM_EXIT_INTERNAL,  /* the kernel could not emulate something */
	VM_EXIT_FAIL_ENTRY,/* the kernel refused to enter the guest */
	VM_EXIT_UNKNOWN,   /* anything else: see exit.u.unknown */
	VM_EXIT_MAX
};

struct vm_exit {
	enum vm_exitcode code;
	union {
		struct {
			uint16_t port;
			uint8_t size;  /* 1, 2 or 4 */
			bool in;
			uint32_t count;	 /* > 1 for string instructions */
			uint8_t *data;	 /* count * size bytes, in the run area */
		} inout;
		struct {
			uint64_t gpa;
			uint8_t size;  /* 1..8 */
			bool write;
			uint8_t *data; /* size bytes, in the run area */
		} mmio;
		struct {
			uint32_t reason; /* kernel's own exit or error code */
			uint64_t detail;
		} unknown;
	} u;
};

/* --- VM lifetime ------------------------------------------------------ */

/*
 * Open /dev/kvm and create a VM.  On failure returns NULL and writes a
 * message a user can act on into err (always NUL-terminated).
 */
struct vm *vm_create(const char *name, char *err, size_t errlen);
/* A VM with memory only (no KVM): for tests. */
struct vm *vm_create_fake(const char *name);
void vm_destroy(struct vm *vm);
const char *vm_name(const struct vm *vm);
bool vm_is_fake(const struct vm *vm);

/* --- Guest memory ----------------------------------------------------- */

/*
 * Lay out `memsize` bytes of RAM like a PC: up to `lowmem_limit` below the
 * 32-bit PCI hole, the rest from 4 GiB up.  Returns 0 or -1 with err set.
 */
int vm_setup_memory(struct vm *vm, uint64_t memsize, uint64_t lowmem_limit,
    char *err, size_t errlen);
uint64_t vm_lowmem_size(const struct vm *vm);	/* RAM below the hole */
uint64_t vm_highmem_size(const struct vm *vm);	/* RAM from 4 GiB up */
uint64_t vm_mem_size(const struct vm *vm);

/*
 * Map a read-only region (a ROM) at gpa.  The contents are copied; the
 * caller may free `data`.  Overlaps with RAM or other ROMs are refused.
 * Guest writes to it are dropped (they arrive as MMIO exits).
 */
int vm_map_rom(struct vm *vm, uint64_t gpa, const void *data, size_t len,
    char *err, size_t errlen);
/*
 * Map the same host pages as an existing ROM a second time (an alias),
 * e.g. the top of the boot ROM below 1 MiB.  `rom_offset` is an offset
 * into the ROM previously mapped at `rom_gpa`.
 */
int vm_alias_rom(struct vm *vm, uint64_t rom_gpa, uint64_t rom_offset,
    uint64_t alias_gpa, size_t len, char *err, size_t errlen);

/*
 * Host pointer for guest-physical [gpa, gpa+len), or NULL unless the whole
 * range is RAM inside a single segment.  len 0 is refused.  This is the
 * bounds check every device uses before touching guest memory.
 */
void *vm_map_gpa(struct vm *vm, uint64_t gpa, size_t len);
/* Copy between guest RAM and host buffers; -1 if any byte is not RAM. */
int vm_copyin(struct vm *vm, uint64_t gpa, void *dst, size_t len);
int vm_copyout(struct vm *vm, const void *src, uint64_t gpa, size_t len);
/* True iff [gpa, gpa+len) is RAM (may span segments: false then). */
bool vm_gpa_is_ram(struct vm *vm, uint64_t gpa, size_t len);

/* --- Interrupts ------------------------------------------------------- */

/* In-kernel PIC + IOAPIC + local APICs, and the in-kernel PIT. */
int vm_create_irqchip(struct vm *vm, char *err, size_t errlen);
/* Set an IOAPIC/PIC input line (GSI) to level 0 or 1. */
int vm_irq_line(struct vm *vm, uint32_t gsi, int level);
/* Raise then lower an edge-triggered line. */
int vm_irq_pulse(struct vm *vm, uint32_t gsi);
/* Deliver one MSI. */
int vm_msi(struct vm *vm, uint64_t addr, uint32_t data);

/*
 * Interrupt routes for irqfd: a GSI number bound either to an irqchip pin
 * (the default routes for GSIs 0-23 always exist) or to an MSI message.
 * vm_msi_route_add() returns a new GSI (>= 24) or -1.
 */
int vm_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data);
int vm_msi_route_update(struct vm *vm, int gsi, uint64_t addr, uint32_t data);
int vm_msi_route_del(struct vm *vm, int gsi);

/* An eventfd that, when written, injects GSI `gsi`; -1 to unbind. */
int vm_irqfd(struct vm *vm, int fd, uint32_t gsi, bool assign);
/*
 * An eventfd the kernel signals when the guest writes to [addr, addr+len)
 * (pio or mmio); with match_data, only when the written value equals data.
 */
int vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, uint32_t len,
    bool pio, bool match_data, uint64_t data, bool assign);

/* --- vCPUs ------------------------------------------------------------- */

int vm_max_vcpus(struct vm *vm);
struct vcpu *vcpu_create(struct vm *vm, int id, char *err, size_t errlen);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_id(const struct vcpu *vcpu);
struct vm *vcpu_vm(const struct vcpu *vcpu);
/*
 * Enter the guest until the next exit that needs userspace.  Returns 0 and
 * fills *exit, or -1 on a host error (errno set).  An EINTR from a kick or
 * signal is reported as VM_EXIT_INTR, not an error.
 */
int vcpu_run(struct vcpu *vcpu, struct vm_exit *exit);
/* Make a vcpu_run() in another thread return VM_EXIT_INTR soon. */
void vcpu_kick(struct vcpu *vcpu, int signo);
/* Must be called in the vCPU's thread before vcpu_run(): which signal kicks. */
void vcpu_set_kick_signal(struct vcpu *vcpu, int signo);

/* --- Fake VM instrumentation (tests) ----------------------------------- */

int vm_fake_irq_level(const struct vm *vm, uint32_t gsi);
unsigned vm_fake_irq_pulses(const struct vm *vm, uint32_t gsi);
unsigned vm_fake_msi_count(const struct vm *vm);
void vm_fake_last_msi(const struct vm *vm, uint64_t *addr, uint32_t *data);

#endif
