/* SPDX-License-Identifier: MIT */
/*
 * snapshot_impl.h — what the four files of the snapshot module share and
 * nothing else includes: building, publishing and freeing list versions.
 * Every function here is writer-only (caller holds snap->wlock) unless it
 * says otherwise. See snapshot.h for the module and its files.
 */
#ifndef HOTLIST_SNAPSHOT_IMPL_H
#define HOTLIST_SNAPSHOT_IMPL_H

#include "fuzzy.h"
#include "snapshot.h"

#include <stddef.h>
#include <stdint.h>

/* Pending edits of a list at which the folder thread folds them into a new
 * base (snapshot_edit.c, "Folding"). An edit's cost does not depend on
 * them (an edit of a wildcard plate rebuilds the base of the list's
 * wildcard puts, at most ~HL_WILD_FOLD of them), but their records
 * take memory and a fold carries them over: this keeps them few, and a
 * fold (O(entries), ~0.3 s CPU at 1 M) runs at most once per this many
 * edits. */
#define HL_EDITS_BG_FOLD 256u
/* Pending edits past which a writer folds them itself, on its own path:
 * only when no folder thread runs (it could not be started) or a test
 * lowered the bound. */
#define HL_EDITS_FOLD 4096u

/* ---- snapshot.c ---- */
/* Publish l in place of list `name` (appended if new). On error l is freed. */
int hotlist__snap_install(struct hl_snap *snap, struct hl_list *l);

/* ---- snapshot_list.c ---- */
/* Index of list `name` in st, or -1. Any thread holding st. */
int hotlist__snap_find(const struct hl_state *st, const char *name);
/* A new version of list `old` (or a new list `name`), sharing nothing yet. */
struct hl_list *hotlist__snap_list_new(struct hl_snap *snap, const struct hl_list *old,
				       const char *name);
/* Free a version that is no longer reachable (or never was); NULL is a no-op.
 * Any thread (also the call_rcu thread). */
void hotlist__snap_list_free(struct hl_snap *snap, struct hl_list *l);
/* The fuzzy indexes of the new version l and its slow flag (see
 * snapshot_list.c). */
int hotlist__snap_attach_fuzzy(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
			       struct hl_fuzzy **pre);
/* The fuzzy index of base for list `name`, built before the writer lock is
 * taken, or NULL. Not under the writer lock. */
struct hl_fuzzy *hotlist__snap_prebuild(struct hl_snap *snap, const char *name,
					const struct hl_base *base, const struct hl_fz_opts *o);

/* ---- snapshot_edit.c ---- */
/* Drop a reference on overlay o (NULL: no-op); the last one frees it and
 * its records. Any thread (also the call_rcu thread). */
void hotlist__snap_ovl_put(struct hl_snap *snap, struct hl_ovl *o);
/* Bytes of overlay o and its records (NULL: 0). Any thread holding o. */
size_t hotlist__snap_ovl_bytes(const struct hl_ovl *o);
/* Bytes of the exact-match indexes of overlay o's records (NULL: 0), part
 * of hotlist__snap_ovl_bytes. Any thread holding o. */
size_t hotlist__snap_ovl_index_bytes(const struct hl_ovl *o);
/* Entries a match can hit in version l: O(edits), not O(entries). */
uint64_t hotlist__snap_count_visible(const struct hl_list *l);

/* ---- snapshot_info.c ---- */
/* The new version l of a replace (its base set) with old's ops newer than
 * mark, published; 1 if old has none (nothing done: publish l as a plain
 * replace), else 0 or an error (l freed). Caller holds wlock. */
int hotlist__snap_keep_edits(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
			     uint64_t mark, struct hl_fuzzy **pre);

#endif /* HOTLIST_SNAPSHOT_IMPL_H */
