/*
 * expr.c: branch conditions written as text, e.g.
 *     inputs.x > 0.5 and (train.accuracy >= 0.9 or inputs.force == true)
 * Operands are references (inputs.NAME, NODE.OUTPUT) or literals (numbers, 'strings', true, false); operators
 * are == != < <= > >= combined with and / or (and binds tighter), parentheses group.
 */
#include "compiler/cmp_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct expr_parser {
	struct cmp_session *s;
	struct fc_source *src;
	const struct fc_ynode *node;
	const char *text;
	size_t pos;
	unsigned depth;
	bool failed;
	cmp_ref_fn add_ref;
	void *ctx;
};

static struct fc_loc expr_loc(struct expr_parser *p, size_t offset)
{
	struct fc_loc loc = cmp_ynode_loc(p->src, p->node);

	if (p->node->style != FC_Y_BLOCK && !strchr(p->text, '\n'))
		loc.col += (uint32_t)offset + (p->node->style == FC_Y_QUOTED ? 1 : 0);
	return loc;
}

static void expr_error(struct expr_parser *p, size_t offset, const char *code, const char *fmt, ...) FC_PRINTF(4, 5);
static void expr_error(struct expr_parser *p, size_t offset, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	fc_diag_vadd(&p->s->diags, FC_SEV_ERROR, code, expr_loc(p, offset), fmt, ap);
	va_end(ap);
}

static void skip_ws(struct expr_parser *p)
{
	while (isspace((unsigned char)p->text[p->pos]))
		p->pos++;
}

static bool match_word(struct expr_parser *p, const char *w)
{
	size_t n = strlen(w);

	skip_ws(p);
	if (strncmp(p->text + p->pos, w, n))
		return false;
	if (isalnum((unsigned char)p->text[p->pos + n]) || p->text[p->pos + n] == '_')
		return false;
	p->pos += n;
	return true;
}

static bool match_sym(struct expr_parser *p, const char *sym)
{
	size_t n = strlen(sym);

	skip_ws(p);
	if (strncmp(p->text + p->pos, sym, n))
		return false;
	p->pos += n;
	return true;
}

static Flyteidl__Core__Operand *parse_operand(struct expr_parser *p)
{
	struct fc_arena *a = &p->s->arena;
	Flyteidl__Core__Operand *op = CMP_NEW(a, Flyteidl__Core__Operand, flyteidl__core__operand__descriptor);
	Flyteidl__Core__Primitive *prim;
	size_t start;
	char c;

	skip_ws(p);
	start = p->pos;
	c = p->text[p->pos];
	prim = CMP_NEW(a, Flyteidl__Core__Primitive, flyteidl__core__primitive__descriptor);
	if (c == '\'' || c == '"') {
		struct fc_buf str = FC_BUF_INIT;

		p->pos++;
		while (p->text[p->pos] && p->text[p->pos] != c) {
			if (p->text[p->pos] == '\\' && p->text[p->pos + 1])
				p->pos++;
			fc_buf_addch(&str, p->text[p->pos++]);
		}
		if (p->text[p->pos] != c) {
			fc_buf_release(&str);
			expr_error(p, start, "SyntaxError", "unterminated string in condition");
			return NULL;
		}
		p->pos++;
		prim->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
		prim->string_value = fc_arena_strdup(a, str.buf);
		fc_buf_release(&str);
	} else if (isdigit((unsigned char)c) || ((c == '-' || c == '+') && (isdigit((unsigned char)p->text[p->pos + 1]) ||
									     p->text[p->pos + 1] == '.')) ||
		   (c == '.' && isdigit((unsigned char)p->text[p->pos + 1]))) {
		char *end;
		long long iv;
		double dv;

		errno = 0;
		iv = strtoll(p->text + p->pos, &end, 10);
		if (errno == 0 && *end != '.' && *end != 'e' && *end != 'E') {
			prim->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
			prim->integer = iv;
		} else {
			dv = strtod(p->text + p->pos, &end);
			prim->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
			prim->float_value = dv;
		}
		p->pos = (size_t)(end - p->text);
	} else if (match_word(p, "true") || match_word(p, "True")) {
		prim->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
		prim->boolean = true;
	} else if (match_word(p, "false") || match_word(p, "False")) {
		prim->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
		prim->boolean = false;
	} else if (isalpha((unsigned char)c) || c == '_') {
		size_t node_start = p->pos, node_end, var_start;
		const char *node_id, *var, *name;

		while (isalnum((unsigned char)p->text[p->pos]) || p->text[p->pos] == '_' || p->text[p->pos] == '-')
			p->pos++;
		node_end = p->pos;
		if (p->text[p->pos] != '.') {
			expr_error(p, start, "SyntaxError",
				   "'%.*s' is not an operand: write inputs.NAME, NODE.OUTPUT, a number, a 'string', "
				   "true or false",
				   (int)(node_end - node_start), p->text + node_start);
			return NULL;
		}
		p->pos++;
		var_start = p->pos;
		while (isalnum((unsigned char)p->text[p->pos]) || p->text[p->pos] == '_')
			p->pos++;
		if (p->pos == var_start) {
			expr_error(p, var_start, "SyntaxError", "expected a variable name after '.'");
			return NULL;
		}
		node_id = fc_arena_strndup(a, p->text + node_start, node_end - node_start);
		var = fc_arena_strndup(a, p->text + var_start, p->pos - var_start);
		if (!strcmp(node_id, "inputs"))
			node_id = CMP_START_NODE;
		name = p->add_ref(p->ctx, node_id, var, expr_loc(p, start));
		op->val_case = FLYTEIDL__CORE__OPERAND__VAL_VAR;
		op->var = (char *)name;
		{
			struct fc_loc l = expr_loc(p, start);

			cmp_set_loc(p->s, op, l);
		}
		return op;
	} else {
		if (c)
			expr_error(p, start, "SyntaxError", "expected an operand, found '%c'", c);
		else
			expr_error(p, start, "SyntaxError", "expected an operand, found the end of the condition");
		return NULL;
	}
	op->val_case = FLYTEIDL__CORE__OPERAND__VAL_SCALAR;
	op->scalar = CMP_NEW(a, Flyteidl__Core__Scalar, flyteidl__core__scalar__descriptor);
	op->scalar->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	op->scalar->primitive = prim;
	{
		struct fc_loc l = expr_loc(p, start);

		cmp_set_loc(p->s, op, l);
	}
	return op;
}

static Flyteidl__Core__BooleanExpression *parse_or(struct expr_parser *p);

static Flyteidl__Core__BooleanExpression *parse_primary(struct expr_parser *p)
{
	static const struct {
		const char *sym;
		Flyteidl__Core__ComparisonExpression__Operator op;
	} ops[] = {
		{"==", FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ},
		{"!=", FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ},
		{">=", FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GTE},
		{"<=", FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LTE},
		{">", FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GT},
		{"<", FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LT},
	};
	struct fc_arena *a = &p->s->arena;
	Flyteidl__Core__BooleanExpression *be;
	Flyteidl__Core__ComparisonExpression *cmp;
	size_t i, start;

	if (++p->depth > FC_LIMIT_CMP_EXPR_DEPTH) {
		expr_error(p, p->pos, "SyntaxError", "condition nested too deeply");
		return NULL;
	}
	skip_ws(p);
	start = p->pos;
	if (match_sym(p, "(")) {
		be = parse_or(p);
		if (!be)
			return NULL;
		if (!match_sym(p, ")")) {
			expr_error(p, p->pos, "SyntaxError", "expected ')' to close the '(' at column %u",
				   expr_loc(p, start).col);
			return NULL;
		}
		p->depth--;
		return be;
	}
	cmp = CMP_NEW(a, Flyteidl__Core__ComparisonExpression, flyteidl__core__comparison_expression__descriptor);
	cmp->left_value = parse_operand(p);
	if (!cmp->left_value)
		return NULL;
	skip_ws(p);
	for (i = 0; i < FC_ARRAY_LEN(ops); i++) {
		if (match_sym(p, ops[i].sym)) {
			cmp->operator_ = ops[i].op;
			break;
		}
	}
	if (i == FC_ARRAY_LEN(ops)) {
		if (p->text[p->pos] == '=')
			expr_error(p, p->pos, "SyntaxError", "use '==' to compare, not '='");
		else
			expr_error(p, p->pos, "SyntaxError",
				   "expected a comparison (==, !=, <, <=, >, >=): a condition compares two operands");
		return NULL;
	}
	cmp->right_value = parse_operand(p);
	if (!cmp->right_value)
		return NULL;
	if (cmp->left_value->val_case != FLYTEIDL__CORE__OPERAND__VAL_VAR &&
	    cmp->right_value->val_case != FLYTEIDL__CORE__OPERAND__VAL_VAR) {
		expr_error(p, start, "InvalidCondition",
			   "this comparison has no reference: compare inputs or node outputs, not two constants");
		return NULL;
	}
	be = CMP_NEW(a, Flyteidl__Core__BooleanExpression, flyteidl__core__boolean_expression__descriptor);
	be->expr_case = FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON;
	be->comparison = cmp;
	{
		struct fc_loc l = expr_loc(p, start);

		cmp_set_loc(p->s, cmp, l);
		cmp_set_loc(p->s, be, l);
	}
	p->depth--;
	return be;
}

static Flyteidl__Core__BooleanExpression *conjoin(struct expr_parser *p, Flyteidl__Core__BooleanExpression *l,
						  Flyteidl__Core__BooleanExpression *r,
						  Flyteidl__Core__ConjunctionExpression__LogicalOperator op)
{
	struct fc_arena *a = &p->s->arena;
	Flyteidl__Core__BooleanExpression *be = CMP_NEW(a, Flyteidl__Core__BooleanExpression, flyteidl__core__boolean_expression__descriptor);

	be->expr_case = FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_CONJUNCTION;
	be->conjunction = CMP_NEW(a, Flyteidl__Core__ConjunctionExpression, flyteidl__core__conjunction_expression__descriptor);
	be->conjunction->operator_ = op;
	be->conjunction->left_expression = l;
	be->conjunction->right_expression = r;
	return be;
}

static Flyteidl__Core__BooleanExpression *parse_and(struct expr_parser *p)
{
	Flyteidl__Core__BooleanExpression *l = parse_primary(p);

	while (l && (match_word(p, "and") || match_sym(p, "&&"))) {
		Flyteidl__Core__BooleanExpression *r = parse_primary(p);

		if (!r)
			return NULL;
		l = conjoin(p, l, r, FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__AND);
	}
	return l;
}

static Flyteidl__Core__BooleanExpression *parse_or(struct expr_parser *p)
{
	Flyteidl__Core__BooleanExpression *l = parse_and(p);

	while (l && (match_word(p, "or") || match_sym(p, "||"))) {
		Flyteidl__Core__BooleanExpression *r = parse_and(p);

		if (!r)
			return NULL;
		l = conjoin(p, l, r, FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__OR);
	}
	return l;
}

Flyteidl__Core__BooleanExpression *cmp_expr_parse(struct cmp_session *s, struct fc_source *src,
						  const struct fc_ynode *n, cmp_ref_fn add_ref, void *ctx)
{
	struct expr_parser p = {s, src, n, NULL, 0, 0, false, add_ref, ctx};
	Flyteidl__Core__BooleanExpression *be;

	if (n->kind != FC_Y_SCALAR || fc_ynode_is_null(n)) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "BranchNodeHasNoCondition", cmp_ynode_loc(src, n),
			    "a condition is text such as \"inputs.x > 5 and n1.ok == true\"");
		return NULL;
	}
	p.text = n->u.scalar.str;
	be = parse_or(&p);
	if (be && !p.failed) {
		skip_ws(&p);
		if (p.text[p.pos]) {
			expr_error(&p, p.pos, "SyntaxError", "unexpected '%s' after the condition (missing 'and'/'or'?)",
				   p.text + p.pos);
			return NULL;
		}
	}
	if (be && !p.failed)
		cmp_remember(s, be, src, n);
	return p.failed ? NULL : be;
}
