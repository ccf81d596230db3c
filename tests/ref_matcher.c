/* SPDX-License-Identifier: MIT */
/*
 * ref_matcher.c — the reference for fuzzy matching (see ref_matcher.h).
 *
 * For every list, every entry, every variant of the read in order (plate,
 * plate repaired, candidate 1, candidate 1 repaired, ...), the entry is
 * tried with the rules stated plainly: a pattern by glob, a plate by
 * equality, or, if the list has k or d, by a recursive search of every
 * alignment within budget. The first variant that hits wins; within it the
 * cheapest alignment. Normalisation and country rules come from the library
 * (they have their own tests); the matching does not.
 */
#include "ref_matcher.h"

#include "normalise.h"
#include "pattern.h"
#include "plates.h"

#include <string.h>

#define REF_DEFAULT_CLASSES "0ODQ 1I 2Z 5S 8B 6G"
#define REF_VARIANTS (2 * (1 + HOTLIST_CANDIDATES_MAX))

bool ref_glob(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '*')
		return ref_glob(p + 1, s) || (*s && ref_glob(p, s + 1));
	return *s && (*p == '?' || *p == *s) && ref_glob(p + 1, s + 1);
}

/* Whether a and b are in one group of the classes text. */
static bool same_class(const char *classes, char a, char b)
{
	const char *g = classes;
	while (*g) {
		size_t n = strcspn(g, " ");
		if (n && memchr(g, a, n) && memchr(g, b, n))
			return true;
		g += n;
		g += strspn(g, " ");
	}
	return false;
}

struct search {
	const char *classes;
	unsigned k, d;
	int best_s, best_x; /* -1: none yet */
};

static void walk(struct search *q, const char *r, const char *e, unsigned s, unsigned x)
{
	if (s > q->k || x > q->d)
		return;
	if (!*r && !*e) {
		if (q->best_x < 0 || x < (unsigned)q->best_x ||
		    (x == (unsigned)q->best_x && s < (unsigned)q->best_s)) {
			q->best_x = (int)x;
			q->best_s = (int)s;
		}
		return;
	}
	if (*r && *e && *r == *e)
		walk(q, r + 1, e + 1, s, x);
	if (*r && *e && *r != *e && same_class(q->classes, *r, *e))
		walk(q, r + 1, e + 1, s + 1, x);
	if (*r)
		walk(q, r + 1, e, s, x + 1); /* the read has an extra character */
	if (*e)
		walk(q, r, e + 1, s, x + 1); /* the read misses one */
}

bool ref_cost(const char *classes, unsigned k, unsigned d, const char *r, const char *e,
	      unsigned *subs, unsigned *indels)
{
	struct search q = { classes, k, d, -1, -1 };
	walk(&q, r, e, 0, 0);
	if (q.best_x < 0)
		return false;
	*subs = (unsigned)q.best_s;
	*indels = (unsigned)q.best_x;
	return true;
}

struct variant {
	char plate[HOTLIST_PLATE_MAX + 1];
	unsigned candidate;
	bool repaired;
};

/* The variants of r in order of preference; returns how many. */
static size_t variants(const struct hotlist_read *r, struct variant *v)
{
	char cc[3];
	hl_country country = 0;
	size_t n = 0;
	if (hotlist_normalise_country(r->country, cc) == 0 && cc[0])
		country = (hl_country)((unsigned char)cc[0] << 8 | (unsigned char)cc[1]);
	unsigned nc = r->candidates ? r->n_candidates : 0;
	if (nc > HOTLIST_CANDIDATES_MAX)
		nc = HOTLIST_CANDIDATES_MAX;
	for (unsigned c = 0; c <= nc; c++) {
		const char *raw = c ? r->candidates[c - 1] : r->plate;
		if (!raw || hotlist_normalise_plate(raw, v[n].plate) < 0)
			continue;
		v[n].candidate = c;
		v[n].repaired = false;
		n++;
		int did = 0;
		size_t len = strlen(v[n - 1].plate);
		if (country &&
		    hotlist__plate_format(country, v[n - 1].plate, len, v[n].plate, &did) ==
			    HL_FORMAT_NO &&
		    did && strcmp(v[n].plate, v[n - 1].plate)) {
			v[n].candidate = c;
			v[n].repaired = true;
			n++;
		}
	}
	return n;
}

static bool country_ok(const struct ref_list *l, const char *entry_country, const char *read)
{
	char e[3] = "", r[3] = "";
	hotlist_normalise_country(entry_country, e);
	hotlist_normalise_country(read, r);
	return !e[0] || !r[0] || strcmp(e, r) == 0 || l->o.cross_border;
}

/* Try entry e of list l against variant v: 1 and the hit's kind and costs. */
static bool try_entry(const struct ref_list *l, const struct hotlist_entry *e,
		      const struct variant *v, struct ref_hit *h)
{
	char norm[HOTLIST_PLATE_MAX + 1];
	const char *cls = l->o.ocr_classes ? l->o.ocr_classes : REF_DEFAULT_CLASSES;
	h->subs = h->indels = 0;
	if (hotlist__is_pattern(e->plate)) {
		h->kind = HOTLIST_MATCH_WILDCARD;
		return hotlist__pattern_normalise(e->plate, norm) > 0 && ref_glob(norm, v->plate);
	}
	if (hotlist_normalise_plate(e->plate, norm) < 0)
		return false;
	if (strcmp(norm, v->plate) == 0) {
		h->kind = HOTLIST_MATCH_EXACT;
		return true;
	}
	if (!l->o.ocr_substitutions && !l->o.indels)
		return false;
	if (!ref_cost(cls, l->o.ocr_substitutions, l->o.indels, v->plate, norm, &h->subs,
		      &h->indels))
		return false;
	h->kind = h->indels ? HOTLIST_MATCH_INDEL : HOTLIST_MATCH_OCR;
	return true;
}

size_t ref_match(const struct ref_list *lists, size_t n_lists, const struct hotlist_read *r,
		 struct ref_hit *out, size_t cap)
{
	struct variant v[REF_VARIANTS];
	size_t nv = variants(r, v), hits = 0;
	for (size_t li = 0; li < n_lists; li++) {
		const struct ref_list *l = &lists[li];
		for (size_t ei = 0; ei < l->n; ei++) {
			if (!country_ok(l, l->e[ei].country, r->country))
				continue;
			for (size_t vi = 0; vi < nv; vi++) {
				struct ref_hit h = { .list = li, .entry = ei };
				if (v[vi].repaired && !l->o.repair)
					continue;
				if (!try_entry(l, &l->e[ei], &v[vi], &h))
					continue;
				h.candidate = v[vi].candidate;
				h.repaired = v[vi].repaired;
				if (hits < cap)
					out[hits] = h;
				hits++;
				break;
			}
		}
	}
	return hits;
}
