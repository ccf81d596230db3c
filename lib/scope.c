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
 * of local hours. Days and hours are independent: hour h of day d is in
 * scope when d is among the days and h among the hours. Local time is UTC
 * plus a fixed offset ("+01:00", "-0500", "UTC") or the offset of a named
 * zone ("Europe/Amsterdam") at that instant, daylight saving included.
 *
 * Named zones are read once, when the scope is built (writer), from the
 * TZif file $TZDIR/NAME or /usr/share/zoneinfo/NAME (RFC 8536, version 2
 * or later: the 64-bit section and the footer). Names with "..", a leading
 * '/' or other than [A-Za-z0-9/_+-.] are refused, files over
 * HL_TZ_FILE_MAX, leap-second ("right/") zones and every count or index
 * that does not fit the file, likewise: HOTLIST_EINVAL, nothing kept. The
 * transitions become a table of periods [tz_at[i], tz_at[i + 1]) with their
 * offsets (adjacent equal offsets merged); the footer's POSIX TZ rule
 * ("CET-1CEST,M3.5.0,M10.5.0/3"; the M form only, Jn and n refused) is
 * expanded into the table up to HL_TZ_HORIZON_YEAR, and evaluated directly
 * beyond it. One table per scope, in one block of the engine allocator.
 *
 * Match time: the period last found is a relaxed atomic index (tz_hint);
 * a read in it costs two compares, another a binary search that stores the
 * new index. Any index is a valid hint, so racing readers stay wait-free
 * and right. A tzdata update is not seen until the options are set again.
 *
 * Threads: hotlist__scope_allows is called by readers, concurrently; it
 * reads the immutable part and loads/stores cache slots relaxed (a slot
 * holds a whole verdict or nothing; a torn or lost update only costs a
 * recomputation).
 */
#include "scope.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#define HL_US_PER_S INT64_C(1000000)

static void scope_free(struct hl_scope *s, const struct hotlist_allocator *a)
{
	if (s->tz_at)
		hotlist__free(a, s->tz_at, s->tz_bytes);
	hotlist__free(a, s, sizeof(*s));
}

void hotlist__scope_put(struct hl_scope *s, const struct hotlist_allocator *a)
{
	/* acq_rel: the last put must see every other holder's use (as bases) */
	if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		scope_free(s, a);
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

/* ---- named zones: TZif (RFC 8536) and the POSIX TZ footer rule ---- */

/* A TZif file larger than this is refused (the largest in tzdata is ~4 KiB
 * fat; 256 KiB leaves room for any sane zone). */
#define HL_TZ_FILE_MAX (256 * 1024)
#define HL_TZ_NAME_MAX 255
/* The footer rule is expanded into the transition table up to the end of
 * this year; later times evaluate the rule directly (uncached). */
#define HL_TZ_HORIZON_YEAR 2100
/* Offsets beyond this (seconds) are refused as corrupt (real ones: +-15 h). */
#define HL_TZ_OFF_MAX (26 * 3600)

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3u : 9u)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The year of a day count since 1970-01-01 (H. Hinnant). */
static int64_t year_of_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	return (int64_t)yoe + era * 400 + (mp >= 10);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a % b < 0) != (b < 0));
}

/* "Mm.w.d[/time]": day d (0 = Sunday) of week w (5 = last) of month m. */
struct hl_tz_mrule {
	unsigned m, w, d;
	int32_t time; /* seconds after local midnight, may be negative or > 24 h */
};

struct hl_tz_rule {
	int32_t std_off, dst_off; /* local = UTC + off */
	bool dst;
	struct hl_tz_mrule start, end; /* local times: start in std, end in dst */
};

static const char *tz_num(const char *p, int max, int *v)
{
	if (*p < '0' || *p > '9')
		return NULL;
	int n = 0;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (*p++ - '0');
		if (n > max)
			return NULL;
	}
	*v = n;
	return p;
}

/* [+-]hh[:mm[:ss]], hours up to max_h; seconds into *out. */
static const char *tz_hms(const char *p, int max_h, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!(p = tz_num(p, max_h, &h)))
		return NULL;
	if (*p == ':' &&
	    (!(p = tz_num(p + 1, 59, &m)) || (*p == ':' && !(p = tz_num(p + 1, 59, &sec)))))
		return NULL;
	*out = sign * (h * 3600 + m * 60 + sec);
	return p;
}

static const char *tz_name(const char *p)
{
	const char *q = p;
	if (*p == '<') {
		while (*++q && *q != '>')
			if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
			      (*q >= '0' && *q <= '9') || *q == '+' || *q == '-'))
				return NULL;
		return *q == '>' && q - p >= 4 ? q + 1 : NULL;
	}
	while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
		q++;
	return q - p >= 3 ? q : NULL;
}

static const char *tz_mrule(const char *p, struct hl_tz_mrule *r)
{
	int m, w, d;
	if (*p++ != 'M' || !(p = tz_num(p, 12, &m)) || *p++ != '.' || !(p = tz_num(p, 5, &w)) ||
	    *p++ != '.' || !(p = tz_num(p, 6, &d)) || m < 1 || w < 1)
		return NULL;
	r->m = (unsigned)m, r->w = (unsigned)w, r->d = (unsigned)d;
	r->time = 2 * 3600;
	if (*p == '/' && !(p = tz_hms(p + 1, 167, &r->time)))
		return NULL;
	return p;
}

/* A POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"): only the M form of
 * rules; Jn and n are refused. Note POSIX offsets are west-positive. */
static int parse_posix_tz(const char *p, struct hl_tz_rule *r)
{
	int32_t off;
	memset(r, 0, sizeof(*r));
	if (!(p = tz_name(p)) || !(p = tz_hms(p, 24, &off)))
		return HOTLIST_EINVAL;
	r->std_off = -off;
	if (!*p)
		return 0;
	if (!(p = tz_name(p)))
		return HOTLIST_EINVAL;
	r->dst = true;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = tz_hms(p, 24, &off)))
			return HOTLIST_EINVAL;
		r->dst_off = -off;
	}
	if (*p++ != ',' || !(p = tz_mrule(p, &r->start)) || *p++ != ',' ||
	    !(p = tz_mrule(p, &r->end)) || *p)
		return HOTLIST_EINVAL;
	return 0;
}

/* UTC seconds at which rule r fires in year y, local time given offset. */
static int64_t mrule_at(const struct hl_tz_mrule *r, int64_t y, int32_t off)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t first = days_from_civil(y, r->m, 1);
	unsigned wday1 = (unsigned)(((first + 4) % 7 + 7) % 7); /* 1970-01-01: Thursday (4) */
	unsigned len =
		mdays[r->m - 1] + (r->m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
	unsigned day = 1 + (r->d + 7 - wday1) % 7 + (r->w - 1) * 7;
	while (day > len)
		day -= 7;
	return (first + day - 1) * 86400 + r->time - off;
}

/* The offset the rule gives at UTC second t (beyond the table). */
static int32_t rule_offset(const struct hl_scope *s, int64_t t)
{
	const struct hl_tz_rule *r = s->tz_rule;
	if (!r->dst)
		return r->std_off;
	int64_t y = year_of_days(floor_div(t, 86400));
	int64_t a = mrule_at(&r->start, y, r->std_off), b = mrule_at(&r->end, y, r->dst_off);
	bool dst = a < b ? t >= a && t < b : t >= a || t < b;
	return dst ? r->dst_off : r->std_off;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Append period [at, ...) with offset off, merging equal neighbours. */
static void tz_push(struct hl_scope *s, int64_t at, int32_t off)
{
	if (s->tz_n && s->tz_off[s->tz_n - 1] == off)
		return;
	s->tz_at[s->tz_n] = at;
	s->tz_off[s->tz_n++] = off;
}

/* Build s's period table from a whole TZif file (buf, len). */
static int tzif_parse(struct hl_scope *s, const unsigned char *buf, size_t len,
		      const struct hotlist_allocator *a)
{
	uint32_t c[6]; /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
	if (len < 44 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2')
		return HOTLIST_EINVAL;
	for (int i = 0; i < 6; i++)
		c[i] = be32(buf + 20 + 4 * i);
	/* skip the v1 block (32-bit times) */
	size_t v1 = (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
	if (v1 > len - 44 || len - 44 - v1 < 44)
		return HOTLIST_EINVAL;
	const unsigned char *h = buf + 44 + v1, *end = buf + len;
	if (memcmp(h, "TZif", 4) != 0 || h[4] < '2')
		return HOTLIST_EINVAL;
	for (int i = 0; i < 6; i++)
		c[i] = be32(h + 20 + 4 * i);
	uint32_t isut = c[0], isstd = c[1], leap = c[2], timecnt = c[3], typecnt = c[4],
		 charcnt = c[5];
	/* leap-second ("right/") zones count TAI-ish seconds: refused */
	if (leap || typecnt == 0 || typecnt > 256 || charcnt == 0 || (isut && isut != typecnt) ||
	    (isstd && isstd != typecnt))
		return HOTLIST_EINVAL;
	size_t body = (size_t)timecnt * 9 + (size_t)typecnt * 6 + charcnt + isstd + isut;
	if (body > (size_t)(end - h) - 44)
		return HOTLIST_EINVAL;
	const unsigned char *times = h + 44, *idx = times + (size_t)timecnt * 8,
			    *types = idx + timecnt, *foot = h + 44 + body;
	int32_t offs[256];
	for (uint32_t i = 0; i < typecnt; i++) {
		int32_t o = (int32_t)be32(types + 6 * i);
		if (o < -HL_TZ_OFF_MAX || o > HL_TZ_OFF_MAX || types[6 * i + 4] > 1 ||
		    types[6 * i + 5] >= charcnt)
			return HOTLIST_EINVAL;
		offs[i] = o;
	}
	for (uint32_t i = 0; i < timecnt; i++)
		if (idx[i] >= typecnt || (i && be64(times + 8 * i) <= be64(times + 8 * (i - 1))))
			return HOTLIST_EINVAL;
	/* footer: "\n" TZ string "\n" */
	char tzstr[128];
	const unsigned char *nl = foot < end && *foot == '\n' ?
					  memchr(foot + 1, '\n', (size_t)(end - foot - 1)) :
					  NULL;
	if (!nl || (size_t)(nl - foot - 1) >= sizeof(tzstr))
		return HOTLIST_EINVAL;
	memcpy(tzstr, foot + 1, (size_t)(nl - foot - 1));
	tzstr[nl - foot - 1] = '\0';
	struct hl_tz_rule rule;
	bool has_rule = tzstr[0] != '\0';
	if (has_rule && parse_posix_tz(tzstr, &rule))
		return HOTLIST_EINVAL;
	if (!has_rule) /* nothing said after the last transition: it stays */
		rule = (struct hl_tz_rule){ .std_off = offs[timecnt ? idx[timecnt - 1] : 0] };

	int64_t last = timecnt ? be64(times + 8 * (timecnt - 1)) : INT64_MIN;
	int64_t y0 = timecnt ? year_of_days(floor_div(last, 86400)) : 1970;
	y0 = y0 < 1800 ? 1800 : y0 > HL_TZ_HORIZON_YEAR ? HL_TZ_HORIZON_YEAR : y0;
	size_t cap = 2 + (size_t)timecnt + 2 * (size_t)(HL_TZ_HORIZON_YEAR - y0 + 1);
	size_t bytes = cap * sizeof(int64_t) + cap * sizeof(int32_t) + sizeof(rule);
	unsigned char *mem = hotlist__alloc(a, bytes, 8);
	if (!mem)
		return HOTLIST_ENOMEM;
	s->tz_at = (int64_t *)mem;
	s->tz_off = (int32_t *)(mem + cap * sizeof(int64_t));
	s->tz_rule = (struct hl_tz_rule *)(mem + cap * (sizeof(int64_t) + sizeof(int32_t)));
	*s->tz_rule = rule;
	s->tz_bytes = bytes;
	s->tz_n = 0;
	tz_push(s, INT64_MIN, offs[0]); /* before the first transition: type 0 */
	for (uint32_t i = 0; i < timecnt; i++)
		tz_push(s, be64(times + 8 * i), offs[idx[i]]);
	int64_t table_end = INT64_MAX;
	if (rule.dst) {
		for (int64_t y = y0; y <= HL_TZ_HORIZON_YEAR + 1; y++) {
			int64_t on = mrule_at(&rule.start, y, rule.std_off),
				off = mrule_at(&rule.end, y, rule.dst_off);
			int64_t t1 = on < off ? on : off, t2 = on < off ? off : on;
			int32_t o1 = on < off ? rule.dst_off : rule.std_off,
				o2 = on < off ? rule.std_off : rule.dst_off;
			if (y > HL_TZ_HORIZON_YEAR) {
				table_end = t1;
				break;
			}
			if (t1 > last)
				tz_push(s, t1, o1);
			if (t2 > last)
				tz_push(s, t2, o2);
		}
	} else if (timecnt == 0 || rule.std_off != s->tz_off[s->tz_n - 1]) {
		tz_push(s, last == INT64_MIN ? INT64_MIN + 1 : last + 1, rule.std_off);
	}
	s->tz_at[s->tz_n] = table_end; /* the end of the last period */
	return 0;
}

/* Read zone name from $TZDIR or /usr/share/zoneinfo into s. Writer. */
static int load_zone(struct hl_scope *s, const char *name, const struct hotlist_allocator *a)
{
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen > HL_TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
		return HOTLIST_EINVAL;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("/_+-.", *p)))
			return HOTLIST_EINVAL;
	const char *dir = getenv("TZDIR");
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
			 name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return HOTLIST_EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return HOTLIST_EINVAL;
	struct stat st;
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = HOTLIST_EINVAL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= HL_TZ_FILE_MAX) {
		len = (size_t)st.st_size;
		buf = hotlist__alloc(a, len, 8);
		rc = buf ? 0 : HOTLIST_ENOMEM;
		for (size_t got = 0; !rc && got < len;) {
			ssize_t r = read(fd, buf + got, len - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				rc = HOTLIST_EINVAL; /* error, or shrank under us */
			else
				got += (size_t)r;
		}
	}
	close(fd);
	if (!rc)
		rc = tzif_parse(s, buf, len, a);
	if (buf)
		hotlist__free(a, buf, len);
	return rc;
}

/* The offset at UTC second t: the cached period (two compares), else a
 * binary search that caches what it finds, else the rule (beyond 2100). */
static int32_t zone_offset(struct hl_scope *s, int64_t t)
{
	uint32_t i = atomic_load_explicit(&s->tz_hint, memory_order_relaxed);
	if (t >= s->tz_at[i] && t < s->tz_at[i + 1])
		return s->tz_off[i];
	if (t >= s->tz_at[s->tz_n])
		return rule_offset(s, t);
	uint32_t lo = 0, hi = s->tz_n - 1; /* tz_at[lo] <= t; tz_at[0] is INT64_MIN */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if (s->tz_at[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	atomic_store_explicit(&s->tz_hint, lo, memory_order_relaxed);
	return s->tz_off[lo];
}

/* A fixed offset ("+01:00", "UTC", NULL) or a zone name ("Europe/Amsterdam"). */
static int set_tz(struct hl_scope *s, const char *tz, const struct hotlist_allocator *a)
{
	if (!tz || !*tz || tz[0] == '+' || tz[0] == '-' || strcmp(tz, "UTC") == 0 ||
	    strcmp(tz, "Z") == 0)
		return parse_tz(tz, &s->tz_off_s);
	return load_zone(s, tz, a);
}

int hotlist__scope_new(struct hl_scope **out, const struct hotlist_list_options *o,
		       const struct hotlist_allocator *a)
{
	*out = NULL;
	if (o->struct_size < sizeof(*o))
		return 0; /* a caller built before scopes: none */
	bool any = (o->cameras && *o->cameras) || (o->days && *o->days) || (o->hours && *o->hours);
	if (!any && !(o->timezone && *o->timezone))
		return 0;
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
		rc = set_tz(s, o->timezone, a);
	if (rc || !any) { /* a timezone alone is checked, and no scope */
		scope_free(s, a);
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

static bool time_allowed(struct hl_scope *s, int64_t ts_us)
{
	int64_t secs = ts_us / HL_US_PER_S - (ts_us % HL_US_PER_S < 0);
	secs += s->tz_at ? zone_offset(s, secs) : s->tz_off_s;
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
