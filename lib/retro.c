/* SPDX-License-Identifier: MIT */
/*
 * retro.c — retroactive hits (issue 13, item 4): the window of recent reads
 * that a list change is matched against, so that a car that passed a
 * camera a minute before its plate was put on a list still raises a hit.
 *
 * Opt-in per engine (hotlist_config.retro_window_us > 0; off by default:
 * then no ring exists and a read that does not hit leaves no trace). This
 * file owns the ring; the writer side (which entries are new, matching
 * them, calling back) is in load.c and match.c. The whole design:
 *
 *  1. What is kept. Per read that normalises: its plate as the key the
 *     matcher uses (12 bytes), its country, its capture time (the time of
 *     the match for a read without one), the generation of the list state
 *     it was matched against, and its camera id, uuid and site (each cut at
 *     HL_RETRO_STR - 1 bytes): what scope and the hit id need, and what
 *     identifies the read to an operator. Not its raw text, OCR candidates,
 *     confidence, image or caller pointer. In memory only; never written
 *     anywhere.
 *  2. Bounds. A ring of max_reads slots (hotlist_config.retro_max_reads),
 *     overwritten in place: the oldest kept read goes when a new one comes.
 *     By time: a read whose capture time is already older than the window
 *     when it is matched is not kept; a scan skips the reads that left the
 *     window and wipes their slot (zeroes it). A slot that left the window
 *     is zeroed by the next scan or overwritten by a later read, and every
 *     slot is zeroed by hotlist_destroy(): without reads or list changes,
 *     an expired read's bytes stay in the process's memory, unused, until
 *     then (docs/SECURITY.md).
 *  3. Which reads a change is matched against. A list state carries a
 *     generation (struct hl_state.gen: the version number of the list
 *     version it installed, so generations grow with every publication).
 *     Every slot records the generation its read was matched against, and a
 *     read is kept inside the read-side section that matched it. A change
 *     that published generation G waits for a grace period (every read that
 *     saw an older state has then finished its keep), then scans the slots
 *     with a generation below G: the reads that could not have seen the
 *     change. A read that saw it was matched against it live, so no read is
 *     called back twice for one change.
 *  4. What a read is matched against (load.c): the entries that the change
 *     added: for a put, the entry put, unless an entry of the same plate,
 *     country and category was live before (an update); for a replace or a
 *     load, the entries of the new version whose plate, country and
 *     category the previous version did not have. An entry unchanged
 *     across a replace never hits twice. Exact matching of the read's
 *     plate, with the list's country rule, its scope and the entry's
 *     validity taken at the read's capture time, and suppression as for a
 *     live hit (a retro hit of an entry a camera already hit within the
 *     suppression window is suppressed). The scan hashes the new keys once
 *     and visits each slot once: O(max_reads + new entries) per change.
 *  5. Callback: cfg.on_hit with hit.retro set, on the writer's thread,
 *     after the change is published and the writer lock released, before
 *     the writer call returns (and before its audit event).
 *
 * Layout: two arrays of max_reads slots. Headers (40 bytes: all a scan
 * reads for a read that is not a candidate) and strings (3 x 64 bytes:
 * read only for a read whose key is new). 232 bytes a read in all.
 *
 *   cursor ─► fetch_add % max_reads ─► hdr[i] { seq gen ts lo hi|country }
 *                                      str[i] { camera[64] uuid[64] site[64] }
 *
 * Concurrency. Any number of matching threads keep reads at once, and
 * scans (writers of different lists) run at once with them. Each slot is
 * a sequence lock whose data are atomics (no data race for
 * ThreadSanitizer; on x86 they are plain moves). seq is even when the slot
 * is stable (0: never written; a wiped slot has ts 0), odd while one
 * thread writes it.
 * A keeper claims a slot with one fetch_add on the shared cursor, then
 * takes the slot's lock by a compare-exchange from even to odd; if it is
 * odd (a thread a whole ring behind still writes it) or the exchange
 * fails, the read is not kept: keep never waits (wait-free). A scan reads
 * seq (acquire), the fields (acquire), seq again: the copy is used
 * only if seq was even and unchanged (Boehm, "Can seqlocks get along with
 * programming language memory models?", MSPC 2012). Orderings:
 *   a. keep: the exchange to odd, then the field stores, each with
 *      release (the odd seq is visible to whoever sees a new field), then
 *      seq + 2 with release (publishes the fields with the even seq; pairs
 *      with the scan's first acquire load).
 *   b. scan: the field loads are acquire: a scan that read a field of a
 *      later write synchronises with it and sees, in its second load of
 *      seq, a value other than the one it first read, and drops the copy.
 *   Release stores and acquire loads are plain moves on x86; the usual form
 *   (relaxed fields between fences) is not used because ThreadSanitizer
 *   does not model fences.
 * The cursor is relaxed: it only hands out slots, it publishes nothing.
 * Cost on the read path: one clock read, one fetch_add on a shared line,
 * one compare-exchange, 5 header stores and the string words the read (and
 * the slot's previous one) use: for a read with a short camera id, one
 * cache line of strings (bench/bench_retro.c, docs/PERFORMANCE.md).
 */
#include "retro.h"

#include "alloc.h"
#include "common.h"

#include <stdatomic.h>
#include <string.h>

#define HL_RETRO_WORDS (HL_RETRO_STR / 8)
_Static_assert(HL_RETRO_STR % 8 == 0, "strings are whole words");

struct hdr {
	atomic_uint_least64_t seq; /* even: stable (0: never written); odd: being written */
	atomic_uint_least64_t gen; /* the state generation the read was matched against */
	atomic_int_least64_t ts; /* capture time, µs */
	atomic_uint_least64_t lo; /* key.lo */
	atomic_uint_least64_t hi; /* key.hi | country << 32 */
};
_Static_assert(sizeof(struct hdr) == 40, "a scan reads 40 bytes a slot");

struct strs {
	atomic_uint_least64_t w[3][HL_RETRO_WORDS]; /* camera, uuid, site: NUL-padded */
};

struct hl_retro {
	/* the only line every keeper writes */
	_Alignas(HL_CACHE_LINE) atomic_uint_least64_t cursor;
	_Alignas(HL_CACHE_LINE) int64_t window_us;
	size_t n;
	struct hdr *hdr;
	struct strs *str;
};

int hotlist__retro_create(struct hl_retro **out, int64_t window_us, size_t max_reads,
			  const struct hotlist_allocator *a)
{
	struct hl_retro *r = hotlist__zalloc(a, sizeof(*r), HL_CACHE_LINE);
	if (!r)
		return HOTLIST_ENOMEM;
	r->window_us = window_us;
	r->n = max_reads;
	r->hdr = hotlist__zalloc(a, max_reads * sizeof(struct hdr), HL_CACHE_LINE);
	r->str = hotlist__zalloc(a, max_reads * sizeof(struct strs), HL_CACHE_LINE);
	if (!r->hdr || !r->str) {
		hotlist__retro_destroy(r, a);
		return HOTLIST_ENOMEM;
	}
	atomic_init(&r->cursor, 0);
	*out = r;
	return 0;
}

void hotlist__retro_destroy(struct hl_retro *r, const struct hotlist_allocator *a)
{
	if (!r)
		return;
	if (r->hdr) {
		hotlist__wipe(r->hdr, r->n * sizeof(struct hdr));
		hotlist__free(a, r->hdr, r->n * sizeof(struct hdr));
	}
	if (r->str) {
		hotlist__wipe(r->str, r->n * sizeof(struct strs));
		hotlist__free(a, r->str, r->n * sizeof(struct strs));
	}
	hotlist__free(a, r, sizeof(*r));
}

/* hdr.hi: key.hi in bits 0..31, the country in 32..47, and from
 * HL_HI_WORDS on, 4 bits per string (camera, uuid, site): the words of it
 * that may be nonzero. A keep writes only those of the new read and
 * zeroes the rest of the previous one's: a read with a short camera id and
 * no uuid or site touches one cache line of strings, not three, and no
 * byte of the previous read remains. */
#define HL_HI_WORDS 48
_Static_assert(HL_RETRO_WORDS < 16, "a string's word count fits 4 bits");

static unsigned words_of(uint64_t hi, int j)
{
	return (unsigned)(hi >> (HL_HI_WORDS + 4 * j)) & 15u;
}

/* Store s (NULL = "") NUL-padded into w, cut at HL_RETRO_STR - 1 bytes,
 * over the `old` words of the previous string; the words it now uses. */
static unsigned put_str(atomic_uint_least64_t *w, const char *s, unsigned old)
{
	size_t len = s ? strnlen(s, HL_RETRO_STR - 1) : 0;
	unsigned used = (unsigned)((len + 7) / 8), n = used > old ? used : old;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;
		size_t at = i * 8;
		if (at < len)
			memcpy(&v, s + at, len - at < 8 ? len - at : 8);
		atomic_store_explicit(&w[i], v, memory_order_release); /* ordering a. */
	}
	return used;
}

static void get_str(atomic_uint_least64_t *w, unsigned n, char *out)
{
	memset(out, 0, HL_RETRO_STR);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = atomic_load_explicit(&w[i], memory_order_acquire); /* ordering b. */
		memcpy(out + i * 8, &v, 8);
	}
	out[HL_RETRO_STR - 1] = '\0';
}

/* Take slot h's lock (even -> odd); the even value it had, or 1 if busy. */
static uint64_t lock_slot(struct hdr *h)
{
	uint64_t s = atomic_load_explicit(&h->seq, memory_order_relaxed);
	if (s & 1)
		return 1;
	/* acquire: pairs with the release of the slot's previous writer, whose
	 * word counts (hdr.hi) the new one reads; the release stores of the
	 * fields order the odd seq before them (a.) */
	if (!atomic_compare_exchange_strong_explicit(&h->seq, &s, s + 1, memory_order_acquire,
						     memory_order_relaxed))
		return 1;
	return s;
}

bool hotlist__retro_keep(struct hl_retro *r, const struct hl_key *k, hl_country c,
			 const struct hotlist_read *read, int64_t now_us, uint64_t gen)
{
	int64_t ts = read->ts_us ? read->ts_us : now_us;
	if (now_us - ts > r->window_us)
		return false; /* already older than the window: not kept */
	/* relaxed: hands out slots only */
	uint64_t i = atomic_fetch_add_explicit(&r->cursor, 1, memory_order_relaxed) % r->n;
	struct hdr *h = &r->hdr[i];
	uint64_t s = lock_slot(h);
	if (s & 1)
		return false;
	/* relaxed: this thread holds the slot (the exchange's acquire) */
	uint64_t old = atomic_load_explicit(&h->hi, memory_order_relaxed);
	struct strs *st = &r->str[i];
	const char *str[3] = { read->camera, read->uuid, read->site };
	uint64_t hi = k->hi | (uint64_t)c << 32;
	for (int j = 0; j < 3; j++)
		hi |= (uint64_t)put_str(st->w[j], str[j], words_of(old, j))
		      << (HL_HI_WORDS + 4 * j);
	/* release: a. */
	atomic_store_explicit(&h->gen, gen, memory_order_release);
	atomic_store_explicit(&h->ts, ts, memory_order_release);
	atomic_store_explicit(&h->lo, k->lo, memory_order_release);
	atomic_store_explicit(&h->hi, hi, memory_order_release);
	/* release: publishes the fields with the even seq (a.) */
	atomic_store_explicit(&h->seq, s + 2, memory_order_release);
	return true;
}

/* Zero slot i if it is still the read (seq s) that left the window. */
static void wipe(struct hl_retro *r, size_t i, uint64_t s)
{
	struct hdr *h = &r->hdr[i];
	/* acquire: as lock_slot */
	if (!atomic_compare_exchange_strong_explicit(&h->seq, &s, s + 1, memory_order_acquire,
						     memory_order_relaxed))
		return; /* rewritten meanwhile */
	uint64_t old = atomic_load_explicit(&h->hi, memory_order_relaxed);
	for (int j = 0; j < 3; j++)
		put_str(r->str[i].w[j], NULL, words_of(old, j));
	/* release: a., as keep */
	atomic_store_explicit(&h->gen, 0, memory_order_release);
	atomic_store_explicit(&h->ts, 0, memory_order_release);
	atomic_store_explicit(&h->lo, 0, memory_order_release);
	atomic_store_explicit(&h->hi, 0, memory_order_release);
	/* stable again, ts 0: skipped like a slot never written; seq keeps
	 * growing, so a scan that copied the expired read sees it changed */
	atomic_store_explicit(&h->seq, s + 2, memory_order_release);
}

/* The header of slot i, if stable: its seq (even, nonzero), else 0. */
static uint64_t read_hdr(struct hdr *h, int64_t *ts, uint64_t *gen, struct hl_key *k, hl_country *c,
			 uint64_t *hi_out)
{
	uint64_t s = atomic_load_explicit(&h->seq, memory_order_acquire); /* pairs with a. */
	if (!s || (s & 1))
		return 0;
	/* acquire: b. */
	*ts = atomic_load_explicit(&h->ts, memory_order_acquire);
	*gen = atomic_load_explicit(&h->gen, memory_order_acquire);
	k->lo = atomic_load_explicit(&h->lo, memory_order_acquire);
	uint64_t hi = atomic_load_explicit(&h->hi, memory_order_acquire);
	k->hi = (uint32_t)hi;
	*c = (hl_country)(hi >> 32);
	*hi_out = hi;
	if (atomic_load_explicit(&h->seq, memory_order_relaxed) != s)
		return 0;
	return *ts ? s : 0; /* ts 0: wiped (a kept read's is never 0) */
}

void hotlist__retro_scan(struct hl_retro *r, int64_t now_us, uint64_t before_gen,
			 hl_retro_want_fn want, hl_retro_visit_fn visit, void *ctx)
{
	for (size_t i = 0; i < r->n; i++) {
		struct hl_retro_read rd;
		uint64_t gen, hi;
		struct hdr *h = &r->hdr[i];
		uint64_t s = read_hdr(h, &rd.ts_us, &gen, &rd.key, &rd.country, &hi);
		if (!s)
			continue;
		if (now_us - rd.ts_us > r->window_us) {
			wipe(r, i, s);
			continue;
		}
		if (gen >= before_gen || !want(ctx, &rd.key))
			continue;
		get_str(r->str[i].w[0], words_of(hi, 0), rd.camera);
		get_str(r->str[i].w[1], words_of(hi, 1), rd.uuid);
		get_str(r->str[i].w[2], words_of(hi, 2), rd.site);
		if (atomic_load_explicit(&h->seq, memory_order_relaxed) != s)
			continue; /* overwritten while copied */
		visit(ctx, &rd);
	}
}

size_t hotlist__retro_count(struct hl_retro *r, int64_t now_us)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		int64_t ts;
		uint64_t gen, hi;
		struct hl_key k;
		hl_country c;
		n += read_hdr(&r->hdr[i], &ts, &gen, &k, &c, &hi) && now_us - ts <= r->window_us;
	}
	return n;
}
