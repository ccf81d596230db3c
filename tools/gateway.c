/* SPDX-License-Identifier: MIT */
/*
 * `hotlist gateway`: OpenALPR alprd uploads in, reads on the cluster's read
 * stream out (docs/cameras.md).
 *
 *   alprd --POST JSON--> gateway --js_Publish, Nats-Msg-Id--> HL_READS
 *         <--200 / 4xx / 503--      <--------pub ack---------
 *
 * Each POST body is one alprd message (tools/alprd.h turns it into reads).
 * Heartbeats and plate groups are counted and answered 200. A frame's reads
 * are published one by one, synchronously, each with its deterministic read
 * id as Nats-Msg-Id and HL_READS as the expected stream, and the request is
 * answered 200 only when the server has acknowledged every one of them
 * (stored or recognised as a duplicate). Any failure (no server, no stream,
 * a full stream, a timeout) must make the camera send the frame again; the
 * ids then make the second attempt store only what the first did not.
 *
 * How to say "send it again" depends on the client. OpenALPR's open-source
 * alprd (src/daemon.cpp, uploadPost()) counts an upload as done when
 * curl_easy_perform() returns CURLE_OK, which it does for any HTTP status,
 * 503 included: only a transport failure makes it release the job back to
 * its beanstalkd queue and retry. So by default (--on-failure close) the
 * gateway drops the connection without an answer; --on-failure 503 answers
 * 503 instead, for clients that read the status. A body that is not an alprd
 * message is answered 400, one beyond --max-body 413: sending those again
 * cannot help, and the log says what was dropped.
 *
 * Threads: libmicrohttpd runs each connection in its own thread (a publish
 * blocks only its own camera); the NATS connection and JetStream context are
 * shared (both thread-safe); counters are relaxed atomics, read only for
 * /metrics and the exit summary.
 */
#include "gateway.h"

#include "alprd.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2
/* Plate crops travel in alprd messages (alpr_group carries a JPEG): room
 * for large ones by default; the body is held in memory until answered. */
#define DEFAULT_MAX_BODY (16u * 1024 * 1024)
/* How long one read may wait for the server's ack before the POST fails. */
#define DEFAULT_PUBLISH_TIMEOUT_MS 5000
/* Cameras of one site rarely exceed a few dozen; each connection is a thread. */
#define MAX_CONNECTIONS 256
/* An idle or stalled camera connection is dropped after this many seconds. */
#define CONNECTION_TIMEOUT_S 60
#define READ_STREAM "HL_READS"
#define READ_SUBJECT "hl.read"
#define SUBJECT_CAP (sizeof(READ_SUBJECT) + HL_ALPRD_SITE_MAX + 1)

enum counter {
	C_POSTS,
	C_FRAMES,
	C_GROUPS,
	C_HEARTBEATS,
	C_OTHER,
	C_READS,
	C_DUPLICATES,
	C_BAD,
	C_TOO_LARGE,
	C_UNAVAILABLE,
	C_N
};

static const char *const counter_name[C_N] = {
	"hotlist_gateway_posts_total",	    "hotlist_gateway_frames_total",
	"hotlist_gateway_groups_total",	    "hotlist_gateway_heartbeats_total",
	"hotlist_gateway_other_total",	    "hotlist_gateway_reads_published_total",
	"hotlist_gateway_duplicates_total", "hotlist_gateway_bad_requests_total",
	"hotlist_gateway_too_large_total",  "hotlist_gateway_unavailable_total",
};

struct gateway {
	natsConnection *nc;
	jsCtx *js;
	const char *default_site;
	size_t max_body;
	int64_t publish_timeout_ms;
	bool fail_503; /* --on-failure 503; else close the connection */
	bool quiet;
	atomic_uint_fast64_t count[C_N];
};

/* One request's body, gathered across the handler's calls. */
struct upload {
	char *buf;
	size_t len, cap;
	bool too_large; /* more than max_body: the rest is read and dropped */
};

static void bump(struct gateway *g, enum counter c, uint64_t n)
{
	atomic_fetch_add_explicit(&g->count[c], n, memory_order_relaxed);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char body[HL_READ_ERR_CAP + 64];

	snprintf(body, sizeof(body), "%s\n", msg);
	return reply(conn, status, "text/plain; charset=utf-8", body);
}

/* Publish one read and wait for the ack. 0 (stored or duplicate), -1. */
static int publish_read(struct gateway *g, const struct hl_alprd_read *r, const char *site,
			char *why)
{
	char subject[SUBJECT_CAP];
	char *json = hl_alprd_read_json(r);
	jsPubOptions po;
	jsPubAck *ack = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	if (!json) {
		snprintf(why, HL_READ_ERR_CAP, "out of memory");
		return -1;
	}
	snprintf(subject, sizeof(subject), "%s.%s", READ_SUBJECT, site);
	jsPubOptions_Init(&po);
	po.MsgId = r->read_id;
	po.ExpectStream = READ_STREAM;
	po.MaxWait = g->publish_timeout_ms;
	s = js_Publish(&ack, g->js, subject, json, (int)strlen(json), &po, &jerr);
	free(json);
	if (s != NATS_OK) {
		snprintf(why, HL_READ_ERR_CAP, "publish to %s: %s (jetstream error %d)", subject,
			 natsStatus_GetText(s), (int)jerr);
		return -1;
	}
	bump(g, ack->Duplicate ? C_DUPLICATES : C_READS, 1);
	jsPubAck_Destroy(ack);
	return 0;
}

/* A frame: every read acknowledged, or 503. */
static enum MHD_Result frame(struct gateway *g, struct MHD_Connection *conn,
			     const struct hl_alprd_msg *m)
{
	char why[HL_READ_ERR_CAP], body[64];

	bump(g, C_FRAMES, 1);
	for (unsigned i = 0; i < m->n_reads; i++) {
		const char *site = hl_alprd_site_token(m->reads[i].site, g->default_site);

		if (!site) {
			bump(g, C_BAD, 1);
			snprintf(why, sizeof(why), "site_id '%.64s' is no subject token",
				 m->reads[i].site);
			return reply_text(conn, MHD_HTTP_BAD_REQUEST, why);
		}
		if (publish_read(g, &m->reads[i], site, why)) {
			bump(g, C_UNAVAILABLE, 1);
			fprintf(stderr, "hotlist gateway: %s: %s\n",
				g->fail_503 ? "503" : "connection dropped", why);
			return g->fail_503 ? reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, why) :
					     MHD_NO;
		}
	}
	snprintf(body, sizeof(body), "{\"reads\":%u}\n", m->n_reads);
	return reply(conn, MHD_HTTP_OK, "application/json", body);
}

static enum MHD_Result upload_done(struct gateway *g, struct MHD_Connection *conn,
				   const struct upload *u)
{
	static const enum counter ignored[] = { [HL_ALPRD_GROUP] = C_GROUPS,
						[HL_ALPRD_HEARTBEAT] = C_HEARTBEATS,
						[HL_ALPRD_OTHER] = C_OTHER };
	char err[HL_READ_ERR_CAP];
	struct hl_alprd_msg *m;
	enum MHD_Result ok;

	if (u->too_large) {
		bump(g, C_TOO_LARGE, 1);
		fprintf(stderr, "hotlist gateway: 413: a body over %zu bytes dropped\n",
			g->max_body);
		return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
	}
	m = malloc(sizeof(*m));
	if (!m)
		return g->fail_503 ?
			       reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory") :
			       MHD_NO;
	if (hl_alprd_parse(u->buf ? u->buf : "", u->len, m, err)) {
		bump(g, C_BAD, 1);
		if (!g->quiet)
			fprintf(stderr, "hotlist gateway: 400: %s\n", err);
		ok = reply_text(conn, MHD_HTTP_BAD_REQUEST, err);
	} else if (m->type != HL_ALPRD_RESULTS) {
		bump(g, ignored[m->type], 1);
		ok = reply(conn, MHD_HTTP_OK, "application/json", "{\"reads\":0}\n");
	} else {
		ok = frame(g, conn, m);
	}
	free(m);
	return ok;
}

/* Append a piece of the body, or drop it once the body is over the limit. */
static void upload_add(struct upload *u, const char *data, size_t n, size_t max)
{
	size_t cap = u->cap ? u->cap : 4096;

	if (u->too_large || n > max - u->len) {
		free(u->buf);
		*u = (struct upload){ .too_large = true };
		return;
	}
	while (cap < u->len + n)
		cap *= 2;
	if (cap > u->cap) {
		char *b = realloc(u->buf, cap > max ? max : cap);

		if (!b) {
			free(u->buf);
			*u = (struct upload){ .too_large = true };
			return;
		}
		u->buf = b;
		u->cap = cap > max ? max : cap;
	}
	memcpy(u->buf + u->len, data, n);
	u->len += n;
}

static enum MHD_Result metrics(struct gateway *g, struct MHD_Connection *conn)
{
	char body[2048];
	size_t n = 0;

	for (int i = 0; i < C_N; i++)
		n += (size_t)snprintf(
			body + n, sizeof(body) - n, "# TYPE %s counter\n%s %" PRIu64 "\n",
			counter_name[i], counter_name[i],
			(uint64_t)atomic_load_explicit(&g->count[i], memory_order_relaxed));
	snprintf(body + n, sizeof(body) - n,
		 "# TYPE hotlist_gateway_nats_connected gauge\nhotlist_gateway_nats_connected %d\n",
		 natsConnection_Status(g->nc) == NATS_CONN_STATUS_CONNECTED);
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", body);
}

static enum MHD_Result on_get(struct gateway *g, struct MHD_Connection *conn, const char *url)
{
	if (!strcmp(url, "/metrics"))
		return metrics(g, conn);
	if (!strcmp(url, "/healthz"))
		return natsConnection_Status(g->nc) == NATS_CONN_STATUS_CONNECTED ?
			       reply_text(conn, MHD_HTTP_OK, "ok") :
			       reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no NATS server");
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "POST alprd uploads to any path");
}

/* A POST declaring a body over the limit is refused before it is read. */
static bool declared_too_large(struct MHD_Connection *conn, size_t max)
{
	const char *cl =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!cl)
		return false;
	n = strtoull(cl, &end, 10);
	return end != cl && n > max;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct gateway *g = cls;
	struct upload *u = *con_cls;

	if (strcmp(method, MHD_HTTP_METHOD_POST))
		return strcmp(method, MHD_HTTP_METHOD_GET) ?
			       reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or POST") :
			       on_get(g, conn, url);
	if (!u) {
		bump(g, C_POSTS, 1);
		if (declared_too_large(conn, g->max_body)) {
			bump(g, C_TOO_LARGE, 1);
			return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
		}
		u = calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*data_size) {
		upload_add(u, data, *data_size, g->max_body);
		*data_size = 0;
		return MHD_YES;
	}
	return upload_done(g, conn, u);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	if (u) {
		free(u->buf);
		free(u);
		*con_cls = NULL;
	}
}

static int nats_open(struct gateway *g, const char *urls)
{
	natsOptions *o = NULL;
	natsStatus s = natsOptions_Create(&o);

	if (s == NATS_OK)
		s = natsOptions_SetURL(o, urls);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(o, true, NULL, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, "hotlist gateway");
	if (s == NATS_OK) {
		s = natsConnection_Connect(&g->nc, o);
		if (s == NATS_NOT_YET_CONNECTED)
			s = NATS_OK; /* keeps trying; POSTs get 503 until then */
	}
	if (s == NATS_OK)
		s = natsConnection_JetStream(&g->js, g->nc, NULL);
	natsOptions_Destroy(o);
	if (s != NATS_OK) {
		fprintf(stderr, "hotlist gateway: %s: %s\n", urls, natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) == 1 ? 0 : -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hotlist gateway --nats URL[,URL...] --listen ADDR:PORT [--site SITE]\n"
		"                       [--max-body BYTES] [--publish-timeout-ms MS]\n"
		"                       [--on-failure close|503] [--quiet]\n"
		"\n"
		"Receives OpenALPR alprd uploads (upload_data = 1, upload_address =\n"
		"http://ADDR:PORT/) and publishes each plate read to hl.read.<site> on the\n"
		"HL_READS stream, answering 200 once the server acknowledged every read of\n"
		"the frame. When it could not, it drops the connection unanswered (alprd\n"
		"retries only on a transport error) or, with --on-failure 503, answers 503;\n"
		"read ids make a retry safe. Heartbeats and plate groups are counted and\n"
		"ignored. <site> is the frame's site_id, or --site (default 'default')\n"
		"when it has none.\n"
		"GET /healthz and /metrics (Prometheus) on the same port.\n"
		"  --max-body BYTES          larger bodies get 413 (default %u)\n"
		"  --publish-timeout-ms MS   wait for each ack (default %d)\n",
		DEFAULT_MAX_BODY, DEFAULT_PUBLISH_TIMEOUT_MS);
}

static int parse_args(int argc, char **argv, struct gateway *g, const char **urls,
		      struct sockaddr_in *sa)
{
	static const struct option opts[] = { { "nats", required_argument, NULL, 'n' },
					      { "listen", required_argument, NULL, 'l' },
					      { "site", required_argument, NULL, 's' },
					      { "max-body", required_argument, NULL, 'b' },
					      { "publish-timeout-ms", required_argument, NULL,
						't' },
					      { "on-failure", required_argument, NULL, 'f' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *listen = NULL;
	char *end;
	int c;

	/* 0, not 1: glibc then starts afresh, permuting again (main() parsed
	 * its own options with "+"). */
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			*urls = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 's':
			g->default_site = optarg;
			break;
		case 'b':
			g->max_body = (size_t)strtoull(optarg, &end, 10);
			if (*end || !g->max_body)
				return -1;
			break;
		case 't':
			g->publish_timeout_ms = strtoll(optarg, &end, 10);
			if (*end || g->publish_timeout_ms <= 0)
				return -1;
			break;
		case 'f':
			if (strcmp(optarg, "close") && strcmp(optarg, "503"))
				return -1;
			g->fail_503 = !strcmp(optarg, "503");
			break;
		case 'q':
			g->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc || !*urls || !listen || parse_listen(listen, sa)) {
		fprintf(stderr, "hotlist gateway: --nats and --listen ADDR:PORT are required\n");
		return -1;
	}
	if (!hl_alprd_site_token(g->default_site, NULL)) {
		fprintf(stderr, "hotlist gateway: --site must be 1-%d of [A-Za-z0-9_-]\n",
			HL_ALPRD_SITE_MAX);
		return -1;
	}
	return 0;
}

static void summary(struct gateway *g)
{
	fprintf(stderr, "hotlist gateway: stopped;");
	for (int i = 0; i < C_N; i++)
		fprintf(stderr, " %s=%" PRIu64, counter_name[i] + sizeof("hotlist_gateway_") - 1,
			(uint64_t)atomic_load(&g->count[i]));
	fprintf(stderr, "\n");
}

int hl_cmd_gateway(int argc, char **argv)
{
	struct gateway g = { .default_site = "default",
			     .max_body = DEFAULT_MAX_BODY,
			     .publish_timeout_ms = DEFAULT_PUBLISH_TIMEOUT_MS };
	const char *urls = NULL;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	sigset_t set;
	int sig;

	if (parse_args(argc, argv, &g, &urls, &sa)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Signals are taken by sigwait() below, not by any thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (nats_open(&g, urls))
		return 1;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				     MHD_USE_ERROR_LOG,
			     0, NULL, NULL, on_request, &g, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, &g, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "hotlist gateway: cannot listen on %s:%u\n", inet_ntoa(sa.sin_addr),
			ntohs(sa.sin_port));
		jsCtx_Destroy(g.js);
		natsConnection_Destroy(g.nc);
		return EXIT_USAGE;
	}
	fprintf(stderr, "hotlist gateway: listening on %s:%u\n", inet_ntoa(sa.sin_addr),
		ntohs(sa.sin_port));
	sigwait(&set, &sig);
	/* Stops accepting, then waits for the connection threads: a POST in
	 * hand is answered (published or 503) before the connection closes. */
	MHD_stop_daemon(d);
	summary(&g);
	jsCtx_Destroy(g.js);
	natsConnection_Destroy(g.nc);
	nats_Close();
	return 0;
}
