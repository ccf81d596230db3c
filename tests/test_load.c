/* SPDX-License-Identifier: MIT */
/*
 * Load suite: hot-list files through the engine — hotlist_load_csv and
 * hotlist_check_csv, the bad-row policy, refusals that keep the live list,
 * and the real Dutch plates of ../shared/data when they are there.
 */
#include "hotlist.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char tmpl[64];

/* Write text (len bytes) to a fresh temp file; returns its path (static). */
static const char *temp_file(const char *text, size_t len)
{
	snprintf(tmpl, sizeof(tmpl), "/tmp/hotlist-test-XXXXXX");
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return tmpl;
}

START_TEST(autovu_layout)
{
	struct hotlist *hl = hl_test_engine();
	const char *csv = "\xEF\xBB\xBFPlateState;PlateNumber;Category;EffectiveDate;ExpiryDate\r\n"
			  "NL;GZ-123-B;Stolen;2020-01-01;2099-12-31\r\n"
			  "BE;1-ABC-234;Wanted felon;;\r\n"
			  ";\"XY 99\";\"Amber; alert\";;\r\n";
	const char *path = temp_file(csv, strlen(csv));
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_load_csv(hl, "autovu", path, &rep), 0);
	ck_assert_uint_eq(rep.rows, 3);
	ck_assert_uint_eq(rep.loaded, 3);
	ck_assert_uint_eq(rep.rejected, 0);
	ck_assert_int_eq(hl_test_hits(hl, "GZ123B", "NL"), 1);
	ck_assert_int_eq(hl_test_hits(hl, "GZ123B", "BE"), 0);
	ck_assert_int_eq(hl_test_hits(hl, "1ABC234", NULL), 1);
	ck_assert_int_eq(hl_test_hits(hl, "XY99", "FR"), 1);
	unlink(path);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(bad_rows_reported_with_lines)
{
	struct hotlist *hl = hl_test_engine();
	/* 200 good rows and 2 bad (1 %): loaded, bad ones reported by line */
	size_t cap = 1 << 16, len = 0;
	char *csv = malloc(cap);
	len += (size_t)snprintf(csv + len, cap - len, "plate,country,priority\n");
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(csv + len, cap - len, "AA%03d,NL,%d\n", i, i % 101);
	len += (size_t)snprintf(csv + len, cap - len, "ABCDEFGHIJKLMNOPQRS,NL,1\n");
	len += (size_t)snprintf(csv + len, cap - len, "ZZ1,QQ,1\n");
	const char *path = temp_file(csv, len);
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_load_csv(hl, "l", path, &rep), 0);
	ck_assert_uint_eq(rep.rows, 202);
	ck_assert_uint_eq(rep.loaded, 200);
	ck_assert_uint_eq(rep.rejected, 2);
	ck_assert_uint_eq(rep.n_errors, 2);
	ck_assert_uint_eq(rep.errors[0].line, 202);
	ck_assert_int_eq(rep.errors[0].code, HOTLIST_EPLATE);
	ck_assert_uint_eq(rep.errors[1].line, 203);
	ck_assert_int_eq(rep.errors[1].code, HOTLIST_ECOUNTRY);
	ck_assert_int_eq(hl_test_hits(hl, "AA007", "NL"), 1);
	unlink(path);
	/* one more bad row tips it over 1 %: refused, live list intact */
	len += (size_t)snprintf(csv + len, cap - len, ",NL,1\n");
	path = temp_file(csv, len);
	ck_assert_int_eq(hotlist_load_csv(hl, "l", path, &rep), HOTLIST_EBADROWS);
	ck_assert_uint_eq(rep.rejected, 3);
	ck_assert_int_eq(hl_test_hits(hl, "AA007", "NL"), 1);
	unlink(path);
	free(csv);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(refused_files_keep_live_list)
{
	struct hotlist *hl = hl_test_engine();
	const char *good = "plate\nLIVE1\n";
	const char *path = temp_file(good, strlen(good));
	ck_assert_int_eq(hotlist_load_csv(hl, "l", path, NULL), 0);
	unlink(path);
	struct {
		const char *text;
		size_t len;
		int rc;
	} bad[] = {
		{ "", 0, HOTLIST_EBADFILE }, /* empty */
		{ "country,category\nNL,x\n", 22, HOTLIST_EBADFILE }, /* no plate column */
		{ "\x7f"
		  "ELF\x02\x01\x01\x00\x00\x00\x00",
		  12, HOTLIST_EBADFILE }, /* binary */
		{ "plate\n", 6, HOTLIST_EEMPTY }, /* header only */
		{ "plate\n!!!\n###\n", 14, HOTLIST_EEMPTY }, /* nothing good */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = temp_file(bad[i].text, bad[i].len);
		ck_assert_int_eq(hotlist_load_csv(hl, "l", path, NULL), bad[i].rc);
		unlink(path);
		ck_assert_int_eq(hl_test_hits(hl, "LIVE1", NULL), 1);
	}
	ck_assert_int_eq(hotlist_load_csv(hl, "l", "/nonexistent/dir/file.csv", NULL),
			 HOTLIST_ENOENT);
	ck_assert_str_eq(hotlist_strerror(HOTLIST_ENOENT), "no such file, list or entry");
	ck_assert_int_eq(hl_test_hits(hl, "LIVE1", NULL), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

struct lines {
	int n;
	uint64_t line[8];
};

static void on_bad(const struct hotlist_row_error *e, void *user)
{
	struct lines *l = user;
	if (l->n < 8)
		l->line[l->n] = e->line;
	l->n++;
}

START_TEST(check_lists_every_bad_row)
{
	const char *csv = "plate\tcountry\tcovert\n"
			  "OK1\tNL\tyes\n"
			  "\tNL\tno\n" /* line 3: empty plate */
			  "OK2\tNL\tmaybe\n" /* line 4: bad covert */
			  "OK3\tXX\t0\n"; /* line 5: bad country */
	const char *path = temp_file(csv, strlen(csv));
	struct lines l = { 0 };
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_check_csv(path, 1.0, &rep, on_bad, &l), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_uint_eq(l.line[0], 3);
	ck_assert_uint_eq(l.line[1], 4);
	ck_assert_uint_eq(l.line[2], 5);
	ck_assert_uint_eq(rep.rejected, 3);
	ck_assert_uint_eq(rep.loaded, 1);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(hotlist_check_csv(path, 0.01, &rep, on_bad, &l), HOTLIST_EBADROWS);
	unlink(path);
}
END_TEST

/* Hits of a read of plate at ts_us. */
static int hits_at(struct hotlist *hl, const char *plate, int64_t ts_us)
{
	int n = 0;
	struct hotlist_read r = { .plate = plate, .ts_us = ts_us };
	hotlist_match(hl, &r, hl_test_count_hit, &n);
	return n;
}

/* The list that used to load and never hit: expires 20271231 was taken as
 * epoch second 20271231 (1970). It is the last day of 2027, through its end. */
START_TEST(expires_yyyymmdd_hits_through_the_day)
{
	struct hotlist *hl = hl_test_engine();
	const char *csv = "plate;expires;valid_from\n"
			  "GZ-123-B;20271231;\n"
			  "XF-12-3;2027-12-31T12:00:00+01:00;20270601\n";
	const char *path = temp_file(csv, strlen(csv));
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	const int64_t day_end = INT64_C(1830297600) * 1000000; /* 2028-01-01T00:00Z */
	ck_assert_int_eq(hotlist_load_csv(hl, "l", path, &rep), 0);
	ck_assert_uint_eq(rep.loaded, 2);
	ck_assert_int_eq(hits_at(hl, "GZ123B", day_end - 1), 1);
	ck_assert_int_eq(hits_at(hl, "GZ123B", day_end), 0);
	ck_assert_int_eq(hits_at(hl, "GZ123B", INT64_C(1767225600) * 1000000), 1); /* 2026 */
	/* an instant is that instant: 11:00Z */
	ck_assert_int_eq(hits_at(hl, "XF123", day_end - INT64_C(13) * 3600 * 1000000 - 1), 1);
	ck_assert_int_eq(hits_at(hl, "XF123", day_end - INT64_C(13) * 3600 * 1000000), 0);
	/* valid from 2027-06-01T00:00Z */
	ck_assert_int_eq(hits_at(hl, "XF123", INT64_C(1811808000) * 1000000 - 1), 0);
	ck_assert_int_eq(hits_at(hl, "XF123", INT64_C(1811808000) * 1000000), 1);
	unlink(path);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* A load counts the good entries that cannot hit now: already expired, or
 * not valid yet; a report of the first version's size gets its fields only. */
START_TEST(validity_counted)
{
	struct hotlist *hl = hl_test_engine();
	int64_t now = (int64_t)time(NULL) * 1000000, hour = INT64_C(3600) * 1000000;
	struct hotlist_entry e[] = {
		{ .plate = "GONE1", .expires_us = now - hour },
		{ .plate = "GONE2", .valid_from_us = now - 2 * hour, .expires_us = now - hour },
		{ .plate = "SOON1", .valid_from_us = now + 24 * hour },
		{ .plate = "LIVE1", .valid_from_us = now - hour, .expires_us = now + hour },
		{ .plate = "LIVE2" },
		{ .plate = "" }, /* bad: not counted */
	};
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 5, &rep), 0);
	ck_assert_uint_eq(rep.expired, 2);
	ck_assert_uint_eq(rep.not_yet_valid, 1);
	ck_assert_int_eq(hl_test_hits(hl, "GONE1", NULL), 0);
	ck_assert_int_eq(hl_test_hits(hl, "LIVE1", NULL), 1);

	const char *csv = "plate,valid_from,expires\n"
			  "OLD1,,2020-01-01\n"
			  "NEW1,2099-01-01,\n"
			  "NOW1,2020-01-01,2099-12-31T23:59:59Z\n";
	const char *path = temp_file(csv, strlen(csv));
	memset(&rep, 0, sizeof(rep));
	rep.struct_size = sizeof(rep);
	ck_assert_int_eq(hotlist_check_csv(path, 0, &rep, NULL, NULL), 0);
	ck_assert_uint_eq(rep.loaded, 3);
	ck_assert_uint_eq(rep.expired, 1);
	ck_assert_uint_eq(rep.not_yet_valid, 1);
	ck_assert_int_eq(hotlist_load_csv(hl, "f", path, &rep), 0);
	ck_assert_uint_eq(rep.expired, 1);
	ck_assert_uint_eq(rep.not_yet_valid, 1);

	/* the first version's report ended at errors[] */
	memset(&rep, 0xa5, sizeof(rep));
	rep.struct_size = offsetof(struct hotlist_load_report, expired);
	ck_assert_int_eq(hotlist_check_csv(path, 0, &rep, NULL, NULL), 0);
	ck_assert_uint_eq(rep.rows, 3);
	ck_assert_uint_eq(rep.expired, UINT64_C(0xa5a5a5a5a5a5a5a5));
	unlink(path);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The real Dutch registrations, when ../shared/data is beside the checkout:
 * every one loads, and every one is found as printed and as normalised. */
START_TEST(real_dutch_plates)
{
	const char *dir = getenv("HOTLIST_SHARED_DATA");
	char path[4096];
	snprintf(path, sizeof(path), "%s/plates/nl_plates.csv", dir ? dir : "../shared/data");
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("real_dutch_plates: %s absent, skipped\n", path);
		return;
	}
	struct hotlist *hl = hl_test_engine();
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_load_csv(hl, "rdw", path, &rep), 0);
	ck_assert_uint_gt(rep.loaded, 2000);
	ck_assert_uint_eq(rep.rejected, 0);
	char line[256];
	int checked = 0;
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f)); /* header */
	while (fgets(line, sizeof(line), f)) {
		char *comma = strchr(line, ',');
		if (!comma)
			continue;
		*comma = '\0';
		ck_assert_int_ge(hl_test_hits(hl, line, "NL"), 1);
		checked++;
	}
	fclose(f);
	ck_assert_int_eq((uint64_t)checked, rep.rows);
	hotlist_destroy(hl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("load");
	TCase *tc = tcase_create("csv");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, autovu_layout);
	tcase_add_test(tc, bad_rows_reported_with_lines);
	tcase_add_test(tc, refused_files_keep_live_list);
	tcase_add_test(tc, check_lists_every_bad_row);
	tcase_add_test(tc, real_dutch_plates);
	tcase_add_test(tc, validity_counted);
	tcase_add_test(tc, expires_yyyymmdd_hits_through_the_day);
	suite_add_tcase(s, tc);
	return hl_test_run(s);
}
