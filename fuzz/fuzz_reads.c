/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the `hotlist match` read-stream parsers (tools/readparse.c).
 *
 * The input is split into lines. The first non-blank line is given to the
 * CSV header parser; every later line to the CSV line parser (when the
 * header was accepted) and every line to the JSON-lines parser, which also
 * takes OpenALPR frames (objects with a "results" array). Checked:
 *  - no crash, no out-of-bounds access, no leak (the sanitizers);
 *  - an accepted read has a non-empty plate, every field NUL-terminated
 *    inside its buffer, at most HL_READ_CANDIDATES_MAX non-empty candidates;
 *    a refused line has a negative code and a message;
 *  - round trip: an accepted read written back as a JSON line, as a quoted
 *    CSV line under the header "camera,ts_us,plate,country,candidates", and
 *    (when it can be said in OpenALPR's terms) as an OpenALPR frame, parses
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

/* A quoted read: 4 fields of at most 2 * 64 bytes + 20, and the candidates
 * field, at most twice its cap. */
#define CSV_LINE_CAP (512 + 2 * HL_READ_CANDIDATES_CAP)

static void check_terminated(const struct hl_read_rec *r)
{
	CHECK(memchr(r->camera, '\0', sizeof(r->camera)));
	CHECK(memchr(r->plate, '\0', sizeof(r->plate)));
	CHECK(memchr(r->country, '\0', sizeof(r->country)));
	CHECK(r->n_candidates <= HL_READ_CANDIDATES_MAX);
	for (unsigned i = 0; i < r->n_candidates && i < HL_READ_CANDIDATES_MAX; i++) {
		CHECK(memchr(r->candidates[i], '\0', sizeof(r->candidates[i])));
		CHECK(r->candidates[i][0] != '\0');
	}
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

/* Same read, country_guess aside (only OpenALPR sets it). */
static int same_read(const struct hl_read_rec *a, const struct hl_read_rec *b)
{
	if (a->n_candidates != b->n_candidates)
		return 0;
	for (unsigned i = 0; i < a->n_candidates; i++)
		if (strcmp(a->candidates[i], b->candidates[i]))
			return 0;
	return !strcmp(a->camera, b->camera) && !strcmp(a->plate, b->plate) &&
	       !strcmp(a->country, b->country) && a->has_ts == b->has_ts && a->ts_us == b->ts_us;
}

/* The read's candidates as a JSON array of strings, or of {"plate": ...} objects. */
static json_t *json_candidates(const struct hl_read_rec *r, int objects)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < r->n_candidates; i++) {
		json_t *s = json_string(r->candidates[i]);

		if (s && objects)
			s = json_pack("{s:o}", "plate", s);
		if (!s || json_array_append_new(a, s)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Parse text (freed) as exactly one read and compare it with r. */
static void check_back(char *text, const struct hl_read_rec *r)
{
	struct hl_read_rec back[2];
	char err[HL_READ_ERR_CAP];

	CHECK(hl_readparse_json_line(text, strlen(text), back, 2, err) == 1);
	CHECK(same_read(r, &back[0]));
	free(text);
}

/* Write r as a JSON line and parse it back. Skipped when a field is not UTF-8. */
static void json_round_trip(const struct hl_read_rec *r)
{
	json_t *o = json_object();
	char *text;
	int bad = json_object_set_new(o, "plate", json_string(r->plate));

	if (r->camera[0])
		bad |= json_object_set_new(o, "camera", json_string(r->camera));
	if (r->country[0])
		bad |= json_object_set_new(o, "country", json_string(r->country));
	if (r->has_ts)
		bad |= json_object_set_new(o, "ts_us", json_integer(r->ts_us));
	if (r->n_candidates)
		bad |= json_object_set_new(o, "candidates", json_candidates(r, 0));
	text = bad ? NULL : json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text)
		check_back(text, r);
}

/* A read OpenALPR can express: no candidate equal to the plate, whole milliseconds, a
 * country of two ASCII letters or none. */
static int alpr_expressible(const struct hl_read_rec *r)
{
	size_t n = strlen(r->country);

	for (unsigned i = 0; i < r->n_candidates; i++)
		if (!strcmp(r->candidates[i], r->plate))
			return 0;
	for (size_t i = 0; i < n; i++)
		if (!((r->country[i] >= 'a' && r->country[i] <= 'z') ||
		      (r->country[i] >= 'A' && r->country[i] <= 'Z')))
			return 0;
	return (n == 0 || n == 2) && (!r->has_ts || r->ts_us % 1000 == 0);
}

/* Write r as an OpenALPR frame with one result and parse it back. */
static void alpr_round_trip(const struct hl_read_rec *r)
{
	json_t *o = json_object(), *res = json_object();
	char *text;
	int bad = !o || !res || json_object_set_new(res, "plate", json_string(r->plate));

	if (!alpr_expressible(r)) {
		json_decref(o);
		json_decref(res);
		return;
	}
	if (r->country[0])
		bad |= json_object_set_new(res, "region", json_string(r->country));
	bad |= json_object_set_new(res, "candidates", json_candidates(r, 1));
	bad |= json_object_set_new(res, "confidence", json_real(90.5));
	if (r->camera[0])
		bad |= json_object_set_new(o, "camera_id", json_string(r->camera));
	if (r->has_ts)
		bad |= json_object_set_new(o, "epoch_time", json_integer(r->ts_us / 1000));
	bad |= json_object_set_new(o, "results", json_pack("[O]", res));
	text = bad ? NULL : json_dumps(o, JSON_COMPACT);
	json_decref(res);
	json_decref(o);
	if (text)
		check_back(text, r);
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

/* Write r as a quoted CSV line and parse it back (unless a candidate holds the '|'). */
static void csv_round_trip(const struct hl_read_rec *r)
{
	static const char header[] = "camera,ts_us,plate,country,candidates";
	static struct hl_csv_layout l; /* the header's, parsed once: it never changes */
	static bool have_layout;
	struct hl_read_rec back;
	char line[CSV_LINE_CAP], err[HL_READ_ERR_CAP], cands[HL_READ_CANDIDATES_CAP] = "";
	size_t n = csv_quote(line, r->camera);

	for (unsigned i = 0; i < r->n_candidates; i++) {
		if (strchr(r->candidates[i], '|'))
			return;
		if (i)
			strcat(cands, "|");
		strcat(cands, r->candidates[i]);
	}
	if (r->has_ts)
		n += (size_t)sprintf(line + n, ",%lld,", (long long)r->ts_us);
	else
		line[n++] = ',', line[n++] = ',';
	n += csv_quote(line + n, r->plate);
	line[n++] = ',';
	n += csv_quote(line + n, r->country);
	line[n++] = ',';
	n += csv_quote(line + n, cands);
	if (!have_layout) {
		CHECK(hl_readparse_csv_header(&l, header, sizeof(header) - 1, err) == 0);
		have_layout = true;
	}
	CHECK(hl_readparse_csv_line(&l, line, n, &back, err) == 0);
	CHECK(same_read(r, &back));
}

static void one_line(const char *s, size_t len, int *state, struct hl_csv_layout *l)
{
	static struct hl_read_rec recs[HL_READ_RESULTS_MAX]; /* too big for the stack */
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
	rc = hl_readparse_json_line(s, len, recs, HL_READ_RESULTS_MAX, err);
	CHECK(rc <= HL_READ_RESULTS_MAX);
	if (rc < 0)
		check_result(rc, &recs[0], err);
	else
		check_terminated(&recs[0]);
	for (int i = 0; i < rc; i++) {
		check_result(0, &recs[i], err);
		CHECK(recs[i].country_guess ? strlen(recs[i].country) == 2 : 1);
		json_round_trip(&recs[i]);
		csv_round_trip(&recs[i]);
		alpr_round_trip(&recs[i]);
	}
	/* One read at a time: a frame with more plates than room is refused whole. */
	rc = hl_readparse_json_line(s, len, &rec, 1, err);
	CHECK(rc <= 1);
	if (rc < 0)
		check_result(rc, &rec, err);
	else
		check_terminated(&rec);
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
