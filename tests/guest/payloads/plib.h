/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers for the freestanding 32-bit test payloads: port I/O, COM1 console,
 * a small printf, PCI configuration mechanism #1, local APIC IPIs, a
 * spinlock and an atomic counter, resets.  Used by the boot CPU and, where
 * noted, by the application processors (APs) at the same time.
 *
 * Every payload ends by printing "PASS <name>" or "FAIL <name>: <why>".
 */
#ifndef PAYLOAD_PLIB_H
#define PAYLOAD_PLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/* --- port I/O ------------------------------------------------------------ */
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* --- memory-mapped registers ------------------------------------------- */
static inline uint32_t mmio_read32(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uint32_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* Busy-wait for about n loop iterations (no time base: speed varies by
 * host, from ~1 ns to ~1 us per iteration). */
void delay_loops(uint32_t n);

/* Halt this CPU for good (cli; hlt loop), from crt0.S. */
void halt_forever(void) __attribute__((noreturn));

/* --- COM1 (0x3F8), polled ------------------------------------------------- */
#define COM1_BASE 0x3F8

/* 115200 8N1, FIFOs off, interrupts off (console_init calls it). */
void com1_init(void);
void com1_putc(char c);		/* raw byte, waits for THRE (bounded) */
int com1_trygetc(void);		/* a received byte, or -1 if none */
int com1_getc(void);		/* waits for a byte */

/* Console output over COM1, one lock around every call so lines from
 * several CPUs do not mix.  '\n' is sent as "\r\n".  console_init() comes
 * first in every pmain, once: it also checks that crt0 copied .data and
 * zeroed .bss (and prints "FAIL crt0: ..." if not). */
void console_init(void);
void puts(const char *s);	/* s and a newline */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/* Final verdict lines. */
void pass(const char *name);
void fail(const char *name, const char *why);

/* --- PCI configuration mechanism #1 (0xCF8/0xCFC) ------------------------ */
uint32_t pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off);
void pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off,
    uint32_t v);

/* --- local APIC (xAPIC, 0xFEE00000) -------------------------------------- */
#define LAPIC_SVR	0x0F0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
unsigned lapic_id(void);
void lapic_enable(void);
/* INIT, then SIPI twice, to all CPUs but this one; the APs start at
 * crt0's ap_entry16 and call ap_main(). */
void lapic_start_aps(void);

/* Called on each AP by crt0 with its APIC ID.  The default (weak) one
 * prints "ap <id> up", adds one to ap_count, and returns (the AP halts). */
void ap_main(unsigned apic_id);
extern volatile uint32_t ap_count;

/* --- locks and atomics --------------------------------------------------- */
typedef struct {
	volatile uint32_t locked;
} spinlock_t;

void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
/* Adds one to *p atomically; returns the new value. */
uint32_t atomic_inc(volatile uint32_t *p);

/* --- CMOS/RTC -------------------------------------------------------------- */
uint8_t cmos_read(uint8_t reg);

/* --- resets --------------------------------------------------------------- */
/* Reset control register 0xCF9: 0x02, then 0x06 (hard reset). */
void reset_cf9(void) __attribute__((noreturn));
/* Keyboard controller pulse reset line: 0xFE to port 0x64. */
void reset_kbd(void) __attribute__((noreturn));

/* The compiler may emit calls to these. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

/* Entry point of every payload, called by crt0 on the boot CPU. */
void pmain(void);

#endif
