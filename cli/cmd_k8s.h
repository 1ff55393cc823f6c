/*
 * cmd_k8s.h: `flytec k8s manifests` (the CRD, RBAC and operator Deployment), and `flytec compile --emit
 * flyteworkflow` (the FlyteWorkflow resource of one compiled workflow). cmd_compile.c splices CLI_FW_LONGOPTS into
 * its option table and hands those options to cli_fw_option().
 */
#ifndef FC_CMD_K8S_H
#define FC_CMD_K8S_H

#include "core/fc.h"

struct cmp_session;
struct fc_err;

int cmd_k8s(int argc, char **argv);

/* Option codes of `compile --emit flyteworkflow`, above every short option's character. */
enum {
	CLI_FW_OPT_EXECUTION = 0x1000,
	CLI_FW_OPT_NAMESPACE,
	CLI_FW_OPT_INPUT,
	CLI_FW_OPT_PREPARE,
	CLI_FW_OPT_LABEL,
	CLI_FW_OPT_ANNOTATION,
	CLI_FW_OPT_SERVICE_ACCOUNT,
	CLI_FW_OPT_RAW_OUTPUT_PREFIX,
	CLI_FW_OPT_ADMIN_URL,
	CLI_FW_OPT_OFFLOAD,
	CLI_FW_OPT_MAX_BYTES,
};

#define CLI_FW_LONGOPTS                                                                                    \
	{"execution", required_argument, NULL, CLI_FW_OPT_EXECUTION},                                      \
	{"namespace", required_argument, NULL, CLI_FW_OPT_NAMESPACE},                                      \
	{"input", required_argument, NULL, CLI_FW_OPT_INPUT},                                              \
	{"prepare", no_argument, NULL, CLI_FW_OPT_PREPARE},                                                \
	{"label", required_argument, NULL, CLI_FW_OPT_LABEL},                                              \
	{"annotation", required_argument, NULL, CLI_FW_OPT_ANNOTATION},                                    \
	{"service-account", required_argument, NULL, CLI_FW_OPT_SERVICE_ACCOUNT},                          \
	{"raw-output-prefix", required_argument, NULL, CLI_FW_OPT_RAW_OUTPUT_PREFIX},                      \
	{"admin-url", required_argument, NULL, CLI_FW_OPT_ADMIN_URL},                                      \
	{"offload-closure", required_argument, NULL, CLI_FW_OPT_OFFLOAD},                                  \
	{"max-resource-bytes", required_argument, NULL, CLI_FW_OPT_MAX_BYTES}

#define CLI_FW_USAGE                                                                                       \
	"  --emit flyteworkflow prints the FlyteWorkflow custom resource of --workflow NAME:\n"           \
	"      --execution P:D:N     execution identifier (name of the resource; default: generateName)\n"   \
	"      --namespace NS        the resource's namespace (default: PROJECT-DOMAIN of --execution)\n"   \
	"      --input NAME=VALUE    a workflow input (repeatable; default: the workflow's defaults)\n"     \
	"      --prepare             also fill what the admin adds (executionId, finalizer, ...); implied by\n" \
	"                            --label, --annotation, --service-account, --raw-output-prefix, --admin-url\n" \
	"      --label K=V, --annotation K=V, --service-account SA, --raw-output-prefix URI, --admin-url URL\n" \
	"      --offload-closure PATH  where the closure goes when the resource is too large (binary pb)\n" \
	"      --max-resource-bytes N  offload past N bytes of JSON (default 1 MiB; 0: always offload)\n"

/* Options of --emit flyteworkflow, collected while cmd_compile parses its argv. */
struct cli_fw_args {
	const char *execution;
	const char *k8s_namespace;
	const char **inputs;
	size_t n_inputs;
	const char **labels;
	size_t n_labels;
	const char **annotations;
	size_t n_annotations;
	const char *service_account;
	const char *raw_output_prefix;
	const char *admin_url;
	const char *offload_closure;
	long long max_bytes; /* -1: default */
	bool prepare;
	bool used; /* any of these options was given */
};

void cli_fw_args_init(struct cli_fw_args *a);
void cli_fw_args_release(struct cli_fw_args *a);
/* Take one option (`code` from CLI_FW_LONGOPTS). Returns 0, or prints a usage error and returns non-zero. */
int cli_fw_option(struct cli_fw_args *a, int code, const char *arg);
/* Print the resource of `workflow` (NULL: the only workflow) as JSON on stdout. */
int cli_fw_emit(struct cmp_session *s, const char *workflow, const struct cli_fw_args *a, struct fc_err *err);

#endif
