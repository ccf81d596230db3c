/* SPDX-License-Identifier: MIT */
/*
 * Engine suite: the public API end to end — exact matching, country
 * semantics, validity, priority order, suppression, statistics, errors, and
 * the asynchronous path (edits: test_snapshot_edit.c; replace policy and list
 * limits: test_list.c; batch parity: test_match.c). Each test creates its own engine (Check
 * forks per test; no RCU state crosses a fork).
 */
#include "hotlist.h"
#include "testutil.h"

/* liburcu-bp's per-thread reader pointer (URCU_TLS(urcu_bp_reader)): NULL
 * until the thread is registered. Only this test looks at it. */
#define _LGPL_SOURCE
#include <urcu/urcu-bp.h>

#include "engine.h" /* struct hotlist: hl->snap */
#include "snapshot.h" /* hotlist__snap_set_edits_fold, HL_RETIRED_HEAVY_MAX, HL_RETIRED_MAX */
#include "stats.h" /* HL_LAT_EXACT_CALLS, HL_LAT_EVERY */

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SEEN 64

/* pthread_create, interposed: the n-th call from now fails with EAGAIN when
 * fail_thread_in is set to n (the library is linked statically into this
 * program, so its calls come here). Otherwise the next definition (libc's,
 * or a sanitizer's interceptor) does the work. */
static atomic_int fail_thread_in;

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	if (atomic_load(&fail_thread_in) > 0 && atomic_fetch_sub(&fail_thread_in, 1) == 1)
		return EAGAIN;
	create_fn real = (create_fn)(uintptr_t)dlsym(RTLD_NEXT, "pthread_create");
	return real(t, attr, fn, arg);
}

/* What the callbacks saw. */
struct seen {
	int n;
	char list[MAX_SEEN][HOTLIST_NAME_MAX + 1];
	char plate[MAX_SEEN][32];
	char category[MAX_SEEN][32];
	char entry_plate[32], read_plate[32], reference[48]; /* of the last hit */
	unsigned priority[MAX_SEEN];
	uint64_t version[MAX_SEEN];
	struct hotlist_hit last;
};

static void record(const struct hotlist_hit *h, void *user)
{
	struct seen *s = user;
	if (s->n < MAX_SEEN) {
		snprintf(s->list[s->n], sizeof(s->list[0]), "%s", h->list);
		snprintf(s->plate[s->n], sizeof(s->plate[0]), "%s", h->plate);
		snprintf(s->category[s->n], sizeof(s->category[0]), "%s", h->category);
		s->priority[s->n] = h->priority;
		s->version[s->n] = h->list_version;
	}
	s->last = *h; /* its pointers die with the callback: copy what is checked */
	snprintf(s->entry_plate, sizeof(s->entry_plate), "%s", h->entry_plate);
	snprintf(s->read_plate, sizeof(s->read_plate), "%s", h->read_plate);
	snprintf(s->reference, sizeof(s->reference), "%s", h->reference);
	s->n++;
}

static struct hotlist *engine(int64_t suppress_us)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = suppress_us;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	ck_assert_ptr_nonnull(hl);
	return hl;
}

static int match(struct hotlist *hl, const char *plate, const char *country, struct seen *s)
{
	struct hotlist_read r = { .plate = plate, .country = country, .camera = "cam-1" };
	memset(s, 0, sizeof(*s));
	return hotlist_match(hl, &r, record, s);
}

static int count(struct hotlist *hl, const char *plate, const char *country)
{
	struct seen s;
	int rc = match(hl, plate, country, &s);
	ck_assert_int_eq(rc, s.n);
	return rc;
}

START_TEST(create_and_config)
{
	struct hotlist *hl = NULL;
	struct hotlist_config cfg;
	ck_assert_int_eq(hotlist_create(NULL, NULL), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist_create(&hl, NULL), 0);
	hotlist_destroy(hl, NULL);
	hotlist_destroy(NULL, NULL);

	hotlist_config_init(&cfg);
	cfg.struct_size = 8;
	hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
	ck_assert_ptr_null(hl);
	hotlist_config_init(&cfg); /* workers but no callback */
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
	hotlist_config_init(&cfg);
	cfg.on_hit = record;
	cfg.max_bad_fraction = 2;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
	cfg.max_bad_fraction = 0.01;
	cfg.backpressure = (enum hotlist_backpressure)7;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
	ck_assert_ptr_null(hl);
}
END_TEST

START_TEST(errors_and_version)
{
	ck_assert_str_eq(hotlist_err_name(HOTLIST_EPLATE), "HOTLIST_EPLATE");
	ck_assert_str_eq(hotlist_err_name(-9999), "HOTLIST_EUNKNOWN");
	ck_assert_str_eq(hotlist_strerror(HOTLIST_ENOMEM), "out of memory");
	ck_assert_str_eq(hotlist_strerror(12345), "unknown error");
	ck_assert_int_eq(HOTLIST_ENOENT, -2);
	ck_assert_uint_eq(hotlist_version_number(), HOTLIST_VERSION_NUMBER);
	char v[32];
	snprintf(v, sizeof(v), "%d.%d.%d", HOTLIST_VERSION_MAJOR, HOTLIST_VERSION_MINOR,
		 HOTLIST_VERSION_PATCH);
	ck_assert_str_eq(hotlist_version_string(), v);
}
END_TEST

START_TEST(exact_hit_fields)
{
	struct hotlist *hl = engine(0);
	struct hotlist_entry e = { .plate = "GZ-123-B",
				   .country = " nl ",
				   .category = "stolen vehicle",
				   .reference = "NL-2026-0042",
				   .priority = 7,
				   .covert = true };
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "national", &e, 1, &rep), 0);
	ck_assert_uint_eq(rep.loaded, 1);
	ck_assert_uint_ne(rep.list_version, 0);
	struct seen s;
	ck_assert_int_eq(match(hl, "gz 123·b", "NL", &s), 1);
	ck_assert_str_eq(s.list[0], "national");
	ck_assert_str_eq(s.plate[0], "GZ-123-B");
	ck_assert_str_eq(s.entry_plate, "GZ123B");
	ck_assert_str_eq(s.read_plate, "GZ123B");
	ck_assert_str_eq(s.last.country, "NL");
	ck_assert_str_eq(s.last.read_country, "NL");
	ck_assert_str_eq(s.category[0], "stolen vehicle");
	ck_assert_str_eq(s.reference, "NL-2026-0042");
	ck_assert_uint_eq(s.last.priority, 7);
	ck_assert(s.last.covert);
	ck_assert_int_eq(s.last.match, HOTLIST_MATCH_EXACT);
	ck_assert_uint_eq(s.last.list_version, rep.list_version);
	ck_assert_uint_eq(s.last.substitutions + s.last.indels, 0);
	ck_assert_int_eq(count(hl, "GZ123C", "NL"), 0);
	ck_assert_int_eq(count(hl, "GZ123", "NL"), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(country_semantics)
{
	struct hotlist *hl = engine(0);
	struct hotlist_entry e[] = {
		{ .plate = "AB123C", .country = "NL", .category = "nl" },
		{ .plate = "AB123C", .country = "BE", .category = "be" },
		{ .plate = "XY999", .category = "any" },
	};
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 3, NULL), 0);
	ck_assert_int_eq(count(hl, "AB123C", "NL"), 1);
	ck_assert_int_eq(count(hl, "AB123C", "be"), 1);
	ck_assert_int_eq(count(hl, "AB123C", "DE"), 0);
	ck_assert_int_eq(count(hl, "AB123C", NULL), 2); /* unknown country: both */
	ck_assert_int_eq(count(hl, "AB123C", ""), 2);
	ck_assert_int_eq(count(hl, "XY999", "FR"), 1); /* no country: any read */
	ck_assert_int_eq(count(hl, "XY999", NULL), 1);
	ck_assert_int_eq(count(hl, "AB123C", "D"), 0); /* one-letter code: DE */
	struct seen s;
	ck_assert_int_eq(match(hl, "AB123C", "NLX", &s), HOTLIST_ECOUNTRY);
	ck_assert_int_eq(s.n, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(bad_reads_counted)
{
	struct hotlist *hl = engine(0);
	struct seen s;
	ck_assert_int_eq(match(hl, "", NULL, &s), HOTLIST_EPLATE);
	ck_assert_int_eq(match(hl, "--- ..", NULL, &s), HOTLIST_EPLATE);
	ck_assert_int_eq(match(hl, "ABCDEFGHIJKLMNOPQ", NULL, &s), HOTLIST_EPLATE);
	ck_assert_int_eq(match(hl, "AB\x01", NULL, &s), HOTLIST_EPLATE);
	ck_assert_int_eq(match(hl, "AB1", NULL, &s), 0);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.bad_reads, 4);
	ck_assert_uint_eq(st.reads, 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(priority_order_across_lists)
{
	struct hotlist *hl = engine(0);
	struct hotlist_entry a = { .plate = "K1", .category = "a", .priority = 50 };
	struct hotlist_entry b[] = { { .plate = "K1", .category = "b", .priority = 3 },
				     { .plate = "K1", .category = "c", .priority = 90 } };
	struct hotlist_entry c = { .plate = "K1", .category = "d", .priority = 0 };
	ck_assert_int_eq(hotlist_replace(hl, "one", &a, 1, NULL), 0);
	ck_assert_int_eq(hotlist_replace(hl, "two", b, 2, NULL), 0);
	ck_assert_int_eq(hotlist_put(hl, "three", &c), 0);
	struct seen s;
	ck_assert_int_eq(match(hl, "K1", NULL, &s), 4);
	ck_assert_uint_eq(s.priority[0], 0);
	ck_assert_str_eq(s.list[0], "three");
	ck_assert_uint_eq(s.priority[1], 3);
	ck_assert_uint_eq(s.priority[2], 50);
	ck_assert_str_eq(s.list[2], "one");
	ck_assert_uint_eq(s.priority[3], 90);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(validity_window)
{
	struct hotlist *hl = engine(0);
	const int64_t day = 86400 * INT64_C(1000000), t = 1800000000 * INT64_C(1000000);
	struct hotlist_entry e[] = {
		{ .plate = "V1", .valid_from_us = t, .expires_us = t + day },
		{ .plate = "V2", .expires_us = t },
		{ .plate = "V3", .valid_from_us = t },
	};
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 3, NULL), 0);
	struct seen s;
	struct hotlist_read r = { .plate = "V1" };
	int64_t at[] = { t - 1, t, t + day - 1, t + day };
	int want[] = { 0, 1, 1, 0 };
	for (int i = 0; i < 4; i++) {
		memset(&s, 0, sizeof(s));
		r.ts_us = at[i];
		ck_assert_int_eq(hotlist_match(hl, &r, record, &s), want[i]);
	}
	r.plate = "V2";
	r.ts_us = t - 1;
	ck_assert_int_eq(hotlist_match(hl, &r, record, &s), 1);
	r.ts_us = t;
	ck_assert_int_eq(hotlist_match(hl, &r, record, &s), 0);
	r.plate = "V3";
	r.ts_us = 0; /* now: before 2027-01-15, so V3 is not valid yet */
	ck_assert_int_eq(hotlist_match(hl, &r, record, &s), 0);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.not_valid, 4);
	/* an entry that expires before it starts is refused */
	struct hotlist_entry bad = { .plate = "V4", .valid_from_us = t, .expires_us = t };
	ck_assert_int_eq(hotlist_put(hl, "l", &bad), HOTLIST_EINVAL);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(suppression)
{
	const int64_t w = 60 * INT64_C(1000000), t = 1700000000 * INT64_C(1000000);
	struct hotlist *hl = engine(w);
	struct hotlist_entry e = { .plate = "S1", .category = "stolen vehicle" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	struct seen s;
	struct hotlist_read r = { .plate = "S1", .camera = "c1", .ts_us = t };
	ck_assert_int_eq(hotlist_match(hl, &r, record, &s), 1);
	r.ts_us = t + w / 2;
	ck_assert_int_eq(hotlist_match(hl, &r, record, &s), 0); /* repeat: suppressed */
	r.camera = "c2";
	ck_assert_int_eq(hotlist_match(hl, &r, record, &s), 1); /* another camera */
	r.camera = "c1";
	r.ts_us = t + 2 * w;
	ck_assert_int_eq(hotlist_match(hl, &r, record, &s), 1); /* after the window */
	/* a reload of the same entry does not reset suppression */
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	r.ts_us = t + 2 * w + 1;
	ck_assert_int_eq(hotlist_match(hl, &r, record, &s), 0);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.suppressed, 2);
	ck_assert_uint_eq(st.hits, 3);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* pending_edits counts puts and removes, one each, and the fold comes after
 * the threshold's number of them (a put was counted twice: its hide of the
 * entry it updates and its add). Threshold lowered to 32 as above. */
START_TEST(pending_edits_counts_each_edit_once)
{
	struct hotlist *hl = engine(0);
	hotlist__snap_set_edits_fold(&hl->snap, 32);
	char plate[16];
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	for (int i = 0; i < 30; i++) {
		snprintf(plate, sizeof(plate), "PE%03d", i);
		struct hotlist_entry e = { .plate = plate, .category = "c" };
		ck_assert_int_eq(hotlist_put(hl, "pe", &e), 0);
	}
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.pending_edits, 30);
	ck_assert_int_eq(hotlist_remove(hl, "pe", "PE000", NULL), 1);
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.pending_edits, 30); /* the put of PE000 dropped, a hide added */
	for (int i = 30; i < 33; i++) {
		snprintf(plate, sizeof(plate), "PE%03d", i);
		struct hotlist_entry e = { .plate = plate, .category = "c" };
		ck_assert_int_eq(hotlist_put(hl, "pe", &e), 0);
	}
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.pending_edits, 0); /* 33 > 32: folded */
	ck_assert_uint_eq(info.entries, 32);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* A worker that cannot start is HOTLIST_ETHREAD, not -EAGAIN (which is
 * HOTLIST_EAGAIN, "queue full, read refused"); nothing is left running. */
static void no_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
}

START_TEST(worker_start_failure_is_ethread)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 3;
	cfg.queue_capacity = 16;
	cfg.on_hit = no_hit;
	struct hotlist *hl = (struct hotlist *)&cfg;
	atomic_store(&fail_thread_in, 2); /* the second worker fails */
	int rc = hotlist_create(&hl, &cfg);
	atomic_store(&fail_thread_in, 0);
	ck_assert_int_ne(rc, HOTLIST_EAGAIN);
	ck_assert_int_eq(rc, HOTLIST_ETHREAD);
	ck_assert_ptr_eq(hl, (struct hotlist *)&cfg);
	ck_assert_str_eq(hotlist_err_name(rc), "HOTLIST_ETHREAD");
	cfg.workers = HOTLIST_WORKERS_MAX + 1;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
	cfg.workers = 2;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* A thread's first match registers it with urcu-bp (a lock, maybe an mmap);
 * hotlist_thread_prepare() does it up front, so that the match does not. */
struct prep {
	struct hotlist *hl;
	int prepare;
	int before, after_prepare, after_match;
};

static void *prep_thread(void *arg)
{
	struct prep *p = arg;
	p->before = URCU_TLS(urcu_bp_reader) != NULL;
	if (p->prepare)
		hotlist_thread_prepare();
	p->after_prepare = URCU_TLS(urcu_bp_reader) != NULL;
	struct hotlist_read r = { .plate = "TP1" };
	ck_assert_int_eq(hotlist_match(p->hl, &r, record, &(struct seen){ 0 }), 1);
	p->after_match = URCU_TLS(urcu_bp_reader) != NULL;
	return NULL;
}

START_TEST(thread_prepare_registers_up_front)
{
	struct hotlist *hl = engine(0);
	struct hotlist_entry e = { .plate = "TP1" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	for (int prepare = 0; prepare < 2; prepare++) {
		struct prep p = { .hl = hl, .prepare = prepare };
		pthread_t t;
		ck_assert_int_eq(pthread_create(&t, NULL, prep_thread, &p), 0);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_int_eq(p.before, 0);
		ck_assert_int_eq(p.after_prepare, prepare); /* registered by prepare... */
		ck_assert_int_eq(p.after_match, 1); /* ...or else by the first match */
	}
	hotlist_thread_prepare(); /* idempotent */
	hotlist_thread_prepare();
	hotlist_destroy(hl, NULL);
}
END_TEST

static struct hotlist *cb_engine;
static int cb_rc;

static void writer_in_callback(const struct hotlist_hit *h, void *user)
{
	struct hotlist_entry e = { .plate = "W2" };
	(void)h;
	(void)user;
	cb_rc = hotlist_put(cb_engine, "l", &e);
}

START_TEST(writer_from_callback_refused)
{
	struct hotlist *hl = engine(0);
	struct hotlist_entry e = { .plate = "W1" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	cb_engine = hl;
	cb_rc = 1;
	struct hotlist_read r = { .plate = "W1" };
	ck_assert_int_eq(hotlist_match(hl, &r, writer_in_callback, NULL), 1);
	ck_assert_int_eq(cb_rc, HOTLIST_EDEADLK);
	ck_assert_int_eq(count(hl, "W2", NULL), 0);
	/* outside a callback the same call works */
	ck_assert_int_eq(hotlist_put(hl, "l", &e), 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(stats_counts)
{
	struct hotlist *hl = engine(0);
	struct hotlist_entry e[] = { { .plate = "T1" }, { .plate = "T2" } };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 2, NULL), 0);
	for (int i = 0; i < 10; i++)
		count(hl, i % 2 ? "T1" : "T9", NULL);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.reads, 10);
	ck_assert_uint_eq(st.hits, 5);
	ck_assert_uint_eq(st.hits_exact, 5);
	ck_assert_uint_eq(st.lists, 1);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_gt(st.index_bytes, 0);
	ck_assert_uint_ge(st.memory_bytes, st.index_bytes);
	ck_assert_uint_eq(st.inline_latency.count, 5);
	ck_assert_uint_gt(st.inline_latency.max_ns, 0);
	ck_assert_uint_le(st.inline_latency.p50_ns, st.inline_latency.p99_ns);
	hotlist_destroy(hl, NULL);
}
END_TEST

static void count_cb(const struct hotlist_hit *h, void *user)
{
	(void)h;
	++*(long *)user;
}

/* Hits of `calls` single calls from a fresh thread (the timing state is
 * per thread), every read a hit. */
struct sampled_run {
	struct hotlist *hl;
	long calls, hits;
};

static void *sampled_thread(void *arg)
{
	struct sampled_run *r = arg;
	struct hotlist_read rd = { .plate = "T1" };
	for (long i = 0; i < r->calls; i++)
		hotlist_match(r->hl, &rd, count_cb, &r->hits);
	return NULL;
}

/* The single call times one call in HL_LAT_EVERY once a thread has made
 * HL_LAT_EXACT_CALLS back to back (stats.c, "Sampled timing"); a timed hit
 * stands for its interval, so the histogram's count is the hits' count to
 * within the last interval, and exact for the first calls. */
START_TEST(stats_latency_sampled)
{
	struct hotlist *hl = engine(0);
	struct hotlist_entry e[] = { { .plate = "T1" } };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 1, NULL), 0);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	struct sampled_run r = { hl, HL_LAT_EXACT_CALLS, 0 };
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, sampled_thread, &r), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.hits, HL_LAT_EXACT_CALLS);
	ck_assert_uint_eq(st.inline_latency.count, HL_LAT_EXACT_CALLS);
	/* another fresh thread, past its exact calls */
	r.calls = 40 * HL_LAT_EXACT_CALLS;
	r.hits = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, sampled_thread, &r), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	hotlist_stats(hl, &st);
	uint64_t hits = HL_LAT_EXACT_CALLS + 40 * HL_LAT_EXACT_CALLS;
	ck_assert_uint_eq(st.hits, hits);
	ck_assert_uint_ge(st.inline_latency.count, hits);
	ck_assert_uint_lt(st.inline_latency.count, hits + 2 * HL_LAT_EVERY);
	ck_assert_uint_gt(st.inline_latency.max_ns, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- the asynchronous path ---- */

struct async_seen {
	pthread_mutex_t mu;
	long hits;
	long by_camera[8];
};

static void async_hit(const struct hotlist_hit *h, void *user)
{
	struct async_seen *s = user;
	pthread_mutex_lock(&s->mu);
	s->hits++;
	s->by_camera[h->read->camera[4] - '0']++;
	pthread_mutex_unlock(&s->mu);
}

struct producer {
	struct hotlist *hl;
	int id, n;
	long refused;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	char cam[8], plate[16];
	snprintf(cam, sizeof(cam), "cam-%d", p->id);
	for (int i = 0; i < p->n; i++) {
		snprintf(plate, sizeof(plate), "AS%d", i % 10);
		struct hotlist_read r = { .plate = plate, .camera = cam };
		int rc;
		while ((rc = hotlist_submit(p->hl, &r)) == HOTLIST_EAGAIN)
			p->refused++;
		ck_assert_int_eq(rc, 0);
	}
	return NULL;
}

static void run_async(enum hotlist_backpressure bp, size_t queue)
{
	static struct async_seen s;
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	struct hotlist *hl = hl_test_async_engine(2, queue, bp, async_hit, &s);
	struct hotlist_entry e = { .plate = "AS3" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	enum { P = 6, N = 5000 };
	struct producer p[P];
	pthread_t t[P];
	for (int i = 0; i < P; i++) {
		p[i] = (struct producer){ .hl = hl, .id = i, .n = N };
		pthread_create(&t[i], NULL, produce, &p[i]);
	}
	long refused = 0;
	for (int i = 0; i < P; i++) {
		pthread_join(t[i], NULL);
		refused += p[i].refused;
	}
	ck_assert_int_eq(hotlist_flush(hl), 0);
	pthread_mutex_lock(&s.mu);
	ck_assert_int_eq(s.hits, P * N / 10); /* nothing lost, nothing twice */
	for (int i = 0; i < P; i++)
		ck_assert_int_eq(s.by_camera[i], N / 10);
	pthread_mutex_unlock(&s.mu);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.submitted, P * N);
	ck_assert_uint_eq(st.reads, P * N);
	ck_assert_uint_eq(st.refused, (uint64_t)refused);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.async_latency.count, P * N / 10);
	uint64_t pending = 99;
	hotlist_destroy(hl, &pending);
	ck_assert_uint_eq(pending, 0);
	pthread_mutex_destroy(&s.mu);
}

START_TEST(async_block)
{
	run_async(HOTLIST_BLOCK, 64);
}
END_TEST

START_TEST(async_refuse)
{
	run_async(HOTLIST_REFUSE, 16);
}
END_TEST

START_TEST(async_not_configured)
{
	struct hotlist *hl = engine(0);
	struct hotlist_read r = { .plate = "X1" };
	ck_assert_int_eq(hotlist_submit(hl, &r), HOTLIST_ENOTSUP);
	ck_assert_int_eq(hotlist_flush(hl), HOTLIST_ENOTSUP);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The async path tries a read's OCR candidates as the inline path does: a
 * read whose only hit is through a candidate hits, the hit names that
 * candidate, the candidates were copied at submit (the caller's buffers are
 * gone by then), and only the first HOTLIST_CANDIDATES_MAX travel. */
struct cand_seen {
	struct seen s;
	unsigned candidate[MAX_SEEN];
	unsigned n_candidates;
	char cand1[32];
};

static void cand_record(const struct hotlist_hit *h, void *user)
{
	struct cand_seen *c = user;

	if (c->s.n < MAX_SEEN)
		c->candidate[c->s.n] = h->candidate;
	c->n_candidates = h->read->n_candidates;
	if (h->read->n_candidates > 1)
		snprintf(c->cand1, sizeof(c->cand1), "%s", h->read->candidates[1]);
	record(h, &c->s);
}

START_TEST(async_candidates)
{
	static struct cand_seen c; /* written by the one worker of camera "c", read after flush */
	struct hotlist *hl = hl_test_async_engine(2, 64, HOTLIST_BLOCK, cand_record, &c);
	struct hotlist_entry e[] = { { .plate = "CAND1" }, { .plate = "LATE17" } };
	char buf[HOTLIST_CANDIDATES_MAX + 1][16];
	const char *cands[HOTLIST_CANDIDATES_MAX + 1];
	struct hotlist_read r = { .plate = "NOHIT1", .camera = "c", .candidates = cands };

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 2, NULL), 0);
	snprintf(buf[0], sizeof(buf[0]), "bad\x01");
	snprintf(buf[1], sizeof(buf[1]), "cand-1");
	cands[0] = buf[0];
	cands[1] = buf[1];
	r.n_candidates = 2;
	ck_assert_int_eq(hotlist_submit(hl, &r), 0);
	memset(buf, 'X', sizeof(buf)); /* the engine must have its own copy */

	/* 17 candidates: the 17th would hit, but only 16 are tried. */
	for (unsigned i = 0; i <= HOTLIST_CANDIDATES_MAX; i++) {
		snprintf(buf[i], sizeof(buf[i]), i == HOTLIST_CANDIDATES_MAX ? "LATE17" : "N%u", i);
		cands[i] = buf[i];
	}
	r.n_candidates = HOTLIST_CANDIDATES_MAX + 1;
	ck_assert_int_eq(hotlist_submit(hl, &r), 0);
	r.candidates = NULL; /* n_candidates without candidates: none */
	ck_assert_int_eq(hotlist_submit(hl, &r), 0);
	ck_assert_int_eq(hotlist_flush(hl), 0);

	ck_assert_int_eq(c.s.n, 1);
	ck_assert_str_eq(c.s.read_plate, "CAND1");
	ck_assert_str_eq(c.s.entry_plate, "CAND1");
	ck_assert_uint_eq(c.candidate[0], 2);
	ck_assert_uint_eq(c.n_candidates, 2);
	ck_assert_str_eq(c.cand1, "CAND1"); /* copied normalised */
	hotlist_destroy(hl, NULL);
}
END_TEST

/* A slow callback holds up its worker: with REFUSE and a small queue the
 * producer sees HOTLIST_EAGAIN (counted), every accepted read is still called
 * back, and destroy drains what is queued and says how many. */
static atomic_int slow_hits;

static void slow_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
	struct timespec ts = { 0, 2000000 }; /* 2 ms */
	nanosleep(&ts, NULL);
	atomic_fetch_add(&slow_hits, 1);
}

START_TEST(slow_callback_and_destroy_drain)
{
	struct hotlist *hl = hl_test_async_engine(1, 8, HOTLIST_REFUSE, slow_hit, NULL);
	struct hotlist_entry e = { .plate = "SL1" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	atomic_store(&slow_hits, 0);
	int accepted = 0, refused = 0;
	struct hotlist_read r = { .plate = "SL1", .camera = "c" };
	for (int i = 0; i < 200; i++) {
		int rc = hotlist_submit(hl, &r);
		ck_assert(rc == 0 || rc == HOTLIST_EAGAIN);
		accepted += rc == 0;
		refused += rc == HOTLIST_EAGAIN;
	}
	ck_assert_int_gt(refused, 0); /* 200 reads, 8 slots, 2 ms each */
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.refused, (uint64_t)refused);
	ck_assert_uint_eq(st.submitted, (uint64_t)accepted);
	uint64_t drained = 0;
	hotlist_destroy(hl, &drained);
	ck_assert_int_eq(atomic_load(&slow_hits), accepted);
	ck_assert_uint_le(drained, 9); /* the queue, and the read in the worker's hands */
}
END_TEST

/* ---- stopping an engine whose producers are still submitting ---- */

#define SD_PRODUCERS 8
#define SD_ACCEPTED_BEFORE_STOP 2000

static atomic_long sd_hits, sd_accepted;

static void sd_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
	atomic_fetch_add(&sd_hits, 1);
}

struct sd_producer {
	struct hotlist *hl;
	int id, last_rc;
	long accepted;
};

/* Submit until the engine says it has shut down. */
static void *sd_produce(void *arg)
{
	struct sd_producer *p = arg;
	char cam[16];
	snprintf(cam, sizeof(cam), "cam-%d", p->id);
	struct hotlist_read r = { .plate = "SD1", .camera = cam };
	int rc;
	while ((rc = hotlist_submit(p->hl, &r)) == 0) {
		p->accepted++;
		atomic_fetch_add(&sd_accepted, 1);
	}
	p->last_rc = rc;
	return NULL;
}

/* hotlist_shutdown() with 8 producers in full flow: each stops on
 * HOTLIST_ESHUTDOWN, every read accepted is called back exactly once, and
 * the engine goes on answering inline reads and edits until destroyed. */
START_TEST(shutdown_while_submitting)
{
	struct hotlist *hl = hl_test_async_engine(2, 64, HOTLIST_BLOCK, sd_hit, NULL);
	struct hotlist_entry e = { .plate = "SD1" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	atomic_store(&sd_hits, 0);
	atomic_store(&sd_accepted, 0);
	struct sd_producer p[SD_PRODUCERS];
	pthread_t t[SD_PRODUCERS];
	for (int i = 0; i < SD_PRODUCERS; i++) {
		p[i] = (struct sd_producer){ .hl = hl, .id = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, sd_produce, &p[i]), 0);
	}
	while (atomic_load(&sd_accepted) < SD_ACCEPTED_BEFORE_STOP)
		sched_yield();
	uint64_t drained = 999;
	ck_assert_int_eq(hotlist_shutdown(hl, &drained), 0);
	ck_assert_uint_le(drained, 64 + 2); /* the queues, and a read per worker */
	long accepted = 0;
	for (int i = 0; i < SD_PRODUCERS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(p[i].last_rc, HOTLIST_ESHUTDOWN);
		accepted += p[i].accepted;
	}
	ck_assert_int_ge(accepted, SD_ACCEPTED_BEFORE_STOP);
	ck_assert_int_eq(atomic_load(&sd_hits), accepted);
	/* Still an engine: submits refused, everything else answers. */
	struct hotlist_read r = { .plate = "SD1" };
	ck_assert_int_eq(hotlist_submit(hl, &r), HOTLIST_ESHUTDOWN);
	ck_assert_int_eq(hotlist_flush(hl), 0);
	ck_assert_int_eq(count(hl, "SD1", NULL), 1);
	struct hotlist_entry e2 = { .plate = "SD2" };
	ck_assert_int_eq(hotlist_put(hl, "l", &e2), 0);
	ck_assert_int_eq(count(hl, "SD2", NULL), 1);
	ck_assert_int_eq(hotlist_shutdown(hl, &drained), 0);
	ck_assert_uint_eq(drained, 0);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.submitted, (uint64_t)accepted);
	ck_assert_uint_eq(st.pending, 0);
	hotlist_destroy(hl, &drained);
	ck_assert_uint_eq(drained, 0);
	ck_assert_int_eq(atomic_load(&sd_hits), accepted);
}
END_TEST

static struct hotlist *cbk_engine;
static atomic_int cbk_rc;

static void shutdown_in_callback(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
	atomic_store(&cbk_rc, hotlist_shutdown(cbk_engine, NULL));
}

/* From a callback, inline or on a worker, shutdown would wait on itself. */
START_TEST(shutdown_from_callback_refused)
{
	struct hotlist *hl = hl_test_async_engine(1, 0, HOTLIST_BLOCK, shutdown_in_callback, NULL);
	cbk_engine = hl;
	struct hotlist_entry e = { .plate = "CB1" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	struct hotlist_read r = { .plate = "CB1" };
	atomic_store(&cbk_rc, 1);
	ck_assert_int_eq(hotlist_match(hl, &r, shutdown_in_callback, NULL), 1);
	ck_assert_int_eq(atomic_load(&cbk_rc), HOTLIST_EDEADLK);
	atomic_store(&cbk_rc, 1);
	ck_assert_int_eq(hotlist_submit(hl, &r), 0);
	ck_assert_int_eq(hotlist_flush(hl), 0);
	ck_assert_int_eq(atomic_load(&cbk_rc), HOTLIST_EDEADLK);
	ck_assert_int_eq(hotlist_submit(hl, &r), 0); /* not shut down */
	ck_assert_int_eq(hotlist_shutdown(NULL, NULL), HOTLIST_EINVAL);
	hotlist_destroy(hl, NULL);
}
END_TEST

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void hit_200ms(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
	sleep_ms(200);
}

static void *late_shutdown(void *arg)
{
	sleep_ms(50); /* while the first shutdown drains */
	atomic_store(&cbk_rc, hotlist_shutdown(arg, NULL));
	return NULL;
}

/* A second shutdown still waiting for the first when the first returns and
 * its caller destroys: destroy must wait for it. Without that wait, ASan saw
 * the second one lock a freed mutex in one round of five (which thread takes
 * the mutex first is the scheduler's choice), so three rounds. */
#define RACING_ROUNDS 3

START_TEST(shutdown_racing_destroy)
{
	for (int round = 0; round < RACING_ROUNDS; round++) {
		struct hotlist *hl = hl_test_async_engine(1, 0, HOTLIST_BLOCK, hit_200ms, NULL);
		struct hotlist_entry e = { .plate = "SR1" };
		ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
		struct hotlist_read r = { .plate = "SR1" };
		ck_assert_int_eq(hotlist_submit(hl, &r), 0);
		ck_assert_int_eq(hotlist_submit(hl, &r), 0);
		atomic_store(&cbk_rc, 1);
		pthread_t t;
		ck_assert_int_eq(pthread_create(&t, NULL, late_shutdown, hl), 0);
		ck_assert_int_eq(hotlist_shutdown(hl, NULL), 0); /* ~400 ms of callbacks */
		hotlist_destroy(hl, NULL);
		pthread_join(t, NULL);
		ck_assert_int_eq(atomic_load(&cbk_rc), 0);
	}
}
END_TEST

static void destroy_in_callback(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
	hotlist_destroy(cbk_engine, NULL);
}

/* Destroy from a callback would free the engine under its caller: the
 * library says so and aborts (Check runs this test in a child process and
 * expects SIGABRT). */
START_TEST(destroy_from_callback_aborts)
{
	struct hotlist *hl = engine(0);
	cbk_engine = hl;
	struct hotlist_entry e = { .plate = "CB2" };
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, NULL), 0);
	struct hotlist_read r = { .plate = "CB2" };
	hotlist_match(hl, &r, destroy_in_callback, NULL);
}
END_TEST

/* ---- a reader stuck in a callback: reclamation stays bounded ---- */

struct stuck {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int in_cb, release;
	struct hotlist *hl;
	atomic_uint replaces; /* writer: replaces done */
	atomic_bool stop;
	struct hotlist_entry *sets[2];
	size_t n;
};

static void stuck_cb(const struct hotlist_hit *h, void *user)
{
	struct stuck *k = user;
	(void)h;
	pthread_mutex_lock(&k->mu);
	k->in_cb = 1;
	pthread_cond_broadcast(&k->cv);
	while (!k->release) /* the network send that never returns */
		pthread_cond_wait(&k->cv, &k->mu);
	pthread_mutex_unlock(&k->mu);
}

static void *stuck_reader(void *arg)
{
	struct stuck *k = arg;
	struct hotlist_read r = { .plate = "STUCK1", .camera = "cam-1" };
	ck_assert_int_eq(hotlist_match(k->hl, &r, stuck_cb, k), 1);
	return NULL;
}

static void *replacer(void *arg)
{
	struct stuck *k = arg;
	for (unsigned i = 0; !atomic_load(&k->stop); i++) {
		ck_assert_int_eq(hotlist_replace(k->hl, "big", k->sets[i % 2], k->n, NULL), 0);
		atomic_fetch_add(&k->replaces, 1);
	}
	return NULL;
}

static uint64_t rss_bytes(void)
{
	unsigned long long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * 4096ull;
}

/*
 * A matching thread blocked in its hit callback holds its read-side section,
 * so no grace period ends. A writer replacing a 20 k-entry list all the
 * while must stop at the bound (HL_RETIRED_HEAVY_MAX versions waiting) and
 * wait for the reader, not pile up versions: without the bound it did 31
 * replaces in 1.5 s here and went on, each leaving a whole version behind. Checked by
 * the writer's progress, the engine's counters and resident memory (within
 * the bound's versions plus a margin), then the reader is released and the
 * writer goes on.
 */
START_TEST(stuck_reader_bounds_memory)
{
	enum { N = 20000 };
	struct stuck k = { .n = N };
	pthread_mutex_init(&k.mu, NULL);
	pthread_cond_init(&k.cv, NULL);
	k.hl = engine(0);
	static char plates[2][N][12];
	for (int s = 0; s < 2; s++) {
		k.sets[s] = calloc(N, sizeof(struct hotlist_entry));
		for (int i = 0; i < N; i++) {
			snprintf(plates[s][i], sizeof(plates[s][i]), "B%d%06d", s, i);
			k.sets[s][i] = (struct hotlist_entry){ .plate = plates[s][i],
							       .category = "c",
							       .reference = "some reference" };
		}
	}
	struct hotlist_entry st1 = { .plate = "STUCK1", .category = "c" };
	ck_assert_int_eq(hotlist_replace(k.hl, "stuck", &st1, 1, NULL), 0);
	ck_assert_int_eq(hotlist_replace(k.hl, "big", k.sets[1], N, NULL), 0);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(k.hl, 1, &info), 0);
	uint64_t version_bytes = info.memory_bytes, rss0 = rss_bytes();

	pthread_t rd, wr;
	pthread_create(&rd, NULL, stuck_reader, &k);
	pthread_mutex_lock(&k.mu);
	while (!k.in_cb)
		pthread_cond_wait(&k.cv, &k.mu);
	pthread_mutex_unlock(&k.mu);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(k.hl, &st);
	uint64_t waits0 = st.reclaim_waits;
	pthread_create(&wr, NULL, replacer, &k);
	/* until the writer waits at the bound (a liveness limit, not a timing) */
	for (int ms = 0; ms < 60000 && st.reclaim_waits == waits0; ms += 10) {
		sleep_ms(10);
		hotlist_stats(k.hl, &st);
	}
	ck_assert_uint_gt(st.reclaim_waits, waits0);
	unsigned done = atomic_load(&k.replaces);
	uint64_t rss1 = rss_bytes();
	sleep_ms(500);
	hotlist_stats(k.hl, &st);
	/* the writer waits at the bound, and only there */
	ck_assert_uint_eq(atomic_load(&k.replaces), done);
	ck_assert_uint_le(done, HL_RETIRED_HEAVY_MAX);
	ck_assert_uint_le(st.retired_heavy, HL_RETIRED_HEAVY_MAX);
	ck_assert_uint_le(st.retired_heavy_max, HL_RETIRED_HEAVY_MAX);
	ck_assert_uint_le(st.retired_versions, HL_RETIRED_MAX);
	/* memory: the bound's versions, the one being built, a margin */
	if (rss0 && rss1 > rss0)
		ck_assert_uint_le(rss1 - rss0,
				  (HL_RETIRED_HEAVY_MAX + 2) * version_bytes + (32u << 20));

	pthread_mutex_lock(&k.mu);
	k.release = 1;
	pthread_cond_broadcast(&k.cv);
	pthread_mutex_unlock(&k.mu);
	pthread_join(rd, NULL);
	while (atomic_load(&k.replaces) < done + 3) /* the writer goes on */
		sleep_ms(10);
	atomic_store(&k.stop, true);
	pthread_join(wr, NULL);
	hotlist_stats(k.hl, &st);
	ck_assert_uint_le(st.retired_heavy_max, HL_RETIRED_HEAVY_MAX);
	hotlist_destroy(k.hl, NULL);
	free(k.sets[0]);
	free(k.sets[1]);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("api");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, create_and_config);
	tcase_add_test(tc, errors_and_version);
	tcase_add_test(tc, exact_hit_fields);
	tcase_add_test(tc, country_semantics);
	tcase_add_test(tc, bad_reads_counted);
	tcase_add_test(tc, priority_order_across_lists);
	tcase_add_test(tc, validity_window);
	tcase_add_test(tc, suppression);
	tcase_add_test(tc, pending_edits_counts_each_edit_once);
	tcase_add_test(tc, worker_start_failure_is_ethread);
	tcase_add_test(tc, thread_prepare_registers_up_front);
	tcase_add_test(tc, stuck_reader_bounds_memory);
	tcase_add_test(tc, writer_from_callback_refused);
	tcase_add_test(tc, stats_counts);
	tcase_add_test(tc, stats_latency_sampled);
	tcase_add_test(tc, async_block);
	tcase_add_test(tc, async_refuse);
	tcase_add_test(tc, async_candidates);
	tcase_add_test(tc, async_not_configured);
	tcase_add_test(tc, slow_callback_and_destroy_drain);
	tcase_add_test(tc, shutdown_while_submitting);
	tcase_add_test(tc, shutdown_from_callback_refused);
	tcase_add_test(tc, shutdown_racing_destroy);
	tcase_add_test_raise_signal(tc, destroy_from_callback_aborts, SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(engine_suite());
}
