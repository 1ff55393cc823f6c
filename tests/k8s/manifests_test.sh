#!/usr/bin/env bash
# manifests_test.sh: the Kubernetes manifests and the FlyteWorkflow resource against a real API server.
#  - deploy/kubernetes/ is exactly what `flytec k8s manifests` writes (never drifts from the binary);
#  - the manifests install on kube-apiserver (../shared/k8s/kube-up.sh, own run dir), the CRD becomes Established,
#    the ClusterRole grants the operator what it uses and nothing else;
#  - resources printed by `flytec compile --emit flyteworkflow` (examples and snacks-core workflows) are created and
#    read back unchanged; `kubectl get fly` shows the phase and age columns; status goes through the subresource;
#  - Flyte's own resources (test data) are accepted once their kind is spelled FlyteWorkflow, refused before;
#  - a generated workflow over the size limit is offloaded and the small resource is accepted.
# Without ../shared/k8s the cluster part is skipped, saying so. The control plane is stopped at the end.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=${FLYTEC:-bin/flytec}
shared=${FLYTEC_SHARED:-../shared}
snacks=$shared/flyte-testdata/snacks-core
tmp=$(mktemp -d)
run=$tmp/run
fails=0 checks=0
cleanup() {
  if [ -f "$run/env" ] && [ -x "$shared/k8s/kube-down.sh" ]; then
    FLYTEC_K8S_RUN=$run "$shared/k8s/kube-down.sh" --purge > /dev/null 2>&1
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
check() { # check NAME COMMAND...: the command must succeed
  checks=$((checks + 1))
  if ( eval "${@:2}" ) > "$tmp/check.out" 2>&1; then echo "ok   $1"; else
    echo "FAIL $1"; sed 's/^/     /' "$tmp/check.out" | head -n 15; fails=$((fails + 1)); fi
}
summary() { echo "manifests: $((checks - fails)) passed, $fails failed"; [ "$fails" -eq 0 ]; exit $?; }

# --- without a cluster --------------------------------------------------------------------------------------
check "deploy/kubernetes equals flytec k8s manifests --output-dir" \
  '"$flytec" k8s manifests --output-dir "$tmp/gen" && diff -r deploy/kubernetes "$tmp/gen"'
check "stdout is the files concatenated" 'diff <(cat deploy/kubernetes/*.yaml) <("$flytec" k8s manifests)'
check "--namespace and --image are used" \
  '"$flytec" k8s manifests --namespace ops --image reg.example/flytec:1 > "$tmp/m.yaml" &&
   grep -q "namespace: ops" "$tmp/m.yaml" && grep -q "image: reg.example/flytec:1" "$tmp/m.yaml" && ! grep -q "namespace: flyte$" "$tmp/m.yaml"'
check "--no-status-subresource drops only the subresource" \
  '"$flytec" k8s manifests --no-status-subresource > "$tmp/nostatus.yaml" && ! grep -q "subresources" "$tmp/nostatus.yaml" &&
   test $(diff "$tmp/nostatus.yaml" <("$flytec" k8s manifests) | grep -c "^>") -eq 2'
check "a bad namespace is a usage error" '"$flytec" k8s manifests --namespace Bad_NS 2>/dev/null; test $? -eq 2'
check "an unknown k8s subcommand is a usage error" '"$flytec" k8s nope 2>/dev/null; test $? -eq 2'
check "a bad --execution is a usage error" \
  '"$flytec" compile -q examples/workflows --emit flyteworkflow --workflow hello --execution x:y 2>"$tmp/e"; test $? -eq 2 && grep -q PROJECT:DOMAIN:NAME "$tmp/e"'
check "a missing input is named" \
  '"$flytec" compile -q examples/workflows --emit flyteworkflow --workflow orders_etl --execution p:d:n 2>"$tmp/e"; test $? -eq 2 && grep -q "missing input .day." "$tmp/e"'

if [ ! -x "$shared/k8s/kube-up.sh" ]; then
  echo "skip: $shared/k8s absent, no API server tests"
  summary
fi

# --- a real API server ------------------------------------------------------------------------------------------
if ! FLYTEC_K8S_RUN=$run FLYTEC_K8S_COMPONENTS=kube-apiserver "$shared/k8s/kube-up.sh" > "$tmp/kube-up.out" 2> "$tmp/kube-up.err"; then
  echo "FAIL kube-up.sh"; tail -n 20 "$tmp/kube-up.err" | sed 's/^/     /'
  fails=$((fails + 1)) checks=$((checks + 1))
  summary
fi
set -a; . "$run/env"; set +a
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
api() { curl -sS --cacert "$KUBE_CA_FILE" -H "Authorization: Bearer $KUBE_TOKEN" "$@"; }

check "kubectl apply -f deploy/kubernetes/ installs everything" 'k apply -f deploy/kubernetes/'
check "the CRD becomes Established" \
  'k wait --for=condition=Established crd/flyteworkflows.flyte.lyft.com --timeout=60s'
check "the CRD: namespaced, short name fly, status subresource, printer columns" \
  'k get crd flyteworkflows.flyte.lyft.com -o json | python3 -c "
import json, sys
c = json.load(sys.stdin)[\"spec\"]
v = c[\"versions\"][0]
assert c[\"scope\"] == \"Namespaced\" and c[\"names\"][\"shortNames\"] == [\"fly\"] and c[\"names\"][\"kind\"] == \"FlyteWorkflow\"
assert v[\"name\"] == \"v1alpha1\" and \"status\" in v[\"subresources\"]
assert [p[\"name\"] for p in v[\"additionalPrinterColumns\"]] == [\"Phase\", \"Age\"]
"'
check "the operator objects exist" \
  'k -n flyte get serviceaccount/flytec-propeller deployment/flytec-propeller && k get clusterrole/flytec-propeller clusterrolebinding/flytec-propeller'
sa=system:serviceaccount:flyte:flytec-propeller
can() { test "$(k auth can-i --as="$sa" "$@" 2>/dev/null)" = yes; }
check "RBAC grants what the operator uses" \
  'can watch flyteworkflows -n any && can update flyteworkflows/status -n any && can patch flyteworkflows -n any &&
   can create pods -n any && can delete pods -n any && can get pods --subresource=log -n any && can create events -n any &&
   can update leases.coordination.k8s.io -n flyte && can get namespaces'
check "RBAC grants nothing else" \
  '! can create flyteworkflows -n any && ! can delete flyteworkflows -n any && ! can get secrets -n any &&
   ! can update pods -n any && ! can delete leases.coordination.k8s.io -n flyte && ! can create namespaces &&
   ! can list configmaps -n any'

# Create a resource and read it back: everything but server-filled metadata and status is unchanged.
roundtrip() { # roundtrip FILE [KUBECTL-CREATE-OPTION...]
  local ns name f=$1; shift
  ns=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata"]["namespace"])' "$f")
  name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata"]["name"])' "$f")
  k get namespace "$ns" > /dev/null 2>&1 || k create namespace "$ns" > /dev/null || return 1
  k create "$@" -f "$f" > /dev/null || return 1
  k -n "$ns" get fly "$name" -o json > "$f.back" || return 1
  python3 - "$f" "$f.back" <<'EOF'
import json, sys
sent, back = (json.load(open(p)) for p in sys.argv[1:3])
for key in sent:
    if key in ("metadata", "status"):
        continue
    assert sent[key] == back.get(key), "field %s differs after the round trip" % key
for key in ("name", "namespace", "labels", "annotations", "finalizers"):
    assert sent["metadata"].get(key) == back["metadata"].get(key), "metadata.%s differs" % key
assert back["kind"] == "FlyteWorkflow" and back["metadata"].get("uid")
EOF
}

emit() { # emit OUT ARGS...: flytec compile ... --emit flyteworkflow ARGS > OUT
  local out=$1; shift
  "$flytec" compile -q --emit flyteworkflow "$@" > "$out"
}
check "examples/hello round-trips (admin fields too)" \
  'emit "$tmp/hello.json" examples/workflows --workflow hello --execution flytesnacks:development:hello-1 \
     --input name=k8s --service-account default --label team=data --admin-url http://127.0.0.1:8089 &&
   roundtrip "$tmp/hello.json"'
check "examples/orders_etl round-trips" \
  'emit "$tmp/etl.json" examples/workflows --workflow orders_etl --execution flytesnacks:development:etl-1 \
     --input day=2024-05-01T00:00:00Z --input source=web && roundtrip "$tmp/etl.json"'
check "examples/train_and_publish round-trips" \
  'emit "$tmp/train.json" examples/workflows --workflow train_and_publish --execution flytesnacks:development:train-1 &&
   roundtrip "$tmp/train.json"'

# Every node kind, from the golden spec cases (one namespace per execution project-domain).
golden() { # golden CASE WORKFLOW NAME INPUTS...
  local c=$1 wf=$2 name=$3; shift 3
  local args=()
  for i in "$@"; do args+=(--input "$i"); done
  emit "$tmp/$name.json" "tests/golden/cases/$c/input.yaml" --workflow "$wf" --execution "kinds:development:$name" \
    "${args[@]}" && roundtrip "$tmp/$name.json"
}
check "every node kind round-trips: subworkflow, launch plan, branch, gates, array, failure node, overrides" \
  'golden node_subworkflow outer k-sub x=1 && golden node_launch_plan all_regions k-lp day=x &&
   golden node_branch_nested router k-branch fast=true n=1 && golden node_branch_else_fail deploy k-elsefail approved=true env=prod &&
   golden node_gate_approve release_train k-approve version=1 && golden node_gate_signal manual_scale k-signal &&
   golden node_gate_sleep warm_then_read k-sleep key=k && golden node_map_basic squares k-array "xs=[1, 2]" &&
   golden workflow_failure_node careful k-failure x=1 && golden node_overrides tuned k-overrides n=1'
check "the kinds read back as Flyte spells them" \
  'k -n kinds-development get fly -o json | python3 -c "
import json, sys
kinds = set(); extra = set()
for item in json.load(sys.stdin)[\"items\"]:
    for n in item[\"spec\"][\"nodes\"].values():
        kinds.add(n[\"kind\"])
        for key in (\"executionDeadline\", \"retry\", \"interruptible\", \"containerImage\"):
            if key in n: extra.add(key)
    if item.get(\"subWorkflows\"): extra.add(\"subWorkflows\")
    if item[\"spec\"].get(\"onFailure\"): extra.add(\"onFailure\")
assert kinds == {\"start\", \"end\", \"task\", \"workflow\", \"branch\", \"gate\", \"array\"}, kinds
assert extra == {\"executionDeadline\", \"retry\", \"interruptible\", \"containerImage\", \"subWorkflows\", \"onFailure\"}, extra
"'

snack_files() { ls "$snacks"/*_1.pb "$snacks"/*_2.pb; }
snack() { # snack OUT WORKFLOW NAME INPUTS...
  local out=$1 wf=$2 name=$3; shift 3
  local args=()
  for i in "$@"; do args+=(--input "$i"); done
  # shellcheck disable=SC2046
  emit "$out" --project hello --domain domain $(snack_files) --workflow "$wf" --execution "hello:domain:$name" \
    --namespace snacks "${args[@]}"
}
if [ -d "$snacks" ]; then
  check "snacks: a branch workflow round-trips" \
    'snack "$tmp/s1.json" core.control_flow.conditions.multiplier s1 my_input=0.5 && roundtrip "$tmp/s1.json"'
  check "snacks: a subworkflow round-trips" \
    'snack "$tmp/s2.json" core.control_flow.subworkflows.my_subwf s2 a=3 && roundtrip "$tmp/s2.json"'
  check "snacks: a map task round-trips" \
    'snack "$tmp/s3.json" core.control_flow.map_task.my_map_workflow s3 "a=[1, 2, 3]" && roundtrip "$tmp/s3.json"'
  check "snacks: a dynamic workflow round-trips" \
    'snack "$tmp/s4.json" core.control_flow.dynamics.wf s4 s1=ab s2=cd && roundtrip "$tmp/s4.json"'
  check "Flyte's own resource is refused with kind flyteworkflow" \
    'f=$(ls "$snacks"/k8s/026_*_crd.json); python3 -c "
import json, sys; d = json.load(open(sys.argv[1])); d[\"metadata\"][\"name\"] = \"flyte-lower\"; d[\"metadata\"][\"namespace\"] = \"snacks\"
json.dump(d, open(sys.argv[2], \"w\"))" "$f" "$tmp/lower.json" && ! k create -f "$tmp/lower.json" 2> "$tmp/lower.err" && grep -q "FlyteWorkflow" "$tmp/lower.err"'
  check "every one of Flyte's resources is accepted with kind FlyteWorkflow" \
    'i=0; for f in "$snacks"/k8s/*_crd.json; do i=$((i + 1)); python3 -c "
import json, sys; d = json.load(open(sys.argv[1])); d[\"kind\"] = \"FlyteWorkflow\"
d[\"metadata\"][\"name\"] = \"flyte-%s\" % sys.argv[3]; d[\"metadata\"][\"namespace\"] = \"snacks\"
json.dump(d, open(sys.argv[2], \"w\"))" "$f" "$tmp/flyte-$i.json" "$i" && k create -f "$tmp/flyte-$i.json" > /dev/null || exit 1; done;
     test "$(k -n snacks get fly -o name | grep -c flyte-)" -eq 31'
else
  echo "skip: $snacks absent, no snacks-core workflows"
fi

# With the status subresource the API server drops the status of a created object: an empty PHASE until the
# operator writes one.
check "kubectl get fly shows NAME, PHASE and AGE" \
  'k -n flytesnacks-development get fly > "$tmp/get.txt" && head -n 1 "$tmp/get.txt" | grep -Eq "^NAME +PHASE +AGE" &&
   grep -Eq "^hello-1 +[0-9]+s" "$tmp/get.txt"'
check "status is written through the status subresource and shown as PHASE" \
  'api -X PATCH -H "Content-Type: application/merge-patch+json" -d "{\"status\":{\"phase\":2}}" \
     "$KUBE_API_URL/apis/flyte.lyft.com/v1alpha1/namespaces/flytesnacks-development/flyteworkflows/hello-1/status" > /dev/null &&
   k -n flytesnacks-development get fly hello-1 --no-headers | grep -Eq "^hello-1 +2 "'
check "a status sent with the main resource is ignored (subresource semantics)" \
  'k -n flytesnacks-development get fly hello-1 -o json | python3 -c "
import json, sys; d = json.load(sys.stdin); d[\"status\"][\"phase\"] = 5; d[\"spec\"][\"id\"] = d[\"spec\"][\"id\"]
json.dump(d, open(sys.argv[1], \"w\"))" "$tmp/upd.json" && k replace -f "$tmp/upd.json" > /dev/null &&
   test "$(k -n flytesnacks-development get fly hello-1 -o jsonpath={.status.phase})" = 2'
# The top-level objects are atomic for the field manager: a status of 300 running nodes is one f:status entry in
# managedFields, not one per leaf (which made a 1,000-node status write take this server over 34 s).
check "a written status of 300 nodes is one f:status entry in managedFields" \
  'python3 -c "
import json
n = {\"n%d\" % i: {\"phase\": 3, \"startedAt\": \"2026-12-07T08:50:00.%09dZ\" % i, \"TaskNodeStatus\": {\"phase\": 1, \"pState\": \"AAAA\"}} for i in range(300)}
print(json.dumps({\"status\": {\"phase\": 2, \"nodeStatus\": n}}))" > "$tmp/st.json" &&
   api -X PATCH -H "Content-Type: application/merge-patch+json" --data-binary @"$tmp/st.json" \
     "$KUBE_API_URL/apis/flyte.lyft.com/v1alpha1/namespaces/flytesnacks-development/flyteworkflows/hello-1/status" > /dev/null &&
   k -n flytesnacks-development get fly hello-1 -o json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert len(d[\"status\"][\"nodeStatus\"]) == 300
mf = json.dumps(d[\"metadata\"][\"managedFields\"])
print(len(mf), \"bytes of managedFields\")
assert \"f:status\" in mf and \"f:nodeStatus\" not in mf and len(mf) < 2000, mf[:300]
for e in d[\"metadata\"][\"managedFields\"]:
    for k, v in e[\"fieldsV1\"].items():
        assert k == \"f:metadata\" or v == {}, (k, str(v)[:200])"'
check "the short name fly and the full name agree" \
  'test "$(k -n flytesnacks-development get fly -o name | sort)" = "$(k -n flytesnacks-development get flyteworkflows.flyte.lyft.com -o name | sort)"'

# A workflow whose resource is over the limit: 4000 chained nodes.
python3 - "$tmp/big.yaml" <<'EOF'
import sys
n = 4000
lines = ["project: big", "tasks:", "  - name: step", "    type: echo", "    inputs: {x: integer}", "    outputs: {x: integer}",
         "workflows:", "  - name: big", "    inputs:", "      x: {type: integer, default: 1}", "    nodes:"]
for i in range(n):
    src = "inputs.x" if i == 0 else "n%d.x" % (i - 1)
    lines.append("      - {id: n%d, task: step, inputs: {x: !ref %s}}" % (i, src))
lines += ["    outputs:", "      x: !ref n%d.x" % (n - 1)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
check "a generated 4000-node workflow is refused without an offload path" \
  '"$flytec" compile -q --emit flyteworkflow "$tmp/big.yaml" --workflow big --execution big:development:big-1 > /dev/null 2> "$tmp/big.err";
   test $? -eq 2 && grep -q "offload-closure" "$tmp/big.err"'
check "with --offload-closure the resource is small and the closure is a CompiledWorkflowClosure" \
  'emit "$tmp/big.json" "$tmp/big.yaml" --workflow big --execution big:development:big-1 --offload-closure "$tmp/big-closure.pb" &&
   test $(stat -c %s "$tmp/big.json") -lt 65536 && test $(stat -c %s "$tmp/big-closure.pb") -gt 100000 &&
   python3 -c "
import json, sys; d = json.load(open(sys.argv[1]))
assert d[\"spec\"] is None and d[\"tasks\"] is None and \"subWorkflows\" not in d and d[\"workflowClosureReference\"] == sys.argv[2]
assert d[\"inputs\"][\"literals\"][\"x\"][\"scalar\"][\"primitive\"][\"integer\"] == \"1\"" "$tmp/big.json" "$tmp/big-closure.pb" &&
   protoc -Ischemas -I/usr/include --decode=flyteidl.core.CompiledWorkflowClosure flyteidl/core/compiler.proto < "$tmp/big-closure.pb" | grep -c "^      id: \"n" | grep -q "^4000$"'
# kubectl 1.20's client-side validation trips over the null spec and tasks (Flyte's own shape): the API server
# takes them, as it takes them from Flyte's admin.
check "the offloaded resource is accepted by the API server and reads back with null spec and tasks" \
  'roundtrip "$tmp/big.json" --validate=false'
check "the inline resource would be over 1 MiB" \
  'emit "$tmp/big-inline.json" "$tmp/big.yaml" --workflow big --execution big:development:big-2 --max-resource-bytes 100000000 &&
   test $(python3 -c "import json,sys; print(len(json.dumps(json.load(open(sys.argv[1])), separators=(\",\", \":\"))))" "$tmp/big-inline.json") -gt 1048576'

summary
