/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI fixed hardware: PM1a_EVT (STS, EN), PM1a_CNT, the 24-bit PM timer,
 * GPE0 (STS, EN) and the SMI_CMD port.  See acpi_pm.h for the behaviour.
 *
 * Threads: pm_io() runs on vCPU threads, acpi_pm_power_button() on the
 * main thread; both take pm.mtx.  The SCI line is driven under the mutex
 * so level changes reach the VM in order; the VM is asked to power off
 * after the mutex is released.
 *
 * Guest accesses of any width (1, 2, 4 bytes) at any offset inside a block
 * are split into bytes of the 16-bit registers they touch, so a byte write
 * to the high half of PM1_STS clears only those status bits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acpi_pm.h"
#include "iotrap.h"
#include "platform.h"
#include "vmctx.h"
#include "vmm.h"

/* PM1 status / enable bits (same positions in both registers). */
#define TMR_STS		(1u << 0)
#define BM_STS		(1u << 4)
#define GBL_STS		(1u << 5)
#define PWRBTN_STS	(1u << 8)
#define SLPBTN_STS	(1u << 9)
#define RTC_STS		(1u << 10)
#define PCIEXP_WAKE_STS	(1u << 14)
#define WAK_STS		(1u << 15)
#define PM1_STS_MASK	(TMR_STS | BM_STS | GBL_STS | PWRBTN_STS | \
			 SLPBTN_STS | RTC_STS | PCIEXP_WAKE_STS | WAK_STS)
#define PCIEXP_WAKE_DIS	(1u << 14)
#define PM1_EN_MASK	(TMR_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | \
			 RTC_STS | PCIEXP_WAKE_DIS)
/* Events that raise the SCI when enabled. */
#define PM1_SCI_EVENTS	(TMR_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | \
			 RTC_STS)

/* PM1 control bits. */
#define SCI_EN		(1u << 0)
#define BM_RLD		(1u << 1)
#define GBL_RLS		(1u << 2)
#define SLP_TYP_SHIFT	10
#define SLP_TYP_MASK	(7u << SLP_TYP_SHIFT)
#define SLP_EN		(1u << 13)
#define PM1_CNT_KEEP	(BM_RLD | SLP_TYP_MASK)	/* stored as written */

#define TMR_MASK	0xFFFFFFu
#define TMR_CARRY_SHIFT	23	/* TMR_STS: bit 23 of the counter changed */

enum pm_block { BLK_EVT, BLK_CNT, BLK_TMR, BLK_GPE0, BLK_SMI, BLK_COUNT };

static const struct pm_blockdef {
	enum pm_block id;
	uint16_t port;
	uint8_t len;
	const char *name;
} blocks[BLK_COUNT] = {
	{ BLK_EVT, ACPI_PM1A_EVT_BLK, 4, "acpi-pm1a-evt" },
	{ BLK_CNT, ACPI_PM1A_CNT_BLK, 2, "acpi-pm1a-cnt" },
	{ BLK_TMR, ACPI_PM_TMR_BLK, 4, "acpi-pm-tmr" },
	{ BLK_GPE0, ACPI_GPE0_BLK, 4, "acpi-gpe0" },
	{ BLK_SMI, ACPI_SMI_CMD, 1, "acpi-smi-cmd" },
};

static struct {
	pthread_mutex_t mtx;
	struct vmctx *ctx;		/* NULL until acpi_pm_init() */
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	bool sci;			/* level last driven on the line */
	struct timespec t0;		/* timer epoch */
	uint64_t tmr_period;		/* ticks >> TMR_CARRY_SHIFT last seen */
} pm = { .mtx = PTHREAD_MUTEX_INITIALIZER };

/* PM timer ticks since init (ACPI_PM_TMR_FREQ Hz, monotonic). */
static uint64_t
pm_ticks(void)
{
	struct timespec now;
	uint64_t ns, sec, rem;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (uint64_t)(now.tv_sec - pm.t0.tv_sec) * 1000000000ULL +
	    (uint64_t)now.tv_nsec - (uint64_t)pm.t0.tv_nsec;
	sec = ns / 1000000000ULL;
	rem = ns % 1000000000ULL;
	return (sec * ACPI_PM_TMR_FREQ + rem * ACPI_PM_TMR_FREQ / 1000000000ULL);
}

/* Latch TMR_STS if bit 23 of the counter changed since the last look.
 * Called with pm.mtx held; returns the 24-bit counter. */
static uint32_t
pm_timer_update(void)
{
	uint64_t t = pm_ticks();

	if ((t >> TMR_CARRY_SHIFT) != pm.tmr_period) {
		pm.tmr_period = t >> TMR_CARRY_SHIFT;
		pm.pm1_sts |= TMR_STS;
	}
	return ((uint32_t)(t & TMR_MASK));
}

/* Drive the SCI from the current state.  pm.mtx held. */
static void
pm_sci_update(void)
{
	bool level;

	(void)pm_timer_update();
	level = (pm.pm1_cnt & SCI_EN) != 0 &&
	    ((pm.pm1_sts & pm.pm1_en & PM1_SCI_EVENTS) != 0 ||
	    (pm.gpe_sts & pm.gpe_en) != 0);
	if (level != pm.sci) {
		pm.sci = level;
		(void)vm_irq_line(pm.ctx->vm, ACPI_SCI_IRQ, level ? 1 : 0);
	}
}

/* Byte `off` of a block.  pm.mtx held. */
static uint8_t
pm_read_byte(enum pm_block b, unsigned off)
{
	uint16_t reg = 0;

	switch (b) {
	case BLK_EVT:
		reg = off < 2 ? pm.pm1_sts : pm.pm1_en;
		break;
	case BLK_CNT:
		reg = pm.pm1_cnt;	/* SLP_EN, GBL_RLS read as 0 */
		break;
	case BLK_TMR:
		return ((uint8_t)(pm_timer_update() >> (8 * off)));
	case BLK_GPE0:
		reg = off < 2 ? pm.gpe_sts : pm.gpe_en;
		break;
	case BLK_SMI:
	case BLK_COUNT:
		return (0);
	}
	return ((uint8_t)(reg >> (8 * (off & 1))));
}

/*
 * Write the bits `mask` of the 16-bit register at even offset `off` of a
 * block.  pm.mtx held.  Returns true if the guest asked for S5.
 */
static bool
pm_write_reg(enum pm_block b, unsigned off, uint16_t mask, uint16_t val)
{
	uint16_t v = val & mask;

	switch (b) {
	case BLK_EVT:
		if (off == 0) {
			(void)pm_timer_update();
			pm.pm1_sts &= (uint16_t)~(v & PM1_STS_MASK);	/* W1C */
		} else {
			pm.pm1_en = (uint16_t)((pm.pm1_en & ~mask) |
			    (v & PM1_EN_MASK));
		}
		return (false);
	case BLK_CNT: {
		/* SCI_EN belongs to the SMI_CMD handshake; GBL_RLS and SLP_EN
		 * are write-only triggers. */
		uint16_t merged = (uint16_t)((pm.pm1_cnt & ~mask) | v);

		pm.pm1_cnt = (uint16_t)((pm.pm1_cnt & SCI_EN) |
		    (merged & PM1_CNT_KEEP));
		return ((v & SLP_EN) != 0 &&
		    ((merged & SLP_TYP_MASK) >> SLP_TYP_SHIFT) ==
		    ACPI_S5_SLP_TYP);
	}
	case BLK_GPE0:
		if (off == 0)
			pm.gpe_sts &= (uint16_t)~v;			/* W1C */
		else
			pm.gpe_en = (uint16_t)((pm.gpe_en & ~mask) | v);
		return (false);
	case BLK_SMI:
		if ((v & 0xFF) == ACPI_ENABLE_VAL)
			pm.pm1_cnt |= SCI_EN;
		else if ((v & 0xFF) == ACPI_DISABLE_VAL)
			pm.pm1_cnt &= (uint16_t)~SCI_EN;
		return (false);
	case BLK_TMR:		/* read-only */
	case BLK_COUNT:
		return (false);
	}
	return (false);
}

static int
pm_io(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	const struct pm_blockdef *d = arg;
	bool poweroff = false;
	struct vmctx *ctx;

	/* The access must lie inside the block (iotrap already refuses
	 * straddling accesses; check again, cheaply). */
	if ((size != 1 && size != 2 && size != 4) || offset >= d->len ||
	    (unsigned)size > d->len - offset) {
		if (!write)
			*val = ~0ULL >> (64 - 8 * (size > 0 && size <= 8 ?
			    size : 8));
		return (0);
	}
	pthread_mutex_lock(&pm.mtx);
	ctx = pm.ctx;
	if (ctx == NULL) {
		pthread_mutex_unlock(&pm.mtx);
		if (!write)
			*val = ~0ULL >> (64 - 8 * size);
		return (0);
	}
	(void)pm_timer_update();	/* TMR_STS current before a read */
	if (!write) {
		uint64_t v = 0;

		for (int i = 0; i < size; i++)
			v |= (uint64_t)pm_read_byte(d->id,
			    (unsigned)offset + (unsigned)i) << (8 * i);
		*val = v;
	} else if (d->id == BLK_SMI) {
		poweroff = pm_write_reg(d->id, 0, 0xFF, (uint16_t)(*val & 0xFF));
	} else {
		/* Each 16-bit register the access touches, low one first. */
		unsigned first = (unsigned)offset & ~1u;
		unsigned end = (unsigned)offset + (unsigned)size;

		for (unsigned r = first; r < end; r += 2) {
			uint16_t mask = 0, v = 0;

			for (unsigned byte = 0; byte < 2; byte++) {
				unsigned o = r + byte;

				if (o < offset || o >= end)
					continue;
				mask |= (uint16_t)(0xFFu << (8 * byte));
				v |= (uint16_t)(((*val >> (8 * (o - offset))) &
				    0xFF) << (8 * byte));
			}
			poweroff |= pm_write_reg(d->id, r, mask, v);
		}
	}
	pm_sci_update();
	pthread_mutex_unlock(&pm.mtx);
	if (poweroff)
		vmctx_suspend(ctx, VMEXIT_POWEROFF, "ACPI S5");
	return (0);
}

int
acpi_pm_init(struct vmctx *ctx, char *err, size_t errlen)
{
	int i;

	pthread_mutex_lock(&pm.mtx);
	if (pm.ctx != NULL) {
		pthread_mutex_unlock(&pm.mtx);
		snprintf(err, errlen, "ACPI PM: already initialized");
		return (-1);
	}
	pm.pm1_sts = pm.pm1_en = pm.pm1_cnt = 0;
	pm.gpe_sts = pm.gpe_en = 0;
	pm.sci = false;
	clock_gettime(CLOCK_MONOTONIC, &pm.t0);
	pm.tmr_period = 0;
	pthread_mutex_unlock(&pm.mtx);

	for (i = 0; i < BLK_COUNT; i++) {
		if (iotrap_register(ctx->traps, IOTRAP_PIO, blocks[i].port,
		    blocks[i].len, pm_io, (void *)&blocks[i],
		    blocks[i].name) != 0) {
			snprintf(err, errlen, "ACPI PM: cannot claim I/O ports "
			    "0x%x-0x%x (%s): %s", blocks[i].port,
			    blocks[i].port + blocks[i].len - 1, blocks[i].name,
			    strerror(errno));
			while (--i >= 0)
				(void)iotrap_unregister(ctx->traps, IOTRAP_PIO,
				    blocks[i].port);
			return (-1);
		}
	}
	pthread_mutex_lock(&pm.mtx);
	pm.ctx = ctx;
	pthread_mutex_unlock(&pm.mtx);
	return (0);
}

void
acpi_pm_fini(void)
{
	struct vmctx *ctx;

	pthread_mutex_lock(&pm.mtx);
	ctx = pm.ctx;
	if (ctx != NULL && pm.sci)
		(void)vm_irq_line(ctx->vm, ACPI_SCI_IRQ, 0);
	pm.sci = false;
	pm.ctx = NULL;
	pthread_mutex_unlock(&pm.mtx);
	if (ctx == NULL)
		return;
	for (int i = 0; i < BLK_COUNT; i++)
		(void)iotrap_unregister(ctx->traps, IOTRAP_PIO, blocks[i].port);
}

void
acpi_pm_power_button(void)
{
	pthread_mutex_lock(&pm.mtx);
	if (pm.ctx != NULL) {
		pm.pm1_sts |= PWRBTN_STS;
		pm_sci_update();
	}
	pthread_mutex_unlock(&pm.mtx);
}
