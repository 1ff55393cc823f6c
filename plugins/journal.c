/*
 * journal.c: the attempt journal of an execution (see journal.h).
 */
#include "plugins/journal.h"

#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct plg_journal *plg_journal_open(const char *path, bool writer)
{
	struct plg_journal *j = fc_xcalloc(1, sizeof(*j));

	j->path = fc_xstrdup(path);
	j->writer = writer;
	j->fd = -1;
	j->refs = 1;
	fc_strmap_init(&j->recs);
	if (writer) {
		j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (j->fd < 0) {
			int saved = errno;

			plg_journal_close(j);
			errno = saved;
			return NULL;
		}
	}
	return j;
}

void plg_journal_close(struct plg_journal *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->recs.cap; i++)
		if (j->recs.slots[i].key)
			free(j->recs.slots[i].value);
	fc_strmap_release(&j->recs);
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j);
}

static struct plg_attempt_rec *rec_for(struct plg_journal *j, const char *key, size_t len)
{
	struct plg_attempt_rec *r = fc_strmap_getn(&j->recs, key, len);

	if (!r) {
		r = fc_xcalloc(1, sizeof(*r) + len + 1);
		memcpy(r->key, key, len);
		fc_strmap_putn(&j->recs, r->key, len, r);
	}
	return r;
}

/* One complete line, without its newline; malformed lines are ignored. */
static void apply_line(struct plg_journal *j, char *line, size_t len)
{
	char *kind, *key, *a, *b, *save = NULL;
	struct plg_attempt_rec *r;

	if (len > PLG_JOURNAL_MAX_LINE)
		return;
	line[len] = '\0';
	kind = strtok_r(line, " ", &save);
	key = strtok_r(NULL, " ", &save);
	a = strtok_r(NULL, " ", &save);
	b = strtok_r(NULL, " ", &save);
	if (!kind || !key || !a || kind[1])
		return;
	switch (kind[0]) {
	case 'C':
		if (!b)
			return;
		r = rec_for(j, key, strlen(key));
		if (!r->runner) { /* the first claim counts */
			r->runner = (pid_t)atol(a);
			r->runner_start = strtoull(b, NULL, 10);
		}
		break;
	case 'P':
		r = rec_for(j, key, strlen(key));
		r->task = (pid_t)atol(a);
		break;
	case 'E':
		if (!b)
			return;
		r = rec_for(j, key, strlen(key));
		if (!r->end[0])
			snprintf(r->end, sizeof(r->end), "%s %s", a, b);
		break;
	default:
		break;
	}
}

void plg_journal_refresh(struct plg_journal *j)
{
	struct stat st;
	char *buf, *p, *end, *nl;
	size_t len, done = 0;
	ssize_t n;

	if (j->fd < 0) {
		j->fd = open(j->path, O_RDONLY | O_CLOEXEC);
		if (j->fd < 0)
			return;
	}
	if (fstat(j->fd, &st) < 0 || (uint64_t)st.st_size <= j->offset)
		return;
	len = (size_t)((uint64_t)st.st_size - j->offset);
	buf = fc_xmalloc(len + 1);
	while (done < len) {
		n = pread(j->fd, buf + done, len - done, (off_t)(j->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	/* Complete lines only: the rest is being written (or will be truncated away). */
	p = buf;
	end = buf + done;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		apply_line(j, p, (size_t)(nl - p));
		p = nl + 1;
	}
	j->offset += (uint64_t)(p - buf);
	free(buf);
}

const struct plg_attempt_rec *plg_journal_get(struct plg_journal *j, const char *key)
{
	return fc_strmap_get(&j->recs, key);
}

/* Append one record under the lock; `check_claim`: fail with EEXIST when `key` is claimed already. */
static int append(struct plg_journal *j, const char *key, bool check_claim, const char *text)
{
	size_t len = strlen(text), off = 0;
	struct stat st;
	int rc = -1, saved = 0;

	if (j->fd < 0 || !j->writer) {
		errno = EBADF;
		return -1;
	}
	while (flock(j->fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -1;
	plg_journal_refresh(j);
	if (check_claim) {
		const struct plg_attempt_rec *r = plg_journal_get(j, key);

		if (r && r->runner) {
			saved = EEXIST;
			goto out;
		}
	}
	if (fstat(j->fd, &st) < 0) {
		saved = errno;
		goto out;
	}
	while (off < len) {
		ssize_t n = write(j->fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			saved = n < 0 ? errno : ENOSPC;
			/* A short record would run into the next one: take it back. */
			if (off && ftruncate(j->fd, st.st_size) < 0)
				saved = errno;
			goto out;
		}
		off += (size_t)n;
	}
	plg_journal_refresh(j); /* our own record, and keeps `offset` at the end */
	rc = 0;
out:
	flock(j->fd, LOCK_UN);
	if (rc)
		errno = saved;
	return rc;
}

int plg_journal_claim(struct plg_journal *j, const char *key)
{
	static uint64_t self_start;
	static pid_t self_pid;
	char text[PLG_JOURNAL_MAX_LINE + 64];

	/* Cached per process: a monitor is forked from the engine and has its own start time. */
	if (self_pid != getpid()) {
		self_pid = getpid();
		self_start = plg_proc_start(self_pid);
	}
	if (strlen(key) > PLG_JOURNAL_MAX_LINE - 64) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(text, sizeof(text), "C %s %ld %llu\n", key, (long)getpid(), (unsigned long long)self_start);
	return append(j, key, true, text);
}

int plg_journal_started(struct plg_journal *j, const char *key, pid_t task)
{
	char text[PLG_JOURNAL_MAX_LINE + 64];

	snprintf(text, sizeof(text), "P %s %ld\n", key, (long)task);
	return append(j, key, false, text);
}

int plg_journal_ended(struct plg_journal *j, const char *key, const char *end)
{
	char text[PLG_JOURNAL_MAX_LINE + 64];

	snprintf(text, sizeof(text), "E %s %s\n", key, end);
	return append(j, key, false, text);
}

uint64_t plg_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* After the command name (in parentheses, which may hold anything): field 3 onwards. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &start) != 1)
		return 0;
	/* A zombie is gone for our purposes: it runs nothing and holds no task. */
	{
		char *s = strrchr(buf, ')');

		if (s && s[1] == ' ' && (s[2] == 'Z' || s[2] == 'X'))
			return 0;
	}
	return start;
}

bool plg_attempt_runner_alive(const struct plg_attempt_rec *r)
{
	uint64_t start;

	if (!r->runner)
		return false;
	start = plg_proc_start(r->runner);
	return start && start == r->runner_start;
}
