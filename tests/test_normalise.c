/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/normalise.c: plate normalisation (golden vectors, rejections,
 * bounded reads and writes, every code point against a Unicode oracle, a
 * generated model check, idempotence; the single read's normalise-and-pack
 * agrees on all of them), key packing (golden layout, round trip, injectivity) and
 * country parsing (every two-letter code against the ISO list).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "normalise.h"

#include <check.h>

#include "testutil.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define OUT_SIZE (HOTLIST_PLATE_MAX + 1)
#define GUARD_SIZE 16 /* bytes after out[] that must stay untouched */
#define GUARD_BYTE 0x5a

struct outbuf {
	char b[OUT_SIZE + GUARD_SIZE];
};

static void out_init(struct outbuf *o)
{
	memset(o->b, GUARD_BYTE, sizeof(o->b));
}

static int guard_intact(const struct outbuf *o)
{
	for (size_t i = OUT_SIZE; i < sizeof(o->b); i++) {
		if ((unsigned char)o->b[i] != GUARD_BYTE)
			return 0;
	}
	return 1;
}

static int valid_plate(const char *p, int n)
{
	if (n < 1 || n > HOTLIST_PLATE_MAX || (int)strlen(p) != n)
		return 0;
	for (int i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'Z')))
			return 0;
	}
	return 1;
}

/*
 * hotlist__normalise_key (the single read's normaliser) answers as
 * hotlist__normalise_plate then hotlist__key_pack: n, the normaliser's
 * answer, and o, its output (guard bytes included), again; the key of the
 * output; the key untouched on error.
 */
static void key_agrees(const char *in, const struct outbuf *o, int n)
{
	const struct hl_key untouched = { UINT64_C(0xa5a5a5a5a5a5a5a5), 0xa5a5a5a5 };
	struct hl_key key = untouched;
	struct outbuf k;
	int m;

	out_init(&k);
	m = hotlist__normalise_key(in, k.b, &key);
	CHECK(m == n, "normalise_key: %d, normalise_plate: %d", m, n);
	CHECK(memcmp(k.b, o->b, sizeof(k.b)) == 0, "normalise_key wrote other bytes (%d)", n);
	if (n > 0) {
		struct hl_key want;

		hotlist__key_pack(o->b, (size_t)n, &want);
		CHECK(hl_key_eq(&key, &want), "normalise_key: wrong key for \"%s\"", o->b);
	} else {
		CHECK(hl_key_eq(&key, &untouched), "normalise_key: key touched on error");
	}
}

/* Normalise in, check the guard and, on success, the output and
 * idempotence; hotlist__normalise_key must agree. */
static int norm(const char *in, struct outbuf *o)
{
	int n;

	out_init(o);
	n = hotlist__normalise_plate(in, o->b);
	CHECK(guard_intact(o), "write past out[16] for input \"%s\"", in);
	key_agrees(in, o, n);
	if (n >= 0) {
		struct outbuf again;
		int m;

		CHECK(valid_plate(o->b, n), "bad output \"%s\" (%d) for \"%s\"", o->b, n, in);
		out_init(&again);
		m = hotlist__normalise_plate(o->b, again.b);
		CHECK(m == n && strcmp(again.b, o->b) == 0, "not idempotent: \"%s\"", o->b);
	} else {
		CHECK(n == HOTLIST_EPLATE, "error %d is not HOTLIST_EPLATE for \"%s\"", n, in);
	}
	return n;
}

/* ---- Plates: golden vectors ------------------------------------------------ */

/* 64 bytes before the NUL, though the plate would be "A" */
static const char rejected_64[] =
	"A                                                               ";

static const struct {
	const char *in;
	const char *out;
} golden[] = {
	{ " gz-123-b ", "GZ123B" },
	{ "Ä-BC 12", "ABC12" },
	{ "ß", "SS" },
	{ "ØRESUND", "ORESUND" },
	{ "AB12ß", "AB12SS" }, /* fast path hands over its length to the UTF-8 loop */
	{ "b.ab 123", "BAB123" },
	{ "M-ÜÖ 99", "MUO99" },
	{ "Łódź 1", "LODZ1" },
	{ "Ærø", "AERO" },
	{ "Œuf", "OEUF" },
	{ "Þór", "THOR" },
	{ "Ðð", "DD" },
	{ "ıi", "II" },
	{ "Ç ñ", "CN" },
	{ "ÉÅ", "EA" },
	{ "ĳſ", "IJS" },
	{ "ŠŽČĆĐ", "SZCCD" },
	{ "ĸŉŋ", "KNN" },
	{ "ÀÁÂÃÄÅàáâãäå", "AAAAAAAAAAAA" },
	{ "A×B÷C", "ABC" },
	{ "ȘȚșț 1", "STST1" }, /* Romanian comma below (Latin Extended-B) */
	{ "ẞ", "SS" }, /* capital sharp s (Latin Extended Additional) */
	{ "ǄǈǊ", "DZLJNJ" },
	{ "ǆǉǌ", "DZLJNJ" },
	{ "ǢǾẠỹ", "AEOAY" }, /* marks on a letter folded by hand; Vietnamese */
	{ "KÅ1", "KA1" }, /* Kelvin and Angstrom signs */
	{ "ＡＢ－１２３", "AB123" },
	{ "ｇｚ１２", "GZ12" },
	{ "Ｘ！＂＃～Ｙ", "XY" },
	{ "AB\u00a012", "AB12" },
	{ "AB\u2010\u2011\u2012\u2013\u2014\u2015CD", "ABCD" },
	{ "A\u00b7B", "AB" },
	{ "AB\u2022CD", "ABCD" },
	{ "AB\u2009CD", "ABCD" },
	{ "AB\u200b\u200e\u202f\u2060CD", "ABCD" },
	{ "X\u3000Y", "XY" },
	{ "\u22125", "5" },
	{ "\xef\xbb\xbf"
	  "AB12",
	  "AB12" },
	{ "«AB»", "AB" },
	{ "¡¿AB§°£1", "AB1" },
	{ "\tAB\r\n12\v\f", "AB12" },
	{ "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~A", "A" },
	{ "abcdefghijklmnop", "ABCDEFGHIJKLMNOP" },
	{ "0123456789", "0123456789" },
	{ "ABCDEFGHIJKLMNß", "ABCDEFGHIJKLMNSS" },
	{ "A B C D E F G H I J K L M N O P", "ABCDEFGHIJKLMNOP" },
	/* 63 bytes then the NUL: the longest raw input */
	{ "AB                                                             ", "AB" },
	{ "                                                            ÄB", "AB" },
};

START_TEST(test_plate_golden)
{
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		struct outbuf o;
		int n = norm(golden[i].in, &o);

		ck_assert_msg(n == (int)strlen(golden[i].out), "\"%s\": got %d, want \"%s\"",
			      golden[i].in, n, golden[i].out);
		ck_assert_str_eq(o.b, golden[i].out);
	}
	ck_assert_uint_eq(strlen(golden[sizeof(golden) / sizeof(golden[0]) - 2].in), 63);
	ck_assert_uint_eq(strlen(golden[sizeof(golden) / sizeof(golden[0]) - 1].in), 63);
	ck_assert_uint_eq(strlen(rejected_64), 64);
}
END_TEST

/* ---- Plates: rejections ---------------------------------------------------- */

static const char *const rejected[] = {
	"", " ", " - . _ / ", "\u00a0\u2013\u00b7", "ABCDEFGHIJKLMNOPQ", /* 17 characters */
	"ABCDEFGHIJKLMNOß", /* 17 after folding */
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ", rejected_64,
	/* control characters */
	"AB\x01", "\x7f", "A\x1b[0m", "AB\xc2\x85",
	/* invalid UTF-8 */
	"\x80", "A\xbf", "AB\xc3",
	"\xc3"
	"A",
	"\xe2\x80",
	"\xe2\x80"
	"A",
	"\xff", "\xfe", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xef\xbc",
	/* overlong encodings */
	"\xc0\x80", "\xc1\x81", "\xc0\xa0", "\xe0\x83\x84", /* U+00C4 Ä in three bytes */
	"\xe0\x80\xa0", "\xe0\x81\x81", "\xf0\x80\x81\x81", "\xf0\x80\x83\x84",
	/* surrogates, valid or not as pairs */
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\xbd\xed\xb8\x80",
	/* outside the accepted code points */
	"AB🚗12", "\U0001f600", "АВ123", /* Cyrillic A and Ve */
	"ΑΒ123", /* Greek Alpha and Beta */
	"١٢٣", "京A12345", "A²", "ª", "µ", "½", "\u0180",
	"\u2070", /* superscript zero, just past General Punctuation */
	"\u20ac", /* euro sign: Currency Symbols are not separators */
	"\uff5f", "\uff61", "\uffff", "\u0300A", /* combining grave accent */
};

START_TEST(test_plate_reject)
{
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		struct outbuf o;
		int n = norm(rejected[i], &o);

		ck_assert_msg(n == HOTLIST_EPLATE, "rejected[%zu] gave %d \"%s\"", i, n,
			      n > 0 ? o.b : "");
	}
}
END_TEST

/* ---- Plates: never read past byte 64 --------------------------------------- */

/*
 * Bytes placed at the very end (or start) of a readable page that sits
 * between two PROT_NONE pages: reading one byte too many (or too early)
 * faults, and Check reports the signal.
 */
struct fence {
	unsigned char *map;
	size_t page;
};

static unsigned char *fence_place(struct fence *f, const void *bytes, size_t n, int at_end)
{
	unsigned char *rw;

	f->page = (size_t)sysconf(_SC_PAGESIZE);
	f->map = mmap(NULL, 3 * f->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(f->map, MAP_FAILED);
	rw = f->map + f->page;
	ck_assert_int_eq(mprotect(rw, f->page, PROT_READ | PROT_WRITE), 0);
	rw = at_end ? rw + f->page - n : rw;
	memcpy(rw, bytes, n);
	return rw;
}

static void fence_free(struct fence *f)
{
	munmap(f->map, 3 * f->page);
}

static int norm_fenced(const unsigned char *bytes, struct outbuf *o)
{
	struct fence f;
	const char *in = (const char *)fence_place(&f, bytes, HOTLIST_RAW_PLATE_MAX, 1);
	char pub[OUT_SIZE];
	int n, m;

	out_init(o);
	n = hotlist__normalise_plate(in, o->b);
	ck_assert(guard_intact(o));
	key_agrees(in, o, n);
	m = hotlist_normalise_plate(in, pub);
	ck_assert_int_eq(m, n);
	fence_free(&f);
	return n;
}

START_TEST(test_plate_no_overread)
{
	unsigned char b[HOTLIST_RAW_PLATE_MAX];
	struct outbuf o;

	/* one letter and separators, no NUL in the 64 bytes */
	memset(b, ' ', sizeof(b));
	b[0] = 'A';
	ck_assert_int_eq(norm_fenced(b, &o), HOTLIST_EPLATE);

	/* the same, reaching the end through the UTF-8 loop */
	memcpy(b, "\xc3\x84", 2);
	ck_assert_int_eq(norm_fenced(b, &o), HOTLIST_EPLATE);

	/* a two-byte sequence whose lead is the 64th byte */
	memset(b, ' ', sizeof(b));
	b[0] = 'A';
	b[63] = 0xc3;
	ck_assert_int_eq(norm_fenced(b, &o), HOTLIST_EPLATE);

	/* three-byte sequences cut by the end: lead at 62, and lead at 61 ending at 63 */
	memcpy(b + 62, "\xe2\x80", 2);
	ck_assert_int_eq(norm_fenced(b, &o), HOTLIST_EPLATE);
	memcpy(b + 61, "\xe2\x80\x93", 3);
	ck_assert_int_eq(norm_fenced(b, &o), HOTLIST_EPLATE);

	/* the NUL as the 64th byte: accepted */
	memset(b, ' ', sizeof(b));
	b[0] = 'A';
	b[63] = '\0';
	ck_assert_int_eq(norm_fenced(b, &o), 1);
	ck_assert_str_eq(o.b, "A");
	memcpy(b + 60, "\xc3\x9f", 2);
	ck_assert_int_eq(norm_fenced(b, &o), 3);
	ck_assert_str_eq(o.b, "ASS");
}
END_TEST

/* Every plate length around the single read's register (8 characters:
 * the key of a longer plate is packed from out[]), with separators before,
 * inside and after, lower and upper case: norm() checks
 * hotlist__normalise_key against the two-step path on each. */
START_TEST(test_plate_key_every_length)
{
	static const char *const seps[] = { "", " ", "-", " - ", "\t.", "  " };
	const char *alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

	for (size_t len = 1; len <= HOTLIST_PLATE_MAX + 1; len++)
		for (size_t k = 0; k < sizeof(seps) / sizeof(seps[0]); k++)
			for (size_t at = 0; at <= len; at++) {
				char raw[HOTLIST_RAW_PLATE_MAX];
				struct outbuf o;
				size_t n = 0;

				for (size_t i = 0; i < len; i++) {
					if (i == at)
						n += (size_t)sprintf(raw + n, "%s", seps[k]);
					raw[n++] = alnum[(len * 7 + i * 11 + k) % 62];
				}
				raw[n] = '\0';
				int got = norm(raw, &o);
				CHECK(got == (len <= HOTLIST_PLATE_MAX ? (int)len : HOTLIST_EPLATE),
				      "\"%s\": %d", raw, got);
			}
}
END_TEST

/* ---- Plates: every code point ---------------------------------------------- */

static size_t utf8_encode(uint32_t cp, char *s)
{
	if (cp < 0x80) {
		s[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	s[0] = (char)(0xf0 | (cp >> 18));
	s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	s[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * What tests/fold_oracle.py, run by ctest before this suite, says each BMP
 * code point must give: letters (A-Z), "-" (separator), or "" (error: not
 * in the file). Computed from Python's unicodedata, independently of the
 * implementation's tables.
 */
#define ORACLE_CPS 0x10000
static char (*oracle_load(void))[3]
{
	const char *path = getenv("HOTLIST_FOLD_ORACLE");
	char(*want)[3] = calloc(ORACLE_CPS, sizeof(*want));
	char line[64];
	unsigned lines = 0;
	FILE *f;

	ck_assert_ptr_nonnull(want);
	ck_assert_msg(path != NULL, "HOTLIST_FOLD_ORACLE unset: run under ctest");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open oracle %s", path);
	while (fgets(line, sizeof(line), f)) {
		unsigned cp;
		char v[8];

		if (line[0] == '#')
			continue;
		ck_assert_msg(sscanf(line, "%x %7s", &cp, v) == 2 && cp < ORACLE_CPS &&
				      strlen(v) <= 2,
			      "bad oracle line: %s", line);
		memcpy(want[cp], v, strlen(v) + 1);
		lines++;
	}
	fclose(f);
	ck_assert_uint_gt(lines, 700); /* a truncated oracle would prove little */
	return want;
}

START_TEST(test_plate_oracle)
{
	char(*want)[3] = oracle_load();
	unsigned folded = 0;

	for (uint32_t cp = 0x80; cp <= 0x10ffff; cp++) {
		const char *w = cp < ORACLE_CPS ? want[cp] : "";
		char in[8] = "A", exp[8];
		struct outbuf o;
		size_t k;
		int n;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		k = utf8_encode(cp, in + 1);
		in[1 + k] = '1';
		in[2 + k] = '\0';
		n = norm(in, &o);
		if (w[0] == '\0') {
			CHECK(n == HOTLIST_EPLATE, "U+%04X accepted as \"%s\"", cp, o.b);
			continue;
		}
		snprintf(exp, sizeof(exp), "A%s1", w[0] == '-' ? "" : w);
		CHECK(n > 0 && strcmp(o.b, exp) == 0, "U+%04X gave \"%s\" (%d), oracle \"%s\"", cp,
		      n > 0 ? o.b : "", n, exp);
		folded += w[0] != '-';
	}
	/* Latin-1, Extended-A, -B, Additional, fullwidth, Kelvin and Angstrom. */
	ck_assert_uint_gt(folded, 600);
	free(want);
}
END_TEST

/* Upper- and lowercase Latin-1 letters fold alike; fullwidth equals ASCII. */
START_TEST(test_plate_fold_pairs)
{
	for (uint32_t cp = 0xc0; cp <= 0xde; cp++) {
		char up[4] = { 0 }, lo[4] = { 0 };
		struct outbuf a, b;

		if (cp == 0xd7)
			continue;
		utf8_encode(cp, up);
		utf8_encode(cp + 0x20, lo);
		ck_assert_int_gt(norm(up, &a), 0);
		ck_assert_int_gt(norm(lo, &b), 0);
		ck_assert_str_eq(a.b, b.b);
	}
	for (uint32_t c = 0x21; c <= 0x7e; c++) {
		char fw[4] = { 0 }, in[6] = { 'Q', 0 }, asc[4] = { 'Q', (char)c, 0 };
		struct outbuf a, b;

		utf8_encode(0xff01 + (c - 0x21), fw);
		strcat(in, fw);
		ck_assert_int_gt(norm(in, &a), 0);
		ck_assert_int_gt(norm(asc, &b), 0);
		ck_assert_str_eq(a.b, b.b);
	}
}
END_TEST

/* ---- Plates: generated inputs against a model ------------------------------ */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: fixed seed per test, reproducible */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static const struct {
	const char *raw;
	const char *norm;
} pieces[] = {
	{ "a", "A" },	  { "Z", "Z" },	    { "7", "7" },     { "q", "Q" },	{ "0", "0" },
	{ " ", "" },	  { "-", "" },	    { ".", "" },      { "\t", "" },	{ "\u00a0", "" },
	{ "\u00b7", "" }, { "\u2013", "" }, { "\u2009", "" }, { "\ufeff", "" }, { "Ä", "A" },
	{ "ö", "O" },	  { "ß", "SS" },    { "Æ", "AE" },    { "Ł", "L" },	{ "Ｍ", "M" },
	{ "ｍ", "M" },	  { "９", "9" },    { "／", "" },     { "Þ", "TH" },	{ "ž", "Z" },
	{ "ı", "I" },	  { "Ő", "O" },	    { "'", "" },
};

#define MODEL_ROUNDS 100000
#define MODEL_PIECES_MAX 24

START_TEST(test_plate_model)
{
	rng_state = UINT64_C(0x9e3779b97f4a7c15);
	for (int r = 0; r < MODEL_ROUNDS; r++) {
		char raw[MODEL_PIECES_MAX * 4 + 1] = "", want[MODEL_PIECES_MAX * 2 + 1] = "";
		size_t np = rng() % (MODEL_PIECES_MAX + 1);
		struct outbuf o;
		int n, expect;

		for (size_t i = 0; i < np; i++) {
			size_t p = rng() % (sizeof(pieces) / sizeof(pieces[0]));

			strcat(raw, pieces[p].raw);
			strcat(want, pieces[p].norm);
		}
		n = norm(raw, &o);
		expect = strlen(raw) >= HOTLIST_RAW_PLATE_MAX || strlen(want) == 0 ||
					 strlen(want) > HOTLIST_PLATE_MAX ?
				 HOTLIST_EPLATE :
				 (int)strlen(want);
		CHECK(n == expect, "\"%s\": got %d, want %d \"%s\"", raw, n, expect, want);
		if (n > 0)
			CHECK(strcmp(o.b, want) == 0, "\"%s\": got \"%s\" want \"%s\"", raw, o.b,
			      want);
	}
}
END_TEST

/* Random bytes, biased to UTF-8 lead and continuation bytes: bounded output,
 * idempotent, public wrapper agrees and leaves out alone on error. */
START_TEST(test_plate_random_bytes)
{
	static const unsigned char bias[] = { 0xc2, 0xc3, 0xc5, 0xe2, 0xef, 0x80, 0x84,
					      0xa0, 0xbc, 0xbf, 0xf0, ' ',  '-' };

	rng_state = UINT64_C(0x243f6a8885a308d3);
	for (int r = 0; r < MODEL_ROUNDS; r++) {
		char in[80];
		size_t len = rng() % sizeof(in);
		char pub[OUT_SIZE];
		struct outbuf o;
		int n, m;

		for (size_t i = 0; i < len; i++) {
			uint64_t x = rng();

			in[i] = (char)((x & 3) ? (x >> 8) % 255 + 1 :
						 bias[(x >> 8) % sizeof(bias)]);
		}
		in[len] = '\0';
		n = norm(in, &o);
		memset(pub, '#', sizeof(pub));
		m = hotlist_normalise_plate(in, pub);
		CHECK(m == n, "public wrapper disagrees: %d vs %d", m, n);
		if (n > 0)
			CHECK(strcmp(pub, o.b) == 0, "public wrapper output differs");
		else
			CHECK(pub[0] == '#' && pub[OUT_SIZE - 1] == '#', "out touched on error");
	}
}
END_TEST

START_TEST(test_plate_public)
{
	char out[OUT_SIZE];

	memset(out, '#', sizeof(out));
	ck_assert_int_eq(hotlist_normalise_plate(NULL, out), HOTLIST_EPLATE);
	ck_assert_int_eq(hotlist_normalise_plate("", out), HOTLIST_EPLATE);
	ck_assert_int_eq(hotlist_normalise_plate("\xc3", out), HOTLIST_EPLATE);
	ck_assert_int_eq(out[0], '#');
	ck_assert_int_eq(hotlist_normalise_plate("AB", NULL), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist_normalise_plate(" gz-123-b ", out), 6);
	ck_assert_str_eq(out, "GZ123B");
}
END_TEST

/* ---- Keys ------------------------------------------------------------------ */

static struct hl_key pack(const char *p)
{
	struct hl_key k;

	hotlist__key_pack(p, strlen(p), &k);
	return k;
}

START_TEST(test_key_golden)
{
	static const struct {
		const char *plate;
		uint64_t lo;
		uint32_t hi;
	} v[] = {
		{ "0", 0x1, 0x0 },
		{ "Z", 0x24, 0x0 },
		{ "A1", 0x8b, 0x0 },
		{ "GZ123B", UINT64_C(0x3040c2911), 0x0 },
		{ "000000000000000Z", UINT64_C(0x4041041041041041), 0x81041041 },
		{ "0000000000000009", UINT64_C(0xa041041041041041), 0x01041041 },
		{ "000000000000000A", UINT64_C(0xb041041041041041), 0x01041041 },
		{ "ZZZZZZZZZZZZZZZZ", UINT64_C(0x4924924924924924), 0xa4924924 },
		{ "ABCDEFGHIJKLMNOP", UINT64_C(0xa51349140f38d30b), 0x59617595 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct hl_key k = pack(v[i].plate);
		char back[OUT_SIZE];

		ck_assert_msg(k.lo == v[i].lo && k.hi == v[i].hi, "%s: lo %#llx hi %#x", v[i].plate,
			      (unsigned long long)k.lo, (unsigned)k.hi);
		ck_assert_uint_eq(hotlist__key_unpack(&k, back), strlen(v[i].plate));
		ck_assert_str_eq(back, v[i].plate);
	}
}
END_TEST

START_TEST(test_key_eq)
{
	struct hl_key a = pack("AB12"), b = pack("AB12"), c = pack("AB120"), d = pack("A");
	struct hl_key e = pack("A0"), f = pack("BA12");
	struct hl_key x = pack("ABCDEFGHIJKLMNOP"), y = pack("ABCDEFGHIJKLMNOQ");
	struct hl_key z = pack("ABCDEFGHIJKLMNO");

	ck_assert(hl_key_eq(&a, &b));
	ck_assert(!hl_key_eq(&a, &c));
	ck_assert(!hl_key_eq(&d, &e));
	ck_assert(!hl_key_eq(&a, &f));
	ck_assert(!hl_key_eq(&x, &y));
	ck_assert(!hl_key_eq(&x, &z));
	ck_assert(hl_key_eq(&x, &x));
}
END_TEST

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
#define ALPHABET_LEN 36

/* Character 15 alone, through all 36 codes: both split halves matter. */
START_TEST(test_key_last_char)
{
	struct hl_key keys[ALPHABET_LEN];

	for (int c = 0; c < ALPHABET_LEN; c++) {
		char p[OUT_SIZE] = "ZZZZZZZZZZZZZZZ", back[OUT_SIZE];

		p[15] = alphabet[c];
		keys[c] = pack(p);
		ck_assert_uint_eq(hotlist__key_unpack(&keys[c], back), 16);
		ck_assert_str_eq(back, p);
		for (int d = 0; d < c; d++)
			ck_assert(!hl_key_eq(&keys[c], &keys[d]));
	}
}
END_TEST

/* Packing loads words: they must stay within norm[0..len-1]. */
START_TEST(test_key_pack_bounds)
{
	rng_state = UINT64_C(0x5851f42d4c957f2d);
	for (size_t len = 1; len <= HOTLIST_PLATE_MAX; len++) {
		char p[OUT_SIZE] = "", back[OUT_SIZE];
		struct hl_key want, k;

		for (size_t i = 0; i < len; i++)
			p[i] = alphabet[rng() % ALPHABET_LEN];
		hotlist__key_pack(p, len, &want);
		for (int at_end = 0; at_end <= 1; at_end++) {
			struct fence f;
			const char *q = (const char *)fence_place(&f, p, len, at_end);

			hotlist__key_pack(q, len, &k);
			fence_free(&f);
			ck_assert(hl_key_eq(&k, &want));
		}
		ck_assert_uint_eq(hotlist__key_unpack(&want, back), len);
		ck_assert_str_eq(back, p);
	}
}
END_TEST

/* The builder's fast path (hotlist__key_pack_plain) takes a plate iff it
 * is its own normal form, and then gives the key of the general path
 * (normalise, pack), reading no byte past the plate's NUL: random strings
 * of plate characters, lower case, separators, wildcards and UTF-8, each
 * placed against a page that cannot be read. */
START_TEST(test_key_pack_plain_agrees)
{
	static const char mix[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZAB019az -?*.\xc3\xa9";
	char golden_17[] = "ABCDEFGHIJKLMNOPQ";
	struct hl_key k, ab12 = pack("AB12");
	unsigned taken = 0;

	ck_assert_int_eq(hotlist__key_pack_plain("AB12", &k), 4);
	ck_assert(hl_key_eq(&k, &ab12));
	ck_assert_int_eq(hotlist__key_pack_plain("", &k), 0);
	ck_assert_int_eq(hotlist__key_pack_plain("ab12", &k), 0);
	ck_assert_int_eq(hotlist__key_pack_plain("AB-12", &k), 0);
	ck_assert_int_eq(hotlist__key_pack_plain("AB?2", &k), 0);
	ck_assert_int_eq(hotlist__key_pack_plain(golden_17, &k), 0);
	golden_17[16] = '\0';
	ck_assert_int_eq(hotlist__key_pack_plain(golden_17, &k), 16);
	/* every byte in the middle and at either end: taken iff 0-9 or A-Z (a
	 * lone 0x82, its own class in the normaliser's table, was taken) */
	for (unsigned b = 1; b < 256; b++) {
		bool own = (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z');
		char mid[] = { 'A', 'B', (char)b, '2', '\0' }, first[] = { (char)b, '1', '\0' },
		     last[] = { 'Z', '1', 'Z', 'Z', 'Z', 'Z', 'Z', 'Z', 'Z', (char)b, '\0' };

		ck_assert_msg((hotlist__key_pack_plain(mid, &k) > 0) == own, "byte 0x%02x", b);
		ck_assert_msg((hotlist__key_pack_plain(first, &k) > 0) == own, "byte 0x%02x", b);
		ck_assert_msg((hotlist__key_pack_plain(last, &k) > 0) == own, "byte 0x%02x", b);
	}
	/* every byte at every position of every length: the bytes are checked a
	 * word at a time (characters 0..7, then 8..15), so each lane of both
	 * words and the words' edges; a plate taken packs like its general path */
	for (size_t len = 1; len <= HOTLIST_PLATE_MAX; len++)
		for (size_t at = 0; at < len; at++)
			for (unsigned b = 1; b < 256; b++) {
				bool own = (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z');
				char p[HOTLIST_PLATE_MAX + 1];
				for (size_t i = 0; i < len; i++)
					p[i] = "Z09A"[i % 4];
				p[len] = '\0';
				p[at] = (char)b;
				int n = hotlist__key_pack_plain(p, &k);
				ck_assert_msg((n > 0) == own, "len %zu at %zu byte 0x%02x", len, at,
					      b);
				if (own) {
					struct hl_key w = pack(p);
					ck_assert_int_eq(n, (int)len);
					ck_assert(hl_key_eq(&k, &w));
				}
			}
	rng_state = UINT64_C(0x2545f4914f6cdd1d);
	for (int r = 0; r < 20000; r++) {
		char p[24], norm[OUT_SIZE];
		size_t len = rng() % 20;
		int alnum_only = rng() % 2;
		for (size_t i = 0; i < len; i++)
			p[i] = mix[rng() % (alnum_only ? 36 : sizeof(mix) - 1)];
		p[len] = '\0';
		struct fence f;
		const char *q = (const char *)fence_place(&f, p, len + 1, 1);
		struct hl_key got = { 0, 0 };
		int n = hotlist__key_pack_plain(q, &got);
		int want = hotlist__normalise_plate(p, norm);
		fence_free(&f);
		if (want > 0 && strcmp(norm, p) == 0) {
			ck_assert_int_eq(n, want);
			struct hl_key w = pack(norm);
			ck_assert(hl_key_eq(&got, &w));
			taken++;
		} else {
			ck_assert_int_eq(n, 0);
		}
	}
	ck_assert_uint_gt(taken, 5000); /* the fast path was exercised */
}
END_TEST

#define KEYS_PER_LEN 2000

struct plate_key {
	char plate[OUT_SIZE];
	struct hl_key key;
};

static int by_plate(const void *a, const void *b)
{
	return strcmp(((const struct plate_key *)a)->plate, ((const struct plate_key *)b)->plate);
}

static int by_key(const void *a, const void *b)
{
	const struct hl_key *x = &((const struct plate_key *)a)->key;
	const struct hl_key *y = &((const struct plate_key *)b)->key;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

START_TEST(test_key_roundtrip_injective)
{
	size_t total = (size_t)HOTLIST_PLATE_MAX * KEYS_PER_LEN, n = 0, distinct = 0;
	struct plate_key *pk = calloc(total, sizeof(*pk));

	ck_assert_ptr_nonnull(pk);
	rng_state = UINT64_C(0x0123456789abcdef);
	for (size_t len = 1; len <= HOTLIST_PLATE_MAX; len++) {
		for (int r = 0; r < KEYS_PER_LEN; r++, n++) {
			char back[OUT_SIZE];

			for (size_t i = 0; i < len; i++)
				pk[n].plate[i] = alphabet[rng() % ALPHABET_LEN];
			hotlist__key_pack(pk[n].plate, len, &pk[n].key);
			CHECK(pk[n].key.lo || pk[n].key.hi, "zero key for %s", pk[n].plate);
			CHECK(hotlist__key_unpack(&pk[n].key, back) == len &&
				      strcmp(back, pk[n].plate) == 0,
			      "round trip %s -> %s", pk[n].plate, back);
		}
	}
	qsort(pk, n, sizeof(*pk), by_plate);
	for (size_t i = 0; i < n; i++) {
		if (distinct == 0 || strcmp(pk[i].plate, pk[distinct - 1].plate) != 0)
			pk[distinct++] = pk[i];
	}
	ck_assert_uint_gt(distinct, n / 2);
	qsort(pk, distinct, sizeof(*pk), by_key);
	for (size_t i = 1; i < distinct; i++)
		CHECK(!hl_key_eq(&pk[i - 1].key, &pk[i].key), "%s and %s share a key",
		      pk[i - 1].plate, pk[i].plate);
	free(pk);
}
END_TEST

/* ---- Countries ------------------------------------------------------------- */

/* ISO 3166-1 alpha-2, officially assigned (249 codes), written out as a list. */
static const char iso_codes[] =
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN "
	"BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ "
	"DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL "
	"GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM "
	"JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME "
	"MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP "
	"NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD "
	"SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO "
	"TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

static int parse(const char *s, char out[3])
{
	hl_country c = 0xffff;
	int rc = hotlist__parse_country(s, &c);

	if (rc == 0)
		hotlist__country_str(c, out);
	else
		CHECK(c == 0xffff, "output written on error for \"%s\"", s);
	return rc;
}

START_TEST(test_country_golden)
{
	static const struct {
		const char *in;
		const char *out;
	} v[] = {
		{ "nl", "NL" },	 { " NL ", "NL" }, { "Nl", "NL" },  { "\tnL\r\n", "NL" },
		{ "D", "DE" },	 { "d", "DE" },	   { " f ", "FR" }, { "A", "AT" },
		{ "S", "SE" },	 { "UK", "GB" },   { "uk", "GB" },  { "EL", "GR" },
		{ "GB", "GB" },	 { "NLD", "NL" },  { "deu", "DE" }, { " Gbr ", "GB" },
		{ "USA", "US" }, { "CHE", "CH" },  { "NOR", "NO" }, { "BEL", "BE" },
		{ "LUX", "LU" }, { "SVN", "SI" },  { "AQ", "AQ" },  { "ZW", "ZW" },
		{ NULL, "" },	 { "", "" },	   { "  ", "" },    { "\t\r\n\v\f ", "" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[3] = "##";

		ck_assert_msg(parse(v[i].in, out) == 0, "\"%s\" refused", v[i].in);
		ck_assert_str_eq(out, v[i].out);
	}
}
END_TEST

START_TEST(test_country_reject)
{
	static const char *const bad[] = {
		"XX",	  "N1",		"NLD?", "N L", "NLDX", "NEDERLAND", "Q",     "V",   "Z",
		"ZZ",	  "AA",		"EU",	"XK",  "ÄT",   "1",	    "-",     "NL.", ".NL",
		"NL\x01", "\xc2\xa0NL", "NLL",	"XYZ", "FRX",  "  NL  X",   "NL NL",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[3] = "##";

		ck_assert_msg(parse(bad[i], out) == HOTLIST_ECOUNTRY, "\"%s\" accepted as %s",
			      bad[i], out);
	}
}
END_TEST

START_TEST(test_country_all_pairs)
{
	int accepted = 0;

	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			char in[3] = { a, b, 0 },
			     lower[3] = { (char)(a | 0x20), (char)(b | 0x20), 0 };
			char out[3] = "##", out2[3] = "##";
			int listed = strstr(iso_codes, in) != NULL;
			int alias = strcmp(in, "UK") == 0 || strcmp(in, "EL") == 0;
			int rc = parse(in, out);

			CHECK(rc == ((listed || alias) ? 0 : HOTLIST_ECOUNTRY), "%s: %d", in, rc);
			CHECK(parse(lower, out2) == rc, "%s: case matters", lower);
			if (listed) {
				CHECK(strcmp(out, in) == 0 && strcmp(out2, in) == 0, "%s -> %s", in,
				      out);
				accepted++;
			}
		}
	}
	ck_assert_int_eq(accepted, 249);
}
END_TEST

START_TEST(test_country_one_letter)
{
	static const char *const want[26] = {
		['A' - 'A'] = "AT", ['B' - 'A'] = "BE", ['D' - 'A'] = "DE", ['E' - 'A'] = "ES",
		['F' - 'A'] = "FR", ['H' - 'A'] = "HU", ['I' - 'A'] = "IT", ['L' - 'A'] = "LU",
		['M' - 'A'] = "MT", ['N' - 'A'] = "NO", ['P' - 'A'] = "PT", ['S' - 'A'] = "SE",
	};

	for (int i = 0; i < 26; i++) {
		char in[2] = { (char)('A' + i), 0 }, out[3] = "##";
		int rc = parse(in, out);

		if (want[i]) {
			ck_assert_int_eq(rc, 0);
			ck_assert_str_eq(out, want[i]);
		} else {
			ck_assert_msg(rc == HOTLIST_ECOUNTRY, "%s accepted", in);
		}
	}
}
END_TEST

START_TEST(test_country_str_public)
{
	char out[3] = "##";

	hotlist__country_str(0, out);
	ck_assert_str_eq(out, "");
	hotlist__country_str((hl_country)('N' << 8 | 'L'), out);
	ck_assert_str_eq(out, "NL");

	memcpy(out, "##", 3);
	ck_assert_int_eq(hotlist_normalise_country("XX", out), HOTLIST_ECOUNTRY);
	ck_assert_str_eq(out, "##");
	ck_assert_int_eq(hotlist_normalise_country(" nl ", out), 0);
	ck_assert_str_eq(out, "NL");
	ck_assert_int_eq(hotlist_normalise_country(NULL, out), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(hotlist_normalise_country("NL", NULL), HOTLIST_EINVAL);
}
END_TEST

static Suite *normalise_suite(void)
{
	Suite *s = suite_create("normalise");
	TCase *plate = tcase_create("plate");
	TCase *key = tcase_create("key");
	TCase *country = tcase_create("country");

	tcase_add_test(plate, test_plate_golden);
	tcase_add_test(plate, test_plate_reject);
	tcase_add_test(plate, test_plate_no_overread);
	tcase_add_test(plate, test_plate_key_every_length);
	tcase_add_test(plate, test_plate_oracle);
	tcase_add_test(plate, test_plate_fold_pairs);
	tcase_add_test(plate, test_plate_model);
	tcase_add_test(plate, test_plate_random_bytes);
	tcase_add_test(plate, test_plate_public);
	tcase_add_test(key, test_key_golden);
	tcase_add_test(key, test_key_eq);
	tcase_add_test(key, test_key_last_char);
	tcase_add_test(key, test_key_pack_bounds);
	tcase_add_test(key, test_key_pack_plain_agrees);
	tcase_add_test(key, test_key_roundtrip_injective);
	tcase_add_test(country, test_country_golden);
	tcase_add_test(country, test_country_reject);
	tcase_add_test(country, test_country_all_pairs);
	tcase_add_test(country, test_country_one_letter);
	tcase_add_test(country, test_country_str_public);
	suite_add_tcase(s, plate);
	suite_add_tcase(s, key);
	suite_add_tcase(s, country);
	return s;
}

int main(void)
{
	return hl_test_run(normalise_suite());
}
