/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MC146818 real-time clock with 128 bytes of CMOS memory, as a pure state
 * machine.  The time comes from an injected callback (tests control it);
 * no timers, no file descriptors, no locks: the caller serialises all
 * calls on one instance (the ISA glue holds a mutex; vCPU threads and the
 * event-loop thread call it) and drives the interrupt line (IRQ 8) from
 * rtc_update() and rtc_next_event().
 *
 * Model:
 *  - The guest's clock is the host clock (UTC or local time, chosen at
 *    creation) plus an offset that changes when the guest sets the time.
 *    Registers 0-9 and the century byte (0x32) are computed from it on
 *    every read, in BCD or binary (REG_B.DM) and 12 or 24 hour form
 *    (REG_B.24/12; 12-hour mode puts PM in bit 7 of the hour).
 *  - REG_B.SET freezes the registers: setting it latches the current time
 *    into them, guest writes then change only the latched bytes, and
 *    clearing SET makes the latched date and time the new clock (if the
 *    latched bytes are not a valid date/time in the current mode, the
 *    clock keeps its old value).  A time register written while SET is
 *    clear changes the clock at once the same way.  A new clock starts
 *    its second at that moment: its first update cycle comes one second
 *    later.  The day of the week is always computed from the date; writes
 *    to it are kept only while SET.
 *  - REG_A.UIP: reads 1 on the first REG_A read after each change of the
 *    second and 0 otherwise (and always 0 while SET): a reader that waits
 *    for UIP to clear waits at most one read, one that waits for a rising
 *    edge finds it at the second boundary.  The divider bits (DV) are
 *    stored and gate the periodic interrupt only; the clock never halts.
 *  - REG_C flags accumulate as time passes, whether or not their
 *    interrupt is enabled: UF at every update cycle (second boundary)
 *    while SET is clear; AF at an update cycle whose new time matches the
 *    alarm registers (alarm bytes with the top two bits set are "don't
 *    care"; a byte no time shows never matches); PF at every periodic
 *    tick, whose rate REG_A.RS selects when the divider runs normally
 *    (DV = 010): RS 0 none, 1 256 Hz, 2 128 Hz, 3-15 32768 >> (RS - 1) Hz,
 *    i.e. 8192 Hz down to 2 Hz, the ticks dividing each second evenly.
 *    IRQF is set while (flags & REG_B's PIE/AIE/UIE) is not zero.
 *    Reading REG_C returns the flags with IRQF and clears them all.
 *  - The IRQ pin is IRQF: it rises when IRQF becomes set and stays up
 *    until REG_C is read (or the enable bits are cleared).  rtc_update()
 *    reports each rise once, for the glue to pulse the edge-triggered ISA
 *    line.
 *  - Every call does a bounded amount of work whatever the guest wrote
 *    and however much time passed (flags are counted arithmetically).
 *  - REG_D reads 0x80 (valid RAM and time).  REG_C and REG_D ignore writes.
 *  - Bytes 0x0E-0x7F (except the century byte) are plain memory; the
 *    memory-size bytes a PC BIOS reads are set by rtc_set_memsize().
 */
#ifndef ZHYVE_RTC_H
#define ZHYVE_RTC_H

#include <stdbool.h>
#include <stdint.h>

#define RTC_NREGS 128

/* Register indices. */
#define RTC_SEC		0x00
#define RTC_SEC_ALARM	0x01
#define RTC_MIN		0x02
#define RTC_MIN_ALARM	0x03
#define RTC_HOUR	0x04
#define RTC_HOUR_ALARM	0x05
#define RTC_DOW		0x06	/* 1 = Sunday */
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0A
#define RTC_REG_B	0x0B
#define RTC_REG_C	0x0C
#define RTC_REG_D	0x0D
#define RTC_CENTURY	0x32

/* CMOS memory-size bytes (little-endian pairs/triples). */
#define RTC_BASEMEM_LO	0x15	/* KiB of base memory (640) */
#define RTC_EXTMEM_LO	0x17	/* KiB above 1 MiB, at most 63 MiB */
#define RTC_EXTMEM2_LO	0x30	/* the same, second copy */
#define RTC_MEM16M_LO	0x34	/* 64 KiB units between 16 MiB and lowmem */
#define RTC_HIGHMEM_LO	0x5B	/* 64 KiB units above 4 GiB, 3 bytes */
#define RTC_CKSUM_HI	0x2E	/* sum of bytes 0x10-0x2D */

/* REG_A */
#define RTC_A_UIP	0x80
/* REG_B */
#define RTC_B_SET	0x80
#define RTC_B_PIE	0x40
#define RTC_B_AIE	0x20
#define RTC_B_UIE	0x10
#define RTC_B_SQWE	0x08
#define RTC_B_DM	0x04	/* 1: binary, 0: BCD */
#define RTC_B_24H	0x02	/* 1: 24-hour */
#define RTC_B_DSE	0x01
/* REG_C */
#define RTC_C_IRQF	0x80
#define RTC_C_PF	0x40
#define RTC_C_AF	0x20
#define RTC_C_UF	0x10
/* REG_D */
#define RTC_D_VRT	0x80

/* The time source: nanoseconds since the Unix epoch (UTC). */
typedef int64_t rtc_time_fn(void *arg);

struct rtc;

/*
 * A chip at power-on: REG_A 0x26, REG_B 0x02 (24 hour, BCD), clock = host
 * time, shown as local time when use_localtime (bhyve's default) or as
 * UTC.  NULL only when out of memory.
 */
struct rtc *rtc_new(rtc_time_fn *now, void *arg, bool use_localtime);
void rtc_free(struct rtc *rtc);

/*
 * Fill the memory-size bytes from the RAM below the PCI hole (lowmem) and
 * above 4 GiB (highmem), in bytes, and the checksum at 0x2E/0x2F.  Values
 * too large for a field are clamped to its maximum.
 */
void rtc_set_memsize(struct rtc *rtc, uint64_t lowmem, uint64_t highmem);

/*
 * The two I/O ports: offset 0 is the index register (bit 7, the NMI mask
 * on a PC, is ignored; reads give 0xFF), offset 1 the data register for
 * the indexed byte.  Other offsets read 0xFF and ignore writes.
 */
uint8_t rtc_io_read(struct rtc *rtc, unsigned offset);
void rtc_io_write(struct rtc *rtc, unsigned offset, uint8_t val);

/* Direct access to register/byte idx (0..127; others read 0xFF and
 * ignore writes), with the same semantics as through the data port. */
uint8_t rtc_reg_read(struct rtc *rtc, unsigned idx);
void rtc_reg_write(struct rtc *rtc, unsigned idx, uint8_t val);

/*
 * Bring the flags up to host time now_ns (the time source's clock; a time
 * before the last one is taken as the host clock going back: flags count
 * from there).  True when the interrupt line rises: IRQF is set and was
 * not reported yet.  Reported once; again only after IRQF was cleared (by
 * reading REG_C, or by clearing the enable bits) and set once more.  Call
 * it after every register access and when rtc_next_event()'s time comes.
 */
bool rtc_update(struct rtc *rtc, int64_t now_ns);

/*
 * The host time (ns) at which an enabled flag is next set, after the
 * flags were brought up to now_ns by rtc_update(); -1 when no interrupt
 * can come by itself: none is enabled, or IRQF is already set (the line
 * stays up until REG_C is read, which is a register access).  Periodic
 * ticks come up to 8192 times a second: a caller may wait longer (the
 * flags are right whenever they are read).  Host times are after 1970.
 */
int64_t rtc_next_event(const struct rtc *rtc, int64_t now_ns);

#endif
