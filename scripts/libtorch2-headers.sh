#!/usr/bin/env bash
# Downloads Debian trixie's libtorch-dev (LibTorch 2.x headers + CMake files) and unpacks it
# into .deps/libtorch2/, without touching this machine's apt state (bookworm): apt runs on a
# private sources list, lists, cache and an empty dpkg status in a temporary directory.
# Idempotent: a second run does nothing once .deps/libtorch2/.stamp names what is unpacked.
#   scripts/libtorch2-headers.sh            download + unpack (if not done yet)
#   scripts/libtorch2-headers.sh --refresh  re-resolve trixie's current version, re-unpack if new
#   LIBTORCH2_SUITE=forky scripts/libtorch2-headers.sh   another suite (default: trixie)
# Used by scripts/check-libtorch2.sh (syntax-only compile of our sources against these headers).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.deps/libtorch2"
stamp="$dest/.stamp"
suite=${LIBTORCH2_SUITE:-trixie}
# libtorch-dev's public headers (torch/, ATen/, c10/, caffe2/) need nothing from other -dev
# packages for torch/torch.h (checked for 2.6.0: no glog/gflags any more, no protobuf, sleef,
# fmt or onednn headers on that path); its Depends (libtorch2.x, python3-dev, libprotobuf-dev)
# are only for linking, torch/python.h and the caffe2 protos.  Add more here if ever needed.
packages=(libtorch-dev)

if [[ -f "$stamp" && "${1:-}" != "--refresh" ]]; then
  echo "libtorch2-headers: already unpacked: $(tr '\n' ' ' <"$stamp")"
  exit 0
fi

# shellcheck source=scripts/apt-private.sh
source "$root/scripts/apt-private.sh"
echo "libtorch2-headers: reading $suite's package lists (private apt state, this machine's mirror)"
apt_private_init "$suite"
tmp=$APT_TMP
mkdir -p "$tmp/dl"
versions=()
for p in "${packages[@]}"; do
  v=$(apt_private_version "$p")
  [[ -n "$v" ]] || { echo "libtorch2-headers: $p not in $suite" >&2; exit 1; }
  versions+=("$p=$v")
done
want=$(printf '%s\n' "${versions[@]}")
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "libtorch2-headers: up to date: $(tr '\n' ' ' <"$stamp")"
  exit 0
fi
echo "libtorch2-headers: downloading ${versions[*]}"
(cd "$tmp/dl" && nice -n 19 apt-get "${APT_OPTS[@]}" -qq download "${versions[@]}")

rm -rf "$dest.new"
mkdir -p "$dest.new"
for deb in "$tmp"/dl/*.deb; do
  nice -n 19 dpkg-deb -x "$deb" "$dest.new"
done
printf '%s\n' "$want" >"$dest.new/.stamp"
rm -rf "$dest"
mv "$dest.new" "$dest"
version_h="$dest/usr/include/torch/csrc/api/include/torch/version.h"
echo "libtorch2-headers: unpacked into $dest: $(awk '/define TORCH_VERSION "/ || prev {print} {prev = /define TORCH_VERSION \\/}' "$version_h" | tr -d ' "')"
