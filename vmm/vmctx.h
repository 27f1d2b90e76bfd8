/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * struct vmctx: what a device model is handed at init.  One per process.
 *
 * It ties together the VM (lib/vmm), the event loop, and the trap registry.
 * Devices keep the pointer and use:
 *   ctx->vm      guest memory accessors and interrupt injection
 *   ctx->mev     to watch host file descriptors (backends)
 *   ctx->traps   to claim port I/O and MMIO ranges
 * In unit tests ctx->vm is a fake VM (vm_create_fake()) and ctx->mev may be
 * a base that is never dispatched.
 */
#ifndef ZHYVE_VMCTX_H
#define ZHYVE_VMCTX_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct mevent_base;
struct iotrap_table;

/* bhyve's exit codes. */
enum vm_exitstatus {
	VMEXIT_REBOOT = 0,
	VMEXIT_POWEROFF = 1,
	VMEXIT_HALT = 2,
	VMEXIT_TRIPLEFAULT = 3,
	VMEXIT_ERROR = 4,
};

struct vmctx {
	struct vm *vm;
	struct mevent_base *mev;
	struct iotrap_table *traps;
	int ncpus;
	/*
	 * Ask the VM to stop with a bhyve exit status (any thread).  The first
	 * request wins.  Set by the VMM core; tests may install their own.
	 */
	void (*suspend)(struct vmctx *ctx, enum vm_exitstatus status,
	    const char *why);
	/* Last status passed to suspend(), -1 while running. */
	int exit_status;
};

static inline void
vmctx_suspend(struct vmctx *ctx, enum vm_exitstatus status, const char *why)
{
	if (ctx->suspend != NULL)
		ctx->suspend(ctx, status, why);
	else if (ctx->exit_status < 0)
		ctx->exit_status = (int)status;
}

#endif
