/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI BARs: requests from models, placement (largest first, naturally
 * aligned) in the windows of platform.h, guest writes (sizing and moves),
 * and decode on/off through the command register.
 *
 * A BAR's trap is claimed in the iotrap registry while its decode bit is
 * set and its address is usable; moving it releases the old range and
 * claims the new one (from inside the config-write handler, which the
 * registry allows).  A BAR the guest points at a range someone else holds
 * simply stays unclaimed until it (or another BAR of the same device) is
 * written again or its decode bit is toggled.
 *
 * Threads: placement on the main thread in pci_init(); guest writes on
 * vCPU threads with pi_lock held; the trap handler on vCPU threads without
 * pi_lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotrap.h"
#include "pci_emul.h"
#include "pci_priv.h"
#include "platform.h"
#include "vmctx.h"
#include "vmm.h"

#define IO_BAR_MIN	4
#define IO_BAR_MAX	256
#define MEM_BAR_MIN	4096

static const char *const bar_kind[] = {
	[PCIBAR_NONE] = "none", [PCIBAR_IO] = "I/O",
	[PCIBAR_MEM32] = "32-bit memory", [PCIBAR_MEM64] = "64-bit memory",
	[PCIBAR_MEMHI64] = "64-bit memory (upper half)",
};

static uint64_t
roundup_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p != 0)
		p <<= 1;
	return p;
}

static uint32_t
bar_type_bits(enum pcibar_type t)
{
	switch (t) {
	case PCIBAR_IO:
		return PCIM_BAR_IO;
	case PCIBAR_MEM64:
		return PCIM_BAR_MEM_64 | PCIM_BAR_MEM_PREFETCH;
	default:
		return 0;
	}
}

int
pci_emul_alloc_bar(struct pci_devinst *pi, int idx, enum pcibar_type type,
    uint64_t size)
{
	uint64_t max;

	if (idx < 0 || idx > PCI_BARMAX) {
		pci_emul_seterr(pi, "BAR %d does not exist (0..%d)", idx,
		    PCI_BARMAX);
		return -1;
	}
	if (type != PCIBAR_IO && type != PCIBAR_MEM32 && type != PCIBAR_MEM64) {
		pci_emul_seterr(pi, "BAR %d: bad type", idx);
		return -1;
	}
	if (pi->pi_bar[idx].type != PCIBAR_NONE ||
	    (type == PCIBAR_MEM64 &&
	    (idx == PCI_BARMAX || pi->pi_bar[idx + 1].type != PCIBAR_NONE))) {
		pci_emul_seterr(pi, "BAR %d: already in use", idx);
		return -1;
	}
	max = type == PCIBAR_IO ? IO_BAR_MAX :
	    type == PCIBAR_MEM32 ? PCI_MMIO32_SIZE : PCI_MMIO64_SIZE;
	if (size == 0 || size > max) {
		pci_emul_seterr(pi, "BAR %d: %s size 0x%llx is not in 1..0x%llx",
		    idx, bar_kind[type], (unsigned long long)size,
		    (unsigned long long)max);
		return -1;
	}
	size = roundup_pow2(size);
	if (type == PCIBAR_IO && size < IO_BAR_MIN)
		size = IO_BAR_MIN;
	if (type != PCIBAR_IO && size < MEM_BAR_MIN)
		size = MEM_BAR_MIN;

	pi->pi_bar[idx].type = type;
	pi->pi_bar[idx].size = size;
	pi->pi_bar[idx].addr = 0;
	pci_set_cfgdata32(pi, PCIR_BAR(idx), bar_type_bits(type));
	if (type == PCIBAR_MEM64) {
		pi->pi_bar[idx + 1].type = PCIBAR_MEMHI64;
		pi->pi_bar[idx + 1].size = size;
		pci_set_cfgdata32(pi, PCIR_BAR(idx + 1), 0);
	}
	return 0;
}

/* --- the trap ------------------------------------------------------------ */

static int
bar_handler(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	struct pcibar *b = arg;
	struct pci_devinst *pi = b->pi;

	if (pi->pi_msix.capoff != 0 && b->idx == pi->pi_msix.bar) {
		pci_msix_bar_rw(pi, write, offset, size, val);
	} else if (write) {
		if (pi->pi_d->pe_barwrite != NULL)
			pi->pi_d->pe_barwrite(pi, b->idx, offset, size, *val);
	} else if (pi->pi_d->pe_barread != NULL) {
		*val = pi->pi_d->pe_barread(pi, b->idx, offset, size);
	} else {
		*val = size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	}
	return 0;
}

/* Make the claimed trap match the BAR's address and decode bit. */
static void
bar_update(struct pci_devinst *pi, int idx)
{
	struct pcibar *b = &pi->pi_bar[idx];
	struct iotrap_table *traps = pi->pi_vmctx->traps;
	uint16_t cmd = pci_get_cfgdata16(pi, PCIR_COMMAND);
	enum iotrap_space sp;
	bool want, usable;

	switch (b->type) {
	case PCIBAR_IO:
		sp = IOTRAP_PIO;
		want = (cmd & PCIM_CMD_PORTEN) != 0;
		usable = b->addr != 0 && b->addr + b->size <= PCI_IO_LIMIT;
		break;
	case PCIBAR_MEM32:
	case PCIBAR_MEM64:
		sp = IOTRAP_MMIO;
		want = (cmd & PCIM_CMD_MEMEN) != 0;
		/* Aligned to size, so only the very top can wrap. */
		usable = b->addr != 0 && b->addr + b->size > b->addr;
		break;
	default:
		return;
	}
	want = want && usable;

	if (b->registered && (!want || b->regaddr != b->addr)) {
		iotrap_unregister(traps, sp, b->regaddr);
		b->registered = false;
		if (pi->pi_d->pe_baraddr != NULL)
			pi->pi_d->pe_baraddr(pi, idx, false, b->regaddr);
	}
	if (want && !b->registered) {
		if (iotrap_register(traps, sp, b->addr, b->size, bar_handler, b,
		    pi->pi_name) != 0)
			return;		/* overlaps something: no decode */
		b->registered = true;
		b->regaddr = b->addr;
		if (pi->pi_d->pe_baraddr != NULL)
			pi->pi_d->pe_baraddr(pi, idx, true, b->addr);
	}
}

void
pci_bar_update_decode(struct pci_devinst *pi)
{
	for (int i = 0; i <= PCI_BARMAX; i++)
		bar_update(pi, i);
}

void
pci_bar_cfgwrite(struct pci_devinst *pi, int off, int size, uint32_t val)
{
	int idx = (off - PCIR_BAR(0)) / 4;
	int shift = 8 * (off & 3);
	struct pcibar *b;
	uint32_t cur, nv, bytemask;
	int lo;

	if (idx < 0 || idx > PCI_BARMAX)
		return;
	b = &pi->pi_bar[idx];
	if (b->type == PCIBAR_NONE)
		return;		/* unimplemented BAR: reads stay 0 */
	bytemask = (uint32_t)(((1ULL << (8 * size)) - 1) << shift);
	cur = pci_get_cfgdata32(pi, PCIR_BAR(idx));
	nv = (cur & ~bytemask) | ((val << shift) & bytemask);

	/* Address bits below the size read back as zero (sizing). */
	switch (b->type) {
	case PCIBAR_IO:		/* size >= 4: clears bits 1:0 too */
	case PCIBAR_MEM32:	/* size >= 4 KiB: clears bits 3:0 too */
	case PCIBAR_MEM64:
		nv = (nv & (uint32_t)~(b->size - 1)) | bar_type_bits(b->type);
		lo = idx;
		break;
	case PCIBAR_MEMHI64:
		nv &= (uint32_t)~((b->size - 1) >> 32);
		lo = idx - 1;
		break;
	default:
		return;
	}
	pci_set_cfgdata32(pi, PCIR_BAR(idx), nv);

	b = &pi->pi_bar[lo];
	if (b->type == PCIBAR_IO)
		b->addr = pci_get_cfgdata32(pi, PCIR_BAR(lo)) & ~0x3u;
	else
		b->addr = pci_get_cfgdata32(pi, PCIR_BAR(lo)) & ~0xFu;
	if (b->type == PCIBAR_MEM64)
		b->addr |= (uint64_t)pci_get_cfgdata32(pi, PCIR_BAR(lo + 1))
		    << 32;
	/*
	 * All of the device's BARs: one that could not be claimed because
	 * this BAR was in its way gets another chance now.
	 */
	pci_bar_update_decode(pi);
}

void
pci_bar_release_all(struct pci_devinst *pi)
{
	for (int i = 0; i <= PCI_BARMAX; i++) {
		struct pcibar *b = &pi->pi_bar[i];

		if (!b->registered)
			continue;
		iotrap_unregister(pi->pi_vmctx->traps,
		    b->type == PCIBAR_IO ? IOTRAP_PIO : IOTRAP_MMIO,
		    b->regaddr);
		b->registered = false;
	}
}

/* --- placement (main thread, pci_init) ---------------------------------- */

void
pci_mmio64_window(struct vmctx *ctx, uint64_t *base, uint64_t *size)
{
	uint64_t top = HIGHMEM_BASE + vm_highmem_size(ctx->vm);

	*base = (top + PCI_MMIO64_ALIGN - 1) & ~(PCI_MMIO64_ALIGN - 1);
	*size = PCI_MMIO64_SIZE;
}

struct bar_req {
	struct pci_devinst *pi;
	int idx;
};

static int
bar_req_cmp(const void *a, const void *b)
{
	const struct bar_req *x = a, *y = b;
	uint64_t sx = x->pi->pi_bar[x->idx].size;
	uint64_t sy = y->pi->pi_bar[y->idx].size;
	int kx, ky;

	if (sx != sy)
		return sx > sy ? -1 : 1;	/* largest first */
	kx = (x->pi->pi_slot * PCI_MAXFUNCS + x->pi->pi_func) * 8 + x->idx;
	ky = (y->pi->pi_slot * PCI_MAXFUNCS + y->pi->pi_func) * 8 + y->idx;
	return kx - ky;
}

struct bar_window {
	const char *name;
	uint64_t next, limit;
};

static void
bar_program(struct pci_devinst *pi, int idx, uint64_t addr)
{
	struct pcibar *b = &pi->pi_bar[idx];
	uint16_t cmd = pci_get_cfgdata16(pi, PCIR_COMMAND);

	b->addr = addr;
	pci_set_cfgdata32(pi, PCIR_BAR(idx), (uint32_t)addr |
	    bar_type_bits(b->type));
	if (b->type == PCIBAR_MEM64)
		pci_set_cfgdata32(pi, PCIR_BAR(idx + 1), (uint32_t)(addr >> 32));
	/* Firmware turns decode on for what it placed. */
	cmd |= b->type == PCIBAR_IO ? PCIM_CMD_PORTEN : PCIM_CMD_MEMEN;
	pci_set_cfgdata16(pi, PCIR_COMMAND, cmd);
}

int
pci_bar_place_all(struct vmctx *ctx, char *err, size_t errlen)
{
	struct bar_req *req;
	struct bar_window win[3];
	uint64_t b64, s64;
	size_t n = 0;
	int rc = -1;

	pci_mmio64_window(ctx, &b64, &s64);
	win[0] = (struct bar_window){ "I/O", PCI_IO_BASE, PCI_IO_LIMIT };
	win[1] = (struct bar_window){ "32-bit MMIO", PCI_MMIO32_BASE,
	    PCI_MMIO32_BASE + PCI_MMIO32_SIZE };
	win[2] = (struct bar_window){ "64-bit MMIO", b64, b64 + s64 };

	req = calloc(PCI_MAXSLOTS * PCI_MAXFUNCS * (PCI_BARMAX + 1),
	    sizeof(*req));
	if (req == NULL) {
		snprintf(err, errlen, "pci: out of memory");
		return -1;
	}
	for (int s = 0; s < PCI_MAXSLOTS; s++) {
		for (int f = 0; f < PCI_MAXFUNCS; f++) {
			struct pci_devinst *pi = pci_bus.devs[s][f];

			for (int i = 0; pi != NULL && i <= PCI_BARMAX; i++) {
				enum pcibar_type t = pi->pi_bar[i].type;
				if (t == PCIBAR_IO || t == PCIBAR_MEM32 ||
				    t == PCIBAR_MEM64)
					req[n++] = (struct bar_req){ pi, i };
			}
		}
	}
	qsort(req, n, sizeof(*req), bar_req_cmp);

	for (size_t k = 0; k < n; k++) {
		struct pci_devinst *pi = req[k].pi;
		struct pcibar *b = &pi->pi_bar[req[k].idx];
		struct bar_window *w = &win[b->type == PCIBAR_IO ? 0 :
		    b->type == PCIBAR_MEM32 ? 1 : 2];
		uint64_t addr = (w->next + b->size - 1) & ~(b->size - 1);

		if (addr < w->next || addr > w->limit ||
		    b->size > w->limit - addr) {
			snprintf(err, errlen, "%s (%s): no room for BAR %d "
			    "(%s, 0x%llx bytes) in the %s window", pi->pi_name,
			    pi->pi_d->pe_emu, req[k].idx, bar_kind[b->type],
			    (unsigned long long)b->size, w->name);
			goto out;
		}
		w->next = addr + b->size;
		bar_program(pi, req[k].idx, addr);
	}
	/* Claim the traps now that every BAR has its place. */
	for (size_t k = 0; k < n; k++) {
		struct pci_devinst *pi = req[k].pi;
		struct pcibar *b = &pi->pi_bar[req[k].idx];

		pthread_mutex_lock(&pi->pi_lock);
		bar_update(pi, req[k].idx);
		pthread_mutex_unlock(&pi->pi_lock);
		if (!b->registered) {
			const char *who = iotrap_lookup_name(ctx->traps,
			    b->type == PCIBAR_IO ? IOTRAP_PIO : IOTRAP_MMIO,
			    b->addr);
			snprintf(err, errlen, "%s (%s): BAR %d at 0x%llx "
			    "overlaps %s", pi->pi_name, pi->pi_d->pe_emu,
			    req[k].idx, (unsigned long long)b->addr,
			    who != NULL ? who : "another range");
			goto out;
		}
	}
	rc = 0;
out:
	free(req);
	return rc;
}
