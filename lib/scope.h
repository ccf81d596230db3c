/* SPDX-License-Identifier: MIT */
/*
 * scope.h — where and when a list applies (scope.c): camera id patterns
 * with '*' and '?', and a weekly mask of hours in local time (a fixed UTC
 * offset, or a named zone read from the system's TZif files). A
 * list without a scope applies to every read. Knows nothing of lists.
 * Uses: alloc.
 */
#ifndef HOTLIST_SCOPE_H
#define HOTLIST_SCOPE_H

#include "hotlist.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Camera patterns of one list: a handful in practice (a site, a road). */
#define HL_SCOPE_PATS 16

struct hl_tz_rule;
/* Verdicts remembered per scope, by camera-id hash: a site has tens to
 * hundreds of cameras; a miss costs one pattern walk, not a lookup. */
#define HL_SCOPE_CACHE 256

struct hl_scope {
	atomic_uint refs;
	unsigned n_pats; /* 0: every camera */
	char pats[HL_SCOPE_PATS][HOTLIST_CAMERA_MAX + 1];
	bool timed; /* days or hours given */
	uint32_t hours[7]; /* bit h of hours[d]: hour h of weekday d (0 = Monday), local */
	int32_t tz_off_s; /* local time = UTC + tz_off_s, when tz_at is NULL */
	/* A named zone (tz_at non-NULL): period i is [tz_at[i], tz_at[i + 1]) in
	 * UTC seconds with offset tz_off[i]; tz_at[0] = INT64_MIN; past
	 * tz_at[tz_n], tz_rule. One block of tz_bytes (engine allocator). */
	uint32_t tz_n;
	/* the period last found: readers load and store it relaxed (any index
	 * below tz_n is a valid hint; a lost store costs one binary search) */
	_Atomic uint32_t tz_hint;
	int64_t *tz_at;
	int32_t *tz_off;
	struct hl_tz_rule *tz_rule;
	size_t tz_bytes;
	/* camera hash with bit 0 replaced by the verdict; 0 = empty. Written by
	 * readers (relaxed: a racing store leaves one of two right verdicts) */
	_Atomic uint64_t cache[HL_SCOPE_CACHE];
};

/*
 * A scope from the public list options (cameras, days, hours, timezone),
 * or *out = NULL when they set none. 0, HOTLIST_EINVAL (with nothing
 * allocated), HOTLIST_ENOMEM. Writer.
 */
int hotlist__scope_new(struct hl_scope **out, const struct hotlist_list_options *o,
		       const struct hotlist_allocator *a);
static inline void hotlist__scope_get(struct hl_scope *s)
{
	if (s) /* relaxed: the caller holds a reference (as list.h's bases) */
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}
/* Drop a reference; frees at zero. NULL is fine. Any thread. */
void hotlist__scope_put(struct hl_scope *s, const struct hotlist_allocator *a);

/* The camera-id hash scope_allows wants (0 for no camera). Any thread. */
uint64_t hotlist__scope_camera_hash(const char *camera);
/* Whether a read from camera (hash h, NULL = none) at ts_us falls in the
 * scope. Any thread, wait-free; writes only the verdict cache. */
bool hotlist__scope_allows(struct hl_scope *s, const char *camera, uint64_t h, int64_t ts_us);

#endif /* HOTLIST_SCOPE_H */
