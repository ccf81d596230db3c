/* SPDX-License-Identifier: MIT */
/*
 * list.c — building the immutable contents of a list (a "base").
 *
 * Owns: struct hl_builder (entries collected by a load, a replace or a fold)
 * and struct hl_base (what readers search). A base never changes after
 * hotlist__builder_finish() returns; it is freed when its last reference is
 * put (list versions that share it hold one each; see snapshot.c).
 *
 * Layout of a base:
 *
 *   index  (table.c)  key --> i, the first entry of the key's run
 *   meta   [ run of key A ........ LAST ][ run of key B LAST ][ ... ]
 *            24 bytes each: key, country, priority, flags, category
 *            offset, tail offset (list.h has the record and its tail)
 *   strings "\0" category\0 window tail tail ...   (offset 0 is "")
 *            a tail: [window offset][plate as listed\0] reference\0 [extras]
 *
 * An entry whose plate as listed is its key's text (a list of normalised
 * plates: the common case), without a reference, window or extras, costs
 * its 24-byte record and nothing in the strings. Categories and windows are
 * stored once while the builder's small caches hold them (a list has a
 * handful); a list of per-entry windows costs 16 bytes more per entry.
 *
 * Extras. An entry with an id of its own or vehicle details (attributes)
 * has HL_M_EXTRA set, its reference stored in its tail (never the shared ""
 * at offset 0), and right after the reference's NUL:
 *
 *   id\0  n (1 byte)  n x [ name offset (4 bytes, host order) | value\0 ]
 *
 * the names stored once per list while the builder's small name cache holds
 * them (a list has a handful of columns). An entry without extras costs
 * nothing: no field of the record, one flag bit.
 *
 * A reader touches the index bucket (one cache line), and only on a hit the
 * meta run, its category and the tails of the entries that have one. Wildcard entries (HL_M_PATTERN) are runs like
 * any other, keyed by their pattern (codes no read packs to), and are also
 * gathered in the base's pattern store (pattern.c), which is NULL for a
 * base without any. Entries of one plate (other countries, other
 * categories, other cases) share a key and sit together, so the exact index
 * holds distinct keys only.
 *
 * Building is O(n) and touches each entry's memory about twice: once when
 * it is added (validated, normalised, its key packed and its strings
 * appended to the arena, straight into the array that becomes the base's
 * metadata), once when the index is built over the keys read in place
 * (table.c, hotlist__table_build_strided). The index build is also the
 * grouping: a key met again is reported, not stored. A list whose plates
 * are all distinct (the common case) is then done: its entries are runs of
 * one, in input order, and the builder's array and arena become the base
 * as they are, with no copy and no temporary map. Only when some plate has
 * several entries (other countries, categories, cases) are those grouped:
 * identical rows merged (compared field by field with the group's entries:
 * a file of 10 M identical rows merges each on its first comparison), runs
 * laid out in order of first appearance into a new array, and the index's
 * values renumbered. A plate may carry at most HL_RUN_MAX entries: a bound
 * on what one hit can call back, and on the grouping work a hostile file
 * can cause. The index has a fresh random seed, so that a hostile file
 * cannot aim rows at one bucket (table.c reseeds if one tries).
 *
 * Adding an entry costs about 300 instructions (a 7-character plate in
 * normal form, one category, no reference; callgrind): key packing ~120
 * (normalise.c, hotlist__key_pack_plain), the record and the checks the
 * rest. An entry's category is most often the last one's: compared with it
 * (strcmp), or, when the caller's strings stay put for the whole build
 * (fixed_input: hotlist_replace's array, not a CSV row's reused buffer),
 * recognised by its pointer alone; either way checked and stored once.
 *
 * Building ahead. The index build (about 40 % of a replace) reads only the
 * keys of entries already added, in input order, so for a big list it runs
 * on a worker thread while the caller's thread is still adding entries:
 * the builder hands it every HL_BUILD_AHEAD_CHUNK entries, and finish takes
 * what it did back (table.c, "Building ahead"). The array being filled
 * must not move meanwhile: a builder that has to grow it (a file with more
 * rows than estimated) stops the worker and builds the index itself. A
 * list is the same either way; its index may have up to 1/16 more buckets
 * (sized for the builder's capacity, not its final count). When the entries
 * are in, the builder's thread stops the worker (waiting for one step of
 * HL_BUILD_AHEAD_STEP entries at most; the worker parks, ix_park) and,
 * when many keys of index phase 1 are left (the worker trails the adding),
 * shares them with it by bucket range (ix_share; table.c, "Splitting the
 * rest"): each thread places those whose primary bucket is in its half;
 * done with its own, it stops the worker's (steal) and places what is left
 * of it. Then it joins the worker and finishes the index itself. Only
 * worth it when the worker has a CPU of its own: by default
 * (cfg.build_threads 0) not started when the runnable threads and the
 * load average say there is none (idle_cpu); build_threads 1 never starts it, 2 always.
 *
 * Threads: a builder belongs to one thread, apart from its worker, which
 * reads entries [0, ix_published) and writes only its own table; the two
 * hand over under ix->mu (ix_publish: the entries written before the
 * unlock are seen by the worker after its lock; ix_park: the worker's
 * writes before it parks are seen by the builder's thread after its lock;
 * ix_go: the split set up before the unlock is seen by the worker after
 * its lock) and at the join. While both run their shares of phase 1 they
 * write disjoint buckets and lists (table.c). A base is
 * read-only and may be read by any number of threads; its reference count
 * is atomic.
 */
#include "list.h"

#include "alloc.h"
#include "clock.h"
#include "common.h"
#include "normalise.h"
#include "pattern.h"
#include "table.h"

#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

/* The index build reads the keys in place, as struct hl_key (lo, hi: its
 * first 12 bytes), at a stride of one record (list.h). */
static_assert(offsetof(struct hl_meta, key_lo) == offsetof(struct hl_key, lo) &&
		      offsetof(struct hl_meta, key_hi) == offsetof(struct hl_key, hi),
	      "a record starts with a key's bytes");
static_assert(_Alignof(struct hl_meta) >= _Alignof(struct hl_key), "records align keys");
static_assert(sizeof(struct hl_meta) == 24, "the record of list.h");

/* Entries one plate may have in one list (other countries, categories,
 * cases). Above it rows are rejected: nobody lists one plate 1000 times on
 * purpose, and it bounds the O(run) duplicate check. */
#define HL_RUN_MAX 1024u
/* Longest category or reference kept, in bytes. */
#define HL_TEXT_MAX 1024u
#define HL_GROW_MIN 1024u
/* The smallest list whose index is built ahead: a smaller list's replace
 * takes under ~20 ms, which a thread's start, hand-overs and the caller's
 * wait for it would eat into for little gain (not measured below it). */
#define HL_BUILD_AHEAD_MIN ((size_t)256 << 10)
/* Entries handed to the worker at a time: a lock and maybe a wake-up per
 * chunk, ~60 per 1 M entries; small enough that the worker trails the
 * adding by a fraction of a millisecond. */
#define HL_BUILD_AHEAD_CHUNK 16384u
/* Entries the worker places between two looks at its stop flag (~0.1 ms;
 * the caller's thread waits for one step at most when it takes over). */
#define HL_BUILD_AHEAD_STEP 2048u

size_t hotlist__build_ahead_min = HL_BUILD_AHEAD_MIN;

/* The worker of a build ahead and what it shares with the builder's thread. */
struct hl_ix {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t ready; /* entries the worker may place (mu) */
	bool closed; /* the builder takes over: the worker exits (mu) */
	bool idle; /* the worker waits on cv (mu) */
	bool park; /* when closed, wait for go instead of exiting (mu) */
	bool parked; /* the worker stopped and waits for go (mu; cv_b) */
	bool go; /* parked: run the share (share) or exit (mu) */
	bool share; /* with go: part 1 of the split rest (table.c) */
	bool joined; /* the builder's thread only */
	pthread_cond_t cv_b; /* the builder's thread waits on it for parked */
	/* set with closed: the worker stops between steps (relaxed: the join
	 * orders what it did before the builder's thread goes on) */
	atomic_bool stop;
	/* set by the builder's thread when its share of the split rest is
	 * done: the worker's share stops between steps and the builder's
	 * thread places the rest of it (relaxed: ordered by the join) */
	atomic_bool steal;
	struct hl_table_inc *ti; /* the worker's until joined */
	struct hl_table_dups dups; /* filled by ti */
	/* the worker's, read after the join: hotlist__build_times */
	uint64_t cpu_ns, wait_ns, done;
};

static void *ix_main(void *arg)
{
	struct hl_ix *x = arg;
	size_t done = 0;

	pthread_mutex_lock(&x->mu);
	for (;;) {
		size_t upto = x->ready;
		if (x->closed)
			break; /* the builder's thread places the rest */
		if (upto == done) {
			uint64_t w0 = hotlist__now_ns();
			x->idle = true;
			pthread_cond_wait(&x->cv, &x->mu);
			x->idle = false;
			x->wait_ns += hotlist__now_ns() - w0;
			continue;
		}
		pthread_mutex_unlock(&x->mu);
		/* entries < upto: written before the lock; in steps, so that a
		 * builder that closes waits for one step at most */
		while (done < upto && !atomic_load_explicit(&x->stop, memory_order_relaxed)) {
			done = upto - done > HL_BUILD_AHEAD_STEP ? done + HL_BUILD_AHEAD_STEP :
								   upto;
			hotlist__table_inc_add(x->ti, done);
		}
		pthread_mutex_lock(&x->mu);
	}
	x->done = done;
	if (x->park) { /* the builder may share the rest of phase 1 */
		x->parked = true;
		pthread_cond_signal(&x->cv_b);
		while (!x->go)
			pthread_cond_wait(&x->cv, &x->mu);
	}
	bool share = x->share;
	pthread_mutex_unlock(&x->mu);
	if (share) /* split after the park, under mu: ti's parts set before */
		hotlist__table_inc_part(x->ti, 1, &x->steal);
	x->cpu_ns = hotlist__thread_cpu_ns();
	return NULL;
}

/* Hand entries [0, b->n) to the worker; close: stop it, the builder's
 * thread takes over. */
static void ix_publish(struct hl_builder *b, bool close)
{
	struct hl_ix *x = b->ix;

	pthread_mutex_lock(&x->mu);
	x->ready = b->n;
	x->closed = close;
	if (close)
		atomic_store_explicit(&x->stop, true, memory_order_relaxed);
	if (x->idle)
		pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	b->ix_published = b->n;
}

/* Stop the worker (one step of HL_BUILD_AHEAD_STEP at most) and wait
 * until it is parked: it then reads no entry and writes nothing until
 * ix_go; its table is the builder thread's meanwhile (mu orders its writes
 * before the builder's reads). */
static void ix_park(struct hl_builder *b)
{
	struct hl_ix *x = b->ix;

	pthread_mutex_lock(&x->mu);
	x->park = true;
	pthread_mutex_unlock(&x->mu);
	ix_publish(b, true);
	pthread_mutex_lock(&x->mu);
	while (!x->parked)
		pthread_cond_wait(&x->cv_b, &x->mu);
	pthread_mutex_unlock(&x->mu);
	hotlist__build_stamp(&hotlist__build_times.joined_ns, &hotlist__build_times.joined_cpu);
}

/* Release a parked (or parking) worker: run part 1 of the split rest
 * (share; set up before, which the unlock publishes to it), or exit. */
static void ix_go(struct hl_builder *b, bool share)
{
	struct hl_ix *x = b->ix;

	pthread_mutex_lock(&x->mu);
	x->go = true;
	x->share = share;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
}

/* Stop the worker and wait for it to end (one step of HL_BUILD_AHEAD_STEP
 * at most, or its share of the split rest): its table is then the builder
 * thread's (the join orders its writes before). */
static void ix_join(struct hl_builder *b)
{
	struct hl_ix *x = b->ix;

	if (x->joined)
		return;
	if (!x->go) {
		ix_publish(b, true);
		ix_go(b, false); /* a parked worker exits */
	}
	pthread_join(x->tid, NULL);
	x->joined = true;
	if (!x->parked)
		hotlist__build_stamp(&hotlist__build_times.joined_ns,
				     &hotlist__build_times.joined_cpu);
	hotlist__build_times.worker_cpu_ns = b->ix->cpu_ns;
	hotlist__build_times.worker_wait_ns = b->ix->wait_ns;
	hotlist__build_times.worker_keys = b->ix->done;
}

/*
 * The rest of phase 1, shared with the parked worker when it is worth it
 * (table.c, "Splitting the rest"): the worker places the keys of the upper
 * half of the buckets while this thread places the lower half's; then the
 * join. Else the worker just exits and finish places the rest here.
 */
static void ix_share(struct hl_builder *b)
{
	struct hl_table_inc *ti = b->ix->ti;
	const bool share = hotlist__table_inc_split(ti, (const void *)b->v, b->n);

	ix_go(b, share);
	if (share) {
		hotlist__table_inc_part(ti, 0, NULL);
		atomic_store_explicit(&b->ix->steal, true, memory_order_relaxed);
		const uint64_t w0 = hotlist__build_times.on ? hotlist__now_ns() : 0;
		ix_join(b); /* the rest of its share, if any: inc_finish, here */
		if (hotlist__build_times.on)
			hotlist__build_times.split_wait_ns = hotlist__now_ns() - w0;
	}
	ix_join(b);
}

/* Join the worker (if any) and drop what it built. */
static void ix_drop(struct hl_builder *b)
{
	if (!b->ix)
		return;
	ix_join(b);
	hotlist__table_inc_abort(b->ix->ti);
	pthread_cond_destroy(&b->ix->cv);
	pthread_cond_destroy(&b->ix->cv_b);
	pthread_mutex_destroy(&b->ix->mu);
	hotlist__free(b->a, b->ix, sizeof(*b->ix));
	b->ix = NULL;
}

/*
 * Whether the worker would have a CPU to itself: more than one online, and
 * two readings that both count the calling thread. The threads runnable
 * now (/proc/loadavg's fourth field, "runnable/total") must leave a CPU
 * free, at most the CPUs less one; and the 1-minute load average must be
 * below the CPUs less one half, so that a lull of a moment on a busy
 * machine does not start it. Where the run queues already fill every CPU
 * the worker only takes turns with the caller and other processes, and
 * the caller then waits for it: on the 2-vCPU VM at load 4-6 a 1 M replace
 * took ~40 % longer and ~30 % more CPU with it than without
 * (docs/PERFORMANCE.md, "Third pass"). The average alone decided before,
 * against CPUs less one: a caller busy for the last minute (a loop of
 * replaces) brings it to ~1.0 by itself, and 1.03 on an otherwise idle
 * 2-CPU machine refused the worker, a 10 M replace then taking ~1.8x as
 * long (docs/PERFORMANCE.md, "Building ahead, and the load"). Without
 * /proc/loadavg (runnable < 0), the average against CPUs less one.
 */
bool hotlist__worker_cpu_free(long cpus, double load1, long runnable)
{
	if (cpus <= 1)
		return false;
	if (runnable < 0)
		return load1 <= (double)(cpus - 1);
	return runnable <= cpus - 1 && load1 < (double)cpus - 0.5;
}

long hotlist__runnable_parse(const char *s)
{
	/* "0.52 0.58 0.59 3/456 7890": three averages, then runnable/total */
	for (int field = 0; field < 3; field++) {
		while (*s == ' ')
			s++;
		if (*s == '\0' || *s == ' ')
			return -1;
		while (*s != ' ' && *s != '\0')
			s++;
	}
	while (*s == ' ')
		s++;
	long n = 0;
	const char *d = s;
	for (; *s >= '0' && *s <= '9' && n < 1000000; s++)
		n = n * 10 + (*s - '0');
	return s > d && *s == '/' ? n : -1;
}

/* The threads runnable now, the caller included, or -1 if unknown. */
static long runnable_now(void)
{
	char buf[128];
	int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	return hotlist__runnable_parse(buf);
}

static bool idle_cpu(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double load;
	return cpus > 1 && getloadavg(&load, 1) == 1 &&
	       hotlist__worker_cpu_free(cpus, load, runnable_now());
}

void hotlist__builder_index_ahead(struct hl_builder *b, uint64_t seed, unsigned threads)
{
	const size_t min = hotlist__build_ahead_min;
	if (threads == 1 || b->ix || b->n || !b->cap || b->cap < min ||
	    (min && threads == 0 && !idle_cpu()))
		return;
	struct hl_ix *x = hotlist__zalloc(b->a, sizeof(*x), _Alignof(struct hl_ix));
	if (!x)
		return;
	atomic_init(&x->stop, false);
	atomic_init(&x->steal, false);
	if (hotlist__table_inc_begin(&x->ti, b->v, sizeof(*b->v), b->cap, seed, &x->dups, b->a)) {
		hotlist__free(b->a, x, sizeof(*x));
		return;
	}
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	pthread_cond_init(&x->cv_b, NULL);
	sigset_t all, old;
	sigfillset(&all);
	/* the thread inherits the mask: it never takes a signal */
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&x->tid, NULL, ix_main, x);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) { /* finish builds the index itself */
		hotlist__table_inc_abort(x->ti);
		pthread_cond_destroy(&x->cv);
		pthread_cond_destroy(&x->cv_b);
		pthread_mutex_destroy(&x->mu);
		hotlist__free(b->a, x, sizeof(*x));
		return;
	}
	b->ix = x;
	b->ix_published = 0;
}

void hotlist__builder_init(struct hl_builder *b, const struct hotlist_allocator *a)
{
	memset(b, 0, sizeof(*b));
	b->a = a;
}

void hotlist__builder_fini(struct hl_builder *b)
{
	ix_drop(b);
	hotlist__free(b->a, b->v, b->cap * sizeof(*b->v));
	hotlist__free(b->a, b->strings, b->scap);
	b->v = NULL;
	b->strings = NULL;
	b->n = b->cap = b->slen = b->scap = 0;
	b->cat_next = 0;
	memset(b->cat_len, 0, sizeof(b->cat_len));
	b->win_next = 0;
	memset(b->win_off, 0, sizeof(b->win_off));
	b->last_cat = 0;
	b->patterns = false;
}

/* Move an array allocated with hotlist__alloc to one of ncap items. */
static void *resize(const struct hotlist_allocator *a, void *p, size_t *cap, size_t ncap,
		    size_t size)
{
	void *np = hotlist__alloc(a, ncap * size, 16);
	if (!np)
		return NULL;
	if (p) {
		memcpy(np, p, *cap * size);
		hotlist__free(a, p, *cap * size);
	}
	*cap = ncap;
	return np;
}

/* Grow an array allocated with hotlist__alloc to hold at least need items
 * (doubling: appends stay amortised O(1)). */
static void *grow(const struct hotlist_allocator *a, void *p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : HL_GROW_MIN;
	while (ncap < need)
		ncap *= 2;
	return resize(a, p, cap, ncap, size);
}

/* Exactly the size asked (not the next doubling, up to twice as much: the
 * base would then trim it with a copy of the whole array). */
int hotlist__builder_reserve(struct hl_builder *b, size_t n, size_t text_bytes)
{
	if (n > b->cap) {
		ix_drop(b); /* the worker reads v in place */
		struct hl_meta *nv = resize(b->a, b->v, &b->cap, n, sizeof(*b->v));
		if (!nv)
			return HOTLIST_ENOMEM;
		b->v = nv;
	}
	if (text_bytes > b->scap) {
		char *ns = resize(b->a, b->strings, &b->scap, text_bytes, 1);
		if (!ns)
			return HOTLIST_ENOMEM;
		b->strings = ns;
	}
	return 0;
}

/* Append a string (len bytes + NUL) to the arena; returns its offset or -1. */
static int64_t put_str(struct hl_builder *b, const char *s, size_t len)
{
	if (b->slen == 0) { /* offset 0 is the empty string */
		if (!b->strings) {
			b->strings = grow(b->a, NULL, &b->scap, 4096, 1);
			if (!b->strings)
				return -1;
		}
		b->strings[0] = '\0';
		b->slen = 1;
	}
	if (len == 0)
		return 0;
	if (b->slen + len + 1 > UINT32_MAX)
		return -1;
	if (b->slen + len + 1 > b->scap) {
		char *ns = grow(b->a, b->strings, &b->scap, b->slen + len + 1, 1);
		if (!ns)
			return -1;
		b->strings = ns;
	}
	int64_t off = (int64_t)b->slen;
	memcpy(b->strings + b->slen, s, len);
	b->strings[b->slen + len] = '\0';
	b->slen += len + 1;
	return off;
}

/* Append len raw bytes to the arena; returns their offset or -1. */
static int64_t put_bytes(struct hl_builder *b, const void *s, size_t len)
{
	if (put_str(b, "", 0) < 0) /* the arena exists, offset 0 is "" */
		return -1;
	if (b->slen + len > UINT32_MAX)
		return -1;
	if (b->slen + len > b->scap) {
		char *ns = grow(b->a, b->strings, &b->scap, b->slen + len, 1);
		if (!ns)
			return -1;
		b->strings = ns;
	}
	int64_t off = (int64_t)b->slen;
	memcpy(b->strings + b->slen, s, len);
	b->slen += len;
	return off;
}

/* Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF). */
static int utf8_ok(const unsigned char *s, size_t len)
{
	static const unsigned min_cp[4] = { 0, 0x80, 0x800, 0x10000 };
	size_t i = 0;
	for (uint64_t w; i + 8 <= len; i += 8) { /* ASCII, 8 bytes at a time */
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < len) {
		unsigned c = s[i], n;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			n = 1, c &= 0x1F;
		else if ((c & 0xF0) == 0xE0)
			n = 2, c &= 0x0F;
		else if ((c & 0xF8) == 0xF0)
			n = 3, c &= 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3F);
		}
		if (c < min_cp[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* A category offset, reusing one of the last HL_CATEGORY_CACHE distinct
 * ones stored (lists repeat a handful). */
static int64_t put_category(struct hl_builder *b, const char *s, size_t len)
{
	if (len == 0)
		return 0; /* offset 0 is "" (and s may be NULL) */
	for (unsigned i = 0; i < HL_CATEGORY_CACHE; i++)
		if (b->cat_len[i] == len && memcmp(b->strings + b->cat_off[i], s, len) == 0)
			return b->cat_off[i];
	int64_t off = put_str(b, s, len);
	if (off > 0) {
		b->cat_off[b->cat_next] = (uint32_t)off;
		b->cat_len[b->cat_next] = (uint32_t)len;
		b->cat_next = (b->cat_next + 1) % HL_CATEGORY_CACHE;
	}
	return off;
}

/* The offset of window {from, expires} (16 bytes), reusing one of the last
 * HL_WINDOW_CACHE distinct ones stored; -1: out of memory. */
static int64_t put_window(struct hl_builder *b, int64_t from, int64_t expires)
{
	for (unsigned i = 0; i < HL_WINDOW_CACHE; i++)
		if (b->win_off[i] && b->win[i][0] == from && b->win[i][1] == expires)
			return b->win_off[i];
	const int64_t w[2] = { from, expires };
	int64_t off = put_bytes(b, w, sizeof(w));
	if (off > 0) {
		b->win_off[b->win_next] = (uint32_t)off;
		b->win[b->win_next][0] = from;
		b->win[b->win_next][1] = expires;
		b->win_next = (b->win_next + 1) % HL_WINDOW_CACHE;
	}
	return off;
}

static int text_field(const char *s, const char *what, size_t *len, char *reason)
{
	*len = s ? strnlen(s, HL_TEXT_MAX + 1) : 0;
	if (*len > HL_TEXT_MAX) {
		snprintf(reason, 96, "%s longer than %u bytes", what, HL_TEXT_MAX);
		return HOTLIST_EINVAL;
	}
	if (*len && !utf8_ok((const unsigned char *)s, *len)) {
		snprintf(reason, 96, "%s is not valid UTF-8", what);
		return HOTLIST_EINVAL;
	}
	return 0;
}

/* The id and attributes of e: 1 if it has any, 0 if none, or a negative code. */
static int check_extras(const struct hotlist_entry *e, char *reason)
{
	size_t len;
	int any = 0;
	if (e->id && e->id[0]) {
		if (text_field(e->id, "id", &len, reason))
			return HOTLIST_EINVAL;
		if (len > HOTLIST_ID_MAX) {
			snprintf(reason, 96, "id longer than %d bytes", HOTLIST_ID_MAX);
			return HOTLIST_EINVAL;
		}
		any = 1;
	}
	if (e->n_attrs && !e->attrs) {
		snprintf(reason, 96, "n_attrs without attrs");
		return HOTLIST_EINVAL;
	}
	if (e->n_attrs > HOTLIST_ATTRS_MAX) {
		snprintf(reason, 96, "more than %d attributes", HOTLIST_ATTRS_MAX);
		return HOTLIST_EINVAL;
	}
	for (unsigned i = 0; i < e->n_attrs; i++) {
		const struct hotlist_attr *a = &e->attrs[i];
		if (!a->name || !a->name[0] ||
		    text_field(a->name, "attribute name", &len, reason) ||
		    len > HOTLIST_ATTR_NAME_MAX) {
			snprintf(reason, 96, "attribute %u: empty, too long or bad name", i + 1);
			return HOTLIST_EINVAL;
		}
		for (unsigned j = 0; j < i; j++)
			if (strcmp(e->attrs[j].name, a->name) == 0) {
				snprintf(reason, 96, "attribute \"%.40s\" given twice", a->name);
				return HOTLIST_EINVAL;
			}
		if (text_field(a->value, "attribute value", &len, reason))
			return HOTLIST_EINVAL;
		any |= len > 0;
	}
	return any;
}

/* An attribute name's offset, stored once while the cache holds it. */
static int64_t put_name(struct hl_builder *b, const char *name)
{
	const unsigned cap = sizeof(b->names) / sizeof(b->names[0]);
	for (unsigned i = 0; i < b->n_names; i++)
		if (strcmp(b->strings + b->names[i], name) == 0)
			return b->names[i];
	int64_t off = put_str(b, name, strlen(name));
	if (off <= 0)
		return -1;
	if (b->n_names < cap)
		b->names[b->n_names++] = (uint32_t)off;
	else
		b->names[b->next_name++ % cap] = (uint32_t)off;
	return off;
}

/* The names of e's attributes with a value, stored before the entry's
 * strings (the extras record must follow its reference directly). */
static int put_names(struct hl_builder *b, const struct hotlist_entry *e, int64_t *name_off)
{
	for (unsigned i = 0; i < e->n_attrs; i++) {
		const struct hotlist_attr *a = &e->attrs[i];
		if (a->value && a->value[0] && (name_off[i] = put_name(b, a->name)) < 0)
			return -1;
	}
	return 0;
}

/* The extras record of e (see "Extras" above), after its reference. */
static int put_extras(struct hl_builder *b, const struct hotlist_entry *e, const int64_t *name_off)
{
	const char *id = e->id ? e->id : "";
	uint8_t n = 0;
	for (unsigned i = 0; i < e->n_attrs; i++)
		n += e->attrs[i].value && e->attrs[i].value[0];
	if (put_bytes(b, id, strlen(id) + 1) < 0 || put_bytes(b, &n, 1) < 0)
		return -1;
	for (unsigned i = 0; i < e->n_attrs; i++) {
		const struct hotlist_attr *a = &e->attrs[i];
		if (!a->value || !a->value[0])
			continue;
		uint32_t off = (uint32_t)name_off[i];
		if (put_bytes(b, &off, 4) < 0 || put_bytes(b, a->value, strlen(a->value) + 1) < 0)
			return -1;
	}
	return 0;
}

/* Where the extras record of entry m starts in b's strings, and its length. */
static size_t extras_at(const struct hl_base *b, const struct hl_meta *m, size_t *len)
{
	const char *s = b->strings, *ref = hl_meta_reference(b, m);
	size_t start = (size_t)(ref - s) + strlen(ref) + 1, p = start;
	p += strlen(s + p) + 1;
	unsigned n = (uint8_t)s[p++];
	for (unsigned i = 0; i < n; i++) {
		p += 4;
		p += strlen(s + p) + 1;
	}
	*len = p - start;
	return start;
}

unsigned hotlist__meta_extras(const struct hl_base *b, const struct hl_meta *m, const char **id,
			      struct hotlist_attr *attrs)
{
	*id = "";
	if (!(m->flags & HL_M_EXTRA))
		return 0;
	const char *s = b->strings;
	size_t len, p = extras_at(b, m, &len);
	*id = s + p;
	p += strlen(s + p) + 1;
	unsigned n = (uint8_t)s[p++];
	for (unsigned i = 0; i < n; i++) {
		uint32_t off;
		memcpy(&off, s + p, 4);
		attrs[i].name = s + off;
		attrs[i].value = s + p + 4;
		p += 4 + strlen(s + p + 4) + 1;
	}
	return n;
}

/* Validate e's plate, country, priority and window into m (key, country,
 * priority, HL_M_COVERT, HL_M_PATTERN, HL_M_PLATE, HL_M_WINDOW). */
static int check_entry(const struct hotlist_entry *e, struct hl_meta *m, char *reason)
{
	char norm[HOTLIST_PLATE_MAX + 1];
	if (!e->plate) {
		snprintf(reason, 96, "no plate");
		return HOTLIST_EPLATE;
	}
	struct hl_key k;
	/* a plate already in normal form (a list exported normalised): its own key text, no
	 * pattern, nothing to normalise or compare */
	bool plain = hotlist__key_pack_plain(e->plate, &k) > 0;
	bool pattern = !plain && hotlist__is_pattern(e->plate);
	int len = plain	  ? 1 :
		  pattern ? hotlist__pattern_normalise(e->plate, norm) :
			    hotlist__normalise_plate(e->plate, norm);
	if (len < 0) {
		snprintf(reason, 96, "plate \"%.40s\" is empty, too long or not a plate", e->plate);
		return HOTLIST_EPLATE;
	}
	if (hotlist__parse_country(e->country, &m->country) < 0) {
		snprintf(reason, 96, "country \"%.16s\" is not an ISO 3166 code", e->country);
		return HOTLIST_ECOUNTRY;
	}
	if (e->priority > HOTLIST_PRIORITY_MAX) {
		snprintf(reason, 96, "priority %u is above %d", e->priority, HOTLIST_PRIORITY_MAX);
		return HOTLIST_EINVAL;
	}
	if (e->expires_us && e->expires_us <= e->valid_from_us) {
		snprintf(reason, 96, "expires before it is valid");
		return HOTLIST_EINVAL;
	}
	if (pattern)
		hotlist__key_pack_pattern(norm, (size_t)len, &k);
	else if (!plain)
		hotlist__key_pack(norm, (size_t)len, &k);
	m->key_lo = k.lo;
	m->key_hi = k.hi;
	m->priority = (uint8_t)e->priority;
	/* a hit gives back hotlist__key_unpack's text when the plate is not
	 * stored: for a plate that is norm, a pattern that is what unpack
	 * makes of its codes */
	if (pattern)
		hotlist__key_unpack(&k, norm);
	bool as_key = plain || strcmp(norm, e->plate) == 0;
	m->flags = (uint8_t)((e->covert ? HL_M_COVERT : 0) | (pattern ? HL_M_PATTERN : 0) |
			     (as_key ? 0 : HL_M_PLATE) |
			     (e->valid_from_us || e->expires_us ? HL_M_WINDOW : 0));
	return 0;
}

/* Append len bytes of s and a NUL to the arena; returns their offset or -1
 * (unlike put_str, "" is stored afresh). */
static int64_t put_cstr(struct hl_builder *b, const char *s, size_t len)
{
	int64_t off = put_bytes(b, s, len);
	return off < 0 || put_bytes(b, "", 1) < 0 ? -1 : off;
}

/* The tail of entry m (list.h) into the arena: m->tail_off, 0 or -1. */
static int put_tail(struct hl_builder *b, const struct hotlist_entry *e, size_t rlen,
		    const int64_t *name_off, struct hl_meta *m)
{
	int64_t w = 0;
	if ((m->flags & HL_M_WINDOW) && (w = put_window(b, e->valid_from_us, e->expires_us)) < 0)
		return -1;
	if (!(m->flags & HL_M_TAIL) && rlen == 0) {
		m->tail_off = 0; /* the "" at offset 0 */
		return 0;
	}
	if (put_str(b, "", 0) < 0) /* offset 0 exists before the tail */
		return -1;
	if (b->slen > UINT32_MAX)
		return -1;
	m->tail_off = (uint32_t)b->slen;
	uint32_t w32 = (uint32_t)w;
	if ((m->flags & HL_M_WINDOW) && put_bytes(b, &w32, sizeof(w32)) < 0)
		return -1;
	if ((m->flags & HL_M_PLATE) && put_cstr(b, e->plate, strlen(e->plate)) < 0)
		return -1;
	if (put_cstr(b, e->reference ? e->reference : "", rlen) < 0)
		return -1;
	return (m->flags & HL_M_EXTRA) ? put_extras(b, e, name_off) : 0;
}

int hotlist__builder_add(struct hl_builder *b, const struct hotlist_entry *e, unsigned flags,
			 char *reason)
{
	/* The record is written in place, in the slot past the last entry
	 * (it counts once b->n moves over it), or on the stack when the array
	 * is full (copied once it has grown). Built on the stack and copied
	 * every time, its fields' narrow stores and the copy's wide loads
	 * stalled on store forwarding: about a fifth of the add pass's own time
	 * in a profile (docs/PERFORMANCE.md, "Fifth pass"). */
	struct hl_meta spare, *const m = b->n < b->cap ? &b->v[b->n] : &spare;
	size_t clen = 0, rlen = 0;
	memset(m, 0, sizeof(*m));
	int rc = check_entry(e, m, reason);
	/* the previous entry's category again (most lists have a handful, in
	 * runs): already checked and stored, one compare instead of a length,
	 * a UTF-8 check and a search of the cache */
	int64_t c = -1;
	if (b->last_cat && e->category &&
	    ((b->fixed_input && e->category == b->last_cat_in) ||
	     strcmp(e->category, b->strings + b->last_cat) == 0))
		c = b->last_cat;
	if (!rc && c < 0)
		rc = text_field(e->category, "category", &clen, reason);
	if (!rc && e->reference && e->reference[0]) /* most entries have none */
		rc = text_field(e->reference, "reference", &rlen, reason);
	int extra = rc ? rc : check_extras(e, reason);
	if (extra < 0)
		return extra;
	m->flags |= (uint8_t)(flags | HL_M_LAST |
			      (extra ? HL_M_EXTRA : 0)); /* a run of one until grouped */
	int64_t name_off[HOTLIST_ATTRS_MAX];
	if (extra && put_names(b, e, name_off) < 0)
		goto nomem;
	if (c < 0 && (c = put_category(b, e->category, clen)) < 0)
		goto nomem;
	if (put_tail(b, e, rlen, name_off, m) < 0)
		goto nomem;
	m->category_off = (uint32_t)c;
	b->last_cat = m->category_off;
	b->last_cat_in = e->category;
	b->patterns |= (m->flags & HL_M_PATTERN) != 0;
	if (m == &spare) {
		ix_drop(b); /* the worker reads v in place */
		struct hl_meta *nv = grow(b->a, b->v, &b->cap, b->n + 1, sizeof(*b->v));
		if (!nv)
			goto nomem;
		b->v = nv;
		b->v[b->n] = spare;
	}
	b->n++;
	if (b->ix && b->n - b->ix_published >= HL_BUILD_AHEAD_CHUNK)
		ix_publish(b, false);
	return 0;
nomem:
	b->failed = HOTLIST_ENOMEM;
	snprintf(reason, 96, "out of memory");
	return HOTLIST_ENOMEM;
}

int hotlist__builder_add_meta(struct hl_builder *b, const struct hl_base *base, uint32_t i)
{
	const struct hl_meta *m = &base->meta[i];
	char reason[96], plate[HOTLIST_PLATE_MAX + 1];
	struct hotlist_entry e = {
		.plate = hl_meta_plate(base, m, plate),
		.category = hl_meta_category(base, m),
		.reference = hl_meta_reference(base, m),
		.priority = m->priority,
		.covert = (m->flags & HL_M_COVERT) != 0,
	};
	hl_meta_window(base, m, &e.valid_from_us, &e.expires_us);
	char cc[3];
	struct hotlist_attr attrs[HOTLIST_ATTRS_MAX];
	hotlist__country_str(m->country, cc);
	e.country = cc;
	e.n_attrs = hotlist__meta_extras(base, m, &e.id, attrs);
	e.attrs = attrs;
	int rc = hotlist__builder_add(
		b, &e, m->flags & ~(HL_M_COVERT | HL_M_LAST | HL_M_PATTERN | HL_M_TAIL), reason);
	return rc == HOTLIST_ENOMEM ? rc : 0;
}

/* Equal extras records (names compared by offset: a list's names are few
 * and stored once, so equal names mostly share one; two offsets of one name
 * only make two rows count as different, never merge different ones). */
static int same_extras(const struct hl_base *b, const struct hl_meta *p, const struct hl_meta *q)
{
	if (!(p->flags & HL_M_EXTRA))
		return 1; /* flags are compared first: neither has extras */
	size_t lp, lq, ap = extras_at(b, p, &lp), aq = extras_at(b, q, &lq);
	return lp == lq && memcmp(b->strings + ap, b->strings + aq, lp) == 0;
}

/* The strings of p and q (both with the same flags) are equal: window
 * values (two offsets of one window are possible), plate, category,
 * reference, extras. */
static int same_strings(const struct hl_base *b, const struct hl_meta *p, const struct hl_meta *q)
{
	int64_t pf, pe, qf, qe;
	char pb[HOTLIST_PLATE_MAX + 1], qb[HOTLIST_PLATE_MAX + 1];
	hl_meta_window(b, p, &pf, &pe);
	hl_meta_window(b, q, &qf, &qe);
	return pf == qf && pe == qe &&
	       strcmp(hl_meta_plate(b, p, pb), hl_meta_plate(b, q, qb)) == 0 &&
	       strcmp(hl_meta_category(b, p), hl_meta_category(b, q)) == 0 &&
	       strcmp(hl_meta_reference(b, p), hl_meta_reference(b, q)) == 0 &&
	       same_extras(b, p, q);
}

static int same_entry(const struct hl_builder *b, const struct hl_meta *p, const struct hl_meta *q)
{
	/* the strings read through a base's accessors: only its strings field
	 * is used */
	const struct hl_base sb = { .strings = b->strings };
	return p->key_lo == q->key_lo && p->key_hi == q->key_hi && p->country == q->country &&
	       p->priority == q->priority && p->flags == q->flags && same_strings(&sb, p, q);
}

/* Grouping of the entries whose plate was met more than once (only built
 * when the index build reported second copies). Per entry j: next[j] is the
 * next entry of j's group (HL_TABLE_NONE at its end, HL_DROPPED if j was
 * merged or over the cap); for a group head, tail[j] is its last entry and
 * count[j] its size; count[j] is 0 for every entry that is not a head. */
struct grouping {
	uint32_t *next, *tail, *count;
};

#define HL_DROPPED (HL_TABLE_NONE - 1)

static void grouping_free(const struct hl_builder *b, struct grouping *g, size_t n)
{
	hotlist__free(b->a, g->next, n * sizeof(uint32_t));
	hotlist__free(b->a, g->tail, n * sizeof(uint32_t));
	hotlist__free(b->a, g->count, n * sizeof(uint32_t));
}

static int grouping_init(const struct hl_builder *b, struct grouping *g, size_t n)
{
	g->next = hotlist__alloc(b->a, n * sizeof(uint32_t), 64);
	g->tail = hotlist__alloc(b->a, n * sizeof(uint32_t), 64);
	g->count = hotlist__alloc(b->a, n * sizeof(uint32_t), 64);
	if (!g->next || !g->tail || !g->count) {
		grouping_free(b, g, n);
		return HOTLIST_ENOMEM;
	}
	for (size_t j = 0; j < n; j++) {
		g->next[j] = HL_TABLE_NONE;
		g->tail[j] = (uint32_t)j;
		g->count[j] = 1;
	}
	return 0;
}

/* Add j to the group of head h: merged with an identical entry, dropped
 * past HL_RUN_MAX, or appended. */
static void group_join(const struct hl_builder *b, struct grouping *g, uint32_t h, uint32_t j,
		       uint64_t *merged)
{
	g->count[j] = 0; /* not a head */
	for (uint32_t x = h; x != HL_TABLE_NONE; x = g->next[x]) {
		if (same_entry(b, &b->v[x], &b->v[j])) {
			(*merged)++;
			g->next[j] = HL_DROPPED;
			return;
		}
	}
	if (g->count[h] >= HL_RUN_MAX) {
		g->next[j] = HL_DROPPED;
		return;
	}
	g->next[g->tail[h]] = j;
	g->tail[h] = j;
	g->count[h]++;
}

/* Every second copy joins its group, in input order (the two sorted runs
 * of d merged), so that which entry is merged or dropped, and the order
 * within a run, are those of the file. Returns the entries left out. */
static size_t group_dups(const struct hl_builder *b, struct grouping *g,
			 const struct hl_table_dups *d, uint64_t *merged)
{
	size_t i = 0, k = d->phase1, dropped = 0;
	while (i < d->phase1 || k < d->n) {
		size_t p = (k >= d->n || (i < d->phase1 && d->pairs[2 * i] < d->pairs[2 * k])) ?
				   i++ :
				   k++;
		uint32_t j = d->pairs[2 * p], h = d->pairs[2 * p + 1];
		group_join(b, g, h, j, merged);
		dropped += g->next[j] == HL_DROPPED;
	}
	return dropped;
}

/* Lay the groups out in order of first appearance into meta (kept entries);
 * tail[head] becomes the index of its run, for hotlist__table_remap. */
static void lay_out(const struct hl_builder *b, struct grouping *g, struct hl_meta *meta)
{
	uint32_t n = 0;
	for (uint32_t j = 0; j < b->n; j++) {
		if (!g->count[j])
			continue; /* merged, dropped, or not a group head */
		g->tail[j] = n;
		for (uint32_t x = j; x != HL_TABLE_NONE; x = g->next[x]) {
			meta[n] = b->v[x];
			meta[n].flags &= (uint8_t)~HL_M_LAST;
			n++;
		}
		meta[n - 1].flags |= HL_M_LAST;
	}
}

/* Several entries for some plates: group them (see the top of the file);
 * base->meta becomes a new array of the kept entries, the index's values
 * are renumbered. 0 or HOTLIST_ENOMEM. */
static int regroup(struct hl_builder *b, struct hl_base *base, const struct hl_table_dups *d,
		   uint64_t *merged, size_t *dropped)
{
	struct grouping g;
	size_t n = b->n;
	if (grouping_init(b, &g, n))
		return HOTLIST_ENOMEM;
	*dropped = group_dups(b, &g, d, merged);
	size_t kept = n - *dropped;
	struct hl_meta *meta = hotlist__alloc(b->a, kept * sizeof(*meta), 64);
	if (!meta) {
		grouping_free(b, &g, n);
		return HOTLIST_ENOMEM;
	}
	lay_out(b, &g, meta);
	hotlist__table_remap(base->index, g.tail);
	grouping_free(b, &g, n);
	base->meta = meta;
	base->meta_bytes = kept * sizeof(*meta);
	base->n_meta = (uint32_t)kept;
	return 0;
}

/* Capacity left over by more than this share (and HL_SLACK_MIN bytes) is
 * given back before the arrays become a base: a copy of the used part,
 * cheaper than keeping an edit layer's 1024-entry minimum, or half of a
 * doubled array, for the life of the list. */
#define HL_SLACK_DIV 8u
#define HL_SLACK_MIN 4096u

static bool too_slack(size_t used, size_t cap)
{
	return cap - used > HL_SLACK_MIN && cap - used > used / HL_SLACK_DIV;
}

/* Shrink v and strings to what is used when too_slack. 0 or HOTLIST_ENOMEM
 * (then both are as they were). */
static int builder_trim(struct hl_builder *b)
{
	if (too_slack(b->n * sizeof(*b->v), b->cap * sizeof(*b->v))) {
		size_t cap = b->n ? b->n : 1;
		struct hl_meta *v = hotlist__alloc(b->a, cap * sizeof(*v), 16);
		if (!v)
			return HOTLIST_ENOMEM;
		memcpy(v, b->v, b->n * sizeof(*v));
		hotlist__free(b->a, b->v, b->cap * sizeof(*b->v));
		b->v = v;
		b->cap = cap;
	}
	if (too_slack(b->slen, b->scap)) {
		char *str = hotlist__alloc(b->a, b->slen, 16);
		if (!str)
			return HOTLIST_ENOMEM;
		memcpy(str, b->strings, b->slen);
		hotlist__free(b->a, b->strings, b->scap);
		b->strings = str;
		b->scap = b->slen;
	}
	return 0;
}

/* A base that takes the builder's entry array and string arena over (no
 * copy: at 10 M entries they are most of a gigabyte); the caller replaces
 * meta if it regroups. NULL: out of memory, the builder keeps both. */
static struct hl_base *base_alloc(struct hl_builder *b)
{
	struct hl_base *base = hotlist__zalloc(b->a, sizeof(*base), 64);
	if (!base)
		return NULL;
	if ((b->slen == 0 && put_str(b, "", 0) < 0) ||
	    (!b->v && !(b->v = grow(b->a, NULL, &b->cap, 1, sizeof(*b->v)))) || builder_trim(b)) {
		hotlist__free(b->a, base, sizeof(*base));
		return NULL;
	}
	base->meta = b->v;
	base->meta_bytes = b->cap * sizeof(*b->v);
	base->n_meta = (uint32_t)b->n;
	base->strings = b->strings;
	base->strings_len = b->scap; /* what was allocated, what is freed */
	atomic_init(&base->refs, 1);
	return base;
}

/* The builder's arrays, now the base's (or freed with it). */
static void builder_release(struct hl_builder *b)
{
	b->v = NULL;
	b->strings = NULL;
	b->n = b->cap = b->slen = b->scap = 0;
}

static int is_pattern_run(const struct hl_base *b, uint32_t i)
{
	return (i == 0 || (b->meta[i - 1].flags & HL_M_LAST)) && (b->meta[i].flags & HL_M_PATTERN);
}

/* The pattern store of base (NULL when it has no pattern entry): its pattern
 * runs' keys and indexes, handed to pattern.c. any: some entry added was a
 * pattern (else nothing to look for: a pass over every record saved). */
static int build_patterns(struct hl_base *base, bool any, const struct hotlist_allocator *a)
{
	uint32_t n = 0;
	if (!any)
		return 0;
	for (uint32_t i = 0; i < base->n_meta; i++)
		n += (uint32_t)is_pattern_run(base, i);
	if (!n)
		return 0;
	struct hl_key *keys = hotlist__alloc(a, n * sizeof(*keys), 8);
	uint32_t *runs = hotlist__alloc(a, n * sizeof(*runs), 4);
	int rc = HOTLIST_ENOMEM;
	if (keys && runs) {
		for (uint32_t i = 0, j = 0; i < base->n_meta; i++) {
			if (is_pattern_run(base, i)) {
				keys[j] = hl_meta_key(&base->meta[i]);
				runs[j++] = i;
			}
		}
		rc = hotlist__patterns_build(&base->patterns, keys, runs, n, a);
	}
	hotlist__free(a, keys, n * sizeof(*keys));
	hotlist__free(a, runs, n * sizeof(*runs));
	return rc;
}

int hotlist__builder_finish(struct hl_builder *b, uint64_t seed, struct hl_base **out,
			    uint64_t *duplicates, uint64_t *overflow)
{
	struct hl_table_dups d0, *d = &d0;
	uint64_t merged = 0;
	size_t n = b->n, dropped = 0;
	hotlist__build_stamp(&hotlist__build_times.added_ns, &hotlist__build_times.added_cpu);
	hotlist__build_times.n_keys = n;
	if (b->failed || n >= HL_DROPPED) {
		ix_drop(b);
		return b->failed ? b->failed : HOTLIST_ENOSPC;
	}
	if (b->ix)
		ix_park(b); /* its table is this thread's now (base_alloc may move v) */
	struct hl_base *base = base_alloc(b);
	if (!base) {
		ix_drop(b);
		return HOTLIST_ENOMEM;
	}
	int rc;
	if (b->ix) { /* the index built ahead, finished here (it frees ti) */
		ix_share(b);
		d = &b->ix->dups;
		rc = hotlist__table_inc_finish(b->ix->ti, (const void *)b->v, n, &base->index);
		b->ix->ti = NULL;
	} else {
		rc = hotlist__table_build_strided(&base->index, (const void *)b->v, sizeof(*b->v),
						  NULL, n, seed, d, b->a);
	}
	hotlist__build_stamp(&hotlist__build_times.index_ns, &hotlist__build_times.index_cpu);
	if (!rc && d->n)
		rc = regroup(b, base, d, &merged, &dropped);
	hotlist__table_dups_free(d, b->a);
	ix_drop(b);
	if (!rc)
		rc = build_patterns(base, b->patterns, b->a);
	if (rc) {
		/* index and patterns: NULL unless built; the arrays stay the
		 * builder's (fini frees them) */
		if (base->meta != b->v)
			hotlist__free(b->a, base->meta, base->meta_bytes);
		base->meta = NULL;
		base->strings = NULL;
		hotlist__base_put(base, b->a);
		return rc;
	}
	if (base->meta == b->v)
		builder_release(b); /* the base owns both arrays now */
	else {
		b->strings = NULL; /* the base owns the arena; fini frees v */
		b->slen = b->scap = 0;
	}
	base->n_keys = (uint32_t)hotlist__table_count(base->index);
	base->bytes = sizeof(*base) + hotlist__table_bytes(base->index) +
		      hotlist__patterns_bytes(base->patterns) +
		      hotlist__alloc_bytes(base->meta_bytes) +
		      hotlist__alloc_bytes(base->strings_len);
	hotlist__build_stamp(&hotlist__build_times.built_ns, &hotlist__build_times.built_cpu);
	if (duplicates)
		*duplicates = merged;
	if (overflow)
		*overflow = dropped - merged;
	*out = base;
	return 0;
}

uint64_t hotlist__meta_id(const struct hl_base *b, const struct hl_meta *m, uint64_t seed)
{
	const struct {
		uint64_t lo;
		uint32_t hi, country;
	} k = { m->key_lo, m->key_hi, m->country };
	const char *cat = hl_meta_category(b, m);
	return XXH3_64bits_withSeed(cat, strlen(cat), XXH3_64bits_withSeed(&k, sizeof(k), seed));
}

void hotlist__base_put(struct hl_base *base, const struct hotlist_allocator *a)
{
	if (!base)
		return;
	/* acq_rel: the last put must see every other holder's reads done
	 * before it frees (pairs with the other puts' release) */
	if (atomic_fetch_sub_explicit(&base->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (base->index)
		hotlist__table_free(base->index, a);
	hotlist__patterns_free(base->patterns, a);
	hotlist__free(a, base->meta, base->meta_bytes);
	hotlist__free(a, base->strings, base->strings_len);
	hotlist__free(a, base, sizeof(*base));
}
