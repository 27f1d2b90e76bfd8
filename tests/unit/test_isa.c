/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the ISA glue (devices/isa/): serial ports and the fixed
 * platform ports, driven through the trap registry like a vCPU would, on a
 * fake VM that records interrupt line levels.  The backend test runs the
 * event loop in a second thread.
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "iotrap.h"
#include "isa.h"
#include "mevent.h"
#include "platform.h"
#include "test.h"
#include "uart16550.h"
#include "vmctx.h"
#include "vmm.h"

static struct vmctx ctx;

static void
ctx_new(void)
{
	char err[256];

	memset(&ctx, 0, sizeof(ctx));
	ctx.vm = vm_create_fake("isa-test");
	ctx.traps = iotrap_table_new();
	ctx.mev = mevent_base_new();
	ctx.ncpus = 1;
	ctx.exit_status = -1;
	if (vm_setup_memory(ctx.vm, MIB(256), LOWMEM_LIMIT_DEFAULT, err,
	    sizeof(err)) != 0)
		printf("    vm_setup_memory: %s\n", err);
}

static void
ctx_free(void)
{
	/* Devices live until exit by design; only the containers go. */
	mevent_base_free(ctx.mev);
	iotrap_table_free(ctx.traps);
	vm_destroy(ctx.vm);
}

static uint64_t
in(uint16_t port, int size)
{
	uint64_t v = 0xDEAD;

	CHECK_EQ(iotrap_dispatch(ctx.traps, IOTRAP_PIO, port, size, false, &v), 0);
	return v;
}

static uint8_t
inb(uint16_t port)
{
	return (uint8_t)in(port, 1);
}

static void
out(uint16_t port, int size, uint64_t v)
{
	CHECK_EQ(iotrap_dispatch(ctx.traps, IOTRAP_PIO, port, size, true, &v), 0);
}

static void
outb(uint16_t port, uint8_t v)
{
	out(port, 1, v);
}

static void
msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

TEST(uart_registers_and_irq)
{
	char err[256];

	ctx_new();
	CHECK_EQ(lpc_uart_init(&ctx, "com1", COM1_PORT, COM1_IRQ, NULL, err,
	    sizeof(err)), 0);
	outb(COM1_PORT + UART_REG_SCR, 0x5A);
	CHECK_EQ(inb(COM1_PORT + UART_REG_SCR), 0x5A);
	CHECK_EQ(inb(COM1_PORT + UART_REG_LSR), 0x60);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, COM1_IRQ), 0);
	/* THRE interrupt with OUT2: the ISA line goes up, IIR read drops it. */
	outb(COM1_PORT + UART_REG_MCR, UART_MCR_OUT2);
	outb(COM1_PORT + UART_REG_IER, UART_IER_ETBEI);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, COM1_IRQ), 1);
	CHECK_EQ(inb(COM1_PORT + UART_REG_IIR), UART_IIR_THRE);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, COM1_IRQ), 0);
	/* No backend: output is dropped, nothing breaks. */
	outb(COM1_PORT, 'x');
	CHECK_EQ(vm_fake_irq_level(ctx.vm, COM1_IRQ), 1);
	outb(COM1_PORT + UART_REG_IER, 0);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, COM1_IRQ), 0);

	/* A word access covers two consecutive registers. */
	outb(COM1_PORT + UART_REG_LCR, 0x03);
	outb(COM1_PORT + UART_REG_MCR, 0x0B);
	CHECK_EQ(in(COM1_PORT + UART_REG_LCR, 2), 0x0B03);
	out(COM1_PORT + UART_REG_MSR, 2, 0xA500);
	CHECK_EQ(inb(COM1_PORT + UART_REG_SCR), 0xA5);
	CHECK_EQ(in(COM1_PORT + 4, 4) >> 24, 0xA5);
	/* Straddling the end is not ours. */
	{
		uint64_t v = 0;

		CHECK(iotrap_dispatch(ctx.traps, IOTRAP_PIO, COM1_PORT + 7, 2,
		    false, &v) != 0);
	}

	/* A second port on another IRQ is independent. */
	CHECK_EQ(lpc_uart_init(&ctx, "com2", COM2_PORT, COM2_IRQ, "", err,
	    sizeof(err)), 0);
	outb(COM2_PORT + UART_REG_SCR, 0x11);
	CHECK_EQ(inb(COM1_PORT + UART_REG_SCR), 0xA5);
	CHECK_EQ(inb(COM2_PORT + UART_REG_SCR), 0x11);
	ctx_free();
}

TEST(uart_init_errors)
{
	char err[256];

	ctx_new();
	CHECK_EQ(lpc_uart_init(&ctx, "com1", COM1_PORT, COM1_IRQ, NULL, err,
	    sizeof(err)), 0);
	/* Overlapping ports. */
	CHECK_EQ(lpc_uart_init(&ctx, "com3", COM1_PORT + 4, COM3_IRQ, NULL, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "com3") != NULL);
	CHECK(strstr(err, "overlap") != NULL);
	/* The first still works. */
	outb(COM1_PORT + UART_REG_SCR, 0x77);
	CHECK_EQ(inb(COM1_PORT + UART_REG_SCR), 0x77);
	/* Bad IRQ, bad port. */
	CHECK_EQ(lpc_uart_init(&ctx, "com2", COM2_PORT, 16, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "IRQ 16") != NULL);
	CHECK_EQ(lpc_uart_init(&ctx, "com2", COM2_PORT, -1, NULL, err, sizeof(err)), -1);
	CHECK_EQ(lpc_uart_init(&ctx, "com2", 0xFFF9, 3, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "0xfff9") != NULL);
	/* Bad backend: the message names the port and the backend problem. */
	CHECK_EQ(lpc_uart_init(&ctx, "com2", COM2_PORT, COM2_IRQ,
	    "/nonexistent/tty", err, sizeof(err)), -1);
	CHECK(strstr(err, "com2: ") == err);
	CHECK(strstr(err, "/nonexistent/tty") != NULL);
	/* Nothing was left registered by the failures. */
	{
		uint64_t v;

		CHECK(iotrap_dispatch(ctx.traps, IOTRAP_PIO, COM2_PORT, 1, false,
		    &v) != 0);
	}
	ctx_free();
}

static void *
dispatch_main(void *arg)
{
	(void)mevent_dispatch(arg);
	return NULL;
}

TEST(uart_socket_flow_control)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/zhyve-isa-XXXXXX", spec[128], err[256];
	uint8_t got[64], buf[8];
	pthread_t thr;
	size_t n = 0;
	int c, i, tries;
	struct pollfd p;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir);
	snprintf(spec, sizeof(spec), "socket,%s", sa.sun_path);
	ctx_new();
	CHECK_EQ(lpc_uart_init(&ctx, "com1", COM1_PORT, COM1_IRQ, spec, err,
	    sizeof(err)), 0);
	pthread_create(&thr, NULL, dispatch_main, ctx.mev);

	/* FIFO mode, rx interrupt on. */
	outb(COM1_PORT + UART_REG_FCR, UART_FCR_ENABLE);
	outb(COM1_PORT + UART_REG_MCR, UART_MCR_OUT2);
	outb(COM1_PORT + UART_REG_IER, UART_IER_ERBFI);

	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* 40 bytes: more than the FIFO holds. */
	for (i = 0; i < 40; i++) {
		buf[0] = (uint8_t)('0' + i);
		CHECK_EQ(write(c, buf, 1), 1);
	}
	/* The FIFO fills to 16 and the rest waits in the socket. */
	for (tries = 0; tries < 5000 && inb(COM1_PORT + UART_REG_IIR) !=
	    (UART_IIR_FIFOS | UART_IIR_RDA); tries++)
		msleep(1);
	msleep(50);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, COM1_IRQ), 1);
	/* The guest drains it; input resumes; all 40 arrive in order. */
	for (tries = 0; tries < 5000 && n < 40; tries++) {
		while (n < 40 && (inb(COM1_PORT + UART_REG_LSR) & UART_LSR_DR))
			got[n++] = inb(COM1_PORT + UART_REG_RBR);
		if (n < 40)
			msleep(1);
	}
	CHECK_EQ(n, 40);
	for (i = 0; i < (int)n; i++)
		CHECK_EQ(got[i], '0' + i);
	CHECK_EQ(inb(COM1_PORT + UART_REG_LSR) & UART_LSR_OE, 0); /* no loss */
	CHECK_EQ(vm_fake_irq_level(ctx.vm, COM1_IRQ), 0);

	/* Guest output reaches the client. */
	outb(COM1_PORT, 'h');
	outb(COM1_PORT, 'i');
	p.fd = c;
	p.events = POLLIN;
	n = 0;
	while (n < 2 && poll(&p, 1, 5000) == 1) {
		ssize_t r = read(c, got + n, 2 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	CHECK_EQ(n, 2);
	CHECK(memcmp(got, "hi", 2) == 0);
	close(c);

	mevent_exit(ctx.mev);
	pthread_join(thr, NULL);
	ctx_free();
	unlink(sa.sun_path);
	rmdir(dir);
}

static int
dummy_pio(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	if (!write)
		*val = 0;
	return 0;
}

TEST(platform_ports)
{
	char err[256];
	uint64_t v;

	config_init();
	CHECK_EQ(config_set("rtc.use_localtime", "false"), 0);
	ctx_new();
	CHECK_EQ(isa_platform_init(&ctx, err, sizeof(err)), 0);

	/* RTC/CMOS. */
	outb(RTC_PORT, 0x0D);
	CHECK_EQ(inb(RTC_PORT + 1), 0x80);
	outb(RTC_PORT, 0x80 | 0x15); /* NMI bit ignored */
	CHECK_EQ(inb(RTC_PORT + 1), 0x80);
	outb(RTC_PORT, 0x16);
	CHECK_EQ(inb(RTC_PORT + 1), 0x02);
	outb(RTC_PORT, 0x35); /* (256 - 16) MiB in 64 KiB units = 0x0F00 */
	CHECK_EQ(inb(RTC_PORT + 1), 0x0F);
	CHECK_EQ(inb(RTC_PORT), 0xFF);
	/* outw: index in the low byte, data in the high byte. */
	out(RTC_PORT, 2, 0x5A7F);
	outb(RTC_PORT, 0x7F);
	CHECK_EQ(inb(RTC_PORT + 1), 0x5A);
	/* Binary mode gives a plausible year. */
	outb(RTC_PORT, 0x0B);
	outb(RTC_PORT + 1, 0x06);
	outb(RTC_PORT, 0x32);
	CHECK_EQ(inb(RTC_PORT + 1), 20);

	/* POST ports. */
	outb(0x80, 0x12);
	CHECK_EQ(inb(0x80), 0xFF);
	outb(0xED, 0x00);
	CHECK_EQ(inb(0xED), 0xFF);
	CHECK_EQ(ctx.exit_status, -1);

	/* Keyboard controller: nothing answers, nothing hangs. */
	CHECK_EQ(inb(KBD_STS_PORT), 0x1C);
	CHECK_EQ(inb(KBD_DATA_PORT), 0x00);
	outb(KBD_STS_PORT, 0xAA);
	CHECK_EQ(inb(KBD_STS_PORT) & 0x01, 0);
	outb(KBD_DATA_PORT, 0xF4);
	CHECK_EQ(inb(KBD_STS_PORT), 0x14); /* last write was data */
	outb(KBD_STS_PORT, 0xD1);
	outb(KBD_DATA_PORT, 0xDF); /* A20 on, reset line high */
	CHECK_EQ(ctx.exit_status, -1);
	outb(KBD_STS_PORT, 0xFF); /* pulse nothing */
	CHECK_EQ(ctx.exit_status, -1);
	outb(KBD_STS_PORT, 0xFE);
	CHECK_EQ(ctx.exit_status, VMEXIT_REBOOT);
	ctx.exit_status = -1;
	outb(KBD_STS_PORT, 0xD1);
	outb(KBD_DATA_PORT, 0xDE);
	CHECK_EQ(ctx.exit_status, VMEXIT_REBOOT);
	ctx.exit_status = -1;

	/* Port 0x92. */
	CHECK_EQ(inb(0x92), 0x02);
	outb(0x92, 0x02);
	CHECK_EQ(ctx.exit_status, -1);
	outb(0x92, 0x03);
	CHECK_EQ(ctx.exit_status, VMEXIT_REBOOT);
	ctx.exit_status = -1;

	/* Not ours: the PIT's 0x61 and the PCI module's 0xCF9. */
	CHECK(iotrap_dispatch(ctx.traps, IOTRAP_PIO, 0x61, 1, false, &v) != 0);
	CHECK(iotrap_dispatch(ctx.traps, IOTRAP_PIO, 0xCF9, 1, false, &v) != 0);

	/* A second init collides and says where. */
	CHECK_EQ(isa_platform_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "0x70") != NULL);
	CHECK(strstr(err, "rtc") != NULL);
	CHECK_EQ(inb(KBD_STS_PORT), 0x14); /* the first one still answers */
	ctx_free();

	/* A collision on the last port undoes the earlier ones. */
	ctx_new();
	CHECK_EQ(iotrap_register(ctx.traps, IOTRAP_PIO, 0x92, 1, dummy_pio, NULL,
	    "other-device"), 0);
	CHECK_EQ(isa_platform_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "other-device") != NULL);
	CHECK(iotrap_dispatch(ctx.traps, IOTRAP_PIO, RTC_PORT, 1, false, &v) != 0);
	CHECK(iotrap_dispatch(ctx.traps, IOTRAP_PIO, KBD_STS_PORT, 1, false, &v) != 0);
	ctx_free();

	/* A bad config value is reported. */
	config_init();
	CHECK_EQ(config_set("rtc.use_localtime", "maybe"), 0);
	ctx_new();
	CHECK_EQ(isa_platform_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "rtc.use_localtime") != NULL);
	CHECK(iotrap_dispatch(ctx.traps, IOTRAP_PIO, RTC_PORT, 1, false, &v) != 0);
	ctx_free();
	config_init();
}

/* Waits up to ms for IRQ 8 to have risen more than `seen` times. */
static unsigned
rtc_pulses_after(unsigned seen, unsigned ms)
{
	unsigned n;

	while ((n = vm_fake_irq_pulses(ctx.vm, RTC_IRQ)) <= seen && ms >= 5) {
		msleep(5);
		ms -= 5;
	}
	return n;
}

static uint8_t
cmos_read(uint8_t idx)
{
	outb(RTC_PORT, idx);
	return inb(RTC_PORT + 1);
}

static void
cmos_write(uint8_t idx, uint8_t v)
{
	outb(RTC_PORT, idx);
	outb(RTC_PORT + 1, v);
}

/* The RTC's interrupts reach IRQ 8 through the event loop's timer: one
 * edge per REG_C read, periodic rates above 1024 Hz coalesced. */
TEST(rtc_irq8)
{
	char err[256];
	pthread_t thr;
	unsigned n, seen;
	int64_t t0;
	struct timespec ts;
	int pf = 0;

	config_init();
	ctx_new();
	CHECK_EQ(isa_platform_init(&ctx, err, sizeof(err)), 0);
	pthread_create(&thr, NULL, dispatch_main, ctx.mev);

	cmos_write(0x0A, 0x20); /* no periodic rate */
	cmos_write(0x0B, 0x12); /* 24 hour, UIE */
	(void)cmos_read(0x0C);
	CHECK_EQ(vm_fake_irq_pulses(ctx.vm, RTC_IRQ), 0);
	/* The next second boundary raises it. */
	CHECK_EQ(rtc_pulses_after(0, 1500), 1);
	/* Until REG_C is read, nothing more. */
	msleep(1200);
	CHECK_EQ(vm_fake_irq_pulses(ctx.vm, RTC_IRQ), 1);
	CHECK_EQ(cmos_read(0x0C), 0x90); /* IRQF | UF */
	CHECK_EQ(rtc_pulses_after(1, 1500), 2);
	CHECK_EQ(cmos_read(0x0C) & 0x90, 0x90);

	/* 8192 Hz, the guest reading REG_C at each interrupt for 0.3 s. */
	cmos_write(0x0B, 0x02);
	cmos_write(0x0A, 0x23);
	cmos_write(0x0B, 0x42); /* PIE */
	(void)cmos_read(0x0C);
	seen = vm_fake_irq_pulses(ctx.vm, RTC_IRQ);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0 >= 300)
			break;
		n = vm_fake_irq_pulses(ctx.vm, RTC_IRQ);
		if (n != seen && (cmos_read(0x0C) & 0xC0) == 0xC0)
			pf++;
		seen = n;
	}
	printf("    8192 Hz for 0.3 s: %d interrupts\n", pf);
	CHECK(pf >= 10);
	CHECK(pf <= 1024 * 3 / 10 + 20);
	/* Everything off: the timer stops. */
	cmos_write(0x0B, 0x02);
	(void)cmos_read(0x0C);
	seen = vm_fake_irq_pulses(ctx.vm, RTC_IRQ);
	msleep(100);
	CHECK_EQ(vm_fake_irq_pulses(ctx.vm, RTC_IRQ), seen);

	mevent_exit(ctx.mev);
	pthread_join(thr, NULL);
	ctx_free();
}

int
main(void)
{
	RUN(uart_registers_and_irq);
	RUN(uart_init_errors);
	RUN(uart_socket_flow_control);
	RUN(platform_ports);
	RUN(rtc_irq8);
	TEST_SUMMARY();
}
