/* SPDX-License-Identifier: MIT */
/*
 * normalise.c — plate text, countries and the exact-match key.
 *
 * Owns: the mapping from raw plate text (UTF-8 as an OCR engine or a hot-list
 * file writes it) to the canonical plate (A-Z0-9, at most 16 characters), the
 * mapping from a country string to a 16-bit code, and the packing of a
 * canonical plate into the 96-bit key the exact-match table stores.
 *
 * Plate rules, in the order a character meets them:
 *   - ASCII letters are uppercased, digits kept.
 *   - ASCII whitespace (space, \t \n \v \f \r) and every printable ASCII
 *     character that is not a letter or digit is a separator: dropped.
 *   - Other ASCII control characters (and DEL) are errors.
 *   - Bytes >= 0x80 are decoded as strict UTF-8 (no overlong forms, no
 *     surrogates, nothing past U+FFFF is a plate character). Then:
 *       U+00A0..U+00BF  Latin-1 spaces, punctuation, symbols: separators,
 *                       except ª º ² ³ ¹ µ ¼ ½ ¾ (errors: not letters we fold)
 *       U+00C0..U+017F  Latin-1 letters and Latin Extended-A: folded to their
 *                       base letter(s) (Ä->A, ß->SS, Æ->AE, Þ->TH, Ł->L, ı->I);
 *                       × and ÷ are separators
 *       U+2000..U+206F  General Punctuation (spaces, dashes, bullets, quotes,
 *                       zero-width and bidi format characters): separators
 *       U+2212 minus, U+3000 ideographic space, U+FEFF BOM: separators
 *       U+FF01..U+FF5E  fullwidth ASCII: treated as the ASCII character
 *     Every other code point is an error.
 *   - The result must have 1..HOTLIST_PLATE_MAX characters.
 *
 * Invariants:
 *   - At most HOTLIST_RAW_PLATE_MAX bytes of input are read: in[0..63], and
 *     never a byte after the terminating NUL. No NUL among them is an error.
 *   - At most out[0..16] is written, on success and on error.
 *   - The output alphabet is [0-9A-Z], which maps to itself, so normalising
 *     is idempotent.
 *
 * Speed: the plate normaliser is on the per-read hot path. Pure-ASCII input
 * (nearly every read) goes through one 256-entry class table per byte with a
 * branch-free append; only a byte >= 0x80 drops into the UTF-8 loop. The
 * input is read a byte at a time on purpose: a wider load could cross the
 * NUL, which the contract (and AddressSanitizer) forbids. Packing the key
 * has no per-character loop (see hotlist__key_pack).
 *
 * Key layout (struct hl_key; 6-bit codes: 0 padding, 1..10 '0'..'9',
 * 11..36 'A'..'Z'; cN = code of character N, 0 past the end of the plate):
 *
 *         63   60 59   54 53   48          11    6 5     0
 *   lo   +-------+-------+-------+ ... +-------+-------+
 *        |c15&0xf|  c9   |  c8   |     |  c1   |  c0   |
 *        +-------+-------+-------+ ... +-------+-------+
 *         31   30 29   24 23   18 17   12 11    6 5     0
 *   hi   +-------+-------+-------+-------+-------+-------+
 *        |c15>>4 |  c14  |  c13  |  c12  |  c11  |  c10  |
 *        +-------+-------+-------+-------+-------+-------+
 *
 * Every character owns its own bits and a character's code is never 0, so
 * two plates are equal iff their keys are equal, and no plate packs to the
 * all-zero key.
 *
 * Memory ordering and progress: none to speak of. Every function is pure,
 * reads only const tables and its arguments, and is wait-free and safe to
 * call from any thread.
 */
#include "normalise.h"

#include "common.h"

#include <stdbool.h>
#include <string.h>

/* ---- Plates ---------------------------------------------------------------- */

/* ascii_class[] values: an output character, or one of these. Bit 7 marks
 * the bytes the fast loop cannot handle itself. */
#define C_SEP 0x00 /* separator: dropped */
#define C_END 0x80 /* NUL: end of input */
#define C_BAD 0x81 /* control character: no plate has one */
#define C_HI 0x82 /* byte >= 0x80: part of a UTF-8 sequence */
#define C_SPECIAL 0x80

#define B_ C_BAD
#define S_ C_SEP
#define H_ C_HI

/* clang-format off */
static const uint8_t ascii_class[256] = {
	/* 0x00 */ C_END, B_, B_, B_, B_, B_, B_, B_, B_, S_, S_, S_, S_, S_, B_, B_,
	/* 0x10 */ B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_, B_,
	/* 0x20 */ S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_,
	/* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', S_, S_, S_, S_, S_, S_,
	/* 0x40 */ S_, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	/* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', S_, S_, S_, S_, S_,
	/* 0x60 */ S_, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	/* 0x70 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', S_, S_, S_, S_, B_,
	/* 0x80 */ H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_,
	/* 0x90 */ H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_,
	/* 0xa0 */ H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_,
	/* 0xb0 */ H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_,
	/* 0xc0 */ H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_,
	/* 0xd0 */ H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_,
	/* 0xe0 */ H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_,
	/* 0xf0 */ H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_, H_,
};
/* clang-format on */

#undef B_
#undef S_
#undef H_

/* U+00A0..U+00BF that are errors rather than separators: ª ² ³ µ ¹ º ¼ ½ ¾
 * (letters and digits we do not fold). Bit n is U+00A0 + n. */
#define LATIN1_SYM_FIRST 0x00a0 /* NBSP: first of Latin-1 spaces and symbols */
#define L1_BIT(cp) (UINT32_C(1) << ((cp)-LATIN1_SYM_FIRST))
#define LATIN1_SYM_BAD                                                                             \
	(L1_BIT(0xaa) | L1_BIT(0xb2) | L1_BIT(0xb3) | L1_BIT(0xb5) | L1_BIT(0xb9) | L1_BIT(0xba) | \
	 L1_BIT(0xbc) | L1_BIT(0xbd) | L1_BIT(0xbe))

#define FOLD_FIRST 0x00c0 /* À: first letter of Latin-1 Supplement */
#define FOLD_LAST 0x017f /* ſ: last letter of Latin Extended-A */

/* Base letters of U+00C0..U+017F; "" = separator (× ÷). */
/* clang-format off */
static const char fold_latin[FOLD_LAST - FOLD_FIRST + 1][3] = {
	/* U+00C0 ÀÁÂÃÄÅÆÇ */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* U+00C8 ÈÉÊËÌÍÎÏ */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* U+00D0 ÐÑÒÓÔÕÖ× */ "D", "N", "O", "O", "O", "O", "O", "",
	/* U+00D8 ØÙÚÛÜÝÞß */ "O", "U", "U", "U", "U", "Y", "TH", "SS",
	/* U+00E0 àáâãäåæç */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* U+00E8 èéêëìíîï */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* U+00F0 ðñòóôõö÷ */ "D", "N", "O", "O", "O", "O", "O", "",
	/* U+00F8 øùúûüýþÿ */ "O", "U", "U", "U", "U", "Y", "TH", "Y",
	/* U+0100 ĀāĂăĄąĆć */ "A", "A", "A", "A", "A", "A", "C", "C",
	/* U+0108 ĈĉĊċČčĎď */ "C", "C", "C", "C", "C", "C", "D", "D",
	/* U+0110 ĐđĒēĔĕĖė */ "D", "D", "E", "E", "E", "E", "E", "E",
	/* U+0118 ĘęĚěĜĝĞğ */ "E", "E", "E", "E", "G", "G", "G", "G",
	/* U+0120 ĠġĢģĤĥĦħ */ "G", "G", "G", "G", "H", "H", "H", "H",
	/* U+0128 ĨĩĪīĬĭĮį */ "I", "I", "I", "I", "I", "I", "I", "I",
	/* U+0130 İıĲĳĴĵĶķ */ "I", "I", "IJ", "IJ", "J", "J", "K", "K",
	/* U+0138 ĸĹĺĻļĽľĿ */ "K", "L", "L", "L", "L", "L", "L", "L",
	/* U+0140 ŀŁłŃńŅņŇ */ "L", "L", "L", "N", "N", "N", "N", "N",
	/* U+0148 ňŉŊŋŌōŎŏ */ "N", "N", "N", "N", "O", "O", "O", "O",
	/* U+0150 ŐőŒœŔŕŖŗ */ "O", "O", "OE", "OE", "R", "R", "R", "R",
	/* U+0158 ŘřŚśŜŝŞş */ "R", "R", "S", "S", "S", "S", "S", "S",
	/* U+0160 ŠšŢţŤťŦŧ */ "S", "S", "T", "T", "T", "T", "T", "T",
	/* U+0168 ŨũŪūŬŭŮů */ "U", "U", "U", "U", "U", "U", "U", "U",
	/* U+0170 ŰűŲųŴŵŶŷ */ "U", "U", "U", "U", "W", "W", "Y", "Y",
	/* U+0178 ŸŹźŻżŽžſ */ "Y", "Z", "Z", "Z", "Z", "Z", "Z", "S",
};
/* clang-format on */

#define FULLWIDTH_FIRST 0xff01 /* ！: fullwidth form of '!' */
#define FULLWIDTH_LAST 0xff5e /* ～: fullwidth form of '~' */
#define FULLWIDTH_OFFSET (FULLWIDTH_FIRST - 0x21) /* fullwidth cp - offset = ASCII */

#define GENERAL_PUNCT_FIRST 0x2000 /* en quad: first of General Punctuation */
#define GENERAL_PUNCT_LAST 0x206f /* nominal digit shapes: last of General Punctuation */
#define CP_MINUS 0x2212 /* minus sign, a dash lookalike */
#define CP_IDEOGRAPHIC_SPACE 0x3000 /* the space of CJK and fullwidth text */
#define CP_BOM 0xfeff /* byte order mark / zero-width no-break space */

static int finish(char *out, size_t len)
{
	if (len == 0)
		return HOTLIST_EPLATE;
	out[len] = '\0';
	return (int)len;
}

/*
 * Decode the UTF-8 sequence at s[i] (s[i] >= 0x80) into *cp; return its
 * length, or 0 if it is not one we accept. Only 2- and 3-byte sequences can
 * hold a plate character, so 4-byte leads are refused with the stray
 * continuation bytes and the overlong leads C0 and C1. A continuation byte
 * that would lie at or past s[HOTLIST_RAW_PLATE_MAX] is never read, and a
 * NUL is not a continuation byte, so decoding never reads past the input.
 */
static size_t decode_utf8(const unsigned char *s, size_t i, uint32_t *cp)
{
	unsigned lead = s[i];
	uint32_t v, min;
	size_t n;

	if (lead >= 0xc2 && lead <= 0xdf) {
		n = 2;
		v = lead & 0x1f;
		min = 0x80;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		n = 3;
		v = lead & 0x0f;
		min = 0x800;
	} else {
		return 0;
	}
	for (size_t k = 1; k < n; k++) {
		unsigned c;

		if (i + k >= HOTLIST_RAW_PLATE_MAX)
			return 0;
		c = s[i + k];
		if ((c & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (c & 0x3f);
	}
	if (v < min)
		return 0; /* overlong */
	*cp = v;
	return n;
}

/*
 * What code point cp (>= U+0080) stands for: writes 0..2 characters to f and
 * returns how many (0 = separator), or -1 if no plate has it. Surrogates
 * (U+D800..U+DFFF) fall in no accepted range.
 */
static int fold_cp(uint32_t cp, char f[2])
{
	const char *s;

	if (cp >= FOLD_FIRST && cp <= FOLD_LAST) {
		s = fold_latin[cp - FOLD_FIRST];
		f[0] = s[0];
		f[1] = s[1];
		return s[0] == '\0' ? 0 : s[1] == '\0' ? 1 : 2;
	}
	if (cp >= LATIN1_SYM_FIRST && cp < FOLD_FIRST)
		return (LATIN1_SYM_BAD & L1_BIT(cp)) ? -1 : 0;
	if (cp >= FULLWIDTH_FIRST && cp <= FULLWIDTH_LAST) {
		unsigned v = ascii_class[cp - FULLWIDTH_OFFSET];

		f[0] = (char)v;
		return v == C_SEP ? 0 : 1;
	}
	if ((cp >= GENERAL_PUNCT_FIRST && cp <= GENERAL_PUNCT_LAST) || cp == CP_MINUS ||
	    cp == CP_IDEOGRAPHIC_SPACE || cp == CP_BOM)
		return 0;
	return -1;
}

/*
 * The general loop, entered at the first byte >= 0x80 with len characters
 * already in out. Handles ASCII too, so it runs to the end of the input.
 */
static int normalise_utf8(const unsigned char *s, size_t i, char *out, size_t len)
{
	while (i < HOTLIST_RAW_PLATE_MAX) {
		unsigned c = s[i];
		uint32_t cp;
		char f[2];
		size_t n;
		int nf;

		if (c < 0x80) {
			unsigned v = ascii_class[c];

			if (v == C_END)
				return finish(out, len);
			if (v == C_BAD)
				return HOTLIST_EPLATE;
			f[0] = (char)v;
			nf = v != C_SEP;
			n = 1;
		} else {
			n = decode_utf8(s, i, &cp);
			if (n == 0)
				return HOTLIST_EPLATE;
			nf = fold_cp(cp, f);
			if (nf < 0)
				return HOTLIST_EPLATE;
		}
		i += n;
		for (int k = 0; k < nf; k++) {
			if (len == HOTLIST_PLATE_MAX)
				return HOTLIST_EPLATE;
			out[len++] = f[k];
		}
	}
	return HOTLIST_EPLATE; /* no NUL in the first HOTLIST_RAW_PLATE_MAX bytes */
}

/*
 * The fast loop: one table load per byte and a branch-free append (a
 * separator writes out[len] and does not advance len; len <= 16 here, so the
 * write stays within out[0..16]). Leaves for anything with bit 7 of its
 * class set.
 */
int hotlist__normalise_plate(const char *in, char out[HOTLIST_PLATE_MAX + 1])
{
	const unsigned char *s = (const unsigned char *)in;
	size_t len = 0;

	for (size_t i = 0; i < HOTLIST_RAW_PLATE_MAX; i++) {
		unsigned v = ascii_class[s[i]];

		if (HL_UNLIKELY(v & C_SPECIAL)) {
			if (v == C_END)
				return finish(out, len);
			if (v == C_HI)
				return normalise_utf8(s, i, out, len);
			return HOTLIST_EPLATE;
		}
		out[len] = (char)v;
		len += v != C_SEP;
		if (HL_UNLIKELY(len > HOTLIST_PLATE_MAX))
			return HOTLIST_EPLATE;
	}
	return HOTLIST_EPLATE; /* no NUL in the first HOTLIST_RAW_PLATE_MAX bytes */
}

HOTLIST_API int hotlist_normalise_plate(const char *plate, char *out)
{
	char tmp[HOTLIST_PLATE_MAX + 1];
	int n;

	if (!out)
		return HOTLIST_EINVAL;
	if (!plate)
		return HOTLIST_EPLATE;
	n = hotlist__normalise_plate(plate, tmp);
	if (n > 0)
		memcpy(out, tmp, (size_t)n + 1);
	return n;
}

/* ---- Countries ------------------------------------------------------------- */

#define COUNTRY_LETTERS_MAX 3 /* longest accepted form: ISO 3166-1 alpha-3 */

#define CC(a, b) ((hl_country)(((unsigned)(a) << 8) | (unsigned)(b)))

/*
 * ISO 3166-1 alpha-2, officially assigned codes (249, as in the iso-codes
 * and tzdata iso3166.tab lists): bit (second letter - 'A') of row
 * (first letter - 'A').
 */
static const uint32_t iso_alpha2[26] = {
	0x2df5978, /* A: AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ */
	0x36f7bfb, /* B: BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ */
	0x3f27ded, /* C: CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ */
	0x2005610, /* D: DE DJ DK DM DO DZ */
	0x00e00d4, /* E: EC EE EG EH ER ES ET */
	0x0025700, /* F: FI FJ FK FM FO FR */
	0x15fb9fb, /* G: GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY */
	0x01a3400, /* H: HK HM HN HR HT HU */
	0x00f7818, /* I: ID IE IL IM IN IO IQ IR IS IT */
	0x000d010, /* J: JE JM JO JP */
	0x342b1d0, /* K: KE KG KH KI KM KN KP KR KW KY KZ */
	0x13e0507, /* L: LA LB LC LI LK LR LS LT LU LV LY */
	0x3fffcfd, /* M: MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ */
	0x212c975, /* N: NA NC NE NF NG NI NL NO NP NR NU NZ */
	0x0001000, /* O: OM */
	0x14e3cf1, /* P: PA PE PF PG PH PK PL PM PN PR PS PT PW PY */
	0x0000001, /* Q: QA */
	0x0544010, /* R: RE RO RS RU RW */
	0x3ae7fdf, /* S: SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ */
	0x26a7eec, /* T: TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ */
	0x3041041, /* U: UA UG UM US UY UZ */
	0x0102155, /* V: VA VC VE VG VI VN VU */
	0x0040020, /* W: WF WS */
	0x0000000, /* X: none */
	0x0080010, /* Y: YE YT */
	0x0401001, /* Z: ZA ZM ZW */
};

/* One-letter international vehicle codes (Vienna convention distinguishing
 * signs) whose country is unambiguous; "" = not accepted. */
static const char vehicle_code[26][3] = {
	['A' - 'A'] = "AT", ['B' - 'A'] = "BE", ['D' - 'A'] = "DE", ['E' - 'A'] = "ES",
	['F' - 'A'] = "FR", ['H' - 'A'] = "HU", ['I' - 'A'] = "IT", ['L' - 'A'] = "LU",
	['M' - 'A'] = "MT", ['N' - 'A'] = "NO", ['P' - 'A'] = "PT", ['S' - 'A'] = "SE",
};

/* ISO 3166-1 alpha-3 of the EU and EEA countries, Switzerland, the UK and the US. */
static const struct {
	char a3[4];
	char a2[3];
} alpha3[] = {
	{ "AUT", "AT" }, { "BEL", "BE" }, { "BGR", "BG" }, { "CHE", "CH" }, { "CYP", "CY" },
	{ "CZE", "CZ" }, { "DEU", "DE" }, { "DNK", "DK" }, { "ESP", "ES" }, { "EST", "EE" },
	{ "FIN", "FI" }, { "FRA", "FR" }, { "GBR", "GB" }, { "GRC", "GR" }, { "HRV", "HR" },
	{ "HUN", "HU" }, { "IRL", "IE" }, { "ISL", "IS" }, { "ITA", "IT" }, { "LIE", "LI" },
	{ "LTU", "LT" }, { "LUX", "LU" }, { "LVA", "LV" }, { "MLT", "MT" }, { "NLD", "NL" },
	{ "NOR", "NO" }, { "POL", "PL" }, { "PRT", "PT" }, { "ROU", "RO" }, { "SVK", "SK" },
	{ "SVN", "SI" }, { "SWE", "SE" }, { "USA", "US" },
};

static bool is_space(unsigned c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_letter(unsigned c)
{
	return (unsigned)((c | 0x20) - 'a') < 26;
}

/* Code for n (1..3) uppercase letters, or 0 if they name no accepted country. */
static hl_country lookup_country(const unsigned char *a, size_t n)
{
	if (n == 1) {
		const char *v = vehicle_code[a[0] - 'A'];

		return v[0] ? CC(v[0], v[1]) : 0;
	}
	if (n == 2) {
		hl_country c = CC(a[0], a[1]);

		if (c == CC('U', 'K'))
			return CC('G', 'B'); /* the UK's own usage and its old vehicle sign */
		if (c == CC('E', 'L'))
			return CC('G', 'R'); /* EU usage for Greece */
		return (iso_alpha2[a[0] - 'A'] >> (a[1] - 'A')) & 1 ? c : 0;
	}
	for (size_t i = 0; i < sizeof(alpha3) / sizeof(alpha3[0]); i++) {
		if (memcmp(alpha3[i].a3, a, 3) == 0)
			return CC(alpha3[i].a2[0], alpha3[i].a2[1]);
	}
	return 0;
}

int hotlist__parse_country(const char *in, hl_country *out)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned char a[COUNTRY_LETTERS_MAX];
	size_t n = 0;
	hl_country c;

	if (!s) {
		*out = 0;
		return 0;
	}
	if (HL_LIKELY(is_letter(s[0]) && is_letter(s[1]) && s[2] == '\0')) {
		/* the common case, "NL" or "nl": straight to the table */
		a[0] = (unsigned char)(s[0] & ~0x20u);
		a[1] = (unsigned char)(s[1] & ~0x20u);
		n = 2;
		goto lookup;
	}
	while (is_space(*s))
		s++;
	for (; *s && !is_space(*s); s++) {
		if (n == COUNTRY_LETTERS_MAX || !is_letter(*s))
			return HOTLIST_ECOUNTRY;
		a[n++] = (unsigned char)(*s & ~0x20u);
	}
	while (is_space(*s))
		s++;
	if (*s)
		return HOTLIST_ECOUNTRY;
lookup:
	c = n ? lookup_country(a, n) : 0;
	if (n && !c)
		return HOTLIST_ECOUNTRY;
	*out = c;
	return 0;
}

void hotlist__country_str(hl_country c, char out[3])
{
	if (!c) {
		out[0] = '\0';
		return;
	}
	out[0] = (char)(c >> 8);
	out[1] = (char)(c & 0xff);
	out[2] = '\0';
}

HOTLIST_API int hotlist_normalise_country(const char *country, char out[3])
{
	hl_country c;
	int rc;

	if (!out)
		return HOTLIST_EINVAL;
	rc = hotlist__parse_country(country, &c);
	if (rc == 0)
		hotlist__country_str(c, out);
	return rc;
}

/* ---- Keys ------------------------------------------------------------------ */

#define KEY_BITS 6 /* bits per character code: 37 codes need 6 */
#define KEY_CODE_MASK ((1u << KEY_BITS) - 1)
#define KEY_LO_CHARS 10 /* characters 0..9 fill bits 0..59 of lo */
#define KEY_HI_CHARS 5 /* characters 10..14 fill bits 0..29 of hi */
/* Character 15 does not fit whole in either word: its low 4 bits go to lo
 * bits 60..63, its high 2 bits to hi bits 30..31. */
#define KEY_LAST (HOTLIST_PLATE_MAX - 1)
#define KEY_LAST_LO_BITS 4
#define KEY_LAST_LO_SHIFT 60
#define KEY_LAST_HI_SHIFT 30
#define KEY_WORD_CHARS 8 /* characters per 64-bit load while packing */
#define KEY_TAIL_CHARS (KEY_LO_CHARS - KEY_WORD_CHARS) /* 8..9: second load, into lo */
#define KEY_MASK(bits) ((UINT64_C(1) << (bits)) - 1)

/* Codes 37 and 38 are the wildcards of pattern entries (fuzzy.c): no read
 * packs to them, so a pattern's key never equals a plate's. */
static const char key_chars[] = "\0"
				"0123456789"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"?*";
#define KEY_CODES ((unsigned)sizeof(key_chars) - 1) /* 39: padding, 36 characters, ? and * */

/*
 * Packing is on the hot path and plate lengths vary read to read, so it
 * avoids a loop whose trip count the branch predictor would miss: the plate
 * is loaded as two little-endian words of 8 characters (zero-padded, read
 * with loads that stay inside norm[0..len-1]), every byte is turned into its
 * code at once (SWAR), and the 6-bit codes are squeezed together by three
 * shift-and-merge steps.
 */
#define BYTES(x) (UINT64_C(0x0101010101010101) * (x))

static uint64_t load64_le(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint64_t load32_le(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

/* Characters 0..7 into *w0 and 8..15 into *w1, byte i = character i, zero
 * past len. Overlapping loads cover the tail without reading past it. */
static void load_plate(const char *p, size_t len, uint64_t *w0, uint64_t *w1)
{
	*w1 = 0;
	if (len >= 8) {
		*w0 = load64_le(p);
		if (len > 8)
			*w1 = load64_le(p + len - 8) >> (8 * (16 - len));
	} else if (len >= 4) {
		*w0 = load32_le(p) | (load32_le(p + len - 4) >> (8 * (8 - len))) << 32;
	} else if (len > 0) {
		*w0 = (uint64_t)(unsigned char)p[0] |
		      (uint64_t)(unsigned char)p[len / 2] << (8 * (len / 2)) |
		      (uint64_t)(unsigned char)p[len - 1] << (8 * (len - 1));
	} else {
		*w0 = 0;
	}
}

/*
 * Eight characters (bytes 0, '0'..'9', 'A'..'Z', all < 0x80, so no byte
 * carries into the next) to eight 6-bit codes in the low 48 bits.
 */
static uint64_t codes48(uint64_t w)
{
	uint64_t nonzero = ((w + BYTES(0x7f)) >> 7) & BYTES(1);
	uint64_t letter = ((w + BYTES(0x80 - 'A')) >> 7) & BYTES(1);
	uint64_t c = w - nonzero * ('0' - 1) - letter * ('A' - '9' - 1);

	c = (c & UINT64_C(0x00ff00ff00ff00ff)) | ((c & UINT64_C(0xff00ff00ff00ff00)) >> 2);
	c = (c & UINT64_C(0x0000ffff0000ffff)) | ((c & UINT64_C(0xffff0000ffff0000)) >> 4);
	c = (c & UINT64_C(0x00000000ffffffff)) | ((c & UINT64_C(0xffffffff00000000)) >> 8);
	return c;
}

#ifdef HOTLIST_DEBUG_CHECKS
static int is_norm_plate(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'Z')))
			return 0;
	}
	return len >= 1 && len <= HOTLIST_PLATE_MAX;
}
#endif

void hotlist__key_pack(const char *norm, size_t len, struct hl_key *out)
{
	uint64_t w0, w1, c0, c1;
	unsigned last;

	HL_DEBUG_ASSERT(is_norm_plate(norm, len));
	if (len > HOTLIST_PLATE_MAX)
		len = HOTLIST_PLATE_MAX;
	load_plate(norm, len, &w0, &w1);
	c0 = codes48(w0); /* codes of characters 0..7 at bits 0..47 */
	c1 = codes48(w1); /* codes of characters 8..15 at bits 0..47 */
	last = (unsigned)(c1 >> (KEY_BITS * (KEY_LAST - KEY_WORD_CHARS)));
	out->lo = c0 | (c1 & KEY_MASK(KEY_BITS * KEY_TAIL_CHARS)) << (KEY_BITS * KEY_WORD_CHARS) |
		  (uint64_t)(last & KEY_MASK(KEY_LAST_LO_BITS)) << KEY_LAST_LO_SHIFT;
	out->hi = (uint32_t)((c1 >> (KEY_BITS * KEY_TAIL_CHARS)) &
			     KEY_MASK(KEY_BITS * KEY_HI_CHARS)) |
		  (uint32_t)(last >> KEY_LAST_LO_BITS) << KEY_LAST_HI_SHIFT;
}

/* Set the code of character i (0 before) in k: the layout above. */
static void key_set_code(struct hl_key *k, size_t i, unsigned c)
{
	if (i < KEY_LO_CHARS)
		k->lo |= (uint64_t)c << (KEY_BITS * i);
	else if (i < KEY_LO_CHARS + KEY_HI_CHARS)
		k->hi |= (uint32_t)c << (KEY_BITS * (i - KEY_LO_CHARS));
	else {
		k->lo |= (uint64_t)(c & KEY_MASK(KEY_LAST_LO_BITS)) << KEY_LAST_LO_SHIFT;
		k->hi |= (uint32_t)(c >> KEY_LAST_LO_BITS) << KEY_LAST_HI_SHIFT;
	}
}

void hotlist__key_pack_pattern(const char *pat, size_t len, struct hl_key *out)
{
	out->lo = 0;
	out->hi = 0;
	for (size_t i = 0; i < len && i < HOTLIST_PLATE_MAX; i++) {
		const char *p = memchr(key_chars + 1, pat[i], KEY_CODES - 1);

		key_set_code(out, i, p ? (unsigned)(p - key_chars) : 0);
	}
}

static unsigned key_code(const struct hl_key *k, size_t i)
{
	if (i < KEY_LO_CHARS)
		return (unsigned)(k->lo >> (KEY_BITS * i)) & KEY_CODE_MASK;
	if (i < KEY_LO_CHARS + KEY_HI_CHARS)
		return (k->hi >> (KEY_BITS * (i - KEY_LO_CHARS))) & KEY_CODE_MASK;
	return (unsigned)(k->lo >> KEY_LAST_LO_SHIFT) | (unsigned)(k->hi >> KEY_LAST_HI_SHIFT)
								<< KEY_LAST_LO_BITS;
}

size_t hotlist__key_unpack(const struct hl_key *k, char *out)
{
	size_t len;

	for (len = 0; len < HOTLIST_PLATE_MAX; len++) {
		unsigned c = key_code(k, len);

		if (c == 0)
			break;
		HL_DEBUG_ASSERT(c < KEY_CODES);
		out[len] = c < KEY_CODES ? key_chars[c] : '?';
	}
	out[len] = '\0';
	return len;
}
