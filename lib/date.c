/* SPDX-License-Identifier: MIT */
/*
 * date.c — dates and times as hot lists and camera exports write them.
 *
 * Owns: hotlist__date_parse(), the one parser behind a list's valid_from and
 * expires columns (csv.c) and a read's timestamp (tools/readparse.c), and
 * hotlist__date_format() for messages.
 *
 * Why one parser with a plausibility window: a list exported with
 * `expires` = 20271231 used to load as epoch second 20 271 231 (August
 * 1970), so the entry never hit and nothing said so. Now eight digits are
 * a day (YYYYMMDD), other digits are epoch seconds, and any instant outside
 * 1990..2100 is refused (HL_DATE_ERANGE), which also catches epoch
 * milliseconds taken for seconds. The loader turns both refusals into a bad
 * row with its line, so a list in an unexpected format fails loudly.
 *
 * Grammar (s[0..len), ASCII spaces and tabs trimmed at both ends):
 *
 *   value   = day [offset] | day sep clock [offset] | epoch
 *   day     = YYYY "-" MM "-" DD | YYYYMMDD
 *   sep     = "T" | "t" | " "
 *   clock   = HH ":" MM [":" SS [frac]] | HH MM [SS [frac]]
 *   frac    = ("." | ",") 1*9DIGIT
 *   offset  = "Z" | "z" | ("+" | "-") HH [[":"] MM]
 *   epoch   = ["-"] 1*19DIGIT [frac]       (8 digits alone are a day)
 *
 * A day alone is midnight at its offset (UTC without one), or with
 * HL_DATE_END_OF_DAY the midnight that ends it. Converted with Howard
 * Hinnant's days_from_civil (proleptic Gregorian,
 * http://howardhinnant.github.io/date_algorithms.html); no libc time or
 * locale function is used, so the result does not depend on TZ.
 *
 * Contract for fuzzing: never reads s[len] or past it (every access goes
 * through at()), never writes but *out_us, and only on success.
 *
 * Threads: pure functions, wait-free, any thread.
 */
#include "date.h"

#include "hotlist.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DATE_STR_MAX 64 /* bytes hotlist__date_parse_str() looks at */
#define SECS_PER_DAY 86400
#define US_PER_S 1000000
#define FRAC_DIGITS_MAX 9 /* nanoseconds: what any exporter writes */
#define EPOCH_DIGITS_MAX 19 /* fits uint64_t unchecked */
#define DAY_BASIC_DIGITS 8 /* YYYYMMDD */
#define OFFSET_HOURS_MAX 23

/* A bounded cursor: at() is the only read of the input. */
struct cur {
	const char *s;
	size_t n, i;
};

static int at(const struct cur *c, size_t k)
{
	return c->i + k < c->n ? (unsigned char)c->s[c->i + k] : -1;
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* k digits at the cursor as a number (advancing), or -1 (not advancing). */
static int take_digits(struct cur *c, unsigned k)
{
	int v = 0;

	for (unsigned j = 0; j < k; j++) {
		if (!is_digit(at(c, j)))
			return -1;
		v = v * 10 + (at(c, j) - '0');
	}
	c->i += k;
	return v;
}

/* Consume ch if it is next. */
static bool take(struct cur *c, int ch)
{
	if (at(c, 0) != ch)
		return false;
	c->i++;
	return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian); Hinnant's algorithm. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse, for hotlist__date_format(). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y & 3) == 0 && (y % 100 != 0 || y % 400 == 0);

	return dim[m - 1] + (unsigned)(m == 2 && leap);
}

/* day = YYYY-MM-DD | YYYYMMDD: days since the epoch. */
static bool parse_day(struct cur *c, int64_t *days)
{
	int y = take_digits(c, 4), m, d;
	bool ext;

	if (y < 0)
		return false;
	ext = take(c, '-');
	m = take_digits(c, 2);
	if (m < 1 || m > 12 || (ext && !take(c, '-')))
		return false;
	d = take_digits(c, 2);
	if (d < 1 || (unsigned)d > days_in_month((unsigned)y, (unsigned)m))
		return false;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return true;
}

/* frac = ("." | ",") 1*9DIGIT, cut to microseconds. */
static bool parse_frac(struct cur *c, int64_t *us)
{
	int64_t f = 0;
	unsigned n = 0;

	c->i++; /* the '.' or ',' */
	for (; is_digit(at(c, 0)); c->i++, n++) {
		if (n == FRAC_DIGITS_MAX)
			return false;
		f = f * 10 + (at(c, 0) - '0');
	}
	if (n == 0)
		return false;
	for (; n < 6; n++)
		f *= 10;
	for (; n > 6; n--)
		f /= 10;
	*us = f;
	return true;
}

static bool at_frac(const struct cur *c)
{
	return at(c, 0) == '.' || at(c, 0) == ',';
}

/* clock: seconds of the day and microseconds. */
static bool parse_clock(struct cur *c, int64_t *secs, int64_t *us)
{
	int hh = take_digits(c, 2), mm, ss = 0;
	bool ext;

	if (hh < 0 || hh > 23)
		return false;
	ext = take(c, ':');
	mm = take_digits(c, 2);
	if (mm < 0 || mm > 59)
		return false;
	if (ext ? take(c, ':') : is_digit(at(c, 0))) {
		ss = take_digits(c, 2);
		if (ss < 0 || ss > 59)
			return false;
		if (at_frac(c) && !parse_frac(c, us))
			return false;
	}
	*secs = (int64_t)hh * 3600 + mm * 60 + ss;
	return true;
}

/* offset, if any: seconds east of UTC. */
static bool parse_offset(struct cur *c, int64_t *east)
{
	int sign = at(c, 0), hh, mm = 0;

	*east = 0;
	if (sign == 'Z' || sign == 'z') {
		c->i++;
		return true;
	}
	if (sign != '+' && sign != '-')
		return true; /* none: the caller checks for the end */
	c->i++;
	hh = take_digits(c, 2);
	if (hh < 0 || hh > OFFSET_HOURS_MAX)
		return false;
	if (take(c, ':') || is_digit(at(c, 0))) {
		mm = take_digits(c, 2);
		if (mm < 0 || mm > 59)
			return false;
	}
	*east = (sign == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
	return true;
}

/* v in the first unit (seconds; with HL_DATE_EPOCH_ANY_UNIT then ms, us,
 * ns) in which it is a plausible instant, as microseconds; k is that unit's
 * index. The plausible ranges are 1000 times apart, so they never overlap. */
static bool epoch_us(uint64_t v, unsigned flags, int64_t *us, unsigned *k)
{
	static const uint64_t per_s[] = { 1, 1000, 1000000, 1000000000 };
	unsigned n = (flags & HL_DATE_EPOCH_ANY_UNIT) ? 4 : 1;

	for (*k = 0; *k < n; (*k)++) {
		uint64_t p = per_s[*k];

		if (v >= (uint64_t)HL_DATE_MIN_S * p && v < (uint64_t)HL_DATE_MAX_S * p) {
			*us = p <= US_PER_S ? (int64_t)(v * (US_PER_S / p)) : (int64_t)(v / 1000);
			return true;
		}
	}
	return false;
}

/* epoch = ["-"] 1*19DIGIT [frac], the cursor at its start, the end at c->n. */
static int parse_epoch(struct cur *c, unsigned flags, int64_t *out_us)
{
	bool neg = take(c, '-');
	uint64_t v = 0;
	int64_t frac = 0, us;
	unsigned n = 0, unit;

	for (; is_digit(at(c, 0)); c->i++, n++) {
		if (n == EPOCH_DIGITS_MAX)
			return HOTLIST_EINVAL;
		v = v * 10 + (uint64_t)(at(c, 0) - '0');
	}
	if (n == 0 || (at_frac(c) && !parse_frac(c, &frac)) || c->i != c->n)
		return HOTLIST_EINVAL;
	if (neg || !epoch_us(v, flags, &us, &unit) || (frac && unit != 0))
		return HL_DATE_ERANGE; /* before 1970, or not 1990..2100 in any unit */
	*out_us = us + frac;
	return 0;
}

/* Does the text at the cursor start like a day (YYYY-, or YYYYMMDD then
 * nothing, a clock or an offset) rather than epoch digits? */
static bool looks_like_day(const struct cur *c)
{
	size_t run = 0;
	int next;

	while (is_digit(at(c, run)))
		run++;
	next = at(c, run);
	if (run == 4)
		return next == '-';
	return run == DAY_BASIC_DIGITS &&
	       (next == -1 || next == 'T' || next == 't' || next == ' ' || next == 'Z' ||
		next == 'z' || next == '+' || next == '-');
}

int hotlist__date_parse(const char *s, size_t len, unsigned flags, int64_t *out_us)
{
	struct cur c = { .s = s, .n = len, .i = 0 };
	int64_t days, secs = 0, us = 0, east = 0, t;
	bool day_only;

	if (!s || !out_us)
		return HOTLIST_EINVAL;
	while (c.n > 0 && (s[c.n - 1] == ' ' || s[c.n - 1] == '\t'))
		c.n--;
	while (c.i < c.n && (s[c.i] == ' ' || s[c.i] == '\t'))
		c.i++;
	if (!looks_like_day(&c))
		return parse_epoch(&c, flags, out_us);
	if (!parse_day(&c, &days))
		return HOTLIST_EINVAL;
	day_only = c.i == c.n || at(&c, 0) == 'Z' || at(&c, 0) == 'z' || at(&c, 0) == '+' ||
		   at(&c, 0) == '-';
	if (!day_only) {
		if (!take(&c, 'T') && !take(&c, 't') && !take(&c, ' '))
			return HOTLIST_EINVAL;
		if (!parse_clock(&c, &secs, &us))
			return HOTLIST_EINVAL;
	}
	if (!parse_offset(&c, &east) || c.i != c.n)
		return HOTLIST_EINVAL;
	t = days * SECS_PER_DAY + secs - east;
	if (t < HL_DATE_MIN_S || t >= HL_DATE_MAX_S)
		return HL_DATE_ERANGE;
	if (day_only && (flags & HL_DATE_END_OF_DAY))
		t += SECS_PER_DAY;
	*out_us = t * US_PER_S + us;
	return 0;
}

int hotlist__date_parse_str(const char *s, unsigned flags, int64_t *out_us)
{
	size_t n = 0;

	while (s && n <= DATE_STR_MAX && s[n])
		n++;
	return hotlist__date_parse(s, n, flags, out_us);
}

void hotlist__date_format(int64_t us, char out[HL_DATE_STR_LEN])
{
	int64_t s = us >= 0 ? us / US_PER_S : -((-us + US_PER_S - 1) / US_PER_S);
	int64_t frac = us - s * US_PER_S, days, sod, y;
	unsigned m, d;

	days = s >= 0 ? s / SECS_PER_DAY : -((-s + SECS_PER_DAY - 1) / SECS_PER_DAY);
	sod = s - days * SECS_PER_DAY;
	civil_from_days(days, &y, &m, &d);
	if (frac)
		snprintf(out, HL_DATE_STR_LEN, "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ",
			 (long long)y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
			 (int)(sod % 60), (long long)frac);
	else
		snprintf(out, HL_DATE_STR_LEN, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m,
			 d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
}
