/* SPDX-License-Identifier: MIT */
/*
 * Redis as a lookup peer: a private redis-server on a free loopback port
 * (no persistence), a set filled with SADD, SISMEMBER one at a time or
 * pipelined, with hand-written RESP over one TCP socket.
 */
#ifndef HOTLIST_BENCH_REDIS_PEER_H
#define HOTLIST_BENCH_REDIS_PEER_H

#include "peers.h"

#include <sys/types.h>

struct redis_peer {
	pid_t pid; /* the redis-server we started, or 0 */
	int port;
	int fd; /* connection, or -1 */
	char *rbuf; /* reply buffer */
	size_t rlen, rpos;
	char *wbuf; /* command buffer */
	size_t wcap;
};

/*
 * Start redis-server and connect. Returns 0, or -1 with a message on stderr
 * (redis-server not on PATH, or did not answer within a few seconds); the
 * caller then skips Redis.
 */
int redis_peer_start(struct redis_peer *r);
/* SADD the plates of keys[0..n) to set `name`. Returns 0 or -1. */
int redis_peer_fill(struct redis_peer *r, const char *name, const struct hl_key *keys, size_t n);
/*
 * SISMEMBER each of q[0..n) in set `name`, `depth` commands in flight
 * (1: one round trip per lookup). Adds the hits to t->hits. Returns 0 or -1.
 */
int redis_peer_lookup(struct redis_peer *r, const char *name, const struct hl_key *q, size_t n,
		      unsigned depth, struct bench_tally *t);
/* used_memory from INFO memory, or 0. */
size_t redis_peer_used_memory(struct redis_peer *r);
/* DEL key. */
int redis_peer_del(struct redis_peer *r, const char *name);
/* Close the connection, stop the server by its pid and reap it. */
void redis_peer_stop(struct redis_peer *r);

#endif /* HOTLIST_BENCH_REDIS_PEER_H */
