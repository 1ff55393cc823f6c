/*
 * fuzz_adm_query.c: libFuzzer target for admin-lite's listing parameters (Flyte filters, sort keys, tokens) and
 * RFC 3339 parsing, run against a real in-memory store holding a few entities and executions.
 *
 * The input is split at the first two NUL bytes into filters, sort key and token. Any answer is fine but a crash,
 * a sanitizer report or an error without a message; on success the page never holds more than the limit.
 *
 * Build: make build/fuzz/fuzz_adm_query; run: build/fuzz/fuzz_adm_query -max_total_time=300
 */
#include "admin-lite/query.h"
#include "admin-lite/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct adm_store *store;

static void setup(void)
{
	struct adm_entity e;
	struct adm_execution x;
	struct fc_err err;
	char name[16];
	bool created;
	int i;

	if (store)
		return;
	if (adm_store_open(":memory:", &store, &err)) {
		fprintf(stderr, "fuzz_adm_query: %s\n", err.msg);
		abort();
	}
	for (i = 0; i < 8; i++) {
		memset(&e, 0, sizeof(e));
		snprintf(name, sizeof(name), "n%d", i % 3);
		e.kind = ADM_TASK;
		e.id = (struct adm_id){"p", "development", name, i < 4 ? "v1" : "v2"};
		e.spec = (const uint8_t *)name;
		e.spec_len = strlen(name);
		if (adm_entity_register(store, &e, &created, NULL, NULL, &err) && err.code != FC_ECONFLICT)
			abort();
		memset(&x, 0, sizeof(x));
		snprintf(name, sizeof(name), "x%d", i);
		x.id = (struct adm_exec_id){"p", "development", name};
		x.spec = (const uint8_t *)"s";
		x.spec_len = 1;
		adm_execution_create(store, &x, &err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 2), *sort, *token;
	struct adm_query q;
	struct fc_arena a;
	struct adm_entity *ents;
	struct adm_execution *execs;
	char *next;
	size_t n;
	struct fc_err err;
	int64_t ns;
	int rc;

	setup();
	memcpy(text, data, size);
	text[size] = '\0';
	text[size + 1] = '\0';
	sort = text + strlen(text) + 1;
	token = sort <= text + size ? sort + strlen(sort) + 1 : text + size + 1;
	if (token > text + size + 1)
		token = text + size + 1;
	memset(&q, 0, sizeof(q));
	q.project = "p";
	q.domain = "development";
	q.filters = text;
	q.sort_key = *sort ? sort : NULL;
	q.token = token;
	q.limit = 3;
	fc_arena_init(&a, 0);
	err.msg[0] = '\0';
	rc = adm_entity_list(store, ADM_TASK, &q, &a, &ents, &n, &next, &err);
	if (rc && !err.msg[0])
		abort();
	if (!rc && n > q.limit)
		abort();
	err.msg[0] = '\0';
	rc = adm_execution_list(store, &q, &a, &execs, &n, &next, &err);
	if (rc && !err.msg[0])
		abort();
	if (!adm_parse_time(text, &ns, NULL)) {
		struct fc_buf b = FC_BUF_INIT;
		int64_t again;

		adm_format_time(ns, &b);
		if (adm_parse_time(b.buf, &again, NULL) || again != ns)
			abort();
		fc_buf_release(&b);
	}
	fc_arena_release(&a);
	free(text);
	return 0;
}
