/* fuzz_adm_body_launch_plan.c: libFuzzer target for POST /api/v1/launch_plans request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/launch_plans"
#include "tests/fuzz/fuzz_adm_body.h"
