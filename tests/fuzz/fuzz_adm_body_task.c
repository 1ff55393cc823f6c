/* fuzz_adm_body_task.c: libFuzzer target for POST /api/v1/tasks request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/tasks"
#include "tests/fuzz/fuzz_adm_body.h"
