/* fuzz_yaml.c: libFuzzer target for the YAML front end: arbitrary bytes as a spec file, compiled and rendered. */
#include "compiler/compiler.h"
#include "core/buf.h"
#include "core/diag.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmp_options opts;
	struct cmp_session *s;
	struct fc_buf out = FC_BUF_INIT;
	char *text = malloc(size + 1);

	memset(&opts, 0, sizeof(opts));
	opts.version = "fuzz"; /* skip hashing: not what is being fuzzed */
	memcpy(text, data, size);
	text[size] = '\0';
	s = cmp_session_new(&opts);
	cmp_add_source_take(s, "fuzz.yaml", text, size);
	cmp_compile(s);
	fc_diags_render(cmp_diags(s), FC_DIAG_TEXT, false, &out);
	fc_diags_render(cmp_diags(s), FC_DIAG_JSON, false, &out);
	cmp_render_text(s, &out);
	cmp_render_dot(s, &out);
	fc_buf_release(&out);
	cmp_session_free(s);
	return 0;
}
