/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "hello": prints a greeting and PASS on COM1, then resets through
 * the reset control register 0xCF9 (a VMM exits 0 on reset).  Boot CPU only.
 */
#include "plib.h"

void pmain(void)
{
	console_init();
	puts("hello from zhyve payload");
	pass("hello");
	reset_cf9();
}
