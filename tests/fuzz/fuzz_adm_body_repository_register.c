/* fuzz_adm_body_repository_register.c: libFuzzer target for POST /api/v1/repository/register request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/repository/register"
#include "tests/fuzz/fuzz_adm_body.h"
