/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * blkbench: the guest side of the virtio-blk benchmark.  Runs inside the
 * level-2 Linux guest (built statically in the level-1 host and shipped in
 * the guest's initramfs) against a raw block device, with O_DIRECT so the
 * guest's page cache stays out of it:
 *
 *   blkbench DEVICE MIB [SECONDS]
 *     seqwrite  1 MiB writes over the first MIB MiB, then fdatasync
 *     seqread   1 MiB reads of the same range
 *     randread  4 KiB reads at random 4 KiB offsets in that range from 8
 *               threads (8 requests in flight) for SECONDS (default 5)
 *
 * Prints one line per test: "BENCH <test> <value> <unit>".
 *
 * Threads: the main thread, plus 8 reader threads for randread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BIG	(1u << 20)
#define SMALL	4096
#define NTHR	8

static const char *dev;
static uint64_t span;
static double secs = 5;
static volatile int stop;

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
open_dev(int flags)
{
	int fd = open(dev, flags | O_DIRECT);

	if (fd < 0) {
		fprintf(stderr, "blkbench: %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	return fd;
}

static void
seq(int write)
{
	int fd = open_dev(write ? O_WRONLY : O_RDONLY);
	void *buf;
	double t0;

	if (posix_memalign(&buf, 4096, BIG) != 0)
		exit(1);
	memset(buf, 0x5A, BIG);
	t0 = now();
	for (uint64_t off = 0; off + BIG <= span; off += BIG) {
		ssize_t r = write ? pwrite(fd, buf, BIG, (off_t)off) :
		    pread(fd, buf, BIG, (off_t)off);

		if (r != (ssize_t)BIG) {
			fprintf(stderr, "blkbench: %s at %llu: %s\n",
			    write ? "write" : "read", (unsigned long long)off,
			    r < 0 ? strerror(errno) : "short");
			exit(1);
		}
	}
	if (write && fdatasync(fd) != 0)
		exit(1);
	printf("BENCH %s %.1f MB/s\n", write ? "seqwrite" : "seqread",
	    (double)span / (now() - t0) / 1e6);
	free(buf);
	close(fd);
}

static void *
reader(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 0x9E3779B97F4A7C15ULL + 1, n = 0;
	uint64_t blocks = span / SMALL;
	int fd = open_dev(O_RDONLY);
	void *buf;

	if (posix_memalign(&buf, 4096, SMALL) != 0)
		exit(1);
	while (!stop) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		if (pread(fd, buf, SMALL, (off_t)((seed >> 20) % blocks *
		    SMALL)) != SMALL) {
			fprintf(stderr, "blkbench: random read: %s\n",
			    strerror(errno));
			exit(1);
		}
		n++;
	}
	free(buf);
	close(fd);
	return (void *)(uintptr_t)n;
}

static void
randread(void)
{
	pthread_t t[NTHR];
	uint64_t total = 0;
	double t0 = now(), el;

	for (uintptr_t i = 0; i < NTHR; i++)
		pthread_create(&t[i], NULL, reader, (void *)i);
	while (now() - t0 < secs)
		usleep(20000);
	stop = 1;
	for (int i = 0; i < NTHR; i++) {
		void *r;

		pthread_join(t[i], &r);
		total += (uintptr_t)r;
	}
	el = now() - t0;
	printf("BENCH randread %.0f IOPS\n", (double)total / el);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: blkbench DEVICE MIB [SECONDS]\n");
		return 2;
	}
	dev = argv[1];
	span = strtoull(argv[2], NULL, 10) << 20;
	if (argc > 3)
		secs = atof(argv[3]);
	if (span < BIG)
		return 2;
	seq(1);
	seq(0);
	randread();
	return 0;
}
