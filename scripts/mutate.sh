#!/bin/sh
# Mutation testing, one run at a time: scripts/mutate.sh [protocol|mesh|mesh-node|network|all] [stryker args...]
# (src/mesh is two runs: its parts against unit tests, node.ts and peers.ts against scenarios).
# e.g. `npm run mutate -- protocol --mutate src/protocol/plumtree-cache.ts` mutates one file only.
# Niced to 19: it is long-running and the machine is shared.
set -eu
folder=${1:-all}
[ $# -gt 0 ] && shift
case $folder in
  all) for f in protocol mesh mesh-node network; do MUTATE_FOLDER=$f nice -n 19 npx stryker run; done ;;
  protocol|mesh|mesh-node|network) MUTATE_FOLDER=$folder exec nice -n 19 npx stryker run "$@" ;;
  *) echo "mutate: unknown folder $folder (protocol, mesh, mesh-node, network or all)" >&2; exit 2 ;;
esac
