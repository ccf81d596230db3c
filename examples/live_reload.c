/* SPDX-License-Identifier: MIT */
/*
 * Live reload from a file: load a CSV hot list, match, rewrite the file,
 * reload it while a matching thread runs, add an urgent entry by hand, and
 * show that a broken file never replaces the live list.
 *
 * Usage: live_reload [DIR]   (writes its files in DIR, default /tmp)
 */
#include <hotlist.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_bool stop;
static atomic_long matched;

static void count_hit(const struct hotlist_hit *hit, void *user)
{
	(void)hit;
	(*(int *)user)++;
}

static void *matcher(void *arg)
{
	struct hotlist *hl = arg;
	struct hotlist_read r = { .plate = "AB-123-CD", .country = "FR" };
	while (!atomic_load(&stop)) {
		int n = 0;
		hotlist_match(hl, &r, count_hit, &n);
		atomic_fetch_add(&matched, 1);
	}
	return NULL;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int hits_for(struct hotlist *hl, const char *plate)
{
	int n = 0;
	struct hotlist_read r = { .plate = plate };
	hotlist_match(hl, &r, count_hit, &n);
	return n;
}

static int load(struct hotlist *hl, const char *path)
{
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	int rc = hotlist_load_csv(hl, "national", path, &rep);
	printf("load %s: %s (rows %llu, loaded %llu, rejected %llu)\n", path,
	       rc ? hotlist_strerror(rc) : "ok", (unsigned long long)rep.rows,
	       (unsigned long long)rep.loaded, (unsigned long long)rep.rejected);
	for (unsigned i = 0; i < rep.n_errors; i++)
		printf("  line %llu: %s\n", (unsigned long long)rep.errors[i].line,
		       rep.errors[i].reason);
	return rc;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char path[4096];
	snprintf(path, sizeof(path), "%s/hotlist-live-reload-example.csv", dir);
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 0;
	cfg.suppress_window_us = 0;
	struct hotlist *hl;
	if (hotlist_create(&hl, &cfg))
		return 1;
	int ok = write_file(path, "plate;country;category\nAB-123-CD;FR;stolen vehicle\n") == 0 &&
		 load(hl, path) == 0 && hits_for(hl, "AB123CD") == 1;
	pthread_t t;
	pthread_create(&t, NULL, matcher, hl);
	/* the new day's list: AB-123-CD recovered, two new entries */
	ok = ok &&
	     write_file(path, "plate;country;category\nGZ-123-B;NL;stolen vehicle\n"
			      "1-ABC-234;BE;wanted person\n") == 0 &&
	     load(hl, path) == 0 && hits_for(hl, "AB123CD") == 0 && hits_for(hl, "GZ123B") == 1;
	/* an urgent entry, by hand */
	struct hotlist_entry urgent = {
		.plate = "XN-555-K", .country = "NL", .category = "wanted person", .priority = 0
	};
	ok = ok && hotlist_put(hl, "national", &urgent) == 0 && hits_for(hl, "XN555K") == 1;
	/* a broken export: refused, the live list stays */
	ok = ok && write_file(path, "\x01\x02garbage\x00\n") == 0 && load(hl, path) < 0 &&
	     hits_for(hl, "GZ123B") == 1 && hits_for(hl, "XN555K") == 1;
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	printf("background matches during reloads: %ld\n", atomic_load(&matched));
	hotlist_destroy(hl, NULL);
	remove(path);
	puts(ok ? "live reload: ok" : "live reload: FAILED");
	return ok ? 0 : 1;
}
