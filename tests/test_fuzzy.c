/* SPDX-License-Identifier: MIT */
/*
 * Fuzzy suite: OCR equivalence (k), indels (d), wildcard entries, OCR
 * candidates, repair, cross-border, list options. Golden tests from the
 * issue's AutoVu examples, unit tests of the verifier and the glob, and
 * differential tests against the naive reference (ref_matcher.c) on random
 * and adversarial lists. With HOTLIST_SHARED_DATA set, recall and false
 * hits on the real Dutch plates with simulated OCR noise (printed; the
 * figures in docs/fuzzy.md come from this test).
 */
#include "hotlist.h"
#include "testutil.h"

#include "fuzzy.h"
#include "normalise.h"
#include "pattern.h"
#include "plates.h"
#include "ref_matcher.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HITS 256

#define BATCH_READS 200

struct got {
	unsigned n;
	struct {
		char list[16], ref[16], plate[HOTLIST_PLATE_MAX + 1];
		int kind, format;
		unsigned subs, indels, candidate;
		bool repaired;
	} h[MAX_HITS];
};

static void record(const struct hotlist_hit *hit, void *user)
{
	struct got *g = user;
	if (g->n == MAX_HITS)
		return;
	snprintf(g->h[g->n].list, sizeof(g->h[0].list), "%s", hit->list);
	snprintf(g->h[g->n].ref, sizeof(g->h[0].ref), "%s", hit->reference);
	snprintf(g->h[g->n].plate, sizeof(g->h[0].plate), "%s", hit->entry_plate);
	g->h[g->n].kind = hit->match;
	g->h[g->n].subs = hit->substitutions;
	g->h[g->n].indels = hit->indels;
	g->h[g->n].candidate = hit->candidate;
	g->h[g->n].repaired = hit->repaired;
	g->h[g->n].format = hit->format;
	g->n++;
}

static struct hotlist *engine(void)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.latency_histogram = false;
	struct hotlist *hl;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	return hl;
}

static void set_opts(struct hotlist *hl, const char *list, unsigned k, unsigned d)
{
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = k;
	o.indels = d;
	o.weak_hits = true; /* every hit comes back (weak ones flagged): the enumeration */
	ck_assert_int_eq(hotlist_set_list_options(hl, list, &o), 0);
}

static void put(struct hotlist *hl, const char *list, const char *plate, const char *country)
{
	struct hotlist_entry e = { .plate = plate, .country = country, .reference = plate };
	ck_assert_int_eq(hotlist_put(hl, list, &e), 0);
}

static struct got *match(struct hotlist *hl, const char *plate, const char *country)
{
	static struct got g;
	struct hotlist_read r = { .plate = plate, .country = country };
	memset(&g, 0, sizeof(g));
	ck_assert_int_ge(hotlist_match(hl, &r, record, &g), 0);
	return &g;
}

/* ---- golden: the AutoVu examples -------------------------------------- */

START_TEST(autovu_k1)
{
	struct hotlist *hl = engine();
	set_opts(hl, "l", 1, 0);
	put(hl, "l", "ABC123", NULL);
	const char *hit[] = { "A8C123", "ABC1Z3", "ABCI23" };
	for (int i = 0; i < 3; i++) {
		struct got *g = match(hl, hit[i], NULL);
		ck_assert_uint_eq(g->n, 1);
		ck_assert_int_eq(g->h[0].kind, HOTLIST_MATCH_OCR);
		ck_assert_uint_eq(g->h[0].subs, 1);
		ck_assert_uint_eq(g->h[0].indels, 0);
	}
	ck_assert_uint_eq(match(hl, "A8CIZ3", NULL)->n, 0); /* 3 substitutions */
	ck_assert_uint_eq(match(hl, "ABC12", NULL)->n, 0); /* d = 0 */
	struct got *g = match(hl, "ABC123", NULL);
	ck_assert_uint_eq(g->n, 1);
	ck_assert_int_eq(g->h[0].kind, HOTLIST_MATCH_EXACT);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(autovu_d1)
{
	struct hotlist *hl = engine();
	set_opts(hl, "l", 0, 1);
	put(hl, "l", "ABC123", NULL);
	struct got *g = match(hl, "ABCU123", NULL);
	ck_assert_uint_eq(g->n, 1);
	ck_assert_int_eq(g->h[0].kind, HOTLIST_MATCH_INDEL);
	ck_assert_uint_eq(g->h[0].indels, 1);
	ck_assert_uint_eq(match(hl, "ABUO123", NULL)->n, 0);
	ck_assert_uint_eq(match(hl, "A8C123", NULL)->n, 0); /* k = 0 */
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(autovu_k1_d1)
{
	struct hotlist *hl = engine();
	set_opts(hl, "l", 1, 1);
	put(hl, "l", "ABC123", NULL);
	const char *hit[] = { "ABC123", "A8C123", "ABCI23", "ABC1Z3", "AB123", "ABC0123" };
	for (int i = 0; i < 6; i++)
		ck_assert_msg(match(hl, hit[i], NULL)->n == 1, "%s", hit[i]);
	struct got *g = match(hl, "A8C12", NULL); /* one of each */
	ck_assert_uint_eq(g->n, 1);
	ck_assert_int_eq(g->h[0].kind, HOTLIST_MATCH_INDEL);
	ck_assert_uint_eq(g->h[0].subs, 1);
	ck_assert_uint_eq(g->h[0].indels, 1);
	ck_assert_uint_eq(match(hl, "A8CI2", NULL)->n, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(wildcards)
{
	struct hotlist *hl = engine();
	put(hl, "l", "GZ-12?-B", NULL);
	put(hl, "l", "*123B*", NULL);
	struct got *g = match(hl, "GZ-123-B", NULL);
	ck_assert_uint_eq(g->n, 2);
	ck_assert_int_eq(g->h[0].kind, HOTLIST_MATCH_WILDCARD);
	ck_assert_str_eq(match(hl, "GZ129B", NULL)->h[0].plate, "GZ12?B");
	ck_assert_uint_eq(match(hl, "GZ12B", NULL)->n, 0);
	ck_assert_uint_eq(match(hl, "123B", NULL)->n, 1);
	ck_assert_uint_eq(match(hl, "X123BYZ", NULL)->n, 1);
	ck_assert_uint_eq(match(hl, "123", NULL)->n, 0);
	struct hotlist_entry e = { .plate = "*-*" };
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EPLATE);
	e.plate = "ABCDEFGHIJKLMNOP*";
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EPLATE);
	/* removal by pattern */
	ck_assert_int_eq(hotlist_remove(hl, "l", "GZ12?B", NULL), 1);
	ck_assert_uint_eq(match(hl, "GZ123B", NULL)->n, 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(glob_and_verify_units)
{
	ck_assert(hotlist__glob("A*B*C", 5, "AXXBYYC", 7));
	ck_assert(!hotlist__glob("A*B*C", 5, "AXXBYY", 6));
	ck_assert(hotlist__glob("*", 1, "", 0));
	ck_assert(hotlist__glob("?*?", 3, "AB", 2));
	ck_assert(!hotlist__glob("?*?", 3, "A", 1));
	/* no exponential blow-up: a long run of stars against a long miss */
	ck_assert(!hotlist__glob("*A*A*A*A*A*A*A*B", 16, "AAAAAAAAAAAAAAAA", 16));
	char n[HOTLIST_PLATE_MAX + 1];
	ck_assert_int_eq(hotlist__pattern_normalise("gz-**12?-b", n), 7);
	ck_assert_str_eq(n, "GZ*12?B");
	struct hl_fz_opts o;
	hotlist__fz_opts_default(&o);
	unsigned s, x;
	ck_assert(hotlist__fz_verify(o.skel, 2, 0, "0O", 2, "DQ", 2, &s, &x));
	ck_assert_uint_eq(s, 2);
	ck_assert(!hotlist__fz_verify(o.skel, 0, 1, "A0", 2, "AO", 2, &s, &x));
	ck_assert(hotlist__fz_verify(o.skel, 0, 2, "A0", 2, "AO", 2, &s, &x)); /* del + ins */
	ck_assert_uint_eq(x, 2);
	ck_assert_uint_eq(s, 0);
	ck_assert(!hotlist__fz_verify(o.skel, 2, 1, "AB", 2, "AX", 2, &s, &x)); /* not a class */
	ck_assert(hotlist__fz_verify(o.skel, 0, 2, "AB", 2, "AX", 2, &s, &x));
	ck_assert_uint_eq(x, 2);
}
END_TEST

START_TEST(candidates_and_lists)
{
	struct hotlist *hl = engine();
	put(hl, "exact", "ABC123", NULL);
	set_opts(hl, "fuzzy", 1, 0);
	put(hl, "fuzzy", "ABC123", NULL);
	/* an exact hit on one list is not hidden by a fuzzy hit on another */
	struct got *g = match(hl, "ABC123", NULL);
	ck_assert_uint_eq(g->n, 2);
	g = match(hl, "A8C123", NULL);
	ck_assert_uint_eq(g->n, 1);
	ck_assert_str_eq(g->h[0].list, "fuzzy");
	/* candidates: the primary first, one hit per entry */
	const char *cands[] = { "ABC123", "XYZ" };
	struct hotlist_read r = { .plate = "A8C123", .candidates = cands, .n_candidates = 2 };
	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(hotlist_match(hl, &r, record, g), 2);
	for (unsigned i = 0; i < 2; i++) {
		if (strcmp(g->h[i].list, "exact") == 0) {
			ck_assert_uint_eq(g->h[i].candidate, 1);
			ck_assert_int_eq(g->h[i].kind, HOTLIST_MATCH_EXACT);
		} else {
			ck_assert_uint_eq(g->h[i].candidate, 0);
			ck_assert_int_eq(g->h[i].kind, HOTLIST_MATCH_OCR);
		}
	}
	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(hotlist_match_batch(hl, &r, 1, record, g), 2);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(cross_border)
{
	struct hotlist *hl = engine();
	put(hl, "l", "ABC123", "NL");
	ck_assert_uint_eq(match(hl, "ABC123", "DE")->n, 0);
	ck_assert_uint_eq(match(hl, "ABC123", NULL)->n, 1);
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.cross_border = true;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	struct got *g = match(hl, "ABC123", "DE");
	ck_assert_uint_eq(g->n, 1);
	ck_assert_int_eq(g->h[0].kind, HOTLIST_MATCH_EXACT);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(options_kept)
{
	struct hotlist *hl = engine();
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 3;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), HOTLIST_EINVAL);
	o.ocr_substitutions = 1;
	o.ocr_classes = "0O 0D";
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), HOTLIST_EINVAL);
	o.ocr_classes = "AX";
	o.weak_hits = true; /* a custom-class pair scores low: the test is the enumeration */
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	struct hotlist_entry e[2] = { { .plate = "AAA111" }, { .plate = "BBB222" } };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 2, NULL), 0);
	ck_assert_uint_eq(match(hl, "XAA111", NULL)->n, 1); /* options kept by replace */
	ck_assert_uint_eq(match(hl, "AAAI11", NULL)->n, 0); /* own classes only */
	put(hl, "l", "CCC333", NULL);
	ck_assert_uint_eq(match(hl, "XAA111", NULL)->n, 1); /* and by put */
	ck_assert_int_eq(hotlist_remove(hl, "l", "AAA111", NULL), 1);
	ck_assert_uint_eq(match(hl, "XAA111", NULL)->n, 0); /* hidden */
	ck_assert_uint_eq(match(hl, "CCC333", NULL)->n, 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* A read the plates module repairs hits the repaired entry (repair on). */
START_TEST(repair)
{
	static const char *reads[] = { "34HJ7O", "HJ1Z3K", "H8123K" }; /* plates.c golden */
	char rep[HOTLIST_PLATE_MAX + 1];
	const char *read = NULL;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]) && !read; i++) {
		int did = 0;
		hl_country nl = ('N' << 8) | 'L';
		if (hotlist__plate_format(nl, reads[i], strlen(reads[i]), rep, &did) ==
			    HL_FORMAT_NO &&
		    did)
			read = reads[i];
	}
	ck_assert_ptr_nonnull(read); /* plates.c repairs these (its golden tests) */
	struct hotlist *hl = engine();
	put(hl, "l", rep, "NL");
	ck_assert_uint_eq(match(hl, read, "NL")->n, 0); /* no options set: exact only */
	struct got *g = match(hl, rep, "NL");
	ck_assert_uint_eq(g->n, 1);
	ck_assert_int_eq(g->h[0].format, 1);
	struct hotlist_list_options o;
	hotlist_list_options_init(&o); /* repair on */
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	g = match(hl, read, "NL");
	ck_assert_uint_eq(g->n, 1);
	ck_assert(g->h[0].repaired);
	ck_assert_int_eq(g->h[0].format, 0);
	o.repair = false;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	ck_assert_uint_eq(match(hl, read, "NL")->n, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- differential: engine against the reference ------------------------------------ */

static uint64_t rng_state;
static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rng_state >> 33) % n);
}

/* Alphabets: the adversarial one is all confusables. */
static const char *const alphabets[] = { "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0ODQ1I", "0O",
					 "ABC1" };

static void random_plate(char *p, unsigned len, const char *alpha)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = alpha[rnd((unsigned)strlen(alpha))];
	p[len] = '\0';
}

static void random_pattern(char *p, const char *alpha)
{
	unsigned len = 1 + rnd(8);
	random_plate(p, len, alpha);
	for (unsigned i = 0, n = 1 + rnd(3); i < n; i++)
		p[rnd(len)] = rnd(2) ? '?' : '*';
	if (strspn(p, "*") == strlen(p))
		p[0] = 'A';
}

/* A read near entry plate e: in-class substitutions, indels, noise. */
static void mutate(char *r, const char *e, const char *alpha)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s", e);
	for (unsigned i = 0, n = rnd(4); i < n; i++) {
		size_t len = strlen(tmp);
		unsigned op = rnd(4), at = len ? rnd((unsigned)len) : 0;
		static const char *const swaps[] = {
			"0O", "OD", "DQ", "1I", "2Z", "5S", "8B", "6G"
		};
		if (op == 0 && len) {
			const char *s = swaps[rnd(8)];
			tmp[at] = tmp[at] == s[0] ? s[1] : s[0];
		} else if (op == 1 && len > 1) {
			memmove(tmp + at, tmp + at + 1, len - at);
		} else if (op == 2 && len < 16) {
			memmove(tmp + at + 1, tmp + at, len - at + 1);
			tmp[at] = alpha[rnd((unsigned)strlen(alpha))];
		} else if (len) {
			tmp[at] = alpha[rnd((unsigned)strlen(alpha))];
		}
	}
	for (char *c = tmp; *c; c++)
		if (*c == '?' || *c == '*')
			*c = 'A';
	snprintf(r, HOTLIST_PLATE_MAX + 1, "%s", tmp[0] ? tmp : "A");
}

#define DIFF_LISTS 3
#define DIFF_ENTRIES 40

struct world {
	struct ref_list lists[DIFF_LISTS];
	struct hotlist_entry e[DIFF_LISTS][DIFF_ENTRIES];
	char plates[DIFF_LISTS][DIFF_ENTRIES][HOTLIST_PLATE_MAX + 1];
	char refs[DIFF_LISTS][DIFF_ENTRIES][24];
	const char *alpha;
};

static const char *const countries[] = { NULL, "NL", "DE" };

static void make_list(struct world *w, unsigned li, int all_wild)
{
	struct ref_list *l = &w->lists[li];
	static const char *const names[] = { "a", "b", "c" };
	l->name = names[li];
	l->n = 1 + rnd(DIFF_ENTRIES);
	l->e = w->e[li];
	hotlist_list_options_init(&l->o);
	l->o.ocr_substitutions = rnd(3);
	l->o.indels = rnd(3);
	l->o.cross_border = rnd(2);
	l->o.repair = rnd(2);
	l->o.weak_hits = true; /* the oracle knows no policy: every hit, weak ones flagged */
	for (size_t i = 0; i < l->n; i++) {
		if (all_wild > 0 || (all_wild == 0 && rnd(8) == 0)) /* -1: none */
			random_pattern(w->plates[li][i], w->alpha);
		else
			random_plate(w->plates[li][i], 1 + rnd(rnd(4) ? 8 : 16), w->alpha);
		snprintf(w->refs[li][i], sizeof(w->refs[li][i]), "%zu", i);
		w->e[li][i] = (struct hotlist_entry){ .plate = w->plates[li][i],
						      .country = countries[rnd(3)],
						      .category = w->refs[li][i],
						      .reference = w->refs[li][i] };
	}
}

/* Load the world into hl: half by replace, the rest by put (edit layer).
 * Categories differ, so no put updates an earlier entry. */
static void load_world(struct hotlist *hl, const struct world *w)
{
	for (unsigned li = 0; li < DIFF_LISTS; li++) {
		const struct ref_list *l = &w->lists[li];
		size_t half = l->n / 2;
		ck_assert_int_eq(hotlist_set_list_options(hl, l->name, &l->o), 0);
		ck_assert_int_eq(hotlist_replace(hl, l->name, l->e, half, NULL), 0);
		for (size_t i = half; i < l->n; i++)
			ck_assert_int_eq(hotlist_put(hl, l->name, &l->e[i]), 0);
	}
}

static int cmp_hit(const void *a, const void *b)
{
	const struct ref_hit *x = a, *y = b;
	if (x->list != y->list)
		return x->list < y->list ? -1 : 1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static void check_read(struct hotlist *hl, const struct world *w, const struct hotlist_read *r,
		       int batch)
{
	struct ref_hit want[MAX_HITS], got[MAX_HITS];
	static struct got g;
	size_t nw = ref_match(w->lists, DIFF_LISTS, r, want, MAX_HITS);
	memset(&g, 0, sizeof(g));
	if (batch)
		hotlist_match_batch(hl, r, 1, record, &g);
	else
		hotlist_match(hl, r, record, &g);
	for (unsigned i = 0; i < g.n; i++)
		got[i] = (struct ref_hit){ (size_t)(g.h[i].list[0] - 'a'),
					   (size_t)strtoul(g.h[i].ref, NULL, 10),
					   g.h[i].kind,
					   g.h[i].subs,
					   g.h[i].indels,
					   g.h[i].candidate,
					   g.h[i].repaired };
	qsort(want, nw, sizeof(want[0]), cmp_hit);
	qsort(got, g.n, sizeof(got[0]), cmp_hit);
	if (nw != g.n) { /* say which, to make a failure readable */
		for (size_t i = 0; i < nw; i++)
			fprintf(stderr, "  want %zu/%zu %s kind %d\n", want[i].list, want[i].entry,
				w->plates[want[i].list][want[i].entry], want[i].kind);
		for (size_t i = 0; i < g.n; i++)
			fprintf(stderr, "  got  %zu/%zu kind %d\n", got[i].list, got[i].entry,
				got[i].kind);
	}
	ck_assert_msg(nw == g.n, "read %s (%s): reference %zu hits, engine %u", r->plate,
		      r->country ? r->country : "", nw, g.n);
	for (size_t i = 0; i < nw; i++) {
		const struct ref_hit *a = &want[i], *b = &got[i];
		ck_assert_msg(a->list == b->list && a->entry == b->entry && a->kind == b->kind &&
				      a->subs == b->subs && a->indels == b->indels &&
				      a->candidate == b->candidate && a->repaired == b->repaired,
			      "read %s: list %zu entry %zu (%s) kind %d/%d subs %u/%u indels %u/%u "
			      "cand %u/%u rep %d/%d",
			      r->plate, a->list, a->entry, w->plates[a->list][a->entry], a->kind,
			      b->kind, a->subs, b->subs, a->indels, b->indels, a->candidate,
			      b->candidate, a->repaired, b->repaired);
	}
}

static void random_read(const struct world *w, char *plate, char cands[3][17],
			const char **cand_ptr, struct hotlist_read *r)
{
	const struct ref_list *l = &w->lists[rnd(DIFF_LISTS)];
	mutate(plate, l->e[rnd((unsigned)l->n)].plate, w->alpha);
	if (rnd(4) == 0)
		random_plate(plate, 1 + rnd(16), w->alpha);
	*r = (struct hotlist_read){ .plate = plate, .country = countries[rnd(3)] };
	if (rnd(4) == 0) {
		unsigned n = 1 + rnd(3);
		for (unsigned c = 0; c < n; c++) {
			mutate(cands[c], l->e[rnd((unsigned)l->n)].plate, w->alpha);
			cand_ptr[c] = cands[c];
		}
		r->candidates = cand_ptr;
		r->n_candidates = n;
	}
}

static void differential(uint64_t seed, const char *alpha, int all_wild, unsigned reads)
{
	static struct world w;
	rng_state = seed;
	memset(&w, 0, sizeof(w));
	w.alpha = alpha;
	for (unsigned li = 0; li < DIFF_LISTS; li++)
		make_list(&w, li, all_wild);
	struct hotlist *hl = engine();
	load_world(hl, &w);
	for (unsigned i = 0; i < reads; i++) {
		char plate[HOTLIST_PLATE_MAX + 1], cands[3][17];
		const char *cand_ptr[3];
		struct hotlist_read r;
		random_read(&w, plate, cands, cand_ptr, &r);
		check_read(hl, &w, &r, (int)(i & 1));
	}
	hotlist_destroy(hl, NULL);
}

/* Hits per read of one batch, by the read's position. */
struct batch_count {
	const struct hotlist_read *base;
	unsigned n[BATCH_READS];
};

static void count_by_read(const struct hotlist_hit *hit, void *user)
{
	struct batch_count *c = user;
	c->n[hit->read - c->base]++;
}

/* Whole batches (several chunks, reads that hit mixed with reads that do
 * not) give every read exactly the hits the reference gives it: the chunk
 * path's prefilters must not lose one. */
static void differential_batch(uint64_t seed, const char *alpha, int wild)
{
	static struct world w;
	static struct hotlist_read r[BATCH_READS];
	static char plates[BATCH_READS][HOTLIST_PLATE_MAX + 1], cands[BATCH_READS][3][17];
	static const char *cand_ptr[BATCH_READS][3];
	static struct batch_count c;
	struct ref_hit want[MAX_HITS];
	rng_state = seed;
	memset(&w, 0, sizeof(w));
	w.alpha = alpha;
	for (unsigned li = 0; li < DIFF_LISTS; li++)
		make_list(&w, li, wild);
	struct hotlist *hl = engine();
	load_world(hl, &w);
	for (unsigned i = 0; i < BATCH_READS; i++)
		random_read(&w, plates[i], cands[i], cand_ptr[i], &r[i]);
	memset(&c, 0, sizeof(c));
	c.base = r;
	hotlist_match_batch(hl, r, BATCH_READS, count_by_read, &c);
	for (unsigned i = 0; i < BATCH_READS; i++) {
		size_t nw = ref_match(w.lists, DIFF_LISTS, &r[i], want, MAX_HITS);
		ck_assert_msg(nw == c.n[i], "batch read %u %s: reference %zu hits, engine %u", i,
			      r[i].plate, nw, c.n[i]);
	}
	hotlist_destroy(hl, NULL);
}

/* Every hit as the caller sees it, in call-back order, with its read. */
struct seen {
	const struct hotlist_read *base; /* batch: the array; NULL: read below */
	size_t read;
	unsigned n;
	struct {
		size_t read;
		char list[16], ref[16];
		int kind;
		unsigned subs, indels, candidate, score;
		bool repaired, weak;
	} h[MAX_HITS * 8];
};

static void see(const struct hotlist_hit *hit, void *user)
{
	struct seen *s = user;
	ck_assert_uint_lt(s->n, MAX_HITS * 8);
	s->h[s->n].read = s->base ? (size_t)(hit->read - s->base) : s->read;
	snprintf(s->h[s->n].list, sizeof(s->h[0].list), "%s", hit->list);
	snprintf(s->h[s->n].ref, sizeof(s->h[0].ref), "%s", hit->reference);
	s->h[s->n].kind = hit->match;
	s->h[s->n].subs = hit->substitutions;
	s->h[s->n].indels = hit->indels;
	s->h[s->n].candidate = hit->candidate;
	s->h[s->n].score = hit->score;
	s->h[s->n].repaired = hit->repaired;
	s->h[s->n].weak = hit->weak;
	s->n++;
}

/* The batch path (hints from the batch filter to hotlist__fz_match_keys)
 * calls back what the single-read path (hotlist__fz_match) does, hit for
 * hit in the same order, with the same costs, scores and weak flags; per:
 * reads per hotlist_match_batch call (its last chunk: per mod 32 reads, a
 * chunk shorter than the batch filter's pipeline when few). */
static void batch_vs_single(uint64_t seed, const char *alpha, size_t per)
{
	static struct world w;
	static struct hotlist_read r[BATCH_READS];
	static char plates[BATCH_READS][HOTLIST_PLATE_MAX + 1], cands[BATCH_READS][3][17];
	static const char *cand_ptr[BATCH_READS][3];
	static struct seen a, b;
	rng_state = seed;
	memset(&w, 0, sizeof(w));
	w.alpha = alpha;
	for (unsigned li = 0; li < DIFF_LISTS; li++)
		make_list(&w, li, -1); /* no patterns: the batch filter decides */
	struct hotlist *hl = engine();
	load_world(hl, &w);
	for (unsigned i = 0; i < BATCH_READS; i++)
		random_read(&w, plates[i], cands[i], cand_ptr[i], &r[i]);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.base = r;
	for (size_t i = 0; i < BATCH_READS; i += per)
		hotlist_match_batch(hl, r + i, BATCH_READS - i < per ? BATCH_READS - i : per, see,
				    &a);
	for (b.read = 0; b.read < BATCH_READS; b.read++)
		hotlist_match(hl, &r[b.read], see, &b);
	ck_assert_uint_gt(a.n, 0);
	ck_assert_uint_eq(a.n, b.n);
	for (unsigned i = 0; i < a.n; i++) {
		ck_assert_msg(
			a.h[i].read == b.h[i].read && !strcmp(a.h[i].list, b.h[i].list) &&
				!strcmp(a.h[i].ref, b.h[i].ref) && a.h[i].kind == b.h[i].kind &&
				a.h[i].subs == b.h[i].subs && a.h[i].indels == b.h[i].indels &&
				a.h[i].candidate == b.h[i].candidate &&
				a.h[i].score == b.h[i].score &&
				a.h[i].repaired == b.h[i].repaired && a.h[i].weak == b.h[i].weak,
			"hit %u: read %zu %s, batch %s/%s kind %d score %u, single %s/%s "
			"kind %d score %u",
			i, a.h[i].read, r[a.h[i].read].plate, a.h[i].list, a.h[i].ref, a.h[i].kind,
			a.h[i].score, b.h[i].list, b.h[i].ref, b.h[i].kind, b.h[i].score);
	}
	hotlist_destroy(hl, NULL);
}

/* With HL_FZ_TEST_BAD_HASH every lookup scans every entry of a kind, so
 * the differential tests there run a quarter of the seeds (the TSan build
 * in CI ran out of time with all of them). */
#ifdef HL_FZ_TEST_BAD_HASH
#define HL_DIFF_SEEDS(n) ((n) / 4)
#else
#define HL_DIFF_SEEDS(n) (n)
#endif

START_TEST(batch_same_as_single)
{
	for (uint64_t s = 1; s <= HL_DIFF_SEEDS(4); s++) {
		batch_vs_single(s * 7368787 + (uint64_t)_i, alphabets[0], BATCH_READS);
		batch_vs_single(s * 2750159 + (uint64_t)_i, alphabets[1], BATCH_READS);
	}
}
END_TEST

/* The same with every batch size from 1 to 40: a last chunk of any length
 * from 1 to 31 reads, and chunks that do not start at a multiple of 32,
 * give the single-read path's hits (the batch filter works on a chunk's
 * reads together). */
START_TEST(batch_sizes_same_as_single)
{
	for (size_t per = 1; per <= 40; per++) {
#ifdef HL_FZ_TEST_BAD_HASH
		/* Each size builds its lists: under the bad hash (TSan in CI)
		 * all 40 took over the case's 120 s, so only sizes at the
		 * edges of a chunk (HL_CHUNK 32) and one inside it. */
		if (per > 2 && per != 16 && (per < 31 || per > 33) && per != 40)
			continue;
#endif
		batch_vs_single(per * 1000003 + (uint64_t)_i, alphabets[per & 1], per);
	}
}
END_TEST

START_TEST(diff_batch)
{
	for (uint64_t s = 1; s <= HL_DIFF_SEEDS(10); s++) {
		/* without patterns, so that the chunk prefilters decide */
		differential_batch(s * 15485863 + (uint64_t)_i, alphabets[0], -1);
		differential_batch(s * 32452843 + (uint64_t)_i, alphabets[1], -1);
		differential_batch(s * 49979687 + (uint64_t)_i, alphabets[0], 0);
	}
}
END_TEST

START_TEST(diff_random)
{
	for (uint64_t s = 1; s <= HL_DIFF_SEEDS(12); s++)
		differential(s * 7919 + (uint64_t)_i, alphabets[0], 0, 300);
}
END_TEST

START_TEST(diff_confusable)
{
	for (uint64_t s = 1; s <= HL_DIFF_SEEDS(8); s++) {
		differential(s * 104729 + (uint64_t)_i, alphabets[1], 0, 200);
		differential(s * 1299709 + (uint64_t)_i, alphabets[2], 0, 200);
	}
}
END_TEST

START_TEST(diff_all_wildcards)
{
	for (uint64_t s = 1; s <= HL_DIFF_SEEDS(8); s++)
		differential(s * 15485863 + (uint64_t)_i, alphabets[3], 1, 200);
}
END_TEST

#ifndef HL_FZ_TEST_BAD_HASH /* 2,000 entries on one chain: a slow scan per read */
/* ---- real data: recall and false hits on Dutch plates ---------------------------------- */

#define REAL_MAX 4096

static size_t load_real(char (*plates)[HOTLIST_PLATE_MAX + 1])
{
	const char *dir = getenv("HOTLIST_SHARED_DATA");
	char path[512], line[256];
	if (!dir)
		return 0;
	snprintf(path, sizeof(path), "%s/plates/nl_plates.csv", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = 0;
	while (n < REAL_MAX && fgets(line, sizeof(line), f)) {
		line[strcspn(line, ",\r\n")] = '\0';
		if (strcmp(line, "plate") && hotlist_normalise_plate(line, plates[n]) > 0)
			n++;
	}
	fclose(f);
	return n;
}

/* One OCR error from the default classes at a random position, or a dropped
 * (kind 1) or doubled (kind 2) character. */
static void noisy(char *r, const char *e, int kind)
{
	static const char *const cls[] = { "0ODQ", "1I", "2Z", "5S", "8B", "6G" };
	size_t len = strlen(e);
	strcpy(r, e);
	if (kind == 1 && len > 1) {
		unsigned at = rnd((unsigned)len);
		memmove(r + at, r + at + 1, len - at);
	} else if (kind == 2 && len < HOTLIST_PLATE_MAX) {
		unsigned at = rnd((unsigned)len);
		memmove(r + at + 1, r + at, len - at + 1);
	} else {
		for (unsigned t = 0; t < 4 * len; t++) {
			unsigned at = rnd((unsigned)len);
			for (int c = 0; c < 6; c++) {
				const char *p = strchr(cls[c], r[at]);
				if (p && r[at]) {
					size_t n = strlen(cls[c]);
					r[at] = cls[c][(size_t)(p - cls[c] + 1 +
								rnd((unsigned)n - 1)) %
						       n];
					return;
				}
			}
		}
	}
}

START_TEST(real_data)
{
	static char plates[REAL_MAX][HOTLIST_PLATE_MAX + 1];
	size_t n = load_real(plates);
	if (n < 100)
		return; /* no shared data here */
	size_t half = n / 2; /* listed: the first half; the rest are innocent cars */
	static struct hotlist_entry e[REAL_MAX];
	for (size_t i = 0; i < half; i++)
		e[i] = (struct hotlist_entry){ .plate = plates[i], .reference = plates[i] };
	static const unsigned ks[][2] = {
		{ 0, 0 }, { 1, 0 }, { 2, 0 }, { 0, 1 }, { 1, 1 }, { 2, 2 }
	};
	rng_state = 42;
	for (size_t s = 0; s < sizeof(ks) / sizeof(ks[0]); s++) {
		struct hotlist *hl = engine();
		set_opts(hl, "nl", ks[s][0], ks[s][1]);
		ck_assert_int_eq(hotlist_replace(hl, "nl", e, half, NULL), 0);
		size_t found[3] = { 0 }, false_hits = 0;
		for (size_t i = 0; i < half; i++) {
			for (int kind = 0; kind < 3; kind++) {
				char r[HOTLIST_PLATE_MAX + 1];
				noisy(r, plates[i], kind);
				struct got *g = match(hl, r, NULL);
				for (unsigned h = 0; h < g->n; h++)
					found[kind] += strcmp(g->h[h].plate, plates[i]) == 0;
			}
		}
		for (size_t i = half; i < n; i++)
			false_hits += match(hl, plates[i], NULL)->n > 0;
		printf("real_data k=%u d=%u listed=%zu recall_ocr1=%.4f recall_drop1=%.4f "
		       "recall_double1=%.4f false_hit_rate=%.4f (innocent=%zu)\n",
		       ks[s][0], ks[s][1], half, (double)found[0] / (double)half,
		       (double)found[1] / (double)half, (double)found[2] / (double)half,
		       (double)false_hits / (double)(n - half), n - half);
		if (ks[s][0] >= 1)
			ck_assert_uint_ge(found[0], half * 99 / 100);
		if (ks[s][1] >= 1)
			ck_assert_uint_eq(found[1], half);
		hotlist_destroy(hl, NULL);
	}
}
END_TEST
#endif

/* ---- fingerprint collisions --------------------------------------------------------- */

#ifdef HL_FZ_TEST_BAD_HASH
#include <stdatomic.h>
extern atomic_ulong hotlist__fz_test_rejects; /* fuzzy.c's test hook */
#endif

/*
 * The index keeps 16-bit fingerprints, not keys: a slot whose fingerprint
 * matches may belong to another key. In test_fuzzy_badhash (fuzzy.c built
 * with HL_FZ_TEST_BAD_HASH) every key of a kind has the same fingerprint and
 * primary bucket, so every lookup meets every entry: all must still be
 * found, and only the ones within budget may come back, which holds only
 * because each candidate is verified against the entry's real key (without
 * it, every read here would hit all five entries). Single reads and one
 * batch (its filter answers "maybe" for every read in that build).
 */
START_TEST(fingerprint_collision)
{
	static const char *const list[] = { "AB12CD", "XY98ZW", "KL55MN", "QR7", "TTT1234" };
	static const struct {
		const char *read, *want; /* want NULL: no hit */
	} cases[] = {
		{ "AB12CD", "AB12CD" }, /* exact */
		{ "AB12C0", "AB12CD" }, /* D/0: one substitution */
		{ "XY98W", "XY98ZW" }, /* the read misses a character */
		{ "QR77", "QR7" }, /* the read has an extra one */
		{ "TTT12345", "TTT1234" },
		{ "KL5MM", NULL }, /* an indel and an out-of-class substitution */
		{ "ZZZZZZ", NULL },
		{ "QS", NULL }, /* R/S: not one class */
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct hotlist_entry e[5];
	for (size_t i = 0; i < 5; i++)
		e[i] = (struct hotlist_entry){ .plate = list[i], .reference = list[i] };
	struct hotlist *hl = engine();
	set_opts(hl, "l", 1, 1);
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 5, NULL), 0);
#ifdef HL_FZ_TEST_BAD_HASH
	unsigned long before = atomic_load(&hotlist__fz_test_rejects);
#endif
	for (size_t i = 0; i < N; i++) {
		struct got *g = match(hl, cases[i].read, NULL);
		ck_assert_msg(g->n == (cases[i].want ? 1u : 0u), "read %s: %u hits", cases[i].read,
			      g->n);
		if (cases[i].want)
			ck_assert_str_eq(g->h[0].plate, cases[i].want);
	}
	static struct got g;
	struct hotlist_read r[N];
	memset(&g, 0, sizeof(g));
	for (size_t i = 0; i < N; i++)
		r[i] = (struct hotlist_read){ .plate = cases[i].read };
	ck_assert_int_ge(hotlist_match_batch(hl, r, N, record, &g), 0);
	ck_assert_uint_eq(g.n, 5); /* the five reads with a want, once each */
	for (unsigned h = 0; h < g.n; h++)
		ck_assert_msg(strcmp(g.h[h].plate, "KL55MN") != 0, "false hit");
#ifdef HL_FZ_TEST_BAD_HASH
	/* the collisions happened: candidates were met and turned down */
	ck_assert_uint_gt(atomic_load(&hotlist__fz_test_rejects) - before, N);
#endif
	hotlist_destroy(hl, NULL);
}
END_TEST

static Suite *fuzzy_suite(void)
{
	Suite *s = suite_create("fuzzy");
	TCase *g = tcase_create("golden");
	tcase_add_test(g, autovu_k1);
	tcase_add_test(g, autovu_d1);
	tcase_add_test(g, autovu_k1_d1);
	tcase_add_test(g, wildcards);
	tcase_add_test(g, glob_and_verify_units);
	tcase_add_test(g, candidates_and_lists);
	tcase_add_test(g, cross_border);
	tcase_add_test(g, options_kept);
	tcase_add_test(g, repair);
	tcase_add_test(g, fingerprint_collision);
	suite_add_tcase(s, g);
	TCase *d = tcase_create("differential");
	tcase_set_timeout(d, 120);
	tcase_add_loop_test(d, diff_random, 0, 2);
	tcase_add_loop_test(d, diff_batch, 0, 2);
	tcase_add_loop_test(d, batch_same_as_single, 0, 2);
	tcase_add_loop_test(d, batch_sizes_same_as_single, 0, 1);
	tcase_add_loop_test(d, diff_confusable, 0, 2);
	tcase_add_loop_test(d, diff_all_wildcards, 0, 2);
#ifndef HL_FZ_TEST_BAD_HASH /* 2,000 entries on one chain: a slow scan per read */
	tcase_add_test(d, real_data);
#endif
	suite_add_tcase(s, d);
	return s;
}

int main(void)
{
	return hl_test_run(fuzzy_suite());
}
