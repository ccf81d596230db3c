/* SPDX-License-Identifier: MIT */
/*
 * Parsers for the read stream of `hotlist match`: one read per line, either
 * CSV with a header naming the columns (camera, ts_us, plate, country,
 * candidates, or the names camera exports use for them: Timestamp,
 * CameraName, PlateNumber, ...; any order, ';' ',' tab or '|'), JSON lines
 * ({"camera": "cam-1", "ts_us": 1, "plate": "12-ABC-3", "country": "NL",
 * "candidates": ["12-A8C-3"]})
 * or OpenALPR's JSON results (one object per frame with a "results" array:
 * one read per plate found).
 *
 * Every function takes a line as bytes and a length (no NUL needed, NUL bytes
 * inside are an error), copies what it keeps into fixed-size buffers, and
 * never reads or writes out of bounds whatever the input: a fuzz target
 * (fuzz/fuzz_reads.c) holds them to that. Errors are negative HOTLIST_E*
 * codes with a one-line message in err (HL_READ_ERR_CAP bytes).
 * Threads: any; no state but the caller's.
 */
#ifndef HOTLIST_TOOLS_READPARSE_H
#define HOTLIST_TOOLS_READPARSE_H

#include "hotlist.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_READ_ERR_CAP 128

/* Writes a one-line message of at most HL_READ_ERR_CAP bytes into err
 * (nothing when err is NULL): the parsers' error report. */
void hl_read_set_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define HL_READ_COUNTRY_MAX 15 /* bytes of a country field ("NL", " nl ", "D") */
/* OCR candidates kept per read: the library tries no more than this many. */
#define HL_READ_CANDIDATES_MAX HOTLIST_CANDIDATES_MAX
/* Bytes of a CSV candidates field: room for the most candidates kept, each of
 * the longest plate, with their '|' separators and the NUL. */
#define HL_READ_CANDIDATES_CAP (HL_READ_CANDIDATES_MAX * (HOTLIST_RAW_PLATE_MAX + 1))
/* Plates of one OpenALPR frame: a camera frame with more is not a road scene;
 * a line with more is refused rather than cut. */
#define HL_READ_RESULTS_MAX 32
/* Bytes of an OpenALPR uuid or site_id kept (longer ones are cut). */
#define HL_READ_ID_MAX 63

/*
 * One read, as parsed; strings NUL-terminated. Candidates are the OCR
 * alternatives, best first: never empty, at most HOTLIST_RAW_PLATE_MAX bytes
 * (longer ones, empty ones and those past HL_READ_CANDIDATES_MAX are skipped,
 * as the library would skip them).
 */
struct hl_read_rec {
	char camera[HOTLIST_CAMERA_MAX + 1]; /* "" when absent */
	char plate[HOTLIST_RAW_PLATE_MAX + 1]; /* never empty on success */
	char country[HL_READ_COUNTRY_MAX + 1]; /* "" when absent or null */
	int64_t ts_us; /* 0 when absent */
	bool has_ts;
	bool country_guess; /* country taken from an OpenALPR region: a guess that
			       the caller drops when it is not a country code */
	unsigned n_candidates;
	char candidates[HL_READ_CANDIDATES_MAX][HOTLIST_RAW_PLATE_MAX + 1];
	/* ---- operator fields (issue 13): OpenALPR's, "" / 0 when absent ---- */
	char uuid[HL_READ_ID_MAX + 1]; /* the frame's "uuid" */
	char site[HL_READ_ID_MAX + 1]; /* the frame's "site_id" */
	double confidence; /* results[i].confidence */
	bool skipped; /* out[0] only, with 0 reads: an OpenALPR heartbeat or
			 alpr_group line, recognised and skipped */
};

enum hl_read_format { HL_READS_AUTO = 0, HL_READS_CSV, HL_READS_JSONL };

/* Column positions from a CSV header; -1 = column absent. */
struct hl_csv_layout {
	char delim;
	int ncols;
	int col_camera, col_ts, col_plate, col_country, col_candidates;
	int col_region; /* OpenALPR/Rekor "region" ("us-ca"): a country guess */
	bool ts_is_us; /* the time column is "ts_us": whole numbers are microseconds */
};

/* Format of a stream judging by its first non-empty line: JSONL if it starts with '{'. */
enum hl_read_format hl_readparse_detect(const char *line, size_t len);

/* True if the line holds nothing but spaces, tabs, CR or LF. */
bool hl_readparse_blank(const char *line, size_t len);

/*
 * Parse a CSV header with the library's tokenizer (lib/csvtok.h, the dialect
 * of hot-list files): a BOM is skipped; the delimiter is the one of ';' ','
 * tab '|' seen most often outside quotes (of tied ones the first that gives
 * a plate column; none: ','); names are compared folded (case, ' ', '_', '-'
 * ignored; quotes allowed); unknown columns are ignored; a plate column is
 * required, a name may not repeat. Besides our names the columns of camera
 * exports are known (Genetec AutoVu, Rekor/OpenALPR, generic):
 *   camera      camera_id, camera_name, CameraName, cam, unit, unit_name,
 *               device, device_id, device_name, reader, source
 *   ts_us       timestamp, time, datetime, date_time, event_time, read_time,
 *               capture_time, captured_at, timestamp_utc, epoch_time,
 *               epoch_start (values: ISO 8601, or epoch s/ms/us/ns)
 *   plate       plate_number, PlateNumber, plate_read, PlateRead, plate_text,
 *               license_plate, licence_plate, lpr, vrm, registration,
 *               best_plate, best_plate_number
 *   country     country_code, plate_country, plate_state, PlateState, state
 *   region      plate_region ("us-ca": country "us", a guess)
 *   candidates  alternatives, alternates
 * Of several columns for one field the first wins.
 * @return 0, HOTLIST_EBADFILE (no plate column, repeated name, bad quoting,
 *         NUL byte).
 */
int hl_readparse_csv_header(struct hl_csv_layout *l, const char *line, size_t len, char *err);

/*
 * Parse one CSV data line with a layout from hl_readparse_csv_header().
 * The time: in a "ts_us" column a whole number is microseconds; anything
 * else, and any value of another time column, goes through the library's
 * date parser (lib/date.h): ISO 8601 (with offset; without one, UTC) or
 * epoch seconds, milliseconds, microseconds or nanoseconds, whichever is
 * a time between 1990 and 2100.
 * Fields may be double-quoted ("" is a quote inside); a quote inside an
 * unquoted field or text after a closing quote is an error. The candidates field
 * holds plates separated by '|'. Extra columns are ignored; a missing plate column, an empty plate, a field too long for its
 * buffer or a ts_us that is not a whole number is an error.
 * @return 0, HOTLIST_EINVAL (bad line), HOTLIST_EPLATE (plate empty or too long).
 * out is fully written (zeroed) even on error.
 */
int hl_readparse_csv_line(const struct hl_csv_layout *l, const char *line, size_t len,
			  struct hl_read_rec *out, char *err);

/*
 * Parse one JSON line into reads. Either our own object, one read: "plate"
 * (string, required), "camera" (string or integer), "ts_us" (integer),
 * "country" (string or null), "candidates" (array of strings, or null); or
 * an OpenALPR result, recognised by its "results" array, one read per
 * element: plate = results[i].plate, candidates = results[i].candidates[].plate
 * but the one equal to the plate, camera = "camera_id" (string or integer),
 * ts_us = "epoch_time" (integer milliseconds) * 1000, country = the part of
 * results[i].region before '-' when it is two ASCII letters ("de-by" -> "de"),
 * marked as a guess (country_guess), uuid = "uuid", site = "site_id" (string
 * or integer, cut at HL_READ_ID_MAX bytes), confidence = results[i].confidence.
 * An object whose "data_type" is "heartbeat" or "alpr_group" (OpenALPR's
 * agent status and plate-group summaries) gives 0 reads with out[0].skipped
 * set. Other keys are ignored. Uses jansson.
 * @param out room for cap reads (cap >= 1; HL_READ_RESULTS_MAX for any frame).
 * @return the number of reads written (1; 0..HL_READ_RESULTS_MAX for an
 *         OpenALPR frame, 0 when it found no plate), HOTLIST_EINVAL (not JSON,
 *         not an object, wrong type, too long, more results than cap),
 *         HOTLIST_EPLATE (a plate missing, empty or too long).
 * out[0] is fully written (zeroed) even on error.
 */
int hl_readparse_json_line(const char *line, size_t len, struct hl_read_rec *out, size_t cap,
			   char *err);

/*
 * The country a read is matched (and published) with: rec->country, or NULL
 * when it has none or when it is a guess from an OpenALPR region
 * (country_guess) that is not a country code ("eu", "xx"). The one place
 * where OpenALPR's region becomes a country for `match`, `feed` and the alprd
 * gateway.
 * @return rec->country (borrowed from rec) or NULL.
 */
const char *hl_readparse_country(const struct hl_read_rec *rec);

#endif /* HOTLIST_TOOLS_READPARSE_H */
