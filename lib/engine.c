/* SPDX-License-Identifier: MIT */
/*
 * engine.c — the façade: configuration, create/destroy, the asynchronous
 * path's glue, statistics.
 *
 * Create builds, in order: allocator choice, counters, suppression table,
 * the empty published state (snapshot.c), then the ingest workers (which
 * may match at once). Destroy undoes it in reverse: ingest first (it drains
 * every accepted read, which still needs the lists), then the lists (after
 * an RCU barrier), then the rest. Each step is a short function.
 */
#include "alloc.h"
#include "common.h"
#include "engine.h"
#include "ingest.h"
#include "match.h"
#include "snapshot.h"
#include "stats.h"
#include "suppress.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Defaults, named for hotlist_config_init. */
#define HL_DEFAULT_WORKERS 2u
#define HL_DEFAULT_QUEUE 65536u
/* A car passing a camera is seen again by it within minutes in traffic;
 * five minutes suppresses the repeats of one passage, not the next one. */
#define HL_DEFAULT_SUPPRESS_US (5 * 60 * INT64_C(1000000))
/* See load.c: above 1 % bad rows a file is taken as broken. */
#define HL_DEFAULT_MAX_BAD 0.01
/* Worker threads and queue slots are bounded to catch configuration
 * mistakes (a queue item is ~180 bytes). */
#define HL_WORKERS_MAX 256u
#define HL_QUEUE_MAX (1u << 24)

void hotlist_config_init(struct hotlist_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->struct_size = sizeof(*cfg);
	cfg->workers = HL_DEFAULT_WORKERS;
	cfg->queue_capacity = HL_DEFAULT_QUEUE;
	cfg->backpressure = HOTLIST_BLOCK;
	cfg->suppress_window_us = HL_DEFAULT_SUPPRESS_US;
	cfg->max_bad_fraction = HL_DEFAULT_MAX_BAD;
	cfg->latency_histogram = true;
}

static int check_config(const struct hotlist_config *c)
{
	if (c->struct_size != sizeof(*c))
		return HOTLIST_EINVAL;
	if (c->workers > HL_WORKERS_MAX || c->queue_capacity > HL_QUEUE_MAX)
		return HOTLIST_EINVAL;
	if (c->workers && (!c->on_hit || c->queue_capacity < c->workers))
		return HOTLIST_EINVAL;
	if (c->backpressure != HOTLIST_BLOCK && c->backpressure != HOTLIST_REFUSE)
		return HOTLIST_EINVAL;
	if (c->suppress_window_us < 0 || !(c->max_bad_fraction >= 0 && c->max_bad_fraction <= 1))
		return HOTLIST_EINVAL;
	if (c->allocator && (!c->allocator->alloc || !c->allocator->free))
		return HOTLIST_EINVAL;
	return 0;
}

/* The async workers' entry into the matcher. */
static void on_async_read(void *ctx, const struct hotlist_read *read, uint64_t t_submit_ns)
{
	struct hotlist *hl = ctx;
	hotlist__match_one(hl, read, hl->cfg.latency_histogram ? t_submit_ns : 0, HL_H_ASYNC,
			   hl->cfg.on_hit, hl->cfg.on_hit_user);
}

static void teardown(struct hotlist *hl, int snap_ready)
{
	if (snap_ready)
		hotlist__snap_fini(&hl->snap);
	if (hl->sup)
		hotlist__suppress_destroy(hl->sup, hl->a);
	if (hl->stats)
		hotlist__stats_destroy(hl->stats, hl->a);
	hotlist__free(hl->a, hl, sizeof(*hl));
}

int hotlist_create(struct hotlist **out, const struct hotlist_config *cfg)
{
	struct hotlist_config def;
	if (!out)
		return HOTLIST_EINVAL;
	if (!cfg) {
		hotlist_config_init(&def);
		def.workers = 0; /* no callback to give them */
		cfg = &def;
	}
	int rc = check_config(cfg);
	if (rc)
		return rc;
	const struct hotlist_allocator *a =
		cfg->allocator ? cfg->allocator : hotlist__default_allocator();
	struct hotlist *hl = hotlist__zalloc(a, sizeof(*hl), HL_CACHE_LINE);
	if (!hl)
		return HOTLIST_ENOMEM;
	hl->cfg = *cfg;
	hl->a = a;
	rc = hotlist__stats_create(&hl->stats, a);
	if (!rc)
		rc = hotlist__suppress_create(&hl->sup, cfg->suppress_window_us, a);
	int snap = 0;
	if (!rc && !(rc = hotlist__snap_init(&hl->snap, a)))
		snap = 1;
	if (!rc && cfg->workers)
		rc = hotlist__ingest_create(&hl->ing, cfg->workers, cfg->queue_capacity,
					    cfg->backpressure, on_async_read, hl, hl->stats, a);
	if (rc) {
		teardown(hl, snap);
		return rc;
	}
	*out = hl;
	return 0;
}

/* A hit callback (inline or on a worker) may not wait for the engine. */
static int in_callback(void)
{
	return hotlist__in_callback || hotlist__ingest_is_worker();
}

int hotlist_shutdown(struct hotlist *hl, uint64_t *pending)
{
	if (pending)
		*pending = 0;
	if (!hl)
		return HOTLIST_EINVAL;
	if (in_callback())
		return HOTLIST_EDEADLK;
	uint64_t drained = hl->ing ? hotlist__ingest_stop(hl->ing) : 0;
	if (pending)
		*pending = drained;
	return 0;
}

void hotlist_destroy(struct hotlist *hl, uint64_t *pending)
{
	if (!hl)
		return;
	if (in_callback()) {
		/* Always on: the alternative is a deadlock (the RCU barrier
		 * inside a read-side section) or, for the callback's own engine,
		 * a use-after-free with no diagnosis. */
		fprintf(stderr, "hotlist: hotlist_destroy() called from a hit callback; "
				"aborting (see hotlist_hit_fn in hotlist.h)\n");
		abort();
	}
	uint64_t drained = hl->ing ? hotlist__ingest_destroy(hl->ing) : 0;
	if (pending)
		*pending = drained;
	teardown(hl, 1);
}

int hotlist_submit(struct hotlist *hl, const struct hotlist_read *read)
{
	if (!hl || !read)
		return HOTLIST_EINVAL;
	if (!hl->ing)
		return HOTLIST_ENOTSUP;
	return hotlist__ingest_submit(hl->ing, read);
}

int hotlist_flush(struct hotlist *hl)
{
	if (!hl)
		return HOTLIST_EINVAL;
	if (!hl->ing)
		return HOTLIST_ENOTSUP;
	if (hotlist__ingest_is_worker())
		return HOTLIST_EDEADLK;
	return hotlist__ingest_flush(hl->ing);
}

static void list_totals(struct hotlist *hl, struct hotlist_stats *out)
{
	struct hotlist_list_info info;
	for (size_t i = 0; hotlist__snap_info(&hl->snap, i, &info) == 0; i++) {
		out->lists++;
		out->entries += info.entries;
		out->index_bytes += info.index_bytes;
		out->memory_bytes += info.memory_bytes;
	}
}

/* The fields of struct hotlist_stats up to async_latency: what every
 * caller's struct has (older ones end there). */
#define HL_STATS_V1_SIZE \
	(offsetof(struct hotlist_stats, async_latency) + sizeof(struct hotlist_latency))

void hotlist_stats(struct hotlist *hl, struct hotlist_stats *user)
{
	size_t size = user->struct_size;
	if (size < HL_STATS_V1_SIZE)
		return; /* smaller than any version of the struct: nothing filled */
	struct hotlist_stats all, *out = &all;
	memset(out, 0, sizeof(*out));
	const struct hl_stats *s = hl->stats;
	out->reads = hotlist__stats_sum(s, HL_C_READS);
	out->bad_reads = hotlist__stats_sum(s, HL_C_BAD_READS);
	out->hits = hotlist__stats_sum(s, HL_C_HITS);
	out->hits_exact = hotlist__stats_sum(s, HL_C_HITS_EXACT);
	out->suppressed = hotlist__stats_sum(s, HL_C_SUPPRESSED);
	out->not_valid = hotlist__stats_sum(s, HL_C_NOT_VALID);
	out->fuzzy_weak_suppressed = hotlist__stats_sum(s, HL_C_WEAK_SUPPRESSED);
	out->fuzzy_weak = hotlist__stats_sum(s, HL_C_WEAK);
	out->submitted = hotlist__stats_sum(s, HL_C_SUBMITTED);
	out->refused = hotlist__stats_sum(s, HL_C_REFUSED);
	out->pending = hl->ing ? hotlist__ingest_pending(hl->ing) : 0;
	/* relaxed loads: independent statistics, no ordering implied */
	out->reloads = atomic_load_explicit(&hl->reloads, memory_order_relaxed);
	out->reload_failures = atomic_load_explicit(&hl->reload_failures, memory_order_relaxed);
	out->edits = atomic_load_explicit(&hl->edits, memory_order_relaxed);
	out->reload_last_us = atomic_load_explicit(&hl->reload_last_us, memory_order_relaxed);
	out->reload_max_us = atomic_load_explicit(&hl->reload_max_us, memory_order_relaxed);
	out->reload_total_us = atomic_load_explicit(&hl->reload_total_us, memory_order_relaxed);
	list_totals(hl, out);
	hotlist__stats_percentiles(s, HL_H_INLINE, &out->inline_latency);
	hotlist__stats_percentiles(s, HL_H_ASYNC, &out->async_latency);
	hotlist__snap_reclaim_stats(&hl->snap, &out->retired_versions, &out->retired_heavy,
				    &out->retired_heavy_max, &out->reclaim_waits);
	/* an older caller's struct gets the fields it has */
	size = size < sizeof(*out) ? size : sizeof(*out);
	memcpy(user, out, size);
	user->struct_size = size;
}
