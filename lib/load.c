/* SPDX-License-Identifier: MIT */
/*
 * load.c — the list-changing half of the public API: replace a list from an
 * array or a CSV file, validate a file, put, remove, drop, describe.
 *
 * The load policy lives here, once, for arrays and files alike:
 *  - every entry is validated and normalised (list.c); a bad one is skipped,
 *    counted and reported with its line (or array position) and reason;
 *  - if more than max_bad_fraction of the rows are bad, or rows were given
 *    and none is good, nothing is published (HOTLIST_EBADROWS /
 *    HOTLIST_EEMPTY): a file that is mostly not what we expect is a broken
 *    export, and replacing a national list by its readable 3 % would silently
 *    stop alerts for the other 97 %;
 *  - otherwise the good entries replace the list as a whole, atomically.
 * Building happens before the writer lock is taken, so a long load does not
 * hold up a put on another list.
 *
 * Threads: every function here is a writer (or touches no engine), and
 * refuses with HOTLIST_EDEADLK when called from a hit callback.
 */
#include "abi.h"
#include "alloc.h"
#include "clock.h"
#include "csv.h"
#include "engine.h"
#include "fuzzy.h"
#include "list.h"
#include "match.h"
#include "normalise.h"
#include "pattern.h"
#include "retro.h"
#include "scope.h"
#include "snapshot.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct load_ctx {
	struct hl_builder b;
	struct hotlist_load_report rep; /* always a full one; copied out */
	int fatal; /* HOTLIST_ENOMEM */
	int row_refused; /* csv_row refused the row csv_bad reports next */
	int64_t now_us; /* wall clock at the start: what "expired" is measured against */
	uint64_t mark; /* the edit sequence at the start (edits after it survive) */
	size_t rows_hint; /* rows expected in all (0: unknown), for text_reserve */
	bool text_sized; /* text_reserve done */
};

/* Rows added before the string arena is sized from what they took. */
#define HL_TEXT_SAMPLE 4096u

/* Once HL_TEXT_SAMPLE rows are in: size the string arena for rows_hint rows
 * from what those took, a little over. A guess over by more than 1/8 costs
 * a copy of the arena when the base is made (list.c, builder_trim), one
 * short a doubling; a fixed guess per row was either for most lists. A
 * hint: failure changes nothing. */
static void text_reserve(struct load_ctx *c)
{
	size_t done = c->b.n;
	if (c->text_sized || done < HL_TEXT_SAMPLE)
		return;
	c->text_sized = true;
	if (c->rows_hint <= done)
		return;
	double per_row = (double)c->b.slen / (double)done;
	(void)hotlist__builder_reserve(
		&c->b, 0,
		c->b.slen + (size_t)(per_row * 1.03 * (double)(c->rows_hint - done)) + 4096);
}

/* A good row: count it if it cannot hit now (expired, or not valid yet). */
static void count_validity(struct load_ctx *c, const struct hotlist_entry *e)
{
	if (e->expires_us && e->expires_us <= c->now_us)
		c->rep.expired++;
	else if (e->valid_from_us > c->now_us)
		c->rep.not_yet_valid++;
}

static void load_ctx_init(struct load_ctx *c, const struct hotlist_allocator *a)
{
	memset(c, 0, sizeof(*c));
	hotlist__builder_init(&c->b, a);
	c->rep.innocent_hits_per_1000 = c->rep.innocent_alerts_per_1000 = -1;
	c->now_us = hotlist__wall_us();
}

static void report_error(struct load_ctx *c, uint64_t line, int code, const char *reason)
{
	c->rep.rejected++;
	if (c->rep.n_errors < HOTLIST_REPORT_ERRORS) {
		struct hotlist_row_error *e = &c->rep.errors[c->rep.n_errors++];
		e->line = line;
		e->code = code;
		snprintf(e->reason, sizeof(e->reason), "%s", reason);
	}
}

/* csv.c calls this for each row it could split into fields. */
static int csv_row(void *ctx, const struct hotlist_entry *e, uint64_t line, char *reason)
{
	struct load_ctx *c = ctx;
	c->rep.rows++;
	int rc = hotlist__builder_add(&c->b, e, 0, reason);
	if (rc == HOTLIST_ENOMEM)
		c->fatal = rc;
	if (rc == 0) {
		count_validity(c, e);
		text_reserve(c);
	}
	c->row_refused = rc != 0;
	return rc;
}

/* csv.c calls this for every bad row: right after csv_row refused it, or
 * for a row the parser itself could not use (then it is a row not yet
 * counted). */
static void csv_bad(void *ctx, uint64_t line, int code, const char *reason)
{
	struct load_ctx *c = ctx;
	if (!c->row_refused)
		c->rep.rows++;
	c->row_refused = 0;
	report_error(c, line, code, reason);
}

/* The policy above: 0 if the rows collected may be published. A file must
 * have at least one good row (an empty export is far more often a broken
 * one than an empty list); an array may be empty on purpose. */
static int verdict(const struct hotlist_load_report *r, double max_bad, int from_file)
{
	uint64_t good = r->rows - r->rejected;
	if ((r->rows > 0 || from_file) && good == 0)
		return HOTLIST_EEMPTY;
	if ((double)r->rejected > max_bad * (double)r->rows)
		return HOTLIST_EBADROWS;
	return 0;
}

/* A report too small for V1 is refused before anything is done. */
static int check_report(const struct hotlist_load_report *r)
{
	return r && !hotlist__abi_span(HL_ABI_LOAD_REPORT, r->struct_size) ? HOTLIST_EINVAL : 0;
}

/* The loaded list's estimated innocent fuzzy rates (docs/fuzzy.md), as
 * hotlist_list_info reports them just after the publish. */
static void report_estimate(struct hotlist *hl, const char *list, struct hotlist_load_report *r)
{
	struct hotlist_list_info info;
	for (size_t i = 0; hotlist__snap_info(&hl->snap, i, &info) == 0; i++) {
		if (strcmp(info.name, list) == 0) {
			r->innocent_hits_per_1000 = info.innocent_hits_per_1000;
			r->innocent_alerts_per_1000 = info.innocent_alerts_per_1000;
			r->alert_rate_warning = info.alert_rate_warning;
			return;
		}
	}
}

/* Fill as much of the caller's report as its struct_size says it has: a
 * caller built against an older, smaller struct (before the fuzzy estimate,
 * before the validity counts) gets the fields it knows. */
static void copy_report(struct hotlist_load_report *out, const struct hotlist_load_report *in)
{
	if (out) /* checked by check_report on the way in */
		(void)hotlist__abi_out(HL_ABI_LOAD_REPORT, out, in, out->struct_size);
}

/* The i-th of the caller's entries, complete (abi.h), in tmp. stride is
 * the caller's struct_size (hotlist__abi_caller_size); an element with
 * another struct_size is refused. */
static int entry_at(const struct hotlist_entry *entries, size_t stride, size_t i,
		    struct hotlist_entry *tmp)
{
	const struct hotlist_entry *e = (const void *)((const char *)entries + i * stride);
	if (hotlist__abi_caller_size(HL_ABI_ENTRY, e->struct_size) != stride)
		return HOTLIST_EINVAL;
	memset(tmp, 0, sizeof(*tmp));
	return hotlist__abi_in(HL_ABI_ENTRY, tmp, e, stride);
}

/* entry_at without the copy when the caller's struct has every field this
 * library knows (its header is this one or newer) and keeps every element
 * aligned: the entry is read in place. A copy and a clear per entry were a
 * fifth of a replace's time. NULL with *rc set when the element's
 * struct_size is not stride. */
static const struct hotlist_entry *entry_ref(const struct hotlist_entry *entries, size_t stride,
					     size_t i, struct hotlist_entry *tmp, int *rc)
{
	const struct hotlist_entry *e = (const void *)((const char *)entries + i * stride);
	if (stride < sizeof(*e) || stride % _Alignof(struct hotlist_entry)) {
		*rc = entry_at(entries, stride, i, tmp);
		return *rc ? NULL : tmp;
	}
	*rc = hotlist__abi_caller_size(HL_ABI_ENTRY, e->struct_size) == stride ? 0 : HOTLIST_EINVAL;
	return *rc ? NULL : e;
}

/*
 * The audit trail (cfg.on_audit): one event per change or refused change,
 * after the writer lock is released. rep is NULL for edits. Argument errors
 * (HOTLIST_EINVAL, HOTLIST_EDEADLK, a bad name) are the caller's bug and are
 * refused before anything is audited.
 */
static void audit(struct hotlist *hl, enum hotlist_audit_action act, const char *list,
		  const char *source, int rc, const struct hotlist_load_report *rep, uint64_t t0)
{
	if (!hl->cfg.on_audit)
		return;
	char reason[160] = "";
	struct hotlist_audit_event ev = {
		.action = act,
		.list = list,
		.source = source,
		.result = rc < 0 ? rc : 0,
		.reason = reason,
		.duration_us = (int64_t)((hotlist__now_ns() - t0) / 1000),
		.time_us = hotlist__wall_us(),
	};
	if (rc < 0) {
		if (rep && rep->n_errors)
			snprintf(reason, sizeof(reason), "%s; line %llu: %s", hotlist_strerror(rc),
				 (unsigned long long)rep->errors[0].line, rep->errors[0].reason);
		else
			snprintf(reason, sizeof(reason), "%s", hotlist_strerror(rc));
	}
	if (rep) {
		ev.rows = rep->rows;
		ev.loaded = rep->loaded;
		ev.rejected = rep->rejected;
		ev.duplicates = rep->duplicates;
	} else if (act == HOTLIST_AUDIT_PUT && rc == 0) {
		ev.rows = ev.loaded = 1;
	} else if (act == HOTLIST_AUDIT_REMOVE && rc > 0) {
		ev.rows = (uint64_t)rc; /* entries removed */
	}
	ev.version = rc == 0 && rep ? rep->list_version : hotlist__snap_version(&hl->snap, list);
	hl->cfg.on_audit(&ev, hl->cfg.on_audit_user);
}

static int check_name(const char *list)
{
	if (!list || !*list)
		return HOTLIST_EINVAL;
	if (strnlen(list, HOTLIST_NAME_MAX + 1) > HOTLIST_NAME_MAX)
		return HOTLIST_ENOSPC;
	return 0;
}

/* The policy over what c collected, the build included: duplicates merged,
 * the per-plate bound applied (its overflow counted as bad rows), so that
 * hotlist_check_csv and a load give one verdict and one report. *base gets
 * the built list (its owner frees it with a), or NULL on error. */
static int build_checked(struct load_ctx *c, double max_bad, int from_file,
			 const struct hotlist_allocator *a, struct hl_base **base)
{
	uint64_t overflow = 0;
	int rc = c->fatal ? c->fatal : verdict(&c->rep, max_bad, from_file);
	*base = NULL;
	if (!rc)
		rc = hotlist__builder_finish(&c->b, hotlist__seed(0), base, &c->rep.duplicates,
					     &overflow);
	if (!rc && overflow) {
		/* entries past the per-plate bound count as bad rows */
		c->rep.rejected += overflow - 1;
		report_error(c, 0, HOTLIST_ENOSPC,
			     "too many entries for one plate; extra rows dropped");
		rc = verdict(&c->rep, max_bad, from_file);
	}
	if (rc) {
		hotlist__base_put(*base, a);
		*base = NULL;
		return rc;
	}
	c->rep.loaded = (*base)->n_meta;
	return 0;
}

/* The shrink guard (hotlist_load_csv_flags): 0, or HOTLIST_ESHRINK when
 * the new version would keep fewer than cfg.shrink_guard of the entries of
 * the version live now. Checked against the live version of the moment:
 * a writer racing on the same list may change it before the publication. */
static int shrink_guard(struct hotlist *hl, const char *list, struct load_ctx *c, uint64_t n)
{
	c->rep.live_entries = hotlist__snap_entries(&hl->snap, list);
	if ((double)n >= hl->cfg.shrink_guard * (double)c->rep.live_entries)
		return 0;
	char reason[96];
	snprintf(reason, sizeof(reason),
		 "%" PRIu64 " entries would replace %" PRIu64 " live: refused (shrink guard)", n,
		 c->rep.live_entries);
	if (c->rep.n_errors < HOTLIST_REPORT_ERRORS) {
		struct hotlist_row_error *e = &c->rep.errors[c->rep.n_errors++];
		*e = (struct hotlist_row_error){ .line = 0, .code = HOTLIST_ESHRINK };
		snprintf(e->reason, sizeof(e->reason), "%s", reason);
	}
	return HOTLIST_ESHRINK;
}

/* ---- retroactive hits (retro.c has the design) ------------------------- */

/*
 * A list change as retroactive hits see it: the identities (plate, country,
 * category) the list had before the change, and the keys of the entries it
 * added. Both are open-addressing sets, at most half full, of a power of two
 * slots (0 marks an empty identity slot; a key slot is empty when its used
 * byte is 0). `only`: the change touched only this key (a put), so only its
 * run is looked at, before and after.
 */
struct retro_change {
	struct hotlist *hl;
	const struct hl_key *only;
	uint64_t *old; /* identities before */
	size_t old_cap;
	struct retro_key {
		struct hl_key k;
		uint8_t used;
	} * keys; /* keys added */
	size_t key_cap, n_new;
	const struct hl_list *l; /* the version scanned (filter of match_retro) */
	const struct hl_state *st;
	int failed; /* out of memory: no retroactive hits for this change */
};

/* An entry's identity within its list: plate, country, category
 * (hotlist__meta_id, seed 0). Never 0. */
static uint64_t retro_id(const struct hl_base *b, const struct hl_meta *m)
{
	uint64_t h = hotlist__meta_id(b, m, 0);
	return h ? h : 1;
}

/* Slots of a retro change's table for n (at least 16). */
static size_t cap_for(size_t n)
{
	return hl_pow2_at_least(n < 16 ? 16 : n);
}

static bool old_has(const struct retro_change *rc, uint64_t id)
{
	for (size_t i = id & (rc->old_cap - 1);; i = (i + 1) & (rc->old_cap - 1)) {
		if (rc->old[i] == id)
			return true;
		if (!rc->old[i])
			return false;
	}
}

static void old_add(struct retro_change *rc, uint64_t id)
{
	size_t i = id & (rc->old_cap - 1);
	while (rc->old[i] && rc->old[i] != id)
		i = (i + 1) & (rc->old_cap - 1);
	rc->old[i] = id;
}

/* Where key k is or would go. A multiplicative hash (Knuth), not XXH3: the
 * scan asks this for every kept read, and a keyed hash there doubled the
 * time of a put's scan (bench_retro); the keys are the change's own. */
static size_t key_slot(const struct retro_change *rc, const struct hl_key *k)
{
	uint64_t h = (k->lo ^ ((uint64_t)k->hi << 29)) * UINT64_C(0x9e3779b97f4a7c15);
	size_t i = (size_t)(h >> 32) & (rc->key_cap - 1);
	while (rc->keys[i].used && !hl_key_eq(&rc->keys[i].k, k))
		i = (i + 1) & (rc->key_cap - 1);
	return i;
}

static bool retro_want(void *ctx, const struct hl_key *k)
{
	const struct retro_change *rc = ctx;
	return rc->keys[key_slot(rc, k)].used;
}

typedef void each_fn(struct retro_change *, const struct hl_base *, const struct hl_meta *);

/* Call fn for the entries of b (l's base or entries put) a match can hit:
 * all, or only `only`'s run when set; wildcard patterns skipped. */
static void each_in(const struct hl_list *l, const struct hl_base *b, const struct hl_key *only,
		    each_fn *fn, struct retro_change *rc)
{
	uint32_t i = only ? hl_base_find(b, only) : 0;
	for (; i != HL_TABLE_NONE && i < b->n_meta; i++) {
		const struct hl_meta *m = &b->meta[i];
		if (!(m->flags & HL_M_PATTERN) &&
		    (b != l->base || !l->ovl || !hotlist__list_hidden(l, m)))
			fn(rc, b, m);
		if (only && (m->flags & HL_M_LAST))
			break;
	}
}

struct each_ctx {
	const struct hl_list *l;
	each_fn *fn;
	struct retro_change *rc;
};

static void each_adds(void *ctx, const struct hl_base *b)
{
	const struct each_ctx *c = ctx;
	each_in(c->l, b, NULL, c->fn, c->rc);
}

/* Call fn for every entry of version l a match can hit (only `only`'s run
 * when set; wildcard patterns skipped: retroactive hits are exact). */
static void each_entry(const struct hl_list *l, const struct hl_key *only,
		       void (*fn)(struct retro_change *, const struct hl_base *,
				  const struct hl_meta *),
		       struct retro_change *rc)
{
	if (!only) {
		each_in(l, l->base, NULL, fn, rc);
		struct each_ctx c = { l, fn, rc };
		hotlist__list_adds_each(l, each_adds, &c);
		return;
	}
	each_in(l, l->base, only, fn, rc);
	const struct hl_base *a = hotlist__list_adds(l, only);
	if (a)
		each_in(l, a, only, fn, rc);
}

static const struct hl_list *list_in(const struct hl_state *st, const char *name)
{
	for (uint32_t i = 0; i < st->n; i++)
		if (strcmp(st->lists[i]->name, name) == 0)
			return st->lists[i];
	return NULL;
}

static void count_one(struct retro_change *rc, const struct hl_base *b, const struct hl_meta *m)
{
	(void)b;
	(void)m;
	rc->n_new++; /* here: entries before the change */
}

static void note_old(struct retro_change *rc, const struct hl_base *b, const struct hl_meta *m)
{
	old_add(rc, retro_id(b, m));
}

/* Before a change of list `name`: what it holds now. Writer's thread,
 * outside the writer lock (a writer racing on the same list between this and
 * the change makes its entries count as added by this one too). */
static void retro_before(struct retro_change *rc, struct hotlist *hl, const char *name,
			 const struct hl_key *only)
{
	memset(rc, 0, sizeof(*rc));
	rc->hl = hl;
	rc->only = only;
	if (!hl->retro || !name) {
		rc->failed = 1; /* nothing to do after */
		return;
	}
	const struct hl_state *st = hotlist__snap_enter(&hl->snap);
	const struct hl_list *l = list_in(st, name);
	if (l)
		each_entry(l, only, count_one, rc);
	rc->old_cap = cap_for(2 * rc->n_new + 1);
	rc->old = hotlist__zalloc(hl->a, rc->old_cap * sizeof(uint64_t), HL_CACHE_LINE);
	if (!rc->old)
		rc->failed = 1;
	else if (l)
		each_entry(l, only, note_old, rc);
	hotlist__snap_exit();
	rc->n_new = 0;
}

static void count_new(struct retro_change *rc, const struct hl_base *b, const struct hl_meta *m)
{
	rc->n_new += !old_has(rc, retro_id(b, m));
}

static void note_new(struct retro_change *rc, const struct hl_base *b, const struct hl_meta *m)
{
	if (old_has(rc, retro_id(b, m)))
		return;
	struct hl_key k = hl_meta_key(m);
	struct retro_key *x = &rc->keys[key_slot(rc, &k)];
	x->k = k;
	x->used = 1;
}

static bool retro_filter(void *ctx, const struct hl_list *l, const struct hl_meta *m)
{
	const struct retro_change *rc = ctx;
	if (l != rc->l)
		return false;
	/* m is in l's base or entries put: find which, for its category string */
	struct hl_key k = hl_meta_key(m);
	const struct hl_base *a = l->ovl ? hotlist__list_adds(l, &k) : NULL;
	const struct hl_base *b = l->base;
	if (a && m >= a->meta && m < a->meta + a->n_meta)
		b = a;
	else if (l->adds && m >= l->adds->meta && m < l->adds->meta + l->adds->n_meta)
		b = l->adds; /* a wildcard put (snapshot_edit.c, "Wildcard puts") */
	return !old_has(rc, retro_id(b, m));
}

static void retro_visit(void *ctx, const struct hl_retro_read *rd)
{
	struct retro_change *rc = ctx;
	char plate[HOTLIST_PLATE_MAX + 1], country[3];
	hotlist__key_unpack(&rd->key, plate);
	hotlist__country_str(rd->country, country);
	struct hotlist_read r = {
		.plate = plate,
		.country = country,
		.camera = rd->camera[0] ? rd->camera : NULL,
		.ts_us = rd->ts_us,
		.struct_size = sizeof(r),
		.uuid = rd->uuid[0] ? rd->uuid : NULL,
		.site = rd->site[0] ? rd->site : NULL,
	};
	(void)hotlist__match_retro(rc->hl, rc->st, &r, retro_filter, rc);
}

/* After the change (published, writer lock released): match the entries it
 * added against the kept reads that could not see it, and call back. */
static void retro_after(struct retro_change *rc, const char *name)
{
	struct hotlist *hl = rc->hl;
	uint64_t gen = hotlist__snap_installed;
	if (!hl->retro || rc->failed)
		return;
	hotlist__snap_synchronize(); /* every read that saw an older state is kept */
	const struct hl_state *st = hotlist__snap_enter(&hl->snap);
	const struct hl_list *l = list_in(st, name);
	if (l)
		each_entry(l, rc->only, count_new, rc);
	if (rc->n_new) {
		rc->key_cap = cap_for(2 * rc->n_new + 1);
		rc->keys = hotlist__zalloc(hl->a, rc->key_cap * sizeof(*rc->keys), HL_CACHE_LINE);
	}
	if (rc->keys) {
		each_entry(l, rc->only, note_new, rc);
		rc->l = l;
		rc->st = st;
		hotlist__retro_scan(hl->retro, hotlist__wall_us(), gen, retro_want, retro_visit,
				    rc);
	}
	hotlist__snap_exit();
}

static void retro_fini(struct retro_change *rc)
{
	if (rc->old)
		hotlist__free(rc->hl->a, rc->old, rc->old_cap * sizeof(uint64_t));
	if (rc->keys)
		hotlist__free(rc->hl->a, rc->keys, rc->key_cap * sizeof(*rc->keys));
}

/* Build and publish what c collected, under the policy. */
static int finish_load(struct hotlist *hl, const char *list, struct load_ctx *c, uint64_t t0,
		       int from_file, unsigned flags)
{
	struct hl_base *base = NULL;
	int rc = build_checked(c, hl->cfg.max_bad_fraction, from_file, hl->a, &base);
	if (!rc && from_file && !(flags & HOTLIST_LOAD_FORCE) &&
	    (rc = shrink_guard(hl, list, c, base->n_meta)) != 0)
		hotlist__base_put(base, hl->a);
	struct retro_change rt;
	retro_before(&rt, hl, rc ? NULL : list, NULL);
	if (!rc) /* base belongs to the list once published */
		rc = hotlist__snap_replace(&hl->snap, list, base, c->mark, &c->rep.list_version);
	if (!rc)
		retro_after(&rt, list);
	retro_fini(&rt);
	int64_t us = (int64_t)((hotlist__now_ns() - t0) / 1000);
	c->rep.duration_us = us;
	if (rc) {
		c->rep.loaded = 0;
		atomic_fetch_add_explicit(&hl->reload_failures, 1, memory_order_relaxed);
		return rc;
	}
	report_estimate(hl, list, &c->rep);
	/* relaxed: statistics, read by hotlist_stats with no ordering needs */
	atomic_fetch_add_explicit(&hl->reloads, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hl->reload_total_us, us, memory_order_relaxed);
	atomic_store_explicit(&hl->reload_last_us, us, memory_order_relaxed);
	int_fast64_t max = atomic_load_explicit(&hl->reload_max_us, memory_order_relaxed);
	while (us > max &&
	       !atomic_compare_exchange_weak_explicit(&hl->reload_max_us, &max, us,
						      memory_order_relaxed, memory_order_relaxed))
		;
	return 0;
}

static int writer_guard(struct hotlist *hl, const char *list)
{
	if (!hl)
		return HOTLIST_EINVAL;
	if (hotlist__in_callback)
		return HOTLIST_EDEADLK;
	return check_name(list);
}

int hotlist_replace(struct hotlist *hl, const char *list, const struct hotlist_entry *entries,
		    size_t n, struct hotlist_load_report *report)
{
	int rc = writer_guard(hl, list);
	if (!rc)
		rc = check_report(report);
	if (rc)
		return rc;
	if (n && !entries)
		return HOTLIST_EINVAL;
	size_t stride = n ? hotlist__abi_caller_size(HL_ABI_ENTRY, entries[0].struct_size) : 0;
	if (n && !hotlist__abi_span(HL_ABI_ENTRY, stride))
		return HOTLIST_EINVAL;
	uint64_t t0 = hotlist__now_ns();
	hotlist__build_times = (struct hl_build_times){ .on = true };
	hotlist__build_stamp(&hotlist__build_times.begin_ns, &hotlist__build_times.begin_cpu);
	struct load_ctx c;
	load_ctx_init(&c, hl->a);
	c.mark = hotlist__snap_op_mark(&hl->snap, list);
	char reason[96];
	if (hotlist__builder_reserve(&c.b, n, 0))
		c.fatal = HOTLIST_ENOMEM;
	else /* a big list's index is built while its entries are added */
		hotlist__builder_index_ahead(&c.b, hotlist__seed(0), hl->cfg.build_threads);
	c.rows_hint = n;
	c.b.fixed_input = true; /* the caller's entries stay as they are until we return */
	for (size_t i = 0; i < n && !c.fatal; i++) {
		struct hotlist_entry tmp;
		c.rep.rows++;
		const struct hotlist_entry *e = entry_ref(entries, stride, i, &tmp, &rc);
		if (rc)
			snprintf(reason, sizeof(reason),
				 "struct_size is not that of the first entry");
		else
			rc = hotlist__builder_add(&c.b, e, 0, reason);
		if (rc == HOTLIST_ENOMEM)
			c.fatal = rc;
		else if (rc)
			report_error(&c, i + 1, rc, reason);
		else {
			count_validity(&c, e);
			text_reserve(&c);
		}
	}
	rc = finish_load(hl, list, &c, t0, 0, 0);
	hotlist__build_stamp(&hotlist__build_times.published_ns,
			     &hotlist__build_times.published_cpu);
	hotlist__build_times.on = false;
	hotlist__snap_op_unmark(&hl->snap, list);
	hotlist__builder_fini(&c.b);
	copy_report(report, &c.rep);
	audit(hl, HOTLIST_AUDIT_REPLACE, list, NULL, rc, &c.rep, t0);
	return rc;
}

/* Bytes of a file sampled to estimate its rows. */
#define HL_CSV_SAMPLE 65536

/* About how many rows the regular file at path has: its size times the
 * lines in its first HL_CSV_SAMPLE bytes, a little over. 0 if unknown (not a
 * regular file: nothing is read from it here; empty; unreadable). Only a
 * hint, so that the builder's entry array is allocated once at about its
 * final size instead of doubled and copied as rows come. */
static size_t estimate_rows(const char *path)
{
	char buf[HL_CSV_SAMPLE];
	struct stat sb;
	size_t est = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t got = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? read(fd, buf, sizeof(buf)) : -1;
	close(fd);
	if (got > 0) {
		size_t lines = 1;
		for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))); p++)
			lines++;
		est = (size_t)((double)sb.st_size * (double)lines / (double)got * 1.02) + 64;
	}
	return est;
}

int hotlist_load_csv(struct hotlist *hl, const char *list, const char *path,
		     struct hotlist_load_report *report)
{
	return hotlist_load_csv_flags(hl, list, path, 0, report);
}

int hotlist_load_csv_flags(struct hotlist *hl, const char *list, const char *path, unsigned flags,
			   struct hotlist_load_report *report)
{
	int rc = writer_guard(hl, list);
	if (!rc)
		rc = check_report(report);
	if (rc)
		return rc;
	if (!path || (flags & ~HOTLIST_LOAD_FORCE))
		return HOTLIST_EINVAL;
	uint64_t t0 = hotlist__now_ns();
	struct load_ctx c;
	load_ctx_init(&c, hl->a);
	c.mark = hotlist__snap_op_mark(&hl->snap, list);
	c.rows_hint = estimate_rows(path);
	if (hotlist__builder_reserve(&c.b, c.rows_hint, 0) == 0) /* a hint: may fail */
		hotlist__builder_index_ahead(&c.b, hotlist__seed(0), hl->cfg.build_threads);
	rc = hotlist__csv_parse_with(hl->a, path, csv_row, csv_bad, &c);
	if (!rc)
		rc = finish_load(hl, list, &c, t0, 1, flags);
	else
		atomic_fetch_add_explicit(&hl->reload_failures, 1, memory_order_relaxed);
	hotlist__snap_op_unmark(&hl->snap, list);
	hotlist__builder_fini(&c.b);
	copy_report(report, &c.rep);
	audit(hl, HOTLIST_AUDIT_LOAD, list, path, rc, &c.rep, t0);
	return rc;
}

struct check_ctx {
	struct load_ctx c;
	hotlist_row_error_fn fn;
	void *user;
};

static void check_bad(void *ctx, uint64_t line, int code, const char *reason)
{
	struct check_ctx *k = ctx;
	csv_bad(&k->c, line, code, reason);
	if (k->fn) {
		struct hotlist_row_error e = { .line = line, .code = code };
		snprintf(e.reason, sizeof(e.reason), "%s", reason);
		k->fn(&e, k->user);
	}
}

int hotlist_check_csv(const char *path, double max_bad_fraction, struct hotlist_load_report *report,
		      hotlist_row_error_fn on_error, void *user)
{
	if (!path || max_bad_fraction < 0 || check_report(report))
		return HOTLIST_EINVAL;
	uint64_t t0 = hotlist__now_ns();
	struct check_ctx k;
	memset(&k, 0, sizeof(k));
	load_ctx_init(&k.c, hotlist__default_allocator());
	k.fn = on_error;
	k.user = user;
	/* csv_row's first argument is the load_ctx at the start of check_ctx */
	int rc = hotlist__csv_parse(path, csv_row, check_bad, &k);
	if (!rc) {
		/* the very build a load makes, then thrown away */
		struct hl_base *base = NULL;
		rc = build_checked(&k.c, max_bad_fraction, 1, hotlist__default_allocator(), &base);
		hotlist__base_put(base, hotlist__default_allocator());
	}
	if (rc)
		k.c.rep.loaded = 0;
	k.c.rep.duration_us = (int64_t)((hotlist__now_ns() - t0) / 1000);
	hotlist__builder_fini(&k.c.b);
	copy_report(report, &k.c.rep);
	return rc;
}

/* Normalised key and country of a plate for put/remove. */
static int key_of(const char *plate, const char *country, struct hl_key *k, hl_country *c)
{
	char norm[HOTLIST_PLATE_MAX + 1];
	if (!plate)
		return HOTLIST_EINVAL;
	bool pattern = hotlist__is_pattern(plate);
	int len = pattern ? hotlist__pattern_normalise(plate, norm) :
			    hotlist__normalise_plate(plate, norm);
	if (len < 0)
		return len;
	int rc = hotlist__parse_country(country, c);
	if (rc)
		return rc;
	if (pattern)
		hotlist__key_pack_pattern(norm, (size_t)len, k);
	else
		hotlist__key_pack(norm, (size_t)len, k);
	return 0;
}

static void count_edit(struct hotlist *hl)
{
	atomic_fetch_add_explicit(&hl->edits, 1, memory_order_relaxed); /* statistics only */
}

int hotlist_put(struct hotlist *hl, const char *list, const struct hotlist_entry *in)
{
	struct hotlist_entry full, *e = &full;
	int rc = writer_guard(hl, list);
	if (rc)
		return rc;
	if (!in)
		return HOTLIST_EINVAL;
	rc = entry_at(in, hotlist__abi_caller_size(HL_ABI_ENTRY, in->struct_size), 0, &full);
	if (rc)
		return rc;
	uint64_t t0 = hotlist__now_ns();
	/* validate exactly as a load would, with a one-entry builder */
	struct hl_builder b;
	char reason[96];
	hotlist__builder_init(&b, hl->a);
	rc = hotlist__builder_add(&b, e, 0, reason);
	hotlist__builder_fini(&b);
	struct hl_key k;
	hl_country c = 0;
	if (!rc)
		rc = key_of(e->plate, e->country, &k, &c);
	struct retro_change rt;
	retro_before(&rt, hl, rc ? NULL : list, &k); /* k is set when rc is 0 */
	if (!rc)
		rc = hotlist__snap_put(&hl->snap, list, e, &k, c);
	if (!rc) {
		count_edit(hl);
		retro_after(&rt, list);
	}
	retro_fini(&rt);
	audit(hl, HOTLIST_AUDIT_PUT, list, NULL, rc, NULL, t0);
	return rc;
}

int hotlist_remove(struct hotlist *hl, const char *list, const char *plate, const char *country)
{
	int rc = writer_guard(hl, list);
	if (rc)
		return rc;
	uint64_t t0 = hotlist__now_ns();
	struct hl_key k;
	hl_country c = 0;
	rc = key_of(plate, country, &k, &c);
	if (!rc)
		rc = hotlist__snap_remove(&hl->snap, list, plate, &k, c);
	if (rc > 0)
		count_edit(hl);
	audit(hl, HOTLIST_AUDIT_REMOVE, list, NULL, rc, NULL, t0);
	return rc;
}

int hotlist_drop_list(struct hotlist *hl, const char *list)
{
	int rc = writer_guard(hl, list);
	if (rc)
		return rc;
	uint64_t t0 = hotlist__now_ns();
	rc = hotlist__snap_drop(&hl->snap, list);
	audit(hl, HOTLIST_AUDIT_DROP, list, NULL, rc, NULL, t0);
	return rc;
}

int hotlist_set_list_options(struct hotlist *hl, const char *list,
			     const struct hotlist_list_options *o)
{
	struct hl_fz_opts fo;
	int rc = writer_guard(hl, list);
	if (rc)
		return rc;
	uint64_t t0 = hotlist__now_ns();
	struct hl_scope *sc = NULL;
	rc = hotlist__fz_opts_set(&fo, o);
	if (!rc)
		rc = hotlist__scope_new(&sc, o, hl->a);
	if (!rc)
		rc = hotlist__snap_set_options(&hl->snap, list, &fo, sc);
	if (!rc)
		count_edit(hl);
	if (rc != HOTLIST_EINVAL)
		audit(hl, HOTLIST_AUDIT_OPTIONS, list, NULL, rc, NULL, t0);
	return rc;
}

int hotlist_list_info(struct hotlist *hl, size_t i, struct hotlist_list_info *out)
{
	if (!hl || !out || !hotlist__abi_span(HL_ABI_LIST_INFO, out->struct_size))
		return HOTLIST_EINVAL;
	struct hotlist_list_info full;
	memset(&full, 0, sizeof(full));
	int rc = hotlist__snap_info(&hl->snap, i, &full);
	return rc ? rc : hotlist__abi_out(HL_ABI_LIST_INFO, out, &full, out->struct_size);
}
