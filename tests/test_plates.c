/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/plates.c: country plate-format rules and read repair.
 * Golden vectors per country (the NL ones from kenteken-kit's examples,
 * MIT), every real Dutch plate of ../shared/data when it is there, repairs
 * made and refused as ambiguous, bounded reads and writes, and properties:
 * every generated plate of a country's layouts fits; every repair (of
 * corrupted plates, of random confusable strings, of every string of 1-3
 * characters) fits, is not the read itself, and differs from the read only
 * by confusion pairs; the verdict never depends on whether a repair is asked
 * for.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "normalise.h"
#include "plates.h"

#include <check.h>

#include "testutil.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CC(s) ((hl_country)(((s)[0] << 8) | (s)[1]))
#define NL CC("NL")
#define BE CC("BE")
#define FR CC("FR")
#define DE CC("DE")
#define LU CC("LU")

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define GUARD_BYTE 0x5a
#define GUARD_SIZE 8

/* Verdict for a plate as written (no repair asked for). */
static enum hl_format verdict(hl_country c, const char *p)
{
	return hotlist__plate_format(c, p, strlen(p), NULL, NULL);
}

/* Call with a repair buffer; returns the verdict, fills rep ("" if none). */
static enum hl_format check_rep(hl_country c, const char *p, char *rep, int *did)
{
	char buf[HOTLIST_PLATE_MAX + 1 + GUARD_SIZE];
	size_t n = strlen(p);
	enum hl_format f;

	memset(buf, GUARD_BYTE, sizeof(buf));
	*did = -1;
	f = hotlist__plate_format(c, p, n, buf, did);
	for (size_t i = *did == 1 ? n + 1 : 0; i < sizeof(buf); i++)
		CHECK((unsigned char)buf[i] == GUARD_BYTE, "%s: byte %zu of repaired written", p,
		      i);
	if (*did == 1) {
		CHECK(buf[n] == '\0', "%s: repair not terminated", p);
		memcpy(rep, buf, n + 1);
	} else {
		rep[0] = '\0';
	}
	return f;
}

struct golden {
	const char *plate;
	enum hl_format verdict;
	const char *repair; /* NULL: no repair made */
};

static void run_golden(hl_country c, const struct golden *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char rep[HOTLIST_PLATE_MAX + 1];
		int did;
		enum hl_format f = check_rep(c, g[i].plate, rep, &did);

		ck_assert_msg(f == g[i].verdict, "%s: verdict %d, want %d", g[i].plate, f,
			      g[i].verdict);
		ck_assert_msg(did == (g[i].repair != NULL), "%s: did_repair %d (repair %s)",
			      g[i].plate, did, rep);
		if (g[i].repair)
			ck_assert_str_eq(rep, g[i].repair);
		/* Without a buffer: the same verdict, nothing repaired. */
		ck_assert_int_eq(verdict(c, g[i].plate), g[i].verdict);
	}
}

/* ---- Countries without rules ------------------------------------------------- */

START_TEST(test_unknown_country)
{
	static const hl_country others[] = { 0, CC("GB"), CC("XX"), CC("nl"), CC("US"), 0xffff };
	static const char *const plates[] = { "HJ1234", "AB123CD", "O", "", "AB-12" };

	for (size_t i = 0; i < ARRAY_LEN(others); i++) {
		for (size_t k = 0; k < ARRAY_LEN(plates); k++) {
			char rep[HOTLIST_PLATE_MAX + 1];
			int did;

			ck_assert_int_eq(check_rep(others[i], plates[k], rep, &did),
					 HL_FORMAT_UNKNOWN);
			ck_assert_int_eq(did, 0);
		}
	}
}
END_TEST

/* ---- NL ----------------------------------------------------------------------- */

START_TEST(test_nl_golden)
{
	static const struct golden g[] = {
		/* kenteken-kit examples, one per sidecode 1-14 */
		{ "HJ1234", HL_FORMAT_YES, NULL },
		{ "1234HJ", HL_FORMAT_YES, NULL },
		{ "12HJ34", HL_FORMAT_YES, NULL },
		{ "HJ12KL", HL_FORMAT_YES, NULL },
		{ "HJKL12", HL_FORMAT_YES, NULL },
		{ "12HJKL", HL_FORMAT_YES, NULL },
		{ "12HJK3", HL_FORMAT_YES, NULL },
		{ "1HJK23", HL_FORMAT_YES, NULL },
		{ "HJ123K", HL_FORMAT_YES, NULL },
		{ "G001BB", HL_FORMAT_YES, NULL },
		{ "HJK12L", HL_FORMAT_YES, NULL },
		{ "H12JKL", HL_FORMAT_YES, NULL },
		{ "1HJ234", HL_FORMAT_YES, NULL },
		{ "123HJ4", HL_FORMAT_YES, NULL },
		/* kenteken-kit invalid: too short, too long, no such sidecode */
		{ "AB12", HL_FORMAT_NO, NULL },
		{ "AB123456", HL_FORMAT_NO, NULL },
		{ "ABC123", HL_FORMAT_NO, NULL },
		/* kenteken-kit forbidden combinations; some repair to another sidecode */
		{ "99GVD9", HL_FORMAT_NO, NULL },
		{ "99KKK9", HL_FORMAT_NO, NULL },
		{ "99NSB9", HL_FORMAT_NO, "99NS89" }, /* 99-NS-89 (3) */
		{ "99PKK9", HL_FORMAT_NO, NULL },
		{ "99PSV9", HL_FORMAT_NO, NULL },
		{ "99TBS9", HL_FORMAT_NO, "99TB59" }, /* 99-TB-59 (3) */
		{ "SS1212", HL_FORMAT_NO, NULL }, /* 55IZ12 and 5512IZ: ambiguous */
		{ "12SD34", HL_FORMAT_NO, NULL },
		{ "99PVV9", HL_FORMAT_NO, NULL },
		{ "99SGP9", HL_FORMAT_NO, "995GP9" }, /* 995-GP-9 (14) */
		{ "99VVD9", HL_FORMAT_NO, "99VV09" },
		{ "99FVD9", HL_FORMAT_NO, "99FV09" },
		{ "99BBB9", HL_FORMAT_NO, NULL },
		/* kenteken.tv's KVT and LPF; SS inside a three-letter group */
		{ "99KVT9", HL_FORMAT_NO, NULL },
		{ "L999PF", HL_FORMAT_YES, NULL }, /* L-999-PF: LPF spans two groups */
		{ "99LPF9", HL_FORMAT_NO, NULL },
		{ "99HSS9", HL_FORMAT_NO, "99HS59" },
		/* letter sets: vowels, C, Q never from sidecode 4; old series broad */
		{ "12HAK3", HL_FORMAT_NO, NULL },
		{ "HJ123C", HL_FORMAT_NO, NULL },
		{ "AE1234", HL_FORMAT_YES, NULL },
		{ "QE1234", HL_FORMAT_NO, NULL },
		/* category first letters O, M, W; only first */
		{ "OB12NX", HL_FORMAT_YES, NULL },
		{ "MZ123B", HL_FORMAT_YES, NULL },
		{ "W123BB", HL_FORMAT_YES, NULL },
		{ "12OBB3", HL_FORMAT_YES, NULL },
		{ "BO12NX", HL_FORMAT_NO, NULL },
		{ "AX12NX", HL_FORMAT_NO, NULL }, /* A (royal AA) is not modelled */
		{ "HJ12MX", HL_FORMAT_NO, NULL },
		/* separators and lower case are the normaliser's job */
		{ "HJ-12-34", HL_FORMAT_NO, NULL },
		{ "hj1234", HL_FORMAT_NO, NULL },
	};

	run_golden(NL, g, ARRAY_LEN(g));
}
END_TEST

START_TEST(test_nl_repair)
{
	static const struct golden g[] = {
		{ "34HJ7O", HL_FORMAT_NO, "34HJ70" }, /* 99-XX-99, O in a digit slot */
		{ "34HJ7D", HL_FORMAT_NO, "34HJ70" }, /* D in a digit slot */
		{ "HJ1Z3K", HL_FORMAT_NO, "HJ123K" }, /* Z in a digit slot */
		{ "H8123K", HL_FORMAT_NO, "HB123K" }, /* 8 in a letter slot */
		{ "HJI23K", HL_FORMAT_NO, "HJ123K" }, /* I in a digit slot */
		{ "7HJK4S", HL_FORMAT_NO, "7HJK45" }, /* S in a digit slot */
		/* 0 in a letter slot that is not first: O and Q never, so D */
		{ "12H0K3", HL_FORMAT_NO, "12HDK3" },
		/* ambiguous: two different plates fit */
		{ "GZ12OB", HL_FORMAT_NO, NULL }, /* GZ-12-08 (1) and GZ-120-B (9) */
		{ "12HJ3O", HL_FORMAT_NO, NULL }, /* 12-HJ-30 (3) and 1-ZHJ-30 (8) */
		{ "0B123K", HL_FORMAT_NO, NULL }, /* first letter O (trailer) or D */
		/* nothing confusable to swap */
		{ "12HJKE", HL_FORMAT_NO, NULL },
	};

	run_golden(NL, g, ARRAY_LEN(g));
}
END_TEST

/* Every real registration in ../shared/data fits; skipped when absent. */
START_TEST(test_nl_real_plates)
{
	const char *dir = getenv("HOTLIST_SHARED_DATA");
	char path[4096], line[512];
	size_t n = 0, lineno = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/plates/nl_plates.csv",
		 dir && *dir ? dir : "../shared/data");
	f = fopen(path, "r");
	if (!f) {
		printf("test_nl_real_plates: %s absent, skipped\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char norm[HOTLIST_PLATE_MAX + 1], *comma = strchr(line, ',');
		int len;

		if (lineno++ == 0 || !comma)
			continue; /* header */
		CHECK(strncmp(comma + 1, "NL", 2) == 0, "line %zu: not NL", lineno);
		*comma = '\0';
		len = hotlist__normalise_plate(line, norm);
		CHECK(len > 0, "line %zu: %s does not normalise", lineno, line);
		CHECK(hotlist__plate_format(NL, norm, (size_t)len, NULL, NULL) == HL_FORMAT_YES,
		      "line %zu: %s does not fit NL", lineno, norm);
		n++;
	}
	fclose(f);
	ck_assert_uint_gt(n, 2000); /* the file has 2,795 */
}
END_TEST

/* ---- BE ----------------------------------------------------------------------- */

START_TEST(test_be)
{
	static const struct golden g[] = {
		{ "1ABC234", HL_FORMAT_YES, NULL }, /* EU format */
		{ "2XYZ987", HL_FORMAT_YES, NULL },
		{ "0ABC234", HL_FORMAT_NO, NULL }, /* index digit 1-9 */
		{ "1ABO234", HL_FORMAT_NO, NULL }, /* O unused */
		{ "MABC123", HL_FORMAT_YES, NULL }, /* category index letter */
		{ "TXAB123", HL_FORMAT_YES, NULL },
		{ "ZABC123", HL_FORMAT_YES, NULL },
		{ "AABC123", HL_FORMAT_NO, NULL },
		{ "ABC123", HL_FORMAT_YES, NULL }, /* code 11 */
		{ "ABC000", HL_FORMAT_NO, NULL }, /* 000 not issued */
		{ "123ABC", HL_FORMAT_YES, NULL }, /* code 12 */
		{ "AB123", HL_FORMAT_YES, NULL }, /* codes 6-10 */
		{ "1AB23", HL_FORMAT_YES, NULL },
		{ "A123B", HL_FORMAT_YES, NULL },
		{ "AI123", HL_FORMAT_NO, NULL }, /* no I in codes 6-10 */
		{ "B1234", HL_FORMAT_YES, NULL }, /* codes 1-5 */
		{ "1234B", HL_FORMAT_YES, NULL },
		{ "P1234", HL_FORMAT_NO, NULL }, /* no A, I, O, P, Q in codes 1-5 */
		{ "AB1234", HL_FORMAT_NO, "ABI234" }, /* code 11 */
		{ "1ABC23O", HL_FORMAT_NO, "1ABC230" },
		{ "IABC234", HL_FORMAT_NO, "1ABC234" },
		{ "1A8C234", HL_FORMAT_NO, "1ABC234" },
		{ "1ABC2Z4", HL_FORMAT_NO, "1ABC224" },
		{ "B12O4", HL_FORMAT_NO, NULL }, /* B.1204 (code 1) or 81.Z.04 (code 3) */
	};

	run_golden(BE, g, ARRAY_LEN(g));
}
END_TEST

/* ---- FR ----------------------------------------------------------------------- */

START_TEST(test_fr)
{
	static const struct golden g[] = {
		{ "AB123CD", HL_FORMAT_YES, NULL }, /* SIV */
		{ "WW123AB", HL_FORMAT_YES, NULL }, /* SIV temporary */
		{ "W123AB", HL_FORMAT_YES, NULL }, /* SIV garage */
		{ "AI123CD", HL_FORMAT_NO, NULL }, /* no I, O, U */
		{ "AB123OD", HL_FORMAT_NO, NULL },
		{ "AU123CD", HL_FORMAT_NO, NULL },
		{ "SS123AB", HL_FORMAT_NO, NULL }, /* no SS */
		{ "AB123SS", HL_FORMAT_NO, NULL },
		{ "AB000CD", HL_FORMAT_NO, NULL }, /* 001-999 */
		{ "1234AB75", HL_FORMAT_YES, NULL }, /* FNI */
		{ "1AB01", HL_FORMAT_YES, NULL },
		{ "123ABC2A", HL_FORMAT_YES, NULL },
		{ "12AB974", HL_FORMAT_YES, NULL },
		{ "12AU69", HL_FORMAT_YES, NULL }, /* U before 1984 */
		{ "12AB99", HL_FORMAT_NO, NULL }, /* no département 99 */
		{ "12AB00", HL_FORMAT_NO, NULL },
		{ "12AB3A", HL_FORMAT_NO, NULL },
		{ "12AB977", HL_FORMAT_NO, NULL },
		{ "12SS75", HL_FORMAT_NO, NULL }, /* SS, TT, WW left out */
		{ "12TT75", HL_FORMAT_NO, "1ZTT75" }, /* 1 ZTT 75 */
		{ "1AZF31", HL_FORMAT_NO, NULL }, /* AZF skipped in 31 */
		{ "1AZF32", HL_FORMAT_YES, NULL },
		{ "12345AB75", HL_FORMAT_NO, "1234SAB75" },
		{ "AB1Z3CD", HL_FORMAT_NO, "AB123CD" },
		{ "A8123CD", HL_FORMAT_NO, "AB123CD" },
		{ "AB12JCD", HL_FORMAT_NO, NULL }, /* J is confusable with nothing */
		{ "AB1230D", HL_FORMAT_NO, NULL }, /* 0 -> D or Q: ambiguous */
	};

	run_golden(FR, g, ARRAY_LEN(g));
}
END_TEST

/* ---- DE ----------------------------------------------------------------------- */

/* Normalise raw text (separators, umlauts) and check it. */
static enum hl_format de_raw(const char *raw, char *norm)
{
	int len = hotlist__normalise_plate(raw, norm);

	ck_assert_int_gt(len, 0);
	return hotlist__plate_format(DE, norm, (size_t)len, NULL, NULL);
}

START_TEST(test_de_splits_and_umlauts)
{
	char a[HOTLIST_PLATE_MAX + 1], b[HOTLIST_PLATE_MAX + 1];

	/* B-AB 123 (Berlin) and BA-B 123 (Bamberg): one string, fits. */
	ck_assert_int_eq(de_raw("B-AB 123", a), HL_FORMAT_YES);
	ck_assert_int_eq(de_raw("BA-B 123", b), HL_FORMAT_YES);
	ck_assert_str_eq(a, b);
	/* Only the district list makes these fit: HH (no H-HA split works),
	 * DUW (three letters), X; QQ and BX are no districts. */
	ck_assert_int_eq(de_raw("HH-AB 123", a), HL_FORMAT_YES);
	ck_assert_int_eq(de_raw("QQ-AB 123", a), HL_FORMAT_NO);
	ck_assert_int_eq(de_raw("BX-AB 123", a), HL_FORMAT_NO);
	ck_assert_int_eq(de_raw("BXY-A 12", a), HL_FORMAT_NO);
	ck_assert_int_eq(de_raw("X-A 1", a), HL_FORMAT_YES);
	/* Umlaut districts normalise to A, O, U. */
	ck_assert_int_eq(de_raw("TÜ-AB 123", a), HL_FORMAT_YES);
	ck_assert_str_eq(a, "TUAB123");
	ck_assert_int_eq(de_raw("DÜW-X 12E", a), HL_FORMAT_YES);
	ck_assert_int_eq(de_raw("LÖ-A 1", a), HL_FORMAT_YES);
	ck_assert_int_eq(de_raw("SÄK-AB 12", a), HL_FORMAT_YES);
	ck_assert_int_eq(de_raw("ÖHR-Z 99", a), HL_FORMAT_YES);
}
END_TEST

START_TEST(test_de_golden)
{
	static const struct golden g[] = {
		{ "MAB123E", HL_FORMAT_YES, NULL }, /* electric */
		{ "MAB123H", HL_FORMAT_YES, NULL }, /* historic */
		{ "MAB123X", HL_FORMAT_NO, NULL },
		{ "MAB1234E", HL_FORMAT_YES, NULL }, /* 8 with the suffix */
		{ "KLEAB123", HL_FORMAT_YES, NULL },
		{ "KLEAB1234", HL_FORMAT_NO, NULL }, /* 9 characters */
		{ "KLEA123E", HL_FORMAT_YES, NULL },
		{ "MAB12345", HL_FORMAT_NO, NULL }, /* number 1-9999 */
		{ "MAB0123", HL_FORMAT_NO, NULL }, /* no leading zero */
		{ "MA1", HL_FORMAT_YES, NULL },
		{ "MABC1", HL_FORMAT_YES, NULL }, /* MA-BC 1 and MAB-C 1 */
		{ "M123", HL_FORMAT_NO, NULL }, /* letters 1-2 required */
		{ "MAB34O7", HL_FORMAT_NO, "MAB3407" }, /* O in a digit slot */
		{ "8XY347", HL_FORMAT_NO, "BXY347" }, /* 8 in the district */
		/* 0 in the district: O, D or Q, and the list keeps one */
		{ "0AHXY347", HL_FORMAT_NO, "DAHXY347" }, /* DAH; no OAH, QAH */
		{ "0ALXY3", HL_FORMAT_NO, "OALXY3" }, /* OAL; no DAL, QAL */
		{ "MAB12O4", HL_FORMAT_NO, NULL }, /* M-AB 1204 or MA-BI 204 */
		{ "B0A123", HL_FORMAT_NO, NULL }, /* BOA / BDA / BQA */
	};

	run_golden(DE, g, ARRAY_LEN(g));
}
END_TEST

/* ---- LU ----------------------------------------------------------------------- */

START_TEST(test_lu)
{
	static const struct golden g[] = {
		{ "AB1234", HL_FORMAT_YES, NULL }, { "XY0008", HL_FORMAT_YES, NULL },
		{ "AB12", HL_FORMAT_YES, NULL },   { "1234", HL_FORMAT_YES, NULL },
		{ "12345", HL_FORMAT_YES, NULL },  { "AB123", HL_FORMAT_YES, NULL },
		{ "A1234", HL_FORMAT_YES, NULL },  { "123", HL_FORMAT_YES, NULL },
		{ "ABC123", HL_FORMAT_NO, NULL },  { "AB12345", HL_FORMAT_NO, NULL },
		{ "12", HL_FORMAT_NO, NULL },	   { "AB12O4", HL_FORMAT_NO, "AB1204" },
		{ "A812", HL_FORMAT_NO, "AB12" },  { "8B123", HL_FORMAT_NO, NULL },
	};

	run_golden(LU, g, ARRAY_LEN(g));
}
END_TEST

/* ---- Bounds -------------------------------------------------------------------- */

START_TEST(test_lengths_and_alphabet)
{
	static const hl_country all[] = { NL, BE, FR, DE, LU };
	char long_plate[] = "ABCDEFGHJK123456789";

	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		char rep[HOTLIST_PLATE_MAX + 1];
		int did;

		ck_assert_int_eq(hotlist__plate_format(all[i], "", 0, rep, &did), HL_FORMAT_NO);
		ck_assert_int_eq(did, 0);
		for (size_t n = HOTLIST_PLATE_MAX + 1; n <= strlen(long_plate); n++) {
			ck_assert_int_eq(hotlist__plate_format(all[i], long_plate, n, rep, &did),
					 HL_FORMAT_NO);
			ck_assert_int_eq(did, 0);
		}
	}
	/* Characters outside A-Z0-9 fit no slot and are never swapped. */
	ck_assert_int_eq(verdict(LU, "AB 234"), HL_FORMAT_NO);
	ck_assert_int_eq(verdict(NL, "HJ12\xc3\x9c"), HL_FORMAT_NO);
	ck_assert_int_eq(verdict(LU, "ab1234"), HL_FORMAT_NO);
}
END_TEST

/* The plate is read through norm[0..len-1] only: a plate ending right before
 * an inaccessible page, and a plate followed by characters that would change
 * the verdict. */
START_TEST(test_never_reads_past_len)
{
	static const struct {
		hl_country c;
		const char *p;
	} cases[] = { { NL, "HJ1234" },	  { NL, "34HJ7O" },  { BE, "1ABC23O" },
		      { FR, "123ABC2A" }, { FR, "AB1Z3CD" }, { DE, "KLEA123E" },
		      { DE, "MAB34O7" },  { LU, "AB12O4" },  { LU, "123" } };
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		size_t n = strlen(cases[i].p);
		char *at = map + page - n, rep[HOTLIST_PLATE_MAX + 1], with_tail[32];
		int did, did2;
		enum hl_format f, f2;

		memcpy(at, cases[i].p, n); /* no NUL: the next byte faults */
		f = hotlist__plate_format(cases[i].c, at, n, rep, &did);
		snprintf(with_tail, sizeof(with_tail), "%sZZ9", cases[i].p);
		f2 = hotlist__plate_format(cases[i].c, with_tail, n, rep, &did2);
		ck_assert_int_eq(f, f2);
		ck_assert_int_eq(did, did2);
		ck_assert(f == HL_FORMAT_YES || did == 1);
	}
	munmap(map, (size_t)page * 2);
}
END_TEST

/* ---- Properties over generated plates ---------------------------------------- */

/* splitmix64: a fixed-seed generator, so failures replay. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static char pick(uint64_t *s, const char *set)
{
	return set[rng_next(s) % strlen(set)];
}

/*
 * Fill a shape: '9' digit, '1' digit 1-9, 'L' letter from `letters`, 'F' from
 * `first`, anything else copied. The letter sets below are written from the
 * rules independently of lib/plates.c, and avoid the banned groups.
 */
static void fill_shape(uint64_t *s, const char *shape, const char *letters, const char *first,
		       char *out)
{
	size_t i = 0;

	for (; shape[i]; i++) {
		switch (shape[i]) {
		case '9':
			out[i] = pick(s, "0123456789");
			break;
		case '1':
			out[i] = pick(s, "123456789");
			break;
		case 'L':
			out[i] = pick(s, letters);
			break;
		case 'F':
			out[i] = pick(s, first);
			break;
		default:
			out[i] = shape[i];
		}
	}
	out[i] = '\0';
}

/* NL letters that form no banned group (every banned group has a letter
 * outside H J R X Z), plus the first-letter categories O M W. */
#define NL_SAFE "HJRXZ"
#define NL_SAFE_FIRST "HJRXZOMW"
#define NL_OLD_SAFE "AEHIJRUXYZ" /* sidecodes 1-3: vowels too */

static void gen_nl(uint64_t *s, char *out)
{
	static const char *const shapes[] = { "FL99LL", "FLLL99", "99FLLL", "99FLL9",
					      "9FLL99", "FL999L", "F999LL", "FLL99L",
					      "F99LLL", "9FL999", "999FL9" };
	static const char *const old[] = { "LL9999", "9999LL", "99LL99" };
	uint64_t r = rng_next(s) % (ARRAY_LEN(shapes) + ARRAY_LEN(old));

	if (r < ARRAY_LEN(shapes))
		fill_shape(s, shapes[r], NL_SAFE, NL_SAFE_FIRST, out);
	else
		fill_shape(s, old[r - ARRAY_LEN(shapes)], NL_OLD_SAFE, "", out);
}

static void gen_be(uint64_t *s, char *out)
{
	static const struct {
		const char *shape, *letters, *first;
	} shapes[] = {
		{ "1LLL999", "ABCDEFGHIJKLMNPQRSTUVWXYZ", "" },
		{ "FLLL999", "ABCDEFGHIJKLMNPQRSTUVWXYZ", "MOQTGSYZV" },
		{ "999LLL", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "" },
		{ "LLL1FF", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "123456789" }, /* not 000 */
		{ "LL999", "BCDEFGHJKLMNPRSTUVWXYZ", "" },
		{ "9LL99", "BCDEFGHJKLMNPRSTUVWXYZ", "" },
		{ "99LL9", "BCDEFGHJKLMNPRSTUVWXYZ", "" },
		{ "999LL", "BCDEFGHJKLMNPRSTUVWXYZ", "" },
		{ "L999L", "BCDEFGHJKLMNPRSTUVWXYZ", "" },
		{ "L9999", "BCDEFGHJKLMNRSTUVWXYZ", "" },
		{ "9L999", "BCDEFGHJKLMNRSTUVWXYZ", "" },
		{ "99L99", "BCDEFGHJKLMNRSTUVWXYZ", "" },
		{ "999L9", "BCDEFGHJKLMNRSTUVWXYZ", "" },
		{ "9999L", "BCDEFGHJKLMNRSTUVWXYZ", "" },
	};
	size_t r = rng_next(s) % ARRAY_LEN(shapes);

	fill_shape(s, shapes[r].shape, shapes[r].letters, shapes[r].first, out);
}

static void gen_fr(uint64_t *s, char *out)
{
	static const char *const deps[] = { "01", "13", "2A",  "2B",  "31", "59",
					    "75", "95", "971", "974", "976" };
	/* SIV letters without S (no SS), number 100-999 (never 000); FNI
	 * letters without F, S, T, W (no SS, TT, WW, AZF). */
	const char *siv = "ABCDEFGHJKLMNPQRTVWXYZ", *fni = "ABCDEGHJKLMNPQRUVXYZ";
	uint64_t r = rng_next(s) % 3;
	char shape[16];

	if (r == 0) {
		fill_shape(s, "LL199LL", siv, "", out);
	} else if (r == 1) {
		fill_shape(s, "W199LL", siv, "", out);
	} else {
		size_t nn = 1 + rng_next(s) % 4, nl = 1 + rng_next(s) % 3;

		snprintf(shape, sizeof(shape), "%.*s%.*s", (int)nn, "9999", (int)nl, "LLL");
		fill_shape(s, shape, fni, "", out);
		strcat(out, deps[rng_next(s) % ARRAY_LEN(deps)]);
	}
}

static void gen_de(uint64_t *s, char *out)
{
	/* Real districts, folded as the normaliser folds umlauts. */
	static const char *const districts[] = { "B",  "HH", "M",   "K",   "KLE", "BOR",
						 "TU", "MU", "LO",  "DUW", "SAK", "OHR",
						 "X",  "Y",  "MAB", "ZW" };
	const char *d = districts[rng_next(s) % ARRAY_LEN(districts)];
	size_t nl = 1 + rng_next(s) % 2, room = 8 - strlen(d) - nl;
	size_t sfx = room > 1 && rng_next(s) % 4 == 0;
	size_t nn = 1 + rng_next(s) % (room - sfx < 4 ? room - sfx : 4);
	char shape[16];

	snprintf(shape, sizeof(shape), "%.*s1%.*s%s", (int)nl, "LL", (int)(nn - 1), "999",
		 sfx ? (rng_next(s) & 1 ? "E" : "H") : "");
	strcpy(out, d);
	fill_shape(s, shape, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "", out + strlen(d));
}

static void gen_lu(uint64_t *s, char *out)
{
	static const char *const shapes[] = { "LL9999", "LL99", "LL999", "L9999",
					      "99999",	"9999", "999" };

	fill_shape(s, shapes[rng_next(s) % ARRAY_LEN(shapes)], "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "",
		   out);
}

static const struct {
	const char *name;
	void (*gen)(uint64_t *s, char *out);
} gens[] = { { "NL", gen_nl },
	     { "BE", gen_be },
	     { "FR", gen_fr },
	     { "DE", gen_de },
	     { "LU", gen_lu } };

#define PROPERTY_PLATES 4000 /* per country: every shape many times, well under a second */

START_TEST(test_generated_plates_fit)
{
	uint64_t seed = 0x706c61746573ULL + (uint64_t)_i;
	hl_country c = CC(gens[_i].name);

	for (int k = 0; k < PROPERTY_PLATES; k++) {
		char p[32];

		gens[_i].gen(&seed, p);
		CHECK(verdict(c, p) == HL_FORMAT_YES, "%s %s does not fit", gens[_i].name, p);
	}
}
END_TEST

/* The confusion partners of c, as the spec lists them. */
static const char *partners_of(char c)
{
	switch (c) {
	case '0':
		return "ODQ";
	case 'O':
	case 'D':
	case 'Q':
		return "0";
	case '1':
		return "I";
	case 'I':
		return "1";
	case '2':
		return "Z";
	case 'Z':
		return "2";
	case '5':
		return "S";
	case 'S':
		return "5";
	case '6':
		return "G";
	case 'G':
		return "6";
	case '8':
		return "B";
	case 'B':
		return "8";
	default:
		return NULL;
	}
}

/* A repair made for read: not the read, same length, fits, and differs from
 * the read only by confusion pairs. */
static void check_repair(hl_country c, const char *read, const char *rep)
{
	size_t n = strlen(read);

	CHECK(strcmp(rep, read) != 0, "%s: repaired to itself", read);
	CHECK(strlen(rep) == n, "%s -> %s: length", read, rep);
	CHECK(verdict(c, rep) == HL_FORMAT_YES, "%s -> %s: repair does not fit", read, rep);
	for (size_t i = 0; i < n; i++)
		CHECK(rep[i] == read[i] ||
			      (partners_of(read[i]) && strchr(partners_of(read[i]), rep[i])),
		      "%s -> %s: position %zu is no confusion", read, rep, i);
}

/*
 * Corrupt generated plates by one or two confusion swaps. Whenever a repair
 * is made: the read did not fit, the repair fits, has the same length, and
 * differs from the read only by confusion pairs. Some repairs must give the
 * plate back (else repair would be dead code).
 */
START_TEST(test_repairs_are_confusions)
{
	uint64_t seed = 0x726570616972ULL + (uint64_t)_i;
	hl_country c = CC(gens[_i].name);
	unsigned repaired = 0, recovered = 0;

	for (int k = 0; k < PROPERTY_PLATES; k++) {
		char p[32], read[32], rep[HOTLIST_PLATE_MAX + 1];
		size_t n, swaps = 1 + rng_next(&seed) % 2;
		int did;
		enum hl_format f;

		gens[_i].gen(&seed, p);
		n = strlen(p);
		memcpy(read, p, n + 1);
		for (size_t t = 0; t < swaps; t++) {
			size_t at = rng_next(&seed) % n;
			const char *alt = partners_of(read[at]);

			if (alt)
				read[at] = pick(&seed, alt);
		}
		f = check_rep(c, read, rep, &did);
		if (!did)
			continue;
		repaired++;
		recovered += strcmp(rep, p) == 0;
		CHECK(f == HL_FORMAT_NO, "%s: repaired a read that fits", read);
		check_repair(c, read, rep);
	}
	printf("%s: %u of %d corrupted reads repaired, %u to the original plate\n", gens[_i].name,
	       repaired, PROPERTY_PLATES, recovered);
	ck_assert_uint_gt(recovered, 0);
}
END_TEST

#define RANDOM_READS 20000 /* per country; a fraction of a second */

/*
 * Random strings, rich in confusable characters, for every country: the
 * verdict does not depend on whether a repair is asked for, a read that fits
 * is never repaired, and every repair passes check_repair (which also ties
 * the parsed German first pass to the walked second one: a read the parser
 * refused but a layout takes as it is would come back "repaired" to itself).
 */
START_TEST(test_random_reads_consistent)
{
	static const char alphabet[] = "0123456789ABDEGHIJKLMOQSXZ";
	uint64_t seed = 0x72616e646f6dULL + (uint64_t)_i;
	hl_country c = CC(gens[_i].name);
	unsigned yes = 0, repaired = 0;

	for (int k = 0; k < RANDOM_READS; k++) {
		char read[16], rep[HOTLIST_PLATE_MAX + 1];
		size_t n = 3 + rng_next(&seed) % 8;
		int did;
		enum hl_format f;

		for (size_t i = 0; i < n; i++)
			read[i] = pick(&seed, alphabet);
		read[n] = '\0';
		f = check_rep(c, read, rep, &did);
		CHECK(f == verdict(c, read), "%s: verdict depends on the repair buffer", read);
		CHECK(f != HL_FORMAT_UNKNOWN, "%s: unknown", read);
		yes += f == HL_FORMAT_YES;
		repaired += did == 1;
		if (did == 1)
			check_repair(c, read, rep);
		else
			CHECK(did == 0, "%s: did_repair %d", read, did);
	}
	printf("%s: %u of %d random reads fit, %u repaired\n", gens[_i].name, yes, RANDOM_READS,
	       repaired);
	ck_assert_uint_gt(yes, 0);
	ck_assert_uint_gt(repaired, 0);
}
END_TEST

/* Every read of 1 to 3 characters, for every country: the same checks as
 * above, exhaustively where the layouts are shortest. */
START_TEST(test_short_reads_exhaustive)
{
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	const size_t na = sizeof(alphabet) - 1;
	hl_country c = CC(gens[_i].name);

	for (size_t n = 1; n <= 3; n++) {
		size_t total = n == 1 ? na : n == 2 ? na * na : na * na * na;

		for (size_t k = 0; k < total; k++) {
			char read[4], rep[HOTLIST_PLATE_MAX + 1];
			size_t r = k;
			int did;
			enum hl_format f;

			for (size_t i = 0; i < n; i++, r /= na)
				read[i] = alphabet[r % na];
			read[n] = '\0';
			f = check_rep(c, read, rep, &did);
			CHECK(f == verdict(c, read), "%s: verdict depends on the buffer", read);
			if (did == 1)
				check_repair(c, read, rep);
			else
				CHECK(did == 0, "%s: did_repair %d", read, did);
		}
	}
}
END_TEST

static Suite *plates_suite(void)
{
	Suite *s = suite_create("plates");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_unknown_country);
	tcase_add_test(tc, test_nl_golden);
	tcase_add_test(tc, test_nl_repair);
	tcase_add_test(tc, test_nl_real_plates);
	tcase_add_test(tc, test_be);
	tcase_add_test(tc, test_fr);
	tcase_add_test(tc, test_de_splits_and_umlauts);
	tcase_add_test(tc, test_de_golden);
	tcase_add_test(tc, test_lu);
	tcase_add_test(tc, test_lengths_and_alphabet);
	tcase_add_test(tc, test_never_reads_past_len);
	tcase_add_loop_test(tc, test_generated_plates_fit, 0, (int)ARRAY_LEN(gens));
	tcase_add_loop_test(tc, test_repairs_are_confusions, 0, (int)ARRAY_LEN(gens));
	tcase_add_loop_test(tc, test_random_reads_consistent, 0, (int)ARRAY_LEN(gens));
	tcase_add_loop_test(tc, test_short_reads_exhaustive, 0, (int)ARRAY_LEN(gens));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(plates_suite());
}
