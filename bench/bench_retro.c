/* SPDX-License-Identifier: MIT */
/*
 * bench_retro: the cost of retroactive hits (issue 13, item 4; lib/retro.c).
 * Peers in the same run: the same engine with retro off and with a window
 * of --window seconds (default 300).
 *
 *  1. The read path. hotlist_match() of one raw read a call, against a list
 *     of --entries plates (0.1 % of the reads hit), offered at --rates reads/s
 *     (default 1000,100000,0; 0 = as fast as one thread goes) for --seconds
 *     each. Paced reads arrive cold, as a camera's do. Per (rate, retro):
 *     reads/s achieved, and the median over --reps of the ns spent inside
 *     hotlist_match per read: `bench=retro_reads`.
 *     The ring is sized for the window at the rate (window x rate slots, at
 *     most --max-reads, default 2^20: 232 MiB), so keeps write cold memory.
 *  2. The writer side. A full ring of --fill reads (default 300 000: 300 s
 *     at 1 k/s), all in the window and before the change, then: a put of
 *     one entry (median of --edits puts of new plates, each hitting one
 *     kept read), and a replace of --replace entries (default 1e6, alternating
 *     two sets differing in 1 %; median of --reps), with retro off and on:
 *     `bench=retro_change`. The difference is the window's scan, the grace
 *     period before it and, for a replace, the old/new identity sets.
 *
 * One key=value line per result (bench_common.h). --smoke: 0.1 s, small.
 */
#include "bench_common.h"
#include "hotlist.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define LIST "stolen"
#define HIT_EVERY 1000 /* one read in this many is of a listed plate */
#define READ_SET (1u << 16) /* raw reads cycled through */
#define SLOT_BYTES 232 /* per kept read: retro.c, "Layout" */

struct opts {
	uint64_t entries, seconds_ms, reps, window_s, max_reads, fill, edits, replace, seed;
	uint64_t rates[8];
	size_t n_rates;
};

static void count_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	++*(uint64_t *)user;
}

static int64_t wall_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static uint64_t sink_hits;

static struct hotlist *engine(uint64_t window_s, uint64_t max_reads)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.latency_histogram = false;
	cfg.on_hit = count_hit;
	cfg.on_hit_user = &sink_hits;
	cfg.retro_window_us = (int64_t)window_s * 1000000;
	cfg.retro_max_reads = max_reads;
	struct hotlist *hl = NULL;
	int rc = hotlist_create(&hl, &cfg);
	if (rc) {
		fprintf(stderr, "bench_retro: hotlist_create: %s\n", hotlist_strerror(rc));
		exit(1);
	}
	return hl;
}

/* Plates [0, n) of the seed, contiguous, BENCH_PLATE_LEN + 1 bytes each. */
static char *plates(uint64_t first, uint64_t n, uint64_t seed)
{
	char *p = bench_xmalloc(n * (BENCH_PLATE_LEN + 1));
	for (uint64_t i = 0; i < n; i++)
		bench_plate(first + i, seed, p + i * (BENCH_PLATE_LEN + 1));
	return p;
}

static void load_list(struct hotlist *hl, const char *pl, uint64_t n)
{
	struct hotlist_entry *e = bench_stolen_entries(pl, n);
	int rc = hotlist_replace(hl, LIST, e, n, NULL);
	free(e);
	if (rc) {
		fprintf(stderr, "bench_retro: replace: %s\n", hotlist_strerror(rc));
		exit(1);
	}
}

/* Raw reads: mostly misses, one in HIT_EVERY a listed plate. */
static char *read_set(const struct opts *o)
{
	struct bench_rng r;
	bench_rng_init(&r, o->seed);
	char *raw = bench_xmalloc((size_t)READ_SET * 16);
	for (uint64_t i = 0; i < READ_SET; i++) {
		char p[BENCH_PLATE_LEN + 1];
		uint64_t idx = bench_rng_below(&r, HIT_EVERY) == 0 ?
				       bench_rng_below(&r, o->entries) :
				       BENCH_MISS_BASE + bench_rng_below(&r, 1u << 30);
		bench_plate(idx, o->seed, p);
		bench_plate_raw(p, raw + i * 16);
	}
	return raw;
}

static void sleep_until(uint64_t t_ns)
{
	for (;;) {
		uint64_t now = bench_now_ns();
		if (now >= t_ns)
			return;
		uint64_t d = t_ns - now;
		if (d < 20000)
			continue; /* spin the last 20 µs */
		struct timespec ts = { 0, (long)(d - 20000) };
		nanosleep(&ts, NULL);
	}
}

/* One run at `rate` reads/s (0: flat out): reads done, ns inside match. */
static void run_reads(struct hotlist *hl, const char *raw, uint64_t rate, uint64_t dur_ns,
		      uint64_t *reads, uint64_t *busy_ns)
{
	uint64_t t0 = bench_now_ns(), n = 0, busy = 0;
	/* paced: groups of reads every 1 ms (100 k/s: 100 a millisecond) or
	 * one read every 1/rate s, whichever is coarser */
	uint64_t group = rate > 1000 ? rate / 1000 : 1;
	uint64_t period_ns = rate ? 1000000000ull * group / rate : 0;
	for (uint64_t g = 0;; g++) {
		uint64_t now = bench_now_ns();
		if (now - t0 >= dur_ns)
			break;
		if (rate)
			sleep_until(t0 + g * period_ns);
		uint64_t b0 = bench_now_ns();
		for (uint64_t j = 0; j < (rate ? group : 64); j++, n++) {
			struct hotlist_read r = { .plate = raw + (n % READ_SET) * 16,
						  .camera = "cam-01" };
			hotlist_match(hl, &r, count_hit, &sink_hits);
		}
		busy += bench_now_ns() - b0;
	}
	*reads = n;
	*busy_ns = busy;
	(void)rate;
}

static void bench_reads(const struct opts *o, const char *pl, const char *raw)
{
	for (size_t ri = 0; ri < o->n_rates; ri++) {
		uint64_t rate = o->rates[ri];
		for (int on = 0; on < 2; on++) {
			uint64_t want = rate ? rate * o->window_s : o->max_reads;
			uint64_t slots = want < o->max_reads ? want : o->max_reads;
			double ns[16], rps[16];
			size_t reps = o->reps < 16 ? o->reps : 16;
			for (size_t k = 0; k < reps; k++) {
				struct hotlist *hl = engine(on ? o->window_s : 0, slots);
				load_list(hl, pl, o->entries);
				uint64_t n, busy;
				run_reads(hl, raw, rate, o->seconds_ms / 10 * 1000000, &n, &busy);
				run_reads(hl, raw, rate, o->seconds_ms * 1000000, &n, &busy);
				ns[k] = (double)busy / (double)n;
				rps[k] = (double)n / ((double)o->seconds_ms / 1000.0);
				hotlist_destroy(hl, NULL);
			}
			printf("bench=retro_reads rate=%" PRIu64 " retro=%s window_s=%" PRIu64
			       " ring_reads=%" PRIu64 " ring_mib=%.0f reads_per_s=%.0f "
			       "ns_per_read=%.1f reps=%zu\n",
			       rate, on ? "on" : "off", on ? o->window_s : 0, on ? slots : 0,
			       on ? (double)slots * SLOT_BYTES / 1048576.0 : 0.0,
			       bench_median(rps, reps), bench_median(ns, reps), reps);
			fflush(stdout);
		}
	}
}

/* Keep n reads in the window: plates from index `first`, all misses now. */
static void fill_ring(struct hotlist *hl, uint64_t first, uint64_t n, uint64_t seed)
{
	int64_t now = wall_us();
	for (uint64_t i = 0; i < n; i++) {
		char p[BENCH_PLATE_LEN + 1];
		bench_plate(first + i, seed, p);
		/* spread over the last minute: all inside the window */
		struct hotlist_read r = { .plate = p,
					  .camera = "cam-01",
					  .ts_us = now - (int64_t)(i % 60000000) };
		hotlist_match(hl, &r, count_hit, &sink_hits);
	}
}

static void bench_change(const struct opts *o)
{
	uint64_t churn = o->replace / 100;
	char *set = plates(0, o->replace + churn, o->seed);
	/* two replace sets: [0, R) and [churn, R + churn) */
	struct hotlist_entry *ea = bench_stolen_entries(set, o->replace);
	struct hotlist_entry *eb =
		bench_stolen_entries(set + churn * (BENCH_PLATE_LEN + 1), o->replace);
	uint64_t kept_first = BENCH_MISS_BASE; /* reads of plates put later */
	for (int on = 0; on < 2; on++) {
		struct hotlist *hl = engine(on ? o->window_s : 0, o->fill); /* full */
		if (hotlist_replace(hl, LIST, ea, o->replace, NULL)) {
			fprintf(stderr, "bench_retro: replace failed\n");
			exit(1);
		}
		uint64_t t0 = bench_now_ns();
		fill_ring(hl, kept_first, o->fill, o->seed);
		double fill_s = (double)(bench_now_ns() - t0) / 1e9;
		uint64_t hits0 = sink_hits;
		double put_us[256];
		size_t edits = o->edits < 256 ? o->edits : 256;
		for (size_t k = 0; k < edits; k++) {
			char p[BENCH_PLATE_LEN + 1];
			/* a plate read during the fill: one kept read hits it */
			bench_plate(kept_first + k * (o->fill / edits), o->seed, p);
			struct hotlist_entry e = { .plate = p, .category = "stolen" };
			uint64_t a = bench_now_ns();
			if (hotlist_put(hl, "edits", &e)) {
				fprintf(stderr, "bench_retro: put failed\n");
				exit(1);
			}
			put_us[k] = (double)(bench_now_ns() - a) / 1e3;
		}
		uint64_t put_hits = sink_hits - hits0;
		double rep_ms[16];
		size_t reps = o->reps < 16 ? o->reps : 16;
		for (size_t k = 0; k < reps; k++) {
			uint64_t a = bench_now_ns();
			if (hotlist_replace(hl, LIST, k % 2 ? ea : eb, o->replace, NULL)) {
				fprintf(stderr, "bench_retro: replace failed\n");
				exit(1);
			}
			rep_ms[k] = (double)(bench_now_ns() - a) / 1e6;
		}
		printf("bench=retro_change retro=%s window_s=%" PRIu64 " kept_reads=%" PRIu64
		       " ring_mib=%.0f fill_s=%.2f put_us=%.1f put_retro_hits=%" PRIu64
		       " puts=%zu replace_entries=%" PRIu64 " replace_ms=%.1f reps=%zu\n",
		       on ? "on" : "off", on ? o->window_s : 0, on ? o->fill : 0,
		       on ? (double)o->fill * SLOT_BYTES / 1048576.0 : 0.0, fill_s,
		       bench_median(put_us, edits), put_hits, edits, o->replace,
		       bench_median(rep_ms, reps), reps);
		fflush(stdout);
		hotlist_destroy(hl, NULL);
	}
	free(ea);
	free(eb);
	free(set);
}

static void parse_rates(const char *s, struct opts *o)
{
	o->n_rates = 0;
	while (*s && o->n_rates < 8) {
		char *end;
		o->rates[o->n_rates++] = strtoull(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s)
			break;
	}
}

int main(int argc, char **argv)
{
	static const char usage[] =
		"[--smoke] [--entries N] [--seconds-ms N] [--reps N] [--window S] "
		"[--max-reads N] [--fill N] [--edits N] [--replace N] [--rates A,B,C] [--seed N]";
	struct opts o = { .entries = 100000,
			  .seconds_ms = 2000,
			  .reps = 3,
			  .window_s = 300,
			  .max_reads = 1u << 20,
			  .fill = 0,
			  .edits = 50,
			  .replace = 1000000,
			  .seed = BENCH_SEED_DEFAULT };
	const char *rates = "1000,100000,0";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			o.entries = 1000;
			o.seconds_ms = 100;
			o.reps = 1;
			o.max_reads = 4096;
			o.edits = 4;
			o.replace = 2000;
			rates = "1000,0";
		} else if (!bench_opt_u64(argc, argv, &i, "--entries", &o.entries) &&
			   !bench_opt_u64(argc, argv, &i, "--seconds-ms", &o.seconds_ms) &&
			   !bench_opt_u64(argc, argv, &i, "--reps", &o.reps) &&
			   !bench_opt_u64(argc, argv, &i, "--window", &o.window_s) &&
			   !bench_opt_u64(argc, argv, &i, "--max-reads", &o.max_reads) &&
			   !bench_opt_u64(argc, argv, &i, "--fill", &o.fill) &&
			   !bench_opt_u64(argc, argv, &i, "--edits", &o.edits) &&
			   !bench_opt_u64(argc, argv, &i, "--replace", &o.replace) &&
			   !bench_opt_str(argc, argv, &i, "--rates", &rates) &&
			   !bench_opt_u64(argc, argv, &i, "--seed", &o.seed)) {
			bench_bad_option(argv[0], argv[i], usage);
		}
	}
	if (!o.fill) /* 300 s at 1 k/s; the smoke run's ring */
		o.fill = o.max_reads < 300000 ? o.max_reads : 300000;
	if (!o.reps || !o.edits || !o.replace || !o.entries) {
		fprintf(stderr, "bench_retro: --reps, --edits, --replace, --entries must be > 0\n");
		return 2;
	}
	parse_rates(rates, &o);
	bench_header("retro");
	char *pl = plates(0, o.entries, o.seed);
	char *raw = read_set(&o);
	bench_reads(&o, pl, raw);
	bench_change(&o);
	free(raw);
	free(pl);
	return 0;
}
