/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LPC (PCI-to-ISA) bridge and what it needs from the ISA side.
 *
 * Threads: main thread (start-up).
 */
#ifndef ZHYVE_PCI_LPC_H
#define ZHYVE_PCI_LPC_H

#include <stddef.h>
#include <stdint.h>

struct vmctx;

/*
 * Create the 16550 UART `name` ("com1".."com4") at `port`/`irq` with the
 * backend described by `spec` (the lpc.comN.path value).  Implemented on
 * the ISA side (devices/isa); the same declaration lives in isa.h.
 * 0, or -1 with a message in err.
 */
int lpc_uart_init(struct vmctx *ctx, const char *name, uint16_t port, int irq,
    const char *spec, char *err, size_t errlen);

/* PCI slot (bus 0) of the LPC bridge, or -1 when there is none. */
int pci_lpc_slot(void);

#endif
