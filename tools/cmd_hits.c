/* SPDX-License-Identifier: MIT */
/* `hotlist hits`: print the stored hits as JSON lines (docs/cluster.md). */
#include "cluster.h"
#include "cluster_cmds.h"

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

static const char hits_usage[] =
	"usage: hotlist hits [--nats URLS] [--list NAME] [--follow] [--all-copies]\n"
	"\n"
	"Print the stored hits, oldest first, one JSON object per line: the fields\n"
	"of `hotlist match` plus hit_id, read_id, node, site, uuid and stored_us\n"
	"(when the server stored it) and seq (its sequence in the hit stream). Exits at the\n"
	"last hit, or with --follow keeps printing new ones.\n"
	"\n"
	"Each hit is printed once: a stored copy of a hit whose hit_id was already\n"
	"printed in this run (among the last 1 M printed) is skipped, and counted on\n"
	"stderr. --all-copies prints every stored message, copies too.\n";

/* Without --follow: 10 s without a message before the end make the ordered
 * consumer again from where it stopped (on nats-server 2.9.10 one placed on
 * a replica still catching up after a restart was seen to deliver nothing
 * more for minutes); 2 minutes without one is an error. */
#define HITS_IDLE_REMAKE 2 /* NextMsg timeouts of 5 s */
#define HITS_IDLE_FAIL 24
#define HITS_SUB_TRY_US (120 * 1000000LL) /* how long to try to start reading */

/* The hit ids printed in this run, so that each hit is printed once although
 * a hit was once stored twice (docs/cluster.md, "Limits": two copies of one
 * hit id, seconds apart, after two of three servers died). Bounded: the last
 * SEEN_MAX ids printed, the oldest forgotten first (FIFO), so a copy stored
 * more than SEEN_MAX hits after the first is printed again. Exact: ids are
 * compared as strings, never by their hash alone (a hash collision must not
 * hide a hit). A ring of the ids in the order printed, and an open-addressing
 * index of ring positions (linear probing, at most half full; deletion by
 * backward shift, so no tombstones pile up as the ring turns over). */
#define SEEN_MAX (1u << 20) /* ~1 M ids: 16 MB of ring and index, ~48 MB of ids when full */

struct seen {
	char **ring; /* the ids in the order printed; ring[next] is the oldest once full */
	uint32_t *slot; /* the index: 0 empty, else a ring position + 1 */
	size_t max, n, next, mask;
};

static int seen_init(struct seen *s, size_t max)
{
	size_t cap = 2;

	while (cap < 2 * max)
		cap *= 2;
	s->ring = calloc(max, sizeof(*s->ring));
	s->slot = calloc(cap, sizeof(*s->slot));
	s->max = max;
	s->n = s->next = 0;
	s->mask = cap - 1;
	return s->ring && s->slot ? 0 : -1;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; s->ring && i < s->max; i++)
		free(s->ring[i]);
	free(s->ring);
	free(s->slot);
}

static size_t seen_home(const struct seen *s, const char *id)
{
	return (size_t)XXH3_64bits(id, strlen(id)) & s->mask;
}

static bool seen_has(const struct seen *s, const char *id)
{
	for (size_t i = seen_home(s, id); s->slot[i]; i = (i + 1) & s->mask)
		if (!strcmp(s->ring[s->slot[i] - 1], id))
			return true;
	return false;
}

/* Forget the id at ring position pos: empty its index slot, then move back
 * each later entry of the probe run whose home is not in (hole, entry]
 * (Knuth's algorithm R), so every id stays reachable from its home. */
static void seen_forget(struct seen *s, size_t pos)
{
	size_t i = seen_home(s, s->ring[pos]), j;

	while (s->slot[i] != pos + 1)
		i = (i + 1) & s->mask;
	for (j = (i + 1) & s->mask; s->slot[j]; j = (j + 1) & s->mask) {
		size_t k = seen_home(s, s->ring[s->slot[j] - 1]);

		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			s->slot[i] = s->slot[j];
			i = j;
		}
	}
	s->slot[i] = 0;
	free(s->ring[pos]);
	s->ring[pos] = NULL;
	s->n--;
}

/* Remember id (not there yet), forgetting the oldest when full. Out of
 * memory it is not remembered: a later copy is printed, never a hit lost. */
static void seen_add(struct seen *s, const char *id)
{
	char *copy;
	size_t i;

	if (s->n == s->max)
		seen_forget(s, s->next);
	copy = strdup(id);
	if (!copy)
		return;
	for (i = seen_home(s, id); s->slot[i]; i = (i + 1) & s->mask)
		;
	s->ring[s->next] = copy;
	s->slot[i] = (uint32_t)s->next + 1;
	s->next = (s->next + 1) % s->max;
	s->n++;
}

/* The last stored hit's stream sequence, of one list (subject) or of all
 * (NULL); 0 when there is none. 0 or -1. */
static int last_seq(struct hl_cluster *c, const char *subject, uint64_t *last)
{
	natsMsg *m = NULL;
	jsErrCode e = 0;
	natsStatus s;

	if (!subject)
		return hl_cluster_stream_last(c, HL_STREAM_HITS, last);
	s = js_GetLastMsg(&m, c->js, HL_STREAM_HITS, subject, NULL, &e);
	if (s == NATS_NOT_FOUND || e == JSNoMessageFoundErr) {
		*last = 0;
		return 0;
	}
	if (s != NATS_OK) {
		fprintf(stderr, "hotlist hits: %s: %s\n", subject, natsStatus_GetText(s));
		return -1;
	}
	*last = natsMsg_GetSequence(m);
	natsMsg_Destroy(m);
	return 0;
}

/* The stored hit with the time the server stored it (stored_us) and its
 * stream sequence (seq: two copies of one hit id with two sequences were
 * stored twice; the same sequence twice would be a reader's repeat) added.
 * With seen (not --all-copies): false, nothing printed, when its hit_id was
 * printed before; a message without a hit_id (not JSON, an older format) is
 * always printed. */
static bool print_hit(natsMsg *m, int64_t stored_us, uint64_t seq, struct seen *seen)
{
	json_t *o = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
	const char *id = seen ? json_string_value(json_object_get(o, "hit_id")) : NULL;

	if (id && seen_has(seen, id)) {
		json_decref(o);
		return false;
	}
	if (id)
		seen_add(seen, id);
	if (!o) {
		fwrite(natsMsg_GetData(m), 1, (size_t)natsMsg_GetDataLength(m), stdout);
	} else {
		json_object_set_new(o, "stored_us", json_integer(stored_us));
		json_object_set_new(o, "seq", json_integer((json_int_t)seq));
		json_dumpf(o, stdout, JSON_COMPACT);
		json_decref(o);
	}
	putchar('\n');
	return true;
}

int hl_cmd_hits(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nats", required_argument, NULL, 'N' },
		{ "list", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ "all-copies", no_argument, NULL, 'A' },
		/* Tests only: remember fewer ids, to see the oldest forgotten. */
		{ "test-seen-max", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nats = NULL, *list = NULL;
	bool follow = false, all_copies = false;
	struct seen seen = { 0 };
	unsigned long seen_max = SEEN_MAX;
	uint64_t skipped = 0;
	struct hl_cluster_limits lim;
	struct hl_cluster c;
	natsSubscription *sub = NULL;
	char subject[128];
	uint64_t last = 0, next = 0;
	int ch, rc = 1, idle = 0;

	optind = 0; /* 0: GNU getopt starts afresh (main parsed with "+") */
	while ((ch = getopt_long(argc, argv, "N:l:fh", opts, NULL)) != -1) {
		if (ch == 'N')
			nats = optarg;
		else if (ch == 'l')
			list = optarg;
		else if (ch == 'f')
			follow = true;
		else if (ch == 'A')
			all_copies = true;
		else if (ch == 'S')
			seen_max = strtoul(optarg, NULL, 10);
		else {
			fputs(hits_usage, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : 2;
		}
	}
	if (optind != argc || (list && !hl_cluster_token_ok(list)) || seen_max == 0 ||
	    seen_max > SEEN_MAX) {
		fputs(hits_usage, stderr);
		return 2;
	}
	if (!all_copies && seen_init(&seen, seen_max)) {
		fprintf(stderr, "hotlist hits: out of memory\n");
		seen_free(&seen);
		return 1;
	}
	hl_cluster_limits_init(&lim);
	lim.reads = false; /* made by nodes and producers, with their options */
	snprintf(subject, sizeof(subject), "%s.%s", HL_SUBJ_HIT, list ? list : ">");
	/* The end: the last hit of this list (the stream's last may be another's). */
	if (hl_cluster_open(&c, nats, &lim) || last_seq(&c, list ? subject : NULL, &last))
		goto out;
	/* nats-server 2.9.10 places the ordered consumer on any replica of the
	 * hit stream, a dead one too (each such try times out): with one server
	 * of three down, three tries all failed once. Try for 2 minutes. */
	for (int64_t end = hl_cluster_now_us() + HITS_SUB_TRY_US;
	     hl_cluster_ordered(&c, &sub, subject, 0) != NATS_OK;) {
		if (hl_cluster_now_us() > end) {
			fprintf(stderr, "hotlist hits: cannot read the hit stream\n");
			goto out;
		}
		usleep(200 * 1000);
	}
	rc = 0;
	/* Without --follow: up to the message with no more pending behind it. */
	while (follow || last > 0) {
		natsMsg *m = NULL;
		jsMsgMetaData *meta = NULL;
		natsStatus s = natsSubscription_NextMsg(&m, sub, 5000);
		bool end = false;

		if (s == NATS_TIMEOUT && !follow && ++idle >= HITS_IDLE_FAIL) {
			fprintf(stderr,
				"hotlist hits: nothing delivered for %d s before the last hit "
				"(sequence %llu)\n",
				idle * 5, (unsigned long long)last);
			rc = 1;
			break;
		}
		if (s == NATS_TIMEOUT && !follow && idle % HITS_IDLE_REMAKE == 0) {
			natsSubscription_Unsubscribe(sub);
			natsSubscription_Destroy(sub);
			sub = NULL;
			if (hl_cluster_ordered(&c, &sub, subject, next) != NATS_OK) {
				fprintf(stderr, "hotlist hits: cannot read the hit stream\n");
				rc = 1;
				break;
			}
		}
		if (s == NATS_TIMEOUT)
			continue;
		if (s != NATS_OK) {
			fprintf(stderr, "hotlist hits: %s\n", natsStatus_GetText(s));
			rc = 1;
			break;
		}
		idle = 0;
		if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
			next = meta->Sequence.Stream + 1;
			end = meta->NumPending == 0 && meta->Sequence.Stream >= last;
			if (!print_hit(m, meta->Timestamp / 1000, meta->Sequence.Stream,
				       all_copies ? NULL : &seen)) {
				skipped++;
				if (follow)
					fprintf(stderr,
						"hotlist hits: a copy of a hit already printed "
						"skipped (sequence %llu)\n",
						(unsigned long long)meta->Sequence.Stream);
			}
		} else if (!print_hit(m, 0, 0, all_copies ? NULL : &seen)) {
			skipped++;
		}
		jsMsgMetaData_Destroy(meta);
		natsMsg_Destroy(m);
		if (follow)
			fflush(stdout);
		else if (end)
			break;
	}
	if (fflush(stdout))
		rc = 1;
	if (skipped)
		fprintf(stderr, "hotlist hits: %llu copies of hits already printed skipped\n",
			(unsigned long long)skipped);
	if (sub)
		natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
out:
	hl_cluster_close(&c);
	seen_free(&seen);
	return rc;
}
