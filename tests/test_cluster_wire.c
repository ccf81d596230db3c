/* SPDX-License-Identifier: MIT */
/*
 * Tests for cluster/wire.c and the pure helpers of cluster/setup.c: ids are
 * deterministic (exactly-once storage rests on it), distinct where their
 * inputs differ (including a field boundary moved), tokens are checked, and
 * digests match XXH3-128. No server needed.
 */
#include "cluster.h"

#include <check.h>

#include "testutil.h"
#include <string.h>

static struct hotlist_hit hit(const char *list, const char *plate, const char *country,
			      const char *category)
{
	struct hotlist_hit h = { .list = list, .entry_plate = plate, .category = category };

	snprintf(h.country, sizeof(h.country), "%s", country);
	return h;
}

START_TEST(read_id_deterministic_and_distinct)
{
	struct hl_cluster_read a = {
		.plate = "AB123C", .camera = "cam1", .ts_us = 42, .site = "north"
	};
	struct hl_cluster_read b = a;
	char x[HL_ID_HEX], y[HL_ID_HEX];

	hl_cluster_read_id(&a, x);
	hl_cluster_read_id(&b, y);
	ck_assert_str_eq(x, y);
	ck_assert_uint_eq(strlen(x), 32);
	b.ts_us = 43;
	hl_cluster_read_id(&b, y);
	ck_assert_str_ne(x, y);
	/* A field boundary moved: "cam1"/"AB123C" vs "cam1A"/"B123C". */
	b = a;
	b.camera = "cam1A";
	b.plate = "B123C";
	hl_cluster_read_id(&b, y);
	ck_assert_str_ne(x, y);
	/* No site and the default site are the same site. */
	a.site = NULL;
	b = a;
	b.site = "default";
	hl_cluster_read_id(&a, x);
	hl_cluster_read_id(&b, y);
	ck_assert_str_eq(x, y);
}
END_TEST

START_TEST(hit_id_is_read_list_entry)
{
	struct hotlist_hit h1 = hit("national", "AB123C", "NL", "stolen");
	struct hotlist_hit h2 = h1;
	char x[HL_ID_HEX], y[HL_ID_HEX];

	hl_cluster_hit_id("r1", &h1, x);
	hl_cluster_hit_id("r1", &h2, y);
	ck_assert_str_eq(x, y);
	hl_cluster_hit_id("r2", &h2, y);
	ck_assert_str_ne(x, y);
	h2 = hit("wanted", "AB123C", "NL", "stolen");
	hl_cluster_hit_id("r1", &h2, y);
	ck_assert_str_ne(x, y);
	h2 = hit("national", "AB123C", "", "stolen");
	hl_cluster_hit_id("r1", &h2, y);
	ck_assert_str_ne(x, y);
	h2 = hit("national", "AB123C", "NL", "wanted person");
	hl_cluster_hit_id("r1", &h2, y);
	ck_assert_str_ne(x, y);
}
END_TEST

START_TEST(tokens)
{
	ck_assert(hl_cluster_token_ok("north-1"));
	ck_assert(hl_cluster_token_ok("national_list"));
	ck_assert(!hl_cluster_token_ok(""));
	ck_assert(!hl_cluster_token_ok(NULL));
	ck_assert(!hl_cluster_token_ok("a.b"));
	ck_assert(!hl_cluster_token_ok("a*"));
	ck_assert(!hl_cluster_token_ok(">"));
	ck_assert(!hl_cluster_token_ok("a b"));
	ck_assert(!hl_cluster_token_ok("a\tb"));
}
END_TEST

START_TEST(digest_golden)
{
	char hex[HL_ID_HEX];

	/* XXH3_128bits of the empty input (xxHash's sanity test vector). */
	hl_cluster_digest("", 0, hex);
	ck_assert_str_eq(hex, "99aa06d3014798d86001c324468d497f");
}
END_TEST

START_TEST(split_urls)
{
	int n = 0;
	char **v = hl_cluster_split("nats://a:1,,nats://b:2,", &n);

	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(v[0], "nats://a:1");
	ck_assert_str_eq(v[1], "nats://b:2");
	ck_assert_ptr_null(v[2]);
	hl_cluster_free_split(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cluster_wire");
	TCase *tc = tcase_create("wire");

	tcase_add_test(tc, read_id_deterministic_and_distinct);
	tcase_add_test(tc, hit_id_is_read_list_entry);
	tcase_add_test(tc, tokens);
	tcase_add_test(tc, digest_golden);
	tcase_add_test(tc, split_urls);
	suite_add_tcase(s, tc);
	return hl_test_run(s);
}
