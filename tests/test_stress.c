/* SPDX-License-Identifier: MIT */
/*
 * Concurrency stress: matching threads (single and batch API) run while a
 * writer replaces lists and puts/removes entries. Invariants checked on
 * every read, with fixed iteration counts (no timing):
 *  1. a plate listed in every version of the list always hits, exactly once
 *     per list (no hit is lost across a change);
 *  2. a plate never listed never hits;
 *  3. a batch sees one version per list: every hit of one batch from list L
 *     carries the same list_version, and that version's marker category;
 *  4. a plate that is put and removed hits at most once per read;
 *  5. the same holds for reads submitted to the asynchronous path meanwhile
 *     (2 producers, 2 workers, a small queue): every one matched, each
 *     always-listed plate hitting both lists exactly once.
 * Run under ThreadSanitizer in CI: data races and use-after-free in the RCU
 * reclamation would show there.
 */
#include "hotlist.h"
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#ifdef HOTLIST_LONG_TESTS
#define ROUNDS 20000
#else
#define ROUNDS 1000
#endif
#define READERS 3
#define PRODUCERS 2
#define ENTRIES 2000
#define BATCH 64

static struct hotlist *hl;
static atomic_bool writer_done;
static char plates[ENTRIES][12];

/* Per-batch record of what was seen. */
struct batch_seen {
	uint64_t version[2];
	char category[2][8];
	int hits_always, hits_never, hits_edit, mismatch;
};

static void on_hit(const struct hotlist_hit *h, void *user)
{
	struct batch_seen *b = user;
	int li = h->list[0] == 'a' ? 0 : 1;
	int edit = strncmp(h->entry_plate, "EDT", 3) == 0;
	if (!b->version[li])
		b->version[li] = h->list_version;
	else if (b->version[li] != h->list_version)
		b->mismatch++;
	if (!edit && !b->category[li][0])
		snprintf(b->category[li], sizeof(b->category[li]), "%s", h->category);
	else if (!edit && strcmp(b->category[li], h->category))
		b->mismatch++;
	if (strncmp(h->entry_plate, "ALW", 3) == 0)
		b->hits_always++;
	else if (strncmp(h->entry_plate, "NEV", 3) == 0)
		b->hits_never++;
	else if (edit)
		b->hits_edit++;
}

/* Version v of a list: ALW0..ALW9 always, plus a slice of the P plates that
 * moves with v; category "v<parity>" marks which version a hit came from. */
static int replace_list(const char *name, int v)
{
	static struct hotlist_entry e[ENTRIES / 2 + 10];
	static char always[10][8];
	const char *cat = v % 2 ? "odd" : "even";
	size_t n = 0;
	for (int i = 0; i < 10; i++) {
		snprintf(always[i], sizeof(always[i]), "ALW%d", i);
		e[n++] = (struct hotlist_entry){ .plate = always[i], .category = cat };
	}
	for (int i = 0; i < ENTRIES / 2; i++)
		e[n++] = (struct hotlist_entry){ .plate = plates[(i + v * 37) % ENTRIES],
						 .category = cat };
	return hotlist_replace(hl, name, e, n, NULL);
}

static void *writer(void *arg)
{
	(void)arg;
	char p[12];
	for (int v = 1; v <= ROUNDS; v++) {
		ck_assert_int_eq(replace_list(v % 3 ? "alpha" : "beta", v), 0);
		snprintf(p, sizeof(p), "EDT%d", v % 5);
		struct hotlist_entry e = { .plate = p, .category = "edit" };
		ck_assert_int_eq(hotlist_put(hl, "alpha", &e), 0);
		if (v % 2)
			ck_assert_int_gt(hotlist_remove(hl, "alpha", p, NULL), 0);
	}
	atomic_store(&writer_done, true);
	return NULL;
}

static void check_batch(const struct batch_seen *b, int reads_always, int reads_edit)
{
	ck_assert_int_eq(b->mismatch, 0);
	ck_assert_int_eq(b->hits_never, 0);
	ck_assert_int_eq(b->hits_always, 2 * reads_always); /* one per list */
	ck_assert_int_le(b->hits_edit, reads_edit);
}

static void *reader(void *arg)
{
	long id = (long)arg, rounds = 0;
	struct hotlist_read r[BATCH];
	char buf[BATCH][12];
	unsigned x = (unsigned)id * 7919u + 1;
	while (!atomic_load(&writer_done) || rounds < 10) {
		int always = 0, edit = 0;
		for (int i = 0; i < BATCH; i++) {
			x = x * 1103515245u + 12345u;
			switch ((x >> 16) % 4) {
			case 0:
				snprintf(buf[i], sizeof(buf[i]), "alw-%u", (x >> 8) % 10);
				always++;
				break;
			case 1:
				snprintf(buf[i], sizeof(buf[i]), "NEV%u", (x >> 8) % 100);
				break;
			case 2:
				snprintf(buf[i], sizeof(buf[i]), "EDT%u", (x >> 8) % 5);
				edit++;
				break;
			default:
				snprintf(buf[i], sizeof(buf[i]), "%s", plates[(x >> 8) % ENTRIES]);
			}
			r[i] = (struct hotlist_read){ .plate = buf[i] };
		}
		struct batch_seen b;
		memset(&b, 0, sizeof(b));
		if (id % 2) {
			hotlist_match_batch(hl, r, BATCH, on_hit, &b);
			check_batch(&b, always, edit);
		} else {
			for (int i = 0; i < BATCH; i++) {
				memset(&b, 0, sizeof(b));
				hotlist_match(hl, &r[i], on_hit, &b);
				ck_assert_int_eq(b.hits_never, 0);
				ck_assert_int_le(b.hits_edit, 1);
				if (strncmp(buf[i], "alw", 3) == 0)
					ck_assert_int_eq(b.hits_always, 2);
			}
		}
		rounds++;
	}
	return NULL;
}

/* The asynchronous path under the same writer: the workers' callbacks
 * count hits of plates present in every version (ALW*) and of plates never
 * listed (NEV*). Every submitted ALW read must hit both lists, exactly. */
static atomic_long async_always, async_never, async_reads;

static void async_hit(const struct hotlist_hit *h, void *user)
{
	(void)user;
	if (strncmp(h->entry_plate, "ALW", 3) == 0)
		atomic_fetch_add(&async_always, 1);
	else if (strncmp(h->entry_plate, "NEV", 3) == 0)
		atomic_fetch_add(&async_never, 1);
}

static void *producer(void *arg)
{
	char plate[12], camera[8];
	long id = (long)arg, n = 0;
	snprintf(camera, sizeof(camera), "cam-%ld", id);
	while (!atomic_load(&writer_done) || n < 100) {
		snprintf(plate, sizeof(plate), n % 2 ? "ALW%ld" : "NEV%ld", n % 10);
		struct hotlist_read r = { .plate = plate, .camera = camera };
		ck_assert_int_eq(hotlist_submit(hl, &r), 0);
		atomic_fetch_add(&async_reads, n % 2);
		n++;
	}
	return NULL;
}

START_TEST(readers_and_writer)
{
	for (int i = 0; i < ENTRIES; i++)
		snprintf(plates[i], sizeof(plates[i]), "P%05d", i * 7);
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 2;
	cfg.queue_capacity = 256;
	cfg.on_hit = async_hit;
	cfg.suppress_window_us = 0;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	ck_assert_int_eq(replace_list("alpha", 0), 0);
	ck_assert_int_eq(replace_list("beta", 0), 0);
	atomic_store(&writer_done, false);
	pthread_t w, r[READERS], p[PRODUCERS];
	for (long i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader, (void *)i);
	for (long i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, producer, (void *)i);
	pthread_create(&w, NULL, writer, NULL);
	pthread_join(w, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	ck_assert_int_eq(hotlist_flush(hl), 0);
	ck_assert_int_eq(atomic_load(&async_never), 0);
	ck_assert_int_eq(atomic_load(&async_always), 2 * atomic_load(&async_reads));
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.refused, 0);
	ck_assert_uint_eq(st.reloads, ROUNDS + 2);
	ck_assert_uint_gt(st.reads, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = tcase_create("rcu");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, readers_and_writer);
	suite_add_tcase(s, tc);
	return hl_test_run(s);
}
