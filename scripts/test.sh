#!/usr/bin/env bash
# Builds cwrf and runs the whole test suite (unit, integration, cuda: it skips without a GPU, and
# slurm: it starts the local Slurm of scripts/slurm-local.sh, which must be installed, and fails without it).
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only the fast unit tests (any ctest arguments pass through)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh all
cd "${CWRF_BUILD_DIR:-build}"
ctest --output-on-failure --parallel "$(nproc)" "$@"
