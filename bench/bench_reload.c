/* SPDX-License-Identifier: MIT */
/*
 * bench_reload: full list replacement and single edits, with readers.
 *
 * For each list size (1e6 and 1e7 by default), one engine with one list:
 *
 *  1. replace from memory: hotlist_replace() alternating between two entry
 *     sets that differ in 1 % of their plates (a refresh), --reps times,
 *     no reader running: `bench=reload source=memory readers=0`.
 *  2. replace from a CSV file (written to --tmpdir first, page cache warm):
 *     hotlist_load_csv(), MB/s over the file size: `source=csv readers=0`.
 *  3. the same two (--reader-reps times each, default once: a reload of
 *     1e7 entries takes seconds, so one gives thousands of reader samples)
 *     with --readers threads (default: cores - 1, at least 1)
 *     matching all the time (hotlist_match_batch, 64 raw reads a call):
 *     after a warm-up of --settle-ms, their reads/s before, during the
 *     memory replaces, during the CSV loads and after; the longest gap
 *     between two batch completions in each phase (readers must never wait;
 *     the gap also counts time the reader was descheduled, so each
 *     longest gap comes with the reader's run-queue wait in a window of
 *     ~0.2 ms more holding it, from the kernel's schedstat: a wait close to
 *     the gap means the scheduler; the reader's voluntary switches (it
 *     slept: blocked) and page faults in that window say what else);
 *     `bench=reload_readers`; with --clock-readers the readers only read
 *     the clock (the peer: the same writer work, no list touched), and a
 *     clock-only loop before the readers start gives the machine's own
 *     floor (`bench=reload_floor`, --floor-ms). With --trace-prefix P the
 *     readers' throughput in 5 ms steps goes to P-<entries>.dat
 *     (t_ms mreads_per_s phase) for the plot.
 *  4. visibility of one edit: a reader spins on hotlist_match() of a plate
 *     not in the list; the writer calls hotlist_put() and the time from the
 *     call until the reader's first hit is recorded (the writer then waits
 *     asleep, polling every 20 us, so that a fold has the other core of a
 *     2-core machine; then the same for
 *     hotlist_remove() until the first miss); percentiles over --edits
 *     edits: `bench=edit`.
 *  5. the cost of an edit against the edits pending in its list: --sweep
 *     puts of fresh plates one after another, each call timed and binned by
 *     the list's pending_edits just before it (bins of SWEEP_BIN, the last
 *     one open), then step 4 again with the list loaded with edits
 *     (`bench=edit_loaded`), then --sweep removes of the same plates:
 *     `bench=edit_cost op=put|remove`, one line per bin and one `bin=all`
 *     line with the mean (the amortised cost, folds included), and the
 *     calling thread's CPU time of the slowest call (cpu_us_of_max) and the
 *     most of any call (max_cpu_us): a max far above its CPU time was spent
 *     not running (descheduled by the guest's scheduler, or waiting for a
 *     lock), not working. Not the converse: a VM that reports no steal time
 *     (the 2-vCPU VM of docs/PERFORMANCE.md) counts the time the host took
 *     the vCPU away as the thread's CPU time. With --wild-put a wildcard
 *     plate is put (untimed) before every 100th put, so that most puts
 *     find one pending (a list with wildcard puts: issue 10).
 *  6. edits during a replace: a thread replaces the list --reps times
 *     while this one puts fresh plates into the same list and into another
 *     one; the puts that started and returned while a replace was in
 *     flight are timed (p50, p99, max), and those that began over 10 ms
 *     after the replace was called (`checked`) must still hit when it has
 *     returned (`lost` must be 0; puts made before a replace began are
 *     superseded by it): `bench=put_during_replace list=same|other`. Not
 *     with --smoke (its replaces are about as short as that margin).
 *
 * --fuzzy-edits: instead of all that, the edits of a fuzzy list (options
 * k=1 d=1, default classes; one replace of --min-entries entries, folding
 * off: the edits stay pending). The read cost of the list (non-hitting
 * reads: `bench=fz_read mode=batch` through hotlist_match_batch, 64 a call,
 * and `mode=single` through hotlist_match; wall and calling-thread CPU
 * ns/read, median of --reps passes over 2^16 reads) with 0 edits pending,
 * after --edits puts and after --sweep puts; the puts' cost binned by
 * pending edits (`bench=edit_cost op=put`, as step 5); step 4's visibility
 * with the list loaded (`bench=fz_edit_loaded`); then the removes
 * (`bench=edit_cost op=remove`). Uses only what main 5707fde has, so that
 * the same file measures both sides of an A/B. --exact-edits: the same on
 * a list without those options (`bench=fz_read options=exact`).
 *
 * Steps 1 and 2 and the peer give each call's CPU time twice, medians:
 * cpu_ms of the calling thread, cpu_all_ms of the whole process (a big
 * replace builds its index on a worker thread of the library; no reader
 * runs then), and `bench=reload_vs_plain` both ratios; --per-call prints
 * every timed call as a comment line, and after each replace where its time
 * went (`# phases`: wall ms; `# phases_cpu`: CPU ms of the calling thread;
 * print_phases). --build-threads N sets the engine's
 * cfg.build_threads (0, the default: the library decides by the load
 * average; 1: the calling thread only; 2: a worker thread too).
 * --fold-bg N makes the folder fold a list at N pending edits (the
 * library's HL_EDITS_BG_FOLD otherwise); steps 4 and 5 print the folds
 * made meanwhile (`folds=`) and step 5 the process's CPU time over its
 * puts or removes (`process_cpu_ms`: the folder's and grower's work
 * included).
 */
#include "bench_common.h"
#include "peers.h"
#include "engine.h" /* hl->snap: folding off for --fuzzy-edits */
#include "snapshot.h" /* hotlist__snap_set_fold_bg, _edits_fold */
#include "table.h" /* hotlist__build_times */

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define READ_BATCH 64 /* reads per hotlist_match_batch call */
#define READS_PER_READER (1u << 16) /* raw reads each reader cycles through */
#define SAMPLE_NS 5000000ull /* trace resolution: 5 ms */
#define MAX_SAMPLES 20000 /* 100 s of trace */
#define MAX_READERS 64
#define CHURN_DIV 100 /* replacement sets differ in 1/CHURN_DIV of their plates */
#define READER_HIT_RATIO 0.001
#define EDIT_SPIN_START_NS 200000ull /* let the spinning reader settle before an edit */
#define LIST "stolen"
#define SWEEP_BIN 512 /* pending-edit bins of bench=edit_cost */
#define SWEEP_BINS 9 /* [0, 512), ..., [3584, 4096), [4096, inf) */

/* PH_WARM: readers warm their caches and page in their arrays; not reported. */
enum phase { PH_WARM, PH_BEFORE, PH_MEM, PH_CSV, PH_AFTER, PH__COUNT };
static const char *const phase_name[PH__COUNT] = { "warm", "before", "mem", "csv", "after" };

struct opts {
	uint64_t min_entries, max_entries, reps, reader_reps, seed, readers, edits, settle_ms;
	uint64_t floor_ms; /* --floor-ms: the clock-only peer of the readers' gaps */
	uint64_t sweep; /* puts (then removes) of step 5 */
	bool replace_only; /* --replace-only: steps 1, 2 and the peer build, no readers, no edits */
	bool edits_only; /* --edits-only: steps 4, 5 and 6 on a list made by one replace */
	bool smoke; /* --smoke: no step 6 (its replaces are about as short as its margin) */
	bool fuzzy_edits; /* --fuzzy-edits: the edits of a fuzzy list (see the top) */
	const char *tmpdir, *trace_prefix;
};

/* What a thread did in a window holding one of its gaps (gapwatch below):
 * how long it waited on the run queue (descheduled, runnable; kernel
 * schedstat, UINT64_MAX when unreadable), the window's length, the times
 * it went to sleep (voluntary context switches: blocked, e.g. a page fault
 * waiting for the address space's lock) and its page faults. */
struct gap_cause {
	uint64_t runq_ns, window_ns, sleeps, faults;
};

struct reader {
	pthread_t tid;
	struct hotlist *hl;
	struct hotlist_read *reads;
	char *raw;
	uint64_t base_ns;
	uint64_t reads_in[PH__COUNT];
	uint64_t max_batch_ns[PH__COUNT];
	struct gap_cause max_batch_cause[PH__COUNT]; /* of each phase's longest gap */
	uint64_t gaps_over_1ms[PH__COUNT];
	uint32_t *samples; /* reads per SAMPLE_NS slot */
};

static _Atomic int phase;
static atomic_bool stop;
static int failures;

static void count_hit(const struct hotlist_hit *hit, void *user)
{
	(void)hit;
	++*(uint64_t *)user;
}

/* ---- entries and files --------------------------------------------------- */

/* Plates of set `which` (0 or 1): indexes [which * n / CHURN_DIV, ... + n). */
static struct hotlist_entry *make_entries(const char *plates, size_t n, int which)
{
	struct hotlist_entry *e = bench_xcalloc(n, sizeof(*e));
	size_t off = which ? n / CHURN_DIV : 0;

	for (size_t i = 0; i < n; i++)
		e[i] = (struct hotlist_entry){ .plate = plates + (off + i) * (BENCH_PLATE_LEN + 1),
					       .category = "stolen vehicle",
					       .priority = 50 };
	return e;
}

static size_t write_csv(const char *path, const char *plates, size_t n, int which)
{
	FILE *f = fopen(path, "w");
	size_t off = which ? n / CHURN_DIV : 0;
	long size;

	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f, "plate,country,category,reference,priority\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s,,stolen vehicle,CASE-%08zu,50\n",
			plates + (off + i) * (BENCH_PLATE_LEN + 1), off + i);
	size = ftell(f);
	if (fclose(f) != 0 || size < 0) {
		perror(path);
		exit(1);
	}
	return (size_t)size;
}

/* cfg.build_threads of the engine (--build-threads; 0: the library's default,
 * by the load average). */
static unsigned build_threads;
/* --fold-bg N: the folder folds a list at N pending edits
 * (hotlist__snap_set_fold_bg; 0: the library's HL_EDITS_BG_FOLD), to
 * measure another folding rule against the library's in one build. */
static uint64_t fold_bg;

static struct hotlist *make_engine(void)
{
	struct hotlist_config cfg;
	struct hotlist *hl = NULL;

	/* no callback: the edit reader sees one plate hit many times */
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.build_threads = build_threads;
	int rc = hotlist_create(&hl, &cfg);
	if (rc != 0) {
		fprintf(stderr, "hotlist_create: %s\n", hotlist_strerror(rc));
		exit(1);
	}
	if (fold_bg)
		hotlist__snap_set_fold_bg(&hl->snap, (uint32_t)fold_bg);
	return hl;
}

/* Folds of pending edits into a new base made so far by the engine's folder
 * thread (internal counter, read under the writers' lock). */
static uint64_t folds_done(struct hotlist *hl)
{
	pthread_mutex_lock(&hl->snap.wlock);
	uint64_t n = hl->snap.folds_done;
	pthread_mutex_unlock(&hl->snap.wlock);
	return n;
}

/* ---- replace and load, timed ---------------------------------------------------- */

struct timing {
	double ms[16];
	double engine_ms[16]; /* report.duration_us */
	double cpu_ms[16]; /* CPU time of the calling thread (user + system: page faults too) */
	double cpu_all_ms[16]; /* CPU time of the process, all threads: the library's
				  build worker included (no readers run meanwhile) */
	double faults[16]; /* page faults of the calling thread (minor + major) */
	unsigned n;
};

/* Page faults taken by this thread so far: fresh memory faulted in (and
 * zeroed by the kernel) shows here. */
static uint64_t thread_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

/* CPU time of the whole process in ns: a replace's worker thread counts. */
static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool per_call; /* --per-call: a comment line per timed call */

/* Close call i of t: wall, CPU (this thread, all threads), faults. */
static void record(struct timing *t, const char *what, uint64_t t0, uint64_t c0, uint64_t p0,
		   uint64_t f0)
{
	t->ms[t->n] = (double)(bench_now_ns() - t0) / 1e6;
	t->cpu_ms[t->n] = (double)(bench_thread_cpu_ns() - c0) / 1e6;
	t->cpu_all_ms[t->n] = (double)(process_cpu_ns() - p0) / 1e6;
	t->faults[t->n] = (double)(thread_faults() - f0);
	if (per_call)
		printf("# call=%s ms=%.1f cpu_ms=%.1f cpu_all_ms=%.1f faults=%.0f\n", what,
		       t->ms[t->n], t->cpu_ms[t->n], t->cpu_all_ms[t->n], t->faults[t->n]);
}

/* --per-call: where the last replace's time went, from the library's
 * thread-local hotlist__build_times (lib/table.h): the add pass, the wait
 * for the build-ahead worker, the rest of index phase 1, phase 2, the
 * duplicates and patterns, the publication; the worker's CPU and wait. */
static void print_phases(void)
{
	const struct hl_build_times *b = &hotlist__build_times;
#define HL_MS(a, z) ((a) && (z) && (z) >= (a) ? (double)((z) - (a)) / 1e6 : 0.0)
	uint64_t joined = b->joined_ns ? b->joined_ns : b->added_ns;
	printf("# phases add_ms=%.1f join_ms=%.1f phase1_ms=%.1f phase2_ms=%.1f rest_ms=%.1f "
	       "publish_ms=%.1f worker_cpu_ms=%.1f worker_wait_ms=%.1f worker_keys=%" PRIu64
	       " over_keys=%" PRIu64 " split_keys=%" PRIu64 " split_wait_ms=%.1f\n",
	       HL_MS(b->begin_ns, b->added_ns), HL_MS(b->added_ns, b->joined_ns),
	       HL_MS(joined, b->phase1_ns), HL_MS(b->phase1_ns, b->index_ns),
	       HL_MS(b->index_ns, b->built_ns), HL_MS(b->built_ns, b->published_ns),
	       (double)b->worker_cpu_ns / 1e6, (double)b->worker_wait_ns / 1e6, b->worker_keys,
	       b->over_keys, b->split_keys, (double)b->split_wait_ns / 1e6);
	uint64_t joined_cpu = b->joined_cpu ? b->joined_cpu : b->added_cpu;
	printf("# phases_cpu add_ms=%.1f join_ms=%.1f phase1_ms=%.1f phase2_ms=%.1f rest_ms=%.1f "
	       "publish_ms=%.1f\n",
	       HL_MS(b->begin_cpu, b->added_cpu), HL_MS(b->added_cpu, b->joined_cpu),
	       HL_MS(joined_cpu, b->phase1_cpu), HL_MS(b->phase1_cpu, b->index_cpu),
	       HL_MS(b->index_cpu, b->built_cpu), HL_MS(b->built_cpu, b->published_cpu));
#undef HL_MS
}

static void one_replace(struct hotlist *hl, struct hotlist_entry *const sets[2], size_t n,
			unsigned r, struct timing *t)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	uint64_t f0 = thread_faults(), c0 = bench_thread_cpu_ns(), p0 = process_cpu_ns();
	uint64_t t0 = bench_now_ns();
	int rc = hotlist_replace(hl, LIST, sets[(r + 1) % 2], n, &rep);

	record(t, "replace", t0, c0, p0, f0);
	t->engine_ms[t->n++] = (double)rep.duration_us / 1e3;
	if (per_call)
		print_phases();
	if (rc != 0 || rep.loaded != n) {
		printf("# check=FAIL hotlist_replace: %s loaded=%" PRIu64 "\n",
		       hotlist_strerror(rc), rep.loaded);
		failures++;
	}
}

static void one_load(struct hotlist *hl, char *const paths[2], size_t n, unsigned r,
		     struct timing *t)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	uint64_t f0 = thread_faults(), c0 = bench_thread_cpu_ns(), p0 = process_cpu_ns();
	uint64_t t0 = bench_now_ns();
	int rc = hotlist_load_csv(hl, LIST, paths[(r + 1) % 2], &rep);

	record(t, "csv", t0, c0, p0, f0);
	t->engine_ms[t->n++] = (double)rep.duration_us / 1e3;
	if (rc != 0 || rep.loaded != n) {
		printf("# check=FAIL hotlist_load_csv: %s loaded=%" PRIu64 " rejected=%" PRIu64
		       "\n",
		       hotlist_strerror(rc), rep.loaded, rep.rejected);
		failures++;
	}
}

/* The peer: the plain open-addressing table (bench/peers.c) built from the
 * same plates, packed beforehand (a table build takes keys; hotlist_replace
 * takes text and normalises it). The build alone is timed; destroyed
 * untimed. */
static void one_plain_build(const struct bench_system *sys, const struct hl_key *keys,
			    const uint32_t *vals, size_t n, uint64_t seed, struct timing *t)
{
	/* one build untimed first: the timed one then finds its memory freed
	 * by it (the allocator's steady state, no fresh pages to fault in), so
	 * the peer is the same whatever the replaces left free before it */
	void *ix = sys->build(keys, vals, n, seed);

	if (ix)
		sys->destroy(ix);
	uint64_t f0 = thread_faults(), c0 = bench_thread_cpu_ns(), p0 = process_cpu_ns();
	uint64_t t0 = bench_now_ns();
	ix = sys->build(keys, vals, n, seed);

	record(t, sys->name, t0, c0, p0, f0);
	t->engine_ms[t->n] = t->ms[t->n];
	t->n++;
	if (!ix) {
		printf("# check=FAIL %s build\n", sys->name);
		failures++;
		return;
	}
	sys->destroy(ix);
}

static void print_timing(const char *source, size_t n, unsigned readers, struct timing *t,
			 size_t file_bytes)
{
	double lo = t->ms[0], hi = t->ms[0];

	for (unsigned i = 1; i < t->n; i++) {
		lo = t->ms[i] < lo ? t->ms[i] : lo;
		hi = t->ms[i] > hi ? t->ms[i] : hi;
	}
	double med = bench_median(t->ms, t->n), emed = bench_median(t->engine_ms, t->n);
	double cmed = bench_median(t->cpu_ms, t->n), fmed = bench_median(t->faults, t->n);
	double amed = bench_median(t->cpu_all_ms, t->n);

	printf("bench=reload source=%s entries=%zu readers=%u reps=%u ms=%.1f ms_min=%.1f "
	       "ms_max=%.1f engine_ms=%.1f cpu_ms=%.1f cpu_all_ms=%.1f faults=%.0f "
	       "mentries_per_s=%.2f",
	       source, n, readers, t->n, med, lo, hi, emed, cmed, amed, fmed,
	       (double)n / med / 1e3);
	if (file_bytes)
		printf(" file_mb=%.1f mb_per_s=%.1f mb_per_cpu_s=%.1f", (double)file_bytes / 1e6,
		       (double)file_bytes / 1e3 / med, (double)file_bytes / 1e3 / amed);
	printf("\n");
	fflush(stdout);
}

/* ---- readers ------------------------------------------------------------------ */

/* Nanoseconds this thread has waited on a run queue (runnable, not
 * running) so far: the second field of /proc/thread-self/schedstat;
 * UINT64_MAX if it cannot be read. */
static uint64_t runq_wait_ns(int fd)
{
	char buf[96];
	unsigned long long run, wait;
	ssize_t len = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0)
		return UINT64_MAX;
	buf[len] = '\0';
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return UINT64_MAX;
	return (uint64_t)wait;
}

/* Voluntary context switches and page faults of this thread so far. */
static void thread_sleeps_faults(uint64_t *sleeps, uint64_t *faults)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	*sleeps = (uint64_t)ru.ru_nvcsw;
	*faults = (uint64_t)(ru.ru_minflt + ru.ru_majflt);
}

/* A thread's gap watch: every WAIT_MARK_NS (gapwatch_mark) it notes its
 * run-queue wait, sleeps and faults; at a gap worth explaining
 * (gapwatch_cause) it reads them again, so that the counts within [mark,
 * now], a window holding the gap, say whether the thread was descheduled
 * (the scheduler), asleep, faulting, or running (its own work, or the
 * host's preemption, which the guest does not see) meanwhile. */
#define WAIT_MARK_NS 200000

struct gapwatch {
	int fd; /* /proc/thread-self/schedstat, or -1 */
	uint64_t mark_t, mark_wait, mark_sleeps, mark_faults;
};

static void gapwatch_mark(struct gapwatch *g, uint64_t t)
{
	g->mark_t = t;
	g->mark_wait = runq_wait_ns(g->fd);
	thread_sleeps_faults(&g->mark_sleeps, &g->mark_faults);
}

/* Opened and marked by the thread it watches. */
static void gapwatch_open(struct gapwatch *g)
{
	g->fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	gapwatch_mark(g, bench_now_ns());
}

static void gapwatch_close(struct gapwatch *g)
{
	if (g->fd >= 0)
		close(g->fd);
}

/* A new mark if the last is WAIT_MARK_NS old at t. */
static void gapwatch_tick(struct gapwatch *g, uint64_t t)
{
	if (t - g->mark_t > WAIT_MARK_NS)
		gapwatch_mark(g, bench_now_ns());
}

/* What the thread did since the last mark, up to t (a gap's end). */
static struct gap_cause gapwatch_cause(const struct gapwatch *g, uint64_t t)
{
	uint64_t w = runq_wait_ns(g->fd), sleeps, faults;

	thread_sleeps_faults(&sleeps, &faults);
	return (struct gap_cause){
		.runq_ns = w == UINT64_MAX || g->mark_wait == UINT64_MAX ? UINT64_MAX :
									   w - g->mark_wait,
		.window_ns = t - g->mark_t,
		.sleeps = sleeps - g->mark_sleeps,
		.faults = faults - g->mark_faults,
	};
}

/* The machine's own floor, a peer for the readers' gaps: this thread reads
 * the clock in a loop for ms milliseconds, nothing else, and reports its
 * longest gap (with the run-queue wait around it, as the readers do) and
 * the gaps over 1 ms. On a VM the host's preemption shows here (it is not
 * in the guest's run-queue wait). */
static void clock_floor(uint64_t ms)
{
	struct gapwatch g;
	struct gap_cause max_cause = { .runq_ns = UINT64_MAX };

	gapwatch_open(&g);
	uint64_t prev = g.mark_t, end = prev + ms * 1000000, max_gap = 0, over = 0;

	for (uint64_t t = prev; t <= end; prev = t) {
		t = bench_now_ns();
		if (t - prev > max_gap) {
			max_gap = t - prev;
			max_cause = gapwatch_cause(&g, t);
		}
		over += t - prev > 1000000;
		gapwatch_tick(&g, t);
	}
	gapwatch_close(&g);
	printf("bench=reload_floor what=clock_only ms=%" PRIu64 " max_gap_us=%.1f", ms,
	       (double)max_gap / 1e3);
	if (max_cause.runq_ns == UINT64_MAX)
		printf(" max_gap_runq_us=na");
	else
		printf(" max_gap_runq_us=%.1f", (double)max_cause.runq_ns / 1e3);
	printf(" gaps_over_1ms=%" PRIu64 "\n", over);
}

/* With --clock-readers the readers call nothing of the library (the same
 * loop, the clock only): the peer that shows which gaps the same writer
 * work causes in a thread that touches none of the list. */
static bool clock_readers;

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct gapwatch g;

	gapwatch_open(&g);
	uint64_t hits = 0, t_prev = g.mark_t;

	for (int p = 0; p < PH__COUNT; p++)
		rd->max_batch_cause[p].runq_ns = UINT64_MAX;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (size_t i = 0; i < READS_PER_READER; i += READ_BATCH) {
			int ph = atomic_load_explicit(&phase, memory_order_relaxed);

			if (!clock_readers)
				hotlist_match_batch(rd->hl, &rd->reads[i], READ_BATCH, count_hit,
						    &hits);
			uint64_t t = bench_now_ns(), slot = (t - rd->base_ns) / SAMPLE_NS;

			rd->reads_in[ph] += READ_BATCH;
			rd->gaps_over_1ms[ph] += t - t_prev > 1000000;
			if (t - t_prev > rd->max_batch_ns[ph]) {
				rd->max_batch_ns[ph] = t - t_prev;
				rd->max_batch_cause[ph] = gapwatch_cause(&g, t);
			}
			t_prev = t;
			gapwatch_tick(&g, t);
			if (slot < MAX_SAMPLES)
				rd->samples[slot] += READ_BATCH;
		}
	}
	gapwatch_close(&g);
	return NULL;
}

static void reader_init(struct reader *rd, struct hotlist *hl, const char *plates, size_t n,
			unsigned idx, uint64_t seed)
{
	struct bench_rng rng;
	char plate[BENCH_PLATE_LEN + 1];

	memset(rd, 0, sizeof(*rd));
	rd->hl = hl;
	rd->reads = bench_xcalloc(READS_PER_READER, sizeof(*rd->reads));
	rd->raw = bench_xmalloc((size_t)READS_PER_READER * 16);
	rd->samples = bench_xcalloc(MAX_SAMPLES, sizeof(*rd->samples));
	bench_rng_init(&rng, seed + idx);
	for (size_t i = 0; i < READS_PER_READER; i++) {
		if (bench_rng_unit(&rng) < READER_HIT_RATIO)
			memcpy(plate, plates + bench_rng_below(&rng, n) * (BENCH_PLATE_LEN + 1),
			       sizeof(plate));
		else
			bench_plate(BENCH_MISS_BASE + bench_rng_below(&rng, BENCH_MISS_BASE), seed,
				    plate);
		bench_plate_raw(plate, rd->raw + i * 16);
		rd->reads[i] = (struct hotlist_read){ .plate = rd->raw + i * 16,
						      .camera = "cam-01",
						      .ts_us = 1700000000000000ll };
	}
}

static void reader_free(struct reader *rd)
{
	free(rd->samples);
	free(rd->raw);
	free(rd->reads);
}

static void write_trace(const char *prefix, size_t n, struct reader *rd, unsigned nr,
			const uint64_t *ph_start, uint64_t end)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s-%zu.dat", prefix, n);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	fprintf(f, "# t_ms mreads_per_s phase (readers=%u entries=%zu)\n", nr, n);
	for (uint64_t s = 0; s < MAX_SAMPLES && rd[0].base_ns + (s + 1) * SAMPLE_NS <= end; s++) {
		uint64_t t = rd[0].base_ns + s * SAMPLE_NS, sum = 0;
		int ph = PH_BEFORE;

		if (t < ph_start[PH_BEFORE])
			continue;
		for (unsigned i = 0; i < nr; i++)
			sum += rd[i].samples[s];
		while (ph + 1 < PH__COUNT && t >= ph_start[ph + 1])
			ph++;
		fprintf(f, "%.1f %.3f %s\n", (double)(t - ph_start[PH_BEFORE]) / 1e6,
			(double)sum / ((double)SAMPLE_NS / 1e3), phase_name[ph]);
	}
	fclose(f);
}

static void print_readers(size_t n, struct reader *rd, unsigned nr, const uint64_t *ph_start,
			  uint64_t end)
{
	double rate[PH__COUNT];
	uint64_t maxb[PH__COUNT], over[PH__COUNT];
	struct gap_cause cause[PH__COUNT];

	printf("bench=reload_readers entries=%zu readers=%u reader=%s", n, nr,
	       clock_readers ? "clock_only" : "match_batch");
	for (int p = PH_BEFORE; p < PH__COUNT; p++) {
		uint64_t reads = 0, dur = (p + 1 < PH__COUNT ? ph_start[p + 1] : end) - ph_start[p];

		maxb[p] = 0;
		cause[p] = (struct gap_cause){ .runq_ns = UINT64_MAX };
		over[p] = 0;
		for (unsigned i = 0; i < nr; i++) {
			reads += rd[i].reads_in[p];
			over[p] += rd[i].gaps_over_1ms[p];
			if (rd[i].max_batch_ns[p] > maxb[p]) {
				maxb[p] = rd[i].max_batch_ns[p];
				cause[p] = rd[i].max_batch_cause[p];
			}
		}
		rate[p] = (double)reads / ((double)dur / 1e3);
		printf(" %s_ms=%.0f %s_mreads_per_s=%.2f", phase_name[p], (double)dur / 1e6,
		       phase_name[p], rate[p]);
	}
	printf(" kept_pct_mem=%.1f kept_pct_csv=%.1f", 100 * rate[PH_MEM] / rate[PH_BEFORE],
	       100 * rate[PH_CSV] / rate[PH_BEFORE]);
	for (int p = PH_BEFORE; p < PH__COUNT; p++)
		printf(" max_batch_us_%s=%.1f gaps_over_1ms_%s=%" PRIu64, phase_name[p],
		       (double)maxb[p] / 1e3, phase_name[p], over[p]);
	/* the run-queue wait in a window (of the given length) that holds the
	 * longest gap: close to the gap, the reader was descheduled */
	for (int p = PH_BEFORE; p < PH__COUNT; p++) {
		if (cause[p].runq_ns == UINT64_MAX)
			printf(" max_batch_runq_us_%s=na", phase_name[p]);
		else
			printf(" max_batch_runq_us_%s=%.1f max_batch_window_us_%s=%.1f",
			       phase_name[p], (double)cause[p].runq_ns / 1e3, phase_name[p],
			       (double)cause[p].window_ns / 1e3);
		printf(" max_batch_sleeps_%s=%" PRIu64 " max_batch_faults_%s=%" PRIu64,
		       phase_name[p], cause[p].sleeps, phase_name[p], cause[p].faults);
	}
	printf("\n");
	fflush(stdout);
}

/* Replaces and loads with readers running; phases marked for the readers. */
static void with_readers(struct hotlist *hl, struct hotlist_entry *const sets[2],
			 char *const paths[2], const char *plates, size_t n, const struct opts *o)
{
	struct reader rd[MAX_READERS];
	unsigned nr = (unsigned)o->readers;
	uint64_t ph_start[PH__COUNT], base = bench_now_ns();
	struct timing tm = { .n = 0 }, tc = { .n = 0 };

	clock_floor(o->floor_ms);
	atomic_store(&phase, PH_WARM);
	atomic_store(&stop, false);
	for (unsigned i = 0; i < nr; i++) {
		reader_init(&rd[i], hl, plates, n, i, o->seed);
		rd[i].base_ns = base;
	}
	for (unsigned i = 0; i < nr; i++)
		pthread_create(&rd[i].tid, NULL, reader_main, &rd[i]);
	ph_start[PH_WARM] = bench_now_ns();
	bench_sleep_ms(o->settle_ms);
	atomic_store(&phase, PH_BEFORE);
	ph_start[PH_BEFORE] = bench_now_ns();
	bench_sleep_ms(o->settle_ms);
	atomic_store(&phase, PH_MEM);
	ph_start[PH_MEM] = bench_now_ns();
	for (unsigned r = 0; r < o->reader_reps; r++)
		one_replace(hl, sets, n, r, &tm);
	atomic_store(&phase, PH_CSV);
	ph_start[PH_CSV] = bench_now_ns();
	for (unsigned r = 0; r < o->reader_reps; r++)
		one_load(hl, paths, n, r, &tc);
	atomic_store(&phase, PH_AFTER);
	ph_start[PH_AFTER] = bench_now_ns();
	bench_sleep_ms(o->settle_ms);
	uint64_t end = bench_now_ns();

	atomic_store(&stop, true);
	for (unsigned i = 0; i < nr; i++)
		pthread_join(rd[i].tid, NULL);
	print_timing("memory", n, nr, &tm, 0);
	print_timing("csv", n, nr, &tc, 0);
	print_readers(n, rd, nr, ph_start, end);
	if (o->trace_prefix)
		write_trace(o->trace_prefix, n, rd, nr, ph_start, end);
	for (unsigned i = 0; i < nr; i++)
		reader_free(&rd[i]);
}

/* ---- edit visibility ---------------------------------------------------------------- */

struct spinner {
	pthread_t tid;
	struct hotlist *hl;
	char (*plates)[BENCH_PLATE_LEN + 1]; /* edit i uses plates[i]; none is in the list */
	_Atomic uint64_t armed; /* generation to watch: edit i is 2i+1 (put), 2i+2 (remove);
				   0 = idle, UINT64_MAX = exit */
	_Atomic uint64_t seen_gen; /* last generation whose edit the spinner saw */
	_Atomic uint64_t seen_ns; /* when */
};

/* Odd generations wait for a hit (put), even ones for a miss (remove). */
static void *spinner_main(void *arg)
{
	struct spinner *s = arg;
	uint64_t done = 0, hits = 0;

	for (;;) {
		/* acquire: pairs with the release in timed_edit; the plate is const */
		uint64_t gen = atomic_load_explicit(&s->armed, memory_order_acquire);

		if (gen == UINT64_MAX)
			return NULL;
		if (gen == 0 || gen == done)
			continue;
		struct hotlist_read rd = { .plate = s->plates[(gen - 1) / 2], .camera = "cam-01" };
		bool hit = hotlist_match(s->hl, &rd, count_hit, &hits) > 0;

		if (hit == (gen % 2 == 1)) {
			atomic_store_explicit(&s->seen_ns, bench_now_ns(), memory_order_relaxed);
			atomic_store_explicit(&s->seen_gen, gen, memory_order_release);
			done = gen;
		}
	}
}

/* Arm the spinner for generation gen, edit, wait until it has seen the edit. */
static void timed_edit(struct spinner *s, uint64_t gen, uint64_t *vis_ns, uint64_t *call_ns)
{
	const char *plate = s->plates[(gen - 1) / 2];
	struct hotlist_entry e = { .plate = plate, .category = "urgent", .priority = 0 };
	bool put = gen % 2 == 1;
	uint64_t t0, t1;
	int rc;

	atomic_store_explicit(&s->armed, gen, memory_order_release);
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < EDIT_SPIN_START_NS)
		; /* the spinner is now matching, and not yet seeing the edit */
	t0 = bench_now_ns();
	rc = put ? hotlist_put(s->hl, LIST, &e) : hotlist_remove(s->hl, LIST, plate, NULL);
	t1 = bench_now_ns();
	if (rc < 0) {
		printf("# check=FAIL hotlist_%s: %s\n", put ? "put" : "remove",
		       hotlist_strerror(rc));
		failures++;
		atomic_store_explicit(&s->armed, 0, memory_order_relaxed);
		*vis_ns = *call_ns = 0;
		return;
	}
	/* acquire: pairs with the spinner's release of seen_gen. Waits asleep
	 * (the spinner stamps the time it saw the edit): a writer spinning here
	 * took the second of two cores, so that a fold running meanwhile had to
	 * preempt the spinner or the writer for a scheduler tick (4 ms at HZ 250),
	 * which then read as the edit's visibility. */
	while (atomic_load_explicit(&s->seen_gen, memory_order_acquire) != gen) {
		struct timespec ts = { 0, 20000 };

		nanosleep(&ts, NULL);
	}
	*vis_ns = atomic_load_explicit(&s->seen_ns, memory_order_relaxed) - t0;
	*call_ns = t1 - t0;
}

/* Pending edits of LIST now (hotlist_list_info; the bench has one list). */
static uint64_t pending_edits(struct hotlist *hl)
{
	struct hotlist_list_info info = { .struct_size = sizeof(info) };

	if (hotlist_list_info(hl, 0, &info) != 0)
		return 0;
	return info.pending_edits;
}

static void print_pcts(const char *what, const char *name, uint64_t *v, size_t k)
{
	bench_sort_u64(v, k);
	printf(" %s_%s_p50_us=%.1f %s_%s_p99_us=%.1f %s_%s_max_us=%.1f", what, name,
	       (double)bench_pct_sorted(v, k, 0.5) / 1e3, what, name,
	       (double)bench_pct_sorted(v, k, 0.99) / 1e3, what, name, (double)v[k - 1] / 1e3);
}

static void edit_visibility(struct hotlist *hl, size_t n, const struct opts *o, const char *label)
{
	struct spinner s = { .hl = hl };
	size_t k = o->edits;
	uint64_t *vis[2], *call[2];

	s.plates = bench_xcalloc(k, sizeof(*s.plates));
	for (size_t i = 0; i < k; i++)
		bench_plate(BENCH_MISS_BASE - 1 - i, o->seed, s.plates[i]);
	for (int i = 0; i < 2; i++) {
		vis[i] = bench_xcalloc(k, sizeof(uint64_t));
		call[i] = bench_xcalloc(k, sizeof(uint64_t));
	}
	const uint64_t f0 = folds_done(hl);
	pthread_create(&s.tid, NULL, spinner_main, &s);
	for (size_t i = 0; i < k; i++) {
		timed_edit(&s, 2 * i + 1, &vis[0][i], &call[0][i]);
		timed_edit(&s, 2 * i + 2, &vis[1][i], &call[1][i]);
	}
	atomic_store(&s.armed, UINT64_MAX);
	pthread_join(s.tid, NULL);
	printf("bench=%s entries=%zu edits=%zu pending_after=%" PRIu64, label, n, k,
	       pending_edits(hl));
	print_pcts("put", "visible", vis[0], k);
	print_pcts("put", "call", call[0], k);
	print_pcts("remove", "visible", vis[1], k);
	print_pcts("remove", "call", call[1], k);
	printf(" folds=%" PRIu64 "\n", folds_done(hl) - f0);
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		free(vis[i]);
		free(call[i]);
	}
	free(s.plates);
}

/* ---- edit cost against pending edits --------------------------------------------- */

struct sweep_bins {
	uint64_t *ns[SWEEP_BINS];
	size_t n[SWEEP_BINS];
	uint64_t total_ns, calls, max_pending;
	uint64_t waits0; /* reclaim_waits (hotlist_stats) at the start */
	uint64_t folds0, cpu0, wall0; /* folds_done, process CPU and clock at the start */
	/* the calling thread's CPU time of the slowest call, and the most CPU
	 * time of any call (see step 5 in the top comment) */
	uint64_t max_ns, cpu_at_max_ns, max_cpu_ns;
};

static uint64_t reclaim_waits(struct hotlist *hl)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };

	return hotlist_stats(hl, &st) == 0 ? st.reclaim_waits : 0;
}

/* The counters a sweep's summary line is measured from. */
static void sweep_begin(struct hotlist *hl, struct sweep_bins *b)
{
	b->waits0 = reclaim_waits(hl);
	b->folds0 = folds_done(hl);
	b->cpu0 = process_cpu_ns();
	b->wall0 = bench_now_ns();
}

static void sweep_record(struct sweep_bins *b, uint64_t pending, uint64_t ns, uint64_t cpu_ns)
{
	size_t i = pending / SWEEP_BIN < SWEEP_BINS ? pending / SWEEP_BIN : SWEEP_BINS - 1;

	if (ns >= b->max_ns) {
		b->max_ns = ns;
		b->cpu_at_max_ns = cpu_ns;
	}
	if (cpu_ns > b->max_cpu_ns)
		b->max_cpu_ns = cpu_ns;

	b->ns[i][b->n[i]++] = ns;
	b->total_ns += ns;
	b->calls++;
	if (pending > b->max_pending)
		b->max_pending = pending;
}

static void sweep_print(struct hotlist *hl, struct sweep_bins *b, size_t n, const char *op)
{
	for (size_t i = 0; i < SWEEP_BINS; i++) {
		if (!b->n[i])
			continue;
		bench_sort_u64(b->ns[i], b->n[i]);
		printf("bench=edit_cost entries=%zu op=%s bin=%zu pending_from=%zu calls=%zu "
		       "p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
		       n, op, i, i * SWEEP_BIN, b->n[i],
		       (double)bench_pct_sorted(b->ns[i], b->n[i], 0.5) / 1e3,
		       (double)bench_pct_sorted(b->ns[i], b->n[i], 0.99) / 1e3,
		       (double)b->ns[i][b->n[i] - 1] / 1e3);
	}
	uint64_t *all = bench_xcalloc(b->calls, sizeof(uint64_t));
	size_t k = 0;

	for (size_t i = 0; i < SWEEP_BINS; i++) {
		memcpy(all + k, b->ns[i], b->n[i] * sizeof(uint64_t));
		k += b->n[i];
	}
	bench_sort_u64(all, k);
	/* folds and process_cpu_ms: the folder's work the edits caused while
	 * they were made (every thread's CPU; no reader runs then, but for
	 * --fuzzy-edits' puts, whose line spans its read passes too) */
	printf("bench=edit_cost entries=%zu op=%s bin=all calls=%" PRIu64 " max_pending=%" PRIu64
	       " reclaim_waits=%" PRIu64 " folds=%" PRIu64 " process_cpu_ms=%.1f wall_ms=%.1f"
	       " mean_us=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f"
	       " cpu_us_of_max=%.1f max_cpu_us=%.1f\n",
	       n, op, b->calls, b->max_pending, reclaim_waits(hl) - b->waits0,
	       folds_done(hl) - b->folds0, (double)(process_cpu_ns() - b->cpu0) / 1e6,
	       (double)(bench_now_ns() - b->wall0) / 1e6,
	       (double)b->total_ns / 1e3 / (double)b->calls,
	       (double)bench_pct_sorted(all, k, 0.5) / 1e3,
	       (double)bench_pct_sorted(all, k, 0.99) / 1e3, (double)all[k - 1] / 1e3,
	       (double)b->cpu_at_max_ns / 1e3, (double)b->max_cpu_ns / 1e3);
	fflush(stdout);
	free(all);
	for (size_t i = 0; i < SWEEP_BINS; i++) {
		free(b->ns[i]);
		b->ns[i] = NULL;
		b->n[i] = 0;
	}
	b->total_ns = b->calls = b->max_pending = 0;
	b->max_ns = b->cpu_at_max_ns = b->max_cpu_ns = 0;
}

/* Puts of plates[from..to), each timed into b by the pending edits before it. */
/* --wild-put: step 5's puts with a wildcard put pending (one more, untimed,
 * before every 100th put: the folds take them into the base) */
static bool wild_put;

static void sweep_puts(struct hotlist *hl, char (*plates)[BENCH_PLATE_LEN + 1], size_t from,
		       size_t to, struct sweep_bins *b)
{
	for (size_t i = from; i < to; i++) {
		if (wild_put && i % 100 == 0) { /* untimed: a pattern pending */
			char p[16];
			snprintf(p, sizeof(p), "ZZ%04zu?", i / 100 % 10000);
			struct hotlist_entry w = { .plate = p, .category = "wild" };
			if (hotlist_put(hl, LIST, &w) < 0)
				failures++;
		}
		struct hotlist_entry e = { .plate = plates[i], .category = "urgent" };
		uint64_t pending = pending_edits(hl), c0 = bench_thread_cpu_ns(),
			 t0 = bench_now_ns();
		int rc = hotlist_put(hl, LIST, &e);
		uint64_t t1 = bench_now_ns();

		sweep_record(b, pending, t1 - t0, bench_thread_cpu_ns() - c0);
		if (rc < 0) {
			printf("# check=FAIL hotlist_put: %s\n", hotlist_strerror(rc));
			failures++;
		}
	}
}

/* Removes of plates[0..k), timed likewise, then their bins printed. */
static void sweep_removes(struct hotlist *hl, size_t n, char (*plates)[BENCH_PLATE_LEN + 1],
			  size_t k, struct sweep_bins *b)
{
	for (size_t i = 0; i < SWEEP_BINS; i++)
		b->ns[i] = bench_xcalloc(k, sizeof(uint64_t));
	sweep_begin(hl, b);
	for (size_t i = 0; i < k; i++) {
		uint64_t pending = pending_edits(hl), c0 = bench_thread_cpu_ns(),
			 t0 = bench_now_ns();
		int rc = hotlist_remove(hl, LIST, plates[i], NULL);
		uint64_t t1 = bench_now_ns();

		sweep_record(b, pending, t1 - t0, bench_thread_cpu_ns() - c0);
		if (rc != 1) {
			printf("# check=FAIL hotlist_remove: %d\n", rc);
			failures++;
		}
	}
	sweep_print(hl, b, n, "remove");
}

static void edit_cost(struct hotlist *hl, size_t n, const struct opts *o)
{
	size_t k = o->sweep;
	char(*plates)[BENCH_PLATE_LEN + 1] = bench_xcalloc(k, sizeof(*plates));
	struct sweep_bins b = { .calls = 0 };

	for (size_t i = 0; i < SWEEP_BINS; i++)
		b.ns[i] = bench_xcalloc(k, sizeof(uint64_t));
	/* fresh plates: after those of edit_visibility (BENCH_MISS_BASE - 1 - i) */
	for (size_t i = 0; i < k; i++)
		bench_plate(BENCH_MISS_BASE - 1 - o->edits - i, o->seed, plates[i]);
	sweep_begin(hl, &b);
	sweep_puts(hl, plates, 0, k, &b);
	sweep_print(hl, &b, n, "put");
	edit_visibility(hl, n, o, "edit_loaded");
	sweep_removes(hl, n, plates, k, &b);
	free(plates);
}

/* ---- --fuzzy-edits ------------------------------------------------------------------ */

#define FZ_READS (1u << 16)

/* --exact-edits: --fuzzy-edits' steps on a list without OCR or indel
 * options (bench=fz_read options=exact) */
static bool exact_edits;

/* Read cost of LIST now: non-hitting reads, batch and single, wall and CPU
 * ns per read, median of o->reps passes each. */
static void fz_read_cost(struct hotlist *hl, size_t n, const struct hotlist_read *rd,
			 const struct opts *o)
{
	uint64_t pending = pending_edits(hl), hits = 0;
	for (int mode = 0; mode < 2; mode++) {
		double wall[16], cpu[16];
		for (unsigned r = 0; r < o->reps; r++) {
			uint64_t t0 = bench_now_ns(), c0 = bench_thread_cpu_ns();
			if (mode == 0)
				for (size_t i = 0; i < FZ_READS; i += READ_BATCH)
					hotlist_match_batch(hl, &rd[i], READ_BATCH, count_hit,
							    &hits);
			else
				for (size_t i = 0; i < FZ_READS; i++)
					hotlist_match(hl, &rd[i], count_hit, &hits);
			wall[r] = (double)(bench_now_ns() - t0) / FZ_READS;
			cpu[r] = (double)(bench_thread_cpu_ns() - c0) / FZ_READS;
		}
		printf("bench=fz_read entries=%zu options=%s pending=%" PRIu64
		       " mode=%s reps=%u ns_per_read=%.1f "
		       "cpu_ns_per_read=%.1f runs_ns=",
		       n, exact_edits ? "exact" : "k1d1", pending, mode ? "single" : "batch",
		       (unsigned)o->reps, bench_median(wall, o->reps), bench_median(cpu, o->reps));
		for (unsigned r = 0; r < o->reps; r++)
			printf("%s%.1f", r ? "," : "", wall[r]);
		printf(" hits=%" PRIu64 "\n", hits);
	}
	fflush(stdout);
}

static void run_fuzzy(size_t n, const struct opts *o)
{
	/* with --exact-edits the list keeps its default options: exact */
	char *all = bench_xmalloc(n * (BENCH_PLATE_LEN + 1));
	struct hotlist *hl = make_engine();
	struct timing tm = { .n = 0 };
	struct hotlist_list_options lo;
	struct hotlist_entry *sets[2];
	size_t k = o->sweep;
	char(*plates)[BENCH_PLATE_LEN + 1] = bench_xcalloc(k, sizeof(*plates));
	char(*miss)[16] = bench_xcalloc(FZ_READS, sizeof(*miss));
	struct hotlist_read *rd = bench_xcalloc(FZ_READS, sizeof(*rd));
	struct sweep_bins b = { .calls = 0 };

	hotlist__snap_set_fold_bg(&hl->snap, UINT32_MAX);
	hotlist__snap_set_edits_fold(&hl->snap, UINT32_MAX);
	hotlist_list_options_init(&lo);
	lo.ocr_substitutions = 1;
	lo.indels = 1;
	lo.repair = false;
	if (!exact_edits && hotlist_set_list_options(hl, LIST, &lo) != 0)
		exit(1);
	for (size_t i = 0; i < n; i++)
		bench_plate(i, o->seed, all + i * (BENCH_PLATE_LEN + 1));
	sets[0] = make_entries(all, n, 0);
	sets[1] = NULL;
	one_replace(hl, sets, n, 1, &tm);
	for (size_t i = 0; i < k; i++) /* fresh plates: after those of edit_visibility */
		bench_plate(BENCH_MISS_BASE - 1 - o->edits - i, o->seed, plates[i]);
	for (size_t i = 0; i < FZ_READS; i++) { /* reads of plates in no list */
		bench_plate(BENCH_MISS_BASE + i, o->seed, miss[i]);
		rd[i] = (struct hotlist_read){ .struct_size = sizeof(rd[i]), .plate = miss[i] };
	}
	for (size_t i = 0; i < SWEEP_BINS; i++)
		b.ns[i] = bench_xcalloc(k, sizeof(uint64_t));
	sweep_begin(hl, &b);
	fz_read_cost(hl, n, rd, o);
	size_t first = o->edits < k ? o->edits : k;
	sweep_puts(hl, plates, 0, first, &b);
	fz_read_cost(hl, n, rd, o);
	sweep_puts(hl, plates, first, k, &b);
	fz_read_cost(hl, n, rd, o);
	sweep_print(hl, &b, n, "put");
	edit_visibility(hl, n, o, "fz_edit_loaded");
	sweep_removes(hl, n, plates, k, &b);
	hotlist_destroy(hl, NULL);
	free(sets[0]);
	free(all);
	free(plates);
	free(miss);
	free(rd);
}

/* ---- main ---------------------------------------------------------------------------- */

/* ---- step 6: puts while a replace runs --------------------------------------------- */

/* A put that began this long after the replace was called is surely after
 * the replace noted the edit sequence (its first steps take microseconds). */
#define MARK_MARGIN_NS 10000000ull
#define LATE_MAX 4096 /* puts checked per replace */

struct replacer {
	struct hotlist *hl;
	struct hotlist_entry *set;
	size_t n;
	atomic_uint in_flight; /* odd while the replace runs: bumped before and after */
	_Atomic uint64_t began_ns; /* when it was bumped before */
	atomic_bool done;
	int rc; /* read after the join */
};

static void *replacer_main(void *arg)
{
	struct replacer *r = arg;

	atomic_store(&r->began_ns, bench_now_ns());
	atomic_fetch_add(&r->in_flight, 1);
	r->rc = hotlist_replace(r->hl, LIST, r->set, r->n, NULL);
	atomic_fetch_add(&r->in_flight, 1);
	atomic_store(&r->done, true);
	return NULL;
}

/* Whether plate hits (once). */
static bool hits_once(struct hotlist *hl, const char *plate)
{
	struct hotlist_read rd = { .plate = plate };
	uint64_t n = 0;

	return hotlist_match(hl, &rd, count_hit, &n) == 1;
}

struct pdr {
	size_t cap, k[2], checked[2], lost[2], tried;
	uint64_t *ns[2];
	size_t late[LATE_MAX], n_late;
};

static const char *const pdr_lists[2] = { LIST, "other" };

static void pdr_plate(size_t i, char *buf, size_t cap)
{
	snprintf(buf, cap, "PDR%07zu", i);
}

/* Put plates into both lists, one a millisecond, until r's replace ends. */
static void pdr_round(struct hotlist *hl, struct replacer *r, struct pdr *p)
{
	char plate[32];

	while (!atomic_load(&r->done) && p->k[0] < p->cap && p->k[1] < p->cap) {
		int w = (int)(p->tried % 2);
		struct hotlist_entry e = { .plate = plate };

		pdr_plate(p->tried, plate, sizeof(plate));
		unsigned f0 = atomic_load(&r->in_flight);
		uint64_t t0 = bench_now_ns();
		if (hotlist_put(hl, pdr_lists[w], &e) != 0)
			failures++;
		uint64_t dt = bench_now_ns() - t0;
		if ((f0 % 2) && atomic_load(&r->in_flight) == f0) {
			p->ns[w][p->k[w]++] = dt; /* began and returned during the replace */
			if (t0 > atomic_load(&r->began_ns) + MARK_MARGIN_NS && p->n_late < LATE_MAX)
				p->late[p->n_late++] = p->tried;
		}
		p->tried++;
		bench_sleep_ms(1);
	}
}

static void put_during_replace(struct hotlist *hl, struct hotlist_entry *set, size_t n,
			       const struct opts *o)
{
	struct pdr p = { .cap = 1u << 14 };
	char plate[32];

	p.ns[0] = bench_xcalloc(p.cap, sizeof(uint64_t));
	p.ns[1] = bench_xcalloc(p.cap, sizeof(uint64_t));
	for (unsigned rep = 0; rep < o->reps; rep++) {
		struct replacer r = { .hl = hl, .set = set, .n = n };
		pthread_t t;

		p.n_late = 0;
		pthread_create(&t, NULL, replacer_main, &r);
		pdr_round(hl, &r, &p);
		pthread_join(t, NULL);
		failures += r.rc != 0;
		for (size_t i = 0; i < p.n_late; i++) {
			int w = (int)(p.late[i] % 2);

			pdr_plate(p.late[i], plate, sizeof(plate));
			p.checked[w]++;
			if (!hits_once(hl, plate)) {
				printf("# check=FAIL put %s into %s during a replace lost\n", plate,
				       pdr_lists[w]);
				p.lost[w]++;
				failures++;
			}
		}
	}
	for (int w = 0; w < 2; w++) {
		printf("bench=put_during_replace entries=%zu list=%s replaces=%u puts=%zu "
		       "checked=%zu lost=%zu",
		       n, w ? "other" : "same", (unsigned)o->reps, p.k[w], p.checked[w], p.lost[w]);
		if (p.k[w])
			print_pcts("put", "call", p.ns[w], p.k[w]);
		printf("\n");
	}
	for (size_t i = 0; i < p.tried; i++) {
		pdr_plate(i, plate, sizeof(plate));
		(void)hotlist_remove(hl, pdr_lists[i % 2], plate, NULL);
	}
	free(p.ns[0]);
	free(p.ns[1]);
}

static void run_size(size_t n, const struct opts *o)
{
	size_t total = n + n / CHURN_DIV, bytes[2];
	char *plates = bench_xmalloc(total * (BENCH_PLATE_LEN + 1)), *paths[2];
	struct hotlist_entry *sets[2];
	struct hotlist *hl = make_engine();
	struct timing tm = { .n = 0 }, tc = { .n = 0 };

	for (size_t i = 0; i < total; i++)
		bench_plate(i, o->seed, plates + i * (BENCH_PLATE_LEN + 1));
	if (o->edits_only) {
		sets[0] = make_entries(plates, n, 0);
		sets[1] = NULL;
		one_replace(hl, sets, n, 1, &tm); /* r = 1: set 0 */
		edit_visibility(hl, n, o, "edit");
		edit_cost(hl, n, o);
		if (!o->smoke)
			put_during_replace(hl, sets[0], n, o);
		hotlist_destroy(hl, NULL);
		free(sets[0]);
		free(plates);
		return;
	}
	for (int s = 0; s < 2; s++) {
		sets[s] = make_entries(plates, n, s);
		paths[s] = bench_xmalloc(strlen(o->tmpdir) + 64);
		sprintf(paths[s], "%s/hotlist-bench-%d-%zu-%d.csv", o->tmpdir, (int)getpid(), n, s);
		bytes[s] = write_csv(paths[s], plates, n, s);
	}
	struct hl_key *keys = bench_xcalloc(n, sizeof(*keys));
	uint32_t *vals = bench_xcalloc(n, sizeof(*vals));
	struct timing tp = { .n = 0 }, t2 = { .n = 0 };

	for (size_t i = 0; i < n; i++) {
		bench_key_pack(plates + i * (BENCH_PLATE_LEN + 1), &keys[i]);
		vals[i] = (uint32_t)i;
	}
	one_replace(hl, sets, n, 1, &tm); /* create the list: not counted */
	tm.n = 0;
	/* interleaved with the peer's build, so that a slow spell hits both */
	for (unsigned r = 0; r < o->reps; r++) {
		one_plain_build(&bench_sys_plain, keys, vals, n, o->seed + r, &tp);
		one_plain_build(&bench_sys_plain_2m, keys, vals, n, o->seed + r, &t2);
		one_replace(hl, sets, n, r, &tm);
	}
	/* the medians, before print_timing reorders the arrays */
	double rm = bench_median(tm.ms, tm.n), pm = bench_median(tp.ms, tp.n);
	double rc = bench_median(tm.cpu_ms, tm.n), pc = bench_median(tp.cpu_ms, tp.n);
	double ra = bench_median(tm.cpu_all_ms, tm.n), pa = bench_median(tp.cpu_all_ms, tp.n);
	double p2 = bench_median(t2.ms, t2.n), p2c = bench_median(t2.cpu_ms, t2.n);

	/* cpu_ratio: the calling thread's CPU time; cpu_all_ratio: every
	 * thread's (a big replace builds its index on a worker thread) */
	printf("bench=reload_vs_plain entries=%zu replace_ms=%.1f plain_build_ms=%.1f ratio=%.2f "
	       "replace_cpu_ms=%.1f plain_build_cpu_ms=%.1f cpu_ratio=%.2f "
	       "replace_cpu_all_ms=%.1f plain_build_cpu_all_ms=%.1f cpu_all_ratio=%.2f\n",
	       n, rm, pm, rm / pm, rc, pc, rc / pc, ra, pa, ra / pa);
	/* the same table with its slots on 2 MiB pages, as our index is */
	printf("bench=reload_vs_plain_2m entries=%zu replace_ms=%.1f plain_2m_build_ms=%.1f "
	       "ratio=%.2f replace_cpu_ms=%.1f plain_2m_build_cpu_ms=%.1f cpu_ratio=%.2f\n",
	       n, rm, p2, rm / p2, rc, p2c, rc / p2c);
	print_timing("memory", n, 0, &tm, 0);
	print_timing("plain_build", n, 0, &tp, 0);
	print_timing("plain_2m_build", n, 0, &t2, 0);
	free(keys);
	free(vals);
	for (unsigned r = 0; r < o->reps; r++)
		one_load(hl, paths, n, r, &tc);
	print_timing("csv", n, 0, &tc, (bytes[0] + bytes[1]) / 2);
	if (!o->replace_only) {
		with_readers(hl, sets, paths, plates, n, o);
		edit_visibility(hl, n, o, "edit");
		edit_cost(hl, n, o);
		if (!o->smoke)
			put_during_replace(hl, sets[0], n, o);
	}
	hotlist_destroy(hl, NULL);
	for (int s = 0; s < 2; s++) {
		unlink(paths[s]);
		free(paths[s]);
		free(sets[s]);
	}
	free(plates);
}

int main(int argc, char **argv)
{
	static const char usage[] =
		"[--smoke] [--min-entries N] [--max-entries N] [--reps N] [--floor-ms N] [--clock-readers] "
		"[--reader-reps N] [--readers N] [--edits N] [--sweep N] [--settle-ms N] [--tmpdir DIR] "
		"[--trace-prefix PATH] [--seed N] [--replace-only] [--edits-only] [--per-call] "
		"[--build-threads N] [--fold-bg N] [--fuzzy-edits] [--exact-edits] [--wild-put]";
	unsigned cores = bench_cores();
	struct opts o = { .min_entries = 1000000,
			  .max_entries = 10000000,
			  .reps = BENCH_REPS_DEFAULT,
			  .reader_reps = 1,
			  .seed = BENCH_SEED_DEFAULT,
			  .readers = cores > 1 ? cores - 1 : 1,
			  .edits = 200,
			  .sweep = 7500,
			  .settle_ms = 300,
			  .floor_ms = 3000 };

	uint64_t bt = 0;

	o.tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			o.smoke = true;
			o.min_entries = 10000;
			o.max_entries = 10000;
			o.edits = 20;
			o.sweep = 300;
			o.settle_ms = 20;
			o.floor_ms = 50;
		} else if (strcmp(argv[i], "--clock-readers") == 0) {
			clock_readers = true;
		} else if (strcmp(argv[i], "--fuzzy-edits") == 0) {
			o.fuzzy_edits = true;
		} else if (strcmp(argv[i], "--exact-edits") == 0) {
			o.fuzzy_edits = true;
			exact_edits = true;
		} else if (strcmp(argv[i], "--wild-put") == 0) {
			wild_put = true;
		} else if (strcmp(argv[i], "--edits-only") == 0) {
			o.edits_only = true;
		} else if (strcmp(argv[i], "--replace-only") == 0) {
			o.replace_only = true;
		} else if (strcmp(argv[i], "--per-call") == 0) {
			per_call = true;
		} else if (!bench_opt_u64(argc, argv, &i, "--min-entries", &o.min_entries) &&
			   !bench_opt_u64(argc, argv, &i, "--max-entries", &o.max_entries) &&
			   !bench_opt_u64(argc, argv, &i, "--reps", &o.reps) &&
			   !bench_opt_u64(argc, argv, &i, "--reader-reps", &o.reader_reps) &&
			   !bench_opt_u64(argc, argv, &i, "--readers", &o.readers) &&
			   !bench_opt_u64(argc, argv, &i, "--edits", &o.edits) &&
			   !bench_opt_u64(argc, argv, &i, "--sweep", &o.sweep) &&
			   !bench_opt_u64(argc, argv, &i, "--settle-ms", &o.settle_ms) &&
			   !bench_opt_u64(argc, argv, &i, "--floor-ms", &o.floor_ms) &&
			   !bench_opt_str(argc, argv, &i, "--tmpdir", &o.tmpdir) &&
			   !bench_opt_str(argc, argv, &i, "--trace-prefix", &o.trace_prefix) &&
			   !bench_opt_u64(argc, argv, &i, "--build-threads", &bt) &&
			   !bench_opt_u64(argc, argv, &i, "--fold-bg", &fold_bg) &&
			   !bench_opt_u64(argc, argv, &i, "--seed", &o.seed)) {
			bench_bad_option(argv[0], argv[i], usage);
		}
	}
	if (o.reps < 1 || o.reps > 16 || o.reader_reps < 1 || o.reader_reps > 16 || o.readers < 1 ||
	    o.readers > MAX_READERS || o.edits < 1 || o.sweep < 1 || o.min_entries < 100 ||
	    o.max_entries > 100000000 || bt > 2) {
		fprintf(stderr, "%s: bad arguments\nusage: %s %s\n", argv[0], argv[0], usage);
		return 2;
	}
	build_threads = (unsigned)bt;
	bench_header("reload");
	printf("# build_threads=%u fold_bg=%" PRIu64 "\n", build_threads, fold_bg);
	for (size_t n = o.min_entries; n <= o.max_entries && o.fuzzy_edits; n = SIZE_MAX)
		run_fuzzy(n, &o);
	for (size_t n = o.min_entries; n <= o.max_entries && !o.fuzzy_edits; n *= 10)
		run_size(n, &o);
	if (failures)
		printf("# check=FAIL %d failed checks\n", failures);
	return failures ? 1 : 0;
}
