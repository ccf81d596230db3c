/* SPDX-License-Identifier: MIT */
/*
 * A line reader on a file descriptor: the read stream of `hotlist match`
 * (a file, a pipe, a terminal) one line at a time, in bounded memory.
 *
 * Lines end at LF, CR LF or a lone CR (old Mac line ends: a stream that
 * has only those was taken as one line), and the last line may end at end
 * of input without one. The buffer starts at cap bytes and, when a line
 * does not fit, doubles up to max_cap (0: it never grows): memory is
 * bounded by max_cap, short lines cost cap. A line longer than the
 * buffer (max_cap - 1 bytes before its LF) is not kept: its tail is returned flagged
 * HL_LINE_LONG so that the caller can report it, and the reader goes on with
 * the next line.
 *
 * Signals: the reader waits for input in poll() (or ppoll() with wait_mask,
 * which lets the caller keep a signal blocked except while the reader
 * waits: a handler then never interrupts a half-done job). A handler that
 * interrupts the wait makes next() return -EINTR; the caller looks at its
 * flags and calls again, nothing is lost. after_wait (if set) runs after each
 * wait that was not interrupted, before the read: the place to take a signal
 * that is pending but was not delivered (see cmd_match.c).
 *
 * Wake fd: when wake_fd >= 0 the reader also waits for it to be readable
 * (`hotlist match --watch` passes its file watch, tools/watch.h). Readable
 * with no input ready, next() returns -EINTR as for a signal; readable
 * together with input, the input is read. Either way woken is set, for the
 * caller to clear when it has served wake_fd: under a stream that never
 * pauses the reader still polls before each read, so woken is seen within
 * one buffer of input.
 *
 * Threads: one reader per thread; no global state.
 */
#ifndef HOTLIST_TOOLS_LINEREADER_H
#define HOTLIST_TOOLS_LINEREADER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What hl_linereader_next() found (errors are negative errno values). */
enum { HL_LINE_END = 0, HL_LINE_OK = 1, HL_LINE_LONG = 2 };

struct hl_linereader {
	int fd;
	const sigset_t *wait_mask; /* NULL: poll(); else ppoll() with this mask */
	void (*after_wait)(void *user); /* NULL, or run after each wait */
	void *user;
	int wake_fd; /* -1 (set by init): none; else also waited for, see above */
	bool woken; /* wake_fd was found readable; the caller clears it */
	size_t max_cap; /* the buffer may grow to this many bytes; 0 = never grows */
	uint64_t lineno; /* 1-based number of the line last returned */
	/* private */
	char *buf;
	size_t cap, start, end;
	bool eof, skipping;
};

/*
 * Set up a reader on fd with a buffer of cap bytes (cap >= 2); the caller
 * may then set wait_mask, after_wait, user and wake_fd. The reader does not own fd.
 * @return 0, or -ENOMEM (r is then safe to pass to hl_linereader_free).
 */
int hl_linereader_init(struct hl_linereader *r, int fd, size_t cap);

/* Free the buffer (not fd). */
void hl_linereader_free(struct hl_linereader *r);

/*
 * The next line, without its LF, CRLF or CR, into *line / *len (valid until the
 * next call; no NUL terminator; NUL bytes inside are passed on).
 * @return HL_LINE_OK, HL_LINE_LONG (the tail of a line longer than the
 *         buffer; the rest was dropped), HL_LINE_END at end of input,
 *         -EINTR when a signal handler interrupted the wait or wake_fd
 *         became readable without input (call again),
 *         another negative errno on a read error.
 */
int hl_linereader_next(struct hl_linereader *r, const char **line, size_t *len);

#endif /* HOTLIST_TOOLS_LINEREADER_H */
