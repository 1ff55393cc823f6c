/*
 * explain.h: the long explanation of every diagnostic code, with a wrong and a fixed example (`flytec explain
 * CODE`, the help of SARIF rules, the LSP hover on a diagnostic). One table, embedded in the binary; a test checks
 * that every code docs/spec.md lists, and every code the compiler reports, has an entry.
 */
#ifndef CMP_EXPLAIN_H
#define CMP_EXPLAIN_H

#include "core/fc.h"

struct cmp_explanation {
	const char *code;
	const char *summary; /* one sentence */
	const char *text;    /* what triggers it and how to fix it */
	const char *wrong;   /* a spec that has the problem */
	const char *fixed;   /* the same spec, fixed */
};

/* The entry for `code` (exact, case-insensitive), or NULL. */
const struct cmp_explanation *cmp_explain_find(const char *code);
size_t cmp_explain_count(void);
const struct cmp_explanation *cmp_explain_at(size_t i);
/* The summary of `code`, or NULL (the shape struct fc_diags.rule_help wants). */
const char *cmp_explain_summary(const char *code);

#endif
