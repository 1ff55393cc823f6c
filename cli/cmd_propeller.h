/* cmd_propeller.h: `flytec propeller`, the Kubernetes operator (propeller/operator.h). */
#ifndef FC_CMD_PROPELLER_H
#define FC_CMD_PROPELLER_H

int cmd_propeller(int argc, char **argv);

#endif
