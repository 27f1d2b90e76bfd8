/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI fixed hardware (PM1a event and control blocks, PM timer, GPE0,
 * SMI_CMD) at the platform.h ports, as the FADT built by acpi/ describes.
 *
 * Threads: the register handlers run on vCPU threads; acpi_pm_power_button()
 * on the main thread (e.g. on SIGTERM).  One mutex serialises them.
 *
 * The machine starts in legacy mode (SCI_EN clear); writing
 * ACPI_ENABLE_VAL / ACPI_DISABLE_VAL to SMI_CMD sets / clears SCI_EN.  The
 * SCI (ACPI_SCI_IRQ, level) is asserted while SCI_EN is set and an enabled
 * event's status bit is set (PM1 STS & EN, or GPE0 STS & EN).  Writing
 * SLP_EN with SLP_TYP == ACPI_S5_SLP_TYP powers the VM off; other sleep
 * types are ignored (only \_S5 is declared).  TMR_STS is computed when a
 * register is accessed, so with TMR_EN set the timer-carry SCI is raised at
 * the guest's next PM register access rather than on time (no OS we know
 * of uses it).
 */
#ifndef ZHYVE_ACPI_PM_H
#define ZHYVE_ACPI_PM_H

#include <stddef.h>

struct vmctx;

/* Claim the ports.  One instance per process: -1 with err if called twice
 * without acpi_pm_fini(), or if a port range is taken. */
int acpi_pm_init(struct vmctx *ctx, char *err, size_t errlen);
/* Release the ports and lower the SCI (tests; exit). */
void acpi_pm_fini(void);
/* Press the power button: set PWRBTN_STS and update the SCI.  No-op
 * before acpi_pm_init(). */
void acpi_pm_power_button(void);

#endif
