/* cmd_run.h: `flytec run FILE[:WORKFLOW] --input k=v ...`: compile and execute one workflow in-process. */
#ifndef FC_CMD_RUN_H
#define FC_CMD_RUN_H

int cmd_run(int argc, char **argv);

#endif
