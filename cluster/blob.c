/* SPDX-License-Identifier: MIT */
/*
 * List blobs: one list file per version, cut into HL_BLOB_CHUNK chunks on
 * hl.blob.<list>.<version>. Each chunk carries the upload id and its index in
 * headers, so a reader starting at the manifest's first sequence can tell a
 * missing, foreign or reordered chunk from a good one. The manifest (KV,
 * written after the upload) is what makes a version current.
 *
 * A blob is zstd-compressed (manifest "encoding": "zstd", "size" and "chunks"
 * of the compressed stream, "raw_size" and "digest" of the list file) or, in
 * manifests without an encoding, the plain file.
 */
#include "cluster.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

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

/* State of one upload: where chunk 0 went, what failed, the damage asked for. */
struct upload {
	struct hl_cluster *c;
	const char *subject, *upload_id;
	const struct hl_blob_damage *dmg;
	uint64_t first_seq, failed;
	size_t stored;
};

/* Publish chunk i (k bytes at p): chunk 0 synchronously (its sequence goes in
 * the manifest), the others asynchronously with a window in flight. */
static int put_chunk(struct upload *u, unsigned i, const char *p, size_t k)
{
	char *flip = NULL;
	natsMsg *m;

	u->stored += k;
	if (u->dmg && u->dmg->drop_chunk == (int)i)
		return 0;
	if (u->dmg && u->dmg->corrupt_chunk == (int)i && k > 0) {
		flip = malloc(k);
		if (!flip)
			return -1;
		memcpy(flip, p, k);
		flip[k / 2] ^= 0x20;
		p = flip;
	}
	m = chunk_msg(u->subject, u->upload_id, i, p, k);
	free(flip);
	if (!m)
		return -1;
	if (u->first_seq == 0) {
		jsPubAck *pa = NULL;
		jsErrCode e = 0;
		natsStatus s = js_PublishMsg(&pa, u->c->js, m, NULL, &e);

		natsMsg_Destroy(m);
		if (s != NATS_OK) {
			fprintf(stderr, "hotlist: upload: %s\n", natsStatus_GetText(s));
			return -1;
		}
		u->first_seq = pa->Sequence;
		jsPubAck_Destroy(pa);
		return 0;
	}
	(void)hl_cluster_async_msg(u->c, m); /* a failure is counted, seen at the wait */
	/* A window of chunks in flight, not the whole file: hundreds of MB
	 * outstanding make the server drop the connection as a slow consumer. */
	if (i % UPLOAD_WINDOW == 0 && hl_cluster_async_wait(u->c, UPLOAD_WAIT_MS, &u->failed))
		return -1;
	return 0;
}

/*
 * Compress while chunking: zstd's streaming API fills one chunk-sized output
 * buffer at a time, and each full buffer goes out at once, so the upload of
 * the first chunks overlaps the compression of the rest and the publisher
 * never holds the compressed file. The frame carries zstd's own checksum
 * (XXH64 of the content), on top of the manifest's digest of the raw file.
 */
static int upload_zstd(struct upload *u, const void *data, size_t len, int level, unsigned *n)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_inBuffer in = { data, len, 0 };
	char *buf = malloc(HL_BLOB_CHUNK);
	ZSTD_outBuffer out = { buf, HL_BLOB_CHUNK, 0 };
	int rc = -1;

	*n = 0;
	if (!cc || !buf ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cc, len)))
		goto out;
	for (;;) {
		size_t left = ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end);

		if (ZSTD_isError(left)) {
			fprintf(stderr, "hotlist: upload: zstd: %s\n", ZSTD_getErrorName(left));
			goto out;
		}
		if (out.pos == out.size || (left == 0 && out.pos > 0)) {
			if (put_chunk(u, (*n)++, buf, out.pos))
				goto out;
			out.pos = 0;
		}
		if (left == 0)
			break;
	}
	rc = 0;
out:
	ZSTD_freeCCtx(cc);
	free(buf);
	return rc;
}

int hl_blob_upload(struct hl_cluster *c, const char *subject, const char *upload_id,
		   const void *data, size_t len, int zstd_level, const struct hl_blob_damage *dmg,
		   uint64_t *first_seq, unsigned *chunks, size_t *stored)
{
	struct upload u = { c, subject, upload_id, dmg, 0, c->failed, 0 };
	unsigned n = 0;
	int rc = 0;

	if (zstd_level > 0) {
		rc = upload_zstd(&u, data, len, zstd_level, &n);
	} else {
		n = (unsigned)((len + HL_BLOB_CHUNK - 1) / HL_BLOB_CHUNK);
		if (n == 0)
			n = 1;
		for (unsigned i = 0; i < n && rc == 0; i++) {
			size_t off = (size_t)i * HL_BLOB_CHUNK;
			size_t k = len - off < HL_BLOB_CHUNK ? len - off : HL_BLOB_CHUNK;

			rc = put_chunk(&u, i, (const char *)data + off, k);
		}
	}
	*first_seq = u.first_seq;
	if (hl_cluster_async_wait(c, UPLOAD_WAIT_MS, &u.failed) || c->failed || rc) {
		fprintf(stderr, "hotlist: upload: %" PRIu64 " chunks not stored: %s\n", u.failed,
			c->last_error);
		return -1;
	}
	*chunks = n;
	*stored = u.stored;
	return 0;
}

/* Write the reason and fail. */
#define refuse(why, cap, ...) (snprintf((why), (cap), __VA_ARGS__), -1)

/*
 * Where a blob's list file is written as its chunks arrive: a memory file
 * (memfd) of raw + 1 bytes, mapped. Plain chunks are copied in; zstd chunks
 * are decompressed straight into it, one chunk at a time, so neither the
 * compressed blob nor a separate buffer of the file is ever held, and the
 * file is not copied again to be loaded (hotlist_load_csv reads the memory
 * file by its /proc path). The extra byte catches a blob that decompresses
 * to more than the manifest's raw size (a decompression bomb, or a manifest
 * that lies) as soon as it passes the cap, with at most raw + 1 bytes ever
 * written: it is refused, never allowed to grow the node's memory.
 */
struct sink {
	int fd;
	char *map;
	size_t raw; /* the manifest's raw size: the file's */
	size_t size; /* the manifest's size: what is stored (compressed or plain) */
	size_t taken; /* bytes of chunks taken so far (<= size) */
	ZSTD_DCtx *dc; /* NULL: plain */
	ZSTD_outBuffer out;
	size_t left; /* ZSTD_decompressStream's hint: 0 once a frame is complete */
};

static int sink_open(struct sink *k, bool zstd, size_t size, size_t raw, char *why, size_t cap)
{
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	k->map = MAP_FAILED;
	k->raw = raw;
	k->size = size;
	k->left = 1;
	if (raw >= SIZE_MAX / 2) /* a negative or absurd raw_size in the manifest */
		return refuse(why, cap, "raw size %zu out of range", raw);
	k->fd = memfd_create("hotlist-list", MFD_CLOEXEC);
	if (k->fd < 0 || ftruncate(k->fd, (off_t)raw + 1))
		return refuse(why, cap, "no memory file of %zu bytes", raw + 1);
	k->map = mmap(NULL, raw + 1, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, 0);
	if (k->map == MAP_FAILED)
		return refuse(why, cap, "out of memory for %zu bytes", raw + 1);
	k->out = (ZSTD_outBuffer){ k->map, raw + 1, 0 };
	if (zstd && !(k->dc = ZSTD_createDCtx()))
		return refuse(why, cap, "out of memory for zstd");
	return 0;
}

/* Unmap; the memory file stays open (returned) on success, closed otherwise. */
static int sink_close(struct sink *k, bool ok)
{
	int fd = k->fd;

	if (k->map != MAP_FAILED)
		munmap(k->map, k->raw + 1);
	ZSTD_freeDCtx(k->dc);
	if (ok && ftruncate(fd, (off_t)k->raw) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Chunk data into the file: copied, or decompressed (checked against the cap). */
static int sink_put(struct sink *k, const char *p, size_t n, char *why, size_t cap)
{
	ZSTD_inBuffer in = { p, n, 0 };

	if (!k->dc) {
		memcpy(k->map + k->out.pos, p, n);
		k->out.pos += n;
		return 0;
	}
	while (in.pos < in.size) {
		size_t was_in = in.pos, was_out = k->out.pos;

		k->left = ZSTD_decompressStream(k->dc, &k->out, &in);
		if (ZSTD_isError(k->left))
			return refuse(why, cap, "compressed data corrupt (zstd: %s)",
				      ZSTD_getErrorName(k->left));
		if (k->out.pos > k->raw)
			return refuse(
				why, cap,
				"decompresses to more than the manifest's raw size (%zu bytes)",
				k->raw);
		if (in.pos == was_in && k->out.pos == was_out) /* no progress: never spin */
			return refuse(why, cap, "compressed data corrupt (no progress)");
	}
	return 0;
}

/* Chunk i from m into the file; -1 with why if it is not chunk i of upload_id. */
static int take_chunk(natsMsg *m, const char *upload_id, unsigned i, struct sink *k, char *why,
		      size_t cap)
{
	const char *up = NULL, *idx = NULL;
	int n = natsMsg_GetDataLength(m);

	if (natsMsgHeader_Get(m, HL_HDR_UPLOAD, &up) != NATS_OK || strcmp(up, upload_id))
		return refuse(why, cap, "chunk %u missing (another upload's chunk in its place)",
			      i);
	if (natsMsgHeader_Get(m, HL_HDR_CHUNK, &idx) != NATS_OK || strtoul(idx, NULL, 10) != i)
		return refuse(why, cap, "chunk %u missing", i);
	if ((size_t)n > k->size - k->taken)
		return refuse(why, cap, "chunk %u longer than the manifest's size", i);
	k->taken += (size_t)n;
	return sink_put(k, natsMsg_GetData(m), (size_t)n, why, cap);
}

int hl_blob_fetch(struct hl_cluster *c, const char *subject, uint64_t first_seq,
		  const char *upload_id, unsigned chunks, size_t size, const char *encoding,
		  size_t raw_size, const char *digest, int *fd, char *why, size_t whycap)
{
	natsSubscription *sub = NULL;
	bool zstd = encoding && !strcmp(encoding, "zstd");
	struct sink k;
	char hex[HL_ID_HEX];
	int rc;

	*fd = -1;
	if (encoding && !zstd)
		return refuse(why, whycap, "unknown encoding \"%.40s\"", encoding);
	if (!zstd)
		raw_size = size;
	rc = sink_open(&k, zstd, size, raw_size, why, whycap);
	if (rc == 0 && hl_cluster_ordered(c, &sub, subject, first_seq) != NATS_OK) {
		sink_close(&k, false);
		(void)refuse(why, whycap, "cannot read the blob (%u chunks)", chunks);
		return HL_BLOB_RETRY;
	}
	for (unsigned i = 0; i < chunks && rc == 0; i++) {
		natsMsg *m = NULL;

		if (natsSubscription_NextMsg(&m, sub, CHUNK_WAIT_MS) != NATS_OK)
			rc = refuse(why, whycap, "chunk %u missing", i);
		else
			rc = take_chunk(m, upload_id, i, &k, why, whycap);
		natsMsg_Destroy(m);
	}
	if (sub) {
		natsSubscription_Unsubscribe(sub);
		natsSubscription_Destroy(sub);
	}
	if (rc == 0 && k.taken != size)
		rc = refuse(why, whycap, "blob shorter than the manifest's size (%u chunks)",
			    chunks);
	if (rc == 0 && zstd && k.left != 0)
		rc = refuse(why, whycap, "compressed data truncated");
	else if (rc == 0 && k.out.pos != raw_size)
		rc = refuse(why, whycap, "decompresses to %zu bytes, the manifest says %zu",
			    k.out.pos, raw_size);
	if (rc == 0) {
		hl_cluster_digest(k.map, raw_size, hex);
		if (strcmp(hex, digest))
			rc = refuse(why, whycap, "digest mismatch (%u chunks)", chunks);
	}
	*fd = sink_close(&k, rc == 0);
	return rc == 0 && *fd >= 0 ? 0 : -1;
}
