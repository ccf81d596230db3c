/* SPDX-License-Identifier: MIT */
/*
 * hotlist — the command-line program.
 *
 *   hotlist demo   a realistic live run: generated lists, camera threads
 *                  reading flat out, lists replaced and an urgent entry
 *                  added while they read; hits, status and a summary.
 *   hotlist match  match a stream of reads (CSV or JSON lines) against
 *                  hot-list files; one JSON object per hit on stdout;
 *                  SIGHUP reloads the files.
 *   hotlist check  validate a hot-list file, every bad row with its line.
 *
 * Uses the public API only (hotlist.h). Exit status: 0 success, 1 a check
 * that fails or a read error, 2 bad usage or a list that cannot be loaded.
 */
#include "hotlist.h"
#include "readparse.h"
#include "sample.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_REFUSED 2

/* ---- small helpers ------------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	nanosleep(&ts, NULL);
}

/* Parse an unsigned option value in [min, max]; prints why not and returns -1. */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	/* Decimal, or hexadecimal with 0x (seeds); never octal: "010" is ten. */
	v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "hotlist: --%s: '%s' is not a number in %" PRIu64 "..%" PRIu64 "\n",
			opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_double(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "hotlist: --%s: '%s' is not a number in %g..%g\n", opt, s, min,
			max);
		return -1;
	}
	*out = v;
	return 0;
}

static const char *match_kind_name(enum hotlist_match_kind k)
{
	/* in the order of enum hotlist_match_kind */
	static const char *const names[] = { "exact", "ocr", "indel", "wildcard" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

/* Bytes in the most fitting unit, e.g. "6.1 MiB". */
static const char *human_bytes(size_t bytes, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* Print the load report's row errors (stderr), with the file name. */
static void print_row_errors(const char *path, const struct hotlist_load_report *r)
{
	for (unsigned i = 0; i < r->n_errors && i < HOTLIST_REPORT_ERRORS; i++)
		fprintf(stderr, "  %s:%" PRIu64 ": %s\n", path, r->errors[i].line,
			r->errors[i].reason);
	if (r->rejected > r->n_errors)
		fprintf(stderr, "  ... and %" PRIu64 " more bad rows\n", r->rejected - r->n_errors);
}

/* ======================================================================== */
/* hotlist check                                                            */
/* ======================================================================== */

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

static int cmd_check(int argc, char **argv)
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
		if (c != 'b' || parse_double("max-bad", optarg, 0, 1, &cfg.max_bad_fraction)) {
			fputs(check_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(check_usage, stderr);
		return EXIT_USAGE;
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
	return 1;
}

/* ======================================================================== */
/* hotlist match                                                            */
/* ======================================================================== */

static const char match_usage[] =
	"usage: hotlist match [LIST OPTIONS] --list FILE [[LIST OPTIONS] --list FILE ...]\n"
	"                     [--name NAME ...] [--reads FILE|-] [--format auto|csv|jsonl]\n"
	"                     [--suppress SECONDS] [--max-bad FRACTION]\n"
	"\n"
	"Load hot-list files, then match reads, one per line, and print one JSON\n"
	"object per hit on stdout. Reads are CSV with a header naming the columns\n"
	"camera,ts_us,plate,country,candidates (any order, ',' or ';'; candidates\n"
	"separated by '|'), JSON lines with the same keys (candidates an array of\n"
	"strings), or OpenALPR JSON results (objects with a \"results\" array).\n"
	"Load reports and bad read lines go to stderr. SIGHUP reloads every list\n"
	"file; a reload that fails keeps the list that was live.\n"
	"\n"
	"List options apply to every --list after them (until changed); none given\n"
	"means exact matching only:\n"
	"      --ocr K          OCR substitutions allowed, 0..2 (default 0)\n"
	"      --indel D        characters the read may have extra or missing, 0..2\n"
	"      --ocr-classes C  confusion classes (default \"0ODQ 1I 2Z 5S 8B 6G\")\n"
	"      --cross-border   entries with a country also hit reads of others\n"
	"      --no-cross-border\n"
	"      --no-repair      do not repair reads to their country's plate layout\n"
	"      --repair         (default once any list option is given)\n"
	"\n"
	"  -l, --list FILE      hot-list CSV file (repeatable); the list is named\n"
	"                       after the file (basename without extension)\n"
	"  -n, --name NAME      name for the list of the same position (repeatable)\n"
	"  -r, --reads FILE     reads to match; '-' (default) is stdin\n"
	"  -f, --format F       auto (default: JSON if the first line starts with\n"
	"                       '{', else CSV), csv or jsonl\n"
	"  -s, --suppress S     suppress repeat hits of an entry by a camera within\n"
	"                       S seconds of read time (default 0: report every hit)\n"
	"      --max-bad F      share of bad rows that refuses a list (default 0.01)\n"
	"  -h, --help           this help\n"
	"\n"
	"Exit status: 0 at end of input, 1 on a read error, 2 on bad usage or a\n"
	"list file that cannot be loaded.\n";

#define READ_LINE_MAX (64 * 1024) /* longer read lines are reported and skipped */

struct match_list {
	const char *path;
	char name[HOTLIST_NAME_MAX + 1];
	struct hotlist_list_options opts;
	bool has_opts; /* a list option came before this --list */
};

struct match_ctx {
	struct hotlist *hl;
	struct match_list lists[HOTLIST_LISTS_MAX];
	size_t nlists;
	const char *reads_path; /* for messages */
	enum hl_read_format format;
	struct hl_csv_layout layout;
	bool have_layout;
	uint64_t reads, hits, bad, output_errors;
	struct hl_read_rec recs[HL_READ_RESULTS_MAX]; /* the reads of the current line */
};

static volatile sig_atomic_t reload_requested;

static void on_sighup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

/* A JSON string from text that should be UTF-8; other bytes become '?'. */
static json_t *json_text(const char *s)
{
	json_t *v;
	char *copy;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

static json_t *json_text_or_null(const char *s)
{
	return s && *s ? json_text(s) : json_null();
}

/* The hit as one JSON object, keys in a fixed order. NULL on out-of-memory. */
static json_t *hit_to_json(const struct hotlist_hit *h)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	bad |= json_object_set_new(o, "camera", json_text_or_null(h->read->camera));
	bad |= json_object_set_new(o, "ts_us", json_integer(h->read->ts_us));
	bad |= json_object_set_new(o, "read", json_text(h->read->plate));
	bad |= json_object_set_new(o, "country", json_text_or_null(h->read_country));
	bad |= json_object_set_new(o, "list", json_text(h->list));
	bad |= json_object_set_new(o, "entry", json_text(h->plate));
	bad |= json_object_set_new(o, "entry_country", json_text_or_null(h->country));
	bad |= json_object_set_new(o, "category", json_text(h->category ? h->category : ""));
	bad |= json_object_set_new(o, "priority", json_integer(h->priority));
	bad |= json_object_set_new(o, "reference", json_text(h->reference ? h->reference : ""));
	bad |= json_object_set_new(o, "covert", json_boolean(h->covert));
	bad |= json_object_set_new(o, "match", json_string(match_kind_name(h->match)));
	bad |= json_object_set_new(o, "candidate", json_integer(h->candidate));
	bad |= json_object_set_new(o, "matched_plate", json_text(h->read_plate));
	bad |= json_object_set_new(o, "repaired", json_boolean(h->repaired));
	bad |= json_object_set_new(o, "format",
				   h->format < 0 ? json_null() : json_boolean(h->format > 0));
	bad |= json_object_set_new(o, "substitutions", json_integer(h->substitutions));
	bad |= json_object_set_new(o, "indels", json_integer(h->indels));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void match_on_hit(const struct hotlist_hit *h, void *user)
{
	struct match_ctx *m = user;
	json_t *o = hit_to_json(h);

	m->hits++;
	if (!o || json_dumpf(o, stdout, JSON_COMPACT) || putchar('\n') == EOF || fflush(stdout)) {
		if (!m->output_errors++)
			fprintf(stderr, "hotlist: cannot write a hit to stdout\n");
	}
	json_decref(o);
}

/* "lists/national.csv" -> "national". Returns -1 if the name does not fit. */
static int list_name_from_path(const char *path, char *name)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t len;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (len == 0 || len > HOTLIST_NAME_MAX)
		return -1;
	memcpy(name, base, len);
	name[len] = '\0';
	return 0;
}

static uint64_t list_version(struct hotlist *hl, const char *name)
{
	struct hotlist_list_info info;

	for (size_t i = 0; hotlist_list_info(hl, i, &info) == 0; i++)
		if (strcmp(info.name, name) == 0)
			return info.version;
	return 0;
}

/* Set a list's options (before its first load; later loads keep them). */
static int set_list_options(struct match_ctx *m, const struct match_list *l)
{
	int rc = hotlist_set_list_options(m->hl, l->name, &l->opts);

	if (rc)
		fprintf(stderr, "hotlist: cannot set the options of list '%s' (%s): %s\n", l->name,
			l->path, hotlist_strerror(rc));
	else
		fprintf(stderr,
			"hotlist: list '%s': ocr %u, indel %u, classes \"%s\", %scross-border, "
			"%srepair\n",
			l->name, l->opts.ocr_substitutions, l->opts.indels,
			l->opts.ocr_classes ? l->opts.ocr_classes : "0ODQ 1I 2Z 5S 8B 6G",
			l->opts.cross_border ? "" : "no ", l->opts.repair ? "" : "no ");
	return rc;
}

/* Load (or reload) one list; prints the report. Returns the library's code. */
static int load_list(struct match_ctx *m, const struct match_list *l, bool reload)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	uint64_t old = list_version(m->hl, l->name);
	int rc = !reload && l->has_opts ? set_list_options(m, l) : 0;

	if (rc)
		return rc;
	rc = hotlist_load_csv(m->hl, l->name, l->path, &rep);

	if (rc == 0) {
		fprintf(stderr,
			"hotlist: %s list '%s' from %s: %" PRIu64 " rows, %" PRIu64
			" loaded, %" PRIu64 " rejected, %" PRIu64 " duplicates (version %" PRIu64
			", %.1f ms)\n",
			reload ? "reloaded" : "loaded", l->name, l->path, rep.rows, rep.loaded,
			rep.rejected, rep.duplicates, rep.list_version, rep.duration_us / 1e3);
	} else if (reload) {
		fprintf(stderr,
			"hotlist: reload of list '%s' from %s failed: %s; keeping version %" PRIu64
			"\n",
			l->name, l->path, hotlist_strerror(rc), old);
	} else {
		fprintf(stderr, "hotlist: cannot load list '%s' from %s: %s\n", l->name, l->path,
			hotlist_strerror(rc));
	}
	print_row_errors(l->path, &rep);
	return rc;
}

static void reload_lists(struct match_ctx *m)
{
	reload_requested = 0;
	fprintf(stderr, "hotlist: SIGHUP: reloading %zu list(s)\n", m->nlists);
	for (size_t i = 0; i < m->nlists; i++)
		load_list(m, &m->lists[i], true);
}

/* A line reader on a file descriptor that lets SIGHUP in only while it waits. */
struct line_reader {
	int fd;
	char *buf;
	size_t start, end;
	bool eof, skipping;
	uint64_t lineno;
	sigset_t wait_mask; /* the mask while waiting: SIGHUP unblocked */
};

/*
 * A SIGHUP that came while it was blocked and is still pending: when input is
 * ready, ppoll() returns without delivering it (Linux restores the mask
 * undelivered unless the call was interrupted), so take it here.
 */
static void take_pending_sighup(void)
{
	static const struct timespec now = { 0, 0 };
	sigset_t set;

	if (sigpending(&set) || !sigismember(&set, SIGHUP))
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	if (sigtimedwait(&set, NULL, &now) == SIGHUP)
		reload_requested = 1;
}

/* Read more bytes. 0, or -EINTR (a signal arrived while waiting), or -errno. */
static int reader_fill(struct line_reader *r)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	ssize_t n;

	if (ppoll(&pfd, 1, NULL, &r->wait_mask) < 0)
		return -errno;
	take_pending_sighup();
	n = read(r->fd, r->buf + r->end, READ_LINE_MAX - r->end);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return 0;
}

/*
 * Next line (without its LF) into *line / *len. Returns 1 for a line, 2 for a
 * line that was too long (skipped), 0 at end of input, -EINTR when a signal
 * arrived (call again), another negative errno on a read error.
 */
static int reader_next(struct line_reader *r, const char **line, size_t *len)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		int rc;

		if (nl || (r->eof && r->start < r->end)) {
			size_t stop = nl ? (size_t)(nl - r->buf) : r->end;
			bool skipped = r->skipping;

			*line = r->buf + r->start;
			*len = stop - r->start;
			r->start = nl ? stop + 1 : stop;
			r->skipping = false;
			r->lineno++;
			return skipped ? 2 : 1;
		}
		if (r->eof)
			return 0;
		if (r->start == 0 && r->end == READ_LINE_MAX) {
			r->skipping = true; /* a line longer than the buffer */
			r->end = 0;
		}
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		rc = reader_fill(r);
		if (rc)
			return rc;
	}
}

static void bad_line(struct match_ctx *m, uint64_t lineno, const char *why)
{
	m->bad++;
	fprintf(stderr, "hotlist: %s:%" PRIu64 ": %s\n", m->reads_path, lineno, why);
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
			fprintf(stderr, "hotlist: %s:%" PRIu64 ": not a read header: %s\n",
				m->reads_path, lineno, err);
			return -1;
		}
		m->have_layout = true;
		return 0;
	}
	if (m->format == HL_READS_JSONL)
		rc = hl_readparse_json_line(line, len, m->recs, HL_READ_RESULTS_MAX, err);
	else if ((rc = hl_readparse_csv_line(&m->layout, line, len, m->recs, err)) == 0)
		rc = 1;
	if (rc < 0) {
		bad_line(m, lineno, err);
		return 0;
	}
	return rc;
}

/* The read's country, or NULL: a guess (an OpenALPR region) that is no country is dropped. */
static const char *read_country(const struct hl_read_rec *rec)
{
	char norm[3];

	if (!rec->country[0])
		return NULL;
	if (rec->country_guess && hotlist_normalise_country(rec->country, norm) < 0)
		return NULL;
	return rec->country;
}

static void match_one(struct match_ctx *m, const struct hl_read_rec *rec, uint64_t lineno)
{
	const char *cands[HL_READ_CANDIDATES_MAX];
	struct hotlist_read read = {
		.plate = rec->plate,
		.country = read_country(rec),
		.camera = rec->camera[0] ? rec->camera : NULL,
		.ts_us = rec->has_ts && rec->ts_us ? rec->ts_us : wall_us(),
		.candidates = rec->n_candidates ? cands : NULL,
		.n_candidates = rec->n_candidates,
	};
	char why[HL_READ_ERR_CAP + HOTLIST_RAW_PLATE_MAX];
	int rc;

	for (unsigned i = 0; i < rec->n_candidates && i < HL_READ_CANDIDATES_MAX; i++)
		cands[i] = rec->candidates[i];
	rc = hotlist_match(m->hl, &read, match_on_hit, m);

	m->reads += rc >= 0;
	if (rc < 0) {
		snprintf(why, sizeof(why), "plate '%s' country '%s': %s", rec->plate, rec->country,
			 hotlist_strerror(rc));
		bad_line(m, lineno, why);
	}
}

/* The read loop: to end of input. 0, or 1 on a read error. */
static int match_stream(struct match_ctx *m, struct line_reader *r)
{
	for (;;) {
		const char *line = NULL;
		size_t len = 0;
		int rc = reader_next(r, &line, &len);

		if (reload_requested)
			reload_lists(m);
		if (rc == -EINTR)
			continue;
		if (rc <= 0) {
			if (rc < 0)
				fprintf(stderr, "hotlist: %s: %s\n", m->reads_path, strerror(-rc));
			return rc < 0;
		}
		if (rc == 2) {
			bad_line(m, r->lineno, "line longer than 64 KiB, skipped");
			continue;
		}
		if (hl_readparse_blank(line, len))
			continue;
		rc = parse_read(m, line, len, r->lineno);
		if (rc < 0)
			return 1;
		for (int i = 0; i < rc; i++)
			match_one(m, &m->recs[i], r->lineno);
	}
}

/* Block SIGHUP (the reader lets it in while waiting) and install the handler. */
static void setup_sighup(struct line_reader *r)
{
	struct sigaction sa = { .sa_handler = on_sighup };
	sigset_t hup;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a wait is interrupted, the list reloaded */
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, &r->wait_mask);
	sigdelset(&r->wait_mask, SIGHUP);
}

struct match_args {
	const char *names[HOTLIST_LISTS_MAX];
	size_t nnames;
	double suppress_s, max_bad;
	struct hotlist_list_options opts; /* for the next --list */
	bool has_opts; /* a list option was given (so far) */
	const char *trailing; /* a list option after the last --list, or NULL */
};

/* Long-only options of `match` (the list options). */
enum {
	OPT_OCR = 256,
	OPT_INDEL,
	OPT_OCR_CLASSES,
	OPT_CROSS_BORDER,
	OPT_NO_CROSS_BORDER,
	OPT_REPAIR,
	OPT_NO_REPAIR,
};

/* One list option into a->opts. 0, or -1 for a bad value. */
static int match_list_option(int c, struct match_args *a)
{
	uint64_t v = 0;

	a->has_opts = true;
	switch (c) {
	case OPT_OCR:
		if (parse_u64("ocr", optarg, 0, 2, &v))
			return -1;
		a->opts.ocr_substitutions = (unsigned)v;
		return 0;
	case OPT_INDEL:
		if (parse_u64("indel", optarg, 0, 2, &v))
			return -1;
		a->opts.indels = (unsigned)v;
		return 0;
	case OPT_OCR_CLASSES:
		a->opts.ocr_classes = optarg;
		return 0;
	case OPT_CROSS_BORDER:
	case OPT_NO_CROSS_BORDER:
		a->opts.cross_border = c == OPT_CROSS_BORDER;
		return 0;
	default:
		a->opts.repair = c == OPT_REPAIR;
		return 0;
	}
}

static int match_parse_format(const char *s, enum hl_read_format *out)
{
	if (!strcmp(s, "auto"))
		*out = HL_READS_AUTO;
	else if (!strcmp(s, "csv"))
		*out = HL_READS_CSV;
	else if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
		*out = HL_READS_JSONL;
	else {
		fprintf(stderr, "hotlist: --format: '%s' is not auto, csv or jsonl\n", s);
		return -1;
	}
	return 0;
}

/* The name of a list option, for messages. */
static const char *argv_opt_name(int c)
{
	/* in the order of the OPT_ enum */
	static const char *const names[] = { "ocr",	     "indel",		"ocr-classes",
					     "cross-border", "no-cross-border", "repair",
					     "no-repair" };

	return names[c - OPT_OCR];
}

/* One option of `match`. 0, 1 for --help, -1 for a bad option. */
static int match_option(int c, struct match_ctx *m, struct match_args *a)
{
	if (c >= OPT_OCR && c <= OPT_NO_REPAIR) {
		a->trailing = argv_opt_name(c);
		return match_list_option(c, a);
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
		return parse_double("suppress", optarg, 0, 1e9, &a->suppress_s);
	case 'b':
		return parse_double("max-bad", optarg, 0, 1, &a->max_bad);
	case 'h':
		return 1;
	}
	if (c == 'l' || c == 'n')
		fprintf(stderr, "hotlist: at most %d lists\n", HOTLIST_LISTS_MAX);
	return -1;
}

/* Name every list (from --name or the file name); names must be distinct. */
static int match_name_lists(struct match_ctx *m, const struct match_args *a)
{
	if (m->nlists == 0 || a->nnames > m->nlists) {
		fprintf(stderr, "hotlist: %s\n",
			m->nlists ? "more --name than --list" : "no --list given");
		return -1;
	}
	for (size_t i = 0; i < m->nlists; i++) {
		struct match_list *l = &m->lists[i];

		if (i < a->nnames ? strlen(a->names[i]) > HOTLIST_NAME_MAX || !a->names[i][0] :
				    list_name_from_path(l->path, l->name)) {
			fprintf(stderr, "hotlist: no usable list name for %s (1..%d bytes)\n",
				l->path, HOTLIST_NAME_MAX);
			return -1;
		}
		if (i < a->nnames)
			strcpy(l->name, a->names[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->lists[j].name, l->name)) {
				fprintf(stderr, "hotlist: list name '%s' used twice; use --name\n",
					l->name);
				return -1;
			}
	}
	return 0;
}

static int match_parse_args(int argc, char **argv, struct match_ctx *m, struct match_args *a)
{
	static const struct option opts[] = {
		{ "list", required_argument, NULL, 'l' },
		{ "ocr", required_argument, NULL, OPT_OCR },
		{ "indel", required_argument, NULL, OPT_INDEL },
		{ "ocr-classes", required_argument, NULL, OPT_OCR_CLASSES },
		{ "cross-border", no_argument, NULL, OPT_CROSS_BORDER },
		{ "no-cross-border", no_argument, NULL, OPT_NO_CROSS_BORDER },
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ "no-repair", no_argument, NULL, OPT_NO_REPAIR },
		{ "name", required_argument, NULL, 'n' },
		{ "reads", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "suppress", required_argument, NULL, 's' },
		{ "max-bad", required_argument, NULL, 'b' },
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
		fprintf(stderr, "hotlist: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (a->trailing) {
		fprintf(stderr,
			"hotlist: --%s after the last --list applies to no list: list options "
			"apply to the --list files after them\n",
			a->trailing);
		return -1;
	}
	return match_name_lists(m, a);
}

static int match_open_reads(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "hotlist: cannot open reads %s: %s\n", path, strerror(errno));
	return fd;
}

static int match_run(struct match_ctx *m, struct line_reader *r)
{
	int rc;

	for (size_t i = 0; i < m->nlists; i++)
		if (load_list(m, &m->lists[i], false))
			return EXIT_REFUSED;
	rc = match_stream(m, r);
	fprintf(stderr,
		"hotlist: %" PRIu64 " reads matched, %" PRIu64 " hits, %" PRIu64
		" bad read lines\n",
		m->reads, m->hits, m->bad);
	return rc || m->output_errors ? 1 : 0;
}

static int cmd_match(int argc, char **argv)
{
	struct match_ctx m;
	struct match_args a = { .suppress_s = 0 };
	struct hotlist_config cfg;
	struct line_reader r = { .fd = -1 };
	int rc;

	memset(&m, 0, sizeof(m));
	hotlist_config_init(&cfg);
	a.max_bad = cfg.max_bad_fraction;
	hotlist_list_options_init(&a.opts);
	m.reads_path = "-";
	rc = match_parse_args(argc, argv, &m, &a);
	if (rc) {
		fputs(match_usage, rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	cfg.workers = 0; /* inline matching on this thread: hits in input order */
	cfg.suppress_window_us = (int64_t)(a.suppress_s * 1e6);
	cfg.max_bad_fraction = a.max_bad;
	cfg.latency_histogram = false;
	setup_sighup(&r); /* before the engine exists, so its threads inherit the mask */
	r.fd = match_open_reads(m.reads_path);
	r.buf = malloc(READ_LINE_MAX);
	rc = r.fd < 0 || !r.buf ? EXIT_USAGE : hotlist_create(&m.hl, &cfg);
	if (rc < 0)
		fprintf(stderr, "hotlist: cannot create the engine: %s\n", hotlist_strerror(rc));
	if (rc == 0)
		rc = match_run(&m, &r);
	hotlist_destroy(m.hl, NULL);
	if (r.fd > STDIN_FILENO)
		close(r.fd);
	free(r.buf);
	return rc < 0 ? 1 : rc;
}

/* ======================================================================== */
/* hotlist demo                                                             */
/* ======================================================================== */

static const char demo_usage[] =
	"usage: hotlist demo [--entries N] [--seconds S] [--cameras C] [--workers W]\n"
	"                    [--inline K] [--rate R] [--seed X] [--reload-every MS]\n"
	"                    [--soak] [--quiet]\n"
	"\n"
	"A live run on generated data: lists 'national' (N entries), 'local' (N/100)\n"
	"and 'urgent' (empty at first); C camera threads read a realistic stream\n"
	"(commuters seen again and again, ~0.1 %% listed vehicles, some OCR noise)\n"
	"for S seconds while 'national' is replaced every few seconds and an urgent\n"
	"entry for a commuter's plate is added a third of the way in. Prints a sample\n"
	"of the hits, a status line every second and a summary. Ctrl-C stops early.\n"
	"\n"
	"  -n, --entries N   entries of 'national' (default 200000)\n"
	"  -s, --seconds S   run time (default 10)\n"
	"  -c, --cameras C   camera threads (default 8)\n"
	"  -w, --workers W   engine worker threads for the asynchronous path (default 2)\n"
	"  -i, --inline K    cameras that match inline on their own thread instead of\n"
	"                    submitting to the workers (default 1; all when W is 0)\n"
	"  -r, --rate R      reads per second per camera (default 0: flat out)\n"
	"      --seed X      seed of the generated data and traffic (default 1)\n"
	"  -R, --reload-every MS  replace 'national' every MS milliseconds (default: a\n"
	"                    quarter of the run, between 0.5 and 3 s)\n"
	"  -K, --soak        check at the end that resident memory stayed flat and that\n"
	"                    nothing was refused, lost or failed; exit 1 if not\n"
	"  -q, --quiet       print the summary only\n"
	"  -h, --help        this help\n";

/*
 * Traffic model. A camera on a Dutch motorway sees the same commuters every
 * working day, a long tail of vehicles passing once, and about one listed
 * vehicle in a thousand reads; a few reads have OCR errors and some carry
 * no country guess.
 */
#define DEMO_LISTED_SHARE 0.001
#define DEMO_COMMUTER_SHARE 0.6
#define DEMO_NOISE_SHARE 0.03 /* reads with OCR noise ... */
#define DEMO_NOISE_P 0.15 /* ... and the per-character error rate in them */
#define DEMO_NO_COUNTRY_SHARE 0.05
#define DEMO_COMMUTERS 20000 /* small enough that each passes a camera often */
#define DEMO_TRANSIT 200000 /* vehicles passing once or twice during the run */
#define DEMO_LISTED_POOL 4096 /* listed vehicles that drive around */
/* Each reload of 'national' swaps this share of its entries for new ones,
 * like the twice-daily extract that differs from the last one a little. */
#define DEMO_RENEW_SHARE 0.02
/* Reload period: a quarter of the run, within these bounds. */
#define DEMO_RELOAD_MIN_NS 500000000ull
#define DEMO_RELOAD_MAX_NS 3000000000ull
#define DEMO_RELOADS_MAX 256 /* reload durations kept for the summary */
#define DEMO_RELOADS_SHOWN 16 /* ... and printed there */
#define DEMO_HITS_PER_SECOND 5 /* hit lines printed per second; the rest counted */
#define DEMO_CAMERA_BATCH 64 /* reads between looks at the stop flag (flat out) */
#define DEMO_PACE_BURSTS 100 /* a paced camera sends its reads in this many bursts/s */
#define DEMO_TICK_NS 100000000ull /* how often sleeping threads look at the clock */
#define NS_PER_S 1000000000ull

struct demo_opts {
	uint64_t entries, seconds, cameras, workers, inline_cams, rate, seed, reload_ms;
	bool quiet, soak;
};

/* Soak verdict. Memory is flat if the trend of resident memory over the
 * second half of the run (least-squares slope of the per-second samples,
 * times the half's length) stays within this share of the early peak plus
 * this slack: a leak of one list version per reload grows by gigabytes over
 * that half, while a loaded machine only shifts when versions are freed
 * (and the allocator's caches with it), which moves single samples, not the
 * trend. And the engine's own count of retired versions waiting must never
 * have passed its bound (hotlist_stats: retired_heavy_max <= 4). */
#define SOAK_RSS_GROWTH 0.10
#define SOAK_RSS_SLACK_KB (32 * 1024)
#define SOAK_RETIRED_BOUND 4

struct vehicle {
	char plate[HL_SAMPLE_PLATE_CAP];
	char country[3];
};

struct demo;

struct camera {
	struct demo *d;
	pthread_t thread;
	unsigned id;
	bool inline_match; /* hotlist_match() here rather than hotlist_submit() */
	char name[16];
	uint64_t reads, errors;
	int last_error;
};

struct demo {
	struct demo_opts o;
	struct hotlist *hl;
	struct hl_sample_list national, local;
	struct hl_sample_list_opts national_opts;
	struct vehicle *commuters, *transit, *listed;
	size_t nlisted;
	struct camera *cams;
	pthread_t control;
	uint64_t start_ns, stop_ns;
	atomic_bool stop;
	atomic_uint printed; /* hit lines printed this second */
	atomic_uint_fast64_t unprinted; /* hits not printed since the last status line */
	/* The urgent entry: its plate, when it was put, its first hit. */
	struct vehicle urgent;
	_Atomic uint64_t urgent_put_ns; /* 0 = not yet */
	atomic_bool urgent_claimed; /* the first urgent hit's callback won the race */
	char urgent_camera[HOTLIST_CAMERA_MAX + 1]; /* written by that callback ... */
	_Atomic uint64_t urgent_hit_ns; /* ... before it publishes this (release) */
	bool urgent_announced;
	/* Written by the control thread, read after it is joined. */
	unsigned nreloads, reload_failures;
	int64_t reload_us[DEMO_RELOADS_MAX];
	int last_reload_error;
	/* Resident set size at each status line (for --soak), written by main. */
	uint64_t *rss_kb;
	size_t nrss;
};

static volatile sig_atomic_t demo_interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	demo_interrupted = 1;
}

static double secs_since(const struct demo *d, uint64_t ns)
{
	return (double)(ns - d->start_ns) / 1e9;
}

/* ---- hits ---- */

static void note_urgent_hit(struct demo *d, const struct hotlist_hit *h)
{
	/* Acquire pairs with the release below: a winner's camera name is complete. */
	if (atomic_load_explicit(&d->urgent_hit_ns, memory_order_acquire) ||
	    atomic_exchange_explicit(&d->urgent_claimed, true, memory_order_relaxed))
		return;
	snprintf(d->urgent_camera, sizeof(d->urgent_camera), "%s",
		 h->read->camera ? h->read->camera : "?");
	atomic_store_explicit(&d->urgent_hit_ns, mono_ns(), memory_order_release);
}

/* Runs on engine workers (submitted reads) and on inline cameras. */
static void demo_on_hit(const struct hotlist_hit *h, void *user)
{
	struct demo *d = user;

	if (!strcmp(h->list, "urgent"))
		note_urgent_hit(d, h);
	if (d->o.quiet || atomic_fetch_add_explicit(&d->printed, 1, memory_order_relaxed) >=
				  DEMO_HITS_PER_SECOND) {
		atomic_fetch_add_explicit(&d->unprinted, 1, memory_order_relaxed);
		return;
	}
	printf("HIT %s %s %s -> %s \"%s\" prio %u ref %s%s\n",
	       h->read->camera ? h->read->camera : "-", h->read_country[0] ? h->read_country : "--",
	       h->read->plate, h->list, h->category, h->priority, h->reference,
	       h->covert ? " (covert)" : "");
}

/* ---- cameras ---- */

static const struct vehicle *pick_vehicle(const struct demo *d, struct hl_sample_rng *r)
{
	double u = hl_sample_unit(r);

	if (u < DEMO_LISTED_SHARE && d->nlisted)
		return &d->listed[hl_sample_below(r, d->nlisted)];
	if (u < DEMO_LISTED_SHARE + DEMO_COMMUTER_SHARE)
		return &d->commuters[hl_sample_below(r, DEMO_COMMUTERS)];
	return &d->transit[hl_sample_below(r, DEMO_TRANSIT)];
}

static void camera_read_one(struct camera *c, struct hl_sample_rng *r)
{
	struct demo *d = c->d;
	const struct vehicle *v = pick_vehicle(d, r);
	char plate[HL_SAMPLE_PLATE_CAP];
	struct hotlist_read read = { .plate = plate, .camera = c->name };
	int rc;

	memcpy(plate, v->plate, sizeof(plate));
	if (hl_sample_unit(r) < DEMO_NOISE_SHARE)
		hl_sample_ocr_noise(r, plate, DEMO_NOISE_P);
	read.country = hl_sample_unit(r) < DEMO_NO_COUNTRY_SHARE ? NULL : v->country;
	if (c->inline_match)
		rc = hotlist_match(d->hl, &read, demo_on_hit, d);
	else
		rc = hotlist_submit(d->hl, &read);
	c->reads++;
	if (rc < 0) {
		c->errors++;
		c->last_error = rc;
	}
}

/* A paced camera: sleep until its next burst is due, or the run stops. */
static void camera_pace(struct camera *c, uint64_t t0)
{
	uint64_t due = t0 + (uint64_t)((double)c->reads * 1e9 / (double)c->d->o.rate);
	uint64_t now;

	while ((now = mono_ns()) < due && !atomic_load_explicit(&c->d->stop, memory_order_relaxed))
		sleep_ns(due - now < DEMO_TICK_NS ? due - now : DEMO_TICK_NS);
}

static void *camera_main(void *arg)
{
	struct camera *c = arg;
	struct demo *d = c->d;
	struct hl_sample_rng r;
	uint64_t batch = d->o.rate ? d->o.rate / DEMO_PACE_BURSTS : DEMO_CAMERA_BATCH;
	uint64_t t0 = mono_ns();

	hl_sample_seed(&r, d->o.seed * 1000003u + 100 + c->id);
	if (batch == 0)
		batch = 1;
	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		for (uint64_t i = 0; i < batch; i++)
			camera_read_one(c, &r);
		if (d->o.rate)
			camera_pace(c, t0);
	}
	return NULL;
}

/* ---- control thread: reloads and the urgent entry ---- */

static void reload_national(struct demo *d, struct hl_sample_rng *r)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	size_t renew = (size_t)((double)d->national.n * DEMO_RENEW_SHARE);
	uint64_t t0;
	int rc;

	for (size_t i = 0; i < renew; i++)
		hl_sample_list_renew(&d->national, r, hl_sample_below(r, d->national.n),
				     &d->national_opts);
	t0 = mono_ns();
	rc = hotlist_replace(d->hl, "national", d->national.entries, d->national.n, &rep);
	if (rc) {
		d->reload_failures++;
		d->last_reload_error = rc;
		return;
	}
	if (d->nreloads < DEMO_RELOADS_MAX)
		d->reload_us[d->nreloads] = (int64_t)((mono_ns() - t0) / 1000);
	d->nreloads++;
	if (!d->o.quiet)
		printf("reloaded national: version %" PRIu64 ", %" PRIu64
		       " entries (%zu renewed), %.1f ms\n",
		       rep.list_version, rep.loaded, renew, (double)(mono_ns() - t0) / 1e6);
}

static void add_urgent(struct demo *d, struct hl_sample_rng *r)
{
	struct hotlist_entry e = { .category = "wanted person",
				   .reference = "NL-2026-URGENT-0001",
				   .priority = 0 };
	uint64_t t0;
	int rc;

	d->urgent = d->commuters[hl_sample_below(r, DEMO_COMMUTERS)];
	e.plate = d->urgent.plate;
	e.country = d->urgent.country;
	t0 = mono_ns();
	/* Before the put: a hit may be called back before hotlist_put() returns. */
	atomic_store_explicit(&d->urgent_put_ns, t0, memory_order_release);
	rc = hotlist_put(d->hl, "urgent", &e);
	if (rc) {
		atomic_store_explicit(&d->urgent_put_ns, 0, memory_order_relaxed);
		fprintf(stderr, "hotlist: urgent entry refused: %s\n", hotlist_strerror(rc));
	} else if (!d->o.quiet) {
		printf("urgent entry added: %s %s (put took %.1f us)\n", e.country, e.plate,
		       (double)(mono_ns() - t0) / 1e3);
	}
}

static uint64_t reload_period_ns(const struct demo *d)
{
	uint64_t p = d->o.seconds * NS_PER_S / 4;

	if (d->o.reload_ms)
		return d->o.reload_ms * 1000000ull;
	return p < DEMO_RELOAD_MIN_NS ? DEMO_RELOAD_MIN_NS :
	       p > DEMO_RELOAD_MAX_NS ? DEMO_RELOAD_MAX_NS :
					p;
}

static void *control_main(void *arg)
{
	struct demo *d = arg;
	struct hl_sample_rng r;
	uint64_t period = reload_period_ns(d);
	uint64_t next_reload = d->start_ns + period;
	uint64_t urgent_at = d->start_ns + d->o.seconds * NS_PER_S / 3;
	bool urgent_done = false;

	hl_sample_seed(&r, d->o.seed * 1000003u + 7);
	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		uint64_t now = mono_ns();

		if (!urgent_done && now >= urgent_at) {
			add_urgent(d, &r);
			urgent_done = true;
		}
		if (now >= next_reload) {
			reload_national(d, &r);
			next_reload = mono_ns() + period;
		}
		sleep_ns(DEMO_TICK_NS / 10);
	}
	return NULL;
}

/* ---- setup ---- */

static int make_vehicles(struct vehicle **out, size_t n, struct hl_sample_rng *r)
{
	struct vehicle *v = calloc(n, sizeof(*v));

	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *country = hl_sample_country(r);

		memcpy(v[i].country, country, sizeof(v[i].country));
		hl_sample_plate(r, country, v[i].plate, sizeof(v[i].plate));
	}
	*out = v;
	return 0;
}

/* Listed vehicles on the road: copies of random entries of 'national' and 'local'. */
static int make_listed(struct demo *d, struct hl_sample_rng *r)
{
	size_t total = d->national.n + d->local.n;

	d->nlisted = total < DEMO_LISTED_POOL ? total : DEMO_LISTED_POOL;
	d->listed = calloc(d->nlisted ? d->nlisted : 1, sizeof(*d->listed));
	if (!d->listed)
		return -1;
	for (size_t i = 0; i < d->nlisted; i++) {
		size_t k = hl_sample_below(r, total);
		const struct hotlist_entry *e = k < d->national.n ?
							&d->national.entries[k] :
							&d->local.entries[k - d->national.n];
		/* An entry without a country is a vehicle of some country all the same. */
		const char *country = e->country ? e->country : hl_sample_country(r);

		snprintf(d->listed[i].plate, sizeof(d->listed[i].plate), "%s", e->plate);
		memcpy(d->listed[i].country, country, sizeof(d->listed[i].country));
	}
	return 0;
}

static int make_data(struct demo *d)
{
	struct hl_sample_list_opts local_opts;
	struct hl_sample_rng r;

	hl_sample_seed(&r, d->o.seed);
	hl_sample_list_opts_init(&d->national_opts, wall_us());
	local_opts = d->national_opts;
	local_opts.covert_share = 0.10; /* local lists carry more covert interest */
	local_opts.ref_prefix = "NL-LOC-2026";
	if (hl_sample_list_make(&d->national, &r, d->o.entries, &d->national_opts) ||
	    hl_sample_list_make(&d->local, &r, d->o.entries / 100, &local_opts) ||
	    make_vehicles(&d->commuters, DEMO_COMMUTERS, &r) ||
	    make_vehicles(&d->transit, DEMO_TRANSIT, &r) || make_listed(d, &r)) {
		fprintf(stderr, "hotlist: out of memory generating the demo data\n");
		return -1;
	}
	return 0;
}

static int demo_load(struct demo *d, const char *name, const struct hl_sample_list *l)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	int rc = hotlist_replace(d->hl, name, l ? l->entries : NULL, l ? l->n : 0, &rep);

	if (rc) {
		fprintf(stderr, "hotlist: cannot load list '%s': %s\n", name, hotlist_strerror(rc));
		return -1;
	}
	if (!d->o.quiet)
		printf("list %-8s %8" PRIu64 " entries, %" PRIu64
		       " duplicates merged (version %" PRIu64 ", %.1f ms)\n",
		       name, rep.loaded, rep.duplicates, rep.list_version, rep.duration_us / 1e3);
	return 0;
}

static int demo_setup(struct demo *d)
{
	struct hotlist_config cfg;
	int rc;

	if (make_data(d))
		return -1;
	hotlist_config_init(&cfg);
	cfg.workers = (unsigned)d->o.workers;
	cfg.on_hit = demo_on_hit;
	cfg.on_hit_user = d;
	cfg.latency_histogram = true;
	rc = hotlist_create(&d->hl, &cfg);
	if (rc) {
		fprintf(stderr, "hotlist: cannot create the engine: %s\n", hotlist_strerror(rc));
		return -1;
	}
	if (!d->o.quiet)
		printf("hotlist demo %s: seed %" PRIu64 ", %" PRIu64 " s, %" PRIu64
		       " cameras (%" PRIu64 " inline), %" PRIu64 " workers, %s\n",
		       hotlist_version_string(), d->o.seed, d->o.seconds, d->o.cameras,
		       d->o.inline_cams, d->o.workers, d->o.rate ? "paced" : "flat out");
	return demo_load(d, "national", &d->national) || demo_load(d, "local", &d->local) ||
			       demo_load(d, "urgent", NULL) ?
		       -1 :
		       0;
}

/* ---- run ---- */

struct demo_run {
	unsigned cams_started;
	bool control_started;
};

static int demo_start(struct demo *d, struct demo_run *run)
{
	d->cams = calloc(d->o.cameras, sizeof(*d->cams));
	if (!d->cams)
		return -1;
	d->start_ns = mono_ns();
	for (unsigned i = 0; i < d->o.cameras; i++) {
		struct camera *c = &d->cams[i];

		c->d = d;
		c->id = i;
		c->inline_match = i < d->o.inline_cams;
		snprintf(c->name, sizeof(c->name), "cam-%02u", i + 1);
		if (pthread_create(&c->thread, NULL, camera_main, c)) {
			fprintf(stderr, "hotlist: cannot start camera thread %u\n", i + 1);
			return -1;
		}
		run->cams_started++;
	}
	if (pthread_create(&d->control, NULL, control_main, d)) {
		fprintf(stderr, "hotlist: cannot start the control thread\n");
		return -1;
	}
	run->control_started = true;
	return 0;
}

static void announce_urgent(struct demo *d)
{
	uint64_t hit = atomic_load_explicit(&d->urgent_hit_ns, memory_order_acquire);
	uint64_t put = atomic_load_explicit(&d->urgent_put_ns, memory_order_acquire);

	if (d->urgent_announced || !hit || !put)
		return;
	d->urgent_announced = true;
	if (!d->o.quiet)
		printf("urgent entry %s %s: first hit %.3f ms after the put, on %s\n",
		       d->urgent.country, d->urgent.plate, (double)(hit - put) / 1e6,
		       d->urgent_camera);
}

/* "national v3  local v1  urgent v2" */
static void list_versions(struct hotlist *hl, char *buf, size_t cap)
{
	struct hotlist_list_info info;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; hotlist_list_info(hl, i, &info) == 0 && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s v%" PRIu64, i ? "  " : "", info.name,
				      info.version);
}

struct status_prev {
	uint64_t reads, ns;
};

/* Resident set size of this process in KiB, 0 if unknown. */
static uint64_t rss_kb(void)
{
	unsigned long long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

static void status_line(struct demo *d, struct status_prev *prev)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	uint64_t now = mono_ns(), unprinted;
	char lists[256];

	hotlist_stats(d->hl, &st);
	atomic_store_explicit(&d->printed, 0, memory_order_relaxed);
	unprinted = atomic_exchange_explicit(&d->unprinted, 0, memory_order_relaxed);
	announce_urgent(d);
	if (!d->o.quiet) {
		list_versions(d->hl, lists, sizeof(lists));
		printf("[%5.1fs] %9.0f reads/s  hits %" PRIu64 "  suppressed %" PRIu64
		       "  refused %" PRIu64 "  %s",
		       secs_since(d, now),
		       (double)(st.reads - prev->reads) * 1e9 / (double)(now - prev->ns), st.hits,
		       st.suppressed, st.refused, lists);
		if (unprinted)
			printf("  (%" PRIu64 " more hits not shown)", unprinted);
		putchar('\n');
		fflush(stdout);
	}
	prev->reads = st.reads;
	prev->ns = now;
	if (d->rss_kb && d->nrss <= d->o.seconds)
		d->rss_kb[d->nrss++] = rss_kb();
}

/* Until the run time is up or Ctrl-C: a status line every second. */
static void demo_wait(struct demo *d)
{
	uint64_t end = d->start_ns + d->o.seconds * NS_PER_S;
	uint64_t next_status = d->start_ns + NS_PER_S;
	struct status_prev prev = { .reads = 0, .ns = d->start_ns };

	while (!demo_interrupted) {
		uint64_t now = mono_ns(), until;

		if (now >= end)
			break;
		if (now >= next_status) {
			status_line(d, &prev);
			next_status += NS_PER_S;
		}
		until = next_status < end ? next_status : end;
		sleep_ns(until - now < DEMO_TICK_NS ? until - now : DEMO_TICK_NS);
	}
	if (demo_interrupted)
		printf("interrupted\n");
}

static void demo_stop(struct demo *d, const struct demo_run *run)
{
	atomic_store_explicit(&d->stop, true, memory_order_relaxed);
	for (unsigned i = 0; i < run->cams_started; i++)
		pthread_join(d->cams[i].thread, NULL);
	d->stop_ns = mono_ns();
	if (d->hl && d->o.workers)
		hotlist_flush(d->hl);
	if (run->control_started)
		pthread_join(d->control, NULL);
}

/* ---- summary ---- */

static void summary_latency(const char *what, const struct hotlist_latency *l)
{
	if (!l->count) {
		printf("  latency %-6s none recorded\n", what);
		return;
	}
	printf("  latency %-6s p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  p99.99 %.1f  max %.1f us"
	       "  (%" PRIu64 " reads)\n",
	       what, l->p50_ns / 1e3, l->p90_ns / 1e3, l->p99_ns / 1e3, l->p999_ns / 1e3,
	       l->p9999_ns / 1e3, l->max_ns / 1e3, l->count);
}

static void summary_reloads(const struct demo *d, const struct hotlist_stats *st)
{
	unsigned kept = d->nreloads < DEMO_RELOADS_MAX ? d->nreloads : DEMO_RELOADS_MAX;

	printf("  reloads      %u of 'national' (%.0f %% of entries renewed each), %u failed;"
	       " took",
	       d->nreloads, DEMO_RENEW_SHARE * 100, d->reload_failures);
	for (unsigned i = 0; i < kept && i < DEMO_RELOADS_SHOWN; i++)
		printf(" %.1f", d->reload_us[i] / 1e3);
	printf(kept > DEMO_RELOADS_SHOWN ? " ... ms\n" : kept ? " ms\n" : " -\n");
	if (d->reload_failures)
		printf("               last failure: %s\n", hotlist_strerror(d->last_reload_error));
	printf("               engine: %" PRIu64 " published (initial loads included), max %.1f ms,"
	       " mean %.1f ms, %" PRIu64 " edits\n",
	       st->reloads, st->reload_max_us / 1e3,
	       st->reloads ? (double)st->reload_total_us / (double)st->reloads / 1e3 : 0.0,
	       st->edits);
}

static void summary_urgent(const struct demo *d)
{
	uint64_t put = atomic_load_explicit(&d->urgent_put_ns, memory_order_acquire);
	uint64_t hit = atomic_load_explicit(&d->urgent_hit_ns, memory_order_acquire);

	if (!put)
		printf("  urgent       not added (run too short or refused)\n");
	else if (!hit)
		printf("  urgent       %s %s added at %.1f s, no hit yet\n", d->urgent.country,
		       d->urgent.plate, secs_since(d, put));
	else
		printf("  urgent       %s %s added at %.1f s, first hit %.3f ms later on %s\n",
		       d->urgent.country, d->urgent.plate, secs_since(d, put),
		       (double)(hit - put) / 1e6, d->urgent_camera);
}

static void summary_lists(struct hotlist *hl)
{
	struct hotlist_list_info info;
	char idx[32], mem[32];

	for (size_t i = 0; hotlist_list_info(hl, i, &info) == 0; i++) {
		double per = info.entries ? (double)info.entries : 1;

		printf("  %-12s %s v%" PRIu64 ": %" PRIu64 " entries, index %s (%.1f B/entry),"
		       " total %s (%.1f B/entry)\n",
		       i ? "" : "memory", info.name, info.version, info.entries,
		       human_bytes(info.index_bytes, idx, sizeof(idx)),
		       (double)info.index_bytes / per,
		       human_bytes(info.memory_bytes, mem, sizeof(mem)),
		       (double)info.memory_bytes / per);
	}
}

static void demo_summary(struct demo *d)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	double secs = (double)(d->stop_ns - d->start_ns) / 1e9;
	uint64_t offered = 0, errors = 0;
	int last_error = 0;

	for (unsigned i = 0; i < d->o.cameras; i++) {
		offered += d->cams[i].reads;
		errors += d->cams[i].errors;
		last_error = d->cams[i].errors ? d->cams[i].last_error : last_error;
	}
	hotlist_stats(d->hl, &st);
	announce_urgent(d);
	printf("\nsummary: %.2f s, %" PRIu64 " cameras (%" PRIu64 " inline), %" PRIu64 " workers\n",
	       secs, d->o.cameras, d->o.inline_cams, d->o.workers);
	printf("  reads        %" PRIu64 " offered, %" PRIu64 " matched, %.0f reads/s\n", offered,
	       st.reads, (double)offered / secs);
	printf("  hits         %" PRIu64 " called back, %" PRIu64 " suppressed (repeats), %" PRIu64
	       " outside their validity\n",
	       st.hits, st.suppressed, st.not_valid);
	printf("  refused      %" PRIu64 " (queue full), %" PRIu64
	       " bad reads (OCR noise ate the plate),"
	       " %" PRIu64 " camera errors%s%s\n",
	       st.refused, st.bad_reads, errors, errors ? ", last: " : "",
	       errors ? hotlist_strerror(last_error) : "");
	summary_reloads(d, &st);
	summary_urgent(d);
	summary_latency("async", &st.async_latency);
	if (!d->o.rate && d->o.inline_cams < d->o.cameras && st.async_latency.count)
		printf("                 (flat out: async latency is mostly time spent in a full queue;"
		       " --rate paces)\n");
	summary_latency("inline", &st.inline_latency);
	summary_lists(d->hl);
}

/* Least-squares slope of v[from, to) against the sample index, KiB per
 * sample. */
static double rss_slope(const uint64_t *v, size_t from, size_t to)
{
	double n = (double)(to - from), sx = 0, sy = 0, sxx = 0, sxy = 0;

	for (size_t i = from; i < to; i++) {
		double x = (double)(i - from), y = (double)v[i];

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	double den = n * sxx - sx * sx;
	return den > 0 ? (n * sxy - sx * sy) / den : 0;
}

/* --soak: memory flat, nothing refused, lost or failed. Returns 0 if it held. */
static int soak_verdict(const struct demo *d)
{
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	size_t quarter = d->nrss / 4, half = d->nrss / 2;
	uint64_t early = 0, late = 0, offered = 0;
	int ok = 1;

	hotlist_stats(d->hl, &st);
	for (unsigned i = 0; i < d->o.cameras; i++)
		offered += d->cams[i].reads;
	for (size_t i = quarter / 2; i < quarter + 1 && i < d->nrss; i++)
		early = d->rss_kb[i] > early ? d->rss_kb[i] : early;
	for (size_t i = d->nrss - quarter; quarter && i < d->nrss; i++)
		late = d->rss_kb[i] > late ? d->rss_kb[i] : late;
	double trend = quarter ? rss_slope(d->rss_kb, half, d->nrss) * (double)(d->nrss - half) : 0;
	printf("\nsoak: rss %" PRIu64 " KiB early, %" PRIu64 " KiB late (%zu samples); trend over "
	       "the second half %+.0f KiB; retired versions waiting at most %" PRIu64
	       " (bound %d), writer waits %" PRIu64 "\n",
	       early, late, d->nrss, trend, st.retired_heavy_max, SOAK_RETIRED_BOUND,
	       st.reclaim_waits);
	if (quarter < 2 || trend > (double)early * SOAK_RSS_GROWTH + SOAK_RSS_SLACK_KB) {
		printf("soak: FAIL: resident memory grew (or the run was too short to tell)\n");
		ok = 0;
	}
	if (st.retired_heavy_max > SOAK_RETIRED_BOUND) {
		printf("soak: FAIL: more retired list versions waited than the bound\n");
		ok = 0;
	}
	if (d->reload_failures || st.reload_failures || st.pending || st.reads != offered ||
	    (d->o.workers && st.refused)) {
		printf("soak: FAIL: reload failures %u/%" PRIu64 ", pending %" PRIu64
		       ", matched %" PRIu64 " of %" PRIu64 " offered, refused %" PRIu64 "\n",
		       d->reload_failures, st.reload_failures, st.pending, st.reads, offered,
		       st.refused);
		ok = 0;
	}
	if (ok)
		printf("soak: PASS: %u reloads, %" PRIu64 " reads, memory flat, nothing lost\n",
		       d->nreloads, st.reads);
	return ok ? 0 : 1;
}

static void demo_free(struct demo *d)
{
	free(d->rss_kb);
	hotlist_destroy(d->hl, NULL);
	hl_sample_list_free(&d->national);
	hl_sample_list_free(&d->local);
	free(d->commuters);
	free(d->transit);
	free(d->listed);
	free(d->cams);
	free(d);
}

/* ---- options ---- */

static int demo_option(int c, struct demo_opts *o)
{
	switch (c) {
	case 'n':
		return parse_u64("entries", optarg, 1, 100000000, &o->entries);
	case 's':
		return parse_u64("seconds", optarg, 1, 86400, &o->seconds);
	case 'c':
		return parse_u64("cameras", optarg, 1, 1024, &o->cameras);
	case 'w':
		return parse_u64("workers", optarg, 0, 256, &o->workers);
	case 'i':
		return parse_u64("inline", optarg, 0, 1024, &o->inline_cams);
	case 'r':
		return parse_u64("rate", optarg, 0, 1000000000, &o->rate);
	case 'S':
		return parse_u64("seed", optarg, 0, UINT64_MAX, &o->seed);
	case 'R':
		return parse_u64("reload-every", optarg, 10, 86400000, &o->reload_ms);
	case 'K':
		o->soak = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'h':
		return 1;
	}
	return -1;
}

static int demo_parse_args(int argc, char **argv, struct demo_opts *o)
{
	static const struct option opts[] = { { "entries", required_argument, NULL, 'n' },
					      { "seconds", required_argument, NULL, 's' },
					      { "cameras", required_argument, NULL, 'c' },
					      { "workers", required_argument, NULL, 'w' },
					      { "inline", required_argument, NULL, 'i' },
					      { "rate", required_argument, NULL, 'r' },
					      { "seed", required_argument, NULL, 'S' },
					      { "reload-every", required_argument, NULL, 'R' },
					      { "soak", no_argument, NULL, 'K' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c, rc;

	*o = (struct demo_opts){ .entries = 200000,
				 .seconds = 10,
				 .cameras = 8,
				 .workers = 2,
				 .inline_cams = UINT64_MAX,
				 .seed = 1 };
	optind = 0;
	while ((c = getopt_long(argc, argv, "n:s:c:w:i:r:R:KqhS:", opts, NULL)) != -1) {
		rc = demo_option(c, o);
		if (rc)
			return rc;
	}
	if (optind != argc) {
		fprintf(stderr, "hotlist: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->workers == 0 || (o->inline_cams == UINT64_MAX && o->cameras == 1))
		o->inline_cams = o->cameras; /* nobody to submit to, or one camera: inline */
	else if (o->inline_cams == UINT64_MAX)
		o->inline_cams = 1;
	if (o->inline_cams > o->cameras) {
		fprintf(stderr,
			"hotlist: --inline %" PRIu64 " is more than --cameras %" PRIu64 "\n",
			o->inline_cams, o->cameras);
		return -1;
	}
	return 0;
}

/* SIGINT / SIGTERM stop the run (a second Ctrl-C kills); only main sees them. */
static void demo_signals(sigset_t *old)
{
	struct sigaction sa = { .sa_handler = on_sigint, .sa_flags = SA_RESETHAND };
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, old); /* every thread started now inherits this */
}

static int cmd_demo(int argc, char **argv)
{
	struct demo *d = calloc(1, sizeof(*d));
	struct demo_run run = { 0 };
	sigset_t old;
	int rc;

	if (!d) {
		fprintf(stderr, "hotlist: out of memory\n");
		return 1;
	}
	rc = demo_parse_args(argc, argv, &d->o);
	if (rc) {
		fputs(demo_usage, rc > 0 ? stdout : stderr);
		free(d);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	if (d->o.soak) {
		d->rss_kb = calloc(d->o.seconds + 1, sizeof(*d->rss_kb));
		if (!d->rss_kb) {
			free(d);
			return 1;
		}
	}
	demo_signals(&old);
	rc = demo_setup(d);
	if (!rc)
		rc = demo_start(d, &run);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		demo_wait(d);
	demo_stop(d, &run);
	if (!rc)
		demo_summary(d);
	if (!rc && d->o.soak)
		rc = soak_verdict(d);
	demo_free(d);
	return rc ? 1 : 0;
}

/* ======================================================================== */
/* main                                                                     */
/* ======================================================================== */

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "demo", cmd_demo, "a live run on generated data: cameras, reloads, an urgent entry" },
	{ "match", cmd_match, "match reads (CSV or JSON lines) against hot-list files" },
	{ "check", cmd_check, "validate a hot-list file, every bad row with its line" },
};

static void main_usage(FILE *f)
{
	fprintf(f, "usage: hotlist [--version] [--help] <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
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
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].run(argc - optind, argv + optind);
	fprintf(stderr, "hotlist: unknown command '%s'\n", argv[optind]);
	main_usage(stderr);
	return EXIT_USAGE;
}
