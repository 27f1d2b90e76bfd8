/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI interrupts: INTx (level-triggered, shared GSIs), the MSI capability
 * and the MSI-X capability with its table and PBA.
 *
 * INTx: device `slot` uses INTA, wired to GSI PCI_INTX_GSI(slot, 0).  Many
 * devices may share a GSI, so each GSI has a count of devices driving it;
 * the line goes high on 0 -> 1 and low on 1 -> 0.  A device drives its line
 * while it is asserted, INTx is not disabled in the command register, and
 * neither MSI nor MSI-X is enabled.  The status register's interrupt bit
 * shows the device's own state either way.
 *
 * MSI: 64-bit address, per-vector masking with pending bits.  MSI-X: the
 * table and PBA sit in a BAR of their own that the core serves; a masked
 * vector (entry mask, function mask) records a pending bit and fires when
 * unmasked.
 *
 * Threads: any thread.  Per-device state under pi_lock; the GSI counts
 * under intx_lock (taken after pi_lock).
 */
#include <stdlib.h>
#include <string.h>

#include "pci_emul.h"
#include "pci_priv.h"
#include "platform.h"
#include "vmctx.h"
#include "vmm.h"

/* MSI capability layout (64-bit, per-vector masking). */
#define MSI_CTRL	2
#define MSI_ADDR_LO	4
#define MSI_ADDR_HI	8
#define MSI_DATA	12
#define MSI_MASK	16
#define MSI_PENDING	20
#define MSI_CAPLEN	24
#define MSI_CTRL_ENABLE	0x0001
#define MSI_CTRL_MME_SHIFT 4
#define MSI_CTRL_MME	0x0070
#define MSI_CTRL_64BIT	0x0080
#define MSI_CTRL_PVM	0x0100

/* MSI-X capability layout. */
#define MSIX_CTRL	2
#define MSIX_TABLE	4
#define MSIX_PBA	8
#define MSIX_CAPLEN	12
#define MSIX_CTRL_FMASK	0x4000
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_MAX	2048
#define MSIX_ENTRY_SIZE	16
#define MSIX_VCTRL_MASK	0x1

static pthread_mutex_t intx_lock = PTHREAD_MUTEX_INITIALIZER;
static int intx_count[PCI_INTX_NGSI];

/* --- INTx ---------------------------------------------------------------- */

static void
intx_drive(struct vm *vm, int gsi, bool up)
{
	int i = gsi - PCI_INTX_FIRST_GSI;

	if (i < 0 || i >= PCI_INTX_NGSI)
		return;
	pthread_mutex_lock(&intx_lock);
	if (up) {
		if (intx_count[i]++ == 0)
			vm_irq_line(vm, (uint32_t)gsi, 1);
	} else if (intx_count[i] > 0) {
		if (--intx_count[i] == 0)
			vm_irq_line(vm, (uint32_t)gsi, 0);
	}
	pthread_mutex_unlock(&intx_lock);
}

void
pci_intx_reset(void)
{
	pthread_mutex_lock(&intx_lock);
	memset(intx_count, 0, sizeof(intx_count));
	pthread_mutex_unlock(&intx_lock);
}

static bool
msi_on(struct pci_devinst *pi)
{
	return pi->pi_msi.capoff != 0 &&
	    (pci_get_cfgdata16(pi, pi->pi_msi.capoff + MSI_CTRL) &
	    MSI_CTRL_ENABLE) != 0;
}

static bool
msix_on(struct pci_devinst *pi)
{
	return pi->pi_msix.capoff != 0 &&
	    (pci_get_cfgdata16(pi, pi->pi_msix.capoff + MSIX_CTRL) &
	    MSIX_CTRL_ENABLE) != 0;
}

/* Bring the GSI count and the status bit in line; pi_lock held. */
static void
lintr_sync(struct pci_devinst *pi)
{
	uint16_t cmd = pci_get_cfgdata16(pi, PCIR_COMMAND);
	uint16_t sts = pci_get_cfgdata16(pi, PCIR_STATUS);
	bool drive;

	if (pi->pi_lintr.pin == 0)
		return;
	if (pi->pi_lintr.asserted)
		sts |= PCIM_STATUS_INTxSTATE;
	else
		sts &= (uint16_t)~PCIM_STATUS_INTxSTATE;
	pci_set_cfgdata16(pi, PCIR_STATUS, sts);
	drive = pi->pi_lintr.asserted && (cmd & PCIM_CMD_INTxDIS) == 0 &&
	    !msi_on(pi) && !msix_on(pi);
	if (drive != pi->pi_lintr.counted) {
		pi->pi_lintr.counted = drive;
		intx_drive(pi->pi_vmctx->vm, pi->pi_lintr.gsi, drive);
	}
}

int
pci_lintr_request(struct pci_devinst *pi)
{
	pthread_mutex_lock(&pi->pi_lock);
	if (pi->pi_lintr.pin == 0) {
		pi->pi_lintr.pin = 1;	/* INTA */
		pi->pi_lintr.gsi = PCI_INTX_GSI(pi->pi_slot, 0);
		pci_set_cfgdata8(pi, PCIR_INTPIN, 1);
		pci_set_cfgdata8(pi, PCIR_INTLINE, (uint8_t)pi->pi_lintr.gsi);
	}
	pthread_mutex_unlock(&pi->pi_lock);
	return 0;
}

static void
lintr_set(struct pci_devinst *pi, bool asserted)
{
	pthread_mutex_lock(&pi->pi_lock);
	if (pi->pi_lintr.pin != 0) {
		pi->pi_lintr.asserted = asserted;
		lintr_sync(pi);
	}
	pthread_mutex_unlock(&pi->pi_lock);
}

void
pci_lintr_assert(struct pci_devinst *pi)
{
	lintr_set(pi, true);
}

void
pci_lintr_deassert(struct pci_devinst *pi)
{
	lintr_set(pi, false);
}

/* --- MSI ------------------------------------------------------------------ */

int
pci_emul_add_msicap(struct pci_devinst *pi, int nvec)
{
	uint8_t cap[MSI_CAPLEN] = { PCIY_MSI };
	int mmc = 0, off;
	uint16_t ctrl;

	if (nvec < 1 || nvec > 32 || (nvec & (nvec - 1)) != 0) {
		pci_emul_seterr(pi, "MSI: %d vectors (need 1, 2, 4, .. 32)",
		    nvec);
		return -1;
	}
	if (pi->pi_msi.capoff != 0) {
		pci_emul_seterr(pi, "MSI capability added twice");
		return -1;
	}
	while ((1 << mmc) < nvec)
		mmc++;
	ctrl = (uint16_t)(mmc << 1) | MSI_CTRL_64BIT | MSI_CTRL_PVM;
	pci_le_put(&cap[MSI_CTRL], 2, ctrl);
	off = pci_emul_add_capability(pi, cap, sizeof(cap));
	if (off < 0) {
		pci_emul_seterr(pi, "no room for the MSI capability");
		return -1;
	}
	pci_set_cfgmask16(pi, off + MSI_CTRL, MSI_CTRL_ENABLE | MSI_CTRL_MME);
	pci_set_cfgmask32(pi, off + MSI_ADDR_LO, 0xFFFFFFFCu);
	pci_set_cfgmask32(pi, off + MSI_ADDR_HI, 0xFFFFFFFFu);
	pci_set_cfgmask16(pi, off + MSI_DATA, 0xFFFF);
	pci_set_cfgmask32(pi, off + MSI_MASK, (uint32_t)((1ULL << nvec) - 1));
	pi->pi_msi.capoff = off;
	pi->pi_msi.maxvec = nvec;
	return 0;
}

bool
pci_msi_enabled(struct pci_devinst *pi)
{
	bool on;

	pthread_mutex_lock(&pi->pi_lock);
	on = msi_on(pi);
	pthread_mutex_unlock(&pi->pi_lock);
	return on;
}

/* Vectors in use; pi_lock held. */
static int
msi_nvec(struct pci_devinst *pi)
{
	int mme;

	if (pi->pi_msi.capoff == 0)
		return 0;
	mme = (pci_get_cfgdata16(pi, pi->pi_msi.capoff + MSI_CTRL) &
	    MSI_CTRL_MME) >> MSI_CTRL_MME_SHIFT;
	/* The guest may ask for more than offered: clamp (mme <= 7). */
	return (1 << mme) < pi->pi_msi.maxvec ? (1 << mme) : pi->pi_msi.maxvec;
}

int
pci_msi_nvec(struct pci_devinst *pi)
{
	int n;

	pthread_mutex_lock(&pi->pi_lock);
	n = msi_nvec(pi);
	pthread_mutex_unlock(&pi->pi_lock);
	return n;
}

static void
msi_message(struct pci_devinst *pi, int vector, uint64_t *addr,
    uint32_t *data)
{
	int off = pi->pi_msi.capoff;
	uint32_t d = pci_get_cfgdata16(pi, off + MSI_DATA);

	*addr = pci_get_cfgdata32(pi, off + MSI_ADDR_LO) |
	    (uint64_t)pci_get_cfgdata32(pi, off + MSI_ADDR_HI) << 32;
	/* Multiple messages: the vector replaces the low data bits. */
	*data = (d & ~(uint32_t)(msi_nvec(pi) - 1)) | (uint32_t)vector;
}

int
pci_generate_msi(struct pci_devinst *pi, int vector)
{
	int off = pi->pi_msi.capoff, rc = -1;
	uint64_t addr;
	uint32_t data;

	pthread_mutex_lock(&pi->pi_lock);
	/* vector may come from a guest register: bound it. */
	if (off != 0 && msi_on(pi) && vector >= 0 && vector < msi_nvec(pi)) {
		uint32_t bit = 1u << vector;

		if (pci_get_cfgdata32(pi, off + MSI_MASK) & bit) {
			pci_set_cfgdata32(pi, off + MSI_PENDING,
			    pci_get_cfgdata32(pi, off + MSI_PENDING) | bit);
		} else {
			msi_message(pi, vector, &addr, &data);
			vm_msi(pi->pi_vmctx->vm, addr, data);
		}
		rc = 0;
	}
	pthread_mutex_unlock(&pi->pi_lock);
	return rc;
}

int
pci_msi_vector(struct pci_devinst *pi, int vector, uint64_t *addr,
    uint32_t *data, bool *masked)
{
	int off = pi->pi_msi.capoff, rc = -1;

	pthread_mutex_lock(&pi->pi_lock);
	if (off != 0 && vector >= 0 && vector < pi->pi_msi.maxvec) {
		msi_message(pi, vector, addr, data);
		*masked = !msi_on(pi) || vector >= msi_nvec(pi) ||
		    (pci_get_cfgdata32(pi, off + MSI_MASK) & (1u << vector));
		rc = 0;
	}
	pthread_mutex_unlock(&pi->pi_lock);
	return rc;
}

/* After a write to the MSI capability: send what was unmasked. */
static void
msi_after_write(struct pci_devinst *pi)
{
	int off = pi->pi_msi.capoff;
	uint32_t pend, mask, live;
	uint64_t addr;
	uint32_t data;

	if (msi_on(pi)) {
		pend = pci_get_cfgdata32(pi, off + MSI_PENDING);
		mask = pci_get_cfgdata32(pi, off + MSI_MASK);
		live = (uint32_t)((1ULL << msi_nvec(pi)) - 1);
		for (int v = 0; v < 32; v++) {
			uint32_t bit = 1u << v;

			if ((pend & bit) && !(mask & bit) && (live & bit)) {
				pend &= ~bit;
				msi_message(pi, v, &addr, &data);
				vm_msi(pi->pi_vmctx->vm, addr, data);
			}
		}
		pci_set_cfgdata32(pi, off + MSI_PENDING, pend);
	}
	if (pi->pi_d->pe_msi_update != NULL)
		pi->pi_d->pe_msi_update(pi);
}

/* --- MSI-X ----------------------------------------------------------------- */

int
pci_emul_add_msixcap(struct pci_devinst *pi, int nvec, int barnum)
{
	uint8_t cap[MSIX_CAPLEN] = { PCIY_MSIX };
	uint32_t tabsize, pbaoff, pbasize;
	int off;

	if (nvec < 1 || nvec > MSIX_MAX) {
		pci_emul_seterr(pi, "MSI-X: %d vectors (need 1..%d)", nvec,
		    MSIX_MAX);
		return -1;
	}
	if (pi->pi_msix.capoff != 0) {
		pci_emul_seterr(pi, "MSI-X capability added twice");
		return -1;
	}
	tabsize = (uint32_t)nvec * MSIX_ENTRY_SIZE;
	pbaoff = (tabsize + 4095) & ~4095u;
	pbasize = (uint32_t)((nvec + 63) / 64) * 8;
	if (pci_emul_alloc_bar(pi, barnum, PCIBAR_MEM32, pbaoff + pbasize) != 0)
		return -1;
	pci_le_put(&cap[MSIX_CTRL], 2, (uint16_t)(nvec - 1));
	pci_le_put(&cap[MSIX_TABLE], 4, (uint32_t)barnum);
	pci_le_put(&cap[MSIX_PBA], 4, pbaoff | (uint32_t)barnum);
	off = pci_emul_add_capability(pi, cap, sizeof(cap));
	if (off < 0) {
		pci_emul_seterr(pi, "no room for the MSI-X capability");
		return -1;
	}
	pi->pi_msix.table = calloc((size_t)nvec, sizeof(struct msix_entry));
	pi->pi_msix.pba = calloc(pbasize / 8, sizeof(uint64_t));
	if (pi->pi_msix.table == NULL || pi->pi_msix.pba == NULL) {
		pci_emul_seterr(pi, "out of memory");
		return -1;
	}
	for (int v = 0; v < nvec; v++)	/* vectors start masked */
		pi->pi_msix.table[v].b[12] = MSIX_VCTRL_MASK;
	pci_set_cfgmask16(pi, off + MSIX_CTRL, MSIX_CTRL_ENABLE |
	    MSIX_CTRL_FMASK);
	pi->pi_msix.capoff = off;
	pi->pi_msix.bar = barnum;
	pi->pi_msix.count = nvec;
	pi->pi_msix.table_size = tabsize;
	pi->pi_msix.pba_offset = pbaoff;
	pi->pi_msix.pba_size = pbasize;
	return 0;
}

void
pci_irq_fini(struct pci_devinst *pi)
{
	free(pi->pi_msix.table);
	free(pi->pi_msix.pba);
	pi->pi_msix.table = NULL;
	pi->pi_msix.pba = NULL;
}

bool
pci_msix_enabled(struct pci_devinst *pi)
{
	bool on;

	pthread_mutex_lock(&pi->pi_lock);
	on = msix_on(pi);
	pthread_mutex_unlock(&pi->pi_lock);
	return on;
}

/* All of these with pi_lock held and 0 <= v < count. */
static bool
msix_masked(struct pci_devinst *pi, int v)
{
	uint16_t ctrl = pci_get_cfgdata16(pi, pi->pi_msix.capoff + MSIX_CTRL);

	return (ctrl & MSIX_CTRL_ENABLE) == 0 ||
	    (ctrl & MSIX_CTRL_FMASK) != 0 ||
	    (pi->pi_msix.table[v].b[12] & MSIX_VCTRL_MASK) != 0;
}

static void
msix_send(struct pci_devinst *pi, int v)
{
	const uint8_t *e = pi->pi_msix.table[v].b;

	vm_msi(pi->pi_vmctx->vm, pci_le_get(e, 8),
	    (uint32_t)pci_le_get(e + 8, 4));
}

static bool
pba_test(struct pci_devinst *pi, int v)
{
	return (pi->pi_msix.pba[v / 64] >> (v % 64)) & 1;
}

static void
pba_set(struct pci_devinst *pi, int v, bool on)
{
	if (on)
		pi->pi_msix.pba[v / 64] |= 1ULL << (v % 64);
	else
		pi->pi_msix.pba[v / 64] &= ~(1ULL << (v % 64));
}

/* A pending vector that is no longer masked fires now. */
static void
msix_flush(struct pci_devinst *pi, int v)
{
	if (pba_test(pi, v) && !msix_masked(pi, v)) {
		pba_set(pi, v, false);
		msix_send(pi, v);
	}
}

int
pci_generate_msix(struct pci_devinst *pi, int vector)
{
	int rc = -1;

	pthread_mutex_lock(&pi->pi_lock);
	/* vector may come from a guest register: bound it. */
	if (msix_on(pi) && vector >= 0 && vector < pi->pi_msix.count) {
		if (msix_masked(pi, vector))
			pba_set(pi, vector, true);
		else
			msix_send(pi, vector);
		rc = 0;
	}
	pthread_mutex_unlock(&pi->pi_lock);
	return rc;
}

int
pci_msix_vector(struct pci_devinst *pi, int vector, uint64_t *addr,
    uint32_t *data, bool *masked)
{
	int rc = -1;

	pthread_mutex_lock(&pi->pi_lock);
	if (pi->pi_msix.capoff != 0 && vector >= 0 &&
	    vector < pi->pi_msix.count) {
		const uint8_t *e = pi->pi_msix.table[vector].b;

		*addr = pci_le_get(e, 8);
		*data = (uint32_t)pci_le_get(e + 8, 4);
		*masked = msix_masked(pi, vector);
		rc = 0;
	}
	pthread_mutex_unlock(&pi->pi_lock);
	return rc;
}

static void
msix_after_ctrl_write(struct pci_devinst *pi)
{
	for (int v = 0; v < pi->pi_msix.count; v++)
		msix_flush(pi, v);
	if (pi->pi_d->pe_msix_update != NULL)
		pi->pi_d->pe_msix_update(pi, -1);
}

/* vCPU thread, from the BAR trap; offset < BAR size (the trap's range). */
void
pci_msix_bar_rw(struct pci_devinst *pi, bool write, uint64_t off, int size,
    uint64_t *val)
{
	uint64_t ones = size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;

	pthread_mutex_lock(&pi->pi_lock);
	if (pi->pi_msix.table == NULL) {
		if (!write)
			*val = ones;
	} else if (off < pi->pi_msix.table_size) {
		/* Table: dword or qword, naturally aligned (PCI spec). */
		uint64_t v = off / MSIX_ENTRY_SIZE;
		int eoff = (int)(off % MSIX_ENTRY_SIZE);
		struct msix_entry *e, old;

		if ((size != 4 && size != 8) || off % (uint64_t)size != 0 ||
		    v >= (uint64_t)pi->pi_msix.count) {
			if (!write)
				*val = ones;
			goto out;
		}
		e = &pi->pi_msix.table[v];
		if (!write) {
			*val = pci_le_get(&e->b[eoff], size);
			goto out;
		}
		old = *e;
		pci_le_put(&e->b[eoff], size, *val);
		e->b[0] &= (uint8_t)~3u;	/* address is dword aligned */
		e->b[12] &= MSIX_VCTRL_MASK;	/* other control bits reserved */
		e->b[13] = e->b[14] = e->b[15] = 0;
		if (memcmp(&old, e, sizeof(old)) != 0) {
			msix_flush(pi, (int)v);
			if (pi->pi_d->pe_msix_update != NULL)
				pi->pi_d->pe_msix_update(pi, (int)v);
		}
	} else if (off >= pi->pi_msix.pba_offset &&
	    off - pi->pi_msix.pba_offset < pi->pi_msix.pba_size &&
	    (uint64_t)size <= pi->pi_msix.pba_size -
	    (off - pi->pi_msix.pba_offset)) {
		/* PBA: read-only. */
		if (!write) {
			uint64_t o = off - pi->pi_msix.pba_offset, r = 0;

			for (int i = size - 1; i >= 0; i--) {
				uint64_t b = o + (uint64_t)i;
				r = (r << 8) |
				    ((pi->pi_msix.pba[b / 8] >> (8 * (b % 8))) &
				    0xFF);
			}
			*val = r;
		}
	} else if (!write) {
		*val = 0;
	}
out:
	pthread_mutex_unlock(&pi->pi_lock);
}

/* --- after a config write (pi_lock held) ----------------------------------- */

static bool
overlaps(int off, int size, int start, int len)
{
	return off < start + len && start < off + size;
}

void
pci_irq_cfgwrite(struct pci_devinst *pi, int off, int size)
{
	bool changed = false;

	if (overlaps(off, size, PCIR_COMMAND, 2))
		changed = true;
	if (pi->pi_msi.capoff != 0 &&
	    overlaps(off, size, pi->pi_msi.capoff, MSI_CAPLEN)) {
		msi_after_write(pi);
		changed = true;
	}
	if (pi->pi_msix.capoff != 0 &&
	    overlaps(off, size, pi->pi_msix.capoff + MSIX_CTRL, 2)) {
		msix_after_ctrl_write(pi);
		changed = true;
	}
	if (changed)
		lintr_sync(pi);
}
