/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous camera streams: four camera threads submit reads; two engine
 * workers match them and call back. Shows backpressure (REFUSE: the error
 * is returned and counted, nothing is dropped silently) and the statistics.
 */
#include <hotlist.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

#define CAMERAS 4
#define READS_PER_CAMERA 50000

static atomic_int hits;

static void on_hit(const struct hotlist_hit *hit, void *user)
{
	(void)user;
	if (atomic_fetch_add(&hits, 1) < 3)
		printf("HIT %s %s -> %s \"%s\"\n", hit->read->camera, hit->read->plate, hit->list,
		       hit->category);
}

struct camera {
	struct hotlist *hl;
	char name[16];
	long refused;
};

static void *camera_thread(void *arg)
{
	struct camera *cam = arg;
	char plate[16];
	for (int i = 0; i < READS_PER_CAMERA; i++) {
		/* every 1000th read is a listed plate */
		if (i % 1000 == 0)
			snprintf(plate, sizeof(plate), "12-XBX-0");
		else
			snprintf(plate, sizeof(plate), "%02d-XNX-%d", i % 97, i % 10);
		struct hotlist_read r = { .plate = plate, .country = "NL", .camera = cam->name };
		int rc;
		while ((rc = hotlist_submit(cam->hl, &r)) == HOTLIST_EAGAIN) {
			cam->refused++; /* queue full: this camera decides; here, retry */
			sched_yield();
		}
		if (rc)
			fprintf(stderr, "submit: %s\n", hotlist_strerror(rc));
	}
	return NULL;
}

int main(void)
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 2;
	cfg.queue_capacity = 1024;
	cfg.backpressure = HOTLIST_REFUSE;
	cfg.on_hit = on_hit;
	cfg.suppress_window_us = 0; /* every sighting is reported in this example */
	struct hotlist *hl;
	struct hotlist_entry e = { .plate = "12-XBX-0",
				   .country = "NL",
				   .category = "stolen vehicle" };
	if (hotlist_create(&hl, &cfg) || hotlist_replace(hl, "national", &e, 1, NULL))
		return 1;
	struct camera cams[CAMERAS];
	pthread_t t[CAMERAS];
	for (int i = 0; i < CAMERAS; i++) {
		cams[i] = (struct camera){ .hl = hl };
		snprintf(cams[i].name, sizeof(cams[i].name), "cam-%02d", i);
		pthread_create(&t[i], NULL, camera_thread, &cams[i]);
	}
	long refused = 0;
	for (int i = 0; i < CAMERAS; i++) {
		pthread_join(t[i], NULL);
		refused += cams[i].refused;
	}
	hotlist_flush(hl);
	struct hotlist_stats st = { .struct_size = sizeof(st) };
	hotlist_stats(hl, &st);
	printf("reads %llu, hits %d, refused %llu (camera retries %ld), async p99 %llu ns\n",
	       (unsigned long long)st.reads, atomic_load(&hits), (unsigned long long)st.refused,
	       refused, (unsigned long long)st.async_latency.p99_ns);
	hotlist_destroy(hl, NULL);
	/* 50 listed reads per camera: i % 1000 == 0 for i < 50000 */
	return atomic_load(&hits) == CAMERAS * (READS_PER_CAMERA / 1000) ? 0 : 1;
}
