/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs: the header line, clocks, a seeded
 * random generator, synthetic plates, medians, heap accounting.
 *
 * Output convention (every program): one header line
 *   # bench=<name> version=... git=... compiler=... flags=... cpu=... cores=N
 * then one line of space-separated key=value pairs per result, so that
 * bench/run.sh can grep and awk them into plots. Values never contain spaces.
 */
#ifndef HOTLIST_BENCH_COMMON_H
#define HOTLIST_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "normalise.h" /* struct hl_key: the keys every system is given */

/* Repetitions per measurement; the median is reported. */
#define BENCH_REPS_DEFAULT 3

/* Fixed default seed: runs are reproducible unless --seed is given. */
#define BENCH_SEED_DEFAULT 0x5eed2024u

/*
 * Synthetic plates are BENCH_PLATE_LEN characters of A-Z0-9 (36^7 > 2^36
 * codes, so any index below 2^36 gives a distinct plate). Keys in the list
 * use indexes [0, n); keys that miss use indexes from BENCH_MISS_BASE up,
 * which can never equal a list index.
 */
#define BENCH_PLATE_LEN 7
#define BENCH_PLATE_BITS 36
#define BENCH_MISS_BASE (1ull << 35)

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* This thread's CPU time in nanoseconds: on the shared VM (load often
 * above its cores) it counts the time the thread ran, not the time it
 * waited for a core (caches are still shared). */
uint64_t bench_thread_cpu_ns(void);

/* Sleep ms milliseconds (the rest again if a signal cut it short). */
void bench_sleep_ms(uint64_t ms);

/* splitmix64: a seeded generator, good enough to draw keys and queries. */
struct bench_rng {
	uint64_t s;
};
void bench_rng_init(struct bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(struct bench_rng *r);
/* Uniform in [0, bound), bound > 0 (Lemire's multiply-shift). */
uint64_t bench_rng_below(struct bench_rng *r, uint64_t bound);
/* Uniform in [0, 1). */
double bench_rng_unit(struct bench_rng *r);

/*
 * The index-th synthetic plate for this seed: BENCH_PLATE_LEN characters,
 * NUL-terminated. Distinct indexes give distinct plates.
 */
void bench_plate(uint64_t index, uint64_t seed, char out[BENCH_PLATE_LEN + 1]);
/*
 * The same plate as raw OCR text: lower case, with a separator ('-' or ' ')
 * after the 2nd and 5th character, e.g. "k7-p2q-9x". out has 16 bytes.
 */
void bench_plate_raw(const char *plate, char out[16]);

/*
 * Pack a normalised plate into the library's 96-bit key (struct hl_key, the
 * layout internal.h documents: 6 bits a character, '0'..'9' = 1..10,
 * 'A'..'Z' = 11..36, character 0 in the low bits of lo, characters 10..15 in
 * hi). A copy of hotlist__key_pack so that the peers can be built and
 * measured without the library; bench_lookup checks that both agree.
 */
void bench_key_pack(const char *norm, struct hl_key *out);
/* Back to text; out has HOTLIST_PLATE_MAX + 1 bytes. */
void bench_key_unpack(const struct hl_key *k, char out[HOTLIST_PLATE_MAX + 1]);

/* Median of n values (n > 0); v is reordered. */
double bench_median(double *v, size_t n);
/* Percentile q in [0, 1] of n sorted values, nearest rank. */
uint64_t bench_pct_sorted(const uint64_t *sorted, size_t n, double q);
void bench_sort_u64(uint64_t *v, size_t n);

/*
 * Bytes the process has allocated from the heap now, and how that was
 * measured: jemalloc's "stats.allocated" if jemalloc is the malloc, else
 * glibc mallinfo2 (uordblks + hblkhd). Used for the peers' memory per entry.
 */
size_t bench_heap_bytes(void);
const char *bench_heap_method(void);

/* Print the "# bench=..." header line. */
void bench_header(const char *name);
/* Number of online CPUs. */
unsigned bench_cores(void);

/* Allocation that exits the program with a message on failure. */
void *bench_xmalloc(size_t size);
void *bench_xcalloc(size_t n, size_t size);

/* A private anonymous mapping of len bytes aligned to 2 MiB, advised
 * MADV_HUGEPAGE when huge (else MADV_NOHUGEPAGE), not yet touched; exits on
 * failure. bench_unmap_aligned(p, len) releases it. */
void *bench_map_aligned(size_t len, bool huge);
void bench_unmap_aligned(void *p, size_t len);
/* Bytes of [p, p + len) backed by transparent huge pages (AnonHugePages in
 * /proc/self/smaps); 0 when smaps cannot be read. */
size_t bench_huge_bytes(const void *p, size_t len);

/* An engine with `workers` workers calling on_hit(user), no suppression (the
 * benchmarks read the same plates again and again); exits on failure. */
struct hotlist *bench_engine(unsigned workers, hotlist_hit_fn on_hit, void *user);
/* n entries of the benchmarks' "stolen" list, entry i with plate
 * plates + i * (BENCH_PLATE_LEN + 1), country DE, a category and a reference
 * of its own ("PNC-000000123", as a police record number); the caller frees
 * the array (which holds the references too). */
#define BENCH_REF_LEN 14 /* "PNC-" + 9 digits + NUL */
struct hotlist_entry *bench_stolen_entries(const char *plates, size_t n);

/*
 * Option parsing: if argv[*i] is `name` followed by a value, store it,
 * advance *i and return true. Exits on a malformed value.
 */
bool bench_opt_u64(int argc, char **argv, int *i, const char *name, uint64_t *out);
bool bench_opt_double(int argc, char **argv, int *i, const char *name, double *out);
bool bench_opt_str(int argc, char **argv, int *i, const char *name, const char **out);
/* Report an unknown option and exit 2. */
void bench_bad_option(const char *prog, const char *arg, const char *usage);

#endif /* HOTLIST_BENCH_COMMON_H */
