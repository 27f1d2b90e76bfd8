/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "unclaimed": reads and writes I/O ports that no device of zhyve
 * or QEMU (-M pc -nodefaults) decodes: 0x220..0x227 (where an ISA sound
 * card would sit) and 0x1230..0x1237 (above the ISA range, below zhyve's
 * PCI I/O BAR window at 0x2000).  Reads must give all-ones of the access
 * width, and writes must be ignored.  The first access is a byte read of
 * 0x220, so a VMM in strict I/O mode stops there and names that port.
 * Boot CPU only.
 */
#include "plib.h"

static unsigned bad;

static void check(const char *what, unsigned port, uint32_t got, uint32_t want)
{
	if (got == want)
		return;
	printf("%s 0x%x: got 0x%x, want 0x%x\n", what, port, got, want);
	bad++;
}

static void probe(uint16_t base)
{
	check("inb", base, inb(base), 0xff);
	check("inw", base + 2, inw(base + 2), 0xffff);
	check("inl", base + 4, inl(base + 4), 0xffffffff);

	/* Writes go nowhere: reading back still gives all-ones. */
	outb(base, 0x5a);
	outw(base + 2, 0x1234);
	outl(base + 4, 0x12345678);
	check("inb after outb", base, inb(base), 0xff);
	check("inw after outw", base + 2, inw(base + 2), 0xffff);
	check("inl after outl", base + 4, inl(base + 4), 0xffffffff);
}

void pmain(void)
{
	console_init();
	puts("unclaimed ports next");
	probe(0x220);
	probe(0x1230);
	if (bad)
		fail("unclaimed", "unclaimed port did not read all-ones");
	else
		pass("unclaimed");
	reset_cf9();
}
