/* SPDX-License-Identifier: MIT */
/*
 * hotlist demo: a realistic live run on generated data. Camera threads read
 * flat out (or paced) while a control thread replaces the 'national' list and
 * adds an urgent entry; hits, a status line every second and a summary; with
 * --soak, a verdict on memory growth and lost work.
 */
#include "cli.h"
#include "sample.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char demo_usage[] =
	"usage: hotlist demo [--entries N] [--seconds S] [--cameras C] [--workers W]\n"
	"                    [--inline K] [--rate R] [--seed X] [--reload-every MS]\n"
	"                    [--soak] [--quiet]\n"
	"\n"
	"A live run on generated data: lists 'national' (N entries), 'local' (N/100)\n"
	"and 'urgent' (empty at first); C camera threads read a realistic stream\n"
	"(commuters seen again and again, ~0.1 %% listed vehicles, some OCR noise)\n"
	"for S seconds while 'national' is replaced every few seconds and an urgent\n"
	"entry for a commuter's plate is added a third of the way in. Prints a sample\n"
	"of the hits, a status line every second and a summary. Ctrl-C stops early.\n"
	"\n"
	"  -n, --entries N   entries of 'national' (default 200000)\n"
	"  -s, --seconds S   run time (default 10)\n"
	"  -c, --cameras C   camera threads (default 8)\n"
	"  -w, --workers W   engine worker threads for the asynchronous path (default 2)\n"
	"  -i, --inline K    cameras that match inline on their own thread instead of\n"
	"                    submitting to the workers (default 1; all when W is 0)\n"
	"  -r, --rate R      reads per second per camera (default 0: flat out)\n"
	"      --seed X      seed of the generated data and traffic (default 1)\n"
	"  -R, --reload-every MS  replace 'national' every MS milliseconds (default: a\n"
	"                    quarter of the run, between 0.5 and 3 s)\n"
	"  -K, --soak        check at the end that resident memory stayed flat and that\n"
	"                    nothing was refused, lost or failed; exit 1 if not\n"
	"  -q, --quiet       print the summary only\n"
	"  -h, --help        this help\n";

/*
 * Traffic model. A camera on a Dutch motorway sees the same commuters every
 * working day, a long tail of vehicles passing once, and about one listed
 * vehicle in a thousand reads; a few reads have OCR errors and some carry
 * no country guess.
 */
#define DEMO_LISTED_SHARE 0.001
#define DEMO_COMMUTER_SHARE 0.6
#define DEMO_NOISE_SHARE 0.03 /* reads with OCR noise ... */
#define DEMO_NOISE_P 0.15 /* ... and the per-character error rate in them */
#define DEMO_NO_COUNTRY_SHARE 0.05
#define DEMO_COMMUTERS 20000 /* small enough that each passes a camera often */
#define DEMO_TRANSIT 200000 /* vehicles passing once or twice during the run */
#define DEMO_LISTED_POOL 4096 /* listed vehicles that drive around */
/* Each reload of 'national' swaps this share of its entries for new ones,
 * like the twice-daily extract that differs from the last one a little. */
#define DEMO_RENEW_SHARE 0.02
/* Reload period: a quarter of the run, within these bounds. */
#define DEMO_RELOAD_MIN_NS 500000000ull
#define DEMO_RELOAD_MAX_NS 3000000000ull
#define DEMO_RELOADS_MAX 256 /* reload durations kept for the summary */
#define DEMO_RELOADS_SHOWN 16 /* ... and printed there */
#define DEMO_HITS_PER_SECOND 5 /* hit lines printed per second; the rest counted */
#define DEMO_CAMERA_BATCH 64 /* reads between looks at the stop flag (flat out) */
#define DEMO_PACE_BURSTS 100 /* a paced camera sends its reads in this many bursts/s */
#define DEMO_TICK_NS 100000000ull /* how often sleeping threads look at the clock */

struct demo_opts {
	uint64_t entries, seconds, cameras, workers, inline_cams, rate, seed, reload_ms;
	bool quiet, soak;
};

/* Soak verdict. Memory is flat if the trend of resident memory over the
 * second half of the run (least-squares slope of the per-second samples,
 * times the half's length) stays within this share of the early peak plus
 * this slack: a leak of one list version per reload grows by gigabytes over
 * that half, while a loaded machine only shifts when versions are freed
 * (and the allocator's caches with it), which moves single samples, not the
 * trend. And the engine's own count of retired versions waiting must never
 * have passed its bound (hotlist_stats: retired_heavy_max <= 4). */
#define SOAK_RSS_GROWTH 0.10
#define SOAK_RSS_SLACK_KB (32 * 1024)
#define SOAK_RETIRED_BOUND 4

struct vehicle {
	char plate[HL_SAMPLE_PLATE_CAP];
	char country[3];
};

struct demo;

struct camera {
	struct demo *d;
	pthread_t thread;
	unsigned id;
	bool inline_match; /* hotlist_match() here rather than hotlist_submit() */
	char name[16];
	uint64_t reads, errors;
	int last_error;
};

struct demo {
	struct demo_opts o;
	struct hotlist *hl;
	struct hl_sample_list national, local;
	struct hl_sample_list_opts national_opts;
	struct vehicle *commuters, *transit, *listed;
	size_t nlisted;
	struct camera *cams;
	pthread_t control;
	uint64_t start_ns, stop_ns;
	atomic_bool stop;
	atomic_uint printed; /* hit lines printed this second */
	atomic_uint_fast64_t unprinted; /* hits not printed since the last status line */
	/* The urgent entry: its plate, when it was put, its first hit. */
	struct vehicle urgent;
	_Atomic uint64_t urgent_put_ns; /* 0 = not yet */
	atomic_bool urgent_claimed; /* the first urgent hit's callback won the race */
	char urgent_camera[HOTLIST_CAMERA_MAX + 1]; /* written by that callback ... */
	_Atomic uint64_t urgent_hit_ns; /* ... before it publishes this (release) */
	bool urgent_announced;
	/* Written by the control thread, read after it is joined. */
	unsigned nreloads, reload_failures;
	int64_t reload_us[DEMO_RELOADS_MAX];
	int last_reload_error;
	/* Resident set size at each status line (for --soak), written by main. */
	uint64_t *rss_kb;
	size_t nrss;
};

static volatile sig_atomic_t demo_interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	demo_interrupted = 1;
}

static double secs_since(const struct demo *d, uint64_t ns)
{
	return (double)(ns - d->start_ns) / 1e9;
}

/* ---- hits ---- */

static void note_urgent_hit(struct demo *d, const struct hotlist_hit *h)
{
	/* Acquire pairs with the release below: a winner's camera name is complete. */
	if (atomic_load_explicit(&d->urgent_hit_ns, memory_order_acquire) ||
	    atomic_exchange_explicit(&d->urgent_claimed, true, memory_order_relaxed))
		return;
	snprintf(d->urgent_camera, sizeof(d->urgent_camera), "%s",
		 h->read->camera ? h->read->camera : "?");
	atomic_store_explicit(&d->urgent_hit_ns, hl_cli_mono_ns(), memory_order_release);
}

/* Runs on engine workers (submitted reads) and on inline cameras. */
static void demo_on_hit(const struct hotlist_hit *h, void *user)
{
	struct demo *d = user;

	if (!strcmp(h->list, "urgent"))
		note_urgent_hit(d, h);
	if (d->o.quiet || atomic_fetch_add_explicit(&d->printed, 1, memory_order_relaxed) >=
				  DEMO_HITS_PER_SECOND) {
		atomic_fetch_add_explicit(&d->unprinted, 1, memory_order_relaxed);
		return;
	}
	printf("HIT %s %s %s -> %s \"%s\" prio %u ref %s%s\n",
	       h->read->camera ? h->read->camera : "-", h->read_country[0] ? h->read_country : "--",
	       h->read->plate, h->list, h->category, h->priority, h->reference,
	       h->covert ? " (covert)" : "");
}

/* ---- cameras ---- */

static const struct vehicle *pick_vehicle(const struct demo *d, struct hl_sample_rng *r)
{
	double u = hl_sample_unit(r);

	if (u < DEMO_LISTED_SHARE && d->nlisted)
		return &d->listed[hl_sample_below(r, d->nlisted)];
	if (u < DEMO_LISTED_SHARE + DEMO_COMMUTER_SHARE)
		return &d->commuters[hl_sample_below(r, DEMO_COMMUTERS)];
	return &d->transit[hl_sample_below(r, DEMO_TRANSIT)];
}

static void camera_read_one(struct camera *c, struct hl_sample_rng *r)
{
	struct demo *d = c->d;
	const struct vehicle *v = pick_vehicle(d, r);
	char plate[HL_SAMPLE_PLATE_CAP];
	struct hotlist_read read = { .plate = plate, .camera = c->name };
	int rc;

	memcpy(plate, v->plate, sizeof(plate));
	if (hl_sample_unit(r) < DEMO_NOISE_SHARE)
		hl_sample_ocr_noise(r, plate, DEMO_NOISE_P);
	read.country = hl_sample_unit(r) < DEMO_NO_COUNTRY_SHARE ? NULL : v->country;
	if (c->inline_match)
		rc = hotlist_match(d->hl, &read, demo_on_hit, d);
	else
		rc = hotlist_submit(d->hl, &read);
	c->reads++;
	if (rc < 0) {
		c->errors++;
		c->last_error = rc;
	}
}

/* A paced camera: sleep until its next burst is due, or the run stops. */
static void camera_pace(struct camera *c, uint64_t t0)
{
	uint64_t due = t0 + (uint64_t)((double)c->reads * 1e9 / (double)c->d->o.rate);
	uint64_t now;

	while ((now = hl_cli_mono_ns()) < due &&
	       !atomic_load_explicit(&c->d->stop, memory_order_relaxed))
		hl_cli_sleep_ns(due - now < DEMO_TICK_NS ? due - now : DEMO_TICK_NS);
}

static void *camera_main(void *arg)
{
	struct camera *c = arg;
	struct demo *d = c->d;
	struct hl_sample_rng r;
	uint64_t batch = d->o.rate ? d->o.rate / DEMO_PACE_BURSTS : DEMO_CAMERA_BATCH;
	uint64_t t0 = hl_cli_mono_ns();

	hl_sample_seed(&r, d->o.seed * 1000003u + 100 + c->id);
	if (batch == 0)
		batch = 1;
	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		for (uint64_t i = 0; i < batch; i++)
			camera_read_one(c, &r);
		if (d->o.rate)
			camera_pace(c, t0);
	}
	return NULL;
}

/* ---- control thread: reloads and the urgent entry ---- */

static void reload_national(struct demo *d, struct hl_sample_rng *r)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	size_t renew = (size_t)((double)d->national.n * DEMO_RENEW_SHARE);
	uint64_t t0;
	int rc;

	for (size_t i = 0; i < renew; i++)
		hl_sample_list_renew(&d->national, r, hl_sample_below(r, d->national.n),
				     &d->national_opts);
	t0 = hl_cli_mono_ns();
	rc = hotlist_replace(d->hl, "national", d->national.entries, d->national.n, &rep);
	if (rc) {
		d->reload_failures++;
		d->last_reload_error = rc;
		return;
	}
	if (d->nreloads < DEMO_RELOADS_MAX)
		d->reload_us[d->nreloads] = (int64_t)((hl_cli_mono_ns() - t0) / 1000);
	d->nreloads++;
	if (!d->o.quiet)
		printf("reloaded national: version %" PRIu64 ", %" PRIu64
		       " entries (%zu renewed), %.1f ms\n",
		       rep.list_version, rep.loaded, renew, (double)(hl_cli_mono_ns() - t0) / 1e6);
}

static void add_urgent(struct demo *d, struct hl_sample_rng *r)
{
	struct hotlist_entry e = { .category = "wanted person",
				   .reference = "NL-2026-URGENT-0001",
				   .priority = 0 };
	uint64_t t0;
	int rc;

	d->urgent = d->commuters[hl_sample_below(r, DEMO_COMMUTERS)];
	e.plate = d->urgent.plate;
	e.country = d->urgent.country;
	t0 = hl_cli_mono_ns();
	/* Before the put: a hit may be called back before hotlist_put() returns. */
	atomic_store_explicit(&d->urgent_put_ns, t0, memory_order_release);
	rc = hotlist_put(d->hl, "urgent", &e);
	if (rc) {
		atomic_store_explicit(&d->urgent_put_ns, 0, memory_order_relaxed);
		fprintf(stderr, "hotlist: urgent entry refused: %s\n", hotlist_strerror(rc));
	} else if (!d->o.quiet) {
		printf("urgent entry added: %s %s (put took %.1f us)\n", e.country, e.plate,
		       (double)(hl_cli_mono_ns() - t0) / 1e3);
	}
}

static uint64_t reload_period_ns(const struct demo *d)
{
	uint64_t p = d->o.seconds * HL_NS_PER_S / 4;

	if (d->o.reload_ms)
		return d->o.reload_ms * 1000000ull;
	return p < DEMO_RELOAD_MIN_NS ? DEMO_RELOAD_MIN_NS :
	       p > DEMO_RELOAD_MAX_NS ? DEMO_RELOAD_MAX_NS :
					p;
}

static void *control_main(void *arg)
{
	struct demo *d = arg;
	struct hl_sample_rng r;
	uint64_t period = reload_period_ns(d);
	uint64_t next_reload = d->start_ns + period;
	uint64_t urgent_at = d->start_ns + d->o.seconds * HL_NS_PER_S / 3;
	bool urgent_done = false;

	hl_sample_seed(&r, d->o.seed * 1000003u + 7);
	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		uint64_t now = hl_cli_mono_ns();

		if (!urgent_done && now >= urgent_at) {
			add_urgent(d, &r);
			urgent_done = true;
		}
		if (now >= next_reload) {
			reload_national(d, &r);
			next_reload = hl_cli_mono_ns() + period;
		}
		hl_cli_sleep_ns(DEMO_TICK_NS / 10);
	}
	return NULL;
}

/* ---- setup ---- */

static int make_vehicles(struct vehicle **out, size_t n, struct hl_sample_rng *r)
{
	struct vehicle *v = calloc(n, sizeof(*v));

	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *country = hl_sample_country(r);

		memcpy(v[i].country, country, sizeof(v[i].country));
		hl_sample_plate(r, country, v[i].plate, sizeof(v[i].plate));
	}
	*out = v;
	return 0;
}

/* Listed vehicles on the road: copies of random entries of 'national' and 'local'. */
static int make_listed(struct demo *d, struct hl_sample_rng *r)
{
	size_t total = d->national.n + d->local.n;

	d->nlisted = total < DEMO_LISTED_POOL ? total : DEMO_LISTED_POOL;
	d->listed = calloc(d->nlisted ? d->nlisted : 1, sizeof(*d->listed));
	if (!d->listed)
		return -1;
	for (size_t i = 0; i < d->nlisted; i++) {
		size_t k = hl_sample_below(r, total);
		const struct hotlist_entry *e = k < d->national.n ?
							&d->national.entries[k] :
							&d->local.entries[k - d->national.n];
		/* An entry without a country is a vehicle of some country all the same. */
		const char *country = e->country ? e->country : hl_sample_country(r);

		snprintf(d->listed[i].plate, sizeof(d->listed[i].plate), "%s", e->plate);
		memcpy(d->listed[i].country, country, sizeof(d->listed[i].country));
	}
	return 0;
}

static int make_data(struct demo *d)
{
	struct hl_sample_list_opts local_opts;
	struct hl_sample_rng r;

	hl_sample_seed(&r, d->o.seed);
	hl_sample_list_opts_init(&d->national_opts, hl_cli_wall_us());
	local_opts = d->national_opts;
	local_opts.covert_share = 0.10; /* local lists carry more covert interest */
	local_opts.ref_prefix = "NL-LOC-2026";
	if (hl_sample_list_make(&d->national, &r, d->o.entries, &d->national_opts) ||
	    hl_sample_list_make(&d->local, &r, d->o.entries / 100, &local_opts) ||
	    make_vehicles(&d->commuters, DEMO_COMMUTERS, &r) ||
	    make_vehicles(&d->transit, DEMO_TRANSIT, &r) || make_listed(d, &r)) {
		fprintf(stderr, "hotlist: out of memory generating the demo data\n");
		return -1;
	}
	return 0;
}

static int demo_load(struct demo *d, const char *name, const struct hl_sample_list *l)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	int rc = hotlist_replace(d->hl, name, l ? l->entries : NULL, l ? l->n : 0, &rep);

	if (rc) {
		fprintf(stderr, "hotlist: cannot load list '%s': %s\n", name, hotlist_strerror(rc));
		return -1;
	}
	if (!d->o.quiet)
		printf("list %-8s %8" PRIu64 " entries, %" PRIu64
		       " duplicates merged (version %" PRIu64 ", %.1f ms)\n",
		       name, rep.loaded, rep.duplicates, rep.list_version, rep.duration_us / 1e3);
	return 0;
}

static int demo_setup(struct demo *d)
{
	struct hotlist_config cfg;
	int rc;

	if (make_data(d))
		return -1;
	hotlist_config_init(&cfg);
	cfg.workers = (unsigned)d->o.workers;
	cfg.on_hit = demo_on_hit;
	cfg.on_hit_user = d;
	cfg.latency_histogram = true;
	rc = hotlist_create(&d->hl, &cfg);
	if (rc) {
		fprintf(stderr, "hotlist: cannot create the engine: %s\n", hotlist_strerror(rc));
		return -1;
	}
	if (!d->o.quiet)
		printf("hotlist demo %s: seed %" PRIu64 ", %" PRIu64 " s, %" PRIu64
		       " cameras (%" PRIu64 " inline), %" PRIu64 " workers, %s\n",
		       hotlist_version_string(), d->o.seed, d->o.seconds, d->o.cameras,
		       d->o.inline_cams, d->o.workers, d->o.rate ? "paced" : "flat out");
	return demo_load(d, "national", &d->national) || demo_load(d, "local", &d->local) ||
			       demo_load(d, "urgent", NULL) ?
		       -1 :
		       0;
}

/* ---- run ---- */

struct demo_run {
	unsigned cams_started;
	bool control_started;
};

static int demo_start(struct demo *d, struct demo_run *run)
{
	d->cams = calloc(d->o.cameras, sizeof(*d->cams));
	if (!d->cams)
		return -1;
	d->start_ns = hl_cli_mono_ns();
	for (unsigned i = 0; i < d->o.cameras; i++) {
		struct camera *c = &d->cams[i];

		c->d = d;
		c->id = i;
		c->inline_match = i < d->o.inline_cams;
		snprintf(c->name, sizeof(c->name), "cam-%02u", i + 1);
		if (pthread_create(&c->thread, NULL, camera_main, c)) {
			fprintf(stderr, "hotlist: cannot start camera thread %u\n", i + 1);
			return -1;
		}
		run->cams_started++;
	}
	if (pthread_create(&d->control, NULL, control_main, d)) {
		fprintf(stderr, "hotlist: cannot start the control thread\n");
		return -1;
	}
	run->control_started = true;
	return 0;
}

static void announce_urgent(struct demo *d)
{
	uint64_t hit = atomic_load_explicit(&d->urgent_hit_ns, memory_order_acquire);
	uint64_t put = atomic_load_explicit(&d->urgent_put_ns, memory_order_acquire);

	if (d->urgent_announced || !hit || !put)
		return;
	d->urgent_announced = true;
	if (!d->o.quiet)
		printf("urgent entry %s %s: first hit %.3f ms after the put, on %s\n",
		       d->urgent.country, d->urgent.plate, (double)(hit - put) / 1e6,
		       d->urgent_camera);
}

/* "national v3  local v1  urgent v2" */
static void list_versions(struct hotlist *hl, char *buf, size_t cap)
{
	struct hotlist_list_info info;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; hotlist_list_info(hl, i, &info) == 0 && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s v%" PRIu64, i ? "  " : "", info.name,
				      info.version);
}

struct status_prev {
	uint64_t reads, ns;
};

/* Resident set size of this process in KiB, 0 if unknown. */
static uint64_t rss_kb(void)
{
	unsigned long long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

static void status_line(struct demo *d, struct status_prev *prev)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	uint64_t now = hl_cli_mono_ns(), unprinted;
	char lists[256];

	hotlist_stats(d->hl, &st);
	atomic_store_explicit(&d->printed, 0, memory_order_relaxed);
	unprinted = atomic_exchange_explicit(&d->unprinted, 0, memory_order_relaxed);
	announce_urgent(d);
	if (!d->o.quiet) {
		list_versions(d->hl, lists, sizeof(lists));
		printf("[%5.1fs] %9.0f reads/s  hits %" PRIu64 "  suppressed %" PRIu64
		       "  refused %" PRIu64 "  %s",
		       secs_since(d, now),
		       (double)(st.reads - prev->reads) * 1e9 / (double)(now - prev->ns), st.hits,
		       st.suppressed, st.refused, lists);
		if (unprinted)
			printf("  (%" PRIu64 " more hits not shown)", unprinted);
		putchar('\n');
		fflush(stdout);
	}
	prev->reads = st.reads;
	prev->ns = now;
	if (d->rss_kb && d->nrss <= d->o.seconds)
		d->rss_kb[d->nrss++] = rss_kb();
}

/* Until the run time is up or Ctrl-C: a status line every second. */
static void demo_wait(struct demo *d)
{
	uint64_t end = d->start_ns + d->o.seconds * HL_NS_PER_S;
	uint64_t next_status = d->start_ns + HL_NS_PER_S;
	struct status_prev prev = { .reads = 0, .ns = d->start_ns };

	while (!demo_interrupted) {
		uint64_t now = hl_cli_mono_ns(), until;

		if (now >= end)
			break;
		if (now >= next_status) {
			status_line(d, &prev);
			next_status += HL_NS_PER_S;
		}
		until = next_status < end ? next_status : end;
		hl_cli_sleep_ns(until - now < DEMO_TICK_NS ? until - now : DEMO_TICK_NS);
	}
	if (demo_interrupted)
		printf("interrupted\n");
}

static void demo_stop(struct demo *d, const struct demo_run *run)
{
	atomic_store_explicit(&d->stop, true, memory_order_relaxed);
	for (unsigned i = 0; i < run->cams_started; i++)
		pthread_join(d->cams[i].thread, NULL);
	d->stop_ns = hl_cli_mono_ns();
	if (d->hl && d->o.workers)
		hotlist_flush(d->hl);
	if (run->control_started)
		pthread_join(d->control, NULL);
}

/* ---- summary ---- */

static void summary_latency(const char *what, const struct hotlist_latency *l)
{
	if (!l->count) {
		printf("  latency %-6s none recorded\n", what);
		return;
	}
	printf("  latency %-6s p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  p99.99 %.1f  max %.1f us"
	       "  (%" PRIu64 " reads)\n",
	       what, l->p50_ns / 1e3, l->p90_ns / 1e3, l->p99_ns / 1e3, l->p999_ns / 1e3,
	       l->p9999_ns / 1e3, l->max_ns / 1e3, l->count);
}

static void summary_reloads(const struct demo *d, const struct hotlist_stats *st)
{
	unsigned kept = d->nreloads < DEMO_RELOADS_MAX ? d->nreloads : DEMO_RELOADS_MAX;

	printf("  reloads      %u of 'national' (%.0f %% of entries renewed each), %u failed;"
	       " took",
	       d->nreloads, DEMO_RENEW_SHARE * 100, d->reload_failures);
	for (unsigned i = 0; i < kept && i < DEMO_RELOADS_SHOWN; i++)
		printf(" %.1f", d->reload_us[i] / 1e3);
	printf(kept > DEMO_RELOADS_SHOWN ? " ... ms\n" : kept ? " ms\n" : " -\n");
	if (d->reload_failures)
		printf("               last failure: %s\n", hotlist_strerror(d->last_reload_error));
	printf("               engine: %" PRIu64 " published (initial loads included), max %.1f ms,"
	       " mean %.1f ms, %" PRIu64 " edits\n",
	       st->reloads, st->reload_max_us / 1e3,
	       st->reloads ? (double)st->reload_total_us / (double)st->reloads / 1e3 : 0.0,
	       st->edits);
}

static void summary_urgent(const struct demo *d)
{
	uint64_t put = atomic_load_explicit(&d->urgent_put_ns, memory_order_acquire);
	uint64_t hit = atomic_load_explicit(&d->urgent_hit_ns, memory_order_acquire);

	if (!put)
		printf("  urgent       not added (run too short or refused)\n");
	else if (!hit)
		printf("  urgent       %s %s added at %.1f s, no hit yet\n", d->urgent.country,
		       d->urgent.plate, secs_since(d, put));
	else
		printf("  urgent       %s %s added at %.1f s, first hit %.3f ms later on %s\n",
		       d->urgent.country, d->urgent.plate, secs_since(d, put),
		       (double)(hit - put) / 1e6, d->urgent_camera);
}

static void summary_lists(struct hotlist *hl)
{
	struct hotlist_list_info info;
	char idx[32], mem[32];

	for (size_t i = 0; hotlist_list_info(hl, i, &info) == 0; i++) {
		double per = info.entries ? (double)info.entries : 1;

		printf("  %-12s %s v%" PRIu64 ": %" PRIu64 " entries, index %s (%.1f B/entry),"
		       " total %s (%.1f B/entry)\n",
		       i ? "" : "memory", info.name, info.version, info.entries,
		       hl_cli_human_bytes(info.index_bytes, idx, sizeof(idx)),
		       (double)info.index_bytes / per,
		       hl_cli_human_bytes(info.memory_bytes, mem, sizeof(mem)),
		       (double)info.memory_bytes / per);
	}
}

static void demo_summary(struct demo *d)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	double secs = (double)(d->stop_ns - d->start_ns) / 1e9;
	uint64_t offered = 0, errors = 0;
	int last_error = 0;

	for (unsigned i = 0; i < d->o.cameras; i++) {
		offered += d->cams[i].reads;
		errors += d->cams[i].errors;
		last_error = d->cams[i].errors ? d->cams[i].last_error : last_error;
	}
	hotlist_stats(d->hl, &st);
	announce_urgent(d);
	printf("\nsummary: %.2f s, %" PRIu64 " cameras (%" PRIu64 " inline), %" PRIu64 " workers\n",
	       secs, d->o.cameras, d->o.inline_cams, d->o.workers);
	printf("  reads        %" PRIu64 " offered, %" PRIu64 " matched, %.0f reads/s\n", offered,
	       st.reads, (double)offered / secs);
	printf("  hits         %" PRIu64 " called back, %" PRIu64 " suppressed (repeats), %" PRIu64
	       " outside their validity\n",
	       st.hits, st.suppressed, st.not_valid);
	printf("  refused      %" PRIu64 " (queue full), %" PRIu64
	       " bad reads (OCR noise ate the plate),"
	       " %" PRIu64 " camera errors%s%s\n",
	       st.refused, st.bad_reads, errors, errors ? ", last: " : "",
	       errors ? hotlist_strerror(last_error) : "");
	summary_reloads(d, &st);
	summary_urgent(d);
	summary_latency("async", &st.async_latency);
	if (!d->o.rate && d->o.inline_cams < d->o.cameras && st.async_latency.count)
		printf("                 (flat out: async latency is mostly time spent in a full queue;"
		       " --rate paces)\n");
	summary_latency("inline", &st.inline_latency);
	summary_lists(d->hl);
}

/* Least-squares slope of v[from, to) against the sample index, KiB per
 * sample. */
static double rss_slope(const uint64_t *v, size_t from, size_t to)
{
	double n = (double)(to - from), sx = 0, sy = 0, sxx = 0, sxy = 0;

	for (size_t i = from; i < to; i++) {
		double x = (double)(i - from), y = (double)v[i];

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	double den = n * sxx - sx * sx;
	return den > 0 ? (n * sxy - sx * sy) / den : 0;
}

/* --soak: memory flat, nothing refused, lost or failed. Returns 0 if it held. */
static int soak_verdict(const struct demo *d)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	size_t quarter = d->nrss / 4, half = d->nrss / 2;
	uint64_t early = 0, late = 0, offered = 0;
	int ok = 1;

	hotlist_stats(d->hl, &st);
	for (unsigned i = 0; i < d->o.cameras; i++)
		offered += d->cams[i].reads;
	for (size_t i = quarter / 2; i < quarter + 1 && i < d->nrss; i++)
		early = d->rss_kb[i] > early ? d->rss_kb[i] : early;
	for (size_t i = d->nrss - quarter; quarter && i < d->nrss; i++)
		late = d->rss_kb[i] > late ? d->rss_kb[i] : late;
	double trend = quarter ? rss_slope(d->rss_kb, half, d->nrss) * (double)(d->nrss - half) : 0;
	printf("\nsoak: rss %" PRIu64 " KiB early, %" PRIu64 " KiB late (%zu samples); trend over "
	       "the second half %+.0f KiB; retired versions waiting at most %" PRIu64
	       " (bound %d), writer waits %" PRIu64 "\n",
	       early, late, d->nrss, trend, st.retired_heavy_max, SOAK_RETIRED_BOUND,
	       st.reclaim_waits);
	if (quarter < 2 || trend > (double)early * SOAK_RSS_GROWTH + SOAK_RSS_SLACK_KB) {
		printf("soak: FAIL: resident memory grew (or the run was too short to tell)\n");
		ok = 0;
	}
	if (st.retired_heavy_max > SOAK_RETIRED_BOUND) {
		printf("soak: FAIL: more retired list versions waited than the bound\n");
		ok = 0;
	}
	if (d->reload_failures || st.reload_failures || st.pending || st.reads != offered ||
	    (d->o.workers && st.refused)) {
		printf("soak: FAIL: reload failures %u/%" PRIu64 ", pending %" PRIu64
		       ", matched %" PRIu64 " of %" PRIu64 " offered, refused %" PRIu64 "\n",
		       d->reload_failures, st.reload_failures, st.pending, st.reads, offered,
		       st.refused);
		ok = 0;
	}
	if (ok)
		printf("soak: PASS: %u reloads, %" PRIu64 " reads, memory flat, nothing lost\n",
		       d->nreloads, st.reads);
	return ok ? 0 : 1;
}

static void demo_free(struct demo *d)
{
	free(d->rss_kb);
	hotlist_destroy(d->hl, NULL);
	hl_sample_list_free(&d->national);
	hl_sample_list_free(&d->local);
	free(d->commuters);
	free(d->transit);
	free(d->listed);
	free(d->cams);
	free(d);
}

/* ---- options ---- */

static int demo_option(int c, struct demo_opts *o)
{
	switch (c) {
	case 'n':
		return hl_cli_parse_u64("entries", optarg, 1, 100000000, &o->entries);
	case 's':
		return hl_cli_parse_u64("seconds", optarg, 1, 86400, &o->seconds);
	case 'c':
		return hl_cli_parse_u64("cameras", optarg, 1, 1024, &o->cameras);
	case 'w':
		return hl_cli_parse_u64("workers", optarg, 0, 256, &o->workers);
	case 'i':
		return hl_cli_parse_u64("inline", optarg, 0, 1024, &o->inline_cams);
	case 'r':
		return hl_cli_parse_u64("rate", optarg, 0, 1000000000, &o->rate);
	case 'S':
		return hl_cli_parse_u64("seed", optarg, 0, UINT64_MAX, &o->seed);
	case 'R':
		return hl_cli_parse_u64("reload-every", optarg, 10, 86400000, &o->reload_ms);
	case 'K':
		o->soak = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'h':
		return 1;
	}
	return -1;
}

static int demo_parse_args(int argc, char **argv, struct demo_opts *o)
{
	static const struct option opts[] = { { "entries", required_argument, NULL, 'n' },
					      { "seconds", required_argument, NULL, 's' },
					      { "cameras", required_argument, NULL, 'c' },
					      { "workers", required_argument, NULL, 'w' },
					      { "inline", required_argument, NULL, 'i' },
					      { "rate", required_argument, NULL, 'r' },
					      { "seed", required_argument, NULL, 'S' },
					      { "reload-every", required_argument, NULL, 'R' },
					      { "soak", no_argument, NULL, 'K' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c, rc;

	*o = (struct demo_opts){ .entries = 200000,
				 .seconds = 10,
				 .cameras = 8,
				 .workers = 2,
				 .inline_cams = UINT64_MAX,
				 .seed = 1 };
	optind = 0;
	while ((c = getopt_long(argc, argv, "n:s:c:w:i:r:R:KqhS:", opts, NULL)) != -1) {
		rc = demo_option(c, o);
		if (rc)
			return rc;
	}
	if (optind != argc) {
		fprintf(stderr, "hotlist: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->workers == 0 || (o->inline_cams == UINT64_MAX && o->cameras == 1))
		o->inline_cams = o->cameras; /* nobody to submit to, or one camera: inline */
	else if (o->inline_cams == UINT64_MAX)
		o->inline_cams = 1;
	if (o->inline_cams > o->cameras) {
		fprintf(stderr,
			"hotlist: --inline %" PRIu64 " is more than --cameras %" PRIu64 "\n",
			o->inline_cams, o->cameras);
		return -1;
	}
	return 0;
}

/* SIGINT / SIGTERM stop the run (a second Ctrl-C kills); only main sees them. */
static void demo_signals(sigset_t *old)
{
	struct sigaction sa = { .sa_handler = on_sigint, .sa_flags = SA_RESETHAND };
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, old); /* every thread started now inherits this */
}

int hl_cmd_demo(int argc, char **argv)
{
	struct demo *d = calloc(1, sizeof(*d));
	struct demo_run run = { 0 };
	sigset_t old;
	int rc;

	if (!d) {
		fprintf(stderr, "hotlist: out of memory\n");
		return 1;
	}
	rc = demo_parse_args(argc, argv, &d->o);
	if (rc) {
		fputs(demo_usage, rc > 0 ? stdout : stderr);
		free(d);
		return rc > 0 ? 0 : HL_EXIT_USAGE;
	}
	if (d->o.soak) {
		d->rss_kb = calloc(d->o.seconds + 1, sizeof(*d->rss_kb));
		if (!d->rss_kb) {
			free(d);
			return 1;
		}
	}
	demo_signals(&old);
	rc = demo_setup(d);
	if (!rc)
		rc = demo_start(d, &run);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		demo_wait(d);
	demo_stop(d, &run);
	if (!rc)
		demo_summary(d);
	if (!rc && d->o.soak)
		rc = soak_verdict(d);
	demo_free(d);
	return rc ? 1 : 0;
}
