/* SPDX-License-Identifier: MIT */
/*
 * Fuzzy edits suite (lib/snapshot_edit.c, "The fuzzy key table"): puts and
 * removes on a list with OCR/indel options are found by fuzzy reads through
 * the overlay's fuzzy key table, exactly as a fresh engine loaded with the
 * same final list finds them (differential, k=1 d=1, k=2 d=2, cross-border,
 * with a fold and a replace in the middle); a reader holding an older
 * version sees that version's puts and removes only; readers matching near
 * misses while a writer edits (run under ThreadSanitizer).
 */
#include "testutil.h"

#include "engine.h" /* struct hotlist: hl->snap */
#include "list.h"
#include "snapshot.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_PLATES 160 /* plates the model draws from: close to one another */
#define PLATE_LEN 5
/* Wildcard patterns after them (plates[N_PLATES...]): each covers one or
 * more of the plates (a '?' for one character, or a prefix and '*'). */
#define N_WILD 16
#define N_ALL (N_PLATES + N_WILD)

/* Plates of an alphabet rich in confusion classes (0ODQ 1I 2Z 5S 8B 6G), so
 * that many are within k/d of one another. */
static const char alphabet[] = "0OD18B5S2ZA";

static char plates[N_ALL][PLATE_LEN + 2];
static char refs[N_ALL][16];
static bool listed[N_ALL];
static unsigned gen[N_ALL];

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void make_plates(void)
{
	for (int i = 0; i < N_PLATES; i++) {
		int len = PLATE_LEN - (i % 3 == 0); /* two lengths: indels meet */
		for (int j = 0; j < len; j++)
			plates[i][j] = alphabet[rnd(sizeof(alphabet) - 1)];
		plates[i][len] = '\0';
		for (int j = 0; j < i; j++)
			if (strcmp(plates[i], plates[j]) == 0) /* distinct */
				plates[i][0] = (char)('A' + i % 26),
				plates[i][1] = (char)('A' + i / 26);
	}
	for (int i = N_PLATES; i < N_ALL; i++) {
		for (bool dup = true; dup;) {
			strcpy(plates[i], plates[rnd(N_PLATES)]);
			if (i % 2)
				plates[i][rnd((unsigned)strlen(plates[i]))] = '?';
			else
				strcpy(plates[i] + 2 + rnd(2), "*");
			dup = false;
			for (int j = N_PLATES; j < i; j++)
				dup |= strcmp(plates[i], plates[j]) == 0;
		}
	}
}

static void opts_of(struct hotlist_list_options *o, unsigned k, unsigned d, bool cross)
{
	hotlist_list_options_init(o);
	o->ocr_substitutions = k;
	o->indels = d;
	o->cross_border = cross;
	o->repair = false;
	o->min_score = 0;
}

/* The model's entries (listed plates) into e. */
static size_t model_entries(struct hotlist_entry *e)
{
	size_t n = 0;
	for (int i = 0; i < N_ALL; i++)
		if (listed[i]) {
			snprintf(refs[i], sizeof(refs[i]), "r%u", gen[i]);
			e[n++] = (struct hotlist_entry){ .plate = plates[i],
							 .reference = refs[i],
							 .country = i % 2 ? "NL" : NULL };
		}
	return n;
}

struct hits {
	char s[64][40];
	int n;
};

static void keep_hit(const struct hotlist_hit *h, void *user)
{
	struct hits *x = user;
	if (x->n < 64)
		snprintf(x->s[x->n++], sizeof(x->s[0]), "%s|%s|%d|%u|%u", h->entry_plate,
			 h->reference, (int)h->match, h->substitutions, h->indels);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void hits_of(struct hotlist *hl, const char *plate, const char *country, struct hits *x)
{
	struct hotlist_read r = { .plate = plate, .country = country };
	x->n = 0;
	hotlist_match(hl, &r, keep_hit, x);
	qsort(x->s, (size_t)x->n, sizeof(x->s[0]), cmp_str);
}

/* A near miss of plate p: one in-class substitution, a deletion, an
 * insertion, two of them, or p itself. */
static void near_miss(const char *p, char *out)
{
	static const char *const cls[] = { "0ODQ", "1I", "2Z", "5S", "8B", "6G" };
	size_t len = strlen(p);
	strcpy(out, p);
	for (int edits = 1 + (int)rnd(2); edits > 0; edits--) {
		size_t at = rnd((unsigned)len);
		switch (rnd(4)) {
		case 0:
			for (int c = 0; c < 6; c++)
				if (strchr(cls[c], out[at]))
					out[at] = cls[c][rnd((unsigned)strlen(cls[c]))];
			break;
		case 1:
			if (len > 2) {
				memmove(out + at, out + at + 1, len - at);
				len--;
			}
			break;
		case 2:
			if (len < 9) {
				memmove(out + at + 1, out + at, len - at + 1);
				out[at] = alphabet[rnd(sizeof(alphabet) - 1)];
				len++;
			}
			break;
		default:
			break;
		}
	}
}

/* Every read of many near misses hits in hl as in a fresh engine loaded
 * with the model's list. */
static void compare(struct hotlist *hl, const struct hotlist_list_options *o)
{
	struct hotlist_entry e[N_ALL];
	size_t n = model_entries(e);
	struct hotlist *fresh = hl_test_engine();
	ck_assert_int_eq(hotlist_set_list_options(fresh, "l", o), 0);
	ck_assert_int_eq(hotlist_replace(fresh, "l", e, n, NULL), 0);
	for (int i = 0; i < 300; i++) {
		char p[24];
		struct hits a, b;
		near_miss(plates[rnd(N_PLATES)], p);
		const char *country = rnd(3) == 0 ? "BE" : rnd(2) ? "NL" : NULL;
		hits_of(hl, p, country, &a);
		hits_of(fresh, p, country, &b);
		ck_assert_msg(a.n == b.n, "read %s: %d hits edited, %d fresh", p, a.n, b.n);
		for (int j = 0; j < a.n; j++)
			ck_assert_str_eq(a.s[j], b.s[j]);
	}
	hotlist_destroy(fresh, NULL);
}

static void settle(struct hotlist *hl)
{
	uint64_t done, dropped, inl;
	hotlist__snap_fold_settle(&hl->snap, &done, &dropped, &inl);
}

/* wild: a quarter of the edits put or remove a wildcard pattern (and a
 * few patterns are in the base), among edits of the plates they cover. */
static void differential_of(unsigned k, unsigned d, bool cross, bool wild)
{
	struct hotlist_list_options o;
	opts_of(&o, k, d, cross);
	make_plates();
	memset(listed, 0, sizeof(listed));
	for (int i = 0; i < N_PLATES; i += 2)
		listed[i] = true; /* half of them in the base */
	for (int i = N_PLATES; wild && i < N_ALL; i += 4)
		listed[i] = true;
	struct hotlist *hl = hl_test_engine();
	hotlist__snap_set_fold_bg(&hl->snap, 100000); /* the folds below are asked for */
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	struct hotlist_entry e[N_ALL];
	size_t n = model_entries(e);
	ck_assert_int_eq(hotlist_replace(hl, "l", e, n, NULL), 0);
	for (int step = 1; step <= 600; step++) {
		int i = wild && rnd(4) == 0 ? N_PLATES + (int)rnd(N_WILD) : (int)rnd(N_PLATES);
		if (rnd(3) == 0 && listed[i]) {
			ck_assert_int_ge(hotlist_remove(hl, "l", plates[i], NULL), 1);
			listed[i] = false;
		} else {
			gen[i]++;
			listed[i] = true;
			snprintf(refs[i], sizeof(refs[i]), "r%u", gen[i]);
			struct hotlist_entry u = { .plate = plates[i],
						   .reference = refs[i],
						   .country = i % 2 ? "NL" : NULL };
			ck_assert_int_eq(hotlist_put(hl, "l", &u), 0);
		}
		if (step % 50 == 0)
			compare(hl, &o);
		if (step == 200) { /* a fold in the middle */
			hotlist__snap_set_fold_bg(&hl->snap, 1);
			settle(hl);
			hotlist__snap_set_fold_bg(&hl->snap, 100000);
		}
		if (step == 400) { /* a replace in the middle: the same list as a base */
			n = model_entries(e);
			ck_assert_int_eq(hotlist_replace(hl, "l", e, n, NULL), 0);
		}
	}
	compare(hl, &o);
	hotlist_destroy(hl, NULL);
}

static void differential(unsigned k, unsigned d, bool cross)
{
	differential_of(k, d, cross, false);
}

START_TEST(edits_match_fresh_engine_k1_d1)
{
	differential(1, 1, false);
}
END_TEST

START_TEST(edits_match_fresh_engine_k2_d2)
{
	differential(2, 2, false);
}
END_TEST

START_TEST(edits_match_fresh_engine_k1_d0_cross_border)
{
	differential(1, 0, true);
}
END_TEST

START_TEST(edits_match_fresh_engine_k0_d1)
{
	differential(0, 1, false);
}
END_TEST

/* Wildcard puts (issue 10): a list whose overlay holds patterns keeps
 * them apart (l->adds) while its plain puts stay in the overlay and its
 * fuzzy key table; every read must still hit as in a fresh engine. */
START_TEST(wildcard_edits_match_fresh_engine_exact)
{
	differential_of(0, 0, false, true);
}
END_TEST

START_TEST(wildcard_edits_match_fresh_engine_k1_d1)
{
	differential_of(1, 1, false, true);
}
END_TEST

/* What a version's fuzzy reads find through the table. */
static void count_put(void *ctx, const struct hl_base *a, uint32_t run, unsigned subs,
		      unsigned indels)
{
	(void)a;
	(void)run;
	(void)subs;
	(void)indels;
	(*(int *)ctx)++;
}

static int fz_found(const struct hl_list *l, const char *plate)
{
	int n = 0;
	hotlist__list_fz_match(l, plate, strlen(plate), count_put, &n);
	return n;
}

/* A reader holding an older version (inside its read-side section) sees
 * neither a later put nor the removal of a plate it showed, however many
 * puts grow the table meanwhile. */
START_TEST(older_version_keeps_its_puts)
{
	struct hotlist_list_options o;
	opts_of(&o, 1, 1, false);
	struct hotlist *hl = hl_test_engine();
	hotlist__snap_set_fold_bg(&hl->snap, 100000);
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	struct hotlist_entry p1 = { .plate = "AB1234" }, p2 = { .plate = "AB1235" };
	ck_assert_int_eq(hotlist_put(hl, "l", &p1), 0);
	const struct hl_state *st = hotlist__snap_enter(&hl->snap);
	const struct hl_list *v1 = st->lists[0];
	ck_assert(hotlist__list_fz(v1));
	ck_assert_int_eq(fz_found(v1, "A81234"), 1); /* B -> 8 */
	ck_assert_int_eq(hotlist_put(hl, "l", &p2), 0);
	ck_assert_int_eq(hotlist_remove(hl, "l", "AB1234", NULL), 1);
	char more[16];
	for (int i = 0; i < 300; i++) { /* the table outgrows itself, the overlay too */
		snprintf(more, sizeof(more), "X%dY", i);
		struct hotlist_entry m = { .plate = more };
		ck_assert_int_eq(hotlist_put(hl, "l", &m), 0);
	}
	ck_assert_int_eq(fz_found(v1, "A81234"), 1); /* still v1's */
	ck_assert_int_eq(fz_found(v1, "A81235"), 0); /* put after v1 */
	ck_assert_int_eq(fz_found(v1, "X1Y"), 0);
	hotlist__snap_exit();
	ck_assert_int_eq(hl_test_hits(hl, "A81234", NULL), 0); /* removed */
	ck_assert_int_eq(hl_test_hits(hl, "A81235", NULL), 1);
	ck_assert_int_ge(hl_test_hits(hl, "XI7Y", NULL), 1); /* X17Y, 1 -> I */
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Readers match near misses of stable plates (always listed: always found)
 * while a writer puts and removes others within k/d of them. */
struct race {
	struct hotlist *hl;
	atomic_bool stop;
	atomic_long reads;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	while (!atomic_load(&r->stop)) {
		/* S1234 is listed throughout: its near miss 51234 (S -> 5) hits it */
		struct hits x;
		hits_of(r->hl, "51234", NULL, &x);
		int stable = 0;
		for (int j = 0; j < x.n; j++)
			stable += strncmp(x.s[j], "S1234|", 6) == 0;
		ck_assert_int_eq(stable, 1);
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

START_TEST(readers_during_fuzzy_edits)
{
	struct hotlist_list_options o;
	opts_of(&o, 1, 1, false);
	struct race r = { .hl = hl_test_engine() };
	ck_assert_int_eq(hotlist_set_list_options(r.hl, "l", &o), 0);
	struct hotlist_entry s = { .plate = "S1234" };
	ck_assert_int_eq(hotlist_replace(r.hl, "l", &s, 1, NULL), 0);
	atomic_init(&r.stop, false);
	atomic_init(&r.reads, 0);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_reader, &r), 0);
	char p[16];
	for (int i = 0; i < 2000; i++) { /* neighbours of S1234, put and removed */
		snprintf(p, sizeof(p), "S123%c%d", "45B8"[i % 4], i % 50);
		struct hotlist_entry u = { .plate = p };
		ck_assert_int_eq(hotlist_put(r.hl, "l", &u), 0);
		if (i % 3 == 0)
			ck_assert_int_ge(hotlist_remove(r.hl, "l", p, NULL), 1);
		if (i % 500 == 0) /* and the stable plate itself, put again */
			ck_assert_int_eq(hotlist_put(r.hl, "l", &s), 0);
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_gt(atomic_load(&r.reads), 0);
	hotlist_destroy(r.hl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuzzy_edits");
	TCase *t = tcase_create("differential");
	tcase_set_timeout(t, 300);
	tcase_add_test(t, edits_match_fresh_engine_k1_d1);
	tcase_add_test(t, edits_match_fresh_engine_k2_d2);
	tcase_add_test(t, edits_match_fresh_engine_k1_d0_cross_border);
	tcase_add_test(t, edits_match_fresh_engine_k0_d1);
	tcase_add_test(t, wildcard_edits_match_fresh_engine_exact);
	tcase_add_test(t, wildcard_edits_match_fresh_engine_k1_d1);
	suite_add_tcase(s, t);
	t = tcase_create("versions");
	tcase_set_timeout(t, 300);
	tcase_add_test(t, older_version_keeps_its_puts);
	tcase_add_test(t, readers_during_fuzzy_edits);
	suite_add_tcase(s, t);
	return hl_test_run(s);
}
