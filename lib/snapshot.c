/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c — the published lists, their edits, and their reclamation.
 * The only module (with nothing else) that includes liburcu.
 *
 * What it owns: hl->state, a pointer to an immutable struct hl_state that
 * lists every list's current version; each writer call (replace, load, put,
 * remove, drop) builds what changes off to the side, copies the state with
 * one list pointer changed, publishes the copy with one pointer store, and
 * hands the old state (and the list version it replaced) to call_rcu().
 *
 *   hl->state ──► hl_state { lists[0] ──► hl_list v7 { base ─┐ adds hides } }
 *                            lists[1] ──► hl_list v3 { base  │ ... }        │
 *                                                            ▼              │
 *                                           hl_base (refcounted, shared by  │
 *                                           v6 and v7 when v7 was a put) ◄──┘
 *
 * Edits. A put or remove does not rebuild the base. The list keeps its
 * edits as a small ordered set of operations (struct hl_op, writer-only):
 * ADD an entry, HIDE base entries (by plate, country or any, category or
 * any). From them two small bases are built at every edit: `adds` (the
 * entries put) and `hides` (what of the base is gone). A reader looks a plate
 * up in base, drops base entries that a hide matches, and adds what `adds`
 * has. When the edits pass HL_EDITS_FOLD they are folded into a new base.
 *
 * Options and fuzzy indexes. Each version carries its list's options
 * (struct hl_fz_opts), copied from the version it replaces. When they ask
 * for OCR or indel matching, the version holds a fuzzy index of its base
 * (fuzzy.c), shared by reference with the previous version when the base
 * and the index-relevant options (classes, d > 0) are the same, and one of
 * its adds, rebuilt with every edit. The index of a new base (replace, load)
 * or of new options is built before the writer lock is taken, for the
 * options read under RCU (prebuild), so that its O(entries) build does not
 * block the other writers; under the lock it is taken only if it still fits
 * the list's base and options (else built there: a concurrent writer
 * changed them). The small adds index and the index of a folded base are
 * built under the lock. All are freed with the version (guarantee 2).
 *
 * Ordering guarantees:
 *  1. A writer fully initialises a new state, its lists and bases, then
 *     publishes it with a release store to hl->state; a reader loads it with
 *     acquire (what rcu_dereference() is, made visible to ThreadSanitizer):
 *     a reader that sees the new pointer sees everything written before.
 *  2. A reader holds the urcu-bp read lock from the load to its last use of
 *     anything reached through it (hotlist__snap_enter/exit). A state and its
 *     retired list version are freed only from a call_rcu() callback, i.e.
 *     after every read-side section that could have loaded them has ended.
 *  3. Writers are serialised by hl->wlock, so versions of one list are
 *     published in order and no edit is lost between copy and publish.
 *  4. A match sees, per list, exactly one version: it loads hl->state once.
 *
 * Flavour: urcu-bp, which registers reader threads itself on their first
 * read lock, so callers never hear of RCU. Its read lock costs a TLS check
 * and a compiler barrier (it uses membarrier(2) on the writer side).
 * Progress: readers are wait-free; writers block each other, never readers,
 * and never wait for a grace period (call_rcu), except hotlist_destroy.
 *
 * Under ThreadSanitizer the grace period is invisible (liburcu is not
 * instrumented), so readers release, and reclamation acquires, one sync
 * address: tells TSan what RCU guarantees.
 */
#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <urcu/urcu-bp.h>

/* Edits kept beside the base before they are folded into a new one: each
 * edit rebuilds the edit layer, O(edits), so this bounds a put at a few
 * hundred microseconds, and folding (O(entries)) happens once per this many
 * edits. */
#define HL_EDITS_FOLD 4096u

#if defined(HOTLIST_TSAN)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char tsan_grace;
#define HL_TSAN_RELEASE() __tsan_release(&tsan_grace)
#define HL_TSAN_ACQUIRE() __tsan_acquire(&tsan_grace)
#else
#define HL_TSAN_RELEASE() ((void)0)
#define HL_TSAN_ACQUIRE() ((void)0)
#endif

_Static_assert(sizeof(struct rcu_head) <= sizeof(((struct hl_state *)0)->rcu_head_storage),
	       "rcu_head storage in struct hl_state too small");

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
};

/* ---- read side ---------------------------------------------------------- */

const struct hl_state *hotlist__snap_enter(struct hotlist *hl)
{
	urcu_bp_read_lock();
	/* acquire pairs with the release in publish() (guarantee 1) */
	return atomic_load_explicit(&hl->state, memory_order_acquire);
}

void hotlist__snap_exit(void)
{
	HL_TSAN_RELEASE();
	urcu_bp_read_unlock();
}

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

/* ---- list versions ---------------------------------------------------------- */

static void ops_free(struct hotlist *hl, struct hl_op *ops, size_t n, size_t cap)
{
	for (size_t i = 0; i < n; i++)
		hotlist__free(hl->a, ops[i].text, ops[i].text_len);
	hotlist__free(hl->a, ops, cap * sizeof(*ops));
}

static void list_free(struct hotlist *hl, struct hl_list *l)
{
	if (!l)
		return;
	hotlist__base_put(l->base, hl->a);
	hotlist__base_put(l->adds, hl->a);
	hotlist__base_put(l->hides, hl->a);
	hotlist__fz_put(l->fz_base, hl->a);
	hotlist__fz_put(l->fz_adds, hl->a);
	ops_free(hl, l->ops, l->n_ops, l->cap_ops);
	hotlist__free(hl->a, l, sizeof(*l));
}

uint64_t hotlist__snap_seed(void)
{
	uint64_t s;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
		s = hotlist__now_ns() * 0x9E3779B97F4A7C15ull; /* no entropy yet: still varies */
	return s;
}

/* A new version of list `old` (or a new list `name`), sharing nothing yet. */
static struct hl_list *list_new(struct hotlist *hl, const struct hl_list *old, const char *name)
{
	struct hl_list *l = hotlist__zalloc(hl->a, sizeof(*l), HL_CACHE_LINE);
	if (!l)
		return NULL;
	snprintf(l->name, sizeof(l->name), "%s", old ? old->name : name);
	l->name_hash = old ? old->name_hash : hotlist__hash_name(l->name);
	l->version = ++hl->next_version;
	l->updated_us = hotlist__wall_us();
	if (old)
		l->opts = old->opts;
	else
		hotlist__fz_opts_default(&l->opts);
	return l;
}

/* Entries a match can hit: O(edits), not O(entries). */
static uint64_t count_visible(const struct hl_list *l)
{
	uint64_t n = l->base->n_meta + (l->adds ? l->adds->n_meta : 0);
	for (uint32_t h = 0; l->hides && h < l->hides->n_meta; h++) {
		if (h > 0 && !(l->hides->meta[h - 1].flags & HL_M_LAST))
			continue; /* not the first hide of its plate */
		uint32_t i = hl_base_find(l->base, &l->hides->meta[h].key);
		for (; i != HL_TABLE_NONE; i++) {
			n -= (uint64_t)hotlist__list_hidden(l, &l->base->meta[i]);
			if (l->base->meta[i].flags & HL_M_LAST)
				break;
		}
	}
	return n;
}

/* The fuzzy indexes of the new version l (old: the version it replaces, or
 * NULL) and its slow flag. *pre, when it fits l's base and options, is an
 * index built before the lock (prebuild) and is taken (*pre = NULL); else
 * the old version's is shared when it fits, or one is built here. Caller
 * holds wlock. */
static int attach_fuzzy(struct hotlist *hl, struct hl_list *l, const struct hl_list *old,
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
			rc = hotlist__fz_build(&l->fz_base, l->base, &l->opts, hotlist__snap_seed(),
					       hl->a);
		}
		if (!rc && l->adds)
			rc = hotlist__fz_build(&l->fz_adds, l->adds, &l->opts, hotlist__snap_seed(),
					       hl->a);
	}
	l->slow = l->adds || l->fz_base || l->base->patterns;
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
static struct hl_fuzzy *prebuild(struct hotlist *hl, const char *name, const struct hl_base *base,
				 const struct hl_fz_opts *o)
{
	struct hl_fz_opts opts;
	struct hl_fuzzy *f = NULL;
	bool fits = false;
	const struct hl_state *st = hotlist__snap_enter(hl);
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
	    hotlist__fz_build(&f, base, &opts, hotlist__snap_seed(), hl->a))
		f = NULL;
	return f;
}

/* ---- publication and reclamation ------------------------------------------------ */

static void state_free_cb(struct rcu_head *head)
{
	struct hl_state *st =
		(struct hl_state *)((char *)head - offsetof(struct hl_state, rcu_head_storage));
	HL_TSAN_ACQUIRE(); /* pairs with every reader's release (guarantee 2) */
	struct hotlist *hl = st->hl;
	list_free(hl, st->retired);
	hotlist__free(hl->a, st, sizeof(*st));
	HL_TSAN_RELEASE(); /* our reads of hl, before destroy frees it after the barrier */
}

static struct hl_state *state_copy(struct hotlist *hl, const struct hl_state *old)
{
	struct hl_state *st = hotlist__zalloc(hl->a, sizeof(*st), HL_CACHE_LINE);
	if (!st)
		return NULL;
	if (old) {
		st->n = old->n;
		memcpy(st->lists, old->lists, sizeof(st->lists));
	}
	st->hl = hl;
	return st;
}

/*
 * fork(). liburcu-bp's hooks park the call_rcu thread and lock the reader
 * registry over a fork, but nothing stops another thread from being in the
 * middle of call_rcu() itself: its enqueue is two steps (swap the queue's
 * tail, then link the old tail to the new node), and a fork between them
 * leaves the child a queue whose link is never written. The child's call_rcu
 * thread then waits for it forever, and so does any hotlist_destroy() there
 * (found by test_fork: about one fork in 500 with a writer running). So every
 * call_rcu() of ours runs under fork_gate, and hotlist_fork_prepare() takes
 * it first. Writers only; readers never touch it.
 *
 * Order: the gate (no enqueue in flight), then the call_rcu threads parked,
 * then urcu_bp_before_fork, which takes rcu_gp_lock and the registry lock: a
 * call_rcu thread blocked on rcu_gp_lock inside synchronize_rcu() would
 * never reach its pause point, so the parking must come before. Undone in
 * reverse order after the fork, in parent and child alike.
 */
static pthread_mutex_t fork_gate = PTHREAD_MUTEX_INITIALIZER;

static void retire(struct rcu_head *head)
{
	pthread_mutex_lock(&fork_gate);
	urcu_bp_call_rcu(head, state_free_cb);
	pthread_mutex_unlock(&fork_gate);
}

void hotlist_fork_prepare(void)
{
	pthread_mutex_lock(&fork_gate);
	urcu_bp_call_rcu_before_fork();
	urcu_bp_before_fork();
}

void hotlist_fork_parent(void)
{
	urcu_bp_after_fork_parent();
	urcu_bp_call_rcu_after_fork_parent();
	pthread_mutex_unlock(&fork_gate);
}

void hotlist_fork_child(void)
{
	urcu_bp_after_fork_child();
	urcu_bp_call_rcu_after_fork_child();
	pthread_mutex_unlock(&fork_gate);
}

/* Publish st (which replaced `gone`, possibly NULL) and retire the old state.
 * Caller holds wlock. Cannot fail: everything was allocated before. */
static void publish(struct hotlist *hl, struct hl_state *st, struct hl_list *gone)
{
	struct hl_state *old = atomic_load_explicit(&hl->state, memory_order_relaxed);
	/* release pairs with the acquire in hotlist__snap_enter (guarantee 1) */
	atomic_store_explicit(&hl->state, st, memory_order_release);
	old->retired = gone;
	HL_TSAN_RELEASE(); /* the writer's last touches of old, before reclamation */
	retire((struct rcu_head *)old->rcu_head_storage);
}

static int find_list(const struct hl_state *st, const char *name)
{
	for (uint32_t i = 0; i < st->n; i++)
		if (strcmp(st->lists[i]->name, name) == 0)
			return (int)i;
	return -1;
}

/* Publish l in place of list `name` (appended if new). Caller holds wlock.
 * On error l is freed. */
static int install(struct hotlist *hl, struct hl_list *l)
{
	const struct hl_state *cur = atomic_load_explicit(&hl->state, memory_order_relaxed);
	int i = find_list(cur, l->name);
	if (i < 0 && cur->n == HOTLIST_LISTS_MAX) {
		list_free(hl, l);
		return HOTLIST_ENOSPC;
	}
	struct hl_state *st = state_copy(hl, cur);
	if (!st) {
		list_free(hl, l);
		return HOTLIST_ENOMEM;
	}
	struct hl_list *gone = NULL;
	if (i < 0) {
		st->lists[st->n++] = l;
	} else {
		gone = st->lists[i];
		st->lists[i] = l;
	}
	publish(hl, st, gone);
	return 0;
}

void hotlist__snap_set_edits_fold(struct hotlist *hl, uint32_t n)
{
	pthread_mutex_lock(&hl->wlock);
	hl->edits_fold = n;
	pthread_mutex_unlock(&hl->wlock);
}

int hotlist__snap_init(struct hotlist *hl)
{
	struct hl_state *st = state_copy(hl, NULL);
	if (!st)
		return HOTLIST_ENOMEM;
	atomic_init(&hl->state, st);
	hl->edits_fold = HL_EDITS_FOLD;
	if (pthread_mutex_init(&hl->wlock, NULL)) {
		hotlist__free(hl->a, st, sizeof(*st));
		return HOTLIST_ENOMEM;
	}
	return 0;
}

void hotlist__snap_fini(struct hotlist *hl)
{
	urcu_bp_barrier(); /* every call_rcu() callback has run */
	struct hl_state *st = atomic_load_explicit(&hl->state, memory_order_relaxed);
	HL_TSAN_ACQUIRE();
	for (uint32_t i = 0; i < st->n; i++)
		list_free(hl, st->lists[i]);
	hotlist__free(hl->a, st, sizeof(*st));
	pthread_mutex_destroy(&hl->wlock);
}

/* ---- writers ---------------------------------------------------------------- */

int hotlist__snap_replace(struct hotlist *hl, const char *name, struct hl_base *base,
			  uint64_t *version)
{
	struct hl_fuzzy *pre = prebuild(hl, name, base, NULL);
	pthread_mutex_lock(&hl->wlock);
	const struct hl_state *cur = atomic_load_explicit(&hl->state, memory_order_relaxed);
	int i = find_list(cur, name);
	const struct hl_list *old = i < 0 ? NULL : cur->lists[i];
	struct hl_list *l = list_new(hl, old, name);
	int rc = HOTLIST_ENOMEM;
	if (l) {
		l->base = base; /* a replace supersedes the list's pending edits */
		l->entries = base->n_meta;
		rc = attach_fuzzy(hl, l, old, &pre);
		if (rc) {
			list_free(hl, l);
		} else {
			if (version)
				*version = l->version;
			rc = install(hl, l);
		}
	} else {
		hotlist__base_put(base, hl->a);
	}
	pthread_mutex_unlock(&hl->wlock);
	hotlist__fz_put(pre, hl->a); /* not taken: the options changed meanwhile */
	return rc;
}

int hotlist__snap_drop(struct hotlist *hl, const char *name)
{
	pthread_mutex_lock(&hl->wlock);
	const struct hl_state *cur = atomic_load_explicit(&hl->state, memory_order_relaxed);
	int i = find_list(cur, name), rc = HOTLIST_ENOENT;
	struct hl_state *st = i < 0 ? NULL : state_copy(hl, cur);
	if (i >= 0 && !st)
		rc = HOTLIST_ENOMEM;
	if (st) {
		struct hl_list *gone = st->lists[i];
		memmove(&st->lists[i], &st->lists[i + 1],
			(st->n - (uint32_t)i - 1) * sizeof(void *));
		st->lists[--st->n] = NULL;
		publish(hl, st, gone);
		rc = 0;
	}
	pthread_mutex_unlock(&hl->wlock);
	return rc;
}

/* A copy of e's strings in one allocation, for an ADD op. */
static int op_init(struct hotlist *hl, struct hl_op *op, int kind, const struct hotlist_entry *e)
{
	const char *s[3] = { e->plate, e->category ? e->category : "",
			     e->reference ? e->reference : "" };
	size_t len[3], total = 0;
	for (int i = 0; i < 3; i++)
		total += (len[i] = strlen(s[i])) + 1;
	op->text = hotlist__alloc(hl->a, total, 1);
	if (!op->text)
		return HOTLIST_ENOMEM;
	op->text_len = total;
	op->kind = kind;
	op->e = *e;
	op->e.country = NULL; /* kept as op->country */
	char *p = op->text;
	const char **dst[3] = { &op->e.plate, &op->e.category, &op->e.reference };
	for (int i = 0; i < 3; i++) {
		memcpy(p, s[i], len[i] + 1);
		*dst[i] = p;
		p += len[i] + 1;
	}
	return 0;
}

static int op_matches(const struct hl_op *op, const struct hl_key *k, hl_country c, unsigned flags,
		      const char *category)
{
	return hl_key_eq(&op->key, k) && ((flags & HL_M_ANY_COUNTRY) || op->country == c) &&
	       ((flags & HL_M_ANY_CATEGORY) || strcmp(op->e.category, category) == 0);
}

/* Build a small base from the ops of one kind; *out NULL when there are none. */
static int ops_base(struct hotlist *hl, const struct hl_list *l, int kind, struct hl_base **out)
{
	struct hl_builder b;
	char reason[96], cc[3];
	int rc = 0;
	size_t n = 0;
	*out = NULL;
	hotlist__builder_init(&b, hl->a);
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
		rc = hotlist__builder_finish(&b, hotlist__snap_seed(), out, NULL, NULL);
	hotlist__builder_fini(&b);
	return rc;
}

/* Fold base and edits of l into a fresh base (no edits left). */
static int fold(struct hotlist *hl, struct hl_list *l)
{
	struct hl_builder b;
	struct hl_base *nb = NULL;
	int rc = 0;
	hotlist__builder_init(&b, hl->a);
	for (uint32_t i = 0; i < l->base->n_meta && !rc; i++)
		if (!l->hides || !hotlist__list_hidden(l, &l->base->meta[i]))
			rc = hotlist__builder_add_meta(&b, l->base, i);
	for (uint32_t i = 0; l->adds && i < l->adds->n_meta && !rc; i++)
		rc = hotlist__builder_add_meta(&b, l->adds, i);
	if (!rc)
		rc = hotlist__builder_finish(&b, hotlist__snap_seed(), &nb, NULL, NULL);
	hotlist__builder_fini(&b);
	if (rc)
		return rc;
	hotlist__base_put(l->base, hl->a);
	hotlist__base_put(l->adds, hl->a);
	hotlist__base_put(l->hides, hl->a);
	ops_free(hl, l->ops, l->n_ops, l->cap_ops);
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
static int rebuild(struct hotlist *hl, struct hl_list *l)
{
	int rc = ops_base(hl, l, HL_OP_ADD, &l->adds);
	if (!rc)
		rc = ops_base(hl, l, HL_OP_HIDE, &l->hides);
	if (!rc && l->n_ops > hl->edits_fold)
		rc = fold(hl, l);
	return rc;
}

/*
 * Start a new version of list `name` for an edit: shares the base, takes a
 * copy of the ops (so that a failure leaves the published version as is).
 */
static struct hl_list *edit_begin(struct hotlist *hl, const char *name, size_t extra)
{
	const struct hl_state *cur = atomic_load_explicit(&hl->state, memory_order_relaxed);
	int i = find_list(cur, name);
	const struct hl_list *old = i < 0 ? NULL : cur->lists[i];
	struct hl_list *l = list_new(hl, old, name);
	if (!l)
		return NULL;
	size_t n = old ? old->n_ops : 0;
	l->cap_ops = n + extra;
	l->ops = hotlist__alloc(hl->a, l->cap_ops * sizeof(*l->ops), 16);
	if (old) {
		l->base = old->base;
		hl_base_get(l->base);
	} else {
		struct hl_builder b;
		hotlist__builder_init(&b, hl->a);
		if (hotlist__builder_finish(&b, hotlist__snap_seed(), &l->base, NULL, NULL))
			l->base = NULL;
		hotlist__builder_fini(&b);
	}
	for (size_t k = 0; l->ops && l->base && k < n; k++) {
		l->ops[k] = old->ops[k];
		l->ops[k].text = NULL;
		if (op_init(hl, &l->ops[k], old->ops[k].kind, &old->ops[k].e))
			break;
		l->n_ops++;
	}
	if (!l->ops || !l->base || l->n_ops != n) {
		list_free(hl, l);
		return NULL;
	}
	return l;
}

/* Drop the ops matching (k, c, flags, category) of one kind, keeping order. */
static size_t ops_drop(struct hotlist *hl, struct hl_list *l, int kind, const struct hl_key *k,
		       hl_country c, unsigned flags, const char *category)
{
	size_t w = 0, dropped = 0;
	for (size_t r = 0; r < l->n_ops; r++) {
		struct hl_op *op = &l->ops[r];
		if (op->kind == kind && op_matches(op, k, c, flags, category)) {
			hotlist__free(hl->a, op->text, op->text_len);
			dropped++;
			continue;
		}
		l->ops[w++] = *op;
	}
	l->n_ops = w;
	return dropped;
}

static int op_append(struct hotlist *hl, struct hl_list *l, int kind, const struct hotlist_entry *e,
		     const struct hl_key *k, hl_country c, unsigned flags)
{
	struct hl_op *op = &l->ops[l->n_ops];
	memset(op, 0, sizeof(*op));
	int rc = op_init(hl, op, kind, e);
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
static int edit_commit(struct hotlist *hl, struct hl_list *l, int rc, struct hl_fuzzy **pre)
{
	if (!rc)
		rc = rebuild(hl, l);
	if (!rc) {
		const struct hl_state *cur = atomic_load_explicit(&hl->state, memory_order_relaxed);
		int i = find_list(cur, l->name);
		rc = attach_fuzzy(hl, l, i < 0 ? NULL : cur->lists[i], pre);
	}
	if (rc) {
		list_free(hl, l);
		return rc;
	}
	l->entries = count_visible(l);
	/* the old version keeps its own copy of the ops until it is freed, so
	 * a failed install leaves it exactly as it was */
	return install(hl, l);
}

int hotlist__snap_put(struct hotlist *hl, const char *name, const struct hotlist_entry *e,
		      const struct hl_key *k, hl_country c)
{
	pthread_mutex_lock(&hl->wlock);
	struct hl_list *l = edit_begin(hl, name, 2);
	int rc = HOTLIST_ENOMEM;
	if (l) {
		const char *cat = e->category ? e->category : "";
		/* an entry with the same plate, country and category is updated */
		ops_drop(hl, l, HL_OP_ADD, k, c, 0, cat);
		ops_drop(hl, l, HL_OP_HIDE, k, c, 0, cat);
		rc = op_append(hl, l, HL_OP_HIDE, e, k, c, 0);
		if (!rc)
			rc = op_append(hl, l, HL_OP_ADD, e, k, c, 0);
		rc = edit_commit(hl, l, rc, NULL);
	}
	pthread_mutex_unlock(&hl->wlock);
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

int hotlist__snap_remove(struct hotlist *hl, const char *name, const char *plate,
			 const struct hl_key *k, hl_country c)
{
	pthread_mutex_lock(&hl->wlock);
	const struct hl_state *cur = atomic_load_explicit(&hl->state, memory_order_relaxed);
	int i = find_list(cur, name);
	int n = i < 0 ? 0 : count_removable(cur->lists[i], k, c), rc = HOTLIST_ENOENT;
	struct hl_list *l = n ? edit_begin(hl, name, 1) : NULL;
	if (n && !l)
		rc = HOTLIST_ENOMEM;
	if (l) {
		unsigned flags = HL_M_ANY_CATEGORY | (c ? 0 : HL_M_ANY_COUNTRY);
		struct hotlist_entry e = { .plate = plate };
		ops_drop(hl, l, HL_OP_ADD, k, c, flags, "");
		rc = op_append(hl, l, HL_OP_HIDE, &e, k, c, flags);
		rc = edit_commit(hl, l, rc, NULL);
		if (!rc)
			rc = n;
	}
	pthread_mutex_unlock(&hl->wlock);
	return rc;
}

/* The base of list `name` with a reference taken, or NULL (no such list).
 * The reference keeps it, and so its address, from being reused. */
static struct hl_base *current_base(struct hotlist *hl, const char *name)
{
	struct hl_base *b = NULL;
	const struct hl_state *st = hotlist__snap_enter(hl);
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

int hotlist__snap_set_options(struct hotlist *hl, const char *name, const struct hl_fz_opts *o)
{
	struct hl_base *b = current_base(hl, name);
	struct hl_fuzzy *pre = b ? prebuild(hl, name, b, o) : NULL;
	pthread_mutex_lock(&hl->wlock);
	struct hl_list *l = edit_begin(hl, name, 1);
	int rc = HOTLIST_ENOMEM;
	if (l) {
		l->opts = *o;
		rc = edit_commit(hl, l, 0, &pre);
	}
	pthread_mutex_unlock(&hl->wlock);
	hotlist__fz_put(pre, hl->a);
	hotlist__base_put(b, hl->a);
	return rc;
}

int hotlist__snap_info(struct hotlist *hl, size_t i, struct hotlist_list_info *out)
{
	const struct hl_state *st = hotlist__snap_enter(hl);
	int rc = HOTLIST_ENOENT;
	if (i < st->n) {
		const struct hl_list *l = st->lists[i];
		memset(out, 0, sizeof(*out));
		snprintf(out->name, sizeof(out->name), "%s", l->name);
		out->version = l->version;
		out->entries = l->entries;
		out->pending_edits =
			(l->adds ? l->adds->n_meta : 0) + (l->hides ? l->hides->n_meta : 0);
		out->index_bytes = hotlist__table_bytes(l->base->index);
		out->memory_bytes = l->base->bytes + (l->adds ? l->adds->bytes : 0) +
				    (l->hides ? l->hides->bytes : 0) + sizeof(*l) +
				    hotlist__fz_bytes(l->fz_base) + hotlist__fz_bytes(l->fz_adds);
		if (l->adds)
			out->index_bytes += hotlist__table_bytes(l->adds->index);
		out->updated_us = l->updated_us;
		hotlist__score_info(l->fz_base ? l->fz_base : l->fz_adds, &l->opts, out);
		rc = 0;
	}
	hotlist__snap_exit();
	return rc;
}
