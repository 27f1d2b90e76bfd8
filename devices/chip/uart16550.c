/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 16550A UART state machine (see uart16550.h for the model).
 *
 * Threads: none of its own.  Every function runs on whichever thread calls
 * it (vCPU threads for register accesses, the event thread for received
 * bytes), always under the caller's per-UART lock; the tx and set_irq
 * callbacks run under that same lock.
 */
#include <stdlib.h>
#include <string.h>

#include "uart16550.h"

struct uart16550 {
	const struct uart16550_ops *ops;
	void *arg;

	/* Receive FIFO: a ring of rx_cap (16, or 1 in 16450 mode) bytes. */
	uint8_t rx[UART16550_FIFO_SIZE];
	unsigned rx_head;  /* index of the oldest byte, < UART16550_FIFO_SIZE */
	unsigned rx_count; /* <= rx_cap */
	unsigned rx_cap;   /* 1 or UART16550_FIFO_SIZE */

	uint8_t ier;
	uint8_t fcr;	   /* as written, only while FIFOs are enabled */
	uint8_t lcr;
	uint8_t mcr;
	uint8_t lsr_err;   /* sticky error bits: OE (PE/FE/BI never occur) */
	uint8_t msr_delta; /* MSR low nibble: delta bits since last MSR read */
	uint8_t scr;
	uint8_t dll, dlm;

	/*
	 * THR-empty interrupt condition: set when ETBEI goes 0 -> 1 (THR is
	 * always empty here) and when a written byte has "left" THR; cleared
	 * when an IIR read reports it or THR is written.
	 */
	bool thre_pending;
	bool irq_level; /* last level given to ops->set_irq */
};

static const unsigned trigger_bytes[4] = { 1, 4, 8, 14 };

/* Modem input lines (MSR high nibble) as the chip sees them now. */
static uint8_t
modem_inputs(const struct uart16550 *u)
{
	uint8_t m = 0;

	if ((u->mcr & UART_MCR_LOOP) == 0) {
		/* A virtual cable with the far end always ready, no ring. */
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	}
	/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	if (u->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

/* Record delta bits for a change of the modem inputs from `before`. */
static void
modem_update_deltas(struct uart16550 *u, uint8_t before)
{
	uint8_t after = modem_inputs(u), changed = before ^ after;

	if (changed & UART_MSR_CTS)
		u->msr_delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr_delta |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		u->msr_delta |= UART_MSR_DDCD;
	/* TERI: trailing edge of RI only (1 -> 0). */
	if ((before & UART_MSR_RI) && !(after & UART_MSR_RI))
		u->msr_delta |= UART_MSR_TERI;
}

static bool
fifos_enabled(const struct uart16550 *u)
{
	return (u->fcr & UART_FCR_ENABLE) != 0;
}

static unsigned
rx_trigger(const struct uart16550 *u)
{
	if (!fifos_enabled(u))
		return 1;
	return trigger_bytes[(u->fcr & UART_FCR_TRIGGER) >> 6];
}

static void
rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* Queue a byte in the receive FIFO; false (and OE) if it is full. */
static bool
rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count >= u->rx_cap) {
		u->lsr_err |= UART_LSR_OE;
		return false;
	}
	/* rx_head < FIFO_SIZE and rx_count < rx_cap <= FIFO_SIZE. */
	u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

static uint8_t
rx_pop(struct uart16550 *u)
{
	uint8_t b;

	if (u->rx_count == 0)
		return 0;
	b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
	u->rx_count--;
	return b;
}

/* Highest-priority enabled interrupt condition, as an IIR low nibble. */
static uint8_t
intr_id(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_ELSI) && u->lsr_err != 0)
		return UART_IIR_RLS;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count > 0) {
		return u->rx_count >= rx_trigger(u) ? UART_IIR_RDA :
		    UART_IIR_TIMEOUT;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_EDSSI) && (u->msr_delta & 0x0F) != 0)
		return UART_IIR_MODEM;
	return UART_IIR_NOPEND;
}

/* Recompute the OUT2-gated line; tell the owner only about changes. */
static void
update_irq(struct uart16550 *u)
{
	bool level = intr_id(u) != UART_IIR_NOPEND &&
	    (u->mcr & UART_MCR_OUT2) != 0;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (u->ops != NULL && u->ops->set_irq != NULL)
		u->ops->set_irq(u->arg, level);
}

static void
write_fcr(struct uart16550 *u, uint8_t val)
{
	bool was = fifos_enabled(u), now = (val & UART_FCR_ENABLE) != 0;

	/* Switching between 16450 and FIFO mode empties the FIFOs. */
	if (was != now) {
		rx_clear(u);
		u->rx_cap = now ? UART16550_FIFO_SIZE : 1;
	}
	if (!now) {
		/* With FIFOE clear the other bits are not programmed. */
		u->fcr = 0;
		return;
	}
	if (val & UART_FCR_RXCLR)
		rx_clear(u);
	/* TXCLR: the transmit FIFO is always empty here. */
	u->fcr = val & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER);
}

static void
write_thr(struct uart16550 *u, uint8_t val)
{
	if (u->mcr & UART_MCR_LOOP)
		(void)rx_push(u, val); /* OE when the FIFO is full */
	else if (u->ops != NULL && u->ops->tx != NULL)
		u->ops->tx(u->arg, val);
	/*
	 * Writing THR clears the THRE condition, but the byte leaves at
	 * once, so THR is empty again and the condition is back, as it
	 * would be one character time later on the real chip.
	 */
	u->thre_pending = true;
}

void
uart16550_write(struct uart16550 *u, unsigned reg, uint8_t val)
{
	uint8_t before;

	if (reg >= UART16550_NREGS)
		return;
	if ((u->lcr & UART_LCR_DLAB) && reg <= 1) {
		if (reg == UART_REG_DLL)
			u->dll = val;
		else
			u->dlm = val;
		return;
	}
	switch (reg) {
	case UART_REG_THR:
		write_thr(u, val);
		break;
	case UART_REG_IER:
		/* Enabling the THRE interrupt with THR empty raises it. */
		if (!(u->ier & UART_IER_ETBEI) && (val & UART_IER_ETBEI))
			u->thre_pending = true;
		u->ier = val & 0x0F; /* bits 4-7 read 0 on a 16550A */
		break;
	case UART_REG_FCR:
		write_fcr(u, val);
		break;
	case UART_REG_LCR:
		u->lcr = val;
		break;
	case UART_REG_MCR:
		before = modem_inputs(u);
		u->mcr = val & 0x1F;
		modem_update_deltas(u, before);
		break;
	case UART_REG_LSR:
	case UART_REG_MSR:
		/* Read-only on real hardware (factory test only): ignored. */
		break;
	case UART_REG_SCR:
		u->scr = val;
		break;
	}
	update_irq(u);
}

uint8_t
uart16550_read(struct uart16550 *u, unsigned reg)
{
	uint8_t v = 0xFF, id;

	if (reg >= UART16550_NREGS)
		return 0xFF;
	if ((u->lcr & UART_LCR_DLAB) && reg <= 1)
		return reg == UART_REG_DLL ? u->dll : u->dlm;

	switch (reg) {
	case UART_REG_RBR:
		v = rx_pop(u); /* 0 when empty */
		break;
	case UART_REG_IER:
		v = u->ier;
		break;
	case UART_REG_IIR:
		id = intr_id(u);
		/* Reading IIR acknowledges a THRE interrupt it reports. */
		if (id == UART_IIR_THRE)
			u->thre_pending = false;
		v = id | (fifos_enabled(u) ? UART_IIR_FIFOS : 0);
		break;
	case UART_REG_LCR:
		v = u->lcr;
		break;
	case UART_REG_MCR:
		v = u->mcr;
		break;
	case UART_REG_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT | u->lsr_err;
		if (u->rx_count > 0)
			v |= UART_LSR_DR;
		u->lsr_err = 0; /* error bits clear on read */
		break;
	case UART_REG_MSR:
		v = modem_inputs(u) | u->msr_delta;
		u->msr_delta = 0;
		break;
	case UART_REG_SCR:
		v = u->scr;
		break;
	}
	update_irq(u);
	return v;
}

bool
uart16550_rx_put(struct uart16550 *u, uint8_t byte)
{
	bool ok;

	/* In loopback the serial input is disconnected: the byte is lost. */
	if (u->mcr & UART_MCR_LOOP)
		return true;
	ok = rx_push(u, byte);
	update_irq(u);
	return ok;
}

unsigned
uart16550_rx_room(const struct uart16550 *u)
{
	return u->rx_cap - u->rx_count;
}

bool
uart16550_irq_level(const struct uart16550 *u)
{
	return u->irq_level;
}

void
uart16550_reset(struct uart16550 *u)
{
	rx_clear(u);
	u->rx_cap = 1;
	u->ier = 0;
	u->fcr = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->lsr_err = 0;
	u->msr_delta = 0;
	u->scr = 0;
	u->dll = 12;
	u->dlm = 0;
	u->thre_pending = false;
	update_irq(u); /* OUT2 is clear: the line goes low */
}

struct uart16550 *
uart16550_new(const struct uart16550_ops *ops, void *arg)
{
	struct uart16550 *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->ops = ops;
	u->arg = arg;
	uart16550_reset(u);
	return u;
}

void
uart16550_free(struct uart16550 *u)
{
	free(u);
}
