/* SPDX-License-Identifier: MIT */
/*
 * plates.c — country plate-format rules and read repair.
 *
 * Owns: the layouts of number plates of NL, BE, FR, DE and LU as they look
 * once normalised (A-Z0-9, separators gone), the check of a read against
 * them, and the repair of a read whose letters and digits were swapped by the
 * OCR within the confusion pairs. The rules, their sources and what was left
 * out are in docs/plate-rules.md; every table here was written from those
 * rules, none is read from a file.
 *
 * A layout is a row of slots, one per character; a slot is the set of
 * characters allowed there, as a 64-bit mask over the character index (a
 * read with a character outside A-Z0-9 fits nothing and is never repaired):
 *
 *    bit  63   36 35                                 10 9          0
 *        +-------+-------------------------------------+------------+
 *        |   0   | Z Y X ... C B A                     | 9 ... 1 0  |
 *        +-------+-------------------------------------+------------+
 *
 * plus a rule: a check on the whole candidate that slots cannot express (NL
 * banned letter groups, FR "SS" and "000", the BE code-11 "000", the FR
 * département, the DE district list). Fixed layouts sit in const tables; the
 * German layouts (district 1-3 + letters 1-2 + digits 1-4 + E/H suffix) and
 * the French FNI ones (digits 1-4 + letters 1-3 + département 2-3) are built
 * on the stack for each way the plate can be split, because separators are
 * gone and every split has to be tried ("B-AB 123" and "BA-B 123" are both
 * BAB123).
 *
 * Check: a read fits if some layout of its length has every character in its
 * slot and passes the rule. Repair (only when nothing fits as read): in every
 * layout of that length, each character outside its slot is swapped for its
 * confusion partners that the slot allows (digit slot: O D Q -> 0, I -> 1,
 * Z -> 2, S -> 5, B -> 8, G -> 6; letter slot: 0 -> O D Q, 1 -> I, 2 -> Z,
 * 5 -> S, 8 -> B, 6 -> G); characters inside their slot are kept. Every
 * resulting candidate that passes the rule is collected; exactly one distinct
 * candidate over all layouts is the repair, two or more mean "ambiguous" and
 * nothing is repaired. A zero in a letter slot that allows two of O, D, Q is
 * therefore ambiguous by itself (unless the rule rejects all but one).
 *
 * Invariants:
 *   - Only norm[0..len-1] is read; repaired[0..len] is written only when a
 *     repair is made, and *did_repair is the only other output.
 *   - A repair has the read's length, fits a layout, and differs from the
 *     read only where the read's character was outside its slot, by a
 *     confusion pair.
 *   - The German district table (plates_de_districts.h) is sorted in byte
 *     order; lookups are binary searches.
 *
 * Cost: no allocation; the work is bounded by the layouts of one country
 * times the plate length. Each layout carries a signature (the slots that
 * take digits only, and letters only) that is compared with the read's in a
 * few instructions before any slot is looked at, and the check stops at the
 * first layout that fits. German reads are parsed rather than walked in the
 * first pass (leading letters, number, suffix), so only the district/letters
 * split is open: at most two district lookups, each a binary search among
 * the codes of one first letter; the German repair pass walks only the
 * numbers of leading letters that the unswappable characters allow. The
 * repair pass runs only for reads that fit nothing. Measured on the 2-core
 * development VM under load: 45-85 ns for a valid read, 80-160 ns for a mix
 * of OCR-noisy reads, about 720 ns for the worst read found (FR "0000000");
 * see docs/plate-rules.md.
 *
 * Memory ordering and progress: none to speak of. The function is pure,
 * reads only const tables and its arguments, and is wait-free and safe to
 * call from any thread.
 */
#include "plates.h"

#include "normalise.h"
#include "plates_de_districts.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- Character sets -------------------------------------------------------- */

#define CI_COUNT 36 /* characters 0-9 A-Z */
#define CI(c) ((c) <= '9' ? (c) - '0' : (c) - 'A' + 10)
#define CB(c) (UINT64_C(1) << CI(c))

static const char ci_char[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

#define M_DIGIT UINT64_C(0x3ff)
#define M_D19 (M_DIGIT & ~CB('0')) /* no leading zero */
#define M_ALPHA (UINT64_C(0x3ffffff) << 10)

/* NL from sidecode 4: no vowels, no C, no Q (RDW): 16 letters. */
#define M_NL16                                                                                     \
	(CB('B') | CB('D') | CB('F') | CB('G') | CB('H') | CB('J') | CB('K') | CB('L') | CB('N') | \
	 CB('P') | CB('R') | CB('S') | CB('T') | CB('V') | CB('X') | CB('Z'))
/* NL first letter from sidecode 4: also the category letters O (semi-trailer),
 * M (motorcycle) and W (trailer). */
#define M_NL_FIRST (M_NL16 | CB('O') | CB('M') | CB('W'))
/* NL sidecodes 1-3: the broad alphabet, but C and Q were never used. */
#define M_NL_OLD (M_ALPHA & ~(CB('C') | CB('Q')))

/* BE EU format: the sources disagree; the widest reading (only O unused). */
#define M_BE13 (M_ALPHA & ~CB('O'))
/* BE category index letters (2014-) and commercial Y, Z, V. */
#define M_BE_CAT \
	(CB('M') | CB('O') | CB('Q') | CB('T') | CB('G') | CB('S') | CB('Y') | CB('Z') | CB('V'))
#define M_BE_62 (M_ALPHA & ~(CB('I') | CB('O') | CB('Q'))) /* codes 6-10 (1962-1973) */
#define M_BE_53 (M_BE_62 & ~(CB('A') | CB('P'))) /* codes 1-5 (1953-1962) */

#define M_FR_SIV (M_ALPHA & ~(CB('I') | CB('O') | CB('U')))
#define M_FR_FNI (M_ALPHA & ~(CB('I') | CB('O'))) /* U was used until 1984 */

#define M_DE_SUFFIX (CB('E') | CB('H')) /* electric, historic */

/* Confusion partners of each character, by index (a digit's letters, a
 * letter's digit). */
static const uint64_t partners[CI_COUNT] = {
	[CI('0')] = CB('O') | CB('D') | CB('Q'),
	[CI('1')] = CB('I'),
	[CI('2')] = CB('Z'),
	[CI('5')] = CB('S'),
	[CI('6')] = CB('G'),
	[CI('8')] = CB('B'),
	[CI('O')] = CB('0'),
	[CI('D')] = CB('0'),
	[CI('Q')] = CB('0'),
	[CI('I')] = CB('1'),
	[CI('Z')] = CB('2'),
	[CI('S')] = CB('5'),
	[CI('G')] = CB('6'),
	[CI('B')] = CB('8'),
};

/* 1 + the index of every byte (0-9 A-Z: 0..35), 0 outside A-Z0-9. */
static const uint8_t ci_plus1[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['G'] = 17, ['H'] = 18,
	['I'] = 19, ['J'] = 20, ['K'] = 21, ['L'] = 22, ['M'] = 23, ['N'] = 24,
	['O'] = 25, ['P'] = 26, ['Q'] = 27, ['R'] = 28, ['S'] = 29, ['T'] = 30,
	['U'] = 31, ['V'] = 32, ['W'] = 33, ['X'] = 34, ['Y'] = 35, ['Z'] = 36
};

/* ---- Layouts ----------------------------------------------------------------- */

#define LAYOUT_MAX 10 /* longest layout: FR FNI 9999-XXX-976 */

enum rule {
	R_NONE,
	R_NL, /* no banned combination in a letter group; groups end at a, b */
	R_NOT000, /* characters a..a+2 are not "000" */
	R_FR_SIV, /* no SS in either letter block, number not 000 */
	R_FR_FNI, /* digits end at a, letters at b, then a real département */
	R_DE, /* a leading letters: a district code of a-2 or a-1 letters, then letters */
};

/*
 * dig and let are the layout's signature: bit i set when slot i takes
 * digits only / letters only. Comparing them with the read's own bits
 * rejects most layouts without looking at a slot.
 */
struct layout {
	uint64_t slot[LAYOUT_MAX];
	uint8_t len;
	uint8_t rule; /* enum rule */
	uint8_t a, b; /* the rule's arguments */
	uint16_t dig, let;
};

#define NZ(m) ((m) != 0)
#define SIG_D(m, i) ((unsigned)(NZ(m) && ((m) & ~M_DIGIT) == 0) << (i))
#define SIG_L(m, i) ((unsigned)(NZ(m) && ((m)&M_DIGIT) == 0) << (i))
/* A fixed layout of up to 7 slots; N_ pads the unused ones. */
#define ROW(rule_, a_, b_, s0, s1, s2, s3, s4, s5, s6)                                            \
	{                                                                                         \
		.slot = { s0, s1, s2, s3, s4, s5, s6 },                                           \
		.len = NZ(s0) + NZ(s1) + NZ(s2) + NZ(s3) + NZ(s4) + NZ(s5) + NZ(s6),              \
		.rule = rule_, .a = a_, .b = b_,                                                  \
		.dig = SIG_D(s0, 0) | SIG_D(s1, 1) | SIG_D(s2, 2) | SIG_D(s3, 3) | SIG_D(s4, 4) | \
		       SIG_D(s5, 5) | SIG_D(s6, 6),                                               \
		.let = SIG_L(s0, 0) | SIG_L(s1, 1) | SIG_L(s2, 2) | SIG_L(s3, 3) | SIG_L(s4, 4) | \
		       SIG_L(s5, 5) | SIG_L(s6, 6),                                               \
	}

#define N_ 0
#define D_ M_DIGIT
#define L_ M_NL16
#define F_ M_NL_FIRST
#define O_ M_NL_OLD

/* NL sidecodes 1-14 (RDW); the first letter slot takes the category letters. */
static const struct layout nl_layouts[] = {
	ROW(R_NL, 2, 4, O_, O_, D_, D_, D_, D_, N_), /*  1 XX-99-99 */
	ROW(R_NL, 2, 4, D_, D_, D_, D_, O_, O_, N_), /*  2 99-99-XX */
	ROW(R_NL, 2, 4, D_, D_, O_, O_, D_, D_, N_), /*  3 99-XX-99 */
	ROW(R_NL, 2, 4, F_, L_, D_, D_, L_, L_, N_), /*  4 XX-99-XX */
	ROW(R_NL, 2, 4, F_, L_, L_, L_, D_, D_, N_), /*  5 XX-XX-99 */
	ROW(R_NL, 2, 4, D_, D_, F_, L_, L_, L_, N_), /*  6 99-XX-XX */
	ROW(R_NL, 2, 5, D_, D_, F_, L_, L_, D_, N_), /*  7 99-XXX-9 */
	ROW(R_NL, 1, 4, D_, F_, L_, L_, D_, D_, N_), /*  8 9-XXX-99 */
	ROW(R_NL, 2, 5, F_, L_, D_, D_, D_, L_, N_), /*  9 XX-999-X */
	ROW(R_NL, 1, 4, F_, D_, D_, D_, L_, L_, N_), /* 10 X-999-XX */
	ROW(R_NL, 3, 5, F_, L_, L_, D_, D_, L_, N_), /* 11 XXX-99-X */
	ROW(R_NL, 1, 3, F_, D_, D_, L_, L_, L_, N_), /* 12 X-99-XXX */
	ROW(R_NL, 1, 3, D_, F_, L_, D_, D_, D_, N_), /* 13 9-XX-999 */
	ROW(R_NL, 3, 5, D_, D_, D_, F_, L_, D_, N_), /* 14 999-XX-9 */
};

#undef L_
#undef F_
#undef O_
#define E_ M_BE13
#define A_ M_ALPHA
#define S_ M_BE_62
#define T_ M_BE_53

/* BE (DIV): EU format, category index, codes 12 and 11, codes 6-10, 1-5. */
static const struct layout be_layouts[] = {
	ROW(R_NONE, 0, 0, M_D19, E_, E_, E_, D_, D_, D_), /* 9-XXX-999 */
	ROW(R_NONE, 0, 0, M_BE_CAT, E_, E_, E_, D_, D_, D_), /* L-XXX-999 */
	ROW(R_NONE, 0, 0, D_, D_, D_, A_, A_, A_, N_), /* 999-XXX */
	ROW(R_NOT000, 3, 0, A_, A_, A_, D_, D_, D_, N_), /* XXX-999 */
	ROW(R_NONE, 0, 0, S_, S_, D_, D_, D_, N_, N_), /* XX.999 */
	ROW(R_NONE, 0, 0, D_, S_, S_, D_, D_, N_, N_), /* 9.XX.99 */
	ROW(R_NONE, 0, 0, D_, D_, S_, S_, D_, N_, N_), /* 99.XX.9 */
	ROW(R_NONE, 0, 0, D_, D_, D_, S_, S_, N_, N_), /* 999.XX */
	ROW(R_NONE, 0, 0, S_, D_, D_, D_, S_, N_, N_), /* X.999.X */
	ROW(R_NONE, 0, 0, T_, D_, D_, D_, D_, N_, N_), /* X.9999 */
	ROW(R_NONE, 0, 0, D_, T_, D_, D_, D_, N_, N_), /* 9.X.999 */
	ROW(R_NONE, 0, 0, D_, D_, T_, D_, D_, N_, N_), /* 99.X.99 */
	ROW(R_NONE, 0, 0, D_, D_, D_, T_, D_, N_, N_), /* 999.X.9 */
	ROW(R_NONE, 0, 0, D_, D_, D_, D_, T_, N_, N_), /* 9999.X */
};

#undef E_
#undef S_
#undef T_
#define V_ M_FR_SIV

/* FR SIV (also WW temporary) and SIV garage; FNI layouts are built per split. */
static const struct layout fr_layouts[] = {
	ROW(R_FR_SIV, 0, 0, V_, V_, D_, D_, D_, V_, V_), /* XX-999-XX */
	ROW(R_NONE, 0, 0, CB('W'), D_, D_, D_, V_, V_, N_), /* W-999-XX */
};

#undef V_

/* LU: current (2003), mopeds, digits-only, and the older layouts. */
static const struct layout lu_layouts[] = {
	ROW(R_NONE, 0, 0, A_, A_, D_, D_, D_, D_, N_), /* XX 9999 */
	ROW(R_NONE, 0, 0, A_, A_, D_, D_, N_, N_, N_), /* XX 99 */
	ROW(R_NONE, 0, 0, A_, A_, D_, D_, D_, N_, N_), /* XX 999 */
	ROW(R_NONE, 0, 0, A_, D_, D_, D_, D_, N_, N_), /* X 9999 */
	ROW(R_NONE, 0, 0, D_, D_, D_, D_, D_, N_, N_), /* 99999 */
	ROW(R_NONE, 0, 0, D_, D_, D_, D_, N_, N_, N_), /* 9999 */
	ROW(R_NONE, 0, 0, D_, D_, D_, N_, N_, N_, N_), /* 999 */
};

#undef A_
#undef D_
#undef N_

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Rules ------------------------------------------------------------------- */

#define PACK2(a, b) ((uint32_t)(uint8_t)(a) << 8 | (uint8_t)(b))
#define PACK3(a, b, c) ((uint32_t)(uint8_t)(a) << 16 | PACK2(b, c))

/*
 * A letter group (2 or 3 letters) holds no combination the RDW never issues:
 * SS and SD anywhere; GVD KKK NSB PKK PSV TBS, PVV SGP VVD (newest series),
 * FVD BBB (kenteken-kit) and KVT LPF (kenteken.tv) as the group.
 */
static bool nl_group_ok(const char *g, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (g[i] == 'S' && (g[i + 1] == 'S' || g[i + 1] == 'D'))
			return false;
	if (n < 3)
		return true;
	switch (PACK3(g[0], g[1], g[2])) {
	case PACK3('G', 'V', 'D'):
	case PACK3('K', 'K', 'K'):
	case PACK3('N', 'S', 'B'):
	case PACK3('P', 'K', 'K'):
	case PACK3('P', 'S', 'V'):
	case PACK3('T', 'B', 'S'):
	case PACK3('P', 'V', 'V'):
	case PACK3('S', 'G', 'P'):
	case PACK3('V', 'V', 'D'):
	case PACK3('F', 'V', 'D'):
	case PACK3('B', 'B', 'B'):
	case PACK3('K', 'V', 'T'):
	case PACK3('L', 'P', 'F'):
		return false;
	default:
		return true;
	}
}

/* Every letter group (the groups of the sidecode, not runs of letters) is
 * free of banned combinations. */
static bool nl_ok(const struct layout *l, const char *p)
{
	const size_t cut[4] = { 0, l->a, l->b, l->len };

	for (size_t g = 0; g < 3; g++)
		if (((l->let >> cut[g]) & 1) && !nl_group_ok(p + cut[g], cut[g + 1] - cut[g]))
			return false;
	return true;
}

static bool is_pair(const char *p, char c)
{
	return p[0] == c && p[1] == c;
}

static bool fr_siv_ok(const char *p)
{
	return !is_pair(p, 'S') && !is_pair(p + 5, 'S') &&
	       PACK3(p[2], p[3], p[4]) != PACK3('0', '0', '0');
}

/* FNI: letters are not SS, TT or WW; the département is 01-95, 2A, 2B or
 * 971-976 (the slots already hold the last to 97[1-6]); AZF was skipped in 31. */
static bool fr_fni_ok(const struct layout *l, const char *p)
{
	const char *let = p + l->a, *dep = p + l->b;
	size_t nlet = (size_t)(l->b - l->a), ndep = (size_t)(l->len - l->b);

	if (nlet == 2 && (is_pair(let, 'S') || is_pair(let, 'T') || is_pair(let, 'W')))
		return false;
	if (ndep == 2) {
		int v = (dep[0] - '0') * 10 + (dep[1] - '0');

		if (dep[1] == 'A' || dep[1] == 'B')
			return dep[0] == '2';
		if (v < 1 || v > 95)
			return false;
		if (nlet == 3 && PACK3(let[0], let[1], let[2]) == PACK3('A', 'Z', 'F') && v == 31)
			return false;
	}
	return true;
}

/* s[0..n-1] (n <= 3) packed so that packed order is the table's byte order. */
static uint32_t district_key(const char *s, size_t n)
{
	return PACK3(s[0], n > 1 ? s[1] : 0, n > 2 ? s[2] : 0);
}

/* The same for a table entry: four bytes, NUL-padded, loaded at once. */
static uint32_t entry_key(const char e[4])
{
	uint32_t k;

	memcpy(&k, e, sizeof(k));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	k = __builtin_bswap32(k);
#endif
	return k >> 8;
}

/* Binary search among the codes with the same first letter (at most 78). */
static bool de_district(const char *s, size_t n)
{
	uint32_t key = district_key(s, n);
	size_t lo, hi;

	if (s[0] < 'A' || s[0] > 'Z')
		return false;
	lo = hl_de_first[s[0] - 'A'];
	hi = hl_de_first[s[0] - 'A' + 1];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t k = entry_key(hl_de_districts[mid]);

		if (k == key)
			return true;
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The first nd of `head` leading letters (1-3, leaving 1-2 letters) are a
 * district code, for some nd. */
static bool de_split_ok(const char *p, size_t head)
{
	for (size_t nd = head > 3 ? head - 2 : 1; nd <= 3 && nd < head; nd++)
		if (de_district(p, nd))
			return true;
	return false;
}

static bool rule_ok(const struct layout *l, const char *p)
{
	switch (l->rule) {
	case R_NL:
		return nl_ok(l, p);
	case R_NOT000:
		return PACK3(p[l->a], p[l->a + 1], p[l->a + 2]) != PACK3('0', '0', '0');
	case R_FR_SIV:
		return fr_siv_ok(p);
	case R_FR_FNI:
		return fr_fni_ok(l, p);
	case R_DE:
		return de_split_ok(p, l->a);
	default:
		return true;
	}
}

/* ---- Check and repair ------------------------------------------------------- */

/*
 * A read whose letter slots hold more zeros than this many combinations of
 * O/D/Q can cover (3^3) is called ambiguous without trying them all: each
 * such slot already offers two or three candidates, and the rules reject
 * whole plates, rarely all but one of 27.
 */
#define REPAIR_MAX_COMBOS 27

/* The read, its signature bits (bit i: character i), and the repair state. */
struct scan {
	const char *in;
	size_t len;
	bool repair; /* second pass: collect repairs instead of checking */
	unsigned found; /* distinct repairs collected, saturates at 2 */
	uint32_t dig, let; /* characters that are digits / letters */
	uint32_t hard_dig, hard_let; /* ... that have no confusion partner */
	uint8_t idx[HOTLIST_PLATE_MAX];
	char cand[HOTLIST_PLATE_MAX + 1]; /* the first repair */
};

/* Can a layout with this signature fit, as read or after swaps? */
static inline bool sig_ok(const struct scan *s, uint32_t dig, uint32_t let)
{
	if (s->repair)
		return !((let & s->hard_dig) | (dig & s->hard_let));
	return !((dig & ~s->dig) | (let & ~s->let));
}

static bool fits_as_read(const struct layout *l, const uint8_t *idx)
{
	for (size_t i = 0; i < l->len; i++)
		if (!((l->slot[i] >> idx[i]) & 1))
			return false;
	return true;
}

static void collect(struct scan *s, const char *buf)
{
	if (s->found == 0) {
		memcpy(s->cand, buf, s->len);
		s->cand[s->len] = '\0';
		s->found = 1;
	} else if (memcmp(s->cand, buf, s->len) != 0) {
		s->found = 2;
	}
}

static unsigned count_bits(uint64_t m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

static char nth_bit_char(uint64_t m, unsigned n)
{
	while (n--)
		m &= m - 1;
	return ci_char[__builtin_ctzll(m)];
}

/*
 * Collect the repairs one layout allows. Returns true when the answer is
 * settled (ambiguous). Slots with one partner are fixed first; slots with
 * several (a zero in a letter slot) are enumerated as a mixed-radix counter.
 * Kept out of line: inlined, its frame would burden every as-read check.
 */
__attribute__((noinline)) static bool repair_layout(struct scan *s, const struct layout *l)
{
	char buf[HOTLIST_PLATE_MAX];
	uint64_t multi[LAYOUT_MAX];
	uint8_t pos[LAYOUT_MAX];
	unsigned nmulti = 0, combos = 1;

	for (size_t i = 0; i < l->len; i++) {
		uint64_t m = l->slot[i], c;

		if ((m >> s->idx[i]) & 1) {
			buf[i] = s->in[i];
			continue;
		}
		c = partners[s->idx[i]] & m;
		if (!c)
			return false;
		if (c & (c - 1)) {
			pos[nmulti] = (uint8_t)i;
			multi[nmulti++] = c;
			combos *= count_bits(c);
			if (combos > REPAIR_MAX_COMBOS) {
				s->found = 2;
				return true;
			}
		} else {
			buf[i] = ci_char[__builtin_ctzll(c)];
		}
	}
	for (unsigned k = 0; k < combos; k++) {
		unsigned r = k;

		for (unsigned j = 0; j < nmulti; j++) {
			unsigned n = count_bits(multi[j]);

			buf[pos[j]] = nth_bit_char(multi[j], r % n);
			r /= n;
		}
		if (rule_ok(l, buf))
			collect(s, buf);
		if (s->found > 1)
			return true;
	}
	return false;
}

/* One layout of the read's length whose signature passed sig_ok: true stops
 * the walk (a fit as read in the first pass, an ambiguity in the second). */
static bool visit(struct scan *s, const struct layout *l)
{
	if (s->repair)
		return repair_layout(s, l);
	return fits_as_read(l, s->idx) && rule_ok(l, s->in);
}

static bool walk_table(struct scan *s, const struct layout *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].len == s->len && sig_ok(s, t[i].dig, t[i].let) && visit(s, &t[i]))
			return true;
	return false;
}

static bool walk_nl(struct scan *s)
{
	return walk_table(s, nl_layouts, ARRAY_LEN(nl_layouts));
}

static bool walk_be(struct scan *s)
{
	return walk_table(s, be_layouts, ARRAY_LEN(be_layouts));
}

static bool walk_lu(struct scan *s)
{
	return walk_table(s, lu_layouts, ARRAY_LEN(lu_layouts));
}

/* Bits from..to-1. */
static uint32_t span(size_t from, size_t to)
{
	return (uint32_t)((UINT64_C(1) << to) - (UINT64_C(1) << from));
}

static void fill(struct layout *l, size_t *at, uint64_t m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		l->slot[(*at)++] = m;
}

#define DE_MAX_LEN 8 /* FZV Anlage 2: at most 8 characters, the E/H suffix included */

/*
 * Repair pass: are the first n characters, as they must be repaired, a
 * district code? 1 yes, 0 no, -1 cannot tell: a zero, which may become O, D
 * or Q, is left to the rule on each candidate.
 */
static int de_prefix(const struct scan *s, size_t n)
{
	char d[3];

	for (size_t i = 0; i < n; i++) {
		uint64_t c = (M_ALPHA >> s->idx[i]) & 1 ? UINT64_C(1) << s->idx[i] :
							  partners[s->idx[i]] & M_ALPHA;

		if (!c)
			return 0;
		if (c & (c - 1))
			return -1;
		d[i] = ci_char[__builtin_ctzll(c)];
	}
	return de_district(d, n);
}

/*
 * Repair pass: can `head` leading letters, as repaired, start with a
 * district? As for de_prefix, over the district lengths head allows; known[]
 * caches de_prefix per length (2: not looked up yet).
 */
static int de_head(const struct scan *s, size_t head, int known[4])
{
	int r = 0;

	for (size_t nd = head > 3 ? head - 2 : 1; nd <= 3 && nd < head; nd++) {
		if (known[nd] == 2)
			known[nd] = de_prefix(s, nd);
		if (known[nd] > 0)
			return 1;
		r |= known[nd];
	}
	return r;
}

/*
 * DE as read, parsed rather than walked (the same layouts as walk_de): the
 * leading letters are district and letters, then the number, then E or H;
 * only the district/letters split is open, and the district list settles it.
 */
static bool de_as_read(const struct scan *s)
{
	size_t end = s->len, head = (size_t)__builtin_ctz(~s->let), nn;

	if (end >= 2 && (s->in[end - 1] == 'E' || s->in[end - 1] == 'H') &&
	    ((s->dig >> (end - 2)) & 1))
		end--; /* the suffix */
	nn = end - head;
	if (head < 2 || head > 5 || nn < 1 || nn > 4 || s->in[head] == '0' ||
	    ((s->dig >> head) & span(0, nn)) != span(0, nn))
		return false;
	return de_split_ok(s->in, head);
}

/*
 * DE: district (1-3, from the list) + letters (1-2) + number 1-9999 + E/H.
 * The layouts differ only in how many leading letters there are (head, 2-5)
 * and in the suffix; where the district ends inside the head is the rule's
 * business (R_DE), so one layout serves both splits of a head. In the repair
 * pass the suffix is known (E and H have no partner, so a final E or H can
 * only be the suffix), and the head must hold every letter that has no
 * partner and no digit that has none.
 */
static bool walk_de(struct scan *s)
{
	int known[4] = { 2, 2, 2, 2 };
	struct layout l; /* slots past len are never read: not cleared */
	size_t sfx, end, lo, hi;

	if (s->len > DE_MAX_LEN)
		return false;
	if (!s->repair)
		return de_as_read(s);
	sfx = s->in[s->len - 1] == 'E' || s->in[s->len - 1] == 'H';
	end = s->len - sfx;
	if (end < 3)
		return false; /* no room for district, letter and digit */
	lo = s->hard_let & span(0, end) ? 32 - (size_t)__builtin_clz(s->hard_let & span(0, end)) :
					  0;
	hi = s->hard_dig ? (size_t)__builtin_ctz(s->hard_dig) : end - 1;
	lo = lo > 2 ? lo : 2;
	lo = lo + 4 > end ? lo : end - 4; /* at most 4 digits */
	hi = hi < 5 ? hi : 5;
	hi = hi < end ? hi : end - 1; /* at least 1 digit */
	l.len = (uint8_t)s->len;
	l.b = 0;
	for (size_t head = lo; head <= hi; head++) {
		size_t at = 0, nn = end - head;
		int k = de_head(s, head, known);

		if (!k)
			continue;
		l.rule = k > 0 ? R_NONE : R_DE;
		l.a = (uint8_t)head;
		fill(&l, &at, M_ALPHA, head);
		fill(&l, &at, M_D19, 1);
		fill(&l, &at, M_DIGIT, nn - 1);
		fill(&l, &at, M_DE_SUFFIX, sfx);
		if (repair_layout(s, &l))
			return true;
	}
	return false;
}

/* FR FNI (1950-2009): number 1-4 digits, letters 1-3, département 2-3. */
static bool walk_fni(struct scan *s)
{
	struct layout l = { .rule = R_FR_FNI, .len = (uint8_t)s->len };

	for (size_t nn = 1; nn <= 4; nn++) {
		for (size_t nl = 1; nl <= 3; nl++) {
			size_t at = 0, head = nn + nl, ndep = s->len - head;

			if (head >= s->len || ndep < 2 || ndep > 3)
				continue;
			l.dig = (uint16_t)(span(0, nn) | span(head, s->len - (ndep == 2)));
			l.let = (uint16_t)span(nn, head);
			if (!sig_ok(s, l.dig, l.let))
				continue;
			fill(&l, &at, M_DIGIT, nn);
			fill(&l, &at, M_FR_FNI, nl);
			if (ndep == 2) {
				fill(&l, &at, M_DIGIT, 1);
				fill(&l, &at, M_DIGIT | CB('A') | CB('B'), 1);
			} else {
				fill(&l, &at, CB('9'), 1);
				fill(&l, &at, CB('7'), 1);
				fill(&l, &at, M_DIGIT & ~(CB('0') | CB('7') | CB('8') | CB('9')),
				     1);
			}
			l.a = (uint8_t)nn;
			l.b = (uint8_t)head;
			if (visit(s, &l))
				return true;
		}
	}
	return false;
}

static bool walk_fr(struct scan *s)
{
	return walk_table(s, fr_layouts, ARRAY_LEN(fr_layouts)) || walk_fni(s);
}

#define COUNTRY(a, b) ((hl_country)(((a) << 8) | (b)))

static const struct {
	hl_country code;
	bool (*walk)(struct scan *s); /* visit every layout; true: stopped */
} countries[] = {
	{ COUNTRY('N', 'L'), walk_nl }, { COUNTRY('B', 'E'), walk_be },
	{ COUNTRY('D', 'E'), walk_de }, { COUNTRY('F', 'R'), walk_fr },
	{ COUNTRY('L', 'U'), walk_lu },
};

/* Character classes of the read into s; false if one is outside A-Z0-9.
 * Branch-free but for that test: a read's digits and letters alternate in
 * no pattern a branch predictor learns (this was most of the cost of a
 * well-formed read's check, which every read of a country with rules takes
 * when a list repairs). */
static bool classify(struct scan *s)
{
	uint32_t dig = 0, let = 0, hard = 0;
	unsigned bad = 0;
	for (size_t i = 0; i < s->len; i++) {
		unsigned t = ci_plus1[(unsigned char)s->in[i]], x = t ? t - 1 : 0;
		bad |= t == 0; /* x = 0 keeps partners[] in range; the read is refused */
		s->idx[i] = (uint8_t)x;
		dig |= (uint32_t)(x < 10) << i;
		hard |= (uint32_t)(partners[x] == 0) << i;
	}
	if (bad)
		return false;
	let = ~dig & (uint32_t)((UINT64_C(1) << s->len) - 1);
	s->dig = dig;
	s->let = let;
	s->hard_dig = hard & dig;
	s->hard_let = hard & let;
	return true;
}

enum hl_format hotlist__plate_format(hl_country country, const char *norm, size_t len,
				     char *repaired, int *did_repair)
{
	bool (*walk)(struct scan *) = NULL;
	struct scan s = { .in = norm, .len = len };

	if (did_repair)
		*did_repair = 0;
	for (size_t i = 0; i < ARRAY_LEN(countries); i++)
		if (countries[i].code == country)
			walk = countries[i].walk;
	if (!walk)
		return HL_FORMAT_UNKNOWN;
	if (len == 0 || len > HOTLIST_PLATE_MAX || !classify(&s))
		return HL_FORMAT_NO;
	if (walk(&s))
		return HL_FORMAT_YES;
	if (!repaired || !did_repair)
		return HL_FORMAT_NO;
	s.repair = true;
	if (!walk(&s) && s.found == 1) {
		memcpy(repaired, s.cand, len + 1);
		*did_repair = 1;
	}
	return HL_FORMAT_NO;
}
