/* fuzz_adm_body_event_node.c: libFuzzer target for POST /api/v1/events/nodes request bodies (see fuzz_adm_body.h). */
#define FUZZ_METHOD "POST"
#define FUZZ_URL "/api/v1/events/nodes"
#include "tests/fuzz/fuzz_adm_body.h"
