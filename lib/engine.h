/* SPDX-License-Identifier: MIT */
/*
 * engine.h — the engine object, struct hotlist: the configuration, the
 * snapshot state (snapshot.h) and the services the public calls share
 * (counters, suppression, ingest). Data only: the functions are the
 * public API, in engine.c (the façade: create, destroy, submit, stats),
 * match.c and load.c. Uses: snapshot, ingest, stats, suppress, retro,
 * second.
 */
#ifndef HOTLIST_ENGINE_H
#define HOTLIST_ENGINE_H

#include "alloc.h"
#include "hotlist.h"
#include "snapshot.h"

#include <stdatomic.h>
#include <stdint.h>

struct hl_ingest;
struct hl_retro;
struct hl_second;
struct hl_stats;
struct hl_suppress;

struct hotlist {
	struct hotlist_config cfg;
	const struct hotlist_allocator *a; /* &rec.iface */
	struct hl_recycle rec; /* in front of the caller's allocator */
	struct hl_snap snap; /* the published lists and their writer lock */
	struct hl_stats *stats;
	struct hl_suppress *sup;
	struct hl_ingest *ing;
	struct hl_retro *retro; /* kept reads for retroactive hits, or NULL: off */
	struct hl_second *second; /* kept weak hits for second reads, or NULL: off */
	atomic_uint_fast64_t reloads, reload_failures, edits;
	atomic_int_fast64_t reload_last_us, reload_max_us, reload_total_us;
};

#endif /* HOTLIST_ENGINE_H */
