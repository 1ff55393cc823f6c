/* cmd_convert.h: `flytec convert` (Flyte IDL -> YAML spec) and `flytec package` (specs -> pyflyte-style archive). */
#ifndef FC_CMD_CONVERT_H
#define FC_CMD_CONVERT_H

int cmd_convert(int argc, char **argv);
int cmd_package(int argc, char **argv);

#endif
