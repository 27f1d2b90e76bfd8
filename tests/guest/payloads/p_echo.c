/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Payload "echo": prints READY, then echoes every byte received on COM1
 * until a line reading "ping" ends; then prints "PASS echo: got ping" and
 * resets through 0xCF9.  Output sent before a socket client connects may
 * be dropped, so the verdict depends only on input.  Boot CPU only.
 */
#include "plib.h"

void pmain(void)
{
	char line[16];
	unsigned len = 0;
	int overlong = 0;

	console_init();
	puts("READY");
	for (;;) {
		int c = com1_getc();

		com1_putc((char)c);
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = (char)c;
			else
				overlong = 1;
			continue;
		}
		line[len] = '\0';
		if (!overlong && len == 4 && line[0] == 'p' && line[1] == 'i' &&
		    line[2] == 'n' && line[3] == 'g')
			break;
		len = 0;
		overlong = 0;
	}
	printf("\n");
	pass("echo: got ping");
	reset_cf9();
}
