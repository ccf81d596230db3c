/* SPDX-License-Identifier: MIT */
/*
 * ingest.h — the asynchronous path: bounded per-worker queues of reads and
 * the worker threads that drain them. Internal, never installed.
 *
 * The engine submits copies of reads here; workers hand each back, in
 * submission order per camera id, to the engine's function (which matches
 * it and calls the user back). Nothing in here knows about lists or RCU.
 */
#ifndef HOTLIST_INGEST_H
#define HOTLIST_INGEST_H

#include "hotlist.h"
#include "stats.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Called on a worker thread for every accepted read, once.
 * read points to the worker's copy (valid during the call only): plate and
 * country are never NULL (country may be ""), camera is NULL iff it was NULL
 * at submit, ts_us and opaque are as submitted (ts_us 0 passed on as is).
 * t_submit_ns is hotlist__now_ns() when hotlist__ingest_submit() was entered.
 * It must not call hotlist__ingest_destroy() or hotlist__ingest_flush().
 */
typedef void (*hl_ingest_fn)(void *ctx, const struct hotlist_read *read, uint64_t t_submit_ns);

struct hl_ingest;

/*
 * Start `workers` threads, each with a queue of capacity / workers reads (at
 * least 1). Worker threads block every signal and are named "hotlist-wN".
 * stats (may be NULL) receives HL_C_SUBMITTED, HL_C_REFUSED, HL_C_PROCESSED.
 * @return 0, HOTLIST_EINVAL (workers 0 or > 1024, fn NULL, bp unknown), HOTLIST_ENOMEM,
 *         or the negative errno of a failed pthread_create (nothing left running).
 * Threads: control. Ownership: stats and a are borrowed and must outlive q.
 */
int hotlist__ingest_create(struct hl_ingest **out, unsigned workers, size_t capacity,
			   enum hotlist_backpressure bp, hl_ingest_fn fn, void *ctx,
			   struct hl_stats *stats, const struct hotlist_allocator *a);

/*
 * Copy a read into the queue of the worker for its camera (NULL camera:
 * round robin). Camera ids are cut at HOTLIST_CAMERA_MAX bytes, on a UTF-8
 * character boundary. The first HOTLIST_CANDIDATES_MAX OCR candidates are
 * copied normalised (a bad one as "", so indexes are kept); fn sees them as
 * read->candidates.
 * @return 0; HOTLIST_EINVAL (r or r->plate NULL); HOTLIST_EPLATE (plate longer
 *         than HOTLIST_RAW_PLATE_MAX bytes); HOTLIST_ECOUNTRY (country longer
 *         than 7 bytes); HOTLIST_EAGAIN (queue full in REFUSE mode, or full
 *         and called from a worker thread, which must never wait on its own
 *         queue; counted as refused); HOTLIST_ENOMEM (the first read with
 *         candidates for a queue, whose candidate blocks could not be
 *         allocated); HOTLIST_ESHUTDOWN (destroy has begun;
 *         also wakes a submit blocked in BLOCK mode).
 * Threads: any. Blocks in BLOCK mode while the queue is full.
 * Ordering: reads with equal camera ids reach fn in the order their submits
 * returned 0 (from one thread: program order).
 */
int hotlist__ingest_submit(struct hl_ingest *q, const struct hotlist_read *r);

/*
 * Wait until every read accepted before the call has been through fn.
 * @return 0, or HOTLIST_EDEADLK on a worker thread (it would wait on itself).
 * Threads: any but a worker.
 */
int hotlist__ingest_flush(struct hl_ingest *q);

/* Reads accepted and not yet through fn. Threads: any, wait-free. */
uint64_t hotlist__ingest_pending(const struct hl_ingest *q);

/*
 * Stop accepting (submit -> HOTLIST_ESHUTDOWN from now on), drain everything
 * accepted, join the workers; the memory stays, so producers that are still
 * running get HOTLIST_ESHUTDOWN. Returns how many reads were waiting when it
 * began (0 if already stopped). Callers that race wait for the first one.
 * Threads: control; not from a worker.
 */
uint64_t hotlist__ingest_stop(struct hl_ingest *q);

/*
 * Stop (as hotlist__ingest_stop(), if not done yet), then free. Returns how
 * many reads were waiting when it began (all of them have been through fn on
 * return). NULL is fine (returns 0).
 * Threads: control; not from a worker. A submit, flush or stop already
 * running when it is called finishes (submit with 0 or HOTLIST_ESHUTDOWN)
 * before anything is freed; a call that starts once it has been called may
 * find the memory freed, so callers stop their threads first (as
 * hotlist_destroy() requires).
 */
uint64_t hotlist__ingest_destroy(struct hl_ingest *q);

/* 1 on an ingest worker thread (any engine's), else 0. Threads: any. */
int hotlist__ingest_is_worker(void);

#endif /* HOTLIST_INGEST_H */
