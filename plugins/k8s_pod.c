/*
 * k8s_pod.c: the Pod builder and the Pod status mapping (see k8s_pod.h and docs/kubernetes.md "Pods").
 */
#include "plugins/k8s_pod.h"

#include "core/buf.h"
#include "core/duration.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/sha256.h"
#include "flyteidl/core/tasks.pb-c.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- names -------------------------------------------------------------------------------------------------- */

static pcre2_code *dns_label_re;
static pthread_once_t dns_label_once = PTHREAD_ONCE_INIT;

static void dns_label_compile(void)
{
	int errcode;
	PCRE2_SIZE erroff;

	dns_label_re = pcre2_compile((PCRE2_SPTR) "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", PCRE2_ZERO_TERMINATED, 0,
				     &errcode, &erroff, NULL);
	if (!dns_label_re)
		FC_BUG("DNS-1123 pattern does not compile (%d at %zu)", errcode, (size_t)erroff);
}

bool plg_k8s_dns1123_label(const char *s)
{
	pcre2_match_data *md;
	int rc;
	size_t len = strlen(s);

	if (len == 0 || len > KUBE_POD_NAME_MAX)
		return false;
	pthread_once(&dns_label_once, dns_label_compile);
	md = pcre2_match_data_create_from_pattern(dns_label_re, NULL);
	if (!md)
		fc_die_oom(0);
	rc = pcre2_match(dns_label_re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* Lower-case, [a-z0-9-] only, no leading/trailing/double dashes. */
static void sanitize_into(struct fc_buf *out, const char *s)
{
	for (; *s; s++) {
		char c = (char)tolower((unsigned char)*s);

		if (!isalnum((unsigned char)c) || (unsigned char)*s >= 0x80)
			c = '-';
		if (c == '-' && (!out->len || out->buf[out->len - 1] == '-'))
			continue;
		fc_buf_addch(out, c);
	}
}

void plg_k8s_pod_name(const char *exec_name, const char *node_id, uint32_t attempt, struct fc_buf *out)
{
	struct fc_buf raw = FC_BUF_INIT;

	fc_buf_reset(out);
	fc_buf_addf(&raw, "%s-%s-%u", exec_name, node_id, attempt);
	sanitize_into(out, raw.buf);
	while (out->len && out->buf[out->len - 1] == '-')
		fc_buf_truncate(out, out->len - 1);
	if (out->len > KUBE_POD_NAME_MAX || !out->len || strcasecmp(raw.buf, out->buf)) {
		/* Cut, or characters were replaced: add a hash of the exact identity so that two attempts never share
		 * a name. */
		unsigned char digest[FC_SHA256_LEN];
		char hex[2 * FC_SHA256_LEN + 1];
		size_t keep = KUBE_POD_NAME_MAX - 11;

		fc_sha256(raw.buf, raw.len, digest);
		fc_hex(digest, 5, hex);
		if (out->len > keep)
			fc_buf_truncate(out, keep);
		while (out->len && out->buf[out->len - 1] == '-')
			fc_buf_truncate(out, out->len - 1);
		if (out->len)
			fc_buf_addch(out, '-');
		fc_buf_adds(out, hex);
	}
	fc_buf_release(&raw);
}

/* A label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends (too long: cut + hash). */
static char *label_value(const char *s)
{
	struct fc_buf b = FC_BUF_INIT;
	const char *p;

	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		fc_buf_addch(&b, isalnum(c) || c == '.' || c == '_' || c == '-' ? (char)c : '_');
	}
	if (b.len > 63) {
		unsigned char digest[FC_SHA256_LEN];
		char hex[2 * FC_SHA256_LEN + 1];

		fc_sha256(s, strlen(s), digest);
		fc_hex(digest, 5, hex);
		fc_buf_truncate(&b, 52);
		fc_buf_addch(&b, '-');
		fc_buf_adds(&b, hex);
	}
	while (b.len && !isalnum((unsigned char)b.buf[b.len - 1]))
		fc_buf_truncate(&b, b.len - 1);
	while (b.len && !isalnum((unsigned char)b.buf[0])) {
		memmove(b.buf, b.buf + 1, b.len);
		b.len--;
	}
	return fc_buf_detach(&b, NULL);
}

/* --- templates ---------------------------------------------------------------------------------------------- */

/*
 * Flyte's template variables: `{{.input}}`, `{{.inputs.NAME}}`, `{{.inputPrefix}}`, `{{.outputPrefix}}`,
 * `{{.rawOutputDataPrefix}}`, `{{.checkpointOutputPrefix}}`, `{{.prevCheckpointPrefix}}`, `{{.perRetryUniqueKey}}`.
 * Names are case-insensitive, '$' may stand for the leading '.', spaces inside the braces are allowed. Anything
 * else in braces is left as it is (as Flyte does); a missing input is an error.
 */
static int expand(const struct plg_k8s_pod_task *task, const char *unique_key, const char *tmpl, struct fc_buf *out,
		  struct fc_err *err)
{
	const char *p = tmpl;

	while (*p) {
		const char *open = strstr(p, "{{"), *close, *s, *e;
		char *name;
		const char *value = NULL;
		bool known = true;

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
		if (s == e || (*s != '.' && *s != '$')) {
			fc_buf_add(out, open, (size_t)(close + 2 - open));
			p = close + 2;
			continue;
		}
		name = fc_xstrndup(s + 1, (size_t)(e - s - 1));
		if (!strncasecmp(name, "inputs.", 7)) {
			value = task->input_text ? task->input_text(task->ud, name + 7) : NULL;
			if (!value) {
				fc_err_set(err, FC_EINVAL, "template {{%.*s}}: the task has no input '%s'", (int)(e - s), s,
					   name + 7);
				free(name);
				return FC_EINVAL;
			}
		} else if (!strcasecmp(name, "input")) {
			value = task->inputs_path;
		} else if (!strcasecmp(name, "inputPrefix")) {
			value = task->input_prefix;
		} else if (!strcasecmp(name, "outputPrefix")) {
			value = task->output_prefix;
		} else if (!strcasecmp(name, "rawOutputDataPrefix")) {
			value = task->raw_output_prefix;
		} else if (!strcasecmp(name, "checkpointOutputPrefix")) {
			if (task->checkpoint_prefix)
				value = task->checkpoint_prefix;
			else {
				fc_buf_addf(out, "%s/checkpoint", task->output_prefix ? task->output_prefix : "");
				value = "";
			}
		} else if (!strcasecmp(name, "prevCheckpointPrefix")) {
			value = task->prev_checkpoint ? task->prev_checkpoint : "";
		} else if (!strcasecmp(name, "perRetryUniqueKey")) {
			value = unique_key;
		} else {
			known = false;
		}
		free(name);
		if (known)
			fc_buf_adds(out, value ? value : "");
		else
			fc_buf_add(out, open, (size_t)(close + 2 - open));
		p = close + 2;
	}
	return 0;
}

/* --- resources ---------------------------------------------------------------------------------------------- */

static const char *resource_key(Flyteidl__Core__Resources__ResourceName n)
{
	switch (n) {
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU:
		return "cpu";
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY:
		return "memory";
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__GPU:
		return "nvidia.com/gpu";
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__EPHEMERAL_STORAGE:
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__STORAGE:
		return "ephemeral-storage";
	default:
		return NULL;
	}
}

static const char *cfg_resource(const struct plg_k8s_resources *r, const char *key)
{
	if (!strcmp(key, "cpu"))
		return r->cpu;
	if (!strcmp(key, "memory"))
		return r->memory;
	if (!strcmp(key, "nvidia.com/gpu"))
		return r->gpu;
	return r->ephemeral_storage;
}

static int entries_into(json_t *obj, Flyteidl__Core__Resources__ResourceEntry **entries, size_t n, const char *what,
			struct fc_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *key = resource_key(entries[i]->name);
		int64_t milli;

		if (!key || !entries[i]->value || !*entries[i]->value)
			continue;
		if (fc_quantity_parse(entries[i]->value, &milli, err))
			return fc_err_prefix(err, "resource %s %s: ", what, key);
		json_object_set_new(obj, key, json_string(entries[i]->value));
	}
	return 0;
}

/* `*v` = the smaller of the quantity in `obj[key]` and `cap` (when cap is set). */
static int clamp(json_t *obj, const char *key, const char *cap, struct fc_err *err)
{
	const char *v = json_string_value(json_object_get(obj, key));
	int64_t mv, mc;

	if (!v || !cap)
		return 0;
	if (fc_quantity_parse(v, &mv, err) || fc_quantity_parse(cap, &mc, err))
		return fc_err_prefix(err, "resource %s: ", key);
	if (mv > mc)
		json_object_set_new(obj, key, json_string(cap));
	return 0;
}

/*
 * Flyte's rules (flytek8s ApplyResourceOverrides, simplified): a request the task does not make is the task's
 * limit if it has one, else the platform default; a limit the task does not set equals the request; both are then
 * clamped to the platform's maximum, and a request is never above its limit.
 */
static int resources(const Flyteidl__Core__Container *c, const struct plg_k8s_pod_config *cfg, json_t **out,
		     struct fc_err *err)
{
	static const char *const keys[] = {"cpu", "memory", "nvidia.com/gpu", "ephemeral-storage"};
	json_t *req = json_object(), *lim = json_object();
	size_t i;
	int rc = 0;

	if (c->resources &&
	    ((rc = entries_into(req, c->resources->requests, c->resources->n_requests, "request", err)) ||
	     (rc = entries_into(lim, c->resources->limits, c->resources->n_limits, "limit", err))))
		goto out;
	for (i = 0; i < FC_ARRAY_LEN(keys); i++) {
		const char *k = keys[i];
		const char *def = cfg ? cfg_resource(&cfg->default_requests, k) : NULL;
		const char *max = cfg ? cfg_resource(&cfg->max_limits, k) : NULL;
		int64_t mr, ml;

		if (!json_object_get(req, k)) {
			if (json_object_get(lim, k))
				json_object_set(req, k, json_object_get(lim, k));
			else if (def)
				json_object_set_new(req, k, json_string(def));
		}
		if (!json_object_get(lim, k) && json_object_get(req, k))
			json_object_set(lim, k, json_object_get(req, k));
		if ((rc = clamp(req, k, max, err)) || (rc = clamp(lim, k, max, err)))
			goto out;
		if (json_object_get(req, k) && json_object_get(lim, k) &&
		    !fc_quantity_parse(json_string_value(json_object_get(req, k)), &mr, NULL) &&
		    !fc_quantity_parse(json_string_value(json_object_get(lim, k)), &ml, NULL) && mr > ml)
			json_object_set(req, k, json_object_get(lim, k));
	}
	*out = json_pack("{s:O, s:O}", "requests", req, "limits", lim);
out:
	json_decref(req);
	json_decref(lim);
	return rc;
}

/* --- the pod ------------------------------------------------------------------------------------------------ */

static void add_env(json_t *env, const char *name, const char *value)
{
	json_array_append_new(env, json_pack("{s:s, s:s}", "name", name, "value", value ? value : ""));
}

int plg_k8s_pod_build(const void *tmpl, const struct plg_k8s_pod_task *task, const struct plg_k8s_pod_config *cfg,
		      json_t **pod, struct fc_err *err)
{
	const Flyteidl__Core__TaskTemplate *t = tmpl;
	const Flyteidl__Core__Container *c;
	struct fc_buf name = FC_BUF_INIT, arg = FC_BUF_INIT, exec_id = FC_BUF_INIT, tmp = FC_BUF_INIT;
	json_t *p = NULL, *cmd = json_array(), *args = json_array(), *env = json_array(), *res = NULL;
	json_t *labels, *annotations, *container, *spec, *volumes = NULL;
	const char *sa = NULL;
	int64_t timeout_ns = task->timeout_ns;
	size_t i;
	int rc = 0;

	*pod = NULL;
	if (!t || t->target_case != FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER || !t->container) {
		rc = fc_err_set(err, FC_EINVAL, "task %s: only container tasks can run as pods",
				t && t->id && t->id->name ? t->id->name : "?");
		goto out;
	}
	c = t->container;
	if (!c->image || !*c->image) {
		rc = fc_err_set(err, FC_EINVAL, "task %s: the container has no image", t->id ? t->id->name : "?");
		goto out;
	}
	if (!task->exec_name || !task->node_id || !task->namespace) {
		rc = fc_err_set(err, FC_EINVAL, "pod: namespace, execution name and node id are required");
		goto out;
	}
	plg_k8s_pod_name(task->exec_name, task->node_id, task->attempt, &name);
	if (!plg_k8s_dns1123_label(name.buf)) {
		rc = fc_err_set(err, FC_EINVAL, "pod name '%s' is not a DNS-1123 label", name.buf);
		goto out;
	}
	for (i = 0; i < c->n_command; i++) {
		fc_buf_reset(&arg);
		if ((rc = expand(task, name.buf, c->command[i], &arg, err)))
			goto out;
		json_array_append_new(cmd, json_string(arg.buf));
	}
	for (i = 0; i < c->n_args; i++) {
		fc_buf_reset(&arg);
		if ((rc = expand(task, name.buf, c->args[i], &arg, err)))
			goto out;
		json_array_append_new(args, json_string(arg.buf));
	}
	fc_buf_addf(&exec_id, "%s:%s:%s", task->project ? task->project : "", task->domain ? task->domain : "",
		    task->exec_name);
	/* Flyte's environment for task containers, then the task's own. */
	add_env(env, "FLYTE_INTERNAL_EXECUTION_ID", task->exec_name);
	add_env(env, "FLYTE_INTERNAL_EXECUTION_PROJECT", task->project);
	add_env(env, "FLYTE_INTERNAL_EXECUTION_DOMAIN", task->domain);
	if (t->id) {
		add_env(env, "FLYTE_INTERNAL_TASK_PROJECT", t->id->project);
		add_env(env, "FLYTE_INTERNAL_TASK_DOMAIN", t->id->domain);
		add_env(env, "FLYTE_INTERNAL_TASK_NAME", t->id->name);
		add_env(env, "FLYTE_INTERNAL_TASK_VERSION", t->id->version);
	}
	fc_buf_addf(&tmp, "%u", task->attempt);
	add_env(env, "FLYTE_ATTEMPT_NUMBER", tmp.buf);
	for (i = 0; i < c->n_env; i++)
		if (c->env[i]->key && *c->env[i]->key)
			add_env(env, c->env[i]->key, c->env[i]->value);
	if ((rc = resources(c, cfg, &res, err)))
		goto out;

	labels = json_object();
	{
		struct {
			const char *key, *value;
		} lv[] = {
			{"execution-id", task->exec_name}, {"project", task->project}, {"domain", task->domain},
			{"node-id", task->node_id},        {"task-name", t->id ? t->id->name : NULL},
		};

		for (i = 0; i < FC_ARRAY_LEN(lv); i++) {
			char *v;

			if (!lv[i].value)
				continue;
			v = label_value(lv[i].value);
			json_object_set_new(labels, lv[i].key, json_string(v));
			free(v);
		}
		json_object_set_new(labels, "attempt", json_string(tmp.buf));
		json_object_set_new(labels, "interruptible", json_string(task->interruptible ? "true" : "false"));
		json_object_set_new(labels, "app.kubernetes.io/managed-by", json_string("flytec"));
	}
	annotations = json_pack("{s:s, s:s, s:s}", "flytec/execution", exec_id.buf, "flytec/node-id", task->node_id,
				"flytec/attempt", tmp.buf);
	if (t->id && t->id->name)
		json_object_set_new(annotations, "flytec/task", json_string(t->id->name));

	container = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "name", name.buf, "image", c->image, "command", cmd,
			      "args", args, "env", env, "resources", res);
	cmd = args = env = res = NULL;
	if (!json_array_size(json_object_get(container, "command")))
		json_object_del(container, "command");
	if (cfg && cfg->image_pull_policy)
		json_object_set_new(container, "imagePullPolicy", json_string(cfg->image_pull_policy));
	spec = json_pack("{s:s, s:[o]}", "restartPolicy", "Never", "containers", container);
	if (t->security_context && t->security_context->run_as && t->security_context->run_as->k8s_service_account &&
	    *t->security_context->run_as->k8s_service_account)
		sa = t->security_context->run_as->k8s_service_account;
	else if (cfg && cfg->service_account)
		sa = cfg->service_account;
	if (sa)
		json_object_set_new(spec, "serviceAccountName", json_string(sa));
	if (!timeout_ns && t->metadata && t->metadata->timeout)
		timeout_ns = t->metadata->timeout->seconds * 1000000000LL + t->metadata->timeout->nanos;
	if (timeout_ns > 0)
		json_object_set_new(spec, "activeDeadlineSeconds",
				    json_integer((timeout_ns + 999999999) / 1000000000));
	if (task->interruptible && cfg) {
		if (cfg->interruptible_tolerations && json_array_size(cfg->interruptible_tolerations))
			json_object_set_new(spec, "tolerations", json_deep_copy(cfg->interruptible_tolerations));
		if (cfg->interruptible_node_selector && json_object_size(cfg->interruptible_node_selector))
			json_object_set_new(spec, "nodeSelector", json_deep_copy(cfg->interruptible_node_selector));
	}
	if (cfg && cfg->data_mount_path && (cfg->data_pvc || cfg->data_host_path)) {
		json_t *vol = cfg->data_pvc ? json_pack("{s:s, s:{s:s}}", "name", "flytec-data", "persistentVolumeClaim",
							"claimName", cfg->data_pvc)
					    : json_pack("{s:s, s:{s:s, s:s}}", "name", "flytec-data", "hostPath", "path",
							cfg->data_host_path, "type", "DirectoryOrCreate");

		volumes = json_pack("[o]", vol);
		json_object_set_new(spec, "volumes", volumes);
		json_object_set_new(container, "volumeMounts",
				    json_pack("[{s:s, s:s}]", "name", "flytec-data", "mountPath", cfg->data_mount_path));
	}
	p = json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:o}, s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", "name",
		      name.buf, "namespace", task->namespace, "labels", labels, "annotations", annotations, "spec", spec);
	if (task->owner_uid && *task->owner_uid)
		json_object_set_new(json_object_get(p, "metadata"), "ownerReferences",
				    json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion",
					      task->owner_api_version ? task->owner_api_version : "flyte.lyft.com/v1alpha1",
					      "kind", task->owner_kind ? task->owner_kind : "FlyteWorkflow", "name",
					      task->owner_name ? task->owner_name : "", "uid", task->owner_uid, "controller",
					      1, "blockOwnerDeletion", 1));
	if (!p) {
		rc = fc_err_set(err, FC_EINTERNAL, "pod: cannot build the JSON");
		goto out;
	}
	*pod = p;
out:
	json_decref(cmd);
	json_decref(args);
	json_decref(env);
	json_decref(res);
	fc_buf_release(&name);
	fc_buf_release(&arg);
	fc_buf_release(&exec_id);
	fc_buf_release(&tmp);
	return rc;
}

/* --- status -> phase ---------------------------------------------------------------------------------------- */

const char *plg_k8s_phase_name(enum plg_phase p)
{
	static const char *const names[] = {
		"Undefined", "NotReady", "WaitingForResources", "Queued",          "Initializing",
		"Running",   "Success",  "RetryableFailure",    "PermanentFailure",
	};

	return (size_t)p < FC_ARRAY_LEN(names) ? names[p] : "?";
}

/* RFC 3339 "2026-12-06T23:30:00Z" -> ms since the epoch; -1 if absent or malformed. */
static int64_t time_ms(const json_t *v)
{
	const char *s = json_string_value(v);
	struct tm tm;
	char *end;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

static void set(struct plg_k8s_pod_status *out, enum plg_phase phase, enum plg_error_kind kind, const char *code,
		const char *fmt, ...) FC_PRINTF(5, 6);
static void set(struct plg_k8s_pod_status *out, enum plg_phase phase, enum plg_error_kind kind, const char *code,
		const char *fmt, ...)
{
	va_list ap;

	out->phase = phase;
	out->error_kind = kind;
	snprintf(out->code, sizeof(out->code), "%s", code ? code : "");
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
}

static const json_t *condition(const json_t *pod, const char *type)
{
	const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions"), *cnd;
	size_t i;

	json_array_foreach(conds, i, cnd)
	{
		const char *ty = json_string_value(json_object_get(cnd, "type"));

		if (ty && !strcmp(ty, type))
			return cnd;
	}
	return NULL;
}

static void pending(const json_t *pod, int64_t now_ms, const struct plg_k8s_pod_config *cfg,
		    struct plg_k8s_pod_status *out)
{
	const json_t *status = json_object_get(pod, "status"), *sched = condition(pod, "PodScheduled"), *cs;
	int64_t grace = cfg && cfg->image_pull_grace_ms > 0 ? cfg->image_pull_grace_ms : 3 * 60 * 1000;
	int64_t unsched = cfg ? cfg->unschedulable_timeout_ms : 0;
	const json_t *statuses = json_object_get(status, "containerStatuses");
	size_t i;

	if (sched && !strcmp(json_string_value(json_object_get(sched, "status")) ?: "", "False")) {
		const char *reason = json_string_value(json_object_get(sched, "reason"));
		const char *msg = json_string_value(json_object_get(sched, "message"));
		int64_t since = time_ms(json_object_get(sched, "lastTransitionTime"));

		if (reason && !strcmp(reason, "Unschedulable")) {
			if (unsched > 0 && since >= 0 && now_ms - since > unsched) {
				set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "Unschedulable",
				    "pod unschedulable for more than %lld s: %s", (long long)(unsched / 1000),
				    msg ? msg : "");
				return;
			}
			set(out, PLG_PHASE_WAITING_FOR_RESOURCES, 0, "Unschedulable", "%s", msg ? msg : "unschedulable");
			return;
		}
	}
	json_array_foreach(statuses, i, cs)
	{
		const json_t *waiting = json_object_get(json_object_get(cs, "state"), "waiting");
		const char *reason = json_string_value(json_object_get(waiting, "reason"));
		const char *msg = json_string_value(json_object_get(waiting, "message"));
		const json_t *ready = condition(pod, "ContainersReady");
		int64_t since = time_ms(json_object_get(ready, "lastTransitionTime"));

		if (!reason)
			continue;
		if (since < 0)
			since = time_ms(json_object_get(status, "startTime"));
		if (since < 0)
			since = time_ms(json_object_get(json_object_get(pod, "metadata"), "creationTimestamp"));
		if (!strcmp(reason, "ErrImagePull") || !strcmp(reason, "ImagePullBackOff")) {
			if (since >= 0 && now_ms - since > grace) {
				set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_USER, reason,
				    "image pull failed for more than %lld s: %s", (long long)(grace / 1000), msg ? msg : "");
				return;
			}
			set(out, PLG_PHASE_INITIALIZING, 0, reason, "%s", msg ? msg : reason);
			return;
		}
		if (!strcmp(reason, "InvalidImageName") || !strcmp(reason, "CreateContainerConfigError") ||
		    !strcmp(reason, "CreateContainerError")) {
			set(out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_USER, reason, "%s", msg ? msg : reason);
			return;
		}
		set(out, PLG_PHASE_INITIALIZING, 0, "", "%s", reason);
		return;
	}
	if (sched && !strcmp(json_string_value(json_object_get(sched, "status")) ?: "", "True"))
		set(out, PLG_PHASE_INITIALIZING, 0, "", "scheduled");
	else
		set(out, PLG_PHASE_QUEUED, 0, "", "pending");
}

static void failed(const json_t *pod, struct plg_k8s_pod_status *out)
{
	const json_t *status = json_object_get(pod, "status"), *cs;
	const char *reason = json_string_value(json_object_get(status, "reason"));
	const char *msg = json_string_value(json_object_get(status, "message"));
	size_t i;

	if (reason && (!strcmp(reason, "Evicted") || !strcmp(reason, "Preempting") || !strcmp(reason, "Shutdown") ||
		       !strcmp(reason, "NodeLost") || !strcmp(reason, "Terminated"))) {
		set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, reason, "the pod was %s: %s", reason,
		    msg ? msg : "");
		return;
	}
	if (reason && !strcmp(reason, "DeadlineExceeded")) {
		set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_USER, reason, "the task passed its timeout: %s",
		    msg ? msg : "");
		return;
	}
	json_array_foreach(json_object_get(status, "containerStatuses"), i, cs)
	{
		const json_t *term = json_object_get(json_object_get(cs, "state"), "terminated");
		const char *cname = json_string_value(json_object_get(cs, "name"));
		const char *treason = json_string_value(json_object_get(term, "reason"));
		const char *tmsg = json_string_value(json_object_get(term, "message"));
		int code = (int)json_integer_value(json_object_get(term, "exitCode"));

		if (!term || (code == 0 && !(treason && !strcmp(treason, "OOMKilled"))))
			continue;
		out->exit_code = code;
		if (treason && !strcmp(treason, "OOMKilled")) {
			set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "OOMKilled",
			    "[%s] terminated with exit code (%d): out of memory (OOMKilled)", cname ? cname : "", code);
			out->exit_code = code;
			return;
		}
		set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_USER, treason ? treason : "Error",
		    "[%s] terminated with exit code (%d). Reason [%s]. Message: %s", cname ? cname : "", code,
		    treason ? treason : "", tmsg ? tmsg : "");
		out->exit_code = code;
		return;
	}
	set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, reason ? reason : "UnknownError", "pod failed: %s",
	    msg ? msg : "no reason given");
}

void plg_k8s_pod_phase(const json_t *pod, int64_t now_ms, const struct plg_k8s_pod_config *cfg,
		       struct plg_k8s_pod_status *out)
{
	const char *phase;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (!pod) {
		set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "ResourceDeletedExternally",
		    "the pod was deleted before it finished");
		return;
	}
	phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
	if (!phase)
		phase = "Pending";
	if (!strcmp(phase, "Succeeded")) {
		set(out, PLG_PHASE_SUCCESS, 0, "", "succeeded");
		out->exit_code = 0;
		return;
	}
	if (!strcmp(phase, "Failed")) {
		failed(pod, out);
		return;
	}
	if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp")) {
		set(out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "ResourceDeletedExternally",
		    "the pod is being deleted before it finished");
		return;
	}
	if (!strcmp(phase, "Pending")) {
		pending(pod, now_ms, cfg, out);
		return;
	}
	/* Running, and Unknown (the node stopped reporting: wait, the node controller decides). */
	set(out, PLG_PHASE_RUNNING, 0, "", "%s", phase);
}
