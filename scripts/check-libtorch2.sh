#!/usr/bin/env bash
# Syntax-only compile check of cwrf's sources against LibTorch 2.x headers (Debian trixie's
# libtorch-dev, unpacked into .deps/libtorch2/ by scripts/libtorch2-headers.sh), with g++ and
# the flags CMake uses (build/compile_commands.json when present), no GPU and no link needed.
#   scripts/check-libtorch2.sh                    every .cpp under src/ apps/ tests/ (+ src/cwrf/pch.h)
#   scripts/check-libtorch2.sh src/cwrf/a.cpp ... only these files
#   scripts/check-libtorch2.sh -j2 [files...]     parallel jobs (default 1: ~1.5 GB and a core each)
#   scripts/check-libtorch2.sh --tree DIR [files...]  check another copy of the sources (e.g. a
#                                                  `git archive HEAD` snapshot), files relative to DIR
#   CHECK_LIBTORCH2_NO_PCH=1 scripts/check-libtorch2.sh   no precompiled header (slower, 20-60 s/file)
#   CHECK_LIBTORCH2_CXXFLAGS="-I..." scripts/check-libtorch2.sh ...   extra flags, first on the line
# Prints each failing file with its first errors (full logs: .deps/libtorch2-check/logs/), and
# a list of deprecation warnings in our code; exits 1 if any file fails to compile.
#
# The 1.13 headers in /usr/include (torch/, ATen/, c10/, caffe2/) must never be found: a header
# that 2.x removed would silently resolve to 1.13's copy.  So the compiler runs with -nostdinc and
# a shadow of /usr/include (.deps/libtorch2-check/sysinclude: symlinks to every entry but those).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jobs=1
files=()
tree="$root"
while (($# > 0)); do
  case "$1" in
    -j*) jobs=${1#-j}; [[ -n "$jobs" ]] || jobs=1 ;;
    --tree) tree="$(cd "$2" && pwd)"; shift ;;
    *) files+=("$1") ;;
  esac
  shift
done
extra=()
read -r -a extra <<<"${CHECK_LIBTORCH2_CXXFLAGS:-}"
cxx=${CXX:-g++}
scripts/libtorch2-headers.sh >/dev/null
t2="$root/.deps/libtorch2"
work="$root/.deps/libtorch2-check"
tag=""   # per-tree logs and precompiled header: the main tree's in logs/ and pch/
[[ "$tree" == "$root" ]] || tag="-$(echo "$tree" | md5sum | cut -c1-8)"
logs="$work/logs$tag"   # one <file>.log (+ .rc) per file, kept until that file is checked again
mkdir -p "$logs"

# --- the shadow /usr/include, without LibTorch 1.13 ---------------------------------------
shadow="$work/sysinclude"
excluded=" ATen c10 caffe2 torch $(ls "$t2/usr/include" | tr '\n' ' ') "
if dpkg -L libtorch-dev >/dev/null 2>&1; then
  excluded+=" $(dpkg -L libtorch-dev | awk -F/ '$2 == "usr" && $3 == "include" && NF >= 5 {print $4}' | sort -u | tr '\n' ' ') "
fi
rm -rf "$shadow"
mkdir -p "$shadow"
for e in /usr/include/*; do
  n=${e##*/}
  [[ "$excluded" == *" $n "* ]] && continue
  ln -s "$e" "$shadow/$n"
done
sys_inc=()
while read -r d; do
  [[ "$d" == /usr/include ]] && d="$shadow"
  sys_inc+=(-isystem "$d")
done < <(echo | "$cxx" -xc++ -E -v - 2>&1 | sed -n '/<...> search starts here/,/End of search/p' | sed '1d;$d;s/^ *//')

# --- flags ---------------------------------------------------------------------------------
# Torch 2.x's own interface definitions (1.13's glog/gflags ones are dropped below).
torch_defs=$(sed -n 's/.*INTERFACE_COMPILE_DEFINITIONS "\([A-Z0-9_;]*\)".*/\1/p' \
  "$t2"/usr/lib/*/cmake/Caffe2/Caffe2Targets.cmake | head -n1 | tr ';' '\n' | sed 's/^/-D/' | tr '\n' ' ')
t2_inc=(-isystem "$t2/usr/include/torch/csrc/api/include" -isystem "$t2/usr/include")
common=("${extra[@]}" -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -fdiagnostics-color=never -nostdinc "${t2_inc[@]}" "${sys_inc[@]}"
        -O3 -DNDEBUG -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
        -Winvalid-pch $torch_defs)

# Per-file -D/-I from build/compile_commands.json (torch's own and the PCH dropped), with
# defaults for files CMake has not seen yet (new files from a refactoring).
ccj="$root/build/compile_commands.json"
flags_db="$work/flags.tsv"
python3 - "$ccj" "$root" "$tree" >"$flags_db" <<'EOF'
import json, os, shlex, sys
ccj, root, tree = sys.argv[1], sys.argv[2], sys.argv[3]
def moved(d):  # a directory of the main tree, in the tree being checked
    return tree + d[len(root):] if d == root or d.startswith(root + "/") else d
drop_d = ("-DGFLAGS", "-DGLOG", "-DUSE_", "-D_GLIBCXX_USE_CXX11_ABI", "-DNDEBUG")
entries = json.load(open(ccj)) if os.path.exists(ccj) else []
out, default = {}, {}
for e in entries:
    args = e.get("arguments") or shlex.split(e["command"])
    keep, i = [], 0
    while i < len(args):
        a = args[i]
        if a in ("-I", "-D", "-isystem", "-include", "-o", "-c", "-MF", "-MT"):
            a, i = (a, args[i + 1]), i + 1   # option with a separate value
        else:
            for o in ("-I", "-D", "-isystem"):
                if a.startswith(o) and len(a) > len(o):
                    a = (o, a[len(o):])
                    break
        if isinstance(a, tuple):
            o, v = a
            if o == "-D" and not ("-D" + v).startswith(drop_d):
                keep.append("-D" + v)
            elif o in ("-I", "-isystem") and "/torch" not in v and not v.startswith("/usr/include"):
                keep.append(o + moved(v))   # LibTorch's own include dirs: replaced by the 2.x ones
        i += 1
    f = os.path.relpath(e["file"], root)
    out[f] = keep
    top = f.split("/")[0]
    default.setdefault(top, keep)
base = ["-I" + tree + "/src", '-DCWRF_VERSION="0.1.0"', "-DFMT_SHARED", "-DTOML_HEADER_ONLY=0", "-DTOML_SHARED_LIB=1"]
default.setdefault("src", base)
default.setdefault("apps", base)
default.setdefault("tests", base + ["-I" + tree + "/tests", "-DGTEST_HAS_PTHREAD=1",
                                    '-DCWRF_SOURCE_DIR="%s"' % root, '-DCWRF_BINARY="%s/build/cwrf"' % root])
for top, keep in default.items():
    print("*" + top + "\t" + "\x1f".join(keep))
for f, keep in out.items():
    print(f + "\t" + "\x1f".join(keep))
EOF
file_flags() {  # $1: file relative to root -> FLAGS array
  local f=$1 line top=${1%%/*}
  line=$(awk -F'\t' -v f="$f" '$1 == f {print $2; exit}' "$flags_db")
  [[ -n "$line" ]] || line=$(awk -F'\t' -v f="*$top" '$1 == f {print $2; exit}' "$flags_db")
  [[ -n "$line" ]] || line=$(awk -F'\t' '$1 == "*src" {print $2; exit}' "$flags_db")
  IFS=$'\x1f' read -r -a FLAGS <<<"$line"
}

# Make sure what we compile against really is 2.x.
file_flags src/cwrf/pch.h
ver=$(printf '#include <torch/version.h>\nTORCH_VERSION TORCH_VERSION_MAJOR\n' |
  "$cxx" "${common[@]}" "${FLAGS[@]}" -E -P -xc++ - | tail -n1)
echo "check-libtorch2: LibTorch headers $ver ($(tr '\n' ' ' <"$t2/.stamp")), $("$cxx" --version | head -n1)"
[[ "$ver" == '"2.'* ]] || { echo "check-libtorch2: these are not LibTorch 2.x headers" >&2; exit 2; }

# --- the precompiled header, as CMake force-includes src/cwrf/pch.h into every TU -----------
pch_dir="$work/pch$tag"
mkdir -p "$pch_dir"
wrapper=$(printf '// generated by scripts/check-libtorch2.sh\n#include "%s/src/cwrf/pch.h"' "$tree")
[[ -f "$pch_dir/cwrf_pch.h" && "$(cat "$pch_dir/cwrf_pch.h")" == "$wrapper" ]] || echo "$wrapper" >"$pch_dir/cwrf_pch.h"
pch_ok=1
if [[ -z "${CHECK_LIBTORCH2_NO_PCH:-}" ]]; then
  stale=1
  if [[ -f "$pch_dir/cwrf_pch.h.gch" && -f "$pch_dir/cwrf_pch.d" ]]; then
    stale=0
    for dep in $(sed 's/\\$//; s/^[^:]*://' "$pch_dir/cwrf_pch.d"); do
      [[ "$dep" -nt "$pch_dir/cwrf_pch.h.gch" || ! -e "$dep" ]] && { stale=1; break; }
    done
  fi
  if ((stale)); then
    echo "check-libtorch2: precompiling src/cwrf/pch.h against 2.x"
    if ! nice -n 19 "$cxx" "${common[@]}" "${FLAGS[@]}" -x c++-header "$pch_dir/cwrf_pch.h" \
        -o "$pch_dir/cwrf_pch.h.gch" -MD -MF "$pch_dir/cwrf_pch.d" >"$logs/pch.log" 2>&1; then
      pch_ok=0
      rm -f "$pch_dir/cwrf_pch.h.gch"
      echo "check-libtorch2: FAIL src/cwrf/pch.h (every file below will fail the same way):"
      grep -m 10 -E 'error' "$logs/pch.log" | sed 's/^/    /'
    fi
  fi
else
  rm -f "$pch_dir/cwrf_pch.h.gch"
fi

# --- the files -----------------------------------------------------------------------------
if ((${#files[@]} == 0)); then
  mapfile -t files < <(cd "$tree" && find src apps tests -name '*.cpp' | sort)
fi
cd "$tree"
check_one() {  # $1: file; writes $work/logs/<file>.log and .rc
  local f=${1#"$tree"/} log
  log="$logs/${f//\//__}.log"
  file_flags "$f"
  local rc=0
  rm -f "$log" "$log.rc"
  nice -n 19 "$cxx" "${common[@]}" "${FLAGS[@]}" -include "$pch_dir/cwrf_pch.h" -fsyntax-only \
    "$tree/$f" >"$log" 2>&1 || rc=$?
  echo "$rc" >"$log.rc"
}
start=$SECONDS
n=0
running=0
for f in "${files[@]}"; do
  [[ -f "$f" ]] || { echo "check-libtorch2: no such file: $f" >&2; continue; }
  check_one "$f" &
  running=$((running + 1))
  if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
  n=$((n + 1))
done
wait || true

failed=()
checked_logs=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  f=${f#"$tree"/}
  log="$logs/${f//\//__}.log"
  checked_logs+=("$log")
  if [[ "$(cat "$log.rc")" != 0 ]]; then
    failed+=("$f")
    echo "FAIL $f"
    grep -E ': (fatal )?error:' "$log" | awk '!seen[$0]++' | head -n 8 | sed 's/^/    /'
  fi
done
deprec=$(cat "${checked_logs[@]}" /dev/null 2>/dev/null | grep -E '^(/[^:]*/)?(src|apps|tests)/[^:]*:[0-9]+:[0-9]+: warning: .*deprecated' | sort -u || true)
if [[ -n "$deprec" ]]; then
  echo "check-libtorch2: deprecation warnings in our code (still compile, may break in a later 2.x):"
  echo "$deprec" | sed "s|$tree/||; s/^/    /"
fi
echo "check-libtorch2: $n files, ${#failed[@]} failed, $((SECONDS - start)) s (logs: ${logs#"$root"/})"
((${#failed[@]} == 0 && pch_ok))
