/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/stats.c (striped counters, latency histograms, clocks) and
 * lib/alloc.c (the allocator helpers stats and everyone else builds on).
 */
#include "alloc.h"
#include "clock.h"
#include "common.h"
#include "stats.h"

#include <check.h>

#include "testutil.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* More threads than stats.c has stripes (16), so stripes are shared and
 * lost updates would show. */
#define N_THREADS 40
#define ADDS_PER_THREAD 5000
/* Documented bucket error: 4-bit mantissa, upper bound <= value * (1 + 1/16). */
#define MAX_REL_ERR_NUM 1
#define MAX_REL_ERR_DEN 16

static struct hl_stats *new_stats(void)
{
	struct hl_stats *s = NULL;

	ck_assert_int_eq(hotlist__stats_create(&s, NULL), 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* reported is an upper bound on truth, at most 6.25 % above it. */
static void assert_within_bucket(uint64_t reported, uint64_t truth)
{
	ck_assert_uint_ge(reported, truth);
	ck_assert_uint_le(reported * MAX_REL_ERR_DEN, truth * (MAX_REL_ERR_DEN + MAX_REL_ERR_NUM));
}

START_TEST(test_zero_state)
{
	struct hl_stats *s = new_stats();
	struct hotlist_latency l;

	for (int c = 0; c < HL_C__COUNT; c++)
		ck_assert_uint_eq(hotlist__stats_sum(s, (enum hl_counter)c), 0);
	for (int h = 0; h < HL_H__COUNT; h++) {
		memset(&l, 0xff, sizeof(l));
		hotlist__stats_percentiles(s, (enum hl_hist)h, &l);
		ck_assert_uint_eq(l.count, 0);
		ck_assert_uint_eq(l.p50_ns, 0);
		ck_assert_uint_eq(l.p9999_ns, 0);
		ck_assert_uint_eq(l.max_ns, 0);
	}
	hotlist__stats_destroy(s, NULL);
	hotlist__stats_destroy(NULL, NULL);
}
END_TEST

struct add_arg {
	struct hl_stats *s;
	unsigned id;
};

static void *adder(void *p)
{
	struct add_arg *a = p;

	for (unsigned i = 0; i < ADDS_PER_THREAD; i++) {
		hotlist__stats_add(a->s, HL_C_READS, 1);
		hotlist__stats_add(a->s, HL_C_HITS, a->id);
		hotlist__stats_latency(a->s, HL_H_ASYNC, 100 + i % 50);
	}
	/* Each thread's own maximum: 1000 * (id + 1) ns. */
	hotlist__stats_latency(a->s, HL_H_ASYNC, 1000u * (a->id + 1));
	return NULL;
}

START_TEST(test_counters_many_threads)
{
	struct hl_stats *s = new_stats();
	pthread_t t[N_THREADS];
	struct add_arg arg[N_THREADS];
	struct hotlist_latency l;
	uint64_t want_hits = 0;

	for (unsigned i = 0; i < N_THREADS; i++) {
		arg[i] = (struct add_arg){ s, i + 1 };
		want_hits += (uint64_t)(i + 1) * ADDS_PER_THREAD;
		ck_assert_int_eq(pthread_create(&t[i], NULL, adder, &arg[i]), 0);
	}
	for (unsigned i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_READS), (uint64_t)N_THREADS * ADDS_PER_THREAD);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_HITS), want_hits);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_BAD_READS), 0);
	hotlist__stats_percentiles(s, HL_H_ASYNC, &l);
	ck_assert_uint_eq(l.count, (uint64_t)N_THREADS * (ADDS_PER_THREAD + 1));
	ck_assert_uint_eq(l.max_ns, 1000u * (N_THREADS + 1));
	/* Other histogram untouched. */
	hotlist__stats_percentiles(s, HL_H_INLINE, &l);
	ck_assert_uint_eq(l.count, 0);
	hotlist__stats_destroy(s, NULL);
}
END_TEST

/* Threads that come and go in overlapping waves, more at once than there
 * are stripes to own: owned stripes are handed from exiting threads to new
 * ones (their adds without a lock), the rest shared; no add is lost. */
START_TEST(test_counters_thread_churn)
{
	enum { WAVES = 6, PER_WAVE = 20 };
	struct hl_stats *s = new_stats();
	pthread_t t[2][PER_WAVE];
	struct add_arg arg[PER_WAVE];
	uint64_t want_hits = 0;

	for (unsigned i = 0; i < PER_WAVE; i++)
		arg[i] = (struct add_arg){ s, i + 1 };
	for (unsigned w = 0; w <= WAVES; w++) {
		for (unsigned i = 0; i < PER_WAVE && w < WAVES; i++) {
			want_hits += (uint64_t)(i + 1) * ADDS_PER_THREAD;
			ck_assert_int_eq(pthread_create(&t[w % 2][i], NULL, adder, &arg[i]), 0);
		}
		/* the previous wave exits while this one runs */
		for (unsigned i = 0; i < PER_WAVE && w > 0; i++)
			pthread_join(t[(w - 1) % 2][i], NULL);
	}
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_READS),
			  (uint64_t)WAVES * PER_WAVE * ADDS_PER_THREAD);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_HITS), want_hits);
	hotlist__stats_destroy(s, NULL);
}
END_TEST

/* Values 1..10000 once each: exact percentiles are known. */
START_TEST(test_percentiles_uniform)
{
	struct hl_stats *s = new_stats();
	struct hotlist_latency l;

	for (uint64_t v = 10000; v >= 1; v--)
		hotlist__stats_latency(s, HL_H_INLINE, v);
	hotlist__stats_percentiles(s, HL_H_INLINE, &l);
	ck_assert_uint_eq(l.count, 10000);
	ck_assert_uint_eq(l.max_ns, 10000);
	assert_within_bucket(l.p50_ns, 5000);
	assert_within_bucket(l.p90_ns, 9000);
	assert_within_bucket(l.p99_ns, 9900);
	assert_within_bucket(l.p999_ns, 9990);
	assert_within_bucket(l.p9999_ns, 9999);
	hotlist__stats_destroy(s, NULL);
}
END_TEST

/*
 * For values across the whole range (1 ns .. 100 s), 99 samples of v and one
 * of 2v: p50 is v's bucket's upper bound, within the documented error, and
 * the max is exact. Small values (< 16 ns) have exact buckets.
 */
START_TEST(test_percentiles_bucket_error)
{
	uint64_t v = 1;

	while (v <= 100000000000ull) {
		struct hl_stats *s = new_stats();
		struct hotlist_latency l;

		for (int i = 0; i < 99; i++)
			hotlist__stats_latency(s, HL_H_INLINE, v);
		hotlist__stats_latency(s, HL_H_INLINE, 2 * v);
		hotlist__stats_percentiles(s, HL_H_INLINE, &l);
		ck_assert_uint_eq(l.count, 100);
		ck_assert_uint_eq(l.max_ns, 2 * v);
		assert_within_bucket(l.p50_ns, v);
		assert_within_bucket(l.p99_ns, v);
		if (v < 16)
			ck_assert_uint_eq(l.p50_ns, v);
		/* Rank 100 of 100 is the 2v sample: clamped to the exact max. */
		assert_within_bucket(l.p9999_ns, 2 * v);
		hotlist__stats_destroy(s, NULL);
		v = v * 3 + 1;
	}
}
END_TEST

/* Golden values of the bucket scheme (upper bounds, clamped to the max). */
START_TEST(test_percentiles_golden)
{
	struct hl_stats *s = new_stats();
	struct hotlist_latency l;

	/* 1000 ns: [992, 1023]; 17 ns: [17, 17]; 33 ns: [32, 33]. */
	hotlist__stats_latency(s, HL_H_INLINE, 1000);
	hotlist__stats_latency(s, HL_H_INLINE, 5000);
	hotlist__stats_percentiles(s, HL_H_INLINE, &l);
	ck_assert_uint_eq(l.p50_ns, 1023);
	ck_assert_uint_eq(l.p90_ns, 5000); /* bucket [4864, 5119] clamped to max */
	hotlist__stats_destroy(s, NULL);

	s = new_stats();
	hotlist__stats_latency(s, HL_H_INLINE, 17);
	hotlist__stats_latency(s, HL_H_INLINE, 33);
	hotlist__stats_latency(s, HL_H_INLINE, 1000);
	hotlist__stats_percentiles(s, HL_H_INLINE, &l);
	ck_assert_uint_eq(l.p50_ns, 33);
	hotlist__stats_destroy(s, NULL);

	s = new_stats();
	hotlist__stats_latency(s, HL_H_INLINE, 17);
	hotlist__stats_latency(s, HL_H_INLINE, 32);
	hotlist__stats_latency(s, HL_H_INLINE, 1000);
	hotlist__stats_percentiles(s, HL_H_INLINE, &l);
	ck_assert_uint_eq(l.p50_ns, 33);
	hotlist__stats_destroy(s, NULL);
}
END_TEST

/* Beyond the top bucket (and 0): counted, max exact, percentiles <= max. */
START_TEST(test_percentiles_extremes)
{
	struct hl_stats *s = new_stats();
	struct hotlist_latency l;

	hotlist__stats_latency(s, HL_H_ASYNC, 0);
	hotlist__stats_latency(s, HL_H_ASYNC, UINT64_MAX);
	hotlist__stats_latency(s, HL_H_ASYNC, 500000000000ull);
	hotlist__stats_percentiles(s, HL_H_ASYNC, &l);
	ck_assert_uint_eq(l.count, 3);
	ck_assert_uint_eq(l.max_ns, UINT64_MAX);
	ck_assert_uint_eq(l.p50_ns >= 100000000000ull, 1);
	ck_assert_uint_le(l.p9999_ns, l.max_ns);
	hotlist__stats_destroy(s, NULL);

	s = new_stats();
	hotlist__stats_latency(s, HL_H_ASYNC, 0);
	hotlist__stats_percentiles(s, HL_H_ASYNC, &l);
	ck_assert_uint_eq(l.count, 1);
	ck_assert_uint_eq(l.p50_ns, 0);
	ck_assert_uint_eq(l.max_ns, 0);
	hotlist__stats_destroy(s, NULL);
}
END_TEST

/* A sample standing for many (a sampled call's hit) counts that many times
 * in the count and the ranks, and once in the max. */
START_TEST(test_percentiles_weighted)
{
	struct hl_stats *s = new_stats();
	struct hotlist_latency l;

	hotlist__stats_latency_n(s, HL_H_INLINE, 100, 1);
	hotlist__stats_latency_n(s, HL_H_INLINE, 5000, 98);
	hotlist__stats_latency_n(s, HL_H_INLINE, 90000, 1);
	hotlist__stats_percentiles(s, HL_H_INLINE, &l);
	ck_assert_uint_eq(l.count, 100);
	ck_assert_uint_eq(l.max_ns, 90000);
	assert_within_bucket(l.p50_ns, 5000);
	assert_within_bucket(l.p99_ns, 5000);
	assert_within_bucket(l.p999_ns, 90000);
	hotlist__stats_destroy(s, NULL);
}
END_TEST

/* Calls of hotlist__stats_lat_start on one thread: how many were timed, and
 * the calls their weights stand for. */
struct lat_run {
	uint64_t calls, timed, weights;
	int all_timed; /* every call timed, each with weight 1 */
	int bad_weight; /* a weight out of 1 .. 2 * HL_LAT_EVERY - 1 */
};

static void lat_calls(struct lat_run *r, uint64_t n, uint64_t gap_ns)
{
	r->calls = r->timed = r->weights = 0;
	r->all_timed = 1;
	r->bad_weight = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t w = 0;
		uint64_t t0 = hotlist__stats_lat_start(&w);

		r->calls++;
		r->all_timed &= t0 != 0 && w == 1;
		if (t0) { /* no ck_assert here: each one writes to Check's pipe, which
			     would space the calls out */
			r->bad_weight |= w < 1 || w > 2 * HL_LAT_EVERY - 1;
			r->timed++;
			r->weights += w;
		}
		for (uint64_t t = hotlist__now_ns(); gap_ns && hotlist__now_ns() - t < gap_ns;)
			;
	}
}

/* The sampling of one fresh thread (its state is thread-local): exact at
 * first, sampled when calls come back to back, exact again when they are
 * spaced out. */
static void *lat_thread(void *arg)
{
	struct lat_run r;
	const uint64_t dense = 64 * HL_LAT_EXACT_CALLS;

	(void)arg;
	lat_calls(&r, HL_LAT_EXACT_CALLS, 0);
	ck_assert(r.all_timed);
	/* Back to back: the weights of the timed calls cover every call once,
	 * the last interval perhaps running past the end. */
	lat_calls(&r, dense, 0);
	ck_assert(!r.bad_weight);
	ck_assert_uint_ge(r.weights, dense);
	ck_assert_uint_lt(r.weights, dense + 2 * HL_LAT_EVERY);
	/* mean interval HL_LAT_EVERY: far fewer timed calls, but not rare */
	ck_assert_uint_lt(r.timed, dense / (HL_LAT_EVERY / 4));
	ck_assert_uint_gt(r.timed, dense / (4 * HL_LAT_EVERY));
	/* Spaced out: once the running interval ends, every call is timed. */
	lat_calls(&r, 2 * HL_LAT_EVERY, 2 * HL_LAT_DENSE_NS);
	lat_calls(&r, 100, 2 * HL_LAT_DENSE_NS);
	ck_assert(r.all_timed);
	return NULL;
}

START_TEST(test_latency_sampling)
{
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, lat_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
}
END_TEST

START_TEST(test_clocks)
{
	uint64_t a = hotlist__now_ns(), b = hotlist__now_ns();
	int64_t w = hotlist__wall_us();

	ck_assert_uint_ge(b, a);
	ck_assert_uint_gt(a, 0);
	/* After 2020-01-01 and before 2200-01-01. */
	ck_assert_int_gt(w, 1577836800LL * 1000000);
	ck_assert_int_lt(w, 7258118400LL * 1000000);
}
END_TEST

/* ---- alloc.c ------------------------------------------------------------ */

struct counting {
	unsigned allocs, frees;
	size_t live_bytes;
	size_t last_align;
};

static void *count_alloc(void *ctx, size_t size, size_t align)
{
	struct counting *c = ctx;

	c->allocs++;
	c->live_bytes += size;
	c->last_align = align;
	return aligned_alloc(align, (size + align - 1) & ~(align - 1));
}

static void count_free(void *ctx, void *p, size_t size)
{
	struct counting *c = ctx;

	c->frees++;
	c->live_bytes -= size;
	free(p);
}

/* Checked once per block: a ck_assert per byte costs a pipe write each. */
static int all_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

START_TEST(test_alloc_default)
{
	const struct hotlist_allocator *a = hotlist__default_allocator();
	static const size_t aligns[] = { 0, 1, 2, 8, 16, 64, 4096 };
	static const size_t sizes[] = { 0, 1, 7, 100, 4097, 1 << 20 };

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(a, hotlist__default_allocator());
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			size_t al = aligns[i] < sizeof(void *) ? sizeof(void *) : aligns[i];
			unsigned char *p = hotlist__zalloc(a, sizes[j], aligns[i]);

			ck_assert_ptr_nonnull(p);
			ck_assert_uint_eq((uintptr_t)p % al, 0);
			ck_assert(all_zero(p, sizes[j]));
			memset(p, 0xa5, sizes[j] ? sizes[j] : 1);
			hotlist__free(a, p, sizes[j]);
		}
	}
	/* Two size-0 blocks are distinct. */
	void *x = hotlist__alloc(NULL, 0, 8), *y = hotlist__alloc(NULL, 0, 8);

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(y);
	ck_assert_ptr_ne(x, y);
	hotlist__free(NULL, x, 0);
	hotlist__free(NULL, y, 0);
	hotlist__free(a, NULL, 123);
	/* Not a power of two: refused. */
	ck_assert_ptr_null(hotlist__alloc(a, 16, 24));
}
END_TEST

START_TEST(test_alloc_custom)
{
	struct counting c = { 0 };
	const struct hotlist_allocator a = { count_alloc, count_free, &c };
	void *p = hotlist__alloc(&a, 0, 1);
	struct hl_stats *s = NULL;

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(c.live_bytes, 1); /* size 0 -> 1, both ways */
	ck_assert_uint_eq(c.last_align, sizeof(void *));
	hotlist__free(&a, p, 0);
	ck_assert_uint_eq(c.live_bytes, 0);

	ck_assert_int_eq(hotlist__stats_create(&s, &a), 0);
	ck_assert_uint_eq(c.last_align, HL_CACHE_LINE);
	ck_assert_uint_eq((uintptr_t)s % HL_CACHE_LINE, 0);
	hotlist__stats_add(s, HL_C_READS, 5);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_READS), 5);
	hotlist__stats_destroy(s, &a);
	ck_assert_uint_eq(c.allocs, 2);
	ck_assert_uint_eq(c.frees, 2);
	ck_assert_uint_eq(c.live_bytes, 0);
}
END_TEST

static void *null_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	(void)size;
	(void)align;
	return NULL;
}

START_TEST(test_stats_enomem)
{
	const struct hotlist_allocator a = { null_alloc, count_free, NULL };
	struct hl_stats *s = (struct hl_stats *)&a; /* must stay untouched */

	ck_assert_int_eq(hotlist__stats_create(&s, &a), HOTLIST_ENOMEM);
	ck_assert_ptr_eq(s, (struct hl_stats *)&a);
	ck_assert_ptr_null(hotlist__zalloc(&a, 10, 8));
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");
	TCase *ta = tcase_create("alloc");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_zero_state);
	tcase_add_test(tc, test_counters_many_threads);
	tcase_add_test(tc, test_counters_thread_churn);
	tcase_add_test(tc, test_percentiles_uniform);
	tcase_add_test(tc, test_percentiles_bucket_error);
	tcase_add_test(tc, test_percentiles_golden);
	tcase_add_test(tc, test_percentiles_extremes);
	tcase_add_test(tc, test_percentiles_weighted);
	tcase_add_test(tc, test_latency_sampling);
	tcase_add_test(tc, test_clocks);
	suite_add_tcase(s, tc);
	tcase_add_test(ta, test_alloc_default);
	tcase_add_test(ta, test_alloc_custom);
	tcase_add_test(ta, test_stats_enomem);
	suite_add_tcase(s, ta);
	return s;
}

int main(void)
{
	return hl_test_run(stats_suite());
}
