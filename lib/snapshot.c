/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c — the read side of the published lists, their publication
 * and their reclamation. The only file of lib/ that includes liburcu; the
 * rest of the snapshot module (snapshot_list.c: list versions,
 * snapshot_edit.c: the edit layer, snapshot_info.c: counting) publishes
 * through hotlist__snap_install() and reads through hotlist__snap_enter().
 *
 * What it owns: snap->state, a pointer to an immutable struct hl_state that
 * lists every list's current version; each writer call (replace, load, put,
 * remove, drop) builds what changes off to the side, copies the state with
 * one list pointer changed, publishes the copy with one pointer store, and
 * hands the old state (and the list version it replaced) to call_rcu().
 *
 * snap->state ──► hl_state { lists[0] ──► hl_list v7 { base ─┐ ovl ─┐ } }
 *                            lists[1] ──► hl_list v3 { base  │ ... } │
 *                                                            ▼       ▼
 *                                 hl_base (refcounted, shared by     edit overlay (refcounted,
 *                                 v6 and v7 when v7 was a put)       shared; snapshot_edit.c)
 *
 * Ordering guarantees:
 *  1. A writer fully initialises a new state, its lists and bases, then
 *     publishes it with a release store to snap->state; a reader loads it with
 *     acquire (what rcu_dereference() is, made visible to ThreadSanitizer):
 *     a reader that sees the new pointer sees everything written before.
 *  2. A reader holds the urcu-bp read lock from the load to its last use of
 *     anything reached through it (hotlist__snap_enter/exit). A state and its
 *     retired list version are freed only from a call_rcu() callback, i.e.
 *     after every read-side section that could have loaded them has ended.
 *  3. Writers are serialised by snap->wlock, so versions of one list are
 *     published in order and no edit is lost between copy and publish.
 *  4. A match sees, per list, exactly one version: it loads snap->state once.
 *
 * Flavour: urcu-bp, which registers reader threads itself on their first
 * read lock, so callers never hear of RCU. Its read lock costs a TLS check
 * and a compiler barrier (it uses membarrier(2) on the writer side).
 * Progress: readers are wait-free; writers block each other, never readers,
 * and do not wait for a grace period (call_rcu) while reclamation keeps
 * up; hotlist_destroy waits for it.
 *
 * Bounded reclamation. A reader that stays in its read-side section (a hit
 * callback blocked on a dead network) holds back every grace period, so
 * each replace would leave one more whole list version waiting: memory
 * without bound. So at most HL_RETIRED_HEAVY_MAX retired states whose list
 * version holds a base of its own (a replace, a drop, a fold), and at most
 * HL_RETIRED_MAX retired states in all, wait in call_rcu per engine; the
 * writer that would retire one more publishes as usual, then waits for the
 * grace period itself (synchronize_rcu) and frees what it retired. With a
 * stuck reader that writer, and the writers queued behind it on wlock,
 * wait until the reader leaves; readers never wait. Memory is then bounded
 * by the live versions plus HL_RETIRED_HEAVY_MAX whole versions plus
 * HL_RETIRED_MAX small ones (an edit's version: a state and a list
 * header; the edit overlay it shares goes with the last version holding
 * it, and one that an edit outgrew is retired with that edit's version).
 * The counters (atomics in struct hl_snap) are statistics and the bound's
 * test; they order nothing: the writer reads them under wlock, and only
 * wlock holders and the call_rcu callbacks change them.
 *
 * Under ThreadSanitizer the grace period is invisible (liburcu is not
 * instrumented), so readers release, and reclamation acquires, one sync
 * address: tells TSan what RCU guarantees.
 */
#include "snapshot.h"
#include "snapshot_impl.h"

#include "alloc.h"
#include "common.h"

#include <stddef.h>
#include <string.h>
#include <urcu/urcu-bp.h>

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

/* ---- read side ---------------------------------------------------------- */

const struct hl_state *hotlist__snap_enter(struct hl_snap *snap)
{
	urcu_bp_read_lock();
	/* acquire pairs with the release in publish() (guarantee 1) */
	return atomic_load_explicit(&snap->state, memory_order_acquire);
}

void hotlist__snap_exit(void)
{
	HL_TSAN_RELEASE();
	urcu_bp_read_unlock();
}

void hotlist__snap_synchronize(void)
{
	urcu_bp_synchronize_rcu();
	HL_TSAN_ACQUIRE(); /* pairs with every reader's release (guarantee 2) */
}

_Thread_local uint64_t hotlist__snap_installed;

void hotlist__snap_thread_prepare(void)
{
	/* what urcu_bp_read_lock() does on a thread's first call: add the
	 * thread to the reader registry (registry lock, maybe an mmap) */
	urcu_bp_register_thread();
}

/* ---- publication and reclamation ------------------------------------------------ */

/* Free a retired state and its list version, after its grace period. */
static void state_free(struct hl_state *st)
{
	struct hl_snap *snap = st->snap;
	bool heavy = st->heavy;
	hotlist__snap_list_free(snap, st->retired);
	hotlist__free(snap->a, st, sizeof(*st));
	/* relaxed: counters only (see "Bounded reclamation") */
	if (heavy)
		atomic_fetch_sub_explicit(&snap->retired_heavy, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&snap->retired, 1, memory_order_relaxed);
}

static void state_free_cb(struct rcu_head *head)
{
	struct hl_state *st =
		(struct hl_state *)((char *)head - offsetof(struct hl_state, rcu_head_storage));
	HL_TSAN_ACQUIRE(); /* pairs with every reader's release (guarantee 2) */
	state_free(st);
	HL_TSAN_RELEASE(); /* our reads of snap, before destroy frees it after the barrier */
}

static struct hl_state *state_copy(struct hl_snap *snap, const struct hl_state *old)
{
	struct hl_state *st = hotlist__zalloc(snap->a, sizeof(*st), HL_CACHE_LINE);
	if (!st)
		return NULL;
	if (old) {
		st->n = old->n;
		st->gen = old->gen;
		memcpy(st->lists, old->lists, sizeof(st->lists));
	}
	st->snap = snap;
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
 * never reach its pause point, so the parking must come before. Then the
 * recycler's lock (alloc.c), which a freeing callback may be waiting for.
 * Undone in reverse order after the fork, in parent and child alike.
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
	hotlist__recycle_fork_lock(); /* last: held only for a scan, by a writer or call_rcu */
}

void hotlist_fork_parent(void)
{
	hotlist__recycle_fork_unlock();
	urcu_bp_after_fork_parent();
	urcu_bp_call_rcu_after_fork_parent();
	pthread_mutex_unlock(&fork_gate);
}

void hotlist_fork_child(void)
{
	hotlist__recycle_fork_unlock();
	urcu_bp_after_fork_child();
	urcu_bp_call_rcu_after_fork_child();
	pthread_mutex_unlock(&fork_gate);
}

/* Publish st (which replaced `gone`, possibly NULL; heavy: gone holds a
 * base that st does not) and retire the old state, through call_rcu or,
 * past the bound (see "Bounded reclamation"), by waiting for the grace
 * period here. Caller holds wlock. Cannot fail: everything was allocated
 * before. */
static void publish(struct hl_snap *snap, struct hl_state *st, struct hl_list *gone, bool heavy)
{
	struct hl_state *old = atomic_load_explicit(&snap->state, memory_order_relaxed);
	/* release pairs with the acquire in hotlist__snap_enter (guarantee 1) */
	atomic_store_explicit(&snap->state, st, memory_order_release);
	heavy = heavy && gone;
	old->retired = gone;
	old->heavy = heavy;
	/* relaxed: counters; only wlock holders add, the callbacks subtract */
	unsigned all = atomic_fetch_add_explicit(&snap->retired, 1, memory_order_relaxed) + 1;
	unsigned hv = 0;
	if (heavy) {
		hv = atomic_fetch_add_explicit(&snap->retired_heavy, 1, memory_order_relaxed) + 1;
		unsigned max = atomic_load_explicit(&snap->retired_heavy_max, memory_order_relaxed);
		if (hv > max)
			atomic_store_explicit(&snap->retired_heavy_max, hv, memory_order_relaxed);
	}
	if (hv >= HL_RETIRED_HEAVY_MAX || all >= HL_RETIRED_MAX) {
		atomic_fetch_add_explicit(&snap->reclaim_waits, 1, memory_order_relaxed);
		urcu_bp_synchronize_rcu(); /* no reader holds old any more (guarantee 2) */
		HL_TSAN_ACQUIRE(); /* pairs with every reader's release, as state_free_cb */
		state_free(old);
		return;
	}
	HL_TSAN_RELEASE(); /* the writer's last touches of old, before reclamation */
	retire((struct rcu_head *)old->rcu_head_storage);
}

void hotlist__snap_reclaim_stats(struct hl_snap *snap, uint64_t *retired, uint64_t *heavy,
				 uint64_t *heavy_max, uint64_t *waits)
{
	/* relaxed: independent statistics */
	*retired = atomic_load_explicit(&snap->retired, memory_order_relaxed);
	*heavy = atomic_load_explicit(&snap->retired_heavy, memory_order_relaxed);
	*heavy_max = atomic_load_explicit(&snap->retired_heavy_max, memory_order_relaxed);
	*waits = atomic_load_explicit(&snap->reclaim_waits, memory_order_relaxed);
}

int hotlist__snap_install(struct hl_snap *snap, struct hl_list *l)
{
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, l->name);
	if (i < 0 && cur->n == HOTLIST_LISTS_MAX) {
		hotlist__snap_list_free(snap, l);
		return HOTLIST_ENOSPC;
	}
	struct hl_state *st = state_copy(snap, cur);
	if (!st) {
		hotlist__snap_list_free(snap, l);
		return HOTLIST_ENOMEM;
	}
	struct hl_list *gone = NULL;
	if (i < 0) {
		st->lists[st->n++] = l;
	} else {
		gone = st->lists[i];
		st->lists[i] = l;
	}
	st->gen = l->version;
	hotlist__snap_installed = l->version;
	publish(snap, st, gone, gone && gone->base != l->base);
	return 0;
}

int hotlist__snap_init(struct hl_snap *snap, const struct hotlist_allocator *a)
{
	snap->a = a;
	snap->next_version = 0;
	struct hl_state *st = state_copy(snap, NULL);
	if (!st)
		return HOTLIST_ENOMEM;
	atomic_init(&snap->state, st);
	atomic_init(&snap->retired, 0);
	atomic_init(&snap->retired_heavy, 0);
	atomic_init(&snap->retired_heavy_max, 0);
	atomic_init(&snap->reclaim_waits, 0);
	snap->edits_fold = HL_EDITS_FOLD;
	snap->fold_bg = HL_EDITS_BG_FOLD;
	snap->next_op = 0;
	memset(snap->replacing, 0, sizeof(snap->replacing));
	snap->replacing_any = 0;
	snap->folder_started = snap->fold_stop = false;
	snap->fold_busy = snap->fold_failed = false;
	snap->fold_hook = NULL;
	snap->fold_hook_arg = NULL;
	snap->folds_done = snap->folds_dropped = snap->folds_inline = 0;
	snap->grow_off = false;
	snap->grows_done = snap->grows_dropped = snap->grows_inline = 0;
	snap->grow_hook = NULL;
	snap->grow_hook_arg = NULL;
	if (pthread_mutex_init(&snap->wlock, NULL)) {
		hotlist__free(snap->a, st, sizeof(*st));
		return HOTLIST_ENOMEM;
	}
	if (pthread_cond_init(&snap->fold_cv, NULL)) {
		pthread_mutex_destroy(&snap->wlock);
		hotlist__free(snap->a, st, sizeof(*st));
		return HOTLIST_ENOMEM;
	}
	if (hotlist__snap_grow_init(snap)) {
		pthread_cond_destroy(&snap->fold_cv);
		pthread_mutex_destroy(&snap->wlock);
		hotlist__free(snap->a, st, sizeof(*st));
		return HOTLIST_ENOMEM;
	}
	return 0;
}

void hotlist__snap_fini(struct hl_snap *snap)
{
	hotlist__snap_fold_stop(snap); /* before the barrier: a fold may retire a version */
	urcu_bp_barrier(); /* every call_rcu() callback has run */
	struct hl_state *st = atomic_load_explicit(&snap->state, memory_order_relaxed);
	HL_TSAN_ACQUIRE();
	for (uint32_t i = 0; i < st->n; i++)
		hotlist__snap_list_free(snap, st->lists[i]);
	hotlist__free(snap->a, st, sizeof(*st));
	hotlist__snap_grow_fini(snap);
	pthread_cond_destroy(&snap->fold_cv);
	pthread_mutex_destroy(&snap->wlock);
}

int hotlist__snap_drop(struct hl_snap *snap, const char *name)
{
	pthread_mutex_lock(&snap->wlock);
	const struct hl_state *cur = atomic_load_explicit(&snap->state, memory_order_relaxed);
	int i = hotlist__snap_find(cur, name), rc = HOTLIST_ENOENT;
	struct hl_state *st = i < 0 ? NULL : state_copy(snap, cur);
	if (i >= 0 && !st)
		rc = HOTLIST_ENOMEM;
	if (st) {
		struct hl_list *gone = st->lists[i];
		memmove(&st->lists[i], &st->lists[i + 1],
			(st->n - (uint32_t)i - 1) * sizeof(void *));
		st->lists[--st->n] = NULL;
		publish(snap, st, gone, true);
		rc = 0;
	}
	pthread_mutex_unlock(&snap->wlock);
	return rc;
}
