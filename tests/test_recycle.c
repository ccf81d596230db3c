/* SPDX-License-Identifier: MIT */
/*
 * The recycler (lib/alloc.c, "Recycling"): freed blocks of HL_RECYCLE_MIN
 * bytes or more kept for the next list build. Through an allocator that
 * checks every free against its allocation (pointer known, size the one
 * allocated: a sized-free allocator would corrupt otherwise) and counts
 * what is outstanding:
 *  - the recycler alone: a held block is handed out again for an ask of
 *    about its size, aligned as asked, freed below with its own size; the
 *    number held is bounded; small blocks pass through; fini frees all;
 *  - a block of HL_HUGE_MIN (4 MiB) or more is asked of the allocator in
 *    whole 2 MiB pages, 2 MiB aligned, and freed with that size (so the
 *    tail of an index is on huge pages too; lib/alloc.c);
 *  - an engine: replaces reuse the retired version's arrays (stats say
 *    so), the list built in reused memory holds exactly its own entries
 *    (none of the version whose memory it took), and destroy gives every
 *    byte back.
 */
#include "hotlist.h"
#include "testutil.h"

#include "alloc.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a checking allocator ----------------------------------------------- */

#define SLOTS (1u << 16)

static struct {
	pthread_mutex_t mu;
	void *p[SLOTS];
	size_t size[SLOTS];
	long live, allocs, frees, bad_frees;
	size_t live_bytes;
} ck = { .mu = PTHREAD_MUTEX_INITIALIZER };

static unsigned slot_of(const void *p)
{
	return (unsigned)(((uintptr_t)p >> 4) * 0x9E3779B1u) & (SLOTS - 1);
}

static void *ck_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	void *p = NULL;
	if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size))
		return NULL;
	pthread_mutex_lock(&ck.mu);
	unsigned i = slot_of(p);
	while (ck.p[i])
		i = (i + 1) & (SLOTS - 1);
	ck.p[i] = p;
	ck.size[i] = size;
	ck.live++;
	ck.allocs++;
	ck.live_bytes += size;
	pthread_mutex_unlock(&ck.mu);
	return p;
}

static void ck_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	pthread_mutex_lock(&ck.mu);
	unsigned i = slot_of(p), n = 0;
	while (ck.p[i] != p && n++ < SLOTS)
		i = (i + 1) & (SLOTS - 1);
	if (ck.p[i] != p || ck.size[i] != size) {
		ck.bad_frees++; /* unknown pointer, or not the size allocated */
		pthread_mutex_unlock(&ck.mu);
		return;
	}
	/* remove, then re-place the run after it (linear probing) */
	ck.p[i] = NULL;
	for (unsigned j = (i + 1) & (SLOTS - 1); ck.p[j]; j = (j + 1) & (SLOTS - 1)) {
		void *q = ck.p[j];
		size_t s = ck.size[j];
		ck.p[j] = NULL;
		unsigned k = slot_of(q);
		while (ck.p[k])
			k = (k + 1) & (SLOTS - 1);
		ck.p[k] = q;
		ck.size[k] = s;
	}
	ck.live--;
	ck.frees++;
	ck.live_bytes -= size;
	pthread_mutex_unlock(&ck.mu);
	free(p);
}

static const struct hotlist_allocator checking = { ck_alloc, ck_free, NULL };

static long counter(long *c)
{
	pthread_mutex_lock(&ck.mu);
	long v = *c;
	pthread_mutex_unlock(&ck.mu);
	return v;
}

static size_t live_bytes(void)
{
	pthread_mutex_lock(&ck.mu);
	size_t v = ck.live_bytes;
	pthread_mutex_unlock(&ck.mu);
	return v;
}

/* ---- the recycler alone -------------------------------------------------- */

#define MIB ((size_t)1 << 20)

START_TEST(reuse_sized_and_bounded)
{
	struct hl_recycle r;
	hotlist__recycle_init(&r, &checking);
	const struct hotlist_allocator *a = &r.iface;
	uint64_t held, reused;

	/* small blocks go straight through, both ways */
	long f0 = counter(&ck.frees);
	void *small = hotlist__alloc(a, 4096, 64);
	ck_assert_ptr_nonnull(small);
	hotlist__free(a, small, 4096);
	ck_assert_int_eq(counter(&ck.frees), f0 + 1);

	/* a freed big block is held, not freed below */
	char *p = hotlist__alloc(a, 2 * MIB, 64);
	ck_assert_ptr_nonnull(p);
	memset(p, 0x5a, 2 * MIB);
	hotlist__free(a, p, 2 * MIB);
	ck_assert_int_eq(counter(&ck.frees), f0 + 1);
	hotlist__recycle_stats(&r, &held, &reused);
	ck_assert_uint_eq(held, 2 * MIB);
	ck_assert_uint_eq(reused, 0);

	/* too small a fit (under 4/5 of the block) is not served from it */
	void *q = hotlist__alloc(a, MIB + MIB / 2, 64);
	ck_assert_ptr_ne(q, p);
	hotlist__free(a, q, MIB + MIB / 2); /* held too now */

	/* an ask of 1.9 MiB takes the 2 MiB block; its free below later
	 * carries the allocated size (checked by ck_free) */
	char *p2 = hotlist__alloc(a, 2 * MIB - MIB / 10, 64);
	ck_assert_ptr_eq(p2, p);
	hotlist__recycle_stats(&r, &held, &reused);
	ck_assert_uint_eq(reused, 1);
	ck_assert_uint_eq(held, MIB + MIB / 2);
	hotlist__free(a, p2, 2 * MIB - MIB / 10);

	/* whatever is held, what comes out is aligned as asked */
	void *al = hotlist__alloc(a, MIB + MIB / 2, MIB);
	ck_assert_ptr_nonnull(al);
	ck_assert_uint_eq((uintptr_t)al % MIB, 0);
	hotlist__free(a, al, MIB + MIB / 2);
	void *big = hotlist__alloc(a, 8 * MIB, 64); /* raised to 2 MiB by alloc.c */
	hotlist__free(a, big, 8 * MIB);
	void *big2 = hotlist__alloc(a, 8 * MIB, 64);
	ck_assert_ptr_eq(big2, big);
	ck_assert_uint_eq((uintptr_t)big2 % (2 * MIB), 0);
	hotlist__free(a, big2, 8 * MIB);

	/* fini gives every held block back */
	hotlist__recycle_fini(&r);
	hotlist__recycle_stats(&r, &held, &reused);
	ck_assert_uint_eq(held, 0);
	ck_assert_int_eq(counter(&ck.live), 0);

	/* bounded: past HL_RECYCLE_HELD blocks the oldest go below */
	hotlist__recycle_init(&r, &checking);
	void *many[HL_RECYCLE_HELD + 3];
	for (unsigned i = 0; i < HL_RECYCLE_HELD + 3; i++)
		many[i] = hotlist__alloc(a, 3 * MIB + i * 4 * MIB, 64); /* none fits another */
	long before = counter(&ck.frees);
	for (unsigned i = 0; i < HL_RECYCLE_HELD + 3; i++)
		hotlist__free(a, many[i], 3 * MIB + i * 4 * MIB);
	ck_assert_int_eq(counter(&ck.frees) - before, 3);
	hotlist__recycle_stats(&r, &held, &reused);
	size_t want = 0; /* blocks of 4 MiB or more are held in whole 2 MiB pages */
	for (unsigned i = 3; i < HL_RECYCLE_HELD + 3; i++)
		want += (3 * MIB + i * 4 * MIB + 2 * MIB - 1) & ~(2 * MIB - 1);
	ck_assert_uint_eq(held, want);

	hotlist__recycle_fini(&r);
	hotlist__recycle_stats(&r, &held, &reused);
	ck_assert_uint_eq(held, 0);
	ck_assert_int_eq(counter(&ck.live), 0);
	ck_assert_int_eq(counter(&ck.bad_frees), 0);
}
END_TEST

/* ---- an engine ------------------------------------------------------------ */

#define N_A 80000 /* 24-byte entry records: ~1.9 MB of entry array */

static char plates[2 * N_A][12];

static struct hotlist_entry *entries(size_t first, size_t n)
{
	struct hotlist_entry *e = calloc(n, sizeof(*e));
	ck_assert_ptr_nonnull(e);
	for (size_t i = 0; i < n; i++)
		e[i] = (struct hotlist_entry){ .plate = plates[first + i],
					       .category = "stolen",
					       .reference = "case",
					       .priority = 10 };
	return e;
}

static void stats_of(struct hotlist *hl, struct hotlist_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->struct_size = sizeof(*st);
	ck_assert_int_eq(hotlist_stats(hl, st), 0);
}

/* Replace with e (n entries) until the engine holds recycled memory: the
 * retired version is freed a grace period later, on the call_rcu thread. */
static void replace(struct hotlist *hl, const struct hotlist_entry *e, size_t n)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, n, &rep), 0);
	ck_assert_uint_eq(rep.loaded, n);
}

static void wait_held(struct hotlist *hl)
{
	struct hotlist_stats st;
	for (int i = 0; i < 2000; i++) {
		stats_of(hl, &st);
		if (st.recycled_bytes)
			return;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("no retired version's memory was recycled in 2 s");
}

/* An engine allocating through the checking allocator (inline matching). */
static struct hotlist *checked_engine(void)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.allocator = &checking;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	return hl;
}

START_TEST(engine_reuses_retired_memory)
{
	for (size_t i = 0; i < 2 * N_A; i++)
		snprintf(plates[i], sizeof(plates[i]), "R%06zuX", i);
	struct hotlist *hl = checked_engine();

	/* A: plates [0, N_A); B: [N_A, N_A + 9/10 N_A), none of A's, in
	 * slightly smaller blocks than A's (handed out for a smaller ask) */
	const size_t n_b = N_A * 9 / 10;
	struct hotlist_entry *a = entries(0, N_A), *b = entries(N_A, n_b);
	replace(hl, a, N_A);
	replace(hl, b, n_b); /* retires A */
	wait_held(hl);
	struct hotlist_stats st;
	stats_of(hl, &st);
	uint64_t reused0 = st.recycled_blocks;
	replace(hl, a, N_A); /* retires B; built in A's old memory */
	wait_held(hl);
	replace(hl, b, n_b); /* built in B's old memory (or A's) */
	stats_of(hl, &st);
	ck_assert_uint_gt(st.recycled_blocks, reused0);
	ck_assert_uint_le(st.recycled_bytes, (uint64_t)HL_RECYCLE_HELD * 64 * MIB);

	/* the list in reused memory: exactly B */
	for (size_t i = 0; i < N_A; i++)
		CHECK(hl_test_hits(hl, plates[i], NULL) == 0, "stale plate %s hits", plates[i]);
	for (size_t i = 0; i < n_b; i++)
		CHECK(hl_test_hits(hl, plates[N_A + i], NULL) == 1, "plate %s lost",
		      plates[N_A + i]);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.entries, n_b);

	/* and back to A, in B's memory */
	wait_held(hl);
	replace(hl, a, N_A);
	for (size_t i = 0; i < N_A; i++)
		CHECK(hl_test_hits(hl, plates[i], NULL) == 1, "plate %s lost", plates[i]);
	for (size_t i = 0; i < n_b; i++)
		CHECK(hl_test_hits(hl, plates[N_A + i], NULL) == 0, "stale plate %s hits",
		      plates[N_A + i]);

	hotlist_destroy(hl, NULL);
	/* destroy gave back every byte, held blocks included, each with the
	 * size it was allocated with */
	ck_assert_int_eq(counter(&ck.live), 0);
	ck_assert_int_eq(counter(&ck.bad_frees), 0);
	free(a);
	free(b);
}
END_TEST

/* ---- huge blocks ------------------------------------------------------------ */

START_TEST(huge_blocks_are_whole_pages)
{
	static const size_t asks[] = { 4 * MIB - 1, 4 * MIB, 4 * MIB + 1, 17 * MIB + 12345,
				       18 * MIB };
	static const size_t seen[] = { 4 * MIB - 1, 4 * MIB, 6 * MIB, 18 * MIB, 18 * MIB };

	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		size_t before = live_bytes();
		unsigned char *p = hotlist__alloc(&checking, asks[i], 64);

		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(live_bytes() - before, seen[i]);
		if (asks[i] >= 4 * MIB)
			ck_assert_uint_eq((uintptr_t)p & (2 * MIB - 1), 0);
		p[0] = p[asks[i] - 1] = 1;
		hotlist__free(&checking, p, asks[i]);
		ck_assert_int_eq(counter(&ck.bad_frees), 0);
		ck_assert_uint_eq(live_bytes(), before);
	}
}
END_TEST

/* ---- memory figures count what was allocated -------------------------------- */

#define N_M 300000 /* 7.2 MB of entry records, 5.6 MB of index: rounded up to 2 MiB */

static char mplates[N_M][12];

/* hotlist_list_info's memory_bytes is what the list holds as allocated:
 * with blocks of 4 MiB or more asked for in whole 2 MiB pages, a figure of
 * the sizes asked for (what it was) fell short by up to 2 MiB a block. The
 * engine's live bytes after a replace are the list, the freed blocks the
 * recycler holds (stats), and a few small structures. */
START_TEST(memory_figures_are_as_allocated)
{
	struct hotlist *hl = checked_engine();
	struct hotlist_entry *e = calloc(N_M, sizeof(*e));
	ck_assert_ptr_nonnull(e);
	for (size_t i = 0; i < N_M; i++) {
		snprintf(mplates[i], sizeof(mplates[i]), "M%07zu", i);
		e[i] = (struct hotlist_entry){ .plate = mplates[i], .category = "stolen" };
	}
	size_t before = live_bytes();
	replace(hl, e, N_M);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	struct hotlist_stats st;
	stats_of(hl, &st);
	size_t grown = live_bytes() - before;
	ck_assert_uint_eq(st.memory_bytes, info.memory_bytes);
	ck_assert_uint_eq(st.index_bytes, info.index_bytes);
	ck_assert_uint_le(info.memory_bytes + st.recycled_bytes, grown);
	ck_assert_uint_le(grown - info.memory_bytes - st.recycled_bytes, 64 * 1024);
	/* and with a fuzzy index and score model (their arrays too) */
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 1;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	stats_of(hl, &st);
	grown = live_bytes() - before;
	ck_assert_uint_le(info.memory_bytes + st.recycled_bytes, grown);
	ck_assert_uint_le(grown - info.memory_bytes - st.recycled_bytes, 64 * 1024);
	hotlist_destroy(hl, NULL);
	ck_assert_int_eq(counter(&ck.live), 0);
	free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recycle");
	TCase *tc = tcase_create("recycle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reuse_sized_and_bounded);
	tcase_add_test(tc, engine_reuses_retired_memory);
	tcase_add_test(tc, huge_blocks_are_whole_pages);
	tcase_add_test(tc, memory_figures_are_as_allocated);
	suite_add_tcase(s, tc);
	return hl_test_run(s);
}
