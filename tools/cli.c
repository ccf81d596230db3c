/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the commands of the `hotlist` program; see cli.h.
 * Uses the public API only (hotlist.h) and jansson for the JSON output.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- messages and values ------------------------------------------------------ */

void hl_cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("hotlist: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int hl_cli_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	/* Decimal, or hexadecimal with 0x (seeds); never octal: "010" is ten. */
	v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		hl_cli_err("--%s: '%s' is not a number in %" PRIu64 "..%" PRIu64, opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int hl_cli_parse_double(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		hl_cli_err("--%s: '%s' is not a number in %g..%g", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

const char *hl_cli_human_bytes(size_t bytes, char *buf, size_t cap)
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

uint64_t hl_cli_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * HL_NS_PER_S + (uint64_t)ts.tv_nsec;
}

int64_t hl_cli_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void hl_cli_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / HL_NS_PER_S),
			       .tv_nsec = (long)(ns % HL_NS_PER_S) };

	nanosleep(&ts, NULL);
}

/* ---- list options ------------------------------------------------------------- */

bool hl_cli_is_list_option(int c)
{
	return c >= HL_OPT_OCR && c <= HL_OPT_TZ;
}

const char *hl_cli_list_option_name(int c)
{
	/* in the order of the HL_OPT_ enum */
	static const char *const names[] = { "ocr",
					     "indel",
					     "ocr-classes",
					     "cross-border",
					     "no-cross-border",
					     "repair",
					     "no-repair",
					     "min-score",
					     "weak",
					     "no-weak",
					     "cameras",
					     "days",
					     "hours",
					     "tz" };

	return names[c - HL_OPT_OCR];
}

int hl_cli_list_option(int c, const char *arg, struct hotlist_list_options *o)
{
	uint64_t v = 0;

	switch (c) {
	case HL_OPT_OCR:
		if (hl_cli_parse_u64("ocr", arg, 0, 2, &v))
			return -1;
		o->ocr_substitutions = (unsigned)v;
		return 0;
	case HL_OPT_INDEL:
		if (hl_cli_parse_u64("indel", arg, 0, 2, &v))
			return -1;
		o->indels = (unsigned)v;
		return 0;
	case HL_OPT_OCR_CLASSES:
		o->ocr_classes = arg;
		return 0;
	case HL_OPT_CROSS_BORDER:
	case HL_OPT_NO_CROSS_BORDER:
		o->cross_border = c == HL_OPT_CROSS_BORDER;
		return 0;
	case HL_OPT_MIN_SCORE:
		if (!strcmp(arg, "auto")) {
			o->min_score = HOTLIST_MIN_SCORE_AUTO;
			return 0;
		}
		if (hl_cli_parse_u64("min-score", arg, 0, 100, &v))
			return -1;
		o->min_score = (unsigned)v;
		return 0;
	case HL_OPT_WEAK:
	case HL_OPT_NO_WEAK:
		o->weak_hits = c == HL_OPT_WEAK;
		return 0;
	case HL_OPT_CAMERAS: /* checked by hotlist_set_list_options() */
		o->cameras = arg;
		return 0;
	case HL_OPT_DAYS:
		o->days = arg;
		return 0;
	case HL_OPT_HOURS:
		o->hours = arg;
		return 0;
	case HL_OPT_TZ:
		o->timezone = arg;
		return 0;
	default:
		o->repair = c == HL_OPT_REPAIR;
		return 0;
	}
}

/* ---- list files --------------------------------------------------------------- */

int hl_cli_list_name_from_path(const char *path, char *name)
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

uint64_t hl_cli_list_version(struct hotlist *hl, const char *name)
{
	struct hotlist_list_info info = { .struct_size = sizeof(info) };

	for (size_t i = 0; hotlist_list_info(hl, i, &info) == 0; i++)
		if (strcmp(info.name, name) == 0)
			return info.version;
	return 0;
}

/* After refused options: say whether --tz names a zone this system lacks. */
static void tz_hint(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[4096];

	if (!tz || !*tz || tz[0] == '+' || tz[0] == '-' || !strcmp(tz, "UTC") || !strcmp(tz, "Z"))
		return;
	dir = dir && *dir ? dir : "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, tz);
	if (access(path, R_OK) != 0)
		hl_cli_err("--tz '%s': not a UTC offset (+01:00) nor a time zone in %s "
			   "(a name like Europe/Amsterdam; is tzdata installed?)",
			   tz, dir);
	else
		hl_cli_err("--tz '%s': if --days/--hours are right, %s/%s is not a TZif file "
			   "this reader accepts (v2+, M-form rule)",
			   tz, dir, tz);
}

/* Set a list's options (before its first load; later loads keep them). */
static int set_list_options(struct hotlist *hl, const struct hl_cli_list *l)
{
	int rc = hotlist_set_list_options(hl, l->name, &l->opts);
	char ms[16] = "auto";

	if (l->opts.min_score != HOTLIST_MIN_SCORE_AUTO)
		snprintf(ms, sizeof(ms), "%u", l->opts.min_score);
	if (rc)
		hl_cli_err("cannot set the options of list '%s' (%s): %s", l->name, l->path,
			   hotlist_strerror(rc));
	if (rc == HOTLIST_EINVAL)
		tz_hint(l->opts.timezone);
	if (!rc)
		hl_cli_err("list '%s': ocr %u, indel %u, classes \"%s\", %scross-border, %srepair, "
			   "min score %s, %sweak hits",
			   l->name, l->opts.ocr_substitutions, l->opts.indels,
			   l->opts.ocr_classes ? l->opts.ocr_classes : "0ODQ 1I 2Z 5S 8B 6G",
			   l->opts.cross_border ? "" : "no ", l->opts.repair ? "" : "no ", ms,
			   l->opts.weak_hits ? "" : "no ");
	if (!rc && (l->opts.cameras || l->opts.days || l->opts.hours))
		hl_cli_err("list '%s': cameras %s, days %s, hours %s, timezone %s", l->name,
			   l->opts.cameras ? l->opts.cameras : "all",
			   l->opts.days ? l->opts.days : "all",
			   l->opts.hours ? l->opts.hours : "all",
			   l->opts.timezone ? l->opts.timezone : "UTC");
	return rc;
}

const char *hl_cli_file_error(int rc)
{
	if (rc == HOTLIST_ENOENT || rc == HOTLIST_EACCES || rc == HOTLIST_EISDIR ||
	    rc == HOTLIST_EIO)
		return strerror(-rc);
	return NULL;
}

const char *hl_cli_refusal(int rc)
{
	if (rc == HOTLIST_EBADROWS)
		return "too many bad rows";
	if (rc == HOTLIST_EEMPTY)
		return "no valid entries";
	return hl_cli_file_error(rc) ? hl_cli_file_error(rc) : hotlist_strerror(rc);
}

/* The estimated innocent fuzzy hits and alerts of a list (docs/fuzzy.md),
 * with a warning past HOTLIST_ALERT_RATE_WARN. Nothing for exact-only lists. */
static void print_estimate(const char *name, const struct hotlist_load_report *r)
{
	if (r->innocent_hits_per_1000 < 0)
		return;
	hl_cli_err("list '%s': estimated innocent reads per 1,000 with a fuzzy hit %.1f, "
		   "alerting %.1f",
		   name, r->innocent_hits_per_1000, r->innocent_alerts_per_1000);
	if (r->alert_rate_warning)
		hl_cli_err("warning: list '%s' would alert on %.1f innocent reads per 1,000 "
			   "(more than %.1f): raise --min-score or lower --ocr/--indel",
			   name, r->innocent_alerts_per_1000, HOTLIST_ALERT_RATE_WARN);
}

int hl_cli_load_list(struct hotlist *hl, const struct hl_cli_list *l, bool reload)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	uint64_t old = hl_cli_list_version(hl, l->name);
	int rc = !reload && l->has_opts ? set_list_options(hl, l) : 0;

	if (rc)
		return rc;
	rc = hotlist_load_csv_flags(hl, l->name, l->path, l->force ? HOTLIST_LOAD_FORCE : 0, &rep);
	if (rc == HOTLIST_ESHRINK)
		hl_cli_err("list '%s': %s has %" PRIu64 " entries where the live list has %" PRIu64
			   " (a file cut short or being rewritten?); write the new file elsewhere "
			   "and rename it into place, or use --force",
			   l->name, l->path, rep.rows - rep.rejected - rep.duplicates,
			   rep.live_entries);
	if (rc == 0) {
		hl_cli_err("%s list '%s' from %s: %" PRIu64 " rows, %" PRIu64 " loaded, %" PRIu64
			   " rejected, %" PRIu64 " duplicates (version %" PRIu64 ", %.1f ms)",
			   reload ? "reloaded" : "loaded", l->name, l->path, rep.rows, rep.loaded,
			   rep.rejected, rep.duplicates, rep.list_version, rep.duration_us / 1e3);
		print_estimate(l->name, &rep);
	} else if (reload)
		hl_cli_err("reload of list '%s' from %s failed: %s; keeping version %" PRIu64,
			   l->name, l->path,
			   hl_cli_file_error(rc) ? hl_cli_file_error(rc) : hotlist_strerror(rc),
			   old);
	else
		hl_cli_err("cannot load list '%s' from %s: %s", l->name, l->path,
			   hl_cli_refusal(rc));
	hl_cli_print_row_errors(l->path, &rep);
	return rc;
}

void hl_cli_print_row_errors(const char *path, const struct hotlist_load_report *r)
{
	for (unsigned i = 0; i < r->n_errors && i < HOTLIST_REPORT_ERRORS; i++)
		fprintf(stderr, "  %s:%" PRIu64 ": %s\n", path, r->errors[i].line,
			r->errors[i].reason);
	if (r->rejected > r->n_errors)
		fprintf(stderr, "  ... and %" PRIu64 " more bad rows\n", r->rejected - r->n_errors);
}

/* ---- hits --------------------------------------------------------------------- */

const char *hl_cli_match_kind_name(enum hotlist_match_kind k)
{
	/* in the order of enum hotlist_match_kind */
	static const char *const names[] = { "exact", "ocr", "indel", "wildcard" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
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

/* The operator keys of a hit (issue 13): ids, vehicle details and what the camera system said of the read. Nonzero on
 * out-of-memory. */
static int hit_operator_json(json_t *o, const struct hotlist_hit *h)
{
	json_t *attrs = json_object();
	int bad = !attrs;

	for (unsigned i = 0; attrs && i < h->n_attrs; i++)
		bad |= json_object_set_new(attrs, h->attrs[i].name, json_text(h->attrs[i].value));
	bad |= json_object_set_new(o, "entry_id", json_text(h->entry_id ? h->entry_id : ""));
	bad |= json_object_set_new(o, "hit_id", json_text(h->hit_id ? h->hit_id : ""));
	bad |= json_object_set_new(o, "attributes", attrs ? attrs : json_null());
	bad |= json_object_set_new(o, "uuid", json_text_or_null(h->read->uuid));
	bad |= json_object_set_new(o, "site", json_text_or_null(h->read->site));
	bad |= json_object_set_new(o, "confidence",
				   h->read->confidence > 0 ? json_real(h->read->confidence) :
							     json_null());
	return bad;
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
	bad |= json_object_set_new(o, "match", json_string(hl_cli_match_kind_name(h->match)));
	bad |= json_object_set_new(o, "candidate", json_integer(h->candidate));
	bad |= json_object_set_new(o, "matched_plate", json_text(h->read_plate));
	bad |= json_object_set_new(o, "repaired", json_boolean(h->repaired));
	bad |= json_object_set_new(o, "format",
				   h->format < 0 ? json_null() : json_boolean(h->format > 0));
	bad |= json_object_set_new(o, "substitutions", json_integer(h->substitutions));
	bad |= json_object_set_new(o, "indels", json_integer(h->indels));
	bad |= json_object_set_new(o, "score", json_integer(h->score));
	if (h->weak)
		bad |= json_object_set_new(o, "weak", json_true());
	if (h->second_read)
		bad |= json_object_set_new(o, "second_read", json_true());
	if (h->retro) /* a kept read hit an entry added after it (cfg.retro_window_us) */
		bad |= json_object_set_new(o, "retro", json_true());
	bad |= hit_operator_json(o, h);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int hl_cli_print_hit(FILE *f, const struct hotlist_hit *h)
{
	json_t *o = hit_to_json(h);
	int rc = !o || json_dumpf(o, f, JSON_COMPACT) || fputc('\n', f) == EOF || fflush(f);

	json_decref(o);
	return rc ? -1 : 0;
}

static const char *const audit_actions[] = {
	"load", "replace", "put", "remove", "drop", "options"
};

int hl_cli_print_audit(FILE *f, const struct hotlist_audit_event *ev)
{
	json_t *o = json_object();
	int bad = !o;
	unsigned a = (unsigned)ev->action;

	if (bad)
		return -1;
	bad |= json_object_set_new(o, "time_us", json_integer(ev->time_us));
	bad |= json_object_set_new(o, "action", json_string(a < 6 ? audit_actions[a] : "?"));
	bad |= json_object_set_new(o, "list", json_text(ev->list));
	bad |= json_object_set_new(o, "source", json_text_or_null(ev->source));
	bad |= json_object_set_new(o, "ok", json_boolean(ev->result == 0));
	bad |= json_object_set_new(
		o, "error", ev->result ? json_string(hotlist_err_name(ev->result)) : json_null());
	bad |= json_object_set_new(o, "reason", json_text_or_null(ev->reason));
	bad |= json_object_set_new(o, "version", json_integer((json_int_t)ev->version));
	bad |= json_object_set_new(o, "rows", json_integer((json_int_t)ev->rows));
	bad |= json_object_set_new(o, "loaded", json_integer((json_int_t)ev->loaded));
	bad |= json_object_set_new(o, "rejected", json_integer((json_int_t)ev->rejected));
	bad |= json_object_set_new(o, "duplicates", json_integer((json_int_t)ev->duplicates));
	bad |= json_object_set_new(o, "duration_us", json_integer(ev->duration_us));
	bad |= !!json_dumpf(o, f, JSON_COMPACT) || fputc('\n', f) == EOF || fflush(f);
	json_decref(o);
	return bad ? -1 : 0;
}
