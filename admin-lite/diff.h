/* diff.h: a line diff for people (registration conflicts show what changed). */
#ifndef ADM_DIFF_H
#define ADM_DIFF_H

#include "core/fc.h"

struct fc_buf;

/*
 * Append to `out` a unified-style diff of `old_text` -> `new_text`: "--- old_label" / "+++ new_label" headers,
 * "@@ line N @@" hunks, removed lines with '-', added lines with '+', and `context` unchanged lines around each
 * change. Identical texts append nothing. Inputs larger than what the LCS table allows (4M cells after trimming
 * the common head and tail) degrade to "all old lines removed, all new lines added" for the middle part.
 */
void adm_diff_lines(const char *old_label, const char *old_text, const char *new_label, const char *new_text,
		    unsigned context, struct fc_buf *out);

#endif
