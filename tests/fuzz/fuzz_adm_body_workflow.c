/* fuzz_adm_body_workflow.c: libFuzzer target for POST /api/v1/workflows request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/workflows"
#include "tests/fuzz/fuzz_adm_body.h"
