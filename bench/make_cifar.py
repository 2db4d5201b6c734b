#!/usr/bin/env python3
"""Writes a synthetic dataset in CIFAR-10's official binary format (data_batch_1..5.bin and
test_batch.bin: records of 1 label byte + 3,072 pixel bytes, the R, G and B planes of a 32x32
image), for running the CIFAR presets end to end where the real files cannot be downloaded.

The images are learnable but not trivially: each class has a fixed random low-frequency colour
pattern, and every image is its class's pattern, shifted by a few pixels, scaled in contrast and
covered in strong per-pixel noise, so a ResNet18 needs a few epochs to separate the classes and
still overfits its members (what the membership attacks measure). Needs only torch (no numpy).

  make_cifar.py --out /tmp/cifar10 [--train 50000] [--test 10000] [--seed 0]
"""

import argparse
import ctypes
import os
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit("make_cifar.py: error: this interpreter has no torch module")


def images(n, templates, gen):
    classes = templates.shape[0]
    labels = torch.randint(classes, (n,), generator=gen)
    base = templates[labels]                                   # [n, 3, 32, 32] in [-1, 1]
    dx, dy = torch.randint(-3, 4, (2,), generator=gen).tolist()
    base = torch.roll(base, shifts=(dy, dx), dims=(2, 3))      # one shift per chunk: cheap variety
    contrast = 0.6 + 0.4 * torch.rand(n, 1, 1, 1, generator=gen)
    noise = torch.randn(n, 3, 32, 32, generator=gen)
    x = 128 + 50 * contrast * base + 45 * noise
    return labels, x.clamp(0, 255).round().to(torch.uint8)


def write(path, labels, pixels):
    records = torch.cat([labels.to(torch.uint8).unsqueeze(1), pixels.reshape(len(labels), -1)], 1).contiguous()
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(ctypes.string_at(records.data_ptr(), records.numel()))  # the bytes as they are, no numpy
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=50000, help="training images (5 files of train/5)")
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.train % 5 != 0:
        sys.exit("make_cifar.py: error: --train must be a multiple of 5 (five data_batch files)")
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(args.seed)
    # Low-frequency class patterns: 4x4 random colours upsampled to 32x32.
    templates = F.interpolate(torch.rand(args.classes, 3, 4, 4, generator=gen) * 2 - 1, size=(32, 32),
                              mode="bilinear", align_corners=False)
    per_file = args.train // 5
    chunk = 2000
    for k in range(5):
        labels, pixels = [], []
        for start in range(0, per_file, chunk):
            l, p = images(min(chunk, per_file - start), templates, gen)
            labels.append(l)
            pixels.append(p)
        write(os.path.join(args.out, f"data_batch_{k + 1}.bin"), torch.cat(labels), torch.cat(pixels))
    labels, pixels = [], []
    for start in range(0, args.test, chunk):
        l, p = images(min(chunk, args.test - start), templates, gen)
        labels.append(l)
        pixels.append(p)
    write(os.path.join(args.out, "test_batch.bin"), torch.cat(labels), torch.cat(pixels))
    with open(os.path.join(args.out, "batches.meta.txt"), "w") as f:
        f.write("\n".join(f"class{c}" for c in range(args.classes)) + "\n")
    print(f"make_cifar.py: {args.train} training and {args.test} test images in {args.out}")


if __name__ == "__main__":
    main()
