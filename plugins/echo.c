/* echo.c: the `echo` plugin (outputs = inputs of the same name) and the `sleep` plugin, for tests and examples. */
#include "plugins/plugin.h"
#include "plugins/registry.h"

#include "core/fc.h"
#include "flyteidl/core/tasks.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int echo_handle(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	const Flyteidl__Core__TaskTemplate *task = ctx->task_template;
	const Flyteidl__Core__VariableMap *outputs = task->interface ? task->interface->outputs : NULL;
	size_t i;

	for (i = 0; outputs && i < outputs->n_variables; i++) {
		const char *var = outputs->variables[i]->key;

		if (ctx->host->set_output_from_input(ctx, var, var) < 0) {
			out->phase = PLG_PHASE_PERMANENT_FAILURE;
			out->error_kind = PLG_ERROR_USER;
			out->error_code = "EchoMissingInput";
			out->error_message = ctx->host->strdup(ctx, "echo: an output has no input of the same name");
			return 0;
		}
	}
	out->phase = PLG_PHASE_SUCCESS;
	return 0;
}

static const char *const echo_types[] = {"echo", NULL};

const struct plg_plugin plg_echo_plugin = {
	.abi_version = PLG_ABI_VERSION,
	.name = "echo",
	.task_types = echo_types,
	.handle = echo_handle,
};

/* sleep: waits for the duration given by the input `duration` (or the task config key `duration`), in seconds or
 * as "1m30s"; the deadline is persisted, so a restart of the propeller does not start the wait over. */
static double parse_seconds(const char *s)
{
	double total = 0;
	char *end;

	if (!s || !*s)
		return -1;
	total = strtod(s, &end);
	if (!*end || !strcmp(end, "s"))
		return total;
	total = 0;
	while (*s) {
		double v = strtod(s, &end);

		if (end == s)
			return -1;
		s = end;
		if (!strncmp(s, "ms", 2)) {
			v /= 1000;
			s += 2;
		} else if (*s == 'h') {
			v *= 3600;
			s++;
		} else if (*s == 'm') {
			v *= 60;
			s++;
		} else if (*s == 's') {
			s++;
		} else {
			return -1;
		}
		total += v;
	}
	return total;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int sleep_handle(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	int64_t deadline, now = realtime_ns();

	if (ctx->state && ctx->state_len == sizeof(deadline)) {
		memcpy(&deadline, ctx->state, sizeof(deadline));
	} else {
		const char *text = ctx->host->input_text(ctx, "duration");
		double secs;

		if (!text)
			text = ctx->host->task_config(ctx, "duration");
		secs = parse_seconds(text);
		if (secs < 0 || secs > 1e9) {
			out->phase = PLG_PHASE_PERMANENT_FAILURE;
			out->error_kind = PLG_ERROR_USER;
			out->error_code = "BadDuration";
			out->error_message = "sleep: needs an input or config 'duration' (seconds, or like 1m30s)";
			return 0;
		}
		deadline = now + (int64_t)(secs * 1e9);
		ctx->host->set_state(ctx, &deadline, sizeof(deadline));
	}
	if (now >= deadline) {
		out->phase = PLG_PHASE_SUCCESS;
		return 0;
	}
	ctx->host->wake_at(ctx, deadline);
	out->phase = PLG_PHASE_RUNNING;
	return 0;
}

static const char *const sleep_types[] = {"sleep", NULL};

const struct plg_plugin plg_sleep_plugin = {
	.abi_version = PLG_ABI_VERSION,
	.name = "sleep",
	.task_types = sleep_types,
	.handle = sleep_handle,
};
