/* SPDX-License-Identifier: MIT */
/*
 * Read-stream parsers for `hotlist match`; see readparse.h for the contract.
 *
 * Every copy is bounded by its destination and every scan by the line
 * length the caller gave; nothing here relies on a NUL terminator in the
 * input. A field longer than its buffer is an error, never a silent cut: a
 * truncated plate could hit an entry the camera did not read.
 */
#include "readparse.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADER_NAME_CAP 32 /* longer header names cannot be one we know */
#define MAX_COLUMNS 1024 /* a header with more columns is not a read stream */
#define TS_CAP 32 /* an int64 is at most 20 characters; room for spaces */
#define CANDIDATE_SEP '|' /* between the plates of a CSV candidates field */
#define US_PER_MS 1000 /* OpenALPR's epoch_time is in milliseconds */

static void set_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, HL_READ_ERR_CAP, fmt, ap);
	va_end(ap);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of the line without its trailing CR / LF. */
static size_t chomp(const char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return len;
}

bool hl_readparse_blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space(line[i]))
			return false;
	return true;
}

enum hl_read_format hl_readparse_detect(const char *line, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3))
		i = 3; /* UTF-8 BOM */
	while (i < len && is_space(line[i]))
		i++;
	return i < len && line[i] == '{' ? HL_READS_JSONL : HL_READS_CSV;
}

/*
 * Add a candidate of n bytes (no NUL needed) unless it is empty, too long,
 * holds a NUL byte or the read has HL_READ_CANDIDATES_MAX already.
 */
static void add_candidate(struct hl_read_rec *r, const char *s, size_t n)
{
	if (!n || n > HOTLIST_RAW_PLATE_MAX || r->n_candidates >= HL_READ_CANDIDATES_MAX ||
	    memchr(s, '\0', n))
		return;
	memcpy(r->candidates[r->n_candidates], s, n);
	r->candidates[r->n_candidates++][n] = '\0';
}

/* ---- CSV ------------------------------------------------------------------ */

/* One field of a CSV line, unquoted into a bounded buffer. */
struct field {
	char *buf;
	size_t cap; /* bytes of buf, NUL included */
	size_t len;
	bool overflow; /* the field did not fit */
};

static void field_put(struct field *f, char c)
{
	if (f->len + 1 < f->cap)
		f->buf[f->len++] = c;
	else
		f->overflow = true;
}

/*
 * Read the field starting at *pos into f (trimmed of spaces around it when
 * unquoted) and move *pos past its delimiter. Returns 0, or -1 for a quote
 * that is not closed or is followed by something other than the delimiter.
 */
static int next_field(const char *s, size_t len, size_t *pos, char delim, struct field *f)
{
	size_t i = *pos;

	f->len = 0;
	f->overflow = false;
	while (i < len && (s[i] == ' ' || (s[i] == '\t' && delim != '\t')))
		i++;
	if (i < len && s[i] == '"') {
		for (i++;; i++) {
			if (i >= len)
				return -1;
			if (s[i] == '"' && (i + 1 >= len || s[i + 1] != '"'))
				break;
			field_put(f, s[i]);
			i += s[i] == '"';
		}
		for (i++; i < len && s[i] == ' '; i++)
			;
		if (i < len && s[i] != delim)
			return -1;
	} else {
		for (; i < len && s[i] != delim; i++)
			field_put(f, s[i]);
		while (f->len && (f->buf[f->len - 1] == ' ' || f->buf[f->len - 1] == '\t'))
			f->len--;
	}
	f->buf[f->len] = '\0';
	*pos = i + 1; /* past the delimiter (or past the end: no more fields) */
	return 0;
}

static char find_delim(const char *s, size_t len)
{
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && (s[i] == ',' || s[i] == ';' || s[i] == '\t'))
			return s[i];
	}
	return ',';
}

/* The layout slot for a header name, or NULL if the column is not ours. */
static int *column_slot(struct hl_csv_layout *l, const char *name)
{
	if (!strcasecmp(name, "camera"))
		return &l->col_camera;
	if (!strcasecmp(name, "ts_us"))
		return &l->col_ts;
	if (!strcasecmp(name, "plate"))
		return &l->col_plate;
	if (!strcasecmp(name, "country"))
		return &l->col_country;
	if (!strcasecmp(name, "candidates"))
		return &l->col_candidates;
	return NULL;
}

int hl_readparse_csv_header(struct hl_csv_layout *l, const char *line, size_t len, char *err)
{
	char name[HEADER_NAME_CAP];
	struct field f = { .buf = name, .cap = sizeof(name) };
	size_t pos = 0;

	*l = (struct hl_csv_layout){ .col_camera = -1,
				     .col_ts = -1,
				     .col_plate = -1,
				     .col_country = -1,
				     .col_candidates = -1 };
	if (memchr(line, '\0', len)) {
		set_err(err, "NUL byte in the header");
		return HOTLIST_EBADFILE;
	}
	if (len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3))
		pos = 3;
	len = chomp(line, len);
	l->delim = find_delim(line + pos, len - pos);
	for (int col = 0; pos <= len; col++) {
		int *slot;

		if (col >= MAX_COLUMNS || next_field(line, len, &pos, l->delim, &f)) {
			set_err(err, col >= MAX_COLUMNS ? "more than %d columns" : "bad quoting",
				MAX_COLUMNS);
			return HOTLIST_EBADFILE;
		}
		l->ncols = col + 1;
		slot = f.overflow ? NULL : column_slot(l, name);
		if (slot && *slot >= 0) {
			set_err(err, "column '%s' named twice", name);
			return HOTLIST_EBADFILE;
		}
		if (slot)
			*slot = col;
	}
	if (l->col_plate < 0) {
		set_err(err, "no 'plate' column (want camera,ts_us,plate,country,candidates)");
		return HOTLIST_EBADFILE;
	}
	return 0;
}

/* Parse a whole decimal int64 (spaces around allowed). */
static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno == ERANGE)
		return -1;
	while (is_space(*end))
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* Where a CSV column goes: its buffer and what to call it in messages. */
struct column {
	int col;
	char *buf;
	size_t cap;
	const char *name;
};

static int csv_store_ts(struct hl_read_rec *out, const char *ts, char *err)
{
	if (!ts[0])
		return 0;
	if (parse_i64(ts, &out->ts_us)) {
		set_err(err, "ts_us '%.24s' is not a whole number of microseconds", ts);
		return HOTLIST_EINVAL;
	}
	out->has_ts = true;
	return 0;
}

/* Split a '|'-separated candidates field (NUL-terminated) into the read. */
static void csv_store_candidates(struct hl_read_rec *out, const char *s)
{
	while (*s) {
		const char *sep = strchr(s, CANDIDATE_SEP);
		size_t n = sep ? (size_t)(sep - s) : strlen(s);

		add_candidate(out, s, n);
		s += n + (sep != NULL);
	}
}

/* Read one field of a data line; name is the column it fills, or NULL. */
static int csv_field(const char *line, size_t len, size_t *pos, char delim, struct field *f,
		     const char *name, char *err)
{
	if (next_field(line, len, pos, delim, f)) {
		set_err(err, "bad quoting in %s", name ? name : "a field");
		return HOTLIST_EINVAL;
	}
	if (name && f->overflow) {
		set_err(err, "%s longer than %zu bytes", name, f->cap - 1);
		return strcmp(name, "plate") ? HOTLIST_EINVAL : HOTLIST_EPLATE;
	}
	return 0;
}

int hl_readparse_csv_line(const struct hl_csv_layout *l, const char *line, size_t len,
			  struct hl_read_rec *out, char *err)
{
	char ts[TS_CAP] = "", cands[HL_READ_CANDIDATES_CAP] = "", skip[1];
	const struct column cols[] = {
		{ l->col_camera, out->camera, sizeof(out->camera), "camera" },
		{ l->col_ts, ts, sizeof(ts), "ts_us" },
		{ l->col_plate, out->plate, sizeof(out->plate), "plate" },
		{ l->col_country, out->country, sizeof(out->country), "country" },
		{ l->col_candidates, cands, sizeof(cands), "candidates" },
	};
	size_t pos = 0;
	int col, last = l->col_plate;
	int rc;

	memset(out, 0, sizeof(*out));
	if (l->col_plate < 0 || memchr(line, '\0', len)) {
		set_err(err, l->col_plate < 0 ? "no layout" : "NUL byte in the line");
		return HOTLIST_EINVAL;
	}
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		last = cols[i].col > last ? cols[i].col : last;
	len = chomp(line, len);
	for (col = 0; pos <= len && col <= last; col++) {
		struct field f = { .buf = skip, .cap = sizeof(skip) };
		const char *name = NULL;

		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			if (cols[i].col == col) {
				f = (struct field){ .buf = cols[i].buf, .cap = cols[i].cap };
				name = cols[i].name;
			}
		rc = csv_field(line, len, &pos, l->delim, &f, name, err);
		if (rc)
			goto fail;
	}
	rc = HOTLIST_EPLATE;
	if (col <= l->col_plate || !out->plate[0]) {
		set_err(err, col <= l->col_plate ? "no plate field (%d fields)" : "empty plate",
			col);
		goto fail;
	}
	rc = csv_store_ts(out, ts, err);
	if (!rc) {
		csv_store_candidates(out, cands);
		return 0;
	}
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- JSON lines ------------------------------------------------------------- */

/* Copy a JSON string value into dst; error if it does not fit. */
static int copy_string(const json_t *v, const char *key, char *dst, size_t cap, char *err)
{
	size_t n = json_string_length(v);

	if (n >= cap) {
		set_err(err, "\"%s\" longer than %zu bytes", key, cap - 1);
		return HOTLIST_EINVAL;
	}
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	if (strlen(dst) != n) {
		set_err(err, "\"%s\" holds a NUL character", key);
		return HOTLIST_EINVAL;
	}
	return 0;
}

static int json_plate(const json_t *obj, struct hl_read_rec *out, char *err)
{
	const json_t *v = json_object_get(obj, "plate");

	if (!json_is_string(v)) {
		set_err(err, v ? "\"plate\" is not a string" : "no \"plate\"");
		return HOTLIST_EPLATE;
	}
	if (copy_string(v, "plate", out->plate, sizeof(out->plate), err))
		return HOTLIST_EPLATE;
	if (!out->plate[0]) {
		set_err(err, "empty plate");
		return HOTLIST_EPLATE;
	}
	return 0;
}

/* A camera id under key: string or integer; absent or null is none. */
static int json_camera(const json_t *obj, const char *key, struct hl_read_rec *out, char *err)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		snprintf(out->camera, sizeof(out->camera), "%lld",
			 (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v)) {
		set_err(err, "\"%s\" is not a string or an integer", key);
		return HOTLIST_EINVAL;
	}
	return copy_string(v, key, out->camera, sizeof(out->camera), err);
}

/* Our "candidates": an array of strings, or null. */
static int json_candidates(const json_t *obj, struct hl_read_rec *out, char *err)
{
	const json_t *v = json_object_get(obj, "candidates");
	const json_t *c;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		set_err(err, "\"candidates\" is not an array");
		return HOTLIST_EINVAL;
	}
	json_array_foreach(v, i, c)
	{
		if (!json_is_string(c)) {
			set_err(err, "candidates[%zu] is not a string", i);
			return HOTLIST_EINVAL;
		}
		add_candidate(out, json_string_value(c), json_string_length(c));
	}
	return 0;
}

static int json_rest(const json_t *obj, struct hl_read_rec *out, char *err)
{
	const json_t *ts = json_object_get(obj, "ts_us");
	const json_t *country = json_object_get(obj, "country");

	if (ts && !json_is_null(ts)) {
		if (!json_is_integer(ts)) {
			set_err(err, "\"ts_us\" is not an integer");
			return HOTLIST_EINVAL;
		}
		out->ts_us = json_integer_value(ts);
		out->has_ts = true;
	}
	if (country && !json_is_null(country)) {
		if (!json_is_string(country)) {
			set_err(err, "\"country\" is not a string");
			return HOTLIST_EINVAL;
		}
		if (copy_string(country, "country", out->country, sizeof(out->country), err))
			return HOTLIST_EINVAL;
	}
	return json_candidates(obj, out, err);
}

/* Our own JSON object: one read. */
static int json_own(const json_t *obj, struct hl_read_rec *out, char *err)
{
	int rc = json_plate(obj, out, err);

	if (!rc)
		rc = json_camera(obj, "camera", out, err);
	if (!rc)
		rc = json_rest(obj, out, err);
	return rc ? rc : 1;
}

/* ---- OpenALPR results ----------------------------------------------------- */

/* What every read of one OpenALPR frame shares: camera_id and epoch_time. */
static int alpr_frame(const json_t *obj, struct hl_read_rec *frame, char *err)
{
	const json_t *t = json_object_get(obj, "epoch_time");
	int rc = json_camera(obj, "camera_id", frame, err);

	if (rc || !t || json_is_null(t))
		return rc;
	if (!json_is_integer(t) || json_integer_value(t) > INT64_MAX / US_PER_MS ||
	    json_integer_value(t) < INT64_MIN / US_PER_MS) {
		set_err(err, "\"epoch_time\" is not an integer of milliseconds");
		return HOTLIST_EINVAL;
	}
	frame->ts_us = (int64_t)json_integer_value(t) * US_PER_MS;
	frame->has_ts = true;
	return 0;
}

/* "nl" -> "nl", "de-by" -> "de", "us-ca" -> "us"; anything else: no country. */
static void alpr_region(const json_t *res, struct hl_read_rec *out)
{
	const json_t *v = json_object_get(res, "region");
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	bool letters = s && n >= 2 && (n == 2 || s[2] == '-');

	for (size_t i = 0; letters && i < 2; i++)
		letters = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z');
	if (!letters)
		return;
	memcpy(out->country, s, 2);
	out->country[2] = '\0';
	out->country_guess = true;
}

/* results[i].candidates[].plate, but the plate itself; ill-formed ones skipped. */
static void alpr_candidates(const json_t *res, struct hl_read_rec *out)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(res, "candidates"), i, c)
	{
		const json_t *p = json_object_get(c, "plate");
		const char *s = json_string_value(p);
		size_t n = json_string_length(p);

		if (s && !(n == strlen(out->plate) && !memcmp(s, out->plate, n)))
			add_candidate(out, s, n);
	}
}

/* One element of "results" on top of the frame's shared fields. */
static int alpr_result(const json_t *res, size_t i, const struct hl_read_rec *frame,
		       struct hl_read_rec *out, char *err)
{
	char why[HL_READ_ERR_CAP];
	int rc;

	*out = *frame;
	if (!json_is_object(res)) {
		set_err(err, "results[%zu] is not an object", i);
		return HOTLIST_EINVAL;
	}
	rc = json_plate(res, out, why);
	if (rc) {
		set_err(err, "results[%zu]: %s", i, why);
		return rc;
	}
	alpr_region(res, out);
	alpr_candidates(res, out);
	return 0;
}

/* An OpenALPR frame: one read per element of results (none: 0 reads). */
static int json_alpr(const json_t *obj, const json_t *results, struct hl_read_rec *out, size_t cap,
		     char *err)
{
	struct hl_read_rec frame;
	size_t n = json_array_size(results);
	int rc;

	memset(&frame, 0, sizeof(frame));
	if (n > cap) {
		set_err(err, "more than %zu plates in \"results\" (%zu)", cap, n);
		return HOTLIST_EINVAL;
	}
	rc = alpr_frame(obj, &frame, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = alpr_result(json_array_get(results, i), i, &frame, &out[i], err);
	return rc ? rc : (int)n;
}

int hl_readparse_json_line(const char *line, size_t len, struct hl_read_rec *out, size_t cap,
			   char *err)
{
	json_error_t jerr;
	json_t *obj;
	const json_t *results;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
		line += 3; /* UTF-8 BOM before the first object */
		len -= 3;
	}
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		set_err(err, "not JSON: %s (column %d)", jerr.text, jerr.column);
		return HOTLIST_EINVAL;
	}
	results = json_object_get(obj, "results");
	if (!json_is_object(obj)) {
		set_err(err, "not a JSON object");
		rc = HOTLIST_EINVAL;
	} else if (cap == 0) {
		set_err(err, "no room for a read");
		rc = HOTLIST_EINVAL;
	} else if (json_is_array(results)) {
		rc = json_alpr(obj, results, out, cap, err);
	} else {
		rc = json_own(obj, out, err);
	}
	json_decref(obj);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
