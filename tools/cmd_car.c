/* SPDX-License-Identifier: MIT */
/*
 * `hotlist car`: a node on a car's computer, offline for hours at a time
 * (docs/cameras.md, "Cameras in cars").
 *
 * The car runs its own nats-server: JetStream domain <car>, a leafnode remote
 * to the hub's servers (JetStream domain <hub>), and hl.> and $KV.> denied
 * across that link in both directions, so that nothing crosses it but what
 * the streams below move, and only once:
 *
 *   hub (domain hub)                          car (domain car1)
 *   HL_EDITS  ----------- mirror ---------->  HL_EDITS   same sequences
 *   HL_BLOBS  ----------- mirror ---------->  HL_BLOBS   (manifests name them)
 *   KV_HL_LISTS --------- source ---------->  KV_HL_LISTS (a KV bucket of its own)
 *   HL_HITS   <---------- source -----------  HL_HITS    file storage, on the car
 *                                             HL_READS   memory, never leaves the car
 *
 * The car's node (`hotlist node --nats <car server>`) sees an ordinary
 * cluster: it applies the list versions and edits the mirrors hold, matches
 * reads from the car's cameras, and stores hits in the car's HL_HITS, acked
 * by the car's server, link or no link. JetStream moves the rest when the
 * link is up: a mirror or source remembers where it stopped and resumes
 * there (hub-side, the last sourced sequence is recovered from the stream),
 * so each hit reaches the hub once; hit ids (Nats-Msg-Id) make a resend after
 * a lost ack a duplicate the hub drops.
 *
 *   hotlist car setup   create the car's streams and add the car's HL_HITS
 *                       as a source of the hub's (needs the link up once)
 *   hotlist car status  is the car's node current? It is when the hub is
 *                       reachable and the node has applied (or refused) every
 *                       list version and every edit the hub has; otherwise
 *                       it is stale, and says since when and by how much.
 */
#include "cluster.h"
#include "cluster_cmds.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2
/* How long a request to the hub may take before the hub counts as unreachable. */
#define HUB_WAIT_MS 2000
/* Manifest history kept per list: as the hub's HL_LISTS bucket. */
#define LISTS_HISTORY 8

struct car {
	natsConnection *nc;
	jsCtx *js; /* the car's own JetStream domain */
	jsCtx *hub; /* the hub's, across the leafnode link */
	char hub_prefix[96]; /* $JS.<hub>.API */
};

static int fail(const char *what, natsStatus s, jsErrCode e)
{
	fprintf(stderr, "hotlist car: %s: %s", what, natsStatus_GetText(s));
	if (e)
		fprintf(stderr, " (JetStream error %d)", (int)e);
	fprintf(stderr, "\n");
	return -1;
}

static int car_open(struct car *c, const char *url, const char *hub_domain)
{
	jsOptions jo;
	natsStatus s = natsConnection_ConnectTo(&c->nc, url);

	if (s != NATS_OK)
		return fail(url, s, 0);
	s = natsConnection_JetStream(&c->js, c->nc, NULL);
	if (s != NATS_OK)
		return fail("JetStream", s, 0);
	jsOptions_Init(&jo);
	jo.Domain = hub_domain;
	jo.Wait = HUB_WAIT_MS;
	s = natsConnection_JetStream(&c->hub, c->nc, &jo);
	if (s != NATS_OK)
		return fail("hub JetStream", s, 0);
	snprintf(c->hub_prefix, sizeof(c->hub_prefix), "$JS.%s.API", hub_domain);
	return 0;
}

static void car_close(struct car *c)
{
	jsCtx_Destroy(c->hub);
	jsCtx_Destroy(c->js);
	natsConnection_Destroy(c->nc);
}

/* ---- setup ------------------------------------------------------------------ */

/* Create a stream on the car unless one of that name exists. */
static int car_stream(struct car *c, jsStreamConfig *cfg)
{
	jsStreamInfo *si = NULL;
	jsErrCode e = 0;
	natsStatus s = js_GetStreamInfo(&si, c->js, cfg->Name, NULL, &e);

	if (s == NATS_OK) {
		bool mirror = si->Config->Mirror != NULL, want = cfg->Mirror != NULL;

		jsStreamInfo_Destroy(si);
		if (mirror != want) {
			fprintf(stderr,
				"hotlist car: %s exists on the car but is %sa mirror: delete it "
				"and run setup again\n",
				cfg->Name, mirror ? "" : "not ");
			return -1;
		}
		return 0;
	}
	s = js_AddStream(&si, c->js, cfg, NULL, &e);
	if (s != NATS_OK)
		return fail(cfg->Name, s, e);
	jsStreamInfo_Destroy(si);
	return 0;
}

/* src: the stream name of another JetStream domain, reached through the
 * API at api_prefix ("$JS.<domain>.API"). */
static void external_source(jsStreamSource *src, jsExternalStream *ext, const char *api_prefix,
			    const char *name)
{
	jsExternalStream_Init(ext);
	ext->APIPrefix = api_prefix;
	ext->DeliverPrefix = ""; /* libnats 3.4.1 writes it out unchecked: NULL crashes */
	jsStreamSource_Init(src);
	src->Name = name;
	src->External = ext;
}

/* A mirror of the hub's stream name, in the car's file storage. */
static int car_mirror(struct car *c, const char *name)
{
	jsStreamConfig cfg;
	jsStreamSource src;
	jsExternalStream ext;

	external_source(&src, &ext, c->hub_prefix, name);
	jsStreamConfig_Init(&cfg);
	cfg.Name = name;
	cfg.Storage = js_FileStorage;
	cfg.Mirror = &src;
	return car_stream(c, &cfg);
}

/*
 * The car's HL_LISTS bucket: a KV stream of its own, sourced from the hub's.
 * Not a mirror: libnats 3.4.1 finds a bucket's stream by its subjects when it
 * watches it, and a mirror has none. KV revisions differ from the hub's; the
 * node compares them only with each other.
 */
static int car_lists(struct car *c)
{
	static const char *subj[] = { "$KV." HL_KV_LISTS ".>" };
	jsStreamConfig cfg;
	jsStreamSource src, *srcs[1] = { &src };
	jsExternalStream ext;

	external_source(&src, &ext, c->hub_prefix, "KV_" HL_KV_LISTS);
	jsStreamConfig_Init(&cfg);
	cfg.Name = "KV_" HL_KV_LISTS;
	cfg.Subjects = subj;
	cfg.SubjectsLen = 1;
	cfg.MaxMsgsPerSubject = LISTS_HISTORY;
	cfg.Discard = js_DiscardNew;
	cfg.AllowRollup = true;
	cfg.DenyDelete = true;
	cfg.AllowDirect = true;
	cfg.Storage = js_FileStorage;
	cfg.Sources = srcs;
	cfg.SourcesLen = 1;
	return car_stream(c, &cfg);
}

/* The car's JetStream domain, as its server reports it. */
static int car_domain(struct car *c, char *domain, size_t cap)
{
	jsAccountInfo *ai = NULL;
	jsErrCode e = 0;
	natsStatus s = js_GetAccountInfo(&ai, c->js, NULL, &e);

	if (s != NATS_OK)
		return fail("car account info", s, e);
	if (!ai->Domain || !ai->Domain[0]) {
		jsAccountInfo_Destroy(ai);
		fprintf(stderr, "hotlist car: the car's server has no JetStream domain\n");
		return -1;
	}
	snprintf(domain, cap, "%s", ai->Domain);
	jsAccountInfo_Destroy(ai);
	return 0;
}

/* Add the car's stream car_stream to the sources of the hub's hub_stream, once. */
static int hub_source(struct car *c, const char *hub_stream, const char *car_stream,
		      const char *domain)
{
	char prefix[96], what[128];
	jsStreamInfo *si = NULL, *out = NULL;
	jsStreamSource src, **srcs, **orig;
	jsExternalStream ext;
	jsErrCode e = 0;
	natsStatus s = js_GetStreamInfo(&si, c->hub, hub_stream, NULL, &e);
	int n, rc = 0;

	snprintf(what, sizeof(what), "hub %s (is the link up, and the hub set up?)", hub_stream);
	if (s != NATS_OK)
		return fail(what, s, e);
	snprintf(prefix, sizeof(prefix), "$JS.%s.API", domain);
	n = si->Config->SourcesLen;
	for (int i = 0; i < n; i++) {
		jsStreamSource *x = si->Config->Sources[i];

		if (x->External && x->External->APIPrefix &&
		    !strcmp(x->External->APIPrefix, prefix) && x->Name &&
		    !strcmp(x->Name, car_stream)) {
			jsStreamInfo_Destroy(si);
			return 0; /* set up already */
		}
	}
	srcs = calloc((size_t)n + 1, sizeof(*srcs));
	if (!srcs) {
		jsStreamInfo_Destroy(si);
		return -1;
	}
	orig = si->Config->Sources;
	if (n)
		memcpy(srcs, orig, (size_t)n * sizeof(*srcs));
	external_source(&src, &ext, prefix, car_stream);
	srcs[n] = &src;
	si->Config->Sources = srcs;
	si->Config->SourcesLen = n + 1;
	s = js_UpdateStream(&out, c->hub, si->Config, NULL, &e);
	snprintf(what, sizeof(what), "hub %s: add the car's %s as a source", hub_stream,
		 car_stream);
	if (s != NATS_OK)
		rc = fail(what, s, e);
	/* Give the config its own array back before libnats frees it. */
	si->Config->Sources = orig;
	si->Config->SourcesLen = n;
	jsStreamInfo_Destroy(out);
	jsStreamInfo_Destroy(si);
	free(srcs);
	return rc;
}

/*
 * The hub's HL_CARS: the last status of each node on every car, sourced from
 * the cars' HL_NODES buckets, so that `hotlist cluster` on the hub lists the
 * cars' nodes (a car's bucket is in its own domain, which the hub's nodes
 * bucket never sees). No subjects of its own (the hub's HL_NODES has
 * $KV.HL_NODES.>), one message per node, no age limit: a car offline for a
 * week is listed with its last status. Made by the first car's setup with
 * that car as its source; each further car is added as a source.
 */
static int hub_cars(struct car *c, const char *domain)
{
	static const char kv_nodes[] = "KV_" HL_KV_NODES;
	jsStreamInfo *si = NULL;
	jsStreamConfig cfg;
	jsStreamSource src, *srcs[1] = { &src };
	jsExternalStream ext;
	jsErrCode e = 0;
	char prefix[96];
	int replicas = 1;
	natsStatus s = js_GetStreamInfo(&si, c->hub, HL_STREAM_CARS, NULL, &e);

	jsStreamInfo_Destroy(si);
	if (s == NATS_OK)
		return hub_source(c, HL_STREAM_CARS, kv_nodes, domain);
	if (s != NATS_NOT_FOUND && e != JSStreamNotFoundErr)
		return fail("hub " HL_STREAM_CARS " (is the link up?)", s, e);
	/* As many replicas as the hub's hit stream: one server or three. */
	si = NULL;
	if (js_GetStreamInfo(&si, c->hub, HL_STREAM_HITS, NULL, NULL) == NATS_OK && si->Config)
		replicas = si->Config->Replicas;
	jsStreamInfo_Destroy(si);
	si = NULL;
	snprintf(prefix, sizeof(prefix), "$JS.%s.API", domain);
	external_source(&src, &ext, prefix, kv_nodes);
	jsStreamConfig_Init(&cfg);
	cfg.Name = HL_STREAM_CARS;
	cfg.Storage = js_FileStorage;
	cfg.Replicas = replicas;
	cfg.MaxMsgsPerSubject = 1;
	cfg.Sources = srcs;
	cfg.SourcesLen = 1;
	s = js_AddStream(&si, c->hub, &cfg, NULL, &e);
	jsStreamInfo_Destroy(si);
	if (s != NATS_OK) /* another car's setup may have made it meanwhile */
		return hub_source(c, HL_STREAM_CARS, kv_nodes, domain);
	return 0;
}

/* The rest of the car's streams and buckets, as a node would make them. */
static int car_rest(const char *url)
{
	struct hl_cluster cl;
	struct hl_cluster_limits lim;
	int rc;

	hl_cluster_limits_init(&lim);
	rc = hl_cluster_open(&cl, url, &lim);
	hl_cluster_close(&cl);
	return rc;
}

static int car_setup(struct car *c, const char *url)
{
	char domain[64];

	if (car_domain(c, domain, sizeof(domain)) || car_mirror(c, HL_STREAM_EDITS) ||
	    car_mirror(c, HL_STREAM_BLOBS) || car_lists(c) || car_rest(url) ||
	    hub_source(c, HL_STREAM_HITS, HL_STREAM_HITS, domain) || hub_cars(c, domain))
		return -1;
	printf("car %s: %s and %s mirrored from the hub, %s sourced from it; the hub sources "
	       "the car's %s, and its %s into %s\n",
	       domain, HL_STREAM_EDITS, HL_STREAM_BLOBS, HL_KV_LISTS, HL_STREAM_HITS, HL_KV_NODES,
	       HL_STREAM_CARS);
	return 0;
}

/* ---- status ----------------------------------------------------------------- */

/* What the hub has: the last edit sequence and every list's manifest. */
struct hub_state {
	bool reachable;
	uint64_t edit_last;
	json_t *manifests; /* list -> manifest */
};

static void hub_state(struct car *c, struct hub_state *h)
{
	struct hl_cluster hub = { .js = c->hub }; /* hl_cluster_kv_all() uses js alone */
	jsStreamInfo *si = NULL;
	kvStore *kv = NULL;

	memset(h, 0, sizeof(*h));
	if (js_GetStreamInfo(&si, c->hub, HL_STREAM_EDITS, NULL, NULL) != NATS_OK)
		return;
	h->edit_last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	if (js_KeyValue(&kv, c->hub, HL_KV_LISTS) != NATS_OK)
		return;
	h->manifests = hl_cluster_kv_all(&hub, kv);
	kvStore_Destroy(kv);
	h->reachable = h->manifests != NULL;
}

static uint64_t juint(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

/* Compare each hub list with what the node applied or refused. */
static bool lists_current(json_t *node, const struct hub_state *h, json_t *out)
{
	json_t *applied = json_object_get(node, "lists"), *m, *l;
	const char *name;
	bool current = true;

	json_object_foreach(applied, name, l)
	{
		json_t *o = json_object();

		json_object_set_new(o, "applied", json_integer((json_int_t)juint(l, "applied")));
		json_object_set_new(o, "applied_us",
				    json_integer((json_int_t)juint(l, "applied_us")));
		json_object_set(out, name, o);
		json_decref(o);
	}
	json_object_foreach(h->manifests, name, m)
	{
		json_t *have = json_object_get(applied, name), *o = json_object_get(out, name);
		uint64_t want = juint(m, "version");
		uint64_t got = juint(have, "applied") > juint(have, "refused") ?
				       juint(have, "applied") :
				       juint(have, "refused");

		if (!o) {
			o = json_object();
			json_object_set_new(out, name, o);
		}
		json_object_set_new(o, "hub", json_integer((json_int_t)want));
		current &= got >= want;
	}
	return current;
}

/* One node's verdict as a JSON object (new reference). */
static json_t *verdict(const char *name, json_t *node, const struct hub_state *h, bool *current)
{
	json_t *o = json_object(), *lists = json_object();
	int64_t age = hl_cluster_now_us() - json_integer_value(json_object_get(node, "updated_us"));
	bool live = age < HL_NODE_LIVE_US, ready = json_is_true(json_object_get(node, "ready"));
	bool lists_ok = h->reachable && lists_current(node, h, lists);
	uint64_t seq = juint(node, "edit_seq");

	if (!h->reachable)
		lists_current(node, h, lists); /* the versions it matches against */
	*current = h->reachable && live && ready && lists_ok && seq >= h->edit_last;
	json_object_set_new(o, "node", json_string(name));
	json_object_set_new(o, "current", json_boolean(*current));
	json_object_set_new(o, "stale", json_boolean(!*current));
	json_object_set_new(o, "hub", json_string(h->reachable ? "reachable" : "unreachable"));
	json_object_set_new(o, "live", json_boolean(live));
	json_object_set_new(o, "ready", json_boolean(ready));
	json_object_set_new(o, "edit_seq", json_integer((json_int_t)seq));
	if (h->reachable)
		json_object_set_new(o, "hub_edit_seq", json_integer((json_int_t)h->edit_last));
	json_object_set_new(o, "lists", lists);
	return o;
}

/* Print every node's verdict; true when all are current (and there is one). */
static bool car_status_once(struct car *c, const char *only, bool print)
{
	struct hl_cluster car = { .js = c->js }; /* hl_cluster_kv_all() uses js alone */
	struct hub_state h;
	kvStore *nodes = NULL;
	json_t *all = NULL, *node;
	const char *name;
	bool all_current = true;
	int n = 0;

	hub_state(c, &h);
	if (js_KeyValue(&nodes, c->js, HL_KV_NODES) == NATS_OK)
		all = hl_cluster_kv_all(&car, nodes);
	kvStore_Destroy(nodes);
	json_object_foreach(all, name, node)
	{
		bool cur;
		json_t *v;
		char *line;

		if (only && strcmp(only, name))
			continue;
		v = verdict(name, node, &h, &cur);
		line = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (print && line)
			puts(line);
		free(line);
		json_decref(v);
		all_current &= cur;
		n++;
	}
	if (!n && print)
		printf("{\"node\":%s%s%s,\"current\":false,\"stale\":true,\"why\":\"no such node "
		       "on the car\"}\n",
		       only ? "\"" : "", only ? only : "null", only ? "\"" : "");
	fflush(stdout);
	json_decref(all);
	json_decref(h.manifests);
	return n && all_current;
}

static int car_status(struct car *c, const char *node, int wait_s)
{
	int64_t end = hl_cluster_now_us() + (int64_t)wait_s * 1000000;

	while (wait_s > 0 && hl_cluster_now_us() < end) {
		if (car_status_once(c, node, false))
			break;
		usleep(200 * 1000);
	}
	return car_status_once(c, node, true) ? 0 : 1;
}

static const char car_usage[] =
	"usage: hotlist car setup  --nats CAR_URL --hub-domain DOMAIN\n"
	"       hotlist car status --nats CAR_URL --hub-domain DOMAIN [--node NAME] [--wait S]\n"
	"\n"
	"A node on a car's computer, connected to the car's own nats-server (a\n"
	"leafnode of the hub, with a JetStream domain of its own; docs/cameras.md).\n"
	"setup creates the car's streams (list edits and blobs mirrored from the hub,\n"
	"list manifests sourced from it) and makes the hub source the car's hits.\n"
	"status prints, per node, one JSON line: current (the hub is reachable and the\n"
	"node applied or refused every list version and edit the hub has) or stale,\n"
	"with the versions it is matching against. --wait waits up to S seconds for\n"
	"current. Exit status: 0 current, 1 stale, 2 usage or setup error.\n";

int hl_cmd_car(int argc, char **argv)
{
	static const struct option opts[] = { { "nats", required_argument, NULL, 'N' },
					      { "hub-domain", required_argument, NULL, 'd' },
					      { "node", required_argument, NULL, 'n' },
					      { "wait", required_argument, NULL, 'w' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *url = NULL, *domain = NULL, *node = NULL, *what;
	struct car c = { 0 };
	int ch, wait_s = 0, rc;

	/* 0, not 1: glibc then starts afresh, permuting again (main() parsed
	 * its own options with "+"). */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'N':
			url = optarg;
			break;
		case 'd':
			domain = optarg;
			break;
		case 'n':
			node = optarg;
			break;
		case 'w':
			wait_s = atoi(optarg);
			break;
		case 'h':
			fputs(car_usage, stdout);
			return 0;
		default:
			fputs(car_usage, stderr);
			return EXIT_USAGE;
		}
	}
	what = optind + 1 == argc ? argv[optind] : NULL;
	if (!url || !domain || !what || (strcmp(what, "setup") && strcmp(what, "status"))) {
		fputs(car_usage, stderr);
		return EXIT_USAGE;
	}
	if (car_open(&c, url, domain)) {
		car_close(&c);
		return EXIT_USAGE;
	}
	rc = !strcmp(what, "setup") ? (car_setup(&c, url) ? EXIT_USAGE : 0) :
				      car_status(&c, node, wait_s);
	car_close(&c);
	return rc;
}
