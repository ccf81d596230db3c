/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the commands of the `hotlist` program: the command table
 * entry, option values, error lines, the list options (--ocr, --indel, ...),
 * loading list files with a report, and hits written as JSON lines.
 *
 * A command is one file, tools/cmd_NAME.c, defining
 *   int hl_cmd_NAME(int argc, char **argv);
 * (argv[0] is the command's name; the command resets getopt with
 * optind = 0 before parsing), declared below and given one row in the
 * table of tools/hotlist.c.
 *
 * Messages go to stderr, prefixed "hotlist: ". Threads: the helpers keep no
 * state; hl_cli_print_hit() writes to a FILE (stdio locks it).
 */
#ifndef HOTLIST_TOOLS_CLI_H
#define HOTLIST_TOOLS_CLI_H

#include "hotlist.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses: 0 success, 1 a failed check or a read error, 2 bad usage or
 * a list that cannot be loaded. */
#define HL_EXIT_FAIL 1
#define HL_EXIT_USAGE 2
#define HL_EXIT_REFUSED 2

#define HL_NS_PER_S 1000000000ull

/* The commands (one file each). */
int hl_cmd_check(int argc, char **argv);
int hl_cmd_match(int argc, char **argv);
int hl_cmd_demo(int argc, char **argv);
int hl_cmd_gate(int argc, char **argv);

/* ---- messages and values ---- */

/* "hotlist: " + the message + '\n' on stderr. */
void hl_cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse an option value: decimal (or 0x hexadecimal, never octal) in
 * [min, max] / a floating-point number in [min, max]. 0, or -1 after saying
 * why on stderr ("--OPT: 'S' is not a number in MIN..MAX"). */
int hl_cli_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);
int hl_cli_parse_double(const char *opt, const char *s, double min, double max, double *out);

/* Bytes in the most fitting unit, e.g. "6.1 MiB", into buf; returns buf. */
const char *hl_cli_human_bytes(size_t bytes, char *buf, size_t cap);

/* Clocks: monotonic nanoseconds, wall-clock microseconds; sleep ns. */
uint64_t hl_cli_mono_ns(void);
int64_t hl_cli_wall_us(void);
void hl_cli_sleep_ns(uint64_t ns);

/* ---- list options ---- */

/* Long-only option codes of the list options, for getopt_long tables. */
enum {
	HL_OPT_OCR = 256,
	HL_OPT_INDEL,
	HL_OPT_OCR_CLASSES,
	HL_OPT_CROSS_BORDER,
	HL_OPT_NO_CROSS_BORDER,
	HL_OPT_REPAIR,
	HL_OPT_NO_REPAIR,
	HL_OPT_MIN_SCORE,
	HL_OPT_WEAK,
	HL_OPT_NO_WEAK,
	/* scope (issue 13) */
	HL_OPT_CAMERAS,
	HL_OPT_DAYS,
	HL_OPT_HOURS,
	HL_OPT_TZ,
};

/* The rows for a getopt_long table (put them before its terminator). */
/* clang-format off */
#define HL_CLI_LIST_OPTIONS                                                    \
	{ "ocr", required_argument, NULL, HL_OPT_OCR },                        \
	{ "indel", required_argument, NULL, HL_OPT_INDEL },                    \
	{ "ocr-classes", required_argument, NULL, HL_OPT_OCR_CLASSES },        \
	{ "cross-border", no_argument, NULL, HL_OPT_CROSS_BORDER },            \
	{ "no-cross-border", no_argument, NULL, HL_OPT_NO_CROSS_BORDER },      \
	{ "repair", no_argument, NULL, HL_OPT_REPAIR },                        \
	{ "no-repair", no_argument, NULL, HL_OPT_NO_REPAIR },                  \
	{ "min-score", required_argument, NULL, HL_OPT_MIN_SCORE },            \
	{ "weak", no_argument, NULL, HL_OPT_WEAK },                            \
	{ "no-weak", no_argument, NULL, HL_OPT_NO_WEAK }, \
	{ "cameras", required_argument, NULL, HL_OPT_CAMERAS },                \
	{ "days", required_argument, NULL, HL_OPT_DAYS },                      \
	{ "hours", required_argument, NULL, HL_OPT_HOURS },                    \
	{ "tz", required_argument, NULL, HL_OPT_TZ }
/* clang-format on */

/* The usage text of the list options, a string literal. */
#define HL_CLI_LIST_OPTIONS_USAGE                                                        \
	"      --ocr K          OCR substitutions allowed, 0..2 (default 0)\n"           \
	"      --indel D        characters the read may have extra or missing, 0..2\n"   \
	"      --ocr-classes C  confusion classes (default \"0ODQ 1I 2Z 5S 8B 6G\")\n"   \
	"      --cross-border   entries with a country also hit reads of others\n"       \
	"      --no-cross-border\n"                                                      \
	"      --no-repair      do not repair reads to their country's plate layout\n"   \
	"      --repair         (default once any list option is given)\n"               \
	"      --min-score S    fuzzy hits scoring below S (0..100) are weak and not\n"  \
	"                       reported; auto (default): the lowest S >= 50 at which\n" \
	"                       the list's estimated innocent alerts stay <= 1 per\n"    \
	"                       1,000; 0: every hit, unscored (docs/fuzzy.md)\n"         \
	"      --weak           report weak hits too, with \"weak\": true\n"             \
	"      --no-weak        (default)\n"                                             \
	"      --cameras P[,P]  the list applies only to reads from cameras whose\n"     \
	"                       id matches a pattern ('*' any run, '?' one char)\n"      \
	"      --days D         only on these days: mon-fri, sat,sun, ... (local)\n"     \
	"      --hours H        only in these hours: 7-19, 22-6, 7-9,16-19 (local)\n"    \
	"      --tz OFFSET      local time for --days/--hours: +01:00 (default UTC)\n"

/* True if c is one of the HL_OPT_ list option codes. */
bool hl_cli_is_list_option(int c);

/* The option's name without "--", for messages. @pre hl_cli_is_list_option(c). */
const char *hl_cli_list_option_name(int c);

/* Apply list option c with value arg (NULL for flags) to o. 0, or -1 after
 * saying why on stderr. @pre hl_cli_is_list_option(c). o->ocr_classes
 * borrows arg. */
int hl_cli_list_option(int c, const char *arg, struct hotlist_list_options *o);

/* ---- list files ---- */

/* A list file to load, with its name and options. */
struct hl_cli_list {
	const char *path;
	char name[HOTLIST_NAME_MAX + 1];
	struct hotlist_list_options opts;
	bool has_opts; /* options were given: set them before the first load */
	bool force; /* --force: load even past the shrink guard */
};

/* "lists/national.csv" -> "national" into name (HOTLIST_NAME_MAX + 1 bytes).
 * -1 if the name would be empty or too long. */
int hl_cli_list_name_from_path(const char *path, char *name);

/* The version of the engine's list called name, 0 if none. */
uint64_t hl_cli_list_version(struct hotlist *hl, const char *name);

/*
 * Load (reload: replace) one list from its file and print the load report
 * and its bad rows on stderr; before the first load of a list with options
 * the options are set (and printed). A reload that fails says which version
 * stays live. Returns the library's code.
 */
/* A failed open or read of a list file in the system's words ("No such file
 * or directory"), or NULL for any other code. */
const char *hl_cli_file_error(int rc);
/* Why a file that is not (yet) live would be refused: no "the live list was
 * kept", there is none. */
const char *hl_cli_refusal(int rc);

int hl_cli_load_list(struct hotlist *hl, const struct hl_cli_list *l, bool reload);

/* Print a load report's row errors on stderr, "  PATH:LINE: reason". */
void hl_cli_print_row_errors(const char *path, const struct hotlist_load_report *r);

/* ---- hits ---- */

/* The match kind's name: "exact", "ocr", "indel", "wildcard". */
const char *hl_cli_match_kind_name(enum hotlist_match_kind k);

/*
 * Write the hit as one compact JSON object and a newline to f, and flush:
 * keys camera, ts_us, read, country, list, entry, entry_country, category,
 * priority, reference, covert, match, candidate, matched_plate, repaired,
 * format, substitutions, indels, score (and weak, true, for a weak hit),
 * entry_id, hit_id, attributes, uuid, site, confidence in that order
 * (docs/cli.md). Text that is
 * not UTF-8 has its other bytes as '?'. 0, or -1 if it could not be written.
 */
int hl_cli_print_hit(FILE *f, const struct hotlist_hit *h);

/*
 * Write an audit event (struct hotlist_audit_event) as one compact JSON
 * object and a newline to f, and flush: keys time_us, action, list, source,
 * ok, error, reason, version, rows, loaded, rejected, duplicates,
 * duration_us (docs/cli.md). 0, or -1 if it could not be written.
 */
int hl_cli_print_audit(FILE *f, const struct hotlist_audit_event *ev);

#endif /* HOTLIST_TOOLS_CLI_H */
