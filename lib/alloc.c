/* SPDX-License-Identifier: MIT */
/*
 * alloc.c — the engine's allocator front end.
 *
 * Owns: the default struct hotlist_allocator and the three helpers every
 * module allocates through (hotlist__alloc, __zalloc, __free), so a caller's
 * allocator sees every byte the engine keeps. The one exception is csv.c's
 * scratch for one parse (its state and a ~320 KiB read buffer), taken with
 * malloc() and freed before the load returns.
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
 * No state of its own, so no memory-ordering contract.
 */
#include "alloc.h"

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
 * a 2 MiB page and advised MADV_HUGEPAGE: a 1 M-entry build touches ~150 MiB
 * of fresh memory, and with 4 KiB pages its page faults were a quarter of
 * the build time; random lookups also miss the TLB less. */
#define HL_HUGE_PAGE ((size_t)2 << 20)
#define HL_HUGE_MIN ((size_t)4 << 20)

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
	if (size >= HL_HUGE_MIN && align < HL_HUGE_PAGE)
		align = HL_HUGE_PAGE;
	void *p = a->alloc(a->ctx, size, align);
#ifdef MADV_HUGEPAGE
	if (p && size >= HL_HUGE_MIN) /* advice only: failure changes nothing */
		(void)madvise(p, size & ~(HL_HUGE_PAGE - 1), MADV_HUGEPAGE);
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
	a->free(a->ctx, p, size);
}
