/*
 * config.c: kubeconfig files and in-cluster configuration (see config.h).
 */
#include "kube/config.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pbjson.h"
#include "core/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kube_config_init(struct kube_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

void kube_config_release(struct kube_config *cfg)
{
	free(cfg->server);
	free(cfg->namespace);
	free(cfg->ca_file);
	free(cfg->ca_data);
	if (cfg->token)
		memset(cfg->token, 0, strlen(cfg->token));
	free(cfg->token);
	free(cfg->cert_file);
	free(cfg->key_file);
	free(cfg->cert_data);
	if (cfg->key_data)
		memset(cfg->key_data, 0, cfg->key_data_len);
	free(cfg->key_data);
	kube_config_init(cfg);
}

/* One kubeconfig being read: the file name for messages and the directory relative paths start from. */
struct kc_file {
	const char *path;
	char *dir;
	struct fc_err *err;
};

static int at(struct kc_file *f, const struct fc_ynode *n, int code, const char *fmt, const char *what)
{
	if (n)
		return fc_err_set(f->err, code, "%s:%u:%u: %s%s", f->path, n->line, n->col, fmt, what ? what : "");
	return fc_err_set(f->err, code, "%s: %s%s", f->path, fmt, what ? what : "");
}

/* A scalar member of a mapping, or NULL when absent/null. Not a scalar: error. */
static int get_str(struct kc_file *f, const struct fc_ynode *map, const char *key, const char **out)
{
	const struct fc_ynode *v = map ? fc_ymap_get(map, key) : NULL;

	*out = NULL;
	if (!v || fc_ynode_is_null(v))
		return 0;
	if (v->kind != FC_Y_SCALAR)
		return at(f, v, FC_EINVAL, "expected a string for ", key);
	*out = v->u.scalar.str;
	return 0;
}

/* In a list of {name: X, <member>: {...}}, the <member> mapping of the entry named `name`. */
static int find_named(struct kc_file *f, const struct fc_ynode *root, const char *list, const char *member,
		      const char *name, const struct fc_ynode **out)
{
	const struct fc_ynode *seq = fc_ymap_get(root, list);
	size_t i;

	*out = NULL;
	if (!seq || fc_ynode_is_null(seq))
		return at(f, NULL, FC_EINVAL, "no entry named ", name);
	if (seq->kind != FC_Y_SEQ)
		return at(f, seq, FC_EINVAL, "expected a list for ", list);
	for (i = 0; i < seq->u.seq.n; i++) {
		const struct fc_ynode *e = seq->u.seq.items[i], *nm, *body;

		if (e->kind != FC_Y_MAP)
			return at(f, e, FC_EINVAL, "expected a mapping in ", list);
		nm = fc_ymap_get(e, "name");
		if (!nm || nm->kind != FC_Y_SCALAR || strcmp(nm->u.scalar.str, name))
			continue;
		body = fc_ymap_get(e, member);
		if (!body || body->kind != FC_Y_MAP)
			return at(f, body ? body : e, FC_EINVAL, "expected a mapping for ", member);
		*out = body;
		return 0;
	}
	{
		struct fc_buf b = FC_BUF_INIT;
		int rc;

		fc_buf_addf(&b, "%s has no entry named '%s'", list, name);
		rc = at(f, seq, FC_EINVAL, b.buf, NULL);
		fc_buf_release(&b);
		return rc;
	}
}

static char *resolve_path(struct kc_file *f, const char *p)
{
	struct fc_buf b = FC_BUF_INIT;

	if (p[0] == '/' || !f->dir)
		return fc_xstrdup(p);
	fc_buf_addf(&b, "%s/%s", f->dir, p);
	return fc_buf_detach(&b, NULL);
}

static int decode_data(struct kc_file *f, const struct fc_ynode *map, const char *key, char **out, size_t *outlen)
{
	const struct fc_ynode *v = fc_ymap_get(map, key);
	size_t len, max;
	uint8_t *bytes;

	if (!v || fc_ynode_is_null(v))
		return 0;
	if (v->kind != FC_Y_SCALAR)
		return at(f, v, FC_EINVAL, "expected base64 text for ", key);
	len = v->u.scalar.len;
	max = fc_pbjson_base64_decoded_max(len);
	bytes = fc_xmalloc(max + 1);
	if (!fc_pbjson_base64_decode(v->u.scalar.str, len, bytes, outlen)) {
		free(bytes);
		return at(f, v, FC_EINVAL, "invalid base64 in ", key);
	}
	bytes[*outlen] = 0;
	*out = (char *)bytes;
	return 0;
}

static int read_small_file(const char *path, const char *what, char **out, size_t *outlen, struct fc_err *err)
{
	struct fc_buf b = FC_BUF_INIT;
	int rc = fc_buf_read_file(&b, path, KUBE_MAX_CONFIG_FILE, err);

	if (rc) {
		fc_buf_release(&b);
		return fc_err_prefix(err, "%s", what);
	}
	*out = fc_buf_detach(&b, outlen);
	return 0;
}

/* Drop trailing white space (token files usually end with a newline). */
static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
}

static int load_cluster(struct kc_file *f, struct kube_config *cfg, const struct fc_ynode *cluster)
{
	const char *server, *ca, *insecure;
	int rc;

	if ((rc = get_str(f, cluster, "server", &server)) || (rc = get_str(f, cluster, "certificate-authority", &ca)) ||
	    (rc = get_str(f, cluster, "insecure-skip-tls-verify", &insecure)))
		return rc;
	if (!server || !*server)
		return at(f, cluster, FC_EINVAL, "the cluster has no server", NULL);
	if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7))
		return at(f, fc_ymap_get(cluster, "server"), FC_EINVAL, "server must be an http(s) URL: ", server);
	cfg->server = fc_xstrdup(server);
	while (strlen(cfg->server) > 8 && cfg->server[strlen(cfg->server) - 1] == '/')
		cfg->server[strlen(cfg->server) - 1] = 0;
	if (ca)
		cfg->ca_file = resolve_path(f, ca);
	if ((rc = decode_data(f, cluster, "certificate-authority-data", &cfg->ca_data, &cfg->ca_data_len)))
		return rc;
	cfg->insecure = insecure && !strcmp(insecure, "true");
	return 0;
}

static int load_user(struct kc_file *f, struct kube_config *cfg, const struct fc_ynode *user)
{
	const char *token, *token_file, *cert, *key;
	static const char *const unsupported[] = {"exec", "auth-provider", "username", "password"};
	size_t i;
	int rc;

	for (i = 0; i < FC_ARRAY_LEN(unsupported); i++) {
		const struct fc_ynode *v = fc_ymap_get(user, unsupported[i]);

		if (v && !fc_ynode_is_null(v))
			return at(f, v, FC_EUNSUPPORTED, "unsupported user authentication: ", unsupported[i]);
	}
	if ((rc = get_str(f, user, "token", &token)) || (rc = get_str(f, user, "tokenFile", &token_file)) ||
	    (rc = get_str(f, user, "client-certificate", &cert)) || (rc = get_str(f, user, "client-key", &key)))
		return rc;
	if (token) {
		cfg->token = fc_xstrdup(token);
	} else if (token_file) {
		char *p = resolve_path(f, token_file);

		rc = read_small_file(p, "tokenFile: ", &cfg->token, NULL, f->err);
		free(p);
		if (rc)
			return rc;
		chomp(cfg->token);
	}
	if (cert)
		cfg->cert_file = resolve_path(f, cert);
	if (key)
		cfg->key_file = resolve_path(f, key);
	if ((rc = decode_data(f, user, "client-certificate-data", &cfg->cert_data, &cfg->cert_data_len)) ||
	    (rc = decode_data(f, user, "client-key-data", &cfg->key_data, &cfg->key_data_len)))
		return rc;
	if ((cfg->cert_file || cfg->cert_data) != (cfg->key_file || cfg->key_data))
		return at(f, user, FC_EINVAL, "a client certificate needs a client key and the other way round", NULL);
	return 0;
}

int kube_config_load_file(struct kube_config *cfg, const char *path, const char *context, struct fc_err *err)
{
	struct fc_arena arena;
	struct fc_diags diags;
	struct fc_buf text = FC_BUF_INIT;
	struct fc_source *src = NULL;
	struct fc_ydoc *docs = NULL;
	size_t ndocs = 0;
	struct kc_file f = {path, NULL, err};
	const struct fc_ynode *root, *ctx = NULL, *cluster = NULL, *user = NULL;
	const char *ctx_name = context, *cluster_name, *user_name, *ns;
	static const struct fc_yaml_limits limits = {64, 100000, KUBE_MAX_CONFIG_FILE, 0};
	char *slash;
	int rc;

	fc_arena_init(&arena, 0);
	fc_diags_init(&diags);
	kube_config_release(cfg);
	rc = fc_buf_read_file(&text, path, KUBE_MAX_CONFIG_FILE, err);
	if (rc) {
		fc_err_prefix(err, "kubeconfig: ");
		goto out;
	}
	f.dir = fc_xstrdup(path);
	slash = strrchr(f.dir, '/');
	if (slash)
		*slash = 0;
	else {
		free(f.dir);
		f.dir = NULL;
	}
	{
		size_t len;
		char *t = fc_buf_detach(&text, &len);

		src = fc_source_new_take(path, t, len);
	}
	if (fc_yaml_load(&arena, src, &limits, &docs, &ndocs, &diags)) {
		struct fc_buf msg = FC_BUF_INIT;

		fc_diags_render(&diags, FC_DIAG_TEXT, false, &msg);
		while (msg.len && msg.buf[msg.len - 1] == '\n')
			fc_buf_truncate(&msg, msg.len - 1);
		rc = fc_err_set(err, FC_EPARSE, "%s", msg.buf);
		fc_buf_release(&msg);
		goto out;
	}
	if (ndocs != 1 || !docs[0].root || docs[0].root->kind != FC_Y_MAP) {
		rc = at(&f, ndocs ? docs[0].root : NULL, FC_EINVAL, "a kubeconfig is one YAML mapping", NULL);
		goto out;
	}
	root = docs[0].root;
	if (!ctx_name && (rc = get_str(&f, root, "current-context", &ctx_name)))
		goto out;
	if (!ctx_name || !*ctx_name) {
		rc = at(&f, root, FC_EINVAL, "no current-context and no context given", NULL);
		goto out;
	}
	if ((rc = find_named(&f, root, "contexts", "context", ctx_name, &ctx)) ||
	    (rc = get_str(&f, ctx, "cluster", &cluster_name)) || (rc = get_str(&f, ctx, "user", &user_name)) ||
	    (rc = get_str(&f, ctx, "namespace", &ns)))
		goto out;
	if (!cluster_name) {
		rc = at(&f, ctx, FC_EINVAL, "the context names no cluster", NULL);
		goto out;
	}
	if ((rc = find_named(&f, root, "clusters", "cluster", cluster_name, &cluster)) ||
	    (rc = load_cluster(&f, cfg, cluster)))
		goto out;
	if (user_name && ((rc = find_named(&f, root, "users", "user", user_name, &user)) ||
			  (rc = load_user(&f, cfg, user))))
		goto out;
	cfg->namespace = fc_xstrdup(ns && *ns ? ns : "default");
out:
	if (rc)
		kube_config_release(cfg);
	free(f.dir);
	fc_source_free(src);
	fc_buf_release(&text);
	fc_diags_release(&diags);
	fc_arena_release(&arena);
	return rc;
}

int kube_config_load_incluster(struct kube_config *cfg, const char *sa_dir, struct fc_err *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	struct fc_buf b = FC_BUF_INIT;
	int rc = 0;

	kube_config_release(cfg);
	if (!sa_dir)
		sa_dir = KUBE_SA_DIR;
	if (!host || !*host || !port || !*port) {
		rc = fc_err_set(err, FC_ENOENT, "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
						"must be set (not running in a pod?)");
		goto out;
	}
	/* An IPv6 service address needs brackets in a URL. */
	fc_buf_addf(&b, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	cfg->server = fc_buf_detach(&b, NULL);
	fc_buf_addf(&b, "%s/token", sa_dir);
	rc = read_small_file(b.buf, "in-cluster config: ", &cfg->token, NULL, err);
	if (rc)
		goto out;
	chomp(cfg->token);
	fc_buf_reset(&b);
	fc_buf_addf(&b, "%s/ca.crt", sa_dir);
	cfg->ca_file = fc_xstrdup(b.buf);
	fc_buf_reset(&b);
	fc_buf_addf(&b, "%s/namespace", sa_dir);
	{
		struct fc_err ignored;

		/* Optional: the namespace file may be absent (then "default"). */
		if (read_small_file(b.buf, "", &cfg->namespace, NULL, &ignored) == 0)
			chomp(cfg->namespace);
		else
			cfg->namespace = NULL;
	}
	if (!cfg->namespace || !*cfg->namespace) {
		free(cfg->namespace);
		cfg->namespace = fc_xstrdup("default");
	}
out:
	if (rc)
		kube_config_release(cfg);
	fc_buf_release(&b);
	return rc;
}

int kube_config_load_default(struct kube_config *cfg, const char *path, struct fc_err *err)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	struct fc_buf b = FC_BUF_INIT;
	int rc;

	if (path && *path)
		return kube_config_load_file(cfg, path, NULL, err);
	if (env && *env) {
		const char *colon = strchr(env, ':');

		fc_buf_add(&b, env, colon ? (size_t)(colon - env) : strlen(env));
		rc = kube_config_load_file(cfg, b.buf, NULL, err);
		fc_buf_release(&b);
		return rc;
	}
	if (getenv("KUBERNETES_SERVICE_HOST"))
		return kube_config_load_incluster(cfg, NULL, err);
	if (!home)
		return fc_err_set(err, FC_ENOENT, "no kubeconfig: set KUBECONFIG or HOME");
	fc_buf_addf(&b, "%s/.kube/config", home);
	rc = kube_config_load_file(cfg, b.buf, NULL, err);
	fc_buf_release(&b);
	return rc;
}
