/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPU threads: one thread per vCPU runs the guest and dispatches its exits
 * through a table of handlers (vcpu.c).  One set per process.
 */
#ifndef ZHYVE_VCPU_H
#define ZHYVE_VCPU_H

#include <stdbool.h>
#include <stddef.h>

struct vmctx;
struct vcpu;
struct topology;

/* Signal used to kick vCPU threads out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR2

/* Create the vCPUs with CPUID/MSRs for the topology; none runs yet. */
int vcpu_threads_init(struct vmctx *ctx, const struct topology *topo,
    bool strictio, bool x2apic, char *err, size_t errlen);
struct vcpu *vcpu_threads_get(unsigned i);
/* Start one thread per vCPU. */
int vcpu_threads_start(char *err, size_t errlen);
/* Make every vCPU leave the guest and its thread end (any thread). */
void vcpu_threads_stop(void);
/* Wait for every vCPU thread, then free the vCPUs (main thread). */
void vcpu_threads_join(void);

#endif
