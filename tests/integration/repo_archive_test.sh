#!/usr/bin/env bash
# The watched repository reads what `flytec compile` reads in a directory, JSON aside: a `pyflyte package` archive
# dropped into the repository registers its tasks, workflows and launch plans; replacing it with a broken archive
# keeps the last good versions; a *.json file is not watched.
. "$(dirname "$0")/admin_lib.sh"
R=$T/repo
mkdir -p "$R"
adm_start --repo "$R" --project demo || exit 1
PD=demo/development
cp examples/my-flyte-project.tgz "$R/pkg.tgz"
check archive-registered wait_for "/api/v1/workflow_ids/$PD" 'sorted(e["name"] for e in d["entities"])' \
	'["hello", "orders_etl", "train_and_publish"]'
get /api/v1/repository/status
check archive-status-ok eq "$(jget '[(f["path"], f["ok"]) for f in d["files"]]')" '[["pkg.tgz", true]]'
printf 'not an archive at all' | gzip > "$T/bad.tgz"
mv "$T/bad.tgz" "$R/pkg.tgz"
check broken-archive-reported wait_for /api/v1/repository/status '[(f["path"], f["ok"]) for f in d["files"]]' \
	'[["pkg.tgz", false]]'
get "/api/v1/workflow_ids/$PD"
check last-good-versions-stay eq "$(jget 'len(d["entities"])')" 3
echo '{"some": "config"}' > "$R/settings.json"
sleep 0.5
get /api/v1/repository/status
check json-not-watched eq "$(jget '[f["path"] for f in d["files"]]')" '["pkg.tgz"]'
adm_done
