/* SPDX-License-Identifier: MIT */
/*
 * score.c — how likely a fuzzy hit is a misread of its entry rather than a
 * read of another car, and how often a list would alert on innocent reads.
 * Model, parameters and measurements: docs/fuzzy.md, "Score and alert
 * policy".
 *
 * The score is a log-likelihood ratio (natural log) of two explanations of a
 * read r that hit entry e within the budget:
 *   H1  the car is e, and the camera misread it as r;
 *   H0  the car is another one, not on the list (r read right, or misread),
 *       and e is a listed plate that happens to lie within the budget of r.
 * It is a sum of independent terms (naive Bayes), each the log of
 * P(feature | H1) / P(feature | H0), plus the prior log odds:
 *
 *   prior   ln(q / h_t): q = HL_SC_LISTED, the share of passing cars that are
 *           listed; h_t = the share of innocent reads that raise a fuzzy hit
 *           of type t (substitutions only, or with an indel) in this list at
 *           this budget, estimated when the index is built. A dense list
 *           makes every coincidence likelier; indel neighbourhoods are an
 *           order of magnitude denser than substitution ones.
 *   edit    per substitution the weight of its confusion pair (O/0 and 8/B
 *           high, 2/Z and the rare letter pairs low); per indel where it is:
 *           a character written twice (doubled) or dropped at an edge is a
 *           common OCR fault, an extra character inside that repeats nothing
 *           is not.
 *   layout  the read as read fits its country's layouts (plates.c for NL,
 *           BE, FR, DE, LU; for other countries the shapes of the list's own
 *           entries: which positions are letters, per country and length).
 *           A well-formed read is most likely right (a penalty, plus how much
 *           commoner the entry's shape is than the read's); a malformed read
 *           is a misread of something (a bonus), unless one repair makes it
 *           a plate that is not on the list (most likely that plate).
 *   crowd   -ln(neighbours): one of n listed plates within the budget is at
 *           best one of n explanations; a unique neighbour is evidence.
 *   camera  each other OCR candidate of the read that hits the entry too is
 *           support; a hit through candidate i weighs a little less than one
 *           through the plate. (An entry equal to a candidate is an exact hit:
 *           the matcher gives it 100 without asking here.)
 *
 * score = round(100 / (1 + exp(-(LLR + HL_SC_BIAS)))). Every weight is a
 * named constant below with its reason.
 *
 * The model of a list (struct hl_score_model) is built with its fuzzy index
 * and is immutable afterwards: the shapes of its entries (a small open-
 * addressing map, in cache) and, per budget, the estimate: for sampled
 * innocent plates drawn from the list's own layouts, the best LLR per hit
 * type, from which the priors and alerts_at[t] (innocent alerts per 1,000
 * at threshold t) follow; the automatic threshold and the rates reported
 * by hotlist_list_info are lookups in that table.
 *
 * Threads: build and estimate touch only their arguments (run outside the
 * writer lock with the index build); scoring and the lookups are pure and
 * wait-free.
 */
#include "score.h"

#include "alloc.h"
#include "common.h"
#include "fuzzy.h"
#include "list.h"
#include "normalise.h"
#include "plates.h"
#include "table.h"

#include <math.h>
#include <string.h>

/* Prior share of passing cars that are on a hot list: the true-hit rate of
 * a national stolen-vehicle list at a road camera is of the order of 1 in
 * 1,000 reads. */
#define HL_SC_LISTED 1e-3
/* Offset so that 50 is the default threshold: a malformed read with one
 * listed neighbour through a likely confusion alerts on a list of 10^6. */
#define HL_SC_BIAS 3.0
/* Substitution in a confusion class not in the pair table (custom classes). */
#define HL_SC_SUB_OTHER (-1.0)
/* Indels: the camera wrote a character twice (segmentation), dropped one at
 * an edge (plate frame, country band), dropped one inside (thin I, 1), or
 * read one in that repeats nothing (rare: a mark, a screw). */
#define HL_SC_DOUBLED 2.0
#define HL_SC_DROP_EDGE 0.3
#define HL_SC_DROP_RUN 0.5
#define HL_SC_DROP 0.0
#define HL_SC_INSERT_EDGE (-1.0)
#define HL_SC_INSERT (-2.5)
/* An edit the d = 2 DP found (two indels, or a substitution across classes):
 * no position model, each costs this. */
#define HL_SC_EDIT2 (-1.5)
/* Layout of the read as read. */
#define HL_SC_WELL_FORMED (-3.5)
/* The same for a hit by substitution only: a confusion that keeps the plate
 * well-formed (NL sidecodes, German letter/digit counts) is common, and its
 * own prior (HL_T_SUB) already counts how rare such coincidences are. */
#define HL_SC_WELL_FORMED_SUB (-2.0)
#define HL_SC_MALFORMED 2.0
#define HL_SC_RARE_SHAPE (-1.0)
#define HL_SC_REPAIRED_ELSEWHERE (-3.0)
/* A shape is common (a layout of its country) from this share of the
 * country's entries on, rare below, absent at 0. */
#define HL_SC_COMMON_SHARE 0.002
/* Bound of the shape-ratio part of the layout term (ln). */
#define HL_SC_SHAPE_RATIO_MAX 3.0
/* A country with fewer entries than this is judged by the shapes of all. */
#define HL_SC_COUNTRY_MIN 64
/* Weight of ln(neighbours). */
#define HL_SC_CROWD (-1.0)
/* Each other OCR candidate that hits the entry too: independent readings
 * agreeing; the hit came through candidate i: -HL_SC_CAND_RANK i. */
#define HL_SC_CAND_SUPPORT 1.5
#define HL_SC_CAND_RANK 0.3

/* Estimate: innocent plates drawn per index (fewer for small lists), their
 * share with one OCR error, and the tries to draw a plate not on the list. */
#ifndef HL_EST_SAMPLES /* -DHL_EST_SAMPLES=0 measures the build without it */
#define HL_EST_SAMPLES 4000
#endif
#define HL_EST_PER_RUN 4
#define HL_EST_MISREAD 0.03
#define HL_EST_TRIES 8
/* Entries tried per position for a character of the same country, length
 * and kind (letter or digit): 16 finds one for any country with more than
 * a few % of the list. */
#define HL_EST_DONORS 16
#define HL_EST_HITS 64 /* fuzzy hits of one sample kept for scoring */
#define HL_EST_SEED 0x5c0e5c0e5c0e5c0eull

/* Confusion pairs and the log of how much likelier they are in a misread
 * than a coincidence: O/0 and 8/B are the confusions every OCR vendor
 * lists first; 1/I next; 5/S, 0/D, 6/G less; 2/Z and the letter pairs least. */
static const struct {
	char a, b;
	float w;
} pairs[] = { { '0', 'O', 1.0f },  { '8', 'B', 1.0f },	{ '1', 'I', 0.7f },  { '5', 'S', 0.4f },
	      { '0', 'D', 0.2f },  { '6', 'G', 0.0f },	{ '2', 'Z', -0.5f }, { '0', 'Q', -0.7f },
	      { 'O', 'D', -0.7f }, { 'O', 'Q', -1.0f }, { 'D', 'Q', -1.0f } };

#define HL_SC_MODES 3 /* k and d: 0..2 each */

/* Hit types with their own prior: substitutions only, and with an indel
 * (an indel neighbourhood is an order of magnitude denser: (len + 1) x 36
 * insertions against a few in-class substitutions). */
enum { HL_T_SUB, HL_T_INDEL, HL_T__COUNT };

struct est {
	/* per sample and hit type: best LLR without prior and bias; -INFINITY none */
	float *best[HL_T__COUNT];
	uint32_t n, cap, hits, hits_t[HL_T__COUNT];
	float prior[HL_T__COUNT];
	double alerts_at[101]; /* innocent alerts per 1,000 at each threshold */
	bool done;
};

struct hl_score_model {
	uint64_t *keys; /* shape keys, 0 = empty slot */
	uint32_t *counts;
	size_t cap; /* power of two */
	size_t used;
	struct est est[HL_SC_MODES][HL_SC_MODES];
	size_t bytes;
};

/* ---- shapes ----------------------------------------------------------------------- */

/* Country, length and letter positions of a plate: the layout it has. A
 * length field of 31 keys the country's total. */
#define HL_SHAPE_TOTAL 31u

static uint64_t shape_key(hl_country c, const char *p, size_t len)
{
	uint64_t mask = 0;
	for (size_t i = 0; i < len; i++)
		mask |= (uint64_t)(p[i] >= 'A') << i;
	return ((uint64_t)c << 21 | (uint64_t)len << 16 | mask) + 1; /* + 1: never 0 */
}

static uint64_t total_key(hl_country c)
{
	return ((uint64_t)c << 21 | (uint64_t)HL_SHAPE_TOTAL << 16) + 1;
}

static size_t slot_of(const struct hl_score_model *m, uint64_t key)
{
	size_t s = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (m->cap - 1);
	while (m->keys[s] && m->keys[s] != key)
		s = (s + 1) & (m->cap - 1);
	return s;
}

static uint32_t shape_count(const struct hl_score_model *m, uint64_t key)
{
	size_t s = slot_of(m, key);
	return m->keys[s] ? m->counts[s] : 0;
}

static int grow(struct hl_score_model *m, const struct hotlist_allocator *a)
{
	struct hl_score_model n = *m;
	n.cap = m->cap ? 2 * m->cap : 256;
	n.keys = hotlist__zalloc(a, n.cap * sizeof(*n.keys), HL_CACHE_LINE);
	n.counts = hotlist__zalloc(a, n.cap * sizeof(*n.counts), HL_CACHE_LINE);
	if (!n.keys || !n.counts) {
		hotlist__free(a, n.keys, n.cap * sizeof(*n.keys));
		hotlist__free(a, n.counts, n.cap * sizeof(*n.counts));
		return HOTLIST_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t s = slot_of(&n, m->keys[i]);
		n.keys[s] = m->keys[i];
		n.counts[s] = m->counts[i];
	}
	hotlist__free(a, m->keys, m->cap * sizeof(*m->keys));
	hotlist__free(a, m->counts, m->cap * sizeof(*m->counts));
	*m = n;
	return 0;
}

static int shape_add(struct hl_score_model *m, uint64_t key, const struct hotlist_allocator *a)
{
	if (2 * (m->used + 1) > m->cap && grow(m, a))
		return HOTLIST_ENOMEM;
	size_t s = slot_of(m, key);
	if (!m->keys[s]) {
		m->keys[s] = key;
		m->used++;
	}
	m->counts[s]++;
	return 0;
}

int hotlist__score_model_build(struct hl_score_model **out, const struct hl_base *b,
			       const struct hotlist_allocator *a)
{
	char p[HOTLIST_PLATE_MAX + 1];
	struct hl_score_model *m = hotlist__zalloc(a, sizeof(*m), HL_CACHE_LINE);
	int rc = m ? grow(m, a) : HOTLIST_ENOMEM;
	for (uint32_t i = 0; !rc && i < b->n_meta; i++) {
		const struct hl_meta *e = &b->meta[i];
		if (e->flags & HL_M_PATTERN)
			continue;
		size_t len = hotlist__key_unpack(&e->key, p);
		rc = shape_add(m, shape_key(e->country, p, len), a);
		if (!rc && e->country)
			rc = shape_add(m, shape_key(0, p, len), a);
		if (!rc)
			rc = shape_add(m, total_key(e->country), a);
		if (!rc && e->country)
			rc = shape_add(m, total_key(0), a);
	}
	if (rc) {
		hotlist__score_model_free(m, a);
		return rc;
	}
	m->bytes = sizeof(*m) + m->cap * (sizeof(*m->keys) + sizeof(*m->counts));
	*out = m;
	return 0;
}

void hotlist__score_model_free(struct hl_score_model *m, const struct hotlist_allocator *a)
{
	if (!m)
		return;
	for (int k = 0; k < HL_SC_MODES; k++)
		for (int d = 0; d < HL_SC_MODES; d++)
			for (int t = 0; t < HL_T__COUNT; t++)
				hotlist__free(a, m->est[k][d].best[t],
					      m->est[k][d].cap * sizeof(float));
	hotlist__free(a, m->keys, m->cap * sizeof(*m->keys));
	hotlist__free(a, m->counts, m->cap * sizeof(*m->counts));
	hotlist__free(a, m, sizeof(*m));
}

size_t hotlist__score_model_bytes(const struct hl_score_model *m)
{
	return m ? m->bytes : 0;
}

/* Share of country c's entries (or all entries, for a country with few)
 * with the shape of p; -1 when the list tells nothing. */
static double shape_share(const struct hl_score_model *m, hl_country c, const char *p, size_t len)
{
	if (!m)
		return -1;
	uint32_t total = shape_count(m, total_key(c));
	if (total < HL_SC_COUNTRY_MIN) {
		c = 0;
		total = shape_count(m, total_key(0));
	}
	if (!total)
		return -1;
	return (double)shape_count(m, shape_key(c, p, len)) / total;
}

/* ---- the edit -------------------------------------------------------------------------- */

static double pair_w(char a, char b)
{
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if ((pairs[i].a == a && pairs[i].b == b) || (pairs[i].a == b && pairs[i].b == a))
			return pairs[i].w;
	return HL_SC_SUB_OTHER;
}

/* Weights of the substitutions aligning x and y position by position
 * (n chars), HUGE_VAL negative if a pair differs beyond a class. */
static double subs_w(const char *x, const char *y, size_t n)
{
	double w = 0;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			w += pair_w(x[i], y[i]);
	return w;
}

/* The read has an extra character at p (of m). */
static double extra_w(const char *r, size_t m, size_t p)
{
	if ((p > 0 && r[p] == r[p - 1]) || (p + 1 < m && r[p] == r[p + 1]))
		return HL_SC_DOUBLED;
	return p == 0 || p + 1 == m ? HL_SC_INSERT_EDGE : HL_SC_INSERT;
}

/* The read misses entry character p (of n). */
static double missing_w(const char *e, size_t n, size_t p)
{
	if (p == 0 || p + 1 == n)
		return HL_SC_DROP_EDGE;
	if (e[p] == e[p - 1] || e[p] == e[p + 1])
		return HL_SC_DROP_RUN;
	return HL_SC_DROP;
}

/*
 * Best weight of one indel aligning lo (n + 1 chars) with sh (n chars) with
 * `subs` substitutions: every deleted position p of lo whose alignment costs
 * that many, the likeliest. lo_is_read: the extra character is in the read.
 */
static double one_indel_w(const char *skel, const char *lo, const char *sh, size_t n, unsigned subs,
			  bool lo_is_read)
{
	double best = -HUGE_VAL;
	for (size_t p = 0; p <= n; p++) {
		unsigned c = 0;
		for (size_t i = 0; i < n && c <= subs; i++) {
			char x = lo[i < p ? i : i + 1], y = sh[i];
			c += x != y;
			if (x != y &&
			    skel[(unsigned char)x & 0x7f] != skel[(unsigned char)y & 0x7f])
				c = subs + 1;
		}
		if (c != subs)
			continue;
		double w = lo_is_read ? extra_w(lo, n + 1, p) : missing_w(lo, n + 1, p);
		for (size_t i = 0; subs && i < n; i++) {
			char x = lo[i < p ? i : i + 1];
			if (x != sh[i])
				w += pair_w(x, sh[i]);
		}
		if (w > best)
			best = w;
	}
	return best;
}

static double edit_term(const char *skel, const struct hl_score_in *in)
{
	if (in->rlen == in->elen && !in->indels)
		return subs_w(in->read, in->entry, in->rlen);
	if (in->indels == 1 && skel) {
		double w =
			in->rlen > in->elen ?
				one_indel_w(skel, in->read, in->entry, in->elen, in->subs, true) :
				one_indel_w(skel, in->entry, in->read, in->rlen, in->subs, false);
		if (w > -HUGE_VAL)
			return w;
	}
	return HL_SC_EDIT2 * in->indels + HL_SC_SUB_OTHER * in->subs;
}

/* ---- the score ---------------------------------------------------------------------------- */

/*
 * The layout term. A malformed read: HL_SC_MALFORMED (or
 * HL_SC_REPAIRED_ELSEWHERE). A well-formed one: HL_SC_WELL_FORMED, plus
 * how much commoner the entry's shape is than the read's among the list's
 * plates of that country, ln(share(entry) / share(read)) within
 * +-HL_SC_SHAPE_RATIO_MAX: a misread turns a common layout into a rarer one
 * more often than a coincidence lands a common read on a rarer entry.
 * Countries without plates.c rules are judged by the shapes alone: absent
 * is malformed, below HL_SC_COMMON_SHARE rare, else well-formed.
 */
static double layout_term(const struct hl_score_model *m, const struct hl_score_in *in)
{
	if (in->format == 0)
		return in->repaired_elsewhere ? HL_SC_REPAIRED_ELSEWHERE : HL_SC_MALFORMED;
	double sr = shape_share(m, in->country, in->read, in->rlen);
	if (in->format < 0 && sr == 0)
		return HL_SC_MALFORMED;
	if (in->format < 0 && sr < 0)
		return 0; /* no rules, no shapes: no evidence either way */
	double base = in->format > 0 || sr >= HL_SC_COMMON_SHARE ?
			      (in->indels ? HL_SC_WELL_FORMED : HL_SC_WELL_FORMED_SUB) :
			      HL_SC_RARE_SHAPE;
	double se = shape_share(m, in->country, in->entry, in->elen);
	if (sr <= 0 || se <= 0)
		return base;
	double r = log(se / sr);
	r = r > HL_SC_SHAPE_RATIO_MAX  ? HL_SC_SHAPE_RATIO_MAX :
	    r < -HL_SC_SHAPE_RATIO_MAX ? -HL_SC_SHAPE_RATIO_MAX :
					 r;
	return base + r;
}

/* LLR without the prior and the bias. */
static double llr(const struct hl_score_model *m, const struct hl_score_in *in)
{
	double x = edit_term(in->skel, in) + layout_term(m, in);
	if (in->neighbours > 1)
		x += HL_SC_CROWD * log((double)in->neighbours);
	x += HL_SC_CAND_SUPPORT * in->support;
	x -= HL_SC_CAND_RANK * in->candidate;
	return x;
}

static unsigned to_score(double x)
{
	if (x >= 40)
		return 100;
	if (x <= -40)
		return 0;
	return (unsigned)lrint(100.0 / (1.0 + exp(-x)));
}

static float prior_of(const struct hl_score_model *m, unsigned k, unsigned d, unsigned indels)
{
	if (!m || k >= HL_SC_MODES || d >= HL_SC_MODES || !m->est[k][d].done)
		return 0;
	return m->est[k][d].prior[indels ? HL_T_INDEL : HL_T_SUB];
}

unsigned hotlist__score(const struct hl_score_model *m, unsigned k, unsigned d,
			const struct hl_score_in *in)
{
	return to_score(llr(m, in) + prior_of(m, k, d, in->indels) + HL_SC_BIAS);
}

/* ---- the estimate ------------------------------------------------------------------------ */

/*
 * Innocent reads are drawn from the list's own layouts: a random entry
 * gives the country, the length and which positions are letters; every
 * character is then taken from another random entry of that length with a
 * letter (or digit) at that position, so the plate follows the list's
 * layouts and character frequencies but is, in general, not on it (one
 * that is is drawn again). HL_EST_MISREAD of them get one OCR error (a
 * substitution within a class 60 %, a dropped character 20 %, a doubled
 * one 20 %). Each is matched at every budget the index can answer and its
 * hits scored as the matcher would (neighbours, layout, repair).
 */

struct est_hit {
	uint32_t run;
	uint8_t subs, indels;
};

struct est_ctx {
	const struct hl_base *b;
	hl_country country;
	bool cross;
	unsigned n;
	struct est_hit h[HL_EST_HITS];
};

struct est_read {
	char p[HOTLIST_PLATE_MAX + 1];
	size_t len;
	hl_country country;
	int format; /* -2: not computed yet */
	bool elsewhere, repair_hit;
};

static uint64_t est_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool letter(char c)
{
	return c >= 'A';
}

static uint32_t random_plate(const struct hl_base *b, uint64_t *rs, char *out, size_t *len)
{
	for (int t = 0; t < HL_EST_TRIES; t++) {
		uint32_t i = (uint32_t)(est_rand(rs) % b->n_meta);
		if (!(b->meta[i].flags & HL_M_PATTERN)) {
			*len = hotlist__key_unpack(&b->meta[i].key, out);
			return i;
		}
	}
	return HL_TABLE_NONE;
}

static bool listed(const struct hl_base *b, const char *p, size_t len)
{
	struct hl_key k;
	hotlist__key_pack(p, len, &k);
	return hotlist__table_find(b->index, &k) != HL_TABLE_NONE;
}

/* An innocent plate in r; false if none could be drawn. */
static bool draw(const struct hl_base *b, uint64_t *rs, struct est_read *r)
{
	char o[HOTLIST_PLATE_MAX + 1];
	size_t olen;
	for (int t = 0; t < HL_EST_TRIES; t++) {
		uint32_t i = random_plate(b, rs, r->p, &r->len);
		if (i == HL_TABLE_NONE)
			return false;
		r->country = b->meta[i].country;
		for (size_t p = 0; p < r->len; p++) {
			for (int u = 0; u < HL_EST_DONORS; u++) {
				uint32_t j = random_plate(b, rs, o, &olen);
				if (j != HL_TABLE_NONE && olen == r->len &&
				    b->meta[j].country == r->country &&
				    letter(o[p]) == letter(r->p[p])) {
					r->p[p] = o[p];
					break;
				}
			}
		}
		if (!listed(b, r->p, r->len))
			return true;
	}
	return false;
}

/* One OCR error in r (skeleton map skel): 60 % substitution within a class
 * (when the plate has a confusable character), 20 % drop, 20 % double. */
static void misread_one(const char *skel, uint64_t *rs, struct est_read *r)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint64_t x = est_rand(rs) % 10;
	size_t p = (size_t)(est_rand(rs) % r->len);
	if (x < 6) {
		for (size_t t = 0; t < r->len; t++, p = (p + 1) % r->len) {
			char alt[sizeof(alnum)];
			size_t n = 0;
			for (const char *c = alnum; *c; c++)
				if (*c != r->p[p] &&
				    skel[(unsigned char)*c] == skel[(unsigned char)r->p[p]])
					alt[n++] = *c;
			if (n) {
				r->p[p] = alt[est_rand(rs) % n];
				return;
			}
		}
	} else if (x < 8 && r->len > 1) {
		memmove(r->p + p, r->p + p + 1, r->len - p);
		r->len--;
	} else if (r->len < HOTLIST_PLATE_MAX) {
		memmove(r->p + p + 1, r->p + p, r->len - p + 1);
		r->len++;
	}
	r->p[r->len] = '\0';
}

static bool run_country_ok(const struct hl_base *b, uint32_t run, hl_country c, bool cross)
{
	for (uint32_t i = run;; i++) {
		const struct hl_meta *m = &b->meta[i];
		if (!m->country || !c || m->country == c || cross)
			return true;
		if (m->flags & HL_M_LAST)
			return false;
	}
}

static void est_emit(void *ctx, uint32_t run, unsigned subs, unsigned indels)
{
	struct est_ctx *e = ctx;
	if (e->n < HL_EST_HITS && run_country_ok(e->b, run, e->country, e->cross))
		e->h[e->n++] = (struct est_hit){ run, (uint8_t)subs, (uint8_t)indels };
}

/* The layout verdict and repair of r, once. */
static void est_format(const struct hl_base *b, struct est_read *r)
{
	char rep[HOTLIST_PLATE_MAX + 1];
	int did = 0;
	if (r->format != -2)
		return;
	r->format = hotlist__plate_format(r->country, r->p, r->len, rep, &did);
	r->elsewhere = r->repair_hit = false;
	if (r->format == HL_FORMAT_NO && did && strcmp(rep, r->p) != 0) {
		r->repair_hit = listed(b, rep, r->len);
		r->elsewhere = !r->repair_hit;
	}
}

/* Best LLR (without prior and bias) of r's hits at budget (k, d), per hit
 * type, into best[] (-INFINITY: none; INFINITY: a unique repair hits). */
static void est_best(const struct hl_score_model *m, const struct hl_fuzzy *f,
		     const struct hl_base *b, const struct hl_fz_opts *o, struct est_read *r,
		     float best[HL_T__COUNT])
{
	struct est_ctx c = { .b = b, .country = r->country, .cross = o->cross_border };
	char e[HOTLIST_PLATE_MAX + 1];
	best[HL_T_SUB] = best[HL_T_INDEL] = -INFINITY;
	hotlist__fz_match(f, b, o, r->p, r->len, est_emit, &c);
	if (!c.n)
		return;
	est_format(b, r);
	for (unsigned i = 0; i < c.n; i++) {
		struct hl_score_in in = { .skel = o->skel,
					  .read = r->p,
					  .rlen = r->len,
					  .entry = e,
					  .subs = c.h[i].subs,
					  .indels = c.h[i].indels,
					  .country = r->country,
					  .format = r->format,
					  .repaired_elsewhere = r->elsewhere,
					  .neighbours = c.n };
		in.elen = hotlist__key_unpack(&b->meta[c.h[i].run].key, e);
		float x = r->repair_hit ? INFINITY : (float)llr(m, &in);
		int t = in.indels ? HL_T_INDEL : HL_T_SUB;
		if (x > best[t])
			best[t] = x;
	}
}

/* e->alerts_at[t]: samples per 1,000 whose best hit scores t or more. */
static void alerts_table(struct est *e)
{
	uint32_t at[102] = { 0 };
	for (uint32_t i = 0; i < e->n; i++) {
		int best = -1;
		for (int t = 0; t < HL_T__COUNT; t++)
			if (e->best[t][i] > -INFINITY) {
				int sc = (int)to_score((double)e->best[t][i] + e->prior[t] +
						       HL_SC_BIAS);
				best = sc > best ? sc : best;
			}
		if (best >= 0)
			at[best]++;
	}
	for (int t = 100; t >= 0; t--)
		at[t] += at[t + 1];
	for (int t = 0; t <= 100; t++)
		e->alerts_at[t] = 1000.0 * at[t] / e->n;
}

void hotlist__score_estimate(struct hl_score_model *m, const struct hl_fuzzy *f,
			     const struct hl_base *b, const struct hl_fz_opts *o,
			     const struct hotlist_allocator *a)
{
	size_t runs = b->n_keys, n = runs * HL_EST_PER_RUN;
	unsigned maxd = hotlist__fz_index_d(f);
	uint64_t rs = HL_EST_SEED ^ b->n_meta;
	if (n > HL_EST_SAMPLES)
		n = HL_EST_SAMPLES;
	if (!n || !b->n_meta)
		return;
	for (unsigned k = 0; k < HL_SC_MODES; k++) {
		for (unsigned d = 0; d <= maxd && d < HL_SC_MODES; d++) {
			struct est *e = &m->est[k][d];
			if (!k && !d)
				continue;
			for (int t = 0; t < HL_T__COUNT; t++) {
				e->best[t] = hotlist__alloc(a, n * sizeof(float), HL_CACHE_LINE);
				if (!e->best[t])
					return; /* no estimate: rates say -1, no prior */
				e->cap = (uint32_t)n;
				m->bytes += n * sizeof(float);
			}
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct est_read r;
		bool ok = draw(b, &rs, &r);
		if (ok && (double)(est_rand(&rs) >> 11) * 0x1.0p-53 < HL_EST_MISREAD)
			misread_one(o->skel, &rs, &r);
		r.format = -2;
		for (unsigned k = 0; k < HL_SC_MODES; k++) {
			for (unsigned d = 0; d <= maxd && d < HL_SC_MODES; d++) {
				struct est *e = &m->est[k][d];
				struct hl_fz_opts mo = *o;
				float x[HL_T__COUNT] = { -INFINITY, -INFINITY };
				if (!e->best[HL_T_INDEL])
					continue;
				mo.k = (uint8_t)k;
				mo.d = (uint8_t)d;
				if (ok)
					est_best(m, f, b, &mo, &r, x);
				for (int t = 0; t < HL_T__COUNT; t++) {
					e->best[t][e->n] = x[t];
					e->hits_t[t] += x[t] > -INFINITY;
				}
				e->hits += x[HL_T_SUB] > -INFINITY || x[HL_T_INDEL] > -INFINITY;
				e->n++;
			}
		}
	}
	for (unsigned k = 0; k < HL_SC_MODES; k++) {
		for (unsigned d = 0; d < HL_SC_MODES; d++) {
			struct est *e = &m->est[k][d];
			if (!e->best[HL_T_INDEL] || !e->n)
				continue;
			for (int t = 0; t < HL_T__COUNT; t++) {
				double h = (double)e->hits_t[t] / (double)e->n;
				e->prior[t] = (float)log(HL_SC_LISTED /
							 (h > HL_SC_LISTED ? h : HL_SC_LISTED));
			}
			alerts_table(e);
			e->done = true;
		}
	}
}

void hotlist__score_rates(const struct hl_score_model *m, unsigned k, unsigned d,
			  unsigned min_score, double *hits, double *alerts)
{
	*hits = *alerts = -1;
	if (!m || k >= HL_SC_MODES || d >= HL_SC_MODES || !m->est[k][d].done)
		return;
	const struct est *e = &m->est[k][d];
	*hits = 1000.0 * e->hits / e->n;
	*alerts = e->alerts_at[min_score > 100 ? 100 : min_score];
}

unsigned hotlist__score_threshold(const struct hl_score_model *m, const struct hl_fz_opts *o)
{
	if (!o->auto_score || !m || o->k >= HL_SC_MODES || o->d >= HL_SC_MODES ||
	    !m->est[o->k][o->d].done)
		return o->min_score;
	const struct est *e = &m->est[o->k][o->d];
	unsigned t = o->min_score;
	while (t < 100 && e->alerts_at[t] > o->target)
		t++;
	return t;
}

void hotlist__score_info(const struct hl_fuzzy *f, const struct hl_fz_opts *o,
			 struct hotlist_list_info *out)
{
	const struct hl_score_model *m = hotlist__fz_model(f);
	unsigned t = hotlist__score_threshold(m, o);
	double hits;
	for (unsigned k = 0; k < HL_SC_MODES; k++)
		for (unsigned d = 0; d < HL_SC_MODES; d++)
			hotlist__score_rates(m, k, d, t, &hits, &out->mode_alerts_per_1000[k][d]);
	out->innocent_hits_per_1000 = out->innocent_alerts_per_1000 = -1;
	out->min_score = hl_fz_on(o) ? t : 0;
	if (hl_fz_on(o))
		hotlist__score_rates(m, o->k, o->d, t, &out->innocent_hits_per_1000,
				     &out->innocent_alerts_per_1000);
	out->alert_rate_warning = out->innocent_alerts_per_1000 > HOTLIST_ALERT_RATE_WARN;
}
