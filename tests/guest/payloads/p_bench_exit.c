/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "bench_exit" (bench/run.sh: exit cost): a tight loop of port I/O
 * that every VMM must take to userspace, then a reset.  What it does is
 * read from a parameter block in the ROM image, which bench/run.sh patches
 * in copies of this ROM (bench/probe patch ROM OUT KIND COUNT):
 *
 *   kind 0  loop only: the same unrolled loop with no I/O (its overhead)
 *   kind 1  outb to an unclaimed port (0x1230)
 *   kind 2  outb to the COM1 data register (THR)
 *   kind 3  PCI configuration read: outl 0xCF8, inl 0xCFC (two exits)
 *
 * repeated `count` times (default: kind 1, 200000).  Loops are unrolled by
 * ten (five for kind 3) so that the emulated loop instructions add little.
 * The loop runs between two markers on COM1, "GO!" just before it and
 * "RESET!" just after it (bench/run.sh times the loop between them); then
 * 0xCF9, else a triple fault, as in bench_boot.
 * Boot CPU only.
 */
#include "plib.h"

#define KIND_LOOP	0
#define KIND_UNCLAIMED	1
#define KIND_THR	2
#define KIND_PCI	3

#define UNCLAIMED_PORT	0x1230

/* The magic must occur once in the ROM: bench/probe looks for it. */
static volatile const struct {
	char magic[8];
	uint32_t kind;
	uint32_t count;
} params = { { 'Z', 'H', 'B', 'E', 'N', 'C', 'H', '1' }, KIND_UNCLAIMED, 200000 };

static void __attribute__((noreturn)) reset_now(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) no_idt = { 0, 0 };	/* on the stack: RAM */

	outb(0xCF9, 0x02);
	outb(0xCF9, 0x06);
	__asm__ volatile("lidt %0\n\tud2" : : "m"(no_idt));
	__builtin_unreachable();
}

static void loop_only(uint32_t n)
{
	for (uint32_t i = n / 10; i; i--)
		__asm__ volatile("" ::: "memory");
}

static void out_loop(uint16_t port, uint8_t v, uint32_t n)
{
	for (uint32_t i = n / 10; i; i--)
		__asm__ volatile(".rept 10\n\toutb %%al, %%dx\n\t.endr"
		    : : "a"(v), "d"(port) : "memory");
	for (uint32_t i = n % 10; i; i--)
		outb(port, v);
}

static void pci_loop(uint32_t n)
{
	const uint32_t addr = 0x80000000u;	/* 00:00.0, register 0 */

	for (uint32_t i = n / 5; i; i--)
		__asm__ volatile(".rept 5\n\t"
		    "movl %0, %%eax\n\t"
		    "movw $0xcf8, %%dx\n\t"
		    "outl %%eax, %%dx\n\t"
		    "movw $0xcfc, %%dx\n\t"
		    "inl %%dx, %%eax\n\t"
		    ".endr"
		    : : "r"(addr) : "eax", "edx", "memory");
	for (uint32_t i = n % 5; i; i--)
		pci_cfg_read32(0, 0, 0, 0);
}

void pmain(void)
{
	uint32_t kind = params.kind, n = params.count;

	console_init();
	printf("bench exit kind %u count %u\nGO!", kind, n);
	switch (kind) {
	case KIND_LOOP:
		loop_only(n);
		break;
	case KIND_UNCLAIMED:
		out_loop(UNCLAIMED_PORT, 0, n);
		break;
	case KIND_THR:
		out_loop(COM1_BASE, '.', n);
		break;
	case KIND_PCI:
		pci_loop(n);
		break;
	default:
		fail("bench_exit", "unknown kind");
		break;
	}
	printf("\nRESET!");
	reset_now();
}
