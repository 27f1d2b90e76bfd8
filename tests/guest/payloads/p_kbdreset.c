/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "kbdreset": resets through the keyboard controller (0xFE to port
 * 0x64); a VMM exits 0 on reset.  Boot CPU only.
 */
#include "plib.h"

void pmain(void)
{
	console_init();
	puts("keyboard controller reset next");
	reset_kbd();
}
