/* SPDX-License-Identifier: MIT */
/*
 * retro.h — the window of recent reads kept for retroactive hits (retro.c):
 * a fixed ring of slots, written by every matching thread, scanned by the
 * writer of a list change. Knows nothing of lists or matching. Uses:
 * normalise (struct hl_key), alloc.
 */
#ifndef HOTLIST_RETRO_H
#define HOTLIST_RETRO_H

#include "hotlist.h"
#include "normalise.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of each string kept (camera, uuid, site), NUL included: longer ones
 * are cut, as hotlist_submit() cuts camera ids. */
#define HL_RETRO_STR (HOTLIST_CAMERA_MAX + 1)

struct hl_retro;

/* A kept read, as a scan hands it over. */
struct hl_retro_read {
	struct hl_key key; /* the normalised plate */
	hl_country country;
	int64_t ts_us; /* capture time (the match's time for a read without one) */
	char camera[HL_RETRO_STR], uuid[HL_RETRO_STR], site[HL_RETRO_STR]; /* "" = none */
};

/* A window of max_reads slots keeping reads for window_us. 0 or
 * HOTLIST_ENOMEM. Control. */
int hotlist__retro_create(struct hl_retro **out, int64_t window_us, size_t max_reads,
			  const struct hotlist_allocator *a);
/* Zero every slot and free. Control (no keep or scan running). */
void hotlist__retro_destroy(struct hl_retro *r, const struct hotlist_allocator *a);

/* Keep read `read` (normalised key k, country c), matched against the state
 * of generation gen, unless its capture time is already older than the
 * window at now_us. Any thread, concurrently; wait-free (a slot still being
 * written by a thread one whole ring behind is skipped: the read is not
 * kept). Must run inside the read-side section that matched the read
 * (retro.c, guarantee 3). Returns whether the read was kept. */
bool hotlist__retro_keep(struct hl_retro *r, const struct hl_key *k, hl_country c,
			 const struct hotlist_read *read, int64_t now_us, uint64_t gen);

/* Called for a slot's key during a scan: whether to hand its read over. */
typedef bool (*hl_retro_want_fn)(void *ctx, const struct hl_key *k);
/* Called for each read handed over. */
typedef void (*hl_retro_visit_fn)(void *ctx, const struct hl_retro_read *rd);

/* Visit every kept read captured within the window at now_us and matched
 * against a state older than generation before_gen whose key want()s;
 * wipe the slots whose read has left the window. Any thread, concurrently
 * with keep and other scans; O(max_reads), reading 40 bytes per slot. */
void hotlist__retro_scan(struct hl_retro *r, int64_t now_us, uint64_t before_gen,
			 hl_retro_want_fn want, hl_retro_visit_fn visit, void *ctx);

/* Reads kept in the window now (slots written, not yet expired or wiped,
 * at now_us). O(max_reads). Any thread; for tests and statistics. */
size_t hotlist__retro_count(struct hl_retro *r, int64_t now_us);

#endif /* HOTLIST_RETRO_H */
