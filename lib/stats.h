/* SPDX-License-Identifier: MIT */
/*
 * stats.h — striped event counters and latency histograms (stats.c). Owns
 * struct hl_stats. Uses: alloc.
 */
#ifndef HOTLIST_STATS_H
#define HOTLIST_STATS_H

#include "hotlist.h"

#include <stdint.h>

enum hl_counter {
	HL_C_READS,
	HL_C_BAD_READS,
	HL_C_HITS,
	HL_C_HITS_EXACT,
	HL_C_SUPPRESSED,
	HL_C_NOT_VALID,
	HL_C_SUBMITTED,
	HL_C_REFUSED,
	HL_C_PROCESSED,
	HL_C_WEAK_SUPPRESSED, /* weak fuzzy hits not called back */
	HL_C_WEAK, /* weak fuzzy hits called back flagged */
	HL_C_RETRO_KEPT, /* reads kept for retroactive hits */
	HL_C_RETRO_HITS, /* retroactive hits called back */
	HL_C_SECOND_READ, /* weak hits called back as alerts by a second read */
	HL_C__COUNT
};

enum hl_hist { HL_H_INLINE, HL_H_ASYNC, HL_H__COUNT };

struct hl_stats; /* opaque: stripes of counters and histograms */

int hotlist__stats_create(struct hl_stats **out, const struct hotlist_allocator *a);
void hotlist__stats_destroy(struct hl_stats *s, const struct hotlist_allocator *a);
/* Relaxed add on this thread's stripe. Threads: any, wait-free. */
void hotlist__stats_add(struct hl_stats *s, enum hl_counter c, uint64_t v);
void hotlist__stats_latency(struct hl_stats *s, enum hl_hist h, uint64_t ns);
uint64_t hotlist__stats_sum(const struct hl_stats *s, enum hl_counter c);
void hotlist__stats_percentiles(const struct hl_stats *s, enum hl_hist h,
				struct hotlist_latency *out);

#endif /* HOTLIST_STATS_H */
