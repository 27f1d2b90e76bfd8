/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI config space: the per-function 4 KiB with its write masks, config
 * mechanism #1 (0xCF8 address, 0xCFC data, 0xCF9 reset control) and the
 * ECAM window.
 *
 * Threads: the trap handlers run on vCPU threads.  The CONFIG_ADDRESS latch
 * and the reset control register are under pci_bus.cf8_lock; a function's
 * config space is under its pi_lock.  Lock order: cf8_lock, then pi_lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iotrap.h"
#include "pci_emul.h"
#include "pci_priv.h"
#include "platform.h"
#include "vmctx.h"

#define CF8_PORT	0xCF8
#define CF8_ENABLE	0x80000000u
/* bus 23:16, device 15:11, function 10:8, register 7:2 */
#define CF8_MASK	0x80FFFFFCu

#define RST_SYS		0x02	/* full (system) reset when bit 2 fires */
#define RST_CPU		0x04	/* reset now; self-clearing */
#define RST_MASK	0x0E	/* bits that exist */

/* --- helpers for models ----------------------------------------------- */

static bool
cfg_in_range(int off, int len)
{
	return off >= 0 && len > 0 && off <= PCI_CFG_SIZE - len;
}

void
pci_set_cfgdata8(struct pci_devinst *pi, int off, uint8_t val)
{
	if (cfg_in_range(off, 1))
		pi->pi_cfg[off] = val;
}

void
pci_set_cfgdata16(struct pci_devinst *pi, int off, uint16_t val)
{
	if (cfg_in_range(off, 2))
		pci_le_put(&pi->pi_cfg[off], 2, val);
}

void
pci_set_cfgdata32(struct pci_devinst *pi, int off, uint32_t val)
{
	if (cfg_in_range(off, 4))
		pci_le_put(&pi->pi_cfg[off], 4, val);
}

uint8_t
pci_get_cfgdata8(struct pci_devinst *pi, int off)
{
	return cfg_in_range(off, 1) ? pi->pi_cfg[off] : 0;
}

uint16_t
pci_get_cfgdata16(struct pci_devinst *pi, int off)
{
	return cfg_in_range(off, 2) ?
	    (uint16_t)pci_le_get(&pi->pi_cfg[off], 2) : 0;
}

uint32_t
pci_get_cfgdata32(struct pci_devinst *pi, int off)
{
	return cfg_in_range(off, 4) ?
	    (uint32_t)pci_le_get(&pi->pi_cfg[off], 4) : 0;
}

void
pci_set_cfgmask8(struct pci_devinst *pi, int off, uint8_t mask)
{
	if (cfg_in_range(off, 1))
		pi->pi_cfg_wmask[off] = mask;
}

void
pci_set_cfgmask16(struct pci_devinst *pi, int off, uint16_t mask)
{
	if (cfg_in_range(off, 2))
		pci_le_put(&pi->pi_cfg_wmask[off], 2, mask);
}

void
pci_set_cfgmask32(struct pci_devinst *pi, int off, uint32_t mask)
{
	if (cfg_in_range(off, 4))
		pci_le_put(&pi->pi_cfg_wmask[off], 4, mask);
}

void
pci_cfg_init_header(struct pci_devinst *pi)
{
	pci_set_cfgmask16(pi, PCIR_COMMAND, PCIM_CMD_PORTEN | PCIM_CMD_MEMEN |
	    PCIM_CMD_BUSMASTER | PCIM_CMD_PERRESP | PCIM_CMD_SERRESP |
	    PCIM_CMD_INTxDIS);
	pci_le_put(&pi->pi_cfg_w1c[PCIR_STATUS], 2, PCIM_STATUS_W1C);
	pci_set_cfgmask8(pi, PCIR_CACHELNSZ, 0xFF);
	pci_set_cfgmask8(pi, PCIR_LATTIMER, 0xFF);
	pci_set_cfgmask8(pi, PCIR_INTLINE, 0xFF);
	/* BARs (0x10..0x27) are handled by pci_bar.c, not by the masks. */
	pci_set_cfgdata8(pi, PCIR_HDRTYPE, PCIM_HDRTYPE_NORMAL);
	pci_set_cfgdata8(pi, PCIR_INTLINE, 0xFF);	/* not connected */
}

int
pci_emul_add_capability(struct pci_devinst *pi, const uint8_t *cap,
    int caplen)
{
	int off;

	if (cap == NULL || caplen < 2)
		return -1;
	off = pi->pi_capend != 0 ? pi->pi_capend : PCIR_CAP_FIRST;
	if (caplen > PCI_CFG_LEGACY_SIZE - off)
		return -1;
	memcpy(&pi->pi_cfg[off], cap, (size_t)caplen);
	pi->pi_cfg[off + 1] = 0;		/* end of list */
	if (pi->pi_caplast == 0)
		pi->pi_cfg[PCIR_CAP_PTR] = (uint8_t)off;
	else
		pi->pi_cfg[pi->pi_caplast + 1] = (uint8_t)off;
	pi->pi_caplast = off;
	pi->pi_capend = (off + caplen + 3) & ~3;
	pci_set_cfgdata16(pi, PCIR_STATUS, pci_get_cfgdata16(pi, PCIR_STATUS) |
	    PCIM_STATUS_CAPPRESENT);
	return off;
}

/* --- config accesses ---------------------------------------------------- */

static uint64_t
all_ones(int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* One naturally aligned access of 1, 2 or 4 bytes; pi_lock held. */
static uint32_t
cfg_read_aligned(struct pci_devinst *pi, int off, int size)
{
	uint32_t val;

	if (pi->pi_d->pe_cfgread != NULL &&
	    pi->pi_d->pe_cfgread(pi, off, size, &val) == 0)
		return (uint32_t)(val & all_ones(size));
	return (uint32_t)pci_le_get(&pi->pi_cfg[off], size);
}

static void
cfg_write_aligned(struct pci_devinst *pi, int off, int size, uint32_t val)
{
	uint16_t oldcmd;

	if (pi->pi_d->pe_cfgwrite != NULL &&
	    pi->pi_d->pe_cfgwrite(pi, off, size, val) == 0)
		return;
	if (off >= PCIR_BAR(0) && off < PCIR_BAR(PCI_BARMAX + 1)) {
		pci_bar_cfgwrite(pi, off, size, val);
		return;
	}
	oldcmd = pci_get_cfgdata16(pi, PCIR_COMMAND);
	for (int i = 0; i < size; i++) {
		int o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		uint8_t m = pi->pi_cfg_wmask[o];
		uint8_t nv = (uint8_t)((pi->pi_cfg[o] & ~m) | (b & m));

		nv &= (uint8_t)~(b & pi->pi_cfg_w1c[o]);
		pi->pi_cfg[o] = nv;
	}
	if (off < PCIR_COMMAND + 2 && off + size > PCIR_COMMAND &&
	    ((oldcmd ^ pci_get_cfgdata16(pi, PCIR_COMMAND)) &
	    (PCIM_CMD_PORTEN | PCIM_CMD_MEMEN)) != 0)
		pci_bar_update_decode(pi);
	pci_irq_cfgwrite(pi, off, size);
}

static bool
cfg_access_ok(int off, int size)
{
	return (size == 1 || size == 2 || size == 4) && cfg_in_range(off, size);
}

uint32_t
pci_cfg_read(struct pci_devinst *pi, int off, int size)
{
	uint32_t val = 0;

	if (!cfg_access_ok(off, size))
		return (uint32_t)all_ones(size > 4 ? 4 : size);
	pthread_mutex_lock(&pi->pi_lock);
	if (off % size == 0) {
		val = cfg_read_aligned(pi, off, size);
	} else {
		/* Unaligned: byte by byte, so hooks only see aligned ones. */
		for (int i = size - 1; i >= 0; i--)
			val = (val << 8) | cfg_read_aligned(pi, off + i, 1);
	}
	pthread_mutex_unlock(&pi->pi_lock);
	return val;
}

void
pci_cfg_write(struct pci_devinst *pi, int off, int size, uint32_t val)
{
	if (!cfg_access_ok(off, size))
		return;
	pthread_mutex_lock(&pi->pi_lock);
	if (off % size == 0) {
		cfg_write_aligned(pi, off, size, val);
	} else {
		for (int i = 0; i < size; i++)
			cfg_write_aligned(pi, off + i, 1,
			    (uint8_t)(val >> (8 * i)));
	}
	pthread_mutex_unlock(&pi->pi_lock);
}

/* --- mechanism #1 and reset control (vCPU threads) ---------------------- */

static int
cf8_handler(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	struct vmctx *ctx = arg;
	struct pci_devinst *pi;
	bool reset = false;
	uint32_t addr;
	int k, reg;

	if (offset < 4) {
		pthread_mutex_lock(&pci_bus.cf8_lock);
		if (offset == 0 && size == 4) {
			/* CONFIG_ADDRESS: only a dword access reaches it. */
			if (write)
				pci_bus.cf8 = (uint32_t)*val & CF8_MASK;
			else
				*val = pci_bus.cf8;
		} else if (offset == 1 && size == 1) {
			/* Reset control: bit 2 fires (self-clearing). */
			if (write) {
				uint8_t v = (uint8_t)*val & RST_MASK;

				reset = (v & RST_CPU) != 0;
				pci_bus.rstctl = v & (uint8_t)~RST_CPU;
			} else {
				*val = pci_bus.rstctl;
			}
		} else if (!write) {
			*val = all_ones(size);
		}
		pthread_mutex_unlock(&pci_bus.cf8_lock);
		if (reset)
			vmctx_suspend(ctx, VMEXIT_REBOOT, "reset via 0xCF9");
		return 0;
	}

	/* CONFIG_DATA: 0xCFC..0xCFF; an access past 0xCFF is dropped. */
	pthread_mutex_lock(&pci_bus.cf8_lock);
	addr = pci_bus.cf8;
	pthread_mutex_unlock(&pci_bus.cf8_lock);
	k = (int)offset - 4;
	pi = NULL;
	if ((addr & CF8_ENABLE) != 0 && k + size <= 4)
		pi = pci_find_device((int)(addr >> 16) & 0xFF,
		    (int)(addr >> 11) & 0x1F, (int)(addr >> 8) & 0x7);
	if (pi == NULL) {
		if (!write)
			*val = all_ones(size);
		return 0;
	}
	reg = (int)(addr & 0xFC) + k;	/* < 256: mechanism #1's view */
	if (write)
		pci_cfg_write(pi, reg, size, (uint32_t)*val);
	else
		*val = pci_cfg_read(pi, reg, size);
	return 0;
}

/* --- ECAM (vCPU threads) ------------------------------------------------ */

static int
ecam_handler(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	struct pci_devinst *pi;
	int reg = (int)(offset & 0xFFF);

	(void)arg;
	pi = pci_find_device((int)(offset >> 20) & 0xFF,
	    (int)(offset >> 15) & 0x1F, (int)(offset >> 12) & 0x7);
	/* An access crossing into the next function is dropped. */
	if (pi == NULL || reg + size > PCI_CFG_SIZE) {
		if (!write)
			*val = all_ones(size);
		return 0;
	}
	if (size == 8) {
		if (write) {
			pci_cfg_write(pi, reg, 4, (uint32_t)*val);
			pci_cfg_write(pi, reg + 4, 4, (uint32_t)(*val >> 32));
		} else {
			*val = pci_cfg_read(pi, reg, 4) |
			    (uint64_t)pci_cfg_read(pi, reg + 4, 4) << 32;
		}
	} else if (write) {
		pci_cfg_write(pi, reg, size, (uint32_t)*val);
	} else {
		*val = pci_cfg_read(pi, reg, size);
	}
	return 0;
}

int
pci_cfg_register_traps(struct vmctx *ctx, char *err, size_t errlen)
{
	if (iotrap_register(ctx->traps, IOTRAP_PIO, CF8_PORT, 8, cf8_handler,
	    ctx, "pci-config") != 0) {
		snprintf(err, errlen, "pci: cannot claim ports 0xCF8-0xCFF: %s",
		    strerror(errno));
		return -1;
	}
	if (iotrap_register(ctx->traps, IOTRAP_MMIO, PCI_ECAM_BASE,
	    PCI_ECAM_SIZE, ecam_handler, NULL, "pci-ecam") != 0) {
		snprintf(err, errlen, "pci: cannot claim the ECAM window at "
		    "0x%llx: %s", (unsigned long long)PCI_ECAM_BASE,
		    strerror(errno));
		iotrap_unregister(ctx->traps, IOTRAP_PIO, CF8_PORT);
		return -1;
	}
	pci_bus.cfg_traps = true;
	return 0;
}

void
pci_cfg_unregister_traps(struct vmctx *ctx)
{
	if (!pci_bus.cfg_traps)
		return;
	iotrap_unregister(ctx->traps, IOTRAP_PIO, CF8_PORT);
	iotrap_unregister(ctx->traps, IOTRAP_MMIO, PCI_ECAM_BASE);
	pci_bus.cfg_traps = false;
}
