/*
 * test_kube_api.c: the Kubernetes client against a real kube-apiserver (tests/k8s/kube_api_test.sh starts one with
 * ../shared/k8s and runs this binary with its env file loaded). Without KUBE_API_URL / KUBECONFIG every test skips,
 * so `make test`'s unit pass runs it harmlessly; the tests/k8s suite is what runs it for real.
 *
 * Covers: kubeconfig and in-cluster config on the real server, CRUD with error reasons, the QPS limit and keep-alive,
 * the informer (list+watch, adds/updates/deletes, label selector, queue dedup, resume after a dropped stream and
 * after the server's watch timeout, re-list after 410 Gone, resync), two lease contenders, and pods built by
 * plugins/k8s_pod.c (accepted, AlreadyExists adopted, run by a real kubelet when one is up, status mapped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Fixtures point protobuf-c char * fields at string literals; the builder never writes through them. */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#include "core/buf.h"
#include "core/err.h"
#include "flyteidl/core/tasks.pb-c.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/informer.h"
#include "kube/lease.h"
#include "kube/queue.h"
#include "kube/store.h"
#include "plugins/k8s_pod.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct kube_client *client;
static char ns[64];
static char path[512];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static bool have_server(void)
{
	return getenv("KUBE_API_URL") && getenv("KUBECONFIG");
}

#define NEED_SERVER()                                                                                      \
	do {                                                                                                 \
		if (!client) {                                                                                   \
			print_message("skipped: no KUBE_API_URL/KUBECONFIG (run tests/k8s/kube_api_test.sh)\n"); \
			skip();                                                                                  \
		}                                                                                                \
	} while (0)

static const char *P(const char *fmt, ...) FC_PRINTF(1, 2);
static const char *P(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return path;
}

static int setup(void **state)
{
	struct kube_config cfg;
	struct kube_client_opts o = {200, 400, 0, 0, 0, 0};
	struct fc_err err;
	json_t *nsobj;

	(void)state;
	if (!have_server())
		return 0;
	kube_config_init(&cfg);
	if (kube_config_load_default(&cfg, NULL, &err)) {
		fprintf(stderr, "kubeconfig: %s\n", err.msg);
		return -1;
	}
	if (kube_client_new(&cfg, &o, &client, &err)) {
		kube_config_release(&cfg);
		return -1;
	}
	kube_config_release(&cfg);
	snprintf(ns, sizeof(ns), "t-kube-%d-%ld", (int)getpid(), (long)time(NULL) % 100000);
	nsobj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", ns);
	if (kube_create(client, "/api/v1/namespaces", nsobj, NULL, NULL, &err)) {
		fprintf(stderr, "namespace: %s\n", err.msg);
		json_decref(nsobj);
		return -1;
	}
	json_decref(nsobj);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (client) {
		kube_delete(client, P("/api/v1/namespaces/%s", ns), NULL, NULL, NULL);
		kube_client_free(client);
	}
	return 0;
}

static json_t *configmap(const char *name, const char *app, const char *value)
{
	return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
			 "name", name, "labels", "app", app, "data", "k", value);
}

/* --- config ---------------------------------------------------------------------------------------------- */

static void test_incluster_on_real_server(void **state)
{
	struct kube_config cfg;
	struct kube_client *c;
	struct fc_err err;
	char dir[] = "/tmp/kube-sa-XXXXXX", cmd[600];
	const char *url = getenv("KUBE_API_URL"), *colon;
	json_t *out = NULL;
	FILE *f;

	(void)state;
	NEED_SERVER();
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/token", dir);
	f = fopen(cmd, "w");
	fprintf(f, "%s\n", getenv("KUBE_TOKEN"));
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/ca.crt' && echo %s > '%s/namespace'", getenv("KUBE_CA_FILE"), dir, ns,
		 dir);
	assert_int_equal(system(cmd), 0);
	colon = strrchr(url, ':');
	setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", colon + 1, 1);
	kube_config_init(&cfg);
	assert_int_equal(kube_config_load_incluster(&cfg, dir, &err), 0);
	assert_string_equal(cfg.namespace, ns);
	assert_int_equal(kube_client_new(&cfg, NULL, &c, &err), 0);
	/* verified TLS (the service-account CA) and the token: */
	assert_int_equal(kube_get(c, P("/api/v1/namespaces/%s", ns), &out, NULL, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "metadata"), "name")), ns);
	json_decref(out);
	kube_client_free(c);
	/* a wrong token: Unauthorized, distinguishable */
	free(cfg.token);
	cfg.token = strdup("wrong");
	assert_int_equal(kube_client_new(&cfg, NULL, &c, &err), 0);
	{
		struct kube_status st;

		assert_int_equal(kube_get(c, "/api/v1/namespaces", NULL, &st, &err), FC_EPERM);
		assert_int_equal(st.reason, KUBE_REASON_UNAUTHORIZED);
	}
	kube_client_free(c);
	/* a CA that did not sign the server: a TLS error, not an answer */
	snprintf(cmd, sizeof(cmd), "%s/other-ca.crt", dir);
	f = fopen(cmd, "w");
	fputs("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	free(cfg.ca_file);
	cfg.ca_file = strdup(cmd);
	{
		struct kube_client_opts o = {0, 0, -1, 0, 0, 0};
		struct kube_status st;

		assert_int_equal(kube_client_new(&cfg, &o, &c, &err), 0);
		assert_int_equal(kube_get(c, "/api/v1/namespaces", NULL, &st, &err), FC_EIO);
		assert_int_equal(st.reason, KUBE_REASON_CONNECTION);
		kube_client_free(c);
	}
	kube_config_release(&cfg);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A client certificate signed by the cluster's CA (kube-up.sh's apiserver trusts it with --client-ca-file), given
 * to the kubeconfig once as files and once as -data (in-memory PEM): both authenticate, no token involved. */
static void test_client_certificate(void **state)
{
	char dir[] = "/tmp/kube-cert-XXXXXX", cmd[2048], cadir[512], *slash;
	struct kube_config cfg;
	struct kube_client *c;
	struct kube_status st;
	struct fc_err err;
	FILE *f;
	int variant;

	(void)state;
	NEED_SERVER();
	snprintf(cadir, sizeof(cadir), "%s", getenv("KUBE_CA_FILE"));
	slash = strrchr(cadir, '/');
	assert_non_null(slash);
	*slash = 0;
	snprintf(cmd, sizeof(cmd), "%s/ca.key", cadir);
	if (access(cmd, R_OK)) {
		print_message("skipped: no CA key next to KUBE_CA_FILE to sign a client certificate\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl req -new -newkey rsa:2048 -nodes -keyout client.key -subj "
		 "'/O=system:masters/CN=flytec-cert-user' -out client.csr 2>/dev/null && "
		 "openssl x509 -req -in client.csr -CA '%s/ca.crt' -CAkey '%s/ca.key' -CAcreateserial -CAserial ca.srl "
		 "-days 1 -out client.crt 2>/dev/null && base64 -w0 client.crt > crt.b64 && base64 -w0 client.key > key.b64",
		 dir, cadir, cadir);
	assert_int_equal(system(cmd), 0);
	for (variant = 0; variant < 2; variant++) {
		struct fc_buf crt = FC_BUF_INIT, key = FC_BUF_INIT;

		snprintf(cmd, sizeof(cmd), "%s/crt.b64", dir);
		assert_int_equal(fc_buf_read_file(&crt, cmd, 0, NULL), 0);
		snprintf(cmd, sizeof(cmd), "%s/key.b64", dir);
		assert_int_equal(fc_buf_read_file(&key, cmd, 0, NULL), 0);
		snprintf(cmd, sizeof(cmd), "%s/kubeconfig", dir);
		f = fopen(cmd, "w");
		fprintf(f, "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: %s\n"
			   "    certificate-authority: %s\nusers:\n- name: u\n  user:\n",
			getenv("KUBE_API_URL"), getenv("KUBE_CA_FILE"));
		if (variant == 0)
			fprintf(f, "    client-certificate: client.crt\n    client-key: client.key\n");
		else
			fprintf(f, "    client-certificate-data: %s\n    client-key-data: %s\n", crt.buf, key.buf);
		fprintf(f, "contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: %s}\n", ns);
		fclose(f);
		fc_buf_release(&crt);
		fc_buf_release(&key);
		kube_config_init(&cfg);
		assert_int_equal(kube_config_load_file(&cfg, cmd, NULL, &err), 0);
		assert_null(cfg.token);
		assert_true(variant ? cfg.cert_data != NULL : cfg.cert_file != NULL);
		assert_int_equal(kube_client_new(&cfg, NULL, &c, &err), 0);
		assert_int_equal(kube_get(c, P("/api/v1/namespaces/%s/configmaps", ns), NULL, &st, &err), 0);
		assert_int_equal(st.http_code, 200);
		kube_client_free(c);
		kube_config_release(&cfg);
	}
	print_message("client certificate (files and -data) accepted\n");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* --- CRUD ------------------------------------------------------------------------------------------------ */

static void test_crud(void **state)
{
	struct fc_err err;
	struct kube_status st;
	json_t *cm, *out = NULL, *stale = NULL, *patch;
	double t0 = now_s();

	(void)state;
	NEED_SERVER();
	cm = configmap("a", "crud", "v");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, &out, &st, &err), 0);
	assert_int_equal(st.http_code, 201);
	assert_non_null(json_string_value(json_object_get(json_object_get(out, "metadata"), "uid")));
	stale = out;
	out = NULL;
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, NULL, &st, &err), FC_EEXIST);
	assert_int_equal(st.reason, KUBE_REASON_ALREADY_EXISTS);
	assert_int_equal(st.http_code, 409);
	print_message("AlreadyExists: %s\n", err.msg);
	json_decref(cm);

	patch = json_pack("{s:{s:s}}", "data", "k2", "merged");
	assert_int_equal(kube_patch(client, P("/api/v1/namespaces/%s/configmaps/a", ns), KUBE_MERGE_PATCH, patch, &out,
				    &st, &err),
			 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "data"), "k2")), "merged");
	json_decref(out);
	json_decref(patch);
	patch = json_pack("[{s:s, s:s, s:s}]", "op", "replace", "path", "/data/k", "value", "v2");
	assert_int_equal(kube_patch(client, P("/api/v1/namespaces/%s/configmaps/a", ns), KUBE_JSON_PATCH, patch, &out,
				    &st, &err),
			 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "data"), "k")), "v2");
	json_decref(out);
	json_decref(patch);

	/* PUT with the resourceVersion from before the patches: optimistic concurrency says Conflict */
	json_object_set_new(json_object_get(stale, "data"), "k", json_string("lost update"));
	assert_int_equal(kube_update(client, P("/api/v1/namespaces/%s/configmaps/a", ns), stale, NULL, &st, &err),
			 FC_ECONFLICT);
	assert_int_equal(st.reason, KUBE_REASON_CONFLICT);
	print_message("Conflict: %s\n", err.msg);
	/* with the current one it goes through */
	assert_int_equal(kube_get(client, P("/api/v1/namespaces/%s/configmaps/a", ns), &out, &st, &err), 0);
	json_object_set_new(json_object_get(out, "data"), "k", json_string("v3"));
	json_decref(stale);
	stale = out;
	out = NULL;
	assert_int_equal(kube_update(client, P("/api/v1/namespaces/%s/configmaps/a", ns), stale, &out, &st, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "data"), "k")), "v3");
	json_decref(out);
	json_decref(stale);

	cm = configmap("Bad_Name", "crud", "v");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, NULL, &st, &err), FC_EINVAL);
	assert_int_equal(st.reason, KUBE_REASON_INVALID);
	assert_int_equal(st.http_code, 422);
	print_message("Invalid: %s\n", err.msg);
	json_decref(cm);

	assert_int_equal(kube_delete(client, P("/api/v1/namespaces/%s/configmaps/a", ns), NULL, &st, &err), 0);
	assert_int_equal(kube_get(client, P("/api/v1/namespaces/%s/configmaps/a", ns), NULL, &st, &err), FC_ENOENT);
	assert_int_equal(st.reason, KUBE_REASON_NOT_FOUND);
	print_message("NotFound: %s\n", err.msg);
	assert_int_equal(kube_delete(client, P("/api/v1/namespaces/%s/configmaps/a", ns), NULL, &st, &err), FC_ENOENT);
	print_message("crud: %.2f s\n", now_s() - t0);
}

static void test_qps(void **state)
{
	struct kube_config cfg;
	struct kube_client_opts o = {10, 2, 0, 0, 0, 0};
	struct kube_client *c;
	struct kube_client_stats stats;
	struct fc_err err;
	double t0, dt;
	int i;

	(void)state;
	NEED_SERVER();
	kube_config_init(&cfg);
	assert_int_equal(kube_config_load_default(&cfg, NULL, &err), 0);
	assert_int_equal(kube_client_new(&cfg, &o, &c, &err), 0);
	kube_config_release(&cfg);
	t0 = now_s();
	for (i = 0; i < 12; i++)
		assert_int_equal(kube_get(c, P("/api/v1/namespaces/%s", ns), NULL, NULL, &err), 0);
	dt = now_s() - t0;
	kube_client_stats(c, &stats);
	print_message("qps 10 burst 2: 12 GETs in %.2f s, %llu throttled, %llu TCP connections\n", dt,
		      (unsigned long long)stats.throttled, (unsigned long long)stats.connections);
	assert_true(dt >= 0.95 && dt < 5);
	assert_int_equal(stats.throttled, 10);
	assert_int_equal(stats.connections, 1);
	kube_client_free(c);
}

/* --- informer -------------------------------------------------------------------------------------------- */

/* Take keys from the queue until `want` comes out (true) or `timeout_ms` passes. */
static bool wait_key(struct kube_queue *q, const char *want, long timeout_ms)
{
	double end = now_s() + (double)timeout_ms / 1000;

	while (now_s() < end) {
		char *k;

		if (!kube_queue_wait(q, 200))
			continue;
		while (kube_queue_get(q, &k)) {
			bool hit = !strcmp(k, want);

			kube_queue_done(q, k);
			free(k);
			if (hit)
				return true;
		}
	}
	return false;
}

static void drain(struct kube_queue *q)
{
	char *k;

	while (kube_queue_get(q, &k)) {
		kube_queue_done(q, k);
		free(k);
	}
}

/* Compact etcd up to its current revision (etcd's JSON gateway at ETCD_URL, spoken with the same client), so
 * that every older resourceVersion is gone for good, as after the apiserver's own periodic compaction. */
static bool compact_etcd(void)
{
	struct kube_config cfg;
	struct kube_client *etcd;
	struct fc_err err;
	json_t *req, *out = NULL;
	const char *rev;
	bool ok = false;

	if (!getenv("ETCD_URL") || !*getenv("ETCD_URL"))
		return false;
	kube_config_init(&cfg);
	cfg.server = getenv("ETCD_URL");
	if (kube_client_new(&cfg, NULL, &etcd, &err))
		return false;
	req = json_pack("{s:s}", "key", "AA==");
	if (kube_request(etcd, "POST", "/v3/kv/range", req, NULL, &out, NULL, &err) == 0 &&
	    (rev = json_string_value(json_object_get(json_object_get(out, "header"), "revision")))) {
		json_t *c = json_pack("{s:s, s:b}", "revision", rev, "physical", 1);

		ok = kube_request(etcd, "POST", "/v3/kv/compaction", c, NULL, NULL, NULL, &err) == 0;
		if (!ok)
			print_message("etcd compaction: %s\n", err.msg);
		else
			print_message("etcd compacted at revision %s\n", rev);
		json_decref(c);
	}
	json_decref(req);
	json_decref(out);
	kube_client_free(etcd);
	return ok;
}

static void test_informer(void **state)
{
	struct kube_queue *q;
	struct kube_informer *inf;
	struct kube_informer_opts o;
	struct kube_informer_stats s0, s;
	struct fc_err err;
	char key[128];
	json_t *cm, *got, *patch;
	double t0, t;
	int i;

	(void)state;
	NEED_SERVER();
	q = kube_queue_new(0, 0);
	cm = configmap("pre", "inf", "0");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, NULL, NULL, &err), 0);
	json_decref(cm);
	cm = configmap("other", "x", "0");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, NULL, NULL, &err), 0);
	json_decref(cm);

	memset(&o, 0, sizeof(o));
	o.path = P("/api/v1/namespaces/%s/configmaps", ns);
	o.label_selector = "app=inf";
	o.queue = q;
	o.watch_timeout_s = 2; /* the server ends each watch after 2 s: resumes must follow */
	o.resync_ms = 1500;
	o.list_page = 1;       /* paging with continue tokens */
	t0 = now_s();
	assert_int_equal(kube_informer_start(client, &o, &inf, &err), 0);
	assert_true(kube_informer_wait_synced(inf, 10000));
	print_message("informer synced in %.3f s\n", now_s() - t0);
	snprintf(key, sizeof(key), "%s/pre", ns);
	assert_int_equal(kube_store_len(kube_informer_store(inf)), 1); /* "other" filtered by the selector */
	assert_true(wait_key(q, key, 5000));

	/* add */
	t0 = now_s();
	cm = configmap("w1", "inf", "0");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, NULL, NULL, &err), 0);
	json_decref(cm);
	snprintf(key, sizeof(key), "%s/w1", ns);
	assert_true(wait_key(q, key, 10000));
	print_message("add seen through the watch in %.3f s\n", now_s() - t0);
	got = kube_store_get(kube_informer_store(inf), key);
	assert_non_null(got);
	json_decref(got);

	/* three updates while nobody takes keys: one key in the queue (dedup) */
	drain(q);
	kube_informer_stats(inf, &s0);
	for (i = 1; i <= 3; i++) {
		patch = json_pack("{s:{s:i}}", "data", "k", i);
		json_object_set_new(json_object_get(patch, "data"), "k", json_sprintf("%d", i));
		assert_int_equal(kube_patch(client, P("/api/v1/namespaces/%s/configmaps/w1", ns), NULL, patch, NULL,
					    NULL, &err),
				 0);
		json_decref(patch);
	}
	for (t = now_s(); now_s() - t < 10; msleep(50)) {
		kube_informer_stats(inf, &s);
		if (s.modified >= s0.modified + 3)
			break;
	}
	assert_true(s.modified >= s0.modified + 3);
	{
		size_t n = kube_queue_len(q);
		char *k = NULL;

		print_message("3 updates -> %zu key(s) queued\n", n);
		assert_true(n >= 1);
		/* a resync may have queued others; w1 itself is there once */
		int w1 = 0;
		while (kube_queue_get(q, &k)) {
			w1 += !strcmp(k, key);
			kube_queue_done(q, k);
			free(k);
		}
		assert_int_equal(w1, 1);
	}
	got = kube_store_get(kube_informer_store(inf), key);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "data"), "k")), "3");
	json_decref(got);

	/* delete */
	assert_int_equal(kube_delete(client, P("/api/v1/namespaces/%s/configmaps/w1", ns), NULL, NULL, &err), 0);
	assert_true(wait_key(q, key, 10000));
	assert_null(kube_store_get(kube_informer_store(inf), key));

	/* a dropped stream: resume from the last resourceVersion, nothing missed */
	kube_informer_stats(inf, &s0);
	kube_informer_drop_watch(inf, NULL);
	cm = configmap("w2", "inf", "0");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, NULL, NULL, &err), 0);
	json_decref(cm);
	snprintf(key, sizeof(key), "%s/w2", ns);
	assert_true(wait_key(q, key, 10000));
	kube_informer_stats(inf, &s);
	assert_true(s.resumes > s0.resumes);
	assert_int_equal(s.relists_gone, s0.relists_gone);

	/* 410 (re-list) is in test_informer_relist_410 */

	/* the server's own watch timeout (2 s) ended streams, and resyncs (1.5 s) ran */
	msleep(2500);
	kube_informer_stats(inf, &s);
	print_message("informer: lists %llu, relists after 410 %llu, watches %llu, resumes %llu, added %llu, modified "
		      "%llu, deleted %llu, bookmarks %llu, errors %llu, resyncs %llu\n",
		      (unsigned long long)s.lists, (unsigned long long)s.relists_gone, (unsigned long long)s.watches,
		      (unsigned long long)s.resumes, (unsigned long long)s.added, (unsigned long long)s.modified,
		      (unsigned long long)s.deleted, (unsigned long long)s.bookmarks, (unsigned long long)s.errors,
		      (unsigned long long)s.resyncs);
	assert_true(s.resumes >= 2);
	assert_true(s.resyncs >= 1);
	kube_informer_free(inf);
	kube_queue_free(q);
}

static json_t *event(const char *name)
{
	return json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:s}, s:s, s:s, s:s}", "apiVersion", "v1", "kind", "Event",
			 "metadata", "name", name, "involvedObject", "kind", "ConfigMap", "name", "x", "namespace", ns,
			 "reason", "Test", "message", "from test_kube_api", "type", "Normal");
}

/*
 * 410 Gone: the informer resumes from a resourceVersion that etcd has compacted away (as when an operator was
 * disconnected across the apiserver's periodic compaction). Events are used because the apiserver serves their
 * watches from etcd (their watch cache is off by default), where compaction is final; for cached kinds the cache
 * answers 410 the same way once its window has moved past the version. The informer must list again and end with
 * a store that has what was created and lacks what was deleted meanwhile.
 */
static void test_informer_relist_410(void **state)
{
	struct kube_queue *q;
	struct kube_informer *inf;
	struct kube_informer_opts o;
	struct kube_informer_stats s0, s;
	struct fc_err err;
	char old_rv[64], key[128];
	json_t *ev, *got = NULL;
	double t0, t;

	(void)state;
	NEED_SERVER();
	q = kube_queue_new(0, 0);
	ev = event("e0");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/events", ns), ev, NULL, NULL, &err), 0);
	json_decref(ev);
	memset(&o, 0, sizeof(o));
	o.path = P("/api/v1/namespaces/%s/events", ns);
	o.queue = q;
	assert_int_equal(kube_informer_start(client, &o, &inf, &err), 0);
	assert_true(kube_informer_wait_synced(inf, 10000));
	kube_informer_rv(inf, old_rv, sizeof(old_rv));
	ev = event("e1");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/events", ns), ev, NULL, NULL, &err), 0);
	json_decref(ev);
	snprintf(key, sizeof(key), "%s/e1", ns);
	assert_true(wait_key(q, key, 10000));
	ev = event("e2");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/events", ns), ev, NULL, NULL, &err), 0);
	json_decref(ev);
	assert_int_equal(kube_delete(client, P("/api/v1/namespaces/%s/events/e0", ns), NULL, NULL, &err), 0);
	assert_true(compact_etcd());

	kube_informer_stats(inf, &s0);
	t0 = now_s();
	kube_informer_drop_watch(inf, old_rv); /* reconnect from the version we had before e1: compacted now */
	for (t = now_s(); now_s() - t < 15; msleep(20)) {
		kube_informer_stats(inf, &s);
		if (s.relists_gone > s0.relists_gone && s.lists > s0.lists)
			break;
	}
	print_message("watch from compacted resourceVersion %s -> 410 -> re-list in %.3f s\n", old_rv, now_s() - t0);
	assert_true(s.relists_gone > s0.relists_gone);
	assert_true(s.lists > s0.lists);
	got = kube_store_get(kube_informer_store(inf), P("%s/e2", ns));
	assert_non_null(got);
	json_decref(got);
	assert_null(kube_store_get(kube_informer_store(inf), P("%s/e0", ns)));
	kube_informer_free(inf);
	kube_queue_free(q);
}

/* --- a TCP proxy in front of the apiserver, to cut connections for real -------------------------------- */

#define PROXY_MAX 32

struct proxy {
	int lfd, port, target_port;
	pthread_t thread;
	volatile int stop, cut, refuse;
	int fds[PROXY_MAX][2];
	int n;
	int accepted, cuts;
};

static void proxy_close(struct proxy *p, int i)
{
	close(p->fds[i][0]);
	close(p->fds[i][1]);
	p->fds[i][0] = p->fds[p->n - 1][0];
	p->fds[i][1] = p->fds[p->n - 1][1];
	p->n--;
}

static void *proxy_run(void *arg)
{
	struct proxy *p = arg;
	char buf[65536];

	while (!p->stop) {
		struct pollfd pfd[1 + 2 * PROXY_MAX];
		int i, n = 1;

		if (p->cut) {
			while (p->n)
				proxy_close(p, 0);
			p->cut = 0;
			p->cuts++;
		}
		pfd[0].fd = p->lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < p->n; i++) {
			pfd[n].fd = p->fds[i][0];
			pfd[n++].events = POLLIN;
			pfd[n].fd = p->fds[i][1];
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, 50) <= 0)
			continue;
		for (i = p->n - 1; i >= 0; i--) {
			int side;

			for (side = 0; side < 2; side++) {
				short re = pfd[1 + 2 * i + side].revents;
				ssize_t r;

				if (!(re & (POLLIN | POLLHUP | POLLERR)))
					continue;
				r = read(p->fds[i][side], buf, sizeof(buf));
				if (r <= 0 || write(p->fds[i][!side], buf, (size_t)r) != r) {
					proxy_close(p, i);
					break;
				}
			}
		}
		if (pfd[0].revents & POLLIN) {
			int c = accept(p->lfd, NULL, NULL), t;
			struct sockaddr_in a;

			if (c < 0)
				continue;
			if (p->refuse || p->n == PROXY_MAX) {
				close(c);
				continue;
			}
			t = socket(AF_INET, SOCK_STREAM, 0);
			memset(&a, 0, sizeof(a));
			a.sin_family = AF_INET;
			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			a.sin_port = htons((uint16_t)p->target_port);
			if (connect(t, (struct sockaddr *)&a, sizeof(a))) {
				close(c);
				close(t);
				continue;
			}
			p->fds[p->n][0] = c;
			p->fds[p->n][1] = t;
			p->n++;
			p->accepted++;
		}
	}
	while (p->n)
		proxy_close(p, 0);
	return NULL;
}

static void proxy_start(struct proxy *p, int target_port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(p, 0, sizeof(*p));
	p->target_port = target_port;
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(p->lfd, 16), 0);
	getsockname(p->lfd, (struct sockaddr *)&a, &alen);
	p->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&p->thread, NULL, proxy_run, p), 0);
}

static void proxy_stop(struct proxy *p)
{
	p->stop = 1;
	pthread_join(p->thread, NULL);
	close(p->lfd);
}

/* The watch's TCP connection is cut and the server refuses connections for 1.5 s (as during an apiserver
 * restart); meanwhile an object is created. The informer must reconnect and see it without a re-list. */
static void test_informer_connection_cut(void **state)
{
	struct proxy px;
	struct kube_config cfg;
	struct kube_client *c;
	struct kube_queue *q;
	struct kube_informer *inf;
	struct kube_informer_opts o;
	struct kube_informer_stats s0, s;
	struct fc_err err;
	char url[64], key[128];
	json_t *cm;
	double t0;

	(void)state;
	NEED_SERVER();
	proxy_start(&px, atoi(strrchr(getenv("KUBE_API_URL"), ':') + 1));
	kube_config_init(&cfg);
	assert_int_equal(kube_config_load_default(&cfg, NULL, &err), 0);
	free(cfg.server);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", px.port);
	cfg.server = strdup(url);
	assert_int_equal(kube_client_new(&cfg, NULL, &c, &err), 0);
	kube_config_release(&cfg);
	q = kube_queue_new(0, 0);
	memset(&o, 0, sizeof(o));
	o.path = P("/api/v1/namespaces/%s/configmaps", ns);
	o.label_selector = "app=cut";
	o.queue = q;
	assert_int_equal(kube_informer_start(c, &o, &inf, &err), 0);
	assert_true(kube_informer_wait_synced(inf, 10000));
	cm = configmap("c1", "cut", "0");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, NULL, NULL, &err), 0);
	json_decref(cm);
	snprintf(key, sizeof(key), "%s/c1", ns);
	assert_true(wait_key(q, key, 10000));

	kube_informer_stats(inf, &s0);
	t0 = now_s();
	px.refuse = 1;
	px.cut = 1;
	msleep(300);
	cm = configmap("c2", "cut", "0");
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/configmaps", ns), cm, NULL, NULL, &err), 0);
	json_decref(cm);
	msleep(1200);
	px.refuse = 0;
	snprintf(key, sizeof(key), "%s/c2", ns);
	assert_true(wait_key(q, key, 15000));
	kube_informer_stats(inf, &s);
	print_message("connection cut + 1.5 s refused: the change made meanwhile seen %.2f s after the cut "
		      "(watch errors %llu, resumes %llu, re-lists %llu, proxy cuts %d, connections %d)\n",
		      now_s() - t0, (unsigned long long)(s.errors - s0.errors),
		      (unsigned long long)(s.resumes - s0.resumes), (unsigned long long)(s.lists - s0.lists), px.cuts,
		      px.accepted);
	assert_int_equal(px.cuts, 1);
	assert_true(s.errors + s.resumes > s0.errors + s0.resumes);
	assert_int_equal(s.lists, s0.lists); /* resumed from the resourceVersion: no re-list */
	kube_informer_free(inf);
	kube_queue_free(q);
	kube_client_free(c);
	proxy_stop(&px);
}

/* --- leases ---------------------------------------------------------------------------------------------- */

static void test_lease(void **state)
{
	struct kube_elector *a, *b;
	struct kube_elector_opts oa = {NULL, "flytec-test", "contender-a", 2000, 1500, 250};
	struct kube_elector_opts ob;
	struct fc_err err;
	bool la = false, lb = false;
	double t0, t_renewed = 0;
	int i;

	(void)state;
	NEED_SERVER();
	oa.namespace = ns;
	ob = oa;
	ob.identity = "contender-b";
	assert_int_equal(kube_elector_new(client, &oa, &a, &err), 0);
	assert_int_equal(kube_elector_new(client, &ob, &b, &err), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(kube_elector_tick(a, &la, &err), 0);
		t_renewed = now_s();
		assert_int_equal(kube_elector_tick(b, &lb, &err), 0);
		assert_true(la != lb); /* exactly one leader at every round */
		msleep(250);
	}
	assert_true(la);
	/* a stops renewing (as if it hung): b takes over once the lease has not changed for its duration */
	t0 = now_s();
	while (!lb && now_s() - t0 < 10) {
		assert_int_equal(kube_elector_tick(b, &lb, &err), 0);
		if (!lb)
			msleep(250);
	}
	print_message("takeover %.2f s after the leader's last renewal (lease duration 2 s)\n", now_s() - t_renewed);
	assert_true(lb);
	assert_true(now_s() - t_renewed >= 1.95);
	/* a's renew deadline (1.5 s) has passed: it knows it is no leader even before reading the lease */
	assert_false(kube_elector_is_leader(a));
	assert_int_equal(kube_elector_tick(a, &la, &err), 0);
	assert_false(la);
	assert_int_equal(kube_elector_transitions(b), 1);
	/* b gives the lease up: a gets it at its next tick */
	assert_int_equal(kube_elector_release(b, &err), 0);
	assert_false(kube_elector_is_leader(b));
	t0 = now_s();
	assert_int_equal(kube_elector_tick(a, &la, &err), 0);
	assert_true(la);
	print_message("takeover after release: %.3f s\n", now_s() - t0);
	kube_elector_free(a);
	kube_elector_free(b);
	{
		struct kube_elector_opts bad = oa;

		bad.renew_deadline_ms = 5000; /* > lease duration */
		assert_int_equal(kube_elector_new(client, &bad, &a, &err), FC_EINVAL);
	}
}

struct tick_arg {
	struct kube_elector *e;
	bool leader;
	int rc;
	pthread_barrier_t *go;
};

static void *tick_thread(void *arg)
{
	struct tick_arg *t = arg;
	struct fc_err err;

	pthread_barrier_wait(t->go);
	t->rc = kube_elector_tick(t->e, &t->leader, &err);
	return NULL;
}

/* Two contenders tick at the same moment for a free lease, 10 rounds: optimistic concurrency (PUT with the
 * resourceVersion read) lets exactly one win each time; the loser got Conflict and is a follower. */
static void test_lease_race(void **state)
{
	struct kube_elector_opts oa = {NULL, "flytec-race", "racer-a", 3000, 2000, 500}, ob;
	struct kube_elector *e[2];
	struct fc_err err;
	int round, wins[2] = {0, 0};

	(void)state;
	NEED_SERVER();
	oa.namespace = ns;
	ob = oa;
	ob.identity = "racer-b";
	assert_int_equal(kube_elector_new(client, &oa, &e[0], &err), 0);
	assert_int_equal(kube_elector_new(client, &ob, &e[1], &err), 0);
	for (round = 0; round < 10; round++) {
		pthread_barrier_t go;
		pthread_t th[2];
		struct tick_arg ta[2];
		int i;

		pthread_barrier_init(&go, NULL, 2);
		for (i = 0; i < 2; i++) {
			ta[i].e = e[i];
			ta[i].leader = false;
			ta[i].rc = -1;
			ta[i].go = &go;
			assert_int_equal(pthread_create(&th[i], NULL, tick_thread, &ta[i]), 0);
		}
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		assert_int_equal(ta[0].rc, 0);
		assert_int_equal(ta[1].rc, 0);
		assert_true(ta[0].leader != ta[1].leader);
		wins[ta[0].leader ? 0 : 1]++;
		/* the winner lets go, so the next round races for a free lease again */
		assert_int_equal(kube_elector_release(e[ta[0].leader ? 0 : 1], &err), 0);
	}
	print_message("10 simultaneous races for a free lease: exactly one leader each time (a %d, b %d)\n", wins[0],
		      wins[1]);
	kube_elector_free(e[0]);
	kube_elector_free(e[1]);
}

/* --- pods ------------------------------------------------------------------------------------------------ */

static const char *no_inputs(void *ud, const char *name)
{
	(void)ud;
	return !strcmp(name, "n") ? "7" : NULL;
}

static json_t *build_pod(const char *exec, const char *script, const char *host_path)
{
	Flyteidl__Core__TaskTemplate t = FLYTEIDL__CORE__TASK_TEMPLATE__INIT;
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Core__Container c = FLYTEIDL__CORE__CONTAINER__INIT;
	static char *cmd[] = {"sh", "-c"};
	char *args[1];
	struct plg_k8s_pod_task task;
	struct plg_k8s_pod_config cfg;
	const char *image = getenv("FLYTEC_K8S_BUSYBOX_IMAGE");
	json_t *pod = NULL;
	struct fc_err err;

	args[0] = (char *)script;
	id.project = "p";
	id.domain = "d";
	id.name = "t.sh";
	id.version = "1";
	t.id = &id;
	t.target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
	t.container = &c;
	c.image = (char *)(image && *image ? image : "localhost/flytec/busybox:1.35");
	c.n_command = 2;
	c.command = cmd;
	c.n_args = 1;
	c.args = args;
	memset(&task, 0, sizeof(task));
	task.namespace = ns;
	task.project = "p";
	task.domain = "d";
	task.exec_name = exec;
	task.node_id = "n0";
	task.attempt = 0;
	task.output_prefix = "/data/out";
	task.input_text = no_inputs;
	memset(&cfg, 0, sizeof(cfg));
	cfg.default_requests.cpu = "10m";
	cfg.default_requests.memory = "16Mi";
	cfg.max_limits.memory = "64Mi";
	cfg.image_pull_policy = "Never";
	cfg.data_host_path = host_path;
	cfg.data_mount_path = "/data";
	assert_int_equal(plg_k8s_pod_build(&t, &task, &cfg, &pod, &err), 0);
	return pod;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Play the kubelet: write the pod's status subresource. */
static void fake_status(const char *name, const char *phase, int code)
{
	struct fc_err err;
	json_t *patch = json_pack("{s:{s:s, s:[{s:s, s:s, s:s, s:b, s:i, s:{s:{s:i, s:s}}}]}}", "status", "phase", phase,
				  "containerStatuses", "name", name, "image", "busybox", "imageID", "", "ready", 0,
				  "restartCount", 0, "state", "terminated", "exitCode", code, "reason",
				  code ? "Error" : "Completed");

	assert_int_equal(kube_patch(client, P("/api/v1/namespaces/%s/pods/%s/status", ns, name), KUBE_MERGE_PATCH,
				    patch, NULL, NULL, &err),
			 0);
	json_decref(patch);
}

/* Wait for a terminal phase (real kubelet) and map it. */
static void wait_pod(const char *name, struct plg_k8s_pod_status *st, double *secs)
{
	double t0 = now_s();
	struct fc_err err;

	for (;;) {
		json_t *pod = NULL;

		assert_int_equal(kube_get(client, P("/api/v1/namespaces/%s/pods/%s", ns, name), &pod, NULL, &err), 0);
		plg_k8s_pod_phase(pod, wall_ms(), NULL, st);
		json_decref(pod);
		if (st->phase == PLG_PHASE_SUCCESS || st->phase == PLG_PHASE_RETRYABLE_FAILURE ||
		    st->phase == PLG_PHASE_PERMANENT_FAILURE || now_s() - t0 > 90)
			break;
		msleep(200);
	}
	*secs = now_s() - t0;
}

static void test_pods(void **state)
{
	bool node = getenv("FLYTEC_K8S_NODE") && *getenv("FLYTEC_K8S_NODE");
	json_t *ok, *bad, *out = NULL;
	const char *okname, *badname;
	char uid[64], host_dir[512] = "";
	struct plg_k8s_pod_status st;
	struct kube_status kst;
	struct fc_err err;
	double secs, t0 = now_s();

	(void)state;
	NEED_SERVER();
	/* the data volume: a hostPath under the node's dir (the kubelet runs in its own mount namespace) */
	if (node && getenv("FLYTEC_K8S_NODE_DIR"))
		snprintf(host_dir, sizeof(host_dir), "%s/%s-data", getenv("FLYTEC_K8S_NODE_DIR"), ns);
	ok = build_pod("exok", "mkdir -p {{.outputPrefix}} && echo n={{.inputs.n}} > {{.outputPrefix}}/o",
		       host_dir[0] ? host_dir : NULL);
	bad = build_pod("exbad", "exit 3", NULL);
	if (node) {
		/* bound directly: a reused control plane may run without the scheduler */
		json_object_set_new(json_object_get(ok, "spec"), "nodeName", json_string(getenv("FLYTEC_K8S_NODE")));
		json_object_set_new(json_object_get(bad, "spec"), "nodeName", json_string(getenv("FLYTEC_K8S_NODE")));
	}
	okname = json_string_value(json_object_get(json_object_get(ok, "metadata"), "name"));
	badname = json_string_value(json_object_get(json_object_get(bad, "metadata"), "name"));
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/pods", ns), ok, &out, &kst, &err), 0);
	snprintf(uid, sizeof(uid), "%s", json_string_value(json_object_get(json_object_get(out, "metadata"), "uid")));
	json_decref(out);
	/* a retried create finds the pod and adopts it */
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/pods", ns), ok, NULL, &kst, &err), FC_EEXIST);
	assert_int_equal(kst.reason, KUBE_REASON_ALREADY_EXISTS);
	assert_int_equal(kube_get(client, P("/api/v1/namespaces/%s/pods/%s", ns, okname), &out, NULL, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "metadata"), "uid")), uid);
	json_decref(out);
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/pods", ns), bad, NULL, &kst, &err), 0);
	print_message("two pods accepted by the apiserver in %.2f s\n", now_s() - t0);
	if (node) {
		wait_pod(okname, &st, &secs);
		print_message("real kubelet: %s -> %s in %.2f s\n", okname, plg_k8s_phase_name(st.phase), secs);
		assert_int_equal(st.phase, PLG_PHASE_SUCCESS);
		if (host_dir[0]) {
			struct fc_buf o = FC_BUF_INIT;
			char file[600];

			/* the command's template variables were substituted and its output landed on the data volume */
			snprintf(file, sizeof(file), "%s/out/o", host_dir);
			assert_int_equal(fc_buf_read_file(&o, file, 0, NULL), 0);
			assert_string_equal(o.buf, "n=7\n");
			fc_buf_release(&o);
			snprintf(file, sizeof(file), "rm -rf '%s'", host_dir);
			assert_int_equal(system(file), 0);
			print_message("the pod wrote {{.outputPrefix}}/o = 'n=7' on the hostPath data volume\n");
		}
		wait_pod(badname, &st, &secs);
		print_message("real kubelet: %s -> %s (%s, exit %d: %s) in %.2f s\n", badname, plg_k8s_phase_name(st.phase),
			      st.code, st.exit_code, st.message, secs);
		assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
		assert_int_equal(st.error_kind, PLG_ERROR_USER);
		assert_int_equal(st.exit_code, 3);
	} else {
		print_message("no node (FLYTEC_K8S_NODE unset): playing the kubelet through the status subresource\n");
		fake_status(okname, "Succeeded", 0);
		fake_status(badname, "Failed", 3);
		wait_pod(okname, &st, &secs);
		assert_int_equal(st.phase, PLG_PHASE_SUCCESS);
		wait_pod(badname, &st, &secs);
		assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
		assert_int_equal(st.exit_code, 3);
	}
	/* deleted: gone from the API -> a system error */
	assert_int_equal(kube_delete(client, P("/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", ns, okname), NULL,
				     NULL, &err),
			 0);
	for (t0 = now_s(); now_s() - t0 < 30; msleep(200))
		if (kube_get(client, P("/api/v1/namespaces/%s/pods/%s", ns, okname), NULL, &kst, &err) == FC_ENOENT)
			break;
	assert_int_equal(kst.reason, KUBE_REASON_NOT_FOUND);
	plg_k8s_pod_phase(NULL, wall_ms(), NULL, &st);
	assert_string_equal(st.code, "ResourceDeletedExternally");
	kube_delete(client, P("/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", ns, badname), NULL, NULL, &err);
	json_decref(ok);
	json_decref(bad);
}

/* The operator's shape: an informer on pods (label selector) feeds the queue; a single-threaded epoll loop waits on
 * the queue's eventfd, takes keys and maps each pod from the store, with no GET. */
static void test_pod_informer_epoll(void **state)
{
	bool node = getenv("FLYTEC_K8S_NODE") && *getenv("FLYTEC_K8S_NODE");
	struct kube_queue *q;
	struct kube_informer *inf;
	struct kube_informer_opts o;
	struct kube_client_stats c0, c1;
	struct plg_k8s_pod_status st;
	struct epoll_event ev = {0}, out;
	struct fc_err err;
	json_t *pod;
	const char *name;
	char key[160];
	int ep, wakeups = 0;
	double t0;
	bool done = false;

	(void)state;
	NEED_SERVER();
	q = kube_queue_new(0, 0);
	memset(&o, 0, sizeof(o));
	o.path = P("/api/v1/namespaces/%s/pods", ns);
	o.label_selector = "execution-id=exep,app.kubernetes.io/managed-by=flytec";
	o.queue = q;
	assert_int_equal(kube_informer_start(client, &o, &inf, &err), 0);
	assert_true(kube_informer_wait_synced(inf, 10000));
	pod = build_pod("exep", "echo from epoll", NULL);
	if (node)
		json_object_set_new(json_object_get(pod, "spec"), "nodeName", json_string(getenv("FLYTEC_K8S_NODE")));
	name = json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	kube_client_stats(client, &c0);
	t0 = now_s();
	assert_int_equal(kube_create(client, P("/api/v1/namespaces/%s/pods", ns), pod, NULL, NULL, &err), 0);
	if (!node)
		fake_status(name, "Succeeded", 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = kube_queue_fd(q);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, kube_queue_fd(q), &ev), 0);
	while (!done && now_s() - t0 < 60) {
		long tmo = kube_queue_timeout_ms(q);
		char *k;

		if (epoll_wait(ep, &out, 1, tmo < 0 || tmo > 1000 ? 1000 : (int)tmo) <= 0)
			continue;
		wakeups++;
		while (kube_queue_get(q, &k)) {
			json_t *obj = kube_store_get(kube_informer_store(inf), k);

			if (!strcmp(k, key)) {
				plg_k8s_pod_phase(obj, wall_ms(), NULL, &st);
				done = st.phase == PLG_PHASE_SUCCESS;
			}
			json_decref(obj);
			kube_queue_done(q, k);
			free(k);
		}
	}
	kube_client_stats(client, &c1);
	print_message("epoll loop: pod %s -> %s in %.2f s, %d wakeups, %llu API requests from this loop's side "
		      "(create%s)\n",
		      name, plg_k8s_phase_name(st.phase), now_s() - t0, wakeups,
		      (unsigned long long)(c1.requests - c0.requests), node ? "" : " + the fake kubelet's status write");
	assert_true(done);
	assert_true(c1.requests - c0.requests <= (node ? 1u : 2u) + 1u); /* no GET per round; +1: a watch restart */
	close(ep);
	kube_delete(client, P("/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", ns, name), NULL, NULL, &err);
	json_decref(pod);
	kube_informer_free(inf);
	kube_queue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incluster_on_real_server),
		cmocka_unit_test(test_client_certificate),
		cmocka_unit_test(test_crud),
		cmocka_unit_test(test_qps),
		cmocka_unit_test(test_informer),
		cmocka_unit_test(test_informer_relist_410),
		cmocka_unit_test(test_informer_connection_cut),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_lease_race),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_pod_informer_epoll),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
