#!/usr/bin/env bash
# Gathers, HERE (Debian bookworm, with its package archive), what a bare GPU machine (a Python
# with PyTorch 2.x + CUDA, no package registries, maybe no cmake) needs to build cwrf, into
# .deps/device/ (< 40 MiB; pass it in `carry`).  Idempotent: each part is redone only when its
# Debian package version (or the script's recipe) changed.
#   scripts/device-prep.sh             everything
#   scripts/device-prep.sh --no-tools  skip building the static cmake/ninja (takes long, once)
#
# What lands in .deps/device/ (see .deps/device/MANIFEST.txt after a run):
#   usr/include/        headers of CLI11, toml++, nlohmann-json, fmt, xxhash, libpng, zlib
#   usr/share/cmake/    Debian's CLI11 and nlohmann_json CMake configs (relocatable)
#   usr/lib/cmake/      header-only configs of our own for fmt (FMT_HEADER_ONLY) and
#                       tomlplusplus (TOML_HEADER_ONLY): no C++ library of Debian's is linked,
#                       so the C++11 ABI of the GPU machine's LibTorch (0 or 1) cannot clash
#   usr/lib/            libpng16.so(.16) and libz.so(.1) (C ABI; Debian's, copies, no symlinks),
#                       usr/lib/static/libpng16.a + libz.a (PIC; for a glibc < 2.29),
#                       libxxhash.a (built here from xxhash.h, -fPIC, no glibc version needs)
#   usr/src/googletest/ GoogleTest + GoogleMock sources (build them there with torch's ABI)
#   torch-shim/         a TorchConfig.cmake that skips LibTorch's CUDA toolkit checks
#   smoke/              a one-test project linking every dependency the way cwrf does
#   tools/bin/cmake, tools/share/cmake-3.25/   CMake 3.25.1 from Debian's source, fully static
#   tools/bin/ninja     Ninja 1.11.1 from Debian's source, fully static
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.deps/device"
work="$root/.deps/device-work"
with_tools=1
[[ "${1:-}" == "--no-tools" ]] && with_tools=0
mkdir -p "$out" "$work/debs" "$work/src"

# shellcheck source=scripts/apt-private.sh
source "$root/scripts/apt-private.sh"
echo "device-prep: reading bookworm's package lists (private apt state, this machine's mirror)"
apt_private_init "bookworm bookworm-updates bookworm-security" "deb deb-src"

# Binary packages: the version installed here when the archive still has it (what CI builds
# with), else bookworm's newest.
bin_packages=(libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev libxxhash-dev
              libpng-dev libpng16-16 zlib1g-dev zlib1g googletest)
declare -A ver
for p in "${bin_packages[@]}"; do
  v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
  if [[ -z "$v" ]] || ! apt-cache "${APT_OPTS[@]}" madison "$p" | awk -F' [|] ' -v v="$v" '$2 == v {f = 1} END {exit !f}'; then
    v=$(apt_private_version "$p")   # not installed, or the archive has moved on (security updates)
  fi
  [[ -n "$v" ]] || { echo "device-prep: $p not found" >&2; exit 1; }
  ver[$p]=$v
done
for p in "${bin_packages[@]}"; do
  d="$work/debs/$p"
  if [[ "$(cat "$d/.version" 2>/dev/null)" != "${ver[$p]}" ]]; then
    echo "device-prep: fetching $p ${ver[$p]}"
    rm -rf "$d"
    mkdir -p "$d/x"
    (cd "$d" && nice -n 19 apt-get "${APT_OPTS[@]}" -qq download "$p=${ver[$p]}")
    dpkg-deb -x "$d"/*.deb "$d/x"
    echo "${ver[$p]}" >"$d/.version"
  fi
done
x() { echo "$work/debs/$1/x"; }

# --- headers, CMake configs, libraries: rebuilt from the unpacked packages every run (cheap) --
rm -rf "$out/usr" "$out/torch-shim" "$out/smoke"
mkdir -p "$out/usr/include" "$out/usr/lib/cmake" "$out/usr/share/cmake" "$out/usr/src"
cpd() { cp -rL "$@"; }   # dereference: nothing under .deps/device may be a symlink
cpd "$(x libcli11-dev)/usr/include/CLI" "$out/usr/include/"
cpd "$(x libcli11-dev)/usr/share/cmake/CLI11" "$out/usr/share/cmake/"
cpd "$(x nlohmann-json3-dev)/usr/include/nlohmann" "$out/usr/include/"
cpd "$(x nlohmann-json3-dev)/usr/share/cmake/nlohmann_json" "$out/usr/share/cmake/"
cpd "$(x libtomlplusplus-dev)/usr/include/toml++" "$out/usr/include/"
cpd "$(x libfmt-dev)/usr/include/fmt" "$out/usr/include/"
cpd "$root/scripts/device/cmake/fmt" "$root/scripts/device/cmake/tomlplusplus" "$out/usr/lib/cmake/"
for h in xxhash.h xxh3.h xxh_x86dispatch.h; do
  [[ -f "$(x libxxhash-dev)/usr/include/$h" ]] && cpd "$(x libxxhash-dev)/usr/include/$h" "$out/usr/include/"
done
cpd "$(x libpng-dev)/usr/include/libpng16" "$out/usr/include/"
for h in png.h pngconf.h pnglibconf.h; do cpd "$(x libpng-dev)/usr/include/libpng16/$h" "$out/usr/include/"; done
cpd "$(x zlib1g-dev)/usr/include/zlib.h" "$(x zlib1g-dev)/usr/include/zconf.h" "$out/usr/include/"
# Shared C libraries as real files: the .so name for the linker, the SONAME for the loader.
png_so=$(find "$(x libpng16-16)" -name 'libpng16.so.16.*' -type f | head -n1)
cp "$png_so" "$out/usr/lib/libpng16.so.16"
cp "$png_so" "$out/usr/lib/libpng16.so"
z_so=$(find "$(x zlib1g)" -name 'libz.so.1.*' -type f | head -n1)
cp "$z_so" "$out/usr/lib/libz.so.1"
cp "$z_so" "$out/usr/lib/libz.so"
# The same two as PIC static archives (Debian builds them -fPIC), in a folder of their own so
# that find_library keeps preferring the .so: a fallback for a machine whose glibc is older
# than libpng16.so's needs (GLIBC_2.29, for pow), since an archive has no symbol versions.
mkdir -p "$out/usr/lib/static"
cp "$(x libpng-dev)/usr/lib/x86_64-linux-gnu/libpng16.a" "$(x zlib1g-dev)/usr/lib/x86_64-linux-gnu/libz.a" "$out/usr/lib/static/"
# xxhash: the whole implementation is in xxhash.h; a PIC static archive of it carries no glibc
# symbol versions and links into PIE and non-PIE programs alike.
mkdir -p "$work/xxhash"
printf '#define XXH_IMPLEMENTATION\n#define XXH_STATIC_LINKING_ONLY\n#include "xxhash.h"\n' >"$work/xxhash/xxhash.c"
nice -n 19 gcc -O2 -fPIC -I "$out/usr/include" -c "$work/xxhash/xxhash.c" -o "$work/xxhash/xxhash.o"
rm -f "$out/usr/lib/libxxhash.a"
ar rcs "$out/usr/lib/libxxhash.a" "$work/xxhash/xxhash.o"
# GoogleTest sources (googletest + googlemock), without their docs.
cpd "$(x googletest)/usr/src/googletest" "$out/usr/src/"
find "$out/usr/src/googletest" -type d -name docs -prune -exec rm -rf {} +
cpd "$root/scripts/device/torch-shim" "$root/scripts/device/smoke" "$out/"

# --- static cmake and ninja, from Debian's source packages -----------------------------------
build_static_tools() {
  local src_ver stamp
  # ninja
  src_ver=$(apt_private_version ninja-build src)
  stamp="ninja-build=$src_ver static-1"
  if [[ "$(cat "$work/ninja.stamp" 2>/dev/null)" != "$stamp" || ! -x "$work/ninja/ninja" ]]; then
    echo "device-prep: building a static ninja from Debian's ninja-build $src_ver"
    rm -rf "$work/src/ninja" "$work/ninja"
    mkdir -p "$work/src/ninja"
    (cd "$work/src/ninja" && apt-get "${APT_OPTS[@]}" -qq source --download-only "ninja-build=$src_ver" &&
      dpkg-source -x --no-check ./*.dsc tree >/dev/null)
    mv "$work/src/ninja/tree" "$work/ninja"
    (cd "$work/ninja" && CXXFLAGS="-O2" LDFLAGS="-static" nice -n 19 python3 configure.py --bootstrap >/dev/null)
    strip "$work/ninja/ninja"
    echo "$stamp" >"$work/ninja.stamp"
  fi
  # cmake (built with this machine's cmake + ninja; bundled third-party libraries, no OpenSSL,
  # no curses/Qt dialogs; -static: runs on any x86-64 Linux, whatever its glibc)
  src_ver=$(apt_private_version cmake src)
  stamp="cmake=$src_ver static-1"
  if [[ "$(cat "$work/cmake.stamp" 2>/dev/null)" != "$stamp" || ! -x "$work/cmake-build/bin/cmake" ]]; then
    echo "device-prep: building a static cmake from Debian's cmake $src_ver (long: ~1 h of one core)"
    rm -rf "$work/src/cmake" "$work/cmake-src" "$work/cmake-build"
    mkdir -p "$work/src/cmake"
    (cd "$work/src/cmake" && apt-get "${APT_OPTS[@]}" -qq source --download-only "cmake=$src_ver" &&
      dpkg-source -x --no-check ./*.dsc tree >/dev/null)
    mv "$work/src/cmake/tree" "$work/cmake-src"
    nice -n 19 cmake -S "$work/cmake-src" -B "$work/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_USE_SYSTEM_LIBRARIES=OFF -DCMAKE_USE_OPENSSL=OFF -DBUILD_CursesDialog=OFF \
      -DBUILD_QtDialog=OFF -DBUILD_TESTING=OFF -DCMake_BUILD_LTO=OFF \
      -DCMAKE_EXE_LINKER_FLAGS=-static -DCMAKE_C_FLAGS="-O2" -DCMAKE_CXX_FLAGS="-O2" >"$work/cmake-configure.log" 2>&1 ||
      { tail -30 "$work/cmake-configure.log"; exit 1; }
    nice -n 19 cmake --build "$work/cmake-build" --target cmake --parallel "${DEVICE_PREP_JOBS:-1}" >"$work/cmake-build.log" 2>&1 ||
      { tail -30 "$work/cmake-build.log"; exit 1; }
    echo "$stamp" >"$work/cmake.stamp"
  fi
  rm -rf "$out/tools"
  mkdir -p "$out/tools/bin"
  cp "$work/ninja/ninja" "$out/tools/bin/ninja"
  strip -o "$out/tools/bin/cmake" "$work/cmake-build/bin/cmake"
  local share
  share=$(cd "$work/cmake-src" && echo "share/cmake-$(sed -n 's/^set(CMake_VERSION_MAJOR \([0-9]*\)).*/\1/p' Source/CMakeVersion.cmake).$(sed -n 's/^set(CMake_VERSION_MINOR \([0-9]*\)).*/\1/p' Source/CMakeVersion.cmake)")
  mkdir -p "$out/tools/$share"
  cpd "$work/cmake-src/Modules" "$work/cmake-src/Templates" "$out/tools/$share/"
  [[ -d "$work/cmake-src/Auxiliary" ]] || true
}
if ((with_tools)); then
  build_static_tools
else
  echo "device-prep: --no-tools: keeping $( [[ -d "$out/tools" ]] && echo "the tools already in .deps/device/tools" || echo "no cmake/ninja")"
fi

# --- manifest -------------------------------------------------------------------------------
glibc_min() {  # the newest GLIBC_x.y symbol version an ELF file needs ("none" if static)
  local v
  v=$(objdump -T "$1" 2>/dev/null | grep -oE '\(GLIBC_[0-9.]+\)' | tr -d '()' | sort -uV | tail -n1)
  echo "${v:-none (static)}"
}
{
  echo "# .deps/device, gathered by scripts/device-prep.sh on $(date -u +%Y-%m-%d) from Debian bookworm"
  for p in "${bin_packages[@]}"; do echo "package $p ${ver[$p]}"; done
  [[ -f "$work/cmake.stamp" && -d "$out/tools" ]] && echo "tool $(cat "$work/cmake.stamp")"
  [[ -f "$work/ninja.stamp" && -d "$out/tools" ]] && echo "tool $(cat "$work/ninja.stamp")"
  echo "# glibc needed by the shipped binaries"
  for f in "$out"/usr/lib/*.so.* "$out"/tools/bin/*; do
    [[ -f "$f" ]] || continue
    echo "glibc ${f#"$out"/}: $(glibc_min "$f"); needs: $(objdump -p "$f" 2>/dev/null | awk '/NEEDED/ {printf "%s ", $2}')"
  done
  echo "# size"
  du -sh "$out"/* | sed "s|$out/||"
  echo "total $(du -sh "$out" | cut -f1)"
} >"$out/MANIFEST.txt"
if find "$out" -type l | grep -q .; then
  echo "device-prep: symlinks left under .deps/device (they may not travel):" >&2
  find "$out" -type l >&2
  exit 1
fi
cat "$out/MANIFEST.txt"
