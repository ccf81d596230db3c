/* SPDX-License-Identifier: MIT */
/*
 * The line reader of `hotlist match` (tools/linereader.c) on pipes: lines
 * split across reads and writes, CRLF, lines longer than the buffer, end of
 * input without LF, NUL bytes, and a wait interrupted by a signal (EINTR),
 * with and without a wait mask, and a wake fd. Every input is fed through a real pipe so
 * that the reader's poll/read path is the one `match` runs.
 */
#include "linereader.h"
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* A pipe holding s (n bytes), write end closed: the reader sees s then EOF. */
static int pipe_with(const char *s, size_t n)
{
	int fd[2];

	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], s, n), (ssize_t)n);
	close(fd[1]);
	return fd[0];
}

/* The next line must be rc with text want. */
static void expect_line(struct hl_linereader *r, int rc, const char *want)
{
	const char *line = NULL;
	size_t len = 0;

	ck_assert_int_eq(hl_linereader_next(r, &line, &len), rc);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(memcmp(line, want, len) == 0);
}

static void expect_end(struct hl_linereader *r)
{
	const char *line;
	size_t len;

	ck_assert_int_eq(hl_linereader_next(r, &line, &len), HL_LINE_END);
	ck_assert_int_eq(hl_linereader_next(r, &line, &len), HL_LINE_END);
}

START_TEST(test_lines_and_numbers)
{
	static const char in[] = "one\ntwo\n\nfour\n";
	struct hl_linereader r;

	ck_assert_int_eq(hl_linereader_init(&r, pipe_with(in, sizeof(in) - 1), 64), 0);
	expect_line(&r, HL_LINE_OK, "one");
	expect_line(&r, HL_LINE_OK, "two");
	expect_line(&r, HL_LINE_OK, "");
	expect_line(&r, HL_LINE_OK, "four");
	ck_assert_uint_eq(r.lineno, 4);
	expect_end(&r);
	close(r.fd);
	hl_linereader_free(&r);
}
END_TEST

/* Lines that straddle the buffer's end are carried over and completed. */
START_TEST(test_partial_lines_across_reads)
{
	static const char in[] = "abcdefghij\nklmnopqrst\nuv\nwxyz0123\n";
	struct hl_linereader r;

	ck_assert_int_eq(hl_linereader_init(&r, pipe_with(in, sizeof(in) - 1), 16), 0);
	expect_line(&r, HL_LINE_OK, "abcdefghij");
	expect_line(&r, HL_LINE_OK, "klmnopqrst");
	expect_line(&r, HL_LINE_OK, "uv");
	expect_line(&r, HL_LINE_OK, "wxyz0123");
	expect_end(&r);
	close(r.fd);
	hl_linereader_free(&r);
}
END_TEST

struct writer {
	int fd;
	const char *const *pieces;
};

/* Writes each piece with a pause between, then closes: a slow camera. */
static void *slow_writer(void *arg)
{
	const struct writer *w = arg;

	for (const char *const *p = w->pieces; *p; p++) {
		if (write(w->fd, *p, strlen(*p)) < 0)
			break;
		usleep(20000);
	}
	close(w->fd);
	return NULL;
}

/* A line written in pieces (the reader sees each piece alone, or several at
 * once on a slow machine: the lines are the same either way). */
START_TEST(test_partial_lines_across_writes)
{
	static const char *const pieces[] = { "par", "tial\nsec", "ond", "\nthird", NULL };
	struct hl_linereader r;
	struct writer w = { .pieces = pieces };
	pthread_t t;
	int fd[2];

	ck_assert_int_eq(pipe(fd), 0);
	w.fd = fd[1];
	ck_assert_int_eq(hl_linereader_init(&r, fd[0], 64), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, slow_writer, &w), 0);
	expect_line(&r, HL_LINE_OK, "partial");
	expect_line(&r, HL_LINE_OK, "second");
	expect_line(&r, HL_LINE_OK, "third");
	expect_end(&r);
	pthread_join(t, NULL);
	close(fd[0]);
	hl_linereader_free(&r);
}
END_TEST

/* CRLF ends a line like LF; a lone CR elsewhere is data. */
START_TEST(test_crlf)
{
	static const char in[] = "a,b\r\nc\rd\r\n\r\nlast\r";
	struct hl_linereader r;

	ck_assert_int_eq(hl_linereader_init(&r, pipe_with(in, sizeof(in) - 1), 64), 0);
	expect_line(&r, HL_LINE_OK, "a,b");
	expect_line(&r, HL_LINE_OK, "c"); /* a lone CR ends a line too */
	expect_line(&r, HL_LINE_OK, "d");
	expect_line(&r, HL_LINE_OK, "");
	expect_line(&r, HL_LINE_OK, "last");
	ck_assert_uint_eq(r.lineno, 5);
	expect_end(&r);
	close(r.fd);
	hl_linereader_free(&r);
}
END_TEST

/* A stream with CR-only line ends (old Mac) is lines, not one line; a CR
 * at the end of one read and its LF in the next are one CRLF. */
START_TEST(test_cr_only)
{
	static const char in[] = "h1,h2\rA,1\rB,2\r";
	struct hl_linereader r;
	int fd[2];

	ck_assert_int_eq(hl_linereader_init(&r, pipe_with(in, sizeof(in) - 1), 64), 0);
	expect_line(&r, HL_LINE_OK, "h1,h2");
	expect_line(&r, HL_LINE_OK, "A,1");
	expect_line(&r, HL_LINE_OK, "B,2");
	expect_end(&r);
	close(r.fd);
	hl_linereader_free(&r);
	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(hl_linereader_init(&r, fd[0], 64), 0);
	ck_assert_int_eq(write(fd[1], "x\r", 2), 2);
	ck_assert_int_eq(write(fd[1], "\ny\n", 3), 3);
	close(fd[1]);
	expect_line(&r, HL_LINE_OK, "x");
	expect_line(&r, HL_LINE_OK, "y");
	expect_end(&r);
	close(fd[0]);
	hl_linereader_free(&r);
}
END_TEST

START_TEST(test_eof_without_newline)
{
	static const char in[] = "first\nno newline";
	struct hl_linereader r;

	ck_assert_int_eq(hl_linereader_init(&r, pipe_with(in, sizeof(in) - 1), 64), 0);
	expect_line(&r, HL_LINE_OK, "first");
	expect_line(&r, HL_LINE_OK, "no newline");
	ck_assert_uint_eq(r.lineno, 2);
	expect_end(&r);
	close(r.fd);
	hl_linereader_free(&r);
}
END_TEST

START_TEST(test_empty_input)
{
	struct hl_linereader r;

	ck_assert_int_eq(hl_linereader_init(&r, pipe_with("", 0), 64), 0);
	expect_end(&r);
	ck_assert_uint_eq(r.lineno, 0);
	close(r.fd);
	hl_linereader_free(&r);
}
END_TEST

/* A line longer than the buffer is flagged once (with its tail) and the
 * lines around it come through whole, with the right numbers. */
START_TEST(test_line_longer_than_buffer)
{
	char in[256];
	struct hl_linereader r;
	size_t n = 0;

	n += (size_t)sprintf(in + n, "short\n");
	memset(in + n, 'x', 100);
	n += 100;
	n += (size_t)sprintf(in + n, "TAIL\nafter\n");
	memset(in + n, 'y', 40); /* too long again, and at EOF without LF */
	n += 40;
	ck_assert_int_eq(hl_linereader_init(&r, pipe_with(in, n), 16), 0);
	expect_line(&r, HL_LINE_OK, "short");
	{
		const char *line;
		size_t len;

		ck_assert_int_eq(hl_linereader_next(&r, &line, &len), HL_LINE_LONG);
		ck_assert_uint_eq(r.lineno, 2);
		ck_assert(len < 16);
		ck_assert(len >= 4 && memcmp(line + len - 4, "TAIL", 4) == 0);
		expect_line(&r, HL_LINE_OK, "after");
		ck_assert_uint_eq(r.lineno, 3);
		ck_assert_int_eq(hl_linereader_next(&r, &line, &len), HL_LINE_LONG);
		ck_assert_uint_eq(r.lineno, 4);
	}
	expect_end(&r);
	close(r.fd);
	hl_linereader_free(&r);
}
END_TEST

/* The longest line that fits: cap - 1 bytes and its LF. */
START_TEST(test_line_exactly_fits)
{
	static const char in[] = "0123456789abcde\nnext\n"; /* 15 bytes + LF, cap 16 */
	struct hl_linereader r;

	ck_assert_int_eq(hl_linereader_init(&r, pipe_with(in, sizeof(in) - 1), 16), 0);
	expect_line(&r, HL_LINE_OK, "0123456789abcde");
	expect_line(&r, HL_LINE_OK, "next");
	expect_end(&r);
	close(r.fd);
	hl_linereader_free(&r);
}
END_TEST

START_TEST(test_nul_bytes_passed_on)
{
	static const char in[] = "a\0b\n";
	struct hl_linereader r;
	const char *line;
	size_t len;

	ck_assert_int_eq(hl_linereader_init(&r, pipe_with(in, sizeof(in) - 1), 16), 0);
	ck_assert_int_eq(hl_linereader_next(&r, &line, &len), HL_LINE_OK);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(line, "a\0b", 3) == 0);
	expect_end(&r);
	close(r.fd);
	hl_linereader_free(&r);
}
END_TEST

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
}

static void install(int sig)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

/* Without a wait mask: a handler that interrupts the wait gives -EINTR, and
 * the next call goes on where it was (nothing read is lost). */
START_TEST(test_eintr_plain_wait)
{
	struct itimerval once = { .it_value = { .tv_usec = 50000 } };
	struct hl_linereader r;
	const char *line;
	size_t len;
	int fd[2];

	install(SIGALRM);
	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], "par", 3), 3);
	ck_assert_int_eq(hl_linereader_init(&r, fd[0], 64), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &once, NULL), 0);
	/* "par" is read, then the reader waits for the rest until the alarm. */
	ck_assert_int_eq(hl_linereader_next(&r, &line, &len), -EINTR);
	ck_assert(got_signal);
	ck_assert_int_eq(write(fd[1], "tial\n", 5), 5);
	close(fd[1]);
	expect_line(&r, HL_LINE_OK, "partial");
	expect_end(&r);
	close(fd[0]);
	hl_linereader_free(&r);
}
END_TEST

static int after_wait_calls;

static void count_after_wait(void *user)
{
	(void)user;
	after_wait_calls++;
}

/* With a wait mask: a signal blocked outside the wait but pending is let in
 * by the wait (-EINTR at once, no timing involved); after_wait runs after
 * waits that were not interrupted. */
START_TEST(test_eintr_wait_mask)
{
	struct hl_linereader r;
	sigset_t block, wait_mask;
	const char *line;
	size_t len;
	int fd[2];

	install(SIGUSR1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &block, &wait_mask), 0);
	sigdelset(&wait_mask, SIGUSR1);
	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(hl_linereader_init(&r, fd[0], 64), 0);
	r.wait_mask = &wait_mask;
	r.after_wait = count_after_wait;
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert(!got_signal); /* blocked: pending */
	ck_assert_int_eq(hl_linereader_next(&r, &line, &len), -EINTR);
	ck_assert(got_signal);
	ck_assert_int_eq(after_wait_calls, 0);
	ck_assert_int_eq(write(fd[1], "x\n", 2), 2);
	close(fd[1]);
	expect_line(&r, HL_LINE_OK, "x");
	ck_assert_int_eq(after_wait_calls, 1);
	expect_end(&r);
	close(fd[0]);
	hl_linereader_free(&r);
}
END_TEST

START_TEST(test_read_error)
{
	struct hl_linereader r;
	const char *line;
	size_t len;

	/* A write-only end: poll says ready (POLLERR / POLLNVAL aside), read fails. */
	int fd[2];

	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(hl_linereader_init(&r, fd[1], 64), 0);
	close(fd[0]); /* the write end is now in error for poll */
	ck_assert_int_lt(hl_linereader_next(&r, &line, &len), 0);
	close(fd[1]);
	hl_linereader_free(&r);
}
END_TEST

START_TEST(test_init_rejects_tiny_buffer)
{
	struct hl_linereader r;

	ck_assert_int_eq(hl_linereader_init(&r, 0, 1), -ENOMEM);
	hl_linereader_free(&r);
}
END_TEST

/* The buffer grows for a long line up to max_cap, and no further. */
START_TEST(test_grows_to_max_cap)
{
	char path[] = "/tmp/hl_lr_XXXXXX";
	int fd = mkstemp(path);
	static char x[5001], y[20001];
	struct hl_linereader r;
	const char *line;
	size_t len;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	memset(x, 'x', 5000);
	memset(y, 'y', 20000);
	ck_assert_int_eq(write(fd, "a\n", 2), 2);
	ck_assert_int_eq(write(fd, x, 5000), 5000);
	ck_assert_int_eq(write(fd, "\n", 1), 1);
	ck_assert_int_eq(write(fd, y, 20000), 20000);
	ck_assert_int_eq(write(fd, "\nb\n", 3), 3);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(hl_linereader_init(&r, fd, 16), 0);
	r.max_cap = 8192;
	expect_line(&r, HL_LINE_OK, "a");
	expect_line(&r, HL_LINE_OK, x);
	ck_assert_int_eq(hl_linereader_next(&r, &line, &len), HL_LINE_LONG);
	ck_assert_uint_le(r.cap, 8192);
	expect_line(&r, HL_LINE_OK, "b");
	ck_assert_uint_eq(r.lineno, 4);
	expect_end(&r);
	hl_linereader_free(&r);
	close(fd);
}
END_TEST

/* wake_fd readable with no input: -EINTR and woken; with input too: the
 * line, and woken still set for the caller. */
START_TEST(test_wake_fd)
{
	struct hl_linereader r;
	const char *line;
	size_t len;
	int in[2], wake[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(wake), 0);
	ck_assert_int_eq(hl_linereader_init(&r, in[0], 64), 0);
	r.wake_fd = wake[0];
	ck_assert_int_eq(write(wake[1], "w", 1), 1);
	ck_assert_int_eq(hl_linereader_next(&r, &line, &len), -EINTR);
	ck_assert(r.woken);
	r.woken = false;
	ck_assert_int_eq(write(in[1], "a\n", 2), 2);
	expect_line(&r, HL_LINE_OK, "a"); /* wake still readable: woken again */
	ck_assert(r.woken);
	r.woken = false;
	ck_assert_int_eq(read(wake[0], (char[1]){ 0 }, 1), 1);
	ck_assert_int_eq(write(in[1], "b\n", 2), 2);
	close(in[1]);
	expect_line(&r, HL_LINE_OK, "b");
	ck_assert(!r.woken);
	expect_end(&r);
	hl_linereader_free(&r);
	close(in[0]);
	close(wake[0]);
	close(wake[1]);
}
END_TEST

static Suite *linereader_suite(void)
{
	Suite *s = suite_create("linereader");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, test_lines_and_numbers);
	tcase_add_test(tc, test_partial_lines_across_reads);
	tcase_add_test(tc, test_partial_lines_across_writes);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_cr_only);
	tcase_add_test(tc, test_eof_without_newline);
	tcase_add_test(tc, test_empty_input);
	tcase_add_test(tc, test_line_longer_than_buffer);
	tcase_add_test(tc, test_line_exactly_fits);
	tcase_add_test(tc, test_nul_bytes_passed_on);
	tcase_add_test(tc, test_eintr_plain_wait);
	tcase_add_test(tc, test_eintr_wait_mask);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_init_rejects_tiny_buffer);
	tcase_add_test(tc, test_grows_to_max_cap);
	tcase_add_test(tc, test_wake_fd);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(linereader_suite());
}
