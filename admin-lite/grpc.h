/*
 * grpc.h: admin-lite's gRPC front door (flyteidl.service.AdminService, SignalService, AuthMetadataService,
 * IdentityService) on gRPC core's completion-queue server API, over the same service and store functions as the
 * REST routes (which methods: docs/api.md).
 *
 * The server runs its own threads (gRPC core's pollers and ADM_GRPC_THREADS workers, each holding one call at a
 * time); handlers reach the store through its own lock, as REST handlers do. With a token, every method but the
 * AuthMetadataService ones needs "authorization: Bearer <token>" metadata (with `public_reads`, only the methods
 * that change state). Limits: core/limits.h, section "the gRPC front door".
 */
#ifndef ADM_GRPC_H
#define ADM_GRPC_H

#include "core/fc.h"

struct adm_dataproxy;
struct adm_store;
struct fc_err;

struct adm_grpc_options {
	const char *listen;  /* "HOST:PORT"; PORT 0 picks a free port. Required. */
	const char *token;   /* bearer token; NULL or "": none */
	bool public_reads;   /* with a token: reads need none */
	size_t max_message;  /* bytes of one request message; 0: ADM_GRPC_MAX_MESSAGE */
	size_t max_answer;   /* bytes of one answer; 0: ADM_MAX_ANSWER */
	unsigned threads;    /* 0: ADM_GRPC_THREADS */
	const char *version; /* reported by GetVersion */
	/* DataProxyService: signs URLs that the HTTP listener at `http_base` ("http://HOST:PORT") serves. NULL: the
	 * service answers UNAVAILABLE. Borrowed: must outlive the server. */
	const struct adm_dataproxy *dataproxy;
	const char *http_base;
	/* Called (on a worker thread) after every state-changing call that succeeded. NULL: none. */
	void (*on_change)(void *ctx);
	void *on_change_ctx;
};

struct adm_grpc;

int adm_grpc_start(struct adm_store *store, const struct adm_grpc_options *opts, struct adm_grpc **out,
		   struct fc_err *err);
/* The port actually bound. */
unsigned adm_grpc_port(const struct adm_grpc *g);
/* Stop taking calls, let calls in flight finish (ADM_GRPC_DRAIN_S at most, then cancel them), free. NULL: nothing. */
void adm_grpc_stop(struct adm_grpc *g);

#endif
