/* SPDX-License-Identifier: MIT */
/*
 * Tests for tools/alprd.c, the pure half of `hotlist gateway`: alprd upload
 * bodies to cluster reads. Message types (results, group, heartbeat, other,
 * none), site and uuid kept on every read of a frame, confidences, read ids
 * deterministic and distinct per plate, the no-uuid fallback id, refusals
 * (bad JSON, bad types, control characters, too many plates, a bad plate
 * refusing the whole frame), subject tokens, and the JSON a read becomes,
 * read back by the parser of `hotlist match` into the same read. Every line
 * of tests/cli/openalpr.jsonl gives the same reads through both parsers.
 */
#include "alprd.h"

#include <check.h>
#include <jansson.h>

#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define FRAME                                                                                \
	"{\"version\":2,\"data_type\":\"alpr_results\",\"epoch_time\":1767225600123,"        \
	"\"img_width\":1280,\"img_height\":720,\"uuid\":\"a12-km31-cam1047-1767225600123\"," \
	"\"camera_id\":1047,\"site_id\":\"a12-km31\",\"results\":["                          \
	"{\"plate\":\"XF12JG\",\"confidence\":91.25,\"region\":\"nl\",\"candidates\":["      \
	"{\"plate\":\"XF12JG\",\"confidence\":91.2},{\"plate\":\"XF123G\"}]},"               \
	"{\"plate\":\"GZ123B\",\"confidence\":88.5,\"region\":\"zz\",\"candidates\":[]}]}"

static struct hl_alprd_msg *parse_ok(const char *body)
{
	struct hl_alprd_msg *m = malloc(sizeof(*m));
	char err[HL_READ_ERR_CAP] = "";

	ck_assert_ptr_nonnull(m);
	ck_assert_msg(hl_alprd_parse(body, strlen(body), m, err) == 0, "refused: %s", err);
	return m;
}

static int parse_rc(const char *body)
{
	struct hl_alprd_msg *m = malloc(sizeof(*m));
	char err[HL_READ_ERR_CAP] = "";
	int rc;

	ck_assert_ptr_nonnull(m);
	rc = hl_alprd_parse(body, strlen(body), m, err);
	if (rc) {
		ck_assert_uint_eq(m->n_reads, 0); /* nothing kept on error */
		ck_assert_msg(err[0], "no message for %d", rc);
	}
	free(m);
	return rc;
}

/* The documented read id of plate i of the frame with this uuid. */
static const char *expected_id(const char *uuid, int i)
{
	static char hex[HL_ALPRD_READ_ID_MAX + 1];
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "alprd\x1fuuid\x1f%s\x1f%d\x1f", uuid, i);
	XXH128_hash_t h = XXH3_128bits(buf, (size_t)n);

	snprintf(hex, sizeof(hex), "%016llx%016llx", (unsigned long long)h.high64,
		 (unsigned long long)h.low64);
	return hex;
}

START_TEST(results_frame)
{
	struct hl_alprd_msg *m = parse_ok(FRAME);

	ck_assert_int_eq(m->type, HL_ALPRD_RESULTS);
	ck_assert_uint_eq(m->n_reads, 2);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_str_eq(m->reads[i].site, "a12-km31");
		ck_assert_str_eq(m->reads[i].uuid, "a12-km31-cam1047-1767225600123");
		ck_assert_str_eq(m->reads[i].rec.camera, "1047");
		ck_assert_int_eq(m->reads[i].rec.ts_us, 1767225600123000);
		ck_assert(m->reads[i].has_confidence);
	}
	ck_assert_str_eq(m->reads[0].rec.plate, "XF12JG");
	ck_assert_str_eq(m->reads[1].rec.plate, "GZ123B");
	/* XXH3-128 of "alprd" 1f "uuid" 1f <uuid> 1f <index> 1f, in one shot here */
	ck_assert_str_eq(m->reads[0].read_id, expected_id("a12-km31-cam1047-1767225600123", 0));
	ck_assert_str_eq(m->reads[1].read_id, expected_id("a12-km31-cam1047-1767225600123", 1));
	ck_assert(m->reads[0].confidence == 91.25);
	ck_assert(m->reads[1].confidence == 88.5);
	/* candidates without the plate itself, as `hotlist match` reads them */
	ck_assert_uint_eq(m->reads[0].rec.n_candidates, 1);
	ck_assert_str_eq(m->reads[0].rec.candidates[0], "XF123G");
	ck_assert_uint_eq(m->reads[1].rec.n_candidates, 0);
	free(m);
}
END_TEST

START_TEST(ignored_types)
{
	static const struct {
		const char *body;
		enum hl_alprd_type type;
	} cases[] = {
		{ "{\"data_type\":\"heartbeat\",\"company_id\":\"x\",\"video_streams\":[]}",
		  HL_ALPRD_HEARTBEAT },
		/* a group carries plates too: it must not become reads */
		{ "{\"data_type\":\"alpr_group\",\"uuid\":\"g1\",\"best_plate\":{\"plate\":\"AB12CD\"},"
		  "\"results\":[{\"plate\":\"AB12CD\"}]}",
		  HL_ALPRD_GROUP },
		{ "{\"data_type\":\"vehicle\",\"results\":[{\"plate\":\"AB12CD\"}]}",
		  HL_ALPRD_OTHER },
		{ "{\"hello\":1}", HL_ALPRD_OTHER },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hl_alprd_msg *m = parse_ok(cases[i].body);

		ck_assert_int_eq(m->type, cases[i].type);
		ck_assert_uint_eq(m->n_reads, 0);
		free(m);
	}
}
END_TEST

START_TEST(no_data_type_with_results)
{
	struct hl_alprd_msg *m = parse_ok(
		"{\"epoch_time\":1000,\"camera_id\":\"c\",\"results\":[{\"plate\":\"AB1\"}]}");

	ck_assert_int_eq(m->type, HL_ALPRD_RESULTS);
	ck_assert_uint_eq(m->n_reads, 1);
	ck_assert_str_eq(m->reads[0].site, "");
	ck_assert_str_eq(m->reads[0].uuid, "");
	ck_assert(!m->reads[0].has_confidence);
	free(m);
}
END_TEST

START_TEST(empty_results)
{
	struct hl_alprd_msg *m =
		parse_ok("{\"data_type\":\"alpr_results\",\"uuid\":\"u\",\"results\":[]}");

	ck_assert_int_eq(m->type, HL_ALPRD_RESULTS);
	ck_assert_uint_eq(m->n_reads, 0);
	free(m);
}
END_TEST

/* Without a uuid the id comes from the body: same body, same ids; another
 * body, other ids; hex of the cluster's id length. */
START_TEST(id_without_uuid)
{
	const char *a = "{\"data_type\":\"alpr_results\",\"epoch_time\":1,\"results\":"
			"[{\"plate\":\"AB1\"},{\"plate\":\"CD2\"}]}";
	const char *b = "{\"data_type\":\"alpr_results\",\"epoch_time\":2,\"results\":"
			"[{\"plate\":\"AB1\"},{\"plate\":\"CD2\"}]}";
	struct hl_alprd_msg *m1 = parse_ok(a), *m2 = parse_ok(a), *m3 = parse_ok(b);

	ck_assert_str_eq(m1->reads[0].read_id, m2->reads[0].read_id);
	ck_assert_str_eq(m1->reads[1].read_id, m2->reads[1].read_id);
	ck_assert_str_ne(m1->reads[0].read_id, m1->reads[1].read_id);
	ck_assert_str_ne(m1->reads[0].read_id, m3->reads[0].read_id);
	ck_assert_uint_eq(strlen(m1->reads[0].read_id), HL_ALPRD_READ_ID_MAX);
	ck_assert_uint_eq(strspn(m1->reads[0].read_id, "0123456789abcdef"), HL_ALPRD_READ_ID_MAX);
	free(m1);
	free(m2);
	free(m3);
}
END_TEST

START_TEST(refusals)
{
	char big[4096];
	int n;

	ck_assert_int_eq(parse_rc("not json"), HOTLIST_EINVAL);
	ck_assert_int_eq(parse_rc("[1,2]"), HOTLIST_EINVAL);
	ck_assert_int_eq(parse_rc("{\"data_type\":7}"), HOTLIST_EINVAL);
	ck_assert_int_eq(parse_rc("{\"data_type\":\"alpr_results\"}"), HOTLIST_EINVAL);
	ck_assert_int_eq(parse_rc("{\"data_type\":\"alpr_results\",\"results\":{}}"),
			 HOTLIST_EINVAL);
	ck_assert_int_eq(parse_rc("{\"data_type\":\"alpr_results\",\"site_id\":3,\"results\":[]}"),
			 HOTLIST_EINVAL);
	ck_assert_int_eq(
		parse_rc("{\"data_type\":\"alpr_results\",\"uuid\":\"a\\r\\nb\",\"results\":[]}"),
		HOTLIST_EINVAL);
	ck_assert_int_eq(parse_rc("{\"data_type\":\"alpr_results\",\"results\":"
				  "[{\"plate\":\"AB1\",\"confidence\":\"high\"}]}"),
			 HOTLIST_EINVAL);
	/* one bad plate refuses the frame: alprd sends it again, whole */
	ck_assert_int_eq(parse_rc("{\"data_type\":\"alpr_results\",\"results\":"
				  "[{\"plate\":\"AB1\"},{\"plate\":\"\"}]}"),
			 HOTLIST_EPLATE);
	/* duplicate keys, as `hotlist match` refuses them */
	ck_assert_int_eq(parse_rc("{\"data_type\":\"alpr_results\",\"data_type\":\"heartbeat\"}"),
			 HOTLIST_EINVAL);
	/* a uuid longer than HL_ALPRD_UUID_MAX */
	n = snprintf(big, sizeof(big), "{\"data_type\":\"alpr_results\",\"uuid\":\"");
	memset(big + n, 'u', HL_ALPRD_UUID_MAX + 1);
	snprintf(big + n + HL_ALPRD_UUID_MAX + 1, sizeof(big) - (size_t)n - HL_ALPRD_UUID_MAX - 1,
		 "\",\"results\":[]}");
	ck_assert_int_eq(parse_rc(big), HOTLIST_EINVAL);
	/* more plates than a frame may hold */
	n = snprintf(big, sizeof(big), "{\"data_type\":\"alpr_results\",\"results\":[");
	for (int i = 0; i <= HL_READ_RESULTS_MAX; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "%s{\"plate\":\"P%d\"}",
			      i ? "," : "", i);
	snprintf(big + n, sizeof(big) - (size_t)n, "]}");
	ck_assert_int_eq(parse_rc(big), HOTLIST_EINVAL);
}
END_TEST

START_TEST(site_tokens)
{
	char longsite[HL_ALPRD_SITE_MAX + 2];

	memset(longsite, 's', sizeof(longsite) - 1);
	longsite[sizeof(longsite) - 1] = '\0';
	ck_assert_str_eq(hl_alprd_site_token("a12-km31", "dflt"), "a12-km31");
	ck_assert_str_eq(hl_alprd_site_token("", "dflt"), "dflt");
	ck_assert_str_eq(hl_alprd_site_token(NULL, "dflt"), "dflt");
	ck_assert_str_eq(hl_alprd_site_token("a.b", "dflt"), "dflt"); /* '.' splits a subject */
	ck_assert_str_eq(hl_alprd_site_token("a b", "dflt"), "dflt");
	ck_assert_str_eq(hl_alprd_site_token("a*", "dflt"), "dflt");
	ck_assert_str_eq(hl_alprd_site_token("a>", "dflt"), "dflt");
	ck_assert_str_eq(hl_alprd_site_token(longsite, "dflt"), "dflt");
	ck_assert_ptr_null(hl_alprd_site_token("", NULL));
	ck_assert_ptr_null(hl_alprd_site_token("a.b", "c/d"));
}
END_TEST

/* The JSON of a read, read back by `hotlist match`'s parser, is the same
 * read; the extra fields are there; a region that is no country is dropped. */
START_TEST(read_json_round_trip)
{
	struct hl_alprd_msg *m = parse_ok(FRAME);
	char err[HL_READ_ERR_CAP];

	for (unsigned i = 0; i < m->n_reads; i++) {
		char *s = hl_alprd_read_json(&m->reads[i]);
		struct hl_read_rec back;
		json_t *o;

		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(hl_readparse_json_line(s, strlen(s), &back, 1, err), 1);
		ck_assert_str_eq(back.plate, m->reads[i].rec.plate);
		ck_assert_str_eq(back.camera, m->reads[i].rec.camera);
		ck_assert_int_eq(back.ts_us, m->reads[i].rec.ts_us);
		ck_assert_uint_eq(back.n_candidates, m->reads[i].rec.n_candidates);
		for (unsigned c = 0; c < back.n_candidates; c++)
			ck_assert_str_eq(back.candidates[c], m->reads[i].rec.candidates[c]);
		ck_assert_str_eq(back.country, i == 0 ? "nl" : ""); /* "zz" is no country */
		o = json_loads(s, 0, NULL);
		ck_assert_str_eq(json_string_value(json_object_get(o, "site")), "a12-km31");
		ck_assert_str_eq(json_string_value(json_object_get(o, "uuid")), m->reads[i].uuid);
		ck_assert_str_eq(json_string_value(json_object_get(o, "read_id")),
				 m->reads[i].read_id);
		ck_assert(json_real_value(json_object_get(o, "confidence")) ==
			  m->reads[i].confidence);
		json_decref(o);
		free(s);
	}
	free(m);
}
END_TEST

static void rec_eq(const struct hl_read_rec *a, const struct hl_read_rec *b)
{
	ck_assert_str_eq(a->plate, b->plate);
	ck_assert_str_eq(a->camera, b->camera);
	ck_assert_str_eq(a->country, b->country);
	ck_assert_int_eq(a->country_guess, b->country_guess);
	ck_assert_int_eq(a->has_ts, b->has_ts);
	ck_assert_int_eq(a->ts_us, b->ts_us);
	ck_assert_uint_eq(a->n_candidates, b->n_candidates);
	for (unsigned c = 0; c < a->n_candidates; c++)
		ck_assert_str_eq(a->candidates[c], b->candidates[c]);
}

/* Every line of the CLI's OpenALPR sample: the same reads as `hotlist match`
 * takes from it, whatever the gateway adds. */
START_TEST(same_reads_as_match)
{
	const char *dir = getenv("HOTLIST_CLI_DATA");
	char path[4096], line[65536], err[HL_READ_ERR_CAP];
	struct hl_read_rec want[HL_READ_RESULTS_MAX];
	struct hl_alprd_msg *m = malloc(sizeof(*m));
	unsigned lines = 0, reads = 0;
	FILE *f;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/openalpr.jsonl", dir);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		int n = hl_readparse_json_line(line, strlen(line), want, HL_READ_RESULTS_MAX, err);

		ck_assert_msg(n >= 0, "line %u: %s", lines + 1, err);
		ck_assert_int_eq(hl_alprd_parse(line, strlen(line), m, err), 0);
		ck_assert_int_eq(m->type, HL_ALPRD_RESULTS);
		ck_assert_uint_eq(m->n_reads, (unsigned)n);
		for (int i = 0; i < n; i++)
			rec_eq(&m->reads[i].rec, &want[i]);
		lines++;
		reads += (unsigned)n;
	}
	fclose(f);
	free(m);
	ck_assert_uint_ge(lines, 4);
	ck_assert_uint_ge(reads, 4);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("alprd");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, results_frame);
	tcase_add_test(tc, ignored_types);
	tcase_add_test(tc, no_data_type_with_results);
	tcase_add_test(tc, empty_results);
	tcase_add_test(tc, id_without_uuid);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, site_tokens);
	tcase_add_test(tc, read_json_round_trip);
	tcase_add_test(tc, same_reads_as_match);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(suite());
}
