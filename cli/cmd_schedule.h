/* cmd_schedule.h: `flytec schedule`: check cron schedules and print their next fire times. */
#ifndef FC_CMD_SCHEDULE_H
#define FC_CMD_SCHEDULE_H

/*
 * flytec schedule next "<expr>" [--tz ZONE] [-n N] [--from TIME] [--anchor TIME]
 * flytec schedule check "<expr>"
 * argv[0] is "schedule". Returns CLI_EXIT_OK, CLI_EXIT_SPEC (bad expression) or CLI_EXIT_USAGE.
 */
int cmd_schedule(int argc, char **argv);

#endif
