#!/usr/bin/env bash
# Configures and builds cwrf (Release) into build/ (or $CWRF_BUILD_DIR).
#   scripts/build.sh                 # Debian's LibTorch
#   CMAKE_PREFIX_PATH=/opt/libtorch scripts/build.sh   # another LibTorch (e.g. CUDA)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CWRF_BUILD_DIR:-build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif (($# > 0)); then
  cmake -S . -B "$build_dir" "$@"
fi
# Each job that compiles LibTorch code holds ~1.5 GB; one per core is safe on 24 GB.
cmake --build "$build_dir" --parallel "$(nproc)"
