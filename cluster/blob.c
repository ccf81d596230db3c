/* SPDX-License-Identifier: MIT */
/*
 * List blobs: one list file per version, cut into HL_BLOB_CHUNK chunks on
 * hl.blob.<list>.<version>. Each chunk carries the upload id and its index in
 * headers, so a reader starting at the manifest's first sequence can tell a
 * missing, foreign or reordered chunk from a good one. The manifest (KV,
 * written after the upload) is what makes a version current.
 */
#include "cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunks in flight during an upload (8 MiB), and the longest wait for them. */
#define UPLOAD_WINDOW 64
#define UPLOAD_WAIT_MS 120000
/* How long a reader waits for the next chunk before calling it missing. */
#define CHUNK_WAIT_MS 3000

static natsMsg *chunk_msg(const char *subject, const char *upload_id, unsigned i, const char *p,
			  size_t n)
{
	natsMsg *m = NULL;
	char idx[16];

	snprintf(idx, sizeof(idx), "%u", i);
	if (natsMsg_Create(&m, subject, NULL, p, (int)n) != NATS_OK)
		return NULL;
	if (natsMsgHeader_Set(m, HL_HDR_UPLOAD, upload_id) != NATS_OK ||
	    natsMsgHeader_Set(m, HL_HDR_CHUNK, idx) != NATS_OK) {
		natsMsg_Destroy(m);
		return NULL;
	}
	return m;
}

int hl_blob_upload(struct hl_cluster *c, const char *subject, const char *upload_id,
		   const void *data, size_t len, const struct hl_blob_damage *dmg,
		   uint64_t *first_seq, unsigned *chunks)
{
	unsigned n = (unsigned)((len + HL_BLOB_CHUNK - 1) / HL_BLOB_CHUNK);
	uint64_t failed = c->failed;
	char *flip = NULL;

	if (n == 0)
		n = 1;
	*first_seq = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t off = (size_t)i * HL_BLOB_CHUNK;
		size_t k = len - off < HL_BLOB_CHUNK ? len - off : HL_BLOB_CHUNK;
		const char *p = (const char *)data + off;
		natsMsg *m;
		natsStatus s;

		if (dmg && dmg->drop_chunk == (int)i)
			continue;
		if (dmg && dmg->corrupt_chunk == (int)i && k > 0) {
			flip = malloc(k);
			if (!flip)
				return -1;
			memcpy(flip, p, k);
			flip[k / 2] ^= 0x20;
			p = flip;
		}
		m = chunk_msg(subject, upload_id, i, p, k);
		free(flip);
		flip = NULL;
		if (!m)
			return -1;
		if (*first_seq == 0) {
			/* The first chunk synchronously: its sequence goes in the manifest. */
			jsPubAck *pa = NULL;
			jsErrCode e = 0;

			s = js_PublishMsg(&pa, c->js, m, NULL, &e);
			natsMsg_Destroy(m);
			if (s != NATS_OK) {
				fprintf(stderr, "hotlist: upload: %s\n", natsStatus_GetText(s));
				return -1;
			}
			*first_seq = pa->Sequence;
			jsPubAck_Destroy(pa);
			continue;
		}
		(void)hl_cluster_async_msg(c, m); /* a failure is counted, seen at the wait */
		/* A window of chunks in flight, not the whole file: hundreds of MB
		 * outstanding make the server drop the connection as a slow consumer. */
		if (i % UPLOAD_WINDOW == 0 && hl_cluster_async_wait(c, UPLOAD_WAIT_MS, &failed))
			break;
	}
	if (hl_cluster_async_wait(c, UPLOAD_WAIT_MS, &failed) || c->failed) {
		fprintf(stderr, "hotlist: upload: %" PRIu64 " chunks not stored: %s\n", failed,
			c->last_error);
		return -1;
	}
	*chunks = n;
	return 0;
}

/* Write the reason and fail. */
#define refuse(why, cap, ...) (snprintf((why), (cap), __VA_ARGS__), -1)

/* Append chunk i from m to buf; -1 with why if it is not chunk i of upload_id. */
static int take_chunk(natsMsg *m, const char *upload_id, unsigned i, char *buf, size_t size,
		      size_t *at, char *why, size_t cap)
{
	const char *up = NULL, *idx = NULL;
	int n = natsMsg_GetDataLength(m);

	if (natsMsgHeader_Get(m, HL_HDR_UPLOAD, &up) != NATS_OK || strcmp(up, upload_id))
		return refuse(why, cap, "chunk %u missing (another upload's chunk in its place)",
			      i);
	if (natsMsgHeader_Get(m, HL_HDR_CHUNK, &idx) != NATS_OK || strtoul(idx, NULL, 10) != i)
		return refuse(why, cap, "chunk %u missing", i);
	if ((size_t)n > size - *at)
		return refuse(why, cap, "chunk %u longer than the manifest's size", i);
	memcpy(buf + *at, natsMsg_GetData(m), (size_t)n);
	*at += (size_t)n;
	return 0;
}

int hl_blob_fetch(struct hl_cluster *c, const char *subject, uint64_t first_seq,
		  const char *upload_id, unsigned chunks, size_t size, const char *digest,
		  char **out, char *why, size_t whycap)
{
	natsSubscription *sub = NULL;
	char *buf = malloc(size ? size : 1);
	char hex[HL_ID_HEX];
	size_t at = 0;
	int rc = 0;

	if (!buf)
		return refuse(why, whycap, "out of memory for %u chunks", chunks);
	if (hl_cluster_ordered(c, &sub, subject, first_seq) != NATS_OK) {
		free(buf);
		(void)refuse(why, whycap, "cannot read the blob (%u chunks)", chunks);
		return HL_BLOB_RETRY;
	}
	for (unsigned i = 0; i < chunks && rc == 0; i++) {
		natsMsg *m = NULL;

		if (natsSubscription_NextMsg(&m, sub, CHUNK_WAIT_MS) != NATS_OK)
			rc = refuse(why, whycap, "chunk %u missing", i);
		else
			rc = take_chunk(m, upload_id, i, buf, size, &at, why, whycap);
		natsMsg_Destroy(m);
	}
	natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
	if (rc == 0 && at != size)
		rc = refuse(why, whycap, "blob shorter than the manifest's size (%u chunks)",
			    chunks);
	if (rc == 0) {
		hl_cluster_digest(buf, size, hex);
		if (strcmp(hex, digest))
			rc = refuse(why, whycap, "digest mismatch (%u chunks)", chunks);
	}
	if (rc) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}
