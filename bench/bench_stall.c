/* SPDX-License-Identifier: MIT */
/*
 * bench_stall: how long this machine stops a thread that does nothing but
 * read the clock, while another CPU does what a list writer does to memory.
 * The floor for issue 10's "readers never stall > 1 ms during a replace":
 * bench_reload's readers (and its --clock-readers peer, which reads the
 * clock instead of matching) measure gaps with the library's writer beside
 * them; this measures them with no library at all.
 *
 * One thread (the "reader") is pinned to the last CPU and reads
 * CLOCK_MONOTONIC in a loop; each gap between two reads is a time it did not
 * run. The main thread is pinned to CPU 0 and runs phases of --ms each, in
 * rounds (--reps), in this order:
 *
 *   idle      sleeps: the machine's own floor;
 *   spin      a register-only loop, no memory touched;
 *   rewrite   memset of --mib MiB mapped and touched beforehand, on
 *             2 MiB pages (advised; the share backed is printed): memory
 *             traffic without a page-table change, as a build writing
 *             recycled arrays;
 *   map_2m    mmap --mib MiB advised for 2 MiB pages, touch each 4 KiB,
 *             munmap, again: fresh memory as a first build takes it;
 *   map_4k    the same on 4 KiB pages (MADV_NOHUGEPAGE): page-table churn
 *             of small pages.
 *
 * Each round and phase prints `bench=stall`: the longest gap, the gaps over
 * 100 us and over 1 ms, and the time lost in gaps over 100 us; at the end
 * `bench=stall_summary` gives each phase's median of the rounds' longest
 * gaps. A gap counts wherever it comes from: the guest's scheduler (nothing
 * else should run on the reader's CPU: run it on an otherwise idle
 * machine), interrupts, or the hypervisor taking the virtual CPU away
 * (which a guest without steal time does not see at all). The reader's
 * own work is a few tens of nanoseconds a loop: a gap over 100 us is never
 * its own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setaffinity_np, MADV_HUGEPAGE */
#endif
#include "bench_common.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define DEFAULT_MIB 512 /* about what a 10 M list's arrays take */
#define DEFAULT_MS 2000
#define SMOKE_MIB 8
#define SMOKE_MS 40
#define MAX_REPS 16
#define GAP_NOTE_NS 100000ull /* 100 us */
#define GAP_BAD_NS 1000000ull /* 1 ms */
#define PAGE_4K 4096u

enum phase { PH_IDLE, PH_SPIN, PH_REWRITE, PH_MAP_2M, PH_MAP_4K, PH__COUNT, PH_NONE = PH__COUNT };
static const char *const phase_name[PH__COUNT] = { "idle", "spin", "rewrite", "map_2m", "map_4k" };

/* What the reader saw during one phase: written by the reader only, read
 * by the main thread once the reader has acknowledged the next phase
 * (acked: release there, acquire here). */
struct gaps {
	uint64_t max_ns, over_note, over_bad, lost_ns, loops;
};

static _Atomic int cur_phase = PH_NONE;
static atomic_bool stop;
static atomic_uint acked = PH_NONE; /* the phase the reader last started counting */
static struct gaps seen[PH__COUNT];

static bool pin(unsigned cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

static void *reader(void *arg)
{
	const unsigned *cpu = arg;
	(void)pin(*cpu);
	uint64_t prev = bench_now_ns();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int ph = atomic_load_explicit(&cur_phase, memory_order_acquire);
		uint64_t now = bench_now_ns(), gap = now - prev;
		prev = now;
		if (atomic_load_explicit(&acked, memory_order_relaxed) != (unsigned)ph) {
			/* after this thread's last count of the phase before: the
			 * main thread reads seen[] once it sees the acknowledgement */
			atomic_store_explicit(&acked, (unsigned)ph, memory_order_release);
			continue; /* the gap straddles two phases: counted in neither */
		}
		if (ph == PH_NONE)
			continue;
		struct gaps *g = &seen[ph];
		g->loops++;
		if (gap > g->max_ns)
			g->max_ns = gap;
		if (gap > GAP_NOTE_NS) {
			g->over_note++;
			g->lost_ns += gap;
			g->over_bad += gap > GAP_BAD_NS;
		}
	}
	return NULL;
}

/* Runs phase ph on this thread for ms milliseconds; returns the passes
 * made (memsets, maps). */
static uint64_t work(enum phase ph, uint64_t ms, size_t bytes, unsigned char *mapped)
{
	const uint64_t end = bench_now_ns() + ms * 1000000ull;
	uint64_t passes = 0;
	volatile uint64_t x = 1;
	if (ph == PH_IDLE) {
		bench_sleep_ms(ms);
		return 0;
	}
	do {
		switch (ph) {
		case PH_SPIN:
			for (int i = 0; i < 100000; i++)
				x = x * UINT64_C(6364136223846793005) + 1;
			break;
		case PH_REWRITE:
			memset(mapped, (int)(passes & 0xff), bytes);
			break;
		case PH_MAP_2M:
		case PH_MAP_4K: {
			unsigned char *p = bench_map_aligned(bytes, ph == PH_MAP_2M);
			for (size_t i = 0; i < bytes; i += PAGE_4K)
				p[i] = 1;
			bench_unmap_aligned(p, bytes);
			break;
		}
		default:
			break;
		}
		passes++;
	} while (bench_now_ns() < end);
	return passes;
}

int main(int argc, char **argv)
{
	static const char usage[] = "[--smoke] [--mib N] [--ms N] [--reps N]";
	uint64_t mib = DEFAULT_MIB, ms = DEFAULT_MS, reps = BENCH_REPS_DEFAULT;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			mib = SMOKE_MIB;
			ms = SMOKE_MS;
			reps = 1;
		} else if (!bench_opt_u64(argc, argv, &i, "--mib", &mib) &&
			   !bench_opt_u64(argc, argv, &i, "--ms", &ms) &&
			   !bench_opt_u64(argc, argv, &i, "--reps", &reps)) {
			bench_bad_option(argv[0], argv[i], usage);
		}
	}
	if (mib < 2 || ms < 10 || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "%s: need --mib >= 2, --ms >= 10, 1 <= --reps <= %d\n", argv[0],
			MAX_REPS);
		return 2;
	}
	bench_header("stall");
	const unsigned cores = bench_cores();
	if (cores < 2) {
		printf("bench=stall skipped=one_cpu\n"); /* the reader needs a CPU of its own */
		return 0;
	}
	unsigned reader_cpu = cores - 1;
	const bool pinned = pin(0);
	const size_t bytes = (size_t)mib << 20;
	unsigned char *mapped = bench_map_aligned(bytes, true);
	memset(mapped, 1, bytes); /* fault it in before any phase */
	const double huge_share = (double)bench_huge_bytes(mapped, bytes) / (double)bytes;

	pthread_t th;
	if (pthread_create(&th, NULL, reader, &reader_cpu) != 0) {
		fprintf(stderr, "%s: cannot start the reader thread\n", argv[0]);
		return 1;
	}
	double max_us[PH__COUNT][MAX_REPS];
	for (unsigned r = 0; r < reps; r++) {
		for (int ph = 0; ph < PH__COUNT; ph++) {
			memset(&seen[ph], 0, sizeof(seen[ph]));
			atomic_store_explicit(&cur_phase, ph, memory_order_release);
			while (atomic_load_explicit(&acked, memory_order_acquire) != (unsigned)ph)
				; /* the reader counts from here on */
			const uint64_t t0 = bench_now_ns();
			const uint64_t passes = work((enum phase)ph, ms, bytes, mapped);
			const uint64_t wall_ms = (bench_now_ns() - t0) / 1000000u;
			atomic_store_explicit(&cur_phase, PH_NONE, memory_order_release);
			while (atomic_load_explicit(&acked, memory_order_acquire) != PH_NONE)
				; /* the reader has stopped counting: seen[ph] is still */
			const struct gaps *g = &seen[ph];
			max_us[ph][r] = (double)g->max_ns / 1e3;
			printf("bench=stall round=%u phase=%s mib=%" PRIu64 " ms=%" PRIu64
			       " pinned=%d reader_cpu=%u huge_share=%.2f passes=%" PRIu64
			       " loops=%" PRIu64 " max_gap_us=%.1f gaps_over_100us=%" PRIu64
			       " gaps_over_1ms=%" PRIu64 " lost_ms=%.2f\n",
			       r + 1, phase_name[ph], mib, wall_ms, (int)pinned, reader_cpu,
			       huge_share, passes, g->loops, max_us[ph][r], g->over_note,
			       g->over_bad, (double)g->lost_ns / 1e6);
			fflush(stdout);
		}
	}
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	for (int ph = 0; ph < PH__COUNT; ph++)
		printf("bench=stall_summary phase=%s rounds=%" PRIu64 " median_max_gap_us=%.1f\n",
		       phase_name[ph], reps, bench_median(max_us[ph], (size_t)reps));
	bench_unmap_aligned(mapped, bytes);
	return 0;
}
