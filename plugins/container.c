/*
 * container.c: the `container` / `raw-container` plugin on one machine. The container's command and args run as a
 * local process (an argv exec'd with posix_spawn, never through a shell we add), following Flyte's raw-container
 * conventions; see docs/plugins.md for the full contract.
 *
 * The process is started by launcher.c (the engine's supervisor process, or a monitor process for the attempt),
 * which claims the attempt in the execution's attempt journal (journal.h), records the task's pid, waits for the
 * task and records its exit status before it reaps it. The journal is the truth, so handle() is idempotent and
 * survives a restart of the propeller: an exit record means finished; a claim whose runner is alive means running
 * (adopt it by the task's pid); a claim whose runner is gone, without an exit record, means the process was lost;
 * no claim means not started. Two runners of one attempt can never both run the task: the claim is checked and
 * appended under the journal's lock, and only the first counts.
 */
#include "plugins/plugin.h"
#include "plugins/launcher.h"
#include "plugins/journal.h"
#include "plugins/registry.h"

#include "core/buf.h"
#include "core/err.h"
#include "flyteidl/core/errors.pb-c.h"
#include "flyteidl/core/tasks.pb-c.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_OUTPUT_FILE (16u * 1024 * 1024)

/* The plugin's persisted state of an attempt. */
struct container_state {
	int32_t monitor_pid; /* a monitor this process forked for the attempt; 0: none */
	int32_t spawner_pid; /* the propeller process that started the attempt */
	uint32_t unclaimed;  /* starts that ended without claiming the attempt */
	uint32_t how;        /* enum how_started */
};

enum how_started { STARTED_NOT = 0, STARTED_MONITOR, STARTED_SUPERVISED };

/* A start that ends without claiming the attempt (the runner could not open the journal, or lost the claim to an
 * older runner that then vanished, or died) is tried again at most this many times. */
#define MAX_UNCLAIMED 3
/* How often an attempt that could not start because the sandbox's file system is full tries again (a few system
 * calls each time: cheap enough not to need a growing back-off). */
#define FULL_RETRY_NS (500 * 1000000LL)
/* How often to look again at an attempt whose exit is being recorded by another process. */
#define RECHECK_NS (20 * 1000000LL)
/* Watching an adopted pid also looks again this often: a safety net, should the pid have been reused. */
#define ADOPTED_RECHECK_NS (1000 * 1000000LL)
/* Journals of executions read by this process kept open (the most recently used). */
#define READER_CACHE 16

static char *path_join(const char *dir, const char *name)
{
	struct fc_buf b = FC_BUF_INIT;

	fc_buf_addf(&b, "%s/%s", dir, name);
	return fc_buf_detach(&b, NULL);
}

static void fail(struct plg_transition *out, enum plg_phase phase, enum plg_error_kind kind, const char *code,
		 const struct plg_task_ctx *ctx, const char *msg)
{
	out->phase = phase;
	out->error_kind = kind;
	out->error_code = code;
	out->error_message = ctx->host->strdup(ctx, msg);
}

static const Flyteidl__Core__Container *container_of(const struct plg_task_ctx *ctx)
{
	const Flyteidl__Core__TaskTemplate *t = ctx->task_template;

	if (t->target_case != FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER)
		return NULL;
	return t->container;
}

/* --- templating -------------------------------------------------------------------------------------------- */

static bool var_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return strcmp(s, ".") && strcmp(s, "..");
}

/* Expand `{{ .inputs.x }}` and friends (names are case-insensitive, spaces inside the braces are allowed), and
 * replace the data-config input/output paths by the local directories. Returns 0, or -1 with a message. */
static int expand(const struct plg_task_ctx *ctx, const char *in_dir, const char *out_dir, const char *tmpl,
		  struct fc_buf *out, struct fc_buf *errmsg)
{
	const char *p = tmpl;

	while (*p) {
		const char *open = strstr(p, "{{");
		const char *close, *s, *e;
		char *name;

		if (!open) {
			fc_buf_adds(out, p);
			break;
		}
		fc_buf_add(out, p, (size_t)(open - p));
		close = strstr(open + 2, "}}");
		if (!close) {
			fc_buf_adds(out, open);
			break;
		}
		s = open + 2;
		e = close;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		name = fc_xstrndup(s, (size_t)(e - s));
		if (!strncasecmp(name, ".inputs.", 8)) {
			const char *v = ctx->host->input_text(ctx, name + 8);

			if (!v) {
				fc_buf_addf(errmsg, "template %s: the task has no input '%s'", name, name + 8);
				free(name);
				return -1;
			}
			fc_buf_adds(out, v);
		} else if (!strcasecmp(name, ".input")) {
			fc_buf_adds(out, ctx->inputs_path);
		} else if (!strcasecmp(name, ".inputPrefix")) {
			fc_buf_adds(out, in_dir);
		} else if (!strcasecmp(name, ".outputPrefix")) {
			fc_buf_adds(out, ctx->output_prefix);
		} else if (!strcasecmp(name, ".rawOutputDataPrefix")) {
			fc_buf_adds(out, ctx->raw_output_prefix);
		} else if (!strcasecmp(name, ".checkpointOutputPrefix")) {
			fc_buf_addf(out, "%s/checkpoint", ctx->sandbox_dir);
		} else if (!strcasecmp(name, ".prevCheckpointPrefix")) {
			/* no previous checkpoint on one machine */
		} else if (!strcasecmp(name, ".outputDir")) {
			fc_buf_adds(out, out_dir);
		} else {
			fc_buf_addf(errmsg, "unknown template variable {{%s}}", name);
			free(name);
			return -1;
		}
		free(name);
		p = close + 2;
	}
	return 0;
}

/* Replace a leading data-config path (e.g. "/var/outputs") by the local directory, anywhere in an argument. */
static char *map_paths(const char *arg, const char *from, const char *to)
{
	struct fc_buf b = FC_BUF_INIT;
	size_t flen = from ? strlen(from) : 0;
	const char *p = arg, *hit;

	if (!flen)
		return fc_xstrdup(arg);
	while ((hit = strstr(p, from))) {
		char next = hit[flen];

		fc_buf_add(&b, p, (size_t)(hit - p));
		if (next == '\0' || next == '/' || next == ' ' || next == '"' || next == '\'' || next == ';')
			fc_buf_adds(&b, to);
		else
			fc_buf_add(&b, hit, flen);
		p = hit + flen;
	}
	fc_buf_adds(&b, p);
	return fc_buf_detach(&b, NULL);
}

/* Kubernetes quantity -> bytes: "512Mi", "1G", "100k", "1e9", "2048". */
static bool parse_quantity(const char *s, unsigned long long *out)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
		{"k", 1e3},     {"K", 1e3},        {"M", 1e6},           {"G", 1e9},
		{"T", 1e12},    {"", 1},
	};
	char *end;
	double v = strtod(s, &end);
	size_t i;

	if (end == s || v < 0)
		return false;
	for (i = 0; i < FC_ARRAY_LEN(units); i++) {
		if (!strcmp(end, units[i].suffix)) {
			double bytes = v * units[i].mult;

			if (bytes > 1.8e19)
				return false;
			*out = (unsigned long long)bytes;
			return true;
		}
	}
	return false;
}

static const char *resource_value(const Flyteidl__Core__Resources *r, Flyteidl__Core__Resources__ResourceName name)
{
	size_t i;

	if (!r)
		return NULL;
	for (i = 0; i < r->n_limits; i++)
		if (r->limits[i]->name == name)
			return r->limits[i]->value;
	for (i = 0; i < r->n_requests; i++)
		if (r->requests[i]->name == name)
			return r->requests[i]->value;
	return NULL;
}

static void env_add(char ***envp, size_t *n, size_t *alloc, const char *key, const char *value)
{
	struct fc_buf b = FC_BUF_INIT;
	size_t klen = strlen(key), i;

	fc_buf_addf(&b, "%s=%s", key, value);
	for (i = 0; i < *n; i++) {
		if (!strncmp((*envp)[i], key, klen) && (*envp)[i][klen] == '=') {
			free((*envp)[i]);
			(*envp)[i] = fc_buf_detach(&b, NULL);
			return;
		}
	}
	FC_ALLOC_GROW(*envp, *n + 2, *alloc);
	(*envp)[(*n)++] = fc_buf_detach(&b, NULL);
	(*envp)[*n] = NULL;
}

static int write_text_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	int rc = 0;

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		text += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

/* Build the argv, environment and limits of the attempt, and write the input files. */
/* A full file system (or quota) passes; the attempt waits for it instead of failing. */
static bool storage_full(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

static bool has_template(const char *s)
{
	return s && strstr(s, "{{");
}

static const char *config_value(const Flyteidl__Core__TaskTemplate *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n_config; i++)
		if (t->config[i]->key && !strcmp(t->config[i]->key, key))
			return t->config[i]->value;
	return NULL;
}

/* Whether the attempt needs its sandbox directory: something to put in it (inputs, outputs, the data config),
 * templated arguments (which may name it), or the task asks for it (config `sandbox: "true"`). */
static bool task_needs_sandbox(const Flyteidl__Core__TaskTemplate *t)
{
	const Flyteidl__Core__Container *c = t->target_case == FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER
						     ? t->container
						     : NULL;
	const char *v = config_value(t, "sandbox");
	size_t i;

	if (!c || (v && !strcmp(v, "true")))
		return true;
	if (t->interface && ((t->interface->inputs && t->interface->inputs->n_variables) ||
			     (t->interface->outputs && t->interface->outputs->n_variables)))
		return true;
	if (c->data_config && c->data_config->enabled)
		return true;
	for (i = 0; i < c->n_command; i++)
		if (has_template(c->command[i]))
			return true;
	for (i = 0; i < c->n_args; i++)
		if (has_template(c->args[i]))
			return true;
	for (i = 0; i < c->n_env; i++)
		if (has_template(c->env[i]->value))
			return true;
	return false;
}

bool plg_needs_sandbox(const struct plg_plugin *plugin, const void *task_template)
{
	return plugin != &plg_container_plugin || !task_template || task_needs_sandbox(task_template);
}

/* mkdir -p of `path`, whose first `base_len` bytes name a directory that exists. */
static int mkdirs_below(const char *path, size_t base_len)
{
	char *copy = fc_xstrdup(path), *p;
	int rc = 0;

	for (p = copy + base_len + 1; p <= copy + strlen(path) && rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '/') {
			*p = '\0';
			if (mkdir(copy, 0755) < 0 && errno != EEXIST)
				rc = -1;
			*p = '/';
		} else if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
			rc = -1;
		}
		if (!*p)
			break;
	}
	free(copy);
	return rc;
}

static void attempt_ids(const struct plg_task_ctx *ctx, struct fc_buf *journal, struct fc_buf *key)
{
	if (journal)
		fc_buf_addf(journal, "%s/%s", ctx->exec_dir ? ctx->exec_dir : ctx->output_prefix, PLG_JOURNAL_FILE);
	if (key)
		fc_buf_addf(key, "%s/%u", ctx->node_id, ctx->attempt);
}

/* Returns 0, -1 with a message (the spec cannot run), or -2 with a message (the sandbox's file system is full:
 * try again later). */
static int make_plan(const struct plg_task_ctx *ctx, const Flyteidl__Core__Container *c, struct plg_spawn_plan *plan,
		     struct fc_buf *errmsg)
{
	const Flyteidl__Core__TaskTemplate *task = ctx->task_template;
	const Flyteidl__Core__VariableMap *inputs = task->interface ? task->interface->inputs : NULL;
	const Flyteidl__Core__VariableMap *outputs = task->interface ? task->interface->outputs : NULL;
	bool has_outputs = outputs && outputs->n_variables;
	const Flyteidl__Core__DataLoadingConfig *dc = c->data_config;
	char *in_dir = path_join(ctx->sandbox_dir, "inputs");
	char *out_dir = path_join(ctx->sandbox_dir, "outputs");
	char *node_data_dir = fc_xstrdup(ctx->inputs_path);
	char *slash = strrchr(node_data_dir, '/');
	size_t nargv = 0, nenv = 0, env_alloc = 0, i;
	const char *wd;
	static const char *const inherited[] = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "TZ"};
	char num[32];
	int rc = -1;

	bool sandbox = task_needs_sandbox(task);
	struct fc_buf journal = FC_BUF_INIT, key = FC_BUF_INIT;

	if (slash)
		*slash = '\0';
	memset(plan, 0, sizeof(*plan));
	/* The engine has made it already when plg_needs_sandbox() said so; made here too for a host that did not
	 * (a task that needs none creates no directory). */
	if (sandbox && ctx->exec_dir && !strncmp(ctx->sandbox_dir, ctx->exec_dir, strlen(ctx->exec_dir)) &&
	    mkdirs_below(ctx->sandbox_dir, strlen(ctx->exec_dir)) < 0) {
		fc_buf_addf(errmsg, "cannot create %s: %s", ctx->sandbox_dir, strerror(errno));
		rc = storage_full(errno) ? -2 : -1;
		goto out;
	}
	/* The directories exist when there is something to put in them (each costs a file system inode, which is
	 * a good part of an attempt's cost for a short task). */
	if (((inputs && inputs->n_variables) || (dc && dc->enabled)) && mkdir(in_dir, 0755) < 0 && errno != EEXIST) {
		fc_buf_addf(errmsg, "cannot create %s: %s", in_dir, strerror(errno));
		rc = storage_full(errno) ? -2 : -1;
		goto out;
	}
	if ((has_outputs || (dc && dc->enabled)) && mkdir(out_dir, 0755) < 0 && errno != EEXIST) {
		fc_buf_addf(errmsg, "cannot create %s: %s", out_dir, strerror(errno));
		rc = storage_full(errno) ? -2 : -1;
		goto out;
	}
	for (i = 0; inputs && i < inputs->n_variables; i++) {
		const char *var = inputs->variables[i]->key;
		const char *text = ctx->host->input_text(ctx, var);
		char *path;

		if (!var_name_ok(var) || !text)
			continue;
		path = path_join(in_dir, var);
		if (write_text_file(path, text) < 0) {
			fc_buf_addf(errmsg, "cannot write %s: %s", path, strerror(errno));
			rc = storage_full(errno) ? -2 : -1;
			free(path);
			goto out;
		}
		free(path);
	}

	plan->argv = fc_xcalloc(c->n_command + c->n_args + 1, sizeof(char *));
	for (i = 0; i < c->n_command + c->n_args; i++) {
		const char *tmpl = i < c->n_command ? c->command[i] : c->args[i - c->n_command];
		struct fc_buf arg = FC_BUF_INIT;
		char *mapped;

		if (expand(ctx, node_data_dir, out_dir, tmpl, &arg, errmsg) < 0) {
			fc_buf_release(&arg);
			goto out;
		}
		mapped = map_paths(arg.buf, dc && dc->enabled ? dc->input_path : NULL, in_dir);
		fc_buf_release(&arg);
		plan->argv[nargv] = map_paths(mapped, dc && dc->enabled ? dc->output_path : NULL, out_dir);
		free(mapped);
		nargv++;
	}
	if (!nargv) {
		fc_buf_adds(errmsg, "the container has no command or args");
		goto out;
	}

	for (i = 0; i < FC_ARRAY_LEN(inherited); i++) {
		const char *v = getenv(inherited[i]);

		if (v)
			env_add(&plan->envp, &nenv, &env_alloc, inherited[i], v);
	}
	if (!getenv("PATH"))
		env_add(&plan->envp, &nenv, &env_alloc, "PATH", "/usr/local/bin:/usr/bin:/bin");
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_INTERNAL_EXECUTION_PROJECT", ctx->project);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_INTERNAL_EXECUTION_DOMAIN", ctx->domain);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_INTERNAL_EXECUTION_ID", ctx->exec_name);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_INTERNAL_NODE_ID", ctx->node_id);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_INTERNAL_TASK_NAME", ctx->task_name);
	snprintf(num, sizeof(num), "%u", ctx->attempt);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_ATTEMPT_NUMBER", num);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_INPUT_DIR", in_dir);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_OUTPUT_DIR", out_dir);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_OUTPUT_PREFIX", ctx->output_prefix);
	env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_RAW_OUTPUT_PREFIX", ctx->raw_output_prefix);
	if (sandbox)
		env_add(&plan->envp, &nenv, &env_alloc, "FLYTE_SANDBOX", ctx->sandbox_dir);
	for (i = 0; i < c->n_env; i++) {
		struct fc_buf val = FC_BUF_INIT;

		if (!c->env[i]->key[0] || strchr(c->env[i]->key, '=')) {
			fc_buf_addf(errmsg, "bad environment variable name '%s'", c->env[i]->key);
			fc_buf_release(&val);
			goto out;
		}
		if (expand(ctx, node_data_dir, out_dir, c->env[i]->value, &val, errmsg) < 0) {
			fc_buf_release(&val);
			goto out;
		}
		env_add(&plan->envp, &nenv, &env_alloc, c->env[i]->key, val.buf);
		fc_buf_release(&val);
	}
	if (!plan->envp)
		plan->envp = fc_xcalloc(1, sizeof(char *));

	{
		const char *mem = resource_value(c->resources, FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY);
		const char *disk = resource_value(c->resources, FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__EPHEMERAL_STORAGE);
		unsigned long long bytes;

		if (mem && *mem) {
			if (!parse_quantity(mem, &bytes)) {
				fc_buf_addf(errmsg, "bad memory quantity '%s'", mem);
				goto out;
			}
			plan->mem.rlim_cur = plan->mem.rlim_max = (rlim_t)bytes;
			plan->has_mem = true;
		}
		if (disk && *disk) {
			if (!parse_quantity(disk, &bytes)) {
				fc_buf_addf(errmsg, "bad ephemeral-storage quantity '%s'", disk);
				goto out;
			}
			plan->fsize.rlim_cur = plan->fsize.rlim_max = (rlim_t)bytes;
			plan->has_fsize = true;
		}
	}
	wd = ctx->host->task_config(ctx, "workingDir");
	plan->workdir = fc_xstrdup(wd && *wd ? wd : sandbox || !ctx->exec_dir ? ctx->sandbox_dir : ctx->exec_dir);
	plan->stdout_path = path_join(ctx->output_prefix, PLG_STDOUT_LOG);
	plan->stderr_path = path_join(ctx->output_prefix, PLG_STDERR_LOG);
	attempt_ids(ctx, &journal, &key);
	plan->journal = fc_buf_detach(&journal, NULL);
	plan->key = fc_buf_detach(&key, NULL);
	rc = 0;
out:
	fc_buf_release(&journal);
	fc_buf_release(&key);
	free(in_dir);
	free(out_dir);
	free(node_data_dir);
	if (rc)
		plg_spawn_plan_release(plan);
	return rc;
}

/* --- handle ------------------------------------------------------------------------------------------------ */

static void read_state(const struct plg_task_ctx *ctx, struct container_state *st)
{
	memset(st, 0, sizeof(*st));
	if (ctx->state && ctx->state_len == sizeof(*st))
		memcpy(st, ctx->state, sizeof(*st));
}

/* The journal of the execution, read by this process (the most recently used first). */
static struct plg_journal *readers[READER_CACHE];
static size_t nreaders;

static struct plg_journal *reader_for(const char *path)
{
	struct plg_journal *j;
	size_t i;

	for (i = 0; i < nreaders && strcmp(readers[i]->path, path); i++)
		;
	if (i < nreaders) {
		j = readers[i];
	} else {
		if (nreaders == READER_CACHE)
			plg_journal_close(readers[--nreaders]);
		j = plg_journal_open(path, false);
		i = nreaders++;
	}
	memmove(readers + 1, readers, i * sizeof(*readers));
	readers[0] = j;
	plg_journal_refresh(j);
	return j;
}

/* What the journal says of this attempt, up to date (NULL: nothing, not claimed). */
static const struct plg_attempt_rec *attempt_rec(const struct plg_task_ctx *ctx, struct plg_journal **jp)
{
	struct fc_buf path = FC_BUF_INIT, key = FC_BUF_INIT;
	const struct plg_attempt_rec *r;

	attempt_ids(ctx, &path, &key);
	*jp = reader_for(path.buf);
	r = plg_journal_get(*jp, key.buf);
	fc_buf_release(&path);
	fc_buf_release(&key);
	return r;
}

/* A small file, whole (core's fc_buf_read_file reads in 64 KiB steps: too much per attempt for tiny files). */
static bool read_small(const char *path, struct fc_buf *out, size_t max)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (max && (uint64_t)st.st_size > max))
		goto out;
	fc_buf_grow(out, (size_t)st.st_size + 1);
	for (;;) {
		ssize_t n;

		if (out->alloc <= out->len + 1)
			fc_buf_grow(out, out->len < 4096 ? 4096 : out->len);
		if (fc_buf_error(out))
			goto out;
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (max && out->len > max)
			goto out;
	}
	ok = true;
out:
	close(fd);
	return ok;
}

static void add_logs(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	char *p1 = path_join(ctx->output_prefix, PLG_STDOUT_LOG);
	char *p2 = path_join(ctx->output_prefix, PLG_STDERR_LOG);

	out->logs[0].name = "stdout";
	out->logs[0].uri = ctx->host->strdup(ctx, p1);
	out->logs[1].name = "stderr";
	out->logs[1].uri = ctx->host->strdup(ctx, p2);
	out->nlogs = 2;
	free(p1);
	free(p2);
}

/* The end of stderr (its last 400 bytes), for error messages. */
static void stderr_tail(const struct plg_task_ctx *ctx, struct fc_buf *msg)
{
	char *path = path_join(ctx->output_prefix, PLG_STDERR_LOG);
	char tail[401];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n = 0;
	size_t len;

	free(path);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 0 && lseek(fd, size > 400 ? size - 400 : 0, SEEK_SET) >= 0)
		n = read(fd, tail, sizeof(tail) - 1);
	close(fd);
	if (n <= 0)
		return;
	len = (size_t)n;
	while (len && tail[len - 1] == '\n')
		len--;
	tail[len] = '\0';
	if (len)
		fc_buf_addf(msg, "; stderr: %s%s", size > 400 ? "..." : "", tail);
}

static bool error_document(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	char *path = path_join(ctx->output_prefix, "error.pb");
	struct fc_buf b = FC_BUF_INIT;
	Flyteidl__Core__ErrorDocument *doc = NULL;
	bool found = false;

	if (read_small(path, &b, 1 << 20))
		doc = flyteidl__core__error_document__unpack(NULL, b.len, (const uint8_t *)b.buf);
	if (doc && doc->error) {
		const Flyteidl__Core__ContainerError *ce = doc->error;

		out->phase = ce->kind == FLYTEIDL__CORE__CONTAINER_ERROR__KIND__RECOVERABLE ? PLG_PHASE_RETRYABLE_FAILURE
											   : PLG_PHASE_PERMANENT_FAILURE;
		out->error_kind = ce->origin == FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM ? PLG_ERROR_SYSTEM
												  : PLG_ERROR_USER;
		out->error_code = ctx->host->strdup(ctx, ce->code[0] ? ce->code : "UserError");
		out->error_message = ctx->host->strdup(ctx, ce->message);
		found = true;
	}
	if (doc)
		flyteidl__core__error_document__free_unpacked(doc, NULL);
	fc_buf_release(&b);
	free(path);
	return found;
}

static int collect_outputs(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	const Flyteidl__Core__TaskTemplate *task = ctx->task_template;
	const Flyteidl__Core__VariableMap *outputs = task->interface ? task->interface->outputs : NULL;
	char *pb, *out_dir;
	bool have_pb;
	size_t i;

	out->phase = PLG_PHASE_SUCCESS;
	if (!outputs || !outputs->n_variables)
		return 0;
	pb = path_join(ctx->output_prefix, "outputs.pb");
	out_dir = path_join(ctx->sandbox_dir, "outputs");
	have_pb = access(pb, F_OK) == 0;
	free(pb);
	/* outputs.pb written by the task (flytekit's convention) wins; the engine reads it. */
	for (i = 0; !have_pb && outputs && i < outputs->n_variables; i++) {
		const char *var = outputs->variables[i]->key;
		char *path;
		struct fc_buf text = FC_BUF_INIT;
		char errbuf[512];

		if (!var_name_ok(var))
			continue;
		path = path_join(out_dir, var);
		if (!read_small(path, &text, MAX_OUTPUT_FILE)) {
			struct fc_buf msg = FC_BUF_INIT;

			fc_buf_addf(&msg, "the task wrote no output '%s' (expected the file %s)", var, path);
			fail(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_USER, "MissingOutput", ctx, msg.buf);
			fc_buf_release(&msg);
		} else if (ctx->host->set_output_text(ctx, var, text.buf, errbuf, sizeof(errbuf)) < 0) {
			struct fc_buf msg = FC_BUF_INIT;

			fc_buf_addf(&msg, "output '%s': %s", var, errbuf);
			fail(out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_USER, "BadOutput", ctx, msg.buf);
			fc_buf_release(&msg);
		}
		fc_buf_release(&text);
		free(path);
		if (out->phase != PLG_PHASE_SUCCESS)
			break;
	}
	free(out_dir);
	return 0;
}

static void reap_own_child(const struct container_state *st)
{
	siginfo_t info;

	if (st->how == STARTED_MONITOR && st->monitor_pid > 0 && st->spawner_pid == getpid())
		waitid(P_PID, (id_t)st->monitor_pid, &info, WEXITED | WNOHANG);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Has the process of this pidfd ended? (A zombie has.) */
static bool pidfd_ended(int fd)
{
	struct pollfd p;

	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) != 0;
}

static int finish(const struct plg_task_ctx *ctx, const char *exit_text, struct plg_transition *out)
{
	char kind[16] = "";
	int value = 0;
	struct fc_buf msg = FC_BUF_INIT;

	add_logs(ctx, out);
	if (sscanf(exit_text, "%15s %d", kind, &value) != 2) {
		fail(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "BadExitRecord", ctx,
		     "the task's exit record is unreadable");
		goto out;
	}
	if (!strcmp(kind, "exit") && value == 0) {
		collect_outputs(ctx, out);
		goto out;
	}
	if (error_document(ctx, out))
		goto out;
	if (!strcmp(kind, "exit")) {
		fc_buf_addf(&msg, "exit status %d", value);
		stderr_tail(ctx, &msg);
		fail(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_USER, "NonZeroExit", ctx, msg.buf);
	} else if (!strcmp(kind, "signal")) {
		fc_buf_addf(&msg, "killed by signal %d (%s)", value, strsignal(value));
		stderr_tail(ctx, &msg);
		fail(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_USER, "Signaled", ctx, msg.buf);
	} else if (!strcmp(kind, "spawn")) {
		fc_buf_addf(&msg, "cannot run the command: %s", strerror(value));
		fail(out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_USER, "CommandNotRunnable", ctx, msg.buf);
	} else {
		fail(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "TaskProcessLost", ctx,
		     "the monitor lost track of the task process");
	}
out:
	fc_buf_release(&msg);
	return 0;
}

/* The attempt runs in another process that holds run.lock (its pid in `pid`, 0 when not written yet): watch the
 * pid. When it has already ended (its exit is being recorded), or cannot be watched, look again shortly. */
static void adopt(const struct plg_task_ctx *ctx, pid_t pid, struct plg_transition *out)
{
	int fd = plg_pidfd_open(pid);

	if (fd >= 0 && pidfd_ended(fd)) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && ctx->host->watch_fd(ctx, fd) == 0) {
		/* The pid was read before the pidfd was opened: should the process have ended and its pid been
		 * reused in between, this still finds the exit. */
		ctx->host->wake_at(ctx, now_ns() + ADOPTED_RECHECK_NS);
	} else {
		ctx->host->wake_at(ctx, now_ns() + RECHECK_NS);
	}
	out->phase = PLG_PHASE_RUNNING;
	add_logs(ctx, out);
}

/* Start the attempt (out filled). */
static void start(const struct plg_task_ctx *ctx, struct container_state *st, struct plg_transition *out)
{
	const Flyteidl__Core__Container *c = container_of(ctx);
	struct plg_spawn_plan plan;
	struct plg_launch launch;
	struct fc_buf errmsg = FC_BUF_INIT;
	enum plg_launch_result res;

	if (!c) {
		fail(out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_USER, "NoContainer", ctx,
		     "the task has no container to run");
		return;
	}
	switch (make_plan(ctx, c, &plan, &errmsg)) {
	case 0:
		break;
	case -2:
		/* nothing started: look again later (the engine keeps the attempt queued) */
		ctx->host->log(ctx, PLG_LOG_WARN, errmsg.buf);
		ctx->host->wake_at(ctx, now_ns() + FULL_RETRY_NS);
		out->phase = PLG_PHASE_NOT_READY;
		out->reason = "the sandbox's file system is full";
		fc_buf_release(&errmsg);
		return;
	default:
		fail(out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_USER, "BadTaskSpec", ctx, errmsg.buf);
		fc_buf_release(&errmsg);
		return;
	}
	res = plg_launch(&plan, &launch);
	plg_spawn_plan_release(&plan);
	if (res == PLG_LAUNCH_FAILED) {
		fc_buf_addf(&errmsg, "cannot start the task: %s", strerror(errno));
		fail(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "ForkFailed", ctx, errmsg.buf);
		fc_buf_release(&errmsg);
		return;
	}
	st->monitor_pid = launch.own_child ? launch.pid : 0;
	st->spawner_pid = getpid();
	st->how = launch.supervised ? STARTED_SUPERVISED : STARTED_MONITOR;
	ctx->host->set_state(ctx, st, sizeof(*st));
	if (launch.watch_fd < 0 || ctx->host->watch_fd(ctx, launch.watch_fd) < 0) {
		/* Nothing to watch: look at the sandbox again from time to time. */
		ctx->host->wake_at(ctx, now_ns() + RECHECK_NS);
	}
	out->phase = PLG_PHASE_RUNNING;
	add_logs(ctx, out);
}

/* A pidfd of the monitor this process started for the attempt when it is still running (not claimed yet), else
 * -1. */
static int own_monitor_alive(const struct container_state *st)
{
	int fd;

	if (st->how != STARTED_MONITOR || st->monitor_pid <= 0 || st->spawner_pid != getpid())
		return -1;
	fd = plg_pidfd_open(st->monitor_pid);
	if (fd >= 0 && pidfd_ended(fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int container_handle(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	const struct plg_attempt_rec *r;
	struct plg_journal *j;
	struct container_state st;
	int tries;

	read_state(ctx, &st);
	reap_own_child(&st);
	for (tries = 0; tries < 2; tries++) {
		r = attempt_rec(ctx, &j);
		if (r && r->end[0])
			return finish(ctx, r->end, out);
		if (r && r->runner) {
			if (plg_attempt_runner_alive(r)) {
				if (r->task) {
					adopt(ctx, r->task, out);
				} else { /* claimed, being started */
					ctx->host->wake_at(ctx, now_ns() + RECHECK_NS);
					out->phase = PLG_PHASE_RUNNING;
					add_logs(ctx, out);
				}
				return 0;
			}
			/* Its runner is gone. It records the exit before it goes: look once more. */
			plg_journal_refresh(j);
			r = plg_journal_get(j, r->key);
			if (r->end[0])
				return finish(ctx, r->end, out);
			fail(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "TaskProcessLost", ctx,
			     "the task's runner ended without recording its exit status (killed?)");
			add_logs(ctx, out);
			return 0;
		}
		/* Not claimed. A monitor we forked may still be starting: wait for it. */
		if (st.how == STARTED_MONITOR && st.monitor_pid > 0 && st.spawner_pid == getpid()) {
			int fd = own_monitor_alive(&st);

			if (fd >= 0) {
				if (ctx->host->watch_fd(ctx, fd) < 0)
					ctx->host->wake_at(ctx, now_ns() + RECHECK_NS);
				out->phase = PLG_PHASE_RUNNING;
				return 0;
			}
			/* It exited without claiming (lost the race to an older monitor, or failed): look again,
			 * then start over. */
			reap_own_child(&st);
			if (tries == 0)
				continue;
		}
		break;
	}
	/* A start by this process that did not claim the attempt (the supervisor closes the watch pipe only after
	 * claiming and recording, or when it could not claim, or when it died): start again, a few times. */
	if (st.how != STARTED_NOT && st.spawner_pid == getpid() && ++st.unclaimed > MAX_UNCLAIMED) {
		fail(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "MonitorFailed", ctx,
		     "the task's runner ends without starting it (is the execution's directory writable?)");
		add_logs(ctx, out);
		return 0;
	}
	start(ctx, &st, out);
	return 0;
}

static int container_abort(const struct plg_task_ctx *ctx)
{
	const struct plg_attempt_rec *r;
	struct plg_journal *j;
	struct container_state st;

	read_state(ctx, &st);
	/* While the exit is not recorded and its runner lives, the pid is the task's process group (its runner
	 * reaps it only after recording), so this cannot hit another process. */
	r = attempt_rec(ctx, &j);
	if (r && r->task > 0 && !r->end[0] && plg_attempt_runner_alive(r))
		killpg(r->task, SIGKILL);
	if (st.spawner_pid != getpid())
		return 0;
	if (st.how == STARTED_SUPERVISED) {
		/* The supervisor may not have started it yet: it kills it once it has. */
		struct fc_buf path = FC_BUF_INIT, key = FC_BUF_INIT;

		attempt_ids(ctx, &path, &key);
		plg_launch_abort(path.buf, key.buf);
		fc_buf_release(&path);
		fc_buf_release(&key);
	} else if (st.how == STARTED_MONITOR && st.monitor_pid > 0) {
		/* A monitor forked here (not reaped yet, so the pid is still its own). */
		killpg(st.monitor_pid, SIGKILL);
		kill(st.monitor_pid, SIGKILL);
		reap_own_child(&st);
	}
	return 0;
}

static const char *const container_types[] = {"container", "raw-container", "python-task", NULL};

const struct plg_plugin plg_container_plugin = {
	.abi_version = PLG_ABI_VERSION,
	.name = "container",
	.task_types = container_types,
	.handle = container_handle,
	.abort = container_abort,
};

void plg_container_prefork(void)
{
	plg_launcher_prefork();
}
