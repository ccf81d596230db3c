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

#include "csvtok.h"
#include "date.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADER_NAME_CAP 32 /* longer header names cannot be one we know */
#define MAX_COLUMNS 1024 /* a header with more columns is not a read stream */
#define TS_CAP 48 /* "2027-12-31T23:59:59.123456789+01:00" and spaces */
#define REGION_CAP 16 /* "us-ca", "de-by" */
#define CANDIDATE_SEP '|' /* between the plates of a CSV candidates field */
#define US_PER_MS 1000 /* OpenALPR's epoch_time is in milliseconds */

void hl_read_set_err(char *err, const char *fmt, ...)
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
	size_t i = hotlist__csvtok_bom(line, len);

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

/* A tokenizer buffer over a char array of size bytes (NUL included). */
static struct hl_csvtok_buf tok_buf(char *s, size_t size)
{
	return (struct hl_csvtok_buf){ .s = s, .cap = (uint32_t)(size - 1) };
}

enum field { F_NONE, F_CAMERA, F_TS_US, F_TIME, F_PLATE, F_COUNTRY, F_REGION, F_CANDIDATES };

/* Header names, folded (lowercase, no ' ', '_', '-'): ours first, then what
 * camera exports call them (readparse.h). */
static const struct {
	const char *key;
	enum field f;
} column_names[] = {
	{ "camera", F_CAMERA },
	{ "cameraid", F_CAMERA },
	{ "cameraname", F_CAMERA },
	{ "cam", F_CAMERA },
	{ "unit", F_CAMERA },
	{ "unitname", F_CAMERA },
	{ "device", F_CAMERA },
	{ "deviceid", F_CAMERA },
	{ "devicename", F_CAMERA },
	{ "reader", F_CAMERA },
	{ "source", F_CAMERA },
	{ "tsus", F_TS_US },
	{ "timestamp", F_TIME },
	{ "time", F_TIME },
	{ "datetime", F_TIME },
	{ "eventtime", F_TIME },
	{ "readtime", F_TIME },
	{ "capturetime", F_TIME },
	{ "capturedat", F_TIME },
	{ "timestamputc", F_TIME },
	{ "timestamp(utc)", F_TIME },
	{ "epochtime", F_TIME },
	{ "epochstart", F_TIME },
	{ "plate", F_PLATE },
	{ "platenumber", F_PLATE },
	{ "plateread", F_PLATE },
	{ "platetext", F_PLATE },
	{ "licenseplate", F_PLATE },
	{ "licenceplate", F_PLATE },
	{ "lpr", F_PLATE },
	{ "vrm", F_PLATE },
	{ "registration", F_PLATE },
	{ "bestplate", F_PLATE },
	{ "bestplatenumber", F_PLATE },
	{ "country", F_COUNTRY },
	{ "countrycode", F_COUNTRY },
	{ "platecountry", F_COUNTRY },
	{ "platestate", F_COUNTRY },
	{ "state", F_COUNTRY },
	{ "region", F_REGION },
	{ "plateregion", F_REGION },
	{ "candidates", F_CANDIDATES },
	{ "alternatives", F_CANDIDATES },
	{ "alternates", F_CANDIDATES },
};

/* The field a header name (folded into key) stands for, or F_NONE. */
static enum field column_field(const char *name, char key[HEADER_NAME_CAP])
{
	if (!hotlist__csvtok_fold(name, key, HEADER_NAME_CAP))
		return F_NONE;
	for (size_t i = 0; i < sizeof(column_names) / sizeof(column_names[0]); i++)
		if (!strcmp(key, column_names[i].key))
			return column_names[i].f;
	return F_NONE;
}

static int *field_slot(struct hl_csv_layout *l, enum field f)
{
	switch (f) {
	case F_CAMERA:
		return &l->col_camera;
	case F_TS_US:
	case F_TIME:
		return &l->col_ts;
	case F_PLATE:
		return &l->col_plate;
	case F_COUNTRY:
		return &l->col_country;
	case F_REGION:
		return &l->col_region;
	case F_CANDIDATES:
		return &l->col_candidates;
	default:
		return NULL;
	}
}

/* The tokenizer's complaint about the record so far, or NULL. */
static const char *tok_error(const struct hl_csvtok *t)
{
	return t->err ? t->err : t->open ? "quote not closed" : NULL;
}

/* Split the header s[0..len) (no BOM, no line end) at delim into l. */
static int header_with(struct hl_csv_layout *l, const unsigned char *s, size_t len,
		       unsigned char delim, char *err)
{
	const unsigned char *q = s, *lim = s + len;
	char name[HEADER_NAME_CAP];
	struct hl_csvtok t;

	char keys[F_CANDIDATES + 1][HEADER_NAME_CAP] = { { 0 } }; /* the name of each field */

	*l = (struct hl_csv_layout){ .delim = (char)delim,
				     .col_camera = -1,
				     .col_ts = -1,
				     .col_plate = -1,
				     .col_country = -1,
				     .col_candidates = -1,
				     .col_region = -1 };
	hotlist__csvtok_init(&t, delim);
	for (int col = 0;; col++) {
		struct hl_csvtok_buf f = tok_buf(name, sizeof(name));
		char key[HEADER_NAME_CAP];
		enum field fd, kf;
		int *slot;

		if (col >= MAX_COLUMNS) {
			hl_read_set_err(err, "more than %d columns", MAX_COLUMNS);
			return HOTLIST_EBADFILE;
		}
		q = hotlist__csvtok_field(&t, q, lim, &f);
		if (tok_error(&t) || (q < lim && *q == '\n')) {
			hl_read_set_err(err, "%s",
					tok_error(&t) ? tok_error(&t) : "line break in the header");
			return HOTLIST_EBADFILE;
		}
		l->ncols = col + 1;
		fd = f.overflow ? F_NONE : column_field(name, key);
		slot = field_slot(l, fd);
		kf = fd == F_TS_US ? F_TIME : fd; /* one time field, two kinds */
		if (slot && *slot >= 0 && !strcmp(keys[kf], key)) {
			hl_read_set_err(err, "column '%s' named twice", name);
			return HOTLIST_EBADFILE;
		}
		if (slot && *slot < 0) { /* of two names for one field, the first wins */
			*slot = col;
			memcpy(keys[kf], key, sizeof(key));
			if (fd == F_TS_US || fd == F_TIME)
				l->ts_is_us = fd == F_TS_US;
		}
		if (q == lim)
			break;
		q++; /* past the delimiter */
	}
	if (l->col_plate < 0) {
		hl_read_set_err(err,
				"no plate column (plate, plate_number, license_plate, plate_read, "
				"registration, vrm, ...; see docs/cli.md)");
		return HOTLIST_EBADFILE;
	}
	return 0;
}

int hl_readparse_csv_header(struct hl_csv_layout *l, const char *line, size_t len, char *err)
{
	const unsigned char *s = (const unsigned char *)line;
	unsigned char delims[HL_CSVTOK_NDELIMS];
	size_t pos;
	unsigned n;

	*l = (struct hl_csv_layout){ .col_camera = -1,
				     .col_ts = -1,
				     .col_plate = -1,
				     .col_country = -1,
				     .col_candidates = -1,
				     .col_region = -1 };
	if (memchr(line, '\0', len)) {
		hl_read_set_err(err, "NUL byte in the header");
		return HOTLIST_EBADFILE;
	}
	pos = hotlist__csvtok_bom(s, len);
	len = chomp(line, len);
	if (len < pos)
		len = pos;
	n = hotlist__csvtok_delims(s + pos, len - pos, delims);
	if (n == 0) {
		delims[0] = ','; /* one column: data lines are split at ',' */
		n = 1;
	}
	/* Of tied delimiters, the first that gives a plate column; the first's
	 * complaint if none does. */
	for (unsigned j = 0; j < n; j++)
		if (header_with(l, s + pos, len - pos, delims[j], j == 0 ? err : NULL) == 0)
			return 0;
	return HOTLIST_EBADFILE;
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

/* A time field: in a ts_us column a whole number is microseconds; else the
 * date parser (ISO 8601, or epoch s/ms/us/ns between 1990 and 2100). */
static int store_time(struct hl_read_rec *out, const char *ts, bool is_us, char *err)
{
	if (!ts[0])
		return 0;
	if (!(is_us && parse_i64(ts, &out->ts_us) == 0) &&
	    hotlist__date_parse_str(ts, is_us ? 0 : HL_DATE_EPOCH_ANY_UNIT, &out->ts_us) != 0) {
		hl_read_set_err(err, "%s '%.40s' is not %s", is_us ? "ts_us" : "time", ts,
				is_us ? "microseconds or an ISO 8601 time" :
					"an ISO 8601 time or epoch time between 1990 and 2100");
		return HOTLIST_EINVAL;
	}
	out->has_ts = true;
	return 0;
}

/* "nl" -> "nl", "de-by" -> "de", "us-ca" -> "us" as a country guess, when the
 * read has no country of its own; anything else (s NULL: no region): nothing.
 * The CSV region column and OpenALPR's results[i].region alike. */
static void store_region(struct hl_read_rec *out, const char *s, size_t n)
{
	bool letters = s && !out->country[0] && n >= 2 && (n == 2 || s[2] == '-');

	for (size_t i = 0; letters && i < 2; i++)
		letters = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z');
	if (!letters)
		return;
	memcpy(out->country, s, 2);
	out->country[2] = '\0';
	out->country_guess = true;
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

int hl_readparse_csv_line(const struct hl_csv_layout *l, const char *line, size_t len,
			  struct hl_read_rec *out, char *err)
{
	char ts[TS_CAP] = "", cands[HL_READ_CANDIDATES_CAP] = "", region[REGION_CAP] = "";
	const struct column cols[] = {
		{ l->col_camera, out->camera, sizeof(out->camera), "camera" },
		{ l->col_ts, ts, sizeof(ts), l->ts_is_us ? "ts_us" : "time" },
		{ l->col_plate, out->plate, sizeof(out->plate), "plate" },
		{ l->col_country, out->country, sizeof(out->country), "country" },
		{ l->col_candidates, cands, sizeof(cands), "candidates" },
		{ l->col_region, region, sizeof(region), "region" },
	};
	const unsigned char *q = (const unsigned char *)line, *lim;
	struct hl_csvtok t;
	int nf = 0, last = l->col_plate;
	int rc = HOTLIST_EINVAL;

	memset(out, 0, sizeof(*out));
	if (l->col_plate < 0 || memchr(line, '\0', len)) {
		hl_read_set_err(err, l->col_plate < 0 ? "no layout" : "NUL byte in the line");
		return HOTLIST_EINVAL;
	}
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		last = cols[i].col > last ? cols[i].col : last;
	lim = q + chomp(line, len);
	hotlist__csvtok_init(&t, (unsigned char)l->delim);
	for (int col = 0; col <= last; col++) {
		struct hl_csvtok_buf f, *fp = NULL;
		const char *name = NULL;

		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			if (cols[i].col == col) {
				f = tok_buf(cols[i].buf, cols[i].cap);
				fp = &f;
				name = cols[i].name;
			}
		q = hotlist__csvtok_field(&t, q, lim, fp);
		if (tok_error(&t) || (q < lim && *q == '\n')) {
			hl_read_set_err(err, "%s in %s",
					tok_error(&t) ? tok_error(&t) : "line break",
					name ? name : "a field");
			goto fail;
		}
		if (fp && f.overflow) {
			hl_read_set_err(err, "%s longer than %u bytes", name, f.cap);
			rc = strcmp(name, "plate") ? HOTLIST_EINVAL : HOTLIST_EPLATE;
			goto fail;
		}
		nf = col + 1;
		if (q == lim)
			break;
		q++; /* past the delimiter */
	}
	rc = HOTLIST_EPLATE;
	if (nf <= l->col_plate || !out->plate[0]) {
		hl_read_set_err(
			err, nf <= l->col_plate ? "no plate field (%d fields)" : "empty plate", nf);
		goto fail;
	}
	rc = store_time(out, ts, l->ts_is_us, err);
	if (!rc) {
		csv_store_candidates(out, cands);
		store_region(out, region, strlen(region));
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
		hl_read_set_err(err, "\"%s\" longer than %zu bytes", key, cap - 1);
		return HOTLIST_EINVAL;
	}
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	if (strlen(dst) != n) {
		hl_read_set_err(err, "\"%s\" holds a NUL character", key);
		return HOTLIST_EINVAL;
	}
	return 0;
}

static int json_plate(const json_t *obj, struct hl_read_rec *out, char *err)
{
	const json_t *v = json_object_get(obj, "plate");

	if (!json_is_string(v)) {
		hl_read_set_err(err, v ? "\"plate\" is not a string" : "no \"plate\"");
		return HOTLIST_EPLATE;
	}
	if (copy_string(v, "plate", out->plate, sizeof(out->plate), err))
		return HOTLIST_EPLATE;
	if (!out->plate[0]) {
		hl_read_set_err(err, "empty plate");
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
		hl_read_set_err(err, "\"%s\" is not a string or an integer", key);
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
		hl_read_set_err(err, "\"candidates\" is not an array");
		return HOTLIST_EINVAL;
	}
	json_array_foreach(v, i, c)
	{
		if (!json_is_string(c)) {
			hl_read_set_err(err, "candidates[%zu] is not a string", i);
			return HOTLIST_EINVAL;
		}
		add_candidate(out, json_string_value(c), json_string_length(c));
	}
	return 0;
}

/* The time: "ts_us" (integer microseconds, or an ISO 8601 string), else
 * "timestamp" or "time" (ISO 8601 string, or epoch s/ms/us/ns as a number
 * or a string of digits). */
static int json_time(const json_t *obj, struct hl_read_rec *out, char *err)
{
	static const char *const keys[] = { "ts_us", "timestamp", "time" };
	char buf[TS_CAP];

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const json_t *v = json_object_get(obj, keys[k]);

		if (!v || json_is_null(v))
			continue;
		if (json_is_integer(v) && k == 0) {
			out->ts_us = json_integer_value(v);
			out->has_ts = true;
			return 0;
		}
		if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		} else if (json_is_string(v) && json_string_length(v) < sizeof(buf) &&
			   json_string_length(v) > 0) {
			memcpy(buf, json_string_value(v), json_string_length(v) + 1);
		} else {
			hl_read_set_err(err, "\"%s\" is not a time", keys[k]);
			return HOTLIST_EINVAL;
		}
		return store_time(out, buf, k == 0, err);
	}
	return 0;
}

static int json_rest(const json_t *obj, struct hl_read_rec *out, char *err)
{
	const json_t *country = json_object_get(obj, "country");

	if (json_time(obj, out, err))
		return HOTLIST_EINVAL;
	if (country && !json_is_null(country)) {
		if (!json_is_string(country)) {
			hl_read_set_err(err, "\"country\" is not a string");
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
		rc = json_camera(obj,
				 json_object_get(obj, "camera")	   ? "camera" :
				 json_object_get(obj, "camera_id") ? "camera_id" :
								     "camera_name",
				 out, err);
	if (!rc)
		rc = json_rest(obj, out, err);
	return rc ? rc : 1;
}

/* ---- OpenALPR results ----------------------------------------------------- */

/* An OpenALPR id ("uuid", "site_id"): a string (cut to fit) or an integer. */
static void alpr_id(const json_t *obj, const char *key, char *out, size_t cap)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		snprintf(out, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		snprintf(out, cap, "%s", json_string_value(v));
}

/* What every read of one OpenALPR frame shares: camera_id, epoch_time,
 * uuid and site_id. */
static int alpr_frame(const json_t *obj, struct hl_read_rec *frame, char *err)
{
	const json_t *t = json_object_get(obj, "epoch_time");
	int rc = json_camera(obj, "camera_id", frame, err);

	alpr_id(obj, "uuid", frame->uuid, sizeof(frame->uuid));
	alpr_id(obj, "site_id", frame->site, sizeof(frame->site));

	if (rc || !t || json_is_null(t))
		return rc;
	if (!json_is_integer(t) || json_integer_value(t) > INT64_MAX / US_PER_MS ||
	    json_integer_value(t) < INT64_MIN / US_PER_MS) {
		hl_read_set_err(err, "\"epoch_time\" is not an integer of milliseconds");
		return HOTLIST_EINVAL;
	}
	frame->ts_us = (int64_t)json_integer_value(t) * US_PER_MS;
	frame->has_ts = true;
	return 0;
}

const char *hl_readparse_country(const struct hl_read_rec *rec)
{
	char norm[3];

	if (!rec->country[0])
		return NULL;
	if (rec->country_guess && hotlist_normalise_country(rec->country, norm) < 0)
		return NULL;
	return rec->country;
}

/* results[i].region (a string, or absent): store_region(). */
static void alpr_region(const json_t *res, struct hl_read_rec *out)
{
	const json_t *v = json_object_get(res, "region");

	store_region(out, json_string_value(v), json_string_length(v));
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
		hl_read_set_err(err, "results[%zu] is not an object", i);
		return HOTLIST_EINVAL;
	}
	rc = json_plate(res, out, why);
	if (rc) {
		hl_read_set_err(err, "results[%zu]: %s", i, why);
		return rc;
	}
	alpr_region(res, out);
	alpr_candidates(res, out);
	if (json_is_number(json_object_get(res, "confidence")))
		out->confidence = json_number_value(json_object_get(res, "confidence"));
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
		hl_read_set_err(err, "more than %zu plates in \"results\" (%zu)", cap, n);
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
		hl_read_set_err(err, "not JSON: %s (column %d)", jerr.text, jerr.column);
		return HOTLIST_EINVAL;
	}
	results = json_object_get(obj, "results");
	const char *kind = json_string_value(json_object_get(obj, "data_type"));
	if (kind && (!strcmp(kind, "heartbeat") || !strcmp(kind, "alpr_group"))) {
		out->skipped = true; /* OpenALPR's status and group lines: no read */
		rc = 0;
	} else if (!json_is_object(obj)) {
		hl_read_set_err(err, "not a JSON object");
		rc = HOTLIST_EINVAL;
	} else if (cap == 0) {
		hl_read_set_err(err, "no room for a read");
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
