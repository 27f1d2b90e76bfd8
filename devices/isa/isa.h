/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Legacy ISA devices behind the LPC bridge: 16550 serial ports and the
 * fixed PC platform ports (RTC/CMOS, POST, keyboard controller, port 0x92).
 *
 * Both init functions run on the main thread during start-up, after the
 * VM's memory is set up and before vCPUs run.  They return 0, or -1 with a
 * message naming the device and the problem in err.  The devices live
 * until the process exits.
 */
#ifndef ZHYVE_ISA_H
#define ZHYVE_ISA_H

#include <stddef.h>
#include <stdint.h>

struct vmctx;

/*
 * A 16550A UART at I/O ports [port, port+8) on ISA IRQ `irq` (0-15),
 * connected to the host backend named by spec ("stdio", "socket,PATH", a
 * tty device; see uart_backend.h).  spec NULL or "" gives a port with no
 * backend: output is dropped and nothing is ever received.  `name` (e.g.
 * "com1") names the port in messages and in the trap registry.
 *
 * Accesses wider than a byte are split into byte accesses of consecutive
 * registers, as the ISA bus does for an 8-bit device.
 */
int lpc_uart_init(struct vmctx *ctx, const char *name, uint16_t port, int irq,
    const char *spec, char *err, size_t errlen);

/*
 * The fixed platform ports:
 *   0x70-0x71  RTC/CMOS (rtc.c); clock in local time unless the config
 *              key rtc.use_localtime is false; memory-size bytes from the
 *              VM's layout.  Update, alarm and periodic interrupts on
 *              IRQ 8 (edge), timed on ctx->mev (none without an event
 *              loop, then flags still accumulate for a polling guest).
 *   0x80, 0xED POST / I/O-delay ports: writes ignored, reads 0xFF (as an
 *              unclaimed ISA port would read).
 *   0x60, 0x64 a keyboard controller with nothing behind it: status reads
 *              0x1C (system flag, command/data, not inhibited; buffers
 *              empty), data reads 0x00, commands get no reply (a guest's
 *              probe times out and finds no controller), except the reset
 *              pulses (0xF0-0xFF with bit 0 clear, e.g. 0xFE) and a write
 *              of the output port (0xD1) with bit 0 clear, which reboot.
 *   0x92       "fast A20" / system control port A: reads 0x02 (A20 on),
 *              a write with bit 0 set reboots.
 * A reboot is a request: vmctx_suspend(ctx, VMEXIT_REBOOT, ...).
 * Port 0x61 (in-kernel PIT) and 0xCF9 (PCI module) are not claimed here.
 */
int isa_platform_init(struct vmctx *ctx, char *err, size_t errlen);

#endif
