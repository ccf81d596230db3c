/* SPDX-License-Identifier: MIT */
/*
 * Message bodies and ids (docs/cluster.md, "Wire format"). Ids are XXH3-128
 * in hex over fields separated by a 0x1f byte, so that ("ab","c") and
 * ("a","bc") differ; the same inputs always give the same id, which is what
 * makes JetStream's de-duplication (Nats-Msg-Id) turn redelivery into
 * exactly-once storage.
 */
#include "cluster.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

void hl_cluster_digest(const void *data, size_t len, char hex[HL_ID_HEX])
{
	XXH128_hash_t h = XXH3_128bits(data, len);

	snprintf(hex, HL_ID_HEX, "%016" PRIx64 "%016" PRIx64, (uint64_t)h.high64,
		 (uint64_t)h.low64);
}

static void id_of(const char *const *parts, size_t n, char id[HL_ID_HEX])
{
	XXH3_state_t st;
	XXH128_hash_t h;

	XXH3_128bits_reset(&st);
	for (size_t i = 0; i < n; i++) {
		const char *p = parts[i] ? parts[i] : "";

		XXH3_128bits_update(&st, p, strlen(p));
		XXH3_128bits_update(&st, "\x1f", 1);
	}
	h = XXH3_128bits_digest(&st);
	snprintf(id, HL_ID_HEX, "%016" PRIx64 "%016" PRIx64, (uint64_t)h.high64, (uint64_t)h.low64);
}

void hl_cluster_read_id(const struct hl_cluster_read *r, char id[HL_ID_HEX])
{
	char ts[24];
	const char *parts[5];

	snprintf(ts, sizeof(ts), "%" PRId64, r->ts_us);
	parts[0] = "read";
	parts[1] = r->site && *r->site ? r->site : "default";
	parts[2] = r->camera;
	parts[3] = ts;
	parts[4] = r->plate;
	id_of(parts, 5, id);
}

void hl_cluster_hit_id(const char *read_id, const struct hotlist_hit *h, char id[HL_ID_HEX])
{
	const char *parts[6] = { "hit", read_id, h->list, h->entry_plate, h->country, h->category };

	id_of(parts, 6, id);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

int hl_cluster_publish_read(struct hl_cluster *c, const struct hl_cluster_read *r)
{
	const char *site = r->site && *r->site ? r->site : "default";
	char id[HL_ID_HEX], subject[96];
	json_t *o = json_object(), *cands = json_array();
	char *body;
	int rc;

	if (!o || !cands || !r->plate || !hl_cluster_token_ok(site)) {
		json_decref(o);
		json_decref(cands);
		return -1;
	}
	if (r->read_id)
		snprintf(id, sizeof(id), "%s", r->read_id);
	else
		hl_cluster_read_id(r, id);
	for (unsigned i = 0; i < r->n_candidates; i++)
		json_array_append_new(cands, json_string(r->candidates[i]));
	if (json_object_set_new(o, "plate", json_string(r->plate))) {
		json_decref(o); /* not UTF-8: refused rather than sent without a plate */
		json_decref(cands);
		return -1;
	}
	json_object_set_new(o, "country", str_or_null(r->country));
	json_object_set_new(o, "camera", str_or_null(r->camera));
	json_object_set_new(o, "ts_us", json_integer(r->ts_us));
	json_object_set_new(o, "candidates", cands);
	json_object_set_new(o, "site", json_string(site));
	if (r->uuid && *r->uuid)
		json_object_set_new(o, "uuid", json_string(r->uuid));
	if (r->confidence >= 0)
		json_object_set_new(o, "confidence", json_real(r->confidence));
	json_object_set_new(o, "read_id", json_string(id));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!body)
		return -1;
	snprintf(subject, sizeof(subject), "%s.%s", HL_SUBJ_READ, site);
	rc = hl_cluster_async(c, subject, body, strlen(body), id);
	free(body);
	return rc;
}
