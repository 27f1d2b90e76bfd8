/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "smp": the boot CPU starts every other CPU with INIT-SIPI-SIPI
 * (all-excluding-self).  Each AP prints "ap <apic id> up" and counts
 * itself in; the boot CPU waits until no AP has arrived for at least one
 * RTC second, prints "cpus <1 + APs>" and PASS, and resets through 0xCF9.
 * The payload cannot know how many CPUs to expect: the test compares the
 * count with the VMM's -c.  Runs on the boot CPU and on every AP.
 */
#include "plib.h"

static volatile uint32_t aps_up;
static volatile uint32_t dup_id;		/* an APIC ID reported twice */
static volatile uint8_t seen[256];	/* by APIC ID */
static spinlock_t seen_lock;

void ap_main(unsigned apic_id)
{
	spin_lock(&seen_lock);
	if (seen[apic_id & 0xff])
		dup_id = 1;
	seen[apic_id & 0xff] = 1;
	spin_unlock(&seen_lock);
	printf("ap %u up\n", apic_id);
	atomic_inc(&aps_up);	/* after the print: "cpus" comes last */
}

/*
 * Waits until the AP count has not changed across two changes of the RTC
 * seconds register (quiet for 1..2 s).  The loop cap only matters if the
 * RTC does not tick: about 7 s on an emulating host, milliseconds on hardware.
 */
static void wait_for_aps(void)
{
	uint32_t last = aps_up;
	uint8_t sec = cmos_read(0);
	unsigned ticks = 0;
	uint32_t i;

	for (i = 0; i < 1000000 && ticks < 2; i++) {
		if (aps_up != last) {
			last = aps_up;
			ticks = 0;
		}
		if ((i & 255) == 0) {
			uint8_t now = cmos_read(0);
			if (now != sec) {
				sec = now;
				ticks++;
			}
		}
		cpu_relax();
	}
	printf("waited %u loops\n", i);
}

void pmain(void)
{
	unsigned bsp = lapic_id();

	console_init();
	seen[bsp & 0xff] = 1;
	printf("bsp apic %u\n", bsp);
	lapic_start_aps();
	wait_for_aps();
	printf("cpus %u\n", 1 + aps_up);
	if (dup_id)
		fail("smp", "an APIC ID was reported twice");
	else
		pass("smp");
	reset_cf9();
}
