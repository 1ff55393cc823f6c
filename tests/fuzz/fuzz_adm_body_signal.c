/* fuzz_adm_body_signal.c: libFuzzer target for POST /api/v1/signals request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/signals"
#include "tests/fuzz/fuzz_adm_body.h"
