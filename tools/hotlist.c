/* SPDX-License-Identifier: MIT */
/*
 * hotlist — the command-line program: a table of commands, one file each
 * (tools/cmd_NAME.c, helpers in cli.h). Adding a command is one more file,
 * its declaration in cli.h and one row below.
 *
 * Uses the public API only (hotlist.h). Exit status: 0 success, 1 a check
 * that fails or a read error, 2 bad usage or a list that cannot be loaded.
 */
#include "cli.h"
#ifdef HOTLIST_WITH_CLUSTER
#include "cluster_cmds.h"
#include "gateway.h"
#endif

#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "demo", hl_cmd_demo, "a live run on generated data: cameras, reloads, an urgent entry" },
	{ "match", hl_cmd_match, "match reads (CSV or JSON lines) against hot-list files" },
	{ "check", hl_cmd_check, "validate a hot-list file, every bad row with its line" },
	{ "nats-gate", hl_cmd_gate,
	  "wait until a nats-server of a cluster may start (docs/cluster.md)" },
#ifdef HOTLIST_WITH_CLUSTER
	{ "node", hl_cmd_node, "a matcher node of a NATS JetStream cluster (docs/cluster.md)" },
	{ "publish", hl_cmd_publish, "publish a hot-list file to the cluster as one version" },
	{ "edit", hl_cmd_edit, "publish one put or remove of a list entry to the cluster" },
	{ "feed", hl_cmd_feed, "publish reads to the cluster" },
	{ "hits", hl_cmd_hits, "print the hits stored by the cluster" },
	{ "cluster", hl_cmd_cluster, "nodes, list versions applied or refused, lag" },
	{ "gateway", hl_cmd_gateway, "receive OpenALPR alprd uploads, publish their reads" },
	{ "car", hl_cmd_car, "a node in a car: set up its leaf streams; current or stale" },
#endif
};

static void main_usage(FILE *f)
{
	fprintf(f, "usage: hotlist [--version] [--help] <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'hotlist <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { "version", no_argument, NULL, 'V' },
					      { NULL, 0, NULL, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		if (c == 'h') {
			main_usage(stdout);
			return 0;
		}
		if (c == 'V') {
			printf("hotlist %s\n", hotlist_version_string());
			return 0;
		}
		main_usage(stderr);
		return HL_EXIT_USAGE;
	}
	if (optind >= argc) {
		main_usage(stderr);
		return HL_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].run(argc - optind, argv + optind);
	hl_cli_err("unknown command '%s'", argv[optind]);
	main_usage(stderr);
	return HL_EXIT_USAGE;
}
