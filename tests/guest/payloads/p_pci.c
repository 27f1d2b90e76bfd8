/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "pci": enumerates bus 0 with configuration mechanism #1 and
 * prints "pci 00:SS.F VVVV:DDDD class CCSSPP" for every function found,
 * then PASS and a reset through 0xCF9.  Boot CPU only.
 */
#include "plib.h"

void pmain(void)
{
	unsigned found = 0;

	console_init();
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			uint32_t id = pci_cfg_read32(0, dev, fn, 0x00);

			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;	/* no device in this slot */
				continue;
			}
			uint32_t cls = pci_cfg_read32(0, dev, fn, 0x08);
			printf("pci 00:%02x.%u %04x:%04x class %06x\n", dev, fn,
			    id & 0xffff, id >> 16, cls >> 8);
			found++;
			/* Functions 1..7 only if function 0 is multi-function. */
			if (fn == 0 &&
			    !(pci_cfg_read32(0, dev, 0, 0x0c) & 0x00800000))
				break;
		}
	}
	printf("pci functions %u\n", found);
	if (found == 0)
		fail("pci", "no function on bus 0");
	else
		pass("pci");
	reset_cf9();
}
