/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the Check suites: the suite runner every main()
 * uses, and the engine/hit-count helpers of the engine-level suites.
 */
#ifndef HOTLIST_TESTUTIL_H
#define HOTLIST_TESTUTIL_H

#include "hotlist.h"

#include <check.h>
#include <stdlib.h>

/* ck_assert_* reports every passing assertion to the parent process; loops
 * with many checks use this instead, which costs nothing when it holds. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* Run a suite (Check forks per test), exit status for main(). */
static inline int hl_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Hit callback counting into an int. */
static inline void hl_test_count_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(*(int *)user)++;
}

/* Callbacks made for one read of plate (and country, or NULL). */
static inline int hl_test_hits(struct hotlist *hl, const char *plate, const char *country)
{
	int n = 0;
	struct hotlist_read r = { .plate = plate, .country = country };
	hotlist_match(hl, &r, hl_test_count_hit, &n);
	return n;
}

/* An engine for inline matching only, without suppression (tests match
 * the same plate again and again). */
static inline struct hotlist *hl_test_engine(void)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	return hl;
}

/* An engine whose `workers` worker threads call on_hit(user) for submitted
 * reads, through queues of queue_capacity reads in all (0: the default),
 * with backpressure bp; no suppression. */
static inline struct hotlist *hl_test_async_engine(unsigned workers, size_t queue_capacity,
						   enum hotlist_backpressure bp,
						   hotlist_hit_fn on_hit, void *user)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = workers;
	if (queue_capacity)
		cfg.queue_capacity = queue_capacity;
	cfg.backpressure = bp;
	cfg.on_hit = on_hit;
	cfg.on_hit_user = user;
	cfg.suppress_window_us = 0;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	return hl;
}

#endif /* HOTLIST_TESTUTIL_H */
