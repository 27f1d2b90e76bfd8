/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by the PCI core's files (pci_emul.c, pci_cfg.c,
 * pci_bar.c, pci_irq.c).  Not for device models: they use pci_emul.h.
 *
 * Threads: see pci_emul.h.  `pci_bus` is written only by pci_init() and
 * pci_fini() on the main thread while no vCPU runs; vCPU threads only read
 * it (the device array never changes while the guest runs).
 */
#ifndef ZHYVE_PCI_PRIV_H
#define ZHYVE_PCI_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci_emul.h"

struct pci_bus_state {
	struct vmctx *ctx;
	bool inited;
	bool cfg_traps;		/* 0xCF8 and ECAM registered */
	struct pci_devinst *devs[PCI_MAXSLOTS][PCI_MAXFUNCS];	/* bus 0 */
	pthread_mutex_t cf8_lock;	/* the two registers below */
	uint32_t cf8;		/* CONFIG_ADDRESS latch */
	uint8_t rstctl;		/* 0xCF9 reset control */
};

extern struct pci_bus_state pci_bus;

/* pci_emul.c */
const struct pci_devemu *pci_emul_find(const char *name);

/* pci_cfg.c: any offset/size; out-of-range reads all-ones, writes drop. */
uint32_t pci_cfg_read(struct pci_devinst *pi, int off, int size);
void pci_cfg_write(struct pci_devinst *pi, int off, int size, uint32_t val);
/* Plain type 0 header defaults: masks for command, cache line, int line. */
void pci_cfg_init_header(struct pci_devinst *pi);
int pci_cfg_register_traps(struct vmctx *ctx, char *err, size_t errlen);
void pci_cfg_unregister_traps(struct vmctx *ctx);

/* pci_bar.c (pi_lock held where noted) */
/* A guest write to a BAR register, one aligned access in 0x10..0x27. */
void pci_bar_cfgwrite(struct pci_devinst *pi, int off, int size,
    uint32_t val);
/* Command register changed: claim or release traps to match. */
void pci_bar_update_decode(struct pci_devinst *pi);
int pci_bar_place_all(struct vmctx *ctx, char *err, size_t errlen);
void pci_bar_release_all(struct pci_devinst *pi);

/* pci_irq.c (pi_lock held) */
/* Called after the core stored a config write to [off, off+size). */
void pci_irq_cfgwrite(struct pci_devinst *pi, int off, int size);
/* Serve an access to the MSI-X table/PBA BAR. */
void pci_msix_bar_rw(struct pci_devinst *pi, bool write, uint64_t off,
    int size, uint64_t *val);
void pci_irq_fini(struct pci_devinst *pi);
/* Reset the per-GSI INTx counts (pci_fini). */
void pci_intx_reset(void);

/* Little-endian helpers over byte arrays. */
static inline uint64_t
pci_le_get(const uint8_t *p, int size)
{
	uint64_t v = 0;

	for (int i = size - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline void
pci_le_put(uint8_t *p, int size, uint64_t v)
{
	for (int i = 0; i < size; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

#endif
