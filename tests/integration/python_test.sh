#!/usr/bin/env bash
# python_test.sh: the Python package's unittest suite (python/tests): types both ways, every authoring construct,
# tracing errors, flytec.execute, emit and package determinism, and the ported examples (examples/python) emitted,
# compiled with bin/flytec and run with `flytec run`. Tests that need python3-protobuf (package, execute, runs)
# skip with a message when it is missing. Last line: "python: N passed, N failed (N skipped)".
set -u
cd "$(dirname "$0")/../.." || exit 2
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)
T=$(mktemp -d "${TMPDIR:-/tmp}/flytec-python-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export PYTHONDONTWRITEBYTECODE=1 FLYTEC=${FLYTEC:-$PWD/bin/flytec} TMPDIR=$T
# The IDL modules are generated once into the temp dir; tasks run by `flytec run` find them through FLYTEC_PB_DIR
# (the tests pass it with `emit --env`), so nothing is written to the user's cache.
if "$PY" -c 'import google.protobuf' 2>/dev/null; then
	if PYTHONPATH=python "$PY" -c 'import sys; from flytec import _pb; _pb.generate(_pb.schemas_dir(), sys.argv[1])' \
		"$T/pb"; then
		export FLYTEC_PB_DIR=$T/pb
	fi
else
	echo "python3-protobuf is missing (apt-get install python3-protobuf): the tests that need it are skipped"
fi
cd python && timeout 500 "$PY" tests/run.py
