/* SPDX-License-Identifier: MIT */
/*
 * `hotlist feed`: publish reads (the input of `hotlist match`) on
 * hl.read.<site>, each with a deterministic read id as Nats-Msg-Id, and exit
 * 0 once the server has stored every one (docs/cluster.md).
 */
#include "cluster.h"
#include "cluster_cmds.h"
#include "readparse.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char feed_usage[] =
	"usage: hotlist feed [--nats URLS] [--site SITE] [--reads FILE|-]\n"
	"                    [--format auto|csv|jsonl] [--timeout S]\n"
	"\n"
	"Publish reads (CSV, JSON lines or OpenALPR JSON, as `hotlist match`) and\n"
	"exit 0 once the server has stored every one; a full stream or a server\n"
	"that does not answer is an error (exit 1), never a silent drop. A read\n"
	"without ts_us gets the time it was fed. Bad lines are reported and skipped.\n"
	"--timeout S: longest wait for the server's acknowledgements (default 60).\n"
	"Feeding the same file again stores no read twice (reads with ts_us keep\n"
	"their read id) within the read stream's 2-minute de-duplication window.\n";

struct feed {
	struct hl_cluster c;
	const char *site;
	enum hl_read_format format;
	struct hl_csv_layout layout;
	bool have_layout;
	uint64_t fed, bad;
	struct hl_read_rec recs[HL_READ_RESULTS_MAX];
};

static void feed_rec(struct feed *f, const struct hl_read_rec *rec)
{
	const char *cands[HL_READ_CANDIDATES_MAX];
	struct hl_cluster_read r = {
		.plate = rec->plate,
		.country = hl_readparse_country(rec),
		.camera = rec->camera,
		.ts_us = rec->has_ts && rec->ts_us ? rec->ts_us : hl_cluster_now_us(),
		.candidates = cands,
		.n_candidates = rec->n_candidates,
		.site = f->site,
		.confidence = -1,
	};

	for (unsigned i = 0; i < rec->n_candidates; i++)
		cands[i] = rec->candidates[i];
	if (hl_cluster_publish_read(&f->c, &r) == 0)
		f->fed++;
}

static void feed_line(struct feed *f, const char *line, size_t len, uint64_t lineno)
{
	char err[HL_READ_ERR_CAP];
	int n;

	if (hl_readparse_blank(line, len))
		return;
	if (f->format == HL_READS_AUTO)
		f->format = hl_readparse_detect(line, len);
	if (f->format == HL_READS_CSV && !f->have_layout) {
		if (hl_readparse_csv_header(&f->layout, line, len, err))
			fprintf(stderr, "hotlist feed: line %" PRIu64 ": %s\n", lineno, err);
		f->have_layout = true;
		return;
	}
	if (f->format == HL_READS_JSONL)
		n = hl_readparse_json_line(line, len, f->recs, HL_READ_RESULTS_MAX, err);
	else
		n = hl_readparse_csv_line(&f->layout, line, len, f->recs, err) ? -1 : 1;
	if (n < 0) {
		f->bad++;
		fprintf(stderr, "hotlist feed: line %" PRIu64 ": %s\n", lineno, err);
		return;
	}
	for (int i = 0; i < n; i++)
		feed_rec(f, &f->recs[i]);
}

int hl_cmd_feed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nats", required_argument, NULL, 'N' },
		{ "site", required_argument, NULL, 's' },
		{ "reads", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct feed *f = calloc(1, sizeof(*f));
	struct hl_cluster_limits lim;
	const char *nats = NULL, *path = "-";
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t lineno = 0, failed = 0;
	FILE *in;
	int c, rc = 1;
	double timeout_s = 60;

	if (!f)
		return 1;
	f->site = "default";
	optind = 0; /* 0: GNU getopt starts afresh (main parsed with "+") */
	while ((c = getopt_long(argc, argv, "N:s:r:f:t:h", opts, NULL)) != -1) {
		if (c == 'N')
			nats = optarg;
		else if (c == 's')
			f->site = optarg;
		else if (c == 'r')
			path = optarg;
		else if (c == 't')
			timeout_s = atof(optarg);
		else if (c == 'f')
			f->format = !strcmp(optarg, "csv")   ? HL_READS_CSV :
				    !strcmp(optarg, "jsonl") ? HL_READS_JSONL :
							       HL_READS_AUTO;
		else {
			fputs(feed_usage, c == 'h' ? stdout : stderr);
			free(f);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc || !hl_cluster_token_ok(f->site)) {
		fputs(feed_usage, stderr);
		free(f);
		return 2;
	}
	in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		perror(path);
		free(f);
		return 2;
	}
	hl_cluster_limits_init(&lim);
	if (hl_cluster_open(&f->c, nats, &lim) == 0) {
		while ((len = getline(&line, &cap, in)) >= 0)
			feed_line(f, line, (size_t)len, ++lineno);
		failed = hl_cluster_async_wait(&f->c, (int64_t)(timeout_s * 1000), &failed);
		fprintf(stderr,
			"hotlist feed: %" PRIu64 " reads stored (%" PRIu64
			" already there), %" PRIu64 " failed, %" PRIu64 " bad lines\n",
			f->c.acked, f->c.duplicates, failed, f->bad);
		if (failed)
			fprintf(stderr, "hotlist feed: last error: %s\n", f->c.last_error);
		rc = failed ? 1 : 0;
	}
	free(line);
	if (in != stdin)
		fclose(in);
	hl_cluster_close(&f->c);
	free(f);
	return rc;
}
