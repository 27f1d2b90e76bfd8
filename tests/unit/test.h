/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal unit-test harness.  Each test binary defines test cases with
 * TEST(name) and lists them in main() with RUN(name).  A case fails when any
 * CHECK fails; the binary prints one line per case and ends with the
 * summary line "N passed, N failed", exiting nonzero if anything failed.
 * tests/run.sh adds the summaries of all binaries.
 */
#ifndef ZHYVE_TEST_H
#define ZHYVE_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_npass, test_nfail, test_nskip, test_case_failed;
static const char *test_case_skipped;

/* Give up on the current case because something it needs is missing; the
 * case is reported as "skipped: <name>: <why>" and not counted as passed. */
#define SKIP(why)                                                            \
	do {                                                                 \
		test_case_skipped = (why);                                   \
		return;                                                      \
	} while (0)

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("    %s:%d: check failed: %s\n", __FILE__,      \
			    __LINE__, #cond);                                \
			test_case_failed = 1;                                \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);          \
		if (_a != _b) {                                              \
			printf("    %s:%d: %s == %s: %lld != %lld\n",        \
			    __FILE__, __LINE__, #a, #b, _a, _b);             \
			test_case_failed = 1;                                \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *_a = (a), *_b = (b);                             \
		if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) {       \
			printf("    %s:%d: %s == %s: \"%s\" != \"%s\"\n",    \
			    __FILE__, __LINE__, #a, #b, _a ? _a : "(null)",  \
			    _b ? _b : "(null)");                             \
			test_case_failed = 1;                                \
		}                                                            \
	} while (0)

#define RUN(name)                                                            \
	do {                                                                 \
		test_case_failed = 0;                                        \
		test_case_skipped = NULL;                                    \
		test_##name();                                               \
		if (test_case_skipped != NULL && !test_case_failed) {        \
			test_nskip++;                                        \
			printf("skipped: %s: %s\n", #name, test_case_skipped); \
		} else if (test_case_failed) {                                      \
			test_nfail++;                                        \
			printf("FAIL %s\n", #name);                          \
		} else {                                                     \
			test_npass++;                                        \
			printf("ok   %s\n", #name);                          \
		}                                                            \
		fflush(stdout);                                              \
	} while (0)

#define TEST_SUMMARY()                                                       \
	do {                                                                 \
		if (test_nskip)                                              \
			printf("%d passed, %d failed, %d skipped\n",          \
			    test_npass, test_nfail, test_nskip);             \
		else                                                         \
			printf("%d passed, %d failed\n", test_npass,          \
			    test_nfail);                                     \
		return test_nfail ? 1 : 0;                                   \
	} while (0)

#endif
