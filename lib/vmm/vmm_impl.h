/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmm internals shared by its source files.  Nothing outside lib/vmm
 * includes this.
 */
#ifndef ZHYVE_VMM_IMPL_H
#define ZHYVE_VMM_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "vmm.h"
#include "platform.h"

#define VM_HOLE_START_MAX	0xC0000000ULL	/* lowmem ends by 3 GiB */
#define VM_MAX_MEMSIZE		GIB(1024)
#define VM_MAX_ROUTES		1024
#define VM_FAKE_GSIS		256

struct vm_memseg {
	uint64_t gpa;
	uint64_t len;
	uint8_t *hva;
	uint64_t map_len;	/* bytes to munmap at hva when owner */
	bool rom;
	bool owner;		/* this segment's mapping is ours to free */
	int slot;
};

struct vm {
	char name[VM_MAX_NAMELEN];
	bool fake;
	int kvm_fd;
	int vm_fd;
	int run_size;
	int max_vcpus;

	struct vm_memseg segs[VM_MAX_SEGS];
	int nsegs;
	int next_slot;
	uint64_t lowmem, highmem;

	/* GSI routing (irqfd, MSI routes); protected by lock. */
	pthread_mutex_t lock;
	struct kvm_irq_routing *routing;
	uint32_t next_gsi;

	/* Fake VM: interrupts recorded, under lock. */
	int fake_level[VM_FAKE_GSIS];
	unsigned fake_pulses[VM_FAKE_GSIS];
	unsigned fake_msis;
	uint64_t fake_msi_addr;
	uint32_t fake_msi_data;
};

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_set;
};

int vm_kvm_set_slot(struct vm *vm, int slot, uint64_t gpa, uint64_t len,
    void *hva, bool readonly, char *err, size_t errlen);
void vm_mem_free(struct vm *vm);

#endif
