#!/usr/bin/env bash
# operator_volume_test.sh: `flytec propeller --state volume` (the engine's state in sqlite on the data volume, the
# status written from it) stays selectable and tested now that --state status is the default: operator_records_test.sh
# run in that mode (24 workflows, records freed, no self-inflicted 409, a 410 Gone relist, every task once).
# Every tests/k8s/operator_*_test.sh runs in volume mode with FLYTEC_OPERATOR_STATE=volume.
dir=$(dirname "$0")
FLYTEC_OPERATOR_STATE=volume bash "$dir/operator_records_test.sh" | sed -u 's/^operator_records: /operator_volume: /'
exit "${PIPESTATUS[0]}"
