/* SPDX-License-Identifier: MIT */
/*
 * bench_fuzzy_quality: how often fuzzy matching alerts on innocent cars, how
 * many misreads of listed cars it still finds, and what it costs, per list
 * size and budget (k OCR substitutions, d indels), with the score policy of
 * docs/fuzzy.md and without it (the no-score baseline) in the same run.
 *
 * Workload (fixed seed, so anyone can rerun it):
 *   - plates of NL 30 %, DE 20 %, BE 12 %, FR 12 %, ES 10 %, IT 8 %, PL 8 %
 *     in their real layouts (tools/sample.c for NL, BE, DE, FR; ES, IT, PL
 *     below), normalised (no separators), every read and entry with its
 *     country;
 *   - a list of N distinct plates (--sizes, default 1e4,1e5,1e6; 1e7 with
 *     --ten-million);
 *   - --innocent reads (default 2e5) of plates not on the list, of which
 *     --misread-rate (default 3 %) carry one OCR error: a confusion
 *     substitution 60 %, a dropped character 20 %, a doubled one 20 %;
 *   - --misreads (default 2e4) reads of listed plates per error kind: sub
 *     (one substitution within a confusion class, the replacement drawn with
 *     the weights of conf_w below: O/0 and 8/B most, 2/Z and O/Q least),
 *     drop (one character dropped, any position), double (one character
 *     written twice), two (two of those), and exact reads (never lost).
 * Quality pass per mode, with the default policy (the automatic threshold,
 * min_score= in the output is the one in force) and weak hits on (every
 * scored hit comes back); per read
 * the best score of any hit, and of the true entry. Innocent alerts per
 * 1,000 = innocent reads with at least one hit that alerts; recall = share of
 * misreads whose true entry alerts. The same at thresholds 0, 5, .., 100
 * (bench=fuzzy_curve lines: a precision/recall curve; plot_fuzzy.gp).
 * Cost pass: a stream of the innocent reads with 1 in 1,000 replaced by a
 * read of a listed car (exact or misread), hotlist_match_batch over all of
 * it, one thread, median of --reps after a warm-up, with the default policy
 * and with the policy off (min_score 0: no score computed, every hit called
 * back: the behaviour before scoring), interleaved.
 *
 * --second-read S (docs/fuzzy.md, "Second read"): each car is read twice,
 * 0.2 s apart by one camera, cars 1 s apart, each read misread on its own:
 * an innocent car's two reads each with the innocent misread rate and mix;
 * a listed car of error kind K both reads with an error of kind K (the
 * hard case: a plate every frame misreads, each frame its own way). The
 * same pairs go through an engine with second reads on (window S seconds,
 * same camera) and one with them off (a car alerts if either read alerts
 * alone), in the same run, default policy: innocent alerts per 1,000 cars,
 * recall per kind, and reads/s of a stream of the pairs (1 car in 1,000
 * listed) through each, interleaved.
 *
 * --analyse (docs/fuzzy.md, "Fifth round"): per country, the dropped-character
 * misreads, their recall, whether the read is well-formed in its country,
 * the listed and well-formed plates one insertion away, the innocent reads
 * with a hit of an entry one character longer (bench=fuzzy_drop), recall
 * per position (fuzzy_drop_pos), the drop recall one threshold per group
 * could buy within the alert budget (fuzzy_drop_bound), the innocent reads
 * and their alerts per country, error class and plate length
 * (fuzzy_innocent: what the estimate's strata are compared with, "Seventh
 * round"), and the curve at every threshold.
 *
 * --dump N prints N missed misreads per kind and N innocent alerts (the
 * read, the car's plate, the alerting entry); --probe PLATE:CC,.. prints
 * every hit of those reads with its score (docs/fuzzy.md, "Sixth round").
 */
#include "bench_common.h"
#include "plates.h"
#include "sample.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#define N_KINDS 5
enum { K_SUB, K_DROP, K_DOUBLE, K_TWO, K_EXACT };
static const char *const kind_names[N_KINDS] = { "sub", "drop", "double", "two", "exact" };
#define NONE UINT32_MAX
#define CURVE_STEP 5

struct opts {
	uint64_t innocent, misreads, reps, seed;
	double misread_rate;
	const char *sizes;
	bool ten_million, smoke, all_modes;
	int only_k, only_d; /* --mode K,D: that budget only; -1 all */
	uint64_t dump; /* --dump N: N missed misreads per kind and N innocent alerts to stderr */
	double second_s; /* --second-read S: the pair pass with this window; 0 none */
	bool analyse; /* --analyse: where the dropped-character misreads are lost (drop_* lines) */
	const char *probe; /* --probe PLATE:CC,..: every hit of these reads to stderr */
};

struct read {
	char plate[HOTLIST_PLATE_MAX + 1];
	char cc[3];
	uint32_t truth; /* index of the listed plate misread, NONE for an innocent car */
	int err; /* innocent car: -1 read right, else the kind of its OCR error */
	char clean[HOTLIST_PLATE_MAX + 1]; /* the car's plate, read right */
	int8_t at; /* position of the error in the plate before it (the dropped character's) */
};

struct plates {
	char (*p)[HOTLIST_PLATE_MAX + 1];
	char (*cc)[3];
	size_t n;
	uint64_t *set; /* open addressing, XXH3 of the plate; 0 = empty */
	size_t set_size;
};

/* Per read of the quality pass. */
struct outcome {
	int best; /* best score of any alerting hit: -1 none */
	int any; /* best score of any hit (weak included): -1 none */
	int truth; /* score of the true entry when it alerts: -1 not hit or weak */
	int truth_any; /* score of the true entry, weak or not: -1 not hit */
	int n_long; /* hits of entries one character longer than the read (--analyse) */
	int long_any; /* best score of those, weak or not: -1 none */
	int long_best; /* best score of those that alert: -1 none */
	int other_best; /* best score of the other hits that alert: -1 none */
	char best_entry[HOTLIST_PLATE_MAX + 1]; /* the entry of best (--dump) */
};

struct run_ctx {
	const struct read *reads;
	const struct plates *list;
	struct outcome *out;
	uint64_t callbacks;
};

/* ---- plates -------------------------------------------------------------------------- */

static struct {
	char cc[3];
	unsigned w;
} country_mix[16] = { { "NL", 30 }, { "DE", 20 }, { "BE", 12 }, { "FR", 12 },
		      { "ES", 10 }, { "IT", 8 },  { "PL", 8 } };
static size_t n_mix = 7;
static unsigned mix_total = 100;

/* --mix CC:W,CC:W..: another country mix (the countries above, weights summing to anything). */
static bool parse_mix(const char *s)
{
	n_mix = 0;
	mix_total = 0;
	while (*s && n_mix < 16) {
		unsigned w;
		char cc[3];
		int used;
		if (sscanf(s, "%2[A-Z]:%u%n", cc, &w, &used) != 2 || !w)
			return false;
		memcpy(country_mix[n_mix].cc, cc, 3);
		country_mix[n_mix++].w = w;
		mix_total += w;
		s += used;
		if (*s == ',')
			s++;
	}
	return n_mix > 0 && !*s;
}

static const char *pick_country(struct hl_sample_rng *r)
{
	uint64_t x = hl_sample_below(r, mix_total);
	for (size_t i = 0; i < n_mix; i++) {
		if (x < country_mix[i].w)
			return country_mix[i].cc;
		x -= country_mix[i].w;
	}
	return country_mix[0].cc;
}

static void fill(struct hl_sample_rng *r, const char *tmpl, const char *letters, char *out)
{
	size_t n = 0, nl = strlen(letters);
	for (const char *t = tmpl; *t; t++)
		out[n++] = *t == '9' ? (char)('0' + hl_sample_below(r, 10)) :
			   *t == 'X' ? letters[hl_sample_below(r, nl)] :
				       *t;
	out[n] = '\0';
}

/* Spain since 2000: 9999 LLL, no vowels, no Q. */
static void plate_es(struct hl_sample_rng *r, char *out)
{
	fill(r, "9999XXX", "BCDFGHJKLMNPRSTVWXYZ", out);
}

/* Italy since 1994: LL 999 LL, no I, O, Q, U. */
static void plate_it(struct hl_sample_rng *r, char *out)
{
	fill(r, "XX999XX", "ABCDEFGHJKLMNPRSTVWXYZ", out);
}

/* Poland since 2000: a voivodeship letter, one or two more district letters,
 * then five characters in one of the common layouts. */
static void plate_pl(struct hl_sample_rng *r, char *out)
{
	static const char *const shapes[] = { "XX99999", "XX9999X", "XX999XX", "XX99X99",
					      "XXX9999", "XXX99XX", "XXX999X", "XXX9X99" };
	static const char voiv[] = "WKSPGDELBCFNORTZ";
	fill(r, shapes[hl_sample_below(r, 8)], "ABCDEFGHJKLMNPRSTUVWXYZ", out);
	out[0] = voiv[hl_sample_below(r, sizeof(voiv) - 1)];
}

static void gen_plate(struct hl_sample_rng *r, const char *cc, char out[HOTLIST_PLATE_MAX + 1])
{
	char raw[HL_SAMPLE_PLATE_CAP];
	if (!strcmp(cc, "ES"))
		plate_es(r, raw);
	else if (!strcmp(cc, "IT"))
		plate_it(r, raw);
	else if (!strcmp(cc, "PL"))
		plate_pl(r, raw);
	else
		hl_sample_plate(r, cc, raw, sizeof(raw));
	if (hotlist_normalise_plate(raw, out) < 0) {
		fprintf(stderr, "bench_fuzzy_quality: generated plate '%s' does not normalise\n",
			raw);
		exit(1);
	}
}

static uint64_t plate_hash(const char *p)
{
	uint64_t h = XXH3_64bits(p, strlen(p));
	return h ? h : 1;
}

/* Insert p; false if it was there already. */
static bool set_add(struct plates *s, const char *p)
{
	uint64_t h = plate_hash(p);
	for (size_t i = h & (s->set_size - 1);; i = (i + 1) & (s->set_size - 1)) {
		if (s->set[i] == h)
			return false;
		if (!s->set[i]) {
			s->set[i] = h;
			return true;
		}
	}
}

static bool set_has(const struct plates *s, const char *p)
{
	uint64_t h = plate_hash(p);
	for (size_t i = h & (s->set_size - 1);; i = (i + 1) & (s->set_size - 1)) {
		if (s->set[i] == h)
			return true;
		if (!s->set[i])
			return false;
	}
}

static void make_list(struct plates *l, struct hl_sample_rng *r, size_t n)
{
	l->n = 0;
	l->p = bench_xmalloc(n * sizeof(*l->p));
	l->cc = bench_xmalloc(n * sizeof(*l->cc));
	for (l->set_size = 16; l->set_size < 2 * n; l->set_size *= 2)
		;
	l->set = bench_xcalloc(l->set_size, sizeof(uint64_t));
	while (l->n < n) {
		const char *cc = pick_country(r);
		gen_plate(r, cc, l->p[l->n]);
		if (set_add(l, l->p[l->n])) {
			memcpy(l->cc[l->n], cc, 3);
			l->n++;
		}
	}
}

/* ---- errors --------------------------------------------------------------------------- */

/* Confusion pairs of the default classes and their relative weight when
 * the bench writes a substitution: how often OCR engines confuse them, after
 * the reference notes in ../shared/data/ocr (O/0 and 8/B reported most, 1/I
 * next; 2/Z and the rare-letter pairs least). Stated, not measured. */
static const struct {
	char a, b;
	unsigned w;
} conf_w[] = { { '0', 'O', 10 }, { '8', 'B', 10 }, { '1', 'I', 8 }, { '5', 'S', 6 },
	       { '0', 'D', 4 },	 { '6', 'G', 4 },  { '2', 'Z', 3 }, { '0', 'Q', 2 },
	       { 'O', 'D', 2 },	 { 'O', 'Q', 1 },  { 'D', 'Q', 1 } };
#define N_CONF (sizeof(conf_w) / sizeof(conf_w[0]))

/* Position of the last error written (err_sub, err_drop, err_double). */
static size_t err_at;

static bool confusable(char c)
{
	for (size_t i = 0; i < N_CONF; i++)
		if (conf_w[i].a == c || conf_w[i].b == c)
			return true;
	return false;
}

static bool err_sub(struct hl_sample_rng *r, char *p)
{
	size_t pos[HOTLIST_PLATE_MAX], n = 0, len = strlen(p);
	unsigned tot = 0;
	for (size_t i = 0; i < len; i++)
		if (confusable(p[i]))
			pos[n++] = i;
	if (!n)
		return false;
	size_t at = pos[hl_sample_below(r, n)];
	err_at = at;
	for (size_t i = 0; i < N_CONF; i++)
		tot += (conf_w[i].a == p[at] || conf_w[i].b == p[at]) ? conf_w[i].w : 0;
	uint64_t x = hl_sample_below(r, tot);
	for (size_t i = 0; i < N_CONF; i++) {
		if (conf_w[i].a != p[at] && conf_w[i].b != p[at])
			continue;
		if (x < conf_w[i].w) {
			p[at] = conf_w[i].a == p[at] ? conf_w[i].b : conf_w[i].a;
			return true;
		}
		x -= conf_w[i].w;
	}
	return false;
}

static bool err_drop(struct hl_sample_rng *r, char *p)
{
	size_t len = strlen(p);
	if (len < 3)
		return false;
	size_t at = hl_sample_below(r, len);
	err_at = at;
	memmove(p + at, p + at + 1, len - at);
	return true;
}

static bool err_double(struct hl_sample_rng *r, char *p)
{
	size_t len = strlen(p);
	if (len >= HOTLIST_PLATE_MAX)
		return false;
	size_t at = hl_sample_below(r, len);
	err_at = at;
	memmove(p + at + 1, p + at, len - at + 1);
	return true;
}

static bool err_kind(struct hl_sample_rng *r, char *p, int kind)
{
	return kind == K_SUB ? err_sub(r, p) : kind == K_DROP ? err_drop(r, p) : err_double(r, p);
}

/* One OCR error of a kind drawn 60/20/20 (sub, drop, double); its kind, -1 if none. */
static int err_any(struct hl_sample_rng *r, char *p)
{
	uint64_t x = hl_sample_below(r, 10);
	int k = x < 6 ? K_SUB : x < 8 ? K_DROP : K_DOUBLE;
	return err_kind(r, p, k) ? k : -1;
}

/* A misread of listed plate i of kind k; false if this plate cannot have one. */
static bool misread(struct hl_sample_rng *r, const struct plates *l, size_t i, int k, char *out)
{
	strcpy(out, l->p[i]);
	if (k == K_EXACT)
		return true;
	if (k != K_TWO)
		return err_kind(r, out, k);
	if (err_any(r, out) < 0 || err_any(r, out) < 0)
		return false;
	return strcmp(out, l->p[i]) != 0;
}

/* ---- reads ------------------------------------------------------------------------------ */

static struct read *make_innocent(struct hl_sample_rng *r, const struct plates *l, size_t n,
				  double rate)
{
	struct read *v = bench_xmalloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const char *cc = pick_country(r);
		do
			gen_plate(r, cc, v[i].plate);
		while (set_has(l, v[i].plate));
		strcpy(v[i].clean, v[i].plate);
		v[i].err = hl_sample_unit(r) < rate ? err_any(r, v[i].plate) : -1;
		v[i].at = (int8_t)(v[i].err >= 0 ? (int)err_at : -1);
		memcpy(v[i].cc, cc, 3);
		v[i].truth = NONE;
	}
	return v;
}

static struct read *make_misreads(struct hl_sample_rng *r, const struct plates *l, size_t n,
				  int kind)
{
	struct read *v = bench_xmalloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		size_t e;
		do
			e = hl_sample_below(r, l->n);
		while (!misread(r, l, e, kind, v[i].plate));
		memcpy(v[i].cc, l->cc[e], 3);
		strcpy(v[i].clean, l->p[e]);
		v[i].truth = (uint32_t)e;
		v[i].err = kind;
		v[i].at = (int8_t)(kind == K_EXACT || kind == K_TWO ? -1 : (int)err_at);
	}
	return v;
}

/* ---- matching ------------------------------------------------------------------------------ */

static void on_hit(const struct hotlist_hit *h, void *user)
{
	struct run_ctx *c = user;
	size_t i = (size_t)(uintptr_t)h->read->opaque;
	const struct read *rd = &c->reads[i];
	struct outcome *o = &c->out[i];
	int s = (int)h->score;
	c->callbacks++;
	if (s > o->any)
		o->any = s;
	if (!h->weak && s > o->best) {
		o->best = s;
		snprintf(o->best_entry, sizeof(o->best_entry), "%s", h->entry_plate);
	}
	if (strlen(h->entry_plate) == strlen(rd->plate) + 1) {
		o->n_long++;
		o->long_any = s > o->long_any ? s : o->long_any;
		if (!h->weak && s > o->long_best)
			o->long_best = s;
	} else if (!h->weak && s > o->other_best) {
		o->other_best = s;
	}
	if (rd->truth != NONE && !strcmp(h->entry_plate, c->list->p[rd->truth]) &&
	    !strcmp(h->country, c->list->cc[rd->truth])) {
		if (s > o->truth_any)
			o->truth_any = s;
		if (!h->weak && s > o->truth)
			o->truth = s;
	}
}

static struct hotlist_read *as_reads(const struct read *v, size_t n)
{
	struct hotlist_read *r = bench_xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++)
		r[i] = (struct hotlist_read){ .plate = v[i].plate,
					      .country = v[i].cc,
					      .ts_us = 1,
					      .opaque = (void *)(uintptr_t)i };
	return r;
}

static void run_reads(struct hotlist *hl, struct run_ctx *c, const struct read *v,
		      struct outcome *out, size_t n)
{
	struct hotlist_read *r = as_reads(v, n);
	c->reads = v;
	c->out = out;
	for (size_t i = 0; i < n; i++)
		out[i] = (struct outcome){ -1, -1, -1, -1, 0, -1, -1, -1, "" };
	hotlist_match_batch(hl, r, n, on_hit, c);
	free(r);
}

static void set_mode(struct hotlist *hl, unsigned k, unsigned d, unsigned min_score, bool weak)
{
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = k;
	o.indels = d;
	o.min_score = min_score;
	o.weak_hits = weak;
	int rc = hotlist_set_list_options(hl, "hot", &o);
	if (rc) {
		fprintf(stderr, "hotlist_set_list_options: %s\n", hotlist_strerror(rc));
		exit(1);
	}
}

static double share_at(const struct outcome *o, size_t n, int thr, bool truth)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (truth ? o[i].truth_any : o[i].any) >= thr;
	return n ? (double)c / (double)n : 0;
}

static double share_alert(const struct outcome *o, size_t n, bool truth)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (truth ? o[i].truth : o[i].best) >= 0;
	return n ? (double)c / (double)n : 0;
}

/* Innocent alerts per 1,000 innocent reads of error class err (-1: read right). */
static double alerts_of_class(const struct outcome *o, const struct read *v, size_t n, int err)
{
	size_t c = 0, t = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].err != err)
			continue;
		t++;
		c += o[i].best >= 0;
	}
	return t ? 1000.0 * (double)c / (double)t : 0;
}

static double share_any(const struct outcome *o, size_t n, bool truth)
{
	return share_at(o, n, 0, truth);
}

/* ---- cost ------------------------------------------------------------------------------------- */

static uint64_t count_cb;
static void count_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
	count_cb++;
}

/* Million reads/s of the timed loop, by wall clock; *cpu: by CPU time. */
static double timed(struct hotlist *hl, const struct hotlist_read *r, size_t n, double *cpu)
{
	uint64_t t0 = bench_now_ns(), c0 = bench_thread_cpu_ns();
	for (size_t i = 0; i < n; i += 4096)
		hotlist_match_batch(hl, r + i, n - i < 4096 ? n - i : 4096, count_hit, NULL);
	*cpu = (double)n / ((double)(bench_thread_cpu_ns() - c0) / 1e9) / 1e6;
	return (double)n / ((double)(bench_now_ns() - t0) / 1e9) / 1e6;
}

/* Million reads/s with the default policy and with the policy off (pol[0],
 * off[0] by wall clock, [1] by CPU time). */
static void cost(struct hotlist *hl, unsigned k, unsigned d, const struct hotlist_read *r, size_t n,
		 uint64_t reps, double pol[2], double off[2], double *cb_pol, double *cb_off)
{
	double a[16], b[16], ac[16], bc[16], xc, yc;
	uint64_t ca = 0, cbo = 0;
	reps = reps > 16 ? 16 : reps ? reps : 1;
	for (uint64_t i = 0; i <= reps; i++) { /* i = 0: warm-up of both */
		set_mode(hl, k, d, HOTLIST_MIN_SCORE_AUTO, false);
		count_cb = 0;
		double x = timed(hl, r, n, &xc);
		ca = count_cb;
		set_mode(hl, k, d, 0, false);
		count_cb = 0;
		double y = timed(hl, r, n, &yc);
		cbo = count_cb;
		if (i) {
			a[i - 1] = x;
			b[i - 1] = y;
			ac[i - 1] = xc;
			bc[i - 1] = yc;
		}
	}
	pol[0] = bench_median(a, reps);
	off[0] = bench_median(b, reps);
	pol[1] = bench_median(ac, reps);
	off[1] = bench_median(bc, reps);
	*cb_pol = 1000.0 * (double)ca / (double)n;
	*cb_off = 1000.0 * (double)cbo / (double)n;
}

/* ---- one list size ------------------------------------------------------------------------------- */

struct workload {
	struct plates list;
	struct read *innocent;
	struct read *mis[N_KINDS];
	struct hotlist_read *stream;
	size_t n_innocent, n_mis;
};

static void make_workload(struct workload *w, const struct opts *o, size_t n)
{
	struct hl_sample_rng r;
	hl_sample_seed(&r, o->seed + n);
	make_list(&w->list, &r, n);
	w->n_innocent = o->innocent;
	w->n_mis = o->misreads;
	w->innocent = make_innocent(&r, &w->list, w->n_innocent, o->misread_rate);
	for (int k = 0; k < N_KINDS; k++)
		w->mis[k] = make_misreads(&r, &w->list, w->n_mis, k);
	/* the cost stream: innocents, 1 in 1,000 a listed car (exact or misread) */
	w->stream = as_reads(w->innocent, w->n_innocent);
	for (size_t i = 500; i < w->n_innocent; i += 1000) {
		const struct read *m = &w->mis[hl_sample_below(&r, N_KINDS)][i % w->n_mis];
		w->stream[i].plate = m->plate;
		w->stream[i].country = m->cc;
	}
}

static void free_workload(struct workload *w)
{
	free(w->list.p);
	free(w->list.cc);
	free(w->list.set);
	free(w->innocent);
	for (int k = 0; k < N_KINDS; k++)
		free(w->mis[k]);
	free(w->stream);
}

/* The list in an engine of its own; second reads on with a window of
 * second_s seconds (same camera), or off. */
static struct hotlist *load_list_cfg(const struct plates *l, double second_s)
{
	struct hotlist_config cfg;
	struct hotlist *hl = NULL;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.second_read_window_us = (int64_t)(second_s * 1e6);
	int rc = hotlist_create(&hl, &cfg);
	if (rc) {
		fprintf(stderr, "hotlist_create: %s\n", hotlist_strerror(rc));
		exit(1);
	}
	struct hotlist_entry *e = bench_xcalloc(l->n, sizeof(*e));
	for (size_t i = 0; i < l->n; i++)
		e[i] = (struct hotlist_entry){ .plate = l->p[i],
					       .country = l->cc[i],
					       .category = "stolen vehicle",
					       .priority = 50 };
	rc = hotlist_replace(hl, "hot", e, l->n, NULL);
	free(e);
	if (rc) {
		fprintf(stderr, "hotlist_replace: %s\n", hotlist_strerror(rc));
		exit(1);
	}
	return hl;
}

static struct hotlist *load_list(const struct plates *l)
{
	return load_list_cfg(l, 0);
}

/* Examples for whoever tunes the score: reads the policy got wrong. */
static void dump(const struct workload *w, const struct outcome *inn, struct outcome *const *mis,
		 uint64_t n)
{
	for (int x = 0; n && x < K_EXACT; x++) {
		uint64_t c = 0;
		for (size_t i = 0; i < w->n_mis && c < n; i++) {
			if (mis[x][i].truth >= 0)
				continue;
			const struct read *r = &w->mis[x][i];
			fprintf(stderr, "missed %s %s read %s as %s score %d\n", kind_names[x],
				r->cc, w->list.p[r->truth], r->plate, mis[x][i].truth_any);
			c++;
		}
	}
	uint64_t c = 0;
	for (size_t i = 0; i < w->n_innocent && c < n; i++) {
		if (inn[i].best < 0)
			continue;
		const struct read *r = &w->innocent[i];
		fprintf(stderr, "innocent alert %s %s err %d score %d car %s entry %s\n", r->cc,
			r->plate, r->err, inn[i].best, r->clean, inn[i].best_entry);
		c++;
	}
}

/* ---- analysis of the dropped characters (--analyse) ------------------------------------------ */

/* p fits template tmpl ('9' a digit, 'X' one of letters, else itself). */
static bool fits(const char *tmpl, const char *letters, const char *p)
{
	if (strlen(tmpl) != strlen(p))
		return false;
	for (size_t i = 0; p[i]; i++)
		if (tmpl[i] == '9' ? !(p[i] >= '0' && p[i] <= '9') :
		    tmpl[i] == 'X' ? !strchr(letters, p[i]) || p[i] < 'A' :
				     p[i] != tmpl[i])
			return false;
	return true;
}

/* The plate as read fits a layout of its country: plates.c's rules for NL, BE, FR, DE; the
 * bench's own layouts for ES, IT, PL. */
static bool well_formed(const char *cc, const char *p)
{
	static const char *const pl[] = { "XX99999", "XX9999X", "XX999XX", "XX99X99",
					  "XXX9999", "XXX99XX", "XXX999X", "XXX9X99" };
	hl_country c = 0;
	if (!hotlist__parse_country(cc, &c)) {
		int f = hotlist__plate_format(c, p, strlen(p), NULL, NULL);
		if (f >= 0)
			return f == HL_FORMAT_YES;
	}
	if (!strcmp(cc, "ES"))
		return fits("9999XXX", "BCDFGHJKLMNPRSTVWXYZ", p);
	if (!strcmp(cc, "IT"))
		return fits("XX999XX", "ABCDEFGHJKLMNPRSTVWXYZ", p);
	for (size_t i = 0; !strcmp(cc, "PL") && i < 8; i++)
		if (fits(pl[i], "ABCDEFGHJKLMNPRSTUVWXYZ", p))
			return true;
	return false;
}

/* Distinct well-formed plates one inserted character from p: the plausible plates a read
 * that dropped a character may come from. */
static unsigned completions(const char *cc, const char *p)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char q[HOTLIST_PLATE_MAX + 2];
	size_t len = strlen(p);
	unsigned n = 0;
	if (len >= HOTLIST_PLATE_MAX)
		return 0;
	for (size_t i = 0; i <= len; i++)
		for (const char *x = alnum; *x; x++) {
			if (i > 0 && p[i - 1] == *x)
				continue; /* the same plate as inserting it at i - 1 */
			memcpy(q, p, i);
			q[i] = *x;
			memcpy(q + i + 1, p + i, len - i + 1);
			n += well_formed(cc, q);
		}
	return n;
}

#define AN_GROUPS 32 /* countries x {malformed, well-formed} */
#define AN_T 101

/* Per group (country, read well-formed): dropped-character misreads whose true entry scores t
 * or more (drops[g][t]) and innocent reads with a hit of an entry one character longer scoring
 * t or more (inn[g][t]), cumulated from 100 down. */
struct an_curve {
	uint32_t drops[AN_GROUPS][AN_T + 1];
	uint32_t inn[AN_GROUPS][AN_T + 1];
};

static size_t country_ix(const char *cc)
{
	for (size_t i = 0; i < n_mix; i++)
		if (!strcmp(country_mix[i].cc, cc))
			return i;
	return 0;
}

/*
 * The best drop recall any choice of one threshold per group could buy within `budget`
 * innocent alerts per 1,000 from drop-type hits (Lagrangian sweep: each group takes the
 * threshold maximising recall - lambda x cost; the best total within budget is kept). by: 0 one
 * group, 1 per country, 2 per layout verdict of the read, 3 per country and verdict. The
 * thresholds kept are written to thr[group] (groups as by says).
 */
static double best_split(const struct an_curve *a, size_t n_drop, size_t n_inn, double budget,
			 int by, double *cost_out, int thr[AN_GROUPS], size_t *n_groups)
{
	uint32_t d[AN_GROUPS][AN_T + 1] = { { 0 } }, c[AN_GROUPS][AN_T + 1] = { { 0 } };
	size_t ng = by == 0 ? 1 : by == 1 ? n_mix : by == 2 ? 2 : 2 * n_mix;
	for (size_t g = 0; g < 2 * n_mix; g++) {
		size_t to = by == 0 ? 0 : by == 1 ? g / 2 : by == 2 ? g % 2 : g;
		for (int t = 0; t <= AN_T; t++) {
			d[to][t] += a->drops[g][t];
			c[to][t] += a->inn[g][t];
		}
	}
	double best = 0, best_cost = 0;
	*n_groups = ng;
	for (int l = 0; l <= 400; l++) {
		double lambda = pow(10.0, -4.0 + l * 0.02), r = 0, cost = 0;
		int pick[AN_GROUPS];
		for (size_t g = 0; g < ng; g++) {
			double gr = 0, gc = 0, gv = 0;
			pick[g] = AN_T;
			for (int t = AN_T; t >= 0; t--) {
				double x = (double)d[g][t] / (double)n_drop,
				       y = 1000.0 * (double)c[g][t] / (double)n_inn;
				if (x - lambda * y > gv + 1e-12) {
					gv = x - lambda * y;
					gr = x;
					gc = y;
					pick[g] = t;
				}
			}
			r += gr;
			cost += gc;
		}
		if (cost <= budget && r > best) {
			best = r;
			best_cost = cost;
			memcpy(thr, pick, sizeof(pick));
		}
	}
	*cost_out = best_cost;
	return best;
}

static void analyse(const struct workload *w, const struct outcome *inn, struct outcome *const *mis,
		    unsigned k, unsigned d)
{
	struct {
		uint64_t n, hit, wf, hit_wf, nlong, compl, inside, hit_inside, narrow, hit_narrow,
			run, hit_run, wf_inside, hit_wf_inside;
		double sc_miss;
		uint64_t n_miss;
		uint64_t inn_n, inn_long[2][2], inn_alert[2][2]; /* [misread][wf] */
	} c[16] = { { 0 } };
	uint64_t pos_n[HOTLIST_PLATE_MAX] = { 0 }, pos_hit[HOTLIST_PLATE_MAX] = { 0 };
	struct an_curve *a = bench_xcalloc(1, sizeof(*a));
	const struct outcome *o = mis[K_DROP];
	for (size_t i = 0; i < w->n_mis; i++) {
		const struct read *r = &w->mis[K_DROP][i];
		const char *e = w->list.p[r->truth];
		size_t x = country_ix(r->cc), n = strlen(e), at = (size_t)r->at;
		bool wf = well_formed(r->cc, r->plate), hit = o[i].truth >= 0;
		bool inside = at > 0 && at + 1 < n;
		bool narrow = e[at] == '1' || e[at] == 'I';
		bool run = (at > 0 && e[at - 1] == e[at]) || (at + 1 < n && e[at + 1] == e[at]);
		c[x].n++;
		c[x].hit += hit;
		c[x].wf += wf;
		c[x].hit_wf += wf && hit;
		c[x].nlong += (uint64_t)o[i].n_long;
		c[x].compl += completions(r->cc, r->plate);
		c[x].inside += inside;
		c[x].hit_inside += inside && hit;
		c[x].wf_inside += wf && inside;
		c[x].hit_wf_inside += wf && inside && hit;
		c[x].narrow += narrow;
		c[x].hit_narrow += narrow && hit;
		c[x].run += run;
		c[x].hit_run += run && hit;
		if (!hit && o[i].truth_any >= 0) {
			c[x].sc_miss += o[i].truth_any;
			c[x].n_miss++;
		}
		pos_n[at]++;
		pos_hit[at] += hit;
		if (o[i].truth_any >= 0)
			a->drops[2 * x + wf][o[i].truth_any]++;
	}
	uint64_t other = 0;
	for (size_t i = 0; i < w->n_innocent; i++) {
		const struct read *r = &w->innocent[i];
		size_t x = country_ix(r->cc);
		bool wf = well_formed(r->cc, r->plate), m = r->err >= 0;
		c[x].inn_n++;
		other += inn[i].other_best >= 0;
		if (!inn[i].n_long)
			continue;
		c[x].inn_long[m][wf]++;
		c[x].inn_alert[m][wf] += inn[i].long_best >= 0;
		if (inn[i].other_best < 0)
			a->inn[2 * x + wf][inn[i].long_any]++;
	}
	/* innocent alerts per country, error class and length of the car's plate: what the
	 * estimate's strata are compared with (docs/fuzzy.md, "Seventh round") */
	for (size_t x = 0; x < n_mix; x++) {
		for (int err = -1; err <= K_DOUBLE; err++) {
			uint64_t n = 0, al = 0, hit = 0, ln[HOTLIST_PLATE_MAX + 1] = { 0 },
				 la[HOTLIST_PLATE_MAX + 1] = { 0 };
			for (size_t i = 0; i < w->n_innocent; i++) {
				const struct read *r = &w->innocent[i];
				if (r->err != err || country_ix(r->cc) != x)
					continue;
				size_t l = strlen(r->clean);
				n++;
				al += inn[i].best >= 0;
				hit += inn[i].any >= 0;
				ln[l]++;
				la[l] += inn[i].best >= 0;
			}
			printf("bench=fuzzy_innocent entries=%zu k=%u d=%u country=%s err=%s "
			       "reads=%" PRIu64 " hits_per_1000=%.1f alerts=%" PRIu64
			       " alerts_per_1000=%.2f by_len=",
			       w->list.n, k, d, country_mix[x].cc,
			       err < 0 ? "none" : kind_names[err], n,
			       n ? 1000.0 * (double)hit / (double)n : 0, al,
			       n ? 1000.0 * (double)al / (double)n : 0);
			for (size_t l = 0, first = 1; l <= HOTLIST_PLATE_MAX; l++)
				if (ln[l]) {
					printf("%s%zu:%" PRIu64 "/%" PRIu64, first ? "" : ",", l,
					       la[l], ln[l]);
					first = 0;
				}
			printf("\n");
		}
	}
	for (size_t g = 0; g < AN_GROUPS; g++)
		for (int t = AN_T - 1; t >= 0; t--) {
			a->drops[g][t] += a->drops[g][t + 1];
			a->inn[g][t] += a->inn[g][t + 1];
		}
	double per = 1000.0 / (double)w->n_innocent;
	for (size_t x = 0; x < n_mix; x++) {
		double n = (double)c[x].n ? (double)c[x].n : 1;
		printf("bench=fuzzy_drop entries=%zu k=%u d=%u country=%s drops=%" PRIu64
		       " recall=%.3f well_formed=%.3f recall_well_formed=%.3f "
		       "recall_malformed=%.3f recall_inside=%.3f recall_edge=%.3f "
		       "recall_narrow=%.3f recall_run=%.3f recall_well_formed_inside=%.3f "
		       "listed_one_longer=%.2f plausible_one_longer=%.1f missed_score_mean=%.1f "
		       "innocent_reads=%" PRIu64
		       " inn_long_clean_wf=%.2f inn_long_clean_malformed=%.2f "
		       "inn_long_misread_wf=%.2f inn_long_misread_malformed=%.2f "
		       "inn_long_alerts_clean_wf=%.3f inn_long_alerts_clean_malformed=%.3f "
		       "inn_long_alerts_misread_wf=%.3f inn_long_alerts_misread_malformed=%.3f\n",
		       w->list.n, k, d, country_mix[x].cc, c[x].n, (double)c[x].hit / n,
		       (double)c[x].wf / n, c[x].wf ? (double)c[x].hit_wf / (double)c[x].wf : 0,
		       c[x].n > c[x].wf ?
			       (double)(c[x].hit - c[x].hit_wf) / (double)(c[x].n - c[x].wf) :
			       0,
		       c[x].inside ? (double)c[x].hit_inside / (double)c[x].inside : 0,
		       c[x].n > c[x].inside ? (double)(c[x].hit - c[x].hit_inside) /
						      (double)(c[x].n - c[x].inside) :
					      0,
		       c[x].narrow ? (double)c[x].hit_narrow / (double)c[x].narrow : 0,
		       c[x].run ? (double)c[x].hit_run / (double)c[x].run : 0,
		       c[x].wf_inside ? (double)c[x].hit_wf_inside / (double)c[x].wf_inside : 0,
		       (double)c[x].nlong / n, (double)c[x].compl / n,
		       c[x].n_miss ? c[x].sc_miss / (double)c[x].n_miss : -1, c[x].inn_n,
		       per * (double)c[x].inn_long[0][1], per * (double)c[x].inn_long[0][0],
		       per * (double)c[x].inn_long[1][1], per * (double)c[x].inn_long[1][0],
		       per * (double)c[x].inn_alert[0][1], per * (double)c[x].inn_alert[0][0],
		       per * (double)c[x].inn_alert[1][1], per * (double)c[x].inn_alert[1][0]);
	}
	printf("bench=fuzzy_drop_pos entries=%zu k=%u d=%u", w->list.n, k, d);
	for (size_t p = 0; p < HOTLIST_PLATE_MAX; p++)
		if (pos_n[p])
			printf(" recall_at_%zu=%.3f/%" PRIu64, p,
			       (double)pos_hit[p] / (double)pos_n[p], pos_n[p]);
	printf("\n");
	/* what a threshold per group could buy with the budget the other hits leave, and with
	 * the whole budget */
	static const char *const split[] = { "none", "country", "layout", "country_layout" };
	double other_r = per * (double)other;
	for (int full = 0; full <= 1; full++) {
		double budget = full ? 1.0 : 1.0 - other_r;
		for (int by = 0; by <= 3; by++) {
			int thr[AN_GROUPS];
			size_t ng;
			double cost, r = best_split(a, w->n_mis, w->n_innocent, budget, by, &cost,
						    thr, &ng);
			printf("bench=fuzzy_drop_bound entries=%zu k=%u d=%u split=%s "
			       "other_alerts_per_1000=%.3f budget=%.3f best_recall_drop=%.4f "
			       "at_alerts_per_1000=%.3f thresholds=",
			       w->list.n, k, d, split[by], other_r, budget, r, cost);
			for (size_t g = 0; g < ng; g++)
				printf("%s%s%s:%d", g ? "," : "",
				       by == 1 ? country_mix[g].cc :
				       by == 3 ? country_mix[g / 2].cc :
						 "",
				       by >= 2 ? (g % 2 ? "wf" : "mal") : "", thr[g]);
			printf("\n");
		}
	}
	free(a);
}

static void on_probe(const struct hotlist_hit *h, void *user)
{
	(void)user;
	fprintf(stderr, "probe %s %s: entry %s match %d repaired %d score %u weak %d\n",
		h->read->plate, h->country, h->entry_plate, (int)h->match, (int)h->repaired,
		h->score, (int)h->weak);
}

/* --probe: the hits of the reads listed, each with its score (for whoever tunes the score). */
static void probe(struct hotlist *hl, const char *list)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *cc = strchr(t, ':');
		if (!cc)
			continue;
		*cc++ = '\0';
		struct hotlist_read r = { .plate = t, .country = cc, .ts_us = 1 };
		hotlist_match_batch(hl, &r, 1, on_probe, NULL);
	}
}

static void quality(struct hotlist *hl, struct workload *w, unsigned k, unsigned d,
		    const struct opts *o)
{
	struct run_ctx c = { .list = &w->list };
	struct outcome *inn = bench_xmalloc(w->n_innocent * sizeof(*inn));
	struct outcome *mis[N_KINDS];
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	set_mode(hl, 0, 0, 0, false); /* no index: the next one is built, and timed */
	uint64_t t0 = bench_now_ns(), c0 = bench_thread_cpu_ns();
	set_mode(hl, k, d, HOTLIST_MIN_SCORE_AUTO, true);
	double build_s = (double)(bench_now_ns() - t0) / 1e9;
	double build_cpu_s = (double)(bench_thread_cpu_ns() - c0) / 1e9; /* built in this thread */
	hotlist_list_info(hl, 0, &info);
	run_reads(hl, &c, w->innocent, inn, w->n_innocent);
	uint64_t inn_cb = c.callbacks;
	for (int x = 0; x < N_KINDS; x++) {
		mis[x] = bench_xmalloc(w->n_mis * sizeof(*mis[x]));
		run_reads(hl, &c, w->mis[x], mis[x], w->n_mis);
	}
	dump(w, inn, mis, o->dump);
	if (o->probe)
		probe(hl, o->probe);
	if (o->analyse && d)
		analyse(w, inn, mis, k, d);
	double pol[2] = { 0 }, off[2] = { 0 }, cbp = 0, cbo = 0;
	cost(hl, k, d, w->stream, w->n_innocent, o->reps, pol, off, &cbp, &cbo);
	printf("bench=fuzzy_quality entries=%zu k=%u d=%u min_score=%u "
	       "innocent_alerts_per_1000=%.2f innocent_hits_per_1000=%.2f "
	       "innocent_callbacks_per_1000=%.1f est_alerts_per_1000=%.2f "
	       "est_hits_per_1000=%.2f",
	       w->list.n, k, d, info.min_score, 1000 * share_alert(inn, w->n_innocent, false),
	       1000 * share_any(inn, w->n_innocent, false),
	       1000.0 * (double)inn_cb / (double)w->n_innocent, info.innocent_alerts_per_1000,
	       info.innocent_hits_per_1000);
	for (int x = 0; x < N_KINDS; x++)
		printf(" recall_%s=%.4f", kind_names[x], share_alert(mis[x], w->n_mis, true));
	for (int x = 0; x < N_KINDS; x++)
		printf(" raw_recall_%s=%.4f", kind_names[x], share_any(mis[x], w->n_mis, true));
	printf(" alerts_per_1000_clean=%.2f", alerts_of_class(inn, w->innocent, w->n_innocent, -1));
	for (int x = K_SUB; x <= K_DOUBLE; x++)
		printf(" alerts_per_1000_misread_%s=%.1f", kind_names[x],
		       alerts_of_class(inn, w->innocent, w->n_innocent, x));
	printf(" mreads_s=%.3f mreads_s_noscore=%.3f mreads_cpu_s=%.3f mreads_cpu_s_noscore=%.3f "
	       "callbacks_per_1000=%.2f callbacks_per_1000_noscore=%.2f bytes_per_entry=%.1f "
	       "index_build_s=%.3f index_build_cpu_s=%.3f\n",
	       pol[0], off[0], pol[1], off[1], cbp, cbo,
	       (double)info.memory_bytes / (double)w->list.n, build_s, build_cpu_s);
	for (int t = 0; (k || d) && t <= 100; t += o->analyse ? 1 : CURVE_STEP) {
		printf("bench=fuzzy_curve entries=%zu k=%u d=%u threshold=%d "
		       "innocent_alerts_per_1000=%.2f",
		       w->list.n, k, d, t, 1000 * share_at(inn, w->n_innocent, t, false));
		for (int x = 0; x < N_KINDS; x++)
			printf(" recall_%s=%.4f", kind_names[x],
			       share_at(mis[x], w->n_mis, t, true));
		printf("\n");
	}
	fflush(stdout);
	free(inn);
	for (int x = 0; x < N_KINDS; x++)
		free(mis[x]);
}

/* ---- second reads ------------------------------------------------------------------------ */

/* The second read of each car of v (n cars): its plate read again with its
 * own error (innocent: at rate, of a kind drawn as for the first read;
 * listed: of kind kind, or exact), by a separate generator so that the
 * first reads are those of the one-read passes. */
static struct read *second_reads(struct hl_sample_rng *r, const struct read *v, size_t n, int kind,
				 double rate)
{
	struct read *w = bench_xmalloc(n * sizeof(*w));
	for (size_t i = 0; i < n; i++) {
		w[i] = v[i];
		strcpy(w[i].plate, v[i].clean);
		if (v[i].truth == NONE)
			w[i].err = hl_sample_unit(r) < rate ? err_any(r, w[i].plate) : -1;
		else if (kind == K_TWO)
			while ((err_any(r, w[i].plate) < 0 || err_any(r, w[i].plate) < 0 ||
				!strcmp(w[i].plate, v[i].clean)))
				strcpy(w[i].plate, v[i].clean);
		else if (kind != K_EXACT)
			(void)err_kind(r, w[i].plate, kind); /* the first read had one */
	}
	return w;
}

/* Reads a[i], b[i] of car i interleaved: a at car i's time, b 0.2 s later;
 * cars 1 s apart from *t_us on, one camera; opaque = 2i and 2i + 1. */
static struct hotlist_read *pair_reads(const struct read *a, const struct read *b, size_t n,
				       int64_t *t_us)
{
	struct hotlist_read *r = bench_xcalloc(2 * n, sizeof(*r));
	for (size_t i = 0; i < 2 * n; i++) {
		const struct read *x = i & 1 ? &b[i / 2] : &a[i / 2];
		r[i] = (struct hotlist_read){ .plate = x->plate,
					      .country = x->cc,
					      .camera = "cam-1",
					      .ts_us = *t_us + (int64_t)(i / 2) * 1000000 +
						       (i & 1) * 200000,
					      .opaque = (void *)(uintptr_t)i };
	}
	*t_us += (int64_t)n * 1000000 + 60 * INT64_C(1000000);
	return r;
}

struct pair_ctx {
	const struct read *a, *b;
	const struct plates *list;
	uint8_t *alert; /* per car: 1 an innocent alert or the true entry's */
	uint64_t second; /* alerts flagged second_read */
};

static void on_pair_hit(const struct hotlist_hit *h, void *user)
{
	struct pair_ctx *c = user;
	size_t i = (size_t)(uintptr_t)h->read->opaque;
	const struct read *rd = i & 1 ? &c->b[i / 2] : &c->a[i / 2];
	if (h->weak)
		return;
	c->second += h->second_read;
	if (rd->truth == NONE || (!strcmp(h->entry_plate, c->list->p[rd->truth]) &&
				  !strcmp(h->country, c->list->cc[rd->truth])))
		c->alert[i / 2] = 1;
}

/* Share of the n cars of pairs (a, b) that alert; *second: alerts by a
 * second read. */
static double pair_share(struct hotlist *hl, struct pair_ctx *c, const struct read *a,
			 const struct read *b, size_t n, int64_t *t_us, uint64_t *second)
{
	struct hotlist_read *r = pair_reads(a, b, n, t_us);
	c->a = a;
	c->b = b;
	c->alert = bench_xcalloc(n ? n : 1, 1);
	c->second = 0;
	hotlist_match_batch(hl, r, 2 * n, on_pair_hit, c);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += c->alert[i];
	free(c->alert);
	free(r);
	*second = c->second;
	return n ? (double)k / (double)n : 0;
}

static struct hotlist *load_list_cfg(const struct plates *l, double second_s);

static void second_pass(struct workload *w, unsigned k, unsigned d, const struct opts *o)
{
	struct hl_sample_rng r;
	hl_sample_seed(&r, o->seed + w->list.n + 1);
	struct hotlist *on = load_list_cfg(&w->list, o->second_s);
	struct hotlist *off = load_list_cfg(&w->list, 0);
	struct hotlist *eng[2] = { off, on };
	struct read *inn2 = second_reads(&r, w->innocent, w->n_innocent, -1, o->misread_rate);
	struct read *mis2[N_KINDS];
	for (int x = 0; x < N_KINDS; x++)
		mis2[x] = second_reads(&r, w->mis[x], w->n_mis, x, 0);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	double inn[2], rec[2][N_KINDS];
	uint64_t sec_inn = 0, sec_mis[N_KINDS] = { 0 };
	for (int e = 0; e < 2; e++) {
		struct pair_ctx c = { .list = &w->list };
		int64_t t = 1000000;
		uint64_t sec;
		set_mode(eng[e], k, d, HOTLIST_MIN_SCORE_AUTO, false);
		inn[e] = pair_share(eng[e], &c, w->innocent, inn2, w->n_innocent, &t, &sec);
		if (e)
			sec_inn = sec;
		for (int x = 0; x < N_KINDS; x++) {
			rec[e][x] = pair_share(eng[e], &c, w->mis[x], mis2[x], w->n_mis, &t, &sec);
			if (e)
				sec_mis[x] = sec;
		}
	}
	hotlist_list_info(on, 0, &info);
	/* cost: the pairs of the innocent cars, 1 car in 1,000 listed (misread
	 * twice, or exact), through each engine, interleaved */
	int64_t t = 1000000;
	struct hotlist_read *st = pair_reads(w->innocent, inn2, w->n_innocent, &t);
	for (size_t i = 500; i < w->n_innocent; i += 1000) {
		int x = (int)hl_sample_below(&r, N_KINDS);
		st[2 * i].plate = w->mis[x][i % w->n_mis].plate;
		st[2 * i].country = w->mis[x][i % w->n_mis].cc;
		st[2 * i + 1].plate = mis2[x][i % w->n_mis].plate;
		st[2 * i + 1].country = mis2[x][i % w->n_mis].cc;
	}
	double rate[2][16], cpu_rate[2][16];
	uint64_t reps = o->reps > 16 ? 16 : o->reps ? o->reps : 1;
	for (uint64_t i = 0; i <= reps; i++) /* i = 0: warm-up */
		for (int e = 0; e < 2; e++) {
			double xc, x = timed(eng[e], st, 2 * w->n_innocent, &xc);
			if (i) {
				rate[e][i - 1] = x;
				cpu_rate[e][i - 1] = xc;
			}
		}
	printf("bench=fuzzy_second entries=%zu k=%u d=%u min_score=%u window_s=%.1f cars=%zu "
	       "innocent_alerts_per_1000_cars_off=%.2f innocent_alerts_per_1000_cars_on=%.2f "
	       "innocent_second_read_alerts_per_1000_cars=%.2f",
	       w->list.n, k, d, info.min_score, o->second_s, w->n_innocent, 1000 * inn[0],
	       1000 * inn[1], 1000.0 * (double)sec_inn / (double)w->n_innocent);
	for (int x = 0; x < N_KINDS; x++)
		printf(" recall_%s_off=%.4f recall_%s_on=%.4f second_read_%s=%" PRIu64,
		       kind_names[x], rec[0][x], kind_names[x], rec[1][x], kind_names[x],
		       sec_mis[x]);
	printf(" mreads_s_off=%.3f mreads_s_on=%.3f mreads_cpu_s_off=%.3f mreads_cpu_s_on=%.3f\n",
	       bench_median(rate[0], reps), bench_median(rate[1], reps),
	       bench_median(cpu_rate[0], reps), bench_median(cpu_rate[1], reps));
	fflush(stdout);
	free(st);
	free(inn2);
	for (int x = 0; x < N_KINDS; x++)
		free(mis2[x]);
	hotlist_destroy(on, NULL);
	hotlist_destroy(off, NULL);
}

static void one_size(size_t n, const struct opts *o)
{
	static const unsigned modes[][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 },
					     { 1, 1 }, { 2, 0 }, { 2, 1 } };
	struct workload w;
	uint64_t t0 = bench_now_ns();
	make_workload(&w, o, n);
	struct hotlist *hl =
		o->second_s > 0 ? NULL : load_list(&w.list); /* pairs: engines of their own */
	printf("# entries=%zu innocent=%zu misreads_per_kind=%zu workload_s=%.1f\n", w.list.n,
	       w.n_innocent, w.n_mis, (double)(bench_now_ns() - t0) / 1e9);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		if (o->smoke && !(modes[m][0] == 1 && modes[m][1] == 1))
			continue;
		if (o->only_k >= 0 &&
		    (modes[m][0] != (unsigned)o->only_k || modes[m][1] != (unsigned)o->only_d))
			continue;
		if (!o->all_modes && n > 1000000 && modes[m][0] == 2)
			continue;
		if (o->second_s > 0) {
			if (modes[m][0] || modes[m][1])
				second_pass(&w, modes[m][0], modes[m][1], o);
			continue;
		}
		quality(hl, &w, modes[m][0], modes[m][1], o);
	}
	hotlist_destroy(hl, NULL);
	free_workload(&w);
}

int main(int argc, char **argv)
{
	static const char usage[] =
		"[--sizes N,N..] [--ten-million] [--innocent N] [--misreads N] "
		"[--misread-rate P] [--reps N] [--seed S] [--mode K,D] [--all-modes] [--smoke] "
		"[--mix CC:W,CC:W..] [--second-read SECONDS] [--analyse] "
		"[--probe PLATE:CC,..]";
	struct opts o = { .innocent = 200000,
			  .misreads = 20000,
			  .reps = 3,
			  .seed = BENCH_SEED_DEFAULT,
			  .misread_rate = 0.03,
			  .sizes = "1e4,1e5,1e6",
			  .only_k = -1,
			  .only_d = -1 };
	for (int i = 1; i < argc; i++) {
		if (bench_opt_u64(argc, argv, &i, "--innocent", &o.innocent) ||
		    bench_opt_u64(argc, argv, &i, "--misreads", &o.misreads) ||
		    bench_opt_u64(argc, argv, &i, "--reps", &o.reps) ||
		    bench_opt_u64(argc, argv, &i, "--seed", &o.seed) ||
		    bench_opt_u64(argc, argv, &i, "--dump", &o.dump) ||
		    bench_opt_double(argc, argv, &i, "--misread-rate", &o.misread_rate) ||
		    bench_opt_double(argc, argv, &i, "--second-read", &o.second_s) ||
		    bench_opt_str(argc, argv, &i, "--sizes", &o.sizes) ||
		    bench_opt_str(argc, argv, &i, "--probe", &o.probe))
			continue;
		if (!strcmp(argv[i], "--mix") && i + 1 < argc) {
			if (!parse_mix(argv[++i]))
				bench_bad_option(argv[0], argv[i], usage);
			continue;
		}
		if (!strcmp(argv[i], "--analyse"))
			o.analyse = true;
		else if (!strcmp(argv[i], "--ten-million"))
			o.ten_million = true;
		else if (!strcmp(argv[i], "--all-modes"))
			o.all_modes = true;
		else if (!strcmp(argv[i], "--smoke"))
			o.smoke = true;
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc &&
			 sscanf(argv[i + 1], "%d,%d", &o.only_k, &o.only_d) == 2)
			i++;
		else
			bench_bad_option(argv[0], argv[i], usage);
	}
	if (o.smoke) {
		o.sizes = "1e4";
		o.innocent = 4000;
		o.misreads = 400;
		o.reps = 1;
	}
	bench_header("fuzzy_quality");
	printf("# innocent=%" PRIu64 " misread_rate=%.3f misreads_per_kind=%" PRIu64
	       " reps=%" PRIu64 " seed=%" PRIu64 " mix=",
	       o.innocent, o.misread_rate, o.misreads, o.reps, o.seed);
	for (size_t i = 0; i < n_mix; i++)
		printf("%s%s:%u", i ? "," : "", country_mix[i].cc, country_mix[i].w);
	printf("\n");
	char sizes[256];
	snprintf(sizes, sizeof(sizes), "%s%s", o.sizes, o.ten_million ? ",1e7" : "");
	for (char *s = strtok(sizes, ","); s; s = strtok(NULL, ",")) {
		double v = strtod(s, NULL);
		if (v >= 10)
			one_size((size_t)v, &o);
	}
	return 0;
}
