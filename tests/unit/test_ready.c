/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the hardware-ready notification (vmm/ready.c): the
 * ready_fd key is checked (range, open, writable, a pipe or socket), the
 * line "ready\n" is written once and the descriptor closed, and a reader
 * that went away is not an error.  Single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "ready.h"
#include "test.h"

static char err[256];

static int
setup_with(const char *v)
{
	config_init();
	ready_reset_for_tests();
	if (v != NULL && config_set("ready_fd", v) != 0)
		return -2;
	err[0] = '\0';
	return ready_setup(err, sizeof(err));
}

TEST(no_key_does_nothing)
{
	CHECK_EQ(setup_with(NULL), 0);
	CHECK_EQ(ready_notify(err, sizeof(err)), 0);
	CHECK_EQ(ready_notify(err, sizeof(err)), 0);
	/* notify without setup reads the key itself. */
	config_init();
	ready_reset_for_tests();
	CHECK_EQ(ready_notify(err, sizeof(err)), 0);
}

TEST(bad_values)
{
	int p[2], fd;
	char num[16], path[] = "/tmp/ready-test.XXXXXX";

	CHECK_EQ(setup_with("1"), -1);
	CHECK(strstr(err, "ready_fd: 1 is not a descriptor number") != NULL);
	CHECK_EQ(setup_with("0"), -1);
	CHECK_EQ(setup_with("70000"), -1);
	CHECK(strstr(err, "ready_fd: 70000") != NULL);
	CHECK_EQ(setup_with("three"), -1);
	CHECK(strstr(err, "ready_fd") != NULL);
	CHECK_EQ(setup_with("-4"), -1);
	CHECK(strstr(err, "ready_fd") != NULL);
	CHECK_EQ(setup_with("999"), -1);
	CHECK(strstr(err, "ready_fd: descriptor 999 is not open") != NULL);
	/* notify checks too, when setup was not called */
	config_init();
	ready_reset_for_tests();
	CHECK_EQ(config_set("ready_fd", "999"), 0);
	CHECK_EQ(ready_notify(err, sizeof(err)), -1);
	/* The read end of a pipe, a regular file. */
	CHECK_EQ(pipe(p), 0);
	snprintf(num, sizeof(num), "%d", p[0]);
	CHECK_EQ(setup_with(num), -1);
	CHECK(strstr(err, "is not open for writing") != NULL);
	close(p[0]);
	close(p[1]);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	snprintf(num, sizeof(num), "%d", fd);
	CHECK_EQ(setup_with(num), -1);
	CHECK(strstr(err, "is not a pipe or a socket") != NULL);
	close(fd);
	unlink(path);
}

TEST(writes_once_and_closes)
{
	int p[2];
	char num[16], buf[32];
	ssize_t n;

	CHECK_EQ(pipe(p), 0);
	snprintf(num, sizeof(num), "%d", p[1]);
	CHECK_EQ(setup_with(num), 0);
	CHECK((fcntl(p[1], F_GETFD) & FD_CLOEXEC) != 0);
	CHECK_EQ(ready_notify(err, sizeof(err)), 0);
	CHECK(fcntl(p[1], F_GETFD) == -1 && errno == EBADF);
	CHECK_EQ(ready_notify(err, sizeof(err)), 0);
	n = read(p[0], buf, sizeof(buf) - 1);
	CHECK_EQ(n, 6);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "ready\n");
	/* EOF: the write end is closed, nothing more comes. */
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

TEST(socket_works)
{
	int sv[2];
	char num[16], buf[32];
	ssize_t n;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(num, sizeof(num), "%d", sv[1]);
	CHECK_EQ(setup_with(num), 0);
	CHECK_EQ(ready_notify(err, sizeof(err)), 0);
	n = read(sv[0], buf, sizeof(buf) - 1);
	CHECK_EQ(n, 6);
	close(sv[0]);
}

TEST(reader_gone_is_not_an_error)
{
	int p[2];
	char num[16];

	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(pipe(p), 0);
	close(p[0]);
	snprintf(num, sizeof(num), "%d", p[1]);
	CHECK_EQ(setup_with(num), 0);
	CHECK_EQ(ready_notify(err, sizeof(err)), 0);
	CHECK(fcntl(p[1], F_GETFD) == -1);
}

int
main(void)
{
	RUN(no_key_does_nothing);
	RUN(bad_values);
	RUN(writes_once_and_closes);
	RUN(socket_works);
	RUN(reader_gone_is_not_an_error);
	config_fini();
	TEST_SUMMARY();
}
