/* SPDX-License-Identifier: MIT */
/*
 * RCU grace-period bounds (issue 5, item 5; split out of test_torture.c).
 *
 * With a counting allocator, RCU grace
 * periods complete while a matching thread that has registered with RCU (it
 * matched) sits idle outside any read-side section, and the two async
 * workers sit idle too: replaced versions of a 10 000-entry list are freed
 * back to about one version's size. A thread blocked inside a hit
 * callback, on the other hand, is inside its read-side section (match.c
 * holds it across the callbacks, snapshot.c frees versions only from
 * call_rcu callbacks): nothing replaced meanwhile is freed until it returns,
 * and then everything is; a writer replacing meanwhile stops once
 * HL_RETIRED_HEAVY_MAX versions wait (snapshot.c, "Bounded reclamation")
 * and goes on when the callback returns, so memory stays within the bound.
 */
#include "hotlist.h"
#include "testutil.h"

#include "snapshot.h" /* HL_RETIRED_HEAVY_MAX */

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- grace periods: a counting allocator ---- */

static atomic_llong ca_bytes; /* bytes outstanding */
static atomic_long ca_blocks; /* blocks outstanding */

static void *ca_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	void *p = NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size ? size : 1))
		return NULL;
	atomic_fetch_add(&ca_bytes, (long long)size);
	atomic_fetch_add(&ca_blocks, 1);
	return p;
}

static void ca_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	if (!p)
		return;
	atomic_fetch_sub(&ca_bytes, (long long)size);
	atomic_fetch_sub(&ca_blocks, 1);
	free(p);
}

static const struct hotlist_allocator counting = { ca_alloc, ca_free, NULL };

#define GP_ENTRIES 10000
#define GP_REPLACES 25
/* Liveness bound, not a performance assertion: "do the replaced versions
 * ever get freed". A grace period takes milliseconds; 30 s only fails
 * when reclamation is stuck. */
#define GP_LIVENESS_S 30
#define GP_POLL_MS 10
/* How long the blocked callback is held after the replaces, asserting that
 * nothing is freed meanwhile (an assertion that something does not happen,
 * so its length does not make the test timing-dependent). */
#define GP_HOLD_MS 200

static char gp_plates[GP_ENTRIES][8];
static struct hotlist_entry gp_e[GP_ENTRIES];

static void gp_replace(struct hotlist *h)
{
	ck_assert_int_eq(hotlist_replace(h, "big", gp_e, GP_ENTRIES, NULL), 0);
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* Poll until at most `limit` bytes are outstanding; false after the bound. */
static bool bytes_fall_to(long long limit)
{
	for (long waited = 0; waited < GP_LIVENESS_S * 1000L; waited += GP_POLL_MS) {
		if (atomic_load(&ca_bytes) <= limit)
			return true;
		sleep_ms(GP_POLL_MS);
	}
	return atomic_load(&ca_bytes) <= limit;
}

/* A matching thread that goes idle, or blocks inside its hit callback. */
struct gp_thread {
	struct hotlist *hl;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int phase; /* 0 starting, 1 idle or in the callback, 2 told to go on */
	int hits_before, hits_after;
};

static void gp_wait_phase(struct gp_thread *t, int phase)
{
	pthread_mutex_lock(&t->mu);
	while (t->phase != phase)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

static void gp_set_phase(struct gp_thread *t, int phase)
{
	pthread_mutex_lock(&t->mu);
	t->phase = phase;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static int gp_hits(struct hotlist *h)
{
	return hl_test_hits(h, gp_plates[0], NULL) +
	       hl_test_hits(h, gp_plates[GP_ENTRIES - 1], NULL);
}

/* Matches (registering with RCU), goes idle outside any read-side section
 * until told, matches again. */
static void *gp_idle_main(void *arg)
{
	struct gp_thread *t = arg;
	t->hits_before = gp_hits(t->hl);
	gp_set_phase(t, 1);
	gp_wait_phase(t, 2);
	t->hits_after = gp_hits(t->hl);
	return NULL;
}

/* Hit callback that blocks (inside the read-side section) until told. */
static void gp_hold_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	struct gp_thread *t = user;
	gp_set_phase(t, 1);
	gp_wait_phase(t, 2);
}

static void *gp_hold_main(void *arg)
{
	struct gp_thread *t = arg;
	struct hotlist_read r = { .plate = gp_plates[1] };
	t->hits_after = hotlist_match(t->hl, &r, gp_hold_hit, t);
	return NULL;
}

static void gp_noop_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
}

static struct hotlist *gp_engine(void)
{
	for (int i = 0; i < GP_ENTRIES; i++) {
		snprintf(gp_plates[i], sizeof(gp_plates[i]), "GP%05d", i);
		gp_e[i] = (struct hotlist_entry){ .plate = gp_plates[i], .category = "gp" };
	}
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.allocator = &counting;
	cfg.suppress_window_us = 0;
	cfg.workers = 2; /* idle workers must not hold grace periods up either */
	cfg.on_hit = gp_noop_hit;
	struct hotlist *h = NULL;
	ck_assert_int_eq(hotlist_create(&h, &cfg), 0);
	return h;
}

static void gp_thread_init(struct gp_thread *t, struct hotlist *h)
{
	memset(t, 0, sizeof(*t));
	t->hl = h;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
}

static void gp_thread_fini(struct gp_thread *t)
{
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
}

/* Replaces GP_REPLACES times, counting. */
struct gp_writer {
	struct hotlist *hl;
	atomic_int done;
};

static void *gp_writer_main(void *arg)
{
	struct gp_writer *w = arg;
	for (int i = 0; i < GP_REPLACES; i++) {
		gp_replace(w->hl);
		atomic_fetch_add(&w->done, 1);
	}
	return NULL;
}

START_TEST(grace_period_idle_reader)
{
	struct hotlist *h = gp_engine();
	long long base = atomic_load(&ca_bytes);
	gp_replace(h);
	long long version = atomic_load(&ca_bytes) - base;
	ck_assert_int_gt(version, GP_ENTRIES * 8); /* counted: the allocator is used */
	/* one live version, and a quarter of one for what is still on its way */
	long long settled = base + version + version / 4;

	/* 1. an idle registered reader does not hold grace periods up */
	struct gp_thread t;
	gp_thread_init(&t, h);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, gp_idle_main, &t), 0);
	gp_wait_phase(&t, 1);
	for (int i = 0; i < GP_REPLACES; i++)
		gp_replace(h);
	/* the thread stays idle until phase 2, set only after this check */
	ck_assert_msg(bytes_fall_to(settled), "idle reader: %lld bytes outstanding, want <= %lld",
		      atomic_load(&ca_bytes), settled);
	gp_set_phase(&t, 2);
	pthread_join(th, NULL);
	ck_assert_int_eq(t.hits_before, 2);
	ck_assert_int_eq(t.hits_after, 2);
	gp_thread_fini(&t);

	/* 2. a reader blocked in a hit callback does, until it returns; and
	 * the writer stops at the bound (HL_RETIRED_HEAVY_MAX versions
	 * waiting) and waits for it, so memory stays within the bound */
	gp_thread_init(&t, h);
	ck_assert_int_eq(pthread_create(&th, NULL, gp_hold_main, &t), 0);
	gp_wait_phase(&t, 1);
	struct gp_writer w = { .hl = h };
	pthread_t wt;
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(h, &st);
	uint64_t waits0 = st.reclaim_waits; /* part 1 may have waited too */
	ck_assert_int_eq(pthread_create(&wt, NULL, gp_writer_main, &w), 0);
	for (long waited = 0; waited < GP_LIVENESS_S * 1000L; waited += GP_POLL_MS) {
		hotlist_stats(h, &st); /* until the writer waits at the bound */
		if (st.reclaim_waits > waits0)
			break;
		sleep_ms(GP_POLL_MS);
	}
	ck_assert_uint_gt(st.reclaim_waits, waits0);
	int done = atomic_load(&w.done);
	ck_assert_int_le(done, HL_RETIRED_HEAVY_MAX);
	long long held = base + version * (HL_RETIRED_HEAVY_MAX - 1);
	long long bound = base + version * (HL_RETIRED_HEAVY_MAX + 2) + version / 4;
	for (int ms = 0; ms < GP_HOLD_MS; ms += GP_POLL_MS) {
		long long now = atomic_load(&ca_bytes);
		ck_assert_msg(now >= held,
			      "freed under a blocked callback: %lld bytes, want >= %lld", now,
			      held);
		ck_assert_msg(now <= bound, "past the bound: %lld bytes, want <= %lld", now, bound);
		sleep_ms(GP_POLL_MS);
	}
	ck_assert_int_eq(atomic_load(&w.done), done); /* still waiting */
	hotlist_stats(h, &st);
	ck_assert_uint_le(st.retired_heavy_max, HL_RETIRED_HEAVY_MAX);
	gp_set_phase(&t, 2);
	pthread_join(th, NULL);
	pthread_join(wt, NULL);
	ck_assert_int_eq(atomic_load(&w.done), GP_REPLACES);
	ck_assert_int_eq(t.hits_after, 1);
	ck_assert_msg(bytes_fall_to(settled), "after the callback: %lld bytes, want <= %lld",
		      atomic_load(&ca_bytes), settled);
	gp_thread_fini(&t);
	hotlist_destroy(h, NULL);
	ck_assert_int_eq(atomic_load(&ca_bytes), 0);
	ck_assert_int_eq(atomic_load(&ca_blocks), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("grace_period");
	TCase *gp = tcase_create("grace_period_idle_reader");
	tcase_set_timeout(gp, 4 * GP_LIVENESS_S);
	tcase_add_test(gp, grace_period_idle_reader);
	suite_add_tcase(s, gp);
	return hl_test_run(s);
}
