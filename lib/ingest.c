/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
/*
 * ingest.c — the asynchronous path: bounded queues and worker threads.
 *
 * Owns: struct hl_ingest, one queue per worker thread, the threads.
 *
 *   submit(read) --camera hash--> queue[i] --worker i--> fn(ctx, read, t_submit)
 *                 (NULL camera: round robin)
 *
 * Each queue is a ring of fixed-size items (the read's strings copied in,
 * 168 bytes on LP64) under a pthread mutex with three condition variables. A lock
 * per queue is simple, correct and ThreadSanitizer-clean; it is never on the
 * matching path (hotlist_match takes no lock), only between a producer
 * and its worker, and the worker takes it once per batch of up to
 * HL_INGEST_BATCH reads, not once per read.
 *
 *   ring:  [ .. done .. | head: being processed, then waiting ... | free ... ]
 *                        <------------------ count ------------------>
 *
 * The worker processes items in place: it notes head and n under the lock,
 * runs fn on ring[head .. head + n) without it, then retires them (head += n,
 * count -= n, done += n) under the lock. Producers write only at
 * head + count, which is outside the batch because count still covers it;
 * the mutex orders a producer's item writes before the worker's reads and the
 * worker's reads before a producer reuses the slot.
 *
 * Invariants (under q->mu): 0 <= count <= cap; submitted - done == count;
 * once stopping is set nothing is added, and the worker exits only at
 * count == 0, so every accepted read goes through fn exactly once.
 *
 * Order: one camera id always maps to one queue, one worker drains a queue in
 * FIFO order, so a camera's reads reach fn in the order they were accepted.
 *
 * Condition variables (all on q->mu):
 *   not_empty  worker waits for count > 0 or stopping; signalled on 0 -> 1
 *              (the worker only waits at count == 0, batch included);
 *   not_full   producers wait (BLOCK mode) for room or stopping; broadcast
 *              when a batch is retired while some wait (n slots freed);
 *   done_cv    flushers wait for done to reach their target; broadcast when a
 *              batch is retired while some wait.
 *
 * Shutdown, in two steps so that producers may still be running after the
 * first: stop sets g->closing (seq_cst), then each queue's stopping under its
 * mutex and broadcasts, and joins the workers (who drain first); the memory
 * stays, so every later submit is answered HOTLIST_ESHUTDOWN. Destroy stops
 * (if not yet done), then waits until no submit is inside any queue and no
 * flush or stop is running before freeing. A producer registers in q->inside
 * (seq_cst) before it reads g->closing; destroy writes closing before it
 * reads inside (seq_cst): Dekker's pattern, so either the producer sees
 * closing or destroy sees the producer and waits. Flushes and stops register
 * in g->users for their whole run, so destroy also waits for a flush or a
 * second stop that began before it.
 *
 * OCR candidates: a read's first HOTLIST_CANDIDATES_MAX candidates travel
 * too, normalised by the producer (at most HOTLIST_PLATE_MAX + 1 bytes
 * each, a bad one kept as "" so that the indexes in a hit still name the
 * read's own candidates) into a block per ring slot, HL_CAND_BLOCK bytes:
 *
 *   cands[slot]: [ cand 0, NUL-padded to 17 | cand 1 | ... | cand 15 ]
 *
 * The blocks of a queue are allocated on the first read with candidates
 * that reaches it (under q->mu), so a camera stream without candidates costs
 * nothing; memory stays bounded by the queue's capacity either way.
 *
 * Worker threads block every signal (a host's SIGINT/SIGHUP handlers run on
 * its own threads) and are named "hotlist-wN".
 */
#include "ingest.h"

#include "alloc.h"
#include "clock.h"
#include "common.h"
#include "normalise.h"
#include "stats.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Worker threads per engine: far beyond any core count we target, low
 * enough that a typo (workers = -1) fails instead of starting 4 G threads. */
#define HL_INGEST_MAX_WORKERS 1024
/* Reads a worker takes per lock round trip: amortises the mutex over a
 * burst while keeping a batch (5 KiB of items) in L1. */
#define HL_INGEST_BATCH 32
/* Country text kept: ISO code with some spaces (" nl "), NUL included. */
#define HL_COUNTRY_BYTES 8
/* One normalised candidate with its NUL, and a slot's candidate block. */
#define HL_CAND_BYTES (HOTLIST_PLATE_MAX + 1)
#define HL_CAND_BLOCK (HOTLIST_CANDIDATES_MAX * HL_CAND_BYTES)

struct hl_item {
	char plate[HOTLIST_RAW_PLATE_MAX + 1];
	char country[HL_COUNTRY_BYTES];
	char camera[HOTLIST_CAMERA_MAX + 1];
	bool has_camera; /* camera was not NULL */
	uint8_t n_cand; /* candidates in the queue's cands[slot] */
	int64_t ts_us;
	void *opaque;
	uint64_t t_submit_ns;
};

struct hl_queue {
	pthread_mutex_t mu;
	/* Submits and flushes running on this queue; next to mu, whose line a
	 * submit takes right after. Read by destroy before it frees. */
	_Atomic unsigned inside;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	pthread_cond_t done_cv;
	struct hl_item *ring;
	/* Candidate blocks, parallel to ring; NULL until a read with
	 * candidates comes. Set once under mu, freed with the queue. */
	char (*cands)[HL_CAND_BLOCK];
	size_t cap; /* items in ring, >= 1 */
	size_t head; /* oldest item not yet retired */
	size_t count; /* items accepted and not retired (the batch in fn included) */
	unsigned blocked; /* producers waiting on not_full */
	unsigned flushers; /* flushers waiting on done_cv */
	bool stopping;
	/* Written under mu; atomic so that pending() can read them without it. */
	_Atomic uint64_t submitted;
	_Atomic uint64_t done;
	struct hl_ingest *owner;
	unsigned index;
	pthread_t thread;
} __attribute__((aligned(HL_CACHE_LINE)));

struct hl_ingest {
	struct hl_queue *q;
	unsigned n;
	enum hotlist_backpressure bp;
	hl_ingest_fn fn;
	void *ctx;
	struct hl_stats *stats;
	const struct hotlist_allocator *a;
	_Atomic unsigned rr; /* round robin for reads without a camera */
	_Atomic bool closing;
	_Atomic unsigned users; /* flushes and stops running: destroy waits */
	pthread_mutex_t stop_mu; /* serialises hotlist__ingest_stop() callers */
	bool stopped; /* under stop_mu: workers drained and joined */
};

static _Thread_local int tl_is_worker;

int hotlist__ingest_is_worker(void)
{
	return tl_is_worker;
}

static void stat_add(struct hl_ingest *g, enum hl_counter c, uint64_t v)
{
	if (g->stats)
		hotlist__stats_add(g->stats, c, v);
}

/* ---- worker ------------------------------------------------------------ */

/* Hand ring[first .. first + n) (mod cap) to fn. Runs without the lock. */
static void run_batch(struct hl_ingest *g, struct hl_queue *q, size_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const size_t slot = (first + i) % q->cap;
		const struct hl_item *it = &q->ring[slot];
		const char *cand[HOTLIST_CANDIDATES_MAX];
		struct hotlist_read r = {
			.plate = it->plate,
			.country = it->country,
			.camera = it->has_camera ? it->camera : NULL,
			.ts_us = it->ts_us,
			.opaque = it->opaque,
		};

		if (it->n_cand) {
			for (unsigned k = 0; k < it->n_cand; k++)
				cand[k] = q->cands[slot] + (size_t)k * HL_CAND_BYTES;
			r.candidates = cand;
			r.n_candidates = it->n_cand;
		}
		g->fn(g->ctx, &r, it->t_submit_ns);
	}
	stat_add(g, HL_C_PROCESSED, n);
}

static void *worker_main(void *arg)
{
	struct hl_queue *q = arg;
	struct hl_ingest *g = q->owner;
	char name[16];

	tl_is_worker = 1;
	snprintf(name, sizeof(name), "hotlist-w%u", q->index);
	(void)pthread_setname_np(pthread_self(), name); /* cosmetic: ignore failure */
	pthread_mutex_lock(&q->mu);
	for (;;) {
		size_t first, n;

		while (q->count == 0 && !q->stopping)
			pthread_cond_wait(&q->not_empty, &q->mu);
		if (q->count == 0)
			break; /* stopping, and drained */
		first = q->head;
		n = q->count < HL_INGEST_BATCH ? q->count : HL_INGEST_BATCH;
		pthread_mutex_unlock(&q->mu);
		run_batch(g, q, first, n);
		pthread_mutex_lock(&q->mu);
		q->head = (q->head + n) % q->cap;
		q->count -= n;
		/* Release, pairs with the acquire load in pending(); only this
		 * thread writes done, so the load-add-store is not a race. */
		atomic_store_explicit(&q->done,
				      atomic_load_explicit(&q->done, memory_order_relaxed) + n,
				      memory_order_release);
		if (q->blocked)
			pthread_cond_broadcast(&q->not_full);
		if (q->flushers)
			pthread_cond_broadcast(&q->done_cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* ---- create / destroy -------------------------------------------------- */

static int queue_init(struct hl_ingest *g, struct hl_queue *q, unsigned index, size_t cap)
{
	q->ring = hotlist__alloc(g->a, cap * sizeof(struct hl_item), HL_CACHE_LINE);
	if (!q->ring)
		return HOTLIST_ENOMEM;
	q->cap = cap;
	q->owner = g;
	q->index = index;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->done_cv, NULL);
	return 0;
}

static void queue_fini(struct hl_ingest *g, struct hl_queue *q)
{
	pthread_cond_destroy(&q->done_cv);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->mu);
	if (q->cands)
		hotlist__free(g->a, q->cands, q->cap * sizeof(*q->cands));
	hotlist__free(g->a, q->ring, q->cap * sizeof(struct hl_item));
}

/* Set stopping on q and wake everyone waiting on it; returns its count. */
static size_t queue_stop(struct hl_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	n = q->count;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* Free g and its first `inited` queues (threads already joined). */
static void free_all(struct hl_ingest *g, unsigned inited)
{
	const struct hotlist_allocator *a = g->a;

	for (unsigned i = 0; i < inited; i++)
		queue_fini(g, &g->q[i]);
	pthread_mutex_destroy(&g->stop_mu);
	hotlist__free(a, g->q, (size_t)g->n * sizeof(struct hl_queue));
	hotlist__free(a, g, sizeof(*g));
}

/* Start worker i with every signal blocked: the thread inherits the mask, so
 * it never has a moment with signals open (blocking inside it would). */
static int start_worker(struct hl_queue *q)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&q->thread, NULL, worker_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err ? -err : 0;
}

/* Stop, drain and join the first n workers; returns the reads waiting. */
static uint64_t stop_workers(struct hl_ingest *g, unsigned n)
{
	uint64_t waiting = 0;

	/* seq_cst: the store half of the Dekker pair with submit (top comment). */
	atomic_store_explicit(&g->closing, true, memory_order_seq_cst);
	for (unsigned i = 0; i < n; i++)
		waiting += queue_stop(&g->q[i]);
	for (unsigned i = 0; i < n; i++)
		pthread_join(g->q[i].thread, NULL);
	return waiting;
}

static int ingest_alloc(struct hl_ingest **out, unsigned workers, size_t capacity,
			const struct hotlist_allocator *a)
{
	size_t per = capacity / workers ? capacity / workers : 1;
	struct hl_ingest *g;
	unsigned i;
	int err = 0;

	if (per > SIZE_MAX / sizeof(struct hl_item))
		return HOTLIST_ENOMEM;
	g = hotlist__zalloc(a, sizeof(*g), HL_CACHE_LINE);
	if (!g)
		return HOTLIST_ENOMEM;
	g->a = a;
	g->n = workers;
	g->q = hotlist__zalloc(a, (size_t)workers * sizeof(struct hl_queue), HL_CACHE_LINE);
	if (!g->q) {
		hotlist__free(a, g, sizeof(*g));
		return HOTLIST_ENOMEM;
	}
	pthread_mutex_init(&g->stop_mu, NULL);
	for (i = 0; i < workers && !err; i++)
		err = queue_init(g, &g->q[i], i, per);
	if (err) {
		free_all(g, i - 1);
		return err;
	}
	*out = g;
	return 0;
}

int hotlist__ingest_create(struct hl_ingest **out, unsigned workers, size_t capacity,
			   enum hotlist_backpressure bp, hl_ingest_fn fn, void *ctx,
			   struct hl_stats *stats, const struct hotlist_allocator *a)
{
	struct hl_ingest *g;
	unsigned i;
	int err = 0;

	if (!out || workers == 0 || workers > HL_INGEST_MAX_WORKERS || !fn ||
	    (bp != HOTLIST_BLOCK && bp != HOTLIST_REFUSE))
		return HOTLIST_EINVAL;
	err = ingest_alloc(&g, workers, capacity, a);
	if (err)
		return err;
	g->bp = bp;
	g->fn = fn;
	g->ctx = ctx;
	g->stats = stats;
	for (i = 0; i < workers && !err; i++)
		err = start_worker(&g->q[i]);
	if (err) {
		stop_workers(g, i - 1);
		free_all(g, workers);
		return err;
	}
	*out = g;
	return 0;
}

uint64_t hotlist__ingest_stop(struct hl_ingest *g)
{
	uint64_t waiting = 0;

	HL_DEBUG_ASSERT(!tl_is_worker);
	/* Registered like a flush: a second shutdown waiting on stop_mu while
	 * the first returns and destroys must not find g freed. */
	atomic_fetch_add_explicit(&g->users, 1, memory_order_seq_cst);
	pthread_mutex_lock(&g->stop_mu);
	if (!g->stopped) {
		waiting = stop_workers(g, g->n);
		g->stopped = true;
	}
	pthread_mutex_unlock(&g->stop_mu);
	atomic_fetch_sub_explicit(&g->users, 1, memory_order_release);
	return waiting;
}

uint64_t hotlist__ingest_destroy(struct hl_ingest *g)
{
	uint64_t waiting;

	if (!g)
		return 0;
	waiting = hotlist__ingest_stop(g);
	/* Submits woken from not_full, and any that raced in, leave quickly:
	 * they see closing or stopping. seq_cst: the load half of the Dekker
	 * pair, and it orders their last touch of q (the unlock, the release
	 * decrement) before the frees below. */
	for (unsigned i = 0; i < g->n; i++)
		while (atomic_load_explicit(&g->q[i].inside, memory_order_seq_cst) != 0)
			sched_yield();
	while (atomic_load_explicit(&g->users, memory_order_seq_cst) != 0)
		sched_yield(); /* flushes and shutdowns that began before destroy */
	free_all(g, g->n);
	return waiting;
}

/* ---- submit ------------------------------------------------------------ */

/* FNV-1a: camera ids are short; any fixed spread over queues will do. */
static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* Bytes of camera kept: all of it, or HOTLIST_CAMERA_MAX cut back to the start
 * of the UTF-8 character that straddles the limit. */
static size_t camera_len(const char *camera)
{
	size_t n = strnlen(camera, HOTLIST_CAMERA_MAX + 1);

	if (n <= HOTLIST_CAMERA_MAX)
		return n;
	n = HOTLIST_CAMERA_MAX;
	while (n > 0 && ((unsigned char)camera[n] & 0xc0) == 0x80)
		n--; /* camera[n] continues the character: drop it whole */
	return n;
}

/* Lengths of a read's strings once checked, and its candidates normalised. */
struct lens {
	size_t plate, country, camera;
	unsigned n_cand;
	char cand[HL_CAND_BLOCK];
};

/* The first HOTLIST_CANDIDATES_MAX candidates of r, normalised into l->cand
 * (a bad or NULL one as ""). Done before the queue's lock is taken. */
static void norm_candidates(const struct hotlist_read *r, struct lens *l)
{
	unsigned n =
		r->n_candidates < HOTLIST_CANDIDATES_MAX ? r->n_candidates : HOTLIST_CANDIDATES_MAX;

	l->n_cand = r->candidates ? n : 0;
	for (unsigned k = 0; k < l->n_cand; k++) {
		char *c = l->cand + (size_t)k * HL_CAND_BYTES;

		if (!r->candidates[k] || hotlist__normalise_plate(r->candidates[k], c) < 0)
			c[0] = '\0';
	}
}

static int check_read(const struct hotlist_read *r, struct lens *l)
{
	if (!r || !r->plate)
		return HOTLIST_EINVAL;
	l->plate = strnlen(r->plate, HOTLIST_RAW_PLATE_MAX + 1);
	if (l->plate > HOTLIST_RAW_PLATE_MAX)
		return HOTLIST_EPLATE;
	l->country = r->country ? strnlen(r->country, HL_COUNTRY_BYTES) : 0;
	if (l->country >= HL_COUNTRY_BYTES)
		return HOTLIST_ECOUNTRY;
	l->camera = r->camera ? camera_len(r->camera) : 0;
	norm_candidates(r, l);
	return 0;
}

static void fill_item(struct hl_item *it, const struct hotlist_read *r, const struct lens *l,
		      uint64_t t0)
{
	memcpy(it->plate, r->plate, l->plate);
	it->plate[l->plate] = '\0';
	if (l->country)
		memcpy(it->country, r->country, l->country);
	it->country[l->country] = '\0';
	if (l->camera)
		memcpy(it->camera, r->camera, l->camera);
	it->camera[l->camera] = '\0';
	it->has_camera = r->camera != NULL;
	it->ts_us = r->ts_us;
	it->opaque = r->opaque;
	it->t_submit_ns = t0;
	it->n_cand = (uint8_t)l->n_cand;
}

/* Wait for room; 0 with room and the lock held, or an error with the lock
 * held (the caller unlocks). */
static int wait_room(struct hl_ingest *g, struct hl_queue *q)
{
	while (q->count == q->cap && !q->stopping) {
		if (g->bp == HOTLIST_REFUSE || tl_is_worker)
			return HOTLIST_EAGAIN;
		q->blocked++;
		pthread_cond_wait(&q->not_full, &q->mu);
		q->blocked--;
	}
	return q->stopping ? HOTLIST_ESHUTDOWN : 0;
}

/* Under q->mu: the queue's candidate blocks, allocated on first use. */
static int cands_ready(struct hl_ingest *g, struct hl_queue *q)
{
	if (!q->cands)
		q->cands = hotlist__alloc(g->a, q->cap * sizeof(*q->cands), HL_CACHE_LINE);
	return q->cands ? 0 : HOTLIST_ENOMEM;
}

/* Under q->mu, with room (and candidate blocks if the read has candidates):
 * append the read. */
static void enqueue(struct hl_ingest *g, struct hl_queue *q, const struct hotlist_read *r,
		    const struct lens *l, uint64_t t0)
{
	const size_t slot = (q->head + q->count) % q->cap;

	fill_item(&q->ring[slot], r, l, t0);
	if (l->n_cand)
		memcpy(q->cands[slot], l->cand, (size_t)l->n_cand * HL_CAND_BYTES);
	if (q->count++ == 0)
		pthread_cond_signal(&q->not_empty);
	/* Relaxed: written under mu; pending() orders through done (see there). */
	atomic_store_explicit(&q->submitted,
			      atomic_load_explicit(&q->submitted, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	stat_add(g, HL_C_SUBMITTED, 1);
}

int hotlist__ingest_submit(struct hl_ingest *g, const struct hotlist_read *r)
{
	const uint64_t t0 = hotlist__now_ns();
	struct hl_queue *q;
	struct lens l;
	unsigned i;
	int err = check_read(r, &l);

	if (err)
		return err;
	if (r->camera)
		i = (unsigned)(hash_bytes(r->camera, l.camera) % g->n);
	else /* Relaxed: only spreads reads, orders nothing. */
		i = atomic_fetch_add_explicit(&g->rr, 1, memory_order_relaxed) % g->n;
	q = &g->q[i];
	/* seq_cst: Dekker with destroy (we write inside then read closing; it
	 * writes closing then reads inside): one of us sees the other. */
	atomic_fetch_add_explicit(&q->inside, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&g->closing, memory_order_seq_cst)) {
		err = HOTLIST_ESHUTDOWN;
	} else {
		pthread_mutex_lock(&q->mu);
		err = wait_room(g, q);
		if (!err && l.n_cand)
			err = cands_ready(g, q);
		if (!err)
			enqueue(g, q, r, &l, t0);
		pthread_mutex_unlock(&q->mu);
		if (err == HOTLIST_EAGAIN)
			stat_add(g, HL_C_REFUSED, 1);
	}
	/* Release: our last touch of q; destroy's seq_cst load pairs with it. */
	atomic_fetch_sub_explicit(&q->inside, 1, memory_order_release);
	return err;
}

/* ---- flush, pending ---------------------------------------------------- */

int hotlist__ingest_flush(struct hl_ingest *g)
{
	if (tl_is_worker)
		return HOTLIST_EDEADLK;
	/* seq_cst: registered for the whole flush (not queue by queue, which
	 * left a gap between two queues), so destroy waits for it. A flush
	 * racing with destroy still returns: the workers drain first. */
	atomic_fetch_add_explicit(&g->users, 1, memory_order_seq_cst);
	for (unsigned i = 0; i < g->n; i++) {
		struct hl_queue *q = &g->q[i];
		uint64_t target;

		pthread_mutex_lock(&q->mu);
		target = atomic_load_explicit(&q->submitted, memory_order_relaxed);
		while (atomic_load_explicit(&q->done, memory_order_relaxed) < target) {
			q->flushers++;
			pthread_cond_wait(&q->done_cv, &q->mu);
			q->flushers--;
		}
		pthread_mutex_unlock(&q->mu);
	}
	/* Release: our last touch of g; destroy's seq_cst load pairs with it. */
	atomic_fetch_sub_explicit(&g->users, 1, memory_order_release);
	return 0;
}

uint64_t hotlist__ingest_pending(const struct hl_ingest *g)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < g->n; i++) {
		const struct hl_queue *q = &g->q[i];
		/* Acquire, pairs with the worker's release store of done: the
		 * submits of the reads it retired (under the mutex) happen before
		 * the load of submitted below, so submitted >= done as read. */
		uint64_t d = atomic_load_explicit(&q->done, memory_order_acquire);
		uint64_t s = atomic_load_explicit(&q->submitted, memory_order_relaxed);

		sum += s - d;
	}
	return sum;
}
