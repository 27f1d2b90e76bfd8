/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LPC bridge (class 06/01, PIIX3-like IDs): the PCI device behind which
 * the legacy ISA devices live.  At most one, on bus 0 (any slot; bhyve
 * users put it at 31).  Creating it creates the serial ports configured
 * under lpc.comN.path (N = 1..4) at their usual ports and IRQs.
 *
 * Threads: init on the main thread; config accesses are served by the core.
 */
#include <stdio.h>

#include "config.h"
#include "pci_emul.h"
#include "pci_lpc.h"
#include "platform.h"

static const struct {
	const char *name;
	uint16_t port;
	int irq;
} lpc_uarts[] = {
	{ "com1", COM1_PORT, COM1_IRQ },
	{ "com2", COM2_PORT, COM2_IRQ },
	{ "com3", COM3_PORT, COM3_IRQ },
	{ "com4", COM4_PORT, COM4_IRQ },
};

/* The LPC bridge once created (one per VM); read by the table builders. */
static struct pci_devinst *lpc_bridge;

int
pci_lpc_slot(void)
{
	return lpc_bridge != NULL ? lpc_bridge->pi_slot : -1;
}

static int
lpc_init(struct pci_devinst *pi, struct config_node *nvl)
{
	char key[32], err[256];

	(void)nvl;
	if (pi->pi_bus != 0) {
		pci_emul_seterr(pi, "the LPC bridge must be on bus 0");
		return -1;
	}
	for (int s = 0; s < PCI_MAXSLOTS; s++) {
		for (int f = 0; f < PCI_MAXFUNCS; f++) {
			struct pci_devinst *o = pci_find_device(0, s, f);

			if (o != NULL && o != pi && o->pi_d == pi->pi_d) {
				pci_emul_seterr(pi, "only one LPC bridge is "
				    "allowed (another is at %s)", o->pi_name);
				return -1;
			}
		}
	}

	for (size_t i = 0; i < sizeof(lpc_uarts) / sizeof(lpc_uarts[0]); i++) {
		const char *spec;

		snprintf(key, sizeof(key), "lpc.%s.path", lpc_uarts[i].name);
		spec = config_get(key);
		if (spec == NULL) {
			if (config_get_raw(key) == NULL)
				continue;
			pci_emul_seterr(pi, "%s", config_error());
			return -1;
		}
		if (*spec == '\0') {
			pci_emul_seterr(pi, "%s is empty (give stdio, "
			    "socket,PATH or a terminal device)", key);
			return -1;
		}
		if (lpc_uart_init(pi->pi_vmctx, lpc_uarts[i].name,
		    lpc_uarts[i].port, lpc_uarts[i].irq, spec, err,
		    sizeof(err)) != 0) {
			pci_emul_seterr(pi, "%s: %s", key, err);
			return -1;
		}
	}

	pci_set_cfgdata16(pi, PCIR_VENDOR, ZHYVE_LPC_VENDOR);
	pci_set_cfgdata16(pi, PCIR_DEVICE, ZHYVE_LPC_DEVICE);
	pci_set_cfgdata8(pi, PCIR_CLASS, PCIC_BRIDGE);
	pci_set_cfgdata8(pi, PCIR_SUBCLASS, PCIS_BRIDGE_ISA);
	pci_set_cfgdata8(pi, PCIR_HDRTYPE, PCIM_HDRTYPE_NORMAL);
	lpc_bridge = pi;
	return 0;
}

const struct pci_devemu pci_de_lpc = {
	.pe_emu = "lpc",
	.pe_init = lpc_init,
};
