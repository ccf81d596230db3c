/* SPDX-License-Identifier: MIT */
/*
 * csv.h — hot-list file parsing (csv.c): delimiter detection, header
 * names and aliases, RFC 4180 quoting, rows handed out as struct
 * hotlist_entry. Knows nothing of lists. Uses: csvtok (the tokenizer),
 * alloc.
 */
#ifndef HOTLIST_CSV_H
#define HOTLIST_CSV_H

#include "hotlist.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Called for every data row, with the fields as an entry (strings valid
 * during the call). Returns 0 if the row was taken, else a negative code
 * and fills reason (96 bytes), and the row is counted as bad. HOTLIST_ENOMEM
 * instead stops the parse, which returns it.
 */
typedef int (*hl_csv_row_fn)(void *ctx, const struct hotlist_entry *e, uint64_t line, char *reason);
/* Called once for every bad row, in file order: rows the parser rejects (bad
 * field, too long...) and rows the row callback refused (with its code and
 * reason). The row callback itself never calls it. */
typedef void (*hl_csv_bad_fn)(void *ctx, uint64_t line, int code, const char *reason);

/*
 * Parse a hot-list CSV file: header row, ';' ',' tab or '|' (detected from the
 * header), RFC 4180 quotes, UTF-8 BOM, CRLF. Returns 0, HOTLIST_EIO,
 * HOTLIST_EBADFILE (no header, no plate column, NUL bytes in the header, not
 * text), HOTLIST_ENOMEM. Bounded memory whatever the file holds.
 */
int hotlist__csv_parse(const char *path, hl_csv_row_fn row, hl_csv_bad_fn bad, void *ctx);
/* The same over len bytes in memory, fed to the streaming parser in pieces of
 * `piece` bytes (0 = one piece); the result does not depend on piece. For
 * tests and fuzzing. */
int hotlist__csv_parse_mem(const char *buf, size_t len, size_t piece, hl_csv_row_fn row,
			   hl_csv_bad_fn bad, void *ctx);

#endif /* HOTLIST_CSV_H */
