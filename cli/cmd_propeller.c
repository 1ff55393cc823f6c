/* cmd_propeller.c: `flytec propeller`, the Kubernetes operator over FlyteWorkflow resources (propeller/operator.h). */
#include "cli/cli.h"
#include "cli/cmd_propeller.h"
#include "core/err.h"
#include "core/log.h"
#include "kube/client.h"
#include "kube/config.h"
#include "plugins/k8s_runtime.h"
#include "propeller/operator.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const char usage[] =
	"usage: flytec propeller [--kubeconfig FILE [--context NAME] | --in-cluster] [options]\n"
	"\n"
	"Runs the operator: drives FlyteWorkflow resources (flyte.lyft.com/v1alpha1) with the engine, task pods on\n"
	"the cluster, node statuses in each resource's status. Without --kubeconfig: $KUBECONFIG, else the in-cluster\n"
	"service account.\n"
	"\n"
	"  --namespace NS          watch one namespace (default: all)\n"
	"  --data-dir DIR          the data volume as the operator sees it: engine state, inputs, outputs\n"
	"                          (default /var/lib/flytec)\n"
	"  --pod-data-dir DIR      the same volume inside task pods (default: --data-dir)\n"
	"  --data-host-path PATH   pods mount the volume from this host path (single node) ...\n"
	"  --data-pvc NAME         ... or from this PersistentVolumeClaim (one of the two is needed for pods)\n"
	"  --lease-name NAME       leader election Lease (default flytec-propeller)\n"
	"  --lease-namespace NS    where the Lease lives (default $POD_NAMESPACE, else the config's namespace)\n"
	"  --identity ID           this replica's name in the Lease (default $POD_NAME, else host-pid)\n"
	"  --no-leader-election    a single replica: lead at once\n"
	"  --lease-duration SECS   (default 15), --renew-deadline SECS (10), --retry-period SECS (2)\n"
	"  --qps N, --burst N      client-side request rate (default 20 and 40)\n"
	"  --resync SECS           re-examine every resource this often (default 30)\n"
	"  --workers N             accepted for Flyte compatibility; one loop drives every workflow\n"
	"  --max-parallelism N     task attempts at once per execution when the resource says 0 (default 25)\n"
	"  --service-account SA    pods' service account when the task names none\n"
	"  --image-pull-policy P   Always, IfNotPresent or Never (default: the cluster's)\n"
	"  --admin-url URL         where events go when a resource has no flytec.io/admin-url annotation\n"
	"  --admin-token-file FILE the admin's bearer token, sent with every event (an admin with --token-file needs it)\n"
	"  --state status|volume   where the engine's state lives: the FlyteWorkflow status itself (default) or\n"
	"                          sqlite on the data volume\n"
	"  --max-object-bytes N    --state status: a running workflow whose resource would pass N bytes with its\n"
	"                          status fails with a message (default 1433600: under etcd's 1.5 MiB)\n";

enum {
	OPT_KUBECONFIG = 0x100,
	OPT_CONTEXT,
	OPT_IN_CLUSTER,
	OPT_NAMESPACE,
	OPT_DATA_DIR,
	OPT_POD_DATA_DIR,
	OPT_HOST_PATH,
	OPT_PVC,
	OPT_LEASE_NAME,
	OPT_LEASE_NS,
	OPT_IDENTITY,
	OPT_NO_ELECTION,
	OPT_LEASE_DURATION,
	OPT_RENEW_DEADLINE,
	OPT_RETRY_PERIOD,
	OPT_QPS,
	OPT_BURST,
	OPT_RESYNC,
	OPT_WORKERS,
	OPT_MAX_PARALLELISM,
	OPT_SERVICE_ACCOUNT,
	OPT_PULL_POLICY,
	OPT_ADMIN_URL,
	OPT_ADMIN_TOKEN_FILE,
	OPT_STATE,
	OPT_MAX_OBJECT_BYTES,
};

static bool number(const char *opt, const char *arg, double min, double max, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (!*arg || *end || v < min || v > max) {
		fprintf(stderr, "flytec propeller: %s '%s': expected a number from %g to %g\n", opt, arg, min, max);
		return false;
	}
	*out = v;
	return true;
}

int cmd_propeller(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
		{"context", required_argument, NULL, OPT_CONTEXT},
		{"in-cluster", no_argument, NULL, OPT_IN_CLUSTER},
		{"namespace", required_argument, NULL, OPT_NAMESPACE},
		{"data-dir", required_argument, NULL, OPT_DATA_DIR},
		{"pod-data-dir", required_argument, NULL, OPT_POD_DATA_DIR},
		{"data-host-path", required_argument, NULL, OPT_HOST_PATH},
		{"data-pvc", required_argument, NULL, OPT_PVC},
		{"lease-name", required_argument, NULL, OPT_LEASE_NAME},
		{"lease-namespace", required_argument, NULL, OPT_LEASE_NS},
		{"identity", required_argument, NULL, OPT_IDENTITY},
		{"no-leader-election", no_argument, NULL, OPT_NO_ELECTION},
		{"lease-duration", required_argument, NULL, OPT_LEASE_DURATION},
		{"renew-deadline", required_argument, NULL, OPT_RENEW_DEADLINE},
		{"retry-period", required_argument, NULL, OPT_RETRY_PERIOD},
		{"qps", required_argument, NULL, OPT_QPS},
		{"burst", required_argument, NULL, OPT_BURST},
		{"resync", required_argument, NULL, OPT_RESYNC},
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"max-parallelism", required_argument, NULL, OPT_MAX_PARALLELISM},
		{"service-account", required_argument, NULL, OPT_SERVICE_ACCOUNT},
		{"image-pull-policy", required_argument, NULL, OPT_PULL_POLICY},
		{"admin-url", required_argument, NULL, OPT_ADMIN_URL},
		{"admin-token-file", required_argument, NULL, OPT_ADMIN_TOKEN_FILE},
		{"state", required_argument, NULL, OPT_STATE},
		{"max-object-bytes", required_argument, NULL, OPT_MAX_OBJECT_BYTES},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *kubeconfig = NULL, *context = NULL, *admin_token_file = NULL;
	char *admin_token = NULL;
	bool in_cluster = false, election = true;
	struct prop_operator_opts o = {0};
	struct kube_client_opts co = {.qps = 20, .burst = 40};
	struct kube_config cfg;
	struct kube_client *client = NULL;
	struct prop_operator *op = NULL;
	struct fc_err err = {0};
	struct sigaction sa;
	double v;
	int c, rc = CLI_EXIT_USAGE;

	kube_config_init(&cfg);
	o.data_dir = "/var/lib/flytec";
	o.state = "status";
	o.lease_name = "flytec-propeller";
	o.lease_namespace = getenv("POD_NAMESPACE");
	o.identity = getenv("POD_NAME");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KUBECONFIG: kubeconfig = optarg; break;
		case OPT_CONTEXT: context = optarg; break;
		case OPT_IN_CLUSTER: in_cluster = true; break;
		case OPT_NAMESPACE: o.k8s_namespace = optarg; break;
		case OPT_DATA_DIR: o.data_dir = optarg; break;
		case OPT_POD_DATA_DIR: o.pod_data_dir = optarg; break;
		case OPT_HOST_PATH: o.pod.data_host_path = optarg; break;
		case OPT_PVC: o.pod.data_pvc = optarg; break;
		case OPT_LEASE_NAME: o.lease_name = optarg; break;
		case OPT_LEASE_NS: o.lease_namespace = optarg; break;
		case OPT_IDENTITY: o.identity = optarg; break;
		case OPT_NO_ELECTION: election = false; break;
		case OPT_SERVICE_ACCOUNT: o.pod.service_account = optarg; break;
		case OPT_PULL_POLICY: o.pod.image_pull_policy = optarg; break;
		case OPT_ADMIN_URL: o.admin_url = optarg; break;
		case OPT_ADMIN_TOKEN_FILE: admin_token_file = optarg; break;
		case OPT_STATE: o.state = optarg; break;
		case OPT_LEASE_DURATION:
		case OPT_RENEW_DEADLINE:
		case OPT_RETRY_PERIOD:
		case OPT_RESYNC:
			if (!number(c == OPT_LEASE_DURATION   ? "--lease-duration"
				    : c == OPT_RENEW_DEADLINE ? "--renew-deadline"
				    : c == OPT_RETRY_PERIOD   ? "--retry-period"
							      : "--resync",
				    optarg, 0.1, 86400, &v))
				goto out;
			if (c == OPT_LEASE_DURATION)
				o.lease_duration_ms = (long)(v * 1000);
			else if (c == OPT_RENEW_DEADLINE)
				o.renew_deadline_ms = (long)(v * 1000);
			else if (c == OPT_RETRY_PERIOD)
				o.retry_period_ms = (long)(v * 1000);
			else
				o.resync_ms = (long)(v * 1000);
			break;
		case OPT_QPS:
			if (!number("--qps", optarg, 0.1, 100000, &v))
				goto out;
			co.qps = v;
			break;
		case OPT_BURST:
			if (!number("--burst", optarg, 1, 100000, &v))
				goto out;
			co.burst = (int)v;
			break;
		case OPT_WORKERS:
			if (!number("--workers", optarg, 1, 1024, &v))
				goto out;
			break;
		case OPT_MAX_PARALLELISM:
			if (!number("--max-parallelism", optarg, 1, 100000, &v))
				goto out;
			o.max_parallelism = (unsigned)v;
			break;
		case OPT_MAX_OBJECT_BYTES:
			if (!number("--max-object-bytes", optarg, 1, 1e8, &v))
				goto out;
			o.max_object_bytes = (size_t)v;
			break;
		case 'h':
			fputs(usage, stdout);
			rc = CLI_EXIT_OK;
			goto out;
		default:
			fputs(usage, stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flytec propeller: unexpected argument '%s'\n%s", argv[optind], usage);
		goto out;
	}
	if (kubeconfig && in_cluster) {
		fprintf(stderr, "flytec propeller: --kubeconfig and --in-cluster exclude each other\n");
		goto out;
	}
	if (o.pod.data_host_path && o.pod.data_pvc) {
		fprintf(stderr, "flytec propeller: --data-host-path and --data-pvc exclude each other\n");
		goto out;
	}
	if (!election)
		o.lease_name = NULL;
	if (admin_token_file) {
		if (cli_read_token(admin_token_file, &admin_token))
			goto out;
		o.admin_token = admin_token;
	}
	rc = 1;
	if (in_cluster ? kube_config_load_incluster(&cfg, NULL, &err)
		       : kubeconfig ? kube_config_load_file(&cfg, kubeconfig, context, &err)
				    : kube_config_load_default(&cfg, NULL, &err)) {
		fprintf(stderr, "flytec propeller: %s\n", err.msg);
		goto out;
	}
	if (kube_client_new(&cfg, &co, &client, &err)) {
		fprintf(stderr, "flytec propeller: %s\n", err.msg);
		goto out;
	}
	o.client = client;
	if (prop_operator_new(&o, &op, &err)) {
		fprintf(stderr, "flytec propeller: %s\n", err.msg);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fc_info("propeller: watching FlyteWorkflows in %s on %s", o.k8s_namespace ? o.k8s_namespace : "all namespaces",
		cfg.server);
	rc = prop_operator_run(op, &stop_requested, &err) ? 1 : CLI_EXIT_OK;
	{
		struct prop_operator_stats st;
		struct plg_k8s_runtime_stats ps;

		prop_operator_stats(op, &st);
		plg_k8s_runtime_stats(&ps);
		fc_info("propeller: stats: reconciles=%llu submitted=%llu invalid=%llu status_writes=%llu conflicts=%llu "
			"finalizers_added=%llu finalizers_removed=%llu aborted=%llu pods_created=%llu pods_adopted=%llu "
			"pods_deleted=%llu pod_gets=%llu echoes=%llu records=%llu records_freed=%llu",
			(unsigned long long)st.reconciles, (unsigned long long)st.submitted,
			(unsigned long long)st.invalid, (unsigned long long)st.status_writes,
			(unsigned long long)st.conflicts, (unsigned long long)st.finalizers_added,
			(unsigned long long)st.finalizers_removed, (unsigned long long)st.aborted,
			(unsigned long long)ps.pods_created, (unsigned long long)ps.pods_adopted,
			(unsigned long long)ps.pods_deleted, (unsigned long long)ps.gets, (unsigned long long)st.echoes,
			(unsigned long long)st.records, (unsigned long long)st.records_freed);
	}
	if (rc)
		fprintf(stderr, "flytec propeller: %s\n", err.msg);
out:
	prop_operator_free(op);
	kube_client_free(client);
	kube_config_release(&cfg);
	free(admin_token);
	return rc;
}
