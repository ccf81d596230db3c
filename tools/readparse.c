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
	return NULL;
}

int hl_readparse_csv_header(struct hl_csv_layout *l, const char *line, size_t len, char *err)
{
	char name[HEADER_NAME_CAP];
	struct field f = { .buf = name, .cap = sizeof(name) };
	size_t pos = 0;

	*l = (struct hl_csv_layout){
		.col_camera = -1, .col_ts = -1, .col_plate = -1, .col_country = -1
	};
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
		set_err(err, "no 'plate' column (want camera,ts_us,plate,country)");
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
	char ts[TS_CAP] = "", skip[1];
	const struct column cols[] = {
		{ l->col_camera, out->camera, sizeof(out->camera), "camera" },
		{ l->col_ts, ts, sizeof(ts), "ts_us" },
		{ l->col_plate, out->plate, sizeof(out->plate), "plate" },
		{ l->col_country, out->country, sizeof(out->country), "country" },
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
	if (!rc)
		return 0;
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

static int json_camera(const json_t *obj, struct hl_read_rec *out, char *err)
{
	const json_t *v = json_object_get(obj, "camera");

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		snprintf(out->camera, sizeof(out->camera), "%lld",
			 (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v)) {
		set_err(err, "\"camera\" is not a string");
		return HOTLIST_EINVAL;
	}
	return copy_string(v, "camera", out->camera, sizeof(out->camera), err);
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
	if (!country || json_is_null(country))
		return 0;
	if (!json_is_string(country)) {
		set_err(err, "\"country\" is not a string");
		return HOTLIST_EINVAL;
	}
	return copy_string(country, "country", out->country, sizeof(out->country), err);
}

int hl_readparse_json_line(const char *line, size_t len, struct hl_read_rec *out, char *err)
{
	json_error_t jerr;
	json_t *obj;
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
	if (!json_is_object(obj)) {
		set_err(err, "not a JSON object");
		rc = HOTLIST_EINVAL;
	} else {
		rc = json_plate(obj, out, err);
		if (!rc)
			rc = json_camera(obj, out, err);
		if (!rc)
			rc = json_rest(obj, out, err);
	}
	json_decref(obj);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}
