/* SPDX-License-Identifier: MIT */
/*
 * List suite (lib/list.c and the load policy on top of it in lib/load.c):
 * building a list from an array — bad rows skipped and reported, duplicate
 * rows merged, the bad-row limit, nothing good, an empty replace — the
 * entry record (list.h): every field of a hit as listed, the plate as
 * listed when it is not its key's text, validity windows at the edges of
 * int64 and past the builder's window cache, through a replace and a fold
 * — the index built ahead on a worker thread against one built after —
 * and the lists of an engine: their number, dropping, creation order,
 * name limits.
 */
#include "testutil.h"

#include "engine.h" /* struct hotlist: hl->snap */
#include "list.h" /* hotlist__build_ahead_min */
#include "table.h" /* hotlist__table_split_min, hotlist__build_times */
#include "snapshot.h" /* hotlist__snap_set_edits_fold */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* list.c's HL_BUILD_AHEAD_MIN, put back after each test that changes it. */
#define HL_TEST_AHEAD_DEFAULT ((size_t)256 << 10)

enum { N = 200 };

/* 200 entries P0..P199 with 2 bad rows (an empty plate at line 11, a bad
 * country at line 21) and one duplicate (line 31 is line 32 again): 1 % bad,
 * which the default max_bad_fraction allows. */
static struct hotlist_entry *two_bad_rows(void)
{
	static struct hotlist_entry e[N];
	static char plates[N][8];
	for (int i = 0; i < N; i++) {
		snprintf(plates[i], sizeof(plates[i]), "P%d", i);
		e[i] = (struct hotlist_entry){ .plate = plates[i], .category = "c" };
	}
	e[10].plate = "";
	e[20].country = "XX";
	e[30].plate = e[31].plate;
	return e;
}

/* An engine whose list "l" holds G1 only. */
static struct hotlist *engine_with_g1(void)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry good = { .plate = "G1", .category = "c" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &good, 1, NULL), 0);
	return hl;
}

START_TEST(bad_rows_within_limit_are_skipped_and_reported)
{
	struct hotlist *hl = engine_with_g1();
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", two_bad_rows(), N, &rep), 0);
	ck_assert_uint_eq(rep.rows, N);
	ck_assert_uint_eq(rep.rejected, 2);
	ck_assert_uint_eq(rep.n_errors, 2);
	ck_assert_uint_eq(rep.errors[0].line, 11);
	ck_assert_int_eq(rep.errors[0].code, HOTLIST_EPLATE);
	ck_assert_uint_eq(rep.errors[1].line, 21);
	ck_assert_int_eq(rep.errors[1].code, HOTLIST_ECOUNTRY);
	ck_assert_int_eq(hl_test_hits(hl, "P0", NULL), 1);
	ck_assert_int_eq(hl_test_hits(hl, "G1", NULL), 0); /* replaced */
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(duplicate_rows_are_merged)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", two_bad_rows(), N, &rep), 0);
	ck_assert_uint_eq(rep.duplicates, 1);
	ck_assert_uint_eq(rep.loaded, N - 3);
	ck_assert_int_eq(hl_test_hits(hl, "P31", NULL), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(bad_rows_over_limit_keep_the_live_list)
{
	struct hotlist *hl = engine_with_g1();
	struct hotlist_entry *e = two_bad_rows();
	e[40].plate = "-/-"; /* only separators: 3 bad of 200 */
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, N, &rep), HOTLIST_EBADROWS);
	ck_assert_uint_eq(rep.rejected, 3);
	ck_assert_uint_eq(rep.loaded, 0);
	ck_assert_int_eq(hl_test_hits(hl, "G1", NULL), 1);
	ck_assert_int_eq(hl_test_hits(hl, "P0", NULL), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(nothing_good_is_eempty)
{
	struct hotlist *hl = engine_with_g1();
	struct hotlist_entry allbad[2] = { { .plate = "" }, { .plate = NULL } };
	ck_assert_int_eq(hotlist_replace(hl, "l", allbad, 2, NULL), HOTLIST_EEMPTY);
	ck_assert_int_eq(hl_test_hits(hl, "G1", NULL), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(empty_replace_empties_the_list)
{
	struct hotlist *hl = engine_with_g1();
	ck_assert_int_eq(hotlist_replace(hl, "l", NULL, 0, NULL), 0);
	ck_assert_int_eq(hl_test_hits(hl, "G1", NULL), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(reloads_and_failures_are_counted)
{
	struct hotlist *hl = engine_with_g1(); /* 1 reload */
	struct hotlist_entry allbad = { .plate = "" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &allbad, 1, NULL), HOTLIST_EEMPTY);
	ck_assert_int_eq(hotlist_replace(hl, "l", NULL, 0, NULL), 0);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	ck_assert_int_eq(hotlist_stats(hl, &st), 0);
	ck_assert_uint_eq(st.reloads, 2);
	ck_assert_uint_eq(st.reload_failures, 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* An engine with HOTLIST_LISTS_MAX lists list-0.. each holding D1. */
static struct hotlist *engine_full(void)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e = { .plate = "D1" };
	char name[16];
	for (int i = 0; i < HOTLIST_LISTS_MAX; i++) {
		snprintf(name, sizeof(name), "list-%d", i);
		ck_assert_int_eq(hotlist_replace(hl, name, &e, 1, NULL), 0);
	}
	return hl;
}

START_TEST(lists_beyond_max_are_enospc)
{
	struct hotlist *hl = engine_full();
	struct hotlist_entry e = { .plate = "D1" };
	ck_assert_int_eq(hotlist_replace(hl, "one-too-many", &e, 1, NULL), HOTLIST_ENOSPC);
	ck_assert_int_eq(hl_test_hits(hl, "D1", NULL), HOTLIST_LISTS_MAX);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(drop_list_removes_it_once)
{
	struct hotlist *hl = engine_full();
	ck_assert_int_eq(hotlist_drop_list(hl, "list-3"), 0);
	ck_assert_int_eq(hotlist_drop_list(hl, "list-3"), HOTLIST_ENOENT);
	ck_assert_int_eq(hl_test_hits(hl, "D1", NULL), HOTLIST_LISTS_MAX - 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(list_info_keeps_creation_order)
{
	struct hotlist *hl = engine_full();
	ck_assert_int_eq(hotlist_drop_list(hl, "list-3"), 0);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 3, &info), 0);
	ck_assert_str_eq(info.name, "list-4");
	ck_assert_int_eq(hotlist_list_info(hl, HOTLIST_LISTS_MAX - 1, &info), HOTLIST_ENOENT);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(list_names_are_checked)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e = { .plate = "D1" };
	char name[80];
	memset(name, 'n', sizeof(name));
	name[HOTLIST_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(hotlist_replace(hl, name, &e, 1, NULL), HOTLIST_ENOSPC);
	name[HOTLIST_NAME_MAX] = '\0';
	ck_assert_int_eq(hotlist_replace(hl, name, &e, 1, NULL), 0);
	ck_assert_int_eq(hotlist_replace(hl, "", &e, 1, NULL), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist_replace(hl, NULL, &e, 1, NULL), HOTLIST_EINVAL);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- the entry record (list.h) ---------------------------------------------- */

/* Every field of one hit, copied (the pointers die with the callback). */
struct got {
	int n;
	char plate[64], entry_plate[32], country[3], category[32], reference[32], id[32];
	char attr[64];
	unsigned priority, n_attrs;
	bool covert;
	int64_t from, expires;
};

static void keep_hit(const struct hotlist_hit *h, void *user)
{
	struct got *g = user;
	g->n++;
	snprintf(g->plate, sizeof(g->plate), "%s", h->plate);
	snprintf(g->entry_plate, sizeof(g->entry_plate), "%s", h->entry_plate);
	memcpy(g->country, h->country, 3);
	snprintf(g->category, sizeof(g->category), "%s", h->category);
	snprintf(g->reference, sizeof(g->reference), "%s", h->reference);
	snprintf(g->id, sizeof(g->id), "%s", h->entry_id);
	g->n_attrs = h->n_attrs;
	if (h->n_attrs)
		snprintf(g->attr, sizeof(g->attr), "%s=%s", h->attrs[0].name, h->attrs[0].value);
	g->priority = h->priority;
	g->covert = h->covert;
	g->from = h->valid_from_us;
	g->expires = h->expires_us;
}

/* The one hit of a read of plate at ts_us (asserted to be one). */
static struct got hit_of(struct hotlist *hl, const char *plate, int64_t ts_us)
{
	struct got g;
	memset(&g, 0, sizeof(g));
	struct hotlist_read r = { .plate = plate, .ts_us = ts_us };
	ck_assert_int_eq(hotlist_match(hl, &r, keep_hit, &g), 1);
	ck_assert_int_eq(g.n, 1);
	return g;
}

static const struct hotlist_attr make_attr = { .name = "make", .value = "Volvo" };

/* Plates listed as something else than their key's text (separators, lower
 * case, diacritics), next to plates listed as their key, with and without
 * a reference, window, id and attributes: every combination of what a
 * record's tail holds. */
static const struct hotlist_entry listed[] = {
	{ .plate = "ab-123",
	  .country = "DE",
	  .category = "stolen",
	  .reference = "R1",
	  .priority = 7 },
	{ .plate = "AB 124", .category = "wanted", .covert = true },
	{ .plate = "\xc3\x84"
		   "B125",
	  .category = "stolen",
	  .reference = "R3",
	  .valid_from_us = 5,
	  .expires_us = 1000 }, /* ÄB125 */
	{ .plate = "AB126", .category = "stolen" },
	{ .plate = "AB127", .category = "stolen", .reference = "R5", .valid_from_us = 5 },
	{ .plate = "a.b.128",
	  .category = "stolen",
	  .id = "ID-6",
	  .n_attrs = 1,
	  .attrs = &make_attr,
	  .valid_from_us = 5,
	  .expires_us = 1000 },
	{ .plate = "AB129", .category = "stolen", .id = "ID-7" },
	{ .plate = "ab13?", .category = "pattern", .reference = "R8" },
};

static const char *const listed_reads[] = { "AB123", "AB124", "AB125", "AB126",
					    "AB127", "AB128", "AB129", "AB130" };

/* Each entry of listed hits as listed: plate as given, every other field. */
static void assert_listed(struct hotlist *hl)
{
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		const struct hotlist_entry *e = &listed[i];
		struct got g = hit_of(hl, listed_reads[i], 500);
		ck_assert_str_eq(g.plate, e->plate);
		ck_assert_str_eq(g.entry_plate, i == 7 ? "AB13?" : listed_reads[i]);
		ck_assert_str_eq(g.country, e->country ? e->country : "");
		ck_assert_str_eq(g.category, e->category);
		ck_assert_str_eq(g.reference, e->reference ? e->reference : "");
		if (e->id)
			ck_assert_str_eq(g.id, e->id);
		ck_assert_uint_eq(g.n_attrs, e->n_attrs);
		if (e->n_attrs)
			ck_assert_str_eq(g.attr, "make=Volvo");
		ck_assert_uint_eq(g.priority, e->priority);
		ck_assert(g.covert == e->covert);
		ck_assert(g.from == e->valid_from_us && g.expires == e->expires_us);
	}
}

START_TEST(plate_comes_back_as_listed)
{
	struct hotlist *hl = hl_test_engine();
	enum { NL = sizeof(listed) / sizeof(listed[0]) };
	ck_assert_int_eq(hotlist_replace(hl, "l", listed, NL, NULL), 0);
	assert_listed(hl);
	/* two cases of one plate: one run, each entry as listed */
	const struct hotlist_entry two[] = {
		{ .plate = "XY1", .category = "a" },
		{ .plate = "xy 1", .category = "b" },
	};
	ck_assert_int_eq(hotlist_replace(hl, "l", two, 2, NULL), 0);
	struct got g;
	memset(&g, 0, sizeof(g));
	struct hotlist_read r = { .plate = "XY1" };
	ck_assert_int_eq(hotlist_match(hl, &r, keep_hit, &g), 2);
	ck_assert_str_eq(g.plate, "xy 1"); /* the second hit, kept last */
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The same entries put one at a time and folded into a base (the fold
 * copies each record through hotlist__builder_add_meta). */
START_TEST(plate_comes_back_as_listed_after_a_fold)
{
	struct hotlist *hl = hl_test_engine();
	hotlist__snap_set_edits_fold(&hl->snap, 2);
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		ck_assert_int_eq(hotlist_put(hl, "l", &listed[i]), 0);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.entries, sizeof(listed) / sizeof(listed[0]));
	ck_assert_uint_le(info.pending_edits, 3); /* folded */
	assert_listed(hl);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Validity windows at the edges of int64 come back exact and are applied
 * exactly; more distinct windows than the builder's cache holds (8), and a
 * row identical to the first after the cache forgot its window, which must
 * still be merged as a duplicate. */
START_TEST(windows_at_the_edges_of_int64)
{
	struct {
		const char *plate;
		int64_t from, expires, hit_at, miss_at;
	} w[] = {
		{ "W1", INT64_MIN, INT64_MIN + 1, INT64_MIN, INT64_MIN + 1 },
		{ "W2", INT64_MAX - 1, INT64_MAX, INT64_MAX - 1, INT64_MAX },
		{ "W3", INT64_MIN, 0, INT64_MAX, 0 }, /* never expires: no miss (0 = now) */
		{ "W4", 0, INT64_MAX, INT64_MIN, INT64_MAX },
		{ "W5", -1, 1, -1, 1 },
		{ "W6", 1, 2, 1, 2 },
		{ "W7", 2, 3, 2, 3 },
		{ "W8", 3, 4, 3, 4 },
		{ "W9", 4, 5, 4, 5 },
		{ "W10", 5, 6, 5, 6 },
	};
	enum { NW = sizeof(w) / sizeof(w[0]) };
	struct hotlist_entry e[NW + 1];
	for (int i = 0; i < NW; i++)
		e[i] = (struct hotlist_entry){ .plate = w[i].plate,
					       .category = "c",
					       .valid_from_us = w[i].from,
					       .expires_us = w[i].expires };
	e[NW] = e[0];
	struct hotlist *hl = hl_test_engine();
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, NW + 1, &rep), 0);
	ck_assert_uint_eq(rep.loaded, NW);
	ck_assert_uint_eq(rep.duplicates, 1);
	for (int i = 0; i < NW; i++) {
		struct got g = hit_of(hl, w[i].plate, w[i].hit_at);
		ck_assert(g.from == w[i].from);
		ck_assert(g.expires == w[i].expires);
		if (w[i].miss_at) {
			struct hotlist_read r = { .plate = w[i].plate, .ts_us = w[i].miss_at };
			ck_assert_int_eq(hotlist_match(hl, &r, keep_hit, &g), 0);
		}
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The index built ahead on a worker thread (list.c, "Building ahead")
 * gives the list a build on the caller's thread gives: the same report and
 * the same answers. The list has more second copies of plates (other
 * countries) than the worker's pair array holds, so the worker pauses and
 * the caller's thread goes on; identical rows (merged) and bad rows. */
/* Above two chunks of HL_BUILD_AHEAD_CHUNK (16 Ki): the worker is handed
 * entries before the last is added (how many it places before the
 * builder's thread takes over depends on the scheduler; the list may not). */
enum { AHEAD_N = 40000, AHEAD_FIRST = 38000 };

static char ahead_plates[AHEAD_N][12];

static struct hotlist_entry *ahead_entries(void)
{
	static struct hotlist_entry e[AHEAD_N];
	for (int i = 0; i < AHEAD_N; i++) {
		/* 2000 second copies, the plates of rows 0..1999 again */
		int p = i < AHEAD_FIRST ? i : i - AHEAD_FIRST;
		snprintf(ahead_plates[i], sizeof(ahead_plates[i]), "AH%05d", p);
		e[i] = (struct hotlist_entry){ .plate = ahead_plates[i],
					       .country = i < AHEAD_FIRST ? NULL : "DE",
					       .category = "c" };
		if (i % 701 == 700)
			e[i] = e[i - 1]; /* an identical row: merged */
		if (i % 997 == 996)
			e[i].plate = ""; /* refused */
	}
	return e;
}

/* Replace "l" with the entries above, building ahead or not; the report. */
static struct hotlist_load_report ahead_replace(struct hotlist *hl, size_t ahead_min)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	hotlist__build_ahead_min = ahead_min;
	ck_assert_int_eq(hotlist_replace(hl, "l", ahead_entries(), AHEAD_N, &rep), 0);
	hotlist__build_ahead_min = HL_TEST_AHEAD_DEFAULT;
	return rep;
}

static void same_answers(struct hotlist *a, struct hotlist *b)
{
	for (int p = 0; p < AHEAD_FIRST + 10; p += p < 2100 ? 1 : 7) {
		char plate[12];
		snprintf(plate, sizeof(plate), "AH%05d", p);
		CHECK(hl_test_hits(a, plate, NULL) == hl_test_hits(b, plate, NULL), "%s", plate);
		CHECK(hl_test_hits(a, plate, "DE") == hl_test_hits(b, plate, "DE"), "%s DE", plate);
	}
}

START_TEST(index_built_ahead_is_the_same_list)
{
	struct hotlist *ahead = hl_test_engine(), *plain = hl_test_engine();
	const size_t split_min = hotlist__table_split_min;
	/* _i = 1: the rest of phase 1 shared by the two threads (table.c,
	 * "Splitting the rest"); the last chunk at least is left for it */
	hotlist__table_split_min = _i ? 1 : SIZE_MAX;
	struct hotlist_load_report ra = ahead_replace(ahead, 0);
	hotlist__table_split_min = split_min;
	ck_assert_uint_eq(hotlist__build_times.split_keys > 0, _i == 1);
	struct hotlist_load_report rp = ahead_replace(plain, SIZE_MAX);
	ck_assert_uint_eq(ra.rows, rp.rows);
	ck_assert_uint_eq(ra.loaded, rp.loaded);
	ck_assert_uint_eq(ra.rejected, rp.rejected);
	ck_assert_uint_eq(ra.duplicates, rp.duplicates);
	ck_assert_uint_eq(ra.rejected, AHEAD_N / 997);
	ck_assert_uint_gt(ra.duplicates, 0);
	ck_assert_uint_eq(ra.loaded, AHEAD_N - ra.rejected - ra.duplicates);
	same_answers(ahead, plain);
	ck_assert_int_eq(hl_test_hits(ahead, "AH00001", NULL), 2); /* any country and DE */
	ck_assert_int_eq(hl_test_hits(ahead, "AH37999", NULL), 1);
	hotlist_destroy(ahead, NULL);
	hotlist_destroy(plain, NULL);
}
END_TEST

/* The worker's CPU test (list.c, idle_cpu): the caller counts in both
 * readings, so a caller alone on a 2-CPU machine (runnable 1, load ~1.0
 * after a minute of work) gets the worker; one more runnable thread, or a
 * minute's load that fills the CPUs, does not. */
START_TEST(worker_cpu_counts_the_caller)
{
	ck_assert(hotlist__worker_cpu_free(2, 1.03, 1)); /* refused by the average alone */
	ck_assert(hotlist__worker_cpu_free(2, 0.10, 1));
	ck_assert(hotlist__worker_cpu_free(16, 9.0, 8));
	ck_assert(!hotlist__worker_cpu_free(2, 0.10, 2)); /* another thread runs now */
	ck_assert(!hotlist__worker_cpu_free(2, 1.60, 1)); /* a busy minute, a lull now */
	ck_assert(!hotlist__worker_cpu_free(2, 4.00, 5));
	ck_assert(!hotlist__worker_cpu_free(16, 15.9, 3));
	ck_assert(!hotlist__worker_cpu_free(1, 0.00, 1)); /* one CPU */
	ck_assert(hotlist__worker_cpu_free(2, 1.00, -1)); /* no /proc: the average */
	ck_assert(!hotlist__worker_cpu_free(2, 1.03, -1));
}
END_TEST

START_TEST(runnable_count_of_a_loadavg_line)
{
	ck_assert_int_eq(hotlist__runnable_parse("0.00 0.01 0.00 1/345 6789\n"), 1);
	ck_assert_int_eq(hotlist__runnable_parse("12.50 3.10 2.00 17/2000 1"), 17);
	ck_assert_int_eq(hotlist__runnable_parse("  1.0  2.0  3.0  250/9 1"), 250);
	ck_assert_int_eq(hotlist__runnable_parse(""), -1);
	ck_assert_int_eq(hotlist__runnable_parse("1.0 2.0 3.0"), -1);
	ck_assert_int_eq(hotlist__runnable_parse("1.0 2.0 3.0 x/5 1"), -1);
	ck_assert_int_eq(hotlist__runnable_parse("1.0 2.0 3.0 7 1"), -1);
	ck_assert_int_eq(hotlist__runnable_parse("1.0 2.0 3.0 /5 1"), -1);
}
END_TEST

/* A file whose first rows are long makes the row estimate (load.c) far
 * short: the builder grows its entry array, which stops the worker, and
 * the caller's thread builds the index. The same list either way. */
START_TEST(index_ahead_stops_when_the_array_grows)
{
	char path[] = "/tmp/hotlist-ahead-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "plate,country,category,reference\n");
	for (int i = 0; i < 400; i++) /* ~80 KB of long rows: the estimate's sample */
		fprintf(f, "LG%05d,,c,%0200d\n", i, i);
	for (int i = 0; i < 20000; i++)
		fprintf(f, "SH%05d,,c,\n", i);
	ck_assert_int_eq(fclose(f), 0);
	struct hotlist *ahead = hl_test_engine(), *plain = hl_test_engine();
	struct hotlist_load_report ra = { .struct_size = sizeof(ra) }, rp = ra;
	hotlist__build_ahead_min = 0;
	ck_assert_int_eq(hotlist_load_csv(ahead, "l", path, &ra), 0);
	hotlist__build_ahead_min = SIZE_MAX;
	ck_assert_int_eq(hotlist_load_csv(plain, "l", path, &rp), 0);
	hotlist__build_ahead_min = HL_TEST_AHEAD_DEFAULT;
	unlink(path);
	ck_assert_uint_eq(ra.loaded, 20400);
	ck_assert_uint_eq(rp.loaded, 20400);
	for (int i = 0; i < 20000; i += 7) {
		char plate[12];
		snprintf(plate, sizeof(plate), "SH%05d", i);
		CHECK(hl_test_hits(ahead, plate, NULL) == 1, "%s", plate);
	}
	ck_assert_int_eq(hl_test_hits(ahead, "LG00399", NULL), 1);
	ck_assert_int_eq(hl_test_hits(ahead, "SH20000", NULL), 0);
	hotlist_destroy(ahead, NULL);
	hotlist_destroy(plain, NULL);
}
END_TEST

/* cfg.build_threads: 1 never starts the worker, 2 always does (here with
 * the size bound lowered to 0), and the list is the same. What tells them
 * apart is the worker's allocations (its state and table), counted through
 * the engine's allocator; values above 2 are refused. */
static size_t counted_allocs;

static void *count_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	counted_allocs++;
	return aligned_alloc(align, (size + align - 1) / align * align);
}

static void count_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	free(p);
}

static size_t allocs_of_replace(unsigned threads, struct hotlist **out)
{
	static struct hotlist_allocator a = { count_alloc, count_free, NULL };
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.allocator = &a;
	cfg.build_threads = threads;
	ck_assert_int_eq(hotlist_create(out, &cfg), 0);
	size_t before = counted_allocs;
	ahead_replace(*out, 0);
	return counted_allocs - before;
}

START_TEST(build_threads_is_obeyed)
{
	struct hotlist *one, *two, *bad = NULL;
	size_t n1 = allocs_of_replace(1, &one), n2 = allocs_of_replace(2, &two);
	ck_assert_uint_gt(n2, n1);
	same_answers(one, two);
	hotlist_destroy(one, NULL);
	hotlist_destroy(two, NULL);
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.build_threads = 3;
	ck_assert_int_eq(hotlist_create(&bad, &cfg), HOTLIST_EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("list");
	TCase *t = tcase_create("build");
	tcase_add_test(t, bad_rows_within_limit_are_skipped_and_reported);
	tcase_add_test(t, duplicate_rows_are_merged);
	tcase_add_test(t, bad_rows_over_limit_keep_the_live_list);
	tcase_add_test(t, nothing_good_is_eempty);
	tcase_add_test(t, empty_replace_empties_the_list);
	tcase_add_test(t, reloads_and_failures_are_counted);
	tcase_add_loop_test(t, index_built_ahead_is_the_same_list, 0, 2);
	tcase_add_test(t, index_ahead_stops_when_the_array_grows);
	tcase_add_test(t, worker_cpu_counts_the_caller);
	tcase_add_test(t, runnable_count_of_a_loadavg_line);
	tcase_add_test(t, build_threads_is_obeyed);
	suite_add_tcase(s, t);
	t = tcase_create("record");
	tcase_add_test(t, plate_comes_back_as_listed);
	tcase_add_test(t, plate_comes_back_as_listed_after_a_fold);
	tcase_add_test(t, windows_at_the_edges_of_int64);
	suite_add_tcase(s, t);
	t = tcase_create("lists");
	tcase_add_test(t, lists_beyond_max_are_enospc);
	tcase_add_test(t, drop_list_removes_it_once);
	tcase_add_test(t, list_info_keeps_creation_order);
	tcase_add_test(t, list_names_are_checked);
	suite_add_tcase(s, t);
	return hl_test_run(s);
}
