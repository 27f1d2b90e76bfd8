/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the serial host backends (devices/backend/uart_backend.c)
 * on a real event loop: the main thread plays the guest side and the
 * clients; a second thread runs mevent_dispatch().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "mevent.h"
#include "test.h"
#include "uart_backend.h"

/* --- fixture: event loop thread + received bytes ---------------------------- */

static struct mevent_base *mev;
static pthread_t dispatch_thr;
static pthread_mutex_t rx_mtx = PTHREAD_MUTEX_INITIALIZER;
static uint8_t rx_buf[1 << 16];
static size_t rx_len;
static unsigned rx_calls;
static struct uart_backend *cur;
static char tmpdir[64];

static void
rx_ready(void *arg)
{
	uint8_t tmp[512];
	int n;

	(void)arg;
	pthread_mutex_lock(&rx_mtx);
	rx_calls++;
	while ((n = uart_backend_read(cur, tmp, sizeof(tmp))) > 0) {
		if (rx_len + (size_t)n <= sizeof(rx_buf)) {
			memcpy(rx_buf + rx_len, tmp, (size_t)n);
			rx_len += (size_t)n;
		}
	}
	pthread_mutex_unlock(&rx_mtx);
}

static void *
dispatch_main(void *arg)
{
	(void)arg;
	(void)mevent_dispatch(mev);
	return NULL;
}

static void
loop_start(void)
{
	mev = mevent_base_new();
	rx_len = 0;
	rx_calls = 0;
	pthread_create(&dispatch_thr, NULL, dispatch_main, NULL);
}

static void
loop_stop(void)
{
	mevent_exit(mev);
	pthread_join(dispatch_thr, NULL);
	uart_backend_close(cur);
	cur = NULL;
	mevent_base_free(mev);
	mev = NULL;
}

static void
msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to 5 s for `n` received bytes. */
static size_t
wait_rx(size_t n)
{
	size_t got = 0;
	int i;

	for (i = 0; i < 5000; i++) {
		pthread_mutex_lock(&rx_mtx);
		got = rx_len;
		pthread_mutex_unlock(&rx_mtx);
		if (got >= n)
			break;
		msleep(1);
	}
	return got;
}

static bool
rx_equals(const char *s)
{
	bool eq;

	pthread_mutex_lock(&rx_mtx);
	eq = rx_len == strlen(s) && memcmp(rx_buf, s, rx_len) == 0;
	pthread_mutex_unlock(&rx_mtx);
	return eq;
}

static void
rx_reset(void)
{
	pthread_mutex_lock(&rx_mtx);
	rx_len = 0;
	pthread_mutex_unlock(&rx_mtx);
}

/* Read up to len bytes from fd within 5 s (stops early at EOF). */
static size_t
read_full(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len && poll(&p, 1, 5000) == 1) {
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static char sock_path[96];

static const char *
sock_spec(void)
{
	static char spec[160];

	snprintf(sock_path, sizeof(sock_path), "%.60s/com1.sock", tmpdir);
	snprintf(spec, sizeof(spec), "socket,%s", sock_path);
	return spec;
}

static int
client_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
backend_puts(const char *s)
{
	while (*s)
		uart_backend_write(cur, (uint8_t)*s++);
}

/* Wait until the backend has (or has not) an output peer. */
static bool
wait_connected(bool want)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (uart_backend_connected(cur) == want)
			return true;
		msleep(1);
	}
	return false;
}

/* --- tests ---------------------------------------------------------------------- */

TEST(bad_specs)
{
	char err[256], longpath[300];
	struct stat st;
	int fd;

	loop_start();
	CHECK(uart_backend_open(mev, NULL, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "empty") != NULL);
	CHECK(uart_backend_open(mev, "", NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "empty") != NULL);
	CHECK(uart_backend_open(mev, "socket,", NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "missing path") != NULL);
	CHECK(uart_backend_open(mev, "socket", NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "missing path") != NULL);
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, "socket,/", 8);
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(uart_backend_open(mev, longpath, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "too long") != NULL);
	CHECK(uart_backend_open(mev, "/nonexistent/ttyS9", NULL, NULL, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/ttyS9") != NULL);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK(uart_backend_open(mev, "/dev/null", NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a terminal") != NULL);
	/* A socket in a directory that does not exist. */
	CHECK(uart_backend_open(mev, "socket,/nonexistent/dir/s", NULL, NULL, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "cannot bind") != NULL);
	/* A regular file where the socket should go is left alone. */
	sock_spec();
	fd = open(sock_path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK(uart_backend_open(mev, sock_spec(), NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a socket") != NULL);
	CHECK(stat(sock_path, &st) == 0 && S_ISREG(st.st_mode));
	unlink(sock_path);
	/* Tiny error buffers are fine. */
	CHECK(uart_backend_open(mev, "", NULL, NULL, err, 4) == NULL);
	CHECK_EQ(strlen(err), 3);
	loop_stop();
}

TEST(socket_roundtrip)
{
	char err[256], buf[16];
	struct stat st;
	int c;

	loop_start();
	cur = uart_backend_open(mev, sock_spec(), rx_ready, NULL, err, sizeof(err));
	CHECK(cur != NULL);
	if (cur == NULL) {
		printf("    %s\n", err);
		loop_stop();
		return;
	}
	CHECK(stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK(!uart_backend_connected(cur));
	c = client_connect();
	CHECK(c >= 0);
	CHECK(wait_connected(true));
	CHECK_EQ(write(c, "hello", 5), 5);
	CHECK_EQ(wait_rx(5), 5);
	CHECK(rx_equals("hello"));
	backend_puts("world");
	CHECK_EQ(read_full(c, buf, 5), 5);
	CHECK(memcmp(buf, "world", 5) == 0);
	close(c);
	loop_stop();
	/* Close removes the socket file. */
	CHECK(stat(sock_path, &st) != 0 && errno == ENOENT);
}

TEST(socket_reconnect_and_busy)
{
	char err[256], buf[128];
	int a, b2, c;
	size_t n;

	loop_start();
	cur = uart_backend_open(mev, sock_spec(), rx_ready, NULL, err, sizeof(err));
	CHECK(cur != NULL);
	if (cur == NULL) {
		loop_stop();
		return;
	}
	a = client_connect();
	CHECK(wait_connected(true));
	/* A second client is turned away; the first keeps working. */
	b2 = client_connect();
	CHECK(b2 >= 0);
	n = read_full(b2, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	CHECK(strstr(buf, "busy") != NULL);
	close(b2);
	CHECK_EQ(write(a, "1", 1), 1);
	CHECK_EQ(wait_rx(1), 1);
	CHECK(rx_equals("1"));
	backend_puts("A");
	CHECK_EQ(read_full(a, buf, 1), 1);
	CHECK_EQ(buf[0], 'A');

	/* The first leaves; a new one gets the port. */
	close(a);
	CHECK(wait_connected(false));
	c = client_connect();
	CHECK(c >= 0);
	CHECK(wait_connected(true));
	rx_reset();
	CHECK_EQ(write(c, "again", 5), 5);
	CHECK_EQ(wait_rx(5), 5);
	CHECK(rx_equals("again"));
	backend_puts("ok");
	CHECK_EQ(read_full(c, buf, 2), 2);
	CHECK(memcmp(buf, "ok", 2) == 0);
	close(c);

	/* With input unwatched (guest not reading) the hang-up is only
	 * noticed when the next client comes: it must still get in. */
	uart_backend_rx_enable(cur, false);
	msleep(20);
	a = client_connect();
	CHECK(wait_connected(true));
	close(a);
	msleep(20);
	c = client_connect();
	CHECK(c >= 0);
	msleep(20);
	backend_puts("new");
	CHECK_EQ(read_full(c, buf, 3), 3);
	CHECK(memcmp(buf, "new", 3) == 0);
	close(c);
	loop_stop();
}

TEST(socket_no_client_drops)
{
	char err[256];
	struct timespec t0, t1;
	unsigned i;

	loop_start();
	cur = uart_backend_open(mev, sock_spec(), rx_ready, NULL, err, sizeof(err));
	CHECK(cur != NULL);
	if (cur == NULL) {
		loop_stop();
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 200000; i++)
		uart_backend_write(cur, (uint8_t)i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 3);
	CHECK_EQ(uart_backend_out_dropped(cur), 200000);
	CHECK_EQ(uart_backend_out_pending(cur), 0);
	/* Nothing read without a client either. */
	{
		uint8_t b[8];

		CHECK_EQ(uart_backend_read(cur, b, sizeof(b)), 0);
	}
	loop_stop();
}

TEST(socket_slow_peer)
{
	static uint8_t got[300000];
	char err[256];
	size_t total = 300000, n, i;
	int c, ok = 1;

	loop_start();
	cur = uart_backend_open(mev, sock_spec(), rx_ready, NULL, err, sizeof(err));
	CHECK(cur != NULL);
	if (cur == NULL) {
		loop_stop();
		return;
	}
	c = client_connect();
	CHECK(wait_connected(true));
	/* The client reads nothing: writes must neither block nor grow
	 * without bound. */
	for (i = 0; i < total; i++)
		uart_backend_write(cur, (uint8_t)(i % 251));
	CHECK(uart_backend_out_pending(cur) <= UART_BACKEND_OUTBUF);
	CHECK(uart_backend_out_pending(cur) > 0);
	CHECK(uart_backend_out_dropped(cur) > 0);
	/* Now it reads: what arrives is a prefix of the stream (newest
	 * bytes were dropped), and the queue drains. */
	n = total - uart_backend_out_dropped(cur);
	CHECK_EQ(read_full(c, got, n), n);
	for (i = 0; i < n; i++) {
		if (got[i] != (uint8_t)(i % 251))
			ok = 0;
	}
	CHECK(ok);
	CHECK_EQ(uart_backend_out_pending(cur), 0);
	close(c);
	loop_stop();
}

TEST(flow_control)
{
	char err[256];
	unsigned calls;
	int c;

	loop_start();
	cur = uart_backend_open(mev, sock_spec(), rx_ready, NULL, err, sizeof(err));
	CHECK(cur != NULL);
	if (cur == NULL) {
		loop_stop();
		return;
	}
	c = client_connect();
	CHECK(wait_connected(true));
	uart_backend_rx_enable(cur, false);
	msleep(20);
	pthread_mutex_lock(&rx_mtx);
	calls = rx_calls;
	pthread_mutex_unlock(&rx_mtx);
	CHECK_EQ(write(c, "held", 4), 4);
	msleep(100);
	CHECK_EQ(wait_rx(0), 0);
	pthread_mutex_lock(&rx_mtx);
	CHECK_EQ(rx_calls, calls);
	pthread_mutex_unlock(&rx_mtx);
	uart_backend_rx_enable(cur, true);
	CHECK_EQ(wait_rx(4), 4);
	CHECK(rx_equals("held"));
	close(c);
	loop_stop();
}

TEST(stale_socket_replaced)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[256];
	int s, c;

	sock_spec();
	/* Leave a socket file with nobody listening. */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	CHECK(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(s);
	loop_start();
	cur = uart_backend_open(mev, sock_spec(), rx_ready, NULL, err, sizeof(err));
	CHECK(cur != NULL);
	if (cur == NULL) {
		printf("    %s\n", err);
		loop_stop();
		return;
	}
	/* A live socket is not taken over. */
	{
		struct uart_backend *second = uart_backend_open(mev, sock_spec(),
		    NULL, NULL, err, sizeof(err));

		CHECK(second == NULL);
		CHECK(strstr(err, "in use") != NULL);
	}
	c = client_connect();
	CHECK(c >= 0);
	CHECK(wait_connected(true));
	close(c);
	loop_stop();
}

TEST(tty_device)
{
	struct termios before, after;
	char err[256], buf[8];
	int m, s;
	const char *name;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	CHECK(m >= 0);
	if (m < 0)
		return;
	grantpt(m);
	unlockpt(m);
	name = ptsname(m);
	/* Keep the slave open so its settings persist between opens. */
	s = open(name, O_RDWR | O_NOCTTY);
	tcgetattr(s, &before);
	loop_start();
	cur = uart_backend_open(mev, name, rx_ready, NULL, err, sizeof(err));
	CHECK(cur != NULL);
	if (cur == NULL) {
		printf("    %s\n", err);
		loop_stop();
		close(s);
		close(m);
		return;
	}
	CHECK(uart_backend_connected(cur));
	/* Raw: a newline goes out unchanged (no CR added). */
	backend_puts("a\n");
	CHECK_EQ(read_full(m, buf, 2), 2);
	CHECK(memcmp(buf, "a\n", 2) == 0);
	/* Raw: input is passed at once, no line editing or echo. */
	CHECK_EQ(write(m, "x\x7f", 2), 2);
	CHECK_EQ(wait_rx(2), 2);
	CHECK(rx_equals("x\x7f"));
	loop_stop();
	tcgetattr(s, &after);
	CHECK_EQ(after.c_lflag, before.c_lflag);
	CHECK_EQ(after.c_oflag, before.c_oflag);
	close(s);
	close(m);
}

TEST(stdio)
{
	int in[2], out[2], save0, save1, fl0, fl1;
	char err[256], buf[8];
	unsigned calls;

	CHECK(pipe(in) == 0 && pipe(out) == 0);
	save0 = dup(0);
	save1 = dup(1);
	fflush(stdout);
	dup2(in[0], 0);
	dup2(out[1], 1);
	fl0 = fcntl(0, F_GETFL);
	fl1 = fcntl(1, F_GETFL);
	loop_start();
	cur = uart_backend_open(mev, "stdio", rx_ready, NULL, err, sizeof(err));
	/* Only one stdio backend. */
	{
		struct uart_backend *second = uart_backend_open(mev, "stdio",
		    NULL, NULL, err, sizeof(err));

		CHECK(second == NULL);
		CHECK(strstr(err, "already used") != NULL);
	}
	CHECK(cur != NULL);
	if (cur != NULL) {
		CHECK(fcntl(0, F_GETFL) & O_NONBLOCK);
		CHECK_EQ(write(in[1], "kb", 2), 2);
		CHECK_EQ(wait_rx(2), 2);
		CHECK(rx_equals("kb"));
		backend_puts("scr");
		CHECK_EQ(read_full(out[0], buf, 3), 3);
		CHECK(memcmp(buf, "scr", 3) == 0);
		/* EOF on stdin: input stops, rx_ready is not called in a loop. */
		close(in[1]);
		msleep(50);
		pthread_mutex_lock(&rx_mtx);
		calls = rx_calls;
		pthread_mutex_unlock(&rx_mtx);
		msleep(100);
		pthread_mutex_lock(&rx_mtx);
		CHECK(rx_calls <= calls + 1);
		pthread_mutex_unlock(&rx_mtx);
		/* Output still works after input ended. */
		backend_puts("z");
		CHECK_EQ(read_full(out[0], buf, 1), 1);
	}
	loop_stop();
	/* File flags are restored. */
	CHECK_EQ(fcntl(0, F_GETFL), fl0);
	CHECK_EQ(fcntl(1, F_GETFL), fl1);
	dup2(save0, 0);
	dup2(save1, 1);
	close(save0);
	close(save1);
	close(in[0]);
	close(out[0]);
	close(out[1]);
	/* And stdio can be opened again afterwards. */
	loop_start();
	cur = uart_backend_open(mev, "stdio", NULL, NULL, err, sizeof(err));
	CHECK(cur != NULL);
	loop_stop();
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/zhyve-uart-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(bad_specs);
	RUN(socket_roundtrip);
	RUN(socket_reconnect_and_busy);
	RUN(socket_no_client_drops);
	RUN(socket_slow_peer);
	RUN(flow_control);
	RUN(stale_socket_replaced);
	RUN(tty_device);
	RUN(stdio);
	unlink(sock_path);
	rmdir(tmpdir);
	TEST_SUMMARY();
}
