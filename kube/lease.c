/*
 * lease.c: leader election (see lease.h).
 */
#include "kube/lease.h"
#include "kube/client.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kube_elector {
	struct kube_client *client;
	char *namespace, *name, *identity, *path, *collection;
	long lease_ms, renew_deadline_ms, retry_ms;
	bool leader;
	int64_t last_renew_ns; /* our last successful acquire/renew */
	/* The record as last observed and when it last changed (local clock). */
	char *observed_holder, *observed_renew;
	int64_t observed_ns;
	long transitions;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* MicroTime: RFC 3339 with microseconds, UTC. */
static void micro_time(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06dZ", (int)(ts.tv_nsec / 1000) % 1000000);
}

int kube_elector_new(struct kube_client *c, const struct kube_elector_opts *opts, struct kube_elector **out,
		     struct fc_err *err)
{
	struct kube_elector *e;
	struct fc_buf b = FC_BUF_INIT;

	*out = NULL;
	if (!opts->namespace || !*opts->namespace || !opts->name || !*opts->name || !opts->identity ||
	    !*opts->identity)
		return fc_err_set(err, FC_EINVAL, "leader election: namespace, name and identity are required");
	e = fc_xcalloc(1, sizeof(*e));
	e->client = c;
	e->namespace = fc_xstrdup(opts->namespace);
	e->name = fc_xstrdup(opts->name);
	e->identity = fc_xstrdup(opts->identity);
	e->lease_ms = opts->lease_duration_ms > 0 ? opts->lease_duration_ms : 15000;
	e->renew_deadline_ms = opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms : 10000;
	e->retry_ms = opts->retry_period_ms > 0 ? opts->retry_period_ms : 2000;
	if (e->renew_deadline_ms >= e->lease_ms || e->retry_ms >= e->renew_deadline_ms) {
		kube_elector_free(e);
		return fc_err_set(err, FC_EINVAL,
				  "leader election: need retry period < renew deadline < lease duration (%ld, %ld, %ld ms)",
				  opts->retry_period_ms, opts->renew_deadline_ms, opts->lease_duration_ms);
	}
	fc_buf_addf(&b, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", e->namespace);
	e->collection = fc_xstrdup(b.buf);
	fc_buf_addf(&b, "/%s", e->name);
	e->path = fc_buf_detach(&b, NULL);
	*out = e;
	return 0;
}

void kube_elector_free(struct kube_elector *e)
{
	if (!e)
		return;
	free(e->namespace);
	free(e->name);
	free(e->identity);
	free(e->path);
	free(e->collection);
	free(e->observed_holder);
	free(e->observed_renew);
	free(e);
}

bool kube_elector_is_leader(struct kube_elector *e)
{
	if (e->leader && mono_ns() - e->last_renew_ns > (int64_t)e->renew_deadline_ms * 1000000) {
		fc_warn("leader election %s/%s: could not renew for %ld ms; no longer leader", e->namespace, e->name,
			e->renew_deadline_ms);
		e->leader = false;
	}
	return e->leader;
}

long kube_elector_retry_period_ms(const struct kube_elector *e)
{
	return e->retry_ms;
}

long kube_elector_transitions(const struct kube_elector *e)
{
	return e->transitions;
}

static void observe(struct kube_elector *e, const char *holder, const char *renew)
{
	holder = holder ? holder : "";
	renew = renew ? renew : "";
	if (e->observed_holder && !strcmp(e->observed_holder, holder) && e->observed_renew &&
	    !strcmp(e->observed_renew, renew))
		return;
	free(e->observed_holder);
	free(e->observed_renew);
	e->observed_holder = fc_xstrdup(holder);
	e->observed_renew = fc_xstrdup(renew);
	e->observed_ns = mono_ns();
}

static json_t *lease_spec(struct kube_elector *e, const char *acquire_time, long transitions)
{
	char now[48];

	micro_time(now, sizeof(now));
	return json_pack("{s:s, s:I, s:s, s:s, s:I}", "holderIdentity", e->identity, "leaseDurationSeconds",
			 (json_int_t)((e->lease_ms + 999) / 1000), "acquireTime", acquire_time ? acquire_time : now,
			 "renewTime", now, "leaseTransitions", (json_int_t)transitions);
}

int kube_elector_tick(struct kube_elector *e, bool *leader, struct fc_err *err)
{
	json_t *lease = NULL, *spec, *out = NULL;
	struct kube_status st;
	const char *holder, *renew;
	long transitions;
	int rc;

	rc = kube_get(e->client, e->path, &lease, &st, err);
	if (rc == FC_ENOENT) {
		json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", "coordination.k8s.io/v1", "kind",
					"Lease", "metadata", "name", e->name, "namespace", e->namespace, "spec",
					lease_spec(e, NULL, 0));

		rc = kube_create(e->client, e->collection, obj, &out, &st, err);
		json_decref(obj);
		if (rc == 0) {
			e->leader = true;
			e->last_renew_ns = mono_ns();
			observe(e, e->identity, json_string_value(json_object_get(json_object_get(out, "spec"),
										    "renewTime")));
		} else if (rc == FC_EEXIST) {
			rc = 0; /* someone else created it first: a follower this round */
		}
		goto out;
	}
	if (rc)
		goto out;
	spec = json_object_get(lease, "spec");
	holder = json_string_value(json_object_get(spec, "holderIdentity"));
	renew = json_string_value(json_object_get(spec, "renewTime"));
	transitions = (long)json_integer_value(json_object_get(spec, "leaseTransitions"));
	e->transitions = transitions;
	observe(e, holder, renew);
	if (holder && *holder && strcmp(holder, e->identity)) {
		json_int_t secs = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
		int64_t dur_ns = (secs > 0 ? secs : (json_int_t)(e->lease_ms / 1000)) * (int64_t)1000000000;

		e->leader = false;
		if (mono_ns() - e->observed_ns < dur_ns)
			goto out; /* someone else holds a live lease */
	}
	{
		bool ours = holder && !strcmp(holder, e->identity);
		const char *acq = ours ? json_string_value(json_object_get(spec, "acquireTime")) : NULL;
		json_t *new_spec = lease_spec(e, acq, ours ? transitions : transitions + 1);
		char *previous = fc_xstrdup(holder ? holder : "");

		/* `holder` and `acq` point into the old spec, which this frees */
		json_object_set_new(lease, "spec", new_spec);
		holder = acq = NULL;
		rc = kube_update(e->client, e->path, lease, &out, &st, err);
		if (rc) {
			if (rc == FC_ECONFLICT) {
				/* Someone wrote in between: not ours this round. */
				rc = 0;
				e->leader = false;
			}
			free(previous);
			goto out;
		}
		if (!ours)
			fc_info("leader election %s/%s: %s takes over from '%s'", e->namespace, e->name, e->identity,
				previous);
		free(previous);
		e->leader = true;
		e->last_renew_ns = mono_ns();
		e->transitions = ours ? transitions : transitions + 1;
		observe(e, e->identity,
			json_string_value(json_object_get(json_object_get(out, "spec"), "renewTime")));
	}
out:
	json_decref(lease);
	json_decref(out);
	*leader = kube_elector_is_leader(e);
	return rc;
}

int kube_elector_release(struct kube_elector *e, struct fc_err *err)
{
	json_t *lease = NULL, *spec;
	const char *holder;
	int rc;

	if (!e->leader)
		return 0;
	e->leader = false;
	rc = kube_get(e->client, e->path, &lease, NULL, err);
	if (rc)
		goto out;
	spec = json_object_get(lease, "spec");
	holder = json_string_value(json_object_get(spec, "holderIdentity"));
	if (!holder || strcmp(holder, e->identity))
		goto out;
	json_object_set_new(spec, "holderIdentity", json_string(""));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
	rc = kube_update(e->client, e->path, lease, NULL, NULL, err);
	if (rc == FC_ECONFLICT)
		rc = 0;
out:
	json_decref(lease);
	return rc;
}
