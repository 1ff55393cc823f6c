/* fuzz_adm_body_event_task.c: libFuzzer target for POST /api/v1/events/tasks request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/events/tasks"
#include "tests/fuzz/fuzz_adm_body.h"
