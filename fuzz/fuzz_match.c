/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the matcher agrees with the naive reference
 * (tests/ref_matcher.c) on any list and read.
 *
 * Input: byte 0 = k (low 2 bits, mod 3), d (next 2 bits, mod 3),
 * cross_border (bit 4), repair (bit 5), options set before the entries go
 * in (bit 6; clear: after them), entries given in one hotlist_replace when
 * k and d are 0 (bit 7; clear, or k or d set: one hotlist_put each); then
 * newline-separated lines: the
 * first is the read's plate, lines starting with '+' are OCR candidates, the
 * rest are entries ("plate" or "plate,CC"). Entries the engine refuses are
 * left out of the reference too. Every hit (list, entry, kind, costs,
 * candidate, repaired) must be the reference's; any difference aborts.
 */
#include "hotlist.h"

#include "../tests/ref_matcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_ENTRIES 48 /* below the engine's per-read gathering (64): one group */
#define FZ_LINE 80
#define FZ_CANDS 4

struct input {
	char read[FZ_LINE], cc[FZ_ENTRIES][3];
	char lines[FZ_ENTRIES][FZ_LINE], cands[FZ_CANDS][FZ_LINE], refs[FZ_ENTRIES][24];
	const char *cand_ptr[FZ_CANDS];
	struct hotlist_entry e[FZ_ENTRIES];
	size_t pos[FZ_ENTRIES]; /* entry i's index among those the engine took */
	size_t n, nc;
};

static void take_line(struct input *in, const char *s, size_t len, int first)
{
	char buf[FZ_LINE];
	if (len >= FZ_LINE)
		len = FZ_LINE - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (first) {
		memcpy(in->read, buf, len + 1);
	} else if (buf[0] == '+' && in->nc < FZ_CANDS) {
		memcpy(in->cands[in->nc], buf + 1, len);
		in->cand_ptr[in->nc] = in->cands[in->nc];
		in->nc++;
	} else if (buf[0] != '+' && in->n < FZ_ENTRIES) {
		char *comma = strchr(buf, ',');
		in->cc[in->n][0] = '\0';
		if (comma) {
			snprintf(in->cc[in->n], 3, "%s", comma + 1);
			*comma = '\0';
		}
		memcpy(in->lines[in->n], buf, strlen(buf) + 1);
		in->n++;
	}
}

static void parse(struct input *in, const uint8_t *data, size_t size)
{
	size_t start = 0;
	int first = 1;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		take_line(in, (const char *)data + start, i - start, first);
		first = 0;
		start = i + 1;
	}
}

static struct input in;

/* A hit's reference is its entry's index in the input; its index among the
 * entries taken is what the reference matcher reports. */
static void record(const struct hotlist_hit *h, void *user)
{
	struct ref_hit *got = user;
	size_t i = got[0].list++; /* got[0].list counts, hits from got[1] */
	size_t ei = (size_t)strtoul(h->reference, NULL, 10);
	if (i + 1 >= FZ_ENTRIES + 1 || ei >= in.n || in.pos[ei] == SIZE_MAX)
		abort();
	got[i + 1] = (struct ref_hit){ 0,	  in.pos[ei],	h->match,   h->substitutions,
				       h->indels, h->candidate, h->repaired };
}

static int cmp_hit(const void *a, const void *b)
{
	const struct ref_hit *x = a, *y = b;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* Entry i of the input, with its index as category and reference. */
static struct hotlist_entry entry(size_t i)
{
	snprintf(in.refs[i], sizeof(in.refs[i]), "%zu", i);
	return (struct hotlist_entry){ .plate = in.lines[i],
				       .country = in.cc[i],
				       .category = in.refs[i],
				       .reference = in.refs[i] };
}

/* One put per entry: the entries the engine takes. */
static size_t load_puts(struct hotlist *hl, struct hotlist_entry *kept)
{
	size_t n = 0;
	for (size_t i = 0; i < in.n; i++) {
		struct hotlist_entry e = entry(i);
		in.pos[i] = SIZE_MAX;
		if (hotlist_put(hl, "l", &e) == 0) {
			in.pos[i] = n;
			kept[n++] = e;
		}
	}
	return n;
}

/*
 * All entries in one replace (one build, not one per put): the entries it
 * took are those its report does not name. SIZE_MAX when it refused more
 * than the report names (the caller then puts them one by one).
 */
static size_t load_replace(struct hotlist *hl, struct hotlist_entry *kept)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	size_t n = 0;
	for (size_t i = 0; i < in.n; i++) {
		in.e[i] = entry(i);
		in.pos[i] = 0;
	}
	int rc = hotlist_replace(hl, "l", in.e, in.n, &rep);
	if (rc != 0 && rc != HOTLIST_EEMPTY)
		abort();
	if (rep.rejected > rep.n_errors)
		return SIZE_MAX;
	for (unsigned j = 0; j < rep.n_errors; j++) {
		if (rep.errors[j].line < 1 || rep.errors[j].line > in.n)
			abort();
		in.pos[rep.errors[j].line - 1] = SIZE_MAX;
	}
	for (size_t i = 0; i < in.n; i++)
		if (in.pos[i] == 0) {
			in.pos[i] = n;
			kept[n++] = in.e[i];
		}
	if (rc == HOTLIST_EEMPTY ? n != 0 || in.n == 0 : rep.loaded != n)
		abort();
	return n;
}

static void compare(const struct ref_hit *want, size_t nw, struct ref_hit *got)
{
	size_t ng = got[0].list;
	if (nw != ng)
		abort();
	qsort(got + 1, ng, sizeof(*got), cmp_hit);
	for (size_t i = 0; i < nw; i++) {
		const struct ref_hit *a = &want[i], *b = &got[i + 1];
		if (a->entry != b->entry || a->kind != b->kind || a->subs != b->subs ||
		    a->indels != b->indels || a->candidate != b->candidate ||
		    a->repaired != b->repaired)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * One engine for the whole process: creating and destroying one per input
 * (destroy waits for an RCU barrier) held the target at ~90 inputs/s. Each
 * input drops the list and builds it again through put, so no state but the
 * call_rcu queue carries from one input to the next.
 */
static struct hotlist *engine(void)
{
	static struct hotlist *hl;
	if (!hl) {
		struct hotlist_config cfg;
		hotlist_config_init(&cfg);
		cfg.workers = 0;
		cfg.suppress_window_us = 0;
		cfg.latency_histogram = false;
		cfg.max_bad_fraction = 1.0; /* a replace takes the good entries of any input */
		if (hotlist_create(&hl, &cfg))
			abort();
	}
	return hl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hotlist_entry kept[FZ_ENTRIES];
	static struct ref_hit want[FZ_ENTRIES], got[FZ_ENTRIES + 1];
	if (size < 2)
		return 0;
	memset(&in, 0, sizeof(in));
	parse(&in, data + 1, size - 1);
	struct hotlist *hl = engine();
	int rc = hotlist_drop_list(hl, "l");
	if (rc != 0 && rc != HOTLIST_ENOENT)
		abort();
	struct ref_list l = { .name = "l" };
	hotlist_list_options_init(&l.o);
	l.o.ocr_substitutions = (data[0] & 3u) % 3;
	l.o.indels = ((data[0] >> 2) & 3u) % 3;
	l.o.cross_border = (data[0] >> 4) & 1;
	l.o.repair = (data[0] >> 5) & 1;
	l.o.weak_hits = true; /* the oracle knows no policy: every hit, weak ones flagged */
	/*
	 * Options before the puts: each put rebuilds the edit layer's fuzzy
	 * index (the incremental path). After them: one build over all the
	 * entries at once, the path of a list whose options change, and ~2x
	 * more inputs per second (measured on the corpus: docs/RELIABILITY.md).
	 * Bit 7 gives the entries of an exact list in one replace instead of a
	 * put each: the path of a list load, the base index checked against
	 * the reference, at about the cost of the puts. Not for a fuzzy list: its
	 * base build estimates the innocent hit rate (hotlist__score_estimate),
	 * which made such inputs ~10x slower than puts (docs/RELIABILITY.md).
	 */
	bool options_first = (data[0] >> 6) & 1;
	if (options_first && hotlist_set_list_options(hl, "l", &l.o))
		abort();
	l.e = kept;
	bool by_replace = (data[0] >> 7) & 1 && !l.o.ocr_substitutions && !l.o.indels;
	l.n = by_replace ? load_replace(hl, kept) : SIZE_MAX;
	if (l.n == SIZE_MAX && by_replace) { /* more refused than the report names */
		rc = hotlist_drop_list(hl, "l");
		if (rc != 0 && rc != HOTLIST_ENOENT)
			abort();
		if (options_first && hotlist_set_list_options(hl, "l", &l.o))
			abort();
	}
	if (l.n == SIZE_MAX)
		l.n = load_puts(hl, kept);
	if (!options_first && hotlist_set_list_options(hl, "l", &l.o))
		abort();
	struct hotlist_read r = { .plate = in.read,
				  .country = in.cc[0][0] ? in.cc[0] : NULL,
				  .candidates = in.cand_ptr,
				  .n_candidates = (unsigned)in.nc };
	memset(got, 0, sizeof(got));
	if (hotlist_match(hl, &r, record, got) >= 0) {
		size_t nw = ref_match(&l, 1, &r, want, FZ_ENTRIES);
		qsort(want, nw, sizeof(*want), cmp_hit);
		compare(want, nw, got);
	}
	return 0;
}
