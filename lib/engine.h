/* SPDX-License-Identifier: MIT */
/*
 * The engine object and the published state that readers see. Internal.
 */
#ifndef HOTLIST_ENGINE_H
#define HOTLIST_ENGINE_H

#include "fuzzy.h"
#include "internal.h"
#include "list.h"

#include <pthread.h>

struct hl_ingest;
struct hl_op;

/* One published version of one list. Immutable once published. `ops` is
 * writer-only (under hl->wlock): each version owns its copy, so a failed
 * edit leaves the published version as it was. */
struct hl_list {
	char name[HOTLIST_NAME_MAX + 1];
	uint64_t version;
	int64_t updated_us;
	uint64_t name_hash; /* seeds entry ids for suppression */
	struct hl_base *base; /* the bulk of the entries; shared between versions */
	struct hl_base *adds; /* entries put since the base was built, or NULL */
	struct hl_base *hides; /* base entries removed or updated since, or NULL */
	uint64_t entries; /* entries a match can hit */
	struct hl_fz_opts opts; /* matching options; carried to every new version */
	struct hl_fuzzy *fz_base; /* OCR/indel index of base (shared like it), or NULL */
	struct hl_fuzzy *fz_adds; /* the same for adds, or NULL */
	/* nonzero if a read may hit without an exact base hit: edits, patterns
	 * or a fuzzy index (the batch path's fast test) */
	unsigned slow;
	/* writer-only */
	struct hl_op *ops;
	size_t n_ops, cap_ops;
};

/* Everything a match sees: the lists, in creation order. Replaced as a whole
 * (copy, change, publish) by every writer call. */
struct hl_state {
	uint32_t n;
	struct hl_list *lists[HOTLIST_LISTS_MAX];
	/* reclamation, see snapshot.c */
	struct hl_list *retired; /* list version to free with this state, or NULL */
	struct hotlist *hl;
	void *rcu_head_storage[2] __attribute__((aligned(8))); /* struct rcu_head */
};

struct hotlist {
	struct hotlist_config cfg;
	const struct hotlist_allocator *a;
	_Atomic(struct hl_state *) state;
	pthread_mutex_t wlock; /* serialises writers */
	struct hl_stats *stats;
	struct hl_suppress *sup;
	struct hl_ingest *ing;
	atomic_uint_fast64_t reloads, reload_failures, edits;
	atomic_int_fast64_t reload_last_us, reload_max_us, reload_total_us;
	uint64_t next_version; /* writer-only */
	uint32_t edits_fold; /* writer-only: HL_EDITS_FOLD, lowered by tests */
};

/* ---- snapshot.c ---- */
int hotlist__snap_init(struct hotlist *hl);
/* Free the state and every list; waits for pending reclamation. Control. */
void hotlist__snap_fini(struct hotlist *hl);
/* Tests: fold a list's edits once it has more than n (default HL_EDITS_FOLD,
 * which makes an edit cost up to ~1 ms; too slow for a test under a
 * sanitizer that wants to fold many times). Writer. */
void hotlist__snap_set_edits_fold(struct hotlist *hl, uint32_t n);
/* Read side: enter returns the current state, valid until exit. Never
 * blocks. Nesting is allowed. */
const struct hl_state *hotlist__snap_enter(struct hotlist *hl);
void hotlist__snap_exit(void);

int hotlist__snap_replace(struct hotlist *hl, const char *name, struct hl_base *base,
			  uint64_t *version);
int hotlist__snap_drop(struct hotlist *hl, const char *name);
int hotlist__snap_put(struct hotlist *hl, const char *name, const struct hotlist_entry *e,
		      const struct hl_key *k, hl_country c);
int hotlist__snap_remove(struct hotlist *hl, const char *name, const char *plate,
			 const struct hl_key *k, hl_country c);
int hotlist__snap_info(struct hotlist *hl, size_t i, struct hotlist_list_info *out);
/* Publish a version of list `name` (created if absent) with options o. */
int hotlist__snap_set_options(struct hotlist *hl, const char *name, const struct hl_fz_opts *o);
uint64_t hotlist__snap_seed(void);

/* True if base entry m of list l was removed or superseded by an edit. */
int hotlist__list_hidden(const struct hl_list *l, const struct hl_meta *m);

/* ---- match.c ---- */
/* Stable id of a list name, for entry ids (suppression survives reloads). */
uint64_t hotlist__hash_name(const char *name);
/* Nonzero while this thread runs a hit callback (writers refuse: EDEADLK). */
extern _Thread_local unsigned hotlist__in_callback;
/* Match one read; t0_ns is when the read entered the engine (for the
 * latency histogram h), 0 if latency is off. Used by the async workers. */
int hotlist__match_one(struct hotlist *hl, const struct hotlist_read *read, uint64_t t0_ns,
		       enum hl_hist h, hotlist_hit_fn on_hit, void *user);

#endif /* HOTLIST_ENGINE_H */
