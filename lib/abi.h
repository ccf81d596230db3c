/* SPDX-License-Identifier: MIT */
/*
 * abi.h — the versioned public structs (docs/ABI.md): how much of a
 * caller's struct the library may read or write, decided by its struct_size
 * alone, and the copies in and out that the façade makes at the API
 * boundary. Bottom layer: includes no other module.
 *
 * Inside lib/ a struct hotlist_read or hotlist_entry is always complete (the
 * library's own layout): the façade copies the caller's struct into one when
 * its struct_size is not the library's sizeof, and the library's own
 * (designated-initializer) structs are complete by construction. So no code
 * below the façade looks at struct_size, and a field added at the end of a
 * struct needs nothing here: what is not in the caller's struct keeps the
 * default the façade put there first.
 */
#ifndef HOTLIST_ABI_H
#define HOTLIST_ABI_H

#include "common.h"
#include "hotlist.h"

#include <stddef.h>
#include <string.h>

enum hl_abi {
	HL_ABI_CONFIG,
	HL_ABI_LIST_OPTIONS,
	HL_ABI_READ,
	HL_ABI_ENTRY,
	HL_ABI_LOAD_REPORT,
	HL_ABI_LIST_INFO,
	HL_ABI_STATS,
	HL_ABI_COUNT
};

/*
 * Bytes of a caller's struct of kind s, of struct_size size, that hold
 * fields this library knows: its own sizeof when size reaches it, else the
 * end of the newest published version that fits in size (so that the
 * caller's trailing padding is never taken for a newer field); 0 when size
 * is below the V1 size (the struct is refused).
 */
size_t hotlist__abi_span(enum hl_abi s, size_t size);

/*
 * The struct_size of a caller-built read or entry: 0 stands for the V1
 * layout's sizeof (its stride in an array).
 */
size_t hotlist__abi_caller_size(enum hl_abi s, size_t struct_size);

/*
 * Input: copy the fields of src (the caller's struct, size bytes) that the
 * library knows over dst, which holds the library's defaults.
 * @return 0, or HOTLIST_EINVAL (size below V1: dst untouched).
 */
int hotlist__abi_in(enum hl_abi s, void *dst, const void *src, size_t size);

/*
 * Output: copy the library's complete struct src into the caller's dst of
 * size bytes, as far as the fields fit; bytes of dst past the library's
 * sizeof are zeroed; dst->struct_size (a size_t at offset 0 in every output
 * struct) becomes min(size, sizeof).
 * @return 0, or HOTLIST_EINVAL (size below V1: dst untouched).
 */
int hotlist__abi_out(enum hl_abi s, void *dst, const void *src, size_t size);

/*
 * The complete read for a caller's read r: r itself when it has the
 * library's layout (the hot path: no copy), else tmp, filled from r as far
 * as its struct_size reaches and zero beyond. NULL when struct_size is bad.
 */
static inline const struct hotlist_read *hotlist__abi_read(const struct hotlist_read *r,
							   struct hotlist_read *tmp)
{
	if (HL_LIKELY(r->struct_size == sizeof(*r) || r->struct_size == 0))
		return r;
	memset(tmp, 0, sizeof(*tmp));
	size_t size = hotlist__abi_caller_size(HL_ABI_READ, r->struct_size);
	return hotlist__abi_in(HL_ABI_READ, tmp, r, size) ? NULL : tmp;
}

#endif /* HOTLIST_ABI_H */
