/* SPDX-License-Identifier: MIT */
/*
 * date.h — the one date and time parser of hotlist: hot-list validity
 * columns (lib/csv.c) and read timestamps (tools/readparse.c). Internal,
 * never installed.
 */
#ifndef HOTLIST_DATE_H
#define HOTLIST_DATE_H

#include <stddef.h>
#include <stdint.h>

/* The plausible instants, [HL_DATE_MIN_US, HL_DATE_MAX_US): 1990-01-01 up to
 * the end of 2100, UTC. Before it is a typo or an unset field (0, 1970);
 * past it is epoch milliseconds or microseconds taken for seconds. */
#define HL_DATE_MIN_S INT64_C(631152000) /* 1990-01-01T00:00:00Z */
#define HL_DATE_MAX_S INT64_C(4133980800) /* 2101-01-01T00:00:00Z */
#define HL_DATE_MIN_US (HL_DATE_MIN_S * 1000000)
#define HL_DATE_MAX_US (HL_DATE_MAX_S * 1000000)

/* A date, but outside [1990, 2100]: -ERANGE, never returned by the API. */
#define HL_DATE_ERANGE (-34)

/* Flags of hotlist__date_parse(). */
enum {
	/* A date without a time ("2027-12-31") is the first instant after that
	 * day (for "expires": valid through the whole day), not its start. */
	HL_DATE_END_OF_DAY = 1u << 0,
	/* Digits only are epoch seconds, milliseconds, microseconds or
	 * nanoseconds, whichever is plausible (the ranges do not overlap);
	 * without the flag they are seconds. For read timestamps. */
	HL_DATE_EPOCH_ANY_UNIT = 1u << 1,
};

/*
 * Parse s[0..len) (no NUL needed; s[len] is never read, a NUL inside is an
 * error) into microseconds since 1970-01-01T00:00:00Z. Surrounding ASCII
 * spaces and tabs are ignored. Accepted:
 *   YYYYMMDD, YYYY-MM-DD                  a day, UTC or with an offset
 *                                         (2027-12-31+01:00, as xs:date)
 *   date[T| ]HH:MM[:SS[.f]][offset]      ISO 8601, extended or basic
 *                                         (20271231T235959Z); f 1..9 digits
 *                                         ('.' or ','), cut to microseconds;
 *                                         no offset means UTC
 *   offset: Z, +HH, +HHMM, +HH:MM (or -)
 *   [-]digits[.f]                         epoch seconds (see the flags)
 * Ranges are checked (month days, leap years, no hour 24, no second 60).
 * @return 0 and *out_us; HOTLIST_EINVAL (none of these: *out_us untouched);
 *         HL_DATE_ERANGE (a date before 1990 or after 2100; *out_us
 *         untouched).
 * Threads: any; pure, wait-free, allocates nothing.
 */
int hotlist__date_parse(const char *s, size_t len, unsigned flags, int64_t *out_us);

/* The same for a NUL-terminated string (at most 64 bytes are looked at). */
int hotlist__date_parse_str(const char *s, unsigned flags, int64_t *out_us);

/* Bytes for hotlist__date_format(): 27 characters and a NUL for the years
 * 0..9999, room for the sign and digits of any int64_t year. */
#define HL_DATE_STR_LEN 64

/* "2027-12-31T23:59:59Z" for us, or "2027-12-31T23:59:59.123456Z" when it has
 * a fraction of a second, into out[HL_DATE_STR_LEN]. */
void hotlist__date_format(int64_t us, char out[HL_DATE_STR_LEN]);

#endif /* HOTLIST_DATE_H */
