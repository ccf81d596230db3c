/* SPDX-License-Identifier: MIT */
/*
 * Operator suite (issue 13): what a control room needs from a hit and from
 * a list change — stable entry ids and deterministic hit ids, vehicle
 * details (attributes) carried from the list to the hit, and the audit
 * trail of list changes. Each test creates its own engine.
 */
#include "hotlist.h"
#include "testutil.h"

#include "engine.h" /* struct hotlist: hl->snap */
#include "snapshot.h" /* hotlist__snap_set_edits_fold */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

/* The last hit, copied out of the callback. */
struct got {
	int n;
	char entry_id[HOTLIST_ID_MAX + 1], hit_id[HOTLIST_HIT_ID_LEN + 1];
	char plate[32];
	unsigned n_attrs;
	char name[HOTLIST_ATTRS_MAX][HOTLIST_ATTR_NAME_MAX + 1];
	char value[HOTLIST_ATTRS_MAX][300];
	int attrs_null;
};

static void keep(const struct hotlist_hit *h, void *user)
{
	struct got *g = user;
	g->n++;
	snprintf(g->entry_id, sizeof(g->entry_id), "%s", h->entry_id);
	snprintf(g->hit_id, sizeof(g->hit_id), "%s", h->hit_id);
	snprintf(g->plate, sizeof(g->plate), "%s", h->plate);
	g->n_attrs = h->n_attrs;
	g->attrs_null = h->attrs == NULL;
	for (unsigned i = 0; i < h->n_attrs; i++) {
		snprintf(g->name[i], sizeof(g->name[i]), "%s", h->attrs[i].name);
		snprintf(g->value[i], sizeof(g->value[i]), "%s", h->attrs[i].value);
	}
}

static struct got match1(struct hotlist *hl, const char *plate, const char *camera, int64_t ts)
{
	struct got g;
	memset(&g, 0, sizeof(g));
	struct hotlist_read r = { .plate = plate, .country = "NL", .camera = camera, .ts_us = ts };
	hotlist_match(hl, &r, keep, &g);
	return g;
}

static const char *attr(const struct got *g, const char *name)
{
	for (unsigned i = 0; i < g->n_attrs; i++)
		if (strcmp(g->name[i], name) == 0)
			return g->value[i];
	return NULL;
}

/* The documented recipe, computed here in one shot over one buffer. */
static void derived_id(const char *list, const char *plate, const char *cc, const char *cat,
		       char *out)
{
	char buf[256];
	size_t n = 0;
	const char *parts[4] = { list, plate, cc, cat };
	for (int i = 0; i < 4; i++) {
		size_t l = strlen(parts[i]) + 1;
		memcpy(buf + n, parts[i], l);
		n += l;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits(buf, n));
}

/* The same recipe in XXH3's streaming form, for inputs of any length. */
static void derived_id_any(const char *list, const char *plate, const char *cc, const char *cat,
			   char *out)
{
	XXH3_state_t *st = XXH3_createState();
	ck_assert_ptr_nonnull(st);
	XXH3_64bits_reset(st);
	const char *parts[4] = { list, plate, cc, cat };
	for (int i = 0; i < 4; i++)
		XXH3_64bits_update(st, parts[i], strlen(parts[i]) + 1);
	snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits_digest(st));
	XXH3_freeState(st);
}

START_TEST(entry_ids)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e[2] = {
		{ .plate = "AB-12-CD", .country = "NL", .category = "stolen", .id = "case-77" },
		{ .plate = "XY-99-ZZ", .country = "NL", .category = "wanted" },
	};
	ck_assert_int_eq(hotlist_replace(hl, "national", e, 2, NULL), 0);
	struct got g = match1(hl, "AB12CD", "cam", 1000);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.entry_id, "case-77");
	g = match1(hl, "XY99ZZ", "cam", 1000);
	char want[17];
	derived_id("national", "XY99ZZ", "NL", "wanted", want);
	ck_assert_str_eq(g.entry_id, want);
	/* stable: another engine, another load, the same id */
	struct hotlist *hl2 = hl_test_engine();
	ck_assert_int_eq(hotlist_put(hl2, "national", &e[1]), 0);
	struct got g2 = match1(hl2, "XY 99 ZZ", "cam", 1000);
	ck_assert_str_eq(g2.entry_id, want);
	/* hit id: the same read and entry give the same id, another time another */
	ck_assert_str_eq(g2.hit_id, g.hit_id);
	ck_assert_uint_eq(strlen(g.hit_id), HOTLIST_HIT_ID_LEN);
	struct got g3 = match1(hl, "XY99ZZ", "cam", 1001);
	ck_assert_str_ne(g3.hit_id, g.hit_id);
	struct got g4 = match1(hl, "XY99ZZ", "cam2", 1000);
	ck_assert_str_ne(g4.hit_id, g.hit_id);
	hotlist_destroy(hl2, NULL);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* The hit id's recipe (hotlist.h: struct hotlist_hit.hit_id), hashed here
 * in pieces with XXH3's streaming form. */
static void recipe_hit_id(const char *entry_id, const char *list, const char *camera,
			  const char *read_plate, int64_t ts, char *out)
{
	XXH3_state_t *st = XXH3_createState();
	ck_assert_ptr_nonnull(st);
	XXH3_64bits_reset(st);
	const char *parts[4] = { entry_id, list, camera, read_plate };
	for (int i = 0; i < 4; i++)
		XXH3_64bits_update(st, parts[i], strlen(parts[i]) + 1);
	unsigned char le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)((uint64_t)ts >> (8 * i));
	XXH3_64bits_update(st, le, 8);
	snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits_digest(st));
	XXH3_freeState(st);
}

/* Ids follow their recipes whatever the inputs' length: short ones (hashed
 * from one buffer on the stack) and a camera id or category too long for
 * it (hashed in pieces). */
START_TEST(ids_short_and_long_inputs)
{
	struct hotlist *hl = hl_test_engine();
	static char cat[600], cam[1000];
	memset(cat, 'c', sizeof(cat) - 1);
	memset(cam, 'k', sizeof(cam) - 1);
	struct hotlist_entry e[2] = {
		{ .plate = "XY-99-ZZ", .country = "NL", .category = "wanted" },
		{ .plate = "QQ-11-RR", .country = "NL", .category = cat },
	};
	ck_assert_int_eq(hotlist_replace(hl, "national", e, 2, NULL), 0);
	const char *plates[2] = { "XY99ZZ", "QQ11RR" }, *cams[2] = { "cam-01", cam };
	for (int p = 0; p < 2; p++) {
		char want_entry[17], want_hit[17];
		derived_id_any("national", plates[p], "NL", e[p].category, want_entry);
		for (int c = 0; c < 2; c++) {
			struct got g = match1(hl, plates[p], cams[c], 1700000000000000ll);
			ck_assert_int_eq(g.n, 1);
			ck_assert_str_eq(g.entry_id, want_entry);
			recipe_hit_id(want_entry, "national", cams[c], plates[p],
				      1700000000000000ll, want_hit);
			ck_assert_str_eq(g.hit_id, want_hit);
		}
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(attrs_put_replace)
{
	struct hotlist *hl = hl_test_engine();
	const struct hotlist_attr a[] = { { "make", "Volkswagen" },
					  { "colour", "blue" },
					  { "note", "" } };
	struct hotlist_entry e[2] = {
		{ .plate = "AB12CD", .country = "NL", .attrs = a, .n_attrs = 3 },
		{ .plate = "EF34GH", .country = "NL" },
	};
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 2, NULL), 0);
	struct got g = match1(hl, "AB12CD", NULL, 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.n_attrs, 2); /* the empty note is not kept */
	ck_assert_str_eq(attr(&g, "make"), "Volkswagen");
	ck_assert_str_eq(attr(&g, "colour"), "blue");
	g = match1(hl, "EF34GH", NULL, 0);
	ck_assert_uint_eq(g.n_attrs, 0);
	ck_assert(g.attrs_null);
	/* put updates the details of the same plate, country and category */
	const struct hotlist_attr b[] = { { "make", "Audi" } };
	struct hotlist_entry u = { .plate = "AB12CD", .country = "NL", .attrs = b, .n_attrs = 1 };
	ck_assert_int_eq(hotlist_put(hl, "l", &u), 0);
	g = match1(hl, "AB12CD", NULL, 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.n_attrs, 1);
	ck_assert_str_eq(attr(&g, "make"), "Audi");
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Edits folded into a new base keep their details and ids. */
START_TEST(attrs_survive_fold)
{
	struct hotlist *hl = hl_test_engine();
	hotlist__snap_set_edits_fold(&hl->snap, 4);
	char plate[16], val[16], id[16];
	for (int i = 0; i < 40; i++) {
		snprintf(plate, sizeof(plate), "AA%04d", i);
		snprintf(val, sizeof(val), "v%d", i);
		snprintf(id, sizeof(id), "id-%d", i);
		const struct hotlist_attr a[] = { { "model", val }, { "VIN", "WVW" } };
		struct hotlist_entry e = {
			.plate = plate, .id = id, .attrs = a, .n_attrs = i % 3 ? 2 : 0
		};
		ck_assert_int_eq(hotlist_put(hl, "l", &e), 0);
	}
	for (int i = 0; i < 40; i++) {
		snprintf(plate, sizeof(plate), "AA%04d", i);
		snprintf(val, sizeof(val), "v%d", i);
		snprintf(id, sizeof(id), "id-%d", i);
		struct got g = match1(hl, plate, NULL, 0);
		CHECK(g.n == 1, "%s: %d hits", plate, g.n);
		CHECK(strcmp(g.entry_id, id) == 0, "%s: id %s", plate, g.entry_id);
		CHECK(g.n_attrs == (i % 3 ? 2u : 0u), "%s: %u attrs", plate, g.n_attrs);
		if (i % 3)
			CHECK(strcmp(attr(&g, "model"), val) == 0 &&
				      strcmp(attr(&g, "VIN"), "WVW") == 0,
			      "%s: details", plate);
	}
	hotlist_destroy(hl, NULL);
}
END_TEST

/* Rows that differ only in details are two entries; identical rows merge. */
START_TEST(attrs_duplicates)
{
	struct hotlist *hl = hl_test_engine();
	const struct hotlist_attr a[] = { { "colour", "blue" } }, b[] = { { "colour", "red" } };
	struct hotlist_entry e[3] = {
		{ .plate = "AB12CD", .attrs = a, .n_attrs = 1 },
		{ .plate = "AB12CD", .attrs = a, .n_attrs = 1 },
		{ .plate = "AB12CD", .attrs = b, .n_attrs = 1 },
	};
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_replace(hl, "l", e, 3, &rep), 0);
	ck_assert_uint_eq(rep.duplicates, 1);
	ck_assert_uint_eq(rep.loaded, 2);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(attrs_refused)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_attr many[HOTLIST_ATTRS_MAX + 1];
	for (int i = 0; i <= HOTLIST_ATTRS_MAX; i++)
		many[i] = (struct hotlist_attr){ "n", "v" };
	const struct hotlist_attr twice[] = { { "make", "a" }, { "make", "b" } };
	const struct hotlist_attr noname[] = { { "", "a" } };
	const struct hotlist_attr badutf[] = { { "make", "\xff" } };
	char longid[HOTLIST_ID_MAX + 2];
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	struct hotlist_entry e = { .plate = "AB12CD",
				   .attrs = many,
				   .n_attrs = HOTLIST_ATTRS_MAX + 1 };
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EINVAL);
	e.attrs = twice, e.n_attrs = 2;
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EINVAL);
	e.attrs = noname, e.n_attrs = 1;
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EINVAL);
	e.attrs = badutf;
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EINVAL);
	e.attrs = NULL;
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EINVAL);
	e.n_attrs = 0;
	e.id = longid;
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EINVAL);
	e.attrs = many, e.n_attrs = HOTLIST_ATTRS_MAX, e.id = "ok";
	ck_assert_int_eq(hotlist_put(hl, "l", &e), HOTLIST_EINVAL); /* names repeat */
	hotlist_destroy(hl, NULL);
}
END_TEST

static char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/hl_op_XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* A list file's columns that are none of ours become details, with the
 * header's names; a long or non-UTF-8 value never costs the row. */
START_TEST(attrs_from_csv)
{
	char text[2048];
	char note[400];
	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "ID,Plate,Country,Make,Colour,Warning Markers,Note\n"
		 "r1,AB12CD,NL,Volkswagen,grün,,%s\n"
		 "r2,EF34GH,NL,,,,\n"
		 ",GH56JK,NL,Bad\xff"
		 "byte,,armed,\n",
		 note);
	char *path = write_tmp(text);
	struct hotlist *hl = hl_test_engine();
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	ck_assert_int_eq(hotlist_load_csv(hl, "l", path, &rep), 0);
	unlink(path);
	ck_assert_uint_eq(rep.loaded, 3);
	ck_assert_uint_eq(rep.rejected, 0);
	struct got g = match1(hl, "AB12CD", NULL, 0);
	ck_assert_str_eq(g.entry_id, "r1");
	ck_assert_uint_eq(g.n_attrs, 3);
	ck_assert_str_eq(attr(&g, "Make"), "Volkswagen");
	ck_assert_str_eq(attr(&g, "Colour"), "grün");
	ck_assert_uint_eq(strlen(attr(&g, "Note")), 256); /* cut, kept */
	g = match1(hl, "EF34GH", NULL, 0);
	ck_assert_str_eq(g.entry_id, "r2");
	ck_assert_uint_eq(g.n_attrs, 0);
	g = match1(hl, "GH56JK", NULL, 0);
	ck_assert_uint_eq(strlen(g.entry_id), HOTLIST_HIT_ID_LEN);
	ck_assert_str_eq(attr(&g, "Make"), "Bad?byte");
	ck_assert_str_eq(attr(&g, "Warning Markers"), "armed");
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- audit ---- */

#define MAX_EV 16
struct audit_log {
	int n;
	struct hotlist_audit_event ev[MAX_EV];
	char list[MAX_EV][HOTLIST_NAME_MAX + 1];
	char reason[MAX_EV][160];
	int has_source[MAX_EV];
};

static void on_audit(const struct hotlist_audit_event *ev, void *user)
{
	struct audit_log *a = user;
	if (a->n == MAX_EV)
		return;
	a->ev[a->n] = *ev;
	snprintf(a->list[a->n], sizeof(a->list[0]), "%s", ev->list);
	snprintf(a->reason[a->n], sizeof(a->reason[0]), "%s", ev->reason);
	a->has_source[a->n] = ev->source != NULL;
	a->n++;
}

START_TEST(audit_trail)
{
	struct audit_log log;
	memset(&log, 0, sizeof(log));
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.on_audit = on_audit;
	cfg.on_audit_user = &log;
	struct hotlist *hl = NULL;
	ck_assert_int_eq(hotlist_create(&hl, &cfg), 0);

	char *path = write_tmp("plate,country\nAB12CD,NL\nAB12CD,NL\nEF34GH,NL\n");
	ck_assert_int_eq(hotlist_load_csv(hl, "national", path, NULL), 0);
	/* a broken export: refused, the live list (version 1) kept */
	FILE *f = fopen(path, "w");
	fputs("plate,country\nAB12CD,XX\nEF34GH,NL\n", f);
	fclose(f);
	ck_assert_int_eq(hotlist_load_csv(hl, "national", path, NULL), HOTLIST_EBADROWS);
	unlink(path);
	struct hotlist_entry e = { .plate = "ZZ99ZZ" };
	ck_assert_int_eq(hotlist_put(hl, "national", &e), 0);
	ck_assert_int_eq(hotlist_remove(hl, "national", "ZZ99ZZ", NULL), 1);
	ck_assert_int_eq(hotlist_replace(hl, "local", &e, 1, NULL), 0);
	ck_assert_int_eq(hotlist_drop_list(hl, "local"), 0);
	ck_assert_int_eq(hotlist_put(hl, "", &e), HOTLIST_EINVAL); /* caller's bug: not audited */

	ck_assert_int_eq(log.n, 6);
	ck_assert_int_eq(log.ev[0].action, HOTLIST_AUDIT_LOAD);
	ck_assert_str_eq(log.list[0], "national");
	ck_assert(log.has_source[0]);
	ck_assert_int_eq(log.ev[0].result, 0);
	ck_assert_uint_eq(log.ev[0].version, 1);
	ck_assert_uint_eq(log.ev[0].rows, 3);
	ck_assert_uint_eq(log.ev[0].loaded, 2);
	ck_assert_uint_eq(log.ev[0].duplicates, 1);
	ck_assert_int_ge(log.ev[0].duration_us, 0);
	ck_assert_int_gt(log.ev[0].time_us, 0);
	ck_assert_str_eq(log.reason[0], "");

	ck_assert_int_eq(log.ev[1].action, HOTLIST_AUDIT_LOAD);
	ck_assert_int_eq(log.ev[1].result, HOTLIST_EBADROWS);
	ck_assert_uint_eq(log.ev[1].version, 1); /* the live one kept */
	ck_assert_uint_eq(log.ev[1].rejected, 1);
	ck_assert_ptr_nonnull(strstr(log.reason[1], "line 2"));
	ck_assert_ptr_nonnull(strstr(log.reason[1], "country"));

	ck_assert_int_eq(log.ev[2].action, HOTLIST_AUDIT_PUT);
	ck_assert_uint_eq(log.ev[2].loaded, 1);
	ck_assert_uint_gt(log.ev[2].version, 1);
	ck_assert(!log.has_source[2]);
	ck_assert_int_eq(log.ev[3].action, HOTLIST_AUDIT_REMOVE);
	ck_assert_uint_eq(log.ev[3].rows, 1);
	ck_assert_int_eq(log.ev[4].action, HOTLIST_AUDIT_REPLACE);
	ck_assert_str_eq(log.list[4], "local");
	ck_assert_uint_eq(log.ev[4].loaded, 1);
	ck_assert_int_eq(log.ev[5].action, HOTLIST_AUDIT_DROP);
	ck_assert_uint_eq(log.ev[5].version, 0);
	hotlist_destroy(hl, NULL);
}
END_TEST

/* ---- scopes ---- */

static int hits_at(struct hotlist *hl, const char *camera, int64_t ts)
{
	int n = 0;
	struct hotlist_read r = {
		.plate = "AB12CD", .country = "NL", .camera = camera, .ts_us = ts
	};
	hotlist_match(hl, &r, hl_test_count_hit, &n);
	int nb = 0;
	hotlist_match_batch(hl, &r, 1, hl_test_count_hit, &nb);
	CHECK(n == nb, "batch %d, single %d", nb, n);
	return n;
}

/* 2026-01-05 was a Monday; 00:00 UTC that day, in microseconds. */
#define MON0 (INT64_C(1767571200) * 1000000)
#define HOUR (INT64_C(3600) * 1000000)

START_TEST(scope_cameras)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e = { .plate = "AB12CD", .country = "NL" };
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.cameras = "A12-*, cam-0?";
	ck_assert_int_eq(hotlist_set_list_options(hl, "site", &o), 0);
	ck_assert_int_eq(hotlist_replace(hl, "site", &e, 1, NULL), 0);
	ck_assert_int_eq(hotlist_replace(hl, "all", &e, 1, NULL), 0);
	ck_assert_int_eq(hits_at(hl, "A12-km31", MON0), 2);
	ck_assert_int_eq(hits_at(hl, "A12-", MON0), 2);
	ck_assert_int_eq(hits_at(hl, "cam-07", MON0), 2);
	ck_assert_int_eq(hits_at(hl, "cam-070", MON0), 1);
	ck_assert_int_eq(hits_at(hl, "a12-km31", MON0), 1); /* case-sensitive */
	ck_assert_int_eq(hits_at(hl, "B12-x", MON0), 1);
	ck_assert_int_eq(hits_at(hl, NULL, MON0), 1); /* no camera: out of scope */
	/* again, from the verdict cache */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(hits_at(hl, "A12-km31", MON0), 2);
		ck_assert_int_eq(hits_at(hl, "B12-x", MON0), 1);
	}
	/* kept across a replace and a put */
	ck_assert_int_eq(hotlist_replace(hl, "site", &e, 1, NULL), 0);
	struct hotlist_entry e2 = { .plate = "ZZ99ZZ" };
	ck_assert_int_eq(hotlist_put(hl, "site", &e2), 0);
	ck_assert_int_eq(hits_at(hl, "B12-x", MON0), 1);
	ck_assert_int_eq(hits_at(hl, "A12-1", MON0), 2);
	/* options without a scope lift it */
	hotlist_list_options_init(&o);
	ck_assert_int_eq(hotlist_set_list_options(hl, "site", &o), 0);
	ck_assert_int_eq(hits_at(hl, "B12-x", MON0), 2);
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(scope_hours)
{
	struct hotlist *hl = hl_test_engine();
	struct hotlist_entry e = { .plate = "AB12CD" };
	struct hotlist_list_options o;
	hotlist_list_options_init(&o);
	o.days = "mon-fri";
	o.hours = "7-19";
	o.timezone = "+01:00";
	ck_assert_int_eq(hotlist_set_list_options(hl, "day", &o), 0);
	ck_assert_int_eq(hotlist_replace(hl, "day", &e, 1, NULL), 0);
	/* Monday 06:00 UTC = 07:00 local: in; 05:59 UTC: out */
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 6 * HOUR), 1);
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 6 * HOUR - 1), 0);
	/* 17:59:59 UTC = 18:59:59 local: in; 18:00 UTC = 19:00 local: out */
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 18 * HOUR - 1), 1);
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 18 * HOUR), 0);
	/* Friday noon in, Saturday noon out, Sunday 23:30 UTC = Monday 00:30 local: out */
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 4 * 24 * HOUR + 11 * HOUR), 1);
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 5 * 24 * HOUR + 11 * HOUR), 0);
	ck_assert_int_eq(hits_at(hl, "c", MON0 - HOUR / 2), 0);
	/* a night list wrapping midnight, every day */
	hotlist_list_options_init(&o);
	o.hours = "22-6";
	ck_assert_int_eq(hotlist_set_list_options(hl, "day", &o), 0);
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 23 * HOUR), 1);
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 5 * HOUR), 1);
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 6 * HOUR), 0);
	ck_assert_int_eq(hits_at(hl, "c", MON0 + 21 * HOUR), 0);
	/* before 1970: negative times still give the right weekday and hour */
	ck_assert_int_eq(hits_at(hl, "c", -HOUR), 1); /* 1969-12-31 23:00 */
	hotlist_destroy(hl, NULL);
}
END_TEST

START_TEST(scope_refused)
{
	struct hotlist *hl = hl_test_engine();
	static const char *const bad_cam[] = { "", ",", "a,,b",
					       "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q" };
	static const char *const bad_days[] = { "monday", "mon-", "xyz", "," };
	static const char *const bad_hours[] = { "25", "7-", "a-b", "7-25", "-" };
	static const char *const bad_tz[] = { "Nowhere/Atlantis", "+1:0", "+15:00", "01:00" };
	struct hotlist_list_options o;
	for (size_t i = 0; i < sizeof(bad_cam) / sizeof(*bad_cam); i++) {
		hotlist_list_options_init(&o);
		o.cameras = bad_cam[i];
		if (bad_cam[i][0])
			CHECK(hotlist_set_list_options(hl, "l", &o) == HOTLIST_EINVAL, "%s",
			      bad_cam[i]);
	}
	for (size_t i = 0; i < sizeof(bad_days) / sizeof(*bad_days); i++) {
		hotlist_list_options_init(&o);
		o.days = bad_days[i];
		CHECK(hotlist_set_list_options(hl, "l", &o) == HOTLIST_EINVAL, "%s", bad_days[i]);
	}
	for (size_t i = 0; i < sizeof(bad_hours) / sizeof(*bad_hours); i++) {
		hotlist_list_options_init(&o);
		o.hours = bad_hours[i];
		CHECK(hotlist_set_list_options(hl, "l", &o) == HOTLIST_EINVAL, "%s", bad_hours[i]);
	}
	for (size_t i = 0; i < sizeof(bad_tz) / sizeof(*bad_tz); i++) {
		hotlist_list_options_init(&o);
		o.hours = "1-2";
		o.timezone = bad_tz[i];
		CHECK(hotlist_set_list_options(hl, "l", &o) == HOTLIST_EINVAL, "%s", bad_tz[i]);
	}
	ck_assert_int_eq(
		hotlist_list_info(hl, 0,
				  &(struct hotlist_list_info){
					  .struct_size = sizeof(struct hotlist_list_info) }),
		HOTLIST_ENOENT);
	hotlist_destroy(hl, NULL);
}
END_TEST

static Suite *operator_suite(void)
{
	Suite *s = suite_create("operator");
	TCase *t = tcase_create("ids_attrs_audit");
	tcase_add_test(t, entry_ids);
	tcase_add_test(t, ids_short_and_long_inputs);
	tcase_add_test(t, attrs_put_replace);
	tcase_add_test(t, attrs_survive_fold);
	tcase_add_test(t, attrs_duplicates);
	tcase_add_test(t, attrs_refused);
	tcase_add_test(t, attrs_from_csv);
	tcase_add_test(t, audit_trail);
	tcase_add_test(t, scope_cameras);
	tcase_add_test(t, scope_hours);
	tcase_add_test(t, scope_refused);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return hl_test_run(operator_suite());
}
