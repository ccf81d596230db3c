/* SPDX-License-Identifier: MIT */
/*
 * table.c — the immutable exact-match index: 96-bit plate keys to 32-bit
 * values, in an open-addressing table of cache-line buckets. The hot path of
 * every exact match. See docs/table.md for the measurements behind it.
 *
 * Owns: one struct hl_table (a 64-byte header) and its bucket array. Both are
 * allocated by hotlist__table_build() and freed by hotlist__table_free(); the
 * table never changes in between, so any number of threads may look up in it
 * at once with no synchronisation at all. Who publishes a table and when it
 * may be freed (RCU) is snapshot.c's business: this file knows nothing of it.
 *
 * Memory-ordering contract: none of its own. The table is written only
 * before hotlist__table_build() returns; the caller publishes the pointer with
 * a release (rcu_assign_pointer()) and readers load it with the matching
 * acquire/consume (rcu_dereference()), which makes the whole table visible.
 * Lookups are wait-free: at most max_probe buckets, a bound fixed at build.
 *
 * Layout. A slot holds the key inline, so a lookup that ends in its first
 * bucket touches exactly one cache line of the table; one that the filter
 * (below, "The filter") rules out touches none, only its filter word:
 *
 *   struct hl_table: a 64-byte line of its own, never shared with buckets
 *   +----------+---------+----------+------+-------+--------------+-----------+
 *   | *buckets | *filter | nbuckets | seed | count | bucket_bytes | max_probe |
 *   +----------+---------+----------+------+-------+--------------+-----------+
 *
 *   one block: nbuckets buckets, then the filter, a uint32_t word per
 *   bucket (4 bytes against the bucket's 64)
 *
 *   bucket array, 64-byte aligned (2 MiB aligned + MADV_HUGEPAGE if >= 4 MiB, by alloc.c)
 *   byte 0          16              32              48              64
 *   +---------------+---------------+---------------+---------------+
 *   | lo  |hi |val  | lo  |hi |val  | lo  |hi |val  | lo  |hi |val  | bucket 0
 *   +---------------+---------------+---------------+---------------+
 *   |    slot 0     |    slot 1     |    slot 2     |    slot 3     | bucket 1
 *   +---------------+---------------+---------------+---------------+
 *   |<- order of 0,1 = SPILL bit -->|<- order of 2,3 = CHAIN bit -->| (full buckets)
 *   slot = { uint64_t lo; uint32_t hi; uint32_t val; }: 16 bytes; an empty
 *   slot has the zero key (no plate packs to it) and val HL_TABLE_NONE.
 *
 * Placement. h = XXH3_64bits_withSeed(the 12 key bytes, seed) gives each key
 * two buckets: primary b1 = fastrange(h, nbuckets) = (h * nbuckets) >> 64
 * (Lemire 2016: no division, any table size) and secondary b2 = b1 + 1 +
 * fastrange32(low 32 bits of h, nbuckets - 1), mod nbuckets (never b1 when
 * there are two buckets or more). A key lives in b1 or, when b1 is full, on
 * its overflow chain: b2, b2 + 1, ... (linear probing by bucket, wrapping).
 *
 * Why not plain linear probing from b1: at 85 % load, 67 % of 4-slot buckets
 * end up full and a miss (the common case for plate reads) must walk to the
 * end of the cluster: 6.3 buckets on average (measured; docs/table.md). Here a
 * full bucket carries two bits that let a miss stop early, stored for free in
 * the order of its keys (all four are distinct, so "key in slot 0 > key in
 * slot 1" is a bit; the 96-bit keys compare as hi:lo):
 *   SPILL(b) = slot0 > slot1: some key whose primary is b lives on its chain.
 *   CHAIN(b) = slot2 > slot3: some chain that passes b ends after b.
 * Build places every key it can in its primary first (91 % of keys at 70 %
 * load), then the rest on their chains; if the secondary is full, it first
 * tries to move one primary resident of it to that resident's own secondary
 * (one cuckoo step, Pagh & Rodler 2001), which keeps chains short. In the
 * end 88 % of keys are in their primary.
 * A large table's phase 1 goes partition by partition (place_primary_radix:
 * each line from memory once instead of once a key), with the same result.
 *
 * Invariants (after build):
 *  1. Slots of a bucket fill from slot 0; a bucket never loses a key.
 *  2. A key not in its primary b1 => b1 is full and SPILL(b1).
 *  3. A key at b2 + j (j >= 1) on its chain => buckets b2 .. b2 + j - 1 are
 *     full with CHAIN set, and 2 + j <= max_probe; a key in b1 needs 1.
 *  4. count < 4 * nbuckets: a free slot always exists, so build ends.
 * Lookup, from 2 and 3: scan b1; a match returns its value; an empty slot or
 * a clear SPILL proves absence. Else scan b2, b2 + 1, ... the same way with
 * CHAIN, at most max_probe - 1 buckets. A miss reads one line with
 * probability ~0.80 at 70 % load (docs/table.md), whatever the order of
 * the keys, and max_probe bounds every lookup even under a hostile hash.
 *
 * The seed is random per snapshot (the caller's), so plates crafted to
 * collide under one seed do not collide under the next.
 */
#include "table.h"

#include "alloc.h"
#include "clock.h"
#include "common.h"
#include "normalise.h"

#include <assert.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#ifdef HL_TABLE_TEST_BAD_HASH
/* Test hook: buckets scanned by lookups, so tests can check how far a miss
 * reads (a wrong SPILL or CHAIN bit costs reads, never a wrong answer). */
extern atomic_ulong hotlist__table_test_scans;
atomic_ulong hotlist__table_test_scans;
#define COUNT_SCAN() atomic_fetch_add_explicit(&hotlist__table_test_scans, 1, memory_order_relaxed)
#else
#define COUNT_SCAN() ((void)0)
#define XXH_INLINE_ALL /* the 12-byte XXH3 path inlines to ~25 instructions */
#include <xxhash.h>
#endif

/*
 * Keys per block of the find_bulk() pipeline (and the prefetch distance of
 * the build's): a block's lines are all prefetched before the first is read.
 * A DRAM miss costs ~100 ns and a lookup's CPU work ~15-20 ns, so a block
 * must be long enough to cover the miss; 32 also makes the engine's batches
 * of 32 reads one block, hashed and prefetched together. Measured against
 * 16 and 8: equal on long runs, 5-25 % faster on calls of 32 and 64 keys
 * (docs/table.md). A power of two: the rings are indexed by a mask.
 */
#define HL_TABLE_PREFETCH_AHEAD 32
#define HL_TABLE_RING (4 * HL_TABLE_PREFETCH_AHEAD)
#define HL_TABLE_BUILD_RING (4 * HL_TABLE_PREFETCH_AHEAD)
/* Records ahead that phase 1's partitioned pass C prefetches the bucket of
 * (the partition's lines are mostly in the cache already). */
#define HL_TABLE_RADIX_AHEAD 8

/*
 * Bucket arrays of 4 MiB and more come 2 MiB-aligned and advised
 * MADV_HUGEPAGE from hotlist__alloc() (alloc.c does it for every large
 * block): a random lookup in a 10 M-entry table (~190 MB) misses the TLB
 * almost always with 4 KiB pages, and the page walk adds to the DRAM miss.
 */

/*
 * Reseeding. Keys crafted to collide under a seed the attacker learnt pile
 * up on one run of buckets: chains of thousands, lookups 1000x slower and a
 * build of seconds (bench/bench_flood.c). Random keys never come near:
 * max_probe is 29-38 at 10^6 keys. A build that would place a key further
 * than HL_TABLE_RESEED_PROBE buckets along its chain stops at once and starts
 * again with a fresh random seed (hotlist__seed(): under it the crafted keys
 * are as good as random); after HL_TABLE_RESEEDS tries it takes what comes,
 * so a build always ends. The test build with a bad hash ignores seeds, so
 * it never reseeds.
 */
#define HL_TABLE_RESEED_PROBE 96
#define HL_TABLE_RESEEDS 4
#define HL_TABLE_ERESEED 1 /* internal to this file: start again */
#define HL_TABLE_EPAUSE 2 /* internal: a build ahead's worker would allocate */

/* Which slot pair of a full bucket holds which bit (see the diagram). */
#define SPILL_PAIR 0
#define CHAIN_PAIR 2

/* scan() result "not decided in this bucket": above every 32-bit value. */
#define SCAN_ON ((uint64_t)1 << 32)

struct hl_slot {
	uint64_t lo;
	uint32_t hi;
	uint32_t val;
};

struct hl_bucket {
	_Alignas(HL_CACHE_LINE) struct hl_slot slot[HL_TABLE_SLOTS];
};

struct hl_table {
	_Alignas(HL_CACHE_LINE) struct hl_bucket *buckets; /* nbuckets */
	uint32_t *filter; /* a word a bucket, after the buckets ("The filter") */
	uint64_t nbuckets; /* < UINT32_MAX, since count < HL_TABLE_NONE */
	uint64_t seed;
	size_t count;
	size_t bucket_bytes; /* as allocated, for hotlist__free() */
	unsigned max_probe; /* buckets a lookup may visit; 0 when empty */
	unsigned reseeds; /* builds started again with another seed */
};

static_assert(sizeof(struct hl_slot) == 16, "slot is 16 bytes: key inline, 4 per line");
static_assert(sizeof(struct hl_bucket) == HL_CACHE_LINE, "a bucket is one cache line");
static_assert(_Alignof(struct hl_bucket) == HL_CACHE_LINE, "buckets are line-aligned");
static_assert(sizeof(struct hl_table) == HL_CACHE_LINE, "header is one line of its own");
static_assert(HL_TABLE_SLOTS == 4, "slot masks and flag pairs below assume 4 slots");
static_assert(offsetof(struct hl_key, hi) == sizeof(uint64_t), "lo, hi are 12 bytes in a row");
static_assert((HL_TABLE_RING & (HL_TABLE_RING - 1)) == 0, "ring is indexed with a mask");
static_assert((HL_TABLE_BUILD_RING & (HL_TABLE_BUILD_RING - 1)) == 0, "so is the build's");

__extension__ typedef unsigned __int128 hl_u128;

static inline uint64_t key_hash(const struct hl_key *k, uint64_t seed)
{
#ifdef HL_TABLE_TEST_BAD_HASH
	/* Test hook: 8 hash values, seed ignored: every key of a class shares
	 * primary (class * nbuckets / 8) and secondary (the next bucket). */
	(void)seed;
	return (k->lo & 7) << 61;
#else
	/*
	 * XXH3_64bits_withSeed of bytes 0..11 of struct hl_key (lo then hi,
	 * host order, little-endian: static_asserts; padding not read),
	 * computed from lo and hi as two loads: XXH3's 9..16-byte path
	 * (XXH3_len_9to16_64b, xxhash.h >= 0.8, whose output is frozen)
	 * written out. Its own form reads bytes 0..7 and 4..11; the second
	 * load straddles the key's two fields, and when they were just
	 * stored (the single read packs its key and looks it up at once, in
	 * the same few dozen instructions) a load that spans two stores still
	 * in the store buffer is not forwarded: it waits until both reach the
	 * cache. Bytes 4..11 are (lo >> 32) | hi << 32. Debug builds check
	 * every hash against XXH3_64bits_withSeed itself.
	 */
	static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "bytes 4..11 as below");
	const uint64_t lo = k->lo, hi = k->hi;
	const uint64_t bitflip1 =
		(XXH_readLE64(XXH3_kSecret + 24) ^ XXH_readLE64(XXH3_kSecret + 32)) + seed;
	const uint64_t bitflip2 =
		(XXH_readLE64(XXH3_kSecret + 40) ^ XXH_readLE64(XXH3_kSecret + 48)) - seed;
	const uint64_t in_lo = lo ^ bitflip1;
	const uint64_t in_hi = (lo >> 32 | hi << 32) ^ bitflip2;
	const uint64_t h = XXH3_avalanche(sizeof(k->lo) + sizeof(k->hi) + XXH_swap64(in_lo) +
					  in_hi + XXH3_mul128_fold64(in_lo, in_hi));

	HL_DEBUG_ASSERT(h == XXH3_64bits_withSeed(k, sizeof(k->lo) + sizeof(k->hi), seed));
	return h;
#endif
}

static inline uint64_t primary_of(uint64_t h, uint64_t nbuckets)
{
	return (uint64_t)(((hl_u128)h * nbuckets) >> 64);
}

static inline uint64_t secondary_of(uint64_t h, uint64_t b1, uint64_t nbuckets)
{
	uint64_t b2 = b1 + 1 + (((h & UINT32_MAX) * (nbuckets - 1)) >> 32);

	return b2 >= nbuckets ? b2 - nbuckets : b2;
}

/* A key's two buckets, b1 and b2 (both < nbuckets < UINT32_MAX): the one
 * copy of hash, primary and secondary that the bulk lookups, the checker
 * and the build's phase 2 use (hotlist__table_find and the cuckoo step,
 * which need b2 only sometimes, compose them themselves). */
static inline struct hl_place place_one(const struct hl_key *key, uint64_t seed, uint64_t nbuckets)
{
	const uint64_t h = key_hash(key, seed);
	const uint64_t b1 = primary_of(h, nbuckets);

	return (struct hl_place){ .b1 = (uint32_t)b1,
				  .b2 = (uint32_t)secondary_of(h, b1, nbuckets) };
}

/*
 * The filter. Most reads are of plates that are not listed, and a miss in
 * a table larger than the caches costs a line from memory (two for ~20 %
 * of misses). So each bucket b has a 32-bit word of a blocked Bloom filter
 * (Putze, Sanders, Singler 2007: one word a key), filter[b]: the OR of
 * filter_bits(k) of every key k whose primary is b, wherever k lives. A
 * lookup tests its key's bits in filter[b1] before it touches the bucket:
 * any bit missing proves the key absent. The words are 4 bytes a bucket
 * (1.4 bytes a key at 70 % load: 1.4 MB at 10^6 keys, which stays in the
 * L2/L3 caches while the 23 MB of buckets does not). With Poisson(2.8)
 * keys a word and 4 bits a key, 2 % of absent keys pass (and then read the
 * bucket as before). The bits come from the key itself by a multiply (not
 * from h: every way phase 1 runs has the key at hand, not all have h); the
 * word is chosen by the seeded b1, so keys crafted to share bits gain
 * nothing: a false positive costs what a lookup cost without the filter.
 * Words are indexed by primary bucket, so the two threads of a split phase
 * 1, which own disjoint bucket ranges, write disjoint words.
 */
static inline uint32_t filter_bits(const struct hl_key *k)
{
#ifdef HL_TABLE_TEST_BAD_HASH
	/* Test hook: no bits, every key passes, so that the bad-hash build's
	 * tests see the buckets' own stop bits at work (test_table checks the
	 * filter in the real build). */
	(void)k;
	return 0;
#endif
	const uint64_t x =
		(k->lo ^ k->hi * UINT64_C(0xc2b2ae3d27d4eb4f)) * UINT64_C(0x9e3779b97f4a7c15);

	return 1u << (x >> 59) | 1u << (x >> 54 & 31) | 1u << (x >> 49 & 31) | 1u << (x >> 44 & 31);
}

/* May a key of bits fb be in a table whose filter word at its primary is w? */
static inline bool filter_maybe(uint32_t w, uint32_t fb)
{
	return (w & fb) == fb;
}

static inline uint64_t next_bucket(uint64_t b, uint64_t nbuckets)
{
	return b + 1 == nbuckets ? 0 : b + 1;
}

static inline int slot_is_empty(const struct hl_slot *s)
{
	return (s->lo | s->hi) == 0;
}

static inline int slot_has(const struct hl_slot *s, const struct hl_key *k)
{
	return ((s->lo ^ k->lo) | (s->hi ^ k->hi)) == 0;
}

/* Bit i set: slot i holds key. Branch-free: how many slots are filled is random. */
static inline unsigned hit_mask(const struct hl_bucket *bk, const struct hl_key *key)
{
	const struct hl_slot *s = bk->slot;

	return (unsigned)slot_has(&s[0], key) | (unsigned)slot_has(&s[1], key) << 1 |
	       (unsigned)slot_has(&s[2], key) << 2 | (unsigned)slot_has(&s[3], key) << 3;
}

/* The bit a full bucket stores in the order of slots pair, pair + 1. */
static inline int pair_bit(const struct hl_slot *s, unsigned pair)
{
	hl_u128 a = ((hl_u128)s[pair].hi << 64) | s[pair].lo;
	hl_u128 b = ((hl_u128)s[pair + 1].hi << 64) | s[pair + 1].lo;

	return a > b;
}

/*
 * Scan one bucket for key: its value, HL_TABLE_NONE (absent: the bucket has
 * a free slot, or its bit for pair says no key goes on), or SCAN_ON. A miss
 * costs four 64-bit compares and the full/bit test, with one branch each:
 * lo alone tells nearly every miss (hi is compared only on a lo match), and
 * "go on" is one condition, not a branch per slot (how many slots are
 * filled is random). An empty slot holds value HL_TABLE_NONE, so the zero
 * key, which only empty slots match, finds HL_TABLE_NONE.
 */
static inline uint64_t scan(const struct hl_bucket *bk, const struct hl_key *key, unsigned pair)
{
	const struct hl_slot *s = bk->slot;
	const uint64_t lo = key->lo;
	int full;

	COUNT_SCAN();
	if ((s[0].lo == lo) | (s[1].lo == lo) | (s[2].lo == lo) | (s[3].lo == lo)) {
		const unsigned hit = hit_mask(bk, key);

		if (hit)
			return s[__builtin_ctz(hit)].val;
	}
	/* Slots fill from 0: the bucket is full iff its last slot is. */
	full = !slot_is_empty(&s[HL_TABLE_SLOTS - 1]);
	return (full & pair_bit(s, pair)) ? SCAN_ON : HL_TABLE_NONE;
}

/* Scan the overflow chain from b2, at most max_chain buckets. */
static inline uint32_t scan_chain(const struct hl_bucket *buckets, uint64_t nbuckets,
				  unsigned max_chain, const struct hl_key *key, uint64_t b)
{
	for (unsigned p = 0; p < max_chain; p++) {
		uint64_t r = scan(&buckets[b], key, CHAIN_PAIR);

		if (r != SCAN_ON)
			return (uint32_t)r;
		b = next_bucket(b, nbuckets);
	}
	return HL_TABLE_NONE;
}

uint32_t hotlist__table_find(const struct hl_table *t, const struct hl_key *key)
{
	HL_DEBUG_ASSERT(t && key);
	/* Not place_one(): gcc computes its b2 (an imul, a cmov) before the
	 * scan, on every lookup; here only the ~20 % of misses that go on pay. */
	const uint64_t h = key_hash(key, t->seed);
	const uint64_t b1 = primary_of(h, t->nbuckets);

	if (!filter_maybe(t->filter[b1], filter_bits(key)))
		return HL_TABLE_NONE;
	const uint64_t r = scan(&t->buckets[b1], key, SPILL_PAIR);

	if (HL_LIKELY(r != SCAN_ON))
		return (uint32_t)r;
	/* SPILL set: some key is on a chain, so max_probe >= 2. */
	return scan_chain(t->buckets, t->nbuckets, t->max_probe - 1, key,
			  secondary_of(h, b1, t->nbuckets));
}

/*
 * The four stages of a bulk lookup, each over the keys [k0, k1) of one
 * block, written once for find_bulk, place, sift and find_placed. Key k's places
 * are pl[k & mask]: mask HL_TABLE_RING - 1 for find_bulk's ring of four
 * blocks, SIZE_MAX for a caller's array. The table's fields come as
 * arguments, from the callers' locals (find_bulk's comment says why);
 * inlined, they stay in the registers the caller keeps them in.
 */

/*
 * Stage 1: hash, record b1 and b2, prefetch b1's filter word if sift, else
 * b1's line (a table too small to sift, below), and b2's line if also_b2.
 * The word is mostly in the caches (1.4 bytes a key), but not always: at
 * 10^7 keys it is 11 MB, past this VM's share of L3.
 */
static inline void place_block(const uint32_t *filter, uint64_t nbuckets, uint64_t seed,
			       const struct hl_bucket *buckets, const struct hl_key *keys,
			       size_t k0, size_t k1, struct hl_place *pl, size_t mask, bool sift,
			       bool also_b2)
{
	for (size_t k = k0; k < k1; k++) {
		const struct hl_place p = place_one(&keys[k], seed, nbuckets);

		pl[k & mask] = p;
		if (sift)
			__builtin_prefetch(&filter[p.b1], 0, 3);
		else
			__builtin_prefetch(&buckets[p.b1], 0, 3);
		if (also_b2)
			__builtin_prefetch(&buckets[p.b2], 0, 3);
	}
}

/*
 * Stage 2, the sift: test each key against its filter word (asked for in
 * stage 1). A key the filter rules out gets b1 = nbuckets, one past the
 * last bucket, where stage 3 answers HL_TABLE_NONE without reading a
 * bucket; the others' b1 lines are prefetched. No branch on the answer
 * here (it depends on the read): a ruled-out key's prefetch is of the line
 * one past the buckets, the filter's first, which a prefetch may name
 * (it reads nothing). Stage 3's branch is taken for ~98 % of absent keys.
 */
static inline void sift_block(const uint32_t *filter, uint64_t nbuckets,
			      const struct hl_bucket *buckets, const struct hl_key *keys, size_t k0,
			      size_t k1, struct hl_place *pl, size_t mask)
{
	const uint32_t none = (uint32_t)nbuckets;

	for (size_t k = k0; k < k1; k++) {
		const uint32_t b1 = pl[k & mask].b1;
		HL_DEBUG_ASSERT(b1 < none); /* each key sifted once */
		const uint32_t in = filter_maybe(filter[b1], filter_bits(&keys[k]));
		const uint32_t b = none ^ ((b1 ^ none) & (0u - in));

		pl[k & mask].b1 = b;
		__builtin_prefetch(&buckets[b], 0, 3);
	}
}

/*
 * Stage 3: scan b1 (asked for in stage 2; none: the sift ruled the key
 * out) and write the answer, which stage 4 overwrites when the key goes
 * on; queue the keys that go on (an append with no branch: the slot is
 * always written, the count grows by "on"); if b2_here, prefetch b2 for
 * them. Returns how many it queued.
 */
static inline size_t scan_block(const struct hl_bucket *buckets, uint32_t none,
				const struct hl_key *keys, size_t k0, size_t k1,
				const struct hl_place *pl, size_t mask, uint32_t *vals,
				size_t *queue, bool b2_here)
{
	size_t queued = 0;

	for (size_t k = k0; k < k1; k++) {
		const uint32_t b1 = pl[k & mask].b1, b2 = pl[k & mask].b2;

		/* the sift ruled it out: a branch, taken for ~98 % of the
		 * absent keys, so it mispredicts only on the hits and the
		 * filter's false positives; scanning an empty bucket for
		 * them instead was ~4 % of a batch read at 10^6
		 * (docs/PERFORMANCE.md) */
		if (HL_LIKELY(b1 == none)) {
			vals[k] = HL_TABLE_NONE;
			continue;
		}
		const uint64_t r = scan(&buckets[b1], &keys[k], SPILL_PAIR);
		const uint32_t on = r == SCAN_ON;

		vals[k] = (uint32_t)r;
		queue[queued] = k;
		queued += on;
		/* b2 if on, else b1 (cached: a no-op), without a branch: a
		 * conditional expression here compiles to a jump. */
		if (b2_here)
			__builtin_prefetch(&buckets[b1 ^ ((b1 ^ b2) & (0u - on))], 0, 3);
	}
	return queued;
}

/* Stage 4: for each queued key, the chain from b2. */
static inline void chain_block(const struct hl_bucket *buckets, uint64_t nbuckets,
			       unsigned max_chain, const struct hl_key *keys,
			       const struct hl_place *pl, size_t mask, const size_t *queue,
			       size_t queued, uint32_t *vals)
{
	for (size_t q = 0; q < queued; q++) {
		const size_t k = queue[q];

		vals[k] = scan_chain(buckets, nbuckets, max_chain, &keys[k], pl[k & mask].b2);
	}
}

/*
 * The DPDK-style pipeline, in blocks of D = HL_TABLE_PREFETCH_AHEAD keys;
 * each round works on four blocks:
 *   4. block m - 3: for the keys that went on, scan the chain from b2;
 *   3. block m - 2: scan b1 (prefetched a round ago); answer, or prefetch b2
 *      and queue the key for stage 4;
 *   2. block m - 1: the sift: test the filter word (prefetched a round
 *      ago); prefetch b1 of the keys it lets through;
 *   1. block m: hash, record b1 and b2, prefetch the filter word.
 * So the second line that a fifth of misses need is in flight as long as
 * the first, and ~D to 2D loads are in flight at any time. Stage 2 has no
 * branch on its answer, stage 3 one, on the sift's (taken for nearly every
 * absent key; its queue append is branch-free), and stage 4 loops over the
 * queued keys only: one mispredicted loop exit a block instead of one per
 * key. The stages are the inline helpers above, shared with place, sift
 * and find_placed; this loop interleaves them over one ring, and inlined
 * in one function they share the hoisted table fields in registers. Table
 * fields are copied to locals because stores to vals[] (uint32_t) may
 * alias t->max_probe as far as C knows.
 */
void hotlist__table_find_bulk(const struct hl_table *t, const struct hl_key *keys, size_t n,
			      uint32_t *vals)
{
	HL_DEBUG_ASSERT(t && (n == 0 || (keys && vals)));
	const struct hl_bucket *buckets = t->buckets;
	const uint32_t *filter = t->filter;
	const uint64_t nbuckets = t->nbuckets, seed = t->seed;
	const unsigned max_chain = t->max_probe - (t->max_probe > 0);
	const size_t d = HL_TABLE_PREFETCH_AHEAD, mask = HL_TABLE_RING - 1;
	struct hl_place ring[HL_TABLE_RING]; /* four blocks, by k % 4D */
	size_t queue[2][HL_TABLE_PREFETCH_AHEAD], queued[2] = { 0, 0 };

	for (size_t m = 0; m * d < n + 3 * d; m++) {
		const unsigned cur = m & 1, prev = cur ^ 1;
		/* block m - j is [s[j + 1], s[j]), each cut at n (empty before 0) */
		size_t s[4];

		for (size_t j = 0; j < 4; j++)
			s[j] = m + 1 >= j && (m + 1 - j) * d < n ? (m + 1 - j) * d : n;
		chain_block(buckets, nbuckets, max_chain, keys, ring, mask, queue[prev],
			    queued[prev], vals);
		queued[cur] = scan_block(buckets, (uint32_t)nbuckets, keys, s[3], s[2], ring, mask,
					 vals, queue[cur], true);
		sift_block(filter, nbuckets, buckets, keys, s[2], s[1], ring, mask);
		place_block(filter, nbuckets, seed, buckets, keys, s[1], s[0], ring, mask, true,
			    false);
	}
}

/*
 * Placed lookups: find_bulk's stage 1 (place), stage 2 (sift) and stages 3
 * and 4 (find_placed) as three calls, so that the caller's own work runs
 * while the lines load. find_bulk on a call of one 32-key block waits at
 * each stage for lines asked for only the stage before. match.c places a
 * few reads at a time as it normalises the chunk and sifts them a few
 * reads later, so each filter word and each b1 line let through has the
 * normalising of the reads after it to arrive in.
 * HL_TABLE_PLACE_B2 = 1: place also prefetches b2, which a lookup reads
 * only when b1 is full with its SPILL bit set (~20 % of misses at 70 %
 * load, ~35 % at 85 %): a second line for every key, most of them for
 * nothing, against stage 3's wait. With 0 (the default since the load went
 * to 70 %), stage 2 prefetches b2 for the keys that go on, as find_bulk's
 * does. On one thread at 10^6 entries the two measured the same within the
 * VM's noise, at 85 % and at 70 % (batch / plain_2m medians 1.42 with 0,
 * 1.38 with 1): the core is out of miss buffers either way (perf: place's
 * samples sit after its prefetches). 0 asks for 40 % fewer lines, which
 * the other cores sharing the memory bus get.
 */
#ifndef HL_TABLE_PLACE_B2
#define HL_TABLE_PLACE_B2 0
#endif

/*
 * HL_TABLE_SIFT_MIN (table.h, where tests size tables on both sides of it):
 * buckets below which place and sift work as before the filter: place
 * prefetches b1, sift leaves the keys as placed, find_placed scans b1. A
 * table of up to 1 MiB of buckets (~45 000 keys) stays in the L2 cache of
 * a core that looks it up, so a bucket costs no more than its filter word,
 * and the filter's two steps were 5-9 % of a batch read at 10^4 keys
 * (bench_lookup, docs/PERFORMANCE.md, "Issue 10 item 4: the filter").
 * find_bulk and find use the filter at every size.
 */

void hotlist__table_place(const struct hl_table *t, const struct hl_key *keys, size_t n,
			  struct hl_place *pl)
{
	HL_DEBUG_ASSERT(t && (n == 0 || (keys && pl)));
	if (t->nbuckets >= HL_TABLE_SIFT_MIN)
		place_block(t->filter, t->nbuckets, t->seed, t->buckets, keys, 0, n, pl, SIZE_MAX,
			    true, HL_TABLE_PLACE_B2);
	else
		place_block(t->filter, t->nbuckets, t->seed, t->buckets, keys, 0, n, pl, SIZE_MAX,
			    false, HL_TABLE_PLACE_B2);
}

void hotlist__table_sift(const struct hl_table *t, const struct hl_key *keys, size_t n,
			 struct hl_place *pl)
{
	HL_DEBUG_ASSERT(t && (n == 0 || (keys && pl)));
	if (t->nbuckets >= HL_TABLE_SIFT_MIN)
		sift_block(t->filter, t->nbuckets, t->buckets, keys, 0, n, pl, SIZE_MAX);
}

void hotlist__table_find_placed(const struct hl_table *t, const struct hl_key *keys,
				const struct hl_place *pl, size_t n, uint32_t *vals)
{
	HL_DEBUG_ASSERT(t && (n == 0 || (keys && pl && vals)));
	const struct hl_bucket *buckets = t->buckets;
	const uint64_t nbuckets = t->nbuckets;
	const unsigned max_chain = t->max_probe - (t->max_probe > 0);
	size_t queue[HL_TABLE_PREFETCH_AHEAD];

	for (size_t k0 = 0; k0 < n; k0 += HL_TABLE_PREFETCH_AHEAD) {
		const size_t k1 =
			n - k0 < HL_TABLE_PREFETCH_AHEAD ? n : k0 + HL_TABLE_PREFETCH_AHEAD;
		const size_t queued = scan_block(buckets, (uint32_t)nbuckets, keys, k0, k1, pl,
						 SIZE_MAX, vals, queue, !HL_TABLE_PLACE_B2);

		chain_block(buckets, nbuckets, max_chain, keys, pl, SIZE_MAX, queue, queued, vals);
	}
}

size_t hotlist__table_count(const struct hl_table *t)
{
	return t->count;
}

uint64_t hotlist__table_buckets(const struct hl_table *t)
{
	return t->nbuckets;
}

size_t hotlist__table_bytes(const struct hl_table *t)
{
	return sizeof(*t) + hotlist__alloc_bytes(t->bucket_bytes);
}

unsigned hotlist__table_max_probe(const struct hl_table *t)
{
	return t->max_probe;
}

unsigned hotlist__table_reseeds(const struct hl_table *t)
{
	return t->reseeds;
}

/* ---- build ---------------------------------------------------------------- */

/*
 * During the build, too, every full bucket's SPILL and CHAIN bits live in the
 * order of its keys (no side array): a bucket gets bits (0, 0) when its
 * fourth key arrives, and each later change (a bit set, a key replaced by a
 * cuckoo step) re-encodes them while the bucket's line is in cache anyway.
 */

/* Where the keys and values of a build come from: key i at keys + i *
 * stride (a caller's records, read in place: no packed copy), value vals[i],
 * or i itself when vals is NULL. */
struct keysrc {
	const char *keys;
	size_t stride;
	const uint32_t *vals;
};

static inline const struct hl_key *key_at(const struct keysrc *src, size_t i)
{
	return (const struct hl_key *)(const void *)(src->keys + i * src->stride);
}

static inline uint32_t val_at(const struct keysrc *src, size_t i)
{
	return src->vals ? src->vals[i] : (uint32_t)i;
}

/* State of one build; over is freed before build returns. */
struct builder {
	struct hl_table *t;
	uint32_t *over; /* indexes of keys whose primary was full, in input order */
	size_t nover;
	unsigned probe_limit; /* longer placement: HL_TABLE_ERESEED */
	const struct hotlist_allocator *a;
	struct hl_table_dups *dups; /* NULL: a duplicate key is HOTLIST_EINVAL */
	size_t dups_cap; /* pairs allocated in dups->pairs */
	bool no_alloc; /* a build ahead's worker: dups full is HL_TABLE_EPAUSE */
};

/* Room for need pairs in bd->dups (doubling). 0 or HOTLIST_ENOMEM. */
static int dups_reserve(struct builder *bd, size_t need)
{
	struct hl_table_dups *d = bd->dups;
	size_t ncap = bd->dups_cap ? bd->dups_cap : 1024;
	uint32_t *np;

	if (need <= bd->dups_cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = hotlist__alloc(bd->a, ncap * 2 * sizeof(uint32_t), HL_CACHE_LINE);
	if (!np)
		return HOTLIST_ENOMEM;
	if (d->pairs) {
		memcpy(np, d->pairs, d->n * 2 * sizeof(uint32_t));
		hotlist__free(bd->a, d->pairs, bd->dups_cap * 2 * sizeof(uint32_t));
	}
	d->pairs = np;
	bd->dups_cap = ncap;
	return 0;
}

/* A second copy of a key (index i) whose first copy holds value first: kept
 * in dups when the caller asked for it, else the build fails. */
static int dup_found(struct builder *bd, size_t i, uint32_t first)
{
	struct hl_table_dups *d = bd->dups;

	if (!d)
		return HOTLIST_EINVAL;
	if (d->n == bd->dups_cap && bd->no_alloc)
		return HL_TABLE_EPAUSE; /* the caller's thread goes on from this key */
	if (d->n == bd->dups_cap && dups_reserve(bd, d->n + 1))
		return HOTLIST_ENOMEM;
	d->pairs[2 * d->n] = (uint32_t)i;
	d->pairs[2 * d->n + 1] = first;
	d->n++;
	return 0;
}

/* Value of key in bucket b, which holds it. */
static uint32_t val_in(const struct hl_bucket *b, const struct hl_key *key)
{
	return b->slot[__builtin_ctz(hit_mask(b, key))].val;
}

/* Every slot of t's buckets empty: zero key, value HL_TABLE_NONE (see
 * scan()); the filter all clear. */
static void init_buckets(struct hl_table *t)
{
	const struct hl_slot empty = { .lo = 0, .hi = 0, .val = HL_TABLE_NONE };

	for (uint64_t i = 0; i < t->nbuckets; i++)
		for (unsigned j = 0; j < HL_TABLE_SLOTS; j++)
			t->buckets[i].slot[j] = empty;
	memset(t->filter, 0, (size_t)t->nbuckets * sizeof(*t->filter));
}

/* Allocate t's buckets (nbuckets set) and its filter after them, in one
 * block; emptied if init (else init_buckets before use). 0 or
 * HOTLIST_ENOMEM. */
static int alloc_buckets(struct hl_table *t, const struct hotlist_allocator *a, bool init)
{
	const size_t line = HL_CACHE_LINE;
	size_t lines, bytes;
	char *p;

	if (t->nbuckets >= UINT32_MAX)
		return HOTLIST_ENOMEM;
	/* the buckets, then a word a bucket in whole lines */
	lines = (size_t)t->nbuckets + ((size_t)t->nbuckets * sizeof(uint32_t) + line - 1) / line;
	if (lines > SIZE_MAX / line)
		return HOTLIST_ENOMEM;
	bytes = lines * line;
	p = hotlist__alloc(a, bytes, HL_CACHE_LINE); /* huge pages: see above */
	if (!p)
		return HOTLIST_ENOMEM;
	t->buckets = (struct hl_bucket *)(void *)p;
	t->filter = (uint32_t *)(void *)(p + (size_t)t->nbuckets * sizeof(struct hl_bucket));
	t->bucket_bytes = bytes;
	if (init)
		init_buckets(t);
	return 0;
}

/* Slots used in bucket b, 0..4: the first free one, since slots fill from 0. */
static unsigned fill_of(const struct hl_bucket *b)
{
	const struct hl_slot *s = b->slot;

	return (unsigned)!slot_is_empty(&s[0]) + (unsigned)!slot_is_empty(&s[1]) +
	       (unsigned)!slot_is_empty(&s[2]) + (unsigned)!slot_is_empty(&s[3]);
}

/* Does b hold key? Empty slots match the zero key, refused before this. */
static int bucket_has(const struct hl_bucket *b, const struct hl_key *key)
{
	return hit_mask(b, key) != 0;
}

/* Make the order of a full bucket's slots pair, pair + 1 say bit. */
static void encode_bit(struct hl_bucket *b, unsigned pair, int bit)
{
	struct hl_slot *s = b->slot;

	if (pair_bit(s, pair) != bit) {
		const struct hl_slot tmp = s[pair];

		s[pair] = s[pair + 1];
		s[pair + 1] = tmp;
	}
}

/* Set bit pair of a full bucket. */
static void set_bit(struct hl_bucket *b, unsigned pair)
{
	encode_bit(b, pair, 1);
}

/* Key into slot i of b (i = fill_of(b)); a bucket that fills gets bits (0, 0). */
static void put(struct hl_table *t, struct hl_bucket *b, unsigned i, const struct hl_key *key,
		uint32_t val, unsigned probe)
{
	b->slot[i] = (struct hl_slot){ .lo = key->lo, .hi = key->hi, .val = val };
	if (i == HL_TABLE_SLOTS - 1) {
		encode_bit(b, SPILL_PAIR, 0);
		encode_bit(b, CHAIN_PAIR, 0);
	}
	if (probe > t->max_probe)
		t->max_probe = probe;
}

/* What phase 1 did with a key in its primary (primary_put). */
enum { PRIMARY_PLACED, PRIMARY_OVER, PRIMARY_DUP };

/* Phase 1's decision for one key in its primary b, shared by both ways of
 * running it: a copy already in b is PRIMARY_DUP (nothing written); room
 * in b takes the key (PRIMARY_PLACED); a full b gets its SPILL bit and the
 * key goes on (PRIMARY_OVER). */
static inline int primary_put(struct hl_table *t, struct hl_bucket *b, const struct hl_key *key,
			      uint32_t val)
{
	const unsigned i = fill_of(b);

	if (bucket_has(b, key))
		return PRIMARY_DUP;
	if (i < HL_TABLE_SLOTS) {
		put(t, b, i, key, val, 1);
		return PRIMARY_PLACED;
	}
	set_bit(b, SPILL_PAIR);
	return PRIMARY_OVER;
}

/* Phase 1, one key: into its primary b1, or onto the overflow list. */
static int place_primary(struct builder *bd, const struct hl_key *key, uint32_t val, uint64_t b1,
			 uint32_t index)
{
	struct hl_bucket *b = &bd->t->buckets[b1];

	if ((key->lo | key->hi) == 0 || val == HL_TABLE_NONE)
		return HOTLIST_EINVAL;
	/* the filter word was prefetched with the bucket (place_primary_range,
	 * _part); a duplicate's bits are its first copy's */
	bd->t->filter[b1] |= filter_bits(key);
	switch (primary_put(bd->t, b, key, val)) {
	case PRIMARY_DUP:
		return dup_found(bd, index, val_in(b, key));
	case PRIMARY_OVER:
		bd->over[bd->nover++] = index;
		break;
	}
	return 0;
}

/*
 * Phase 1 for keys [from, to): each into its primary bucket while there is
 * room, in input order, hashing and prefetching ahead as find_bulk() does (a
 * build of 10 M keys is 10 M random writes). Returns 0, or HOTLIST_EINVAL,
 * HOTLIST_ENOMEM or HL_TABLE_EPAUSE with *at the key that was not placed
 * (nothing of it written: keys from *at on can be placed later).
 */
static int place_primary_range(struct builder *bd, const struct keysrc *src, size_t from, size_t to,
			       size_t *at)
{
	const uint64_t nbuckets = bd->t->nbuckets, seed = bd->t->seed;
	const size_t d = HL_TABLE_PREFETCH_AHEAD;
	uint32_t ring[HL_TABLE_PREFETCH_AHEAD];

	for (size_t j = from; j < to + d; j++) {
		if (j >= from + d) {
			const size_t k = j - d;
			int err = place_primary(bd, key_at(src, k), val_at(src, k), ring[k % d],
						(uint32_t)k);

			if (err) {
				*at = k;
				return err;
			}
		}
		if (j < to) {
			ring[j % d] =
				(uint32_t)primary_of(key_hash(key_at(src, j), seed), nbuckets);
			__builtin_prefetch(&bd->t->buckets[ring[j % d]], 1, 3);
			/* and its filter word: at 10^7 keys (11 MB of words) a
			 * build ahead's phase 1 left ~2x as much to the caller
			 * without this (docs/PERFORMANCE.md, "the filter") */
			__builtin_prefetch(&bd->t->filter[ring[j % d]], 1, 3);
		}
	}
	*at = to;
	return 0;
}

/*
 * Phase 1 for those of keys [from, to) whose primary is in buckets [blo,
 * bhi): one thread's share when two split the rest of a build ahead by
 * bucket range (hotlist__table_inc_split). Every key is hashed; those in
 * range are queued, their bucket prefetched, and placed HL_TABLE_PREFETCH_AHEAD
 * queued keys later, as place_primary_range does. Whether a key is in range
 * is random: the queue append and the prefetch's choice are branch-free
 * (a prefetch of the other range's line would take it from the thread that
 * writes it), and keys are placed a block at a time, one loop exit a block.
 * Returns like place_primary_range; keys from *at on are not placed.
 */
static int place_primary_part(struct builder *bd, const struct keysrc *src, size_t from, size_t to,
			      uint64_t blo, uint64_t bhi, size_t *at)
{
	const uint64_t nbuckets = bd->t->nbuckets, seed = bd->t->seed, width = bhi - blo;
	const size_t d = HL_TABLE_PREFETCH_AHEAD, mask = HL_TABLE_BUILD_RING - 1;
	uint32_t qi[HL_TABLE_BUILD_RING], qb[HL_TABLE_BUILD_RING];
	size_t head = 0, tail = 0;
	uint64_t last = blo; /* a line of this range, prefetched when a key is not */

	static_assert(2 * HL_TABLE_PREFETCH_AHEAD <= HL_TABLE_BUILD_RING, "queue holds 2 blocks");
	for (size_t blk = from; blk < to || tail < head; blk += d) {
		for (size_t j = blk; j < blk + d && j < to; j++) {
			const uint64_t b1 = primary_of(key_hash(key_at(src, j), seed), nbuckets);
			const bool in = b1 - blo < width;

			last = in ? b1 : last;
			qi[head & mask] = (uint32_t)j;
			qb[head & mask] = (uint32_t)b1;
			head += in;
			__builtin_prefetch(&bd->t->buckets[last], 1, 3);
			__builtin_prefetch(&bd->t->filter[last], 1, 3);
		}
		/* keep the last d queued in flight, unless no key is left */
		for (size_t keep = blk + d < to ? d : 0; head - tail > keep; tail++) {
			const size_t k = qi[tail & mask];
			int err = place_primary(bd, key_at(src, k), val_at(src, k), qb[tail & mask],
						(uint32_t)k);

			if (err) {
				*at = k;
				return err;
			}
		}
	}
	*at = to;
	return 0;
}

/*
 * Phase 1, partitioned (large tables; docs/table.md, "Building a large
 * table"). In input order each key of phase 1 is a read-modify-write of a
 * random table line: at 10 M keys the buckets are ~230 MB, far past the
 * caches, so each is a miss from memory and later a write-back, about 2.8
 * of each a line. Here the keys are hashed first (pass A: each key's
 * primary into scratch, a count per partition of 2^hotlist__table_radix_shift
 * buckets, 256 KiB by default), copied in input order into one run of
 * 20-byte records per partition (pass B), and placed partition after
 * partition (pass C): a partition's lines stay in the cache while its keys
 * go in, so each comes from memory once. Each bucket still receives its
 * keys in input order, so it ends with the same keys in the same slots and
 * the same SPILL bit as in place_primary_range; pass D walks the keys in
 * input order once more to list those whose primary was full and to report
 * duplicates (both found in pass C and marked in a byte a key), so the
 * overflow list and the report are the same too: the build's result does
 * not depend on which way phase 1 ran (test_table, test_radix_*).
 *
 * Only for values that are the keys' indexes (src->vals NULL: list builds),
 * so a record needs no value. Scratch: 21 bytes a key and a count a
 * partition, freed before it returns, and the overflow list's free tail
 * (over[nover..], room for every key left in both callers) for the
 * primaries (rec and pos are freed before pass D, which may grow the
 * duplicate report). Returns 1 with nothing written when it does not apply
 * or cannot have its scratch (the caller goes on in input order), else
 * what place_primary_range would, with *at: 0 (*at = to); dup_found's
 * error (*at its key) for a key before the first key refused; else
 * HOTLIST_EINVAL with *at that key (a zero key, or index HL_TABLE_NONE):
 * the keys before it are placed and reported as in input order, the rest
 * not.
 */
size_t hotlist__table_radix_min = (size_t)1 << 20; /* 64 MiB of buckets, ~3 M keys */
unsigned hotlist__table_radix_shift = 12; /* 4 096 buckets, 256 KiB */
atomic_size_t hotlist__table_radix_runs;

struct radix_rec {
	uint32_t lo[2]; /* the key's lo, copied as bytes: 4-byte alignment, 20-byte records */
	uint32_t hi, idx, b1; /* idx: key from + idx */
};

static int place_primary_radix(struct builder *bd, const struct keysrc *src, size_t from, size_t to,
			       size_t *at)
{
	struct hl_table *t = bd->t;
	const uint64_t nb = t->nbuckets, seed = t->seed;
	const unsigned shift = hotlist__table_radix_shift < 31 ? hotlist__table_radix_shift : 31;
	const size_t n = to - from, np = (size_t)(nb >> shift) + 1;
	uint32_t *b1s = bd->over + bd->nover;
	size_t *pos, m;
	struct radix_rec *rec;
	uint8_t *state;
	int err = 0;

	if (src->vals || nb < hotlist__table_radix_min || n < nb / 2 || n > UINT32_MAX)
		return 1;
	pos = hotlist__zalloc(bd->a, (np + 1) * sizeof(*pos), HL_CACHE_LINE);
	rec = hotlist__alloc(bd->a, n * sizeof(*rec), HL_CACHE_LINE);
	state = hotlist__alloc(bd->a, n, HL_CACHE_LINE);
	if (!pos || !rec || !state) {
		err = 1;
		goto out;
	}
	for (m = 0; m < n; m++) { /* A, up to the first key refused */
		const struct hl_key *k = key_at(src, from + m);

		if ((k->lo | k->hi) == 0 || from + m >= HL_TABLE_NONE)
			break;
		b1s[m] = (uint32_t)primary_of(key_hash(k, seed), nb);
		pos[(b1s[m] >> shift) + 1]++;
	}
	for (size_t p = 1; p <= np; p++) /* pos[p]: where run p starts */
		pos[p] += pos[p - 1];
	for (size_t i = 0; i < m; i++) { /* B */
		const struct hl_key *k = key_at(src, from + i);
		struct radix_rec *r = &rec[pos[b1s[i] >> shift]++];

		memcpy(r->lo, &k->lo, sizeof(r->lo));
		r->hi = k->hi;
		r->idx = (uint32_t)i;
		r->b1 = b1s[i];
	}
	for (size_t j = 0; j < m; j++) { /* C */
		const struct radix_rec *r = &rec[j];
		struct hl_key key = { .hi = r->hi };

		memcpy(&key.lo, r->lo, sizeof(key.lo));
		if (j + HL_TABLE_RADIX_AHEAD < m)
			__builtin_prefetch(&t->buckets[rec[j + HL_TABLE_RADIX_AHEAD].b1], 1, 3);
		t->filter[r->b1] |= filter_bits(&key);
		state[r->idx] = (uint8_t)primary_put(t, &t->buckets[r->b1], &key,
						     (uint32_t)(from + r->idx));
	}
	hotlist__free(bd->a, rec, n * sizeof(*rec));
	hotlist__free(bd->a, pos, (np + 1) * sizeof(*pos));
	rec = NULL;
	pos = NULL;
	/* D: over[nover] is at or below b1s[i], read first */
	*at = from + m;
	for (size_t i = 0; i < m; i++) {
		const uint32_t b1 = b1s[i];

		if (state[i] == PRIMARY_OVER) {
			bd->over[bd->nover++] = (uint32_t)(from + i);
		} else if (state[i] == PRIMARY_DUP) {
			err = dup_found(bd, from + i,
					val_in(&t->buckets[b1], key_at(src, from + i)));
			if (err) {
				*at = from + i;
				break;
			}
		}
	}
	if (!err && m < n)
		err = HOTLIST_EINVAL; /* key from + m, as place_primary would */
	if (!err)
		atomic_fetch_add_explicit(&hotlist__table_radix_runs, 1, memory_order_relaxed);
out:
	hotlist__free(bd->a, state, n);
	hotlist__free(bd->a, rec, n * sizeof(*rec));
	hotlist__free(bd->a, pos, (np + 1) * sizeof(*pos));
	return err;
}

/* Phase 1 for keys [from, to): partitioned when it applies, else in input
 * order. Returns like place_primary_range. */
static int place_primary_all(struct builder *bd, const struct keysrc *src, size_t from, size_t to,
			     size_t *at)
{
	int err = place_primary_radix(bd, src, from, to, at);

	return err != 1 ? err : place_primary_range(bd, src, from, to, at);
}

static int place_all_primary(struct builder *bd, const struct keysrc *src, size_t n)
{
	size_t at;

	return place_primary_all(bd, src, 0, n, &at);
}

/*
 * One cuckoo step: move a key that sits in its primary bucket b (full) to its
 * own secondary, if that has room, and put key in its place, setting SPILL(b).
 * Returns 1 if done, 0 if no key of b can move.
 */
static int cuckoo_step(struct builder *bd, uint64_t b, const struct hl_key *key, uint32_t val)
{
	struct hl_table *t = bd->t;
	struct hl_bucket *from = &t->buckets[b];
	const int chain = pair_bit(from->slot, CHAIN_PAIR);

	for (unsigned i = 0; i < HL_TABLE_SLOTS; i++) {
		struct hl_slot *s = &from->slot[i];
		const struct hl_key k = { .lo = s->lo, .hi = s->hi };
		const uint64_t h = key_hash(&k, t->seed);
		struct hl_bucket *to;
		unsigned j;

		if (primary_of(h, t->nbuckets) != b)
			continue;
		to = &t->buckets[secondary_of(h, b, t->nbuckets)];
		j = fill_of(to);
		if (j == HL_TABLE_SLOTS)
			continue;
		put(t, to, j, &k, s->val, 2);
		*s = (struct hl_slot){ .lo = key->lo, .hi = key->hi, .val = val };
		encode_bit(from, SPILL_PAIR, 1);
		encode_bit(from, CHAIN_PAIR, chain);
		if (t->max_probe < 2)
			t->max_probe = 2;
		return 1;
	}
	return 0;
}

/*
 * Phase 2, one key whose primary was full: into its secondary b2, making room
 * there with one cuckoo step if needed, else into the first free slot after
 * b2, setting CHAIN on the buckets passed. The whole path to the first free
 * slot is checked for a copy of the key: an earlier copy (same b1, same b2)
 * went the same way and is still on it (keys only move from a primary to its
 * secondary, never off a chain). Returns 0 or HOTLIST_EINVAL.
 */
static int place_overflow(struct builder *bd, const struct hl_key *key, uint32_t val, uint64_t b2,
			  uint32_t index)
{
	struct hl_table *t = bd->t;
	uint64_t b = b2;
	unsigned i, hops = 0;

	for (;;) {
		if (bucket_has(&t->buckets[b], key))
			return dup_found(bd, index, val_in(&t->buckets[b], key));
		i = fill_of(&t->buckets[b]);
		if (i < HL_TABLE_SLOTS)
			break;
		b = next_bucket(b, t->nbuckets);
		hops++;
		HL_DEBUG_ASSERT(hops < t->nbuckets); /* invariant 4 */
	}
	if (hops > 0 && cuckoo_step(bd, b2, key, val))
		return 0;
	if (2 + hops > bd->probe_limit)
		return HL_TABLE_ERESEED;
	put(t, &t->buckets[b], i, key, val, 2 + hops);
	for (b = b2; hops > 0; hops--, b = next_bucket(b, t->nbuckets))
		set_bit(&t->buckets[b], CHAIN_PAIR);
	return 0;
}

/* Prefetch where the keys that a cuckoo step could move out of bucket b would go. */
static void prefetch_room(const struct hl_table *t, uint64_t b)
{
	const struct hl_slot *s = t->buckets[b].slot;

	if (slot_is_empty(&s[HL_TABLE_SLOTS - 1]))
		return; /* not full (yet): no cuckoo step */
	for (unsigned i = 0; i < HL_TABLE_SLOTS; i++) {
		const struct hl_key k = { .lo = s[i].lo, .hi = s[i].hi };
		const uint64_t h = key_hash(&k, t->seed);

		if (primary_of(h, t->nbuckets) == b)
			__builtin_prefetch(&t->buckets[secondary_of(h, b, t->nbuckets)], 1, 3);
	}
}

/*
 * Phase 2: the keys on the overflow list, in input order, pipelined in four
 * stages D keys apart, since each placement may touch several random lines:
 * key k + 3D prefetched (the list skips through keys[]); key k + 2D hashed,
 * its secondary and the bucket after prefetched; key k + D: the new homes of
 * its secondary's keys prefetched, for a cuckoo step; key k placed.
 * Returns 0 or HOTLIST_EINVAL.
 */
static int place_all_overflow(struct builder *bd, const struct keysrc *src)
{
	const uint64_t nbuckets = bd->t->nbuckets, seed = bd->t->seed;
	const size_t d = HL_TABLE_PREFETCH_AHEAD, n = bd->nover;
	const uint32_t *over = bd->over;
	uint32_t ring[HL_TABLE_BUILD_RING]; /* secondary of keys k .. k + 2D */

	for (size_t j = 0; j < n + 3 * d; j++) {
		if (j >= 3 * d) {
			const size_t k = j - 3 * d;
			int err = place_overflow(bd, key_at(src, over[k]), val_at(src, over[k]),
						 ring[k & (HL_TABLE_BUILD_RING - 1)], over[k]);

			if (err)
				return err;
		}
		if (j >= 2 * d && j - 2 * d < n)
			prefetch_room(bd->t, ring[(j - 2 * d) & (HL_TABLE_BUILD_RING - 1)]);
		if (j >= d && j - d < n) {
			const size_t k = j - d;
			const uint64_t b2 = place_one(key_at(src, over[k]), seed, nbuckets).b2;

			ring[k & (HL_TABLE_BUILD_RING - 1)] = (uint32_t)b2;
			__builtin_prefetch(&bd->t->buckets[b2], 1, 3);
			const uint64_t b3 = next_bucket(b2, nbuckets);

			__builtin_prefetch(&bd->t->buckets[b3], 1, 3);
			/* a chain's third bucket too: chosen at 85 % load, where most
			 * b2 were full (about a third are at 70 %: not measured since) */
			__builtin_prefetch(&bd->t->buckets[next_bucket(b3, nbuckets)], 1, 3);
		}
		if (j < n)
			__builtin_prefetch(key_at(src, over[j]), 0, 3);
	}
	return 0;
}

/* Place n >= 1 keys (buckets allocated). 0, HOTLIST_EINVAL or HOTLIST_ENOMEM.
 * Duplicates, when kept, come out in two runs each in input order: those
 * found in phase 1, then those found in phase 2 (dups->phase1 says where
 * the second run starts). */
static int place_keys(struct builder *bd, const struct keysrc *src, size_t n)
{
	int err;

	bd->over = hotlist__alloc(bd->a, n * sizeof(*bd->over), HL_CACHE_LINE);
	if (!bd->over)
		return HOTLIST_ENOMEM;
	err = place_all_primary(bd, src, n);
	if (bd->dups)
		bd->dups->phase1 = bd->dups->n;
	hotlist__build_stamp(&hotlist__build_times.phase1_ns, &hotlist__build_times.phase1_cpu);
	hotlist__build_times.over_keys = bd->nover;
	if (!err)
		err = place_all_overflow(bd, src);
	hotlist__free(bd->a, bd->over, n * sizeof(*bd->over));
	return err;
}

int hotlist__table_build(struct hl_table **out, const struct hl_key *keys, const uint32_t *vals,
			 size_t n, uint64_t seed, const struct hotlist_allocator *a)
{
	if (n > 0 && !vals)
		return HOTLIST_EINVAL;
	return hotlist__table_build_strided(out, keys, sizeof(*keys), vals, n, seed, NULL, a);
}

void hotlist__table_dups_free(struct hl_table_dups *d, const struct hotlist_allocator *a)
{
	/* the pair array's size is not kept: free through the allocator with
	 * the size it was last grown to, recorded in cap */
	if (d->pairs)
		hotlist__free(a, d->pairs, d->cap * 2 * sizeof(uint32_t));
	memset(d, 0, sizeof(*d));
}

int hotlist__table_build_strided(struct hl_table **out, const void *keys, size_t stride,
				 const uint32_t *vals, size_t n, uint64_t seed,
				 struct hl_table_dups *dups, const struct hotlist_allocator *a)
{
	struct builder bd = { .a = a, .dups = dups };
	const struct keysrc src = { .keys = keys, .stride = stride, .vals = vals };
	struct hl_table *t;
	int err;

	if (dups)
		memset(dups, 0, sizeof(*dups));
	if (!out || n >= HL_TABLE_NONE || (n > 0 && !keys) || stride < sizeof(struct hl_key))
		return HOTLIST_EINVAL;
	t = hotlist__zalloc(a, sizeof(*t), _Alignof(struct hl_table));
	if (!t)
		return HOTLIST_ENOMEM;
	t->nbuckets = hotlist__table_buckets_for(n);
	t->seed = seed;
	bd.t = t;
	err = alloc_buckets(t, a, true);
	for (unsigned try = 0; !err && n > 0; try++) {
#ifdef HL_TABLE_TEST_BAD_HASH
		bd.probe_limit = UINT_MAX;
#else
		bd.probe_limit = try < HL_TABLE_RESEEDS ? HL_TABLE_RESEED_PROBE : UINT_MAX;
#endif
		err = place_keys(&bd, &src, n);
		if (dups)
			dups->cap = bd.dups_cap;
		if (err != HL_TABLE_ERESEED)
			break;
		err = 0;
		if (dups)
			dups->n = dups->phase1 = 0;
		/* from the kernel: an attacker who learnt the old seed must
		 * not be able to compute the next (keys crafted against each
		 * derived seed in turn would force every retry) */
		t->seed = hotlist__seed(t->seed);
		t->max_probe = 0;
		t->reseeds++;
		bd.nover = 0;
		init_buckets(t);
	}
	if (err) {
		if (t->buckets)
			hotlist__free(a, t->buckets, t->bucket_bytes);
		hotlist__free(a, t, sizeof(*t));
		if (dups)
			hotlist__table_dups_free(dups, a);
		return err;
	}
	t->count = n - (dups ? dups->n : 0);
	*out = t;
	return 0;
}

/* bench_reload --per-call (table.h) */
_Thread_local struct hl_build_times hotlist__build_times;

/*
 * Building ahead (hotlist__table_inc_*). Phase 1 places keys in input order
 * and only ever reads keys [0, k) to place key k, so it can run while later
 * keys are still being written: list.c's worker thread places each chunk of
 * entries its builder has published, and the caller's thread, once every
 * entry is in, places what is left of phase 1 and runs phase 2 and any
 * reseed exactly as hotlist__table_build_strided does. The table is sized
 * for n_max keys, the builder's capacity; a build that ends with far fewer
 * (rows refused, a row estimate far over) is started again at its own size,
 * so that the load factor stays within 1/16 of a sequential build's. The
 * worker never allocates: duplicates past the pair array's first capacity
 * pause it (HL_TABLE_EPAUSE), and the caller's thread goes on from there.
 * The buckets are emptied by the first add, not by begin: on the worker,
 * off the caller's thread (19 MB of stores at 1 M keys); by finish if no
 * add ran.
 * Threads: inc_add on one thread at a time (the worker), the rest on the
 * caller's; the caller publishes keys to the worker, and takes its work
 * back, with its own synchronisation (list.c: a mutex and a join). The
 * rest of phase 1 may be shared by the two threads at the end (below,
 * "Splitting the rest": inc_split, then inc_part on each).
 */
/* One thread's share of the rest of phase 1 after a split: keys [from, n)
 * whose primary is in buckets [blo, bhi). */
struct inc_part {
	/* a line of its own: the two parts run on two threads at once */
	_Alignas(HL_CACHE_LINE) struct builder bd; /* bd.t shared; over, nover, dups its own */
	struct hl_table_dups dups; /* part 1's; part 0 appends to the build's */
	size_t from, at; /* at: the key it stopped at (err) or n */
	uint64_t blo, bhi;
	int err;
};

struct hl_table_inc {
	struct builder bd;
	struct keysrc src;
	struct hl_table_dups *dups;
	size_t n_max, done; /* keys [0, done) placed in phase 1 */
	bool empty; /* the buckets are emptied (init_buckets) */
	int err; /* the worker's: HOTLIST_EINVAL, or HL_TABLE_EPAUSE */
	bool split; /* hotlist__table_inc_split said yes: parts below */
	size_t n_split; /* the n of the split */
	struct inc_part part[2]; /* 0: the caller's thread's, 1: the worker's */
	size_t part_cap; /* uint32_t at part[1].bd.over */
};

/* Pairs of duplicates allocated up front for the worker (8 KiB). */
#define HL_TABLE_INC_DUPS 1024u

/*
 * The fewest keys of phase 1 left when the entries are in for the rest to
 * be split between two threads: a split costs two hand-overs (~0.1 ms
 * together on an idle machine, more when a thread waits for a CPU) and
 * every key is hashed on both threads; 65536 keys take ~2 ms on one.
 */
#define HL_TABLE_SPLIT_MIN ((size_t)1 << 16)

size_t hotlist__table_split_min = HL_TABLE_SPLIT_MIN;

/*
 * Keys a part goes through between two looks at its stop flag: ~50 us
 * (half of them its own). The caller's thread, done with its own part,
 * stops the worker's and places what is left of it itself, so it waits
 * for one step at most while the worker runs, instead of for the whole
 * rest of a worker that a busy machine left without a CPU for a while.
 */
#define HL_TABLE_PART_STEP ((size_t)2048)

static void inc_release(struct hl_table_inc *ti)
{
	const struct hotlist_allocator *a = ti->bd.a;
	struct hl_table *t = ti->bd.t;

	hotlist__free(a, ti->bd.over, ti->n_max * sizeof(*ti->bd.over));
	hotlist__free(a, ti->part[1].bd.over, ti->part_cap * sizeof(uint32_t));
	if (ti->part[1].dups.pairs)
		hotlist__free(a, ti->part[1].dups.pairs,
			      ti->part[1].bd.dups_cap * 2 * sizeof(uint32_t));
	if (t) {
		hotlist__free(a, t->buckets, t->bucket_bytes);
		hotlist__free(a, t, sizeof(*t));
	}
	hotlist__free(a, ti, sizeof(*ti));
}

/* Does a table begun for n_max keys suit n (else finish builds anew)? */
static bool inc_fits(const struct hl_table_inc *ti, size_t n)
{
	const uint64_t nb = hotlist__table_buckets_for(n);

	return n > 0 && n <= ti->n_max && ti->bd.t->nbuckets <= nb + nb / 16 + 1;
}

/* The buckets emptied, on the first add or at the latest before the rest. */
static void inc_empty(struct hl_table_inc *ti)
{
	if (!ti->empty) {
		init_buckets(ti->bd.t);
		ti->empty = true;
	}
}

int hotlist__table_inc_begin(struct hl_table_inc **out, const void *keys, size_t stride,
			     size_t n_max, uint64_t seed, struct hl_table_dups *dups,
			     const struct hotlist_allocator *a)
{
	struct hl_table_inc *ti;
	struct hl_table *t;

	memset(dups, 0, sizeof(*dups));
	if (n_max == 0 || n_max >= HL_TABLE_NONE || stride < sizeof(struct hl_key))
		return HOTLIST_EINVAL;
	ti = hotlist__zalloc(a, sizeof(*ti), _Alignof(struct hl_table_inc));
	if (!ti)
		return HOTLIST_ENOMEM;
	ti->n_max = n_max;
	ti->dups = dups;
	ti->src = (struct keysrc){ .keys = keys, .stride = stride };
	ti->bd = (struct builder){ .a = a, .dups = dups, .no_alloc = true };
#ifdef HL_TABLE_TEST_BAD_HASH
	ti->bd.probe_limit = UINT_MAX; /* never reseeds: as the sequential build */
#else
	ti->bd.probe_limit = HL_TABLE_RESEED_PROBE;
#endif
	t = hotlist__zalloc(a, sizeof(*t), _Alignof(struct hl_table));
	ti->bd.t = t;
	if (t) {
		t->nbuckets = hotlist__table_buckets_for(n_max);
		t->seed = seed;
	}
	ti->bd.over = hotlist__alloc(a, n_max * sizeof(*ti->bd.over), HL_CACHE_LINE);
	dups->pairs = hotlist__alloc(a, HL_TABLE_INC_DUPS * 2 * sizeof(uint32_t), HL_CACHE_LINE);
	if (dups->pairs)
		dups->cap = ti->bd.dups_cap = HL_TABLE_INC_DUPS;
	if (!t || !ti->bd.over || !dups->pairs || alloc_buckets(t, a, false)) {
		hotlist__table_dups_free(dups, a);
		inc_release(ti);
		return HOTLIST_ENOMEM;
	}
	*out = ti;
	return 0;
}

void hotlist__table_inc_add(struct hl_table_inc *ti, size_t upto)
{
	HL_DEBUG_ASSERT(upto <= ti->n_max);
	if (ti->err || upto <= ti->done)
		return;
	inc_empty(ti);
	ti->err = place_primary_range(&ti->bd, &ti->src, ti->done, upto, &ti->done);
}

/*
 * Splitting the rest. When the entries are in, phase 1 may still have many
 * keys to place (the worker trails the adding). Then the two threads share
 * them by bucket range: part 0, the caller's thread's, takes the keys whose
 * primary is in the lower half of the buckets, part 1, the worker's, the
 * upper half; each hashes every key left and places those of its own half,
 * in input order. No bucket is written by both, nor is any other line: a
 * part's overflow list and, for part 1, its duplicates are its own, and
 * max_probe is 1 before the split so put() only reads it. finish then
 * merges the parts' lists by key index (both are in input order), so the
 * table, the overflow list and the duplicates come out exactly as one
 * thread would have made them. Part 1 never allocates: duplicates past its
 * first HL_TABLE_INC_DUPS pause it (HL_TABLE_EPAUSE), and finish goes on
 * from there on the caller's thread; so it does when the caller's thread,
 * done with part 0 first, stopped part 1 (HL_TABLE_PART_STEP).
 */
bool hotlist__table_inc_split(struct hl_table_inc *ti, const void *keys, size_t n)
{
	struct hl_table *t = ti->bd.t;
	const struct hotlist_allocator *a = ti->bd.a;
	const size_t from = ti->done;
	uint32_t *over, *pairs;

	ti->src.keys = keys;
	if ((ti->err && ti->err != HL_TABLE_EPAUSE) || ti->split || !inc_fits(ti, n) || n < from ||
	    n - from < hotlist__table_split_min || t->nbuckets < 2)
		return false;
	over = hotlist__alloc(a, (n - from) * sizeof(*over), HL_CACHE_LINE);
	pairs = hotlist__alloc(a, HL_TABLE_INC_DUPS * 2 * sizeof(*pairs), HL_CACHE_LINE);
	if (!over || !pairs) {
		hotlist__free(a, over, (n - from) * sizeof(*over));
		if (pairs)
			hotlist__free(a, pairs, HL_TABLE_INC_DUPS * 2 * sizeof(*pairs));
		return false; /* finish places the rest on one thread */
	}
	inc_empty(ti);
	ti->err = 0; /* paused at from (its duplicates full): part 0 may allocate */
	t->max_probe = 1; /* what the first key placed in its primary sets */
	ti->part_cap = n - from;
	ti->part[0] = (struct inc_part){
		.bd = { .t = t,
			.over = ti->bd.over + ti->bd.nover,
			.a = a,
			.dups = ti->dups,
			.dups_cap = ti->bd.dups_cap },
		.from = from,
		.blo = 0,
		.bhi = t->nbuckets / 2,
	};
	ti->part[1] = (struct inc_part){
		.bd = { .t = t,
			.over = over,
			.a = a,
			.dups_cap = HL_TABLE_INC_DUPS,
			.no_alloc = true },
		.dups = { .pairs = pairs, .cap = HL_TABLE_INC_DUPS },
		.from = from,
		.blo = t->nbuckets / 2,
		.bhi = t->nbuckets,
	};
	ti->part[1].bd.dups = &ti->part[1].dups;
	ti->n_split = n;
	ti->split = true;
	hotlist__build_times.split_keys = n - from;
	return true;
}

void hotlist__table_inc_part(struct hl_table_inc *ti, unsigned which, const atomic_bool *stop)
{
	struct inc_part *p = &ti->part[which];
	const size_t n = ti->n_split;
	size_t at = p->from;

	HL_DEBUG_ASSERT(ti->split && which < 2);
	while (at < n && !p->err) {
		/* relaxed: what the other thread did before it set stop is
		 * ordered by the join, which finish comes after */
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			break;
		const size_t to = n - at > HL_TABLE_PART_STEP ? at + HL_TABLE_PART_STEP : n;

		p->err = place_primary_part(&p->bd, &ti->src, at, to, p->blo, p->bhi, &at);
	}
	p->at = at;
}

/* The parts' lists merged into the build's, in index order (both parts'
 * are in it, and every index of theirs is above the build's own), from the
 * back, so that part 0's list, already in place, is read before written. */
static void merge_over(struct hl_table_inc *ti)
{
	uint32_t *o = ti->bd.over + ti->bd.nover;
	const uint32_t *ob = ti->part[1].bd.over;
	size_t na = ti->part[0].bd.nover, nb = ti->part[1].bd.nover, w = na + nb;

	ti->bd.nover += w;
	while (nb > 0) {
		const bool a_last = na > 0 && o[na - 1] > ob[nb - 1];

		o[--w] = a_last ? o[--na] : ob[--nb];
	}
}

static int merge_dups(struct hl_table_inc *ti)
{
	struct hl_table_dups *d = ti->dups;
	const struct hl_table_dups *db = &ti->part[1].dups;
	size_t na = d->n, nb = db->n, w = na + nb;

	if (dups_reserve(&ti->bd, w))
		return HOTLIST_ENOMEM;
	d->n = w;
	while (nb > 0) {
		const bool a_last = na > 0 && d->pairs[2 * (na - 1)] > db->pairs[2 * (nb - 1)];
		const uint32_t *src = a_last ? &d->pairs[2 * --na] : &db->pairs[2 * --nb];

		w--;
		d->pairs[2 * w] = src[0];
		d->pairs[2 * w + 1] = src[1];
	}
	return 0;
}

/*
 * After both parts ran (the worker's joined): part 1 finished if it
 * paused, and the parts' lists merged. The error of the part that stopped
 * at the lower key, if both failed (a sequential build stops at the first).
 */
static int inc_join_parts(struct hl_table_inc *ti)
{
	struct inc_part *p0 = &ti->part[0], *p1 = &ti->part[1];
	const size_t n = ti->n_split;

	ti->bd.dups_cap = p0->bd.dups_cap; /* part 0 may have grown the build's */
	if (!p0->err && (p1->err == HL_TABLE_EPAUSE || (!p1->err && p1->at < n))) {
		/* paused, or stopped: the rest of it on the caller's thread now */
		p1->bd.no_alloc = false;
		p1->err =
			place_primary_part(&p1->bd, &ti->src, p1->at, n, p1->blo, p1->bhi, &p1->at);
	}
	if (p0->err && (!p1->err || p1->err == HL_TABLE_EPAUSE || p0->at < p1->at))
		return p0->err;
	if (p1->err)
		return p1->err;
	merge_over(ti);
	ti->done = n;
	return merge_dups(ti);
}

void hotlist__table_inc_abort(struct hl_table_inc *ti)
{
	if (!ti)
		return;
	hotlist__table_dups_free(ti->dups, ti->bd.a);
	inc_release(ti);
}

int hotlist__table_inc_finish(struct hl_table_inc *ti, const void *keys, size_t n,
			      struct hl_table **out)
{
	struct builder *bd = &ti->bd;
	struct hl_table_dups *dups = ti->dups;
	const struct hotlist_allocator *a = bd->a;
	const size_t stride = ti->src.stride;
	uint64_t seed = bd->t->seed;
	int err = ti->err == HL_TABLE_EPAUSE ? 0 : ti->err;

	bd->no_alloc = false;
	ti->src.keys = keys; /* the array may have moved (list.c trims it) */
	HL_DEBUG_ASSERT(!ti->split || n == ti->n_split);
	if (!err && !inc_fits(ti, n)) {
		/* not the size it was begun for: a build of its own size */
		hotlist__table_inc_abort(ti);
		return hotlist__table_build_strided(out, keys, stride, NULL, n, seed, dups, a);
	}
	inc_empty(ti);
	if (!err && ti->split)
		err = inc_join_parts(ti);
	if (!err)
		err = place_primary_all(bd, &ti->src, ti->done, n, &ti->done);
	dups->phase1 = dups->n;
	hotlist__build_stamp(&hotlist__build_times.phase1_ns, &hotlist__build_times.phase1_cpu);
	hotlist__build_times.over_keys = bd->nover;
	if (!err)
		err = place_all_overflow(bd, &ti->src);
	dups->cap = bd->dups_cap;
	if (err == HL_TABLE_ERESEED) {
		/* crafted collisions: the sequential build with the next seed
		 * (table.c, "Reseeding"), this try counted */
		hotlist__table_inc_abort(ti);
		err = hotlist__table_build_strided(out, keys, stride, NULL, n, hotlist__seed(seed),
						   dups, a);
		if (!err)
			(*out)->reseeds++;
		return err;
	}
	if (err) {
		hotlist__table_inc_abort(ti);
		return err;
	}
	bd->t->count = n - dups->n;
	*out = bd->t;
	bd->t = NULL; /* the caller's now */
	inc_release(ti);
	return 0;
}

void hotlist__table_remap(struct hl_table *t, const uint32_t *map)
{
	for (uint64_t b = 0; b < t->nbuckets; b++) {
		struct hl_slot *s = t->buckets[b].slot;

		for (unsigned i = 0; i < HL_TABLE_SLOTS; i++)
			if (s[i].val != HL_TABLE_NONE)
				s[i].val = map[s[i].val];
	}
}

void hotlist__table_free(struct hl_table *t, const struct hotlist_allocator *a)
{
	if (!t)
		return;
	hotlist__free(a, t->buckets, t->bucket_bytes);
	hotlist__free(a, t, sizeof(*t));
}

bool hotlist__table_maybe(const struct hl_table *t, const struct hl_key *key)
{
	return filter_maybe(t->filter[place_one(key, t->seed, t->nbuckets).b1], filter_bits(key));
}

uint64_t hotlist__table_place_of(size_t n, uint64_t seed, const struct hl_key *key, uint64_t *b1,
				 uint64_t *b2)
{
	const uint64_t nb = hotlist__table_buckets_for(n);
	const struct hl_place pl = place_one(key, seed, nb);

	*b1 = pl.b1;
	*b2 = pl.b2;
	return nb;
}

/* Is key k, found in bucket b, where invariants 2 and 3 say it may be? */
static bool key_placed_right(const struct hl_table *t, const struct hl_key *k, uint64_t b)
{
	const struct hl_place pl = place_one(k, t->seed, t->nbuckets);
	uint64_t c = pl.b2;
	unsigned probe = 2;

	if (b == pl.b1)
		return t->max_probe >= 1;
	if (fill_of(&t->buckets[pl.b1]) < HL_TABLE_SLOTS ||
	    !pair_bit(t->buckets[pl.b1].slot, SPILL_PAIR))
		return false;
	for (; c != b; c = next_bucket(c, t->nbuckets), probe++)
		if (fill_of(&t->buckets[c]) < HL_TABLE_SLOTS ||
		    !pair_bit(t->buckets[c].slot, CHAIN_PAIR) || probe >= t->max_probe)
			return false;
	return probe <= t->max_probe;
}

bool hotlist__table_check(const struct hl_table *t)
{
	size_t keys = 0;

	for (uint64_t b = 0; b < t->nbuckets; b++) {
		const struct hl_slot *s = t->buckets[b].slot;
		const unsigned fill = fill_of(&t->buckets[b]);

		for (unsigned i = 0; i < HL_TABLE_SLOTS; i++) {
			const struct hl_key k = { .lo = s[i].lo, .hi = s[i].hi };

			if (i >= fill) { /* invariant 1: slots fill from 0 */
				if (!slot_is_empty(&s[i]) || s[i].val != HL_TABLE_NONE)
					return false;
				continue;
			}
			if (slot_is_empty(&s[i]) || s[i].val == HL_TABLE_NONE ||
			    !key_placed_right(t, &k, b) || !hotlist__table_maybe(t, &k))
				return false;
			for (unsigned j = 0; j < i; j++)
				if (slot_has(&s[j], &k))
					return false;
			keys++;
		}
	}
	return keys == t->count && t->count < HL_TABLE_SLOTS * t->nbuckets; /* invariant 4 */
}

bool hotlist__table_same(const struct hl_table *a, const struct hl_table *b)
{
	return a->nbuckets == b->nbuckets && a->seed == b->seed && a->count == b->count &&
	       a->max_probe == b->max_probe &&
	       memcmp(a->buckets, b->buckets, a->nbuckets * sizeof(*a->buckets)) == 0 &&
	       memcmp(a->filter, b->filter, a->nbuckets * sizeof(*a->filter)) == 0;
}
