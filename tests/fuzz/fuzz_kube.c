/*
 * fuzz_kube.c: libFuzzer target for the Kubernetes client's parsers of outside input.
 *
 * The same bytes are read as a kubeconfig (through a memfd, as a file), as a label selector (a selector that parses
 * must match or not match without crashing, and an empty label set must match only selectors without positive
 * requirements), and as JSON handed to the Pod status mapping (any object, any types, must map to some phase).
 *
 * Build: make build/fuzz/fuzz_kube; run: build/fuzz/fuzz_kube -max_total_time=300 CORPUS_DIR
 */
#include "core/buf.h"
#include "core/err.h"
#include "kube/config.h"
#include "kube/store.h"
#include "plugins/k8s_pod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct kube_config cfg;
	struct kube_selector sel;
	struct fc_err err;
	json_t *pod;
	int fd;

	memcpy(text, data, size);
	text[size] = 0;

	fd = memfd_create("kubeconfig", 0);
	if (fd >= 0) {
		char path[64];

		if (write(fd, data, size) == (ssize_t)size) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			kube_config_init(&cfg);
			if (kube_config_load_file(&cfg, path, NULL, &err) == 0 && !cfg.server)
				abort(); /* success always has a server */
			kube_config_release(&cfg);
		}
		close(fd);
	}

	kube_selector_init(&sel);
	if (kube_selector_parse(&sel, text, &err) == 0) {
		json_t *labels = json_pack("{s:s}", "a", "b");

		(void)kube_selector_matches(&sel, labels);
		(void)kube_selector_matches(&sel, NULL);
		json_decref(labels);
	}
	kube_selector_release(&sel);

	pod = json_loadb((const char *)data, size, 0, NULL);
	if (pod) {
		struct plg_k8s_pod_status st;

		plg_k8s_pod_phase(pod, 1796515200000LL, NULL, &st);
		if (st.phase == PLG_PHASE_UNDEFINED)
			abort();
		json_decref(pod);
	}
	free(text);
	return 0;
}
