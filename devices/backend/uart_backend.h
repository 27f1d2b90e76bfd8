/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host side of a serial port: where the bytes a guest UART sends go, and
 * where the bytes it receives come from.  Driven by mevent.
 *
 * Specs:
 *   "stdio"        zhyve's stdin/stdout.  If stdin is a terminal it is put
 *                  in raw mode; stdin and stdout are made non-blocking.
 *                  Both are restored by uart_backend_close(), at exit
 *                  (atexit) and by uart_backend_tty_restore().  At most
 *                  one stdio backend at a time.  EOF on stdin stops input
 *                  for good (it is not polled again).
 *   "socket,PATH"  a listening UNIX stream socket at PATH, mode 0600.  A
 *                  stale socket at PATH (nobody listening) is replaced;
 *                  a live one or a non-socket file is an error.  One client
 *                  at a time: while a live client is connected, another is
 *                  accepted, told "busy" and closed.  A client may leave
 *                  and another connect at any time.  The socket file is
 *                  removed by uart_backend_close().
 *   PATH           a terminal device (e.g. a pty slave), opened
 *                  O_RDWR|O_NONBLOCK|O_NOCTTY and put in raw mode (its
 *                  settings are restored on close).
 *
 * Output never blocks the caller.  With no client connected (or after the
 * peer failed) output is dropped.  When the peer is slow, up to
 * UART_BACKEND_OUTBUF bytes are queued and flushed from the event thread;
 * when that buffer is full, further (newest) bytes are dropped, so what
 * the peer eventually sees is a prefix of the stream with a gap, never a
 * reordering.
 *
 * Input: when readable input is present, rx_ready(arg) is called on the
 * event thread (with no backend lock held); it should call
 * uart_backend_read() until it returns 0 or it has no room, and call
 * uart_backend_rx_enable(b, false) when it cannot take more (the read
 * event is level-triggered: leaving data unread without disabling would
 * call rx_ready again at once).  rx_ready may be NULL: input is discarded.
 *
 * Threads and locks: every function may be called from any thread (the
 * vCPU threads write; the event thread reads); each backend has an
 * internal mutex, taken inside these functions and never held while
 * calling rx_ready.  Callers may hold their own lock around these calls
 * (lock order: caller's lock, then the backend's).  uart_backend_close()
 * must not race with the event loop: call it when mevent_dispatch() is not
 * running, or from the event thread.
 */
#ifndef ZHYVE_UART_BACKEND_H
#define ZHYVE_UART_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_BACKEND_OUTBUF (64 * 1024)

struct mevent_base;
struct uart_backend;

/*
 * Open the backend named by spec.  NULL on error, with a message naming
 * the spec and the problem in err (always NUL-terminated when errlen > 0).
 */
struct uart_backend *uart_backend_open(struct mevent_base *mev,
    const char *spec, void (*rx_ready)(void *arg), void *arg, char *err,
    size_t errlen);
void uart_backend_close(struct uart_backend *b);

/* Up to len available input bytes into buf: their count, or 0 if none now
 * (nothing readable, no client, or input ended). */
int uart_backend_read(struct uart_backend *b, uint8_t *buf, size_t len);
/* Queue one output byte; never blocks (see above for what is dropped). */
void uart_backend_write(struct uart_backend *b, uint8_t byte);
/* Input flow control: stop/resume watching for input. */
void uart_backend_rx_enable(struct uart_backend *b, bool enable);

/* True while output has somewhere to go (stdio, tty, a socket client). */
bool uart_backend_connected(struct uart_backend *b);
/* Bytes queued but not yet written, and bytes dropped so far. */
size_t uart_backend_out_pending(struct uart_backend *b);
uint64_t uart_backend_out_dropped(struct uart_backend *b);

/* Put the stdio terminal back as it was (idempotent, async-signal-safe:
 * only tcsetattr and fcntl). */
void uart_backend_tty_restore(void);

#endif
