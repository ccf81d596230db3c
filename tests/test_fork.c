/* SPDX-License-Identifier: MIT */
/*
 * fork() of a process that uses the library (include/hotlist.h, "fork()"):
 *  1. fork + exec while matching threads, async workers and a reloading
 *     writer run: the children exec and exit 0, the parent loses no hit;
 *  2. fork without exec, surrounded by hotlist_fork_prepare/_parent/_child,
 *     with the same threads running: the child matches inline on the
 *     inherited engine, then creates, loads, edits, uses asynchronously and
 *     destroys an engine of its own (destroy waits for liburcu's
 *     reclamation thread, so a child whose call_rcu state was not reset
 *     would hang: an alarm turns that into a failure).
 * Case 2 is skipped under ThreadSanitizer, which does not support starting
 * threads in the child of a multi-threaded process, and under gcc 12's
 * AddressSanitizer, whose allocator takes no lock over fork(): a child can
 * inherit an allocator lock that a parent thread held, and wait for it
 * forever in its first malloc (seen: SizeClassAllocator64::GetFromAllocator).
 * The default build (jemalloc, which has its own fork handlers) runs it.
 */
#include "hotlist.h"
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Sanitizers whose runtime does not survive fork() in a threaded process
 * (see the top comment): the child-without-exec case is skipped there. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define HL_SAN_NO_FORK 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define HL_SAN_NO_FORK 1
#endif
#endif

#define FORKS 12
#define ENTRIES 500
#define CHILD_ALARM_S 60 /* a hang in the child becomes SIGALRM */

static struct hotlist *hl;
static atomic_bool stop;
static atomic_long async_hits, async_accepted;
static char plates[ENTRIES][12];

static void on_async_hit(const struct hotlist_hit *h, void *user)
{
	(void)h;
	(void)user;
	atomic_fetch_add(&async_hits, 1);
}

/* Matches a listed plate and an unlisted one until stopped; returns the
 * number of wrong answers. */
static void *matcher(void *arg)
{
	long wrong = 0;
	(void)arg;
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		wrong += hl_test_hits(hl, plates[i % ENTRIES], NULL) != 1;
		wrong += hl_test_hits(hl, "NOTLISTED1", NULL) != 0;
	}
	return (void *)wrong;
}

static void *producer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		struct hotlist_read r = { .plate = plates[i % ENTRIES], .camera = "cam" };
		if (hotlist_submit(hl, &r) == 0)
			atomic_fetch_add(&async_accepted, 1);
	}
	return NULL;
}

/* Replaces the list again and again: call_rcu and the writer's lock are
 * busy at the moment of each fork. */
static void *writer(void *arg)
{
	static struct hotlist_entry e[ENTRIES];
	long failed = 0;
	(void)arg;
	for (int i = 0; i < ENTRIES; i++)
		e[i] = (struct hotlist_entry){ .plate = plates[i] };
	while (!atomic_load(&stop))
		failed += hotlist_replace(hl, "l", e, ENTRIES, NULL) != 0;
	return (void *)failed;
}

static pthread_t threads[3];

static void start_engine_and_threads(void)
{
	hl = hl_test_async_engine(2, 256, HOTLIST_BLOCK, on_async_hit, NULL);
	static struct hotlist_entry e[ENTRIES];
	for (int i = 0; i < ENTRIES; i++) {
		snprintf(plates[i], sizeof(plates[i]), "FK%04d", i);
		e[i] = (struct hotlist_entry){ .plate = plates[i] };
	}
	ck_assert_int_eq(hotlist_replace(hl, "l", e, ENTRIES, NULL), 0);
	atomic_store(&stop, false);
	atomic_store(&async_hits, 0);
	atomic_store(&async_accepted, 0);
	ck_assert_int_eq(pthread_create(&threads[0], NULL, matcher, NULL), 0);
	ck_assert_int_eq(pthread_create(&threads[1], NULL, producer, NULL), 0);
	ck_assert_int_eq(pthread_create(&threads[2], NULL, writer, NULL), 0);
}

static void stop_threads_and_check(void)
{
	void *wrong, *failed;
	atomic_store(&stop, true);
	pthread_join(threads[0], &wrong);
	pthread_join(threads[1], NULL);
	pthread_join(threads[2], &failed);
	ck_assert_int_eq((long)wrong, 0);
	ck_assert_int_eq((long)failed, 0);
	ck_assert_int_eq(hotlist_flush(hl), 0);
	ck_assert_int_eq(atomic_load(&async_hits), atomic_load(&async_accepted));
	hotlist_destroy(hl, NULL);
}

static void expect_exit_0(pid_t pid)
{
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child: exited %d status %d signal %d", WIFEXITED(status),
		      WEXITSTATUS(status), WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

START_TEST(fork_exec_while_running)
{
	start_engine_and_threads();
	for (int i = 0; i < FORKS; i++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", "exit 0", (char *)NULL);
			_exit(127);
		}
		expect_exit_0(pid);
	}
	stop_threads_and_check();
}
END_TEST

/* The child's work; exit code = the first step that went wrong, or 100 +
 * the step it was in when the alarm rang (its own handler: the one inherited
 * from Check would kill the whole test's process group). */
static volatile sig_atomic_t child_step;

static void child_alarm(int sig)
{
	(void)sig;
	_exit(100 + child_step);
}

static int child_uses_library(void)
{
	signal(SIGALRM, child_alarm);
	alarm(CHILD_ALARM_S);
	child_step = 1;
	if (hl_test_hits(hl, plates[7], NULL) != 1 || hl_test_hits(hl, "NOTLISTED1", NULL) != 0)
		return 1;
	child_step = 2;
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	cfg.workers = 1;
	cfg.on_hit = on_async_hit;
	cfg.suppress_window_us = 0;
	struct hotlist *own;
	if (hotlist_create(&own, &cfg))
		return 2;
	child_step = 3;
	struct hotlist_entry e = { .plate = "CHILD1" };
	for (int i = 0; i < 20; i++)
		if (hotlist_replace(own, "c", &e, 1, NULL))
			return 3;
	child_step = 4;
	struct hotlist_entry e2 = { .plate = "CHILD2" };
	if (hotlist_put(own, "c", &e2) || hl_test_hits(own, "CHILD2", NULL) != 1)
		return 4;
	child_step = 5;
	long before = atomic_load(&async_hits);
	struct hotlist_read r = { .plate = "CHILD1" };
	if (hotlist_submit(own, &r) || hotlist_flush(own) || atomic_load(&async_hits) != before + 1)
		return 5;
	child_step = 6;
	hotlist_destroy(own, NULL); /* waits for call_rcu: hangs if not reset */
	return 0;
}

START_TEST(fork_child_uses_library)
{
#ifdef HL_SAN_NO_FORK
	return; /* see the top comment */
#endif
	start_engine_and_threads();
	for (int i = 0; i < FORKS; i++) {
		hotlist_fork_prepare();
		pid_t pid = fork();
		if (pid == 0) {
			hotlist_fork_child();
			_exit(child_uses_library());
		}
		hotlist_fork_parent();
		ck_assert_int_ge(pid, 0);
		expect_exit_0(pid);
	}
	stop_threads_and_check();
}
END_TEST

static Suite *fork_suite(void)
{
	Suite *s = suite_create("fork");
	TCase *tc = tcase_create("fork");
	tcase_add_test(tc, fork_exec_while_running);
	tcase_add_test(tc, fork_child_uses_library);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hl_test_run(fork_suite());
}
