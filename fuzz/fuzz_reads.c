/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the `hotlist match` read-stream parsers (tools/readparse.c).
 *
 * The input is split into lines. The first non-blank line is given to the
 * CSV header parser; every later line to the CSV line parser (when the
 * header was accepted) and every line to the JSON-lines parser. Checked:
 *  - no crash, no out-of-bounds access, no leak (the sanitizers);
 *  - an accepted read has a non-empty plate and every field NUL-terminated
 *    inside its buffer; a refused one has a negative code and a message;
 *  - round trip: an accepted read written back as a JSON line, and as a
 *    quoted CSV line under the header "camera,ts_us,plate,country", parses
 *    to the same read.
 * LLVMFuzzerTestOneInput only; the replay driver or libFuzzer supplies main().
 */
#include "readparse.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "fuzz_reads: check failed: %s (line %d)\n", #x, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define CSV_LINE_CAP 512 /* a quoted read: 4 fields of at most 2 * 64 bytes + 20 */

static void check_terminated(const struct hl_read_rec *r)
{
	CHECK(memchr(r->camera, '\0', sizeof(r->camera)));
	CHECK(memchr(r->plate, '\0', sizeof(r->plate)));
	CHECK(memchr(r->country, '\0', sizeof(r->country)));
}

static void check_result(int rc, const struct hl_read_rec *r, const char *err)
{
	check_terminated(r);
	if (rc == 0) {
		CHECK(r->plate[0] != '\0');
		CHECK(r->has_ts || r->ts_us == 0);
	} else {
		CHECK(rc < 0);
		CHECK(memchr(err, '\0', HL_READ_ERR_CAP) && err[0]);
	}
}

static int same_read(const struct hl_read_rec *a, const struct hl_read_rec *b)
{
	return !strcmp(a->camera, b->camera) && !strcmp(a->plate, b->plate) &&
	       !strcmp(a->country, b->country) && a->has_ts == b->has_ts && a->ts_us == b->ts_us;
}

/* Write r as a JSON line and parse it back. Skipped when a field is not UTF-8. */
static void json_round_trip(const struct hl_read_rec *r)
{
	json_t *o = json_object();
	struct hl_read_rec back;
	char err[HL_READ_ERR_CAP];
	char *text;
	int bad = json_object_set_new(o, "plate", json_string(r->plate));

	if (r->camera[0])
		bad |= json_object_set_new(o, "camera", json_string(r->camera));
	if (r->country[0])
		bad |= json_object_set_new(o, "country", json_string(r->country));
	if (r->has_ts)
		bad |= json_object_set_new(o, "ts_us", json_integer(r->ts_us));
	text = bad ? NULL : json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return;
	CHECK(hl_readparse_json_line(text, strlen(text), &back, err) == 0);
	CHECK(same_read(r, &back));
	free(text);
}

static size_t csv_quote(char *out, const char *s)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s; s++) {
		if (*s == '"')
			out[n++] = '"';
		out[n++] = *s;
	}
	out[n++] = '"';
	return n;
}

/* Write r as a quoted CSV line and parse it back. */
static void csv_round_trip(const struct hl_read_rec *r)
{
	static const char header[] = "camera,ts_us,plate,country";
	struct hl_csv_layout l;
	struct hl_read_rec back;
	char line[CSV_LINE_CAP], err[HL_READ_ERR_CAP];
	size_t n = csv_quote(line, r->camera);

	if (r->has_ts)
		n += (size_t)sprintf(line + n, ",%lld,", (long long)r->ts_us);
	else
		line[n++] = ',', line[n++] = ',';
	n += csv_quote(line + n, r->plate);
	line[n++] = ',';
	n += csv_quote(line + n, r->country);
	CHECK(hl_readparse_csv_header(&l, header, sizeof(header) - 1, err) == 0);
	CHECK(hl_readparse_csv_line(&l, line, n, &back, err) == 0);
	CHECK(same_read(r, &back));
}

static void one_line(const char *s, size_t len, int *state, struct hl_csv_layout *l)
{
	struct hl_read_rec rec;
	char err[HL_READ_ERR_CAP] = "";
	int rc;

	if (*state == 0 && !hl_readparse_blank(s, len)) {
		hl_readparse_detect(s, len);
		rc = hl_readparse_csv_header(l, s, len, err);
		CHECK(rc == 0 ? l->col_plate >= 0 && l->col_plate < l->ncols : err[0] != '\0');
		*state = rc == 0 ? 1 : 2;
	} else if (*state == 1) {
		rc = hl_readparse_csv_line(l, s, len, &rec, err);
		check_result(rc, &rec, err);
		if (rc == 0)
			csv_round_trip(&rec);
	}
	err[0] = '\0';
	rc = hl_readparse_json_line(s, len, &rec, err);
	check_result(rc, &rec, err);
	if (rc == 0) {
		json_round_trip(&rec);
		csv_round_trip(&rec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct hl_csv_layout layout;
	int state = 0; /* 0: no header yet, 1: CSV header accepted, 2: refused */
	size_t start = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i < size && s[i] != '\n')
			continue;
		/* Each line in its own allocation, so ASan sees any read past its end. */
		char *line = malloc(i - start + 1);

		CHECK(line);
		memcpy(line, s + start, i - start);
		one_line(line, i - start, &state, &layout);
		free(line);
		start = i + 1;
	}
	return 0;
}
