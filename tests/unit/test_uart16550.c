/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the 16550A chip model (devices/chip/uart16550.c), register
 * by register, with recording callbacks.  Single-threaded.
 */
#include <stdbool.h>
#include <stdint.h>

#include "test.h"
#include "uart16550.h"

struct rec {
	uint8_t tx[64];
	unsigned ntx;
	unsigned nirq;	/* set_irq calls */
	bool level;
};

static void
rec_tx(void *arg, uint8_t b)
{
	struct rec *r = arg;

	if (r->ntx < sizeof(r->tx))
		r->tx[r->ntx] = b;
	r->ntx++;
}

static void
rec_irq(void *arg, bool level)
{
	struct rec *r = arg;

	r->nirq++;
	r->level = level;
}

static const struct uart16550_ops rec_ops = { rec_tx, rec_irq };

static struct uart16550 *
mk(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	return uart16550_new(&rec_ops, r);
}

TEST(reset_values)
{
	struct rec r;
	struct uart16550 *u = mk(&r);

	CHECK(u != NULL);
	CHECK_EQ(uart16550_read(u, UART_REG_IER), 0);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_NOPEND);
	CHECK_EQ(uart16550_read(u, UART_REG_LCR), 0);
	CHECK_EQ(uart16550_read(u, UART_REG_MCR), 0);
	CHECK_EQ(uart16550_read(u, UART_REG_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	/* No loopback: CTS, DSR, DCD asserted, no deltas. */
	CHECK_EQ(uart16550_read(u, UART_REG_MSR), 0xB0);
	CHECK_EQ(uart16550_rx_room(u), 1); /* 16450 mode */
	CHECK_EQ(r.nirq, 0);
	uart16550_free(u);
}

TEST(scratch)
{
	struct rec r;
	struct uart16550 *u = mk(&r);
	unsigned v;

	for (v = 0; v < 256; v += 17) {
		uart16550_write(u, UART_REG_SCR, (uint8_t)v);
		CHECK_EQ(uart16550_read(u, UART_REG_SCR), v);
	}
	uart16550_free(u);
}

TEST(dlab_latch)
{
	struct rec r;
	struct uart16550 *u = mk(&r);

	uart16550_write(u, UART_REG_IER, 0x05);
	uart16550_write(u, UART_REG_LCR, UART_LCR_DLAB | 0x03);
	CHECK_EQ(uart16550_read(u, UART_REG_DLL), 12); /* reset divisor */
	uart16550_write(u, UART_REG_DLL, 0x01);
	uart16550_write(u, UART_REG_DLM, 0x02);
	CHECK_EQ(uart16550_read(u, UART_REG_DLL), 0x01);
	CHECK_EQ(uart16550_read(u, UART_REG_DLM), 0x02);
	CHECK_EQ(r.ntx, 0); /* the DLL write did not transmit */
	CHECK_EQ(uart16550_read(u, UART_REG_LCR), UART_LCR_DLAB | 0x03);

	uart16550_write(u, UART_REG_LCR, 0x03);
	CHECK_EQ(uart16550_read(u, UART_REG_IER), 0x05); /* untouched */
	uart16550_write(u, UART_REG_THR, 'A');
	CHECK_EQ(r.ntx, 1);
	CHECK_EQ(r.tx[0], 'A');
	/* Data in RBR, not the latch. */
	CHECK(uart16550_rx_put(u, 'z'));
	CHECK_EQ(uart16550_read(u, UART_REG_RBR), 'z');
	uart16550_write(u, UART_REG_LCR, UART_LCR_DLAB);
	CHECK_EQ(uart16550_read(u, UART_REG_DLL), 0x01);
	CHECK_EQ(uart16550_read(u, UART_REG_DLM), 0x02);
	/* IER's upper nibble reads 0. */
	uart16550_write(u, UART_REG_LCR, 0);
	uart16550_write(u, UART_REG_IER, 0xFF);
	CHECK_EQ(uart16550_read(u, UART_REG_IER), 0x0F);
	uart16550_free(u);
}

TEST(thre_rules)
{
	struct rec r;
	struct uart16550 *u = mk(&r);

	uart16550_write(u, UART_REG_MCR, UART_MCR_OUT2);
	CHECK_EQ(r.nirq, 0);
	/* Enabling ETBEI with THR empty raises THRE. */
	uart16550_write(u, UART_REG_IER, UART_IER_ETBEI);
	CHECK(r.level);
	CHECK_EQ(r.nirq, 1);
	/* Reading IIR that reports THRE clears it. */
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_THRE);
	CHECK(!r.level);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_NOPEND);
	/* Re-writing IER with ETBEI still set does not re-raise it. */
	uart16550_write(u, UART_REG_IER, UART_IER_ETBEI);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_NOPEND);
	/* Off then on again does (Linux probes exactly this). */
	uart16550_write(u, UART_REG_IER, 0);
	uart16550_write(u, UART_REG_IER, UART_IER_ETBEI);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_THRE);
	/* A THR write: the byte leaves at once and THRE is pending again. */
	uart16550_write(u, UART_REG_THR, 'x');
	CHECK(r.level);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_THRE);
	CHECK(!r.level);
	/* A THRE condition hidden behind a higher priority one survives
	 * an IIR read that reports the other one. */
	uart16550_write(u, UART_REG_IER, UART_IER_ETBEI | UART_IER_ERBFI);
	uart16550_write(u, UART_REG_THR, 'y');
	CHECK(uart16550_rx_put(u, 'a'));
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_RDA);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_RDA);
	CHECK_EQ(uart16550_read(u, UART_REG_RBR), 'a');
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_THRE);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_NOPEND);
	/* THRE/TEMT always set. */
	CHECK_EQ(uart16550_read(u, UART_REG_LSR) & 0x60, 0x60);
	uart16550_free(u);
}

TEST(iir_priorities_and_fifo_bits)
{
	struct rec r;
	struct uart16550 *u = mk(&r);
	unsigned i;

	uart16550_write(u, UART_REG_FCR, UART_FCR_ENABLE);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_FIFOS | UART_IIR_NOPEND);
	uart16550_write(u, UART_REG_IER, 0x0F);
	/* Modem status: toggling DTR in loopback produces DDSR. */
	uart16550_write(u, UART_REG_MCR, UART_MCR_LOOP);
	(void)uart16550_read(u, UART_REG_MSR); /* clear deltas of the switch */
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_THRE);
	uart16550_write(u, UART_REG_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_MODEM);
	/* THRE outranks modem status. */
	uart16550_write(u, UART_REG_IER, 0x0D);
	uart16550_write(u, UART_REG_IER, 0x0F);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_THRE);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_MODEM);
	/* Rx data outranks THRE: loop 17 bytes back, the last overruns. */
	for (i = 0; i < 17; i++)
		uart16550_write(u, UART_REG_THR, (uint8_t)i);
	CHECK_EQ(r.ntx, 0); /* loopback: nothing left the chip */
	/* Line status (OE) outranks everything. */
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_RLS);
	CHECK_EQ(uart16550_read(u, UART_REG_LSR),
	    UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
	CHECK_EQ(uart16550_read(u, UART_REG_LSR) & UART_LSR_OE, 0);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_RDA);
	for (i = 0; i < 16; i++)
		CHECK_EQ(uart16550_read(u, UART_REG_RBR), i);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_THRE);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_MODEM);
	CHECK_EQ(uart16550_read(u, UART_REG_MSR) & 0x0F, UART_MSR_DDSR);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), 0xC0 | UART_IIR_NOPEND);
	/* Disabling FIFOs clears bits 7:6. */
	uart16550_write(u, UART_REG_FCR, 0);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_NOPEND);
	uart16550_free(u);
}

TEST(rx_fifo_full_and_overrun)
{
	struct rec r;
	struct uart16550 *u = mk(&r);
	unsigned i;

	/* 16450 mode: one byte. */
	CHECK(uart16550_rx_put(u, 1));
	CHECK_EQ(uart16550_rx_room(u), 0);
	CHECK(!uart16550_rx_put(u, 2));
	CHECK_EQ(uart16550_read(u, UART_REG_LSR) & 3, UART_LSR_DR | UART_LSR_OE);
	CHECK_EQ(uart16550_read(u, UART_REG_RBR), 1);
	CHECK_EQ(uart16550_read(u, UART_REG_LSR) & 3, 0);
	CHECK_EQ(uart16550_read(u, UART_REG_RBR), 0); /* empty reads 0 */

	uart16550_write(u, UART_REG_FCR, UART_FCR_ENABLE);
	for (i = 0; i < 16; i++) {
		CHECK_EQ(uart16550_rx_room(u), 16 - i);
		CHECK(uart16550_rx_put(u, (uint8_t)(0x40 + i)));
	}
	CHECK_EQ(uart16550_rx_room(u), 0);
	CHECK(!uart16550_rx_put(u, 0xEE));
	CHECK(uart16550_read(u, UART_REG_LSR) & UART_LSR_OE);
	/* The refused byte was not stored; order is kept. */
	for (i = 0; i < 16; i++)
		CHECK_EQ(uart16550_read(u, UART_REG_RBR), 0x40 + i);
	CHECK_EQ(uart16550_read(u, UART_REG_LSR) & UART_LSR_DR, 0);
	/* Wrap around the ring a few times. */
	for (i = 0; i < 40; i++) {
		CHECK(uart16550_rx_put(u, (uint8_t)i));
		CHECK(uart16550_rx_put(u, (uint8_t)(i + 100)));
		CHECK_EQ(uart16550_read(u, UART_REG_RBR), i);
		CHECK_EQ(uart16550_read(u, UART_REG_RBR), i + 100);
	}
	uart16550_free(u);
}

TEST(fcr_clear_and_mode_switch)
{
	struct rec r;
	struct uart16550 *u = mk(&r);

	uart16550_write(u, UART_REG_FCR, UART_FCR_ENABLE);
	CHECK(uart16550_rx_put(u, 'a'));
	CHECK(uart16550_rx_put(u, 'b'));
	/* Writing FCR without RXCLR keeps the data. */
	uart16550_write(u, UART_REG_FCR, UART_FCR_ENABLE | UART_FCR_TXCLR);
	CHECK_EQ(uart16550_rx_room(u), 14);
	uart16550_write(u, UART_REG_FCR, UART_FCR_ENABLE | UART_FCR_RXCLR);
	CHECK_EQ(uart16550_rx_room(u), 16);
	CHECK_EQ(uart16550_read(u, UART_REG_LSR) & UART_LSR_DR, 0);
	/* Leaving FIFO mode empties the FIFO; other bits are ignored. */
	CHECK(uart16550_rx_put(u, 'c'));
	uart16550_write(u, UART_REG_FCR, UART_FCR_TRIGGER);
	CHECK_EQ(uart16550_rx_room(u), 1);
	CHECK_EQ(uart16550_read(u, UART_REG_LSR) & UART_LSR_DR, 0);
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_NOPEND);
	uart16550_free(u);
}

TEST(trigger_level)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };
	struct rec r;
	struct uart16550 *u = mk(&r);
	unsigned t, i;

	uart16550_write(u, UART_REG_IER, UART_IER_ERBFI);
	for (t = 0; t < 4; t++) {
		uart16550_write(u, UART_REG_FCR,
		    (uint8_t)(UART_FCR_ENABLE | UART_FCR_RXCLR | (t << 6)));
		for (i = 1; i <= 16; i++) {
			CHECK(uart16550_rx_put(u, 'x'));
			CHECK_EQ(uart16550_read(u, UART_REG_IIR) & 0x0F,
			    i >= levels[t] ? UART_IIR_RDA : UART_IIR_TIMEOUT);
		}
	}
	uart16550_free(u);
}

TEST(loopback)
{
	struct rec r;
	struct uart16550 *u = mk(&r);

	uart16550_write(u, UART_REG_MCR, UART_MCR_LOOP);
	/* Inputs follow the (clear) outputs: deltas for CTS, DSR, DCD. */
	CHECK_EQ(uart16550_read(u, UART_REG_MSR),
	    UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	CHECK_EQ(uart16550_read(u, UART_REG_MSR), 0); /* deltas cleared */
	/* Linux's loopback probe: MCR = LOOP|RTS|OUT2 -> MSR high = 0x90. */
	uart16550_write(u, UART_REG_MCR, UART_MCR_LOOP | 0x0A);
	CHECK_EQ(uart16550_read(u, UART_REG_MSR) & 0xF0, 0x90);
	uart16550_write(u, UART_REG_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	CHECK_EQ(uart16550_read(u, UART_REG_MSR),
	    UART_MSR_DSR | UART_MSR_RI | UART_MSR_DCTS | UART_MSR_DDSR |
	    UART_MSR_DDCD);
	/* RI falling edge gives TERI; rising does not. */
	uart16550_write(u, UART_REG_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	CHECK_EQ(uart16550_read(u, UART_REG_MSR), UART_MSR_DSR | UART_MSR_TERI);

	/* TX echoes to RX, nothing reaches the host. */
	uart16550_write(u, UART_REG_THR, 'L');
	CHECK_EQ(r.ntx, 0);
	CHECK(uart16550_read(u, UART_REG_LSR) & UART_LSR_DR);
	CHECK_EQ(uart16550_read(u, UART_REG_RBR), 'L');
	/* Host input is disconnected in loopback. */
	CHECK(uart16550_rx_put(u, 'H'));
	CHECK_EQ(uart16550_read(u, UART_REG_LSR) & UART_LSR_DR, 0);

	/* Back to normal: modem lines asserted again, TX to the host. */
	uart16550_write(u, UART_REG_MCR, 0);
	CHECK_EQ(uart16550_read(u, UART_REG_MSR),
	    0xB0 | UART_MSR_DCTS | UART_MSR_DDCD);
	uart16550_write(u, UART_REG_THR, 'N');
	CHECK_EQ(r.ntx, 1);
	CHECK_EQ(r.tx[0], 'N');
	uart16550_free(u);
}

TEST(irq_changes_only_and_out2_gate)
{
	struct rec r;
	struct uart16550 *u = mk(&r);

	uart16550_write(u, UART_REG_IER, UART_IER_ERBFI);
	CHECK(uart16550_rx_put(u, 'a'));
	/* Pending, but OUT2 is clear: line stays low, no call. */
	CHECK_EQ(uart16550_read(u, UART_REG_IIR), UART_IIR_RDA);
	CHECK_EQ(r.nirq, 0);
	CHECK(!uart16550_irq_level(u));
	uart16550_write(u, UART_REG_MCR, UART_MCR_OUT2);
	CHECK_EQ(r.nirq, 1);
	CHECK(r.level);
	/* Unrelated accesses do not call set_irq again. */
	uart16550_write(u, UART_REG_SCR, 1);
	(void)uart16550_read(u, UART_REG_LSR);
	(void)uart16550_read(u, UART_REG_IIR);
	uart16550_write(u, UART_REG_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	CHECK_EQ(r.nirq, 1);
	/* OUT2 off lowers the line while the condition persists. */
	uart16550_write(u, UART_REG_MCR, UART_MCR_DTR);
	CHECK_EQ(r.nirq, 2);
	CHECK(!r.level);
	uart16550_write(u, UART_REG_MCR, UART_MCR_OUT2);
	CHECK_EQ(r.nirq, 3);
	CHECK(r.level);
	/* Draining the data lowers it. */
	CHECK_EQ(uart16550_read(u, UART_REG_RBR), 'a');
	CHECK_EQ(r.nirq, 4);
	CHECK(!r.level);
	(void)uart16550_read(u, UART_REG_RBR);
	CHECK_EQ(r.nirq, 4);
	/* Masking in IER lowers it too. */
	CHECK(uart16550_rx_put(u, 'b'));
	CHECK_EQ(r.nirq, 5);
	uart16550_write(u, UART_REG_IER, 0);
	CHECK_EQ(r.nirq, 6);
	CHECK(!r.level);
	/* Reset lowers a raised line. */
	uart16550_write(u, UART_REG_IER, UART_IER_ERBFI);
	CHECK(r.level);
	uart16550_reset(u);
	CHECK(!r.level);
	CHECK_EQ(r.nirq, 8);
	CHECK_EQ(uart16550_rx_room(u), 1);
	uart16550_free(u);
}

TEST(hostile_indices)
{
	struct rec r;
	struct uart16550 *u = mk(&r);
	unsigned reg;

	uart16550_write(u, UART_REG_SCR, 0x5A);
	for (reg = 8; reg < 300; reg++) {
		uart16550_write(u, reg, 0xFF);
		CHECK_EQ(uart16550_read(u, reg), 0xFF);
	}
	uart16550_write(u, 0xFFFFFFFFu, 0x00);
	CHECK_EQ(uart16550_read(u, 0xFFFFFFFFu), 0xFF);
	CHECK_EQ(uart16550_read(u, UART_REG_SCR), 0x5A);
	CHECK_EQ(uart16550_read(u, UART_REG_LCR), 0);
	CHECK_EQ(r.ntx, 0);
	/* Writes to the read-only LSR/MSR change nothing. */
	uart16550_write(u, UART_REG_LSR, 0xFF);
	uart16550_write(u, UART_REG_MSR, 0xFF);
	CHECK_EQ(uart16550_read(u, UART_REG_LSR), 0x60);
	CHECK_EQ(uart16550_read(u, UART_REG_MSR), 0xB0);
	/* MCR keeps only bits 0-4. */
	uart16550_write(u, UART_REG_MCR, 0xE0);
	CHECK_EQ(uart16550_read(u, UART_REG_MCR), 0);
	/* NULL callbacks are allowed. */
	{
		static const struct uart16550_ops none = { NULL, NULL };
		struct uart16550 *v = uart16550_new(&none, NULL);

		uart16550_write(v, UART_REG_MCR, UART_MCR_OUT2);
		uart16550_write(v, UART_REG_IER, 0x0F);
		uart16550_write(v, UART_REG_THR, 'q');
		CHECK(uart16550_irq_level(v));
		uart16550_free(v);
	}
	uart16550_free(u);
}

int
main(void)
{
	RUN(reset_values);
	RUN(scratch);
	RUN(dlab_latch);
	RUN(thre_rules);
	RUN(iir_priorities_and_fifo_bits);
	RUN(rx_fifo_full_and_overrun);
	RUN(fcr_clear_and_mode_switch);
	RUN(trigger_level);
	RUN(loopback);
	RUN(irq_changes_only_and_out2_gate);
	RUN(hostile_indices);
	TEST_SUMMARY();
}
