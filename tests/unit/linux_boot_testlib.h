/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the direct-boot unit tests (test_linux_boot.c,
 * test_linux_boot_pvh.c): temporary kernel/initrd files, fake VMs, and
 * expected-failure checks.
 *
 * Threads: single-threaded test programs.
 */
#ifndef ZHYVE_LINUX_BOOT_TESTLIB_H
#define ZHYVE_LINUX_BOOT_TESTLIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootparam.h"
#include "e820.h"
#include "linux_boot.h"
#include "platform.h"
#include "test.h"
#include "vmm.h"

#define TESTLIB_FN static __attribute__((unused))

static char tmpdir[256];
static char kpath[300], ipath[300];

/* --- helpers -------------------------------------------------------------- */

TESTLIB_FN void
write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (len > 0 && write(fd, buf, len) != (ssize_t)len)) {
		printf("cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	close(fd);
}

/* An initrd of `len` bytes with a recognizable pattern. */
TESTLIB_FN void
write_initrd(size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	write_file(ipath, b, len);
	free(b);
}

TESTLIB_FN struct vm *
make_vm(uint64_t memsize, uint64_t lowlimit)
{
	char err[256];
	struct vm *vm = vm_create_fake("linuxboot");

	if (vm == NULL || vm_setup_memory(vm, memsize, lowlimit, err,
	    sizeof(err)) != 0) {
		printf("cannot make a fake VM: %s\n", vm ? err : "");
		exit(2);
	}
	return vm;
}

TESTLIB_FN bool
contains(const char *hay, const char *needle)
{
	bool r = strstr(hay, needle) != NULL;

	if (!r)
		printf("    message \"%s\" lacks \"%s\"\n", hay, needle);
	return r;
}

/* Load kpath (and ipath if `initrd`) into vm; returns rc, err filled. */
TESTLIB_FN int
load(struct vm *vm, bool initrd, const char *cmdline, struct boot_entry *e,
    char *err, size_t errlen)
{
	err[0] = '\0';
	return linux_boot_load(vm, kpath, initrd ? ipath : NULL, cmdline,
	    0xF0000, e, err, errlen);
}

/* Expect failure with a message containing `what`. */
TESTLIB_FN void
expect_fail(struct vm *vm, bool initrd, const char *cmdline,
    const char *what)
{
	struct boot_entry e;
	char err[512];
	int rc = load(vm, initrd, cmdline, &e, err, sizeof(err));

	CHECK_EQ(rc, -1);
	CHECK(err[0] != '\0');
	CHECK(contains(err, what));
	CHECK_EQ(e.rip, 0);
}

TESTLIB_FN bool
initrd_matches(struct vm *vm, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = vm_map_gpa(vm, gpa, len);

	if (p == NULL)
		return false;
	for (uint64_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(i * 7 + 3))
			return false;
	return true;
}

/* Make the temporary directory and the kernel/initrd paths in it. */
TESTLIB_FN void
testlib_init(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/linuxboot.XXXXXX",
	    t && t[0] ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("mkdtemp: %s\n", strerror(errno));
		exit(2);
	}
	snprintf(kpath, sizeof(kpath), "%s/kernel", tmpdir);
	snprintf(ipath, sizeof(ipath), "%s/initrd", tmpdir);
}

TESTLIB_FN void
testlib_fini(void)
{
	unlink(kpath);
	unlink(ipath);
	rmdir(kpath);
	rmdir(ipath);
	rmdir(tmpdir);
}

#endif
