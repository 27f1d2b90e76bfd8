/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hardware-ready notification on the descriptor named by ready_fd
 * (ready.h).
 *
 * Threads: the main thread, during start-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ready.h"

static struct {
	bool checked;	/* ready_setup() ran and succeeded */
	bool done;	/* the line was written (or there is no descriptor) */
	int fd;		/* -1: no ready_fd */
} rd = { false, false, -1 };

void
ready_reset_for_tests(void)
{
	rd.checked = false;
	rd.done = false;
	rd.fd = -1;
}

int
ready_setup(char *err, size_t errlen)
{
	const char *v;
	uint64_t n;
	struct stat st;
	int fl;

	if (rd.checked)
		return 0;
	if (config_get_raw("ready_fd") == NULL) {
		rd.checked = true;
		rd.done = true;
		return 0;
	}
	if (config_get_uint("ready_fd", 0, false, &n) != 0) {
		snprintf(err, errlen, "%s", config_error());
		return -1;
	}
	v = config_get("ready_fd");
	if (n <= 2 || n > INT16_MAX) {
		snprintf(err, errlen, "ready_fd: %s is not a descriptor number "
		    "from 3 to %d (0, 1 and 2 are standard input, output and "
		    "error)", v != NULL ? v : "?", INT16_MAX);
		return -1;
	}
	fl = fcntl((int)n, F_GETFL);
	if (fl < 0 || fstat((int)n, &st) != 0) {
		snprintf(err, errlen, "ready_fd: descriptor %llu is not open "
		    "(the program that starts zhyve must pass it)",
		    (unsigned long long)n);
		return -1;
	}
	if ((fl & O_ACCMODE) == O_RDONLY) {
		snprintf(err, errlen, "ready_fd: descriptor %llu is not open "
		    "for writing", (unsigned long long)n);
		return -1;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "ready_fd: descriptor %llu is not a pipe "
		    "or a socket", (unsigned long long)n);
		return -1;
	}
	(void)fcntl((int)n, F_SETFD, FD_CLOEXEC);
	rd.fd = (int)n;
	rd.checked = true;
	return 0;
}

int
ready_notify(char *err, size_t errlen)
{
	static const char line[] = "ready\n";
	size_t off = 0;
	int r = 0;

	if (ready_setup(err, errlen) != 0)
		return -1;
	if (rd.done)
		return 0;
	rd.done = true;
	while (off < sizeof(line) - 1) {
		ssize_t n = write(rd.fd, line + off, sizeof(line) - 1 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EPIPE) {
				snprintf(err, errlen, "ready_fd: cannot write "
				    "to descriptor %d: %s", rd.fd,
				    strerror(errno));
				r = -1;
			}
			break;
		}
		off += (size_t)n;
	}
	close(rd.fd);
	rd.fd = -1;
	return r;
}
