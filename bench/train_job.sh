#!/usr/bin/env bash
# A whole `cwrf train` job next to the same job in PyTorch eager (bench/train_job.py, Debian's
# python3-torch: the same LibTorch 1.13.1): wall and CPU time from process start to exit, data
# loading, split, training, evaluation and writing the weights included, as a ratio.
#
#   bench/train_job.sh                                  # every preset, 3 repetitions, threads = nproc
#   bench/train_job.sh --presets cnn,text --repeats 5 --threads 1
#   bench/train_job.sh --presets cnn --repeats 1 --set epochs=1     # a quick check of both sides
#
# Options: --presets LIST (of: cnn resnet18 vit text; default all), --repeats R (default 3),
# --threads T (default nproc), --out DIR (keeps every run's metrics there; default a new temp
# directory), --set KEY=VALUE (repeatable: a cwrf config key for both sides, after the preset's).
# Environment: CWRF_BIN (default build/cwrf), PYTHON (default /usr/bin/python3, which has torch).
# Repetitions alternate cwrf, PyTorch, cwrf, PyTorch, ... so a drift in the machine's speed hits
# both sides; the ratio is the mean ± sd of the per-pair ratios PyTorch wall / cwrf wall.
# Both sides are timed alike, by bash's `time` around the whole process (wall, user + sys).
# Prints a markdown table (and where the time went, per phase) on stdout; progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- the presets: cwrf config keys, passed as `--set KEY=VALUE` to both sides (one place) ------
# CPU scale, what cwrf's experiments run (configs/quick.toml, configs/text-quick.toml). Both sides
# also get eval_every=0 (the test set evaluated once, for the final metrics).
PRESET_NAMES=(cnn resnet18 vit text)
declare -A PRESETS=(
  [cnn]="data.name=fashion-mnist model.name=cnn model.width=16 data.train_size=850 data.ref_size=500 data.test_size=2000 epochs=20 batch_size=32"
  [resnet18]="data.name=fashion-mnist model.name=resnet18 model.width=8 data.train_size=1000 data.ref_size=500 data.test_size=2000 epochs=10 batch_size=128"
  [vit]="data.name=fashion-mnist model.name=vit data.train_size=1000 data.ref_size=500 data.test_size=2000 epochs=10 batch_size=128"
  # configs/text-quick.toml's data, model and training keys (batch 32, lr 2e-3), 5 epochs, the whole test split.
  [text]="data.name=spam-assassin model.name=transformer data.train_size=500 data.ref_size=500 data.seq_len=96 data.vocab_size=5000 epochs=5 batch_size=32 lr=2e-3"
)
COMMON="eval_every=0"

cwrf=${CWRF_BIN:-build/cwrf}
python=${PYTHON:-/usr/bin/python3}
presets=$(IFS=,; echo "${PRESET_NAMES[*]}")
repeats=3
threads=$(nproc)
out=""
extra=()
while (($# > 0)); do
  case "$1" in
    --presets) presets=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --set) extra+=("$2"); shift 2 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "train_job.sh: error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || { echo "train_job.sh: error: --repeats must be a positive integer" >&2; exit 2; }
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "train_job.sh: error: --threads must be a positive integer" >&2; exit 2; }
IFS=, read -r -a preset_list <<<"$presets"
for p in "${preset_list[@]}"; do
  [[ -n "${PRESETS[$p]+x}" ]] || {
    echo "train_job.sh: error: --presets: unknown preset '$p'; known: ${PRESET_NAMES[*]}" >&2; exit 2; }
done

if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  echo "train_job.sh: error: $python cannot import torch and numpy." >&2
  echo "  Install them with: scripts/setup.sh --bench   (Debian's python3-torch, the same LibTorch as cwrf)" >&2
  exit 1
fi
if [[ ! -x "$cwrf" ]]; then
  echo "train_job.sh: error: $cwrf not found; build it first with scripts/build.sh (or set CWRF_BIN)" >&2
  exit 1
fi
[[ -n "$out" ]] || out=$(mktemp -d -t cwrf-train-job-XXXXXX)
mkdir -p "$out"
load=$(cut -d' ' -f1 /proc/loadavg)
echo "train_job.sh: load average $load on $(nproc) cores; results in $out" >&2
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "train_job.sh: warning: the machine is busy (load $load): figures will be low and noisy;" \
    "rerun when \`uptime\` shows a low load" >&2
fi

# run NAME CMD...: the command's stdout/stderr to $out/NAME.out/.err, "wall user sys" to $out/NAME.time.
run() {
  local name=$1; shift
  local TIMEFORMAT='%3R %3U %3S'
  { time "$@" >"$out/$name.out" 2>"$out/$name.err"; } 2>"$out/$name.time" || {
    echo "train_job.sh: error: $name failed; the last lines of $out/$name.err:" >&2
    tail -n 20 "$out/$name.err" >&2
    exit 1
  }
}

: >"$out/commands.txt"
: >"$out/runs.tsv"  # preset, repetition, side, wall, user, sys, result JSON
for p in "${preset_list[@]}"; do
  sets=()
  for kv in ${PRESETS[$p]} $COMMON "${extra[@]}"; do sets+=(--set "$kv"); done
  for ((r = 1; r <= repeats; r++)); do
    cdir="$out/tmp/$p-$r-cwrf"
    pdir="$out/tmp/$p-$r-pytorch"
    rm -rf "$cdir" "$pdir"
    mkdir -p "$cdir"  # a fresh directory: cwrf would reuse a finished model of the same hash
    ccmd=("$cwrf" train --threads "$threads" "${sets[@]}" --out "$cdir")
    pcmd=("$python" bench/train_job.py --threads "$threads" "${sets[@]}" --out "$pdir")
    if ((r == 1)); then
      printf '%s\n' "${ccmd[*]}" "${pcmd[*]}" >>"$out/commands.txt"
    fi
    echo "train_job.sh: $p, repetition $r/$repeats: cwrf" >&2
    run "$p-$r-cwrf" "${ccmd[@]}"
    metrics=$(ls "$cdir"/*/metrics.json)
    params=$(sed -n 's/.*(\([0-9]*\) parameters.*/\1/p' "$out/$p-$r-cwrf.err" | head -n 1)
    # metrics.json on one line, with the parameter count from cwrf's log line.
    cjson=$("$python" -c 'import json, sys; m = json.load(open(sys.argv[1])); m["parameters"] = int(sys.argv[2] or 0); print(json.dumps(m))' \
      "$metrics" "$params")
    printf '%s\t%s\tcwrf\t%s\t%s\n' "$p" "$r" "$(cat "$out/$p-$r-cwrf.time")" "$cjson" >>"$out/runs.tsv"
    echo "train_job.sh: $p, repetition $r/$repeats: pytorch" >&2
    run "$p-$r-pytorch" "${pcmd[@]}"
    printf '%s\t%s\tpytorch\t%s\t%s\n' "$p" "$r" "$(cat "$out/$p-$r-pytorch.time")" "$(tail -n 1 "$out/$p-$r-pytorch.out")" \
      >>"$out/runs.tsv"
    rm -rf "$cdir" "$pdir"
  done
done
rmdir "$out/tmp" 2>/dev/null || true

"$python" - "$out" "$presets" "$threads" "$repeats" <<'PY'
import json, os, platform, statistics, sys, time
out, presets, threads, repeats = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4])

runs = {}  # (preset, side) -> [dict(wall, cpu, result)]
for line in open(os.path.join(out, "runs.tsv")):
    preset, rep, side, times, result = line.rstrip("\n").split("\t")
    wall, user, sys_ = map(float, times.split())
    runs.setdefault((preset, side), []).append(dict(rep=int(rep), wall=wall, cpu=user + sys_, result=json.loads(result)))


def ms(values, digits=2):
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def acc(rs):
    values = sorted({round(r["result"]["test_acc"], 4) for r in rs})
    return " / ".join(f"{v:.4f}" for v in values)  # one value when every repetition agrees


cpu_model = "unknown"
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break

print(f"Whole `cwrf train` job vs the same job in PyTorch eager (bench/train_job.py), {repeats} repetition(s) "
      f"each, alternating; {threads} thread(s).\n")
print(f"Machine: {cpu_model}, nproc {os.cpu_count()}, load average at the end {open('/proc/loadavg').read().split()[0]}; "
      f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {platform.platform()}.\n")
print("| preset | params | images × epochs | threads | cwrf wall s | cwrf CPU s | PyTorch wall s | PyTorch CPU s "
      "| PyTorch / cwrf wall | cwrf test acc | PyTorch test acc |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
warnings = []
for p in presets:
    c, t = runs.get((p, "cwrf"), []), runs.get((p, "pytorch"), [])
    if not c or not t:
        continue
    cp, tp = c[0]["result"].get("parameters", 0), t[0]["result"]["parameters"]
    params = f"{cp:,}" if cp == tp else f"{cp:,} vs {tp:,} MISMATCH"
    if cp != tp:
        warnings.append(f"{p}: cwrf has {cp:,} parameters, PyTorch {tp:,}: not the same model")
    r = t[0]["result"]
    ratios = [b["wall"] / a["wall"] for a, b in zip(c, t)]
    print(f"| {p} | {params} | {r['train_size']} × {r['epochs']} | {r['threads']} | {ms([x['wall'] for x in c])} "
          f"| {ms([x['cpu'] for x in c])} | {ms([x['wall'] for x in t])} | {ms([x['cpu'] for x in t])} "
          f"| {ms(ratios)} | {acc(c)} | {acc(t)} |")

# Where the time went: each side's own phase timer (cwrf: metrics.json "timing"; PyTorch: the
# script's). "start-up" is the process before main (PyTorch: before `import torch`, then the
# import itself); "init" is cwrf's resolve + initialise and PyTorch's initialise.
print("\nPhases, mean seconds (each side's own timer; `exit` is the wall time outside the phases: "
      "the process's teardown, and PyTorch's interpreter start-up):\n")
print("| preset | side | start-up | load data | sets + init | train | train images/s | evaluate | write | exit |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for p in presets:
    for side in ("cwrf", "pytorch"):
        rs = runs.get((p, side), [])
        if not rs:
            continue

        def mean(f):
            return statistics.fmean(f(x["result"].get("timing", {})) for x in rs)

        startup = mean(lambda t: t.get("process_startup", 0) + t.get("import_torch", 0))
        load = mean(lambda t: t.get("load_data", 0))
        sets = mean(lambda t: t.get("prepare_sets", 0) + t.get("resolve", 0) + t.get("initialise", 0))
        train = mean(lambda t: t.get("train", 0))
        evaluate = mean(lambda t: t.get("evaluate", 0))
        write = mean(lambda t: t.get("write", 0))
        wall = statistics.fmean(x["wall"] for x in rs)
        rate = statistics.fmean(x["result"]["images_per_second"] for x in rs)
        rest = wall - (startup + load + sets + train + evaluate + write)
        print(f"| {p} | {side} | {startup:.2f} | {load:.2f} | {sets:.3f} | {train:.2f} | {rate:.0f} | {evaluate:.2f} "
              f"| {write:.3f} | {rest:.2f} |")

print("\nCommands (repetition 1; later ones differ only in --out):\n")
print("```")
print(open(os.path.join(out, "commands.txt")).read().rstrip())
print("```")
for w in warnings:
    print(f"\n**Warning:** {w}")
print(f"\nEvery run's metrics: {out}/runs.tsv; logs: {out}/<preset>-<rep>-<side>.err")
PY
