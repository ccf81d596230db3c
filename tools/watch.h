/* SPDX-License-Identifier: MIT */
/*
 * Watch hot-list files for `hotlist match --watch` (issue 13): say which list
 * to reload once its file has changed and then stayed the same for a settle
 * time.
 *
 * Each file's DIRECTORY is watched (inotify), not the file: replacing a file
 * by rename, the usual way exports are written, puts a new inode under the
 * name, which a watch on the old inode would never see. Events for the name
 * (created, written, closed after writing, renamed into place) make the list
 * pending; a pending list is handed to the caller once its size, mtime and
 * inode have not changed for settle_ms and differ from those of the last
 * hand-over, so a file rewritten in place in several writes is loaded once,
 * whole. A file removed (or renamed away) is reported and not handed over:
 * the caller's live list stays until a new file appears under the name.
 * A symbolic link is watched as the link, not as what it points to.
 *
 * The watch is one file descriptor (hl_watch_fd) that becomes readable when
 * there is work; the caller polls it with its input (the line reader's
 * wake_fd) and then calls hl_watch_service(), which runs the reload callback
 * on the caller's thread, between two reads.
 *
 * Linux only: elsewhere hl_watch_supported() is false and hl_watch_open()
 * fails with -ENOSYS.
 *
 * Threads: one watch per thread; the callback runs on the thread that calls
 * hl_watch_service().
 */
#ifndef HOTLIST_TOOLS_WATCH_H
#define HOTLIST_TOOLS_WATCH_H

#include <stdbool.h>
#include <stddef.h>

/* The default settle time: a file must keep its size and mtime this long
 * before it is loaded. Long enough for an exporter that writes in pieces
 * with short pauses, short enough that a new list is live within seconds. */
#define HL_WATCH_SETTLE_MS_DEFAULT 1000

struct hl_watch;

/* Reload list i (the index in the paths given to hl_watch_open). */
typedef void (*hl_watch_reload_fn)(size_t i, void *user);

/* True where hl_watch_open() can work (Linux). */
bool hl_watch_supported(void);

/*
 * Watch the directories of paths[0..n-1]; messages about the watch itself go
 * to stderr (hl_cli_err). The paths are borrowed: they must outlive the watch.
 * Open the watch before the first load, so that no change is missed.
 * @return 0 and *out; -ENOSYS (not Linux), -EINVAL (a path that names no
 *         file, such as "dir/"), -ENOMEM, or the -errno of inotify (a
 *         directory that cannot be watched: -ENOENT, -EACCES, -ENOSPC when
 *         the inotify watch limit is reached).
 */
int hl_watch_open(struct hl_watch **out, const char *const *paths, size_t n, unsigned settle_ms);

/* The descriptor to poll for reading; readable when hl_watch_service() has work. */
int hl_watch_fd(const struct hl_watch *w);

/*
 * Read the file events and the settle timer, then call reload(i, user) for
 * each list whose file has settled. Never blocks.
 */
void hl_watch_service(struct hl_watch *w, hl_watch_reload_fn reload, void *user);

/* Stop watching and free w (NULL is fine). */
void hl_watch_close(struct hl_watch *w);

#endif /* HOTLIST_TOOLS_WATCH_H */
