/* fuzz_adm_body_execution.c: libFuzzer target for POST /api/v1/executions request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/executions"
#include "tests/fuzz/fuzz_adm_body.h"
