/* SPDX-License-Identifier: MIT */
/*
 * suppress.h — repeat-hit suppression (suppress.c). Owns struct
 * hl_suppress, the lock-free (entry, camera) -> last hit table. Uses: alloc.
 */
#ifndef HOTLIST_SUPPRESS_H
#define HOTLIST_SUPPRESS_H

#include "hotlist.h"

#include <stdint.h>

struct hl_suppress;

int hotlist__suppress_create(struct hl_suppress **out, int64_t window_us,
			     const struct hotlist_allocator *a);
void hotlist__suppress_destroy(struct hl_suppress *s, const struct hotlist_allocator *a);
/*
 * Returns 1 if a hit of entry `entry_id` by camera `camera_id` at ts_us is a
 * repeat within the window (suppress it), else 0 and records it. Lock-free.
 * A table too full to record answers 0 (a hit is never lost to suppression).
 */
int hotlist__suppress_check(struct hl_suppress *s, uint64_t entry_id, uint64_t camera_id,
			    int64_t ts_us);

#endif /* HOTLIST_SUPPRESS_H */
