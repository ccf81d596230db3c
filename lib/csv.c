/* SPDX-License-Identifier: MIT */
/*
 * csv.c — hot-list files: the CSV parser and the date parser.
 *
 * Owns: turning the bytes of a hot-list file into struct hotlist_entry rows
 * (one callback per row) and reporting every row it cannot use with the line
 * it started on. It knows nothing of plates beyond "the field is not empty":
 * the caller normalises, validates countries and builds the list.
 *
 * Bounded memory. The file is read (no mmap: a file truncated while mapped
 * would raise SIGBUS in the caller's process) into one buffer that holds
 * the unfinished record carried over from the last read plus one more read:
 *
 *   buf: [ carried partial record <= HL_CSV_LINE_MAX | new bytes <= HL_CSV_CHUNK ]
 *
 * Complete records are parsed in place; the partial one at the end is moved
 * to the front and parsed again, from its first byte, once more bytes came.
 * A record can only end at LF, so nothing is parsed until a read brings one
 * (or the buffer is full, or the input ends). A record longer than
 * HL_CSV_LINE_MAX is reported bad and the rest of it, up to the next LF, is
 * skipped as it streams by, so the carry never exceeds the limit. Fields of
 * known columns are copied into HL_CSV_FIELD_MAX-byte scratch buffers; the
 * others are only stepped over. A parse makes two allocations, the parser
 * state (about 2.5 KiB) and the buffer (HL_CSV_LINE_MAX + HL_CSV_CHUNK),
 * whatever the file holds, both from the caller's allocator (the engine's
 * for a load).
 *
 * Phases:
 *   prefix  nothing is parsed before the first HL_CSV_PREFIX bytes (or the
 *           whole input) are in; a NUL among them means a binary file.
 *   header  a UTF-8 BOM is skipped, then blank lines; the first non-blank
 *           line (up to the first LF with an even number of quotes before
 *           it) is the header. It must be valid UTF-8 without NUL. The
 *           delimiter is the one of ';' ',' '\t' '|' that occurs most
 *           outside quotes; of tied ones, the first in that order that gives
 *           a plate column (none at all: ';', a single column). The header's
 *           fields are split like a data record and matched to columns
 *           (case, spaces, '_' and '-' ignored; the first of a name wins;
 *           a name over HL_CSV_FIELD_MAX bytes makes the file bad).
 *   data    one record after the other.
 *
 * Grammar: the tokenizer's (csvtok.h, shared with the read stream of the
 * `hotlist` program), RFC 4180 with the usual leniency: a field that starts (after
 * spaces) with '"' is quoted: delimiters, CR and LF inside are data, "" is
 * one quote, spaces after the closing quote are ignored. Unquoted fields are
 * trimmed of spaces, CR and (unless it is the delimiter) tab. A record ends at
 * LF outside quotes, so CRLF and LF both work. A last data line without LF
 * is reported bad ("file cut short?"): a file caught while being written
 * ends that way. A record's line number is the 1-based line its first byte
 * is on. Only regular files are read (a FIFO or device is HOTLIST_EBADFILE,
 * found without blocking).
 *
 * Rows: a record whose fields are all empty and unquoted is blank and skipped
 * silently. Missing trailing fields are empty; extra fields are ignored. A
 * record is bad (reported once, skipped) for: more than HL_CSV_LINE_MAX bytes
 * (the rest up to the next LF is discarded without looking at quotes), a
 * known-column field over HL_CSV_FIELD_MAX bytes, a NUL byte, a quote inside
 * an unquoted field, text after a closing quote, a quote still open at the
 * end of input, an empty plate (HOTLIST_EPLATE), or a bad priority, date or
 * covert flag (HOTLIST_EINVAL).
 *
 * Callbacks: csv.c is the only caller of bad(). For a record it rejects it
 * calls bad(); for the others it calls row(), and if row() returns non-zero,
 * bad() with that code and row()'s reason: exactly one bad() per bad row
 * whoever found it, in file order. Records' line numbers strictly increase;
 * the bad() for a refused row repeats its row()'s line. A row() returning
 * HOTLIST_ENOMEM stops the parse, which returns it.
 *
 * Threads and memory ordering: a parse touches only its own memory and the
 * callbacks' context, no atomics, no locks; any number may run at once.
 *
 * Dates: valid_from and expires go through hotlist__date_parse() (date.h):
 * YYYYMMDD, YYYY-MM-DD, ISO 8601 with time and offset, or epoch seconds,
 * 1990..2100. A day alone is its start (00:00 UTC, or at the offset written
 * after it) for valid_from and the end of it for expires. Anything else is
 * a bad row.
 */
#include "csv.h"

#include "alloc.h"
#include "common.h"
#include "csvtok.h"
#include "date.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Longest record (a line, or lines joined inside quotes), LF not counted: a
 * hot-list row is under 200 bytes; 64 KiB leaves room for long free-text
 * columns while a corrupt file (no LF for megabytes) costs one bad row. */
#define HL_CSV_LINE_MAX (64 * 1024)
/* Longest field of a known column: plates are at most HOTLIST_RAW_PLATE_MAX
 * bytes, categories and references are short free text. */
#define HL_CSV_FIELD_MAX 256
/* Bytes looked at for NUL to tell a binary file (UTF-16, a zip, an image)
 * from text, the way grep and git do. */
#define HL_CSV_PREFIX 4096
/* Bytes per read(): large enough that syscalls and the memmove of the carried
 * record cost nothing next to the parse, small enough to stay in L2. */
#define HL_CSV_CHUNK (256 * 1024)
/* The read buffer: a carried record plus one read. */
#define HL_CSV_BUF (HL_CSV_LINE_MAX + HL_CSV_CHUNK)
/* Priority of a row whose priority field is empty: the middle of 0..100. */
#define HL_CSV_PRIORITY_DEFAULT 50
/* Bytes of a bad value quoted in a reason (the reason has 96 bytes). */
#define HL_CSV_QUOTE_MAX 40
#define HL_CSV_REASON_LEN 96

/* Known columns; a row's field of each is copied into f[slot]. */
enum slot {
	SL_PLATE,
	SL_COUNTRY,
	SL_CATEGORY,
	SL_PRIORITY,
	SL_VALID_FROM,
	SL_EXPIRES,
	SL_REFERENCE,
	SL_COVERT,
	SL_ID,
	SL_ATTR, /* the first of HOTLIST_ATTRS_MAX columns that are none of the above */
	SL__COUNT = SL_ATTR + HOTLIST_ATTRS_MAX
};

enum phase { PH_HEADER, PH_DATA };

/* What parse_record() found. */
enum rec { REC_DONE, REC_MORE, REC_LONG };

#define HL_NO_FIELD UINT32_MAX

struct csv {
	hl_csv_row_fn row;
	hl_csv_bad_fn bad;
	void *ctx;
	enum phase phase;
	bool skip; /* discarding the rest of a line too long, up to its LF */
	bool in_header; /* parse_record() is splitting the header */
	uint64_t line; /* line of the first byte not yet consumed */

	/* The record being parsed: the tokenizer (delimiter, byte classes, the
	 * record's first error, whether it is blank, its LFs inside quotes). */
	struct hl_csvtok tok;
	uint64_t rec_line; /* line it starts on */

	/* Column map: the known columns' field indices in increasing order,
	 * ending with HL_NO_FIELD, and the slot each goes to. */
	uint32_t map[SL__COUNT];
	uint32_t order_idx[SL__COUNT + 1];
	uint8_t order_slot[SL__COUNT];
	unsigned n_order; /* known columns: entries of order_slot */

	struct hl_csvtok_buf f[SL__COUNT];
	struct hl_csvtok_buf name; /* a header field */
	char f_text[SL__COUNT][HL_CSV_FIELD_MAX + 1];
	char name_text[HL_CSV_FIELD_MAX + 1];

	/* Attribute columns: their header names, and a row's values. */
	unsigned n_attr;
	char attr_name[HOTLIST_ATTRS_MAX][HOTLIST_ATTR_NAME_MAX + 1];
	struct hotlist_attr attrs[HOTLIST_ATTRS_MAX];
};

/* Make s valid UTF-8 in place: each byte that does not start a well-formed
 * sequence (no overlongs, surrogates or code points above U+10FFFF; a
 * sequence cut short at the end) becomes '?'. */
static void utf8_fix(char *str)
{
	unsigned char *s = (unsigned char *)str;

	while (*s) {
		unsigned c = *s, n = c < 0x80		? 0 :
				     (c & 0xE0) == 0xC0 ? 1 :
				     (c & 0xF0) == 0xE0 ? 2 :
				     (c & 0xF8) == 0xF0 ? 3 :
							  4;
		unsigned cp = n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07, k = 1;

		for (; n < 4 && k <= n && (s[k] & 0xC0) == 0x80; k++)
			cp = (cp << 6) | (s[k] & 0x3F);
		if (n == 0 || (n < 4 && k > n &&
			       cp >= (n == 1 ? 0x80u :
				      n == 2 ? 0x800u :
					       0x10000u) &&
			       cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF))) {
			s += n + 1;
			continue;
		}
		*s++ = '?';
	}
}

/* ---- Column names --------------------------------------------------------------- */

static const struct {
	const char *name; /* lower case, without ' ', '_' and '-' */
	enum slot slot;
} column_names[] = {
	{ "plate", SL_PLATE },
	{ "platenumber", SL_PLATE },
	{ "registration", SL_PLATE },
	{ "kenteken", SL_PLATE },
	{ "country", SL_COUNTRY },
	{ "platestate", SL_COUNTRY },
	{ "state", SL_COUNTRY },
	{ "countrycode", SL_COUNTRY },
	{ "category", SL_CATEGORY },
	{ "priority", SL_PRIORITY },
	{ "validfrom", SL_VALID_FROM },
	{ "effectivedate", SL_VALID_FROM },
	{ "expires", SL_EXPIRES },
	{ "expirydate", SL_EXPIRES },
	{ "expiry", SL_EXPIRES },
	{ "reference", SL_REFERENCE },
	{ "ref", SL_REFERENCE },
	{ "case", SL_REFERENCE },
	{ "permitid", SL_REFERENCE },
	{ "covert", SL_COVERT },
	{ "id", SL_ID },
	{ "entryid", SL_ID },
};

/* The slot a header name maps to, or -1 for an unknown column. */
static int column_slot(const char *name)
{
	char key[HL_CSV_FIELD_MAX + 1];

	if (!hotlist__csvtok_fold(name, key, sizeof(key)))
		return -1;
	for (size_t i = 0; i < sizeof(column_names) / sizeof(column_names[0]); i++) {
		if (strcmp(key, column_names[i].name) == 0)
			return (int)column_names[i].slot;
	}
	return -1;
}

/* Where field `field` goes: the name buffer for the header, a slot for a
 * known column, else NULL. *k walks order_idx[] as the fields go by. */
static inline struct hl_csvtok_buf *field_dest(struct csv *p, uint32_t field, unsigned *k)
{
	if (HL_UNLIKELY(p->in_header))
		return &p->name;
	if (field != p->order_idx[*k])
		return NULL;
	return &p->f[p->order_slot[(*k)++]];
}

/* Record a header name's column. The first column of a name wins. A column
 * none of ours is an attribute (vehicle details), kept under its name as
 * written (trimmed; cut at HOTLIST_ATTR_NAME_MAX bytes), the first
 * HOTLIST_ATTRS_MAX of them; a repeated or empty name is ignored. */
static void map_column(struct csv *p, uint32_t index)
{
	int slot = column_slot(p->name.s);

	if (slot >= 0 && p->map[slot] == HL_NO_FIELD)
		p->map[slot] = index;
	if (slot < 0 && p->name.s[0] && p->n_attr < HOTLIST_ATTRS_MAX) {
		char *n = p->attr_name[p->n_attr];

		snprintf(n, HOTLIST_ATTR_NAME_MAX + 1, "%s", p->name.s);
		utf8_fix(n);
		for (unsigned i = 0; n && i < p->n_attr; i++)
			if (strcmp(p->attr_name[i], n) == 0)
				n = NULL;
		if (n)
			p->map[SL_ATTR + p->n_attr++] = index;
	}
	p->name.len = 0;
}

/* Every field empty: a short record's missing fields are "", never the
 * previous record's text (parse_record only writes the fields it meets).
 * Only the known columns' slots can have been written (field_dest): the
 * others stay as csv_init left them, so they are not touched (each slot's
 * text is a cache line of its own). */
static void begin_record(struct csv *p)
{
	hotlist__csvtok_begin(&p->tok);
	p->rec_line = p->line;
	for (unsigned k = 0; k < p->n_order; k++) {
		struct hl_csvtok_buf *f = &p->f[p->order_slot[k]];
		f->len = 0;
		f->s[0] = '\0';
	}
	p->name.len = 0;
}

/*
 * Parse the record at s (s < end) into the field buffers. Returns REC_DONE
 * with *next after its LF (or at end, if eof); REC_MORE if its end is not in
 * [s, end) and more input may come; REC_LONG with *next where the record
 * passed HL_CSV_LINE_MAX bytes. This is the parse's hot path: one loop over
 * the fields with the common case (short unquoted text) inline.
 */
static enum rec parse_record(struct csv *p, const unsigned char *s, const unsigned char *end,
			     bool eof, const unsigned char **next)
{
	const unsigned char *lim = end, *q = s;
	uint32_t field = 0;
	unsigned k = 0;

	/* lim: one byte past the longest record, so that byte can be its LF. */
	if ((size_t)(end - s) > HL_CSV_LINE_MAX)
		lim = s + HL_CSV_LINE_MAX + 1;
	begin_record(p);
	for (;; field++) {
		struct hl_csvtok_buf *f = field_dest(p, field, &k);

		q = hotlist__csvtok_field(&p->tok, q, lim, f);
		if (HL_UNLIKELY(f && f->overflow) && f < &p->f[SL_ATTR])
			hotlist__csvtok_error(&p->tok, "field too long");
		if (HL_UNLIKELY(p->in_header))
			map_column(p, field);
		if (q == lim)
			break;
		if (p->tok.cls[*q++] == HL_CT_NL) {
			*next = q;
			return REC_DONE;
		}
	}
	*next = q;
	if ((size_t)(q - s) > HL_CSV_LINE_MAX) {
		p->tok.err = "line too long"; /* it hides any other problem */
		return REC_LONG;
	}
	if (!eof)
		return REC_MORE;
	if (p->tok.open)
		hotlist__csvtok_error(&p->tok, "quote not closed at end of file");
	/* A file being written (rewritten in place, copied, cut short) ends in a
	 * half row more often than a whole one lacks its LF: not trusted. */
	if (!p->in_header && p->tok.nonempty)
		hotlist__csvtok_error(&p->tok, "last line has no line end (file cut short?)");
	return REC_DONE;
}

/* ---- Row values ------------------------------------------------------------------ */

/* A bad value, quoted into reason with control and non-ASCII bytes as '?'. */
static void value_reason(char *reason, const char *what, const char *value)
{
	char q[HL_CSV_QUOTE_MAX + 1];
	size_t n = 0;

	for (; value[n] && n < HL_CSV_QUOTE_MAX; n++) {
		unsigned char c = (unsigned char)value[n];

		q[n] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
	}
	q[n] = '\0';
	snprintf(reason, HL_CSV_REASON_LEN, "bad %s \"%s%s\"", what, q, value[n] ? "..." : "");
}

static int parse_priority(const char *s, unsigned *out)
{
	unsigned v = 0;

	if (!*s) {
		*out = HL_CSV_PRIORITY_DEFAULT;
		return 0;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return HOTLIST_EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > HOTLIST_PRIORITY_MAX)
			return HOTLIST_EINVAL;
	}
	*out = v;
	return 0;
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		if (ascii_lower(*a) != *b)
			return false;
	}
	return *a == *b;
}

static int parse_covert(const char *s, bool *out)
{
	static const char *const no[] = { "", "0", "false", "no", "n" };
	static const char *const yes[] = { "1", "true", "yes", "y", "covert" };

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (ieq(s, no[i])) {
			*out = false;
			return 0;
		}
		if (ieq(s, yes[i])) {
			*out = true;
			return 0;
		}
	}
	return HOTLIST_EINVAL;
}

/*
 * A validity column (empty = none) through the date parser (date.h): a day
 * alone is its start for valid_from and through its end for expires
 * (HL_DATE_END_OF_DAY). A refusal fills reason: not a date, or a date
 * outside 1990..2100 (epoch milliseconds in a seconds column, an unset 0).
 */
static int parse_opt_time(const char *what, const char *s, unsigned flags, int64_t *out,
			  char *reason)
{
	int rc;

	if (!*s) {
		*out = 0;
		return 0;
	}
	rc = hotlist__date_parse_str(s, flags, out);
	if (rc == HL_DATE_ERANGE)
		snprintf(reason, HL_CSV_REASON_LEN,
			 "%s \"%.40s\" is not a date between 1990 and 2100", what, s);
	else if (rc)
		value_reason(reason, what, s);
	return rc ? HOTLIST_EINVAL : 0;
}

/* Fill e from the scratch fields; 0, or HOTLIST_E* with reason filled. */
static int build_entry(struct csv *p, struct hotlist_entry *e, char *reason)
{
	if (!p->f[SL_PLATE].s[0]) {
		snprintf(reason, HL_CSV_REASON_LEN, "empty plate");
		return HOTLIST_EPLATE;
	}
	e->plate = p->f[SL_PLATE].s;
	e->country = p->f[SL_COUNTRY].s;
	e->category = p->f[SL_CATEGORY].s;
	e->reference = p->f[SL_REFERENCE].s;
	if (parse_priority(p->f[SL_PRIORITY].s, &e->priority) < 0) {
		value_reason(reason, "priority", p->f[SL_PRIORITY].s);
		return HOTLIST_EINVAL;
	}
	if (parse_opt_time("valid_from", p->f[SL_VALID_FROM].s, 0, &e->valid_from_us, reason) < 0)
		return HOTLIST_EINVAL;
	if (parse_opt_time("expires", p->f[SL_EXPIRES].s, HL_DATE_END_OF_DAY, &e->expires_us,
			   reason) < 0)
		return HOTLIST_EINVAL;
	if (parse_covert(p->f[SL_COVERT].s, &e->covert) < 0) {
		value_reason(reason, "covert", p->f[SL_COVERT].s);
		return HOTLIST_EINVAL;
	}
	e->id = p->f[SL_ID].s;
	e->attrs = p->attrs;
	e->n_attrs = 0;
	/* Details are kept as given, never a reason to refuse the row: a value
	 * over HL_CSV_FIELD_MAX bytes is cut there, bytes that are not UTF-8
	 * become '?'. */
	for (unsigned i = 0; i < p->n_attr; i++) {
		struct hl_csvtok_buf *f = &p->f[SL_ATTR + i];

		if (!f->s[0])
			continue;
		utf8_fix(f->s);
		p->attrs[e->n_attrs].name = p->attr_name[i];
		p->attrs[e->n_attrs++].value = f->s;
	}
	return 0;
}

static void report_bad(struct csv *p, int code, const char *reason)
{
	if (p->bad)
		p->bad(p->ctx, p->rec_line, code, reason);
}

/* A data record is complete: report it. Returns 0 or HOTLIST_ENOMEM. */
/* A data record is complete: report it. Returns 0 or HOTLIST_ENOMEM. */
static int end_record(struct csv *p)
{
	struct hotlist_entry e;
	char reason[HL_CSV_REASON_LEN];
	int rc;

	if (p->tok.err) {
		report_bad(p, HOTLIST_EINVAL, p->tok.err);
		return 0;
	}
	if (!p->tok.nonempty)
		return 0;
	rc = build_entry(p, &e, reason);
	if (rc < 0) {
		report_bad(p, rc, reason);
		return 0;
	}
	reason[0] = '\0';
	rc = p->row ? p->row(p->ctx, &e, p->rec_line, reason) : 0;
	if (rc == HOTLIST_ENOMEM)
		return rc;
	if (rc != 0) {
		reason[HL_CSV_REASON_LEN - 1] = '\0';
		if (!reason[0])
			snprintf(reason, HL_CSV_REASON_LEN, "row rejected (%d)", rc);
		report_bad(p, rc < 0 ? rc : HOTLIST_EINVAL, reason);
	}
	return 0;
}

/* ---- Header ---------------------------------------------------------------------- */

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += len;
	}
	return true;
}

/* Known columns in field order, for end_field() to walk. */
static void build_order(struct csv *p)
{
	unsigned n = 0;

	for (uint32_t idx = 0; n < SL__COUNT; idx++) {
		uint32_t next = HL_NO_FIELD;
		int slot = -1;

		for (int i = 0; i < SL__COUNT; i++) {
			if (p->map[i] >= idx && p->map[i] < next) {
				next = p->map[i];
				slot = i;
			}
		}
		if (slot < 0)
			break;
		p->order_idx[n] = next;
		p->order_slot[n++] = (uint8_t)slot;
		idx = next;
	}
	p->order_idx[n] = HL_NO_FIELD;
	p->n_order = n;
}

/* hdr[0..len) is the header line, without its LF. */
static int process_header(struct csv *p, const unsigned char *hdr, size_t len)
{
	unsigned char delims[HL_CSVTOK_NDELIMS];
	const unsigned char *next;
	unsigned n;

	if (memchr(hdr, 0, len) || !utf8_valid(hdr, len))
		return HOTLIST_EBADFILE;
	/* Of tied delimiters, the first that gives a plate column. */
	n = hotlist__csvtok_delims(hdr, len, delims);
	if (n == 0) {
		delims[0] = ';'; /* one column: any delimiter will do */
		n = 1;
	}
	for (unsigned j = 0; j < n; j++) {
		hotlist__csvtok_init(&p->tok, delims[j]);
		for (int i = 0; i < SL__COUNT; i++)
			p->map[i] = HL_NO_FIELD;
		p->n_attr = 0;
		p->in_header = true;
		/* A stray quote can end the record early (at an LF the quote
		 * count took as quoted): an error either way. */
		if (parse_record(p, hdr, hdr + len, true, &next) != REC_DONE || next != hdr + len ||
		    p->tok.err || p->map[SL_PLATE] == HL_NO_FIELD)
			continue;
		p->in_header = false;
		build_order(p);
		p->phase = PH_DATA;
		return 0;
	}
	p->in_header = false;
	return HOTLIST_EBADFILE;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Find and process the header in [*sp, end): skip blank lines, take the
 * first other line. Returns 0 (phase is DATA, or more input is needed:
 * *sp is where to start again) or HOTLIST_EBADFILE.
 */
static int take_header(struct csv *p, const unsigned char **sp, const unsigned char *end, bool eof)
{
	const unsigned char *s = *sp;

	for (;;) {
		const unsigned char *q = s;
		bool inq = false, nonblank = false;
		uint64_t nl = 0;

		for (; q < end && (*q != '\n' || inq); q++) {
			inq ^= *q == '"';
			nonblank |= !is_space(*q);
			nl += *q == '\n';
		}
		if ((size_t)(q - s) > HL_CSV_LINE_MAX)
			return HOTLIST_EBADFILE;
		if (q == end && !eof) {
			*sp = s;
			return 0;
		}
		if (q == end && (inq || !nonblank))
			return HOTLIST_EBADFILE; /* no header, or its quote never closes */
		if (nonblank) {
			int rc = process_header(p, s, (size_t)(q - s));

			p->line += nl + 1;
			*sp = q < end ? q + 1 : q;
			return rc;
		}
		p->line++;
		s = q + 1;
	}
}

/*
 * Parse what can be parsed of [buf, buf + len): every complete record, and at
 * eof everything. Returns the bytes consumed; *rc gets 0, HOTLIST_EBADFILE
 * or HOTLIST_ENOMEM. What is not consumed is an unfinished record no longer
 * than HL_CSV_LINE_MAX bytes, to be handed in again with more after it.
 */
static size_t consume(struct csv *p, const unsigned char *buf, size_t len, bool eof, int *rc)
{
	const unsigned char *s = buf, *end = buf + len, *next;

	*rc = 0;
	if (p->phase == PH_HEADER) {
		*rc = take_header(p, &s, end, eof);
		if (*rc != 0 || p->phase == PH_HEADER)
			return (size_t)(s - buf);
	}
	while (s < end && *rc == 0) {
		if (HL_UNLIKELY(p->skip)) {
			next = memchr(s, '\n', (size_t)(end - s));
			if (!next)
				return len;
			p->skip = false;
			p->line++;
			s = next + 1;
			continue;
		}
		enum rec r = parse_record(p, s, end, eof, &next);

		if (r == REC_MORE)
			break;
		*rc = end_record(p);
		p->line += p->tok.nl + 1;
		if (r == REC_LONG) {
			p->line--; /* the LF ending the skip counts it */
			p->skip = true;
		}
		s = next;
	}
	return (size_t)(s - buf);
}

/* Where the bytes come from: a file, or memory handed out in pieces. */
struct source {
	int fd; /* -1: memory */
	const unsigned char *mem;
	size_t len, pos, piece;
};

static ssize_t source_read(struct source *src, unsigned char *dst, size_t cap)
{
	ssize_t n;

	if (src->fd < 0) {
		size_t take = src->len - src->pos;

		if (take > src->piece)
			take = src->piece;
		if (take > cap)
			take = cap;
		memcpy(dst, src->mem + src->pos, take);
		src->pos += take;
		return (ssize_t)take;
	}
	do
		n = read(src->fd, dst, cap);
	while (n < 0 && errno == EINTR);
	return n;
}

/* What a failed open() or read() of a list file tells the caller: the errno
 * codes a person can act on (missing, not readable, a directory), else EIO. */
static int io_error(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return HOTLIST_ENOENT;
	case EACCES:
	case EPERM:
		return HOTLIST_EACCES;
	case EISDIR:
		return HOTLIST_EISDIR;
	default:
		return HOTLIST_EIO;
	}
}

/* The checks on the whole input's first bytes; the offset past a BOM. */
static int check_prefix(const unsigned char *s, size_t len, size_t *off)
{
	if (memchr(s, 0, len < HL_CSV_PREFIX ? len : HL_CSV_PREFIX))
		return HOTLIST_EBADFILE;
	*off = hotlist__csvtok_bom(s, len);
	return 0;
}

/* Read everything through buf of cap bytes: HL_CSV_BUF, or for an input in
 * memory shorter than that, its length + 1 (it never fills, as HL_CSV_BUF
 * would not). */
static int drive(struct csv *p, struct source *src, unsigned char *buf, size_t cap)
{
	size_t have = 0, off = 0;
	bool started = false, eof = false;
	int rc = 0;

	while (!eof) {
		size_t room = cap - have < HL_CSV_CHUNK ? cap - have : HL_CSV_CHUNK;
		ssize_t n = source_read(src, buf + have, room);

		if (n < 0)
			return io_error(errno);
		eof = n == 0;
		bool lf = memchr(buf + have, '\n', (size_t)n) != NULL;

		have += (size_t)n;
		if (!started && have < HL_CSV_PREFIX && !eof)
			continue;
		if (!started) {
			rc = check_prefix(buf, have, &off);
			if (rc != 0)
				return rc;
			started = true;
		}
		if (!lf && !eof && have < cap)
			continue; /* no record can have ended */
		size_t used = consume(p, buf + off, have - off, eof, &rc);

		if (rc != 0)
			return rc;
		/* The rest is one unfinished record: it fits, with room to grow. */
		HL_DEBUG_ASSERT(have - off - used <= HL_CSV_LINE_MAX + 1);
		memmove(buf, buf + off + used, have - off - used);
		have -= off + used;
		off = 0;
	}
	return p->phase == PH_HEADER ? HOTLIST_EBADFILE : 0;
}

static void csv_init(struct csv *p, hl_csv_row_fn row, hl_csv_bad_fn bad, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->row = row;
	p->bad = bad;
	p->ctx = ctx;
	p->phase = PH_HEADER;
	p->line = 1;
	p->order_idx[0] = HL_NO_FIELD;
	for (int i = 0; i < SL__COUNT; i++)
		p->f[i] = (struct hl_csvtok_buf){ .s = p->f_text[i], .cap = HL_CSV_FIELD_MAX };
	p->name = (struct hl_csvtok_buf){ .s = p->name_text, .cap = HL_CSV_FIELD_MAX };
}

int hotlist__csv_parse_mem(const char *buf, size_t len, size_t piece, hl_csv_row_fn row,
			   hl_csv_bad_fn bad, void *ctx)
{
	static const unsigned char none[1];
	const struct hotlist_allocator *a = hotlist__default_allocator();
	const unsigned char *s = buf ? (const unsigned char *)buf : none;
	struct source src = { .fd = -1, .mem = s, .len = len, .piece = piece };
	unsigned char *rbuf = NULL;
	struct csv *p;
	size_t off, cap = 0;
	int rc;

	if (!buf && len > 0)
		return HOTLIST_EINVAL;
	p = hotlist__alloc(a, sizeof(*p), HL_CACHE_LINE);
	if (!p)
		return HOTLIST_ENOMEM;
	csv_init(p, row, bad, ctx);
	if (piece == 0) {
		/* In place: the whole input is one read. */
		rc = check_prefix(s, len, &off);
		if (rc == 0)
			consume(p, s + off, len - off, true, &rc);
		if (rc == 0 && p->phase == PH_HEADER)
			rc = HOTLIST_EBADFILE;
	} else {
		/* Sized to the input: a short one (the tests', the fuzzer's)
		 * would otherwise map and clear 320 KiB per parse. */
		cap = len < HL_CSV_BUF ? len + 1 : HL_CSV_BUF;
		rbuf = hotlist__alloc(a, cap, HL_CACHE_LINE);
		rc = rbuf ? drive(p, &src, rbuf, cap) : HOTLIST_ENOMEM;
	}
	hotlist__free(a, rbuf, cap);
	hotlist__free(a, p, sizeof(*p));
	return rc;
}

int hotlist__csv_parse_with(const struct hotlist_allocator *a, const char *path, hl_csv_row_fn row,
			    hl_csv_bad_fn bad, void *ctx)
{
	struct source src = { .fd = -1 };
	struct csv *p;
	unsigned char *buf;
	int rc;

	if (!path)
		return HOTLIST_EINVAL;
	if (!a)
		a = hotlist__default_allocator();
	/* O_NONBLOCK: opening a FIFO without a writer would wait for one */
	src.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (src.fd < 0)
		return io_error(errno);
	struct stat st;
	int st_rc = fstat(src.fd, &st);
	if (st_rc != 0 || !S_ISREG(st.st_mode)) {
		/* a FIFO or a device could block or never end */
		rc = st_rc != 0		 ? io_error(errno) :
		     S_ISDIR(st.st_mode) ? HOTLIST_EISDIR :
					   HOTLIST_EBADFILE;
		close(src.fd);
		return rc;
	}
	p = hotlist__alloc(a, sizeof(*p), HL_CACHE_LINE);
	buf = hotlist__alloc(a, HL_CSV_BUF, HL_CACHE_LINE);
	if (!p || !buf) {
		rc = HOTLIST_ENOMEM;
	} else {
		csv_init(p, row, bad, ctx);
		rc = drive(p, &src, buf, HL_CSV_BUF);
	}
	hotlist__free(a, buf, HL_CSV_BUF);
	hotlist__free(a, p, sizeof(*p));
	close(src.fd);
	return rc;
}

int hotlist__csv_parse(const char *path, hl_csv_row_fn row, hl_csv_bad_fn bad, void *ctx)
{
	return hotlist__csv_parse_with(NULL, path, row, bad, ctx);
}
