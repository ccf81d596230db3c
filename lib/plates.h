/* SPDX-License-Identifier: MIT */
/*
 * Country plate-format rules and read repair. See plates.c and
 * docs/plate-rules.md.
 */
#ifndef HOTLIST_PLATES_H
#define HOTLIST_PLATES_H

#include "normalise.h"

#include <stddef.h>

/* Result of checking a normalised plate against its country's layouts. */
enum hl_format {
	HL_FORMAT_UNKNOWN = -1, /* no rules for this country / country unknown */
	HL_FORMAT_NO = 0,
	HL_FORMAT_YES = 1,
};

/*
 * hotlist__plate_format - does a normalised plate fit its country's layouts?
 *
 * @param country hl_country code; rules exist for NL, BE, FR, DE and LU. Any
 *        other code, and 0, answers HL_FORMAT_UNKNOWN (nothing else is done).
 * @param norm    normalised plate (A-Z0-9); only norm[0..len-1] is read, it
 *        need not be NUL-terminated.
 * @param len     its length; 0 or more than HOTLIST_PLATE_MAX answers
 *        HL_FORMAT_NO for a country with rules, and so does any character
 *        outside A-Z0-9.
 * @param repaired   len + 1 bytes, or NULL; written (NUL-terminated) only
 *        when a repair is made.
 * @param did_repair set to 1 when a repair is made, else 0; may be NULL.
 *        When either repaired or did_repair is NULL no repair is tried.
 * @return the verdict for the plate as read. When it is HL_FORMAT_NO and
 *        exactly one different plate of the same length fits one of the
 *        country's layouts after swapping characters within the confusion
 *        pairs (digit slot: O D Q -> 0, I -> 1, Z -> 2, S -> 5, B -> 8,
 *        G -> 6; letter slot: 0 -> O, D or Q, 1 -> I, 2 -> Z, 5 -> S,
 *        8 -> B, 6 -> G; only characters that do not fit their slot are
 *        swapped), that plate is written to repaired and *did_repair = 1.
 *        Two or more different candidates: no repair (ambiguous).
 *
 * Threads: any; wait-free, pure (reads its arguments and const tables only,
 * no allocation). Ordering: none. Ownership: everything is borrowed for the
 * call.
 */
enum hl_format hotlist__plate_format(hl_country country, const char *norm, size_t len,
				     char *repaired, int *did_repair);

#endif /* HOTLIST_PLATES_H */
