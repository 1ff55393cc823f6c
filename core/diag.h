/*
 * diag.h: diagnostics for people and tools.
 *
 * A compilation collects every diagnostic (it never stops at the first) and prints them at the end, sorted by
 * position, either as `file:line:col: error[Code]: message` with the source line and a caret, or as JSON.
 * Sources are registered once (fc_source) so that every diagnostic can quote its line.
 */
#ifndef FC_DIAG_H
#define FC_DIAG_H

#include "fc.h"

#include <stdio.h>

struct fc_buf;

/* A loaded input file. `text` is owned and NUL-terminated. */
struct fc_source {
	char *path;
	char *text;
	size_t len;
	size_t *line_starts; /* built on first use */
	size_t nlines;
	uint32_t index; /* position in its owner's list of sources (the compiler packs locations with it) */
};

struct fc_source *fc_source_new_take(const char *path, char *text, size_t len);
void fc_source_free(struct fc_source *src);
/* The text of line `line` (1-based) without its newline; returns false past the end. */
bool fc_source_line(struct fc_source *src, uint32_t line, const char **start, size_t *len);

struct fc_loc {
	struct fc_source *src; /* NULL: no file */
	uint32_t line;         /* 1-based; 0: whole file */
	uint32_t col;          /* 1-based, in characters (Unicode code points, as libyaml counts) */
};

enum fc_severity { FC_SEV_ERROR, FC_SEV_WARNING, FC_SEV_NOTE };

struct fc_diag {
	enum fc_severity sev;
	const char *code; /* e.g. "MismatchingTypes": static string */
	struct fc_loc loc;
	char *msg;
	/* What the diagnostic is about, when known (owned, may be NULL). */
	char *workflow;
	char *node;
	char *var;
	/* Optional second position ("first defined here"); SARIF shows it as a related location. */
	struct fc_loc note_loc;
	char *note;
	/* Where the problem ends (exclusive column, same line numbering); line 0: not known, the renderers take the
	 * word at `loc` (fc_diag_end()). */
	uint32_t end_line, end_col;
	/* A fix the compiler is sure of: replace the word at columns [fix_col, end_col) of line `loc.line` with `fix`
	 * (owned, may be NULL). */
	char *fix;
	uint32_t fix_col;
	size_t seq; /* insertion order, keeps sorting stable */
};

struct fc_diags {
	/* One-line help for a code (SARIF rules), or NULL; set by whoever owns the codes (the compiler). */
	const char *(*rule_help)(const char *code);
	const char *tool_version; /* SARIF's tool.driver.version, or NULL */
	struct fc_diag *items;
	size_t nr, alloc;
	size_t nerrors, nwarnings;
	size_t max;      /* stop recording past this many (0: 1000); the count still grows */
	size_t dropped;
};

void fc_diags_init(struct fc_diags *d);
void fc_diags_release(struct fc_diags *d);

/* Record a diagnostic; returns it so callers can attach context with fc_diag_about() / fc_diag_note(). */
struct fc_diag *fc_diag_add(struct fc_diags *d, enum fc_severity sev, const char *code, struct fc_loc loc,
			    const char *fmt, ...) FC_PRINTF(5, 6);
struct fc_diag *fc_diag_vadd(struct fc_diags *d, enum fc_severity sev, const char *code, struct fc_loc loc,
			     const char *fmt, va_list ap) FC_PRINTF(5, 0);
/* Attach workflow / node / variable names (any may be NULL). Returns `dg`; `dg` may be NULL (dropped). */
struct fc_diag *fc_diag_about(struct fc_diag *dg, const char *workflow, const char *node, const char *var);
struct fc_diag *fc_diag_note(struct fc_diag *dg, struct fc_loc loc, const char *fmt, ...) FC_PRINTF(3, 4);

/* Mark where the problem ends (1-based line, exclusive 1-based column). Returns `dg` (may be NULL). */
struct fc_diag *fc_diag_range(struct fc_diag *dg, uint32_t end_line, uint32_t end_col);
/* A did-you-mean fix: when the source at the diagnostic's position reads `wrong` (plain or quoted), the range
 * becomes that word and the fix replaces it with `right`. Does nothing otherwise, so a fix is never wrong. */
struct fc_diag *fc_diag_fix_word(struct fc_diag *dg, const char *wrong, const char *right);
/* The end of the diagnostic's range: the recorded one, else the end of the word at its position (a YAML scalar or
 * key: up to a space, ':', ',', '[', ']', '{', '}', '#' or the end of the line), else the column after it. */
void fc_diag_end(const struct fc_diag *dg, uint32_t *end_line, uint32_t *end_col);

/* Sort by file, line, column, then insertion order. */
void fc_diags_sort(struct fc_diags *d);

/*
 * FC_DIAG_JSON: {"format_version": FC_DIAG_JSON_VERSION, "errors", "warnings", "diagnostics": [...]}, described by
 * schemas/flytec-diagnostics.schema.json. FC_DIAG_SARIF: one SARIF 2.1.0 log with one run, a rule per code seen.
 */
enum fc_diag_format { FC_DIAG_TEXT, FC_DIAG_JSON, FC_DIAG_SARIF };
#define FC_DIAG_JSON_VERSION 2
/* "text", "json" or "sarif" to the format; false for anything else. */
bool fc_diag_format_parse(const char *name, enum fc_diag_format *fmt);
/* Render all diagnostics. `color` adds ANSI colors to text. */
void fc_diags_render(const struct fc_diags *d, enum fc_diag_format fmt, bool color, struct fc_buf *out);

#endif
