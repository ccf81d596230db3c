/* SPDX-License-Identifier: MIT */
/*
 * Tests for second-read evidence (lib/second.c, the hook in lib/match.c):
 * two different weak misreads of one listed plate by one car alert on the
 * second; the same text twice, a read outside the window, another entry,
 * another list or another camera do not; the table stays bounded, expires
 * and wipes; concurrent matchers (run under TSan in CI).
 *
 * The list: FR entry AD123OD; reads AO123OD (D/O) and AQ123OD (D/Q) hit it
 * by one confusion substitution each, weakly under min_score 100 (every
 * fuzzy hit below 100 is weak), with scores in the high 90s on a list this
 * small, so the pair reaches 100 whatever second.c's offset (a few units
 * of log-odds either way). Times are capture times (ts_us): the
 * window is judged on them, not on the wall clock.
 */
#include "second.h"

#include <check.h>

#include "testutil.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define S_US INT64_C(1000000)
#define T0 (INT64_C(1700000000) * S_US)

struct seen {
	int hits, second, weak;
	unsigned score;
};

static void on_hit(const struct hotlist_hit *h, void *user)
{
	struct seen *s = user;
	s->hits++;
	s->second += h->second_read;
	s->weak += h->weak;
	s->score = h->score;
	if (h->second_read) {
		CHECK(!h->weak, "a second-read alert is not weak");
		CHECK(h->match == HOTLIST_MATCH_OCR, "fuzzy hit");
	}
}

static struct hotlist *engine(int64_t window_us, bool any_camera)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.second_read_window_us = window_us;
	cfg.second_read_any_camera = any_camera;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	return hl;
}

static void list(struct hotlist *hl, const char *name, const char *plate)
{
	struct hotlist_entry e = { .plate = plate, .country = "FR" };
	ck_assert_int_eq(hotlist_replace(hl, name, &e, 1, NULL), 0);
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 1;
	o.indels = 1;
	o.min_score = 100;
	ck_assert_int_eq(hotlist_set_list_options(hl, name, &o), 0);
}

/* Callbacks of one read. */
static struct seen read_at(struct hotlist *hl, const char *plate, const char *camera, int64_t ts)
{
	struct seen s = { 0 };
	struct hotlist_read r = { .plate = plate, .country = "FR", .camera = camera, .ts_us = ts };
	ck_assert_int_ge(hotlist_match(hl, &r, on_hit, &s), 0);
	return s;
}

static uint64_t second_count(struct hotlist *hl)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	ck_assert_int_eq(hotlist_stats(hl, &st), 0);
	return st.fuzzy_second_read;
}

START_TEST(two_misreads_alert_on_the_second)
{
	struct hotlist *hl = engine(10 * S_US, false);
	list(hl, "l", "AD123OD");
	struct seen a = read_at(hl, "AO123OD", "cam-1", T0);
	ck_assert_int_eq(a.hits, 0); /* weak, not called back */
	struct seen b = read_at(hl, "AQ123OD", "cam-1", T0 + S_US);
	ck_assert_int_eq(b.hits, 1);
	ck_assert_int_eq(b.second, 1);
	ck_assert_uint_eq(b.score, 100);
	ck_assert_uint_eq(second_count(hl), 1);
	/* the batch path, with the pair inside one batch */
	struct seen s = { 0 };
	struct hotlist_read r[2] = {
		{ .plate = "AQ123OD", .country = "FR", .camera = "cam-2", .ts_us = T0 },
		{ .plate = "AO123OD", .country = "FR", .camera = "cam-2", .ts_us = T0 + 1 },
	};
	ck_assert_int_eq(hotlist_match_batch(hl, r, 2, on_hit, &s), 1);
	ck_assert_int_eq(s.second, 1);
	ck_assert_uint_eq(second_count(hl), 2);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(off_by_default)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	ck_assert_int_eq(cfg.second_read_window_us, 0);
	struct hotlist *hl = engine(0, false);
	list(hl, "l", "AD123OD");
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-1", T0).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-1", T0 + S_US).hits, 0);
	ck_assert_uint_eq(second_count(hl), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(same_text_twice_does_not)
{
	struct hotlist *hl = engine(10 * S_US, false);
	list(hl, "l", "AD123OD");
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-1", T0).hits, 0);
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-1", T0 + S_US).hits, 0);
	/* the text was read twice: a third, different read is not promoted by
	 * it either (the conservative rule of second.c) */
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-1", T0 + 2 * S_US).hits, 0);
	ck_assert_uint_eq(second_count(hl), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(outside_the_window_does_not)
{
	struct hotlist *hl = engine(10 * S_US, false);
	list(hl, "l", "AD123OD");
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-1", T0).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-1", T0 + 10 * S_US + 1).hits, 0);
	/* out of order: a read captured long before the kept one */
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-2", T0 + 100 * S_US).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-2", T0 + 89 * S_US).hits, 0);
	/* within it, on the edge, either way */
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-3", T0 + 200 * S_US).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-3", T0 + 190 * S_US).second, 1);
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-4", T0 + 300 * S_US).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-4", T0 + 310 * S_US).second, 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(another_entry_or_list_does_not)
{
	struct hotlist *hl = engine(10 * S_US, false);
	list(hl, "l", "AD123OD");
	list(hl, "m", "AD124OD");
	/* AO123OD is near l's entry only (AD124OD is two substitutions away),
	 * AO124OD near m's only */
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-1", T0).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ124OD", "cam-1", T0 + S_US).hits, 0);
	/* the same plate on another list: its own entry, no kept hit */
	ck_assert_int_eq(hotlist_drop_list(hl, "l"), 0);
	list(hl, "n", "AD123OD");
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-1", T0 + 2 * S_US).hits, 0);
	/* and it pairs on its own list */
	struct seen s = read_at(hl, "AO123OD", "cam-1", T0 + 3 * S_US);
	ck_assert_int_eq(s.second, 1);
	ck_assert_uint_eq(second_count(hl), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(cameras)
{
	struct hotlist *hl = engine(10 * S_US, false);
	list(hl, "l", "AD123OD");
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-1", T0).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-2", T0 + S_US).hits, 0);
	/* reads without a camera: not kept, not paired */
	ck_assert_int_eq(read_at(hl, "AO123OD", NULL, T0 + 2 * S_US).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", NULL, T0 + 3 * S_US).hits, 0);
	hotlist_destroy(hl, NULL);

	hl = engine(10 * S_US, true);
	list(hl, "l", "AD123OD");
	ck_assert_int_eq(read_at(hl, "AO123OD", "cam-1", T0).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", "cam-2", T0 + S_US).second, 1);
	ck_assert_int_eq(read_at(hl, "AO123OD", NULL, T0 + 20 * S_US).hits, 0);
	ck_assert_int_eq(read_at(hl, "AQ123OD", NULL, T0 + 21 * S_US).second, 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(weak_hits_flagged_and_config_checked)
{
	struct hotlist *hl = engine(10 * S_US, false);
	list(hl, "l", "AD123OD");
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 1;
	o.indels = 1;
	o.min_score = 100;
	o.weak_hits = true;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	struct seen a = read_at(hl, "AO123OD", "cam-1", T0);
	ck_assert_int_eq(a.hits, 1);
	ck_assert_int_eq(a.weak, 1);
	ck_assert_int_eq(a.second, 0);
	struct seen b = read_at(hl, "AQ123OD", "cam-1", T0 + S_US);
	ck_assert_int_eq(b.weak, 0);
	ck_assert_int_eq(b.second, 1);
	hotlist_destroy(hl, NULL);

	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.second_read_window_us = -1;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
	cfg.second_read_window_us = S_US;
	cfg.second_read_max = (size_t)1 << 30;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
}
END_TEST

/* ---- the table on its own ---------------------------------------------------------------- */

static struct hl_second_hit hit(uint64_t entry, const char *plate, int64_t ts, unsigned score)
{
	return (struct hl_second_hit){ entry, plate, strlen(plate), 7, ts, score };
}

START_TEST(table_pairs_and_floor)
{
	struct hl_second *s = NULL;
	const struct hotlist_allocator *a = NULL;
	ck_assert_int_eq(hotlist__second_create(&s, 10 * S_US, 64, false, a), 0);
	struct hl_second_hit h = hit(1ull << 32, "AO123OD", T0, 90);
	ck_assert_uint_eq(hotlist__second_note(s, &h), 0);
	h = hit(1ull << 32, "AQ123OD", T0 + 1, 90);
	ck_assert_uint_gt(hotlist__second_note(s, &h), 90); /* two 90s make more than 90 */
	/* the pair is symmetric in the scores, and grows with each */
	h = hit(2ull << 32, "X1", T0, 30);
	hotlist__second_note(s, &h);
	h = hit(2ull << 32, "X2", T0, 50);
	unsigned p1 = hotlist__second_note(s, &h);
	h = hit(3ull << 32, "X1", T0, 50);
	hotlist__second_note(s, &h);
	h = hit(3ull << 32, "X2", T0, 30);
	ck_assert_uint_eq(hotlist__second_note(s, &h), p1);
	h = hit(3ull << 32, "X3", T0, 40);
	ck_assert_uint_gt(hotlist__second_note(s, &h), p1); /* best partner: 50 */
	/* below the floor: neither kept nor paired */
	h = hit(4ull << 32, "Y1", T0, 1);
	ck_assert_uint_eq(hotlist__second_note(s, &h), 0);
	h = hit(4ull << 32, "Y2", T0, 99);
	ck_assert_uint_eq(hotlist__second_note(s, &h), 0);
	h = hit(4ull << 32, "Y3", T0, 2);
	ck_assert_uint_eq(hotlist__second_note(s, &h), 0);
	/* another camera: not the same car */
	h = hit(5ull << 32, "Z1", T0, 90);
	hotlist__second_note(s, &h);
	h = hit(5ull << 32, "Z2", T0, 90);
	h.camera = 8;
	ck_assert_uint_eq(hotlist__second_note(s, &h), 0);
	hotlist__second_destroy(s, a);
}
END_TEST

START_TEST(table_wraps_and_expires)
{
	struct hl_second *s = NULL;
	ck_assert_int_eq(hotlist__second_create(&s, 10 * S_US, 8, false, NULL), 0);
	ck_assert_uint_eq(hotlist__second_slots(s), 8);
	char p[16];
	/* 100 hits of distinct entries within the window: at most 8 kept */
	for (unsigned i = 0; i < 100; i++) {
		snprintf(p, sizeof(p), "P%u", i);
		struct hl_second_hit h = hit(((uint64_t)i + 1) << 32, p, T0 + i, 50);
		hotlist__second_note(s, &h);
	}
	ck_assert_uint_eq(hotlist__second_count(s, T0 + 100), 8);
	/* the oldest of a bucket went first: the last hit still pairs */
	struct hl_second_hit h = hit((uint64_t)100 << 32, "Q", T0 + 101, 50);
	ck_assert_uint_gt(hotlist__second_note(s, &h), 0);
	/* past the window every kept hit has expired */
	ck_assert_uint_eq(hotlist__second_count(s, T0 + 200 + 10 * S_US), 0);
	/* and notes then wipe the slots they visit: their own bucket, and one
	 * more each (the sweep) — after a few, nothing of the old hits is
	 * left even counted at their own time */
	for (unsigned i = 0; i < 4; i++) {
		h = hit((uint64_t)1 << 32, "R", T0 + 100 * S_US, 2); /* below the floor */
		hotlist__second_note(s, &h);
	}
	ck_assert_uint_eq(hotlist__second_count(s, T0 + 100), 0);
	hotlist__second_destroy(s, NULL);
}
END_TEST

/* ---- concurrency --------------------------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 2000

struct worker {
	struct hotlist *hl;
	struct hl_second *tab;
	int id, second;
};

static void count_second(const struct hotlist_hit *h, void *user)
{
	((struct worker *)user)->second += h->second_read;
}

static void *matcher(void *arg)
{
	struct worker *w = arg;
	char cam[16];
	snprintf(cam, sizeof(cam), "cam-%d", w->id);
	for (int i = 0; i < ROUNDS; i++) {
		/* each thread its own camera and car: every pair is its own */
		int64_t t = T0 + (int64_t)i * 60 * S_US;
		struct hotlist_read a = {
			.plate = "AO123OD", .country = "FR", .camera = cam, .ts_us = t
		};
		struct hotlist_read b = a;
		b.plate = "AQ123OD";
		b.ts_us = t + S_US;
		hotlist_match(w->hl, &a, count_second, w);
		hotlist_match(w->hl, &b, count_second, w);
		/* and the table alone, hammered on few slots */
		struct hl_second_hit h = hit((uint64_t)(i % 3 + 1) << 32, i & 1 ? "A" : "B", t, 60);
		hotlist__second_note(w->tab, &h);
	}
	return NULL;
}

START_TEST(concurrent_matchers)
{
	struct hotlist *hl = engine(10 * S_US, false);
	list(hl, "l", "AD123OD");
	struct hl_second *tab = NULL;
	ck_assert_int_eq(hotlist__second_create(&tab, 10 * S_US, 4, true, NULL), 0);
	pthread_t th[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ hl, tab, i, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, matcher, &w[i]), 0);
	}
	int total = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		total += w[i].second;
	}
	/* a pair is missed only when its slot was busy at that instant (wait-
	 * free); never invented: at most one alert per pair */
	ck_assert_int_le(total, THREADS * ROUNDS);
	ck_assert_int_ge(total, THREADS * ROUNDS / 2);
	ck_assert_uint_eq(second_count(hl), (uint64_t)total);
	ck_assert_uint_le(hotlist__second_count(tab, T0 + (int64_t)ROUNDS * 60 * S_US), 4);
	hotlist__second_destroy(tab, NULL);
	hotlist_destroy(hl, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("second");
	TCase *tc = tcase_create("second");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, two_misreads_alert_on_the_second);
	tcase_add_test(tc, off_by_default);
	tcase_add_test(tc, same_text_twice_does_not);
	tcase_add_test(tc, outside_the_window_does_not);
	tcase_add_test(tc, another_entry_or_list_does_not);
	tcase_add_test(tc, cameras);
	tcase_add_test(tc, weak_hits_flagged_and_config_checked);
	tcase_add_test(tc, table_pairs_and_floor);
	tcase_add_test(tc, table_wraps_and_expires);
	tcase_add_test(tc, concurrent_matchers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(suite());
}
