/* console.c: serves the web console's static files (see console.h and docs/console.md). */
#include "admin-lite/console.h"
#include "admin-lite/server_int.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/sha256.h"

#include <string.h>

/* What the console's pages may do: their own scripts, styles and API calls only; no inline script, no plugins, no
 * framing. 'unsafe-inline' is never needed: the pages set styles through the CSSOM, never style attributes. */
#define CONSOLE_CSP                                                                                               \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "    \
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
	{".css", "text/css; charset=utf-8"},
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".json", "application/json"},
	{".png", "image/png"},
	{".svg", "image/svg+xml"},
	{".txt", "text/plain; charset=utf-8"},
};

/* The content type of a file name by its extension, or NULL when the console serves no such kind of file. */
static const char *content_type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(content_types) / sizeof(content_types[0]); i++)
		if (!strcmp(dot, content_types[i].ext))
			return content_types[i].type;
	return NULL;
}

/* A name the console may serve: one segment of [A-Za-z0-9._-], not starting with a dot, of a known kind. */
static bool name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > ADM_CONSOLE_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return content_type_of(name) != NULL;
}

/* The file's bytes, from the directory or the embedded table, into r->out. FC_ENOENT when there is none. */
static int load(struct adm_req *r, const char *dir, const char *name, struct fc_err *err)
{
	size_t i;

	if (dir) {
		const char *path = fc_arena_printf(&r->arena, "%s/%s", dir, name);

		return fc_buf_read_file(&r->out, path, ADM_CONSOLE_FILE_MAX, err);
	}
	for (i = 0; i < adm_console_nfiles; i++) {
		if (strcmp(adm_console_files[i].name, name))
			continue;
		fc_buf_add(&r->out, adm_console_files[i].data, adm_console_files[i].len);
		return 0;
	}
	return fc_err_set(err, FC_ENOENT, "no such console file: %s", name);
}

void adm_console_get(struct adm_req *r)
{
	const char *name = r->nparams ? adm_req_param(r, 0) : "index.html";
	const char *dir = r->srv ? adm_server_opts(r->srv)->console_dir : NULL;
	const char *match, **headers;
	unsigned char digest[FC_SHA256_LEN];
	char hex[2 * FC_SHA256_LEN + 1];
	char *etag;
	struct fc_err err;

	if (!name_ok(name)) {
		adm_reply_error(r, FC_ENOENT, "no such console file: %s", name);
		return;
	}
	fc_buf_reset(&r->out);
	if (load(r, dir, name, &err)) {
		fc_buf_reset(&r->out);
		if (err.code == FC_ENOENT || err.code == FC_EIO)
			adm_reply_error(r, FC_ENOENT, "no such console file: %s", name);
		else
			adm_reply_err(r, &err);
		return;
	}
	fc_sha256(r->out.buf, r->out.len, digest);
	fc_hex(digest, 12, hex); /* 96 bits tell versions of one file apart */
	etag = fc_arena_printf(&r->arena, "\"%s\"", hex);
	headers = fc_arena_alloc(&r->arena, 15 * sizeof(*headers));
	headers[0] = "ETag";
	headers[1] = etag;
	headers[2] = "Cache-Control";
	headers[3] = "no-cache";
	headers[4] = "Content-Security-Policy";
	headers[5] = CONSOLE_CSP;
	headers[6] = "X-Content-Type-Options";
	headers[7] = "nosniff";
	headers[8] = "X-Frame-Options";
	headers[9] = "DENY";
	headers[10] = "Referrer-Policy";
	headers[11] = "no-referrer";
	headers[12] = NULL;
	r->headers = headers;
	r->content_type = content_type_of(name);
	match = adm_req_header(r, "If-None-Match");
	if (match && strstr(match, etag)) {
		fc_buf_reset(&r->out);
		r->status = 304;
		return;
	}
	r->status = 200;
}
