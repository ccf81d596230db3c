/* SPDX-License-Identifier: MIT */
/*
 * suppress.c — repeat-hit suppression.
 *
 * Owns: struct hl_suppress, a fixed-size open-addressing table recording,
 * for each (entry, camera) pair that hit recently, the time of the last hit
 * that was called back. It holds only a 64-bit hash of the pair and a time:
 * nothing about reads that did not hit (privacy: art. 126jj Sv), not even
 * the plate of those that did.
 *
 * Rule: a hit at ts is suppressed iff a hit of the same pair was called back
 * at a time t with |ts - t| < window (reads can arrive out of order, so
 * "within the window" is symmetric). Only hits that are called back are
 * recorded, so a vehicle parked in front of a camera is reported once per
 * window, not once ever.
 *
 * The one property that matters: a hit is never suppressed unless a called-
 * back hit of the same pair lies within the window (a missing callback is the
 * harm to avoid: a stolen car must not go unreported). Everything else gives
 * way to it: when the table is full, a slot is busy, or a race is lost past
 * HL_SUPPRESS_RETRIES, check() answers 0 and the worst outcome is a second
 * callback. The one exception is a 64-bit hash collision between two pairs
 * (probability 2^-64 per comparison).
 *
 * Layout: HL_SUPPRESS_SLOTS slots of 24 bytes (1.5 MiB); none when the
 * window is 0, since nothing is ever suppressed then.
 *
 *   slot: | seq (even = stable, odd = being written) | key (0 = empty) | last_ts |
 *
 * A pair's home slot is key & (HL_SUPPRESS_SLOTS - 1); it lives in one of
 * the HL_SUPPRESS_PROBE slots from there (linear probing, no deletion). A slot
 * whose time is more than a window older than the hit being recorded is
 * stale: no later hit within the window of that time is likely (reads come
 * out of order by seconds, windows are minutes), so it may be reused.
 *
 * Concurrency: each slot is a seqlock whose write side is a try-lock.
 *  - The probe scans its slots with relaxed loads, as hints (most slots are
 *    other pairs'). The slot it acts on (the pair's own, or the one it will
 *    claim) is then read as a consistent snapshot (seq, key, last_ts): seq
 *    even and the same before and after (Boehm, "Can seqlocks get along with
 *    programming language memory models?", MSPC 2012). Of the correct
 *    variants given there, this one uses acquire data loads and release data
 *    stores instead of fences: free on x86, cheap elsewhere, on a path only
 *    hits take, and understood by ThreadSanitizer (GCC's refuses
 *    atomic_thread_fence). A 1 is only ever answered from a snapshot; a wrong
 *    hint can at worst record a pair in a second slot (an extra callback).
 *  - Every write of key or last_ts is done while holding the slot: a CAS of
 *    seq from the even value seen in the snapshot to odd, then the data, then
 *    a release store of seq + 2. Because the CAS expects the snapshot's seq,
 *    it fails if anything was written since the snapshot; a 64-bit sequence
 *    never wraps, so there is no ABA. A thread that lost a race never writes.
 *  - No one ever waits for a slot: a busy slot (odd seq, or changed under the
 *    reader) makes the whole probe retry, at most HL_SUPPRESS_RETRIES times,
 *    then the answer is 0 without recording. check() is therefore wait-free.
 * Why not just two relaxed words, key and last_ts: a thread that read key k,
 * then was overtaken by another reusing the slot for k2, would write k's time
 * into k2's slot (or read k2's time as k's) and could suppress a hit of k2
 * that should be reported. The seqlock makes every time in a slot belong to
 * the key beside it.
 * Invariant: every (key, last_ts) in a stable slot is a hit of that pair that
 * check() answered 0 for (only the 0-paths write). So a 1 is only ever
 * answered within the window of a called-back hit.
 */
#include "suppress.h"

#include "alloc.h"
#include "common.h"

#include <assert.h>
#include <stdatomic.h>

/* Slots: a power of two. 65536 pairs that hit within one window is far more
 * than a national deployment sees (hits are rare: a few per minute per
 * thousand cameras); a full table only costs extra callbacks. */
#define HL_SUPPRESS_SLOTS 65536u
/* Slots probed from the home slot: 8 x 24 bytes = 3 cache lines, and with a
 * table far from full a pair almost always sits in its home slot. */
#define HL_SUPPRESS_PROBE 8
/* Probe passes before giving up on busy slots and answering 0. Each retry
 * means another thread wrote a slot meanwhile, so a few are plenty. */
#define HL_SUPPRESS_RETRIES 4

#define HL_AGAIN (-1)

struct hl_slot {
	_Atomic uint64_t seq;
	_Atomic uint64_t key;
	_Atomic int64_t last_ts;
};

struct hl_suppress {
	uint64_t window; /* microseconds; 0 = never suppress */
	size_t nslots; /* HL_SUPPRESS_SLOTS, or 0 when window is 0 */
	struct hl_slot slot[];
};

struct snap {
	uint64_t seq;
	uint64_t key;
	int64_t ts;
};

static_assert((HL_SUPPRESS_SLOTS & (HL_SUPPRESS_SLOTS - 1)) == 0, "slots: a power of two");
static_assert(HL_SUPPRESS_PROBE <= HL_SUPPRESS_SLOTS, "probe within the table");

static size_t table_bytes(size_t nslots)
{
	return sizeof(struct hl_suppress) + nslots * sizeof(struct hl_slot);
}

int hotlist__suppress_create(struct hl_suppress **out, int64_t window_us,
			     const struct hotlist_allocator *a)
{
	size_t n = window_us > 0 ? HL_SUPPRESS_SLOTS : 0;
	struct hl_suppress *s;

	if (window_us < 0)
		return HOTLIST_EINVAL;
	/* Zeroed: seq 0 (stable), key 0 (empty) in every slot. */
	s = hotlist__zalloc(a, table_bytes(n), HL_CACHE_LINE);
	if (!s)
		return HOTLIST_ENOMEM;
	s->window = (uint64_t)window_us;
	s->nslots = n;
	*out = s;
	return 0;
}

void hotlist__suppress_destroy(struct hl_suppress *s, const struct hotlist_allocator *a)
{
	if (s)
		hotlist__free(a, s, table_bytes(s->nslots));
}

/* splitmix64's finaliser: a bijection of 64-bit words with full avalanche. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* The pair's key: never 0, which marks an empty slot. */
static uint64_t pair_key(uint64_t entry_id, uint64_t camera_id)
{
	uint64_t k = mix64(mix64(entry_id) ^ (camera_id * 0x9e3779b97f4a7c15ull));

	return k ? k : 1;
}

/* |a - b| exactly, whatever the signs. */
static uint64_t absdiff(int64_t a, int64_t b)
{
	return a >= b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

/* Consistent snapshot of a slot; 0 if it is being written (or was, meanwhile). */
static int read_slot(struct hl_slot *sl, struct snap *out)
{
	/* Acquire, pairs with the release store ending a write: the data
	 * loads below see that write or a later one. */
	uint64_t s1 = atomic_load_explicit(&sl->seq, memory_order_acquire);

	if (s1 & 1)
		return 0;
	/* Acquire, pairs with the release data stores in write_slot(): if
	 * either load sees a write that started after s1, that writer's odd
	 * seq happens before the reload below, which then differs from s1.
	 * Acquire also keeps the reload from moving above these loads. */
	out->key = atomic_load_explicit(&sl->key, memory_order_acquire);
	out->ts = atomic_load_explicit(&sl->last_ts, memory_order_acquire);
	if (atomic_load_explicit(&sl->seq, memory_order_relaxed) != s1)
		return 0;
	out->seq = s1;
	return 1;
}

/* Take the slot if nothing was written since the snapshot with this seq. */
static int lock_slot(struct hl_slot *sl, uint64_t seq)
{
	/* Acquire on success: the previous writer's data stores (published by
	 * its release store of seq) happen before ours, so the slot's words
	 * end in our values. Relaxed on failure: we write nothing then. */
	return atomic_compare_exchange_strong_explicit(&sl->seq, &seq, seq + 1,
						       memory_order_acquire, memory_order_relaxed);
}

/* Write a locked slot and release it (seq was the snapshot's even value). */
static void write_slot(struct hl_slot *sl, uint64_t seq, uint64_t key, int64_t ts)
{
	/* Release: a reader that sees either value also sees our odd seq
	 * (read_slot()); the slot is ours, so no one else writes them now. */
	atomic_store_explicit(&sl->key, key, memory_order_release);
	atomic_store_explicit(&sl->last_ts, ts, memory_order_release);
	/* Release, pairs with read_slot()'s first acquire load and the next
	 * writer's acquire CAS: whoever sees seq + 2 sees the data above. */
	atomic_store_explicit(&sl->seq, seq + 2, memory_order_release);
}

/* The pair's slot was found, stable, in sn. */
static int seen(const struct hl_suppress *s, struct hl_slot *sl, const struct snap *sn, int64_t ts)
{
	if (absdiff(ts, sn->ts) < s->window)
		return 1;
	if (ts <= sn->ts)
		return 0; /* an older read, outside the window: keep the newer time */
	if (!lock_slot(sl, sn->seq))
		return HL_AGAIN;
	write_slot(sl, sn->seq, sn->key, ts);
	return 0;
}

static int claimable(const struct hl_suppress *s, uint64_t key, int64_t last, int64_t ts)
{
	return key == 0 || (ts > last && absdiff(ts, last) >= s->window);
}

/*
 * One probe pass: 1, 0, or HL_AGAIN when a slot was busy or a race lost.
 * The scan reads each slot's words relaxed, as hints: most slots are someone
 * else's and need no consistent snapshot. The slot acted on (our pair's, or
 * the one to claim) is then read as a seqlock snapshot, and the lock CAS
 * checks that snapshot. A hint can only be wrong about a slot being written
 * meanwhile, and the worst that does is record the pair twice: no 1 is ever
 * answered from a hint.
 */
static int probe(struct hl_suppress *s, uint64_t key, int64_t ts)
{
	const size_t mask = s->nslots - 1;
	struct hl_slot *claim = NULL;
	int busy = 0;
	struct snap sn;

	for (size_t i = 0; i < HL_SUPPRESS_PROBE; i++) {
		struct hl_slot *sl = &s->slot[(key + i) & mask];
		/* Relaxed: hints only, see above. */
		uint64_t seq = atomic_load_explicit(&sl->seq, memory_order_relaxed);
		uint64_t k = atomic_load_explicit(&sl->key, memory_order_relaxed);

		if (seq & 1) {
			busy = 1; /* it may be taking our pair: do not claim another */
		} else if (k == key) {
			if (!read_slot(sl, &sn) || sn.key != key)
				return HL_AGAIN;
			return seen(s, sl, &sn, ts);
		} else if (!claim &&
			   claimable(s, k, atomic_load_explicit(&sl->last_ts, memory_order_relaxed),
				     ts)) {
			claim = sl;
		}
	}
	if (busy)
		return HL_AGAIN;
	if (!claim)
		return 0; /* full here: a hit is never lost to a full table */
	if (!read_slot(claim, &sn))
		return HL_AGAIN;
	if (sn.key == key)
		return seen(s, claim, &sn, ts); /* recorded there meanwhile */
	if (!claimable(s, sn.key, sn.ts, ts) || !lock_slot(claim, sn.seq))
		return HL_AGAIN;
	write_slot(claim, sn.seq, key, ts);
	return 0;
}

/*
 * Suppress (1) or report and record (0) a hit of entry_id by camera_id at
 * ts_us. Threads: any, wait-free (at most HL_SUPPRESS_RETRIES passes of
 * HL_SUPPRESS_PROBE slots). Never 1 for a hit with no called-back hit of the
 * same pair within the window (see top comment).
 */
int hotlist__suppress_check(struct hl_suppress *s, uint64_t entry_id, uint64_t camera_id,
			    int64_t ts_us)
{
	uint64_t key;

	if (s->window == 0)
		return 0;
	key = pair_key(entry_id, camera_id);
	for (int i = 0; i < HL_SUPPRESS_RETRIES; i++) {
		int r = probe(s, key, ts_us);

		if (r != HL_AGAIN)
			return r;
	}
	return 0;
}
