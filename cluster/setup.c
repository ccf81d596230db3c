/* SPDX-License-Identifier: MIT */
/*
 * Connection and the one place where every stream, bucket and consumer of the
 * cluster is declared (docs/cluster.md, "Wire format"). Creation is
 * idempotent: whoever comes first creates, everyone else uses what exists.
 *
 * Async publishing: libnats reports the outcome of js_PublishAsync only to
 * the ack handler (js_PublishAsyncComplete returns OK even when publishes
 * failed), so every outcome is counted here and callers wait on the counts.
 */
#include "cluster.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Hits must be de-duplicated for longer than a read can be redelivered: a read
 * lives at most read_max_age_s in its stream, so the window is that plus this. */
#define HIT_DEDUP_MARGIN_S (15 * 60)
/* Node status entries vanish this long after a node's last heartbeat. */
#define NODES_TTL_S 60
/* Manifest history kept per list. */
#define LISTS_HISTORY 8
/* Tries of a stream lookup that times out (jsOptions.Wait each). */
#define SETUP_TRIES 3
/* Outstanding async publishes before libnats stalls the publisher. */
#define ASYNC_MAX_PENDING 4096
/* A stalled publisher with no acknowledgement at all for this long gives the
 * outstanding publishes up as failed (see hl_cluster_async_msg()). */
#define ASYNC_STALL_GIVE_UP_US (10 * 1000000LL)

void hl_cluster_limits_init(struct hl_cluster_limits *l)
{
	l->replicas = 0;
	l->read_max_age_s = 15 * 60;
	l->read_max_bytes = 256LL << 20;
	l->hit_max_age_s = 30LL * 24 * 3600;
	l->read_storage = HL_READ_STORAGE_ANY;
	l->reads = true;
}

static const char *storage_name(jsStorageType t)
{
	return t == js_FileStorage ? "file" : "memory";
}

int64_t hl_cluster_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char **hl_cluster_split(const char *s, int *n)
{
	char *copy = strdup(s ? s : "");
	char **v = calloc(strlen(copy) / 2 + 2, sizeof(*v));
	char *save = NULL;
	int k = 0;

	if (!copy || !v) {
		free(copy);
		free(v);
		return NULL;
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (*t)
			v[k++] = strdup(t);
	free(copy);
	*n = k;
	return v;
}

void hl_cluster_free_split(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

bool hl_cluster_token_ok(const char *s)
{
	if (!s || !*s || strlen(s) > HL_SITE_MAX)
		return false;
	for (; *s; s++)
		if (*s == '.' || *s == '*' || *s == '>' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct hl_cluster *c = closure;

	(void)js;
	pthread_mutex_lock(&c->mu);
	if (pa && !pae) {
		c->acked++;
		c->duplicates += pa->Duplicate;
	} else {
		c->failed++;
		snprintf(c->last_error, sizeof(c->last_error), "%s",
			 pae && pae->ErrText ? pae->ErrText :
			 pae		     ? natsStatus_GetText(pae->Err) :
					       "no acknowledgement");
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	natsMsg_Destroy(msg);
}

int hl_cluster_async(struct hl_cluster *c, const char *subject, const void *data, size_t len,
		     const char *msg_id)
{
	natsMsg *m = NULL;
	natsStatus s = natsMsg_Create(&m, subject, NULL, data, (int)len);

	if (s == NATS_OK && msg_id)
		s = natsMsgHeader_Set(m, "Nats-Msg-Id", msg_id);
	if (s != NATS_OK) {
		natsMsg_Destroy(m);
		return -1;
	}
	return hl_cluster_async_msg(c, m);
}

/* Take back every publish without an answer, counted as failed: libnats
 * then discards a late acknowledgement. */
static void take_back(struct hl_cluster *c, const char *why)
{
	natsMsgList pending = { 0 };

	if (js_PublishAsyncGetPendingList(&pending, c->js) != NATS_OK)
		return;
	pthread_mutex_lock(&c->mu);
	c->failed += (uint64_t)pending.Count;
	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	natsMsgList_Destroy(&pending);
}

static uint64_t answered(struct hl_cluster *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->mu);
	n = c->acked + c->failed;
	pthread_mutex_unlock(&c->mu);
	return n;
}

int hl_cluster_async_msg(struct hl_cluster *c, natsMsg *m)
{
	int64_t since = 0;
	uint64_t seen = 0;
	natsStatus s;

	pthread_mutex_lock(&c->mu);
	c->sent++;
	pthread_mutex_unlock(&c->mu);
	/*
	 * NATS_TIMEOUT: too many outstanding (libnats waited 200 ms); the
	 * message is still ours. Publishes sent to a server that then died are
	 * never answered, and libnats 3.4.1 never times them out: with its
	 * window full of them it stalls every publish for ever (`feed` hung
	 * after a server SIGKILL in cluster_exactly_once under load). After
	 * ASYNC_STALL_GIVE_UP_US without a single answer they are taken back as
	 * failed, as hl_cluster_async_wait() does at its deadline: the caller
	 * reports them (feed exits 1, a node naks its batch) and a retry is
	 * safe (message ids).
	 */
	while ((s = js_PublishMsgAsync(c->js, &m, NULL)) == NATS_TIMEOUT) {
		int64_t now = hl_cluster_now_us();
		uint64_t a = answered(c);

		if (!since || a != seen) {
			since = now;
			seen = a;
		} else if (now - since > ASYNC_STALL_GIVE_UP_US) {
			take_back(c, "no acknowledgement for 10 s (a server died?)");
			since = 0;
		}
	}
	if (s != NATS_OK) {
		natsMsg_Destroy(m);
		pthread_mutex_lock(&c->mu);
		c->failed++;
		snprintf(c->last_error, sizeof(c->last_error), "%s", natsStatus_GetText(s));
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		return -1;
	}
	return 0;
}

uint64_t hl_cluster_async_wait(struct hl_cluster *c, int64_t timeout_ms, uint64_t *failed_before)
{
	struct timespec dl;
	uint64_t f;
	bool late = false;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->mu);
	while (c->acked + c->failed < c->sent && !late)
		late = pthread_cond_timedwait(&c->cv, &c->mu, &dl) == ETIMEDOUT;
	pthread_mutex_unlock(&c->mu);
	if (late) {
		/* Take back what has no answer: a late ack is then discarded by
		 * libnats, and each taken-back message counts as failed. */
		char why[64];

		snprintf(why, sizeof(why), "no acknowledgement in %lld ms", (long long)timeout_ms);
		take_back(c, why);
	}
	pthread_mutex_lock(&c->mu);
	f = c->failed - *failed_before;
	*failed_before = c->failed;
	pthread_mutex_unlock(&c->mu);
	return f;
}

static int nats_fail(const char *what, natsStatus s, jsErrCode e)
{
	fprintf(stderr, "hotlist: %s: %s", what, natsStatus_GetText(s));
	if (e)
		fprintf(stderr, " (JetStream error %d)", (int)e);
	fprintf(stderr, "\n");
	return -1;
}

/*
 * An existing stream is used as it is, but where the caller asked for a
 * storage (check_storage) and the stream has the other one, it is refused:
 * the operator asked either that reads survive two servers restarting (file)
 * or that they never reach a disk (memory), and would silently have neither.
 */
static int storage_ok(const jsStreamInfo *si, const jsStreamConfig *cfg, bool check_storage)
{
	if (!check_storage || !si->Config || si->Config->Storage == cfg->Storage)
		return 0;
	fprintf(stderr,
		"hotlist: stream %s exists with %s storage, not the %s storage asked for "
		"(--read-storage); a stream's storage cannot be changed: drain it and delete it "
		"to make it again, or start without --read-storage to use it as it is "
		"(docs/cluster.md, \"Where reads are kept\")\n",
		cfg->Name, storage_name(si->Config->Storage), storage_name(cfg->Storage));
	return -1;
}

/* Create the stream if absent; an existing stream is used as it is (but see
 * storage_ok()). */
static int ensure_stream(struct hl_cluster *c, jsStreamConfig *cfg, bool check_storage)
{
	jsStreamInfo *si = NULL;
	jsErrCode e = 0;
	natsStatus s;
	int rc;
	int tries = 0;

	/* A timeout while a stream elects a new leader (seconds after a server
	 * dies) is retried; without a quorum every try times out: loud failure. */
	do
		s = js_GetStreamInfo(&si, c->js, cfg->Name, NULL, &e);
	while (s == NATS_TIMEOUT && ++tries < SETUP_TRIES);

	if (s == NATS_OK) {
		rc = storage_ok(si, cfg, check_storage);
		jsStreamInfo_Destroy(si);
		return rc;
	}
	if (s != NATS_NOT_FOUND && e != JSStreamNotFoundErr)
		return nats_fail(cfg->Name, s, e);
	s = js_AddStream(&si, c->js, cfg, NULL, &e);
	if (s != NATS_OK) {
		/* Someone else may have created it meanwhile. */
		if (js_GetStreamInfo(&si, c->js, cfg->Name, NULL, NULL) != NATS_OK)
			return nats_fail(cfg->Name, s, e);
	}
	rc = storage_ok(si, cfg, check_storage);
	jsStreamInfo_Destroy(si);
	return rc;
}

static void stream_cfg(jsStreamConfig *cfg, const char *name, const char **subj,
		       jsStorageType storage, int replicas)
{
	jsStreamConfig_Init(cfg);
	cfg->Name = name;
	cfg->Subjects = subj;
	cfg->SubjectsLen = 1;
	cfg->Retention = js_LimitsPolicy;
	cfg->Storage = storage;
	cfg->Replicas = replicas;
}

static int ensure_streams(struct hl_cluster *c, const struct hl_cluster_limits *lim)
{
	static const char *reads[] = { HL_SUBJ_READ ".>" }, *hits[] = { HL_SUBJ_HIT ".>" },
			  *edits[] = { HL_SUBJ_EDIT ".>" }, *blobs[] = { HL_SUBJ_BLOB ".>" };
	jsStreamConfig cfg;

	/* Reads: memory by default (non-hit reads never reach a disk, but two of
	 * three servers restarting can lose them), file on request (they survive
	 * that, on disk up to MaxAge); refuse the producer when full rather than
	 * drop the oldest unmatched read. */
	stream_cfg(&cfg, HL_STREAM_READS, reads,
		   lim->read_storage == js_FileStorage ? js_FileStorage : js_MemoryStorage,
		   c->replicas);
	cfg.MaxAge = lim->read_max_age_s * HL_NS_PER_S;
	cfg.MaxBytes = lim->read_max_bytes;
	cfg.Discard = js_DiscardNew;
	cfg.Duplicates = 2 * 60 * HL_NS_PER_S;
	if (cfg.Duplicates > cfg.MaxAge) /* the server refuses a window beyond MaxAge */
		cfg.Duplicates = cfg.MaxAge;
	if (lim->reads && ensure_stream(c, &cfg, lim->read_storage != HL_READ_STORAGE_ANY))
		return -1;
	stream_cfg(&cfg, HL_STREAM_HITS, hits, js_FileStorage, c->replicas);
	cfg.MaxAge = lim->hit_max_age_s * HL_NS_PER_S;
	cfg.Duplicates = (lim->read_max_age_s + HIT_DEDUP_MARGIN_S) * HL_NS_PER_S;
	if (cfg.Duplicates > cfg.MaxAge)
		cfg.Duplicates = cfg.MaxAge;
	if (ensure_stream(c, &cfg, false))
		return -1;
	stream_cfg(&cfg, HL_STREAM_EDITS, edits, js_FileStorage, c->replicas);
	if (ensure_stream(c, &cfg, false))
		return -1;
	stream_cfg(&cfg, HL_STREAM_BLOBS, blobs, js_FileStorage, c->replicas);
	return ensure_stream(c, &cfg, false);
}

static int ensure_kv(struct hl_cluster *c, kvStore **kv, const char *bucket, int history,
		     int64_t ttl_s)
{
	kvConfig cfg;
	natsStatus s = js_KeyValue(kv, c->js, bucket);

	if (s == NATS_OK)
		return 0;
	kvConfig_Init(&cfg);
	cfg.Bucket = bucket;
	cfg.History = (uint8_t)history;
	cfg.TTL = ttl_s * HL_NS_PER_S;
	cfg.StorageType = js_FileStorage;
	cfg.Replicas = c->replicas;
	s = js_CreateKeyValue(kv, c->js, &cfg);
	if (s != NATS_OK && js_KeyValue(kv, c->js, bucket) != NATS_OK)
		return nats_fail(bucket, s, 0);
	return 0;
}

/* Replicas: as asked, or min(3, servers the connection knows of). */
static int pick_replicas(struct hl_cluster *c, int asked)
{
	char **servers = NULL;
	int n = 0;

	if (asked > 0)
		return asked;
	if (natsConnection_GetServers(c->nc, &servers, &n) != NATS_OK)
		n = 1;
	for (int i = 0; i < n; i++)
		free(servers[i]);
	free(servers);
	return n >= 3 ? 3 : 1;
}

/* Runs on libnats's callback thread, maybe after hl_cluster_close() has
 * freed the struct hl_cluster: it looks at the connection only (libnats keeps
 * it alive for its callbacks). A connection being closed is not news. */
static void on_disconnected(natsConnection *nc, void *closure)
{
	(void)closure;
	if (natsConnection_IsClosed(nc))
		return;
	fprintf(stderr, "hotlist: disconnected from NATS; reconnecting\n");
}

int hl_cluster_ensure_streams(struct hl_cluster *c, const struct hl_cluster_limits *lim)
{
	return ensure_streams(c, lim);
}

int hl_cluster_open(struct hl_cluster *c, const char *urls, const struct hl_cluster_limits *lim)
{
	natsOptions *o = NULL;
	jsOptions jo;
	char **v;
	int n = 0;
	natsStatus s;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	v = hl_cluster_split(urls && *urls ? urls : "nats://127.0.0.1:4222", &n);
	if (!v || n == 0) {
		hl_cluster_free_split(v);
		fprintf(stderr, "hotlist: --nats: no server URL\n");
		return -1;
	}
	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetServers(o, (const char **)v, n);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, 250);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(o, false, NULL, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(o, on_disconnected, NULL);
	if (s == NATS_OK)
		s = natsConnection_Connect(&c->nc, o);
	natsOptions_Destroy(o);
	hl_cluster_free_split(v);
	if (s != NATS_OK)
		return nats_fail("connect", s, 0);
	jsOptions_Init(&jo);
	jo.Wait = 5000; /* ms: a JetStream API call or synchronous publish */
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.AckHandlerClosure = c;
	jo.PublishAsync.MaxPending = ASYNC_MAX_PENDING;
	s = natsConnection_JetStream(&c->js, c->nc, &jo);
	if (s != NATS_OK)
		return nats_fail("JetStream", s, 0);
	c->replicas = pick_replicas(c, lim->replicas);
	if (ensure_streams(c, lim) || ensure_kv(c, &c->lists, HL_KV_LISTS, LISTS_HISTORY, 0) ||
	    ensure_kv(c, &c->nodes, HL_KV_NODES, 1, NODES_TTL_S))
		return -1;
	return 0;
}

void hl_cluster_close(struct hl_cluster *c)
{
	if (c->nc)
		natsConnection_Flush(c->nc);
	kvStore_Destroy(c->lists);
	kvStore_Destroy(c->nodes);
	jsCtx_Destroy(c->js);
	natsConnection_Destroy(c->nc);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	memset(c, 0, sizeof(*c));
}

int hl_cluster_reads_consumer(struct hl_cluster *c, const char *site, int64_t ack_wait_ms,
			      char *durable, size_t cap)
{
	char filter[128];
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsErrCode e = 0;
	natsStatus s;

	snprintf(durable, cap, "hl-%s%s", site && *site ? "site-" : "nodes",
		 site && *site ? site : "");
	snprintf(filter, sizeof(filter), "%s.%s", HL_SUBJ_READ, site && *site ? site : ">");
	if (js_GetConsumerInfo(&ci, c->js, HL_STREAM_READS, durable, NULL, &e) == NATS_OK) {
		jsConsumerInfo_Destroy(ci);
		return 0;
	}
	jsConsumerConfig_Init(&cc);
	cc.Durable = durable;
	cc.AckPolicy = js_AckExplicit;
	cc.AckWait = ack_wait_ms * 1000000;
	cc.MaxDeliver = -1; /* a read is never given up on while it is in the stream */
	cc.MaxAckPending = 20000;
	cc.FilterSubject = filter;
	s = js_AddConsumer(&ci, c->js, HL_STREAM_READS, &cc, NULL, &e);
	if (s != NATS_OK &&
	    js_GetConsumerInfo(&ci, c->js, HL_STREAM_READS, durable, NULL, NULL) != NATS_OK)
		return nats_fail("read consumer", s, e);
	jsConsumerInfo_Destroy(ci);
	return 0;
}

/*
 * Ordered consumers are ephemeral consumers. nats-server 2.9.10
 * may place one on a peer of the stream that is down (seen for minutes after
 * a server of three died): the create times out, and a retry lands on
 * another peer. A lost quorum makes every try time out: loud failure.
 */
/*
 * The stream that holds subject, named rather than looked up: on a car the
 * edit and blob streams are mirrors of the hub's, which have no subjects to
 * be found by (tools/cmd_car.c). NULL (look it up) for other subjects.
 */
static const char *stream_of(const char *subject)
{
	static const struct {
		const char *prefix, *stream;
	} map[] = { { HL_SUBJ_EDIT ".", HL_STREAM_EDITS },
		    { HL_SUBJ_BLOB ".", HL_STREAM_BLOBS },
		    { HL_SUBJ_HIT ".", HL_STREAM_HITS } };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(subject, map[i].prefix, strlen(map[i].prefix)))
			return map[i].stream;
	return NULL;
}

natsStatus hl_cluster_ordered(struct hl_cluster *c, natsSubscription **sub, const char *subject,
			      uint64_t start_seq)
{
	jsSubOptions so;
	natsStatus s;
	int tries = 0;

	jsSubOptions_Init(&so);
	so.Stream = stream_of(subject);
	so.Ordered = true;
	so.Config.DeliverPolicy = start_seq ? js_DeliverByStartSequence : js_DeliverAll;
	so.Config.OptStartSeq = start_seq;
	while ((s = js_SubscribeSync(sub, c->js, subject, NULL, &so, NULL)) != NATS_OK &&
	       ++tries < SETUP_TRIES)
		;
	return s;
}

/*
 * Every key's latest value without a watcher: the keys from the stream's
 * subject list, then one get each (answered by the stream, no consumer).
 * Cluster status is asked for often, and right after a server dies.
 */
struct json_t *hl_cluster_kv_all(struct hl_cluster *c, kvStore *kv)
{
	char stream[80], filter[96];
	json_t *all = json_object();
	jsStreamInfo *si = NULL;
	jsOptions jo;
	natsStatus s = NATS_ERR;
	int tries = 0;

	snprintf(stream, sizeof(stream), "KV_%s", kvStore_Bucket(kv));
	snprintf(filter, sizeof(filter), "$KV.%s.>", kvStore_Bucket(kv));
	jsOptions_Init(&jo);
	jo.Stream.Info.SubjectsFilter = filter;
	while (all && (s = js_GetStreamInfo(&si, c->js, stream, &jo, NULL)) == NATS_TIMEOUT &&
	       ++tries < SETUP_TRIES)
		;
	if (s != NATS_OK) {
		json_decref(all);
		return NULL;
	}
	for (int i = 0; si->State.Subjects && i < si->State.Subjects->Count; i++) {
		const char *key = si->State.Subjects->List[i].Subject + strlen(filter) - 1;
		kvEntry *e = NULL;
		json_t *v;

		s = kvStore_Get(&e, kv, key);
		if (s == NATS_NOT_FOUND)
			continue; /* deleted or purged */
		if (s != NATS_OK) {
			json_decref(all);
			all = NULL;
			break;
		}
		v = json_loadb(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), 0, NULL);
		if (json_is_object(v))
			json_object_set_new(all, key, v);
		else
			json_decref(v);
		kvEntry_Destroy(e);
	}
	jsStreamInfo_Destroy(si);
	return all;
}

struct json_t *hl_cluster_last_per_subject(struct hl_cluster *c, const char *stream,
					   const char *filter)
{
	json_t *all = json_object();
	jsStreamInfo *si = NULL;
	jsErrCode e = 0;
	jsOptions jo;
	natsStatus s = NATS_ERR;
	int tries = 0;

	jsOptions_Init(&jo);
	jo.Stream.Info.SubjectsFilter = filter;
	while (all && (s = js_GetStreamInfo(&si, c->js, stream, &jo, &e)) == NATS_TIMEOUT &&
	       ++tries < SETUP_TRIES)
		;
	if (s == NATS_NOT_FOUND || e == JSStreamNotFoundErr)
		return all;
	if (s != NATS_OK) {
		json_decref(all);
		return NULL;
	}
	for (int i = 0; all && si->State.Subjects && i < si->State.Subjects->Count; i++) {
		const char *subj = si->State.Subjects->List[i].Subject;
		const char *key = strrchr(subj, '.') ? strrchr(subj, '.') + 1 : subj;
		natsMsg *m = NULL;
		json_t *v;

		s = js_GetLastMsg(&m, c->js, stream, subj, NULL, NULL);
		if (s == NATS_NOT_FOUND)
			continue;
		if (s != NATS_OK) {
			json_decref(all);
			all = NULL;
			break;
		}
		v = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
		json_object_set_new(all, key, json_is_object(v) ? v : json_null());
		if (!json_is_object(v))
			json_decref(v);
		natsMsg_Destroy(m);
	}
	jsStreamInfo_Destroy(si);
	return all;
}

int hl_cluster_stream_last(struct hl_cluster *c, const char *stream, uint64_t *last)
{
	jsStreamInfo *si = NULL;
	natsStatus s = js_GetStreamInfo(&si, c->js, stream, NULL, NULL);

	if (s != NATS_OK)
		return nats_fail(stream, s, 0);
	*last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	return 0;
}
