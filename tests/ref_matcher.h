/* SPDX-License-Identifier: MIT */
/*
 * A naive reference matcher for fuzzy, wildcard, candidate, repair and
 * cross-border matching: brute force over every entry, written for clarity,
 * so that the engine can be compared with it (tests/test_fuzzy.c,
 * fuzz/fuzz_match.c). It knows nothing of the engine's indexes.
 */
#ifndef HOTLIST_REF_MATCHER_H
#define HOTLIST_REF_MATCHER_H

#include "hotlist.h"

#include <stdbool.h>
#include <stddef.h>

struct ref_list {
	const char *name;
	const struct hotlist_entry *e; /* entries as given to hotlist_replace */
	size_t n;
	struct hotlist_list_options o;
};

struct ref_hit {
	size_t list, entry; /* indexes into the lists and their entries */
	int kind; /* enum hotlist_match_kind */
	unsigned subs, indels, candidate;
	bool repaired;
};

/* Every hit of read r in the lists (at most one per entry, the cheapest:
 * earlier variant, then fewest indels, then fewest substitutions). Returns
 * the number of hits (all of them, even past cap; out holds the first cap). */
size_t ref_match(const struct ref_list *lists, size_t n_lists, const struct hotlist_read *r,
		 struct ref_hit *out, size_t cap);

/* The cost rule alone: 1 and the cheapest (indels, subs) if r matches e with
 * at most k in-class substitutions and d indels under classes. */
bool ref_cost(const char *classes, unsigned k, unsigned d, const char *r, const char *e,
	      unsigned *subs, unsigned *indels);

/* Glob: '?' one character, '*' any run. Recursive (plates are short). */
bool ref_glob(const char *pat, const char *s);

#endif /* HOTLIST_REF_MATCHER_H */
