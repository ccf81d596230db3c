/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs; see bench_common.h.
 *
 * Synthetic plates: index -> a bijection on 36-bit integers (multiply by an
 * odd constant and xor-shift, each invertible modulo 2^36) -> 7 base-36
 * digits. Distinct indexes therefore give distinct plates, with no dedup
 * pass, and the plates look random (no shared prefixes that would flatter a
 * hash or a trie).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MADV_HUGEPAGE */
#endif
#include "bench_common.h"

#include "hotlist.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS "unknown"
#endif

/* jemalloc's control interface, present only when jemalloc is linked. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
	__attribute__((weak));

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void bench_rng_init(struct bench_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t bench_rng_next(struct bench_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

__extension__ typedef unsigned __int128 u128;

uint64_t bench_rng_below(struct bench_rng *r, uint64_t bound)
{
	return (uint64_t)(((u128)bench_rng_next(r) * bound) >> 64);
}

double bench_rng_unit(struct bench_rng *r)
{
	return (double)(bench_rng_next(r) >> 11) * 0x1.0p-53;
}

static uint64_t mix36(uint64_t x, uint64_t seed)
{
	const uint64_t m = (1ull << BENCH_PLATE_BITS) - 1;
	struct bench_rng r = { seed };

	x = (x ^ bench_rng_next(&r)) & m;
	x = (x * 0x9e3779b97f4a7c15ull) & m;
	x ^= x >> 17;
	x = (x * 0xd6e8feb86659fd93ull) & m;
	x ^= x >> 15;
	x = (x * 0xa0761d6478bd642full) & m;
	return x ^ (x >> 19);
}

void bench_plate(uint64_t index, uint64_t seed, char out[BENCH_PLATE_LEN + 1])
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint64_t x = mix36(index, seed);

	for (int i = BENCH_PLATE_LEN - 1; i >= 0; i--) {
		out[i] = digits[x % 36];
		x /= 36;
	}
	out[BENCH_PLATE_LEN] = '\0';
}

void bench_plate_raw(const char *plate, char out[16])
{
	size_t o = 0;

	for (size_t i = 0; plate[i] != '\0' && o < 14; i++) {
		if (i == 2)
			out[o++] = '-';
		else if (i == 5)
			out[o++] = ' ';
		out[o++] = (char)tolower((unsigned char)plate[i]);
	}
	out[o] = '\0';
}

static unsigned char char_code(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned char)(c - '0' + 1);
	return (unsigned char)(c - 'A' + 11);
}

/* Character 15 is split: low 4 bits at lo bits 60..63, high 2 at hi bits 30..31. */
#define LAST_CHAR 15

void bench_key_pack(const char *norm, struct hl_key *out)
{
	memset(out, 0, sizeof(*out)); /* padding too: keys are hashed as 12 bytes */
	for (unsigned i = 0; norm[i] != '\0' && i < HOTLIST_PLATE_MAX; i++) {
		uint64_t code = char_code(norm[i]);

		if (i < 10) {
			out->lo |= code << (6 * i);
		} else if (i < LAST_CHAR) {
			out->hi |= (uint32_t)(code << (6 * (i - 10)));
		} else {
			out->lo |= (code & 15) << 60;
			out->hi |= (uint32_t)(code >> 4) << 30;
		}
	}
}

void bench_key_unpack(const struct hl_key *k, char out[HOTLIST_PLATE_MAX + 1])
{
	static const char chars[] = "?0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	unsigned n = 0;

	for (unsigned i = 0; i < HOTLIST_PLATE_MAX; i++) {
		unsigned code;

		if (i < 10)
			code = (unsigned)(k->lo >> (6 * i)) & 63;
		else if (i < LAST_CHAR)
			code = (unsigned)(k->hi >> (6 * (i - 10))) & 63;
		else
			code = (unsigned)(k->lo >> 60) | (unsigned)(k->hi >> 30) << 4;
		if (code == 0 || code > 36)
			break;
		out[n++] = chars[code];
	}
	out[n] = '\0';
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void bench_sort_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
}

uint64_t bench_pct_sorted(const uint64_t *sorted, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

size_t bench_heap_bytes(void)
{
	if (mallctl) {
		uint64_t epoch = 1;
		size_t allocated = 0, sz = sizeof(epoch);

		mallctl("epoch", &epoch, &sz, &epoch, sz);
		sz = sizeof(allocated);
		if (mallctl("stats.allocated", &allocated, &sz, NULL, 0) == 0)
			return allocated;
	}
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

const char *bench_heap_method(void)
{
	return mallctl ? "jemalloc_stats.allocated" : "glibc_mallinfo2";
}

unsigned bench_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

/* Copy s into out, spaces and '=' made '_' so the header stays key=value. */
static void sanitize(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < cap; s++)
		out[o++] = (*s == ' ' || *s == '\t' || *s == '=') ? '_' : *s;
	while (o > 0 && (out[o - 1] == '\n' || out[o - 1] == '_'))
		o--;
	out[o] = '\0';
}

static void cpu_model(char *out, size_t cap)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(out, cap, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			colon++;
			while (*colon == ' ')
				colon++;
			sanitize(colon, out, cap);
			break;
		}
	}
	fclose(f);
}

/* HOTLIST_BENCH_GIT from the environment, else `git describe` of the source tree. */
static void git_describe(char *out, size_t cap)
{
	const char *env = getenv("HOTLIST_BENCH_GIT");
	char cmd[512];
	FILE *p;

	snprintf(out, cap, "unknown");
	if (env && *env) {
		sanitize(env, out, cap);
		return;
	}
#ifdef BENCH_SOURCE_DIR
	snprintf(cmd, sizeof(cmd), "git -C '%s' describe --always --dirty --tags 2>/dev/null",
		 BENCH_SOURCE_DIR);
#else
	snprintf(cmd, sizeof(cmd), "git describe --always --dirty --tags 2>/dev/null");
#endif
	p = popen(cmd, "r");
	if (!p)
		return;
	if (fgets(cmd, sizeof(cmd), p) && cmd[0] != '\0')
		sanitize(cmd, out, cap);
	pclose(p);
}

void bench_header(const char *name)
{
	char cpu[128], git[128], flags[512], comp[128];

	cpu_model(cpu, sizeof(cpu));
	git_describe(git, sizeof(git));
	sanitize(BENCH_CFLAGS, flags, sizeof(flags));
#ifdef __clang__
	sanitize("clang-" __clang_version__, comp, sizeof(comp));
#else
	sanitize("gcc-" __VERSION__, comp, sizeof(comp));
#endif
	printf("# bench=%s version=%d.%d.%d git=%s compiler=%s flags=%s cpu=%s cores=%u\n", name,
	       HOTLIST_VERSION_MAJOR, HOTLIST_VERSION_MINOR, HOTLIST_VERSION_PATCH, git, comp,
	       flags, cpu, bench_cores());
	fflush(stdout);
}

void *bench_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p) {
		fprintf(stderr, "bench: out of memory (%zu bytes)\n", size);
		exit(1);
	}
	return p;
}

void *bench_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "bench: out of memory (%zu x %zu bytes)\n", n, size);
		exit(1);
	}
	return p;
}

#define BENCH_HUGE_PAGE (2u << 20) /* x86-64 transparent huge page */

/* [p, p + len) lies between two PROT_NONE guard pages, so that the kernel
 * never merges it with a neighbouring mapping of the same flags (smaps would
 * then report their huge pages together). */
void *bench_map_aligned(size_t len, bool huge)
{
	size_t guard = 4096, map_len = len + BENCH_HUGE_PAGE + 2 * guard;
	uintptr_t start, p, end;
	void *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		perror("bench: mmap");
		exit(1);
	}
	start = (uintptr_t)m;
	end = start + map_len;
	p = (start + guard + BENCH_HUGE_PAGE - 1) & ~(uintptr_t)(BENCH_HUGE_PAGE - 1);
	if (p - guard > start)
		munmap(m, p - guard - start);
	if (end > p + len + guard)
		munmap((void *)(p + len + guard), end - (p + len + guard));
	if (mprotect((void *)(p - guard), guard, PROT_NONE) != 0 ||
	    mprotect((void *)(p + len), guard, PROT_NONE) != 0)
		perror("bench: mprotect (continuing)");
	if (madvise((void *)p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0)
		perror("bench: madvise (continuing)");
	return (void *)p;
}

void bench_unmap_aligned(void *p, size_t len)
{
	munmap((char *)p - 4096, len + 2 * 4096);
}

size_t bench_huge_bytes(const void *p, size_t len)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len, a = 0, b = 0, x, y;
	char line[256];
	size_t kb, total = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* Into x, y first: "Anonymous: ..." starts with a hex digit, and a
		 * failed match would still have overwritten a. */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &x, &y) == 2) {
			a = x; /* a mapping's first line: its address range */
			b = y;
			continue;
		}
		if (sscanf(line, "AnonHugePages: %zu kB", &kb) == 1 && a < hi && b > lo)
			total += kb * 1024;
	}
	fclose(f);
	return total;
}

struct hotlist *bench_engine(unsigned workers, hotlist_hit_fn on_hit, void *user)
{
	struct hotlist_config cfg;
	struct hotlist *hl = NULL;
	int rc;

	hotlist_config_init(&cfg);
	cfg.workers = workers;
	cfg.on_hit = on_hit;
	cfg.on_hit_user = user;
	cfg.suppress_window_us = 0;
	rc = hotlist_create(&hl, &cfg);
	if (rc != 0) {
		fprintf(stderr, "hotlist_create: %s\n", hotlist_strerror(rc));
		exit(1);
	}
	return hl;
}

struct hotlist_entry *bench_stolen_entries(const char *plates, size_t n)
{
	/* the entries, then their references, in one block (one free) */
	struct hotlist_entry *e = bench_xcalloc(n, sizeof(*e) + BENCH_REF_LEN);
	char *refs = (char *)(e + n);

	for (size_t i = 0; i < n; i++) {
		char *ref = refs + i * BENCH_REF_LEN;

		snprintf(ref, BENCH_REF_LEN, "PNC-%09u", (unsigned)(i % 1000000000u));
		e[i] = (struct hotlist_entry){ .plate = plates + i * (BENCH_PLATE_LEN + 1),
					       .country = "DE",
					       .category = "stolen vehicle",
					       .reference = ref,
					       .priority = 50 };
	}
	return e;
}

static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	if (strcmp(argv[*i], name) != 0)
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", argv[0], name);
		exit(2);
	}
	return argv[++*i];
}

bool bench_opt_u64(int argc, char **argv, int *i, const char *name, uint64_t *out)
{
	const char *v = opt_value(argc, argv, i, name);
	char *end;
	double d;

	if (!v)
		return false;
	errno = 0;
	d = strtod(v, &end); /* accepts 1e6 */
	if (errno || *end != '\0' || d < 0 || d > 1e18) {
		fprintf(stderr, "%s: bad value for %s: %s\n", argv[0], name, v);
		exit(2);
	}
	*out = (uint64_t)d;
	return true;
}

bool bench_opt_double(int argc, char **argv, int *i, const char *name, double *out)
{
	const char *v = opt_value(argc, argv, i, name);
	char *end;

	if (!v)
		return false;
	errno = 0;
	*out = strtod(v, &end);
	if (errno || *end != '\0') {
		fprintf(stderr, "%s: bad value for %s: %s\n", argv[0], name, v);
		exit(2);
	}
	return true;
}

bool bench_opt_str(int argc, char **argv, int *i, const char *name, const char **out)
{
	const char *v = opt_value(argc, argv, i, name);

	if (!v)
		return false;
	*out = v;
	return true;
}

void bench_bad_option(const char *prog, const char *arg, const char *usage)
{
	fprintf(stderr, "%s: unknown option %s\nusage: %s %s\n", prog, arg, prog, usage);
	exit(2);
}
