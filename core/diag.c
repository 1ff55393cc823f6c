/* diag.c: collecting, sorting and rendering diagnostics. */
#include "diag.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fc_source *fc_source_new_take(const char *path, char *text, size_t len)
{
	struct fc_source *src = fc_xcalloc(1, sizeof(*src));

	src->path = fc_xstrdup(path);
	src->text = text;
	src->len = len;
	return src;
}

void fc_source_free(struct fc_source *src)
{
	if (!src)
		return;
	free(src->path);
	free(src->text);
	free(src->line_starts);
	free(src);
}

static void source_index_lines(struct fc_source *src)
{
	size_t alloc = 0, i;

	FC_ALLOC_GROW(src->line_starts, 1, alloc);
	src->line_starts[0] = 0;
	src->nlines = 1;
	for (i = 0; i < src->len; i++) {
		if (src->text[i] == '\n') {
			FC_ALLOC_GROW(src->line_starts, src->nlines + 1, alloc);
			src->line_starts[src->nlines++] = i + 1;
		}
	}
}

bool fc_source_line(struct fc_source *src, uint32_t line, const char **start, size_t *len)
{
	size_t begin, end;

	if (!src || !src->text || line == 0)
		return false;
	if (!src->line_starts)
		source_index_lines(src);
	if (line > src->nlines)
		return false;
	begin = src->line_starts[line - 1];
	end = begin;
	while (end < src->len && src->text[end] != '\n')
		end++;
	if (end > begin && src->text[end - 1] == '\r')
		end--;
	*start = src->text + begin;
	*len = end - begin;
	return true;
}

void fc_diags_init(struct fc_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void fc_diags_release(struct fc_diags *d)
{
	size_t i;

	for (i = 0; i < d->nr; i++) {
		free(d->items[i].msg);
		free(d->items[i].workflow);
		free(d->items[i].node);
		free(d->items[i].var);
		free(d->items[i].note);
		free(d->items[i].fix);
	}
	free(d->items);
	{
		const char *(*help)(const char *) = d->rule_help;
		const char *version = d->tool_version;

		fc_diags_init(d);
		d->rule_help = help;
		d->tool_version = version;
	}
}

struct fc_diag *fc_diag_vadd(struct fc_diags *d, enum fc_severity sev, const char *code, struct fc_loc loc,
			     const char *fmt, va_list ap)
{
	struct fc_buf msg = FC_BUF_INIT;
	struct fc_diag *dg;
	size_t max = d->max ? d->max : 1000;

	if (sev == FC_SEV_ERROR)
		d->nerrors++;
	else if (sev == FC_SEV_WARNING)
		d->nwarnings++;
	if (d->nr >= max) {
		d->dropped++;
		return NULL;
	}
	fc_buf_vaddf(&msg, fmt, ap);
	FC_ALLOC_GROW(d->items, d->nr + 1, d->alloc);
	dg = &d->items[d->nr];
	memset(dg, 0, sizeof(*dg));
	dg->sev = sev;
	dg->code = code;
	dg->loc = loc;
	dg->msg = fc_buf_detach(&msg, NULL);
	dg->seq = d->nr++;
	return dg;
}

struct fc_diag *fc_diag_add(struct fc_diags *d, enum fc_severity sev, const char *code, struct fc_loc loc,
			    const char *fmt, ...)
{
	struct fc_diag *dg;
	va_list ap;

	va_start(ap, fmt);
	dg = fc_diag_vadd(d, sev, code, loc, fmt, ap);
	va_end(ap);
	return dg;
}

static char *dup_or_null(const char *s)
{
	return s ? fc_xstrdup(s) : NULL;
}

struct fc_diag *fc_diag_about(struct fc_diag *dg, const char *workflow, const char *node, const char *var)
{
	if (!dg)
		return NULL;
	if (workflow && !dg->workflow)
		dg->workflow = dup_or_null(workflow);
	if (node && !dg->node)
		dg->node = dup_or_null(node);
	if (var && !dg->var)
		dg->var = dup_or_null(var);
	return dg;
}

struct fc_diag *fc_diag_note(struct fc_diag *dg, struct fc_loc loc, const char *fmt, ...)
{
	struct fc_buf msg = FC_BUF_INIT;
	va_list ap;

	if (!dg)
		return NULL;
	va_start(ap, fmt);
	fc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	free(dg->note);
	dg->note = fc_buf_detach(&msg, NULL);
	dg->note_loc = loc;
	return dg;
}

/* Columns count characters; these move between a column and a byte offset into the line's text. */
static size_t col_to_byte(const char *line, size_t len, uint32_t col)
{
	size_t i = 0;
	uint32_t c = 1;

	while (i < len && c < col) {
		i++;
		while (i < len && ((unsigned char)line[i] & 0xc0) == 0x80)
			i++;
		c++;
	}
	return i + (c < col ? col - c : 0);
}

static uint32_t byte_to_col(const char *line, size_t len, size_t offset)
{
	uint32_t col = 1;
	size_t i;

	for (i = 0; i < offset; i++)
		if (i >= len || ((unsigned char)line[i] & 0xc0) != 0x80)
			col++;
	return col;
}

struct fc_diag *fc_diag_range(struct fc_diag *dg, uint32_t end_line, uint32_t end_col)
{
	if (!dg || !end_line)
		return dg;
	dg->end_line = end_line;
	dg->end_col = end_col;
	return dg;
}

struct fc_diag *fc_diag_fix_word(struct fc_diag *dg, const char *wrong, const char *right)
{
	const char *line;
	size_t len, col, wlen;
	uint32_t start;

	if (!dg || !wrong || !right || !*wrong || !dg->loc.line || !dg->loc.col ||
	    !fc_source_line(dg->loc.src, dg->loc.line, &line, &len))
		return dg;
	col = col_to_byte(line, len, dg->loc.col);
	wlen = strlen(wrong);
	if (col < len && line[col] == '!') { /* a tag ("!ref frist.x"): the word after it */
		while (col < len && line[col] != ' ')
			col++;
		while (col < len && line[col] == ' ')
			col++;
	}
	if (col < len && (line[col] == '"' || line[col] == '\''))
		col++;
	if (col + wlen > len || memcmp(line + col, wrong, wlen))
		return dg;
	/* the range runs from the position (a tag, a quote) to the end of the word; the fix replaces the word */
	start = byte_to_col(line, len, col);
	dg->end_line = dg->loc.line;
	dg->end_col = byte_to_col(line, len, col + wlen);
	dg->fix_col = start;
	free(dg->fix);
	dg->fix = fc_xstrdup(right);
	return dg;
}

static bool word_char(unsigned char c)
{
	return c != ' ' && c != '\t' && c != ':' && c != ',' && c != '[' && c != ']' && c != '{' && c != '}' &&
	       c != '#';
}

void fc_diag_end(const struct fc_diag *dg, uint32_t *end_line, uint32_t *end_col)
{
	const char *line;
	size_t len, i;

	*end_line = dg->loc.line;
	*end_col = dg->loc.col ? dg->loc.col + 1 : 2;
	if (dg->end_line) {
		*end_line = dg->end_line;
		*end_col = dg->end_col;
		return;
	}
	if (!dg->loc.line || !fc_source_line(dg->loc.src, dg->loc.line, &line, &len))
		return;
	i = col_to_byte(line, len, dg->loc.col ? dg->loc.col : 1);
	if (i >= len)
		return;
	if (line[i] == '"' || line[i] == '\'') { /* a quoted scalar: to its closing quote */
		char q = line[i++];

		while (i < len && line[i] != q)
			i += line[i] == '\\' && q == '"' && i + 1 < len ? 2 : 1;
		i = i < len ? i + 1 : len;
	} else if (line[i] == '!') { /* a tag: the tag and its value ("!ref a.b") */
		while (i < len && line[i] != ' ')
			i++;
		while (i < len && line[i] == ' ')
			i++;
		while (i < len && word_char((unsigned char)line[i]))
			i++;
	} else {
		while (i < len && word_char((unsigned char)line[i]))
			i++;
	}
	if (byte_to_col(line, len, i) > dg->loc.col)
		*end_col = byte_to_col(line, len, i);
}

static int loc_cmp(const struct fc_loc *a, const struct fc_loc *b)
{
	const char *pa = a->src ? a->src->path : "";
	const char *pb = b->src ? b->src->path : "";
	int c = strcmp(pa, pb);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

static int diag_cmp(const void *va, const void *vb)
{
	const struct fc_diag *a = va, *b = vb;
	int c = loc_cmp(&a->loc, &b->loc);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void fc_diags_sort(struct fc_diags *d)
{
	if (d->nr > 1)
		qsort(d->items, d->nr, sizeof(d->items[0]), diag_cmp);
}

static const char *sev_name(enum fc_severity sev)
{
	switch (sev) {
	case FC_SEV_ERROR: return "error";
	case FC_SEV_WARNING: return "warning";
	case FC_SEV_NOTE: return "note";
	}
	return "error";
}

static void render_position(struct fc_buf *out, const struct fc_loc *loc)
{
	if (!loc->src) {
		fc_buf_adds(out, "flytec");
		return;
	}
	fc_buf_adds(out, loc->src->path);
	if (loc->line)
		fc_buf_addf(out, ":%u:%u", loc->line, loc->col ? loc->col : 1);
}

/* The quoted source line and a caret under the column; tabs are kept so the caret lines up. */
static void render_excerpt(struct fc_buf *out, const struct fc_loc *loc)
{
	const char *line;
	size_t len, i, col;

	if (!loc->line || !fc_source_line(loc->src, loc->line, &line, &len))
		return;
	if (len > 400)
		len = 400;
	fc_buf_addf(out, "%5u | ", loc->line);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		fc_buf_addch(out, c < 0x20 && c != '\t' ? '?' : c);
	}
	fc_buf_adds(out, "\n      | ");
	col = col_to_byte(line, len, loc->col ? loc->col : 1);
	for (i = 0; i < col && i < len; i++) /* one space per character, tabs kept */
		if (((unsigned char)line[i] & 0xc0) != 0x80)
			fc_buf_addch(out, line[i] == '\t' ? '\t' : ' ');
	fc_buf_adds(out, "^\n");
}

static void render_text(const struct fc_diag *dg, bool color, struct fc_buf *out)
{
	const char *on = "", *off = color ? "\033[0m" : "";

	if (color)
		on = dg->sev == FC_SEV_ERROR ? "\033[1;31m" : dg->sev == FC_SEV_WARNING ? "\033[1;35m" : "\033[1;36m";
	render_position(out, &dg->loc);
	fc_buf_addf(out, ": %s%s[%s]%s: %s\n", on, sev_name(dg->sev), dg->code, off, dg->msg);
	render_excerpt(out, &dg->loc);
	if (dg->workflow || dg->node || dg->var) {
		const char *sep = "";

		fc_buf_adds(out, "      = in ");
		if (dg->workflow) {
			fc_buf_addf(out, "workflow '%s'", dg->workflow);
			sep = ", ";
		}
		if (dg->node) {
			fc_buf_addf(out, "%snode '%s'", sep, dg->node);
			sep = ", ";
		}
		if (dg->var)
			fc_buf_addf(out, "%svariable '%s'", sep, dg->var);
		fc_buf_addch(out, '\n');
	}
	if (dg->note) {
		if (dg->note_loc.src) {
			render_position(out, &dg->note_loc);
			fc_buf_adds(out, ": ");
		} else {
			fc_buf_adds(out, "      = ");
		}
		fc_buf_addf(out, "note: %s\n", dg->note);
		if (dg->note_loc.src)
			render_excerpt(out, &dg->note_loc);
	}
}

bool fc_diag_format_parse(const char *name, enum fc_diag_format *fmt)
{
	if (!strcmp(name, "text"))
		*fmt = FC_DIAG_TEXT;
	else if (!strcmp(name, "json"))
		*fmt = FC_DIAG_JSON;
	else if (!strcmp(name, "sarif"))
		*fmt = FC_DIAG_SARIF;
	else
		return false;
	return true;
}

static void add_json_field(struct fc_buf *out, const char *key, const char *value)
{
	if (!value)
		return;
	fc_buf_addf(out, ",\"%s\":", key);
	fc_buf_add_json_string(out, value, strlen(value));
}

static void render_json(const struct fc_diag *dg, struct fc_buf *out)
{
	fc_buf_adds(out, "{\"severity\":");
	fc_buf_add_json_string(out, sev_name(dg->sev), strlen(sev_name(dg->sev)));
	add_json_field(out, "code", dg->code);
	add_json_field(out, "file", dg->loc.src ? dg->loc.src->path : NULL);
	if (dg->loc.line) {
		uint32_t end_line, end_col;

		fc_diag_end(dg, &end_line, &end_col);
		fc_buf_addf(out, ",\"line\":%u,\"column\":%u,\"end_line\":%u,\"end_column\":%u", dg->loc.line,
			    dg->loc.col ? dg->loc.col : 1, end_line, end_col);
	}
	add_json_field(out, "message", dg->msg);
	if (dg->fix && dg->fix_col) {
		fc_buf_addf(out, ",\"fix\":{\"line\":%u,\"column\":%u,\"end_column\":%u,\"replacement\":", dg->loc.line,
			    dg->fix_col, dg->end_col);
		fc_buf_add_json_string(out, dg->fix, strlen(dg->fix));
		fc_buf_addch(out, '}');
	}
	add_json_field(out, "workflow", dg->workflow);
	add_json_field(out, "node", dg->node);
	add_json_field(out, "variable", dg->var);
	if (dg->note) {
		fc_buf_adds(out, ",\"note\":{");
		fc_buf_adds(out, "\"message\":");
		fc_buf_add_json_string(out, dg->note, strlen(dg->note));
		add_json_field(out, "file", dg->note_loc.src ? dg->note_loc.src->path : NULL);
		if (dg->note_loc.line)
			fc_buf_addf(out, ",\"line\":%u,\"column\":%u", dg->note_loc.line,
				    dg->note_loc.col ? dg->note_loc.col : 1);
		fc_buf_addch(out, '}');
	}
	fc_buf_addch(out, '}');
}

/* --- SARIF 2.1.0 ---------------------------------------------------------------------------------------------- */

/* A path as a URI path: unreserved characters and '/' stay, everything else is %XX. */
static void uri_path(struct fc_buf *uri, const char *path)
{
	const char *p;

	for (p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("-._~/", c)))
			fc_buf_addch(uri, (char)c);
		else
			fc_buf_addf(uri, "%%%02X", c);
	}
}

static void add_uri(struct fc_buf *out, const char *path)
{
	struct fc_buf uri = FC_BUF_INIT;

	uri_path(&uri, path);
	fc_buf_add_json_string(out, uri.buf, uri.len);
	fc_buf_release(&uri);
}

static void sarif_artifact(struct fc_buf *out, const char *path)
{
	fc_buf_adds(out, "{\"uri\":");
	add_uri(out, path[0] == '/' ? path + 1 : path);
	fc_buf_addf(out, ",\"uriBaseId\":\"%s\"}", path[0] == '/' ? "ROOT" : "SRCROOT");
}

static void sarif_region(struct fc_buf *out, uint32_t line, uint32_t col, uint32_t end_line, uint32_t end_col)
{
	if (!line)
		return;
	if (end_line < line || (end_line == line && end_col <= col))
		end_line = line, end_col = col + 1;
	fc_buf_addf(out, ",\"region\":{\"startLine\":%u,\"startColumn\":%u,\"endLine\":%u,\"endColumn\":%u}", line,
		    col, end_line, end_col);
}

static void sarif_physical(struct fc_buf *out, const struct fc_loc *loc, uint32_t end_line, uint32_t end_col)
{
	fc_buf_adds(out, "{\"physicalLocation\":{\"artifactLocation\":");
	sarif_artifact(out, loc->src->path);
	sarif_region(out, loc->line, loc->col ? loc->col : 1, end_line, end_col);
	fc_buf_addch(out, '}');
}

static const char *sarif_level(enum fc_severity sev)
{
	return sev == FC_SEV_ERROR ? "error" : sev == FC_SEV_WARNING ? "warning" : "note";
}

/* SARIF wants messages to be sentences. */
static void sarif_message(struct fc_buf *out, const char *text)
{
	struct fc_buf msg = FC_BUF_INIT;
	size_t n = strlen(text);

	fc_buf_add(&msg, text, n);
	if (!n || !strchr(".?!", text[n - 1]))
		fc_buf_addch(&msg, '.');
	fc_buf_adds(out, "{\"text\":");
	fc_buf_add_json_string(out, msg.buf, msg.len);
	fc_buf_addch(out, '}');
	fc_buf_release(&msg);
}

static void render_sarif_result(const struct fc_diags *d, const struct fc_diag *dg, size_t rule_index,
				struct fc_buf *out)
{
	uint32_t end_line, end_col;

	(void)d;
	fc_diag_end(dg, &end_line, &end_col);
	fc_buf_addf(out, "{\"ruleId\":\"%s\",\"ruleIndex\":%zu,\"level\":\"%s\",\"message\":", dg->code, rule_index,
		    sarif_level(dg->sev));
	sarif_message(out, dg->msg);
	if (dg->loc.src) {
		fc_buf_adds(out, ",\"locations\":[");
		sarif_physical(out, &dg->loc, end_line, end_col);
		fc_buf_adds(out, "}]");
	}
	if (dg->note && dg->note_loc.src) {
		struct fc_diag note;

		memset(&note, 0, sizeof(note));
		note.loc = dg->note_loc;
		fc_diag_end(&note, &end_line, &end_col);
		fc_buf_adds(out, ",\"relatedLocations\":[");
		sarif_physical(out, &dg->note_loc, end_line, end_col);
		fc_buf_adds(out, ",\"id\":1,\"message\":");
		sarif_message(out, dg->note);
		fc_buf_adds(out, "}]");
	}
	if (dg->fix && dg->loc.src && dg->loc.line && dg->end_line && dg->fix_col) {
		fc_buf_adds(out, ",\"fixes\":[{\"description\":");
		{
			struct fc_buf what = FC_BUF_INIT;

			fc_buf_addf(&what, "Replace with '%s'", dg->fix);
			sarif_message(out, what.buf);
			fc_buf_release(&what);
		}
		fc_buf_adds(out, ",\"artifactChanges\":[{\"artifactLocation\":");
		sarif_artifact(out, dg->loc.src->path);
		fc_buf_adds(out, ",\"replacements\":[{\"deletedRegion\":{");
		fc_buf_addf(out, "\"startLine\":%u,\"startColumn\":%u,\"endLine\":%u,\"endColumn\":%u}", dg->loc.line,
			    dg->fix_col, dg->end_line,
			    dg->end_col);
		fc_buf_adds(out, ",\"insertedContent\":{\"text\":");
		fc_buf_add_json_string(out, dg->fix, strlen(dg->fix));
		fc_buf_adds(out, "}}]}]}]");
	}
	fc_buf_addch(out, '}');
}

static void render_sarif(const struct fc_diags *d, struct fc_buf *out)
{
	const char **rules = fc_xcalloc(d->nr + 1, sizeof(*rules));
	size_t *rule_of = fc_xcalloc(d->nr + 1, sizeof(*rule_of));
	size_t nrules = 0, i, j;
	char cwd[4096];

	for (i = 0; i < d->nr; i++) {
		for (j = 0; j < nrules && strcmp(rules[j], d->items[i].code); j++)
			;
		if (j == nrules)
			rules[nrules++] = d->items[i].code;
		rule_of[i] = j;
	}
	fc_buf_adds(out, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
			 "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"flytec\",");
	if (d->tool_version) {
		fc_buf_adds(out, "\"version\":");
		fc_buf_add_json_string(out, d->tool_version, strlen(d->tool_version));
		fc_buf_adds(out, ",\"semanticVersion\":");
		fc_buf_add_json_string(out, d->tool_version, strlen(d->tool_version));
		fc_buf_addch(out, ',');
	}
	fc_buf_adds(out, "\"informationUri\":\"https://github.com/flytec/flytec\",\"rules\":[");
	for (j = 0; j < nrules; j++) {
		const char *help = d->rule_help ? d->rule_help(rules[j]) : NULL;

		if (help && !*help)
			help = NULL;

		/* no "name": SARIF wants it to differ from the id, and the code is already what people read */
		fc_buf_addf(out, "%s{\"id\":\"%s\",\"shortDescription\":", j ? "," : "", rules[j]);
		sarif_message(out, help ? help : rules[j]);
		fc_buf_adds(out, ",\"help\":");
		{
			struct fc_buf text = FC_BUF_INIT;

			fc_buf_addf(&text, "%s%sRun 'flytec explain %s' for a wrong and a fixed example.", help ? help : "",
				    help ? (strchr(".?!", help[strlen(help) - 1]) ? " " : ". ") : "", rules[j]);
			sarif_message(out, text.buf);
			fc_buf_release(&text);
		}
		fc_buf_addch(out, '}');
	}
	fc_buf_adds(out, "]}},\"columnKind\":\"unicodeCodePoints\",\"originalUriBaseIds\":{\"ROOT\":{\"uri\":\"file:///\"}");
	if (getcwd(cwd, sizeof(cwd)) && cwd[0] == '/') {
		struct fc_buf uri = FC_BUF_INIT;

		fc_buf_adds(&uri, "file://");
		uri_path(&uri, cwd);
		if (uri.buf[uri.len - 1] != '/')
			fc_buf_addch(&uri, '/');
		fc_buf_adds(out, ",\"SRCROOT\":{\"uri\":");
		fc_buf_add_json_string(out, uri.buf, uri.len);
		fc_buf_addch(out, '}');
		fc_buf_release(&uri);
	}
	fc_buf_adds(out, "},\"results\":[");
	for (i = 0; i < d->nr; i++) {
		if (i)
			fc_buf_addch(out, ',');
		render_sarif_result(d, &d->items[i], rule_of[i], out);
	}
	fc_buf_adds(out, "]}]}\n");
	free(rules);
	free(rule_of);
}

void fc_diags_render(const struct fc_diags *d, enum fc_diag_format fmt, bool color, struct fc_buf *out)
{
	size_t i;

	if (fmt == FC_DIAG_SARIF) {
		render_sarif(d, out);
		return;
	}
	if (fmt == FC_DIAG_JSON) {
		fc_buf_addf(out, "{\"format_version\":%d,\"errors\":%zu,\"warnings\":%zu,\"diagnostics\":[", FC_DIAG_JSON_VERSION, d->nerrors,
			    d->nwarnings);
		for (i = 0; i < d->nr; i++) {
			if (i)
				fc_buf_addch(out, ',');
			render_json(&d->items[i], out);
		}
		fc_buf_adds(out, "]}\n");
		return;
	}
	for (i = 0; i < d->nr; i++)
		render_text(&d->items[i], color, out);
	if (d->dropped)
		fc_buf_addf(out, "flytec: %zu more diagnostics not shown\n", d->dropped);
}
