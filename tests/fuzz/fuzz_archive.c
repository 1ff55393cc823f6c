/*
 * fuzz_archive.c: libFuzzer target for the `pyflyte package` archive reader (compiler/idl.c) and what follows it.
 *
 * Arbitrary bytes are given to the compiler as a ".tgz" source (libarchive detects gzip'd and plain tar alike),
 * then compiled; whatever was read is converted back to the YAML spec language (compiler/convert.c) and, when it
 * compiles, packaged again (compiler/package.c), and the package must compile. Nothing may crash, leak or hang.
 *
 *   make build/fuzz/fuzz_archive
 *   mkdir -p build/fuzz/corpus_archive && S=../shared/flyte-testdata/snacks-core &&
 *     tar -C $S -czf build/fuzz/corpus_archive/basic.tgz 083_core.flyte_basics.basic_workflow.t1_1.pb \
 *       084_core.flyte_basics.basic_workflow.t2_1.pb 085_core.flyte_basics.basic_workflow.my_wf_2.pb \
 *       086_core.flyte_basics.basic_workflow.my_wf_3.pb &&
 *     tar -C $S -cf build/fuzz/corpus_archive/conditions.tar 024_core.control_flow.conditions.square_1.pb \
 *       025_core.control_flow.conditions.double_1.pb 026_core.control_flow.conditions.multiplier_2.pb
 *   build/fuzz/fuzz_archive -max_total_time=300 -rss_limit_mb=2048 build/fuzz/corpus_archive
 */
#include "compiler/compiler.h"
#include "compiler/convert.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (4 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmp_session *s;
	struct fc_buf yaml = FC_BUF_INIT;
	char *text;
	int rc;

	if (size > MAX_INPUT)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	s = cmp_session_new(NULL);
	cmp_add_source_take(s, "fuzz.tgz", text, size);
	rc = cmp_convert_to_spec(s, NULL, &yaml, NULL, NULL);
	if (rc == FC_OK && !cmp_diags(s)->nerrors) {
		struct fc_buf tgz = FC_BUF_INIT;

		if (cmp_package_write(s, NULL, &tgz, NULL, NULL) == FC_OK) {
			struct cmp_session *again = cmp_session_new(NULL);
			char *copy = malloc(tgz.len + 1);

			if (copy) {
				memcpy(copy, tgz.buf, tgz.len);
				copy[tgz.len] = '\0';
				cmp_add_source_take(again, "again.tgz", copy, tgz.len);
				if (cmp_compile(again) != FC_OK)
					FC_BUG("a package written from a clean compile does not compile again");
			}
			cmp_session_free(again);
		}
		fc_buf_release(&tgz);
	}
	fc_buf_release(&yaml);
	cmp_session_free(s);
	return 0;
}
