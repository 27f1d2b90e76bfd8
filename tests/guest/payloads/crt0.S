/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Start-up code of the test payload ROMs.  Runs on the boot CPU from the
 * reset vector, and on every application processor (AP) from the SIPI
 * vector, before any C code.
 *
 * Boot CPU:  reset vector (ROM offset 0xFFF0, real mode, CS base 0xFFFF0000)
 *   -> bsp_entry16: build a flat GDT in RAM with immediate stores (a GDT
 *      read from a read-only memory slot hangs the far jump on some KVM
 *      hosts), lgdt, set CR0.PE, far jump to 32-bit code
 *   -> bsp_entry32: data segments, stack, copy .data from ROM, zero .bss,
 *      call pmain(); if it returns, halt forever.
 *
 * APs:  SIPI with vector AP_SIPI_VECTOR starts them in real mode at the
 *   page AP_TRAMP_ROM_OFF of the ROM, seen through its alias below 1 MiB
 *   (CS = vector << 8, IP = 0)
 *   -> ap_entry16: load the GDT the boot CPU built, protected mode
 *   -> ap_entry32: take a stack slot with an atomic add, read the APIC ID,
 *      call ap_main(apic_id); if it returns, halt forever.
 *
 * All 16-bit code lives in that last ROM page, so the reset vector's near
 * jump stays short and the AP entry sits at a page boundary.
 */
#include "layout.h"

/* GDT descriptors as two 32-bit halves: base 0, limit 4 GiB, 4 KiB
 * granularity, 32-bit default size. */
#define DESC_LO_FLAT	0x0000FFFF	/* limit 15:0 = 0xFFFF, base 15:0 = 0 */
#define DESC_HI_CODE	0x00CF9A00	/* G D/B, limit 19:16 = F, P DPL0 code r/x */
#define DESC_HI_DATA	0x00CF9200	/* G D/B, limit 19:16 = F, P DPL0 data r/w */

#if AP_STACK_SIZE != 0x1000
#error "ap_entry32 computes stack tops with a shift by 12"
#endif

	.section .text16, "ax"
	.code16

/* --- AP start-up: must be the first bytes of the page ------------------- */
	.globl ap_entry16
ap_entry16:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds		/* DS base 0: the GDT pointer is low RAM */
	lgdtl	GDT_PTR_ADDR		/* the boot CPU built it before the SIPI */
	movl	%cr0, %eax
	orl	$1, %eax		/* CR0.PE */
	movl	%eax, %cr0
	ljmpl	$SEL_CODE, $ap_entry32	/* reload CS from the GDT: 32-bit now */

/* --- boot CPU, real mode ------------------------------------------------ */
bsp_entry16:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds		/* DS base 0: addresses below are physical */

	/* Descriptor 0: null. */
	movl	$0, GDT_ADDR + 0x00
	movl	$0, GDT_ADDR + 0x04
	/* Descriptor 1 (selector 0x08): flat 32-bit code. */
	movl	$DESC_LO_FLAT, GDT_ADDR + 0x08
	movl	$DESC_HI_CODE, GDT_ADDR + 0x0C
	/* Descriptor 2 (selector 0x10): flat data. */
	movl	$DESC_LO_FLAT, GDT_ADDR + 0x10
	movl	$DESC_HI_DATA, GDT_ADDR + 0x14
	/* lgdt operand: limit (3 descriptors * 8 - 1), then the base. */
	movw	$(3 * 8 - 1), GDT_PTR_ADDR
	movl	$GDT_ADDR, GDT_PTR_ADDR + 2

	lgdtl	GDT_PTR_ADDR
	movl	%cr0, %eax
	orl	$1, %eax		/* CR0.PE */
	movl	%eax, %cr0
	ljmpl	$SEL_CODE, $bsp_entry32

/* --- reset vector: the CPU's first instruction, 16 bytes before 4 GiB --- */
	.section .reset, "ax"
	.code16
	.globl reset_vector
reset_vector:
	jmp	bsp_entry16		/* near jump inside the 64 KiB CS */
	/* the linker pads this section to exactly 16 bytes */

/* --- 32-bit protected mode, flat segments -------------------------------- */
	.text
	.code32

bsp_entry32:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$BSP_STACK_TOP, %esp

	/* Copy the initialised data from its ROM image to RAM. */
	movl	$__data_lma, %esi
	movl	$__data_start, %edi
	movl	$__data_end, %ecx
	subl	%edi, %ecx
	rep movsb

	/* Zero .bss (this also resets the AP stack allocator). */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb

	call	pmain
	jmp	halt_forever

ap_entry32:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs

	/* Stack slot number = old value of ap_stack_next (atomic). */
	movl	$1, %eax
	lock xaddl %eax, ap_stack_next
	cmpl	$AP_STACK_COUNT, %eax
	jae	halt_forever		/* out of stacks: stay parked */
	incl	%eax			/* top of slot n = base + (n + 1) * size */
	shll	$12, %eax		/* AP_STACK_SIZE is 4 KiB */
	addl	$AP_STACK_BASE, %eax
	movl	%eax, %esp

	movl	LAPIC_BASE + LAPIC_ID, %eax
	shrl	$24, %eax		/* xAPIC ID is bits 31:24 */
	subl	$12, %esp		/* keep the i386 ABI's 16-byte alignment */
	pushl	%eax
	call	ap_main
	/* fall through */

	.globl halt_forever
halt_forever:
	cli
	hlt
	jmp	halt_forever

	.bss
	.balign 4
ap_stack_next:
	.long	0

	.section .note.GNU-stack, "", @progbits
