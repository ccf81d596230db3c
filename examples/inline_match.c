/* SPDX-License-Identifier: MIT */
/*
 * Inline matching: load a small hot list from an array, match reads on the
 * caller's thread one at a time and in a batch, print the hits.
 */
#include <hotlist.h>

#include <stdio.h>

static void print_hit(const struct hotlist_hit *hit, void *user)
{
	(void)user;
	printf("HIT %-10s read %-10s -> list %s entry %s%s%s \"%s\" prio %u ref %s%s\n",
	       hit->read->camera ? hit->read->camera : "-", hit->read->plate, hit->list, hit->plate,
	       hit->country[0] ? " " : "", hit->country, hit->category, hit->priority,
	       hit->reference, hit->covert ? " (covert)" : "");
}

int main(void)
{
	static const struct hotlist_entry entries[] = {
		{ .plate = "GZ-123-B",
		  .country = "NL",
		  .category = "stolen vehicle",
		  .priority = 10,
		  .reference = "NL-2026-0001" },
		{ .plate = "1-ABC-234",
		  .country = "BE",
		  .category = "wanted person",
		  .priority = 5,
		  .reference = "BE-77" },
		{ .plate = "M-AB 1234",
		  .category = "stolen plates",
		  .priority = 20,
		  .reference = "any country" },
	};
	static const struct hotlist_read reads[] = {
		{ .plate = "gz 123 b", .country = "NL", .camera = "A12-west" },
		{ .plate = "1ABC234", .country = "nl", .camera = "A12-west" }, /* wrong country */
		{ .plate = "1-ABC-234", .camera = "N279" }, /* country unknown */
		{ .plate = "MAB1234", .country = "DE", .camera = "N279" },
		{ .plate = "XX-999-X", .country = "NL", .camera = "N279" },
	};
	struct hotlist *hl;
	struct hotlist_load_report rep = { .struct_size = sizeof(rep) };
	int rc = hotlist_create(&hl, NULL);
	if (!rc)
		rc = hotlist_replace(hl, "national", entries, 3, &rep);
	if (rc) {
		fprintf(stderr, "setup: %s\n", hotlist_strerror(rc));
		return 1;
	}
	printf("loaded %llu entries (version %llu)\n", (unsigned long long)rep.loaded,
	       (unsigned long long)rep.list_version);
	int hits = 0;
	for (size_t i = 0; i < 2; i++)
		hits += hotlist_match(hl, &reads[i], print_hit, NULL);
	hits += hotlist_match_batch(hl, &reads[2], 3, print_hit, NULL);
	printf("%d hits from 5 reads\n", hits);
	hotlist_destroy(hl, NULL);
	return hits == 3 ? 0 : 1;
}
