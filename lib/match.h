/* SPDX-License-Identifier: MIT */
/*
 * match.h — matching reads against the published lists (match.c): the
 * public hotlist_match* calls and the entry the async workers use. match.c
 * uses: engine (struct hotlist), snapshot, fuzzy, pattern, plates, suppress,
 * stats, normalise.
 */
#ifndef HOTLIST_MATCH_H
#define HOTLIST_MATCH_H

#include "hotlist.h"
#include "stats.h"

#include <stdint.h>

/* Nonzero while this thread runs a hit callback (writers refuse: EDEADLK). */
extern _Thread_local unsigned hotlist__in_callback;
/* Match one read; t0_ns is when the read entered the engine (for the
 * latency histogram h), 0 if latency is off. Used by the async workers. */
int hotlist__match_one(struct hotlist *hl, const struct hotlist_read *read, uint64_t t0_ns,
		       enum hl_hist h, hotlist_hit_fn on_hit, void *user);

#endif /* HOTLIST_MATCH_H */
