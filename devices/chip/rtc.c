/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MC146818 RTC + CMOS memory state machine (see rtc.h for the model).
 *
 * Threads: none of its own; called from vCPU threads (port I/O), the
 * event-loop thread (the interrupt timer) and the main thread (set-up),
 * always under the caller's lock.
 *
 * Time is kept as "guest wall seconds": seconds since 1970-01-01 00:00 of
 * the wall clock the guest sees (UTC, or local time when use_localtime).
 * Broken-down dates are computed here with proleptic Gregorian arithmetic,
 * independent of the C library's time zone state.
 *
 * The guest's seconds need not start on the host's: the guest second in
 * progress at host time h (nanoseconds) is
 *     floor((h + phase) / 1e9) + zone offset + delta
 * so its update cycles (second boundaries) fall at the host times where
 * h + phase is a multiple of 1e9, and the periodic ticks, which divide the
 * second, are aligned to them.  Flags are accounted over the host-time
 * interval since the last accounting, by counting boundaries and ticks
 * arithmetically: the work per call is bounded whatever the gap.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtc.h"

#define SECS_PER_DAY 86400
#define NS_PER_SEC 1000000000LL

#define RTC_A_DV	0x70	/* divider control */
#define RTC_A_DV_NORMAL	0x20	/* 32.768 kHz time base, running */
#define RTC_A_RS	0x0F	/* rate select */
#define RTC_B_IE	(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE) /* = PF|AF|UF */

struct rtc {
	rtc_time_fn *now;
	void *arg;
	bool localtime;

	uint8_t index;		 /* < RTC_NREGS */
	uint8_t ram[RTC_NREGS];	 /* time bytes here are used only while SET */
	int64_t delta;		 /* guest wall seconds - host seconds (see above) */
	int64_t phase;		 /* 0..NS_PER_SEC-1 (see above) */
	int64_t acct_ns;	 /* host time up to which the flags are accounted */
	int64_t uip_second;	 /* guest second of the last REG_A read */
	uint8_t flags;		 /* pending REG_C flags (PF, AF, UF) */
	bool irq_out;		 /* IRQF was reported by rtc_update() and is still set */
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

/* Seconds east of UTC of the host's local time at host time h (ns), or 0. */
static int64_t
zone_offset(const struct rtc *rtc, int64_t h)
{
	time_t t = (time_t)floor_div(h, NS_PER_SEC);
	struct tm ltm;

	if (rtc->localtime && localtime_r(&t, &ltm) != NULL)
		return ltm.tm_gmtoff;
	return 0;
}

/* Guest second boundaries up to host time h, from an arbitrary origin. */
static int64_t
boundaries(const struct rtc *rtc, int64_t h)
{
	return floor_div(h + rtc->phase, NS_PER_SEC);
}

/* The host time of boundary n. */
static int64_t
boundary_time(const struct rtc *rtc, int64_t n)
{
	return n * NS_PER_SEC - rtc->phase;
}

/* The guest wall second in progress at host time h. */
static int64_t
guest_second(const struct rtc *rtc, int64_t h)
{
	return boundaries(rtc, h) + zone_offset(rtc, h) + rtc->delta;
}

static int64_t
host_now(const struct rtc *rtc)
{
	return rtc->now(rtc->arg);
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

/* Copy the time at host time now into the time bytes of ram[]. */
static void
latch_time(struct rtc *rtc, int64_t now)
{
	static const unsigned regs[] = { RTC_SEC, RTC_MIN, RTC_HOUR, RTC_DOW,
		RTC_DAY, RTC_MONTH, RTC_YEAR, RTC_CENTURY };
	int64_t g = guest_second(rtc, now);
	size_t i;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		rtc->ram[regs[i]] = time_reg(rtc, regs[i], g);
}

/*
 * Make the time bytes of ram[] the clock, from host time now on (the
 * flags must be accounted up to now).  Guest-written bytes are checked
 * field by field (range, BCD digits, day within the month); anything
 * invalid leaves the clock as it was.  The new second starts now: the
 * next update cycle is one second away.
 */
static void
commit_time(struct rtc *rtc, int64_t now)
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
	rtc->phase = (NS_PER_SEC - (now - floor_div(now, NS_PER_SEC) *
	    NS_PER_SEC)) % NS_PER_SEC;
	rtc->delta = secs - boundaries(rtc, now) - zone_offset(rtc, now);
	rtc->acct_ns = now;
	rtc->uip_second = secs;
}

/* --- REG_C flags and the interrupt ------------------------------------ */

/* Periodic rate in Hz (REG_A RS, with the divider running), 0 if none. */
static int64_t
periodic_hz(const struct rtc *rtc)
{
	unsigned rs = rtc->ram[RTC_REG_A] & RTC_A_RS;

	if ((rtc->ram[RTC_REG_A] & RTC_A_DV) != RTC_A_DV_NORMAL || rs == 0)
		return 0;
	if (rs <= 2)
		return 512 >> rs;	/* 256 and 128 Hz */
	return 32768 >> (rs - 1);	/* 8192 Hz .. 2 Hz */
}

/* Periodic ticks up to host time h (hz of them per guest second, the
 * last one on the second boundary), from an arbitrary origin. */
static int64_t
ticks(const struct rtc *rtc, int64_t h, int64_t hz)
{
	int64_t x = h + rtc->phase;
	int64_t q = floor_div(x, NS_PER_SEC);

	return q * hz + (x - q * NS_PER_SEC) * hz / NS_PER_SEC;
}

/* The host time of tick k: the first h with ticks(h) == k. */
static int64_t
tick_time(const struct rtc *rtc, int64_t k, int64_t hz)
{
	int64_t q = floor_div(k, hz);
	int64_t r = k - q * hz;

	return q * NS_PER_SEC + (r * NS_PER_SEC + hz - 1) / hz - rtc->phase;
}

#define ALARM_ANY	(-1)	/* "don't care" byte: top two bits set */
#define ALARM_NEVER	(-2)	/* a byte no time ever shows */

/* An alarm byte as the value it matches (current mode), or the above. */
static int
alarm_field(const struct rtc *rtc, unsigned idx)
{
	uint8_t b = rtc->ram[idx];
	bool ok;
	int v;

	if ((b & 0xC0) == 0xC0)
		return ALARM_ANY;
	ok = idx == RTC_HOUR_ALARM ? dec_hour(rtc, b, &v) : dec(rtc, b, 59, &v);
	return ok ? v : ALARM_NEVER;
}

/*
 * In one hour, the first (*m, *s) at or after the given one that matches
 * the minute and second alarms am, as (values or ALARM_ANY); false when
 * nothing in the rest of the hour does.
 */
static bool
alarm_in_hour(int am, int as, int *m, int *s)
{
	if (am != ALARM_ANY) {
		if (am < *m)
			return false;
		if (am > *m) {
			*m = am;
			*s = 0;
		}
	}
	if (as == ALARM_ANY)
		return true;
	if (as >= *s) {
		*s = as;
		return true;
	}
	if (am != ALARM_ANY || *m == 59)
		return false;
	*m += 1; /* the next minute matches at second as */
	*s = as;
	return true;
}

/*
 * The first guest second at or after `from` whose time matches the alarm
 * registers, in *at; false if no time ever does.  The pattern repeats
 * daily, so this looks at two days at most, an hour at a time.
 */
static bool
next_alarm(const struct rtc *rtc, int64_t from, int64_t *at)
{
	int ah = alarm_field(rtc, RTC_HOUR_ALARM);
	int am = alarm_field(rtc, RTC_MIN_ALARM);
	int as = alarm_field(rtc, RTC_SEC_ALARM);
	int64_t day = floor_div(from, SECS_PER_DAY) * SECS_PER_DAY;
	int sod = (int)(from - day), h, m, s, pass;

	if (ah == ALARM_NEVER || am == ALARM_NEVER || as == ALARM_NEVER)
		return false;
	for (pass = 0; pass < 2; pass++) {
		for (h = sod / 3600; h < 24; h++) {
			if (ah != ALARM_ANY && ah != h)
				continue;
			m = h == sod / 3600 ? sod / 60 % 60 : 0;
			s = h == sod / 3600 ? sod % 60 : 0;
			if (alarm_in_hour(am, as, &m, &s)) {
				*at = day + h * 3600 + m * 60 + s;
				return true;
			}
		}
		day += SECS_PER_DAY;
		sod = 0;
	}
	return false; /* not reached: a valid pattern matches once a day */
}

/*
 * Set the flags for what happened in (acct_ns, now]: UF if an update
 * cycle completed (not while SET), AF if one of the seconds those cycles
 * started matches the alarm, PF if a periodic tick passed.  The settings
 * are those in force over the whole interval: callers account up to now
 * before they change any.
 */
static void
advance(struct rtc *rtc, int64_t now)
{
	int64_t from = rtc->acct_ns, n0, n1, off, at, hz;

	rtc->acct_ns = now;
	if (now <= from)
		return; /* no time passed, or the host clock went back */
	if (!set_frozen(rtc)) {
		n0 = boundaries(rtc, from);
		n1 = boundaries(rtc, now);
		if (n1 > n0) {
			rtc->flags |= RTC_C_UF;
			off = zone_offset(rtc, now) + rtc->delta;
			if (next_alarm(rtc, n0 + 1 + off, &at) && at <= n1 + off)
				rtc->flags |= RTC_C_AF;
		}
	}
	hz = periodic_hz(rtc);
	if (hz != 0 && ticks(rtc, now, hz) > ticks(rtc, from, hz))
		rtc->flags |= RTC_C_PF;
}

static bool
irqf(const struct rtc *rtc)
{
	return (rtc->flags & rtc->ram[RTC_REG_B] & RTC_B_IE) != 0;
}

bool
rtc_update(struct rtc *rtc, int64_t now_ns)
{
	advance(rtc, now_ns);
	if (!irqf(rtc)) {
		rtc->irq_out = false;
		return false;
	}
	if (rtc->irq_out)
		return false;
	rtc->irq_out = true;
	return true;
}

int64_t
rtc_next_event(const struct rtc *rtc, int64_t now_ns)
{
	uint8_t ie = rtc->ram[RTC_REG_B] & RTC_B_IE;
	int64_t from = rtc->acct_ns < now_ns ? rtc->acct_ns : now_ns;
	int64_t best = -1, n, off, at, hz, t;

	if (irqf(rtc))
		return -1; /* IRQF stays set until REG_C is read */
	if (!set_frozen(rtc) && (ie & RTC_B_UIE)) {
		best = boundary_time(rtc, boundaries(rtc, from) + 1);
	} else if (!set_frozen(rtc) && (ie & RTC_B_AIE)) {
		n = boundaries(rtc, from);
		off = zone_offset(rtc, from) + rtc->delta;
		if (next_alarm(rtc, n + 1 + off, &at))
			best = boundary_time(rtc, at - off);
	}
	hz = periodic_hz(rtc);
	if ((ie & RTC_B_PIE) && hz != 0) {
		t = tick_time(rtc, ticks(rtc, from, hz) + 1, hz);
		if (best < 0 || t < best)
			best = t;
	}
	return best;
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
		    time_reg(rtc, idx, guest_second(rtc, host_now(rtc)));
	switch (idx) {
	case RTC_REG_A:
		v = rtc->ram[RTC_REG_A] & 0x7F;
		if (!set_frozen(rtc)) {
			g = guest_second(rtc, host_now(rtc));
			if (g != rtc->uip_second) {
				rtc->uip_second = g;
				v |= RTC_A_UIP;
			}
		}
		return v;
	case RTC_REG_C:
		advance(rtc, host_now(rtc));
		v = rtc->flags;
		if (irqf(rtc))
			v |= RTC_C_IRQF;
		rtc->flags = 0;
		rtc->irq_out = false;
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
	int64_t now;
	uint8_t old;

	if (idx >= RTC_NREGS)
		return;
	if (!is_time_reg(idx) && idx > RTC_REG_D) {
		rtc->ram[idx] = val; /* plain memory */
		return;
	}
	/* What happened until now follows the settings in force until now. */
	now = host_now(rtc);
	advance(rtc, now);
	if (is_time_reg(idx)) {
		if (set_frozen(rtc)) {
			rtc->ram[idx] = val;
		} else {
			latch_time(rtc, now);
			rtc->ram[idx] = val;
			commit_time(rtc, now);
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
			val &= (uint8_t)~RTC_B_UIE;
			rtc->ram[RTC_REG_B] = val;
			latch_time(rtc, now);
		} else {
			rtc->ram[RTC_REG_B] = val;
			if ((old & RTC_B_SET) && !(val & RTC_B_SET))
				commit_time(rtc, now);
		}
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		rtc->ram[idx] = val; /* the alarm bytes */
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
	rtc->phase = 0;
	rtc->acct_ns = host_now(rtc);
	rtc->uip_second = guest_second(rtc, rtc->acct_ns);
	return rtc;
}

void
rtc_free(struct rtc *rtc)
{
	free(rtc);
}
