/* SPDX-License-Identifier: MIT */
/*
 * bench_latency: time from a read to its hit callback.
 *
 * One engine with one list of --entries entries (default 1e6); every read
 * hits (so every read has a callback), suppression is off.
 *
 *  inline  one thread calls hotlist_match() read after read; latency = the
 *          callback's clock minus the clock just before the call. Its peer,
 *          path=clock_only, is the same loop with the call replaced by clock
 *          reads in a loop until the inline pass's median has passed, in the
 *          same repetitions: what the machine alone (preemption, interrupts,
 *          the hypervisor) does to a piece of work of the same length that
 *          touches no memory, to tell its tail from ours (an interruption
 *          lands in one sample whatever its length, so the peer must last as
 *          long per sample as the call). Three more peers last as long and
 *          also touch one random cache line of a buffer each sample: a write
 *          in 2 MiB (path=touch_write_2mib), a read in 64 MiB on 4 KiB pages
 *          (path=touch_read_64mib) and on 2 MiB pages
 *          (path=touch_read_64mib_huge, MADV_HUGEPAGE; how much of it THP
 *          really backed is printed): what this machine's memory system
 *          alone (TLB misses, nested paging, the host) adds to the tail of
 *          work that touches memory at random, as every lookup in a large
 *          table does. Run it pinned (taskset -c N) on a quiet core;
 *          --inline-only skips the async part.
 *  async   --producers threads (default 8) call hotlist_submit() paced with
 *          clock_nanosleep(TIMER_ABSTIME) deadlines, offering 10k, 100k and
 *          1M reads/s in total; the engine's workers (default 2) call back.
 *          Latency = callback clock minus the clock just before the submit
 *          call (carried in read.opaque), so time blocked in a full queue
 *          counts. Producers that fall behind do not sleep until they have
 *          caught up; how late they were against their schedule is printed
 *          (late_p99_us), with the rate achieved.
 *
 * Percentiles are nearest-rank over each repetition's samples; the line
 * gives the median over --reps of each percentile and the largest max. The
 * engine's own histogram (hotlist_stats, pooled over the repetitions) is
 * printed beside ours as engine_*.
 */
#include "bench_common.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#define MAX_PRODUCERS 64
#define RAW_READS (1u << 16) /* distinct raw reads cycled through */
#define TIMER_SLACK_NS 1 /* default slack is 50 us: far too coarse for 8 us pacing */
#define NPCT 5

static const double pct_q[NPCT] = { 0.5, 0.99, 0.999, 0.9999, 1.0 };
static const char *const pct_name[NPCT] = { "p50", "p99", "p999", "p9999", "max" };
static const uint64_t default_rates[] = { 10000, 100000, 1000000 };

struct opts {
	uint64_t entries, reps, seed, producers, workers, inline_reads, ms_per_100k;
	bool inline_only;
};

struct samples {
	uint64_t *v;
	size_t cap;
	_Atomic size_t n;
	_Atomic uint64_t dropped; /* samples past cap (not reads: those are all called back) */
};

static int failures;

/* ---- setup ---------------------------------------------------------------------- */

static char *make_plates(size_t n, uint64_t seed)
{
	char *plates = bench_xmalloc(n * (BENCH_PLATE_LEN + 1));

	for (size_t i = 0; i < n; i++)
		bench_plate(i, seed, plates + i * (BENCH_PLATE_LEN + 1));
	return plates;
}

static struct hotlist *make_engine(const char *plates, size_t n, unsigned workers,
				   hotlist_hit_fn on_hit, void *user)
{
	struct hotlist *hl = bench_engine(workers, on_hit, user); /* every read called back */
	struct hotlist_entry *e = bench_stolen_entries(plates, n);
	int rc = hotlist_replace(hl, "stolen", e, n, NULL);

	free(e);
	if (rc != 0) {
		fprintf(stderr, "hotlist_replace: %s\n", hotlist_strerror(rc));
		exit(1);
	}
	return hl;
}

/* Raw reads (lower case, separators) of random list entries: all hit. */
static char *make_raw(const char *plates, size_t n, uint64_t seed)
{
	char *raw = bench_xmalloc((size_t)RAW_READS * 16);
	struct bench_rng rng;

	bench_rng_init(&rng, seed ^ 0x1a7e);
	for (size_t i = 0; i < RAW_READS; i++)
		bench_plate_raw(plates + bench_rng_below(&rng, n) * (BENCH_PLATE_LEN + 1),
				raw + i * 16);
	return raw;
}

/* Median over the repetitions of each percentile; for max, the largest. */
static void print_pcts(uint64_t pct[NPCT][16], unsigned reps)
{
	for (int p = 0; p < NPCT; p++) {
		double v[16] = { 0 }, m = 0;

		for (unsigned r = 0; r < reps; r++) {
			v[r] = (double)pct[p][r];
			m = v[r] > m ? v[r] : m;
		}
		if (p != NPCT - 1)
			m = bench_median(v, reps);
		printf(" %s_ns=%.0f", pct_name[p], m);
	}
}

static void print_engine(const struct hotlist_latency *l)
{
	printf(" engine_count=%" PRIu64 " engine_p50_ns=%" PRIu64 " engine_p99_ns=%" PRIu64
	       " engine_p999_ns=%" PRIu64 " engine_p9999_ns=%" PRIu64 " engine_max_ns=%" PRIu64,
	       l->count, l->p50_ns, l->p99_ns, l->p999_ns, l->p9999_ns, l->max_ns);
}

/* ---- inline ----------------------------------------------------------------------- */

static void inline_hit(const struct hotlist_hit *hit, void *user)
{
	(void)hit;
	*(uint64_t *)user = bench_now_ns();
}

/* Median cost of one bench_now_ns() pair: the floor of every sample. */
static uint64_t timer_overhead(void)
{
	uint64_t v[1001];

	for (int i = 0; i < 1001; i++) {
		uint64_t t0 = bench_now_ns();

		v[i] = bench_now_ns() - t0;
	}
	bench_sort_u64(v, 1001);
	return v[500];
}

/* A peer's buffer: len bytes (none when 0) on 4 KiB pages, or on 2 MiB
 * pages when huge; touched before use. */
struct peer_buf {
	const char *name;
	size_t len;
	bool write, huge;
	unsigned char *p;
	size_t huge_bytes; /* of p, backed by THP */
};

static void peer_buf_init(struct peer_buf *b)
{
	if (!b->len)
		return;
	b->p = bench_map_aligned(b->len, b->huge);
	memset(b->p, 1, b->len);
	b->huge_bytes = bench_huge_bytes(b->p, b->len);
}

/* The peers of the inline loop: the call replaced by clock reads until len_ns
 * have passed, after touching one random cache line of b; percentiles of
 * pass r into pct[][r]. */
static void peer_pass(const struct peer_buf *b, uint64_t *lat, size_t nr, uint64_t len_ns,
		      uint64_t pct[NPCT][16], unsigned r)
{
	uint64_t x = 0x9e3779b97f4a7c15ull ^ r, sink = 0;
	size_t lines = b->len / 64;

	for (size_t i = 0; i < nr; i++) {
		uint64_t t0 = bench_now_ns(), seen;

		if (lines) {
			x ^= x << 13; /* xorshift64 */
			x ^= x >> 7;
			x ^= x << 17;
			if (b->write)
				b->p[(x % lines) * 64]++;
			else
				sink += b->p[(x % lines) * 64];
		}
		do
			seen = bench_now_ns();
		while (seen - t0 < len_ns);
		lat[i] = seen - t0;
	}
	__asm__ volatile("" : : "r"(sink)); /* keep the reads */
	bench_sort_u64(lat, nr);
	for (int p = 0; p < NPCT; p++)
		pct[p][r] = bench_pct_sorted(lat, nr, pct_q[p]);
}

static void run_inline(const char *plates, const struct opts *o)
{
	enum { NPEER = 4 };
	struct peer_buf peer[NPEER] = {
		{ .name = "clock_only" },
		{ .name = "touch_write_2mib", .len = 2u << 20, .write = true },
		{ .name = "touch_read_64mib", .len = 64u << 20 },
		{ .name = "touch_read_64mib_huge", .len = 64u << 20, .huge = true },
	};
	uint64_t seen = 0, pct[NPCT][16], clk[NPEER][NPCT][16], misses = 0;
	struct hotlist *hl = make_engine(plates, o->entries, 0, NULL, NULL);
	char *raw = make_raw(plates, o->entries, o->seed);
	size_t nr = o->inline_reads;
	uint64_t *lat = bench_xmalloc(nr * sizeof(*lat));
	struct hotlist_stats st = { .struct_size = sizeof(st) };

	for (int k = 0; k < NPEER; k++)
		peer_buf_init(&peer[k]);

	for (size_t i = 0; i < RAW_READS; i++) { /* warm-up */
		struct hotlist_read rd = { .plate = raw + i * 16, .camera = "cam-01" };

		hotlist_match(hl, &rd, inline_hit, &seen);
	}
	for (unsigned r = 0; r < o->reps; r++) {
		for (size_t i = 0; i < nr; i++) {
			struct hotlist_read rd = { .plate = raw + (i % RAW_READS) * 16,
						   .camera = "cam-01" };
			uint64_t t0 = bench_now_ns();

			if (hotlist_match(hl, &rd, inline_hit, &seen) != 1)
				misses++;
			lat[i] = seen - t0;
		}
		bench_sort_u64(lat, nr);
		for (int p = 0; p < NPCT; p++)
			pct[p][r] = bench_pct_sorted(lat, nr, pct_q[p]);
		for (int k = 0; k < NPEER; k++) /* pct[0]: the median */
			peer_pass(&peer[k], lat, nr, pct[0][r], clk[k], r);
	}
	hotlist_stats(hl, &st);
	printf("bench=latency path=inline entries=%" PRIu64 " threads=1 reads=%zu reps=%u "
	       "timer_ns=%" PRIu64,
	       o->entries, nr, (unsigned)o->reps, timer_overhead());
	print_pcts(pct, (unsigned)o->reps);
	print_engine(&st.inline_latency);
	printf(" check=%s\n", misses ? "FAIL" : "ok");
	for (int k = 0; k < NPEER; k++) {
		printf("bench=latency path=%s threads=1 reads=%zu reps=%u length=inline_p50",
		       peer[k].name, nr, (unsigned)o->reps);
		if (peer[k].len) {
			printf(" buf_kib=%zu huge_kib=%zu op=%s", peer[k].len >> 10,
			       peer[k].huge_bytes >> 10, peer[k].write ? "write" : "read");
			bench_unmap_aligned(peer[k].p, peer[k].len);
		}
		print_pcts(clk[k], (unsigned)o->reps);
		printf("\n");
	}
	failures += misses != 0;
	fflush(stdout);
	hotlist_destroy(hl, NULL);
	free(lat);
	free(raw);
}

/* ---- async --------------------------------------------------------------------------- */

static void async_hit(const struct hotlist_hit *hit, void *user)
{
	struct samples *s = user;
	uint64_t lat = bench_now_ns() - (uint64_t)(uintptr_t)hit->read->opaque;
	size_t i = atomic_fetch_add_explicit(&s->n, 1, memory_order_relaxed);

	if (i < s->cap)
		s->v[i] = lat;
	else
		atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
}

struct producer {
	pthread_t tid;
	struct hotlist *hl;
	const char *raw;
	unsigned idx;
	uint64_t start_ns, interval_ns, count, nprod;
	uint64_t *late; /* ns behind schedule, per read */
	uint64_t submitted, refused;
	char camera[16];
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	/* producers are staggered evenly over one interval */
	uint64_t next = p->start_ns + p->idx * (p->interval_ns / p->nprod);

	prctl(PR_SET_TIMERSLACK, TIMER_SLACK_NS);
	for (uint64_t k = 0; k < p->count; k++, next += p->interval_ns) {
		struct timespec ts = { (time_t)(next / 1000000000u), (long)(next % 1000000000u) };
		uint64_t now = bench_now_ns();

		if (now < next)
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		now = bench_now_ns();
		p->late[k] = now > next ? now - next : 0;

		struct hotlist_read rd = {
			.plate = p->raw + ((k * p->nprod + p->idx) % RAW_READS) * 16,
			.camera = p->camera,
			.opaque = (void *)(uintptr_t)now,
		};
		int rc = hotlist_submit(p->hl, &rd);

		if (rc == 0)
			p->submitted++;
		else
			p->refused++;
	}
	return NULL;
}

struct async_rep {
	uint64_t pct[NPCT][16], late_p99[16], late_max[16];
	double achieved[16];
	uint64_t submitted, refused, called, dropped;
};

static void async_once(struct hotlist *hl, struct samples *s, const char *raw, uint64_t rate,
		       uint64_t dur_ms, const struct opts *o, unsigned r, struct async_rep *out)
{
	struct producer pr[MAX_PRODUCERS];
	unsigned np = (unsigned)o->producers;
	uint64_t per = rate * dur_ms / 1000 / np, t0, t1, nlate = per * np, *late_all;
	size_t n;

	atomic_store(&s->n, 0);
	t0 = bench_now_ns() + 2000000; /* all producers start on the same schedule */
	for (unsigned i = 0; i < np; i++) {
		pr[i] = (struct producer){ .hl = hl,
					   .raw = raw,
					   .idx = i,
					   .start_ns = t0,
					   .interval_ns = 1000000000ull * np / rate,
					   .count = per,
					   .nprod = np };
		pr[i].late = bench_xmalloc((per + 1) * sizeof(uint64_t));
		snprintf(pr[i].camera, sizeof(pr[i].camera), "cam-%02u", i);
		pthread_create(&pr[i].tid, NULL, producer_main, &pr[i]);
	}
	late_all = bench_xmalloc((nlate + 1) * sizeof(uint64_t));
	for (unsigned i = 0; i < np; i++) {
		pthread_join(pr[i].tid, NULL);
		memcpy(late_all + (size_t)i * per, pr[i].late, per * sizeof(uint64_t));
		out->submitted += pr[i].submitted;
		out->refused += pr[i].refused;
		free(pr[i].late);
	}
	t1 = bench_now_ns();
	hotlist_flush(hl);
	n = atomic_load(&s->n);
	out->called += n;
	n = n < s->cap ? n : s->cap;
	bench_sort_u64(s->v, n);
	for (int p = 0; p < NPCT; p++)
		out->pct[p][r] = bench_pct_sorted(s->v, n, pct_q[p]);
	bench_sort_u64(late_all, nlate);
	out->late_p99[r] = bench_pct_sorted(late_all, nlate, 0.99);
	out->late_max[r] = nlate ? late_all[nlate - 1] : 0;
	out->achieved[r] = (double)(per * np) / ((double)(t1 - t0) / 1e9);
	free(late_all);
}

static void run_async(const char *plates, uint64_t rate, const struct opts *o)
{
	/* 100k reads/s for ms_per_100k ms; lower rates twice as long, higher
	 * half as long: every repetition has >= 10^4 samples (p99.99) at full
	 * size, and the whole run stays short. */
	uint64_t dur_ms = rate < 100000 ? 2 * o->ms_per_100k :
			  rate > 100000 ? o->ms_per_100k / 2 :
					  o->ms_per_100k;
	struct samples s = { .cap = rate * dur_ms / 1000 + 1 };
	struct async_rep ar;
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	struct hotlist *hl;
	char *raw = make_raw(plates, o->entries, o->seed);
	double med_rate, late[16], latemax = 0;

	memset(&ar, 0, sizeof(ar));
	s.v = bench_xmalloc(s.cap * sizeof(uint64_t));
	hl = make_engine(plates, o->entries, (unsigned)o->workers, async_hit, &s);
	for (unsigned r = 0; r < o->reps; r++)
		async_once(hl, &s, raw, rate, dur_ms, o, r, &ar);
	hotlist_stats(hl, &st);
	for (unsigned r = 0; r < o->reps; r++) {
		late[r] = (double)ar.late_p99[r];
		latemax = (double)ar.late_max[r] > latemax ? (double)ar.late_max[r] : latemax;
	}
	med_rate = bench_median(ar.achieved, o->reps);
	printf("bench=latency path=async entries=%" PRIu64 " producers=%" PRIu64 " workers=%" PRIu64
	       " offered_rps=%" PRIu64 " achieved_rps=%.0f reads=%" PRIu64 " reps=%u",
	       o->entries, o->producers, o->workers, rate, med_rate, ar.submitted,
	       (unsigned)o->reps);
	print_pcts(ar.pct, (unsigned)o->reps);
	printf(" late_p99_us=%.1f late_max_us=%.1f refused=%" PRIu64,
	       bench_median(late, o->reps) / 1e3, latemax / 1e3, ar.refused);
	print_engine(&st.async_latency);
	bool ok = ar.called == ar.submitted && ar.refused == 0;

	printf(" callbacks=%" PRIu64 " check=%s\n", ar.called, ok ? "ok" : "FAIL");
	failures += !ok;
	fflush(stdout);
	hotlist_destroy(hl, NULL);
	free(s.v);
	free(raw);
}

int main(int argc, char **argv)
{
	static const char usage[] = "[--smoke] [--entries N] [--reps N] [--producers N] "
				    "[--workers N] [--inline-reads N] [--ms-per-100k N] [--seed N] "
				    "[--inline-only]";
	struct opts o = { .entries = 1000000,
			  .reps = BENCH_REPS_DEFAULT,
			  .seed = BENCH_SEED_DEFAULT,
			  .producers = 8,
			  .workers = 2,
			  .inline_reads = 1000000,
			  .ms_per_100k = 1000 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			o.entries = 10000;
			o.inline_reads = 20000;
			o.ms_per_100k = 20;
		} else if (strcmp(argv[i], "--inline-only") == 0) {
			o.inline_only = true;
		} else if (!bench_opt_u64(argc, argv, &i, "--entries", &o.entries) &&
			   !bench_opt_u64(argc, argv, &i, "--reps", &o.reps) &&
			   !bench_opt_u64(argc, argv, &i, "--producers", &o.producers) &&
			   !bench_opt_u64(argc, argv, &i, "--workers", &o.workers) &&
			   !bench_opt_u64(argc, argv, &i, "--inline-reads", &o.inline_reads) &&
			   !bench_opt_u64(argc, argv, &i, "--ms-per-100k", &o.ms_per_100k) &&
			   !bench_opt_u64(argc, argv, &i, "--seed", &o.seed)) {
			bench_bad_option(argv[0], argv[i], usage);
		}
	}
	if (o.reps < 1 || o.reps > 16 || o.producers < 1 || o.producers > MAX_PRODUCERS ||
	    o.workers < 1 || o.entries < 1 || o.inline_reads < 1 || o.ms_per_100k < 2) {
		fprintf(stderr, "%s: bad arguments\nusage: %s %s\n", argv[0], argv[0], usage);
		return 2;
	}
	bench_header("latency");

	char *plates = make_plates(o.entries, o.seed);

	run_inline(plates, &o);
	for (size_t i = 0; i < sizeof(default_rates) / sizeof(default_rates[0]) && !o.inline_only;
	     i++)
		run_async(plates, default_rates[i], &o);
	free(plates);
	if (failures)
		printf("# check=FAIL %d failed checks\n", failures);
	return failures ? 1 : 0;
}
