/* SPDX-License-Identifier: MIT */
/* `hotlist edit`: publish one put or remove on hl.edit.<list> (docs/cluster.md). */
#include "cluster.h"
#include "cluster_cmds.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char edit_usage[] =
	"usage: hotlist edit --list NAME [--nats URLS] put PLATE [--country C]\n"
	"                    [--category C] [--reference R] [--priority P]\n"
	"                    [--valid-from US] [--expires US] [--covert]\n"
	"       hotlist edit --list NAME [--nats URLS] remove PLATE [--country C]\n"
	"\n"
	"Publish one edit; every node applies it in stream order. Prints the edit's\n"
	"stream sequence once the server has stored it.\n";

struct edit {
	const char *nats, *list, *op, *plate, *country, *category, *reference;
	long long priority, valid_from, expires;
	bool covert;
};

static int edit_parse(int argc, char **argv, struct edit *e)
{
	enum { O_VF = 256, O_EXP, O_COVERT };
	static const struct option opts[] = {
		{ "list", required_argument, NULL, 'l' },
		{ "nats", required_argument, NULL, 'N' },
		{ "country", required_argument, NULL, 'c' },
		{ "category", required_argument, NULL, 'C' },
		{ "reference", required_argument, NULL, 'r' },
		{ "priority", required_argument, NULL, 'p' },
		{ "valid-from", required_argument, NULL, O_VF },
		{ "expires", required_argument, NULL, O_EXP },
		{ "covert", no_argument, NULL, O_COVERT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0; /* 0: GNU getopt starts afresh (main parsed with "+") */
	while ((c = getopt_long(argc, argv, "l:N:c:C:r:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			e->list = optarg;
			break;
		case 'N':
			e->nats = optarg;
			break;
		case 'c':
			e->country = optarg;
			break;
		case 'C':
			e->category = optarg;
			break;
		case 'r':
			e->reference = optarg;
			break;
		case 'p':
			e->priority = atoll(optarg);
			break;
		case O_VF:
			e->valid_from = atoll(optarg);
			break;
		case O_EXP:
			e->expires = atoll(optarg);
			break;
		case O_COVERT:
			e->covert = true;
			break;
		case 'h':
			fputs(edit_usage, stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc - 2 || !e->list || !hl_cluster_token_ok(e->list))
		return -1;
	e->op = argv[optind];
	e->plate = argv[optind + 1];
	if (strcmp(e->op, "put") && strcmp(e->op, "remove"))
		return -1;
	return e->priority < 0 || e->priority > HOTLIST_PRIORITY_MAX ? -1 : 0;
}

/* Refuse locally what every node would refuse. */
static int edit_valid(const struct edit *e)
{
	char plate[HOTLIST_PLATE_MAX + 1], country[3];

	if (!strpbrk(e->plate, "?*") && hotlist_normalise_plate(e->plate, plate) < 0) {
		fprintf(stderr, "hotlist edit: '%s': %s\n", e->plate,
			hotlist_strerror(HOTLIST_EPLATE));
		return -1;
	}
	if (hotlist_normalise_country(e->country, country) < 0) {
		fprintf(stderr, "hotlist edit: '%s': %s\n", e->country,
			hotlist_strerror(HOTLIST_ECOUNTRY));
		return -1;
	}
	return 0;
}

static char *edit_body(const struct edit *e)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "op", json_string(e->op));
	json_object_set_new(o, "plate", json_string(e->plate));
	if (e->country)
		json_object_set_new(o, "country", json_string(e->country));
	if (!strcmp(e->op, "put")) {
		json_object_set_new(o, "category", json_string(e->category ? e->category : ""));
		json_object_set_new(o, "reference", json_string(e->reference ? e->reference : ""));
		json_object_set_new(o, "priority", json_integer(e->priority));
		json_object_set_new(o, "valid_from_us", json_integer(e->valid_from));
		json_object_set_new(o, "expires_us", json_integer(e->expires));
		json_object_set_new(o, "covert", json_boolean(e->covert));
	}
	json_object_set_new(o, "ts_us", json_integer(hl_cluster_now_us()));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int hl_cmd_edit(int argc, char **argv)
{
	struct edit e = { 0 };
	struct hl_cluster_limits lim;
	struct hl_cluster c;
	char subject[128], *body;
	jsPubAck *pa = NULL;
	jsErrCode err = 0;
	natsStatus s;
	int rc = edit_parse(argc, argv, &e);

	if (rc) {
		fputs(edit_usage, rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	if (edit_valid(&e))
		return 2;
	hl_cluster_limits_init(&lim);
	lim.reads = false; /* made by nodes and producers, with their options */
	if (hl_cluster_open(&c, e.nats, &lim)) {
		hl_cluster_close(&c);
		return 1;
	}
	snprintf(subject, sizeof(subject), "%s.%s", HL_SUBJ_EDIT, e.list);
	body = edit_body(&e);
	s = body ? js_Publish(&pa, c.js, subject, body, (int)strlen(body), NULL, &err) :
		   NATS_NO_MEMORY;
	if (s == NATS_OK)
		printf("edit %s %s on list %s: sequence %" PRIu64 "\n", e.op, e.plate, e.list,
		       pa->Sequence);
	else
		fprintf(stderr, "hotlist edit: not stored: %s\n", natsStatus_GetText(s));
	jsPubAck_Destroy(pa);
	free(body);
	hl_cluster_close(&c);
	return s == NATS_OK ? 0 : 1;
}
