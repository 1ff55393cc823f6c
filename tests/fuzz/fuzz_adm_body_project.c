/* fuzz_adm_body_project.c: libFuzzer target for POST /api/v1/projects request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/projects"
#include "tests/fuzz/fuzz_adm_body.h"
