/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for lib/csv.c. The input is a hot-list file. Properties
 * checked on every input:
 *   - no crash, no read past the input, no leak (the sanitizers);
 *   - the return code is 0, HOTLIST_EBADFILE or HOTLIST_ENOMEM (the row
 *     callback's, see below), and on HOTLIST_EBADFILE no callback was made;
 *   - line numbers strictly increase from row to row; a bad() for a row the
 *     row callback refused comes right after it, with its line and code,
 *     and no other bad() repeats a line;
 *   - every good row has a non-empty plate; every string is at most 256
 *     bytes; priority is 0..100; reasons are non-empty and fit 96 bytes;
 *   - the result does not depend on how the input is split: parsing it in
 *     one piece and in pieces of 1..16 bytes (chosen by the first byte) give
 *     the same code and the same callbacks (compared by a hash);
 *   - hotlist__parse_time() on the first line does not crash, and a date it
 *     accepts without a clock is a whole number of days.
 * The row callback refuses plates that start with 'X' (HOTLIST_EPLATE), and
 * a plate "OOM" stops the parse (HOTLIST_ENOMEM), to exercise both paths.
 * A property that fails aborts, which libFuzzer reports as a crash.
 */
#include "csv.h"
#include "date.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROPERTY(cond)                    \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

#define FIELD_MAX 256 /* HL_CSV_FIELD_MAX in lib/csv.c */
#define REASON_LEN 96
#define TIME_TEXT_MAX 48

struct run {
	uint64_t hash; /* FNV-1a over every callback */
	uint64_t last_line; /* line of the last callback, 0 before the first */
	uint64_t refused_line; /* line of a row refused, until its bad() */
	int refused_code;
	size_t calls;
};

static void mix(struct run *r, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		r->hash = (r->hash ^ b[i]) * 0x100000001b3ULL;
}

static void mix_str(struct run *r, const char *s)
{
	PROPERTY(s != NULL);
	size_t n = strlen(s);

	PROPERTY(n <= FIELD_MAX);
	mix(r, s, n + 1);
}

static int on_row(void *ctx, const struct hotlist_entry *e, uint64_t line, char *reason)
{
	struct run *r = ctx;
	const int64_t nums[] = { (int64_t)line, e->priority, e->valid_from_us, e->expires_us,
				 e->covert };

	PROPERTY(r->refused_line == 0);
	PROPERTY(line > r->last_line);
	PROPERTY(e->plate != NULL && e->plate[0] != '\0');
	PROPERTY(e->priority <= HOTLIST_PRIORITY_MAX);
	r->last_line = line;
	r->calls++;
	mix(r, "R", 1);
	mix(r, nums, sizeof(nums));
	mix_str(r, e->plate);
	mix_str(r, e->country);
	mix_str(r, e->category);
	mix_str(r, e->reference);
	if (strcmp(e->plate, "OOM") == 0)
		return HOTLIST_ENOMEM;
	if (e->plate[0] == 'X') {
		strcpy(reason, "refused by the fuzz target");
		r->refused_line = line;
		r->refused_code = HOTLIST_EPLATE;
		return HOTLIST_EPLATE;
	}
	return 0;
}

static void on_bad(void *ctx, uint64_t line, int code, const char *reason)
{
	struct run *r = ctx;
	size_t n;

	if (r->refused_line != 0) {
		PROPERTY(line == r->refused_line && code == r->refused_code);
		r->refused_line = 0;
	} else {
		PROPERTY(line > r->last_line);
		PROPERTY(code == HOTLIST_EINVAL || code == HOTLIST_EPLATE);
	}
	PROPERTY(reason != NULL);
	n = strlen(reason);
	PROPERTY(n > 0 && n < REASON_LEN);
	r->last_line = line;
	r->calls++;
	mix(r, "B", 1);
	mix(r, &line, sizeof(line));
	mix(r, &code, sizeof(code));
	mix(r, reason, n);
}

static int parse(const uint8_t *data, size_t size, size_t piece, struct run *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->hash = 0xcbf29ce484222325ULL;
	rc = hotlist__csv_parse_mem((const char *)data, size, piece, on_row, on_bad, r);
	PROPERTY(rc == 0 || rc == HOTLIST_EBADFILE || rc == HOTLIST_ENOMEM);
	PROPERTY(rc != HOTLIST_EBADFILE || r->calls == 0);
	PROPERTY(rc == HOTLIST_ENOMEM || r->refused_line == 0);
	return rc;
}

static void check_time(const uint8_t *data, size_t size)
{
	char text[TIME_TEXT_MAX + 1];
	size_t n = 0;
	int64_t us = 0;

	while (n < size && n < TIME_TEXT_MAX && data[n] != '\n' && data[n] != '\0') {
		text[n] = (char)data[n];
		n++;
	}
	text[n] = '\0';
	if (hotlist__date_parse_str(text, 0, &us) == 0 && n == 10 && text[4] == '-')
		PROPERTY(us % (86400LL * 1000000) == 0);
	if (hotlist__date_parse_str(text, HL_DATE_END_OF_DAY, &us) == 0 && n == 10 &&
	    text[4] == '-')
		PROPERTY(us % (86400LL * 1000000) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, split;
	size_t piece = size > 0 ? 1 + data[0] % 16 : 1;
	int rc;

	rc = parse(data, size, 0, &whole);
	PROPERTY(parse(data, size, piece, &split) == rc);
	PROPERTY(whole.hash == split.hash && whole.calls == split.calls);
	check_time(data, size);
	return 0;
}
