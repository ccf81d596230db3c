/* SPDX-License-Identifier: MIT */
/*
 * snapshot_list.c — list versions: a new version of a list (replace, a new
 * list, new options), its fuzzy indexes, and freeing a version. Part of the
 * snapshot module (see snapshot.h and the design comment in snapshot.c);
 * publishes through hotlist__snap_install(), never touches RCU itself.
 *
 * Options and fuzzy indexes. Each version carries its list's options
 * (struct hl_fz_opts), copied from the version it replaces. When they ask
 * for OCR or indel matching, the version holds a fuzzy index of its base
 * (fuzzy.c), shared by reference with the previous version when the base
 * and the index-relevant options (classes, d > 0) are the same; the
 * overlay's fuzzy key table finds the entries put (snapshot_edit.c; the
 * wildcard puts' base l->adds needs no fuzzy index: patterns have no fuzzy
 * keys). The index of a new base (replace, load)
 * or of new options is built before the writer lock is taken, for the
 * options read under RCU (prebuild), so that its O(entries) build does not
 * block the other writers; under the lock it is taken only if it still fits
 * the list's base and options (else built there: a concurrent writer
 * changed them). The index of a folded base is built under the lock. All are freed with the version (snapshot.c,
 * guarantee 2).
 *
 * Threads: writers, under snap->wlock, except hotlist__snap_prebuild (before
 * it, inside a read-side section for the options).
 */
#include "snapshot.h"
#include "snapshot_impl.h"

#include "alloc.h"
#include "clock.h"
#include "common.h"
#include "fuzzy.h"
#include "list.h"

#include <stdio.h>
#include <string.h>

#include <xxhash.h>

/* Stable id of a list name, for entry ids (suppression survives reloads). */
static uint64_t hash_name(const char *name)
{
	return XXH3_64bits(name, strlen(name));
}

void hotlist__snap_list_free(struct hl_snap *snap, struct hl_list *l)
{
	if (!l)
		return;
	hotlist__base_put(l->base, snap->a);
	hotlist__base_put(l->adds, snap->a);
	hotlist__snap_ovl_put(snap, l->ovl);
	hotlist__fz_put(l->fz_base, snap->a);
	hotlist__scope_put(l->scope, snap->a);
	hotlist__free(snap->a, l, sizeof(*l));
}

/* A new version of list `old` (or a new list `name`), sharing nothing yet. */
struct hl_list *hotlist__snap_list_new(struct hl_snap *snap, const struct hl_list *old,
				       const char *name)
{
	struct hl_list *l = hotlist__zalloc(snap->a, sizeof(*l), HL_CACHE_LINE);
	if (!l)
		return NULL;
	snprintf(l->name, sizeof(l->name), "%s", old ? old->name : name);
	l->name_hash = old ? old->name_hash : hash_name(l->name);
	l->version = ++snap->next_version;
	l->updated_us = hotlist__wall_us();
	if (old) {
		l->opts = old->opts;
		l->scope = old->scope;
		hotlist__scope_get(l->scope);
	} else {
		hotlist__fz_opts_default(&l->opts);
	}
	return l;
}

/* The fuzzy indexes of the new version l (old: the version it replaces, or
 * NULL) and its slow flag. *pre, when it fits l's base and options, is an
 * index built before the lock (prebuild) and is taken (*pre = NULL); else
 * the old version's is shared when it fits, or one is built here. Caller
 * holds wlock. */
int hotlist__snap_attach_fuzzy(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
			       struct hl_fuzzy **pre)
{
	int rc = 0;
	if (hl_fz_on(&l->opts)) {
		if (pre && hotlist__fz_fits(*pre, l->base, &l->opts)) {
			l->fz_base = *pre;
			*pre = NULL;
		} else if (old && hotlist__fz_fits(old->fz_base, l->base, &l->opts)) {
			l->fz_base = old->fz_base;
			hotlist__fz_get(l->fz_base);
		} else {
			rc = hotlist__fz_build(&l->fz_base, l->base, &l->opts, true,
					       hotlist__seed(0), snap->a);
		}
	}
	l->slow = l->ovl || l->fz_base || l->base->patterns;
	return rc;
}

/*
 * The fuzzy index of base for list `name`, built before taking the writer
 * lock so that an O(entries) build (seconds at 1 M entries with d >= 1) does
 * not block the other writers. o: the options to build for, or NULL for the
 * list's current ones (read under RCU: the version is immutable). NULL when
 * none is needed, the current version's index already fits, or the build
 * failed (attach_fuzzy then decides under the lock, building if it must).
 * A concurrent writer may change the options or the base meanwhile:
 * attach_fuzzy checks that the index fits before it takes it.
 */
struct hl_fuzzy *hotlist__snap_prebuild(struct hl_snap *snap, const char *name,
					const struct hl_base *base, const struct hl_fz_opts *o)
{
	struct hl_fz_opts opts;
	struct hl_fuzzy *f = NULL;
	bool fits = false;
	const struct hl_state *st = hotlist__snap_enter(snap);
	int i = -1;
	for (uint32_t j = 0; j < st->n && i < 0; j++)
		if (strcmp(st->lists[j]->name, name) == 0)
			i = (int)j;
	if (o)
		opts = *o;
	else if (i >= 0)
		opts = st->lists[i]->opts;
	else
		hotlist__fz_opts_default(&opts);
	if (i >= 0)
		fits = hotlist__fz_fits(st->lists[i]->fz_base, base, &opts);
	hotlist__snap_exit();
	if (hl_fz_on(&opts) && !fits &&
	    hotlist__fz_build(&f, base, &opts, true, hotlist__seed(0), snap->a))
		f = NULL;
	return f;
}

int hotlist__snap_find(const struct hl_state *st, const char *name)
{
	for (uint32_t i = 0; i < st->n; i++)
		if (strcmp(st->lists[i]->name, name) == 0)
			return (int)i;
	return -1;
}

int hotlist__snap_replace(struct hl_snap *snap, const char *name, struct hl_base *base,
			  uint64_t mark, uint64_t *version)
{
	struct hl_fuzzy *pre = hotlist__snap_prebuild(snap, name, base, NULL);
	pthread_mutex_lock(&snap->wlock);
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, name);
	const struct hl_list *old = i < 0 ? NULL : cur->lists[i];
	struct hl_list *l = hotlist__snap_list_new(snap, old, name);
	int rc = HOTLIST_ENOMEM;
	if (l) {
		/* the list's edits made before the replace began are superseded;
		 * those made while it was built are kept (a hand-made "new
		 * wanted" put during a daily reload must not be lost) */
		l->base = base;
		l->entries = base->n_meta;
		uint64_t v = l->version;
		rc = hotlist__snap_keep_edits(snap, l, old, mark, &pre);
		if (rc == 1) {
			rc = hotlist__snap_attach_fuzzy(snap, l, old, &pre);
			if (rc)
				hotlist__snap_list_free(snap, l);
			else
				rc = hotlist__snap_install(snap, l);
		}
		if (!rc && version)
			*version = v;
	} else {
		hotlist__base_put(base, snap->a);
	}
	pthread_mutex_unlock(&snap->wlock);
	hotlist__fz_put(pre, snap->a); /* not taken: the options changed meanwhile */
	return rc;
}
