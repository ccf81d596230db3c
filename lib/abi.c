/* SPDX-License-Identifier: MIT */
/*
 * abi.c — the versioned public structs (docs/ABI.md, after Concurrency
 * Kit's versioned option sizes).
 *
 * Owns: the table of published sizes of every versioned struct, and the
 * compile-time checks that the public error codes are -errno and that the
 * layouts keep the properties the size rule relies on.
 *
 * The rule: a caller's struct_size s is accepted when s >= the V1 size. The
 * library then uses the first span(s) bytes: all of its own struct when s
 * reaches sizeof, else the end of the newest published version <= s. The
 * newest published version and not s itself, because a caller built with
 * an older header has trailing padding inside s where the library may now
 * have a field: those bytes are garbage, not a value.
 *
 * Adding a field at the end of a struct needs nothing here: sizeof grows,
 * and between releases no program is built against an intermediate layout.
 * At a release that grew a struct, its new HOTLIST_<NAME>_SIZE_Vn (the end
 * of its last field) is appended to the struct's row below.
 *
 * Threads: any; no state.
 */
#include "abi.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

/* The public codes are -errno where one exists (hotlist.h); a port to a
 * system where they are not has to map them, not silently differ. */
_Static_assert(HOTLIST_EINVAL == -EINVAL, "HOTLIST_EINVAL is -EINVAL");
_Static_assert(HOTLIST_ENOMEM == -ENOMEM, "HOTLIST_ENOMEM is -ENOMEM");
_Static_assert(HOTLIST_ENOENT == -ENOENT, "HOTLIST_ENOENT is -ENOENT");
_Static_assert(HOTLIST_EIO == -EIO, "HOTLIST_EIO is -EIO");
_Static_assert(HOTLIST_EAGAIN == -EAGAIN, "HOTLIST_EAGAIN is -EAGAIN");
_Static_assert(HOTLIST_ENOSPC == -ENOSPC, "HOTLIST_ENOSPC is -ENOSPC");
_Static_assert(HOTLIST_EDEADLK == -EDEADLK, "HOTLIST_EDEADLK is -EDEADLK");
_Static_assert(HOTLIST_ENOTSUP == -ENOTSUP, "HOTLIST_ENOTSUP is -ENOTSUP");
_Static_assert(HOTLIST_ESHUTDOWN == -ESHUTDOWN, "HOTLIST_ESHUTDOWN is -ESHUTDOWN");

/* Outputs (and the _init_size functions): hotlist__abi_out writes
 * struct_size at offset 0. */
_Static_assert(offsetof(struct hotlist_config, struct_size) == 0, "config: struct_size first");
_Static_assert(offsetof(struct hotlist_list_options, struct_size) == 0, "options: first");
_Static_assert(offsetof(struct hotlist_stats, struct_size) == 0, "stats: struct_size first");
_Static_assert(offsetof(struct hotlist_load_report, struct_size) == 0, "report: struct_size first");
_Static_assert(offsetof(struct hotlist_list_info, struct_size) == 0, "info: struct_size first");

/* A caller-built read or entry with struct_size 0 is the V1 layout, whose
 * stride in an array is its end rounded up to its alignment (pointers and
 * int64_t). A field with a larger alignment would change the alignment of
 * later layouts but not of V1's: this stops the build so that someone
 * thinks about it. */
#define HL_V1_ALIGN (alignof(void *) > alignof(int64_t) ? alignof(void *) : alignof(int64_t))
#define HL_ROUND_UP(x, a) (((x) + (a)-1) / (a) * (a))
_Static_assert(alignof(struct hotlist_read) == HL_V1_ALIGN, "read: alignment of V1");
_Static_assert(alignof(struct hotlist_entry) == HL_V1_ALIGN, "entry: alignment of V1");

/* Published sizes of each struct, oldest first (append at a release). */
static const size_t config_v[] = { HOTLIST_CONFIG_SIZE_V1 };
static const size_t options_v[] = { HOTLIST_LIST_OPTIONS_SIZE_V1 };
static const size_t read_v[] = { HOTLIST_READ_SIZE_V1 };
static const size_t entry_v[] = { HOTLIST_ENTRY_SIZE_V1 };
static const size_t report_v[] = { HOTLIST_LOAD_REPORT_SIZE_V1 };
static const size_t info_v[] = { HOTLIST_LIST_INFO_SIZE_V1 };
static const size_t stats_v[] = { HOTLIST_STATS_SIZE_V1 };

#define HL_ROW(v, type)                                   \
	{                                                 \
		v, sizeof(v) / sizeof(v[0]), sizeof(type) \
	}
static const struct {
	const size_t *v; /* published sizes */
	size_t n;
	size_t size; /* sizeof as this library knows it */
} kinds[HL_ABI_COUNT] = {
	[HL_ABI_CONFIG] = HL_ROW(config_v, struct hotlist_config),
	[HL_ABI_LIST_OPTIONS] = HL_ROW(options_v, struct hotlist_list_options),
	[HL_ABI_READ] = HL_ROW(read_v, struct hotlist_read),
	[HL_ABI_ENTRY] = HL_ROW(entry_v, struct hotlist_entry),
	[HL_ABI_LOAD_REPORT] = HL_ROW(report_v, struct hotlist_load_report),
	[HL_ABI_LIST_INFO] = HL_ROW(info_v, struct hotlist_list_info),
	[HL_ABI_STATS] = HL_ROW(stats_v, struct hotlist_stats),
};

size_t hotlist__abi_span(enum hl_abi s, size_t size)
{
	if (size >= kinds[s].size)
		return kinds[s].size;
	size_t span = 0;
	for (size_t i = 0; i < kinds[s].n && kinds[s].v[i] <= size; i++)
		span = kinds[s].v[i];
	return span;
}

size_t hotlist__abi_caller_size(enum hl_abi s, size_t struct_size)
{
	/* 0: the caller left it unset, so its struct is this header's. A V1
	 * stride here would misread every array built with a newer header
	 * (docs/ABI.md, rule 5). */
	return struct_size ? struct_size : kinds[s].size;
}

int hotlist__abi_in(enum hl_abi s, void *dst, const void *src, size_t size)
{
	size_t span = hotlist__abi_span(s, size);
	if (!span)
		return HOTLIST_EINVAL;
	memcpy(dst, src, span);
	return 0;
}

int hotlist__abi_out(enum hl_abi s, void *dst, const void *src, size_t size)
{
	size_t span = hotlist__abi_span(s, size);
	if (!span)
		return HOTLIST_EINVAL;
	memcpy(dst, src, span);
	if (size > kinds[s].size)
		memset((char *)dst + kinds[s].size, 0, size - kinds[s].size);
	size_t filled = size < kinds[s].size ? size : kinds[s].size;
	memcpy(dst, &filled, sizeof(filled));
	return 0;
}
