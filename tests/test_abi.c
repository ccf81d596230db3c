/* SPDX-License-Identifier: MIT */
/*
 * The versioned-struct rule (docs/ABI.md, lib/abi.c) for every struct that
 * carries struct_size: accepted at the V1 size, at the current size and at a
 * larger one (a caller built against a newer header), refused below V1 with
 * HOTLIST_EINVAL and nothing done; outputs zero what the library does not
 * know and report the bytes filled in struct_size.
 */
#include "testutil.h"

#include <string.h>

/* A caller built against a newer header: the struct and fields after it. */
#define FUTURE_BYTES 24

struct hit_log {
	int n;
	const struct hotlist_read *reads[8];
};

static void log_hit(const struct hotlist_hit *h, void *user)
{
	struct hit_log *l = user;
	if (l->n < 8)
		l->reads[l->n] = h->read;
	l->n++;
}

static struct hotlist *engine_with(const char *plate)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e = { .plate = plate };
	ck_assert_int_eq(hotlist_put(hl, "l", &e), 0);
	return hl;
}

/* ---- hotlist_config ---- */

static int create_with_size(size_t size)
{
	struct {
		struct hotlist_config c;
		unsigned char future[FUTURE_BYTES];
	} big;
	memset(big.future, 0xA5, sizeof(big.future)); /* unknown fields: ignored */
	hotlist_config_init(&big.c);
	big.c.workers = 0;
	big.c.struct_size = size;
	struct hotlist *hl = NULL;
	int rc = hotlist_create(&hl, &big.c);
	ck_assert(rc == 0 || hl == NULL);
	hotlist_destroy(hl, NULL);
	return rc;
}

START_TEST(config_v1_size)
{
	ck_assert_int_eq(create_with_size(HOTLIST_CONFIG_SIZE_V1), 0);
}
END_TEST

START_TEST(config_current_size)
{
	ck_assert_int_eq(create_with_size(sizeof(struct hotlist_config)), 0);
}
END_TEST

START_TEST(config_larger_size)
{
	ck_assert_int_eq(create_with_size(sizeof(struct hotlist_config) + FUTURE_BYTES), 0);
}
END_TEST

START_TEST(config_too_small)
{
	ck_assert_int_eq(create_with_size(HOTLIST_CONFIG_SIZE_V1 - 1), HOTLIST_EINVAL);
	ck_assert_int_eq(create_with_size(0), HOTLIST_EINVAL);
}
END_TEST

/* ---- the _init functions write no more than the caller's size ---- */

START_TEST(init_writes_only_what_fits)
{
	struct {
		struct hotlist_config c;
		unsigned char future[FUTURE_BYTES];
	} big;
	memset(&big, 0xA5, sizeof(big));
	hotlist_config_init_size(&big.c, HOTLIST_CONFIG_SIZE_V1); /* an older caller */
	ck_assert_uint_eq(big.c.struct_size, HOTLIST_CONFIG_SIZE_V1);
	ck_assert_uint_eq(big.c.workers, 2);
	const unsigned char *p = (const unsigned char *)&big;
	for (size_t i = HOTLIST_CONFIG_SIZE_V1; i < sizeof(big); i++)
		ck_assert_uint_eq(p[i], 0xA5);
	memset(&big, 0xA5, sizeof(big));
	hotlist_config_init_size(&big.c, sizeof(big)); /* a newer one: unknown fields zero */
	ck_assert_uint_eq(big.c.struct_size, sizeof(big.c));
	for (size_t i = 0; i < sizeof(big.future); i++)
		ck_assert_uint_eq(big.future[i], 0);
	memset(&big, 0xA5, sizeof(big));
	hotlist_config_init_size(&big.c, HOTLIST_CONFIG_SIZE_V1 - 1); /* too small: nothing */
	for (size_t i = 0; i < sizeof(big); i++)
		ck_assert_uint_eq(p[i], 0xA5);
	struct hotlist_list_options o[2];
	memset(o, 0xA5, sizeof(o));
	hotlist_list_options_init_size(&o[0], HOTLIST_LIST_OPTIONS_SIZE_V1);
	ck_assert(o[0].repair);
	p = (const unsigned char *)o;
	for (size_t i = HOTLIST_LIST_OPTIONS_SIZE_V1; i < sizeof(o); i++)
		ck_assert_uint_eq(p[i], 0xA5);
}
END_TEST

/* ---- hotlist_list_options: the options must take effect at every size ---- */

static int options_with_size(size_t size)
{
	struct {
		struct hotlist_list_options o;
		unsigned char future[FUTURE_BYTES];
	} big;
	memset(big.future, 0xA5, sizeof(big.future));
	hotlist_list_options_init(&big.o);
	big.o.ocr_substitutions = 1;
	big.o.struct_size = size;
	struct hotlist *hl = engine_with("AB12CD");
	int rc = hotlist_set_list_options(hl, "l", &big.o);
	if (rc == 0) /* 0 read as O within the default classes */
		ck_assert_int_eq(hl_test_hits(hl, "AB12CO", NULL), 1);
	hotlist_destroy(hl, NULL);
	return rc;
}

START_TEST(options_v1_size)
{
	ck_assert_int_eq(options_with_size(HOTLIST_LIST_OPTIONS_SIZE_V1), 0);
}
END_TEST

START_TEST(options_current_size)
{
	ck_assert_int_eq(options_with_size(sizeof(struct hotlist_list_options)), 0);
}
END_TEST

START_TEST(options_larger_size)
{
	ck_assert_int_eq(options_with_size(sizeof(struct hotlist_list_options) + FUTURE_BYTES), 0);
}
END_TEST

START_TEST(options_too_small)
{
	ck_assert_int_eq(options_with_size(HOTLIST_LIST_OPTIONS_SIZE_V1 - 1), HOTLIST_EINVAL);
	ck_assert_int_eq(options_with_size(sizeof(size_t)), HOTLIST_EINVAL);
}
END_TEST

/* ---- hotlist_stats ---- */

struct big_stats {
	struct hotlist_stats s;
	unsigned char future[FUTURE_BYTES];
};

/* Stats of an engine that matched two reads, one a hit, into a struct of
 * struct_size size whose every byte was 0xA5. */
static int stats_with_size(size_t size, struct big_stats *out)
{
	struct hotlist *hl = engine_with("AB12CD");
	ck_assert_int_eq(hl_test_hits(hl, "AB12CD", NULL), 1);
	ck_assert_int_eq(hl_test_hits(hl, "ZZ99ZZ", NULL), 0);
	memset(out, 0xA5, sizeof(*out));
	out->s.struct_size = size;
	int rc = hotlist_stats(hl, &out->s);
	hotlist_destroy(hl, NULL);
	return rc;
}

START_TEST(stats_v1_size)
{
	struct big_stats b;
	ck_assert_int_eq(stats_with_size(HOTLIST_STATS_SIZE_V1, &b), 0);
	ck_assert_uint_eq(b.s.struct_size, HOTLIST_STATS_SIZE_V1);
	ck_assert_uint_eq(b.s.reads, 2);
	ck_assert_uint_eq(b.s.hits, 1);
	ck_assert_uint_eq(b.s.inline_latency.count, 1);
}
END_TEST

START_TEST(stats_current_size)
{
	struct big_stats b;
	ck_assert_int_eq(stats_with_size(sizeof(struct hotlist_stats), &b), 0);
	ck_assert_uint_eq(b.s.struct_size, sizeof(struct hotlist_stats));
	ck_assert_uint_eq(b.s.reads, 2);
	ck_assert_uint_eq(b.future[0], 0xA5); /* past struct_size: not written */
}
END_TEST

START_TEST(stats_larger_size)
{
	struct big_stats b;
	ck_assert_int_eq(stats_with_size(sizeof(b), &b), 0);
	ck_assert_uint_eq(b.s.struct_size, sizeof(struct hotlist_stats)); /* bytes filled */
	ck_assert_uint_eq(b.s.reads, 2);
	for (size_t i = 0; i < sizeof(b.future); i++)
		ck_assert_uint_eq(b.future[i], 0); /* fields this library lacks: zero */
}
END_TEST

START_TEST(stats_reports_bad_size)
{
	struct big_stats b;
	ck_assert_int_eq(stats_with_size(HOTLIST_STATS_SIZE_V1 - 1, &b), HOTLIST_EINVAL);
	ck_assert_uint_eq(b.s.struct_size, HOTLIST_STATS_SIZE_V1 - 1); /* untouched */
	ck_assert_uint_eq(b.s.reads, 0xA5A5A5A5A5A5A5A5u);
	ck_assert_int_eq(stats_with_size(0, &b), HOTLIST_EINVAL);
	struct hotlist *hl = hl_test_engine();
	ck_assert_int_eq(hotlist_stats(hl, NULL), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist_stats(NULL, &b.s), HOTLIST_EINVAL);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- hotlist_load_report ---- */

struct big_report {
	struct hotlist_load_report r;
	unsigned char future[FUTURE_BYTES];
};

static int replace_with_report(size_t size, struct big_report *out, struct hotlist **hlp)
{
	struct hotlist_entry e[] = { { .plate = "AB12CD" }, { .plate = "!!" } };
	struct hotlist *hl = hl_test_engine();
	memset(out, 0xA5, sizeof(*out));
	out->r.struct_size = size;
	int rc = hotlist_replace(hl, "l", e, 2, &out->r);
	*hlp = hl;
	return rc;
}

START_TEST(report_v1_size)
{
	struct big_report b;
	struct hotlist *hl;
	/* one bad row in two is above the default 1 %: refused, and reported */
	ck_assert_int_eq(replace_with_report(HOTLIST_LOAD_REPORT_SIZE_V1, &b, &hl),
			 HOTLIST_EBADROWS);
	ck_assert_uint_eq(b.r.rows, 2);
	ck_assert_uint_eq(b.r.rejected, 1);
	ck_assert_uint_eq(b.r.n_errors, 1);
	ck_assert_int_eq(b.r.errors[0].code, HOTLIST_EPLATE);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(report_current_size)
{
	struct big_report b;
	struct hotlist *hl;
	ck_assert_int_eq(replace_with_report(sizeof(b.r), &b, &hl), HOTLIST_EBADROWS);
	ck_assert_uint_eq(b.r.struct_size, sizeof(b.r));
	ck_assert_uint_eq(b.r.rows, 2);
	ck_assert_uint_eq(b.future[0], 0xA5);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(report_larger_size)
{
	struct big_report b;
	struct hotlist *hl;
	ck_assert_int_eq(replace_with_report(sizeof(b), &b, &hl), HOTLIST_EBADROWS);
	ck_assert_uint_eq(b.r.struct_size, sizeof(b.r));
	ck_assert_uint_eq(b.r.rows, 2);
	for (size_t i = 0; i < sizeof(b.future); i++)
		ck_assert_uint_eq(b.future[i], 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(report_too_small)
{
	struct big_report b;
	struct hotlist *hl;
	ck_assert_int_eq(replace_with_report(HOTLIST_LOAD_REPORT_SIZE_V1 - 1, &b, &hl),
			 HOTLIST_EINVAL);
	ck_assert_uint_eq(b.r.rows, 0xA5A5A5A5A5A5A5A5u); /* untouched */
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), HOTLIST_ENOENT); /* nothing done */
	ck_assert_int_eq(hotlist_load_csv(hl, "l", "/nonexistent", &b.r), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist_check_csv("/nonexistent", 0, &b.r, NULL, NULL), HOTLIST_EINVAL);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- hotlist_list_info ---- */

struct big_info {
	struct hotlist_list_info i;
	unsigned char future[FUTURE_BYTES];
};

static int info_with_size(size_t size, struct big_info *out)
{
	struct hotlist *hl = engine_with("AB12CD");
	memset(out, 0xA5, sizeof(*out));
	out->i.struct_size = size;
	int rc = hotlist_list_info(hl, 0, &out->i);
	hotlist_destroy(hl, NULL);
	return rc;
}

START_TEST(info_v1_size)
{
	struct big_info b;
	ck_assert_int_eq(info_with_size(HOTLIST_LIST_INFO_SIZE_V1, &b), 0);
	ck_assert_str_eq(b.i.name, "l");
	ck_assert_uint_eq(b.i.entries, 1);
}
END_TEST

START_TEST(info_current_size)
{
	struct big_info b;
	ck_assert_int_eq(info_with_size(sizeof(b.i), &b), 0);
	ck_assert_uint_eq(b.i.struct_size, sizeof(b.i));
	ck_assert_uint_eq(b.i.entries, 1);
	ck_assert_uint_eq(b.future[0], 0xA5);
}
END_TEST

START_TEST(info_larger_size)
{
	struct big_info b;
	ck_assert_int_eq(info_with_size(sizeof(b), &b), 0);
	ck_assert_uint_eq(b.i.struct_size, sizeof(b.i));
	ck_assert_uint_eq(b.i.entries, 1);
	for (size_t i = 0; i < sizeof(b.future); i++)
		ck_assert_uint_eq(b.future[i], 0);
}
END_TEST

START_TEST(info_too_small)
{
	struct big_info b;
	ck_assert_int_eq(info_with_size(HOTLIST_LIST_INFO_SIZE_V1 - 1, &b), HOTLIST_EINVAL);
	ck_assert_uint_eq(b.i.entries, 0xA5A5A5A5A5A5A5A5u);
	ck_assert_int_eq(info_with_size(0, &b), HOTLIST_EINVAL);
}
END_TEST

/* ---- hotlist_read: single, batch (the stride) and submit ---- */

struct big_read {
	struct hotlist_read r;
	unsigned char future[FUTURE_BYTES];
};

/* Match "AB12CD" and a miss, one at a time and as a batch, each read with
 * struct_size size; hit->read must be the caller's own read. */
static void reads_with_size(unsigned size)
{
	struct hotlist *hl = engine_with("AB12CD");
	struct big_read b[2];
	memset(b, 0xA5, sizeof(b));
	for (int i = 0; i < 2; i++) {
		memset(&b[i].r, 0, sizeof(b[i].r));
		b[i].r.plate = i ? "ZZ99ZZ" : "AB12CD";
		b[i].r.struct_size = size;
	}
	struct hit_log one = { 0 };
	ck_assert_int_eq(hotlist_match(hl, &b[0].r, log_hit, &one), 1);
	ck_assert_ptr_eq(one.reads[0], &b[0].r);
	hotlist_destroy(hl, NULL);
}

/* The same reads as an array whose stride is struct_size. */
static void batch_with_stride(size_t stride)
{
	struct hotlist *hl = engine_with("AB12CD");
	unsigned char buf[4 * sizeof(struct big_read)];
	memset(buf, 0xA5, sizeof(buf));
	const char *plates[] = { "ZZ99ZZ", "AB12CD", "YY11YY", "AB-12-CD" };
	for (size_t i = 0; i < 4; i++) {
		struct hotlist_read r = { .plate = plates[i] };
		r.struct_size = stride == sizeof(struct hotlist_read) ? 0 : (unsigned)stride;
		memcpy(buf + i * stride, &r, sizeof(r) < stride ? sizeof(r) : stride);
	}
	struct hit_log log = { 0 };
	const struct hotlist_read *reads = (const void *)buf;
	ck_assert_int_eq(hotlist_match_batch(hl, reads, 4, log_hit, &log), 2);
	ck_assert_ptr_eq(log.reads[0], (const void *)(buf + 1 * stride));
	ck_assert_ptr_eq(log.reads[1], (const void *)(buf + 3 * stride));
	hotlist_destroy(hl, NULL);
}

/* struct_size 0: the caller's struct is this header's (docs/ABI.md rule 5),
 * so an array of them has this header's stride. */
START_TEST(read_zero_size_is_this_headers)
{
	reads_with_size(0);
	batch_with_stride(sizeof(struct hotlist_read));
}
END_TEST

START_TEST(read_v1_size)
{
	reads_with_size(HOTLIST_READ_SIZE_V1);
}
END_TEST

START_TEST(read_current_size)
{
	reads_with_size(sizeof(struct hotlist_read));
	batch_with_stride(sizeof(struct hotlist_read));
}
END_TEST

START_TEST(read_larger_size)
{
	reads_with_size(sizeof(struct big_read));
	batch_with_stride(sizeof(struct big_read));
}
END_TEST

START_TEST(read_too_small)
{
	struct hotlist *hl = engine_with("AB12CD");
	struct hotlist_read r = { .plate = "AB12CD", .struct_size = HOTLIST_READ_SIZE_V1 - 1 };
	struct hit_log log = { 0 };
	ck_assert_int_eq(hotlist_match(hl, &r, log_hit, &log), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist_match_batch(hl, &r, 1, log_hit, &log), HOTLIST_EINVAL);
	ck_assert_int_eq(log.n, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

static void count_async(const struct hotlist_hit *h, void *user)
{
	(void)h;
	__atomic_add_fetch((int *)user, 1, __ATOMIC_RELAXED);
}

START_TEST(read_submit_sizes)
{
	int hits = 0;
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 1;
	cfg.suppress_window_us = 0;
	cfg.on_hit = count_async;
	cfg.on_hit_user = &hits;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	struct hotlist_entry e = { .plate = "AB12CD" };
	ck_assert_int_eq(hotlist_put(hl, "l", &e), 0);
	struct big_read b;
	memset(&b, 0xA5, sizeof(b));
	memset(&b.r, 0, sizeof(b.r));
	b.r.plate = "AB12CD";
	unsigned sizes[] = { 0, HOTLIST_READ_SIZE_V1, sizeof(b.r), sizeof(b) };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		b.r.struct_size = sizes[i];
		ck_assert_int_eq(hotlist_submit(hl, &b.r), 0);
	}
	b.r.struct_size = HOTLIST_READ_SIZE_V1 - 1;
	ck_assert_int_eq(hotlist_submit(hl, &b.r), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist_flush(hl), 0);
	ck_assert_int_eq(__atomic_load_n(&hits, __ATOMIC_RELAXED), 4);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- hotlist_entry: put, and replace (the stride) ---- */

struct big_entry {
	struct hotlist_entry e;
	unsigned char future[FUTURE_BYTES];
};

/* Put one entry and replace a list of two, each entry with struct_size
 * size laid out at that stride; every entry must then hit. */
static void entries_with_size(size_t size)
{
	struct hotlist *hl = hl_test_engine();
	size_t stride = size ? size : sizeof(struct hotlist_entry);
	unsigned char buf[2 * sizeof(struct big_entry)];
	memset(buf, 0xA5, sizeof(buf));
	const char *plates[] = { "AB12CD", "EF34GH" };
	for (size_t i = 0; i < 2; i++) {
		struct hotlist_entry e = { .plate = plates[i], .priority = 7 };
		e.struct_size = (unsigned)size;
		memcpy(buf + i * stride, &e, sizeof(e) < stride ? sizeof(e) : stride);
	}
	const struct hotlist_entry *entries = (const void *)buf;
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", entries, 2, &rep), 0);
	ck_assert_uint_eq(rep.loaded, 2);
	ck_assert_int_eq(hl_test_hits(hl, "AB12CD", NULL), 1);
	ck_assert_int_eq(hl_test_hits(hl, "EF34GH", NULL), 1);
	ck_assert_int_eq(hotlist_put(hl, "m", entries), 0);
	ck_assert_int_eq(hl_test_hits(hl, "AB12CD", NULL), 2);
	hotlist_destroy(hl, NULL);
}

START_TEST(entry_zero_size_is_this_headers)
{
	entries_with_size(0);
}
END_TEST

START_TEST(entry_current_size)
{
	entries_with_size(sizeof(struct hotlist_entry));
}
END_TEST

START_TEST(entry_larger_size)
{
	entries_with_size(sizeof(struct big_entry));
}
END_TEST

START_TEST(entry_too_small)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e = { .plate = "AB12CD", .struct_size = 8 };
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), HOTLIST_EINVAL);
	ck_assert_int_eq(hl_test_hits(hl, "AB12CD", NULL), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(entry_mixed_sizes_are_bad_rows)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e[2] = { { .plate = "AB12CD" }, { .plate = "EF34GH" } };
	e[1].struct_size = sizeof(e[1]) + 8; /* not the array's stride */
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 2, &rep), HOTLIST_EBADROWS);
	ck_assert_uint_eq(rep.rejected, 1);
	ck_assert_int_eq(rep.errors[0].code, HOTLIST_EINVAL);
	ck_assert_uint_eq(rep.errors[0].line, 2);
	hotlist_destroy(hl, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("abi");
	TCase *t = tcase_create("config");
	tcase_add_test(t, config_v1_size);
	tcase_add_test(t, config_current_size);
	tcase_add_test(t, config_larger_size);
	tcase_add_test(t, config_too_small);
	tcase_add_test(t, init_writes_only_what_fits);
	suite_add_tcase(s, t);
	t = tcase_create("list_options");
	tcase_add_test(t, options_v1_size);
	tcase_add_test(t, options_current_size);
	tcase_add_test(t, options_larger_size);
	tcase_add_test(t, options_too_small);
	suite_add_tcase(s, t);
	t = tcase_create("stats");
	tcase_add_test(t, stats_v1_size);
	tcase_add_test(t, stats_current_size);
	tcase_add_test(t, stats_larger_size);
	tcase_add_test(t, stats_reports_bad_size);
	suite_add_tcase(s, t);
	t = tcase_create("load_report");
	tcase_add_test(t, report_v1_size);
	tcase_add_test(t, report_current_size);
	tcase_add_test(t, report_larger_size);
	tcase_add_test(t, report_too_small);
	suite_add_tcase(s, t);
	t = tcase_create("list_info");
	tcase_add_test(t, info_v1_size);
	tcase_add_test(t, info_current_size);
	tcase_add_test(t, info_larger_size);
	tcase_add_test(t, info_too_small);
	suite_add_tcase(s, t);
	t = tcase_create("read");
	tcase_add_test(t, read_zero_size_is_this_headers);
	tcase_add_test(t, read_v1_size);
	tcase_add_test(t, read_current_size);
	tcase_add_test(t, read_larger_size);
	tcase_add_test(t, read_too_small);
	tcase_add_test(t, read_submit_sizes);
	suite_add_tcase(s, t);
	t = tcase_create("entry");
	tcase_add_test(t, entry_zero_size_is_this_headers);
	tcase_add_test(t, entry_current_size);
	tcase_add_test(t, entry_larger_size);
	tcase_add_test(t, entry_too_small);
	tcase_add_test(t, entry_mixed_sizes_are_bad_rows);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return hl_test_run(suite());
}
