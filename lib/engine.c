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
#include "abi.h"
#include "alloc.h"
#include "common.h"
#include "engine.h"
#include "ingest.h"
#include "match.h"
#include "retro.h"
#include "second.h"
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
/* See load.c: a list file that lost half its entries was far more often cut
 * short or caught mid-rewrite than halved on purpose. */
#define HL_DEFAULT_SHRINK_GUARD 0.5
/* Queue slots are bounded to catch configuration mistakes (a queue item is
 * ~180 bytes); worker threads by HOTLIST_WORKERS_MAX (hotlist.h). */
#define HL_QUEUE_MAX (1u << 24)
/* Retroactive hits: reads kept when retro_max_reads is 0 (15 MB at 232
 * bytes a read: a 5-minute window at about 200 reads/s), and the most a
 * window may hold (2^28 reads: 62 GB), to catch configuration mistakes. */
#define HL_RETRO_DEFAULT_READS 65536u
#define HL_RETRO_MAX_READS (1u << 28)
/* Second reads: the most weak hits a table may keep (2^24: 1 GiB), to catch
 * configuration mistakes. */
#define HL_SECOND_MAX (1u << 24)

void hotlist_config_init_size(struct hotlist_config *cfg, size_t size)
{
	struct hotlist_config full;
	(hotlist_config_init)(&full);
	(void)hotlist__abi_out(HL_ABI_CONFIG, cfg, &full, size); /* < V1: nothing written */
}

/* Parenthesised: the function, not the macro of hotlist.h. */
void(hotlist_config_init)(struct hotlist_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->struct_size = sizeof(*cfg);
	cfg->workers = HL_DEFAULT_WORKERS;
	cfg->queue_capacity = HL_DEFAULT_QUEUE;
	cfg->backpressure = HOTLIST_BLOCK;
	cfg->suppress_window_us = HL_DEFAULT_SUPPRESS_US;
	cfg->max_bad_fraction = HL_DEFAULT_MAX_BAD;
	cfg->latency_histogram = true;
	cfg->shrink_guard = HL_DEFAULT_SHRINK_GUARD;
}

static int check_config(const struct hotlist_config *c)
{
	if (c->workers > HOTLIST_WORKERS_MAX || c->queue_capacity > HL_QUEUE_MAX)
		return HOTLIST_EINVAL;
	if (c->workers && (!c->on_hit || c->queue_capacity < c->workers))
		return HOTLIST_EINVAL;
	if (c->backpressure != HOTLIST_BLOCK && c->backpressure != HOTLIST_REFUSE)
		return HOTLIST_EINVAL;
	if (!(c->shrink_guard >= 0 && c->shrink_guard <= 1))
		return HOTLIST_EINVAL;
	if (c->suppress_window_us < 0 || !(c->max_bad_fraction >= 0 && c->max_bad_fraction <= 1))
		return HOTLIST_EINVAL;
	if (c->allocator && (!c->allocator->alloc || !c->allocator->free))
		return HOTLIST_EINVAL;
	if (c->retro_window_us < 0 || c->retro_max_reads > HL_RETRO_MAX_READS ||
	    (c->retro_window_us && !c->on_hit))
		return HOTLIST_EINVAL;
	if (c->second_read_window_us < 0 || c->second_read_max > HL_SECOND_MAX)
		return HOTLIST_EINVAL;
	if (c->build_threads > 2)
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
	hotlist__retro_destroy(hl->retro, hl->a);
	hotlist__second_destroy(hl->second, hl->a);
	const struct hotlist_allocator *under = hl->rec.under;
	hotlist__recycle_fini(&hl->rec); /* last: everything above freed through it */
	hotlist__free(under, hl, sizeof(*hl));
}

int hotlist_create(struct hotlist **out, const struct hotlist_config *in)
{
	struct hotlist_config def;
	const struct hotlist_config *cfg = &def;
	int rc = 0;
	if (!out)
		return HOTLIST_EINVAL;
	hotlist_config_init(&def); /* the defaults of fields older callers lack */
	if (!in)
		def.workers = 0; /* no callback to give them */
	else
		rc = hotlist__abi_in(HL_ABI_CONFIG, &def, in, in->struct_size);
	if (!rc)
		rc = check_config(cfg);
	if (rc)
		return rc;
	const struct hotlist_allocator *under =
		cfg->allocator ? cfg->allocator : hotlist__default_allocator();
	struct hotlist *hl = hotlist__zalloc(under, sizeof(*hl), HL_CACHE_LINE);
	if (!hl)
		return HOTLIST_ENOMEM;
	hl->cfg = *cfg;
	/* everything else through the recycler (alloc.c, "Recycling") */
	hotlist__recycle_init(&hl->rec, under);
	const struct hotlist_allocator *a = hl->a = &hl->rec.iface;
	rc = hotlist__stats_create(&hl->stats, a);
	if (!rc)
		rc = hotlist__suppress_create(&hl->sup, cfg->suppress_window_us, a);
	int snap = 0;
	if (!rc && cfg->retro_window_us)
		rc = hotlist__retro_create(
			&hl->retro, cfg->retro_window_us,
			cfg->retro_max_reads ? cfg->retro_max_reads : HL_RETRO_DEFAULT_READS, a);
	if (!rc && cfg->second_read_window_us)
		rc = hotlist__second_create(&hl->second, cfg->second_read_window_us,
					    cfg->second_read_max, cfg->second_read_any_camera, a);
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
	struct hotlist_read tmp;
	const struct hotlist_read *r = hotlist__abi_read(read, &tmp);
	return r ? hotlist__ingest_submit(hl->ing, r) : HOTLIST_EINVAL;
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

void hotlist_thread_prepare(void)
{
	hotlist__snap_thread_prepare();
	hotlist__stats_thread_prepare();
	/* touch the read path's thread-locals (initial-exec: in the static TLS
	 * block, already there; kept for a build without the attribute) */
	(void)*(volatile unsigned *)&hotlist__in_callback;
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

static void stats_fill(struct hotlist *hl, struct hotlist_stats *out);

int hotlist_stats(struct hotlist *hl, struct hotlist_stats *out)
{
	if (!hl || !out || !hotlist__abi_span(HL_ABI_STATS, out->struct_size))
		return HOTLIST_EINVAL;
	struct hotlist_stats all; /* filled whole, copied out as far as struct_size reaches */
	stats_fill(hl, &all);
	return hotlist__abi_out(HL_ABI_STATS, out, &all, out->struct_size);
}

/* Every counter of hotlist_stats into out (the current struct). */
static void stats_fill(struct hotlist *hl, struct hotlist_stats *out)
{
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
	out->retro_kept = hotlist__stats_sum(s, HL_C_RETRO_KEPT);
	out->retro_hits = hotlist__stats_sum(s, HL_C_RETRO_HITS);
	out->fuzzy_second_read = hotlist__stats_sum(s, HL_C_SECOND_READ);
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
	hotlist__recycle_stats(&hl->rec, &out->recycled_bytes, &out->recycled_blocks);
}
