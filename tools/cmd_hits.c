/* SPDX-License-Identifier: MIT */
/* `hotlist hits`: print the stored hits as JSON lines (docs/cluster.md). */
#include "cluster.h"
#include "cluster_cmds.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char hits_usage[] =
	"usage: hotlist hits [--nats URLS] [--list NAME] [--follow]\n"
	"\n"
	"Print the stored hits, oldest first, one JSON object per line: the fields\n"
	"of `hotlist match` plus hit_id, read_id, node, site, uuid and stored_us\n"
	"(when the server stored it) and seq (its sequence in the hit stream). Exits at the\n"
	"last hit, or with --follow keeps printing new ones.\n";

/* Without --follow: 10 s without a message before the end make the ordered
 * consumer again from where it stopped (on nats-server 2.9.10 one placed on
 * a replica still catching up after a restart was seen to deliver nothing
 * more for minutes); 2 minutes without one is an error. */
#define HITS_IDLE_REMAKE 2 /* NextMsg timeouts of 5 s */
#define HITS_IDLE_FAIL 24
#define HITS_SUB_TRY_US (120 * 1000000LL) /* how long to try to start reading */

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
 * stored twice; the same sequence twice would be a reader's repeat) added. */
static void print_hit(natsMsg *m, int64_t stored_us, uint64_t seq)
{
	json_t *o = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);

	if (!o) {
		fwrite(natsMsg_GetData(m), 1, (size_t)natsMsg_GetDataLength(m), stdout);
	} else {
		json_object_set_new(o, "stored_us", json_integer(stored_us));
		json_object_set_new(o, "seq", json_integer((json_int_t)seq));
		json_dumpf(o, stdout, JSON_COMPACT);
		json_decref(o);
	}
	putchar('\n');
}

int hl_cmd_hits(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nats", required_argument, NULL, 'N' },
		{ "list", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nats = NULL, *list = NULL;
	bool follow = false;
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
		else {
			fputs(hits_usage, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : 2;
		}
	}
	if (optind != argc || (list && !hl_cluster_token_ok(list))) {
		fputs(hits_usage, stderr);
		return 2;
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
			print_hit(m, meta->Timestamp / 1000, meta->Sequence.Stream);
		} else {
			print_hit(m, 0, 0);
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
	if (sub)
		natsSubscription_Unsubscribe(sub);
	natsSubscription_Destroy(sub);
out:
	hl_cluster_close(&c);
	return rc;
}
