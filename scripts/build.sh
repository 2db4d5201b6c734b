#!/usr/bin/env bash
# Configures and builds cwrf (Release) into build/ (or $CWRF_BUILD_DIR).
#   scripts/build.sh                 # the cwrf program only (what `cwrf run` needs)
#   scripts/build.sh all             # everything: the program and the test suites (scripts/test.sh)
#   CMAKE_PREFIX_PATH=/opt/libtorch scripts/build.sh   # another LibTorch (e.g. CUDA)
# Extra arguments of the form -DNAME=VALUE go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CWRF_BUILD_DIR:-build}
target=cwrf
configure=()
for arg in "$@"; do
  case "$arg" in
    all) target=all ;;
    -D*) configure+=("$arg") ;;
    *) echo "build.sh: error: unknown argument '$arg' (all, or -DNAME=VALUE)" >&2; exit 2 ;;
  esac
done
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "${configure[@]}"
elif ((${#configure[@]} > 0)); then
  cmake -S . -B "$build_dir" "${configure[@]}"
fi
# Each job that compiles LibTorch code holds ~1.5 GB; one per core is safe on 24 GB.
cmake --build "$build_dir" --parallel "$(nproc)" --target "$target"
