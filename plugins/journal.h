/*
 * journal.h: the attempt journal of an execution (an internal module of plugins/, used by launcher.c and
 * container.c).
 *
 * One append-only text file per execution, `<execution dir>/attempts.log`, replaces the per-attempt files of
 * before (run.lock, exit): each attempt costs a few lines in it and no file system entry. Records, one line each,
 * written under an exclusive flock() of the file (so a claim is checked and appended atomically, and a short
 * write is truncated away before anyone appends after it):
 *
 *   C <key> <runner pid> <runner start>   the runner (the supervisor or a monitor) claims attempt <key>
 *                                         ("<node>/<attempt>"); only the first claim of a key counts
 *   P <key> <task pid>                    the task started: the leader of its own process group
 *   E <key> <kind> <value>                it ended: "exit N", "signal N", "spawn ERRNO" or "lost 0"
 *
 * The runner writes E before it reaps the task, so while a key has C and no E and its runner is alive (pid and
 * start time, /proc/<pid>/stat), the pid of P is still the task's. A key with C, no E, and a runner gone was lost.
 * Readers take complete lines only.
 */
#ifndef PLG_JOURNAL_H
#define PLG_JOURNAL_H

#include "core/fc.h"
#include "core/strmap.h"

#include <sys/types.h>

#define PLG_JOURNAL_FILE "attempts.log"
/* Longest record accepted (a node id is far shorter); a longer line is skipped. */
#define PLG_JOURNAL_MAX_LINE 1024

struct plg_attempt_rec {
	pid_t runner;          /* 0: not claimed */
	uint64_t runner_start; /* its start time (clock ticks since boot) */
	pid_t task;            /* 0: not started yet */
	char end[32];          /* "" until the E record: "exit 0", "signal 9", ... */
	char key[];
};

struct plg_journal {
	char *path;
	int fd;          /* -1 until the file exists (readers) */
	bool writer;     /* opened read-write (runners) */
	uint64_t offset; /* everything before it is in `recs` */
	struct fc_strmap recs;
	unsigned refs;
};

/* Open (a runner: `writer`, creating the file) or prepare to read (the file may not exist yet). */
struct plg_journal *plg_journal_open(const char *path, bool writer);
void plg_journal_close(struct plg_journal *j);
/* Read what was appended since the last call. */
void plg_journal_refresh(struct plg_journal *j);
/* The record of `key` after a refresh, or NULL. */
const struct plg_attempt_rec *plg_journal_get(struct plg_journal *j, const char *key);
/* Claim `key` for this process. 0, or -1 with errno (EEXIST: claimed before; ENOSPC...: not written). */
int plg_journal_claim(struct plg_journal *j, const char *key);
/* Append "P key pid" or "E key text". 0, or -1 with errno. */
int plg_journal_started(struct plg_journal *j, const char *key, pid_t task);
int plg_journal_ended(struct plg_journal *j, const char *key, const char *end);

/* The start time of process `pid` (field 22 of /proc/<pid>/stat), 0 when it is gone. */
uint64_t plg_proc_start(pid_t pid);
/* Is the runner of this record still alive? */
bool plg_attempt_runner_alive(const struct plg_attempt_rec *r);

#endif
