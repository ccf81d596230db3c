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

/* The default allocator: aligned_alloc/free of whatever malloc the process
 * has (jemalloc in our own programs). Never NULL. */
const struct hotlist_allocator *hotlist__default_allocator(void);
void *hotlist__alloc(const struct hotlist_allocator *a, size_t size, size_t align);
void *hotlist__zalloc(const struct hotlist_allocator *a, size_t size, size_t align);
void hotlist__free(const struct hotlist_allocator *a, void *p, size_t size);

#endif /* HOTLIST_ALLOC_H */
