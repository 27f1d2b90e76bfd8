/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Serial port host backends: stdio, a UNIX socket with one client at a
 * time, or a terminal device (see uart_backend.h).
 *
 * Threads: uart_backend_write() runs on vCPU threads (under the UART's
 * lock); the accept/read/write event callbacks and, through rx_ready,
 * uart_backend_read() run on the mevent thread; open/close run on the
 * main thread.  Shared state is under b->mtx.  fds of a socket client are
 * closed only through mevent_delete_close(), so an fd number is never
 * reused while an event may still refer to it; b->rfd/b->wfd are set to -1
 * under the lock first, so no thread writes to a closed fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "mevent.h"
#include "uart_backend.h"

enum be_kind { BE_STDIO, BE_SOCKET, BE_TTY };

struct uart_backend {
	pthread_mutex_t mtx;
	struct mevent_base *mev;
	enum be_kind kind;
	void (*rx_ready)(void *arg);
	void *arg;

	/* Input: fd and its read event (NULL when not watched at all). */
	int rfd;
	struct mevent *rev;
	bool rx_on;	  /* what the owner asked for */
	bool rev_enabled; /* what the event is set to */

	/* Output: fd, its write event (NULL if the fd cannot be polled),
	 * and a ring of queued bytes. */
	int wfd;
	bool wsock;	  /* fd is a socket: send() with MSG_NOSIGNAL */
	bool wbroken;	  /* a hard write error: drop until reconnect */
	struct mevent *wev;
	bool wev_enabled;
	uint8_t *out;	  /* UART_BACKEND_OUTBUF bytes */
	size_t out_head;  /* < UART_BACKEND_OUTBUF */
	size_t out_len;	  /* <= UART_BACKEND_OUTBUF */
	uint64_t dropped;

	/* socket */
	int lfd;
	struct mevent *lev;
	char *path;

	/* tty device */
	struct termios tio_saved;
	bool tio_valid;

	bool stdio_owner; /* this backend holds the process's stdio */
};

/* --- stdio terminal state (process-wide) --------------------------------- */

static pthread_mutex_t stdio_mtx = PTHREAD_MUTEX_INITIALIZER;
static bool stdio_in_use;
static bool stdio_atexit_done;
static volatile sig_atomic_t stdio_tio_saved_valid;
static struct termios stdio_tio_saved;
static volatile sig_atomic_t stdio_fl_saved_valid;
static int stdio_fl_saved[2];

void
uart_backend_tty_restore(void)
{
	if (stdio_tio_saved_valid)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &stdio_tio_saved);
	if (stdio_fl_saved_valid) {
		(void)fcntl(STDIN_FILENO, F_SETFL, stdio_fl_saved[0]);
		(void)fcntl(STDOUT_FILENO, F_SETFL, stdio_fl_saved[1]);
	}
}

static void
stdio_setup(void)
{
	struct termios t;
	int fl0 = fcntl(STDIN_FILENO, F_GETFL);
	int fl1 = fcntl(STDOUT_FILENO, F_GETFL);

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &stdio_tio_saved) == 0) {
		stdio_tio_saved_valid = 1;
		t = stdio_tio_saved;
		cfmakeraw(&t);
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	if (fl0 >= 0 && fl1 >= 0) {
		stdio_fl_saved[0] = fl0;
		stdio_fl_saved[1] = fl1;
		stdio_fl_saved_valid = 1;
		(void)fcntl(STDIN_FILENO, F_SETFL, fl0 | O_NONBLOCK);
		(void)fcntl(STDOUT_FILENO, F_SETFL, fl1 | O_NONBLOCK);
	}
	if (!stdio_atexit_done && atexit(uart_backend_tty_restore) == 0)
		stdio_atexit_done = true;
}

/* --- output ---------------------------------------------------------------- */

static ssize_t
out_write(struct uart_backend *b, const uint8_t *p, size_t n)
{
	if (b->wsock)
		return send(b->wfd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	return write(b->wfd, p, n);
}

static bool
transient(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

/* A hard error on the output fd: drop output until the peer changes. */
static void
out_broken(struct uart_backend *b)
{
	b->wbroken = true;
	b->dropped += b->out_len;
	b->out_len = 0;
}

static void
wev_set(struct uart_backend *b, bool on)
{
	if (b->wev == NULL || b->wev_enabled == on)
		return;
	if ((on ? mevent_enable(b->wev) : mevent_disable(b->wev)) == 0)
		b->wev_enabled = on;
}

/* Write queued bytes until done or the fd would block.  Lock held. */
static void
out_flush(struct uart_backend *b)
{
	size_t chunk;
	ssize_t n;

	while (b->out_len > 0 && b->wfd >= 0 && !b->wbroken) {
		chunk = UART_BACKEND_OUTBUF - b->out_head;
		if (chunk > b->out_len)
			chunk = b->out_len;
		n = out_write(b, b->out + b->out_head, chunk);
		if (n > 0) {
			/* n <= chunk, so head stays < OUTBUF after the mod. */
			b->out_head = (b->out_head + (size_t)n) % UART_BACKEND_OUTBUF;
			b->out_len -= (size_t)n;
		} else if (n < 0 && transient(errno)) {
			break;
		} else {
			out_broken(b);
		}
	}
	if (b->out_len == 0)
		b->out_head = 0;
	wev_set(b, b->out_len > 0);
}

void
uart_backend_write(struct uart_backend *b, uint8_t byte)
{
	ssize_t n;

	pthread_mutex_lock(&b->mtx);
	if (b->wfd < 0 || b->wbroken) {
		b->dropped++; /* nobody to send it to */
		goto out;
	}
	if (b->out_len == 0) {
		n = out_write(b, &byte, 1);
		if (n == 1)
			goto out;
		if (n < 0 && !transient(errno)) {
			out_broken(b);
			b->dropped++;
			goto out;
		}
	}
	if (b->out_len >= UART_BACKEND_OUTBUF) {
		b->dropped++; /* full: drop the newest byte */
		goto out;
	}
	b->out[(b->out_head + b->out_len) % UART_BACKEND_OUTBUF] = byte;
	b->out_len++;
	if (b->wev != NULL)
		wev_set(b, true);
	else
		out_flush(b); /* unpollable fd (a file): just retry */
out:
	pthread_mutex_unlock(&b->mtx);
}

static void
write_cb(int fd, enum ev_type type, void *param)
{
	struct uart_backend *b = param;

	pthread_mutex_lock(&b->mtx);
	if (fd == b->wfd)
		out_flush(b);
	pthread_mutex_unlock(&b->mtx);
}

/* --- input ------------------------------------------------------------------ */

static void
rev_set(struct uart_backend *b, bool on)
{
	if (b->rev == NULL || b->rev_enabled == on)
		return;
	if ((on ? mevent_enable(b->rev) : mevent_disable(b->rev)) == 0)
		b->rev_enabled = on;
}

/* Forget the socket client (lock held). */
static void
client_drop(struct uart_backend *b)
{
	if (b->rev != NULL)
		(void)mevent_delete_close(b->rev);
	else if (b->rfd >= 0)
		(void)close(b->rfd);
	if (b->wev != NULL)
		(void)mevent_delete_close(b->wev);
	else if (b->wfd >= 0)
		(void)close(b->wfd);
	b->rev = b->wev = NULL;
	b->rfd = b->wfd = -1;
	b->rev_enabled = b->wev_enabled = false;
	b->wbroken = false;
	b->dropped += b->out_len;
	b->out_len = b->out_head = 0;
}

/* Input ended or failed (lock held): a socket client is gone; stdin or a
 * tty stops being read. */
static void
input_ended(struct uart_backend *b)
{
	if (b->kind == BE_SOCKET) {
		client_drop(b);
		return;
	}
	if (b->rev != NULL) {
		if (b->kind == BE_TTY)
			(void)mevent_delete_close(b->rev);
		else
			(void)mevent_delete(b->rev);
	} else if (b->kind == BE_TTY && b->rfd >= 0) {
		(void)close(b->rfd);
	}
	b->rev = NULL;
	b->rev_enabled = false;
	b->rfd = -1;
}

int
uart_backend_read(struct uart_backend *b, uint8_t *buf, size_t len)
{
	ssize_t n;
	int ret = 0;

	if (len == 0)
		return 0;
	if (len > 4096)
		len = 4096; /* keeps the count in an int */
	pthread_mutex_lock(&b->mtx);
	if (b->rfd >= 0) {
		n = read(b->rfd, buf, len);
		if (n > 0)
			ret = (int)n;
		else if (n == 0 || !transient(errno))
			input_ended(b);
	}
	pthread_mutex_unlock(&b->mtx);
	return ret;
}

static void
read_cb(int fd, enum ev_type type, void *param)
{
	struct uart_backend *b = param;
	uint8_t sink[256];
	bool ours;

	pthread_mutex_lock(&b->mtx);
	ours = fd == b->rfd && b->rev != NULL;
	pthread_mutex_unlock(&b->mtx);
	if (!ours)
		return;
	if (b->rx_ready != NULL)
		b->rx_ready(b->arg);
	else
		(void)uart_backend_read(b, sink, sizeof(sink));
}

void
uart_backend_rx_enable(struct uart_backend *b, bool enable)
{
	pthread_mutex_lock(&b->mtx);
	b->rx_on = enable;
	rev_set(b, enable);
	pthread_mutex_unlock(&b->mtx);
}

/* --- socket ------------------------------------------------------------------ */

/* Is the current client still there?  (Its input may be unwatched while
 * the guest is not reading, so a hang-up can go unnoticed until now.) */
static bool
client_alive(const struct uart_backend *b)
{
	struct pollfd p = { .fd = b->rfd, .events = POLLIN | POLLRDHUP };

	if (b->wbroken)
		return false;
	if (poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)))
		return false;
	return true;
}

static void
accept_cb(int fd, enum ev_type type, void *param)
{
	static const char busy[] = "serial port busy: another client is connected\r\n";
	struct uart_backend *b = param;
	int c, d;

	c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return;
	pthread_mutex_lock(&b->mtx);
	if (b->rfd >= 0) {
		if (client_alive(b)) {
			pthread_mutex_unlock(&b->mtx);
			(void)send(c, busy, sizeof(busy) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)close(c);
			return;
		}
		client_drop(b);
	}
	/* A second descriptor for the write event: epoll takes one
	 * registration per descriptor. */
	d = fcntl(c, F_DUPFD_CLOEXEC, 0);
	if (d < 0) {
		pthread_mutex_unlock(&b->mtx);
		(void)close(c);
		return;
	}
	b->rfd = c;
	b->wfd = d;
	b->wsock = true;
	b->wbroken = false;
	b->rev = b->rx_on ?
	    mevent_add(b->mev, c, EVF_READ, read_cb, b) :
	    mevent_add_disabled(b->mev, c, EVF_READ, read_cb, b);
	b->rev_enabled = b->rx_on;
	b->wev = mevent_add_disabled(b->mev, d, EVF_WRITE, write_cb, b);
	b->wev_enabled = false;
	if (b->rev == NULL || b->wev == NULL)
		client_drop(b);
	pthread_mutex_unlock(&b->mtx);
}

static int
socket_open(struct uart_backend *b, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int probe, e;

	if (*path == '\0') {
		snprintf(err, errlen, "socket: missing path (use socket,PATH)");
		return -1;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path is too long (%zu bytes, at most %zu): %s",
		    strlen(path), sizeof(sa.sun_path) - 1, path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "socket path \"%s\" exists and is not a socket",
			    path);
			return -1;
		}
		/* Someone listening there?  Otherwise it is stale. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (probe >= 0) {
			e = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 ?
			    0 : errno;
			(void)close(probe);
			if (e == 0 || e == EAGAIN) {
				snprintf(err, errlen,
				    "socket \"%s\" is in use by another process", path);
				return -1;
			}
		}
		if (unlink(path) != 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove stale socket \"%s\": %s",
			    path, strerror(errno));
			return -1;
		}
	}
	b->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->lfd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(b->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, "cannot bind socket \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	b->path = strdup(path); /* from now on close() unlinks it */
	if (b->path == NULL) {
		snprintf(err, errlen, "socket \"%s\": out of memory", path);
		return -1;
	}
	/* Restrict before listen(): nobody can connect until then. */
	if (chmod(path, 0600) != 0 || listen(b->lfd, 1) != 0) {
		snprintf(err, errlen, "cannot set up socket \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	b->lev = mevent_add(b->mev, b->lfd, EVF_READ, accept_cb, b);
	if (b->lev == NULL) {
		snprintf(err, errlen, "socket \"%s\": cannot watch for clients", path);
		return -1;
	}
	return 0;
}

/* --- tty device and stdio ----------------------------------------------------- */

static int
tty_open(struct uart_backend *b, const char *path, char *err, size_t errlen)
{
	struct termios t;
	int fd;

	fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open serial device \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	if (!isatty(fd) || tcgetattr(fd, &b->tio_saved) != 0) {
		snprintf(err, errlen,
		    "\"%s\" is not a terminal (use stdio, socket,PATH or a tty device)",
		    path);
		(void)close(fd);
		return -1;
	}
	b->tio_valid = true;
	t = b->tio_saved;
	cfmakeraw(&t);
	(void)tcsetattr(fd, TCSANOW, &t);
	b->rfd = fd;
	b->wfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (b->wfd < 0) {
		snprintf(err, errlen, "serial device \"%s\": %s", path, strerror(errno));
		return -1;
	}
	b->rev = mevent_add(b->mev, b->rfd, EVF_READ, read_cb, b);
	b->wev = mevent_add_disabled(b->mev, b->wfd, EVF_WRITE, write_cb, b);
	if (b->rev == NULL || b->wev == NULL) {
		snprintf(err, errlen, "serial device \"%s\": cannot watch it", path);
		return -1;
	}
	b->rev_enabled = true;
	return 0;
}

/* Can epoll watch fd?  (Not a regular file or /dev/null, for example.) */
static bool
fd_pollable(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool ok;

	if (ep < 0)
		return false;
	ok = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
	(void)close(ep);
	return ok;
}

static int
stdio_open(struct uart_backend *b, char *err, size_t errlen)
{
	struct stat st;

	pthread_mutex_lock(&stdio_mtx);
	if (stdio_in_use) {
		pthread_mutex_unlock(&stdio_mtx);
		snprintf(err, errlen, "stdio is already used by another serial port");
		return -1;
	}
	stdio_in_use = true;
	b->stdio_owner = true;
	stdio_setup();
	pthread_mutex_unlock(&stdio_mtx);

	b->rfd = STDIN_FILENO;
	b->wfd = STDOUT_FILENO;
	b->wsock = fstat(STDOUT_FILENO, &st) == 0 && S_ISSOCK(st.st_mode);
	/* Either may be unpollable (a regular file, /dev/null): then there
	 * is no input, or output is written without waiting (such files
	 * never return EAGAIN). */
	if (fd_pollable(b->rfd))
		b->rev = mevent_add(b->mev, b->rfd, EVF_READ, read_cb, b);
	if (b->rev == NULL)
		b->rfd = -1;
	b->rev_enabled = b->rev != NULL;
	if (fd_pollable(b->wfd))
		b->wev = mevent_add_disabled(b->mev, b->wfd, EVF_WRITE, write_cb, b);
	return 0;
}

static void
stdio_release(void)
{
	pthread_mutex_lock(&stdio_mtx);
	uart_backend_tty_restore();
	stdio_tio_saved_valid = 0;
	stdio_fl_saved_valid = 0;
	stdio_in_use = false;
	pthread_mutex_unlock(&stdio_mtx);
}

/* --- open/close ------------------------------------------------------------------ */

struct uart_backend *
uart_backend_open(struct mevent_base *mev, const char *spec,
    void (*rx_ready)(void *arg), void *arg, char *err, size_t errlen)
{
	struct uart_backend *b;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "empty serial backend (use stdio, socket,PATH or a tty device)");
		return NULL;
	}
	if (mev == NULL) {
		snprintf(err, errlen, "serial backend \"%s\": no event loop", spec);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL || (b->out = malloc(UART_BACKEND_OUTBUF)) == NULL) {
		free(b);
		snprintf(err, errlen, "serial backend \"%s\": out of memory", spec);
		return NULL;
	}
	pthread_mutex_init(&b->mtx, NULL);
	b->mev = mev;
	b->rx_ready = rx_ready;
	b->arg = arg;
	b->rx_on = true;
	b->rfd = b->wfd = b->lfd = -1;

	if (strcmp(spec, "stdio") == 0) {
		b->kind = BE_STDIO;
		rc = stdio_open(b, err, errlen);
	} else if (strncmp(spec, "socket,", 7) == 0) {
		b->kind = BE_SOCKET;
		rc = socket_open(b, spec + 7, err, errlen);
	} else if (strcmp(spec, "socket") == 0) {
		b->kind = BE_SOCKET;
		rc = socket_open(b, "", err, errlen);
	} else {
		b->kind = BE_TTY;
		rc = tty_open(b, spec, err, errlen);
	}
	if (rc != 0) {
		uart_backend_close(b);
		return NULL;
	}
	return b;
}

void
uart_backend_close(struct uart_backend *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mtx);
	if (b->kind == BE_TTY && b->tio_valid)
		(void)tcsetattr(b->wfd >= 0 ? b->wfd : b->rfd, TCSANOW, &b->tio_saved);
	if (b->kind == BE_STDIO) {
		if (b->rev != NULL)
			(void)mevent_delete(b->rev);
		if (b->wev != NULL)
			(void)mevent_delete(b->wev);
		b->rev = b->wev = NULL;
		b->rfd = b->wfd = -1;
	} else {
		client_drop(b); /* the client, or the tty's two fds */
	}
	if (b->lev != NULL)
		(void)mevent_delete_close(b->lev);
	else if (b->lfd >= 0)
		(void)close(b->lfd);
	if (b->path != NULL)
		(void)unlink(b->path);
	pthread_mutex_unlock(&b->mtx);
	if (b->stdio_owner)
		stdio_release();
	pthread_mutex_destroy(&b->mtx);
	free(b->path);
	free(b->out);
	free(b);
}

/* --- queries --------------------------------------------------------------------- */

bool
uart_backend_connected(struct uart_backend *b)
{
	bool c;

	pthread_mutex_lock(&b->mtx);
	c = b->wfd >= 0 && !b->wbroken;
	pthread_mutex_unlock(&b->mtx);
	return c;
}

size_t
uart_backend_out_pending(struct uart_backend *b)
{
	size_t n;

	pthread_mutex_lock(&b->mtx);
	n = b->out_len;
	pthread_mutex_unlock(&b->mtx);
	return n;
}

uint64_t
uart_backend_out_dropped(struct uart_backend *b)
{
	uint64_t n;

	pthread_mutex_lock(&b->mtx);
	n = b->dropped;
	pthread_mutex_unlock(&b->mtx);
	return n;
}
