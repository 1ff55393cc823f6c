/* fuzz_adm_body_terminate.c: libFuzzer target for DELETE /api/v1/executions/flytesnacks/development/run1 request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "DELETE"
#define FUZZ_URL "/api/v1/executions/flytesnacks/development/run1"
#include "tests/fuzz/fuzz_adm_body.h"
