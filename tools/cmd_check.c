/* SPDX-License-Identifier: MIT */
/*
 * hotlist check: validate a hot-list file without loading it, every bad row
 * with its line. Exit 0 if the file would load, 1 if it would be refused.
 */
#include "cli.h"

#include <inttypes.h>

static const char check_usage[] =
	"usage: hotlist check [--max-bad FRACTION] FILE\n"
	"\n"
	"Validate a hot-list file without loading it: print every bad row as\n"
	"FILE:LINE: reason, then a summary. Exit 0 if the file would load, 1 if it\n"
	"would be refused.\n"
	"\n"
	"  --max-bad F   share of bad rows that makes a load fail (default 0.01)\n"
	"  -h, --help    this help\n";

struct check_ctx {
	const char *path;
};

static void check_row_error(const struct hotlist_row_error *err, void *user)
{
	const struct check_ctx *c = user;

	printf("%s:%" PRIu64 ": %s\n", c->path, err->line, err->reason);
}

int hl_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = { { "max-bad", required_argument, NULL, 'b' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct hotlist_config cfg;
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	struct check_ctx ctx;
	int c, rc;

	hotlist_config_init(&cfg);
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(check_usage, stdout);
			return 0;
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
	printf("%s: %" PRIu64 " rows, %" PRIu64 " valid (%" PRIu64 " duplicates), %" PRIu64
	       " bad: ",
	       ctx.path, rep.rows, rep.rows > rep.rejected ? rep.rows - rep.rejected : 0,
	       rep.duplicates, rep.rejected);
	if (rc == 0) {
		printf("would load\n");
		return 0;
	}
	printf("would be refused: %s (%s)\n", hotlist_strerror(rc), hotlist_err_name(rc));
	return HL_EXIT_FAIL;
}
