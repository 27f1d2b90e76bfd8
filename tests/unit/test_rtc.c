/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the MC146818 RTC/CMOS model (devices/chip/rtc.c) with a
 * controlled time source.  Single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "rtc.h"
#include "test.h"

/* 2024-02-29 13:45:56 UTC, a Thursday. */
#define T0 ((time_t)1709214356)
#define NS 1000000000LL

/* The fake clock: fake_now seconds and fake_sub nanoseconds. */
static time_t fake_now;
static int64_t fake_sub;

static int64_t
fake_time(void *arg)
{
	(void)arg;
	return (int64_t)fake_now * NS + fake_sub;
}

/* Set the fake clock to t nanoseconds since the epoch. */
static void
set_ns(int64_t t)
{
	fake_now = (time_t)(t / NS);
	fake_sub = t % NS;
	if (fake_sub < 0) {
		fake_sub += NS;
		fake_now--;
	}
}

static struct rtc *
mk_utc(time_t t)
{
	fake_now = t;
	fake_sub = 0;
	return rtc_new(fake_time, NULL, false);
}

TEST(bcd_24h)
{
	struct rtc *r = mk_utc(T0);

	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x56);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x45);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x13);
	CHECK_EQ(rtc_reg_read(r, RTC_DOW), 5); /* Sunday = 1 */
	CHECK_EQ(rtc_reg_read(r, RTC_DAY), 0x29);
	CHECK_EQ(rtc_reg_read(r, RTC_MONTH), 0x02);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x24);
	CHECK_EQ(rtc_reg_read(r, RTC_CENTURY), 0x20);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_A), 0x26);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_B), RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_D), RTC_D_VRT);
	/* The clock runs. */
	fake_now = T0 + 4;
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x00);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x46);
	rtc_free(r);
}

TEST(binary_and_12h)
{
	struct rtc *r = mk_utc(T0);

	rtc_reg_write(r, RTC_REG_B, RTC_B_DM | RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 56);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 45);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 13);
	CHECK_EQ(rtc_reg_read(r, RTC_DAY), 29);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 24);
	CHECK_EQ(rtc_reg_read(r, RTC_CENTURY), 20);
	/* 12-hour binary: 1 PM = 0x80 | 1. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_DM);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x81);
	/* 12-hour BCD. */
	rtc_reg_write(r, RTC_REG_B, 0);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x81);
	fake_now = T0 - 13 * 3600 - 45 * 60; /* 00:00:56: 12 AM */
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x12);
	fake_now += 12 * 3600; /* 12:00:56: 12 PM */
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x92);
	fake_now += 11 * 3600 - 1; /* 23:00:55: 11 PM */
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x91);
	fake_now -= 12 * 3600; /* 11 AM */
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x11);
	/* 12-hour time written as PM: hour 0x89 = 9 PM = 21 in 24h. */
	rtc_reg_write(r, RTC_HOUR, 0x89);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x21);
	rtc_free(r);
}

TEST(set_freezes_and_latches)
{
	struct rtc *r = mk_utc(T0);

	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET | RTC_B_UIE);
	/* SET clears UIE. */
	CHECK_EQ(rtc_reg_read(r, RTC_REG_B), RTC_B_24H | RTC_B_SET);
	fake_now = T0 + 10;
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x56); /* frozen */
	CHECK_EQ(rtc_reg_read(r, RTC_REG_A) & RTC_A_UIP, 0);
	/* 1999-12-31 23:59:58, BCD. */
	rtc_reg_write(r, RTC_SEC, 0x58);
	rtc_reg_write(r, RTC_MIN, 0x59);
	rtc_reg_write(r, RTC_HOUR, 0x23);
	rtc_reg_write(r, RTC_DAY, 0x31);
	rtc_reg_write(r, RTC_MONTH, 0x12);
	rtc_reg_write(r, RTC_YEAR, 0x99);
	rtc_reg_write(r, RTC_CENTURY, 0x19);
	rtc_reg_write(r, RTC_DOW, 0x07);
	/* Latched values read back while SET. */
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x58);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x99);
	CHECK_EQ(rtc_reg_read(r, RTC_DOW), 0x07);
	fake_now = T0 + 100; /* still frozen, whatever the host does */
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x59);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x58);
	CHECK_EQ(rtc_reg_read(r, RTC_CENTURY), 0x19);
	CHECK_EQ(rtc_reg_read(r, RTC_DOW), 6); /* Friday, computed */
	/* And it runs from there, over the century. */
	fake_now += 3;
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x01);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x00);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x00);
	CHECK_EQ(rtc_reg_read(r, RTC_DAY), 0x01);
	CHECK_EQ(rtc_reg_read(r, RTC_MONTH), 0x01);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x00);
	CHECK_EQ(rtc_reg_read(r, RTC_CENTURY), 0x20);
	CHECK_EQ(rtc_reg_read(r, RTC_DOW), 7); /* Saturday */
	rtc_free(r);
}

TEST(set_in_binary_mode)
{
	struct rtc *r = mk_utc(T0);

	/* Switch to binary in the same write that sets SET. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_SET | RTC_B_DM | RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 56);
	rtc_reg_write(r, RTC_YEAR, 28);
	rtc_reg_write(r, RTC_HOUR, 7);
	rtc_reg_write(r, RTC_REG_B, RTC_B_DM | RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 28);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 7);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 45);
	CHECK_EQ(rtc_reg_read(r, RTC_DAY), 29);
	/* Feb 29 of 2030 does not exist: the set is refused. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_SET | RTC_B_DM | RTC_B_24H);
	rtc_reg_write(r, RTC_YEAR, 30);
	rtc_reg_write(r, RTC_REG_B, RTC_B_DM | RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 28);
	rtc_free(r);
}

TEST(invalid_set_keeps_time)
{
	struct rtc *r = mk_utc(T0);

	/* Bad BCD digit. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET);
	rtc_reg_write(r, RTC_SEC, 0x5A);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x56);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x45);
	/* February 30th. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET);
	rtc_reg_write(r, RTC_DAY, 0x30);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_DAY), 0x29);
	/* 2100-02-29 does not exist; 2000-02-29 does. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET);
	rtc_reg_write(r, RTC_CENTURY, 0x21);
	rtc_reg_write(r, RTC_YEAR, 0x00);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x24);
	CHECK_EQ(rtc_reg_read(r, RTC_CENTURY), 0x20);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET);
	rtc_reg_write(r, RTC_YEAR, 0x00);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x00);
	CHECK_EQ(rtc_reg_read(r, RTC_DAY), 0x29);
	/* Hour 24, month 13, hour 0 in 12h mode: all refused. */
	rtc_reg_write(r, RTC_HOUR, 0x24);
	rtc_reg_write(r, RTC_MONTH, 0x13);
	rtc_reg_write(r, RTC_REG_B, 0);
	rtc_reg_write(r, RTC_HOUR, 0x00);
	rtc_reg_write(r, RTC_HOUR, 0x13);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x13);
	CHECK_EQ(rtc_reg_read(r, RTC_MONTH), 0x02);
	/* Binary value out of range. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_DM);
	rtc_reg_write(r, RTC_MIN, 60);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 45);
	rtc_free(r);
}

TEST(write_without_set)
{
	struct rtc *r = mk_utc(T0);

	rtc_reg_write(r, RTC_MIN, 0x10);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x10);
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x56);
	fake_now += 60;
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x11);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x13);
	rtc_free(r);
}

TEST(reg_c_flags)
{
	struct rtc *r = mk_utc(T0);

	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), 0); /* no time passed */
	fake_now += 1;
	/* UF without UIE: no IRQF.  PF: rate 6 selected at reset. */
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF | RTC_C_PF);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), 0); /* cleared on read */
	rtc_reg_write(r, RTC_REG_A, 0x20);	 /* no periodic rate */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	fake_now += 1;
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), 0);

	/* Alarm at 13:46:10 (now 13:45:58). */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	rtc_reg_write(r, RTC_HOUR_ALARM, 0x13);
	rtc_reg_write(r, RTC_MIN_ALARM, 0x46);
	rtc_reg_write(r, RTC_SEC_ALARM, 0x10);
	fake_now += 5;
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF);
	fake_now += 10; /* passes 13:46:10 */
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	fake_now += 10;
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF);
	/* Don't-care hour and minute: matches at second 10 of any minute. */
	rtc_reg_write(r, RTC_HOUR_ALARM, 0xC0);
	rtc_reg_write(r, RTC_MIN_ALARM, 0xFF);
	fake_now += 50;
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* A long gap with a fully specified alarm still finds it. */
	rtc_reg_write(r, RTC_HOUR_ALARM, 0x03);
	rtc_reg_write(r, RTC_MIN_ALARM, 0x00);
	rtc_reg_write(r, RTC_SEC_ALARM, 0x00);
	fake_now += 3 * 86400;
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* Invalid alarm byte never matches. */
	rtc_reg_write(r, RTC_SEC_ALARM, 0x7A);
	fake_now += 86400;
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF);
	/* No update cycles while SET. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET);
	fake_now += 5;
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), 0);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), 0);
	/* REG_C and REG_D ignore writes. */
	rtc_reg_write(r, RTC_REG_C, 0xFF);
	rtc_reg_write(r, RTC_REG_D, 0x00);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), 0);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_D), 0x80);
	rtc_free(r);
}

TEST(uip)
{
	struct rtc *r = mk_utc(T0);
	unsigned i;

	CHECK_EQ(rtc_reg_read(r, RTC_REG_A), 0x26);
	fake_now += 1;
	CHECK_EQ(rtc_reg_read(r, RTC_REG_A), 0x26 | RTC_A_UIP);
	for (i = 0; i < 5; i++)
		CHECK_EQ(rtc_reg_read(r, RTC_REG_A), 0x26);
	/* UIP is read-only; the rest is stored. */
	rtc_reg_write(r, RTC_REG_A, 0xFF);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_A), 0x7F);
	rtc_free(r);
}

TEST(cmos_memory_sizes)
{
	struct rtc *r = mk_utc(T0);
	unsigned i, sum;

	/* 256 MiB, no highmem. */
	rtc_set_memsize(r, 256ULL << 20, 0);
	CHECK_EQ(rtc_reg_read(r, 0x15), 0x80); /* 640 KiB */
	CHECK_EQ(rtc_reg_read(r, 0x16), 0x02);
	CHECK_EQ(rtc_reg_read(r, 0x17), 0x00); /* capped: 63 MiB = 0xFC00 */
	CHECK_EQ(rtc_reg_read(r, 0x18), 0xFC);
	CHECK_EQ(rtc_reg_read(r, 0x30), 0x00);
	CHECK_EQ(rtc_reg_read(r, 0x31), 0xFC);
	CHECK_EQ(rtc_reg_read(r, 0x34), 0x00); /* 240 MiB / 64 KiB = 0x0F00 */
	CHECK_EQ(rtc_reg_read(r, 0x35), 0x0F);
	CHECK_EQ(rtc_reg_read(r, 0x5B), 0);
	CHECK_EQ(rtc_reg_read(r, 0x5C), 0);
	CHECK_EQ(rtc_reg_read(r, 0x5D), 0);
	for (sum = 0, i = 0x10; i <= 0x2D; i++)
		sum += rtc_reg_read(r, i);
	CHECK_EQ(rtc_reg_read(r, 0x2E) << 8 | rtc_reg_read(r, 0x2F), sum);

	/* 8 MiB: 7 MiB extended, nothing above 16 MiB. */
	rtc_set_memsize(r, 8ULL << 20, 0);
	CHECK_EQ(rtc_reg_read(r, 0x17) | rtc_reg_read(r, 0x18) << 8, 7 * 1024);
	CHECK_EQ(rtc_reg_read(r, 0x34) | rtc_reg_read(r, 0x35) << 8, 0);

	/* 3 GiB low, 5 GiB high. */
	rtc_set_memsize(r, 3ULL << 30, 5ULL << 30);
	CHECK_EQ(rtc_reg_read(r, 0x34) | rtc_reg_read(r, 0x35) << 8, 0xBF00);
	CHECK_EQ(rtc_reg_read(r, 0x5B), 0x00); /* 5 GiB / 64 KiB = 0x14000 */
	CHECK_EQ(rtc_reg_read(r, 0x5C), 0x40);
	CHECK_EQ(rtc_reg_read(r, 0x5D), 0x01);

	/* Tiny and huge values are clamped. */
	rtc_set_memsize(r, 512ULL << 10, 2ULL << 40);
	CHECK_EQ(rtc_reg_read(r, 0x15) | rtc_reg_read(r, 0x16) << 8, 512);
	CHECK_EQ(rtc_reg_read(r, 0x17) | rtc_reg_read(r, 0x18) << 8, 0);
	CHECK_EQ(rtc_reg_read(r, 0x5B), 0xFF);
	CHECK_EQ(rtc_reg_read(r, 0x5C), 0xFF);
	CHECK_EQ(rtc_reg_read(r, 0x5D), 0xFF);
	rtc_set_memsize(r, UINT64_MAX, UINT64_MAX);
	CHECK_EQ(rtc_reg_read(r, 0x34) | rtc_reg_read(r, 0x35) << 8, 0xFFFF);
	rtc_free(r);
}

TEST(ports_and_hostile_indices)
{
	struct rtc *r = mk_utc(T0);
	unsigned i;

	/* NMI bit in the index is ignored. */
	rtc_io_write(r, 0, 0x80 | RTC_HOUR);
	CHECK_EQ(rtc_io_read(r, 1), 0x13);
	CHECK_EQ(rtc_io_read(r, 0), 0xFF);
	/* Plain CMOS bytes, written and read through the ports. */
	rtc_io_write(r, 0, 0xFF); /* index 0x7F */
	rtc_io_write(r, 1, 0xA5);
	CHECK_EQ(rtc_reg_read(r, 0x7F), 0xA5);
	CHECK_EQ(rtc_io_read(r, 1), 0xA5);
	rtc_io_write(r, 0, 0x40);
	rtc_io_write(r, 1, 0x11);
	CHECK_EQ(rtc_io_read(r, 1), 0x11);
	/* Out-of-range offsets and indices. */
	for (i = 2; i < 1000; i += 7) {
		rtc_io_write(r, i, 0x00);
		CHECK_EQ(rtc_io_read(r, i), 0xFF);
	}
	for (i = 128; i < 100000; i += 997) {
		rtc_reg_write(r, i, 0x12);
		CHECK_EQ(rtc_reg_read(r, i), 0xFF);
	}
	rtc_reg_write(r, 0xFFFFFFFFu, 0);
	CHECK_EQ(rtc_reg_read(r, 0xFFFFFFFFu), 0xFF);
	CHECK_EQ(rtc_reg_read(r, 0x7F), 0xA5);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_B), RTC_B_24H);
	/* Every index through the port, with every value: no crash. */
	for (i = 0; i < 256; i++) {
		rtc_io_write(r, 0, (uint8_t)i);
		rtc_io_write(r, 1, (uint8_t)(i * 37));
		(void)rtc_io_read(r, 1);
	}
	rtc_free(r);
}

TEST(localtime)
{
	struct rtc *r;

	/* A fixed zone five hours west of UTC, no DST. */
	setenv("TZ", "EST5", 1);
	tzset();
	fake_now = T0;
	fake_sub = 0;
	r = rtc_new(fake_time, NULL, true);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x08);
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x45);
	/* Setting the clock is in local time too. */
	rtc_reg_write(r, RTC_HOUR, 0x02);
	fake_now += 3600;
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x03);
	rtc_free(r);
	r = rtc_new(fake_time, NULL, false);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x14);
	rtc_free(r);
}

TEST(date_arithmetic)
{
	struct rtc *r;
	/* 1970-01-01 00:00:00 Thursday; 1969-12-31 23:59:59 Wednesday. */
	r = mk_utc(0);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x70);
	CHECK_EQ(rtc_reg_read(r, RTC_CENTURY), 0x19);
	CHECK_EQ(rtc_reg_read(r, RTC_DOW), 5);
	fake_now = -1;
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x59);
	CHECK_EQ(rtc_reg_read(r, RTC_HOUR), 0x23);
	CHECK_EQ(rtc_reg_read(r, RTC_DAY), 0x31);
	CHECK_EQ(rtc_reg_read(r, RTC_MONTH), 0x12);
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x69);
	CHECK_EQ(rtc_reg_read(r, RTC_DOW), 4);
	/* 2038-01-19 03:14:08 (past 32-bit time_t). */
	fake_now = (time_t)2147483648LL;
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x38);
	CHECK_EQ(rtc_reg_read(r, RTC_MONTH), 0x01);
	CHECK_EQ(rtc_reg_read(r, RTC_DAY), 0x19);
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x08);
	/* Guest sets 9999-12-31 and it rolls to year 0 of century 0. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET);
	rtc_reg_write(r, RTC_CENTURY, 0x99);
	rtc_reg_write(r, RTC_YEAR, 0x99);
	rtc_reg_write(r, RTC_MONTH, 0x12);
	rtc_reg_write(r, RTC_DAY, 0x31);
	rtc_reg_write(r, RTC_HOUR, 0x23);
	rtc_reg_write(r, RTC_MIN, 0x59);
	rtc_reg_write(r, RTC_SEC, 0x59);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	fake_now += 1;
	CHECK_EQ(rtc_reg_read(r, RTC_YEAR), 0x00);
	CHECK_EQ(rtc_reg_read(r, RTC_CENTURY), 0x00);
	CHECK_EQ(rtc_reg_read(r, RTC_MONTH), 0x01);
	rtc_free(r);
}

/* --- interrupts -------------------------------------------------------- */

static int64_t
now_ns(void)
{
	return fake_time(NULL);
}

/* rtc_update() at fake time t (ns). */
static bool
update_at(struct rtc *r, int64_t t)
{
	set_ns(t);
	return rtc_update(r, t);
}

TEST(uf_interrupt_each_second)
{
	struct rtc *r = mk_utc(T0);
	int i, edges;

	rtc_reg_write(r, RTC_REG_A, 0x20); /* no periodic rate */
	CHECK_EQ(rtc_next_event(r, now_ns()), -1); /* nothing enabled */
	/* UF accumulates without UIE, but raises nothing. */
	CHECK(!update_at(r, (T0 + 1) * NS));
	CHECK(!update_at(r, (T0 + 2) * NS + 5));
	CHECK_EQ(rtc_next_event(r, now_ns()), -1);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF);
	/* With UIE: one edge at each second boundary, not before. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	CHECK(!rtc_update(r, now_ns()));
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 3) * NS);
	CHECK(!update_at(r, (T0 + 3) * NS - 1));
	CHECK(update_at(r, (T0 + 3) * NS));
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	CHECK(!rtc_update(r, now_ns()));
	for (edges = 0, i = 0; i < 10; i++) {
		int64_t t = rtc_next_event(r, now_ns());

		CHECK_EQ(t, (T0 + 4 + i) * NS);
		if (update_at(r, t))
			edges++;
		CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	}
	CHECK_EQ(edges, 10);
	/* UF pending when UIE is turned on: the line rises at once. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK(!update_at(r, (T0 + 15) * NS));
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	CHECK(rtc_update(r, now_ns()));
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	/* While SET there are no update cycles, so nothing to wait for. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET | RTC_B_UIE);
	CHECK_EQ(rtc_next_event(r, now_ns()), -1);
	CHECK(!update_at(r, (T0 + 20) * NS));
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), 0);
	/* A clock set 0.3 s into a host second starts its second then. */
	set_ns((T0 + 20) * NS + 300000000);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 21) * NS + 300000000);
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x11); /* as latched at T0+15 */
	CHECK(!update_at(r, (T0 + 21) * NS + 299999999));
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x11);
	CHECK(update_at(r, (T0 + 21) * NS + 300000000));
	CHECK_EQ(rtc_reg_read(r, RTC_SEC), 0x12);
	rtc_free(r);
}

TEST(af_at_alarm_second)
{
	struct rtc *r = mk_utc(T0); /* 13:45:56 */

	rtc_reg_write(r, RTC_REG_A, 0x20);
	rtc_reg_write(r, RTC_HOUR_ALARM, 0x13);
	rtc_reg_write(r, RTC_MIN_ALARM, 0x46);
	rtc_reg_write(r, RTC_SEC_ALARM, 0x00);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 4) * NS);
	CHECK(!update_at(r, (T0 + 4) * NS - 1));
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF); /* no AF yet */
	CHECK(update_at(r, (T0 + 4) * NS));
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* The same time tomorrow. */
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 4 + 86400) * NS);
	/* Don't-care hour and minute: second 30 of every minute. */
	rtc_reg_write(r, RTC_HOUR_ALARM, 0xC0);
	rtc_reg_write(r, RTC_MIN_ALARM, 0xFF);
	rtc_reg_write(r, RTC_SEC_ALARM, 0x30);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 34) * NS);
	CHECK(update_at(r, (T0 + 34) * NS));
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 94) * NS);
	/* Don't-care second: every second of 13:47. */
	rtc_reg_write(r, RTC_MIN_ALARM, 0x47);
	rtc_reg_write(r, RTC_SEC_ALARM, 0xC0);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 64) * NS);
	CHECK(update_at(r, (T0 + 64) * NS));
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 65) * NS);
	update_at(r, (T0 + 123) * NS); /* 13:47:59 */
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* 13:48:00 does not match: next at 14:47:00. */
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 124 + 3540) * NS);
	/* Any hour, minute 10, second 5: 14:10:05; minute 47 second 59 is
	 * past in this hour too: 14:47:59. */
	rtc_reg_write(r, RTC_MIN_ALARM, 0x10);
	rtc_reg_write(r, RTC_SEC_ALARM, 0x05);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 4 + 1445) * NS);
	rtc_reg_write(r, RTC_MIN_ALARM, 0x47);
	rtc_reg_write(r, RTC_SEC_ALARM, 0x59);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 123 + 3600) * NS);
	/* An hour already past today: tomorrow at 03:00:00. */
	rtc_reg_write(r, RTC_HOUR_ALARM, 0x03);
	rtc_reg_write(r, RTC_MIN_ALARM, 0x00);
	rtc_reg_write(r, RTC_SEC_ALARM, 0x00);
	CHECK_EQ(rtc_next_event(r, now_ns()),
	    (T0 - (13 * 3600 + 45 * 60 + 56) + 86400 + 3 * 3600) * NS);
	/* 12-hour binary mode: 1 PM is 0x81. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_DM | RTC_B_AIE);
	rtc_reg_write(r, RTC_HOUR_ALARM, 0x81);
	rtc_reg_write(r, RTC_MIN_ALARM, 59);
	rtc_reg_write(r, RTC_SEC_ALARM, 0);
	CHECK_EQ(rtc_next_event(r, now_ns()), (T0 + 4 + 13 * 60) * NS);
	/* A byte no time shows (second 60): never, so nothing to wait for. */
	rtc_reg_write(r, RTC_SEC_ALARM, 60);
	CHECK_EQ(rtc_next_event(r, now_ns()), -1);
	update_at(r, (T0 + 3 * 86400) * NS);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF);
	rtc_free(r);
}

/* Edges in the second after fake time `from` (whole seconds), the guest
 * reading REG_C at each: waits through rtc_next_event. */
static int
periodic_edges(struct rtc *r, int64_t from, int64_t *first, int64_t *last)
{
	int64_t t;
	int n = 0;

	*first = *last = -1;
	set_ns(from);
	(void)rtc_update(r, from);
	(void)rtc_reg_read(r, RTC_REG_C);
	while ((t = rtc_next_event(r, now_ns())) >= 0 && t <= from + NS &&
	    n <= 20000) {
		CHECK(t > now_ns());
		if (!update_at(r, t)) {
			CHECK(false);
			break;
		}
		CHECK_EQ(rtc_reg_read(r, RTC_REG_C) & (RTC_C_IRQF | RTC_C_PF),
		    RTC_C_IRQF | RTC_C_PF);
		if (*first < 0)
			*first = t;
		*last = t;
		n++;
	}
	return n;
}

TEST(pf_at_programmed_rate)
{
	static const int rate[16] = { 0, 256, 128, 8192, 4096, 2048, 1024,
		512, 256, 128, 64, 32, 16, 8, 4, 2 };
	struct rtc *r = mk_utc(T0);
	int64_t first, last;
	unsigned rs;

	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	/* Power-on REG_A 0x26: 1024 Hz, 976562.5 ns apart, the last on the
	 * second boundary. */
	CHECK_EQ(periodic_edges(r, T0 * NS, &first, &last), 1024);
	CHECK_EQ(first, T0 * NS + 976563);
	CHECK_EQ(last, (T0 + 1) * NS);
	for (rs = 0; rs < 16; rs++) {
		rtc_reg_write(r, RTC_REG_A, (uint8_t)(0x20 | rs));
		CHECK_EQ(periodic_edges(r, (T0 + 10 + rs) * NS, &first, &last),
		    rate[rs]);
	}
	/* RS 0 or a stopped divider: no PF however long (UF, yes). */
	rtc_reg_write(r, RTC_REG_A, 0x20);
	CHECK_EQ(rtc_next_event(r, now_ns()), -1);
	update_at(r, (T0 + 100) * NS);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF);
	rtc_reg_write(r, RTC_REG_A, 0x66); /* divider held in reset */
	CHECK_EQ(rtc_next_event(r, now_ns()), -1);
	update_at(r, (T0 + 200) * NS);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF);
	rtc_reg_write(r, RTC_REG_A, 0x06); /* DV 000: not running */
	update_at(r, (T0 + 300) * NS);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_UF);
	/* The clock runs on whatever the divider does. */
	CHECK_EQ(rtc_reg_read(r, RTC_MIN), 0x50);
	/* PF is set without PIE, and only raises the line with it. */
	rtc_reg_write(r, RTC_REG_A, 0x2F); /* 2 Hz */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK(!update_at(r, (T0 + 300) * NS + NS / 2));
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_PF); /* mid-second: no UF */
	rtc_free(r);
}

TEST(edge_once_until_reg_c)
{
	struct rtc *r = mk_utc(T0);
	int64_t t;
	int i;

	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_PIE);
	t = rtc_next_event(r, now_ns());
	CHECK_EQ(t, T0 * NS + 976563); /* the first 1024 Hz tick */
	CHECK(update_at(r, t));
	/* The line stays up: no new edge, nothing to wait for. */
	CHECK_EQ(rtc_next_event(r, now_ns()), -1);
	for (i = 1; i <= 100; i++)
		CHECK(!update_at(r, t + i * (NS / 10)));
	CHECK_EQ(rtc_next_event(r, now_ns()), -1);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_PF | RTC_C_UF);
	CHECK(!rtc_update(r, now_ns()));
	t = rtc_next_event(r, now_ns());
	CHECK(t > now_ns() && t <= now_ns() + NS / 1024 + 1);
	CHECK(update_at(r, t));
	/* Clearing the enables drops the line; setting them raises it. */
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H);
	CHECK(!rtc_update(r, now_ns()));
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	CHECK(rtc_update(r, now_ns()));
	CHECK(!rtc_update(r, now_ns()));
	/* The host clock going back: flags count again from there. */
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
	CHECK(!update_at(r, (T0 - 3600) * NS));
	t = rtc_next_event(r, now_ns());
	CHECK(t > now_ns() && t <= now_ns() + NS / 1024 + 1);
	CHECK(update_at(r, t));
	rtc_free(r);
}

TEST(hostile_bounded)
{
	struct rtc *r = mk_utc(T0);
	int64_t t, n, base;
	clock_t c0;
	unsigned a, b;
	int edges = 0;

	c0 = clock();
	/* Every interrupt on at 8192 Hz, and the guest never reads REG_C:
	 * one edge, then nothing to wait for, for ten hours. */
	rtc_reg_write(r, RTC_REG_A, 0x23);
	rtc_reg_write(r, RTC_SEC_ALARM, 0xC0);
	rtc_reg_write(r, RTC_MIN_ALARM, 0xC0);
	rtc_reg_write(r, RTC_HOUR_ALARM, 0xC0);
	rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_AIE |
	    RTC_B_PIE);
	CHECK_EQ(rtc_next_event(r, now_ns()), T0 * NS + 122071);
	for (t = T0 * NS + 122071; t < (T0 + 36000) * NS; t += 60 * NS + 12345) {
		if (update_at(r, t))
			edges++;
		CHECK_EQ(rtc_next_event(r, t), -1);
	}
	CHECK_EQ(edges, 1);
	CHECK_EQ(rtc_reg_read(r, RTC_REG_C), RTC_C_IRQF | RTC_C_PF |
	    RTC_C_AF | RTC_C_UF);
	/* Gaps of up to a century of host time, forwards and back. */
	for (n = 0; n < 2000; n++) {
		t = T0 * NS + (n & 1 ? n * 2000000000000000LL :
		    -n * 1000000000000000LL) + n;
		(void)update_at(r, t);
		(void)rtc_reg_read(r, RTC_REG_C);
		(void)rtc_next_event(r, now_ns());
	}
	/* The guest sets the clock to 9999, to 1900, to 2000, to 9999. */
	{
		static const uint8_t cc[] = { 0x99, 0x19, 0x20, 0x99 };
		unsigned i;

		for (i = 0; i < sizeof(cc); i++) {
			rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_SET);
			rtc_reg_write(r, RTC_CENTURY, cc[i]);
			rtc_reg_write(r, RTC_YEAR, 0x99);
			rtc_reg_write(r, RTC_MONTH, 0x12);
			rtc_reg_write(r, RTC_DAY, 0x31);
			rtc_reg_write(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
			CHECK_EQ(rtc_reg_read(r, RTC_CENTURY), cc[i]);
			CHECK_EQ(rtc_next_event(r, now_ns()), now_ns() + NS);
			CHECK(!update_at(r, now_ns() + NS - 1));
			CHECK(update_at(r, now_ns() + 1));
			(void)rtc_reg_read(r, RTC_REG_C);
		}
	}
	/* Every REG_A and REG_B value, every alarm kind, time moving on:
	 * the next event is never in the past and at most two days away. */
	base = now_ns();
	for (a = 0; a < 256; a++) {
		rtc_reg_write(r, RTC_SEC_ALARM, (uint8_t)(a * 7));
		rtc_reg_write(r, RTC_MIN_ALARM, (uint8_t)(a * 13));
		rtc_reg_write(r, RTC_HOUR_ALARM, (uint8_t)a);
		for (b = 0; b < 256; b++) {
			set_ns(base + (int64_t)(a * 256 + b) * 7777777);
			rtc_reg_write(r, RTC_REG_A, (uint8_t)a);
			rtc_reg_write(r, RTC_REG_B, (uint8_t)b);
			(void)rtc_update(r, now_ns());
			t = rtc_next_event(r, now_ns());
			CHECK(t == -1 || (t > now_ns() &&
			    t <= now_ns() + 2 * 86400 * NS));
			if (b % 3 == 0)
				(void)rtc_reg_read(r, RTC_REG_C);
		}
	}
	/* All of it in well under a second of CPU, sanitizers included. */
	CHECK((double)(clock() - c0) / CLOCKS_PER_SEC < 2.0);
	rtc_free(r);
}

int
main(void)
{
	RUN(bcd_24h);
	RUN(binary_and_12h);
	RUN(set_freezes_and_latches);
	RUN(set_in_binary_mode);
	RUN(invalid_set_keeps_time);
	RUN(write_without_set);
	RUN(reg_c_flags);
	RUN(uip);
	RUN(cmos_memory_sizes);
	RUN(ports_and_hostile_indices);
	RUN(localtime);
	RUN(date_arithmetic);
	RUN(uf_interrupt_each_second);
	RUN(af_at_alarm_second);
	RUN(pf_at_programmed_rate);
	RUN(edge_once_until_reg_c);
	RUN(hostile_bounded);
	TEST_SUMMARY();
}
