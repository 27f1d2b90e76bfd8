/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Firmware boot: map a ROM image read-only so that it ends at 4 GiB, with
 * its last 128 KiB (or all of it, if smaller) also visible just below
 * 1 MiB.  The boot CPU then starts at the reset vector, as on a PC.
 */
#ifndef ZHYVE_BOOTROM_H
#define ZHYVE_BOOTROM_H

#include <stddef.h>

struct vm;

int bootrom_load(struct vm *vm, const char *path, char *err, size_t errlen);

#endif
