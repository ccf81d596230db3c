/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/date.c: golden vectors (expected values computed with
 * Python's datetime, not with this code), refusals (syntax and the
 * 1990..2100 window), end of day, epoch units, every day of the window,
 * inputs that end at an unmapped page (no read past len), and formatting.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "date.h"

#include "hotlist.h"
#include <check.h>

#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define S_US(x) ((int64_t)(x)*1000000)

static const struct {
	const char *text;
	unsigned flags;
	int64_t us;
} good[] = {
	/* days: start, or end with HL_DATE_END_OF_DAY */
	{ "2027-12-31", 0, S_US(1830211200) },
	{ "20271231", 0, S_US(1830211200) },
	{ "2027-12-31", HL_DATE_END_OF_DAY, S_US(1830297600) },
	{ "20271231", HL_DATE_END_OF_DAY, S_US(1830297600) },
	{ "2027-12-31+01:00", HL_DATE_END_OF_DAY, S_US(1830297600 - 3600) },
	{ "2027-12-31Z", 0, S_US(1830211200) },
	{ " 2027-12-31\t", 0, S_US(1830211200) },
	/* ISO 8601 instants: END_OF_DAY changes nothing */
	{ "2027-12-31T23:59:59+01:00", 0, S_US(1830293999) },
	{ "2027-12-31T23:59:59+01:00", HL_DATE_END_OF_DAY, S_US(1830293999) },
	{ "2027-12-31T23:59:59+0100", 0, S_US(1830293999) },
	{ "2027-12-31T23:59:59+01", 0, S_US(1830293999) },
	{ "20271231T235959+0100", 0, S_US(1830293999) },
	{ "20271231T2359+01", 0, S_US(1830293940) },
	{ "2027-12-31t23:00:00Z", 0, S_US(1830207600 + 86400) },
	{ "2027-12-31 00:00", 0, S_US(1830211200) },
	{ "2024-02-29T13:45:30.123456Z", 0, 1709214330123456 },
	{ "2024-02-29T13:45:30,123456Z", 0, 1709214330123456 },
	{ "2024-02-29T13:45:30.123456789+00:00", 0, 1709214330123456 },
	{ "2024-02-29T13:45:30.5", 0, 1709214330500000 },
	{ "2024-03-01T01:30:00-05:30", 0, S_US(1709276400) },
	{ "2024-02-29T12:00:00-05:00", 0, S_US(1709226000) },
	/* the window's edges */
	{ "1990-01-01", 0, S_US(631152000) },
	{ "2100-12-31T23:59:59Z", 0, S_US(4133980799) },
	{ "2100-12-31", HL_DATE_END_OF_DAY, S_US(4133980800) },
	/* epoch seconds, and the other units only with the flag */
	{ "1830211200", 0, S_US(1830211200) },
	{ "1830211200.25", 0, S_US(1830211200) + 250000 },
	{ "631152000", 0, S_US(631152000) },
	{ "1830211200", HL_DATE_EPOCH_ANY_UNIT, S_US(1830211200) },
	{ "1830211200123", HL_DATE_EPOCH_ANY_UNIT, S_US(1830211200) + 123000 },
	{ "1830211200123456", HL_DATE_EPOCH_ANY_UNIT, S_US(1830211200) + 123456 },
	{ "1830211200123456789", HL_DATE_EPOCH_ANY_UNIT, S_US(1830211200) + 123456 },
};

START_TEST(date_good)
{
	int64_t us = 42;
	const char *t = good[_i].text;

	CHECK(hotlist__date_parse(t, strlen(t), good[_i].flags, &us) == 0, "\"%s\" refused", t);
	CHECK(us == good[_i].us, "\"%s\": %lld, want %lld", t, (long long)us,
	      (long long)good[_i].us);
	us = 42;
	ck_assert_int_eq(hotlist__date_parse_str(t, good[_i].flags, &us), 0);
	ck_assert_int_eq(us, good[_i].us);
}
END_TEST

static const struct {
	const char *text;
	unsigned flags;
	int rc;
} bad[] = {
	/* not a date at all */
	{ "", 0, HOTLIST_EINVAL },
	{ "   ", 0, HOTLIST_EINVAL },
	{ "never", 0, HOTLIST_EINVAL },
	{ "2012-03-32", 0, HOTLIST_EINVAL },
	{ "2023-02-29", 0, HOTLIST_EINVAL },
	{ "2100-02-29", 0, HOTLIST_EINVAL },
	{ "20230229", 0, HOTLIST_EINVAL },
	{ "20271331", 0, HOTLIST_EINVAL },
	{ "2024-02-29T25:00", 0, HOTLIST_EINVAL },
	{ "2024-02-29T24:00", 0, HOTLIST_EINVAL },
	{ "2024-02-29T23:60", 0, HOTLIST_EINVAL },
	{ "2024-02-29T23:59:60", 0, HOTLIST_EINVAL },
	{ "2024-00-10", 0, HOTLIST_EINVAL },
	{ "2024-04-31", 0, HOTLIST_EINVAL },
	{ "24-01-01", 0, HOTLIST_EINVAL },
	{ "2024-1-01", 0, HOTLIST_EINVAL },
	{ "2024-0101", 0, HOTLIST_EINVAL },
	{ "2024/01/01", 0, HOTLIST_EINVAL },
	{ "31.12.2027", 0, HOTLIST_EINVAL },
	{ "12/31/2027", 0, HOTLIST_EINVAL },
	{ "2024-01-01T", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:0", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:00:00.", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:00:00.1234567890", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:00.5", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:0000", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:00:00+24:00", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:00:00+02:60", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:00:00+2", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:00:00ZZ", 0, HOTLIST_EINVAL },
	{ "2024-01-01T12:00:00 UTC", 0, HOTLIST_EINVAL },
	{ "2024-01-01x", 0, HOTLIST_EINVAL },
	{ "2024-01-01 x", 0, HOTLIST_EINVAL },
	{ "-", 0, HOTLIST_EINVAL },
	{ "--5", 0, HOTLIST_EINVAL },
	{ "12a", 0, HOTLIST_EINVAL },
	{ "1e9", 0, HOTLIST_EINVAL },
	{ "1830211200.", 0, HOTLIST_EINVAL },
	{ "99999999999999999999999", HL_DATE_EPOCH_ANY_UNIT, HOTLIST_EINVAL },
	/* dates, but implausible: before 1990, after 2100, epoch in the wrong unit */
	{ "1989-12-31", 0, HL_DATE_ERANGE },
	{ "1990-01-01T00:30:00+01:00", 0, HL_DATE_ERANGE },
	{ "2101-01-01", 0, HL_DATE_ERANGE },
	{ "9999-12-31", 0, HL_DATE_ERANGE },
	{ "0001-01-01", 0, HL_DATE_ERANGE },
	{ "19700101", 0, HL_DATE_ERANGE },
	{ "0", 0, HL_DATE_ERANGE },
	{ "-86400", 0, HL_DATE_ERANGE },
	{ "631151999", 0, HL_DATE_ERANGE },
	{ "4133980800", 0, HL_DATE_ERANGE },
	{ "1830211200123", 0, HL_DATE_ERANGE }, /* epoch ms as seconds */
	{ "1830211200123456", 0, HL_DATE_ERANGE },
	{ "1830211200123.5", HL_DATE_EPOCH_ANY_UNIT, HL_DATE_ERANGE },
	{ "20271231.5", 0, HL_DATE_ERANGE },
	{ "99999999999", HL_DATE_EPOCH_ANY_UNIT, HL_DATE_ERANGE },
};

START_TEST(date_bad)
{
	int64_t us = 42;
	const char *t = bad[_i].text;
	int rc = hotlist__date_parse(t, strlen(t), bad[_i].flags, &us);

	CHECK(rc == bad[_i].rc, "\"%s\": %d, want %d", t, rc, bad[_i].rc);
	ck_assert_int_eq(us, 42); /* untouched */
}
END_TEST

/* len, not the NUL, ends the input: a prefix parses as itself, and a NUL
 * inside the length is an error. */
START_TEST(date_len_bounds)
{
	int64_t us = 0;

	ck_assert_int_eq(hotlist__date_parse("2027-12-31T23:59:59Zjunk", 20, 0, &us), 0);
	ck_assert_int_eq(us, S_US(1830211200 + 86399));
	ck_assert_int_eq(hotlist__date_parse("2027123199", 8, 0, &us), 0);
	ck_assert_int_eq(us, S_US(1830211200));
	ck_assert_int_eq(hotlist__date_parse("2027-12-31\0Z", 12, 0, &us), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist__date_parse(NULL, 0, 0, &us), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist__date_parse("2027", 0, 0, &us), HOTLIST_EINVAL);
}
END_TEST

/* Every day of 1990..2100, in both spellings, is the day after the one
 * before, and END_OF_DAY is the next day's start. */
START_TEST(date_every_day)
{
	int64_t prev = S_US(631152000) - S_US(86400), us, us2, end;
	unsigned n = 0;
	char s[16], b[16];

	for (unsigned y = 1990; y <= 2100; y++) {
		for (unsigned m = 1; m <= 12; m++) {
			for (unsigned d = 1; d <= 31; d++) {
				snprintf(s, sizeof(s), "%04u-%02u-%02u", y, m, d);
				snprintf(b, sizeof(b), "%04u%02u%02u", y, m, d);
				if (hotlist__date_parse_str(s, 0, &us) != 0) {
					ck_assert_int_ne(hotlist__date_parse_str(b, 0, &us2), 0);
					continue;
				}
				ck_assert_int_eq(hotlist__date_parse_str(b, 0, &us2), 0);
				ck_assert_int_eq(
					hotlist__date_parse_str(s, HL_DATE_END_OF_DAY, &end), 0);
				ck_assert_int_eq(us, us2);
				ck_assert_int_eq(us - prev, S_US(86400));
				ck_assert_int_eq(end - us, S_US(86400));
				prev = us;
				n++;
			}
		}
	}
	/* 111 years, 27 of them leap years (1992..2096; 2000 is, 2100 is not). */
	ck_assert_uint_eq(n, 111 * 365 + 27);
}
END_TEST

/* Inputs that end right before an unmapped page: a read past len faults. */
START_TEST(date_no_overread)
{
	static const char alphabet[] = "0123456789-+:.,TZ tz";
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t rng = UINT64_C(0x2545f4914f6cdd1d);
	unsigned ok = 0;

	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	for (unsigned r = 0; r < 200000; r++) {
		size_t len;
		char *s;
		int64_t us;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		len = rng % 32;
		s = map + page - len;
		/* half the time a real value cut short or mutated at one place */
		if (rng & (1u << 20)) {
			static const char real[] = "2027-12-31T23:59:59.123456+01:00";
			memcpy(s, real, len);
			if (len)
				s[(rng >> 24) % len] =
					alphabet[(rng >> 32) % (sizeof(alphabet) - 1)];
		} else {
			for (size_t k = 0; k < len; k++)
				s[k] = alphabet[(rng >> (k % 48)) % (sizeof(alphabet) - 1)];
		}
		if (hotlist__date_parse(s, len, (unsigned)(rng >> 60) & 3, &us) == 0) {
			ck_assert(us >= HL_DATE_MIN_US && us <= HL_DATE_MAX_US);
			ok++;
		}
	}
	ck_assert_uint_gt(ok, 0);
	munmap(map, (size_t)page * 2);
}
END_TEST

START_TEST(date_format)
{
	char out[HL_DATE_STR_LEN];
	int64_t us;

	hotlist__date_format(S_US(1830293999), out);
	ck_assert_str_eq(out, "2027-12-31T22:59:59Z");
	hotlist__date_format(1709214330123456, out);
	ck_assert_str_eq(out, "2024-02-29T13:45:30.123456Z");
	hotlist__date_format(0, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
	hotlist__date_format(-1, out);
	ck_assert_str_eq(out, "1969-12-31T23:59:59.999999Z");
	/* round trip through the parser */
	ck_assert_int_eq(hotlist__date_parse_str("2031-07-04T05:06:07.000008Z", 0, &us), 0);
	hotlist__date_format(us, out);
	ck_assert_str_eq(out, "2031-07-04T05:06:07.000008Z");
}
END_TEST

static Suite *date_suite(void)
{
	Suite *s = suite_create("date");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, date_good, 0, (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, date_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, date_len_bounds);
	tcase_add_test(tc, date_every_day);
	tcase_add_test(tc, date_no_overread);
	tcase_add_test(tc, date_format);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(date_suite());
}
