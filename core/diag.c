/* diag.c: collecting, sorting and rendering diagnostics. */
#include "diag.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

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
	}
	free(d->items);
	fc_diags_init(d);
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
	col = loc->col ? loc->col - 1 : 0;
	for (i = 0; i < col && i < len; i++)
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
	if (dg->loc.line)
		fc_buf_addf(out, ",\"line\":%u,\"column\":%u", dg->loc.line, dg->loc.col ? dg->loc.col : 1);
	add_json_field(out, "message", dg->msg);
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

void fc_diags_render(const struct fc_diags *d, enum fc_diag_format fmt, bool color, struct fc_buf *out)
{
	size_t i;

	if (fmt == FC_DIAG_JSON) {
		fc_buf_addf(out, "{\"errors\":%zu,\"warnings\":%zu,\"diagnostics\":[", d->nerrors, d->nwarnings);
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
