/* SPDX-License-Identifier: MIT */
/*
 * clock.c — the clocks and the hash seeds.
 *
 * Owns: hotlist__now_ns (CLOCK_MONOTONIC, for durations and latencies),
 * hotlist__wall_us (CLOCK_REALTIME, for list and read timestamps),
 * hotlist__thread_cpu_ns (the calling thread's CPU time, for the build's
 * timing stamps, table.h) and
 * hotlist__seed, the one source of random seeds (the table's XXH3 seed per
 * build and per reseed, the list builder's grouping hash). Bottom of the
 * module graph: includes no other module.
 *
 * Seeds come from getrandom(2) without blocking, so that keys crafted
 * against one seed (hash flooding) do not collide under the next one. Early
 * in boot the kernel may have no entropy yet; then the seed is splitmix64
 * (Steele et al., "Fast splittable pseudorandom number generators", 2014)
 * of the caller's salt and the clock: it still varies, it is not secret.
 *
 * Threads: any, wait-free (getrandom with GRND_NONBLOCK never waits).
 */
#include "clock.h"

#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

uint64_t hotlist__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t hotlist__thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t hotlist__wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t hotlist__seed(uint64_t salt)
{
	uint64_t z;

	if (getrandom(&z, sizeof(z), GRND_NONBLOCK) == (ssize_t)sizeof(z))
		return z;
	z = salt + hotlist__now_ns() + 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
