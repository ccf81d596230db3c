/* SPDX-License-Identifier: MIT */
/*
 * The exact-lookup systems bench_lookup and bench_scaling compare, behind one
 * table of function pointers. The lookup loop is inside each system's
 * function (one indirect call per slice of queries, not per query), so the
 * comparison measures the indexes and not the harness.
 *
 * Every system maps the same 96-bit keys (struct hl_key, first 12 bytes) to
 * the same 32-bit values and is built from the same arrays.
 */
#ifndef HOTLIST_BENCH_PEERS_H
#define HOTLIST_BENCH_PEERS_H

#include "bench_common.h"

/* Queries per hotlist__table_find_bulk call: a camera batch, as DPDK's bulk size. */
#define BENCH_BULK 64

/* What a lookup loop found: hits and the sum of their values (a checksum). */
struct bench_tally {
	uint64_t hits;
	uint64_t valsum;
};

struct bench_system {
	const char *name;
	/* Build keys[i] -> vals[i] (keys distinct); NULL on failure. */
	void *(*build)(const struct hl_key *keys, const uint32_t *vals, size_t n, uint64_t seed);
	/* Look up q[0..n) one by one as a caller would; add to *t. */
	void (*lookup)(void *ix, const struct hl_key *q, size_t n, struct bench_tally *t);
	/* Bytes of the index if the system knows them exactly, else 0. */
	size_t (*exact_bytes)(const void *ix);
	void (*destroy)(void *ix);
	/* How the memory per entry is measured: "exact" or "heap_delta". */
	const char *mem;
	/* One line on what the system is, printed with its build result. */
	const char *what;
};

extern const struct bench_system bench_sys_plain;
/* plain with its slots on 2 MiB pages (peers.c); shares plain's lookup. */
extern const struct bench_system bench_sys_plain_2m;
/* Bytes of a plain or plain_2m table's slots on transparent huge pages
 * (AnonHugePages in /proc/self/smaps; 0 when it cannot be read). */
size_t bench_plain_huge_bytes(const void *ix);
extern const struct bench_system bench_sys_ck_hs;
extern const struct bench_system bench_sys_cds_lfht;
/* hotlist__table_find one key at a time, and hotlist__table_find_bulk. The
 * two share one table: build it with bench_sys_hotlist_single. */
extern const struct bench_system bench_sys_hotlist_single;
extern const struct bench_system bench_sys_hotlist_bulk;

#endif /* HOTLIST_BENCH_PEERS_H */
