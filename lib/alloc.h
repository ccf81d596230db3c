/* SPDX-License-Identifier: MIT */
/*
 * alloc.h — the engine's allocator front end (alloc.c). Owns the default
 * struct hotlist_allocator and the helpers every module allocates through;
 * nothing else in lib/ calls malloc/free. Bottom layer: includes no other
 * module.
 */
#ifndef HOTLIST_ALLOC_H
#define HOTLIST_ALLOC_H

#include "hotlist.h"

#include <stddef.h>
#include <stdint.h>

/* The default allocator: aligned_alloc/free of whatever malloc the process
 * has (jemalloc in our own programs). Never NULL. */
const struct hotlist_allocator *hotlist__default_allocator(void);
void *hotlist__alloc(const struct hotlist_allocator *a, size_t size, size_t align);
void *hotlist__zalloc(const struct hotlist_allocator *a, size_t size, size_t align);
void hotlist__free(const struct hotlist_allocator *a, void *p, size_t size);
/* The bytes hotlist__alloc asks the allocator for when asked for size bytes
 * (0 for 0: nothing allocated): size, or more for blocks rounded to whole
 * huge pages. What every memory figure (hotlist_list_info, hotlist_stats,
 * bench lines) counts for a block, so that it reports what was allocated. */
size_t hotlist__alloc_bytes(size_t size);
/* Zero n bytes at p with a memset the compiler may not drop although the
 * memory is freed right after (what a window of reads keeps: retro.c,
 * second.c). */
void hotlist__wipe(void *p, size_t n);

/*
 * The recycler (alloc.c, "Recycling"): an allocator in front of another
 * that keeps a few freed blocks of HL_RECYCLE_MIN bytes or more and hands
 * them out again for asks of about their size, so that a list replaced
 * every day builds in the memory of its retired version instead of
 * faulting in and zeroing as much afresh. An engine allocates everything
 * through its recycler (iface); smaller blocks pass straight through.
 */
#define HL_RECYCLE_MIN ((size_t)1 << 20)
#define HL_RECYCLE_HELD 8u /* blocks held at most */
#define HL_RECYCLE_LENT 32u /* blocks handed out for a smaller ask, at most */

struct hl_recycle_block {
	void *p;
	size_t size; /* as allocated from under */
};

struct hl_recycle {
	struct hotlist_allocator iface; /* what the engine allocates through */
	const struct hotlist_allocator *under; /* the caller's, or the default */
	/* under the process-wide recycler lock: */
	struct hl_recycle_block held[HL_RECYCLE_HELD]; /* oldest first */
	unsigned n_held;
	struct hl_recycle_block lent[HL_RECYCLE_LENT]; /* p: NULL = free slot */
	/* statistics: changed under the lock, read without it (relaxed) */
	_Atomic uint64_t held_bytes;
	_Atomic uint64_t reused; /* blocks handed out again */
};

void hotlist__recycle_init(struct hl_recycle *r, const struct hotlist_allocator *under);
/* Give every held block back to under. Blocks still out stay the caller's
 * to free (through r->under is wrong for a lent one: free them first). */
void hotlist__recycle_fini(struct hl_recycle *r);
void hotlist__recycle_stats(struct hl_recycle *r, uint64_t *held_bytes, uint64_t *reused);
/* hotlist_fork_prepare/_parent/_child: the recycler lock over a fork. */
void hotlist__recycle_fork_lock(void);
void hotlist__recycle_fork_unlock(void);

#endif /* HOTLIST_ALLOC_H */
