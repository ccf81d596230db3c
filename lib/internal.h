/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces between the modules of lib/. Never installed.
 *
 * Dependencies point one way:
 *   engine (façade) -> ingest, snapshot, match, stats, suppress
 *   snapshot -> list -> table, normalise      load(csv) -> (none)
 * Only snapshot.c and engine.c include liburcu; table.c knows nothing of RCU.
 * Cross-file symbols are named hotlist__*, and the library is built with
 * hidden visibility so none of them is exported.
 */
#ifndef HOTLIST_INTERNAL_H
#define HOTLIST_INTERNAL_H

#include "hotlist.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HL_CACHE_LINE 64

#ifdef HOTLIST_DEBUG_CHECKS
/* Not assert(): release builds with debug checks define NDEBUG too. */
#include <stdio.h>
#include <stdlib.h>
#define HL_DEBUG_ASSERT(x)                                                                        \
	do {                                                                                      \
		if (!(x)) {                                                                       \
			fprintf(stderr, "hotlist: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#x);                                                              \
			abort();                                                                  \
		}                                                                                 \
	} while (0)
#else
#define HL_DEBUG_ASSERT(x) ((void)0)
#endif

#define HL_LIKELY(x) __builtin_expect(!!(x), 1)
#define HL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- alloc.c: the engine's allocator -------------------------------------- */

/* The default allocator: aligned_alloc/free of whatever malloc the process
 * has (jemalloc in our own programs). Never NULL. */
const struct hotlist_allocator *hotlist__default_allocator(void);
void *hotlist__alloc(const struct hotlist_allocator *a, size_t size, size_t align);
void *hotlist__zalloc(const struct hotlist_allocator *a, size_t size, size_t align);
void hotlist__free(const struct hotlist_allocator *a, void *p, size_t size);

/* ---- normalise.c: plate text and countries --------------------------------- */

/*
 * Normalise raw UTF-8 plate text (at most HOTLIST_RAW_PLATE_MAX bytes are
 * looked at; longer input is HOTLIST_EPLATE) into out[HOTLIST_PLATE_MAX + 1]:
 * A-Z0-9 only, NUL-terminated. Returns the length 1..HOTLIST_PLATE_MAX or
 * HOTLIST_EPLATE. Never reads past the NUL, never writes past out[16].
 */
int hotlist__normalise_plate(const char *in, char out[HOTLIST_PLATE_MAX + 1]);

/*
 * A country as a 16-bit code: ('N' << 8) | 'L'; 0 = unknown / any.
 * Parses NULL, "", " nl ", "NL", one-letter vehicle codes ("D" -> DE).
 * Returns 0 or HOTLIST_ECOUNTRY.
 */
typedef uint16_t hl_country;
int hotlist__parse_country(const char *in, hl_country *out);
/* "NL" or "" into out[3]. */
void hotlist__country_str(hl_country c, char out[3]);

/*
 * The exact-match key: a normalised plate packed 6 bits a character
 * (0 = padding, 1..10 = '0'..'9', 11..36 = 'A'..'Z'), 16 characters in
 * 96 bits. Two plates are equal iff their keys are equal; the all-zero key
 * is no plate (plates are never empty), so it marks an empty table slot.
 * Character i (0..14) sits at bits 6i of lo (i < 10) or 6(i-10) of hi;
 * character 15 is split: its low 4 bits at lo bits 60..63, its high 2 bits
 * at hi bits 30..31. Compare keys with hl_key_eq(), never memcmp (padding).
 */
struct hl_key {
	uint64_t lo; /* characters 0..9 (bits 0..59); low 4 bits of character 15 (60..63) */
	uint32_t hi; /* characters 10..14 (bits 0..29); high 2 bits of character 15 (30..31) */
};

void hotlist__key_pack(const char *norm, size_t len, struct hl_key *out);
/* The same for a pattern (A-Z0-9 plus '?' = code 37 and '*' = code 38), one
 * character at a time: for building, not for the read path. */
void hotlist__key_pack_pattern(const char *pat, size_t len, struct hl_key *out);
/* Back to text; returns the length. out has HOTLIST_PLATE_MAX + 1 bytes. */
size_t hotlist__key_unpack(const struct hl_key *k, char *out);

static inline int hl_key_eq(const struct hl_key *a, const struct hl_key *b)
{
	return ((a->lo ^ b->lo) | (uint64_t)(a->hi ^ b->hi)) == 0;
}

/* ---- table.c: immutable open-addressing exact-match index ------------------- */

#define HL_TABLE_NONE UINT32_MAX

struct hl_table;

/*
 * Build a table mapping n distinct keys to values (values < HL_TABLE_NONE).
 * seed is the XXH3 seed (random per snapshot); keys crafted to collide
 * under it make the build start again with a fresh random seed (see
 * table.c, "Reseeding"). Returns 0, HOTLIST_ENOMEM,
 * HOTLIST_EINVAL (duplicate key, n too large).
 */
int hotlist__table_build(struct hl_table **out, const struct hl_key *keys, const uint32_t *vals,
			 size_t n, uint64_t seed, const struct hotlist_allocator *a);
void hotlist__table_free(struct hl_table *t, const struct hotlist_allocator *a);
/* Value for key, or HL_TABLE_NONE. */
uint32_t hotlist__table_find(const struct hl_table *t, const struct hl_key *key);
/* vals[i] = hotlist__table_find(t, &keys[i]), pipelined with prefetch. */
void hotlist__table_find_bulk(const struct hl_table *t, const struct hl_key *keys, size_t n,
			      uint32_t *vals);
size_t hotlist__table_count(const struct hl_table *t);
size_t hotlist__table_bytes(const struct hl_table *t);
/* Longest probe (in buckets) any stored key needs: the bound on a lookup. */
unsigned hotlist__table_max_probe(const struct hl_table *t);
/* Times the build started again with another seed because a key would have
 * been placed more than 96 buckets along its chain (crafted collisions). */
unsigned hotlist__table_reseeds(const struct hl_table *t);
/* Tests and bench_flood: the primary (*b1) and secondary (*b2) bucket of key
 * under seed in a table of n keys (a build that reseeded uses another seed);
 * returns the table's bucket count. */
uint64_t hotlist__table_place_of(size_t n, uint64_t seed, const struct hl_key *key, uint64_t *b1,
				 uint64_t *b2);

/* ---- csv.c: hot-list file parsing --------------------------------------------- */

/*
 * Called for every data row, with the fields as an entry (strings valid
 * during the call). Returns 0 if the row was taken, else a negative code
 * and fills reason (96 bytes), and the row is counted as bad. HOTLIST_ENOMEM
 * instead stops the parse, which returns it.
 */
typedef int (*hl_csv_row_fn)(void *ctx, const struct hotlist_entry *e, uint64_t line, char *reason);
/* Called once for every bad row, in file order: rows the parser rejects (bad
 * field, too long...) and rows the row callback refused (with its code and
 * reason). The row callback itself never calls it. */
typedef void (*hl_csv_bad_fn)(void *ctx, uint64_t line, int code, const char *reason);

/*
 * Parse a hot-list CSV file: header row, ';' ',' or tab (detected from the
 * header), RFC 4180 quotes, UTF-8 BOM, CRLF. Returns 0, HOTLIST_EIO,
 * HOTLIST_EBADFILE (no header, no plate column, NUL bytes in the header, not
 * text), HOTLIST_ENOMEM. Bounded memory whatever the file holds.
 */
int hotlist__csv_parse(const char *path, hl_csv_row_fn row, hl_csv_bad_fn bad, void *ctx);
/* The same over len bytes in memory, fed to the streaming parser in pieces of
 * `piece` bytes (0 = one piece); the result does not depend on piece. For
 * tests and fuzzing. */
int hotlist__csv_parse_mem(const char *buf, size_t len, size_t piece, hl_csv_row_fn row,
			   hl_csv_bad_fn bad, void *ctx);

/* Parse a date/time field: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]",
 * or an integer number of seconds since the epoch. 0 or HOTLIST_EINVAL. */
int hotlist__parse_time(const char *s, int64_t *out_us);

/* ---- stats.c: striped counters and latency histograms ------------------------ */

enum hl_counter {
	HL_C_READS,
	HL_C_BAD_READS,
	HL_C_HITS,
	HL_C_HITS_EXACT,
	HL_C_SUPPRESSED,
	HL_C_NOT_VALID,
	HL_C_SUBMITTED,
	HL_C_REFUSED,
	HL_C_PROCESSED,
	HL_C__COUNT
};

enum hl_hist { HL_H_INLINE, HL_H_ASYNC, HL_H__COUNT };

struct hl_stats; /* opaque: stripes of counters and histograms */

int hotlist__stats_create(struct hl_stats **out, const struct hotlist_allocator *a);
void hotlist__stats_destroy(struct hl_stats *s, const struct hotlist_allocator *a);
/* Relaxed add on this thread's stripe. Threads: any, wait-free. */
void hotlist__stats_add(struct hl_stats *s, enum hl_counter c, uint64_t v);
void hotlist__stats_latency(struct hl_stats *s, enum hl_hist h, uint64_t ns);
uint64_t hotlist__stats_sum(const struct hl_stats *s, enum hl_counter c);
void hotlist__stats_percentiles(const struct hl_stats *s, enum hl_hist h,
				struct hotlist_latency *out);
uint64_t hotlist__now_ns(void); /* CLOCK_MONOTONIC */
int64_t hotlist__wall_us(void); /* CLOCK_REALTIME */

/* ---- suppress.c: repeat-hit suppression ------------------------------------------ */

struct hl_suppress;

int hotlist__suppress_create(struct hl_suppress **out, int64_t window_us,
			     const struct hotlist_allocator *a);
void hotlist__suppress_destroy(struct hl_suppress *s, const struct hotlist_allocator *a);
/*
 * Returns 1 if a hit of entry `entry_id` by camera `camera_id` at ts_us is a
 * repeat within the window (suppress it), else 0 and records it. Lock-free.
 * A table too full to record answers 0 (a hit is never lost to suppression).
 */
int hotlist__suppress_check(struct hl_suppress *s, uint64_t entry_id, uint64_t camera_id,
			    int64_t ts_us);

#endif /* HOTLIST_INTERNAL_H */
