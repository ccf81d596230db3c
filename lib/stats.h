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
/* Choose this thread's stripe now (claiming one it owns if one is free:
 * pthread_once, a compare-and-swap, pthread_setspecific) rather than on its
 * first add. hotlist_thread_prepare() calls it. */
void hotlist__stats_thread_prepare(void);
/* Relaxed add on this thread's stripe. Threads: any, wait-free. */
void hotlist__stats_add(struct hl_stats *s, enum hl_counter c, uint64_t v);
/* One latency sample of ns. Threads: any, lock-free (stats.c). */
void hotlist__stats_latency(struct hl_stats *s, enum hl_hist h, uint64_t ns);
/* The same, standing for weight samples (a sampled call's hit: weight from
 * hotlist__stats_lat_start); weight >= 1. */
void hotlist__stats_latency_n(struct hl_stats *s, enum hl_hist h, uint64_t ns, uint32_t weight);
/* Sampled timing (stats.c, top comment). A thread's first timed calls, each
 * its own interval: enough that short runs (a tool, a test, a thread's
 * warm-up) count every hit. */
#define HL_LAT_EXACT_CALLS 1024
/* Mean interval when sampling: the clock's cost spread over 16 calls is
 * ~1.5 ns a call, and a hit is still timed once in 16 on average. */
#define HL_LAT_EVERY 16
/* Calls at least this far apart on average are all timed: at 1 us a call
 * the clock is under 3 % of the call's time, not worth a thinner histogram. */
#define HL_LAT_DENSE_NS 1000

/*
 * Whether this call of the single-read path is timed (stats.c, "Sampled
 * timing"): the clock (hotlist__now_ns) if it is, with in *weight the calls
 * its hits stand for; 0 if not (*weight untouched). Threads: any, wait-free;
 * the state is the calling thread's.
 */
uint64_t hotlist__stats_lat_start(uint32_t *weight);
uint64_t hotlist__stats_sum(const struct hl_stats *s, enum hl_counter c);
void hotlist__stats_percentiles(const struct hl_stats *s, enum hl_hist h,
				struct hotlist_latency *out);

#endif /* HOTLIST_STATS_H */
