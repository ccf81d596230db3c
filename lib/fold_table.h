/* SPDX-License-Identifier: MIT */
/*
 * fold_table.h — the Latin letters plate text folds to A-Z. GENERATED: do not
 * edit. Regenerate with
 *     python3 tools/gen_fold_table.py > lib/fold_table.h
 * (ctest fold_table_drift fails when this file and the generator disagree).
 * Unicode 14.0.0 (Python 3.11 unicodedata).
 *
 * A letter of the Latin blocks folds to the letters of its NFKD
 * decomposition with the combining marks dropped; a handful that Unicode does
 * not decompose (AE, eth, O/D/H/L/T with stroke, thorn, sharp s, dotless i,
 * kra, eng, OE) are folded by hand, see SPECIAL in the generator. Outside the
 * blocks only canonical singletons fold (hl_fold_other).
 *
 * Codes: HL_FOLD_ERR = no plate has it, HL_FOLD_SEP = separator, 'A'..'Z' =
 * that letter, HL_FOLD_PAIR + i = the two letters hl_fold_pairs[i].
 * U+00C0..U+024F: Latin-1 letters, Latin Extended-A and -B: 291 letters fold.
 * U+1E00..U+1EFF: Latin Extended Additional: 246 letters fold.
 */
#ifndef HOTLIST_FOLD_TABLE_H
#define HOTLIST_FOLD_TABLE_H

#include <stdint.h>

#define HL_FOLD_ERR 0
#define HL_FOLD_SEP 1
#define HL_FOLD_PAIR 2

/* clang-format off */
static const char hl_fold_pairs[8][2] = {
	{ 'A', 'E' }, { 'T', 'H' }, { 'S', 'S' }, { 'I', 'J' }, { 'O', 'E' }, { 'D', 'Z' },
	{ 'L', 'J' }, { 'N', 'J' },
};

#define E_ HL_FOLD_ERR
#define S_ HL_FOLD_SEP
#define P0 (HL_FOLD_PAIR + 0) /* AE */
#define P1 (HL_FOLD_PAIR + 1) /* TH */
#define P2 (HL_FOLD_PAIR + 2) /* SS */
#define P3 (HL_FOLD_PAIR + 3) /* IJ */
#define P4 (HL_FOLD_PAIR + 4) /* OE */
#define P5 (HL_FOLD_PAIR + 5) /* DZ */
#define P6 (HL_FOLD_PAIR + 6) /* LJ */
#define P7 (HL_FOLD_PAIR + 7) /* NJ */

#define HL_FOLD_LATIN_FIRST 0x00c0
#define HL_FOLD_LATIN_LAST 0x024f
/* U+00C0..U+024F: Latin-1 letters, Latin Extended-A and -B */
static const uint8_t hl_fold_latin[0x024f - 0x00c0 + 1] = {
	/* 00C0 */ 'A', 'A', 'A', 'A', 'A', 'A',  P0, 'C', 'E', 'E', 'E', 'E', 'I', 'I', 'I', 'I',
	/* 00D0 */ 'D', 'N', 'O', 'O', 'O', 'O', 'O',  S_, 'O', 'U', 'U', 'U', 'U', 'Y',  P1,  P2,
	/* 00E0 */ 'A', 'A', 'A', 'A', 'A', 'A',  P0, 'C', 'E', 'E', 'E', 'E', 'I', 'I', 'I', 'I',
	/* 00F0 */ 'D', 'N', 'O', 'O', 'O', 'O', 'O',  S_, 'O', 'U', 'U', 'U', 'U', 'Y',  P1, 'Y',
	/* 0100 */ 'A', 'A', 'A', 'A', 'A', 'A', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'C', 'D', 'D',
	/* 0110 */ 'D', 'D', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'G', 'G', 'G', 'G',
	/* 0120 */ 'G', 'G', 'G', 'G', 'H', 'H', 'H', 'H', 'I', 'I', 'I', 'I', 'I', 'I', 'I', 'I',
	/* 0130 */ 'I', 'I',  P3,  P3, 'J', 'J', 'K', 'K', 'K', 'L', 'L', 'L', 'L', 'L', 'L', 'L',
	/* 0140 */ 'L', 'L', 'L', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'O', 'O', 'O', 'O',
	/* 0150 */ 'O', 'O',  P4,  P4, 'R', 'R', 'R', 'R', 'R', 'R', 'S', 'S', 'S', 'S', 'S', 'S',
	/* 0160 */ 'S', 'S', 'T', 'T', 'T', 'T', 'T', 'T', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
	/* 0170 */ 'U', 'U', 'U', 'U', 'W', 'W', 'Y', 'Y', 'Y', 'Z', 'Z', 'Z', 'Z', 'Z', 'Z', 'S',
	/* 0180 */  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,
	/* 0190 */  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,
	/* 01A0 */ 'O', 'O',  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_, 'U',
	/* 01B0 */ 'U',  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,
	/* 01C0 */  E_,  E_,  E_,  E_,  P5,  P5,  P5,  P6,  P6,  P6,  P7,  P7,  P7, 'A', 'A', 'I',
	/* 01D0 */ 'I', 'O', 'O', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',  E_, 'A', 'A',
	/* 01E0 */ 'A', 'A',  P0,  P0,  E_,  E_, 'G', 'G', 'K', 'K', 'O', 'O', 'O', 'O',  E_,  E_,
	/* 01F0 */ 'J',  P5,  P5,  P5, 'G', 'G',  E_,  E_, 'N', 'N', 'A', 'A',  P0,  P0, 'O', 'O',
	/* 0200 */ 'A', 'A', 'A', 'A', 'E', 'E', 'E', 'E', 'I', 'I', 'I', 'I', 'O', 'O', 'O', 'O',
	/* 0210 */ 'R', 'R', 'R', 'R', 'U', 'U', 'U', 'U', 'S', 'S', 'T', 'T',  E_,  E_, 'H', 'H',
	/* 0220 */  E_,  E_,  E_,  E_,  E_,  E_, 'A', 'A', 'E', 'E', 'O', 'O', 'O', 'O', 'O', 'O',
	/* 0230 */ 'O', 'O', 'Y', 'Y',  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,
	/* 0240 */  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,  E_,
};

#define HL_FOLD_LATIN_ADD_FIRST 0x1e00
#define HL_FOLD_LATIN_ADD_LAST 0x1eff
/* U+1E00..U+1EFF: Latin Extended Additional */
static const uint8_t hl_fold_latin_add[0x1eff - 0x1e00 + 1] = {
	/* 1E00 */ 'A', 'A', 'B', 'B', 'B', 'B', 'B', 'B', 'C', 'C', 'D', 'D', 'D', 'D', 'D', 'D',
	/* 1E10 */ 'D', 'D', 'D', 'D', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'F', 'F',
	/* 1E20 */ 'G', 'G', 'H', 'H', 'H', 'H', 'H', 'H', 'H', 'H', 'H', 'H', 'I', 'I', 'I', 'I',
	/* 1E30 */ 'K', 'K', 'K', 'K', 'K', 'K', 'L', 'L', 'L', 'L', 'L', 'L', 'L', 'L', 'M', 'M',
	/* 1E40 */ 'M', 'M', 'M', 'M', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'O', 'O', 'O', 'O',
	/* 1E50 */ 'O', 'O', 'O', 'O', 'P', 'P', 'P', 'P', 'R', 'R', 'R', 'R', 'R', 'R', 'R', 'R',
	/* 1E60 */ 'S', 'S', 'S', 'S', 'S', 'S', 'S', 'S', 'S', 'S', 'T', 'T', 'T', 'T', 'T', 'T',
	/* 1E70 */ 'T', 'T', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'V', 'V', 'V', 'V',
	/* 1E80 */ 'W', 'W', 'W', 'W', 'W', 'W', 'W', 'W', 'W', 'W', 'X', 'X', 'X', 'X', 'Y', 'Y',
	/* 1E90 */ 'Z', 'Z', 'Z', 'Z', 'Z', 'Z', 'H', 'T', 'W', 'Y',  E_, 'S',  E_,  E_,  P2,  E_,
	/* 1EA0 */ 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
	/* 1EB0 */ 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E',
	/* 1EC0 */ 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'E', 'I', 'I', 'I', 'I', 'O', 'O', 'O', 'O',
	/* 1ED0 */ 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O', 'O',
	/* 1EE0 */ 'O', 'O', 'O', 'O', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
	/* 1EF0 */ 'U', 'U', 'Y', 'Y', 'Y', 'Y', 'Y', 'Y', 'Y', 'Y',  E_,  E_,  E_,  E_,  E_,  E_,
};

#undef E_
#undef S_
#undef P0
#undef P1
#undef P2
#undef P3
#undef P4
#undef P5
#undef P6
#undef P7

/* Letters outside the blocks whose canonical decomposition is a Latin letter. */
#define HL_FOLD_OTHER_FIRST 0x212a
#define HL_FOLD_OTHER_LAST 0x212b
static const struct {
	uint16_t cp;
	char letter;
} hl_fold_other[2] = {
	{ 0x212a, 'K' }, /* KELVIN SIGN */
	{ 0x212b, 'A' }, /* ANGSTROM SIGN */
};
/* clang-format on */

#endif /* HOTLIST_FOLD_TABLE_H */
