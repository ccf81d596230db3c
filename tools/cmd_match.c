/* SPDX-License-Identifier: MIT */
/*
 * hotlist match: load hot-list files, then match a stream of reads (CSV,
 * JSON lines or OpenALPR results; tools/readparse.h), one JSON object per hit
 * on stdout. SIGHUP reloads the files; --watch reloads a file when it changes
 * (tools/watch.h), on this thread between two lines like SIGHUP.
 *
 * SIGHUP is blocked but while the line reader waits for input (its
 * wait_mask), so a reload happens between two lines, never inside a match;
 * the handler only sets a flag that the read loop looks at.
 */
#include "cli.h"
#include "linereader.h"
#include "readparse.h"
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char match_usage[] =
	"usage: hotlist match [LIST OPTIONS] --list FILE [[LIST OPTIONS] --list FILE ...]\n"
	"                     [--name NAME ...] [--reads FILE|-] [--format auto|csv|jsonl]\n"
	"                     [--suppress SECONDS] [--max-bad FRACTION]\n"
	"                     [--shrink-guard FRACTION] [--force] [--retro SECONDS]\n"
	"                     [--second-read SECONDS [--second-read-any-camera]]\n"
	"                     [--watch [--watch-settle MS]]\n"
	"\n"
	"Load hot-list files, then match reads, one per line, and print one JSON\n"
	"object per hit on stdout. Reads are CSV with a header naming the columns\n"
	"camera,ts_us,plate,country,candidates (any order; delimiter ',' ';' tab or\n"
	"'|', the most frequent in the header, as in list files; candidates\n"
	"separated by '|'), JSON lines with the same keys (candidates an array of\n"
	"strings), or OpenALPR JSON results (objects with a \"results\" array).\n"
	"Load reports and bad read lines go to stderr. SIGHUP reloads every list\n"
	"file; a reload that fails keeps the list that was live. Replace a list\n"
	"file by writing the new one elsewhere and renaming it into place.\n"
	"\n"
	"List options apply to every --list after them (until changed); none given\n"
	"means exact matching only:\n" HL_CLI_LIST_OPTIONS_USAGE "\n"
	"  -l, --list FILE      hot-list CSV file (repeatable); the list is named\n"
	"                       after the file (basename without extension)\n"
	"  -n, --name NAME      name for the list of the same position (repeatable)\n"
	"  -r, --reads FILE     reads to match; '-' (default) is stdin\n"
	"  -f, --format F       auto (default: JSON if the first line starts with\n"
	"                       '{', else CSV), csv or jsonl\n"
	"  -s, --suppress S     suppress repeat hits of an entry by a camera within\n"
	"                       S seconds of read time (default 0: report every hit)\n"
	"      --max-bad F      share of bad rows that refuses a list (default 0.01)\n"
	"      --shrink-guard F a reload that keeps fewer than F of the live list's\n"
	"                       entries is refused (default 0.5; 0 = off)\n"
	"      --force          reload even past the shrink guard\n"
	"      --audit FILE     append every list change and refused load to FILE,\n"
	"                       one JSON object per line\n"
	"      --retro S        match the reads of the last S seconds against the\n"
	"                       entries a reload adds: \"retro\": true (default 0: off)\n";
/* The rest (one string would pass the 4095 bytes C requires compilers to take). */
static const char match_usage_more[] =
	"      --second-read S  keep weak fuzzy hits for S seconds of read time (a\n"
	"                       keyed hash of the text, not the text): a weak hit of\n"
	"                       the same entry by another text from the same camera\n"
	"                       within S is scored with it, and alerts as\n"
	"                       \"second_read\": true if the pair reaches the list's\n"
	"                       threshold (default 0: off)\n"
	"      --second-read-any-camera\n"
	"                       with --second-read: reads of any camera may pair\n"
	"      --watch          reload a list file when it changes: replaced by\n"
	"                       rename, rewritten in place, or removed and written\n"
	"                       again (Linux only); as with SIGHUP, a reload that\n"
	"                       fails keeps the live list\n"
	"      --watch-settle MS\n"
	"                       with --watch: load a changed file once its size,\n"
	"                       mtime and inode have not changed for MS\n"
	"                       milliseconds (default 1000)\n"
	"  -h, --help           this help\n"
	"\n"
	"Exit status: 0 at end of input, 1 on a read error, 2 on bad usage or a\n"
	"list file that cannot be loaded.\n";

/* Read lines: the buffer starts at READ_LINE_START and grows to READ_LINE_MAX
 * for a long line (an OpenALPR frame with its base64 plate crop is often
 * over 64 KiB); longer lines are reported and skipped. */
#define READ_LINE_START (64 * 1024)
#define READ_LINE_MAX (16 * 1024 * 1024)

struct match_ctx {
	struct hotlist *hl;
	struct hl_cli_list lists[HOTLIST_LISTS_MAX];
	size_t nlists;
	const char *reads_path; /* for messages */
	enum hl_read_format format;
	struct hl_csv_layout layout;
	bool have_layout;
	uint64_t reads, hits, bad, output_errors;
	uint64_t skipped; /* OpenALPR heartbeat and alpr_group lines */
	struct hl_read_rec recs[HL_READ_RESULTS_MAX]; /* the reads of the current line */
	/* ---- operator options (issue 13) ---- */
	const char *audit_path; /* --audit, or NULL */
	FILE *audit; /* open on audit_path */
	struct hl_watch *watch; /* --watch, or NULL */
};

/* ---- SIGHUP ------------------------------------------------------------------- */

static volatile sig_atomic_t reload_requested;

static void on_sighup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

/*
 * The line reader's after_wait: a SIGHUP that came while it was blocked and
 * is still pending when input is ready is not delivered by ppoll() (Linux
 * restores the mask undelivered unless the call was interrupted), so take it
 * here.
 */
static void take_pending_sighup(void *unused)
{
	static const struct timespec now = { 0, 0 };
	sigset_t set;

	(void)unused;
	if (sigpending(&set) || !sigismember(&set, SIGHUP))
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	if (sigtimedwait(&set, NULL, &now) == SIGHUP)
		reload_requested = 1;
}

/* Block SIGHUP (the reader lets it in while waiting) and install the handler;
 * *wait_mask gets the mask to wait with. */
static void setup_sighup(sigset_t *wait_mask)
{
	struct sigaction sa = { .sa_handler = on_sighup };
	sigset_t hup;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a wait is interrupted, the list reloaded */
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, wait_mask);
	sigdelset(wait_mask, SIGHUP);
}

static void reload_lists(struct match_ctx *m)
{
	reload_requested = 0;
	hl_cli_err("SIGHUP: reloading %zu list(s)", m->nlists);
	for (size_t i = 0; i < m->nlists; i++)
		hl_cli_load_list(m->hl, &m->lists[i], true);
}

/* --watch: the file of list i has changed and settled. */
static void watch_reload(size_t i, void *user)
{
	struct match_ctx *m = user;

	hl_cli_err("--watch: %s changed: reloading list '%s'", m->lists[i].path, m->lists[i].name);
	hl_cli_load_list(m->hl, &m->lists[i], true);
}

/* ---- the audit trail ---------------------------------------------------------- */

static void match_on_audit(const struct hotlist_audit_event *ev, void *user)
{
	struct match_ctx *m = user;

	if (hl_cli_print_audit(m->audit, ev) && !m->output_errors++)
		hl_cli_err("cannot write to the audit file %s", m->audit_path);
}

/* ---- the read loop ------------------------------------------------------------ */

static void match_on_hit(const struct hotlist_hit *h, void *user)
{
	struct match_ctx *m = user;

	m->hits++;
	/* a hit that cannot be written is lost: the stream stops at the first
	 * (match_stream), rather than go on dropping every later one */
	if (hl_cli_print_hit(stdout, h) && !m->output_errors++)
		hl_cli_err("cannot write a hit to stdout (%s): stopping", strerror(errno));
}

/* why, with every byte that is not printable ASCII as \xNN: a message may
 * quote read text (a parse error), which must not reach a terminal or a
 * log as control characters (forged lines, escape sequences). */
static void escape_text(const char *why, char *out, size_t cap)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)why; *p && o + 5 < cap; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
	}
	out[o] = '\0';
}

static void bad_line(struct match_ctx *m, uint64_t lineno, const char *why)
{
	char safe[4 * (HL_READ_ERR_CAP + 64)];

	m->bad++;
	escape_text(why, safe, sizeof(safe));
	hl_cli_err("%s:%" PRIu64 ": %s", m->reads_path, lineno, safe);
}

/*
 * Parse one read line (the header, if it is the first CSV line) into m->recs.
 * Returns the number of reads (an OpenALPR frame may hold several), or -1 when
 * the stream cannot be read at all.
 */
static int parse_read(struct match_ctx *m, const char *line, size_t len, uint64_t lineno)
{
	char err[HL_READ_ERR_CAP];
	int rc;

	if (m->format == HL_READS_AUTO)
		m->format = hl_readparse_detect(line, len);
	if (m->format == HL_READS_CSV && !m->have_layout) {
		if (hl_readparse_csv_header(&m->layout, line, len, err)) {
			hl_cli_err("%s:%" PRIu64 ": not a read header: %s", m->reads_path, lineno,
				   err);
			return -1;
		}
		m->have_layout = true;
		if (m->layout.col_camera < 0)
			hl_cli_err("%s: warning: no camera column (camera, camera_id, CameraName, "
				   "unit, device, ...): hits will have \"camera\": null",
				   m->reads_path);
		if (m->layout.col_ts < 0)
			hl_cli_err("%s: warning: no time column (ts_us, timestamp, time, "
				   "datetime, ...): reads are timed when they are matched",
				   m->reads_path);
		return 0;
	}
	if (m->format == HL_READS_JSONL) {
		rc = hl_readparse_json_line(line, len, m->recs, HL_READ_RESULTS_MAX, err);
		m->skipped += rc == 0 && m->recs[0].skipped;
	} else if ((rc = hl_readparse_csv_line(&m->layout, line, len, m->recs, err)) == 0)
		rc = 1;
	if (rc < 0) {
		bad_line(m, lineno, err);
		return 0;
	}
	return rc;
}

static void match_one(struct match_ctx *m, const struct hl_read_rec *rec, uint64_t lineno)
{
	const char *cands[HL_READ_CANDIDATES_MAX];
	struct hotlist_read read = {
		.plate = rec->plate,
		.country = hl_readparse_country(rec),
		.camera = rec->camera[0] ? rec->camera : NULL,
		.ts_us = rec->has_ts && rec->ts_us ? rec->ts_us : hl_cli_wall_us(),
		.candidates = rec->n_candidates ? cands : NULL,
		.n_candidates = rec->n_candidates,
		.uuid = rec->uuid[0] ? rec->uuid : NULL,
		.site = rec->site[0] ? rec->site : NULL,
		.confidence = rec->confidence,
	};
	int rc;

	for (unsigned i = 0; i < rec->n_candidates && i < HL_READ_CANDIDATES_MAX; i++)
		cands[i] = rec->candidates[i];
	rc = hotlist_match(m->hl, &read, match_on_hit, m);

	m->reads += rc >= 0;
	/* the read's text is not printed (docs/SECURITY.md): the line number
	 * finds it */
	if (rc < 0)
		bad_line(m, lineno, hotlist_strerror(rc));
}

/* The read loop: to end of input. 0, or 1 on a read error. */
static int match_stream(struct match_ctx *m, struct hl_linereader *r)
{
	for (;;) {
		const char *line = NULL;
		size_t len = 0;
		int rc = hl_linereader_next(r, &line, &len);

		if (reload_requested)
			reload_lists(m);
		if (r->woken) {
			r->woken = false;
			hl_watch_service(m->watch, watch_reload, m);
		}
		if (rc == -EINTR)
			continue;
		if (rc <= 0) {
			if (rc < 0)
				hl_cli_err("%s: %s", m->reads_path, strerror(-rc));
			return rc < 0;
		}
		if (rc == HL_LINE_LONG) {
			bad_line(m, r->lineno, "line longer than 16 MiB, skipped");
			continue;
		}
		if (hl_readparse_blank(line, len))
			continue;
		rc = parse_read(m, line, len, r->lineno);
		if (rc < 0)
			return 1;
		for (int i = 0; i < rc && !m->output_errors; i++)
			match_one(m, &m->recs[i], r->lineno);
		if (m->output_errors)
			return 1;
	}
}

/* ---- options ------------------------------------------------------------------ */

/* Long-only options of match (after the list options' codes). */
enum {
	HL_OPT_M_AUDIT = 512,
	HL_OPT_M_WATCH,
	HL_OPT_M_WATCH_SETTLE,
	HL_OPT_M_RETRO,
	HL_OPT_M_SECOND,
	HL_OPT_M_SECOND_ANY
};

struct match_args {
	const char *names[HOTLIST_LISTS_MAX];
	size_t nnames;
	double suppress_s, max_bad, shrink_guard, retro_s, second_s;
	bool force;
	bool second_any; /* --second-read-any-camera */
	bool watch; /* --watch */
	uint64_t settle_ms; /* --watch-settle */
	bool has_settle;
	struct hotlist_list_options opts; /* for the next --list */
	bool has_opts; /* a list option was given (so far) */
	const char *trailing; /* a list option after the last --list, or NULL */
};

static int match_parse_format(const char *s, enum hl_read_format *out)
{
	if (!strcmp(s, "auto"))
		*out = HL_READS_AUTO;
	else if (!strcmp(s, "csv"))
		*out = HL_READS_CSV;
	else if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
		*out = HL_READS_JSONL;
	else {
		hl_cli_err("--format: '%s' is not auto, csv or jsonl", s);
		return -1;
	}
	return 0;
}

/* One option of `match`. 0, 1 for --help, -1 for a bad option. */
static int match_option(int c, struct match_ctx *m, struct match_args *a)
{
	if (hl_cli_is_list_option(c)) {
		a->trailing = hl_cli_list_option_name(c);
		a->has_opts = true;
		return hl_cli_list_option(c, optarg, &a->opts);
	}
	switch (c) {
	case 'l':
		if (m->nlists == HOTLIST_LISTS_MAX)
			break;
		m->lists[m->nlists].opts = a->opts;
		m->lists[m->nlists].has_opts = a->has_opts;
		m->lists[m->nlists++].path = optarg;
		a->trailing = NULL;
		return 0;
	case 'n':
		if (a->nnames == HOTLIST_LISTS_MAX)
			break;
		a->names[a->nnames++] = optarg;
		return 0;
	case 'r':
		m->reads_path = optarg;
		return 0;
	case 'f':
		return match_parse_format(optarg, &m->format);
	case 's':
		return hl_cli_parse_double("suppress", optarg, 0, 1e9, &a->suppress_s);
	case 'b':
		return hl_cli_parse_double("max-bad", optarg, 0, 1, &a->max_bad);
	case 'g':
		return hl_cli_parse_double("shrink-guard", optarg, 0, 1, &a->shrink_guard);
	case 'F':
		a->force = true;
		return 0;
	case 'h':
		return 1;
	case HL_OPT_M_AUDIT:
		m->audit_path = optarg;
		return 0;
	case HL_OPT_M_RETRO:
		return hl_cli_parse_double("retro", optarg, 0, 1e9, &a->retro_s);
	case HL_OPT_M_SECOND:
		return hl_cli_parse_double("second-read", optarg, 0, 1e6, &a->second_s);
	case HL_OPT_M_SECOND_ANY:
		a->second_any = true;
		return 0;
	case HL_OPT_M_WATCH:
		a->watch = true;
		return 0;
	case HL_OPT_M_WATCH_SETTLE:
		a->has_settle = true;
		return hl_cli_parse_u64("watch-settle", optarg, 0, 600000, &a->settle_ms);
	}
	if (c == 'l' || c == 'n')
		hl_cli_err("at most %d lists", HOTLIST_LISTS_MAX);
	return -1;
}

/* Name every list (from --name or the file name); names must be distinct. */
static int match_name_lists(struct match_ctx *m, const struct match_args *a)
{
	if (m->nlists == 0 || a->nnames > m->nlists) {
		hl_cli_err("%s", m->nlists ? "more --name than --list" : "no --list given");
		return -1;
	}
	for (size_t i = 0; i < m->nlists; i++) {
		struct hl_cli_list *l = &m->lists[i];

		if (i < a->nnames ? strlen(a->names[i]) > HOTLIST_NAME_MAX || !a->names[i][0] :
				    hl_cli_list_name_from_path(l->path, l->name)) {
			hl_cli_err("no usable list name for %s (1..%d bytes)", l->path,
				   HOTLIST_NAME_MAX);
			return -1;
		}
		if (i < a->nnames)
			strcpy(l->name, a->names[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->lists[j].name, l->name)) {
				hl_cli_err("list name '%s' used twice; use --name", l->name);
				return -1;
			}
	}
	return 0;
}

static int match_parse_args(int argc, char **argv, struct match_ctx *m, struct match_args *a)
{
	static const struct option opts[] = {
		{ "list", required_argument, NULL, 'l' },
		HL_CLI_LIST_OPTIONS,
		{ "name", required_argument, NULL, 'n' },
		{ "reads", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "suppress", required_argument, NULL, 's' },
		{ "max-bad", required_argument, NULL, 'b' },
		{ "shrink-guard", required_argument, NULL, 'g' },
		{ "force", no_argument, NULL, 'F' },
		{ "audit", required_argument, NULL, HL_OPT_M_AUDIT },
		{ "retro", required_argument, NULL, HL_OPT_M_RETRO },
		{ "second-read", required_argument, NULL, HL_OPT_M_SECOND },
		{ "second-read-any-camera", no_argument, NULL, HL_OPT_M_SECOND_ANY },
		{ "watch", no_argument, NULL, HL_OPT_M_WATCH },
		{ "watch-settle", required_argument, NULL, HL_OPT_M_WATCH_SETTLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "l:n:r:f:s:h", opts, NULL)) != -1) {
		rc = match_option(c, m, a);
		if (rc)
			return rc;
	}
	if (optind != argc) {
		hl_cli_err("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (a->trailing) {
		hl_cli_err("--%s after the last --list applies to no list: list options apply "
			   "to the --list files after them",
			   a->trailing);
		return -1;
	}
	if (a->watch ? !hl_watch_supported() : a->has_settle) {
		hl_cli_err("%s", a->watch ? "--watch needs inotify (Linux); send SIGHUP to reload" :
					    "--watch-settle without --watch");
		return -1;
	}
	return match_name_lists(m, a);
}

/* ---- the command -------------------------------------------------------------- */

static int match_open_reads(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		hl_cli_err("cannot open reads %s: %s", path, strerror(errno));
	return fd;
}

/* --watch: watch the list files (before they are first loaded, so that no
 * change is missed) and wake the reader when one changes. */
static int match_watch(struct match_ctx *m, struct hl_linereader *r, unsigned settle_ms)
{
	const char *paths[HOTLIST_LISTS_MAX];

	for (size_t i = 0; i < m->nlists; i++)
		paths[i] = m->lists[i].path;
	if (hl_watch_open(&m->watch, paths, m->nlists, settle_ms))
		return -1;
	r->wake_fd = hl_watch_fd(m->watch);
	hl_cli_err("--watch: watching %zu list file(s), settle time %u ms", m->nlists, settle_ms);
	return 0;
}

static int match_run(struct match_ctx *m, struct hl_linereader *r)
{
	int rc;

	for (size_t i = 0; i < m->nlists; i++)
		if (hl_cli_load_list(m->hl, &m->lists[i], false))
			return HL_EXIT_REFUSED;
	rc = match_stream(m, r);
	hl_cli_err("%" PRIu64 " reads matched, %" PRIu64 " hits, %" PRIu64 " bad read lines",
		   m->reads, m->hits, m->bad);
	if (m->skipped)
		hl_cli_err("%" PRIu64 " OpenALPR heartbeat/alpr_group lines skipped", m->skipped);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	if (hotlist_stats(m->hl, &st) == 0 && (st.retro_kept || st.retro_hits))
		hl_cli_err("retroactive: %" PRIu64 " reads kept in the window, %" PRIu64
			   " retroactive hits (among the hits)",
			   st.retro_kept, st.retro_hits);
	if (st.fuzzy_second_read)
		hl_cli_err("second reads: %" PRIu64 " weak hits alerted by a second read "
			   "(among the hits)",
			   st.fuzzy_second_read);
	return rc || m->output_errors ? HL_EXIT_FAIL : 0;
}

int hl_cmd_match(int argc, char **argv)
{
	struct match_ctx m;
	struct match_args a = { .settle_ms = HL_WATCH_SETTLE_MS_DEFAULT };
	struct hotlist_config cfg;
	struct hl_linereader r = { .fd = -1 };
	sigset_t wait_mask;
	int fd, rc;

	memset(&m, 0, sizeof(m));
	hotlist_config_init(&cfg);
	a.max_bad = cfg.max_bad_fraction;
	a.shrink_guard = cfg.shrink_guard;
	hotlist_list_options_init(&a.opts);
	m.reads_path = "-";
	rc = match_parse_args(argc, argv, &m, &a);
	if (rc) {
		fputs(match_usage, rc > 0 ? stdout : stderr);
		fputs(match_usage_more, rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : HL_EXIT_USAGE;
	}
	cfg.workers = 0; /* inline matching on this thread: hits in input order */
	cfg.suppress_window_us = (int64_t)(a.suppress_s * 1e6);
	cfg.max_bad_fraction = a.max_bad;
	cfg.shrink_guard = a.shrink_guard;
	for (size_t i = 0; i < m.nlists; i++)
		m.lists[i].force = a.force;
	cfg.latency_histogram = false;
	cfg.retro_window_us = (int64_t)(a.retro_s * 1e6);
	cfg.second_read_window_us = (int64_t)(a.second_s * 1e6);
	cfg.second_read_any_camera = a.second_any;
	cfg.on_hit = match_on_hit; /* retroactive hits, on the reloading thread: this one */
	cfg.on_hit_user = &m;
	if (m.audit_path) {
		m.audit = fopen(m.audit_path, "ae");
		if (!m.audit) {
			hl_cli_err("cannot open the audit file %s: %s", m.audit_path,
				   strerror(errno));
			return HL_EXIT_USAGE;
		}
		cfg.on_audit = match_on_audit;
		cfg.on_audit_user = &m;
	}
	setup_sighup(&wait_mask); /* before the engine exists, so its threads inherit the mask */
	fd = match_open_reads(m.reads_path);
	rc = fd < 0 ? HL_EXIT_USAGE : hl_linereader_init(&r, fd, READ_LINE_START);
	if (rc == 0) {
		r.max_cap = READ_LINE_MAX;
		r.wait_mask = &wait_mask;
		r.after_wait = take_pending_sighup;
		rc = hotlist_create(&m.hl, &cfg);
		if (rc < 0)
			hl_cli_err("cannot create the engine: %s", hotlist_strerror(rc));
	}
	if (rc == 0 && a.watch && match_watch(&m, &r, (unsigned)a.settle_ms))
		rc = HL_EXIT_USAGE;
	if (rc == 0)
		rc = match_run(&m, &r);
	hl_watch_close(m.watch);
	hotlist_destroy(m.hl, NULL);
	if (fd > STDIN_FILENO)
		close(fd);
	hl_linereader_free(&r);
	if (m.audit)
		fclose(m.audit);
	return rc < 0 ? HL_EXIT_FAIL : rc;
}
