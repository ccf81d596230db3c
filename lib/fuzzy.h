/* SPDX-License-Identifier: MIT */
/*
 * fuzzy.h — OCR-equivalence (k) and insert/delete (d) matching (fuzzy.c):
 * a list's matching options (struct hl_fz_opts, carried by every list
 * version), the verifier, and the OCR/indel index of a base. See
 * docs/fuzzy.md. Uses: list (the runs of a base), pattern (hl_fz_emit),
 * normalise, alloc.
 */
#ifndef HOTLIST_FUZZY_H
#define HOTLIST_FUZZY_H

#include "hotlist.h"
#include "normalise.h"
#include "pattern.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hl_base;
struct hl_score_model;

#define HL_FZ_MAX_K 2 /* substitutions budget k allowed by the API */
#define HL_FZ_MAX_D 2 /* indel budget d allowed by the API */
#define HL_CLASSES_MAX 128 /* bytes of an ocr_classes string, with its NUL */
#define HL_DEFAULT_CLASSES "0ODQ 1I 2Z 5S 8B 6G"
#define HL_ASCII 128
#define HL_ALNUM 36

/* A list's resolved options. skel maps every character to its confusion
 * class's representative (the first of its group), itself when in none. */
struct hl_fz_opts {
	uint8_t k, d;
	bool cross_border, repair;
	uint8_t min_score; /* 0..100; 0: policy off, no score computed */
	bool auto_score; /* min_score is the floor of the automatic threshold */
	bool weak_hits; /* call back weak hits, flagged */
	float target; /* innocent alerts per 1,000 of the automatic threshold */
	char skel[HL_ASCII];
	char classes[HL_CLASSES_MAX];
};

/* The options of a list that never had any set: exact matching only, repair
 * off too, so that such lists cost the read path nothing (the repair check
 * runs the country rules on every read of a country with rules). */
void hotlist__fz_opts_default(struct hl_fz_opts *o);
/* Validate and resolve public options. 0 or HOTLIST_EINVAL (o untouched). */
int hotlist__fz_opts_set(struct hl_fz_opts *o, const struct hotlist_list_options *in);
static inline bool hl_fz_on(const struct hl_fz_opts *o)
{
	return o->k > 0 || o->d > 0;
}

/* What one query has verified (runs of an index, plates of an overlay's
 * fuzzy key table), so that one reached through several of its keys is
 * verified once; past HL_FZ_SEEN a value may be verified (and emitted)
 * twice, which the caller's dedup absorbs. */
#define HL_FZ_SEEN 64
struct hl_fz_seen {
	uint32_t v[HL_FZ_SEEN];
	unsigned n;
};

/* Whether x is new to s (then remembered, while there is room). */
static inline bool hl_fz_seen_first(struct hl_fz_seen *s, uint32_t x)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return false;
	if (s->n < HL_FZ_SEEN)
		s->v[s->n++] = x;
	return true;
}

/*
 * Cheapest alignment of read r (m chars) onto entry e (n chars): equal
 * characters cost nothing, a substitution within a class costs one of k,
 * an inserted or deleted character one of d. Returns 1 and the costs when
 * one fits both budgets (fewest indels first, then fewest substitutions),
 * else 0. m, n <= HOTLIST_PLATE_MAX.
 */
int hotlist__fz_verify(const char *skel, unsigned k, unsigned d, const char *r, size_t m,
		       const char *e, size_t n, unsigned *subs, unsigned *indels);

/* The OCR/indel index of one base under one (d, classes): refcounted, shared
 * by the list versions that keep that base and those options. */
struct hl_fuzzy;

/* Build the index of b's runs for o's classes and d, with its score model
 * (score.h); estimate: also sample the innocent-alert rate (for a list's
 * base; not for the small index of an edit layer, rebuilt by every put
 * under the writer lock); seed: the table's hash seed (random per build).
 * 0, HOTLIST_ENOMEM, HOTLIST_ENOSPC (more than 2^27 - 1 runs in b, or as
 * many words of refs). */
int hotlist__fz_build(struct hl_fuzzy **out, const struct hl_base *b, const struct hl_fz_opts *o,
		      bool estimate, uint64_t seed, const struct hotlist_allocator *a);
void hotlist__fz_get(struct hl_fuzzy *f);
void hotlist__fz_put(struct hl_fuzzy *f, const struct hotlist_allocator *a);
size_t hotlist__fz_bytes(const struct hl_fuzzy *f);
/* The indel budget f was built for (its DEL keys answer d up to it). */
unsigned hotlist__fz_index_d(const struct hl_fuzzy *f);
/* The score model of f's base (score.h), or NULL when f is NULL. */
const struct hl_score_model *hotlist__fz_model(const struct hl_fuzzy *f);
/* Whether f was built for base b with the classes and d of o (reusable). */
bool hotlist__fz_fits(const struct hl_fuzzy *f, const struct hl_base *b,
		      const struct hl_fz_opts *o);

/* Every run of b (f's base) within budget o->k, o->d of plate (len chars):
 * verified, each run at most once per call. Threads: any, wait-free. */
void hotlist__fz_match(const struct hl_fuzzy *f, const struct hl_base *b,
		       const struct hl_fz_opts *o, const char *plate, size_t len, hl_fz_emit emit,
		       void *ctx);

/* score.c: the estimated innocent hit and alert rates of a list with
 * index f (base's, or NULL) and options o into out's fields of that name. */
void hotlist__score_info(const struct hl_fuzzy *f, const struct hl_fz_opts *o,
			 struct hotlist_list_info *out);

/* Plates per hotlist__fz_maybe call at most: the bits of its answer. */
#define HL_FZ_BATCH 32

/*
 * Batch filter for plates[0..n) (lens[i] chars each, n <= HL_FZ_BATCH) in
 * f, the index of base b: bit i set when plate i may hit in f (some slot
 * holds the fingerprint of a key of its query; not verified), clear when
 * hotlist__fz_match would find nothing. All n bits set when o->d = 2 (its
 * query is per plate). Every key of the batch is hashed and its
 * skeleton-filter word (SKEL keys) or bucket (DEL) prefetched before any is
 * read, then the buckets of the SKEL keys the filter passes, then the entry
 * records of b that the slots found point to (hotlist__fz_match verifies
 * against them): the cache misses of different plates overlap. hint (n
 * words, or NULL): per plate, which of its keys have a slot of their
 * fingerprint, for hotlist__fz_match_keys (0 for a plate whose bit is
 * clear; meaningless when o->d = 2).
 */
uint32_t hotlist__fz_maybe(const struct hl_fuzzy *f, const struct hl_base *b,
			   const struct hl_fz_opts *o, const char *const *plates,
			   const size_t *lens, size_t n, uint32_t *hint);

/*
 * hotlist__fz_match for a plate that hotlist__fz_maybe(f, b, o, ...) saw,
 * with the hint it wrote for it: looks up only the keys the hint names
 * (their buckets are cached), without filtering or hashing the others
 * again. The same runs, in the same order, as hotlist__fz_match. Falls
 * back to hotlist__fz_match when o->d = 2. Threads: any, wait-free.
 */
void hotlist__fz_match_keys(const struct hl_fuzzy *f, const struct hl_base *b,
			    const struct hl_fz_opts *o, const char *plate, size_t len,
			    uint32_t hint, hl_fz_emit emit, void *ctx);

/*
 * Keys of the index, for an edit layer that keeps its own table of them
 * (snapshot_edit.c, "The fuzzy key table"): the same keys as the index of a
 * base, so that a read meets the same entries either way.
 */
enum { HL_FZ_SKEL = 0, HL_FZ_DEL = 1 };
/* Keys of one entry at most: its SKEL key, and one DEL key per character. */
#define HL_FZ_ENTRY_KEYS (1 + HOTLIST_PLATE_MAX)
/* Query keys of one kind at most: S, 16 single deletions, C(16,2) double
 * deletions, 17 positions x 36 characters of insertion. */
#define HL_FZ_QKEYS (1 + HOTLIST_PLATE_MAX + 120 + (HOTLIST_PLATE_MAX + 1) * HL_ALNUM)
struct hl_fz_qkeys {
	struct hl_key k[HL_FZ_QKEYS];
	size_t n;
};

/* The index keys of entry plate (len chars, not a pattern) under o's
 * classes: its SKEL key first, then (o->d >= 1) its DEL keys, the keys of
 * kind HL_FZ_DEL (the rest). Returns how many. */
size_t hotlist__fz_entry_keys(const struct hl_fz_opts *o, const char *plate, size_t len,
			      struct hl_key out[HL_FZ_ENTRY_KEYS]);
/* The query of read plate (len chars) under o (k, d and classes), only
 * keys that can find entries of the lengths in lens (bit L: some entry has
 * L characters): q[HL_FZ_SKEL] and q[HL_FZ_DEL], as hotlist__fz_match makes
 * them. An entry within budget has one of its keys among them. */
void hotlist__fz_query_keys(const struct hl_fz_opts *o, uint32_t lens, const char *plate,
			    size_t len, struct hl_fz_qkeys q[2]);
/* The d <= 1 query of plate (o->d <= 1), likewise: SKEL keys into sk
 * (returned: how many, at most 1 + HOTLIST_PLATE_MAX), the DEL key into dk
 * (*n_del: 0 or 1). For a batch filter. */
size_t hotlist__fz_plate_keys(const struct hl_fz_opts *o, uint32_t lens, const char *plate,
			      size_t len, struct hl_key *sk, struct hl_key *dk, size_t *n_del);

#endif /* HOTLIST_FUZZY_H */
