/* SPDX-License-Identifier: MIT */
/*
 * hotlist check: validate a hot-list file without loading it, every bad row
 * with its line. Exit 0 if the file would load, 1 if it would be refused.
 */
#include "cli.h"

#include <inttypes.h>

static const char check_usage[] =
	"usage: hotlist check [--max-bad FRACTION] [LIST OPTIONS] FILE\n"
	"\n"
	"Validate a hot-list file without loading it: print every bad row as\n"
	"FILE:LINE: reason, then a summary. Exit 0 if the file would load, 1 if it\n"
	"would be refused. With --ocr or --indel, a file that would load is also\n"
	"loaded with those list options (as for match) and the estimated innocent\n"
	"fuzzy hits and alerts per 1,000 reads of each budget are printed.\n"
	"\n"
	"  --max-bad F   share of bad rows that makes a load fail (default 0.01)\n"
	"  -h, --help    this help\n"
	"\n"
	"List options (docs/cli.md):\n" HL_CLI_LIST_OPTIONS_USAGE;

struct check_ctx {
	const char *path;
};

static void check_row_error(const struct hotlist_row_error *err, void *user)
{
	const struct check_ctx *c = user;

	printf("%s:%" PRIu64 ": %s\n", c->path, err->line, err->reason);
}

/* Load path with options o into a scratch engine and print the estimated
 * innocent hits and alerts per 1,000 of every budget the index answers. */
static int check_estimate(const char *path, struct hotlist_config *cfg,
			  const struct hotlist_list_options *o)
{
	struct hotlist_list_info info;
	struct hotlist *hl = NULL;
	int rc;

	cfg->workers = 0;
	rc = hotlist_create(&hl, cfg);
	if (!rc)
		rc = hotlist_set_list_options(hl, "check", o);
	if (!rc)
		rc = hotlist_load_csv(hl, "check", path, NULL);
	if (!rc)
		rc = hotlist_list_info(hl, 0, &info);
	if (rc) {
		hl_cli_err("cannot estimate the fuzzy rates: %s", hotlist_strerror(rc));
		hotlist_destroy(hl, NULL);
		return HL_EXIT_FAIL;
	}
	printf("%s: ocr %u indel %u, threshold %u: estimated innocent reads per 1,000 with a "
	       "fuzzy hit %.1f, alerting %.1f\n",
	       path, o->ocr_substitutions, o->indels, info.min_score, info.innocent_hits_per_1000,
	       info.innocent_alerts_per_1000);
	if (info.alert_rate_warning)
		printf("%s: warning: would alert on more than %.1f innocent reads per 1,000\n",
		       path, HOTLIST_ALERT_RATE_WARN);
	for (unsigned k = 0; k < 3; k++)
		for (unsigned d = 0; d < 3; d++)
			if (info.mode_alerts_per_1000[k][d] >= 0)
				printf("%s: ocr %u indel %u: alerting %.1f per 1,000\n", path, k, d,
				       info.mode_alerts_per_1000[k][d]);
	hotlist_destroy(hl, NULL);
	return 0;
}

int hl_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = { { "max-bad", required_argument, NULL, 'b' },
					      { "help", no_argument, NULL, 'h' },
					      HL_CLI_LIST_OPTIONS,
					      { NULL, 0, NULL, 0 } };
	struct hotlist_list_options lo;
	struct hotlist_config cfg;
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	struct check_ctx ctx;
	int c, rc;

	hotlist_config_init(&cfg);
	hotlist_list_options_init(&lo);
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(check_usage, stdout);
			return 0;
		}
		if (hl_cli_is_list_option(c)) {
			if (hl_cli_list_option(c, optarg, &lo))
				return HL_EXIT_USAGE;
			continue;
		}
		if (c != 'b' ||
		    hl_cli_parse_double("max-bad", optarg, 0, 1, &cfg.max_bad_fraction)) {
			fputs(check_usage, stderr);
			return HL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(check_usage, stderr);
		return HL_EXIT_USAGE;
	}
	ctx.path = argv[optind];
	rc = hotlist_check_csv(ctx.path, cfg.max_bad_fraction, &rep, check_row_error, &ctx);
	if (hl_cli_file_error(rc)) {
		printf("%s: cannot read: %s (%s)\n", ctx.path, hl_cli_file_error(rc),
		       hotlist_err_name(rc));
		return HL_EXIT_FAIL;
	}
	if (rep.expired || rep.not_yet_valid)
		printf("%s: warning: %" PRIu64 " entries already expired, %" PRIu64
		       " not valid yet (as of now); they do not hit\n",
		       ctx.path, rep.expired, rep.not_yet_valid);
	printf("%s: %" PRIu64 " rows, %" PRIu64 " valid (%" PRIu64 " duplicates), %" PRIu64
	       " bad: ",
	       ctx.path, rep.rows, rep.rows > rep.rejected ? rep.rows - rep.rejected : 0,
	       rep.duplicates, rep.rejected);
	if (rc == 0) {
		printf("would load\n");
		return lo.ocr_substitutions || lo.indels ? check_estimate(ctx.path, &cfg, &lo) : 0;
	}
	printf("would be refused: %s (%s)\n", hl_cli_refusal(rc), hotlist_err_name(rc));
	return HL_EXIT_FAIL;
}
