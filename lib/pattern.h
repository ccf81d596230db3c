/* SPDX-License-Identifier: MIT */
/*
 * pattern.h — wildcard entries (pattern.c): their normalisation, the glob
 * matcher and the pattern store of a base, built from the patterns' keys
 * and run indexes. Knows nothing of lists (list.c calls it, never the
 * reverse). Uses: normalise, alloc.
 */
#ifndef HOTLIST_PATTERN_H
#define HOTLIST_PATTERN_H

#include "hotlist.h"
#include "normalise.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called for every candidate that a pattern store (here) or a fuzzy index
 * (fuzzy.h) verified: run = index of the first meta of the entry's run in
 * the base. */
typedef void (*hl_fz_emit)(void *ctx, uint32_t run, unsigned subs, unsigned indels);

/* Whether raw entry text is a pattern (has '?' or '*' in its first
 * HOTLIST_RAW_PLATE_MAX bytes). */
bool hotlist__is_pattern(const char *raw);
/* Normalise a pattern: segments as plates, '?' kept, runs of '*' as one.
 * Returns the length (1..HOTLIST_PLATE_MAX) or HOTLIST_EPLATE (also for "*"). */
int hotlist__pattern_normalise(const char *raw, char out[HOTLIST_PLATE_MAX + 1]);
/* Glob: '?' one character, '*' any run. Iterative, O(plen * slen) worst. */
bool hotlist__glob(const char *pat, size_t plen, const char *s, size_t slen);

struct hl_patterns;
/* The pattern store of n patterns: keys[i] (hotlist__key_pack_pattern) is
 * the pattern of run runs[i], in run order; *out NULL when n is 0. 0 or
 * HOTLIST_ENOMEM. */
int hotlist__patterns_build(struct hl_patterns **out, const struct hl_key *keys,
			    const uint32_t *runs, uint32_t n, const struct hotlist_allocator *a);
void hotlist__patterns_free(struct hl_patterns *p, const struct hotlist_allocator *a);
size_t hotlist__patterns_bytes(const struct hl_patterns *p);
/* emit(ctx, run, 0, 0) for every pattern run matching plate (at most once). */
void hotlist__patterns_match(const struct hl_patterns *p, const char *plate, size_t len,
			     hl_fz_emit emit, void *ctx);

#endif /* HOTLIST_PATTERN_H */
