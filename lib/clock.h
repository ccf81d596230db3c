/* SPDX-License-Identifier: MIT */
/*
 * clock.h — what the library asks the kernel for besides memory: the
 * clocks and random hash seeds (clock.c). Bottom layer: includes no other
 * module, so the table, the stats and the snapshot share one seed source.
 */
#ifndef HOTLIST_CLOCK_H
#define HOTLIST_CLOCK_H

#include <stdint.h>

uint64_t hotlist__now_ns(void); /* CLOCK_MONOTONIC */
int64_t hotlist__wall_us(void); /* CLOCK_REALTIME */
uint64_t hotlist__thread_cpu_ns(void); /* CLOCK_THREAD_CPUTIME_ID; 0 if it fails */

/*
 * A random 64-bit hash seed from the kernel (getrandom, never blocking).
 * Without entropy yet (early boot): splitmix64 of salt and the monotonic
 * clock, which still varies from call to call but is not secret. salt: a
 * previous seed when there is one (the table's reseed), else 0.
 */
uint64_t hotlist__seed(uint64_t salt);

#endif /* HOTLIST_CLOCK_H */
