/* SPDX-License-Identifier: MIT */
/*
 * bench_floor: what a random DRAM load costs on this machine, the floor for
 * any lookup that misses the caches.
 *
 * A buffer of --mib MiB (default 1 GiB, a power of two) is cut into 64-byte
 * cells, one cache line each. The cells are linked into one cycle in a random
 * order (cell bij(k) points to cell bij(k+1), bij a bijection on the cell
 * numbers), so following the links is a chain of dependent loads to random
 * lines. Three measurements, each with 4 KiB pages (MADV_NOHUGEPAGE) and with
 * 2 MiB pages (MADV_HUGEPAGE; the share really backed by huge pages is read
 * from /proc/self/smaps and printed):
 *
 *   chase        one chain: each load's address comes from the previous load
 *                (latency of one miss, page walk included);
 *   chains N     N chains followed in lock step, N = 2..32: N misses in
 *                flight, the memory-level parallelism a batch lookup can get;
 *   independent  addresses from a register-only generator, no dependency
 *                between loads: as many in flight as the core allows.
 *
 * Each measurement consumes the next stretch of the cycle, so no cell is
 * visited twice within 1 GiB of traffic and a cell is only cached if the
 * last-level cache is large against the buffer (each line gives l3_mib, the
 * L3 size from sysfs, to compare with buffer_mib). The cycle is
 * written in cycle order and chased from its start, so the cells chased
 * first are those written longest ago.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MADV_HUGEPAGE */
#endif
#include "bench_common.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CELL_BYTES 64 /* one cache line: each load misses a distinct line */
#define HUGE_PAGE_BYTES (2u << 20) /* x86-64 transparent huge page */
#define MAX_CHAINS 32 /* beyond the ~16 line-fill buffers of current cores */
#define DEFAULT_MIB 1024 /* well past the L3 of most servers */
#define DEFAULT_LOADS 500000 /* ~0.1 s of dependent misses */
#define SMOKE_MIB 8
#define SMOKE_LOADS 20000

struct cell {
	struct cell *next;
	char pad[CELL_BYTES - sizeof(struct cell *)];
};

struct buffer {
	struct cell *cells;
	uint64_t n; /* cells, a power of two */
	unsigned bits; /* log2(n) */
	size_t len; /* bytes */
	uint64_t cursor; /* next unvisited position in the cycle */
	double thp_share; /* share of the buffer on huge pages */
};

static uint64_t seed = BENCH_SEED_DEFAULT;

/* A bijection on [0, 2^bits): odd multiplies and xor-shifts, all invertible. */
static uint64_t bij(uint64_t x, unsigned bits)
{
	const uint64_t m = (bits == 64) ? ~0ull : (1ull << bits) - 1;

	x = (x ^ seed) & m;
	x = (x * 0x9e3779b97f4a7c15ull) & m;
	x ^= x >> (bits / 2 + 1);
	x = (x * 0xd6e8feb86659fd93ull) & m;
	x ^= x >> (bits / 3 + 1);
	return x;
}

static void buffer_init(struct buffer *buf, uint64_t mib, int huge)
{
	size_t len = (size_t)mib << 20;

	buf->len = len;
	buf->cells = bench_map_aligned(len, huge);
	buf->n = len / CELL_BYTES;
	for (buf->bits = 0; (1ull << buf->bits) < buf->n; buf->bits++)
		;
	/* Link the cycle in cycle order (this also faults every page in). */
	for (uint64_t k = 0; k < buf->n; k++) {
		uint64_t from = bij(k, buf->bits), to = bij((k + 1) & (buf->n - 1), buf->bits);

		buf->cells[from].next = &buf->cells[to];
	}
	buf->cursor = 0;
	buf->thp_share = (double)bench_huge_bytes(buf->cells, len) / (double)len;
}

static void buffer_free(struct buffer *buf)
{
	bench_unmap_aligned(buf->cells, buf->len);
}

static struct cell *cycle_at(const struct buffer *buf, uint64_t pos)
{
	return &buf->cells[bij(pos & (buf->n - 1), buf->bits)];
}

static volatile uintptr_t sink;

/*
 * Follow `chains` chains in lock step for `loads` loads in all. always_inline
 * with a constant `chains` lets the compiler keep the pointers in registers.
 */
static inline __attribute__((always_inline)) double run_chains(struct buffer *buf, uint64_t loads,
							       const unsigned chains)
{
	struct cell *p[MAX_CHAINS];
	uint64_t per = loads / chains, t0, t1;
	uintptr_t acc = 0;

	for (unsigned j = 0; j < chains; j++)
		p[j] = cycle_at(buf, buf->cursor + j * per);
	buf->cursor += per * chains;
	t0 = bench_now_ns();
	for (uint64_t s = 0; s < per; s++)
		for (unsigned j = 0; j < chains; j++)
			p[j] = p[j]->next;
	t1 = bench_now_ns();
	for (unsigned j = 0; j < chains; j++)
		acc += (uintptr_t)p[j];
	sink = acc;
	return (double)(t1 - t0) / (double)(per * chains);
}

static double measure_chains(struct buffer *buf, uint64_t loads, unsigned chains)
{
	switch (chains) {
	case 1:
		return run_chains(buf, loads, 1);
	case 2:
		return run_chains(buf, loads, 2);
	case 4:
		return run_chains(buf, loads, 4);
	case 8:
		return run_chains(buf, loads, 8);
	case 16:
		return run_chains(buf, loads, 16);
	default:
		return run_chains(buf, loads, MAX_CHAINS);
	}
}

/* Independent loads: addresses from an LCG held in a register. */
static double measure_independent(struct buffer *buf, uint64_t loads)
{
	uint64_t x = seed ^ buf->cursor, t0, t1;
	uintptr_t acc = 0;
	const unsigned shift = 64 - buf->bits;

	buf->cursor += loads;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < loads; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		acc += (uintptr_t)buf->cells[x >> shift].next;
	}
	t1 = bench_now_ns();
	sink = acc;
	return (double)(t1 - t0) / (double)loads;
}

/* L3 size in MiB from sysfs (0 if unknown): in a VM it is the host's. */
static unsigned l3_mib(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r");
	unsigned v = 0;
	char unit = 'K';

	if (!f)
		return 0;
	if (fscanf(f, "%u%c", &v, &unit) < 1)
		v = 0;
	fclose(f);
	return unit == 'M' ? v : v / 1024;
}

static void report(const char *pages, const char *mode, unsigned in_flight,
		   const struct buffer *buf, uint64_t loads, double *ns, unsigned reps)
{
	double lo = ns[0], hi = ns[0], med;

	for (unsigned r = 1; r < reps; r++) {
		lo = ns[r] < lo ? ns[r] : lo;
		hi = ns[r] > hi ? ns[r] : hi;
	}
	med = bench_median(ns, reps);
	printf("bench=floor pages=%s mode=%s in_flight=%u buffer_mib=%" PRIu64
	       " l3_mib=%u thp_share=%.2f loads=%" PRIu64 " reps=%u ns_per_load=%.2f ns_min=%.2f "
	       "ns_max=%.2f mloads_per_s=%.1f\n",
	       pages, mode, in_flight, (buf->n * CELL_BYTES) >> 20, l3_mib(), buf->thp_share, loads,
	       reps, med, lo, hi, 1e3 / med);
	fflush(stdout);
}

static void run_pages(const char *pages, int huge, uint64_t mib, uint64_t loads, unsigned reps)
{
	static const unsigned chains[] = { 1, 2, 4, 8, 16, 32 };
	struct buffer buf;
	double ns[16];

	buffer_init(&buf, mib, huge);
	measure_chains(&buf, loads / 4, 1); /* warm-up: code, TLB of the stack */
	for (size_t c = 0; c < sizeof(chains) / sizeof(chains[0]); c++) {
		/* More loads with more in flight, for similar run times. */
		uint64_t n = loads * (chains[c] > 4 ? 4 : chains[c]);

		for (unsigned r = 0; r < reps; r++)
			ns[r] = measure_chains(&buf, n, chains[c]);
		report(pages, chains[c] == 1 ? "chase" : "chains", chains[c], &buf, n, ns, reps);
	}
	for (unsigned r = 0; r < reps; r++)
		ns[r] = measure_independent(&buf, loads * 8);
	report(pages, "independent", 0, &buf, loads * 8, ns, reps);
	buffer_free(&buf);
}

int main(int argc, char **argv)
{
	static const char usage[] = "[--smoke] [--mib N] [--loads N] [--reps N] [--seed N]";
	uint64_t mib = DEFAULT_MIB, loads = DEFAULT_LOADS, reps = BENCH_REPS_DEFAULT, p2;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			mib = SMOKE_MIB;
			loads = SMOKE_LOADS;
		} else if (!bench_opt_u64(argc, argv, &i, "--mib", &mib) &&
			   !bench_opt_u64(argc, argv, &i, "--loads", &loads) &&
			   !bench_opt_u64(argc, argv, &i, "--reps", &reps) &&
			   !bench_opt_u64(argc, argv, &i, "--seed", &seed)) {
			bench_bad_option(argv[0], argv[i], usage);
		}
	}
	if (mib < 4 || reps < 1 || reps > 16 || loads < MAX_CHAINS) {
		fprintf(stderr, "%s: need --mib >= 4, 1 <= --reps <= 16, --loads >= %d\n", argv[0],
			MAX_CHAINS);
		return 2;
	}
	for (p2 = 1; p2 * 2 <= mib; p2 *= 2)
		;
	bench_header("floor");
	run_pages("4k", 0, p2, loads, (unsigned)reps);
	run_pages("2m", 1, p2, loads, (unsigned)reps);
	return 0;
}
