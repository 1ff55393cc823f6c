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
#include "plugins/journal.h"

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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAGIC "flytec-launch-1"
#define MAX_REQUEST (32u << 20)
#define MAX_SUPERVISOR_STARTS 3
/* A runner whose claim or exit record cannot be written for a full file system tries again this often. */
#define EXIT_RETRY_MS 200
/* Journals the supervisor keeps open without a running task of theirs (an execution's next task is near). */
#define JOURNAL_CACHE 16
/* What the supervisor reads of a task's output at once. */
#define LOG_CHUNK 65536
/* What is copied at most when the task has ended (16 MiB): what its leftover processes write later is lost once
 * the attempt is recorded (they get EPIPE). */
#define LOG_DRAIN_CHUNKS 256

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
	free(p->journal);
	free(p->key);
	memset(p, 0, sizeof(*p));
}

int plg_pidfd_open(pid_t pid)
{
	return pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
}

/* --- what the supervisor and the monitors share ------------------------------------------------------------ */

static void status_text(int code, int status, char *text, size_t len)
{
	if (code == CLD_EXITED)
		snprintf(text, len, "exit %d", status);
	else
		snprintf(text, len, "signal %d", status);
}

static bool storage_full(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* Open a log for appending, creating its directory (and those above it) when missing. */
static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	char *dir, *p;

	if (fd >= 0 || errno != ENOENT)
		return fd;
	dir = fc_xstrdup(path);
	p = strrchr(dir, '/');
	if (p && p != dir) {
		*p = '\0';
		for (p = dir + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				break;
			*p = '/';
		}
		if (!*p)
			mkdir(dir, 0755);
	}
	free(dir);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* The task with resource limits: setrlimit() must happen in the child, between fork and exec (in the parent it
 * would also limit the runner, and posix_spawn cannot do it). An exec failure comes back through a pipe. */
static int spawn_limited(const struct plg_spawn_plan *plan, bool own_group, int out_fd, int err_fd, pid_t *child)
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
		if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
		    dup2(err_fd, 2) < 0 || chdir(plan->workdir) < 0 ||
		    (plan->has_mem && setrlimit(RLIMIT_AS, &plan->mem) < 0) ||
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

/* Start the task: stdin from /dev/null, stdout and stderr to `out_fd` and `err_fd`, in its working directory,
 * default signal dispositions and an empty mask, its resource limits; `own_group`: as the leader of a new process
 * group. posix_spawn (vfork + exec) unless there are limits. Returns 0 or an errno. */
static int spawn_task(const struct plg_spawn_plan *plan, bool own_group, int out_fd, int err_fd, pid_t *child)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	int err;

	if (plan->has_mem || plan->has_fsize)
		return spawn_limited(plan, own_group, out_fd, err_fd, child);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
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

/* Retry a journal write while the file system is full (holding the attempt meanwhile, so that the engine keeps
 * waiting instead of taking it for lost and running the task again). */
static int patiently(int rc)
{
	return rc < 0 && storage_full(errno);
}

static void drop_if_empty(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
		unlink(path);
}

FC_NORETURN static void monitor_main(const struct plg_spawn_plan *plan)
{
	struct timespec ts = {0, EXIT_RETRY_MS * 1000000L};
	struct plg_journal *j;
	char text[64];
	sigset_t none;
	siginfo_t info;
	pid_t child;
	int err, out_fd, err_fd;

	setpgid(0, 0);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	j = plg_journal_open(plan->journal, true);
	if (!j)
		_exit(126);
	while (patiently(plg_journal_claim(j, plan->key)))
		nanosleep(&ts, NULL);
	if (!plg_journal_get(j, plan->key) || plg_journal_get(j, plan->key)->runner != getpid())
		_exit(errno == EEXIST ? 125 : 126);
	out_fd = open_log(plan->stdout_path);
	err_fd = open_log(plan->stderr_path);
	if (out_fd < 0 || err_fd < 0) {
		err = errno;
		snprintf(text, sizeof(text), "spawn %d", err);
		err = 0;
	} else {
		err = spawn_task(plan, false, out_fd, err_fd, &child);
		if (err)
			snprintf(text, sizeof(text), "spawn %d", err);
	}
	if (out_fd < 0 || err_fd < 0 || err) {
		while (patiently(plg_journal_ended(j, plan->key, text)))
			nanosleep(&ts, NULL);
		_exit(0);
	}
	close(out_fd);
	close(err_fd);
	while (patiently(plg_journal_started(j, plan->key, child)))
		nanosleep(&ts, NULL);
	/* Recorded before the task is reaped: until then its pid cannot be another process's. */
	memset(&info, 0, sizeof(info));
	while (waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT) < 0) {
		if (errno != EINTR) {
			while (patiently(plg_journal_ended(j, plan->key, "lost 0")))
				nanosleep(&ts, NULL);
			_exit(0);
		}
	}
	/* As under the supervisor, a log exists only when the task wrote something. */
	drop_if_empty(plan->stdout_path);
	drop_if_empty(plan->stderr_path);
	status_text(info.si_code, info.si_status, text, sizeof(text));
	while (patiently(plg_journal_ended(j, plan->key, text)))
		nanosleep(&ts, NULL);
	_exit(0);
}

/* --- requests ---------------------------------------------------------------------------------------------- */

/*
 * The engine writes requests to the supervisor; nothing comes back (so the engine never waits for a fork or an
 * exec). A request is a length (uint64, native order) and NUL-terminated strings: the magic, the kind, then
 *  - "start": the plan (argv and envp as a count and the strings, workdir, stdout, stderr, journal, key, memory
 *    and file size limits, "" when none). The write end of a pipe travels with it (SCM_RIGHTS): the engine watches
 *    the read end, and the supervisor closes its end once the attempt is over (exit recorded), or at once when
 *    it did not claim the attempt (another runner had), or when it dies;
 *  - "abort": a journal and a key; its task's process group is killed (requests are handled in order, so a start sent
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
	add_str(b, p->journal);
	add_str(b, p->key);
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
	const char *s[5];
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
	p->journal = fc_xstrdup(s[3]);
	p->key = fc_xstrdup(s[4]);
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
	int notify_fd;   /* write end of the engine's watch pipe */
	int pipe_fd[2];  /* read ends of the task's stdout and stderr (-1 once closed) */
	int log_fd[2];   /* the log files, opened on the first byte (-1 before; -2: cannot be written) */
	char *log_path[2];
	struct plg_journal *journal;
	char *key;
};

/* A start whose claim could not be written (a full file system): tried again every EXIT_RETRY_MS. */
struct pending {
	struct plg_spawn_plan plan;
	int notify_fd;
};

struct supervisor {
	int sock; /* -1 once the engine is gone */
	struct job *jobs;
	size_t njobs, alloc;
	struct pending *pending;
	size_t npending, pending_alloc;
	struct plg_journal **journals; /* open journals (refs: jobs using them) */
	size_t njournals, journals_alloc;
};

static struct plg_journal *journal_get(struct supervisor *s, const char *path)
{
	struct plg_journal *j;
	size_t i, idle = 0;

	for (i = 0; i < s->njournals; i++) {
		if (!strcmp(s->journals[i]->path, path)) {
			s->journals[i]->refs++;
			return s->journals[i];
		}
		idle += s->journals[i]->refs == 0;
	}
	/* Forget idle ones beyond the cache's size (their index is rebuilt when needed again). */
	for (i = 0; idle >= JOURNAL_CACHE && i < s->njournals;) {
		if (s->journals[i]->refs == 0) {
			plg_journal_close(s->journals[i]);
			s->journals[i] = s->journals[--s->njournals];
			idle--;
		} else {
			i++;
		}
	}
	j = plg_journal_open(path, true);
	if (!j)
		return NULL;
	FC_ALLOC_GROW(s->journals, s->njournals + 1, s->journals_alloc);
	s->journals[s->njournals++] = j;
	return j;
}

static void journal_put(struct plg_journal *j)
{
	if (j && j->refs)
		j->refs--;
}

/* Copy what the task wrote on stream `k` to its log (opened on the first byte); `drain`: until nothing is left
 * (the task has ended) instead of one read. */
static void pump(struct job *job, int k, bool drain)
{
	char buf[LOG_CHUNK];
	unsigned rounds = 0;

	/* Draining stops after LOG_DRAIN_CHUNKS reads: a process the task left behind may keep writing. */
	while (job->pipe_fd[k] >= 0 && rounds++ < LOG_DRAIN_CHUNKS) {
		ssize_t n = read(job->pipe_fd[k], buf, sizeof(buf)), off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(job->pipe_fd[k]);
			job->pipe_fd[k] = -1;
			return;
		}
		if (job->log_fd[k] == -1 && (job->log_fd[k] = open_log(job->log_path[k])) < 0)
			job->log_fd[k] = -2; /* what cannot be written is dropped: the task must not block */
		while (job->log_fd[k] >= 0 && off < n) {
			ssize_t w = write(job->log_fd[k], buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += w;
		}
		if (!drain)
			return;
	}
}

static void job_release(struct job *job)
{
	int k;

	for (k = 0; k < 2; k++) {
		if (job->pipe_fd[k] >= 0)
			close(job->pipe_fd[k]);
		if (job->log_fd[k] >= 0)
			close(job->log_fd[k]);
		free(job->log_path[k]);
	}
	if (job->notify_fd >= 0)
		close(job->notify_fd); /* wakes the engine */
	journal_put(job->journal);
	free(job->key);
}

/* Record the end of every child that has exited. The exit is recorded before the child is reaped: until then the
 * pid in the journal cannot belong to another process. Returns true when a record could not be written for a full
 * file system: that child is kept (so the engine keeps waiting) until a later call writes it. */
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

			/* Its last output goes to the logs before the exit is known (readers of a failure's stderr). */
			pump(&s->jobs[i], 0, true);
			pump(&s->jobs[i], 1, true);
			status_text(info.si_code, info.si_status, text, sizeof(text));
			if (plg_journal_ended(s->jobs[i].journal, s->jobs[i].key, text) < 0 && storage_full(errno))
				return true;
		}
		while (waitpid(info.si_pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (i < s->njobs) {
			job_release(&s->jobs[i]);
			s->jobs[i] = s->jobs[--s->njobs];
		}
	}
}

/* Claim the attempt, start its task, and keep the job until it ends. `notify_fd` is closed when the attempt is
 * over (at once when nothing was started). Returns false when the claim could not be written for a full file
 * system (nothing done: try again later). */
static bool start_task(struct supervisor *s, const struct plg_spawn_plan *plan, int notify_fd)
{
	struct plg_journal *j = journal_get(s, plan->journal);
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, err = 0;
	char text[64];
	struct job *job;
	pid_t child = 0;

	if (!j || plg_journal_claim(j, plan->key) < 0) {
		/* Claimed by another runner (the engine finds it in the journal), or the journal is unusable (the
		 * engine finds nothing and asks again, a bounded number of times). */
		bool full = storage_full(errno);

		journal_put(j);
		if (full)
			return false;
		if (notify_fd >= 0)
			close(notify_fd);
		return true;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
		err = errno;
	else
		err = spawn_task(plan, true, out[1], errp[1], &child);
	if (out[1] >= 0)
		close(out[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (err) {
		snprintf(text, sizeof(text), "spawn %d", err);
		plg_journal_ended(j, plan->key, text);
		if (out[0] >= 0)
			close(out[0]);
		if (errp[0] >= 0)
			close(errp[0]);
		journal_put(j);
		if (notify_fd >= 0)
			close(notify_fd);
		return true;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	/* The task is not reaped before reap() runs, so the pid stays its own until its exit is recorded. */
	plg_journal_started(j, plan->key, child);
	FC_ALLOC_GROW(s->jobs, s->njobs + 1, s->alloc);
	job = &s->jobs[s->njobs++];
	memset(job, 0, sizeof(*job));
	job->pid = child;
	job->notify_fd = notify_fd;
	job->pipe_fd[0] = out[0];
	job->pipe_fd[1] = errp[0];
	job->log_fd[0] = job->log_fd[1] = -1;
	job->log_path[0] = fc_xstrdup(plan->stdout_path);
	job->log_path[1] = fc_xstrdup(plan->stderr_path);
	job->journal = j;
	job->key = fc_xstrdup(plan->key);
	return true;
}

/* Try the starts that waited for space again; true when some still wait. */
static bool retry_pending(struct supervisor *s)
{
	size_t i = 0;

	while (i < s->npending) {
		struct pending *p = &s->pending[i];

		if (!start_task(s, &p->plan, p->notify_fd))
			return true; /* still full: the others would fail too */
		plg_spawn_plan_release(&p->plan);
		s->pending[i] = s->pending[--s->npending];
	}
	return false;
}

static void abort_task(struct supervisor *s, const char *journal, const char *key)
{
	size_t i;

	for (i = 0; i < s->njobs; i++)
		if (!strcmp(s->jobs[i].key, key) && !strcmp(s->jobs[i].journal->path, journal))
			killpg(s->jobs[i].pid, SIGKILL); /* not reaped yet: the group is still the task's */
	for (i = 0; i < s->npending;) {
		struct pending *p = &s->pending[i];

		if (!strcmp(p->plan.key, key) && !strcmp(p->plan.journal, journal)) {
			plg_spawn_plan_release(&p->plan);
			if (p->notify_fd >= 0)
				close(p->notify_fd);
			s->pending[i] = s->pending[--s->npending];
		} else {
			i++;
		}
	}
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
		const char *journal;

		if (!strcmp(kind, "start") && parse_start(pos, end, &plan)) {
			if (s->npending || !start_task(s, &plan, notify_fd)) {
				FC_ALLOC_GROW(s->pending, s->npending + 1, s->pending_alloc);
				s->pending[s->npending].plan = plan;
				s->pending[s->npending++].notify_fd = notify_fd;
			} else {
				plg_spawn_plan_release(&plan);
			}
			notify_fd = -1;
		} else if (!strcmp(kind, "abort") && (journal = next_str(&pos, end)) && (kind = next_str(&pos, end))) {
			abort_task(s, journal, kind);
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
	struct pollfd *pfd = NULL;
	size_t pfd_alloc = 0;
	sigset_t chld;
	int sigfd, devnull;
	bool retry; /* an exit record or a claim waits for space: try again every EXIT_RETRY_MS */

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
	retry = false;
	for (;;) {
		struct signalfd_siginfo si;
		nfds_t n = 0, first_job, sock_at = 0;
		size_t i;
		int k;

		if (s.sock < 0 && !s.njobs && !s.npending)
			_exit(0);
		FC_ALLOC_GROW(pfd, 2 + 2 * s.njobs, pfd_alloc);
		if (sigfd >= 0) {
			pfd[n].fd = sigfd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (s.sock >= 0) {
			sock_at = n;
			pfd[n].fd = s.sock;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		first_job = n;
		for (i = 0; i < s.njobs; i++) {
			for (k = 0; k < 2; k++) {
				pfd[n].fd = s.jobs[i].pipe_fd[k]; /* -1: ignored by poll */
				pfd[n].events = POLLIN;
				pfd[n++].revents = 0;
			}
		}
		/* Without a signalfd, look for exited children every 50 ms. */
		if (poll(pfd, n, retry ? EXIT_RETRY_MS : sigfd >= 0 ? -1 : 50) < 0 && errno != EINTR)
			_exit(1);
		for (i = 0; i < s.njobs && first_job + 2 * i + 1 < n; i++)
			for (k = 0; k < 2; k++)
				if (pfd[first_job + 2 * i + (size_t)k].revents)
					pump(&s.jobs[i], k, false);
		if (sigfd >= 0)
			while (read(sigfd, &si, sizeof(si)) > 0)
				;
		retry = reap(&s);
		if (s.npending)
			retry = retry_pending(&s) || retry;
		if (s.sock >= 0 && (pfd[sock_at].revents & (POLLIN | POLLHUP | POLLERR)) && !serve_request(&s)) {
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

void plg_launch_abort(const char *journal, const char *key)
{
	struct fc_buf req = FC_BUF_INIT;

	if (sup.sock < 0 || sup.owner != getpid())
		return;
	request_begin(&req, "abort");
	add_str(&req, journal);
	add_str(&req, key);
	request_end(&req);
	sup_send(&req, -1);
	fc_buf_release(&req);
}
