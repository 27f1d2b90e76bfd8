/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hardware-ready notification: zhyve's "the devices are set up and the
 * vCPUs are about to run" message to whoever started it (the zone launcher,
 * a supervisor), the same role as the SmartOS zhyve's provisioning signal
 * but as a line on a descriptor instead of a file rename.
 *
 * The config key ready_fd=N names a descriptor zhyve inherited (a pipe or a
 * socket, open for writing).  ready_notify() writes the one line "ready\n"
 * on it and closes it.  Without the key both calls do nothing.
 *
 * Threads: the main thread, during start-up.
 */
#ifndef ZHYVE_READY_H
#define ZHYVE_READY_H

#include <stddef.h>

/*
 * Reads and checks ready_fd early (it must be an open descriptor above 2,
 * writable, and not a regular file or a terminal) and marks it
 * close-on-exec.  Optional: ready_notify() calls it if it was not called.
 * 0, or -1 with a message naming the key in err.
 */
int ready_setup(char *err, size_t errlen);

/*
 * Writes "ready\n" on the ready descriptor and closes it.  A reader that has
 * gone away (EPIPE) is not an error.  0, or -1 with a message.  Only the
 * first call writes.
 */
int ready_notify(char *err, size_t errlen);

/* For tests: forget everything (does not close the descriptor). */
void ready_reset_for_tests(void);

#endif
