/* SPDX-License-Identifier: MIT */
/*
 * Pattern suite (lib/pattern.c): what counts as a pattern, how one is
 * normalised, the glob matcher, and the pattern store built from keys and
 * run indexes — on its own, without lists or an engine. Wildcard entries
 * matched through the public API are in test_fuzzy.c ("wildcards").
 */
#include "testutil.h"

#include "alloc.h"
#include "normalise.h"
#include "pattern.h"

#include <check.h>
#include <string.h>

START_TEST(is_pattern_needs_a_wildcard)
{
	ck_assert(hotlist__is_pattern("AB?12"));
	ck_assert(hotlist__is_pattern("*12"));
	ck_assert(!hotlist__is_pattern("AB-12-CD"));
	ck_assert(!hotlist__is_pattern(""));
}
END_TEST

START_TEST(normalise_keeps_wildcards_folds_star_runs)
{
	char n[HOTLIST_PLATE_MAX + 1];
	ck_assert_int_eq(hotlist__pattern_normalise("gz-**12?-b", n), 7);
	ck_assert_str_eq(n, "GZ*12?B");
	ck_assert_int_eq(hotlist__pattern_normalise("ä?*", n), 3);
	ck_assert_str_eq(n, "A?*");
}
END_TEST

START_TEST(normalise_refuses_star_only_and_too_long)
{
	char n[HOTLIST_PLATE_MAX + 1];
	ck_assert_int_eq(hotlist__pattern_normalise("*", n), HOTLIST_EPLATE);
	ck_assert_int_eq(hotlist__pattern_normalise("*-*", n), HOTLIST_EPLATE);
	ck_assert_int_eq(hotlist__pattern_normalise("ABCDEFGHIJKLMNOP*", n), HOTLIST_EPLATE);
}
END_TEST

START_TEST(glob_question_mark_is_one_character)
{
	ck_assert(hotlist__glob("A?C", 3, "ABC", 3));
	ck_assert(!hotlist__glob("A?C", 3, "AC", 2));
	ck_assert(!hotlist__glob("A?C", 3, "ABBC", 4));
}
END_TEST

START_TEST(glob_star_is_any_run)
{
	ck_assert(hotlist__glob("A*B*C", 5, "AXXBYYC", 7));
	ck_assert(hotlist__glob("A*B*C", 5, "ABC", 3));
	ck_assert(!hotlist__glob("A*B*C", 5, "AXXBYY", 6));
	ck_assert(hotlist__glob("*", 1, "", 0));
}
END_TEST

START_TEST(glob_long_miss_is_not_exponential)
{
	/* backtracking would try ~2^15 splits; the iterative glob stays linear */
	ck_assert(!hotlist__glob("*A*A*A*A*A*A*A*B", 16, "AAAAAAAAAAAAAAAA", 16));
}
END_TEST

/* Runs emitted by a store for one plate, as a bit set. */
static void emit_bit(void *ctx, uint32_t run, unsigned subs, unsigned indels)
{
	ck_assert_uint_eq(subs, 0);
	ck_assert_uint_eq(indels, 0);
	uint32_t *bits = ctx;
	ck_assert_uint_eq(*bits & (UINT32_C(1) << run), 0); /* at most once */
	*bits |= UINT32_C(1) << run;
}

static struct hl_patterns *store(const char *const *pats, const uint32_t *runs, uint32_t n)
{
	struct hl_key keys[8];
	for (uint32_t i = 0; i < n; i++) {
		char norm[HOTLIST_PLATE_MAX + 1];
		int len = hotlist__pattern_normalise(pats[i], norm);
		ck_assert_int_gt(len, 0);
		hotlist__key_pack_pattern(norm, (size_t)len, &keys[i]);
	}
	struct hl_patterns *p = NULL;
	ck_assert_int_eq(hotlist__patterns_build(&p, keys, runs, n, hotlist__default_allocator()),
			 0);
	return p;
}

static uint32_t runs_of(const struct hl_patterns *p, const char *plate)
{
	uint32_t bits = 0;
	hotlist__patterns_match(p, plate, strlen(plate), emit_bit, &bits);
	return bits;
}

START_TEST(store_emits_every_matching_run_once)
{
	const char *pats[] = { "GZ12?B", "*123B*", "X*" };
	const uint32_t runs[] = { 1, 4, 7 };
	struct hl_patterns *p = store(pats, runs, 3);
	ck_assert_uint_eq(runs_of(p, "GZ123B"), (1u << 1) | (1u << 4));
	ck_assert_uint_eq(runs_of(p, "X123BYZ"), (1u << 4) | (1u << 7));
	ck_assert_uint_eq(runs_of(p, "GZ12B"), 0);
	ck_assert_uint_gt(hotlist__patterns_bytes(p), 0);
	hotlist__patterns_free(p, hotlist__default_allocator());
}
END_TEST

START_TEST(store_of_nothing_is_null)
{
	struct hl_patterns *p = (struct hl_patterns *)1;
	ck_assert_int_eq(hotlist__patterns_build(&p, NULL, NULL, 0, hotlist__default_allocator()),
			 0);
	ck_assert_ptr_null(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pattern");
	TCase *t = tcase_create("normalise");
	tcase_add_test(t, is_pattern_needs_a_wildcard);
	tcase_add_test(t, normalise_keeps_wildcards_folds_star_runs);
	tcase_add_test(t, normalise_refuses_star_only_and_too_long);
	suite_add_tcase(s, t);
	t = tcase_create("glob");
	tcase_add_test(t, glob_question_mark_is_one_character);
	tcase_add_test(t, glob_star_is_any_run);
	tcase_add_test(t, glob_long_miss_is_not_exponential);
	suite_add_tcase(s, t);
	t = tcase_create("store");
	tcase_add_test(t, store_emits_every_matching_run_once);
	tcase_add_test(t, store_of_nothing_is_null);
	suite_add_tcase(s, t);
	return hl_test_run(s);
}
