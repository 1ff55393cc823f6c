/* explain.c: the table of diagnostic explanations (explain.h). Sorted by code; looked up with a linear scan (it is
 * read once per command). */
#include "compiler/explain.h"

#include <string.h>
#include <strings.h>

#define TASK_INC "tasks:\n  - name: inc\n    type: echo\n    inputs: {x: integer}\n    outputs: {x: integer}\n"

static const struct cmp_explanation explanations[] = {
	{"AmbiguousBindingUnionValue", "A list or map of references fits more than one variant of a union input.",
	 "A union input needs to know which variant a value is. A list or map built from references is checked against\n"
	 "every variant; when more than one accepts it the compiler cannot choose. Make the union's variants distinct,\n"
	 "or bind a value of one exact type.",
	 TASK_INC "  - name: sum\n    type: echo\n    inputs: {xs: 'union<list<integer>, list<optional<integer>>>'}\n"
	 "workflows:\n  - name: w\n    nodes:\n      - {id: a, task: inc, inputs: {x: 1}}\n"
	 "      - {id: s, task: sum, inputs: {xs: [!ref a.x]}}\n",
	 TASK_INC "  - name: sum\n    type: echo\n    inputs: {xs: 'union<list<integer>, string>'}\n"
	 "workflows:\n  - name: w\n    nodes:\n      - {id: a, task: inc, inputs: {x: 1}}\n"
	 "      - {id: s, task: sum, inputs: {xs: [!ref a.x]}}\n"},
	{"BranchNodeHasNoCondition", "A branch has no cases, or a case lacks its if/elif condition.",
	 "Every case of a branch but the last starts with `if:` (the first) or `elif:` (the others) and a condition;\n"
	 "the last is `else:` or `else_fail:`.",
	 "      - id: b\n        branch:\n          - then: {task: inc, inputs: {x: 1}}\n          - else: {task: inc, inputs: {x: 2}}\n",
	 "      - id: b\n        branch:\n          - if: inputs.n > 0\n            then: {task: inc, inputs: {x: 1}}\n"
	 "          - else: {task: inc, inputs: {x: 2}}\n"},
	{"BranchNodeHasNoDefault", "A branch does not end with else or else_fail.",
	 "A branch must say what happens when no condition holds: run a node (`else:`) or fail the execution with a\n"
	 "message (`else_fail:`).",
	 "      - id: b\n        branch:\n          - if: inputs.n > 0\n            then: {task: inc, inputs: {x: 1}}\n",
	 "      - id: b\n        branch:\n          - if: inputs.n > 0\n            then: {task: inc, inputs: {x: 1}}\n"
	 "          - else_fail: n must be positive\n"},
	{"BranchNodeIdNotFound", "An IDL branch refers to a node that does not exist (IDL inputs only).",
	 "A compiled workflow read from a .pb or .json input has a branch whose case names a node id that the workflow\n"
	 "does not have. YAML specs cannot express this; regenerate the package with pyflyte.",
	 "# a WorkflowTemplate whose if_else.case.then_node.id is 'n9' while the template has no node 'n9'\n",
	 "# the same template, with the then_node present among the branch's nodes\n"},
	{"CycleDetected", "Nodes depend on each other in a ring.",
	 "A workflow is a directed acyclic graph: a node cannot wait, directly or through others, for its own output.\n"
	 "Break the ring by removing one of the references or `after:` entries.",
	 "      - {id: a, task: inc, inputs: {x: !ref b.x}}\n      - {id: b, task: inc, inputs: {x: !ref a.x}}\n",
	 "      - {id: a, task: inc, inputs: {x: 1}}\n      - {id: b, task: inc, inputs: {x: !ref a.x}}\n"},
	{"DuplicateAlias", "Two outputs of one node are aliased to the same name.",
	 "`aliases:` renames a node's outputs; each new name must be used once.",
	 "      - {id: n, task: pair, aliases: {left: same, right: same}}\n",
	 "      - {id: n, task: pair, aliases: {left: first, right: second}}\n"},
	{"DuplicateDefinition", "A task, workflow or launch plan name is defined twice.",
	 "Names are global across every file and project compiled together. The note points at the first definition;\n"
	 "rename or delete one of them.",
	 "tasks:\n  - {name: inc, type: echo}\n  - {name: inc, type: echo}\n",
	 "tasks:\n  - {name: inc, type: echo}\n  - {name: inc2, type: echo}\n"},
	{"DuplicateId", "Two nodes of a workflow have the same id.",
	 "Node ids name the nodes inside one workflow (references use them); each must be unique.",
	 "      - {id: a, task: inc, inputs: {x: 1}}\n      - {id: a, task: inc, inputs: {x: 2}}\n",
	 "      - {id: a, task: inc, inputs: {x: 1}}\n      - {id: b, task: inc, inputs: {x: 2}}\n"},
	{"DuplicateKey", "A key appears twice in one YAML mapping.",
	 "YAML mappings cannot repeat a key; most parsers silently keep the last one, flytec refuses. Remove one.",
	 "tasks:\n  - name: inc\n    type: echo\n    type: python-task\n",
	 "tasks:\n  - name: inc\n    type: python-task\n"},
	{"EntityTooLarge", "A compiled task, workflow or launch plan is larger than the per-entity limit.",
	 "One compiled entity may be at most 16 MiB (core/limits.h): the admin and Kubernetes refuse larger objects.\n"
	 "Split a huge workflow into subworkflows or map nodes, or move large defaults into files.",
	 "# a workflow with 500000 nodes written out one by one\n",
	 "# one map node over a list input, or several subworkflows\n"},
	{"FileKind", "A file's name and its content disagree.",
	 "flytec sniffs what a file holds: a `.tgz` that is text, or a `.yaml` that is a protobuf, is reported rather\n"
	 "than misread. Rename the file or fix its content.",
	 "# package.tgz containing a YAML spec\n",
	 "# package.yaml containing the YAML spec (or a real tar.gz named package.tgz)\n"},
	{"FileTooLarge", "A file is larger than --max-file-size.",
	 "Inputs are read whole; the limit (64 MiB by default) keeps a wrong path from eating memory. Raise it with\n"
	 "--max-file-size if the file is real.",
	 "flytec compile --max-file-size 100 big.yaml\n",
	 "flytec compile --max-file-size 1000000 big.yaml\n"},
	{"IOError", "A path does not exist or cannot be read.",
	 "The file or directory given on the command line (or found in a directory) could not be opened or read.\n"
	 "The exit status is 2. Check the path and its permissions.",
	 "flytec compile no-such-file.yaml\n",
	 "flytec compile specs/\n"},
	{"IllegalEnumValue", "A value is not one of an enum's values.",
	 "An `enum<a, b>` input accepts only the strings listed in its type.",
	 "      - {id: p, task: paint, inputs: {color: yellow}}   # color: enum<red, green, blue>\n",
	 "      - {id: p, task: paint, inputs: {color: red}}\n"},
	{"IncompatibleBindingUnionValue", "A list or map of references fits no variant of a union input.",
	 "The value built from references must be accepted by at least one variant of the union.",
	 "      - {id: s, task: sum, inputs: {xs: [!ref a.x]}}   # xs: union<list<string>, map<integer>>, a.x: integer\n",
	 "      - {id: s, task: sum, inputs: {xs: [!ref a.x]}}   # xs: union<list<integer>, map<integer>>\n"},
	{"InvalidArchive", "A .tgz input is not a readable tar archive.",
	 "pyflyte packages are gzip-compressed tar files. The archive is truncated, corrupt or not a tar at all;\n"
	 "rebuild it with `pyflyte package` or `flytec package`.",
	 "# flyte-package.tgz cut short by a failed download\n",
	 "# the complete flyte-package.tgz\n"},
	{"InvalidCondition", "A comparison that can never make sense: two constants, a non-scalar, or an ordering of booleans.",
	 "Conditions compare an input or an upstream output with a constant or another value of the same kind.\n"
	 "Booleans are compared with == or != only.",
	 "          - if: inputs.flag < true\n",
	 "          - if: inputs.flag == true\n"},
	{"InvalidName", "A name, node id, variable, project or domain breaks the naming rules.",
	 "Node ids and variables are letters, digits, '_' and '-', start with a letter and are at most 63 characters;\n"
	 "projects and domains are DNS labels. See the Names section of docs/spec.md.",
	 "      - {id: node.one, task: inc, inputs: {x: 1}}\n",
	 "      - {id: node-one, task: inc, inputs: {x: 1}}\n"},
	{"InvalidProtobuf", "A .pb input is not a valid message of the kind it should hold.",
	 "The bytes do not decode as a TaskSpec, WorkflowSpec or LaunchPlan (pyflyte's _1, _2 and _3 suffixes say\n"
	 "which). The file is truncated or was written by something else.",
	 "# 001_inc_1.pb truncated to 10 bytes\n",
	 "# 001_inc_1.pb as pyflyte wrote it\n"},
	{"InvalidReference", "A !ref is not inputs.NAME, NODE.OUTPUT or NODE.",
	 "A reference names a workflow input, an output of a node, or the only output of a node.",
	 "        inputs: {x: !ref a.x.y}\n",
	 "        inputs: {x: !ref a.x}\n"},
	{"InvalidSchedule", "A schedule cannot be understood: cron syntax, an unknown zone, a rate that is not whole minutes.",
	 "A cron has five fields (or a descriptor such as @daily); a rate is whole minutes, hours or days; a\n"
	 "timezone is an IANA zone. `flytec schedule EXPR` checks an expression and prints its next fire times.",
	 "    schedule: {cron: '61 * * * *'}\n",
	 "    schedule: {cron: '1 * * * *'}\n"},
	{"InvalidType", "A type cannot be parsed.",
	 "Types are written as in the Types section of docs/spec.md: integer, string, list<T>, map<T>, optional<T>,\n"
	 "union<A, B>, enum<a, b>, file<csv>, ... The message points at the exact character.",
	 "    inputs: {x: integr}\n",
	 "    inputs: {x: integer}\n"},
	{"InvalidValue", "A value has the wrong shape or range for its key.",
	 "Each key of the spec language takes values of one shape (a number, a duration, a list, ...) within a range.",
	 "    retries: 1000\n",
	 "    retries: 3\n"},
	{"JsonSyntax", "A .json input is not valid JSON.",
	 "JSON inputs (a closure, a task spec) must parse; the message gives the position of the first error.",
	 "{\"template\": {\"id\": }\n",
	 "{\"template\": {\"id\": {\"name\": \"w\"}}}\n"},
	{"MismatchingBindings", "A list or mapping of references is bound to an input that is not a list or map.",
	 "Writing `[!ref a.x]` builds a list; the input it is bound to must be a list (or a map for a mapping).",
	 "      - {id: b, task: inc, inputs: {x: [!ref a.x]}}\n",
	 "      - {id: b, task: inc, inputs: {x: !ref a.x}}\n"},
	{"MismatchingTypes", "A value or reference has a type that does not fit where it is bound.",
	 "Flyte's castability rules decide what may be bound to an input: an integer output cannot feed a string\n"
	 "input, a list<integer> cannot feed a list<string>. Bind a value of the right type, or change a type.",
	 "      - {id: c, task: shout, inputs: {s: !ref b.x}}   # b.x: integer, s: string\n",
	 "      - {id: c, task: shout, inputs: {s: !ref b.name}}   # b.name: string\n"},
	{"NoConditionFound", "A gate has none, or more than one, of sleep, approve and signal.",
	 "A gate node waits for exactly one thing: a duration (`sleep`), an approval (`approve`) or a typed signal\n"
	 "(`signal`).",
	 "      - {id: two, gate: {}}\n",
	 "      - {id: two, gate: {sleep: 10m}}\n"},
	{"NoEntities", "A file defines no task, workflow or launch plan (warning).",
	 "The file parsed but nothing came of it: it is empty, all comments, or its keys are misplaced. Delete it or\n"
	 "add what it was meant to hold.",
	 "# notes.yaml\n# TODO\n",
	 "tasks:\n  - {name: inc, type: echo}\n"},
	{"NoNodesFound", "A workflow has no nodes.",
	 "A workflow runs its nodes; one with none does nothing and Flyte refuses it.",
	 "workflows:\n  - name: hollow\n    nodes: []\n",
	 "workflows:\n  - name: hollow\n    nodes:\n      - {id: a, task: inc, inputs: {x: 1}}\n"},
	{"NodeReferenceNotFound", "A reference or after names a node that is not in the workflow.",
	 "`!ref NODE.OUTPUT` and `after:` name top-level nodes of the same workflow (nodes inside a branch cannot be\n"
	 "referenced from outside). A did-you-mean fix is offered when a close name exists.",
	 "      - {id: first, task: inc, inputs: {x: 1}}\n      - {id: second, task: inc, inputs: {x: !ref frist.x}}\n",
	 "      - {id: first, task: inc, inputs: {x: 1}}\n      - {id: second, task: inc, inputs: {x: !ref first.x}}\n"},
	{"NotConvertible", "An IDL input uses something flytec cannot turn into a spec.",
	 "`flytec convert` writes YAML specs from Flyte IDL; a few IDL features have no spec form. The message names\n"
	 "the feature; compile the IDL directly instead of converting it.",
	 "flytec convert package-with-unsupported-node.tgz\n",
	 "flytec compile package-with-unsupported-node.tgz\n"},
	{"NotInArchive", "A file the archive should contain is missing.",
	 "A package refers to a member (for instance a fast-register bundle) that the archive does not hold. Rebuild\n"
	 "the package.",
	 "# flyte-package.tgz without the fast<digest>.tar.gz its tasks refer to\n",
	 "# the package as pyflyte package --fast wrote it\n"},
	{"ParameterBoundMoreThanOnce", "An input of a node is bound twice (IDL inputs only).",
	 "A node in a compiled workflow lists the same input in two bindings. YAML specs report this as DuplicateKey.",
	 "# a Node whose inputs hold two Binding messages with var 'x'\n",
	 "# one Binding for 'x'\n"},
	{"ParameterNotBound", "A required input is left unbound, or an output has no value.",
	 "Every input of a node without a default needs a value or a reference; every workflow output needs a\n"
	 "reference; a scheduled launch plan needs every input fixed or defaulted.",
	 "      - {id: n, task: join, inputs: {a: x}}   # join needs a and b\n",
	 "      - {id: n, task: join, inputs: {a: x, b: y}}\n"},
	{"RecursiveReference", "A workflow runs itself, directly or through others.",
	 "Flyte workflows cannot recurse: a workflow may not include itself through subworkflow or launch plan nodes.",
	 "workflows:\n  - name: self\n    nodes:\n      - {id: again, workflow: self}\n",
	 "workflows:\n  - name: self\n    nodes:\n      - {id: once, task: inc, inputs: {x: 1}}\n"},
	{"ReservedId", "A node id is start-node, end-node or inputs.",
	 "These ids have a meaning in Flyte's graph and in references; choose another.",
	 "      - {id: start-node, task: inc, inputs: {x: 1}}\n",
	 "      - {id: start, task: inc, inputs: {x: 1}}\n"},
	{"SkippedPath", "A directory walk skipped a path (warning).",
	 "flytec does not follow symbolic-link loops, links to nothing, or (without --follow-outside-links) links\n"
	 "leading outside the directory given.",
	 "ln -s /etc specs/outside && flytec compile specs/\n",
	 "flytec compile --follow-outside-links specs/   # or remove the link\n"},
	{"SyntaxError", "A condition cannot be parsed.",
	 "Conditions are comparisons (==, !=, <, <=, >, >=) of inputs.NAME, NODE.OUTPUT and constants, joined by\n"
	 "`and`/`or` with parentheses.",
	 "          - if: inputs.n = 3\n",
	 "          - if: inputs.n == 3\n"},
	{"TaskReferenceNotFound", "A node's task: names no task.",
	 "The task must be defined in one of the files compiled together. A did-you-mean fix is offered when a close\n"
	 "name exists.",
	 "      - {id: a, task: icn, inputs: {x: 1}}\n",
	 "      - {id: a, task: inc, inputs: {x: 1}}\n"},
	{"UnknownFields", "An IDL JSON input has fields its message does not have.",
	 "JSON forms of IDL messages are read strictly so that a typo is not silently dropped.",
	 "{\"template\": {\"idd\": {}}}\n",
	 "{\"template\": {\"id\": {}}}\n"},
	{"UnknownKey", "A key the spec language does not have.",
	 "Each mapping of a spec has a fixed set of keys; a misspelt key is an error rather than being ignored. A\n"
	 "did-you-mean fix is offered when a close key exists.",
	 "      - {id: m, map: {task: inc, paralelism: 4}}\n",
	 "      - {id: m, map: {task: inc, parallelism: 4}}\n"},
	{"UnreachableNodes", "Nodes wait on each other and can never start.",
	 "Some nodes can never run because what they wait for never finishes (for instance they depend only on each\n"
	 "other through `after:`). Remove the waiting that cannot be satisfied.",
	 "      - {id: p, task: inc, inputs: {x: 1}, after: [q]}\n      - {id: q, task: inc, inputs: {x: 1}, after: [p]}\n",
	 "      - {id: p, task: inc, inputs: {x: 1}}\n      - {id: q, task: inc, inputs: {x: 1}, after: [p]}\n"},
	{"UnrecognizedValue", "An IDL enum or oneof holds a value flytec does not know (IDL inputs only).",
	 "The input was written by a newer Flyte with values this compiler does not have.",
	 "# a TaskMetadata with an unknown runtime flavour enum value 99\n",
	 "# the same message with a known value\n"},
	{"ValueRequired", "A required key is missing.",
	 "Some keys must be present: a task's name and type, a node's id and exactly one of task, workflow,\n"
	 "launch_plan, branch, gate or map.",
	 "      - {id: m, map: {}}\n",
	 "      - {id: m, map: {task: inc}}\n"},
	{"VariableNameNotFound", "An input, output, alias or launch plan input that does not exist.",
	 "Names of inputs and outputs must be those of the interface they refer to. A did-you-mean hint names the\n"
	 "closest.",
	 "        inputs: {day: !ref inputs.dy}\n",
	 "        inputs: {day: !ref inputs.day}\n"},
	{"WorkflowReferenceNotFound", "A workflow: or launch_plan: names nothing.",
	 "A subworkflow node, launch plan node, or a launch plan's workflow must name a workflow (or launch plan)\n"
	 "defined in the files compiled together.",
	 "launch_plans:\n  - {name: lp, workflow: mains}\n",
	 "launch_plans:\n  - {name: lp, workflow: main}\n"},
	{"YamlLimit", "A YAML file exceeds a structural limit: nesting, node count, alias expansion or scalar size.",
	 "The limits (core/limits.h) keep hostile or broken files from exhausting memory: nesting deeper than 256,\n"
	 "more than 4M nodes, aliases expanding a file far beyond its size, a scalar over 16 MiB.",
	 "a: &a [*b, *b, *b, *b, *b, *b, *b, *b, *b]   # a billion laughs\n",
	 "a: [1, 2, 3]\n"},
	{"YamlSyntax", "Malformed YAML.",
	 "The file does not parse as YAML: tabs used for indentation, bad indentation, unclosed brackets, invalid\n"
	 "UTF-8, an alias without its anchor.",
	 "tasks:\n\t- name: inc\n",
	 "tasks:\n  - name: inc\n"},
};

const struct cmp_explanation *cmp_explain_find(const char *code)
{
	size_t i;

	if (!code)
		return NULL;
	for (i = 0; i < FC_ARRAY_LEN(explanations); i++)
		if (!strcasecmp(explanations[i].code, code))
			return &explanations[i];
	return NULL;
}

size_t cmp_explain_count(void)
{
	return FC_ARRAY_LEN(explanations);
}

const struct cmp_explanation *cmp_explain_at(size_t i)
{
	return i < FC_ARRAY_LEN(explanations) ? &explanations[i] : NULL;
}

const char *cmp_explain_summary(const char *code)
{
	const struct cmp_explanation *e = cmp_explain_find(code);

	return e ? e->summary : NULL;
}
