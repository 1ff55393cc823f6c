/* fuzz_adm_body_launch_plan_state.c: libFuzzer target for PUT /api/v1/launch_plans/flytesnacks/development/main/v1 request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "PUT"
#define FUZZ_URL "/api/v1/launch_plans/flytesnacks/development/main/v1"
#include "tests/fuzz/fuzz_adm_body.h"
