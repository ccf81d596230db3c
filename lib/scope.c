/* SPDX-License-Identifier: MIT */
/*
 * scope.c — list scopes: which cameras and which hours a list applies to.
 *
 * Owns struct hl_scope: immutable once built but for its verdict cache,
 * shared by the versions of one list (reference counted, like a base).
 *
 * Cameras: comma-separated patterns over the camera id, '*' any run (maybe
 * empty), '?' one byte, everything else literal and case-sensitive. A read
 * without a camera id is out of every camera scope (nothing says where it
 * was taken). The verdict for a camera id is cached by its 64-bit XXH3 hash
 * in a direct-mapped table of HL_SCOPE_CACHE slots, so a stream from a few
 * hundred cameras walks the patterns once per camera; a collision of two
 * ids' full hashes (2^-64) would reuse a verdict.
 *
 * Time: days ("mon-fri", "sat,sun", "mon,wed-fri") and hours ("7-19": from
 * 07:00 to 18:59; "22-6" wraps midnight; "7-9,16-19") give a 7 x 24 mask
 * of local hours; local time is UTC plus a fixed offset ("+01:00", "-0500",
 * "UTC"). Named zones and daylight saving time are not followed: set the
 * offset again when the clocks change. Days and hours are independent: hour
 * h of day d is in scope when d is among the days and h among the hours.
 *
 * Threads: hotlist__scope_allows is called by readers, concurrently; it
 * reads the immutable part and loads/stores cache slots relaxed (a slot
 * holds a whole verdict or nothing; a torn or lost update only costs a
 * recomputation).
 */
#include "scope.h"

#include "alloc.h"

#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#define HL_US_PER_S INT64_C(1000000)

void hotlist__scope_put(struct hl_scope *s, const struct hotlist_allocator *a)
{
	/* acq_rel: the last put must see every other holder's use (as bases) */
	if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		hotlist__free(a, s, sizeof(*s));
}

static int parse_cameras(struct hl_scope *s, const char *c)
{
	while (*c) {
		const char *end = strchr(c, ',');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		while (len && c[0] == ' ')
			c++, len--;
		while (len && c[len - 1] == ' ')
			len--;
		if (len == 0 || len > HOTLIST_CAMERA_MAX || s->n_pats == HL_SCOPE_PATS)
			return HOTLIST_EINVAL;
		memcpy(s->pats[s->n_pats], c, len);
		s->pats[s->n_pats++][len] = '\0';
		c += (end ? (size_t)(end - c) + 1 : strlen(c));
	}
	return s->n_pats ? 0 : HOTLIST_EINVAL;
}

static int day_of(const char *s, size_t len)
{
	static const char *const names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	char low[4];
	if (len != 3)
		return -1;
	for (int i = 0; i < 3; i++)
		low[i] = (char)(s[i] | 0x20);
	low[3] = '\0';
	for (int d = 0; d < 7; d++)
		if (strcmp(low, names[d]) == 0)
			return d;
	return -1;
}

static int hour_of(const char *s, size_t len)
{
	if (len == 0 || len > 2 || s[0] < '0' || s[0] > '9' ||
	    (len == 2 && (s[1] < '0' || s[1] > '9')))
		return -1;
	int h = len == 2 ? (s[0] - '0') * 10 + s[1] - '0' : s[0] - '0';
	return h <= 24 ? h : -1;
}

/* A comma-separated list of items or ranges ("a-b", wrapping) into a bit
 * mask of n values; item() parses one. For hours, "a-b" is a..b-1. */
static int parse_ranges(const char *s, int n, int (*item)(const char *, size_t), int half_open,
			uint32_t *mask)
{
	*mask = 0;
	while (*s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *dash = memchr(s, '-', len);
		int a = item(s, dash ? (size_t)(dash - s) : len);
		int b = dash ? item(dash + 1, len - (size_t)(dash + 1 - s)) : a;
		if (a < 0 || b < 0 || a >= n + half_open || b > n - 1 + half_open)
			return HOTLIST_EINVAL;
		a %= n;
		if (!dash && half_open) /* one hour: "7" is 07:00-07:59 */
			b = a + 1;
		if (!half_open)
			b = (b + 1) % n; /* inclusive end to exclusive */
		b %= n;
		int i = a;
		do {
			*mask |= UINT32_C(1) << i;
			i = (i + 1) % n;
		} while (i != b);
		s += len + (end ? 1 : 0);
	}
	return *mask ? 0 : HOTLIST_EINVAL;
}

static int parse_tz(const char *s, int32_t *out)
{
	if (!s || !*s || strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
		*out = 0;
		return 0;
	}
	int sign = s[0] == '+' ? 1 : s[0] == '-' ? -1 : 0, h, m = 0;
	if (!sign)
		return HOTLIST_EINVAL;
	s++;
	if (strlen(s) == 5 && s[2] == ':' && sscanf(s, "%2d:%2d", &h, &m) == 2) {
	} else if (strlen(s) == 4 && sscanf(s, "%2d%2d", &h, &m) == 2) {
	} else if (strlen(s) <= 2 && sscanf(s, "%2d", &h) == 1) {
	} else {
		return HOTLIST_EINVAL;
	}
	if (h > 14 || m > 59 || h < 0 || m < 0)
		return HOTLIST_EINVAL;
	*out = sign * (h * 3600 + m * 60);
	return 0;
}

int hotlist__scope_new(struct hl_scope **out, const struct hotlist_list_options *o,
		       const struct hotlist_allocator *a)
{
	*out = NULL;
	if (o->struct_size < sizeof(*o))
		return 0; /* a caller built before scopes: none */
	bool any = (o->cameras && *o->cameras) || (o->days && *o->days) || (o->hours && *o->hours);
	if (!any)
		return o->timezone && parse_tz(o->timezone, &(int32_t){ 0 }) ? HOTLIST_EINVAL : 0;
	struct hl_scope *s = hotlist__zalloc(a, sizeof(*s), 64);
	if (!s)
		return HOTLIST_ENOMEM;
	atomic_init(&s->refs, 1);
	uint32_t days = 0x7f, hours = 0xffffff;
	int rc = 0;
	if (o->cameras && *o->cameras)
		rc = parse_cameras(s, o->cameras);
	if (!rc && o->days && *o->days)
		rc = parse_ranges(o->days, 7, day_of, 0, &days);
	if (!rc && o->hours && *o->hours)
		rc = parse_ranges(o->hours, 24, hour_of, 1, &hours);
	if (!rc)
		rc = parse_tz(o->timezone, &s->tz_off_s);
	if (rc) {
		hotlist__free(a, s, sizeof(*s));
		return rc;
	}
	s->timed = (o->days && *o->days) || (o->hours && *o->hours);
	for (int d = 0; d < 7; d++)
		s->hours[d] = (days >> d & 1) ? hours : 0;
	*out = s;
	return 0;
}

uint64_t hotlist__scope_camera_hash(const char *camera)
{
	return camera ? XXH3_64bits(camera, strlen(camera)) | 2 : 0; /* never 0, bit 0 free */
}

/* Glob match: '*' any run, '?' one byte. Iterative with one backtrack
 * point, O(len(p) * len(s)) at worst. */
static bool glob(const char *p, const char *s)
{
	const char *star = NULL, *retry = NULL;
	while (*s) {
		if (*p == '*') {
			star = ++p;
			retry = s;
		} else if (*p && (*p == '?' || *p == *s)) {
			p++, s++;
		} else if (star) {
			p = star;
			s = ++retry;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool camera_allowed(struct hl_scope *s, const char *camera, uint64_t h)
{
	if (!camera)
		return false;
	_Atomic uint64_t *slot = &s->cache[(h >> 8) % HL_SCOPE_CACHE];
	uint64_t v = atomic_load_explicit(slot, memory_order_relaxed);
	if ((v | 1) == (h | 1))
		return v & 1;
	bool ok = false;
	for (unsigned i = 0; i < s->n_pats && !ok; i++)
		ok = glob(s->pats[i], camera);
	atomic_store_explicit(slot, (h & ~UINT64_C(1)) | ok, memory_order_relaxed);
	return ok;
}

static bool time_allowed(const struct hl_scope *s, int64_t ts_us)
{
	int64_t secs = ts_us / HL_US_PER_S - (ts_us % HL_US_PER_S < 0) + s->tz_off_s;
	int64_t days = secs / 86400 - (secs % 86400 < 0);
	int hour = (int)((secs - days * 86400) / 3600);
	int wday = (int)(((days + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday: 3 */
	return s->hours[wday] >> hour & 1;
}

bool hotlist__scope_allows(struct hl_scope *s, const char *camera, uint64_t h, int64_t ts_us)
{
	if (s->n_pats && !camera_allowed(s, camera, h))
		return false;
	return !s->timed || time_allowed(s, ts_us);
}
