/* SPDX-License-Identifier: MIT */
/*
 * Tests for retroactive hits (lib/retro.c, the change side in lib/load.c
 * and lib/match.c): reads kept in a window and matched against the entries
 * a put, replace or load adds. Times are the reads' capture times, set
 * relative to the wall clock so that the window holds them or not.
 */
#include "engine.h"
#include "retro.h"

#include <check.h>

#include "testutil.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define MIN_US (60 * INT64_C(1000000))

static int64_t wall_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* What the callbacks saw. */
struct seen {
	int hits, retro;
	int64_t ts[16]; /* read->ts_us of the retro hits, in order */
	char plate[16][HOTLIST_PLATE_MAX + 1];
	char camera[16][HOTLIST_CAMERA_MAX + 1];
	char uuid[16][HOTLIST_CAMERA_MAX + 1];
	char country[16][3];
};

static void on_hit(const struct hotlist_hit *h, void *user)
{
	struct seen *s = user;
	s->hits++;
	if (!h->retro)
		return;
	int i = s->retro++;
	if (i >= 16)
		return;
	s->ts[i] = h->read->ts_us;
	snprintf(s->plate[i], sizeof(s->plate[i]), "%s", h->entry_plate);
	snprintf(s->camera[i], sizeof(s->camera[i]), "%s", h->read->camera ? h->read->camera : "");
	snprintf(s->uuid[i], sizeof(s->uuid[i]), "%s", h->read->uuid ? h->read->uuid : "");
	snprintf(s->country[i], sizeof(s->country[i]), "%s", h->read_country);
}

static struct hotlist *engine(struct seen *s, int64_t window_us, size_t max_reads)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.on_hit = on_hit;
	cfg.on_hit_user = s;
	cfg.retro_window_us = window_us;
	cfg.retro_max_reads = max_reads;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	return hl;
}

/* Match one read; the live hits go to the same counters. */
static int read_at(struct hotlist *hl, struct seen *s, const char *plate, const char *country,
		   const char *camera, int64_t ts)
{
	struct hotlist_read r = { .plate = plate,
				  .country = country,
				  .camera = camera,
				  .ts_us = ts,
				  .struct_size = sizeof(r),
				  .uuid = "uuid-1" };
	return hotlist_match(hl, &r, on_hit, s);
}

static int put(struct hotlist *hl, const char *list, const char *plate, const char *country)
{
	struct hotlist_entry e = { .plate = plate, .country = country, .category = "stolen" };
	return hotlist_put(hl, list, &e);
}

START_TEST(test_put_after_read)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 5 * MIN_US, 1024);
	int64_t t = wall_us() - 30 * 1000000; /* captured 30 s ago */
	ck_assert_int_eq(read_at(hl, &s, "ab-12 cd", "nl", "cam-7", t), 0);
	ck_assert_int_eq(read_at(hl, &s, "ZZ99ZZ", "NL", "cam-7", t), 0);
	ck_assert_int_eq(s.hits, 0);
	ck_assert_int_eq(put(hl, "stolen", "AB12CD", "NL"), 0);
	ck_assert_int_eq(s.retro, 1);
	ck_assert_int_eq(s.hits, 1);
	ck_assert(s.ts[0] == t); /* the read's original time */
	ck_assert_str_eq(s.plate[0], "AB12CD");
	ck_assert_str_eq(s.camera[0], "cam-7");
	ck_assert_str_eq(s.uuid[0], "uuid-1");
	ck_assert_str_eq(s.country[0], "NL");
	/* a read after the put hits live, not retro */
	ck_assert_int_eq(read_at(hl, &s, "AB12CD", "NL", "cam-8", 0), 1);
	ck_assert_int_eq(s.retro, 1);
	/* and a second change does not call the first read back again */
	ck_assert_int_eq(put(hl, "stolen", "XY1", NULL), 0);
	ck_assert_int_eq(s.retro, 1);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	ck_assert_int_eq(hotlist_stats(hl, &st), 0);
	ck_assert_uint_eq(st.retro_kept, 3); /* the three reads */
	ck_assert_uint_eq(st.retro_hits, 1);
	ck_assert_uint_eq(st.hits, 2); /* the retro hit and the live one */
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_too_old)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, MIN_US, 1024);
	/* captured two minutes ago: older than the window on arrival */
	ck_assert_int_eq(read_at(hl, &s, "AB12CD", "NL", "cam-7", wall_us() - 2 * MIN_US), 0);
	ck_assert_uint_eq(hotlist__retro_count(hl->retro, wall_us()), 0);
	/* captured just now: kept */
	ck_assert_int_eq(read_at(hl, &s, "EF34GH", "NL", "cam-7", 0), 0);
	ck_assert_uint_eq(hotlist__retro_count(hl->retro, wall_us()), 1);
	ck_assert_int_eq(put(hl, "l", "AB12CD", "NL"), 0);
	ck_assert_int_eq(s.retro, 0);
	ck_assert_int_eq(put(hl, "l", "EF34GH", "NL"), 0);
	ck_assert_int_eq(s.retro, 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_expires_in_ring)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 2 * 1000000, 1024); /* 2-second window */
	ck_assert_int_eq(read_at(hl, &s, "AB12CD", NULL, NULL, wall_us() - 1500000), 0);
	ck_assert_uint_eq(hotlist__retro_count(hl->retro, wall_us()), 1);
	usleep(700000); /* now 2.2 s after its capture: out of the window */
	ck_assert_uint_eq(hotlist__retro_count(hl->retro, wall_us()), 0);
	ck_assert_int_eq(put(hl, "l", "AB12CD", NULL), 0);
	ck_assert_int_eq(s.retro, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_count_bound)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 5 * MIN_US, 4);
	char plates[10][8];
	struct hotlist_entry e[10];
	for (int i = 0; i < 10; i++) {
		snprintf(plates[i], sizeof(plates[i]), "PL%02d", i);
		ck_assert_int_eq(read_at(hl, &s, plates[i], NULL, "cam", 0), 0);
		e[i] = (struct hotlist_entry){ .plate = plates[i] };
	}
	ck_assert_uint_eq(hotlist__retro_count(hl->retro, wall_us()), 4);
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 10, NULL), 0);
	ck_assert_int_eq(s.retro, 4); /* the last four reads only */
	for (int i = 0; i < 4; i++)
		ck_assert(strcmp(s.plate[i], "PL06") >= 0); /* PL06..PL09, in ring order */
	hotlist_destroy(hl, NULL);
}
END_TEST

/* A slot taken over by a read with shorter strings keeps nothing of the
 * previous read's: the retro hit shows the new read's camera, no uuid. */
START_TEST(test_slot_reuse)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 5 * MIN_US, 1);
	struct hotlist_read a = { .plate = "OLD1",
				  .camera = "a-long-camera-name-0123456789-abcdefghijklmnop",
				  .struct_size = sizeof(a),
				  .uuid = "uuid-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				  .site = "site-1" };
	struct hotlist_read b = { .plate = "NEW1", .camera = "cam", .struct_size = sizeof(b) };
	ck_assert_int_eq(hotlist_match(hl, &a, on_hit, &s), 0);
	ck_assert_int_eq(hotlist_match(hl, &b, on_hit, &s), 0);
	ck_assert_int_eq(put(hl, "l", "OLD1", NULL), 0);
	ck_assert_int_eq(s.retro, 0); /* overwritten */
	ck_assert_int_eq(put(hl, "l", "NEW1", NULL), 0);
	ck_assert_int_eq(s.retro, 1);
	ck_assert_str_eq(s.camera[0], "cam");
	ck_assert_str_eq(s.uuid[0], "");
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_off_by_default)
{
	struct seen s = { 0 };
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	ck_assert(cfg.retro_window_us == 0);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.on_hit = on_hit;
	cfg.on_hit_user = &s;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	ck_assert_ptr_null(hl->retro); /* nothing is kept */
	ck_assert_int_eq(read_at(hl, &s, "AB12CD", NULL, "cam", 0), 0);
	ck_assert_int_eq(put(hl, "l", "AB12CD", NULL), 0);
	ck_assert_int_eq(s.hits, 0);
	ck_assert_int_eq(read_at(hl, &s, "AB12CD", NULL, "cam", 0), 1);
	ck_assert_int_eq(s.retro, 0); /* a live hit is not flagged */
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	ck_assert_int_eq(hotlist_stats(hl, &st), 0);
	ck_assert_uint_eq(st.retro_kept, 0);
	ck_assert_uint_eq(st.retro_hits, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_config_checks)
{
	struct hotlist_config cfg;
	struct hotlist *hl = NULL;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.retro_window_us = MIN_US; /* no on_hit to call back */
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
	cfg.on_hit = on_hit;
	cfg.retro_window_us = -1;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), HOTLIST_EINVAL);
	ck_assert_ptr_null(hl);
}
END_TEST

START_TEST(test_replace_new_entries_only)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 5 * MIN_US, 1024);
	struct hotlist_entry a = { .plate = "AAA111", .category = "stolen" };
	struct hotlist_entry ab[2] = { a, { .plate = "BBB222", .category = "stolen" } };
	ck_assert_int_eq(hotlist_replace(hl, "l", &a, 1, NULL), 0);
	ck_assert_int_eq(read_at(hl, &s, "AAA111", NULL, "cam", 0), 1); /* live */
	ck_assert_int_eq(read_at(hl, &s, "BBB222", NULL, "cam", 0), 0);
	ck_assert_int_eq(hotlist_replace(hl, "l", ab, 2, NULL), 0);
	ck_assert_int_eq(s.retro, 1); /* BBB222 only: AAA111 was there already */
	ck_assert_str_eq(s.plate[0], "BBB222");
	ck_assert_int_eq(s.hits, 2);
	/* unchanged across a replace: no second retro hit */
	ck_assert_int_eq(hotlist_replace(hl, "l", ab, 2, NULL), 0);
	ck_assert_int_eq(s.retro, 1);
	/* an update of an entry already listed (same plate, country, category) */
	struct hotlist_entry upd = { .plate = "BBB222", .category = "stolen", .reference = "x" };
	ck_assert_int_eq(hotlist_put(hl, "l", &upd), 0);
	ck_assert_int_eq(s.retro, 1);
	/* another category of the same plate is a new entry */
	struct hotlist_entry other = { .plate = "BBB222", .category = "wanted" };
	ck_assert_int_eq(hotlist_put(hl, "l", &other), 0);
	ck_assert_int_eq(s.retro, 2);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_load_csv)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 5 * MIN_US, 1024);
	char path[] = "/tmp/hl_retro_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char csv[] = "plate,country,category\nQQ123,DE,stolen\nRR456,DE,stolen\n";
	ck_assert_int_eq(write(fd, csv, sizeof(csv) - 1), (int)sizeof(csv) - 1);
	close(fd);
	int64_t t = wall_us() - 1000000;
	ck_assert_int_eq(read_at(hl, &s, "QQ 123", "D", "cam", t), 0);
	ck_assert_int_eq(read_at(hl, &s, "RR456", "NL", "cam", t), 0); /* other country */
	ck_assert_int_eq(hotlist_load_csv(hl, "file", path, NULL), 0);
	unlink(path);
	ck_assert_int_eq(s.retro, 1);
	ck_assert_str_eq(s.plate[0], "QQ123");
	ck_assert_str_eq(s.country[0], "DE");
	ck_assert(s.ts[0] == t);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_validity_at_capture)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 5 * MIN_US, 1024);
	int64_t t = wall_us() - MIN_US;
	ck_assert_int_eq(read_at(hl, &s, "VAL1", NULL, "cam", t), 0);
	ck_assert_int_eq(read_at(hl, &s, "VAL2", NULL, "cam", t), 0);
	/* valid from after the capture: the car was not wanted yet */
	struct hotlist_entry e1 = { .plate = "VAL1", .valid_from_us = t + 1 };
	ck_assert_int_eq(hotlist_put(hl, "l", &e1), 0);
	ck_assert_int_eq(s.retro, 0);
	/* valid from before the capture */
	struct hotlist_entry e2 = { .plate = "VAL2", .valid_from_us = t - 1 };
	ck_assert_int_eq(hotlist_put(hl, "l", &e2), 0);
	ck_assert_int_eq(s.retro, 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_scope_at_capture)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 5 * MIN_US, 1024);
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.cameras = "gate-*";
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	ck_assert_int_eq(read_at(hl, &s, "SC1", NULL, "road-1", 0), 0);
	ck_assert_int_eq(read_at(hl, &s, "SC1", NULL, "gate-1", 0), 0);
	ck_assert_int_eq(put(hl, "l", "SC1", NULL), 0);
	ck_assert_int_eq(s.retro, 1);
	ck_assert_str_eq(s.camera[0], "gate-1");
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(test_batch_and_async)
{
	struct seen s = { 0 };
	struct hotlist *hl = engine(&s, 5 * MIN_US, 1024);
	struct hotlist_read r[40];
	char plates[40][8];
	for (int i = 0; i < 40; i++) {
		snprintf(plates[i], sizeof(plates[i]), "BT%02d", i);
		r[i] = (struct hotlist_read){ .plate = plates[i] };
	}
	ck_assert_int_eq(hotlist_match_batch(hl, r, 40, on_hit, &s), 0);
	ck_assert_int_eq(put(hl, "l", "BT33", NULL), 0);
	ck_assert_int_eq(s.retro, 1);
	hotlist_destroy(hl, NULL);

	/* the asynchronous path keeps what its workers match */
	struct seen a = { 0 };
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 1;
	cfg.suppress_window_us = 0;
	cfg.on_hit = on_hit;
	cfg.on_hit_user = &a;
	cfg.retro_window_us = 5 * MIN_US;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	struct hotlist_read q = { .plate = "AS1", .camera = "c1" };
	ck_assert_int_eq(hotlist_submit(hl, &q), 0);
	ck_assert_int_eq(hotlist_flush(hl), 0);
	ck_assert_int_eq(put(hl, "l", "AS1", NULL), 0);
	ck_assert_int_eq(a.retro, 1);
	ck_assert_str_eq(a.camera[0], "c1");
	hotlist_destroy(hl, NULL);
}
END_TEST

/*
 * Matching threads and a writer putting their plates, concurrently. Every
 * read is of a plate the writer puts at some point; each read must be called
 * back exactly once: live if it saw the put, retroactively if it did not.
 */
#define C_THREADS 3
#define C_READS 3000
#define C_PLATES 64

static atomic_int c_calls[C_THREADS * C_READS];

static void c_on_hit(const struct hotlist_hit *h, void *user)
{
	(void)user;
	int id = atoi(h->read->uuid);
	atomic_fetch_add(&c_calls[id], 1);
}

struct c_arg {
	struct hotlist *hl;
	int t;
};

static void *c_reader(void *p)
{
	struct c_arg *a = p;
	for (int i = 0; i < C_READS; i++) {
		char plate[16], uuid[16];
		int id = a->t * C_READS + i;
		snprintf(plate, sizeof(plate), "CP%d", id % C_PLATES);
		snprintf(uuid, sizeof(uuid), "%d", id);
		struct hotlist_read r = {
			.plate = plate, .struct_size = sizeof(r), .uuid = uuid, .camera = "c"
		};
		if (i % 2)
			hotlist_match(a->hl, &r, c_on_hit, NULL);
		else
			hotlist_match_batch(a->hl, &r, 1, c_on_hit, NULL);
	}
	return NULL;
}

START_TEST(test_concurrent_exactly_once)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	cfg.on_hit = c_on_hit;
	cfg.retro_window_us = 60 * MIN_US;
	cfg.retro_max_reads = C_THREADS * C_READS; /* nothing overwritten */
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);
	pthread_t th[C_THREADS];
	struct c_arg args[C_THREADS];
	for (int t = 0; t < C_THREADS; t++) {
		args[t] = (struct c_arg){ hl, t };
		ck_assert_int_eq(pthread_create(&th[t], NULL, c_reader, &args[t]), 0);
	}
	for (int p = 0; p < C_PLATES; p++) {
		char plate[16];
		snprintf(plate, sizeof(plate), "CP%d", p);
		ck_assert_int_eq(put(hl, p % 2 ? "odd" : "even", plate, NULL), 0);
		usleep(200);
	}
	for (int t = 0; t < C_THREADS; t++)
		pthread_join(th[t], NULL);
	for (int i = 0; i < C_THREADS * C_READS; i++)
		CHECK(atomic_load(&c_calls[i]) == 1, "read %d called back %d times", i,
		      atomic_load(&c_calls[i]));
	hotlist_destroy(hl, NULL);
}
END_TEST

static Suite *retro_suite(void)
{
	Suite *s = suite_create("retro");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_put_after_read);
	tcase_add_test(tc, test_too_old);
	tcase_add_test(tc, test_expires_in_ring);
	tcase_add_test(tc, test_count_bound);
	tcase_add_test(tc, test_slot_reuse);
	tcase_add_test(tc, test_off_by_default);
	tcase_add_test(tc, test_config_checks);
	tcase_add_test(tc, test_replace_new_entries_only);
	tcase_add_test(tc, test_load_csv);
	tcase_add_test(tc, test_validity_at_capture);
	tcase_add_test(tc, test_scope_at_capture);
	tcase_add_test(tc, test_batch_and_async);
	tcase_add_test(tc, test_concurrent_exactly_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(retro_suite());
}
