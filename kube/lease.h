/*
 * lease.h: leader election over a coordination.k8s.io/v1 Lease (client-go's leaderelection, same knobs).
 *
 * Every contender calls kube_elector_tick() every retry period (from its own loop: nothing here sleeps or starts a
 * thread). A tick reads the Lease and
 *   - creates it (holding it) when it does not exist,
 *   - takes it over when its holder is someone else and the record has not changed for lease_duration as observed
 *     by this contender (local monotonic clock, so clock skew between machines does not matter),
 *   - renews it (renewTime) when we hold it;
 * every write is a PUT carrying the resourceVersion that was read, so of two contenders racing for one Lease only one
 * write succeeds (the other gets 409 Conflict and stays a follower). A leader that could not renew successfully for
 * renew_deadline stops being leader (kube_elector_is_leader() turns false) before its lease can expire for others,
 * since renew_deadline < lease_duration. kube_elector_release() gives the lease up at once (holderIdentity emptied,
 * leaseDurationSeconds 1), so a successor need not wait.
 */
#ifndef KUBE_LEASE_H
#define KUBE_LEASE_H

#include "core/fc.h"

struct fc_err;
struct kube_client;
struct kube_elector;

struct kube_elector_opts {
	const char *namespace;
	const char *name;
	const char *identity;   /* unique per contender (host name + pid, a pod name) */
	long lease_duration_ms; /* 0: 15 s (client-go's usual value) */
	long renew_deadline_ms; /* 0: 10 s; must be < lease_duration */
	long retry_period_ms;   /* 0: 2 s: how often the caller should tick */
};

int kube_elector_new(struct kube_client *c, const struct kube_elector_opts *opts, struct kube_elector **out,
		     struct fc_err *err);
void kube_elector_free(struct kube_elector *e);
/* One round (see above). `*leader` tells whether we lead after it. Errors of the API are returned (and we stay
 * leader only until renew_deadline passes without a successful renewal). */
int kube_elector_tick(struct kube_elector *e, bool *leader, struct fc_err *err);
bool kube_elector_is_leader(struct kube_elector *e);
long kube_elector_retry_period_ms(const struct kube_elector *e);
/* How many times the lease changed hands (spec.leaseTransitions as last read). */
long kube_elector_transitions(const struct kube_elector *e);
/* Give the lease up if we hold it. */
int kube_elector_release(struct kube_elector *e, struct fc_err *err);

#endif
