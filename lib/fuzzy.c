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
 * substitution. Two kinds of key (a packed skeleton string each):
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
 * Two kinds rather than one: the read's deletions are looked up only where
 * they can hit (entry skeletons). A key is looked up only when the index
 * has entries of the length it can find (`lens`): a list of 6-character
 * plates costs a 6-character read one lookup at d = 1, not eight.
 *
 * The table. Keys are not stored: one open-addressing table of 64-byte
 * buckets holds, for both kinds, a 12-bit fingerprint of each key and a
 * 28-bit value (the run, or where its runs are). A fingerprint only says
 * where to look: every run reached is verified against the entry's real key
 * (hotlist__fz_verify on the base's packed plate, O(len) for equal lengths
 * or one indel, the DP otherwise), so a slot of another key with the same
 * fingerprint costs a verification, never a false hit. One bucket:
 *
 *   byte 0    5    10   15   20   25   30   35   40   45   50   55   60  64
 *   +----+----+----+----+----+----+----+----+----+----+----+----+--+---+
 *   | s0 | s1 | s2 | s3 | s4 | s5 | s6 | s7 | s8 | s9 |s10 |s11 |fl|   |
 *   +----+----+----+----+----+----+----+----+----+----+----+----+--+---+
 *   slot (5 bytes, little-endian 40-bit word): bits 0..11 fingerprint (0:
 *   empty; slots fill from s0), bits 12..39 value:
 *     bit 27 of value set:   DIRECT, the run: bits 0..26
 *     bit 27 clear:          offset o into refs: refs[o] = count, then the runs
 *   fl: SPILL (some key whose primary is this bucket lives on its chain),
 *       CHAIN (some chain that passes this full bucket ends after it).
 *
 * h = XXH3_64bits_withSeed(12 key bytes, seed) gives the primary bucket b1 =
 * fastrange(h, nb) and the chain start b2 (as table.c); the fingerprint is
 * the top 12 bits of (h ^ salt of the kind) x a Fibonacci constant. A
 * string's SKEL and DEL keys thus share a bucket and differ by fingerprint:
 * a read's S, looked up as both, costs one line. A key of up to 3 runs takes
 * one DIRECT slot per run (7 bytes each at 90 % load, cheaper than one slot
 * and refs); a key of more runs, one slot and its refs.
 *
 * Invariants after build (as table.c's, with explicit flag bits):
 *  1. A key not in b1 => b1 is full and SPILL(b1).
 *  2. A key at b2 + j (j >= 0) => b2 .. b2 + j - 1 are full with CHAIN set,
 *     and 2 + j <= max_probe.
 *  3. Fewer keys than slots: a free slot always exists, build ends.
 * Lookup, from 1 and 2: scan b1; stop when it is not full or SPILL is clear;
 * else scan b2, b2 + 1, ... while full with CHAIN, max_probe buckets in all.
 * Most lookups, hits and misses, read b1 alone: one cache line.
 *
 * The filters: a SKEL key is looked up in the table only when a blocked
 * Bloom filter of the SKEL keys (HL_FZ_FLT_BITS a key, one 64-bit word a
 * key, 2 B/entry; its own cheap hash, flt_hash) holds it, a DEL key only
 * when one of the DEL keys does (HL_FZ_DFLT_BITS a key, 3.9 B/entry). A
 * read's deletions are SKEL lookups (6 to 8 of its ~8 at d = 1) and almost
 * all miss: they cost a word of a 2 MB filter (at 10^6) each instead of a
 * line of a ~60 MB table; its S as DEL, a word of a 4 MB one. A Bloom
 * filter has no false negatives: every key of the table is in its kind's.
 *
 * The batch path (hotlist__fz_maybe) hashes every d <= 1 key of a chunk of
 * reads and prefetches their filter words, then the primary buckets of the
 * keys their filter passes, before it reads any, so the misses of different
 * reads overlap; then the entry records (and refs) the slots found point
 * to, which verification reads.
 * A read with no fingerprint in the index stops there (most reads: no
 * scoring, no verification); the others go on to hotlist__fz_match_keys
 * with a hint, the bit mask of their keys that have slots: only those are
 * looked up again (cached now), no key is filtered or hashed twice, and
 * each run is verified once per query. Deletion keys are made on the
 * packed key (a 96-bit number: two masks and a shift each; one 64-bit word
 * up to 10 characters), not by repacking strings. docs/fuzzy.md has
 * measured bytes per entry and reads/s.
 *
 * Build is O(keys), see "build" below: skeletons once per run, keys
 * partitioned by hash into cache-sized parts, grouped per part, no sort and
 * no per-key allocation. A run is a distinct exact key of the base
 * (list.c); pattern runs are left out (pattern.c matches them).
 *
 * Threads: the index is immutable after build; readers share it with no
 * synchronisation; its reference count is atomic (writers take and drop
 * references, the last put may be from call_rcu). hotlist__fz_build touches
 * only its arguments: snapshot_list.c runs it outside the writer lock.
 */
#include "fuzzy.h"

#include "abi.h"
#include "alloc.h"
#include "common.h"
#include "list.h"
#include "normalise.h"
#include "score.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#define XXH_INLINE_ALL /* the 12-byte XXH3 path, inlined as in table.c */
#include <xxhash.h>

/* A 28-bit slot value (see the layout): DIRECT run, or offset into refs. */
#define HL_FZ_DIRECT (UINT32_C(1) << 27)
#define HL_FZ_RUN_MASK (HL_FZ_DIRECT - 1)
enum { HL_SKEL = HL_FZ_SKEL, HL_DEL = HL_FZ_DEL, HL_FZ_TABLES = 2 };
/* A DP cell above every budget: "no alignment". */
#define HL_FZ_INF 0x7f
/* Salt of the grouping hash's seed: the build's random seed, XORed with
 * it, so that grouping and the table never hash with one seed. */
#define HL_FZ_GROUP_SEED 0x243F6A8885A308D3ull
/* The deletion of a one-character skeleton is the empty string, whose
 * packed key is zero (table.c's empty slot); it is stored under this key
 * instead (code 63 in character 0: no plate or pattern packs to it). It is
 * what lets two one-character plates meet at d = 2 (one deletion, one
 * insertion). */
static const struct hl_key empty_key = { 0x3f, 0 };

/* ---- the shared fingerprint table (layout: see the top of this file) ------------ */

#define HL_FZ_SLOTS 12 /* 12 x 5-byte slots + 4 bytes: 64 */
#define HL_FZ_SLOT_BYTES 5
#define HL_FZ_FP_BITS 12 /* a slot: fingerprint in bits 0..11, value in 12..39 */
#define HL_FZ_FP_MASK ((UINT64_C(1) << HL_FZ_FP_BITS) - 1)
/*
 * Target load, in percent of slots: 64 / 12 / 0.9 = 5.9 bytes per key. At
 * 10.8 keys per 12-slot bucket (Poisson) most keys sit in their primary
 * bucket (30 % of buckets spill, measured at 10^6). 75 % cost 8 B/entry
 * more at 10^6 (133.5 against 125.2 in all).
 */
#define HL_FZ_LOAD_PCT 90
/* A key's bit in a bucket's spill and chain masks: 4 bits of its
 * fingerprint. A lookup goes past a full bucket only when the mask has its
 * bit: of the 30 % of buckets that spill at 90 % load, most spilled one or
 * two keys, so a miss reads 1.06 lines on average (measured at 10^6; 1.94
 * with one SPILL bit as table.c's). */
#define HL_FZ_MASK_BIT(fp) (UINT16_C(1) << ((fp) >> (HL_FZ_FP_BITS - 4)))
/* Fingerprint: the top 12 bits of h times this odd constant (Fibonacci
 * hashing): every bit of h counts, so keys of one bucket (equal top bits of
 * h, which pick the bucket) still differ in fingerprint. 0 marks an empty
 * slot, so a zero fingerprint is stored as 1. A lookup meets ~11 slots: a
 * key not in the index matches one by chance in 0.25 % of lookups
 * (measured at 10^6). */
#define HL_FZ_FP_MUL 0x9E3779B97F4A7C15ull
/* Salts of the fingerprint per kind of key: a skeleton and a deletion with
 * the same characters are different keys (a read's deletion must meet entry
 * skeletons, its skeleton entry deletions), told apart by fingerprint; they
 * share the bucket, so that the read's skeleton looked up as both kinds
 * costs one cache line. */
#define HL_FZ_SALT_SKEL 0x452821E638D01377ull
#define HL_FZ_SALT_DEL 0xBE5466CF34E90C6Cull
/* A key of this many runs or fewer takes one DIRECT slot per run (~6 bytes
 * each) rather than one slot and 1 + runs words of refs: cheaper up to 3. */
#define HL_FZ_INLINE_RUNS 3
/* Buckets whose lines the build prefetches ahead of its inserts. */
#define HL_FZ_BUILD_AHEAD 16
/*
 * The skeleton filter: a blocked Bloom filter of the SKEL keys alone (one
 * per distinct entry skeleton, against ~7 DEL keys), 16 bits a key in
 * 64-bit words, 4 bits a key in one word. Every SKEL lookup asks it first:
 * a read's single deletions (d >= 1) are SKEL lookups, 6 to 8 a read, and
 * each was a table line (~60 MB at 10^6: memory); the filter is 2 bytes an
 * entry (2 MB at 10^6: in the caches), and a key it does not hold is in no
 * bucket. It only says "not here": a key it passes is looked up as before,
 * so no hit is lost (every SKEL key of the table is in it).
 */
#define HL_FZ_FLT_BITS 16
#define HL_FZ_FLT_K 4
/*
 * The deletion filter: the same for the DEL keys (~5 per entry), 6 bits a
 * key, 3 bits a key in one word (4 B/entry, ~4 MB at 10^6). A read's S is
 * a DEL lookup, one table line from DRAM a read before; most reads' S is
 * no entry's deletion, and the filter word is in the caches more often.
 */
#define HL_FZ_DFLT_BITS 6
#define HL_FZ_DFLT_K 3
/* The filter hash's salt and multipliers (flt_hash): wyhash's secret words,
 * odd, with balanced bits. */
#define HL_FZ_FLT_SEED 0xa0761d6478bd642full
#define HL_FZ_FLT_MUL1 0xe7037ed1a0b428dbull
#define HL_FZ_FLT_MUL2 0x8ebc6af09c88c6e3ull

struct fz_bucket {
	uint8_t slot[HL_FZ_SLOTS * HL_FZ_SLOT_BYTES]; /* fingerprint 0: empty; fill from 0 */
	uint16_t spill; /* bits of the keys whose primary is this bucket, on their chain */
	uint16_t chain; /* bits of the chains that pass this full bucket and end after it */
};
_Static_assert(sizeof(struct fz_bucket) == HL_CACHE_LINE, "a bucket is one cache line");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "slots are packed little-endian");

struct hl_fuzzy {
	struct fz_bucket *bk; /* nb buckets, SKEL and DEL keys together */
	uint64_t nb;
	uint64_t seed;
	unsigned max_probe; /* buckets a lookup reads at most (>= 1) */
	uint32_t *refs; /* runs of the keys of more than one run, both kinds */
	size_t n_refs;
	uint64_t *flt[HL_FZ_TABLES]; /* the filters (SKEL; DEL when d >= 1): n_flt words */
	uint64_t n_flt[HL_FZ_TABLES];
	size_t n_keys[HL_FZ_TABLES]; /* distinct keys per kind (stats, docs) */
	const struct hl_base *base; /* built for (identity only, never dereferenced) */
	size_t bytes;
	atomic_uint ref;
	uint8_t d; /* 0: skeletons only; >= 1: with deletions */
	char skel[HL_ASCII];
	char reps[HL_ALNUM]; /* distinct representatives: the skeleton alphabet */
	uint32_t lens; /* bit L: some entry has L characters (keys of absent
			* lengths are not looked up: most lists are a few lengths) */
	unsigned n_reps;
	struct hl_score_model *score; /* shapes and innocent-rate estimate (score.c) */
};

#ifdef HL_FZ_TEST_BAD_HASH
/* Test hook (tests/CMakeLists.txt, test_fuzzy_badhash): every key of a kind
 * hashes alike, so every key has one fingerprint and one primary bucket: every
 * lookup meets every key of its kind, and only verification against the
 * entry's real key keeps false hits from the caller. Counts the candidates
 * verification turned down. */
extern atomic_ulong hotlist__fz_test_rejects;
atomic_ulong hotlist__fz_test_rejects;
#define COUNT_REJECT() atomic_fetch_add_explicit(&hotlist__fz_test_rejects, 1, memory_order_relaxed)
#else
#define COUNT_REJECT() ((void)0)
#endif

static uint64_t fz_hash(uint64_t seed, const struct hl_key *k)
{
#ifdef HL_FZ_TEST_BAD_HASH
	(void)seed;
	(void)k;
	return 0;
#else
	return XXH3_64bits_withSeed(k, sizeof(k->lo) + sizeof(k->hi), seed);
#endif
}

/* Where hash h lives in a table of nb buckets: primary b1 = fastrange(h, nb)
 * (Lemire 2016), chain start b2 = b1 + 1 + fastrange32(low 32 bits, nb - 1)
 * mod nb (as table.c), fingerprint fp. */
struct fz_pos {
	uint64_t b1, b2;
	uint16_t fp;
};

static struct fz_pos fz_pos(uint64_t h, int kind, uint64_t nb)
{
	uint64_t salt = kind == HL_SKEL ? HL_FZ_SALT_SKEL : HL_FZ_SALT_DEL;
	struct fz_pos p;
	__extension__ typedef unsigned __int128 u128;
	p.b1 = (uint64_t)(((u128)h * nb) >> 64);
	p.b2 = nb > 1 ? p.b1 + 1 + (((h & UINT32_MAX) * (nb - 1)) >> 32) : 0;
	if (p.b2 >= nb) /* < 2 nb - 1: one subtraction, no division */
		p.b2 -= nb;
	p.fp = (uint16_t)(((h ^ salt) * HL_FZ_FP_MUL) >> (64 - HL_FZ_FP_BITS));
	if (!p.fp)
		p.fp = 1;
	return p;
}

/* Slot s of k as fingerprint | value << 12: an 8-byte load at 5 s, in the
 * line for every s (slot 11 ends at byte 59, the masks above it masked off). */
static uint64_t slot_get(const struct fz_bucket *k, unsigned s)
{
	uint64_t x;
	memcpy(&x, &k->slot[HL_FZ_SLOT_BYTES * s], sizeof(x));
	return x & ((UINT64_C(1) << (8 * HL_FZ_SLOT_BYTES)) - 1);
}

static void slot_set(struct fz_bucket *k, unsigned s, uint16_t fp, uint32_t val)
{
	uint64_t x = fp | (uint64_t)val << HL_FZ_FP_BITS;
	memcpy(&k->slot[HL_FZ_SLOT_BYTES * s], &x, HL_FZ_SLOT_BYTES); /* little-endian */
}

/*
 * The skeleton filter's own hash of SKEL key k: two multiply-folds (the
 * 128-bit product of two words, its halves XORed: wyhash's "mum"), one per
 * key word, under the table's seed XOR HL_FZ_FLT_SEED. Not the table's
 * XXH3: most SKEL keys of a read (its deletions) stop at the filter, and
 * this is about a third of XXH3 and the remix that followed it; XXH3 is
 * computed only for the keys the filter passes. Build and query use this
 * one function, so every SKEL key of the table is in the filter.
 */
static uint64_t flt_hash(uint64_t seed, const struct hl_key *k)
{
#ifdef HL_FZ_TEST_BAD_HASH
	(void)seed;
	(void)k;
	return 0;
#else
	__extension__ typedef unsigned __int128 u128;
	u128 p = (u128)(k->lo ^ seed ^ HL_FZ_FLT_SEED) * HL_FZ_FLT_MUL1;
	uint64_t x = ((uint64_t)p ^ (uint64_t)(p >> 64)) ^ k->hi;
	p = (u128)(x ^ seed) * HL_FZ_FLT_MUL2;
	return (uint64_t)p ^ (uint64_t)(p >> 64);
#endif
}

/* The skeleton filter's word and bits for a SKEL key of filter hash h: the
 * word from the top bits, 4 bit positions from the low 24. */
struct flt_pos {
	uint64_t w, m;
};

static const unsigned flt_bits[HL_FZ_TABLES] = { HL_FZ_FLT_BITS, HL_FZ_DFLT_BITS };
static const unsigned flt_k[HL_FZ_TABLES] = { HL_FZ_FLT_K, HL_FZ_DFLT_K };

/* Where key x of kind t is in its filter. Inlined: with t a constant the
 * bit loop unrolls (it was a tenth of the batch filter's samples). */
static inline __attribute__((always_inline)) struct flt_pos flt_pos(const struct hl_fuzzy *f, int t,
								    const struct hl_key *x)
{
	__extension__ typedef unsigned __int128 u128;
	struct flt_pos p = { 0, 0 };
	uint64_t h = flt_hash(f->seed ^ (t == HL_SKEL ? 0 : HL_FZ_SALT_DEL), x);
	p.w = (uint64_t)(((u128)h * f->n_flt[t]) >> 64);
	for (unsigned i = 0; i < flt_k[t]; i++)
		p.m |= UINT64_C(1) << ((h >> (6 * i)) & 63);
	return p;
}

static bool flt_has(const struct hl_fuzzy *f, int t, struct flt_pos p)
{
	return (f->flt[t][p.w] & p.m) == p.m;
}

static bool bucket_full(const struct fz_bucket *k)
{
	return (slot_get(k, HL_FZ_SLOTS - 1) & HL_FZ_FP_MASK) != 0;
}

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

int hotlist__fz_opts_set(struct hl_fz_opts *o, const struct hotlist_list_options *caller)
{
	struct hl_fz_opts n;
	struct hotlist_list_options full, *in = &full;
	hotlist_list_options_init(&full); /* the defaults of fields older callers lack */
	if (!caller || hotlist__abi_in(HL_ABI_LIST_OPTIONS, &full, caller, caller->struct_size))
		return HOTLIST_EINVAL;
	if (in->ocr_substitutions > HL_FZ_MAX_K || in->indels > HL_FZ_MAX_D)
		return HOTLIST_EINVAL;
	if ((in->min_score > 100 && in->min_score != HOTLIST_MIN_SCORE_AUTO) ||
	    !(in->target_alerts_per_1000 > 0))
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
	n.auto_score = in->min_score == HOTLIST_MIN_SCORE_AUTO;
	n.min_score = (uint8_t)(n.auto_score ? HOTLIST_MIN_SCORE_DEFAULT : in->min_score);
	n.weak_hits = in->weak_hits;
	n.target = (float)in->target_alerts_per_1000;
	*o = n;
	return 0;
}

void hotlist_list_options_init_size(struct hotlist_list_options *o, size_t size)
{
	struct hotlist_list_options full;
	if (!o)
		return;
	(hotlist_list_options_init)(&full);
	(void)hotlist__abi_out(HL_ABI_LIST_OPTIONS, o, &full, size); /* < V1: nothing written */
}

/* Parenthesised: the function, not the macro of hotlist.h. */
void(hotlist_list_options_init)(struct hotlist_list_options *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof(*o));
	o->struct_size = sizeof(*o);
	o->repair = true;
	o->min_score = HOTLIST_MIN_SCORE_AUTO;
	o->target_alerts_per_1000 = HOTLIST_TARGET_ALERTS_DEFAULT;
}

/* ---- verification --------------------------------------------------------------- */

/* Cost of aligning read character a with entry character b: 0 equal, 1 same
 * class, HL_FZ_INF else. */
static unsigned char_cost(const char *skel, char a, char b)
{
	if (a == b)
		return 0;
	return skel[(unsigned char)a & 0x7f] == skel[(unsigned char)b & 0x7f] ? 1 : HL_FZ_INF;
}

/* dp[i][j][x]: fewest substitutions aligning r[0..i) with e[0..j) using x
 * indels (HL_FZ_INF: none within k). Only the band |i - j| <= d is filled. */
typedef uint8_t hl_dp[HOTLIST_PLATE_MAX + 1][HOTLIST_PLATE_MAX + 1][HL_FZ_MAX_D + 1];

static unsigned cell(hl_dp dp, const char *skel, unsigned k, const char *r, const char *e, size_t i,
		     size_t j, unsigned x)
{
	unsigned v = HL_FZ_INF;
	if (i && j) {
		unsigned c = char_cost(skel, r[i - 1], e[j - 1]);
		if (dp[i - 1][j - 1][x] + c < v)
			v = dp[i - 1][j - 1][x] + c;
	}
	if (i && x && dp[i - 1][j][x - 1] < v)
		v = dp[i - 1][j][x - 1]; /* the read has an extra character */
	if (j && x && dp[i][j - 1][x - 1] < v)
		v = dp[i][j - 1][x - 1]; /* the read misses a character */
	return v > k ? HL_FZ_INF : v;
}

/* The general case: the banded DP, 17 x 17 x 3 cells at most. */
static int verify_dp(const char *skel, unsigned k, unsigned d, const char *r, size_t m,
		     const char *e, size_t n, unsigned *subs, unsigned *indels)
{
	hl_dp dp;
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

/* Substitutions of the position-by-position alignment of a and b (n chars
 * each), HL_FZ_INF if a pair is in no common class. */
static unsigned hamming(const char *skel, const char *a, const char *b, size_t n)
{
	unsigned s = 0;
	for (size_t i = 0; i < n && s < HL_FZ_INF; i++)
		s += char_cost(skel, a[i], b[i]);
	return s < HL_FZ_INF ? s : HL_FZ_INF;
}

/* Fewest substitutions aligning lo (n + 1 chars) with sh (n chars) by
 * deleting one character of lo: prefix costs before the deleted position,
 * suffix costs after it, O(n). HL_FZ_INF when no deletion fits. */
static unsigned one_indel(const char *skel, const char *lo, const char *sh, size_t n)
{
	unsigned suf[HOTLIST_PLATE_MAX + 1], pre = 0, best = HL_FZ_INF;
	suf[n] = 0; /* deleting the last character: nothing after it */
	for (size_t p = n; p-- > 0;) {
		unsigned c = char_cost(skel, lo[p + 1], sh[p]);
		suf[p] = suf[p + 1] + c < HL_FZ_INF ? suf[p + 1] + c : HL_FZ_INF;
	}
	for (size_t p = 0; p <= n && pre < HL_FZ_INF; p++) {
		if (pre + suf[p] < best)
			best = pre + suf[p];
		if (p < n)
			pre += char_cost(skel, lo[p], sh[p]);
	}
	return best;
}

/*
 * The common cases without the DP: equal lengths cost their position-wise
 * substitutions (no indel is cheaper, and d < 2 allows none: indels change
 * the length by one each, so their count has the parity of m - n); lengths
 * one apart take exactly one indel (three exceed every d). Only d = 2 with
 * equal lengths beyond k, or lengths two apart, runs the DP.
 */
int hotlist__fz_verify(const char *skel, unsigned k, unsigned d, const char *r, size_t m,
		       const char *e, size_t n, unsigned *subs, unsigned *indels)
{
	unsigned s;
	if (m > n + d || n > m + d || m > HOTLIST_PLATE_MAX || n > HOTLIST_PLATE_MAX)
		return 0;
	if (m == n || m == n + 1 || n == m + 1) {
		s = m == n ? hamming(skel, r, e, n) :
		    m > n  ? one_indel(skel, r, e, n) :
			     one_indel(skel, e, r, m);
		if (s <= k) {
			*subs = s;
			*indels = m != n;
			return 1;
		}
		if (m != n || d < 2)
			return 0;
	}
	return verify_dp(skel, k, d, r, m, e, n, subs, indels);
}

/* ---- skeleton keys -------------------------------------------------------------- */

/*
 * A key as one 96-bit number, character i at bits 6i..6i+5 (the packed
 * layout of normalise.c with character 15, split there, made contiguous),
 * so that deleting a character is two masks and a shift:
 *
 *   lo bits 0..59 = chars 0..9, hi bits 0..29 = chars 10..14,
 *   lo bits 60..63 + hi bits 30..31 = char 15   --->   lin bits 0..95
 */
__extension__ typedef unsigned __int128 hl_lin;
#define HL_LIN_LO_BITS 60
#define HL_LIN_HI_BITS 30
#define HL_LIN_LAST (HL_LIN_LO_BITS + HL_LIN_HI_BITS)
#define HL_CODE_BITS 6
#define HL_BITS(n) ((UINT64_C(1) << (n)) - 1)

static hl_lin key_lin(const struct hl_key *k)
{
	uint64_t last = (k->lo >> HL_LIN_LO_BITS) | (uint64_t)(k->hi >> HL_LIN_HI_BITS) << 4;
	return (hl_lin)(k->lo & HL_BITS(HL_LIN_LO_BITS)) |
	       (hl_lin)(k->hi & HL_BITS(HL_LIN_HI_BITS)) << HL_LIN_LO_BITS |
	       (hl_lin)last << HL_LIN_LAST;
}

static void lin_key(hl_lin v, struct hl_key *k)
{
	uint64_t last = (uint64_t)(v >> HL_LIN_LAST) & HL_BITS(HL_CODE_BITS);
	k->lo = ((uint64_t)v & HL_BITS(HL_LIN_LO_BITS)) | (last & 0xf) << HL_LIN_LO_BITS;
	k->hi = (uint32_t)((uint64_t)(v >> HL_LIN_LO_BITS) & HL_BITS(HL_LIN_HI_BITS)) |
		(uint32_t)(last >> 4) << HL_LIN_HI_BITS;
}

static unsigned lin_code(hl_lin v, size_t c)
{
	return (unsigned)(v >> (HL_CODE_BITS * c)) & HL_BITS(HL_CODE_BITS);
}

/* Skeleton of plate p (len chars) under skel, as a lin. */
static hl_lin skel_lin(const char *skel, const char *p, size_t len)
{
	char s[HOTLIST_PLATE_MAX];
	struct hl_key k;
	for (size_t c = 0; c < len; c++)
		s[c] = skel[(unsigned char)p[c] & 0x7f];
	hotlist__key_pack(s, len, &k);
	return key_lin(&k);
}

/* The distinct single-character deletions of v (len chars) into out:
 * deleting c or c - 1 gives the same string when they are equal, and two
 * deletions give the same string only across a run of equal characters. */
static size_t lin_dels(hl_lin v, size_t len, struct hl_key *out)
{
	size_t n = 0;
	if (len <= HL_LIN_LO_BITS / HL_CODE_BITS) { /* <= 10 chars, most plates: one word */
		uint64_t w = (uint64_t)v;
		for (size_t c = 0; len > 1 && c < len; c++) {
			uint64_t pair = w >> (HL_CODE_BITS * (c ? c - 1 : 0)); /* chars c - 1, c */
			if (c && (pair & HL_BITS(HL_CODE_BITS)) ==
					 ((pair >> HL_CODE_BITS) & HL_BITS(HL_CODE_BITS)))
				continue;
			out[n].lo = (w & HL_BITS(HL_CODE_BITS * c)) |
				    (w >> (HL_CODE_BITS * (c + 1))) << (HL_CODE_BITS * c);
			out[n++].hi = 0;
		}
		return n;
	}
	for (size_t c = 0; len > 1 && c < len; c++) {
		if (c && lin_code(v, c) == lin_code(v, c - 1))
			continue;
		hl_lin low = v & (((hl_lin)1 << (HL_CODE_BITS * c)) - 1);
		lin_key(low | (v >> (HL_CODE_BITS * (c + 1))) << (HL_CODE_BITS * c), &out[n++]);
	}
	return n;
}

/* ---- build ------------------------------------------------------------------- */

/*
 * Build of one table, O(keys), every pass sequential but one scatter:
 *   1. generate the keys of every run (from the runs' skeletons, computed
 *      once for both tables), hash them, count per partition;
 *   2. generate again, scatter (key, run) to their partitions, stable;
 *   3. per partition (~HL_FZ_PART_KEYS keys, cache-sized), number the
 *      distinct keys with a small open-addressing map;
 *   4. lay out values (DIRECT or refs), fill the runs, compact the distinct
 *      keys in place, build the table.
 * Runs keep ascending order within a key (stable scatter). Peak ~36 bytes
 * per generated key besides the table.
 */
#define HL_FZ_PART_KEYS 4096 /* keys per partition: its map and keys fit L2 */
#define HL_FZ_PARTS_MAX 4096 /* partitions at most: scatter streams stay few */

/* The skeletons of the runs of a base (pattern runs left out). */
struct runs {
	hl_lin *sk;
	uint32_t *run;
	uint8_t *len;
	size_t n, cap;
};

struct part_build {
	const struct hotlist_allocator *a;
	int kind;
	const struct runs *r;
	uint64_t seed; /* of the grouping hash */
	size_t n_keys, n_parts, n_groups;
	size_t *pstart; /* n_parts + 1 */
	struct hl_key *keys; /* scattered keys, then the distinct ones */
	uint32_t *run; /* run of each scattered key */
	uint32_t *gid; /* group of each scattered key */
	uint32_t *first; /* per group: index of its first key */
	uint32_t *count; /* per group: runs, then the fill cursor */
	uint32_t *vals; /* per group */
	uint32_t *refs;
	size_t n_refs;
};

static bool is_run_head(const struct hl_base *b, uint32_t i)
{
	return (i == 0 || (b->meta[i - 1].flags & HL_M_LAST)) && !(b->meta[i].flags & HL_M_PATTERN);
}

static void runs_free(struct runs *r, const struct hotlist_allocator *a)
{
	hotlist__free(a, r->sk, r->cap * sizeof(*r->sk));
	hotlist__free(a, r->run, r->cap * sizeof(*r->run));
	hotlist__free(a, r->len, r->cap);
}

static int runs_init(struct runs *r, const struct hl_base *b, const char *skel,
		     const struct hotlist_allocator *a)
{
	char p[HOTLIST_PLATE_MAX + 1];
	r->n = 0;
	r->cap = b->n_meta ? b->n_meta : 1;
	r->sk = hotlist__alloc(a, r->cap * sizeof(*r->sk), HL_CACHE_LINE);
	r->run = hotlist__alloc(a, r->cap * sizeof(*r->run), HL_CACHE_LINE);
	r->len = hotlist__alloc(a, r->cap, HL_CACHE_LINE);
	if (!r->sk || !r->run || !r->len)
		return HOTLIST_ENOMEM;
	for (uint32_t i = 0; i < b->n_meta; i++) {
		if (!is_run_head(b, i))
			continue;
		size_t len = hl_meta_unpack(&b->meta[i], p);
		r->sk[r->n] = skel_lin(skel, p, len);
		r->len[r->n] = (uint8_t)len;
		r->run[r->n++] = i;
	}
	return 0;
}

/* The keys of table `kind` for run i of r: returns how many. */
static size_t run_keys(const struct runs *r, int kind, size_t i, struct hl_key *out)
{
	if (kind == HL_SKEL) {
		lin_key(r->sk[i], out);
		return 1;
	}
	if (r->len[i] == 1) {
		out[0] = empty_key;
		return 1;
	}
	return lin_dels(r->sk[i], r->len[i], out);
}

/* Seeded per build (from getrandom, hotlist__seed): with a fixed function
 * a list crafted so that its skeleton keys collide in the grouping map made
 * the build quadratic. */
static uint64_t group_hash(const struct part_build *p, const struct hl_key *k)
{
	return XXH3_64bits_withSeed(k, sizeof(k->lo) + sizeof(k->hi), p->seed);
}

static size_t part_of(const struct part_build *p, const struct hl_key *k)
{
	return (size_t)(group_hash(p, k) >> 40) & (p->n_parts - 1);
}

/* Passes 1 and 2: count per partition, then scatter. */
static int scatter(struct part_build *p)
{
	struct hl_key k[HOTLIST_PLATE_MAX];
	const struct runs *r = p->r;
	p->n_keys = 0;
	for (size_t i = 0; i < r->n; i++)
		p->n_keys += run_keys(r, p->kind, i, k);
	p->n_parts = 1;
	while (p->n_parts < HL_FZ_PARTS_MAX && p->n_parts * HL_FZ_PART_KEYS < p->n_keys)
		p->n_parts *= 2;
	/* per partition, not HL_FZ_PARTS_MAX: an edit layer of a few keys has
	 * one partition, and is rebuilt by every put */
	size_t *cnt = hotlist__zalloc(p->a, p->n_parts * sizeof(size_t), HL_CACHE_LINE);
	size_t n = p->n_keys ? p->n_keys : 1;
	p->pstart = hotlist__alloc(p->a, (p->n_parts + 1) * sizeof(size_t), HL_CACHE_LINE);
	p->keys = hotlist__alloc(p->a, n * sizeof(*p->keys), HL_CACHE_LINE);
	p->run = hotlist__alloc(p->a, n * sizeof(uint32_t), HL_CACHE_LINE);
	if (!cnt || !p->pstart || !p->keys || !p->run) {
		hotlist__free(p->a, cnt, p->n_parts * sizeof(size_t));
		return HOTLIST_ENOMEM;
	}
	for (size_t i = 0; i < r->n; i++) {
		size_t nk = run_keys(r, p->kind, i, k);
		for (size_t j = 0; j < nk; j++)
			cnt[part_of(p, &k[j])]++;
	}
	p->pstart[0] = 0;
	for (size_t q = 0; q < p->n_parts; q++) {
		p->pstart[q + 1] = p->pstart[q] + cnt[q];
		cnt[q] = p->pstart[q]; /* now the write cursor */
	}
	for (size_t i = 0; i < r->n; i++) {
		size_t nk = run_keys(r, p->kind, i, k);
		for (size_t j = 0; j < nk; j++) {
			size_t at = cnt[part_of(p, &k[j])]++;
			p->keys[at] = k[j];
			p->run[at] = r->run[i];
		}
	}
	hotlist__free(p->a, cnt, p->n_parts * sizeof(size_t));
	return 0;
}

/* Pass 3 for partition q: number its distinct keys (map: group id + 1). */
static void group_part(struct part_build *p, size_t q, uint32_t *map, size_t map_size)
{
	size_t s0 = p->pstart[q], s1 = p->pstart[q + 1], size = 16;
	while (size < 2 * (s1 - s0))
		size *= 2;
	HL_DEBUG_ASSERT(size <= map_size);
	(void)map_size;
	memset(map, 0, size * sizeof(*map));
	for (size_t j = s0; j < s1; j++) {
		const struct hl_key *k = &p->keys[j];
		size_t s = (size_t)group_hash(p, k) & (size - 1);
		for (;; s = (s + 1) & (size - 1)) {
			uint32_t g = map[s];
			if (!g) {
				g = (uint32_t)p->n_groups++;
				p->first[g] = (uint32_t)j;
				p->count[g] = 0;
				map[s] = g + 1;
				p->gid[j] = g;
				break;
			}
			if (hl_key_eq(&p->keys[p->first[g - 1]], k)) {
				p->gid[j] = g - 1;
				break;
			}
		}
		p->count[p->gid[j]]++;
	}
}

static int group_all(struct part_build *p)
{
	size_t n = p->n_keys ? p->n_keys : 1, biggest = 0, size = 16;
	for (size_t q = 0; q < p->n_parts; q++)
		if (p->pstart[q + 1] - p->pstart[q] > biggest)
			biggest = p->pstart[q + 1] - p->pstart[q];
	while (size < 2 * biggest)
		size *= 2;
	uint32_t *map = hotlist__alloc(p->a, size * sizeof(uint32_t), HL_CACHE_LINE);
	p->gid = hotlist__alloc(p->a, n * sizeof(uint32_t), HL_CACHE_LINE);
	p->first = hotlist__alloc(p->a, n * sizeof(uint32_t), HL_CACHE_LINE);
	p->count = hotlist__alloc(p->a, n * sizeof(uint32_t), HL_CACHE_LINE);
	if (map && p->gid && p->first && p->count)
		for (size_t q = 0; q < p->n_parts; q++)
			group_part(p, q, map, size);
	hotlist__free(p->a, map, size * sizeof(uint32_t));
	return p->gid && p->first && p->count && map ? 0 : HOTLIST_ENOMEM;
}

/* Pass 4: values, refs, runs; the distinct keys compacted to the front of
 * keys (group g's first key is at index >= g, so copying in ascending g
 * never overwrites a key still to be copied). */
static int lay_out(struct part_build *p)
{
	size_t at = 0;
	for (size_t g = 0; g < p->n_groups; g++)
		at += p->count[g] > 1 ? 1 + p->count[g] : 0;
	if (at >= HL_FZ_DIRECT)
		return HOTLIST_ENOSPC;
	p->n_refs = at ? at : 1;
	p->refs = hotlist__alloc(p->a, p->n_refs * sizeof(uint32_t), HL_CACHE_LINE);
	p->vals = hotlist__alloc(p->a, (p->n_groups ? p->n_groups : 1) * sizeof(uint32_t),
				 HL_CACHE_LINE);
	if (!p->refs || !p->vals)
		return HOTLIST_ENOMEM;
	at = 0;
	for (size_t g = 0; g < p->n_groups; g++) {
		if (p->count[g] == 1) {
			p->vals[g] = HL_FZ_DIRECT;
			continue;
		}
		p->vals[g] = (uint32_t)at;
		p->refs[at] = p->count[g];
		p->count[g] = (uint32_t)at + 1;
		at += 1 + p->refs[at];
	}
	for (size_t j = 0; j < p->n_keys; j++) {
		uint32_t g = p->gid[j];
		if (p->vals[g] & HL_FZ_DIRECT)
			p->vals[g] |= p->run[j];
		else
			p->refs[p->count[g]++] = p->run[j];
	}
	for (size_t g = 0; g < p->n_groups; g++)
		p->keys[g] = p->keys[p->first[g]];
	return 0;
}

static void part_free(struct part_build *p)
{
	size_t n = p->n_keys ? p->n_keys : 1;
	hotlist__free(p->a, p->pstart, (p->n_parts + 1) * sizeof(size_t));
	hotlist__free(p->a, p->keys, n * sizeof(*p->keys));
	hotlist__free(p->a, p->run, n * sizeof(uint32_t));
	hotlist__free(p->a, p->gid, n * sizeof(uint32_t));
	hotlist__free(p->a, p->first, n * sizeof(uint32_t));
	hotlist__free(p->a, p->count, n * sizeof(uint32_t));
	hotlist__free(p->a, p->vals, (p->n_groups ? p->n_groups : 1) * sizeof(uint32_t));
}

/* The distinct keys of one kind, hashed, with their values (refs offsets
 * relative to that kind's refs), and those refs: what the shared table is
 * built from. */
struct kind_out {
	uint64_t *h;
	uint32_t *vals;
	size_t n;
	uint32_t *refs;
	size_t n_refs;
};

static void kind_out_free(struct kind_out *k, const struct hotlist_allocator *a)
{
	size_t n = k->n ? k->n : 1;
	hotlist__free(a, k->h, n * sizeof(uint64_t));
	hotlist__free(a, k->vals, n * sizeof(uint32_t));
	hotlist__free(a, k->refs, k->n_refs * sizeof(uint32_t));
	memset(k, 0, sizeof(*k));
}

/* The filter of kind t of f from its n distinct keys k (f->seed set). */
static int build_filter(struct hl_fuzzy *f, int t, const struct hl_key *k, size_t n,
			const struct hotlist_allocator *a)
{
	f->n_flt[t] = ((uint64_t)n * flt_bits[t] + 63) / 64;
	if (!f->n_flt[t])
		f->n_flt[t] = 1;
	f->flt[t] = hotlist__zalloc(a, f->n_flt[t] * sizeof(uint64_t), HL_CACHE_LINE);
	if (!f->flt[t])
		return HOTLIST_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct flt_pos fp = flt_pos(f, t, &k[i]);
		f->flt[t][fp.w] |= fp.m;
	}
	return 0;
}

/* Group the keys of kind `kind` of runs r and hash them under seed into *o,
 * and build that kind's filter of f. */
static int build_kind(struct kind_out *o, int kind, const struct runs *r, uint64_t seed,
		      struct hl_fuzzy *f, const struct hotlist_allocator *a)
{
	struct part_build p;
	memset(&p, 0, sizeof(p));
	memset(o, 0, sizeof(*o));
	p.a = a;
	p.kind = kind;
	p.r = r;
	p.seed = seed ^ HL_FZ_GROUP_SEED; /* not the table's own seed */
	int rc = scatter(&p);
	if (!rc)
		rc = group_all(&p);
	if (!rc)
		rc = lay_out(&p);
	size_t n = p.n_groups ? p.n_groups : 1;
	if (!rc)
		rc = build_filter(f, kind, p.keys, p.n_groups, a);
	if (!rc) {
		o->h = hotlist__alloc(a, n * sizeof(uint64_t), HL_CACHE_LINE);
		rc = o->h ? 0 : HOTLIST_ENOMEM;
	}
	if (!rc) {
		for (size_t g = 0; g < p.n_groups; g++)
			o->h[g] = fz_hash(seed, &p.keys[g]);
		o->vals = p.vals; /* handed over: part_free leaves it */
		p.vals = NULL;
		o->n = p.n_groups;
	} else {
		hotlist__free(a, o->h, n * sizeof(uint64_t));
		o->h = NULL;
	}
	o->refs = p.refs;
	o->n_refs = p.n_refs;
	part_free(&p);
	return rc;
}

/* Pass 1 of the table build: key i into its primary bucket when there is
 * room; returns false when full (the key goes to pass 2). */
static bool put_primary(struct hl_fuzzy *f, struct fz_pos p, uint32_t val)
{
	struct fz_bucket *k = &f->bk[p.b1];
	for (unsigned s = 0; s < HL_FZ_SLOTS; s++) {
		if (!(slot_get(k, s) & HL_FZ_FP_MASK)) {
			slot_set(k, s, p.fp, val);
			return true;
		}
	}
	return false;
}

/* Pass 2: a key whose primary is full, on its chain b2, b2 + 1, ... (a free
 * slot exists: fewer keys than slots). Sets SPILL on b1 and CHAIN on every
 * full bucket passed (invariants 2 and 3 of the top comment). */
static void put_chain(struct hl_fuzzy *f, struct fz_pos p, uint32_t val)
{
	f->bk[p.b1].spill |= HL_FZ_MASK_BIT(p.fp);
	uint64_t b = p.b2;
	unsigned probe = 2;
	while (bucket_full(&f->bk[b])) {
		f->bk[b].chain |= HL_FZ_MASK_BIT(p.fp);
		b = b + 1 == f->nb ? 0 : b + 1;
		probe++;
	}
	put_primary(f, (struct fz_pos){ b, b, p.fp }, val);
	if (probe > f->max_probe)
		f->max_probe = probe;
}

/* Runs of key i of k: 1 for a DIRECT value, else its refs count. */
static uint32_t key_runs(const struct kind_out *k, size_t i)
{
	uint32_t v = k->vals[i];
	return v & HL_FZ_DIRECT ? 1 : k->refs[v];
}

/* Values whose primary was full, kept for pass 2: room for this share of
 * the slots (~5 % spill at 90 % load); past it a value goes on its chain at
 * once, which is as correct and only takes a slot some later primary key
 * may have wanted. */
#define HL_FZ_LATER_DIV 8

struct later {
	uint64_t *hv; /* pairs: hash, value */
	size_t n, cap;
};

/* Insert value v of hash h of kind t: its primary, or (later) its chain. */
static void put(struct hl_fuzzy *f, uint64_t h, int t, uint32_t v, struct later *l)
{
	struct fz_pos p = fz_pos(h, t, f->nb);
	if (put_primary(f, p, v))
		return;
	if (l->n == l->cap) {
		put_chain(f, p, v);
		return;
	}
	l->hv[2 * l->n] = h;
	l->hv[2 * l->n++ + 1] = (uint64_t)t << 32 | v;
}

/*
 * The shared table from both kinds: sized from the slots they take, then
 * every value that fits into its primary (buckets prefetched
 * HL_FZ_BUILD_AHEAD keys ahead: the array is far bigger than the caches),
 * then the rest on their chains. A key of up to HL_FZ_INLINE_RUNS runs takes
 * one DIRECT slot per run; a key of more, one slot with its refs offset
 * (both kinds' refs in one array).
 */
static int build_shared(struct hl_fuzzy *f, struct kind_out *ko, const struct hotlist_allocator *a)
{
	size_t slots = 0, at = 0;
	struct later l = { NULL, 0, 0 };
	f->n_refs = 1; /* never empty */
	for (int t = 0; t < HL_FZ_TABLES; t++) {
		for (size_t i = 0; i < ko[t].n; i++) {
			uint32_t c = key_runs(&ko[t], i);
			slots += c <= HL_FZ_INLINE_RUNS ? c : 1;
			f->n_refs += c <= HL_FZ_INLINE_RUNS ? 0 : 1 + c;
		}
	}
	if (f->n_refs >= HL_FZ_DIRECT)
		return HOTLIST_ENOSPC;
	f->nb = ((uint64_t)slots * 100 / HL_FZ_LOAD_PCT + HL_FZ_SLOTS) / HL_FZ_SLOTS;
	f->bk = hotlist__zalloc(a, f->nb * sizeof(*f->bk), HL_CACHE_LINE);
	f->refs = hotlist__alloc(a, f->n_refs * sizeof(uint32_t), HL_CACHE_LINE);
	l.cap = slots / HL_FZ_LATER_DIV + 1;
	l.hv = hotlist__alloc(a, l.cap * 2 * sizeof(uint64_t), HL_CACHE_LINE);
	if (!f->bk || !f->refs || !l.hv) {
		hotlist__free(a, l.hv, l.cap * 2 * sizeof(uint64_t));
		return HOTLIST_ENOMEM;
	}
	f->max_probe = 1;
	for (int t = 0; t < HL_FZ_TABLES; t++) {
		const struct kind_out *k = &ko[t];
		f->n_keys[t] = k->n;
		for (size_t i = 0; i < k->n; i++) {
			if (i + HL_FZ_BUILD_AHEAD < k->n)
				__builtin_prefetch(
					&f->bk[fz_pos(k->h[i + HL_FZ_BUILD_AHEAD], t, f->nb).b1],
					1);
			uint32_t v = k->vals[i], c = key_runs(k, i);
			if (v & HL_FZ_DIRECT) {
				put(f, k->h[i], t, v, &l);
			} else if (c <= HL_FZ_INLINE_RUNS) {
				for (uint32_t j = 0; j < c; j++)
					put(f, k->h[i], t, HL_FZ_DIRECT | k->refs[v + 1 + j], &l);
			} else {
				memcpy(&f->refs[at], &k->refs[v], (1 + c) * sizeof(uint32_t));
				put(f, k->h[i], t, (uint32_t)at, &l);
				at += 1 + c;
			}
		}
	}
	for (size_t j = 0; j < l.n; j++)
		put_chain(f, fz_pos(l.hv[2 * j], (int)(l.hv[2 * j + 1] >> 32), f->nb),
			  (uint32_t)l.hv[2 * j + 1]);
	hotlist__free(a, l.hv, l.cap * 2 * sizeof(uint64_t));
	return 0;
}

/* Both kinds' keys of the runs r (DEL only when d >= 1), then the table. */
static int build_index(struct hl_fuzzy *f, const struct runs *r, unsigned d, uint64_t seed,
		       const struct hotlist_allocator *a)
{
	struct kind_out ko[HL_FZ_TABLES];
	memset(ko, 0, sizeof(ko));
	f->seed = seed;
	int rc = build_kind(&ko[HL_SKEL], HL_SKEL, r, seed, f, a);
	if (!rc && d)
		rc = build_kind(&ko[HL_DEL], HL_DEL, r, seed, f, a);
	if (!rc)
		rc = build_shared(f, ko, a);
	for (int t = 0; t < HL_FZ_TABLES; t++)
		kind_out_free(&ko[t], a);
	return rc;
}

/* The distinct representatives of skel (the skeleton alphabet) into reps:
 * returns how many. */
static unsigned skel_reps(const char *skel, char reps[HL_ALNUM])
{
	unsigned n = 0;
	for (const char *c = alnum_chars; *c; c++)
		if (skel[(unsigned char)*c] == *c)
			reps[n++] = *c;
	return n;
}

static void set_reps(struct hl_fuzzy *f)
{
	f->n_reps = skel_reps(f->skel, f->reps);
}

int hotlist__fz_build(struct hl_fuzzy **out, const struct hl_base *b, const struct hl_fz_opts *o,
		      bool estimate, uint64_t seed, const struct hotlist_allocator *a)
{
	struct runs r;
	if (b->n_meta > HL_FZ_RUN_MASK)
		return HOTLIST_ENOSPC;
	struct hl_fuzzy *f = hotlist__zalloc(a, sizeof(*f), HL_CACHE_LINE);
	if (!f)
		return HOTLIST_ENOMEM;
	atomic_init(&f->ref, 1);
	int rc = runs_init(&r, b, o->skel, a);
	for (size_t i = 0; !rc && i < r.n; i++)
		f->lens |= UINT32_C(1) << r.len[i];
	if (!rc)
		rc = build_index(f, &r, o->d, seed, a);
	runs_free(&r, a);
	if (rc) {
		hotlist__fz_put(f, a);
		return rc;
	}
	f->base = b;
	f->d = o->d;
	memcpy(f->skel, o->skel, sizeof(f->skel));
	set_reps(f);
	rc = hotlist__score_model_build(&f->score, b, a);
	if (rc) {
		hotlist__fz_put(f, a);
		return rc;
	}
	if (estimate)
		hotlist__score_estimate(f->score, f, b, o, a);
	f->bytes = sizeof(*f) + hotlist__score_model_bytes(f->score) +
		   hotlist__alloc_bytes(f->nb * sizeof(*f->bk)) +
		   hotlist__alloc_bytes(f->n_refs * sizeof(uint32_t)) +
		   hotlist__alloc_bytes(f->n_flt[HL_SKEL] * sizeof(uint64_t)) +
		   hotlist__alloc_bytes(f->n_flt[HL_DEL] * sizeof(uint64_t));
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
	if (f->bk)
		hotlist__free(a, f->bk, f->nb * sizeof(*f->bk));
	if (f->refs)
		hotlist__free(a, f->refs, f->n_refs * sizeof(uint32_t));
	for (int t = 0; t < HL_FZ_TABLES; t++)
		if (f->flt[t])
			hotlist__free(a, f->flt[t], f->n_flt[t] * sizeof(uint64_t));
	hotlist__score_model_free(f->score, a);
	hotlist__free(a, f, sizeof(*f));
}

size_t hotlist__fz_bytes(const struct hl_fuzzy *f)
{
	return f ? f->bytes : 0;
}

unsigned hotlist__fz_index_d(const struct hl_fuzzy *f)
{
	return f->d;
}

const struct hl_score_model *hotlist__fz_model(const struct hl_fuzzy *f)
{
	return f ? f->score : NULL;
}

bool hotlist__fz_fits(const struct hl_fuzzy *f, const struct hl_base *b, const struct hl_fz_opts *o)
{
	return f && f->base == b && (f->d > 0) == (o->d > 0) &&
	       memcmp(f->skel, o->skel, sizeof(f->skel)) == 0;
}

/* ---- query ------------------------------------------------------------------------ */

struct fzq {
	const struct hl_fuzzy *f;
	const struct hl_base *b;
	const struct hl_fz_opts *o;
	const char *plate;
	size_t len;
	hl_fz_emit emit;
	void *ctx;
	struct hl_fz_seen seen;
	struct hl_fz_qkeys q[HL_FZ_TABLES];
};

/* Verify run against the read, with the entry's real key: the fingerprint
 * only said where to look, so a run reached through another key's slot is
 * turned down here (or, if it is within budget after all, a true hit). */
static void check_run(struct fzq *q, uint32_t run)
{
	char e[HOTLIST_PLATE_MAX + 1];
	unsigned subs, indels;
	if (!hl_fz_seen_first(&q->seen, run))
		return;
	size_t n = hl_meta_unpack(&q->b->meta[run], e);
	if (hotlist__fz_verify(q->o->skel, q->o->k, q->o->d, q->plate, q->len, e, n, &subs,
			       &indels))
		q->emit(q->ctx, run, subs, indels);
	else
		COUNT_REJECT();
}

static void visit(struct fzq *q, uint32_t v)
{
	if (v & HL_FZ_DIRECT) {
		check_run(q, v & HL_FZ_RUN_MASK);
		return;
	}
	const uint32_t *r = &q->f->refs[v];
	for (uint32_t i = 0; i < r[0]; i++)
		check_run(q, r[1 + i]);
}

/* Slots of bucket k holding fingerprint fp, as a bit mask. */
static unsigned scan_bucket(const struct fz_bucket *k, uint16_t fp)
{
	unsigned m = 0;
	for (unsigned s = 0; s < HL_FZ_SLOTS; s++)
		m |= (unsigned)((slot_get(k, s) & HL_FZ_FP_MASK) == fp) << s;
	return m;
}

/* Visit (q) or find (no q) the slots of bucket k with fingerprint fp. */
static bool scan_visit(const struct fz_bucket *k, uint16_t fp, struct fzq *q)
{
	unsigned m = scan_bucket(k, fp);
	if (!q)
		return m != 0;
	bool any = m != 0;
	for (; m; m &= m - 1)
		visit(q, (uint32_t)(slot_get(k, (unsigned)__builtin_ctz(m)) >> HL_FZ_FP_BITS));
	return any;
}

/* The chain part of a lookup whose primary was full with SPILL set: b2,
 * b2 + 1, ... while full with CHAIN set, max_probe - 1 buckets at most. */
static bool probe_chain(const struct hl_fuzzy *f, struct fz_pos p, struct fzq *q)
{
	uint64_t b = p.b2;
	bool any = false;
	for (unsigned n = 2; n <= f->max_probe; n++) {
		const struct fz_bucket *k = &f->bk[b];
		any |= scan_visit(k, p.fp, q);
		if ((any && !q) || !bucket_full(k) || !(k->chain & HL_FZ_MASK_BIT(p.fp)))
			break;
		b = b + 1 == f->nb ? 0 : b + 1;
	}
	return any;
}

/*
 * The lookup of one key (position p): its primary bucket, and only when
 * that is full and SPILL set its chain (invariants 1 and 2). With q: visit
 * every slot with the key's fingerprint. Without: whether there is one.
 */
static bool probe(const struct hl_fuzzy *f, struct fz_pos p, struct fzq *q)
{
	const struct fz_bucket *k = &f->bk[p.b1];
	bool any = scan_visit(k, p.fp, q);
	if ((any && !q) || !bucket_full(k) || !(k->spill & HL_FZ_MASK_BIT(p.fp)))
		return any;
	return probe_chain(f, p, q) || any;
}

/* Append a key of s (len chars) of kind t. A repeat among the hundreds of
 * d = 2 keys costs a lookup (a run is still verified once), cheaper than a
 * quadratic check. */
static void add_key(struct hl_fz_qkeys *q, int t, const char *s, size_t len)
{
	struct hl_fz_qkeys *k = &q[t];
	hotlist__key_pack(s, len, &k->k[k->n++]);
}

/* The double-edit keys of d = 2 (skeleton s, also as lin v). */
static void add_d2_keys(struct hl_fz_qkeys *q, const char *reps, unsigned n_reps, const char *s,
			hl_lin v, size_t len)
{
	char t[HOTLIST_PLATE_MAX + 1];
	struct hl_fz_qkeys *del = &q[HL_DEL];
	for (size_t i = 0; len > 2 && i < len; i++) { /* two extra: SKEL */
		for (size_t j = i + 1; j < len; j++) {
			size_t w = 0;
			for (size_t c = 0; c < len; c++)
				if (c != i && c != j)
					t[w++] = s[c];
			add_key(q, HL_SKEL, t, len - 2);
		}
	}
	del->n += lin_dels(v, len, &del->k[del->n]); /* one extra, one missing */
	if (len == 1)
		del->k[del->n++] = empty_key;
	for (size_t p = 0; len < HOTLIST_PLATE_MAX && p <= len; p++) { /* two missing */
		memcpy(t, s, p);
		memcpy(t + p + 1, s + p, len - p);
		for (unsigned r = 0; r < n_reps; r++) {
			t[p] = reps[r];
			add_key(q, HL_DEL, t, len + 1);
		}
	}
}

/*
 * The d <= 1 keys of skeleton v (len chars): S and its distinct deletions
 * (d >= 1) for SKEL at sk, S for DEL at dk (d >= 1), each only when f has
 * entries of the length it can find. Returns the SKEL keys written; *n_del
 * the DEL keys (0 or 1).
 */
static size_t d1_keys(uint32_t lens, hl_lin v, size_t len, unsigned d, struct hl_key *sk,
		      struct hl_key *dk, size_t *n_del)
{
	size_t n = 0;
	*n_del = 0;
	if (lens & (UINT32_C(1) << len))
		lin_key(v, &sk[n++]);
	if (!d)
		return n;
	if (lens & (UINT32_C(1) << (len + 1))) {
		lin_key(v, &dk[0]);
		*n_del = 1;
	}
	if (lens & (UINT32_C(1) << (len - 1)))
		n += lin_dels(v, len, &sk[n]);
	return n;
}

/* The query of read plate (len chars) for indel budget d under skel (reps:
 * its representatives) in an index with DEL keys when fd, only keys of the
 * lengths in lens: SKEL keys in q[HL_SKEL], DEL in q[HL_DEL]. */
static void query_keys(struct hl_fz_qkeys q[HL_FZ_TABLES], const char *skel, const char *reps,
		       unsigned n_reps, uint32_t lens, unsigned d, bool fd, const char *plate,
		       size_t len)
{
	char s[HOTLIST_PLATE_MAX + 1] = { 0 };
	for (size_t c = 0; c < len; c++)
		s[c] = skel[(unsigned char)plate[c] & 0x7f];
	struct hl_key k;
	hotlist__key_pack(s, len, &k);
	hl_lin v = key_lin(&k);
	q[HL_SKEL].n = d1_keys(lens, v, len, d, q[HL_SKEL].k, q[HL_DEL].k, &q[HL_DEL].n);
	if (!fd)
		q[HL_DEL].n = 0;
	else if (d > 1)
		add_d2_keys(q, reps, n_reps, s, v, len);
}

void hotlist__fz_query_keys(const struct hl_fz_opts *o, uint32_t lens, const char *plate,
			    size_t len, struct hl_fz_qkeys q[HL_FZ_TABLES])
{
	char reps[HL_ALNUM];
	unsigned n_reps = o->d > 1 ? skel_reps(o->skel, reps) : 0;
	query_keys(q, o->skel, reps, n_reps, lens, o->d, o->d > 0, plate, len);
}

size_t hotlist__fz_plate_keys(const struct hl_fz_opts *o, uint32_t lens, const char *plate,
			      size_t len, struct hl_key *sk, struct hl_key *dk, size_t *n_del)
{
	return d1_keys(lens, skel_lin(o->skel, plate, len), len, o->d, sk, dk, n_del);
}

size_t hotlist__fz_entry_keys(const struct hl_fz_opts *o, const char *plate, size_t len,
			      struct hl_key out[HL_FZ_ENTRY_KEYS])
{
	struct runs r = { 0 };
	hl_lin sk = skel_lin(o->skel, plate, len);
	uint8_t n = (uint8_t)len;
	uint32_t run = 0;
	r.sk = &sk;
	r.len = &n;
	r.run = &run;
	r.n = 1;
	size_t keys = run_keys(&r, HL_SKEL, 0, out);
	if (o->d)
		keys += run_keys(&r, HL_DEL, 0, out + keys);
	return keys;
}

static void fzq_init(struct fzq *q, const struct hl_fuzzy *f, const struct hl_base *b,
		     const struct hl_fz_opts *o, const char *plate, size_t len, hl_fz_emit emit,
		     void *ctx)
{
	q->f = f;
	q->b = b;
	q->o = o;
	q->plate = plate;
	q->len = len;
	q->emit = emit;
	q->ctx = ctx;
	q->seen.n = 0;
}

void hotlist__fz_match(const struct hl_fuzzy *f, const struct hl_base *b,
		       const struct hl_fz_opts *o, const char *plate, size_t len, hl_fz_emit emit,
		       void *ctx)
{
	struct fzq q;
	fzq_init(&q, f, b, o, plate, len, emit, ctx);
	query_keys(q.q, f->skel, f->reps, f->n_reps, f->lens, o->d, f->d > 0, plate, len);
	for (int t = 0; t < HL_FZ_TABLES; t++) {
		for (size_t i = 0; i < q.q[t].n; i++) {
			const struct hl_key *x = &q.q[t].k[i];
			if (!flt_has(f, t, flt_pos(f, t, x)))
				continue; /* in no bucket */
			probe(f, fz_pos(fz_hash(f->seed, x), t, f->nb), &q);
		}
	}
}

/* Keys of one plate the batch filter looks up at most: S, its single
 * deletions (SKEL), S (DEL). */
#define HL_FZ_PLATE_KEYS (2 + HOTLIST_PLATE_MAX)

/*
 * The d <= 1 keys of plate (len chars) that hotlist__fz_maybe and
 * hotlist__fz_match_keys look up, in one order: the SKEL keys into sk
 * (returned: how many), then the DEL key into dk (*n_del: 0 or 1). Key j of
 * this order is bit j of a hint.
 */
static size_t plate_keys(const struct hl_fuzzy *f, const struct hl_fz_opts *o, const char *plate,
			 size_t len, struct hl_key *sk, struct hl_key *dk, size_t *n_del)
{
	hl_lin v = skel_lin(f->skel, plate, len);
	return d1_keys(f->lens, v, len, f->d ? o->d : 0, sk, dk, n_del);
}

void hotlist__fz_match_keys(const struct hl_fuzzy *f, const struct hl_base *b,
			    const struct hl_fz_opts *o, const char *plate, size_t len,
			    uint32_t hint, hl_fz_emit emit, void *ctx)
{
	struct fzq q;
	struct hl_key sk[HL_FZ_PLATE_KEYS], dk[1];
	size_t n_del;
	if (o->d > 1) { /* no hint: its query is per plate */
		hotlist__fz_match(f, b, o, plate, len, emit, ctx);
		return;
	}
	fzq_init(&q, f, b, o, plate, len, emit, ctx);
	size_t n = plate_keys(f, o, plate, len, sk, dk, &n_del);
	for (; hint; hint &= hint - 1) { /* ascending: the SKEL keys, then DEL, as fz_match */
		unsigned j = (unsigned)__builtin_ctz(hint);
		if (j < n)
			probe(f, fz_pos(fz_hash(f->seed, &sk[j]), HL_SKEL, f->nb), &q);
		else if (j == n && n_del)
			probe(f, fz_pos(fz_hash(f->seed, &dk[0]), HL_DEL, f->nb), &q);
	}
}

/* Runs of a key of refs whose records the batch filter prefetches at most
 * (a DEL key can have dozens: every entry AB123x under "AB123"). */
#define HL_FZ_PREFETCH_REFS 16

static void prefetch_meta(const struct hl_base *b, uint32_t run)
{
	const struct hl_meta *m = &b->meta[run];
	__builtin_prefetch(m);
	if (((uintptr_t)m & (HL_CACHE_LINE - 1)) > HL_CACHE_LINE - sizeof(*m))
		__builtin_prefetch((const char *)(m + 1) - 1); /* it straddles two lines */
}

/* Prefetch the entry records (of b, f's base) of the DIRECT runs of the
 * slots sm of bucket k, and the refs of the others, noted in rv (room for
 * *nr < cap) for a second pass once their refs are cached:
 * hotlist__fz_match verifies every run it reaches against its record, and a
 * record of a 24 MB base (10^6 entries) is a DRAM miss, one after another in
 * a read's verification (the first load of check_run was ~95 % of its
 * samples). */
static void prefetch_runs(const struct hl_fuzzy *f, const struct hl_base *b,
			  const struct fz_bucket *k, unsigned sm, uint32_t *rv, size_t *nr,
			  size_t cap)
{
	for (; sm; sm &= sm - 1) {
		uint32_t v = (uint32_t)(slot_get(k, (unsigned)__builtin_ctz(sm)) >> HL_FZ_FP_BITS);
		if (v & HL_FZ_DIRECT) {
			prefetch_meta(b, v & HL_FZ_RUN_MASK);
		} else if (*nr < cap) {
			__builtin_prefetch(&f->refs[v]);
			rv[(*nr)++] = v;
		}
	}
}

/*
 * The batch filter: the d <= 1 keys of up to HL_FZ_BATCH plates, hashed and
 * their primary buckets prefetched before any is read, so that the cache
 * misses of different plates overlap (a 1 M-entry index is ~60 MB: most
 * lookups miss the caches). No verification: a set bit says "some slot has
 * the fingerprint of a key of this plate", and the caller then runs
 * hotlist__fz_match for that plate (those buckets now cached). A plate with
 * no such slot costs nothing more: most reads stop here.
 */
uint32_t hotlist__fz_maybe(const struct hl_fuzzy *f, const struct hl_base *b,
			   const struct hl_fz_opts *o, const char *const *plates,
			   const size_t *lens, size_t n, uint32_t *hint)
{
	enum { PER = HL_FZ_PLATE_KEYS };
	struct hl_key sk[PER], dk[1];
	struct fz_pos pos[HL_FZ_BATCH * PER];
	uint8_t owner[HL_FZ_BATCH * PER], kix[HL_FZ_BATCH * PER]; /* plate, key of the plate */
	struct hl_key fk[HL_FZ_BATCH * PER]; /* all keys: key, kind, filter place, plate */
	uint8_t fkind[HL_FZ_BATCH * PER];
	struct flt_pos fw[HL_FZ_BATCH * PER];
	uint8_t fowner[HL_FZ_BATCH * PER], fkix[HL_FZ_BATCH * PER];
	uint32_t rv[HL_FZ_BATCH * PER]; /* values of refs found, for their runs' records */
	size_t nk = 0, nf = 0, nr = 0, m;
	uint32_t maybe = 0;
	HL_DEBUG_ASSERT(n <= HL_FZ_BATCH);
	for (size_t i = 0; hint && i < n; i++)
		hint[i] = 0;
	if (o->d > 1)
		return n < 32 ? (UINT32_C(1) << n) - 1 : UINT32_MAX; /* per read: d = 2 */
	for (size_t i = 0; i < n; i++) { /* every key: its filter word */
		size_t add = plate_keys(f, o, plates[i], lens[i], sk, dk, &m);
		for (size_t j = 0; j < add; j++) { /* SKEL: t constant, flt_pos unrolled */
			fkind[nf] = HL_SKEL;
			fk[nf] = sk[j];
			fw[nf] = flt_pos(f, HL_SKEL, &fk[nf]);
			__builtin_prefetch(&f->flt[HL_SKEL][fw[nf].w]);
			fkix[nf] = (uint8_t)j;
			fowner[nf++] = (uint8_t)i;
		}
		if (m) {
			fkind[nf] = HL_DEL;
			fk[nf] = dk[0];
			fw[nf] = flt_pos(f, HL_DEL, &fk[nf]);
			__builtin_prefetch(&f->flt[HL_DEL][fw[nf].w]);
			fkix[nf] = (uint8_t)add;
			fowner[nf++] = (uint8_t)i;
		}
	}
	for (size_t j = 0; j < nf; j++) { /* the keys their filter passes: their buckets */
		if (!flt_has(f, fkind[j], fw[j]))
			continue;
		pos[nk] = fz_pos(fz_hash(f->seed, &fk[j]), fkind[j], f->nb);
		__builtin_prefetch(&f->bk[pos[nk].b1]);
		kix[nk] = fkix[j];
		owner[nk++] = fowner[j];
	}
	size_t nc = 0; /* keys whose primary spilled: their chain, prefetched too */
	for (size_t j = 0; j < nk; j++) {
		const struct fz_bucket *k = &f->bk[pos[j].b1];
		unsigned sm = scan_bucket(k, pos[j].fp);
		if (sm) {
			maybe |= UINT32_C(1) << owner[j];
			if (hint)
				hint[owner[j]] |= UINT32_C(1) << kix[j];
			prefetch_runs(f, b, k, sm, rv, &nr, HL_FZ_BATCH * PER);
		} else if ((hint || !(maybe >> owner[j] & 1)) && bucket_full(k) &&
			   (k->spill & HL_FZ_MASK_BIT(pos[j].fp)) && f->max_probe > 1) {
			__builtin_prefetch(&f->bk[pos[j].b2]);
			pos[nc] = pos[j];
			kix[nc] = kix[j];
			owner[nc++] = owner[j];
		}
	}
	for (size_t j = 0; j < nc; j++) {
		if ((hint || !(maybe >> owner[j] & 1)) && probe_chain(f, pos[j], NULL)) {
			maybe |= UINT32_C(1) << owner[j];
			if (hint)
				hint[owner[j]] |= UINT32_C(1) << kix[j];
		}
	}
	for (size_t j = 0; j < nr; j++) { /* the records of the runs of refs */
		const uint32_t *r = &f->refs[rv[j]];
		for (uint32_t i = 0; i < r[0] && i < HL_FZ_PREFETCH_REFS; i++)
			prefetch_meta(b, r[1 + i]);
	}
	return maybe;
}
