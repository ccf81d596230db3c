/* SPDX-License-Identifier: MIT */
/*
 * The score of a fuzzy hit and the innocent-alert estimate of a list
 * (score.c; model and parameters in docs/fuzzy.md, "Score"). Internal.
 */
#ifndef HOTLIST_SCORE_H
#define HOTLIST_SCORE_H

#include "normalise.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hl_base;
struct hl_fuzzy;
struct hl_fz_opts;

/* The part of a hit's score that depends on the read alone, kept between
 * the hits of one read (zero it per read; the read's storage must not
 * change under it). */
struct hl_score_cache {
	const struct hl_score_model *m;
	const char *skel;
	const char *read;
	size_t rlen;
	hl_country country;
	double z;
};

/* What the matcher knows about one fuzzy hit when it scores it. */
struct hl_score_in {
	const char *skel; /* the list's confusion classes (struct hl_fz_opts.skel) */
	const char *read; /* the variant that hit, normalised */
	size_t rlen;
	const char *entry; /* the entry plate, normalised */
	size_t elen;
	unsigned subs, indels; /* the cost the verifier found */
	hl_country country; /* the read's country, 0 unknown */
	int format; /* the read as read fits its country's layouts: 1, 0, -1 no rules */
	bool repaired_elsewhere; /* it does not, one repair does, and that plate is
				    not on this list */
	unsigned neighbours; /* fuzzy hits of this list for this read (>= 1) */
	unsigned candidate; /* 0: the plate; i: OCR candidate i hit the entry */
	unsigned support; /* later variants (OCR candidates) that also hit the entry */
	struct hl_score_cache *cache; /* NULL: none */
	const char *self; /* the estimate: a listed plate taken as an innocent
			     car's, left out of the list's shares; NULL none */
	size_t slen;
};

/* Per fuzzy index: the list's plate shapes and the estimates made at build. */
struct hl_score_model;

/* Build m for base b (the layouts of its entries: country, length, which
 * positions are letters). 0 or HOTLIST_ENOMEM. */
int hotlist__score_model_build(struct hl_score_model **out, const struct hl_base *b,
			       const struct hotlist_allocator *a);
void hotlist__score_model_free(struct hl_score_model *m, const struct hotlist_allocator *a);
size_t hotlist__score_model_bytes(const struct hl_score_model *m);

/*
 * Estimate, for every budget k <= 2, d <= the index's, the share of innocent
 * reads that raise a fuzzy hit in f (index of b, model m inside f) and their
 * best score, by matching plates drawn from b's own layouts (see score.c).
 * Deterministic for a given base. Touches only its arguments.
 */
void hotlist__score_estimate(struct hl_score_model *m, const struct hl_fuzzy *f,
			     const struct hl_base *b, const struct hl_fz_opts *o,
			     const struct hotlist_allocator *a);

/* The score 0..100 of one fuzzy hit under budget (k, d) of a list whose
 * index carries m (NULL: no model; the layout and prior terms are left out).
 * Threads: any, wait-free, pure. */
unsigned hotlist__score(const struct hl_score_model *m, unsigned k, unsigned d,
			const struct hl_score_in *in);
/* An upper bound of hotlist__score(m, k, d, in), without most of the sum
 * over the plates an innocent car may have (the read's own plate only):
 * cheap, for a hit that is dropped when it scores below a threshold. */
unsigned hotlist__score_upper(const struct hl_score_model *m, unsigned k, unsigned d,
			      const struct hl_score_in *in);

/* The log-likelihood ratio of the hit before the list's offsets and the
 * bias (what hotlist__score maps to 0..100; unsaturated, for tests). */
double hotlist__score_llr(const struct hl_score_model *m, const struct hl_score_in *in);

/* Estimated innocent reads per 1,000 with a fuzzy hit (hits) and with one
 * scoring min_score or more (alerts) at budget (k, d); -1 if not estimated. */
void hotlist__score_rates(const struct hl_score_model *m, unsigned k, unsigned d,
			  unsigned min_score, double *hits, double *alerts);

/* The threshold in force for a list with options o and index model m:
 * o->min_score, or for the automatic policy the lowest threshold from it on
 * whose estimated innocent alerts (at o's budget) plus one standard error of
 * the estimate (hotlist__score_bound) are within o->target. */
unsigned hotlist__score_threshold(const struct hl_score_model *m, const struct hl_fz_opts *o);

/* The estimate's upper bound at one threshold: alerts (per 1,000) plus z
 * standard errors of its two strata, each n alerting samples of weight w
 * (share of reads per sample) drawn rep times per listed plate on average
 * (at least 1): the count is the list's alerting plates, Poisson, and a
 * plate drawn rep times counts rep times. Pure. */
double hotlist__score_bound(double alerts, double w_c, double rep_c, uint32_t n_c, double w_m,
			    double rep_m, uint32_t n_m, double z);

/* The lowest threshold from floor on (at most 100) whose bound_at is within
 * target: the automatic policy's pick. Pure. */
unsigned hotlist__score_pick(const double *bound_at, unsigned floor, double target);

#endif /* HOTLIST_SCORE_H */
