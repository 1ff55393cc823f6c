/* fuzz_adm_body_event_workflow.c: libFuzzer target for POST /api/v1/events/workflows request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/events/workflows"
#include "tests/fuzz/fuzz_adm_body.h"
