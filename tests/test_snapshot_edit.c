/* SPDX-License-Identifier: MIT */
/*
 * Snapshot edit suite (lib/snapshot_edit.c): hotlist_put() and
 * hotlist_remove() on a live list — visibility, update by key (plate,
 * country, category), removal by country, failures that change nothing,
 * a replace superseding pending edits, counting, and folding the edit
 * layer into the base.
 */
#include "testutil.h"

#include "engine.h" /* struct hotlist: hl->snap */
#include "snapshot.h" /* hotlist__snap_set_edits_fold */

#include <check.h>
#include <stdio.h>
#include <string.h>

/* The list "l" of three entries every test starts from. */
static const struct hotlist_entry base[] = {
	{ .plate = "B1", .country = "NL", .category = "stolen vehicle" },
	{ .plate = "B1", .country = "BE", .category = "stolen vehicle" },
	{ .plate = "B2", .category = "wanted person" },
};

static struct hotlist *engine_with_base(void)
{
	struct hotlist *hl = hl_test_engine();
	ck_assert_int_eq(hotlist_replace(hl, "l", base, 3, NULL), 0);
	return hl;
}

static void keep_reference(const struct hotlist_hit *h, void *user)
{
	snprintf(user, 48, "%s", h->reference);
}

/* The reference of the one hit of a read (asserted to be one). */
static const char *reference_of(struct hotlist *hl, const char *plate, const char *country)
{
	static char ref[48];
	struct hotlist_read r = { .plate = plate, .country = country };
	ref[0] = '\0';
	ck_assert_int_eq(hotlist_match(hl, &r, keep_reference, ref), 1);
	return ref;
}

static uint64_t edits(struct hotlist *hl)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	ck_assert_int_eq(hotlist_stats(hl, &st), 0);
	return st.edits;
}

START_TEST(put_new_entry_is_visible)
{
	struct hotlist *hl = engine_with_base();
	struct hotlist_entry u = { .plate = "U-1", .country = "NL", .category = "urgent" };
	ck_assert_int_eq(hl_test_hits(hl, "U1", "NL"), 0);
	ck_assert_int_eq(hotlist_put(hl, "l", &u), 0);
	ck_assert_int_eq(hl_test_hits(hl, "U1", "NL"), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(put_same_key_updates_not_doubles)
{
	struct hotlist *hl = engine_with_base();
	struct hotlist_entry u = { .plate = "U-1", .country = "NL", .category = "urgent" };
	ck_assert_int_eq(hotlist_put(hl, "l", &u), 0);
	u.reference = "updated";
	ck_assert_int_eq(hotlist_put(hl, "l", &u), 0);
	ck_assert_str_eq(reference_of(hl, "U1", "NL"), "updated");
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(put_updates_a_base_entry)
{
	struct hotlist *hl = engine_with_base();
	struct hotlist_entry b1 = base[0];
	b1.reference = "new ref";
	ck_assert_int_eq(hotlist_put(hl, "l", &b1), 0);
	ck_assert_str_eq(reference_of(hl, "B1", "NL"), "new ref");
	ck_assert_int_eq(hl_test_hits(hl, "B1", NULL), 2); /* NL updated, BE as it was */
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(remove_one_country)
{
	struct hotlist *hl = engine_with_base();
	ck_assert_int_eq(hotlist_remove(hl, "l", "B1", "BE"), 1);
	ck_assert_int_eq(hl_test_hits(hl, "B1", "BE"), 0);
	ck_assert_int_eq(hl_test_hits(hl, "B1", "NL"), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(remove_without_country_removes_every_country)
{
	struct hotlist *hl = engine_with_base();
	ck_assert_int_eq(hotlist_remove(hl, "l", "b-1", NULL), 2);
	ck_assert_int_eq(hl_test_hits(hl, "B1", NULL), 0);
	ck_assert_int_eq(hotlist_remove(hl, "l", "B2", ""), 1);
	ck_assert_int_eq(hl_test_hits(hl, "B2", NULL), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(remove_missing_is_enoent)
{
	struct hotlist *hl = engine_with_base();
	ck_assert_int_eq(hotlist_remove(hl, "l", "B1", "BE"), 1);
	ck_assert_int_eq(hotlist_remove(hl, "l", "B1", "BE"), HOTLIST_ENOENT);
	ck_assert_int_eq(hotlist_remove(hl, "l", "ZZ9", NULL), HOTLIST_ENOENT);
	ck_assert_int_eq(hotlist_remove(hl, "nope", "B2", NULL), HOTLIST_ENOENT);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(put_after_remove)
{
	struct hotlist *hl = engine_with_base();
	ck_assert_int_eq(hotlist_remove(hl, "l", "B1", NULL), 2);
	ck_assert_int_eq(hotlist_put(hl, "l", &base[1]), 0);
	ck_assert_int_eq(hl_test_hits(hl, "B1", "BE"), 1);
	ck_assert_int_eq(hl_test_hits(hl, "B1", "NL"), 0);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.entries, 2); /* B1/BE, B2 */
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(replace_supersedes_edits)
{
	struct hotlist *hl = engine_with_base();
	struct hotlist_entry u = { .plate = "U1" };
	ck_assert_int_eq(hotlist_put(hl, "l", &u), 0);
	ck_assert_int_eq(hotlist_remove(hl, "l", "B2", NULL), 1);
	ck_assert_int_eq(hotlist_replace(hl, "l", &base[2], 1, NULL), 0);
	ck_assert_int_eq(hl_test_hits(hl, "U1", NULL), 0);
	ck_assert_int_eq(hl_test_hits(hl, "B1", NULL), 0);
	ck_assert_int_eq(hl_test_hits(hl, "B2", NULL), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(bad_put_changes_nothing)
{
	struct hotlist *hl = engine_with_base();
	struct hotlist_entry bad = { .plate = "!!", .category = "x" };
	ck_assert_int_eq(hotlist_put(hl, "l", &bad), HOTLIST_EPLATE);
	bad.plate = "OK1";
	bad.country = "Narnia";
	ck_assert_int_eq(hotlist_put(hl, "l", &bad), HOTLIST_ECOUNTRY);
	bad.country = NULL;
	bad.priority = 101;
	ck_assert_int_eq(hotlist_put(hl, "l", &bad), HOTLIST_EINVAL);
	ck_assert_int_eq(hl_test_hits(hl, "OK1", NULL), 0);
	ck_assert_uint_eq(edits(hl), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(published_edits_are_counted)
{
	struct hotlist *hl = engine_with_base();
	struct hotlist_entry u = { .plate = "U1" };
	ck_assert_int_eq(hotlist_put(hl, "l", &u), 0);
	ck_assert_int_eq(hotlist_put(hl, "l", &u), 0); /* an update is an edit too */
	ck_assert_int_eq(hotlist_remove(hl, "l", "U1", NULL), 1);
	ck_assert_int_eq(hotlist_remove(hl, "l", "U1", NULL), HOTLIST_ENOENT); /* not counted */
	ck_assert_uint_eq(edits(hl), 3);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Enough edits to pass the fold threshold many times (lowered to 64 here:
 * at the default of 4096 each edit rebuilds up to 4096 pending ones, which
 * takes minutes under ThreadSanitizer); the visible set must be exactly what
 * a plain model says, and the pending edits must have been folded. */
#define TEST_EDITS_FOLD 64

START_TEST(many_edits_fold)
{
	struct hotlist *hl = hl_test_engine();
	hotlist__snap_set_edits_fold(&hl->snap, TEST_EDITS_FOLD);
	enum { N = 2000 };
	static char present[N];
	char plate[16];
	memset(present, 0, sizeof(present));
	unsigned x = 12345;
	for (int i = 0; i < 5000; i++) {
		x = x * 1103515245u + 12345u;
		int k = (int)((x >> 8) % N);
		snprintf(plate, sizeof(plate), "E%05d", k);
		if ((x >> 4) & 3) {
			struct hotlist_entry e = { .plate = plate, .category = "c" };
			ck_assert_int_eq(hotlist_put(hl, "edits", &e), 0);
			present[k] = 1;
		} else {
			int rc = hotlist_remove(hl, "edits", plate, NULL);
			ck_assert_int_eq(rc, present[k] ? 1 : HOTLIST_ENOENT);
			present[k] = 0;
		}
	}
	uint64_t want = 0;
	for (int k = 0; k < N; k++) {
		snprintf(plate, sizeof(plate), "E%05d", k);
		ck_assert_int_eq(hl_test_hits(hl, plate, NULL), present[k]);
		want += (uint64_t)present[k];
	}
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.entries, want);
	ck_assert_uint_le(info.pending_edits, TEST_EDITS_FOLD + 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot_edit");
	TCase *t = tcase_create("put");
	tcase_add_test(t, put_new_entry_is_visible);
	tcase_add_test(t, put_same_key_updates_not_doubles);
	tcase_add_test(t, put_updates_a_base_entry);
	tcase_add_test(t, put_after_remove);
	tcase_add_test(t, bad_put_changes_nothing);
	suite_add_tcase(s, t);
	t = tcase_create("remove");
	tcase_add_test(t, remove_one_country);
	tcase_add_test(t, remove_without_country_removes_every_country);
	tcase_add_test(t, remove_missing_is_enoent);
	suite_add_tcase(s, t);
	t = tcase_create("layer");
	tcase_add_test(t, replace_supersedes_edits);
	tcase_add_test(t, published_edits_are_counted);
	tcase_add_test(t, many_edits_fold);
	suite_add_tcase(s, t);
	return hl_test_run(s);
}
