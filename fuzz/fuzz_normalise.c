/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for lib/normalise.c. Properties checked on every input:
 *   - plate: no crash, no read past the NUL or past byte 64 (the input is
 *     also handed over as exactly 64 bytes with no NUL after them, so a
 *     sanitizer sees any over-read), no write past out[16];
 *   - on success: output [A-Z0-9]{1,16}, NUL-terminated, length returned;
 *     normalising it again gives it back; its key is not zero and unpacks to it;
 *   - the result depends only on the first 64 bytes;
 *   - the public wrapper agrees and leaves out untouched on error;
 *   - country: no crash; a code parses back from its own string.
 * A property that fails aborts, which libFuzzer reports as a crash.
 */
#include "normalise.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROPERTY(cond)                    \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static int valid_plate(const char *p, int n)
{
	if (n < 1 || n > HOTLIST_PLATE_MAX || strlen(p) != (size_t)n)
		return 0;
	for (int i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'Z')))
			return 0;
	}
	return 1;
}

/* Exactly HOTLIST_PLATE_MAX + 1 bytes on the heap, so a sanitizer sees an
 * over-write. */
static int normalise_heap(const char *in, char *saved)
{
	char *out = malloc(HOTLIST_PLATE_MAX + 1);
	int n;

	PROPERTY(out != NULL);
	n = hotlist__normalise_plate(in, out);
	PROPERTY(n > 0 || n == HOTLIST_EPLATE);
	if (n > 0)
		memcpy(saved, out, HOTLIST_PLATE_MAX + 1);
	free(out);
	return n;
}

static void check_plate(const char *in, const uint8_t *data, size_t size)
{
	char norm[HOTLIST_PLATE_MAX + 1], again[HOTLIST_PLATE_MAX + 1], pub[HOTLIST_PLATE_MAX + 1];
	struct hl_key key;
	int n = normalise_heap(in, norm);

	memset(pub, '#', sizeof(pub));
	PROPERTY(hotlist_normalise_plate(in, pub) == n);
	if (n < 0) {
		PROPERTY(pub[0] == '#');
	} else {
		PROPERTY(valid_plate(norm, n));
		PROPERTY(strcmp(pub, norm) == 0);
		PROPERTY(normalise_heap(norm, again) == n && strcmp(again, norm) == 0);
		hotlist__key_pack(norm, (size_t)n, &key);
		PROPERTY(key.lo != 0 || key.hi != 0);
		PROPERTY(hotlist__key_unpack(&key, again) == (size_t)n && strcmp(again, norm) == 0);
	}

	/* The first 64 bytes alone, with nothing readable after them. */
	if (size >= HOTLIST_RAW_PLATE_MAX) {
		char *head = malloc(HOTLIST_RAW_PLATE_MAX);

		PROPERTY(head != NULL);
		memcpy(head, data, HOTLIST_RAW_PLATE_MAX);
		PROPERTY(normalise_heap(head, again) == n);
		if (n > 0)
			PROPERTY(strcmp(again, norm) == 0);
		free(head);
	}
}

static void check_country(const char *in)
{
	hl_country c = 0xffff, c2 = 0xffff;
	char s[3] = "##";
	int rc = hotlist__parse_country(in, &c);

	PROPERTY(rc == 0 || rc == HOTLIST_ECOUNTRY);
	if (rc != 0) {
		PROPERTY(c == 0xffff);
		PROPERTY(hotlist_normalise_country(in, s) == rc && s[0] == '#');
		return;
	}
	hotlist__country_str(c, s);
	if (c == 0) {
		PROPERTY(s[0] == '\0');
		return;
	}
	PROPERTY(s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] == '\0');
	PROPERTY(hotlist__parse_country(s, &c2) == 0 && c2 == c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);

	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	check_plate(in, data, size);
	check_country(in);
	free(in);
	return 0;
}
