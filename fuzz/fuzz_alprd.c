/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the alprd upload parser of `hotlist gateway`
 * (tools/alprd.c): the input is one POST body. Checked:
 *  - no crash, no out-of-bounds access, no leak (the sanitizers);
 *  - a refused body has a negative code, a message, and no reads;
 *  - an accepted one: reads only for a results frame, at most
 *    HL_READ_RESULTS_MAX, each with a plate, NUL-terminated fields and a
 *    read id of 32 hex digits, ids distinct within the frame;
 *  - the reads are those `hotlist match` takes from the same bytes
 *    (hl_readparse_json_line), plates, cameras, times and candidates;
 *  - deterministic: the same body gives the same read ids again;
 *  - each read written as the cluster's JSON parses back (with `hotlist
 *    match`'s parser) to the same plate, camera, time and candidates.
 * LLVMFuzzerTestOneInput only; the replay driver or libFuzzer supplies main().
 */
#include "alprd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "fuzz_alprd: check failed: %s (line %d)\n", #x, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_read(const struct hl_alprd_read *r)
{
	const struct hl_read_rec *rec = &r->rec;

	CHECK(memchr(rec->plate, '\0', sizeof(rec->plate)) && rec->plate[0]);
	CHECK(memchr(rec->camera, '\0', sizeof(rec->camera)));
	CHECK(memchr(rec->country, '\0', sizeof(rec->country)));
	CHECK(memchr(r->site, '\0', sizeof(r->site)));
	CHECK(memchr(r->uuid, '\0', sizeof(r->uuid)));
	CHECK(strlen(r->read_id) == HL_ALPRD_READ_ID_MAX);
	CHECK(strspn(r->read_id, "0123456789abcdef") == HL_ALPRD_READ_ID_MAX);
	CHECK(rec->n_candidates <= HL_READ_CANDIDATES_MAX);
}

static int same_rec(const struct hl_read_rec *a, const struct hl_read_rec *b)
{
	if (a->n_candidates != b->n_candidates)
		return 0;
	for (unsigned i = 0; i < a->n_candidates; i++)
		if (strcmp(a->candidates[i], b->candidates[i]))
			return 0;
	return !strcmp(a->plate, b->plate) && !strcmp(a->camera, b->camera) &&
	       a->has_ts == b->has_ts && a->ts_us == b->ts_us;
}

/* The reads against `hotlist match`'s parser of the same bytes. */
static void check_as_match(const char *body, size_t len, const struct hl_alprd_msg *m,
			   struct hl_read_rec *want)
{
	char err[HL_READ_ERR_CAP];
	int n = hl_readparse_json_line(body, len, want, HL_READ_RESULTS_MAX, err);

	CHECK(n == (int)m->n_reads);
	for (int i = 0; i < n; i++)
		CHECK(same_rec(&m->reads[i].rec, &want[i]));
}

/* Each read as the cluster's JSON, read back by `hotlist match`'s parser. */
static void check_round_trip(const struct hl_alprd_msg *m)
{
	char err[HL_READ_ERR_CAP];

	for (unsigned i = 0; i < m->n_reads; i++) {
		struct hl_read_rec back;
		char *s = hl_alprd_read_json(&m->reads[i]);

		CHECK(s);
		CHECK(hl_readparse_json_line(s, strlen(s), &back, 1, err) == 1);
		CHECK(same_rec(&back, &m->reads[i].rec));
		free(s);
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(m->reads[i].read_id, m->reads[j].read_id));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Its own allocation, so ASan sees any read past its end. */
	char *body = malloc(size ? size : 1);
	struct hl_alprd_msg *m = malloc(sizeof(*m)), *again = malloc(sizeof(*again));
	struct hl_read_rec *want = malloc(HL_READ_RESULTS_MAX * sizeof(*want));
	char err[HL_READ_ERR_CAP] = "";
	int rc;

	CHECK(body && m && again && want);
	memcpy(body, data, size);
	rc = hl_alprd_parse(body, size, m, err);
	if (rc) {
		CHECK(rc < 0 && err[0] && m->n_reads == 0);
	} else {
		CHECK(m->type <= HL_ALPRD_OTHER);
		CHECK(m->n_reads <= HL_READ_RESULTS_MAX);
		CHECK(m->type == HL_ALPRD_RESULTS || m->n_reads == 0);
		for (unsigned i = 0; i < m->n_reads; i++)
			check_read(&m->reads[i]);
		if (m->type == HL_ALPRD_RESULTS)
			check_as_match(body, size, m, want);
		check_round_trip(m);
		CHECK(hl_alprd_parse(body, size, again, err) == 0 && again->n_reads == m->n_reads);
		for (unsigned i = 0; i < m->n_reads; i++)
			CHECK(!strcmp(again->reads[i].read_id, m->reads[i].read_id));
	}
	free(want);
	free(again);
	free(m);
	free(body);
	return 0;
}
