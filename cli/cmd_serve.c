/* cmd_serve.c: `flytec serve` (REST API + optional repository watcher) and `flytec watch` (watcher alone). */
#include "admin-lite/server.h"
#include "admin-lite/store.h"
#include "admin-lite/watch.h"
#include "cli/cli.h"
#include "cli/cmd_admin.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "serve/serve.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char serve_usage[] =
	"usage: flytec serve [options]\n"
	"\n"
	"Run the admin API (Flyte's REST paths, see docs/api.md) over one sqlite file; with --repo, also watch a\n"
	"directory of specs and register every change.\n"
	"\n"
	"      --repo DIR          watch DIR: compile and register its specs now and on every change\n"
	"      --data-dir DIR      where state lives (default ./.flytec)\n"
	"      --db PATH           the sqlite store (default DATA_DIR/admin.db)\n"
	"      --listen HOST:PORT  address to listen on (default " ADM_DEFAULT_LISTEN "; port 0 picks one)\n"
	"      --port-file FILE    write the port listened on to FILE once ready\n"
	"      --grpc-listen HOST:PORT  also serve the admin API over gRPC (flyteidl.service.AdminService and\n"
	"                          friends, for flytectl and FlyteRemote) on this separate port; port 0 picks one\n"
	"      --grpc-port-file FILE  write the gRPC port to FILE once ready\n"
	"      --token-file FILE   require 'Authorization: Bearer <contents of FILE>' on every request\n"
	"                          but GET /healthz\n"
	"      --public-reads      with --token-file: reads (GET) need no token, only changes do\n"
	"      --tls-cert FILE     serve HTTPS with this PEM certificate (chain); needs --tls-key\n"
	"      --tls-key FILE      the certificate's PEM private key\n"
	"      --console-dir DIR   serve the web console (/console/) from DIR instead of the copy in the binary\n"
	"                          (for working on console/ without rebuilding)\n"
	"      --cors-origin ORIGIN  let a browser page from ORIGIN (exact: scheme://host[:port]) call the API with\n"
	"                          credentials, e.g. Flyte's console on its own server; repeatable (default: none)\n"
	"      --max-body BYTES    largest request body (default 8 MiB)\n"
	"      --max-answer BYTES  largest answer (default 32 MiB); larger ones are refused\n"
	"      --head-timeout SEC  time a connection has to send a whole request head (default 5)\n"
	"      --max-conns N       connections at once (default 1024)\n"
	"      --max-conns-per-ip N  connections from one client address (default 128; 0: no limit)\n"
	"      --threads N         HTTP worker threads (default 2)\n"
	"      --project NAME      default project for specs that name none\n"
	"      --domain NAME       default domain for specs that name none\n"
	"      --debounce-ms N     quiet time before a batch of file changes is compiled (default 30)\n"
	"      --follow-external-links  read specs through symbolic links that leave the repository\n"
	"                          (by default such a file is reported as error[ExternalLink] and not read)\n"
	"      --include REGEX     only spec files whose path in the repository matches (PCRE2)\n"
	"      --exclude REGEX     never spec files whose path in the repository matches (PCRE2)\n"
	"      --no-scheduler      do not fire scheduled launch plans (the scheduler runs by default)\n"
	"      --no-executor       do not run executions (the executor runs by default, its state under\n"
	"                          DATA_DIR/propeller, or next to --db)\n"
	"      --cluster KUBECONFIG  hand executions to Kubernetes as FlyteWorkflow resources run by\n"
	"                          `flytec propeller`, instead of the local executor (docs/kubernetes.md)\n"
	"      --namespace-template T  the namespace of an execution (default '{{project}}-{{domain}}')\n"
	"      --cluster-service-account NAME  the resources' service account (default: none)\n"
	"      --cluster-admin-url URL  where the operator sends events (default: this server's address)\n"
	"      --cluster-data-dir DIR  the operator's data volume as seen here: a resource over the 1 MiB inline\n"
	"                          limit has its closure offloaded there (default: such executions fail)\n";

static const char watch_usage[] =
	"usage: flytec watch DIR [options]\n"
	"\n"
	"Compile and register the specs of DIR into the store, then follow changes (no API).\n"
	"\n"
	"      --data-dir DIR      where state lives (default ./.flytec)\n"
	"      --db PATH           the sqlite store (default DATA_DIR/admin.db)\n"
	"      --project NAME      default project for specs that name none\n"
	"      --domain NAME       default domain for specs that name none\n"
	"      --debounce-ms N     quiet time before a batch of changes is compiled (default 30)\n"
	"      --follow-external-links  read specs through symbolic links that leave the repository\n"
	"      --include REGEX     only spec files whose path in DIR matches (PCRE2)\n"
	"      --exclude REGEX     never spec files whose path in DIR matches (PCRE2)\n"
	"      --once              scan once, print the compile status, and exit (1 when a file has errors)\n";

#define STOP_POLL_MS 100

struct serve_opts {
	const char *grpc_listen, *grpc_port_file;
	const char *repo, *data_dir, *db, *listen, *port_file, *token_file, *project, *domain, *include, *exclude;
	const char *tls_cert, *tls_key, *console_dir;
	size_t max_body, max_answer;
	unsigned threads, debounce_ms, head_timeout, max_conns;
	int max_conns_per_ip; /* -1: default */
	bool once, no_scheduler, no_executor, public_reads, follow_external_links;
	const char *cluster, *namespace_template, *cluster_service_account, *cluster_admin_url, *cluster_data_dir;
	const char *cors_origins[ADM_MAX_CORS_ORIGINS];
	size_t n_cors_origins;
};

static int open_store(const struct serve_opts *o, struct adm_store **store)
{
	struct fc_err err;

	if (srv_store_open(o->data_dir, o->db, store, &err)) {
		fprintf(stderr, "flytec: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	return 0;
}


enum { OPT_REPO = 256, OPT_DATA_DIR, OPT_DB, OPT_LISTEN, OPT_PORT_FILE, OPT_TOKEN_FILE, OPT_MAX_BODY, OPT_THREADS,
       OPT_PROJECT, OPT_DOMAIN, OPT_DEBOUNCE, OPT_ONCE, OPT_NO_SCHEDULER, OPT_NO_EXECUTOR,
       OPT_PUBLIC_READS, OPT_TLS_CERT, OPT_TLS_KEY, OPT_MAX_ANSWER, OPT_HEAD_TIMEOUT, OPT_MAX_CONNS,
       OPT_MAX_CONNS_PER_IP, OPT_FOLLOW_LINKS, OPT_INCLUDE, OPT_EXCLUDE, OPT_CORS_ORIGIN, OPT_GRPC_LISTEN,
       OPT_GRPC_PORT_FILE, OPT_CONSOLE_DIR, OPT_CLUSTER, OPT_NAMESPACE_TEMPLATE, OPT_CLUSTER_SA,
       OPT_CLUSTER_ADMIN_URL, OPT_CLUSTER_DATA_DIR };

static const struct option long_opts[] = {
	{"repo", required_argument, NULL, OPT_REPO},
	{"data-dir", required_argument, NULL, OPT_DATA_DIR},
	{"db", required_argument, NULL, OPT_DB},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"port-file", required_argument, NULL, OPT_PORT_FILE},
	{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	{"max-body", required_argument, NULL, OPT_MAX_BODY},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"project", required_argument, NULL, OPT_PROJECT},
	{"domain", required_argument, NULL, OPT_DOMAIN},
	{"debounce-ms", required_argument, NULL, OPT_DEBOUNCE},
	{"once", no_argument, NULL, OPT_ONCE},
	{"no-scheduler", no_argument, NULL, OPT_NO_SCHEDULER},
	{"no-executor", no_argument, NULL, OPT_NO_EXECUTOR},
	{"cluster", required_argument, NULL, OPT_CLUSTER},
	{"namespace-template", required_argument, NULL, OPT_NAMESPACE_TEMPLATE},
	{"cluster-service-account", required_argument, NULL, OPT_CLUSTER_SA},
	{"cluster-admin-url", required_argument, NULL, OPT_CLUSTER_ADMIN_URL},
	{"cluster-data-dir", required_argument, NULL, OPT_CLUSTER_DATA_DIR},
	{"public-reads", no_argument, NULL, OPT_PUBLIC_READS},
	{"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	{"tls-key", required_argument, NULL, OPT_TLS_KEY},
	{"max-answer", required_argument, NULL, OPT_MAX_ANSWER},
	{"head-timeout", required_argument, NULL, OPT_HEAD_TIMEOUT},
	{"max-conns", required_argument, NULL, OPT_MAX_CONNS},
	{"max-conns-per-ip", required_argument, NULL, OPT_MAX_CONNS_PER_IP},
	{"follow-external-links", no_argument, NULL, OPT_FOLLOW_LINKS},
	{"include", required_argument, NULL, OPT_INCLUDE},
	{"exclude", required_argument, NULL, OPT_EXCLUDE},
	{"cors-origin", required_argument, NULL, OPT_CORS_ORIGIN},
	{"grpc-listen", required_argument, NULL, OPT_GRPC_LISTEN},
	{"grpc-port-file", required_argument, NULL, OPT_GRPC_PORT_FILE},
	{"console-dir", required_argument, NULL, OPT_CONSOLE_DIR},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && *s && *s != '-' && !*end && *out <= max;
}

/* An origin as browsers send it: http(s)://host[:port], nothing after (no path, no trailing slash, no wildcard). */
static bool cors_origin_ok(const char *s)
{
	const char *host;

	if (!strncmp(s, "http://", 7))
		host = s + 7;
	else if (!strncmp(s, "https://", 8))
		host = s + 8;
	else
		return false;
	return *host && !strpbrk(host, "/*?# \t\r\n");
}

static int parse_opts(int argc, char **argv, const char *usage, struct serve_opts *o)
{
	unsigned long long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->max_conns_per_ip = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_REPO: o->repo = optarg; break;
		case OPT_DATA_DIR: o->data_dir = optarg; break;
		case OPT_DB: o->db = optarg; break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_PORT_FILE: o->port_file = optarg; break;
		case OPT_GRPC_LISTEN: o->grpc_listen = optarg; break;
		case OPT_GRPC_PORT_FILE: o->grpc_port_file = optarg; break;
		case OPT_TOKEN_FILE: o->token_file = optarg; break;
		case OPT_PROJECT: o->project = optarg; break;
		case OPT_DOMAIN: o->domain = optarg; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_NO_SCHEDULER: o->no_scheduler = true; break;
		case OPT_NO_EXECUTOR: o->no_executor = true; break;
		case OPT_CLUSTER: o->cluster = optarg; break;
		case OPT_NAMESPACE_TEMPLATE: o->namespace_template = optarg; break;
		case OPT_CLUSTER_SA: o->cluster_service_account = optarg; break;
		case OPT_CLUSTER_ADMIN_URL: o->cluster_admin_url = optarg; break;
		case OPT_CLUSTER_DATA_DIR: o->cluster_data_dir = optarg; break;
		case OPT_PUBLIC_READS: o->public_reads = true; break;
		case OPT_TLS_CERT: o->tls_cert = optarg; break;
		case OPT_TLS_KEY: o->tls_key = optarg; break;
		case OPT_CONSOLE_DIR: o->console_dir = optarg; break;
		case OPT_CORS_ORIGIN:
			if (!cors_origin_ok(optarg)) {
				fprintf(stderr, "flytec serve: --cors-origin '%s' is not an origin (scheme://host[:port], no "
						"path, no '*')\n", optarg);
				return CLI_EXIT_USAGE;
			}
			if (o->n_cors_origins == ADM_MAX_CORS_ORIGINS) {
				fprintf(stderr, "flytec serve: at most %d --cors-origin\n", ADM_MAX_CORS_ORIGINS);
				return CLI_EXIT_USAGE;
			}
			o->cors_origins[o->n_cors_origins++] = optarg;
			break;
		case OPT_MAX_ANSWER:
			if (!parse_uint(optarg, 1ULL << 32, &v) || v < 1024)
				goto bad_number;
			o->max_answer = (size_t)v;
			break;
		case OPT_HEAD_TIMEOUT:
			if (!parse_uint(optarg, 3600, &v) || !v)
				goto bad_number;
			o->head_timeout = (unsigned)v;
			break;
		case OPT_MAX_CONNS:
			if (!parse_uint(optarg, 65536, &v) || v < 8)
				goto bad_number;
			o->max_conns = (unsigned)v;
			break;
		case OPT_MAX_CONNS_PER_IP:
			if (!parse_uint(optarg, 65536, &v))
				goto bad_number;
			o->max_conns_per_ip = (int)v;
			break;
		case OPT_FOLLOW_LINKS: o->follow_external_links = true; break;
		case OPT_INCLUDE: o->include = optarg; break;
		case OPT_EXCLUDE: o->exclude = optarg; break;
		case OPT_MAX_BODY:
			if (!parse_uint(optarg, 1ULL << 32, &v) || !v)
				goto bad_number;
			o->max_body = (size_t)v;
			break;
		case OPT_THREADS:
			if (!parse_uint(optarg, 64, &v) || !v)
				goto bad_number;
			o->threads = (unsigned)v;
			break;
		case OPT_DEBOUNCE:
			if (!parse_uint(optarg, 60000, &v))
				goto bad_number;
			o->debounce_ms = (unsigned)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	return 0;
bad_number:
	fprintf(stderr, "flytec: %s: '%s' is not a valid number\n", argv[optind - 1], optarg);
	return CLI_EXIT_USAGE;
}

/* SIGINT/SIGTERM are blocked in every thread and taken synchronously here. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static bool stop_requested(const sigset_t *set, long wait_ms)
{
	struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000};

	return sigtimedwait(set, NULL, &ts) > 0;
}

static struct adm_watch *start_watch(struct adm_store *store, const struct serve_opts *o, const char *repo)
{
	struct srv_options so;
	struct adm_watch *w;
	struct fc_err err;

	memset(&so, 0, sizeof(so));
	so.project = o->project;
	so.domain = o->domain;
	so.debounce_ms = o->debounce_ms;
	so.follow_external_links = o->follow_external_links;
	so.include = o->include;
	so.exclude = o->exclude;
	if (srv_watch_open(store, &so, repo, o->once, NULL, NULL, &w, &err)) {
		fprintf(stderr, "flytec: %s\n", err.msg);
		return NULL;
	}
	return w;
}

static int print_status(struct adm_store *store)
{
	struct fc_arena a;
	struct adm_file_status *list;
	struct fc_err err;
	size_t n, i, bad = 0, files = 0;

	fc_arena_init(&a, 0);
	if (adm_file_status_list(store, false, &a, &list, &n, &err)) {
		fprintf(stderr, "flytec: %s\n", err.msg);
		fc_arena_release(&a);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		if (list[i].deleted)
			continue;
		files++;
		if (!list[i].ok) {
			bad++;
			fputs(list[i].diagnostics_text ? list[i].diagnostics_text : "", stdout);
		}
	}
	printf("%zu file(s), %zu with errors\n", files, bad);
	fc_arena_release(&a);
	return bad ? CLI_EXIT_SPEC : CLI_EXIT_OK;
}

int cmd_watch(int argc, char **argv)
{
	struct serve_opts o;
	struct adm_store *store = NULL;
	struct adm_watch *w = NULL;
	sigset_t set;
	int rc;

	rc = parse_opts(argc, argv, watch_usage, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind != argc - 1) {
		fputs(watch_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	block_signals(&set);
	rc = open_store(&o, &store);
	if (rc)
		return rc;
	w = start_watch(store, &o, argv[optind]);
	if (!w) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.once) {
		rc = print_status(store);
		goto out;
	}
	fprintf(stderr, "flytec watch: watching %s\n", argv[optind]);
	while (!stop_requested(&set, 0)) {
		struct fc_err err;

		if (adm_watch_poll(w, 1000, &err)) {
			fprintf(stderr, "flytec watch: %s\n", err.msg);
			rc = CLI_EXIT_USAGE;
			break;
		}
	}
out:
	adm_watch_free(w);
	adm_store_free(store);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct srv_options so;
	struct serve_opts o;
	struct srv *srv = NULL;
	char *token = NULL;
	sigset_t set;
	struct fc_err err;
	int rc;

	rc = parse_opts(argc, argv, serve_usage, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind != argc || o.once) {
		fputs(serve_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (o.token_file && cli_read_token(o.token_file, &token))
		return CLI_EXIT_USAGE;
	if (o.public_reads && !token) {
		fprintf(stderr, "flytec serve: --public-reads only makes sense with --token-file\n");
		return CLI_EXIT_USAGE;
	}
	block_signals(&set);
	memset(&so, 0, sizeof(so));
	so.repo = o.repo;
	so.data_dir = o.data_dir;
	so.db = o.db;
	so.project = o.project;
	so.domain = o.domain;
	so.debounce_ms = o.debounce_ms;
	so.follow_external_links = o.follow_external_links;
	so.include = o.include;
	so.exclude = o.exclude;
	so.no_scheduler = o.no_scheduler;
	so.no_executor = o.no_executor;
	so.cluster = o.cluster;
	so.namespace_template = o.namespace_template;
	so.cluster_service_account = o.cluster_service_account;
	so.cluster_admin_url = o.cluster_admin_url;
	so.cluster_data_dir = o.cluster_data_dir;
	so.grpc_listen = o.grpc_listen;
	so.server.listen = o.listen;
	so.server.token = token;
	so.server.max_body = o.max_body;
	so.server.public_reads = o.public_reads;
	so.server.cors_origins = o.cors_origins;
	so.server.n_cors_origins = o.n_cors_origins;
	so.server.tls_cert = o.tls_cert;
	so.server.tls_key = o.tls_key;
	so.server.console_dir = o.console_dir;
	so.server.max_answer = o.max_answer;
	so.server.head_timeout = o.head_timeout;
	so.server.max_conns = o.max_conns;
	so.server.max_conns_per_ip = o.max_conns_per_ip;
	so.server.threads = o.threads;
	so.server.version = FLYTEC_VERSION;
	if (srv_start(&so, &srv, &err)) {
		fprintf(stderr, "flytec serve: %s\n", err.msg);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	{
		const char *listen = o.listen ? o.listen : ADM_DEFAULT_LISTEN, *colon = strrchr(listen, ':');
		int hostlen = colon && colon > listen ? (int)(colon - listen) : 0;

		bool loopback = !hostlen || !strncmp(listen, "127.", 4) || !strncmp(listen, "localhost:", 10);

		fprintf(stderr, "flytec serve: listening on %s://%.*s:%u%s%s\n", o.tls_cert ? "https" : "http",
			hostlen ? hostlen : 9, hostlen ? listen : "127.0.0.1", srv_port(srv),
			o.repo ? ", watching " : "", o.repo ? o.repo : "");
		fprintf(stderr, "flytec serve: console at %s://%.*s:%u/console/\n", o.tls_cert ? "https" : "http",
			hostlen ? hostlen : 9, hostlen ? listen : "127.0.0.1", srv_port(srv));
		if (!loopback && !o.tls_cert)
			fprintf(stderr, "flytec serve: warning: listening beyond loopback without TLS: requests%s travel "
				"in clear (see --tls-cert and docs/api.md)\n", token ? " and the token" : "");
		if (!loopback && !token)
			fprintf(stderr, "flytec serve: warning: listening beyond loopback without --token-file: anyone "
				"who reaches the port can change state\n");
	}
	if (o.grpc_listen)
		fprintf(stderr, "flytec serve: gRPC (plaintext HTTP/2) on port %u\n", srv_grpc_port(srv));
	if (o.port_file) {
		char port[16];

		snprintf(port, sizeof(port), "%u\n", srv_port(srv));
		if (fc_write_file_atomic(o.port_file, port, strlen(port), false, &err)) {
			fprintf(stderr, "flytec serve: %s\n", err.msg);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (o.grpc_port_file) {
		char port[16];

		snprintf(port, sizeof(port), "%u\n", srv_grpc_port(srv));
		if (!o.grpc_listen || fc_write_file_atomic(o.grpc_port_file, port, strlen(port), false, &err)) {
			fprintf(stderr, "flytec serve: --grpc-port-file: %s\n", o.grpc_listen ? err.msg : "needs --grpc-listen");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	/* short waits, so that SIGTERM is taken within STOP_POLL_MS */
	for (;;) {
		if (srv_watching(srv)) {
			if (stop_requested(&set, 0))
				break;
			if (srv_poll(srv, STOP_POLL_MS, &err))
				fprintf(stderr, "flytec serve: watch: %s\n", err.msg);
		} else if (stop_requested(&set, STOP_POLL_MS)) {
			break;
		}
	}
	fprintf(stderr, "flytec serve: stopping\n");
out:
	srv_free(srv);
	fc_log_flush();
	free(token);
	return rc;
}
