/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPU topology: how -c cpus=N,sockets=S,cores=C,threads=T maps vCPU numbers
 * to APIC IDs.  CPUID (lib/vmm x86) and the MADT both use these functions,
 * so the guest sees one consistent picture.
 *
 * APIC ID = socket << (core_bits + thread_bits) | core << thread_bits | thread
 * where core_bits/thread_bits are the widths needed for cores/threads
 * (as CPUID leaf 0xB / 0x1F describe).  vCPU i is thread i % T of core
 * (i / T) % C of socket i / (T * C).
 */
#ifndef ZHYVE_TOPOLOGY_H
#define ZHYVE_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

struct topology {
	unsigned cpus;	   /* vCPUs started */
	unsigned sockets;
	unsigned cores;	   /* per socket */
	unsigned threads;  /* per core */
	unsigned maxcpus;  /* sockets * cores * threads */
};

/* Read cpus/sockets/cores/threads/maxcpus from the config tree, fill in
 * defaults like bhyve, and check consistency.  -1 with a message in err. */
int topology_from_config(struct topology *t, unsigned max_vcpus, char *err,
    size_t errlen);
unsigned topology_thread_bits(const struct topology *t);
unsigned topology_core_bits(const struct topology *t);
uint32_t topology_apic_id(const struct topology *t, unsigned vcpu);

#endif
