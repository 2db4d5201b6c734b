#!/usr/bin/python3
"""The training step of `cwrf bench train`, in PyTorch, for a like-for-like comparison.

Run it with Debian's interpreter, which has python3-torch (the same LibTorch 1.13.1 that
cwrf links): `/usr/bin/python3 bench/train_step.py ...` (scripts/setup.sh --bench installs it).

The models are re-written here layer for layer after src/cwrf/models/{cnn,resnet,vit}.cpp, and
the step after src/cwrf/train/{throughput,step,adam}.cpp: zero_grad, forward, cross-entropy,
backward, loss.item() and the accuracy count (StandardStep reads both), Adam (lr 1e-3, weight
decay 5e-4), on one fixed random batch, model in train mode, channels-last for the conv models.
On a GPU (--device cuda) the same step, with --amp bf16 the forward under
torch.autocast(dtype=bfloat16) and the loss on float32 logits, as cwrf's amp key does.

  train_step.py --cwrf cwrf.json --json out.json   # every setting from `cwrf bench train --json`
                                                   # and a check that parameter counts agree
  train_step.py --models cnn,vit --batch 256 --steps 20 --repeats 3 --threads 2
  train_step.py --models resnet18 --device cuda --amp bf16 --steps 50
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit(f"train_step.py: error: {sys.executable} has no torch module; run this script with Debian's "
             "/usr/bin/python3 after `scripts/setup.sh --bench` (installs python3-torch)")


# --- models (same layers, same order, same defaults as the C++ ones) -------------------------

def group_count(channels):
    for groups in range(min(32, channels), 1, -1):
        if channels % groups == 0:
            return groups
    return 1


def norm2d(kind, channels):
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(group_count(channels), channels, affine=True)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"model.norm = {kind!r} is not one of batch, group, none")


class Cnn(nn.Module):
    HIDDEN = 128

    def __init__(self, s):
        super().__init__()
        w = s["width"]
        self.dropout = s["dropout"]
        self.conv1 = nn.Conv2d(s["in_channels"], w, 3, padding=1)  # with bias, as cnn.cpp
        self.bn1 = norm2d(s["norm"], w)
        self.conv2 = nn.Conv2d(w, 2 * w, 3, padding=1)
        self.bn2 = norm2d(s["norm"], 2 * w)
        side = s["image_size"] // 4
        self.fc1 = nn.Linear(2 * w * side * side, self.HIDDEN)
        self.fc2 = nn.Linear(self.HIDDEN, s["num_classes"])

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        h = F.max_pool2d(F.relu(self.bn2(self.conv2(h))), 2)
        h = F.relu(self.fc1(h.flatten(1)))
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, self.training)
        return self.fc2(h)


def conv_no_bias(cin, cout, kernel, stride):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride, norm):
        super().__init__()
        self.conv1 = conv_no_bias(in_planes, planes, 3, stride)
        self.bn1 = norm2d(norm, planes)
        self.conv2 = conv_no_bias(planes, planes, 3, 1)
        self.bn2 = norm2d(norm, planes)
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(conv_no_bias(in_planes, planes, 1, stride), norm2d(norm, planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + (self.shortcut(x) if self.shortcut is not None else x)
        return F.relu(out)


class ResNet18(nn.Module):
    """kuangliu/pytorch-cifar's ResNet18, with resnet.cpp's adaptive average pool."""

    def __init__(self, s):
        super().__init__()
        w = s["width"]
        self.conv1 = conv_no_bias(s["in_channels"], w, 3, 1)
        self.bn1 = norm2d(s["norm"], w)
        self.in_planes = w

        def stage(planes, stride):
            blocks = []
            for st in (stride, 1):
                blocks.append(BasicBlock(self.in_planes, planes, st, s["norm"]))
                self.in_planes = planes
            return nn.Sequential(*blocks)

        self.layer1 = stage(w, 1)
        self.layer2 = stage(2 * w, 2)
        self.layer3 = stage(4 * w, 2)
        self.layer4 = stage(8 * w, 2)
        self.linear = nn.Linear(8 * w, s["num_classes"])

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, (1, 1)).flatten(1)
        return self.linear(out)


class Attention(nn.Module):
    def __init__(self, dim, heads, dim_head, dropout):
        super().__init__()
        inner = heads * dim_head
        self.heads, self.dim_head, self.dropout = heads, dim_head, dropout
        self.qkv = nn.Linear(dim, 3 * inner, bias=False)
        self.proj = nn.Linear(inner, dim)

    def forward(self, x):
        b, n = x.shape[0], x.shape[1]
        qkv = self.qkv(x).view(b, n, 3, self.heads, self.dim_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scale = 1.0 / math.sqrt(self.dim_head)
        attn = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * scale, -1)
        if self.dropout > 0:
            attn = F.dropout(attn, self.dropout, self.training)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, self.heads * self.dim_head)
        out = self.proj(out)
        if self.dropout > 0:
            out = F.dropout(out, self.dropout, self.training)
        return out


class Mlp(nn.Module):
    def __init__(self, dim, mlp_dim, dropout):
        super().__init__()
        self.dropout = dropout
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.fc2 = nn.Linear(mlp_dim, dim)

    def forward(self, x):
        h = F.gelu(self.fc1(x))
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, self.training)
        h = self.fc2(h)
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, self.training)
        return h


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_dim, dropout):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, dim // heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_dim, dropout)

    def forward(self, x):
        h = x + self.attn(self.norm1(x))
        return h + self.mlp(self.norm2(h))


class Vit(nn.Module):
    def __init__(self, s):
        super().__init__()
        dim, self.patch, self.dropout = s["width"], s["patch"], s["dropout"]
        side = s["image_size"] // self.patch
        self.patch_embed = nn.Linear(s["in_channels"] * self.patch * self.patch, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + side * side, dim))
        self.blocks = nn.ModuleList(Block(dim, s["heads"], s["mlp_dim"], s["dropout"]) for _ in range(s["depth"]))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, s["num_classes"])

    def forward(self, x):
        b, c, hp, wp, p = x.shape[0], x.shape[1], x.shape[2] // self.patch, x.shape[3] // self.patch, self.patch
        patches = x.reshape(b, c, hp, p, wp, p).permute(0, 2, 4, 3, 5, 1).reshape(b, hp * wp, p * p * c)
        h = torch.cat([self.cls_token.expand(b, 1, -1), self.patch_embed(patches)], 1) + self.pos_embed
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, self.training)
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h).select(1, 0))


ARCHITECTURES = {"cnn": Cnn, "resnet18": ResNet18, "vit": Vit}

# The presets of `cwrf bench train` (apps/cwrf/bench_command.cpp), resolved, for runs without --cwrf.
_BASE = dict(in_channels=1, image_size=28, num_classes=10, width=0, depth=0, heads=0, mlp_dim=0, patch=0,
             norm="batch", dropout=0.0)
PRESETS = {
    "cnn": dict(spec=dict(_BASE, name="cnn", width=32), channels_last=True, warmup=3, steps=20),
    "vit": dict(spec=dict(_BASE, name="vit", width=64, depth=4, heads=4, mlp_dim=128, patch=4),
                channels_last=False, warmup=3, steps=20),
    "vit-paper": dict(spec=dict(_BASE, name="vit", in_channels=3, image_size=32, width=512, depth=6, heads=8,
                                mlp_dim=512, patch=4), channels_last=False, warmup=1, steps=2),
    "resnet18": dict(spec=dict(_BASE, name="resnet18", in_channels=3, image_size=32, width=64),
                     channels_last=True, warmup=1, steps=3),
}


# --- the measurement ---------------------------------------------------------------------------

def measure(spec, batch, warmup, steps, repeats, threads, channels_last, seed=0, device="cpu", amp="off"):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", 0)
    cuda = device.type == "cuda"
    if cuda:
        # TF32 as LibTorch's defaults (cuDNN convolutions on, cuBLAS matmuls off), as cwrf runs.
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.benchmark = False
    model = ARCHITECTURES[spec["name"]](spec).to(device)
    model.train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # 4-D weights only, as to_channels_last
    # foreach=False: the per-tensor loop, as MaskedAdam (also 1.13's CPU default).
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=5e-4,
                                 foreach=False)
    torch.manual_seed(seed + 1)
    x = torch.randn(batch, spec["in_channels"], spec["image_size"], spec["image_size"]).to(device)
    y = torch.randint(spec["num_classes"], (batch,), dtype=torch.long).to(device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)

    def step():
        optimizer.zero_grad(set_to_none=False)  # zeroes, as MaskedAdam::zero_grad (2.x defaults to None)
        if amp == "bf16":
            with torch.autocast(device.type, dtype=torch.bfloat16):
                logits = model(x)
            logits = logits.float()
        else:
            logits = model(x)
        loss = F.cross_entropy(logits, y)
        value = loss.item()
        if not math.isfinite(value):
            raise RuntimeError(f"loss became {value}")
        loss.backward()
        (logits.detach().argmax(1) == y).sum().item()
        optimizer.step()

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        step()
    runs = []
    for _ in range(repeats):
        sync()
        started = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        runs.append(batch * steps / (time.perf_counter() - started))
    params = sum(p.numel() for p in model.parameters())
    return dict(parameters=params, threads=torch.get_num_threads(), runs=runs,
                mean=statistics.fmean(runs), sd=statistics.stdev(runs) if len(runs) > 1 else 0.0)


def parameter_count(spec):
    return sum(p.numel() for p in ARCHITECTURES[spec["name"]](spec).parameters())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cwrf", metavar="FILE", help="`cwrf bench train --json` output: take every setting from it "
                    "and check the parameter counts against it")
    ap.add_argument("--models", default="cnn,vit,vit-paper,resnet18", help="presets (without --cwrf)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, help="timed steps per repetition (default: per preset)")
    ap.add_argument("--warmup", type=int, help="untimed steps first (default: per preset)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: all cores)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (without --cwrf)")
    ap.add_argument("--amp", default="off", choices=["off", "bf16"], help="autocast of the forward (without --cwrf)")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON")
    args = ap.parse_args()

    jobs = []  # (name, spec, batch, warmup, steps, repeats, threads, channels_last, cwrf parameter count)
    if args.cwrf:
        with open(args.cwrf) as f:
            cwrf = json.load(f)
        for r in cwrf["results"]:
            jobs.append((r["model"], r["spec"], r["batch_size"], r["warmup"], r["steps"], r["repeats"], r["threads"],
                         r["channels_last"], r["parameters"], r.get("device", "cpu"), r.get("amp", "off")))
    else:
        threads = args.threads or os.cpu_count()
        for name in args.models.split(","):
            if name not in PRESETS:
                sys.exit(f"train_step.py: error: --models: unknown model preset '{name}'; known presets: "
                         f"{', '.join(PRESETS)}")
            p = PRESETS[name]
            jobs.append((name, p["spec"], args.batch, p["warmup"] if args.warmup is None else args.warmup,
                         p["steps"] if args.steps is None else args.steps, args.repeats, threads,
                         p["channels_last"], None, args.device, args.amp))

    # Check every architecture before spending minutes measuring any.
    mismatch = False
    for name, spec, *_, expected, _device, _amp in jobs:
        count = parameter_count(spec)
        note = "" if expected is None else f"  cwrf {expected:,}" + ("  OK" if count == expected else "  MISMATCH")
        print(f"{name:<10} parameters: PyTorch {count:,}{note}", file=sys.stderr)
        mismatch |= expected is not None and count != expected
    if mismatch:
        sys.exit("train_step.py: error: the PyTorch models differ from cwrf's (parameter counts above); "
                 "the comparison would not be like for like")

    results = []
    print(f"{'model':<10} {'params':>11}  {'input':<14} {'steps':>5}  {'images/s (mean±sd)':>18}  channels-last  "
          f"device  amp")
    for name, spec, batch, warmup, steps, repeats, threads, channels_last, _, device, amp in jobs:
        print(f"train_step.py: {name} (warm-up {warmup} steps, then {repeats} repetitions x {steps} steps; "
              f"batch {batch}, {threads} threads, {device}{'' if amp == 'off' else ', amp ' + amp})", file=sys.stderr)
        m = measure(spec, batch, warmup, steps, repeats, threads, channels_last, device=device, amp=amp)
        shape = [batch, spec["in_channels"], spec["image_size"], spec["image_size"]]
        rate = f"{m['mean']:.1f} ± {m['sd']:.1f}"
        print(f"{name:<10} {m['parameters']:>11,}  {'x'.join(map(str, shape)):<14} {steps:>5}  {rate:>18}  "
              f"{'yes' if channels_last else 'no':<13}  {device:<6}  {amp}", flush=True)
        results.append(dict(model=name, spec=spec, parameters=m["parameters"], input_shape=shape, batch_size=batch,
                            warmup=warmup, steps=steps, repeats=repeats, threads=m["threads"],
                            channels_last=channels_last, device=device, amp=amp,
                            images_per_second=dict(mean=m["mean"], sd=m["sd"], runs=m["runs"])))
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(dict(tool="pytorch", version=torch.__version__, python=sys.version.split()[0],
                           command=" ".join(sys.argv), results=results), f, indent=2)
            f.write("\n")
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()
