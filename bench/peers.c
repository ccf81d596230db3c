/* SPDX-License-Identifier: MIT */
/*
 * The exact-lookup systems of bench_lookup and bench_scaling; see peers.h.
 *
 * Each peer is used the way its documentation shows, with the layout most
 * favourable to it that a live-edited set allows:
 *
 *  plain     open addressing, linear probing over 16-byte slots
 *            {lo, hi, val}, load factor <= PLAIN_MAX_LOAD, XXH3 of the 12 key
 *            bytes, no locking and no prefetch: the DESIGN's "plain table".
 *            Its slots come from malloc (jemalloc in the benches), which
 *            does not ask for huge pages: 4 KiB pages on a machine whose
 *            THP mode is madvise (bench_plain_huge_bytes says which).
 *  plain_2m  the same table and lookup, its slots in a mapping of whole
 *            2 MiB pages (bench_map_aligned, MADV_HUGEPAGE), as
 *            lib/alloc.c gives hotlist's index: the like-for-like peer
 *            where the TLB matters (an index of tens of MiB and more).
 *  ck_hs     Concurrency Kit ck_hs, CK_HS_MODE_OBJECT | CK_HS_MODE_SPMC,
 *            pre-sized for n, each entry {lo, hi, val} (16 bytes) malloc'd on
 *            its own (a set edited live frees entries one at a time).
 *  cds_lfht  liburcu's rculfhash, urcu-bp flavour (readers need no
 *            registration), pre-sized to the next power of two >= n buckets,
 *            auto-resize on, each node {cds_lfht_node, lo, hi, val} (32 bytes)
 *            malloc'd on its own; every lookup in its own rcu_read_lock().
 *  hotlist   the library's table (lib/table.c), single and bulk.
 *
 * All hash the same 12 bytes with XXH3 (inlined) and a fixed seed.
 */
#include "peers.h"

#include "alloc.h"
#include "common.h"
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <ck_hs.h>

#include <urcu-bp.h>
#include <urcu/rculfhash.h>

/* Key bytes hashed: lo and hi, not hl_key's tail padding. */
#define KEY_BYTES 12

/* Plain table: a common default for linear probing (Knuth's analysis: ~2.5
 * probes for a miss at 0.75). */
#define PLAIN_MAX_LOAD 0.75

/* An entry as the peers store it: the 12 key bytes and the value, 16 bytes. */
struct entry {
	uint64_t lo;
	uint32_t hi;
	uint32_t val;
};

static inline uint64_t key_hash(const void *k, uint64_t seed)
{
	return XXH3_64bits_withSeed(k, KEY_BYTES, seed);
}

static inline int entry_eq(const struct entry *e, const struct hl_key *k)
{
	return ((e->lo ^ k->lo) | (uint64_t)(e->hi ^ k->hi)) == 0;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p *= 2;
	return p;
}

/* ---- plain open addressing ------------------------------------------------ */

struct plain {
	struct entry *slots; /* lo == 0 && hi == 0: empty (no plate packs to zero) */
	size_t mask;
	uint64_t seed;
	size_t n;
};

/* The slot array of the last plain table destroyed on this thread, kept for
 * the next build of the same capacity: a build then runs in memory already
 * faulted in, whatever the process's malloc does with big blocks (jemalloc
 * unmaps blocks this large when freed, so a rebuild faulted in and zeroed
 * 32 MB afresh at 1 M keys, in some processes and not others). hotlist's
 * engine recycles its retired versions' arrays the same way (lib/alloc.c),
 * so bench_reload compares two builds in steady state. */
static _Thread_local struct {
	struct entry *slots;
	size_t cap;
} plain_spare;

/* Empty p's cap slots (which also faults them in) and insert the n keys:
 * linear probing from the hash. Returns p. */
static struct plain *plain_fill(struct plain *p, size_t cap, const struct hl_key *keys,
				const uint32_t *vals, size_t n, uint64_t seed)
{
	memset(p->slots, 0, cap * sizeof(struct entry));
	p->mask = cap - 1;
	p->seed = seed;
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		size_t s = key_hash(&keys[i], seed) & p->mask;

		while (p->slots[s].lo != 0 || p->slots[s].hi != 0)
			s = (s + 1) & p->mask;
		p->slots[s] = (struct entry){ keys[i].lo, keys[i].hi, vals[i] };
	}
	return p;
}

static void *plain_build(const struct hl_key *keys, const uint32_t *vals, size_t n, uint64_t seed)
{
	struct plain *p = bench_xcalloc(1, sizeof(*p));
	size_t cap = pow2_at_least((size_t)((double)n / PLAIN_MAX_LOAD) + 1);

	if (plain_spare.slots && plain_spare.cap == cap) {
		p->slots = plain_spare.slots;
		plain_spare.slots = NULL;
	} else {
		p->slots = aligned_alloc(HL_CACHE_LINE, cap * sizeof(struct entry));
	}
	if (!p->slots) {
		free(p);
		return NULL;
	}
	return plain_fill(p, cap, keys, vals, n, seed);
}

static void plain_lookup(void *ix, const struct hl_key *q, size_t n, struct bench_tally *t)
{
	const struct plain *p = ix;
	uint64_t hits = 0, sum = 0;

	for (size_t i = 0; i < n; i++) {
		size_t s = key_hash(&q[i], p->seed) & p->mask;

		for (;; s = (s + 1) & p->mask) {
			const struct entry *e = &p->slots[s];

			if (entry_eq(e, &q[i])) {
				hits++;
				sum += e->val;
				break;
			}
			if ((e->lo | e->hi) == 0)
				break;
		}
	}
	t->hits += hits;
	t->valsum += sum;
}

static size_t plain_bytes(const void *ix)
{
	const struct plain *p = ix;

	return (p->mask + 1) * sizeof(struct entry);
}

static void plain_destroy(void *ix)
{
	struct plain *p = ix;

	free(plain_spare.slots);
	plain_spare.slots = p->slots;
	plain_spare.cap = p->mask + 1;
	free(p);
}

/* The same table with its slots on 2 MiB pages; never recycled (a build
 * maps afresh; bench_lookup builds it once per list size). */
static void *plain2m_build(const struct hl_key *keys, const uint32_t *vals, size_t n, uint64_t seed)
{
	struct plain *p = bench_xcalloc(1, sizeof(*p));
	size_t cap = pow2_at_least((size_t)((double)n / PLAIN_MAX_LOAD) + 1);

	p->slots = bench_map_aligned(cap * sizeof(struct entry), true);
	return plain_fill(p, cap, keys, vals, n, seed);
}

static void plain2m_destroy(void *ix)
{
	struct plain *p = ix;

	bench_unmap_aligned(p->slots, (p->mask + 1) * sizeof(struct entry));
	free(p);
}

size_t bench_plain_huge_bytes(const void *ix)
{
	const struct plain *p = ix;
	size_t len = (p->mask + 1) * sizeof(struct entry), huge = bench_huge_bytes(p->slots, len);

	/* smaps counts whole mappings: a malloc arena's may hold more */
	return huge < len ? huge : len;
}

const struct bench_system bench_sys_plain_2m = {
	.name = "plain_2m",
	.build = plain2m_build,
	.lookup = plain_lookup,
	.exact_bytes = plain_bytes,
	.destroy = plain2m_destroy,
	.mem = "exact",
	.what = "plain_with_its_slots_on_2MiB_pages",
};

const struct bench_system bench_sys_plain = {
	.name = "plain",
	.build = plain_build,
	.lookup = plain_lookup,
	.exact_bytes = plain_bytes,
	.destroy = plain_destroy,
	.mem = "exact",
	.what = "open_addressing_linear_probing_16B_slots_load<=0.75",
};

/* ---- Concurrency Kit ck_hs ---------------------------------------------------- */

struct ckhs {
	ck_hs_t hs;
};

static void *ck_malloc_fn(size_t size)
{
	return malloc(size);
}

static void ck_free_fn(void *p, size_t size, bool defer)
{
	(void)size;
	(void)defer; /* no concurrent readers when the bench frees */
	free(p);
}

static struct ck_malloc ck_allocator = { .malloc = ck_malloc_fn, .free = ck_free_fn };

/* ck_hs hashes objects on growth and keys on lookup: both start with the key. */
static unsigned long ckhs_hash(const void *obj, unsigned long seed)
{
	return (unsigned long)key_hash(obj, seed);
}

static bool ckhs_cmp(const void *stored, const void *key)
{
	return entry_eq(stored, key);
}

static void *ckhs_build(const struct hl_key *keys, const uint32_t *vals, size_t n, uint64_t seed)
{
	struct ckhs *c = bench_xcalloc(1, sizeof(*c));

	if (!ck_hs_init(&c->hs, CK_HS_MODE_OBJECT | CK_HS_MODE_SPMC, ckhs_hash, ckhs_cmp,
			&ck_allocator, n, seed)) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct entry *e = bench_xmalloc(sizeof(*e));

		*e = (struct entry){ keys[i].lo, keys[i].hi, vals[i] };
		if (!ck_hs_put_unique(&c->hs, CK_HS_HASH(&c->hs, ckhs_hash, e), e)) {
			fprintf(stderr, "ck_hs: put failed at %zu\n", i);
			exit(1);
		}
	}
	return c;
}

static void ckhs_lookup(void *ix, const struct hl_key *q, size_t n, struct bench_tally *t)
{
	struct ckhs *c = ix;
	uint64_t hits = 0, sum = 0;

	for (size_t i = 0; i < n; i++) {
		const struct entry *e =
			ck_hs_get(&c->hs, CK_HS_HASH(&c->hs, ckhs_hash, &q[i]), &q[i]);

		if (e) {
			hits++;
			sum += e->val;
		}
	}
	t->hits += hits;
	t->valsum += sum;
}

static size_t no_exact_bytes(const void *ix)
{
	(void)ix;
	return 0;
}

static void ckhs_destroy(void *ix)
{
	struct ckhs *c = ix;
	ck_hs_iterator_t it = CK_HS_ITERATOR_INITIALIZER;
	void *obj;

	while (ck_hs_next(&c->hs, &it, &obj))
		free(obj);
	ck_hs_destroy(&c->hs);
	free(c);
}

const struct bench_system bench_sys_ck_hs = {
	.name = "ck_hs",
	.build = ckhs_build,
	.lookup = ckhs_lookup,
	.exact_bytes = no_exact_bytes,
	.destroy = ckhs_destroy,
	.mem = "heap_delta",
	.what = "ck_hs_OBJECT|SPMC_entries_malloced_one_by_one",
};

/* ---- liburcu cds_lfht ----------------------------------------------------------- */

struct lfht_node {
	struct cds_lfht_node node;
	struct entry e;
};

struct lfht {
	struct cds_lfht *ht;
	uint64_t seed;
};

static int lfht_match(struct cds_lfht_node *node, const void *key)
{
	return entry_eq(&caa_container_of(node, struct lfht_node, node)->e, key);
}

static void *lfht_build(const struct hl_key *keys, const uint32_t *vals, size_t n, uint64_t seed)
{
	struct lfht *l = bench_xcalloc(1, sizeof(*l));

	/* max_nr_buckets 0 picks the calloc-backed bucket allocator, so the
	 * heap delta sees the buckets (the mmap one would hide them). */
	l->ht = cds_lfht_new(pow2_at_least(n), 1, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
			     NULL);
	if (!l->ht) {
		free(l);
		return NULL;
	}
	l->seed = seed;
	for (size_t i = 0; i < n; i++) {
		struct lfht_node *nd = bench_xmalloc(sizeof(*nd));

		cds_lfht_node_init(&nd->node);
		nd->e = (struct entry){ keys[i].lo, keys[i].hi, vals[i] };
		urcu_bp_read_lock(); /* cds_lfht_add_unique needs the read lock */
		cds_lfht_add_unique(l->ht, key_hash(&keys[i], seed), lfht_match, &keys[i],
				    &nd->node);
		urcu_bp_read_unlock();
	}
	return l;
}

static void lfht_lookup(void *ix, const struct hl_key *q, size_t n, struct bench_tally *t)
{
	struct lfht *l = ix;
	uint64_t hits = 0, sum = 0;

	for (size_t i = 0; i < n; i++) {
		struct cds_lfht_iter iter;
		struct cds_lfht_node *nd;

		urcu_bp_read_lock();
		cds_lfht_lookup(l->ht, key_hash(&q[i], l->seed), lfht_match, &q[i], &iter);
		nd = cds_lfht_iter_get_node(&iter);
		if (nd) {
			hits++;
			sum += caa_container_of(nd, struct lfht_node, node)->e.val;
		}
		urcu_bp_read_unlock();
	}
	t->hits += hits;
	t->valsum += sum;
}

/*
 * No reader runs when the bench destroys a table, so removed nodes could be
 * freed at once; but a node's link is still followed by the iteration that
 * removed it, so the removed nodes are chained through their (no longer
 * needed) key field and freed after the walk.
 */
static void lfht_destroy(void *ix)
{
	struct lfht *l = ix;
	struct cds_lfht_iter iter;
	struct cds_lfht_node *cur;
	struct lfht_node *nd, *dead = NULL;

	/* Not cds_lfht_for_each_entry: it applies container_of to the final NULL. */
	urcu_bp_read_lock();
	for (cds_lfht_first(l->ht, &iter); (cur = cds_lfht_iter_get_node(&iter)) != NULL;
	     cds_lfht_next(l->ht, &iter)) {
		nd = caa_container_of(cur, struct lfht_node, node);
		if (cds_lfht_del(l->ht, cur) == 0) {
			nd->e.lo = (uint64_t)(uintptr_t)dead;
			dead = nd;
		}
	}
	urcu_bp_read_unlock();
	urcu_bp_synchronize_rcu();
	while (dead) {
		nd = (struct lfht_node *)(uintptr_t)dead->e.lo;
		free(dead);
		dead = nd;
	}
	if (cds_lfht_destroy(l->ht, NULL) != 0)
		fprintf(stderr, "cds_lfht_destroy failed\n");
	free(l);
}

const struct bench_system bench_sys_cds_lfht = {
	.name = "cds_lfht",
	.build = lfht_build,
	.lookup = lfht_lookup,
	.exact_bytes = no_exact_bytes,
	.destroy = lfht_destroy,
	.mem = "heap_delta",
	.what = "liburcu_rculfhash_urcu-bp_nodes_malloced_one_by_one",
};

/* ---- hotlist table ----------------------------------------------------------------- */

static void *hl_build(const struct hl_key *keys, const uint32_t *vals, size_t n, uint64_t seed)
{
	struct hl_table *t = NULL;
	int rc = hotlist__table_build(&t, keys, vals, n, seed, hotlist__default_allocator());

	if (rc != 0) {
		fprintf(stderr, "hotlist__table_build: %s\n", hotlist_strerror(rc));
		return NULL;
	}
	return t;
}

static void hl_lookup_single(void *ix, const struct hl_key *q, size_t n, struct bench_tally *t)
{
	const struct hl_table *tab = ix;
	uint64_t hits = 0, sum = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t v = hotlist__table_find(tab, &q[i]);

		if (v != HL_TABLE_NONE) {
			hits++;
			sum += v;
		}
	}
	t->hits += hits;
	t->valsum += sum;
}

static void hl_lookup_bulk(void *ix, const struct hl_key *q, size_t n, struct bench_tally *t)
{
	const struct hl_table *tab = ix;
	uint32_t vals[BENCH_BULK];
	uint64_t hits = 0, sum = 0;

	for (size_t i = 0; i < n; i += BENCH_BULK) {
		size_t m = n - i < BENCH_BULK ? n - i : BENCH_BULK;

		hotlist__table_find_bulk(tab, &q[i], m, vals);
		for (size_t j = 0; j < m; j++) {
			if (vals[j] != HL_TABLE_NONE) {
				hits++;
				sum += vals[j];
			}
		}
	}
	t->hits += hits;
	t->valsum += sum;
}

static size_t hl_bytes(const void *ix)
{
	return hotlist__table_bytes(ix);
}

static void hl_destroy(void *ix)
{
	hotlist__table_free(ix, hotlist__default_allocator());
}

const struct bench_system bench_sys_hotlist_single = {
	.name = "hotlist_single",
	.build = hl_build,
	.lookup = hl_lookup_single,
	.exact_bytes = hl_bytes,
	.destroy = hl_destroy,
	.mem = "exact",
	.what = "hotlist__table_find",
};

const struct bench_system bench_sys_hotlist_bulk = {
	.name = "hotlist_bulk",
	.build = hl_build,
	.lookup = hl_lookup_bulk,
	.exact_bytes = hl_bytes,
	.destroy = hl_destroy,
	.mem = "exact",
	.what = "hotlist__table_find_bulk_64",
};
