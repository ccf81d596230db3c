/* SPDX-License-Identifier: MIT */
/*
 * stats.c — striped event counters and latency histograms.
 *
 * Owns: struct hl_stats.
 *
 * Layout: HL_STRIPES stripes, each starting on its own cache line, so threads
 * on different stripes never write the same line.
 *
 *   struct hl_stats
 *   +------------------------------------------------------------------+
 *   | stripe 0: counter[HL_C__COUNT] | hist[HL_H_INLINE] | hist[ASYNC] |  <- 64-byte aligned
 *   | stripe 1: ...                                                    |
 *   | ...                                                              |
 *   | stripe HL_STRIPES-1                                              |
 *   +------------------------------------------------------------------+
 *   hist = bucket[HL_HIST_BUCKETS] + max   (about 4.4 KiB)
 *
 * Stripe choice: a thread takes a stripe the first time it records anything,
 * kept in a thread-local for the thread's life (the same index in every
 * engine; struct hl_stats_tl, in stats.h so that an owner's add and the
 * sampled clock's countdown inline into the read path). The first
 * HL_STRIPES_OWNED stripes are owned: a thread claims a
 * free one (a bit of owned_mask, compare-and-swap) and is then the only
 * thread that writes it, in every engine, so its counter adds are a plain
 * load and store (a locked add costs ~6 ns, a tenth of a cached single
 * read); it gives the stripe back when it exits (a pthread key's
 * destructor). When all are owned, or the key cannot be had, a thread takes
 * one of the other stripes round robin and shares it, with atomic adds.
 * No lock and no allocation (pthread_setspecific of a key below
 * PTHREAD_KEY_2NDLEVEL_SIZE allocates nothing in glibc); the histograms use
 * atomic adds on every stripe (they count hits only).
 *
 * Histogram buckets are log-linear (as in HdrHistogram): values below
 * HL_HIST_SUB (16) ns have a bucket each; above, every power-of-two range
 * [2^e, 2^(e+1)) is cut into HL_HIST_SUB equal buckets (a 4-bit mantissa).
 *
 *   value v < 16:            bucket v                  (exact)
 *   value v >= 16, e = log2: shift = e - 4
 *                            bucket = (shift + 1) * 16 + (v >> shift) - 16
 *
 * A bucket's width is at most 1/16 of its lower bound, so the upper bound
 * reported for a percentile is at most 6.25 % above any value in the bucket
 * (and never below it). Buckets cover 0 .. 2^37 - 1 ns (about 137 s); larger
 * values land in the last bucket, and the exact max still records them.
 *
 * Memory ordering: every counter and max is an atomic updated with relaxed
 * ordering (an owner's load and store too: no other thread writes its
 * stripe; the release that gives a stripe back and the acquire compare-and-
 * swap that claims it order the old owner's stores before the new one's). Counters only need atomicity (no lost increments); the sum is read
 * on demand and orders nothing: no other memory is published through a
 * counter. A reader summing while writers run sees each counter's value at
 * some moment during the read; two counters (or two buckets) are not read at
 * one instant, as hotlist_stats() documents. The one pairing: a sample raises
 * its stripe's max before its release add to the bucket, and the reader loads
 * buckets with acquire before the max, so a counted sample's value is never
 * above the max read (the percentile clamp below relies on it).
 *
 * Progress: add and latency are wait-free but for the max update, a CAS loop
 * that only retries when another thread raised the max meanwhile (lock-free,
 * and bounded in practice by the number of threads on the stripe).
 *
 * Sampled timing of the single-read call (hotlist__stats_lat_start). A
 * clock read costs 22-29 ns on the 2-core VM of docs/PERFORMANCE.md (the
 * kvm-clock vDSO), a third of a cached single read; the inline histogram
 * only records hits, yet needs the clock at the start of every call. So a
 * thread's single calls are cut into intervals; the first call of each is
 * timed and its hits are recorded with a weight equal to the interval's
 * length (the calls it stands for: a Horvitz-Thompson estimate, unbiased
 * because the length is drawn when the interval starts, before any of its
 * reads is seen). Intervals are one call long, so every call is timed and
 * every count exact, for a thread's first HL_LAT_EXACT_CALLS timed calls and
 * whenever its calls are HL_LAT_DENSE_NS or more apart on average over the
 * last interval (the clock then costs under 3 % of the call); otherwise
 * their length is drawn uniformly from 1 .. 2 * HL_LAT_EVERY - 1 (mean
 * HL_LAT_EVERY; random, so that a periodic pattern of reads cannot alias
 * with it). The state is per thread, in the same thread-local as the
 * stripe, so sampling takes no lock and shares no line.
 */
#include "stats.h"

#include "alloc.h"
#include "clock.h"
#include "common.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Stripes of counters: enough that the cores of a typical server (and the
 * engine's workers) rarely share one, few enough that summing stays cheap
 * (16 stripes x 9 counters) and the histograms stay small (16 x 8.8 KiB). */
#define HL_STRIPES 16

/* log2 of the sub-buckets per power of two: 4 bits of mantissa = 6.25 %. */
#define HL_HIST_SUB_BITS 4
#define HL_HIST_SUB (1u << HL_HIST_SUB_BITS)
/* Highest power of two covered: 2^36 ns = 68.7 s, so the top range reaches
 * 2^37 - 1 ns = 137 s, past the ~100 s any sane read-to-callback latency has. */
#define HL_HIST_TOP_EXP 36
#define HL_HIST_BUCKETS ((HL_HIST_TOP_EXP - HL_HIST_SUB_BITS + 2) * HL_HIST_SUB)

struct hl_hist_data {
	_Atomic uint64_t bucket[HL_HIST_BUCKETS];
	_Atomic uint64_t max;
};

struct hl_stripe {
	_Atomic uint64_t counter[HL_C__COUNT];
	struct hl_hist_data hist[HL_H__COUNT];
} __attribute__((aligned(HL_CACHE_LINE)));

struct hl_stats {
	struct hl_stripe stripe[HL_STRIPES];
};

static_assert(sizeof(struct hl_stripe) % HL_CACHE_LINE == 0, "stripes share no cache line");
static_assert((HL_STRIPES & (HL_STRIPES - 1)) == 0, "HL_STRIPES is a power of two");

/* Stripes a thread may own (top comment); the other 4 are shared by the
 * threads beyond: enough owners for a server's matching threads and the
 * engine's workers on most machines. */
#define HL_STRIPES_OWNED 12
static_assert(HL_STRIPES_OWNED < HL_STRIPES && HL_STRIPES_OWNED <= 32, "some stripes are shared");

/* Bit i set: stripe i has an owner. Claimed with acquire, given back with
 * release: the handover of a stripe from one owner to the next. */
static _Atomic uint32_t owned_mask;
/* Next shared stripe to hand out. Relaxed: it only spreads threads over the
 * shared stripes, any value is correct. */
static _Atomic unsigned next_shared;
/* The key whose destructor gives a thread's stripe back at its exit. */
static pthread_key_t owner_key;
static pthread_once_t owner_once = PTHREAD_ONCE_INIT;
static bool owner_key_ok;

/* What a thread keeps for the stats (struct hl_stats_tl, stats.h); `tl`
 * in this file. */
HL_TLS struct hl_stats_tl hotlist__stats_tl;
#define tl hotlist__stats_tl

/* At thread exit (the key's destructor): give the stripe back. */
static void release_stripe(void *p)
{
	uint32_t bit = UINT32_C(1) << ((uintptr_t)p - 1);

	tl.stripe = 0; /* a later add in this thread's exit claims again */
	tl.own = 0;
	/* release: pairs with the acquire claim of the stripe's next owner,
	 * which must see this thread's last stores to it */
	atomic_fetch_and_explicit(&owned_mask, ~bit, memory_order_release);
}

static void make_owner_key(void)
{
	owner_key_ok = pthread_key_create(&owner_key, release_stripe) == 0;
}

/* A library unloaded (dlclose) must not leave a destructor behind: threads
 * that exit later keep their stripes (the counters went with the library). */
__attribute__((destructor)) static void drop_owner_key(void)
{
	if (owner_key_ok)
		pthread_key_delete(owner_key);
}

/* This thread's stripe + 1, claimed or shared (top comment). */
static unsigned choose_stripe(void)
{
	pthread_once(&owner_once, make_owner_key);
	uint32_t m = atomic_load_explicit(&owned_mask, memory_order_relaxed);
	const uint32_t all = (uint32_t)((UINT64_C(1) << HL_STRIPES_OWNED) - 1);

	while (owner_key_ok && (m & all) != all) {
		unsigned i = (unsigned)__builtin_ctz(~m);
		/* acquire: pairs with the release of the stripe's last owner */
		if (!atomic_compare_exchange_weak_explicit(&owned_mask, &m, m | UINT32_C(1) << i,
							   memory_order_acquire,
							   memory_order_relaxed))
			continue;
		if (pthread_setspecific(owner_key, (void *)(uintptr_t)(i + 1)) == 0) {
			tl.own_off =
				i * sizeof(struct hl_stripe) + offsetof(struct hl_stripe, counter);
			tl.own = 1;
			return i + 1;
		}
		atomic_fetch_and_explicit(&owned_mask, ~(UINT32_C(1) << i), memory_order_release);
		break;
	}
	tl.own = 0;
	return HL_STRIPES_OWNED +
	       atomic_fetch_add_explicit(&next_shared, 1, memory_order_relaxed) %
		       (HL_STRIPES - HL_STRIPES_OWNED) +
	       1;
}

void hotlist__stats_thread_prepare(void)
{
	if (!tl.stripe)
		tl.stripe = choose_stripe();
}

static struct hl_stripe *this_stripe(struct hl_stats *s)
{
	unsigned i = tl.stripe;

	if (HL_UNLIKELY(i == 0)) {
		i = choose_stripe();
		tl.stripe = i;
	}
	return &s->stripe[i - 1];
}

/* The next interval's length when sampling: uniform in 1 .. 2E - 1. */
static uint32_t draw_interval(uint64_t now)
{
	uint64_t x = tl.rng;

	if (HL_UNLIKELY(x == 0)) /* seeded per thread: the clock and the TLS address */
		x = (now ^ (uint64_t)(uintptr_t)&tl) | 1;
	x ^= x << 13; /* xorshift64 (Marsaglia 2003): never 0 from nonzero */
	x ^= x >> 7;
	x ^= x << 17;
	tl.rng = x;
	return 1 + (uint32_t)((x >> 32) % (2 * HL_LAT_EVERY - 1));
}

uint64_t hotlist__stats_lat_next(uint32_t *weight)
{
	uint64_t now = hotlist__now_ns();
	uint32_t n = 1;

	if (tl.exact < HL_LAT_EXACT_CALLS)
		tl.exact++;
	else if (now - tl.start_ns < (uint64_t)tl.weight * HL_LAT_DENSE_NS)
		n = draw_interval(now);
	tl.left = tl.weight = n;
	tl.start_ns = now;
	*weight = n;
	return now;
}

int hotlist__stats_create(struct hl_stats **out, const struct hotlist_allocator *a)
{
	struct hl_stats *s = hotlist__zalloc(a, sizeof(*s), HL_CACHE_LINE);

	if (!s)
		return HOTLIST_ENOMEM;
	*out = s;
	return 0;
}

void hotlist__stats_destroy(struct hl_stats *s, const struct hotlist_allocator *a)
{
	hotlist__free(a, s, sizeof(*s));
}

void hotlist__stats_add_shared(struct hl_stats *s, enum hl_counter c, uint64_t v)
{
	HL_DEBUG_ASSERT((unsigned)c < HL_C__COUNT);
	_Atomic uint64_t *p = &this_stripe(s)->counter[c];
	/* Relaxed: atomicity is all a counter needs (see top comment). A thread
	 * that has just chosen its stripe may own it now: then a load and a
	 * store, as hotlist__stats_add does (it is the stripe's only writer). */
	if (tl.own)
		atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v,
				      memory_order_relaxed);
	else
		atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

static unsigned bucket_of(uint64_t ns)
{
	unsigned e, shift;

	if (ns < HL_HIST_SUB)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);
	if (e > HL_HIST_TOP_EXP)
		return HL_HIST_BUCKETS - 1;
	shift = e - HL_HIST_SUB_BITS;
	return ((shift + 1) << HL_HIST_SUB_BITS) + (unsigned)(ns >> shift) - HL_HIST_SUB;
}

/* The largest value that falls in bucket b. */
static uint64_t bucket_upper(unsigned b)
{
	unsigned shift;
	uint64_t lower;

	if (b < HL_HIST_SUB)
		return b;
	shift = (b >> HL_HIST_SUB_BITS) - 1;
	lower = (uint64_t)(HL_HIST_SUB + (b & (HL_HIST_SUB - 1))) << shift;
	return lower + ((uint64_t)1 << shift) - 1;
}

void hotlist__stats_latency(struct hl_stats *s, enum hl_hist h, uint64_t ns)
{
	hotlist__stats_latency_n(s, h, ns, 1);
}

void hotlist__stats_latency_n(struct hl_stats *s, enum hl_hist h, uint64_t ns, uint32_t weight)
{
	struct hl_hist_data *d;
	uint64_t cur;

	HL_DEBUG_ASSERT((unsigned)h < HL_H__COUNT);
	d = &this_stripe(s)->hist[h];
	/* Relaxed CAS loop: the loop only needs the read-modify-write to be
	 * atomic; the bucket add below orders it for readers. */
	cur = atomic_load_explicit(&d->max, memory_order_relaxed);
	while (ns > cur && !atomic_compare_exchange_weak_explicit(
				   &d->max, &cur, ns, memory_order_relaxed, memory_order_relaxed))
		;
	/* Release, pairs with the acquire bucket load in percentiles(): a
	 * reader that counts this sample also sees a max >= ns, so clamping a
	 * percentile to the max never pulls it below a value it counted. */
	atomic_fetch_add_explicit(&d->bucket[bucket_of(ns)], weight, memory_order_release);
}

uint64_t hotlist__stats_sum(const struct hl_stats *s, enum hl_counter c)
{
	uint64_t sum = 0;

	HL_DEBUG_ASSERT((unsigned)c < HL_C__COUNT);
	for (unsigned i = 0; i < HL_STRIPES; i++)
		sum += atomic_load_explicit(&s->stripe[i].counter[c], memory_order_relaxed);
	return sum;
}

/* The 1-based rank of the ppm-th per-million value among n: ceil(n * ppm / 1e6),
 * at least 1, computed without overflowing 64 bits. */
static uint64_t rank_of(uint64_t n, uint64_t ppm)
{
	const uint64_t m = 1000000;
	uint64_t r = (n / m) * ppm + ((n % m) * ppm + m - 1) / m;

	return r ? r : 1;
}

/*
 * Percentiles: the buckets of all stripes summed, then walked once. Each
 * percentile reports the upper bound of the bucket holding its rank (so it
 * overstates by at most 6.25 %, never understates), clamped to the exact max
 * (the percentile cannot exceed it, so the clamp keeps an upper bound and
 * makes constant latencies read exactly). With writers running, the buckets
 * and the max are read at slightly different moments (see top comment).
 */
void hotlist__stats_percentiles(const struct hl_stats *s, enum hl_hist h,
				struct hotlist_latency *out)
{
	static const uint64_t ppm[5] = { 500000, 900000, 990000, 999000, 999900 };
	uint64_t *res[5] = { &out->p50_ns, &out->p90_ns, &out->p99_ns, &out->p999_ns,
			     &out->p9999_ns };
	uint64_t sum[HL_HIST_BUCKETS] = { 0 };
	uint64_t n = 0, max = 0, cum = 0;
	unsigned p = 0;

	HL_DEBUG_ASSERT((unsigned)h < HL_H__COUNT);
	for (unsigned i = 0; i < HL_STRIPES; i++) {
		const struct hl_hist_data *d = &s->stripe[i].hist[h];
		uint64_t m;

		/* Acquire, pairs with the release add in latency(); the max is
		 * read after the buckets, so it covers every sample counted. */
		for (unsigned b = 0; b < HL_HIST_BUCKETS; b++)
			sum[b] += atomic_load_explicit(&d->bucket[b], memory_order_acquire);
		m = atomic_load_explicit(&d->max, memory_order_relaxed);
		max = m > max ? m : max;
	}
	for (unsigned b = 0; b < HL_HIST_BUCKETS; b++)
		n += sum[b];
	memset(out, 0, sizeof(*out));
	out->count = n;
	out->max_ns = max;
	if (n == 0)
		return;
	for (unsigned b = 0; b < HL_HIST_BUCKETS && p < 5; b++) {
		cum += sum[b];
		while (p < 5 && cum >= rank_of(n, ppm[p])) {
			uint64_t up = bucket_upper(b);

			*res[p++] = up < max ? up : max;
		}
	}
}
