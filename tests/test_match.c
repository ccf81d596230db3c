/* SPDX-License-Identifier: MIT */
/*
 * Match suite (lib/match.c): hotlist_match_batch() answers exactly as
 * hotlist_match() read by read — the same hits, as counted by the callbacks
 * and by the return values — for every chunk boundary, with bad reads mixed
 * in, with countries set on reads and entries, and on lists with fuzzy,
 * cross-border and repair options and wildcard entries (the batch path
 * filters those lists in bulk, the single path does not); and hit for hit,
 * field for field, on plates of every length and form (the single call
 * normalises and packs its key its own way).
 */
#include "testutil.h"

#include "normalise.h" /* hotlist__parse_country */
#include "plates.h" /* hotlist__plate_format: the verdict a hit reports */
#include "table.h" /* HL_TABLE_SIFT_MIN */

#include <check.h>
#include <stdio.h>
#include <string.h>

static void count_only(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(*(int *)user)++;
}

/* The batch API answers exactly as the single-read API, for every chunk
 * boundary and with bad reads mixed in. */
START_TEST(batch_equals_single)
{
	struct hotlist *hl = hl_test_engine();
	enum { N = 300, R = 1000 };
	static char plates[N][12], rplates[R][12];
	static struct hotlist_entry e[N];
	static struct hotlist_read r[R];
	for (int i = 0; i < N; i++) {
		snprintf(plates[i], sizeof(plates[i]), "HB%03d", i * 3);
		e[i] = (struct hotlist_entry){ .plate = plates[i], .country = i % 2 ? "NL" : NULL };
	}
	ck_assert_int_eq(hotlist_replace(hl, "a", e, N / 2, NULL), 0);
	ck_assert_int_eq(hotlist_replace(hl, "b", e + N / 3, N / 2, NULL), 0);
	struct hotlist_entry p = { .plate = "HB003", .category = "put" };
	ck_assert_int_eq(hotlist_put(hl, "c", &p), 0);
	int single = 0;
	for (int i = 0; i < R; i++) {
		snprintf(rplates[i], sizeof(rplates[i]), i % 97 == 5 ? "?" : "HB%03d", i);
		r[i] = (struct hotlist_read){ .plate = rplates[i], .country = i % 5 ? "NL" : "BE" };
		int n = 0;
		int rc = hotlist_match(hl, &r[i], count_only, &n);
		if (rc >= 0)
			single += n;
	}
	ck_assert_int_gt(single, 100);
	for (size_t chunk = 1; chunk <= R; chunk = chunk * 3 + 1) {
		int batch = 0, ret = 0;
		for (size_t i = 0; i < R; i += chunk)
			ret += hotlist_match_batch(hl, r + i, R - i < chunk ? R - i : chunk,
						   count_only, &batch);
		ck_assert_int_eq(batch, single);
		ck_assert_int_eq(ret, single);
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

static void count_by_read(const struct hotlist_hit *h, void *user)
{
	((int *)user)[(const char *)h->read->opaque - (const char *)NULL]++;
}

/* The batch parses a country string once for the reads that share it (the
 * same pointer): each read still gets its own country, a bad one is refused
 * without touching the others, and the hits per read are the single call's. */
START_TEST(batch_country_strings)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e[] = { { .plate = "CS1", .country = "NL" },
				     { .plate = "CS2", .country = "BE" },
				     { .plate = "CS3" } };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 3, NULL), 0);
	char nl[] = "NL", be[] = "be", nl2[] = " nl ", bad[] = "XQ";
	const char *country[] = { nl, nl, be, nl, bad, nl, NULL, nl2, be, be, bad, NULL, nl };
	enum { R = sizeof(country) / sizeof(country[0]) };
	static const char *const plate[] = { "CS1", "CS2", "CS3" };
	struct hotlist_read r[2 * R];
	int single[2 * R] = { 0 }, batch[2 * R] = { 0 }, bad_single = 0;
	for (int i = 0; i < 2 * R; i++) {
		r[i] = (struct hotlist_read){ .plate = plate[i % 3],
					      .country = country[i % R],
					      .opaque = (char *)NULL + i };
		bad_single += hotlist_match(hl, &r[i], count_by_read, single) < 0;
	}
	ck_assert_int_eq(bad_single, 4);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	uint64_t bad_before = st.bad_reads;
	ck_assert_int_ge(hotlist_match_batch(hl, r, 2 * R, count_by_read, batch), 0);
	hotlist_stats(hl, &st);
	ck_assert_uint_eq(st.bad_reads - bad_before, 4);
	for (int i = 0; i < 2 * R; i++)
		ck_assert_msg(batch[i] == single[i], "read %d (%s, %s): batch %d, single %d", i,
			      r[i].plate, r[i].country ? r[i].country : "-", batch[i], single[i]);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Hits of reads[0..n) matched one by one, and the same as batches of
 * every chunk size from 1 up, compared. */
static void assert_parity(struct hotlist *hl, const struct hotlist_read *r, size_t n)
{
	int single = 0;
	for (size_t i = 0; i < n; i++) {
		int k = 0;
		if (hotlist_match(hl, &r[i], count_only, &k) >= 0)
			single += k;
	}
	ck_assert_int_gt(single, 0);
	for (size_t chunk = 1; chunk <= n; chunk = chunk * 3 + 1) {
		int batch = 0, ret = 0;
		for (size_t i = 0; i < n; i += chunk)
			ret += hotlist_match_batch(hl, r + i, n - i < chunk ? n - i : chunk,
						   count_only, &batch);
		ck_assert_int_eq(batch, single);
		ck_assert_int_eq(ret, single);
	}
}

/* The same parity on lists that are not exact-only: OCR substitutions with
 * cross-border matching, indels with repair, wildcard entries; reads of
 * several countries (and none), OCR confusions and separators. */
START_TEST(batch_equals_single_with_list_options)
{
	struct hotlist *hl = hl_test_engine();
	static const char *const countries[] = { "NL", "DE", "BE", NULL };
	enum { N = 120, R = 600 };
	static char plates[N][12], rplates[R][16];
	static struct hotlist_entry e[N];
	static struct hotlist_read r[R];
	for (int i = 0; i < N; i++) {
		snprintf(plates[i], sizeof(plates[i]), "GZ%03d%c", i * 7, 'B' + i % 5);
		e[i] = (struct hotlist_entry){ .plate = plates[i], .country = countries[i % 4] };
	}
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 1;
	o.cross_border = true;
	ck_assert_int_eq(hotlist_set_list_options(hl, "ocr", &o), 0);
	ck_assert_int_eq(hotlist_replace(hl, "ocr", e, N / 2, NULL), 0);
	hotlist_list_options_init(&o);
	o.indels = 1;
	ck_assert_int_eq(hotlist_set_list_options(hl, "indel", &o), 0);
	ck_assert_int_eq(hotlist_replace(hl, "indel", e + N / 2, N / 2, NULL), 0);
	struct hotlist_entry w = { .plate = "GZ1*", .country = "NL" };
	ck_assert_int_eq(hotlist_put(hl, "indel", &w), 0);
	for (int i = 0; i < R; i++) {
		int k = i % N;
		switch (i % 4) {
		case 0: /* as listed */
			snprintf(rplates[i], sizeof(rplates[i]), "%s", plates[k]);
			break;
		case 1: /* an OCR confusion: 0 read as O */
			snprintf(rplates[i], sizeof(rplates[i]), "GZ%03d%c", k * 7, 'B' + k % 5);
			for (char *c = rplates[i]; *c; c++)
				*c = *c == '0' ? 'O' : *c;
			break;
		case 2: /* one character dropped */
			snprintf(rplates[i], sizeof(rplates[i]), "G%03d%c", k * 7, 'B' + k % 5);
			break;
		default: /* separators, or a bad plate now and then */
			snprintf(rplates[i], sizeof(rplates[i]), "GZ-%03d-%c", k * 7, 'B' + k % 5);
			if (i % 13 == 0)
				snprintf(rplates[i], sizeof(rplates[i]), "!");
		}
		r[i] = (struct hotlist_read){ .plate = rplates[i], .country = countries[i % 3] };
	}
	assert_parity(hl, r, R);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The hit records of a run of calls, one line per callback, in call order. */
struct hitlog {
	char *buf;
	size_t len, cap;
};

static void log_hit(const struct hotlist_hit *h, void *user)
{
	struct hitlog *lg = user;
	char line[512];
	int n = snprintf(line, sizeof(line), "%td %s %s %s %s %s %s %d %u %u %u %d %u %d %s\n",
			 (const char *)h->read->opaque - (const char *)NULL, h->list, h->plate,
			 h->entry_plate, h->read_plate, h->category ? h->category : "-", h->country,
			 (int)h->match, h->substitutions, h->indels, h->candidate, (int)h->repaired,
			 h->score, (int)h->weak, h->hit_id);
	ck_assert(n > 0 && (size_t)n < sizeof(line));
	if (lg->len + (size_t)n + 1 > lg->cap) {
		lg->cap = 2 * (lg->len + (size_t)n + 1);
		lg->buf = realloc(lg->buf, lg->cap);
		ck_assert_ptr_nonnull(lg->buf);
	}
	memcpy(lg->buf + lg->len, line, (size_t)n + 1);
	lg->len += (size_t)n;
}

/* reads[0..n) in calls of `size` reads (0: one hotlist_match a read), with
 * edit() run before the call that starts at read `edit_at`; the log. */
static struct hitlog run_calls(struct hotlist *hl, const struct hotlist_read *r, size_t n,
			       size_t size, size_t edit_at, void (*edit)(struct hotlist *))
{
	struct hitlog lg = { calloc(1, 1), 0, 1 };
	int ret = 0;
	for (size_t i = 0; i < n; i += size ? size : 1) {
		const size_t m = size ? (n - i < size ? n - i : size) : 1;
		if (edit && i <= edit_at && edit_at < i + m)
			edit(hl);
		int rc = size ? hotlist_match_batch(hl, r + i, m, log_hit, &lg) :
				hotlist_match(hl, &r[i], log_hit, &lg);
		ret += rc > 0 ? rc : 0;
	}
	size_t lines = 0;
	for (size_t k = 0; k < lg.len; k++)
		lines += lg.buf[k] == '\n';
	ck_assert_uint_eq((size_t)ret, lines);
	return lg;
}

/* The two logs are equal; else fail with the first line where they part. */
static void assert_same_log(const struct hitlog *got, const struct hitlog *want, size_t size,
			    size_t edit_at)
{
	size_t k = 0, line = 0, from = 0;
	for (; got->buf[k] && got->buf[k] == want->buf[k]; k++)
		if (got->buf[k] == '\n') {
			line++;
			from = k + 1;
		}
	if (got->buf[k] == want->buf[k])
		return;
	ck_abort_msg("calls of %zu (edit at %zu): hit %zu: batch \"%.80s\", single \"%.80s\"", size,
		     edit_at, line, got->buf + from, want->buf + from);
}

static void edit_lists(struct hotlist *hl)
{
	struct hotlist_entry p = { .plate = "CB-500", .category = "put" };
	ck_assert_int_eq(hotlist_put(hl, "l1", &p), 0);
	ck_assert_int_gt(hotlist_remove(hl, "l0", "CB096", NULL), 0);
}

enum { BOUNDARY_LISTS = 10, BOUNDARY_N = 400 };

/* List li (l0 .. l9) of e[0..BOUNDARY_N): every (li + 1)-th entry. */
static void boundary_lists(struct hotlist *hl, const struct hotlist_entry *e)
{
	static struct hotlist_entry le[BOUNDARY_N];
	for (int li = 0; li < BOUNDARY_LISTS; li++) {
		char name[4];
		size_t k = 0;
		for (int i = 0; i < BOUNDARY_N; i += li + 1)
			le[k++] = e[i];
		snprintf(name, sizeof(name), "l%d", li);
		ck_assert_int_eq(hotlist_replace(hl, name, le, k, NULL), 0);
	}
}

/*
 * The batch's pipeline (match.c: reads normalised, packed and placed a
 * group at a time, per list, looked up a chunk at a time) across its
 * boundaries: hits on both sides of every group and chunk boundary, bad
 * reads shifting them, ten lists (some looked up placed, some in bulk),
 * calls of 1, 31, 32, 33, 64, 65 reads and all of them, and an edit
 * between two calls. The hit records, in order, are the single call's.
 */
START_TEST(batch_hits_at_chunk_boundaries)
{
	struct hotlist *hl = hl_test_engine();
	enum { R = 4 * 32 + 37 };
	static char plates[BOUNDARY_N][12], rplates[R][12];
	enum { N = BOUNDARY_N };
	static struct hotlist_entry e[N];
	static struct hotlist_read r[R];
	for (int i = 0; i < N; i++) {
		snprintf(plates[i], sizeof(plates[i]), "CB%03d", i);
		e[i] = (struct hotlist_entry){ .plate = plates[i], .category = "c" };
	}
	boundary_lists(hl, e);
	for (int i = 0; i < R; i++) {
		/* a hit at each boundary of 8 and its neighbours, else misses
		 * (plates from N up); two bad reads shift the later groups */
		int hit = i % 8 == 0 || i % 8 == 7 || i % 32 == 1 || i == R - 1;
		snprintf(rplates[i], sizeof(rplates[i]), i == 40 || i == 77 ? "!" : "cb-%03d",
			 hit ? (i * 7) % N : N + i);
		r[i] = (struct hotlist_read){ .plate = rplates[i],
					      .camera = "c1",
					      .ts_us = 1700000000000000,
					      .opaque = (char *)NULL + i };
	}
	r[96].plate = "CB000"; /* listed in every list */
	static const size_t sizes[] = { 1, 31, 32, 33, 64, 65, R };
	struct hitlog single = run_calls(hl, r, R, 0, 0, NULL);
	ck_assert_uint_gt(single.len, 0);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct hitlog batch = run_calls(hl, r, R, sizes[k], 0, NULL);
		assert_same_log(&batch, &single, sizes[k], R);
		free(batch.buf);
	}
	free(single.buf);
	/* an edit between two calls (a put that the next reads hit, a remove
	 * of a plate they read): each call sees the lists as they are then */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct hotlist *h2 = hl_test_engine();
		boundary_lists(h2, e);
		struct hotlist *h1 = hl_test_engine();
		boundary_lists(h1, e);
		const size_t at = sizes[k] == R ? 0 : sizes[k];
		single = run_calls(h1, r, R, 0, at, edit_lists);
		struct hitlog batch = run_calls(h2, r, R, sizes[k], at, edit_lists);
		ck_assert_msg(strstr(single.buf, " put ") != NULL, "the put was hit");
		assert_same_log(&batch, &single, sizes[k], at);
		free(batch.buf);
		free(single.buf);
		hotlist_destroy(h1, NULL);
		hotlist_destroy(h2, NULL);
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The single call remembers the last country it parsed on this thread: by
 * the text, not the pointer, so a caller that writes another country into
 * the same buffer between calls gets that country's answer. */
START_TEST(single_country_buffer_reused)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e[] = { { .plate = "CB1", .country = "NL" },
				     { .plate = "CB2", .country = "BE" } };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 2, NULL), 0);
	static const char *const seq[] = { "NL", "BE", "BE", "nl", "XQ", "NL", "de", "BE" };
	const int want_cb1[] = { 1, 0, 0, 1, -1, 1, 0, 0 },
		  want_cb2[] = { 0, 1, 1, 0, -1, 0, 0, 1 };
	char buf[3];
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
			memcpy(buf, seq[i], sizeof(buf));
			struct hotlist_read r = { .plate = round ? "CB2" : "CB1", .country = buf };
			int n = 0, rc = hotlist_match(hl, &r, count_only, &n);
			int want = round ? want_cb2[i] : want_cb1[i];
			ck_assert_msg(want < 0 ? rc == HOTLIST_ECOUNTRY : rc >= 0 && n == want,
				      "%s, country %s: rc %d, %d hits", r.plate, seq[i], rc, n);
		}
	hotlist_destroy(hl, NULL);
}
END_TEST

/*
 * The single call's own normalise-and-pack (hotlist__normalise_key, the
 * key packed from a register for plates of up to 8 characters) against the
 * batch's (normalise, then hotlist__key_pack): the same hits, hit for hit
 * and field for field, and the same counters, for plates of 1 to 16
 * characters as listed, in lower case with separators, with UTF-8 letters
 * and fullwidth digits, too long and bad; on an exact list, a fuzzy list
 * (OCR, cross-border) and a list with edits pending (puts, a removal, a
 * wildcard put); reads with and without countries.
 */
START_TEST(single_hits_equal_batch_hits)
{
	struct hotlist *hl = hl_test_engine();
	enum { N = 64, V = 6, R = N * V };
	static const char *const countries[] = { "NL", "DE", NULL, "be" };
	static char plates[N][20], raw[R][64];
	static struct hotlist_entry e[N];
	static struct hotlist_read r[R];
	const char *alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	for (int i = 0; i < N; i++) {
		int len = 1 + i % 16; /* every length, 9..16 included */
		for (int j = 0; j < len; j++)
			plates[i][j] = alnum[(i * 7 + j * 13 + j * j) % 36];
		plates[i][len] = '\0';
		e[i] = (struct hotlist_entry){ .plate = plates[i], .country = countries[i % 3] };
	}
	ck_assert_int_eq(hotlist_replace(hl, "exact", e, N / 2, NULL), 0);
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.ocr_substitutions = 1;
	o.cross_border = true;
	ck_assert_int_eq(hotlist_set_list_options(hl, "fuzzy", &o), 0);
	ck_assert_int_eq(hotlist_replace(hl, "fuzzy", e + N / 4, N / 2, NULL), 0);
	ck_assert_int_eq(hotlist_replace(hl, "edits", e + N / 2, N / 4, NULL), 0);
	for (int i = 3 * N / 4; i < N; i += 2)
		ck_assert_int_eq(hotlist_put(hl, "edits", &e[i]), 0);
	ck_assert_int_eq(hotlist_remove(hl, "edits", plates[N / 2 + 1], e[N / 2 + 1].country), 1);
	struct hotlist_entry w = { .plate = "A1*" };
	ck_assert_int_eq(hotlist_put(hl, "edits", &w), 0);
	for (int i = 0; i < N; i++) {
		const char *p = plates[i];
		size_t len = strlen(p), o2 = 0;
		char *v[V];
		for (int k = 0; k < V; k++)
			v[k] = raw[i * V + k];
		strcpy(v[0], p); /* as listed */
		for (size_t j = 0; j < len; j++) { /* lower case, separators */
			if (j == 2 || j == 5)
				v[1][o2++] = j == 2 ? '-' : ' ';
			v[1][o2++] = (char)(p[j] >= 'A' ? p[j] - 'A' + 'a' : p[j]);
		}
		v[1][o2] = '\0';
		o2 = 0; /* UTF-8: A as A-umlaut, digits fullwidth, a bullet */
		for (size_t j = 0; j < len; j++) {
			if (p[j] == 'A')
				o2 += (size_t)sprintf(v[2] + o2, "\xc3\x84");
			else if (p[j] >= '0' && p[j] <= '9')
				o2 += (size_t)sprintf(v[2] + o2, "\xef\xbc%c",
						      (char)(0x90 + p[j] - '0'));
			else
				v[2][o2++] = p[j];
			if (j == 3)
				o2 += (size_t)sprintf(v[2] + o2, "\xe2\x80\xa2");
		}
		v[2][o2] = '\0';
		snprintf(v[3], 64, "%s%c", p, alnum[i % 36]); /* one more character */
		snprintf(v[4], 64, "%.*s", (int)(len > 1 ? len - 1 : 1), p); /* one fewer */
		if (i % 5 == 0)
			snprintf(v[5], 64, "%s%s", p, "XYZ0123456789"); /* too long, often */
		else if (i % 5 == 1)
			snprintf(v[5], 64, "%s\x01", p); /* a control character: bad */
		else
			snprintf(v[5], 64, "%c%s", p[0] == '0' ? 'O' : '0', p + 1); /* OCR */
	}
	for (int i = 0; i < R; i++)
		r[i] = (struct hotlist_read){ .plate = raw[i],
					      .country = countries[i % 4],
					      .ts_us = 1700000000000000,
					      .opaque = (char *)NULL + i };
	struct hotlist_stats s0 = { .struct_size = sizeof(s0) }, s1 = s0, s2 = s0;
	hotlist_stats(hl, &s0);
	struct hitlog single = { calloc(1, 1), 0, 1 }, batch = { calloc(1, 1), 0, 1 };
	int ret_single = 0, bad_single = 0;
	for (int i = 0; i < R; i++) {
		int rc = hotlist_match(hl, &r[i], log_hit, &single);
		if (rc < 0)
			bad_single++;
		else
			ret_single += rc;
	}
	hotlist_stats(hl, &s1);
	ck_assert_int_gt(ret_single, N);
	ck_assert_int_gt(bad_single, 0);
	int ret_batch = 0;
	for (size_t i = 0; i < R; i += 7)
		ret_batch += hotlist_match_batch(hl, r + i, R - i < 7 ? R - i : 7, log_hit, &batch);
	hotlist_stats(hl, &s2);
	ck_assert_int_eq(ret_batch, ret_single);
	assert_same_log(&batch, &single, 7, SIZE_MAX);
	free(single.buf);
	free(batch.buf);
	ck_assert_uint_eq(s1.reads - s0.reads, s2.reads - s1.reads);
	ck_assert_uint_eq(s1.bad_reads - s0.bad_reads, s2.bad_reads - s1.bad_reads);
	ck_assert_uint_eq(s1.bad_reads - s0.bad_reads, (uint64_t)bad_single);
	ck_assert_uint_eq(s1.hits - s0.hits, s2.hits - s1.hits);
	ck_assert_uint_eq(s1.hits_exact - s0.hits_exact, s2.hits_exact - s1.hits_exact);
	hotlist_destroy(hl, NULL);
}
END_TEST

/*
 * The batch's lookups (match.c: keys placed a group behind the normaliser,
 * sifted through each table's filter a group later, looked up placed in the
 * first lists and in bulk in the rest) against a model of which lists hold
 * which plate, on lists large enough that place and sift use the filter
 * (table.c, HL_TABLE_SIFT_MIN) and small ones that do not, on both sides of
 * HL_PLACE_LISTS (8): lists 0 and 2 large, placed; 8 large, in bulk; the
 * rest small. Calls of every size around the groups of 8 and chunks of 32,
 * bad reads shifting them; the single call too. Most reads miss, so most
 * keys are ruled out by the filters.
 */
enum {
	SIFT_LISTS = 10,
	SIFT_BIG = (int)(HL_TABLE_SIFT_MIN * 3),
	SIFT_SMALL = 1024,
	SIFT_SPAN = 2 * SIFT_BIG,
	SIFT_R = 1500
};

/* Whether list li holds plate number p (all lists: numbers below SIFT_SPAN). */
static bool sift_member(int li, int p)
{
	switch (li) {
	case 0:
		return p % 2 == 0;
	case 2:
		return p % 2 == 1;
	case 8:
		return p / 2 % 2 == 0;
	default:
		return p % (li + 1) == 0 && p < (li + 1) * SIFT_SMALL;
	}
}

START_TEST(batch_big_lists_model)
{
	struct hotlist *hl = hl_test_engine();
	static char plates[SIFT_SPAN + SIFT_SPAN / 2][10];
	static struct hotlist_entry le[SIFT_BIG];
	static struct hotlist_read r[SIFT_R];
	static int want[SIFT_R], got[SIFT_R];
	for (int p = 0; p < SIFT_SPAN + SIFT_SPAN / 2; p++)
		snprintf(plates[p], sizeof(plates[p]), "QF%06d", p);
	for (int li = 0; li < SIFT_LISTS; li++) {
		char name[8];
		size_t k = 0;
		for (int p = 0; p < SIFT_SPAN; p++)
			if (sift_member(li, p))
				le[k++] = (struct hotlist_entry){ .plate = plates[p] };
		ck_assert_uint_eq(k, li == 0 || li == 2 || li == 8 ? SIFT_BIG : SIFT_SMALL);
		snprintf(name, sizeof(name), "s%d", li);
		ck_assert_int_eq(hotlist_replace(hl, name, le, k, NULL), 0);
	}
	ck_assert_uint_ge(hotlist__table_buckets_for(SIFT_BIG), HL_TABLE_SIFT_MIN);
	ck_assert_uint_lt(hotlist__table_buckets_for(SIFT_SMALL), HL_TABLE_SIFT_MIN);
	uint64_t x = 0x9e3779b97f4a7c15u;
	int total = 0;
	for (int i = 0; i < SIFT_R; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* a third past every list; a run of small numbers (in the small
		 * lists too) every 64 reads; a bad read every 37 */
		int p = i % 64 < 6 ? (int)(x % 2048) : (int)(x % (SIFT_SPAN + SIFT_SPAN / 2));
		want[i] = 0;
		for (int li = 0; li < SIFT_LISTS && p < SIFT_SPAN; li++)
			want[i] += sift_member(li, p);
		if (i % 37 == 20)
			want[i] = 0;
		total += want[i];
		r[i] = (struct hotlist_read){ .plate = i % 37 == 20 ? "!" : plates[p],
					      .opaque = (char *)NULL + i };
	}
	ck_assert_int_gt(total, SIFT_R / 2);
	static const size_t sizes[] = { 0,  1,	2,  7,	8,  9,	15, 16, 17,
					23, 24, 25, 31, 32, 33, 64, 65, SIFT_R };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		const size_t size = sizes[k]; /* 0: hotlist_match, a read at a time */
		memset(got, 0, sizeof(got));
		for (size_t i = 0; i < SIFT_R; i += size ? size : 1) {
			const size_t m = size ? (SIFT_R - i < size ? SIFT_R - i : size) : 1;
			if (size)
				hotlist_match_batch(hl, r + i, m, count_by_read, got);
			else
				hotlist_match(hl, &r[i], count_by_read, got);
		}
		int i = 0;
		while (i < SIFT_R && got[i] == want[i])
			i++;
		ck_assert_msg(i == SIFT_R, "calls of %zu: read %d (%s): %d hits, want %d", size, i,
			      i < SIFT_R ? r[i].plate : "", i < SIFT_R ? got[i] : 0,
			      i < SIFT_R ? want[i] : 0);
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Hits whose format is not the read's own verdict (plates.c on the read's
 * normalised plate and country), counted. */
static void check_format(const struct hotlist_hit *h, void *user)
{
	int *bad = user;
	hl_country c = 0;
	ck_assert_int_eq(hotlist__parse_country(h->read_country, &c), 0);
	bad[1]++;
	bad[0] += h->format !=
		  (int)hotlist__plate_format(c, h->read_plate, strlen(h->read_plate), NULL, NULL);
}

/*
 * hit->format is the read's own layout verdict (1 fits, 0 does not, -1 no
 * rules for its country), worked out once a read and only for reads that
 * hit (match.c: read_verdict in deliver, the repair walk only where a list
 * repairs): exact hits on a list without repair, of reads whose verdicts
 * differ from their neighbours' in a chunk (fits, does not, no country, a
 * country without rules), one at a time and in batches.
 */
START_TEST(hit_format_is_the_reads)
{
	struct hotlist *hl = hl_test_engine();
	static const char *const plates[] = { "HJ1234", "1234HJ",   "ABCDEFG1", "HJ12KL",
					      "X1",	"12345678", "B123XYZ",	"AA999" };
	static const char *const countries[] = { "NL", "DE", NULL, "BE", "FR", "PL", "LU" };
	enum {
		P = sizeof(plates) / sizeof(plates[0]),
		C = sizeof(countries) / sizeof(countries[0]),
		R = 3 * P * C
	};
	struct hotlist_entry e[P];
	for (int i = 0; i < P; i++)
		e[i] = (struct hotlist_entry){ .plate = plates[i] };
	ck_assert_int_eq(hotlist_replace(hl, "fmt", e, P, NULL), 0);
	static struct hotlist_read r[R];
	for (int i = 0; i < R; i++)
		r[i] = (struct hotlist_read){ .plate = plates[(i * 5) % P],
					      .country = countries[(i * 3 + i / P) % C] };
	for (size_t size = 0; size <= 33; size += size < 2 ? 1 : 31) {
		int bad[2] = { 0, 0 };
		for (size_t i = 0; i < R; i += size ? size : 1)
			ck_assert_int_ge(size ? hotlist_match_batch(hl, r + i,
								    R - i < size ? R - i : size,
								    check_format, bad) :
						hotlist_match(hl, &r[i], check_format, bad),
					 0);
		ck_assert_int_eq(bad[1], R);
		ck_assert_msg(bad[0] == 0, "calls of %zu: %d of %d hits with another format", size,
			      bad[0], bad[1]);
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("match");
	TCase *t = tcase_create("batch_parity");
	tcase_add_test(t, batch_equals_single);
	tcase_add_test(t, batch_country_strings);
	tcase_add_test(t, batch_equals_single_with_list_options);
	tcase_add_test(t, single_hits_equal_batch_hits);
	tcase_add_test(t, single_country_buffer_reused);
	tcase_add_test(t, batch_hits_at_chunk_boundaries);
	tcase_add_test(t, batch_big_lists_model);
	tcase_add_test(t, hit_format_is_the_reads);
	suite_add_tcase(s, t);
	return hl_test_run(s);
}
