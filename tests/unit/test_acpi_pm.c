/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the ACPI PM fixed hardware (devices/isa/acpi_pm.c),
 * driven through the trap registry as a vCPU would, on a fake VM whose SCI
 * line level is recorded.  Single-threaded except where noted.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acpi_pm.h"
#include "iotrap.h"
#include "platform.h"
#include "test.h"
#include "vmctx.h"
#include "vmm.h"

#define PM1_STS		ACPI_PM1A_EVT_BLK
#define PM1_EN		(ACPI_PM1A_EVT_BLK + 2)
#define PM1_CNT		ACPI_PM1A_CNT_BLK
#define GPE0_STS	ACPI_GPE0_BLK
#define GPE0_EN		(ACPI_GPE0_BLK + 2)
#define PWRBTN		(1u << 8)
#define TMR		(1u << 0)
#define SLP_EN		(1u << 13)

static struct vmctx ctx;
static int nsuspend;
static enum vm_exitstatus last_status;
static char last_why[64];

static void
record_suspend(struct vmctx *c, enum vm_exitstatus status, const char *why)
{
	nsuspend++;
	last_status = status;
	snprintf(last_why, sizeof(last_why), "%s", why);
	if (c->exit_status < 0)
		c->exit_status = (int)status;
}

static int
setup(void)
{
	char err[256];

	memset(&ctx, 0, sizeof(ctx));
	ctx.vm = vm_create_fake("pm");
	ctx.traps = iotrap_table_new();
	ctx.ncpus = 1;
	ctx.exit_status = -1;
	ctx.suspend = record_suspend;
	nsuspend = 0;
	if (ctx.vm == NULL || ctx.traps == NULL)
		return (-1);
	if (acpi_pm_init(&ctx, err, sizeof(err)) != 0) {
		printf("    init: %s\n", err);
		return (-1);
	}
	return (0);
}

static void
teardown(void)
{
	acpi_pm_fini();
	iotrap_table_free(ctx.traps);
	vm_destroy(ctx.vm);
}

static uint64_t
in(uint16_t port, int size)
{
	uint64_t v = 0xDEAD;

	CHECK_EQ(iotrap_dispatch(ctx.traps, IOTRAP_PIO, port, size, false,
	    &v), 0);
	return (v);
}

static void
out(uint16_t port, int size, uint64_t v)
{
	CHECK_EQ(iotrap_dispatch(ctx.traps, IOTRAP_PIO, port, size, true, &v),
	    0);
}

static int
sci(void)
{
	return (vm_fake_irq_level(ctx.vm, ACPI_SCI_IRQ));
}

TEST(init_and_ports)
{
	char err[256];
	uint64_t v;

	if (setup() != 0) {
		CHECK(!"setup");
		return;
	}
	CHECK_EQ(acpi_pm_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "already") != NULL);
	/* Gap after the 2-byte PM1_CNT is not claimed. */
	CHECK_EQ(iotrap_dispatch(ctx.traps, IOTRAP_PIO, PM1_CNT + 2, 1, false,
	    &v), -1);
	CHECK_EQ(in(PM1_STS, 2), 0);
	CHECK_EQ(in(PM1_CNT, 2), 0);		/* legacy mode: SCI_EN clear */
	CHECK_EQ(sci(), 0);
	teardown();
	/* After fini the ports are free again. */
	if (setup() != 0) {
		CHECK(!"setup again");
		return;
	}
	teardown();
}

TEST(smi_cmd_sets_sci_en)
{
	if (setup() != 0) {
		CHECK(!"setup");
		return;
	}
	out(ACPI_SMI_CMD, 1, ACPI_ENABLE_VAL);
	CHECK_EQ(in(PM1_CNT, 2) & 1, 1);
	/* The OS cannot clear SCI_EN through PM1_CNT. */
	out(PM1_CNT, 2, 0);
	CHECK_EQ(in(PM1_CNT, 2) & 1, 1);
	out(ACPI_SMI_CMD, 1, 0x55);		/* unknown command: ignored */
	CHECK_EQ(in(PM1_CNT, 2) & 1, 1);
	out(ACPI_SMI_CMD, 1, ACPI_DISABLE_VAL);
	CHECK_EQ(in(PM1_CNT, 2) & 1, 0);
	out(PM1_CNT, 2, 1);
	CHECK_EQ(in(PM1_CNT, 2) & 1, 0);
	teardown();
}

TEST(s5_powers_off)
{
	if (setup() != 0) {
		CHECK(!"setup");
		return;
	}
	/* SLP_TYP alone, or another sleep type with SLP_EN: nothing. */
	out(PM1_CNT, 2, ACPI_S5_SLP_TYP << 10);
	CHECK_EQ(in(PM1_CNT, 2), ACPI_S5_SLP_TYP << 10);
	out(PM1_CNT, 2, (1u << 10) | SLP_EN);
	out(PM1_CNT, 2, (3u << 10) | SLP_EN);
	CHECK_EQ(nsuspend, 0);
	CHECK_EQ(in(PM1_CNT, 2) & SLP_EN, 0);	/* SLP_EN reads as 0 */
	out(PM1_CNT, 2, (ACPI_S5_SLP_TYP << 10) | SLP_EN);
	CHECK_EQ(nsuspend, 1);
	CHECK_EQ(last_status, VMEXIT_POWEROFF);
	CHECK_STR(last_why, "ACPI S5");
	CHECK_EQ(ctx.exit_status, VMEXIT_POWEROFF);
	teardown();

	/* Byte writes: SLP_TYP and SLP_EN both live in the high byte. */
	if (setup() != 0)
		return;
	out(PM1_CNT + 1, 1, (ACPI_S5_SLP_TYP << 2) | (SLP_EN >> 8));
	CHECK_EQ(nsuspend, 1);
	teardown();

	/* Without a suspend callback the exit status is recorded. */
	if (setup() != 0)
		return;
	ctx.suspend = NULL;
	out(PM1_CNT, 2, (ACPI_S5_SLP_TYP << 10) | SLP_EN);
	CHECK_EQ(ctx.exit_status, VMEXIT_POWEROFF);
	teardown();
}

TEST(power_button_sci)
{
	if (setup() != 0) {
		CHECK(!"setup");
		return;
	}
	/* Legacy mode: status latches, no SCI even when enabled. */
	out(PM1_EN, 2, PWRBTN);
	acpi_pm_power_button();
	CHECK_EQ(in(PM1_STS, 2) & PWRBTN, PWRBTN);
	CHECK_EQ(sci(), 0);
	/* ACPI mode: the pending event raises the SCI. */
	out(ACPI_SMI_CMD, 1, ACPI_ENABLE_VAL);
	CHECK_EQ(sci(), 1);
	/* W1C clears it and lowers the line. */
	out(PM1_STS, 2, PWRBTN);
	CHECK_EQ(in(PM1_STS, 2) & PWRBTN, 0);
	CHECK_EQ(sci(), 0);
	/* Disabled event: status only. */
	out(PM1_EN, 2, 0);
	acpi_pm_power_button();
	CHECK_EQ(in(PM1_STS, 2) & PWRBTN, PWRBTN);
	CHECK_EQ(sci(), 0);
	out(PM1_EN, 2, PWRBTN);
	CHECK_EQ(sci(), 1);
	out(PM1_EN, 2, 0);
	CHECK_EQ(sci(), 0);
	out(PM1_EN, 2, PWRBTN);
	CHECK_EQ(sci(), 1);
	/* ACPI disable drops the line while the event stays pending. */
	out(ACPI_SMI_CMD, 1, ACPI_DISABLE_VAL);
	CHECK_EQ(sci(), 0);
	CHECK_EQ(in(PM1_STS, 2) & PWRBTN, PWRBTN);
	teardown();
	/* Before init (and after fini) the button is a no-op. */
	acpi_pm_power_button();
}

TEST(w1c_and_widths)
{
	if (setup() != 0) {
		CHECK(!"setup");
		return;
	}
	acpi_pm_power_button();
	out(PM1_STS, 2, 0);			/* writing 0 clears nothing */
	CHECK_EQ(in(PM1_STS, 2) & PWRBTN, PWRBTN);
	out(PM1_STS, 2, 0xFEFF);		/* other bits only */
	CHECK_EQ(in(PM1_STS, 2) & PWRBTN, PWRBTN);
	CHECK_EQ(in(PM1_STS + 1, 1), PWRBTN >> 8);
	out(PM1_STS + 1, 1, 0x01);		/* byte write, high half */
	CHECK_EQ(in(PM1_STS, 2) & PWRBTN, 0);
	/* One dword write: STS (W1C) in the low half, EN in the high. */
	acpi_pm_power_button();
	out(PM1_STS, 4, (uint64_t)PWRBTN << 16 | PWRBTN);
	CHECK_EQ(in(PM1_STS, 4), (uint64_t)PWRBTN << 16);
	/* Only defined enable bits stick. */
	out(PM1_EN, 2, 0xFFFF);
	CHECK_EQ(in(PM1_EN, 2), 0x4721);
	out(PM1_EN, 1, 0);			/* low byte only */
	CHECK_EQ(in(PM1_EN, 2), 0x4700);
	/* GPE0: enables read back; status is W1C and never set here. */
	out(GPE0_EN, 2, 0x1234);
	CHECK_EQ(in(GPE0_EN, 2), 0x1234);
	CHECK_EQ(in(GPE0_STS, 4), 0x1234ULL << 16);
	out(GPE0_STS, 2, 0xFFFF);
	CHECK_EQ(in(GPE0_STS, 2), 0);
	out(ACPI_SMI_CMD, 1, ACPI_ENABLE_VAL);
	CHECK_EQ(sci(), 0);
	CHECK_EQ(in(ACPI_SMI_CMD, 1), 0);
	teardown();
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

TEST(timer)
{
	uint64_t a, b, c;

	if (setup() != 0) {
		CHECK(!"setup");
		return;
	}
	a = in(ACPI_PM_TMR_BLK, 4);
	sleep_ms(20);
	b = in(ACPI_PM_TMR_BLK, 4);
	CHECK(a <= 0xFFFFFF && b <= 0xFFFFFF);
	/* 20 ms = 71591 ticks; allow a slow, loaded machine. */
	CHECK(b - a >= 71000 && b - a < 71591 * 50);
	out(ACPI_PM_TMR_BLK, 4, 0);		/* read-only */
	c = in(ACPI_PM_TMR_BLK, 4);
	CHECK(c >= b);
	CHECK_EQ(in(ACPI_PM_TMR_BLK + 3, 1), 0);	/* 24-bit counter */
	CHECK_EQ(in(PM1_STS, 2) & TMR, 0);	/* no carry yet */
	teardown();
}

/* Bit 23 of the counter flips every 2^23 ticks (2.34 s): TMR_STS. */
TEST(timer_carry_status)
{
	if (setup() != 0) {
		CHECK(!"setup");
		return;
	}
	out(ACPI_SMI_CMD, 1, ACPI_ENABLE_VAL);
	out(PM1_EN, 2, TMR);
	CHECK_EQ(sci(), 0);
	sleep_ms(2400);
	CHECK_EQ(in(PM1_STS, 2) & TMR, TMR);
	CHECK_EQ(sci(), 1);
	out(PM1_STS, 2, TMR);
	CHECK_EQ(in(PM1_STS, 2) & TMR, 0);
	CHECK_EQ(sci(), 0);
	teardown();
}

int
main(void)
{
	RUN(init_and_ports);
	RUN(smi_cmd_sets_sci_en);
	RUN(s5_powers_off);
	RUN(power_button_sci);
	RUN(w1c_and_widths);
	RUN(timer);
	RUN(timer_carry_status);
	TEST_SUMMARY();
}
