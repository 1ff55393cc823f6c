/* fuzz_adm_body_project_update.c: libFuzzer target for PUT /api/v1/projects/flytesnacks request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "PUT"
#define FUZZ_URL "/api/v1/projects/flytesnacks"
#include "tests/fuzz/fuzz_adm_body.h"
