/*
 * hello_plugin.c: a minimal external task-type plugin for flytec. It handles the task type "hello": it reads the
 * input `name` and sets the output `greeting` to "hello, <name>". It needs only plugins/plugin.h; everything else
 * goes through ctx->host.
 *
 *   cc -shared -fPIC -I. -o hello.so plugins/examples/hello_plugin.c
 *   flytec run wf.yaml --plugin-dir DIR_WITH_hello.so ...
 */
#include "plugins/plugin.h"

#include <stdio.h>

static int hello_handle(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	const char *name = ctx->host->input_text(ctx, "name");
	char text[256], errbuf[256];

	snprintf(text, sizeof(text), "hello, %s", name ? name : "world");
	if (ctx->host->set_output_text(ctx, "greeting", text, errbuf, sizeof(errbuf)) < 0) {
		out->phase = PLG_PHASE_PERMANENT_FAILURE;
		out->error_kind = PLG_ERROR_USER;
		out->error_code = "HelloBadInterface";
		out->error_message = ctx->host->strdup(ctx, errbuf);
		return 0;
	}
	out->phase = PLG_PHASE_SUCCESS;
	return 0;
}

static const char *const hello_types[] = {"hello", NULL};

static const struct plg_plugin hello_plugin = {
	.abi_version = PLG_ABI_VERSION,
	.name = "hello",
	.task_types = hello_types,
	.handle = hello_handle,
};

const struct plg_plugin *flytec_plugin_entry(void);

const struct plg_plugin *flytec_plugin_entry(void)
{
	return &hello_plugin;
}
