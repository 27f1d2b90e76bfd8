/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPU threads and the exit table.
 *
 * Each vCPU thread loops on vcpu_run() and hands every exit to the handler
 * for its code (vmexit_handlers[]).  A handler returns VCPU_CONTINUE, or
 * VCPU_STOP after it has asked the VM to stop through vmctx_suspend().
 * Stopping: vcpu_threads_stop() sets `stopping` and kicks every vCPU
 * (immediate_exit + a signal); a thread that sees VM_EXIT_INTR checks the
 * flag and returns.
 *
 * Port I/O and MMIO go through the one trap registry (ctx->traps).  An
 * access nothing claims reads as all-ones and its writes are dropped; with
 * x86.strictio (-e) it stops the VM with status 4 and names the port or
 * address.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iotrap.h"
#include "topology.h"
#include "vcpu.h"
#include "vmctx.h"
#include "vmm.h"
#include "vmm_x86.h"
#include "seccomp_filter.h"

enum { VCPU_CONTINUE, VCPU_STOP };

struct vcpu_thread {
	struct vcpu *vcpu;
	pthread_t tid;
	bool started;
};

static struct {
	struct vmctx *ctx;
	struct vcpu_thread *v;
	unsigned n;
	bool strictio;
	bool stopping;		/* atomic */
} vt;

static void
describe_and_suspend(struct vcpu *vcpu, enum vm_exitstatus st,
    const char *what)
{
	char regs[256], msg[400];

	vcpu_x86_describe(vcpu, regs, sizeof(regs));
	snprintf(msg, sizeof(msg), "%s; %s", what, regs);
	vmctx_suspend(vt.ctx, st, msg);
}

static int
unclaimed(struct vcpu *vcpu, const char *kind, uint64_t addr, int size,
    bool write)
{
	char msg[160];

	if (!vt.strictio)
		return VCPU_CONTINUE;
	snprintf(msg, sizeof(msg), "vCPU %d: unhandled %s %s at 0x%llx "
	    "(size %d) with strict I/O (-e)", vcpu_id(vcpu),
	    write ? "write" : "read", kind, (unsigned long long)addr, size);
	vmctx_suspend(vt.ctx, VMEXIT_ERROR, msg);
	return VCPU_STOP;
}

static int
vmexit_inout(struct vcpu *vcpu, struct vm_exit *ex)
{
	uint8_t size = ex->u.inout.size;

	if (size != 1 && size != 2 && size != 4)
		return unclaimed(vcpu, "port", ex->u.inout.port, size,
		    !ex->u.inout.in);
	/* String I/O: count elements, each `size` bytes; decode_exit()
	 * checked that count * size lies inside the run area. */
	for (uint32_t i = 0; i < ex->u.inout.count; i++) {
		uint8_t *d = ex->u.inout.data + (size_t)i * size;
		uint64_t val = 0;

		if (!ex->u.inout.in)
			memcpy(&val, d, size);
		if (iotrap_dispatch(vt.ctx->traps, IOTRAP_PIO, ex->u.inout.port,
		    size, !ex->u.inout.in, &val) != 0) {
			if (unclaimed(vcpu, "port", ex->u.inout.port, size,
			    !ex->u.inout.in) == VCPU_STOP)
				return VCPU_STOP;
			val = ~0ULL;
		}
		if (ex->u.inout.in)
			memcpy(d, &val, size);
	}
	return VCPU_CONTINUE;
}

static int
vmexit_mmio(struct vcpu *vcpu, struct vm_exit *ex)
{
	uint8_t size = ex->u.mmio.size;
	uint64_t val = 0;

	if (size == 0 || size > 8)
		return unclaimed(vcpu, "memory", ex->u.mmio.gpa, size,
		    ex->u.mmio.write);
	if (ex->u.mmio.write)
		memcpy(&val, ex->u.mmio.data, size);
	if (iotrap_dispatch(vt.ctx->traps, IOTRAP_MMIO, ex->u.mmio.gpa, size,
	    ex->u.mmio.write, &val) != 0) {
		if (unclaimed(vcpu, "memory", ex->u.mmio.gpa, size,
		    ex->u.mmio.write) == VCPU_STOP)
			return VCPU_STOP;
		val = ~0ULL;
	}
	if (!ex->u.mmio.write)
		memcpy(ex->u.mmio.data, &val, size);
	return VCPU_CONTINUE;
}

static int
vmexit_shutdown(struct vcpu *vcpu, struct vm_exit *ex)
{
	(void)ex;
	describe_and_suspend(vcpu, VMEXIT_TRIPLEFAULT, "triple fault");
	return VCPU_STOP;
}

static int
vmexit_reset(struct vcpu *vcpu, struct vm_exit *ex)
{
	(void)vcpu;
	(void)ex;
	vmctx_suspend(vt.ctx, VMEXIT_REBOOT, "reset requested");
	return VCPU_STOP;
}

static int
vmexit_poweroff(struct vcpu *vcpu, struct vm_exit *ex)
{
	(void)vcpu;
	(void)ex;
	vmctx_suspend(vt.ctx, VMEXIT_POWEROFF, "poweroff requested");
	return VCPU_STOP;
}

/* Only reachable without an in-kernel local APIC, which zhyve always has. */
static int
vmexit_hlt(struct vcpu *vcpu, struct vm_exit *ex)
{
	(void)ex;
	describe_and_suspend(vcpu, VMEXIT_HALT, "vCPU halted");
	return VCPU_STOP;
}

static int
vmexit_intr(struct vcpu *vcpu, struct vm_exit *ex)
{
	(void)vcpu;
	(void)ex;
	return __atomic_load_n(&vt.stopping, __ATOMIC_ACQUIRE) ?
	    VCPU_STOP : VCPU_CONTINUE;
}

static int
vmexit_error(struct vcpu *vcpu, struct vm_exit *ex)
{
	static const char *const what[VM_EXIT_MAX] = {
		[VM_EXIT_INTERNAL] = "KVM internal error (emulation failure)",
		[VM_EXIT_FAIL_ENTRY] = "KVM could not enter the guest",
		[VM_EXIT_UNKNOWN] = "unexpected exit from KVM",
	};
	char msg[160];

	snprintf(msg, sizeof(msg), "%s (reason %u, detail 0x%llx)",
	    what[ex->code] != NULL ? what[ex->code] : "unexpected exit",
	    ex->u.unknown.reason, (unsigned long long)ex->u.unknown.detail);
	describe_and_suspend(vcpu, VMEXIT_ERROR, msg);
	return VCPU_STOP;
}

typedef int vmexit_handler_t(struct vcpu *, struct vm_exit *);

static vmexit_handler_t *const vmexit_handlers[VM_EXIT_MAX] = {
	[VM_EXIT_INOUT] = vmexit_inout,
	[VM_EXIT_MMIO] = vmexit_mmio,
	[VM_EXIT_SHUTDOWN] = vmexit_shutdown,
	[VM_EXIT_RESET] = vmexit_reset,
	[VM_EXIT_POWEROFF] = vmexit_poweroff,
	[VM_EXIT_HLT] = vmexit_hlt,
	[VM_EXIT_INTR] = vmexit_intr,
	[VM_EXIT_INTERNAL] = vmexit_error,
	[VM_EXIT_FAIL_ENTRY] = vmexit_error,
	[VM_EXIT_UNKNOWN] = vmexit_error,
};

static void *
vcpu_loop(void *arg)
{
	struct vcpu_thread *t = arg;
	struct vm_exit ex;
	sigset_t set;
	char name[16], err[256];

	snprintf(name, sizeof(name), "vcpu %d", vcpu_id(t->vcpu));
	pthread_setname_np(pthread_self(), name);
	vcpu_set_kick_signal(t->vcpu, VCPU_KICK_SIGNAL);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* Filtered before the guest runs on this thread. */
	if (seccomp_install(SECCOMP_ROLE_VCPU, err, sizeof(err)) != 0) {
		vmctx_suspend(vt.ctx, VMEXIT_ERROR, err);
		return NULL;
	}

	while (!__atomic_load_n(&vt.stopping, __ATOMIC_ACQUIRE)) {
		if (vcpu_run(t->vcpu, &ex) != 0) {
			char msg[128];

			snprintf(msg, sizeof(msg), "vCPU %d: KVM_RUN: %s",
			    vcpu_id(t->vcpu), strerror(errno));
			vmctx_suspend(vt.ctx, VMEXIT_ERROR, msg);
			break;
		}
		if (ex.code >= VM_EXIT_MAX || vmexit_handlers[ex.code] == NULL) {
			ex.code = VM_EXIT_UNKNOWN;
		}
		if (vmexit_handlers[ex.code](t->vcpu, &ex) == VCPU_STOP)
			break;
	}
	return NULL;
}

static void
kick_handler(int sig)
{
	(void)sig;
}

int
vcpu_threads_init(struct vmctx *ctx, const struct topology *topo,
    bool strictio, bool x2apic, char *err, size_t errlen)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) != 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	vt.ctx = ctx;
	vt.strictio = strictio;
	vt.n = topo->cpus;
	vt.v = calloc(vt.n, sizeof(*vt.v));
	if (vt.v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < vt.n; i++) {
		struct vcpu_x86_topo xt = {
			.apic_id = topology_apic_id(topo, i),
			.thread_bits = topology_thread_bits(topo),
			.core_bits = topology_core_bits(topo),
			.threads = topo->threads,
			.cores = topo->cores,
			.x2apic = x2apic,
		};

		vt.v[i].vcpu = vcpu_create(ctx->vm, (int)xt.apic_id, err,
		    errlen);
		if (vt.v[i].vcpu == NULL)
			return -1;
		if (vcpu_x86_set_cpuid(vt.v[i].vcpu, &xt, err, errlen) != 0 ||
		    vcpu_x86_set_msrs(vt.v[i].vcpu, err, errlen) != 0)
			return -1;
	}
	return 0;
}

struct vcpu *
vcpu_threads_get(unsigned i)
{
	return i < vt.n ? vt.v[i].vcpu : NULL;
}

int
vcpu_threads_start(char *err, size_t errlen)
{
	for (unsigned i = 0; i < vt.n; i++) {
		int r = pthread_create(&vt.v[i].tid, NULL, vcpu_loop, &vt.v[i]);

		if (r != 0) {
			snprintf(err, errlen, "cannot start vCPU %u thread: %s",
			    i, strerror(r));
			vcpu_threads_stop();
			return -1;
		}
		vt.v[i].started = true;
	}
	return 0;
}

void
vcpu_threads_stop(void)
{
	__atomic_store_n(&vt.stopping, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < vt.n; i++)
		if (vt.v[i].vcpu != NULL)
			vcpu_kick(vt.v[i].vcpu, VCPU_KICK_SIGNAL);
}

void
vcpu_threads_join(void)
{
	for (unsigned i = 0; i < vt.n; i++) {
		if (vt.v[i].started) {
			/* A kick may land between the flag check and KVM_RUN:
			 * immediate_exit covers it; keep kicking until done. */
			for (;;) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 20 * 1000 * 1000;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				if (pthread_timedjoin_np(vt.v[i].tid, NULL,
				    &ts) != ETIMEDOUT)
					break;
				vcpu_kick(vt.v[i].vcpu, VCPU_KICK_SIGNAL);
			}
		}
		vcpu_destroy(vt.v[i].vcpu);
	}
	free(vt.v);
	vt.v = NULL;
	vt.n = 0;
}
