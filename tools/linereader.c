/* SPDX-License-Identifier: MIT */
/*
 * The line reader of `hotlist match`; see linereader.h for the contract.
 *
 *   buf: [ consumed | start: unreturned bytes | end: free ]
 *
 * Complete lines are returned in place; when no LF is left in [start, end)
 * the unfinished line is moved to the front and more is read after it. A
 * buffer full of one line without LF means the line is too long: the bytes
 * are dropped (skipping) up to its LF, and that line is flagged.
 */
#include "linereader.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hl_linereader_init(struct hl_linereader *r, int fd, size_t cap)
{
	*r = (struct hl_linereader){ .fd = fd, .wake_fd = -1, .cap = cap };
	r->buf = cap >= 2 ? malloc(cap) : NULL;
	return r->buf ? 0 : -ENOMEM;
}

void hl_linereader_free(struct hl_linereader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Wait for input (and wake_fd), then read more bytes. 0, or -EINTR, or -errno. */
static int fill(struct hl_linereader *r)
{
	struct pollfd pfd[2] = { { .fd = r->fd, .events = POLLIN },
				 { .fd = r->wake_fd, .events = POLLIN } };
	nfds_t nfds = r->wake_fd >= 0 ? 2 : 1;
	ssize_t n;
	int rc = r->wait_mask ? ppoll(pfd, nfds, NULL, r->wait_mask) : poll(pfd, nfds, -1);

	if (rc < 0)
		return -errno;
	if (r->after_wait)
		r->after_wait(r->user);
	if (nfds == 2 && pfd[1].revents) {
		r->woken = true;
		if (!pfd[0].revents)
			return -EINTR;
	}
	n = read(r->fd, r->buf + r->end, r->cap - r->end);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return 0;
}

/* The first line end among the unreturned bytes: LF, CR LF or a lone CR
 * (*term: its length), or NULL. A CR that is the last byte before more
 * input may come is not an end yet: its LF may be in the next read. */
static char *line_end(const struct hl_linereader *r, size_t *term)
{
	char *end = r->buf + r->end;

	for (char *p = r->buf + r->start; p < end; p++) {
		if (*p == '\n') {
			*term = 1;
			return p;
		}
		if (*p == '\r') {
			if (p + 1 == end && !r->eof)
				return NULL;
			*term = p + 1 < end && p[1] == '\n' ? 2 : 1;
			return p;
		}
	}
	return NULL;
}

int hl_linereader_next(struct hl_linereader *r, const char **line, size_t *len)
{
	for (;;) {
		size_t term = 0;
		char *nl = line_end(r, &term);
		int rc;

		if (nl || (r->eof && r->start < r->end)) {
			size_t stop = nl ? (size_t)(nl - r->buf) : r->end;
			bool skipped = r->skipping;

			*line = r->buf + r->start;
			*len = stop - r->start;
			r->start = stop + term;
			r->skipping = false;
			r->lineno++;
			return skipped ? HL_LINE_LONG : HL_LINE_OK;
		}
		if (r->eof)
			return HL_LINE_END;
		if (r->start == 0 && r->end == r->cap && r->cap < r->max_cap && !r->skipping) {
			size_t ncap = r->cap * 2 < r->max_cap ? r->cap * 2 : r->max_cap;
			char *nb = realloc(r->buf, ncap);

			if (nb) { /* else: as if at the limit */
				r->buf = nb;
				r->cap = ncap;
			}
		}
		if (r->start == 0 && r->end == r->cap) {
			r->skipping = true; /* a line longer than the buffer */
			r->end = 0;
		}
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		rc = fill(r);
		if (rc)
			return rc;
	}
}
