/*
 * cmd_logs.c: `flytec logs EXECUTION NODE [--attempt N] [-f]`: print the log of a node's attempt through the
 * admin's GET /api/v1/logs/... (docs/api.md "Logs"), the same whether the admin runs executions locally or on
 * Kubernetes. With -f it asks again from X-Log-Next-Offset (the admin holds each request until bytes come or 25 s
 * pass) until X-Log-Complete says the attempt ended and nothing remains. Ctrl-C stops it between or during
 * requests; what was printed stays printed.
 */
#include "cli/cli.h"
#include "cli/cmd_admin.h"

#include "compiler/compiler.h"
#include "core/buf.h"
#include "core/err.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static volatile sig_atomic_t logs_interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	logs_interrupted = 1;
}

static const char logs_usage[] =
	"usage: flytec logs EXECUTION NODE [options]\n"
	"Print the log of one node's attempt (stdout, then stderr once it ended, for local executions; the pod's log on\n"
	"Kubernetes). NODE is the node id as `flytec get nodes EXECUTION` shows it (nested nodes included).\n"
	"  -f, --follow            keep printing as the log grows, until the attempt ends (Ctrl-C stops)\n"
	"      --attempt N         this attempt (0-based; default the latest)\n"
	"      --stream NAME       only this log of the attempt (stdout or stderr for local executions)\n"
	"  -a, --admin URL         the admin API (default $FLYTEC_ADMIN or http://127.0.0.1:8089)\n"
	"      --token-file FILE   bearer token (default $FLYTEC_TOKEN_FILE)\n"
	"      --ca-file FILE      trust the CA certificate(s) in FILE for an https:// admin (default $FLYTEC_CA_FILE)\n"
	"      --config FILE       'key = value' lines: admin, token_file, ca_file, project, domain\n"
	"                          (default $FLYTEC_CONFIG, else ~/.config/flytec/config when it exists)\n"
	"  -p, --project NAME      default " CMP_DEFAULT_PROJECT "\n"
	"  -d, --domain NAME       default " CMP_DEFAULT_DOMAIN "\n";

/* One answer: its body is printed as it comes (200), or kept for the error message. */
struct logs_answer {
	long status;
	bool ok_body; /* a 200: print as it arrives */
	bool complete, have_next, write_failed;
	unsigned long long next_offset;
	size_t printed;
	struct fc_buf error_body;
};

static size_t logs_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct logs_answer *a = userdata;
	size_t n = size * nmemb;
	char line[128];
	size_t len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;

	memcpy(line, ptr, len);
	line[len] = '\0';
	if (!strncmp(line, "HTTP/", 5)) { /* a new answer (after a 100 Continue): forget the previous headers */
		a->have_next = a->complete = false;
		a->status = strtol(strchr(line, ' ') ? strchr(line, ' ') + 1 : line, NULL, 10);
		a->ok_body = a->status == 200;
	} else if (!strncasecmp(line, "X-Log-Next-Offset:", 18)) {
		a->next_offset = strtoull(line + 18, NULL, 10);
		a->have_next = true;
	} else if (!strncasecmp(line, "X-Log-Complete:", 15)) {
		a->complete = strstr(line + 15, "true") != NULL;
	}
	return n;
}

static size_t logs_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct logs_answer *a = userdata;
	size_t n = size * nmemb;

	if (!a->ok_body) {
		fc_buf_add(&a->error_body, ptr, n);
		return n;
	}
	if (fwrite(ptr, 1, n, stdout) != n) {
		a->write_failed = true;
		return 0;
	}
	fflush(stdout);
	a->printed += n;
	return n;
}

static int logs_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)clientp, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return logs_interrupted ? 1 : 0;
}

static void logs_escape(struct fc_buf *out, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);

	fc_buf_adds(out, e ? e : "");
	curl_free(e);
}


/* The admin's JSON error, or the body as it came. */
static void print_error(const struct logs_answer *a)
{
	json_t *j = json_loadb(a->error_body.buf, a->error_body.len, 0, NULL);
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;

	fprintf(stderr, "flytec: the admin answered %ld: %s\n", a->status,
		msg ? msg : a->error_body.len ? a->error_body.buf : "(no message)");
	json_decref(j);
}

enum { OPT_ATTEMPT = 256, OPT_STREAM, OPT_TOKEN_FILE, OPT_CA_FILE, OPT_CONFIG };

int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'},
		{"attempt", required_argument, NULL, OPT_ATTEMPT},
		{"stream", required_argument, NULL, OPT_STREAM},
		{"admin", required_argument, NULL, 'a'},
		{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
		{"ca-file", required_argument, NULL, OPT_CA_FILE},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"project", required_argument, NULL, 'p'},
		{"domain", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *attempt = NULL, *stream = NULL;
	struct cli_conn conn;
	struct fc_buf base = FC_BUF_INIT, url = FC_BUF_INIT, auth = FC_BUF_INIT;
	struct curl_slist *headers = NULL;
	struct sigaction sa, old_int, old_term;
	unsigned long long offset = 0;
	char *token = NULL;
	bool follow = false;
	CURL *h = NULL;
	int opt, rc;

	rc = cli_conn_load(&conn, argc, argv);
	optind = 1;
	while (!rc && (opt = getopt_long(argc, argv, "fa:p:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': follow = true; break;
		case OPT_ATTEMPT: {
			char *end;

			errno = 0;
			if (strtoul(optarg, &end, 10) > UINT32_MAX || errno || *end || !*optarg || optarg[0] == '-') {
				fprintf(stderr, "flytec: --attempt takes a number (0 is the first attempt)\n");
				rc = CLI_EXIT_USAGE;
				break;
			}
			attempt = optarg;
			break;
		}
		case OPT_STREAM: stream = optarg; break;
		case 'a': cli_conn_set(&conn.admin, optarg); break;
		case OPT_TOKEN_FILE: cli_conn_set(&conn.token_file, optarg); break;
		case OPT_CA_FILE: cli_conn_set(&conn.ca_file, optarg); break;
		case OPT_CONFIG: break;
		case 'p': cli_conn_set(&conn.project, optarg); break;
		case 'd': cli_conn_set(&conn.domain, optarg); break;
		case 'h': fputs(logs_usage, stdout); rc = -1; break;
		default: fputs(logs_usage, stderr); rc = CLI_EXIT_USAGE; break;
		}
	}
	if (!rc && argc - optind != 2) {
		fputs(logs_usage, stderr);
		rc = CLI_EXIT_USAGE;
	}
	if (!rc && conn.token_file && cli_read_token(conn.token_file, &token))
		rc = CLI_EXIT_USAGE;
	if (rc) {
		cli_conn_release(&conn);
		return rc < 0 ? 0 : rc;
	}
	cli_conn_finish(&conn);
	fc_buf_adds(&base, conn.admin);
	fc_buf_adds(&base, "/api/v1/logs/");
	logs_escape(&base, conn.project);
	fc_buf_addch(&base, '/');
	logs_escape(&base, conn.domain);
	fc_buf_addch(&base, '/');
	logs_escape(&base, argv[optind]);
	fc_buf_addch(&base, '/');
	logs_escape(&base, argv[optind + 1]);
	fc_buf_adds(&base, "?");
	if (attempt)
		fc_buf_addf(&base, "attempt=%s&", attempt);
	if (stream) {
		fc_buf_adds(&base, "stream=");
		logs_escape(&base, stream);
		fc_buf_addch(&base, '&');
	}
	if (follow)
		fc_buf_adds(&base, "follow=1&");
	if (token) {
		fc_buf_addf(&auth, "Authorization: Bearer %s", token);
		headers = curl_slist_append(headers, auth.buf);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	h = curl_easy_init();
	if (!h) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	for (;;) {
		struct logs_answer a;
		char detail[CURL_ERROR_SIZE] = "";
		CURLcode cc;

		memset(&a, 0, sizeof(a));
		fc_buf_init(&a.error_body, 0);
		fc_buf_set_cap(&a.error_body, 64 * 1024);
		fc_buf_reset(&url);
		fc_buf_addf(&url, "%soffset=%llu", base.buf, offset);
		curl_easy_setopt(h, CURLOPT_URL, url.buf);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, logs_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, logs_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, logs_progress);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L); /* a follow answers within 25 s */
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
		if (conn.ca_file)
			curl_easy_setopt(h, CURLOPT_CAINFO, conn.ca_file);
		cc = curl_easy_perform(h);
		if (logs_interrupted) {
			fc_buf_release(&a.error_body);
			rc = 130;
			break;
		}
		if (cc != CURLE_OK) {
			if (a.write_failed)
				fprintf(stderr, "flytec: writing the log: %s\n", strerror(errno));
			else
				fprintf(stderr, "flytec: GET %s: %s%s%s%s\n", url.buf, curl_easy_strerror(cc),
					*detail ? " (" : "", detail, *detail ? ")" : "");
			fc_buf_release(&a.error_body);
			rc = CLI_EXIT_USAGE;
			break;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
		if (a.status != 200) {
			print_error(&a);
			fc_buf_release(&a.error_body);
			rc = a.status == 401 || a.status == 403 ? CLI_EXIT_USAGE : 1;
			break;
		}
		fc_buf_release(&a.error_body);
		offset = a.have_next ? a.next_offset : offset + a.printed;
		/* done: the attempt ended and all is printed; without -f: nothing more right now */
		if (a.complete || (!follow && !a.printed))
			break;
	}
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	fc_buf_release(&base);
	fc_buf_release(&url);
	fc_buf_release(&auth);
	free(token);
	cli_conn_release(&conn);
	return rc;
}
