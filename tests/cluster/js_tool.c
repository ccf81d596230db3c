/* SPDX-License-Identifier: MIT */
/*
 * js_tool: the few JetStream admin steps the camera and leaf-node tests need
 * (Debian ships no `nats` command-line tool). Not installed.
 *
 *   js_tool URL [--domain D] add NAME SUBJECT[,SUBJECT...] [--memory]
 *                 [--max-msgs N] [--source NAME:APIPREFIX:FILTER]... [--mirror NAME:APIPREFIX]
 *   js_tool URL [--domain D] dump NAME      one JSON line per message:
 *                 {"seq":N,"subject":S,"msg_id":S|null,"headers":{..},"data":<JSON or string>}
 *   js_tool URL [--domain D] count NAME     messages in the stream
 *   js_tool URL [--domain D] pub SUBJECT DATA [MSG_ID]
 *                 publish and wait for the ack: prints "seq N" or "duplicate N"
 *
 * An empty APIPREFIX in --source/--mirror means the local domain; an empty
 * FILTER none. Exit status 0, or 1 with the NATS error on stderr.
 */
#include <jansson.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SOURCES 8
#define WAIT_MS 5000

struct tool {
	natsConnection *nc;
	jsCtx *js;
};

static int fail(const char *what, natsStatus s, jsErrCode jerr)
{
	fprintf(stderr, "js_tool: %s: %s (jetstream error %d)\n", what, natsStatus_GetText(s),
		(int)jerr);
	nats_PrintLastErrorStack(stderr);
	return 1;
}

/* "NAME:APIPREFIX:FILTER" into a source; the strings point into spec. */
static void parse_source(char *spec, jsStreamSource *src, jsExternalStream *ext)
{
	char *prefix = strchr(spec, ':');
	char *filter = prefix ? strchr(prefix + 1, ':') : NULL;

	jsStreamSource_Init(src);
	src->Name = spec;
	if (prefix)
		*prefix++ = '\0';
	if (filter)
		*filter++ = '\0';
	if (prefix && *prefix) {
		jsExternalStream_Init(ext);
		ext->APIPrefix = prefix;
		ext->DeliverPrefix = ""; /* libnats 3.4.1 writes it unchecked */
		src->External = ext;
	}
	if (filter && *filter)
		src->FilterSubject = filter;
}

static int cmd_add(struct tool *t, int argc, char **argv)
{
	jsStreamConfig sc;
	jsStreamSource srcs[MAX_SOURCES], mirror, *srcp[MAX_SOURCES];
	jsExternalStream exts[MAX_SOURCES], mext;
	const char *subjects[16];
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	int nsubj = 0;

	if (argc < 2)
		return 2;
	jsStreamConfig_Init(&sc);
	sc.Name = argv[0];
	for (char *tok = strtok(argv[1], ","); tok && nsubj < 16; tok = strtok(NULL, ","))
		subjects[nsubj++] = tok;
	if (nsubj && strcmp(subjects[0], "-")) {
		sc.Subjects = subjects;
		sc.SubjectsLen = nsubj;
	}
	sc.Storage = js_FileStorage;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--memory")) {
			sc.Storage = js_MemoryStorage;
		} else if (!strcmp(argv[i], "--max-msgs") && i + 1 < argc) {
			sc.MaxMsgs = strtoll(argv[++i], NULL, 10);
			sc.Discard = js_DiscardNew;
		} else if (!strcmp(argv[i], "--source") && i + 1 < argc &&
			   sc.SourcesLen < MAX_SOURCES) {
			parse_source(argv[++i], &srcs[sc.SourcesLen], &exts[sc.SourcesLen]);
			srcp[sc.SourcesLen] = &srcs[sc.SourcesLen];
			sc.SourcesLen++;
			sc.Sources = srcp;
		} else if (!strcmp(argv[i], "--mirror") && i + 1 < argc) {
			parse_source(argv[++i], &mirror, &mext);
			sc.Mirror = &mirror;
		} else {
			return 2;
		}
	}
	s = js_AddStream(&si, t->js, &sc, NULL, &jerr);
	if (s != NATS_OK)
		return fail("add stream", s, jerr);
	jsStreamInfo_Destroy(si);
	return 0;
}

static json_t *headers_of(natsMsg *m)
{
	json_t *h = json_object();
	const char **keys = NULL;
	int n = 0;

	if (natsMsgHeader_Keys(m, &keys, &n) != NATS_OK)
		return h;
	for (int i = 0; i < n; i++) {
		const char *v = NULL;

		if (natsMsgHeader_Get(m, keys[i], &v) == NATS_OK && v)
			json_object_set_new(h, keys[i], json_string(v));
	}
	free((void *)keys);
	return h;
}

static void print_msg(natsMsg *m, uint64_t seq)
{
	const char *id = NULL;
	json_t *o = json_object(), *data;
	char *line;

	natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
	data = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
	if (!data)
		data = json_stringn(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "subject", json_string(natsMsg_GetSubject(m)));
	json_object_set_new(o, "msg_id", id ? json_string(id) : json_null());
	json_object_set_new(o, "headers", headers_of(m));
	json_object_set_new(o, "data", data ? data : json_null());
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	puts(line ? line : "null");
	free(line);
	json_decref(o);
}

static int stream_state(struct tool *t, const char *name, jsStreamState *st)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, t->js, name, NULL, &jerr);

	if (s != NATS_OK)
		return fail("stream info", s, jerr);
	*st = si->State;
	st->Subjects = NULL;
	st->Deleted = NULL;
	st->Lost = NULL;
	jsStreamInfo_Destroy(si);
	return 0;
}

static int cmd_dump(struct tool *t, int argc, char **argv)
{
	jsStreamState st;

	if (argc != 1)
		return 2;
	if (stream_state(t, argv[0], &st))
		return 1;
	for (uint64_t seq = st.FirstSeq; st.Msgs && seq <= st.LastSeq; seq++) {
		natsMsg *m = NULL;
		jsErrCode jerr = 0;
		natsStatus s = js_GetMsg(&m, t->js, argv[0], seq, NULL, &jerr);

		if (s == NATS_NOT_FOUND)
			continue; /* deleted */
		if (s != NATS_OK)
			return fail("get message", s, jerr);
		print_msg(m, seq);
		natsMsg_Destroy(m);
	}
	return 0;
}

static int cmd_count(struct tool *t, int argc, char **argv)
{
	jsStreamState st;

	if (argc != 1)
		return 2;
	if (stream_state(t, argv[0], &st))
		return 1;
	printf("%llu\n", (unsigned long long)st.Msgs);
	return 0;
}

static int cmd_pub(struct tool *t, int argc, char **argv)
{
	jsPubOptions po;
	jsPubAck *ack = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	if (argc < 2 || argc > 3)
		return 2;
	jsPubOptions_Init(&po);
	po.MsgId = argc == 3 ? argv[2] : NULL;
	s = js_Publish(&ack, t->js, argv[0], argv[1], (int)strlen(argv[1]), &po, &jerr);
	if (s != NATS_OK)
		return fail("publish", s, jerr);
	printf("%s %llu\n", ack->Duplicate ? "duplicate" : "seq",
	       (unsigned long long)ack->Sequence);
	jsPubAck_Destroy(ack);
	return 0;
}

static int open_tool(struct tool *t, const char *url, const char *domain)
{
	jsOptions jo;
	natsStatus s = natsConnection_ConnectTo(&t->nc, url);

	if (s != NATS_OK)
		return fail(url, s, 0);
	jsOptions_Init(&jo);
	jo.Domain = domain;
	jo.Wait = WAIT_MS;
	s = natsConnection_JetStream(&t->js, t->nc, &jo);
	return s == NATS_OK ? 0 : fail("jetstream", s, 0);
}

int main(int argc, char **argv)
{
	struct tool t = { 0 };
	const char *domain = NULL;
	int i = 2, rc = 2;

	if (argc > 3 && !strcmp(argv[2], "--domain")) {
		domain = argv[3];
		i = 4;
	}
	if (argc < i + 2) {
		fprintf(stderr, "usage: js_tool URL [--domain D] add|dump|count|pub ...\n");
		return 2;
	}
	if (open_tool(&t, argv[1], domain))
		return 1;
	if (!strcmp(argv[i], "add"))
		rc = cmd_add(&t, argc - i - 1, argv + i + 1);
	else if (!strcmp(argv[i], "dump"))
		rc = cmd_dump(&t, argc - i - 1, argv + i + 1);
	else if (!strcmp(argv[i], "count"))
		rc = cmd_count(&t, argc - i - 1, argv + i + 1);
	else if (!strcmp(argv[i], "pub"))
		rc = cmd_pub(&t, argc - i - 1, argv + i + 1);
	if (rc == 2)
		fprintf(stderr, "js_tool: bad arguments for '%s'\n", argv[i]);
	jsCtx_Destroy(t.js);
	natsConnection_Destroy(t.nc);
	nats_Close();
	return rc;
}
