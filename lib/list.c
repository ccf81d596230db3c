/* SPDX-License-Identifier: MIT */
/*
 * list.c — building the immutable contents of a list (a "base").
 *
 * Owns: struct hl_builder (entries collected by a load, a replace or a fold)
 * and struct hl_base (what readers search). A base never changes after
 * hotlist__builder_finish() returns; it is freed when its last reference is
 * put (list versions that share it hold one each; see snapshot.c).
 *
 * Layout of a base:
 *
 *   index  (table.c)  key --> i, the first entry of the key's run
 *   meta   [ run of key A ........ LAST ][ run of key B LAST ][ ... ]
 *            48 bytes each: key, country, priority, flags, string offsets,
 *            validity window
 *   strings "\0" plate\0 category\0 reference\0 ...   (offset 0 is "")
 *
 * Extras. An entry with an id of its own or vehicle details (attributes)
 * has HL_M_EXTRA set, its reference stored afresh (never the shared "" at
 * offset 0), and right after the reference's NUL:
 *
 *   id\0  n (1 byte)  n x [ name offset (4 bytes, host order) | value\0 ]
 *
 * the names stored once per list while the builder's small name cache holds
 * them (a list has a handful of columns). An entry without extras costs
 * nothing: no field of the 48-byte meta, one flag bit.
 *
 * A reader touches the index bucket (one cache line), and only on a hit the
 * meta run and its strings. Wildcard entries (HL_M_PATTERN) are runs like
 * any other, keyed by their pattern (codes no read packs to), and are also
 * gathered in the base's pattern store (pattern.c), which is NULL for a
 * base without any. Entries of one plate (other countries, other
 * categories, other cases) share a key and sit together, so the exact index
 * holds distinct keys only.
 *
 * Building is O(n): entries are grouped by key with a temporary
 * open-addressing map of group heads (seeded XXH3, so a hostile file cannot
 * aim rows at one slot), identical rows are merged while grouping (compared
 * field by field with the group's entries: a file of 10 M identical rows
 * merges each on its first comparison),
 * and the runs are laid out in order of first appearance. A plate may carry
 * at most HL_RUN_MAX entries: a bound on what one hit can call back, and on
 * the grouping work a hostile file can cause.
 *
 * Threads: a builder belongs to one thread. A base is read-only and may be
 * read by any number of threads; its reference count is atomic.
 */
#include "list.h"

#include "alloc.h"
#include "common.h"
#include "normalise.h"
#include "pattern.h"
#include "table.h"

#include <string.h>

#define XXH_INLINE_ALL /* the grouping hash is in the build's inner loop */
#include <xxhash.h>

/* Entries one plate may have in one list (other countries, categories,
 * cases). Above it rows are rejected: nobody lists one plate 1000 times on
 * purpose, and it bounds the O(run) duplicate check. */
#define HL_RUN_MAX 1024u
/* Longest category or reference kept, in bytes. */
#define HL_TEXT_MAX 1024u
/* Distinct categories remembered while building, so each is stored once. */
#define HL_CATEGORY_CACHE 8u
#define HL_GROW_MIN 1024u

void hotlist__builder_init(struct hl_builder *b, const struct hotlist_allocator *a)
{
	memset(b, 0, sizeof(*b));
	b->a = a;
}

void hotlist__builder_fini(struct hl_builder *b)
{
	hotlist__free(b->a, b->v, b->cap * sizeof(*b->v));
	hotlist__free(b->a, b->strings, b->scap);
	b->v = NULL;
	b->strings = NULL;
	b->n = b->cap = b->slen = b->scap = 0;
}

/* Grow an array allocated with hotlist__alloc to hold at least need items. */
static void *grow(const struct hotlist_allocator *a, void *p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : HL_GROW_MIN;
	while (ncap < need)
		ncap *= 2;
	void *np = hotlist__alloc(a, ncap * size, 16);
	if (!np)
		return NULL;
	if (p) {
		memcpy(np, p, *cap * size);
		hotlist__free(a, p, *cap * size);
	}
	*cap = ncap;
	return np;
}

int hotlist__builder_reserve(struct hl_builder *b, size_t n, size_t text_bytes)
{
	if (n > b->cap) {
		struct hl_bentry *nv = grow(b->a, b->v, &b->cap, n, sizeof(*b->v));
		if (!nv)
			return HOTLIST_ENOMEM;
		b->v = nv;
	}
	if (text_bytes > b->scap) {
		char *ns = grow(b->a, b->strings, &b->scap, text_bytes, 1);
		if (!ns)
			return HOTLIST_ENOMEM;
		b->strings = ns;
	}
	return 0;
}

/* Append a string (len bytes + NUL) to the arena; returns its offset or -1. */
static int64_t put_str(struct hl_builder *b, const char *s, size_t len)
{
	if (b->slen == 0) { /* offset 0 is the empty string */
		if (!b->strings) {
			b->strings = grow(b->a, NULL, &b->scap, 4096, 1);
			if (!b->strings)
				return -1;
		}
		b->strings[0] = '\0';
		b->slen = 1;
	}
	if (len == 0)
		return 0;
	if (b->slen + len + 1 > UINT32_MAX)
		return -1;
	if (b->slen + len + 1 > b->scap) {
		char *ns = grow(b->a, b->strings, &b->scap, b->slen + len + 1, 1);
		if (!ns)
			return -1;
		b->strings = ns;
	}
	int64_t off = (int64_t)b->slen;
	memcpy(b->strings + b->slen, s, len);
	b->strings[b->slen + len] = '\0';
	b->slen += len + 1;
	return off;
}

/* Append len raw bytes to the arena; returns their offset or -1. */
static int64_t put_bytes(struct hl_builder *b, const void *s, size_t len)
{
	if (put_str(b, "", 0) < 0) /* the arena exists, offset 0 is "" */
		return -1;
	if (b->slen + len > UINT32_MAX)
		return -1;
	if (b->slen + len > b->scap) {
		char *ns = grow(b->a, b->strings, &b->scap, b->slen + len, 1);
		if (!ns)
			return -1;
		b->strings = ns;
	}
	int64_t off = (int64_t)b->slen;
	memcpy(b->strings + b->slen, s, len);
	b->slen += len;
	return off;
}

/* Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF). */
static int utf8_ok(const unsigned char *s, size_t len)
{
	static const unsigned min_cp[4] = { 0, 0x80, 0x800, 0x10000 };
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i], n;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			n = 1, c &= 0x1F;
		else if ((c & 0xF0) == 0xE0)
			n = 2, c &= 0x0F;
		else if ((c & 0xF8) == 0xF0)
			n = 3, c &= 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3F);
		}
		if (c < min_cp[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* A category offset, reusing one already stored (lists repeat a handful). */
static int64_t put_category(struct hl_builder *b, const char *s, size_t len)
{
	if (len == 0)
		return 0; /* offset 0 is "" (and s may be NULL) */
	for (size_t i = b->n, seen = 0; i-- > 0 && seen < HL_CATEGORY_CACHE; seen++) {
		const char *c = b->strings + b->v[i].m.category_off;
		if (strncmp(c, s, len) == 0 && c[len] == '\0')
			return b->v[i].m.category_off;
	}
	return put_str(b, s, len);
}

static int text_field(const char *s, const char *what, size_t *len, char *reason)
{
	*len = s ? strnlen(s, HL_TEXT_MAX + 1) : 0;
	if (*len > HL_TEXT_MAX) {
		snprintf(reason, 96, "%s longer than %u bytes", what, HL_TEXT_MAX);
		return HOTLIST_EINVAL;
	}
	if (*len && !utf8_ok((const unsigned char *)s, *len)) {
		snprintf(reason, 96, "%s is not valid UTF-8", what);
		return HOTLIST_EINVAL;
	}
	return 0;
}

/* The id and attributes of e: 1 if it has any, 0 if none, or a negative code. */
static int check_extras(const struct hotlist_entry *e, char *reason)
{
	size_t len;
	int any = 0;
	if (e->id && e->id[0]) {
		if (text_field(e->id, "id", &len, reason))
			return HOTLIST_EINVAL;
		if (len > HOTLIST_ID_MAX) {
			snprintf(reason, 96, "id longer than %d bytes", HOTLIST_ID_MAX);
			return HOTLIST_EINVAL;
		}
		any = 1;
	}
	if (e->n_attrs && !e->attrs) {
		snprintf(reason, 96, "n_attrs without attrs");
		return HOTLIST_EINVAL;
	}
	if (e->n_attrs > HOTLIST_ATTRS_MAX) {
		snprintf(reason, 96, "more than %d attributes", HOTLIST_ATTRS_MAX);
		return HOTLIST_EINVAL;
	}
	for (unsigned i = 0; i < e->n_attrs; i++) {
		const struct hotlist_attr *a = &e->attrs[i];
		if (!a->name || !a->name[0] ||
		    text_field(a->name, "attribute name", &len, reason) ||
		    len > HOTLIST_ATTR_NAME_MAX) {
			snprintf(reason, 96, "attribute %u: empty, too long or bad name", i + 1);
			return HOTLIST_EINVAL;
		}
		for (unsigned j = 0; j < i; j++)
			if (strcmp(e->attrs[j].name, a->name) == 0) {
				snprintf(reason, 96, "attribute \"%.40s\" given twice", a->name);
				return HOTLIST_EINVAL;
			}
		if (text_field(a->value, "attribute value", &len, reason))
			return HOTLIST_EINVAL;
		any |= len > 0;
	}
	return any;
}

/* An attribute name's offset, stored once while the cache holds it. */
static int64_t put_name(struct hl_builder *b, const char *name)
{
	const unsigned cap = sizeof(b->names) / sizeof(b->names[0]);
	for (unsigned i = 0; i < b->n_names; i++)
		if (strcmp(b->strings + b->names[i], name) == 0)
			return b->names[i];
	int64_t off = put_str(b, name, strlen(name));
	if (off <= 0)
		return -1;
	if (b->n_names < cap)
		b->names[b->n_names++] = (uint32_t)off;
	else
		b->names[b->next_name++ % cap] = (uint32_t)off;
	return off;
}

/* The names of e's attributes with a value, stored before the entry's
 * strings (the extras record must follow its reference directly). */
static int put_names(struct hl_builder *b, const struct hotlist_entry *e, int64_t *name_off)
{
	for (unsigned i = 0; i < e->n_attrs; i++) {
		const struct hotlist_attr *a = &e->attrs[i];
		if (a->value && a->value[0] && (name_off[i] = put_name(b, a->name)) < 0)
			return -1;
	}
	return 0;
}

/* The extras record of e (see "Extras" above), after its reference. */
static int put_extras(struct hl_builder *b, const struct hotlist_entry *e, const int64_t *name_off)
{
	const char *id = e->id ? e->id : "";
	uint8_t n = 0;
	for (unsigned i = 0; i < e->n_attrs; i++)
		n += e->attrs[i].value && e->attrs[i].value[0];
	if (put_bytes(b, id, strlen(id) + 1) < 0 || put_bytes(b, &n, 1) < 0)
		return -1;
	for (unsigned i = 0; i < e->n_attrs; i++) {
		const struct hotlist_attr *a = &e->attrs[i];
		if (!a->value || !a->value[0])
			continue;
		uint32_t off = (uint32_t)name_off[i];
		if (put_bytes(b, &off, 4) < 0 || put_bytes(b, a->value, strlen(a->value) + 1) < 0)
			return -1;
	}
	return 0;
}

/* Where the extras record of entry m starts in strings s, and its length. */
static size_t extras_at(const char *s, const struct hl_meta *m, size_t *len)
{
	size_t start = m->reference_off + strlen(s + m->reference_off) + 1, p = start;
	p += strlen(s + p) + 1;
	unsigned n = (uint8_t)s[p++];
	for (unsigned i = 0; i < n; i++) {
		p += 4;
		p += strlen(s + p) + 1;
	}
	*len = p - start;
	return start;
}

unsigned hotlist__meta_extras(const struct hl_base *b, const struct hl_meta *m, const char **id,
			      struct hotlist_attr *attrs)
{
	*id = "";
	if (!(m->flags & HL_M_EXTRA))
		return 0;
	const char *s = b->strings;
	size_t len, p = extras_at(s, m, &len);
	*id = s + p;
	p += strlen(s + p) + 1;
	unsigned n = (uint8_t)s[p++];
	for (unsigned i = 0; i < n; i++) {
		uint32_t off;
		memcpy(&off, s + p, 4);
		attrs[i].name = s + off;
		attrs[i].value = s + p + 4;
		p += 4 + strlen(s + p + 4) + 1;
	}
	return n;
}

static int check_entry(const struct hotlist_entry *e, struct hl_meta *m, char *norm, char *reason)
{
	if (!e->plate) {
		snprintf(reason, 96, "no plate");
		return HOTLIST_EPLATE;
	}
	bool pattern = hotlist__is_pattern(e->plate);
	int len = pattern ? hotlist__pattern_normalise(e->plate, norm) :
			    hotlist__normalise_plate(e->plate, norm);
	if (len < 0) {
		snprintf(reason, 96, "plate \"%.40s\" is empty, too long or not a plate", e->plate);
		return HOTLIST_EPLATE;
	}
	if (hotlist__parse_country(e->country, &m->country) < 0) {
		snprintf(reason, 96, "country \"%.16s\" is not an ISO 3166 code", e->country);
		return HOTLIST_ECOUNTRY;
	}
	if (e->priority > HOTLIST_PRIORITY_MAX) {
		snprintf(reason, 96, "priority %u is above %d", e->priority, HOTLIST_PRIORITY_MAX);
		return HOTLIST_EINVAL;
	}
	if (e->expires_us && e->expires_us <= e->valid_from_us) {
		snprintf(reason, 96, "expires before it is valid");
		return HOTLIST_EINVAL;
	}
	if (pattern)
		hotlist__key_pack_pattern(norm, (size_t)len, &m->key);
	else
		hotlist__key_pack(norm, (size_t)len, &m->key);
	m->priority = (uint8_t)e->priority;
	m->valid_from_us = e->valid_from_us;
	m->expires_us = e->expires_us;
	m->flags = (e->covert ? HL_M_COVERT : 0) | (pattern ? HL_M_PATTERN : 0);
	return 0;
}

int hotlist__builder_add(struct hl_builder *b, const struct hotlist_entry *e, unsigned flags,
			 char *reason)
{
	struct hl_meta m;
	char norm[HOTLIST_PLATE_MAX + 1];
	size_t clen, rlen;
	memset(&m, 0, sizeof(m));
	int rc = check_entry(e, &m, norm, reason);
	if (!rc)
		rc = text_field(e->category, "category", &clen, reason);
	if (!rc)
		rc = text_field(e->reference, "reference", &rlen, reason);
	int extra = rc ? rc : check_extras(e, reason);
	if (extra < 0)
		return extra;
	m.flags |= (uint8_t)flags | (extra ? HL_M_EXTRA : 0);
	if (b->n == b->cap) {
		struct hl_bentry *nv = grow(b->a, b->v, &b->cap, b->n + 1, sizeof(*b->v));
		if (!nv)
			goto nomem;
		b->v = nv;
	}
	int64_t name_off[HOTLIST_ATTRS_MAX];
	if (extra && put_names(b, e, name_off) < 0)
		goto nomem;
	int64_t p = put_str(b, e->plate, strlen(e->plate));
	int64_t c = p < 0 ? -1 : put_category(b, e->category, clen);
	int64_t r = c < 0	       ? -1 :
		    extra && rlen == 0 ? put_bytes(b, "", 1) :
					 put_str(b, e->reference, rlen);
	if (r < 0 || (extra && put_extras(b, e, name_off) < 0))
		goto nomem;
	m.plate_off = (uint32_t)p;
	m.category_off = (uint32_t)c;
	m.reference_off = (uint32_t)r;
	struct hl_bentry *be = &b->v[b->n++];
	be->m = m;
	return 0;
nomem:
	b->failed = HOTLIST_ENOMEM;
	snprintf(reason, 96, "out of memory");
	return HOTLIST_ENOMEM;
}

int hotlist__builder_add_meta(struct hl_builder *b, const struct hl_base *base, uint32_t i)
{
	const struct hl_meta *m = &base->meta[i];
	char reason[96];
	struct hotlist_entry e = {
		.plate = hl_base_str(base, m->plate_off),
		.category = hl_base_str(base, m->category_off),
		.reference = hl_base_str(base, m->reference_off),
		.priority = m->priority,
		.valid_from_us = m->valid_from_us,
		.expires_us = m->expires_us,
		.covert = (m->flags & HL_M_COVERT) != 0,
	};
	char cc[3];
	struct hotlist_attr attrs[HOTLIST_ATTRS_MAX];
	hotlist__country_str(m->country, cc);
	e.country = cc;
	e.n_attrs = hotlist__meta_extras(base, m, &e.id, attrs);
	e.attrs = attrs;
	int rc = hotlist__builder_add(
		b, &e, m->flags & ~(HL_M_COVERT | HL_M_LAST | HL_M_PATTERN | HL_M_EXTRA), reason);
	return rc == HOTLIST_ENOMEM ? rc : 0;
}

/* Equal extras records (names compared by offset: a list's names are few
 * and stored once, so equal names mostly share one; two offsets of one name
 * only make two rows count as different, never merge different ones). */
static int same_extras(const char *s, const struct hl_meta *p, const struct hl_meta *q)
{
	if (!(p->flags & HL_M_EXTRA))
		return 1; /* flags are compared first: neither has extras */
	size_t lp, lq, ap = extras_at(s, p, &lp), aq = extras_at(s, q, &lq);
	return lp == lq && memcmp(s + ap, s + aq, lp) == 0;
}

static int same_entry(const struct hl_builder *b, const struct hl_bentry *x,
		      const struct hl_bentry *y)
{
	const struct hl_meta *p = &x->m, *q = &y->m;
	return hl_key_eq(&p->key, &q->key) && p->country == q->country &&
	       p->priority == q->priority && p->flags == q->flags &&
	       p->valid_from_us == q->valid_from_us && p->expires_us == q->expires_us &&
	       strcmp(b->strings + p->plate_off, b->strings + q->plate_off) == 0 &&
	       strcmp(b->strings + p->category_off, b->strings + q->category_off) == 0 &&
	       strcmp(b->strings + p->reference_off, b->strings + q->reference_off) == 0 &&
	       same_extras(b->strings, p, q);
}

/* Temporary grouping state of hotlist__builder_finish. A map slot holds a
 * group head and 32 bits of its key's hash, so that probing past other
 * groups compares fingerprints in the map and does not load their entries
 * (a cache miss each in a build of millions). */
struct grouping {
	uint64_t *slot; /* fingerprint << 32 | head; HL_SLOT_EMPTY when free */
	uint32_t *next; /* next entry of the same group, HL_TABLE_NONE at the end */
	uint32_t *tail; /* for heads: last entry of the group */
	uint32_t *count; /* for heads: entries in the group */
	size_t mask;
	uint64_t seed;
};

#define HL_DROPPED (HL_TABLE_NONE - 1)
#define HL_SLOT_EMPTY UINT64_MAX
/* Entries hashed ahead of the one being grouped, their map slots
 * prefetched: enough to cover a DRAM miss with the grouping work between. */
#define HL_GROUP_AHEAD 16

static uint64_t group_hash(const struct grouping *g, const struct hl_key *k)
{
	return XXH3_64bits_withSeed(k, 12, g->seed);
}

/* Add j to the group of head h: 1 if merged or dropped, 0 if kept. */
static int group_join(struct hl_builder *b, struct grouping *g, uint32_t h, uint32_t j,
		      uint64_t *dups)
{
	for (uint32_t x = h; x != HL_TABLE_NONE; x = g->next[x]) {
		if (same_entry(b, &b->v[x], &b->v[j])) {
			(*dups)++;
			g->next[j] = HL_DROPPED;
			return 1;
		}
	}
	if (g->count[h] >= HL_RUN_MAX) {
		g->next[j] = HL_DROPPED;
		return 1;
	}
	g->next[g->tail[h]] = j;
	g->tail[h] = j;
	g->count[h]++;
	return 0;
}

/* Put entry j (whose key hashes to hash) in its group. */
static void group_one(struct hl_builder *b, struct grouping *g, uint32_t j, uint64_t hash,
		      uint64_t *dups)
{
	const struct hl_key *k = &b->v[j].m.key;
	uint64_t fp = hash >> 32;
	g->next[j] = HL_TABLE_NONE;
	for (size_t s = hash & g->mask;; s = (s + 1) & g->mask) {
		uint64_t v = g->slot[s];
		if (v == HL_SLOT_EMPTY) {
			g->slot[s] = fp << 32 | j;
			g->tail[j] = j;
			g->count[j] = 1;
			return;
		}
		uint32_t h = (uint32_t)v;
		if ((v >> 32) == fp && hl_key_eq(&b->v[h].m.key, k)) {
			group_join(b, g, h, j, dups);
			return;
		}
	}
}

/* Group every entry, hashing HL_GROUP_AHEAD entries ahead and prefetching
 * their slots (the map is 16 bytes per entry: far larger than the caches). */
static void group_all(struct hl_builder *b, struct grouping *g, uint64_t *dups)
{
	uint64_t ring[HL_GROUP_AHEAD];
	size_t n = b->n;
	for (size_t j = 0; j < n && j < HL_GROUP_AHEAD; j++) {
		ring[j] = group_hash(g, &b->v[j].m.key);
		__builtin_prefetch(&g->slot[ring[j] & g->mask]);
	}
	for (size_t j = 0; j < n; j++) {
		uint64_t h = ring[j % HL_GROUP_AHEAD];
		size_t ahead = j + HL_GROUP_AHEAD;
		if (ahead < n) {
			ring[ahead % HL_GROUP_AHEAD] = group_hash(g, &b->v[ahead].m.key);
			__builtin_prefetch(&g->slot[ring[ahead % HL_GROUP_AHEAD] & g->mask]);
		}
		group_one(b, g, (uint32_t)j, h, dups);
	}
}

static void grouping_free(struct hl_builder *b, struct grouping *g, size_t n)
{
	hotlist__free(b->a, g->slot, (g->mask + 1) * sizeof(uint64_t));
	hotlist__free(b->a, g->next, n * sizeof(uint32_t));
	hotlist__free(b->a, g->tail, n * sizeof(uint32_t));
	hotlist__free(b->a, g->count, n * sizeof(uint32_t));
}

static int grouping_init(struct hl_builder *b, struct grouping *g, size_t n)
{
	size_t size = 16;
	while (size < 2 * n)
		size *= 2;
	g->mask = size - 1;
	g->slot = hotlist__alloc(b->a, size * sizeof(uint64_t), 64);
	g->next = hotlist__alloc(b->a, (n ? n : 1) * sizeof(uint32_t), 64);
	g->tail = hotlist__alloc(b->a, (n ? n : 1) * sizeof(uint32_t), 64);
	g->count = hotlist__alloc(b->a, (n ? n : 1) * sizeof(uint32_t), 64);
	if (!g->slot || !g->next || !g->tail || !g->count) {
		grouping_free(b, g, n ? n : 1);
		return HOTLIST_ENOMEM;
	}
	memset(g->slot, 0xff, size * sizeof(uint64_t));
	return 0;
}

/* A base for n_meta entries; it takes the builder's string arena over (no
 * copy: at 10 M entries that is a quarter of a gigabyte). */
static struct hl_base *base_alloc(struct hl_builder *b, size_t n_meta)
{
	struct hl_base *base = hotlist__zalloc(b->a, sizeof(*base), 64);
	if (!base)
		return NULL;
	base->meta = hotlist__alloc(b->a, (n_meta ? n_meta : 1) * sizeof(struct hl_meta), 64);
	if (!base->meta || (b->slen == 0 && put_str(b, "", 0) < 0)) {
		hotlist__free(b->a, base->meta, (n_meta ? n_meta : 1) * sizeof(struct hl_meta));
		hotlist__free(b->a, base, sizeof(*base));
		return NULL;
	}
	base->n_meta = (uint32_t)n_meta; /* lay_out fills exactly n_meta */
	base->strings = b->strings;
	base->strings_len = b->scap; /* what was allocated, what is freed */
	b->strings = NULL;
	b->slen = b->scap = 0;
	atomic_init(&base->refs, 1);
	return base;
}

/* Lay the groups out in order of first appearance; fills keys/vals. */
static void lay_out(const struct hl_builder *b, const struct grouping *g, struct hl_base *base,
		    struct hl_key *keys, uint32_t *vals)
{
	uint32_t n = 0, k = 0;
	for (uint32_t j = 0; j < b->n; j++) {
		if (g->next[j] == HL_DROPPED || g->tail[j] == HL_TABLE_NONE)
			continue; /* merged, or not a group head */
		keys[k] = b->v[j].m.key;
		vals[k++] = n;
		for (uint32_t x = j; x != HL_TABLE_NONE; x = g->next[x]) {
			base->meta[n] = b->v[x].m;
			base->meta[n].flags &= (uint8_t)~HL_M_LAST;
			n++;
		}
		base->meta[n - 1].flags |= HL_M_LAST;
	}
	HL_DEBUG_ASSERT(n == base->n_meta);
	base->n_keys = k;
}

static int is_pattern_run(const struct hl_base *b, uint32_t i)
{
	return (i == 0 || (b->meta[i - 1].flags & HL_M_LAST)) && (b->meta[i].flags & HL_M_PATTERN);
}

/* The pattern store of base (NULL when it has no pattern entry): its pattern
 * runs' keys and indexes, handed to pattern.c. */
static int build_patterns(struct hl_base *base, const struct hotlist_allocator *a)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < base->n_meta; i++)
		n += (uint32_t)is_pattern_run(base, i);
	if (!n)
		return 0;
	struct hl_key *keys = hotlist__alloc(a, n * sizeof(*keys), 8);
	uint32_t *runs = hotlist__alloc(a, n * sizeof(*runs), 4);
	int rc = HOTLIST_ENOMEM;
	if (keys && runs) {
		for (uint32_t i = 0, j = 0; i < base->n_meta; i++) {
			if (is_pattern_run(base, i)) {
				keys[j] = base->meta[i].key;
				runs[j++] = i;
			}
		}
		rc = hotlist__patterns_build(&base->patterns, keys, runs, n, a);
	}
	hotlist__free(a, keys, n * sizeof(*keys));
	hotlist__free(a, runs, n * sizeof(*runs));
	return rc;
}

int hotlist__builder_finish(struct hl_builder *b, uint64_t seed, struct hl_base **out,
			    uint64_t *duplicates, uint64_t *overflow)
{
	struct grouping g;
	uint64_t merged = 0;
	size_t n = b->n;
	if (b->failed)
		return b->failed;
	if (n >= HL_DROPPED)
		return HOTLIST_ENOSPC;
	if (grouping_init(b, &g, n))
		return HOTLIST_ENOMEM;
	g.seed = seed ^ 0x9E3779B97F4A7C15ull; /* not the index's own seed */
	/* tail marks heads: HL_TABLE_NONE for entries that are not */
	memset(g.tail, 0xff, (n ? n : 1) * sizeof(uint32_t));
	group_all(b, &g, &merged);
	size_t dropped = 0;
	for (uint32_t j = 0; j < n; j++)
		dropped += g.next[j] == HL_DROPPED;
	size_t kept = n - dropped;
	int rc = HOTLIST_ENOMEM;
	struct hl_base *base = base_alloc(b, kept);
	struct hl_key *keys = hotlist__alloc(b->a, (kept ? kept : 1) * sizeof(*keys), 64);
	uint32_t *vals = hotlist__alloc(b->a, (kept ? kept : 1) * sizeof(*vals), 64);
	if (base && keys && vals) {
		lay_out(b, &g, base, keys, vals);
		rc = hotlist__table_build(&base->index, keys, vals, base->n_keys, seed, b->a);
		if (!rc)
			rc = build_patterns(base, b->a);
	}
	hotlist__free(b->a, keys, (kept ? kept : 1) * sizeof(*keys));
	hotlist__free(b->a, vals, (kept ? kept : 1) * sizeof(*vals));
	grouping_free(b, &g, n ? n : 1);
	if (rc) {
		if (base) /* index and patterns: NULL unless built */
			hotlist__base_put(base, b->a);
		return rc;
	}
	base->bytes = sizeof(*base) + hotlist__table_bytes(base->index) +
		      hotlist__patterns_bytes(base->patterns) +
		      (kept ? kept : 1) * sizeof(struct hl_meta) + base->strings_len;
	if (duplicates)
		*duplicates = merged;
	if (overflow)
		*overflow = dropped - merged;
	*out = base;
	return 0;
}

void hotlist__base_put(struct hl_base *base, const struct hotlist_allocator *a)
{
	if (!base)
		return;
	/* acq_rel: the last put must see every other holder's reads done
	 * before it frees (pairs with the other puts' release) */
	if (atomic_fetch_sub_explicit(&base->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (base->index)
		hotlist__table_free(base->index, a);
	hotlist__patterns_free(base->patterns, a);
	hotlist__free(a, base->meta, (base->n_meta ? base->n_meta : 1) * sizeof(struct hl_meta));
	hotlist__free(a, base->strings, base->strings_len);
	hotlist__free(a, base, sizeof(*base));
}
