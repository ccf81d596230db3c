/* SPDX-License-Identifier: MIT */
/*
 * Hostile list files: what other agencies' exports may look like on a bad
 * day. Each case loads into an engine whose list "live" already holds
 * LIVE1; after every refusal LIVE1 must still hit, after every accepted
 * load the good rows must hit and the bad ones be reported by line.
 * Sizes: the 100 MB line always; 1 M duplicate rows by default, 10 M with
 * HOTLIST_LONG_TESTS.
 */
#include "hotlist.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifdef HOTLIST_LONG_TESTS
#define DUP_ROWS 10000000
#else
#define DUP_ROWS 1000000
#endif
#define HUGE_LINE (100u << 20)

static char path[64];

static FILE *open_temp(void)
{
	snprintf(path, sizeof(path), "/tmp/hotlist-hostile-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	return f;
}

static const char *write_temp(const char *text, size_t len)
{
	FILE *f = open_temp();
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static struct hotlist *live_engine(void)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e = { .plate = "LIVE1" };
	ck_assert_int_eq(hotlist_replace(hl, "live", &e, 1, NULL), 0);
	return hl;
}

static int load(struct hotlist *hl, struct hotlist_load_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->struct_size = sizeof(*rep);
	int rc = hotlist_load_csv(hl, "live", path, rep);
	unlink(path);
	return rc;
}

START_TEST(truncated_mid_quote)
{
	struct hotlist *hl = live_engine();
	const char *csv = "plate;category\nTR1;a\nTR2;\"unterminated";
	write_temp(csv, strlen(csv));
	struct hotlist_load_report rep;
	ck_assert_int_eq(load(hl, &rep), HOTLIST_EBADROWS); /* 1 bad of 2: over 1 % */
	ck_assert_int_eq(hl_test_hits(hl, "LIVE1", NULL), 1);
	ck_assert_uint_eq(rep.rejected, 1);
	ck_assert_uint_eq(rep.errors[0].line, 3);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(binary_garbage)
{
	struct hotlist *hl = live_engine();
	unsigned char junk[8192];
	unsigned x = 7;
	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (unsigned char)(x >> 16);
	}
	write_temp((const char *)junk, sizeof(junk));
	struct hotlist_load_report rep;
	int rc = load(hl, &rep);
	ck_assert_int_lt(rc, 0);
	ck_assert_int_eq(hl_test_hits(hl, "LIVE1", NULL), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A 100 MB line among good rows: one bad row, bounded memory. */
START_TEST(hundred_megabyte_line)
{
	struct hotlist *hl = live_engine();
	FILE *f = open_temp();
	fputs("plate,category\n", f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "HL%03d,before\n", i);
	char *chunk = malloc(1 << 20);
	memset(chunk, 'A', 1 << 20);
	for (unsigned i = 0; i < HUGE_LINE >> 20; i++)
		ck_assert_uint_eq(fwrite(chunk, 1, 1 << 20, f), 1 << 20);
	free(chunk);
	fputs(",huge\n", f);
	for (int i = 200; i < 400; i++)
		fprintf(f, "HL%03d,after\n", i);
	fclose(f);
	long before = peak_rss_kb();
	struct hotlist_load_report rep;
	ck_assert_int_eq(load(hl, &rep), 0);
	long grown = peak_rss_kb() - before;
	ck_assert_uint_eq(rep.loaded, 400);
	ck_assert_uint_eq(rep.rejected, 1);
	ck_assert_uint_eq(rep.errors[0].line, 202);
	ck_assert_int_eq(hl_test_hits(hl, "HL000", NULL), 1);
	ck_assert_int_eq(hl_test_hits(hl, "HL399", NULL), 1);
	/* the parser's memory is fixed: the 100 MB line was never held */
	ck_assert_int_lt(grown, 16 * 1024);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(nul_bytes_and_bad_utf8)
{
	struct hotlist *hl = live_engine();
	FILE *f = open_temp();
	fputs("plate;category\n", f);
	for (int i = 0; i < 600; i++) /* past the first 4 KiB */
		fprintf(f, "NB%03d;ok\n", i);
	fwrite("NUL\0X;bad\n", 1, 10, f); /* line 602 */
	fputs("\xC3\x28XX;bad\n", f); /* line 603: invalid UTF-8 plate */
	fputs("OK1;\xED\xA0\x80surrogate\n", f); /* line 604: invalid UTF-8 category */
	fputs("OK2;fine\n", f);
	fclose(f);
	struct hotlist_load_report rep;
	ck_assert_int_eq(load(hl, &rep), 0);
	ck_assert_uint_eq(rep.rejected, 3);
	ck_assert_uint_eq(rep.errors[0].line, 602);
	ck_assert_uint_eq(rep.errors[1].line, 603);
	ck_assert_uint_eq(rep.errors[2].line, 604);
	ck_assert_int_eq(hl_test_hits(hl, "OK2", NULL), 1);
	ck_assert_int_eq(hl_test_hits(hl, "OK1", NULL), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(millions_of_duplicate_rows)
{
	struct hotlist *hl = live_engine();
	FILE *f = open_temp();
	fputs("plate;country;category\n", f);
	for (int i = 0; i < DUP_ROWS; i++)
		fputs("DU-12-PL;NL;stolen vehicle\n", f);
	fclose(f);
	struct hotlist_load_report rep;
	ck_assert_int_eq(load(hl, &rep), 0);
	ck_assert_uint_eq(rep.rows, DUP_ROWS);
	ck_assert_uint_eq(rep.loaded, 1);
	ck_assert_uint_eq(rep.duplicates, DUP_ROWS - 1);
	ck_assert_int_eq(hl_test_hits(hl, "DU12PL", "NL"), 1);
	printf("%d duplicate rows merged in %.1f ms\n", DUP_ROWS, rep.duration_us / 1e3);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(header_only_and_empty)
{
	struct hotlist *hl = live_engine();
	struct hotlist_load_report rep;
	write_temp("plate;country\r\n", 15);
	ck_assert_int_eq(load(hl, &rep), HOTLIST_EEMPTY);
	write_temp("", 0);
	ck_assert_int_eq(load(hl, &rep), HOTLIST_EBADFILE);
	write_temp("\xEF\xBB\xBF\r\n\r\n", 7);
	ck_assert_int_eq(load(hl, &rep), HOTLIST_EBADFILE);
	ck_assert_int_eq(hl_test_hits(hl, "LIVE1", NULL), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The same plate listed for other countries, categories and cases: all kept,
 * all hit; one plate listed more than 1024 times: the rest is refused. */
START_TEST(conflicting_entries)
{
	struct hotlist *hl = live_engine();
	const char *csv = "plate,country,category,reference\n"
			  "CF1,NL,stolen vehicle,a\n"
			  "CF1,NL,wanted person,b\n"
			  "CF1,BE,stolen vehicle,c\n"
			  "CF1,,stolen plates,d\n"
			  "CF1,NL,stolen vehicle,e\n";
	write_temp(csv, strlen(csv));
	struct hotlist_load_report rep;
	ck_assert_int_eq(load(hl, &rep), 0);
	ck_assert_uint_eq(rep.loaded, 5);
	ck_assert_int_eq(hl_test_hits(hl, "CF1", "NL"), 4);
	ck_assert_int_eq(hl_test_hits(hl, "CF1", "BE"), 2);
	ck_assert_int_eq(hl_test_hits(hl, "CF1", NULL), 5);

	FILE *f = open_temp();
	fputs("plate,reference\n", f);
	for (int i = 0; i < 200000; i++)
		if (i < 1100)
			fprintf(f, "MANY1,case-%d\n", i);
		else
			fprintf(f, "OT%d,case-%d\n", i, i);
	fclose(f);
	ck_assert_int_eq(load(hl, &rep), 0);
	ck_assert_uint_eq(rep.rejected, 1100 - 1024);
	ck_assert_int_eq(hl_test_hits(hl, "MANY1", NULL), 1024);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Plates of every length: 1..16 normalised characters load, 17 does not;
 * raw text of up to 63 bytes is read (HOTLIST_RAW_PLATE_MAX with its NUL),
 * longer is refused. */
START_TEST(every_length)
{
	struct hotlist *hl = live_engine();
	FILE *f = open_temp();
	fputs("plate\n", f);
	char p[80];
	for (int len = 1; len <= 17; len++) {
		memset(p, 'K', (size_t)len);
		p[len] = '\0';
		fprintf(f, "%s\n", p);
	}
	memset(p, '-', 62); /* 62 separators + 1 letter: 63 raw bytes, one character */
	p[62] = 'Z';
	p[63] = '\0';
	fprintf(f, "%s\n", p); /* line 19 */
	p[62] = '-';
	p[63] = 'Y';
	p[64] = '\0';
	fprintf(f, "%s\n", p); /* line 20: 64 raw bytes */
	for (int i = 0; i < 300; i++)
		fprintf(f, "PAD%d\n", i);
	fclose(f);
	struct hotlist_load_report rep;
	ck_assert_int_eq(load(hl, &rep), 0);
	ck_assert_uint_eq(rep.rejected, 2);
	ck_assert_uint_eq(rep.errors[0].line, 18);
	ck_assert_uint_eq(rep.errors[1].line, 20);
	for (int len = 1; len <= 16; len++) {
		memset(p, 'K', (size_t)len);
		p[len] = '\0';
		ck_assert_int_eq(hl_test_hits(hl, p, NULL), 1);
	}
	ck_assert_int_eq(hl_test_hits(hl, "Z", NULL), 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("files");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, truncated_mid_quote);
	tcase_add_test(tc, binary_garbage);
	tcase_add_test(tc, hundred_megabyte_line);
	tcase_add_test(tc, nul_bytes_and_bad_utf8);
	tcase_add_test(tc, millions_of_duplicate_rows);
	tcase_add_test(tc, header_only_and_empty);
	tcase_add_test(tc, conflicting_entries);
	tcase_add_test(tc, every_length);
	suite_add_tcase(s, tc);
	return hl_test_run(s);
}
