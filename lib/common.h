/* SPDX-License-Identifier: MIT */
/*
 * common.h — the few macros every lib/ file may use: branch hints, the cache
 * line size, the read path's thread-local storage class, HL_DEBUG_ASSERT, and the power-of-two size of a table. Includes nothing of lib/; the bottom of
 * the module graph (see docs/DESIGN.md, "Modules").
 *
 * Internal headers are never installed. Cross-file symbols are named
 * hotlist__*, and the library is built with hidden visibility so none of
 * them is exported.
 */
#ifndef HOTLIST_COMMON_H
#define HOTLIST_COMMON_H

#define HL_CACHE_LINE 64

#ifdef HOTLIST_DEBUG_CHECKS
/* Not assert(): release builds with debug checks define NDEBUG too. */
#include <stdio.h>
#include <stdlib.h>
#define HL_DEBUG_ASSERT(x)                                                                        \
	do {                                                                                      \
		if (!(x)) {                                                                       \
			fprintf(stderr, "hotlist: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#x);                                                              \
			abort();                                                                  \
		}                                                                                 \
	} while (0)
#else
#define HL_DEBUG_ASSERT(x) ((void)0)
#endif

#define HL_LIKELY(x) __builtin_expect(!!(x), 1)
#define HL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* A thread-local of the library that the read path touches: the
 * initial-exec model makes it one %fs-relative access, where the default
 * model of position-independent code (libhotlist.so) calls __tls_get_addr.
 * It takes a few bytes of the static TLS block, which glibc keeps spare for
 * libraries loaded with dlopen (the Python binding). */
#define HL_TLS _Thread_local __attribute__((tls_model("initial-exec")))

#include <stddef.h>

/* The smallest power of two >= n (1 for n <= 1): the size of an
 * open-addressing table for n slots. */
static inline size_t hl_pow2_at_least(size_t n)
{
	size_t p = 1;
	while (p < n)
		p *= 2;
	return p;
}

#endif /* HOTLIST_COMMON_H */
