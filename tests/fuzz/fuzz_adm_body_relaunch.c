/* fuzz_adm_body_relaunch.c: libFuzzer target for POST /api/v1/executions/relaunch request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/executions/relaunch"
#include "tests/fuzz/fuzz_adm_body.h"
