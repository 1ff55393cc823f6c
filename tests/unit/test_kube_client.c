/*
 * test_kube_client.c: the Kubernetes client without a cluster: kubeconfig and in-cluster parsing, label selectors,
 * the work queue, and requests against a tiny HTTP/1.1 server in this process (keep-alive, 429 with Retry-After,
 * 5xx, Status bodies, a closed port) for retries, backoff, error reasons and the QPS limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/queue.h"
#include "kube/store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[256];

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *tpath(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/kube-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* --- kubeconfig ------------------------------------------------------------------------------------------- */

static const char kubeconfig[] = "apiVersion: v1\n"
				 "kind: Config\n"
				 "current-context: dev\n"
				 "clusters:\n"
				 "- name: c1\n"
				 "  cluster:\n"
				 "    server: https://127.0.0.1:6443/\n"
				 "    certificate-authority: certs/ca.crt\n"
				 "- name: c2\n"
				 "  cluster:\n"
				 "    server: https://10.0.0.1\n"
				 "    certificate-authority-data: aGVsbG8gY2E=\n"
				 "    insecure-skip-tls-verify: true\n"
				 "users:\n"
				 "- name: tok\n"
				 "  user:\n"
				 "    token: abc123\n"
				 "- name: file\n"
				 "  user:\n"
				 "    tokenFile: token.txt\n"
				 "- name: cert\n"
				 "  user:\n"
				 "    client-certificate-data: Y2VydA==\n"
				 "    client-key-data: a2V5\n"
				 "- name: certfiles\n"
				 "  user:\n"
				 "    client-certificate: /abs/cert.pem\n"
				 "    client-key: key.pem\n"
				 "- name: ex\n"
				 "  user:\n"
				 "    exec:\n"
				 "      command: aws\n"
				 "contexts:\n"
				 "- name: dev\n"
				 "  context: {cluster: c1, user: tok, namespace: team}\n"
				 "- name: other\n"
				 "  context: {cluster: c2, user: cert}\n"
				 "- name: tf\n"
				 "  context: {cluster: c1, user: file}\n"
				 "- name: cf\n"
				 "  context: {cluster: c1, user: certfiles}\n"
				 "- name: bad-exec\n"
				 "  context: {cluster: c1, user: ex}\n"
				 "- name: no-user\n"
				 "  context: {cluster: c1, user: nobody}\n";

static void test_kubeconfig(void **state)
{
	struct kube_config cfg;
	struct fc_err err;
	char expect[600];

	(void)state;
	kube_config_init(&cfg);
	write_file("config", kubeconfig);
	write_file("token.txt", "from-file\n");
	assert_int_equal(kube_config_load_file(&cfg, tpath("config"), NULL, &err), 0);
	assert_string_equal(cfg.server, "https://127.0.0.1:6443");
	assert_string_equal(cfg.token, "abc123");
	assert_string_equal(cfg.namespace, "team");
	snprintf(expect, sizeof(expect), "%s/certs/ca.crt", tmpdir);
	assert_string_equal(cfg.ca_file, expect);
	assert_false(cfg.insecure);

	assert_int_equal(kube_config_load_file(&cfg, tpath("config"), "other", &err), 0);
	assert_string_equal(cfg.server, "https://10.0.0.1");
	assert_int_equal(cfg.ca_data_len, 8);
	assert_memory_equal(cfg.ca_data, "hello ca", 8);
	assert_true(cfg.insecure);
	assert_memory_equal(cfg.cert_data, "cert", 4);
	assert_memory_equal(cfg.key_data, "key", 3);
	assert_null(cfg.token);
	assert_string_equal(cfg.namespace, "default");

	assert_int_equal(kube_config_load_file(&cfg, tpath("config"), "tf", &err), 0);
	assert_string_equal(cfg.token, "from-file");

	assert_int_equal(kube_config_load_file(&cfg, tpath("config"), "cf", &err), 0);
	assert_string_equal(cfg.cert_file, "/abs/cert.pem");
	snprintf(expect, sizeof(expect), "%s/key.pem", tmpdir);
	assert_string_equal(cfg.key_file, expect);

	assert_int_equal(kube_config_load_file(&cfg, tpath("config"), "bad-exec", &err), FC_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "config:32:7: unsupported user authentication: exec"));
	assert_null(cfg.server);
	assert_int_equal(kube_config_load_file(&cfg, tpath("config"), "no-user", &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "users has no entry named 'nobody'"));
	assert_int_equal(kube_config_load_file(&cfg, tpath("config"), "nope", &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "contexts has no entry named 'nope'"));

	write_file("broken", "clusters: [\n");
	assert_int_equal(kube_config_load_file(&cfg, tpath("broken"), NULL, &err), FC_EPARSE);
	assert_non_null(strstr(err.msg, "broken:"));
	write_file("b64", "current-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://a\n"
			  "    certificate-authority-data: '!!!'\ncontexts:\n- name: x\n  context: {cluster: c}\n");
	assert_int_equal(kube_config_load_file(&cfg, tpath("b64"), NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "b64:6:33: invalid base64 in certificate-authority-data"));
	write_file("ftp", "current-context: x\nclusters:\n- name: c\n  cluster:\n    server: ftp://a\n"
			  "contexts:\n- name: x\n  context: {cluster: c}\n");
	assert_int_equal(kube_config_load_file(&cfg, tpath("ftp"), NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "ftp:5:13: server must be an http(s) URL"));
	assert_int_equal(kube_config_load_file(&cfg, tpath("missing"), NULL, &err), FC_ENOENT);
	kube_config_release(&cfg);
}

static void test_incluster(void **state)
{
	struct kube_config cfg;
	struct fc_err err;
	char dir[512];

	(void)state;
	kube_config_init(&cfg);
	snprintf(dir, sizeof(dir), "%s/sa", tmpdir);
	mkdir(dir, 0700);
	write_file("sa/token", "sa-token\n");
	write_file("sa/ca.crt", "PEM");
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kube_config_load_incluster(&cfg, dir, &err), FC_ENOENT);
	assert_non_null(strstr(err.msg, "KUBERNETES_SERVICE_HOST"));
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kube_config_load_incluster(&cfg, dir, &err), 0);
	assert_string_equal(cfg.server, "https://10.96.0.1:443");
	assert_string_equal(cfg.token, "sa-token");
	assert_string_equal(cfg.namespace, "default"); /* no namespace file */
	write_file("sa/namespace", "flyte\n");
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	assert_int_equal(kube_config_load_incluster(&cfg, dir, &err), 0);
	assert_string_equal(cfg.server, "https://[fd00::1]:443");
	assert_string_equal(cfg.namespace, "flyte");
	assert_non_null(strstr(cfg.ca_file, "sa/ca.crt"));
	unlink(tpath("sa/token"));
	assert_int_equal(kube_config_load_incluster(&cfg, dir, &err), FC_ENOENT);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	kube_config_release(&cfg);
}

/* --- selectors and queue ---------------------------------------------------------------------------------- */

static void test_selector(void **state)
{
	struct kube_selector s;
	struct fc_err err;
	json_t *l = json_pack("{s:s, s:s, s:s}", "app", "web", "tier", "front", "env", "prod");

	(void)state;
	kube_selector_init(&s);
	assert_int_equal(kube_selector_parse(&s, "", &err), 0);
	assert_true(kube_selector_matches(&s, l));
	assert_int_equal(kube_selector_parse(&s, "app=web, tier in (front, back),!gone,env!=dev,env", &err), 0);
	assert_int_equal(s.n, 5);
	assert_true(kube_selector_matches(&s, l));
	assert_int_equal(kube_selector_parse(&s, "app==web,tier notin (front)", &err), 0);
	assert_false(kube_selector_matches(&s, l));
	assert_int_equal(kube_selector_parse(&s, "missing", &err), 0);
	assert_false(kube_selector_matches(&s, l));
	assert_false(kube_selector_matches(&s, NULL));
	assert_int_equal(kube_selector_parse(&s, "!missing", &err), 0);
	assert_true(kube_selector_matches(&s, NULL));
	assert_int_equal(kube_selector_parse(&s, "a in x", &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "expected '(' at column 6"));
	assert_int_equal(kube_selector_parse(&s, "a=b c", &err), FC_EINVAL);
	assert_int_equal(kube_selector_parse(&s, "=b", &err), FC_EINVAL);
	assert_int_equal(kube_selector_parse(&s, "a in (x", &err), FC_EINVAL);
	kube_selector_release(&s);
	json_decref(l);
}

static void test_store(void **state)
{
	struct kube_store *st = kube_store_new();
	struct kube_selector s;
	struct fc_buf key = FC_BUF_INIT;
	json_t *a = json_pack("{s:{s:s, s:s, s:{s:s}}}", "metadata", "name", "a", "namespace", "ns", "labels", "x", "1");
	json_t *b = json_pack("{s:{s:s, s:{s:s}}}", "metadata", "name", "b", "labels", "x", "2");
	json_t *list, *got;

	(void)state;
	assert_true(kube_object_key(a, &key));
	assert_string_equal(key.buf, "ns/a");
	kube_store_put(st, key.buf, a);
	assert_true(kube_object_key(b, &key));
	assert_string_equal(key.buf, "b");
	kube_store_put(st, key.buf, b);
	kube_selector_init(&s);
	assert_int_equal(kube_selector_parse(&s, "x=2", NULL), 0);
	list = kube_store_list(st, &s);
	assert_int_equal(json_array_size(list), 1);
	assert_ptr_equal(json_array_get(list, 0), b);
	json_decref(list);
	got = kube_store_get(st, "ns/a");
	assert_ptr_equal(got, a);
	kube_store_delete(st, "ns/a");
	assert_int_equal(kube_store_len(st), 1);
	/* the reference handed out stays valid after the delete */
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "a");
	json_decref(got);
	kube_selector_release(&s);
	kube_store_free(st);
	fc_buf_release(&key);
	json_decref(a);
	json_decref(b);
}

static void test_queue(void **state)
{
	struct kube_queue *q = kube_queue_new(20, 200);
	struct pollfd pfd;
	char *k1, *k2;
	struct timespec t0, t1;
	long ms;

	(void)state;
	pfd.fd = kube_queue_fd(q);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 0);
	kube_queue_add(q, "ns/a");
	kube_queue_add(q, "ns/b");
	kube_queue_add(q, "ns/a"); /* dedup */
	assert_int_equal(kube_queue_len(q), 2);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_true(kube_queue_get(q, &k1));
	assert_string_equal(k1, "ns/a");
	/* added again while processing: not handed out twice, comes back after done */
	kube_queue_add(q, "ns/a");
	kube_queue_add(q, "ns/a");
	assert_true(kube_queue_get(q, &k2));
	assert_string_equal(k2, "ns/b");
	kube_queue_done(q, k2);
	free(k2);
	assert_false(kube_queue_get(q, &k2));
	assert_int_equal(poll(&pfd, 1, 0), 0); /* nothing ready: the fd is quiet */
	kube_queue_done(q, k1);
	assert_int_equal(kube_queue_len(q), 1);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_true(kube_queue_get(q, &k2));
	assert_string_equal(k2, "ns/a");
	kube_queue_done(q, k2);
	free(k2);

	/* rate limited: 20, 40, 80 ms; forget resets */
	kube_queue_add_rate_limited(q, k1);
	kube_queue_add_rate_limited(q, k1);
	kube_queue_add_rate_limited(q, k1);
	assert_int_equal(kube_queue_failures(q, k1), 3);
	ms = kube_queue_timeout_ms(q);
	assert_true(ms > 0 && ms <= 20); /* one delayed entry per key: the earliest wins */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_true(kube_queue_wait(q, 2000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 10 && ms < 1000);
	assert_true(kube_queue_get(q, &k2));
	kube_queue_done(q, k2);
	free(k2);
	kube_queue_forget(q, k1);
	assert_int_equal(kube_queue_failures(q, k1), 0);
	/* the backoff doubles per failure up to the cap: 20, 40, 80, 160, 200, 200 ms */
	for (int i = 0; i < 5; i++) {
		kube_queue_add_rate_limited(q, "ns/c");
		assert_true(kube_queue_wait(q, 2000));
		assert_true(kube_queue_get(q, &k2));
		kube_queue_done(q, k2);
		free(k2);
	}
	kube_queue_add_rate_limited(q, "ns/c");
	ms = kube_queue_timeout_ms(q);
	assert_true(ms > 150 && ms <= 200);
	kube_queue_add_after(q, "ns/d", 10000);
	assert_int_equal(kube_queue_len(q), 0);
	assert_false(kube_queue_wait(q, 30));
	free(k1);
	kube_queue_free(q); /* frees what is still delayed */
}

/* --- a tiny HTTP/1.1 server ---------------------------------------------------------------------------- */

struct srv {
	int lfd;
	int port;
	pthread_t thread;
	volatile int stop;
	pthread_mutex_t lock;
	int hits_flaky, hits_busy, hits_500;
	int requests, connections;
	char last_auth[256];
	char last_body[256];
	char last_ctype[128];
	char last_method[16];
};

static void respond(int fd, int code, const char *extra, const char *body)
{
	char msg[1024];
	int n = snprintf(msg, sizeof(msg),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s", code,
			 strlen(body), extra ? extra : "", body);

	/* one write: two small ones would meet Nagle's algorithm and delayed ACKs (40 ms each) */
	if (write(fd, msg, (size_t)n) < 0)
		return;
}

static void header_value(const char *req, const char *name, char *out, size_t size)
{
	const char *p = strcasestr(req, name);
	size_t n = 0;

	out[0] = 0;
	if (!p)
		return;
	p += strlen(name);
	while (*p == ' ')
		p++;
	while (p[n] && p[n] != '\r' && n + 1 < size)
		n++;
	memcpy(out, p, n);
	out[n] = 0;
}

static void serve_conn(struct srv *s, int fd)
{
	char buf[8192];
	size_t len = 0;

	for (;;) {
		char *end, path[256], method[16], clen[32];
		size_t need, body_len;
		ssize_t r;

		while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
			if (len >= sizeof(buf) - 1)
				return;
			r = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (r <= 0)
				return;
			len += (size_t)r;
		}
		buf[len] = 0;
		if (sscanf(buf, "%15s %255s", method, path) != 2)
			return;
		header_value(buf, "\r\nContent-Length:", clen, sizeof(clen));
		body_len = (size_t)atoi(clen);
		need = (size_t)(end - buf) + 4 + body_len;
		while (len < need) {
			r = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (r <= 0)
				return;
			len += (size_t)r;
		}
		pthread_mutex_lock(&s->lock);
		s->requests++;
		header_value(buf, "\r\nAuthorization:", s->last_auth, sizeof(s->last_auth));
		header_value(buf, "\r\nContent-Type:", s->last_ctype, sizeof(s->last_ctype));
		snprintf(s->last_method, sizeof(s->last_method), "%s", method);
		snprintf(s->last_body, sizeof(s->last_body), "%.*s", (int)body_len, end + 4);
		pthread_mutex_unlock(&s->lock);
		if (!strcmp(path, "/flaky")) {
			if (s->hits_flaky++ < 2)
				respond(fd, 503, NULL, "{}");
			else
				respond(fd, 200, NULL, "{\"ok\":true}");
		} else if (!strcmp(path, "/busy")) {
			if (s->hits_busy++ < 1)
				respond(fd, 429, "Retry-After: 1\r\n",
					"{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"code\":429}");
			else
				respond(fd, 200, NULL, "{\"ok\":1}");
		} else if (!strcmp(path, "/broken")) {
			s->hits_500++;
			respond(fd, 500, NULL, "{\"kind\":\"Status\",\"message\":\"etcd down\",\"reason\":\"InternalError\"}");
		} else if (!strcmp(path, "/missing")) {
			respond(fd, 404, NULL,
				"{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"pods \\\"x\\\" not found\","
				"\"reason\":\"NotFound\",\"code\":404}");
		} else if (!strcmp(path, "/exists")) {
			respond(fd, 409, NULL, "{\"kind\":\"Status\",\"message\":\"already there\",\"reason\":\"AlreadyExists\"}");
		} else if (!strcmp(path, "/conflict")) {
			respond(fd, 409, NULL, "{\"kind\":\"Status\",\"message\":\"changed\",\"reason\":\"Conflict\"}");
		} else if (!strcmp(path, "/gone")) {
			respond(fd, 410, NULL, "not json");
		} else if (!strcmp(path, "/invalid")) {
			respond(fd, 422, NULL, "{\"kind\":\"Status\",\"message\":\"bad name\",\"reason\":\"Invalid\"}");
		} else if (!strcmp(path, "/notjson")) {
			respond(fd, 200, NULL, "<html>");
		} else if (!strcmp(path, "/close")) {
			return; /* no answer at all */
		} else {
			respond(fd, 200, NULL, "{\"path\":\"ok\"}");
		}
		memmove(buf, buf + need, len - need);
		len -= need;
	}
}

static void *srv_run(void *arg)
{
	struct srv *s = arg;

	while (!s->stop) {
		struct pollfd pfd = {s->lfd, POLLIN, 0};
		int fd;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&s->lock);
		s->connections++;
		pthread_mutex_unlock(&s->lock);
		serve_conn(s, fd);
		close(fd);
	}
	return NULL;
}

static void srv_start(struct srv *s)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 16), 0);
	getsockname(s->lfd, (struct sockaddr *)&a, &alen);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_run, s), 0);
}

static void srv_stop(struct srv *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	close(s->lfd);
	pthread_mutex_destroy(&s->lock);
}

static struct kube_client *client_for(int port, double qps, int burst, int retries)
{
	struct kube_config cfg;
	struct kube_client_opts o = {qps, burst, retries, 20, 5000, 2000};
	struct kube_client *c;
	char url[64];

	kube_config_init(&cfg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	cfg.server = url;
	cfg.token = (char *)"t0k";
	assert_int_equal(kube_client_new(&cfg, &o, &c, NULL), 0);
	return c;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_requests(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct kube_client_stats stats;
	struct kube_status st;
	struct fc_err err;
	json_t *out = NULL, *body;
	struct timespec t0;
	long ms;

	(void)state;
	srv_start(&s);
	c = client_for(s.port, -1, 0, 4);

	assert_int_equal(kube_get(c, "/x", &out, &st, &err), 0);
	assert_int_equal(st.http_code, 200);
	assert_string_equal(json_string_value(json_object_get(out, "path")), "ok");
	json_decref(out);
	assert_string_equal(s.last_auth, "Bearer t0k");

	/* 503 twice, then 200: two retries with backoff 20 + 40 ms */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kube_get(c, "/flaky", &out, &st, &err), 0);
	ms = elapsed_ms(&t0);
	assert_true(ms >= 55);
	assert_int_equal(s.hits_flaky, 3);
	json_decref(out);

	/* 429 with Retry-After: 1 -> waits a second */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kube_get(c, "/busy", NULL, &st, &err), 0);
	ms = elapsed_ms(&t0);
	assert_true(ms >= 950);
	assert_int_equal(s.hits_busy, 2);

	/* always 500: 1 + 4 retries, then an error with the Status message */
	assert_int_equal(kube_get(c, "/broken", NULL, &st, &err), FC_EUNAVAILABLE);
	assert_int_equal(s.hits_500, 5);
	assert_int_equal(st.reason, KUBE_REASON_INTERNAL_ERROR);
	assert_non_null(strstr(err.msg, "InternalError: GET /broken: HTTP 500: etcd down"));

	/* reasons */
	assert_int_equal(kube_get(c, "/missing", NULL, &st, &err), FC_ENOENT);
	assert_int_equal(st.reason, KUBE_REASON_NOT_FOUND);
	assert_int_equal(st.http_code, 404);
	assert_non_null(strstr(err.msg, "NotFound: GET /missing: HTTP 404: pods \"x\" not found"));
	body = json_pack("{s:s}", "a", "b");
	assert_int_equal(kube_create(c, "/exists", body, NULL, &st, &err), FC_EEXIST);
	assert_int_equal(st.reason, KUBE_REASON_ALREADY_EXISTS);
	assert_string_equal(s.last_method, "POST");
	assert_string_equal(s.last_body, "{\"a\":\"b\"}");
	assert_string_equal(s.last_ctype, "application/json");
	assert_int_equal(kube_update(c, "/conflict", body, NULL, &st, &err), FC_ECONFLICT);
	assert_int_equal(st.reason, KUBE_REASON_CONFLICT);
	assert_string_equal(s.last_method, "PUT");
	assert_int_equal(kube_patch(c, "/invalid", KUBE_JSON_PATCH, body, NULL, &st, &err), FC_EINVAL);
	assert_int_equal(st.reason, KUBE_REASON_INVALID);
	assert_string_equal(s.last_ctype, KUBE_JSON_PATCH);
	assert_string_equal(s.last_method, "PATCH");
	assert_int_equal(kube_get(c, "/gone", NULL, &st, &err), FC_EUNAVAILABLE);
	assert_int_equal(st.reason, KUBE_REASON_GONE);
	assert_int_equal(kube_delete(c, "/notjson", &out, &st, &err), FC_EPARSE);
	assert_null(out);
	assert_string_equal(s.last_method, "DELETE");
	json_decref(body);

	/* a server that closes without answering: retried, then FC_EIO */
	assert_int_equal(kube_get(c, "/close", NULL, &st, &err), FC_EIO);
	assert_int_equal(st.reason, KUBE_REASON_CONNECTION);

	kube_client_stats(c, &stats);
	assert_true(stats.retries >= 2 + 1 + 4 + 4);
	kube_client_free(c);
	srv_stop(&s);
}

static void test_keepalive_and_qps(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct kube_client_stats stats;
	struct timespec t0;
	struct fc_err err;
	long ms;
	int i;

	(void)state;
	srv_start(&s);
	/* 20 qps, burst 5: 25 requests = 5 at once + 20 at 50 ms each = ~1 s */
	c = client_for(s.port, 20, 5, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 25; i++)
		assert_int_equal(kube_get(c, "/x", NULL, NULL, &err), 0);
	ms = elapsed_ms(&t0);
	kube_client_stats(c, &stats);
	print_message("25 requests at qps 20 burst 5: %ld ms, %llu throttled, %llu connections\n", ms,
		      (unsigned long long)stats.throttled, (unsigned long long)stats.connections);
	/* The bucket refills while requests run, so how many waited depends on the machine's load; what must hold is
	 * that 25 requests at 20 qps with a burst of 5 take at least (25 - 5) / 20 s, and that some waited. */
	assert_true(ms >= 950 && ms < 20000);
	assert_true(stats.throttled >= 1 && stats.throttled <= 20);
	assert_int_equal(stats.requests, 25);
	assert_int_equal(stats.connections, 1); /* keep-alive: one connection for all */
	assert_int_equal(s.connections, 1);
	kube_client_free(c);
	srv_stop(&s);
}

/* Requests counted by verb (the bench's per-task budget): GET of an object, of a collection (a list), the writes. */
static void test_verbs(void **state)
{
	static const struct {
		const char *method, *path;
		enum kube_verb verb;
	} cases[] = {
		{"GET", "/api/v1/namespaces/ns/pods/p1", KUBE_VERB_GET},
		{"GET", "/api/v1/namespaces/ns/pods?labelSelector=a%3Db", KUBE_VERB_LIST},
		{"GET", "/api/v1/pods", KUBE_VERB_LIST},
		{"GET", "/api/v1/namespaces", KUBE_VERB_LIST},
		{"GET", "/api/v1/namespaces/ns", KUBE_VERB_GET},
		{"GET", "/apis/flyte.lyft.com/v1alpha1/namespaces/ns/flyteworkflows", KUBE_VERB_LIST},
		{"GET", "/apis/flyte.lyft.com/v1alpha1/flyteworkflows", KUBE_VERB_LIST},
		{"GET", "/apis/flyte.lyft.com/v1alpha1/namespaces/ns/flyteworkflows/w1", KUBE_VERB_GET},
		{"GET", "/apis/flyte.lyft.com/v1alpha1/namespaces/ns/flyteworkflows/w1/status", KUBE_VERB_GET},
		{"POST", "/api/v1/namespaces/ns/pods", KUBE_VERB_CREATE},
		{"PUT", "/apis/flyte.lyft.com/v1alpha1/namespaces/ns/flyteworkflows/w1/status", KUBE_VERB_UPDATE},
		{"PATCH", "/apis/flyte.lyft.com/v1alpha1/namespaces/ns/flyteworkflows/w1", KUBE_VERB_PATCH},
		{"DELETE", "/api/v1/namespaces/ns/pods/p1", KUBE_VERB_DELETE},
	};
	struct srv s;
	struct kube_client *c;
	struct kube_client_stats before, after;
	struct fc_err err;
	json_t *body = json_object();
	size_t i;
	int v;

	(void)state;
	srv_start(&s);
	c = client_for(s.port, -1, 0, 0);
	for (i = 0; i < FC_ARRAY_LEN(cases); i++) {
		kube_client_stats(c, &before);
		assert_int_equal(kube_request(c, cases[i].method, cases[i].path,
					      strcmp(cases[i].method, "GET") && strcmp(cases[i].method, "DELETE") ? body : NULL,
					      NULL, NULL, NULL, &err),
				 0);
		kube_client_stats(c, &after);
		for (v = 0; v < KUBE_VERB_N; v++) {
			uint64_t want = (v == (int)cases[i].verb) ? 1 : 0;

			if (after.by_verb[v] - before.by_verb[v] != want)
				fail_msg("%s %s: %s counted %llu, expected %llu", cases[i].method, cases[i].path,
					 kube_verb_name((enum kube_verb)v),
					 (unsigned long long)(after.by_verb[v] - before.by_verb[v]), (unsigned long long)want);
		}
	}
	assert_int_equal(after.requests, FC_ARRAY_LEN(cases));
	assert_string_equal(kube_verb_name(KUBE_VERB_WATCH), "watch");
	json_decref(body);
	kube_client_free(c);
	srv_stop(&s);
}

static void test_refused(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct kube_status st;
	struct fc_err err;
	int port;

	(void)state;
	srv_start(&s);
	port = s.port;
	srv_stop(&s); /* nothing listens there now */
	c = client_for(port, -1, 0, 2);
	assert_int_equal(kube_get(c, "/x", NULL, &st, &err), FC_EIO);
	assert_non_null(strstr(err.msg, "after 3 attempts"));
	kube_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubeconfig), cmocka_unit_test(test_incluster),
		cmocka_unit_test(test_selector),   cmocka_unit_test(test_store),
		cmocka_unit_test(test_queue),      cmocka_unit_test(test_requests),
		cmocka_unit_test(test_keepalive_and_qps), cmocka_unit_test(test_refused),
		cmocka_unit_test(test_verbs),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
