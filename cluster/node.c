/* SPDX-License-Identifier: MIT */
/*
 * `hotlist node`: a matcher node (docs/cluster.md).
 *
 * Threads:
 *  - lists:  watches KV HL_LISTS; applies each manifest as one replace
 *            (hotlist_load_csv of the verified blob), or refuses it;
 *  - edits:  an ordered consumer over hl.edit.>; applies puts and removes in
 *            stream order;
 *  - status: every second writes this node's status to KV HL_NODES;
 *  - main:   once ready, pulls reads, matches them, publishes the hits and
 *            acks the reads.
 *
 * Guarantees, and how they are kept:
 *  1. Ready only after every manifest and every edit present at start is
 *     applied or refused: the watcher's end-of-initial-values marker AND the
 *     highest revision seen >= the bucket's last sequence at start (the
 *     marker alone can come early); the edit consumer has passed the edit
 *     stream's last sequence at start. No read is pulled before.
 *  2. A read is acked only after the server acknowledged every hit it
 *     produced (counted by the ack handler, never by the return of
 *     js_PublishAsyncComplete). A failure naks the whole batch; the
 *     redelivered reads produce the same hit ids (read id + list + entry),
 *     which the hit stream's de-duplication window drops.
 *  3. Edits vs. replaces: a manifest records the last edit sequence E its
 *     blob supersedes. Edits with sequence <= E of the current manifest are
 *     skipped; later ones are applied and kept in a per-list log until the
 *     next manifest, which replays the log's entries > E after loading (an
 *     edit may reach the node before the manifest that supersedes it, or be
 *     applied to the old list while the new one loads). Replaying put/remove
 *     in order from any start gives the same result for every entry the
 *     sequence touches, so the replay is idempotent. While a replay is
 *     pending, matching is held off (match_lock) so no read sees the new
 *     list without its edits.
 *  4. A version that cannot be fetched, fails its digest or size, or that
 *     hotlist_load_csv() refuses (bad rows, header only) leaves the live
 *     list as it was and is reported as refused. The shrink guard is not
 *     applied: a verified blob is never a file cut short.
 */
#include "cluster.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DELAYS_KEPT 4096 /* edit propagation delays kept for /metrics */
#define IDLE_WAIT_MS 500 /* watcher / edit consumer wait before checking for stop */
#define FETCH_WAIT_MS 200 /* pull wait when no read is pending */
#define READS_CHECK_MS 2000 /* idle this long: check the read consumer still exists */
#define HIT_ACK_WAIT_MS 15000 /* longest wait for the server to store a batch's hits */
#define NAK_DELAY_MS 500 /* a batch whose hits were not stored comes back after this */

struct edit_rec {
	uint64_t seq;
	char *json;
};

struct list_state {
	char name[HOTLIST_NAME_MAX + 1];
	uint64_t applied, refused; /* manifest versions */
	int64_t applied_us, refused_us, apply_us, fetch_us;
	char refused_why[160];
	uint64_t edit_seq; /* edits <= this are in the applied blob */
	struct edit_rec *log; /* edits applied after edit_seq */
	size_t nlog, caplog;
	/* A version is being loaded: edits arriving meanwhile are only logged
	 * (from log[held] on), and applied after it in stream order. The
	 * library keeps edits made during a replace, but a version supersedes
	 * the edits up to its edit_seq, whenever they reach this node. */
	bool loading;
	size_t held;
};

struct pending_hit {
	char id[HL_ID_HEX];
	char subject[HOTLIST_NAME_MAX + 16];
	char *body;
};

struct node {
	const struct hl_node_opts *o;
	struct hl_cluster c;
	struct hotlist *hl;
	pthread_mutex_t mu; /* everything below but the atomics */
	pthread_rwlock_t match_lock; /* read side: a batch being matched */
	struct list_state lists[HOTLIST_LISTS_MAX];
	size_t nlists;
	bool lists_initial, lists_done, edits_done;
	uint64_t lists_last_at_start, lists_rev_seen, edits_last_at_start, edit_seq_seen;
	int64_t started_us;
	char domain[64]; /* the JetStream domain of the node's servers ("" if none) */
	int64_t delays[DELAYS_KEPT];
	uint64_t ndelays;
	uint64_t lag;
	/* lag was asked for in the last status round: a node that cannot ask
	 * reports its lag as unknown (null), never the last figure it had (a
	 * stale 0 said "drained" while reads were waiting: docs/cluster.md) */
	bool lag_known;
	char durables[8][80];
	int ndurables;
	/* counters, written by the main thread, read by status/HTTP */
	atomic_bool js_ok; /* the read consumer answered the last status round */
	atomic_uint_fast64_t reads, hits, bad_reads, naks, hit_failures, refused_total, edits,
		edit_errors;
	/* the batch being matched */
	struct pending_hit *ph;
	size_t nph, capph;
	const char *cur_read_id, *cur_site, *cur_uuid;
	bool oom;
};

static atomic_int stop_flag;

static void on_term(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, 1);
}

static bool stopping(void)
{
	return atomic_load(&stop_flag) != 0;
}

static bool is_ready(struct node *n)
{
	bool r;

	pthread_mutex_lock(&n->mu);
	r = n->lists_done && n->edits_done;
	pthread_mutex_unlock(&n->mu);
	return r;
}

/* The state of list name, created on first use. Under mu. NULL when full. */
static struct list_state *list_get(struct node *n, const char *name)
{
	for (size_t i = 0; i < n->nlists; i++)
		if (!strcmp(n->lists[i].name, name))
			return &n->lists[i];
	if (n->nlists == HOTLIST_LISTS_MAX || strlen(name) > HOTLIST_NAME_MAX)
		return NULL;
	snprintf(n->lists[n->nlists].name, sizeof(n->lists[0].name), "%s", name);
	return &n->lists[n->nlists++];
}

static uint64_t stream_last_seq(struct node *n, const char *stream)
{
	jsStreamInfo *si = NULL;
	uint64_t last = 0;

	while (!stopping()) {
		if (js_GetStreamInfo(&si, n->c.js, stream, NULL, NULL) == NATS_OK) {
			last = si->State.LastSeq;
			jsStreamInfo_Destroy(si);
			return last;
		}
		usleep(200 * 1000);
	}
	return last;
}

/* ---- Edits ----------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Apply one edit body to the engine. 0 or a HOTLIST_E* code. */
static int do_edit(struct node *n, const char *list, const char *body, int64_t *ts_us)
{
	json_error_t err;
	json_t *o = json_loads(body, 0, &err);
	const char *op = o ? jstr(o, "op") : NULL;
	int rc;

	if (!op || !jstr(o, "plate")) {
		json_decref(o);
		return HOTLIST_EINVAL;
	}
	*ts_us = jint(o, "ts_us");
	if (!strcmp(op, "put")) {
		struct hotlist_entry e = {
			.plate = jstr(o, "plate"),
			.country = jstr(o, "country"),
			.category = jstr(o, "category"),
			.reference = jstr(o, "reference"),
			.priority = (unsigned)jint(o, "priority"),
			.valid_from_us = jint(o, "valid_from_us"),
			.expires_us = jint(o, "expires_us"),
			.covert = json_is_true(json_object_get(o, "covert")),
		};
		rc = hotlist_put(n->hl, list, &e);
	} else if (!strcmp(op, "remove")) {
		rc = hotlist_remove(n->hl, list, jstr(o, "plate"), jstr(o, "country"));
		rc = rc == HOTLIST_ENOENT || rc > 0 ? 0 : rc;
	} else {
		rc = HOTLIST_EINVAL;
	}
	json_decref(o);
	return rc;
}

static void note_delay(struct node *n, int64_t ts_us)
{
	if (ts_us > 0)
		n->delays[n->ndelays++ % DELAYS_KEPT] = hl_cluster_now_us() - ts_us;
}

/* Apply one edit to the engine now and count it. Under mu. */
static void apply_now(struct node *n, const char *list, const char *body)
{
	int64_t ts = 0;

	if (do_edit(n, list, body, &ts))
		atomic_fetch_add(&n->edit_errors, 1);
	atomic_fetch_add(&n->edits, 1);
	note_delay(n, ts);
}

static void apply_edit(struct node *n, const char *list, uint64_t seq, const char *body)
{
	struct list_state *ls;
	char *copy;

	pthread_mutex_lock(&n->mu);
	ls = list_get(n, list);
	if (ls && seq > ls->edit_seq) {
		if (!ls->loading)
			apply_now(n, list, body);
		if (ls->nlog == ls->caplog) {
			size_t cap = ls->caplog ? 2 * ls->caplog : 16;
			struct edit_rec *g = realloc(ls->log, cap * sizeof(*g));

			if (g) {
				ls->log = g;
				ls->caplog = cap;
			}
		}
		copy = strdup(body);
		if (copy && ls->nlog < ls->caplog) {
			ls->log[ls->nlog++] = (struct edit_rec){ seq, copy };
		} else {
			free(copy);
			if (ls->loading) /* cannot hold it: apply it now, as before */
				apply_now(n, list, body);
		}
	}
	if (seq > n->edit_seq_seen)
		n->edit_seq_seen = seq;
	if (seq >= n->edits_last_at_start)
		n->edits_done = true;
	pthread_mutex_unlock(&n->mu);
}

static void *edits_main(void *arg)
{
	struct node *n = arg;
	natsSubscription *sub = NULL;
	uint64_t last = stream_last_seq(n, HL_STREAM_EDITS);

	pthread_mutex_lock(&n->mu);
	n->edits_last_at_start = last;
	n->edits_done = last == 0;
	pthread_mutex_unlock(&n->mu);
	while (!stopping() && hl_cluster_ordered(&n->c, &sub, HL_SUBJ_EDIT ".>", 0) != NATS_OK)
		usleep(200 * 1000);
	while (!stopping()) {
		natsMsg *m = NULL;
		jsMsgMetaData *meta = NULL;
		char *body;

		if (natsSubscription_NextMsg(&m, sub, IDLE_WAIT_MS) != NATS_OK)
			continue;
		body = strndup(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
		if (body && natsMsg_GetMetaData(&meta, m) == NATS_OK)
			apply_edit(n, natsMsg_GetSubject(m) + strlen(HL_SUBJ_EDIT "."),
				   meta->Sequence.Stream, body);
		jsMsgMetaData_Destroy(meta);
		free(body);
		natsMsg_Destroy(m);
	}
	if (sub) {
		natsSubscription_Unsubscribe(sub);
		natsSubscription_Destroy(sub);
	}
	return NULL;
}

/* ---- Manifests -------------------------------------------------------------- */

struct manifest {
	uint64_t version, first_seq, edit_seq, prev_revision;
	size_t size, raw_size; /* size: as stored (compressed); raw_size: the list file */
	unsigned chunks;
	const char *subject, *upload, *digest, *encoding; /* encoding NULL: plain */
	bool has_opts;
	struct hotlist_list_options opts;
};

static int parse_manifest(json_t *o, struct manifest *m)
{
	json_t *op = json_object_get(o, "options");

	memset(m, 0, sizeof(*m));
	m->version = (uint64_t)jint(o, "version");
	m->first_seq = (uint64_t)jint(o, "first_seq");
	m->edit_seq = (uint64_t)jint(o, "edit_seq");
	m->prev_revision = (uint64_t)jint(o, "prev_revision");
	m->size = (size_t)jint(o, "size");
	m->chunks = (unsigned)jint(o, "chunks");
	m->subject = jstr(o, "subject");
	m->upload = jstr(o, "upload");
	m->digest = jstr(o, "digest");
	/* Manifests written before blobs were compressed have no encoding. */
	m->encoding = jstr(o, "encoding");
	m->raw_size = m->encoding ? (size_t)jint(o, "raw_size") : m->size;
	hotlist_list_options_init(&m->opts);
	if (json_is_object(op)) {
		m->has_opts = true;
		m->opts.ocr_substitutions = (unsigned)jint(op, "ocr");
		m->opts.indels = (unsigned)jint(op, "indel");
		m->opts.ocr_classes = jstr(op, "ocr_classes");
		m->opts.cross_border = json_is_true(json_object_get(op, "cross_border"));
		m->opts.repair = !json_is_false(json_object_get(op, "repair"));
	}
	return m->version && m->subject && m->upload && m->digest && m->chunks ? 0 : -1;
}

/* Load a verified blob from its memory file: the core library loads from a path. */
static int load_blob(struct node *n, const char *list, int fd, const struct manifest *m,
		     struct hotlist_load_report *rep)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Forced past the shrink guard: the blob passed its digest and size, so
	 * it is the file as published, not one cut short; a smaller list is the
	 * publisher's decision. */
	rc = hotlist_load_csv_flags(n->hl, list, path, HOTLIST_LOAD_FORCE, rep);
	if (rc == 0 && m->has_opts)
		rc = hotlist_set_list_options(n->hl, list, &m->opts);
	return rc;
}

/* Replay the log's edits > E, drop the others. Under mu. */
/* Apply the logged edits newer than e (after a version with edit_seq e);
 * from `from` on, only those (the ones held during a load, not applied
 * yet: counted as edits applied now). Ends the load. Under mu. */
static void replay_log(struct node *n, struct list_state *ls, uint64_t e, size_t from)
{
	size_t k = 0;
	int64_t ts;

	for (size_t i = 0; i < ls->nlog; i++) {
		bool held = ls->loading && i >= ls->held;
		if (ls->log[i].seq <= e) {
			free(ls->log[i].json);
			continue;
		}
		if (i >= from) {
			ts = 0;
			if (do_edit(n, ls->name, ls->log[i].json, &ts))
				atomic_fetch_add(&n->edit_errors, 1);
			if (held) {
				atomic_fetch_add(&n->edits, 1);
				note_delay(n, ts);
			}
		}
		ls->log[k++] = ls->log[i];
	}
	ls->nlog = k;
	ls->loading = false;
}

/* Record a refusal; the status shows the newest version refused (a fallback
 * through older bad versions does not hide the current one). Under mu. */
static void refuse(struct node *n, struct list_state *ls, uint64_t version, const char *why)
{
	if (version > ls->refused) {
		ls->refused = version;
		ls->refused_us = hl_cluster_now_us();
		snprintf(ls->refused_why, sizeof(ls->refused_why), "%s", why);
	}
	atomic_fetch_add(&n->refused_total, 1);
	fprintf(stderr, "hotlist node: list %s version %" PRIu64 " refused: %s\n", ls->name,
		version, why);
}

/* Versions looked back through when a node with no version of a list meets a
 * bad current one (the manifest history kept in KV is 8). */
#define FALLBACK_DEPTH 7

static void apply_manifest(struct node *n, const char *list, const char *value, size_t len,
			   int depth);

/*
 * A node that has no version of this list (it just started) and whose
 * current version was refused falls back to the version before it, as the
 * nodes that were running kept it: the manifest names its predecessor's KV
 * revision. Edits after the older version's edit sequence are replayed from
 * the log as for any replace.
 */
static void fallback(struct node *n, const char *list, uint64_t prev_revision, int depth)
{
	kvEntry *e = NULL;

	if (!prev_revision || depth >= FALLBACK_DEPTH)
		return;
	if (kvStore_GetRevision(&e, n->c.lists, list, prev_revision) != NATS_OK)
		return;
	fprintf(stderr,
		"hotlist node %s: list %s: trying the version before (revision %" PRIu64 ")\n",
		n->o->name, list, prev_revision);
	apply_manifest(n, list, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), depth + 1);
	kvEntry_Destroy(e);
}

static void apply_manifest(struct node *n, const char *list, const char *value, size_t len,
			   int depth)
{
	json_t *o = json_loadb(value, len, 0, NULL);
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	struct list_state *ls;
	struct manifest m;
	char why[160] = "";
	int blob = -1; /* the verified list file (a memory file) */
	bool excl = false, locked = false, skip, none = false;
	int64_t t0 = hl_cluster_now_us(), t_fetched;
	int rc = -1;

	pthread_mutex_lock(&n->mu);
	ls = list_get(n, list);
	if (!ls || !o || parse_manifest(o, &m)) {
		if (ls)
			refuse(n, ls, o ? (uint64_t)jint(o, "version") : 0, "unreadable manifest");
		pthread_mutex_unlock(&n->mu);
		json_decref(o);
		return;
	}
	skip = m.version <= ls->applied || m.version == ls->refused;
	for (size_t i = 0; i < ls->nlog && !skip; i++)
		excl |= ls->log[i].seq > m.edit_seq;
	pthread_mutex_unlock(&n->mu);
	if (skip) {
		json_decref(o);
		return;
	}
	/* No verdict while the servers cannot be asked: try again, never refuse. */
	while ((rc = hl_blob_fetch(&n->c, m.subject, m.first_seq, m.upload, m.chunks, m.size,
				   m.encoding, m.raw_size, m.digest, &blob, why, sizeof(why))) ==
		       HL_BLOB_RETRY &&
	       !stopping())
		usleep(500 * 1000);
	if (rc == HL_BLOB_RETRY) {
		json_decref(o);
		return;
	}
	rc = -1;
	t_fetched = hl_cluster_now_us();
	if (blob >= 0) {
		if (excl)
			pthread_rwlock_wrlock(&n->match_lock);
		locked = excl;
		pthread_mutex_lock(&n->mu);
		ls->loading = true;
		ls->held = ls->nlog;
		pthread_mutex_unlock(&n->mu);
		rc = load_blob(n, list, blob, &m, &rep);
		if (rc)
			snprintf(why, sizeof(why), "%s (%" PRIu64 " rows, %" PRIu64 " bad)",
				 hotlist_strerror(rc), rep.rows, rep.rejected);
		close(blob);
	}
	pthread_mutex_lock(&n->mu);
	if (rc == 0) {
		replay_log(n, ls, m.edit_seq, 0);
		ls->applied = m.version;
		ls->applied_us = hl_cluster_now_us();
		ls->apply_us = ls->applied_us - t0;
		ls->fetch_us = t_fetched - t0;
		ls->edit_seq = m.edit_seq;
	} else {
		if (ls->loading) /* the edits held meanwhile, onto the live list */
			replay_log(n, ls, ls->edit_seq, ls->held);
		refuse(n, ls, m.version, why);
		none = ls->applied == 0;
	}
	pthread_mutex_unlock(&n->mu);
	if (locked)
		pthread_rwlock_unlock(&n->match_lock);
	if (none)
		fallback(n, list, m.prev_revision, depth);
	json_decref(o);
}

static void lists_check_done(struct node *n)
{
	pthread_mutex_lock(&n->mu);
	if (n->lists_initial && n->lists_rev_seen >= n->lists_last_at_start)
		n->lists_done = true;
	pthread_mutex_unlock(&n->mu);
}

static void *lists_main(void *arg)
{
	struct node *n = arg;
	kvWatcher *w = NULL;
	uint64_t last = stream_last_seq(n, "KV_" HL_KV_LISTS);

	pthread_mutex_lock(&n->mu);
	n->lists_last_at_start = last;
	pthread_mutex_unlock(&n->mu);
	while (!stopping() && kvStore_WatchAll(&w, n->c.lists, NULL) != NATS_OK)
		usleep(200 * 1000);
	while (!stopping()) {
		kvEntry *e = NULL;
		natsStatus s = kvWatcher_Next(&e, w, IDLE_WAIT_MS);

		if (s == NATS_OK && !e) {
			pthread_mutex_lock(&n->mu);
			n->lists_initial = true;
			pthread_mutex_unlock(&n->mu);
		} else if (s == NATS_OK) {
			if (kvEntry_Operation(e) == kvOp_Put)
				apply_manifest(n, kvEntry_Key(e), kvEntry_Value(e),
					       (size_t)kvEntry_ValueLen(e), 0);
			pthread_mutex_lock(&n->mu);
			if (kvEntry_Revision(e) > n->lists_rev_seen)
				n->lists_rev_seen = kvEntry_Revision(e);
			pthread_mutex_unlock(&n->mu);
			kvEntry_Destroy(e);
		}
		lists_check_done(n);
	}
	kvWatcher_Destroy(w);
	return NULL;
}

/* ---- Status, /healthz, /metrics ------------------------------------------------ */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Status of this node as JSON text (malloc'd). */
static char *status_json(struct node *n, bool stopped)
{
	json_t *o = json_object(), *lists = json_object();
	char *s;

	pthread_mutex_lock(&n->mu);
	json_object_set_new(o, "name", json_string(n->o->name));
	if (n->domain[0]) /* on a car: which car (`hotlist cluster` on the hub lists it) */
		json_object_set_new(o, "domain", json_string(n->domain));
	json_object_set_new(o, "ready", json_boolean(n->lists_done && n->edits_done && !stopped));
	json_object_set_new(o, "jetstream", json_boolean(atomic_load(&n->js_ok)));
	json_object_set_new(o, "stopped", json_boolean(stopped));
	json_object_set_new(o, "started_us", json_integer(n->started_us));
	json_object_set_new(o, "updated_us", json_integer(hl_cluster_now_us()));
	json_object_set_new(o, "lag",
			    n->lag_known ? json_integer((json_int_t)n->lag) : json_null());
	json_object_set_new(o, "edit_seq", json_integer((json_int_t)n->edit_seq_seen));
	json_object_set_new(o, "edit_seq_last", json_integer((json_int_t)n->edits_last_at_start));
	for (size_t i = 0; i < n->nlists; i++) {
		struct list_state *ls = &n->lists[i];
		json_t *l = json_object();

		json_object_set_new(l, "applied", json_integer((json_int_t)ls->applied));
		json_object_set_new(l, "applied_us", json_integer(ls->applied_us));
		json_object_set_new(l, "apply_ms", json_real((double)ls->apply_us / 1e3));
		json_object_set_new(l, "fetch_ms", json_real((double)ls->fetch_us / 1e3));
		if (ls->refused) {
			json_object_set_new(l, "refused", json_integer((json_int_t)ls->refused));
			json_object_set_new(l, "refused_us", json_integer(ls->refused_us));
			json_object_set_new(l, "refused_why", json_string(ls->refused_why));
		}
		json_object_set_new(lists, ls->name, l);
	}
	pthread_mutex_unlock(&n->mu);
	json_object_set_new(o, "lists", lists);
	json_object_set_new(o, "reads", json_integer((json_int_t)atomic_load(&n->reads)));
	json_object_set_new(o, "hits", json_integer((json_int_t)atomic_load(&n->hits)));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void update_lag(struct node *n)
{
	uint64_t lag = 0;
	char names[8][80];
	int nd;

	/* the main thread writes the names when it subscribes again (under mu) */
	pthread_mutex_lock(&n->mu);
	nd = n->ndurables;
	memcpy(names, n->durables, sizeof(names));
	pthread_mutex_unlock(&n->mu);
	for (int i = 0; i < nd; i++) {
		jsConsumerInfo *ci = NULL;

		natsStatus s =
			js_GetConsumerInfo(&ci, n->c.js, HL_STREAM_READS, names[i], NULL, NULL);

		if (s != NATS_OK) {
			/* No answer from the read consumer: no quorum, or no server. Loud:
			 * logged, /healthz 503, status not ready. */
			if (atomic_exchange(&n->js_ok, false))
				fprintf(stderr,
					"hotlist node %s: JetStream unavailable (%s): not matching\n",
					n->o->name, natsStatus_GetText(s));
			pthread_mutex_lock(&n->mu);
			n->lag_known = false;
			pthread_mutex_unlock(&n->mu);
			return;
		}
		lag += ci->NumPending + (uint64_t)ci->NumAckPending;
		jsConsumerInfo_Destroy(ci);
	}
	if (!atomic_exchange(&n->js_ok, true))
		fprintf(stderr, "hotlist node %s: JetStream available again\n", n->o->name);
	pthread_mutex_lock(&n->mu);
	n->lag = lag;
	n->lag_known = true;
	pthread_mutex_unlock(&n->mu);
}

static void put_status(struct node *n, bool stopped)
{
	char *s = status_json(n, stopped);

	if (s)
		kvStore_PutString(NULL, n->c.nodes, n->o->name, s);
	free(s);
}

static void *status_main(void *arg)
{
	struct node *n = arg;

	while (!stopping()) {
		/* Lag first: the status written carries a lag asked for just now. */
		update_lag(n);
		put_status(n, false);
		for (int i = 0; i < 10 && !stopping(); i++)
			usleep(100 * 1000);
	}
	return NULL;
}

static void metric(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_delays(struct node *n, FILE *f)
{
	size_t k = n->ndelays < DELAYS_KEPT ? (size_t)n->ndelays : DELAYS_KEPT;
	int64_t *d = malloc((k ? k : 1) * sizeof(*d));
	static const double q[] = { 0.5, 0.99, 1.0 };

	metric(f, "hotlist_node_edit_delay_seconds", "summary",
	       "edit publish (publisher's clock) to applied here, last 4096 edits");
	if (!d)
		return;
	memcpy(d, n->delays, k * sizeof(*d));
	qsort(d, k, sizeof(*d), cmp_i64);
	for (size_t i = 0; i < 3 && k; i++) {
		size_t at = (size_t)(q[i] * (double)(k - 1) + 0.5);

		fprintf(f, "hotlist_node_edit_delay_seconds{quantile=\"%g\"} %.6f\n", q[i],
			(double)d[at] / 1e6);
	}
	fprintf(f, "hotlist_node_edit_delay_seconds_count %" PRIu64 "\n", n->ndelays);
	free(d);
}

static void metrics_lists(struct node *n, FILE *f)
{
	metric(f, "hotlist_node_list_version", "gauge", "manifest version applied");
	for (size_t i = 0; i < n->nlists; i++)
		fprintf(f, "hotlist_node_list_version{list=\"%s\"} %" PRIu64 "\n", n->lists[i].name,
			n->lists[i].applied);
	metric(f, "hotlist_node_list_refused_version", "gauge", "last manifest version refused");
	for (size_t i = 0; i < n->nlists; i++)
		fprintf(f, "hotlist_node_list_refused_version{list=\"%s\"} %" PRIu64 "\n",
			n->lists[i].name, n->lists[i].refused);
	metric(f, "hotlist_node_list_apply_seconds", "gauge",
	       "fetch, verify and load of the version applied");
	for (size_t i = 0; i < n->nlists; i++)
		fprintf(f, "hotlist_node_list_apply_seconds{list=\"%s\"} %.6f\n", n->lists[i].name,
			(double)n->lists[i].apply_us / 1e6);
	metric(f, "hotlist_node_list_fetch_seconds", "gauge",
	       "fetch and digest check of the version applied (part of apply)");
	for (size_t i = 0; i < n->nlists; i++)
		fprintf(f, "hotlist_node_list_fetch_seconds{list=\"%s\"} %.6f\n", n->lists[i].name,
			(double)n->lists[i].fetch_us / 1e6);
	metric(f, "hotlist_node_list_entries", "gauge", "entries a read can hit");
	for (size_t i = 0;; i++) {
		struct hotlist_list_info li = { .struct_size = sizeof(li) };

		if (hotlist_list_info(n->hl, i, &li))
			break;
		fprintf(f, "hotlist_node_list_entries{list=\"%s\"} %" PRIu64 "\n", li.name,
			li.entries);
	}
}

static void metrics_counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	metric(f, name, "counter", help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static char *metrics_text(struct node *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	metrics_counter(f, "hotlist_node_reads_total", "reads matched", atomic_load(&n->reads));
	metrics_counter(f, "hotlist_node_hits_total", "hits published (stored or duplicate)",
			atomic_load(&n->hits));
	metrics_counter(f, "hotlist_node_bad_reads_total", "reads that could not be parsed",
			atomic_load(&n->bad_reads));
	metrics_counter(f, "hotlist_node_naks_total", "reads handed back: hits not stored",
			atomic_load(&n->naks));
	metrics_counter(f, "hotlist_node_hit_failures_total", "hit publishes that failed",
			atomic_load(&n->hit_failures));
	metrics_counter(f, "hotlist_node_refused_total", "list versions refused",
			atomic_load(&n->refused_total));
	metrics_counter(f, "hotlist_node_edits_total", "edits applied", atomic_load(&n->edits));
	metrics_counter(f, "hotlist_node_edit_errors_total", "edits the engine refused",
			atomic_load(&n->edit_errors));
	pthread_mutex_lock(&n->mu);
	metric(f, "hotlist_node_ready", "gauge", "1 once every list and edit is applied");
	fprintf(f, "hotlist_node_ready %d\n", n->lists_done && n->edits_done);
	metric(f, "hotlist_node_jetstream_up", "gauge", "1 if the read consumer answers");
	fprintf(f, "hotlist_node_jetstream_up %d\n", (int)atomic_load(&n->js_ok));
	metric(f, "hotlist_node_lag_reads", "gauge", "reads waiting or unacked");
	if (n->lag_known)
		fprintf(f, "hotlist_node_lag_reads %" PRIu64 "\n", n->lag);
	else
		fprintf(f, "hotlist_node_lag_reads NaN\n"); /* not asked yet, or no answer */
	metrics_lists(n, f);
	metrics_delays(n, f);
	pthread_mutex_unlock(&n->mu);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int http_answer(const char *path, char **body, void *user)
{
	struct node *n = user;

	if (!strcmp(path, "/healthz")) {
		bool r = is_ready(n) && !stopping() && atomic_load(&n->js_ok);

		*body = strdup(r		       ? "ready\n" :
			       !atomic_load(&n->js_ok) ? "not ready: JetStream unavailable\n" :
							 "not ready\n");
		return r ? 200 : 503;
	}
	if (!strcmp(path, "/metrics")) {
		*body = metrics_text(n);
		return 200;
	}
	*body = strdup("not found\n");
	return 404;
}

/* ---- Reads ------------------------------------------------------------------- */

static json_t *text_or_null(const char *s)
{
	json_t *v = s && *s ? json_string(s) : NULL;

	return v ? v : json_null();
}

static const char *kind_name(enum hotlist_match_kind k)
{
	static const char *const names[] = { "exact", "ocr", "indel", "wildcard" };

	return (unsigned)k < 4 ? names[k] : "?";
}

/* The hit as JSON: the fields of `hotlist match` plus ids, node, site, uuid. */
static char *hit_json(struct node *n, const struct hotlist_hit *h, const char *hit_id)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "camera", text_or_null(h->read->camera));
	json_object_set_new(o, "ts_us", json_integer(h->read->ts_us));
	json_object_set_new(o, "read", text_or_null(h->read->plate));
	json_object_set_new(o, "country", text_or_null(h->read_country));
	json_object_set_new(o, "list", text_or_null(h->list));
	json_object_set_new(o, "entry", text_or_null(h->plate));
	json_object_set_new(o, "entry_country", text_or_null(h->country));
	json_object_set_new(o, "category", json_string(h->category ? h->category : ""));
	json_object_set_new(o, "priority", json_integer(h->priority));
	json_object_set_new(o, "reference", json_string(h->reference ? h->reference : ""));
	json_object_set_new(o, "covert", json_boolean(h->covert));
	json_object_set_new(o, "match", json_string(kind_name(h->match)));
	json_object_set_new(o, "candidate", json_integer(h->candidate));
	json_object_set_new(o, "matched_plate", text_or_null(h->read_plate));
	json_object_set_new(o, "repaired", json_boolean(h->repaired));
	json_object_set_new(o, "format", h->format < 0 ? json_null() : json_boolean(h->format > 0));
	json_object_set_new(o, "substitutions", json_integer(h->substitutions));
	json_object_set_new(o, "indels", json_integer(h->indels));
	json_object_set_new(o, "hit_id", json_string(hit_id));
	json_object_set_new(o, "read_id", text_or_null(n->cur_read_id));
	json_object_set_new(o, "node", json_string(n->o->name));
	json_object_set_new(o, "site", text_or_null(n->cur_site));
	json_object_set_new(o, "uuid", text_or_null(n->cur_uuid));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void on_hit(const struct hotlist_hit *h, void *user)
{
	struct node *n = user;
	struct pending_hit *p;

	if (n->nph == n->capph) {
		size_t cap = n->capph ? 2 * n->capph : 64;
		struct pending_hit *g = realloc(n->ph, cap * sizeof(*g));

		if (!g) {
			n->oom = true;
			return;
		}
		n->ph = g;
		n->capph = cap;
	}
	p = &n->ph[n->nph];
	hl_cluster_hit_id(n->cur_read_id, h, p->id);
	snprintf(p->subject, sizeof(p->subject), "%s.%s", HL_SUBJ_HIT, h->list);
	p->body = hit_json(n, h, p->id);
	if (!p->body) {
		n->oom = true;
		return;
	}
	n->nph++;
}

/* Match one read message. 0, or -1 if it is not a read (it is then terminated). */
static int match_msg(struct node *n, natsMsg *m)
{
	json_t *o = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
	json_t *cj = o ? json_object_get(o, "candidates") : NULL;
	const char *cands[HOTLIST_CANDIDATES_MAX];
	struct hotlist_read r = { 0 };
	jsMsgMetaData *meta = NULL;
	char seq_id[64];
	const char *hdr_id = NULL;
	int rc = -1;

	if (o && jstr(o, "plate") && natsMsg_GetMetaData(&meta, m) == NATS_OK) {
		r.plate = jstr(o, "plate");
		r.country = jstr(o, "country");
		r.camera = jstr(o, "camera");
		/* No capture time: the stream's time, so a redelivery matches the same way. */
		r.ts_us = jint(o, "ts_us") ? jint(o, "ts_us") : meta->Timestamp / 1000;
		for (size_t i = 0; json_is_array(cj) && i < json_array_size(cj) &&
				   r.n_candidates < HOTLIST_CANDIDATES_MAX;
		     i++)
			if (json_is_string(json_array_get(cj, i)))
				cands[r.n_candidates++] = json_string_value(json_array_get(cj, i));
		r.candidates = r.n_candidates ? cands : NULL;
		/* Read id: the producer's Nats-Msg-Id, its read_id, else the stream
		 * sequence and time. The time too: a memory stream whose servers all
		 * restarted counts from 1 again, and a new read taking an old read's
		 * id would have its hits dropped as duplicates (tests/cluster/mqtt_e2e.py). */
		snprintf(seq_id, sizeof(seq_id), "seq-%" PRIu64 "-%" PRId64, meta->Sequence.Stream,
			 meta->Timestamp);
		n->cur_read_id = natsMsgHeader_Get(m, "Nats-Msg-Id", &hdr_id) == NATS_OK ? hdr_id :
				 jstr(o, "read_id") ? jstr(o, "read_id") :
						      seq_id;
		n->cur_site = jstr(o, "site");
		n->cur_uuid = jstr(o, "uuid");
		rc = hotlist_match(n->hl, &r, on_hit, n) < 0 ? -1 : 0;
	}
	jsMsgMetaData_Destroy(meta);
	json_decref(o);
	return rc;
}

static void free_hits(struct node *n)
{
	for (size_t i = 0; i < n->nph; i++)
		free(n->ph[i].body);
	n->nph = 0;
}

static void process_batch(struct node *n, natsMsgList *list, uint64_t *failed_base)
{
	bool *bad = calloc((size_t)list->Count, sizeof(*bad));
	uint64_t failed = 0;

	if (!bad)
		return; /* not acked: redelivered after AckWait */
	/* The negative control of the tests: each read acked (and the ack
	 * confirmed) before it is matched, as a naive consumer would. */
	if (n->o->unsafe_ack_early)
		for (int i = 0; i < list->Count; i++)
			natsMsg_AckSync(list->Msgs[i], NULL, NULL);
	n->oom = false;
	pthread_rwlock_rdlock(&n->match_lock);
	for (int i = 0; i < list->Count; i++)
		bad[i] = match_msg(n, list->Msgs[i]) < 0;
	pthread_rwlock_unlock(&n->match_lock);
	for (size_t i = 0; i < n->nph; i++)
		hl_cluster_async(&n->c, n->ph[i].subject, n->ph[i].body, strlen(n->ph[i].body),
				 n->ph[i].id);
	if (n->nph)
		failed = hl_cluster_async_wait(&n->c, HIT_ACK_WAIT_MS, failed_base);
	atomic_fetch_add(&n->hits, n->nph - (n->oom ? 0 : failed));
	atomic_fetch_add(&n->hit_failures, failed);
	free_hits(n);
	for (int i = 0; i < list->Count && !n->o->unsafe_ack_early; i++) {
		if (failed || n->oom)
			natsMsg_NakWithDelay(list->Msgs[i], NAK_DELAY_MS, NULL);
		else if (bad[i])
			natsMsg_Term(list->Msgs[i], NULL);
		else
			natsMsg_Ack(list->Msgs[i], NULL);
	}
	if (failed || n->oom)
		atomic_fetch_add(&n->naks, (uint64_t)list->Count);
	else
		for (int i = 0; i < list->Count; i++)
			atomic_fetch_add(bad[i] ? &n->bad_reads : &n->reads, 1);
	free(bad);
}

static int subscribe_reads(struct node *n, natsSubscription **subs)
{
	const char *all[] = { "", NULL };
	const char **sites = n->o->sites && n->o->sites[0] ? n->o->sites : all;

	for (int i = 0; sites[i] && i < 8; i++) {
		char filter[128], name[sizeof(n->durables[i])];
		jsSubOptions so;
		natsStatus s;

		if (hl_cluster_reads_consumer(&n->c, sites[i], n->o->ack_wait_ms, name,
					      sizeof(name)))
			return -1;
		pthread_mutex_lock(&n->mu); /* update_lag reads them on the status thread */
		memcpy(n->durables[i], name, sizeof(name));
		pthread_mutex_unlock(&n->mu);
		jsSubOptions_Init(&so);
		so.Stream = HL_STREAM_READS;
		so.Consumer = n->durables[i];
		snprintf(filter, sizeof(filter), "%s.%s", HL_SUBJ_READ, *sites[i] ? sites[i] : ">");
		s = js_PullSubscribe(&subs[i], n->c.js, filter, n->durables[i], NULL, &so, NULL);
		if (s != NATS_OK) {
			fprintf(stderr, "hotlist node: pull subscribe: %s\n",
				natsStatus_GetText(s));
			return -1;
		}
		pthread_mutex_lock(&n->mu);
		n->ndurables = i + 1;
		pthread_mutex_unlock(&n->mu);
	}
	return 0;
}

/*
 * A single server (a laptop, a car) does not keep a memory stream across its
 * restart: HL_READS and the node's consumers are gone, and nothing would
 * pull the reads that cameras publish once it is back. When idle, check that
 * the first consumer is there; if not, make the streams and consumers again.
 */
static void reads_check(struct node *n, natsSubscription **subs)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode e = 0;
	natsStatus s = js_GetConsumerInfo(&ci, n->c.js, HL_STREAM_READS, n->durables[0], NULL, &e);

	jsConsumerInfo_Destroy(ci);
	if (s != NATS_NOT_FOUND && e != JSStreamNotFoundErr && e != JSConsumerNotFoundErr)
		return;
	fprintf(stderr, "hotlist node %s: %s gone (a server restarted?): making it again\n",
		n->o->name, e == JSConsumerNotFoundErr ? "read consumer" : HL_STREAM_READS);
	if (hl_cluster_ensure_streams(&n->c, &n->o->limits))
		return;
	for (int i = 0; i < n->ndurables; i++) {
		natsSubscription_Destroy(subs[i]);
		subs[i] = NULL;
	}
	if (subscribe_reads(n, subs))
		fprintf(stderr, "hotlist node %s: read consumer not made again yet\n", n->o->name);
}

/*
 * The batch to ask for. libnats 3.4.1's _fetch() first takes the messages
 * already queued on the subscription (late deliveries for an earlier pull
 * request that timed out on our side), then asks the server for
 * batch - taken and loops until its count equals that number: when more
 * than half the batch was queued, the count never equals it and the loop
 * writes past its batch-sized array (a heap overflow; seen as a segfault
 * under load). Late deliveries are at most one earlier request's batch, so
 * asking for more than twice (queued + batch) keeps the count below the
 * target.
 */
static int fetch_batch(struct node *n, natsSubscription *sub)
{
	int queued = 0;

	if (natsSubscription_GetPending(sub, &queued, NULL) != NATS_OK || queued <= 0)
		return n->o->batch;
	return 2 * (queued + n->o->batch) + 2;
}

/* Pull, match, store, ack until SIGTERM. subs: from subscribe_reads(). */
static void reads_loop(struct node *n, natsSubscription **subs)
{
	uint64_t failed_base = 0;
	int64_t idle_ms = 0;

	while (!stopping() && !is_ready(n))
		usleep(10 * 1000);
	if (!stopping()) {
		update_lag(n); /* the lag in it asked for now, as status_main() does */
		put_status(n, false); /* at once, not at the next heartbeat */
		fprintf(stderr, "hotlist node %s: ready\n", n->o->name);
	}
	while (!stopping()) {
		bool got = false;

		for (int i = 0; i < n->ndurables && !stopping(); i++) {
			natsMsgList list = { 0 };
			natsStatus s = natsSubscription_Fetch(
				&list, subs[i], fetch_batch(n, subs[i]), FETCH_WAIT_MS, NULL);

			if (s == NATS_OK && list.Count > 0) {
				process_batch(n, &list, &failed_base);
				got = true;
			} else if (s != NATS_OK && s != NATS_TIMEOUT) {
				usleep(100 * 1000);
			}
			natsMsgList_Destroy(&list);
		}
		idle_ms = got ? 0 : idle_ms + FETCH_WAIT_MS;
		if (idle_ms >= READS_CHECK_MS) {
			idle_ms = 0;
			reads_check(n, subs);
		}
	}
	/* Binding to an existing durable: destroying the subscription leaves it. */
	for (int i = 0; i < n->ndurables; i++)
		natsSubscription_Destroy(subs[i]);
}

/* ---- Main -------------------------------------------------------------------- */

static int node_init(struct node *n, const struct hl_node_opts *o)
{
	struct hotlist_config cfg;
	jsAccountInfo *ai = NULL;

	memset(n, 0, sizeof(*n));
	n->o = o;
	n->started_us = hl_cluster_now_us();
	atomic_store(&n->js_ok, true);
	pthread_mutex_init(&n->mu, NULL);
	pthread_rwlock_init(&n->match_lock, NULL);
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	/* A redelivered read must match as the first delivery did: no suppression. */
	cfg.suppress_window_us = 0;
	cfg.max_bad_fraction = o->max_bad;
	cfg.latency_histogram = false;
	if (hotlist_create(&n->hl, &cfg)) {
		fprintf(stderr, "hotlist node: cannot create the engine\n");
		return -1;
	}
	if (hl_cluster_open(&n->c, o->nats, &o->limits))
		return -1;
	/* The servers' JetStream domain names a car (docs/cameras.md). */
	if (js_GetAccountInfo(&ai, n->c.js, NULL, NULL) == NATS_OK && ai->Domain)
		snprintf(n->domain, sizeof(n->domain), "%s", ai->Domain);
	jsAccountInfo_Destroy(ai);
	return 0;
}

static void node_free(struct node *n)
{
	hl_cluster_close(&n->c);
	hotlist_destroy(n->hl, NULL);
	for (size_t i = 0; i < n->nlists; i++) {
		for (size_t k = 0; k < n->lists[i].nlog; k++)
			free(n->lists[i].log[k].json);
		free(n->lists[i].log);
	}
	free(n->ph);
	pthread_rwlock_destroy(&n->match_lock);
	pthread_mutex_destroy(&n->mu);
}

int hl_node_run(const struct hl_node_opts *o)
{
	struct node *n = calloc(1, sizeof(*n));
	struct sigaction sa = { .sa_handler = on_term };
	struct hl_http *http = NULL;
	natsSubscription *subs[8] = { 0 };
	pthread_t tl, te, ts;
	int rc = 1;

	if (!n)
		return 1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (node_init(n, o))
		goto out;
	if (o->http_port > 0) {
		http = hl_http_start(o->http_addr, o->http_port, http_answer, n);
		if (!http) {
			fprintf(stderr, "hotlist node: cannot serve HTTP on port %d\n",
				o->http_port);
			goto out;
		}
	}
	/* Consumers first: the status thread reads n->durables from its start. */
	if (subscribe_reads(n, subs))
		goto out;
	pthread_create(&tl, NULL, lists_main, n);
	pthread_create(&te, NULL, edits_main, n);
	pthread_create(&ts, NULL, status_main, n);
	reads_loop(n, subs);
	pthread_join(tl, NULL);
	pthread_join(te, NULL);
	pthread_join(ts, NULL);
	/* Leave the cluster view at once rather than after the TTL. */
	kvStore_Delete(n->c.nodes, o->name);
	rc = 0;
	fprintf(stderr, "hotlist node %s: stopped (%" PRIu64 " reads, %" PRIu64 " hits)\n", o->name,
		(uint64_t)atomic_load(&n->reads), (uint64_t)atomic_load(&n->hits));
out:
	hl_http_stop(http);
	node_free(n);
	free(n);
	return rc;
}
