/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/csv.c: the hot-list file parser and the date parser.
 *
 * Every file-based case goes through parse_text(), which writes the bytes to
 * a mkstemp() file, parses it with hotlist__csv_parse() and then parses the
 * same bytes with hotlist__csv_parse_mem() in one piece, in 1-byte pieces and
 * in 7-byte pieces, and fails unless all four give the same return code and
 * the same callbacks: the streaming parser must not depend on where the
 * input is split.
 */
#include "csv.h"

#include <check.h>

#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_KEEP 64 /* events kept in full; all are counted and hashed */
#define TEXT_MAX 300

struct ev {
	char kind; /* 'R' row, 'B' bad */
	uint64_t line;
	int code;
	unsigned priority;
	bool covert;
	int64_t valid_from_us, expires_us;
	char plate[TEXT_MAX], country[TEXT_MAX], category[TEXT_MAX], reference[TEXT_MAX];
	char reason[96];
};

struct log {
	size_t n, rows, bads, broken;
	uint64_t hash; /* FNV-1a over every event */
	const char *reject_prefix; /* row() refuses plates starting with it */
	int reject_code;
	struct ev ev[LOG_KEEP];
};

static void hash_bytes(struct log *lg, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		lg->hash = (lg->hash ^ b[i]) * 0x100000001b3ULL;
}

/* Hash what an event says, not its unused bytes. */
static void hash_ev(struct log *lg, const struct ev *e)
{
	const int64_t nums[] = { e->kind,   (int64_t)e->line, e->code,	    e->priority,
				 e->covert, e->valid_from_us, e->expires_us };
	const char *strs[] = { e->plate, e->country, e->category, e->reference, e->reason };

	hash_bytes(lg, nums, sizeof(nums));
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		hash_bytes(lg, strs[i], strlen(strs[i]) + 1);
}

static struct ev *next_ev(struct log *lg)
{
	static struct ev spare;
	struct ev *e = lg->n < LOG_KEEP ? &lg->ev[lg->n] : &spare;

	memset(e, 0, sizeof(*e));
	lg->n++;
	return e;
}

/* No ck_assert in the callbacks: Check records every assertion through a
 * file, too slow for the large files. Problems are counted in lg->broken and
 * asserted after the parse. */
static void copy_str(struct log *lg, char *dst, const char *src)
{
	if (!src || strlen(src) > TEXT_MAX - 1) {
		lg->broken++;
		return;
	}
	strcpy(dst, src);
}

static int on_row(void *ctx, const struct hotlist_entry *en, uint64_t line, char *reason)
{
	struct log *lg = ctx;
	struct ev *e = next_ev(lg);

	e->kind = 'R';
	e->line = line;
	copy_str(lg, e->plate, en->plate);
	copy_str(lg, e->country, en->country);
	copy_str(lg, e->category, en->category);
	copy_str(lg, e->reference, en->reference);
	e->priority = en->priority;
	e->covert = en->covert;
	e->valid_from_us = en->valid_from_us;
	e->expires_us = en->expires_us;
	lg->rows++;
	hash_ev(lg, e);
	if (lg->reject_prefix &&
	    strncmp(en->plate, lg->reject_prefix, strlen(lg->reject_prefix)) == 0) {
		snprintf(reason, 96, "refused by row()");
		return lg->reject_code;
	}
	return 0;
}

static void on_bad(void *ctx, uint64_t line, int code, const char *reason)
{
	struct log *lg = ctx;
	struct ev *e = next_ev(lg);

	e->kind = 'B';
	e->line = line;
	e->code = code;
	if (strlen(reason) >= sizeof(e->reason))
		lg->broken++;
	else
		strcpy(e->reason, reason);
	lg->bads++;
	hash_ev(lg, e);
}

static void log_init(struct log *lg)
{
	memset(lg, 0, sizeof(*lg));
	lg->hash = 0xcbf29ce484222325ULL;
}

static void logs_equal(const struct log *a, const struct log *b)
{
	ck_assert_uint_eq(a->broken, 0);
	ck_assert_uint_eq(b->broken, 0);
	ck_assert_uint_eq(a->n, b->n);
	ck_assert_uint_eq(a->rows, b->rows);
	ck_assert_uint_eq(a->bads, b->bads);
	ck_assert_uint_eq(a->hash, b->hash);
	ck_assert(memcmp(a->ev, b->ev, sizeof(a->ev)) == 0);
}

static void write_temp(char *path, const void *buf, size_t len)
{
	int fd;

	strcpy(path, "/tmp/test_csv_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert(write(fd, buf, len) == (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

/* Parse len bytes from a file and from memory in several pieces; the
 * results must agree. Returns the code; *lg gets the file parse's log. */
static int parse_buf(const char *buf, size_t len, struct log *lg)
{
	static const size_t pieces[] = { 0, 1, 7 };
	const char *rp = lg->reject_prefix;
	int rcode = lg->reject_code;
	char path[64];
	int rc;

	log_init(lg);
	lg->reject_prefix = rp;
	lg->reject_code = rcode;
	write_temp(path, buf, len);
	rc = hotlist__csv_parse(path, on_row, on_bad, lg);
	unlink(path);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct log *m = malloc(sizeof(*m));

		ck_assert_ptr_nonnull(m);
		log_init(m);
		m->reject_prefix = rp;
		m->reject_code = rcode;
		ck_assert_int_eq(hotlist__csv_parse_mem(buf, len, pieces[i], on_row, on_bad, m),
				 rc);
		logs_equal(lg, m);
		free(m);
	}
	return rc;
}

static int parse_text(const char *text, struct log *lg)
{
	return parse_buf(text, strlen(text), lg);
}

static struct log *new_log(void)
{
	struct log *lg = malloc(sizeof(*lg));

	ck_assert_ptr_nonnull(lg);
	log_init(lg);
	return lg;
}

static void check_row(const struct log *lg, size_t i, uint64_t line, const char *plate,
		      const char *country)
{
	ck_assert_uint_lt(i, lg->n);
	ck_assert_int_eq(lg->ev[i].kind, 'R');
	ck_assert_uint_eq(lg->ev[i].line, line);
	ck_assert_str_eq(lg->ev[i].plate, plate);
	ck_assert_str_eq(lg->ev[i].country, country);
}

static void check_bad(const struct log *lg, size_t i, uint64_t line, int code, const char *why)
{
	ck_assert_uint_lt(i, lg->n);
	ck_assert_int_eq(lg->ev[i].kind, 'B');
	ck_assert_uint_eq(lg->ev[i].line, line);
	ck_assert_int_eq(lg->ev[i].code, code);
	ck_assert_msg(strstr(lg->ev[i].reason, why) != NULL, "reason \"%s\" lacks \"%s\"",
		      lg->ev[i].reason, why);
}

/* ---- Delimiters, BOM, line ends ---------------------------------------------------- */

static const char *const delim_files[] = {
	"plate;country;category;priority;valid_from;expires;reference;covert\n"
	"AB-12-CD;NL;stolen vehicle;10;2024-01-01;2025-01-01T00:00:00Z;CASE 1;0\n"
	"XY 99 ZZ;DE;wanted person;;;;CASE 2;yes\n",
	"plate,country,category,priority,valid_from,expires,reference,covert\n"
	"AB-12-CD,NL,stolen vehicle,10,2024-01-01,2025-01-01T00:00:00Z,CASE 1,0\n"
	"XY 99 ZZ,DE,wanted person,,,,CASE 2,yes\n",
	"plate\tcountry\tcategory\tpriority\tvalid_from\texpires\treference\tcovert\n"
	"AB-12-CD\tNL\tstolen vehicle\t10\t2024-01-01\t2025-01-01T00:00:00Z\tCASE 1\t0\n"
	"XY 99 ZZ\tDE\twanted person\t\t\t\tCASE 2\tyes\n",
};

START_TEST(delimiters)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text(delim_files[_i], lg), 0);
	ck_assert_uint_eq(lg->rows, 2);
	ck_assert_uint_eq(lg->bads, 0);
	check_row(lg, 0, 2, "AB-12-CD", "NL");
	ck_assert_str_eq(lg->ev[0].category, "stolen vehicle");
	ck_assert_str_eq(lg->ev[0].reference, "CASE 1");
	ck_assert_uint_eq(lg->ev[0].priority, 10);
	ck_assert_int_eq(lg->ev[0].valid_from_us, 1704067200LL * 1000000);
	ck_assert_int_eq(lg->ev[0].expires_us, 1735689600LL * 1000000);
	ck_assert(!lg->ev[0].covert);
	check_row(lg, 1, 3, "XY 99 ZZ", "DE");
	ck_assert_uint_eq(lg->ev[1].priority, 50);
	ck_assert_int_eq(lg->ev[1].valid_from_us, 0);
	ck_assert_int_eq(lg->ev[1].expires_us, 0);
	ck_assert(lg->ev[1].covert);
	free(lg);
}
END_TEST

START_TEST(bom_crlf)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text("\xEF\xBB\xBFPlate;Country\r\nAB12;NL\r\n\r\nCD34 ;  BE\r\n"
				    "EF56;FR",
				    lg),
			 0);
	ck_assert_uint_eq(lg->rows, 3);
	check_row(lg, 0, 2, "AB12", "NL");
	check_row(lg, 1, 4, "CD34", "BE");
	check_row(lg, 2, 5, "EF56", "FR");
	free(lg);
}
END_TEST

START_TEST(quoted_fields)
{
	struct log *lg = new_log();

	ck_assert_int_eq(
		parse_text("plate;category;reference\n"
			   "\"AB;12\";\"a \"\"quoted\"\" word\";\"line1\nline2\r\nline3\"\n"
			   "  \"CD 34\"  ;\"  kept  \";\n"
			   "EF56;\"\";x\n"
			   "GH78;bad\"quote;x\n"
			   "IJ90;\"closed\"junk;x\n"
			   "KL12;ok;\"last\"",
			   lg),
		0);
	ck_assert_uint_eq(lg->rows, 4);
	ck_assert_uint_eq(lg->bads, 2);
	check_row(lg, 0, 2, "AB;12", "");
	ck_assert_str_eq(lg->ev[0].category, "a \"quoted\" word");
	ck_assert_str_eq(lg->ev[0].reference, "line1\nline2\r\nline3");
	check_row(lg, 1, 5, "CD 34", "");
	ck_assert_str_eq(lg->ev[1].category, "  kept  ");
	check_row(lg, 2, 6, "EF56", "");
	ck_assert_str_eq(lg->ev[2].category, "");
	check_bad(lg, 3, 7, HOTLIST_EINVAL, "quote inside");
	check_bad(lg, 4, 8, HOTLIST_EINVAL, "after a closing quote");
	check_row(lg, 5, 9, "KL12", "");
	ck_assert_str_eq(lg->ev[5].reference, "last");
	free(lg);
}
END_TEST

START_TEST(autovu_header)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text("PlateState;PlateNumber;EffectiveDate;ExpiryDate;PermitID;"
				    "Category\n"
				    "QC;DEF228;2012-01-31;2012-05-31;PermitID_1;Students\n"
				    "QC;345ABG;2012-01-31;2012-03-32;PermitID_2;Faculty\n",
				    lg),
			 0);
	ck_assert_uint_eq(lg->rows, 1);
	check_row(lg, 0, 2, "DEF228", "QC");
	ck_assert_int_eq(lg->ev[0].valid_from_us, 1327968000LL * 1000000);
	/* ExpiryDate 2012-05-31: valid through that day, to 2012-06-01T00:00Z */
	ck_assert_int_eq(lg->ev[0].expires_us, 1338508800LL * 1000000);
	ck_assert_str_eq(lg->ev[0].reference, "PermitID_1");
	ck_assert_str_eq(lg->ev[0].category, "Students");
	check_bad(lg, 1, 3, HOTLIST_EINVAL, "bad expires \"2012-03-32\"");
	free(lg);
}
END_TEST

START_TEST(column_names)
{
	struct log *lg = new_log();

	/* Variants of the names; an unknown column; a second plate column is
	 * ignored (the first wins). */
	ck_assert_int_eq(parse_text(" Notes , Plate_Number ,Country-Code,VALID FROM,expiry_date,"
				    "Ref,kenteken\n"
				    "n,AB12,NL,2024-02-29,,R1,ZZ99\n",
				    lg),
			 0);
	ck_assert_uint_eq(lg->rows, 1);
	check_row(lg, 0, 2, "AB12", "NL");
	ck_assert_int_eq(lg->ev[0].valid_from_us, 1709164800LL * 1000000);
	ck_assert_str_eq(lg->ev[0].reference, "R1");
	free(lg);
}
END_TEST

/* Validity columns in the forms exports write; the forms that used to load
 * silently wrong (YYYYMMDD taken for epoch seconds) or that are not dates
 * between 1990 and 2100 (epoch milliseconds, 0) are bad rows with a reason. */
START_TEST(validity_dates)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text("plate,valid_from,expires\n"
				    "A1,20270101,20271231\n"
				    "A2,2027-01-01T08:00:00+01:00,2027-12-31T23:59:59.5Z\n"
				    "A3,1798761600,2027-12-31+01:00\n"
				    "B4,,1830211200123\n"
				    "B5,0,\n"
				    "B6,,31.12.2027\n"
				    "B7,,9999-12-31\n",
				    lg),
			 0);
	ck_assert_uint_eq(lg->rows, 3);
	/* 2027-01-01T00:00Z; through the end of 2027-12-31 (UTC) */
	ck_assert_int_eq(lg->ev[0].valid_from_us, 1798761600LL * 1000000);
	ck_assert_int_eq(lg->ev[0].expires_us, 1830297600LL * 1000000);
	ck_assert_int_eq(lg->ev[1].valid_from_us, (1798761600LL + 7 * 3600) * 1000000);
	ck_assert_int_eq(lg->ev[1].expires_us, 1830297599LL * 1000000 + 500000);
	ck_assert_int_eq(lg->ev[2].valid_from_us, 1798761600LL * 1000000);
	ck_assert_int_eq(lg->ev[2].expires_us, (1830297600LL - 3600) * 1000000);
	check_bad(lg, 3, 5, HOTLIST_EINVAL,
		  "expires \"1830211200123\" is not a date between 1990 and 2100");
	check_bad(lg, 4, 6, HOTLIST_EINVAL, "valid_from \"0\" is not a date between 1990 and 2100");
	check_bad(lg, 5, 7, HOTLIST_EINVAL, "bad expires \"31.12.2027\"");
	check_bad(lg, 6, 8, HOTLIST_EINVAL,
		  "expires \"9999-12-31\" is not a date between 1990 and 2100");
	free(lg);
}
END_TEST

START_TEST(single_column)
{
	struct log *lg = new_log();

	/* One column: no delimiter in the header, ';' is used. */
	ck_assert_int_eq(parse_text("registration\nAB12\nCD34;NL\n", lg), 0);
	ck_assert_uint_eq(lg->rows, 2);
	check_row(lg, 0, 2, "AB12", "");
	check_row(lg, 1, 3, "CD34", "");
	free(lg);
}
END_TEST

START_TEST(delimiter_ties)
{
	struct log *lg = new_log();

	/* One ';' and one ',': ';' is tried first, gives no plate column,
	 * ',' does. */
	ck_assert_int_eq(parse_text("plate,country;code\nAB12,NL;x\n", lg), 0);
	ck_assert_uint_eq(lg->rows, 1);
	check_row(lg, 0, 2, "AB12", "");
	/* Both give one: ';' wins. */
	ck_assert_int_eq(parse_text("plate;x,country\nAB12;NL,y\n", lg), 0);
	check_row(lg, 0, 2, "AB12", "");
	/* A delimiter inside quotes does not count: ',' wins 1 to 0. */
	ck_assert_int_eq(parse_text("\"a;b;c\",plate\nx,AB12\n", lg), 0);
	check_row(lg, 0, 2, "AB12", "");
	/* The most frequent one is taken even if another would give a plate. */
	ck_assert_int_eq(parse_text("plate,x;y;z\nAB12\n", lg), HOTLIST_EBADFILE);
	free(lg);
}
END_TEST

START_TEST(ragged_and_blank_rows)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text("\n  \r\nplate;country;category\n"
				    "AB12\n"
				    "\n"
				    " ; ;\n"
				    "CD34;NL;c;extra;fields\n"
				    ";NL;c\n"
				    "   \n",
				    lg),
			 0);
	ck_assert_uint_eq(lg->rows, 2);
	ck_assert_uint_eq(lg->bads, 1);
	check_row(lg, 0, 4, "AB12", "");
	check_row(lg, 1, 7, "CD34", "NL");
	check_bad(lg, 2, 8, HOTLIST_EPLATE, "empty plate");
	free(lg);
}
END_TEST

/* A short row's missing fields are empty, not the previous row's values
 * (a row "CD34" after "AB12;NL" once came out as CD34 in NL). */
START_TEST(short_row_after_full_row)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text("plate;country;category\n"
				    "AB12;NL;stolen\n"
				    "CD34\n"
				    "EF56;DE\n"
				    "GH78;;\n",
				    lg),
			 0);
	ck_assert_uint_eq(lg->rows, 4);
	check_row(lg, 0, 2, "AB12", "NL");
	check_row(lg, 1, 3, "CD34", "");
	check_row(lg, 2, 4, "EF56", "DE");
	check_row(lg, 3, 5, "GH78", "");
	free(lg);
}
END_TEST

START_TEST(values)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text("plate;priority;covert;valid_from\n"
				    "A1;0;TRUE;\n"
				    "A2;100;n;\n"
				    "A3;101;;\n"
				    "A4;-1;;\n"
				    "A5;5x;;\n"
				    "A6;007;Covert;\n"
				    "A7;;maybe;\n"
				    "A8;;;2023-02-29\n"
				    "A9;;;2024-01-01 25:00\n",
				    lg),
			 0);
	ck_assert_uint_eq(lg->rows, 3);
	ck_assert_uint_eq(lg->bads, 6);
	check_row(lg, 0, 2, "A1", "");
	ck_assert_uint_eq(lg->ev[0].priority, 0);
	ck_assert(lg->ev[0].covert);
	check_row(lg, 1, 3, "A2", "");
	ck_assert_uint_eq(lg->ev[1].priority, 100);
	ck_assert(!lg->ev[1].covert);
	check_bad(lg, 2, 4, HOTLIST_EINVAL, "bad priority \"101\"");
	check_bad(lg, 3, 5, HOTLIST_EINVAL, "priority");
	check_bad(lg, 4, 6, HOTLIST_EINVAL, "priority");
	check_row(lg, 5, 7, "A6", "");
	ck_assert_uint_eq(lg->ev[5].priority, 7);
	ck_assert(lg->ev[5].covert);
	check_bad(lg, 6, 8, HOTLIST_EINVAL, "bad covert \"maybe\"");
	check_bad(lg, 7, 9, HOTLIST_EINVAL, "valid_from \"2023-02-29\"");
	check_bad(lg, 8, 10, HOTLIST_EINVAL, "valid_from");
	free(lg);
}
END_TEST

START_TEST(field_limits)
{
	char *text = malloc(4096);
	struct log *lg = new_log();
	char p256[257], p257[258];

	ck_assert_ptr_nonnull(text);
	memset(p256, 'A', 256);
	p256[256] = '\0';
	memset(p257, 'B', 257);
	p257[257] = '\0';
	/* 256 bytes fit, 257 do not; trailing spaces after 256 bytes are
	 * trimmed, not counted; an unknown column has no field limit. */
	snprintf(text, 4096, "plate;notes\n%s\n%s\n%s     ;x\nC1;%s%s\n", p256, p257, p256, p257,
		 p257);
	ck_assert_int_eq(parse_text(text, lg), 0);
	ck_assert_uint_eq(lg->rows, 3);
	check_row(lg, 0, 2, p256, "");
	check_bad(lg, 1, 3, HOTLIST_EINVAL, "field too long");
	check_row(lg, 2, 4, p256, "");
	check_row(lg, 3, 5, "C1", "");
	free(lg);
	free(text);
}
END_TEST

/* ---- Header and file errors ---------------------------------------------------------- */

START_TEST(header_only)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text("plate;country\n", lg), 0);
	ck_assert_uint_eq(lg->n, 0);
	ck_assert_int_eq(parse_text("\xEF\xBB\xBFplate", lg), 0);
	ck_assert_uint_eq(lg->n, 0);
	ck_assert_int_eq(parse_text("plate\n\n\r\n  \n", lg), 0);
	ck_assert_uint_eq(lg->n, 0);
	free(lg);
}
END_TEST

static const char *const bad_headers[] = {
	"",
	"\xEF\xBB\xBF",
	"\n\n \r\n",
	"country;category\nNL;stolen\n",
	"numberplate;country\nAB12;NL\n",
	"pl\303ate;country\nAB12;NL\n", /* truncated UTF-8 sequence */
	"plate;c\xC0\xAFountry\nAB12;NL\n", /* overlong '/' */
	"plate;\xED\xA0\x80\nAB12\n", /* surrogate */
	"\xFF\xFEp\0l\0a\0t\0e\0\n\0", /* UTF-16 */
	"\"plate;country\nAB12;NL\n", /* quote never closed */
	"pl\"ate;country\nAB12;NL\n", /* stray quote */
};

START_TEST(bad_header)
{
	struct log *lg = new_log();
	size_t len = strlen(bad_headers[_i]);

	if (_i == 8)
		len = 14;
	ck_assert_int_eq(parse_buf(bad_headers[_i], len, lg), HOTLIST_EBADFILE);
	ck_assert_uint_eq(lg->n, 0);
	free(lg);
}
END_TEST

START_TEST(binary_garbage)
{
	unsigned char *buf = malloc(20000);
	struct log *lg = new_log();
	uint32_t x = 12345;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < 20000; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
	/* Looks like a header, then a NUL inside the first 4 KiB. */
	memcpy(buf, "plate;country\nAB12;NL\n", 22);
	buf[3000] = 0;
	ck_assert_int_eq(parse_buf((const char *)buf, 20000, lg), HOTLIST_EBADFILE);
	ck_assert_uint_eq(lg->n, 0);
	free(lg);
	free(buf);
}
END_TEST

START_TEST(nul_in_row)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	struct log *lg = new_log();
	uint64_t line = 1;

	ck_assert_ptr_nonnull(buf);
	len += (size_t)sprintf(buf + len, "plate;country\n");
	while (len < 5000) {
		len += (size_t)sprintf(buf + len, "AB%04u;NL\n", (unsigned)line);
		line++;
	}
	/* line + 1 is the bad row, past the first 4 KiB. */
	memcpy(buf + len,
	       "CD\0"
	       "34;NL\nEF56;\"B\0E\"\nGH78;FR\n",
	       25);
	len += 25;
	ck_assert_int_eq(parse_buf(buf, len, lg), 0);
	ck_assert_uint_eq(lg->rows, line);
	ck_assert_uint_eq(lg->bads, 2);
	free(lg);

	/* The same rows within the first 4 KiB: a binary file. */
	lg = new_log();
	ck_assert_int_eq(parse_buf("plate\nAB\0"
				   "12\n",
				   11, lg),
			 HOTLIST_EBADFILE);
	ck_assert_uint_eq(lg->n, 0);
	free(lg);
	free(buf);
}
END_TEST

START_TEST(nul_in_row_lines)
{
	/* Same as above with the bad rows' lines checked. */
	char *buf = malloc(8192);
	struct log *lg = new_log();
	size_t len;

	ck_assert_ptr_nonnull(buf);
	memset(buf, ' ', 4200);
	memcpy(buf, "plate;notes\nAB12;", 17);
	buf[4199] = '\n';
	memcpy(buf + 4200,
	       "CD\0"
	       "34;NL\nEF56;\"B\0E\"\nGH78;FR\n",
	       25);
	len = 4225;
	ck_assert_int_eq(parse_buf(buf, len, lg), 0);
	ck_assert_uint_eq(lg->n, 4);
	check_row(lg, 0, 2, "AB12", "");
	check_bad(lg, 1, 3, HOTLIST_EINVAL, "NUL byte");
	check_bad(lg, 2, 4, HOTLIST_EINVAL, "NUL byte");
	check_row(lg, 3, 5, "GH78", "");
	free(lg);
	free(buf);
}
END_TEST

START_TEST(long_line)
{
	const size_t mb = 1024 * 1024;
	char *buf = malloc(mb + 100);
	struct log *lg = new_log();
	size_t len = 0;

	ck_assert_ptr_nonnull(buf);
	len += (size_t)sprintf(buf, "plate;country\nAB12;NL\n");
	/* A 1 MB line with quotes in it, which must not matter. */
	memset(buf + len, 'x', mb);
	buf[len + 10] = '"';
	len += mb;
	len += (size_t)sprintf(buf + len, "\nCD34;BE\n");
	/* File path only: the 1-byte piece run would take too long. */
	{
		char path[64];

		write_temp(path, buf, len);
		ck_assert_int_eq(hotlist__csv_parse(path, on_row, on_bad, lg), 0);
		unlink(path);
	}
	ck_assert_uint_eq(lg->broken, 0);
	ck_assert_uint_eq(lg->n, 3);
	check_row(lg, 0, 2, "AB12", "NL");
	check_bad(lg, 1, 3, HOTLIST_EINVAL, "line too long");
	check_row(lg, 2, 4, "CD34", "BE");
	free(lg);
	free(buf);
}
END_TEST

START_TEST(line_limit_edge)
{
	const size_t max = 64 * 1024;
	char *buf = malloc(3 * max);
	struct log *lg = new_log();
	size_t len = 0;

	ck_assert_ptr_nonnull(buf);
	len += (size_t)sprintf(buf, "plate;notes\n");
	/* Exactly 64 KiB before the LF: fine. One more byte: too long. */
	buf[len++] = 'A';
	buf[len++] = ';';
	memset(buf + len, 'n', max - 2);
	len += max - 2;
	buf[len++] = '\n';
	buf[len++] = 'B';
	buf[len++] = ';';
	memset(buf + len, 'n', max - 1);
	len += max - 1;
	buf[len++] = '\n';
	buf[len++] = 'C';
	ck_assert_int_eq(parse_buf(buf, len, lg), 0);
	ck_assert_uint_eq(lg->n, 3);
	check_row(lg, 0, 2, "A", "");
	check_bad(lg, 1, 3, HOTLIST_EINVAL, "line too long");
	check_row(lg, 2, 4, "C", "");
	free(lg);
	free(buf);
}
END_TEST

START_TEST(truncated_quote)
{
	struct log *lg = new_log();

	ck_assert_int_eq(parse_text("plate;reference\nAB12;r\nCD34;\"open\nstill open;\n", lg), 0);
	ck_assert_uint_eq(lg->n, 2);
	check_row(lg, 0, 2, "AB12", "");
	check_bad(lg, 1, 3, HOTLIST_EINVAL, "quote not closed");
	ck_assert_int_eq(parse_text("plate\nAB12\n\"CD", lg), 0);
	ck_assert_uint_eq(lg->n, 2);
	check_bad(lg, 1, 3, HOTLIST_EINVAL, "quote not closed");
	free(lg);
}
END_TEST

START_TEST(line_numbers)
{
	struct log *lg = new_log();

	/* Blank lines before the header, a two-line header, multi-line
	 * quoted fields, CRLF, blank lines between rows. */
	ck_assert_int_eq(parse_text("\r\n\nplate;\"refe\r\nrence\"\r\n"
				    "A1;\"x\ny\nz\"\r\n"
				    ";bad\r\n"
				    "\r\n"
				    "A2;\"\n\n\"\n"
				    "A3;x\"y\n"
				    "A4;ok\n",
				    lg),
			 0);
	ck_assert_uint_eq(lg->n, 5);
	check_row(lg, 0, 5, "A1", "");
	check_bad(lg, 1, 8, HOTLIST_EPLATE, "empty plate");
	check_row(lg, 2, 10, "A2", "");
	check_bad(lg, 3, 13, HOTLIST_EINVAL, "quote inside");
	check_row(lg, 4, 14, "A4", "");
	free(lg);
}
END_TEST

START_TEST(row_callback_rejects)
{
	struct log *lg = new_log();

	lg->reject_prefix = "X";
	lg->reject_code = HOTLIST_ECOUNTRY;
	ck_assert_int_eq(parse_text("plate\nA1\nX2\nA3\n", lg), 0);
	ck_assert_uint_eq(lg->n, 4);
	check_row(lg, 0, 2, "A1", "");
	check_row(lg, 1, 3, "X2", "");
	check_bad(lg, 2, 3, HOTLIST_ECOUNTRY, "refused by row()");
	check_row(lg, 3, 4, "A3", "");

	/* HOTLIST_ENOMEM stops the parse. */
	lg->reject_code = HOTLIST_ENOMEM;
	ck_assert_int_eq(parse_text("plate\nA1\nX2\nA3\n", lg), HOTLIST_ENOMEM);
	ck_assert_uint_eq(lg->n, 2);
	ck_assert_uint_eq(lg->bads, 0);
	free(lg);
}
END_TEST

START_TEST(missing_file)
{
	struct log *lg = new_log();
	char dir[] = "/tmp/test_csv_dir_XXXXXX";

	ck_assert_int_eq(hotlist__csv_parse("/nonexistent/hotlist.csv", on_row, on_bad, lg),
			 HOTLIST_ENOENT);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(hotlist__csv_parse(dir, on_row, on_bad, lg), HOTLIST_EISDIR);
	rmdir(dir);
	ck_assert_uint_eq(lg->n, 0);
	if (geteuid() != 0) { /* root reads it anyway */
		char path[] = "/tmp/test_csv_unreadable_XXXXXX";
		int fd = mkstemp(path);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "plate\nA1\n", 9), 9);
		close(fd);
		ck_assert_int_eq(chmod(path, 0), 0);
		ck_assert_int_eq(hotlist__csv_parse(path, on_row, on_bad, lg), HOTLIST_EACCES);
		unlink(path);
	}
	free(lg);
}
END_TEST

/* A file over several read() chunks with tricky rows everywhere, so chunk
 * boundaries fall inside quotes, after a CR, inside "" and the like; parsed
 * from a file and from memory in odd pieces. */
START_TEST(chunk_boundaries)
{
	static const char *const rows[] = {
		"AB12;NL;\"a;b\"\r\n",	"CD34;\"x\"\"y\";c\n", "\"EF\n56\";BE;\n",
		"  GH78  ;  DE  ;  \n", "IJ90;\"open\"x;y\n",  ";;\n",
		"KL12;FR;\"\"\"\"\r\n",
	};
	const size_t cap = 700 * 1024;
	char *buf = malloc(cap);
	struct log *a = new_log(), *b = new_log();
	size_t len = 0;
	unsigned r = 0, blank = 0;
	char path[64];

	ck_assert_ptr_nonnull(buf);
	len += (size_t)sprintf(buf, "plate;country;reference\n");
	while (len + 64 < cap) {
		len += (size_t)sprintf(buf + len, "%s", rows[r % 7]);
		blank += r % 7 == 5;
		r++;
	}
	write_temp(path, buf, len);
	ck_assert_int_eq(hotlist__csv_parse(path, on_row, on_bad, a), 0);
	unlink(path);
	ck_assert_uint_eq(a->rows + a->bads, r - blank);
	ck_assert_uint_gt(a->bads, r / 8);
	for (size_t piece = 4093; piece < 4093 + 4 * 1031; piece += 1031) {
		log_init(b);
		ck_assert_int_eq(hotlist__csv_parse_mem(buf, len, piece, on_row, on_bad, b), 0);
		logs_equal(a, b);
	}
	free(a);
	free(b);
	free(buf);
}
END_TEST

/* The sample files in tests/data (HOTLIST_TEST_DATA, set by CTest; the
 * test is skipped with a note when it is not set). */
static int parse_sample(const char *name, struct log *lg)
{
	const char *dir = getenv("HOTLIST_TEST_DATA");
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	log_init(lg);
	return hotlist__csv_parse(path, on_row, on_bad, lg);
}

START_TEST(sample_files)
{
	struct log *lg;

	if (!getenv("HOTLIST_TEST_DATA")) {
		fprintf(stderr, "sample_files: HOTLIST_TEST_DATA not set, skipped\n");
		return;
	}
	lg = new_log();
	ck_assert_int_eq(parse_sample("autovu_sample.txt", lg), 0);
	ck_assert_uint_eq(lg->rows, 3);
	ck_assert_uint_eq(lg->bads, 1);
	check_row(lg, 2, 4, "244KVF", "QC");
	ck_assert_str_eq(lg->ev[2].category, "Maintenance");
	check_bad(lg, 3, 5, HOTLIST_EINVAL, "bad expires \"2012-03-32\"");

	ck_assert_int_eq(parse_sample("mixed_sample.csv", lg), 0);
	ck_assert_uint_eq(lg->n, 6);
	check_row(lg, 0, 2, "AB-123-C", "NL");
	check_row(lg, 1, 3, "B-XY 77", "DE");
	ck_assert_str_eq(lg->ev[1].category, "wanted person, armed");
	ck_assert(lg->ev[1].covert);
	check_row(lg, 2, 4, "GH-45-JK", "BE");
	ck_assert_str_eq(lg->ev[2].reference, "note:\r\nsecond line");
	ck_assert_int_eq(lg->ev[2].valid_from_us, 1717223400LL * 1000000);
	ck_assert_uint_eq(lg->ev[2].priority, 50);
	check_bad(lg, 3, 6, HOTLIST_EPLATE, "empty plate");
	check_bad(lg, 4, 7, HOTLIST_EINVAL, "bad priority \"200\"");
	check_row(lg, 5, 9, "PQ-90-RS", "LU");
	ck_assert_int_eq(lg->ev[5].valid_from_us, 1709164800LL * 1000000);

	ck_assert_int_eq(parse_sample("tab_sample.tsv", lg), 0);
	ck_assert_uint_eq(lg->n, 2);
	check_row(lg, 1, 3, "EF 34 GH", "");
	ck_assert_str_eq(lg->ev[1].category, "wanted");
	free(lg);
}
END_TEST

static Suite *csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("parse");

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, delimiters, 0, 3);
	tcase_add_test(tc, bom_crlf);
	tcase_add_test(tc, quoted_fields);
	tcase_add_test(tc, autovu_header);
	tcase_add_test(tc, validity_dates);
	tcase_add_test(tc, column_names);
	tcase_add_test(tc, single_column);
	tcase_add_test(tc, delimiter_ties);
	tcase_add_test(tc, ragged_and_blank_rows);
	tcase_add_test(tc, short_row_after_full_row);
	tcase_add_test(tc, values);
	tcase_add_test(tc, field_limits);
	tcase_add_test(tc, header_only);
	tcase_add_loop_test(tc, bad_header, 0, (int)(sizeof(bad_headers) / sizeof(bad_headers[0])));
	tcase_add_test(tc, binary_garbage);
	tcase_add_test(tc, nul_in_row);
	tcase_add_test(tc, nul_in_row_lines);
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, line_limit_edge);
	tcase_add_test(tc, truncated_quote);
	tcase_add_test(tc, line_numbers);
	tcase_add_test(tc, row_callback_rejects);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, chunk_boundaries);
	tcase_add_test(tc, sample_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(csv_suite());
}
