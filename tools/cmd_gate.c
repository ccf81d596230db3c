/* SPDX-License-Identifier: MIT */
/*
 * `hotlist nats-gate`: run before a nats-server of a cluster starts
 * (ExecStartPre= of cluster/nats-server-hotlist.service), it returns when
 * starting this server cannot let restarted, empty replicas of a memory
 * stream elect one of themselves over a survivor that still holds the
 * stream's messages (docs/cluster.md, "Starting the servers through the
 * gate", where the reasoning is written out).
 *
 * It asks each peer's monitoring port for /healthz (plain HTTP/1.0 over a
 * socket, short timeouts) and sorts the peers: current (200), up (the port
 * answers, anything else), down (nothing accepts the connection). With N
 * servers (the peers and this one) and a majority M = N/2 + 1:
 *
 *   1. a peer is current, at least M peers are up, and the peers up but
 *      not current, with this server, are fewer than M (with three
 *      servers: both peers current): a quorum serves without this server
 *      and the replicas not caught up stay a minority; start (it joins as
 *      a follower and catches up). A current peer alone is not trusted: a
 *      survivor that lost its quorum keeps answering 200 until its
 *      lost-quorum check, up to ~20 s later. Nor is a current leader
 *      beside a peer still catching up: with this one started, the two
 *      replicas not caught up are a majority, and if the leader misses its
 *      heartbeats (a paused or starved process) they elect one of
 *      themselves and the leader's messages are dropped (seen with the
 *      leader SIGSTOPped for 12 s; docs/cluster.md).
 *   2. no peer is up: a full start (memory streams are empty everywhere);
 *      start.
 *   3. fewer than M peers are up: of the servers down (this one included),
 *      the first by name starts; the others wait. Each such start happens
 *      while fewer than M are up, so the empty replicas never reach M and
 *      cannot elect one of themselves; a survivor's longer log wins.
 *   4. M peers or more are up but too few current for rule 1 (an election
 *      or a catch-up under way): wait.
 *
 * Waiting means asking again every HL_GATE_POLL_MS until one of the starts
 * above applies, or the timeout (--timeout, default 60 s) passes: then it
 * starts anyway (the lower-named server may never come back). Every
 * decision is logged to stderr. Exit 0 whenever the server may start, 2 on
 * bad usage: a gate must never keep a server down for good.
 *
 * Threads: one; no state outside hl_cmd_gate's frame.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A peer's monitoring port must accept within this, or the peer is down. */
#define HL_GATE_CONNECT_MS 1000
/* A connected peer must answer /healthz within this (from the connect), or
 * it counts as up but not current. */
#define HL_GATE_ANSWER_MS 2000
/* How often the peers are asked again while waiting. */
#define HL_GATE_POLL_MS 500
/* The default --timeout: long enough for a restarted replica to be caught
 * up and a survivor elected (seconds on loopback), short enough that a
 * server whose lower-named peer never returns is not kept down long. */
#define HL_GATE_TIMEOUT_S 60
/* Peers at most (a NATS cluster of more than a few servers is unusual). */
#define HL_GATE_MAX_PEERS 16

static const char gate_usage[] =
	"usage: hotlist nats-gate --name NAME --peer NAME=URL [--peer NAME=URL...]\n"
	"                         [--timeout S]\n"
	"\n"
	"Wait until this nats-server may start: run it before each server of a\n"
	"cluster starts (ExecStartPre= of cluster/nats-server-hotlist.service).\n"
	"--name is this server's server_name, each --peer another server's name and\n"
	"monitoring URL (http://HOST:PORT, its `http:` setting); list every server\n"
	"of the cluster. It asks each peer's /healthz and returns (exit 0):\n"
	"  at once when a peer answers 200, a majority of the cluster is up\n"
	"    without this server, and the peers up but not answering 200 are, with\n"
	"    this one, fewer than a majority (a quorum serves and the replicas not\n"
	"    caught up stay a minority: with three servers, both others answer 200);\n"
	"  at once when no peer answers at all (a full start);\n"
	"  at once when fewer than a majority are up and this is the first by name\n"
	"    of the servers that are down; otherwise once a quorum serves, or after\n"
	"    --timeout S seconds (default 60; 0: no limit) in any case.\n"
	"Memory streams keep their messages only through this order when two of\n"
	"three servers restart together (docs/cluster.md). Decisions go to stderr.\n"
	"Exit 0: start the server; 2: bad usage.\n";

enum peer_state { PEER_DOWN, PEER_UP, PEER_CURRENT };

struct peer {
	char *name;
	char host[256];
	char port[16];
	enum peer_state state;
	char why[128]; /* the answer or the error, for the log */
};

/* "http://HOST:PORT[/...]", "HOST:PORT", "[V6]:PORT" into host and port. */
static int parse_peer(const char *arg, struct peer *p)
{
	const char *eq = strchr(arg, '='), *h, *end, *colon;
	size_t hl;

	if (!eq || eq == arg)
		return -1;
	h = eq + 1;
	if (!strncmp(h, "http://", 7))
		h += 7;
	else if (strstr(h, "://"))
		return -1; /* https or another scheme: not asked */
	end = h + strcspn(h, "/");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - h - 1);
		h++;
		colon = rb + 1;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (!colon)
			return -1;
		hl = (size_t)(colon - h);
	}
	if (hl == 0 || hl >= sizeof(p->host) || end - colon - 1 <= 0 ||
	    (size_t)(end - colon - 1) >= sizeof(p->port))
		return -1;
	p->name = strndup(arg, (size_t)(eq - arg));
	if (!p->name)
		return -1;
	memcpy(p->host, h, hl);
	p->host[hl] = 0;
	memcpy(p->port, colon + 1, (size_t)(end - colon - 1));
	p->port[end - colon - 1] = 0;
	return 0;
}

static int ms_left(uint64_t deadline_ns)
{
	uint64_t now = hl_cli_mono_ns();

	return now >= deadline_ns ? 0 : (int)((deadline_ns - now) / 1000000u);
}

/* Connect to ai within HL_GATE_CONNECT_MS: the socket, or -1 (why set). */
static int connect_to(const struct addrinfo *ai, struct peer *p)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	struct pollfd pf;
	int err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0) {
		snprintf(p->why, sizeof(p->why), "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		snprintf(p->why, sizeof(p->why), "%s", strerror(errno));
		close(fd);
		return -1;
	}
	pf = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&pf, 1, HL_GATE_CONNECT_MS) != 1) {
		snprintf(p->why, sizeof(p->why), "no connection within %d ms", HL_GATE_CONNECT_MS);
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
		snprintf(p->why, sizeof(p->why), "%s", strerror(err ? err : errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The body's "error" value, or its first line, as the reason for the log. */
static void answer_why(struct peer *p, int code, const char *body)
{
	const char *e = strstr(body, "\"error\":\"");
	size_t n;

	if (e) {
		e += 9;
		n = strcspn(e, "\"");
	} else {
		e = body;
		n = strcspn(e, "\r\n");
	}
	/* nats-server escapes '>' (a stream's "$G > NAME") as \u003e. */
	int at = snprintf(p->why, sizeof(p->why), "%d ", code);

	for (size_t i = 0; i < n && (size_t)at < sizeof(p->why) - 1; i++) {
		bool gt = i + 6 <= n && !strncmp(e + i, "\\u003e", 6);

		p->why[at++] = gt ? '>' : e[i];
		i += gt ? 5 : 0;
	}
	p->why[at] = 0;
}

/* GET /healthz on a connected socket: the status code, or -1 (no answer in
 * time). The response is read to its end or HL_GATE_ANSWER_MS. */
static int get_healthz(int fd, struct peer *p)
{
	char req[320], buf[1024];
	size_t have = 0;
	int n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.0\r\nHost: %s\r\n\r\n", p->host);
	uint64_t deadline = hl_cli_mono_ns() + HL_GATE_ANSWER_MS * 1000000ull;
	int code;
	char *body;

	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		return -1;
	while (have < sizeof(buf) - 1) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (poll(&pf, 1, ms_left(deadline)) != 1)
			break;
		got = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (got <= 0)
			break;
		have += (size_t)got;
	}
	buf[have] = 0;
	if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
		return -1;
	body = strstr(buf, "\r\n\r\n");
	answer_why(p, code, body ? body + 4 : "");
	return code;
}

/* Ask one peer's /healthz; sets p->state and p->why. */
static void probe(struct peer *p)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	int rc = getaddrinfo(p->host, p->port, &hints, &res), fd = -1, code;

	p->state = PEER_DOWN;
	if (rc) {
		snprintf(p->why, sizeof(p->why), "%s", gai_strerror(rc));
		return;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_to(ai, p);
	freeaddrinfo(res);
	if (fd < 0)
		return;
	/* The port accepted: the server is up whatever it answers. */
	p->state = PEER_UP;
	code = get_healthz(fd, p);
	close(fd);
	if (code < 0)
		snprintf(p->why, sizeof(p->why), "no answer within %d ms", HL_GATE_ANSWER_MS);
	else if (code == 200)
		p->state = PEER_CURRENT;
}

/* Decide from the peers' states (numbered as in the top comment): true to
 * start now; why says which case, for the log. */
static bool decide(const char *self, const struct peer *peers, size_t n, char *why, size_t cap)
{
	size_t majority = (n + 1) / 2 + 1, up = 0, current = 0;
	const char *first = self;

	for (size_t i = 0; i < n; i++) {
		up += peers[i].state != PEER_DOWN;
		current += peers[i].state == PEER_CURRENT;
		if (peers[i].state == PEER_DOWN && strcmp(peers[i].name, first) < 0)
			first = peers[i].name;
	}
	/* Rule 1: the replicas not caught up once this one runs (the peers up
	 * and not current, and this one) must stay fewer than a majority. */
	if (current && up >= majority && up - current + 1 < majority) {
		snprintf(why, cap, "a quorum serves (%zu of %zu peers up, %zu current): start", up,
			 n, current);
		return true;
	}
	if (!up) {
		snprintf(why, cap, "no peer is up (a full start): start");
		return true;
	}
	if (up < majority && first == self) {
		snprintf(why, cap,
			 "%zu of %zu peers up, fewer than a majority of %zu, none serving; this is "
			 "the first by name of the servers down: start",
			 up, n, majority);
		return true;
	}
	if (up < majority)
		snprintf(why, cap,
			 "%zu of %zu peers up, fewer than a majority of %zu, none serving: waiting "
			 "for %s (first by name of the servers down) to start first, or a quorum",
			 up, n, majority, first);
	else if (!current)
		snprintf(why, cap, "%zu of %zu peers up but none current: waiting for a quorum", up,
			 n);
	else
		snprintf(why, cap,
			 "%zu of %zu peers up, %zu current: waiting for those catching up (with "
			 "this one, %zu not current would be a majority of %zu)",
			 up, n, current, up - current + 1, majority);
	return false;
}

/* The peers' states on one line, into buf. */
static void describe(const struct peer *peers, size_t n, char *buf, size_t cap)
{
	static const char *const names[] = { "down", "up", "current" };
	size_t at = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && at < cap; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%s%s %s (%s)", i ? ", " : "",
				       peers[i].name, names[peers[i].state], peers[i].why);
}

static int gate_args(int argc, char **argv, const char **self, struct peer *peers, size_t *n,
		     uint64_t *timeout_s)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "peer", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0; /* 0: GNU getopt starts afresh (main parsed with "+") */
	while ((ch = getopt_long(argc, argv, "n:p:t:h", opts, NULL)) != -1) {
		if (ch == 'n')
			*self = optarg;
		else if (ch == 'p') {
			if (*n == HL_GATE_MAX_PEERS) {
				hl_cli_err("nats-gate: at most %d peers", HL_GATE_MAX_PEERS);
				return HL_EXIT_USAGE;
			}
			if (parse_peer(optarg, &peers[*n])) {
				hl_cli_err("nats-gate: --peer '%s' is not NAME=http://HOST:PORT",
					   optarg);
				return HL_EXIT_USAGE;
			}
			++*n;
		} else if (ch == 't') {
			if (hl_cli_parse_u64("--timeout", optarg, 0, 86400, timeout_s))
				return HL_EXIT_USAGE;
		} else {
			fputs(gate_usage, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : HL_EXIT_USAGE;
		}
	}
	if (optind != argc || !*self || !**self || !*n) {
		fputs(gate_usage, stderr);
		return HL_EXIT_USAGE;
	}
	for (size_t i = 0; i < *n; i++)
		for (size_t j = 0; j <= i; j++)
			if (!strcmp(peers[i].name, j < i ? peers[j].name : *self)) {
				hl_cli_err("nats-gate: server name '%s' given twice",
					   peers[i].name);
				return HL_EXIT_USAGE;
			}
	return -1;
}

int hl_cmd_gate(int argc, char **argv)
{
	struct peer peers[HL_GATE_MAX_PEERS] = { 0 };
	const char *self = NULL;
	size_t n = 0;
	uint64_t timeout_s = HL_GATE_TIMEOUT_S, start = hl_cli_mono_ns();
	char state[1024], why[256], last[HL_GATE_MAX_PEERS + sizeof(why)] = "";
	int rc = gate_args(argc, argv, &self, peers, &n, &timeout_s);

	if (rc >= 0)
		goto out;
	for (;;) {
		char key[sizeof(last)];
		bool go;
		uint64_t waited_s;

		for (size_t i = 0; i < n; i++) {
			probe(&peers[i]);
			key[i] = (char)('0' + peers[i].state);
		}
		go = decide(self, peers, n, why, sizeof(why));
		snprintf(key + n, sizeof(key) - n, "%s", why);
		waited_s = (hl_cli_mono_ns() - start) / HL_NS_PER_S;
		/* Once per change of the peers' states or of the decision (not of
		 * the reasons a peer gives: which stream is not current varies from
		 * one answer to the next). */
		if (go || strcmp(key, last)) {
			describe(peers, n, state, sizeof(state));
			fprintf(stderr, "hotlist nats-gate: %s after %" PRIu64 " s: %s; %s\n", self,
				waited_s, state, why);
			snprintf(last, sizeof(last), "%s", key);
		}
		if (go)
			break;
		if (timeout_s && waited_s >= timeout_s) {
			fprintf(stderr,
				"hotlist nats-gate: %s: still waiting after %" PRIu64
				" s (--timeout): start anyway\n",
				self, waited_s);
			break;
		}
		hl_cli_sleep_ns(HL_GATE_POLL_MS * 1000000ull);
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(peers[i].name);
	return rc;
}
