/* SPDX-License-Identifier: MIT */
/*
 * Load an installed libhotlist with dlopen(), as Python's ctypes and plugin
 * hosts do, and use it: one list, one read, one hit. Then check that loading
 * it brought no allocator into the process (no jemalloc's mallctl), i.e. the
 * library left the host's malloc alone, and that dlclose() leaves it mapped.
 * Usage: consumer_dlopen [PATH/TO/libhotlist.so.0] (default: HOTLIST_SO).
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <hotlist.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

struct api {
	int (*create)(struct hotlist **, const struct hotlist_config *);
	int (*replace)(struct hotlist *, const char *, const struct hotlist_entry *, size_t,
		       struct hotlist_load_report *);
	int (*match)(struct hotlist *, const struct hotlist_read *, hotlist_hit_fn, void *);
	void (*destroy)(struct hotlist *, uint64_t *);
};

static void on_hit(const struct hotlist_hit *hit, void *user)
{
	(*(int *)user)++;
	printf("hit %s %s\n", hit->list, hit->plate);
}

/* dlsym returns void *; C11 has no conversion to a function pointer, POSIX
 * guarantees this one through the object representation. */
static int sym(void *lib, const char *name, void *fp, size_t size)
{
	void *p = dlsym(lib, name);

	if (!p || size != sizeof(p)) {
		fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
		return -1;
	}
	memcpy(fp, &p, size);
	return 0;
}

int main(int argc, char **argv)
{
#ifdef HOTLIST_SO
	const char *path = argc > 1 ? argv[1] : HOTLIST_SO;
#else
	const char *path = argc > 1 ? argv[1] : "libhotlist.so.0";
#endif
	struct hotlist_entry e = { .plate = "GZ-123-B", .country = "NL" };
	struct hotlist_read r = { .plate = "gz 123 b", .country = "nl" };
	struct hotlist *hl;
	struct api a;
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	int hits = 0, rc;

	if (!lib) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return 1;
	}
	if (sym(lib, "hotlist_create", &a.create, sizeof(a.create)) ||
	    sym(lib, "hotlist_replace", &a.replace, sizeof(a.replace)) ||
	    sym(lib, "hotlist_match", &a.match, sizeof(a.match)) ||
	    sym(lib, "hotlist_destroy", &a.destroy, sizeof(a.destroy)))
		return 2;
	if (a.create(&hl, NULL) || a.replace(hl, "national", &e, 1, NULL))
		return 3;
	rc = a.match(hl, &r, on_hit, &hits);
	a.destroy(hl, NULL);
	if (rc != 1 || hits != 1)
		return 4;
	if (dlsym(RTLD_DEFAULT, "mallctl")) {
		fprintf(stderr, "loading %s brought jemalloc into the process\n", path);
		return 5;
	}
	/* Linked -z nodelete: liburcu's reclamation thread outlives the engine,
	 * so the library must stay mapped after dlclose(). */
	dlclose(lib);
	if (!dlopen(path, RTLD_NOW | RTLD_NOLOAD)) {
		fprintf(stderr, "%s was unloaded by dlclose()\n", path);
		return 6;
	}
	printf("dlopen %s: ok\n", path);
	return 0;
}
