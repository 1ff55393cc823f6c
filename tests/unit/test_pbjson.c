/*
 * test_pbjson.c: the proto3 JSON / YAML mapping (core/pbjson.h, core/yamljson.h).
 *
 * The corpus tests run over Flyte's own test data: every admin TaskSpec / WorkflowSpec / LaunchPlan protobuf must
 * come back byte-identical through JSON and through YAML, and every CompiledTask / CompiledWorkflowClosure that
 * Go's jsonpb wrote must re-encode to equal JSON. The rest are rule-by-rule cases and a must-reject list whose
 * errors must name the JSON path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/unit/test_data.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/pbjson.h"
#include "core/yaml.h"
#include "core/yamljson.h"

#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/tasks.pb-c.h"
#include "flyteidl/core/workflow.pb-c.h"
#include "flyteidl/core/workflow_closure.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA_DIR SNACKS_DIR


/* --- helpers ----------------------------------------------------------------------------------------------- */

static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t nr = 0, alloc = 0, slen = strlen(suffix);

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < slen || strcmp(e->d_name + len - slen, suffix))
			continue;
		FC_ALLOC_GROW(names, nr + 1, alloc);
		names[nr++] = fc_xstrdup(e->d_name);
	}
	closedir(d);
	*n = nr;
	return names;
}

static void free_list(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Print where two JSON values first differ (for failing comparisons). */
static bool json_diff(const json_t *a, const json_t *b, struct fc_buf *path)
{
	size_t len = path->len;

	if (json_equal((json_t *)a, (json_t *)b))
		return false;
	if (json_is_object(a) && json_is_object(b)) {
		const char *key;
		json_t *va;

		json_object_foreach((json_t *)a, key, va) {
			json_t *vb = json_object_get(b, key);

			fc_buf_addf(path, ".%s", key);
			if (!vb) {
				print_message("%s: only in the first\n", path->buf);
				return true;
			}
			if (json_diff(va, vb, path))
				return true;
			fc_buf_truncate(path, len);
		}
		json_object_foreach((json_t *)b, key, va) {
			if (!json_object_get(a, key)) {
				print_message("%s.%s: only in the second\n", path->buf, key);
				return true;
			}
		}
	}
	if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
		size_t i;

		for (i = 0; i < json_array_size(a); i++) {
			fc_buf_addf(path, "[%zu]", i);
			if (json_diff(json_array_get(a, i), json_array_get(b, i), path))
				return true;
			fc_buf_truncate(path, len);
		}
	}
	{
		char *sa = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT);
		char *sb = json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT);

		print_message("%s: %.300s != %.300s\n", path->buf, sa, sb);
		free(sa);
		free(sb);
	}
	return true;
}

static void assert_json_equal(const json_t *a, const json_t *b)
{
	struct fc_buf path = FC_BUF_INIT;

	fc_buf_adds(&path, "$");
	if (json_diff(a, b, &path)) {
		fc_buf_release(&path);
		fail_msg("JSON values differ");
	}
	fc_buf_release(&path);
}

/* Encode compactly and compare with the expected text. */
/*
 * fc_pbjson_encode_buf() writes text straight from the message; fc_pbjson_encode() + fc_pbjson_dump() build a
 * jansson tree first. Both must give the same bytes, or fail alike.
 */
static void assert_paths_agree(const ProtobufCMessage *m, unsigned flags, const char *what)
{
	struct fc_buf direct = FC_BUF_INIT, tree = FC_BUF_INIT;
	struct fc_err e1, e2;
	json_t *j = NULL;
	int rc1, rc2;

	fc_err_clear(&e1);
	fc_err_clear(&e2);
	fc_buf_adds(&direct, "<");
	fc_buf_adds(&tree, "<");
	rc1 = fc_pbjson_encode_buf(m, flags, &direct, &e1);
	rc2 = fc_pbjson_encode(m, flags, &j, &e2);
	if (!rc2) {
		rc2 = fc_pbjson_dump(j, flags, &tree, &e2);
		json_decref(j);
	}
	if (rc1 != rc2 || (rc1 && strcmp(e1.msg, e2.msg)))
		fail_msg("%s (flags %u): direct %d \"%s\", tree %d \"%s\"", what, flags, rc1, e1.msg, rc2, e2.msg);
	if (rc1)
		assert_string_equal(direct.buf, "<"); /* nothing left behind on failure */
	else if (strcmp(direct.buf, tree.buf))
		fail_msg("%s (flags %u): direct\n  %s\ntree\n  %s", what, flags, direct.buf, tree.buf);
	fc_buf_release(&direct);
	fc_buf_release(&tree);
}

static void assert_encodes(const ProtobufCMessage *m, unsigned flags, const char *want)
{
	struct fc_buf out = FC_BUF_INIT;
	struct fc_err err;

	assert_paths_agree(m, flags, want);

	fc_err_clear(&err);
	if (fc_pbjson_encode_buf(m, flags, &out, &err))
		fail_msg("encode failed: %s", err.msg);
	if (strcmp(out.buf, want))
		fail_msg("encoded\n  %s\nwant\n  %s", out.buf, want);
	fc_buf_release(&out);
}

/* Decode `text` (must succeed) with the arena's allocator. */
static ProtobufCMessage *decode_ok(struct fc_arena *a, const ProtobufCMessageDescriptor *d, const char *text,
				   unsigned flags)
{
	ProtobufCMessage *m = NULL;
	struct fc_err err;

	fc_err_clear(&err);
	if (fc_pbjson_decode_text(text, strlen(text), d, fc_arena_pb_allocator(a), flags, &m, &err))
		fail_msg("decoding %s as %s failed: %s", text, d->name, err.msg);
	assert_non_null(m);
	return m;
}

/* Decode `text` (must fail) and check that the message contains each of the given strings. */
static void decode_fails(const ProtobufCMessageDescriptor *d, const char *text, const char *want1,
			 const char *want2)
{
	ProtobufCMessage *m = (ProtobufCMessage *)1;
	struct fc_err err;
	int rc;

	fc_err_clear(&err);
	/* The malloc allocator: a failed decode must not leak (ASan checks). */
	rc = fc_pbjson_decode_text(text, strlen(text), d, NULL, 0, &m, &err);
	if (!rc) {
		protobuf_c_message_free_unpacked(m, NULL);
		fail_msg("decoding %.200s as %s should fail", text, d->name);
	}
	assert_null(m);
	if ((want1 && !strstr(err.msg, want1)) || (want2 && !strstr(err.msg, want2)))
		fail_msg("error message\n  %s\nlacks \"%s\" / \"%s\"", err.msg, want1 ? want1 : "",
			 want2 ? want2 : "");
}

static void roundtrip_text(const ProtobufCMessageDescriptor *d, const char *text, const char *want)
{
	struct fc_arena a;

	fc_arena_init(&a, 0);
	assert_encodes(decode_ok(&a, d, text, 0), 0, want ? want : text);
	fc_arena_release(&a);
}

/* --- the corpus -------------------------------------------------------------------------------------------- */

static const ProtobufCMessageDescriptor *pb_file_type(const char *name)
{
	size_t len = strlen(name);

	if (len < 5)
		return NULL;
	if (!strcmp(name + len - 5, "_1.pb"))
		return &flyteidl__admin__task_spec__descriptor;
	if (!strcmp(name + len - 5, "_2.pb"))
		return &flyteidl__admin__workflow_spec__descriptor;
	if (!strcmp(name + len - 5, "_3.pb"))
		return &flyteidl__admin__launch_plan__descriptor;
	return NULL;
}

enum via { VIA_JSON, VIA_JSON_PRETTY, VIA_JSON_DEFAULTS, VIA_YAML };

/* Unpack, encode, decode, pack: must give the original bytes. Returns false (after printing why) if not. */
static bool roundtrip_pb(const char *path, const ProtobufCMessageDescriptor *d, enum via via)
{
	struct fc_buf raw = FC_BUF_INIT, text = FC_BUF_INIT;
	struct fc_arena a;
	struct fc_err err;
	ProtobufCMessage *orig = NULL, *back = NULL;
	uint8_t *packed = NULL;
	size_t size;
	bool ok = false;
	int rc;

	fc_arena_init(&a, 0);
	fc_err_clear(&err);
	if (fc_buf_read_file(&raw, path, 0, &err)) {
		print_message("%s: %s\n", path, err.msg);
		goto out;
	}
	orig = protobuf_c_message_unpack(d, NULL, raw.len, (const uint8_t *)raw.buf);
	if (!orig) {
		print_message("%s: protobuf-c cannot unpack it as %s (schema problem)\n", path, d->name);
		goto out;
	}
	switch (via) {
	case VIA_JSON: rc = fc_pbjson_encode_buf(orig, 0, &text, &err); break;
	case VIA_JSON_PRETTY: rc = fc_pbjson_encode_buf(orig, FC_PBJSON_PRETTY, &text, &err); break;
	case VIA_JSON_DEFAULTS: rc = fc_pbjson_encode_buf(orig, FC_PBJSON_EMIT_DEFAULTS, &text, &err); break;
	default: rc = fc_pbjson_encode_yaml(orig, 0, &text, &err); break;
	}
	if (rc) {
		print_message("%s: encode: %s\n", path, err.msg);
		goto out;
	}
	if (via == VIA_YAML)
		rc = fc_pbjson_decode_yaml_text(text.buf, text.len, d, fc_arena_pb_allocator(&a), 0, &back, &err);
	else
		rc = fc_pbjson_decode_text(text.buf, text.len, d, fc_arena_pb_allocator(&a), 0, &back, &err);
	if (rc) {
		print_message("%s: decode: %s\n", path, err.msg);
		goto out;
	}
	size = protobuf_c_message_get_packed_size(back);
	packed = malloc(size ? size : 1);
	protobuf_c_message_pack(back, packed);
	if (size != raw.len || memcmp(packed, raw.buf, size)) {
		size_t i = 0;

		while (i < size && i < raw.len && packed[i] == (uint8_t)raw.buf[i])
			i++;
		print_message("%s: %zu bytes after the round trip, %zu before; first difference at %zu\n", path, size,
			      raw.len, i);
		goto out;
	}
	ok = true;
out:
	free(packed);
	if (orig)
		protobuf_c_message_free_unpacked(orig, NULL);
	fc_buf_release(&raw);
	fc_buf_release(&text);
	fc_arena_release(&a);
	return ok;
}

static void corpus_pb(enum via via)
{
	size_t n, i, done = 0, bad = 0;
	char **names = list_dir(DATA_DIR, ".pb", &n);
	char path[512];

	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = pb_file_type(names[i]);

		if (!d)
			continue;
		snprintf(path, sizeof(path), "%s/%s", DATA_DIR, names[i]);
		if (!roundtrip_pb(path, d, via))
			bad++;
		done++;
	}
	print_message("round trip %s: %zu of %zu files byte-identical\n",
		      via == VIA_YAML ? "via YAML" : via == VIA_JSON_PRETTY ? "via pretty JSON"
						   : via == VIA_JSON_DEFAULTS ? "via JSON with defaults" : "via JSON",
		      done - bad, done);
	free_list(names, n);
	assert_int_equal(bad, 0);
}

static void test_corpus_pb_json_run(void **state)
{
	(void)state;
	corpus_pb(VIA_JSON);
}

static void test_corpus_pb_json(void **state)
{
	if (!have_shared_data(DATA_DIR))
		skip();
	test_corpus_pb_json_run(state);
}

static void test_corpus_pb_json_pretty_run(void **state)
{
	(void)state;
	corpus_pb(VIA_JSON_PRETTY);
}

static void test_corpus_pb_json_pretty(void **state)
{
	if (!have_shared_data(DATA_DIR))
		skip();
	test_corpus_pb_json_pretty_run(state);
}

static void test_corpus_pb_json_defaults_run(void **state)
{
	(void)state;
	corpus_pb(VIA_JSON_DEFAULTS);
}

static void test_corpus_pb_json_defaults(void **state)
{
	if (!have_shared_data(DATA_DIR))
		skip();
	test_corpus_pb_json_defaults_run(state);
}

/* Every message of the test data, with each option, written both ways (see assert_paths_agree()). */
static void both_paths_file(const char *path, const ProtobufCMessageDescriptor *d, bool is_json)
{
	static const unsigned flag_sets[] = {0,
					     FC_PBJSON_PRETTY,
					     FC_PBJSON_EMIT_DEFAULTS,
					     FC_PBJSON_SORT_MAPS,
					     FC_PBJSON_PRETTY | FC_PBJSON_EMIT_DEFAULTS | FC_PBJSON_SORT_MAPS};
	struct fc_buf raw = FC_BUF_INIT;
	struct fc_arena a;
	struct fc_err err;
	ProtobufCMessage *m = NULL;
	size_t i;

	fc_arena_init(&a, 0);
	fc_err_clear(&err);
	if (fc_buf_read_file(&raw, path, 0, &err))
		fail_msg("%s: %s", path, err.msg);
	if (is_json) {
		if (fc_pbjson_decode_text(raw.buf, raw.len, d, fc_arena_pb_allocator(&a), 0, &m, &err))
			fail_msg("%s: %s", path, err.msg);
	} else {
		m = protobuf_c_message_unpack(d, fc_arena_pb_allocator(&a), raw.len, (const uint8_t *)raw.buf);
		assert_non_null(m);
	}
	for (i = 0; i < FC_ARRAY_LEN(flag_sets); i++)
		assert_paths_agree(m, flag_sets[i], path);
	fc_buf_release(&raw);
	fc_arena_release(&a);
}

static void test_corpus_both_paths_run(void **state)
{
	size_t n, i, done = 0;
	char **names = list_dir(DATA_DIR, ".pb", &n);
	char path[512];

	(void)state;
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = pb_file_type(names[i]);

		if (!d)
			continue;
		snprintf(path, sizeof(path), "%s/%s", DATA_DIR, names[i]);
		both_paths_file(path, d, false);
		done++;
	}
	free_list(names, n);
	names = list_dir(DATA_DIR "/compiled", ".json", &n);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		bool task = len > 10 && !strcmp(names[i] + len - 10, "_task.json");

		snprintf(path, sizeof(path), "%s/compiled/%s", DATA_DIR, names[i]);
		both_paths_file(path, task ? &flyteidl__core__compiled_task__descriptor
					   : &flyteidl__core__compiled_workflow_closure__descriptor, true);
		done++;
	}
	free_list(names, n);
	print_message("direct and tree text agree on %zu messages, 5 option sets each\n", done);
}

static void test_corpus_both_paths(void **state)
{
	if (!have_shared_data(DATA_DIR))
		skip();
	test_corpus_both_paths_run(state);
}

static void test_corpus_pb_yaml_run(void **state)
{
	(void)state;
	corpus_pb(VIA_YAML);
}

static void test_corpus_pb_yaml(void **state)
{
	if (!have_shared_data(DATA_DIR))
		skip();
	test_corpus_pb_yaml_run(state);
}

/* Go's jsonpb output: decode, re-encode, compare as JSON. */
static void test_corpus_go_json_run(void **state)
{
	size_t n, i, done = 0, bad = 0;
	char **names = list_dir(DATA_DIR "/compiled", ".json", &n);
	char path[512];

	(void)state;
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		const ProtobufCMessageDescriptor *d = NULL;
		struct fc_buf text = FC_BUF_INIT;
		struct fc_arena a;
		struct fc_err err;
		json_error_t jerr;
		json_t *orig, *again = NULL;
		ProtobufCMessage *m;

		if (len > 10 && !strcmp(names[i] + len - 10, "_task.json"))
			d = &flyteidl__core__compiled_task__descriptor;
		else if (len > 8 && !strcmp(names[i] + len - 8, "_wf.json"))
			d = &flyteidl__core__compiled_workflow_closure__descriptor;
		if (!d)
			continue;
		done++;
		snprintf(path, sizeof(path), "%s/compiled/%s", DATA_DIR, names[i]);
		fc_arena_init(&a, 0);
		fc_err_clear(&err);
		orig = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		assert_non_null(orig);
		if (fc_pbjson_decode(orig, d, fc_arena_pb_allocator(&a), 0, &m, &err)) {
			print_message("%s: decode: %s\n", path, err.msg);
			bad++;
		} else if (fc_pbjson_encode_buf(m, 0, &text, &err)) {
			print_message("%s: encode: %s\n", path, err.msg);
			bad++;
		} else {
			struct fc_buf where = FC_BUF_INIT, go = FC_BUF_INIT, sorted = FC_BUF_INIT;

			again = json_loadb(text.buf, text.len, 0, &jerr);
			assert_non_null(again);
			fc_buf_adds(&where, "$");
			if (json_diff(orig, again, &where)) {
				print_message("%s: re-encoded JSON differs (above)\n", path);
				bad++;
			}
			/* With Go's map order the text is Go's, byte for byte. */
			assert_int_equal(fc_buf_read_file(&go, path, 0, &err), 0);
			while (go.len && go.buf[go.len - 1] == '\n')
				fc_buf_truncate(&go, go.len - 1);
			assert_int_equal(fc_pbjson_encode_buf(m, FC_PBJSON_SORT_MAPS, &sorted, &err), 0);
			if (strcmp(sorted.buf, go.buf)) {
				print_message("%s: text differs from Go's\n", path);
				bad++;
			}
			fc_buf_release(&go);
			fc_buf_release(&sorted);
			fc_buf_release(&where);
		}
		json_decref(orig);
		json_decref(again);
		fc_buf_release(&text);
		fc_arena_release(&a);
	}
	print_message("Go jsonpb files: %zu of %zu re-encode to equal JSON (and to Go's exact text when sorted)\n",
		      done - bad, done);
	free_list(names, n);
	assert_true(done > 0);
	assert_int_equal(bad, 0);
}

static void test_corpus_go_json(void **state)
{
	if (!have_shared_data(DATA_DIR))
		skip();
	test_corpus_go_json_run(state);
}

/* --- rules, one by one ------------------------------------------------------------------------------------- */

static void test_names(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__Identifier *id;

	(void)state;
	fc_arena_init(&a, 0);
	/* lowerCamelCase out, both spellings in, field-number order. */
	id = (Flyteidl__Core__Identifier *)decode_ok(&a, &flyteidl__core__identifier__descriptor,
						     "{\"name\":\"n\",\"resource_type\":\"TASK\","
						     "\"project\":\"p\"}",
						     0);
	assert_int_equal(id->resource_type, FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
	assert_string_equal(id->project, "p");
	assert_encodes(&id->base, 0, "{\"resourceType\":\"TASK\",\"project\":\"p\",\"name\":\"n\"}");
	roundtrip_text(&flyteidl__core__task_template__descriptor, "{\"task_type_version\":3}",
		       "{\"taskTypeVersion\":3}");
	/* The same field under both names is a duplicate. */
	decode_fails(&flyteidl__core__identifier__descriptor, "{\"resourceType\":\"TASK\",\"resource_type\":\"TASK\"}",
		     "$.resource_type", "given twice");
	fc_arena_release(&a);
}

static void test_enums(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__Identifier *id;

	(void)state;
	fc_arena_init(&a, 0);
	id = (Flyteidl__Core__Identifier *)decode_ok(&a, &flyteidl__core__identifier__descriptor,
						     "{\"resourceType\":2}", 0);
	assert_int_equal(id->resource_type, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW);
	assert_encodes(&id->base, 0, "{\"resourceType\":\"WORKFLOW\"}");
	/* Open enums: an unknown number is kept and written as a number. */
	id = (Flyteidl__Core__Identifier *)decode_ok(&a, &flyteidl__core__identifier__descriptor,
						     "{\"resourceType\":77}", 0);
	assert_int_equal(id->resource_type, 77);
	assert_encodes(&id->base, 0, "{\"resourceType\":77}");
	/* The default value is omitted. */
	roundtrip_text(&flyteidl__core__identifier__descriptor, "{\"resourceType\":\"UNSPECIFIED\"}", "{}");
	/* Unknown names are skipped with FC_PBJSON_IGNORE_UNKNOWN. */
	id = (Flyteidl__Core__Identifier *)decode_ok(&a, &flyteidl__core__identifier__descriptor,
						     "{\"resourceType\":\"TASKX\",\"name\":\"x\"}",
						     FC_PBJSON_IGNORE_UNKNOWN);
	assert_int_equal(id->resource_type, 0);
	assert_string_equal(id->name, "x");
	decode_fails(&flyteidl__core__identifier__descriptor, "{\"resourceType\":true}", "$.resourceType",
		     "expected an enum name");
	decode_fails(&flyteidl__core__identifier__descriptor, "{\"resourceType\":1.5}", "$.resourceType",
		     "not an integer");
	fc_arena_release(&a);
}

static void test_int64(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__Primitive *p;

	(void)state;
	fc_arena_init(&a, 0);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"integer\":\"42\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"integer\":42}", "{\"integer\":\"42\"}");
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"integer\":\"-9223372036854775808\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"integer\":\"9223372036854775807\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"integer\":\"1e3\"}", "{\"integer\":\"1000\"}");
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"integer\":2.0}", "{\"integer\":\"2\"}");
	/* A oneof member is written even at its default value. */
	p = (Flyteidl__Core__Primitive *)decode_ok(&a, &flyteidl__core__primitive__descriptor,
						   "{\"integer\":\"0\"}", 0);
	assert_int_equal(p->value_case, FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER);
	assert_encodes(&p->base, 0, "{\"integer\":\"0\"}");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"integer\":\"9223372036854775808\"}", "$.integer",
		     "out of range for int64");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"integer\":\"-9223372036854775809\"}", "$.integer",
		     "out of range");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"integer\":\"99999999999999999999999\"}",
		     "$.integer", "out of range");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"integer\":\"12abc\"}", "$.integer", "not an integer");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"integer\":\" 12\"}", "$.integer", "not an integer");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"integer\":1.5}", "$.integer", "not an integer");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"integer\":true}", "$.integer", "expected a number");
	fc_arena_release(&a);
}

static void test_int32_ranges(void **state)
{
	(void)state;
	roundtrip_text(&flyteidl__core__retry_strategy__descriptor, "{\"retries\":4294967295}", NULL);
	roundtrip_text(&flyteidl__core__retry_strategy__descriptor, "{\"retries\":\"7\"}", "{\"retries\":7}");
	decode_fails(&flyteidl__core__retry_strategy__descriptor, "{\"retries\":4294967296}", "$.retries",
		     "4294967296 is out of range for uint32");
	decode_fails(&flyteidl__core__retry_strategy__descriptor, "{\"retries\":-1}", "$.retries", "out of range");
	roundtrip_text(&flyteidl__core__task_template__descriptor, "{\"taskTypeVersion\":-2147483648}", NULL);
	decode_fails(&flyteidl__core__task_template__descriptor, "{\"taskTypeVersion\":2147483648}",
		     "$.taskTypeVersion", "out of range for int32");
}

static void test_floats(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__ArrayNode *an;
	char text[32];

	(void)state;
	fc_arena_init(&a, 0);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":0.1}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":1}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":1.0}", "{\"floatValue\":1}");
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":1e21}", "{\"floatValue\":1e+21}");
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":1e-7}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":123456.789}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":\"NaN\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":\"Infinity\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":\"-Infinity\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":\"2.5\"}", "{\"floatValue\":2.5}");
	p = (Flyteidl__Core__Primitive *)decode_ok(&a, &flyteidl__core__primitive__descriptor,
						   "{\"floatValue\":\"NaN\"}", 0);
	assert_true(isnan(p->float_value));
	/* float32 prints as Go prints a float32: 0.1, not 0.10000000149011612. */
	an = (Flyteidl__Core__ArrayNode *)decode_ok(&a, &flyteidl__core__array_node__descriptor,
						    "{\"minSuccessRatio\":0.1}", 0);
	assert_true(an->min_success_ratio == 0.1f);
	assert_encodes(&an->base, 0, "{\"minSuccessRatio\":0.1}");
	decode_fails(&flyteidl__core__array_node__descriptor, "{\"minSuccessRatio\":1e39}", "$.minSuccessRatio",
		     "out of range for float");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"floatValue\":\"nan\"}", "$.floatValue",
		     "not a number");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"floatValue\":\"1e999\"}", "$.floatValue",
		     "out of range");
	fc_pbjson_format_double(5e-324, text);
	assert_string_equal(text, "5e-324");
	fc_pbjson_format_double(-0.0, text);
	assert_string_equal(text, "-0.0");
	fc_pbjson_format_double(1e18, text);
	assert_string_equal(text, "1000000000000000000");
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":-0.0}", NULL);
	p = (Flyteidl__Core__Primitive *)decode_ok(&a, &flyteidl__core__primitive__descriptor,
						   "{\"floatValue\":-0.0}", 0);
	assert_true(p->float_value == 0 && signbit(p->float_value));
	fc_pbjson_format_double(0.000001, text);
	assert_string_equal(text, "0.000001");
	fc_pbjson_format_double(1.7976931348623157e308, text);
	assert_string_equal(text, "1.7976931348623157e+308");
	/* The JSON value equals what a reader of Go's text gets: 2.0 is the integer 2 to jansson. */
	{
		json_t *got, *want = json_loads("{\"floatValue\":2}", 0, NULL);

		p = (Flyteidl__Core__Primitive *)decode_ok(&a, &flyteidl__core__primitive__descriptor,
							   "{\"floatValue\":2.0}", 0);
		assert_int_equal(fc_pbjson_encode(&p->base, 0, &got, NULL), 0);
		assert_true(json_is_integer(json_object_get(got, "floatValue")));
		assert_json_equal(got, want);
		json_decref(got);
		json_decref(want);
	}
	/* Beyond int64, integral values get an exponent so that jansson (and YAML's int range) can read them. */
	fc_pbjson_format_double(9223372036854775808.0, text);
	assert_string_equal(text, "9.223372036854776e+18");
	fc_pbjson_format_double(-9223372036854775808.0, text);
	assert_string_equal(text, "-9.223372036854776e+18");
	fc_pbjson_format_double(9223372036854774784.0, text);
	assert_string_equal(text, "9223372036854775000"); /* below 2^63: an int64 to JSON readers */
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"floatValue\":1e19}", "{\"floatValue\":1e+19}");
	roundtrip_text(&flyteidl__core__task_template__descriptor, "{\"custom\":{\"n\":18446744073709551616.0}}",
		       "{\"custom\":{\"n\":1.8446744073709552e+19}}");
	fc_pbjson_format_float(16777216.0f, text);
	assert_string_equal(text, "16777216");
	fc_pbjson_format_float(3.4028235e38f, text);
	assert_string_equal(text, "3.4028235e+38");
	fc_arena_release(&a);
}

static void test_bool_and_strings(void **state)
{
	(void)state;
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"boolean\":false}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"stringValue\":\"\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"stringValue\":\"caf\\u00e9 \\\"q\\\" \\n\"}",
		       "{\"stringValue\":\"caf\xc3\xa9 \\\"q\\\" \\n\"}");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"boolean\":\"true\"}", "$.boolean",
		     "expected true or false");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"stringValue\":1}", "$.stringValue",
		     "expected a string");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"stringValue\":\"a\\u0000b\"}", "$:",
		     "invalid JSON"); /* jansson refuses NUL in strings */
}

static void test_bytes(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__Binary *b;

	(void)state;
	fc_arena_init(&a, 0);
	roundtrip_text(&flyteidl__core__binary__descriptor, "{\"value\":\"aGVsbG8=\",\"tag\":\"t\"}", NULL);
	b = (Flyteidl__Core__Binary *)decode_ok(&a, &flyteidl__core__binary__descriptor, "{\"value\":\"aGVsbG8\"}", 0);
	assert_int_equal(b->value.len, 5);
	assert_memory_equal(b->value.data, "hello", 5);
	/* URL-safe alphabet accepted, standard written. */
	roundtrip_text(&flyteidl__core__binary__descriptor, "{\"value\":\"-_8\"}", "{\"value\":\"+/8=\"}");
	roundtrip_text(&flyteidl__core__binary__descriptor, "{\"value\":\"\"}", "{}");
	decode_fails(&flyteidl__core__binary__descriptor, "{\"value\":\"a$==\"}", "$.value", "invalid base64");
	decode_fails(&flyteidl__core__binary__descriptor, "{\"value\":\"abcde\"}", "$.value", "invalid base64");
	decode_fails(&flyteidl__core__binary__descriptor, "{\"value\":\"aGVsbG8==\"}", "$.value", "invalid base64");
	decode_fails(&flyteidl__core__binary__descriptor, "{\"value\":[1]}", "$.value", "expected a base64 string");
	fc_arena_release(&a);
}

static void test_oneof(void **state)
{
	(void)state;
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"stringValue\":\"x\",\"integer\":null}",
		       "{\"stringValue\":\"x\"}");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"integer\":\"1\",\"floatValue\":2}", "$.floatValue",
		     "\"integer\" and \"float_value\" are members of one oneof");
	decode_fails(&flyteidl__core__task_template__descriptor,
		     "{\"container\":{\"image\":\"i\"},\"k8sPod\":{}}", "$.k8sPod", "oneof");
}

static void test_messages_presence(void **state)
{
	struct fc_arena a;
	ProtobufCMessage *m;

	(void)state;
	fc_arena_init(&a, 0);
	/* A present empty sub-message is written; default scalars and empty lists/maps are not. */
	roundtrip_text(&flyteidl__core__task_template__descriptor,
		       "{\"type\":\"\",\"metadata\":{},\"config\":{},\"taskTypeVersion\":0,"
		       "\"container\":{\"args\":[]}}",
		       "{\"metadata\":{},\"container\":{}}");
	m = decode_ok(&a, &flyteidl__core__retry_strategy__descriptor, "{}", 0);
	assert_encodes(m, FC_PBJSON_EMIT_DEFAULTS, "{\"retries\":0}");
	m = decode_ok(&a, &flyteidl__core__identifier__descriptor, "{\"name\":\"n\"}", 0);
	assert_encodes(m, FC_PBJSON_EMIT_DEFAULTS,
		       "{\"resourceType\":\"UNSPECIFIED\",\"project\":\"\",\"domain\":\"\",\"name\":\"n\","
		       "\"version\":\"\",\"org\":\"\"}");
	/* null means "not set". */
	roundtrip_text(&flyteidl__core__task_template__descriptor, "{\"metadata\":null,\"type\":null}", "{}");
	fc_arena_release(&a);
}

static void test_repeated_and_maps(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__TaskTemplate *t;

	(void)state;
	fc_arena_init(&a, 0);
	roundtrip_text(&flyteidl__core__task_template__descriptor,
		       "{\"container\":{\"args\":[\"a\",\"b\",\"\"]}}", NULL);
	/* Map entries keep the message's order (byte-identical round trips), or are sorted on request. */
	t = (Flyteidl__Core__TaskTemplate *)decode_ok(&a, &flyteidl__core__task_template__descriptor,
						      "{\"config\":{\"b\":\"2\",\"a\":\"1\",\"\":\"0\"}}", 0);
	assert_int_equal(t->n_config, 3);
	assert_string_equal(t->config[0]->key, "b");
	assert_encodes(&t->base, 0, "{\"config\":{\"b\":\"2\",\"a\":\"1\",\"\":\"0\"}}");
	assert_encodes(&t->base, FC_PBJSON_SORT_MAPS, "{\"config\":{\"\":\"0\",\"a\":\"1\",\"b\":\"2\"}}");
	assert_encodes(&t->base, FC_PBJSON_PRETTY | FC_PBJSON_SORT_MAPS,
		       "{\n  \"config\": {\n    \"\": \"0\",\n    \"a\": \"1\",\n    \"b\": \"2\"\n  }\n}");
	/* The same key twice in a message: the last one wins, as in protobuf. */
	t->config[1]->key = t->config[0]->key;
	assert_encodes(&t->base, FC_PBJSON_SORT_MAPS, "{\"config\":{\"\":\"0\",\"b\":\"1\"}}");
	decode_fails(&flyteidl__core__task_template__descriptor, "{\"config\":{\"a\":1}}", "$.config.a",
		     "expected a string");
	decode_fails(&flyteidl__core__task_template__descriptor, "{\"config\":{\"a\":null}}", "$.config.a",
		     "null is not allowed");
	decode_fails(&flyteidl__core__task_template__descriptor, "{\"config\":[]}", "$.config", "expected an object");
	decode_fails(&flyteidl__core__task_template__descriptor, "{\"container\":{\"args\":\"a\"}}",
		     "$.container.args", "expected an array");
	decode_fails(&flyteidl__core__task_template__descriptor, "{\"container\":{\"args\":[\"a\",null]}}",
		     "$.container.args[1]", "null is not allowed");
	decode_fails(&flyteidl__core__task_template__descriptor, "{\"config\":{\"we ird\":{}}}",
		     "$.config[\"we ird\"]", "expected a string");
	fc_arena_release(&a);
}

static void test_timestamp_duration(void **state)
{
	struct fc_arena a;
	Google__Protobuf__Timestamp *ts;
	char text[FC_PBJSON_TIME_TEXT_MAX];

	(void)state;
	fc_arena_init(&a, 0);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02T15:04:05.123Z\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02T15:04:05Z\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02T15:04:05.1Z\"}",
		       "{\"datetime\":\"2006-01-02T15:04:05.100Z\"}");
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02T15:04:05.000001Z\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02T15:04:05.000000001Z\"}",
		       NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02T16:04:05+01:00\"}",
		       "{\"datetime\":\"2006-01-02T15:04:05Z\"}");
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"0001-01-01T00:00:00Z\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"9999-12-31T23:59:59.999999999Z\"}",
		       NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2024-02-29T00:00:00Z\"}", NULL);
	ts = (Google__Protobuf__Timestamp *)decode_ok(&a, &google__protobuf__timestamp__descriptor,
						      "\"1970-01-01T00:00:01.5Z\"", 0);
	assert_int_equal(ts->seconds, 1);
	assert_int_equal(ts->nanos, 500000000);
	ts = (Google__Protobuf__Timestamp *)decode_ok(&a, &google__protobuf__timestamp__descriptor,
						      "\"1969-12-31T23:59:59Z\"", 0);
	assert_int_equal(ts->seconds, -1);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"duration\":\"1.5s\"}", "{\"duration\":\"1.500s\"}");
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"duration\":\"-0.001s\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"duration\":\"3s\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"duration\":\"0s\"}", NULL);
	roundtrip_text(&flyteidl__core__primitive__descriptor, "{\"duration\":\"-315576000000s\"}", NULL);
	assert_int_equal(fc_pbjson_timestamp_format(253402300800, 0, text, NULL), FC_EINVAL);
	/* the text of both ends of the range and of each fraction width (written without printf) */
	assert_int_equal(fc_pbjson_timestamp_format(-62135596800, 0, text, NULL), FC_OK);
	assert_string_equal(text, "0001-01-01T00:00:00Z");
	assert_int_equal(fc_pbjson_timestamp_format(253402300799, 999999999, text, NULL), FC_OK);
	assert_string_equal(text, "9999-12-31T23:59:59.999999999Z");
	assert_int_equal(fc_pbjson_timestamp_format(1709210096, 1000, text, NULL), FC_OK);
	assert_string_equal(text, "2024-02-29T12:34:56.000001Z");
	assert_int_equal(fc_pbjson_timestamp_format(-1, 7000000, text, NULL), FC_OK);
	assert_string_equal(text, "1969-12-31T23:59:59.007Z");
	assert_int_equal(fc_pbjson_duration_format(-315576000000, 0, text, NULL), FC_OK);
	assert_string_equal(text, "-315576000000s");
	assert_int_equal(fc_pbjson_duration_format(0, -20, text, NULL), FC_OK);
	assert_string_equal(text, "-0.000000020s");
	assert_int_equal(fc_pbjson_duration_format(0, 0, text, NULL), FC_OK);
	assert_string_equal(text, "0s");
	assert_int_equal(fc_pbjson_duration_format(1, -1, text, NULL), FC_EINVAL);
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-13-01T00:00:00Z\"}", "$.datetime",
		     "invalid timestamp");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2023-02-29T00:00:00Z\"}", "$.datetime",
		     "no such date");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02 15:04:05Z\"}", "$.datetime",
		     "RFC 3339");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02T15:04:05\"}", "$.datetime",
		     "invalid timestamp");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"2006-01-02T15:04:05.1234567891Z\"}",
		     "$.datetime", "invalid timestamp");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"datetime\":\"10000-01-01T00:00:00Z\"}", "$.datetime",
		     "invalid timestamp");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"datetime\":1}", "$.datetime", "expected a string");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"duration\":\"1.5\"}", "$.duration",
		     "invalid duration");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"duration\":\"1m\"}", "$.duration",
		     "invalid duration");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"duration\":\"315576000001s\"}", "$.duration",
		     "out of range");
	decode_fails(&flyteidl__core__primitive__descriptor, "{\"duration\":\"s\"}", "$.duration",
		     "invalid duration");
	fc_arena_release(&a);
}

static void test_struct_value(void **state)
{
	struct fc_arena a;

	(void)state;
	fc_arena_init(&a, 0);
	roundtrip_text(&flyteidl__core__task_template__descriptor,
		       "{\"custom\":{\"z\":-3,\"a\":[1,\"x\",true,null,{\"b\":2.5,\"a\":{}},[]]}}", NULL);
	assert_encodes(decode_ok(&a, &flyteidl__core__task_template__descriptor,
				 "{\"custom\":{\"z\":-3,\"a\":[{\"b\":2.5,\"a\":{}}]}}", 0),
		       FC_PBJSON_SORT_MAPS, "{\"custom\":{\"a\":[{\"a\":{},\"b\":2.5}],\"z\":-3}}");
	fc_arena_release(&a);
	roundtrip_text(&flyteidl__core__task_template__descriptor, "{\"custom\":{}}", NULL);
	roundtrip_text(&google__protobuf__value__descriptor, "null", NULL);
	roundtrip_text(&google__protobuf__value__descriptor, "\"s\"", NULL);
	roundtrip_text(&google__protobuf__list_value__descriptor, "[1,[2,[3]]]", NULL);
	decode_fails(&flyteidl__core__task_template__descriptor, "{\"custom\":[1]}", "$.custom",
		     "expected an object for google.protobuf.Struct");
	decode_fails(&google__protobuf__list_value__descriptor, "{}", "$", "expected an array");
}

static void test_wrappers_empty(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__TaskMetadata *md;

	(void)state;
	fc_arena_init(&a, 0);
	md = (Flyteidl__Core__TaskMetadata *)decode_ok(&a, &flyteidl__core__task_metadata__descriptor,
						       "{\"generatesDeck\":false}", 0);
	assert_non_null(md->generates_deck);
	assert_false(md->generates_deck->value);
	assert_encodes(&md->base, 0, "{\"generatesDeck\":false}");
	roundtrip_text(&google__protobuf__int64_value__descriptor, "\"0\"", NULL);
	roundtrip_text(&google__protobuf__uint64_value__descriptor, "\"18446744073709551615\"", NULL);
	roundtrip_text(&google__protobuf__string_value__descriptor, "\"\"", NULL);
	roundtrip_text(&google__protobuf__bytes_value__descriptor, "\"AAE=\"", NULL);
	roundtrip_text(&google__protobuf__double_value__descriptor, "\"-Infinity\"", NULL);
	roundtrip_text(&google__protobuf__uint32_value__descriptor, "7", NULL);
	roundtrip_text(&google__protobuf__empty__descriptor, "{}", NULL);
	decode_fails(&google__protobuf__empty__descriptor, "{\"a\":1}", "$.a", "unknown field");
	decode_fails(&flyteidl__core__task_metadata__descriptor, "{\"generatesDeck\":1}", "$.generatesDeck",
		     "expected true or false");
	fc_arena_release(&a);
}

static void test_any(void **state)
{
	struct fc_arena a;
	ProtobufCMessage *m;

	(void)state;
	fc_arena_init(&a, 0);
	decode_fails(&google__protobuf__any__descriptor, "{\"@type\":\"type.googleapis.com/flyteidl.core.Identifier\"}",
		     "$", "not registered");
	assert_int_equal(fc_pbjson_register(&flyteidl__core__identifier__descriptor), FC_OK);
	assert_int_equal(fc_pbjson_register(&flyteidl__core__identifier__descriptor), FC_OK);
	assert_ptr_equal(fc_pbjson_lookup("flyteidl.core.Identifier"), &flyteidl__core__identifier__descriptor);
	roundtrip_text(&google__protobuf__any__descriptor,
		       "{\"@type\":\"type.googleapis.com/flyteidl.core.Identifier\",\"name\":\"n\","
		       "\"resourceType\":\"TASK\"}",
		       "{\"@type\":\"type.googleapis.com/flyteidl.core.Identifier\",\"resourceType\":\"TASK\","
		       "\"name\":\"n\"}");
	roundtrip_text(&google__protobuf__any__descriptor,
		       "{\"@type\":\"type.googleapis.com/google.protobuf.Duration\",\"value\":\"1s\"}", NULL);
	roundtrip_text(&google__protobuf__any__descriptor,
		       "{\"@type\":\"type.googleapis.com/google.protobuf.Struct\",\"value\":{\"a\":[true]}}", NULL);
	roundtrip_text(&google__protobuf__any__descriptor, "{}", NULL);
	{
		struct fc_buf deep = FC_BUF_INIT;
		int i;

		for (i = 0; i < 9; i++)
			fc_buf_adds(&deep, "{\"@type\":\"type.googleapis.com/google.protobuf.Any\",\"value\":");
		fc_buf_adds(&deep, "{}");
		fc_buf_addchars(&deep, '}', 9);
		decode_fails(&google__protobuf__any__descriptor, deep.buf, "$.value.value.value",
			     "nested deeper than 8");
		fc_buf_release(&deep);
	}
	roundtrip_text(&google__protobuf__any__descriptor,
		       "{\"@type\":\"type.googleapis.com/google.protobuf.Any\",\"value\":{\"@type\":"
		       "\"type.googleapis.com/google.protobuf.Int64Value\",\"value\":\"5\"}}",
		       NULL);
	m = decode_ok(&a, &google__protobuf__any__descriptor,
		      "{\"@type\":\"type.googleapis.com/flyteidl.core.Identifier\",\"name\":\"n\"}", 0);
	assert_int_equal(((Google__Protobuf__Any *)m)->value.len, 3);
	decode_fails(&google__protobuf__any__descriptor,
		     "{\"@type\":\"type.googleapis.com/flyteidl.core.Identifier\",\"bogus\":1}", "$.bogus",
		     "unknown field");
	decode_fails(&google__protobuf__any__descriptor, "{\"name\":\"x\"}", "$", "without \"@type\"");
	decode_fails(&google__protobuf__any__descriptor, "{\"@type\":\"type.googleapis.com/google.protobuf.Duration\","
							 "\"value\":\"x\"}",
		     "$.value", "invalid duration");
	decode_fails(&flyteidl__admin__launch_plan_spec__descriptor,
		     "{\"entityMetadata\":{\"launchConditions\":{\"@type\":\"x/no.Such\"}}}",
		     "$.entityMetadata.launchConditions", "unknown");
	fc_arena_release(&a);
}

static void test_ignore_unknown(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__Identifier *id;

	(void)state;
	fc_arena_init(&a, 0);
	id = (Flyteidl__Core__Identifier *)decode_ok(
		&a, &flyteidl__core__identifier__descriptor,
		"{\"name\":\"n\",\"future\":{\"deep\":[1,2]},\"other\":null}", FC_PBJSON_IGNORE_UNKNOWN);
	assert_string_equal(id->name, "n");
	fc_arena_release(&a);
}

static void test_must_reject(void **state)
{
	static const struct {
		const ProtobufCMessageDescriptor *desc;
		const char *text, *path, *what;
	} cases[] = {
		{&flyteidl__core__task_template__descriptor, "{\"id\":{\"bogus\":1}}", "$.id.bogus",
		 "unknown field \"bogus\" in flyteidl.core.Identifier"},
		{&flyteidl__core__task_template__descriptor, "{\"id\":{\"name\":5}}", "$.id.name", "expected a string"},
		{&flyteidl__core__task_template__descriptor, "{\"id\":[]}", "$.id",
		 "expected an object for flyteidl.core.Identifier, got an array"},
		{&flyteidl__core__workflow_closure__descriptor,
		 "{\"workflow\":{\"nodes\":[{},{},{},{\"taskNode\":{\"referenceId\":{\"resourceType\":\"TASKX\"}}}]}}",
		 "$.workflow.nodes[3].taskNode.referenceId.resourceType: ",
		 "unknown enum value \"TASKX\" for flyteidl.core.ResourceType"},
		{&flyteidl__core__literal__descriptor, "{\"scalar\":{\"binary\":{\"value\":\"@@@@\"}}}",
		 "$.scalar.binary.value", "invalid base64"},
		{&flyteidl__core__workflow_closure__descriptor,
		 "{\"workflow\":{\"nodes\":[{\"metadata\":{\"retries\":{\"retries\":-5}}}]}}",
		 "$.workflow.nodes[0].metadata.retries.retries", "out of range for uint32"},
		{&flyteidl__core__literal__descriptor,
		 "{\"scalar\":{\"primitive\":{\"integer\":\"1\"}},\"collection\":{}}", "$.collection", "oneof"},
		{&flyteidl__core__literal__descriptor, "{\"scalar\":{\"primitive\":{\"datetime\":\"yesterday\"}}}",
		 "$.scalar.primitive.datetime", "invalid timestamp"},
		{&flyteidl__core__literal__descriptor, "{\"scalar\":{\"primitive\":{\"duration\":\"5 min\"}}}",
		 "$.scalar.primitive.duration", "invalid duration"},
		{&flyteidl__core__literal__descriptor, "{\"scalar\":{\"primitive\":{\"integer\":\"1\"}}} x", "$:",
		 "invalid JSON"},
		{&flyteidl__core__literal__descriptor, "{\"hash\":\"a\",\"hash\":\"b\"}", "$:", "duplicate"},
		{&flyteidl__core__literal__descriptor, "[]", "$: ", "expected an object for flyteidl.core.Literal"},
		{&flyteidl__core__literal__descriptor, "", "$:", "invalid JSON"},
		{&flyteidl__admin__launch_plan__descriptor, "{\"spec\":{\"fixedInputs\":{\"literals\":{\"x\":7}}}}",
		 "$.spec.fixedInputs.literals.x", "expected an object for flyteidl.core.Literal"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(cases); i++)
		decode_fails(cases[i].desc, cases[i].text, cases[i].path, cases[i].what);
}

/* 10,000 levels: refused by the parser (text) and by the decoder's own limit (a built JSON value). */
static void test_deep_nesting(void **state)
{
	struct fc_buf text = FC_BUF_INIT;
	json_t *root, *inner;
	ProtobufCMessage *m = NULL;
	struct fc_err err;
	size_t i;

	(void)state;
	fc_buf_adds(&text, "{\"custom\":{\"a\":");
	fc_buf_addchars(&text, '[', 10000);
	fc_buf_addchars(&text, ']', 10000);
	fc_buf_adds(&text, "}}");
	decode_fails(&flyteidl__core__task_template__descriptor, text.buf, "$:", "depth");
	fc_buf_reset(&text);
	fc_buf_adds(&text, "{\"custom\":");
	for (i = 0; i < 10000; i++)
		fc_buf_adds(&text, "{\"a\":");
	fc_buf_adds(&text, "1");
	fc_buf_addchars(&text, '}', 10001);
	decode_fails(&flyteidl__core__task_template__descriptor, text.buf, "$:", "depth");
	fc_buf_release(&text);

	inner = json_integer(1);
	for (i = 0; i < 10000; i++) {
		json_t *arr = json_array();

		json_array_append_new(arr, inner);
		inner = arr;
	}
	root = json_pack("{s:{s:o}}", "custom", "a", inner);
	assert_non_null(root);
	fc_err_clear(&err);
	assert_int_equal(fc_pbjson_decode(root, &flyteidl__core__task_template__descriptor, NULL, 0, &m, &err),
			 FC_ELIMIT);
	assert_null(m);
	assert_non_null(strstr(err.msg, "$.custom.a[0][0][0]"));
	assert_non_null(strstr(err.msg, "nesting deeper than 200 levels"));
	json_decref(root);

	/* Nested messages (not Struct) too: Literal collections. */
	inner = json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "integer", "1");
	for (i = 0; i < 10000; i++)
		inner = json_pack("{s:{s:[o]}}", "collection", "literals", inner);
	fc_err_clear(&err);
	assert_int_equal(fc_pbjson_decode(inner, &flyteidl__core__literal__descriptor, NULL, 0, &m, &err), FC_ELIMIT);
	assert_non_null(strstr(err.msg, "$.collection.literals[0].collection"));
	assert_non_null(strstr(err.msg, "levels)"));
	json_decref(inner);
}

static void test_free_on_error(void **state)
{
	(void)state;
	/* With the malloc allocator, partly built messages are freed (ASan/LSan would report leaks). */
	decode_fails(&flyteidl__core__workflow_closure__descriptor,
		     "{\"workflow\":{\"id\":{\"name\":\"w\"},\"nodes\":[{\"id\":\"a\",\"inputs\":[{\"var\":\"x\"}]},"
		     "{\"id\":\"b\",\"metadata\":{\"name\":\"m\",\"timeout\":\"1s\"}},{\"bogus\":1}]},"
		     "\"tasks\":[]}",
		     "$.workflow.nodes[2].bogus", "unknown field");
	decode_fails(&flyteidl__core__literal__descriptor,
		     "{\"map\":{\"literals\":{\"a\":{\"scalar\":{\"primitive\":{\"stringValue\":\"s\"}}},"
		     "\"b\":{\"scalar\":{\"binary\":{\"value\":\"AAAA\",\"tag\":\"t\"}}},\"c\":{\"hash\":7}}}}",
		     "$.map.literals.c.hash", "expected a string");
	decode_fails(&google__protobuf__any__descriptor,
		     "{\"@type\":\"type.googleapis.com/google.protobuf.Struct\",\"value\":{\"a\":\"x\",\"b\":[1,{\"c\":"
		     "\"d\"}],\"e\":}}",
		     "$:", "invalid JSON");
	decode_fails(&google__protobuf__any__descriptor,
		     "{\"@type\":\"type.googleapis.com/google.protobuf.Struct\",\"value\":{\"a\":\"x\",\"b\":[1,{\"c\":"
		     "\"d\"}]},\"e\":1}",
		     "$.e", "unknown field");
}

static void test_malloc_allocator(void **state)
{
	ProtobufCMessage *m = NULL;
	const char *text = "{\"template\":{\"id\":{\"name\":\"t\"},\"custom\":{\"a\":[1,{\"b\":\"c\"}]},"
			   "\"config\":{\"k\":\"v\"},\"container\":{\"args\":[\"x\",\"y\"]}}}";
	struct fc_err err;

	(void)state;
	fc_err_clear(&err);
	assert_int_equal(fc_pbjson_decode_text(text, strlen(text), &flyteidl__admin__task_spec__descriptor, NULL, 0,
					       &m, &err),
			 FC_OK);
	assert_encodes(m, 0,
		       "{\"template\":{\"id\":{\"name\":\"t\"},\"custom\":{\"a\":[1,{\"b\":\"c\"}]},"
		       "\"container\":{\"args\":[\"x\",\"y\"]},\"config\":{\"k\":\"v\"}}}");
	protobuf_c_message_free_unpacked(m, NULL);
}

/* --- YAML -------------------------------------------------------------------------------------------------- */

static json_t *yaml_json(const char *text, struct fc_err *err)
{
	struct fc_arena a;
	struct fc_diags diags;
	struct fc_source *src = fc_source_new_take("t.yaml", fc_xstrdup(text), strlen(text));
	struct fc_ydoc *docs;
	size_t ndocs;
	json_t *out = NULL;

	fc_arena_init(&a, 0);
	fc_diags_init(&diags);
	assert_int_equal(fc_yaml_load(&a, src, NULL, &docs, &ndocs, &diags), 0);
	assert_int_equal(ndocs, 1);
	if (fc_yaml_to_json(docs[0].root, &out, err))
		out = NULL;
	fc_diags_release(&diags);
	fc_source_free(src);
	fc_arena_release(&a);
	return out;
}

static void test_yaml_core_schema(void **state)
{
	static const struct {
		const char *yaml, *json;
	} cases[] = {
		{"a: ~\nb: null\nc: NULL\nd:\ne: ''\n", "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":\"\"}"},
		{"[true, True, FALSE, yes, no, on, 'true']", "[true,true,false,\"yes\",\"no\",\"on\",\"true\"]"},
		{"[0, -12, +7, 0x1F, 0o17, 012, '12', \"12\", !!str 12, 9223372036854775807]",
		 "[0,-12,7,31,15,12,\"12\",\"12\",\"12\",9223372036854775807]"},
		{"[1.5, -0.5, .5, 1e3, 1.5E-3, 1., .inf, -.Inf, +.INF, .nan]",
		 "[1.5,-0.5,0.5,1000.0,0.0015,1.0,\"Infinity\",\"-Infinity\",\"Infinity\",\"NaN\"]"},
		{"[!!float 1, !!int '3', !!bool 'true', !!null '', ! 12]", "[1.0,3,true,null,\"12\"]"},
		{"[0x, 0o8, 1e, 1_000, 1:20, 2024-01-01, abc, '~']",
		 "[\"0x\",\"0o8\",\"1e\",\"1_000\",\"1:20\",\"2024-01-01\",\"abc\",\"~\"]"},
		{"s: |\n  two\n  lines\nf: >\n  folded\n  text\n",
		 "{\"s\":\"two\\nlines\\n\",\"f\":\"folded text\\n\"}"},
		{"1: a\n~: b\ntrue: c\n", "{\"1\":\"a\",\"~\":\"b\",\"true\":\"c\"}"},
		{"a: &x [1, 2]\nb: *x\n", "{\"a\":[1,2],\"b\":[1,2]}"},
		{"", "null"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(cases); i++) {
		struct fc_err err;
		json_error_t jerr;
		json_t *got, *want = json_loads(cases[i].json, JSON_DECODE_ANY, &jerr);

		fc_err_clear(&err);
		assert_non_null(want);
		if (!*cases[i].yaml) {
			assert_int_equal(fc_yaml_to_json(NULL, &got, &err), 0);
		} else {
			got = yaml_json(cases[i].yaml, &err);
			if (!got)
				fail_msg("%s: %s", cases[i].yaml, err.msg);
		}
		assert_json_equal(got, want);
		json_decref(got);
		json_decref(want);
	}
}

static void test_yaml_rejects(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{"a: 1\nb: 9223372036854775808\n", "2:4: number \"9223372036854775808\" is out of range"},
		{"a: [0x8000000000000000]\n", "1:5: "},
		{"a: 1e999\n", "1:4: "},
		{"? [a]\n: 1\n", "1:3: mapping keys must be scalars"},
		{"a: !!int x\n", "1:4: \"x\" is not a valid !!int"},
		{"a: !custom x\n", "1:4: unsupported tag"},
		{"a: !!map [1]\n", "1:4: unsupported tag"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(cases); i++) {
		struct fc_err err;
		json_t *got;

		fc_err_clear(&err);
		got = yaml_json(cases[i].yaml, &err);
		if (got) {
			json_decref(got);
			fail_msg("%s: should fail", cases[i].yaml);
		}
		if (!strstr(err.msg, cases[i].want))
			fail_msg("%s: error \"%s\" lacks \"%s\"", cases[i].yaml, err.msg, cases[i].want);
	}
}

static void test_json_to_yaml(void **state)
{
	const char *json = "{\"a\":\"123\",\"b\":123,\"c\":\"yes\",\"d\":\"\",\"e\":\"multi\\nline\\n\",\"f\":1.0,"
			   "\"g\":[],\"h\":{},\"i\":[1,{\"j\":null,\"k\":true}],\"l\":\"{{.input}}\",\"m\":\"-1.5\","
			   "\"n\":\"plain text\",\"o\":\"0.5e3\",\"p\":\"caf\xc3\xa9\",\"123\":\"key\",\"q\":\"a: b\","
			   "\"r\":\"x\\u0000y\",\"s\":2.5e-7,\"t\":\"Infinity\"}";
	const char *want = "a: '123'\n"
			   "b: 123\n"
			   "c: 'yes'\n"
			   "d: ''\n"
			   "e: |\n"
			   "  multi\n"
			   "  line\n"
			   "f: 1.0\n"
			   "g: []\n"
			   "h: {}\n"
			   "i:\n"
			   "- 1\n"
			   "- j: null\n"
			   "  k: true\n"
			   "l: '{{.input}}'\n"
			   "m: '-1.5'\n"
			   "'n': plain text\n"
			   "o: '0.5e3'\n"
			   "p: caf\xc3\xa9\n"
			   "'123': key\n"
			   "q: 'a: b'\n"
			   "r: \"x\\0y\"\n"
			   "s: 2.5e-7\n"
			   "t: Infinity\n";
	struct fc_buf out = FC_BUF_INIT;
	struct fc_err err;
	json_error_t jerr;
	json_t *j = json_loadb(json, strlen(json), JSON_ALLOW_NUL, &jerr), *back;

	(void)state;
	assert_non_null(j);
	fc_err_clear(&err);
	assert_int_equal(fc_json_to_yaml(j, &out, &err), 0);
	if (strcmp(out.buf, want)) {
		FILE *f = fopen("build/test_pbjson.yaml", "w");

		if (f) {
			fputs(out.buf, f);
			fclose(f);
		}
		fail_msg("YAML differs from the expected text (written to build/test_pbjson.yaml)");
	}
	back = yaml_json(out.buf, &err);
	assert_non_null(back);
	assert_json_equal(back, j);
	json_decref(back);
	json_decref(j);
	fc_buf_release(&out);
}

static void test_yaml_decode_errors(void **state)
{
	struct fc_arena a;
	ProtobufCMessage *m = NULL;
	struct fc_err err;
	const char *ok = "template:\n  id: {resourceType: TASK, name: t}\n  custom: {a: [1, .inf]}\n"
			 "  container:\n    args: [x, '1']\n";
	const char *bad_enum = "template:\n  id:\n    name: t\n    resourceType: TASKX\n";
	const char *bad_field = "template:\n  type: python\n  bogus: 1\n";
	const char *bad_null = "template:\n  container:\n    args: [a, ~]\n";
	const char *bad_yaml = "template: [\n";

	(void)state;
	fc_arena_init(&a, 0);
	fc_err_clear(&err);
	assert_int_equal(fc_pbjson_decode_yaml_text(ok, strlen(ok), &flyteidl__admin__task_spec__descriptor,
						    fc_arena_pb_allocator(&a), 0, &m, &err),
			 0);
	assert_encodes(m, 0,
		       "{\"template\":{\"id\":{\"resourceType\":\"TASK\",\"name\":\"t\"},\"custom\":{\"a\":[1,"
		       "\"Infinity\"]},\"container\":{\"args\":[\"x\",\"1\"]}}}");
	assert_int_equal(fc_pbjson_decode_yaml_text(bad_enum, strlen(bad_enum), &flyteidl__admin__task_spec__descriptor,
						    fc_arena_pb_allocator(&a), 0, &m, &err),
			 FC_EINVAL);
	assert_string_equal(err.msg, "4:19: $.template.id.resourceType: unknown enum value \"TASKX\" for "
				     "flyteidl.core.ResourceType");
	assert_int_equal(fc_pbjson_decode_yaml_text(bad_field, strlen(bad_field),
						    &flyteidl__admin__task_spec__descriptor, NULL, 0, &m, &err),
			 FC_EINVAL);
	assert_string_equal(err.msg, "3:10: $.template.bogus: unknown field \"bogus\" in flyteidl.core.TaskTemplate");
	assert_int_equal(fc_pbjson_decode_yaml_text(bad_null, strlen(bad_null), &flyteidl__admin__task_spec__descriptor,
						    NULL, 0, &m, &err),
			 FC_EINVAL);
	assert_non_null(strstr(err.msg, "3:11: $.template.container.args[1]: null is not allowed"));
	assert_int_equal(fc_pbjson_decode_yaml_text(bad_yaml, strlen(bad_yaml), &flyteidl__admin__task_spec__descriptor,
						    NULL, 0, &m, &err),
			 FC_EPARSE);
	assert_non_null(strstr(err.msg, "2:1: "));
	assert_int_equal(fc_pbjson_decode_yaml_text("a: 1\n---\nb: 2\n", 14, &flyteidl__admin__task_spec__descriptor,
						    NULL, 0, &m, &err),
			 FC_EINVAL);
	assert_non_null(strstr(err.msg, "one YAML document"));
	fc_arena_release(&a);
}

static void test_text_helpers(void **state)
{
	uint8_t out[16];
	size_t n;
	struct fc_buf b = FC_BUF_INIT;
	int64_t s;
	int32_t ns;

	(void)state;
	fc_pbjson_base64_encode((const uint8_t *)"ab", 2, &b);
	assert_string_equal(b.buf, "YWI=");
	assert_true(fc_pbjson_base64_decode("YWI", 3, out, &n));
	assert_int_equal(n, 2);
	assert_false(fc_pbjson_base64_decode("Y", 1, out, &n));
	assert_false(fc_pbjson_base64_decode("YW=I", 4, out, &n));
	assert_false(fc_pbjson_base64_decode("====", 4, out, &n));
	assert_true(fc_pbjson_base64_decode("", 0, out, &n));
	assert_int_equal(n, 0);
	fc_buf_release(&b);
	assert_int_equal(fc_pbjson_timestamp_parse("2000-02-29t12:00:00.5-00:30", &s, &ns, NULL), 0);
	assert_int_equal(s, 951827400);
	assert_int_equal(ns, 500000000);
	assert_int_equal(fc_pbjson_timestamp_parse("2000-01-01T24:00:00Z", &s, &ns, NULL), FC_EINVAL);
	assert_int_equal(fc_pbjson_timestamp_parse("2000-01-01T23:59:60Z", &s, &ns, NULL), FC_EINVAL);
	assert_int_equal(fc_pbjson_duration_parse("-0.5s", &s, &ns, NULL), 0);
	assert_int_equal(s, 0);
	assert_int_equal(ns, -500000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_int32_ranges),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_bool_and_strings),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_oneof),
		cmocka_unit_test(test_messages_presence),
		cmocka_unit_test(test_repeated_and_maps),
		cmocka_unit_test(test_timestamp_duration),
		cmocka_unit_test(test_struct_value),
		cmocka_unit_test(test_wrappers_empty),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_ignore_unknown),
		cmocka_unit_test(test_must_reject),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_free_on_error),
		cmocka_unit_test(test_malloc_allocator),
		cmocka_unit_test(test_yaml_core_schema),
		cmocka_unit_test(test_yaml_rejects),
		cmocka_unit_test(test_json_to_yaml),
		cmocka_unit_test(test_yaml_decode_errors),
		cmocka_unit_test(test_text_helpers),
		cmocka_unit_test(test_corpus_pb_json),
		cmocka_unit_test(test_corpus_pb_json_pretty),
		cmocka_unit_test(test_corpus_pb_json_defaults),
		cmocka_unit_test(test_corpus_pb_yaml),
		cmocka_unit_test(test_corpus_go_json),
		cmocka_unit_test(test_corpus_both_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
