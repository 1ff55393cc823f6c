/*
 * fuzz_adm_body.h: the body of the admin's REST request fuzz targets, one target per body kind
 * (fuzz_adm_body_<kind>.c defines FUZZ_METHOD and FUZZ_URL, then includes this file).
 *
 * Each input is a request body sent through the server's real routing and handler (adm_serve_offline: the same
 * JSON decoding, validation and store calls as over HTTP, without a socket) against an in-memory store that holds
 * a project, a task, a workflow, a launch plan and an execution, so valid bodies reach the service. Any answer is
 * fine but a crash, a sanitizer report, an internal error, or an answer that is not JSON in valid UTF-8 (error
 * answers with a code and a message).
 *
 * Build: make build/fuzz/fuzz_adm_body_task; run: build/fuzz/fuzz_adm_body_task tests/fuzz/corpus/adm_body_task
 * -max_total_time=60 (copy the corpus first if new finds should not land in the tree).
 */
#include "admin-lite/server_int.h"
#include "admin-lite/store.h"
#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct adm_store *fuzz_store;

#define FUZZ_ID(kind, name) \
	"{\"resourceType\":\"" kind "\",\"project\":\"flytesnacks\",\"domain\":\"development\",\"name\":\"" name \
	"\",\"version\":\"v1\"}"

static const char *const fuzz_setup_requests[][3] = {
	{"POST", "/api/v1/projects", "{\"project\":{\"id\":\"flytesnacks\",\"name\":\"flytesnacks\"}}"},
	{"POST", "/api/v1/tasks",
	 "{\"id\":" FUZZ_ID("TASK", "square") ",\"spec\":{\"template\":{\"id\":" FUZZ_ID("TASK", "square") ","
	 "\"type\":\"container\",\"interface\":{\"inputs\":{\"variables\":{\"x\":{\"type\":{\"simple\":\"INTEGER\"}}}},"
	 "\"outputs\":{\"variables\":{\"y\":{\"type\":{\"simple\":\"INTEGER\"}}}}},"
	 "\"container\":{\"image\":\"alpine\",\"args\":[\"sh\",\"-c\",\"echo\"]}}}}"},
	{"POST", "/api/v1/workflows",
	 "{\"id\":" FUZZ_ID("WORKFLOW", "wf") ",\"spec\":{\"template\":{\"id\":" FUZZ_ID("WORKFLOW", "wf") ","
	 "\"interface\":{\"inputs\":{\"variables\":{\"x\":{\"type\":{\"simple\":\"INTEGER\"}}}},"
	 "\"outputs\":{\"variables\":{\"y\":{\"type\":{\"simple\":\"INTEGER\"}}}}},"
	 "\"nodes\":[{\"id\":\"n0\",\"inputs\":[{\"var\":\"x\",\"binding\":{\"promise\":{\"nodeId\":\"start-node\","
	 "\"var\":\"x\"}}}],\"taskNode\":{\"referenceId\":" FUZZ_ID("TASK", "square") "}}],"
	 "\"outputs\":[{\"var\":\"y\",\"binding\":{\"promise\":{\"nodeId\":\"n0\",\"var\":\"y\"}}}]}}}"},
	{"POST", "/api/v1/launch_plans",
	 "{\"id\":" FUZZ_ID("LAUNCH_PLAN", "main") ",\"spec\":{\"workflowId\":" FUZZ_ID("WORKFLOW", "wf") ","
	 "\"defaultInputs\":{\"parameters\":{\"x\":{\"var\":{\"type\":{\"simple\":\"INTEGER\"}},"
	 "\"default\":{\"scalar\":{\"primitive\":{\"integer\":\"1\"}}}}}}}}"},
	{"POST", "/api/v1/executions",
	 "{\"project\":\"flytesnacks\",\"domain\":\"development\",\"name\":\"run1\",\"spec\":{\"launchPlan\":"
	 FUZZ_ID("LAUNCH_PLAN", "main") "},\"inputs\":{\"literals\":{\"x\":{\"scalar\":{\"primitive\":"
	 "{\"integer\":\"7\"}}}}}}"},
};

static void fuzz_setup(void)
{
	struct fc_buf out = FC_BUF_INIT;
	struct fc_err err;
	unsigned status;
	size_t i;

	if (fuzz_store)
		return;
	if (adm_store_open(":memory:", &fuzz_store, &err)) {
		fprintf(stderr, "fuzz: %s\n", err.msg);
		abort();
	}
	for (i = 0; i < FC_ARRAY_LEN(fuzz_setup_requests); i++) {
		adm_serve_offline(fuzz_store, fuzz_setup_requests[i][0], fuzz_setup_requests[i][1],
				  fuzz_setup_requests[i][2], strlen(fuzz_setup_requests[i][2]), &status, &out);
		if (status != 200) {
			fprintf(stderr, "fuzz setup: %s %s: %u %s\n", fuzz_setup_requests[i][0], fuzz_setup_requests[i][1],
				status, out.buf);
			abort();
		}
	}
	fc_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc_buf out = FC_BUF_INIT;
	json_error_t jerr;
	json_t *answer;
	unsigned status;

	fuzz_setup();
	adm_serve_offline(fuzz_store, FUZZ_METHOD, FUZZ_URL, data, size, &status, &out);
	if (status < 200 || status > 599)
		abort();
	/* jansson refuses invalid UTF-8: every answer must parse */
	answer = json_loadb(out.buf, out.len, 0, &jerr);
	if (!answer) {
		fprintf(stderr, "answer %u is not JSON (%s): %s\n", status, jerr.text, out.buf);
		abort();
	}
	if (status >= 400) {
		const char *code = json_string_value(json_object_get(answer, "code"));

		if (!code || !json_is_string(json_object_get(answer, "message")))
			abort();
		if (!strcmp(code, "internal")) {
			fprintf(stderr, "internal error: %s\n", out.buf);
			abort();
		}
	}
	json_decref(answer);
	fc_buf_release(&out);
	return 0;
}
