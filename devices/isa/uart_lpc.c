/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ISA serial ports: a 16550A chip (devices/chip/uart16550.c) joined to a
 * host backend (devices/backend/uart_backend.c) and to port I/O.
 *
 * Threads: uart_pio() runs on vCPU threads; uart_rx_ready() on the mevent
 * thread; lpc_uart_init() on the main thread.  Each port has one mutex,
 * sc->mtx, held around every chip call; the chip's tx and set_irq
 * callbacks therefore run with it held.  Lock order: sc->mtx, then the
 * backend's internal lock.
 *
 * Input flow control: the mevent thread moves bytes from the backend into
 * the chip's receive FIFO only while it has room.  When the FIFO is full it
 * turns the backend's input off (bytes wait in the host fd); the next
 * guest access that leaves room turns it back on.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotrap.h"
#include "isa.h"
#include "uart16550.h"
#include "uart_backend.h"
#include "vmctx.h"
#include "vmm.h"

struct lpc_uart {
	pthread_mutex_t mtx;
	struct vmctx *ctx;
	struct uart16550 *chip;
	struct uart_backend *be;  /* NULL: no backend */
	int irq;
	bool rx_stopped;	  /* backend input off: the FIFO was full */
	char name[32];
	struct lpc_uart *next;
};

/* Every port ever created (they live until exit). */
static pthread_mutex_t uarts_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct lpc_uart *uarts;

/* Chip callbacks, sc->mtx held. */
static void
uart_tx(void *arg, uint8_t byte)
{
	struct lpc_uart *sc = arg;

	if (sc->be != NULL)
		uart_backend_write(sc->be, byte);
}

static void
uart_set_irq(void *arg, bool level)
{
	struct lpc_uart *sc = arg;

	(void)vm_irq_line(sc->ctx->vm, (uint32_t)sc->irq, level ? 1 : 0);
}

static const struct uart16550_ops uart_ops = {
	.tx = uart_tx,
	.set_irq = uart_set_irq,
};

/* sc->mtx held: resume backend input once the guest made room. */
static void
rx_maybe_resume(struct lpc_uart *sc)
{
	if (sc->rx_stopped && uart16550_rx_room(sc->chip) > 0) {
		sc->rx_stopped = false;
		uart_backend_rx_enable(sc->be, true);
	}
}

/* mevent thread: the backend has input. */
static void
uart_rx_ready(void *arg)
{
	struct lpc_uart *sc = arg;
	uint8_t buf[UART16550_FIFO_SIZE];
	unsigned room;
	int n, i;

	pthread_mutex_lock(&sc->mtx);
	while ((room = uart16550_rx_room(sc->chip)) > 0) {
		/* room <= FIFO size == sizeof(buf) */
		n = uart_backend_read(sc->be, buf, room);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			(void)uart16550_rx_put(sc->chip, buf[i]);
	}
	if (uart16550_rx_room(sc->chip) == 0 && !sc->rx_stopped) {
		sc->rx_stopped = true;
		uart_backend_rx_enable(sc->be, false);
	}
	pthread_mutex_unlock(&sc->mtx);
}

/*
 * vCPU thread.  offset < 8 and offset + size <= 8 are guaranteed by the
 * trap registry (a straddling access is unclaimed); the loop still checks
 * each byte's register index.  A wide access touches consecutive
 * registers, low byte first.
 */
static int
uart_pio(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	struct lpc_uart *sc = arg;
	uint64_t v = 0, reg;
	int i;

	if (size < 1 || size > 8)
		size = 1;
	pthread_mutex_lock(&sc->mtx);
	for (i = 0; i < size; i++) {
		reg = offset + (uint64_t)i;
		if (write) {
			if (reg < UART16550_NREGS)
				uart16550_write(sc->chip, (unsigned)reg,
				    (uint8_t)(*val >> (8 * i)));
		} else {
			v |= (uint64_t)(reg < UART16550_NREGS ?
			    uart16550_read(sc->chip, (unsigned)reg) : 0xFF)
			    << (8 * i);
		}
	}
	if (sc->be != NULL)
		rx_maybe_resume(sc);
	pthread_mutex_unlock(&sc->mtx);
	if (!write)
		*val = v;
	return 0;
}

int
lpc_uart_init(struct vmctx *ctx, const char *name, uint16_t port, int irq,
    const char *spec, char *err, size_t errlen)
{
	struct lpc_uart *sc;
	const char *owner;
	char berr[256];

	if (errlen > 0)
		err[0] = '\0';
	if (name == NULL || *name == '\0')
		name = "uart";
	if (ctx == NULL || ctx->traps == NULL || ctx->vm == NULL) {
		snprintf(err, errlen, "%s: no VM to attach to", name);
		return -1;
	}
	if (irq < 0 || irq > 15) {
		snprintf(err, errlen, "%s: IRQ %d is not an ISA IRQ (0-15)", name, irq);
		return -1;
	}
	if ((uint32_t)port + UART16550_NREGS > 0x10000) {
		snprintf(err, errlen, "%s: I/O port 0x%x leaves no room for 8 registers",
		    name, port);
		return -1;
	}
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	pthread_mutex_init(&sc->mtx, NULL);
	sc->ctx = ctx;
	sc->irq = irq;
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	sc->chip = uart16550_new(&uart_ops, sc);
	if (sc->chip == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	if (spec != NULL && *spec != '\0') {
		sc->be = uart_backend_open(ctx->mev, spec, uart_rx_ready, sc,
		    berr, sizeof(berr));
		if (sc->be == NULL) {
			snprintf(err, errlen, "%s: %s", name, berr);
			goto fail;
		}
	}
	if (iotrap_register(ctx->traps, IOTRAP_PIO, port, UART16550_NREGS,
	    uart_pio, sc, sc->name) != 0) {
		if (errno == EEXIST) {
			owner = iotrap_lookup_name(ctx->traps, IOTRAP_PIO, port);
			if (owner == NULL) /* the overlap is further up */
				owner = "another device";
			snprintf(err, errlen,
			    "%s: I/O ports 0x%x-0x%x overlap %s", name, port,
			    port + UART16550_NREGS - 1, owner);
		} else {
			snprintf(err, errlen, "%s: cannot claim I/O port 0x%x: %s",
			    name, port, strerror(errno));
		}
		goto fail;
	}
	pthread_mutex_lock(&uarts_mtx);
	sc->next = uarts;
	uarts = sc;
	pthread_mutex_unlock(&uarts_mtx);
	return 0;

fail:
	uart_backend_close(sc->be);
	uart16550_free(sc->chip);
	pthread_mutex_destroy(&sc->mtx);
	free(sc);
	return -1;
}
