/* SPDX-License-Identifier: MIT */
/*
 * pattern.c — wildcard entries: their normalisation, the glob matcher and
 * the per-base pattern store.
 *
 * A pattern is an entry whose plate has '?' (exactly one character) or '*'
 * (any run, possibly empty). It is normalised like a plate, segment by
 * segment, keeping the wildcards (runs of '*' collapse to one), and packed
 * into the meta key with codes 37 ('?') and 38 ('*') (normalise.c), so its
 * key never equals a plate's: the exact index may hold it (the edit layer
 * finds hides and removes by key) but no read ever finds it there. Reads
 * find patterns through the store below, built with the base (list.c) and
 * immutable like it; a base without patterns has none (NULL), so exact-only
 * lists pay one pointer test. The store knows patterns by their key and the
 * index of their run (given by list.c), nothing of bases.
 *
 * Store layout (one allocation for the array, the header holds the index):
 *
 *   start[b] .. start[b+1]   patterns anchored at literal bigram b
 *   (b = 36 * c(x) + c(y), c = 0..9 for digits, 10..35 for letters), then
 *   start[HL_NO_ANCHOR] .. n the patterns with no two literals side by side
 *   ("A?B*", "*?*"), tried for every read.
 *   v[]: { run, len, min_len, star, text } 24 bytes each, sorted by anchor.
 *
 * A pattern's anchor is its literal bigram that fewest patterns of the base
 * contain (counted at build), so hot bigrams do not pile up in one bucket. A
 * string matching the pattern contains the anchor, so a read looks up each
 * of its own distinct bigrams (at most 15) and verifies what it finds with
 * the glob, after a length check.
 *
 * Glob: iterative with the single backtrack point of the last '*' (the
 * classic star-position trick): O(len(pattern) * len(plate)) worst case, no
 * recursion, no allocation.
 *
 * Threads: the store is read-only after build; any number of readers.
 */
#include "pattern.h"

#include "alloc.h"
#include "common.h"
#include "normalise.h"

#include <string.h>

#define HL_ALNUM 36 /* characters of a normalised plate */
#define HL_BIGRAMS (HL_ALNUM * HL_ALNUM)
#define HL_NO_ANCHOR HL_BIGRAMS /* bucket of patterns without a literal bigram */
#define HL_NOT_ALNUM 255

struct hl_pat {
	uint32_t run; /* first meta of the pattern's run */
	uint8_t len; /* pattern characters */
	uint8_t min_len; /* characters a match has at least (all but '*') */
	uint8_t star; /* has a '*': longer plates may match */
	char text[HOTLIST_PLATE_MAX + 1];
};

struct hl_patterns {
	struct hl_pat *v;
	uint32_t n;
	uint32_t start[HL_BIGRAMS + 2]; /* start[HL_NO_ANCHOR + 1] == n */
};

bool hotlist__is_pattern(const char *raw)
{
	size_t n = strnlen(raw, HOTLIST_RAW_PLATE_MAX + 1);
	return memchr(raw, '?', n) || memchr(raw, '*', n);
}

/* Append the normalised segment seg[0..s) to out[*n]; 0 or HOTLIST_EPLATE. */
static int put_segment(char *seg, size_t s, char *out, size_t *n)
{
	char norm[HOTLIST_PLATE_MAX + 1];
	/* a sentinel digit keeps an all-separator segment ("-") from looking
	 * like an error; it is dropped again below */
	seg[s] = '0';
	seg[s + 1] = '\0';
	int len = hotlist__normalise_plate(seg, norm);
	if (len < 0 || *n + (size_t)len - 1 > HOTLIST_PLATE_MAX)
		return HOTLIST_EPLATE;
	memcpy(out + *n, norm, (size_t)len - 1);
	*n += (size_t)len - 1;
	return 0;
}

int hotlist__pattern_normalise(const char *raw, char out[HOTLIST_PLATE_MAX + 1])
{
	char seg[HOTLIST_RAW_PLATE_MAX + 2], tmp[HOTLIST_PLATE_MAX + 1];
	size_t rawlen = strnlen(raw, HOTLIST_RAW_PLATE_MAX + 1), n = 0, s = 0;
	if (rawlen > HOTLIST_RAW_PLATE_MAX)
		return HOTLIST_EPLATE;
	for (size_t i = 0; i <= rawlen; i++) {
		char c = raw[i];
		if (c != '?' && c != '*' && c != '\0') {
			seg[s++] = c;
			continue;
		}
		if (s && put_segment(seg, s, tmp, &n))
			return HOTLIST_EPLATE;
		s = 0;
		if (c == '\0')
			break;
		if (c == '*' && n && tmp[n - 1] == '*')
			continue;
		if (n == HOTLIST_PLATE_MAX)
			return HOTLIST_EPLATE;
		tmp[n++] = c;
	}
	if (n == 0 || (n == 1 && tmp[0] == '*'))
		return HOTLIST_EPLATE;
	tmp[n] = '\0';
	memcpy(out, tmp, n + 1);
	return (int)n;
}

bool hotlist__glob(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
	while (si < sn) {
		if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) {
			pi++;
			si++;
		} else if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (star != SIZE_MAX) {
			pi = star + 1; /* let the last '*' eat one more character */
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

static unsigned alnum(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A') + 10;
	return HL_NOT_ALNUM;
}

/* Bigram id of text[i], text[i + 1], or HL_NO_ANCHOR if either is a wildcard. */
static unsigned bigram(const char *t, size_t i)
{
	unsigned a = alnum(t[i]), b = alnum(t[i + 1]);
	return (a == HL_NOT_ALNUM || b == HL_NOT_ALNUM) ? HL_NO_ANCHOR : a * HL_ALNUM + b;
}

static void pat_init(struct hl_pat *p, const struct hl_key *key, uint32_t run)
{
	p->run = run;
	p->len = (uint8_t)hotlist__key_unpack(key, p->text);
	p->star = memchr(p->text, '*', p->len) != NULL;
	p->min_len = 0;
	for (size_t i = 0; i < p->len; i++)
		p->min_len += p->text[i] != '*';
}

/* The pattern's literal bigram with the lowest count, or HL_NO_ANCHOR. */
static unsigned anchor_of(const struct hl_pat *p, const uint32_t *count)
{
	unsigned best = HL_NO_ANCHOR;
	for (size_t i = 0; i + 1 < p->len; i++) {
		unsigned g = bigram(p->text, i);
		if (g != HL_NO_ANCHOR && (best == HL_NO_ANCHOR || count[g] < count[best]))
			best = g;
	}
	return best;
}

/* Fill tmp (in run order) and count bigrams; returns the patterns found. */
static uint32_t collect(const struct hl_key *keys, const uint32_t *runs, uint32_t n_pat,
			struct hl_pat *tmp, uint32_t *count)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < n_pat; i++) {
		pat_init(&tmp[n], &keys[i], runs[i]);
		for (size_t j = 0; j + 1 < tmp[n].len; j++) {
			unsigned g = bigram(tmp[n].text, j);
			count[g] += g != HL_NO_ANCHOR;
		}
		n++;
	}
	return n;
}

int hotlist__patterns_build(struct hl_patterns **out, const struct hl_key *keys,
			    const uint32_t *runs, uint32_t n, const struct hotlist_allocator *a)
{
	uint32_t count[HL_BIGRAMS + 1] = { 0 };
	*out = NULL;
	if (!n)
		return 0;
	struct hl_patterns *p = hotlist__zalloc(a, sizeof(*p), HL_CACHE_LINE);
	struct hl_pat *tmp = hotlist__alloc(a, n * sizeof(*tmp), 8);
	if (p)
		p->v = hotlist__alloc(a, n * sizeof(*p->v), HL_CACHE_LINE);
	if (!p || !tmp || !p->v) {
		hotlist__free(a, tmp, n * sizeof(*tmp));
		hotlist__patterns_free(p, a);
		return HOTLIST_ENOMEM;
	}
	p->n = collect(keys, runs, n, tmp, count);
	/* the anchor is computed twice (count, place) rather than stored */
	uint32_t fill[HL_BIGRAMS + 1] = { 0 };
	for (uint32_t i = 0; i < n; i++)
		fill[anchor_of(&tmp[i], count)]++;
	for (unsigned g = 0, at = 0; g <= HL_NO_ANCHOR; g++) {
		p->start[g] = at;
		at += fill[g];
		fill[g] = p->start[g];
	}
	p->start[HL_NO_ANCHOR + 1] = n;
	for (uint32_t i = 0; i < n; i++)
		p->v[fill[anchor_of(&tmp[i], count)]++] = tmp[i];
	hotlist__free(a, tmp, n * sizeof(*tmp));
	*out = p;
	return 0;
}

void hotlist__patterns_free(struct hl_patterns *p, const struct hotlist_allocator *a)
{
	if (!p)
		return;
	hotlist__free(a, p->v, p->n * sizeof(*p->v));
	hotlist__free(a, p, sizeof(*p));
}

size_t hotlist__patterns_bytes(const struct hl_patterns *p)
{
	return p ? sizeof(*p) + hotlist__alloc_bytes(p->n * sizeof(*p->v)) : 0;
}

static void try_bucket(const struct hl_patterns *p, unsigned g, const char *plate, size_t len,
		       hl_fz_emit emit, void *ctx)
{
	for (uint32_t i = p->start[g]; i < p->start[g + 1]; i++) {
		const struct hl_pat *x = &p->v[i];
		if ((x->star ? len >= x->min_len : len == x->min_len) &&
		    hotlist__glob(x->text, x->len, plate, len))
			emit(ctx, x->run, 0, 0);
	}
}

void hotlist__patterns_match(const struct hl_patterns *p, const char *plate, size_t len,
			     hl_fz_emit emit, void *ctx)
{
	unsigned seen[HOTLIST_PLATE_MAX];
	size_t n_seen = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned g = bigram(plate, i), dup = 0;
		for (size_t j = 0; j < n_seen; j++)
			dup |= seen[j] == g;
		if (dup || g == HL_NO_ANCHOR)
			continue; /* a pattern is verified once per plate */
		seen[n_seen++] = g;
		try_bucket(p, g, plate, len, emit, ctx);
	}
	try_bucket(p, HL_NO_ANCHOR, plate, len, emit, ctx);
}
