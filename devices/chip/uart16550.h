/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A 16550A UART as a pure state machine: register accesses in, transmitted
 * bytes and the interrupt line out (through callbacks).  No file
 * descriptors, no locks, no bus knowledge.  The caller serialises every
 * call on one instance (the ISA glue holds a mutex; vCPU threads and the
 * event thread both come through it), and the callbacks run inside the
 * call that caused them, under the caller's lock.
 *
 * Model: the transmitter is infinitely fast.  A byte written to THR is
 * handed to ops->tx at once (or, in loopback mode, to the receive FIFO),
 * so THRE and TEMT always read 1.  There is no baud-rate timing: the
 * divisor latch is stored and read back only.  The receiver has a 16-byte
 * FIFO (one byte in 16450 mode, i.e. with FCR.FIFOE clear) filled by
 * uart16550_rx_put().  With no timers, the "character timeout" condition
 * is reported at once for data below the trigger level (IIR 0x0C), and
 * "data available" (IIR 0x04) at or above it.
 *
 * Interrupt line: like a PC serial port, the chip's INTR output reaches
 * the interrupt controller only while MCR.OUT2 is set.  ops->set_irq is
 * called only when the resulting line level changes.
 */
#ifndef ZHYVE_UART16550_H
#define ZHYVE_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#define UART16550_FIFO_SIZE 16
#define UART16550_NREGS	    8	/* register offsets 0..7 */

/* Register offsets (DLAB selects DLL/DLM at 0/1). */
#define UART_REG_RBR 0 /* read: receive buffer; write: THR */
#define UART_REG_THR 0
#define UART_REG_DLL 0 /* with LCR.DLAB */
#define UART_REG_IER 1
#define UART_REG_DLM 1 /* with LCR.DLAB */
#define UART_REG_IIR 2 /* read */
#define UART_REG_FCR 2 /* write */
#define UART_REG_LCR 3
#define UART_REG_MCR 4
#define UART_REG_LSR 5
#define UART_REG_MSR 6
#define UART_REG_SCR 7

/* IER */
#define UART_IER_ERBFI 0x01 /* received data available */
#define UART_IER_ETBEI 0x02 /* THR empty */
#define UART_IER_ELSI  0x04 /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */

/* IIR (interrupt identification, low nibble) */
#define UART_IIR_NOPEND	 0x01
#define UART_IIR_MODEM	 0x00
#define UART_IIR_THRE	 0x02
#define UART_IIR_RDA	 0x04
#define UART_IIR_RLS	 0x06
#define UART_IIR_TIMEOUT 0x0C
#define UART_IIR_FIFOS	 0xC0 /* both bits set while FIFOs are enabled */

/* FCR */
#define UART_FCR_ENABLE	  0x01
#define UART_FCR_RXCLR	  0x02
#define UART_FCR_TXCLR	  0x04
#define UART_FCR_DMA	  0x08
#define UART_FCR_TRIGGER  0xC0 /* 00: 1, 01: 4, 10: 8, 11: 14 bytes */

/* LCR */
#define UART_LCR_DLAB 0x80

/* MCR */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

/* LSR */
#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_PE   0x04
#define UART_LSR_FE   0x08
#define UART_LSR_BI   0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

/* MSR */
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

struct uart16550_ops {
	/* A byte leaves the transmitter (not called in loopback mode). */
	void (*tx)(void *arg, uint8_t byte);
	/* The interrupt line (gated by OUT2) changed to `level`. */
	void (*set_irq)(void *arg, bool level);
};

struct uart16550;

/* A chip in its reset state; NULL only when out of memory.  ops may have
 * NULL members (then that output is discarded). */
struct uart16550 *uart16550_new(const struct uart16550_ops *ops, void *arg);
void uart16550_free(struct uart16550 *u);

/* Hardware reset (MR pin): registers to their power-on values, FIFOs
 * emptied, interrupt line lowered.  SCR and the divisor keep no meaning
 * across a reset; they are set to 0 and 12 (9600 baud at 1.8432 MHz). */
void uart16550_reset(struct uart16550 *u);

/* Register access; reg is the offset 0..7.  Any other reg reads 0xFF and
 * writes nothing (guest-controlled offsets need no checking by callers). */
uint8_t uart16550_read(struct uart16550 *u, unsigned reg);
void uart16550_write(struct uart16550 *u, unsigned reg, uint8_t val);

/*
 * Host side of the receiver.  uart16550_rx_put() offers one received byte:
 * true if it went into the FIFO, false if the FIFO was full: the byte is
 * not taken and LSR.OE is set (an overrun as the guest sees it).  Callers
 * that want lossless flow control check uart16550_rx_room() first.  In
 * loopback mode the serial input is disconnected: the byte is discarded
 * and true is returned (so a host sender is not stalled).
 */
bool uart16550_rx_put(struct uart16550 *u, uint8_t byte);
/* Free bytes in the receive FIFO (capacity 16, or 1 in 16450 mode). */
unsigned uart16550_rx_room(const struct uart16550 *u);
/* Current level of the (OUT2-gated) interrupt line. */
bool uart16550_irq_level(const struct uart16550 *u);

#endif
