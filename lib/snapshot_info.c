/* SPDX-License-Identifier: MIT */
/*
 * snapshot_info.c — counting and describing list versions: the entries a
 * match can hit (counted once per version, at publication) and
 * hotlist_list_info. Part of the snapshot module (see snapshot.h).
 *
 * Threads: hotlist__snap_info is read side (any thread, wait-free);
 * hotlist__snap_count_visible is called by a writer on a version it builds.
 */
#include "snapshot.h"
#include "snapshot_impl.h"

#include "fuzzy.h"
#include "list.h"
#include "table.h"

#include <stdio.h>
#include <string.h>

uint64_t hotlist__snap_entries(struct hl_snap *snap, const char *name)
{
	const struct hl_state *st = hotlist__snap_enter(snap);
	int i = hotlist__snap_find(st, name);
	uint64_t n = i < 0 ? 0 : st->lists[i]->entries;
	hotlist__snap_exit();
	return n;
}

int hotlist__snap_info(struct hl_snap *snap, size_t i, struct hotlist_list_info *out)
{
	const struct hl_state *st = hotlist__snap_enter(snap);
	int rc = HOTLIST_ENOENT;
	if (i < st->n) {
		const struct hl_list *l = st->lists[i];
		memset(out, 0, sizeof(*out));
		snprintf(out->name, sizeof(out->name), "%s", l->name);
		out->version = l->version;
		out->entries = l->entries;
		out->pending_edits = l->n_edits;
		out->index_bytes = hotlist__table_bytes(l->base->index) +
				   hotlist__snap_ovl_index_bytes(l->ovl);
		out->memory_bytes = l->base->bytes + (l->adds ? l->adds->bytes : 0) +
				    hotlist__snap_ovl_bytes(l->ovl) + sizeof(*l) +
				    hotlist__fz_bytes(l->fz_base);
		if (l->adds)
			out->index_bytes += hotlist__table_bytes(l->adds->index);
		out->updated_us = l->updated_us;
		hotlist__score_info(l->fz_base, &l->opts, out);
		rc = 0;
	}
	hotlist__snap_exit();
	return rc;
}

uint64_t hotlist__snap_version(struct hl_snap *snap, const char *name)
{
	const struct hl_state *st = hotlist__snap_enter(snap);
	int i = hotlist__snap_find(st, name);
	uint64_t v = i >= 0 ? st->lists[i]->version : 0;
	hotlist__snap_exit();
	return v;
}
