#!/bin/sh
# Churn without cause over many seeds: every functional scenario (fault-free, so the whole run
# is checked) through `meshsim sweep`, whose runs apply the churn invariant at the end.
# Usage: scripts/churn-sweep.sh [LAST_SEED (default 20)] [WORKERS (default 1)]
# Exit 0 when every seed of every scenario passed. Needs the build (`npm run build`).
set -u
last=${1:-20}
workers=${2:-1}
status=0
for scenario in default mesh-five-types-present gossip-swarm-forms gossip-mesh-to-mesh remove-resilience mesh-grow-shrink backpressure-stream-flood; do
  node "$(dirname "$0")/../bin/meshsim.js" sweep --scenario "$scenario" --seeds "1..$last" --workers "$workers" || status=1
done
exit $status
