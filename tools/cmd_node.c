/* SPDX-License-Identifier: MIT */
/* `hotlist node`: a long-running matcher node (docs/cluster.md). */
#include "cluster.h"
#include "cluster_cmds.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char node_usage[] =
	"usage: hotlist node --name NAME [--nats URL[,URL...]] [--site SITE ...]\n"
	"                    [--http-port PORT] [--http-addr ADDR] [--ack-wait MS]\n"
	"                    [--batch N] [--max-bad FRACTION] [--read-storage memory|file]\n"
	"\n"
	"A matcher node: applies every published list version and every edit, then\n"
	"pulls reads (all sites, or the --site ones), matches them, stores the hits\n"
	"on hl.hit.<list> and acks each read once its hits are stored. SIGTERM\n"
	"finishes the batch in hand and exits 0. /healthz answers 200 once ready,\n"
	"/metrics in Prometheus text format.\n"
	"\n"
	"  -n, --name NAME     node name, unique in the cluster: letters, digits, - _\n"
	"  -N, --nats URLS     servers (default nats://127.0.0.1:4222)\n"
	"  -s, --site SITE     only reads of this site (repeatable, at most 8)\n"
	"  -p, --http-port P   serve /healthz and /metrics (default: none)\n"
	"      --http-addr A   address to serve on (default 127.0.0.1)\n"
	"      --ack-wait MS   redelivery time of an unacked read, used when the\n"
	"                      read consumer is created (default 10000)\n"
	"      --batch N       reads per pull (default 256)\n"
	"      --max-bad F     share of bad rows that refuses a list version (0.01)\n"
	"      --replicas R    replicas of streams created by this node (default:\n"
	"                      3 when the cluster has 3 servers or more, else 1)\n"
	"      --read-max-age S  age limit of unmatched reads, in seconds (900)\n"
	"      --read-storage memory|file  storage of the read stream when this node\n"
	"                      creates it; an existing stream with the other storage\n"
	"                      is refused (default: an existing stream as it is, else\n"
	"                      memory). memory: non-hit reads never reach a disk, but\n"
	"                      two of three servers restarting can lose waiting reads;\n"
	"                      file: they survive that, on the servers' disks up to\n"
	"                      the age limit (docs/cluster.md, \"Where reads are kept\")\n"
	"      --unsafe-ack-early  TESTS ONLY: ack reads before their hits are stored\n";

/* A node name is a KV key and a subject token: letters, digits, '-', '_'. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HL_NODE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

int hl_cmd_node(int argc, char **argv)
{
	enum { O_ADDR = 256, O_ACK, O_BATCH, O_BAD, O_UNSAFE, O_REPL, O_AGE, O_STORE };
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "nats", required_argument, NULL, 'N' },
		{ "site", required_argument, NULL, 's' },
		{ "http-port", required_argument, NULL, 'p' },
		{ "http-addr", required_argument, NULL, O_ADDR },
		{ "ack-wait", required_argument, NULL, O_ACK },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "max-bad", required_argument, NULL, O_BAD },
		{ "replicas", required_argument, NULL, O_REPL },
		{ "read-max-age", required_argument, NULL, O_AGE },
		{ "read-storage", required_argument, NULL, O_STORE },
		{ "unsafe-ack-early", no_argument, NULL, O_UNSAFE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sites[9] = { 0 };
	int nsites = 0, c;
	struct hl_node_opts o = { .ack_wait_ms = 10000, .batch = 256, .max_bad = 0.01 };

	hl_cluster_limits_init(&o.limits);
	optind = 0; /* 0: GNU getopt starts afresh (main parsed with "+") */
	while ((c = getopt_long(argc, argv, "n:N:s:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.name = optarg;
			break;
		case 'N':
			o.nats = optarg;
			break;
		case 's':
			if (nsites == 8 || !hl_cluster_token_ok(optarg)) {
				fprintf(stderr, "hotlist node: bad or too many --site\n");
				return 2;
			}
			sites[nsites++] = optarg;
			break;
		case 'p':
			o.http_port = atoi(optarg);
			break;
		case O_ADDR:
			o.http_addr = optarg;
			break;
		case O_ACK:
			o.ack_wait_ms = atoll(optarg);
			break;
		case O_BATCH:
			o.batch = atoi(optarg);
			break;
		case O_BAD:
			o.max_bad = atof(optarg);
			break;
		case O_REPL:
			o.limits.replicas = atoi(optarg);
			break;
		case O_AGE:
			o.limits.read_max_age_s = atoll(optarg);
			break;
		case O_STORE:
			if (strcmp(optarg, "memory") && strcmp(optarg, "file")) {
				fprintf(stderr, "hotlist node: --read-storage: memory or file\n");
				return 2;
			}
			o.limits.read_storage =
				strcmp(optarg, "file") ? js_MemoryStorage : js_FileStorage;
			break;
		case O_UNSAFE:
			o.unsafe_ack_early = true;
			break;
		case 'h':
			fputs(node_usage, stdout);
			return 0;
		default:
			fputs(node_usage, stderr);
			return 2;
		}
	}
	if (!o.name || !name_ok(o.name) || optind != argc || o.batch < 1 || o.batch > 10000 ||
	    o.ack_wait_ms < 100 || o.http_port < 0 || o.http_port > 65535) {
		fputs(node_usage, stderr);
		return 2;
	}
	if (o.unsafe_ack_early)
		fprintf(stderr,
			"hotlist node: --unsafe-ack-early: reads WILL be lost on a crash\n");
	o.sites = sites;
	return hl_node_run(&o);
}
