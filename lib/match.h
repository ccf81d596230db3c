/* SPDX-License-Identifier: MIT */
/*
 * match.h — matching reads against the published lists (match.c): the
 * public hotlist_match* calls and the entry the async workers use. match.c
 * uses: engine (struct hotlist), snapshot, fuzzy, pattern, plates, suppress,
 * stats, normalise.
 */
#ifndef HOTLIST_MATCH_H
#define HOTLIST_MATCH_H

#include "common.h"
#include "hotlist.h"
#include "stats.h"

#include <stdbool.h>
#include <stdint.h>

/* Nonzero while this thread runs a hit callback (writers refuse: EDEADLK). */
extern HL_TLS unsigned hotlist__in_callback;
/* Match one read; t0_ns is when the read entered the engine (for the
 * latency histogram h), 0 if latency is off. Used by the async workers. */
int hotlist__match_one(struct hotlist *hl, const struct hotlist_read *read, uint64_t t0_ns,
		       enum hl_hist h, hotlist_hit_fn on_hit, void *user);

struct hl_list;
struct hl_meta;
struct hl_state;
/* Whether a retroactive hit of entry m of list version l may be called back. */
typedef bool (*hotlist__retro_filter_fn)(void *ctx, const struct hl_list *l,
					 const struct hl_meta *m);
/* Retroactive hits of a kept read (retro.c): match read (rebuilt from the
 * ring, ts_us its capture time) in state st, which the caller holds in a
 * read-side section, and call cfg.on_hit, flagged retro, for each exact hit
 * of its plate on an entry keep() accepts, after validity, scope and
 * suppression as for a live hit. The number of callbacks, or the
 * normalisation error. Writer's thread, after its change is published. */
int hotlist__match_retro(struct hotlist *hl, const struct hl_state *st,
			 const struct hotlist_read *read, hotlist__retro_filter_fn keep, void *ctx);

#endif /* HOTLIST_MATCH_H */
