/*
 * client.c: HTTP requests to the API server over libcurl (see client.h).
 */
#include "kube/client.h"
#include "kube/config.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kube_client {
	struct kube_config cfg; /* our own copy of every string */
	struct kube_client_opts opts;
	char *auth_header;

	pthread_mutex_t lock; /* pool, bucket and stats */
	CURL *pool[KUBE_POOL_MAX];
	int npool;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

	double tokens;
	int64_t bucket_ns; /* when `tokens` was last brought up to date */
	struct kube_client_stats stats;
};

static const char *const reason_names[] = {
#define KUBE_X_NAME(code, name) name,
	KUBE_REASON_LIST(KUBE_X_NAME)
#undef KUBE_X_NAME
};

const char *kube_reason_name(enum kube_reason r)
{
	if ((size_t)r >= FC_ARRAY_LEN(reason_names))
		return "Unknown";
	return reason_names[r];
}

static enum kube_reason reason_from_name(const char *s)
{
	size_t i;

	for (i = 1; i < FC_ARRAY_LEN(reason_names); i++)
		if (!strcmp(reason_names[i], s))
			return (enum kube_reason)i;
	return KUBE_REASON_UNKNOWN;
}

/* The reason when the body says none (or is not a Status), from the HTTP code as the API server uses them. */
static enum kube_reason reason_from_http(long code)
{
	static const struct {
		long code;
		enum kube_reason reason;
	} map[] = {
		{400, KUBE_REASON_BAD_REQUEST},   {401, KUBE_REASON_UNAUTHORIZED},
		{403, KUBE_REASON_FORBIDDEN},     {404, KUBE_REASON_NOT_FOUND},
		{405, KUBE_REASON_METHOD_NOT_ALLOWED}, {409, KUBE_REASON_CONFLICT},
		{410, KUBE_REASON_GONE},          {415, KUBE_REASON_UNSUPPORTED_MEDIA_TYPE},
		{422, KUBE_REASON_INVALID},       {429, KUBE_REASON_TOO_MANY_REQUESTS},
		{500, KUBE_REASON_INTERNAL_ERROR}, {503, KUBE_REASON_SERVICE_UNAVAILABLE},
		{504, KUBE_REASON_TIMEOUT},
	};
	size_t i;

	for (i = 0; i < FC_ARRAY_LEN(map); i++)
		if (map[i].code == code)
			return map[i].reason;
	return KUBE_REASON_UNKNOWN;
}

static int code_of_reason(enum kube_reason r, long http)
{
	switch (r) {
	case KUBE_REASON_NOT_FOUND:
		return FC_ENOENT;
	case KUBE_REASON_ALREADY_EXISTS:
		return FC_EEXIST;
	case KUBE_REASON_CONFLICT:
		return FC_ECONFLICT;
	case KUBE_REASON_INVALID:
	case KUBE_REASON_BAD_REQUEST:
	case KUBE_REASON_METHOD_NOT_ALLOWED:
	case KUBE_REASON_UNSUPPORTED_MEDIA_TYPE:
		return FC_EINVAL;
	case KUBE_REASON_UNAUTHORIZED:
	case KUBE_REASON_FORBIDDEN:
		return FC_EPERM;
	case KUBE_REASON_GONE:
	case KUBE_REASON_EXPIRED:
	case KUBE_REASON_TOO_MANY_REQUESTS:
	case KUBE_REASON_SERVICE_UNAVAILABLE:
	case KUBE_REASON_TIMEOUT:
		return FC_EUNAVAILABLE;
	case KUBE_REASON_CONNECTION:
		return FC_EIO;
	default:
		return http >= 500 ? FC_EUNAVAILABLE : FC_EINVAL;
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts;

	if (ns <= 0)
		return;
	ts.tv_sec = ns / 1000000000;
	ts.tv_nsec = ns % 1000000000;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --- the shared connection cache ------------------------------------------------------------------------ */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct kube_client *c = ud;

	(void)h;
	(void)access;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct kube_client *c = ud;

	(void)h;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_locks[data]);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_global(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
	return s ? fc_xstrdup(s) : NULL;
}

static char *memdup_or_null(const char *s, size_t len)
{
	char *p;

	if (!s)
		return NULL;
	p = fc_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

int kube_client_new(const struct kube_config *cfg, const struct kube_client_opts *opts, struct kube_client **out,
		    struct fc_err *err)
{
	struct kube_client *c;
	int i;

	*out = NULL;
	if (!cfg->server)
		return fc_err_set(err, FC_EINVAL, "kube client: the configuration has no server");
	pthread_once(&curl_once, curl_global);
	c = fc_xcalloc(1, sizeof(*c));
	c->cfg.server = fc_xstrdup(cfg->server);
	c->cfg.namespace = fc_xstrdup(cfg->namespace ? cfg->namespace : "default");
	c->cfg.ca_file = dup_or_null(cfg->ca_file);
	c->cfg.ca_data = memdup_or_null(cfg->ca_data, cfg->ca_data_len);
	c->cfg.ca_data_len = cfg->ca_data_len;
	c->cfg.insecure = cfg->insecure;
	c->cfg.token = dup_or_null(cfg->token);
	c->cfg.cert_file = dup_or_null(cfg->cert_file);
	c->cfg.key_file = dup_or_null(cfg->key_file);
	c->cfg.cert_data = memdup_or_null(cfg->cert_data, cfg->cert_data_len);
	c->cfg.cert_data_len = cfg->cert_data_len;
	c->cfg.key_data = memdup_or_null(cfg->key_data, cfg->key_data_len);
	c->cfg.key_data_len = cfg->key_data_len;
	if (opts)
		c->opts = *opts;
	if (c->opts.qps == 0)
		c->opts.qps = 5;
	if (c->opts.burst <= 0)
		c->opts.burst = 10;
	if (c->opts.max_retries == 0)
		c->opts.max_retries = 5;
	if (c->opts.max_retries < 0)
		c->opts.max_retries = 0;
	if (c->opts.max_retries > KUBE_MAX_RETRIES_CAP)
		c->opts.max_retries = KUBE_MAX_RETRIES_CAP;
	if (c->opts.backoff_base_ms <= 0)
		c->opts.backoff_base_ms = 100;
	if (c->opts.timeout_ms <= 0)
		c->opts.timeout_ms = 30000;
	if (c->opts.connect_timeout_ms <= 0)
		c->opts.connect_timeout_ms = 10000;
	if (c->cfg.token) {
		struct fc_buf b = FC_BUF_INIT;

		fc_buf_addf(&b, "Authorization: Bearer %s", c->cfg.token);
		c->auth_header = fc_buf_detach(&b, NULL);
	}
	pthread_mutex_init(&c->lock, NULL);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	c->share = curl_share_init();
	if (!c->share)
		fc_die_oom(0);
	curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	c->tokens = c->opts.burst;
	c->bucket_ns = now_ns();
	*out = c;
	return 0;
}

void kube_client_free(struct kube_client *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	curl_share_cleanup(c->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	pthread_mutex_destroy(&c->lock);
	if (c->auth_header)
		memset(c->auth_header, 0, strlen(c->auth_header));
	free(c->auth_header);
	kube_config_release(&c->cfg);
	free(c);
}

const char *kube_verb_name(enum kube_verb v)
{
	static const char *const names[KUBE_VERB_N] = {"get", "list", "watch", "create", "update", "patch", "delete",
						       "other"};

	return (unsigned)v < KUBE_VERB_N ? names[v] : "other";
}

/*
 * The verb of a request. Paths are /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]] or
 * /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUB]]: a GET names an object when a segment follows the
 * resource's.
 */
static enum kube_verb verb_of(const char *method, const char *path)
{
	const char *seg[8];
	size_t n = 0, i;
	const char *p;

	if (!strcmp(method, "POST"))
		return KUBE_VERB_CREATE;
	if (!strcmp(method, "PUT"))
		return KUBE_VERB_UPDATE;
	if (!strcmp(method, "PATCH"))
		return KUBE_VERB_PATCH;
	if (!strcmp(method, "DELETE"))
		return KUBE_VERB_DELETE;
	if (strcmp(method, "GET"))
		return KUBE_VERB_OTHER;
	for (p = path; *p && *p != '?' && n < FC_ARRAY_LEN(seg); p++)
		if (*p == '/' && p[1] && p[1] != '/' && p[1] != '?')
			seg[n++] = p + 1;
	i = n && !strncmp(seg[0], "apis/", 5) ? 3 : 2; /* "apis/GROUP/VERSION" or "api/v1" */
	if (i < n && !strncmp(seg[i], "namespaces/", 11)) {
		if (n - i <= 2) /* the namespaces, or one namespace */
			return n - i == 2 ? KUBE_VERB_GET : KUBE_VERB_LIST;
		i += 2;
	}
	return i < n && n - i >= 2 ? KUBE_VERB_GET : KUBE_VERB_LIST;
}

void kube_client_stats(struct kube_client *c, struct kube_client_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

const char *kube_client_namespace(const struct kube_client *c)
{
	return c->cfg.namespace;
}

/* --- rate limit: a token bucket with reservations (a caller that must wait takes its token now, so waiters are
 * served in order and the long-run rate is exactly qps) ------------------------------------------------- */

static void throttle(struct kube_client *c)
{
	int64_t now, wait = 0;

	if (c->opts.qps < 0)
		return;
	pthread_mutex_lock(&c->lock);
	now = now_ns();
	c->tokens += (double)(now - c->bucket_ns) * c->opts.qps / 1e9;
	if (c->tokens > c->opts.burst)
		c->tokens = c->opts.burst;
	c->bucket_ns = now;
	c->tokens -= 1;
	if (c->tokens < 0) {
		wait = (int64_t)(-c->tokens / c->opts.qps * 1e9);
		c->stats.throttled++;
		c->stats.throttle_ns += (uint64_t)wait;
	}
	pthread_mutex_unlock(&c->lock);
	sleep_ns(wait);
}

/* --- handles ------------------------------------------------------------------------------------------- */

static CURL *handle_get(struct kube_client *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->npool)
		h = c->pool[--c->npool];
	pthread_mutex_unlock(&c->lock);
	if (!h && !(h = curl_easy_init()))
		fc_die_oom(0);
	curl_easy_reset(h);
	return h;
}

static void handle_put(struct kube_client *c, CURL *h)
{
	pthread_mutex_lock(&c->lock);
	if (c->npool < KUBE_POOL_MAX) {
		c->pool[c->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}

struct xfer {
	struct fc_buf body;
	long retry_after_s; /* -1: none */
	kube_stream_fn on_data;
	void *ud;
	const volatile int *stop;
	bool stopped;
	long http_code; /* streams: known once headers are in */
	CURL *h;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (x->on_data) {
		if (!x->http_code)
			curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->http_code);
		if (x->http_code >= 200 && x->http_code < 300) {
			if (x->on_data(x->ud, ptr, n)) {
				x->stopped = true;
				return 0;
			}
			return n;
		}
	}
	fc_buf_add(&x->body, ptr, n);
	return fc_buf_error(&x->body) ? 0 : n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (n > 12 && !strncasecmp(ptr, "Retry-After:", 12)) {
		char *end;
		long v = strtol(ptr + 12, &end, 10);

		if (end != ptr + 12 && v >= 0)
			x->retry_after_s = v;
	}
	return n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t cc, curl_off_t d)
{
	struct xfer *x = ud;

	(void)a;
	(void)b;
	(void)cc;
	(void)d;
	if (x->stop && *x->stop) {
		x->stopped = true;
		return 1;
	}
	return 0;
}

static void setup(struct kube_client *c, CURL *h, const char *method, const char *url, struct curl_slist *headers,
		  struct xfer *x)
{
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "GET"))
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "flytec-kube/1");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->cfg.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->cfg.ca_data) {
		struct curl_blob blob = {c->cfg.ca_data, c->cfg.ca_data_len, CURL_BLOB_NOCOPY};

		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	} else if (c->cfg.ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cfg.ca_file);
	}
	if (c->cfg.cert_data) {
		struct curl_blob blob = {c->cfg.cert_data, c->cfg.cert_data_len, CURL_BLOB_NOCOPY};

		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (c->cfg.cert_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cfg.cert_file);
	}
	if (c->cfg.key_data) {
		struct curl_blob blob = {c->cfg.key_data, c->cfg.key_data_len, CURL_BLOB_NOCOPY};

		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (c->cfg.key_file) {
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->cfg.key_file);
	}
}

static struct curl_slist *make_headers(struct kube_client *c, const char *content_type, bool has_body)
{
	struct curl_slist *hl = NULL;
	struct fc_buf b = FC_BUF_INIT;

	hl = curl_slist_append(hl, "Accept: application/json");
	if (has_body) {
		fc_buf_addf(&b, "Content-Type: %s", content_type ? content_type : "application/json");
		hl = curl_slist_append(hl, b.buf);
	}
	if (c->auth_header)
		hl = curl_slist_append(hl, c->auth_header);
	/* No "Expect: 100-continue" round trip for large bodies. */
	hl = curl_slist_append(hl, "Expect:");
	fc_buf_release(&b);
	if (!hl)
		fc_die_oom(0);
	return hl;
}

static char *make_url(struct kube_client *c, const char *path)
{
	struct fc_buf b = FC_BUF_INIT;

	fc_buf_addf(&b, "%s%s%s", c->cfg.server, path[0] == '/' ? "" : "/", path);
	return fc_buf_detach(&b, NULL);
}

/* A non-2xx answer -> fc_err with the Status message. */
static int api_error(long http, const struct fc_buf *body, const char *method, const char *path,
		     struct kube_status *st, struct fc_err *err)
{
	json_t *j = json_loadb(body->buf, body->len, 0, NULL);
	const char *reason_s = NULL, *msg = NULL;
	enum kube_reason reason;
	int rc;

	if (j && json_is_object(j)) {
		reason_s = json_string_value(json_object_get(j, "reason"));
		msg = json_string_value(json_object_get(j, "message"));
	}
	reason = reason_s && *reason_s ? reason_from_name(reason_s) : reason_from_http(http);
	if (reason == KUBE_REASON_UNKNOWN && reason_from_http(http) != KUBE_REASON_UNKNOWN)
		reason = reason_from_http(http);
	if (st) {
		st->http_code = http;
		st->reason = reason;
	}
	rc = fc_err_set(err, code_of_reason(reason, http), "%s: %s %s: HTTP %ld: %.300s", kube_reason_name(reason),
			method, path, http, msg ? msg : (body->len ? body->buf : "(no body)"));
	json_decref(j);
	return rc;
}

static bool retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static bool retryable_http(long code)
{
	return code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
}

int kube_request(struct kube_client *c, const char *method, const char *path, const json_t *body,
		 const char *content_type, json_t **out, struct kube_status *st, struct fc_err *err)
{
	return kube_request_timeout(c, method, path, body, content_type, 0, out, st, err);
}

int kube_request_timeout(struct kube_client *c, const char *method, const char *path, const json_t *body,
			 const char *content_type, long timeout_ms, json_t **out, struct kube_status *st,
			 struct fc_err *err)
{
	char *url = make_url(c, path), *payload = NULL;
	struct curl_slist *headers = make_headers(c, content_type, body != NULL);
	struct xfer x;
	CURL *h = handle_get(c);
	int attempt, rc = 0;
	long http = 0;
	CURLcode cc = CURLE_OK;

	memset(&x, 0, sizeof(x));
	fc_buf_init(&x.body, 0);
	fc_buf_set_cap(&x.body, KUBE_MAX_RESPONSE);
	if (out)
		*out = NULL;
	if (st) {
		st->http_code = 0;
		st->reason = KUBE_REASON_NONE;
	}
	if (body) {
		payload = json_dumps(body, JSON_COMPACT);
		if (!payload) {
			rc = fc_err_set(err, FC_EINVAL, "%s %s: the body cannot be encoded as JSON", method, path);
			goto out;
		}
	}
	for (attempt = 0;; attempt++) {
		int64_t delay;
		long connects = 0;

		fc_buf_reset(&x.body);
		x.body.err = 0;
		x.retry_after_s = -1;
		curl_easy_reset(h);
		setup(c, h, method, url, headers, &x);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : c->opts.timeout_ms);
		if (payload) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
		}
		throttle(c);
		cc = curl_easy_perform(h);
		http = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
		pthread_mutex_lock(&c->lock);
		c->stats.requests++;
		c->stats.by_verb[verb_of(method, path)]++;
		c->stats.connections += (uint64_t)connects;
		pthread_mutex_unlock(&c->lock);
		if (cc == CURLE_WRITE_ERROR && fc_buf_error(&x.body)) {
			rc = fc_err_set(err, FC_ELIMIT, "%s %s: the response is larger than %u bytes", method, path,
					KUBE_MAX_RESPONSE);
			goto out;
		}
		if (cc == CURLE_OK && !retryable_http(http))
			break;
		if (cc != CURLE_OK && !retryable_curl(cc))
			break;
		if (attempt >= c->opts.max_retries)
			break;
		delay = (int64_t)c->opts.backoff_base_ms << (attempt < 16 ? attempt : 16);
		if (delay > KUBE_BACKOFF_CAP_MS)
			delay = KUBE_BACKOFF_CAP_MS;
		if (http == 429 && x.retry_after_s >= 0)
			delay = x.retry_after_s * 1000 < KUBE_BACKOFF_CAP_MS ? x.retry_after_s * 1000 : KUBE_BACKOFF_CAP_MS;
		fc_debug("kube: %s %s: %s; retry %d in %lld ms", method, path,
			 cc != CURLE_OK ? curl_easy_strerror(cc) : "server busy", attempt + 1, (long long)delay);
		pthread_mutex_lock(&c->lock);
		c->stats.retries++;
		pthread_mutex_unlock(&c->lock);
		sleep_ns(delay * 1000000);
	}
	if (cc != CURLE_OK) {
		if (st)
			st->reason = KUBE_REASON_CONNECTION;
		rc = fc_err_set(err, FC_EIO, "%s: %s %s: %s (after %d attempts)", kube_reason_name(KUBE_REASON_CONNECTION),
				method, path, curl_easy_strerror(cc), attempt + 1);
		goto out;
	}
	if (http < 200 || http > 299) {
		rc = api_error(http, &x.body, method, path, st, err);
		goto out;
	}
	if (st)
		st->http_code = http;
	if (out && x.body.len) {
		json_error_t je;

		*out = json_loadb(x.body.buf, x.body.len, 0, &je);
		if (!*out) {
			rc = fc_err_set(err, FC_EPARSE, "%s %s: the response is not JSON: %s", method, path, je.text);
			goto out;
		}
	}
out:
	handle_put(c, h);
	curl_slist_free_all(headers);
	free(payload);
	free(url);
	fc_buf_release(&x.body);
	return rc;
}

int kube_get(struct kube_client *c, const char *path, json_t **out, struct kube_status *st, struct fc_err *err)
{
	return kube_request(c, "GET", path, NULL, NULL, out, st, err);
}

int kube_create(struct kube_client *c, const char *path, const json_t *obj, json_t **out, struct kube_status *st,
		struct fc_err *err)
{
	return kube_request(c, "POST", path, obj, NULL, out, st, err);
}

int kube_update(struct kube_client *c, const char *path, const json_t *obj, json_t **out, struct kube_status *st,
		struct fc_err *err)
{
	return kube_request(c, "PUT", path, obj, NULL, out, st, err);
}

int kube_patch(struct kube_client *c, const char *path, const char *patch_type, const json_t *patch, json_t **out,
	       struct kube_status *st, struct fc_err *err)
{
	return kube_request(c, "PATCH", path, patch, patch_type ? patch_type : KUBE_MERGE_PATCH, out, st, err);
}

int kube_delete(struct kube_client *c, const char *path, json_t **out, struct kube_status *st, struct fc_err *err)
{
	return kube_request(c, "DELETE", path, NULL, NULL, out, st, err);
}

int kube_client_stream(struct kube_client *c, const char *path, long timeout_ms, kube_stream_fn on_data, void *ud,
		       const volatile int *stop, struct kube_status *st, struct fc_err *err)
{
	char *url = make_url(c, path);
	struct curl_slist *headers = make_headers(c, NULL, false);
	struct xfer x;
	CURL *h = handle_get(c);
	CURLcode cc;
	long http = 0, connects = 0;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	fc_buf_init(&x.body, 0);
	fc_buf_set_cap(&x.body, KUBE_MAX_RESPONSE);
	x.on_data = on_data;
	x.ud = ud;
	x.stop = stop;
	x.h = h;
	if (st) {
		st->http_code = 0;
		st->reason = KUBE_REASON_NONE;
	}
	setup(c, h, "GET", url, headers, &x);
	if (timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
	throttle(c);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	pthread_mutex_lock(&c->lock);
	c->stats.requests++;
	c->stats.by_verb[KUBE_VERB_WATCH]++;
	c->stats.connections += (uint64_t)connects;
	pthread_mutex_unlock(&c->lock);
	if (x.stopped)
		goto out;
	if (http && (http < 200 || http > 299)) {
		rc = api_error(http, &x.body, "GET", path, st, err);
		goto out;
	}
	if (st)
		st->http_code = http;
	if (cc != CURLE_OK) {
		if (st)
			st->reason = KUBE_REASON_CONNECTION;
		rc = fc_err_set(err, FC_EIO, "%s: GET %s: %s", kube_reason_name(KUBE_REASON_CONNECTION), path,
				curl_easy_strerror(cc));
	}
out:
	/* A stopped transfer leaves its connection in an unknown state: don't keep the handle. */
	if (x.stopped || cc != CURLE_OK)
		curl_easy_cleanup(h);
	else
		handle_put(c, h);
	curl_slist_free_all(headers);
	free(url);
	fc_buf_release(&x.body);
	return rc;
}

void kube_query_escape(struct fc_buf *out, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '~') {
			fc_buf_addch(out, *p);
		} else {
			fc_buf_addch(out, '%');
			fc_buf_addch(out, hex[*p >> 4]);
			fc_buf_addch(out, hex[*p & 15]);
		}
	}
}
