#!/usr/bin/env bash
# The one script a GPU machine runs (issue 15): build cwrf against that machine's PyTorch LibTorch,
# run the `cuda` tests, measure training images/s next to PyTorch eager, and run one row of
# configs/paper/cifar10-resnet18.toml end to end on generated CIFAR-format files, shortened.
# Every log, table and figure goes to the output folder; summary.md there says what ran and how it
# ended. Prepared on a CPU machine: .deps/device (scripts/device-prep.sh) must travel with the
# working tree (it holds what a bare machine lacks: header-only libraries, libpng/zlib, GoogleTest
# sources, static cmake and ninja, the Torch config shim).
#
#   scripts/device-check.sh                         every phase, output in $OUT (or runs/device-check)
#   scripts/device-check.sh --phases env,configure,build,tests     first call (the build persists)
#   scripts/device-check.sh --phases bench,row                     second call
#   scripts/device-check.sh --budget 540            stop starting phases after 540 s (default: none)
#   scripts/device-check.sh --dry-run               on a CPU machine: Debian's LibTorch, device cpu,
#                                                   tiny sizes (checks the recipe and the scripts)
# Options: --out DIR, --jobs N (build jobs; default nproc), --torch shim|native (how LibTorch is
# found: the shim of .deps/device/torch-shim, default on a GPU, needs no CUDA toolkit; native =
# PyTorch's own TorchConfig.cmake, needs nvcc), --concurrent N (jobs sharing the GPU in the
# benchmark and the row; default 4), --row-epochs E (default 3), --kit-tools (the kit's static
# cmake and ninja even where the machine has its own), --build DIR (another build folder than
# build-device/, e.g. an existing one for --phases bench,row).
# Environment: PYTHON (default python3: the interpreter whose torch is built against).
#
# Phases (each logs to <out>/<phase>.log and records "ok", "FAILED" or "skipped" in summary.md):
#   env        machine, GPU, compiler, Python and torch, glibc                       -> env.txt
#   configure  GoogleTest from the kit's sources (torch's C++ ABI), then cwrf against the torch
#              package's LibTorch, build dir build-device/
#   build      cwrf and the cuda test suite (cwrf_cuda_tests), all cores
#   tests      ctest -L cuda -V (or the suite's binary where ctest is missing: cuda-tests.xml)
#   bench      bench/device_bench.py: ResNet18 (CIFAR form) and the paper's ViT, fp32 and bf16,
#              channels-last for ResNet18, 1 and N concurrent jobs, cwrf and PyTorch eager
#                                                                                    -> bench/results.{md,json,png}
#              and ResNet18 in NCHW, one job, cwrf only                              -> bench-nchw/
#   row        bench/make_cifar.py (50,000 + 10,000 images), then `cwrf run` on rows 1-3 of
#              configs/paper/cifar10-resnet18.toml (No Defense, RelaxLoss, RelaxLoss + CWRF) with
#              epochs = E, cwrf.epochs = 1, r = 0.05, 5 models, 1 run, --jobs N         -> row/report/
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

out=${OUT:-$root/runs/device-check}
phases="env,configure,build,tests,bench,row"
budget=0
jobs=$(nproc)
torch_mode=""
dry=0
concurrent=4
row_epochs=3
kit_tools=0
build_arg=""
python=${PYTHON:-python3}
while (($# > 0)); do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --phases) phases=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --torch) torch_mode=$2; shift 2 ;;
    --concurrent) concurrent=$2; shift 2 ;;
    --row-epochs) row_epochs=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --kit-tools) kit_tools=1; shift ;;
    --build) build_arg=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "device-check: error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
kit="$root/.deps/device"
build="$root/build-device"
[[ -n "$build_arg" ]] && build="$(cd "$build_arg" && pwd)"
work="$build/kit"   # GoogleTest's build and install, generated data
mkdir -p "$work"
device=cuda
((dry)) && device=cpu
[[ -n "$torch_mode" ]] || { ((dry)) && torch_mode=native || torch_mode=shim; }
summary="$out/summary.md"
started=$SECONDS
[[ -f "$summary" ]] || printf '# device-check\n\n| phase | result | seconds | log |\n|---|---|---:|---|\n' >"$summary"
echo "device-check: output in $out; phases $phases; $(date -u '+%Y-%m-%d %H:%M:%S UTC')" | tee -a "$out/device-check.log"

has_phase() { [[ ",$phases," == *",$1,"* ]]; }
record() {  # phase result seconds
  printf '| %s | %s | %s | %s.log |\n' "$1" "$2" "$3" "$1" >>"$summary"
  echo "device-check: $1: $2 (${3} s)" | tee -a "$out/device-check.log"
}
# run_phase NAME FUNCTION: runs it with its output in <out>/NAME.log, unless the budget is spent.
declare -A result
run_phase() {
  local name=$1 fn=$2 t0=$SECONDS rc
  if ! has_phase "$name"; then return 0; fi
  if ((budget > 0 && SECONDS - started >= budget)); then
    result[$name]=skipped
    record "$name" "skipped (budget of $budget s spent)" 0
    return 0
  fi
  echo "device-check: $name ..." | tee -a "$out/device-check.log"
  ("$fn") >"$out/$name.log" 2>&1  # a subshell: a phase's `set -e` ends with it
  rc=$?
  if ((rc == 0)); then result[$name]=ok; else result[$name]="FAILED (exit $rc)"; fi
  record "$name" "${result[$name]}" $((SECONDS - t0))
  if ((rc != 0)); then tail -n 25 "$out/$name.log" | sed 's/^/    /' | tee -a "$out/device-check.log"; fi
  return 0
}

# Tools: the machine's cmake (>= 3.18) and ninja, else the kit's static ones.
cmake_bin=$(command -v cmake || true)
((kit_tools)) && cmake_bin=""
if [[ -z "$cmake_bin" ]] || ! "$cmake_bin" --version | awk 'NR == 1 {split($3, v, "."); exit !(v[1] > 3 || (v[1] == 3 && v[2] >= 18))}'; then
  cmake_bin="$kit/tools/bin/cmake"
fi
ninja_bin=$(command -v ninja || echo "$kit/tools/bin/ninja")
((kit_tools)) && ninja_bin="$kit/tools/bin/ninja"
ctest_bin=$(command -v ctest || true)
torch_root() { "$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))'; }
torch_abi() { "$python" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'; }

phase_env() {
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "host: $(uname -a)"
  echo "cores: $(nproc); memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "glibc: $(ldd --version 2>&1 | head -n1)"
  echo "compiler: $(${CXX:-g++} --version 2>&1 | head -n1)"
  echo "cmake: $cmake_bin ($("$cmake_bin" --version | head -n1)); ninja: $ninja_bin ($("$ninja_bin" --version)); ctest: ${ctest_bin:-none}"
  nvidia-smi 2>&1 || echo "nvidia-smi: not available"
  "$python" - <<'PY'
import sys, torch
print("python:", sys.version.split()[0], sys.executable)
print("torch:", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      "devices", torch.cuda.device_count())
print("torch cmake prefix:", torch.utils.cmake_prefix_path)
print("torch C++11 ABI:", int(torch._C._GLIBCXX_USE_CXX11_ABI))
for i in range(torch.cuda.device_count()):
    print("gpu", i, torch.cuda.get_device_name(i), torch.cuda.get_device_properties(i).total_memory // 2**20, "MiB")
PY
  [[ -f "$kit/MANIFEST.txt" ]] && { echo "kit:"; cat "$kit/MANIFEST.txt"; }
} 

phase_configure() {
  set -e
  [[ -d "$kit/usr" ]] || { echo "no $kit: run scripts/device-prep.sh on the CPU machine and carry .deps/device"; exit 1; }
  local abi prefix=() extra=()
  abi=$(torch_abi 2>/dev/null || echo 1)
  ((dry)) && abi=1
  # GoogleTest, built with the same C++ ABI as LibTorch.
  if [[ ! -f "$work/gtest/lib/cmake/GTest/GTestConfig.cmake" ]]; then
    "$cmake_bin" -S "$kit/usr/src/googletest" -B "$work/gtest-build" -G Ninja -DCMAKE_MAKE_PROGRAM="$ninja_bin" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-D_GLIBCXX_USE_CXX11_ABI=$abi" \
      -DCMAKE_INSTALL_PREFIX="$work/gtest" -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    "$cmake_bin" --build "$work/gtest-build" --parallel "$jobs"
    "$cmake_bin" --install "$work/gtest-build"
  fi
  prefix=("$work/gtest" "$kit/usr")
  if [[ "$torch_mode" == shim ]]; then
    extra+=(-DTorch_DIR="$kit/torch-shim" -DCWRF_TORCH_ROOT="$(torch_root)")
  elif ((dry == 0)); then
    prefix+=("$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')")
  fi
  # libpng16.so from the kit needs glibc 2.29: older machines link the kit's static archives.
  local glibc
  glibc=$(ldd --version 2>&1 | head -n1 | grep -oE '[0-9]+\.[0-9]+$' || echo 2.36)
  if awk -v g="$glibc" 'BEGIN {split(g, v, "."); exit !(v[1] == 2 && v[2] < 29)}'; then
    extra+=(-DPNG_LIBRARY="$kit/usr/lib/static/libpng16.a" -DZLIB_LIBRARY="$kit/usr/lib/static/libz.a")
  fi
  local IFS=';'
  "$cmake_bin" -S "$root" -B "$build" -G Ninja -DCMAKE_MAKE_PROGRAM="$ninja_bin" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="${prefix[*]}" -DCWRF_BLAS_DIR= "${extra[@]}"
}

phase_build() {
  set -e
  "$cmake_bin" --build "$build" --parallel "$jobs" --target cwrf cwrf_cuda_tests
  "$build/cwrf" --version || true
}

phase_tests() {
  if [[ -n "$ctest_bin" ]]; then
    # -V: every test's own output (the agreement figures) in the log.
    (cd "$build" && "$ctest_bin" -L cuda -V --timeout 300)
  else
    # The kit's cmake comes without ctest: the suite's binary is the same tests (ctest -L cuda runs
    # exactly cwrf_cuda_tests, one test per process).
    echo "no ctest on this machine: running the cuda suite's binary"
    "$build/tests/cwrf_cuda_tests" --gtest_output="xml:$out/cuda-tests.xml"
  fi
}

phase_bench() {
  local models=resnet18,vit-paper steps=30 warmup=10 repeats=3 batch=256
  ((dry)) && { models=cnn; steps=2; warmup=1; repeats=1; batch=16; }
  "$python" "$root/bench/device_bench.py" --cwrf "$build/cwrf" --python "$python" --device "$device" \
    --models "$models" --amps off,bf16 --concurrent "1,$concurrent" --batch "$batch" --steps "$steps" \
    --warmup "$warmup" --repeats "$repeats" --channels-last auto --deadline 240 --out "$out/bench" || return 1
  # channels_last = "auto" is NHWC for conv models on the GPU too: the ResNet18 step in NCHW, for
  # the record (cwrf only, one job).
  "$python" "$root/bench/device_bench.py" --cwrf "$build/cwrf" --device "$device" --models "${models%%,*}" \
    --amps off,bf16 --concurrent 1 --batch "$batch" --steps "$steps" --warmup "$warmup" --repeats "$repeats" \
    --channels-last off --no-pytorch --out "$out/bench-nchw"
}

phase_row() {
  set -e
  local data="$work/cifar10" train=50000 test=10000 models=5 extra=()
  ((dry)) && { train=2500; test=500; data="$work/cifar10-dry"; }
  [[ -f "$data/test_batch.bin" ]] || "$python" "$root/bench/make_cifar.py" --out "$data" --train "$train" --test "$test"
  # Rows 1-3 of the paper preset (RelaxLoss + CWRF and its two comparisons), r fixed at 5 %.
  awk '/^\[\[row\]\]/ {n++} n <= 3 {print}' "$root/configs/paper/cifar10-resnet18.toml" |
    sed -E 's/^rate = \[[^]]*\]/rate = 0.05/' >"$out/row-config.toml"
  ((dry)) && extra=(--set data.train_size=400 --set data.ref_size=100 --set data.val_size=100 --set model.width=8
    --set cwrf.iterations=2 --set data.test_size=200)
  "$build/cwrf" run "$out/row-config.toml" --device "$device" --jobs "$concurrent" --out "$out/row" \
    --set data.path="$data" --set epochs="$row_epochs" --set cwrf.epochs=1 --set experiment.models="$models" \
    --set experiment.runs=1 "${extra[@]}"
  cat "$out/row/report/timing.json"
}

run_phase env phase_env
cp "$out/env.log" "$out/env.txt" 2>/dev/null || true
run_phase configure phase_configure
if [[ "${result[configure]:-ok}" == ok ]]; then run_phase build phase_build; fi
if [[ "${result[build]:-ok}" == ok ]]; then
  run_phase tests phase_tests
  run_phase bench phase_bench
  run_phase row phase_row
fi

{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC'): phases $phases, $((SECONDS - started)) s"
  if [[ -f "$out/tests.log" ]] && has_phase tests; then
    echo; echo "cuda tests: $(grep -E 'tests passed|tests failed|\[  (PASSED|SKIPPED|FAILED) ' "$out/tests.log" | tr '\n' ' ')"
  fi
  if [[ -f "$out/bench/results.md" ]] && has_phase bench; then
    echo; cat "$out/bench/results.md"
    [[ -f "$out/bench-nchw/results.md" ]] && { echo; echo "NCHW (channels_last = off):"; cat "$out/bench-nchw/results.md"; }
  fi
  if [[ -f "$out/row/report/report.md" ]] && has_phase row; then
    echo; echo "Row (configs/paper/cifar10-resnet18.toml rows 1-3, shortened; synthetic CIFAR-format data):"
    echo; sed -n '1,40p' "$out/row/report/report.md"
    echo; echo '```'; cat "$out/row/report/timing.json"; echo '```'
  fi
} >>"$summary"
echo "device-check: done in $((SECONDS - started)) s; $summary"
status=0
for p in "${!result[@]}"; do [[ "${result[$p]}" == ok || "${result[$p]}" == skipped ]] || status=1; done
exit "$status"
