/*
 * yaml2json.c: print each YAML document of a file as one line of JSON, the way the spec front end reads it
 * (core/yaml.c's loader, YAML 1.2 core-schema scalars). A `!ref` scalar becomes its text, as an editor told
 * about the tag sees it. Used by schema_check.py; built by it against build/libflytec.a.
 */
#include "compiler/cmp_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_string(const char *s, size_t len)
{
	struct fc_buf b = FC_BUF_INIT;

	fc_buf_add_json_string(&b, s, len);
	fputs(b.buf, stdout);
	fc_buf_release(&b);
}

static void put_node(const struct fc_ynode *n)
{
	size_t i;

	if (!n) {
		fputs("null", stdout);
		return;
	}
	if (n->kind == FC_Y_SEQ) {
		putchar('[');
		for (i = 0; i < n->u.seq.n; i++) {
			if (i)
				putchar(',');
			put_node(n->u.seq.items[i]);
		}
		putchar(']');
		return;
	}
	if (n->kind == FC_Y_MAP) {
		putchar('{');
		for (i = 0; i < n->u.map.n; i++) {
			const struct fc_ynode *k = n->u.map.pairs[i].key;

			if (i)
				putchar(',');
			if (k->kind == FC_Y_SCALAR)
				put_string(k->u.scalar.str, k->u.scalar.len);
			else
				put_string("<non-scalar key>", 16);
			putchar(':');
			put_node(n->u.map.pairs[i].value);
		}
		putchar('}');
		return;
	}
	{
		const char *kind = n->tag && !strcmp(n->tag, "!ref") ? "str" : cmp_yaml_scalar_kind(n);
		const char *s = n->u.scalar.str;

		if (!strcmp(kind, "null"))
			fputs("null", stdout);
		else if (!strcmp(kind, "bool"))
			fputs(s[0] == 't' || s[0] == 'T' ? "true" : "false", stdout);
		else if (!strcmp(kind, "int"))
			printf("{\"$int\":\"%s\"}", s);
		else if (!strcmp(kind, "float"))
			printf("{\"$float\":\"%s\"}", s);
		else
			put_string(s, n->u.scalar.len);
	}
}

int main(int argc, char **argv)
{
	struct fc_arena arena;
	struct fc_diags diags;
	struct fc_buf text = FC_BUF_INIT;
	struct fc_ydoc *docs = NULL;
	size_t ndocs = 0, i;
	struct fc_source *src;
	char *bytes;
	size_t len;

	if (argc != 2 || fc_buf_read_file(&text, argv[1], 0, NULL)) {
		fprintf(stderr, "usage: yaml2json FILE\n");
		return 2;
	}
	fc_arena_init(&arena, 1 << 16);
	fc_diags_init(&diags);
	bytes = fc_buf_detach(&text, &len);
	src = fc_source_new_take(argv[1], bytes, len);
	if (fc_yaml_load(&arena, src, NULL, &docs, &ndocs, &diags)) {
		fprintf(stderr, "%s: not loadable YAML\n", argv[1]);
		return 1;
	}
	for (i = 0; i < ndocs; i++) {
		put_node(docs[i].root);
		putchar('\n');
	}
	fc_source_free(src);
	fc_diags_release(&diags);
	fc_arena_release(&arena);
	return 0;
}
