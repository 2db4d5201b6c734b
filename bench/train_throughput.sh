#!/usr/bin/env bash
# Images/s of a training step in cwrf next to the same model, batch and step in PyTorch
# (Debian's python3-torch: the same LibTorch 1.13.1), measured in one run, as a ratio.
#
#   bench/train_throughput.sh                       # cnn, vit, vit-paper, resnet18; threads = nproc
#   bench/train_throughput.sh --models cnn,vit --repeats 5 --threads 1
#
# Options (passed to both sides): --models LIST --batch B --steps N --warmup N --repeats R
# --threads T; --out DIR keeps the JSON results there (default: a new temp directory).
# Environment: CWRF_BIN (default build/cwrf), PYTHON (default /usr/bin/python3, which has torch;
# the python3 on PATH may be another interpreter without it).
# Prints a markdown table for docs/performance.md. Models are measured in turn, cwrf then
# PyTorch for each, so a drift in the machine's speed hits both sides of a ratio alike.
set -euo pipefail
cd "$(dirname "$0")/.."

cwrf=${CWRF_BIN:-build/cwrf}
python=${PYTHON:-/usr/bin/python3}
models=cnn,vit,vit-paper,resnet18
threads=$(nproc)
out=""
common=()
while (($# > 0)); do
  case "$1" in
    --models) models=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --batch | --steps | --warmup | --repeats) common+=("$1" "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "train_throughput.sh: error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "train_throughput.sh: error: python3-torch is missing: $python cannot import torch." >&2
  echo "  Install it with: scripts/setup.sh --bench   (Debian's python3-torch, the same LibTorch as cwrf)" >&2
  exit 1
fi
if [[ ! -x "$cwrf" ]]; then
  echo "train_throughput.sh: error: $cwrf not found; build it first with scripts/build.sh (or set CWRF_BIN)" >&2
  exit 1
fi
[[ -n "$out" ]] || out=$(mktemp -d -t cwrf-bench-XXXXXX)
mkdir -p "$out"

load=$(cut -d' ' -f1 /proc/loadavg)
echo "train_throughput.sh: load average $load on $(nproc) cores; results in $out" >&2
# Half the cores busy elsewhere already skews a 2-thread measurement.
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "train_throughput.sh: warning: the machine is busy (load $load): figures will be low and noisy;" \
    "rerun when \`uptime\` shows a low load" >&2
fi

IFS=, read -r -a model_list <<<"$models"
for m in "${model_list[@]}"; do
  "$cwrf" bench train --models "$m" --threads "$threads" "${common[@]}" --json "$out/cwrf-$m.json" >&2
  "$python" bench/train_step.py --cwrf "$out/cwrf-$m.json" --json "$out/pytorch-$m.json" >&2
done

"$python" - "$out" "$models" "$threads" "${common[*]}" <<'PY'
import json, os, subprocess, sys, time
out, models, threads, extra = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
print(f"Command: `bench/train_throughput.sh --models {','.join(models)} --threads {threads}{' ' + extra if extra else ''}`  ")
print(f"Machine: {os.cpu_count()} cores ({cpu}), {threads} intra-op threads; {time.strftime('%Y-%m-%d')}  ")
first_c = json.load(open(f"{out}/cwrf-{models[0]}.json"))
first_p = json.load(open(f"{out}/pytorch-{models[0]}.json"))
def deb(package):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True).stdout or "?"
    except OSError:
        return "?"
blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
print(f"cwrf {first_c['version']} on libtorch1.13 {deb('libtorch1.13')}; PyTorch {first_p['version']} from "
      f"python3-torch {deb('python3-torch')} (Python {first_p['python']}); BLAS {blas}")
print()
print("| model | params | batch | input | steps × repeats | cwrf images/s | PyTorch images/s | cwrf / PyTorch |")
print("|---|---:|---:|---|---:|---:|---:|---:|")
for m in models:
    c = json.load(open(f"{out}/cwrf-{m}.json"))["results"][0]
    p = json.load(open(f"{out}/pytorch-{m}.json"))["results"][0]
    assert c["parameters"] == p["parameters"], m
    ci, pi = c["images_per_second"], p["images_per_second"]
    ratio = ci["mean"] / pi["mean"]
    rel = ((ci["sd"] / ci["mean"]) ** 2 + (pi["sd"] / pi["mean"]) ** 2) ** 0.5
    shape = "×".join(map(str, c["input_shape"][1:]))
    cl = ", channels-last" if c["channels_last"] else ""
    print(f"| {m} | {c['parameters']:,} | {c['batch_size']} | {shape}{cl} | {c['steps']} × {c['repeats']} | "
          f"{ci['mean']:,.1f} ± {ci['sd']:,.1f} | {pi['mean']:,.1f} ± {pi['sd']:,.1f} | {ratio:.2f} ± {ratio * rel:.2f} |")
PY
