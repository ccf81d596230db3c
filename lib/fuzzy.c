/* SPDX-License-Identifier: MIT */
/*
 * fuzzy.c — OCR-equivalence (k) and insert/delete (d) matching: list
 * options, the skeleton index of a base, its query and the verifier.
 *
 * Cost model. A read hits an entry when some alignment of the two uses at
 * most k substitutions, each between two characters of one confusion class
 * (default 0-O-D-Q, 1-I, 2-Z, 5-S, 8-B, 6-G), and at most d inserted or
 * deleted characters. Of the alignments within budget the cheapest is
 * reported: fewest indels, then fewest substitutions. A substitution across
 * classes is not allowed (it costs two indels, so d = 2 admits one).
 *
 * Skeletons. Mapping every character to its class's representative (the
 * first of its group) gives the skeleton: two plates that differ only by
 * in-class substitutions have the same skeleton, and an alignment within
 * budget is an alignment of the skeletons with at most d indels and no
 * substitution. Two tables (table.c, key = packed skeleton string):
 *   SKEL  the skeleton of every entry run,
 *   DEL   (d >= 1) each single-character deletion of it,
 * and a read with skeleton S looks up:
 *   SKEL: S (same length), S minus 1 char (the read has one extra, d >= 1),
 *         S minus 2 chars (two extra, d = 2);
 *   DEL:  S (the read misses one, d >= 1); d = 2 also S minus 1 char (one
 *         extra, one missing) and S plus 1 char at every position with every
 *         representative (two missing): the query-side expansion of d = 2,
 *         (len + 1) x 28 lookups with the default classes, and the reason
 *         d = 2 is an order of magnitude slower than d = 1.
 * Two tables rather than one: the read's deletions are looked up only where
 * they can hit (entry skeletons), so the bigger DEL table costs one lookup
 * per read at d = 1. Each table is searched with one pipelined bulk lookup
 * per read. Every candidate is verified by the DP (hotlist__fz_verify), so
 * the index may over-approximate; a run is verified once per query.
 *
 * Value layout (uint32, per table):
 *   bit 31 set:   DIRECT, the one run with this key: bits 0..30 = run
 *   bit 31 clear: offset o into the table's refs: refs[o] = count, then the runs
 * Most keys (deletions especially) have one run, so they cost only their
 * table slot (~19 bytes); docs/fuzzy.md has measured bytes per entry.
 *
 * Build is O(keys): keys are grouped with a seeded open-addressing map in
 * two passes (count, then fill), no sort. A run is a distinct exact key of
 * the base (list.c); pattern runs are left out (pattern.c matches them).
 *
 * Threads: the index is immutable after build; readers share it with no
 * synchronisation; its reference count is atomic (writers take and drop
 * references under the writer lock, the last put may be from call_rcu).
 */
#include "fuzzy.h"
#include "list.h"

#include <ctype.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define HL_FZ_DIRECT 0x80000000u
#define HL_FZ_RUN_MASK 0x7fffffffu
enum { HL_SKEL = 0, HL_DEL = 1, HL_FZ_TABLES = 2 };
/* Runs verified per query remembered for de-duplication; past it a run may
 * be verified (and emitted) twice, which the caller's dedup absorbs. */
#define HL_FZ_SEEN 64
#define HL_ALNUM 36
/* Query keys at most: S, 16 single deletions, C(16,2) double deletions,
 * 17 positions x 36 characters of insertion. */
#define HL_FZ_QKEYS (1 + HOTLIST_PLATE_MAX + 120 + (HOTLIST_PLATE_MAX + 1) * HL_ALNUM)
/* A DP cell above every budget: "no alignment". */
#define HL_FZ_INF 0x7f
#define HL_FZ_GROUP_SEED 0x243F6A8885A308D3ull /* grouping hash, not the table's */
/* The deletion of a one-character skeleton is the empty string, whose
 * packed key (zero) marks empty table slots; it is stored under this key
 * instead (code 63 in character 0: no plate or pattern packs to it). It is
 * what lets two one-character plates meet at d = 2 (one deletion, one
 * insertion). */
static const struct hl_key empty_key = { 0x3f, 0 };

struct hl_fuzzy {
	struct hl_table *t[HL_FZ_TABLES]; /* HL_SKEL, HL_DEL (NULL when d = 0) */
	uint32_t *refs[HL_FZ_TABLES];
	size_t n_refs[HL_FZ_TABLES];
	const struct hl_base *base; /* built for (identity only, never dereferenced) */
	size_t bytes;
	atomic_uint ref;
	uint8_t d; /* 0: skeletons only; >= 1: with deletions */
	char skel[HL_ASCII];
	char reps[HL_ALNUM]; /* distinct representatives: the skeleton alphabet */
	unsigned n_reps;
};

static const char alnum_chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* ---- options ---------------------------------------------------------------- */

static int parse_classes(const char *txt, char skel[HL_ASCII])
{
	bool seen[HL_ASCII] = { false };
	char rep = 0;
	for (int c = 0; c < HL_ASCII; c++)
		skel[c] = (char)c;
	if (strnlen(txt, HL_CLASSES_MAX) >= HL_CLASSES_MAX)
		return HOTLIST_EINVAL;
	for (const char *p = txt; *p; p++) {
		unsigned char u = (unsigned char)toupper((unsigned char)*p);
		if (*p == ' ') {
			rep = 0;
			continue;
		}
		if (u >= HL_ASCII || !isalnum(u) || seen[u])
			return HOTLIST_EINVAL;
		seen[u] = true;
		if (!rep)
			rep = (char)u;
		skel[u] = rep;
	}
	return 0;
}

void hotlist__fz_opts_default(struct hl_fz_opts *o)
{
	memset(o, 0, sizeof(*o)); /* exact only: no repair either (see fuzzy.h) */
	parse_classes(HL_DEFAULT_CLASSES, o->skel);
	snprintf(o->classes, sizeof(o->classes), "%s", HL_DEFAULT_CLASSES);
}

int hotlist__fz_opts_set(struct hl_fz_opts *o, const struct hotlist_list_options *in)
{
	struct hl_fz_opts n;
	if (!in || in->struct_size < sizeof(*in) || in->ocr_substitutions > HL_FZ_MAX_K ||
	    in->indels > HL_FZ_MAX_D)
		return HOTLIST_EINVAL;
	memset(&n, 0, sizeof(n));
	const char *cls = in->ocr_classes ? in->ocr_classes : HL_DEFAULT_CLASSES;
	if (parse_classes(cls, n.skel))
		return HOTLIST_EINVAL;
	snprintf(n.classes, sizeof(n.classes), "%s", cls);
	n.k = (uint8_t)in->ocr_substitutions;
	n.d = (uint8_t)in->indels;
	n.cross_border = in->cross_border;
	n.repair = in->repair;
	*o = n;
	return 0;
}

void hotlist_list_options_init(struct hotlist_list_options *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof(*o));
	o->struct_size = sizeof(*o);
	o->repair = true;
}

/* ---- verification --------------------------------------------------------------- */

/* dp[i][j][x]: fewest substitutions aligning r[0..i) with e[0..j) using x
 * indels (HL_FZ_INF: none within k). Only the band |i - j| <= d is filled. */
typedef uint8_t hl_dp[HOTLIST_PLATE_MAX + 1][HOTLIST_PLATE_MAX + 1][HL_FZ_MAX_D + 1];

static unsigned cell(hl_dp dp, const char *skel, unsigned k, const char *r, const char *e, size_t i,
		     size_t j, unsigned x)
{
	unsigned v = HL_FZ_INF;
	if (i && j) {
		unsigned char a = (unsigned char)r[i - 1], b = (unsigned char)e[j - 1];
		unsigned c = a == b ? 0 : (skel[a & 0x7f] == skel[b & 0x7f] ? 1 : HL_FZ_INF);
		if (dp[i - 1][j - 1][x] + c < v)
			v = dp[i - 1][j - 1][x] + c;
	}
	if (i && x && dp[i - 1][j][x - 1] < v)
		v = dp[i - 1][j][x - 1]; /* the read has an extra character */
	if (j && x && dp[i][j - 1][x - 1] < v)
		v = dp[i][j - 1][x - 1]; /* the read misses a character */
	return v > k ? HL_FZ_INF : v;
}

int hotlist__fz_verify(const char *skel, unsigned k, unsigned d, const char *r, size_t m,
		       const char *e, size_t n, unsigned *subs, unsigned *indels)
{
	hl_dp dp;
	if (m > n + d || n > m + d || m > HOTLIST_PLATE_MAX || n > HOTLIST_PLATE_MAX)
		return 0;
	memset(dp, HL_FZ_INF, sizeof(dp));
	dp[0][0][0] = 0;
	for (size_t i = 0; i <= m; i++) {
		size_t j0 = i > d ? i - d : 0, j1 = i + d < n ? i + d : n;
		for (size_t j = j0; j <= j1; j++)
			for (unsigned x = 0; x <= d && (i || j); x++)
				dp[i][j][x] = (uint8_t)cell(dp, skel, k, r, e, i, j, x);
	}
	for (unsigned x = 0; x <= d; x++) {
		if (dp[m][n][x] <= k) {
			*subs = dp[m][n][x];
			*indels = x;
			return 1;
		}
	}
	return 0;
}

/* ---- build ------------------------------------------------------------------- */

/* Grouping of one table's keys: pass 1 numbers the distinct keys (gid per
 * generated key, in generation order), pass 2 fills the runs. */
struct grp {
	const struct hotlist_allocator *a;
	int kind; /* HL_SKEL or HL_DEL: the keys this grouping takes */
	struct hl_key *keys;
	uint32_t *vals, *count; /* per group; count becomes the fill cursor */
	uint32_t *gid; /* per generated key */
	uint32_t *slot; /* map: group id + 1, 0 = empty */
	size_t mask, cap, seq;
	uint32_t n;
	uint32_t *refs;
	size_t n_refs;
};

typedef void (*key_fn)(struct grp *g, const struct hl_key *k, uint32_t run);

static bool is_run_head(const struct hl_base *b, uint32_t i)
{
	return (i == 0 || (b->meta[i - 1].flags & HL_M_LAST)) && !(b->meta[i].flags & HL_M_PATTERN);
}

/* fn for every deletion key of skeleton s (len chars) of run i. */
static void each_del(const char *s, size_t len, uint32_t i, struct grp *g, key_fn fn)
{
	char del[HOTLIST_PLATE_MAX];
	struct hl_key k;
	if (len == 1)
		fn(g, &empty_key, i);
	for (size_t c = 0; len > 1 && c < len; c++) {
		if (c && s[c] == s[c - 1])
			continue; /* same string as deleting c - 1 */
		memcpy(del, s, c);
		memcpy(del + c, s + c + 1, len - c - 1);
		hotlist__key_pack(del, len - 1, &k);
		fn(g, &k, i);
	}
}

/* fn for every key of g's kind of every run of b. */
static void each_key(const struct hl_base *b, const char *skel, struct grp *g, key_fn fn)
{
	char s[HOTLIST_PLATE_MAX + 1];
	struct hl_key k;
	for (uint32_t i = 0; i < b->n_meta; i++) {
		if (!is_run_head(b, i))
			continue;
		size_t len = hotlist__key_unpack(&b->meta[i].key, s);
		for (size_t c = 0; c < len; c++)
			s[c] = skel[(unsigned char)s[c] & 0x7f];
		if (g->kind == HL_DEL) {
			each_del(s, len, i, g, fn);
		} else {
			hotlist__key_pack(s, len, &k);
			fn(g, &k, i);
		}
	}
}

static void count_key(struct grp *g, const struct hl_key *k, uint32_t run)
{
	(void)k, (void)run;
	g->cap++;
}

static uint32_t group_of(struct grp *g, const struct hl_key *k)
{
	size_t s =
		XXH3_64bits_withSeed(k, sizeof(k->lo) + sizeof(k->hi), HL_FZ_GROUP_SEED) & g->mask;
	for (;; s = (s + 1) & g->mask) {
		uint32_t id = g->slot[s];
		if (!id) {
			g->keys[g->n] = *k;
			g->count[g->n] = 0;
			g->slot[s] = ++g->n;
			return g->n - 1;
		}
		if (hl_key_eq(&g->keys[id - 1], k))
			return id - 1;
	}
}

static void tally_key(struct grp *g, const struct hl_key *k, uint32_t run)
{
	uint32_t id = group_of(g, k);
	g->gid[g->seq++] = id;
	g->count[id]++;
	(void)run;
}

static void fill_key(struct grp *g, const struct hl_key *k, uint32_t run)
{
	uint32_t id = g->gid[g->seq++];
	(void)k;
	if (g->vals[id] & HL_FZ_DIRECT)
		g->vals[id] |= run;
	else
		g->refs[g->count[id]++] = run;
}

/* Values: DIRECT for single-run groups, else room in refs; count -> cursor. */
static int lay_refs(struct grp *g)
{
	size_t at = 0;
	for (uint32_t id = 0; id < g->n; id++)
		at += g->count[id] > 1 ? 1 + g->count[id] : 0;
	if (at >= HL_FZ_DIRECT)
		return HOTLIST_ENOSPC;
	g->n_refs = at ? at : 1;
	g->refs = hotlist__alloc(g->a, g->n_refs * sizeof(uint32_t), HL_CACHE_LINE);
	if (!g->refs)
		return HOTLIST_ENOMEM;
	at = 0;
	for (uint32_t id = 0; id < g->n; id++) {
		if (g->count[id] == 1) {
			g->vals[id] = HL_FZ_DIRECT;
			continue;
		}
		g->vals[id] = (uint32_t)at;
		g->refs[at] = g->count[id];
		at += 1 + g->count[id];
		g->count[id] = g->vals[id] + 1;
	}
	return 0;
}

static void grp_free(struct grp *g)
{
	size_t n = g->cap ? g->cap : 1;
	hotlist__free(g->a, g->keys, n * sizeof(*g->keys));
	hotlist__free(g->a, g->vals, n * sizeof(uint32_t));
	hotlist__free(g->a, g->count, n * sizeof(uint32_t));
	hotlist__free(g->a, g->gid, n * sizeof(uint32_t));
	hotlist__free(g->a, g->slot, (g->mask + 1) * sizeof(uint32_t));
}

static int grp_init(struct grp *g, const struct hl_base *b, const struct hl_fz_opts *o)
{
	each_key(b, o->skel, g, count_key);
	size_t n = g->cap ? g->cap : 1, size = 16;
	while (size < 2 * n)
		size *= 2;
	g->mask = size - 1;
	g->keys = hotlist__alloc(g->a, n * sizeof(*g->keys), HL_CACHE_LINE);
	g->vals = hotlist__alloc(g->a, n * sizeof(uint32_t), HL_CACHE_LINE);
	g->count = hotlist__alloc(g->a, n * sizeof(uint32_t), HL_CACHE_LINE);
	g->gid = hotlist__alloc(g->a, n * sizeof(uint32_t), HL_CACHE_LINE);
	g->slot = hotlist__zalloc(g->a, size * sizeof(uint32_t), HL_CACHE_LINE);
	if (!g->keys || !g->vals || !g->count || !g->gid || !g->slot)
		return HOTLIST_ENOMEM;
	return 0;
}

/* Build table `kind` of f from base b. */
static int build_table(struct hl_fuzzy *f, int kind, const struct hl_base *b,
		       const struct hl_fz_opts *o, uint64_t seed, const struct hotlist_allocator *a)
{
	struct grp g;
	memset(&g, 0, sizeof(g));
	g.a = a;
	g.kind = kind;
	int rc = grp_init(&g, b, o);
	if (!rc) {
		each_key(b, o->skel, &g, tally_key);
		rc = lay_refs(&g);
	}
	if (!rc) {
		g.seq = 0;
		each_key(b, o->skel, &g, fill_key);
		rc = hotlist__table_build(&f->t[kind], g.keys, g.vals, g.n, seed + (uint64_t)kind,
					  a);
	}
	grp_free(&g);
	if (rc) {
		hotlist__free(a, g.refs, g.n_refs * sizeof(uint32_t));
		return rc;
	}
	f->refs[kind] = g.refs;
	f->n_refs[kind] = g.n_refs;
	return 0;
}

static void set_reps(struct hl_fuzzy *f)
{
	f->n_reps = 0;
	for (const char *c = alnum_chars; *c; c++)
		if (f->skel[(unsigned char)*c] == *c)
			f->reps[f->n_reps++] = *c;
}

int hotlist__fz_build(struct hl_fuzzy **out, const struct hl_base *b, const struct hl_fz_opts *o,
		      uint64_t seed, const struct hotlist_allocator *a)
{
	if (b->n_meta > HL_FZ_RUN_MASK)
		return HOTLIST_ENOSPC;
	struct hl_fuzzy *f = hotlist__zalloc(a, sizeof(*f), HL_CACHE_LINE);
	if (!f)
		return HOTLIST_ENOMEM;
	atomic_init(&f->ref, 1);
	int rc = build_table(f, HL_SKEL, b, o, seed, a);
	if (!rc && o->d)
		rc = build_table(f, HL_DEL, b, o, seed, a);
	if (rc) {
		hotlist__fz_put(f, a);
		return rc;
	}
	f->base = b;
	f->d = o->d;
	memcpy(f->skel, o->skel, sizeof(f->skel));
	set_reps(f);
	f->bytes = sizeof(*f);
	for (int t = 0; t < HL_FZ_TABLES; t++)
		if (f->t[t])
			f->bytes += hotlist__table_bytes(f->t[t]) + f->n_refs[t] * sizeof(uint32_t);
	*out = f;
	return 0;
}

void hotlist__fz_get(struct hl_fuzzy *f)
{
	/* relaxed: the writer already holds a reference */
	atomic_fetch_add_explicit(&f->ref, 1, memory_order_relaxed);
}

void hotlist__fz_put(struct hl_fuzzy *f, const struct hotlist_allocator *a)
{
	/* acq_rel: the last put sees every holder's reads done (as hotlist__base_put) */
	if (!f || atomic_fetch_sub_explicit(&f->ref, 1, memory_order_acq_rel) != 1)
		return;
	for (int t = 0; t < HL_FZ_TABLES; t++) {
		hotlist__table_free(f->t[t], a);
		if (f->refs[t])
			hotlist__free(a, f->refs[t], f->n_refs[t] * sizeof(uint32_t));
	}
	hotlist__free(a, f, sizeof(*f));
}

size_t hotlist__fz_bytes(const struct hl_fuzzy *f)
{
	return f ? f->bytes : 0;
}

bool hotlist__fz_fits(const struct hl_fuzzy *f, const struct hl_base *b, const struct hl_fz_opts *o)
{
	return f && f->base == b && (f->d > 0) == (o->d > 0) &&
	       memcmp(f->skel, o->skel, sizeof(f->skel)) == 0;
}

/* ---- query ------------------------------------------------------------------------ */

/* The keys of one table a query looks up. */
struct qkeys {
	struct hl_key k[HL_FZ_QKEYS];
	uint32_t v[HL_FZ_QKEYS];
	size_t n;
};

struct fzq {
	const struct hl_fuzzy *f;
	const struct hl_base *b;
	const struct hl_fz_opts *o;
	const char *plate;
	size_t len;
	hl_fz_emit emit;
	void *ctx;
	uint32_t seen[HL_FZ_SEEN];
	unsigned n_seen;
	struct qkeys q[HL_FZ_TABLES];
};

static void check_run(struct fzq *q, uint32_t run)
{
	char e[HOTLIST_PLATE_MAX + 1];
	unsigned subs, indels;
	for (unsigned i = 0; i < q->n_seen; i++)
		if (q->seen[i] == run)
			return;
	if (q->n_seen < HL_FZ_SEEN)
		q->seen[q->n_seen++] = run;
	size_t n = hotlist__key_unpack(&q->b->meta[run].key, e);
	if (hotlist__fz_verify(q->o->skel, q->o->k, q->o->d, q->plate, q->len, e, n, &subs,
			       &indels))
		q->emit(q->ctx, run, subs, indels);
}

static void visit(struct fzq *q, int t, uint32_t v)
{
	if (v == HL_TABLE_NONE)
		return;
	if (v & HL_FZ_DIRECT) {
		check_run(q, v & HL_FZ_RUN_MASK);
		return;
	}
	const uint32_t *r = &q->f->refs[t][v];
	for (uint32_t i = 0; i < r[0]; i++)
		check_run(q, r[1 + i]);
}

/* Append a key of s (len chars) for table t. The d = 1 keys are few and
 * de-duplicated; a repeat among the hundreds of d = 2 keys costs a lookup
 * (a run is still verified once), cheaper than a quadratic check. */
static void add_key(struct fzq *q, int t, const char *s, size_t len, bool dedup)
{
	struct qkeys *k = &q->q[t];
	hotlist__key_pack(s, len, &k->k[k->n]);
	for (size_t i = 0; dedup && i < k->n; i++)
		if (hl_key_eq(&k->k[i], &k->k[k->n]))
			return;
	k->n++;
}

/* s minus one character at each distinct place, into table t. */
static void add_dels(struct fzq *q, int t, const char *s, size_t len, bool dedup)
{
	char d[HOTLIST_PLATE_MAX];
	for (size_t c = 0; len > 1 && c < len; c++) {
		if (c && s[c] == s[c - 1])
			continue;
		memcpy(d, s, c);
		memcpy(d + c, s + c + 1, len - c - 1);
		add_key(q, t, d, len - 1, dedup);
	}
}

/* The double-edit keys of d = 2. */
static void add_d2_keys(struct fzq *q, const char *s, size_t len)
{
	char t[HOTLIST_PLATE_MAX + 1];
	for (size_t i = 0; len > 2 && i < len; i++) { /* two extra: SKEL */
		for (size_t j = i + 1; j < len; j++) {
			size_t w = 0;
			for (size_t c = 0; c < len; c++)
				if (c != i && c != j)
					t[w++] = s[c];
			add_key(q, HL_SKEL, t, len - 2, false);
		}
	}
	add_dels(q, HL_DEL, s, len, false); /* one extra, one missing */
	if (len == 1) {
		struct qkeys *k = &q->q[HL_DEL];
		k->k[k->n++] = empty_key;
	}
	for (size_t p = 0; len < HOTLIST_PLATE_MAX && p <= len; p++) { /* two missing */
		memcpy(t, s, p);
		memcpy(t + p + 1, s + p, len - p);
		for (unsigned r = 0; r < q->f->n_reps; r++) {
			t[p] = q->f->reps[r];
			add_key(q, HL_DEL, t, len + 1, false);
		}
	}
}

/* The query keys of skeleton s (see the top of the file). */
static void add_keys(struct fzq *q, const char *s, size_t len)
{
	unsigned d = q->o->d;
	add_key(q, HL_SKEL, s, len, false);
	if (d)
		add_dels(q, HL_SKEL, s, len, true);
	if (d && q->f->t[HL_DEL])
		add_key(q, HL_DEL, s, len, false);
	if (d > 1 && q->f->t[HL_DEL])
		add_d2_keys(q, s, len);
}

void hotlist__fz_match(const struct hl_fuzzy *f, const struct hl_base *b,
		       const struct hl_fz_opts *o, const char *plate, size_t len, hl_fz_emit emit,
		       void *ctx)
{
	struct fzq q;
	char s[HOTLIST_PLATE_MAX + 1] = { 0 };
	q.f = f;
	q.b = b;
	q.o = o;
	q.plate = plate;
	q.len = len;
	q.emit = emit;
	q.ctx = ctx;
	q.n_seen = 0;
	q.q[HL_SKEL].n = q.q[HL_DEL].n = 0;
	for (size_t c = 0; c < len; c++)
		s[c] = f->skel[(unsigned char)plate[c] & 0x7f];
	add_keys(&q, s, len);
	for (int t = 0; t < HL_FZ_TABLES; t++) {
		struct qkeys *k = &q.q[t];
		if (!k->n)
			continue;
		hotlist__table_find_bulk(f->t[t], k->k, k->n, k->v);
		for (size_t i = 0; i < k->n; i++)
			visit(&q, t, k->v[i]);
	}
}
