/* SPDX-License-Identifier: MIT */
/*
 * csvtok.c — the CSV tokenizer's out-of-line parts: BOM, delimiter
 * detection, byte classes, header-name folding. The per-field functions are
 * inline in csvtok.h: they are the hot path of a hot-list load. See csvtok.h
 * for the dialect. No state, no allocation; any thread.
 */
#include "csvtok.h"

size_t hotlist__csvtok_bom(const void *s, size_t n)
{
	return n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

unsigned hotlist__csvtok_delims(const void *s, size_t n, unsigned char out[HL_CSVTOK_NDELIMS])
{
	static const unsigned char delims[HL_CSVTOK_NDELIMS] = HL_CSVTOK_DELIMS;
	const unsigned char *p = s;
	size_t count[HL_CSVTOK_NDELIMS] = { 0 }, max = 0;
	bool inq = false;
	unsigned k = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			inq = !inq;
		for (int j = 0; !inq && j < HL_CSVTOK_NDELIMS; j++)
			count[j] += p[i] == delims[j];
	}
	for (int j = 0; j < HL_CSVTOK_NDELIMS; j++)
		max = count[j] > max ? count[j] : max;
	for (int j = 0; j < HL_CSVTOK_NDELIMS; j++)
		if (count[j] == max && max > 0)
			out[k++] = delims[j];
	return k;
}

void hotlist__csvtok_init(struct hl_csvtok *t, unsigned char delim)
{
	memset(t->cls, HL_CT_ORD, sizeof(t->cls));
	t->cls[' '] = HL_CT_WS;
	t->cls['\r'] = HL_CT_WS;
	t->cls['\t'] = HL_CT_WS;
	t->cls['\n'] = HL_CT_NL;
	t->cls['"'] = HL_CT_QUOTE;
	t->cls[0] = HL_CT_NUL;
	t->cls[delim] = HL_CT_DELIM;
	t->delim = delim;
	hotlist__csvtok_begin(t);
}

bool hotlist__csvtok_fold(const char *name, char *key, size_t cap)
{
	size_t n = 0;

	for (; *name; name++) {
		char c = *name;

		if (c == ' ' || c == '_' || c == '-' || c == '\t')
			continue;
		if (n + 1 >= cap)
			return false;
		key[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	if (cap)
		key[n] = '\0';
	return cap > 0;
}
