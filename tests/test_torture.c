/* SPDX-License-Identifier: MIT */
/*
 * Concurrency torture and RCU grace-period bounds (issue 5, item 5).
 *
 * Case "torture": for D seconds (HOTLIST_TORTURE_SECONDS, else
 * HL_TORTURE_SECONDS_DEFAULT: 10, or 1800 with HOTLIST_LONG_TESTS) run
 *  - 8 matching threads: 3 call hotlist_match, 3 hotlist_match_batch, 2 send
 *    reads with OCR candidates (one single, one batch);
 *  - the asynchronous path: 2 workers, 2 producers calling hotlist_submit in
 *    BLOCK mode through a small queue, cfg.on_hit counting;
 *  - one writer that, until the deadline, replaces lists A and B (arrays, and
 *    every few rounds hotlist_load_csv of a file written once), puts and
 *    removes churn entries in both, and drops / re-creates / edits list C.
 * List B has OCR matching on (k = 1, default classes). Plate sets:
 *   ALWAYS  AWnnnn  in every version of A and B (never put, never removed);
 *   NEVER   NVKnnn  listed nowhere, at edit distance >= 3 from every listed
 *                   plate and differing in >= 3 positions once OCR classes
 *                   are folded (check_premise, before anything runs);
 *   CHURN   CHnnnn  put into and removed from A and B;
 *   FILLER  FLnnnn  a slice that moves with every replace of A and B;
 *   THIRD   TCnnnn  list C only.
 * Listed plates have pairwise distinct OCR-class forms, so no read of one can
 * OCR-match another. Invariants, checked on every read:
 *  1. each ALWAYS plate of a read hits A (read exactly) and B (read exactly
 *     or with one OCR substitution) exactly once: no hit lost, none doubled;
 *  2. no variant of a read (plate or candidate) that is a NEVER plate hits;
 *  3. a call (one read, or one batch) sees one version per list: one
 *     list_version and one replace's marker category; versions seen by a
 *     thread never go back;
 *  4. churn, filler and third-list plates hit at most once per list, and
 *     only lists that may hold them;
 *  5. async: after hotlist_flush every accepted ALWAYS read was called back
 *     exactly once per list that holds it, in submission order per camera;
 *     no NEVER read was called back; nothing refused, nothing pending.
 * Progress minimums make a vacuous pass impossible: every matcher and
 * producer must do MIN_READS reads, the writer MIN_ROUNDS rounds. Built with
 * -fsanitize=thread, a data race or a use-after-free in the reclamation shows
 * as a TSan report; with address, as an ASan one.
 *
 * Case "grace_period_idle_reader": with a counting allocator, RCU grace
 * periods complete while a matching thread that has registered with RCU (it
 * matched) sits idle outside any read-side section, and the two async
 * workers sit idle too: replaced versions of a 10 000-entry list are freed
 * back to about one version's size. A thread blocked inside a hit
 * callback, on the other hand, is inside its read-side section (match.c
 * holds it across the callbacks, snapshot.c frees versions only from
 * call_rcu callbacks): nothing replaced meanwhile is freed until it returns,
 * and then everything is; a writer replacing meanwhile stops once
 * HL_RETIRED_HEAVY_MAX versions wait (snapshot.c, "Bounded reclamation")
 * and goes on when the callback returns, so memory stays within the bound.
 */
#include "hotlist.h"
#include "testutil.h"

#include "snapshot.h" /* HL_RETIRED_HEAVY_MAX */

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef HL_TORTURE_SECONDS_DEFAULT
#define HL_TORTURE_SECONDS_DEFAULT 10
#endif
/* Check's per-case timeout on top of D: the writer finishes its round and
 * the workers drain after the deadline; generous for a loaded TSan run. */
#define TORTURE_TIMEOUT_MARGIN_S 240

#define MATCHERS 8
#define PRODUCERS 2
#define WORKERS 2
/* Small, so that producers do block (BLOCK mode is exercised). */
#define QUEUE_CAPACITY 64
#define BATCH 48
#define CANDS 3

/* Progress minimums: low enough for a loaded 2-core TSan run of 10 s
 * (thousands of reads per thread are typical), high enough that a thread
 * that never got going fails the test. */
#define MIN_READS 100
#define MIN_ROUNDS 5

#define N_ALWAYS 16 /* <= 32: a read's expected ALWAYS hits are a uint32_t mask */
#define N_NEVER 64
#define N_CHURN 32
#define N_FILLER 2000
#define FILLER_SLICE 400 /* per version of A and B: each replace builds ~420 entries */
#define N_THIRD 64
#define CHURN_OPS 4 /* puts and removes per list and writer round */
#define CSV_EVERY 4 /* every CSV_EVERY-th replace of A and B loads the CSV file */
#define NEVER_MIN_DIST 3
#define WRITER_PAUSE_US 200 /* see pause_writer */

enum { L_A, L_B, L_C, N_LISTS };
static const char *const list_name[N_LISTS] = { "always-a", "fuzzy-b", "third-c" };

static char always_p[N_ALWAYS][8], always_ocr[N_ALWAYS][8], never_p[N_NEVER][8];
static char churn_p[N_CHURN][8], filler_p[N_FILLER][8], third_p[N_THIRD][8];

/* ---- violations: recorded by any thread, asserted by the test thread ---- */

static atomic_long violations;
static char first_violation[256];

__attribute__((format(printf, 1, 2))) static void violation(const char *fmt, ...)
{
	if (atomic_fetch_add(&violations, 1) != 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(first_violation, sizeof(first_violation), fmt, ap);
	va_end(ap);
}

/* ---- plate sets and the premise that makes the invariants exact ---- */

static void plates_init(void)
{
	for (int i = 0; i < N_ALWAYS; i++) {
		/* 1000 + 37 i: four digits starting with '1', which OCR reads as 'I' */
		snprintf(always_p[i], sizeof(always_p[i]), "AW%04d", 1000 + 37 * i);
		snprintf(always_ocr[i], sizeof(always_ocr[i]), "AWI%03d", (37 * i) % 1000);
	}
	for (int i = 0; i < N_NEVER; i++)
		snprintf(never_p[i], sizeof(never_p[i]), "NVK%03d", (i * 13) % 1000);
	for (int i = 0; i < N_CHURN; i++)
		snprintf(churn_p[i], sizeof(churn_p[i]), "CH%04d", 3000 + 7 * i);
	for (int i = 0; i < N_FILLER; i++)
		snprintf(filler_p[i], sizeof(filler_p[i]), "FL%04d", i);
	for (int i = 0; i < N_THIRD; i++)
		snprintf(third_p[i], sizeof(third_p[i]), "TC%04d", 3 * i);
}

/* A character's OCR class under the default classes "0ODQ 1I 2Z 5S 8B 6G". */
static char ocr_class(char c)
{
	static const char *const classes[] = { "0ODQ", "1I", "2Z", "5S", "8B", "6G" };
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strchr(classes[i], c))
			return classes[i][0];
	return c;
}

static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[HOTLIST_PLATE_MAX + 1][HOTLIST_PLATE_MAX + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	}
	return d[la][lb];
}

/* a with every character replaced by its OCR class (out: 8 bytes). */
static void fold(const char *a, char *out)
{
	size_t i = 0;
	for (; a[i] && i < 7; i++)
		out[i] = ocr_class(a[i]);
	memset(out + i, 0, 8 - i);
}

/* Positions where folded plates fa and fb differ (a length difference
 * counts as all positions). */
static size_t class_distance(const char *fa, const char *fb)
{
	size_t la = strlen(fa), n = 0;
	if (la != strlen(fb))
		return HOTLIST_PLATE_MAX;
	for (size_t i = 0; i < la; i++)
		n += fa[i] != fb[i];
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every listed plate, in one array of 8-byte strings; returns the count. */
static size_t listed_plates(char (*out)[8])
{
	size_t n = 0;
	for (int i = 0; i < N_ALWAYS; i++)
		memcpy(out[n++], always_p[i], 8);
	for (int i = 0; i < N_CHURN; i++)
		memcpy(out[n++], churn_p[i], 8);
	for (int i = 0; i < N_FILLER; i++)
		memcpy(out[n++], filler_p[i], 8);
	for (int i = 0; i < N_THIRD; i++)
		memcpy(out[n++], third_p[i], 8);
	return n;
}

/* Characters of a without a partner in b, or the reverse, whichever is
 * more: a lower bound of the edit distance that costs no table. */
static size_t bag_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), paired = 0;
	bool used[HOTLIST_PLATE_MAX] = { false };
	for (size_t i = 0; i < la; i++) {
		for (size_t j = 0; j < lb; j++) {
			if (!used[j] && b[j] == a[i]) {
				used[j] = true;
				paired++;
				break;
			}
		}
	}
	return (la > lb ? la : lb) - paired;
}

/* The premise: NEVER plates far from every listed plate (edit distance,
 * and positions that differ after OCR folding); listed plates with pairwise
 * distinct folded forms; each OCR-garbled ALWAYS read one in-class
 * substitution from its plate. Check records every ck_assert, so the
 * 135 000 pairs are counted and asserted once. */
static void check_premise(void)
{
	enum { N_LISTED = N_ALWAYS + N_CHURN + N_FILLER + N_THIRD };
	static char listed[N_LISTED][8], folded[N_LISTED][8];
	char fn[8], fa[8], fo[8];
	size_t n = listed_plates(listed), near = 0, same = 0;
	for (size_t j = 0; j < n; j++)
		fold(listed[j], folded[j]);
	for (int i = 0; i < N_NEVER; i++) {
		fold(never_p[i], fn);
		for (size_t j = 0; j < n; j++)
			near += (bag_distance(never_p[i], listed[j]) < NEVER_MIN_DIST &&
				 levenshtein(never_p[i], listed[j]) < NEVER_MIN_DIST) ||
				class_distance(fn, folded[j]) < NEVER_MIN_DIST;
	}
	ck_assert_uint_eq(near, 0);
	qsort(folded, n, sizeof(folded[0]), cmp_str);
	for (size_t j = 1; j < n; j++)
		same += strcmp(folded[j - 1], folded[j]) == 0;
	ck_assert_uint_eq(same, 0);
	for (int i = 0; i < N_ALWAYS; i++) {
		fold(always_p[i], fa);
		fold(always_ocr[i], fo);
		ck_assert_uint_eq(levenshtein(always_ocr[i], always_p[i]), 1);
		ck_assert_str_eq(fa, fo);
	}
}

/* Index of an ALWAYS plate (normalised), or -1. */
static int always_index(const char *plate)
{
	for (int i = 0; i < N_ALWAYS; i++)
		if (strcmp(plate, always_p[i]) == 0)
			return i;
	return -1;
}

static int list_index(const char *name)
{
	for (int i = 0; i < N_LISTS; i++)
		if (strcmp(name, list_name[i]) == 0)
			return i;
	return -1;
}

/* ---- deadline ------------------------------------------------------------ */

static struct timespec deadline;

static struct timespec now_mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

static bool past_deadline(void)
{
	struct timespec t = now_mono();
	return t.tv_sec > deadline.tv_sec ||
	       (t.tv_sec == deadline.tv_sec && t.tv_nsec >= deadline.tv_nsec);
}

static unsigned rnd(unsigned *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* ---- the inline read path: per-read and per-call records ---- */

/* What one read expects and got. */
struct seen {
	uint32_t want[2]; /* ALWAYS plates (bits) that must hit A, B */
	uint32_t got[2];
	unsigned other[N_LISTS]; /* churn, filler and third-list hits */
	const char *what; /* the read, for messages */
};

/* One matching thread's state while a call runs. */
struct mctx {
	long id;
	struct seen *seen; /* indexed by the read's opaque */
	uint64_t call_version[N_LISTS]; /* the version this call saw, 0 = none yet */
	char call_marker[N_LISTS][12]; /* that version's replace marker category */
	uint64_t last_version[N_LISTS]; /* newest seen by this thread */
};

static void call_begin(struct mctx *c)
{
	memset(c->call_version, 0, sizeof(c->call_version));
	memset(c->call_marker, 0, sizeof(c->call_marker));
}

/* Invariant 3: one version (and one replace's entries) per list and call. */
static void check_version(struct mctx *c, int li, const struct hotlist_hit *h)
{
	if (h->list_version < c->last_version[li])
		violation("thread %ld: %s went back from version %" PRIu64 " to %" PRIu64, c->id,
			  h->list, c->last_version[li], h->list_version);
	else
		c->last_version[li] = h->list_version;
	if (!c->call_version[li])
		c->call_version[li] = h->list_version;
	else if (c->call_version[li] != h->list_version)
		violation("thread %ld: one call saw %s versions %" PRIu64 " and %" PRIu64, c->id,
			  h->list, c->call_version[li], h->list_version);
	if (h->category[0] != 'v')
		return; /* a put: not a replace marker */
	if (!c->call_marker[li][0])
		snprintf(c->call_marker[li], sizeof(c->call_marker[li]), "%s", h->category);
	else if (strcmp(c->call_marker[li], h->category) != 0)
		violation("thread %ld: one call saw %s entries of replaces %s and %s", c->id,
			  h->list, c->call_marker[li], h->category);
}

/* Invariants 1, 2 and 4 for one hit of read s. */
static void classify(struct seen *s, int li, const struct hotlist_hit *h)
{
	if (strncmp(h->read_plate, "NVK", 3) == 0)
		violation("NEVER plate %s hit %s of %s (read %s)", h->read_plate, h->entry_plate,
			  h->list, s->what);
	int i = always_index(h->entry_plate);
	if (i >= 0) {
		uint32_t bit = UINT32_C(1) << i;
		if (li == L_C || (s->got[li] & bit))
			violation("ALWAYS %s hit %s again or there (read %s)", h->entry_plate,
				  h->list, s->what);
		else
			s->got[li] |= bit;
		return;
	}
	bool third = strncmp(h->entry_plate, "TC", 2) == 0;
	bool ab = strncmp(h->entry_plate, "CH", 2) == 0 || strncmp(h->entry_plate, "FL", 2) == 0;
	if (!(third && li == L_C) && !(ab && li != L_C))
		violation("entry %s must not be in %s (read %s)", h->entry_plate, h->list, s->what);
	s->other[li]++;
}

static void inline_hit(const struct hotlist_hit *h, void *user)
{
	struct mctx *c = user;
	int li = list_index(h->list);
	if (li < 0) {
		violation("hit from unknown list %s", h->list);
		return;
	}
	check_version(c, li, h);
	classify(&c->seen[(uintptr_t)h->read->opaque], li, h);
}

static void check_seen(const struct seen *s)
{
	for (int li = 0; li < 2; li++)
		if (s->got[li] != s->want[li])
			violation("read %s: %s ALWAYS hits %#x, want %#x", s->what, list_name[li],
				  (unsigned)s->got[li], (unsigned)s->want[li]);
	for (int li = 0; li < N_LISTS; li++)
		if (s->other[li] > 1)
			violation("read %s: %u hits of churn/filler/third plates in %s", s->what,
				  s->other[li], list_name[li]);
}

/* ---- building reads ---- */

/* Storage of one read and its candidates. */
struct rbuf {
	char plate[12];
	char cand[CANDS][12];
	const char *candp[CANDS];
};

/* Plate of kind k (0 ALWAYS, 1 garbled ALWAYS, 2 NEVER, 3 CHURN, 4 FILLER,
 * 5 THIRD) into out, and what it must hit into s. Mixed case and a separator
 * now and then: the read path normalises. */
static void pick_plate(unsigned *x, unsigned k, char *out, size_t len, struct seen *s)
{
	unsigned r = rnd(x), i = r >> 8;
	const char *p;
	switch (k) {
	case 0:
		p = always_p[i % N_ALWAYS];
		s->want[L_A] |= UINT32_C(1) << (i % N_ALWAYS);
		s->want[L_B] |= UINT32_C(1) << (i % N_ALWAYS);
		break;
	case 1:
		p = always_ocr[i % N_ALWAYS];
		s->want[L_B] |= UINT32_C(1) << (i % N_ALWAYS);
		break;
	case 2:
		p = never_p[i % N_NEVER];
		break;
	case 3:
		p = churn_p[i % N_CHURN];
		break;
	case 4:
		p = filler_p[i % N_FILLER];
		break;
	default:
		p = third_p[i % N_THIRD];
	}
	if (r & 1)
		snprintf(out, len, "%c%c-%s", p[0] | 0x20, p[1], p + 2);
	else
		snprintf(out, len, "%s", p);
}

/* Read number i of a call into r (its record s); with candidates: the plate
 * and CANDS candidates drawn from ALWAYS, garbled ALWAYS and NEVER. */
static void make_read(unsigned *x, bool cands, size_t i, struct hotlist_read *r, struct rbuf *b,
		      struct seen *s)
{
	memset(s, 0, sizeof(*s));
	*r = (struct hotlist_read){ .plate = b->plate, .opaque = (void *)(uintptr_t)i };
	s->what = b->plate;
	if (!cands) {
		pick_plate(x, rnd(x) % 6, b->plate, sizeof(b->plate), s);
		return;
	}
	pick_plate(x, 1 + rnd(x) % 2, b->plate, sizeof(b->plate), s);
	for (int c = 0; c < CANDS; c++) {
		pick_plate(x, rnd(x) % 3, b->cand[c], sizeof(b->cand[c]), s);
		b->candp[c] = b->cand[c];
	}
	r->candidates = b->candp;
	r->n_candidates = CANDS;
}

/* ---- matching threads ---- */

static struct hotlist *hl;
static long matcher_reads[MATCHERS];

static void one_call(struct mctx *c, unsigned *x, bool batch, bool cands)
{
	static _Thread_local struct hotlist_read r[BATCH];
	static _Thread_local struct rbuf b[BATCH];
	static _Thread_local struct seen s[BATCH];
	size_t n = batch ? BATCH : 1;
	for (size_t i = 0; i < n; i++)
		make_read(x, cands, i, &r[i], &b[i], &s[i]);
	c->seen = s;
	call_begin(c);
	if (batch)
		hotlist_match_batch(hl, r, n, inline_hit, c);
	else if (hotlist_match(hl, r, inline_hit, c) < 0)
		violation("hotlist_match(%s) refused the read", b[0].plate);
	for (size_t i = 0; i < n; i++)
		check_seen(&s[i]);
	matcher_reads[c->id] += (long)n;
}

static void *matcher_main(void *arg)
{
	struct mctx c = { .id = (long)(intptr_t)arg };
	unsigned x = 0x9E3779B9u ^ (unsigned)(c.id * 7919 + 1);
	/* 0-2 single, 3-5 batch, 6 single with candidates, 7 batch with them */
	bool batch = (c.id >= 3 && c.id <= 5) || c.id == 7, cands = c.id >= 6;
	while (!past_deadline())
		one_call(&c, &x, batch, cands);
	return NULL;
}

/* ---- the asynchronous path ---- */

/* opaque of a submitted read: producer (1 bit), kind (2), ALWAYS index (5),
 * sequence number of the producer's ALWAYS reads (the rest). */
enum { K_EXACT, K_OCR, K_NEVER };
#define OP_ENC(p, k, i, seq)                                                              \
	((void *)(uintptr_t)((uintptr_t)(p) | (uintptr_t)(k) << 1 | (uintptr_t)(i) << 3 | \
			     (uintptr_t)(seq) << 8))

static atomic_long async_hits[PRODUCERS][2]; /* callbacks of ALWAYS entries from A, B */
static atomic_long async_last[PRODUCERS][2]; /* last sequence called back, -1 = none */
static long async_sent[PRODUCERS][3]; /* accepted reads by kind (producer-owned) */

static void async_hit(const struct hotlist_hit *h, void *user)
{
	(void)user;
	uintptr_t op = (uintptr_t)h->read->opaque;
	unsigned p = op & 1, k = (op >> 1) & 3, idx = (op >> 3) & 31;
	long seq = (long)(op >> 8);
	int li = list_index(h->list), i = always_index(h->entry_plate);
	if (k == K_NEVER || li < 0 || li == L_C || i != (int)idx || (li == L_A && k != K_EXACT)) {
		violation("async read %s (kind %u) hit %s of %s", h->read_plate, k, h->entry_plate,
			  h->list);
		return;
	}
	/* one camera per producer: its reads are called back in submission
	 * order, so the sequence numbers a list reports rise strictly */
	long last = atomic_exchange(&async_last[p][li], seq);
	if (seq <= last)
		violation("async read %ld of producer %u called back after %ld by %s", seq, p, last,
			  h->list);
	atomic_fetch_add(&async_hits[p][li], 1);
}

static void *producer_main(void *arg)
{
	unsigned p = (unsigned)(uintptr_t)arg, x = 0xC0FFEEu + p;
	char camera[16], plate[12];
	long seq = 0;
	snprintf(camera, sizeof(camera), "cam-%u", p);
	while (!past_deadline()) {
		unsigned k = rnd(&x) % 3, i = (rnd(&x) >> 8) % N_ALWAYS;
		const char *src = k == K_EXACT ? always_p[i] :
				  k == K_OCR   ? always_ocr[i] :
						 never_p[i % N_NEVER];
		snprintf(plate, sizeof(plate), "%s", src);
		struct hotlist_read r = { .plate = plate,
					  .camera = camera,
					  .opaque = OP_ENC(p, k, i, k == K_NEVER ? 0 : seq) };
		int rc = hotlist_submit(hl, &r);
		if (rc) {
			violation("hotlist_submit: %s", hotlist_err_name(rc));
			break;
		}
		async_sent[p][k]++;
		seq += k != K_NEVER;
	}
	return NULL;
}

/* ---- the writer ---- */

struct wstats {
	long rounds, versions, csv_loads;
};

static char csv_path[64];

static void wcheck(struct wstats *w, int rc, const char *what, int li)
{
	if (rc < 0)
		violation("writer: %s %s: %s", what, list_name[li], hotlist_err_name(rc));
	else
		w->versions++;
}

/* Version `round` of A or B: every ALWAYS plate and a filler slice that
 * moves; category "v<round>" marks the replace. Every CSV_EVERY-th time the
 * CSV file instead (ALWAYS plus the first filler slice, marker "vcsv"). */
static void replace_ab(struct wstats *w, int li, unsigned round)
{
	static struct hotlist_entry e[N_ALWAYS + FILLER_SLICE];
	static char marker[12];
	if ((round + (unsigned)li) % CSV_EVERY == 0) {
		wcheck(w, hotlist_load_csv(hl, list_name[li], csv_path, NULL), "load_csv", li);
		w->csv_loads++;
		return;
	}
	snprintf(marker, sizeof(marker), "v%u", round);
	size_t n = 0;
	for (int i = 0; i < N_ALWAYS; i++)
		e[n++] = (struct hotlist_entry){ .plate = always_p[i], .category = marker };
	for (unsigned i = 0; i < FILLER_SLICE; i++)
		e[n++] = (struct hotlist_entry){ .plate = filler_p[(round * 97 + i) % N_FILLER],
						 .category = marker };
	wcheck(w, hotlist_replace(hl, list_name[li], e, n, NULL), "replace", li);
}

static void churn(struct wstats *w, unsigned round)
{
	for (unsigned k = 0; k < CHURN_OPS; k++) {
		const char *in = churn_p[(round * CHURN_OPS + k) % N_CHURN];
		const char *out = churn_p[(round * CHURN_OPS + k + N_CHURN / 2) % N_CHURN];
		struct hotlist_entry e = { .plate = in, .category = "put" };
		for (int li = L_A; li <= L_B; li++) {
			wcheck(w, hotlist_put(hl, list_name[li], &e), "put", li);
			int rc = hotlist_remove(hl, list_name[li], out, NULL);
			if (rc != HOTLIST_ENOENT)
				wcheck(w, rc, "remove", li);
		}
	}
}

/* List C: dropped, re-created by a replace, then edited (and sometimes given
 * OCR options), in turn. */
static void third(struct wstats *w, unsigned round)
{
	static struct hotlist_entry e[N_THIRD / 2];
	switch (round % 3) {
	case 0:
		wcheck(w, hotlist_drop_list(hl, list_name[L_C]), "drop", L_C);
		break;
	case 1:
		for (unsigned i = 0; i < N_THIRD / 2; i++)
			e[i] = (struct hotlist_entry){ .plate = third_p[(round + i) % N_THIRD],
						       .category = "vthird" };
		wcheck(w, hotlist_replace(hl, list_name[L_C], e, N_THIRD / 2, NULL), "replace",
		       L_C);
		break;
	default: {
		struct hotlist_entry p = { .plate = third_p[(round + N_THIRD / 2) % N_THIRD],
					   .category = "put" };
		wcheck(w, hotlist_put(hl, list_name[L_C], &p), "put", L_C);
		if (round % 2) {
			struct hotlist_list_options o;
			hotlist_list_options_init(&o);
			o.ocr_substitutions = 1;
			o.weak_hits = true;
			wcheck(w, hotlist_set_list_options(hl, list_name[L_C], &o), "options", L_C);
		}
	}
	}
}

/* Give the readers the cores for a moment, so that each version of A and B
 * is seen by some of them: on 2 loaded cores a writer that never sleeps may
 * publish and replace a version within one of its time slices. */
static void pause_writer(void)
{
	struct timespec t = { 0, WRITER_PAUSE_US * 1000L };
	nanosleep(&t, NULL);
}

static void *writer_main(void *arg)
{
	struct wstats *w = arg;
	/* round 1 is the setup's (C created); go on with round 2 (edit C) */
	for (unsigned round = 2; !past_deadline(); round++) {
		replace_ab(w, L_A, round);
		pause_writer();
		replace_ab(w, L_B, round);
		pause_writer();
		churn(w, round);
		third(w, round);
		w->rounds++;
	}
	return NULL;
}

static void write_csv(void)
{
	snprintf(csv_path, sizeof(csv_path), "/tmp/hl-torture-XXXXXX");
	int fd = mkstemp(csv_path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "plate;category;priority\n");
	for (int i = 0; i < N_ALWAYS; i++)
		fprintf(f, "%c%c %s;vcsv;%d\n", always_p[i][0] | 0x20, always_p[i][1],
			always_p[i] + 2, i % 3);
	for (int i = 0; i < FILLER_SLICE; i++)
		fprintf(f, "%s;vcsv;50\n", filler_p[i]);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---- the torture case ---- */

static unsigned torture_seconds(void)
{
	const char *s = getenv("HOTLIST_TORTURE_SECONDS");
	char *end;
	long v = s && *s ? strtol(s, &end, 10) : 0;
	if (!s || !*s)
		return HL_TORTURE_SECONDS_DEFAULT;
	return *end || v <= 0 || v > 86400 ? 0 : (unsigned)v;
}

static void torture_setup(void)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = WORKERS;
	cfg.queue_capacity = QUEUE_CAPACITY;
	cfg.backpressure = HOTLIST_BLOCK;
	cfg.on_hit = async_hit;
	cfg.suppress_window_us = 0; /* the same plates hit again and again */
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 1;
	o.weak_hits = true;
	ck_assert_int_eq(hotlist_set_list_options(hl, list_name[L_B], &o), 0);
	struct wstats w = { 0 };
	replace_ab(&w, L_A, 1);
	replace_ab(&w, L_B, 1);
	third(&w, 1);
	ck_assert_int_eq(atomic_load(&violations), 0);
	for (int p = 0; p < PRODUCERS; p++)
		for (int li = 0; li < 2; li++)
			atomic_store(&async_last[p][li], -1);
}

static void torture_check(const struct wstats *w, unsigned secs)
{
	ck_assert_msg(atomic_load(&violations) == 0, "%ld violations; first: %s",
		      atomic_load(&violations), first_violation);
	char per[MATCHERS * 24] = "";
	long total = 0;
	for (int i = 0; i < MATCHERS; i++) {
		ck_assert_int_ge(matcher_reads[i], MIN_READS);
		total += matcher_reads[i];
		size_t len = strlen(per);
		snprintf(per + len, sizeof(per) - len, "%s%ld", i ? " " : "", matcher_reads[i]);
	}
	ck_assert_int_ge(w->rounds, MIN_ROUNDS);
	long accepted = 0, called = 0;
	for (int p = 0; p < PRODUCERS; p++) {
		long sent = async_sent[p][K_EXACT] + async_sent[p][K_OCR] + async_sent[p][K_NEVER];
		long hits_a = atomic_load(&async_hits[p][L_A]);
		long hits_b = atomic_load(&async_hits[p][L_B]);
		long want_a = async_sent[p][K_EXACT];
		long want_b = async_sent[p][K_EXACT] + async_sent[p][K_OCR];
		ck_assert_int_ge(sent, MIN_READS);
		ck_assert_int_eq(hits_a, want_a);
		ck_assert_int_eq(hits_b, want_b);
		accepted += sent;
		called += hits_a + hits_b;
	}
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.submitted, (uint64_t)accepted);
	ck_assert_uint_eq(st.refused, 0);
	ck_assert_uint_eq(st.pending, 0);
	fprintf(stderr,
		"torture: %u s; reads per matcher thread [%s] (total %ld); writer rounds %ld, "
		"versions published %ld (csv loads %ld); async reads %ld, callbacks %ld\n",
		secs, per, total, w->rounds, w->versions, w->csv_loads, accepted, called);
}

START_TEST(torture)
{
	unsigned secs = torture_seconds();
	ck_assert_uint_gt(secs, 0);
	plates_init();
	check_premise();
	write_csv();
	torture_setup();
	deadline = now_mono();
	deadline.tv_sec += secs;
	struct wstats w = { 0 };
	pthread_t wt, mt[MATCHERS], pt[PRODUCERS];
	ck_assert_int_eq(pthread_create(&wt, NULL, writer_main, &w), 0);
	for (long i = 0; i < MATCHERS; i++)
		ck_assert_int_eq(pthread_create(&mt[i], NULL, matcher_main, (void *)(intptr_t)i),
				 0);
	for (long i = 0; i < PRODUCERS; i++)
		ck_assert_int_eq(pthread_create(&pt[i], NULL, producer_main, (void *)(intptr_t)i),
				 0);
	pthread_join(wt, NULL);
	for (int i = 0; i < MATCHERS; i++)
		pthread_join(mt[i], NULL);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(pt[i], NULL);
	ck_assert_int_eq(hotlist_flush(hl), 0);
	unlink(csv_path);
	torture_check(&w, secs);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- grace periods: a counting allocator ---- */

static atomic_llong ca_bytes; /* bytes outstanding */
static atomic_long ca_blocks; /* blocks outstanding */

static void *ca_alloc(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	void *p = NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size ? size : 1))
		return NULL;
	atomic_fetch_add(&ca_bytes, (long long)size);
	atomic_fetch_add(&ca_blocks, 1);
	return p;
}

static void ca_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	if (!p)
		return;
	atomic_fetch_sub(&ca_bytes, (long long)size);
	atomic_fetch_sub(&ca_blocks, 1);
	free(p);
}

static const struct hotlist_allocator counting = { ca_alloc, ca_free, NULL };

#define GP_ENTRIES 10000
#define GP_REPLACES 25
/* Liveness bound, not a performance assertion: "do the replaced versions
 * ever get freed". A grace period takes milliseconds; 30 s only fails
 * when reclamation is stuck. */
#define GP_LIVENESS_S 30
#define GP_POLL_MS 10
/* How long the blocked callback is held after the replaces, asserting that
 * nothing is freed meanwhile (an assertion that something does not happen,
 * so its length does not make the test timing-dependent). */
#define GP_HOLD_MS 200

static char gp_plates[GP_ENTRIES][8];
static struct hotlist_entry gp_e[GP_ENTRIES];

static void gp_replace(struct hotlist *h)
{
	ck_assert_int_eq(hotlist_replace(h, "big", gp_e, GP_ENTRIES, NULL), 0);
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* Poll until at most `limit` bytes are outstanding; false after the bound. */
static bool bytes_fall_to(long long limit)
{
	for (long waited = 0; waited < GP_LIVENESS_S * 1000L; waited += GP_POLL_MS) {
		if (atomic_load(&ca_bytes) <= limit)
			return true;
		sleep_ms(GP_POLL_MS);
	}
	return atomic_load(&ca_bytes) <= limit;
}

/* A matching thread that goes idle, or blocks inside its hit callback. */
struct gp_thread {
	struct hotlist *hl;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int phase; /* 0 starting, 1 idle or in the callback, 2 told to go on */
	int hits_before, hits_after;
};

static void gp_wait_phase(struct gp_thread *t, int phase)
{
	pthread_mutex_lock(&t->mu);
	while (t->phase != phase)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

static void gp_set_phase(struct gp_thread *t, int phase)
{
	pthread_mutex_lock(&t->mu);
	t->phase = phase;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static int gp_hits(struct hotlist *h)
{
	return hl_test_hits(h, gp_plates[0], NULL) +
	       hl_test_hits(h, gp_plates[GP_ENTRIES - 1], NULL);
}

/* Matches (registering with RCU), goes idle outside any read-side section
 * until told, matches again. */
static void *gp_idle_main(void *arg)
{
	struct gp_thread *t = arg;
	t->hits_before = gp_hits(t->hl);
	gp_set_phase(t, 1);
	gp_wait_phase(t, 2);
	t->hits_after = gp_hits(t->hl);
	return NULL;
}

/* Hit callback that blocks (inside the read-side section) until told. */
static void gp_hold_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	struct gp_thread *t = user;
	gp_set_phase(t, 1);
	gp_wait_phase(t, 2);
}

static void *gp_hold_main(void *arg)
{
	struct gp_thread *t = arg;
	struct hotlist_read r = { .plate = gp_plates[1] };
	t->hits_after = hotlist_match(t->hl, &r, gp_hold_hit, t);
	return NULL;
}

static void gp_noop_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
}

static struct hotlist *gp_engine(void)
{
	for (int i = 0; i < GP_ENTRIES; i++) {
		snprintf(gp_plates[i], sizeof(gp_plates[i]), "GP%05d", i);
		gp_e[i] = (struct hotlist_entry){ .plate = gp_plates[i], .category = "gp" };
	}
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.allocator = &counting;
	cfg.suppress_window_us = 0;
	cfg.workers = 2; /* idle workers must not hold grace periods up either */
	cfg.on_hit = gp_noop_hit;
	struct hotlist *h = NULL;
	ck_assert_int_eq(hotlist_create(&h, &cfg), 0);
	return h;
}

static void gp_thread_init(struct gp_thread *t, struct hotlist *h)
{
	memset(t, 0, sizeof(*t));
	t->hl = h;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
}

static void gp_thread_fini(struct gp_thread *t)
{
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
}

/* Replaces GP_REPLACES times, counting. */
struct gp_writer {
	struct hotlist *hl;
	atomic_int done;
};

static void *gp_writer_main(void *arg)
{
	struct gp_writer *w = arg;
	for (int i = 0; i < GP_REPLACES; i++) {
		gp_replace(w->hl);
		atomic_fetch_add(&w->done, 1);
	}
	return NULL;
}

START_TEST(grace_period_idle_reader)
{
	struct hotlist *h = gp_engine();
	long long base = atomic_load(&ca_bytes);
	gp_replace(h);
	long long version = atomic_load(&ca_bytes) - base;
	ck_assert_int_gt(version, GP_ENTRIES * 8); /* counted: the allocator is used */
	/* one live version, and a quarter of one for what is still on its way */
	long long settled = base + version + version / 4;

	/* 1. an idle registered reader does not hold grace periods up */
	struct gp_thread t;
	gp_thread_init(&t, h);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, gp_idle_main, &t), 0);
	gp_wait_phase(&t, 1);
	for (int i = 0; i < GP_REPLACES; i++)
		gp_replace(h);
	/* the thread stays idle until phase 2, set only after this check */
	ck_assert_msg(bytes_fall_to(settled), "idle reader: %lld bytes outstanding, want <= %lld",
		      atomic_load(&ca_bytes), settled);
	gp_set_phase(&t, 2);
	pthread_join(th, NULL);
	ck_assert_int_eq(t.hits_before, 2);
	ck_assert_int_eq(t.hits_after, 2);
	gp_thread_fini(&t);

	/* 2. a reader blocked in a hit callback does, until it returns; and
	 * the writer stops at the bound (HL_RETIRED_HEAVY_MAX versions
	 * waiting) and waits for it, so memory stays within the bound */
	gp_thread_init(&t, h);
	ck_assert_int_eq(pthread_create(&th, NULL, gp_hold_main, &t), 0);
	gp_wait_phase(&t, 1);
	struct gp_writer w = { .hl = h };
	pthread_t wt;
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(h, &st);
	uint64_t waits0 = st.reclaim_waits; /* part 1 may have waited too */
	ck_assert_int_eq(pthread_create(&wt, NULL, gp_writer_main, &w), 0);
	for (long waited = 0; waited < GP_LIVENESS_S * 1000L; waited += GP_POLL_MS) {
		hotlist_stats(h, &st); /* until the writer waits at the bound */
		if (st.reclaim_waits > waits0)
			break;
		sleep_ms(GP_POLL_MS);
	}
	ck_assert_uint_gt(st.reclaim_waits, waits0);
	int done = atomic_load(&w.done);
	ck_assert_int_le(done, HL_RETIRED_HEAVY_MAX);
	long long held = base + version * (HL_RETIRED_HEAVY_MAX - 1);
	long long bound = base + version * (HL_RETIRED_HEAVY_MAX + 2) + version / 4;
	for (int ms = 0; ms < GP_HOLD_MS; ms += GP_POLL_MS) {
		long long now = atomic_load(&ca_bytes);
		ck_assert_msg(now >= held,
			      "freed under a blocked callback: %lld bytes, want >= %lld", now,
			      held);
		ck_assert_msg(now <= bound, "past the bound: %lld bytes, want <= %lld", now, bound);
		sleep_ms(GP_POLL_MS);
	}
	ck_assert_int_eq(atomic_load(&w.done), done); /* still waiting */
	hotlist_stats(h, &st);
	ck_assert_uint_le(st.retired_heavy_max, HL_RETIRED_HEAVY_MAX);
	gp_set_phase(&t, 2);
	pthread_join(th, NULL);
	pthread_join(wt, NULL);
	ck_assert_int_eq(atomic_load(&w.done), GP_REPLACES);
	ck_assert_int_eq(t.hits_after, 1);
	ck_assert_msg(bytes_fall_to(settled), "after the callback: %lld bytes, want <= %lld",
		      atomic_load(&ca_bytes), settled);
	gp_thread_fini(&t);
	hotlist_destroy(h, NULL);
	ck_assert_int_eq(atomic_load(&ca_bytes), 0);
	ck_assert_int_eq(atomic_load(&ca_blocks), 0);
}
END_TEST

int main(void)
{
	unsigned secs = torture_seconds();
	if (!secs) {
		fprintf(stderr, "HOTLIST_TORTURE_SECONDS: want a whole number of seconds > 0\n");
		return EXIT_FAILURE;
	}
	Suite *s = suite_create("torture");
	TCase *tc = tcase_create("torture");
	tcase_set_timeout(tc, (double)secs + TORTURE_TIMEOUT_MARGIN_S);
	tcase_add_test(tc, torture);
	suite_add_tcase(s, tc);
	TCase *gp = tcase_create("grace_period_idle_reader");
	tcase_set_timeout(gp, 4 * GP_LIVENESS_S);
	tcase_add_test(gp, grace_period_idle_reader);
	suite_add_tcase(s, gp);
	return hl_test_run(s);
}
