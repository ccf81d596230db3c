/* SPDX-License-Identifier: MIT */
/*
 * csvtok.h — the one CSV tokenizer: hot-list files (csv.c, the list mapping)
 * and the read stream of the `hotlist` program (tools/readparse.c, the read
 * mapping) both split their bytes with it. Internal: never installed; the
 * program links the library statically.
 *
 * The dialect (RFC 4180 with the usual leniency):
 *  - a UTF-8 BOM before the header is skipped (hotlist__csvtok_bom);
 *  - the delimiter is one of ';' ',' tab '|', chosen from the header line:
 *    the one that occurs most often outside quotes; of tied ones
 *    (hotlist__csvtok_delims gives them in that order) the first that gives
 *    the mapping the columns it needs;
 *  - header names are compared folded: ASCII case, ' ', '_', '-' and tab
 *    ignored ("Plate Number" = "plate_number" = "platenumber");
 *  - a field that starts (after spaces) with '"' is quoted: delimiters, CR
 *    and LF inside are data, "" is one quote, spaces after the closing quote
 *    are ignored; anything else after it is an error;
 *  - unquoted fields are trimmed of spaces, CR and (unless it is the
 *    delimiter) tab; a quote or NUL inside one is an error;
 *  - a record ends at LF outside quotes: LF, CRLF (the CR is trimmed) and,
 *    at end of input, nothing.
 *
 * The tokenizer knows nothing of columns, line numbers or where the bytes
 * come from: a mapping calls hotlist__csvtok_field() once per field of a
 * record and decides what each field is. Errors are not fatal to the
 * tokenizer: the first one of a record is kept in tok->err (a static
 * string) and the fields go on, so a streaming caller still finds the
 * record's end.
 *
 * Threads: a struct hl_csvtok is one caller's; no global state.
 */
#ifndef HOTLIST_CSVTOK_H
#define HOTLIST_CSVTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The delimiters, in the order that breaks ties. */
#define HL_CSVTOK_NDELIMS 4
#define HL_CSVTOK_DELIMS ";,\t|"

/* Byte classes, built per delimiter. HL_CT_ORD and HL_CT_WS must stay 0 and
 * 1: "cls <= HL_CT_WS" is the test for text inside an unquoted field. */
enum hl_csvtok_cls { HL_CT_ORD, HL_CT_WS, HL_CT_DELIM, HL_CT_NL, HL_CT_QUOTE, HL_CT_NUL };

/* Where a field's text goes: s has room for cap bytes and a NUL. */
struct hl_csvtok_buf {
	char *s;
	uint32_t cap;
	uint32_t len;
	bool overflow; /* the field had more than cap bytes (the rest dropped) */
};

struct hl_csvtok {
	uint8_t cls[256];
	unsigned char delim;
	/* The record being tokenized (reset by hotlist__csvtok_begin). */
	const char *err; /* first problem found, or NULL */
	bool nonempty; /* some field had text or quotes */
	bool open; /* the input ended inside a quoted field */
	uint64_t nl; /* LFs inside quotes */
};

/* 3 if s starts with a UTF-8 BOM, else 0. */
size_t hotlist__csvtok_bom(const void *s, size_t n);

/*
 * The delimiters that occur most often in the header line s[0..n) outside
 * quotes (one, or several tied), in HL_CSVTOK_DELIMS order, into out.
 * Returns how many (1..HL_CSVTOK_NDELIMS), or 0 when none occurs (a
 * one-column header: the mapping picks its default).
 */
unsigned hotlist__csvtok_delims(const void *s, size_t n, unsigned char out[HL_CSVTOK_NDELIMS]);

/* Set the delimiter (and the byte classes that follow from it). */
void hotlist__csvtok_init(struct hl_csvtok *t, unsigned char delim);

/*
 * Fold a header name (NUL-terminated) for comparison into key (cap bytes,
 * NUL included): ASCII lower case, without ' ', '_', '-' and tab. Returns
 * false (key unusable) if the folded name does not fit.
 */
bool hotlist__csvtok_fold(const char *name, char *key, size_t cap);

/* Start a record. */
static inline void hotlist__csvtok_begin(struct hl_csvtok *t)
{
	t->err = NULL;
	t->nonempty = false;
	t->open = false;
	t->nl = 0;
}

static inline void hotlist__csvtok_error(struct hl_csvtok *t, const char *why)
{
	if (!t->err)
		t->err = why;
}

/* Append n bytes to a field buffer (NULL: a field nobody reads). */
static inline void hotlist__csvtok_append(struct hl_csvtok_buf *f, const unsigned char *s, size_t n)
{
	if (!f || n == 0)
		return;
	if (__builtin_expect(n > f->cap - f->len, 0)) {
		f->overflow = true; /* the mapping decides whether that is an error */
		n = f->cap - f->len; /* or keeps the first cap bytes */
	}
	memcpy(f->s + f->len, s, n);
	f->len += (uint32_t)n;
}

/*
 * The first byte in [q, lim) that is a, b, c or NUL, or lim. With SSE2 (every
 * x86-64) 16 bytes are compared at once, most fields of a hot list in one
 * step; on other little-endian machines, and for the rest, 8 bytes (SWAR,
 * "determine if a word has a zero byte", Hacker's Delight 6-1): fields are
 * copied, not scanned byte by byte, which is most of a hot-list load. The
 * first flagged byte is exact (false flags only appear above a true one).
 * Never reads at or past lim.
 */
static inline const unsigned char *hotlist__csvtok_find(const unsigned char *q,
							const unsigned char *lim, unsigned char a,
							unsigned char b, unsigned char c)
{
#ifdef __SSE2__
	const __m128i xa = _mm_set1_epi8((char)a), xb = _mm_set1_epi8((char)b);
	const __m128i xc = _mm_set1_epi8((char)c), zero = _mm_setzero_si128();

	while (lim - q >= 16) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
		const __m128i hit =
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, xa), _mm_cmpeq_epi8(v, xb)),
				     _mm_or_si128(_mm_cmpeq_epi8(v, xc), _mm_cmpeq_epi8(v, zero)));
		const unsigned m = (unsigned)_mm_movemask_epi8(hit);

		if (m)
			return q + __builtin_ctz(m);
		q += 16;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const uint64_t va = a * ones, vb = b * ones, vc = c * ones;

	while (lim - q >= 8) {
		uint64_t v, m;

		memcpy(&v, q, 8);
		m = ((v - ones) & ~v) | (((v ^ va) - ones) & ~(v ^ va)) |
		    (((v ^ vb) - ones) & ~(v ^ vb)) | (((v ^ vc) - ones) & ~(v ^ vc));
		m &= highs;
		if (m)
			return q + (__builtin_ctzll(m) >> 3);
		q += 8;
	}
#endif
	while (q < lim && *q != a && *q != b && *q != c && *q != 0)
		q++;
	return q;
}

/* An unquoted field from q: text up to a delimiter, LF or lim, trimmed.
 * Stray quotes and NULs make the record bad but do not end the field. */
static inline const unsigned char *hotlist__csvtok_unquoted(struct hl_csvtok *t,
							    const unsigned char *q,
							    const unsigned char *lim,
							    struct hl_csvtok_buf *f)
{
	const unsigned char *cls = t->cls, *fs = q, *fe;

	for (;;) {
		q = hotlist__csvtok_find(q, lim, t->delim, '\n', '"');
		if (q == lim || cls[*q] == HL_CT_DELIM || cls[*q] == HL_CT_NL)
			break;
		hotlist__csvtok_error(t, cls[*q] == HL_CT_NUL ? "NUL byte" :
								"quote inside an unquoted field");
		q++;
	}
	fe = q;
	while (fe > fs && cls[fe[-1]] == HL_CT_WS)
		fe--;
	if (fe > fs)
		t->nonempty = true;
	hotlist__csvtok_append(f, fs, (size_t)(fe - fs));
	return q;
}

/* A quoted field; q is at the opening quote. Ends at the delimiter, LF or
 * lim after the closing quote (or at lim inside the quotes: t->open). */
static inline const unsigned char *hotlist__csvtok_quoted(struct hl_csvtok *t,
							  const unsigned char *q,
							  const unsigned char *lim,
							  struct hl_csvtok_buf *f)
{
	const uint8_t *cls = t->cls;

	q++;
	t->nonempty = true;
	t->open = true;
	while (q < lim) {
		const unsigned char *cs = q;

		q = hotlist__csvtok_find(q, lim, '"', '\n', '"');
		hotlist__csvtok_append(f, cs, (size_t)(q - cs));
		if (q == lim)
			break;
		if (*q == '"' && q + 1 < lim && q[1] == '"') {
			hotlist__csvtok_append(f, q, 1);
			q += 2;
			continue;
		}
		if (*q == '"') {
			q++;
			t->open = false;
			break;
		}
		if (*q == '\n')
			t->nl++;
		else
			hotlist__csvtok_error(t, "NUL byte");
		hotlist__csvtok_append(f, q, 1);
		q++;
	}
	/* After the closing quote: spaces, then the delimiter or LF. */
	while (!t->open && q < lim && cls[*q] != HL_CT_DELIM && cls[*q] != HL_CT_NL) {
		if (cls[*q] != HL_CT_WS)
			hotlist__csvtok_error(t, cls[*q] == HL_CT_NUL ?
							 "NUL byte" :
							 "text after a closing quote");
		q++;
	}
	return q;
}

/*
 * One field from q (q <= lim) into f (NULL: skip it; else f->len and
 * f->overflow are reset and f->s NUL-terminated). Returns where it stopped:
 * at the delimiter after it (the next field starts one byte on), at the LF
 * that ends the record, or at lim (the record's bytes so far end inside or
 * right after this field; t->open says whether inside its quotes).
 */
static inline const unsigned char *hotlist__csvtok_field(struct hl_csvtok *t,
							 const unsigned char *q,
							 const unsigned char *lim,
							 struct hl_csvtok_buf *f)
{
	if (f) {
		f->len = 0;
		f->overflow = false;
	}
	while (q < lim && t->cls[*q] == HL_CT_WS)
		q++;
	if (q < lim && *q == '"')
		q = hotlist__csvtok_quoted(t, q, lim, f);
	else
		q = hotlist__csvtok_unquoted(t, q, lim, f);
	if (f)
		f->s[f->len] = '\0';
	return q;
}

#endif /* HOTLIST_CSVTOK_H */
