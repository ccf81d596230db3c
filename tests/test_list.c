/* SPDX-License-Identifier: MIT */
/*
 * List suite (lib/list.c and the load policy on top of it in lib/load.c):
 * building a list from an array — bad rows skipped and reported, duplicate
 * rows merged, the bad-row limit, nothing good, an empty replace — and the
 * lists of an engine: their number, dropping, creation order, name limits.
 */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

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
	suite_add_tcase(s, t);
	t = tcase_create("lists");
	tcase_add_test(t, lists_beyond_max_are_enospc);
	tcase_add_test(t, drop_list_removes_it_once);
	tcase_add_test(t, list_info_keeps_creation_order);
	tcase_add_test(t, list_names_are_checked);
	suite_add_tcase(s, t);
	return hl_test_run(s);
}
