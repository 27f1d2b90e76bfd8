/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot ROM loading (-l bootrom,FILE).  Main thread, start-up only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootrom.h"
#include "platform.h"
#include "vmm.h"

int
bootrom_load(struct vm *vm, const char *path, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	uint64_t gpa, alias;
	size_t len, done = 0;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "lpc.bootrom: cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "lpc.bootrom: '%s' is not a regular file",
		    path);
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > (off_t)BOOTROM_MAX_SIZE ||
	    (st.st_size & 0xFFF) != 0) {
		snprintf(err, errlen, "lpc.bootrom: '%s' is %lld bytes; a boot "
		    "ROM must be a non-empty multiple of 4 KiB up to %llu MiB",
		    path, (long long)st.st_size,
		    (unsigned long long)(BOOTROM_MAX_SIZE >> 20));
		goto out;
	}
	len = (size_t)st.st_size;
	buf = malloc(len);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "lpc.bootrom: reading '%s': %s",
			    path, n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		done += (size_t)n;
	}
	gpa = 0x100000000ULL - len;
	if (vm_map_rom(vm, gpa, buf, len, err, errlen) != 0)
		goto out;
	alias = len < BOOTROM_ALIAS_MAX ? len : BOOTROM_ALIAS_MAX;
	if (vm_alias_rom(vm, gpa, len - alias, BOOTROM_ALIAS_END - alias,
	    alias, err, errlen) != 0)
		goto out;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}
