/* SPDX-License-Identifier: MIT */
/* A tiny program built against an installed hotlist: one list, one read. */
#include <hotlist.h>
#include <stdio.h>
#include <string.h>

static void on_hit(const struct hotlist_hit *hit, void *user)
{
	(*(int *)user)++;
	printf("hit %s %s\n", hit->list, hit->plate);
}

int main(void)
{
	struct hotlist *hl;
	struct hotlist_entry e = { .plate = "GZ-123-B",
				   .country = "NL",
				   .category = "stolen vehicle" };
	struct hotlist_read r = { .plate = "gz 123 b", .country = "nl" };
	int hits = 0;
	if (hotlist_version_number() != HOTLIST_VERSION_NUMBER)
		return 1;
	if (hotlist_create(&hl, NULL) || hotlist_replace(hl, "national", &e, 1, NULL))
		return 2;
	int rc = hotlist_match(hl, &r, on_hit, &hits);
	hotlist_destroy(hl, NULL);
	return rc == 1 && hits == 1 ? 0 : 3;
}
