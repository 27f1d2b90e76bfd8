/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PCI host bridge (class 06/00) at the root of bus 0.  It has no BARs
 * and no registers beyond its header.  Config keys (pci.B.S.F.*), as bhyve:
 *   vendor, devid    16-bit IDs to present instead of zhyve's.
 * ("device" is taken: it names the model.)  "-s N,amd_hostbridge" is the
 * same model with AMD's vendor ID written into those keys.
 *
 * Threads: init on the main thread; config accesses are served by the core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "pci_emul.h"
#include "platform.h"

#define AMD_HOSTBRIDGE_VENDOR	"0x1022"
#define AMD_HOSTBRIDGE_DEVICE	"0x7432"	/* bhyve's choice */

static int
id_from_config(struct pci_devinst *pi, struct config_node *nvl,
    const char *key, uint16_t def, uint16_t *out)
{
	const char *s = config_get_node(nvl, key);
	unsigned long v;
	char *end;

	if (s == NULL) {
		if (config_find_relative_node(nvl, key) != NULL) {
			pci_emul_seterr(pi, "%s", config_error());
			return -1;
		}
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > 0xFFFF ||
	    s[0] == '-') {
		pci_emul_seterr(pi, "%s.%s: '%s' is not a 16-bit number",
		    pi->pi_name, key, s);
		return -1;
	}
	*out = (uint16_t)v;
	return 0;
}

static int
hostbridge_init(struct pci_devinst *pi, struct config_node *nvl)
{
	uint16_t vendor, device;

	if (id_from_config(pi, nvl, "vendor", ZHYVE_HOSTBRIDGE_VENDOR,
	    &vendor) != 0 ||
	    id_from_config(pi, nvl, "devid", ZHYVE_HOSTBRIDGE_DEVICE,
	    &device) != 0)
		return -1;
	pci_set_cfgdata16(pi, PCIR_VENDOR, vendor);
	pci_set_cfgdata16(pi, PCIR_DEVICE, device);
	pci_set_cfgdata8(pi, PCIR_CLASS, PCIC_BRIDGE);
	pci_set_cfgdata8(pi, PCIR_SUBCLASS, PCIS_BRIDGE_HOST);
	pci_set_cfgdata8(pi, PCIR_HDRTYPE, PCIM_HDRTYPE_NORMAL);
	return 0;
}

static int
amd_hostbridge_legacy_config(struct config_node *nvl, const char *opts)
{
	if (config_set_node(nvl, "vendor", AMD_HOSTBRIDGE_VENDOR) != 0 ||
	    config_set_node(nvl, "devid", AMD_HOSTBRIDGE_DEVICE) != 0) {
		fprintf(stderr, "zhyve: amd_hostbridge: %s\n", config_error());
		return -1;
	}
	/* Explicit vendor=/devid= options still win. */
	return pci_parse_legacy_config(nvl, opts);
}

const struct pci_devemu pci_de_hostbridge = {
	.pe_emu = "hostbridge",
	.pe_init = hostbridge_init,
};

const struct pci_devemu pci_de_amd_hostbridge = {
	.pe_emu = "amd_hostbridge",
	.pe_alias = "hostbridge",
	.pe_legacy_config = amd_hostbridge_legacy_config,
	.pe_init = hostbridge_init,
};
