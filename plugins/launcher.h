/*
 * launcher.h: how the container plugin starts a task attempt's process so that it outlives the propeller (an
 * internal module of plugins/, used by container.c).
 *
 * The execution's attempt journal (journal.h) is the truth, whoever runs the task: the process that runs an
 * attempt first claims it there (a "C" record, checked and appended under the journal's lock, so only one claimant
 * wins), records the task's pid ("P"), and, when the task has ended, its exit status ("E") before it reaps it. So
 * E means finished, C with a live runner means running, C with a dead runner and no E means lost, no C means not
 * started (see docs/propeller.md). No file is created per attempt: the logs are created on the task's first byte
 * of output.
 *
 * Who runs the task:
 *  - the supervisor: one small helper process per engine process, forked early while the engine is still small
 *    (plg_launcher_prefork()). The engine sends it the spawn plan and goes on (nothing comes back but the close
 *    of a pipe when the attempt is over); it claims the attempt, posix_spawn()s the task as the leader of its
 *    own process group (fork + setrlimit + exec for a task with resource limits) with its stdout and stderr on
 *    pipes, copies what comes out to the log files (created on the first byte), waits for it and records its
 *    exit. Starting a task costs one vfork + exec, as with make, and overlaps with the engine's work. It
 *    outlives the engine until its last task has ended, so a killed propeller loses nothing;
 *  - a monitor: a process forked from the engine for one attempt, which does the same for that attempt only
 *    (its logs are files from the start);
 *    used when no supervisor can be used.
 */
#ifndef PLG_LAUNCHER_H
#define PLG_LAUNCHER_H

#include "core/fc.h"

#include <sys/resource.h>
#include <sys/types.h>


/* The logs of an attempt, in its output directory `<node>/data/<attempt>/` (made with the first byte). */
#define PLG_STDOUT_LOG "stdout.log"
#define PLG_STDERR_LOG "stderr.log"

/* Everything needed to start the task; owned strings (plg_spawn_plan_release()). */
struct plg_spawn_plan {
	char **argv; /* NULL-terminated; argv[0] is searched in PATH */
	char **envp; /* NULL-terminated */
	char *workdir;
	char *stdout_path, *stderr_path; /* created (with their directory) when the task first writes */
	char *journal;                   /* the execution's attempt journal (journal.h) */
	char *key;                       /* the attempt in it: "<node>/<attempt>" */
	struct rlimit mem, fsize;
	bool has_mem, has_fsize;
};

void plg_spawn_plan_release(struct plg_spawn_plan *p);

struct plg_launch {
	pid_t pid;       /* a monitor's pid (its process group runs the attempt); 0 when supervised */
	int watch_fd;    /* becomes readable once the attempt is over (exit recorded), or when its runner is gone or
			  * did not claim it (another runner had: look at the journal) */
	bool own_child;  /* pid is a child of this process: reap it */
	bool supervised; /* handed to the supervisor (asynchronously: it may not have claimed the attempt yet) */
};

enum plg_launch_result {
	PLG_LAUNCH_STARTED = 0,
	PLG_LAUNCH_FAILED = -1, /* errno says why */
};

/* Start the attempt: hand it to the supervisor (which claims it, runs it and records its exit), or fork a monitor
 * that does. Never waits for a fork or exec of the supervisor. */
enum plg_launch_result plg_launch(const struct plg_spawn_plan *plan, struct plg_launch *out);
/* Ask the supervisor to kill the task of attempt `key` of `journal` (after any start request sent before). */
void plg_launch_abort(const char *journal, const char *key);

/* Start this process's supervisor now, while the process is small (optional: plg_launch() starts it otherwise). */
void plg_launcher_prefork(void);

/* Whether plg_launch() goes through the supervisor (default true); false makes it fork a monitor per attempt
 * (tests of that path). */
void plg_launcher_use_supervisor(bool on);

/* A pidfd of `pid` (-1 when it is gone or pidfds are unsupported). */
int plg_pidfd_open(pid_t pid);

#endif
