/* SPDX-License-Identifier: MIT */
/*
 * list.h — the immutable contents of a list (a "base": entries sorted in
 * runs of one key, their strings, the exact index and the pattern store)
 * and the builder that makes one (list.c). Knows nothing of versions,
 * edits or RCU. Uses: pattern, table, normalise, alloc.
 */
#ifndef HOTLIST_LIST_H
#define HOTLIST_LIST_H

#include "hotlist.h"
#include "normalise.h"
#include "table.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Entry metadata, 24 bytes, sorted so that the entries of one plate are
 * contiguous (a "run"); the last of a run has HL_M_LAST.
 *
 *   0  key_lo  8 | 8 key_hi 4 | 12 country 2 | 14 priority 1 | 15 flags 1
 *   16 category_off 4 (in strings, stored once per distinct category)
 *   20 tail_off 4: the entry's tail in strings, 0 = none (reference "",
 *      no window, plate as its key, no extras):
 *
 *      [ window: 4-byte offset, host order, unaligned ]  if HL_M_WINDOW
 *      [ plate as listed \0 ]                           if HL_M_PLATE
 *        reference \0
 *      [ id \0 n attributes ... (list.c, "Extras") ]    if HL_M_EXTRA
 *
 *   a window: valid_from_us, expires_us (int64 each, host order, 16 bytes
 *   at any alignment), stored once per distinct window while the builder's
 *   small cache holds it. No window means both are 0.
 *
 * The key is not a struct hl_key (whose 4 bytes of padding would cost 4 per
 * entry): bytes 0..11 are laid out as one, so that the index build reads
 * the keys in place (static_assert in list.c); read it with hl_meta_key().
 * The plate as listed is stored only when it differs from the key's text
 * (hotlist__key_unpack), so a hit derives it in the common case. A lookup
 * reads the index bucket only; a hit reads its run's records, the category
 * and, only for the entries that have one, the tail (the window is checked
 * against the read's time first, the rest read when the hit is called
 * back).
 */
struct hl_meta {
	uint64_t key_lo; /* struct hl_key's lo */
	uint32_t key_hi; /* struct hl_key's hi */
	hl_country country; /* 0 = any */
	uint8_t priority;
	uint8_t flags; /* HL_M_* */
	uint32_t category_off; /* in strings */
	uint32_t tail_off; /* in strings, see above */
};

#define HL_M_COVERT 0x01u
#define HL_M_LAST 0x02u
/* A hide record (see snapshot_edit.c) that applies to every category. */
#define HL_M_ANY_CATEGORY 0x04u
/* A hide record that applies to every country. */
#define HL_M_ANY_COUNTRY 0x08u
/* The entry is a wildcard pattern (key codes 37/38; pattern.c). */
#define HL_M_PATTERN 0x10u
/* The entry has an id or attributes: an extras record follows its
 * reference's NUL in the strings (list.c, "Extras"). */
#define HL_M_EXTRA 0x20u
/* The plate as listed differs from its key's text: it is in the tail. */
#define HL_M_PLATE 0x40u
/* The entry has a validity window: its offset opens the tail. */
#define HL_M_WINDOW 0x80u
/* What the tail holds: copied with it, never given to a builder as flags. */
#define HL_M_TAIL (HL_M_EXTRA | HL_M_PLATE | HL_M_WINDOW)

struct hl_patterns;

/* An immutable set of entries with its exact index. Shared by list versions
 * that only differ in their edit layer, hence the reference count. */
struct hl_base {
	struct hl_table *index; /* key -> index of the first meta of the run */
	struct hl_patterns *patterns; /* wildcard entries (pattern.c), or NULL: none */
	struct hl_meta *meta;
	size_t meta_bytes; /* as allocated (may hold more than n_meta) */
	uint32_t n_meta;
	uint32_t n_keys;
	char *strings;
	size_t strings_len;
	size_t bytes; /* everything above */
	atomic_uint refs;
};

/* Categories remembered while building, so that each is stored once. */
#define HL_CATEGORY_CACHE 8u
/* Validity windows remembered while building, likewise (a list has a few:
 * every entry valid until the end of one day, say). */
#define HL_WINDOW_CACHE 8u

/* Entries being collected, before the base is built: v becomes the base's
 * meta array as it is (no copy) unless a plate has several entries. Every
 * entry is added with HL_M_LAST (a run of one) until grouping says
 * otherwise. */
struct hl_builder {
	const struct hotlist_allocator *a;
	struct hl_meta *v;
	size_t n, cap;
	char *strings;
	size_t slen, scap;
	int failed; /* a HOTLIST_ENOMEM seen by add */
	bool patterns; /* some entry added is a pattern (HL_M_PATTERN) */
	/* the last distinct categories stored: offset and length */
	uint32_t cat_off[HL_CATEGORY_CACHE], cat_len[HL_CATEGORY_CACHE];
	unsigned cat_next;
	uint32_t last_cat; /* the last entry's category offset (0: "" or none yet) */
	/* Set by a caller whose entries' strings stay put and unchanged until
	 * the builder is finished (hotlist_replace: the caller's array): an
	 * entry whose category pointer is last_cat_in has last_cat's category,
	 * without a compare. Not set when an entry's text is in a buffer that is
	 * reused (a CSV row): there a pointer says nothing of its bytes. */
	bool fixed_input;
	const char *last_cat_in; /* the last entry's category pointer (fixed_input) */
	/* the last distinct windows stored: offset (0 = none yet) and values */
	uint32_t win_off[HL_WINDOW_CACHE];
	int64_t win[HL_WINDOW_CACHE][2];
	unsigned win_next;
	/* attribute names stored so far (offsets in strings), each stored once
	 * while the cache holds it */
	uint32_t names[HOTLIST_ATTRS_MAX * 2];
	unsigned n_names, next_name;
	/* the index built ahead on a worker thread (list.c, "Building
	 * ahead"), or NULL; entries [0, ix_published) are the worker's to read */
	struct hl_ix *ix;
	size_t ix_published;
};

void hotlist__builder_init(struct hl_builder *b, const struct hotlist_allocator *a);
void hotlist__builder_fini(struct hl_builder *b);
/* Make room for n entries and text_bytes of strings up front (a hint:
 * adding more still works). 0 or HOTLIST_ENOMEM. */
int hotlist__builder_reserve(struct hl_builder *b, size_t n, size_t text_bytes);
/*
 * Build the index on a worker thread while entries are added (list.c,
 * "Building ahead"), with this seed, which hotlist__builder_finish then
 * uses instead of its own: when the builder has room for at least
 * hotlist__build_ahead_min entries (reserve first) and the machine more than
 * one CPU online. Otherwise, or if the thread or its memory cannot be had,
 * nothing happens and finish builds the index itself. Results are the same
 * either way.
 */
void hotlist__builder_index_ahead(struct hl_builder *b, uint64_t seed, unsigned threads);
/* Whether a build-ahead worker would have a CPU of its own (list.c,
 * idle_cpu): cpus online, load1 the 1-minute load average, runnable the
 * threads runnable now (both counting the caller; -1: unknown). */
bool hotlist__worker_cpu_free(long cpus, double load1, long runnable);
/* The runnable count of a /proc/loadavg line ("0.52 0.58 0.59 3/456
 * 7890" gives 3), or -1 when the line has not that form. */
long hotlist__runnable_parse(const char *s);
/* The smallest builder capacity that builds ahead (HL_BUILD_AHEAD_MIN). Tests
 * set it before they use an engine: 0 builds every list ahead, even on one
 * CPU; SIZE_MAX none. */
extern size_t hotlist__build_ahead_min;
/*
 * Validate, normalise and append one entry. Returns 0, or a negative code
 * with reason filled (96 bytes) for a bad entry, or HOTLIST_ENOMEM.
 * flags: extra HL_M_* bits (HL_M_ANY_CATEGORY for hide records).
 */
int hotlist__builder_add(struct hl_builder *b, const struct hotlist_entry *e, unsigned flags,
			 char *reason);
/* Append entry i of base as is (for folding edits into a new base). */
int hotlist__builder_add_meta(struct hl_builder *b, const struct hl_base *base, uint32_t i);
/*
 * Build a base from everything added; identical entries are merged and
 * counted in *duplicates, entries beyond HL_RUN_MAX for one plate dropped and
 * counted in *overflow (both may be NULL). Returns 0, HOTLIST_ENOMEM, HOTLIST_ENOSPC (more
 * than 2^32 - 2 entries or 4 GiB of strings).
 */
int hotlist__builder_finish(struct hl_builder *b, uint64_t seed, struct hl_base **out,
			    uint64_t *duplicates, uint64_t *overflow);

void hotlist__base_put(struct hl_base *base, const struct hotlist_allocator *a);
static inline void hl_base_get(struct hl_base *base)
{
	/* relaxed: the caller already holds a reference, or reads the base
	 * inside an RCU read-side section of a version that holds one (so the
	 * count cannot reach zero meanwhile); nothing is published by it */
	atomic_fetch_add_explicit(&base->refs, 1, memory_order_relaxed);
}

static inline const char *hl_base_str(const struct hl_base *b, uint32_t off)
{
	return b->strings + off;
}

/* The key of entry m (bytes 0..11 of the record). */
static inline struct hl_key hl_meta_key(const struct hl_meta *m)
{
	return (struct hl_key){ .lo = m->key_lo, .hi = m->key_hi };
}

static inline const char *hl_meta_category(const struct hl_base *b, const struct hl_meta *m)
{
	return b->strings + m->category_off;
}

/* The key of entry m as text (hotlist__key_unpack): returns its length. */
static inline size_t hl_meta_unpack(const struct hl_meta *m, char out[HOTLIST_PLATE_MAX + 1])
{
	struct hl_key k = hl_meta_key(m);
	return hotlist__key_unpack(&k, out);
}

/* The validity window of entry m: *from = valid_from_us, *expires =
 * expires_us (0, 0 when it has none). */
static inline void hl_meta_window(const struct hl_base *b, const struct hl_meta *m, int64_t *from,
				  int64_t *expires)
{
	*from = *expires = 0;
	if (m->flags & HL_M_WINDOW) {
		uint32_t off;
		memcpy(&off, b->strings + m->tail_off, sizeof(off));
		memcpy(from, b->strings + off, sizeof(*from));
		memcpy(expires, b->strings + off + sizeof(*from), sizeof(*expires));
	}
}

/* The plate as listed of entry m: in b's strings, or (HL_M_PLATE clear)
 * its key's text written into buf, which is returned. */
static inline const char *hl_meta_plate(const struct hl_base *b, const struct hl_meta *m,
					char buf[HOTLIST_PLATE_MAX + 1])
{
	if (!(m->flags & HL_M_PLATE)) {
		hl_meta_unpack(m, buf);
		return buf;
	}
	return b->strings + m->tail_off + (m->flags & HL_M_WINDOW ? sizeof(uint32_t) : 0);
}

/* The reference of entry m ("" if none), in b's strings. */
static inline const char *hl_meta_reference(const struct hl_base *b, const struct hl_meta *m)
{
	const char *t = b->strings + m->tail_off;
	if (m->flags & HL_M_WINDOW)
		t += sizeof(uint32_t);
	if (m->flags & HL_M_PLATE)
		t += strlen(t) + 1;
	return t;
}

/* The id ("" if none) and attributes of entry m of base b: fills attrs
 * (HOTLIST_ATTRS_MAX of them at most, pointers into b's strings) and
 * returns their number. An entry without HL_M_EXTRA has none. Any thread. */
unsigned hotlist__meta_extras(const struct hl_base *b, const struct hl_meta *m, const char **id,
			      struct hotlist_attr *attrs);

/*
 * An entry's identity: its plate's key, country and category, hashed
 * (XXH3) from seed. The same entry of another version of the list (a
 * reload, a fold) gets the same id. Seeded with the list's name hash it
 * keys suppression and second reads (match.c: entry_id); with 0 it tells
 * the entries a change added from those the list had (load.c: retro_id).
 * In memory only: never stored, never shown. Any thread.
 */
uint64_t hotlist__meta_id(const struct hl_base *b, const struct hl_meta *m, uint64_t seed);

/* Index of the first entry of key's run, or HL_TABLE_NONE. */
static inline uint32_t hl_base_find(const struct hl_base *b, const struct hl_key *k)
{
	return b ? hotlist__table_find(b->index, k) : HL_TABLE_NONE;
}

#endif /* HOTLIST_LIST_H */
