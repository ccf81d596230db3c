/* SPDX-License-Identifier: MIT */
/*
 * table.h — the immutable open-addressing exact-match index (table.c):
 * struct hl_key -> uint32_t, seeded XXH3, bulk lookups with prefetch. Knows
 * nothing of lists or RCU. Uses: alloc, clock (seeds), normalise (keys).
 */
#ifndef HOTLIST_TABLE_H
#define HOTLIST_TABLE_H

#include "clock.h"
#include "hotlist.h"
#include "normalise.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_TABLE_NONE UINT32_MAX

/*
 * Target load factor, in percent of slots: 16 / 0.70 = 22.9 bytes per entry
 * (the bar is 32). Poisson(2.8) keys per 4-slot bucket: 91 % of keys fit in
 * their primary, and a miss reads one line with probability 0.80 (1.20
 * buckets on average; 0.65 and 1.46 at 85 %, the load until 2026-12-04).
 * Fewer misses going on to a second line (20 % against 35 %: fewer lines
 * and fewer stage-3 scans) made the batch at 10^6 entries ~10 % faster
 * (docs/table.md, "Why 70 % load"); the price is 4.1 bytes per entry, which
 * a 10 M list with plate, country, category and reference can pay (61.4
 * bytes per entry in all, against issue 10's 64).
 */
#ifndef HL_TABLE_LOAD_PCT /* test_table_badhash's drawn cases use 85 */
#define HL_TABLE_LOAD_PCT 70
#endif

/* Slots per bucket: 4 slots of 16 bytes fill one 64-byte cache line. */
#define HL_TABLE_SLOTS 4

/* The buckets of a table of n keys: n at HL_TABLE_LOAD_PCT of
 * HL_TABLE_SLOTS slots a bucket, rounded up; at least one. The one sizing
 * rule: table.c builds with it, bench_flood crafts keys against it. */
static inline uint64_t hotlist__table_buckets_for(size_t n)
{
	const uint64_t per_bucket_pct = (uint64_t)HL_TABLE_SLOTS * HL_TABLE_LOAD_PCT;
	const uint64_t nb = ((uint64_t)n * 100 + per_bucket_pct - 1) / per_bucket_pct;

	return nb ? nb : 1;
}

struct hl_table;

/*
 * Build a table mapping n distinct keys to values (values < HL_TABLE_NONE).
 * seed is the XXH3 seed (random per snapshot); keys crafted to collide
 * under it make the build start again with a fresh random seed (see
 * table.c, "Reseeding"). Returns 0, HOTLIST_ENOMEM,
 * HOTLIST_EINVAL (duplicate key, n too large).
 */
int hotlist__table_build(struct hl_table **out, const struct hl_key *keys, const uint32_t *vals,
			 size_t n, uint64_t seed, const struct hotlist_allocator *a);
/*
 * Second copies of keys met by hotlist__table_build_strided: pair k is
 * (pairs[2k] = index of the copy, pairs[2k + 1] = value of the first copy).
 * Pairs [0, phase1) and [phase1, n) are each in increasing index order.
 */
struct hl_table_dups {
	uint32_t *pairs;
	size_t n, phase1, cap;
};

/*
 * The same for keys read in place: key i at (const char *)keys + i * stride
 * (stride >= sizeof(struct hl_key); e.g. a field of the caller's records),
 * value vals[i], or i when vals is NULL. With dups non-NULL a key met again
 * is not an error: the copy is left out of the table and recorded in *dups
 * (freed with hotlist__table_dups_free, also after an error); the table
 * holds the distinct keys. Same errors as hotlist__table_build.
 */
int hotlist__table_build_strided(struct hl_table **out, const void *keys, size_t stride,
				 const uint32_t *vals, size_t n, uint64_t seed,
				 struct hl_table_dups *dups, const struct hotlist_allocator *a);
/*
 * A build ahead: phase 1 of a hotlist__table_build_strided (keys read in
 * place, value i for key i, duplicates kept in *dups) run on a worker thread
 * while the keys are still being written (table.c, "Building ahead").
 * begin: a table for up to n_max keys at keys + i * stride; 0,
 * HOTLIST_ENOMEM or HOTLIST_EINVAL (nothing to free then). add: place keys
 * [placed so far, upto), which must be written and stay unchanged until
 * finish; never allocates, never fails (an error is kept for finish). Any
 * one thread at a time, synchronised with the others by the caller.
 * finish: the n keys now at keys (the array may have moved since begin;
 * keys placed by add must be unchanged), the rest of the build; frees ti
 * whatever it returns; same results and errors as
 * hotlist__table_build_strided, *dups included. abort: frees ti and *dups.
 */
struct hl_table_inc;
int hotlist__table_inc_begin(struct hl_table_inc **out, const void *keys, size_t stride,
			     size_t n_max, uint64_t seed, struct hl_table_dups *dups,
			     const struct hotlist_allocator *a);
void hotlist__table_inc_add(struct hl_table_inc *ti, size_t upto);
/*
 * The rest of phase 1 on two threads (table.c, "Splitting the rest"). split:
 * on the caller's thread, once no add runs any more and before finish, with
 * finish's keys and n; true when the rest is worth sharing (enough keys
 * left, no error so far, memory for the worker's lists), and then part 1
 * runs on another thread while part 0 runs on the caller's, each once, at
 * the same time or not, and the other thread's part ends (the caller joins
 * it) before finish. false: nothing changed, finish places the rest. Part
 * 1 never allocates; neither fails (an error is kept for finish). stop:
 * NULL, or a flag the part looks at every few thousand keys and, once
 * set, stops at; finish then places the rest of that part itself.
 */
bool hotlist__table_inc_split(struct hl_table_inc *ti, const void *keys, size_t n);
void hotlist__table_inc_part(struct hl_table_inc *ti, unsigned which, const atomic_bool *stop);
/* The fewest keys left for split to say yes (tests lower it). */
extern size_t hotlist__table_split_min;
/* Phase 1 partitioned (table.c, place_primary_radix) in tables of at least
 * hotlist__table_radix_min buckets, 2^hotlist__table_radix_shift buckets a
 * partition (at most 2^31). Tests change both, only while no build runs:
 * each build reads them once, unsynchronised. */
extern size_t hotlist__table_radix_min;
extern unsigned hotlist__table_radix_shift;
/* Partitioned phase 1 passes that ended without an error (for tests). */
extern atomic_size_t hotlist__table_radix_runs;
/* Invariants 1 to 4 of table.c's top comment hold for every slot of t,
 * with max_probe, and count is the keys it holds (for tests; O(size)). */
bool hotlist__table_check(const struct hl_table *t);
/* Same buckets, slot for slot, seed, count and max_probe (for tests). */
bool hotlist__table_same(const struct hl_table *a, const struct hl_table *b);
int hotlist__table_inc_finish(struct hl_table_inc *ti, const void *keys, size_t n,
			      struct hl_table **out);
void hotlist__table_inc_abort(struct hl_table_inc *ti);
void hotlist__table_dups_free(struct hl_table_dups *d, const struct hotlist_allocator *a);
/* Before the table is published: every stored value v becomes map[v]. */
void hotlist__table_remap(struct hl_table *t, const uint32_t *map);
void hotlist__table_free(struct hl_table *t, const struct hotlist_allocator *a);
/* Value for key, or HL_TABLE_NONE. */
uint32_t hotlist__table_find(const struct hl_table *t, const struct hl_key *key);
/* vals[i] = hotlist__table_find(t, &keys[i]), pipelined with prefetch. */
void hotlist__table_find_bulk(const struct hl_table *t, const struct hl_key *keys, size_t n,
			      uint32_t *vals);
/* A key's two buckets in one table, from hotlist__table_place. */
struct hl_place {
	uint32_t b1, b2;
};
/*
 * The bulk lookup in three steps, for a caller with work of its own to put
 * between them while the lines load (match.c normalises its next reads):
 * place hashes keys[0..n) into pl[0..n) and prefetches their filter words;
 * sift tests the words and prefetches the buckets of the keys that pass;
 * find_placed then sets vals[i] = hotlist__table_find(t, &keys[i]) from
 * pl[i] (table.c, "Placed lookups"). Same t and keys for all three, each
 * key sifted once between place and find_placed. None can fail; n = 0
 * touches nothing.
 */
/* Buckets from which place prefetches filter words and sift tests them;
 * below it place prefetches buckets and sift does nothing (table.c). */
#define HL_TABLE_SIFT_MIN ((uint64_t)1 << 14)
void hotlist__table_place(const struct hl_table *t, const struct hl_key *keys, size_t n,
			  struct hl_place *pl);
void hotlist__table_sift(const struct hl_table *t, const struct hl_key *keys, size_t n,
			 struct hl_place *pl);
void hotlist__table_find_placed(const struct hl_table *t, const struct hl_key *keys,
				const struct hl_place *pl, size_t n, uint32_t *vals);
size_t hotlist__table_count(const struct hl_table *t);
/* Bytes of t as allocated (its buckets rounded as lib/alloc.c asks for them). */
size_t hotlist__table_bytes(const struct hl_table *t);
/* Buckets of t (64 bytes each). */
uint64_t hotlist__table_buckets(const struct hl_table *t);
/* Longest probe (in buckets) any stored key needs: the bound on a lookup. */
unsigned hotlist__table_max_probe(const struct hl_table *t);
/* Times the build started again with another seed because a key would have
 * been placed more than 96 buckets along its chain (crafted collisions). */
unsigned hotlist__table_reseeds(const struct hl_table *t);
/* Tests: whether key passes t's filter (table.c, "The filter"): false
 * proves it absent; true for every key t holds, and for ~2 % of others. */
bool hotlist__table_maybe(const struct hl_table *t, const struct hl_key *key);
/* Tests and bench_flood: the primary (*b1) and secondary (*b2) bucket of key
 * under seed in a table of n keys (a build that reseeded uses another seed);
 * returns the table's bucket count. */
uint64_t hotlist__table_place_of(size_t n, uint64_t seed, const struct hl_key *key, uint64_t *b1,
				 uint64_t *b2);

/*
 * Where the time of the last list build on this thread went, for
 * bench_reload --per-call (a few clock reads per build; thread-local, so
 * builds on other threads never race on it). CLOCK_MONOTONIC ns, 0 where a
 * step did not run. Stamped only while on, i.e. inside hotlist_replace
 * (load.c sets it; a replace is milliseconds, the stamps a few µs): an
 * edit's small builds (snapshot_edit.c, on the put path) take none.
 * Written by load.c (begin, published), list.c (the builder and its
 * worker) and table.c (the end of phase 1).
 */
struct hl_build_times {
	bool on;
	uint64_t begin_ns; /* hotlist_replace entered */
	uint64_t added_ns; /* every entry added: hotlist__builder_finish entered */
	uint64_t joined_ns; /* the build-ahead worker stopped and joined */
	uint64_t phase1_ns; /* index phase 1 done (the rest of it, after a build ahead) */
	uint64_t index_ns; /* the index built (phase 2 done) */
	uint64_t built_ns; /* hotlist__builder_finish returned */
	uint64_t published_ns; /* the version published */
	/* CPU time of the calling thread at the same points (a loaded
	 * machine preempts it: wall then says little) */
	uint64_t begin_cpu, added_cpu, joined_cpu, phase1_cpu, index_cpu, built_cpu, published_cpu;
	uint64_t worker_cpu_ns; /* CPU time of the build-ahead worker */
	uint64_t worker_wait_ns; /* its time waiting for entries */
	uint64_t worker_keys; /* keys it placed in phase 1 */
	uint64_t split_keys; /* keys of phase 1 the two threads shared at the end */
	uint64_t split_wait_ns; /* the caller's wait for the worker's share */
	uint64_t over_keys; /* keys placed in phase 2 */
	uint64_t n_keys;
};
extern _Thread_local struct hl_build_times hotlist__build_times;
/* Stamp the wall and CPU clocks into *ns, *cpu if the stamps are on. */
static inline void hotlist__build_stamp(uint64_t *ns, uint64_t *cpu)
{
	if (hotlist__build_times.on) {
		*ns = hotlist__now_ns();
		*cpu = hotlist__thread_cpu_ns();
	}
}

#endif /* HOTLIST_TABLE_H */
