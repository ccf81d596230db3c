/* SPDX-License-Identifier: MIT */
/*
 * Score suite (lib/score.c) and the fuzzy-hit policy of match.c: the
 * direction of each term of the score (likely confusions above unlikely
 * ones, a unique neighbour above a crowd, a doubled character above a
 * stray one, OCR-candidate support), the threshold policy (weak hits
 * suppressed and counted, or returned flagged), exact and unique-repair
 * hits always alerting, the versioned options struct, and the innocent-rate
 * estimate in the list info and the load report.
 */
#include "hotlist.h"
#include "testutil.h"

#include "list.h"
#include "normalise.h"
#include "plates.h"
#include "score.h"

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_SKEL_CLASSES "0ODQ 1I 2Z 5S 8B 6G"

/* The skeleton map of the default classes (as fuzzy.c resolves it). */
static const char *skel(void)
{
	static char s[128];
	for (int c = 0; c < 128; c++)
		s[c] = (char)c;
	const char *cls = DEFAULT_SKEL_CLASSES;
	char rep = 0;
	for (const char *p = cls; *p; p++) {
		if (*p == ' ') {
			rep = 0;
			continue;
		}
		if (!rep)
			rep = *p;
		s[(unsigned char)*p] = rep;
	}
	return s;
}

static struct hl_score_in in_of(const char *read, const char *entry, unsigned subs, unsigned indels)
{
	return (struct hl_score_in){ .skel = skel(),
				     .read = read,
				     .rlen = strlen(read),
				     .entry = entry,
				     .elen = strlen(entry),
				     .subs = subs,
				     .indels = indels,
				     .format = -1,
				     .neighbours = 1 };
}

static unsigned sc(struct hl_score_in in)
{
	return hotlist__score(NULL, 1, 1, &in);
}

/* ---- the terms of the score ------------------------------------------------------ */

START_TEST(likely_confusion_scores_higher)
{
	/* same plate, same position: O/0 and 8/B above 2/Z, 2/Z above O/Q */
	unsigned o0 = sc(in_of("AB0123", "ABO123", 1, 0));
	unsigned b8 = sc(in_of("A8C123", "ABC123", 1, 0));
	unsigned z2 = sc(in_of("ABC1Z3", "ABC123", 1, 0));
	unsigned oq = sc(in_of("ABQ123", "ABO123", 1, 0));
	ck_assert_uint_gt(o0, z2);
	ck_assert_uint_gt(b8, z2);
	ck_assert_uint_gt(z2, oq);
	/* two substitutions weigh less than one */
	ck_assert_uint_gt(b8, sc(in_of("A8C1Z3", "ABC123", 2, 0)));
}
END_TEST

START_TEST(indel_position)
{
	/* a doubled character above a stray one inside the plate */
	unsigned dbl = sc(in_of("ABC1123", "ABC123", 0, 1));
	unsigned stray = sc(in_of("ABC1X23", "ABC123", 0, 1));
	unsigned edge = sc(in_of("XABC123", "ABC123", 0, 1));
	ck_assert_uint_gt(dbl, stray);
	ck_assert_uint_gt(edge, stray);
	/* a dropped edge character above a dropped inner one */
	ck_assert_uint_gt(sc(in_of("BC1234", "ABC1234", 0, 1)),
			  sc(in_of("ABC134", "ABC1234", 0, 1)));
}
END_TEST

START_TEST(layout_of_the_read)
{
	hl_country nl = ('N' << 8) | 'L';
	struct hl_score_in well = in_of("12BBB3", "12BB83", 1, 0);
	struct hl_score_in mal = well, elsewhere = well;
	well.country = mal.country = elsewhere.country = nl;
	well.format = 1;
	mal.format = 0;
	elsewhere.format = 0;
	elsewhere.repaired_elsewhere = true;
	ck_assert_uint_gt(sc(mal), sc(well));
	ck_assert_uint_gt(sc(mal), sc(elsewhere));
}
END_TEST

START_TEST(unique_neighbour_vs_crowded)
{
	struct hl_score_in one = in_of("AB0123", "ABO123", 1, 0), crowd = one;
	crowd.neighbours = 12;
	ck_assert_uint_gt(sc(one), sc(crowd));
	struct hl_score_in two = one;
	two.neighbours = 2;
	ck_assert_uint_ge(sc(one), sc(two));
	ck_assert_uint_ge(sc(two), sc(crowd));
}
END_TEST

START_TEST(candidate_evidence)
{
	struct hl_score_in plate = in_of("ABC1Z3", "ABC123", 1, 0), lower = plate, backed = plate;
	lower.candidate = 3; /* the hit came through the camera's 3rd candidate */
	backed.support = 2; /* two other candidates hit the entry too */
	ck_assert_uint_gt(sc(plate), sc(lower));
	ck_assert_uint_gt(sc(backed), sc(plate));
}
END_TEST

/* ---- the population term (a model built from a list) ------------------------------------ */

/* A base of the plates p[0..n) of country cc (NULL: none) and its score model. */
static struct hl_score_model *model_of_plates_cc(const char *const *p, size_t n, const char *cc,
						 struct hl_base **base)
{
	struct hl_builder b;
	struct hl_score_model *m = NULL;
	char reason[96];
	hotlist__builder_init(&b, NULL);
	for (size_t i = 0; i < n; i++) {
		struct hotlist_entry e = { .plate = p[i], .country = cc };
		ck_assert_int_eq(hotlist__builder_add(&b, &e, 0, reason), 0);
	}
	ck_assert_int_eq(hotlist__builder_finish(&b, 1, base, NULL, NULL), 0);
	hotlist__builder_fini(&b);
	ck_assert_int_eq(hotlist__score_model_build(&m, *base, NULL), 0);
	return m;
}

static struct hl_score_model *model_of_plates(const char *const *p, size_t n, struct hl_base **base)
{
	return model_of_plates_cc(p, n, NULL, base);
}

/* 2,000 plates 9999LLO: digits 5000.., two letters of eight, and O last
 * (never D or Q there), plus the entries of the tests below. */
#define POP_FILL 2000
static struct hl_score_model *fill_model(struct hl_base **base)
{
	static char plates[POP_FILL + 1][8];
	static const char *p[POP_FILL + 1];
	static const char letters[] = "BCFGHKLM";
	for (int i = 0; i < POP_FILL; i++) {
		snprintf(plates[i], sizeof(plates[i]), "%04d%c%cO", 5000 + i, letters[i % 8],
			 letters[i / 8 % 8]);
		p[i] = plates[i];
	}
	p[POP_FILL] = "1234BCD";
	return model_of_plates(p, POP_FILL + 1, base);
}

static double llr_of(const struct hl_score_model *m, const char *read, const char *entry,
		     unsigned subs, unsigned indels)
{
	struct hl_score_in in = in_of(read, entry, subs, indels);
	return hotlist__score_llr(m, &in);
}

START_TEST(population_character_shares)
{
	/* 1234BCD read as 1234BCQ or as 1234BCO: D/O is the likelier confusion
	 * (the edit term alone prefers it), but O is what this list's plates
	 * have at the end, so 1234BCO is most likely a car read right, while
	 * no plate ends in Q: that read is a misread, of the entry */
	struct hl_base *b;
	struct hl_score_model *m = fill_model(&b);
	ck_assert(llr_of(NULL, "1234BCO", "1234BCD", 1, 0) >
		  llr_of(NULL, "1234BCQ", "1234BCD", 1, 0));
	ck_assert(llr_of(m, "1234BCQ", "1234BCD", 1, 0) >
		  llr_of(m, "1234BCO", "1234BCD", 1, 0) + 3);
	hotlist__score_model_free(m, NULL);
	hotlist__base_put(b, NULL);
}
END_TEST

START_TEST(population_listed_entry_is_no_innocent_plate)
{
	/* 5000BBO read as 5000BB0: the read fits no shape of the list, and its
	 * only plausible plate is the listed entry itself. Were the entry
	 * counted among the plates of innocent cars, the LLR would be about
	 * ln(q / (N x P(entry))) + the layout term + the population offset
	 * = -2.7 + 1 + 6 = 4.3 here; the entry is no innocent car's plate,
	 * and the few other plates near the read are unlikely (11.3). */
	struct hl_base *b;
	struct hl_score_model *m = fill_model(&b);
	ck_assert(llr_of(m, "5000BB0", "5000BBO", 1, 0) > 10.0);
	hotlist__score_model_free(m, NULL);
	hotlist__base_put(b, NULL);
}
END_TEST

START_TEST(substitution_likelihood_per_character)
{
	/* 1234BCD read as 1Z34BCD, and 1834BCD read as 1B34BCD: the reads
	 * differ from the list (and from each other's neighbourhood) in
	 * nothing but the pair. A 2 has one partner (Z) and an 8 one (B): once
	 * misread, each becomes its partner for certain, so the population
	 * likelihoods are equal. The pair weights (2/Z -0.5, 8/B +1.0) say
	 * which partner a character with several becomes, not how often a
	 * character is misread; used unnormalised they made the two differ by
	 * 1.5 (sixth round). */
	struct hl_base *b;
	struct hl_score_model *m = fill_model(&b);
	double z = llr_of(m, "1Z34BCD", "1234BCD", 1, 0),
	       eight = llr_of(m, "1B34BCD", "1834BCD", 1, 0);
	ck_assert_msg(fabs(z - eight) < 1e-6, "2 -> Z %.3f, 8 -> B %.3f", z, eight);
	/* a 0 has three partners (O, D, Q): a 0 read as Q is the least likely
	 * of them, below the certain 2 -> Z */
	double q = llr_of(m, "1Q34BCD", "1034BCD", 1, 0);
	ck_assert_msg(q < z - 1, "0 -> Q %.3f, 2 -> Z %.3f", q, z);
	/* the score without the population term keeps the hand-set weights */
	ck_assert(llr_of(NULL, "1B34BCD", "1834BCD", 1, 0) >
		  llr_of(NULL, "1Z34BCD", "1234BCD", 1, 0));
	hotlist__score_model_free(m, NULL);
	hotlist__base_put(b, NULL);
}
END_TEST

START_TEST(population_first_two_characters_as_a_pair)
{
	/* 2,000 plates AB9999 and CD9999 (two district codes): A and C, B and D
	 * each half of their position, but AD and CB never. AB1235 read right
	 * is a likely plate, AD1235 is not: a hit of AD1Z35 by the read AD1235
	 * is a misread far more likely than one of AB1Z35 by AB1235. One
	 * character's share at a time, the two reads were equally plausible. */
	static char plates[POP_FILL][8];
	static const char *p[POP_FILL];
	for (int i = 0; i < POP_FILL; i++) {
		snprintf(plates[i], sizeof(plates[i]), "%s%04d", i % 2 ? "CD" : "AB", 1000 + i * 3);
		p[i] = plates[i];
	}
	struct hl_base *b;
	struct hl_score_model *m = model_of_plates(p, POP_FILL, &b);
	double seen = llr_of(m, "AB1235", "AB1Z35", 1, 0),
	       unseen = llr_of(m, "AD1235", "AD1Z35", 1, 0);
	ck_assert_msg(unseen > seen + 3, "pair AB %.2f, pair AD %.2f", seen, unseen);
	hotlist__score_model_free(m, NULL);
	hotlist__base_put(b, NULL);
}
END_TEST

/* A Belgian list: 1,999 plates of the old code-11 layout XXX-999, first
 * letter `first` (or A..H in turn when 0), then two of A..H, and one
 * EU-format entry. */
static struct hl_score_model *be_model(char first, const char *entry, struct hl_base **base)
{
	static char plates[POP_FILL][8];
	static const char *p[POP_FILL];
	static const char letters[] = "ABCDEFGH";
	for (int i = 0; i < POP_FILL - 1; i++) {
		snprintf(plates[i], sizeof(plates[i]), "%c%c%c%03d",
			 first ? first : letters[i / 64 % 8], letters[i % 8], letters[i / 8 % 8],
			 i % 1000);
		p[i] = plates[i];
	}
	p[POP_FILL - 1] = entry;
	return model_of_plates_cc(p, POP_FILL, "BE", base);
}

static double llr_be(const struct hl_score_model *m, const char *read, const char *entry,
		     bool elsewhere)
{
	struct hl_score_in in = in_of(read, entry, 0, 1);
	ck_assert_int_eq(hotlist__parse_country("BE", &in.country), 0);
	in.format = 0;
	in.repaired_elsewhere = elsewhere;
	return hotlist__score_llr(m, &in);
}

START_TEST(repair_weighed_by_its_plausibility)
{
	/* EU-format 1ZBV184 read as 1ZB184 (V dropped): malformed, and the
	 * country rules repair it to IZB184 (code 11), which is not listed.
	 * The flat penalty of a repair elsewhere (-3.0) used to count that
	 * explanation as likely as any; with the population term the repaired
	 * plate is one of Z0's plates, weighed by its plausibility, and no
	 * plate of this list starts with I: the repair changes nothing. */
	char rep[8];
	int did = 0;
	hl_country be;
	ck_assert_int_eq(hotlist__parse_country("BE", &be), 0);
	ck_assert_int_eq(hotlist__plate_format(be, "1ZB184", 6, rep, &did), HL_FORMAT_NO);
	ck_assert(did && !strcmp(rep, "IZB184"));
	struct hl_base *b;
	struct hl_score_model *m = be_model(0, "1ZBV184", &b);
	double with = llr_be(m, "1ZB184", "1ZBV184", true),
	       without = llr_be(m, "1ZB184", "1ZBV184", false);
	ck_assert_msg(fabs(with - without) < 0.1, "repair elsewhere %.2f, none %.2f", with,
		      without);
	hotlist__score_model_free(m, NULL);
	hotlist__base_put(b, NULL);
	/* without the population term (no model) the flat penalty stays */
	ck_assert(llr_be(NULL, "1ZB184", "1ZBV184", true) <
		  llr_be(NULL, "1ZB184", "1ZBV184", false) - 4);
}
END_TEST

START_TEST(repair_of_two_swaps_in_population)
{
	/* 1ADB169 read as 1ADB69 (a 1 dropped): the rules repair it to IAD869,
	 * two swaps (1 -> I, B -> 8), which z0's single substitutions do not
	 * reach. On a list whose code-11 plates all start with I that plate is
	 * a likely innocent car's, on one where none does it is not: the
	 * score must tell the two apart (they differ in nothing else). */
	char rep[8];
	int did = 0;
	hl_country be;
	ck_assert_int_eq(hotlist__parse_country("BE", &be), 0);
	ck_assert_int_eq(hotlist__plate_format(be, "1ADB69", 6, rep, &did), HL_FORMAT_NO);
	ck_assert(did && !strcmp(rep, "IAD869"));
	struct hl_base *bi, *bo;
	struct hl_score_model *mi = be_model('I', "1ADB169", &bi);
	struct hl_score_model *mo = be_model('H', "1ADB169", &bo);
	double li = llr_be(mi, "1ADB69", "1ADB169", true),
	       lo = llr_be(mo, "1ADB69", "1ADB169", true);
	ck_assert_msg(lo > li + 0.5, "plausible repair %.2f, implausible %.2f", li, lo);
	hotlist__score_model_free(mi, NULL);
	hotlist__score_model_free(mo, NULL);
	hotlist__base_put(bi, NULL);
	hotlist__base_put(bo, NULL);
}
END_TEST

/* ---- policy through the engine --------------------------------------------------- */

struct seen {
	unsigned n, weak, score[16];
	int kind[16];
	bool weak_flag[16];
};

static void on_hit(const struct hotlist_hit *h, void *user)
{
	struct seen *s = user;
	if (s->n < 16) {
		s->score[s->n] = h->score;
		s->kind[s->n] = h->match;
		s->weak_flag[s->n] = h->weak;
	}
	s->n++;
	s->weak += h->weak;
}

static struct seen see(struct hotlist *hl, const char *plate, const char *country,
		       const char *const *cands, unsigned n_cands)
{
	struct seen s = { 0 };
	struct hotlist_read r = {
		.plate = plate, .country = country, .candidates = cands, .n_candidates = n_cands
	};
	ck_assert_int_ge(hotlist_match(hl, &r, on_hit, &s), 0);
	return s;
}

static void set_policy(struct hotlist *hl, unsigned k, unsigned d, unsigned min_score, bool weak)
{
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = k;
	o.indels = d;
	o.min_score = min_score;
	o.weak_hits = weak;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
}

static void put(struct hotlist *hl, const char *plate, const char *country)
{
	struct hotlist_entry e = { .plate = plate, .country = country };
	ck_assert_int_eq(hotlist_put(hl, "l", &e), 0);
}

static uint64_t weak_suppressed(struct hotlist *hl)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	return st.fuzzy_weak_suppressed;
}

START_TEST(threshold_policy)
{
	struct hotlist *hl = hl_test_engine();
	put(hl, "ABC123", NULL);
	set_policy(hl, 0, 1, 0, false); /* policy off: hit, no score */
	struct seen s = see(hl, "ABC1X23", NULL, NULL, 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.score[0], 0);
	ck_assert(!s.weak_flag[0]);
	set_policy(hl, 0, 1, 1, true); /* learn the score, every hit back */
	s = see(hl, "ABC1X23", NULL, NULL, 0);
	ck_assert_uint_eq(s.n, 1);
	unsigned score = s.score[0];
	ck_assert_uint_lt(score, 100); /* a stray inner character is no certainty */
	ck_assert_uint_gt(score, 0);
	/* at its own score it alerts */
	set_policy(hl, 0, 1, score, false);
	s = see(hl, "ABC1X23", NULL, NULL, 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert(!s.weak_flag[0]);
	/* one above it is weak: not called back, counted */
	uint64_t before = weak_suppressed(hl);
	set_policy(hl, 0, 1, score + 1, false);
	ck_assert_uint_eq(see(hl, "ABC1X23", NULL, NULL, 0).n, 0);
	ck_assert_uint_eq(weak_suppressed(hl), before + 1);
	/* asked for: called back, flagged, same score */
	set_policy(hl, 0, 1, score + 1, true);
	s = see(hl, "ABC1X23", NULL, NULL, 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert(s.weak_flag[0]);
	ck_assert_uint_eq(s.score[0], score);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.fuzzy_weak, 1);
	ck_assert_uint_eq(st.fuzzy_weak_suppressed, before + 1);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(exact_and_repair_always_alert)
{
	static const char *reads[] = { "34HJ7O", "HJ1Z3K", "H8123K" }; /* plates.c golden */
	char rep[HOTLIST_PLATE_MAX + 1];
	const char *read = NULL;
	hl_country nl = ('N' << 8) | 'L';
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]) && !read; i++) {
		int did = 0;
		if (hotlist__plate_format(nl, reads[i], strlen(reads[i]), rep, &did) ==
			    HL_FORMAT_NO &&
		    did)
			read = reads[i];
	}
	ck_assert_ptr_nonnull(read);
	struct hotlist *hl = hl_test_engine();
	put(hl, rep, "NL");
	put(hl, "ABC123", NULL);
	set_policy(hl, 1, 1, 100, false); /* the strictest threshold, no weak hits */
	struct seen s = see(hl, "ABC123", NULL, NULL, 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.kind[0], HOTLIST_MATCH_EXACT);
	ck_assert_uint_eq(s.score[0], 100);
	ck_assert(!s.weak_flag[0]);
	/* the misread that one repair makes listed: always an alert (k = 1 finds
	 * it first through the read as read; the repair makes it certain) */
	s = see(hl, read, "NL", NULL, 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.score[0], 100);
	ck_assert(!s.weak_flag[0]);
	/* an entry equal to a lower-ranked OCR candidate: an exact hit */
	const char *cands[] = { "ABC1X23", "ABC123" };
	s = see(hl, "ABC1X23", NULL, cands, 2);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.score[0], 100);
	/* without that candidate the same read is weak at 100 */
	ck_assert_uint_eq(see(hl, "ABC1X23", NULL, NULL, 0).n, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(crowded_list_scores_lower)
{
	/* the same hit of ABC123 by ABCD123, alone and among other listed
	 * plates within one indel of the read */
	static const char *crowd[] = { "ABD123", "ACD123", "BCD123", "ABCD12", "ABCD13", "ABCD23" };
	struct hotlist *alone = hl_test_engine(), *many = hl_test_engine();
	put(alone, "ABC123", NULL);
	put(many, "ABC123", NULL);
	for (size_t i = 0; i < sizeof(crowd) / sizeof(crowd[0]); i++)
		put(many, crowd[i], NULL);
	set_policy(alone, 0, 1, 1, true);
	set_policy(many, 0, 1, 1, true);
	struct seen a = see(alone, "ABCD123", NULL, NULL, 0);
	struct seen m = see(many, "ABCD123", NULL, NULL, 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(m.n, 1 + sizeof(crowd) / sizeof(crowd[0]));
	for (unsigned i = 0; i < m.n; i++)
		ck_assert_uint_lt(m.score[i], a.score[0]);
	hotlist_destroy(alone, NULL);
	hotlist_destroy(many, NULL);
}
END_TEST

/* The population sum of a read is kept between its hits: the next read of a
 * batch (same storage in the matcher) must not see the previous one's. */
struct by_read {
	unsigned score[2], n[2];
};

static void on_hit_by_read(const struct hotlist_hit *h, void *user)
{
	struct by_read *b = user;
	size_t i = (size_t)(uintptr_t)h->read->opaque;
	b->score[i] = h->score > b->score[i] ? h->score : b->score[i];
	b->n[i]++;
}

START_TEST(population_sum_per_read)
{
	static char plates[POP_FILL][8];
	static struct hotlist_entry e[POP_FILL + 1];
	static const char letters[] = "BCFGHKLM";
	for (int i = 0; i < POP_FILL; i++) {
		snprintf(plates[i], sizeof(plates[i]), "%04d%c%c%c", 5000 + i, letters[i % 8],
			 letters[i / 8 % 8], i % 2 ? 'D' : 'O'); /* both common last */
		e[i] = (struct hotlist_entry){ .plate = plates[i] };
	}
	e[POP_FILL] = (struct hotlist_entry){ .plate = "1234BCD" };
	struct hotlist *hl = hl_test_engine();
	ck_assert_int_eq(hotlist_replace(hl, "l", e, POP_FILL + 1, NULL), 0);
	set_policy(hl, 1, 1, 1, true);
	/* a malformed read of a rare plate whose only plausible origin is
	 * listed, then a read that is a common plate itself, one confusion
	 * from an entry (5000BBO) */
	struct seen a = see(hl, "1234BC0", NULL, NULL, 0);
	struct seen b = see(hl, "5000BBD", NULL, NULL, 0);
	ck_assert_uint_ge(a.n, 1);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_uint_lt(b.score[0], a.score[0]);
	struct hotlist_read r[2] = {
		{ .plate = "1234BC0", .ts_us = 1, .opaque = (void *)(uintptr_t)0 },
		{ .plate = "5000BBD", .ts_us = 1, .opaque = (void *)(uintptr_t)1 },
	};
	struct by_read got;
	memset(&got, 0, sizeof(got));
	ck_assert_int_ge(hotlist_match_batch(hl, r, 2, on_hit_by_read, &got), 0);
	ck_assert_uint_eq(got.n[1], 1);
	ck_assert_uint_eq(got.score[1], b.score[0]);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(upper_bound_of_the_score)
{
	/* hotlist__score_upper never below hotlist__score (match.c drops a
	 * weak hit by it), on hits of every kind against a population: each
	 * plate 5000..LL(O|D) read with O and D swapped or 0 (substitution), with a
	 * character dropped, and with one doubled */
	static char plates[POP_FILL][8];
	static const char *p[POP_FILL];
	static const char letters[] = "BCFGHKLM";
	for (int i = 0; i < POP_FILL; i++) {
		snprintf(plates[i], sizeof(plates[i]), "%04d%c%c%c", 5000 + i, letters[i % 8],
			 letters[i / 8 % 8], i % 2 ? 'D' : 'O'); /* both common last */
		p[i] = plates[i];
	}
	struct hl_base *b;
	struct hl_score_model *m = model_of_plates(p, POP_FILL, &b);
	char read[16], entry[16];
	unsigned below = 0, n = 0;
	for (int i = 0; i < 400; i++) {
		snprintf(entry, sizeof(entry), "%s", plates[i]);
		for (int kind = 0; kind < 4; kind++) {
			size_t len = strlen(entry), at = (size_t)i % len;
			unsigned subs = 0, indels = 0;
			if (kind < 2) {
				snprintf(read, sizeof(read), "%s", entry);
				read[len - 1] = kind ? '0' : entry[len - 1] == 'O' ? 'D' : 'O';
				subs = 1;
			} else if (kind == 2) {
				memcpy(read, entry, at);
				snprintf(read + at, sizeof(read) - at, "%s", entry + at + 1);
				indels = 1;
			} else {
				memcpy(read, entry, at + 1);
				snprintf(read + at + 1, sizeof(read) - at - 1, "%s", entry + at);
				indels = 1;
			}
			struct hl_score_in in = in_of(read, entry, subs, indels);
			unsigned up = hotlist__score_upper(m, 1, 1, &in),
				 ex = hotlist__score(m, 1, 1, &in);
			ck_assert_msg(up >= ex, "%s for %s: upper %u < score %u", read, entry, up,
				      ex);
			below += up < 100;
			n++;
		}
	}
	ck_assert_uint_gt(below, n / 8); /* a bound that tells something */
	hotlist__score_model_free(m, NULL);
	hotlist__base_put(b, NULL);
}
END_TEST

START_TEST(weak_dropped_by_the_bound_as_by_the_score)
{
	/* a list with a population model (match.c drops weak hits by the
	 * upper bound): at the hit's own score it alerts, one above it is
	 * dropped and counted, as without the bound */
	static char plates[POP_FILL][8];
	static struct hotlist_entry e[POP_FILL];
	static const char letters[] = "BCFGHKLM";
	for (int i = 0; i < POP_FILL; i++) {
		snprintf(plates[i], sizeof(plates[i]), "%04d%c%c%c", 5000 + i, letters[i % 8],
			 letters[i / 8 % 8], i % 2 ? 'D' : 'O');
		e[i] = (struct hotlist_entry){ .plate = plates[i] };
	}
	struct hotlist *hl = hl_test_engine();
	ck_assert_int_eq(hotlist_replace(hl, "l", e, POP_FILL, NULL), 0);
	static const char *reads[] = { "5000BB0",  "5000BBQ",  "5001CB",
				       "50022FBO", "5003GBDD", "5002FBD" };
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		set_policy(hl, 1, 1, 1, true);
		struct seen s = see(hl, reads[i], NULL, NULL, 0);
		ck_assert_msg(s.n >= 1, "%s: no hit", reads[i]);
		unsigned lo = 100;
		for (unsigned j = 0; j < s.n; j++)
			lo = s.score[j] < lo ? s.score[j] : lo;
		if (lo == 100 || lo == 0)
			continue;
		set_policy(hl, 1, 1, lo, false); /* every hit at or above: all back */
		ck_assert_uint_eq(see(hl, reads[i], NULL, NULL, 0).n, s.n);
		uint64_t before = weak_suppressed(hl);
		set_policy(hl, 1, 1, lo + 1, false); /* those at lo: dropped, counted */
		unsigned at_lo = 0;
		for (unsigned j = 0; j < s.n; j++)
			at_lo += s.score[j] == lo;
		ck_assert_uint_eq(see(hl, reads[i], NULL, NULL, 0).n, s.n - at_lo);
		ck_assert_uint_eq(weak_suppressed(hl), before + at_lo);
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- options struct versions -------------------------------------------------------- */

START_TEST(options_struct_versions)
{
	struct hotlist *hl = hl_test_engine();
	put(hl, "ABC123", NULL);
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	ck_assert_uint_eq(o.min_score, HOTLIST_MIN_SCORE_AUTO);
	ck_assert(!o.weak_hits);
	o.ocr_substitutions = 1;
	/* a caller built before the policy fields: accepted, default policy */
	o.struct_size = offsetof(struct hotlist_list_options, min_score);
	o.min_score = 7; /* beyond its struct: never read */
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_ge(info.min_score, HOTLIST_MIN_SCORE_DEFAULT);
	/* smaller still: refused */
	o.struct_size = offsetof(struct hotlist_list_options, repair);
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), HOTLIST_EINVAL);
	o.struct_size = sizeof(o);
	o.min_score = 101;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), HOTLIST_EINVAL);
	o.min_score = 60;
	o.target_alerts_per_1000 = 0;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), HOTLIST_EINVAL);
	o.target_alerts_per_1000 = 1;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.min_score, 60);
	o.min_score = 0;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert_uint_eq(info.min_score, 0);
	/* stats and load report of callers built before the fuzzy fields: the
	 * fields they know are filled, nothing past their struct is written */
	ck_assert_int_eq(hl_test_hits(hl, "ABC123", NULL), 1);
	struct {
		struct hotlist_stats st;
		unsigned char guard[64];
	} old_st;
	memset(&old_st, 0xa5, sizeof(old_st));
	size_t st_prev = offsetof(struct hotlist_stats, fuzzy_weak_suppressed);
	old_st.st.struct_size = st_prev;
	hotlist_stats(hl, &old_st.st);
	ck_assert_uint_eq(old_st.st.struct_size, st_prev);
	ck_assert_uint_ge(old_st.st.reads, 1);
	for (size_t i = st_prev; i < sizeof(old_st); i++)
		ck_assert_uint_eq(((unsigned char *)&old_st)[i], 0xa5);
	struct hotlist_entry e = { .plate = "ABC123" };
	struct hotlist_load_report rep;
	size_t rep_prev = offsetof(struct hotlist_load_report, innocent_hits_per_1000);
	memset(&rep, 0xa5, sizeof(rep));
	rep.struct_size = rep_prev;
	ck_assert_int_eq(hotlist_replace(hl, "l", &e, 1, &rep), 0);
	ck_assert_uint_eq(rep.struct_size, rep_prev);
	ck_assert_uint_eq(rep.loaded, 1);
	for (size_t i = rep_prev; i < sizeof(rep); i++)
		ck_assert_uint_eq(((unsigned char *)&rep)[i], 0xa5);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- the estimate ------------------------------------------------------------------------ */

START_TEST(estimate_in_info_and_report)
{
	struct hotlist *hl = hl_test_engine();
	static struct hotlist_entry e[1500];
	static char plates[1500][8];
	/* dense: every X + 3 digits and every 7th X + 4 digits, so that any
	 * X + 4 digits drawn from the list's layout is one indel from an entry */
	size_t n = 0;
	for (int i = 0; i < 1000; i++)
		snprintf(plates[n++], sizeof(plates[0]), "X%03d", i);
	for (int i = 0; i < 10000 && n < 1500; i += 7)
		snprintf(plates[n++], sizeof(plates[0]), "X%04d", i);
	for (size_t i = 0; i < n; i++)
		e[i] = (struct hotlist_entry){ .plate = plates[i] };
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, n, &rep), 0);
	ck_assert(rep.innocent_hits_per_1000 < 0); /* exact only: not estimated */
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert(info.innocent_alerts_per_1000 < 0);
	set_policy(hl, 0, 1, 0, false); /* policy off: every hit alerts */
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert(info.innocent_hits_per_1000 > 500);
	ck_assert(info.innocent_alerts_per_1000 == info.innocent_hits_per_1000);
	ck_assert(info.alert_rate_warning);
	ck_assert(info.mode_alerts_per_1000[0][1] == info.innocent_alerts_per_1000);
	ck_assert(info.mode_alerts_per_1000[0][2] < 0); /* the index answers d <= 1 only */
	ck_assert(info.mode_alerts_per_1000[0][0] < 0); /* exact: no estimate */
	/* the load report carries it too */
	ck_assert_int_eq(hotlist_replace(hl, "l", e, n, &rep), 0);
	ck_assert(rep.innocent_hits_per_1000 > 500);
	ck_assert(rep.alert_rate_warning);
	/* with the policy, fewer alert than hit, never more */
	set_policy(hl, 0, 1, 90, false);
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert(info.innocent_alerts_per_1000 <= info.innocent_hits_per_1000);
	ck_assert(info.innocent_alerts_per_1000 >= 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Replace list "l" with 1,000 plates in pairs one doubled last character
 * apart (a drop of either copy, or a doubling of the short plate's last
 * character, lands on the partner). */
static void replace_pairs(struct hotlist *hl)
{
	static struct hotlist_entry e[1000];
	static char plates[1000][12];
	for (int i = 0; i < 500; i++) {
		snprintf(plates[2 * i], sizeof(plates[0]), "K%05d", i * 7);
		snprintf(plates[2 * i + 1], sizeof(plates[0]), "K%05d%d", i * 7, i * 7 % 10);
		e[2 * i] = (struct hotlist_entry){ .plate = plates[2 * i] };
		e[2 * i + 1] = (struct hotlist_entry){ .plate = plates[2 * i + 1] };
	}
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 1000, NULL), 0);
}

/* The estimate draws its innocent plates from the list and leaves each
 * one's own entries out of its matches: a plate is never its own
 * neighbour, every other entry is. */
START_TEST(estimate_leaves_the_plate_out)
{
	struct hotlist *hl = hl_test_engine();
	static struct hotlist_entry e[1000];
	static char plates[1000][10];
	/* same length, k = 0, d = 1: no entry is within budget of another, so
	 * only the misread samples (3 %) can hit */
	for (int i = 0; i < 1000; i++) {
		snprintf(plates[i], sizeof(plates[0]), "K%05d", i * 7);
		e[i] = (struct hotlist_entry){ .plate = plates[i] };
	}
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 1000, NULL), 0);
	set_policy(hl, 0, 1, 0, false);
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert(info.innocent_hits_per_1000 >= 0);
	ck_assert(info.innocent_hits_per_1000 <= 30.5);
	/* pairs one doubled character apart: every plate read right hits its
	 * partner */
	replace_pairs(hl);
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	ck_assert(info.innocent_hits_per_1000 >= 969.5);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* An engine with list "l" of replace_pairs(). */
static struct hotlist *paired_list(void)
{
	struct hotlist *hl = hl_test_engine();
	replace_pairs(hl);
	return hl;
}

/* An innocent car misread into a listed plate is an exact hit, which
 * always alerts: the estimate counts it at every threshold (sixth round;
 * it scored it as a fuzzy hit of no edit before, below any threshold). */
START_TEST(estimate_counts_exact_landings)
{
	struct hotlist *hl = paired_list();
	set_policy(hl, 0, 1, 100, false); /* only score 100 alerts */
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
	/* misreads are 3 % of reads, about 8 % of them land on the partner
	 * (2.5 per 1,000); the fuzzy hits that score 100 on their own make 0.6 */
	ck_assert_msg(info.innocent_alerts_per_1000 > 1.5, "%.3f", info.innocent_alerts_per_1000);
	ck_assert(info.innocent_alerts_per_1000 < 5);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The margin of the automatic threshold: the estimate's bound is its
 * alerts plus z standard errors of the alerting samples' counts, a plate
 * drawn rep times counting as one plate's evidence, and the pick is the
 * lowest threshold whose bound (not the bare estimate) is within target. */
START_TEST(estimate_margin_bound)
{
	/* 100 alerting samples read right of weight 1e-5: 1.0 per 1,000, one
	 * standard error 0.1; each plate drawn 4 times: 0.2 */
	ck_assert(fabs(hotlist__score_bound(1.0, 1e-5, 1, 100, 0, 1, 0, 1.0) - 1.1) < 1e-9);
	ck_assert(fabs(hotlist__score_bound(1.0, 1e-5, 4, 100, 0, 1, 0, 1.0) - 1.2) < 1e-9);
	ck_assert(fabs(hotlist__score_bound(1.0, 1e-5, 1, 100, 0, 1, 0, 2.0) - 1.2) < 1e-9);
	/* the strata add their variances: 0.1^2 + 0.1^2 */
	ck_assert(fabs(hotlist__score_bound(1.0, 1e-5, 1, 100, 1e-5, 1, 100, 1.0) -
		       (1.0 + sqrt(0.02))) < 1e-9);
	/* no alerting sample, no margin */
	ck_assert(hotlist__score_bound(0, 1e-5, 4, 0, 1e-5, 1, 0, 2.0) == 0);
	double bound[101];
	for (int t = 0; t <= 100; t++)
		bound[t] = 3.0 - 0.03 * t; /* within 1.0 from 67 on */
	ck_assert_uint_eq(hotlist__score_pick(bound, 50, 1.0), 67);
	ck_assert_uint_eq(hotlist__score_pick(bound, 80, 1.0), 80);
	ck_assert_uint_eq(hotlist__score_pick(bound, 50, 0.01), 100); /* never within: 100 */
}
END_TEST

/* On a list: the automatic threshold sits above where the bare estimate
 * would put it when the estimate rests on few alerting plates. A list of
 * 1,000 plates in pairs one doubled character apart, with a tight target:
 * the estimate at the threshold below the one in force is already within
 * the target (without the margin that threshold would have been picked),
 * and the estimate at the one in force is within it too. */
START_TEST(estimate_margin_on_a_list)
{
	struct hotlist *hl = paired_list();
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	bool bit = false;
	for (double target = 5; target <= 400 && !bit; target *= 2) {
		struct hotlist_list_options o;
		hotlist_list_options_init(&o);
		o.indels = 1;
		o.target_alerts_per_1000 = target;
		ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
		ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
		unsigned t = info.min_score;
		ck_assert(info.innocent_alerts_per_1000 <= target);
		if (t <= HOTLIST_MIN_SCORE_DEFAULT || t > 100)
			continue;
		o.min_score = t - 1; /* same index, same estimate: its rate at t - 1 */
		ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
		ck_assert_int_eq(hotlist_list_info(hl, 0, &info), 0);
		bit = info.innocent_alerts_per_1000 <= target;
	}
	ck_assert_msg(bit, "the automatic threshold never sat above the bare estimate's");
	hotlist_destroy(hl, NULL);
}
END_TEST

/* An engine whose list "l" (k = 1, d = 0, repair on or off, weak hits back)
 * holds 600 German pairs EU, two letters, a digit, 0 or D, a digit
 * (EUAC307, EUAC3D7; letters and digits without a confusion partner), and
 * 2,000 other German plates (districts B, K, DO, KLE, one or two letters,
 * one to four digits). */
static struct hotlist *repair_pairs(bool repair)
{
	static const char *const dist[] = { "B", "K", "DO", "KLE" };
	static const char let[] = "ACEFHJKLMNPRTUVWXY", dig[] = "3479";
	static struct hotlist_entry e[3200];
	static char plates[3200][10];
	uint32_t x = 12345;
	struct hotlist *hl = hl_test_engine();
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 1;
	o.repair = repair;
	o.min_score = 1;
	o.weak_hits = true;
	ck_assert_int_eq(hotlist_set_list_options(hl, "l", &o), 0);
	for (int i = 0; i < 600; i++) {
		char a = let[i % 18], b = let[i / 18 % 18], c = dig[i / 324 % 4], d = dig[i % 4];
		snprintf(plates[2 * i], sizeof(plates[0]), "EU%c%c%c0%c", a, b, c, d);
		snprintf(plates[2 * i + 1], sizeof(plates[0]), "EU%c%c%cD%c", a, b, c, d);
	}
	for (int i = 1200; i < 3200; i++) {
		char l[3] = { 0 };
		x = x * 1103515245u + 12345u;
		l[0] = (char)('A' + (x >> 8) % 26);
		l[1] = (x >> 16) % 2 ? (char)('A' + (x >> 4) % 26) : '\0';
		/* 1 to 4 digits, no leading 0; drawn again if already listed */
		snprintf(plates[i], sizeof(plates[0]), "%s%s%d", dist[i % 4], l,
			 (int[]){ 1 + i % 9, 10 + i % 90, 100 + i % 900, 1000 + i }[(x >> 20) % 4]);
		for (int j = 1200; j < i; j++)
			if (!strcmp(plates[j], plates[i])) {
				i--;
				break;
			}
	}
	for (int i = 0; i < 3200; i++)
		e[i] = (struct hotlist_entry){ .plate = plates[i], .country = "DE" };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 3200, NULL), 0);
	return hl;
}

/* The estimate matches a sample's repaired plate as the matcher does
 * (seventh round). The matcher also matches a read that its country rules
 * repair (EUAC3O7, the 0 of EUAC307 read as O, repaired to EUAC307), and an
 * entry both variants hit (EUAC3D7: O -> D, 0 -> D) has the repaired
 * variant as support, +1.5 (HL_SC_CAND_SUPPORT). The estimate's misread
 * samples of the pairs' 0 plates are such reads; it counts them alike,
 * so with repair on it estimates more alerts than with repair off (k = 1,
 * d = 0: substitution hits only, which have no calibrated offset that
 * could take the difference up). Before, it matched the read alone: its
 * rates were the same with repair on and off at every threshold. */
START_TEST(estimate_matches_the_repaired_plate)
{
	struct hotlist *on = repair_pairs(true), *off = repair_pairs(false);
	/* the read hits the 0 and the D plate either way */
	ck_assert_uint_eq(see(on, "EUAC3O7", "DE", NULL, 0).n, 2);
	ck_assert_uint_eq(see(off, "EUAC3O7", "DE", NULL, 0).n, 2);
	double most = 0;
	for (unsigned t = 1; t <= 100; t++) {
		struct hotlist_list_info a = { .struct_size = sizeof(a) }, b = a;
		struct hotlist_list_options o;
		hotlist_list_options_init(&o);
		o.ocr_substitutions = 1;
		o.min_score = t;
		ck_assert_int_eq(hotlist_set_list_options(on, "l", &o), 0);
		o.repair = false;
		ck_assert_int_eq(hotlist_set_list_options(off, "l", &o), 0);
		ck_assert_int_eq(hotlist_list_info(on, 0, &a), 0);
		ck_assert_int_eq(hotlist_list_info(off, 0, &b), 0);
		ck_assert(a.innocent_alerts_per_1000 >= 0 && b.innocent_alerts_per_1000 >= 0);
		/* support only adds: never fewer alerts with repair on */
		ck_assert_msg(a.innocent_alerts_per_1000 >= b.innocent_alerts_per_1000 - 1e-9,
			      "threshold %u: %.3f with repair, %.3f without", t,
			      a.innocent_alerts_per_1000, b.innocent_alerts_per_1000);
		if (a.innocent_alerts_per_1000 - b.innocent_alerts_per_1000 > most)
			most = a.innocent_alerts_per_1000 - b.innocent_alerts_per_1000;
	}
	/* +2.29 per 1,000 at the threshold where it tells most; 0 before */
	ck_assert_msg(most > 0.3, "estimate: at most %.3f per 1,000 more with repair", most);
	hotlist_destroy(on, NULL);
	hotlist_destroy(off, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("score");
	TCase *t = tcase_create("terms");
	tcase_add_test(t, likely_confusion_scores_higher);
	tcase_add_test(t, indel_position);
	tcase_add_test(t, layout_of_the_read);
	tcase_add_test(t, unique_neighbour_vs_crowded);
	tcase_add_test(t, candidate_evidence);
	tcase_add_test(t, population_character_shares);
	tcase_add_test(t, population_listed_entry_is_no_innocent_plate);
	tcase_add_test(t, repair_weighed_by_its_plausibility);
	tcase_add_test(t, repair_of_two_swaps_in_population);
	tcase_add_test(t, substitution_likelihood_per_character);
	tcase_add_test(t, population_first_two_characters_as_a_pair);
	tcase_add_test(t, upper_bound_of_the_score);
	suite_add_tcase(s, t);
	TCase *p = tcase_create("policy");
	tcase_add_test(p, threshold_policy);
	tcase_add_test(p, exact_and_repair_always_alert);
	tcase_add_test(p, crowded_list_scores_lower);
	tcase_add_test(p, population_sum_per_read);
	tcase_add_test(p, weak_dropped_by_the_bound_as_by_the_score);
	tcase_add_test(p, options_struct_versions);
	tcase_add_test(p, estimate_in_info_and_report);
	tcase_add_test(p, estimate_leaves_the_plate_out);
	tcase_add_test(p, estimate_counts_exact_landings);
	tcase_add_test(p, estimate_margin_bound);
	tcase_add_test(p, estimate_margin_on_a_list);
	tcase_add_test(p, estimate_matches_the_repaired_plate);
	suite_add_tcase(s, p);
	return hl_test_run(s);
}
