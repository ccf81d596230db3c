/* SPDX-License-Identifier: MIT */
/*
 * snapshot.h — the published lists: their versions, their edit layer and
 * the RCU-protected state a reader sees (snapshot*.c). Owns struct hl_snap
 * (the state pointer, the writer lock, version numbers), struct hl_state and
 * struct hl_list. Knows nothing of the engine (struct hotlist) or of
 * matching. Uses: fuzzy, list, pattern, table, normalise, clock, alloc.
 *
 * The module is four files: snapshot.c (read side, publication and
 * reclamation: the only file of lib/ that includes liburcu),
 * snapshot_list.c (list versions: replace, options, fuzzy indexes),
 * snapshot_edit.c (the edit layer: put, remove, folding) and
 * snapshot_info.c (counting and describing). Their shared private
 * declarations are in snapshot_impl.h.
 */
#ifndef HOTLIST_SNAPSHOT_H
#define HOTLIST_SNAPSHOT_H

#include "fuzzy.h"
#include "hotlist.h"
#include "list.h"
#include "normalise.h"
#include "scope.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct hl_op;
struct hl_ovl;
struct hl_snap;

/* One published version of one list. Immutable once published; its edit
 * overlay (ovl) is shared with the versions before and after it and only
 * grows, but what this version shows of it is fixed by edit_seq
 * (snapshot_edit.c, "The overlay"). */
struct hl_list {
	char name[HOTLIST_NAME_MAX + 1];
	uint64_t version;
	int64_t updated_us;
	uint64_t name_hash; /* seeds entry ids for suppression */
	struct hl_base *base; /* the bulk of the entries; shared between versions */
	/* the edits since the base was built (puts and removes by key), or
	 * NULL; shared by reference between versions */
	struct hl_ovl *ovl;
	/* the newest edit op this version shows (snap->next_op when it was
	 * made): records of ovl newer than it are not this version's */
	uint64_t edit_seq;
	/* the entries of the wildcard puts since the base was built, as one
	 * base whose pattern store a read asks, or NULL: none (snapshot_edit.c,
	 * "Wildcard puts"). They are in ovl too (as every put): a read finds
	 * the entries put in ovl by key, and a fuzzy read through the
	 * overlay's fuzzy key table, which holds no pattern */
	struct hl_base *adds;
	uint64_t entries; /* entries a match can hit */
	struct hl_fz_opts opts; /* matching options; carried to every new version */
	struct hl_fuzzy *fz_base; /* OCR/indel index of base (shared like it), or NULL */
	/* nonzero if a read may hit without an exact base hit: edits, patterns
	 * or a fuzzy index (the batch path's fast test) */
	unsigned slow;
	/* where and when the list applies (scope.h), or NULL: always; shared
	 * by versions like the options, reference counted */
	struct hl_scope *scope;
	size_t n_edits; /* puts and removes pending in ovl (set before publication) */
};

/* Everything a match sees: the lists, in creation order. Replaced as a whole
 * (copy, change, publish) by every writer call. */
struct hl_state {
	uint32_t n;
	/* the version number of the list version this state installed (a drop
	 * keeps its predecessor's): grows with every publication; what a read
	 * saw, for retroactive hits (retro.c) */
	uint64_t gen;
	struct hl_list *lists[HOTLIST_LISTS_MAX];
	/* reclamation, see snapshot.c */
	struct hl_list *retired; /* list version to free with this state, or NULL */
	struct hl_snap *snap;
	bool heavy; /* retired holds a base its successor does not share */
	void *rcu_head_storage[2] __attribute__((aligned(8))); /* struct rcu_head */
};

/* Lists whose replaces in flight are told apart (struct hl_snap,
 * replacing): more at once hold back every list's folds. */
#define HL_REPLACING_MAX 8u

/* The snapshot state of one engine, embedded in it. */
struct hl_snap {
	const struct hotlist_allocator *a;
	_Atomic(struct hl_state *) state;
	pthread_mutex_t wlock; /* serialises writers */
	uint64_t next_version; /* writer-only */
	uint64_t next_op; /* writer-only: sequence number of the last edit op */
	/* writer-only: the replaces between hotlist__snap_op_mark and
	 * hotlist__snap_op_unmark, per list name; no fold of a list is made
	 * or published while it is replaced (snapshot_edit.c, "Folding").
	 * replacing_any: those that found no free entry, which hold back
	 * every list's folds. */
	struct {
		char name[HOTLIST_NAME_MAX + 1];
		uint32_t n; /* 0: a free entry */
	} replacing[HL_REPLACING_MAX];
	uint32_t replacing_any;
	uint32_t edits_fold; /* writer-only: HL_EDITS_FOLD, lowered by tests */
	/* Background folding (snapshot_edit.c, "Folding"); all under wlock. A
	 * list with fold_bg pending edits or more is folded by the folder
	 * thread, started on the first such list. */
	uint32_t fold_bg;
	bool folder_started, fold_stop;
	bool fold_busy; /* the folder is folding (fold_settle) */
	bool fold_failed; /* its last fold failed: it waits for the next request */
	pthread_cond_t fold_cv; /* with wlock: a list wants folding, or stop */
	pthread_t folder;
	uint64_t folds_done, folds_dropped, folds_inline; /* statistics (tests) */
	/* tests: called by the folder after a build, before it publishes */
	void (*fold_hook)(void *arg);
	void *fold_hook_arg;
	/* Growing overlays off the writers' path (snapshot_edit.c, "Growing").
	 * gr: the grower thread's hand-over (its own lock), allocated with the
	 * state. Under wlock: grow_off (tests: never start the grower, writers
	 * copy full overlays themselves), grow_hook (tests: called by the
	 * grower after its copy; under gr's lock too), and the statistics: grows_done (bigger
	 * overlays published from the grower's copies), grows_dropped (copies
	 * not used: the list's overlay changed meanwhile), grows_inline
	 * (overlays or fuzzy key tables a writer copied itself, O(keys) on its
	 * path). */
	struct hl_grower *gr;
	bool grow_off;
	void (*grow_hook)(void *arg);
	void *grow_hook_arg;
	uint64_t grows_done, grows_dropped, grows_inline;
	/* reclamation bound (snapshot.c): states retired and not yet freed,
	 * those of them that hold a base of their own ("heavy"), the most
	 * heavy ones ever waiting at once, and writer calls that waited for a
	 * grace period because of the bound */
	atomic_uint retired, retired_heavy, retired_heavy_max;
	atomic_ullong reclaim_waits;
};

/* At most this many list versions that hold a base of their own (replaced,
 * dropped or folded away) wait for readers to leave, per engine; the writer
 * that would retire one more waits for a grace period itself instead. */
#define HL_RETIRED_HEAVY_MAX 4u
/* The same bound for all retired states (edits retire small versions,
 * tens of thousands a second), so that memory stays bounded when a reader
 * is stuck even if nothing but edits is written. An edit's retired version
 * is a state and a list header (~1 KB; the edit overlay is shared), so
 * this is ~4 MB; at 256, back-to-back edits of ~5-20 us outran the
 * grace periods of a loaded 2-core VM and most of them waited for one
 * (docs/PERFORMANCE.md, issue 10 item 2, 2026-12-03 evening). */
#define HL_RETIRED_MAX 4096u

/* ---- snapshot.c ---- */
/* An empty state allocated with a. 0 or HOTLIST_ENOMEM. Control. */
int hotlist__snap_init(struct hl_snap *s, const struct hotlist_allocator *a);
/* Free the state and every list. Waits for every call_rcu() callback of
 * the process (urcu_bp_barrier: all engines share the queue), so for every
 * read-side section in progress on any engine. Control. */
void hotlist__snap_fini(struct hl_snap *s);
/* Read side: enter returns the current state, valid until exit. Never
 * blocks. Nesting is allowed. */
const struct hl_state *hotlist__snap_enter(struct hl_snap *s);
void hotlist__snap_exit(void);
/* Wait until every read-side section that began before the call has ended
 * (a grace period). Any thread outside a read-side section; blocks. */
void hotlist__snap_synchronize(void);
/* The version of the list version the calling thread's last writer call
 * published (0 if none): its state's gen. Writer's thread, after the call. */
extern _Thread_local uint64_t hotlist__snap_installed;
/* Register the calling thread as a reader now (enter does it on a thread's
 * first call): takes liburcu's registry lock, may map memory. Any thread,
 * not inside a read-side section. */
void hotlist__snap_thread_prepare(void);
int hotlist__snap_drop(struct hl_snap *s, const char *name);
/* Reclamation figures for hotlist_stats. Any thread, wait-free. */
void hotlist__snap_reclaim_stats(struct hl_snap *s, uint64_t *retired, uint64_t *heavy,
				 uint64_t *heavy_max, uint64_t *waits);

/* ---- snapshot_list.c ---- */
/* Publish base as list `name`'s new contents. The list's pending edits
 * made before `mark` (hotlist__snap_op_mark() at the start of the replace)
 * are superseded; those made after it (while the new contents were being
 * read and built) are kept on top of base, as if made after the replace. */
int hotlist__snap_replace(struct hl_snap *s, const char *name, struct hl_base *base, uint64_t mark,
			  uint64_t *version);

/* ---- snapshot_edit.c ---- */
/* Where the engine's edit sequence stands now: what a replace of list
 * `name` starting now passes to hotlist__snap_replace. Also notes the
 * replace of that list as in flight until hotlist__snap_op_unmark (the
 * same name), which the caller must call once it has published or failed.
 * Writer; takes the writer lock briefly. */
uint64_t hotlist__snap_op_mark(struct hl_snap *s, const char *name);
void hotlist__snap_op_unmark(struct hl_snap *s, const char *name);
int hotlist__snap_put(struct hl_snap *s, const char *name, const struct hotlist_entry *e,
		      const struct hl_key *k, hl_country c);
int hotlist__snap_remove(struct hl_snap *s, const char *name, const char *plate,
			 const struct hl_key *k, hl_country c);
/* Publish a version of list `name` (created if absent) with options o and
 * scope sc (NULL: none; its reference is taken over, also on error). */
int hotlist__snap_set_options(struct hl_snap *s, const char *name, const struct hl_fz_opts *o,
			      struct hl_scope *sc);
/* Tests: the writer folds a list's edits itself once it has more than n
 * (default HL_EDITS_FOLD; only while no folder thread runs, see
 * snapshot_edit.c "Folding"). Writer. */
void hotlist__snap_set_edits_fold(struct hl_snap *s, uint32_t n);
/* Tests: ask the folder thread to fold a list once it has n pending edits
 * (default HL_EDITS_BG_FOLD). Writer. */
void hotlist__snap_set_fold_bg(struct hl_snap *s, uint32_t n);
/* Tests: wait until no list has fold_bg pending edits or more that the
 * folder thread could fold, or it gave up on one; returns folds done,
 * dropped (a replace came first) and done by a writer itself. Writer. */
void hotlist__snap_fold_settle(struct hl_snap *s, uint64_t *done, uint64_t *dropped,
			       uint64_t *inline_folds);
/* Tests: fn(arg) is called on the folder thread between a fold's build and
 * its publication, without the lock (to edit while a fold is in flight).
 * Writer. */
void hotlist__snap_set_fold_hook(struct hl_snap *s, void (*fn)(void *), void *arg);
/* The grower's hand-over (snapshot_edit.c, "Growing"): allocated by init,
 * freed by fini (after hotlist__snap_fold_stop). 0 or HOTLIST_ENOMEM. */
int hotlist__snap_grow_init(struct hl_snap *s);
void hotlist__snap_grow_fini(struct hl_snap *s);
/* Tests: never start the grower thread (on: writers copy a full overlay
 * themselves), and a hook called on it between its copy and its
 * publication, without the lock. Writer. */
void hotlist__snap_set_grow(struct hl_snap *s, bool off, void (*fn)(void *), void *arg);
/* Tests: wait until the grower thread (if started) has nothing to do;
 * returns overlays grown by it, its copies dropped, and copies a writer
 * made itself (see snapshot_edit.c, "Growing"). Writer. */
void hotlist__snap_grow_settle(struct hl_snap *s, uint64_t *done, uint64_t *dropped,
			       uint64_t *inline_copies);
/* Stop and join the folder and grower threads if started. Control (destroy). */
void hotlist__snap_fold_stop(struct hl_snap *s);
/* True if base entry m of list l was removed or superseded by an edit.
 * Any thread holding l; wait-free, O(edits of m's plate). */
int hotlist__list_hidden(const struct hl_list *l, const struct hl_meta *m);
/* The base holding the entries put into list l with key k (look k up in
 * it: the overlay's entries of k), or NULL when l has none. Any thread holding l; wait-free, O(1) expected. */
const struct hl_base *hotlist__list_adds(const struct hl_list *l, const struct hl_key *k);
/* True if list l shows an entry of plate key k, as a reader sees it: one
 * in its base that no edit removed or superseded, or one put. Any thread
 * holding l; wait-free, O(entries and edits of k). */
bool hotlist__list_has(const struct hl_list *l, const struct hl_key *k);
/* Call fn for every base of entries put into l (one per key of the
 * overlay, wildcard keys too; never l->adds). Any thread holding l; O(pending edits). */
void hotlist__list_adds_each(const struct hl_list *l,
			     void (*fn)(void *ctx, const struct hl_base *b), void *ctx);

/* What hotlist__list_fz_match finds: run of base a (the entries put with
 * one key), with the alignment's costs. */
typedef void (*hl_list_fz_emit)(void *ctx, const struct hl_base *a, uint32_t run, unsigned subs,
				unsigned indels);
/* Whether reads of l find its entries put through its overlay's fuzzy key
 * table (snapshot_edit.c, "The fuzzy key table"): a list with fuzzy options
 * and pending edits. Any thread holding l. */
bool hotlist__list_fz(const struct hl_list *l);
/* Every entry put into l within l's budget (k, d) of plate (len chars), as
 * l shows them, verified: each run once per call (within HL_FZ_SEEN
 * plates). Nothing unless hotlist__list_fz(l). Any thread holding l;
 * wait-free, O(query keys + plates they meet). */
void hotlist__list_fz_match(const struct hl_list *l, const char *plate, size_t len,
			    hl_list_fz_emit emit, void *ctx);
/* Batch filter of hotlist__list_fz_match for plates[0..n) (n <= 32): bit i
 * clear when plate i finds nothing there (set: may; every bit when
 * l->opts.d = 2). Any thread holding l; wait-free. */
uint32_t hotlist__list_fz_maybe(const struct hl_list *l, const char *const *plates,
				const size_t *lens, size_t n);

/* ---- snapshot_info.c ---- */
int hotlist__snap_info(struct hl_snap *s, size_t i, struct hotlist_list_info *out);
/* Entries a match can hit in list `name` now; 0 if there is no such list.
 * Any thread, wait-free. */
uint64_t hotlist__snap_entries(struct hl_snap *s, const char *name);
/* The version of list `name` now published, 0 if none. Any thread, wait-free. */
uint64_t hotlist__snap_version(struct hl_snap *s, const char *name);

#endif /* HOTLIST_SNAPSHOT_H */
