/* SPDX-License-Identifier: MIT */
/*
 * Deterministic, realistic sample data for the demo, the benchmarks and the
 * tests: number plates as they are printed in NL, BE, DE, FR and LU, the
 * country mix a Dutch border camera sees, hot-list categories, OCR noise,
 * and whole hot lists.
 *
 * Everything is driven by one seeded generator (xoshiro256**, seeded through
 * splitmix64), so the same seed gives the same plates on every machine and
 * every build. No function here keeps hidden state; a generator is plain
 * data owned by the caller, and one generator must not be used by two
 * threads at once (give each thread its own, seeded differently).
 *
 * The plate shapes follow the published issuing rules (RDW sidecodes and
 * letter set, Belgian DIV, German FZV, French SIV, Luxembourg SNCA); the
 * code writes plates from those rules, it does not copy any list of plates.
 * This is a tool, not the library: nothing here is exported by libhotlist.
 */
#ifndef HOTLIST_TOOLS_SAMPLE_H
#define HOTLIST_TOOLS_SAMPLE_H

#include "hotlist.h"

#include <stddef.h>
#include <stdint.h>

/* Room for any plate hl_sample_plate() writes, NUL included ("KLE-AB 1234E"). */
#define HL_SAMPLE_PLATE_CAP 24

/* The generator: xoshiro256** (Blackman & Vigna, 2018). Plain data. */
struct hl_sample_rng {
	uint64_t s[4];
};

/* Seed from one 64-bit value (expanded with splitmix64; any seed, 0 included, is fine). */
void hl_sample_seed(struct hl_sample_rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t hl_sample_next(struct hl_sample_rng *r);
/* Uniform integer in [0, n); n > 0. Unbiased (Lemire's multiply-and-reject). */
uint64_t hl_sample_below(struct hl_sample_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double hl_sample_unit(struct hl_sample_rng *r);

/*
 * Write a random plate of `country` ("NL", "BE", "DE", "FR" or "LU"),
 * printed the way the country prints it ("12-BDF-3", "1-ABC-234",
 * "B-AB 1234", "AB-123-CD", "AB 1234"), into out (cap bytes, NUL-terminated).
 * German district codes may contain UTF-8 umlauts ("TÜ-AB 12").
 * @return the length in bytes, or 0 (and "" in out when cap > 0) for an
 *         unknown country or a cap below HL_SAMPLE_PLATE_CAP.
 */
size_t hl_sample_plate(struct hl_sample_rng *r, const char *country, char *out, size_t cap);

/* A country as a Dutch camera sees them: NL 60 %, BE 15 %, DE 15 %, FR 7 %, LU 3 %. */
const char *hl_sample_country(struct hl_sample_rng *r);

/* A hot-list category, weighted the way real extracts are ("stolen vehicle" most). */
const char *hl_sample_category(struct hl_sample_rng *r);
/* A priority (0 highest .. 100) that fits the category. */
unsigned hl_sample_priority(struct hl_sample_rng *r, const char *category);

/*
 * OCR noise, in place: each ASCII letter or digit of plate that belongs to an
 * OCR-confusion class (0-O-D-Q, 1-I, 2-Z, 5-S, 8-B, 6-G) is swapped with
 * probability p for another member of its class; any ASCII letter or digit
 * is dropped with probability p / 10. Bytes that are not ASCII letters or
 * digits (separators, UTF-8 umlauts) are never touched. p is clamped to [0, 1].
 */
void hl_sample_ocr_noise(struct hl_sample_rng *r, char *plate, double p);

/*
 * A whole hot list: n entries with plates, countries, categories,
 * priorities, references, some covert, some with validity windows, a few
 * without a country. The strings live in the list and stay valid until
 * hl_sample_list_free(); entries[] can be passed to hotlist_replace() as is.
 */
struct hl_sample_list_opts {
	double covert_share; /* share of covert entries (0..1) */
	double expiring_share; /* share with an expiry date (half already expired) */
	double future_share; /* share that becomes valid only in the future */
	double no_country_share; /* share listed without a country ("any") */
	int64_t now_us; /* "now" for validity windows (pass a fixed value for determinism) */
	const char *ref_prefix; /* reference prefix: "NL-2026" gives "NL-2026-000123" */
};

/* Defaults: 2 % covert, 5 % expiring, 1 % future, 2 % no country, ref "NL-2026". */
void hl_sample_list_opts_init(struct hl_sample_list_opts *o, int64_t now_us);

struct hl_sample_slot; /* one entry's strings */

struct hl_sample_list {
	struct hotlist_entry *entries;
	size_t n;
	struct hl_sample_slot *slots; /* the strings entries[] points into */
	uint64_t serial; /* next reference number */
};

/* Generate n entries; 0 or HOTLIST_ENOMEM (then *l is empty). opts NULL = defaults. */
int hl_sample_list_make(struct hl_sample_list *l, struct hl_sample_rng *r, size_t n,
			const struct hl_sample_list_opts *opts);
/* Replace entry i with a freshly generated one (a plate leaving the list, another joining). */
void hl_sample_list_renew(struct hl_sample_list *l, struct hl_sample_rng *r, size_t i,
			  const struct hl_sample_list_opts *opts);
/* Free what hl_sample_list_make() allocated; the list is left empty. */
void hl_sample_list_free(struct hl_sample_list *l);

#endif /* HOTLIST_TOOLS_SAMPLE_H */
