/* cmd_client.c: flytec's API clients: register, get, launch, activate, terminate, status (libcurl + jansson). */
#include "admin-lite/query.h"
#include "cli/cli.h"
#include "cli/cmd_admin.h"
#include "compiler/compiler.h"
#include "compiler/lit.h"
#include "compiler/dagdiff.h"
#include "core/limits.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/pbjson.h"
#include "core/yamljson.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CLIENT_MAX_ANSWER (256u * 1024 * 1024)

enum out_format { OUT_TABLE, OUT_JSON, OUT_YAML };

struct client {
	struct cli_conn conn; /* admin URL (no trailing '/'), token and CA files, project, domain */
	char *token;          /* bearer token or NULL */
	const char *project, *domain; /* conn's */
	enum out_format format;
	/* per-command */
	const char *version, *filters, *name, *cause, *sort_by;
	unsigned limit;
	bool all, deactivate, errors_only, catch_up;
	const char *note; /* schedule pause/unpause */
	char **inputs;
	size_t ninputs;
};

static const char client_common[] =
	"  -a, --admin URL         the admin API (default $FLYTEC_ADMIN or http://" "127.0.0.1:8089)\n"
	"      --token-file FILE   bearer token (default $FLYTEC_TOKEN_FILE)\n"
	"      --ca-file FILE      trust the CA certificate(s) in FILE for an https:// admin\n"
	"                          (default $FLYTEC_CA_FILE, else the system's CAs)\n"
	"      --config FILE       'key = value' lines: admin, token_file, ca_file, project, domain\n"
	"                          (default $FLYTEC_CONFIG, else ~/.config/flytec/config when it exists)\n"
	"  -p, --project NAME      default " CMP_DEFAULT_PROJECT "\n"
	"  -d, --domain NAME       default " CMP_DEFAULT_DOMAIN "\n"
	"  -o, --output FORMAT     table (default), json or yaml\n";

/* ------------------------------------------------------------------------------------------------------------
 * HTTP.
 */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fc_buf *b = userdata;

	fc_buf_add(b, ptr, size * nmemb);
	return fc_buf_error(b) ? 0 : size * nmemb;
}

/* One request; the answer body goes to `out`, the status to *status. Returns 0, or CLI_EXIT_USAGE when the admin
 * cannot be reached (message printed). */
static int http(struct client *c, const char *method, const char *path, const char *body, struct fc_buf *out,
		long *status)
{
	struct curl_slist *headers = NULL;
	struct fc_buf url = FC_BUF_INIT, auth = FC_BUF_INIT;
	CURL *h = curl_easy_init();
	char detail[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	if (!h)
		return CLI_EXIT_USAGE;
	fc_buf_reset(out);
	fc_buf_set_cap(out, CLIENT_MAX_ANSWER);
	fc_buf_addf(&url, "%s%s", c->conn.admin, path);
	curl_easy_setopt(h, CURLOPT_URL, url.buf);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
	if (c->conn.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->conn.ca_file);
	if (body) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	if (c->token) {
		fc_buf_addf(&auth, "Authorization: Bearer %s", c->token);
		headers = curl_slist_append(headers, auth.buf);
	}
	if (headers)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		/* an older admin may send invalid UTF-8 (a binary file's line in a diagnostic): show it as U+FFFD
		 * rather than fail to parse the whole answer */
		fc_buf_fix_utf8(out);
	} else {
		fprintf(stderr, "flytec: %s %s: %s%s%s%s\n", method, url.buf, curl_easy_strerror(cc), *detail ? " (" : "",
			detail, *detail ? ")" : "");
		if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
			fprintf(stderr, "flytec: the admin's TLS certificate is not trusted%s: give the CA that signed it "
				"with --ca-file FILE, FLYTEC_CA_FILE or 'ca_file' in the config\n",
				c->conn.ca_file ? " by the CA file given" : "");
		else if (cc == CURLE_SSL_CONNECT_ERROR && !strncmp(c->conn.admin, "https://", 8))
			fprintf(stderr, "flytec: the TLS handshake failed: is the admin serving https (flytec serve "
				"--tls-cert)?\n");
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	fc_buf_release(&url);
	fc_buf_release(&auth);
	return cc == CURLE_OK ? 0 : CLI_EXIT_USAGE;
}

/* Print text from the admin (a diagnostic may quote a binary file's line) without handing control characters to the
 * terminal: each one but newline and tab shows as '?'. */
static void print_text(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' ? '?' : *s == 0x7f ? '?' : *s, f);
}

/* Print an error answer ({"code", "message", "diff"?, "diagnostics"?}) for people. */
static void print_api_error(long status, const struct fc_buf *body)
{
	json_t *j = json_loadb(body->buf, body->len, 0, NULL);
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	const char *diff = j ? json_string_value(json_object_get(j, "diff")) : NULL;
	const char *diags = j ? json_string_value(json_object_get(j, "diagnostics")) : NULL;

	fprintf(stderr, "flytec: the admin answered %ld: %s\n", status, msg ? msg : body->buf);
	if (status == 401)
		fprintf(stderr, "flytec: give the admin's token with --token-file FILE or FLYTEC_TOKEN_FILE\n");
	if (diags)
		print_text(stderr, diags);
	if (diff)
		fputs(diff, stderr);
	json_decref(j);
}

/* A call whose answer must be 200: anything else is printed (the API's message) and is CLI_EXIT_SPEC. */
static int call(struct client *c, const char *method, const char *path, const char *body, struct fc_buf *answer)
{
	long status = 0;
	int rc = http(c, method, path, body, answer, &status);

	if (!rc && status != 200) {
		print_api_error(status, answer);
		rc = CLI_EXIT_SPEC;
	}
	return rc;
}

/* GET and parse; prints errors (but a 404 when `quiet_404`). Returns 0, CLI_EXIT_SPEC (an API error) or
 * CLI_EXIT_USAGE. */
static int get_json_ex(struct client *c, const char *path, bool quiet_404, json_t **out)
{
	struct fc_buf body = FC_BUF_INIT;
	long status = 0;
	int rc = http(c, "GET", path, NULL, &body, &status);

	*out = NULL;
	if (!rc && status != 200) {
		if (!quiet_404 || status != 404)
			print_api_error(status, &body);
		rc = CLI_EXIT_SPEC;
	}
	if (!rc) {
		*out = json_loadb(body.buf, body.len, 0, NULL);
		if (!*out) {
			fprintf(stderr, "flytec: the admin's answer is not JSON\n");
			rc = CLI_EXIT_USAGE;
		}
	}
	fc_buf_release(&body);
	return rc;
}

static int get_json(struct client *c, const char *path, json_t **out)
{
	return get_json_ex(c, path, false, out);
}

/* ------------------------------------------------------------------------------------------------------------
 * Output.
 */
static void print_doc(const struct client *c, const json_t *j)
{
	struct fc_buf b = FC_BUF_INIT;

	if (c->format == OUT_YAML)
		fc_json_to_yaml(j, &b, NULL);
	else
		fc_pbjson_dump(j, FC_PBJSON_PRETTY, &b, NULL);
	fputs(b.buf, stdout);
	if (!b.len || b.buf[b.len - 1] != '\n')
		fputc('\n', stdout);
	fc_buf_release(&b);
}

struct table {
	size_t ncols;
	const char **head;
	char **cells; /* rows * ncols, owned */
	size_t nrows, alloc;
};

static void table_row(struct table *t, ...)
{
	va_list ap;
	size_t i;

	FC_ALLOC_GROW(t->cells, (t->nrows + 1) * t->ncols, t->alloc);
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *v = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + i] = fc_xstrdup(v ? v : "");
	}
	va_end(ap);
	t->nrows++;
}

static void table_print(struct table *t)
{
	size_t *width = fc_xcalloc(t->ncols, sizeof(*width));
	size_t r, i;

	for (i = 0; i < t->ncols; i++)
		width[i] = strlen(t->head[i]);
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++)
			if (strlen(t->cells[r * t->ncols + i]) > width[i])
				width[i] = strlen(t->cells[r * t->ncols + i]);
	for (i = 0; i < t->ncols; i++)
		printf("%-*s%s", i + 1 < t->ncols ? (int)width[i] : 0, t->head[i], i + 1 < t->ncols ? "  " : "\n");
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++)
			printf("%-*s%s", i + 1 < t->ncols ? (int)width[i] : 0, t->cells[r * t->ncols + i],
			       i + 1 < t->ncols ? "  " : "\n");
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	free(width);
}

/* d["a"]["b"]... as a string ("" when absent). */
static const char *jstr(const json_t *j, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, j);
	while (j && (key = va_arg(ap, const char *)))
		j = json_object_get(j, key);
	va_end(ap);
	return j && json_is_string(j) ? json_string_value(j) : "";
}

/* ------------------------------------------------------------------------------------------------------------
 * Options and configuration.
 */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int cli_read_token(const char *file, char **out)
{
	struct fc_buf b = FC_BUF_INIT;
	struct fc_err err;
	char *t;

	if (fc_buf_read_file(&b, file, 4096, &err)) {
		fprintf(stderr, "flytec: token file: %s\n", err.msg);
		fc_buf_release(&b);
		return CLI_EXIT_USAGE;
	}
	t = trim(b.buf);
	if (!*t || strchr(t, '\n')) {
		fprintf(stderr, "flytec: token file %s must hold one non-empty line\n", file);
		fc_buf_release(&b);
		return CLI_EXIT_USAGE;
	}
	free(*out);
	*out = fc_xstrdup(t);
	fc_buf_release(&b);
	return 0;
}

void cli_conn_set(char **field, const char *value)
{
	free(*field);
	*field = value ? fc_xstrdup(value) : NULL;
}

static int read_config(struct cli_conn *c, const char *file, bool must_exist)
{
	char line[1024];
	FILE *f = fopen(file, "r");
	int n = 0;

	if (!f) {
		if (!must_exist)
			return 0;
		fprintf(stderr, "flytec: --config %s: %s\n", file, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq, *key, *val, *l = trim(line);

		n++;
		if (!*l || *l == '#' || *l == '[')
			continue;
		eq = strchr(l, '=');
		if (!eq) {
			fprintf(stderr, "flytec: %s:%d: expected 'key = value'\n", file, n);
			fclose(f);
			return CLI_EXIT_USAGE;
		}
		*eq = '\0';
		key = trim(l);
		val = trim(eq + 1);
		if (!strcmp(key, "admin")) {
			cli_conn_set(&c->admin, val);
		} else if (!strcmp(key, "token_file")) {
			cli_conn_set(&c->token_file, val);
		} else if (!strcmp(key, "ca_file")) {
			cli_conn_set(&c->ca_file, val);
		} else if (!strcmp(key, "project")) {
			cli_conn_set(&c->project, val);
			c->project_given = true;
		} else if (!strcmp(key, "domain")) {
			cli_conn_set(&c->domain, val);
		} else {
			fprintf(stderr, "flytec: %s:%d: unknown key '%s' (admin, token_file, ca_file, project, domain)\n", file, n,
				key);
			fclose(f);
			return CLI_EXIT_USAGE;
		}
	}
	fclose(f);
	return 0;
}

int cli_conn_load(struct cli_conn *c, int argc, char **argv)
{
	const char *env, *config = NULL;
	bool config_given = false;
	int i, rc = 0;

	memset(c, 0, sizeof(*c));
	c->admin = fc_xstrdup((env = getenv("FLYTEC_ADMIN")) && *env ? env : "http://127.0.0.1:8089");
	c->project = fc_xstrdup(CMP_DEFAULT_PROJECT);
	c->domain = fc_xstrdup(CMP_DEFAULT_DOMAIN);
	if ((env = getenv("FLYTEC_TOKEN_FILE")) && *env)
		c->token_file = fc_xstrdup(env);
	if ((env = getenv("FLYTEC_CA_FILE")) && *env)
		c->ca_file = fc_xstrdup(env);
	/* the config file first, so that the options parsed after this override it */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[i + 1], config_given = true;
		else if (!strncmp(argv[i], "--config=", 9))
			config = argv[i] + 9, config_given = true;
	}
	if (!config && (env = getenv("FLYTEC_CONFIG")) && *env)
		config = env, config_given = true;
	if (config) {
		rc = read_config(c, config, config_given);
	} else if ((env = getenv("HOME"))) {
		struct fc_buf p = FC_BUF_INIT;

		fc_buf_addf(&p, "%s/.config/flytec/config", env);
		rc = read_config(c, p.buf, false);
		fc_buf_release(&p);
	}
	return rc;
}

void cli_conn_finish(struct cli_conn *c)
{
	size_t n = strlen(c->admin);

	while (n && c->admin[n - 1] == '/')
		c->admin[--n] = '\0';
}

void cli_conn_release(struct cli_conn *c)
{
	free(c->admin);
	free(c->token_file);
	free(c->ca_file);
	free(c->project);
	free(c->domain);
	memset(c, 0, sizeof(*c));
}

enum { OPT_TOKEN_FILE = 256, OPT_CA_FILE, OPT_CONFIG, OPT_VERSION, OPT_FILTERS, OPT_LIMIT, OPT_NAME, OPT_CAUSE, OPT_INPUT,
       OPT_DEACTIVATE, OPT_ERRORS, OPT_SORT, OPT_NOTE, OPT_CATCH_UP };

static const struct option client_opts[] = {
	{"admin", required_argument, NULL, 'a'},
	{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	{"ca-file", required_argument, NULL, OPT_CA_FILE},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"project", required_argument, NULL, 'p'},
	{"domain", required_argument, NULL, 'd'},
	{"output", required_argument, NULL, 'o'},
	{"version", required_argument, NULL, OPT_VERSION},
	{"filters", required_argument, NULL, OPT_FILTERS},
	{"sort-by", required_argument, NULL, OPT_SORT},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"name", required_argument, NULL, OPT_NAME},
	{"cause", required_argument, NULL, OPT_CAUSE},
	{"input", required_argument, NULL, OPT_INPUT},
	{"deactivate", no_argument, NULL, OPT_DEACTIVATE},
	{"note", required_argument, NULL, OPT_NOTE},
	{"catch-up", no_argument, NULL, OPT_CATCH_UP},
	{"errors", no_argument, NULL, OPT_ERRORS},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void client_release(struct client *c)
{
	cli_conn_release(&c->conn);
	free(c->token);
	free(c->inputs);
}

/* Parse the options of every client command; positional arguments stay in argv[optind..]. */
static int client_init(struct client *c, int argc, char **argv, const char *usage)
{
	int opt, rc;

	memset(c, 0, sizeof(*c));
	rc = cli_conn_load(&c->conn, argc, argv);
	optind = 1;
	while (!rc && (opt = getopt_long(argc, argv, "a:p:d:o:h", client_opts, NULL)) != -1) {
		switch (opt) {
		case 'a': cli_conn_set(&c->conn.admin, optarg); break;
		case OPT_TOKEN_FILE: cli_conn_set(&c->conn.token_file, optarg); break;
		case OPT_CA_FILE: cli_conn_set(&c->conn.ca_file, optarg); break;
		case OPT_CONFIG: break;
		case 'p': cli_conn_set(&c->conn.project, optarg), c->conn.project_given = true; break;
		case 'd': cli_conn_set(&c->conn.domain, optarg); break;
		case 'o':
			if (!strcmp(optarg, "table")) {
				c->format = OUT_TABLE;
			} else if (!strcmp(optarg, "json")) {
				c->format = OUT_JSON;
			} else if (!strcmp(optarg, "yaml")) {
				c->format = OUT_YAML;
			} else {
				fprintf(stderr, "flytec: -o takes table, json or yaml\n");
				rc = CLI_EXIT_USAGE;
			}
			break;
		case OPT_VERSION: c->version = optarg; break;
		case OPT_FILTERS: c->filters = optarg; break;
		case OPT_SORT: c->sort_by = optarg; break;
		case OPT_NAME: c->name = optarg; break;
		case OPT_CAUSE: c->cause = optarg; break;
		case OPT_DEACTIVATE: c->deactivate = true; break;
		case OPT_NOTE: c->note = optarg; break;
		case OPT_CATCH_UP: c->catch_up = true; break;
		case OPT_ERRORS: c->errors_only = true; break;
		case OPT_LIMIT: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > ADM_LIMIT_MAX || optarg[0] == '-') {
				fprintf(stderr, "flytec: --limit takes 1 to %d\n", ADM_LIMIT_MAX);
				rc = CLI_EXIT_USAGE;
			}
			c->limit = (unsigned)v;
			break;
		}
		case OPT_INPUT:
			c->inputs = fc_xrealloc(c->inputs, (c->ninputs + 1) * sizeof(*c->inputs));
			c->inputs[c->ninputs++] = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			fputs(client_common, stdout);
			rc = -1;
			break;
		default:
			fputs(usage, stderr);
			fputs(client_common, stderr);
			rc = CLI_EXIT_USAGE;
		}
	}
	if (!rc && c->conn.token_file)
		rc = cli_read_token(c->conn.token_file, &c->token);
	cli_conn_finish(&c->conn);
	c->project = c->conn.project;
	c->domain = c->conn.domain;
	return rc;
}

static void url_escape(struct fc_buf *out, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);

	fc_buf_adds(out, e ? e : "");
	curl_free(e);
}

/* ?limit=&filters=&sort_by... */
static void add_list_args(const struct client *c, struct fc_buf *path)
{
	char sep = strchr(path->buf, '?') ? '&' : '?';

	fc_buf_addf(path, "%climit=%u", sep, c->limit ? c->limit : 100);
	if (c->filters) {
		fc_buf_adds(path, "&filters=");
		url_escape(path, c->filters);
	}
	if (c->sort_by) {
		fc_buf_adds(path, "&sort_by.key=");
		url_escape(path, c->sort_by);
	}
}

/* ------------------------------------------------------------------------------------------------------------
 * register
 */
static bool client_spec_file(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")) ||
				  (n > 5 && !strcmp(name + n - 5, ".json")));
}

static int collect_files(const char *path, unsigned depth, json_t *files)
{
	struct stat st;

	if (depth > 64)
		return 0;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "flytec: %s: %s\n", path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **entries;
		int n = scandir(path, &entries, NULL, alphasort), i, rc = 0;

		if (n < 0) {
			fprintf(stderr, "flytec: %s: %s\n", path, strerror(errno));
			return CLI_EXIT_USAGE;
		}
		for (i = 0; i < n; i++) {
			struct fc_buf child = FC_BUF_INIT;
			struct stat cst;

			if (!rc && entries[i]->d_name[0] != '.') {
				fc_buf_addf(&child, "%s/%s", path, entries[i]->d_name);
				if (stat(child.buf, &cst) == 0 && (S_ISDIR(cst.st_mode) || client_spec_file(entries[i]->d_name)))
					rc = collect_files(child.buf, depth + 1, files);
			}
			fc_buf_release(&child);
			free(entries[i]);
		}
		free(entries);
		return rc;
	} else {
		struct fc_buf text = FC_BUF_INIT;
		struct fc_err err;
		const char *rel = path;
		json_t *f;

		if (fc_buf_read_file(&text, path, CMP_MAX_FILE_SIZE, &err)) {
			fprintf(stderr, "flytec: %s\n", err.msg);
			fc_buf_release(&text);
			return CLI_EXIT_USAGE;
		}
		while (rel[0] == '.' && rel[1] == '/')
			rel += 2;
		while (*rel == '/')
			rel++;
		f = json_object();
		json_object_set_new(f, "path", json_string(rel));
		json_object_set_new(f, "content", json_stringn(text.buf, text.len));
		json_array_append_new(files, f);
		fc_buf_release(&text);
		return 0;
	}
}

static const char register_usage[] =
	"usage: flytec register [options] PATH...\n"
	"\n"
	"Send spec files (directories are searched for *.yaml, *.yml, *.json) to the admin, which compiles them together\n"
	"and registers every task, workflow and launch plan (content-hash versions; identical ones already exist).\n"
	"Exit status: 0 registered, 1 spec errors or conflicts (nothing or not everything registered), 2 usage.\n\n";

int cmd_register(int argc, char **argv)
{
	struct client c;
	struct fc_buf body = FC_BUF_INIT, answer = FC_BUF_INIT;
	json_t *req = json_object(), *files = json_array(), *ans = NULL, *results, *r;
	long status = 0;
	size_t i;
	int rc, a;

	rc = client_init(&c, argc, argv, register_usage);
	if (rc)
		goto out;
	if (optind == argc) {
		fputs(register_usage, stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	for (a = optind; a < argc && !rc; a++)
		rc = collect_files(argv[a], 0, files);
	if (rc)
		goto out;
	if (!json_array_size(files)) {
		fprintf(stderr, "flytec: no spec files found\n");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	json_object_set_new(req, "project", json_string(c.project));
	json_object_set_new(req, "domain", json_string(c.domain));
	json_object_set(req, "files", files);
	fc_pbjson_dump(req, 0, &body, NULL);
	rc = http(&c, "POST", "/api/v1/repository/register", body.buf, &answer, &status);
	if (rc)
		goto out;
	ans = json_loadb(answer.buf, answer.len, 0, NULL);
	results = ans ? json_object_get(ans, "results") : NULL;
	if (!results) {
		print_api_error(status, &answer);
		rc = CLI_EXIT_SPEC;
		goto out;
	}
	if (c.format != OUT_TABLE) {
		print_doc(&c, ans);
	} else {
		struct table t = {5, (const char *[]){"KIND", "NAME", "VERSION", "STATUS", "FILE"}, NULL, 0, 0};

		json_array_foreach(results, i, r) {
			const char *st = jstr(r, "status", NULL);
			bool act = json_is_true(json_object_get(r, "activated"));

			table_row(&t, jstr(r, "kind", NULL), jstr(r, "name", NULL), jstr(r, "version", NULL),
				  act ? (!strcmp(st, "created") ? "created, active" : "exists, active") : st,
				  jstr(r, "file", NULL));
		}
		table_print(&t);
		json_array_foreach(results, i, r) {
			if (*jstr(r, "message", NULL))
				fprintf(stderr, "%s %s: %s\n%s", jstr(r, "kind", NULL), jstr(r, "name", NULL),
					jstr(r, "message", NULL), jstr(r, "diff", NULL));
		}
	}
	rc = status == 200 ? CLI_EXIT_OK : CLI_EXIT_SPEC;
out:
	json_decref(ans);
	json_decref(files);
	json_decref(req);
	fc_buf_release(&body);
	fc_buf_release(&answer);
	client_release(&c);
	return rc < 0 ? 0 : rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * get
 */
static const char get_usage[] =
	"usage: flytec get tasks|workflows|launch-plans|executions|schedules [NAME] [options]\n"
	"       flytec get nodes EXECUTION [options]\n"
	"\n"
	"List names (no NAME), the versions of NAME, or one version (--version); executions: the list, or one.\n"
	"      --version V         one version\n"
	"      --filters EXPR      Flyte filters: eq(phase,SUCCEEDED)+gte(created_at,2024-01-01T00:00:00Z)\n"
	"      --sort-by FIELD     sort by FIELD (newest first)\n"
	"      --limit N           at most N rows (default 100)\n\n";

static const char *short_time(const char *rfc3339, char buf[32])
{
	/* 2024-01-02T03:04:05.123Z -> 2024-01-02 03:04:05 */
	size_t n = strlen(rfc3339);

	if (n < 19)
		return rfc3339;
	memcpy(buf, rfc3339, 19);
	buf[10] = ' ';
	buf[19] = '\0';
	return buf;
}

/* "7.558893s" -> "7.6s", "0.004933735s" -> "4.9ms", "184.2s" -> "3m4s": durations for people. */
static const char *short_duration(const char *text, char buf[32])
{
	char *end;
	double secs = strtod(text, &end);

	if (!*text || *end != 's')
		return text;
	if (secs < 1)
		snprintf(buf, 32, "%.1fms", secs * 1000);
	else if (secs < 60)
		snprintf(buf, 32, "%.1fs", secs);
	else if (secs < 3600)
		snprintf(buf, 32, "%dm%02ds", (int)secs / 60, (int)secs % 60);
	else
		snprintf(buf, 32, "%dh%02dm", (int)secs / 3600, (int)secs % 3600 / 60);
	return buf;
}

static int get_entities(struct client *c, const char *kind, const char *ids_path, const char *list_key,
			const char *name)
{
	struct fc_buf path = FC_BUF_INIT;
	json_t *j = NULL, *items, *e;
	size_t i;
	int rc;
	bool lp = !strcmp(kind, "launch_plans");

	if (!name) {
		fc_buf_addf(&path, "/api/v1/%s/%s/%s", ids_path, c->project, c->domain);
	} else {
		fc_buf_addf(&path, "/api/v1/%s/%s/%s/", kind, c->project, c->domain);
		url_escape(&path, name);
		if (c->version) {
			fc_buf_addch(&path, '/');
			url_escape(&path, c->version);
		}
	}
	if (!c->version)
		add_list_args(c, &path);
	rc = get_json(c, path.buf, &j);
	if (rc)
		goto out;
	if (c->format != OUT_TABLE) {
		print_doc(c, j);
		goto out;
	}
	if (!name) {
		struct table t = {1, (const char *[]){"NAME"}, NULL, 0, 0};

		json_array_foreach(json_object_get(j, "entities"), i, e)
			table_row(&t, jstr(e, "name", NULL));
		table_print(&t);
		goto out;
	}
	if (c->version) {
		items = json_array();
		json_array_append(items, j);
	} else {
		items = json_incref(json_object_get(j, list_key));
	}
	{
		struct table t = {lp ? 5 : 3,
				  lp ? (const char *[]){"NAME", "VERSION", "STATE", "SCHEDULE", "CREATED"}
				     : (const char *[]){"NAME", "VERSION", "CREATED"},
				  NULL, 0, 0};
		char tb[32];

		json_array_foreach(items, i, e) {
			const char *created = jstr(e, "closure", "createdAt", NULL);

			if (lp) {
				const json_t *sch = json_object_get(json_object_get(json_object_get(e, "spec"),
										 "entityMetadata"), "schedule");
				const char *cron = jstr(sch, "cronSchedule", "schedule", NULL);

				table_row(&t, jstr(e, "id", "name", NULL), jstr(e, "id", "version", NULL),
					  *jstr(e, "closure", "state", NULL) ? jstr(e, "closure", "state", NULL) : "INACTIVE",
					  *cron ? cron : *jstr(sch, "cronExpression", NULL) ? jstr(sch, "cronExpression", NULL)
											   : (sch ? "rate" : "-"),
					  short_time(created, tb));
			} else {
				table_row(&t, jstr(e, "id", "name", NULL), jstr(e, "id", "version", NULL),
					  short_time(created, tb));
			}
		}
		table_print(&t);
	}
	json_decref(items);
out:
	json_decref(j);
	fc_buf_release(&path);
	return rc;
}

static int get_executions(struct client *c, const char *name)
{
	struct fc_buf path = FC_BUF_INIT;
	json_t *j = NULL, *items, *e;
	size_t i;
	int rc;

	fc_buf_addf(&path, "/api/v1/executions/%s/%s", c->project, c->domain);
	if (name) {
		fc_buf_addch(&path, '/');
		url_escape(&path, name);
	} else {
		add_list_args(c, &path);
	}
	rc = get_json(c, path.buf, &j);
	if (rc)
		goto out;
	if (c->format != OUT_TABLE) {
		print_doc(c, j);
		goto out;
	}
	if (name) {
		items = json_array();
		json_array_append(items, j);
	} else {
		items = json_incref(json_object_get(j, "executions"));
	}
	{
		struct table t = {7,
				  (const char *[]){"NAME", "LAUNCH PLAN", "MODE", "SCHEDULED FOR", "PHASE", "STARTED", "DURATION"},
				  NULL, 0, 0};
		char tb[32], sb[32], db[32];

		json_array_foreach(items, i, e) {
			const char *err = jstr(e, "closure", "error", "message", NULL);
			const char *mode = jstr(e, "spec", "metadata", "mode", NULL);
			const char *sched = jstr(e, "spec", "metadata", "scheduledAt", NULL);
			const char *decision = jstr(e, "spec", "annotations", "values", "flytec.io/schedule-decision", NULL);
			struct fc_buf phase = FC_BUF_INIT, mode_s = FC_BUF_INIT;

			fc_buf_adds(&phase, jstr(e, "closure", "phase", NULL));
			if (*err)
				fc_buf_addf(&phase, " (%s)", err);
			/* the scheduler's decision, when it was more than "fired": its first word */
			fc_buf_adds(&mode_s, *mode ? mode : "MANUAL");
			if (*decision && strcmp(decision, "fired"))
				fc_buf_addf(&mode_s, " (%.*s)", (int)strcspn(decision, ": "), decision);
			table_row(&t, jstr(e, "id", "name", NULL), jstr(e, "spec", "launchPlan", "name", NULL),
				  mode_s.buf, *sched ? short_time(sched, sb) : "-", phase.buf,
				  short_time(jstr(e, "closure", "startedAt", NULL), tb),
				  short_duration(jstr(e, "closure", "duration", NULL), db));
			fc_buf_release(&phase);
			fc_buf_release(&mode_s);
		}
		table_print(&t);
	}
	json_decref(items);
out:
	json_decref(j);
	fc_buf_release(&path);
	return rc;
}

/* The scheduler's view: every active schedule, its next fire, last slot, and whether it is failing (and why). */
static int get_schedules(struct client *c, const char *name)
{
	json_t *j = NULL, *e;
	size_t i;
	int rc;

	rc = get_json(c, "/api/v1/schedules", &j);
	if (rc)
		goto out;
	if (c->format != OUT_TABLE) {
		print_doc(c, j);
		goto out;
	}
	{
		struct table t = {7, (const char *[]){"LAUNCH PLAN", "SCHEDULE", "NEXT FIRE (UTC)", "LAST SLOT (UTC)", "FIRED",
						      "LAST SLOTS", "STATE"},
				  NULL, 0, 0};
		char nb[32], lb[32], fired[32];

		json_array_foreach(json_object_get(j, "schedules"), i, e) {
			struct fc_buf state = FC_BUF_INIT, slots = FC_BUF_INIT;
			json_t *sl;
			size_t k;

			if (strcmp(jstr(e, "project", NULL), c->project) || strcmp(jstr(e, "domain", NULL), c->domain) ||
			    (name && strcmp(jstr(e, "name", NULL), name)))
				continue;
			if (json_is_true(json_object_get(e, "paused")))
				fc_buf_addf(&state, "PAUSED%s%s", *jstr(e, "pauseNote", NULL) ? ": " : "",
					    jstr(e, "pauseNote", NULL));
			else if (json_is_true(json_object_get(e, "failing")))
				fc_buf_addf(&state, "FAILING: %s", jstr(e, "error", NULL));
			else
				fc_buf_adds(&state, "ok");
			snprintf(fired, sizeof(fired), "%lld", (long long)json_integer_value(json_object_get(e, "fired")));
			/* the newest slots first, one letter each (docs/schedules.md "The slot view") */
			json_array_foreach(json_object_get(e, "slots"), k, sl) {
				static const char *const names[] = {"fired", "skipped", "missed", "buffered", "cancelled_other",
								    "backfill", "paused", "replaced"};
				static const char letters[] = "FSMBCKPR";
				const char *o = jstr(sl, "outcome", NULL);
				size_t m;

				for (m = 0; m < FC_ARRAY_LEN(names) && strcmp(o, names[m]); m++)
					;
				fc_buf_addch(&slots, m < FC_ARRAY_LEN(names) ? letters[m] : '?');
				if (json_is_true(json_object_get(sl, "waiting")))
					fc_buf_addch(&slots, '*');
			}
			table_row(&t, jstr(e, "name", NULL), jstr(e, "expression", NULL),
				  *jstr(e, "nextFire", NULL) ? short_time(jstr(e, "nextFire", NULL), nb) : "-",
				  *jstr(e, "lastSlot", NULL) ? short_time(jstr(e, "lastSlot", NULL), lb) : "-", fired,
				  slots.len ? slots.buf : "-", state.buf);
			fc_buf_release(&state);
			fc_buf_release(&slots);
		}
		table_print(&t);
		/* one schedule asked for by name: its next fire times and its newest slots, with the reasons */
		json_array_foreach(json_object_get(j, "schedules"), i, e) {
			json_t *sl;
			size_t k;

			if (!name || strcmp(jstr(e, "project", NULL), c->project) ||
			    strcmp(jstr(e, "domain", NULL), c->domain) || strcmp(jstr(e, "name", NULL), name))
				continue;
			printf("\nnext fires (UTC):");
			json_array_foreach(json_object_get(e, "nextFires"), k, sl)
				printf("%s %s", k ? "," : "", jstr(sl, "firesAt", NULL));
			printf("\nslots (newest first):\n");
			json_array_foreach(json_object_get(e, "slots"), k, sl) {
				const char *x = jstr(sl, "execution", NULL), *d = jstr(sl, "detail", NULL);

				printf("  %s  %-15s%s  %-20s  %s\n", jstr(sl, "slot", NULL), jstr(sl, "outcome", NULL),
				       json_is_true(json_object_get(sl, "waiting")) ? "*" : " ", *x ? x : "-", d);
			}
		}
	}
out:
	json_decref(j);
	return rc;
}

static int get_nodes(struct client *c, const char *exec)
{
	struct fc_buf path = FC_BUF_INIT;
	json_t *j = NULL, *e;
	size_t i;
	int rc;

	fc_buf_addf(&path, "/api/v1/node_executions/%s/%s/", c->project, c->domain);
	url_escape(&path, exec);
	add_list_args(c, &path);
	rc = get_json(c, path.buf, &j);
	if (rc)
		goto out;
	if (c->format != OUT_TABLE) {
		print_doc(c, j);
		goto out;
	}
	{
		struct table t = {4, (const char *[]){"NODE", "PHASE", "STARTED", "DURATION"}, NULL, 0, 0};
		char tb[32], db[32];

		json_array_foreach(json_object_get(j, "nodeExecutions"), i, e)
			table_row(&t, jstr(e, "id", "nodeId", NULL), jstr(e, "closure", "phase", NULL),
				  short_time(jstr(e, "closure", "startedAt", NULL), tb),
				  short_duration(jstr(e, "closure", "duration", NULL), db));
		table_print(&t);
	}
out:
	json_decref(j);
	fc_buf_release(&path);
	return rc;
}

/*
 * `get` without -p: the default project may not exist (a repository registers under its own project). Then use
 * the only project there is, saying so, or name the projects that exist and stop.
 */
static int resolve_default_project(struct client *c)
{
	struct fc_buf names = FC_BUF_INIT;
	json_t *j = NULL, *p, *projects;
	const char *only = NULL;
	bool found = false;
	size_t i;
	int rc;

	if (c->conn.project_given)
		return 0;
	rc = get_json(c, "/api/v1/projects", &j);
	if (rc)
		goto out;
	projects = json_object_get(j, "projects");
	json_array_foreach(projects, i, p) {
		const char *id = jstr(p, "id", NULL);

		found |= !strcmp(id, c->project);
		only = id;
		fc_buf_addf(&names, "%s%s", i ? ", " : "", id);
	}
	if (found)
		goto out;
	if (json_array_size(projects) == 1) {
		fprintf(stderr, "flytec: project '%s' does not exist; showing '%s', the only project (-p to choose)\n",
			c->project, only);
		cli_conn_set(&c->conn.project, only);
		c->project = c->conn.project;
	} else if (!json_array_size(projects)) {
		fprintf(stderr, "flytec: project '%s' does not exist, and no project exists yet (register specs first)\n",
			c->project);
		rc = CLI_EXIT_USAGE;
	} else {
		fprintf(stderr, "flytec: project '%s' does not exist; the projects are: %s (choose one with -p)\n",
			c->project, names.buf);
		rc = CLI_EXIT_USAGE;
	}
out:
	json_decref(j);
	fc_buf_release(&names);
	return rc;
}

int cmd_get(int argc, char **argv)
{
	struct client c;
	const char *what, *name;
	int rc;

	rc = client_init(&c, argc, argv, get_usage);
	if (rc)
		goto out;
	if (optind >= argc || argc - optind > 2) {
		fputs(get_usage, stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	what = argv[optind];
	name = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (strcmp(what, "schedules") && strcmp(what, "schedule")) {
		rc = resolve_default_project(&c);
		if (rc)
			goto out;
	}
	if (!strcmp(what, "tasks") || !strcmp(what, "task"))
		rc = get_entities(&c, "tasks", "task_ids", "tasks", name);
	else if (!strcmp(what, "workflows") || !strcmp(what, "workflow"))
		rc = get_entities(&c, "workflows", "workflow_ids", "workflows", name);
	else if (!strcmp(what, "launch-plans") || !strcmp(what, "launch-plan") || !strcmp(what, "lp"))
		rc = get_entities(&c, "launch_plans", "launch_plan_ids", "launchPlans", name);
	else if (!strcmp(what, "executions") || !strcmp(what, "execution"))
		rc = get_executions(&c, name);
	else if ((!strcmp(what, "nodes") || !strcmp(what, "node-executions")) && name)
		rc = get_nodes(&c, name);
	else if (!strcmp(what, "schedules") || !strcmp(what, "schedule"))
		rc = get_schedules(&c, name);
	else {
		fputs(get_usage, stderr);
		rc = CLI_EXIT_USAGE;
	}
out:
	client_release(&c);
	return rc < 0 ? 0 : rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * launch, activate, terminate, status
 */
static const char launch_usage[] =
	"usage: flytec launch LAUNCH_PLAN [--input NAME=VALUE]... [options]\n"
	"\n"
	"Create an execution of LAUNCH_PLAN (its active version, else the latest; or --version). Values are written\n"
	"as in `flytec run`: 3, 2.5, true, 2024-01-01T00:00:00Z, 1h30m, [1, 2], {a: 1}.\n"
	"      --version V         the launch plan version\n"
	"      --name NAME         the execution's name (default: generated)\n\n";

/* The LiteralType JSON of input `name` from a launch plan's expected inputs, converted to a Literal JSON. */
static int input_literal(const json_t *lp, const char *name, const char *text, json_t **out)
{
	const json_t *params = json_object_get(json_object_get(json_object_get(lp, "closure"), "expectedInputs"),
					       "parameters");
	const json_t *type = json_object_get(json_object_get(json_object_get(params, name), "var"), "type");
	ProtobufCMessage *t = NULL;
	Flyteidl__Core__Literal *lit = NULL;
	struct fc_arena a;
	struct fc_err err;
	int rc;

	if (!type) {
		fprintf(stderr, "flytec: the launch plan has no input '%s'\n", name);
		return CLI_EXIT_USAGE;
	}
	fc_arena_init(&a, 0);
	rc = fc_pbjson_decode(type, &flyteidl__core__literal_type__descriptor, fc_arena_pb_allocator(&a), 0, &t, &err);
	if (!rc)
		rc = cmp_lit_from_text(&a, (Flyteidl__Core__LiteralType *)t, text, CMP_LIT_TEXT_VALUE, &lit, &err);
	if (!rc)
		rc = fc_pbjson_encode(&lit->base, 0, out, &err);
	if (rc)
		fprintf(stderr, "flytec: --input %s: %s\n", name, err.msg);
	fc_arena_release(&a);
	return rc ? CLI_EXIT_USAGE : 0;
}

int cmd_launch(int argc, char **argv)
{
	struct client c;
	struct fc_buf path = FC_BUF_INIT, body = FC_BUF_INIT, answer = FC_BUF_INIT;
	json_t *lp = NULL, *req = NULL, *literals, *ans = NULL;
	size_t i;
	int rc;

	rc = client_init(&c, argc, argv, launch_usage);
	if (rc)
		goto out;
	if (optind != argc - 1) {
		fputs(launch_usage, stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (c.version) {
		fc_buf_addf(&path, "/api/v1/launch_plans/%s/%s/", c.project, c.domain);
		url_escape(&path, argv[optind]);
		fc_buf_addch(&path, '/');
		url_escape(&path, c.version);
		rc = get_json(&c, path.buf, &lp);
	} else {
		fc_buf_addf(&path, "/api/v1/active_launch_plans/%s/%s/", c.project, c.domain);
		url_escape(&path, argv[optind]);
		rc = get_json_ex(&c, path.buf, true, &lp);
		if (rc == CLI_EXIT_SPEC) { /* no active version: the latest */
			json_t *list = NULL;

			fc_buf_reset(&path);
			fc_buf_addf(&path, "/api/v1/launch_plans/%s/%s/", c.project, c.domain);
			url_escape(&path, argv[optind]);
			fc_buf_adds(&path, "?limit=1");
			rc = get_json(&c, path.buf, &list);
			if (!rc) {
				lp = json_incref(json_array_get(json_object_get(list, "launchPlans"), 0));
				if (!lp) {
					fprintf(stderr, "flytec: launch plan %s not found\n", argv[optind]);
					rc = CLI_EXIT_SPEC;
				}
			}
			json_decref(list);
		}
	}
	if (rc)
		goto out;
	literals = json_object();
	req = json_pack("{s:s, s:s, s:{s:O}, s:{s:o}}", "project", c.project, "domain", c.domain, "spec", "launchPlan",
			json_object_get(lp, "id"), "inputs", "literals", literals);
	if (c.name)
		json_object_set_new(req, "name", json_string(c.name));
	for (i = 0; i < c.ninputs && !rc; i++) {
		char *eq = strchr(c.inputs[i], '=');
		json_t *lit;

		if (!eq) {
			fprintf(stderr, "flytec: --input takes NAME=VALUE, not '%s'\n", c.inputs[i]);
			rc = CLI_EXIT_USAGE;
			break;
		}
		*eq = '\0';
		rc = input_literal(lp, c.inputs[i], eq + 1, &lit);
		if (!rc)
			json_object_set_new(literals, c.inputs[i], lit);
	}
	if (rc)
		goto out;
	fc_pbjson_dump(req, 0, &body, NULL);
	rc = call(&c, "POST", "/api/v1/executions", body.buf, &answer);
	if (rc)
		goto out;
	ans = json_loadb(answer.buf, answer.len, 0, NULL);
	if (c.format != OUT_TABLE && ans)
		print_doc(&c, ans);
	else
		printf("%s\n", jstr(ans, "id", "name", NULL));
out:
	json_decref(ans);
	json_decref(req);
	json_decref(lp);
	fc_buf_release(&path);
	fc_buf_release(&body);
	fc_buf_release(&answer);
	client_release(&c);
	return rc < 0 ? 0 : rc;
}

static const char activate_usage[] =
	"usage: flytec activate LAUNCH_PLAN VERSION [--deactivate] [options]\n"
	"\n"
	"Make VERSION the active version of LAUNCH_PLAN (the others of that name become inactive), or deactivate it.\n\n";

int cmd_activate(int argc, char **argv)
{
	struct client c;
	struct fc_buf path = FC_BUF_INIT, answer = FC_BUF_INIT;
	int rc;

	rc = client_init(&c, argc, argv, activate_usage);
	if (rc)
		goto out;
	if (optind != argc - 2) {
		fputs(activate_usage, stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	fc_buf_addf(&path, "/api/v1/launch_plans/%s/%s/", c.project, c.domain);
	url_escape(&path, argv[optind]);
	fc_buf_addch(&path, '/');
	url_escape(&path, argv[optind + 1]);
	rc = call(&c, "PUT", path.buf, c.deactivate ? "{\"state\":\"INACTIVE\"}" : "{\"state\":\"ACTIVE\"}", &answer);
	if (!rc)
		printf("%s %s %s\n", argv[optind], argv[optind + 1], c.deactivate ? "deactivated" : "activated");
out:
	fc_buf_release(&path);
	fc_buf_release(&answer);
	client_release(&c);
	return rc < 0 ? 0 : rc;
}

static const char pause_usage[] =
	"usage: flytec schedule pause LAUNCH_PLAN [--note TEXT] [options]\n"
	"       flytec schedule unpause LAUNCH_PLAN [--note TEXT] [--catch-up] [options]\n\n"
	"Pause or unpause a launch plan's schedule on a running admin. Unpausing does not fire the slots that fell\n"
	"in the pause unless --catch-up is given (then the plan's catch-up policy chooses them).\n\n";

int cmd_schedule_pause(int argc, char **argv, bool pause)
{
	struct client c;
	struct fc_buf path = FC_BUF_INIT, answer = FC_BUF_INIT, body = FC_BUF_INIT;
	int rc;

	rc = client_init(&c, argc, argv, pause_usage);
	if (rc)
		goto out;
	if (optind != argc - 1 || (pause && c.catch_up)) {
		fputs(pause_usage, stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	fc_buf_addf(&path, "/api/v1/schedules/%s/%s/", c.project, c.domain);
	url_escape(&path, argv[optind]);
	fc_buf_adds(&path, pause ? "/pause" : "/unpause");
	fc_buf_adds(&body, "{\"note\":");
	fc_buf_add_json_string(&body, c.note ? c.note : "", c.note ? strlen(c.note) : 0);
	if (!pause)
		fc_buf_addf(&body, ",\"catchUp\":%s", c.catch_up ? "true" : "false");
	fc_buf_addch(&body, '}');
	rc = call(&c, "POST", path.buf, body.buf, &answer);
	if (!rc)
		printf("%s %s%s\n", argv[optind], pause ? "paused" : "unpaused",
		       !pause && c.catch_up ? " (slots of the pause go through catch-up)" : "");
out:
	fc_buf_release(&path);
	fc_buf_release(&answer);
	fc_buf_release(&body);
	client_release(&c);
	return rc < 0 ? 0 : rc;
}

static const char backfill_usage[] =
	"usage: flytec backfill LAUNCH_PLAN --from TIME --to TIME [--parallel N] [--dry-run] [options]\n\n"
	"Run every scheduled slot of the launch plan's active schedule in [--from, --to] (RFC 3339 times) on a running\n"
	"admin, oldest first, at most N at once (default 1). Slots that already ran (by the scheduler or an earlier\n"
	"backfill) are not run again. Slots after now are left to the scheduler. --dry-run lists the slots only.\n\n";

/* Take `--name VALUE` or `--name=VALUE` out of argv (returns the value or NULL); flags when `flag`. */
static const char *take_opt(int *argc, char **argv, const char *name, bool flag, bool *missing)
{
	size_t len = strlen(name);
	const char *v = NULL;
	int i, j;

	for (i = 1; i < *argc; i++) {
		int drop = 0;

		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], name)) {
			if (flag) {
				v = "";
				drop = 1;
			} else if (i + 1 < *argc) {
				v = argv[i + 1];
				drop = 2;
			} else {
				*missing = true;
				drop = 1;
			}
		} else if (!flag && !strncmp(argv[i], name, len) && argv[i][len] == '=') {
			v = argv[i] + len + 1;
			drop = 1;
		}
		if (drop) {
			for (j = i; j + drop <= *argc; j++)
				argv[j] = argv[j + drop];
			*argc -= drop;
			i--;
		}
	}
	return v;
}

int cmd_backfill(int argc, char **argv)
{
	struct client c;
	struct fc_buf path = FC_BUF_INIT, answer = FC_BUF_INIT, body = FC_BUF_INIT;
	const char *from, *to, *parallel_s, *dry;
	bool missing = false, have_client = false;
	long parallel = 1;
	char *end = NULL;
	json_t *j = NULL, *e;
	size_t i;
	int rc;

	from = take_opt(&argc, argv, "--from", false, &missing);
	to = take_opt(&argc, argv, "--to", false, &missing);
	parallel_s = take_opt(&argc, argv, "--parallel", false, &missing);
	dry = take_opt(&argc, argv, "--dry-run", true, &missing);
	if (parallel_s)
		parallel = strtol(parallel_s, &end, 10);
	rc = client_init(&c, argc, argv, backfill_usage);
	have_client = true;
	if (rc)
		goto out;
	if (optind != argc - 1 || !from || !to || missing || (parallel_s && (!*parallel_s || *end || parallel < 1 ||
									     parallel > SCH_BACKFILL_MAX_PARALLEL))) {
		fputs(backfill_usage, stderr);
		if (parallel_s && (parallel < 1 || parallel > SCH_BACKFILL_MAX_PARALLEL))
			fprintf(stderr, "flytec: backfill: --parallel is a whole number from 1 to %d\n",
				SCH_BACKFILL_MAX_PARALLEL);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	fc_buf_addf(&path, "/api/v1/schedules/%s/%s/", c.project, c.domain);
	url_escape(&path, argv[optind]);
	fc_buf_adds(&path, "/backfill");
	fc_buf_adds(&body, "{\"from\":");
	fc_buf_add_json_string(&body, from, strlen(from));
	fc_buf_adds(&body, ",\"to\":");
	fc_buf_add_json_string(&body, to, strlen(to));
	fc_buf_addf(&body, ",\"parallel\":%ld,\"dryRun\":%s}", parallel, dry ? "true" : "false");
	rc = call(&c, "POST", path.buf, body.buf, &answer);
	if (rc)
		goto out;
	j = json_loadb(answer.buf, answer.len, 0, NULL);
	if (!j) {
		fprintf(stderr, "flytec: backfill: the admin's answer is not JSON\n");
		rc = CLI_EXIT_SPEC;
		goto out;
	}
	if (c.format != OUT_TABLE) {
		print_doc(&c, j);
		goto out;
	}
	{
		struct table t = {3, (const char *[]){"SLOT (UTC)", "STATE", "EXECUTION"}, NULL, 0, 0};

		json_array_foreach(json_object_get(j, "slots"), i, e) {
			const char *x = jstr(e, "execution", NULL);

			table_row(&t, jstr(e, "slot", NULL), jstr(e, "state", NULL), *x ? x : "-");
		}
		table_print(&t);
	}
	printf("%lld slot(s) %s, %lld already run (parallel %ld)\n",
	       (long long)json_integer_value(json_object_get(j, dry ? "wouldRun" : "queued")),
	       dry ? "would run" : "queued", (long long)json_integer_value(json_object_get(j, "alreadyRun")), parallel);
out:
	json_decref(j);
	fc_buf_release(&path);
	fc_buf_release(&answer);
	fc_buf_release(&body);
	if (have_client)
		client_release(&c);
	return rc < 0 ? 0 : rc;
}

static const char terminate_usage[] =
	"usage: flytec terminate EXECUTION [--cause TEXT] [options]\n\nAbort an execution.\n\n";

int cmd_terminate(int argc, char **argv)
{
	struct client c;
	struct fc_buf path = FC_BUF_INIT, answer = FC_BUF_INIT, body = FC_BUF_INIT;
	int rc;

	rc = client_init(&c, argc, argv, terminate_usage);
	if (rc)
		goto out;
	if (optind != argc - 1) {
		fputs(terminate_usage, stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	fc_buf_addf(&path, "/api/v1/executions/%s/%s/", c.project, c.domain);
	url_escape(&path, argv[optind]);
	fc_buf_adds(&body, "{\"cause\":");
	fc_buf_add_json_string(&body, c.cause ? c.cause : "terminated with flytec terminate",
			       strlen(c.cause ? c.cause : "terminated with flytec terminate"));
	fc_buf_addch(&body, '}');
	rc = call(&c, "DELETE", path.buf, body.buf, &answer);
	if (!rc)
		printf("%s terminated\n", argv[optind]);
out:
	fc_buf_release(&path);
	fc_buf_release(&answer);
	fc_buf_release(&body);
	client_release(&c);
	return rc < 0 ? 0 : rc;
}

static const char status_usage[] =
	"usage: flytec status [--errors] [options]\n"
	"\n"
	"The compile status of the admin's watched repository: every file with errors shows its diagnostics.\n"
	"Exit status 1 when a file has errors.\n\n";

int cmd_status(int argc, char **argv)
{
	struct client c;
	json_t *j = NULL, *f;
	size_t i, bad = 0, total = 0;
	int rc;

	rc = client_init(&c, argc, argv, status_usage);
	if (rc)
		goto out;
	if (optind != argc) {
		fputs(status_usage, stderr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = get_json(&c, c.errors_only ? "/api/v1/repository/status?errors_only=true" : "/api/v1/repository/status",
		      &j);
	if (rc)
		goto out;
	json_array_foreach(json_object_get(j, "files"), i, f) {
		if (json_is_true(json_object_get(f, "deleted")))
			continue;
		total++;
		bad += !json_is_true(json_object_get(f, "ok"));
	}
	if (c.format != OUT_TABLE) {
		print_doc(&c, j);
	} else {
		struct table t = {4, (const char *[]){"FILE", "STATUS", "ERRORS", "WARNINGS"}, NULL, 0, 0};

		json_array_foreach(json_object_get(j, "files"), i, f) {
			char ne[32], nw[32];

			if (json_is_true(json_object_get(f, "deleted")))
				continue;
			snprintf(ne, sizeof(ne), "%lld", (long long)json_integer_value(json_object_get(f, "errors")));
			snprintf(nw, sizeof(nw), "%lld", (long long)json_integer_value(json_object_get(f, "warnings")));
			table_row(&t, jstr(f, "path", NULL), json_is_true(json_object_get(f, "ok")) ? "ok" : "FAILED", ne, nw);
		}
		table_print(&t);
		json_array_foreach(json_object_get(j, "files"), i, f) {
			if (!json_is_true(json_object_get(f, "ok")) && !json_is_true(json_object_get(f, "deleted"))) {
				putchar('\n');
				print_text(stdout, jstr(f, "diagnostics", NULL));
			}
		}
		printf("\n%zu file(s), %zu with errors\n", total, bad);
	}
	rc = bad ? CLI_EXIT_SPEC : CLI_EXIT_OK;
out:
	json_decref(j);
	client_release(&c);
	return rc < 0 ? 0 : rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * `flytec diff --admin`: one registered version as a snapshot (cmd_diff.c). The admin's JSON pieces (a
 * CompiledTask, a CompiledWorkflowClosure, a LaunchPlan and its workflow's closure) go into a compiler session as
 * in-memory .json inputs, so the snapshot is rendered by the same code as a local compile.
 */
static int admin_piece(struct client *c, struct cmp_session *s, const char *kind, const char *name,
		       const char *version, const char *closure_key, json_t **lp_out)
{
	struct fc_buf path = FC_BUF_INIT, src = FC_BUF_INIT;
	json_t *j = NULL;
	const json_t *piece;
	char *text;
	int rc;

	fc_buf_addf(&path, "/api/v1/%s/", kind);
	url_escape(&path, c->project);
	fc_buf_addch(&path, '/');
	url_escape(&path, c->domain);
	fc_buf_addch(&path, '/');
	url_escape(&path, name);
	fc_buf_addch(&path, '/');
	url_escape(&path, version);
	rc = get_json(c, path.buf, &j);
	if (rc)
		goto out;
	piece = closure_key ? json_object_get(json_object_get(j, "closure"), closure_key) : j;
	if (!json_is_object(piece)) {
		fprintf(stderr, "flytec diff: the admin's %s has no closure.%s\n", path.buf, closure_key);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	text = json_dumps(piece, JSON_COMPACT);
	fc_buf_addf(&src, "%s%s.json", c->conn.admin, path.buf);
	cmp_add_source_take(s, src.buf, text, strlen(text));
	if (lp_out)
		*lp_out = json_incref(j);
out:
	json_decref(j);
	fc_buf_release(&path);
	fc_buf_release(&src);
	return rc;
}

int cli_admin_snapshot(const char *admin, const char *entity, const char *version, const struct cmp_options *opts,
		       struct cmp_snapshots *out)
{
	char *argv[] = {(char *)"diff", NULL};
	const char *slash = strchr(entity, '/'), *name;
	struct cmp_session *s = NULL;
	struct client c;
	json_t *lp = NULL;
	size_t kind_len;
	int rc;

	if (!slash || !slash[1]) {
		fprintf(stderr, "flytec diff: name the entity as task/NAME, workflow/NAME or launch_plan/NAME\n");
		return CLI_EXIT_USAGE;
	}
	kind_len = (size_t)(slash - entity);
	name = slash + 1;
	rc = client_init(&c, 1, argv, "");
	if (rc)
		goto out;
	cli_conn_set(&c.conn.admin, admin);
	cli_conn_finish(&c.conn);
	if (opts->project)
		c.project = opts->project;
	if (opts->domain)
		c.domain = opts->domain;
	s = cmp_session_new(opts);
	if (kind_len == 4 && !strncmp(entity, "task", 4)) {
		rc = admin_piece(&c, s, "tasks", name, version, "compiledTask", NULL);
	} else if (kind_len == 8 && !strncmp(entity, "workflow", 8)) {
		rc = admin_piece(&c, s, "workflows", name, version, "compiledWorkflow", NULL);
	} else if (kind_len == 11 && !strncmp(entity, "launch_plan", 11)) {
		rc = admin_piece(&c, s, "launch_plans", name, version, NULL, &lp);
		if (!rc) {
			const json_t *wid = json_object_get(json_object_get(lp, "spec"), "workflowId");
			const char *wname = json_string_value(json_object_get(wid, "name"));
			const char *wversion = json_string_value(json_object_get(wid, "version"));

			if (!wname || !wversion) {
				fprintf(stderr, "flytec diff: the admin's launch plan names no workflow\n");
				rc = CLI_EXIT_USAGE;
			} else {
				rc = admin_piece(&c, s, "workflows", wname, wversion, "compiledWorkflow", NULL);
			}
		}
	} else {
		fprintf(stderr, "flytec diff: '%.*s' is not task, workflow or launch_plan\n", (int)kind_len, entity);
		rc = CLI_EXIT_USAGE;
	}
	if (!rc && cmp_compile(s)) {
		struct fc_buf diag_text = FC_BUF_INIT;

		fc_diags_render(cmp_diags(s), FC_DIAG_TEXT, false, &diag_text);
		fwrite(diag_text.buf, 1, diag_text.len, stderr);
		fc_buf_release(&diag_text);
		rc = CLI_EXIT_SPEC;
	}
	if (!rc) {
		struct cmp_snapshots all;
		const struct cmp_snapshot *snap;
		char kind[16];

		snprintf(kind, sizeof(kind), "%.*s", (int)kind_len, entity);
		cmp_snapshots_init(&all);
		cmp_snapshots_add_session(&all, s);
		snap = cmp_snapshots_find(&all, kind, name);
		if (snap)
			cmp_snapshots_add_text(out, snap->text, strlen(snap->text));
		else {
			fprintf(stderr, "flytec diff: the admin's answer holds no %s named '%s'\n", kind, name);
			rc = CLI_EXIT_USAGE;
		}
		cmp_snapshots_release(&all);
	}
out:
	json_decref(lp);
	if (s)
		cmp_session_free(s);
	client_release(&c);
	return rc;
}
