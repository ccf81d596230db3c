/* SPDX-License-Identifier: MIT */
/*
 * alloc.c — the engine's allocator front end.
 *
 * Owns: the default struct hotlist_allocator and the three helpers every
 * module allocates through (hotlist__alloc, __zalloc, __free). Nothing else
 * in lib/ calls malloc/free directly, so a caller's allocator sees every byte.
 *
 * Default allocator:
 *  - built with HOTLIST_WITH_JEMALLOC: jemalloc's non-standard API,
 *    mallocx(size, MALLOCX_ALIGN(align)) and dallocx(p, 0) (see below for
 *    why not sdallocx);
 *  - otherwise (and in sanitizer builds, see below) C11 aligned_alloc() with
 *    the size rounded up to a multiple of the alignment (C11 requires it;
 *    glibc does not care, others do), and free().
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
 * Why dallocx and not sdallocx: struct hotlist_allocator's free callback
 * receives the size but not the alignment. jemalloc's sdallocx() derives the
 * size class from (size, MALLOCX_ALIGN(align)); asking for the class of a
 * 100-byte block without its 64-byte alignment gives 112 where 128 was
 * allocated, and jemalloc then files the block in the wrong bin (heap
 * corruption, not a crash). dallocx() looks the class up in jemalloc's own
 * radix tree instead: one extra lookup, on a path that only runs when a
 * snapshot or engine is freed. If the allocator interface ever carries the
 * alignment to free, switch to sdallocx.
 *
 * Threads: any; the default allocator is as thread-safe as jemalloc / libc.
 * No state of its own, so no memory-ordering contract.
 */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * Sanitizer builds allocate through libc even when built with jemalloc: the
 * sanitizers intercept malloc and free, not mallocx and dallocx, so through
 * jemalloc ASan would miss overflows and use-after-free of our blocks, and
 * TSan would see a block freed by one thread and reused by another as a race.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define HL_SANITIZED 1
#endif
#endif
#if defined(HOTLIST_WITH_JEMALLOC) && !defined(HL_SANITIZED)
#define HL_USE_JEMALLOC 1
#include <jemalloc/jemalloc.h>
#endif

/* The smallest alignment handed to an allocator: what malloc guarantees for a
 * pointer-sized object, and what aligned_alloc accepts everywhere. */
#define HL_MIN_ALIGN sizeof(void *)

static int is_pow2(size_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

#ifdef HL_USE_JEMALLOC
static void *default_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	return mallocx(size, MALLOCX_ALIGN(align));
}

static void default_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size; /* see the top comment: the alignment is unknown here */
	dallocx(p, 0);
}
#else
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
#endif

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
