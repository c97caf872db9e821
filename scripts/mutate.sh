#!/bin/sh
# Mutation testing, one folder at a time: scripts/mutate.sh [protocol|mesh|network|all] [stryker args...]
# e.g. `npm run mutate -- protocol --mutate src/protocol/plumtree-cache.ts` mutates one file only.
# Niced to 19: it is long-running and the machine is shared.
set -eu
folder=${1:-all}
[ $# -gt 0 ] && shift
case $folder in
  all) for f in protocol mesh network; do MUTATE_FOLDER=$f nice -n 19 npx stryker run; done ;;
  protocol|mesh|network) MUTATE_FOLDER=$folder exec nice -n 19 npx stryker run "$@" ;;
  *) echo "mutate: unknown folder $folder (protocol, mesh, network or all)" >&2; exit 2 ;;
esac
