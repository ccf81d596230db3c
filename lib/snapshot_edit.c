/* SPDX-License-Identifier: MIT */
/*
 * snapshot_edit.c — the edit layer of a list version: put, remove, new
 * options, and folding the edits into a new base, on the folder thread.
 * Part of the snapshot module (see snapshot.h and the design comment in
 * snapshot.c); publishes through hotlist__snap_install(), never touches RCU
 * itself.
 *
 * Edits. A put or remove does not rebuild the base. Each edit is one or
 * two operations (struct hl_op): ADD an entry, HIDE base entries (by plate,
 * country or any, category or any); a put is "hide (plate, country,
 * category), add", a remove "hide (plate, country or any, any category)".
 * A put drops the earlier ops of its (plate, country, category), a remove
 * the adds it removes and the hides its own hide covers, so that what is
 * left describes the list exactly: base less what the hides hide, plus the
 * adds. Every op touches one plate (its key), so the ops are kept per key.
 *
 * The overlay (struct hl_ovl). One per list, shared by reference between
 * the list's versions until a fold or replace starts a new one: an
 * open-addressing table (linear probing, seeded hash of the key, at most
 * half full) whose slot holds the newest record of one key. A record
 * (struct hl_rec) is immutable once published: the ops of its key after
 * one edit, the adds among them as a small base (the key's run), the edit
 * number `seq` of its newest op, and `prev`, the key's record before that
 * edit. Memory layout, and what a reader touches:
 *
 *   hl_list v9 ─┬─ base ──► hl_base (1 M entries; shared with v8, v10 ...)
 *   edit_seq 41 └─ ovl  ──► hl_ovl [ slot | slot | ... ]   shared by v8..v10
 *                                     │
 *                                     ▼
 *                  hl_rec seq 42 (v10's) ──prev──► hl_rec seq 37 (v8's, v9's)
 *                                                  { key, ops[], adds ──► hl_base }
 *
 * An edit (under wlock) makes one record: the key's newest record's ops
 * less those it drops, plus its own, and their adds as a base of one run
 * (O(edits of that plate), independent of the list's other edits); links
 * it in front of the key's record and publishes it with one release store
 * to the slot (before the new version is published, which a reader needs
 * to see it); then publishes a new version with edit_seq = the newest op
 * (snapshot.c: the version pointer, a small list header, no copy of the
 * edits). A reader of version v finds the key's slot (load-acquire, pairs
 * with that store: it sees the record whole) and walks prev past the
 * records newer than v->edit_seq: it sees exactly v's edits (one list
 * state), usually the first record. Slots and records are never reused or
 * freed while any version holds the overlay: a record goes with its
 * overlay, whose last reference goes with the last version holding it,
 * after a grace period (snapshot.c, guarantee 2). An overlay grows by
 * copying the keys' newest records into a bigger one, off the writers'
 * path (see "Growing"); only when it would be more than half full, or
 * holds more records than twice its slots (an edited plate leaves its
 * superseded records behind), and no bigger copy is ready, does the edit
 * copy it itself (O(keys), counted in snap->grows_inline); the old
 * overlay stays whole for the versions holding it.
 * If publishing fails after the record was linked, the slot is set back to
 * the record's prev (the record itself stays until the overlay goes:
 * readers may hold it).
 *
 * The fuzzy key table. A read of a list with fuzzy options (k or d > 0)
 * must find the entries put within its budget, not only those of its own
 * key. The overlay of such a list keeps one more structure (struct hl_fzt,
 * built for the list's classes and whether d > 0; an overlay of a list
 * without fuzzy options has none): an insert-only open-addressing table
 * (linear probing, at most half full) mapping each fuzzy index key of
 * every plate linked into the overlay (its SKEL key, and its DEL keys when
 * d > 0, as fuzzy.c makes them for a base: hotlist__fz_entry_keys) to that
 * plate's overlay KEY, not to an entry:
 *
 *   hl_ovl ── fzt ──► hl_fzt [ tag | plate ] [ tag | plate ] ...   8-byte slots
 *                       flt[slots / 8]: blocked filter, 2 bits a key in one word
 *                       lens: bit L set when a plate of L characters is in
 *                       plates[] = { key of AB123, key of X9 ... }  (hl_key)
 *                       older ──► the table it outgrew (freed with the overlay)
 *
 * A slot holds a 32-bit tag (the key's hash, kind folded in; 0: empty) and
 * the index of the plate in plates[]. The keys themselves are not stored:
 * a tag only says where to look, and every plate reached is verified
 * against the read (hotlist__fz_verify on the plate's text), so a tag
 * shared by two keys costs a verification, never a false hit. The edit
 * that links a key new to the overlay (ovl_link) inserts its keys first:
 * O(len) keys at d = 1, each written (plate index) then published by a
 * release store of its tag (ovl_add: the one place a record goes into an
 * overlay, room in the table first). The table grows with its overlay
 * (see "Growing": a copy of the overlay builds a table 1/16 full, sized at
 * once for its plates' keys); only when it would be more than half full
 * (or its plates array is full) before that does the writer make one of
 * twice the slots with every key again (fzt_room: O(keys), counted in
 * grows_inline) and publish it with a release store to o->fzt; the old one
 * stays whole for readers that hold it until the overlay goes. The filter
 * has a 64-bit word per 32 slots (16 bits a key at 1/8 full, as many as
 * the half-full tables before growing had). Nothing is removed
 * from a table: a plate removed, or put after a reader's version, keeps
 * its slots, and the reader resolves it through the overlay AS OF ITS
 * VERSION (rec_at with its edit_seq): no record or a record without adds
 * is no hit. Correct by construction; a stale slot costs one overlay
 * probe. A copy of the overlay (outgrown, fold, replace) builds its table
 * anew from the keys it copies (O(keys), as the overlay itself); options
 * whose classes or d > 0 differ from the table's (set_options) copy the
 * overlay (O(pending edits): rare).
 * A read (hotlist__list_fz_match) makes its query keys once, only those
 * that can find a plate of a length the table holds (lens, as fuzzy.c's
 * index: a list of 7-character plates costs a 7-character read one key at
 * d = 1; d <= 1: S and its deletions as SKEL, S as DEL,
 * hotlist__fz_plate_keys; d = 2 the whole query, hotlist__fz_query_keys),
 * tests each key's filter word (most stop there: without the filter and
 * lens, a 10 k-entry smoke run of bench_reload --fuzzy-edits had reads
 * ~40-60 ns dearer than main's rebuilt index, which has both),
 * probes the table for the others (8 bytes a key at half load), and for
 * each plate reached (once) looks up that key's
 * record as of its version and verifies the read against it, emitting
 * the record's adds run. The batch path asks hotlist__list_fz_maybe first
 * (any key of the read present: a plate put with the read's own key too,
 * through S), so that reads that cannot hit stop there. A put is O(1)
 * amortised, independent of the pending edits; no read pays per edit.
 *
 * Wildcard puts. A put of a pattern (a plate with '?' or '*') is an edit
 * like any other: its record in the overlay, by key. But a read must find
 * the patterns that match it, not its key, and the pattern store
 * (pattern.c) is built over a base's patterns at once. So the overlay also
 * keeps the keys of the patterns linked into it (o->wild, writer-only: a
 * key appended by ovl_add when it is new to the overlay, in the copies
 * too), and a version whose overlay has any keeps `adds` (hl_list): the
 * entries of those keys' records as of its version, as one base with its
 * pattern store. An edit of a plain plate shares its predecessor's adds
 * (same overlay and base: O(1)); an edit of a pattern, a fold, a copy or
 * new options rebuild it over o->wild (O(wildcard keys)). A list whose
 * overlay holds HL_WILD_FOLD wildcard keys is folded (fold_due), so an
 * edit of a pattern costs O(HL_WILD_FOLD) give or take the patterns put
 * during a fold, and a plain put on a list with a pattern pending stays
 * O(1) amortised. A reader takes every entry put from the overlay by key
 * (a pattern key is never a read's: no read has codes 37/38), the fuzzy
 * ones through the fuzzy key table (which leaves patterns out: they have
 * no fuzzy key), and asks adds's pattern store only for the patterns; each
 * entry put is reached once, the hides come from the overlay
 * (hotlist__list_adds). Such a list sends every read of a batch to the
 * per-read path (slow_maybe), as a base with patterns does.

 * Growing. An overlay (or its fuzzy key table) past 1/8 full (keys;
 * records past half its slots) is copied into a bigger one by the grower
 * thread (one per engine, started by the first edit that needs it), so
 * that no put or remove does O(keys) work:
 *  1. The edit that passes the mark posts a job to the grower (its own
 *     mutex gr->mx, taken after wlock, never before it): a reference on
 *     the overlay and the version's edit_seq. Each overlay is posted once
 *     (grow_tried).
 *  2. The grower copies it without any lock (ovl_copy, reading it as a
 *     reader does: O(keys)) into one at most 1/16 full, then catches the
 *     copy up in rounds, still without a lock (carry_rounds): each round
 *     reads where the list stands as a reader does (its edit_seq, then
 *     o->all, the records linked, newest first, stored with release) and
 *     copies again the keys edited since; a round copies faster than
 *     writers edit, so they shrink, until at most HL_GROW_TAKE_MAX / 4
 *     records are behind.
 *  3. It hands the copy over (gr->ready): installs it itself if wlock is
 *     free (trylock: grow_install, a version with the same number and
 *     entries, as a fold), else the list's next writer takes it
 *     (grow_take, in edit_ovl): under wlock it links into the copy the
 *     records linked since the last round (at most HL_GROW_TAKE_MAX, else
 *     it asks the grower for another round and uses the old overlay,
 *     which still has room) and makes its own edit into it.
 * The grower never waits for wlock: taking it from writers that edit back
 * to back (a mutex is not fair) made its copies come after the writers
 * had filled the overlay (docs/PERFORMANCE.md, edits6). Between the ask
 * (1/8) and the writers' own copy (1/2) writers make 3x the keys the copy
 * holds; measured on the 2-core bench VM, a copy costs about as much CPU a
 * key as a put, so a loaded machine can still let writers get there: they
 * then copy themselves (grows_inline). A copy the grower makes of an
 * overlay that a fold, replace or option change replaced meanwhile is
 * dropped (grows_dropped). With snap->grow_off (tests) no grower starts.
 *
 * Folding. So that the pending edits stay few (memory, and the records a
 * lookup of an edited plate reads), a list with fold_bg (HL_EDITS_BG_FOLD)
 * of them or more is folded into a new base by the folder thread (one per
 * engine, started by the first edit that needs it):
 *  1. Under wlock it takes a reference on the list's base and overlay,
 *     and notes its edit_seq `upto` (every op gets a number from
 *     snap->next_op when it is made; copies keep it).
 *  2. Without the lock it builds base' = (base less what the hides hide)
 *     plus the adds, as of upto, O(entries), and its fuzzy index
 *     (snapshot_list.c, prebuild). Writers go on editing meanwhile (the
 *     overlay is read like a reader reads it); readers never wait.
 *  3. It copies the ops newer than `upto` into a new overlay: those of
 *     the version published when the build is done without the lock
 *     (O(edits made during the build), reading the overlay as a reader
 *     does, holding a reference on it), then the edits made during that
 *     copy in rounds, still without the lock (carry_rounds, as the
 *     grower), then under wlock those linked since (walking the overlay's
 *     records newest first: O(edits made during the last round)). If the
 *     list's overlay was replaced meanwhile (the grower's bigger copy) it
 *     copies again, up to three times, before it copies them all under
 *     the lock. Under wlock, if
 *     the list still has that base (no replace or drop came between: else
 *     base' is dropped), it publishes a version with base' and that
 *     overlay, keeping the version number and the entry count (the
 *     entries are the same). The lock is held ~2-110 us of CPU for this on
 *     the bench VM (1 M entries, edits back to back). Those ops apply to
 *     base' as they applied to the old base: an op at or below `upto` that
 *     a later edit dropped was superseded by that edit's own ops (a put
 *     drops the adds and hides of its key and adds its own hide and add; a
 *     remove drops the adds it removes and the hides it covers and adds
 *     its hide), which are newer than `upto` and hide in base' what the
 *     dropped add put there.
 * No fold of a list is picked or published while a replace of that list
 * is in flight (between hotlist__snap_op_mark and _unmark,
 * snap->replacing): the replace keeps the ops newer than its mark on top
 * of its new base, and a fold published meanwhile would have moved some
 * of them into the base that the replace drops (they were lost:
 * test_snapshot_edit's fold_during_replace_keeps_its_edits). The replace
 * supersedes the base anyway; the folder picks the list again when it
 * ends. Other lists fold meanwhile (held back engine-wide, a list edited
 * while another was replaced back to back was never folded:
 * replace_holds_back_only_its_own_list_folds); past HL_REPLACING_MAX
 * lists replaced at once, every list's folds wait.
 * A writer never folds on its own path, except past edits_fold
 * (HL_EDITS_FOLD) pending edits while no folder thread runs (it could not
 * be started) or when a test lowered the bound. The fold retires a version
 * holding a base (counted as heavy: snapshot.c, "Bounded reclamation");
 * base and base' coexist until then, as for a replace.
 *
 * Threads: writers, under snap->wlock; the folder thread, under wlock except
 * for step 2 (it holds references then, and builds the copy of step 3 and
 * its fuzzy key table, which no reader sees yet); the grower thread, under
 * gr->mx for its hand-over, never waiting for wlock (its copy is its own
 * until handed over; it installs under wlock only by trylock);
 * hotlist__list_hidden,
 * hotlist__list_adds, hotlist__list_adds_each, hotlist__list_fz_match and
 * hotlist__list_fz_maybe are read side (any thread, wait-free).
 */
#include "snapshot.h"
#include "snapshot_impl.h"

#include "alloc.h"
#include "clock.h"
#include "common.h"
#include "fuzzy.h"
#include "list.h"
#include "normalise.h"
#include "table.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum { HL_OP_ADD, HL_OP_HIDE };

/* Bytes before an op's attributes and strings: its reference count. A
 * multiple of the attribute array's alignment. */
#define HL_OP_HEAD 16u
_Static_assert(HL_OP_HEAD >= sizeof(atomic_uint) && HL_OP_HEAD % _Alignof(struct hotlist_attr) == 0,
	       "op text head too small or misaligned");

/* One edit. Its strings live in text, shared by reference between the op
 * arrays of the versions that hold the op. */
struct hl_op {
	int kind;
	struct hl_key key;
	hl_country country;
	unsigned flags; /* HL_M_ANY_* for hides */
	uint64_t seq; /* order of the op among all ops of the engine (snap->next_op) */
	struct hotlist_entry e; /* strings point into text */
	char *text; /* [ refs | attrs array | plate\0 category\0 reference\0 id\0 ... ] */
	size_t text_len;
	bool of_put; /* the hide half of a put: not an edit of its own */
};

static atomic_uint *text_refs(char *text)
{
	return (atomic_uint *)(void *)text;
}

/* Another holder of op's text: the caller holds one already. */
static void text_get(const struct hl_op *op)
{
	/* relaxed: the caller's op (of a version that is alive under wlock)
	 * holds a reference, so the count cannot reach zero meanwhile;
	 * publishes nothing */
	atomic_fetch_add_explicit(text_refs(op->text), 1, memory_order_relaxed);
}

static void text_put(struct hl_snap *snap, const struct hl_op *op)
{
	/* acq_rel: the last put (a writer, the folder or the call_rcu thread
	 * freeing a version) sees every other holder's reads done before it
	 * frees; pairs with the other puts' release (as hotlist__base_put) */
	if (atomic_fetch_sub_explicit(text_refs(op->text), 1, memory_order_acq_rel) == 1)
		hotlist__free(snap->a, op->text, op->text_len);
}

/* ---- the overlay (see "The overlay" above) ------------------------------------ */

/* Loads of an overlay and of its fuzzy key table (see "Growing"): a copy
 * leaves at most 1/HL_GROW_COPY of the slots in use; past 1/HL_GROW_ASK
 * the grower is asked for a bigger copy; at half (the most) a writer
 * copies itself. */
#define HL_GROW_COPY 16u
#define HL_GROW_ASK 8u

/* Slots of a new overlay at least: room for twice the folder's threshold
 * of edited plates before the grower is asked, so that a list the folder
 * keeps below its threshold never copies its overlay between two folds. */
#define HL_OVL_MIN_SLOTS (2u * HL_GROW_ASK * HL_EDITS_BG_FOLD)

/* Wildcard keys in an overlay past which its list is folded (see
 * "Wildcard puts"): an edit of a wildcard plate rebuilds the list's adds
 * over that many pattern keys at most, give or take those put while a
 * fold runs. */
#define HL_WILD_FOLD 64u

/* The ops of one key after one edit. Immutable once linked. */
struct hl_rec {
	struct hl_rec *prev; /* the key's record before this edit, in this overlay, or NULL */
	struct hl_rec *all; /* the record linked before this one (any key): for freeing */
	uint64_t seq; /* the newest op of ops */
	struct hl_key key;
	struct hl_base *adds; /* the ADD ops as a base (this key's run), or NULL */
	uint32_t n_ops, cap_ops;
	uint32_t n_edits; /* ops that are an edit of their own (not the hide of a put) */
	size_t bytes; /* this record and its adds base */
	struct hl_op ops[];
};

struct hl_ovl {
	atomic_uint refs; /* versions holding it, the folder's job, an edit in flight */
	uint32_t mask; /* slots - 1 (a power of two) */
	uint64_t seed;
	/* writer-only (wlock) */
	uint32_t keys; /* slots in use */
	uint32_t recs; /* records linked */
	/* the wildcard keys linked into it (see "Wildcard puts"), in the
	 * order they came: writer (or the only holder of a new overlay) */
	struct hl_key *wild;
	uint32_t n_wild, cap_wild;
	bool grow_tried; /* the grower took (or failed) a copy of it: once */
	/* every record linked, newest first (through hl_rec.all): stored by
	 * the writer (release), read by the folder and grower without the
	 * lock to catch a copy up (carry_rounds) */
	_Atomic(struct hl_rec *) all;
	/* bytes of the overlay and its records, and of the records' adds
	 * indexes (part of bytes): written under wlock, read by
	 * hotlist_list_info (relaxed: statistics) */
	atomic_size_t bytes, index_bytes;
	/* the fuzzy key table (see "The fuzzy key table"), or NULL (none yet,
	 * or options without fuzzy matching); fz: built for fzo's classes and
	 * d (fuzzy options), fixed for the overlay's life */
	_Atomic(struct hl_fzt *) fzt;
	bool fz;
	struct hl_fz_opts fzo;
	_Atomic(struct hl_rec *) slot[];
};

/* One slot of the fuzzy key table: a 32-bit tag of a fuzzy key (0: empty)
 * and the plate whose key it is (index into the table's plates). */
struct fzt_slot {
	_Atomic uint32_t tag;
	uint32_t plate;
};

/* The fuzzy key table of an overlay: open addressing (linear probing, at
 * most half full), insert-only, one slot per (fuzzy key, plate). */
struct hl_fzt {
	struct hl_fzt *older; /* the table this one outgrew, freed with the overlay */
	uint64_t seed;
	uint32_t mask; /* slots - 1 */
	uint32_t used; /* slots in use: writer */
	uint32_t n_plates, cap_plates; /* writer */
	struct hl_key *plates; /* the overlay keys, in the order they came */
	_Atomic uint64_t *flt; /* the filter: slots / HL_FZT_FLT_DIV words after the slots */
	/* bit L: a plate of L characters is in (a query makes only the keys
	 * that can find those, as fuzzy.c's `lens`) */
	_Atomic uint32_t lens;
	struct fzt_slot slot[];
};

static size_t rec_size(uint32_t n_ops)
{
	return sizeof(struct hl_rec) + n_ops * sizeof(struct hl_op);
}

static void rec_free(struct hl_snap *snap, struct hl_rec *r)
{
	for (uint32_t i = 0; i < r->n_ops; i++)
		text_put(snap, &r->ops[i]);
	hotlist__base_put(r->adds, snap->a);
	hotlist__free(snap->a, r, rec_size(r->cap_ops));
}

/* The slot hash of key k: both halves mixed with the overlay's random seed
 * (hotlist__seed, so that plates crafted against one overlay do not pile
 * up in the next), then a splitmix64-style finaliser. */
static uint32_t ovl_hash(const struct hl_ovl *o, const struct hl_key *k)
{
	uint64_t h = (k->lo ^ o->seed) * 0x9E3779B97F4A7C15u;
	h ^= ((uint64_t)k->hi + (o->seed >> 32)) * 0xC2B2AE3D27D4EB4Fu;
	h ^= h >> 31;
	h *= 0x94D049BB133111EBu;
	return (uint32_t)(h ^ (h >> 29));
}

/* ---- the fuzzy key table (see "The fuzzy key table") -------------------------- */

/* Loads of a fuzzy key table (as HL_GROW_COPY and _ASK for the overlay):
 * a copy leaves at most 1/16 of its slots in use, past 1/8 the grower is
 * asked for a bigger one, at half a writer copies it itself. Its plates
 * array: as full as the slots (fzt_per_plate keys each). */
#define HL_FZT_COPY 16u
#define HL_FZT_ASK 8u

/* Slots of a first table: 128 plates of 8 keys before the grower is asked
 * for a bigger one (an eighth full, see "Growing"), 512 at half load. */
#define HL_FZT_MIN_SLOTS 8192u
/* Words of a table's filter: slots / HL_FZT_FLT_DIV (2 bits a slot, 16 a
 * key at an eighth full; the filter is what most reads touch). */
#define HL_FZT_FLT_DIV 32u

static size_t fzt_size(uint32_t slots)
{
	return sizeof(struct hl_fzt) + slots * sizeof(struct fzt_slot) +
	       slots / HL_FZT_FLT_DIV * sizeof(uint64_t);
}

/* The filter word of hash h in f, and the two bits of it h sets. */
static _Atomic uint64_t *fzt_flt(const struct hl_fzt *f, uint64_t h, uint64_t *bits)
{
	*bits = UINT64_C(1) << ((h >> 40) & 63) | UINT64_C(1) << ((h >> 46) & 63);
	return &f->flt[(h >> 12) & (f->mask / HL_FZT_FLT_DIV)];
}

static void fzt_free(struct hl_snap *snap, struct hl_fzt *t)
{
	for (struct hl_fzt *next; t; t = next) {
		next = t->older;
		hotlist__free(snap->a, t->plates, t->cap_plates * sizeof(*t->plates));
		hotlist__free(snap->a, t, fzt_size(t->mask + 1u));
	}
}

/* The hash of fuzzy key k of kind t: its slot (low bits) and tag (high). */
static uint64_t fzt_hash(const struct hl_fzt *f, const struct hl_key *k, int t)
{
	uint64_t h = (k->lo ^ f->seed ^ (uint64_t)t) * 0x9E3779B97F4A7C15u;
	h ^= ((uint64_t)k->hi + (f->seed >> 32)) * 0xC2B2AE3D27D4EB4Fu;
	h ^= h >> 31;
	h *= 0x94D049BB133111EBu;
	return h ^ (h >> 29);
}

static uint32_t fzt_tag(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1u;
}

/* Whether plate text p (len chars) has a fuzzy key: patterns have none. */
static bool fzt_plain(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] == '*' || p[i] == '?')
			return false;
	return true;
}

/* Whether overlay key k is a wildcard pattern's (pattern.c). */
static bool key_wild(const struct hl_key *k)
{
	char p[HOTLIST_PLATE_MAX + 1];
	return !fzt_plain(p, hotlist__key_unpack(k, p));
}

/* Insert the fuzzy keys of overlay key pk into f (room checked: fzt_room).
 * Writer (or the only holder of a new overlay). */
static void fzt_insert(struct hl_fzt *f, const struct hl_fz_opts *o, const struct hl_key *pk)
{
	char p[HOTLIST_PLATE_MAX + 1];
	struct hl_key keys[HL_FZ_ENTRY_KEYS];
	size_t len = hotlist__key_unpack(pk, p);
	if (!fzt_plain(p, len))
		return;
	size_t n = hotlist__fz_entry_keys(o, p, len, keys);
	uint32_t plate = f->n_plates++;
	f->plates[plate] = *pk;
	/* relaxed: as the filter's bits below */
	atomic_fetch_or_explicit(&f->lens, UINT32_C(1) << len, memory_order_relaxed);
	for (size_t j = 0; j < n; j++) {
		uint64_t h = fzt_hash(f, &keys[j], j ? HL_FZ_DEL : HL_FZ_SKEL);
		uint32_t i = (uint32_t)h & f->mask;
		/* relaxed: only the writer stores tags */
		while (atomic_load_explicit(&f->slot[i].tag, memory_order_relaxed))
			i = (i + 1) & f->mask;
		f->slot[i].plate = plate;
		f->used++;
		uint64_t bits;
		/* relaxed: ordered before the tag's release store (and the
		 * version's), which readers acquire */
		_Atomic uint64_t *w = fzt_flt(f, h, &bits);
		atomic_fetch_or_explicit(w, bits, memory_order_relaxed);
		/* release: a reader that sees the tag sees the slot's plate and
		 * plates[plate]; pairs with fzt_probe's acquire */
		atomic_store_explicit(&f->slot[i].tag, fzt_tag(h), memory_order_release);
	}
}

/* A table of `slots` slots and room for `plates` plates, holding the keys
 * of f's plates (f NULL: none). NULL when out of memory. */
static struct hl_fzt *fzt_new(struct hl_snap *snap, const struct hl_fzt *f,
			      const struct hl_fz_opts *o, uint32_t slots, uint32_t plates)
{
	struct hl_fzt *t = hotlist__alloc(snap->a, fzt_size(slots), HL_CACHE_LINE);
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->mask = slots - 1;
	t->seed = hotlist__seed((uint64_t)(uintptr_t)t);
	t->cap_plates = plates;
	t->plates = hotlist__alloc(snap->a, t->cap_plates * sizeof(*t->plates),
				   _Alignof(struct hl_key));
	if (!t->plates) {
		hotlist__free(snap->a, t, fzt_size(slots));
		return NULL;
	}
	t->flt = (_Atomic uint64_t *)(void *)&t->slot[slots];
	atomic_init(&t->lens, 0);
	for (uint32_t i = 0; i < slots; i++) {
		atomic_init(&t->slot[i].tag, 0);
		t->slot[i].plate = 0;
	}
	for (uint32_t i = 0; i < slots / HL_FZT_FLT_DIV; i++)
		atomic_init(&t->flt[i], 0);
	for (uint32_t i = 0; f && i < f->n_plates; i++)
		fzt_insert(t, o, &f->plates[i]);
	return t;
}

/* Make room in o's fuzzy key table for the keys of one more plate:
 * O(1), or, once per doubling, a new table of twice the slots with every
 * key again (O(keys): amortised O(1) per plate), published with a release
 * store; the old one stays for the readers that hold it, freed with o. 0 or
 * HOTLIST_ENOMEM. Writer. */
static int fzt_grow(struct hl_snap *snap, struct hl_ovl *o, uint32_t slots);

static int fzt_room(struct hl_snap *snap, struct hl_ovl *o)
{
	if (!o->fz)
		return 0;
	/* relaxed: only the writer stores it */
	struct hl_fzt *f = atomic_load_explicit(&o->fzt, memory_order_relaxed);
	if (f && 2u * (f->used + HL_FZ_ENTRY_KEYS) <= f->mask + 1u && f->n_plates < f->cap_plates)
		return 0;
	return fzt_grow(snap, o, f ? 2u * (f->mask + 1u) : HL_FZT_MIN_SLOTS);
}

/* Fuzzy keys a plate of o's lists is expected to have: its SKEL key, and
 * with d > 0 its DEL keys (len + 1 in all): lens (bit L: a plate of L
 * characters is in) gives the longest, else a 7-character plate. */
static uint32_t fzt_per_plate(const struct hl_ovl *o, uint32_t lens)
{
	if (!o->fzo.d)
		return 1;
	return lens ? 32u - (uint32_t)__builtin_clz(lens) : 8u;
}

/* Whether o's fuzzy key table is past 1/HL_GROW_ASK full (keys or plates):
 * the grower is asked for a bigger overlay (see "Growing"). Writer. */
static bool fzt_low(const struct hl_ovl *o)
{
	/* relaxed: only the writer stores it */
	const struct hl_fzt *f = o->fz ? atomic_load_explicit(&o->fzt, memory_order_relaxed) : NULL;
	return f && (HL_FZT_ASK * f->used > f->mask + 1u ||
		     HL_FZT_ASK * f->n_plates > 2u * f->cap_plates);
}

/* Replace o's fuzzy key table by one of `slots` slots with every key again
 * (O(keys)), published with a release store; the old one stays for the
 * readers that hold it, freed with o. 0 or HOTLIST_ENOMEM. Writer (or the
 * only holder of a new overlay). */
static int fzt_grow(struct hl_snap *snap, struct hl_ovl *o, uint32_t slots)
{
	/* relaxed: only the writer stores it */
	struct hl_fzt *f = atomic_load_explicit(&o->fzt, memory_order_relaxed);
	/* relaxed: an estimate (bits set by this writer or before) */
	uint32_t per =
		fzt_per_plate(o, f ? atomic_load_explicit(&f->lens, memory_order_relaxed) : 0);
	uint32_t plates = slots / 2u / per;
	if (f && plates < 2u * f->cap_plates)
		plates = 2u * f->cap_plates;
	struct hl_fzt *t = fzt_new(snap, f, &o->fzo, slots, plates < 64u ? 64u : plates);
	if (!t)
		return HOTLIST_ENOMEM;
	t->older = f;
	size_t add = hotlist__alloc_bytes(fzt_size(slots)) +
		     hotlist__alloc_bytes(t->cap_plates * sizeof(*t->plates));
	/* relaxed: statistics (hotlist_list_info) */
	atomic_fetch_add_explicit(&o->bytes, add, memory_order_relaxed);
	atomic_fetch_add_explicit(&o->index_bytes, add, memory_order_relaxed);
	/* release: a reader that loads t sees it whole, keys and plates; pairs
	 * with the acquire of hotlist__list_fz_match and _maybe */
	atomic_store_explicit(&o->fzt, t, memory_order_release);
	return 0;
}

/* Whether overlay o's fuzzy key table suits options opts: none for options
 * without fuzzy matching, else one of their classes and d (0 or not). */
static bool ovl_fits(const struct hl_ovl *o, const struct hl_fz_opts *opts)
{
	if (!hl_fz_on(opts))
		return !o->fz;
	return o->fz && (o->fzo.d > 0) == (opts->d > 0) &&
	       memcmp(o->fzo.skel, opts->skel, sizeof(opts->skel)) == 0;
}

static struct hl_ovl *ovl_new(struct hl_snap *snap, uint32_t slots, const struct hl_fz_opts *opts)
{
	size_t size = sizeof(struct hl_ovl) + slots * sizeof(_Atomic(struct hl_rec *));
	struct hl_ovl *o = hotlist__zalloc(snap->a, size, HL_CACHE_LINE);
	if (!o)
		return NULL;
	atomic_init(&o->refs, 1);
	atomic_init(&o->bytes, hotlist__alloc_bytes(size));
	atomic_init(&o->index_bytes, 0);
	o->mask = slots - 1;
	o->seed = hotlist__seed((uint64_t)(uintptr_t)o);
	atomic_init(&o->fzt, NULL);
	atomic_init(&o->all, NULL);
	o->fz = hl_fz_on(opts);
	if (o->fz)
		o->fzo = *opts;
	for (uint32_t i = 0; i < slots; i++)
		atomic_init(&o->slot[i], NULL);
	return o;
}

static void ovl_get(struct hl_ovl *o)
{
	/* relaxed: the caller holds a reference already (a version alive under
	 * wlock or in a read-side section); publishes nothing */
	atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

void hotlist__snap_ovl_put(struct hl_snap *snap, struct hl_ovl *o)
{
	/* acq_rel: the last put sees every other holder's reads done before
	 * it frees (as hotlist__base_put) */
	if (!o || atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* relaxed: the last holder (acq_rel above) */
	for (struct hl_rec *r = atomic_load_explicit(&o->all, memory_order_relaxed), *next; r;
	     r = next) {
		next = r->all;
		rec_free(snap, r);
	}
	fzt_free(snap, atomic_load_explicit(&o->fzt, memory_order_relaxed));
	hotlist__free(snap->a, o->wild, o->cap_wild * sizeof(*o->wild));
	hotlist__free(snap->a, o, sizeof(*o) + (o->mask + 1u) * sizeof(o->slot[0]));
}

size_t hotlist__snap_ovl_bytes(const struct hl_ovl *o)
{
	return o ? atomic_load_explicit(&o->bytes, memory_order_relaxed) : 0;
}

size_t hotlist__snap_ovl_index_bytes(const struct hl_ovl *o)
{
	return o ? atomic_load_explicit(&o->index_bytes, memory_order_relaxed) : 0;
}

/* The record of key k that a version with edit_seq upto shows, or NULL.
 * Any thread holding o; wait-free (the table is at most half full). */
static const struct hl_rec *rec_at(const struct hl_ovl *o, uint64_t upto, const struct hl_key *k)
{
	for (uint32_t i = ovl_hash(o, k) & o->mask;; i = (i + 1) & o->mask) {
		/* acquire: pairs with ovl_link's release store, so the record
		 * (and the records behind prev, linked before it) is seen whole */
		const struct hl_rec *r = atomic_load_explicit(&o->slot[i], memory_order_acquire);
		if (!r)
			return NULL;
		if (hl_key_eq(&r->key, k)) {
			while (r && r->seq > upto)
				r = r->prev;
			return r;
		}
	}
}

static const struct hl_rec *rec_of(const struct hl_list *l, const struct hl_key *k)
{
	return l->ovl ? rec_at(l->ovl, l->edit_seq, k) : NULL;
}

/* The record of slot i that a version with edit_seq upto shows, or NULL.
 * Any thread holding o. */
static const struct hl_rec *rec_at_slot(const struct hl_ovl *o, uint32_t i, uint64_t upto)
{
	/* acquire: as rec_at */
	const struct hl_rec *r = atomic_load_explicit(&o->slot[i], memory_order_acquire);
	while (r && r->seq > upto)
		r = r->prev;
	return r;
}

/* The slot of key k in o, or the empty slot where it goes. Writer. */
static uint32_t ovl_slot(const struct hl_ovl *o, const struct hl_key *k)
{
	uint32_t i = ovl_hash(o, k) & o->mask;
	for (;; i = (i + 1) & o->mask) {
		/* relaxed: only the writer (holding wlock) stores slots */
		const struct hl_rec *r = atomic_load_explicit(&o->slot[i], memory_order_relaxed);
		if (!r || hl_key_eq(&r->key, k))
			return i;
	}
}

/* Link r in front of its key's record and publish it (a key new to o: its
 * fuzzy keys too, room made first by fzt_room). Returns its slot. Writer. */
static uint32_t ovl_link(struct hl_ovl *o, struct hl_rec *r)
{
	uint32_t i = ovl_slot(o, &r->key);
	r->prev = atomic_load_explicit(&o->slot[i], memory_order_relaxed);
	/* relaxed: only the writer stores it; release: a thread that loads r
	 * from o->all sees r and the chain behind it (carry_rounds' acquire) */
	r->all = atomic_load_explicit(&o->all, memory_order_relaxed);
	atomic_store_explicit(&o->all, r, memory_order_release);
	o->recs++;
	o->keys += r->prev == NULL;
	if (o->fz && !r->prev) /* a key new to o: its fuzzy keys (room made by fzt_room) */
		fzt_insert(atomic_load_explicit(&o->fzt, memory_order_relaxed), &o->fzo, &r->key);
	/* relaxed: a statistic (hotlist_list_info), orders nothing */
	atomic_fetch_add_explicit(&o->bytes, r->bytes, memory_order_relaxed);
	if (r->adds)
		atomic_fetch_add_explicit(&o->index_bytes, hotlist__table_bytes(r->adds->index),
					  memory_order_relaxed);
	/* release: a reader that loads r sees it (and its adds base) whole;
	 * pairs with rec_at's acquire */
	atomic_store_explicit(&o->slot[i], r, memory_order_release);
	return i;
}

/* Room in o's wildcard keys for one more (amortised O(1)). 0 or
 * HOTLIST_ENOMEM. Writer (or the only holder of a new overlay). */
static int wild_room(struct hl_snap *snap, struct hl_ovl *o)
{
	if (o->n_wild < o->cap_wild)
		return 0;
	uint32_t cap = o->cap_wild ? 2u * o->cap_wild : 8u;
	struct hl_key *w = hotlist__alloc(snap->a, cap * sizeof(*w), _Alignof(struct hl_key));
	if (!w)
		return HOTLIST_ENOMEM;
	if (o->n_wild)
		memcpy(w, o->wild, o->n_wild * sizeof(*w));
	hotlist__free(snap->a, o->wild, o->cap_wild * sizeof(*o->wild));
	/* relaxed: a statistic (hotlist_list_info) */
	atomic_fetch_add_explicit(&o->bytes,
				  hotlist__alloc_bytes(cap * sizeof(*w)) -
					  hotlist__alloc_bytes(o->cap_wild * sizeof(*w)),
				  memory_order_relaxed);
	o->wild = w;
	o->cap_wild = cap;
	return 0;
}

/* Link r into o (ovl_link) after making room in o's fuzzy key table when
 * r's key is new to o (fzt_room), and in its wildcard keys when that key
 * is a pattern's (wild_room): the one way a record goes into an overlay.
 * 0, or HOTLIST_ENOMEM (r not linked, still the caller's). *slot (when not
 * NULL): r's slot. Writer (or the only holder of a new overlay). */
static int ovl_add(struct hl_snap *snap, struct hl_ovl *o, struct hl_rec *r, uint32_t *slot)
{
	bool wild = false;
	if (!rec_at(o, UINT64_MAX, &r->key)) {
		int rc = o->fz ? fzt_room(snap, o) : 0;
		wild = key_wild(&r->key);
		if (!rc && wild)
			rc = wild_room(snap, o);
		if (rc)
			return rc;
	}
	uint32_t i = ovl_link(o, r);
	if (wild)
		o->wild[o->n_wild++] = r->key;
	if (slot)
		*slot = i;
	return 0;
}

/* Undo ovl_link of r at slot i (its version was not published): the key's
 * slot shows r's predecessor again. r stays in o->all, freed with o: a
 * reader may have loaded it (it skips it: r is newer than its version).
 * Writer. */
static void ovl_unlink(struct hl_ovl *o, uint32_t i, struct hl_rec *r)
{
	o->keys -= r->prev == NULL;
	/* a wildcard key new to o was the last one ovl_add appended */
	o->n_wild -= r->prev == NULL && key_wild(&r->key);
	/* release: as ovl_link's store */
	atomic_store_explicit(&o->slot[i], r->prev, memory_order_release);
}

static int op_matches(const struct hl_op *op, const struct hl_key *k, hl_country c, unsigned flags,
		      const char *category)
{
	return hl_key_eq(&op->key, k) && ((flags & HL_M_ANY_COUNTRY) || op->country == c) &&
	       ((flags & HL_M_ANY_CATEGORY) || strcmp(op->e.category, category) == 0);
}

int hotlist__list_hidden(const struct hl_list *l, const struct hl_meta *m)
{
	struct hl_key k = hl_meta_key(m);
	const struct hl_rec *r = rec_of(l, &k);
	if (!r)
		return 0;
	const char *cat = hl_meta_category(l->base, m);
	for (uint32_t i = 0; i < r->n_ops; i++) {
		const struct hl_op *op = &r->ops[i];
		if (op->kind == HL_OP_HIDE && op_matches(op, &k, m->country, op->flags, cat))
			return 1;
	}
	return 0;
}

const struct hl_base *hotlist__list_adds(const struct hl_list *l, const struct hl_key *k)
{
	const struct hl_rec *r = rec_of(l, k);
	return r ? r->adds : NULL;
}

void hotlist__list_adds_each(const struct hl_list *l,
			     void (*fn)(void *ctx, const struct hl_base *b), void *ctx)
{
	for (uint32_t i = 0; l->ovl && i <= l->ovl->mask; i++) {
		/* acquire: as rec_at */
		const struct hl_rec *r =
			atomic_load_explicit(&l->ovl->slot[i], memory_order_acquire);
		while (r && r->seq > l->edit_seq)
			r = r->prev;
		if (r && r->adds)
			fn(ctx, r->adds);
	}
}

struct fzt_query {
	const struct hl_list *l;
	const struct hl_fzt *f;
	const char *plate;
	size_t len;
	hl_list_fz_emit emit;
	void *ctx;
	struct hl_fz_seen seen; /* plates verified (hl_fz_seen_first) */
};

/* Verify the read against overlay plate p of the table, as of the reader's
 * version: its record's adds (none: removed since, or put after the
 * version; a stale slot costs this lookup, never a false hit). */
static void fzt_check(struct fzt_query *q, uint32_t p)
{
	if (!hl_fz_seen_first(&q->seen, p))
		return;
	const struct hl_key *pk = &q->f->plates[p];
	const struct hl_rec *r = rec_of(q->l, pk);
	if (!r || !r->adds)
		return;
	uint32_t run = hl_base_find(r->adds, pk);
	if (run == HL_TABLE_NONE)
		return;
	char e[HOTLIST_PLATE_MAX + 1];
	unsigned subs, indels;
	size_t n = hotlist__key_unpack(pk, e);
	const struct hl_fz_opts *o = &q->l->opts;
	if (hotlist__fz_verify(o->skel, o->k, o->d, q->plate, q->len, e, n, &subs, &indels))
		q->emit(q->ctx, r->adds, run, subs, indels);
}

/* Visit (q) or find (q NULL) the plates of fuzzy key k of kind t in f. */
static bool fzt_probe(const struct hl_fzt *f, const struct hl_key *k, int t, struct fzt_query *q)
{
	uint64_t h = fzt_hash(f, k, t), bits;
	/* relaxed: the bits of the reader's version were set before it was
	 * published (release), which the reader acquired */
	_Atomic uint64_t *w = fzt_flt(f, h, &bits);
	if ((atomic_load_explicit(w, memory_order_relaxed) & bits) != bits)
		return false; /* most keys of a read: one word */
	uint32_t tag = fzt_tag(h);
	bool any = false;
	for (uint32_t i = (uint32_t)h & f->mask;; i = (i + 1) & f->mask) {
		/* acquire: pairs with fzt_insert's release store (the slot's
		 * plate and the plates array entry are seen) */
		uint32_t x = atomic_load_explicit(&f->slot[i].tag, memory_order_acquire);
		if (!x)
			return any;
		if (x != tag)
			continue;
		if (!q)
			return true;
		any = true;
		fzt_check(q, f->slot[i].plate);
	}
}

bool hotlist__list_fz(const struct hl_list *l)
{
	return l->ovl && l->ovl->fz && hl_fz_on(&l->opts);
}

/* The table of l's overlay when l's reads use it, else NULL. */
static const struct hl_fzt *fzt_of(const struct hl_list *l)
{
	if (!hotlist__list_fz(l))
		return NULL;
	/* acquire: pairs with fzt_room's release store */
	return atomic_load_explicit(&l->ovl->fzt, memory_order_acquire);
}

void hotlist__list_fz_match(const struct hl_list *l, const char *plate, size_t len,
			    hl_list_fz_emit emit, void *ctx)
{
	const struct hl_fzt *f = fzt_of(l);
	if (!f)
		return;
	/* field by field: an initializer would zero seen's 256-byte array on
	 * every read of a list with fuzzy puts pending; only its count matters */
	struct fzt_query q;
	q.l = l;
	q.f = f;
	q.plate = plate;
	q.len = len;
	q.emit = emit;
	q.ctx = ctx;
	q.seen.n = 0;
	/* relaxed: as the filter's bits (fzt_probe) */
	uint32_t in = atomic_load_explicit(&f->lens, memory_order_relaxed);
	if (l->opts.d <= 1) {
		struct hl_key sk[1 + HOTLIST_PLATE_MAX], dk[1];
		size_t n_del, n = hotlist__fz_plate_keys(&l->opts, in, plate, len, sk, dk, &n_del);
		for (size_t i = 0; i < n; i++)
			fzt_probe(f, &sk[i], HL_FZ_SKEL, &q);
		if (n_del)
			fzt_probe(f, &dk[0], HL_FZ_DEL, &q);
		return;
	}
	struct hl_fz_qkeys qk[2];
	hotlist__fz_query_keys(&l->opts, in, plate, len, qk);
	for (int t = 0; t < 2; t++)
		for (size_t i = 0; i < qk[t].n; i++)
			fzt_probe(f, &qk[t].k[i], t, &q);
}

uint32_t hotlist__list_fz_maybe(const struct hl_list *l, const char *const *plates,
				const size_t *lens, size_t n)
{
	const struct hl_fzt *f = fzt_of(l);
	uint32_t maybe = 0;
	if (!f)
		return 0;
	if (l->opts.d > 1) /* its query is per plate (as hotlist__fz_maybe) */
		return n < 32 ? (UINT32_C(1) << n) - 1 : UINT32_MAX;
	/* relaxed: as the filter's bits (fzt_probe) */
	uint32_t in = atomic_load_explicit(&f->lens, memory_order_relaxed);
	for (size_t r = 0; r < n; r++) {
		struct hl_key sk[1 + HOTLIST_PLATE_MAX], dk[1];
		size_t n_del, m = hotlist__fz_plate_keys(&l->opts, in, plates[r], lens[r], sk, dk,
							 &n_del);
		bool any = n_del && fzt_probe(f, &dk[0], HL_FZ_DEL, NULL);
		for (size_t i = 0; i < m && !any; i++)
			any = fzt_probe(f, &sk[i], HL_FZ_SKEL, NULL);
		maybe |= (uint32_t)any << r;
	}
	return maybe;
}

bool hotlist__list_has(const struct hl_list *l, const struct hl_key *k)
{
	const struct hl_base *a = l->ovl ? hotlist__list_adds(l, k) : NULL;
	if (a && hl_base_find(a, k) != HL_TABLE_NONE)
		return true;
	for (uint32_t i = hl_base_find(l->base, k); i != HL_TABLE_NONE; i++) {
		const struct hl_meta *m = &l->base->meta[i];
		if (!l->ovl || !hotlist__list_hidden(l, m))
			return true;
		if (m->flags & HL_M_LAST)
			break;
	}
	return false;
}

/* Entries of base b's run at i. */
static uint64_t run_len(const struct hl_base *b, uint32_t i)
{
	uint64_t n = 0;
	for (; i != HL_TABLE_NONE; i++) {
		n++;
		if (b->meta[i].flags & HL_M_LAST)
			break;
	}
	return n;
}

/* Entries of version v with key k that a match can hit: v's base run of k
 * less what v's hides hide, plus v's entries put with key k. O(run). */
static uint64_t visible_of(const struct hl_list *v, const struct hl_key *k)
{
	uint64_t n = 0;
	for (uint32_t i = hl_base_find(v->base, k); i != HL_TABLE_NONE; i++) {
		const struct hl_meta *m = &v->base->meta[i];
		n += !v->ovl || !hotlist__list_hidden(v, m);
		if (m->flags & HL_M_LAST)
			break;
	}
	const struct hl_base *a = hotlist__list_adds(v, k);
	return n + (a ? run_len(a, hl_base_find(a, k)) : 0);
}

/* Entries a match can hit: O(pending edits), not O(entries). */
uint64_t hotlist__snap_count_visible(const struct hl_list *l)
{
	uint64_t n = l->base->n_meta;
	for (uint32_t i = 0; l->ovl && i <= l->ovl->mask; i++) {
		/* acquire: as rec_at (the folder reads without wlock) */
		const struct hl_rec *r =
			atomic_load_explicit(&l->ovl->slot[i], memory_order_acquire);
		while (r && r->seq > l->edit_seq)
			r = r->prev;
		if (!r)
			continue;
		n += visible_of(l, &r->key);
		n -= run_len(l->base, hl_base_find(l->base, &r->key));
	}
	return n;
}

/* ---- records and versions -------------------------------------------------------- */

void hotlist__snap_set_edits_fold(struct hl_snap *snap, uint32_t n)
{
	pthread_mutex_lock(&snap->wlock);
	snap->edits_fold = n;
	pthread_mutex_unlock(&snap->wlock);
}

void hotlist__snap_set_fold_hook(struct hl_snap *snap, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&snap->wlock);
	snap->fold_hook = fn;
	snap->fold_hook_arg = arg;
	pthread_mutex_unlock(&snap->wlock);
}

void hotlist__snap_set_fold_bg(struct hl_snap *snap, uint32_t n)
{
	pthread_mutex_lock(&snap->wlock);
	snap->fold_bg = n;
	pthread_mutex_unlock(&snap->wlock);
}

/* A copy of e's strings (and its id and attributes) in one allocation, for
 * an op: [ refs | attrs array | plate\0 category\0 reference\0 id\0 names
 * and values ], with one reference (op's). */
static int op_init(struct hl_snap *snap, struct hl_op *op, int kind, const struct hotlist_entry *e)
{
	enum { FIXED = 4 };
	const char *s[FIXED + 2 * HOTLIST_ATTRS_MAX] = { e->plate, e->category ? e->category : "",
							 e->reference ? e->reference : "",
							 e->id ? e->id : "" };
	unsigned na = e->attrs ? e->n_attrs : 0, ns = FIXED + 2 * na;
	size_t len[FIXED + 2 * HOTLIST_ATTRS_MAX], head = na * sizeof(struct hotlist_attr);
	size_t total = HL_OP_HEAD + head;
	for (unsigned i = 0; i < na; i++) { /* validated by the caller: na <= HOTLIST_ATTRS_MAX */
		s[FIXED + 2 * i] = e->attrs[i].name;
		s[FIXED + 2 * i + 1] = e->attrs[i].value ? e->attrs[i].value : "";
	}
	for (unsigned i = 0; i < ns; i++)
		total += (len[i] = strlen(s[i])) + 1;
	op->text = hotlist__alloc(snap->a, total, _Alignof(struct hotlist_attr));
	if (!op->text)
		return HOTLIST_ENOMEM;
	atomic_init(text_refs(op->text), 1);
	op->text_len = total;
	op->kind = kind;
	op->e = *e;
	op->e.country = NULL; /* kept as op->country */
	struct hotlist_attr *attrs = (struct hotlist_attr *)(void *)(op->text + HL_OP_HEAD);
	char *p = op->text + HL_OP_HEAD + head;
	const char *copy[FIXED + 2 * HOTLIST_ATTRS_MAX];
	for (unsigned i = 0; i < ns; i++) {
		memcpy(p, s[i], len[i] + 1);
		copy[i] = p;
		p += len[i] + 1;
	}
	op->e.plate = copy[0];
	op->e.category = copy[1];
	op->e.reference = copy[2];
	op->e.id = copy[3];
	for (unsigned i = 0; i < na; i++)
		attrs[i] = (struct hotlist_attr){ copy[FIXED + 2 * i], copy[FIXED + 2 * i + 1] };
	op->e.attrs = na ? attrs : NULL;
	op->e.n_attrs = na;
	return 0;
}

/* A record of key k with room for n ops, none yet. */
static struct hl_rec *rec_new(struct hl_snap *snap, const struct hl_key *k, uint32_t n)
{
	struct hl_rec *r = hotlist__alloc(snap->a, rec_size(n), _Alignof(struct hl_rec));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->key = *k;
	r->cap_ops = n;
	return r;
}

/* Append a copy of op (sharing its text) to r. */
static void rec_keep(struct hl_rec *r, const struct hl_op *op)
{
	r->ops[r->n_ops] = *op;
	text_get(op);
	r->n_edits += !op->of_put;
	r->seq = op->seq > r->seq ? op->seq : r->seq;
	r->n_ops++;
}

/* Append a new op to r: kind, entry e (its strings copied), flags; it gets
 * the next edit number. */
static int rec_append(struct hl_snap *snap, struct hl_rec *r, int kind,
		      const struct hotlist_entry *e, hl_country c, unsigned flags, bool of_put)
{
	struct hl_op *op = &r->ops[r->n_ops];
	memset(op, 0, sizeof(*op));
	int rc = op_init(snap, op, kind, e);
	if (rc)
		return rc;
	op->key = r->key;
	op->country = c;
	op->flags = flags;
	op->of_put = of_put;
	op->seq = ++snap->next_op;
	r->seq = op->seq;
	r->n_edits += !of_put;
	r->n_ops++;
	return 0;
}

/* Finish r: its adds base from its ADD ops (a run of its one key), and its
 * size. O(ops of r). */
static int rec_finish(struct hl_snap *snap, struct hl_rec *r)
{
	struct hl_builder b;
	char reason[96], cc[3];
	int rc = 0;
	size_t n = 0, text = 0;
	hotlist__builder_init(&b, snap->a);
	/* room for just these (the builder's default is 1024 entries) */
	for (uint32_t i = 0; i < r->n_ops; i++)
		if (r->ops[i].kind == HL_OP_ADD) {
			n++;
			text += r->ops[i].text_len;
		}
	if (n)
		rc = hotlist__builder_reserve(&b, n, text + 64);
	n = 0;
	for (uint32_t i = 0; i < r->n_ops && !rc; i++) {
		const struct hl_op *op = &r->ops[i];
		if (op->kind != HL_OP_ADD)
			continue;
		struct hotlist_entry e = op->e;
		hotlist__country_str(op->country, cc);
		e.country = cc;
		rc = hotlist__builder_add(&b, &e, op->flags, reason);
		n++;
	}
	if (!rc && n)
		rc = hotlist__builder_finish(&b, hotlist__seed(0), &r->adds, NULL, NULL);
	hotlist__builder_fini(&b);
	r->bytes = hotlist__alloc_bytes(rec_size(r->cap_ops)) + (r->adds ? r->adds->bytes : 0);
	return rc;
}

/* A copy of r's ops newer than `after` for another overlay, or NULL in *out
 * when none is. Its adds base is r's when every add was kept. */
static int rec_copy(struct hl_snap *snap, const struct hl_rec *r, uint64_t after,
		    struct hl_rec **out)
{
	uint32_t n = 0, adds = 0, kept_adds = 0;
	*out = NULL;
	for (uint32_t i = 0; i < r->n_ops; i++) {
		n += r->ops[i].seq > after;
		adds += r->ops[i].kind == HL_OP_ADD;
		kept_adds += r->ops[i].kind == HL_OP_ADD && r->ops[i].seq > after;
	}
	if (!n)
		return 0;
	struct hl_rec *c = rec_new(snap, &r->key, n);
	if (!c)
		return HOTLIST_ENOMEM;
	for (uint32_t i = 0; i < r->n_ops; i++)
		if (r->ops[i].seq > after)
			rec_keep(c, &r->ops[i]);
	int rc = 0;
	if (kept_adds == adds && r->adds) {
		c->adds = r->adds;
		hl_base_get(c->adds);
		c->bytes = hotlist__alloc_bytes(rec_size(c->cap_ops)) + c->adds->bytes;
	} else {
		rc = rec_finish(snap, c);
	}
	if (rc) {
		rec_free(snap, c);
		return rc;
	}
	*out = c;
	return 0;
}

/* The keys of overlay from (NULL: none) that a version with edit_seq seq
 * shows. Any thread holding from. */
static uint32_t ovl_keys(const struct hl_ovl *from, uint64_t seq)
{
	uint32_t n = 0;
	for (uint32_t i = 0; from && i <= from->mask; i++)
		n += rec_at_slot(from, i, seq) != NULL;
	return n;
}

/* A new overlay of the edits newer than `after` of a version with overlay
 * from (NULL: none) and edit_seq seq, with room for `extra` more keys at
 * half load (at least HL_OVL_MIN_SLOTS slots), into *out, or NULL when
 * there are none and extra is 0; *n_edits gets its pending edits.
 * O(keys). Any thread holding from: reads it as a reader does (the folder
 * copies without the lock, see "Folding"). */
static int ovl_copy(struct hl_snap *snap, const struct hl_ovl *from, uint64_t seq, uint64_t after,
		    uint32_t extra, const struct hl_fz_opts *opts, struct hl_ovl **out,
		    size_t *n_edits)
{
	uint32_t keys = ovl_keys(from, seq), slots = HL_OVL_MIN_SLOTS;
	*out = NULL;
	*n_edits = 0;
	if (!keys && !extra)
		return 0;
	while (slots < HL_GROW_COPY * (keys + extra)) /* see "Growing" */
		slots *= 2;
	struct hl_ovl *o = ovl_new(snap, slots, opts);
	if (!o)
		return HOTLIST_ENOMEM;
	int rc = 0;
	/* acquire: pairs with fzt_grow's release store (from's table, whose
	 * lens the copier may read while a writer sets more bits) */
	const struct hl_fzt *ff =
		from && o->fz ? atomic_load_explicit(&from->fzt, memory_order_acquire) : NULL;
	/* relaxed: an estimate (the longest plate of from sets its bound) */
	uint32_t lens = ff ? atomic_load_explicit(&ff->lens, memory_order_relaxed) : 0;
	if (lens) { /* sized at once: no second copy of its keys */
		uint64_t want = HL_FZT_COPY * (uint64_t)fzt_per_plate(o, lens) * (keys + extra);
		uint32_t fs = HL_FZT_MIN_SLOTS;
		while (fs < want && fs < (UINT32_C(1) << 30))
			fs *= 2;
		rc = fzt_grow(snap, o, fs);
	}
	for (uint32_t i = 0; from && i <= from->mask && !rc; i++) {
		const struct hl_rec *r = rec_at_slot(from, i, seq);
		struct hl_rec *c = NULL;
		if (r)
			rc = rec_copy(snap, r, after, &c);
		if (c && (rc = ovl_add(snap, o, c, NULL)) != 0)
			rec_free(snap, c);
		else if (c)
			*n_edits += c->n_edits;
	}
	/* the fuzzy key table as empty as the overlay (when the estimate
	 * above fell short: one more copy of its keys, O(keys) as the copy) */
	const struct hl_fzt *f = o->fz ? atomic_load_explicit(&o->fzt, memory_order_relaxed) : NULL;
	if (!rc && f &&
	    (HL_FZT_COPY * f->used > f->mask + 1u ||
	     HL_FZT_COPY * f->n_plates > 2u * f->cap_plates)) {
		uint32_t want = 2u * (f->mask + 1u);
		while (want < HL_FZT_COPY * f->used)
			want *= 2;
		rc = fzt_grow(snap, o, want);
	}
	if (rc || (!o->keys && !extra)) {
		hotlist__snap_ovl_put(snap, o);
		return rc;
	}
	*out = o;
	return 0;
}

/* Whether overlay o takes one more record (of a key new to it or not)
 * without being copied (see "The overlay"). */
static bool ovl_room(const struct hl_ovl *o, bool new_key)
{
	uint32_t slots = o->mask + 1u;
	return 2u * (o->keys + new_key) <= slots && o->recs < 2u * slots;
}

/* Whether overlay o is past 1/HL_GROW_ASK full (keys; records: past half
 * the slots, a quarter of their most; or its fuzzy key table): the grower
 * copies it into a bigger one (see "Growing"). Writer. */
static bool ovl_low(const struct hl_ovl *o)
{
	uint32_t slots = o->mask + 1u;
	return HL_GROW_ASK * o->keys > slots || 2u * o->recs > slots || fzt_low(o);
}

/* A new base of what version v shows: its base less what its hides hide,
 * plus its adds. Reads v's base and overlay as a reader does, so the
 * folder runs it without the lock, holding references on them. */
struct fold_ctx {
	struct hl_builder *b;
	int rc;
};

static void fold_adds(void *ctx, const struct hl_base *a)
{
	struct fold_ctx *f = ctx;
	for (uint32_t i = 0; i < a->n_meta && !f->rc; i++)
		f->rc = hotlist__builder_add_meta(f->b, a, i);
}

static int fold_build(struct hl_snap *snap, const struct hl_list *v, struct hl_base **out)
{
	struct hl_builder b;
	struct fold_ctx f = { &b, 0 };
	*out = NULL;
	hotlist__builder_init(&b, snap->a);
	for (uint32_t i = 0; i < v->base->n_meta && !f.rc; i++)
		if (!v->ovl || !hotlist__list_hidden(v, &v->base->meta[i]))
			f.rc = hotlist__builder_add_meta(&b, v->base, i);
	if (!f.rc)
		hotlist__list_adds_each(v, fold_adds, &f);
	if (!f.rc)
		f.rc = hotlist__builder_finish(&b, hotlist__seed(0), out, NULL, NULL);
	hotlist__builder_fini(&b);
	return f.rc;
}

/* Fold base and edits of the unpublished version l into a fresh base, on
 * the writer's path (see "Folding": only without a folder thread). */
static int fold_inline(struct hl_snap *snap, struct hl_list *l)
{
	struct hl_base *nb;
	int rc = fold_build(snap, l, &nb);
	if (rc)
		return rc;
	hotlist__base_put(l->base, snap->a);
	hotlist__snap_ovl_put(snap, l->ovl);
	l->base = nb;
	l->ovl = NULL;
	l->n_edits = 0;
	snap->folds_inline++;
	return 0;
}

/* The entries of l's wildcard puts as one base, whose pattern store a read
 * asks (see "Wildcard puts"); NULL when l has none. The edit's record r
 * (NULL: no edit) of a plain plate into old's overlay leaves old's as it
 * is (shared: O(1)); else O(wildcard keys of the overlay), which a fold
 * keeps below HL_WILD_FOLD or so. Writer. */
static int adds_build(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
		      const struct hl_rec *r)
{
	l->adds = NULL;
	if (!l->ovl || !l->ovl->n_wild)
		return 0;
	if (r && old && old->ovl == l->ovl && old->base == l->base && !key_wild(&r->key)) {
		l->adds = old->adds;
		if (l->adds)
			hl_base_get(l->adds);
		return 0;
	}
	struct hl_builder b;
	struct fold_ctx f = { &b, 0 };
	hotlist__builder_init(&b, snap->a);
	for (uint32_t i = 0; i < l->ovl->n_wild && !f.rc; i++) {
		const struct hl_rec *w = rec_of(l, &l->ovl->wild[i]);
		if (w && w->adds)
			fold_adds(&f, w->adds);
	}
	if (!f.rc && b.n)
		f.rc = hotlist__builder_finish(&b, hotlist__seed(0), &l->adds, NULL, NULL);
	hotlist__builder_fini(&b);
	return f.rc;
}

/* A new version of list `name` for an edit, sharing the current one's base
 * and options; its overlay is set by the caller. *old: the current version
 * (NULL if none). */
static struct hl_list *version_new(struct hl_snap *snap, const char *name,
				   const struct hl_list **old)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, name);
	*old = i < 0 ? NULL : cur->lists[i];
	struct hl_list *l = hotlist__snap_list_new(snap, *old, name);
	if (!l)
		return NULL;
	if (*old) {
		l->base = (*old)->base;
		hl_base_get(l->base);
		l->n_edits = (*old)->n_edits;
	} else {
		struct hl_builder b;
		hotlist__builder_init(&b, snap->a);
		if (hotlist__builder_finish(&b, hotlist__seed(0), &l->base, NULL, NULL))
			l->base = NULL;
		hotlist__builder_fini(&b);
	}
	if (!l->base) {
		hotlist__snap_list_free(snap, l);
		return NULL;
	}
	return l;
}

static struct hl_ovl *grow_take(struct hl_snap *snap, const struct hl_list *old, size_t *n_edits);

/* The overlay the edit of key k in l (from old) goes into: the grower's
 * bigger copy of old's when one is ready, else old's, or a copy with room
 * when it has none (see "The overlay", "Growing"). */
static int edit_ovl(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
		    const struct hl_key *k)
{
	size_t n_edits = 0;
	struct hl_ovl *g = old ? grow_take(snap, old, &n_edits) : NULL;
	if (g && ovl_room(g, !rec_at(g, UINT64_MAX, k)) && ovl_fits(g, &l->opts)) {
		l->ovl = g;
		l->n_edits = n_edits;
		return 0;
	}
	hotlist__snap_ovl_put(snap, g);
	if (old && old->ovl && ovl_room(old->ovl, !rec_of(old, k)) &&
	    ovl_fits(old->ovl, &l->opts)) {
		l->ovl = old->ovl;
		ovl_get(l->ovl);
		return 0;
	}
	if (old && old->ovl && ovl_fits(old->ovl, &l->opts))
		snap->grows_inline++; /* full: the grower is behind, or there is none */
	int rc = ovl_copy(snap, old ? old->ovl : NULL, old ? old->edit_seq : 0, 0, 1, &l->opts,
			  &l->ovl, &n_edits);
	if (!rc)
		l->n_edits = n_edits;
	return rc;
}

static void fold_request(struct hl_snap *snap);

/* Whether the folder should fold l: fold_bg pending edits or more, or
 * HL_WILD_FOLD wildcard keys in its overlay (each edit of a wildcard plate
 * rebuilds l->adds over them: see "Wildcard puts"). Writer or folder,
 * under wlock. */
static bool fold_due(const struct hl_snap *snap, const struct hl_list *l)
{
	return l->n_edits >= snap->fold_bg || (l->ovl && l->ovl->n_wild >= HL_WILD_FOLD);
}

static void grow_request(struct hl_snap *snap, const struct hl_list *l);
static bool replacing(struct hl_snap *snap, const char *name);

/* Publish the new version l (its overlay, base and options set) and, when
 * r is not NULL, the edit's record r of key k, linked into l's overlay
 * first; l and r are freed on failure (r unlinked: nothing changes). old:
 * the version l replaces, or NULL. pre: as attach_fuzzy's, or NULL. Caller
 * holds wlock. */
static int edit_commit(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
		       struct hl_rec *r, struct hl_fuzzy **pre)
{
	struct hl_ovl *o = l->ovl;
	uint32_t slot = 0;
	int rc = 0;
	if (r) {
		const struct hl_rec *was = rec_at(o, UINT64_MAX, &r->key);
		/* relaxed: only the writer stores it */
		const struct hl_fzt *f =
			o->fz ? atomic_load_explicit(&o->fzt, memory_order_relaxed) : NULL;
		uint32_t n_edits = r->n_edits;
		rc = ovl_add(snap, o, r, &slot);
		if (rc) {
			rec_free(snap, r);
			hotlist__snap_list_free(snap, l);
			return rc;
		}
		/* a full fuzzy key table copied on this path (see "Growing") */
		snap->grows_inline += f && f != atomic_load_explicit(&o->fzt, memory_order_relaxed);
		l->n_edits = l->n_edits + n_edits - (was ? was->n_edits : 0);
		ovl_get(o); /* for ovl_unlink, whatever happens to l */
	}
	l->edit_seq = snap->next_op;
	/* the overlay's fuzzy key table is the one l's options read */
	HL_DEBUG_ASSERT(!l->ovl || ovl_fits(l->ovl, &l->opts));
	if (l->n_edits > snap->edits_fold && !snap->folder_started && !replacing(snap, l->name))
		rc = fold_inline(snap, l);
	if (!rc)
		rc = adds_build(snap, l, old, r);
	if (!rc)
		rc = hotlist__snap_attach_fuzzy(snap, l, old, pre);
	if (!rc) {
		/* not after an inline fold: the new base may have merged entries */
		if (r && old && old->base == l->base)
			l->entries =
				old->entries - visible_of(old, &r->key) + visible_of(l, &r->key);
		else if (!r && old && l->version == old->version) /* a fold: the same entries */
			l->entries = old->entries;
		else
			l->entries = hotlist__snap_count_visible(l);
		HL_DEBUG_ASSERT(l->entries == hotlist__snap_count_visible(l));
		bool fold = fold_due(snap, l);
		bool grow = l->ovl && !l->ovl->grow_tried && ovl_low(l->ovl);
		rc = hotlist__snap_install(snap, l); /* frees l on error */
		if (!rc && fold)
			fold_request(snap);
		if (!rc && grow)
			grow_request(snap, l); /* l is published: alive under wlock */
	} else {
		hotlist__snap_list_free(snap, l);
	}
	if (r) {
		if (rc)
			ovl_unlink(o, slot, r);
		hotlist__snap_ovl_put(snap, o);
	}
	return rc;
}

/* The entry of snap->replacing counting the replaces of list `name` in
 * flight, or NULL. Caller holds wlock. */
static uint32_t *replacing_of(struct hl_snap *snap, const char *name)
{
	for (unsigned i = 0; i < HL_REPLACING_MAX; i++)
		if (snap->replacing[i].n && strcmp(snap->replacing[i].name, name) == 0)
			return &snap->replacing[i].n;
	return NULL;
}

/* Whether a replace of list `name` is in flight: its folds are held back
 * (see "Folding"). Caller holds wlock. */
static bool replacing(struct hl_snap *snap, const char *name)
{
	return snap->replacing_any || replacing_of(snap, name);
}

uint64_t hotlist__snap_op_mark(struct hl_snap *snap, const char *name)
{
	pthread_mutex_lock(&snap->wlock);
	uint64_t mark = snap->next_op;
	uint32_t *n = replacing_of(snap, name);
	for (unsigned i = 0; i < HL_REPLACING_MAX && !n; i++)
		if (!snap->replacing[i].n) {
			snprintf(snap->replacing[i].name, sizeof(snap->replacing[i].name), "%s",
				 name);
			n = &snap->replacing[i].n;
		}
	if (n)
		(*n)++;
	else /* no free entry: every list's folds wait */
		snap->replacing_any++;
	pthread_mutex_unlock(&snap->wlock);
	return mark;
}

void hotlist__snap_op_unmark(struct hl_snap *snap, const char *name)
{
	pthread_mutex_lock(&snap->wlock);
	/* the entry of name if it has one, else replacing_any: either way each
	 * list's replaces in flight stay counted in its entry or in
	 * replacing_any */
	uint32_t *n = replacing_of(snap, name);
	if (n)
		(*n)--;
	else
		snap->replacing_any--;
	if (snap->folder_started)
		pthread_cond_broadcast(&snap->fold_cv); /* folds held back meanwhile */
	pthread_mutex_unlock(&snap->wlock);
}

int hotlist__snap_keep_edits(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
			     uint64_t mark, struct hl_fuzzy **pre)
{
	if (!old || !old->ovl || old->edit_seq <= mark)
		return 1;
	int rc = ovl_copy(snap, old->ovl, old->edit_seq, mark, 0, &l->opts, &l->ovl, &l->n_edits);
	if (!rc && !l->ovl)
		return 1;
	if (rc) {
		hotlist__snap_list_free(snap, l);
		return rc;
	}
	return edit_commit(snap, l, old, NULL, pre);
}

/* One op an edit appends: its kind, and whether it is the hide of a put. */
struct edit_op {
	int kind;
	bool of_put;
};

/* A put: drops the ops of its plate, country and category (flags 0), then
 * hides them and adds its entry. */
static const struct edit_op put_ops[] = { { HL_OP_HIDE, true }, { HL_OP_ADD, false } };
/* A remove of (plate, country or any): drops the adds it removes and the
 * hides its own hide covers (any category), then hides. */
static const struct edit_op remove_ops[] = { { HL_OP_HIDE, false } };

/* The record of an edit of e (key k, country c) on top of was (NULL:
 * none): was's ops less those the edit's own ops match (op_matches with
 * flags and e's category), then its n ops (entry e, country c, flags).
 * Freed on failure. O(ops of was). */
static int edit_rec(struct hl_snap *snap, const struct hl_rec *was, const struct hotlist_entry *e,
		    const struct hl_key *k, hl_country c, unsigned flags, const struct edit_op *ops,
		    uint32_t n, struct hl_rec **out)
{
	const char *cat = e->category ? e->category : "";
	struct hl_rec *r = rec_new(snap, k, (was ? was->n_ops : 0) + n);
	if (!r)
		return HOTLIST_ENOMEM;
	for (uint32_t i = 0; was && i < was->n_ops; i++)
		if (!op_matches(&was->ops[i], k, c, flags, cat))
			rec_keep(r, &was->ops[i]);
	int rc = 0;
	for (uint32_t i = 0; i < n && !rc; i++)
		rc = rec_append(snap, r, ops[i].kind, e, c, flags, ops[i].of_put);
	if (!rc)
		rc = rec_finish(snap, r);
	if (rc) {
		rec_free(snap, r);
		return rc;
	}
	*out = r;
	return 0;
}

int hotlist__snap_put(struct hl_snap *snap, const char *name, const struct hotlist_entry *e,
		      const struct hl_key *k, hl_country c)
{
	pthread_mutex_lock(&snap->wlock);
	const struct hl_list *old;
	struct hl_list *l = version_new(snap, name, &old);
	struct hl_rec *r = NULL;
	int rc = l ? edit_ovl(snap, l, old, k) : HOTLIST_ENOMEM;
	if (!rc)
		rc = edit_rec(snap, rec_at(l->ovl, UINT64_MAX, k), e, k, c, 0, put_ops, 2, &r);
	if (!rc)
		rc = edit_commit(snap, l, old, r, NULL);
	else
		hotlist__snap_list_free(snap, l);
	pthread_mutex_unlock(&snap->wlock);
	return rc;
}

/*
 * Entries of the current version of l that a remove of (k, c) would take.
 * O(entries of plate k x ops of its record): the walk is over one plate's
 * run (at most HL_RUN_MAX entries, in practice one or two), never over the
 * list or its other edits. The key's record cannot answer it in O(1): a
 * plate never edited has no record (its entries are all in the base run);
 * a record holds the key's ops, not the base's entries, and whether a
 * put's hide (plate, country, category) covers a base entry depends on that
 * entry's category. A count kept in the record would cost the same walk
 * when the record is made, and again whenever a fold copies the record's
 * newer ops onto a new base (whose run of the key holds its older edits
 * folded in), one per country a remove may name: the same work moved, not
 * saved.
 */
static int count_removable(const struct hl_list *l, const struct hl_key *k, hl_country c)
{
	int n = 0;
	const struct hl_base *bases[2] = { l->base, hotlist__list_adds(l, k) };
	for (int b = 0; b < 2; b++) {
		uint32_t i = bases[b] ? hl_base_find(bases[b], k) : HL_TABLE_NONE;
		for (; i != HL_TABLE_NONE; i++) {
			const struct hl_meta *m = &bases[b]->meta[i];
			if ((!c || m->country == c) &&
			    (b == 1 || !l->ovl || !hotlist__list_hidden(l, m)))
				n++;
			if (m->flags & HL_M_LAST)
				break;
		}
	}
	return n;
}

int hotlist__snap_remove(struct hl_snap *snap, const char *name, const char *plate,
			 const struct hl_key *k, hl_country c)
{
	pthread_mutex_lock(&snap->wlock);
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, name);
	int n = i < 0 ? 0 : count_removable(cur->lists[i], k, c), rc = HOTLIST_ENOENT;
	if (n) {
		const struct hl_list *old;
		struct hl_list *l = version_new(snap, name, &old);
		struct hl_rec *r = NULL;
		struct hotlist_entry e = { .plate = plate };
		unsigned flags = HL_M_ANY_CATEGORY | (c ? 0 : HL_M_ANY_COUNTRY);
		rc = l ? edit_ovl(snap, l, old, k) : HOTLIST_ENOMEM;
		if (!rc)
			rc = edit_rec(snap, rec_at(l->ovl, UINT64_MAX, k), &e, k, c, flags,
				      remove_ops, 1, &r);
		if (!rc)
			rc = edit_commit(snap, l, old, r, NULL);
		else
			hotlist__snap_list_free(snap, l);
		if (!rc)
			rc = n;
	}
	pthread_mutex_unlock(&snap->wlock);
	return rc;
}
/* The base of list `name` with a reference taken, or NULL (no such list).
 * The reference keeps it, and so its address, from being reused. */
static struct hl_base *current_base(struct hl_snap *snap, const char *name)
{
	struct hl_base *b = NULL;
	const struct hl_state *st = hotlist__snap_enter(snap);
	for (uint32_t j = 0; j < st->n && !b; j++) {
		if (strcmp(st->lists[j]->name, name) == 0) {
			b = st->lists[j]->base;
			/* the version, alive in this read-side section, holds a
			 * reference: the count cannot reach zero under us */
			hl_base_get(b);
		}
	}
	hotlist__snap_exit();
	return b;
}

int hotlist__snap_set_options(struct hl_snap *snap, const char *name, const struct hl_fz_opts *o,
			      struct hl_scope *sc)
{
	struct hl_base *b = current_base(snap, name);
	struct hl_fuzzy *pre = b ? hotlist__snap_prebuild(snap, name, b, o) : NULL;
	pthread_mutex_lock(&snap->wlock);
	const struct hl_list *old;
	struct hl_list *l = version_new(snap, name, &old);
	int rc = HOTLIST_ENOMEM;
	if (l) {
		l->opts = *o;
		hotlist__scope_put(l->scope, snap->a); /* the old version keeps its own */
		l->scope = sc;
		sc = NULL;
		l->ovl = old ? old->ovl : NULL;
		rc = 0;
		if (l->ovl && ovl_fits(l->ovl, &l->opts)) {
			ovl_get(l->ovl);
		} else if (l->ovl) { /* another fuzzy key table: O(pending edits), rare */
			size_t n_edits;
			l->ovl = NULL;
			rc = ovl_copy(snap, old->ovl, old->edit_seq, 0, 0, &l->opts, &l->ovl,
				      &n_edits);
		}
		if (rc)
			hotlist__snap_list_free(snap, l);
		else
			rc = edit_commit(snap, l, old, NULL, &pre);
	}
	pthread_mutex_unlock(&snap->wlock);
	hotlist__scope_put(sc, snap->a);
	hotlist__fz_put(pre, snap->a);
	hotlist__base_put(b, snap->a);
	return rc;
}

/* ---- folding, on the folder thread (see "Folding" above) ----------------------- */

/* What the folder folds: a view of one version (its base and overlay,
 * with a reference each, and its edit_seq: the newest op folded into the
 * new base). */
struct fold_job {
	struct hl_list view; /* name, base, ovl, edit_seq; nothing else set */
};

/* Step 1: the first list with fold_bg pending edits or more, into job.
 * false if none. Caller (the folder) holds wlock. */
static bool fold_pick(struct hl_snap *snap, struct fold_job *job)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	for (uint32_t i = 0; i < cur->n; i++) {
		const struct hl_list *l = cur->lists[i];
		if (!fold_due(snap, l) || replacing(snap, l->name))
			continue;
		memset(job, 0, sizeof(*job));
		memcpy(job->view.name, l->name, sizeof(job->view.name));
		job->view.base = l->base;
		job->view.ovl = l->ovl;
		job->view.edit_seq = l->edit_seq;
		hl_base_get(job->view.base);
		if (job->view.ovl)
			ovl_get(job->view.ovl);
		return true;
	}
	return false;
}

static void fold_job_free(struct hl_snap *snap, struct fold_job *job)
{
	hotlist__base_put(job->view.base, snap->a);
	hotlist__snap_ovl_put(snap, job->view.ovl);
}

/* Step 3: publish *nb as the base of the job's list with the ops newer
 * than job->upto, if the list still has the base the job folded. 0, or an
 * error. *nb is left for the caller to free when it was not taken (NULL
 * when it was). Caller (the folder) holds wlock. */
/* Step 3's copy of the overlay, made mostly without the lock: the edits
 * newer than the job's upto of the version published when the build was
 * done (ovl at seq), then, under the lock, those made since (see
 * "Folding"). */
struct fold_carry {
	struct hl_ovl *ovl; /* a reference on that version's overlay, or NULL */
	uint64_t seq;
	struct hl_ovl *copy; /* the copy, or NULL (nothing newer than upto) */
	size_t n_edits;
	struct hl_fz_opts opts; /* that version's options: the copy's fuzzy key table */
};

/* Bring c's copy up to the version with edit_seq vseq of c->ovl, whose
 * newest record linked then was `head`: copy again the keys of the records
 * linked after c->seq (the `all` chain is newest first), as that version
 * shows them. O(edits since c->seq). Reads c->ovl as a reader does, so
 * runs without the lock (carry_rounds) as well as under it (head and vseq
 * read under the lock: the chain from head is immutable). 0, 1 when the
 * copy cannot take them (copy it whole instead), or an error. */
static int carry_catch_up(struct hl_snap *snap, struct fold_carry *c, const struct hl_rec *head,
			  uint64_t vseq, uint64_t upto)
{
	for (const struct hl_rec *r = head; r && r->seq > c->seq; r = r->all) {
		const struct hl_rec *v = rec_at(c->ovl, vseq, &r->key);
		if (!v)
			continue; /* a record that was not published */
		if (!c->copy)
			return 1;
		const struct hl_rec *was = rec_at(c->copy, UINT64_MAX, &v->key);
		if (!ovl_room(c->copy, was == NULL))
			return 1;
		struct hl_rec *k;
		int rc = rec_copy(snap, v, upto, &k);
		if (!rc && k && (rc = ovl_add(snap, c->copy, k, NULL)) != 0)
			rec_free(snap, k);
		if (rc)
			return rc;
		if (k)
			c->n_edits = c->n_edits + k->n_edits - (was ? was->n_edits : 0);
	}
	c->seq = vseq > c->seq ? vseq : c->seq;
	return 0;
}

/* Catch c's copy up without the lock, in rounds (each reads where list
 * `name` stands as a reader does), so that the catch-up left for the
 * lock covers only the edits made during the last round: each round copies
 * faster than writers edit, so they shrink. 0, 1 when the list no longer
 * has c->ovl or the copy cannot take the edits (the install decides), or
 * an error. Caller (the folder or the grower) holds no lock. */
/* Records linked into c->ovl after c->seq, from head, counted up to max + 1. */
static uint32_t carry_behind(const struct fold_carry *c, const struct hl_rec *head, uint32_t max)
{
	uint32_t n = 0;
	for (const struct hl_rec *r = head; r && r->seq > c->seq && n <= max; r = r->all)
		n++;
	return n;
}

/* A writer takes the grower's copy only when at most this many records
 * are left to catch it up (under wlock, on its path); else the grower
 * runs more rounds first (see "Growing"). */
#define HL_GROW_TAKE_MAX 64u

static int carry_rounds(struct hl_snap *snap, const char *name, struct fold_carry *c, uint64_t upto)
{
	for (int round = 0; round < 16; round++) {
		const struct hl_state *cur = hotlist__snap_enter(snap);
		int i = hotlist__snap_find(cur, name);
		const struct hl_list *l = i < 0 ? NULL : cur->lists[i];
		uint64_t vseq = l ? l->edit_seq : 0;
		/* acquire: pairs with ovl_link's release (the chain from head is
		 * seen whole); loaded after the version (whose records it holds,
		 * maybe newer ones too: rec_at as of vseq skips those, and the
		 * next round or the install catches them up) */
		const struct hl_rec *head =
			l && c->ovl && l->ovl == c->ovl ?
				atomic_load_explicit(&c->ovl->all, memory_order_acquire) :
				NULL;
		hotlist__snap_exit();
		if (!head)
			return 1;
		uint32_t behind = carry_behind(c, head, HL_GROW_TAKE_MAX / 4);
		if (!behind)
			return 0;
		int rc = carry_catch_up(snap, c, head, vseq, upto);
		if (rc || behind <= HL_GROW_TAKE_MAX / 4)
			return rc; /* close enough: the rest under the lock */
	}
	return 0;
}

/* A new version of old with old's number and time: the same entries (a
 * fold, or a grown overlay: no writer call made it, and hits name the
 * version they saw). NULL when out of memory. Caller holds wlock. */
static struct hl_list *list_same_version(struct hl_snap *snap, const struct hl_list *old)
{
	struct hl_list *l = hotlist__snap_list_new(snap, old, old->name);
	if (l) {
		snap->next_version--;
		l->version = old->version;
		l->updated_us = old->updated_us;
	}
	return l;
}

/* Returns 1, taking nothing, when c does not fit the list's overlay now
 * (the grower replaced it since carry_begin) unless `last`: the caller
 * copies again without the lock. */
static int fold_install(struct hl_snap *snap, const struct fold_job *job, struct hl_base **nb,
			struct hl_fuzzy **pre, struct fold_carry *c, bool last)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, job->view.name);
	const struct hl_list *old = i < 0 ? NULL : cur->lists[i];
	/* replaced or dropped meanwhile, or a replace is in flight (see
	 * "Folding": it would drop the edits this fold took) */
	if (replacing(snap, job->view.name) || !old || old->base != job->view.base) {
		snap->folds_dropped++;
		return 0;
	}
	bool fits = c->ovl && c->ovl == old->ovl && (!c->copy || ovl_fits(c->copy, &old->opts));
	if (!fits && !last && old->ovl)
		return 1;
	struct hl_list *l = list_same_version(snap, old);
	if (!l)
		return HOTLIST_ENOMEM;
	l->base = *nb; /* taken even on error: freed with l */
	*nb = NULL;
	uint64_t upto = job->view.edit_seq;
	int rc = 1;
	if (fits)
		rc = carry_catch_up(snap, c,
				    atomic_load_explicit(&old->ovl->all, memory_order_relaxed),
				    old->edit_seq, upto);
	if (rc == 0) {
		l->ovl = c->copy;
		l->n_edits = c->n_edits;
		c->copy = NULL;
	} else if (rc == 1) { /* no copy fits: O(edits) under the lock */
		rc = ovl_copy(snap, old->ovl, old->edit_seq, upto, 0, &l->opts, &l->ovl,
			      &l->n_edits);
	}
	if (rc) {
		hotlist__snap_list_free(snap, l);
		return rc;
	}
	rc = edit_commit(snap, l, old, NULL, pre);
	if (!rc)
		snap->folds_done++;
	return rc;
}

/* Take a reference on the overlay of the job's list as now published, for
 * the copy of step 3 (c->ovl NULL: none, or the list is gone). Caller holds
 * wlock. */
static void carry_begin(struct hl_snap *snap, const struct fold_job *job, struct fold_carry *c)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, job->view.name);
	const struct hl_list *l = i < 0 ? NULL : cur->lists[i];
	if (!l || !l->ovl || l->base != job->view.base)
		return;
	c->ovl = l->ovl;
	c->seq = l->edit_seq;
	c->opts = l->opts;
	ovl_get(c->ovl);
}

/* Steps 2 and 3 for job: build, then publish under the lock. Called and
 * returns with wlock held; drops it meanwhile, and also to let go of the
 * job's references (the last one on the old base frees it: milliseconds at
 * 1 M entries, which writers must not wait for) and of what was not taken. */
static int fold_run(struct hl_snap *snap, struct fold_job *job)
{
	struct hl_base *nb = NULL;
	struct hl_fuzzy *pre = NULL;
	void (*hook)(void *) = snap->fold_hook;
	void *hook_arg = snap->fold_hook_arg;
	pthread_mutex_unlock(&snap->wlock);
	int rc = fold_build(snap, &job->view, &nb);
	if (!rc)
		pre = hotlist__snap_prebuild(snap, job->view.name, nb, NULL);
	if (hook)
		hook(hook_arg);
	struct fold_carry c = { NULL, 0, NULL, 0, { 0 } };
	/* the grower may replace the overlay between the copy and the install:
	 * copy again (a few times) rather than copy it all under the lock */
	for (int tries = 0;; tries++) {
		pthread_mutex_lock(&snap->wlock);
		carry_begin(snap, job, &c);
		pthread_mutex_unlock(&snap->wlock);
		if (!rc && c.ovl) /* the edits made during the build: O(edits), no lock */
			rc = ovl_copy(snap, c.ovl, c.seq, job->view.edit_seq, 0, &c.opts, &c.copy,
				      &c.n_edits);
		if (!rc && c.copy) { /* and those made during the copy, still no lock */
			int cr = carry_rounds(snap, job->view.name, &c, job->view.edit_seq);
			rc = cr < 0 ? cr : 0;
		}
		pthread_mutex_lock(&snap->wlock);
		if (!rc)
			rc = fold_install(snap, job, &nb, &pre, &c, tries == 3);
		pthread_mutex_unlock(&snap->wlock);
		hotlist__snap_ovl_put(snap, c.copy); /* not taken */
		hotlist__snap_ovl_put(snap, c.ovl);
		if (rc != 1)
			break;
		c = (struct fold_carry){ NULL, 0, NULL, 0, { 0 } };
		rc = 0;
	}
	fold_job_free(snap, job);
	hotlist__base_put(nb, snap->a); /* not taken: a replace or drop came first */
	hotlist__fz_put(pre, snap->a); /* not taken: the options changed meanwhile */
	pthread_mutex_lock(&snap->wlock);
	return rc;
}

/*
 * The folder thread: folds every list that has fold_bg pending edits or
 * more, then sleeps on fold_cv until a writer publishes such a list or
 * destroy stops it. After a failed fold (out of memory) it waits for the
 * next request rather than retrying at once. Holds wlock except while it
 * sleeps and in fold_run's build. It runs at the writers' priority: at a
 * lower one (nice 10, tried) it was preempted while holding wlock on a busy
 * machine and writers waited up to 200 ms behind it (priority inversion;
 * an unprivileged thread cannot raise its priority back for the lock).
 */
static void *folder_main(void *arg)
{
	struct hl_snap *snap = arg;
	struct fold_job job;
	pthread_mutex_lock(&snap->wlock);
	while (!snap->fold_stop) {
		if (!snap->fold_failed && fold_pick(snap, &job)) {
			snap->fold_busy = true;
			snap->fold_failed = fold_run(snap, &job) != 0;
			snap->fold_busy = false;
			pthread_cond_broadcast(&snap->fold_cv); /* fold_settle */
			continue;
		}
		pthread_cond_broadcast(&snap->fold_cv); /* idle: fold_settle */
		pthread_cond_wait(&snap->fold_cv, &snap->wlock);
	}
	pthread_mutex_unlock(&snap->wlock);
	return NULL;
}

/* A published list has fold_bg pending edits or more: wake the folder,
 * starting it on first use. If it cannot start, writers fold past
 * edits_fold themselves (rebuild). Caller holds wlock. */
static void fold_request(struct hl_snap *snap)
{
	if (!snap->folder_started) {
		sigset_t all, old;
		sigfillset(&all);
		/* the thread inherits the mask: it never takes a signal */
		pthread_sigmask(SIG_BLOCK, &all, &old);
		snap->folder_started = pthread_create(&snap->folder, NULL, folder_main, snap) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	snap->fold_failed = false;
	/* broadcast: fold_settle may wait on the same condition */
	pthread_cond_broadcast(&snap->fold_cv);
}

void hotlist__snap_fold_settle(struct hl_snap *snap, uint64_t *done, uint64_t *dropped,
			       uint64_t *inline_folds)
{
	struct fold_job job;
	pthread_mutex_lock(&snap->wlock);
	while (snap->folder_started && !snap->fold_failed &&
	       (snap->fold_busy || fold_pick(snap, &job))) {
		if (!snap->fold_busy) /* picked only to look: let go */
			fold_job_free(snap, &job);
		pthread_cond_wait(&snap->fold_cv, &snap->wlock);
	}
	*done = snap->folds_done;
	*dropped = snap->folds_dropped;
	*inline_folds = snap->folds_inline;
	pthread_mutex_unlock(&snap->wlock);
}

static void grow_stop(struct hl_snap *snap);

void hotlist__snap_fold_stop(struct hl_snap *snap)
{
	pthread_mutex_lock(&snap->wlock);
	bool started = snap->folder_started;
	snap->fold_stop = true;
	pthread_cond_broadcast(&snap->fold_cv);
	pthread_mutex_unlock(&snap->wlock);
	if (started)
		pthread_join(snap->folder, NULL);
	grow_stop(snap);
}

/* ---- growing, on the grower thread (see "Growing" above) ------------------------ */

/* What the grower copies: one list's overlay as of one version. */
struct grow_job {
	char name[HOTLIST_NAME_MAX + 1];
	struct hl_ovl *ovl; /* a reference, or NULL: no job */
	uint64_t seq; /* that version's edit_seq */
	struct hl_fz_opts opts; /* its options: the copy's fuzzy key table */
};

/* The grower's hand-over, under its own lock mx (taken after wlock, never
 * before it): the job a writer posted, and the copy the grower made (a
 * carry of job.ovl, caught up to c.seq), ready for the next writer of that
 * list to take (grow_take). */
struct hl_grower {
	pthread_mutex_t mx;
	pthread_cond_t cv; /* with mx: a job, stop, or (grow_settle) idle */
	pthread_t tid;
	bool started, stop, busy;
	bool refresh; /* a writer found the ready copy too far behind */
	struct grow_job job;
	struct grow_job ready_job; /* ready_job.ovl NULL: none ready */
	struct fold_carry ready;
	atomic_bool any_ready; /* ready_job.ovl != NULL: a relaxed peek for writers */
};

int hotlist__snap_grow_init(struct hl_snap *snap)
{
	struct hl_grower *g = hotlist__zalloc(snap->a, sizeof(*g), _Alignof(struct hl_grower));
	if (!g)
		return HOTLIST_ENOMEM;
	if (pthread_mutex_init(&g->mx, NULL)) {
		hotlist__free(snap->a, g, sizeof(*g));
		return HOTLIST_ENOMEM;
	}
	if (pthread_cond_init(&g->cv, NULL)) {
		pthread_mutex_destroy(&g->mx);
		hotlist__free(snap->a, g, sizeof(*g));
		return HOTLIST_ENOMEM;
	}
	atomic_init(&g->any_ready, false);
	snap->gr = g;
	return 0;
}

/* Let go of a ready copy (never published) and its job. */
static void ready_free(struct hl_snap *snap, struct grow_job *j, struct fold_carry *c)
{
	hotlist__snap_ovl_put(snap, c->copy);
	hotlist__snap_ovl_put(snap, j->ovl);
	c->copy = NULL;
	j->ovl = NULL;
}

/* Take the ready copy out of the grower's hand-over into *j and *c (their
 * references move with them). Caller holds g->mx; g->ready_job.ovl set. */
static void ready_pop(struct hl_grower *g, struct grow_job *j, struct fold_carry *c)
{
	*j = g->ready_job;
	*c = g->ready;
	g->ready_job.ovl = NULL;
	g->ready.copy = NULL;
	atomic_store_explicit(&g->any_ready, false, memory_order_relaxed);
}

static int grow_install(struct hl_snap *snap, const struct grow_job *job, struct fold_carry *c);

/* Install the grower's ready copy if nobody took it (as a writer's
 * grow_take would); *j and *c receive what the caller frees with
 * ready_free after it lets wlock go (both empty when none was ready).
 * Caller holds wlock. */
static void ready_install(struct hl_snap *snap, struct grow_job *j, struct fold_carry *c)
{
	struct hl_grower *g = snap->gr;
	*j = (struct grow_job){ .ovl = NULL };
	*c = (struct fold_carry){ NULL, 0, NULL, 0, { 0 } };
	pthread_mutex_lock(&g->mx);
	if (g->ready_job.ovl)
		ready_pop(g, j, c);
	pthread_mutex_unlock(&g->mx);
	if (j->ovl)
		grow_install(snap, j, c); /* an error: the writers copy at half full */
}

void hotlist__snap_grow_fini(struct hl_snap *snap)
{
	struct hl_grower *g = snap->gr;
	hotlist__snap_ovl_put(snap, g->job.ovl);
	ready_free(snap, &g->ready_job, &g->ready);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mx);
	hotlist__free(snap->a, g, sizeof(*g));
}

/* Publish c->copy (the job's overlay copied, caught up to c->seq) as the
 * overlay of the job's list, after linking into it the records linked
 * since (carry_catch_up: O(edits since the grower's last round)), if the
 * list still has the job's overlay; else drop it (c->copy left to the
 * caller). Keeps the version number and entries (the same list). Caller
 * holds wlock: the grower when no writer holds it (trylock), or
 * grow_settle. */
static int grow_install(struct hl_snap *snap, const struct grow_job *job, struct fold_carry *c)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, job->name);
	const struct hl_list *old = i < 0 ? NULL : cur->lists[i];
	if (!old || old->ovl != job->ovl || !c->copy || !ovl_fits(c->copy, &old->opts)) {
		snap->grows_dropped++;
		return 0;
	}
	/* relaxed: under wlock, which the writers store it under */
	int rc = carry_catch_up(snap, c, atomic_load_explicit(&old->ovl->all, memory_order_relaxed),
				old->edit_seq, 0);
	if (rc == 1) { /* the copy cannot take them: the writers copy at half full */
		snap->grows_dropped++;
		return 0;
	}
	if (rc)
		return rc;
	struct hl_list *l = list_same_version(snap, old); /* as a fold */
	if (!l)
		return HOTLIST_ENOMEM;
	l->base = old->base;
	hl_base_get(l->base);
	l->ovl = c->copy;
	c->copy = NULL;
	l->n_edits = c->n_edits;
	HL_DEBUG_ASSERT(l->n_edits == old->n_edits);
	rc = edit_commit(snap, l, old, NULL, NULL);
	if (!rc)
		snap->grows_done++;
	return rc;
}

/* The grower's copy of old's overlay, caught up to old (under wlock:
 * O(edits since its last round), the few made while it finished), for
 * the writer's edit of old to go into; NULL when none is ready for it (or
 * it could not be caught up: then dropped). *n_edits: its pending edits.
 * Writer (edit_ovl). */
static struct hl_ovl *grow_take(struct hl_snap *snap, const struct hl_list *old, size_t *n_edits)
{
	struct hl_grower *g = snap->gr;
	/* relaxed: a peek; mx orders what it guards */
	if (!old->ovl || !atomic_load_explicit(&g->any_ready, memory_order_relaxed))
		return NULL;
	struct grow_job j = { .ovl = NULL };
	struct fold_carry c = { NULL, 0, NULL, 0, { 0 } };
	/* relaxed: under wlock, which the writers store it under */
	const struct hl_rec *head = atomic_load_explicit(&old->ovl->all, memory_order_relaxed);
	pthread_mutex_lock(&g->mx);
	if (g->ready_job.ovl == old->ovl && strcmp(g->ready_job.name, old->name) == 0) {
		if (carry_behind(&g->ready, head, HL_GROW_TAKE_MAX) > HL_GROW_TAKE_MAX) {
			g->refresh = true; /* too far behind: the grower catches it up first */
			pthread_cond_broadcast(&g->cv);
		} else {
			ready_pop(g, &j, &c);
		}
	}
	pthread_mutex_unlock(&g->mx);
	if (!j.ovl)
		return NULL;
	int rc =
		ovl_fits(c.copy, &old->opts) ? carry_catch_up(snap, &c, head, old->edit_seq, 0) : 1;
	struct hl_ovl *o = NULL;
	if (rc == 0) {
		o = c.copy;
		c.copy = NULL;
		*n_edits = c.n_edits;
		snap->grows_done++;
	} else {
		snap->grows_dropped++;
	}
	ready_free(snap, &j, &c);
	return o;
}

/* Copy the job's overlay without any lock (O(keys), reading it as a reader
 * does, holding a reference), catch it up in rounds (carry_rounds), then
 * hand it over: installed by the grower itself if wlock is free (trylock:
 * it never waits behind writers), else taken by the list's next writer. */
static void grow_hand_over(struct hl_snap *snap, struct grow_job *job, struct fold_carry *cc,
			   int rc);

static void grow_run(struct hl_snap *snap, struct grow_job *job)
{
	struct hl_grower *g = snap->gr;
	struct fold_carry c = { job->ovl, job->seq, NULL, 0, job->opts };
	int rc = ovl_copy(snap, job->ovl, job->seq, 0, 0, &job->opts, &c.copy, &c.n_edits);
	pthread_mutex_lock(&g->mx); /* not wlock: the grower never waits behind writers */
	void (*hook)(void *) = snap->grow_hook;
	void *hook_arg = snap->grow_hook_arg;
	pthread_mutex_unlock(&g->mx);
	if (hook)
		hook(hook_arg);
	grow_hand_over(snap, job, &c, rc);
}

/* Catch copy cc of the job's overlay up in rounds (no lock), then make it
 * the ready copy, and install it if wlock is free. rc: the copy's result
 * (an error: dropped). Grower. */
static void grow_hand_over(struct hl_snap *snap, struct grow_job *job, struct fold_carry *cc,
			   int rc)
{
	struct hl_grower *g = snap->gr;
	struct fold_carry c = *cc;
	if (!rc && c.copy) { /* the edits made during the copy, in rounds: no lock */
		int cr = carry_rounds(snap, job->name, &c, 0);
		rc = cr < 0 ? cr : 0;
	}
	if (rc || !c.copy) {
		ready_free(snap, job, &c);
		return;
	}
	struct grow_job old_job = { .ovl = NULL };
	struct fold_carry old_c = { NULL, 0, NULL, 0, { 0 } };
	pthread_mutex_lock(&g->mx);
	old_job = g->ready_job; /* a copy nobody took (its list changed): replaced */
	old_c = g->ready;
	g->ready_job = *job;
	g->ready = c;
	job->ovl = NULL;
	atomic_store_explicit(&g->any_ready, true, memory_order_relaxed);
	pthread_mutex_unlock(&g->mx);
	ready_free(snap, &old_job, &old_c);
	if (pthread_mutex_trylock(&snap->wlock) != 0)
		return; /* a writer is at work: it takes the copy at its next edit */
	struct grow_job j;
	struct fold_carry taken;
	ready_install(snap, &j, &taken);
	pthread_mutex_unlock(&snap->wlock);
	ready_free(snap, &j, &taken);
}

/*
 * The grower thread: copies the overlay of each job a writer posts (one
 * past a quarter full) into a bigger one, then sleeps on its condition
 * until the next job or destroy stops it. Takes wlock only to read the
 * test hook and, with trylock, to install its copy (see grow_run). A
 * failed copy (out of memory) is not retried: the writers copy that
 * overlay themselves when it is full. At the writers' priority, as the
 * folder (see folder_main).
 */
static void *grower_main(void *arg)
{
	struct hl_snap *snap = arg;
	struct hl_grower *g = snap->gr;
	pthread_mutex_lock(&g->mx);
	for (;;) {
		while (!g->stop && !g->job.ovl && !(g->refresh && g->ready_job.ovl)) {
			pthread_cond_broadcast(&g->cv); /* idle: grow_settle */
			pthread_cond_wait(&g->cv, &g->mx);
		}
		if (g->stop)
			break;
		if (!g->job.ovl) { /* refresh: the ready copy back through the rounds */
			g->job = g->ready_job;
			g->ready_job.ovl = NULL;
			atomic_store_explicit(&g->any_ready, false, memory_order_relaxed);
			g->refresh = false;
			struct grow_job job = g->job;
			struct fold_carry c = g->ready;
			g->ready.copy = NULL;
			g->job.ovl = NULL;
			g->busy = true;
			pthread_mutex_unlock(&g->mx);
			grow_hand_over(snap, &job, &c, 0);
			pthread_mutex_lock(&g->mx);
			g->busy = false;
			continue;
		}
		g->refresh = false;
		struct grow_job job = g->job;
		g->job.ovl = NULL;
		g->busy = true;
		pthread_mutex_unlock(&g->mx);
		grow_run(snap, &job);
		pthread_mutex_lock(&g->mx);
		g->busy = false;
	}
	pthread_mutex_unlock(&g->mx);
	return NULL;
}

/* Published list l's overlay is past a quarter full: post it to the grower
 * (starting it on first use, not while grow_off), unless it is busy with
 * another job (then a later edit posts it). Caller (a writer) holds wlock. */
static void grow_request(struct hl_snap *snap, const struct hl_list *l)
{
	struct hl_grower *g = snap->gr;
	if (snap->grow_off)
		return;
	pthread_mutex_lock(&g->mx);
	if (!g->started && !g->stop) {
		sigset_t all, old;
		sigfillset(&all);
		/* the thread inherits the mask: it never takes a signal */
		pthread_sigmask(SIG_BLOCK, &all, &old);
		g->started = pthread_create(&g->tid, NULL, grower_main, snap) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (g->started && !g->stop && !g->job.ovl && !g->busy) {
		memcpy(g->job.name, l->name, sizeof(g->job.name));
		g->job.ovl = l->ovl;
		g->job.seq = l->edit_seq;
		g->job.opts = l->opts;
		ovl_get(l->ovl);
		l->ovl->grow_tried = true;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mx);
}

/* Stop and join the grower (hotlist__snap_fold_stop). */
static void grow_stop(struct hl_snap *snap)
{
	struct hl_grower *g = snap->gr;
	pthread_mutex_lock(&g->mx);
	bool started = g->started;
	g->stop = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mx);
	if (started)
		pthread_join(g->tid, NULL);
}

void hotlist__snap_set_grow(struct hl_snap *snap, bool off, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&snap->wlock);
	pthread_mutex_lock(&snap->gr->mx);
	snap->grow_off = off;
	snap->grow_hook = fn;
	snap->grow_hook_arg = arg;
	pthread_mutex_unlock(&snap->gr->mx);
	pthread_mutex_unlock(&snap->wlock);
}

void hotlist__snap_grow_settle(struct hl_snap *snap, uint64_t *done, uint64_t *dropped,
			       uint64_t *inline_copies)
{
	struct hl_grower *g = snap->gr;
	struct grow_job j;
	struct fold_carry c;
	/* not holding wlock meanwhile: the grower's test hook edits */
	pthread_mutex_lock(&g->mx);
	while (g->started && !g->stop && (g->busy || g->job.ovl))
		pthread_cond_wait(&g->cv, &g->mx);
	pthread_mutex_unlock(&g->mx);
	pthread_mutex_lock(&snap->wlock);
	ready_install(snap, &j, &c); /* ready and not taken: as the grower would */
	*done = snap->grows_done;
	*dropped = snap->grows_dropped;
	*inline_copies = snap->grows_inline;
	pthread_mutex_unlock(&snap->wlock);
	ready_free(snap, &j, &c);
}
