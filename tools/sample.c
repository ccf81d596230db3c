/* SPDX-License-Identifier: MIT */
/*
 * Sample data generator; see sample.h for the contract.
 *
 * Plates are written from shape templates: '9' is a digit, 'X' a letter
 * from the country's letter set, anything else is printed as is. Each
 * country has a weighted table of shapes, roughly as often as they are seen
 * on the road today (new NL sidecodes more than old ones, the Belgian EU
 * format more than the 1973-2010 codes). Letter groups that the issuing
 * authority skips (NL "SS", "PVV", ...; FR "SS" and a leading "WW"; DE
 * recognition pairs "SS", "KZ", ...) are redrawn, so every plate written
 * here could have been issued.
 *
 * Sources for the rules: RDW sidecode table and letter rules, Belgian DIV
 * (EU format since 2010), FZV Anlage 2 (Germany), the French SIV rules
 * (no I, O, U; no SS), Luxembourg's 2003 regulation.
 */
#include "sample.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* ---- generator ------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void hl_sample_seed(struct hl_sample_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t hl_sample_next(struct hl_sample_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t hl_sample_below(struct hl_sample_rng *r, uint64_t n)
{
	u128 m = (u128)hl_sample_next(r) * n;
	uint64_t low = (uint64_t)m;

	if (low < n) {
		uint64_t threshold = -n % n;

		while (low < threshold) {
			m = (u128)hl_sample_next(r) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double hl_sample_unit(struct hl_sample_rng *r)
{
	return (double)(hl_sample_next(r) >> 11) * 0x1.0p-53;
}

/* ---- weighted choice ------------------------------------------------------ */

struct weighted {
	const char *value;
	unsigned weight;
};

static const char *pick(struct hl_sample_rng *r, const struct weighted *w, size_t n)
{
	unsigned total = 0;
	uint64_t x;

	for (size_t i = 0; i < n; i++)
		total += w[i].weight;
	x = hl_sample_below(r, total);
	for (size_t i = 0; i < n; i++) {
		if (x < w[i].weight)
			return w[i].value;
		x -= w[i].weight;
	}
	return w[n - 1].value;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- template filling ----------------------------------------------------- */

static char pick_char(struct hl_sample_rng *r, const char *set)
{
	return set[hl_sample_below(r, strlen(set))];
}

/* Fill tmpl: '9' a digit, 'X' a letter from letters, others copied. Returns length. */
static size_t fill(struct hl_sample_rng *r, const char *tmpl, const char *letters, char *out)
{
	size_t n = 0;

	for (const char *t = tmpl; *t; t++) {
		if (*t == '9')
			out[n++] = (char)('0' + hl_sample_below(r, 10));
		else if (*t == 'X')
			out[n++] = pick_char(r, letters);
		else
			out[n++] = *t;
	}
	out[n] = '\0';
	return n;
}

/* True if any maximal run of letters in s contains one of the banned strings. */
static bool has_banned(const char *s, const char *const *banned, size_t nbanned)
{
	char run[HL_SAMPLE_PLATE_CAP];
	size_t len = 0;

	for (const char *p = s;; p++) {
		if (*p >= 'A' && *p <= 'Z' && len + 1 < sizeof(run)) {
			run[len++] = *p;
			continue;
		}
		run[len] = '\0';
		for (size_t i = 0; len && i < nbanned; i++)
			if (strstr(run, banned[i]))
				return true;
		len = 0;
		if (!*p)
			return false;
	}
}

/* ---- NL --------------------------------------------------------------------- */

/* The RDW letter set from sidecode 4 on: no vowels, no C, no Q. */
#define NL_LETTERS "BDFGHJKLNPRSTVXZ"
/* First letters of passenger-car plates; sidecode 11 has only used G-K so far. */
#define NL_CAR_FIRST "GHJKLNPRSTXZ"
#define NL_SC11_FIRST "GHJK"

static const char *const nl_banned[] = { "GVD", "KKK", "NSB", "PKK", "PSV", "TBS", "SS", "SD",
					 "PVV", "SGP", "VVD", "FVD", "BBB", "KVT", "LPF" };

/* Sidecode shapes, weighted by how often they are seen on the road today. */
static const struct weighted nl_shapes[] = {
	{ "99-XX-99", 1 }, /* 3 */
	{ "XX-99-XX", 2 }, /* 4 */
	{ "XX-XX-99", 4 }, /* 5 */
	{ "99-XX-XX", 8 }, /* 6 */
	{ "99-XXX-9", 18 }, /* 7 */
	{ "9-XXX-99", 20 }, /* 8 */
	{ "XX-999-X", 22 }, /* 9 */
	{ "X-999-XX", 15 }, /* 10 */
	{ "XXX-99-X", 10 }, /* 11 */
};

/* A plate's first letter: mostly cars, some vans (V), trucks (B), mopeds (D, F). */
static char nl_first_letter(struct hl_sample_rng *r, const char *shape)
{
	static const struct weighted kinds[] = {
		{ NL_CAR_FIRST, 85 }, { "V", 8 }, { "B", 3 }, { "DF", 4 }
	};

	if (strcmp(shape, "XXX-99-X") == 0)
		return pick_char(r, NL_SC11_FIRST);
	return pick_char(r, pick(r, kinds, ARRAY_LEN(kinds)));
}

static size_t plate_nl(struct hl_sample_rng *r, char *out)
{
	const char *shape = pick(r, nl_shapes, ARRAY_LEN(nl_shapes));
	size_t n;

	do {
		n = fill(r, shape, NL_LETTERS, out);
		if (shape[0] == 'X')
			out[0] = nl_first_letter(r, shape);
	} while (has_banned(out, nl_banned, ARRAY_LEN(nl_banned)));
	return n;
}

/* ---- BE --------------------------------------------------------------------- */

#define BE_LETTERS "ABCDEFGHJKLMNPRSTUVWXYZ" /* I, O, Q avoided: too close to 1 and 0 */

static const struct weighted be_shapes[] = {
	{ "1-XXX-999", 55 }, /* EU format, index 1 (2010-2020) */
	{ "2-XXX-999", 30 }, /* EU format, index 2 (2021-) */
	{ "XXX-999", 9 }, /* code 11 (1973-2008) */
	{ "999-XXX", 4 }, /* code 12 (2008-2010) */
	{ "M-XXX-999", 2 }, /* motorcycle index letter (2014-) */
};

static size_t plate_be(struct hl_sample_rng *r, char *out)
{
	size_t n;

	do {
		n = fill(r, pick(r, be_shapes, ARRAY_LEN(be_shapes)), BE_LETTERS, out);
	} while (strstr(out, "000")); /* number 000 is not issued */
	return n;
}

/* ---- DE --------------------------------------------------------------------- */

/* Real district codes, most of them near the Dutch border (North Rhine-Westphalia,
 * Lower Saxony) and the big cities; drawn uniformly. */
static const char *const de_districts[] = {
	"B",  "HH",  "M",  "K",	 "F",  "S",  "D",  "DO",  "E",	 "AC", "KLE", "BOR",
	"H",  "HB",  "DU", "BO", "GE", "MS", "BI", "OS",  "WES", "RE", "KR",  "MG",
	"NE", "VIE", "HS", "DN", "EU", "BN", "SU", "LEV", "ME",	 "W",  "EN",  "HA",
	"UN", "COE", "ST", "EL", "GT", "PB", "N",  "HD",  "TÜ",	 "MÜ", "LÖ",  "DÜW",
};

#define ALL_LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DE_MAX_CHARS 8 /* FZV: a plate has at most 8 characters, suffix included */

static const char *const de_banned[] = { "HJ", "KZ", "NS", "SA", "SD", "SS" };

/* Characters (not bytes) of a UTF-8 string. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Digits in the number: long numbers are the common case, short ones are rare. */
static size_t de_digits(struct hl_sample_rng *r)
{
	double u = hl_sample_unit(r);

	return u < 0.45 ? 4 : u < 0.75 ? 3 : u < 0.9 ? 2 : 1;
}

static size_t plate_de(struct hl_sample_rng *r, char *out)
{
	const char *district = de_districts[hl_sample_below(r, ARRAY_LEN(de_districts))];
	size_t room = DE_MAX_CHARS - utf8_chars(district);
	size_t nletters = hl_sample_unit(r) < 0.7 ? 2 : 1;
	size_t ndigits, n;
	bool electric = hl_sample_unit(r) < 0.03 && room - nletters > 1;
	char letters[3];

	do {
		fill(r, nletters == 2 ? "XX" : "X", ALL_LETTERS, letters);
	} while (has_banned(letters, de_banned, ARRAY_LEN(de_banned)));
	room -= nletters + electric;
	ndigits = de_digits(r);
	if (ndigits > room)
		ndigits = room;
	n = (size_t)sprintf(out, "%s-%s ", district, letters);
	out[n++] = (char)('1' + hl_sample_below(r, 9)); /* no leading zero */
	while (--ndigits)
		out[n++] = (char)('0' + hl_sample_below(r, 10));
	if (electric)
		out[n++] = 'E';
	out[n] = '\0';
	return n;
}

/* ---- FR --------------------------------------------------------------------- */

#define FR_LETTERS "ABCDEFGHJKLMNPQRSTVWXYZ" /* SIV: no I, O, U */

static size_t plate_fr(struct hl_sample_rng *r, char *out)
{
	size_t n;

	do {
		n = fill(r, "XX-999-XX", FR_LETTERS, out);
	} while (!strncmp(out, "SS", 2) || !strncmp(out, "WW", 2) || !strcmp(out + 7, "SS") ||
		 !strncmp(out + 3, "000", 3));
	return n;
}

/* ---- LU --------------------------------------------------------------------- */

static const struct weighted lu_shapes[] = {
	{ "XX 9999", 85 }, /* current format, leading zeros allowed */
	{ "99999", 15 }, /* custom or old digits-only */
};

static size_t plate_lu(struct hl_sample_rng *r, char *out)
{
	return fill(r, pick(r, lu_shapes, ARRAY_LEN(lu_shapes)), ALL_LETTERS, out);
}

/* ---- public ------------------------------------------------------------------ */

size_t hl_sample_plate(struct hl_sample_rng *r, const char *country, char *out, size_t cap)
{
	static const struct {
		const char *country;
		size_t (*gen)(struct hl_sample_rng *r, char *out);
	} gens[] = { { "NL", plate_nl },
		     { "BE", plate_be },
		     { "DE", plate_de },
		     { "FR", plate_fr },
		     { "LU", plate_lu } };

	if (cap > 0)
		out[0] = '\0';
	if (!country || cap < HL_SAMPLE_PLATE_CAP)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(gens); i++)
		if (strcmp(country, gens[i].country) == 0)
			return gens[i].gen(r, out);
	return 0;
}

const char *hl_sample_country(struct hl_sample_rng *r)
{
	static const struct weighted countries[] = {
		{ "NL", 60 }, { "BE", 15 }, { "DE", 15 }, { "FR", 7 }, { "LU", 3 }
	};

	return pick(r, countries, ARRAY_LEN(countries));
}

/* Category, share of entries (per cent), and the priority it usually gets. */
static const struct {
	const char *name;
	unsigned weight;
	unsigned priority;
} categories[] = {
	{ "stolen vehicle", 35, 20 },  { "stolen plates", 15, 25 }, { "wanted person", 15, 5 },
	{ "unpaid fines", 15, 80 },    { "no insurance", 8, 90 },   { "missing person", 5, 10 },
	{ "protection order", 4, 15 }, { "gang member", 2, 30 },    { "amber alert", 1, 0 },
};

const char *hl_sample_category(struct hl_sample_rng *r)
{
	unsigned total = 0;
	uint64_t x;

	for (size_t i = 0; i < ARRAY_LEN(categories); i++)
		total += categories[i].weight;
	x = hl_sample_below(r, total);
	for (size_t i = 0; i < ARRAY_LEN(categories); i++) {
		if (x < categories[i].weight)
			return categories[i].name;
		x -= categories[i].weight;
	}
	return categories[0].name;
}

/* Spread around the category's usual priority, so lists do not all tie. */
#define PRIORITY_JITTER 5

unsigned hl_sample_priority(struct hl_sample_rng *r, const char *category)
{
	unsigned base = 50;

	for (size_t i = 0; category && i < ARRAY_LEN(categories); i++)
		if (strcmp(category, categories[i].name) == 0)
			base = categories[i].priority;
	base += (unsigned)hl_sample_below(r, PRIORITY_JITTER + 1);
	return base > HOTLIST_PRIORITY_MAX ? HOTLIST_PRIORITY_MAX : base;
}

/* The OCR-confusion classes (Genetec AutoVu's defaults). */
static const char *const ocr_classes[] = { "0ODQ", "1I", "2Z", "5S", "8B", "6G" };

static const char *ocr_class_of(char c)
{
	for (size_t i = 0; i < ARRAY_LEN(ocr_classes); i++)
		if (strchr(ocr_classes[i], c))
			return ocr_classes[i];
	return NULL;
}

static bool is_ascii_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

void hl_sample_ocr_noise(struct hl_sample_rng *r, char *plate, double p)
{
	char *w = plate;

	p = p < 0 ? 0 : p > 1 ? 1 : p;
	for (const char *s = plate; *s; s++) {
		char c = *s;
		const char *cls;

		if (!is_ascii_alnum(c)) {
			*w++ = c;
			continue;
		}
		if (hl_sample_unit(r) < p / 10)
			continue; /* dropped */
		cls = ocr_class_of(c);
		if (cls && hl_sample_unit(r) < p) {
			size_t len = strlen(cls), at = (size_t)(strchr(cls, c) - cls);

			c = cls[(at + 1 + hl_sample_below(r, len - 1)) % len];
		}
		*w++ = c;
	}
	*w = '\0';
}

/* ---- lists ----------------------------------------------------------------- */

#define REF_CAP 32
#define DAY_US (86400LL * 1000000)
#define VALIDITY_MAX_DAYS 30 /* expiry and start dates fall within a month of now */

struct hl_sample_slot {
	char plate[HL_SAMPLE_PLATE_CAP];
	char country[3];
	char reference[REF_CAP];
};

void hl_sample_list_opts_init(struct hl_sample_list_opts *o, int64_t now_us)
{
	o->covert_share = 0.02;
	o->expiring_share = 0.05;
	o->future_share = 0.01;
	o->no_country_share = 0.02;
	o->now_us = now_us;
	o->ref_prefix = "NL-2026";
}

/* A time 1 second .. VALIDITY_MAX_DAYS days away from now. */
static int64_t offset_us(struct hl_sample_rng *r)
{
	return 1000000 + (int64_t)hl_sample_below(r, VALIDITY_MAX_DAYS * DAY_US);
}

static void make_entry(struct hl_sample_list *l, struct hl_sample_rng *r, size_t i,
		       const struct hl_sample_list_opts *o)
{
	struct hotlist_entry *e = &l->entries[i];
	struct hl_sample_slot *s = &l->slots[i];
	const char *country = hl_sample_country(r);
	double u = hl_sample_unit(r);

	hl_sample_plate(r, country, s->plate, sizeof(s->plate));
	memcpy(s->country, country, 3);
	snprintf(s->reference, sizeof(s->reference), "%s-%06llu",
		 o->ref_prefix ? o->ref_prefix : "", (unsigned long long)l->serial++);
	memset(e, 0, sizeof(*e));
	e->plate = s->plate;
	e->country = hl_sample_unit(r) < o->no_country_share ? NULL : s->country;
	e->category = hl_sample_category(r);
	e->reference = s->reference;
	e->priority = hl_sample_priority(r, e->category);
	e->covert = hl_sample_unit(r) < o->covert_share;
	if (u < o->expiring_share)
		e->expires_us = o->now_us + (u < o->expiring_share / 2 ? -1 : 1) * offset_us(r);
	else if (u < o->expiring_share + o->future_share)
		e->valid_from_us = o->now_us + offset_us(r);
}

int hl_sample_list_make(struct hl_sample_list *l, struct hl_sample_rng *r, size_t n,
			const struct hl_sample_list_opts *opts)
{
	struct hl_sample_list_opts defaults;

	memset(l, 0, sizeof(*l));
	if (!opts) {
		hl_sample_list_opts_init(&defaults, 0);
		opts = &defaults;
	}
	l->entries = calloc(n ? n : 1, sizeof(*l->entries));
	l->slots = calloc(n ? n : 1, sizeof(*l->slots));
	if (!l->entries || !l->slots) {
		hl_sample_list_free(l);
		return HOTLIST_ENOMEM;
	}
	l->n = n;
	for (size_t i = 0; i < n; i++)
		make_entry(l, r, i, opts);
	return 0;
}

void hl_sample_list_renew(struct hl_sample_list *l, struct hl_sample_rng *r, size_t i,
			  const struct hl_sample_list_opts *opts)
{
	struct hl_sample_list_opts defaults;

	if (!opts) {
		hl_sample_list_opts_init(&defaults, 0);
		opts = &defaults;
	}
	if (i < l->n)
		make_entry(l, r, i, opts);
}

void hl_sample_list_free(struct hl_sample_list *l)
{
	free(l->entries);
	free(l->slots);
	memset(l, 0, sizeof(*l));
}
