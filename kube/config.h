/*
 * config.h: where a Kubernetes API server is and how to authenticate to it.
 *
 * Two sources, as client-go has them: a kubeconfig file (the current context, or a named one: the cluster's server,
 * certificate-authority / certificate-authority-data, insecure-skip-tls-verify; the user's token / tokenFile /
 * client-certificate(-data) / client-key(-data); the context's namespace), and the in-cluster configuration of a pod
 * (KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT and the service-account token, CA and namespace files).
 * Relative file paths in a kubeconfig are relative to the kubeconfig's directory. Exec and auth-provider plugins are
 * refused with a clear message (FC_EUNSUPPORTED).
 *
 * A kube_config owns all its strings; kube_config_release() frees them. Nothing here talks to the network.
 */
#ifndef KUBE_CONFIG_H
#define KUBE_CONFIG_H

#include "core/fc.h"

struct fc_err;

struct kube_config {
	char *server;    /* "https://127.0.0.1:6443" (no trailing slash) */
	char *namespace; /* the context's namespace, or "default" */
	/* Server verification: a PEM file, or PEM bytes, or none (system CAs); `insecure` skips verification. */
	char *ca_file;
	char *ca_data;
	size_t ca_data_len;
	bool insecure;
	/* Client authentication: a bearer token and/or a client certificate + key (files or PEM bytes). */
	char *token;
	char *cert_file, *key_file;
	char *cert_data, *key_data;
	size_t cert_data_len, key_data_len;
};

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void kube_config_init(struct kube_config *cfg);
void kube_config_release(struct kube_config *cfg);

/* Load `path`; `context` NULL means the file's current-context. Errors name the file (and line:col when the
 * problem is at a place in it). */
int kube_config_load_file(struct kube_config *cfg, const char *path, const char *context, struct fc_err *err);

/* The pod's in-cluster configuration. `sa_dir` NULL means KUBE_SA_DIR (tests point it at a temp dir). */
int kube_config_load_incluster(struct kube_config *cfg, const char *sa_dir, struct fc_err *err);

/* client-go's order: an explicit `path`, else $KUBECONFIG (first file of a colon list), else in-cluster when
 * KUBERNETES_SERVICE_HOST is set, else ~/.kube/config. */
int kube_config_load_default(struct kube_config *cfg, const char *path, struct fc_err *err);

#endif
