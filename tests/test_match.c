/* SPDX-License-Identifier: MIT */
/*
 * Match suite (lib/match.c): hotlist_match_batch() answers exactly as
 * hotlist_match() read by read — the same hits, as counted by the callbacks
 * and by the return values — for every chunk boundary, with bad reads mixed
 * in, with countries set on reads and entries, and on lists with fuzzy,
 * cross-border and repair options and wildcard entries (the batch path
 * filters those lists in bulk, the single path does not).
 */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static void count_only(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(*(int *)user)++;
}

/* The batch API answers exactly as the single-read API, for every chunk
 * boundary and with bad reads mixed in. */
START_TEST(batch_equals_single)
{
	struct hotlist *hl = hl_test_engine();
	enum { N = 300, R = 1000 };
	static char plates[N][12], rplates[R][12];
	static struct hotlist_entry e[N];
	static struct hotlist_read r[R];
	for (int i = 0; i < N; i++) {
		snprintf(plates[i], sizeof(plates[i]), "HB%03d", i * 3);
		e[i] = (struct hotlist_entry){ .plate = plates[i], .country = i % 2 ? "NL" : NULL };
	}
	ck_assert_int_eq(hotlist_replace(hl, "a", e, N / 2, NULL), 0);
	ck_assert_int_eq(hotlist_replace(hl, "b", e + N / 3, N / 2, NULL), 0);
	struct hotlist_entry p = { .plate = "HB003", .category = "put" };
	ck_assert_int_eq(hotlist_put(hl, "c", &p), 0);
	int single = 0;
	for (int i = 0; i < R; i++) {
		snprintf(rplates[i], sizeof(rplates[i]), i % 97 == 5 ? "?" : "HB%03d", i);
		r[i] = (struct hotlist_read){ .plate = rplates[i], .country = i % 5 ? "NL" : "BE" };
		int n = 0;
		int rc = hotlist_match(hl, &r[i], count_only, &n);
		if (rc >= 0)
			single += n;
	}
	ck_assert_int_gt(single, 100);
	for (size_t chunk = 1; chunk <= R; chunk = chunk * 3 + 1) {
		int batch = 0, ret = 0;
		for (size_t i = 0; i < R; i += chunk)
			ret += hotlist_match_batch(hl, r + i, R - i < chunk ? R - i : chunk,
						   count_only, &batch);
		ck_assert_int_eq(batch, single);
		ck_assert_int_eq(ret, single);
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

static void count_by_read(const struct hotlist_hit *h, void *user)
{
	((int *)user)[(const char *)h->read->opaque - (const char *)NULL]++;
}

/* The batch parses a country string once for the reads that share it (the
 * same pointer): each read still gets its own country, a bad one is refused
 * without touching the others, and the hits per read are the single call's. */
START_TEST(batch_country_strings)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e[] = { { .plate = "CS1", .country = "NL" },
				     { .plate = "CS2", .country = "BE" },
				     { .plate = "CS3" } };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 3, NULL), 0);
	char nl[] = "NL", be[] = "be", nl2[] = " nl ", bad[] = "XQ";
	const char *country[] = { nl, nl, be, nl, bad, nl, NULL, nl2, be, be, bad, NULL, nl };
	enum { R = sizeof(country) / sizeof(country[0]) };
	static const char *const plate[] = { "CS1", "CS2", "CS3" };
	struct hotlist_read r[2 * R];
	int single[2 * R] = { 0 }, batch[2 * R] = { 0 }, bad_single = 0;
	for (int i = 0; i < 2 * R; i++) {
		r[i] = (struct hotlist_read){ .plate = plate[i % 3],
					      .country = country[i % R],
					      .opaque = (char *)NULL + i };
		bad_single += hotlist_match(hl, &r[i], count_by_read, single) < 0;
	}
	ck_assert_int_eq(bad_single, 4);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	uint64_t bad_before = st.bad_reads;
	ck_assert_int_ge(hotlist_match_batch(hl, r, 2 * R, count_by_read, batch), 0);
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.bad_reads - bad_before, 4);
	for (int i = 0; i < 2 * R; i++)
		ck_assert_msg(batch[i] == single[i], "read %d (%s, %s): batch %d, single %d", i,
			      r[i].plate, r[i].country ? r[i].country : "-", batch[i], single[i]);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Hits of reads[0..n) matched one by one, and the same as batches of
 * every chunk size from 1 up, compared. */
static void assert_parity(struct hotlist *hl, const struct hotlist_read *r, size_t n)
{
	int single = 0;
	for (size_t i = 0; i < n; i++) {
		int k = 0;
		if (hotlist_match(hl, &r[i], count_only, &k) >= 0)
			single += k;
	}
	ck_assert_int_gt(single, 0);
	for (size_t chunk = 1; chunk <= n; chunk = chunk * 3 + 1) {
		int batch = 0, ret = 0;
		for (size_t i = 0; i < n; i += chunk)
			ret += hotlist_match_batch(hl, r + i, n - i < chunk ? n - i : chunk,
						   count_only, &batch);
		ck_assert_int_eq(batch, single);
		ck_assert_int_eq(ret, single);
	}
}

/* The same parity on lists that are not exact-only: OCR substitutions with
 * cross-border matching, indels with repair, wildcard entries; reads of
 * several countries (and none), OCR confusions and separators. */
START_TEST(batch_equals_single_with_list_options)
{
	struct hotlist *hl = hl_test_engine();
	static const char *const countries[] = { "NL", "DE", "BE", NULL };
	enum { N = 120, R = 600 };
	static char plates[N][12], rplates[R][16];
	static struct hotlist_entry e[N];
	static struct hotlist_read r[R];
	for (int i = 0; i < N; i++) {
		snprintf(plates[i], sizeof(plates[i]), "GZ%03d%c", i * 7, 'B' + i % 5);
		e[i] = (struct hotlist_entry){ .plate = plates[i], .country = countries[i % 4] };
	}
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 1;
	o.cross_border = true;
	ck_assert_int_eq(hotlist_set_list_options(hl, "ocr", &o), 0);
	ck_assert_int_eq(hotlist_replace(hl, "ocr", e, N / 2, NULL), 0);
	hotlist_list_options_init(&o);
	o.indels = 1;
	ck_assert_int_eq(hotlist_set_list_options(hl, "indel", &o), 0);
	ck_assert_int_eq(hotlist_replace(hl, "indel", e + N / 2, N / 2, NULL), 0);
	struct hotlist_entry w = { .plate = "GZ1*", .country = "NL" };
	ck_assert_int_eq(hotlist_put(hl, "indel", &w), 0);
	for (int i = 0; i < R; i++) {
		int k = i % N;
		switch (i % 4) {
		case 0: /* as listed */
			snprintf(rplates[i], sizeof(rplates[i]), "%s", plates[k]);
			break;
		case 1: /* an OCR confusion: 0 read as O */
			snprintf(rplates[i], sizeof(rplates[i]), "GZ%03d%c", k * 7, 'B' + k % 5);
			for (char *c = rplates[i]; *c; c++)
				*c = *c == '0' ? 'O' : *c;
			break;
		case 2: /* one character dropped */
			snprintf(rplates[i], sizeof(rplates[i]), "G%03d%c", k * 7, 'B' + k % 5);
			break;
		default: /* separators, or a bad plate now and then */
			snprintf(rplates[i], sizeof(rplates[i]), "GZ-%03d-%c", k * 7, 'B' + k % 5);
			if (i % 13 == 0)
				snprintf(rplates[i], sizeof(rplates[i]), "!");
		}
		r[i] = (struct hotlist_read){ .plate = rplates[i], .country = countries[i % 3] };
	}
	assert_parity(hl, r, R);
	hotlist_destroy(hl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("match");
	TCase *t = tcase_create("batch_parity");
	tcase_add_test(t, batch_equals_single);
	tcase_add_test(t, batch_country_strings);
	tcase_add_test(t, batch_equals_single_with_list_options);
	suite_add_tcase(s, t);
	return hl_test_run(s);
}
