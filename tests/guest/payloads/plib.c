/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers for the test payloads (see plib.h).  Runs on the boot CPU; the
 * console, lock, atomic and LAPIC helpers also run on APs concurrently.
 */
#include "plib.h"

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

void delay_loops(uint32_t n)
{
	while (n--)
		__asm__ volatile("" ::: "memory");
}

/* --- locks and atomics --------------------------------------------------- */
void spin_lock(spinlock_t *l)
{
	uint32_t v;

	for (;;) {
		v = 1;
		__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(l->locked) : : "memory");
		if (v == 0)
			return;
		while (l->locked)
			cpu_relax();
	}
}

void spin_unlock(spinlock_t *l)
{
	__asm__ volatile("" ::: "memory");
	l->locked = 0;	/* a plain store releases on x86 */
}

uint32_t atomic_inc(volatile uint32_t *p)
{
	uint32_t v = 1;

	__asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v + 1;
}

/* --- COM1 ----------------------------------------------------------------- */
#define UART_THR 0	/* transmit holding (write) / receive buffer (read) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0	/* with LCR.DLAB */
#define UART_DLM 1
#define LCR_DLAB 0x80
#define LCR_8N1  0x03
#define LSR_DR   0x01	/* data ready */
#define LSR_THRE 0x20	/* transmit holding register empty */

void com1_init(void)
{
	outb(COM1_BASE + UART_IER, 0);		/* no interrupts: we poll */
	outb(COM1_BASE + UART_LCR, LCR_DLAB);
	outb(COM1_BASE + UART_DLL, 1);		/* 115200 / 1 */
	outb(COM1_BASE + UART_DLM, 0);
	outb(COM1_BASE + UART_LCR, LCR_8N1);
	/* FIFOs stay off: turning them on would drop bytes that arrived
	 * before this point (a client may type before we get here). */
	outb(COM1_BASE + UART_FCR, 0);
	outb(COM1_BASE + UART_MCR, 0x03);	/* DTR, RTS; no loopback */
}

void com1_putc(char c)
{
	/* Bounded: a missing UART must not hang the payload silently. */
	for (uint32_t i = 0; i < 1000000; i++) {
		if (inb(COM1_BASE + UART_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

int com1_trygetc(void)
{
	if (!(inb(COM1_BASE + UART_LSR) & LSR_DR))
		return -1;
	return inb(COM1_BASE + UART_THR);
}

int com1_getc(void)
{
	int c;

	while ((c = com1_trygetc()) < 0)
		cpu_relax();
	return c;
}

/* --- console -------------------------------------------------------------- */
static spinlock_t console_lock;

/* Proof that crt0 copied .data and zeroed .bss. */
static volatile uint32_t data_canary = 0x600DDA7A;
static volatile uint32_t bss_canary;

void console_init(void)
{
	com1_init();
	if (data_canary != 0x600DDA7A)
		puts("FAIL crt0: .data was not copied to RAM");
	if (bss_canary != 0)
		puts("FAIL crt0: .bss was not zeroed");
	data_canary = bss_canary = 1;	/* writable: RAM, not ROM */
	if (data_canary != 1 || bss_canary != 1)
		puts("FAIL crt0: .data/.bss are not writable");
}

static void cons_putc(char c)
{
	if (c == '\n')
		com1_putc('\r');
	com1_putc(c);
}

static void cons_puts(const char *s)
{
	while (*s)
		cons_putc(*s++);
}

void puts(const char *s)
{
	spin_lock(&console_lock);
	cons_puts(s);
	cons_putc('\n');
	spin_unlock(&console_lock);
}

/* Unsigned number in base 10 or 16, at least `width` digits wide, padded
 * with `pad` (' ' or '0'). */
static void put_num(uint32_t v, unsigned base, unsigned width, char pad)
{
	char buf[12];
	unsigned n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width > n) {
		cons_putc(pad);
		width--;
	}
	while (n)
		cons_putc(buf[--n]);
}

/* Supports %c %s %u %d %x %p %%, an optional '0' flag and a width. */
void vprintf(const char *fmt, va_list ap)
{
	spin_lock(&console_lock);
	for (; *fmt; fmt++) {
		char pad = ' ';
		unsigned width = 0;

		if (*fmt != '%') {
			cons_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9' && width < 16)
			width = width * 10 + (unsigned)(*fmt++ - '0');
		switch (*fmt) {
		case 'c':
			cons_putc((char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			cons_puts(s ? s : "(null)");
			break;
		}
		case 'u':
			put_num(va_arg(ap, unsigned), 10, width, pad);
			break;
		case 'd': {
			int v = va_arg(ap, int);
			if (v < 0) {
				cons_putc('-');
				put_num(-(uint32_t)v, 10, width, pad);
			} else {
				put_num((uint32_t)v, 10, width, pad);
			}
			break;
		}
		case 'x':
			put_num(va_arg(ap, unsigned), 16, width, pad);
			break;
		case 'p':
			cons_puts("0x");
			put_num((uint32_t)va_arg(ap, void *), 16, 8, '0');
			break;
		case '%':
			cons_putc('%');
			break;
		case '\0':
			fmt--;	/* stray '%' at the end: stop on the NUL */
			break;
		default:
			cons_putc('%');
			cons_putc(*fmt);
			break;
		}
	}
	spin_unlock(&console_lock);
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void pass(const char *name)
{
	printf("PASS %s\n", name);
}

void fail(const char *name, const char *why)
{
	printf("FAIL %s: %s\n", name, why);
}

/* --- PCI ------------------------------------------------------------------ */
#define PCI_CFG_ADDR 0xCF8
#define PCI_CFG_DATA 0xCFC

static uint32_t pci_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return 0x80000000u | (bus & 0xff) << 16 | (dev & 0x1f) << 11 |
	    (fn & 7) << 8 | (off & 0xfc);
}

uint32_t pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	outl(PCI_CFG_ADDR, pci_addr(bus, dev, fn, off));
	return inl(PCI_CFG_DATA);
}

void pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off,
    uint32_t v)
{
	outl(PCI_CFG_ADDR, pci_addr(bus, dev, fn, off));
	outl(PCI_CFG_DATA, v);
}

/* --- local APIC ----------------------------------------------------------- */
#define ICR_BUSY		(1u << 12)	/* delivery status: send pending */
#define ICR_ASSERT		(1u << 14)
#define ICR_ALL_BUT_SELF	(3u << 18)	/* destination shorthand */
#define ICR_INIT		(5u << 8)
#define ICR_STARTUP		(6u << 8)

uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(LAPIC_BASE + reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(LAPIC_BASE + reg, v);
}

unsigned lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_enable(void)
{
	/* Software enable, spurious vector 0xFF. */
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x1FF);
}

static void lapic_wait_idle(void)
{
	for (uint32_t i = 0; i < 100000; i++) {
		if (!(lapic_read(LAPIC_ICR_LO) & ICR_BUSY))
			return;
		cpu_relax();
	}
}

void lapic_start_aps(void)
{
	lapic_enable();
	lapic_wait_idle();
	lapic_write(LAPIC_ICR_HI, 0);
	lapic_write(LAPIC_ICR_LO, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_INIT);
	lapic_wait_idle();
	delay_loops(10000);	/* the 10 ms INIT wait of the MP protocol */
	for (int i = 0; i < 2; i++) {
		lapic_write(LAPIC_ICR_LO, ICR_ALL_BUT_SELF | ICR_ASSERT |
		    ICR_STARTUP | AP_SIPI_VECTOR);
		lapic_wait_idle();
		delay_loops(1000);	/* ~200 us between the SIPIs */
	}
}

volatile uint32_t ap_count;

__attribute__((weak)) void ap_main(unsigned apic_id)
{
	printf("ap %u up\n", apic_id);
	atomic_inc(&ap_count);
}

/* --- CMOS ------------------------------------------------------------------ */
uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg & 0x7f);	/* bit 7 clear: NMIs stay enabled */
	return inb(0x71);
}

/* --- resets ----------------------------------------------------------------- */
static __attribute__((noreturn)) void reset_ignored(const char *how)
{
	delay_loops(1000000);
	printf("FAIL reset: %s reset request ignored\n", how);
	halt_forever();
}

void reset_cf9(void)
{
	outb(0xCF9, 0x02);	/* select hard reset, no reset yet */
	outb(0xCF9, 0x06);	/* hard reset + do it */
	reset_ignored("0xcf9");
}

void reset_kbd(void)
{
	/* Wait (bounded) for the controller's input buffer to drain. */
	for (uint32_t i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
		cpu_relax();
	outb(0x64, 0xFE);	/* pulse the reset line */
	reset_ignored("keyboard controller");
}
