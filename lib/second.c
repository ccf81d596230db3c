/* SPDX-License-Identifier: MIT */
/*
 * second.c — second-read evidence for weak fuzzy hits (issue 11, item 1):
 * one passing car is often read twice (the same camera a few frames apart,
 * or the next camera on the road). Model and measurements: docs/fuzzy.md,
 * "Second read"; what is kept and why: docs/SECURITY.md.
 *
 *  1. The model. Reads r1, r2 of one car both hit entry e fuzzily and
 *     weakly. If r1 == r2 the camera read the same text twice: evidence
 *     that the text is right (an innocent car of plate r1), so it never
 *     promotes, and the kept hit is marked: a third read r3 != r1 is then
 *     most likely a misread of r1's car and does not pair with it either.
 *     If r1 != r2, at least one of them is a misread, and two
 *     reads that land within the budget of the same listed plate from two
 *     sides are far likelier for the listed car than for an innocent one:
 *     the posterior log-odds add (the score is a logistic of a log-odds;
 *     score.c): each score holds the prior log-odds of a listed car, which
 *     the sum counts twice (taking one out adds its magnitude: the prior
 *     is small), and the two reads are not independent (one car, one
 *     plate, often one camera: its errors repeat), which takes some back.
 *     HL_SECOND_OFFSET is the net of the two, fitted on the bench
 *     (bench/bench_fuzzy_quality.c --second-read). The pair's score is
 *       round(100 / (1 + exp(-(L1 + L2 + HL_SECOND_OFFSET)))),
 *     L = ln((s + 1/2) / (100 + 1/2 - s)) the log-odds of a score s (the
 *     scores are whole numbers; the half keeps 0 finite).
 *  2. What is kept, per weak hit with a score of HL_SECOND_FLOOR or more
 *     (below it no partner can lift the pair to an alert that the partner
 *     does not already raise alone): the entry's identity hash, a keyed
 *     hash of the read's normalised text (XXH3-64 with a per-engine secret
 *     of HL_SECOND_KEY random bytes, so that the text cannot be found by
 *     hashing candidate plates without the key), the camera id's hash, the
 *     capture time and the score. Not the text, not the read. In memory
 *     only, never written anywhere.
 *  3. Bounds. A table of buckets of HL_SECOND_WAYS slots, the bucket chosen
 *     by the entry: fixed size, chosen at create. A new hit takes the slot
 *     of its own entry, camera and text if one is kept (marking it read
 *     twice), else an empty or expired slot of its bucket, else the
 *     oldest. A slot whose hit left the window (capture time more than the
 *     window before the hit being noted) is zeroed when a note visits its
 *     bucket; every note also visits one more bucket in turn (a sweep), so
 *     with weak hits flowing every slot is visited once per `buckets`
 *     notes; hotlist_destroy() zeroes every slot and the key.
 *  4. Concurrency. Each slot is a sequence lock whose data are atomics, as
 *     in retro.c (Boehm, MSPC 2012): a reader copies seq (acquire), the
 *     fields (acquire), seq again (relaxed) and uses the copy only if seq
 *     was even and unchanged; a writer takes the slot by a compare-exchange
 *     of seq from the even value it copied to odd (acquire), stores the
 *     fields (release: the odd seq is visible to whoever sees a new field),
 *     then seq + 2 (release: publishes them; pairs with the reader's first
 *     acquire). A failed exchange means another thread wrote the slot since
 *     the copy: the hit is not kept (never waits: wait-free). A pair is
 *     missed at worst, never invented: an answer comes only from a
 *     consistent copy. The sweep cursor is relaxed: it hands out buckets
 *     only.
 *
 * Cost: only weak fuzzy hits of an engine with the window on come here:
 * one keyed hash of the text, one bucket (HL_SECOND_WAYS x 64 bytes) read
 * and usually one slot written, plus one bucket of the sweep.
 */
#include "second.h"

#include "alloc.h"
#include "clock.h"
#include "common.h"
#include "logodds.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include <xxhash.h>

/* Slots when the caller gives none: weak hits of a whole engine within the
 * window. A 10^6-entry list at k = 1, d = 1 raises a fuzzy hit on ~5-9 % of
 * innocent reads, most of them weak; 16384 slots hold 10 s of 20,000 reads/s
 * (1 MiB). A full table only loses pairs (the oldest hit goes first). */
#define HL_SECOND_SLOTS_DEFAULT 16384u
/* Slots per bucket: the hits of one entry and its neighbours' that collide
 * in it; 4 x 64 bytes, a few cache lines read per note. */
#define HL_SECOND_WAYS 4u
/* Bytes of the per-engine hash key (XXH3's secret: at least
 * XXH3_SECRET_SIZE_MIN, 136). */
#define HL_SECOND_KEY 192
/* Weak hits below this score are not kept (item 2 above). */
#ifndef HL_SECOND_FLOOR
#define HL_SECOND_FLOOR 5u
#endif
/* The prior counted twice, less the dependence of two reads of one car, in
 * log-odds (item 1 above). Fitted at 10^6 entries, k = 1, d = 1 on the
 * bench's training workload (docs/fuzzy.md, "Second read"), refitted after
 * the sixth scoring round: from -1 to 5 drop recall per car rose 81.5 ->
 * 83.7 % and innocent alerts per 1,000 cars 1.68 -> 1.69; 3 is the largest
 * offset whose second-read alerts stay at 0.00 per 1,000 cars there (2
 * until the sixth round, fitted on the fifth round's score). */
#ifndef HL_SECOND_OFFSET
#define HL_SECOND_OFFSET 3.0
#endif

/* In a slot's score: the text was read twice (the hit was noted again by
 * the same text): it pairs with no other text of the entry. */
#define HL_SECOND_TWICE 0x100u

_Static_assert(HL_SECOND_KEY >= XXH3_SECRET_SIZE_MIN, "XXH3's secret size");
_Static_assert(HL_SECOND_KEY % 8 == 0, "the key is whole seeds");

struct slot {
	atomic_uint_least64_t seq; /* even: stable (0 never written); odd: being written */
	atomic_uint_least64_t entry; /* 0: empty */
	atomic_uint_least64_t text; /* keyed hash of the read's text */
	atomic_uint_least64_t camera;
	atomic_int_least64_t ts; /* capture time, µs */
	atomic_uint_least64_t score; /* the hit's score | HL_SECOND_TWICE */
	uint64_t pad[2];
};
_Static_assert(sizeof(struct slot) == HL_CACHE_LINE, "one slot, one cache line");

struct hl_second {
	/* the only line every note writes */
	_Alignas(HL_CACHE_LINE) atomic_uint_least64_t sweep;
	_Alignas(HL_CACHE_LINE) int64_t window_us;
	bool any_camera;
	size_t nbuckets; /* a power of two */
	struct slot *slot; /* nbuckets x HL_SECOND_WAYS */
	unsigned char key[HL_SECOND_KEY];
};

/* A copy of a stable slot. */
struct copy {
	uint64_t seq, entry, text, camera, score;
	int64_t ts;
};

int hotlist__second_create(struct hl_second **out, int64_t window_us, size_t slots, bool any_camera,
			   const struct hotlist_allocator *a)
{
	struct hl_second *s = hotlist__zalloc(a, sizeof(*s), HL_CACHE_LINE);
	if (!s)
		return HOTLIST_ENOMEM;
	size_t n = slots ? slots : HL_SECOND_SLOTS_DEFAULT;
	s->nbuckets = hl_pow2_at_least((n + HL_SECOND_WAYS - 1) / HL_SECOND_WAYS);
	s->window_us = window_us;
	s->any_camera = any_camera;
	s->slot = hotlist__zalloc(a, s->nbuckets * HL_SECOND_WAYS * sizeof(struct slot),
				  HL_CACHE_LINE);
	if (!s->slot) {
		hotlist__free(a, s, sizeof(*s));
		return HOTLIST_ENOMEM;
	}
	uint64_t salt = 0;
	for (size_t i = 0; i < HL_SECOND_KEY; i += 8) {
		salt = hotlist__seed(salt);
		memcpy(s->key + i, &salt, 8);
	}
	atomic_init(&s->sweep, 0);
	*out = s;
	return 0;
}

void hotlist__second_destroy(struct hl_second *s, const struct hotlist_allocator *a)
{
	if (!s)
		return;
	size_t bytes = s->nbuckets * HL_SECOND_WAYS * sizeof(struct slot);
	hotlist__wipe(s->slot, bytes);
	hotlist__free(a, s->slot, bytes);
	hotlist__wipe(s->key, sizeof(s->key));
	hotlist__free(a, s, sizeof(*s));
}

size_t hotlist__second_slots(const struct hl_second *s)
{
	return s->nbuckets * HL_SECOND_WAYS;
}

/* Copy slot p; false if it is being written or changed under the copy. */
static bool read_slot(struct slot *p, struct copy *c)
{
	c->seq = atomic_load_explicit(&p->seq, memory_order_acquire); /* pairs with the release
									of seq + 2 */
	if (c->seq & 1)
		return false;
	/* acquire: a copy that read a field of a later write synchronises with
	 * it and sees the changed seq below */
	c->entry = atomic_load_explicit(&p->entry, memory_order_acquire);
	c->text = atomic_load_explicit(&p->text, memory_order_acquire);
	c->camera = atomic_load_explicit(&p->camera, memory_order_acquire);
	c->ts = atomic_load_explicit(&p->ts, memory_order_acquire);
	c->score = atomic_load_explicit(&p->score, memory_order_acquire);
	return atomic_load_explicit(&p->seq, memory_order_relaxed) == c->seq;
}

/* Write slot p, copied at seq `seq`, unless written since. */
static void write_slot(struct slot *p, uint64_t seq, const struct copy *v)
{
	/* acquire: pairs with the release of the slot's previous writer */
	if (!atomic_compare_exchange_strong_explicit(&p->seq, &seq, seq + 1, memory_order_acquire,
						     memory_order_relaxed))
		return;
	/* release: the odd seq is visible to whoever reads a new field */
	atomic_store_explicit(&p->entry, v->entry, memory_order_release);
	atomic_store_explicit(&p->text, v->text, memory_order_release);
	atomic_store_explicit(&p->camera, v->camera, memory_order_release);
	atomic_store_explicit(&p->ts, v->ts, memory_order_release);
	atomic_store_explicit(&p->score, v->score, memory_order_release);
	/* release: publishes the fields with the even seq */
	atomic_store_explicit(&p->seq, seq + 2, memory_order_release);
}

static bool expired(const struct hl_second *s, const struct copy *c, int64_t now)
{
	return c->entry && c->ts < now - s->window_us;
}

/* Zero the expired slots of bucket b at capture time now. */
static void sweep_bucket(struct hl_second *s, size_t b, int64_t now)
{
	static const struct copy zero;
	for (size_t w = 0; w < HL_SECOND_WAYS; w++) {
		struct slot *p = &s->slot[b * HL_SECOND_WAYS + w];
		struct copy c;
		if (read_slot(p, &c) && expired(s, &c, now))
			write_slot(p, c.seq, &zero);
	}
}

static size_t bucket_of(const struct hl_second *s, uint64_t entry)
{
	/* the entry hash is an XXH3 digest already: its high bits are as good
	 * as any; the low bits pick the slot in other tables */
	return (size_t)(entry >> 32) & (s->nbuckets - 1);
}

unsigned hotlist__second_note(struct hl_second *s, const struct hl_second_hit *h)
{
	struct copy me = { 0,
			   h->entry,
			   XXH3_64bits_withSecret(h->plate, h->len, s->key, sizeof(s->key)),
			   h->camera,
			   h->score,
			   h->ts_us };
	size_t b = bucket_of(s, h->entry);
	bool same = false, found = false;
	uint64_t best = 0;
	struct copy victim = { 0 };
	size_t way = 0;
	int rank = -1; /* the victim's: 3 own, 2 empty, 1 expired, 0 oldest */
	for (size_t w = 0; w < HL_SECOND_WAYS; w++) {
		struct copy c;
		int r = 0;
		if (!read_slot(&s->slot[b * HL_SECOND_WAYS + w], &c))
			continue;
		if (!c.entry) {
			r = 2;
		} else if (expired(s, &c, h->ts_us)) {
			r = 1;
		} else if (c.entry == h->entry && c.ts <= h->ts_us + s->window_us &&
			   (s->any_camera || c.camera == h->camera)) {
			if (c.text == me.text) { /* read twice: kept once, marked */
				same = true;
				r = 3;
				me.score |= HL_SECOND_TWICE;
			} else if (c.score & HL_SECOND_TWICE) {
				same = true; /* another text, read twice: that car's plate */
			} else if (!found || c.score > best) {
				found = true;
				best = c.score;
			}
		}
		if (r > rank || (r == 0 && rank == 0 && c.ts < victim.ts)) {
			rank = r;
			victim = c;
			way = w;
		}
	}
	/* fails if the victim was written since its copy: h is not kept */
	if (h->score >= HL_SECOND_FLOOR && rank >= 0)
		write_slot(&s->slot[b * HL_SECOND_WAYS + way], victim.seq, &me);
	/* relaxed: hands out buckets to sweep, publishes nothing */
	uint64_t next = atomic_fetch_add_explicit(&s->sweep, 1, memory_order_relaxed);
	sweep_bucket(s, (size_t)next & (s->nbuckets - 1), h->ts_us);
	if (same || !found || h->score < HL_SECOND_FLOOR)
		return 0;
	return hl_score_of_logodds(hl_logodds_of_score((unsigned)h->score) +
				   hl_logodds_of_score((unsigned)best) + HL_SECOND_OFFSET);
}

size_t hotlist__second_count(struct hl_second *s, int64_t now_us)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nbuckets * HL_SECOND_WAYS; i++) {
		struct copy c;
		n += read_slot(&s->slot[i], &c) && c.entry && !expired(s, &c, now_us);
	}
	return n;
}
