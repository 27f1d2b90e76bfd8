/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "bench_boot" (bench/run.sh: cold start and teardown): prints
 * "BOOT" on COM1 as early as it can, then the teardown marker "RESET!"
 * as the last bytes before it asks for a reset through 0xCF9.  Where
 * nothing decodes 0xCF9 (QEMU -M microvm) it triple-faults instead, at
 * once, so every VMM run with -no-reboot semantics ends right there.
 * Boot CPU only.
 */
#include "plib.h"

static void __attribute__((noreturn)) reset_now(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) no_idt = { 0, 0 };	/* on the stack: RAM */

	outb(0xCF9, 0x02);
	outb(0xCF9, 0x06);
	/* Still here: no reset control.  #UD with an empty IDT ends in a
	 * triple fault, which a VMM also ends the guest on. */
	__asm__ volatile("lidt %0\n\tud2" : : "m"(no_idt));
	__builtin_unreachable();
}

void pmain(void)
{
	console_init();
	puts("BOOT");
	printf("RESET!");
	reset_now();
}
