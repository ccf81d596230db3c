/* SPDX-License-Identifier: MIT */
/*
 * alloc.c — the engine's allocator front end.
 *
 * Owns: the default struct hotlist_allocator and the three helpers every
 * module allocates through (hotlist__alloc, __zalloc, __free), so a caller's
 * allocator sees every byte the engine takes, a file load's read buffer
 * included. Nothing else in lib/ calls malloc/free (tools/check_alloc.py,
 * run by ctest, keeps it so).
 *
 * Default allocator: C11 aligned_alloc() with the size rounded up to a
 * multiple of the alignment (C11 requires it; glibc does not care, others
 * do), and free(). The library links no allocator of its own: it serves
 * whatever malloc the process has. Linking jemalloc into the library made
 * it unloadable with dlopen() (jemalloc's initial-exec TLS needs a static
 * TLS block that a late-loaded library cannot get) and, linked statically,
 * replaced the caller's malloc behind its back. Processes that are ours (the
 * hotlist program, tests, benchmarks) link jemalloc (HOTLIST_JEMALLOC), and
 * it then serves these calls; a caller can do the same, or pass its own
 * struct hotlist_allocator in the configuration.
 *
 * Invariants the helpers add on top of any allocator:
 *  - size 0 is treated as 1, so a successful allocation is never NULL and
 *    size-0 objects still have distinct addresses;
 *  - an alignment below sizeof(void *) is raised to it; one that is not a
 *    power of two fails (NULL);
 *  - the size handed to a->free is the size handed to a->alloc (after the
 *    0 -> 1 rule), so sized-free allocators work;
 *  - hotlist__free(a, NULL, n) does nothing.
 *
 * Threads: any; the default allocator is as thread-safe as the malloc it calls.
 * The recycler's lists ("Recycling", below) are under one mutex, its two
 * counters relaxed atomics (statistics); nothing else has state, so no
 * memory-ordering contract.
 */
#include "alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The smallest alignment handed to an allocator: what malloc guarantees for a
 * pointer-sized object, and what aligned_alloc accepts everywhere. */
#define HL_MIN_ALIGN sizeof(void *)

static int is_pow2(size_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static void *default_alloc(void *ctx, size_t size, size_t align)
{
	size_t rounded;

	(void)ctx;
	if (size > SIZE_MAX - (align - 1))
		return NULL;
	rounded = (size + align - 1) & ~(align - 1);
	return aligned_alloc(align, rounded);
}

static void default_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	free(p);
}

static const struct hotlist_allocator default_allocator = {
	.alloc = default_alloc,
	.free = default_free,
	.ctx = NULL,
};

const struct hotlist_allocator *hotlist__default_allocator(void)
{
	return &default_allocator;
}

/*
 * Allocate size bytes aligned to align through a (NULL = the default).
 * Returns NULL if the allocator does, or if align is not a power of two.
 */
/* Blocks this large (list builds: entries, metadata, indexes) are aligned to
 * a 2 MiB page, rounded up to whole 2 MiB pages and advised MADV_HUGEPAGE: a
 * 1 M-entry build touches ~150 MiB of fresh memory, and with 4 KiB pages its
 * page faults were a quarter of the build time; random lookups also miss
 * the TLB less. The rounding matters for the lookups: advising only the
 * whole pages inside the block left its tail on 4 KiB pages (1.95 of the
 * 17.95 MiB of a 1 M-entry index, 11 % of its buckets), and on this project's
 * VM a lookup that misses the TLB on a 4 KiB page takes ~5 us about once in a
 * hundred (bench_latency's touch_read_64mib peer): the single call's p99.9
 * was 5.7-6.7 us with the tails, ~1.3 us with every block on huge pages
 * (docs/PERFORMANCE.md, "Inline p99.9 on an idle core"). The rounding costs
 * < 2 MiB a block, under 1/2 of a block of >= HL_HUGE_MIN; the memory figures
 * (hotlist_list_info, hotlist_stats) count it: each block as
 * hotlist__alloc_bytes() of its size. */
#define HL_HUGE_PAGE ((size_t)2 << 20)
#define HL_HUGE_MIN ((size_t)4 << 20)

/* The size handed to the allocator for a request of size bytes (>= 1): the
 * same for hotlist__alloc and hotlist__free, so sized frees see it too. */
static size_t alloc_size(size_t size)
{
	if (size >= HL_HUGE_MIN && size <= SIZE_MAX - HL_HUGE_PAGE)
		size = (size + HL_HUGE_PAGE - 1) & ~(HL_HUGE_PAGE - 1);
	return size;
}

size_t hotlist__alloc_bytes(size_t size)
{
	return size ? alloc_size(size) : 0;
}

void *hotlist__alloc(const struct hotlist_allocator *a, size_t size, size_t align)
{
	if (!a)
		a = &default_allocator;
	if (align < HL_MIN_ALIGN)
		align = HL_MIN_ALIGN;
	if (!is_pow2(align))
		return NULL;
	if (size == 0)
		size = 1;
	size = alloc_size(size);
	if (size >= HL_HUGE_MIN && align < HL_HUGE_PAGE)
		align = HL_HUGE_PAGE;
	void *p = a->alloc(a->ctx, size, align);
#ifdef MADV_HUGEPAGE
	/* Advice only: failure changes nothing. A caller's allocator may not
	 * have aligned p as asked; advise only the whole pages then. */
	if (p && size >= HL_HUGE_MIN) {
		uintptr_t lo = ((uintptr_t)p + HL_HUGE_PAGE - 1) & ~(HL_HUGE_PAGE - 1);
		uintptr_t hi = ((uintptr_t)p + size) & ~(HL_HUGE_PAGE - 1);

		if (hi > lo)
			(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
	}
#endif
	return p;
}

/* hotlist__alloc, then zeroed. */
void *hotlist__zalloc(const struct hotlist_allocator *a, size_t size, size_t align)
{
	void *p = hotlist__alloc(a, size, align);

	if (p)
		memset(p, 0, size);
	return p;
}

/* Free p, allocated from a with this size (the size asked for, 0 allowed). */
void hotlist__free(const struct hotlist_allocator *a, void *p, size_t size)
{
	if (!p)
		return;
	if (!a)
		a = &default_allocator;
	if (size == 0)
		size = 1;
	a->free(a->ctx, p, alloc_size(size));
}

void hotlist__wipe(void *p, size_t n)
{
	memset(p, 0, n);
	__asm__ volatile("" : : "r"(p) : "memory"); /* the empty asm may read it */
}

/*
 * Recycling. A replace of a 1 M-entry list allocates ~100 MB of big arrays
 * (entries, strings, index) and the version it replaces frees as much a
 * grace period later. Handed back to malloc, those pages were faulted in
 * and zeroed again by the next build (a quarter of its time): glibc unmaps
 * blocks that large at once, jemalloc purges them as they age. So an
 * engine allocates through a recycler that keeps up to HL_RECYCLE_HELD
 * freed blocks of HL_RECYCLE_MIN bytes or more (in practice the arrays of
 * the last retired version and the build's temporaries) and hands one out
 * again for an ask of at most its size and at least 4/5 of it, suitably
 * aligned. A block handed out for a smaller ask is remembered in lent with
 * its real size, so that the allocator below is freed with the size it
 * allocated (sized-free allocators work); while lent is full only exact
 * sizes are reused. Past HL_RECYCLE_HELD, the oldest held block goes back
 * to the allocator below. The memory held is thus at most HL_RECYCLE_HELD
 * blocks, each one the engine really used; hotlist_stats reports it
 * (recycled_bytes) and hotlist_destroy gives it back.
 *
 * Reused memory is not cleared: every user of a block writes it before it
 * reads it (hotlist__zalloc clears above this layer), as with malloc.
 *
 * Threads: writers allocate, the call_rcu thread frees retired versions,
 * so the lists are under one process-wide lock, held for a scan of a few
 * slots and never across a call to the allocator below; hotlist's fork
 * hooks take it so that a fork never leaves it held in the child.
 */
static pthread_mutex_t recycle_mu = PTHREAD_MUTEX_INITIALIZER;

static void *recycle_alloc(void *ctx, size_t size, size_t align)
{
	struct hl_recycle *r = ctx;
	if (size < HL_RECYCLE_MIN)
		return r->under->alloc(r->under->ctx, size, align);
	void *p = NULL;
	pthread_mutex_lock(&recycle_mu);
	unsigned best = HL_RECYCLE_HELD, slot = HL_RECYCLE_LENT;
	for (unsigned i = 0; i < HL_RECYCLE_LENT && slot == HL_RECYCLE_LENT; i++)
		if (!r->lent[i].p)
			slot = i;
	for (unsigned i = 0; i < r->n_held; i++) {
		const struct hl_recycle_block *b = &r->held[i];
		if (b->size < size || b->size - size > b->size / 5 ||
		    ((uintptr_t)b->p & (align - 1)) || (b->size != size && slot == HL_RECYCLE_LENT))
			continue;
		if (best == HL_RECYCLE_HELD || b->size < r->held[best].size)
			best = i;
	}
	if (best < HL_RECYCLE_HELD) {
		struct hl_recycle_block b = r->held[best];
		memmove(&r->held[best], &r->held[best + 1],
			(r->n_held - best - 1) * sizeof(r->held[0]));
		r->n_held--;
		atomic_fetch_sub_explicit(&r->held_bytes, b.size, memory_order_relaxed);
		atomic_fetch_add_explicit(&r->reused, 1, memory_order_relaxed);
		if (b.size != size)
			r->lent[slot] = b;
		p = b.p;
	}
	pthread_mutex_unlock(&recycle_mu);
	return p ? p : r->under->alloc(r->under->ctx, size, align);
}

static void recycle_free(void *ctx, void *p, size_t size)
{
	struct hl_recycle *r = ctx;
	if (size < HL_RECYCLE_MIN) {
		r->under->free(r->under->ctx, p, size);
		return;
	}
	struct hl_recycle_block b = { p, size }, out = { NULL, 0 };
	pthread_mutex_lock(&recycle_mu);
	for (unsigned i = 0; i < HL_RECYCLE_LENT; i++) {
		if (r->lent[i].p == p) {
			b.size = r->lent[i].size;
			r->lent[i].p = NULL;
			break;
		}
	}
	if (r->n_held == HL_RECYCLE_HELD) { /* the oldest goes */
		out = r->held[0];
		memmove(&r->held[0], &r->held[1], (HL_RECYCLE_HELD - 1) * sizeof(r->held[0]));
		r->n_held--;
		atomic_fetch_sub_explicit(&r->held_bytes, out.size, memory_order_relaxed);
	}
	r->held[r->n_held++] = b;
	atomic_fetch_add_explicit(&r->held_bytes, b.size, memory_order_relaxed);
	pthread_mutex_unlock(&recycle_mu);
	if (out.p)
		r->under->free(r->under->ctx, out.p, out.size);
}

void hotlist__recycle_init(struct hl_recycle *r, const struct hotlist_allocator *under)
{
	memset(r, 0, sizeof(*r));
	atomic_init(&r->held_bytes, 0);
	atomic_init(&r->reused, 0);
	r->under = under ? under : &default_allocator;
	r->iface = (struct hotlist_allocator){ recycle_alloc, recycle_free, r };
}

void hotlist__recycle_fini(struct hl_recycle *r)
{
	pthread_mutex_lock(&recycle_mu);
	struct hl_recycle_block held[HL_RECYCLE_HELD];
	unsigned n = r->n_held;
	memcpy(held, r->held, n * sizeof(held[0]));
	r->n_held = 0;
	atomic_store_explicit(&r->held_bytes, 0, memory_order_relaxed);
	pthread_mutex_unlock(&recycle_mu);
	for (unsigned i = 0; i < n; i++)
		r->under->free(r->under->ctx, held[i].p, held[i].size);
}

void hotlist__recycle_stats(struct hl_recycle *r, uint64_t *held_bytes, uint64_t *reused)
{
	/* relaxed, without the lock: statistics (hotlist_stats is wait-free) */
	*held_bytes = atomic_load_explicit(&r->held_bytes, memory_order_relaxed);
	*reused = atomic_load_explicit(&r->reused, memory_order_relaxed);
}

void hotlist__recycle_fork_lock(void)
{
	pthread_mutex_lock(&recycle_mu);
}

void hotlist__recycle_fork_unlock(void)
{
	pthread_mutex_unlock(&recycle_mu);
}
