#!/usr/bin/python3
"""The whole job of `cwrf train`, in PyTorch eager, for a like-for-like wall-clock comparison.

Run it with Debian's interpreter, which has python3-torch (the same LibTorch 1.13.1 that cwrf
links): `/usr/bin/python3 bench/train_job.py ...` (scripts/setup.sh --bench installs it).
bench/train_job.sh runs it next to cwrf; this script is one PyTorch job:

  1. load_data:    the dataset files (Fashion-MNIST: IDX .gz via gzip + numpy; SpamAssassin: the
                   npm package's JSON messages, subject + body, tokenised and encoded as
                   src/cwrf/data/{text,tokenizer}.cpp do), and the per-channel normalisation of
                   the whole training file (src/cwrf/data/normalize.cpp).
  2. prepare_sets: cwrf's K = 1 membership split (pool = train_size points, a reference set of
                   ref_size outside it), a seeded test subset of test_size, each normalised.
  3. train:        the model (bench/train_step.py's, bench/text_model.py's transformer), seeded
                   initialisation, channels-last for the conv models, Adam (L2 weight decay) with
                   a per-step cosine schedule, `epochs` epochs of shuffled batches, loss.item()
                   and the accuracy count every step (what cwrf's StandardStep reads).
  4. evaluate:     eval mode, batches of 256: the training, test and reference sets (cwrf's
                   final metrics evaluate these three; with eval_every = n > 0 the test set is
                   also evaluated every n epochs and the last of those is reused, as in cwrf).
  5. write:        with --out DIR, the initial and final weights (torch.save), as cwrf writes
                   init.pt and final.pt.

Every random stream is seeded as cwrf seeds it (src/cwrf/common/seed.h: split.seed for the split,
derive_seed(seed, ...) for the initialisation and each epoch's order), through the same LibTorch
generators, so the rows, the initial weights and the batch order are cwrf's own.

Settings are cwrf's config keys, with cwrf's defaults (`build/cwrf config keys`):

  train_job.py --threads 2 --set model.name=cnn --set model.width=16 --set data.train_size=1000 \
      --set data.ref_size=500 --set data.test_size=2000 --set epochs=40 --set batch_size=128

Prints one JSON line on stdout: wall_seconds (from the process's start, `import torch`
included), cpu_seconds (getrusage: user + sys of all threads), test_acc, train_acc,
images_per_second (of the training loop alone), and the time of each phase.
"""

import argparse
import os
import resource
import sys
import time


def seconds_since_process_start():
    """As cwrf's phase_timer.cpp: now (CLOCK_BOOTTIME) minus /proc/self/stat's starttime."""
    try:
        with open("/proc/self/stat") as f:
            text = f.read()
        started = int(text[text.rfind(")") + 2:].split()[19]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError):
        return 0.0


# --- settings: cwrf's keys and defaults (the subset a `cwrf train` job of this script reads) ----

DEFAULTS = {
    "data.name": "fashion-mnist",
    "data.path": "",
    "data.test_fraction": 0.2,
    "data.seq_len": 0,
    "data.vocab_size": 20000,
    "data.min_count": 2,
    "data.train_size": 0,
    "data.ref_size": 0,
    "data.val_size": 0,
    "data.pool_size": 0,
    "data.test_size": 0,
    "data.augment": "auto",
    "split.models": 1,
    "split.model": 0,
    "split.seed": 0,
    "model.name": "cnn",
    "model.width": 0,
    "model.depth": 0,
    "model.heads": 0,
    "model.mlp_dim": 0,
    "model.patch": 0,
    "model.norm": "batch",
    "model.dropout": 0.0,
    "epochs": 100,
    "batch_size": 256,
    "lr": 1e-3,
    "lr_schedule": "cosine",
    "weight_decay": 5e-4,
    "adam.beta1": 0.9,
    "adam.beta2": 0.999,
    "adam.eps": 1e-8,
    "seed": 0,
    "defense.name": "ce",
    "channels_last": "auto",
    "eval_every": 1,
    "device": "cpu",
}
SPAM_ASSASSIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".deps", "npm", "node_modules",
                             "@stdlib", "datasets-spam-assassin", "data")
# src/cwrf/data/split.cpp table4_sizes: (train_size, ref_size) when a key is 0.
TABLE4 = {"fashion-mnist": (10000, 2000), "spam-assassin": (1000, 500)}
MODEL_DEFAULTS = {  # src/cwrf/models/registry.cpp
    "cnn": dict(width=32),
    "resnet18": dict(width=64),
    "vit": dict(width=64, depth=4, heads=4, mlp_dim=128, patch=4),
    "transformer": dict(width=64, depth=2, heads=4, mlp_dim=128),
}


def fail(message):
    sys.exit(f"train_job.py: error: {message}")


def parse_settings(pairs):
    config = dict(DEFAULTS)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in DEFAULTS:
            fail(f"--set {pair!r}: expected key=value with a key among: {', '.join(DEFAULTS)}")
        kind = type(DEFAULTS[key])
        try:
            if kind is str:
                config[key] = value.strip('"')
            elif kind is int:
                config[key] = int(value) if value.lstrip("-").isdigit() else int(float(value))
            else:
                config[key] = kind(value)
        except ValueError:
            fail(f"--set {pair!r}: {value!r} is not a {kind.__name__}")
    # What this script does not do (cwrf does): say so rather than measure something else.
    unsupported = {"data.name": ("fashion-mnist", "spam-assassin"), "split.models": (1,), "split.model": (0,),
                   "data.val_size": (0,), "data.augment": ("auto", "off"), "defense.name": ("ce",),
                   "device": ("cpu",), "lr_schedule": ("cosine", "constant")}
    for key, allowed in unsupported.items():
        if config[key] not in allowed:
            fail(f"{key} = {config[key]!r}: this script supports {', '.join(map(repr, allowed))} only")
    return config


# --- seeds (src/cwrf/common/seed.h) ---------------------------------------------------------

MASK64 = (1 << 64) - 1
LOADER_EPOCH, REFERENCE_SET, MODEL_INIT, DATA_ORDER, TEST_SUBSET = 1, 2, 3, 4, 5


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def derive_seed(seed, domain, index=0):
    return splitmix64(splitmix64(splitmix64(seed & MASK64) ^ domain) ^ index)


def generator(seed):
    import torch
    g = torch.Generator()
    g.manual_seed(seed)
    return g


# --- data -------------------------------------------------------------------------------------

def read_idx(path):
    """An IDX file (gzip or not) as a numpy array (src/cwrf/data/idx.cpp: big-endian dims and values)."""
    import gzip
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        fail(f"{path}: not an IDX file")
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[raw[2]]
    ndims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * d:8 + 4 * d], "big") for d in range(ndims)]
    data = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndims)
    if data.size != int(np.prod(shape)):
        fail(f"{path}: {data.size} values for dims {shape}")
    return data.reshape(shape).astype(dtype[1:], copy=False)  # native byte order (a copy for multi-byte types)


def load_fashion_mnist(path):
    import torch
    d = path or "/usr/share/datasets/fashion-mnist"
    out = {}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        images = torch.from_numpy(read_idx(os.path.join(d, f"{prefix}-images-idx3-ubyte.gz")).copy())
        labels = torch.from_numpy(read_idx(os.path.join(d, f"{prefix}-labels-idx1-ubyte.gz")).copy())
        out[part] = (images.unsqueeze(1) if images.dim() == 3 else images, labels.to(torch.int64))
    return out, 10


def compute_normalization(images):
    """Per-channel mean and std of the uint8 images over [0, 1], from exact int64 sums (normalize.cpp)."""
    import torch
    n, channels = images.shape[0], images.shape[1]
    per_channel = float(n) * images.shape[2] * images.shape[3]
    total = torch.zeros(channels, dtype=torch.int64)
    total_sq = torch.zeros(channels, dtype=torch.int64)
    for start in range(0, n, 4096):
        x = images[start:start + 4096].to(torch.int64)
        total += x.sum((0, 2, 3))
        total_sq += (x * x).sum((0, 2, 3))
    mean, std = [], []
    for c in range(channels):
        m = total[c].item() / per_channel
        variance = max(0.0, total_sq[c].item() / per_channel - m * m)
        mean.append(m / 255.0)
        std.append(variance ** 0.5 / 255.0)
    return mean, std


def normalize_images(uint8_images, mean, std):
    """x * (1/(255 s)) + (-m/s), the factors in float64 and applied in float32 (normalize.cpp)."""
    import torch
    c = uint8_images.shape[1]
    scale = torch.tensor([1.0 / (255.0 * s) for s in std], dtype=torch.float32).view(1, c, 1, 1)
    shift = torch.tensor([-m / s for m, s in zip(mean, std)], dtype=torch.float32).view(1, c, 1, 1)
    return torch.addcmul(shift, uint8_images.to(torch.float32), scale)


def _trim(line):
    return line.strip(b" \t")


def email_subject_and_body(raw):
    """text.cpp's email_subject_and_body on bytes: the Subject header (folded lines joined), a newline,
    the body after the first empty line."""
    subject = b""
    in_subject = have_subject = False
    pos, body, size = 0, len(raw), len(raw)
    while pos < size:
        nl = raw.find(b"\n", pos)
        end = size if nl < 0 else nl
        line = raw[pos:end]
        pos = size if nl < 0 else nl + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            body = pos
            break
        if line[:1] in (b" ", b"\t"):
            if in_subject:
                subject += b" " + _trim(line)
            continue
        in_subject = not have_subject and line[:8].lower() == b"subject:"
        if in_subject:
            have_subject = True
            subject = _trim(line[8:])
    out = subject + b"\n"
    if body < size:
        out += raw[body:]
    return out


def xxh3_64(data, seed):
    """XXH3_64bits_withSeed from Debian's libxxhash (the library cwrf links)."""
    import ctypes
    lib = getattr(xxh3_64, "lib", None)
    if lib is None:
        lib = ctypes.CDLL("libxxhash.so.0")
        lib.XXH3_64bits_withSeed.restype = ctypes.c_uint64
        lib.XXH3_64bits_withSeed.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
        xxh3_64.lib = lib
    return lib.XXH3_64bits_withSeed(data, len(data), seed)


def load_spam_assassin(path, test_fraction, seed=0):
    """text.cpp's load_spam_assassin: groups sorted, files sorted; per group the round(fraction * n)
    messages of lowest XXH3 rank (of "group\\0file") are the test set."""
    import json
    d = path or SPAM_ASSASSIN

    def label_of(folder):
        if folder.startswith(("easy-ham-", "hard-ham-")):
            return 0
        return 1 if folder.startswith("spam-") else -1

    if not any(label_of(e) >= 0 for e in os.listdir(d)) and os.path.isdir(os.path.join(d, "data")):
        d = os.path.join(d, "data")
    train_texts, train_labels, test_texts, test_labels = [], [], [], []
    for group in sorted(e for e in os.listdir(d) if os.path.isdir(os.path.join(d, e)) and label_of(e) >= 0):
        gdir = os.path.join(d, group)
        files = sorted(f for f in os.listdir(gdir) if f.endswith(".json") and os.path.isfile(os.path.join(gdir, f)))
        texts, ranks = [], []
        for name in files:
            with open(os.path.join(gdir, name), "rb") as f:
                text = json.loads(f.read())["text"]
            texts.append(email_subject_and_body(text.encode("utf-8", "surrogatepass")))
            ranks.append(xxh3_64(group.encode() + b"\0" + name.encode(), seed))
        order = sorted(range(len(files)), key=lambda i: (ranks[i], files[i]))
        n_test = int(test_fraction * len(files) + 0.5)  # llround, for the non-negative values here
        is_test = set(order[:n_test])
        for i, text in enumerate(texts):
            (test_texts if i in is_test else train_texts).append(text)
            (test_labels if i in is_test else train_labels).append(label_of(group))
    return train_texts, train_labels, test_texts, test_labels


def tokens(text):
    """tokenizer.cpp: maximal runs of [A-Za-z0-9] or bytes >= 0x80, ASCII lower-cased."""
    return TOKEN.findall(text.lower())  # bytes.lower() folds ASCII letters only, as kTables.lower


def build_vocabulary(texts, max_size, min_count):
    """Vocabulary::build: <pad>, <unk>, then words with count >= min_count by descending count,
    ties in byte order, the first max_size - 2."""
    from collections import Counter
    counts = Counter()
    for text in texts:
        counts.update(tokens(text))
    ranked = sorted(((c, w) for w, c in counts.items() if c >= min_count), key=lambda cw: (-cw[0], cw[1]))
    words = [b"<pad>", b"<unk>"] + [w for _, w in ranked[:max_size - 2]]
    return {w: i for i, w in enumerate(words)}


def encode(texts, vocabulary, seq_len):
    """int64 [N, seq_len]: each text's first seq_len token ids (unknown: 1), right-padded with 0."""
    import torch
    rows = torch.zeros(len(texts), seq_len, dtype=torch.int64)
    for i, text in enumerate(texts):
        ids = [vocabulary.get(t, 1) for t in tokens(text)[:seq_len]]
        if ids:
            rows[i, :len(ids)] = torch.tensor(ids, dtype=torch.int64)
    return rows


def load_text(config):
    import torch
    train_texts, train_labels, test_texts, test_labels = load_spam_assassin(config["data.path"],
                                                                            config["data.test_fraction"])
    vocabulary = build_vocabulary(train_texts, config["data.vocab_size"], config["data.min_count"])
    seq_len = config["data.seq_len"] or 256  # text_default_seq_len("spam-assassin")
    data = {"train": (encode(train_texts, vocabulary, seq_len), torch.tensor(train_labels, dtype=torch.int64)),
            "test": (encode(test_texts, vocabulary, seq_len), torch.tensor(test_labels, dtype=torch.int64))}
    return data, 2, len(vocabulary)


# --- the split (src/cwrf/data/split.cpp, K = 1; job_data.cpp's test subset) -------------------

def make_sets(config, data, normalization):
    import torch
    train_inputs, train_labels = data["train"]
    test_inputs, test_labels = data["test"]
    n = train_inputs.shape[0]
    preset = TABLE4[config["data.name"]]
    train_size = config["data.train_size"] or preset[0]
    ref_size = config["data.ref_size"] or preset[1]
    pool = config["data.pool_size"] or train_size  # pool_size_for(train_size, K = 1)
    if pool + ref_size > n:
        fail(f"data.pool_size ({pool}) + data.ref_size ({ref_size}) exceed the {n} training points")
    g = generator(config["split.seed"])
    perm = torch.randperm(n, generator=g)
    members = torch.sort(perm[:pool])[0]  # K = 1: the one model keeps the whole pool
    reserve = perm[pool:]
    pick = torch.randperm(reserve.shape[0], generator=generator(derive_seed(config["split.seed"], REFERENCE_SET, 0)))
    reference = torch.sort(reserve.index_select(0, pick[:ref_size]))[0]
    test_size = config["data.test_size"] or test_inputs.shape[0]
    if test_size > test_inputs.shape[0]:
        fail(f"data.test_size = {test_size} exceeds the test set's {test_inputs.shape[0]} points")
    test_rows = torch.arange(test_inputs.shape[0])
    if test_size < test_inputs.shape[0]:
        g = generator(derive_seed(config["split.seed"], TEST_SUBSET))
        test_rows = torch.sort(torch.randperm(test_inputs.shape[0], generator=g)[:test_size])[0]

    def prepare(inputs, labels, rows):
        selected = inputs.index_select(0, rows)
        if normalization is not None:
            selected = normalize_images(selected, *normalization)
        return selected, labels.index_select(0, rows)

    return (prepare(train_inputs, train_labels, members), prepare(test_inputs, test_labels, test_rows),
            prepare(train_inputs, train_labels, reference))


# --- training and evaluation (src/cwrf/train/{trainer,step,adam,schedule,evaluate}.cpp) --------

def scheduled_lr(schedule, lr0, step, total):
    import math
    if schedule == "constant" or total <= 0:
        return lr0
    return lr0 * (1.0 + math.cos(math.pi * step / total)) / 2.0


def train(model, inputs, labels, config, channels_last, log, test_set):
    import math
    import torch
    import torch.nn.functional as F
    started = time.perf_counter()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    # foreach=False: the per-tensor loop, as cwrf's MaskedAdam (1.13's CPU default too).
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"], betas=(config["adam.beta1"], config["adam.beta2"]),
                                 eps=config["adam.eps"], weight_decay=config["weight_decay"], foreach=False)
    group = optimizer.param_groups[0]
    n, batch, epochs = inputs.shape[0], config["batch_size"], config["epochs"]
    steps_per_epoch = (n + batch - 1) // batch
    total_steps = steps_per_epoch * epochs
    data_seed = derive_seed(config["seed"], DATA_ORDER)
    step = 0
    last_test = None
    for epoch in range(epochs):
        epoch_started = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=generator(derive_seed(data_seed, LOADER_EPOCH, epoch)))
        loss_sum, correct, count = 0.0, 0, 0
        for start in range(0, n, batch):
            rows = order[start:start + batch]
            x, y = inputs.index_select(0, rows), labels.index_select(0, rows)
            if channels_last and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            optimizer.zero_grad()  # set_to_none=False in 1.13: zeroes, as MaskedAdam::zero_grad
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            value = loss.item()
            if not math.isfinite(value):
                fail(f"the loss became {value} at epoch {epoch + 1} step {step + 1}")
            loss.backward()
            correct += (logits.detach().argmax(1) == y).sum().item()
            count += y.shape[0]
            loss_sum += value * y.shape[0]
            group["lr"] = scheduled_lr(config["lr_schedule"], config["lr"], step, total_steps)
            optimizer.step()
            step += 1
        every = config["eval_every"]
        test_note = ""
        if every > 0 and (epoch + 1 == epochs or (epoch + 1) % every == 0):  # trainer.cpp's eval_every
            last_test = evaluate(model, *test_set, channels_last)
            test_note = f"  test acc {last_test[0]:.4f}"
        log(f"epoch {epoch + 1:3d}/{epochs}  train loss {loss_sum / max(count, 1):.4f} acc {correct / max(count, 1):.4f}"
            f"{test_note}  ({time.perf_counter() - epoch_started:.1f}s)")
    return model, time.perf_counter() - started, last_test


def evaluate(model, inputs, labels, channels_last, batch=256):
    import torch
    import torch.nn.functional as F
    model.eval()
    with torch.inference_mode():
        chunks = []
        for start in range(0, inputs.shape[0], batch):
            x = inputs[start:start + batch]
            if channels_last and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            chunks.append(model(x).to(torch.float32))
        logits = torch.cat(chunks)
        loss = F.cross_entropy(logits, labels).item()
        accuracy = logits.argmax(1).eq(labels).to(torch.float64).mean().item()
    model.train()
    return accuracy, loss


# --- the job ----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a cwrf config key (repeatable)")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: all cores)")
    ap.add_argument("--out", metavar="DIR", help="write init.pt and final.pt (the weights) there, as cwrf does")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = ap.parse_args()
    config = parse_settings(args.set)
    threads = args.threads or os.cpu_count()
    # Before `import torch`: OpenBLAS and OpenMP size their pools when they load.
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)

    def log(line):
        if not args.quiet:
            print(f"train_job.py: {line}", file=sys.stderr, flush=True)

    timing = {"process_startup": seconds_since_process_start()}
    mark = time.perf_counter()

    def phase(name):
        nonlocal mark
        now = time.perf_counter()
        timing[name] = timing.get(name, 0.0) + now - mark
        mark = now

    import re
    import torch
    sys.dont_write_bytecode = True  # no bench/__pycache__ from importing train_step / text_model
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import text_model
    global TOKEN
    TOKEN = re.compile(rb"[a-z0-9\x80-\xff]+")
    torch.set_num_threads(threads)
    phase("import_torch")

    # 1. load_data
    name = config["data.name"]
    if name == "fashion-mnist":
        data, num_classes = load_fashion_mnist(config["data.path"])
        normalization = compute_normalization(data["train"][0])
    else:
        data, num_classes, _ = load_text(config)
        normalization = None
    phase("load_data")

    # 2. prepare_sets and the model's spec (job_data.cpp's full_spec, registry.cpp's defaults)
    (x_train, y_train), (x_test, y_test), (x_ref, y_ref) = make_sets(config, data, normalization)
    del data
    model_name = config["model.name"]
    if (model_name == "transformer") != (name == "spam-assassin"):
        fail(f"model.name = {model_name!r} does not read {name} data")
    spec = dict(name=model_name, norm=config["model.norm"], dropout=config["model.dropout"], num_classes=num_classes,
                in_channels=0, image_size=0, vocab_size=0, seq_len=0)
    for key in ("width", "depth", "heads", "mlp_dim", "patch"):
        spec[key] = config[f"model.{key}"] or MODEL_DEFAULTS[model_name].get(key, 0)
    if model_name == "transformer":
        spec.update(vocab_size=config["data.vocab_size"], seq_len=x_train.shape[1])
    else:
        spec.update(in_channels=x_train.shape[1], image_size=x_train.shape[2])
    channels_last = config["channels_last"] == "on" or (config["channels_last"] == "auto"
                                                        and model_name in ("cnn", "resnet18"))
    phase("prepare_sets")

    # initialise (cwrf: torch::manual_seed(derive_seed(seed, kModelInit)), then make_model)
    torch.manual_seed(derive_seed(config["seed"], MODEL_INIT))
    model = text_model.ARCHITECTURES[model_name](spec)
    parameters = sum(p.numel() for p in model.parameters())
    phase("initialise")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        torch.save({k: v.clone() for k, v in model.state_dict().items()}, os.path.join(args.out, "init.pt"))
        phase("write")

    # 3. train
    log(f"training {model_name} ({parameters} parameters) on {x_train.shape[0]} {name} examples, "
        f"{config['epochs']} epochs, {torch.get_num_threads()} threads")
    model, train_seconds, last_test = train(model, x_train, y_train, config, channels_last, log, (x_test, y_test))
    phase("train")
    if args.out:
        torch.save(model.state_dict(), os.path.join(args.out, "final.pt"))
        phase("write")

    # 4. evaluate: members, test, reference (model_job.cpp's final_metrics)
    train_acc, train_loss = evaluate(model, x_train, y_train, channels_last)
    # The training loop's last evaluation is of this very model: reused, as cwrf does.
    test_acc, test_loss = last_test if last_test is not None else evaluate(model, x_test, y_test, channels_last)
    ref_acc, ref_loss = evaluate(model, x_ref, y_ref, channels_last)
    phase("evaluate")
    log(f"test_acc {test_acc:.4f}  train_acc {train_acc:.4f}  test_loss {test_loss:.4f}  train_loss {train_loss:.4f}")

    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = dict(tool="pytorch", version=torch.__version__, model=model_name, data=name, parameters=parameters,
                  threads=torch.get_num_threads(), train_size=x_train.shape[0], test_size=x_test.shape[0],
                  ref_size=x_ref.shape[0], epochs=config["epochs"], batch_size=config["batch_size"],
                  wall_seconds=seconds_since_process_start(), cpu_seconds=usage.ru_utime + usage.ru_stime,
                  user_seconds=usage.ru_utime, sys_seconds=usage.ru_stime, max_rss_kib=usage.ru_maxrss,
                  test_acc=test_acc, test_loss=test_loss, train_acc=train_acc, train_loss=train_loss,
                  reference_acc=ref_acc, reference_loss=ref_loss, train_seconds=train_seconds,
                  images_per_second=x_train.shape[0] * config["epochs"] / train_seconds if train_seconds > 0 else 0.0,
                  timing={k: round(v, 6) for k, v in timing.items()})
    import json
    print(json.dumps(result), flush=True)


TOKEN = None

if __name__ == "__main__":
    main()
