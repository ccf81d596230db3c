/* SPDX-License-Identifier: MIT */
/*
 * hotlist_cluster — scale-out of hotlist on NATS JetStream (docs/cluster.md).
 *
 * This library is the only part of hotlist that knows NATS. It uses the core
 * library through include/hotlist.h alone. The wire format (subjects,
 * streams, buckets, message bodies) is fixed here and documented in
 * docs/cluster.md; producers written later (an MQTT bridge, an alprd HTTP
 * gateway) publish reads with hl_cluster_publish_read() or follow that page.
 *
 *   stream HL_READS  hl.read.<site>   memory (or file), limits retention, MaxAge, DiscardNew
 *   stream HL_HITS   hl.hit.<list>    file, de-dup window > any redelivery horizon
 *   stream HL_EDITS  hl.edit.<list>   file, one message per put/remove
 *   stream HL_BLOBS  hl.blob.<list>.<version>  128 KiB chunks of a list file (zstd)
 *   KV HL_LISTS      <list> -> manifest (JSON), written last, compare-and-swap
 *   KV HL_NODES      <node> -> status (JSON), heartbeat every second, TTL
 *
 * Threads: a struct hl_cluster may be used from several threads (libnats
 * connections and contexts are thread-safe); the async-publish counters are
 * under its own mutex.
 */
#ifndef HOTLIST_CLUSTER_H
#define HOTLIST_CLUSTER_H

#include "hotlist.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_STREAM_READS "HL_READS"
#define HL_STREAM_HITS "HL_HITS"
#define HL_STREAM_EDITS "HL_EDITS"
#define HL_STREAM_BLOBS "HL_BLOBS"
#define HL_KV_LISTS "HL_LISTS"
#define HL_KV_NODES "HL_NODES"
/* On the hub: the last status of every node on a car (a leaf node with a
 * JetStream domain of its own), sourced from each car's HL_NODES bucket by
 * `hotlist car setup`; one message per node, kept while the car is offline. */
#define HL_STREAM_CARS "HL_CARS"
#define HL_SUBJ_READ "hl.read"
#define HL_SUBJ_HIT "hl.hit"
#define HL_SUBJ_EDIT "hl.edit"
#define HL_SUBJ_BLOB "hl.blob"

/* List blobs are cut into chunks well under the server's 1 MB message limit. */
#define HL_BLOB_CHUNK (128 * 1024)
/* Header names on chunk messages: which upload and which chunk. */
#define HL_HDR_UPLOAD "Hl-Upload"
#define HL_HDR_CHUNK "Hl-Chunk"
/* A node counts as live when its status is younger than this. */
#define HL_NODE_LIVE_US (15 * 1000000LL) /* > a leader election plus a timed-out call */
/* Text of an id: XXH3-128 in hex. */
#define HL_ID_HEX 33
#define HL_NODE_NAME_MAX 63
#define HL_SITE_MAX 63

#define HL_NS_PER_S 1000000000LL

/* Stream limits chosen by whoever creates the streams first. */
struct hl_cluster_limits {
	int replicas; /* 0 = min(3, servers known to the connection) */
	int64_t read_max_age_s; /* how long an unmatched read may wait: privacy bound */
	int64_t read_max_bytes; /* memory held by the read stream (per replica) */
	int64_t hit_max_age_s; /* how long hits are kept */
	/* Storage of the read stream: HL_READ_STORAGE_ANY uses an existing stream
	 * as it is and creates it in memory; js_MemoryStorage or js_FileStorage
	 * creates it so and refuses an existing stream with the other storage
	 * (docs/cluster.md, "Where reads are kept"). */
	int read_storage;
	/* Make sure the read stream exists (commands that neither publish nor
	 * pull reads leave its creation to those that do, with their options). */
	bool reads;
};

#define HL_READ_STORAGE_ANY (-1)

/* Defaults: 15 minutes, 256 MiB, 30 days, storage as found (else memory),
 * read stream made. */
void hl_cluster_limits_init(struct hl_cluster_limits *l);

struct hl_cluster {
	natsConnection *nc;
	jsCtx *js;
	kvStore *lists; /* HL_LISTS */
	kvStore *nodes; /* HL_NODES */
	int replicas;
	/* Async publishes: each one ends in exactly one of acked/failed, or is
	 * taken back by hl_cluster_async_wait() on timeout (counted failed). */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t sent, acked, failed, duplicates;
	char last_error[160];
};

/*
 * Connect to the servers in urls ("nats://h:p,nats://h:p"; reconnects
 * forever), make sure every stream and bucket exists (created with lim when
 * absent; existing ones are used as they are), and open the buckets.
 * 0, or -1 with a message on stderr.
 */
int hl_cluster_open(struct hl_cluster *c, const char *urls, const struct hl_cluster_limits *lim);
void hl_cluster_close(struct hl_cluster *c);
/* The streams again, as hl_cluster_open() makes them when absent: a
 * single server (a laptop, a car) does not keep a memory stream across its
 * restart. 0, or -1 with a message on stderr. */
int hl_cluster_ensure_streams(struct hl_cluster *c, const struct hl_cluster_limits *lim);

/* The durable pull consumer of the read stream for a site ("" = every site). */
int hl_cluster_reads_consumer(struct hl_cluster *c, const char *site, int64_t ack_wait_ms,
			      char *durable, size_t cap);

/* Publish asynchronously with de-duplication id msg_id (may be NULL); the
 * outcome is counted in c->acked/failed. Retries while the library stalls. */
int hl_cluster_async(struct hl_cluster *c, const char *subject, const void *data, size_t len,
		     const char *msg_id);
/* The same for a message the caller built (with headers of its own); takes m. */
int hl_cluster_async_msg(struct hl_cluster *c, natsMsg *m);
/* Wait until every async publish so far has an outcome or timeout_ms passed
 * (then the rest are taken back and counted failed). Returns the number of
 * failures since *failed_before (and updates it). */
uint64_t hl_cluster_async_wait(struct hl_cluster *c, int64_t timeout_ms, uint64_t *failed_before);

/* Every key of a bucket with its latest value parsed as JSON, in one object
 * (values that are not JSON objects are skipped). NULL on error: never a
 * partial answer. */
struct json_t;
struct json_t *hl_cluster_kv_all(struct hl_cluster *c, kvStore *kv);

/* The last message of every subject of stream under filter (a wildcard
 * subject), keyed by the subject's last token, parsed as JSON; a message
 * that is not a JSON object (a KV delete marker: a node stopped) maps to
 * JSON null. NULL on error, an empty object when the stream is absent. */
struct json_t *hl_cluster_last_per_subject(struct hl_cluster *c, const char *stream,
					   const char *filter);

/* An ordered consumer on subject from start_seq (0 = all), retried where a
 * create times out (see setup.c). */
natsStatus hl_cluster_ordered(struct hl_cluster *c, natsSubscription **sub, const char *subject,
			      uint64_t start_seq);

/* Last sequence of a stream, or 0 (empty); -1 on error. */
int hl_cluster_stream_last(struct hl_cluster *c, const char *stream, uint64_t *last);

/* ---- Wire format ---------------------------------------------------------- */

/* One read as published on hl.read.<site>. Strings may be NULL. */
struct hl_cluster_read {
	const char *plate;
	const char *country;
	const char *camera;
	int64_t ts_us;
	const char *const *candidates;
	unsigned n_candidates;
	const char *site; /* also the subject token; NULL/"" = "default" */
	const char *uuid; /* the camera's frame id, to trace a hit to its image */
	double confidence; /* < 0: absent */
	const char *read_id; /* NULL: hl_cluster_read_id() is used */
};

/* Deterministic read id from site, camera, time, plate (hex XXH3-128). */
void hl_cluster_read_id(const struct hl_cluster_read *r, char id[HL_ID_HEX]);

/* The seam for producers: publish one read (JSON body, Nats-Msg-Id = read
 * id) asynchronously; outcome counted as for hl_cluster_async(). */
int hl_cluster_publish_read(struct hl_cluster *c, const struct hl_cluster_read *r);

/* Hit id: read id + list + entry (plate, country, category). */
void hl_cluster_hit_id(const char *read_id, const struct hotlist_hit *h, char id[HL_ID_HEX]);

/* A subject token must be non-empty and hold no '.', '*', '>' or space. */
bool hl_cluster_token_ok(const char *s);

/* XXH3-128 of bytes, hex. */
void hl_cluster_digest(const void *data, size_t len, char hex[HL_ID_HEX]);

int64_t hl_cluster_now_us(void);

/* Split "a,b,c" into a NULL-terminated array of copies; free with hl_cluster_free_split. */
char **hl_cluster_split(const char *s, int *n);
void hl_cluster_free_split(char **v);

/* ---- List blobs ------------------------------------------------------------ */

/* Test-only damage to an upload, to prove that nodes refuse it. */
struct hl_blob_damage {
	int drop_chunk; /* -1 = none: this chunk is not published */
	int corrupt_chunk; /* -1 = none: one byte of this chunk is flipped after the digest */
};

/* zstd level of list blobs (1 vs 3: docs/cluster.md). */
#define HL_BLOB_ZSTD_LEVEL 1

/* Upload data as chunks on subject, zstd-compressed at zstd_level while
 * chunking (0: plain); *first_seq receives chunk 0's stream sequence, *stored
 * the bytes uploaded (the compressed size). 0, or -1 with a message on stderr. */
int hl_blob_upload(struct hl_cluster *c, const char *subject, const char *upload_id,
		   const void *data, size_t len, int zstd_level, const struct hl_blob_damage *dmg,
		   uint64_t *first_seq, unsigned *chunks, size_t *stored);

/* Read a blob back: `chunks` chunks of upload_id from first_seq on, in order,
 * size bytes in all; with encoding "zstd", decompressed to exactly raw_size
 * bytes (never more: a blob that decompresses beyond it is refused), NULL =
 * plain (raw_size unused); XXH3-128 of the file equal to digest. 0 with *fd
 * a memory file (memfd, close-on-exec) holding the verified list file (raw_size
 * or size bytes; chunks are decompressed into it as they arrive, no other copy
 * is held), -1 with the reason in why, or
 * HL_BLOB_RETRY when the servers could not be asked (no verdict on the blob:
 * try again later). */
#define HL_BLOB_RETRY (-2)
int hl_blob_fetch(struct hl_cluster *c, const char *subject, uint64_t first_seq,
		  const char *upload_id, unsigned chunks, size_t size, const char *encoding,
		  size_t raw_size, const char *digest, int *fd, char *why, size_t whycap);

/* Node entry point (cluster/node.c). */
struct hl_node_opts {
	const char *nats;
	const char *name;
	const char **sites; /* NULL-terminated; empty = every site */
	int http_port; /* 0 = no HTTP */
	const char *http_addr; /* default 127.0.0.1 */
	int64_t ack_wait_ms;
	int batch;
	double max_bad;
	bool unsafe_ack_early; /* TESTS ONLY: ack reads before their hits are stored */
	struct hl_cluster_limits limits;
};

int hl_node_run(const struct hl_node_opts *o);

/* Tiny HTTP responder for /healthz and /metrics (cluster/http.c). The
 * callback fills body (malloc'd) and returns the status code. */
typedef int (*hl_http_fn)(const char *path, char **body, void *user);
struct hl_http;
struct hl_http *hl_http_start(const char *addr, int port, hl_http_fn fn, void *user);
void hl_http_stop(struct hl_http *h);

#endif /* HOTLIST_CLUSTER_H */
