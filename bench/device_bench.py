#!/usr/bin/env python3
"""Training images/s of cwrf next to PyTorch eager on one device, at each precision, for one job
and for N concurrent jobs sharing the device (what `cwrf run --jobs N --device cuda` does with
small models), in one call. scripts/device-check.sh runs it on a GPU machine; on a CPU it is a
dry run of the same code path (--device cpu, tiny sizes).

For every (model, amp, concurrency c): c copies of `cwrf bench train` start together, then c
copies of bench/train_step.py with the same settings (taken from cwrf's JSON, so the comparison
is like for like: same model, batch, steps, channels-last, TF32 defaults). The aggregate figure of
c concurrent jobs is the sum of each copy's mean images/s (their timed windows overlap; each copy
runs the same number of steps, so the sum is a slight overestimate when copies finish at
different times).

  device_bench.py --cwrf build/cwrf --device cuda --models resnet18,vit-paper --amps off,bf16 \\
      --concurrent 1,4 --steps 50 --out $OUT/bench
  device_bench.py --cwrf build/cwrf --device cpu --models cnn --batch 16 --steps 2 --warmup 1 \\
      --repeats 1 --concurrent 1,2 --out /tmp/bench     # dry run on a CPU

Writes to --out: cwrf-*.json / pytorch-*.json (every process's own output), results.json (all
figures), results.md (the table for docs/performance.md), results.dat + results.gp (+ results.png
when gnuplot or matplotlib is there).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_all(commands, log_dir, tag):
    """Starts every command at once; waits for all. Returns their exit codes."""
    procs = []
    for i, cmd in enumerate(commands):
        log = open(os.path.join(log_dir, f"{tag}-{i}.log"), "w")
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        procs.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log))
    codes = []
    for p, log in procs:
        codes.append(p.wait())
        log.close()
    return codes


def tail(path, n=15):
    try:
        with open(path) as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def total(jsons):
    means = [j["results"][0]["images_per_second"]["mean"] for j in jsons]
    sds = [j["results"][0]["images_per_second"]["sd"] for j in jsons]
    return sum(means), means, sds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cwrf", default="build/cwrf", help="the cwrf binary")
    ap.add_argument("--python", default=sys.executable, help="the interpreter with torch (PyTorch eager side)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--models", default="resnet18,vit-paper", help="`cwrf bench train` presets")
    ap.add_argument("--amps", default="off,bf16")
    ap.add_argument("--concurrent", default="1,4", help="jobs sharing the device at once, e.g. 1,4")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads in all (0: all cores), split over the jobs")
    ap.add_argument("--channels-last", default="auto", choices=["auto", "on", "off"])
    ap.add_argument("--no-pytorch", action="store_true", help="cwrf only")
    ap.add_argument("--deadline", type=float, default=0, help="stop starting new measurements after this many seconds")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    started = time.time()
    cores = os.cpu_count() or 1
    threads_total = args.threads or cores
    models = [m for m in args.models.split(",") if m]
    amps = [a for a in args.amps.split(",") if a]
    concurrency = [int(c) for c in args.concurrent.split(",") if c]
    rows, failures = [], []
    for model in models:
        for amp in amps:
            for c in concurrency:
                if args.deadline and time.time() - started > args.deadline:
                    failures.append(f"{model} {amp} x{c}: skipped (deadline of {args.deadline:.0f} s reached)")
                    continue
                threads = max(1, threads_total // c)
                tag = f"{model}-{amp}-x{c}"
                cwrf_json = [os.path.join(args.out, f"cwrf-{tag}-{i}.json") for i in range(c)]
                cmds = [[args.cwrf, "bench", "train", "--models", model, "--device", args.device, "--amp", amp,
                         "--batch", str(args.batch), "--steps", str(args.steps), "--warmup", str(args.warmup),
                         "--repeats", str(args.repeats), "--threads", str(threads),
                         "--channels-last", args.channels_last, "--json", j] for j in cwrf_json]
                print(f"device_bench: cwrf {tag} ({threads} threads each)", file=sys.stderr, flush=True)
                codes = run_all(cmds, args.out, f"cwrf-{tag}")
                if any(codes):
                    failures.append(f"cwrf {tag}: exit {codes}\n{tail(os.path.join(args.out, f'cwrf-{tag}-0.log'))}")
                    continue
                cw = [json.load(open(j)) for j in cwrf_json]
                row = dict(model=model, amp=amp, concurrent=c, device=args.device,
                           channels_last=cw[0]["results"][0]["channels_last"],
                           parameters=cw[0]["results"][0]["parameters"], batch=args.batch, steps=args.steps)
                row["cwrf_total"], row["cwrf_per_job"], row["cwrf_sd"] = total(cw)
                if not args.no_pytorch:
                    pt_json = [os.path.join(args.out, f"pytorch-{tag}-{i}.json") for i in range(c)]
                    cmds = [[args.python, os.path.join(HERE, "train_step.py"), "--cwrf", cwrf_json[i], "--json", pt_json[i]]
                            for i in range(c)]
                    print(f"device_bench: pytorch {tag}", file=sys.stderr, flush=True)
                    codes = run_all(cmds, args.out, f"pytorch-{tag}")
                    if any(codes):
                        failures.append(f"pytorch {tag}: exit {codes}\n"
                                        f"{tail(os.path.join(args.out, f'pytorch-{tag}-0.log'))}")
                    else:
                        pt = [json.load(open(j)) for j in pt_json]
                        row["pytorch_total"], row["pytorch_per_job"], row["pytorch_sd"] = total(pt)
                        row["pytorch_version"] = pt[0]["version"]
                        row["ratio"] = row["cwrf_total"] / row["pytorch_total"] if row["pytorch_total"] else None
                rows.append(row)
                print(f"device_bench: {tag}: cwrf {row['cwrf_total']:.0f} images/s"
                      + (f", pytorch {row['pytorch_total']:.0f}" if "pytorch_total" in row else ""),
                      file=sys.stderr, flush=True)

    # --- outputs -------------------------------------------------------------------------------
    meta = dict(device=args.device, batch=args.batch, steps=args.steps, warmup=args.warmup, repeats=args.repeats,
                cores=cores, threads_total=threads_total, seconds=round(time.time() - started, 1),
                date=time.strftime("%Y-%m-%d %H:%M:%S %Z"), command=" ".join(sys.argv))
    try:
        meta["gpu"] = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                                     capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        meta["gpu"] = ""
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(dict(meta=meta, rows=rows, failures=failures), f, indent=2)
        f.write("\n")
    lines = [f"Training images/s on {args.device}{' (' + meta['gpu'] + ')' if meta['gpu'] else ''}, batch {args.batch}, "
             f"{args.steps} timed steps x {args.repeats} after {args.warmup} warm-up; {meta['date']}", "",
             "| model | amp | jobs | channels-last | cwrf images/s (all jobs) | per job (mean ± sd) | PyTorch eager "
             "images/s (all jobs) | cwrf / PyTorch |",
             "|---|---|---:|---|---:|---|---:|---:|"]
    for r in rows:
        per_job = ", ".join(f"{m:.0f} ± {s:.0f}" for m, s in zip(r["cwrf_per_job"], r["cwrf_sd"]))
        pt = f"{r['pytorch_total']:.0f}" if "pytorch_total" in r else "—"
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") else "—"
        lines.append(f"| {r['model']} | {r['amp']} | {r['concurrent']} | {'yes' if r['channels_last'] else 'no'} | "
                     f"{r['cwrf_total']:.0f} | {per_job} | {pt} | {ratio} |")
    for fail in failures:
        lines += ["", "FAILED: " + fail.replace("\n", "\n    ")]
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    # A bar chart: gnuplot where there is one, else matplotlib, else only the data and script.
    with open(os.path.join(args.out, "results.dat"), "w") as f:
        f.write("# label cwrf pytorch\n")
        for r in rows:
            f.write(f"\"{r['model']} {r['amp']} x{r['concurrent']}\" {r['cwrf_total']:.1f} {r.get('pytorch_total', 0):.1f}\n")
    gp = os.path.join(args.out, "results.gp")
    with open(gp, "w") as f:
        f.write("set terminal pngcairo size 1000,500\nset output 'results.png'\nset style data histograms\n"
                "set style fill solid border -1\nset ylabel 'training images/s'\nset xtics rotate by -30\n"
                "set key top left\nset grid ytics\nset yrange [0:*]\n"
                "plot 'results.dat' using 2:xtic(1) title 'cwrf', '' using 3 title 'PyTorch eager'\n")
    if rows and shutil.which("gnuplot"):
        subprocess.run(["gnuplot", "results.gp"], cwd=args.out, capture_output=True)
    elif rows:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            labels = [f"{r['model']} {r['amp']} x{r['concurrent']}" for r in rows]
            xs = range(len(rows))
            fig, ax = plt.subplots(figsize=(10, 5))
            ax.bar([x - 0.2 for x in xs], [r["cwrf_total"] for r in rows], 0.4, label="cwrf")
            ax.bar([x + 0.2 for x in xs], [r.get("pytorch_total", 0) for r in rows], 0.4, label="PyTorch eager")
            ax.set_xticks(list(xs))
            ax.set_xticklabels(labels, rotation=30, ha="right")
            ax.set_ylabel("training images/s")
            ax.legend()
            fig.tight_layout()
            fig.savefig(os.path.join(args.out, "results.png"))
        except Exception as e:  # no matplotlib: the table and the .dat file are the result
            print(f"device_bench: no plot ({e})", file=sys.stderr)
    return 1 if failures and not rows else 0


if __name__ == "__main__":
    sys.exit(main())
