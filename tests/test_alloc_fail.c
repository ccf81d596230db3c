/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure sweep (libuv's test-loop-oom idea): through a
 * configured allocator, make the k-th allocation fail for k = 1, 2, ...
 * until the operation succeeds. Every failure must return HOTLIST_ENOMEM,
 * leave the live lists answering exactly as before, and leak nothing (the
 * allocator counts what is outstanding; after destroy it must be zero).
 * The folder thread's fold, and a replace whose index is built ahead on a
 * worker thread, are swept the same way.
 */
#include "hotlist.h"
#include "testutil.h"

#include "engine.h" /* struct hotlist: hl->snap */
#include "list.h" /* hotlist__build_ahead_min */
#include "snapshot.h" /* hotlist__snap_set_edits_fold, _fold_bg, _fold_settle */
#include "table.h" /* hotlist__table_split_min */

#include <check.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct failing {
	atomic_long calls; /* allocations asked for */
	atomic_long fail_at; /* the call number that fails; 0 = none */
	atomic_long live; /* outstanding allocations */
	atomic_long failures; /* how many we failed */
	atomic_size_t biggest; /* largest allocation asked for */
};

static struct failing fa;

static void *fa_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	long n = atomic_fetch_add(&fa.calls, 1) + 1;
	size_t big = atomic_load(&fa.biggest);
	while (size > big && !atomic_compare_exchange_weak(&fa.biggest, &big, size))
		;
	if (n == atomic_load(&fa.fail_at)) {
		atomic_fetch_add(&fa.failures, 1);
		return NULL;
	}
	if (align < sizeof(void *))
		align = sizeof(void *);
	void *p = NULL;
	if (posix_memalign(&p, align, size ? size : 1))
		return NULL;
	atomic_fetch_add(&fa.live, 1);
	return p;
}

static void fa_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	if (!p)
		return;
	atomic_fetch_sub(&fa.live, 1);
	free(p);
}

static const struct hotlist_allocator allocator = { fa_alloc, fa_free, NULL };

static void arm(long k)
{
	atomic_store(&fa.calls, 0);
	atomic_store(&fa.fail_at, k);
}

static void on_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
}

static struct hotlist *create_swept(long *points)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.allocator = &allocator;
	cfg.suppress_window_us = 0; /* the checks match the same plate again and again */
	cfg.workers = 1;
	cfg.on_hit = on_hit;
	struct hotlist *hl = NULL;
	for (long k = 1;; k++) {
		arm(k);
		int rc = hotlist_create(&hl, &cfg);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, HOTLIST_ENOMEM);
		ck_assert_ptr_null(hl);
		ck_assert_int_eq(atomic_load(&fa.live), 0);
		(*points)++;
	}
	arm(0);
	return hl;
}

/* Run op with the k-th allocation failing, k = 1.. until it succeeds;
 * after each failure the state must be `before`. */
#define SWEEP(points, op, check_unchanged)             \
	for (long k_ = 1;; k_++) {                     \
		arm(k_);                               \
		int rc_ = (op);                        \
		arm(0);                                \
		if (rc_ >= 0)                          \
			break;                         \
		ck_assert_int_eq(rc_, HOTLIST_ENOMEM); \
		check_unchanged;                       \
		(points)++;                            \
		ck_assert_int_lt(k_, 100000);          \
	}

START_TEST(sweep_every_operation)
{
	long points = 0;
	struct hotlist *hl = create_swept(&points);
	long after_create = points;
	struct hotlist_entry a[] = { { .plate = "A1", .category = "c" },
				     { .plate = "A2", .country = "NL", .reference = "r" } };
	struct hotlist_entry b[] = { { .plate = "B1" }, { .plate = "B2" }, { .plate = "A2" } };
	SWEEP(points, hotlist_replace(hl, "l", a, 2, NULL),
	      ck_assert_int_eq(hl_test_hits(hl, "A1", NULL), 0));
	SWEEP(points, hotlist_replace(hl, "l", b, 3, NULL), {
		ck_assert_int_eq(hl_test_hits(hl, "A1", NULL), 1);
		ck_assert_int_eq(hl_test_hits(hl, "B1", NULL), 0);
	});
	struct hotlist_entry u = { .plate = "U1", .category = "urgent" };
	SWEEP(points, hotlist_put(hl, "l", &u), {
		ck_assert_int_eq(hl_test_hits(hl, "U1", NULL), 0);
		ck_assert_int_eq(hl_test_hits(hl, "B1", NULL), 1);
	});
	SWEEP(points, hotlist_remove(hl, "l", "B1", NULL), {
		ck_assert_int_eq(hl_test_hits(hl, "B1", NULL), 1);
		ck_assert_int_eq(hl_test_hits(hl, "U1", NULL), 1);
	});
	SWEEP(points, hotlist_put(hl, "other", &u),
	      ck_assert_int_eq(hl_test_hits(hl, "U1", NULL), 1));
	ck_assert_int_eq(hl_test_hits(hl, "U1", NULL), 2);
	/* Puts into a fuzzy list (k=1 d=1): each makes its record and, for a
	 * plate new to the overlay, inserts its fuzzy keys, growing the
	 * overlay's fuzzy key table (a new table past 60-odd plates) and
	 * copying the overlay when it outgrows it. A failed put leaves the
	 * earlier ones found and itself not. */
	struct hotlist_list_options fo;
	hotlist_list_options_init(&fo);
	fo.ocr_substitutions = 1;
	fo.indels = 1;
	fo.min_score = 0; /* every hit counted: no weak hits dropped */
	SWEEP(points, hotlist_set_list_options(hl, "fz", &fo), (void)0);
	char fp[16], fr[16], prev[16] = "";
	for (int i = 0; i < 140; i++) {
		snprintf(fp, sizeof(fp), "FZ%dQ", i);
		snprintf(fr, sizeof(fr), "FZ%dO", i); /* Q -> O: an OCR hit */
		struct hotlist_entry f = { .plate = fp };
		int before = hl_test_hits(hl, fr, NULL);
		SWEEP(points, hotlist_put(hl, "fz", &f), {
			ck_assert_int_eq(hl_test_hits(hl, fr, NULL), before);
			if (prev[0])
				ck_assert_int_ge(hl_test_hits(hl, prev, NULL), 1);
		});
		ck_assert_int_eq(hl_test_hits(hl, fr, NULL), before + 1);
		snprintf(prev, sizeof(prev), "%s", fr);
	}

	char path[] = "/tmp/hotlist-oom-XXXXXX";
	int fd = mkstemp(path);
	const char *csv = "plate;category\nC1;x\nC2;y\nC3;z\n";
	ck_assert_int_eq(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
	close(fd);
	SWEEP(points, hotlist_load_csv(hl, "l", path, NULL), {
		ck_assert_int_eq(hl_test_hits(hl, "C1", NULL), 0);
		ck_assert_int_eq(hl_test_hits(hl, "B2", NULL), 1);
	});
	unlink(path);
	ck_assert_int_eq(hl_test_hits(hl, "C3", NULL), 1);
	/* A put that folds the edits into a new base (threshold lowered to 1:
	 * the second put below makes 2 pending edits). */
	hotlist__snap_set_edits_fold(&hl->snap, 1);
	struct hotlist_entry f1 = { .plate = "F1" }, f2 = { .plate = "F2" };
	ck_assert_int_eq(hotlist_put(hl, "l", &f1), 0);
	SWEEP(points, hotlist_put(hl, "l", &f2), {
		ck_assert_int_eq(hl_test_hits(hl, "F2", NULL), 0);
		ck_assert_int_eq(hl_test_hits(hl, "F1", NULL), 1);
		ck_assert_int_eq(hl_test_hits(hl, "C2", NULL), 1);
	});
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.pending_edits, 0); /* it did fold */
	ck_assert_int_eq(hl_test_hits(hl, "F1", NULL), 1);
	ck_assert_int_eq(hl_test_hits(hl, "F2", NULL), 1);
	struct hotlist_read r = { .plate = "C1", .camera = "cam" };
	ck_assert_int_eq(hotlist_submit(hl, &r), 0);
	ck_assert_int_eq(hotlist_flush(hl), 0);
	hotlist_destroy(hl, NULL);
	ck_assert_int_eq(atomic_load(&fa.live), 0);
	printf("allocation-failure sweep: %ld failure points (%ld in create), all clean\n", points,
	       after_create);
	ck_assert_int_gt(after_create, 3);
	ck_assert_int_gt(points, after_create + 10);
}
END_TEST

/* Replaces big enough for the recycler (lib/alloc.c, "Recycling": blocks of
 * 1 MiB or more): with a retired version's arrays held for reuse, every
 * failure point of the next replace leaves the live list as it was, the
 * blocks taken from the recycler go back to it, and destroy frees all. */
#define BIG_N 60000 /* 24-byte records: a 1.4 MB entry array */

static char big_plates[2 * BIG_N][12];

/* Until the engine holds recycled memory: the retired version is freed a
 * grace period later, on the call_rcu thread. */
static void wait_recycled(struct hotlist *hl)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	for (int i = 0; i < 2000; i++) {
		ck_assert_int_eq(hotlist_stats(hl, &st), 0);
		if (st.recycled_bytes)
			return;
		usleep(1000);
	}
	ck_abort_msg("no retired version's memory was recycled in 2 s");
}

/* Run 0 builds the index after the entries; run 1 builds it ahead on a
 * worker thread (list.c, "Building ahead"), whose table, pair array and
 * thread are then failure points too; run 2 also shares the rest of phase
 * 1 with the worker (table.c, "Splitting the rest": the last chunk at least
 * is left), whose lists are failure points (done without: one thread). */
START_TEST(sweep_replace_in_recycled_memory)
{
	hotlist__build_ahead_min = _i ? 0 : SIZE_MAX;
	hotlist__table_split_min = _i == 2 ? 1 : SIZE_MAX;
	long points = 0;
	struct hotlist *hl = create_swept(&points);
	struct hotlist_entry *e = calloc(2 * BIG_N, sizeof(*e));
	ck_assert_ptr_nonnull(e);
	for (size_t i = 0; i < 2 * BIG_N; i++) {
		snprintf(big_plates[i], sizeof(big_plates[i]), "S%06zuZ", i);
		e[i] = (struct hotlist_entry){ .plate = big_plates[i], .category = "c" };
	}
	struct hotlist_entry *a = e, *b = e + BIG_N; /* disjoint halves */
	ck_assert_int_eq(hotlist_replace(hl, "l", a, BIG_N, NULL), 0);
	ck_assert_int_eq(hotlist_replace(hl, "l", b, BIG_N, NULL), 0); /* retires A */
	wait_recycled(hl);
	long before = points, tolerated = 0;
	/* Not SWEEP: a failed allocation the replace can do without (the
	 * string arena's size hint, load.c text_reserve) lets it succeed, and
	 * the failure points after that one must still be swept: B is put
	 * back and the sweep goes on. */
	for (long k = 1;; k++) {
		ck_assert_int_lt(k, 100000);
		long f0 = atomic_load(&fa.failures);
		arm(k);
		int rc = hotlist_replace(hl, "l", a, BIG_N, NULL);
		arm(0);
		bool injected = atomic_load(&fa.failures) != f0;
		if (rc >= 0 && !injected)
			break;
		if (rc >= 0) {
			tolerated++;
			ck_assert_int_eq(hl_test_hits(hl, big_plates[0], NULL), 1);
			ck_assert_int_eq(hotlist_replace(hl, "l", b, BIG_N, NULL), 0);
			wait_recycled(hl);
			continue;
		}
		ck_assert_int_eq(rc, HOTLIST_ENOMEM);
		ck_assert_int_eq(hl_test_hits(hl, big_plates[0], NULL), 0);
		ck_assert_int_eq(hl_test_hits(hl, big_plates[BIG_N], NULL), 1);
		ck_assert_int_eq(hl_test_hits(hl, big_plates[2 * BIG_N - 1], NULL), 1);
		points++;
	}
	for (size_t i = 0; i < BIG_N; i++) {
		CHECK(hl_test_hits(hl, big_plates[i], NULL) == 1, "%s lost", big_plates[i]);
		CHECK(hl_test_hits(hl, big_plates[BIG_N + i], NULL) == 0, "%s stale",
		      big_plates[BIG_N + i]);
	}
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	ck_assert_int_eq(hotlist_stats(hl, &st), 0);
	ck_assert_uint_gt(st.recycled_blocks, 0);
	hotlist_destroy(hl, NULL);
	ck_assert_int_eq(atomic_load(&fa.live), 0);
	printf("recycled-memory replace sweep (%s): %ld failure points, all clean; %ld done "
	       "without\n",
	       _i == 2 ? "index built ahead, rest shared" :
	       _i      ? "index built ahead" :
			 "index built after",
	       points - before, tolerated);
	ck_assert_int_gt(points - before, 3);
	free(e);
}
END_TEST

/* A file load takes its read buffer (~320 KiB) from the engine's allocator,
 * not from malloc behind the caller's back; and gives it all back. */
START_TEST(csv_load_uses_engine_allocator)
{
	long points = 0;
	struct hotlist *hl = create_swept(&points);
	char path[] = "/tmp/test_alloc_csv_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *csv = "plate\nAA1\nAA2\n";
	ck_assert_int_eq(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
	close(fd);
	atomic_store(&fa.biggest, 0);
	ck_assert_int_eq(hotlist_load_csv(hl, "l", path, NULL), 0);
	ck_assert_uint_ge(atomic_load(&fa.biggest), 256 * 1024);
	unlink(path);
	hotlist_destroy(hl, NULL);
	ck_assert_int_eq(atomic_load(&fa.live), 0);
}
END_TEST

/* An engine on the failing allocator, none failing, no workers. */
static struct hotlist *create_plain(void)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.allocator = &allocator;
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	struct hotlist *hl = NULL;
	arm(0);
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	return hl;
}

/*
 * The folder thread out of memory: the k-th allocation from the put that
 * asks for a fold on fails, k = 1.. until nothing fails. A failed put
 * changes nothing; a failed fold leaves the list as the put left it (both
 * edits pending and visible) and the folder waiting for the next request;
 * destroy joins it; nothing leaks.
 */
START_TEST(sweep_background_fold)
{
	long put_points = 0, fold_points = 0;
	for (long k = 1;; k++) {
		struct hotlist *hl = create_plain();
		struct hotlist_entry b[] = { { .plate = "B1" }, { .plate = "B2" } };
		struct hotlist_entry p1 = { .plate = "P1" }, p2 = { .plate = "P2" };
		ck_assert_int_eq(hotlist_replace(hl, "l", b, 2, NULL), 0);
		ck_assert_int_eq(hotlist_put(hl, "l", &p1), 0);
		hotlist__snap_set_fold_bg(&hl->snap, 2);
		long failures = atomic_load(&fa.failures);
		arm(k);
		int rc = hotlist_put(hl, "l", &p2);
		uint64_t done, dropped, inl;
		hotlist__snap_fold_settle(&hl->snap, &done, &dropped, &inl);
		arm(0);
		bool failed = atomic_load(&fa.failures) != failures;
		struct hotlist_list_info info = { .struct_size = sizeof(info) };
		ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
		ck_assert_int_eq(hl_test_hits(hl, "P1", NULL), 1);
		ck_assert_int_eq(hl_test_hits(hl, "B1", NULL), 1);
		ck_assert_int_eq(hl_test_hits(hl, "B2", NULL), 1);
		if (rc != 0) {
			ck_assert_int_eq(rc, HOTLIST_ENOMEM);
			ck_assert_int_eq(hl_test_hits(hl, "P2", NULL), 0);
			ck_assert_uint_eq(done, 0);
			ck_assert_uint_eq(info.pending_edits, 1);
			put_points++;
		} else {
			ck_assert_int_eq(hl_test_hits(hl, "P2", NULL), 1);
			ck_assert_uint_eq(info.entries, 4);
			ck_assert_uint_eq(info.pending_edits, done ? 0 : 2);
			fold_points += !done;
		}
		hotlist_destroy(hl, NULL);
		ck_assert_int_eq(atomic_load(&fa.live), 0);
		if (!failed)
			break;
		ck_assert_int_lt(k, 10000);
	}
	printf("background fold sweep: %ld failure points in the put, %ld in the fold, all clean\n",
	       put_points, fold_points);
	ck_assert_int_gt(put_points, 3);
	ck_assert_int_gt(fold_points, 3);
}
END_TEST

/*
 * The grower thread out of memory: the list's overlay passes its ask mark
 * (512 plates in the first overlay) with the k-th allocation from that
 * put on failing (the put, the grower's copy and its rounds, the hand-over
 * and its install: one count), k = 1.. until nothing fails. A failed put
 * changes nothing; a failed copy is dropped and the list stays as the puts
 * left it (the writers copy at half full); destroy joins the grower;
 * nothing leaks.
 */
#define GROW_ASK_PUTS 513

START_TEST(sweep_background_grow)
{
	long put_points = 0, grow_points = 0;
	for (long k = 1;; k++) {
		struct hotlist *hl = create_plain();
		struct hotlist_entry b[] = { { .plate = "B1" }, { .plate = "B2" } };
		ck_assert_int_eq(hotlist_replace(hl, "l", b, 2, NULL), 0);
		hotlist__snap_set_fold_bg(&hl->snap, UINT32_MAX);
		hotlist__snap_set_edits_fold(&hl->snap, UINT32_MAX);
		char plate[16];
		for (int i = 0; i < GROW_ASK_PUTS - 1; i++) {
			snprintf(plate, sizeof(plate), "G%04d", i);
			struct hotlist_entry e = { .plate = plate };
			ck_assert_int_eq(hotlist_put(hl, "l", &e), 0);
		}
		long failures = atomic_load(&fa.failures);
		struct hotlist_entry last = { .plate = "LAST1" };
		arm(k);
		int rc = hotlist_put(hl, "l", &last); /* asks the grower */
		uint64_t done, dropped, inl;
		hotlist__snap_grow_settle(&hl->snap, &done, &dropped, &inl);
		arm(0);
		bool failed = atomic_load(&fa.failures) != failures;
		struct hotlist_list_info info = { .struct_size = sizeof(info) };
		ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
		for (int i = 0; i < GROW_ASK_PUTS - 1; i += 31) {
			snprintf(plate, sizeof(plate), "G%04d", i);
			ck_assert_int_eq(hl_test_hits(hl, plate, NULL), 1);
		}
		ck_assert_int_eq(hl_test_hits(hl, "B1", NULL), 1);
		if (rc != 0) {
			ck_assert_int_eq(rc, HOTLIST_ENOMEM);
			ck_assert_int_eq(hl_test_hits(hl, "LAST1", NULL), 0);
			ck_assert_uint_eq(info.entries, 2 + GROW_ASK_PUTS - 1);
			put_points++;
		} else {
			ck_assert_int_eq(hl_test_hits(hl, "LAST1", NULL), 1);
			ck_assert_uint_eq(info.entries, 2 + GROW_ASK_PUTS);
			ck_assert_uint_eq(info.pending_edits, GROW_ASK_PUTS);
			grow_points += failed && !done;
		}
		/* the list takes more edits whatever became of the copy */
		struct hotlist_entry more = { .plate = "MORE1" };
		ck_assert_int_eq(hotlist_put(hl, "l", &more), 0);
		ck_assert_int_eq(hl_test_hits(hl, "MORE1", NULL), 1);
		hotlist_destroy(hl, NULL);
		ck_assert_int_eq(atomic_load(&fa.live), 0);
		if (!failed)
			break;
		ck_assert_int_lt(k, 100000);
	}
	printf("background grow sweep: %ld failure points in the put, %ld in the grower, all "
	       "clean\n",
	       put_points, grow_points);
	ck_assert_int_gt(put_points, 3);
	ck_assert_int_gt(grow_points, 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("alloc_fail");
	TCase *tc = tcase_create("sweep");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, sweep_every_operation);
	tcase_add_test(tc, csv_load_uses_engine_allocator);
	tcase_add_test(tc, sweep_background_fold);
	tcase_add_test(tc, sweep_background_grow);
	tcase_add_loop_test(tc, sweep_replace_in_recycled_memory, 0, 3);
	suite_add_tcase(s, tc);
	return hl_test_run(s);
}
