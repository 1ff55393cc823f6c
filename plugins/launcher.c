/*
 * launcher.c: the processes that run container tasks (see launcher.h): the supervisor, one per engine process,
 * and monitors, one per attempt, when there is no supervisor.
 *
 * Why a supervisor: forking the engine for every attempt costs time in proportion to the engine's memory (its
 * page tables are copied, then the engine takes a copy-on-write fault on every page it writes afterwards, and the
 * child tears the copy down when it exits). With 10,000 nodes that was more than half of the engine's CPU time,
 * and a forked monitor per attempt still cost more than the task itself. The supervisor is forked once, while the
 * engine is small, and starts each task with posix_spawn() (vfork + exec).
 */
#include "plugins/launcher.h"

#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAGIC "flytec-launch-1"
#define MAX_REQUEST (32u << 20)
#define MAX_SUPERVISOR_STARTS 3
/* A monitor whose exit record cannot be written for a full file system tries again this often. */
#define EXIT_RETRY_MS 200

static void strv_free(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

void plg_spawn_plan_release(struct plg_spawn_plan *p)
{
	strv_free(p->argv);
	strv_free(p->envp);
	free(p->workdir);
	free(p->stdout_path);
	free(p->stderr_path);
	free(p->sandbox);
	memset(p, 0, sizeof(*p));
}

int plg_pidfd_open(pid_t pid)
{
	return pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
}

/* --- what the supervisor and the monitors share ------------------------------------------------------------ */

static void write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Record how the attempt ended, in one write of one line. Readers take the record only when it is complete (ends
 * with a newline); while it is being written, run.lock is still locked (it is released after this returns), so
 * an incomplete record with the lock released means the runner died while writing it. Written in place, not
 * through a temporary file and a rename: one inode less per attempt. */
static bool write_exit_once(const char *sandbox, const char *text)
{
	char path[4096];
	size_t len = strlen(text);
	const char *p = text;
	bool ok = true;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sandbox, PLG_EXIT_FILE);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = false;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		ok = false;
	return ok;
}

static void write_exit(const char *sandbox, const char *text)
{
	write_exit_once(sandbox, text);
}

/* The same in a monitor process, which may wait: when the file system is full, try again (every EXIT_RETRY_MS)
 * until the record is written, holding run.lock meanwhile, so that the engine keeps waiting for this attempt
 * instead of taking it for lost and running the task again. */
static void write_exit_patiently(const char *sandbox, const char *text)
{
	struct timespec ts = {0, EXIT_RETRY_MS * 1000000L};

	while (!write_exit_once(sandbox, text) && (errno == ENOSPC || errno == EDQUOT))
		nanosleep(&ts, NULL);
}

static void status_text(int code, int status, char *text, size_t len)
{
	if (code == CLD_EXITED)
		snprintf(text, len, "exit %d\n", status);
	else
		snprintf(text, len, "signal %d\n", status);
}

/* Claim the attempt: a new file, locked, holding `pid_text` (may be ""), is linked as run.lock; link() fails when
 * one exists, so only one claimant wins. Returns the locked fd (close it to release the lock), or -1 with errno
 * (EEXIST: somebody else has claimed the attempt). */
static int claim(const char *sandbox, const char *pid_text)
{
	static unsigned seq;
	char tmp[4096], lock[4096];
	int fd, saved;

	snprintf(tmp, sizeof(tmp), "%s/%s.%ld.%u", sandbox, PLG_LOCK_FILE, (long)getpid(), seq++);
	snprintf(lock, sizeof(lock), "%s/%s", sandbox, PLG_LOCK_FILE);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0)
		goto fail;
	write_all(fd, pid_text);
	if (link(tmp, lock) < 0)
		goto fail;
	unlink(tmp);
	return fd;
fail:
	saved = errno;
	unlink(tmp);
	close(fd);
	errno = saved;
	return -1;
}

/* The task with resource limits: setrlimit() must happen in the child, between fork and exec (in the parent it
 * would also limit the runner, and posix_spawn cannot do it). An exec failure comes back through a pipe. */
static int spawn_limited(const struct plg_spawn_plan *plan, bool own_group, pid_t *child)
{
	int pipefd[2], err = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		sigset_t none;
		int fd, sig;

		if (own_group)
			setpgid(0, 0);
		for (sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0 ||
		    (fd = open(plan->stdout_path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0 || dup2(fd, 1) < 0 ||
		    (fd = open(plan->stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0 || dup2(fd, 2) < 0 ||
		    chdir(plan->workdir) < 0 || (plan->has_mem && setrlimit(RLIMIT_AS, &plan->mem) < 0) ||
		    (plan->has_fsize && setrlimit(RLIMIT_FSIZE, &plan->fsize) < 0))
			goto fail;
		execvpe(plan->argv[0], plan->argv, plan->envp);
fail:
		err = errno;
		if (write(pipefd[1], &err, sizeof(err)) < 0)
			err = 0;
		_exit(127);
	}
	close(pipefd[1]);
	do
		n = read(pipefd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(err) && err) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return err;
	}
	*child = pid;
	return 0;
}

/* Start the task: stdin from /dev/null, stdout and stderr appended to the logs, in its working directory, default
 * signal dispositions and an empty mask, its resource limits; `own_group`: as the leader of a new process group.
 * posix_spawn (vfork + exec) unless there are limits. Returns 0 or an errno. */
static int spawn_task(const struct plg_spawn_plan *plan, bool own_group, pid_t *child)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	int err;

	if (plan->has_mem || plan->has_fsize)
		return spawn_limited(plan, own_group, child);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, plan->stdout_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, plan->stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_addchdir_np(&fa, plan->workdir);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	if (own_group) {
		posix_spawnattr_setpgroup(&attr, 0);
		flags |= POSIX_SPAWN_SETPGROUP;
	}
	posix_spawnattr_setflags(&attr, flags);
	/* posix_spawnp searches the PATH we run with; the task's own PATH is in its environment. */
	err = posix_spawnp(child, plan->argv[0], &fa, &attr, plan->argv, plan->envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

/* --- a monitor: one attempt ------------------------------------------------------------------------------- */

FC_NORETURN static void monitor_main(const struct plg_spawn_plan *plan)
{
	char text[64];
	sigset_t none;
	pid_t child;
	int status, err;

	setpgid(0, 0);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (claim(plan->sandbox, text) < 0)
		_exit(errno == EEXIST ? 125 : 126); /* the lock fd stays open (locked) until we exit */
	err = spawn_task(plan, false, &child);
	if (err) {
		snprintf(text, sizeof(text), "spawn %d\n", err);
		write_exit_patiently(plan->sandbox, text);
		_exit(0);
	}
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			write_exit_patiently(plan->sandbox, "lost 0\n");
			_exit(0);
		}
	}
	if (WIFEXITED(status))
		status_text(CLD_EXITED, WEXITSTATUS(status), text, sizeof(text));
	else
		status_text(CLD_KILLED, WTERMSIG(status), text, sizeof(text));
	write_exit_patiently(plan->sandbox, text);
	_exit(0);
}

/* --- requests ---------------------------------------------------------------------------------------------- */

/*
 * The engine writes requests to the supervisor; nothing comes back (so the engine never waits for a fork or an
 * exec). A request is a length (uint64, native order) and NUL-terminated strings: the magic, the kind, then
 *  - "start": the plan (argv and envp as a count and the strings, workdir, stdout, stderr, sandbox, memory and
 *    file size limits, "" when none). The write end of a pipe travels with it (SCM_RIGHTS): the engine watches
 *    the read end, and the supervisor closes its end once the attempt is over (exit recorded), or at once when
 *    it did not claim the attempt (another runner had), or when it dies;
 *  - "abort": a sandbox; its task's process group is killed (requests are handled in order, so a start sent
 *    before is handled before).
 */

static void add_str(struct fc_buf *b, const char *s)
{
	fc_buf_add(b, s ? s : "", strlen(s ? s : "") + 1);
}

static void add_strv(struct fc_buf *b, char **v)
{
	size_t n = 0;
	char num[32];

	while (v && v[n])
		n++;
	snprintf(num, sizeof(num), "%zu", n);
	add_str(b, num);
	for (n = 0; v && v[n]; n++)
		add_str(b, v[n]);
}

static void add_limit(struct fc_buf *b, bool has, const struct rlimit *r)
{
	char num[32] = "";

	if (has)
		snprintf(num, sizeof(num), "%llu", (unsigned long long)r->rlim_cur);
	add_str(b, num);
}

static void request_begin(struct fc_buf *b, const char *kind)
{
	uint64_t len = 0;

	fc_buf_add(b, &len, sizeof(len));
	add_str(b, REQUEST_MAGIC);
	add_str(b, kind);
}

static void request_end(struct fc_buf *b)
{
	uint64_t len = b->len - sizeof(len);

	memcpy(b->buf, &len, sizeof(len));
}

static void request_start(const struct plg_spawn_plan *p, struct fc_buf *b)
{
	request_begin(b, "start");
	add_strv(b, p->argv);
	add_strv(b, p->envp);
	add_str(b, p->workdir);
	add_str(b, p->stdout_path);
	add_str(b, p->stderr_path);
	add_str(b, p->sandbox);
	add_limit(b, p->has_mem, &p->mem);
	add_limit(b, p->has_fsize, &p->fsize);
	request_end(b);
}

static const char *next_str(const char **pos, const char *end)
{
	const char *s = *pos, *nul;

	if (s >= end || !(nul = memchr(s, '\0', (size_t)(end - s))))
		return NULL;
	*pos = nul + 1;
	return s;
}

static char **next_strv(const char **pos, const char *end)
{
	const char *count = next_str(pos, end);
	unsigned long n, i;
	char **v;

	if (!count)
		return NULL;
	n = strtoul(count, NULL, 10);
	if (n > (unsigned long)(end - *pos))
		return NULL;
	v = fc_xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		const char *s = next_str(pos, end);

		if (!s) {
			strv_free(v);
			return NULL;
		}
		v[i] = fc_xstrdup(s);
	}
	return v;
}

static bool next_limit(const char **pos, const char *end, bool *has, struct rlimit *r)
{
	const char *s = next_str(pos, end);

	if (!s)
		return false;
	*has = *s != '\0';
	if (*has)
		r->rlim_cur = r->rlim_max = (rlim_t)strtoull(s, NULL, 10);
	return true;
}

static bool parse_start(const char *pos, const char *end, struct plg_spawn_plan *p)
{
	const char *s[4];
	size_t i;

	memset(p, 0, sizeof(*p));
	if (!(p->argv = next_strv(&pos, end)) || !p->argv[0] || !(p->envp = next_strv(&pos, end)))
		goto bad;
	for (i = 0; i < FC_ARRAY_LEN(s); i++)
		if (!(s[i] = next_str(&pos, end)))
			goto bad;
	p->workdir = fc_xstrdup(s[0]);
	p->stdout_path = fc_xstrdup(s[1]);
	p->stderr_path = fc_xstrdup(s[2]);
	p->sandbox = fc_xstrdup(s[3]);
	if (!next_limit(&pos, end, &p->has_mem, &p->mem) || !next_limit(&pos, end, &p->has_fsize, &p->fsize))
		goto bad;
	return true;
bad:
	plg_spawn_plan_release(p);
	return false;
}

static bool io_full(int fd, void *buf, size_t len, bool writing)
{
	char *p = buf;

	while (len) {
		ssize_t n = writing ? send(fd, p, len, MSG_NOSIGNAL) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* --- the supervisor ---------------------------------------------------------------------------------------- */

struct job {
	pid_t pid;
	int lock_fd;   /* run.lock, locked */
	int notify_fd; /* write end of the engine's watch pipe */
	char *sandbox;
};

struct supervisor {
	int sock; /* -1 once the engine is gone */
	struct job *jobs;
	size_t njobs, alloc;
};

static void add_job(struct supervisor *s, pid_t pid, int lock_fd, int notify_fd, const char *sandbox)
{
	struct job *j;

	FC_ALLOC_GROW(s->jobs, s->njobs + 1, s->alloc);
	j = &s->jobs[s->njobs++];
	j->pid = pid;
	j->lock_fd = lock_fd;
	j->notify_fd = notify_fd;
	j->sandbox = fc_xstrdup(sandbox);
}

/* Record the end of every child that has exited. The exit is written and the lock released before the child is
 * reaped: while run.lock is locked, the pid in it cannot belong to another process. Returns true when a record
 * could not be written for a full file system: that child is kept (and its lock held, so the engine keeps
 * waiting) until a later call writes it. */
static bool reap(struct supervisor *s)
{
	for (;;) {
		siginfo_t info;
		size_t i;

		memset(&info, 0, sizeof(info));
		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == 0)
			return false;
		for (i = 0; i < s->njobs && s->jobs[i].pid != info.si_pid; i++)
			;
		if (i < s->njobs) {
			char text[64];

			status_text(info.si_code, info.si_status, text, sizeof(text));
			if (!write_exit_once(s->jobs[i].sandbox, text) && (errno == ENOSPC || errno == EDQUOT))
				return true;
			close(s->jobs[i].lock_fd);
		}
		while (waitpid(info.si_pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (i < s->njobs) {
			close(s->jobs[i].notify_fd); /* wakes the engine */
			free(s->jobs[i].sandbox);
			s->jobs[i] = s->jobs[--s->njobs];
		}
	}
}

/* Claim the attempt, start its task, and keep the job until it ends. `notify_fd` is closed when the attempt is
 * over (at once when nothing was started). */
static void start_task(struct supervisor *s, const struct plg_spawn_plan *plan, int notify_fd)
{
	char text[64];
	int lock_fd, err;
	pid_t child = 0;

	lock_fd = claim(plan->sandbox, "");
	if (lock_fd < 0) {
		/* Claimed by another runner (the engine finds it through run.lock), or the sandbox is unusable (the
		 * engine finds nothing and asks again, a bounded number of times). */
		if (notify_fd >= 0)
			close(notify_fd);
		return;
	}
	err = spawn_task(plan, true, &child);
	if (err) {
		snprintf(text, sizeof(text), "spawn %d\n", err);
		write_exit(plan->sandbox, text);
		close(lock_fd);
		if (notify_fd >= 0)
			close(notify_fd);
		return;
	}
	/* The task is not reaped before reap() runs, so the pid stays its own until the lock is released. */
	snprintf(text, sizeof(text), "%ld\n", (long)child);
	if (pwrite(lock_fd, text, strlen(text), 0) < 0)
		text[0] = '\0'; /* readers then wait for the exit instead of watching the pid */
	add_job(s, child, lock_fd, notify_fd, plan->sandbox);
}

static void abort_task(struct supervisor *s, const char *sandbox)
{
	size_t i;

	for (i = 0; i < s->njobs; i++)
		if (!strcmp(s->jobs[i].sandbox, sandbox))
			killpg(s->jobs[i].pid, SIGKILL); /* not reaped yet: the group is still the task's */
}

/* One request from the engine; false when the engine is gone. */
static bool serve_request(struct supervisor *s)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;
	struct plg_spawn_plan plan;
	const char *pos, *end, *magic, *kind;
	uint64_t len;
	char *data = NULL;
	int notify_fd = -1;
	ssize_t n;

	/* The header carries the pipe, if any: read it with recvmsg. */
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	iov.iov_base = &len;
	iov.iov_len = sizeof(len);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(s->sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&notify_fd, CMSG_DATA(c), sizeof(int));
	if ((n < (ssize_t)sizeof(len) && !io_full(s->sock, (char *)&len + n, sizeof(len) - (size_t)n, false)) ||
	    len > MAX_REQUEST)
		goto gone;
	data = fc_xmalloc(len ? len : 1);
	if (!io_full(s->sock, data, len, false))
		goto gone;
	pos = data;
	end = data + len;
	magic = next_str(&pos, end);
	kind = next_str(&pos, end);
	if (magic && kind && !strcmp(magic, REQUEST_MAGIC)) {
		if (!strcmp(kind, "start") && parse_start(pos, end, &plan)) {
			start_task(s, &plan, notify_fd);
			notify_fd = -1;
			plg_spawn_plan_release(&plan);
		} else if (!strcmp(kind, "abort") && (kind = next_str(&pos, end))) {
			abort_task(s, kind);
		}
	}
	if (notify_fd >= 0)
		close(notify_fd);
	free(data);
	return true;
gone:
	if (notify_fd >= 0)
		close(notify_fd);
	free(data);
	return false;
}

FC_NORETURN static void supervisor_main(int sock)
{
	struct supervisor s;
	struct pollfd pfd[2];
	sigset_t chld;
	int sigfd, devnull;
	bool exit_pending; /* an exit record waits for space: try again every EXIT_RETRY_MS */

	/* Its own process group: signals meant for the engine's group (a terminal's ^C, a killpg) leave the tasks
	 * alone, as the engine's death does. Only the socket and stderr are kept: a pipe the engine's caller reads
	 * must see its end when the engine ends. */
	setpgid(0, 0);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (sock != 3) {
		dup2(sock, 3);
		close(sock);
		sock = 3;
	}
	close_range(4, ~0u, 0);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		close(devnull);
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_SETMASK, &chld, NULL);
	sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	memset(&s, 0, sizeof(s));
	s.sock = sock;
	exit_pending = false;
	for (;;) {
		struct signalfd_siginfo si;
		nfds_t n = 0;

		if (s.sock < 0 && !s.njobs)
			_exit(0);
		if (sigfd >= 0) {
			pfd[n].fd = sigfd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (s.sock >= 0) {
			pfd[n].fd = s.sock;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		/* Without a signalfd, look for exited children every 50 ms. */
		if (poll(pfd, n, exit_pending ? EXIT_RETRY_MS : sigfd >= 0 ? -1 : 50) < 0 && errno != EINTR)
			_exit(1);
		if (sigfd >= 0)
			while (read(sigfd, &si, sizeof(si)) > 0)
				;
		exit_pending = reap(&s);
		if (s.sock >= 0 && (pfd[n - 1].revents & (POLLIN | POLLHUP | POLLERR)) && !serve_request(&s)) {
			close(s.sock); /* the engine is gone: finish the running tasks, then go */
			s.sock = -1;
		}
	}
}

/* --- the engine's side ------------------------------------------------------------------------------------- */

static struct {
	pid_t owner; /* the process this supervisor serves */
	pid_t pid;
	int sock;
	unsigned starts; /* supervisors started by `owner` */
	bool off;        /* plg_launcher_use_supervisor(false) */
} sup = {0, 0, -1, 0, false};

void plg_launcher_use_supervisor(bool on)
{
	sup.off = !on;
}

static void sup_drop(void)
{
	if (sup.sock >= 0)
		close(sup.sock);
	sup.sock = -1;
	/* Not killed: should it still run, it finishes its tasks (closing our end tells it to) and goes. */
	if (sup.pid > 0)
		waitpid(sup.pid, NULL, WNOHANG);
	sup.pid = 0;
}

static bool sup_ensure(void)
{
	int sv[2];
	pid_t pid;

	if (sup.owner != getpid()) {
		/* Inherited from the process we were forked from: that supervisor serves it, not us. */
		if (sup.sock >= 0)
			close(sup.sock);
		sup.sock = -1;
		sup.pid = 0;
		sup.starts = 0;
		sup.owner = getpid();
	}
	if (sup.sock >= 0)
		return true;
	if (sup.off || sup.starts >= MAX_SUPERVISOR_STARTS)
		return false;
	sup.starts++;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	if (pid == 0) {
		close(sv[0]);
		supervisor_main(sv[1]);
	}
	close(sv[1]);
	sup.pid = pid;
	sup.sock = sv[0];
	return true;
}

void plg_launcher_prefork(void)
{
	sup_ensure();
}

/* Send a request (with `fd`, when >= 0); false when the supervisor is gone (then dropped). */
static bool sup_send(struct fc_buf *req, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr msg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = req->buf;
	iov.iov_len = req->len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sup.sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n > 0 && (size_t)n < req->len && !io_full(sup.sock, req->buf + n, req->len - (size_t)n, true))
		n = -1;
	if (n <= 0) {
		sup_drop();
		return false;
	}
	return true;
}

/* Hand the attempt to the supervisor. PLG_LAUNCH_STARTED, or 2 when it cannot be used. */
static int sup_launch(const struct plg_spawn_plan *plan, struct plg_launch *out)
{
	struct fc_buf req = FC_BUF_INIT;
	int pipefd[2];
	bool sent;

	if (sup.off || !sup_ensure())
		return 2;
	request_start(plan, &req);
	if (req.len > MAX_REQUEST || pipe2(pipefd, O_CLOEXEC) < 0) {
		fc_buf_release(&req);
		return 2;
	}
	sent = sup_send(&req, pipefd[1]);
	fc_buf_release(&req);
	close(pipefd[1]);
	if (!sent) {
		close(pipefd[0]);
		return 2;
	}
	out->watch_fd = pipefd[0];
	out->supervised = true;
	return PLG_LAUNCH_STARTED;
}

enum plg_launch_result plg_launch(const struct plg_spawn_plan *plan, struct plg_launch *out)
{
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->watch_fd = -1;
	if (sup_launch(plan, out) == PLG_LAUNCH_STARTED)
		return PLG_LAUNCH_STARTED;
	/* No supervisor: a monitor forked from this process. */
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return PLG_LAUNCH_FAILED;
	if (pid == 0) {
		if (sup.sock >= 0)
			close(sup.sock);
		monitor_main(plan);
	}
	out->pid = pid;
	out->own_child = true;
	out->watch_fd = plg_pidfd_open(pid);
	return PLG_LAUNCH_STARTED;
}

void plg_launch_abort(const char *sandbox)
{
	struct fc_buf req = FC_BUF_INIT;

	if (sup.sock < 0 || sup.owner != getpid())
		return;
	request_begin(&req, "abort");
	add_str(&req, sandbox);
	request_end(&req);
	sup_send(&req, -1);
	fc_buf_release(&req);
}
