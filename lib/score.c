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
 *           a plate that is not on the list (most likely that plate; with
 *           the population term that plate is weighed in Z0 instead, by
 *           how plausible a plate of the list's it is).
 *   crowd   -ln(neighbours): one of n listed plates within the budget is at
 *           best one of n explanations; a unique neighbour is evidence.
 *   camera  each other OCR candidate of the read that hits the entry too is
 *           support; a hit through candidate i weighs a little less than one
 *           through the plate. (An entry equal to a candidate is an exact hit:
 *           the matcher gives it 100 without asking here.)
 *
 * A list of HL_SC_POP_MIN plates or more replaces the prior and the crowd
 * by the population term: with P(p) the list's own model of a passing
 * car's plate (its shape's share times each character's share at its
 * position among the plates of that shape, the first two characters as a
 * pair) and Z0(r) the sum, over the plates p one OCR error from r (r
 * itself included, the listed entry left out: it is no innocent car's
 * plate), of P(p) P(r | p), a substitution of c by x in P(r | p) weighed
 * by x's share of c's partners (sub_rate),
 *   pop     ln(q / N) + ln P(r | e) - ln Z0(r): the log posterior odds of
 *           the listed car; the layout term is kept at HL_SC_W_LAYOUT.
 * Every hit type but substitutions (dropped, extra character) has an
 * offset calibrated per list at build.
 *
 * score = round(100 / (1 + exp(-(LLR + offset + HL_SC_BIAS)))). Every weight
 * is a named constant below with its reason.
 *
 * The model of a list (struct hl_score_model) is built with its fuzzy index
 * and is immutable afterwards: the shapes of its entries (a small open-
 * addressing map, in cache) and, per budget, the estimate: for sampled
 * innocent plates drawn from the list's own layouts, the best LLR per hit
 * type, from which the priors and alerts_at[t] (innocent alerts per 1,000
 * at threshold t) and bound_at[t] (that plus HL_EST_MARGIN_Z standard
 * errors) follow; the automatic threshold (on bound_at) and the rates
 * reported by hotlist_list_info (alerts_at) are lookups in those tables.
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
#include "logodds.h"
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
/* With the population term, the repair is weighed inside Z0 instead (the
 * repaired plate's plausibility under the list's shares, times its swaps'
 * substitution rates) and the read counts as malformed: the flat penalty
 * counted the repair twice (Z0 already sums the plates one substitution
 * from the read) and ignored whether the repaired plate is one the country
 * issues. Fifth round; 0 measures the rule before it. */
#ifndef HL_SC_REPAIR_IN_Z0
#define HL_SC_REPAIR_IN_Z0 1
#endif
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

/* Population model (the H0 side of the score): the error model of a read
 * (share of reads with one substitution within a class, one dropped
 * character, one extra character; the estimate's mix below), the unit of
 * sub_rate (a certain partner is HL_SC_SUB_NORM, so that ln sub_rate and
 * the edit term's pair weights share a scale; until the sixth round exp(w)
 * summed over a character's partners was taken to be about this), the
 * smoothing of character shares and of absent shapes. */
#define HL_SC_ERR_SUB 0.018
#define HL_SC_ERR_DROP 0.006
#define HL_SC_ERR_EXTRA 0.006
#define HL_SC_SUB_NORM 3.0
/* The population likelihood of a substitution, P(read x | plate char c) =
 * the rate per position x exp(w(c, x)) / the sum of exp(w(c, y)) over c's
 * partners y: a pair's weight says which partner a misread c becomes, not
 * how often c is misread (no source gives per-character rates; the
 * reference table lists pairs). Before the sixth round the partner's
 * exp(w) was divided by HL_SC_SUB_NORM for every c, which made a 0 (three
 * partners, sum 4.4) look 7 times likelier to be misread than a 2 (one
 * partner, Z: 0.6), and a 2 -> Z misread of a listed plate 5 times less
 * likely than it is once a 2 is misread. 0 measures the model before. */
#ifndef HL_SC_SUB_PER_CHAR
#define HL_SC_SUB_PER_CHAR 1
#endif
#define HL_SC_CHAR_ALPHA 1.0
/* The first two characters of a plate are modelled as a pair per shape
 * (pair_share; sixth round): the district codes of DE and PL, the prefix
 * of a BE plate. Before, each character's share was independent of the
 * other's, which made the innocent plates of a real district (DE "UN":
 * U at 0 is nearly always followed by N) many times less plausible than
 * the list says. The smoothing
 * towards the independent product weighs as HL_SC_PAIR_ALPHA plates. 0
 * measures the model before. */
#ifndef HL_SC_PAIR
#define HL_SC_PAIR 1
#endif
#define HL_SC_PAIR_ALPHA 10.0
#define HL_SC_SHAPE_ALPHA 0.5
/* Plates a list needs for its shares to say anything (fewer: the score is
 * the model without the population term, edit + layout + crowd + prior). */
#define HL_SC_POP_MIN 1000
/* With the population term: weight of the layout term (the population
 * model says how plausible the read and its neighbours are by the list's
 * character shares per shape; the country rules of plates.c, which know
 * the joint structure a product of shares does not, still add evidence:
 * half weight fitted on the training workload), weight of ln(neighbours)
 * (the population sum counts the plausible plates near the read; the
 * listed ones add nothing the sum has not: 0 fitted) and the offset that
 * puts the default threshold where the automatic policy can spend its
 * budget (fitted; the population LLR is the log posterior odds of the
 * listed car at q, so 50 sits near odds of 1 : e^9). 8.0 until the fifth
 * round put the automatic threshold of a 10^6 list at 90-98, where the
 * logistic is flat and one point of score moved the innocent alerts by up
 * to 0.3 per 1,000; at 6.0 it sits near 55-60, ~0.08 per point. */
#define HL_SC_W_LAYOUT 0.5
#define HL_SC_CROWD_POP 0.0
#ifndef HL_SC_POP_BIAS
#define HL_SC_POP_BIAS 6.0
#endif

/* Estimate: innocent plates drawn per index (fewer for small lists), their
 * share with one OCR error, and the tries to draw a plate not on the list. */
#ifndef HL_EST_SAMPLES /* -DHL_EST_SAMPLES=0 measures the build without it */
#define HL_EST_SAMPLES 64000
#endif
#define HL_EST_PER_RUN 4
#define HL_EST_MISREAD 0.03
/* Misread samples drawn per plate read right (stratified: the misreads,
 * 3 % of reads, carry most of the innocent alerts of a dense list; each
 * stratum is weighted by its share) */
#define HL_EST_MISREAD_PER_CLEAN 0.25
#define HL_EST_TRIES 8
#define HL_EST_HITS 64 /* fuzzy hits of one sample kept for scoring */
/* A sample whose read the country rules repair to another plate is also
 * matched as repaired, as the matcher does (lists with repair on): an entry
 * both hit has the repaired variant as support (+HL_SC_CAND_SUPPORT, match.c
 * add_cand), an entry only the repaired plate hits is scored as its hit.
 * Seventh round; 0 measures the estimate before, which matched the read
 * alone and so scored those hits 1.5 lower than the matcher does. */
#ifndef HL_EST_REPAIR_VARIANT
#define HL_EST_REPAIR_VARIANT 1
#endif
#define HL_EST_SEED 0x5c0e5c0e5c0e5c0eull
/* Calibration of the type offsets: misreads of listed plates simulated per
 * kind (substitution; indel: a drop or a doubled character in turn), the
 * offsets tried per type (ln units, HL_CAL_LO + i x HL_CAL_STEP) and the
 * share of substitutions in the error model (the estimate's: 60 %; drops
 * and extra characters 20 % each). */
#define HL_CAL_TRUE 1000
#define HL_CAL_STEPS 13
#define HL_CAL_LO (-3.0)
#define HL_CAL_STEP 0.5
#define HL_CAL_W_SUB 0.6
/* The automatic threshold keeps the estimate plus HL_EST_MARGIN_Z of its
 * standard errors within the target (docs/fuzzy.md, "Margin"): the
 * estimate counts the list's own alerting plates, tens of them at the
 * thresholds it picks, and errs by their sampling noise either way. (1,
 * the smallest within the target on training once the estimate scored as
 * the matcher does, was measured in the seventh round and not kept: the
 * held-out workload's standard run alerted 1.01 per 1,000.) */
#ifndef HL_EST_MARGIN_Z
#define HL_EST_MARGIN_Z 2.0
#endif

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
#define HL_SC_ALNUM 36 /* 0-9 A-Z */

/* Hit types with their own prior: substitutions only, and with an indel
 * (an indel neighbourhood is an order of magnitude denser: (len + 1) x 36
 * insertions against a few in-class substitutions). */
enum { HL_T_SUB, HL_T_DROP, HL_T_EXTRA, HL_T__COUNT };
#define HL_T_LAST HL_T_EXTRA /* allocated last: its array says the estimate is there */

/* The hit type of a hit with this cost and these lengths. */
static int hit_type(unsigned indels, size_t rlen, size_t elen)
{
	return !indels ? HL_T_SUB : rlen > elen ? HL_T_EXTRA : HL_T_DROP;
}

struct est {
	/* per sample and hit type: best LLR without prior and bias; -INFINITY none */
	float *best[HL_T__COUNT];
	uint32_t n, cap, nc; /* samples; the first nc read right, the others misread */
	/* samples per listed plate in each stratum, at least 1 (a plate drawn
	 * twice read right alerts twice: its count is one plate's evidence) */
	double rep_c, rep_m;
	double hits, hits_t[HL_T__COUNT]; /* weighted shares with a hit */
	float prior[HL_T__COUNT];
	/* per hit type: LLRs (without prior and bias) of the true entry of
	 * simulated misreads of listed plates, -INFINITY missed; and the offset
	 * the calibration chose (0 for substitutions) */
	float *truth[HL_T__COUNT];
	uint32_t tn[HL_T__COUNT], tcap;
	float offset[HL_T__COUNT];
	double alerts_at[101]; /* innocent alerts per 1,000 at each threshold */
	double bound_at[101]; /* alerts_at plus HL_EST_MARGIN_Z standard errors */
	bool done;
};

struct hl_score_model {
	uint64_t *keys; /* shape keys, 0 = empty slot */
	uint32_t *counts;
	size_t cap; /* power of two */
	size_t used;
	/* population model: per shape slot, 1 + the index of its character
	 * table in chars (0: a total key); chars[ix][pos][c] = P(character c at
	 * pos | shape), smoothed (HL_SC_CHAR_ALPHA) */
	uint32_t *ix;
	float (*chars)[HOTLIST_PLATE_MAX][HL_SC_ALNUM];
	/* pairs[ix][a][b]: plates of the shape whose first two characters are
	 * a, b (counted, not smoothed; HL_SC_PAIR) */
	float (*pairs)[HL_SC_ALNUM][HL_SC_ALNUM];
	size_t n_shapes;
	double entries; /* plates the shapes were counted from */
	/* sub_rate of every pair of characters under the classes the index
	 * was built with (filled by the estimate; sub_ok false: computed per
	 * call) */
	double sub[HL_SC_ALNUM][HL_SC_ALNUM];
	bool sub_ok;
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

static int char_index(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : -1;
}

static void chars_add(struct hl_score_model *m, uint64_t key, const char *p, size_t len)
{
	uint32_t ix = m->ix[slot_of(m, key)] - 1;
	for (size_t i = 0; i < len; i++) {
		int c = char_index(p[i]);
		if (c >= 0)
			m->chars[ix][i][c] += 1;
	}
	int a = len >= 2 ? char_index(p[0]) : -1, b = len >= 2 ? char_index(p[1]) : -1;
	if (m->pairs && a >= 0 && b >= 0)
		m->pairs[ix][a][b] += 1;
}

/*
 * The population model of m: per shape and position, the share of each
 * character among the list's plates of that shape (counted, then smoothed:
 * (n + HL_SC_CHAR_ALPHA) / (shape count + HL_SC_CHAR_ALPHA x alphabet), the
 * alphabet being the 10 digits or the 26 letters the shape has there).
 */
static int chars_build(struct hl_score_model *m, const struct hl_base *b,
		       const struct hotlist_allocator *a)
{
	char p[HOTLIST_PLATE_MAX + 1];
	m->ix = hotlist__zalloc(a, m->cap * sizeof(*m->ix), HL_CACHE_LINE);
	if (!m->ix)
		return HOTLIST_ENOMEM;
	for (size_t s = 0; s < m->cap; s++)
		if (m->keys[s] && ((m->keys[s] - 1) >> 16 & 31) != HL_SHAPE_TOTAL)
			m->ix[s] = (uint32_t)++m->n_shapes;
	if (!m->n_shapes)
		return 0;
	m->chars = hotlist__zalloc(a, m->n_shapes * sizeof(*m->chars), HL_CACHE_LINE);
	if (!m->chars)
		return HOTLIST_ENOMEM;
	if (HL_SC_PAIR) {
		m->pairs = hotlist__zalloc(a, m->n_shapes * sizeof(*m->pairs), HL_CACHE_LINE);
		if (!m->pairs)
			return HOTLIST_ENOMEM;
	}
	for (uint32_t i = 0; i < b->n_meta; i++) {
		const struct hl_meta *e = &b->meta[i];
		if (e->flags & HL_M_PATTERN)
			continue;
		size_t len = hl_meta_unpack(e, p);
		chars_add(m, shape_key(e->country, p, len), p, len);
		if (e->country)
			chars_add(m, shape_key(0, p, len), p, len);
		m->entries += 1;
	}
	for (size_t s = 0; s < m->cap; s++) {
		if (!m->ix[s])
			continue;
		uint64_t key = m->keys[s] - 1;
		size_t len = key >> 16 & 31;
		for (size_t i = 0; i < len; i++) {
			bool letter = key >> i & 1;
			double den = m->counts[s] + HL_SC_CHAR_ALPHA * (letter ? 26 : 10);
			float *c = m->chars[m->ix[s] - 1][i];
			for (int x = 0; x < HL_SC_ALNUM; x++)
				c[x] = (x >= 10) == letter ?
					       (float)((c[x] + HL_SC_CHAR_ALPHA) / den) :
					       0.0f;
		}
	}
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
		size_t len = hl_meta_unpack(e, p);
		rc = shape_add(m, shape_key(e->country, p, len), a);
		if (!rc && e->country)
			rc = shape_add(m, shape_key(0, p, len), a);
		if (!rc)
			rc = shape_add(m, total_key(e->country), a);
		if (!rc && e->country)
			rc = shape_add(m, total_key(0), a);
	}
	if (!rc)
		rc = chars_build(m, b, a);
	if (rc) {
		hotlist__score_model_free(m, a);
		return rc;
	}
	m->bytes = sizeof(*m) + hotlist__alloc_bytes(m->cap * sizeof(*m->keys)) +
		   hotlist__alloc_bytes(m->cap * sizeof(*m->counts)) +
		   hotlist__alloc_bytes(m->cap * sizeof(*m->ix)) +
		   hotlist__alloc_bytes(m->n_shapes * sizeof(*m->chars)) +
		   (m->pairs ? hotlist__alloc_bytes(m->n_shapes * sizeof(*m->pairs)) : 0);
	*out = m;
	return 0;
}

void hotlist__score_model_free(struct hl_score_model *m, const struct hotlist_allocator *a)
{
	if (!m)
		return;
	for (int k = 0; k < HL_SC_MODES; k++)
		for (int d = 0; d < HL_SC_MODES; d++)
			for (int t = 0; t < HL_T__COUNT; t++) {
				hotlist__free(a, m->est[k][d].best[t],
					      m->est[k][d].cap * sizeof(float));
				hotlist__free(a, m->est[k][d].truth[t],
					      m->est[k][d].tcap * sizeof(float));
			}
	hotlist__free(a, m->chars, m->n_shapes * sizeof(*m->chars));
	hotlist__free(a, m->pairs, m->n_shapes * sizeof(*m->pairs));
	hotlist__free(a, m->ix, m->cap * sizeof(*m->ix));
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

/*
 * P(the camera reads x | it misread plate character c, one substitution
 * within c's class of skel) x HL_SC_SUB_NORM: exp(w(c, x)) over the sum of
 * exp(w(c, y)) over c's partners y (HL_SC_SUB_PER_CHAR), or exp(w(c, x))
 * before the sixth round. The population term's substitution rate per
 * position is this / HL_SC_SUB_NORM x HL_SC_ERR_SUB / len.
 */
static double sub_rate_of(const char *skel, char c, char x)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	double w = exp(pair_w(c, x)), sum = 0;
	if (!HL_SC_SUB_PER_CHAR || !skel || skel[(unsigned char)c] != skel[(unsigned char)x])
		return w; /* across classes (a repair's swap): no partners to share */
	for (const char *y = alnum; *y; y++)
		if (*y != c && skel[(unsigned char)*y] == skel[(unsigned char)c])
			sum += exp(pair_w(c, *y));
	return sum > 0 ? HL_SC_SUB_NORM * w / sum : w;
}

/* sub_rate_of, from m's table when the estimate filled it (the classes of
 * a model are those of its index, and so of every list that scores with
 * it: the table holds for skel). */
static double sub_rate(const struct hl_score_model *m, const char *skel, char c, char x)
{
	int i = char_index(c), j = char_index(x);
	if (m && m->sub_ok && i >= 0 && j >= 0)
		return m->sub[i][j];
	return sub_rate_of(skel, c, x);
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
static double layout_term(const struct hl_score_model *m, const struct hl_score_in *in, bool pop)
{
	/* with the population term the repaired plate is one of Z0's
	 * explanations, weighed by how plausible a plate it is (repair_z) */
	if (in->format == 0)
		return in->repaired_elsewhere && !(pop && HL_SC_REPAIR_IN_Z0) ?
			       HL_SC_REPAIRED_ELSEWHERE :
			       HL_SC_MALFORMED;
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

/* ---- the population term --------------------------------------------------------------- */

/*
 * P(a passing car has plate p) under the list's population model: the
 * share of p's shape among its country's plates (all plates for a country
 * with few) times, per position, the share of p's character there among the
 * plates of that shape. Position gap (< len) is left out of the product
 * (summed over its alphabet: 1); its character only says letter or digit.
 * An absent shape: HL_SC_SHAPE_ALPHA / total, characters uniform. -1 when
 * the list tells nothing.
 */
struct pop_ctx {
	const struct hl_score_model *m;
	hl_country c; /* the country whose shares are used (0: all plates) */
	double total; /* plates of that country */
	const char *self; /* a listed plate left out of the shares (the estimate); NULL none */
	size_t slen;
	uint64_t skey; /* its shape key */
};

/* Whether m has the population term. */
static bool pop_on(const struct hl_score_model *m)
{
	return m && m->chars && m->entries >= HL_SC_POP_MIN;
}

/* The country whose shares judge plates of c: c, or all plates for a
 * country with few; false when the list tells nothing. */
static bool pop_ctx_of(struct pop_ctx *pc, const struct hl_score_model *m, hl_country c,
		       const char *self, size_t slen)
{
	uint32_t total = shape_count(m, total_key(c));
	if (total < HL_SC_COUNTRY_MIN) {
		c = 0;
		total = shape_count(m, total_key(0));
	}
	*pc = (struct pop_ctx){ m, c, total, self, slen, 0 };
	if (self) {
		pc->total -= 1;
		pc->skey = shape_key(c, self, slen);
	}
	return pc->total > 0 && pop_on(m);
}

/*
 * P(the first two characters of p | its shape, slot s, cnt plates): their
 * share among the plates of the shape, smoothed towards f01, the product of
 * their shares one by one, with weight HL_SC_PAIR_ALPHA plates: (n(a, b) +
 * alpha f01) / (cnt + alpha). A district code (DE "UN", PL "WZ") is a pair
 * that the product of the shares per position makes far rarer than it is,
 * and a pair no plate has far commoner. f01 alone when gap is one of the
 * two (the dropped character: only its kind is known) or without pairs.
 */
static double pair_share(const struct pop_ctx *pc, size_t s, const char *p, size_t len, size_t gap,
			 double cnt, double f01)
{
	const struct hl_score_model *m = pc->m;
	int a = len >= 2 ? char_index(p[0]) : -1, b = len >= 2 ? char_index(p[1]) : -1;
	if (!m->pairs || gap < 2 || a < 0 || b < 0)
		return f01;
	double n = m->pairs[m->ix[s] - 1][a][b];
	if (pc->self && shape_key(pc->c, p, len) == pc->skey && p[0] == pc->self[0] &&
	    p[1] == pc->self[1])
		n -= 1;
	return (n + HL_SC_PAIR_ALPHA * f01) / (cnt + HL_SC_PAIR_ALPHA);
}

static double pop(const struct pop_ctx *pc, const char *p, size_t len, size_t gap)
{
	const struct hl_score_model *m = pc->m;
	uint64_t key = shape_key(pc->c, p, len);
	size_t s = slot_of(m, key);
	bool self = pc->self && key == pc->skey; /* the shares without the left-out plate */
	double cnt = m->keys[s] ? (double)m->counts[s] - self : 0, x;
	if (cnt <= 0) {
		x = HL_SC_SHAPE_ALPHA / pc->total;
		for (size_t i = 0; i < len; i++)
			x *= i == gap ? 1.0 : p[i] >= 'A' ? 1.0 / 26 : 0.1;
		return x;
	}
	float(*ch)[HL_SC_ALNUM] = m->chars[m->ix[s] - 1];
	double f01 = 1;
	x = cnt / pc->total;
	for (size_t i = 0; i < len; i++) {
		int k = char_index(p[i]);
		if (i == gap)
			continue;
		double f = k >= 0 ? ch[i][k] : 0.0;
		if (self && k >= 0) {
			double den = m->counts[s] + HL_SC_CHAR_ALPHA * (k >= 10 ? 26 : 10);
			f = (f * den - (p[i] == pc->self[i])) / (den - 1);
		}
		if (i < 2)
			f01 *= f;
		else
			x *= f;
	}
	return x * pair_share(pc, s, p, len, gap, cnt, f01);
}

/* P(the camera dropped character p of a plate of n): the error rate over
 * the positions, times exp(missing_w) without the run case (the dropped
 * character is not known). Constants folded by the compiler. */
static double drop_rate(size_t n, size_t p)
{
	return HL_SC_ERR_DROP / (double)n *
	       (p == 0 || p + 1 == n ? exp(HL_SC_DROP_EDGE) : exp(HL_SC_DROP));
}

/* exp(extra_w(r, m, p)), the constants folded by the compiler. */
static double extra_rate(const char *r, size_t m, size_t p)
{
	if ((p > 0 && r[p] == r[p - 1]) || (p + 1 < m && r[p] == r[p + 1]))
		return exp(HL_SC_DOUBLED);
	return p == 0 || p + 1 == m ? exp(HL_SC_INSERT_EDGE) : exp(HL_SC_INSERT);
}

/*
 * Z0(r): how likely a car not on the list yields read r, summed over the
 * plates it may have (naive error model: none, or one substitution within a
 * class, one dropped character, one extra character, each weighted as the
 * edit term weighs it): P(plate) x P(r | plate). -1: no population model.
 */
/* The first term of z0(r): r is the car's plate, read without error. */
static double z0_first(const struct pop_ctx *pc, const char *r, size_t len)
{
	return pop(pc, r, len, SIZE_MAX) * (1 - HL_SC_ERR_SUB - HL_SC_ERR_DROP - HL_SC_ERR_EXTRA);
}

static double z0(const struct pop_ctx *pc, const char *skel, const char *r, size_t len)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char p[HOTLIST_PLATE_MAX + 2];
	double z = z0_first(pc, r, len);
	memcpy(p, r, len);
	for (size_t i = 0; skel && i < len; i++) {
		char a = r[i];
		for (const char *x = alnum; *x; x++) {
			if (*x == a || skel[(unsigned char)*x] != skel[(unsigned char)a])
				continue;
			p[i] = *x;
			z += pop(pc, p, len, SIZE_MAX) * HL_SC_ERR_SUB *
			     sub_rate(pc->m, skel, *x, a) / (HL_SC_SUB_NORM * (double)len);
		}
		p[i] = a;
	}
	/* the read dropped character i of a plate one longer (a letter or a
	 * digit there, summed over its alphabet) */
	for (size_t i = 0; len < HOTLIST_PLATE_MAX && i <= len; i++) {
		memcpy(p, r, i);
		memcpy(p + i + 1, r + i, len - i);
		double w = drop_rate(len + 1, i);
		p[i] = '0';
		z += w * pop(pc, p, len + 1, i);
		p[i] = 'A';
		z += w * pop(pc, p, len + 1, i);
	}
	/* the read has an extra character i */
	for (size_t i = 0; len > 1 && i < len; i++) {
		memcpy(p, r, i);
		memcpy(p + i, r + i + 1, len - i - 1);
		z += pop(pc, p, len - 1, SIZE_MAX) * HL_SC_ERR_EXTRA * extra_rate(r, len, i) /
		     (double)len;
	}
	return z;
}

/* The part of z0(r) that entry e makes: e is listed, so it is not the plate
 * of an innocent car. */
static double z0_entry(const struct pop_ctx *pc, const char *skel, const char *r, size_t len,
		       const char *e, size_t elen)
{
	double pe = pop(pc, e, elen, SIZE_MAX), x = 0;
	if (elen == len) {
		size_t d = 0, at = 0;
		for (size_t i = 0; i < len; i++)
			if (r[i] != e[i]) {
				d++;
				at = i;
			}
		if (d == 1 && skel && skel[(unsigned char)e[at]] == skel[(unsigned char)r[at]])
			x = HL_SC_ERR_SUB * sub_rate(pc->m, skel, e[at], r[at]) /
			    (HL_SC_SUB_NORM * (double)len);
	} else if (elen == len + 1) {
		for (size_t i = 0; i < elen; i++)
			if (!memcmp(e, r, i) && !memcmp(e + i + 1, r + i, len - i))
				x += drop_rate(elen, i);
	} else if (elen + 1 == len) {
		for (size_t i = 0; i < len; i++)
			if (!memcmp(r, e, i) && !memcmp(r + i + 1, e + i, elen - i))
				x += HL_SC_ERR_EXTRA * extra_rate(r, len, i) / (double)len;
	}
	return pe * x;
}

/*
 * The part of Z0 that the read's unique repair (a malformed read, one plate
 * of its country's layouts after swapping the characters that do not fit
 * their slot; not on the list) adds beyond the single substitutions z0
 * already sums: P(repaired) x P(r | repaired), each swap weighed as a
 * substitution. 0 when the repair is one in-class substitution (counted).
 */
static double repair_z(const struct pop_ctx *pc, const char *skel, const struct hl_score_in *in)
{
	char rep[HOTLIST_PLATE_MAX + 1];
	int did = 0;
	if (!HL_SC_REPAIR_IN_Z0 || in->format != 0 || !in->repaired_elsewhere ||
	    in->rlen > HOTLIST_PLATE_MAX ||
	    hotlist__plate_format(in->country, in->read, in->rlen, rep, &did) != HL_FORMAT_NO ||
	    !did)
		return 0;
	double x = pop(pc, rep, in->rlen, SIZE_MAX);
	size_t n = 0, at = 0;
	for (size_t i = 0; i < in->rlen; i++) {
		if (rep[i] == in->read[i])
			continue;
		n++;
		at = i;
		x *= HL_SC_ERR_SUB * sub_rate(pc->m, skel, rep[i], in->read[i]) /
		     (HL_SC_SUB_NORM * (double)in->rlen);
	}
	if (n == 1 && skel && skel[(unsigned char)rep[at]] == skel[(unsigned char)in->read[at]])
		return 0;
	return n ? x : 0;
}

/* z0 of the read of in without its entry; -1: no population model. The
 * read's own part is kept in in->cache for the next hit of the same read.
 * lower: a lower bound of it instead, unless cached (hotlist__score_upper):
 * z0 is a sum of terms >= 0, the first the read's own plate (no error), so
 * z0 - entry >= that term - entry; halved, which no rounding of the sum
 * reaches. */
static double z0_of(const struct hl_score_model *m, const struct hl_score_in *in, bool lower)
{
	struct pop_ctx pc;
	if (!pop_ctx_of(&pc, m, in->country, in->self, in->slen))
		return -1;
	struct hl_score_cache *c = in->cache;
	double z;
	if (c && c->m == m && c->skel == in->skel && c->read == in->read && c->rlen == in->rlen &&
	    c->country == in->country) {
		z = c->z;
	} else if (lower) {
		z = z0_first(&pc, in->read, in->rlen);
		z = 0.5 * (z - z0_entry(&pc, in->skel, in->read, in->rlen, in->entry, in->elen));
		return z > 1e-300 ? z : 1e-300;
	} else {
		z = z0(&pc, in->skel, in->read, in->rlen) + repair_z(&pc, in->skel, in);
		if (c)
			*c = (struct hl_score_cache){ m,	in->skel,    in->read,
						      in->rlen, in->country, z };
	}
	z -= z0_entry(&pc, in->skel, in->read, in->rlen, in->entry, in->elen);
	return z > 1e-300 ? z : 1e-300; /* cancellation: the entry was all of it */
}

/* ln P(read | entry) of the hit: the error rates of the model above and the
 * edit term's weights. */
static double edit_lik(const struct hl_score_in *in, double edit)
{
	double x = edit;
	if (in->subs)
		x += in->subs * log(HL_SC_ERR_SUB / (HL_SC_SUB_NORM * (double)in->rlen));
	if (in->indels)
		x += in->indels * log((in->rlen > in->elen ? HL_SC_ERR_EXTRA : HL_SC_ERR_DROP) /
				      (double)(in->rlen > in->elen ? in->rlen : in->elen));
	return x;
}

/* ln of what sub_rate changes in P(read | entry) of a substitution hit
 * against the edit term's exp(w) (hits with an indel: 0, the alignment is
 * the edit term's). */
static double sub_lik_adj(const struct hl_score_model *m, const struct hl_score_in *in)
{
	double x = 0;
	if (!HL_SC_SUB_PER_CHAR || !in->subs || in->indels || in->rlen != in->elen)
		return 0;
	for (size_t i = 0; i < in->rlen; i++)
		if (in->read[i] != in->entry[i])
			x += log(sub_rate(m, in->skel, in->entry[i], in->read[i])) -
			     pair_w(in->entry[i], in->read[i]);
	return x;
}

/* LLR without the prior and the bias; upper: an upper bound of it (z0 by
 * its lower bound, z0_of). */
static double llr(const struct hl_score_model *m, const struct hl_score_in *in, bool upper)
{
	double edit = edit_term(in->skel, in);
	double z = m ? z0_of(m, in, upper) : -1;
	double x;
	if (z > 0)
		x = log(HL_SC_LISTED / m->entries) + edit_lik(in, edit) + sub_lik_adj(m, in) -
		    log(z) + HL_SC_W_LAYOUT * layout_term(m, in, true) + HL_SC_POP_BIAS;
	else
		x = edit + layout_term(m, in, false);
	if (in->neighbours > 1)
		x += (z > 0 ? HL_SC_CROWD_POP : HL_SC_CROWD) * log((double)in->neighbours);
	x += HL_SC_CAND_SUPPORT * in->support;
	x -= HL_SC_CAND_RANK * in->candidate;
	return x;
}

static float prior_of(const struct hl_score_model *m, unsigned k, unsigned d,
		      const struct hl_score_in *in)
{
	if (!m || k >= HL_SC_MODES || d >= HL_SC_MODES || !m->est[k][d].done)
		return 0;
	int t = hit_type(in->indels, in->rlen, in->elen);
	return m->est[k][d].prior[t] + m->est[k][d].offset[t];
}

double hotlist__score_llr(const struct hl_score_model *m, const struct hl_score_in *in)
{
	return llr(m, in, false);
}

unsigned hotlist__score(const struct hl_score_model *m, unsigned k, unsigned d,
			const struct hl_score_in *in)
{
	return hl_score_of_logodds(llr(m, in, false) + prior_of(m, k, d, in) + HL_SC_BIAS);
}

unsigned hotlist__score_upper(const struct hl_score_model *m, unsigned k, unsigned d,
			      const struct hl_score_in *in)
{
	return hl_score_of_logodds(llr(m, in, true) + prior_of(m, k, d, in) + HL_SC_BIAS);
}

/* ---- the estimate ------------------------------------------------------------------------ */

/*
 * Innocent reads, leave one out: a random listed plate, matched with its
 * own entries left out (its neighbours among the other entries are those of
 * a plate drawn from the list's distribution, joint structure of the
 * layouts included). Two strata weighted by their share of reads: plates
 * read right, and HL_EST_MISREAD_PER_CLEAN as many with one OCR error (a
 * substitution within a class 60 %, a dropped character 20 %, a doubled
 * one 20 %), which carry most of the alerts of a dense list. Each is
 * matched at every budget the index can answer and its hits scored as the
 * matcher would (neighbours, layout, repair). Simulated misreads of listed
 * plates (HL_CAL_TRUE per hit type) calibrate the type offsets.
 */

struct est_hit {
	uint32_t run;
	uint8_t subs, indels;
	uint8_t rep; /* 1: hit by the repaired plate, not by the read */
	uint8_t support; /* the repaired plate hit it too */
};

struct est_ctx {
	const struct hl_base *b;
	hl_country country;
	bool cross;
	const struct hl_key *self; /* hits of this key are left out; NULL none */
	uint8_t variant; /* 0 the read, 1 its repaired plate (est_emit) */
	unsigned n;
	struct est_hit h[HL_EST_HITS];
};

struct est_read {
	char p[HOTLIST_PLATE_MAX + 1];
	size_t len;
	hl_country country;
	int format; /* -2: not computed yet */
	bool elsewhere, repair_hit;
	bool rep_ok; /* rep is the read repaired, another plate (est_format) */
	int rep_format; /* rep's own layout verdict */
	char rep[HOTLIST_PLATE_MAX + 1];
	bool loo; /* leave the entries of key self out */
	struct hl_key self;
	char orig[HOTLIST_PLATE_MAX + 1]; /* that plate, read right */
	size_t olen;
};

static uint64_t est_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t random_plate(const struct hl_base *b, uint64_t *rs, char *out, size_t *len)
{
	for (int t = 0; t < HL_EST_TRIES; t++) {
		uint32_t i = (uint32_t)(est_rand(rs) % b->n_meta);
		if (!(b->meta[i].flags & HL_M_PATTERN)) {
			*len = hl_meta_unpack(&b->meta[i], out);
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

/* An innocent plate in r: a listed plate, its own entries left out of its
 * matches (leave one out: its neighbours among the other entries are those
 * of a plate drawn from the list's distribution); false if none. */
static bool draw(const struct hl_base *b, uint64_t *rs, struct est_read *r)
{
	uint32_t i = random_plate(b, rs, r->p, &r->len);
	if (i == HL_TABLE_NONE)
		return false;
	r->country = b->meta[i].country;
	hotlist__key_pack(r->p, r->len, &r->self);
	memcpy(r->orig, r->p, r->len + 1);
	r->olen = r->len;
	r->loo = true;
	return true;
}

/* One substitution within a class in r, as the population term's error
 * model has them (sub_rate): a position uniform among those with a
 * partner, the partner by exp(pair weight); false if none has one. */
static bool misread_sub(const char *skel, uint64_t *rs, struct est_read *r)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t at[HOTLIST_PLATE_MAX], n = 0;
	for (size_t i = 0; i < r->len; i++)
		for (const char *c = alnum; *c; c++)
			if (*c != r->p[i] &&
			    skel[(unsigned char)*c] == skel[(unsigned char)r->p[i]]) {
				at[n++] = i;
				break;
			}
	if (!n)
		return false;
	size_t p = at[est_rand(rs) % n];
	double sum = 0, u;
	for (const char *c = alnum; *c; c++)
		if (*c != r->p[p] && skel[(unsigned char)*c] == skel[(unsigned char)r->p[p]])
			sum += exp(pair_w(r->p[p], *c));
	u = (double)(est_rand(rs) >> 11) * 0x1.0p-53 * sum;
	for (const char *c = alnum; *c; c++) {
		if (*c == r->p[p] || skel[(unsigned char)*c] != skel[(unsigned char)r->p[p]])
			continue;
		u -= exp(pair_w(r->p[p], *c));
		if (u < 0 || !c[1]) {
			r->p[p] = *c;
			return true;
		}
	}
	return true;
}

/* One OCR error in r (skeleton map skel) of kind 0 (a substitution within
 * a class, as misread_sub), 1 (a dropped character) or 2 (a doubled one). */
static bool misread_kind(const char *skel, uint64_t *rs, struct est_read *r, int kind)
{
	size_t p = (size_t)(est_rand(rs) % r->len);
	bool done = false;
	if (kind == 0) {
		return misread_sub(skel, rs, r);
	} else if (kind == 1 && r->len > 1) {
		memmove(r->p + p, r->p + p + 1, r->len - p);
		r->len--;
		done = true;
	} else if (kind == 2 && r->len < HOTLIST_PLATE_MAX) {
		memmove(r->p + p + 1, r->p + p, r->len - p + 1);
		r->len++;
		done = true;
	}
	r->p[r->len] = '\0';
	return done;
}

static void misread_one(const char *skel, uint64_t *rs, struct est_read *r)
{
	uint64_t x = est_rand(rs) % 10;
	misread_kind(skel, rs, r, x < 6 ? 0 : x < 8 ? 1 : 2);
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

/* A hit of the variant e->variant, kept as match.c's add_cand keeps it: an
 * entry once, the cheapest way of its first variant (fewest indels, then
 * substitutions), a later variant that hits it too counted as support. */
static void est_emit(void *ctx, uint32_t run, unsigned subs, unsigned indels)
{
	struct est_ctx *e = ctx;
	const struct hl_meta *m = &e->b->meta[run];
	if (e->self && m->key_lo == e->self->lo && m->key_hi == e->self->hi)
		return;
	if (!run_country_ok(e->b, run, e->country, e->cross))
		return;
	for (unsigned i = 0; i < e->n; i++) {
		struct est_hit *h = &e->h[i];
		if (h->run != run)
			continue;
		if (h->rep != e->variant)
			h->support = 1;
		else if (indels < h->indels || (indels == h->indels && subs < h->subs))
			*h = (struct est_hit){ run, (uint8_t)subs, (uint8_t)indels, h->rep,
					       h->support };
		return;
	}
	if (e->n < HL_EST_HITS)
		e->h[e->n++] =
			(struct est_hit){ run, (uint8_t)subs, (uint8_t)indels, e->variant, 0 };
}

/* The layout verdict and repair of r, once. */
static void est_format(const struct hl_base *b, struct est_read *r)
{
	int did = 0;
	if (r->format != -2)
		return;
	r->format = hotlist__plate_format(r->country, r->p, r->len, r->rep, &did);
	r->elsewhere = r->repair_hit = false;
	r->rep_ok = did && strcmp(r->rep, r->p) != 0; /* match.c read_format's rep_ok */
	r->rep_format = r->rep_ok ? hotlist__plate_format(r->country, r->rep, r->len, NULL, NULL) :
				    HL_FORMAT_NO;
	if (r->format == HL_FORMAT_NO && r->rep_ok) {
		struct hl_key k;
		hotlist__key_pack(r->rep, r->len, &k);
		r->repair_hit = listed(b, r->rep, r->len) && !(r->loo && hl_key_eq(&k, &r->self));
		r->elsewhere = !r->repair_hit;
	}
}

/* The hits of r at budget o as the matcher gathers them: the read's, then
 * (HL_EST_REPAIR_VARIANT, a list with repair on) its repaired plate's. */
static void est_gather(const struct hl_fuzzy *f, const struct hl_base *b,
		       const struct hl_fz_opts *o, struct est_read *r, struct est_ctx *c)
{
	hotlist__fz_match(f, b, o, r->p, r->len, est_emit, c);
	if (!HL_EST_REPAIR_VARIANT || !o->repair || !r->country)
		return;
	est_format(b, r);
	if (!r->rep_ok)
		return;
	c->variant = 1;
	hotlist__fz_match(f, b, o, r->rep, r->len, est_emit, c);
	c->variant = 0;
}

/* The scoring input of hit h of r (entry plate e, elen chars): as match.c's
 * score_of has it, the repaired plate's hits with the read repaired and
 * its own layout verdict. */
static struct hl_score_in est_in(const struct hl_fz_opts *o, const struct est_read *r,
				 const struct est_hit *h, const char *e, size_t elen, unsigned nb)
{
	return (struct hl_score_in){ .skel = o->skel,
				     .read = h->rep ? r->rep : r->p,
				     .rlen = r->len,
				     .entry = e,
				     .elen = elen,
				     .subs = h->subs,
				     .indels = h->indels,
				     .country = r->country,
				     .format = h->rep ? r->rep_format : r->format,
				     .repaired_elsewhere = !h->rep && r->elsewhere,
				     .neighbours = nb,
				     .support = h->support,
				     .self = r->loo ? r->orig : NULL,
				     .slen = r->olen };
}

/* Best LLR (without prior and bias) of r's hits at budget (k, d), per hit
 * type, into best[] (-INFINITY: none; INFINITY: a unique repair hits). */
static void est_best(const struct hl_score_model *m, const struct hl_fuzzy *f,
		     const struct hl_base *b, const struct hl_fz_opts *o, struct est_read *r,
		     float best[HL_T__COUNT])
{
	struct est_ctx c = {
		.b = b, .country = r->country, .cross = o->cross_border, .self = &r->self
	};
	char e[HOTLIST_PLATE_MAX + 1];
	for (int t = 0; t < HL_T__COUNT; t++)
		best[t] = -INFINITY;
	est_gather(f, b, o, r, &c);
	if (!c.n)
		return;
	est_format(b, r);
	for (unsigned i = 0; i < c.n; i++) {
		size_t elen = hl_meta_unpack(&b->meta[c.h[i].run], e);
		struct hl_score_in in = est_in(o, r, &c.h[i], e, elen, c.n);
		/* a read equal to a listed plate (a misread landing on one) is an
		 * exact hit: it always alerts, as a unique repair's does */
		bool exact = !in.subs && !in.indels && in.rlen == in.elen;
		float x = r->repair_hit || exact ? INFINITY : (float)llr(m, &in, false);
		int t = hit_type(in.indels, in.rlen, in.elen);
		if (x > best[t])
			best[t] = x;
	}
}

/* The LLR (without prior and bias) of the hit of entry plate `truth` by r at
 * budget mo, and its type; false if r does not hit it. */
static bool est_truth(const struct hl_score_model *m, const struct hl_fuzzy *f,
		      const struct hl_base *b, const struct hl_fz_opts *mo, struct est_read *r,
		      const char *truth, float *x, int *type)
{
	struct est_ctx c = { .b = b, .country = r->country, .cross = mo->cross_border };
	char e[HOTLIST_PLATE_MAX + 1];
	est_gather(f, b, mo, r, &c);
	for (unsigned i = 0; i < c.n; i++) {
		size_t elen = hl_meta_unpack(&b->meta[c.h[i].run], e);
		if (strcmp(e, truth) != 0)
			continue;
		est_format(b, r);
		struct hl_score_in in = est_in(mo, r, &c.h[i], e, elen, c.n);
		/* 100 when a variant hits it exactly: the repair is the entry */
		*x = r->repair_hit && !strcmp(r->rep, truth) ? INFINITY : (float)llr(m, &in, false);
		*type = hit_type(in.indels, in.rlen, in.elen);
		return true;
	}
	return false;
}

/* Weight of sample i of e: its stratum's share over its samples. */
static double sample_w(const struct est *e, uint32_t i)
{
	uint32_t nm = e->n - e->nc;
	if (i < e->nc)
		return (nm ? 1 - HL_EST_MISREAD : 1.0) / e->nc;
	return nm ? HL_EST_MISREAD / nm : 0;
}

/* e->alerts_at[t]: samples per 1,000 whose best hit scores t or more. */
static void alerts_table(struct est *e)
{
	uint32_t at[102] = { 0 };
	uint32_t at_w[102] = { 0 }; /* the misread stratum */
	for (uint32_t i = 0; i < e->n; i++) {
		int best = -1;
		for (int t = 0; t < HL_T__COUNT; t++)
			if (e->best[t][i] > -INFINITY) {
				int sc = (int)hl_score_of_logodds((double)e->best[t][i] +
								  e->prior[t] + e->offset[t] +
								  HL_SC_BIAS);
				best = sc > best ? sc : best;
			}
		if (best >= 0)
			(i < e->nc ? at : at_w)[best]++;
	}
	for (int t = 100; t >= 0; t--) {
		at[t] += at[t + 1];
		at_w[t] += at_w[t + 1];
	}
	for (int t = 0; t <= 100; t++) {
		e->alerts_at[t] = 1000.0 * (sample_w(e, 0) * at[t] + sample_w(e, e->n) * at_w[t]);
		e->bound_at[t] =
			hotlist__score_bound(e->alerts_at[t], sample_w(e, 0), e->rep_c, at[t],
					     sample_w(e, e->n), e->rep_m, at_w[t], HL_EST_MARGIN_Z);
	}
}

/* The threshold the automatic policy picks from e's table: the lowest from
 * floor on within target. */
static unsigned auto_threshold(const struct est *e, unsigned floor, double target)
{
	return hotlist__score_pick(e->bound_at, floor, target);
}

double hotlist__score_bound(double alerts, double w_c, double rep_c, uint32_t n_c, double w_m,
			    double rep_m, uint32_t n_m, double z)
{
	double var = w_c * w_c * rep_c * n_c + w_m * w_m * rep_m * n_m;
	return alerts + z * 1000.0 * sqrt(var);
}

unsigned hotlist__score_pick(const double *bound_at, unsigned floor, double target)
{
	unsigned t = floor;
	while (t < 100 && bound_at[t] > target)
		t++;
	return t;
}

/* Share of the simulated misreads of type ty whose true entry scores t or more. */
static double truth_share(const struct est *e, int ty, unsigned t)
{
	uint32_t c = 0;
	for (uint32_t i = 0; i < e->tn[ty]; i++)
		c += e->truth[ty][i] > -INFINITY &&
		     hl_score_of_logodds((double)e->truth[ty][i] + e->prior[ty] + e->offset[ty] +
					 HL_SC_BIAS) >= t;
	return e->tn[ty] ? (double)c / e->tn[ty] : 0;
}

/*
 * Calibrate the type offsets of e: the automatic threshold spends one
 * alert budget on all hit types, but an indel neighbourhood is far denser
 * than a substitution one (and a dropped character's than an extra one's),
 * so a point of score buys different recall per type. Try pairs of offsets
 * of the LLR of drop and extra-character hits; for each, the automatic
 * threshold (floor, target) and the recall of the simulated misreads it
 * leaves, weighted by the error model's mix (60/20/20); keep the best
 * (ties: the pair nearest 0).
 */
static void calibrate(struct est *e, unsigned floor, double target)
{
	double best = -1;
	float keep[HL_T__COUNT] = { 0 };
	for (int t = 0; t < HL_T__COUNT; t++)
		if (!e->tn[t])
			return;
	for (int i = 0; i < HL_CAL_STEPS; i++) {
		for (int j = 0; j < HL_CAL_STEPS; j++) {
			e->offset[HL_T_DROP] = (float)(HL_CAL_LO + i * HL_CAL_STEP);
			e->offset[HL_T_EXTRA] = (float)(HL_CAL_LO + j * HL_CAL_STEP);
			alerts_table(e);
			unsigned t = auto_threshold(e, floor, target);
			if (e->bound_at[t] > target)
				continue;
			double rs = truth_share(e, HL_T_SUB, t), rd = truth_share(e, HL_T_DROP, t),
			       rx = truth_share(e, HL_T_EXTRA, t);
			double r;
			r = HL_CAL_W_SUB * rs + (1 - HL_CAL_W_SUB) / 2 * (rd + rx);
			float mag = fabsf(e->offset[HL_T_DROP]) + fabsf(e->offset[HL_T_EXTRA]);
			if (r > best + 1e-9 ||
			    (r > best - 1e-9 &&
			     mag < fabsf(keep[HL_T_DROP]) + fabsf(keep[HL_T_EXTRA]))) {
				best = r > best ? r : best;
				memcpy(keep, e->offset, sizeof(keep));
			}
		}
	}
	memcpy(e->offset, keep, sizeof(keep));
	alerts_table(e);
}

/* m's table of sub_rate under the classes skel (those of its index). */
static void sub_fill(struct hl_score_model *m, const char *skel)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	for (int i = 0; i < HL_SC_ALNUM; i++)
		for (int j = 0; j < HL_SC_ALNUM; j++)
			m->sub[i][j] = sub_rate_of(skel, alnum[i], alnum[j]);
	m->sub_ok = true;
}

void hotlist__score_estimate(struct hl_score_model *m, const struct hl_fuzzy *f,
			     const struct hl_base *b, const struct hl_fz_opts *o,
			     const struct hotlist_allocator *a)
{
	size_t runs = b->n_keys, n = runs * HL_EST_PER_RUN, tn;
	unsigned maxd = hotlist__fz_index_d(f);
	uint64_t rs = HL_EST_SEED ^ b->n_meta;
	sub_fill(m, o->skel);
	if (n > HL_EST_SAMPLES)
		n = HL_EST_SAMPLES;
	size_t nc = n;
	n += (size_t)((double)n * HL_EST_MISREAD_PER_CLEAN);
	if (!n || !b->n_meta)
		return;
	tn = n < HL_CAL_TRUE ? n : HL_CAL_TRUE;
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
				m->bytes += hotlist__alloc_bytes(n * sizeof(float));
				e->truth[t] = hotlist__alloc(a, tn * sizeof(float), HL_CACHE_LINE);
				if (!e->truth[t])
					return;
				e->tcap = (uint32_t)tn;
				m->bytes += hotlist__alloc_bytes(tn * sizeof(float));
			}
		}
	}
	/* misreads of listed plates: even j a substitution, odd j a drop or a
	 * doubled character in turn */
	for (uint32_t j = 0; j < 2 * tn; j++) {
		struct est_read r;
		char truth[HOTLIST_PLATE_MAX + 1];
		int kind = j % 2 ? 1 + (int)(j / 2 % 2) : 0;
		uint32_t i = random_plate(b, &rs, r.p, &r.len);
		if (i == HL_TABLE_NONE)
			break;
		memcpy(truth, r.p, r.len + 1);
		r.country = b->meta[i].country;
		r.loo = false;
		r.format = -2;
		if (!misread_kind(o->skel, &rs, &r, kind))
			continue;
		for (unsigned k = 0; k < HL_SC_MODES; k++) {
			for (unsigned d = 0; d <= maxd && d < HL_SC_MODES; d++) {
				struct est *e = &m->est[k][d];
				struct hl_fz_opts mo = *o;
				float x = -INFINITY;
				int ty = kind == 0 ? HL_T_SUB : kind == 1 ? HL_T_DROP : HL_T_EXTRA;
				if (!e->truth[HL_T_LAST])
					continue;
				mo.k = (uint8_t)k;
				mo.d = (uint8_t)d;
				est_truth(m, f, b, &mo, &r, truth, &x, &ty);
				if (e->tn[ty] < e->tcap)
					e->truth[ty][e->tn[ty]++] = x;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct est_read r;
		bool ok = draw(b, &rs, &r);
		if (ok && i >= nc)
			misread_one(o->skel, &rs, &r);
		r.format = -2;
		for (unsigned k = 0; k < HL_SC_MODES; k++) {
			for (unsigned d = 0; d <= maxd && d < HL_SC_MODES; d++) {
				struct est *e = &m->est[k][d];
				struct hl_fz_opts mo = *o;
				float x[HL_T__COUNT] = { -INFINITY, -INFINITY, -INFINITY };
				if (!e->best[HL_T_LAST])
					continue;
				mo.k = (uint8_t)k;
				mo.d = (uint8_t)d;
				if (ok)
					est_best(m, f, b, &mo, &r, x);
				e->nc = (uint32_t)nc;
				e->rep_c = runs && nc > runs ? (double)nc / (double)runs : 1.0;
				e->rep_m = runs && n - nc > runs ? (double)(n - nc) / (double)runs :
								   1.0;
				for (int t = 0; t < HL_T__COUNT; t++)
					e->best[t][e->n] = x[t];
				e->n++;
			}
		}
	}
	for (unsigned k = 0; k < HL_SC_MODES; k++) {
		for (unsigned d = 0; d < HL_SC_MODES; d++) {
			struct est *e = &m->est[k][d];
			if (!e->best[HL_T_LAST] || !e->n)
				continue;
			/* counted per stratum, then weighted, as alerts_table does:
			 * with the policy off the two agree exactly */
			uint32_t c[2][HL_T__COUNT + 1] = { { 0 } };
			for (uint32_t i = 0; i < e->n; i++) {
				bool any = false;
				for (int t = 0; t < HL_T__COUNT; t++) {
					c[i >= e->nc][t] += e->best[t][i] > -INFINITY;
					any |= e->best[t][i] > -INFINITY;
				}
				c[i >= e->nc][HL_T__COUNT] += any;
			}
			for (int t = 0; t < HL_T__COUNT; t++)
				e->hits_t[t] =
					sample_w(e, 0) * c[0][t] + sample_w(e, e->n) * c[1][t];
			e->hits = sample_w(e, 0) * c[0][HL_T__COUNT] +
				  sample_w(e, e->n) * c[1][HL_T__COUNT];
			for (int t = 0; t < HL_T__COUNT; t++) {
				double h = e->hits_t[t];
				/* with the population term the prior is in the LLR */
				e->prior[t] =
					pop_on(m) ?
						0.0f :
						(float)log(HL_SC_LISTED /
							   (h > HL_SC_LISTED ? h : HL_SC_LISTED));
			}
			alerts_table(e);
			if (o->auto_score)
				calibrate(e, o->min_score, o->target);
			else
				calibrate(e, HOTLIST_MIN_SCORE_DEFAULT,
					  HOTLIST_TARGET_ALERTS_DEFAULT);
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
	*hits = 1000.0 * e->hits;
	*alerts = e->alerts_at[min_score > 100 ? 100 : min_score];
}

unsigned hotlist__score_threshold(const struct hl_score_model *m, const struct hl_fz_opts *o)
{
	if (!o->auto_score || !m || o->k >= HL_SC_MODES || o->d >= HL_SC_MODES ||
	    !m->est[o->k][o->d].done)
		return o->min_score;
	return hotlist__score_pick(m->est[o->k][o->d].bound_at, o->min_score, o->target);
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
