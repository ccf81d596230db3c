/* SPDX-License-Identifier: MIT */
/*
 * stats.h — striped event counters and latency histograms (stats.c). Owns
 * struct hl_stats. Uses: alloc.
 */
#ifndef HOTLIST_STATS_H
#define HOTLIST_STATS_H

#include "common.h"
#include "hotlist.h"

#include <stdatomic.h>
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
/* What a thread keeps for the stats: its stripe and its timing intervals
 * (stats.c, top comment). Here rather than in stats.c so that the two steps
 * every single-read call takes (the read counter's add to an owned stripe,
 * the sampled clock's countdown) inline into the read path (as calls,
 * the counter alone was 25 of the 537 instructions of a cached single read
 * in callgrind). Only stats.c and the inline functions below touch it. */
struct hl_stats_tl {
	unsigned stripe; /* this thread's stripe + 1; 0 = not chosen yet */
	unsigned own; /* the thread owns it: adds without a lock */
	size_t own_off; /* when own: its counters' byte offset in struct hl_stats */
	uint32_t left; /* calls of the current interval still to come, + 1 (1: time the next) */
	uint32_t weight; /* the current interval's length */
	uint32_t exact; /* timed calls so far, up to HL_LAT_EXACT_CALLS */
	uint64_t start_ns; /* clock at the current interval's first call */
	uint64_t rng; /* xorshift64 state; 0 = not seeded yet */
};
extern HL_TLS struct hl_stats_tl hotlist__stats_tl;

/* hotlist__stats_add for a thread that does not own a stripe (yet). */
void hotlist__stats_add_shared(struct hl_stats *s, enum hl_counter c, uint64_t v);

/* Relaxed add on this thread's stripe. Threads: any, wait-free. */
static inline void hotlist__stats_add(struct hl_stats *s, enum hl_counter c, uint64_t v)
{
	HL_DEBUG_ASSERT((unsigned)c < HL_C__COUNT);
	if (HL_LIKELY(hotlist__stats_tl.own)) {
		_Atomic uint64_t *p =
			(_Atomic uint64_t *)(void *)((char *)s + hotlist__stats_tl.own_off) + c;
		/* Relaxed: atomicity is all a counter needs (stats.c). An owner is
		 * the stripe's only writer: a load and a store lose nothing. */
		atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v,
				      memory_order_relaxed);
	} else {
		hotlist__stats_add_shared(s, c, v);
	}
}
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
 * the state is the calling thread's. The countdown inlines; the interval's
 * first call goes to hotlist__stats_lat_next.
 */
uint64_t hotlist__stats_lat_next(uint32_t *weight);
static inline uint64_t hotlist__stats_lat_start(uint32_t *weight)
{
	if (HL_LIKELY(hotlist__stats_tl.left > 1)) {
		hotlist__stats_tl.left--;
		return 0;
	}
	return hotlist__stats_lat_next(weight);
}
uint64_t hotlist__stats_sum(const struct hl_stats *s, enum hl_counter c);
void hotlist__stats_percentiles(const struct hl_stats *s, enum hl_hist h,
				struct hotlist_latency *out);

#endif /* HOTLIST_STATS_H */
