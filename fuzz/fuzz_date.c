/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for lib/date.c. Properties checked on every input:
 *   - no crash and no read past the input: the bytes are handed over in a
 *     heap buffer of exactly their size, without a NUL, so a sanitizer sees
 *     any over-read;
 *   - the result is 0, HOTLIST_EINVAL or HL_DATE_ERANGE, and *out_us is
 *     written only on success, within [HL_DATE_MIN_US, HL_DATE_MAX_US];
 *   - END_OF_DAY moves a result by 0 or exactly one day, never fails where
 *     the plain parse succeeded;
 *   - a result formats and parses back to itself.
 * The first byte picks the flags; the rest is the text.
 * A property that fails aborts, which libFuzzer reports as a crash.
 */
#include "date.h"

#include "hotlist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROPERTY(cond)                    \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

#define DAY_US (INT64_C(86400) * 1000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t untouched = INT64_MIN;
	int64_t us = untouched, end = untouched, back = untouched;
	unsigned flags;
	char *text, out[HL_DATE_STR_LEN];
	int rc, rc_end;

	if (size == 0)
		return 0;
	flags = data[0] & HL_DATE_EPOCH_ANY_UNIT;
	text = malloc(size - 1 ? size - 1 : 1);
	PROPERTY(text != NULL);
	memcpy(text, data + 1, size - 1);
	rc = hotlist__date_parse(text, size - 1, flags, &us);
	PROPERTY(rc == 0 || rc == HOTLIST_EINVAL || rc == HL_DATE_ERANGE);
	PROPERTY((rc == 0) == (us != untouched));
	rc_end = hotlist__date_parse(text, size - 1, flags | HL_DATE_END_OF_DAY, &end);
	free(text);
	PROPERTY(rc_end == rc);
	if (rc != 0)
		return 0;
	PROPERTY(us >= HL_DATE_MIN_US && us < HL_DATE_MAX_US);
	PROPERTY(end == us || end == us + DAY_US);
	hotlist__date_format(us, out);
	PROPERTY(hotlist__date_parse_str(out, 0, &back) == 0 && back == us);
	return 0;
}
