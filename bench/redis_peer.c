/* SPDX-License-Identifier: MIT */
/*
 * Redis peer; see redis_peer.h. The server is started with no persistence
 * (--save "" --appendonly no) on a port found free by binding port 0, bound
 * to 127.0.0.1 only, and stopped with SIGTERM to the pid we forked. Members
 * are the plates as text (what a Redis user would store). TCP_NODELAY is set
 * so that one-at-a-time commands are not held back by Nagle's algorithm.
 */
#include "redis_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RBUF_CAP (1u << 20) /* replies: INFO is a few KiB, pipelines 4 bytes a reply */
#define START_TIMEOUT_MS 5000 /* redis-server starts in ~50 ms; be patient on a busy box */
#define SADD_BATCH 1000 /* members per SADD command while filling */

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		if (len > 0 && len + strlen(prog) + 2 < sizeof(buf)) {
			memcpy(buf, path, len);
			snprintf(buf + len, sizeof(buf) - len, "/%s", prog);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += len + (path[len] == ':');
	}
	return false;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int try_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int fill_more(struct redis_peer *r)
{
	ssize_t k;

	if (r->rpos == r->rlen) {
		r->rpos = 0;
		r->rlen = 0;
	} else if (r->rlen == RBUF_CAP) {
		memmove(r->rbuf, r->rbuf + r->rpos, r->rlen - r->rpos);
		r->rlen -= r->rpos;
		r->rpos = 0;
		if (r->rlen == RBUF_CAP)
			return -1;
	}
	do
		k = read(r->fd, r->rbuf + r->rlen, RBUF_CAP - r->rlen);
	while (k < 0 && errno == EINTR);
	if (k <= 0)
		return -1;
	r->rlen += (size_t)k;
	return 0;
}

/* Next reply line without its CRLF, NUL-terminated in place; NULL on error. */
static char *read_line(struct redis_peer *r)
{
	for (;;) {
		char *start = r->rbuf + r->rpos;
		char *nl = memchr(start, '\n', r->rlen - r->rpos);

		if (nl) {
			*nl = '\0';
			if (nl > start && nl[-1] == '\r')
				nl[-1] = '\0';
			r->rpos = (size_t)(nl - r->rbuf) + 1;
			return start;
		}
		if (fill_more(r) != 0)
			return NULL;
	}
}

static int read_int(struct redis_peer *r, long long *v)
{
	char *line = read_line(r);

	if (!line || line[0] != ':') {
		fprintf(stderr, "redis: unexpected reply: %s\n", line ? line : "(closed)");
		return -1;
	}
	*v = strtoll(line + 1, NULL, 10);
	return 0;
}

/* Make room for `more` bytes in the command buffer. */
static void wreserve(struct redis_peer *r, size_t used, size_t more)
{
	if (used + more <= r->wcap)
		return;
	r->wcap = (used + more) * 2;
	r->wbuf = realloc(r->wbuf, r->wcap);
	if (!r->wbuf) {
		fprintf(stderr, "redis: out of memory\n");
		exit(1);
	}
}

static size_t put_bulk(struct redis_peer *r, size_t used, const char *s, size_t len)
{
	wreserve(r, used, len + 32);
	return used + (size_t)sprintf(r->wbuf + used, "$%zu\r\n%.*s\r\n", len, (int)len, s);
}

static size_t put_array(struct redis_peer *r, size_t used, size_t n)
{
	wreserve(r, used, 32);
	return used + (size_t)sprintf(r->wbuf + used, "*%zu\r\n", n);
}

static int ping(struct redis_peer *r)
{
	char *line;

	if (write_all(r->fd, "*1\r\n$4\r\nPING\r\n", 14) != 0)
		return -1;
	line = read_line(r);
	return line && strcmp(line, "+PONG") == 0 ? 0 : -1;
}

static void spawn(struct redis_peer *r)
{
	char port[16];
	int devnull;

	snprintf(port, sizeof(port), "%d", r->port);
	r->pid = fork();
	if (r->pid != 0)
		return;
	/* If the bench dies without stopping it (crash, sanitizer abort), so does
	 * the server: no orphan keeps the port and memory. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
	       "--appendonly", "no", "--dir", "/tmp", "--daemonize", "no", (char *)NULL);
	_exit(127);
}

int redis_peer_start(struct redis_peer *r)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (!on_path("redis-server")) {
		fprintf(stderr, "redis: redis-server not on PATH, skipping Redis\n");
		return -1;
	}
	r->port = free_port();
	if (r->port <= 0)
		return -1;
	r->rbuf = bench_xmalloc(RBUF_CAP);
	spawn(r);
	if (r->pid < 0) {
		perror("redis: fork");
		r->pid = 0;
		redis_peer_stop(r);
		return -1;
	}
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 10) {
		int status;

		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			fprintf(stderr, "redis: redis-server exited at start, skipping Redis\n");
			r->pid = 0;
			break;
		}
		r->fd = try_connect(r->port);
		if (r->fd >= 0 && ping(r) == 0)
			return 0;
		if (r->fd >= 0) {
			close(r->fd);
			r->fd = -1;
			r->rpos = r->rlen = 0;
		}
		nanosleep(&pause, NULL);
	}
	if (r->pid)
		fprintf(stderr, "redis: no answer on port %d, skipping Redis\n", r->port);
	redis_peer_stop(r); /* kills the server if it is still there */
	return -1;
}

int redis_peer_fill(struct redis_peer *r, const char *name, const struct hl_key *keys, size_t n)
{
	char plate[HOTLIST_PLATE_MAX + 1];

	for (size_t i = 0; i < n; i += SADD_BATCH) {
		size_t m = n - i < SADD_BATCH ? n - i : SADD_BATCH, used;
		long long added;

		used = put_array(r, 0, m + 2);
		used = put_bulk(r, used, "SADD", 4);
		used = put_bulk(r, used, name, strlen(name));
		for (size_t j = 0; j < m; j++) {
			bench_key_unpack(&keys[i + j], plate);
			used = put_bulk(r, used, plate, strlen(plate));
		}
		if (write_all(r->fd, r->wbuf, used) != 0 || read_int(r, &added) != 0)
			return -1;
	}
	return 0;
}

int redis_peer_lookup(struct redis_peer *r, const char *name, const struct hl_key *q, size_t n,
		      unsigned depth, struct bench_tally *t)
{
	char plate[HOTLIST_PLATE_MAX + 1];
	uint64_t hits = 0;

	for (size_t i = 0; i < n; i += depth) {
		size_t m = n - i < depth ? n - i : depth, used = 0;

		for (size_t j = 0; j < m; j++) {
			bench_key_unpack(&q[i + j], plate);
			used = put_array(r, used, 3);
			used = put_bulk(r, used, "SISMEMBER", 9);
			used = put_bulk(r, used, name, strlen(name));
			used = put_bulk(r, used, plate, strlen(plate));
		}
		if (write_all(r->fd, r->wbuf, used) != 0)
			return -1;
		for (size_t j = 0; j < m; j++) {
			long long v;

			if (read_int(r, &v) != 0)
				return -1;
			hits += v == 1;
		}
	}
	t->hits += hits;
	return 0;
}

size_t redis_peer_used_memory(struct redis_peer *r)
{
	static const char cmd[] = "*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n";
	char *line, *body, *at;
	size_t len, v = 0;

	if (write_all(r->fd, cmd, sizeof(cmd) - 1) != 0)
		return 0;
	line = read_line(r);
	if (!line || line[0] != '$')
		return 0;
	len = strtoull(line + 1, NULL, 10);
	if (len + 2 >= RBUF_CAP)
		return 0;
	while (r->rlen - r->rpos < len + 2)
		if (fill_more(r) != 0)
			return 0;
	body = r->rbuf + r->rpos;
	body[len] = '\0'; /* over the body's CR */
	at = strstr(body, "\nused_memory:");
	if (at)
		v = strtoull(at + 13, NULL, 10);
	r->rpos += len + 2;
	return v;
}

int redis_peer_del(struct redis_peer *r, const char *name)
{
	size_t used = put_array(r, 0, 2);
	long long v;

	used = put_bulk(r, used, "DEL", 3);
	used = put_bulk(r, used, name, strlen(name));
	if (write_all(r->fd, r->wbuf, used) != 0)
		return -1;
	return read_int(r, &v);
}

void redis_peer_stop(struct redis_peer *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
	}
	r->pid = 0;
	free(r->rbuf);
	free(r->wbuf);
	r->rbuf = NULL;
	r->wbuf = NULL;
}
