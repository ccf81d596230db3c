/* SPDX-License-Identifier: MIT */
/*
 * bench_scaling: exact lookups per second with 1..N threads (N = the online
 * CPUs, or --max-threads), ours and the peers on the same keys and queries.
 *
 * Every system's index is built once per list size and shared read-only by
 * all threads. Each thread owns a slice of one query array (hit ratio
 * --hit-ratio, default 0.001) and looks it up, chunk after chunk and round
 * and round, for --ms milliseconds, pinned to CPU (i mod cores); a barrier
 * starts the threads together; throughput = all lookups over the time from
 * the first start to the last finish. Running for a fixed time rather than a
 * fixed count gives every system the same exposure to this shared machine's
 * slow spells, and the runs are interleaved (repetition r of every system and
 * thread count, then r + 1). Before timing, one single-threaded pass over
 * every slice checks each system's hit count and warms it up.
 *
 * One line per system and thread count, the median of --reps runs; ours
 * carry ratio_vs_<peer> at the same thread count, and every line
 * speedup_vs_1 (against its own one-thread median).
 */
#include "peers.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64
#define MAX_SYSTEMS 8
#define MAX_REPS 16
#define CHUNK 4096 /* lookups between two looks at the clock */

struct opts {
	uint64_t min_entries, max_entries, lookups, reps, seed, max_threads, ms;
	double hit_ratio;
};

struct worker {
	pthread_t tid;
	unsigned cpu;
	const struct bench_system *sys;
	void *ix;
	const struct hl_key *q;
	size_t n; /* slice length, a multiple of CHUNK */
	uint64_t run_ns;
	pthread_barrier_t *start;
	uint64_t t0, t1, done;
};

static int failures;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct bench_tally t = { 0, 0 };
	cpu_set_t set;
	size_t at = 0;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set); /* best effort */
	pthread_barrier_wait(w->start);
	w->t0 = bench_now_ns();
	do {
		w->sys->lookup(w->ix, w->q + at, CHUNK, &t);
		w->done += CHUNK;
		at = at + CHUNK < w->n ? at + CHUNK : 0;
		w->t1 = bench_now_ns();
	} while (w->t1 - w->t0 < w->run_ns);
	return NULL;
}

/* One timed run with `threads` threads; returns million lookups per second. */
static double run_threads(const struct bench_system *s, void *ix, const struct hl_key *q,
			  size_t per, unsigned threads, const struct opts *o)
{
	struct worker w[MAX_THREADS];
	pthread_barrier_t start;
	uint64_t first = UINT64_MAX, last = 0, done = 0;

	pthread_barrier_init(&start, NULL, threads);
	for (unsigned i = 0; i < threads; i++) {
		w[i] = (struct worker){ .cpu = i % bench_cores(),
					.sys = s,
					.ix = ix,
					.q = q + (size_t)i * per,
					.n = per,
					.run_ns = o->ms * 1000000,
					.start = &start };
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			perror("pthread_create");
			exit(1);
		}
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		first = w[i].t0 < first ? w[i].t0 : first;
		last = w[i].t1 > last ? w[i].t1 : last;
		done += w[i].done;
	}
	pthread_barrier_destroy(&start);
	return (double)done / ((double)(last - first) / 1e3);
}

/* Queries: slice s for thread s; expect = hits over all slices. */
static void make_queries(struct hl_key *q, size_t total, const struct hl_key *keys, size_t n,
			 double hr, uint64_t seed, uint64_t *expect)
{
	struct bench_rng rng;
	char plate[BENCH_PLATE_LEN + 1];

	bench_rng_init(&rng, seed ^ n);
	*expect = 0;
	for (size_t i = 0; i < total; i++) {
		if (bench_rng_unit(&rng) < hr) {
			q[i] = keys[bench_rng_below(&rng, n)];
			++*expect;
			continue;
		}
		bench_plate(BENCH_MISS_BASE + (bench_rng_next(&rng) & (BENCH_MISS_BASE - 1)), seed,
			    plate);
		bench_key_pack(plate, &q[i]);
	}
}

static bool is_ours(const struct bench_system *s)
{
	return strncmp(s->name, "hotlist", 7) == 0;
}

static void print_line(const struct bench_system **sys, unsigned i, size_t n, unsigned t,
		       double (*med)[MAX_THREADS + 1], const struct opts *o)
{
	printf("bench=scaling system=%s entries=%zu hit_ratio=%g threads=%u ms=%" PRIu64
	       " reps=%u mops=%.2f mops_per_thread=%.2f speedup_vs_1=%.2f",
	       sys[i]->name, n, o->hit_ratio, t, o->ms, (unsigned)o->reps, med[i][t], med[i][t] / t,
	       med[i][t] / med[i][1]);
	for (unsigned p = 0; is_ours(sys[i]) && p < i; p++)
		if (!is_ours(sys[p]))
			printf(" ratio_vs_%s=%.2f", sys[p]->name, med[i][t] / med[p][t]);
	printf("\n");
}

static void run_size(size_t n, const struct hl_key *keys, const uint32_t *vals,
		     const struct hl_key *q, uint64_t expect, const struct opts *o)
{
	const struct bench_system *sys[MAX_SYSTEMS];
	static double v[MAX_SYSTEMS][MAX_THREADS + 1][MAX_REPS], med[MAX_SYSTEMS][MAX_THREADS + 1];
	void *ix[MAX_SYSTEMS];
	unsigned ns = 0, nt = (unsigned)o->max_threads;
	size_t per = o->lookups;

	sys[ns++] = &bench_sys_plain;
	sys[ns++] = &bench_sys_ck_hs;
	sys[ns++] = &bench_sys_cds_lfht;
	sys[ns++] = &bench_sys_hotlist_single;
	sys[ns++] = &bench_sys_hotlist_bulk;
	for (unsigned i = 0; i < ns; i++) {
		struct bench_tally t = { 0, 0 };

		/* hotlist_bulk shares hotlist_single's table */
		ix[i] = i > 0 && sys[i]->build == sys[i - 1]->build ?
				ix[i - 1] :
				sys[i]->build(keys, vals, n, o->seed);
		if (!ix[i]) {
			printf("# check=FAIL system=%s build failed\n", sys[i]->name);
			exit(1);
		}
		sys[i]->lookup(ix[i], q, per * nt, &t);
		if (t.hits != expect) {
			printf("# check=FAIL system=%s hits=%" PRIu64 " expected=%" PRIu64 "\n",
			       sys[i]->name, t.hits, expect);
			failures++;
		}
	}
	for (unsigned r = 0; r < o->reps; r++)
		for (unsigned i = 0; i < ns; i++)
			for (unsigned t = 1; t <= nt; t++)
				v[i][t][r] = run_threads(sys[i], ix[i], q, per, t, o);
	for (unsigned i = 0; i < ns; i++) {
		for (unsigned t = 1; t <= nt; t++)
			med[i][t] = bench_median(v[i][t], o->reps);
		for (unsigned t = 1; t <= nt; t++)
			print_line(sys, i, n, t, med, o);
	}
	fflush(stdout);
	for (unsigned i = 0; i < ns; i++)
		if (!(i > 0 && ix[i] == ix[i - 1]))
			sys[i]->destroy(ix[i]);
}

int main(int argc, char **argv)
{
	static const char usage[] = "[--smoke] [--min-entries N] [--max-entries N] [--lookups N] "
				    "[--ms N] [--reps N] [--max-threads N] [--hit-ratio X] "
				    "[--seed N]";
	struct opts o = { .min_entries = 1000000,
			  .max_entries = 10000000,
			  .lookups = 1 << 20,
			  .reps = BENCH_REPS_DEFAULT,
			  .seed = BENCH_SEED_DEFAULT,
			  .max_threads = bench_cores(),
			  .ms = 300,
			  .hit_ratio = 0.001 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			o.min_entries = 10000;
			o.max_entries = 10000;
			o.lookups = 4 * CHUNK;
			o.ms = 5;
		} else if (!bench_opt_u64(argc, argv, &i, "--min-entries", &o.min_entries) &&
			   !bench_opt_u64(argc, argv, &i, "--max-entries", &o.max_entries) &&
			   !bench_opt_u64(argc, argv, &i, "--lookups", &o.lookups) &&
			   !bench_opt_u64(argc, argv, &i, "--ms", &o.ms) &&
			   !bench_opt_u64(argc, argv, &i, "--reps", &o.reps) &&
			   !bench_opt_u64(argc, argv, &i, "--max-threads", &o.max_threads) &&
			   !bench_opt_double(argc, argv, &i, "--hit-ratio", &o.hit_ratio) &&
			   !bench_opt_u64(argc, argv, &i, "--seed", &o.seed)) {
			bench_bad_option(argv[0], argv[i], usage);
		}
	}
	o.lookups = (o.lookups + CHUNK - 1) / CHUNK * CHUNK;
	if (o.reps < 1 || o.reps > MAX_REPS || o.max_threads < 1 || o.max_threads > MAX_THREADS ||
	    o.ms < 1 || o.min_entries < 1 || o.max_entries > UINT32_MAX - 1) {
		fprintf(stderr, "%s: bad arguments\nusage: %s %s\n", argv[0], argv[0], usage);
		return 2;
	}
	bench_header("scaling");

	size_t max = o.max_entries, total = o.lookups * o.max_threads;
	struct hl_key *keys = bench_xmalloc(max * sizeof(*keys));
	uint32_t *vals = bench_xmalloc(max * sizeof(*vals));
	struct hl_key *q = bench_xmalloc(total * sizeof(*q));
	char plate[BENCH_PLATE_LEN + 1];
	uint64_t expect;

	for (size_t i = 0; i < max; i++) {
		bench_plate(i, o.seed, plate);
		bench_key_pack(plate, &keys[i]);
		vals[i] = (uint32_t)i;
	}
	for (size_t n = o.min_entries; n <= max; n *= 10) {
		make_queries(q, total, keys, n, o.hit_ratio, o.seed, &expect);
		run_size(n, keys, vals, q, expect, &o);
	}
	free(q);
	free(vals);
	free(keys);
	if (failures)
		printf("# check=FAIL %d failed checks\n", failures);
	return failures ? 1 : 0;
}
