/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/suppress.c: repeat-hit suppression. Every test is
 * deterministic: the table's hash is fixed, and the threaded tests check
 * properties that hold under any interleaving.
 */
#include "suppress.h"

#include <check.h>

#include "testutil.h"
#include <pthread.h>
#include <stdlib.h>

#define W 1000 /* window, us */
#define T0 1700000000000000LL /* a realistic capture time, us */
/* HL_SUPPRESS_SLOTS in lib/suppress.c. */
#define TABLE_SLOTS 65536u
/* Distinct pairs used to fill the table: 4x its slots, which (with the
 * table's fixed hash) takes every slot, as test_saturation checks. */
#define FILL_PAIRS (4 * TABLE_SLOTS)
#define N_THREADS 4
#define PAIRS_PER_THREAD 30000

static struct hl_suppress *new_suppress(int64_t window)
{
	struct hl_suppress *s = NULL;

	ck_assert_int_eq(hotlist__suppress_create(&s, window, NULL), 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_basic_window)
{
	struct hl_suppress *s = new_suppress(W);

	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0), 0); /* first sighting */
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0), 1); /* same instant */
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + W - 1), 1);
	/* Suppressed hits do not extend the window: T0 + W is a window after
	 * the last reported hit, so it is reported (and recorded). */
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + W), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + W + 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + 2 * W - 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + 2 * W), 0);
	/* Long after. */
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + 100 * W), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + 100 * W + 5), 1);
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

START_TEST(test_distinct_pairs)
{
	struct hl_suppress *s = new_suppress(W);

	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 2, 7, T0), 0); /* other entry */
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 8, T0), 0); /* other camera */
	ck_assert_int_eq(hotlist__suppress_check(s, 7, 1, T0), 0); /* swapped ids */
	ck_assert_int_eq(hotlist__suppress_check(s, 0, 0, T0), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, UINT64_MAX, UINT64_MAX, T0), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0 + 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 2, 7, T0 + 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 1, 8, T0 + 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 7, 1, T0 + 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 0, 0, T0 + 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, UINT64_MAX, UINT64_MAX, T0 + 1), 1);
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

START_TEST(test_window_zero)
{
	struct hl_suppress *s = new_suppress(0);

	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(hotlist__suppress_check(s, 1, 7, T0), 0);
	hotlist__suppress_destroy(s, NULL);
	hotlist__suppress_destroy(NULL, NULL);
}
END_TEST

START_TEST(test_bad_window)
{
	struct hl_suppress *s = (struct hl_suppress *)&s;

	ck_assert_int_eq(hotlist__suppress_create(&s, -1, NULL), HOTLIST_EINVAL);
	ck_assert_ptr_eq(s, (struct hl_suppress *)&s);
}
END_TEST

/* Reads arrive out of order: suppress iff |ts - last reported| < window. */
START_TEST(test_out_of_order)
{
	struct hl_suppress *s = new_suppress(W);

	ck_assert_int_eq(hotlist__suppress_check(s, 3, 3, T0), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 3, 3, T0 - 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 3, 3, T0 - W + 1), 1);
	/* A window older: reported, but the newer time stays recorded. */
	ck_assert_int_eq(hotlist__suppress_check(s, 3, 3, T0 - W), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 3, 3, T0 + W - 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 3, 3, T0 - 5 * W), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 3, 3, T0 + 1), 1);
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

/* Extreme times and windows: no overflow, the rule still holds. */
START_TEST(test_extremes)
{
	struct hl_suppress *s = new_suppress(INT64_MAX);

	ck_assert_int_eq(hotlist__suppress_check(s, 4, 4, INT64_MIN), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 4, 4, -2), 1); /* 2^63 - 2 apart */
	ck_assert_int_eq(hotlist__suppress_check(s, 4, 4, -1), 0); /* 2^63 - 1: not < window */
	ck_assert_int_eq(hotlist__suppress_check(s, 4, 4, INT64_MAX), 0); /* 2^63 apart */
	ck_assert_int_eq(hotlist__suppress_check(s, 4, 4, INT64_MAX - 1), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 4, 4, 0), 0); /* older, window apart */
	ck_assert_int_eq(hotlist__suppress_check(s, 4, 4, 1), 1);
	hotlist__suppress_destroy(s, NULL);

	s = new_suppress(1);
	ck_assert_int_eq(hotlist__suppress_check(s, 5, 5, 0), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 5, 5, 0), 1);
	ck_assert_int_eq(hotlist__suppress_check(s, 5, 5, 1), 0);
	ck_assert_int_eq(hotlist__suppress_check(s, 5, 5, -1), 0);
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

/*
 * Fill the table with far more distinct pairs than it has slots, all within
 * one window: every first sighting answers 0, full or not. Repeats of the
 * fill pairs are suppressed exactly for the pairs recorded: one per slot, so
 * every slot is taken. Then pairs never seen must still answer 0.
 */
START_TEST(test_saturation)
{
	struct hl_suppress *s = new_suppress(1000 * W);
	unsigned bad = 0, suppressed = 0;

	/* Counted, asserted once: a ck_assert per call would cost a pipe write. */
	for (uint64_t i = 0; i < FILL_PAIRS; i++)
		bad += (unsigned)hotlist__suppress_check(s, i, 99, T0);
	ck_assert_uint_eq(bad, 0);
	for (uint64_t i = 0; i < FILL_PAIRS; i++)
		suppressed += (unsigned)hotlist__suppress_check(s, i, 99, T0 + 1);
	ck_assert_uint_eq(suppressed, TABLE_SLOTS);
	for (uint64_t i = 0; i < 20000; i++)
		bad += (unsigned)hotlist__suppress_check(s, FILL_PAIRS + i, 99, T0 + 2);
	ck_assert_uint_eq(bad, 0);
	for (uint64_t i = 0; i < 20000; i++)
		bad += (unsigned)hotlist__suppress_check(s, i, 100, T0 + 3);
	ck_assert_uint_eq(bad, 0);
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

/* Once a full table's pairs are a window old, new pairs take their slots. */
START_TEST(test_stale_reuse)
{
	struct hl_suppress *s = new_suppress(W);
	unsigned bad = 0, suppressed = 0;

	for (uint64_t i = 0; i < FILL_PAIRS; i++)
		bad += (unsigned)hotlist__suppress_check(s, i, 1, T0);
	for (uint64_t i = 0; i < 1000; i++)
		bad += (unsigned)hotlist__suppress_check(s, i, 2, T0 + W);
	ck_assert_uint_eq(bad, 0);
	for (uint64_t i = 0; i < 1000; i++)
		suppressed += (unsigned)hotlist__suppress_check(s, i, 2, T0 + W + 1);
	ck_assert_uint_eq(suppressed, 1000);
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

struct hammer_arg {
	struct hl_suppress *s;
	uint64_t base; /* first entry id */
	unsigned zero_answers;
	unsigned bad; /* first sightings answered 1 */
};

/* Distinct pairs per thread: every first answer must be 0. */
static void *hammer_distinct(void *p)
{
	struct hammer_arg *a = p;

	for (uint64_t i = 0; i < PAIRS_PER_THREAD; i++)
		a->bad += (unsigned)hotlist__suppress_check(a->s, a->base + i, 42, T0 + (int64_t)i);
	return NULL;
}

START_TEST(test_threads_distinct)
{
	struct hl_suppress *s = new_suppress(100 * W);
	pthread_t t[N_THREADS];
	struct hammer_arg arg[N_THREADS];

	for (unsigned i = 0; i < N_THREADS; i++) {
		arg[i] = (struct hammer_arg){ s, (uint64_t)i * PAIRS_PER_THREAD, 0, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_distinct, &arg[i]), 0);
	}
	for (unsigned i = 0; i < N_THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_uint_eq(arg[i].bad, 0);
	}
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

#define SHARED_PAIRS 4096

/* Same pairs from every thread at one instant: for each pair, at least one
 * thread must be told to report it. */
static void *hammer_shared(void *p)
{
	struct hammer_arg *a = p;
	unsigned char *zero = calloc(SHARED_PAIRS, 1);

	for (uint64_t round = 0; round < 4; round++)
		for (uint64_t i = 0; i < SHARED_PAIRS; i++)
			if (hotlist__suppress_check(a->s, i, 9, T0) == 0)
				zero[i] = 1;
	return zero;
}

START_TEST(test_threads_shared)
{
	struct hl_suppress *s = new_suppress(W);
	pthread_t t[N_THREADS];
	struct hammer_arg arg[N_THREADS];
	unsigned char any[SHARED_PAIRS] = { 0 };
	unsigned missing = 0;

	for (unsigned i = 0; i < N_THREADS; i++) {
		arg[i] = (struct hammer_arg){ s, 0, 0, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_shared, &arg[i]), 0);
	}
	for (unsigned i = 0; i < N_THREADS; i++) {
		unsigned char *zero;

		pthread_join(t[i], (void **)&zero);
		ck_assert_ptr_nonnull(zero);
		for (unsigned k = 0; k < SHARED_PAIRS; k++)
			any[k] |= zero[k];
		free(zero);
	}
	for (unsigned k = 0; k < SHARED_PAIRS; k++)
		missing += any[k] == 0;
	ck_assert_uint_eq(missing, 0);
	/* The table still works: once more alone (a race lost past the retries
	 * may have left a pair unrecorded; this records it), then all repeat. */
	for (uint64_t i = 0; i < SHARED_PAIRS; i++)
		(void)hotlist__suppress_check(s, i, 9, T0);
	for (uint64_t i = 0; i < SHARED_PAIRS; i++)
		missing += (unsigned)!hotlist__suppress_check(s, i, 9, T0 + 1);
	ck_assert_uint_eq(missing, 0);
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

#define HOT_PAIRS 64
#define HOT_ROUNDS 1500

/*
 * Few pairs, every thread, each round a window later: nearly every check
 * rewrites a slot, so threads keep meeting busy slots and losing CASes.
 * Whatever the interleaving, a hit of round r can only be suppressed by a
 * record of round r (other rounds are a window or more away), and only a
 * reported hit records: so for every (pair, round) some thread reports.
 */
static void *hammer_hot(void *p)
{
	struct hammer_arg *a = p;
	unsigned char *zero = calloc((size_t)HOT_PAIRS * HOT_ROUNDS, 1);

	for (int64_t r = 0; r < HOT_ROUNDS; r++)
		for (uint64_t i = 0; i < HOT_PAIRS; i++)
			if (hotlist__suppress_check(a->s, i, 5, T0 + r * W) == 0)
				zero[r * HOT_PAIRS + (int64_t)i] = 1;
	return zero;
}

START_TEST(test_threads_contended)
{
	struct hl_suppress *s = new_suppress(W);
	pthread_t t[N_THREADS];
	struct hammer_arg arg[N_THREADS];
	unsigned char *any = calloc((size_t)HOT_PAIRS * HOT_ROUNDS, 1);
	unsigned missing = 0;

	ck_assert_ptr_nonnull(any);
	for (unsigned i = 0; i < N_THREADS; i++) {
		arg[i] = (struct hammer_arg){ s, 0, 0, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_hot, &arg[i]), 0);
	}
	for (unsigned i = 0; i < N_THREADS; i++) {
		unsigned char *zero;

		pthread_join(t[i], (void **)&zero);
		ck_assert_ptr_nonnull(zero);
		for (size_t k = 0; k < (size_t)HOT_PAIRS * HOT_ROUNDS; k++)
			any[k] |= zero[k];
		free(zero);
	}
	for (size_t k = 0; k < (size_t)HOT_PAIRS * HOT_ROUNDS; k++)
		missing += any[k] == 0;
	ck_assert_uint_eq(missing, 0);
	free(any);
	hotlist__suppress_destroy(s, NULL);
}
END_TEST

static Suite *suppress_suite(void)
{
	Suite *s = suite_create("suppress");
	TCase *tc = tcase_create("single");
	TCase *tt = tcase_create("threads");

	tcase_set_timeout(tc, 60);
	tcase_set_timeout(tt, 60);
	tcase_add_test(tc, test_basic_window);
	tcase_add_test(tc, test_distinct_pairs);
	tcase_add_test(tc, test_window_zero);
	tcase_add_test(tc, test_bad_window);
	tcase_add_test(tc, test_out_of_order);
	tcase_add_test(tc, test_extremes);
	tcase_add_test(tc, test_saturation);
	tcase_add_test(tc, test_stale_reuse);
	suite_add_tcase(s, tc);
	tcase_add_test(tt, test_threads_distinct);
	tcase_add_test(tt, test_threads_shared);
	tcase_add_test(tt, test_threads_contended);
	suite_add_tcase(s, tt);
	return s;
}

int main(void)
{
	return hl_test_run(suppress_suite());
}
