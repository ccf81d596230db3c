/* SPDX-License-Identifier: MIT */
/*
 * Scopes in named time zones (scope.c): the TZif reader, the POSIX TZ
 * footer rule and the cached period lookup. Oracles: fixed instants worked
 * out by hand (and checked against Python's zoneinfo), and glibc's
 * localtime_r reading the same zone files. Skips (77) when the system has
 * no tzdata (/usr/share/zoneinfo/Europe/Amsterdam).
 */
#include "hotlist.h"
#include "testutil.h"

#include "scope.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define S INT64_C(1000000) /* one second in microseconds */
#define H (3600 * S)
#define D (24 * H)
/* 2026-01-05 (a Monday) and 2026-07-06 (a Monday), 00:00 UTC, in µs */
#define JAN (INT64_C(1767571200) * S)
#define JUL (JAN + 182 * D)
/* 00:00 UTC of the EU switch days 2026-03-29, 2026-10-25, 2150-03-29 */
#define MAR26 (INT64_C(1774742400) * S)
#define OCT26 (INT64_C(1792886400) * S)
#define MAR50 (INT64_C(5687798400) * S)
/* 00:00 UTC of the US switch days 2026-03-08 and 2026-11-01 */
#define USMAR (INT64_C(1772928000) * S)
#define USNOV (INT64_C(1793491200) * S)

/* A counting allocator: what a refused zone leaves allocated. */
static _Atomic long live_bytes;
static void *c_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	void *p = aligned_alloc(align, (size + align - 1) / align * align);
	if (p)
		atomic_fetch_add(&live_bytes, (long)size);
	return p;
}
static void c_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	atomic_fetch_sub(&live_bytes, (long)size);
	free(p);
}
static const struct hotlist_allocator counting = { c_alloc, c_free, NULL };

static bool have_tzdata(void)
{
	return access("/usr/share/zoneinfo/Europe/Amsterdam", R_OK) == 0;
}

static int scope(struct hl_scope **s, const char *hours, const char *tz)
{
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.hours = hours;
	o.timezone = tz;
	return hotlist__scope_new(s, &o, &counting);
}

static bool in(struct hl_scope *s, int64_t ts_us)
{
	return hotlist__scope_allows(s, NULL, 0, ts_us);
}

START_TEST(amsterdam_night)
{
	struct hl_scope *s, *fixed;
	ck_assert_int_eq(scope(&s, "22-6", "Europe/Amsterdam"), 0);
	ck_assert_int_eq(scope(&fixed, "22-6", "+01:00"), 0);
	ck_assert_ptr_nonnull(s);
	/* January, CET (+1): 22:00 local = 21:00 UTC, 06:00 local = 05:00 UTC */
	ck_assert(!in(s, JAN + 21 * H - S)); /* 21:59:59 */
	ck_assert(in(s, JAN + 21 * H)); /* 22:00 */
	ck_assert(in(s, JAN + 29 * H - S)); /* 05:59:59 */
	ck_assert(!in(s, JAN + 29 * H)); /* 06:00 */
	/* July, CEST (+2): 22:00 local = 20:00 UTC, 06:00 local = 04:00 UTC */
	ck_assert(!in(s, JUL + 20 * H - S));
	ck_assert(in(s, JUL + 20 * H));
	ck_assert(in(s, JUL + 28 * H - S));
	ck_assert(!in(s, JUL + 28 * H));
	/* a fixed +01:00 is an hour off in summer: what the zone fixes */
	ck_assert(!in(fixed, JUL + 20 * H + 30 * 60 * S));
	ck_assert(in(s, JUL + 20 * H + 30 * 60 * S));
	/* fixed offsets keep working in winter */
	ck_assert(!in(fixed, JAN + 21 * H - S));
	ck_assert(in(fixed, JAN + 21 * H));
	hotlist__scope_put(s, &counting);
	hotlist__scope_put(fixed, &counting);
	ck_assert_int_eq(atomic_load(&live_bytes), 0);
}
END_TEST

START_TEST(amsterdam_switches)
{
	struct hl_scope *two, *one, *three;
	ck_assert_int_eq(scope(&one, "1", "Europe/Amsterdam"), 0);
	ck_assert_int_eq(scope(&two, "2", "Europe/Amsterdam"), 0);
	ck_assert_int_eq(scope(&three, "3", "Europe/Amsterdam"), 0);
	/* March: at 01:00 UTC 02:00 CET becomes 03:00 CEST; hour 2 never is */
	ck_assert(!in(one, MAR26 - S)); /* 00:59:59 CET */
	ck_assert(in(one, MAR26)); /* 01:00 CET */
	ck_assert(in(one, MAR26 + H - S)); /* 01:59:59 CET */
	ck_assert(!in(two, MAR26 + H - S));
	ck_assert(!in(two, MAR26 + H)); /* 03:00 CEST */
	ck_assert(in(three, MAR26 + H));
	for (int64_t t = MAR26 - 2 * H; t < MAR26 + 3 * H; t += 60 * S)
		ck_assert(!in(two, t));
	/* October: at 01:00 UTC 03:00 CEST becomes 02:00 CET; hour 2 twice */
	ck_assert(!in(two, OCT26 - S)); /* 01:59:59 CEST */
	ck_assert(in(two, OCT26)); /* 02:00 CEST */
	ck_assert(in(two, OCT26 + H - S)); /* 02:59:59 CEST */
	ck_assert(!in(three, OCT26 + H - S));
	ck_assert(in(two, OCT26 + H)); /* 02:00 CET, the repeated hour */
	ck_assert(in(two, OCT26 + 2 * H - S)); /* 02:59:59 CET */
	ck_assert(!in(two, OCT26 + 2 * H)); /* 03:00 CET */
	ck_assert(in(three, OCT26 + 2 * H));
	/* after 2037 (the footer rule, in the table) and after 2100 (the rule
	 * evaluated directly): 2150-03-29 switches at 01:00 UTC too */
	ck_assert(in(one, MAR50 + H - S));
	ck_assert(in(three, MAR50 + H));
	ck_assert(in(three, MAR50 - 7 * D + 2 * H)); /* a week before: 03:00 CET */
	ck_assert(in(one, INT64_C(2540246400) * S - H)); /* 2050-06-30 23:00 UTC: 01 CEST */
	hotlist__scope_put(one, &counting);
	hotlist__scope_put(two, &counting);
	hotlist__scope_put(three, &counting);
	ck_assert_int_eq(atomic_load(&live_bytes), 0);
}
END_TEST

START_TEST(new_york)
{
	struct hl_scope *s;
	ck_assert_int_eq(scope(&s, "22-6", "America/New_York"), 0);
	ck_assert(in(s, JAN + 27 * H)); /* 22:00 EST (-5) */
	ck_assert(!in(s, JAN + 27 * H - S));
	ck_assert(in(s, JUL + 26 * H)); /* 22:00 EDT (-4) */
	ck_assert(!in(s, JUL + 26 * H - S));
	hotlist__scope_put(s, &counting);
	ck_assert_int_eq(scope(&s, "2", "America/New_York"), 0);
	/* 2026-03-08 02:00 EST = 07:00 UTC becomes 03:00 EDT: no hour 2 */
	for (int64_t t = USMAR + 5 * H; t < USMAR + 9 * H; t += 60 * S)
		ck_assert(!in(s, t));
	ck_assert(in(s, USMAR - 7 * D + 7 * H)); /* a week before: 02:00 EST */
	hotlist__scope_put(s, &counting);
	ck_assert_int_eq(scope(&s, "1", "America/New_York"), 0);
	/* 2026-11-01 02:00 EDT = 06:00 UTC becomes 01:00 EST: hour 1 twice */
	ck_assert(!in(s, USNOV + 5 * H - S)); /* 00:59:59 EDT */
	ck_assert(in(s, USNOV + 5 * H)); /* 01:00 EDT */
	ck_assert(in(s, USNOV + 6 * H)); /* 01:00 EST */
	ck_assert(in(s, USNOV + 7 * H - S)); /* 01:59:59 EST */
	ck_assert(!in(s, USNOV + 7 * H)); /* 02:00 EST */
	hotlist__scope_put(s, &counting);
	ck_assert_int_eq(atomic_load(&live_bytes), 0);
}
END_TEST

START_TEST(bad_names)
{
	static const char *const bad[] = {
		"Nowhere/Atlantis",  "../zoneinfo/UTC", "/etc/localtime",
		"Europe/../UTC",     "Europe",		"Europe/Amsterdam ",
		"Europe/Am;sterdam", "CET-1CEST",	"01:00"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct hl_scope *s = (struct hl_scope *)1;
		CHECK(scope(&s, "1-2", bad[i]) == HOTLIST_EINVAL, "%s", bad[i]);
		CHECK(s == NULL, "%s", bad[i]);
		/* a timezone alone is checked too */
		CHECK(scope(&s, NULL, bad[i]) == HOTLIST_EINVAL, "%s", bad[i]);
	}
	ck_assert_int_eq(atomic_load(&live_bytes), 0);
	/* a good zone alone: checked, no scope */
	struct hl_scope *s = (struct hl_scope *)1;
	ck_assert_int_eq(scope(&s, NULL, "Europe/Amsterdam"), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(atomic_load(&live_bytes), 0);
	/* and through the public API */
	struct hotlist *hl = hl_test_engine();
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.hours = "22-6";
	o.timezone = "Nowhere/Atlantis";
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), HOTLIST_EINVAL);
	o.timezone = "Europe/Amsterdam";
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

static char tzdir[64];
static unsigned char zone[1 << 16];
static size_t zone_len;

static void write_zone(const void *p, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/Test/Zone", tzdir);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static int try_zone(void)
{
	struct hl_scope *s = NULL;
	int rc = scope(&s, "1", "Test/Zone");
	if (!rc)
		hotlist__scope_put(s, &counting);
	ck_assert_int_eq(atomic_load(&live_bytes), 0);
	return rc;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

START_TEST(corrupt_files)
{
	FILE *f = fopen("/usr/share/zoneinfo/Europe/Amsterdam", "rb");
	ck_assert_ptr_nonnull(f);
	zone_len = fread(zone, 1, sizeof(zone), f);
	fclose(f);
	ck_assert_uint_gt(zone_len, 100);
	snprintf(tzdir, sizeof(tzdir), "/tmp/hl_tz_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tzdir));
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/Test", tzdir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	setenv("TZDIR", tzdir, 1);
	/* the intact copy loads from TZDIR (the control) ... */
	write_zone(zone, zone_len);
	ck_assert_int_eq(try_zone(), 0);
	/* ... and no proper prefix of it does */
	for (size_t len = 0; len < zone_len; len++) {
		write_zone(zone, len);
		CHECK(try_zone() == HOTLIST_EINVAL, "truncated to %zu of %zu bytes", len, zone_len);
	}
	/* version 1 only, counts past the end, a bad type index, a bad footer */
	unsigned char bad[sizeof(zone)];
	memcpy(bad, zone, zone_len);
	bad[4] = 0;
	write_zone(bad, zone_len);
	ck_assert_int_eq(try_zone(), HOTLIST_EINVAL);
	uint32_t c1[6];
	for (int i = 0; i < 6; i++)
		c1[i] = get32(zone + 20 + 4 * i);
	size_t v2 = 44 + (size_t)c1[3] * 5 + (size_t)c1[4] * 6 + c1[5] + (size_t)c1[2] * 8 + c1[1] +
		    c1[0];
	ck_assert(memcmp(zone + v2, "TZif", 4) == 0);
	for (int i = 0; i < 6; i++) {
		static const uint32_t huge[] = { 0xffffffffu, 0x10000000u, 1000000u };
		for (size_t k = 0; k < 3; k++) {
			memcpy(bad, zone, zone_len);
			put32(bad + v2 + 20 + 4 * i, huge[k]);
			write_zone(bad, zone_len);
			CHECK(try_zone() == HOTLIST_EINVAL, "count %d = %u", i, huge[k]);
		}
	}
	uint32_t timecnt = get32(zone + v2 + 32), typecnt = get32(zone + v2 + 36);
	ck_assert_uint_gt(timecnt, 0);
	memcpy(bad, zone, zone_len);
	bad[v2 + 44 + timecnt * 8] = (unsigned char)typecnt; /* type index out of range */
	write_zone(bad, zone_len);
	ck_assert_int_eq(try_zone(), HOTLIST_EINVAL);
	memcpy(bad, zone, zone_len);
	memcpy(bad + v2 + 44 + 8, bad + v2 + 44, 8); /* two equal transition times */
	write_zone(bad, zone_len);
	ck_assert_int_eq(try_zone(), HOTLIST_EINVAL);
	/* footers: a Jn rule (refused), garbage, and a fixed offset (fine) */
	static const struct {
		const char *foot;
		int rc;
	} feet[] = { { "\nCET-1CEST,J60,J300\n", HOTLIST_EINVAL },
		     { "\nCET-1CEST,M3.5.0\n", HOTLIST_EINVAL },
		     { "\nCET-1CEST,M13.5.0,M10.5.0/3\n", HOTLIST_EINVAL },
		     { "\n!!\n", HOTLIST_EINVAL },
		     { "\nCET-1CEST,M3.5.0,M10.5.0/3", HOTLIST_EINVAL },
		     { "\n<+0530>-5:30\n", 0 },
		     { "\nCET-1CEST,M3.5.0,M10.5.0/3\n", 0 } };
	const unsigned char *foot = memchr(zone + v2 + 44, '\n', zone_len - v2 - 44);
	while (foot && (size_t)(zone + zone_len - foot) > 40) /* the last "\n...\n" */
		foot = memchr(foot + 1, '\n', (size_t)(zone + zone_len - foot - 1));
	ck_assert_ptr_nonnull(foot);
	size_t head = (size_t)(foot - zone);
	ck_assert(memcmp(zone + head, "\nCET-1CEST,M3.5.0,M10.5.0/3\n", zone_len - head) == 0);
	for (size_t i = 0; i < sizeof(feet) / sizeof(*feet); i++) {
		memcpy(bad, zone, head);
		memcpy(bad + head, feet[i].foot, strlen(feet[i].foot));
		write_zone(bad, head + strlen(feet[i].foot));
		CHECK(try_zone() == feet[i].rc, "footer %s", feet[i].foot + 1);
	}
	/* a directory and an empty name are not zones */
	struct hl_scope *s = NULL;
	ck_assert_int_eq(scope(&s, "1", "Test"), HOTLIST_EINVAL);
	char path[128];
	snprintf(path, sizeof(path), "%s/Test/Zone", tzdir);
	unlink(path);
	rmdir(sub);
	rmdir(tzdir);
}
END_TEST

/* 24 scopes, one per local hour: exactly one takes each instant, and it
 * must be the hour glibc's localtime_r gives in the same zone. */
static void against_glibc(const char *name)
{
	struct hl_scope *hs[24];
	for (int h = 0; h < 24; h++) {
		char spec[4];
		snprintf(spec, sizeof(spec), "%d", h);
		ck_assert_int_eq(scope(&hs[h], spec, name), 0);
	}
	char env[96];
	snprintf(env, sizeof(env), ":%s", name);
	setenv("TZ", env, 1);
	tzset();
	uint64_t x = 0x9e3779b97f4a7c15u;
	int64_t lo = INT64_C(0), hi = INT64_C(7258118400); /* 1970 .. 2200 */
	for (int i = 0; i < 60000; i++) {
		int64_t t;
		if (i < 20000) { /* random */
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			t = lo + (int64_t)(x % (uint64_t)(hi - lo));
		} else if (i < 40000) { /* every 30 minutes and 7 seconds from 2026 */
			t = INT64_C(1767225600) + (int64_t)(i - 20000) * 1807;
		} else { /* and from 2150 */
			t = INT64_C(5680281600) + (int64_t)(i - 40000) * 1807;
		}
		time_t tt = (time_t)t;
		struct tm tm;
		ck_assert_ptr_nonnull(localtime_r(&tt, &tm));
		int got = -1, n = 0;
		for (int h = 0; h < 24; h++)
			if (in(hs[h], t * S))
				got = h, n++;
		CHECK(n == 1 && got == tm.tm_hour, "%s at %lld: hour %d (%d scopes), glibc %d",
		      name, (long long)t, got, n, tm.tm_hour);
	}
	for (int h = 0; h < 24; h++)
		hotlist__scope_put(hs[h], &counting);
	ck_assert_int_eq(atomic_load(&live_bytes), 0);
}

START_TEST(oracle_glibc)
{
	static const char *const zones[] = {
		"Europe/Amsterdam",  "Europe/Brussels", "America/New_York",
		"Australia/Sydney",  "Europe/Dublin",	"Asia/Kolkata",
		"America/Sao_Paulo", "Pacific/Chatham", "UTC"
	};
	for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++)
		against_glibc(zones[i]);
}
END_TEST

/* Readers racing on one scope's period hint (TSan: relaxed atomics only). */
static struct hl_scope *shared;
static _Atomic int wrong;

static void *reader(void *arg)
{
	/* 20:30 UTC is 22:30 CEST (in) in July, 21:30 CET (out) in January;
	 * threads alternate out of step, so the hint keeps changing */
	for (int i = 0; i < 200000; i++) {
		int64_t t = ((i + (int)(intptr_t)arg) & 1 ? JUL : JAN) + 20 * H + 30 * 60 * S;
		if (in(shared, t) != (t >= JUL))
			atomic_fetch_add(&wrong, 1);
	}
	return NULL;
}

START_TEST(concurrent_readers)
{
	ck_assert_int_eq(scope(&shared, "22-6", "Europe/Amsterdam"), 0);
	pthread_t th[4];
	for (intptr_t i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, reader, (void *)i), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(atomic_load(&wrong), 0);
	hotlist__scope_put(shared, &counting);
	ck_assert_int_eq(atomic_load(&live_bytes), 0);
}
END_TEST

static Suite *tz_suite(void)
{
	Suite *s = suite_create("tz");
	TCase *t = tcase_create("zones");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, amsterdam_night);
	tcase_add_test(t, amsterdam_switches);
	tcase_add_test(t, new_york);
	tcase_add_test(t, bad_names);
	tcase_add_test(t, corrupt_files);
	tcase_add_test(t, oracle_glibc);
	tcase_add_test(t, concurrent_readers);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	if (!have_tzdata()) {
		printf("test_tz: no /usr/share/zoneinfo/Europe/Amsterdam (tzdata): skipped\n");
		return 77;
	}
	return hl_test_run(tz_suite());
}
