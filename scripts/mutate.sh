#!/bin/sh
# Mutation testing, one folder at a time: scripts/mutate.sh [protocol|mesh|network|all] [stryker args...]
# e.g. `npm run mutate -- protocol --mutate src/protocol/leb128.ts` mutates one file only.
# Niced: it is long-running and meant for an otherwise idle machine.
set -eu
folder=${1:-all}
[ $# -gt 0 ] && shift
if [ "$folder" = all ]; then set -- protocol mesh network; for f; do MUTATE_FOLDER=$f nice -n 10 npx stryker run; done; exit 0; fi
MUTATE_FOLDER=$folder exec nice -n 10 npx stryker run "$@"
