/* SPDX-License-Identifier: MIT */
/*
 * Hot-list file watch; see watch.h for the contract.
 *
 * One inotify instance (a watch per directory: inotify gives the same wd to
 * every list in one directory) and one timerfd for the settle deadlines,
 * both in an epoll set whose descriptor is what the caller polls.
 *
 * Per list: pending (an event came for its name), deadline (when to look
 * again), seen (size/mtime/inode when last looked at) and loaded (the same
 * at the last hand-over). An event makes the list pending, moves its
 * deadline to now + settle and takes seen. At the deadline the file is stat()ed: different
 * from seen, it is still being written (seen is updated, the deadline moved
 * on); the same, it has settled and is handed over unless it equals loaded
 * (nothing changed, e.g. after an event queue overflow). The timer is armed
 * for the earliest deadline of a pending list.
 */
#include "watch.h"

#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

/* The events that may mean new content under a name. (IN_MODIFY: a writer
 * that keeps the file open between writes moves the deadline on.) */
#define EV_CHANGED (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO)
/* The events that take the name away. */
#define EV_GONE (IN_DELETE | IN_MOVED_FROM)
/* The directory itself went away: its watch ends. */
#define EV_DIR_GONE (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)

struct file_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct watched {
	const char *path;
	char *dir; /* the directory part of path, "." when none */
	const char *base; /* the name inside dir (points into path) */
	int wd; /* -1 once the directory's watch has ended */
	bool pending;
	int64_t deadline_ns;
	struct file_id seen, loaded;
};

struct hl_watch {
	int ifd, tfd, epfd;
	int64_t settle_ns;
	size_t n;
	struct watched *files;
};

bool hl_watch_supported(void)
{
	return true;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static struct file_id file_id_of(const char *path)
{
	struct file_id id = { .exists = false };
	struct stat st;

	if (stat(path, &st) == 0)
		id = (struct file_id){ .exists = true,
				       .dev = st.st_dev,
				       .ino = st.st_ino,
				       .size = st.st_size,
				       .mtime = st.st_mtim };
	return id;
}

static bool same_file_id(const struct file_id *a, const struct file_id *b)
{
	if (!a->exists || !b->exists)
		return a->exists == b->exists;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Split f->path into dir and base and watch dir. 0 or -errno. */
static int watch_one(struct hl_watch *w, struct watched *f)
{
	const char *slash = strrchr(f->path, '/');
	size_t dlen = slash ? (size_t)(slash - f->path) : 0;

	f->base = slash ? slash + 1 : f->path;
	if (!f->base[0]) {
		hl_cli_err("--watch: %s names no file", f->path);
		return -EINVAL;
	}
	f->dir = slash ? strndup(f->path, dlen ? dlen : 1) : strdup("."); /* "/x": dir "/" */
	if (!f->dir)
		return -ENOMEM;
	f->wd = inotify_add_watch(w->ifd, f->dir, EV_CHANGED | EV_GONE | EV_DIR_GONE | IN_ONLYDIR);
	if (f->wd < 0) {
		int err = errno;

		hl_cli_err("--watch: cannot watch directory %s: %s", f->dir, strerror(err));
		return -err;
	}
	f->seen = f->loaded = file_id_of(f->path);
	return 0;
}

static int add_to_epoll(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int open_fds(struct hl_watch *w)
{
	int rc;

	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->ifd < 0 || w->tfd < 0 || w->epfd < 0) {
		rc = -errno;
		hl_cli_err("--watch: cannot set up inotify: %s", strerror(-rc));
		return rc;
	}
	rc = add_to_epoll(w->epfd, w->ifd);
	return rc ? rc : add_to_epoll(w->epfd, w->tfd);
}

int hl_watch_open(struct hl_watch **out, const char *const *paths, size_t n, unsigned settle_ms)
{
	struct hl_watch *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	w->ifd = w->tfd = w->epfd = -1;
	w->settle_ns = (int64_t)settle_ms * NS_PER_MS;
	w->files = calloc(n ? n : 1, sizeof(*w->files));
	rc = w->files ? open_fds(w) : -ENOMEM;
	if (w->files)
		w->n = n; /* zeroed: hl_watch_close() frees what watch_one() made */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		w->files[i].path = paths[i];
		rc = watch_one(w, &w->files[i]);
	}
	if (rc) {
		hl_watch_close(w);
		return rc;
	}
	*out = w;
	return 0;
}

int hl_watch_fd(const struct hl_watch *w)
{
	return w->epfd;
}

void hl_watch_close(struct hl_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->files[i].dir);
	free(w->files);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->tfd >= 0)
		close(w->tfd);
	if (w->ifd >= 0)
		close(w->ifd);
	free(w);
}

/* ---- events ------------------------------------------------------------------- */

/* An event for f: settled is now + settle with no change from what it is now. */
static void make_pending(struct hl_watch *w, struct watched *f, int64_t now)
{
	f->pending = true;
	f->deadline_ns = now + w->settle_ns;
	f->seen = file_id_of(f->path);
}

/* One event for f's directory (ev->name: the entry it is about, or none). */
static void on_event(struct hl_watch *w, struct watched *f, const struct inotify_event *ev,
		     int64_t now)
{
	if (ev->mask & EV_DIR_GONE) {
		hl_cli_err("--watch: directory %s was removed or moved: %s is no longer watched",
			   f->dir, f->path);
		f->wd = -1;
		f->pending = false;
		return;
	}
	if (!ev->len || strcmp(ev->name, f->base))
		return;
	if (ev->mask & EV_GONE) {
		hl_cli_err("--watch: %s was removed; its list stays live until a new file "
			   "appears",
			   f->path);
		f->pending = false;
		f->loaded = (struct file_id){ .exists = false };
		return;
	}
	if (ev->mask & EV_CHANGED)
		make_pending(w, f, now);
}

/* Every event queued. An overflow (events lost) makes every list pending:
 * the settle check then reloads those whose file is not the one loaded. */
static void read_events(struct hl_watch *w, int64_t now)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			for (size_t i = 0; i < w->n; i++) {
				if (ev->mask & IN_Q_OVERFLOW && w->files[i].wd >= 0)
					make_pending(w, &w->files[i], now);
				else if (ev->wd == w->files[i].wd)
					on_event(w, &w->files[i], ev, now);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* ---- settling ----------------------------------------------------------------- */

/* At f's deadline: hand it over if it has settled, else wait on. */
static void check_settled(struct hl_watch *w, size_t i, int64_t now, hl_watch_reload_fn reload,
			  void *user)
{
	struct watched *f = &w->files[i];
	struct file_id id = file_id_of(f->path);

	if (!same_file_id(&id, &f->seen)) {
		f->seen = id; /* still changing */
		f->deadline_ns = now + w->settle_ns;
		return;
	}
	f->pending = false;
	if (!id.exists || same_file_id(&id, &f->loaded))
		return; /* gone again (reported by its event), or nothing new */
	f->loaded = id;
	reload(i, user);
}

/* Arm the timer for the earliest deadline, or disarm it. */
static void arm_timer(struct hl_watch *w)
{
	struct itimerspec its = { .it_value = { 0, 0 } };
	int64_t first = INT64_MAX;

	for (size_t i = 0; i < w->n; i++)
		if (w->files[i].pending && w->files[i].deadline_ns < first)
			first = w->files[i].deadline_ns;
	if (first != INT64_MAX) {
		if (first <= 0)
			first = 1; /* 0 would disarm */
		its.it_value.tv_sec = first / NS_PER_S;
		its.it_value.tv_nsec = first % NS_PER_S;
	}
	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void hl_watch_service(struct hl_watch *w, hl_watch_reload_fn reload, void *user)
{
	uint64_t expirations;
	int64_t now = now_ns();

	if (read(w->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		hl_cli_err("--watch: timer: %s", strerror(errno));
	read_events(w, now);
	for (size_t i = 0; i < w->n; i++)
		if (w->files[i].pending && w->files[i].deadline_ns <= now)
			check_settled(w, i, now, reload, user);
	arm_timer(w);
}

#else /* !__linux__ */

bool hl_watch_supported(void)
{
	return false;
}

int hl_watch_open(struct hl_watch **out, const char *const *paths, size_t n, unsigned settle_ms)
{
	(void)out;
	(void)paths;
	(void)n;
	(void)settle_ms;
	return -ENOSYS;
}

int hl_watch_fd(const struct hl_watch *w)
{
	(void)w;
	return -1;
}

void hl_watch_service(struct hl_watch *w, hl_watch_reload_fn reload, void *user)
{
	(void)w;
	(void)reload;
	(void)user;
}

void hl_watch_close(struct hl_watch *w)
{
	(void)w;
}

#endif /* __linux__ */
