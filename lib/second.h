/* SPDX-License-Identifier: MIT */
/*
 * second.h — second-read evidence for weak fuzzy hits (second.c): a small
 * fixed table of the recent weak hits of one engine, so that two different
 * misreads of one passing car that both land near the same entry can
 * together raise an alert neither raises alone. Knows nothing of lists or
 * matching: an entry, a read text and a camera are 64-bit hashes here.
 * Uses: alloc, clock.
 */
#ifndef HOTLIST_SECOND_H
#define HOTLIST_SECOND_H

#include "hotlist.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hl_second;

/* One weak fuzzy hit, as the matcher hands it over. */
struct hl_second_hit {
	uint64_t entry; /* the entry's identity (list, plate, country, category): never 0 */
	const char *plate; /* the read's text that hit, normalised (hashed with the
			      engine's key, never stored) */
	size_t len;
	uint64_t camera; /* hash of the camera id; 0 = none */
	int64_t ts_us; /* capture time */
	unsigned score; /* the hit's own score, 0..99 */
};

/* A table keeping weak hits for window_us (> 0), at least `slots` of them
 * (0: the default, HL_SECOND_SLOTS_DEFAULT in second.c); any_camera: two
 * reads of different cameras may be of one car. 0 or HOTLIST_ENOMEM.
 * Control. */
int hotlist__second_create(struct hl_second **out, int64_t window_us, size_t slots, bool any_camera,
			   const struct hotlist_allocator *a);
/* Zero every slot and the key, and free. Control (no note running). NULL
 * is fine. */
void hotlist__second_destroy(struct hl_second *s, const struct hotlist_allocator *a);

/*
 * Note weak hit h and return the score of the pair it makes with an earlier
 * weak hit kept for the same entry, within the window of h's capture time,
 * by the same camera (unless any_camera), of a different text: the two
 * hits' log-odds added, plus the offset of second.c; 0 when
 * there is no such hit, or when a text of the entry and camera was read
 * twice (h's own or a kept one: evidence that it is right). h is kept
 * unless its score is below the floor or its slot is busy. Any thread,
 * concurrently; wait-free.
 */
unsigned hotlist__second_note(struct hl_second *s, const struct hl_second_hit *h);

/* The hits kept and not expired at now_us (capture time). O(slots). Any
 * thread; for tests. */
size_t hotlist__second_count(struct hl_second *s, int64_t now_us);

/* Slots of the table (a power of two). */
size_t hotlist__second_slots(const struct hl_second *s);

#endif /* HOTLIST_SECOND_H */
