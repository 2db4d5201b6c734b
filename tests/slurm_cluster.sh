#!/usr/bin/env bash
# The slurm test suite's CTest fixture (tests/CMakeLists.txt):
#   slurm_cluster.sh up MARKER     make sure the local Slurm (scripts/slurm-local.sh) accepts jobs:
#                                  start it if it is not up, and remember that in MARKER; exit 1,
#                                  saying why, when it cannot start (the slurm tests then FAIL)
#   slurm_cluster.sh down MARKER   stop it again if `up` started it
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
slurm=$root/scripts/slurm-local.sh
marker=${2:?usage: slurm_cluster.sh up|down MARKER}
case ${1:-} in
  up)
    rm -f "$marker"
    if "$slurm" status; then exit 0; fi
    echo "slurm tests: the local Slurm is not up; starting it (scripts/slurm-local.sh start)"
    if ! "$slurm" start >/dev/null; then
      echo "slurm tests: FAIL: the local Slurm cluster cannot start (scripts/slurm-local.sh start failed, output" \
        "above; not installed? scripts/slurm-local.sh install). The slurm tests cannot run." >&2
      exit 1
    fi
    touch "$marker"
    "$slurm" status
    ;;
  down)
    if [[ -f $marker ]]; then
      rm -f "$marker"
      "$slurm" stop
    fi
    ;;
  *) echo "usage: slurm_cluster.sh up|down MARKER" >&2; exit 2 ;;
esac
