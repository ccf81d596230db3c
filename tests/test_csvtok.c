/* SPDX-License-Identifier: MIT */
/*
 * The CSV tokenizer (lib/csvtok.c, csvtok.h) on its own, and its two users
 * agreeing: hot-list files (lib/csv.c) and the `hotlist match` read stream
 * (tools/readparse.c) split the same bytes into the same fields — BOM,
 * delimiter detection by frequency, folded header names, quotes, CRLF.
 */
#include "csv.h"
#include "csvtok.h"
#include "readparse.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FIELDS_MAX 8
#define FIELD_CAP 32

/* A record split with delimiter delim: the fields, and where it stopped. */
struct split {
	char text[FIELDS_MAX][FIELD_CAP + 1];
	bool overflow[FIELDS_MAX];
	int n;
	size_t used; /* bytes up to and including the record's LF, or all */
	struct hl_csvtok tok;
};

static void split(struct split *sp, unsigned char delim, const char *s, size_t len)
{
	const unsigned char *q = (const unsigned char *)s, *lim = q + len;

	memset(sp, 0, sizeof(*sp));
	hotlist__csvtok_init(&sp->tok, delim);
	for (;;) {
		struct hl_csvtok_buf f = { .s = sp->text[sp->n], .cap = FIELD_CAP };

		ck_assert_int_lt(sp->n, FIELDS_MAX);
		q = hotlist__csvtok_field(&sp->tok, q, lim, &f);
		sp->overflow[sp->n++] = f.overflow;
		if (q == lim || *q++ == '\n')
			break;
	}
	sp->used = (size_t)(q - (const unsigned char *)s);
}

#define SPLIT(sp, delim, lit) split(sp, delim, lit, sizeof(lit) - 1)

START_TEST(test_bom)
{
	ck_assert_uint_eq(hotlist__csvtok_bom("\xef\xbb\xbfplate", 8), 3);
	ck_assert_uint_eq(hotlist__csvtok_bom("\xef\xbb", 2), 0);
	ck_assert_uint_eq(hotlist__csvtok_bom("plate", 5), 0);
	ck_assert_uint_eq(hotlist__csvtok_bom("", 0), 0);
}
END_TEST

static unsigned delims(const char *s, char *out)
{
	unsigned char d[HL_CSVTOK_NDELIMS];
	unsigned n = hotlist__csvtok_delims(s, strlen(s), d);

	memcpy(out, d, n);
	out[n] = '\0';
	return n;
}

START_TEST(test_delimiter_by_frequency)
{
	char d[HL_CSVTOK_NDELIMS + 1];

	ck_assert_uint_eq(delims("plate,country,category", d), 1);
	ck_assert_str_eq(d, ",");
	ck_assert_uint_eq(delims("plate;country;x,y", d), 1); /* 2 to 1 */
	ck_assert_str_eq(d, ";");
	ck_assert_uint_eq(delims("plate\tcountry", d), 1);
	ck_assert_str_eq(d, "\t");
	ck_assert_uint_eq(delims("camera|plate|country", d), 1);
	ck_assert_str_eq(d, "|");
	/* Ties come in the order ';' ',' tab '|'. */
	ck_assert_uint_eq(delims("a|b,c;d\te", d), 4);
	ck_assert_str_eq(d, ";,\t|");
	ck_assert_uint_eq(delims("a|b,c", d), 2);
	ck_assert_str_eq(d, ",|");
	/* Inside quotes they do not count. */
	ck_assert_uint_eq(delims("\"a;b;c\",plate", d), 1);
	ck_assert_str_eq(d, ",");
	/* None: one column; the mapping picks its default. */
	ck_assert_uint_eq(delims("plate", d), 0);
	ck_assert_uint_eq(delims("\"a;b\"", d), 0);
}
END_TEST

START_TEST(test_fold)
{
	char key[16];

	ck_assert(hotlist__csvtok_fold("Plate Number", key, sizeof(key)));
	ck_assert_str_eq(key, "platenumber");
	ck_assert(hotlist__csvtok_fold(" TS-us\t", key, sizeof(key)));
	ck_assert_str_eq(key, "tsus");
	ck_assert(hotlist__csvtok_fold("valid_from", key, sizeof(key)));
	ck_assert_str_eq(key, "validfrom");
	ck_assert(hotlist__csvtok_fold("", key, sizeof(key)));
	ck_assert_str_eq(key, "");
	/* Non-ASCII bytes are kept as they are. */
	ck_assert(hotlist__csvtok_fold("Kennzeichen\xc3\x84", key, sizeof(key)));
	ck_assert_str_eq(key, "kennzeichen\xc3\x84");
	/* 15 bytes fit in 16 (with the NUL); 16 do not. */
	ck_assert(hotlist__csvtok_fold("abcdefghijklmno", key, sizeof(key)));
	ck_assert(!hotlist__csvtok_fold("abcdefghijklmnop", key, sizeof(key)));
	ck_assert(hotlist__csvtok_fold("a_b_c_d_e_f_g_h_i_j_k_l_m_n_o", key, sizeof(key)));
}
END_TEST

START_TEST(test_unquoted_trimmed)
{
	struct split sp;

	SPLIT(&sp, ',', " a , b\t,c\r\nnext");
	ck_assert_int_eq(sp.n, 3);
	ck_assert_str_eq(sp.text[0], "a");
	ck_assert_str_eq(sp.text[1], "b");
	ck_assert_str_eq(sp.text[2], "c"); /* CRLF: the CR is trimmed */
	ck_assert_uint_eq(sp.used, 11); /* up to and including the LF */
	ck_assert_ptr_null(sp.tok.err);
	ck_assert(sp.tok.nonempty);
	/* Inner spaces and a lone CR inside are data. */
	SPLIT(&sp, ',', "AB 12,x\ry");
	ck_assert_str_eq(sp.text[0], "AB 12");
	ck_assert_str_eq(sp.text[1], "x\ry");
}
END_TEST

START_TEST(test_empty_fields_and_blank)
{
	struct split sp;

	SPLIT(&sp, ';', ";;\n");
	ck_assert_int_eq(sp.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(sp.text[i], "");
	ck_assert(!sp.tok.nonempty);
	SPLIT(&sp, ';', " \r\n");
	ck_assert_int_eq(sp.n, 1);
	ck_assert(!sp.tok.nonempty);
	SPLIT(&sp, ';', "\"\"\n"); /* quotes make it not blank */
	ck_assert(sp.tok.nonempty);
}
END_TEST

START_TEST(test_quoted)
{
	struct split sp;

	SPLIT(&sp, ',', "\"a,b\",\"say \"\"hi\"\"\" , \" sp \"\r\n");
	ck_assert_int_eq(sp.n, 3);
	ck_assert_str_eq(sp.text[0], "a,b");
	ck_assert_str_eq(sp.text[1], "say \"hi\"");
	ck_assert_str_eq(sp.text[2], " sp "); /* inside quotes spaces stay */
	ck_assert_ptr_null(sp.tok.err);
	ck_assert(!sp.tok.open);
	/* CR and LF inside quotes are data; the LF is counted. */
	SPLIT(&sp, ',', "\"two\r\nlines\",x\nrest");
	ck_assert_int_eq(sp.n, 2);
	ck_assert_str_eq(sp.text[0], "two\r\nlines");
	ck_assert_uint_eq(sp.tok.nl, 1);
	ck_assert_uint_eq(sp.used, 15);
}
END_TEST

START_TEST(test_quote_errors)
{
	struct split sp;

	SPLIT(&sp, ',', "\"AB\"12,x\n");
	ck_assert_str_eq(sp.tok.err, "text after a closing quote");
	SPLIT(&sp, ',', "AB\"12,x\n");
	ck_assert_str_eq(sp.tok.err, "quote inside an unquoted field");
	ck_assert_int_eq(sp.n, 2); /* the record still splits */
	split(&sp, ',', "a\0b,c\n", 6);
	ck_assert_str_eq(sp.tok.err, "NUL byte");
	/* Input that ends inside quotes: open, no error yet (more may come). */
	SPLIT(&sp, ',', "x,\"never closed");
	ck_assert(sp.tok.open);
	ck_assert_ptr_null(sp.tok.err);
	/* The first error is kept. */
	SPLIT(&sp, ',', "a\"b,\"c\"d\n");
	ck_assert_str_eq(sp.tok.err, "quote inside an unquoted field");
}
END_TEST

START_TEST(test_tab_delimiter_not_trimmed)
{
	struct split sp;

	SPLIT(&sp, '\t', "a\t\tb \t\" c\"\n");
	ck_assert_int_eq(sp.n, 4);
	ck_assert_str_eq(sp.text[0], "a");
	ck_assert_str_eq(sp.text[1], "");
	ck_assert_str_eq(sp.text[2], "b");
	ck_assert_str_eq(sp.text[3], " c");
}
END_TEST

START_TEST(test_overflow_flagged)
{
	struct split sp;
	char in[3 * FIELD_CAP];

	memset(in, 'x', sizeof(in));
	in[FIELD_CAP] = ','; /* the first field just fits */
	split(&sp, ',', in, sizeof(in));
	ck_assert_int_eq(sp.n, 2);
	ck_assert(!sp.overflow[0]);
	ck_assert_uint_eq(strlen(sp.text[0]), FIELD_CAP);
	ck_assert(sp.overflow[1]);
	ck_assert_uint_le(strlen(sp.text[1]), FIELD_CAP);
	ck_assert_ptr_null(sp.tok.err); /* the mapping decides */
}
END_TEST

/* ---- the two mappings agree --------------------------------------------------- */

struct first_row {
	int rows, bad;
	char plate[64], country[16];
};

static int on_row(void *ctx, const struct hotlist_entry *e, uint64_t line, char *reason)
{
	struct first_row *r = ctx;

	(void)line;
	(void)reason;
	if (r->rows++ == 0) {
		snprintf(r->plate, sizeof(r->plate), "%s", e->plate);
		snprintf(r->country, sizeof(r->country), "%s", e->country ? e->country : "");
	}
	return 0;
}

static void on_bad(void *ctx, uint64_t line, int code, const char *reason)
{
	(void)line;
	(void)code;
	(void)reason;
	((struct first_row *)ctx)->bad++;
}

/* hotlist__csvtok_find against a byte-by-byte scan: every length up to 40,
 * the stop byte (each of a, b, c and NUL) at every position or absent, the
 * range ending at the end of a readable page (a read at or past lim would
 * fault). */
START_TEST(test_find_agrees_with_a_scan)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *map = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	const unsigned char stops[] = { ',', '\n', '"', '\0' };
	for (size_t len = 0; len <= 40; len++) {
		unsigned char *q = map + page - len, *lim = map + page;
		for (size_t at = 0; at <= len; at++) {
			for (unsigned k = 0; k < sizeof(stops); k++) {
				for (size_t i = 0; i < len; i++)
					q[i] = (unsigned char)('A' + (i * 7 + at) % 26);
				if (at < len)
					q[at] = stops[k];
				const unsigned char *want = q;
				while (want < lim && *want != ',' && *want != '\n' &&
				       *want != '"' && *want != 0)
					want++;
				ck_assert_ptr_eq(hotlist__csvtok_find(q, lim, ',', '\n', '"'),
						 want);
				ck_assert_ptr_eq(want, q + at);
			}
		}
	}
	munmap(map, 2 * (size_t)page);
}
END_TEST

/* header + "\n" + row as a hot-list file and as a read stream: the same
 * plate and country from both, and that is want_plate / want_country. */
static void same_fields(const char *header, const char *row, const char *want_plate,
			const char *want_country)
{
	char file[256], err[HL_READ_ERR_CAP] = "";
	struct first_row list = { 0 };
	struct hl_csv_layout l;
	struct hl_read_rec rec;
	int n = snprintf(file, sizeof(file), "%s\n%s\n", header, row);

	ck_assert_int_eq(hotlist__csv_parse_mem(file, (size_t)n, 0, on_row, on_bad, &list), 0);
	ck_assert_msg(list.rows == 1 && list.bad == 0, "list: %d rows, %d bad", list.rows,
		      list.bad);
	ck_assert_msg(hl_readparse_csv_header(&l, header, strlen(header), err) == 0, "reads: %s",
		      err);
	ck_assert_msg(hl_readparse_csv_line(&l, row, strlen(row), &rec, err) == 0, "reads: %s",
		      err);
	ck_assert_str_eq(list.plate, want_plate);
	ck_assert_str_eq(rec.plate, want_plate);
	ck_assert_str_eq(list.country, want_country);
	ck_assert_str_eq(rec.country, want_country);
}

START_TEST(test_reads_accept_what_lists_accept)
{
	/* ';' with a BOM, folded names, CRLF (the line reader takes the LF). */
	same_fields("\xef\xbb\xbf Plate ;COUNTRY\r", "\"AB;12\" ; nl \r", "AB;12", "nl");
	/* The most frequent delimiter, not the first one seen. */
	same_fields("x,y;plate;country;z", "1,2;AB12;DE;3", "AB12", "DE");
	/* Ties: the first of ';' ',' tab '|' that gives a plate column. */
	same_fields("plate,country;code", "AB12,NL;x", "AB12", ""); /* no "country" */
	/* '|' and tab. */
	same_fields("plate|country", "\"AB|12\"|FR", "AB|12", "FR");
	same_fields("Plate\tCountry", " AB12 \t\"B\"", "AB12", "B");
	/* Doubled quotes. */
	same_fields("plate,country", "\"A\"\"B\",NL", "A\"B", "NL");
}
END_TEST

START_TEST(test_reads_header_folding)
{
	static const char hdr[] = "Camera;TS-US;Plate;Country Code;candidates";
	char err[HL_READ_ERR_CAP];
	struct hl_csv_layout l;

	ck_assert_int_eq(hl_readparse_csv_header(&l, hdr, sizeof(hdr) - 1, err), 0);
	ck_assert_int_eq(l.delim, ';');
	ck_assert_int_eq(l.col_camera, 0);
	ck_assert_int_eq(l.col_ts, 1);
	ck_assert_int_eq(l.col_plate, 2);
	ck_assert_int_eq(l.col_country, 3); /* "countrycode": a camera export's name */
	ck_assert_int_eq(l.col_candidates, 4);
	/* Folded names that collide are one name twice. */
	ck_assert_int_eq(hl_readparse_csv_header(&l, "plate,P_L_A_T_E", 15, err), HOTLIST_EBADFILE);
	ck_assert_str_eq(err, "column 'P_L_A_T_E' named twice");
	/* A one-column header: data lines split at ','. */
	ck_assert_int_eq(hl_readparse_csv_header(&l, "plate", 5, err), 0);
	ck_assert_int_eq(l.delim, ',');
}
END_TEST

/* Camera exports: their column names, times in ISO 8601 or any epoch unit,
 * a region as a country guess; of two names for one field the first wins. */
START_TEST(test_reads_export_names)
{
	static const char hdr[] = "Timestamp;CameraName;Camera_ID;PlateNumber;Region;Plate";
	char err[HL_READ_ERR_CAP];
	struct hl_csv_layout l;
	struct hl_read_rec r;
	static const struct {
		const char *line;
		int64_t ts_us;
	} rows[] = {
		{ "2026-01-01T01:00:00+01:00;g1;7;AB12;us-ca;X", INT64_C(1767225600) * 1000000 },
		{ "1767225600;g1;7;AB12;us-ca;X", INT64_C(1767225600) * 1000000 },
		{ "1767225600250;g1;7;AB12;us-ca;X", INT64_C(1767225600250) * 1000 },
		{ "1767225600000001;g1;7;AB12;us-ca;X", INT64_C(1767225600000001) },
	};

	ck_assert_int_eq(hl_readparse_csv_header(&l, hdr, sizeof(hdr) - 1, err), 0);
	ck_assert_int_eq(l.col_ts, 0);
	ck_assert(!l.ts_is_us);
	ck_assert_int_eq(l.col_camera, 1);
	ck_assert_int_eq(l.col_plate, 3);
	ck_assert_int_eq(l.col_region, 4);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(
			hl_readparse_csv_line(&l, rows[i].line, strlen(rows[i].line), &r, err), 0);
		ck_assert(r.has_ts);
		ck_assert_int_eq(r.ts_us, rows[i].ts_us);
		ck_assert_str_eq(r.camera, "g1");
		ck_assert_str_eq(r.plate, "AB12");
		ck_assert_str_eq(r.country, "us");
		ck_assert(r.country_guess);
	}
	/* not a time, or epoch seconds before 1990 */
	ck_assert_int_eq(hl_readparse_csv_line(&l, "31/12/2026;g;7;AB12;;", 21, &r, err),
			 HOTLIST_EINVAL);
	ck_assert_int_eq(hl_readparse_csv_line(&l, "5;g;7;AB12;;", 12, &r, err), HOTLIST_EINVAL);
	/* ts_us: whole numbers are microseconds, as ever; ISO 8601 too */
	ck_assert_int_eq(hl_readparse_csv_header(&l, "ts_us,plate", 11, err), 0);
	ck_assert(l.ts_is_us);
	ck_assert_int_eq(hl_readparse_csv_line(&l, "5,AB12", 6, &r, err), 0);
	ck_assert_int_eq(r.ts_us, 5);
	ck_assert_int_eq(hl_readparse_csv_line(&l, "2026-01-01,AB12", 15, &r, err), 0);
	ck_assert_int_eq(r.ts_us, INT64_C(1767225600) * 1000000);
	/* an explicit country is not overridden by the region */
	ck_assert_int_eq(hl_readparse_csv_header(&l, "plate,country,region", 20, err), 0);
	ck_assert_int_eq(hl_readparse_csv_line(&l, "AB12,NL,us-ca", 13, &r, err), 0);
	ck_assert_str_eq(r.country, "NL");
	ck_assert(!r.country_guess);
}
END_TEST

START_TEST(test_reads_quote_errors)
{
	char err[HL_READ_ERR_CAP];
	struct hl_csv_layout l;
	struct hl_read_rec rec;

	ck_assert_int_eq(hl_readparse_csv_header(&l, "camera,plate", 12, err), 0);
	ck_assert_int_eq(hl_readparse_csv_line(&l, "c1,AB\"12", 8, &rec, err), HOTLIST_EINVAL);
	ck_assert_str_eq(err, "quote inside an unquoted field in plate");
	ck_assert_int_eq(hl_readparse_csv_line(&l, "c1,\"AB12", 8, &rec, err), HOTLIST_EINVAL);
	ck_assert_str_eq(err, "quote not closed in plate");
	ck_assert_int_eq(hl_readparse_csv_line(&l, "\"c\"1,AB12", 9, &rec, err), HOTLIST_EINVAL);
	ck_assert_str_eq(err, "text after a closing quote in camera");
	/* Spaces and CR around quoted fields are fine. */
	ck_assert_int_eq(hl_readparse_csv_line(&l, " \"c1\" , \"AB12\" \r", 16, &rec, err), 0);
	ck_assert_str_eq(rec.camera, "c1");
	ck_assert_str_eq(rec.plate, "AB12");
}
END_TEST

static Suite *csvtok_suite(void)
{
	Suite *s = suite_create("csvtok");
	TCase *tc = tcase_create("tokenizer");
	TCase *tm = tcase_create("mappings");

	tcase_add_test(tc, test_bom);
	tcase_add_test(tc, test_delimiter_by_frequency);
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_unquoted_trimmed);
	tcase_add_test(tc, test_empty_fields_and_blank);
	tcase_add_test(tc, test_quoted);
	tcase_add_test(tc, test_quote_errors);
	tcase_add_test(tc, test_tab_delimiter_not_trimmed);
	tcase_add_test(tc, test_overflow_flagged);
	tcase_add_test(tc, test_find_agrees_with_a_scan);
	suite_add_tcase(s, tc);
	tcase_add_test(tm, test_reads_accept_what_lists_accept);
	tcase_add_test(tm, test_reads_header_folding);
	tcase_add_test(tm, test_reads_export_names);
	tcase_add_test(tm, test_reads_quote_errors);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	return hl_test_run(csvtok_suite());
}
