/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fixed PC platform ports: RTC/CMOS at 0x70, POST ports 0x80/0xED, a
 * minimal keyboard controller at 0x60/0x64, system control port A (0x92).
 * What each does is described in isa.h.
 *
 * Threads: the handlers run on vCPU threads, serialised by p->mtx (one
 * lock for all of these small devices); the RTC's interrupt timer runs on
 * the event-loop thread under the same lock; isa_platform_init() runs on
 * the main thread.  A reboot request is passed to vmctx_suspend() with
 * the lock held (it only records the request).
 *
 * RTC interrupt: after every RTC access and every expiry of its timer, the
 * chip's flags are brought up to the host time (rtc_update); a rising
 * IRQF is pulsed on IRQ 8 (ISA, edge-triggered); the timer (a
 * CLOCK_REALTIME timerfd, absolute, so host clock steps move it with the
 * RTC's time base) is set to rtc_next_event().  Timer expiries are at
 * least RTC_MIN_WAIT_NS apart: periodic rates above 1024 Hz are
 * coalesced (the guest still reads the right flags; it gets at most about
 * 1024 interrupts a second).  A guest that never reads REG_C gets one
 * interrupt and then no timer at all.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "iotrap.h"
#include "isa.h"
#include "mevent.h"
#include "platform.h"
#include "rtc.h"
#include "vmctx.h"
#include "vmm.h"

#define POST_PORT	0x80
#define IODELAY_PORT	0xED
#define SYSCTL_A_PORT	0x92

/* Keyboard controller status bits. */
#define KBD_STS_OBF	0x01	/* output buffer full */
#define KBD_STS_SYS	0x04	/* system flag: self test passed at power-on */
#define KBD_STS_CMD	0x08	/* last write was to the command port */
#define KBD_STS_UNLOCK	0x10	/* keyboard not inhibited */

#define KBD_CMD_WRITE_OUTPORT 0xD1

#define NS_PER_SEC	1000000000LL
#define RTC_MIN_WAIT_NS	(NS_PER_SEC / 1024)

struct isa_platform {
	pthread_mutex_t mtx;
	struct vmctx *ctx;
	struct rtc *rtc;
	int rtc_tfd;	       /* the RTC's interrupt timer, or -1 (no event loop) */
	struct mevent *rtc_ev;
	int64_t rtc_armed;     /* absolute expiry it is set for, -1: disarmed */
	bool kbd_last_cmd;     /* last write went to 0x64 */
	uint8_t kbd_pending;   /* command waiting for its data byte, or 0 */
	struct isa_platform *next;
};

/* Every instance created (they live until exit). */
static pthread_mutex_t platforms_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct isa_platform *platforms;

static int64_t
host_time(void *arg)
{
	struct timespec ts;

	(void)arg;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (int64_t)time(NULL) * NS_PER_SEC;
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* All-ones above the first byte: the ports here are 8 bits wide. */
static uint64_t
byte_read(uint8_t v, int size)
{
	if (size >= 8)
		return ~(uint64_t)0xFF | v;
	if (size <= 1)
		return v;
	return (((uint64_t)1 << (8 * size)) - 1) & (~(uint64_t)0xFF | v);
}

static void
reboot(struct isa_platform *p, const char *why)
{
	vmctx_suspend(p->ctx, VMEXIT_REBOOT, why);
}

/*
 * With p->mtx held: the RTC's flags up to now, IRQ 8 pulsed on a rising
 * IRQF, and the timer set for the next interrupt (or disarmed).
 */
static void
rtc_sync(struct isa_platform *p)
{
	struct itimerspec its;
	int64_t now = host_time(NULL), next;

	if (rtc_update(p->rtc, now))
		(void)vm_irq_pulse(p->ctx->vm, RTC_IRQ);
	if (p->rtc_tfd < 0)
		return;
	next = rtc_next_event(p->rtc, now);
	if (next >= 0 && next < now + RTC_MIN_WAIT_NS)
		next = now + RTC_MIN_WAIT_NS;
	if (next == p->rtc_armed)
		return;
	memset(&its, 0, sizeof(its));
	if (next >= 0) {
		its.it_value.tv_sec = (time_t)(next / NS_PER_SEC);
		its.it_value.tv_nsec = (long)(next % NS_PER_SEC);
	}
	if (timerfd_settime(p->rtc_tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		p->rtc_armed = next;
}

/* Event-loop thread: the RTC timer expired. */
static void
rtc_timer_cb(int fd, enum ev_type type, void *arg)
{
	struct isa_platform *p = arg;
	uint64_t n;
	ssize_t r;

	(void)type;
	r = read(fd, &n, sizeof(n)); /* EAGAIN if it was re-armed meanwhile */
	(void)r;
	pthread_mutex_lock(&p->mtx);
	p->rtc_armed = -1; /* one-shot: it expired */
	rtc_sync(p);
	pthread_mutex_unlock(&p->mtx);
}

/*
 * RTC: offset 0 index, 1 data.  A wide access (e.g. outw to 0x70, index in
 * the low byte and data in the high byte) is split into byte accesses;
 * rtc_io_*() ignore offsets past 1.
 */
static int
rtc_pio(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	struct isa_platform *p = arg;
	uint64_t v = 0;
	int i;

	if (size < 1 || size > 8)
		size = 1;
	pthread_mutex_lock(&p->mtx);
	for (i = 0; i < size; i++) {
		if (offset + (uint64_t)i > 1) {
			if (!write)
				v |= (uint64_t)0xFF << (8 * i);
			continue;
		}
		if (write)
			rtc_io_write(p->rtc, (unsigned)offset + (unsigned)i,
			    (uint8_t)(*val >> (8 * i)));
		else
			v |= (uint64_t)rtc_io_read(p->rtc,
			    (unsigned)offset + (unsigned)i) << (8 * i);
	}
	rtc_sync(p);
	pthread_mutex_unlock(&p->mtx);
	if (!write)
		*val = v;
	return 0;
}

static int
post_pio(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	if (!write)
		*val = byte_read(0xFF, size);
	return 0;
}

static int
kbd_data_pio(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	struct isa_platform *p = arg;

	pthread_mutex_lock(&p->mtx);
	if (write) {
		p->kbd_last_cmd = false;
		/* Output port: bit 0 low holds the CPU in reset. */
		if (p->kbd_pending == KBD_CMD_WRITE_OUTPORT && !(*val & 1))
			reboot(p, "keyboard controller output port reset");
		/* Otherwise a byte for a device that is not there. */
		p->kbd_pending = 0;
	} else {
		*val = byte_read(0x00, size);
	}
	pthread_mutex_unlock(&p->mtx);
	return 0;
}

static int
kbd_sts_pio(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	struct isa_platform *p = arg;
	uint8_t cmd;

	pthread_mutex_lock(&p->mtx);
	if (write) {
		cmd = (uint8_t)*val;
		p->kbd_last_cmd = true;
		p->kbd_pending = 0;
		if (cmd >= 0xF0 && !(cmd & 1))
			reboot(p, "keyboard controller reset");
		else if (cmd == KBD_CMD_WRITE_OUTPORT)
			p->kbd_pending = cmd;
		/* Any other command: accepted, no reply. */
	} else {
		*val = byte_read((uint8_t)(KBD_STS_SYS | KBD_STS_UNLOCK |
		    (p->kbd_last_cmd ? KBD_STS_CMD : 0)), size);
	}
	pthread_mutex_unlock(&p->mtx);
	return 0;
}

static int
sysctl_a_pio(void *arg, bool write, uint64_t offset, int size, uint64_t *val)
{
	struct isa_platform *p = arg;

	if (!write) {
		*val = byte_read(0x02, size); /* A20 enabled, no reset */
		return 0;
	}
	if (*val & 1) {
		pthread_mutex_lock(&p->mtx);
		reboot(p, "system control port A reset");
		pthread_mutex_unlock(&p->mtx);
	}
	return 0;
}

static const struct {
	uint16_t port;
	uint16_t len;
	iotrap_handler_t *fn;
	const char *name;
} isa_ports[] = {
	{ RTC_PORT, 2, rtc_pio, "rtc" },
	{ POST_PORT, 1, post_pio, "post" },
	{ IODELAY_PORT, 1, post_pio, "iodelay" },
	{ KBD_DATA_PORT, 1, kbd_data_pio, "kbd-data" },
	{ KBD_STS_PORT, 1, kbd_sts_pio, "kbd-status" },
	{ SYSCTL_A_PORT, 1, sysctl_a_pio, "sysctl-a" },
};

/* Start-up failures only: nothing can call into p any more. */
static void
isa_platform_free(struct isa_platform *p)
{
	if (p->rtc_ev != NULL)
		(void)mevent_delete(p->rtc_ev); /* freed by the event loop */
	if (p->rtc_tfd >= 0)
		close(p->rtc_tfd);
	rtc_free(p->rtc);
	pthread_mutex_destroy(&p->mtx);
	free(p);
}

/* The RTC's interrupt timer on the event loop, disarmed. */
static int
rtc_timer_init(struct isa_platform *p, char *err, size_t errlen)
{
	p->rtc_tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (p->rtc_tfd < 0) {
		snprintf(err, errlen, "isa: rtc: cannot create its timer: %s",
		    strerror(errno));
		return -1;
	}
	p->rtc_ev = mevent_add(p->ctx->mev, p->rtc_tfd, EVF_READ,
	    rtc_timer_cb, p);
	if (p->rtc_ev == NULL) {
		snprintf(err, errlen, "isa: rtc: cannot watch its timer: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
isa_platform_init(struct vmctx *ctx, char *err, size_t errlen)
{
	struct isa_platform *p;
	const char *owner;
	bool use_localtime;
	size_t i, j;
	int e;

	if (errlen > 0)
		err[0] = '\0';
	if (ctx == NULL || ctx->traps == NULL || ctx->vm == NULL) {
		snprintf(err, errlen, "isa: no VM to attach to");
		return -1;
	}
	if (config_get_bool("rtc.use_localtime", true, &use_localtime) != 0) {
		snprintf(err, errlen, "%s", config_error());
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->rtc = rtc_new(host_time, NULL, use_localtime)) == NULL) {
		free(p);
		snprintf(err, errlen, "isa: out of memory");
		return -1;
	}
	pthread_mutex_init(&p->mtx, NULL);
	p->ctx = ctx;
	p->kbd_last_cmd = true; /* status 0x1C at power-on */
	rtc_set_memsize(p->rtc, vm_lowmem_size(ctx->vm), vm_highmem_size(ctx->vm));
	p->rtc_tfd = -1;
	p->rtc_armed = -1;
	if (ctx->mev != NULL && rtc_timer_init(p, err, errlen) != 0) {
		isa_platform_free(p);
		return -1;
	}

	for (i = 0; i < sizeof(isa_ports) / sizeof(isa_ports[0]); i++) {
		if (iotrap_register(ctx->traps, IOTRAP_PIO, isa_ports[i].port,
		    isa_ports[i].len, isa_ports[i].fn, p, isa_ports[i].name) == 0)
			continue;
		e = errno;
		owner = iotrap_lookup_name(ctx->traps, IOTRAP_PIO, isa_ports[i].port);
		if (e == EEXIST && owner != NULL)
			snprintf(err, errlen, "isa: %s port 0x%x is already used by %s",
			    isa_ports[i].name, isa_ports[i].port, owner);
		else
			snprintf(err, errlen, "isa: cannot claim %s port 0x%x: %s",
			    isa_ports[i].name, isa_ports[i].port, strerror(e));
		for (j = 0; j < i; j++)
			(void)iotrap_unregister(ctx->traps, IOTRAP_PIO, isa_ports[j].port);
		/* A handler may not run any more: these ports were never
		 * reachable by a running vCPU during start-up. */
		isa_platform_free(p);
		return -1;
	}

	pthread_mutex_lock(&platforms_mtx);
	p->next = platforms;
	platforms = p;
	pthread_mutex_unlock(&platforms_mtx);
	return 0;
}
