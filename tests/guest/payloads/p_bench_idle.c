/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "bench_idle" (bench/run.sh: memory floor and creation rate):
 * prints "READY" on COM1, then halts with interrupts off for good, so the
 * VMM sits idle with its vCPU blocked in the kernel until it is killed.
 * Boot CPU only.
 */
#include "plib.h"

void pmain(void)
{
	console_init();
	puts("READY");
	halt_forever();
}
