/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Direct Linux boot from the config tree: boot.kernel, boot.initrd and
 * boot.cmdline.  Kept apart from linux_boot.c so the loader itself does not
 * depend on the config module.
 *
 * Threads: main thread, start-up only.
 */
#include "config.h"
#include "linux_boot.h"
#include "linux_boot_impl.h"

int
linux_boot_from_config(struct vm *vm, uint64_t rsdp_gpa,
    struct boot_entry *out, char *err, size_t errlen)
{
	const char *kernel = config_get("boot.kernel");
	const char *initrd = config_get("boot.initrd");
	const char *cmdline = config_get("boot.cmdline");

	static const char *const keys[] = { "boot.kernel", "boot.initrd",
	    "boot.cmdline" };

	/* A leaf that exists but does not expand is an error, not "unset". */
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (config_get(keys[i]) == NULL &&
		    config_get_raw(keys[i]) != NULL) {
			boot_seterr(err, errlen, "%s: %s", keys[i],
			    config_error());
			return -1;
		}
	}
	if (kernel == NULL) {
		if (initrd != NULL || cmdline != NULL) {
			boot_seterr(err, errlen, "%s is set but boot.kernel "
			    "is not", initrd != NULL ? "boot.initrd" :
			    "boot.cmdline");
			return -1;
		}
		return 1;
	}
	if (kernel[0] == '\0') {
		boot_seterr(err, errlen, "boot.kernel: empty file name");
		return -1;
	}
	return linux_boot_load(vm, kernel, initrd, cmdline, rsdp_gpa, out,
	    err, errlen) == 0 ? 0 : -1;
}
