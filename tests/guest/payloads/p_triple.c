/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "triple": loads an IDT with limit 0 and executes ud2 in protected
 * mode.  The #UD cannot be delivered, nor the #GP/#DF that follow, so the
 * CPU shuts down (triple fault); a VMM reports that (zhyve exits 3, QEMU
 * with -no-reboot quits).  Boot CPU only.
 */
#include "plib.h"

void pmain(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} idtr = { 0, 0 };

	console_init();
	puts("triple fault next");
	__asm__ volatile("lidt %0\n\tud2" : : "m"(idtr) : "memory");
	fail("triple", "still running after ud2 with an empty IDT");
}
