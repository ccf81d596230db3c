/* SPDX-License-Identifier: MIT */
/*
 * match.c — the read path: normalise a read, look it up in every list of
 * one published state, apply policy (country, validity, suppression,
 * priority order), call back.
 *
 * What a read touches, for a read that hits nothing (99.9 % of them):
 *   - its own plate text (normalised on the stack, packed into a 12-byte key);
 *   - the state pointer and the list headers (hot in every core's cache);
 *   - per list, one 64-byte bucket of the base index (table.c), which is the
 *     one likely cache miss; plus, when the list has pending edits, one
 *     slot of its edit overlay (snapshot_edit.c; small, so it stays cached).
 * Only a hit goes on to the entry run (24-byte records, contiguous), the hide
 * index, the strings, the suppression table and the callback. Nothing is
 * written and nothing of the read is kept when it does not hit (privacy:
 * the counters count, they do not remember), nor for a weak fuzzy hit
 * unless the engine keeps them for second reads (second.c: a hash of the
 * text, the entry, camera, time and score; docs/SECURITY.md).
 *
 * The batch path works in chunks of HL_CHUNK reads. It normalises a
 * chunk's reads and, HL_PLACE_GROUP reads behind, packs their keys and
 * places them in each list's index (hotlist__table_place: hash, prefetch
 * the buckets), so that the lines a group needs load while the next
 * groups are normalised; then it looks the whole chunk up per list
 * (hotlist__table_find_placed; lists past the first HL_PLACE_LISTS with
 * hotlist__table_find_bulk), so the DRAM misses of a chunk overlap
 * instead of queueing; the entries and tails of the chunk's exact hits are
 * then prefetched together (prefetch_hits) before the hits are delivered
 * one by one, in read order.
 *
 * Fuzzy matching (docs/fuzzy.md). A read is tried as a sequence of
 * variants: its plate, the plate repaired to its country's layout (lists
 * with repair on), then each OCR candidate as read and repaired. Per variant
 * and list: the exact index, and only for lists whose `slow` flag is set
 * (edits, wildcard patterns, an OCR/indel index) the entries put (the edit
 * overlay's record of the key, and its fuzzy key table), the pattern
 * stores (the base's, and l->adds's of the wildcard puts) and the fuzzy
 * index. An entry found more than once is kept once, from
 * its earliest variant, the cheapest way. The batch path goes to the
 * per-read path only for reads that hit exactly, have candidates or a
 * repair, or may hit a slow list: per slow list and chunk, the edit overlay
 * (or its fuzzy key table) and the fuzzy indexes are asked for all reads at once (slow_maybe; a list
 * with wildcard patterns sends every read); the base's fuzzy index also
 * hands each read the keys it found (a hint), so the per-read query does
 * not look up the others again. Exact-only lists pay one flag
 * test per list and chunk, and one candidate-count test per read.
 *
 * The single call (hotlist_match) makes the same test first (may_hit): its
 * base lookups, then the gather only for a read that hit or may hit. It
 * cannot overlap one read's normalise-pack-hash-load chain with another's,
 * so nothing on that chain waits on a store it just made: the key is packed
 * as the plate is normalised (hotlist__normalise_key, from a register), and
 * the table hashes it from its two fields (table.c, key_hash), not with a
 * word load across both. Its steps up to the lookup are inlined into one
 * frame (match_one, prepare, may_hit; the read counter and the sampled
 * clock's countdown from stats.h).
 *
 * Priority order: the candidates of one read (all lists) are gathered in a
 * fixed array on the stack, sorted by priority (stable: list order breaks
 * ties), filtered, then called back. If a read has more than HL_MAX_CANDS
 * candidates (many lists listing the same plate many times) they are
 * delivered in groups of HL_MAX_CANDS, each in priority order.
 *
 * Threads: any number, concurrently; never blocks, never allocates, takes
 * no lock. The RCU read-side section spans the callbacks, so the strings
 * handed to them stay valid.
 */
#include "match.h"

#include "abi.h"
#include "clock.h"
#include "common.h"
#include "engine.h"
#include "fuzzy.h"
#include "list.h"
#include "normalise.h"
#include "pattern.h"
#include "plates.h"
#include "retro.h"
#include "scope.h"
#include "score.h"
#include "second.h"
#include "snapshot.h"
#include "stats.h"
#include "suppress.h"
#include "table.h"

#include <assert.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack, for the hit id */
#include <xxhash.h>

/* Reads normalised and looked up together by hotlist_match_batch: enough to
 * keep a dozen cache misses in flight per list, small enough for the
 * per-list answers (HOTLIST_LISTS_MAX x HL_CHUNK x 4 bytes) to stay on the
 * stack. */
#define HL_CHUNK 32
_Static_assert(HL_CHUNK <= HL_FZ_BATCH && HL_CHUNK <= 32, "a chunk's reads are bits of a uint32_t");
/* A helper whose only effect is __builtin_prefetch: GCC 12's IPA finds it
 * pure (a prefetch has no effect it models) and deletes the calls, so it is
 * inlined before that analysis runs. */
#define HL_PREFETCH_FN static inline __attribute__((always_inline))
/* A step of the single call inlined into it (and into its other callers):
 * GCC leaves these as calls of their own otherwise, each a frame set up and
 * torn down around a few dozen instructions (PERFORMANCE.md, the single call). */
#define HL_STEP static inline __attribute__((always_inline))

/* The batch packs and places (hashes, prefetches: table.c, "Placed
 * lookups") its reads' keys HL_PLACE_GROUP at a time, that many reads
 * behind the normaliser; in the first HL_PLACE_LISTS lists (their bucket
 * numbers are kept on the stack: 8 bytes a read and list), the others
 * looked up with hotlist__table_find_bulk after the chunk is normalised. */
#ifndef HL_PLACE_GROUP
#define HL_PLACE_GROUP 8
#endif
#define HL_PLACE_LISTS 8
/* Candidate hits of one read gathered before they are sorted and called
 * back; more are delivered in further groups. */
#define HL_MAX_CANDS 64

HL_TLS unsigned hotlist__in_callback;

/* A way of reading the read: its plate or one of its OCR candidates, as
 * read or repaired to the country's layout. Tried in this order, which is
 * also the order of preference when an entry is hit more than once. */
struct variant {
	char plate[HOTLIST_PLATE_MAX + 1];
	size_t len;
	struct hl_key key;
	unsigned candidate; /* 0 = read->plate */
	bool repaired;
};

/* Variants of one read at most: every candidate, as read and repaired. */
#define HL_VARIANTS (2 * (1 + HOTLIST_CANDIDATES_MAX))

struct cand {
	const struct hl_list *l;
	const struct hl_base *b;
	const struct hl_meta *m;
	uint8_t kind, subs, indels;
	uint8_t variant; /* index into the gather's variants */
	uint8_t exact_too; /* a later variant (repair, candidate) hit the entry exactly */
	uint8_t support; /* later variants that hit the entry within budget */
};

/* A read, normalised. format/rep are filled on demand (read_verdict,
 * read_format). */
struct nread {
	const struct hotlist_read *r; /* complete (abi.h) */
	const struct hotlist_read *orig; /* as the caller built it: hit->read */
	struct hl_key key;
	hl_country country;
	uint8_t fmt_done, rep_done, rep_ok; /* format known; repair tried too (rep_ok) */
	int8_t format;
	size_t len;
	char plate[HOTLIST_PLATE_MAX + 1];
	char rep[HOTLIST_PLATE_MAX + 1]; /* the repaired plate when rep_ok */
	/* for scoped lists (scope.h), filled on demand (scope_done) */
	uint8_t scope_done;
	uint64_t cam_hash;
	int64_t ts;
	/* batch path: which keys of the plate have slots in fuzzy index
	 * fz_hint_of (hotlist__fz_maybe), or fz_hint_of NULL */
	const struct hl_fuzzy *fz_hint_of;
	uint32_t fz_hint;
};

/* Counters of one call, added to the shared stripes once. */
struct tally {
	uint64_t reads, bad, hits, exact, suppressed, not_valid, weak_suppressed, weak;
	uint64_t retro_kept, second;
};

/* The last country string parsed in a batch: a camera's reads usually share
 * one string, parsed once (the same pointer is the same text: the caller's
 * reads are const for the call). */
struct country_memo {
	const char *s; /* NULL: none yet */
	hl_country c;
};

/* The single call's memo, one per thread: the last two-letter country text
 * it parsed (bytes 0 and 1; 0: none) and its code. By content, not by
 * pointer: between calls the caller may write another country into the
 * same buffer. A thread's reads mostly come from one camera, one country:
 * the parse was ~44 instructions of a single read that the batch pays once
 * a chunk (callgrind; PERFORMANCE.md, the single call). */
struct country_last {
	uint32_t text;
	hl_country c;
};
static HL_TLS struct country_last country_last;

/* The parse behind parse_country's memos, and their update (text: the
 * thread memo's key for in, 0 for none). */
static int parse_country_memo(const char *in, hl_country *out, struct country_memo *memo,
			      uint32_t text)
{
	int rc = hotlist__parse_country(in, out);
	if (rc)
		return rc;
	if (memo) {
		memo->s = in;
		memo->c = *out;
	} else if (text) {
		country_last.text = text;
		country_last.c = *out;
	}
	return 0;
}

/* The read's country: memo, the batch's memo; NULL: the thread's. */
HL_STEP int parse_country(const char *in, hl_country *out, struct country_memo *memo)
{
	if (!in) { /* most reads: no country, no call */
		*out = 0;
		return 0;
	}
	if (memo) {
		if (in != memo->s)
			return parse_country_memo(in, out, memo, 0);
		*out = memo->c;
		return 0;
	}
	const unsigned char *u = (const unsigned char *)in;
	uint32_t text = 0; /* two bytes then the NUL; no byte past it is read */
	if (u[0] && u[1] && !u[2]) {
		text = u[0] | (uint32_t)u[1] << 8;
		if (text == country_last.text) {
			*out = country_last.c;
			return 0;
		}
	}
	return parse_country_memo(in, out, NULL, text);
}

/* The rest of prepare_text and prepare, once the plate is normalised
 * (len: hotlist__normalise_plate's answer): the country parsed, the
 * fields set. */
HL_STEP int prepare_fields(const struct hotlist_read *r, const struct hotlist_read *orig,
			   struct nread *nr, struct country_memo *memo, int len)
{
	if (HL_UNLIKELY(len < 0))
		return len;
	int rc = parse_country(r->country, &nr->country, memo);
	if (HL_UNLIKELY(rc))
		return rc;
	nr->len = (size_t)len;
	nr->r = r;
	nr->orig = orig;
	nr->fmt_done = nr->rep_done = 0;
	nr->scope_done = 0;
	nr->fz_hint_of = NULL;
	return 0;
}

/* The read's plate normalised and its country parsed, its key not yet
 * packed (pack_key). memo: the batch's country memo, or NULL. */
HL_STEP int prepare_text(const struct hotlist_read *r, const struct hotlist_read *orig,
			 struct nread *nr, struct country_memo *memo)
{
	return prepare_fields(r, orig, nr, memo, hotlist__normalise_plate(r->plate, nr->plate));
}

/*
 * The read's key, from its normalised plate. Kept apart from prepare_text
 * and done as late as the caller can: the normaliser writes the plate a
 * byte at a time and hotlist__key_pack reads it back as 4- and 8-byte
 * words; a word load that spans byte stores still in the store buffer
 * cannot be forwarded from them and waits until they reach the cache. The
 * batch packs a key only after the next HL_PLACE_GROUP reads are
 * normalised (place_reads); packing after the whole chunk did, perf's
 * share of the packing in a 10^6-entry batch fell from 20 % to 11 % of the
 * matching samples, and a throwaway driver measured 37.2-37.5 -> 34.6-35.5
 * ns a read at 10^4 entries (medians of two sets of 5 alternated runs);
 * bench_lookup's A/B on a loaded VM did not tell them apart
 * (docs/PERFORMANCE.md, read path, fourth pass). The single call has no
 * other read's work to put in between (packing after the read lock, or a
 * byte at a time with hotlist__key_pack_plain and the key stored whole,
 * measured no faster): it packs from registers as it normalises
 * (prepare, hotlist__normalise_key; PERFORMANCE.md, the single call).
 */
static inline void pack_key(struct nread *nr)
{
	hotlist__key_pack(nr->plate, nr->len, &nr->key);
}

/* prepare_text and pack_key, for a read looked up at once (the single
 * call): the key packed from registers as the plate is normalised
 * (hotlist__normalise_key), not read back from the plate's byte stores. */
HL_STEP int prepare(const struct hotlist_read *r, const struct hotlist_read *orig, struct nread *nr,
		    struct country_memo *memo)
{
	return prepare_fields(r, orig, nr, memo,
			      hotlist__normalise_key(r->plate, nr->plate, &nr->key));
}

/* Whether list l (which has a scope) applies to the read: one test per
 * list, the camera hash and time computed once per read. */
static bool in_scope(struct nread *nr, const struct hl_list *l)
{
	if (!nr->scope_done) {
		nr->scope_done = 1;
		nr->cam_hash = hotlist__scope_camera_hash(nr->r->camera);
		nr->ts = nr->r->ts_us ? nr->r->ts_us : hotlist__wall_us();
	}
	return hotlist__scope_allows(l->scope, nr->r->camera, nr->cam_hash, nr->ts);
}

/* The read's format verdict (plates.c), once per read: what a hit reports.
 * Without the repair: for a plate that does not fit, trying every swap of
 * the confusion pairs is most of the check's cost (a hit of a read with a
 * country paid it whether or not any list repairs). */
static void read_verdict(struct nread *nr)
{
	if (nr->fmt_done)
		return;
	nr->fmt_done = 1;
	nr->format = (int8_t)hotlist__plate_format(nr->country, nr->plate, nr->len, NULL, NULL);
}

/* The read's format verdict and its repair (plates.c), once per read. Only
 * a plate that does not fit has a repair to look for. */
static void read_format(struct nread *nr)
{
	int did = 0;
	if (nr->rep_done)
		return;
	nr->rep_done = 1;
	nr->rep_ok = 0;
	if (nr->fmt_done && nr->format != HL_FORMAT_NO)
		return;
	nr->fmt_done = 1;
	nr->format = (int8_t)hotlist__plate_format(nr->country, nr->plate, nr->len, nr->rep, &did);
	nr->rep_ok = did && strcmp(nr->rep, nr->plate) != 0;
}

/* An entry's identity across reloads: list, plate, country, category. */
static uint64_t entry_id(const struct cand *c)
{
	return hotlist__meta_id(c->b, c->m, c->l->name_hash);
}

static void sort_by_priority(struct cand *c, size_t n)
{
	for (size_t i = 1; i < n; i++) { /* insertion sort: n is small, and stable */
		struct cand x = c[i];
		size_t j = i;
		for (; j > 0 && c[j - 1].m->priority > x.m->priority; j--)
			c[j] = c[j - 1];
		c[j] = x;
	}
}

struct sink {
	struct hotlist *hl;
	hotlist_hit_fn fn;
	void *user;
	uint64_t t0_ns; /* 0: this call is not timed */
	uint32_t weight; /* the calls a timed hit stands for (stats.c, sampled timing) */
	enum hl_hist hist;
	struct tally *t;
	/* retroactive hits (hotlist__match_retro): only the exact hits of the
	 * entries retro_keep accepts, called back flagged */
	hotlist__retro_filter_fn retro_keep;
	void *retro_ctx;
};

/* The candidate hits of one read, and the variants they came from. */
struct gather {
	const struct sink *s;
	struct nread *nr;
	struct cand c[HL_MAX_CANDS];
	size_t n;
	struct variant v[HL_VARIANTS];
	unsigned nv;
	struct hl_score_cache zc; /* score.c's per-read part, zeroed per deliver */
};

/* Storage of a hit's strings that are made, not borrowed from the list. */
struct hit_buf {
	char entry_plate[HOTLIST_PLATE_MAX + 1];
	char entry_id[HOTLIST_HIT_ID_LEN + 1];
	char hit_id[HOTLIST_HIT_ID_LEN + 1];
	struct hotlist_attr attrs[HOTLIST_ATTRS_MAX];
};

/*
 * v as HOTLIST_HIT_ID_LEN lower-case hex digits, most significant first, and
 * a NUL. Eight nibbles at a time in a word (a hit has two ids: the loop of
 * one digit a step, each a dependent shift and a byte store, was ~8 % of a
 * hit's cost): each nibble spread into a byte of its own, then '0' added,
 * and 'a' - '0' - 10 more to the bytes of 10 or more (nibble + 6 carries
 * into bit 4 exactly then; no byte overflows). Most significant byte
 * first: one swapped word store on a little-endian machine, by shifts
 * elsewhere.
 */
static void hex64(uint64_t v, char *out)
{
	static_assert(HOTLIST_HIT_ID_LEN == 16, "two words of eight digits");
	const uint64_t ones = UINT64_C(0x0101010101010101);
	for (int half = 0; half < 2; half++) {
		uint64_t x = (uint32_t)(v >> (half ? 0 : 32));
		x = (x | x << 16) & UINT64_C(0x0000ffff0000ffff);
		x = (x | x << 8) & UINT64_C(0x00ff00ff00ff00ff);
		x = (x | x << 4) & UINT64_C(0x0f0f0f0f0f0f0f0f);
		x += '0' * ones + (((x + 6 * ones) >> 4) & ones) * ('a' - '0' - 10);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		x = __builtin_bswap64(x);
		memcpy(out + 8 * half, &x, 8);
#else
		for (int i = 0; i < 8; i++)
			out[8 * half + i] = (char)(x >> (56 - 8 * i));
#endif
	}
	out[HOTLIST_HIT_ID_LEN] = '\0';
}

/* Bytes of an id's input hashed in one call from the stack: a hit id's
 * inputs with a list's own entry id (HOTLIST_ID_MAX), a list name, a plate,
 * a camera id as long as the asynchronous path keeps (HOTLIST_CAMERA_MAX)
 * and the time come to 282 bytes. A longer input (a long camera id or
 * category) is hashed in pieces. */
#define HL_ID_INPUT_MAX 320

/* Hash of the NUL-terminated strings strs[0..n), each with its NUL (len[i]
 * bytes before it: those the caller knows, else taken here, SIZE_MAX), then
 * tail (8 bytes little-endian) if tail_len: the documented id recipes. One
 * XXH3_64bits of the bytes laid end to end, which is what streaming them
 * gives (xxhash.h: the streaming and one-shot forms agree) at a fraction of
 * the cost for a short input: no 576-byte state to set up and digest. */
static uint64_t id_hash(const char *const *strs, size_t *len, size_t n, int64_t tail, int tail_len)
{
	unsigned char in[HL_ID_INPUT_MAX];
	unsigned char le[8];
	size_t total = tail_len ? sizeof(le) : 0;
	HL_DEBUG_ASSERT(n <= 4);
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)((uint64_t)tail >> (8 * i));
	for (size_t i = 0; i < n; i++) {
		len[i] = (len[i] == SIZE_MAX ? strlen(strs[i]) : len[i]) + 1;
		HL_DEBUG_ASSERT(strs[i][len[i] - 1] == '\0');
		total += len[i];
	}
	if (HL_LIKELY(total <= sizeof(in))) {
		unsigned char *p = in;
		for (size_t i = 0; i < n; i++)
			p = (unsigned char *)memcpy(p, strs[i], len[i]) + len[i];
		if (tail_len)
			memcpy(p, le, sizeof(le));
		return XXH3_64bits(in, total);
	}
	XXH3_state_t st;
	XXH3_64bits_reset(&st);
	for (size_t i = 0; i < n; i++)
		XXH3_64bits_update(&st, strs[i], len[i]);
	if (tail_len)
		XXH3_64bits_update(&st, le, sizeof(le));
	return XXH3_64bits_digest(&st);
}

/* The hit's ids (docs: struct hotlist_hit.entry_id, hit_id). plate_len:
 * h->entry_plate's length; read_plate: the read's plate normalised, of
 * read_len bytes. */
static void fill_ids(struct hotlist_hit *h, struct hit_buf *hb, const char *list_id,
		     size_t plate_len, const char *read_plate, size_t read_len, int64_t ts)
{
	size_t id_len = SIZE_MAX;
	if (list_id[0]) {
		h->entry_id = list_id;
	} else {
		const char *k[4] = { h->list, h->entry_plate, h->country, h->category };
		size_t len[4] = { SIZE_MAX, plate_len, strnlen(h->country, 2), SIZE_MAX };
		hex64(id_hash(k, len, 4, 0, 0), hb->entry_id);
		h->entry_id = hb->entry_id;
		id_len = HOTLIST_HIT_ID_LEN;
	}
	const char *camera = h->read->camera ? h->read->camera : "";
	const char *k[4] = { h->entry_id, h->list, camera, read_plate };
	size_t len[4] = { id_len, SIZE_MAX, SIZE_MAX, read_len };
	hex64(id_hash(k, len, 4, ts, 8), hb->hit_id);
	h->hit_id = hb->hit_id;
}

/*
 * The hit of candidate c. Every field is set here, one by one: no memset of
 * the whole struct first (168 bytes on x86-64: gcc made it a `rep stos`,
 * whose start-up was ~5 % of a hit's cost). A field added to struct
 * hotlist_hit must be set here too: the size below fails the build until
 * this function has been looked at.
 */
static void fill_hit(struct hotlist_hit *h, const struct gather *g, const struct cand *c,
		     struct hit_buf *hb, int64_t ts, unsigned score, bool weak, bool second)
{
	static_assert(sizeof(void *) != 8 || sizeof(struct hotlist_hit) == 168,
		      "a field of struct hotlist_hit added: set it in fill_hit");
	char *entry_plate = hb->entry_plate;
	const struct hl_meta *m = c->m;
	const struct variant *v = &g->v[c->variant];
	h->read = g->nr->orig;
	h->read_plate = v->plate;
	hotlist__country_str(g->nr->country, h->read_country);
	h->list = c->l->name;
	h->list_version = c->l->version;
	const size_t plate_len = hl_meta_unpack(m, entry_plate);
	h->entry_plate = entry_plate;
	/* the plate as listed is the key's text unless stored (list.h) */
	h->plate = m->flags & HL_M_PLATE ? hl_meta_plate(c->b, m, entry_plate) : entry_plate;
	hotlist__country_str(m->country, h->country);
	h->category = hl_meta_category(c->b, m);
	h->reference = hl_meta_reference(c->b, m);
	h->priority = m->priority;
	h->covert = (m->flags & HL_M_COVERT) != 0;
	hl_meta_window(c->b, m, &h->valid_from_us, &h->expires_us);
	h->match = (enum hotlist_match_kind)c->kind;
	h->substitutions = c->subs;
	h->indels = c->indels;
	h->candidate = v->candidate;
	h->repaired = v->repaired;
	h->format = g->nr->format;
	h->score = score;
	h->weak = weak;
	h->retro = g->s->retro_keep != NULL;
	h->second_read = second;
	const char *list_id;
	h->n_attrs = hotlist__meta_extras(c->b, m, &list_id, hb->attrs);
	h->attrs = h->n_attrs ? hb->attrs : NULL;
	fill_ids(h, hb, list_id, plate_len, g->nr->plate, g->nr->len, ts);
}

/* Whether the read's unique repair is a plate of list l as readers see it
 * (a base entry an edit removed is not). */
static bool repair_listed(const struct hl_list *l, const struct nread *nr)
{
	struct hl_key k;
	hotlist__key_pack(nr->rep, nr->len, &k);
	return hotlist__list_has(l, &k);
}

/* The score model of list l: its base's. */
static const struct hl_score_model *model_of(const struct hl_list *l)
{
	return hotlist__fz_model(l->fz_base);
}

/*
 * The score of candidate c (docs/fuzzy.md, "Score"): 100 for exact and
 * wildcard hits and for an entry some variant hit exactly (a unique repair,
 * an OCR candidate); else the model's, with the neighbours counted among
 * the gathered candidates of the same list. drop_below (0: none): the hit
 * is dropped when it scores below it, and its exact score is not needed
 * then: an upper bound below it (hotlist__score_upper) is returned instead.
 */
static unsigned score_of(struct gather *g, const struct cand *c, char *entry_plate,
			 unsigned drop_below)
{
	const struct hl_list *l = c->l;
	const struct variant *v = &g->v[c->variant];
	struct nread *nr = g->nr;
	if (c->kind == HOTLIST_MATCH_EXACT || c->kind == HOTLIST_MATCH_WILDCARD || c->exact_too)
		return 100;
	read_format(nr); /* the repair, for repaired_elsewhere below */
	unsigned nb = 0;
	for (size_t i = 0; i < g->n; i++)
		nb += g->c[i].l == l &&
		      (g->c[i].kind == HOTLIST_MATCH_OCR || g->c[i].kind == HOTLIST_MATCH_INDEL);
	struct hl_score_in in = { .skel = l->opts.skel,
				  .read = v->plate,
				  .rlen = v->len,
				  .entry = entry_plate,
				  .elen = hl_meta_unpack(c->m, entry_plate),
				  .subs = c->subs,
				  .indels = c->indels,
				  .country = nr->country,
				  .format = nr->format,
				  .neighbours = nb ? nb : 1,
				  .candidate = v->candidate,
				  .support = c->support,
				  .cache = &g->zc };
	if (v->candidate || v->repaired) /* the variant's own layout verdict */
		in.format = hotlist__plate_format(nr->country, v->plate, v->len, NULL, NULL);
	else if (nr->rep_ok)
		in.repaired_elsewhere = !repair_listed(l, nr);
	if (drop_below) {
		unsigned up = hotlist__score_upper(model_of(l), l->opts.k, l->opts.d, &in);
		if (up < drop_below)
			return up;
	}
	return hotlist__score(model_of(l), l->opts.k, l->opts.d, &in);
}

/*
 * Second-read evidence for weak hit c of score *score (second.c): the
 * pair's score when an earlier weak hit of the same entry by another text
 * of the same car was kept and the pair reaches threshold thr. camera: the
 * read's camera id hashed (0 without one). Reads without a camera id are
 * not kept unless any camera counts.
 */
static bool second_read(struct gather *g, const struct cand *c, int64_t ts, uint64_t camera,
			unsigned *score, unsigned thr)
{
	const struct hotlist *hl = g->s->hl;
	if (!g->nr->r->camera && !hl->cfg.second_read_any_camera)
		return false;
	const struct variant *v = &g->v[c->variant];
	struct hl_second_hit h = { entry_id(c), v->plate, v->len, camera, ts, *score };
	unsigned pair = hotlist__second_note(hl->second, &h);
	if (pair < thr)
		return false;
	*score = pair;
	return true;
}

/* Whether entry m (which has a window) is valid at ts. */
static bool in_window(const struct hl_base *b, const struct hl_meta *m, int64_t ts)
{
	int64_t from, expires;
	hl_meta_window(b, m, &from, &expires);
	return !(from && ts < from) && !(expires && ts >= expires);
}

/* Policy and callbacks for the gathered candidates of one read. */
static void deliver(struct gather *g)
{
	const struct sink *s = g->s;
	struct hotlist *hl = s->hl;
	const struct nread *nr = g->nr;
	int64_t ts = nr->r->ts_us ? nr->r->ts_us : hotlist__wall_us();
	/* suppression needs to know the camera: reads without one are never
	 * suppressed (two unknown cameras are not "the same camera") */
	int suppress = hl->cfg.suppress_window_us && nr->r->camera;
	/* hashed once per read, for suppression and second reads */
	uint64_t camera = nr->r->camera && (suppress || hl->second) ?
				  XXH3_64bits(nr->r->camera, strlen(nr->r->camera)) :
				  0;
	read_verdict(g->nr);
	g->zc.m = NULL;
	sort_by_priority(g->c, g->n);
	for (size_t i = 0; i < g->n; i++) {
		const struct cand *c = &g->c[i];
		const struct hl_meta *m = c->m;
		if (HL_UNLIKELY(s->retro_keep) && (c->kind != HOTLIST_MATCH_EXACT || c->variant ||
						   !s->retro_keep(s->retro_ctx, c->l, m)))
			continue;
		if (HL_UNLIKELY(m->flags & HL_M_WINDOW) && !in_window(c->b, m, ts)) {
			s->t->not_valid++;
			continue;
		}
		char entry_plate[HOTLIST_PLATE_MAX + 1];
		const struct hl_fz_opts *o = &c->l->opts;
		unsigned score = 100;
		bool weak = false, second = false;
		if (o->min_score || o->weak_hits) {
			unsigned thr = hotlist__score_threshold(model_of(c->l), o);
			/* a weak hit is dropped unless called back or kept for a
			 * second read: then its exact score is not needed */
			score = score_of(g, c, entry_plate, !o->weak_hits && !hl->second ? thr : 0);
			thr = score < 100 ? thr : 0;
			weak = score < thr;
			if (weak && HL_UNLIKELY(hl->second) && !s->retro_keep)
				weak = !(second = second_read(g, c, ts, camera, &score, thr));
		} else if (c->kind == HOTLIST_MATCH_OCR || c->kind == HOTLIST_MATCH_INDEL) {
			score = 0; /* policy off: not computed */
		}
		if (weak && !o->weak_hits) {
			s->t->weak_suppressed++;
			continue;
		}
		if (suppress && hotlist__suppress_check(hl->sup, entry_id(c), camera, ts)) {
			s->t->suppressed++;
			continue;
		}
		s->t->weak += weak;
		s->t->second += second;
		struct hotlist_hit hit;
		struct hit_buf hb;
		fill_hit(&hit, g, c, &hb, ts, score, weak, second);
		if (s->t0_ns)
			hotlist__stats_latency_n(hl->stats, s->hist, hotlist__now_ns() - s->t0_ns,
						 s->weight);
		hotlist__in_callback++;
		s->fn(&hit, s->user);
		hotlist__in_callback--;
		s->t->hits++;
		s->t->exact += c->kind == HOTLIST_MATCH_EXACT;
	}
	g->n = 0;
}

/*
 * Keep entry m as a candidate unless it is already one. The variants are
 * tried in order of preference, so an earlier candidate wins, except over a
 * costlier way of the same variant (fewest indels, then substitutions).
 * Within one group of HL_MAX_CANDS candidates (the rare overflow delivers
 * early) an entry is therefore called back once, the cheapest way.
 */
static void add_cand(struct gather *g, const struct cand *x)
{
	for (size_t i = 0; i < g->n; i++) {
		struct cand *c = &g->c[i];
		if (c->m != x->m)
			continue;
		if (c->variant == x->variant &&
		    (x->indels < c->indels || (x->indels == c->indels && x->subs < c->subs))) {
			uint8_t ex = c->exact_too, sup = c->support;
			*c = *x;
			c->exact_too = ex;
			c->support = sup;
		} else if (c->variant != x->variant) {
			c->exact_too |= x->kind == HOTLIST_MATCH_EXACT;
			c->support += c->support < UINT8_MAX;
		}
		return;
	}
	if (g->n == HL_MAX_CANDS)
		deliver(g);
	g->c[g->n++] = *x;
}

/* The country rule: an entry of any country, a read of unknown country, the
 * same country, or a cross-border list. */
static int country_ok(const struct hl_list *l, const struct hl_meta *m, hl_country c)
{
	return !m->country || !c || m->country == c || l->opts.cross_border;
}

/* Add the run of base b starting at i to the candidates. */
static void add_run(struct gather *g, const struct hl_list *l, const struct hl_base *b, uint32_t i,
		    int check_hidden, unsigned kind, unsigned subs, unsigned indels)
{
	struct cand x = {
		l, b, NULL, (uint8_t)kind, (uint8_t)subs, (uint8_t)indels, (uint8_t)(g->nv - 1),
		0, 0
	};
	for (; i != HL_TABLE_NONE; i++) {
		const struct hl_meta *m = &b->meta[i];
		if (country_ok(l, m, g->nr->country) &&
		    !(check_hidden && hotlist__list_hidden(l, m))) {
			x.m = m;
			add_cand(g, &x);
		}
		if (m->flags & HL_M_LAST)
			break;
	}
}

/* Where fuzzy.c and pattern.c report the runs they found. */
struct emit_ctx {
	struct gather *g;
	const struct hl_list *l;
	const struct hl_base *b;
	int check_hidden;
	int wildcard;
};

static void on_run(void *ctx, uint32_t run, unsigned subs, unsigned indels)
{
	const struct emit_ctx *e = ctx;
	unsigned kind = e->wildcard ? HOTLIST_MATCH_WILDCARD :
			indels	    ? HOTLIST_MATCH_INDEL :
			subs	    ? HOTLIST_MATCH_OCR :
				      HOTLIST_MATCH_EXACT;
	add_run(e->g, e->l, e->b, run, e->check_hidden, kind, subs, indels);
}

/* An entry put found through the overlay's fuzzy key table: a run of its
 * record's adds a, reported as on_run reports one (not hidden, no
 * wildcard). */
static void on_put(void *ctx, const struct hl_base *a, uint32_t run, unsigned subs, unsigned indels)
{
	const struct emit_ctx *e = ctx;
	struct emit_ctx in_a = { e->g, e->l, a, 0, 0 };
	on_run(&in_a, run, subs, indels);
}

/* Patterns and fuzzy index of one base of l (b is base or adds). */
static void match_slow_base(struct gather *g, const struct hl_list *l, const struct hl_base *b,
			    const struct hl_fuzzy *fz, const struct variant *v)
{
	struct emit_ctx e = { g, l, b, b == l->base && l->ovl != NULL, 1 };
	if (b->patterns)
		hotlist__patterns_match(b->patterns, v->plate, v->len, on_run, &e);
	e.wildcard = 0;
	if (fz && fz == g->nr->fz_hint_of && v == g->v) /* the read's plate, seen by the batch */
		hotlist__fz_match_keys(fz, b, &l->opts, v->plate, v->len, g->nr->fz_hint, on_run,
				       &e);
	else if (fz)
		hotlist__fz_match(fz, b, &l->opts, v->plate, v->len, on_run, &e);
}

/*
 * Gather the hits of the latest variant in every list of st. base_idx[li *
 * stride] is the base lookup already done for list li (batch path), or NULL.
 */
static void match_variant(struct gather *g, const struct hl_state *st, const uint32_t *base_idx,
			  size_t stride)
{
	const struct variant *v = &g->v[g->nv - 1];
	for (uint32_t li = 0; li < st->n; li++) {
		const struct hl_list *l = st->lists[li];
		if (v->repaired && !l->opts.repair)
			continue;
		if (HL_UNLIKELY(l->scope) && !in_scope(g->nr, l))
			continue;
		uint32_t i = base_idx ? base_idx[li * stride] : hl_base_find(l->base, &v->key);
		if (i != HL_TABLE_NONE)
			add_run(g, l, l->base, i, l->ovl != NULL, HOTLIST_MATCH_EXACT, 0, 0);
		if (HL_LIKELY(!l->slow))
			continue;
		const struct hl_base *a = l->ovl ? hotlist__list_adds(l, &v->key) : NULL;
		if (a) { /* the entries put: the overlay's of this key */
			i = hl_base_find(a, &v->key);
			if (i != HL_TABLE_NONE)
				add_run(g, l, a, i, 0, HOTLIST_MATCH_EXACT, 0, 0);
		}
		if (l->adds) /* the wildcard puts' pattern store (no fuzzy keys) */
			match_slow_base(g, l, l->adds, NULL, v);
		if (hotlist__list_fz(l)) { /* the overlay's fuzzy key table */
			struct emit_ctx e = { g, l, NULL, 0, 0 };
			hotlist__list_fz_match(l, v->plate, v->len, on_put, &e);
		}
		match_slow_base(g, l, l->base, l->fz_base, v);
	}
}

/* Start variant plate (len chars) of the read; 0 if an earlier one covers
 * it: the same plate, tried in every list it would be (a repaired variant
 * is tried only in lists with repair on). */
static int add_variant(struct gather *g, const char *plate, size_t len, unsigned cand, bool rep)
{
	for (unsigned i = 0; i < g->nv; i++)
		if (g->v[i].len == len && memcmp(g->v[i].plate, plate, len) == 0 &&
		    (!g->v[i].repaired || rep))
			return 0;
	struct variant *v = &g->v[g->nv++];
	memcpy(v->plate, plate, len);
	v->plate[len] = '\0';
	v->len = len;
	v->candidate = cand;
	v->repaired = rep;
	hotlist__key_pack(plate, len, &v->key);
	return 1;
}

/* Start the read's own plate as the first variant: its key is the one
 * prepare() packed (hotlist__key_pack is not cheap next to a cached lookup:
 * ~10 % of a single read's time before). */
static void first_variant(struct gather *g, const struct nread *nr)
{
	struct variant *v = &g->v[0];
	memcpy(v->plate, nr->plate, nr->len + 1);
	v->len = nr->len;
	v->key = nr->key;
	v->candidate = 0;
	v->repaired = false;
	g->nv = 1;
}

/* The OCR candidates of the read, each as read and repaired. */
static void match_candidates(struct gather *g, const struct hl_state *st)
{
	const struct hotlist_read *r = g->nr->r;
	unsigned n =
		r->n_candidates < HOTLIST_CANDIDATES_MAX ? r->n_candidates : HOTLIST_CANDIDATES_MAX;
	for (unsigned ci = 0; r->candidates && ci < n; ci++) {
		char p[HOTLIST_PLATE_MAX + 1], rep[HOTLIST_PLATE_MAX + 1];
		int did = 0, len = r->candidates[ci] ?
					   hotlist__normalise_plate(r->candidates[ci], p) :
					   HOTLIST_EPLATE;
		if (len < 0)
			continue;
		if (add_variant(g, p, (size_t)len, ci + 1, false))
			match_variant(g, st, NULL, 0);
		if (g->nr->country &&
		    hotlist__plate_format(g->nr->country, p, (size_t)len, rep, &did) ==
			    HL_FORMAT_NO &&
		    did && add_variant(g, rep, (size_t)len, ci + 1, true))
			match_variant(g, st, NULL, 0);
	}
}

/* Does some list of st repair reads to their country's layout? */
static bool any_repair(const struct hl_state *st)
{
	bool r = false;
	for (uint32_t li = 0; li < st->n; li++)
		r |= st->lists[li]->opts.repair;
	return r;
}

/*
 * Gather and deliver the hits of one read in state st. base_idx[li *
 * stride] is the base lookup already done for list li (batch path), or NULL.
 */
static void match_read(const struct sink *s, const struct hl_state *st, struct nread *nr,
		       const uint32_t *base_idx, size_t stride)
{
	struct gather g;
	g.s = s;
	g.nr = nr;
	g.n = 0;
	first_variant(&g, nr);
	match_variant(&g, st, base_idx, stride);
	if (nr->country && any_repair(st)) { /* the format check only where a list repairs */
		read_format(nr);
		if (nr->rep_ok && add_variant(&g, nr->rep, nr->len, 0, true))
			match_variant(&g, st, NULL, 0);
	}
	if (HL_UNLIKELY(nr->r->n_candidates))
		match_candidates(&g, st);
	if (g.n)
		deliver(&g);
}

static void tally_flush(struct hotlist *hl, const struct tally *t)
{
	hotlist__stats_add(hl->stats, HL_C_READS, t->reads);
	if (t->bad)
		hotlist__stats_add(hl->stats, HL_C_BAD_READS, t->bad);
	if (t->hits)
		hotlist__stats_add(hl->stats, HL_C_HITS, t->hits);
	if (t->exact)
		hotlist__stats_add(hl->stats, HL_C_HITS_EXACT, t->exact);
	if (t->suppressed)
		hotlist__stats_add(hl->stats, HL_C_SUPPRESSED, t->suppressed);
	if (t->not_valid)
		hotlist__stats_add(hl->stats, HL_C_NOT_VALID, t->not_valid);
	if (t->weak_suppressed)
		hotlist__stats_add(hl->stats, HL_C_WEAK_SUPPRESSED, t->weak_suppressed);
	if (t->weak)
		hotlist__stats_add(hl->stats, HL_C_WEAK, t->weak);
	if (t->retro_kept)
		hotlist__stats_add(hl->stats, HL_C_RETRO_KEPT, t->retro_kept);
	if (t->second)
		hotlist__stats_add(hl->stats, HL_C_SECOND_READ, t->second);
}

/*
 * Whether a read of key k may hit slow list l beyond its base index: the
 * single call's form of slow_maybe. A list that is slow only for its edits
 * (an overlay, no patterns, wildcard puts or fuzzy index) can be hit
 * beyond its base only by the entries put under the read's own key: one
 * probe of the overlay, and most reads go no further (before, every read
 * of an edited list went through match_read's gather: +10-20 ns a read at
 * 10^6 entries, docs/PERFORMANCE.md "Reads of an edited list"). The
 * base's own hits, hidden or not, are may_hit's `found`. Not slow_maybe
 * itself with one read: its fuzzy filter's set-up costs a single read of
 * a fuzzy list more than the gather it saves (measured there).
 */
static inline bool slow_may_hit(const struct hl_list *l, const struct hl_key *k)
{
	if (l->base->patterns || l->adds || l->fz_base || hotlist__list_fz(l))
		return true;
	return l->ovl && hotlist__list_adds(l, k) != NULL;
}

/*
 * The single call's first step, the lookups match_read would start with:
 * idx[li] is list li's base lookup of the read's plate. Returns whether
 * match_read must run: some list hit, or the read or a list asks for more
 * than the exact base index (OCR candidates; a slow list that may hit
 * beyond it: entries put under the read's key, patterns, a fuzzy index,
 * slow_may_hit; a repair of the read to its country's layout that differs
 * from it). The batch's test per read (chunk_match), so that a read that
 * hits nothing, the common case, skips the gather and its variants.
 */
HL_STEP bool may_hit(const struct hl_state *st, struct nread *nr, uint32_t *idx)
{
	uint32_t found = 0, slow = 0, repair = 0;
	for (uint32_t li = 0; li < st->n; li++) {
		const struct hl_list *l = st->lists[li];
		idx[li] = hl_base_find(l->base, &nr->key);
		found |= idx[li] != HL_TABLE_NONE;
		slow |= l->slow && slow_may_hit(l, &nr->key);
		repair |= l->opts.repair;
	}
	if (found || slow || nr->r->n_candidates)
		return true;
	if (repair && nr->country) {
		read_format(nr); /* a repaired plate may hit: look */
		return nr->rep_ok;
	}
	return false;
}

/* orig: the read as the caller built it; read: the same, complete.
 * Inlined into its two callers: for a read that hits nothing the single
 * call is this function, and a frame of its own meant six registers saved
 * and restored and the arguments moved once more. */
HL_STEP int match_one(struct hotlist *hl, const struct hotlist_read *read,
		      const struct hotlist_read *orig, uint64_t t0_ns, uint32_t weight,
		      enum hl_hist h, hotlist_hit_fn on_hit, void *user)
{
	struct nread nr;
	uint32_t idx[HOTLIST_LISTS_MAX];
	int rc = prepare(read, orig, &nr, NULL);
	if (HL_UNLIKELY(rc)) {
		hotlist__stats_add(hl->stats, HL_C_BAD_READS, 1);
		return rc;
	}
	const struct hl_state *st = hotlist__snap_enter(&hl->snap);
	if (HL_LIKELY(!may_hit(st, &nr, idx) && !hl->retro)) {
		hotlist__snap_exit();
		hotlist__stats_add(hl->stats, HL_C_READS, 1);
		return 0;
	}
	struct tally t = { 0 };
	struct sink s = { hl, on_hit, user, t0_ns, weight, h, &t, NULL, NULL };
	match_read(&s, st, &nr, idx, 1);
	if (HL_UNLIKELY(hl->retro)) /* inside the section: retro.c, guarantee 3 */
		t.retro_kept = hotlist__retro_keep(hl->retro, &nr.key, nr.country, read,
						   hotlist__wall_us(), st->gen);
	hotlist__snap_exit();
	t.reads = 1;
	tally_flush(hl, &t);
	return (int)t.hits;
}

int hotlist__match_one(struct hotlist *hl, const struct hotlist_read *read, uint64_t t0_ns,
		       enum hl_hist h, hotlist_hit_fn on_hit, void *user)
{
	return match_one(hl, read, read, t0_ns, 1, h, on_hit, user);
}

int hotlist_match(struct hotlist *hl, const struct hotlist_read *read, hotlist_hit_fn on_hit,
		  void *user)
{
	HL_DEBUG_ASSERT(hl && read && read->plate && on_hit);
	/* one call in HL_LAT_EVERY on average is timed once a thread matches
	 * back to back (stats.c, "Sampled timing"): the clock is a third of a
	 * cached read's cost */
	uint32_t w = 1;
	uint64_t t0 = hl->cfg.latency_histogram ? hotlist__stats_lat_start(&w) : 0;
	struct hotlist_read tmp;
	const struct hotlist_read *r = hotlist__abi_read(read, &tmp);
	if (HL_UNLIKELY(!r))
		return HOTLIST_EINVAL;
	return match_one(hl, r, read, t0, w, HL_H_INLINE, on_hit, user);
}

/* Reads of chunk nr[0..m) that may hit list l beyond its exact base index
 * (bit i for read i): its edit layer, patterns and fuzzy indexes, looked up
 * for the whole chunk at once. A set bit sends the read to match_read; the
 * base's fuzzy hints go with the reads. */
static uint32_t slow_maybe(const struct hl_list *l, size_t m, const struct hl_key *keys,
			   const char *const *plates, const size_t *lens, struct nread *nr)
{
	uint32_t all = m < 32 ? (UINT32_C(1) << m) - 1 : UINT32_MAX, maybe = 0;
	if (l->base->patterns || l->adds) /* l->adds: the wildcard puts */
		return all; /* per read: no batch form */
	if (hotlist__list_fz(l)) { /* its fuzzy key table: exact puts too (S) */
		maybe |= hotlist__list_fz_maybe(l, plates, lens, m);
	} else if (l->ovl) { /* the overlay's records of these keys, one probe each */
		for (size_t i = 0; i < m; i++)
			maybe |= (uint32_t)(hotlist__list_adds(l, &keys[i]) != NULL) << i;
	}
	if (l->fz_base) {
		uint32_t hint[HL_CHUNK];
		maybe |= hotlist__fz_maybe(l->fz_base, l->base, &l->opts, plates, lens, m, hint);
		for (size_t i = 0; i < m; i++) {
			nr[i].fz_hint_of = l->fz_base;
			nr[i].fz_hint = hint[i];
		}
	}
	return maybe;
}

/* The caller's array of reads: its stride is reads[0].struct_size (abi.h). */
struct reads {
	const char *base;
	size_t stride;
	bool complete; /* elements have the library's layout: no copy */
};

/*
 * Start loading what the chunk's exact hits will read first: each hit's
 * entry (24 bytes in the base's meta array), then its tail in the strings
 * (the reference, window, extras). In a large list both are cache misses
 * (the index found the entry, it did not load it); taken one hit after the
 * other, each hit would wait for its own.
 */
HL_PREFETCH_FN void prefetch_hits(const struct hl_state *st, const uint32_t *idx, size_t m)
{
	for (uint32_t li = 0; li < st->n; li++) {
		const struct hl_base *b = st->lists[li]->base;
		for (size_t i = 0; i < m; i++)
			if (idx[li * HL_CHUNK + i] != HL_TABLE_NONE)
				__builtin_prefetch(&b->meta[idx[li * HL_CHUNK + i]], 0, 3);
	}
	for (uint32_t li = 0; li < st->n; li++) {
		const struct hl_base *b = st->lists[li]->base;
		for (size_t i = 0; i < m; i++)
			if (idx[li * HL_CHUNK + i] != HL_TABLE_NONE)
				__builtin_prefetch(b->strings +
							   b->meta[idx[li * HL_CHUNK + i]].tail_off,
						   0, 3);
	}
}

/*
 * Pack the keys of the chunk's reads nr[from..to) into keys[] and place
 * them in the first np lists' indexes (hash, prefetch of the filter word:
 * hotlist__table_place). chunk_prepare calls it HL_PLACE_GROUP reads
 * behind its normaliser: each key is packed after the byte stores of its
 * plate have left the store buffer (see pack_key), and its filter words
 * load while the next reads are normalised; a group later sift_reads
 * tests them and asks for the bucket lines of the keys that pass.
 */
static void place_reads(const struct hl_state *st, uint32_t np, struct nread *nr,
			struct hl_key *keys, struct hl_place (*pl)[HL_CHUNK], size_t from,
			size_t to)
{
	for (size_t i = from; i < to; i++) {
		pack_key(&nr[i]);
		keys[i].lo = nr[i].key.lo; /* each load from its own store */
		keys[i].hi = nr[i].key.hi;
	}
	for (uint32_t li = 0; li < np; li++)
		hotlist__table_place(st->lists[li]->base->index, keys + from, to - from,
				     pl[li] + from);
}

/* The keys [from, to), placed, through the first np lists' filters
 * (hotlist__table_sift). */
static void sift_reads(const struct hl_state *st, uint32_t np, const struct hl_key *keys,
		       struct hl_place (*pl)[HL_CHUNK], size_t from, size_t to)
{
	for (uint32_t li = 0; li < np; li++)
		hotlist__table_sift(st->lists[li]->base->index, keys + from, to - from,
				    pl[li] + from);
}

/* One chunk of a batch between its two steps: its reads normalised, their
 * keys packed and placed in the first lists' indexes. (Preparing chunk
 * k + 1 before matching chunk k, with two of these, measured no faster:
 * docs/PERFORMANCE.md, read path, sixth pass.) */
struct chunk {
	struct nread nr[HL_CHUNK];
	struct hotlist_read tmp[HL_CHUNK]; /* complete copies of older or newer reads */
	struct hl_key keys[HL_CHUNK];
	const char *plates[HL_CHUNK];
	size_t lens[HL_CHUNK];
	struct hl_place pl[HL_PLACE_LISTS][HL_CHUNK];
	size_t m; /* reads, bad ones left out */
};

/* A chunk's first step: normalise reads [first, first + n) into c, packing
 * and placing them a group behind (place_reads), sifting them a group
 * later (sift_reads). */
static void chunk_prepare(const struct sink *s, const struct hl_state *st, const struct reads *in,
			  size_t first, size_t n, struct country_memo *memo, struct chunk *c)
{
	const uint32_t np = st->n < HL_PLACE_LISTS ? st->n : HL_PLACE_LISTS;
	size_t m = 0, placed = 0, sifted = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hotlist_read *orig = (const void *)(in->base +
								 (first + i) * in->stride),
					  *r = orig;
		if (HL_UNLIKELY(!in->complete)) {
			memset(&c->tmp[i], 0, sizeof(c->tmp[i]));
			hotlist__abi_in(HL_ABI_READ, &c->tmp[i], orig, in->stride);
			r = &c->tmp[i];
		}
		if (HL_UNLIKELY(prepare_text(r, orig, &c->nr[m], memo))) {
			s->t->bad++;
			continue;
		}
		c->plates[m] = c->nr[m].plate;
		c->lens[m] = c->nr[m].len;
		m++;
		if (m - placed == 2 * HL_PLACE_GROUP) {
			place_reads(st, np, c->nr, c->keys, c->pl, placed, placed + HL_PLACE_GROUP);
			sift_reads(st, np, c->keys, c->pl, sifted, placed);
			sifted = placed;
			placed += HL_PLACE_GROUP;
		}
	}
	place_reads(st, np, c->nr, c->keys, c->pl, placed, m);
	sift_reads(st, np, c->keys, c->pl, sifted, m);
	c->m = m;
	s->t->reads += m;
}

/* A chunk's second step: lookups per list (exact, then the fuzzy filter of
 * slow lists), then the rare reads that may hit, in read order. */
static void chunk_match(const struct sink *s, const struct hl_state *st, struct chunk *c)
{
	struct nread *nr = c->nr;
	const size_t m = c->m;
	const uint32_t np = st->n < HL_PLACE_LISTS ? st->n : HL_PLACE_LISTS;
	uint32_t idx[HOTLIST_LISTS_MAX * HL_CHUNK];
	uint32_t maybe = 0, repair = 0;
	for (uint32_t li = 0; li < st->n; li++) {
		const struct hl_list *l = st->lists[li];
		uint32_t *out = &idx[li * HL_CHUNK], inscope = UINT32_MAX;
		if (HL_UNLIKELY(l->scope)) { /* out-of-scope reads: no lookup */
			inscope = 0;
			for (size_t i = 0; i < m; i++)
				inscope |= (uint32_t)in_scope(&nr[i], l) << i;
			for (size_t i = 0; i < m && !inscope; i++)
				out[i] = HL_TABLE_NONE;
			if (!inscope)
				continue;
		}
		if (li < np)
			hotlist__table_find_placed(l->base->index, c->keys, c->pl[li], m, out);
		else
			hotlist__table_find_bulk(l->base->index, c->keys, m, out);
		for (size_t i = 0; inscope != UINT32_MAX && i < m; i++)
			if (!(inscope >> i & 1))
				out[i] = HL_TABLE_NONE;
		repair |= l->opts.repair;
		if (HL_UNLIKELY(l->slow))
			maybe |= slow_maybe(l, m, c->keys, c->plates, c->lens, nr) & inscope;
	}
	prefetch_hits(st, idx, m);
	for (size_t i = 0; i < m; i++) {
		uint32_t hit = ((maybe >> i) & 1) | nr[i].r->n_candidates;
		if (repair && nr[i].country && !hit) {
			read_format(&nr[i]); /* a repaired plate may hit: look */
			hit = nr[i].rep_ok;
		}
		for (uint32_t li = 0; li < st->n && !hit; li++)
			hit = idx[li * HL_CHUNK + i] != HL_TABLE_NONE;
		if (HL_UNLIKELY(hit))
			match_read(s, st, &nr[i], &idx[i], HL_CHUNK);
	}
	struct hl_retro *rr = s->hl->retro;
	if (HL_UNLIKELY(rr) && m) { /* inside the section: retro.c, guarantee 3 */
		int64_t now = hotlist__wall_us();
		for (size_t i = 0; i < m; i++)
			s->t->retro_kept += hotlist__retro_keep(rr, &nr[i].key, nr[i].country,
								nr[i].r, now, st->gen);
	}
}

int hotlist_match_batch(struct hotlist *hl, const struct hotlist_read *reads, size_t n,
			hotlist_hit_fn on_hit, void *user)
{
	HL_DEBUG_ASSERT(hl && (reads || !n) && on_hit);
	struct reads in = { (const char *)reads, sizeof(*reads), true };
	if (n && reads[0].struct_size != sizeof(*reads)) {
		in.stride = hotlist__abi_caller_size(HL_ABI_READ, reads[0].struct_size);
		if (HL_UNLIKELY(!hotlist__abi_span(HL_ABI_READ, in.stride)))
			return HOTLIST_EINVAL;
		in.complete = in.stride == sizeof(*reads) &&
			      hotlist__abi_span(HL_ABI_READ, in.stride) == sizeof(*reads);
	}
	struct tally t = { 0 };
	struct sink s = { hl, on_hit, user, 0, 1, HL_H_INLINE, &t, NULL, NULL };
	if (hl->cfg.latency_histogram)
		s.t0_ns = hotlist__now_ns();
	struct country_memo memo = { NULL, 0 };
	const struct hl_state *st = hotlist__snap_enter(&hl->snap);
	struct chunk c;
	for (size_t i = 0; i < n; i += HL_CHUNK) {
		chunk_prepare(&s, st, &in, i, n - i < HL_CHUNK ? n - i : HL_CHUNK, &memo, &c);
		chunk_match(&s, st, &c);
	}
	hotlist__snap_exit();
	tally_flush(hl, &t);
	return t.hits > INT32_MAX ? INT32_MAX : (int)t.hits;
}

int hotlist__match_retro(struct hotlist *hl, const struct hl_state *st,
			 const struct hotlist_read *read, hotlist__retro_filter_fn keep, void *ctx)
{
	struct tally t = { 0 };
	struct nread nr;
	int rc = prepare(read, read, &nr, NULL);
	if (rc)
		return rc;
	struct sink s = {
		hl, hl->cfg.on_hit, hl->cfg.on_hit_user, 0, 1, HL_H_INLINE, &t, keep, ctx
	};
	struct gather g;
	g.s = &s;
	g.nr = &nr;
	g.n = 0;
	first_variant(&g, &nr);
	match_variant(&g, st, NULL, 0);
	if (g.n)
		deliver(&g);
	tally_flush(hl, &t); /* hits only: the read was counted when it was matched */
	if (t.hits)
		hotlist__stats_add(hl->stats, HL_C_RETRO_HITS, t.hits);
	return (int)t.hits;
}
