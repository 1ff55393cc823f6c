/*
 * launcher.h: how the container plugin starts a task attempt's process so that it outlives the propeller (an
 * internal module of plugins/, used by container.c).
 *
 * The file system of the attempt's sandbox is the truth, whoever runs the task: the process that claims the
 * attempt links a locked file `run.lock` (holding the pid of the task's process group) into the sandbox; `link()`
 * lets only one claimant win. When the task ends, its exit status is written atomically to `exit`, and only then
 * is the lock released. So `exit` present means finished, `run.lock` locked means running, `run.lock` unlocked
 * without `exit` means lost, neither means not started (see docs/plugins.md).
 *
 * Who runs the task:
 *  - the supervisor: one small helper process per engine process, forked early while the engine is still small
 *    (plg_launcher_prefork()). The engine sends it the spawn plan and goes on (nothing comes back but the close
 *    of a pipe when the attempt is over); it claims the attempt, posix_spawn()s the task as the leader of its
 *    own process group (fork + setrlimit + exec for a task with resource limits), waits for it and records its
 *    exit. Starting a task costs one vfork + exec, as with make, and overlaps with the engine's work. It
 *    outlives the engine until its last task has ended, so a killed propeller loses nothing;
 *  - a monitor: a process forked from the engine for one attempt, which does the same for that attempt only;
 *    used when no supervisor can be used.
 */
#ifndef PLG_LAUNCHER_H
#define PLG_LAUNCHER_H

#include "core/fc.h"

#include <sys/resource.h>
#include <sys/types.h>

#define PLG_EXIT_FILE "exit"
#define PLG_LOCK_FILE "run.lock"

/* Everything needed to start the task; owned strings (plg_spawn_plan_release()). */
struct plg_spawn_plan {
	char **argv; /* NULL-terminated; argv[0] is searched in PATH */
	char **envp; /* NULL-terminated */
	char *workdir;
	char *stdout_path, *stderr_path;
	char *sandbox; /* where run.lock and exit live */
	struct rlimit mem, fsize;
	bool has_mem, has_fsize;
};

void plg_spawn_plan_release(struct plg_spawn_plan *p);

struct plg_launch {
	pid_t pid;       /* a monitor's pid (its process group runs the attempt); 0 when supervised */
	int watch_fd;    /* becomes readable once the attempt is over (exit recorded), or when its runner is gone or
			  * did not claim it (another runner had: look at run.lock) */
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
/* Ask the supervisor to kill the task of the attempt in `sandbox` (after any start request sent before). */
void plg_launch_abort(const char *sandbox);

/* Start this process's supervisor now, while the process is small (optional: plg_launch() starts it otherwise). */
void plg_launcher_prefork(void);

/* Whether plg_launch() goes through the supervisor (default true); false makes it fork a monitor per attempt
 * (tests of that path). */
void plg_launcher_use_supervisor(bool on);

/* A pidfd of `pid` (-1 when it is gone or pidfds are unsupported). */
int plg_pidfd_open(pid_t pid);

#endif
