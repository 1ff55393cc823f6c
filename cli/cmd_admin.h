/*
 * cmd_admin.h: the control-plane subcommands (admin-lite).
 *
 *   flytec serve [--repo DIR] ...      the admin REST API (and the repository watcher with --repo)
 *   flytec watch DIR ...               the repository watcher alone, into the store
 *   flytec register|get|launch|activate|terminate|status ...   API clients (--admin URL)
 *
 * Each takes argv with argv[0] the subcommand name and returns an exit status (cli.h: 0 ok, 1 the request failed,
 * 2 usage or I/O problems).
 */
#ifndef FC_CMD_ADMIN_H
#define FC_CMD_ADMIN_H

#include <stdbool.h>

int cmd_serve(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_launch(int argc, char **argv);
int cmd_activate(int argc, char **argv);
int cmd_terminate(int argc, char **argv);
/* `flytec schedule pause|unpause LP` (argv[0] is "pause" or "unpause"). */
int cmd_schedule_pause(int argc, char **argv, bool pause);
int cmd_status(int argc, char **argv);
/* `flytec logs EXECUTION NODE` (cmd_logs.c). */
int cmd_logs(int argc, char **argv);
/* `flytec backfill LP --from T1 --to T2 [--parallel N] [--dry-run]`. */
int cmd_backfill(int argc, char **argv);

#endif
