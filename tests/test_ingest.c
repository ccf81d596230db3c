/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/ingest.c: bounded queues and worker threads.
 *
 * No test depends on timing for its verdict. Where a read must stay in a
 * queue, the callback waits on a gate the test opens; where a test sleeps
 * (a few ms, to let a thread reach a blocking call), a correct ingest passes
 * however the threads are scheduled, and the sleep only makes a broken one
 * more likely to be caught.
 */
#include "ingest.h"
#include "stats.h"

#include <check.h>

#include "testutil.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRODUCERS 4
#define READS_PER_PRODUCER 5000
#define N_IDS (PRODUCERS * READS_PER_PRODUCER)
/* Reads waiting when destroy starts, in test_destroy_drains. */
#define DRAIN_READS 40
/* Every NULL_CAMERA_EVERY-th read of a producer has no camera (round robin). */
#define NULL_CAMERA_EVERY 7

/* ---- a gate the callback can be held at ---------------------------------- */

struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int open;
};

static void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->open = 0;
}

static void gate_wait(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void gate_fini(struct gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- the callback's view ---------------------------------------------------- */

struct ctx {
	_Atomic unsigned char seen[N_IDS]; /* times each read id was called back */
	_Atomic int64_t last_seq[PRODUCERS]; /* per camera: last sequence number */
	_Atomic uint64_t calls, dup, order_bad, content_bad, out_of_range;
	struct gate *gate; /* if set, every callback waits for it */
	struct hl_ingest *q; /* for the in-worker tests */
};

static struct ctx *ctx_new(struct gate *gate)
{
	struct ctx *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	for (int p = 0; p < PRODUCERS; p++)
		atomic_init(&c->last_seq[p], -1);
	c->gate = gate;
	return c;
}

/* What read id has as its fields. */
struct expect {
	char plate[24];
	char camera[16];
	int null_camera;
};

static void expect_of(unsigned id, struct expect *e)
{
	unsigned p = id / READS_PER_PRODUCER, seq = id % READS_PER_PRODUCER;

	snprintf(e->plate, sizeof(e->plate), "PL-%u", id);
	snprintf(e->camera, sizeof(e->camera), "cam-%u", p);
	e->null_camera = seq % NULL_CAMERA_EVERY == 0;
}

static void make_read(unsigned id, struct expect *e, struct hotlist_read *r)
{
	expect_of(id, e);
	*r = (struct hotlist_read){
		.plate = e->plate,
		.country = "NL",
		.camera = e->null_camera ? NULL : e->camera,
		.ts_us = id, /* id 0 checks that ts 0 is passed on as 0 */
		.opaque = (void *)(uintptr_t)(id + 1),
	};
}

static void on_read(void *arg, const struct hotlist_read *r, uint64_t t_submit_ns)
{
	struct ctx *c = arg;
	uintptr_t id = (uintptr_t)r->opaque - 1;
	struct expect e;

	if (c->gate)
		gate_wait(c->gate);
	atomic_fetch_add(&c->calls, 1);
	if (id >= N_IDS) {
		atomic_fetch_add(&c->out_of_range, 1);
		return;
	}
	if (atomic_fetch_add(&c->seen[id], 1) != 0)
		atomic_fetch_add(&c->dup, 1);
	expect_of((unsigned)id, &e);
	if (strcmp(r->plate, e.plate) || strcmp(r->country, "NL") || r->ts_us != (int64_t)id ||
	    t_submit_ns == 0 || (e.null_camera != (r->camera == NULL)) ||
	    (r->camera && strcmp(r->camera, e.camera)))
		atomic_fetch_add(&c->content_bad, 1);
	if (r->camera) {
		unsigned p = (unsigned)id / READS_PER_PRODUCER;
		int64_t seq = (int64_t)(id % READS_PER_PRODUCER);

		/* Only the worker owning cam-p's queue writes last_seq[p]. */
		if (seq <= atomic_load(&c->last_seq[p]))
			atomic_fetch_add(&c->order_bad, 1);
		atomic_store(&c->last_seq[p], seq);
	}
}

static struct hl_stats *new_stats(void)
{
	struct hl_stats *s = NULL;

	ck_assert_int_eq(hotlist__stats_create(&s, NULL), 0);
	return s;
}

static struct hl_ingest *new_ingest(unsigned workers, size_t cap, enum hotlist_backpressure bp,
				    struct ctx *c, struct hl_stats *s)
{
	struct hl_ingest *q = NULL;

	ck_assert_int_eq(hotlist__ingest_create(&q, workers, cap, bp, on_read, c, s, NULL), 0);
	ck_assert_ptr_nonnull(q);
	c->q = q;
	return q;
}

static int submit_id(struct hl_ingest *q, unsigned id)
{
	struct expect e;
	struct hotlist_read r;

	make_read(id, &e, &r);
	return hotlist__ingest_submit(q, &r);
}

/* ---- many producers, every read exactly once, in camera order ------------ */

struct producer {
	struct hl_ingest *q;
	unsigned p;
	uint64_t refused, other_err;
};

static void *produce(void *arg)
{
	struct producer *pr = arg;

	for (unsigned seq = 0; seq < READS_PER_PRODUCER; seq++) {
		unsigned id = pr->p * READS_PER_PRODUCER + seq;
		int err;

		while ((err = submit_id(pr->q, id)) == HOTLIST_EAGAIN) {
			pr->refused++;
			sched_yield();
		}
		if (err)
			pr->other_err++;
	}
	return NULL;
}

static void check_all_once(struct ctx *c)
{
	unsigned missing = 0;

	for (unsigned i = 0; i < N_IDS; i++)
		missing += atomic_load(&c->seen[i]) != 1;
	ck_assert_uint_eq(missing, 0);
	ck_assert_uint_eq(atomic_load(&c->calls), N_IDS);
	ck_assert_uint_eq(atomic_load(&c->dup), 0);
	ck_assert_uint_eq(atomic_load(&c->order_bad), 0);
	ck_assert_uint_eq(atomic_load(&c->content_bad), 0);
	ck_assert_uint_eq(atomic_load(&c->out_of_range), 0);
}

static void run_producers(enum hotlist_backpressure bp)
{
	struct ctx *c = ctx_new(NULL);
	struct hl_stats *s = new_stats();
	struct hl_ingest *q = new_ingest(3, 64, bp, c, s);
	pthread_t t[PRODUCERS];
	struct producer pr[PRODUCERS];
	uint64_t refused = 0;

	for (unsigned p = 0; p < PRODUCERS; p++) {
		pr[p] = (struct producer){ q, p, 0, 0 };
		ck_assert_int_eq(pthread_create(&t[p], NULL, produce, &pr[p]), 0);
	}
	for (unsigned p = 0; p < PRODUCERS; p++) {
		pthread_join(t[p], NULL);
		ck_assert_uint_eq(pr[p].other_err, 0);
		refused += pr[p].refused;
	}
	if (bp == HOTLIST_BLOCK)
		ck_assert_uint_eq(refused, 0);
	ck_assert_int_eq(hotlist__ingest_flush(q), 0);
	check_all_once(c);
	ck_assert_uint_eq(hotlist__ingest_pending(q), 0);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_SUBMITTED), N_IDS);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_PROCESSED), N_IDS);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_REFUSED), refused);
	ck_assert_uint_eq(hotlist__ingest_destroy(q), 0);
	check_all_once(c);
	hotlist__stats_destroy(s, NULL);
	free(c);
}

START_TEST(test_all_once_block)
{
	run_producers(HOTLIST_BLOCK);
}
END_TEST

START_TEST(test_all_once_refuse)
{
	run_producers(HOTLIST_REFUSE);
}
END_TEST

/* ---- REFUSE: a held worker, a full queue, every refusal counted ---------- */

START_TEST(test_refuse_counted)
{
	struct gate g;
	struct ctx *c;
	struct hl_stats *s = new_stats();
	struct hl_ingest *q;

	gate_init(&g);
	c = ctx_new(&g);
	q = new_ingest(1, 4, HOTLIST_REFUSE, c, s);
	/* The queue holds 4, the read in the callback included. */
	for (unsigned id = 0; id < 4; id++)
		ck_assert_int_eq(submit_id(q, id), 0);
	for (unsigned id = 4; id < 14; id++)
		ck_assert_int_eq(submit_id(q, id), HOTLIST_EAGAIN);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_REFUSED), 10);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_SUBMITTED), 4);
	ck_assert_uint_eq(hotlist__ingest_pending(q), 4);
	gate_open(&g);
	ck_assert_int_eq(hotlist__ingest_flush(q), 0);
	ck_assert_uint_eq(atomic_load(&c->calls), 4);
	for (unsigned id = 0; id < 4; id++)
		ck_assert_uint_eq(atomic_load(&c->seen[id]), 1);
	ck_assert_uint_eq(atomic_load(&c->content_bad), 0);
	ck_assert_uint_eq(hotlist__ingest_pending(q), 0);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_PROCESSED), 4);
	/* Room again. */
	ck_assert_int_eq(submit_id(q, 20), 0);
	ck_assert_int_eq(hotlist__ingest_flush(q), 0);
	ck_assert_uint_eq(atomic_load(&c->calls), 5);
	ck_assert_uint_eq(hotlist__ingest_destroy(q), 0);
	hotlist__stats_destroy(s, NULL);
	gate_fini(&g);
	free(c);
}
END_TEST

/* ---- BLOCK: a producer on a 1-slot queue gets through ---------------------- */

struct one_producer {
	struct hl_ingest *q;
	unsigned from, n;
	int last_err;
};

static void *produce_n(void *arg)
{
	struct one_producer *op = arg;

	for (unsigned i = 0; i < op->n; i++) {
		op->last_err = submit_id(op->q, op->from + i);
		if (op->last_err)
			break;
	}
	return NULL;
}

START_TEST(test_block_progress)
{
	struct gate g;
	struct ctx *c;
	struct hl_ingest *q;
	pthread_t t;
	struct one_producer op;

	gate_init(&g);
	c = ctx_new(&g);
	q = new_ingest(1, 1, HOTLIST_BLOCK, c, NULL);
	op = (struct one_producer){ q, 0, 50, 0 };
	ck_assert_int_eq(pthread_create(&t, NULL, produce_n, &op), 0);
	sleep_ms(10); /* the producer is (very likely) blocked on the full queue */
	gate_open(&g);
	pthread_join(t, NULL);
	ck_assert_int_eq(op.last_err, 0);
	ck_assert_int_eq(hotlist__ingest_flush(q), 0);
	ck_assert_uint_eq(atomic_load(&c->calls), 50);
	ck_assert_uint_eq(atomic_load(&c->order_bad), 0);
	ck_assert_uint_eq(atomic_load(&c->dup), 0);
	ck_assert_uint_eq(hotlist__ingest_destroy(q), 0);
	gate_fini(&g);
	free(c);
}
END_TEST

/* ---- flush ---------------------------------------------------------------- */

struct flusher {
	struct hl_ingest *q;
	struct ctx *c;
	int ret;
	uint64_t calls_after;
};

static void *do_flush(void *arg)
{
	struct flusher *f = arg;

	f->ret = hotlist__ingest_flush(f->q);
	f->calls_after = atomic_load(&f->c->calls);
	return NULL;
}

START_TEST(test_flush)
{
	struct gate g;
	struct ctx *c;
	struct hl_ingest *q;
	pthread_t t;
	struct flusher f;

	gate_init(&g);
	c = ctx_new(&g);
	q = new_ingest(2, 1024, HOTLIST_BLOCK, c, NULL);
	for (unsigned id = 0; id < 100; id++)
		ck_assert_int_eq(submit_id(q, id), 0);
	ck_assert_uint_eq(hotlist__ingest_pending(q), 100);
	f = (struct flusher){ q, c, -1, 0 };
	ck_assert_int_eq(pthread_create(&t, NULL, do_flush, &f), 0);
	sleep_ms(10); /* a flush that does not wait has returned by now */
	gate_open(&g);
	pthread_join(t, NULL);
	ck_assert_int_eq(f.ret, 0);
	ck_assert_uint_eq(f.calls_after, 100);
	ck_assert_uint_eq(hotlist__ingest_pending(q), 0);
	/* Nothing pending: returns at once. */
	ck_assert_int_eq(hotlist__ingest_flush(q), 0);
	ck_assert_uint_eq(hotlist__ingest_destroy(q), 0);
	gate_fini(&g);
	free(c);
}
END_TEST

/* ---- destroy -------------------------------------------------------------- */

struct destroyer {
	struct hl_ingest *q;
	uint64_t drained;
};

static void *do_destroy(void *arg)
{
	struct destroyer *d = arg;

	d->drained = hotlist__ingest_destroy(d->q);
	return NULL;
}

/* Destroy reports what was waiting, drains it, and refuses submits meanwhile. */
START_TEST(test_destroy_drains)
{
	struct gate g;
	struct ctx *c;
	struct hl_stats *s = new_stats();
	struct hl_ingest *q;
	pthread_t t;
	struct destroyer d;
	int err;

	gate_init(&g);
	c = ctx_new(&g);
	/* More than a worker batch (32), so draining takes more than the batch
	 * the held worker already has in hand. */
	q = new_ingest(1, DRAIN_READS, HOTLIST_REFUSE, c, s);
	for (unsigned id = 0; id < DRAIN_READS; id++)
		ck_assert_int_eq(submit_id(q, id), 0);
	d = (struct destroyer){ q, 0 };
	ck_assert_int_eq(pthread_create(&t, NULL, do_destroy, &d), 0);
	/* Full, so EAGAIN until destroy begins, then ESHUTDOWN; q stays valid
	 * until the held callback is released. */
	while ((err = submit_id(q, DRAIN_READS)) == HOTLIST_EAGAIN)
		sched_yield();
	ck_assert_int_eq(err, HOTLIST_ESHUTDOWN);
	ck_assert_int_eq(submit_id(q, DRAIN_READS + 1), HOTLIST_ESHUTDOWN);
	gate_open(&g);
	pthread_join(t, NULL);
	ck_assert_uint_eq(d.drained, DRAIN_READS);
	ck_assert_uint_eq(atomic_load(&c->calls), DRAIN_READS);
	for (unsigned id = 0; id < DRAIN_READS; id++)
		ck_assert_uint_eq(atomic_load(&c->seen[id]), 1);
	ck_assert_uint_eq(
		atomic_load(&c->seen[DRAIN_READS]) + atomic_load(&c->seen[DRAIN_READS + 1]), 0);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_PROCESSED), DRAIN_READS);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_SUBMITTED), DRAIN_READS);
	hotlist__stats_destroy(s, NULL);
	gate_fini(&g);
	free(c);
}
END_TEST

/* A submit blocked on a full queue (BLOCK) is woken by destroy: ESHUTDOWN. */
START_TEST(test_destroy_wakes_blocked)
{
	struct gate g;
	struct ctx *c;
	struct hl_ingest *q;
	pthread_t tp, td;
	struct one_producer op;
	struct destroyer d;

	gate_init(&g);
	c = ctx_new(&g);
	q = new_ingest(1, 1, HOTLIST_BLOCK, c, NULL);
	ck_assert_int_eq(submit_id(q, 0), 0);
	op = (struct one_producer){ q, 1, 1, 0 };
	ck_assert_int_eq(pthread_create(&tp, NULL, produce_n, &op), 0);
	sleep_ms(10); /* the producer is (very likely) waiting for room */
	d = (struct destroyer){ q, 0 };
	ck_assert_int_eq(pthread_create(&td, NULL, do_destroy, &d), 0);
	/* The gate is still shut: only destroy can have woken the producer. */
	pthread_join(tp, NULL);
	ck_assert_int_eq(op.last_err, HOTLIST_ESHUTDOWN);
	gate_open(&g);
	pthread_join(td, NULL);
	ck_assert_uint_eq(d.drained, 1);
	ck_assert_uint_eq(atomic_load(&c->calls), 1);
	gate_fini(&g);
	free(c);
}
END_TEST

START_TEST(test_destroy_null_and_empty)
{
	struct ctx *c = ctx_new(NULL);

	ck_assert_uint_eq(hotlist__ingest_destroy(NULL), 0);
	ck_assert_uint_eq(hotlist__ingest_destroy(new_ingest(4, 100, HOTLIST_BLOCK, c, NULL)), 0);
	ck_assert_uint_eq(atomic_load(&c->calls), 0);
	free(c);
}
END_TEST

/* ---- inputs ---------------------------------------------------------------- */

struct record {
	pthread_mutex_t mu;
	unsigned n;
	char plate[8][HOTLIST_RAW_PLATE_MAX + 1];
	char country[8][8];
	char camera[8][HOTLIST_CAMERA_MAX + 1];
	int null_camera[8];
	int64_t ts[8];
};

static void on_record(void *arg, const struct hotlist_read *r, uint64_t t_submit_ns)
{
	struct record *rec = arg;

	(void)t_submit_ns;
	pthread_mutex_lock(&rec->mu);
	if (rec->n < 8) {
		snprintf(rec->plate[rec->n], sizeof(rec->plate[0]), "%s", r->plate);
		snprintf(rec->country[rec->n], sizeof(rec->country[0]), "%s", r->country);
		rec->null_camera[rec->n] = r->camera == NULL;
		snprintf(rec->camera[rec->n], sizeof(rec->camera[0]), "%s",
			 r->camera ? r->camera : "");
		rec->ts[rec->n] = r->ts_us;
	}
	rec->n++;
	pthread_mutex_unlock(&rec->mu);
}

START_TEST(test_bad_inputs)
{
	static struct record rec = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct hl_ingest *q = NULL;
	char plate64[65], plate65[66], cam100[101], cam_utf8[70], cam63[64];
	struct hotlist_read r = { .plate = "AB12CD" };

	memset(plate64, 'A', 64);
	plate64[64] = '\0';
	memset(plate65, 'A', 65);
	plate65[65] = '\0';
	memset(cam100, 'c', 100);
	cam100[100] = '\0';
	memset(cam63, 'd', 63);
	cam63[63] = '\0';
	/* 62 ASCII bytes, then U+00E9 (2 bytes) straddling byte 63: cut to 62. */
	memset(cam_utf8, 'e', 62);
	memcpy(cam_utf8 + 62, "\xc3\xa9xyz", 6);

	ck_assert_int_eq(
		hotlist__ingest_create(&q, 1, 16, HOTLIST_BLOCK, on_record, &rec, NULL, NULL), 0);
	ck_assert_int_eq(hotlist__ingest_submit(q, NULL), HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist__ingest_submit(q, &(struct hotlist_read){ .plate = NULL }),
			 HOTLIST_EINVAL);
	r.plate = plate65;
	ck_assert_int_eq(hotlist__ingest_submit(q, &r), HOTLIST_EPLATE);
	r.plate = "AB12CD";
	r.country = "ABCDEFGH";
	ck_assert_int_eq(hotlist__ingest_submit(q, &r), HOTLIST_ECOUNTRY);
	ck_assert_int_eq(hotlist__ingest_flush(q), 0);
	ck_assert_uint_eq(rec.n, 0);

	/* Accepted: 64-byte plate, 7-byte country, long and UTF-8 cameras. */
	r = (struct hotlist_read){ .plate = plate64, .country = " nl    ", .camera = cam100 };
	ck_assert_int_eq(hotlist__ingest_submit(q, &r), 0);
	r = (struct hotlist_read){ .plate = "X", .camera = cam_utf8, .ts_us = -5 };
	ck_assert_int_eq(hotlist__ingest_submit(q, &r), 0);
	r = (struct hotlist_read){ .plate = "", .country = "", .camera = cam63, .ts_us = 0 };
	ck_assert_int_eq(hotlist__ingest_submit(q, &r), 0);
	ck_assert_int_eq(hotlist__ingest_flush(q), 0);
	pthread_mutex_lock(&rec.mu);
	ck_assert_uint_eq(rec.n, 3);
	/* One worker: in submission order. */
	ck_assert_str_eq(rec.plate[0], plate64);
	ck_assert_str_eq(rec.country[0], " nl    ");
	ck_assert_uint_eq(strlen(rec.camera[0]), HOTLIST_CAMERA_MAX);
	ck_assert_int_eq(memcmp(rec.camera[0], cam100, HOTLIST_CAMERA_MAX), 0);
	ck_assert_str_eq(rec.plate[1], "X");
	ck_assert_str_eq(rec.country[1], ""); /* NULL country arrives as "" */
	ck_assert_uint_eq(strlen(rec.camera[1]), 62);
	ck_assert_int_eq(rec.ts[1], -5);
	ck_assert_str_eq(rec.plate[2], "");
	ck_assert_str_eq(rec.camera[2], cam63);
	ck_assert_int_eq(rec.null_camera[2], 0);
	ck_assert_int_eq(rec.ts[2], 0);
	pthread_mutex_unlock(&rec.mu);
	ck_assert_uint_eq(hotlist__ingest_destroy(q), 0);
}
END_TEST

START_TEST(test_bad_create)
{
	struct hl_ingest *q = (struct hl_ingest *)&q;
	struct ctx *c = ctx_new(NULL);

	ck_assert_int_eq(hotlist__ingest_create(&q, 0, 16, HOTLIST_BLOCK, on_read, c, NULL, NULL),
			 HOTLIST_EINVAL);
	ck_assert_int_eq(
		hotlist__ingest_create(&q, 1025, 16, HOTLIST_BLOCK, on_read, c, NULL, NULL),
		HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist__ingest_create(&q, 1, 16, HOTLIST_BLOCK, NULL, c, NULL, NULL),
			 HOTLIST_EINVAL);
	ck_assert_int_eq(hotlist__ingest_create(&q, 1, 16, (enum hotlist_backpressure)7, on_read, c,
						NULL, NULL),
			 HOTLIST_EINVAL);
	ck_assert_int_eq(
		hotlist__ingest_create(&q, 2, SIZE_MAX, HOTLIST_BLOCK, on_read, c, NULL, NULL),
		HOTLIST_ENOMEM);
	ck_assert_ptr_eq(q, (struct hl_ingest *)&q);
	free(c);
}
END_TEST

/* ---- the worker's environment --------------------------------------------- */

struct env {
	struct hl_ingest *q;
	int is_worker, sigint_blocked, sighup_blocked, flush_ret, submit_ret;
	char name[16];
};

static void on_env(void *arg, const struct hotlist_read *r, uint64_t t_submit_ns)
{
	struct env *e = arg;
	sigset_t set;
	struct hotlist_read again = { .plate = "AGAIN" };

	(void)t_submit_ns;
	if (strcmp(r->plate, "FIRST"))
		return;
	e->is_worker = hotlist__ingest_is_worker();
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	e->sigint_blocked = sigismember(&set, SIGINT);
	e->sighup_blocked = sigismember(&set, SIGHUP);
	pthread_getname_np(pthread_self(), e->name, sizeof(e->name));
	e->flush_ret = hotlist__ingest_flush(e->q);
	/* Own queue (1 slot) is full with this read: BLOCK would deadlock. */
	e->submit_ret = hotlist__ingest_submit(e->q, &again);
}

START_TEST(test_worker_env)
{
	static struct env e;
	struct hl_stats *s = new_stats();

	ck_assert_int_eq(hotlist__ingest_create(&e.q, 1, 1, HOTLIST_BLOCK, on_env, &e, s, NULL), 0);
	ck_assert_int_eq(hotlist__ingest_is_worker(), 0);
	ck_assert_int_eq(hotlist__ingest_submit(e.q, &(struct hotlist_read){ .plate = "FIRST" }),
			 0);
	ck_assert_int_eq(hotlist__ingest_flush(e.q), 0);
	ck_assert_int_eq(e.is_worker, 1);
	ck_assert_int_eq(e.sigint_blocked, 1);
	ck_assert_int_eq(e.sighup_blocked, 1);
	ck_assert_str_eq(e.name, "hotlist-w0");
	ck_assert_int_eq(e.flush_ret, HOTLIST_EDEADLK);
	ck_assert_int_eq(e.submit_ret, HOTLIST_EAGAIN);
	ck_assert_uint_eq(hotlist__stats_sum(s, HL_C_REFUSED), 1);
	ck_assert_uint_eq(hotlist__ingest_destroy(e.q), 0);
	hotlist__stats_destroy(s, NULL);
}
END_TEST

/* Reads without a camera go round robin: every worker gets its share. */
struct names {
	pthread_mutex_t mu;
	unsigned per_worker[4];
	unsigned other;
};

static void on_name(void *arg, const struct hotlist_read *r, uint64_t t_submit_ns)
{
	struct names *n = arg;
	char name[16];
	unsigned w;

	(void)r;
	(void)t_submit_ns;
	pthread_getname_np(pthread_self(), name, sizeof(name));
	pthread_mutex_lock(&n->mu);
	if (sscanf(name, "hotlist-w%u", &w) == 1 && w < 4)
		n->per_worker[w]++;
	else
		n->other++;
	pthread_mutex_unlock(&n->mu);
}

START_TEST(test_round_robin)
{
	static struct names n = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct hl_ingest *q = NULL;

	/* capacity 2 over 4 workers: one slot each, not zero. */
	ck_assert_int_eq(hotlist__ingest_create(&q, 4, 2, HOTLIST_BLOCK, on_name, &n, NULL, NULL),
			 0);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(hotlist__ingest_submit(q, &(struct hotlist_read){ .plate = "A" }),
				 0);
	ck_assert_uint_eq(hotlist__ingest_destroy(q) <= 4, 1);
	for (int w = 0; w < 4; w++)
		ck_assert_uint_eq(n.per_worker[w], 25);
	ck_assert_uint_eq(n.other, 0);
}
END_TEST

/* ---- allocation failures --------------------------------------------------- */

struct limited {
	unsigned left; /* allocations that succeed */
	long live;
};

static void *lim_alloc(void *ctx, size_t size, size_t align)
{
	struct limited *l = ctx;

	if (l->left == 0)
		return NULL;
	l->left--;
	l->live++;
	return aligned_alloc(align, (size + align - 1) & ~(align - 1));
}

static void lim_free(void *ctx, void *p, size_t size)
{
	struct limited *l = ctx;

	(void)size;
	l->live--;
	free(p);
}

/* Step the allocation limit up until create succeeds: every failure is
 * ENOMEM and leaves nothing allocated. */
START_TEST(test_alloc_failures)
{
	struct limited l = { 0, 0 };
	const struct hotlist_allocator a = { lim_alloc, lim_free, &l };
	struct ctx *c = ctx_new(NULL);
	struct hl_ingest *q = NULL;
	unsigned limit;
	int err = HOTLIST_ENOMEM;

	for (limit = 0; limit < 64 && err; limit++) {
		l.left = limit;
		err = hotlist__ingest_create(&q, 3, 30, HOTLIST_BLOCK, on_read, c, NULL, &a);
		if (err) {
			ck_assert_int_eq(err, HOTLIST_ENOMEM);
			ck_assert_int_eq(l.live, 0);
		}
	}
	ck_assert_int_eq(err, 0);
	ck_assert_uint_gt(limit, 1);
	ck_assert_int_eq(submit_id(q, 1), 0);
	ck_assert_uint_eq(hotlist__ingest_destroy(q) <= 1, 1);
	ck_assert_uint_eq(atomic_load(&c->calls), 1);
	ck_assert_int_eq(l.live, 0);
	free(c);
}
END_TEST

static Suite *ingest_suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_all_once_block);
	tcase_add_test(tc, test_all_once_refuse);
	tcase_add_test(tc, test_refuse_counted);
	tcase_add_test(tc, test_block_progress);
	tcase_add_test(tc, test_flush);
	tcase_add_test(tc, test_destroy_drains);
	tcase_add_test(tc, test_destroy_wakes_blocked);
	tcase_add_test(tc, test_destroy_null_and_empty);
	tcase_add_test(tc, test_bad_inputs);
	tcase_add_test(tc, test_bad_create);
	tcase_add_test(tc, test_worker_env);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_alloc_failures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(ingest_suite());
}
