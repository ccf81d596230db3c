/* SPDX-License-Identifier: MIT */
/*
 * alprd upload bodies to cluster reads; see alprd.h for the contract.
 *
 * The plates, cameras, times, countries and candidates come from
 * hl_readparse_json_line(), the parser `hotlist match` uses for OpenALPR
 * lines, so that a frame POSTed to the gateway and the same frame in a file
 * give the same reads. This file adds what a file of frames does not need:
 * the message type, the frame's site and uuid, each plate's confidence and
 * the read ids.
 */
#include "alprd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static bool token_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > HL_ALPRD_SITE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

const char *hl_alprd_site_token(const char *site, const char *fallback)
{
	if (token_ok(site))
		return site;
	return token_ok(fallback) ? fallback : NULL;
}

static enum hl_alprd_type type_of(const char *t)
{
	if (!strcmp(t, "alpr_results"))
		return HL_ALPRD_RESULTS;
	if (!strcmp(t, "alpr_group"))
		return HL_ALPRD_GROUP;
	if (!strcmp(t, "heartbeat"))
		return HL_ALPRD_HEARTBEAT;
	return HL_ALPRD_OTHER;
}

/*
 * A frame's identifying string (site_id, uuid): absent or null is "", else a
 * string that fits and holds no control character (it goes into a message
 * header and a subject).
 */
static int frame_string(const json_t *obj, const char *key, char *dst, size_t cap, char *err)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (!v || json_is_null(v))
		return 0;
	if (!s) {
		hl_read_set_err(err, "\"%s\" is not a string", key);
		return HOTLIST_EINVAL;
	}
	if (n >= cap) {
		hl_read_set_err(err, "\"%s\" longer than %zu bytes", key, cap - 1);
		return HOTLIST_EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			hl_read_set_err(err, "\"%s\" holds a control character", key);
			return HOTLIST_EINVAL;
		}
	memcpy(dst, s, n + 1);
	return 0;
}

/* results[i].confidence: a number, or absent / null. */
static int result_confidence(const json_t *res, size_t i, struct hl_alprd_read *r, char *err)
{
	const json_t *v = json_object_get(res, "confidence");

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v)) {
		hl_read_set_err(err, "results[%zu].confidence is not a number", i);
		return HOTLIST_EINVAL;
	}
	r->confidence = json_number_value(v);
	r->has_confidence = true;
	return 0;
}

/* Bytes of the id input: "alprd", "uuid", a uuid, an index, separators. */
#define ID_INPUT_CAP (HL_ALPRD_UUID_MAX + 64)

static void hex128(const void *data, size_t len, char out[HL_ALPRD_READ_ID_MAX + 1])
{
	XXH128_hash_t h = XXH3_128bits(data, len);

	snprintf(out, HL_ALPRD_READ_ID_MAX + 1, "%016llx%016llx", (unsigned long long)h.high64,
		 (unsigned long long)h.low64);
}

/* XXH3-128 in hex of the parts, each followed by a 0x1f byte (so that
 * ("ab","c") and ("a","bc") differ). The parts fit ID_INPUT_CAP. */
static void hex_id(const char *const *parts, size_t n, char id[HL_ALPRD_READ_ID_MAX + 1])
{
	char buf[ID_INPUT_CAP];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(parts[i]);

		if (len + k + 1 > sizeof(buf))
			k = sizeof(buf) - len - 1; /* cannot happen: parts are bounded */
		memcpy(buf + len, parts[i], k);
		len += k;
		buf[len++] = 0x1f;
	}
	hex128(buf, len, id);
}

/* What names the frame in its read ids: ("uuid", the uuid), or, without
 * one, ("body", XXH3-128 of the body). */
static void frame_ids(const char *body, size_t len, const struct hl_alprd_read *proto,
		      const char *names[2], char *bodyhash)
{
	if (proto->uuid[0]) {
		names[0] = "uuid";
		names[1] = proto->uuid;
		return;
	}
	hex128(body, len, bodyhash);
	names[0] = "body";
	names[1] = bodyhash;
}

static int parse_results(const json_t *obj, const char *body, size_t len, struct hl_alprd_msg *out,
			 char *err)
{
	const json_t *results = json_object_get(obj, "results");
	struct hl_alprd_read proto;
	char bodyhash[HL_ALPRD_READ_ID_MAX + 1], index[16];
	const char *parts[4] = { "alprd", "", "", index };
	struct hl_read_rec *recs;
	int n;

	if (!json_is_array(results)) {
		hl_read_set_err(err, "alpr_results without a \"results\" array");
		return HOTLIST_EINVAL;
	}
	memset(&proto, 0, sizeof(proto));
	n = frame_string(obj, "site_id", proto.site, sizeof(proto.site), err);
	if (!n)
		n = frame_string(obj, "uuid", proto.uuid, sizeof(proto.uuid), err);
	if (n)
		return n;
	frame_ids(body, len, &proto, parts + 1, bodyhash);
	recs = calloc(HL_READ_RESULTS_MAX, sizeof(*recs));
	if (!recs) {
		hl_read_set_err(err, "out of memory");
		return HOTLIST_ENOMEM;
	}
	n = hl_readparse_json_line(body, len, recs, HL_READ_RESULTS_MAX, err);
	for (int i = 0; i < n; i++) {
		struct hl_alprd_read *r = &out->reads[i];
		int rc;

		*r = proto;
		r->rec = recs[i];
		snprintf(index, sizeof(index), "%d", i);
		hex_id(parts, 4, r->read_id);
		rc = result_confidence(json_array_get(results, (size_t)i), (size_t)i, r, err);
		if (rc) {
			n = rc;
			break;
		}
	}
	free(recs);
	if (n < 0)
		return n;
	out->n_reads = (unsigned)n;
	return 0;
}

int hl_alprd_parse(const char *body, size_t len, struct hl_alprd_msg *out, char *err)
{
	json_error_t jerr;
	json_t *obj;
	const json_t *t;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		hl_read_set_err(err, "not JSON: %s (column %d)", jerr.text, jerr.column);
		return HOTLIST_EINVAL;
	}
	t = json_object_get(obj, "data_type");
	if (!json_is_object(obj)) {
		hl_read_set_err(err, "not a JSON object");
		rc = HOTLIST_EINVAL;
	} else if (t && !json_is_string(t)) {
		hl_read_set_err(err, "\"data_type\" is not a string");
		rc = HOTLIST_EINVAL;
	} else if (t) {
		out->type = type_of(json_string_value(t));
	} else if (!json_is_array(json_object_get(obj, "results"))) {
		out->type = HL_ALPRD_OTHER; /* no type and no results: not a frame */
	}
	if (!rc && out->type == HL_ALPRD_RESULTS)
		rc = parse_results(obj, body, len, out, err);
	json_decref(obj);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

static int add_string(json_t *o, const char *key, const char *s)
{
	return s && s[0] ? json_object_set_new(o, key, json_string(s)) : 0;
}

static int add_fields(json_t *o, const struct hl_alprd_read *r)
{
	const struct hl_read_rec *rec = &r->rec;
	json_t *cands = json_array();
	int rc = json_object_set_new(o, "plate", json_string(rec->plate));

	rc |= add_string(o, "camera", rec->camera);
	if (rec->has_ts)
		rc |= json_object_set_new(o, "ts_us", json_integer(rec->ts_us));
	rc |= add_string(o, "country", hl_readparse_country(rec));
	for (unsigned i = 0; i < rec->n_candidates; i++)
		rc |= json_array_append_new(cands, json_string(rec->candidates[i]));
	rc |= json_object_set_new(o, "candidates", cands);
	rc |= add_string(o, "site", r->site);
	rc |= add_string(o, "uuid", r->uuid);
	if (r->has_confidence)
		rc |= json_object_set_new(o, "confidence", json_real(r->confidence));
	rc |= add_string(o, "read_id", r->read_id);
	return rc;
}

char *hl_alprd_read_json(const struct hl_alprd_read *r)
{
	json_t *o = json_object();
	char *s = NULL;

	if (o && !add_fields(o, r))
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
