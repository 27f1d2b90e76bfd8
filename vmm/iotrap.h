/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One trap registry for port I/O and MMIO.
 *
 * Devices register [base, base+len) in either space with a handler.  A vCPU
 * thread that takes an I/O or MMIO exit calls iotrap_dispatch().  Ranges in
 * one space never overlap; registering an overlapping range fails.
 *
 * Concurrency: lookups take a read lock only long enough to find the entry
 * and take a reference; the handler runs with no registry lock held, so a
 * handler may register or unregister ranges (a guest moving a BAR through
 * a config write does exactly that).  iotrap_unregister() removes the range
 * at once for new lookups; the entry itself is freed when the last running
 * handler drops its reference.  After unregister returns, a handler that
 * already started may still be finishing on another vCPU: a device that
 * frees its state must first stop using it (devices here are freed only at
 * exit, after the vCPUs are gone).
 */
#ifndef ZHYVE_IOTRAP_H
#define ZHYVE_IOTRAP_H

#include <stdbool.h>
#include <stdint.h>

enum iotrap_space { IOTRAP_PIO, IOTRAP_MMIO };

/*
 * write: val holds the value (size bytes, little-endian in the low bits).
 * read: store the result in *val.  `offset` is relative to the base given
 * at registration.  size is 1, 2, 4 or 8.  Return 0; a nonzero return is
 * logged and treated as handled.
 */
typedef int iotrap_handler_t(void *arg, bool write, uint64_t offset,
    int size, uint64_t *val);

struct iotrap_table;

struct iotrap_table *iotrap_table_new(void);
void iotrap_table_free(struct iotrap_table *t);

/* 0, or -1 with errno EEXIST (overlap) / EINVAL (len 0 or wrap). */
int iotrap_register(struct iotrap_table *t, enum iotrap_space space,
    uint64_t base, uint64_t len, iotrap_handler_t *fn, void *arg,
    const char *name);
/* Remove the range registered at exactly `base`; -1/ENOENT if none. */
int iotrap_unregister(struct iotrap_table *t, enum iotrap_space space,
    uint64_t base);

/*
 * Find and run the handler for an access.  Returns 0 if a handler claimed
 * it, or -1 if nothing is registered there: the caller then applies the
 * unclaimed-access policy (reads are all-ones, writes are dropped; with -e
 * the VM stops).  An access that straddles the end of a range is unclaimed.
 */
int iotrap_dispatch(struct iotrap_table *t, enum iotrap_space space,
    uint64_t addr, int size, bool write, uint64_t *val);

/* Name of the range covering addr, or NULL (for diagnostics). */
const char *iotrap_lookup_name(struct iotrap_table *t, enum iotrap_space space,
    uint64_t addr);

#endif
