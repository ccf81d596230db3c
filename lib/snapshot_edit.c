/* SPDX-License-Identifier: MIT */
/*
 * snapshot_edit.c — the edit layer of a list version: put, remove, new
 * options, and folding the edits into a new base. Part of the snapshot
 * module (see snapshot.h and the design comment in snapshot.c); publishes
 * through hotlist__snap_install(), never touches RCU itself.
 *
 * Edits. A put or remove does not rebuild the base. The list keeps its
 * edits as a small ordered set of operations (struct hl_op, writer-only):
 * ADD an entry, HIDE base entries (by plate, country or any, category or
 * any). From them two small bases are built at every edit: `adds` (the
 * entries put) and `hides` (what of the base is gone). A reader looks a plate
 * up in base, drops base entries that a hide matches, and adds what `adds`
 * has. When the edits pass HL_EDITS_FOLD they are folded into a new base.
 *
 * Threads: writers, under snap->wlock; hotlist__list_hidden is read side
 * (any thread, wait-free).
 */
#include "snapshot.h"
#include "snapshot_impl.h"

#include "alloc.h"
#include "clock.h"
#include "fuzzy.h"
#include "list.h"
#include "normalise.h"
#include "table.h"

#include <string.h>

enum { HL_OP_ADD, HL_OP_HIDE };

/* One edit, owning copies of its strings. */
struct hl_op {
	int kind;
	struct hl_key key;
	hl_country country;
	unsigned flags; /* HL_M_ANY_* for hides */
	struct hotlist_entry e;
	char *text; /* one allocation: plate, category, reference */
	size_t text_len;
	bool of_put; /* the hide half of a put: not an edit of its own */
};

int hotlist__list_hidden(const struct hl_list *l, const struct hl_meta *m)
{
	uint32_t i = hl_base_find(l->hides, &m->key);
	if (i == HL_TABLE_NONE)
		return 0;
	const char *cat = hl_base_str(l->base, m->category_off);
	for (const struct hl_meta *h = &l->hides->meta[i];; h++) {
		if (((h->flags & HL_M_ANY_COUNTRY) || h->country == m->country) &&
		    ((h->flags & HL_M_ANY_CATEGORY) ||
		     strcmp(hl_base_str(l->hides, h->category_off), cat) == 0))
			return 1;
		if (h->flags & HL_M_LAST)
			return 0;
	}
}

void hotlist__snap_ops_free(struct hl_snap *snap, struct hl_op *ops, size_t n, size_t cap)
{
	for (size_t i = 0; i < n; i++)
		hotlist__free(snap->a, ops[i].text, ops[i].text_len);
	hotlist__free(snap->a, ops, cap * sizeof(*ops));
}

void hotlist__snap_set_edits_fold(struct hl_snap *snap, uint32_t n)
{
	pthread_mutex_lock(&snap->wlock);
	snap->edits_fold = n;
	pthread_mutex_unlock(&snap->wlock);
}

/* A copy of e's strings (and its id and attributes) in one allocation, for
 * an op: [ attrs array | plate\0 category\0 reference\0 id\0 names and values ]. */
static int op_init(struct hl_snap *snap, struct hl_op *op, int kind, const struct hotlist_entry *e)
{
	enum { FIXED = 4 };
	const char *s[FIXED + 2 * HOTLIST_ATTRS_MAX] = { e->plate, e->category ? e->category : "",
							 e->reference ? e->reference : "",
							 e->id ? e->id : "" };
	unsigned na = e->attrs ? e->n_attrs : 0, ns = FIXED + 2 * na;
	size_t len[FIXED + 2 * HOTLIST_ATTRS_MAX], head = na * sizeof(struct hotlist_attr);
	size_t total = head;
	for (unsigned i = 0; i < na; i++) { /* validated by the caller: na <= HOTLIST_ATTRS_MAX */
		s[FIXED + 2 * i] = e->attrs[i].name;
		s[FIXED + 2 * i + 1] = e->attrs[i].value ? e->attrs[i].value : "";
	}
	for (unsigned i = 0; i < ns; i++)
		total += (len[i] = strlen(s[i])) + 1;
	op->text = hotlist__alloc(snap->a, total, _Alignof(struct hotlist_attr));
	if (!op->text)
		return HOTLIST_ENOMEM;
	op->text_len = total;
	op->kind = kind;
	op->e = *e;
	op->e.country = NULL; /* kept as op->country */
	struct hotlist_attr *attrs = (struct hotlist_attr *)(void *)op->text;
	char *p = op->text + head;
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

/* Fold base and edits of l into a fresh base (no edits left). */
static int fold(struct hl_snap *snap, struct hl_list *l)
{
	struct hl_builder b;
	struct hl_base *nb = NULL;
	int rc = 0;
	hotlist__builder_init(&b, snap->a);
	for (uint32_t i = 0; i < l->base->n_meta && !rc; i++)
		if (!l->hides || !hotlist__list_hidden(l, &l->base->meta[i]))
			rc = hotlist__builder_add_meta(&b, l->base, i);
	for (uint32_t i = 0; l->adds && i < l->adds->n_meta && !rc; i++)
		rc = hotlist__builder_add_meta(&b, l->adds, i);
	if (!rc)
		rc = hotlist__builder_finish(&b, hotlist__seed(0), &nb, NULL, NULL);
	hotlist__builder_fini(&b);
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
	return 0;
}

/* Make the new version l from its ops: rebuild the edit layer, then fold it
 * into the base once there are too many. The layer must exist before a fold:
 * fold takes the edits from it (folding without it dropped every pending
 * edit, found by test_engine's many_edits_fold with a low threshold). */
static int rebuild(struct hl_snap *snap, struct hl_list *l)
{
	int rc = ops_base(snap, l, HL_OP_ADD, &l->adds);
	if (!rc)
		rc = ops_base(snap, l, HL_OP_HIDE, &l->hides);
	/* a put is one edit though it is two ops (hide the old entry, add) */
	l->n_edits = 0;
	for (size_t i = 0; i < l->n_ops; i++)
		l->n_edits += !l->ops[i].of_put;
	if (!rc && l->n_edits > snap->edits_fold) {
		rc = fold(snap, l);
		if (!rc)
			l->n_edits = 0;
	}
	return rc;
}

/*
 * Start a new version of list `name` for an edit: shares the base, takes a
 * copy of the ops (so that a failure leaves the published version as is).
 */
static struct hl_list *edit_begin(struct hl_snap *snap, const char *name, size_t extra)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, name);
	const struct hl_list *old = i < 0 ? NULL : cur->lists[i];
	struct hl_list *l = hotlist__snap_list_new(snap, old, name);
	if (!l)
		return NULL;
	size_t n = old ? old->n_ops : 0;
	l->cap_ops = n + extra;
	l->ops = hotlist__alloc(snap->a, l->cap_ops * sizeof(*l->ops), 16);
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
	for (size_t k = 0; l->ops && l->base && k < n; k++) {
		l->ops[k] = old->ops[k];
		l->ops[k].text = NULL;
		if (op_init(snap, &l->ops[k], old->ops[k].kind, &old->ops[k].e))
			break;
		l->n_ops++;
	}
	if (!l->ops || !l->base || l->n_ops != n) {
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
			hotlist__free(snap->a, op->text, op->text_len);
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
	l->n_ops++;
	return 0;
}

/* Publish an edited version; frees it on failure. pre: as attach_fuzzy's,
 * or NULL. Caller holds wlock. */
static int edit_commit(struct hl_snap *snap, struct hl_list *l, int rc, struct hl_fuzzy **pre)
{
	if (!rc)
		rc = rebuild(snap, l);
	if (!rc) {
		const struct hl_state *cur =
			atomic_load_explicit(&snap->state, memory_order_relaxed);
		int i = hotlist__snap_find(cur, l->name);
		rc = hotlist__snap_attach_fuzzy(snap, l, i < 0 ? NULL : cur->lists[i], pre);
	}
	if (rc) {
		hotlist__snap_list_free(snap, l);
		return rc;
	}
	l->entries = hotlist__snap_count_visible(l);
	/* the old version keeps its own copy of the ops until it is freed, so
	 * a failed install leaves it exactly as it was */
	return hotlist__snap_install(snap, l);
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
		rc = edit_commit(snap, l, rc, NULL);
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
		rc = edit_commit(snap, l, rc, NULL);
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
		rc = edit_commit(snap, l, 0, &pre);
	}
	pthread_mutex_unlock(&snap->wlock);
	hotlist__scope_put(sc, snap->a);
	hotlist__fz_put(pre, snap->a);
	hotlist__base_put(b, snap->a);
	return rc;
}
