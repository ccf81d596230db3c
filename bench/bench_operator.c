/* SPDX-License-Identifier: MIT */
/*
 * bench_operator: what the operator features of issue 13 cost.
 *
 *   attrs  memory of a list of N entries (default 10 M) without vehicle
 *          details, and with four (make, model, colour, VIN: realistic
 *          lengths, the VIN distinct per entry), as hotlist_list_info's
 *          memory_bytes reports it, and per entry; the load time of each.
 *   scope  ns per hotlist_match of a read that misses a 1,000-entry list:
 *          without a scope (one lookup), and out of an "hours 22-6" scope
 *          (noon) in a fixed offset, in Europe/Amsterdam with every read in
 *          the cached period, and in Europe/Amsterdam alternating January
 *          and July (every read misses the cached period: binary search).
 *          Median of 7 rounds of --reads reads (default 2 M).
 *
 * One key=value line per result (bench_common.h). --smoke: 10 k entries.
 */
#include "bench_common.h"
#include "hotlist.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIN_LEN 17

static const char *const makes[] = { "Volkswagen", "Toyota", "Ford", "Renault",
				     "Peugeot",	   "BMW",    "Audi", "Mercedes-Benz" };
static const char *const models[] = { "Golf", "Corolla", "Focus", "Clio",  "208",    "3 Series",
				      "A4",   "C-Class", "Polo",  "Yaris", "Fiesta", "Megane",
				      "3008", "X5",	 "Q5",	  "GLC" };
static const char *const colours[] = { "black", "white", "silver", "grey",
				       "blue",	"red",	 "green",  "brown" };

struct attrs_opts {
	uint64_t entries, seed;
};

/* Load n entries into list "l" of a fresh engine, with or without
 * details; print memory and load time. */
static void attrs_run(const struct attrs_opts *o, int with)
{
	size_t n = (size_t)o->entries;
	char *plates = bench_xmalloc(n * (BENCH_PLATE_LEN + 1));
	for (size_t i = 0; i < n; i++)
		bench_plate(i, o->seed, plates + i * (BENCH_PLATE_LEN + 1));
	struct hotlist_entry *e = bench_stolen_entries(plates, n);
	char *vins = NULL;
	struct hotlist_attr *attrs = NULL;
	size_t text = 0;
	if (with) {
		vins = bench_xmalloc(n * (VIN_LEN + 1));
		attrs = bench_xmalloc(n * 4 * sizeof(*attrs));
		struct bench_rng r;
		bench_rng_init(&r, o->seed);
		for (size_t i = 0; i < n; i++) {
			char *v = vins + i * (VIN_LEN + 1);
			snprintf(v, VIN_LEN + 1, "WVWZZZ%011zu", i % 100000000000u);
			struct hotlist_attr *a = attrs + 4 * i;
			a[0] = (struct hotlist_attr){ "make", makes[bench_rng_below(&r, 8)] };
			a[1] = (struct hotlist_attr){ "model", models[bench_rng_below(&r, 16)] };
			a[2] = (struct hotlist_attr){ "colour", colours[bench_rng_below(&r, 8)] };
			a[3] = (struct hotlist_attr){ "VIN", v };
			for (int k = 0; k < 4; k++)
				text += strlen(a[k].value);
			e[i].attrs = a;
			e[i].n_attrs = 4;
		}
	}
	struct hotlist *hl = bench_engine(0, NULL, NULL);
	uint64_t t0 = bench_now_ns();
	int rc = hotlist_replace(hl, "l", e, n, NULL);
	uint64_t t1 = bench_now_ns();
	if (rc) {
		fprintf(stderr, "replace: %s\n", hotlist_strerror(rc));
		exit(1);
	}
	struct hotlist_list_info info = { .struct_size = sizeof(info) };
	hotlist_list_info(hl, 0, &info);
	printf("bench=operator case=attrs entries=%zu attrs=%d value_bytes_per_entry=%.1f "
	       "memory_bytes=%zu bytes_per_entry=%.1f load_ms=%.0f\n",
	       n, with ? 4 : 0, (double)text / (double)n, info.memory_bytes,
	       (double)info.memory_bytes / (double)n, (double)(t1 - t0) / 1e6);
	fflush(stdout);
	hotlist_destroy(hl, NULL);
	free(attrs);
	free(vins);
	free(e);
	free(plates);
}

static void count_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(*(int *)user)++;
}

#define SCOPE_PLATES 4096
#define SCOPE_ROUNDS 7

static void scope_run(uint64_t reads, uint64_t seed)
{
	static const struct {
		const char *name, *hours, *tz;
		int alternate;
	} cases[] = { { "none", NULL, NULL, 0 },
		      { "fixed", "22-6", "+01:00", 0 },
		      { "zone", "22-6", "Europe/Amsterdam", 0 },
		      { "zone_alternating", "22-6", "Europe/Amsterdam", 1 } };
	char *plates = bench_xmalloc(SCOPE_PLATES * (BENCH_PLATE_LEN + 1));
	for (size_t i = 0; i < 1000 + SCOPE_PLATES; i++) /* the first 1,000 are listed */
		bench_plate(i, seed, plates + (i % SCOPE_PLATES) * (BENCH_PLATE_LEN + 1));
	char listed[1000][BENCH_PLATE_LEN + 1];
	for (size_t i = 0; i < 1000; i++)
		bench_plate(i, seed, listed[i]);
	struct hotlist_entry e[1000];
	memset(e, 0, sizeof(e));
	for (size_t i = 0; i < 1000; i++)
		e[i].plate = listed[i];
	/* 2026-01-05 and 2026-07-06, 12:00 UTC: out of 22-6 in either offset */
	const int64_t jan = INT64_C(1767614400) * 1000000, jul = jan + INT64_C(182) * 86400000000;
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		struct hotlist *hl = bench_engine(0, NULL, NULL);
		struct hotlist_list_options o;
		hotlist_list_options_init(&o);
		o.hours = cases[c].hours;
		o.timezone = cases[c].tz;
		int rc = hotlist_set_list_options(hl, "l", &o);
		if (!rc)
			rc = hotlist_replace(hl, "l", e, 1000, NULL);
		if (rc) {
			fprintf(stderr, "scope %s: %s\n", cases[c].name, hotlist_strerror(rc));
			exit(1);
		}
		double ns[SCOPE_ROUNDS];
		unsigned long hits = 0;
		for (int r = 0; r < SCOPE_ROUNDS; r++) {
			uint64_t t0 = bench_now_ns();
			for (uint64_t i = 0; i < reads; i++) {
				struct hotlist_read rd = {
					.plate =
						plates + (i % SCOPE_PLATES) * (BENCH_PLATE_LEN + 1),
					.ts_us = ((cases[c].alternate && (i & 1)) ? jul : jan) +
						 (int64_t)(i & 1023),
				};
				int n = 0;
				hotlist_match(hl, &rd, count_hit, &n);
				hits += (unsigned long)n;
			}
			ns[r] = (double)(bench_now_ns() - t0) / (double)reads;
		}
		printf("bench=operator case=scope scope=%s reads=%" PRIu64
		       " ns_per_read_median=%.1f hits=%lu\n",
		       cases[c].name, reads, bench_median(ns, SCOPE_ROUNDS), hits);
		fflush(stdout);
		hotlist_destroy(hl, NULL);
	}
	free(plates);
}

int main(int argc, char **argv)
{
	static const char usage[] = "[--smoke] [--entries N] [--reads N] [--seed N] "
				    "[--case attrs|scope|all]";
	struct attrs_opts ao = { 10000000, BENCH_SEED_DEFAULT };
	uint64_t reads = 2000000;
	const char *which = "all";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0)
			ao.entries = 10000, reads = 10000;
		else if (!bench_opt_u64(argc, argv, &i, "--entries", &ao.entries) &&
			 !bench_opt_u64(argc, argv, &i, "--reads", &reads) &&
			 !bench_opt_u64(argc, argv, &i, "--seed", &ao.seed) &&
			 !bench_opt_str(argc, argv, &i, "--case", &which))
			bench_bad_option(argv[0], argv[i], usage);
	}
	bench_header("operator");
	if (strcmp(which, "scope") != 0) {
		attrs_run(&ao, 0);
		attrs_run(&ao, 1);
	}
	if (strcmp(which, "attrs") != 0)
		scope_run(reads ? reads : 1, ao.seed);
	return 0;
}
