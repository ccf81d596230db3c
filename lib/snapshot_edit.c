/* SPDX-License-Identifier: MIT */
/*
 * snapshot_edit.c — the edit layer of a list version: put, remove, new
 * options, and folding the edits into a new base, on the folder thread.
 * Part of the snapshot module (see snapshot.h and the design comment in
 * snapshot.c); publishes through hotlist__snap_install(), never touches RCU
 * itself.
 *
 * Edits. A put or remove does not rebuild the base. The list keeps its
 * edits as a small ordered set of operations (struct hl_op, writer-only):
 * ADD an entry, HIDE base entries (by plate, country or any, category or
 * any). From them two small bases are built at every edit: `adds` (the
 * entries put) and `hides` (what of the base is gone). Memory layout of one
 * version, and what a reader touches:
 *
 *   hl_list v9 ─┬─ base  ──► hl_base (1 M entries; shared with v8, v10 ...)
 *               ├─ adds  ──► hl_base (the entries put; this version's own)
 *               ├─ hides ──► hl_base (hide records; this version's own)
 *               └─ ops   ──► [ hl_op | hl_op | ... ]  writer-only array,
 *                               │ one per version     each op's text is
 *                               ▼                     shared by reference
 *                  [ refs | attrs | plate\0 category\0 reference\0 id\0 ... ]
 *
 * A reader looks a plate up in base (one bucket), and only for a list with
 * edits (`slow`) in adds (one bucket of a small, cached index); for a base
 * hit it looks the key up in hides. It never touches ops. An edit costs
 * O(pending edits): it copies the op array (the texts are shared: one
 * reference count each, not a copy), drops the ops its key supersedes, and
 * rebuilds adds and hides; ~0.1 us per pending edit on the bench VM (and
 * updates the entry count from the edited key's run).
 *
 * Folding. So that the pending edits stay few, a list with fold_bg
 * (HL_EDITS_BG_FOLD) of them or more is folded into a new base by the
 * folder thread (one per engine, started by the first edit that needs it):
 *  1. Under wlock it takes a reference on the list's base, adds and hides
 *     and notes the sequence number `upto` of the newest op (every op gets
 *     one from snap->next_op when it is made; copies keep it).
 *  2. Without the lock it builds base' = (base less what hides hides) plus
 *     adds, O(entries), and its fuzzy index (snapshot_list.c, prebuild).
 *     Writers go on editing meanwhile; readers never wait.
 *  3. Under wlock again, if the list still has that base (no replace or
 *     drop came between: else base' is dropped), it publishes a version
 *     with base' and the ops newer than `upto`, keeping the version number
 *     (the entries are the same). Those ops apply to base' as they applied
 *     to the old base: an op at or below `upto` that a later edit dropped
 *     was superseded by that edit's own ops (a put drops the adds and hides
 *     of its key and adds its own hide and add; a remove drops the adds it
 *     removes and adds its hide), which are newer than `upto` and hide in
 *     base' what the dropped add put there.
 * A writer never folds on its own path, except past edits_fold
 * (HL_EDITS_FOLD) pending edits while no folder thread runs (it could not
 * be started) or when a test lowered the bound. If edits come faster than
 * folds (a fold of 1 M entries takes ~0.3 s), the pending edits grow
 * between two folds and an edit costs more until the next fold lands. The
 * fold retires a version holding a base (counted as heavy: snapshot.c,
 * "Bounded reclamation"); base and base' coexist until then, as for a
 * replace.
 *
 * Threads: writers, under snap->wlock; the folder thread, under wlock except
 * for step 2 (it holds references then, nothing else);
 * hotlist__list_hidden is read side (any thread, wait-free).
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

int hotlist__list_hidden(const struct hl_list *l, const struct hl_meta *m)
{
	struct hl_key k = hl_meta_key(m);
	uint32_t i = hl_base_find(l->hides, &k);
	if (i == HL_TABLE_NONE)
		return 0;
	const char *cat = hl_meta_category(l->base, m);
	for (const struct hl_meta *h = &l->hides->meta[i];; h++) {
		if (((h->flags & HL_M_ANY_COUNTRY) || h->country == m->country) &&
		    ((h->flags & HL_M_ANY_CATEGORY) ||
		     strcmp(hl_meta_category(l->hides, h), cat) == 0))
			return 1;
		if (h->flags & HL_M_LAST)
			return 0;
	}
}

void hotlist__snap_ops_free(struct hl_snap *snap, struct hl_op *ops, size_t n, size_t cap)
{
	for (size_t i = 0; i < n; i++)
		text_put(snap, &ops[i]);
	hotlist__free(snap->a, ops, cap * sizeof(*ops));
}

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

static int op_matches(const struct hl_op *op, const struct hl_key *k, hl_country c, unsigned flags,
		      const char *category)
{
	return hl_key_eq(&op->key, k) && ((flags & HL_M_ANY_COUNTRY) || op->country == c) &&
	       ((flags & HL_M_ANY_CATEGORY) || strcmp(op->e.category, category) == 0);
}

/* Build a small base from the ops of one kind; *out NULL when there are none. */
static int ops_base(struct hl_snap *snap, const struct hl_list *l, int kind, struct hl_base **out)
{
	struct hl_builder b;
	char reason[96], cc[3];
	int rc = 0;
	size_t n = 0;
	*out = NULL;
	hotlist__builder_init(&b, snap->a);
	for (size_t i = 0; i < l->n_ops && !rc; i++) {
		const struct hl_op *op = &l->ops[i];
		if (op->kind != kind)
			continue;
		struct hotlist_entry e = op->e;
		hotlist__country_str(op->country, cc);
		e.country = cc;
		rc = hotlist__builder_add(&b, &e, op->flags, reason);
		n++;
	}
	if (!rc && n)
		rc = hotlist__builder_finish(&b, hotlist__seed(0), out, NULL, NULL);
	hotlist__builder_fini(&b);
	return rc;
}

/* A new base of what version v shows: its base less what its hides hide,
 * plus its adds. Reads only v's three bases (immutable), so the folder runs
 * it without the lock, holding references on them. */
static int fold_build(struct hl_snap *snap, const struct hl_list *v, struct hl_base **out)
{
	struct hl_builder b;
	int rc = 0;
	*out = NULL;
	hotlist__builder_init(&b, snap->a);
	for (uint32_t i = 0; i < v->base->n_meta && !rc; i++)
		if (!v->hides || !hotlist__list_hidden(v, &v->base->meta[i]))
			rc = hotlist__builder_add_meta(&b, v->base, i);
	for (uint32_t i = 0; v->adds && i < v->adds->n_meta && !rc; i++)
		rc = hotlist__builder_add_meta(&b, v->adds, i);
	if (!rc)
		rc = hotlist__builder_finish(&b, hotlist__seed(0), out, NULL, NULL);
	hotlist__builder_fini(&b);
	return rc;
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
	hotlist__base_put(l->adds, snap->a);
	hotlist__base_put(l->hides, snap->a);
	hotlist__snap_ops_free(snap, l->ops, l->n_ops, l->cap_ops);
	l->base = nb;
	l->adds = l->hides = NULL;
	l->ops = NULL;
	l->n_ops = l->cap_ops = 0;
	snap->folds_inline++;
	return 0;
}

/* Make the new version l from its ops: rebuild the edit layer, then, past
 * edits_fold and with no folder thread, fold it into the base. The layer
 * must exist before a fold: fold takes the edits from it (folding without
 * it dropped every pending edit, found by test_engine's many_edits_fold
 * with a low threshold). */
static int rebuild(struct hl_snap *snap, struct hl_list *l)
{
	int rc = ops_base(snap, l, HL_OP_ADD, &l->adds);
	if (!rc)
		rc = ops_base(snap, l, HL_OP_HIDE, &l->hides);
	/* a put is one edit though it is two ops (hide the old entry, add) */
	l->n_edits = 0;
	for (size_t i = 0; i < l->n_ops; i++)
		l->n_edits += !l->ops[i].of_put;
	if (!rc && l->n_edits > snap->edits_fold && !snap->folder_started) {
		rc = fold_inline(snap, l);
		if (!rc)
			l->n_edits = 0;
	}
	return rc;
}

/* The ops of old newer than `after` into the new version l (room for
 * `extra` more), sharing their texts. */
static int ops_share(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
		     uint64_t after, size_t extra)
{
	size_t n = old ? old->n_ops : 0;
	l->cap_ops = n + extra;
	l->ops = l->cap_ops ? hotlist__alloc(snap->a, l->cap_ops * sizeof(*l->ops), 16) : NULL;
	if (l->cap_ops && !l->ops)
		return HOTLIST_ENOMEM;
	for (size_t k = 0; k < n; k++) {
		if (old->ops[k].seq <= after)
			continue;
		l->ops[l->n_ops] = old->ops[k];
		text_get(&l->ops[l->n_ops++]);
	}
	return 0;
}

/*
 * Start a new version of list `name` for an edit: shares the base and the
 * ops' texts, takes a copy of the op array (so that a failure leaves the
 * published version as is).
 */
static struct hl_list *edit_begin(struct hl_snap *snap, const char *name, size_t extra)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, name);
	const struct hl_list *old = i < 0 ? NULL : cur->lists[i];
	struct hl_list *l = hotlist__snap_list_new(snap, old, name);
	if (!l)
		return NULL;
	if (old) {
		l->base = old->base;
		hl_base_get(l->base);
	} else {
		struct hl_builder b;
		hotlist__builder_init(&b, snap->a);
		if (hotlist__builder_finish(&b, hotlist__seed(0), &l->base, NULL, NULL))
			l->base = NULL;
		hotlist__builder_fini(&b);
	}
	if (!l->base || ops_share(snap, l, old, 0, extra)) {
		hotlist__snap_list_free(snap, l);
		return NULL;
	}
	return l;
}

/* Drop the ops matching (k, c, flags, category) of one kind, keeping order. */
static size_t ops_drop(struct hl_snap *snap, struct hl_list *l, int kind, const struct hl_key *k,
		       hl_country c, unsigned flags, const char *category)
{
	size_t w = 0, dropped = 0;
	for (size_t r = 0; r < l->n_ops; r++) {
		struct hl_op *op = &l->ops[r];
		if (op->kind == kind && op_matches(op, k, c, flags, category)) {
			text_put(snap, op);
			dropped++;
			continue;
		}
		l->ops[w++] = *op;
	}
	l->n_ops = w;
	return dropped;
}

static int op_append(struct hl_snap *snap, struct hl_list *l, int kind,
		     const struct hotlist_entry *e, const struct hl_key *k, hl_country c,
		     unsigned flags)
{
	struct hl_op *op = &l->ops[l->n_ops];
	memset(op, 0, sizeof(*op));
	int rc = op_init(snap, op, kind, e);
	if (rc)
		return rc;
	op->key = *k;
	op->country = c;
	op->flags = flags;
	op->seq = ++snap->next_op;
	l->n_ops++;
	return 0;
}

static void fold_request(struct hl_snap *snap);

/* Entries of version v with key k that a match can hit: v's base run of k
 * less what v's hides hide, plus v's adds run of k. O(run). */
static uint64_t visible_of(const struct hl_list *v, const struct hl_key *k)
{
	uint64_t n = 0;
	for (uint32_t i = hl_base_find(v->base, k); i != HL_TABLE_NONE; i++) {
		const struct hl_meta *m = &v->base->meta[i];
		n += !v->hides || !hotlist__list_hidden(v, m);
		if (m->flags & HL_M_LAST)
			break;
	}
	for (uint32_t i = hl_base_find(v->adds, k); i != HL_TABLE_NONE; i++) {
		n++;
		if (v->adds->meta[i].flags & HL_M_LAST)
			break;
	}
	return n;
}

/* Publish an edited version; frees it on failure. k: the only key whose
 * entries the edit changed (the count is then updated in O(run), not
 * recounted in O(pending edits)), or NULL. pre: as attach_fuzzy's, or
 * NULL. Caller holds wlock. */
static int edit_commit(struct hl_snap *snap, struct hl_list *l, const struct hl_key *k, int rc,
		       struct hl_fuzzy **pre)
{
	const struct hl_list *old = NULL;
	if (!rc)
		rc = rebuild(snap, l);
	if (!rc) {
		const struct hl_state *cur =
			atomic_load_explicit(&snap->state, memory_order_relaxed);
		int i = hotlist__snap_find(cur, l->name);
		old = i < 0 ? NULL : cur->lists[i];
		rc = hotlist__snap_attach_fuzzy(snap, l, old, pre);
	}
	if (rc) {
		hotlist__snap_list_free(snap, l);
		return rc;
	}
	/* not after an inline fold: the new base may have merged entries */
	if (k && old && old->base == l->base)
		l->entries = old->entries - visible_of(old, k) + visible_of(l, k);
	else
		l->entries = hotlist__snap_count_visible(l);
	HL_DEBUG_ASSERT(l->entries == hotlist__snap_count_visible(l));
	bool fold = l->n_edits >= snap->fold_bg;
	/* the old version keeps its own op array until it is freed, so a
	 * failed install leaves it exactly as it was */
	rc = hotlist__snap_install(snap, l);
	if (!rc && fold)
		fold_request(snap);
	return rc;
}

uint64_t hotlist__snap_op_mark(struct hl_snap *snap)
{
	pthread_mutex_lock(&snap->wlock);
	uint64_t mark = snap->next_op;
	pthread_mutex_unlock(&snap->wlock);
	return mark;
}

int hotlist__snap_keep_edits(struct hl_snap *snap, struct hl_list *l, const struct hl_list *old,
			     uint64_t mark, struct hl_fuzzy **pre)
{
	size_t newer = 0;
	for (size_t k = 0; old && k < old->n_ops; k++)
		newer += old->ops[k].seq > mark;
	if (!newer)
		return 1;
	int rc = ops_share(snap, l, old, mark, 0);
	return edit_commit(snap, l, NULL, rc, pre);
}

int hotlist__snap_put(struct hl_snap *snap, const char *name, const struct hotlist_entry *e,
		      const struct hl_key *k, hl_country c)
{
	pthread_mutex_lock(&snap->wlock);
	struct hl_list *l = edit_begin(snap, name, 2);
	int rc = HOTLIST_ENOMEM;
	if (l) {
		const char *cat = e->category ? e->category : "";
		/* an entry with the same plate, country and category is updated */
		ops_drop(snap, l, HL_OP_ADD, k, c, 0, cat);
		ops_drop(snap, l, HL_OP_HIDE, k, c, 0, cat);
		rc = op_append(snap, l, HL_OP_HIDE, e, k, c, 0);
		if (!rc) {
			l->ops[l->n_ops - 1].of_put = true;
			rc = op_append(snap, l, HL_OP_ADD, e, k, c, 0);
		}
		rc = edit_commit(snap, l, k, rc, NULL);
	}
	pthread_mutex_unlock(&snap->wlock);
	return rc;
}

/* Entries of the current version of l that a remove of (k, c) would take. */
static int count_removable(const struct hl_list *l, const struct hl_key *k, hl_country c)
{
	int n = 0;
	const struct hl_base *bases[2] = { l->base, l->adds };
	for (int b = 0; b < 2; b++) {
		uint32_t i = hl_base_find(bases[b], k);
		for (; i != HL_TABLE_NONE; i++) {
			const struct hl_meta *m = &bases[b]->meta[i];
			if ((!c || m->country == c) &&
			    (b == 1 || !l->hides || !hotlist__list_hidden(l, m)))
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
	struct hl_list *l = n ? edit_begin(snap, name, 1) : NULL;
	if (n && !l)
		rc = HOTLIST_ENOMEM;
	if (l) {
		unsigned flags = HL_M_ANY_CATEGORY | (c ? 0 : HL_M_ANY_COUNTRY);
		struct hotlist_entry e = { .plate = plate };
		ops_drop(snap, l, HL_OP_ADD, k, c, flags, "");
		rc = op_append(snap, l, HL_OP_HIDE, &e, k, c, flags);
		rc = edit_commit(snap, l, k, rc, NULL);
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
	struct hl_list *l = edit_begin(snap, name, 1);
	int rc = HOTLIST_ENOMEM;
	if (l) {
		l->opts = *o;
		hotlist__scope_put(l->scope, snap->a); /* the old version keeps its own */
		l->scope = sc;
		sc = NULL;
		rc = edit_commit(snap, l, NULL, 0, &pre);
	}
	pthread_mutex_unlock(&snap->wlock);
	hotlist__scope_put(sc, snap->a);
	hotlist__fz_put(pre, snap->a);
	hotlist__base_put(b, snap->a);
	return rc;
}

/* ---- folding, on the folder thread (see "Folding" above) ----------------------- */

/* What the folder folds: a view of one version (its three bases, with a
 * reference each) and the newest op folded into the new base. */
struct fold_job {
	struct hl_list view; /* name, base, adds, hides; nothing else set */
	uint64_t upto;
};

/* Step 1: the first list with fold_bg pending edits or more, into job.
 * false if none. Caller (the folder) holds wlock. */
static bool fold_pick(struct hl_snap *snap, struct fold_job *job)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	for (uint32_t i = 0; i < cur->n; i++) {
		const struct hl_list *l = cur->lists[i];
		if (l->n_edits < snap->fold_bg)
			continue;
		memset(job, 0, sizeof(*job));
		memcpy(job->view.name, l->name, sizeof(job->view.name));
		job->view.base = l->base;
		job->view.adds = l->adds;
		job->view.hides = l->hides;
		hl_base_get(job->view.base);
		if (job->view.adds)
			hl_base_get(job->view.adds);
		if (job->view.hides)
			hl_base_get(job->view.hides);
		job->upto = snap->next_op;
		return true;
	}
	return false;
}

static void fold_job_free(struct hl_snap *snap, struct fold_job *job)
{
	hotlist__base_put(job->view.base, snap->a);
	hotlist__base_put(job->view.adds, snap->a);
	hotlist__base_put(job->view.hides, snap->a);
}

/* Step 3: publish *nb as the base of the job's list with the ops newer
 * than job->upto, if the list still has the base the job folded. 0, or an
 * error. *nb is left for the caller to free when it was not taken (NULL
 * when it was). Caller (the folder) holds wlock. */
static int fold_install(struct hl_snap *snap, const struct fold_job *job, struct hl_base **nb,
			struct hl_fuzzy **pre)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, job->view.name);
	const struct hl_list *old = i < 0 ? NULL : cur->lists[i];
	if (!old || old->base != job->view.base) { /* replaced or dropped meanwhile */
		snap->folds_dropped++;
		return 0;
	}
	struct hl_list *l = hotlist__snap_list_new(snap, old, old->name);
	if (!l)
		return HOTLIST_ENOMEM;
	/* the same entries as old: the same version and time (no writer call
	 * made this one, and hits name the version they saw) */
	snap->next_version--;
	l->version = old->version;
	l->updated_us = old->updated_us;
	l->base = *nb; /* taken even on error: freed with l */
	*nb = NULL;
	int rc = ops_share(snap, l, old, job->upto, 0);
	if (rc) {
		hotlist__snap_list_free(snap, l);
		return rc;
	}
	rc = edit_commit(snap, l, NULL, 0, pre);
	if (!rc)
		snap->folds_done++;
	return rc;
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
	pthread_mutex_lock(&snap->wlock);
	if (!rc)
		rc = fold_install(snap, job, &nb, &pre);
	pthread_mutex_unlock(&snap->wlock);
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

void hotlist__snap_fold_stop(struct hl_snap *snap)
{
	pthread_mutex_lock(&snap->wlock);
	bool started = snap->folder_started;
	snap->fold_stop = true;
	pthread_cond_broadcast(&snap->fold_cv);
	pthread_mutex_unlock(&snap->wlock);
	if (started)
		pthread_join(snap->folder, NULL);
}
