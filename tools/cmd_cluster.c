/* SPDX-License-Identifier: MIT */
/* `hotlist cluster`: lists, nodes, versions applied or refused, lag. */
#include "cluster.h"
#include "cluster_cmds.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cluster_usage[] =
	"usage: hotlist cluster [--nats URLS] [--json]\n"
	"\n"
	"Show each list's current version, and each node: live or not, ready or\n"
	"not, which version of each list it applied or refused, and its lag (reads\n"
	"waiting or unacked). Nodes on cars (leaf nodes with a JetStream domain of\n"
	"their own, set up with `hotlist car setup`) are listed too, online or not,\n"
	"with when they were last seen. --json prints {\"lists\": {...}, \"nodes\":\n"
	"{...}, \"cars\": {...}}, the manifests and node statuses as stored (a car\n"
	"node's with \"online\" and \"last_seen_us\"; null: stopped), and \"reads\": the read\n"
	"stream's storage, replicas, age limit (s) and reads in it (\"none\" before\n"
	"it is made, null when it does not answer).\n";

/* The read stream's storage and limits, where reads are kept (docs/cluster.md,
 * "Where reads are kept"); NULL when it cannot be asked now, "none" when
 * absent. A status command: the answer never makes it fail. */
static json_t *reads_info(struct hl_cluster *c)
{
	jsStreamInfo *si = NULL;
	jsErrCode e = 0;
	natsStatus s = js_GetStreamInfo(&si, c->js, HL_STREAM_READS, NULL, &e);
	json_t *o;

	if (s == NATS_NOT_FOUND || e == JSStreamNotFoundErr)
		return json_string("none");
	if (s != NATS_OK || !si->Config) {
		jsStreamInfo_Destroy(si);
		return NULL;
	}
	o = json_pack("{sssIsIsI}", "storage",
		      si->Config->Storage == js_FileStorage ? "file" : "memory", "replicas",
		      (json_int_t)si->Config->Replicas, "max_age_s",
		      (json_int_t)(si->Config->MaxAge / HL_NS_PER_S), "messages",
		      (json_int_t)si->State.Msgs);
	jsStreamInfo_Destroy(si);
	return o;
}

static void print_node(const char *name, json_t *n, json_t *manifests, bool car)
{
	int64_t age = hl_cluster_now_us() - json_integer_value(json_object_get(n, "updated_us"));
	json_t *lists = json_object_get(n, "lists"), *l;
	json_t *lag = json_object_get(n, "lag");
	const char *ln;
	char lagtxt[32] = "unknown"; /* null: the node could not ask its consumer */

	if (json_is_integer(lag))
		snprintf(lagtxt, sizeof(lagtxt), "%" PRId64, (int64_t)json_integer_value(lag));
	if (car) {
		const char *d = json_string_value(json_object_get(n, "domain"));

		printf("car node %s (domain %s): ", name, d ? d : "?");
		if (age >= HL_NODE_LIVE_US)
			printf("OFFLINE, last seen %" PRId64 " s ago, then ", age / 1000000);
		else
			printf("online, ");
	} else
		printf("node %s: %s, ", name,
		       age < HL_NODE_LIVE_US ? "live" : "NOT LIVE (no heartbeat)");
	printf("%s, lag %s, %" PRId64 " reads, %" PRId64 " hits\n",
	       json_is_true(json_object_get(n, "ready")) ? "ready" : "NOT READY", lagtxt,
	       (int64_t)json_integer_value(json_object_get(n, "reads")),
	       (int64_t)json_integer_value(json_object_get(n, "hits")));
	json_object_foreach(lists, ln, l)
	{
		int64_t cur = json_integer_value(
			json_object_get(json_object_get(manifests, ln), "version"));
		int64_t app = json_integer_value(json_object_get(l, "applied"));

		int64_t ref = json_integer_value(json_object_get(l, "refused"));

		printf("  list %s: applied version %" PRId64 "%s", ln, app,
		       app == cur ? " (current)" :
		       ref == cur ? " (kept: the current version was refused)" :
				    " (BEHIND)");
		if (json_object_get(l, "refused"))
			printf(", REFUSED version %" PRId64 ": %s",
			       (int64_t)json_integer_value(json_object_get(l, "refused")),
			       json_string_value(json_object_get(l, "refused_why")));
		printf("\n");
	}
}

int hl_cmd_cluster(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nats", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nats = NULL, *name;
	bool as_json = false;
	struct hl_cluster_limits lim;
	struct hl_cluster c;
	json_t *lists = NULL, *nodes = NULL, *cars = NULL, *reads = NULL, *v;
	int ch, rc = 1;

	optind = 0; /* 0: GNU getopt starts afresh (main parsed with "+") */
	while ((ch = getopt_long(argc, argv, "N:jh", opts, NULL)) != -1) {
		if (ch == 'N')
			nats = optarg;
		else if (ch == 'j')
			as_json = true;
		else {
			fputs(cluster_usage, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : 2;
		}
	}
	hl_cluster_limits_init(&lim);
	lim.reads = false; /* made by nodes and producers, with their options */
	if (optind != argc) {
		fputs(cluster_usage, stderr);
		return 2;
	}
	if (hl_cluster_open(&c, nats, &lim))
		goto out;
	lists = hl_cluster_kv_all(&c, c.lists);
	nodes = hl_cluster_kv_all(&c, c.nodes);
	if (!lists || !nodes)
		goto out;
	/* Cars' nodes: a status command, so an unanswered question is shown, not fatal. */
	cars = hl_cluster_last_per_subject(&c, HL_STREAM_CARS, "$KV." HL_KV_NODES ".>");
	json_object_foreach(cars, name, v)
	{
		int64_t seen = json_integer_value(json_object_get(v, "updated_us"));

		if (!json_is_object(v))
			continue; /* null: the node was stopped (its status deleted) */
		json_object_set_new(v, "last_seen_us", json_integer(seen));
		json_object_set_new(v, "online",
				    json_boolean(hl_cluster_now_us() - seen < HL_NODE_LIVE_US));
	}
	reads = reads_info(&c);
	rc = 0;
	if (as_json) {
		json_t *o = json_pack("{sOsOsoso}", "lists", lists, "nodes", nodes, "cars",
				      cars ? json_incref(cars) : json_null(), "reads",
				      reads ? json_incref(reads) : json_null());

		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
		goto out;
	}
	if (json_is_object(reads))
		printf("reads: stream %s, %s storage, %" PRId64 " replicas, age limit %" PRId64
		       " s, %" PRId64 " reads in it\n",
		       HL_STREAM_READS, json_string_value(json_object_get(reads, "storage")),
		       (int64_t)json_integer_value(json_object_get(reads, "replicas")),
		       (int64_t)json_integer_value(json_object_get(reads, "max_age_s")),
		       (int64_t)json_integer_value(json_object_get(reads, "messages")));
	else
		printf("reads: %s\n", reads ? "no read stream yet (a node or feed makes it)" :
					      "read stream not answering");
	json_object_foreach(lists, name, v)
		printf("list %s: version %" PRId64 ", %" PRId64 " bytes in %" PRId64 " chunks\n",
		       name, (int64_t)json_integer_value(json_object_get(v, "version")),
		       (int64_t)json_integer_value(json_object_get(v, "size")),
		       (int64_t)json_integer_value(json_object_get(v, "chunks")));
	json_object_foreach(nodes, name, v) print_node(name, v, lists, false);
	if (!json_object_size(nodes))
		printf("no node\n");
	if (!cars)
		printf("car nodes: %s not answering\n", HL_STREAM_CARS);
	json_object_foreach(cars, name, v)
	{
		if (json_is_object(v))
			print_node(name, v, lists, true);
		else
			printf("car node %s: stopped\n", name);
	}
out:
	json_decref(lists);
	json_decref(nodes);
	json_decref(cars);
	json_decref(reads);
	hl_cluster_close(&c);
	return rc;
}
