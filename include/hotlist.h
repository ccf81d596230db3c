/* SPDX-License-Identifier: MIT */
/*
 * hotlist — match number-plate reads from many ANPR cameras against hot
 * lists of stolen and wanted vehicles, with lists replaced or edited live.
 *
 * This is the only header a user includes. It pulls in no liburcu, xxHash or
 * jemalloc type or macro; how the engine reclaims memory is its own business.
 *
 * Conventions used by every declaration below:
 *  - Functions that can fail return int: 0 (or a non-negative count) on
 *    success, a negative HOTLIST_E* code on failure. On failure nothing has
 *    changed: outputs are untouched and the live lists are as they were.
 *  - Functions that cannot fail return void or a value.
 *  - Threads: "any" = any thread, concurrently with every other call;
 *    "writer" = any thread, writers are serialised inside the engine;
 *    "control" = one thread, not concurrently with any other call on the same
 *    engine (create and destroy).
 *  - Times are int64_t microseconds since 1970-01-01T00:00:00Z.
 *  - Strings are UTF-8 and NUL-terminated.
 */
#ifndef HOTLIST_H
#define HOTLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HOTLIST_VERSION_MAJOR 0
#define HOTLIST_VERSION_MINOR 1
#define HOTLIST_VERSION_PATCH 0
#define HOTLIST_VERSION_NUMBER \
	(HOTLIST_VERSION_MAJOR * 10000 + HOTLIST_VERSION_MINOR * 100 + HOTLIST_VERSION_PATCH)

#if defined(_WIN32)
#define HOTLIST_API
#elif defined(__GNUC__)
#define HOTLIST_API __attribute__((visibility("default")))
#else
#define HOTLIST_API
#endif

/** Version of the library actually linked: HOTLIST_VERSION_NUMBER at its build. */
HOTLIST_API unsigned hotlist_version_number(void);
/** Same as "MAJOR.MINOR.PATCH". Static storage. */
HOTLIST_API const char *hotlist_version_string(void);

/*
 * Error codes. One code space: negative errno values where one exists, own
 * codes from -10000 down. XX(name, value, message).
 */
#define HOTLIST_ERRNO_MAP(XX)                                                                   \
	XX(EINVAL, -22, "invalid argument")                                                     \
	XX(ENOMEM, -12, "out of memory")                                                        \
	XX(ENOENT, -2, "no such file, list or entry")                                           \
	XX(EIO, -5, "input/output error")                                                       \
	XX(EACCES, -13, "permission denied")                                                    \
	XX(EISDIR, -21, "is a directory")                                                       \
	XX(EAGAIN, -11, "queue full, read refused")                                             \
	XX(ENOSPC, -28, "limit reached (lists, entries or name length)")                        \
	XX(EDEADLK, -35, "writer function called from a hit callback")                          \
	XX(ENOTSUP, -95, "not configured (no worker threads for the asynchronous path)")        \
	XX(ESHUTDOWN, -108, "engine is shutting down")                                          \
	XX(EPLATE, -10001, "plate is empty, too long, or has characters no plate has")          \
	XX(ECOUNTRY, -10002, "country is not an ISO 3166-1 alpha-2 code")                       \
	XX(EBADFILE, -10003,                                                                    \
	   "not a hot-list file (not a regular file, no header, no plate column, or not text)") \
	XX(EBADROWS, -10004, "too many bad rows; the live list was kept")                       \
	XX(EEMPTY, -10005, "no valid entries; the live list was kept")                          \
	XX(ETHREAD, -10006, "cannot start a worker thread (system thread or memory limit)")     \
	XX(ESHRINK, -10007,                                                                     \
	   "far fewer entries than the live list (cut-short file?); the live list was kept")

enum hotlist_error {
#define HOTLIST_XX_(name, value, msg) HOTLIST_##name = (value),
	HOTLIST_ERRNO_MAP(HOTLIST_XX_)
#undef HOTLIST_XX_
};

/** Message for an error code; "unknown error" for others. Static storage. Threads: any. */
HOTLIST_API const char *hotlist_strerror(int err);
/** Name of an error code ("HOTLIST_EPLATE"); "HOTLIST_EUNKNOWN" for others. Threads: any. */
HOTLIST_API const char *hotlist_err_name(int err);

/* Limits. */
#define HOTLIST_PLATE_MAX 16 /* characters of a normalised plate (A-Z, 0-9) */
#define HOTLIST_RAW_PLATE_MAX 64 /* bytes of plate text looked at, NUL included */
#define HOTLIST_NAME_MAX 63 /* bytes of a list name */
#define HOTLIST_CAMERA_MAX 63 /* bytes of a camera id kept by the asynchronous path */
#define HOTLIST_LISTS_MAX 64 /* lists per engine */
#define HOTLIST_PRIORITY_MAX 100 /* 0 is the highest priority */
#define HOTLIST_CANDIDATES_MAX 16 /* OCR candidates of a read tried; more are ignored */
#define HOTLIST_WORKERS_MAX 256 /* worker threads per engine (hotlist_config.workers) */

/*
 * Versioned structs (docs/ABI.md). Every struct the caller and the library
 * hand each other by pointer carries struct_size, so that it can grow at its
 * end without breaking programs built against an older or a newer header.
 * One rule for all of them, after Concurrency Kit's versioned sizes:
 *  - struct_size is the caller's sizeof of the struct; the library accepts
 *    any value >= HOTLIST_<NAME>_SIZE_V1 (the end of the last field of the
 *    first published layout) and refuses a smaller one with HOTLIST_EINVAL.
 *  - The library reads and writes only the fields that fit in struct_size:
 *    a field the caller's struct does not have is taken as its default
 *    (inputs) or not written (outputs); a caller's field the library does not
 *    know is ignored (inputs) or zeroed (outputs).
 *  - Outputs (stats, load report, list info) get struct_size set to the
 *    bytes the library filled: min(struct_size, the library's sizeof).
 *  - struct hotlist_read and struct hotlist_entry are built by the caller,
 *    often with designated initializers: their struct_size (an unsigned in
 *    what was padding) may be 0, which means this header's layout. Set it to
 *    sizeof to use a field added after V1. In an array, every element
 *    carries the same struct_size, and it is also the array's stride.
 * HOTLIST_SIZE_END_ is the offset of the end of a field.
 */
#define HOTLIST_SIZE_END_(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define HOTLIST_ATTRS_MAX 16 /* vehicle details (attributes) of one entry */
#define HOTLIST_ATTR_NAME_MAX 64 /* bytes of an attribute name */
#define HOTLIST_ID_MAX 128 /* bytes of an entry id given by a list */
#define HOTLIST_HIT_ID_LEN 16 /* hex digits of a hit id, and of a derived entry id */

/** A pluggable allocator. alloc returns memory aligned to align (a power of two), or NULL. */
struct hotlist_allocator {
	void *(*alloc)(void *ctx, size_t size, size_t align);
	void (*free)(void *ctx, void *ptr, size_t size);
	void *ctx;
};

/** How hotlist_submit() behaves when the queues are full. */
enum hotlist_backpressure {
	HOTLIST_BLOCK = 0, /* wait for room */
	HOTLIST_REFUSE = 1, /* return HOTLIST_EAGAIN at once; counted in stats.refused */
};

/** How a hit matched. */
enum hotlist_match_kind {
	HOTLIST_MATCH_EXACT = 0, /* same normalised plate */
	HOTLIST_MATCH_OCR = 1, /* differs only by substitutions within confusion classes */
	HOTLIST_MATCH_INDEL = 2, /* needed insertions/deletions (maybe substitutions too) */
	HOTLIST_MATCH_WILDCARD = 3, /* the entry is a pattern with ? or * */
};

/** A read, as a camera reports it. */
struct hotlist_read {
	const char *plate; /* plate text as read (UTF-8); required */
	const char *country; /* country guess ("NL", "nl", " NL "), or NULL/"" if unknown */
	const char *camera; /* camera id, or NULL */
	int64_t ts_us; /* time of capture; 0 = now */
	void *opaque; /* caller's per-read pointer, handed back in the hit */
	const char *const *candidates; /* OCR alternatives, best first, or NULL; tried after
					  plate, the first HOTLIST_CANDIDATES_MAX only; bad
					  ones (EPLATE) skipped. hotlist_submit copies them
					  normalised (a bad one as "") */
	unsigned n_candidates; /* entries in candidates */
	unsigned struct_size; /* sizeof(struct hotlist_read), or 0: this header's */
	/* ---- after V1: read only when struct_size covers them; zero = none; handed back
	   in the hit ---- */
	const char *uuid; /* the camera system's id of the read (OpenALPR "uuid"), or NULL */
	const char *site; /* site or camera group (OpenALPR "site_id"), or NULL */
	double confidence; /* the plate's OCR confidence as reported (0..100), 0 = unknown */
};

/** A vehicle detail of an entry: a list column that is none of hotlist's
 *  (make, model, colour, VIN, note, warning markers, any name). */
struct hotlist_attr {
	const char *name; /* the column's name as in the list's header */
	const char *value; /* never empty: empty values are not kept */
};
#define HOTLIST_READ_SIZE_V1 HOTLIST_SIZE_END_(struct hotlist_read, struct_size)

/** A hot-list entry, as a caller gives it. All strings are copied. */
struct hotlist_entry {
	const char *plate; /* plate as listed; required. With '?' (one character) or '*'
			      (any run, maybe empty) it is a pattern: normalised like a
			      plate keeping ? and *, at most HOTLIST_PLATE_MAX characters
			      with its wildcards, not only '*' (HOTLIST_EPLATE) */
	const char *country; /* ISO 3166-1 alpha-2, or NULL/"" = any country */
	const char *category; /* "stolen vehicle", "wanted person", ...; NULL = "" */
	const char *reference; /* case number, free text; NULL = "" */
	unsigned priority; /* 0 (highest) .. 100 */
	unsigned struct_size; /* sizeof(struct hotlist_entry), or 0: this header's */
	int64_t valid_from_us; /* 0 = since always */
	int64_t expires_us; /* 0 = never; the entry hits reads with ts < expires_us */
	bool covert; /* covert entry: integrators must not show it to the field */
	/* ---- operator fields (issue 13): zero = none ---- */
	const char *id; /* the list's own id of the entry (at most HOTLIST_ID_MAX bytes), or
			   NULL/"" to derive one (see struct hotlist_hit.entry_id) */
	const struct hotlist_attr *attrs; /* vehicle details, copied; names unique, at most
					     HOTLIST_ATTR_NAME_MAX bytes, values at most 1024
					     bytes, both UTF-8; empty values are dropped */
	unsigned n_attrs; /* entries in attrs, at most HOTLIST_ATTRS_MAX */
};
#define HOTLIST_ENTRY_SIZE_V1 HOTLIST_SIZE_END_(struct hotlist_entry, covert)

/**
 * A hit, as handed to the callback. Every pointer is valid only during the
 * callback: copy what you keep.
 */
struct hotlist_hit {
	const struct hotlist_read *read; /* the read (for the async path: the engine's copy) */
	const char *read_plate; /* the plate that matched, normalised: read->plate, the
				   candidate (candidate > 0) or the repaired plate */
	char read_country[3]; /* the read's country, normalised, or "" */
	const char *list; /* list name */
	uint64_t list_version; /* version of that list the match saw */
	const char *plate; /* entry plate as listed */
	const char *entry_plate; /* entry plate, normalised */
	char country[3]; /* entry country, or "" = any */
	const char *category;
	const char *reference;
	unsigned priority;
	bool covert;
	int64_t valid_from_us;
	int64_t expires_us;
	enum hotlist_match_kind match;
	unsigned substitutions; /* cost: characters substituted */
	unsigned indels; /* cost: characters inserted or deleted */
	unsigned candidate; /* 0 = read->plate, i = read->candidates[i - 1] */
	bool repaired; /* matched the read as repaired to its country's layout */
	int format; /* read->plate fits its country's format: 1 yes, 0 no, -1 unknown */
	unsigned score; /* 0..100: how likely the read is a misread of this entry rather
			   than a read of another car (docs/fuzzy.md, "Score"). 100 for
			   exact, wildcard and unique-repair hits; 0 for fuzzy hits of a
			   list with the policy off (min_score 0: not computed) */
	bool weak; /* score below the list's threshold: called back only for a list
		      with weak_hits set; never true for exact or repair hits */
	/* ---- operator fields (issue 13) ---- */
	const char *entry_id; /* the entry's stable id: the list's id column when it has
				 one, else HOTLIST_HIT_ID_LEN lower-case hex digits of
				 XXH3-64 (seed 0) of "LIST\0PLATE\0CC\0CATEGORY" (plate
				 normalised, CC the entry's country or "") */
	const char *hit_id; /* HOTLIST_HIT_ID_LEN hex digits of XXH3-64 (seed 0) of
			       "ENTRY_ID\0LIST\0CAMERA\0READ_PLATE\0" + ts_us (8 bytes,
			       little-endian; READ_PLATE is read->plate normalised,
			       CAMERA "" if none, ts_us the read's or, for 0, the
			       time of the match): the same read and entry give the
			       same id */
	const struct hotlist_attr *attrs; /* the entry's vehicle details, or NULL */
	unsigned n_attrs;
	/* ---- retroactive hits (cfg.retro_window_us) ---- */
	bool retro; /* a kept read hit an entry a put, replace or load added after the read:
		       read->ts_us is the read's capture time; read->plate its normalised
		       plate, read->country normalised, camera/uuid/site as kept (cut at
		       HOTLIST_CAMERA_MAX bytes), no candidates, opaque NULL,
		       confidence 0 */
	/* ---- second reads (cfg.second_read_window_us) ---- */
	bool second_read; /* a weak fuzzy hit that alerts because an earlier weak hit
			     of the same entry by another text of the same car (same
			     camera, or any, within the window) was seen: score is the
			     pair's, weak false */
};

/**
 * Hit callback.
 * Threads: for hotlist_match*(), the caller's thread; for hotlist_submit(),
 * an engine worker thread; for a retroactive hit (hit->retro, cfg.on_hit),
 * the thread of the writer call (hotlist_put, _replace, _load_csv*) whose
 * change it hit, after the change is published, before that call returns.
 * Several may run at once.
 * It must not: block for long (it holds up that worker and delays the
 * freeing of replaced lists: once 4 replaced versions wait, the next
 * writer call waits for the callback to return, see hotlist_stats'
 * reclaim_waits; so a callback must never wait for a writer call of
 * another thread); call a writer function (hotlist_replace,
 * _load_csv, _put, _remove, _drop_list, _set_list_options), hotlist_shutdown()
 * or hotlist_flush() on a worker: those return HOTLIST_EDEADLK when called
 * from a callback; call hotlist_destroy(): the library aborts with a message.
 * It may call hotlist_match*(), hotlist_submit() (on a worker, a full queue
 * answers HOTLIST_EAGAIN rather than wait) and hotlist_stats().
 * Ownership: every pointer in hit is borrowed for the duration of the call.
 */
typedef void (*hotlist_hit_fn)(const struct hotlist_hit *hit, void *user);

/** What changed a list, for the audit trail. */
enum hotlist_audit_action {
	HOTLIST_AUDIT_LOAD = 0, /* hotlist_load_csv() */
	HOTLIST_AUDIT_REPLACE = 1, /* hotlist_replace() */
	HOTLIST_AUDIT_PUT = 2, /* hotlist_put() */
	HOTLIST_AUDIT_REMOVE = 3, /* hotlist_remove() */
	HOTLIST_AUDIT_DROP = 4, /* hotlist_drop_list() */
	HOTLIST_AUDIT_OPTIONS = 5, /* hotlist_set_list_options() */
};

/** One list change, or one refused change, as the audit callback sees it. */
struct hotlist_audit_event {
	enum hotlist_audit_action action;
	const char *list; /* the list's name */
	const char *source; /* the file of a load, or NULL */
	int result; /* 0: published; else the code the call returned (nothing changed) */
	const char *reason; /* "" when published, else hotlist_strerror(result) and, for
			       a load, the first bad row ("line 7: bad expires ...") */
	uint64_t version; /* the list's version after the call (the live one kept when
			     refused; 0 when there is none) */
	uint64_t rows, loaded, rejected, duplicates; /* load and replace; put: 1, 1, 0, 0 */
	int64_t duration_us; /* the call's work: parse, build, publish */
	int64_t time_us; /* wall-clock time of the change */
};

/**
 * Audit callback: called once per list change and per refused change
 * (writer calls refused for their arguments, HOTLIST_EINVAL/EDEADLK, are
 * not reported: they are the caller's own bug).
 * Threads: the writer's thread, after the change is published and the
 * writer lock released; several writers may call it at once.
 * It must not call a writer function (HOTLIST_EDEADLK is not detected here:
 * it would work, but audit its own change recursively).
 * Ownership: every pointer in ev is borrowed for the call.
 */
typedef void (*hotlist_audit_fn)(const struct hotlist_audit_event *ev, void *user);

struct hotlist_config {
	size_t struct_size; /* sizeof(struct hotlist_config), set by hotlist_config_init */
	unsigned workers; /* worker threads for hotlist_submit(); 0 = none, at most
			     HOTLIST_WORKERS_MAX */
	size_t queue_capacity; /* reads that may wait, over all workers */
	enum hotlist_backpressure backpressure;
	hotlist_hit_fn on_hit; /* callback for the asynchronous path */
	void *on_hit_user; /* passed to on_hit */
	int64_t suppress_window_us; /* repeat hits of an entry by a camera within it are
				       suppressed; 0 = never suppress. Reads without a
				       camera id are never suppressed. */
	double max_bad_fraction; /* a list load with a larger share of bad rows is refused */
	const struct hotlist_allocator
		*allocator; /* NULL = aligned_alloc()/free() of the process's malloc */
	bool latency_histogram; /* record read-to-callback latency (hotlist_stats);
				   a thread calling hotlist_match back to back, past
				   its first 1024 calls, times one call in 16 on
				   average, each timed hit counted for its interval */
	double shrink_guard; /* a file load whose entries would be fewer than this share
				of the live list's is refused (HOTLIST_ESHRINK) unless
				forced; 0 = off, 0..1 */
	/* ---- operator fields (issue 13): zero = off ---- */
	hotlist_audit_fn on_audit; /* every list change and refused load, or NULL */
	void *on_audit_user; /* passed to on_audit */
	/* Retroactive hits (docs/DESIGN.md, "Retroactive hits"; docs/SECURITY.md):
	   > 0 keeps, in memory only, the reads captured within this many µs, and
	   matches them against the entries a put, replace or load adds: a hit is
	   called back to on_hit (required) with hit.retro set. 0 = off (default):
	   nothing of a read that does not hit is kept. */
	int64_t retro_window_us;
	size_t retro_max_reads; /* reads kept at most (232 bytes each), overwritten oldest
				   first; 0 = 65536. Size it window x read rate */
	/* Second reads (docs/fuzzy.md, "Second read"; docs/SECURITY.md): > 0
	   keeps, in memory only, each weak fuzzy hit scoring 5 or more (the
	   entry, a keyed hash of the read's text, the camera, the capture time,
	   the score; not the text) for this many µs. A later weak hit of the
	   same entry by a different text within it, from the same camera (or
	   any, second_read_any_camera), is scored with it; if the pair reaches
	   the list's threshold the hit is called back as an alert with
	   hit.second_read set. The same text read twice never promotes. 0 =
	   off (default): a weak hit leaves no trace. Reads without a camera id
	   are not kept unless second_read_any_camera. */
	int64_t second_read_window_us;
	bool second_read_any_camera; /* reads of different cameras may be of one car */
	size_t second_read_max; /* weak hits kept at most (64 bytes each), the oldest of
				   an entry's bucket overwritten first; 0 = 16384 */
	/* Threads a replace or load of a list of 256 Ki entries or more may use
	   (docs/DESIGN.md, "Building a base"): 1 = the calling thread only; 2 =
	   also one short-lived worker building the index while the entries are
	   added (started and joined inside the call, never takes a signal, never
	   allocates); 0 = automatic (default): the worker only when a CPU
	   is free for it (threads runnable now and the 1-minute load
	   average, the caller counted). The list is the same either
	   way. */
	unsigned build_threads;
};
#define HOTLIST_CONFIG_SIZE_V1 HOTLIST_SIZE_END_(struct hotlist_config, latency_histogram)

/**
 * Fill cfg with defaults: 2 workers, 65536 queue, BLOCK, 5-minute suppression,
 * 1 % bad rows, default allocator, latency on, shrink guard 0.5, retroactive hits off
 * (retro_window_us 0: no read is kept), second reads off (second_read_window_us
 * 0: no weak hit is kept). hotlist_config_init() is a
 * macro passing sizeof(*cfg) to hotlist_config_init_size(), which writes
 * only the fields that fit in size (fields past the library's struct are
 * zeroed; nothing at all below HOTLIST_CONFIG_SIZE_V1) and sets struct_size:
 * a program built against an older header never has more written than its
 * struct holds. The function hotlist_config_init (take its address, or call
 * it as (hotlist_config_init)(cfg)) writes the library's own size: for
 * bindings that declare the struct as this header does. Threads: any.
 */
HOTLIST_API void hotlist_config_init_size(struct hotlist_config *cfg, size_t size);
HOTLIST_API void hotlist_config_init(struct hotlist_config *cfg);
#define hotlist_config_init(cfg) hotlist_config_init_size((cfg), sizeof(*(cfg)))

struct hotlist;

/**
 * Create an engine.
 * @param out receives the engine; untouched on error.
 * @param cfg configuration, or NULL for defaults. Copied. cfg->struct_size must be
 *        >= HOTLIST_CONFIG_SIZE_V1; fields beyond it take hotlist_config_init()'s values.
 * @return 0, HOTLIST_EINVAL (bad config), HOTLIST_ENOMEM, HOTLIST_ETHREAD (a worker
 *         thread cannot be started: pthread_create failed, e.g. EAGAIN at the
 *         process's thread limit; nothing is left running).
 * Threads: control. Ordering: the engine starts with no lists.
 * Ownership: the caller owns *out and frees it with hotlist_destroy().
 */
HOTLIST_API int hotlist_create(struct hotlist **out, const struct hotlist_config *cfg);

/**
 * Stop the asynchronous path of a running engine: refuse new submits (they
 * return HOTLIST_ESHUTDOWN from now on), drain the queues (every read already
 * accepted is matched and called back), stop the workers. Everything else
 * keeps working: hotlist_match*(), the writers, hotlist_stats(). This is the
 * way to stop an engine while producer threads may still be submitting: call
 * hotlist_shutdown(), let each producer stop on HOTLIST_ESHUTDOWN and join it,
 * then call hotlist_destroy().
 * @param pending if not NULL, receives the number of reads drained (0 when
 *        already shut down, or for an engine without workers).
 * @return 0; HOTLIST_EINVAL (hl NULL); HOTLIST_EDEADLK (called from a hit
 *         callback, where it would wait on itself).
 * Threads: any but a callback; calls that race all return once drained.
 */
HOTLIST_API int hotlist_shutdown(struct hotlist *hl, uint64_t *pending);

/**
 * Destroy an engine: shut it down as hotlist_shutdown() (if not done yet),
 * wait for replaced lists to be freed, free everything.
 * @param pending if not NULL, receives the number of reads drained here.
 * Threads: control. No other call on hl may start once destroy has begun
 * (stop producers with hotlist_shutdown() first); a submit already blocked
 * in it when destroy begins returns HOTLIST_ESHUTDOWN before anything is
 * freed. Calling it from a hit callback (for any engine) is a bug the
 * library reports on stderr and aborts on: it would wait for a grace period
 * inside a read-side section, and free its own engine under its caller.
 * Blocks until every reclamation callback queued so far in the process has
 * run (liburcu's rcu_barrier(): its queue is shared by every engine), which
 * takes at least one grace period: destroy waits for every hotlist_match*()
 * in progress on any thread and any engine of the process, including a hit
 * callback of another engine that blocks, and for the freeing of the
 * replaced versions of every engine. First it waits for a fold of pending
 * edits that this engine's folder thread has under way (see hotlist_put();
 * O(entries) of that list) and joins that thread. NULL is fine.
 */
HOTLIST_API void hotlist_destroy(struct hotlist *hl, uint64_t *pending);

/* ---- Lists (writers) ---------------------------------------------------- */

#define HOTLIST_REPORT_ERRORS 16

struct hotlist_row_error {
	uint64_t line; /* 1-based line in the file, or 1-based index in an array */
	int code; /* HOTLIST_EPLATE, HOTLIST_ECOUNTRY, HOTLIST_EINVAL, ... */
	char reason[96];
};

/** What a list load did. Caller-owned; the engine fills it. */
struct hotlist_load_report {
	size_t struct_size; /* set by the caller: sizeof(struct hotlist_load_report) */
	uint64_t rows; /* data rows (or array elements) seen */
	uint64_t loaded; /* entries in the list now */
	uint64_t rejected; /* bad rows skipped */
	uint64_t duplicates; /* rows identical to an earlier row, merged */
	uint64_t list_version; /* version of the list published; 0 if none */
	int64_t duration_us; /* parse + build + publish */
	unsigned n_errors; /* errors kept below (the first HOTLIST_REPORT_ERRORS) */
	struct hotlist_row_error errors[HOTLIST_REPORT_ERRORS];
	/* The loaded list's estimated innocent fuzzy hits and alerts per 1,000
	 * reads and warning, as hotlist_list_info(); -1, -1, false for an exact-only
	 * list and for hotlist_check_csv(). */
	double innocent_hits_per_1000;
	double innocent_alerts_per_1000;
	bool alert_rate_warning;
	/* Of the good rows, at the time of the load (wall clock): */
	uint64_t expired; /* expires already past: they will never hit */
	uint64_t not_yet_valid; /* valid_from still to come: they do not hit yet */
	uint64_t live_entries; /* entries of the list live when the load was checked */
};
#define HOTLIST_LOAD_REPORT_SIZE_V1 HOTLIST_SIZE_END_(struct hotlist_load_report, errors)

/** Called for every bad row by hotlist_check_csv(). */
typedef void (*hotlist_row_error_fn)(const struct hotlist_row_error *err, void *user);

/**
 * Replace (or create) list `list` with the n entries given, atomically.
 * Bad entries (EPLATE, ECOUNTRY, priority > 100, expires <= valid_from) are
 * skipped and reported; if more than cfg.max_bad_fraction of them are bad,
 * or none is good while n > 0, nothing changes. n == 0 empties the list.
 * entries[0].struct_size is the array's stride (0: this header's sizeof);
 * an element whose struct_size differs is a bad entry (HOTLIST_EINVAL).
 * @param report may be NULL; else report->struct_size must be at least
 *        HOTLIST_LOAD_REPORT_SIZE_V1 (HOTLIST_EINVAL, nothing done).
 * @return 0, HOTLIST_EINVAL, HOTLIST_ENOSPC (name too long, too many lists),
 *         HOTLIST_EBADROWS, HOTLIST_EEMPTY, HOTLIST_ENOMEM, HOTLIST_EDEADLK.
 * Edits: the list's puts and removes made before the call are superseded
 * by the new contents; those made while it runs (another thread's "new
 * wanted" put during a long reload) are kept, applied on top of them.
 * Threads: writer; builds without the writer lock (puts and removes go on
 * meanwhile) and takes it to publish; a list of 256 Ki entries or more
 * builds its index on a second thread while the entries are added when a
 * CPU is free for it (cfg.build_threads; started and joined
 * within the call, all signals blocked, never calling the allocator; if it
 * cannot start, the call builds alone); never blocks readers; waits for
 * running reads to end when 4 replaced versions already wait (see
 * hotlist_hit_fn). With retroactive hits on (cfg.retro_window_us), it then
 * waits for a grace period, matches the entries it added against the kept
 * reads (O(retro_max_reads), writer lock released) and calls cfg.on_hit for
 * each retroactive hit before it returns; hotlist_load_csv* and hotlist_put
 * do the same.
 * Ordering: a match that starts after the return sees the new list; a match
 * running meanwhile sees the whole old list or the whole new one.
 * Ownership: entries are borrowed for the call and copied.
 */
HOTLIST_API int hotlist_replace(struct hotlist *hl, const char *list,
				const struct hotlist_entry *entries, size_t n,
				struct hotlist_load_report *report);

/**
 * Replace (or create) list `list` from a CSV hot-list file; see README
 * "Hot-list files" for the layout. Same rules as hotlist_replace(), plus
 * HOTLIST_ENOENT (no such file), HOTLIST_EACCES (not readable),
 * HOTLIST_EISDIR (a directory), HOTLIST_EIO (any other failure to open or
 * read), HOTLIST_EBADFILE (not a hot-list file) and
 * HOTLIST_EEMPTY for a file with no good row (a header-only export is taken
 * as broken; empty a list with hotlist_replace(n = 0) or drop it), and
 * HOTLIST_ESHRINK (the shrink guard, see hotlist_load_csv_flags()).
 * Threads, Ordering, Ownership: as hotlist_replace(); path is borrowed.
 */
HOTLIST_API int hotlist_load_csv(struct hotlist *hl, const char *list, const char *path,
				 struct hotlist_load_report *report);

/** Flags of hotlist_load_csv_flags(). */
#define HOTLIST_LOAD_FORCE 1u /* skip the shrink guard */

/**
 * hotlist_load_csv() with flags. The shrink guard: a file whose good
 * entries are fewer than cfg.shrink_guard times the entries of the list
 * live now (a file cut short, or caught while being rewritten in place) is
 * refused with HOTLIST_ESHRINK and the live list kept; the report says
 * how many the live list had (live_entries) and has the error (line 0,
 * code HOTLIST_ESHRINK). HOTLIST_LOAD_FORCE loads it anyway. A list that
 * does not exist yet has 0 live entries, so the guard never refuses a first
 * load. Write a new list file elsewhere and rename() it into place, so
 * that a load never sees half of it. hotlist_load_csv() is this with
 * flags 0. hotlist_replace() has no guard: a program empties or shrinks a
 * list on purpose.
 * @return as hotlist_load_csv(), plus HOTLIST_ESHRINK; HOTLIST_EINVAL for an
 *         unknown flag.
 * Threads, Ordering, Ownership: as hotlist_load_csv().
 */
HOTLIST_API int hotlist_load_csv_flags(struct hotlist *hl, const char *list, const char *path,
				       unsigned flags, struct hotlist_load_report *report);

/**
 * Validate a hot-list file without loading it: fills report and calls
 * on_error (if not NULL) for every bad row, in file order.
 * @return 0 if the file would load, else the code hotlist_load_csv() would return.
 * Threads: any; touches no engine.
 */
HOTLIST_API int hotlist_check_csv(const char *path, double max_bad_fraction,
				  struct hotlist_load_report *report, hotlist_row_error_fn on_error,
				  void *user);

/**
 * Add or update one entry of `list` (created if absent) without rebuilding
 * it. An entry with the same plate, country and category is updated. Costs
 * O(1) amortised, whatever the edits pending in the list (O(edits pending)
 * for a list with OCR or indel options, or one given a wildcard plate by a
 * put); once a list has 256 of them, a thread of the engine (started then,
 * joined by hotlist_destroy) folds them into the list in the background.
 * @return 0, HOTLIST_EINVAL, HOTLIST_EPLATE, HOTLIST_ECOUNTRY, HOTLIST_ENOSPC,
 *         HOTLIST_ENOMEM, HOTLIST_EDEADLK.
 * Threads: writer. Ordering: visible to every match that starts after the return.
 * Ownership: e is borrowed and copied.
 */
HOTLIST_API int hotlist_put(struct hotlist *hl, const char *list, const struct hotlist_entry *e);

/**
 * Remove the entries of `list` with this plate; with a country, only that
 * country's entries, with NULL or "" every entry of the plate. Costs as
 * hotlist_put().
 * @return the number of entries removed (> 0), HOTLIST_ENOENT (no such list or
 *         entry), HOTLIST_EINVAL, HOTLIST_EPLATE, HOTLIST_ECOUNTRY, HOTLIST_ENOMEM,
 *         HOTLIST_EDEADLK.
 * Threads: writer. Ordering: as hotlist_put(). Ownership: strings borrowed.
 */
HOTLIST_API int hotlist_remove(struct hotlist *hl, const char *list, const char *plate,
			       const char *country);

/**
 * Remove a whole list.
 * @return 0, HOTLIST_ENOENT, HOTLIST_EINVAL, HOTLIST_EDEADLK.
 * Threads: writer. Ordering: as hotlist_put().
 */
HOTLIST_API int hotlist_drop_list(struct hotlist *hl, const char *list);

/** Fuzzy and cross-border matching of one list (docs/fuzzy.md). */
struct hotlist_list_options {
	size_t struct_size; /* sizeof(struct hotlist_list_options), set by the init */
	unsigned ocr_substitutions; /* k, 0..2 (0 = off): characters that may differ
				       within their confusion class */
	unsigned indels; /* d, 0..2 (0 = off): characters the read may have extra or
			    missing */
	const char *ocr_classes; /* NULL = default "0ODQ 1I 2Z 5S 8B 6G": groups of A-Z0-9
				    separated by spaces, a character in one group at most */
	bool cross_border; /* entries with a country also hit reads of other countries */
	bool repair; /* also match reads repaired to their country's layout (default true) */
	/* Fields below: absent from callers built before them (struct_size tells). */
	unsigned min_score; /* fuzzy hits scoring below are weak. 1..100: that threshold;
			       HOTLIST_MIN_SCORE_AUTO (default): the lowest threshold, at least
			       HOTLIST_MIN_SCORE_DEFAULT, at which the list's estimated innocent
			       alerts plus two standard errors of the estimate stay within
			       target_alerts_per_1000; 0: policy off, every
			       hit alerts and no score is computed */
	bool weak_hits; /* also call back weak hits, flagged hit.weak (default false:
			   they are counted in stats.fuzzy_weak_suppressed only) */
	double target_alerts_per_1000; /* for HOTLIST_MIN_SCORE_AUTO: innocent reads per
					  1,000 allowed to alert (default
					  HOTLIST_TARGET_ALERTS_DEFAULT), > 0 */
	/* ---- operator fields (issue 13): where and when the list applies; NULL = always.
	   A read out of scope costs one test per list, not a lookup. ---- */
	const char *cameras; /* comma-separated camera id patterns, '*' any run, '?' one
				byte ("A12-*,cam-0?"), at most 16; reads without a camera
				id are out of scope */
	const char *days; /* "mon-fri", "sat,sun", "mon,wed-fri" (local) */
	const char *hours; /* "7-19" (07:00 to 18:59), "22-6" (wraps), "7-9,16-19" (local) */
	const char *timezone; /* local time for days/hours: "UTC" (NULL), a fixed offset
				 ("+01:00", "-0500"), or an IANA zone name
				 ("Europe/Amsterdam": daylight saving time followed), read
				 from $TZDIR or /usr/share/zoneinfo when the options are
				 set; a missing or bad zone is HOTLIST_EINVAL */
};
#define HOTLIST_LIST_OPTIONS_SIZE_V1 HOTLIST_SIZE_END_(struct hotlist_list_options, repair)

/* Fuzzy-hit policy (docs/fuzzy.md, "Policy"): the lowest automatic threshold,
 * the automatic one, and the default target of the automatic one. */
#define HOTLIST_MIN_SCORE_DEFAULT 50
#define HOTLIST_MIN_SCORE_AUTO 1000
#define HOTLIST_TARGET_ALERTS_DEFAULT 1.0
/* hotlist_list_info and the load report warn (alert_rate_warning) when a
 * list's options would alert on more than this many innocent reads per 1,000. */
#define HOTLIST_ALERT_RATE_WARN 5.0

/** Fill o with the defaults: k = 0, d = 0, default classes, no cross-border, repair on,
 *  min_score HOTLIST_MIN_SCORE_AUTO, target 1 per 1,000, no weak hits.
 *  A list that never had options set matches exactly only (repair off too), so
 *  that it costs the read path nothing. A macro over _init_size() with
 *  sizeof(*o), as hotlist_config_init(). Threads: any. */
HOTLIST_API void hotlist_list_options_init_size(struct hotlist_list_options *o, size_t size);
HOTLIST_API void hotlist_list_options_init(struct hotlist_list_options *o);
#define hotlist_list_options_init(o) hotlist_list_options_init_size((o), sizeof(*(o)))

/**
 * Set the matching options of `list` (created, empty, if absent). Publishes
 * a new version of the list with its fuzzy indexes built (O(entries) when k
 * or d > 0); later replaces, loads and edits keep the options and rebuild the
 * indexes.
 * A struct_size from before min_score (a caller built against an older
 * header) gets the default policy (automatic threshold, no weak hits).
 * @return 0, HOTLIST_EINVAL (NULL, struct_size below the V1 size, k or d above 2, bad
 *         classes, min_score above 100 but not AUTO, target <= 0), HOTLIST_ENOSPC (name
 *         too long, too many lists),
 *         HOTLIST_ENOMEM, HOTLIST_EDEADLK.
 * Threads: writer; blocks other writers for the index build, never readers.
 * Ordering: a match that starts after the return uses the new options; one
 * running meanwhile sees the old version or the new one as a whole.
 * Ownership: o and its strings are borrowed for the call and copied.
 */
HOTLIST_API int hotlist_set_list_options(struct hotlist *hl, const char *list,
					 const struct hotlist_list_options *o);

/** One list's state. */
struct hotlist_list_info {
	size_t struct_size; /* set by the caller: sizeof(struct hotlist_list_info) */
	char name[HOTLIST_NAME_MAX + 1];
	uint64_t version; /* bumped by every replace, put and remove */
	uint64_t entries; /* entries a match can hit now */
	uint64_t pending_edits; /* puts/removes not yet folded into the base index */
	/* Bytes of the list's exact-match hash indexes: the base's, plus those of
	 * the edits not yet folded (a small index per edited plate, and for lists
	 * with fuzzy options or a wildcard put one over every entry put). Part of
	 * memory_bytes. Blocks are counted as allocated: those of 4 MiB or more
	 * are asked for in whole 2 MiB pages. */
	size_t index_bytes;
	/* Bytes this version of the list holds: entries, strings, indexes, the
	 * wildcard store, the edit records (superseded ones too, until the next
	 * fold), the fuzzy index and score model, counted as allocated. Freed
	 * blocks the engine keeps for the next build are not counted
	 * (hotlist_stats.recycled_bytes). */
	size_t memory_bytes;
	int64_t updated_us; /* wall-clock time of the last change */
	/* Fuzzy lists (k or d > 0): innocent reads per 1,000 expected to raise a
	 * fuzzy hit (hits) and an alert at the list's threshold (alerts),
	 * estimated when the index was built by matching plates drawn from the
	 * list's own layouts (docs/fuzzy.md, "Estimated rate"); -1 when not
	 * estimated (exact-only list, empty list). mode_alerts[k][d]: the same for
	 * other budgets at the list's threshold, -1 where the index cannot tell
	 * (d above the index's). min_score: the threshold in force (the
	 * automatic one resolved), 0 for a list with the policy off. */
	double innocent_hits_per_1000;
	double innocent_alerts_per_1000;
	double mode_alerts_per_1000[3][3];
	unsigned min_score;
	bool alert_rate_warning; /* innocent_alerts_per_1000 > HOTLIST_ALERT_RATE_WARN */
};
#define HOTLIST_LIST_INFO_SIZE_V1 HOTLIST_SIZE_END_(struct hotlist_list_info, updated_us)

/**
 * Describe the i-th list (0-based, in creation order), as far as
 * out->struct_size reaches; out->struct_size becomes the bytes filled.
 * @return 0, HOTLIST_ENOENT past the last list, HOTLIST_EINVAL (NULL, or
 *         out->struct_size below HOTLIST_LIST_INFO_SIZE_V1).
 * Threads: any, wait-free. Ordering: the lists as published at the call.
 */
HOTLIST_API int hotlist_list_info(struct hotlist *hl, size_t i, struct hotlist_list_info *out);

/* ---- Matching (readers) ------------------------------------------------- */

/**
 * Match one read against every list; call on_hit for each hit, highest
 * priority (lowest number) first, after validity and suppression.
 * @return the number of callbacks made (>= 0), HOTLIST_EPLATE or
 *         HOTLIST_ECOUNTRY (the read is counted as bad and not matched),
 *         HOTLIST_EINVAL (read->struct_size neither 0 nor >= HOTLIST_READ_SIZE_V1).
 * @pre hl, read, read->plate and on_hit are not NULL (checked only in debug builds).
 * Threads: any, concurrently; no registration needed. Wait-free but for the
 * callbacks: never blocks, takes no lock, allocates nothing (suppression is
 * lock-free) — except on a thread's first call to any hotlist_match*() of
 * any engine, which registers the thread with liburcu-bp: that takes
 * liburcu's registry lock and may map memory; it also picks the thread's
 * statistics stripe (pthread_setspecific, no allocation). A thread that must
 * not block even once calls hotlist_thread_prepare() first.
 * Ordering: sees, for each list, one published version.
 * Ownership: read is borrowed; the engine keeps nothing of a read that does
 * not hit, unless retroactive hits are on (cfg.retro_window_us: then its
 * normalised plate, country, time, camera, uuid and site, in memory, for
 * at most the window), and of a weak fuzzy hit nothing, unless second reads
 * are on (cfg.second_read_window_us: then a keyed hash of its text, the
 * entry, camera, time and score, in memory, for at most the window).
 * hit->read is this read, as the caller built it.
 */
HOTLIST_API int hotlist_match(struct hotlist *hl, const struct hotlist_read *read,
			      hotlist_hit_fn on_hit, void *user);

/**
 * Match n reads; same as calling hotlist_match() on each, but pipelined
 * (hashes computed and cache lines prefetched ahead). Bad reads are counted
 * in stats.bad_reads and skipped. reads[0].struct_size is the array's stride
 * (0: this header's sizeof) and every element's struct_size.
 * @return the number of callbacks made, HOTLIST_EINVAL (reads[0].struct_size
 *         neither 0 nor >= HOTLIST_READ_SIZE_V1; nothing matched).
 * Threads, Ordering, Ownership: as hotlist_match(); one list version per batch.
 */
HOTLIST_API int hotlist_match_batch(struct hotlist *hl, const struct hotlist_read *reads, size_t n,
				    hotlist_hit_fn on_hit, void *user);

/**
 * Prepare the calling thread for matching: do now what a thread's first
 * hotlist_match*() would do (register it with liburcu-bp, which takes a lock
 * and may map memory, and set up the library's thread-local state), so that
 * every later match on it never blocks and allocates nothing. Optional and
 * idempotent; per thread, for every engine of the process.
 * Threads: any (a no-op on a thread that has matched before). Ordering: none.
 */
HOTLIST_API void hotlist_thread_prepare(void);

/**
 * Queue a read for the worker threads, which match it and call cfg.on_hit.
 * Reads from one camera id are matched in submission order.
 * @return 0; HOTLIST_EAGAIN (full, REFUSE mode, or BLOCK mode called from a
 *         worker's callback; counted); HOTLIST_ESHUTDOWN; HOTLIST_ENOTSUP (no
 *         workers); HOTLIST_EINVAL (NULL plate, bad struct_size); HOTLIST_EPLATE (plate longer
 *         than HOTLIST_RAW_PLATE_MAX bytes); HOTLIST_ECOUNTRY (country longer
 *         than 7 bytes); HOTLIST_ENOMEM (the first read with candidates for a
 *         worker's queue, whose candidate slots, HOTLIST_CANDIDATES_MAX * 17
 *         bytes per queued read, could not be allocated). Plate and country
 *         are checked in full by the worker.
 * Threads: any. Blocks in BLOCK mode while the queue is full.
 * Ownership: the read's strings are copied (camera ids are cut at
 * HOTLIST_CAMERA_MAX bytes; the first HOTLIST_CANDIDATES_MAX candidates
 * are copied normalised, so the hit's read->candidates are A-Z0-9);
 * opaque is handed back as is.
 */
HOTLIST_API int hotlist_submit(struct hotlist *hl, const struct hotlist_read *read);

/**
 * Wait until every read submitted before the call has been matched and
 * called back. @return 0, HOTLIST_ENOTSUP (no workers), HOTLIST_EINVAL (hl
 * NULL), HOTLIST_EDEADLK (on a worker). Threads: any but a worker (callback).
 */
HOTLIST_API int hotlist_flush(struct hotlist *hl);

/* ---- Statistics ---------------------------------------------------------- */

struct hotlist_latency {
	uint64_t count;
	uint64_t p50_ns, p90_ns, p99_ns, p999_ns, p9999_ns, max_ns;
};

struct hotlist_stats {
	size_t struct_size; /* set by the caller */
	uint64_t reads; /* reads matched (inline and async) */
	uint64_t bad_reads; /* reads refused by normalisation */
	uint64_t hits; /* callbacks made */
	uint64_t hits_exact; /* hits of kind HOTLIST_MATCH_EXACT */
	uint64_t suppressed; /* hits not called back: repeat within the window */
	uint64_t not_valid; /* candidate hits outside their entry's validity window */
	uint64_t submitted; /* accepted by hotlist_submit() */
	uint64_t refused; /* refused by hotlist_submit() because the queue was full */
	uint64_t pending; /* accepted but not yet matched */
	uint64_t reloads; /* replaces and loads that published */
	uint64_t reload_failures;
	uint64_t edits; /* puts and removes that published */
	int64_t reload_last_us, reload_max_us, reload_total_us;
	uint64_t lists, entries;
	size_t index_bytes, memory_bytes; /* sums of hotlist_list_info's over the lists */
	struct hotlist_latency inline_latency; /* entry of hotlist_match*() to callback;
						  count: hits timed, each weighted by the
						  calls it stands for (latency_histogram) */
	struct hotlist_latency async_latency; /* hotlist_submit() to callback */
	uint64_t fuzzy_weak_suppressed; /* weak fuzzy hits not called back (list policy) */
	uint64_t fuzzy_weak; /* weak fuzzy hits called back flagged (weak_hits lists) */
	/* Reclamation. Replaced list versions wait until no read that may see
	 * them is running. At most 4 that hold a list's contents of their own
	 * (a replace, a drop, an edit folded into new contents) and 256 in all
	 * wait at once, per engine; a writer that would retire one more waits
	 * for the running reads to end (a reader stuck in a hit callback makes
	 * it wait until it returns). Added in 0.2: fields from here on are
	 * filled only when struct_size covers them. */
	uint64_t retired_versions; /* waiting now, of every kind */
	uint64_t retired_heavy; /* waiting now that hold contents of their own (<= 4) */
	uint64_t retired_heavy_max; /* the most of those ever waiting at once (<= 4) */
	uint64_t reclaim_waits; /* writer calls that waited because of the bound */
	/* Retroactive hits (cfg.retro_window_us; 0 while off). */
	uint64_t retro_kept; /* reads written to the window (each over the oldest) */
	uint64_t retro_hits; /* retroactive hits called back (counted in hits too) */
	/* Second reads (cfg.second_read_window_us; 0 while off). */
	uint64_t fuzzy_second_read; /* weak hits called back as alerts by a second read
				       (hit.second_read; counted in hits too) */
	/* Recycled memory: blocks of 1 MiB or more that the engine freed (the
	 * arrays of a retired list version) are kept, at most 8, for the next
	 * list build instead of being given back and faulted in afresh. */
	uint64_t recycled_bytes; /* held now, for the next build */
	uint64_t recycled_blocks; /* blocks handed out again so far */
};
#define HOTLIST_STATS_SIZE_V1 HOTLIST_SIZE_END_(struct hotlist_stats, async_latency)

/**
 * Sum the counters into out, as far as out->struct_size reaches (see
 * "Versioned structs" above); out->struct_size becomes the bytes filled.
 * @return 0, or HOTLIST_EINVAL (hl or out NULL, or out->struct_size below
 *         HOTLIST_STATS_SIZE_V1: out untouched).
 * Threads: any, wait-free (counters are read while they move: each is exact,
 * their sum at one instant is not). Ownership: out is the caller's.
 */
HOTLIST_API int hotlist_stats(struct hotlist *hl, struct hotlist_stats *out);

/* ---- Helpers ----------------------------------------------------------- */

/**
 * Normalise a plate: uppercase A-Z0-9, separators and spaces removed,
 * diacritics folded (Ä->A, Ø->O, ß->SS, ...).
 * @param out at least HOTLIST_PLATE_MAX + 1 bytes; NUL-terminated; untouched on error.
 * @return the length (1..HOTLIST_PLATE_MAX), HOTLIST_EPLATE (also for a NULL
 *         plate), HOTLIST_EINVAL (out is NULL).
 * Threads: any. Idempotent.
 */
HOTLIST_API int hotlist_normalise_plate(const char *plate, char *out);

/**
 * Normalise a country: trims, uppercases, accepts ISO 3166-1 alpha-2 and the
 * one-letter international vehicle codes (D, F, B, L, ...). NULL, "" or spaces
 * give "" (unknown).
 * @param out 3 bytes; untouched on error.
 * @return 0, HOTLIST_ECOUNTRY, HOTLIST_EINVAL (out is NULL). Threads: any.
 */
HOTLIST_API int hotlist_normalise_country(const char *country, char out[3]);

/* ---- fork() ----------------------------------------------------------------
 * A process that forks and then execs (system(), popen(), posix_spawn) needs
 * nothing: the child runs no hotlist code. A child that goes on without exec
 * may use hotlist only if the three hooks below surround that fork:
 *     hotlist_fork_prepare();
 *     pid_t pid = fork();
 *     if (pid == 0) hotlist_fork_child(); else hotlist_fork_parent();
 * They hold back the library's hand-overs to liburcu's reclamation thread,
 * park that thread and lock liburcu's reader registry over the fork; writers
 * on other threads wait meanwhile (readers never do). Call them around the fork itself rather than through
 * pthread_atfork(): liburcu warns that its hooks can hang there when
 * reclamation frees memory with glibc's malloc (the library's default
 * unless the program links jemalloc).
 * In such a child: hotlist_match*() and hotlist_stats() on an engine inherited
 * from the parent work; hotlist_create() and everything on the child's own
 * engines work; an inherited engine must not be submitted to, written to or
 * destroyed (its worker threads and its writer's lock state stayed in the
 * parent); let the child exit without destroying it. docs/SECURITY.md.
 * Threads: as fork() itself, and never from a hit callback (prepare would
 * wait for a grace period inside a read-side section); they never fail.
 */
HOTLIST_API void hotlist_fork_prepare(void);
HOTLIST_API void hotlist_fork_parent(void);
HOTLIST_API void hotlist_fork_child(void);

#ifdef __cplusplus
}
#endif
#endif /* HOTLIST_H */
