/* SPDX-License-Identifier: MIT */
/*
 * `hotlist publish`: check a hot-list file locally, upload it as one version
 * (chunks on hl.blob.<list>.<version>), then make it current by writing its
 * manifest to KV HL_LISTS with compare-and-swap (docs/cluster.md).
 */
#include "cluster.h"
#include "cluster_cmds.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Blob versions kept per list: as many as manifests in KV (history 8), so
 * that a node can fall back to any version whose manifest it can read. */
#define BLOBS_KEPT 8

static const char publish_usage[] =
	"usage: hotlist publish --list NAME [LIST OPTIONS] [--nats URLS] [--wait]\n"
	"                       [--timeout S] [--max-bad F] FILE\n"
	"\n"
	"Check FILE as `hotlist check` would (a file it refuses is not published),\n"
	"upload it as the next version of list NAME and make that version current.\n"
	"Every edit published before this version is superseded by it.\n"
	"--wait returns once every live node has applied or refused the version,\n"
	"with each node's time; exit status 3 if a node refused it, 4 on timeout.\n"
	"\n"
	"List options (as `hotlist match`): --ocr K, --indel D, --ocr-classes C,\n"
	"--cross-border, --no-repair.\n"
	"  -t, --timeout S   longest --wait (default 120)\n"
	"  --zstd LEVEL      compression level of the upload, 1-19 (default 1);\n"
	"                    0 uploads the plain file\n"
	"Test options (to prove that nodes refuse bad versions):\n"
	"  --no-check, --test-drop-chunk N, --test-corrupt-chunk N,\n"
	"  --test-raw-size N (the manifest claims N bytes decompressed)\n";

struct pub {
	const char *nats, *list, *path, *classes;
	bool wait, no_check, has_opts, cross, norepair;
	int ocr, indel, zstd;
	long long test_raw_size; /* -1: the true size */
	double timeout_s, max_bad;
	struct hl_blob_damage dmg;
};

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		return -1;
	do {
		if (cap - n < 65536) {
			char *g = realloc(buf, cap = cap ? 2 * cap : 1 << 20);

			if (!g) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = g;
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
	} while (k > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

static json_t *options_json(const struct pub *p)
{
	json_t *o;

	if (!p->has_opts)
		return json_null();
	o = json_object();
	json_object_set_new(o, "ocr", json_integer(p->ocr));
	json_object_set_new(o, "indel", json_integer(p->indel));
	json_object_set_new(o, "ocr_classes", p->classes ? json_string(p->classes) : json_null());
	json_object_set_new(o, "cross_border", json_boolean(p->cross));
	json_object_set_new(o, "repair", json_boolean(!p->norepair));
	return o;
}

/* The current manifest's version and KV revision (0, 0 when none). */
static int current(struct hl_cluster *c, const char *list, uint64_t *version, uint64_t *rev)
{
	kvEntry *e = NULL;
	natsStatus s = kvStore_Get(&e, c->lists, list);
	json_t *o;

	*version = *rev = 0;
	if (s == NATS_NOT_FOUND)
		return 0;
	if (s != NATS_OK) {
		fprintf(stderr, "hotlist publish: manifest: %s\n", natsStatus_GetText(s));
		return -1;
	}
	*rev = kvEntry_Revision(e);
	o = json_loadb(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), 0, NULL);
	*version = o ? (uint64_t)json_integer_value(json_object_get(o, "version")) : 0;
	json_decref(o);
	kvEntry_Destroy(e);
	return 0;
}

static void purge_blob(struct hl_cluster *c, const char *list, uint64_t version)
{
	char subject[128];
	jsOptions jo;

	snprintf(subject, sizeof(subject), "%s.%s.%" PRIu64, HL_SUBJ_BLOB, list, version);
	jsOptions_Init(&jo);
	jo.Stream.Purge.Subject = subject;
	js_PurgeStream(c->js, HL_STREAM_BLOBS, &jo, NULL);
}

/* Write the manifest with compare-and-swap on the revision read before. */
static int put_manifest(struct hl_cluster *c, const struct pub *p, uint64_t version, uint64_t rev,
			const char *subject, const char *upload, uint64_t first_seq,
			unsigned chunks, size_t size, size_t raw_size, const char *digest)
{
	json_t *o = json_object();
	uint64_t edit_seq = 0;
	char *text;
	natsStatus s;

	if (hl_cluster_stream_last(c, HL_STREAM_EDITS, &edit_seq))
		return -1;
	json_object_set_new(o, "list", json_string(p->list));
	json_object_set_new(o, "version", json_integer((json_int_t)version));
	json_object_set_new(o, "subject", json_string(subject));
	json_object_set_new(o, "upload", json_string(upload));
	json_object_set_new(o, "first_seq", json_integer((json_int_t)first_seq));
	json_object_set_new(o, "chunks", json_integer(chunks));
	json_object_set_new(o, "size", json_integer((json_int_t)size));
	if (p->zstd > 0) { /* plain: no encoding, as manifests before compression */
		json_object_set_new(o, "encoding", json_string("zstd"));
		json_object_set_new(o, "raw_size", json_integer((json_int_t)raw_size));
	}
	json_object_set_new(o, "digest", json_string(digest));
	json_object_set_new(o, "digest_alg", json_string("XXH3-128"));
	json_object_set_new(o, "options", options_json(p));
	json_object_set_new(o, "edit_seq", json_integer((json_int_t)edit_seq));
	/* The manifest this one replaces: a starting node that refuses this
	 * version falls back to that one, as running nodes keep it. */
	json_object_set_new(o, "prev_revision", json_integer((json_int_t)rev));
	json_object_set_new(o, "published_us", json_integer(hl_cluster_now_us()));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return -1;
	s = rev ? kvStore_UpdateString(NULL, c->lists, p->list, text, rev) :
		  kvStore_CreateString(NULL, c->lists, p->list, text);
	free(text);
	if (s != NATS_OK) {
		fprintf(stderr,
			"hotlist publish: list %s: manifest not written (%s): another publish "
			"of this list raced this one; nothing changed, publish again\n",
			p->list, natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

/* One node's answer for version v of list: 1 applied, -1 refused, 0 not yet. */
static int node_answer(json_t *node, const char *list, uint64_t v, int64_t *at_us, const char **why)
{
	json_t *l = json_object_get(json_object_get(node, "lists"), list);

	if ((uint64_t)json_integer_value(json_object_get(l, "applied")) >= v) {
		*at_us = json_integer_value(json_object_get(l, "applied_us"));
		return 1;
	}
	if ((uint64_t)json_integer_value(json_object_get(l, "refused")) == v) {
		*at_us = json_integer_value(json_object_get(l, "refused_us"));
		*why = json_string_value(json_object_get(l, "refused_why"));
		return -1;
	}
	return 0;
}

static bool live(json_t *node)
{
	return !json_is_true(json_object_get(node, "stopped")) &&
	       hl_cluster_now_us() - json_integer_value(json_object_get(node, "updated_us")) <
		       HL_NODE_LIVE_US;
}

/* Wait for every live node; print each. 0 all applied, 3 a refusal, 4 timeout. */
static int wait_nodes(struct hl_cluster *c, const struct pub *p, uint64_t v, int64_t t0)
{
	int64_t deadline = t0 + (int64_t)(p->timeout_s * 1e6);

	for (;;) {
		json_t *all = hl_cluster_kv_all(c, c->nodes), *node;
		const char *name;
		int waiting = 0, refused = 0, applied = 0;

		if (!all && hl_cluster_now_us() < deadline) {
			usleep(200 * 1000); /* KV leader election: ask again */
			continue;
		}

		json_object_foreach(all, name, node)
		{
			int64_t at = 0;
			const char *why = "";
			int a;

			if (!live(node))
				continue;
			a = node_answer(node, p->list, v, &at, &why);
			waiting += a == 0;
			refused += a < 0;
			applied += a > 0;
		}
		if (!waiting || hl_cluster_now_us() > deadline) {
			json_object_foreach(all, name, node)
			{
				int64_t at = 0;
				const char *why = "";
				int a = live(node) ? node_answer(node, p->list, v, &at, &why) : 2;

				if (a == 1)
					printf("node %s: applied version %" PRIu64 " in %.1f ms\n",
					       name, v, (double)(at - t0) / 1e3);
				else if (a == -1)
					printf("node %s: REFUSED version %" PRIu64 ": %s\n", name,
					       v, why ? why : "");
				else if (a == 0)
					printf("node %s: no answer yet\n", name);
			}
			json_decref(all);
			if (!applied && !refused && !waiting)
				printf("no live node\n");
			return refused ? 3 : waiting ? 4 : 0;
		}
		json_decref(all);
		usleep(50 * 1000);
	}
}

static int publish(const struct pub *p)
{
	struct hl_cluster_limits lim;
	struct hl_cluster c;
	char *data = NULL, digest[HL_ID_HEX], upload[HL_ID_HEX], subject[128], seed[64];
	size_t len = 0, stored = 0;
	uint64_t version, rev, first_seq = 0;
	unsigned chunks = 0;
	int64_t t0;
	int rc = 1;

	if (read_file(p->path, &data, &len)) {
		perror(p->path);
		return 2;
	}
	hl_cluster_digest(data, len, digest);
	hl_cluster_limits_init(&lim);
	lim.reads = false; /* made by nodes and producers, with their options */
	if (hl_cluster_open(&c, p->nats, &lim) || current(&c, p->list, &version, &rev))
		goto out;
	version++;
	snprintf(seed, sizeof(seed), "%d-%" PRId64, (int)getpid(), hl_cluster_now_us());
	hl_cluster_digest(seed, strlen(seed), upload);
	snprintf(subject, sizeof(subject), "%s.%s.%" PRIu64, HL_SUBJ_BLOB, p->list, version);
	purge_blob(&c, p->list, version); /* leftovers of a publish that failed */
	if (hl_blob_upload(&c, subject, upload, data, len, p->zstd, &p->dmg, &first_seq, &chunks,
			   &stored))
		goto out;
	t0 = hl_cluster_now_us();
	if (put_manifest(&c, p, version, rev, subject, upload, first_seq, chunks, stored,
			 p->test_raw_size >= 0 ? (size_t)p->test_raw_size : len, digest))
		goto out;
	if (version > BLOBS_KEPT)
		purge_blob(&c, p->list, version - BLOBS_KEPT);
	printf("published list %s version %" PRIu64 " (%zu bytes, %s%zu bytes in %u chunks)\n",
	       p->list, version, len, p->zstd > 0 ? "zstd " : "", stored, chunks);
	fflush(stdout);
	rc = p->wait ? wait_nodes(&c, p, version, t0) : 0;
out:
	hl_cluster_close(&c);
	free(data);
	return rc;
}

static int check(const struct pub *p)
{
	struct hotlist_load_report r = { .struct_size = sizeof(r) };
	int rc = hotlist_check_csv(p->path, p->max_bad, &r, NULL, NULL);

	if (rc) {
		fprintf(stderr,
			"hotlist publish: %s: %s (%" PRIu64 " rows, %" PRIu64
			" bad); not published\n",
			p->path, hotlist_strerror(rc), r.rows, r.rejected);
		return -1;
	}
	return 0;
}

int hl_cmd_publish(int argc, char **argv)
{
	enum {
		O_OCR = 256,
		O_INDEL,
		O_CLASSES,
		O_CROSS,
		O_NOREPAIR,
		O_NOCHECK,
		O_DROP,
		O_CORRUPT,
		O_ZSTD,
		O_RAWSIZE,
		O_BAD
	};
	static const struct option opts[] = {
		{ "list", required_argument, NULL, 'l' },
		{ "nats", required_argument, NULL, 'N' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "ocr", required_argument, NULL, O_OCR },
		{ "indel", required_argument, NULL, O_INDEL },
		{ "ocr-classes", required_argument, NULL, O_CLASSES },
		{ "cross-border", no_argument, NULL, O_CROSS },
		{ "no-repair", no_argument, NULL, O_NOREPAIR },
		{ "max-bad", required_argument, NULL, O_BAD },
		{ "no-check", no_argument, NULL, O_NOCHECK },
		{ "test-drop-chunk", required_argument, NULL, O_DROP },
		{ "test-corrupt-chunk", required_argument, NULL, O_CORRUPT },
		{ "zstd", required_argument, NULL, O_ZSTD },
		{ "test-raw-size", required_argument, NULL, O_RAWSIZE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pub p = { .timeout_s = 120,
			 .max_bad = 0.01,
			 .dmg = { -1, -1 },
			 .zstd = HL_BLOB_ZSTD_LEVEL,
			 .test_raw_size = -1 };
	int c;

	optind = 0; /* 0: GNU getopt starts afresh (main parsed with "+") */
	while ((c = getopt_long(argc, argv, "l:N:wt:h", opts, NULL)) != -1) {
		p.has_opts |= c >= O_OCR && c <= O_NOREPAIR;
		switch (c) {
		case 'l':
			p.list = optarg;
			break;
		case 'N':
			p.nats = optarg;
			break;
		case 'w':
			p.wait = true;
			break;
		case 't':
			p.timeout_s = atof(optarg);
			break;
		case O_OCR:
			p.ocr = atoi(optarg);
			break;
		case O_INDEL:
			p.indel = atoi(optarg);
			break;
		case O_CLASSES:
			p.classes = optarg;
			break;
		case O_CROSS:
			p.cross = true;
			break;
		case O_NOREPAIR:
			p.norepair = true;
			break;
		case O_BAD:
			p.max_bad = atof(optarg);
			break;
		case O_NOCHECK:
			p.no_check = true;
			break;
		case O_DROP:
			p.dmg.drop_chunk = atoi(optarg);
			break;
		case O_CORRUPT:
			p.dmg.corrupt_chunk = atoi(optarg);
			break;
		case O_ZSTD:
			p.zstd = atoi(optarg);
			break;
		case O_RAWSIZE:
			p.test_raw_size = atoll(optarg);
			break;
		case 'h':
			fputs(publish_usage, stdout);
			return 0;
		default:
			fputs(publish_usage, stderr);
			return 2;
		}
	}
	if (!p.list || !hl_cluster_token_ok(p.list) || strlen(p.list) > HOTLIST_NAME_MAX ||
	    optind != argc - 1 || p.zstd < 0 || p.zstd > 19 || p.ocr < 0 || p.ocr > 2 ||
	    p.indel < 0 || p.indel > 2) {
		fputs(publish_usage, stderr);
		return 2;
	}
	p.path = argv[optind];
	if (!p.no_check && check(&p))
		return 2;
	return publish(&p);
}
