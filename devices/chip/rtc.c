/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MC146818 RTC + CMOS memory state machine (see rtc.h for the model).
 *
 * Threads: none of its own; called from vCPU threads (port I/O) and the
 * main thread (set-up), always under the caller's lock.
 *
 * Time is kept as "guest wall seconds": seconds since 1970-01-01 00:00 of
 * the wall clock the guest sees (UTC, or local time when use_localtime).
 * Broken-down dates are computed here with proleptic Gregorian arithmetic,
 * independent of the C library's time zone state.
 */
#include <stdlib.h>
#include <string.h>

#include "rtc.h"

#define SECS_PER_DAY 86400

struct rtc {
	rtc_time_fn *now;
	void *arg;
	bool localtime;

	uint8_t index;		 /* < RTC_NREGS */
	uint8_t ram[RTC_NREGS];	 /* time bytes here are used only while SET */
	int64_t delta;		 /* guest wall seconds - host wall seconds */
	int64_t flags_checked;	 /* guest seconds when REG_C flags were last computed */
	int64_t uip_second;	 /* second of the last REG_A read */
	uint8_t flags;		 /* pending REG_C flags (PF, AF, UF) */
};

struct rtc_tm {
	int64_t year;
	int mon;  /* 1-12 */
	int day;  /* 1-31 */
	int hour, min, sec;
	int wday; /* 0 = Sunday */
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_date(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = floor_div(y, 400);
	yoe = y - era * 400;				/* 0..399 */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0..146096 */
	return era * 146097 + doe - 719468;
}

static void
date_from_days(int64_t days, struct rtc_tm *tm)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
	tm->wday = (int)(days - floor_div(days + 4, 7) * 7 + 4) % 7;
}

static void
secs_to_tm(int64_t secs, struct rtc_tm *tm)
{
	int64_t days = floor_div(secs, SECS_PER_DAY);
	int64_t sod = secs - days * SECS_PER_DAY;

	date_from_days(days, tm);
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
}

static int
days_in_month(int64_t y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Host wall-clock seconds (local time when configured). */
static int64_t
host_wall(const struct rtc *rtc)
{
	time_t t = rtc->now(rtc->arg);
	int64_t w = (int64_t)t;
	struct tm ltm;

	if (rtc->localtime && localtime_r(&t, &ltm) != NULL)
		w += ltm.tm_gmtoff;
	return w;
}

static int64_t
guest_now(const struct rtc *rtc)
{
	return host_wall(rtc) + rtc->delta;
}

static bool
set_frozen(const struct rtc *rtc)
{
	return (rtc->ram[RTC_REG_B] & RTC_B_SET) != 0;
}

/* --- register encodings (BCD/binary, 12/24 hour) ---------------------- */

static uint8_t
enc(const struct rtc *rtc, int v)
{
	v %= 100;
	if (rtc->ram[RTC_REG_B] & RTC_B_DM)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* Decode a byte into 0..max; false if it is not a valid encoding. */
static bool
dec(const struct rtc *rtc, uint8_t b, int max, int *out)
{
	int v;

	if (rtc->ram[RTC_REG_B] & RTC_B_DM) {
		v = b;
	} else {
		if ((b & 0x0F) > 9 || (b >> 4) > 9)
			return false;
		v = (b >> 4) * 10 + (b & 0x0F);
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static uint8_t
enc_hour(const struct rtc *rtc, int h)
{
	int h12 = h % 12;

	if (rtc->ram[RTC_REG_B] & RTC_B_24H)
		return enc(rtc, h);
	return (uint8_t)(enc(rtc, h12 == 0 ? 12 : h12) | (h >= 12 ? 0x80 : 0));
}

static bool
dec_hour(const struct rtc *rtc, uint8_t b, int *out)
{
	int h;

	if (rtc->ram[RTC_REG_B] & RTC_B_24H)
		return dec(rtc, b, 23, out);
	if (!dec(rtc, b & 0x7F, 12, &h) || h == 0)
		return false;
	*out = h % 12 + ((b & 0x80) ? 12 : 0);
	return true;
}

static bool
is_time_reg(unsigned idx)
{
	switch (idx) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_DOW:
	case RTC_DAY: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		return true;
	}
	return false;
}

/* The encoded value of time register idx at guest second `secs`. */
static uint8_t
time_reg(const struct rtc *rtc, unsigned idx, int64_t secs)
{
	struct rtc_tm tm;

	secs_to_tm(secs, &tm);
	switch (idx) {
	case RTC_SEC:
		return enc(rtc, tm.sec);
	case RTC_MIN:
		return enc(rtc, tm.min);
	case RTC_HOUR:
		return enc_hour(rtc, tm.hour);
	case RTC_DOW:
		return enc(rtc, tm.wday + 1);
	case RTC_DAY:
		return enc(rtc, tm.day);
	case RTC_MONTH:
		return enc(rtc, tm.mon);
	case RTC_YEAR:
		return enc(rtc, (int)(tm.year % 100));
	default: /* RTC_CENTURY */
		return enc(rtc, (int)(tm.year / 100 % 100));
	}
}

/* Copy the current time into the time bytes of ram[]. */
static void
latch_time(struct rtc *rtc)
{
	static const unsigned regs[] = { RTC_SEC, RTC_MIN, RTC_HOUR, RTC_DOW,
		RTC_DAY, RTC_MONTH, RTC_YEAR, RTC_CENTURY };
	int64_t g = guest_now(rtc);
	size_t i;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		rtc->ram[regs[i]] = time_reg(rtc, regs[i], g);
}

/*
 * Make the time bytes of ram[] the clock.  Guest-written bytes are checked
 * field by field (range, BCD digits, day within the month); anything
 * invalid leaves the clock as it was.
 */
static void
commit_time(struct rtc *rtc)
{
	int sec, min, hour, day, mon, yy, cc;
	int64_t year, secs;

	if (!dec(rtc, rtc->ram[RTC_SEC], 59, &sec) ||
	    !dec(rtc, rtc->ram[RTC_MIN], 59, &min) ||
	    !dec_hour(rtc, rtc->ram[RTC_HOUR], &hour) ||
	    !dec(rtc, rtc->ram[RTC_MONTH], 12, &mon) || mon == 0 ||
	    !dec(rtc, rtc->ram[RTC_YEAR], 99, &yy) ||
	    !dec(rtc, rtc->ram[RTC_CENTURY], 99, &cc) ||
	    !dec(rtc, rtc->ram[RTC_DAY], 31, &day) || day == 0)
		return;
	year = (int64_t)cc * 100 + yy;
	if (day > days_in_month(year, mon))
		return;
	secs = days_from_date(year, mon, day) * SECS_PER_DAY +
	    hour * 3600 + min * 60 + sec;
	rtc->delta = secs - host_wall(rtc);
	/* Flags count update cycles of the new clock from now on. */
	rtc->flags_checked = secs;
	rtc->uip_second = secs;
}

/* --- REG_C flags ------------------------------------------------------- */

static bool
alarm_field_match(uint8_t alarm, uint8_t now)
{
	return (alarm & 0xC0) == 0xC0 || alarm == now;
}

static bool
alarm_match(const struct rtc *rtc, int64_t secs)
{
	int64_t sod = secs - floor_div(secs, SECS_PER_DAY) * SECS_PER_DAY;

	return alarm_field_match(rtc->ram[RTC_SEC_ALARM], enc(rtc, (int)(sod % 60))) &&
	    alarm_field_match(rtc->ram[RTC_MIN_ALARM], enc(rtc, (int)(sod / 60 % 60))) &&
	    alarm_field_match(rtc->ram[RTC_HOUR_ALARM], enc_hour(rtc, (int)(sod / 3600)));
}

/* Account for the update cycles since the flags were last computed. */
static void
update_flags(struct rtc *rtc)
{
	int64_t g, n, s;

	if (set_frozen(rtc))
		return; /* no update cycles while SET */
	g = guest_now(rtc);
	if (g > rtc->flags_checked) {
		rtc->flags |= RTC_C_UF;
		if (rtc->ram[RTC_REG_A] & 0x0F)
			rtc->flags |= RTC_C_PF;
		/* The alarm pattern repeats daily: look at one day at most. */
		n = g - rtc->flags_checked;
		if (n > SECS_PER_DAY)
			n = SECS_PER_DAY;
		for (s = g - n + 1; s <= g; s++) {
			if (alarm_match(rtc, s)) {
				rtc->flags |= RTC_C_AF;
				break;
			}
		}
	}
	rtc->flags_checked = g; /* also when the host clock went back */
}

/* --- register access --------------------------------------------------- */

uint8_t
rtc_reg_read(struct rtc *rtc, unsigned idx)
{
	uint8_t v;
	int64_t g;

	if (idx >= RTC_NREGS)
		return 0xFF;
	if (is_time_reg(idx))
		return set_frozen(rtc) ? rtc->ram[idx] :
		    time_reg(rtc, idx, guest_now(rtc));
	switch (idx) {
	case RTC_REG_A:
		v = rtc->ram[RTC_REG_A] & 0x7F;
		if (!set_frozen(rtc)) {
			g = guest_now(rtc);
			if (g != rtc->uip_second) {
				rtc->uip_second = g;
				v |= RTC_A_UIP;
			}
		}
		return v;
	case RTC_REG_C:
		update_flags(rtc);
		v = rtc->flags;
		if (v & rtc->ram[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE))
			v |= RTC_C_IRQF;
		rtc->flags = 0;
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return rtc->ram[idx];
	}
}

void
rtc_reg_write(struct rtc *rtc, unsigned idx, uint8_t val)
{
	uint8_t old;

	if (idx >= RTC_NREGS)
		return;
	if (is_time_reg(idx)) {
		if (set_frozen(rtc)) {
			rtc->ram[idx] = val;
		} else {
			latch_time(rtc);
			rtc->ram[idx] = val;
			commit_time(rtc);
		}
		return;
	}
	switch (idx) {
	case RTC_REG_A:
		rtc->ram[RTC_REG_A] = val & 0x7F; /* UIP is read-only */
		break;
	case RTC_REG_B:
		old = rtc->ram[RTC_REG_B];
		if (!(old & RTC_B_SET) && (val & RTC_B_SET)) {
			/* Setting SET clears UIE and freezes the registers
			 * (encoded in the mode being written). */
			update_flags(rtc);
			val &= (uint8_t)~RTC_B_UIE;
			rtc->ram[RTC_REG_B] = val;
			latch_time(rtc);
		} else {
			rtc->ram[RTC_REG_B] = val;
			if ((old & RTC_B_SET) && !(val & RTC_B_SET))
				commit_time(rtc);
		}
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		rtc->ram[idx] = val;
		break;
	}
}

uint8_t
rtc_io_read(struct rtc *rtc, unsigned offset)
{
	if (offset == 1)
		return rtc_reg_read(rtc, rtc->index);
	return 0xFF; /* the index register is write-only */
}

void
rtc_io_write(struct rtc *rtc, unsigned offset, uint8_t val)
{
	if (offset == 0)
		rtc->index = val & 0x7F; /* bit 7: NMI mask, ignored */
	else if (offset == 1)
		rtc_reg_write(rtc, rtc->index, val);
}

static void
put16(struct rtc *rtc, unsigned idx, uint64_t v, uint64_t max)
{
	if (v > max)
		v = max;
	rtc->ram[idx] = (uint8_t)v;
	rtc->ram[idx + 1] = (uint8_t)(v >> 8);
}

void
rtc_set_memsize(struct rtc *rtc, uint64_t lowmem, uint64_t highmem)
{
	const uint64_t k = 1024, m = 1024 * 1024;
	uint64_t ext, hi;
	unsigned i, sum = 0;

	put16(rtc, RTC_BASEMEM_LO, lowmem / k, 640);
	ext = lowmem > m ? (lowmem - m) / k : 0;
	put16(rtc, RTC_EXTMEM_LO, ext, 63 * k);
	put16(rtc, RTC_EXTMEM2_LO, ext, 63 * k);
	put16(rtc, RTC_MEM16M_LO, lowmem > 16 * m ? (lowmem - 16 * m) / (64 * k) : 0,
	    0xFFFF);
	hi = highmem / (64 * k);
	if (hi > 0xFFFFFF)
		hi = 0xFFFFFF;
	rtc->ram[RTC_HIGHMEM_LO] = (uint8_t)hi;
	rtc->ram[RTC_HIGHMEM_LO + 1] = (uint8_t)(hi >> 8);
	rtc->ram[RTC_HIGHMEM_LO + 2] = (uint8_t)(hi >> 16);

	for (i = 0x10; i <= 0x2D; i++)
		sum += rtc->ram[i];
	rtc->ram[RTC_CKSUM_HI] = (uint8_t)(sum >> 8);
	rtc->ram[RTC_CKSUM_HI + 1] = (uint8_t)sum;
}

struct rtc *
rtc_new(rtc_time_fn *now, void *arg, bool use_localtime)
{
	struct rtc *rtc = calloc(1, sizeof(*rtc));

	if (rtc == NULL)
		return NULL;
	rtc->now = now;
	rtc->arg = arg;
	rtc->localtime = use_localtime;
	rtc->ram[RTC_REG_A] = 0x26; /* 32.768 kHz divider, 1024 Hz rate */
	rtc->ram[RTC_REG_B] = RTC_B_24H;
	rtc->delta = 0;
	rtc->flags_checked = guest_now(rtc);
	rtc->uip_second = rtc->flags_checked;
	return rtc;
}

void
rtc_free(struct rtc *rtc)
{
	free(rtc);
}
