/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * FADT (Fixed ACPI Description Table, revision 6) and FACS.
 *
 * Main thread only, during start-up.
 *
 * The FADT describes the fixed hardware of devices/isa/acpi_pm.c: PM1a
 * event and control blocks, the 24-bit PM timer, GPE0, SMI_CMD with the
 * ACPI enable/disable values (the machine starts with SCI_EN clear), the
 * SCI on ACPI_SCI_IRQ and the reset register.  Each legacy 32-bit block
 * address has a matching X_ Generic Address with bit width = length * 8,
 * which is what ACPICA checks.
 */
#include <string.h>

#include "acpi_impl.h"
#include "platform.h"

#define FADT_LEN	276
#define FADT_REV	6
#define FADT_MINOR	3
#define FACS_LEN	64

/* Byte offsets of FADT fields. */
#define F_FIRMWARE_CTRL	36
#define F_DSDT		40
#define F_PM_PROFILE	45
#define F_SCI_INT	46
#define F_SMI_CMD	48
#define F_ACPI_ENABLE	52
#define F_ACPI_DISABLE	53
#define F_PM1A_EVT_BLK	56
#define F_PM1A_CNT_BLK	64
#define F_PM_TMR_BLK	76
#define F_GPE0_BLK	80
#define F_PM1_EVT_LEN	88
#define F_PM1_CNT_LEN	89
#define F_PM_TMR_LEN	91
#define F_GPE0_BLK_LEN	92
#define F_P_LVL2_LAT	96
#define F_P_LVL3_LAT	98
#define F_CENTURY	108
#define F_BOOT_ARCH	109
#define F_FLAGS		112
#define F_RESET_REG	116
#define F_RESET_VALUE	128
#define F_MINOR_REV	131
#define F_X_FIRMWARE	132
#define F_X_DSDT	140
#define F_X_PM1A_EVT	148
#define F_X_PM1A_CNT	172
#define F_X_PM_TMR	208
#define F_X_GPE0	220

/* IA-PC boot architecture flags. */
#define BOOT_LEGACY_DEVICES	(1u << 0)
#define BOOT_8042		(1u << 1)
#define BOOT_NO_VGA		(1u << 2)
#define BOOT_NO_ASPM		(1u << 4)

/* Fixed feature flags. */
#define FL_WBINVD		(1u << 0)
#define FL_PROC_C1		(1u << 2)
#define FL_PWR_BUTTON		(1u << 4)	/* set = control-method button */
#define FL_SLP_BUTTON		(1u << 5)	/* set = no fixed sleep button */
#define FL_FIX_RTC		(1u << 6)	/* set = no RTC wake status */
#define FL_TMR_VAL_EXT		(1u << 8)	/* set = 32-bit timer */
#define FL_RESET_REG_SUP	(1u << 10)
#define FL_APIC_PHYSICAL	(1u << 19)

#define PM1_EVT_LEN	4
#define PM1_CNT_LEN	2
#define PM_TMR_LEN	4
#define GPE0_BLK_LEN	4
#define CMOS_CENTURY	0x32

int
acpi_build_facs(struct acpi_area *a, uint64_t *gpa)
{
	uint8_t *p = acpi_alloc(a, FACS_LEN, 64, gpa, "FACS");

	if (p == NULL)
		return (-1);
	/* No checksum; hardware signature, waking vectors, lock all 0. */
	memcpy(p, "FACS", 4);
	acpi_put32(p + 4, FACS_LEN);
	p[32] = 2;		/* version (ACPI 4.0 and later) */
	return (0);
}

int
acpi_build_fadt(struct acpi_area *a, uint64_t facs, uint64_t dsdt,
    uint64_t *gpa)
{
	const struct acpi_config *cfg = a->cfg;
	uint8_t *p = acpi_alloc(a, FADT_LEN, 16, gpa, "FADT");
	uint16_t boot;
	uint32_t flags;

	if (p == NULL)
		return (-1);
	acpi_header(p, "FACP", FADT_LEN, FADT_REV);

	/* Both 32- and 64-bit pointers, equal (ACPICA accepts that). */
	acpi_put32(p + F_FIRMWARE_CTRL, (uint32_t)facs);
	acpi_put32(p + F_DSDT, (uint32_t)dsdt);
	acpi_put64(p + F_X_FIRMWARE, facs);
	acpi_put64(p + F_X_DSDT, dsdt);

	p[F_PM_PROFILE] = 0;	/* unspecified */
	acpi_put16(p + F_SCI_INT, ACPI_SCI_IRQ);
	acpi_put32(p + F_SMI_CMD, ACPI_SMI_CMD);
	p[F_ACPI_ENABLE] = ACPI_ENABLE_VAL;
	p[F_ACPI_DISABLE] = ACPI_DISABLE_VAL;

	acpi_put32(p + F_PM1A_EVT_BLK, ACPI_PM1A_EVT_BLK);
	acpi_put32(p + F_PM1A_CNT_BLK, ACPI_PM1A_CNT_BLK);
	acpi_put32(p + F_PM_TMR_BLK, ACPI_PM_TMR_BLK);
	acpi_put32(p + F_GPE0_BLK, ACPI_GPE0_BLK);
	p[F_PM1_EVT_LEN] = PM1_EVT_LEN;
	p[F_PM1_CNT_LEN] = PM1_CNT_LEN;
	p[F_PM_TMR_LEN] = PM_TMR_LEN;
	p[F_GPE0_BLK_LEN] = GPE0_BLK_LEN;
	acpi_gas(p + F_X_PM1A_EVT, ACPI_GAS_IO, PM1_EVT_LEN * 8, 0,
	    ACPI_ACC_WORD, ACPI_PM1A_EVT_BLK);
	acpi_gas(p + F_X_PM1A_CNT, ACPI_GAS_IO, PM1_CNT_LEN * 8, 0,
	    ACPI_ACC_WORD, ACPI_PM1A_CNT_BLK);
	acpi_gas(p + F_X_PM_TMR, ACPI_GAS_IO, PM_TMR_LEN * 8, 0,
	    ACPI_ACC_DWORD, ACPI_PM_TMR_BLK);
	acpi_gas(p + F_X_GPE0, ACPI_GAS_IO, GPE0_BLK_LEN * 8, 0,
	    ACPI_ACC_BYTE, ACPI_GPE0_BLK);

	/* C2/C3 not supported: latencies above 100 / 1000 us say so. */
	acpi_put16(p + F_P_LVL2_LAT, 101);
	acpi_put16(p + F_P_LVL3_LAT, 1001);
	p[F_CENTURY] = CMOS_CENTURY;

	boot = BOOT_LEGACY_DEVICES | BOOT_NO_ASPM;
	if (cfg->kbd)
		boot |= BOOT_8042;
	if (!cfg->vga)
		boot |= BOOT_NO_VGA;
	acpi_put16(p + F_BOOT_ARCH, boot);

	/* Fixed power button (PWR_BUTTON clear), no sleep button, 24-bit
	 * timer (TMR_VAL_EXT clear). */
	flags = FL_WBINVD | FL_PROC_C1 | FL_SLP_BUTTON | FL_FIX_RTC |
	    FL_RESET_REG_SUP | FL_APIC_PHYSICAL;
	acpi_put32(p + F_FLAGS, flags);

	acpi_gas(p + F_RESET_REG, ACPI_GAS_IO, 8, 0, ACPI_ACC_BYTE,
	    ACPI_RESET_PORT);
	p[F_RESET_VALUE] = ACPI_RESET_VALUE;
	p[F_MINOR_REV] = FADT_MINOR;

	acpi_finish_table(p);
	return (0);
}
