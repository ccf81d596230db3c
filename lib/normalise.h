/* SPDX-License-Identifier: MIT */
/*
 * normalise.h — plate text, countries and the exact-match key (normalise.c).
 * Owns the normalised plate alphabet (A-Z0-9), the 16-bit country code and
 * struct hl_key with its 6-bit packing. Bottom layer: includes no other
 * module.
 */
#ifndef HOTLIST_NORMALISE_H
#define HOTLIST_NORMALISE_H

#include "hotlist.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Normalise raw UTF-8 plate text (at most HOTLIST_RAW_PLATE_MAX bytes are
 * looked at; longer input is HOTLIST_EPLATE) into out[HOTLIST_PLATE_MAX + 1]:
 * A-Z0-9 only, NUL-terminated. Returns the length 1..HOTLIST_PLATE_MAX or
 * HOTLIST_EPLATE. Never reads past the NUL, never writes past out[16].
 */
int hotlist__normalise_plate(const char *in, char out[HOTLIST_PLATE_MAX + 1]);
/*
 * hotlist__normalise_plate, then hotlist__key_pack of the result into *key
 * (untouched on error): the same results, in one pass that packs the key
 * from registers (normalise.c). For a caller that looks the key up at once.
 */
struct hl_key;
int hotlist__normalise_key(const char *in, char out[HOTLIST_PLATE_MAX + 1], struct hl_key *key);

/*
 * A country as a 16-bit code: ('N' << 8) | 'L'; 0 = unknown / any.
 * Parses NULL, "", " nl ", "NL", one-letter vehicle codes ("D" -> DE).
 * Returns 0 or HOTLIST_ECOUNTRY.
 */
typedef uint16_t hl_country;
int hotlist__parse_country(const char *in, hl_country *out);
/* "NL" or "" into out[3]. */
void hotlist__country_str(hl_country c, char out[3]);

/*
 * The exact-match key: a normalised plate packed 6 bits a character
 * (0 = padding, 1..10 = '0'..'9', 11..36 = 'A'..'Z'), 16 characters in
 * 96 bits. Two plates are equal iff their keys are equal; the all-zero key
 * is no plate (plates are never empty), so it marks an empty table slot.
 * Character i (0..14) sits at bits 6i of lo (i < 10) or 6(i-10) of hi;
 * character 15 is split: its low 4 bits at lo bits 60..63, its high 2 bits
 * at hi bits 30..31. Compare keys with hl_key_eq(), never memcmp (padding).
 */
struct hl_key {
	uint64_t lo; /* characters 0..9 (bits 0..59); low 4 bits of character 15 (60..63) */
	uint32_t hi; /* characters 10..14 (bits 0..29); high 2 bits of character 15 (30..31) */
};

void hotlist__key_pack(const char *norm, size_t len, struct hl_key *out);
/* plate's key if plate is already a normalised plate (1..HOTLIST_PLATE_MAX
 * of '0'-'9', 'A'-'Z', nothing else): its length; else 0, out untouched. */
int hotlist__key_pack_plain(const char *plate, struct hl_key *out);
/* The same for a pattern (A-Z0-9 plus '?' = code 37 and '*' = code 38), one
 * character at a time: for building, not for the read path. */
void hotlist__key_pack_pattern(const char *pat, size_t len, struct hl_key *out);
/* Back to text; returns the length. out has HOTLIST_PLATE_MAX + 1 bytes. */
size_t hotlist__key_unpack(const struct hl_key *k, char *out);

static inline int hl_key_eq(const struct hl_key *a, const struct hl_key *b)
{
	return ((a->lo ^ b->lo) | (uint64_t)(a->hi ^ b->hi)) == 0;
}

#endif /* HOTLIST_NORMALISE_H */
