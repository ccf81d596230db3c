/* SPDX-License-Identifier: MIT */
/*
 * bench_flood: hash flooding, measured. How much slower are lookups of plates
 * crafted to collide in the exact-match index than lookups of random plates?
 *
 * The attacker knows one seed, S0 (--attack-seed: say, the leaked seed of an
 * earlier snapshot), and the list size n, hence the table's bucket count
 * (table.h's hotlist__table_buckets_for) and its placement: h =
 * XXH3_64bits_withSeed(the 12 key bytes, S0), primary b1 = (h x nbuckets) >>
 * 64, secondary b2 = b1 + 1 + ((h mod 2^32) x (nbuckets - 1)) >> 32. By brute
 * force over valid-looking plates (A-Z0-9, 6 or 8 characters: the random
 * plates are bench_plate()'s 7, so no crafted plate is ever one of them) two
 * attacks are crafted, each a set of listed plates and a pool of unlisted
 * ones for miss reads:
 *   primary  25 % of the list (--primary-share) with b1 in PRIMARY_WINDOW
 *            buckets: ~1000x the normal crowd in 0.1 % of the table. All but
 *            the first few of them overflow to their (random) secondaries.
 *   chain    --chain-keys plates with b1 in a window of M / CHAIN_B1_DIV
 *            buckets (so they overflow) and b2 in a window of M /
 *            CHAIN_B2_DIV buckets (so their overflow chains pile up on one
 *            run of buckets): the worst this table's layout allows.
 * Each attacked list is the random list with its last M plates replaced by
 * the M crafted ones, so sizes are equal and the other plates shared.
 *
 * Three levels, each timed against the all-random list of the same size:
 *   table seed=known   hotlist__table_build() with S0 itself, as if the seed
 *                      had leaked: the build sees a placement past 96 buckets
 *                      and starts again with a fresh random seed
 *                      (reseeds= on its line; table.c, "Reseeding");
 *   table seed=fresh   the same keys, another seed: the table alone, no engine;
 *   engine             hotlist_replace() (which draws a fresh seed per
 *                      snapshot) and hotlist_match_batch(), 64 reads a call:
 *                      what a deployment sees.
 * Table lookups go through hotlist__table_find_bulk() in calls of
 * TABLE_CHUNK keys, as match.c calls it. Read classes: crafted_hit (listed
 * crafted plates), crafted_miss (crafted, not listed), random_hit and
 * random_miss; on the attacked list the random reads show the damage done to
 * everyone else ("collateral"). Every pass checks every answer (table: the
 * value; engine: the number of hits), else check=FAIL and exit status 1.
 *
 * Method: the build and the crafting are outside the timed loops; the
 * passes of one level are interleaved (pass r of every case, then r + 1) so
 * that a slow spell of the machine falls on all alike; each pass follows a
 * warm-up; the median of --reps passes is printed. A pass reads --lookups
 * queries (table) or --e2e-reads (engine), fewer only if a calibration says
 * it would take longer than PASS_BUDGET_MS (a degenerate table can be 1000x
 * slower): lookups= says how many were timed, pool= from how many distinct
 * plates they were drawn. Then one `bench=flood_factor` line per level and
 * attack: ns per lookup of crafted reads / ns per lookup of random reads of
 * the random list drawn from a pool of the same size (a small pool stays in
 * the caches, whatever the hash does), hits and misses apart; collateral:
 * random reads of the attacked list / the same reads of the random list.
 * 1.00 = no effect.
 */
#include "bench_common.h"

#include "alloc.h"
#include "common.h"
#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL /* the crafting loop is ~all hashing */
#include <xxhash.h>

#define TABLE_KEY_BYTES 12 /* lo, hi: what table.c hashes */
/* Candidates generated before any is hashed: XXH3 reads a 12-byte key as
 * bytes 0..7 and 4..11, and hashing a key just stored stalls on store
 * forwarding (table.c measured 11 ns against 3 ns). */
#define CRAFT_BATCH 256

/* Attack "primary": crafted primaries fall in this many buckets. Small
 * against the ~357 k buckets of a 1 M list, yet large enough that 250 k
 * plates are found in seconds (each needs nbuckets / window tries). */
#define PRIMARY_WINDOW 256
/* Attack "chain": windows for M crafted keys. b1 in M / 8 buckets: ~8 extra
 * keys each over the ~2.8 already there, so they overflow; b2 in M / 16:
 * ~16 overflowing keys each, which pile onto one run of chains. The tries
 * per key are nbuckets^2 x 128 / M^2, so more keys are cheaper each. */
#define CHAIN_B1_DIV 8
#define CHAIN_B2_DIV 16
/* Unlisted crafted plates per attack, drawn from for crafted_miss reads: at
 * most a quarter as many as are listed (a chain plate costs ~40 k tries,
 * and every chain miss walks the same run of buckets anyway). */
#define MISS_POOL 65536
#define MISS_POOL_DIV 4
#define MISS_POOL_SMOKE 1024
/* Where the windows start: mid-table, away from the wrap at the end. */
#define WINDOW_AT_PCT 50

#define TABLE_CHUNK 32 /* keys per hotlist__table_find_bulk() call: match.c's HL_CHUNK */
#define E2E_BATCH 64 /* reads per hotlist_match_batch() call: a camera batch */
#define E2E_TS_US 1700000000000000ll /* a fixed capture time: 2023-11-14 */
/* A timed pass stops at about this: only degenerate cases (the chain attack
 * with a known seed) reach it; every other pass reads all its queries, so
 * that cases that are compared touch as many distinct keys. */
#define PASS_BUDGET_MS 1500.0
#define CALIBRATE_N 4096 /* queries timed (after a warm-up) to size a pass */
#define WARMUP_MAX (1u << 18) /* queries of a warm-up pass */
#define PLATE_BUF 16 /* bytes per plate text: HOTLIST_PLATE_MAX + 1 */
#define MAX_CASES (2 + 6 * A__COUNT)
#define MAX_REPS 16

enum attack { A_PRIMARY, A_CHAIN, A__COUNT };
static const char *const attack_name[A__COUNT] = { "primary", "chain" };
enum rclass { R_CRAFTED_HIT, R_CRAFTED_MISS, R_RANDOM_HIT, R_RANDOM_MISS, R__COUNT };
static const char *const rclass_name[R__COUNT] = { "crafted_hit", "crafted_miss", "random_hit",
						   "random_miss" };

struct opts {
	uint64_t entries, lookups, e2e_reads, reps, seed, attack_seed, chain_keys, miss_pool;
	double primary_share;
	bool smoke;
};

/* Queries of one class: keys, their text, the value each must find. */
struct queries {
	size_t n;
	size_t pool; /* distinct plates they are drawn from */
	struct hl_key *k;
	char (*text)[PLATE_BUF];
	uint32_t *want; /* HL_TABLE_NONE for a miss */
	struct hotlist_read *reads;
};

/* A list: n keys, value i for keys[i]; an attacked list has crafted keys
 * at [n - crafted, n). */
struct list {
	const char *name;
	size_t crafted;
	struct hl_key *keys;
	char (*text)[PLATE_BUF];
};

/* One timed case: a list's table or engine, and a query class on it. */
struct fcase {
	const char *list;
	enum rclass rc;
	const struct queries *q;
	const struct hl_table *t; /* table level, or */
	struct hotlist *hl; /* engine level */
	size_t nq; /* queries timed per pass */
	double ns[MAX_REPS];
	double med;
	bool ok;
};

static int failures;

/* ---- crafting --------------------------------------------------------------- */

__extension__ typedef unsigned __int128 u128;

/* An odometer over the plates of one length, packed as hotlist__key_pack
 * packs them: code 1..36 per character, character i at bits 6i of lo. */
struct plate_gen {
	unsigned len;
	unsigned char code[10];
	struct hl_key k;
};

static void gen_init(struct plate_gen *g, unsigned len, struct bench_rng *rng)
{
	memset(g, 0, sizeof(*g)); /* hi and the padding stay 0: 12 bytes are hashed */
	g->len = len;
	for (unsigned i = 0; i < len; i++) {
		g->code[i] = (unsigned char)(1 + bench_rng_below(rng, 36));
		g->k.lo |= (uint64_t)g->code[i] << (6 * i);
	}
}

static void gen_next(struct plate_gen *g)
{
	unsigned i = 0;

	while (g->code[i] == 36) {
		g->code[i] = 1;
		g->k.lo -= (uint64_t)35 << (6 * i);
		if (++i == g->len) {
			fprintf(stderr, "bench_flood: plates of length %u exhausted\n", g->len);
			exit(1);
		}
	}
	g->code[i]++;
	g->k.lo += (uint64_t)1 << (6 * i);
}

/* Where crafted keys must land: b1 in [b1_at, b1_at + b1_w), and b2 in
 * [b2_at, b2_at + b2_w) unless b2_w == 0. */
struct target {
	uint64_t nb, b1_at, b1_w, b2_at, b2_w;
	size_t n; /* keys of the table: for hotlist__table_place_of() */
};

static bool on_target(const struct target *t, uint64_t h)
{
	const uint64_t b1 = (uint64_t)(((u128)h * t->nb) >> 64);
	uint64_t b2;

	if (b1 - t->b1_at >= t->b1_w)
		return false;
	if (t->b2_w == 0)
		return true;
	b2 = b1 + 1 + (((h & UINT32_MAX) * (t->nb - 1)) >> 32);
	if (b2 >= t->nb)
		b2 -= t->nb;
	return b2 - t->b2_at < t->b2_w;
}

/* Keep key (on target) as out[i], text[i]: its text must pack back to it
 * with the library's own hotlist__key_pack(). */
static void keep(const struct hl_key *key, struct hl_key *out, char (*text)[PLATE_BUF], size_t i)
{
	struct hl_key back;
	size_t len = hotlist__key_unpack(key, text[i]);

	hotlist__key_pack(text[i], len, &back);
	if ((len != 6 && len != 8) || !hl_key_eq(&back, key)) {
		fprintf(stderr, "bench_flood: key packing differs from the library's\n");
		exit(1);
	}
	out[i] = *key;
}

/* The crafting loop inlines table.c's placement (a call per candidate would
 * halve its speed); every key it keeps is checked against the library's own
 * hotlist__table_place_of(), so the copy cannot go stale unnoticed. */
static void check_placement(const struct target *t, const struct hl_key *key, uint64_t seed)
{
	uint64_t b1, b2;

	hotlist__table_place_of(t->n, seed, key, &b1, &b2);
	if (b1 - t->b1_at >= t->b1_w || (t->b2_w && b2 - t->b2_at >= t->b2_w)) {
		fprintf(stderr, "bench_flood: placement differs from table.c's\n");
		exit(1);
	}
}

/*
 * Fill out[0..n) with plates on target under seed, from the generators
 * (lengths 6 and 8, alternately), CRAFT_BATCH candidates generated before
 * they are hashed. Returns the number of plates tried.
 */
static uint64_t craft(struct plate_gen gen[2], const struct target *t, uint64_t seed,
		      struct hl_key *out, char (*text)[PLATE_BUF], size_t n)
{
	struct hl_key batch[CRAFT_BATCH];
	uint64_t tried = 0;
	size_t got = 0;

	while (got < n) {
		for (unsigned i = 0; i < CRAFT_BATCH; i++) {
			gen_next(&gen[i & 1]);
			/* Field by field: a 16-byte copy of the key just
			 * updated would stall on store forwarding too. */
			batch[i] = (struct hl_key){ .lo = gen[i & 1].k.lo, .hi = gen[i & 1].k.hi };
		}
		for (unsigned i = 0; i < CRAFT_BATCH && got < n; i++, tried++) {
			if (!on_target(t, XXH3_64bits_withSeed(&batch[i], TABLE_KEY_BYTES, seed)))
				continue;
			check_placement(t, &batch[i], seed);
			keep(&batch[i], out, text, got++);
		}
	}
	return tried;
}

/* The attack's target for a list of n keys, with m crafted keys. */
static struct target target_of(enum attack a, size_t n, size_t m)
{
	struct target t = { .nb = hotlist__table_buckets_for(n), .n = n };
	uint64_t at = t.nb * WINDOW_AT_PCT / 100;

	t.b1_at = at;
	if (a == A_PRIMARY) {
		t.b1_w = PRIMARY_WINDOW;
	} else {
		t.b1_w = m / CHAIN_B1_DIV;
		t.b2_at = at + t.b1_w; /* just past the b1 window */
		t.b2_w = m / CHAIN_B2_DIV;
	}
	t.b1_w = t.b1_w < 1 ? 1 : t.b1_w > t.nb / 4 ? t.nb / 4 : t.b1_w;
	if (a == A_CHAIN)
		t.b2_w = t.b2_w < 1 ? 1 : t.b2_w > t.nb / 4 ? t.nb / 4 : t.b2_w;
	return t;
}

/* ---- lists and queries ------------------------------------------------------ */

static struct list random_list(size_t n, uint64_t seed)
{
	struct list l = { .name = "random",
			  .keys = bench_xmalloc(n * sizeof(*l.keys)),
			  .text = bench_xmalloc(n * PLATE_BUF) };

	for (size_t i = 0; i < n; i++) {
		bench_plate(i, seed, l.text[i]);
		hotlist__key_pack(l.text[i], BENCH_PLATE_LEN, &l.keys[i]);
	}
	return l;
}

/*
 * The attacked list: the random list with its last m keys replaced by m
 * crafted ones, and a pool of crafted keys that are not listed. Prints how
 * much crafting it took.
 */
static struct list attacked_list(enum attack a, const struct list *rnd, size_t n, size_t m,
				 struct plate_gen gen[2], struct queries *pool,
				 const struct opts *o)
{
	struct list l = { .name = attack_name[a],
			  .crafted = m,
			  .keys = bench_xmalloc(n * sizeof(*l.keys)),
			  .text = bench_xmalloc(n * PLATE_BUF) };
	const struct target t = target_of(a, n, m);
	uint64_t t0 = bench_now_ns(), tried;

	memcpy(l.keys, rnd->keys, (n - m) * sizeof(*l.keys));
	memcpy(l.text, rnd->text, (n - m) * PLATE_BUF);
	tried = craft(gen, &t, o->attack_seed, l.keys + (n - m), l.text + (n - m), m);
	pool->n = o->miss_pool < m / MISS_POOL_DIV ? o->miss_pool : m / MISS_POOL_DIV;
	pool->k = bench_xmalloc(pool->n * sizeof(*pool->k));
	pool->text = bench_xmalloc(pool->n * PLATE_BUF);
	tried += craft(gen, &t, o->attack_seed, pool->k, pool->text, pool->n);
	printf("bench=flood_craft attack=%s entries=%zu crafted=%zu miss_pool=%zu nbuckets=%" PRIu64
	       " b1_window=%" PRIu64 " b2_window=%" PRIu64 " tried=%" PRIu64
	       " craft_ms=%.0f mtries_per_s=%.1f\n",
	       attack_name[a], n, m, pool->n, t.nb, t.b1_w, t.b2_w, tried,
	       (double)(bench_now_ns() - t0) / 1e6,
	       (double)tried / ((double)(bench_now_ns() - t0) / 1e3));
	fflush(stdout);
	return l;
}

/* nq queries drawn uniformly from src[from, from + span) (value: index +
 * val_base, or HL_TABLE_NONE when miss), with read structs for the engine. */
static void draw(struct queries *q, size_t nq, const struct hl_key *k,
		 const char (*text)[PLATE_BUF], size_t span, uint64_t val_base, bool miss,
		 uint64_t seed)
{
	struct bench_rng rng;

	bench_rng_init(&rng, seed);
	q->n = nq;
	q->pool = span;
	q->k = bench_xmalloc(nq * sizeof(*q->k));
	q->text = bench_xmalloc(nq * PLATE_BUF);
	q->want = bench_xmalloc(nq * sizeof(*q->want));
	q->reads = bench_xcalloc(nq, sizeof(*q->reads));
	for (size_t i = 0; i < nq; i++) {
		size_t j = (size_t)bench_rng_below(&rng, span);

		q->k[i] = k[j];
		memcpy(q->text[i], text[j], PLATE_BUF);
		q->want[i] = miss ? HL_TABLE_NONE : (uint32_t)(j + val_base);
		q->reads[i] = (struct hotlist_read){ .plate = q->text[i],
						     .camera = "cam-01",
						     .ts_us = E2E_TS_US };
	}
}

/* nq reads of span random plates that no list holds: bench_plate() indexes
 * from BENCH_MISS_BASE, with the lists' plate seed (another seed would be
 * another bijection, which may give listed plates); draw_seed picks them. */
static void random_misses(struct queries *q, size_t nq, size_t span, uint64_t plate_seed,
			  uint64_t draw_seed)
{
	struct bench_rng rng;
	char(*text)[PLATE_BUF] = bench_xmalloc(span * PLATE_BUF);
	struct hl_key *k = bench_xmalloc(span * sizeof(*k));

	bench_rng_init(&rng, draw_seed);
	for (size_t i = 0; i < span; i++) {
		bench_plate(BENCH_MISS_BASE + (bench_rng_next(&rng) & (BENCH_MISS_BASE - 1)),
			    plate_seed, text[i]);
		hotlist__key_pack(text[i], BENCH_PLATE_LEN, &k[i]);
	}
	draw(q, nq, k, (const char(*)[PLATE_BUF])text, span, 0, true, draw_seed + 1);
	free(k);
	free(text);
}

static void queries_free(struct queries *q)
{
	free(q->k);
	free(q->text);
	free(q->want);
	free(q->reads);
	memset(q, 0, sizeof(*q));
}

static void list_free(struct list *l)
{
	free(l->keys);
	free(l->text);
}

/* ---- timed passes ----------------------------------------------------------- */

static void count_hit(const struct hotlist_hit *hit, void *user)
{
	(void)hit;
	++*(uint64_t *)user;
}

/* Look up the first nq queries of c (no check): table or engine. Returns hits
 * (engine) or 0 (table: answers in out). */
static uint64_t lookups(const struct fcase *c, size_t from, size_t nq, uint32_t *out)
{
	uint64_t hits = 0;

	if (c->t) {
		for (size_t i = from; i < from + nq; i += TABLE_CHUNK)
			hotlist__table_find_bulk(
				c->t, c->q->k + i,
				from + nq - i < TABLE_CHUNK ? from + nq - i : TABLE_CHUNK, out + i);
	} else {
		for (size_t i = from; i < from + nq; i += E2E_BATCH)
			hotlist_match_batch(c->hl, c->q->reads + i,
					    from + nq - i < E2E_BATCH ? from + nq - i : E2E_BATCH,
					    count_hit, &hits);
	}
	return hits;
}

/* Did the first nq queries get the right answers? */
static bool answers_ok(const struct fcase *c, size_t nq, uint64_t hits, const uint32_t *out)
{
	if (!c->t)
		return hits == (c->rc == R_CRAFTED_HIT || c->rc == R_RANDOM_HIT ? nq : 0);
	for (size_t i = 0; i < nq; i++)
		if (out[i] != c->q->want[i])
			return false;
	return true;
}

/* ns per lookup of a timed pass over the first nq queries, after a warm-up
 * over the last ones (the previous pass was another case's). */
static double timed_pass(struct fcase *c, size_t nq, uint32_t *out)
{
	size_t nw = nq / 4 + 1 < WARMUP_MAX ? nq / 4 + 1 : WARMUP_MAX;
	uint64_t t0, hits;

	lookups(c, c->q->n - nw, nw, out);
	t0 = bench_now_ns();
	hits = lookups(c, 0, nq, out);
	double ns = (double)(bench_now_ns() - t0) / (double)nq;

	if (!answers_ok(c, nq, hits, out))
		c->ok = false;
	return ns;
}

/* Queries per pass: all of them, or as many as fit PASS_BUDGET_MS. */
static size_t calibrate(struct fcase *c, size_t max, uint32_t *out)
{
	size_t n = CALIBRATE_N < c->q->n ? CALIBRATE_N : c->q->n;
	double ns = timed_pass(c, n, out);
	double fit = PASS_BUDGET_MS * 1e6 / (ns > 0.1 ? ns : 0.1);

	if (fit > (double)max)
		return max;
	return fit < (double)n ? n : (size_t)fit;
}

static double min_of(const double *v, size_t n, bool max)
{
	double r = v[0];

	for (size_t i = 1; i < n; i++)
		r = max ? (v[i] > r ? v[i] : r) : (v[i] < r ? v[i] : r);
	return r;
}

/*
 * Time every case, the repetitions interleaved, and print one line each.
 * level: "table" or "engine"; seed: "known", "fresh" or "per_snapshot".
 */
static void run_cases(struct fcase *cs, size_t nc, const char *level, const char *seed,
		      size_t entries, size_t max_nq, const struct opts *o, uint32_t *out)
{
	for (size_t i = 0; i < nc; i++) {
		cs[i].ok = true;
		cs[i].nq = calibrate(&cs[i], cs[i].q->n < max_nq ? cs[i].q->n : max_nq, out);
	}
	for (unsigned r = 0; r < o->reps; r++)
		for (size_t i = 0; i < nc; i++)
			cs[i].ns[r] = timed_pass(&cs[i], cs[i].nq, out);
	for (size_t i = 0; i < nc; i++) {
		struct fcase *c = &cs[i];
		double lo = min_of(c->ns, o->reps, false), hi = min_of(c->ns, o->reps, true);

		c->med = bench_median(c->ns, o->reps);
		failures += !c->ok;
		printf("bench=flood level=%s seed=%s list=%s reads=%s pool=%zu entries=%zu threads=1 "
		       "lookups=%zu reps=%u ns_per_op=%.2f ns_min=%.2f ns_max=%.2f mops=%.3f "
		       "check=%s\n",
		       level, seed, c->list, rclass_name[c->rc], c->q->pool, entries, c->nq,
		       (unsigned)o->reps, c->med, lo, hi, 1e3 / c->med, c->ok ? "ok" : "FAIL");
	}
	fflush(stdout);
}

/* ---- the levels --------------------------------------------------------------- */

/*
 * The queries. Per attack a: the crafted reads, and random reads of the
 * random list drawn from pools of the same sizes (`sized`): the baseline of
 * the flood factors, since a small pool of keys is faster to look up (it
 * stays in the caches) whatever the hash does. Shared: random reads from
 * pools as large as the list, read on every list (collateral damage).
 */
struct workload {
	struct list lists[1 + A__COUNT];
	struct queries crafted[A__COUNT][2]; /* hit, miss */
	struct queries sized[A__COUNT][2]; /* hit, miss */
	struct queries random[2]; /* hit, miss */
};

/* Cases: [0, 1] random reads of the random list; then for each attack, at
 * 2 + 6a: sized random hit, miss (random list); crafted hit, miss; random
 * hit, miss (attacked list). */
static size_t make_cases(struct fcase *cs, struct workload *w, struct hl_table *const *t,
			 struct hotlist *const *hl)
{
	size_t n = 0;

#define CASE(li, rclass, queries)                            \
	cs[n++] = (struct fcase){ .list = w->lists[li].name, \
				  .rc = (rclass),            \
				  .q = (queries),            \
				  .t = t ? t[li] : NULL,     \
				  .hl = hl ? hl[li] : NULL }
	CASE(0, R_RANDOM_HIT, &w->random[0]);
	CASE(0, R_RANDOM_MISS, &w->random[1]);
	for (int a = 0; a < A__COUNT; a++) {
		CASE(0, R_RANDOM_HIT, &w->sized[a][0]);
		CASE(0, R_RANDOM_MISS, &w->sized[a][1]);
		CASE(1 + a, R_CRAFTED_HIT, &w->crafted[a][0]);
		CASE(1 + a, R_CRAFTED_MISS, &w->crafted[a][1]);
		CASE(1 + a, R_RANDOM_HIT, &w->random[0]);
		CASE(1 + a, R_RANDOM_MISS, &w->random[1]);
	}
#undef CASE
	return n;
}

/* The summary: crafted reads against random reads of the random list from
 * pools of the same size; collateral: random reads of the attacked list
 * against the same reads of the random list. max_probe: table level only. */
static void print_factors(const struct fcase *cs, const char *level, const char *seed,
			  size_t entries, const struct workload *w, const unsigned *max_probe)
{
	for (int a = 0; a < A__COUNT; a++) {
		const struct fcase *c = &cs[2 + 6 * a];

		printf("bench=flood_factor level=%s seed=%s attack=%s entries=%zu crafted=%zu "
		       "hit_factor=%.2f miss_factor=%.2f collateral_hit_factor=%.2f "
		       "collateral_miss_factor=%.2f",
		       level, seed, attack_name[a], entries, w->lists[1 + a].crafted,
		       c[2].med / c[0].med, c[3].med / c[1].med, c[4].med / cs[0].med,
		       c[5].med / cs[1].med);
		if (max_probe)
			printf(" max_probe=%u max_probe_random=%u", max_probe[1 + a], max_probe[0]);
		printf(" check=%s\n", c[2].ok && c[3].ok && c[4].ok && c[5].ok ? "ok" : "FAIL");
	}
	fflush(stdout);
}

/* Build one list's table with seed: its line, with max_probe and whether the
 * bucket count is the one the attacker computed. */
static struct hl_table *build_table(const struct list *l, size_t n, uint64_t seed,
				    const char *seed_name, unsigned *max_probe)
{
	uint32_t *vals = bench_xmalloc(n * sizeof(*vals));
	struct hl_table *t = NULL;
	uint64_t t0;
	int rc;

	for (size_t i = 0; i < n; i++)
		vals[i] = (uint32_t)i;
	t0 = bench_now_ns();
	rc = hotlist__table_build(&t, l->keys, vals, n, seed, hotlist__default_allocator());
	double ms = (double)(bench_now_ns() - t0) / 1e6;

	free(vals);
	if (rc != 0) {
		printf("bench=flood_build level=table seed=%s list=%s entries=%zu check=FAIL "
		       "error=%s\n",
		       seed_name, l->name, n, hotlist_err_name(rc));
		exit(1);
	}
	uint64_t nb = hotlist__table_buckets(t);
	bool nb_ok = nb == hotlist__table_buckets_for(n);

	*max_probe = hotlist__table_max_probe(t);
	failures += !nb_ok;
	printf("bench=flood_build level=table seed=%s list=%s entries=%zu crafted=%zu "
	       "build_ms=%.1f nbuckets=%" PRIu64 " max_probe=%u reseeds=%u check=%s\n",
	       seed_name, l->name, n, l->crafted, ms, nb, *max_probe, hotlist__table_reseeds(t),
	       nb_ok ? "ok" : "FAIL");
	fflush(stdout);
	return t;
}

/* Table level: the three lists built with seed, every case timed. */
static void table_level(struct workload *w, size_t n, uint64_t seed, const char *seed_name,
			const struct opts *o, uint32_t *out)
{
	struct hl_table *t[1 + A__COUNT];
	unsigned max_probe[1 + A__COUNT];
	struct fcase cs[MAX_CASES];
	size_t nc;

	for (int i = 0; i < 1 + A__COUNT; i++)
		t[i] = build_table(&w->lists[i], n, seed, seed_name, &max_probe[i]);
	nc = make_cases(cs, w, t, NULL);
	run_cases(cs, nc, "table", seed_name, n, o->lookups, o, out);
	print_factors(cs, "table", seed_name, n, w, max_probe);
	for (int i = 0; i < 1 + A__COUNT; i++)
		hotlist__table_free(t[i], hotlist__default_allocator());
}

/* An engine holding one list, loaded through hotlist_replace(). */
static struct hotlist *engine_of(const struct list *l, size_t n)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	struct hotlist_entry *e = bench_xcalloc(n, sizeof(*e));
	struct hotlist *hl = bench_engine(0, NULL, NULL); /* reads repeat plates */

	for (size_t i = 0; i < n; i++)
		e[i] = (struct hotlist_entry){ .plate = l->text[i],
					       .category = "stolen vehicle",
					       .priority = 50 };
	uint64_t t0 = bench_now_ns();
	int rc = hotlist_replace(hl, "stolen", e, n, &rep);
	free(e);
	if (rc != 0 || rep.loaded != n) {
		printf("bench=flood_build level=engine list=%s entries=%zu check=FAIL error=%s\n",
		       l->name, n, hotlist_err_name(rc));
		exit(1);
	}
	printf("bench=flood_build level=engine seed=per_snapshot list=%s entries=%zu crafted=%zu "
	       "build_ms=%.1f loaded=%" PRIu64 " check=ok\n",
	       l->name, n, l->crafted, (double)(bench_now_ns() - t0) / 1e6, rep.loaded);
	fflush(stdout);
	return hl;
}

/* Engine level: the three lists, each in its own engine (fresh seeds). */
static void engine_level(struct workload *w, size_t n, const struct opts *o, uint32_t *out)
{
	struct hotlist *hl[1 + A__COUNT];
	struct fcase cs[MAX_CASES];
	size_t nc;

	for (int i = 0; i < 1 + A__COUNT; i++)
		hl[i] = engine_of(&w->lists[i], n);
	nc = make_cases(cs, w, NULL, hl);
	run_cases(cs, nc, "engine", "per_snapshot", n, o->e2e_reads, o, out);
	print_factors(cs, "engine", "per_snapshot", n, w, NULL);
	for (int i = 0; i < 1 + A__COUNT; i++)
		hotlist_destroy(hl[i], NULL);
}

/* ---- main ------------------------------------------------------------------------ */

/* Lists and queries. Random hits are drawn from the keys every list shares
 * (the first n - max crafted), with the same values everywhere. */
static void make_workload(struct workload *w, const struct opts *o)
{
	const size_t n = o->entries, nq = o->lookups > o->e2e_reads ? o->lookups : o->e2e_reads;
	const size_t m[A__COUNT] = { (size_t)((double)n * o->primary_share), o->chain_keys };
	const size_t shared = n - (m[0] > m[1] ? m[0] : m[1]);
	const struct list *rnd = &w->lists[0];
	struct plate_gen gen[2];
	struct queries pool;
	struct bench_rng rng;

	bench_rng_init(&rng, o->seed ^ 0xf100d);
	gen_init(&gen[0], 6, &rng);
	gen_init(&gen[1], 8, &rng);
	w->lists[0] = random_list(n, o->seed);
	for (int a = 0; a < A__COUNT; a++) {
		struct list *l = &w->lists[1 + a];
		const uint64_t s = o->seed + 16 * (uint64_t)a;

		*l = attacked_list((enum attack)a, rnd, n, m[a], gen, &pool, o);
		draw(&w->crafted[a][0], nq, l->keys + (n - m[a]),
		     (const char(*)[PLATE_BUF])l->text + (n - m[a]), m[a], n - m[a], false, s + 1);
		draw(&w->crafted[a][1], nq, pool.k, (const char(*)[PLATE_BUF])pool.text, pool.n, 0,
		     true, s + 2);
		/* From the same positions as the crafted plates: the build places
		 * keys in input order, so the last ones overflow more often. */
		draw(&w->sized[a][0], nq, rnd->keys + (n - m[a]),
		     (const char(*)[PLATE_BUF])rnd->text + (n - m[a]), m[a], n - m[a], false,
		     s + 3);
		random_misses(&w->sized[a][1], nq, pool.n, o->seed, s + 4);
		free(pool.k);
		free(pool.text);
	}
	draw(&w->random[0], nq, rnd->keys, (const char(*)[PLATE_BUF])rnd->text, shared, 0, false,
	     o->seed + 97);
	random_misses(&w->random[1], nq, nq, o->seed, o->seed + 98);
}

static void workload_free(struct workload *w)
{
	for (int i = 0; i < 1 + A__COUNT; i++)
		list_free(&w->lists[i]);
	for (int a = 0; a < A__COUNT; a++)
		for (int i = 0; i < 2; i++) {
			queries_free(&w->crafted[a][i]);
			queries_free(&w->sized[a][i]);
		}
	queries_free(&w->random[0]);
	queries_free(&w->random[1]);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const char usage[] =
		"[--smoke] [--entries N] [--primary-share F] [--chain-keys N] [--lookups N] "
		"[--e2e-reads N] "
		"[--reps N] [--seed N] [--attack-seed N]";

	*o = (struct opts){ .entries = 1000000,
			    .lookups = 1000000,
			    .e2e_reads = 500000,
			    .reps = BENCH_REPS_DEFAULT,
			    .seed = BENCH_SEED_DEFAULT,
			    .attack_seed = 0x5eedf100d0ull,
			    .chain_keys = 16384,
			    .miss_pool = MISS_POOL,
			    .primary_share = 0.25 };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			o->smoke = true;
			o->entries = 20000;
			o->lookups = 20000;
			o->e2e_reads = 20000;
			o->chain_keys = 1024;
			o->miss_pool = MISS_POOL_SMOKE;
		} else if (!bench_opt_u64(argc, argv, &i, "--entries", &o->entries) &&
			   !bench_opt_double(argc, argv, &i, "--primary-share",
					     &o->primary_share) &&
			   !bench_opt_u64(argc, argv, &i, "--chain-keys", &o->chain_keys) &&
			   !bench_opt_u64(argc, argv, &i, "--lookups", &o->lookups) &&
			   !bench_opt_u64(argc, argv, &i, "--e2e-reads", &o->e2e_reads) &&
			   !bench_opt_u64(argc, argv, &i, "--reps", &o->reps) &&
			   !bench_opt_u64(argc, argv, &i, "--seed", &o->seed) &&
			   !bench_opt_u64(argc, argv, &i, "--attack-seed", &o->attack_seed)) {
			bench_bad_option(argv[0], argv[i], usage);
		}
	}
	size_t crafted = (size_t)((double)o->entries * o->primary_share);

	if (o->reps < 1 || o->reps > MAX_REPS || o->lookups < CALIBRATE_N ||
	    o->e2e_reads < CALIBRATE_N || o->entries < 1000 || o->entries > UINT32_MAX / 2 ||
	    !(o->primary_share > 0) || crafted >= o->entries || o->chain_keys < CHAIN_B2_DIV ||
	    o->chain_keys >= o->entries) {
		fprintf(stderr,
			"%s: need 1 <= --reps <= %d, --lookups and --e2e-reads >= %d, 1000 <= --entries < 2^31, "
			"0 < --primary-share x entries < entries, %d <= --chain-keys < entries\n",
			argv[0], MAX_REPS, CALIBRATE_N, CHAIN_B2_DIV);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct workload w;
	uint32_t *out;

	parse(argc, argv, &o);
	bench_header("flood");
	printf("# attack_seed=%#" PRIx64 " primary_window=%d chain_b1=keys/%d chain_b2=keys/%d "
	       "table_chunk=%d e2e_batch=%d pass_budget_ms=%.0f\n",
	       o.attack_seed, PRIMARY_WINDOW, CHAIN_B1_DIV, CHAIN_B2_DIV, TABLE_CHUNK, E2E_BATCH,
	       PASS_BUDGET_MS);
	make_workload(&w, &o);
	out = bench_xmalloc((o.lookups > o.e2e_reads ? o.lookups : o.e2e_reads) * sizeof(*out));
	table_level(&w, o.entries, o.attack_seed, "known", &o, out);
	/* Any other seed: what the engine draws for each snapshot. */
	table_level(&w, o.entries, o.attack_seed ^ BENCH_SEED_DEFAULT * 0x9e3779b97f4a7c15ull,
		    "fresh", &o, out);
	engine_level(&w, o.entries, &o, out);
	free(out);
	workload_free(&w);
	if (failures)
		printf("# check=FAIL %d failed checks\n", failures);
	return failures ? 1 : 0;
}
