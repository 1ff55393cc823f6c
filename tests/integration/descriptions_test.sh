#!/usr/bin/env bash
# descriptions_test.sh: a task's and a workflow's description travels from the watched repository to the API, as
# Flyte carries it (admin.DescriptionEntity): a YAML spec's `description:` and a `pyflyte package` TaskSpec's or
# WorkflowSpec's description.short_description are kept per registered version (GET description_entities) and
# become the named entity's description (GET named_entities), markup kept as text; a PUT of the named entity holds
# until a registration brings another description.
. "$(dirname "$0")/admin_lib.sh"
R=$T/repo
mkdir -p "$R"
cat >"$R/described.yaml" <<'YAML'
project: descs
tasks:
  - name: say
    type: echo
    description: Says <b>hello</b> & "more"
    inputs: {x: integer}
    outputs: {x: integer}
workflows:
  - name: greeter
    description: Greets <script>alert(1)</script> people
    inputs: {x: integer}
    outputs: {x: !ref s.x}
    nodes:
      - {id: s, task: say, inputs: {x: !ref inputs.x}}
  - name: plain
    inputs: {x: integer}
    nodes:
      - {id: s, task: say, inputs: {x: !ref inputs.x}}
YAML
# a pyflyte package whose hello WorkflowSpec and greet TaskSpec carry a description entity (field 3 and 2; its
# short_description is field 2), appended to the specs as pyflyte writes them
mkdir "$T/pkg"
tar -xzf examples/my-flyte-project.tgz -C "$T/pkg"
python3 - "$T/pkg" <<'PY'
import sys
def ld(field, payload):
    n, out = len(payload), bytearray([field << 3 | 2])
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out) + payload
for f, field, text in (("009_hello_2.pb", 3, "Hello from a pyflyte package"), ("001_greet_1.pb", 2, "Greets by name")):
    with open(sys.argv[1] + "/" + f, "ab") as out:
        out.write(ld(field, ld(2, text.encode())))
PY
(cd "$T/pkg" && tar -czf "$R/pkg.tgz" ./*.pb)
adm_start --repo "$R" --project demo || exit 1

# wait (up to 30 s: a loaded machine under ASan compiles slowly) until EXPR on PATH prints WANT
wait_long() {
	local path=$1 expr=$2 want=$3
	for _ in $(seq 1 300); do
		get "$path"
		[ "$(jget "$expr")" = "$want" ] && return 0
		sleep 0.1
	done
	echo "    timed out waiting for $expr == $want on $path (got '$(jget "$expr")')"
	return 1
}

N=/api/v1/named_entities
DE=/api/v1/description_entities
check yaml-workflow-named-description wait_long "$N/WORKFLOW/descs/development/greeter" 'd["metadata"]["description"]' \
	'Greets <script>alert(1)</script> people'
check yaml-task-named-description wait_long "$N/TASK/descs/development/say" 'd["metadata"]["description"]' \
	'Says <b>hello</b> & "more"'
get "$N/WORKFLOW/descs/development/plain"
check no-description-stays-empty eq "$(jget 'd["metadata"].get("description", "")')" ""
get "/api/v1/workflows/descs/development/greeter?limit=1"
V=$(jget 'd["workflows"][0]["id"]["version"]')
get "$DE/WORKFLOW/descs/development/greeter"
check description-entities-list eq "$(jget '[(e["id"]["name"], e["id"]["version"], e["id"]["resourceType"], e["shortDescription"]) for e in d["descriptionEntities"]]')" \
	"[[\"greeter\", \"$V\", \"WORKFLOW\", \"Greets <script>alert(1)</script> people\"]]"
get "$DE/WORKFLOW/descs/development/greeter/$V"
check description-entity-get eq "$CODE $(jget 'd["shortDescription"]')" "200 Greets <script>alert(1)</script> people"
# FlyteAdmin always answers a long description (an empty one here); Flyte's console reads longDescription.value
check description-entity-has-long-description eq "$(jget '"longDescription" in d')" True
get "$DE/WORKFLOW/descs/development/greeter/no-such-version"
check description-entity-unknown-version-404 eq "$CODE" 404
get "$DE/WORKFLOW/descs/development/plain"
check description-entities-none eq "$CODE $(jget 'len(d.get("descriptionEntities", []))')" "200 0"
get "$DE/WORKFLOW/descs/development/no_such_workflow"
check description-entities-unknown-name-404 eq "$CODE" 404
get "$DE/TASK/descs/development"
check description-entities-of-project eq "$(jget '[e["id"]["name"] for e in d["descriptionEntities"]]')" '["say"]'
get "$N/WORKFLOW/descs/development?limit=10"
check named-entity-list-answers-it eq "$(jget '[(e["id"]["name"], e["metadata"].get("description", "")) for e in d["entities"]]')" \
	'[["greeter", "Greets <script>alert(1)</script> people"], ["plain", ""]]'

# the pyflyte package's descriptions
check pyflyte-workflow-description wait_long "$N/WORKFLOW/demo/development/hello" 'd["metadata"]["description"]' \
	'Hello from a pyflyte package'
get "$DE/TASK/demo/development/greet"
check pyflyte-task-description-entity eq "$(jget '[e["shortDescription"] for e in d["descriptionEntities"]]')" '["Greets by name"]'
get "$N/WORKFLOW/demo/development/orders_etl"
check pyflyte-no-description-empty eq "$(jget 'd["metadata"].get("description", "")')" ""

# a PUT holds while the registrations bring nothing new; an edited description replaces it
put "$N/WORKFLOW/descs/development/greeter" \
	'{"resourceType":"WORKFLOW","id":{"project":"descs","domain":"development","name":"greeter"},"metadata":{"description":"set by hand"}}'
check put-named-description eq "$CODE" 200
# the file compiled and registered again (greeter unchanged) with one more task, whose arrival says the pass is done
sed -i 's/^tasks:$/tasks:\n  - {name: extra, type: echo, inputs: {x: integer}, outputs: {x: integer}}/' "$R/described.yaml"
check registered-again wait_long "/api/v1/task_ids/descs/development" '[e["name"] for e in d["entities"]]' '["extra", "say"]'
get "$N/WORKFLOW/descs/development/greeter"
check put-holds-over-same-registration eq "$(jget 'd["metadata"]["description"]')" "set by hand"
sed -i 's/Greets <script>alert(1)<\/script> people/Greets everyone/' "$R/described.yaml"
check edited-description-replaces wait_long "$N/WORKFLOW/descs/development/greeter" 'd["metadata"]["description"]' 'Greets everyone'
get "$DE/WORKFLOW/descs/development/greeter/$V"
check same-version-new-description eq "$(jget 'd["shortDescription"]')" "Greets everyone"
adm_done
