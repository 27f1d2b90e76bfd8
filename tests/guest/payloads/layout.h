/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fixed guest-physical layout shared by the payload start-up code (crt0.S),
 * the linker script's users and the C helpers.  Included from assembly too,
 * so it holds only #defines.
 *
 *   0x00000F00  GDT (3 descriptors) and the lgdt pointer, built at reset
 *   0x00010000  .data and .bss (copied/zeroed by crt0), at most 64 KiB
 *   0x00020000  AP stacks, AP_STACK_SIZE each, AP_STACK_COUNT of them
 *   0x00070000  BSP stack (grows down from BSP_STACK_TOP)
 *   0x000F0000  alias of the 64 KiB ROM (AP start-up code runs here)
 *   0xFFFF0000  the ROM itself, reset vector at 0xFFFFFFF0
 */
#ifndef PAYLOAD_LAYOUT_H
#define PAYLOAD_LAYOUT_H

#define ROM_BASE	0xFFFF0000
#define ROM_ALIAS_BASE	0x000F0000	/* the ROM seen below 1 MiB */

#define GDT_ADDR	0x0F00		/* null, code 0x08, data 0x10 */
#define GDT_PTR_ADDR	0x0F20		/* 16-bit limit + 32-bit base */
#define SEL_CODE	0x08
#define SEL_DATA	0x10

#define RAM_DATA_BASE	0x10000		/* .data/.bss (see payload.ld) */
#define RAM_DATA_LIMIT	0x20000

#define AP_STACK_BASE	0x20000
#define AP_STACK_SIZE	0x1000
#define AP_STACK_COUNT	80		/* 0x20000..0x70000 */
#define BSP_STACK_TOP	0x80000

/* ROM offset of the AP start-up page; it must be page aligned so that the
 * SIPI vector (page number) can name it through the alias below 1 MiB. */
#define AP_TRAMP_ROM_OFF	0xF000
#define AP_SIPI_VECTOR	((ROM_ALIAS_BASE + AP_TRAMP_ROM_OFF) >> 12)	/* 0xFF */

#define LAPIC_BASE	0xFEE00000
#define LAPIC_ID	0x020

#endif
