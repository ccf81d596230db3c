/* SPDX-License-Identifier: MIT */
/*
 * match.c — the read path: normalise a read, look it up in every list of
 * one published state, apply policy (country, validity, suppression,
 * priority order), call back.
 *
 * What a read touches, for a read that hits nothing (99.9 % of them):
 *   - its own plate text (normalised on the stack, packed into a 12-byte key);
 *   - the state pointer and the list headers (hot in every core's cache);
 *   - per list, one 64-byte bucket of the base index (table.c), which is the
 *     one likely cache miss; plus one bucket of the small `adds` index when
 *     the list has pending edits (those stay cached).
 * Only a hit goes on to the entry run (48-byte metas, contiguous), the hide
 * index, the strings, the suppression table and the callback. Nothing is
 * written and nothing of the read is kept when it does not hit (privacy:
 * the counters count, they do not remember).
 *
 * The batch path normalises HL_CHUNK reads, then asks each list's index
 * for all of them at once (hotlist__table_find_bulk hashes and prefetches
 * ahead), so the DRAM misses of a chunk overlap instead of queueing.
 *
 * Priority order: the candidates of one read (all lists) are gathered in a
 * fixed array on the stack, sorted by priority (stable: list order breaks
 * ties), filtered, then called back. If a read has more than HL_MAX_CANDS
 * candidates (many lists listing the same plate many times) they are
 * delivered in groups of HL_MAX_CANDS, each in priority order.
 *
 * Threads: any number, concurrently; never blocks, never allocates, takes
 * no lock. The RCU read-side section spans the callbacks, so the strings
 * handed to them stay valid.
 */
#include "engine.h"

#include <string.h>

#include <xxhash.h>

/* Reads normalised and looked up together by hotlist_match_batch: enough to
 * keep a dozen cache misses in flight per list, small enough for the
 * per-list answers (HOTLIST_LISTS_MAX x HL_CHUNK x 4 bytes) to stay on the
 * stack. */
#define HL_CHUNK 32
/* Candidate hits of one read gathered before they are sorted and called
 * back; more are delivered in further groups. */
#define HL_MAX_CANDS 64

_Thread_local unsigned hotlist__in_callback;

struct cand {
	const struct hl_list *l;
	const struct hl_base *b;
	const struct hl_meta *m;
};

/* A read, normalised. */
struct nread {
	const struct hotlist_read *r;
	struct hl_key key;
	hl_country country;
	char plate[HOTLIST_PLATE_MAX + 1];
};

/* Counters of one call, added to the shared stripes once. */
struct tally {
	uint64_t reads, bad, hits, suppressed, not_valid;
};

uint64_t hotlist__hash_name(const char *name)
{
	return XXH3_64bits(name, strlen(name));
}

static int prepare(const struct hotlist_read *r, struct nread *nr)
{
	int len = hotlist__normalise_plate(r->plate, nr->plate);
	if (HL_UNLIKELY(len < 0))
		return len;
	int rc = hotlist__parse_country(r->country, &nr->country);
	if (HL_UNLIKELY(rc))
		return rc;
	hotlist__key_pack(nr->plate, (size_t)len, &nr->key);
	nr->r = r;
	return 0;
}

/* An entry's identity across reloads: list, plate, country, category. */
static uint64_t entry_id(const struct cand *c)
{
	struct {
		uint64_t lo;
		uint32_t hi, country;
	} k = { c->m->key.lo, c->m->key.hi, c->m->country };
	uint64_t h = XXH3_64bits_withSeed(&k, sizeof(k), c->l->name_hash);
	const char *cat = hl_base_str(c->b, c->m->category_off);
	return XXH3_64bits_withSeed(cat, strlen(cat), h);
}

static void sort_by_priority(struct cand *c, size_t n)
{
	for (size_t i = 1; i < n; i++) { /* insertion sort: n is small, and stable */
		struct cand x = c[i];
		size_t j = i;
		for (; j > 0 && c[j - 1].m->priority > x.m->priority; j--)
			c[j] = c[j - 1];
		c[j] = x;
	}
}

static void fill_hit(struct hotlist_hit *h, const struct nread *nr, const struct cand *c,
		     char *entry_plate)
{
	const struct hl_meta *m = c->m;
	memset(h, 0, sizeof(*h));
	h->read = nr->r;
	h->read_plate = nr->plate;
	hotlist__country_str(nr->country, h->read_country);
	h->list = c->l->name;
	h->list_version = c->l->version;
	h->plate = hl_base_str(c->b, m->plate_off);
	hotlist__key_unpack(&m->key, entry_plate);
	h->entry_plate = entry_plate;
	hotlist__country_str(m->country, h->country);
	h->category = hl_base_str(c->b, m->category_off);
	h->reference = hl_base_str(c->b, m->reference_off);
	h->priority = m->priority;
	h->covert = (m->flags & HL_M_COVERT) != 0;
	h->valid_from_us = m->valid_from_us;
	h->expires_us = m->expires_us;
	h->match = HOTLIST_MATCH_EXACT;
}

struct sink {
	struct hotlist *hl;
	hotlist_hit_fn fn;
	void *user;
	uint64_t t0_ns;
	enum hl_hist hist;
	struct tally *t;
};

/* Policy and callbacks for the gathered candidates of one read. */
static void deliver(const struct sink *s, const struct nread *nr, struct cand *c, size_t n)
{
	struct hotlist *hl = s->hl;
	int64_t ts = nr->r->ts_us ? nr->r->ts_us : hotlist__wall_us();
	/* suppression needs to know the camera: reads without one are never
	 * suppressed (two unknown cameras are not "the same camera") */
	int suppress = hl->cfg.suppress_window_us && nr->r->camera;
	uint64_t camera = suppress ? XXH3_64bits(nr->r->camera, strlen(nr->r->camera)) : 0;
	sort_by_priority(c, n);
	for (size_t i = 0; i < n; i++) {
		const struct hl_meta *m = c[i].m;
		if ((m->valid_from_us && ts < m->valid_from_us) ||
		    (m->expires_us && ts >= m->expires_us)) {
			s->t->not_valid++;
			continue;
		}
		if (suppress && hotlist__suppress_check(hl->sup, entry_id(&c[i]), camera, ts)) {
			s->t->suppressed++;
			continue;
		}
		struct hotlist_hit hit;
		char entry_plate[HOTLIST_PLATE_MAX + 1];
		fill_hit(&hit, nr, &c[i], entry_plate);
		if (s->t0_ns)
			hotlist__stats_latency(hl->stats, s->hist, hotlist__now_ns() - s->t0_ns);
		hotlist__in_callback++;
		s->fn(&hit, s->user);
		hotlist__in_callback--;
		s->t->hits++;
	}
}

/* Add the run of base b starting at i to the candidates (flushing when full). */
static size_t add_run(const struct sink *s, const struct nread *nr, const struct hl_list *l,
		      const struct hl_base *b, uint32_t i, int check_hidden, struct cand *c,
		      size_t n)
{
	for (; i != HL_TABLE_NONE; i++) {
		const struct hl_meta *m = &b->meta[i];
		if ((!m->country || !nr->country || m->country == nr->country) &&
		    !(check_hidden && hotlist__list_hidden(l, m))) {
			if (n == HL_MAX_CANDS) {
				deliver(s, nr, c, n);
				n = 0;
			}
			c[n++] = (struct cand){ l, b, m };
		}
		if (m->flags & HL_M_LAST)
			break;
	}
	return n;
}

/*
 * Gather and deliver the hits of one read in state st. base_idx[li] is the
 * base lookup already done for list li (batch path), or NULL to do it here.
 */
static void match_read(const struct sink *s, const struct hl_state *st, const struct nread *nr,
		       const uint32_t *base_idx, size_t stride)
{
	struct cand c[HL_MAX_CANDS];
	size_t n = 0;
	for (uint32_t li = 0; li < st->n; li++) {
		const struct hl_list *l = st->lists[li];
		uint32_t i = base_idx ? base_idx[li * stride] : hl_base_find(l->base, &nr->key);
		if (i != HL_TABLE_NONE)
			n = add_run(s, nr, l, l->base, i, l->hides != NULL, c, n);
		if (HL_UNLIKELY(l->adds != NULL)) {
			i = hl_base_find(l->adds, &nr->key);
			if (i != HL_TABLE_NONE)
				n = add_run(s, nr, l, l->adds, i, 0, c, n);
		}
	}
	if (n)
		deliver(s, nr, c, n);
}

static void tally_flush(struct hotlist *hl, const struct tally *t)
{
	hotlist__stats_add(hl->stats, HL_C_READS, t->reads);
	if (t->bad)
		hotlist__stats_add(hl->stats, HL_C_BAD_READS, t->bad);
	if (t->hits) {
		hotlist__stats_add(hl->stats, HL_C_HITS, t->hits);
		hotlist__stats_add(hl->stats, HL_C_HITS_EXACT, t->hits);
	}
	if (t->suppressed)
		hotlist__stats_add(hl->stats, HL_C_SUPPRESSED, t->suppressed);
	if (t->not_valid)
		hotlist__stats_add(hl->stats, HL_C_NOT_VALID, t->not_valid);
}

int hotlist__match_one(struct hotlist *hl, const struct hotlist_read *read, uint64_t t0_ns,
		       enum hl_hist h, hotlist_hit_fn on_hit, void *user)
{
	struct tally t = { 0 };
	struct nread nr;
	int rc = prepare(read, &nr);
	if (HL_UNLIKELY(rc)) {
		t.bad = 1;
		tally_flush(hl, &t);
		return rc;
	}
	struct sink s = { hl, on_hit, user, t0_ns, h, &t };
	const struct hl_state *st = hotlist__snap_enter(hl);
	match_read(&s, st, &nr, NULL, 0);
	hotlist__snap_exit();
	t.reads = 1;
	tally_flush(hl, &t);
	return (int)t.hits;
}

int hotlist_match(struct hotlist *hl, const struct hotlist_read *read, hotlist_hit_fn on_hit,
		  void *user)
{
	HL_DEBUG_ASSERT(hl && read && read->plate && on_hit);
	uint64_t t0 = hl->cfg.latency_histogram ? hotlist__now_ns() : 0;
	return hotlist__match_one(hl, read, t0, HL_H_INLINE, on_hit, user);
}

/* One chunk of a batch: normalise, bulk lookups per list, then the rare hits. */
static void match_chunk(const struct sink *s, const struct hl_state *st,
			const struct hotlist_read *reads, size_t n)
{
	struct nread nr[HL_CHUNK];
	struct hl_key keys[HL_CHUNK];
	uint32_t idx[HOTLIST_LISTS_MAX * HL_CHUNK];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (HL_UNLIKELY(prepare(&reads[i], &nr[m]))) {
			s->t->bad++;
			continue;
		}
		keys[m] = nr[m].key;
		m++;
	}
	s->t->reads += m;
	uint32_t any = 0;
	for (uint32_t li = 0; li < st->n; li++) {
		hotlist__table_find_bulk(st->lists[li]->base->index, keys, m, &idx[li * HL_CHUNK]);
		any |= st->lists[li]->adds != NULL;
	}
	for (size_t i = 0; i < m; i++) {
		uint32_t hit = any;
		for (uint32_t li = 0; li < st->n && !hit; li++)
			hit = idx[li * HL_CHUNK + i] != HL_TABLE_NONE;
		if (HL_UNLIKELY(hit))
			match_read(s, st, &nr[i], &idx[i], HL_CHUNK);
	}
}

int hotlist_match_batch(struct hotlist *hl, const struct hotlist_read *reads, size_t n,
			hotlist_hit_fn on_hit, void *user)
{
	HL_DEBUG_ASSERT(hl && (reads || !n) && on_hit);
	struct tally t = { 0 };
	struct sink s = { hl, on_hit, user, 0, HL_H_INLINE, &t };
	if (hl->cfg.latency_histogram)
		s.t0_ns = hotlist__now_ns();
	const struct hl_state *st = hotlist__snap_enter(hl);
	for (size_t i = 0; i < n; i += HL_CHUNK)
		match_chunk(&s, st, reads + i, n - i < HL_CHUNK ? n - i : HL_CHUNK);
	hotlist__snap_exit();
	tally_flush(hl, &t);
	return t.hits > INT32_MAX ? INT32_MAX : (int)t.hits;
}
