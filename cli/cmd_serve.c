/* cmd_serve.c: `flytec serve` (REST API + optional repository watcher) and `flytec watch` (watcher alone). */
#include "admin-lite/server.h"
#include "admin-lite/store.h"
#include "admin-lite/watch.h"
#include "cli/cli.h"
#include "cli/cmd_admin.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "scheduler/scheduler.h"

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
	"      --token-file FILE   require 'Authorization: Bearer <contents of FILE>' on every request\n"
	"                          but GET /healthz\n"
	"      --public-reads      with --token-file: reads (GET) need no token, only changes do\n"
	"      --tls-cert FILE     serve HTTPS with this PEM certificate (chain); needs --tls-key\n"
	"      --tls-key FILE      the certificate's PEM private key\n"
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
	"                          DATA_DIR/propeller, or next to --db)\n";

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

struct serve_opts {
	const char *repo, *data_dir, *db, *listen, *port_file, *token_file, *project, *domain, *include, *exclude;
	const char *tls_cert, *tls_key;
	size_t max_body, max_answer;
	unsigned threads, debounce_ms, head_timeout, max_conns;
	int max_conns_per_ip; /* -1: default */
	bool once, no_scheduler, no_executor, public_reads, follow_external_links;
};

static int open_store(const struct serve_opts *o, struct adm_store **store)
{
	struct fc_buf path = FC_BUF_INIT;
	struct fc_err err;
	int rc;

	if (o->db) {
		fc_buf_adds(&path, o->db);
	} else {
		const char *dir = o->data_dir ? o->data_dir : ".flytec";

		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "flytec: %s: %s\n", dir, strerror(errno));
			fc_buf_release(&path);
			return CLI_EXIT_USAGE;
		}
		fc_buf_addf(&path, "%s/admin.db", dir);
	}
	rc = adm_store_open(path.buf, store, &err);
	if (rc)
		fprintf(stderr, "flytec: %s\n", err.msg);
	fc_buf_release(&path);
	return rc ? CLI_EXIT_USAGE : 0;
}

static int read_token(const char *file, char **out)
{
	struct fc_buf b = FC_BUF_INIT;
	struct fc_err err;

	if (fc_buf_read_file(&b, file, 4096, &err)) {
		fprintf(stderr, "flytec: --token-file: %s\n", err.msg);
		fc_buf_release(&b);
		return CLI_EXIT_USAGE;
	}
	while (b.len && (b.buf[b.len - 1] == '\n' || b.buf[b.len - 1] == '\r' || b.buf[b.len - 1] == ' '))
		fc_buf_truncate(&b, b.len - 1);
	if (!b.len || strchr(b.buf, '\n')) {
		fprintf(stderr, "flytec: --token-file %s must hold one non-empty line\n", file);
		fc_buf_release(&b);
		return CLI_EXIT_USAGE;
	}
	*out = fc_buf_detach(&b, NULL);
	return 0;
}

enum { OPT_REPO = 256, OPT_DATA_DIR, OPT_DB, OPT_LISTEN, OPT_PORT_FILE, OPT_TOKEN_FILE, OPT_MAX_BODY, OPT_THREADS,
       OPT_PROJECT, OPT_DOMAIN, OPT_DEBOUNCE, OPT_ONCE, OPT_NO_SCHEDULER, OPT_NO_EXECUTOR,
       OPT_PUBLIC_READS, OPT_TLS_CERT, OPT_TLS_KEY, OPT_MAX_ANSWER, OPT_HEAD_TIMEOUT, OPT_MAX_CONNS,
       OPT_MAX_CONNS_PER_IP, OPT_FOLLOW_LINKS, OPT_INCLUDE, OPT_EXCLUDE };

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
		case OPT_TOKEN_FILE: o->token_file = optarg; break;
		case OPT_PROJECT: o->project = optarg; break;
		case OPT_DOMAIN: o->domain = optarg; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_NO_SCHEDULER: o->no_scheduler = true; break;
		case OPT_NO_EXECUTOR: o->no_executor = true; break;
		case OPT_PUBLIC_READS: o->public_reads = true; break;
		case OPT_TLS_CERT: o->tls_cert = optarg; break;
		case OPT_TLS_KEY: o->tls_key = optarg; break;
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

/* GET /api/v1/schedules: the scheduler's own view of every schedule. */
static int schedules_json(void *ctx, struct fc_buf *out, struct fc_err *err)
{
	struct fc_arena a;
	struct sch_status *list;
	size_t n;
	int rc;

	fc_arena_init(&a, 0);
	rc = sch_status_list(ctx, &a, &list, &n, err);
	if (!rc)
		sch_status_render_json(list, n, out);
	fc_arena_release(&a);
	return rc;
}

/* GET /metrics: the scheduler's counters, missed slots per schedule included. */
static void schedules_metrics(void *ctx, struct fc_buf *out)
{
	sch_metrics_render(ctx, out);
}

/* Launch plans may have changed (a registration, an activation): the scheduler reloads its list. */
static void notify_scheduler(void *ctx)
{
	if (ctx)
		sch_notify(ctx);
}

static struct adm_watch *start_watch(struct adm_store *store, const struct serve_opts *o, const char *repo,
				     struct sch *sch)
{
	struct adm_watch_options wo;
	struct adm_watch *w;
	struct fc_err err;

	memset(&wo, 0, sizeof(wo));
	wo.repo = repo;
	wo.project = o->project;
	wo.domain = o->domain;
	wo.debounce_ms = o->debounce_ms;
	wo.follow_external_links = o->follow_external_links;
	wo.include = o->include;
	wo.exclude = o->exclude;
	wo.on_change = notify_scheduler;
	wo.on_change_ctx = sch;
	if (adm_watch_new(store, &wo, &w, &err)) {
		fprintf(stderr, "flytec: %s\n", err.msg);
		return NULL;
	}
	/* watch first, then scan: a change made during the scan is seen as an event */
	if ((!o->once && adm_watch_start(w, &err)) || adm_watch_scan(w, &err)) {
		fprintf(stderr, "flytec: %s\n", err.msg);
		adm_watch_free(w);
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
	w = start_watch(store, &o, argv[optind], NULL);
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
	struct adm_server_options so;
	struct serve_opts o;
	struct adm_store *store = NULL;
	struct adm_server *srv = NULL;
	struct adm_watch *w = NULL;
	struct sch *sch = NULL;
	struct serve_exec *exec = NULL;
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
	if (o.token_file && read_token(o.token_file, &token))
		return CLI_EXIT_USAGE;
	if (o.public_reads && !token) {
		fprintf(stderr, "flytec serve: --public-reads only makes sense with --token-file\n");
		return CLI_EXIT_USAGE;
	}
	block_signals(&set);
	rc = open_store(&o, &store);
	if (rc)
		goto out;
	if (!o.no_scheduler && sch_new(store, NULL, NULL, &sch, &err)) {
		fprintf(stderr, "flytec serve: scheduler: %s\n", err.msg);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.repo) {
		w = start_watch(store, &o, o.repo, sch);
		if (!w) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	memset(&so, 0, sizeof(so));
	so.listen = o.listen;
	so.token = token;
	so.max_body = o.max_body;
	so.public_reads = o.public_reads;
	so.tls_cert = o.tls_cert;
	so.tls_key = o.tls_key;
	so.max_answer = o.max_answer;
	so.head_timeout = o.head_timeout;
	so.max_conns = o.max_conns;
	so.max_conns_per_ip = o.max_conns_per_ip;
	so.threads = o.threads;
	so.version = FLYTEC_VERSION;
	so.on_change = notify_scheduler;
	so.on_change_ctx = sch;
	if (sch) {
		so.schedules_json = schedules_json;
		so.schedules_ctx = sch;
		so.schedules_metrics = schedules_metrics;
	}
	if (adm_server_start(store, &so, &srv, &err)) {
		fprintf(stderr, "flytec serve: %s\n", err.msg);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	{
		const char *listen = o.listen ? o.listen : ADM_DEFAULT_LISTEN, *colon = strrchr(listen, ':');
		int hostlen = colon && colon > listen ? (int)(colon - listen) : 0;

		bool loopback = !hostlen || !strncmp(listen, "127.", 4) || !strncmp(listen, "localhost:", 10);

		fprintf(stderr, "flytec serve: listening on %s://%.*s:%u%s%s\n", o.tls_cert ? "https" : "http",
			hostlen ? hostlen : 9, hostlen ? listen : "127.0.0.1", adm_server_port(srv),
			o.repo ? ", watching " : "", o.repo ? o.repo : "");
		if (!loopback && !o.tls_cert)
			fprintf(stderr, "flytec serve: warning: listening beyond loopback without TLS: requests%s travel "
				"in clear (see --tls-cert and docs/api.md)\n", token ? " and the token" : "");
		if (!loopback && !token)
			fprintf(stderr, "flytec serve: warning: listening beyond loopback without --token-file: anyone "
				"who reaches the port can change state\n");
	}
	if (!o.no_executor) {
		struct fc_buf dir = FC_BUF_INIT;

		/* the executor's state lives with the store: --data-dir, else next to --db, else .flytec */
		if (o.data_dir) {
			fc_buf_adds(&dir, o.data_dir);
		} else if (o.db && strrchr(o.db, '/')) {
			fc_buf_add(&dir, o.db, (size_t)(strrchr(o.db, '/') - o.db));
		} else {
			fc_buf_adds(&dir, o.db ? "." : ".flytec");
		}
		rc = serve_exec_start(store, dir.len ? dir.buf : "/", &exec, &err);
		fc_buf_release(&dir);
		if (rc) {
			fprintf(stderr, "flytec serve: executor: %s\n", err.msg);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (sch && sch_start(sch, &err)) {
		fprintf(stderr, "flytec serve: scheduler: %s\n", err.msg);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.port_file) {
		char port[16];

		snprintf(port, sizeof(port), "%u\n", adm_server_port(srv));
		if (fc_write_file_atomic(o.port_file, port, strlen(port), &err)) {
			fprintf(stderr, "flytec serve: %s\n", err.msg);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	for (;;) {
		if (w) {
			if (stop_requested(&set, 0))
				break;
			if (adm_watch_poll(w, 1000, &err))
				fprintf(stderr, "flytec serve: watch: %s\n", err.msg);
		} else if (stop_requested(&set, 1000)) {
			break;
		}
	}
	fprintf(stderr, "flytec serve: stopping\n");
out:
	adm_server_stop(srv);
	serve_exec_stop(exec);
	sch_free(sch); /* stops its thread; after the server, so no request notifies a freed scheduler */
	adm_watch_free(w);
	adm_store_free(store);
	free(token);
	return rc;
}
