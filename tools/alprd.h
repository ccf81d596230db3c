/* SPDX-License-Identifier: MIT */
/*
 * OpenALPR alprd uploads turned into cluster reads: the pure part of
 * `hotlist gateway`, with no HTTP and no NATS, so that it can be tested alone.
 *
 * alprd (upload_data = 1) POSTs one JSON object per message to its
 * upload_address. "data_type" says what it is:
 *
 *   alpr_results  one analysed frame: "uuid", "site_id", "camera_id",
 *                 "epoch_time" (ms) and a "results" array, one element per
 *                 plate (plate, confidence, region, candidates[].plate);
 *   alpr_group    a plate group built from several frames (best plate, crop
 *                 image): the same vehicle again, not a read; ignored;
 *   heartbeat     agent status; ignored.
 *
 * A frame without data_type but with a "results" array is taken as
 * alpr_results (the format `hotlist match` reads from files). Each result
 * becomes one read with the fields of `hotlist match` (read by
 * hl_readparse_json_line(), with the same rules: plate required, candidates
 * without the plate itself, country from the region when it is a country
 * code) plus the frame's site_id and uuid, the plate confidence, and a
 * deterministic read id, XXH3-128 in hex of the frame's uuid and the plate's
 * index i in results[], so that a POST alprd sends again (after a timeout or
 * a 503) is de-duplicated by the server (Nats-Msg-Id). A frame without a
 * uuid is identified by the XXH3-128 of its body instead: the same body
 * gives the same ids. (Hex ids have the length and alphabet of the cluster's
 * other ids; the uuid itself travels on the read, to find the image.)
 *
 * Threads: any; no state but the caller's.
 */
#ifndef HOTLIST_TOOLS_ALPRD_H
#define HOTLIST_TOOLS_ALPRD_H

#include "readparse.h"

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a site id: it becomes a subject token, keep it short. */
#define HL_ALPRD_SITE_MAX 63
/* Bytes of a frame uuid (alprd's are "<site>-cam<camera>-<epoch ms>", ~40). */
#define HL_ALPRD_UUID_MAX 128
/* A read id: XXH3-128 in hex. */
#define HL_ALPRD_READ_ID_MAX 32

enum hl_alprd_type {
	HL_ALPRD_RESULTS = 0, /* a frame with reads */
	HL_ALPRD_GROUP, /* alpr_group: ignored */
	HL_ALPRD_HEARTBEAT, /* heartbeat: ignored */
	HL_ALPRD_OTHER, /* another data_type: ignored (counted by the caller) */
};

/* One read of a frame; strings NUL-terminated. */
struct hl_alprd_read {
	struct hl_read_rec rec; /* plate, camera, ts_us, country, candidates */
	char site[HL_ALPRD_SITE_MAX + 1]; /* the frame's site_id, "" when absent */
	char uuid[HL_ALPRD_UUID_MAX + 1]; /* the frame's uuid, "" when absent */
	char read_id[HL_ALPRD_READ_ID_MAX + 1]; /* never empty */
	double confidence; /* results[i].confidence, when has_confidence */
	bool has_confidence;
};

/* What one POST body holds. */
struct hl_alprd_msg {
	enum hl_alprd_type type;
	unsigned n_reads; /* 0 unless type is HL_ALPRD_RESULTS */
	struct hl_alprd_read reads[HL_READ_RESULTS_MAX];
};

/*
 * Parse one alprd upload body.
 * @param body the bytes POSTed (no NUL needed); len their number.
 * @param out fully written (zeroed first) on success; zeroed on error.
 * @param err HL_READ_ERR_CAP bytes for a one-line message, or NULL.
 * @return 0; HOTLIST_EINVAL (not JSON, not an object, data_type not a
 *         string, a field of the wrong type, a site_id or uuid too long or
 *         holding a control character, more than HL_READ_RESULTS_MAX
 *         results), HOTLIST_EPLATE (a result without a usable plate).
 *         A frame is taken whole or not at all.
 */
int hl_alprd_parse(const char *body, size_t len, struct hl_alprd_msg *out, char *err);

/*
 * The subject token of a site: site when it is 1..HL_ALPRD_SITE_MAX bytes of
 * [A-Za-z0-9_-] (a NATS subject token that MQTT topics can carry too), else
 * fallback under the same rule.
 * @return the token (site or fallback), or NULL when neither qualifies.
 */
const char *hl_alprd_site_token(const char *site, const char *fallback);

/*
 * The cluster's JSON for one read (one NATS message body): plate, camera,
 * ts_us, country, candidates as `hotlist match` reads them, then site, uuid,
 * confidence, read_id. Fields that are absent are left out; a country
 * guessed from a region that is not a country code is left out.
 * @return a string to free(), or NULL when out of memory.
 */
char *hl_alprd_read_json(const struct hl_alprd_read *r);

#endif /* HOTLIST_TOOLS_ALPRD_H */
