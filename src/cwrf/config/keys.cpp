#include "cwrf/config/keys.h"

#include "cwrf/common/error.h"
#include "cwrf/data/loaders.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/objectives/registry.h"

#include <fmt/format.h>

#include <thread>

namespace cwrf::config {

namespace {

Schema build_schema() {
  Schema s;
  s.add({
      // Data and membership split (docs/ALGORITHMS.md §4; paper Table 4).
      {"data.name", Type::String, "fashion-mnist", "dataset", data::dataset_names()},
      {"data.path", Type::String, "", "directory with the dataset files (empty: the dataset's default)"},
      {"data.train_images", Type::String, "train-images-idx3-ubyte.gz", "IDX training images file name"},
      {"data.train_labels", Type::String, "train-labels-idx1-ubyte.gz", "IDX training labels file name"},
      {"data.test_images", Type::String, "t10k-images-idx3-ubyte.gz", "IDX test images file name"},
      {"data.test_labels", Type::String, "t10k-labels-idx1-ubyte.gz", "IDX test labels file name"},
      {"data.cifar100_labels", Type::String, "fine", "CIFAR-100 label kind", {"fine", "coarse"}},
      {"data.cinic_valid", Type::String, "ignore", "CINIC-10's valid/ part: ignore, or append it to the training file", {"ignore", "train"}},
      {"data.train_csv", Type::String, "train.csv", "text-csv: training file (label,text) inside data.path"},
      {"data.test_csv", Type::String, "test.csv", "text-csv: test file (label,text) inside data.path"},
      {"data.csv_header", Type::Bool, false, "text-csv: the files start with a header line"},
      {"data.test_fraction", Type::Float, 0.2, "spam-assassin: share of each group held out as the test set (fixed hash split)"},
      {"data.seq_len", Type::Int, 0, "text: tokens per example, longer texts truncated (0: 256 spam-assassin, 128 otherwise)"},
      {"data.vocab_size", Type::Int, 20000, "text: vocabulary cap, <pad> and <unk> included (built from the training file)"},
      {"data.min_count", Type::Int, 2, "text: words seen fewer times in the training file map to <unk>"},
      {"data.train_size", Type::Int, 0, "training points per model (0: the dataset's Table 4 preset)"},
      {"data.ref_size", Type::Int, 0, "reference (non-member) points per model (0: preset)"},
      {"data.val_size", Type::Int, 0, "validation points outside the pool and every reference set, for sweeps (0: none)"},
      {"data.pool_size", Type::Int, 0, "points shared by the K models (0: train_size*K/floor(K/2), or train_size if K=1)"},
      {"data.test_size", Type::Int, 0, "test points used (0: the whole official test set)"},
      {"data.augment", Type::String, "auto", "crop+flip augmentation (auto: on for 32x32 images)", {"auto", "on", "off"}},
      {"split.models", Type::Int, 1, "K, the number of models sharing the pool (shadow models + targets)"},
      {"split.model", Type::Int, 0, "which of the K models this is (0-based)"},
      {"split.seed", Type::Int, 0, "seed of the pool / keep-mask / reference draw, shared by all K models"},
      // Model.
      {"model.name", Type::String, "cnn", "architecture", models::model_names()},
      {"model.width", Type::Int, 0, "cnn: first conv channels; resnet18: base channels; vit: embedding dim (0: default)"},
      {"model.depth", Type::Int, 0, "vit: transformer blocks (0: default)"},
      {"model.heads", Type::Int, 0, "vit: attention heads (0: default)"},
      {"model.mlp_dim", Type::Int, 0, "vit: block MLP hidden size (0: default)"},
      {"model.patch", Type::Int, 0, "vit: patch side (0: default 4)"},
      {"model.norm", Type::String, "batch", "cnn/resnet18 normalisation", {"batch", "group", "none"}},
      {"model.dropout", Type::Float, 0.0, "dropout probability"},
      // Training (paper Sec. 5.1).
      {"epochs", Type::Int, 100, "training epochs (paper: 100)"},
      {"batch_size", Type::Int, 256, "mini-batch size"},
      {"lr", Type::Float, 1e-3, "initial learning rate"},
      {"lr_schedule", Type::String, "cosine", "per-step schedule", {"cosine", "constant"}},
      {"weight_decay", Type::Float, 5e-4, "Adam L2 weight decay"},
      {"adam.beta1", Type::Float, 0.9, "Adam β1"},
      {"adam.beta2", Type::Float, 0.999, "Adam β2"},
      {"adam.eps", Type::Float, 1e-8, "Adam ε"},
      {"seed", Type::Int, 0, "seed of the model's initialisation, batch order and augmentation"},
      {"defense.name", Type::String, "ce", "training objective (ce = no defense)"},
      // CWRF (paper Alg. 1, Sec. 4.3-4.4): scoring, rewinding, freezing, fine-tuning. Used by
      // `cwrf rewind` / `cwrf score`; a model trained from scratch has none of these keys.
      {"cwrf.mode", Type::String, "cwrf",
       "cwrf (A3: rewind top-r, fine-tune the rest), remove (A1: zero top-r, fine-tune the rest), "
       "rewind-only (A2: rewind top-r, fine-tune only them), lottery (M2: zero the lowest r, rewind and retrain the rest)",
       {"cwrf", "remove", "rewind-only", "lottery"}},
      {"cwrf.score", Type::String, "pve", "weight scores: pve (privacy vulnerability, Eq. 3-4) or tfo (learnability, Eq. 2)", {"pve", "tfo"}},
      {"cwrf.rate", Type::Float, 0.05, "r, the fraction of weights selected (paper: grid search in [0.01, 0.10])"},
      {"cwrf.iterations", Type::Int, 30, "T, scoring iterations (paper: 30)"},
      {"cwrf.batch_size", Type::Int, 256, "B, scoring batch size for members and for reference points (paper: 256)"},
      {"cwrf.lambda", Type::Float, nullptr, "λ of Eq. 4 (default 0.7; 0.9 with 100 classes, as the paper for CIFAR-100)"},
      {"cwrf.score_lr", Type::Float, 1e-3, "η_e, the SGD step of the scoring copy (not given in the paper)"},
      {"cwrf.kl_reduction", Type::String, "batchmean", "KL of Eq. 4 per sample (batchmean) or over B·C (mean)", {"batchmean", "mean"}},
      {"cwrf.epochs", Type::Int, 40, "E, fine-tuning epochs (paper: 40), with the learning rate rewound to lr"},
      // Runtime: do not change what is computed, only how fast.
      {"device", Type::String, "cpu", "cpu or cuda (cuda needs a CUDA LibTorch)", {"cpu", "cuda"}},
      {"threads", Type::Int, 0, "intra-op threads (0: all cores)", {}, false},
      {"channels_last", Type::String, "auto", "NHWC convolutions (auto: on for conv models on CPU)", {"auto", "on", "off"}, false},
      {"eval_every", Type::Int, 1, "evaluate the test set every n epochs (0: only at the end)", {}, false},
  });
  s.add(train::objective_options());
  return s;
}

int64_t positive(const Config& c, const std::string& key, bool allow_zero = false) {
  const int64_t v = c.get_int(key);
  if (v < 0 || (!allow_zero && v == 0))
    throw Error(fmt::format("config key '{}' must be {}, got {}", key, allow_zero ? ">= 0" : "> 0", v));
  return v;
}

}  // namespace

const Schema& schema() {
  static const Schema s = build_schema();
  return s;
}

data::DataOptions data_options(const Config& c) {
  data::DataOptions o;
  o.name = c.get_string("data.name");
  o.path = c.get_string("data.path");
  o.train_images = c.get_string("data.train_images");
  o.train_labels = c.get_string("data.train_labels");
  o.test_images = c.get_string("data.test_images");
  o.test_labels = c.get_string("data.test_labels");
  o.cifar100_labels = c.get_string("data.cifar100_labels");
  o.cinic_valid = c.get_string("data.cinic_valid");
  o.train_csv = c.get_string("data.train_csv");
  o.test_csv = c.get_string("data.test_csv");
  o.csv_header = c.get_bool("data.csv_header");
  o.test_fraction = c.get_float("data.test_fraction");
  o.seq_len = c.get_int("data.seq_len");
  o.vocab_size = c.get_int("data.vocab_size");
  o.min_count = c.get_int("data.min_count");
  if (o.seq_len < 0) throw Error(fmt::format("config key 'data.seq_len' must be >= 0, got {}", o.seq_len));
  return o;
}

models::ModelSpec model_spec(const Config& c) {
  models::ModelSpec spec;
  spec.name = c.get_string("model.name");
  spec.width = positive(c, "model.width", true);
  spec.depth = positive(c, "model.depth", true);
  spec.heads = positive(c, "model.heads", true);
  spec.mlp_dim = positive(c, "model.mlp_dim", true);
  spec.patch = positive(c, "model.patch", true);
  spec.norm = c.get_string("model.norm");
  spec.dropout = c.get_float("model.dropout");
  if (spec.dropout < 0.0 || spec.dropout >= 1.0)
    throw Error(fmt::format("config key 'model.dropout' must be in [0, 1), got {}", spec.dropout));
  return spec;
}

train::TrainOptions train_options(const Config& c) {
  train::TrainOptions o;
  o.epochs = positive(c, "epochs");
  o.batch_size = positive(c, "batch_size");
  o.lr = c.get_float("lr");
  if (!(o.lr > 0.0)) throw Error(fmt::format("config key 'lr' must be > 0, got {}", o.lr));
  o.schedule = c.get_string("lr_schedule");
  o.adam.beta1 = c.get_float("adam.beta1");
  o.adam.beta2 = c.get_float("adam.beta2");
  o.adam.eps = c.get_float("adam.eps");
  o.adam.weight_decay = c.get_float("weight_decay");
  for (const char* key : {"adam.beta1", "adam.beta2"}) {
    const double b = c.get_float(key);
    if (b < 0.0 || b >= 1.0) throw Error(fmt::format("config key '{}' must be in [0, 1), got {}", key, b));
  }
  if (o.adam.weight_decay < 0.0) throw Error("config key 'weight_decay' must be >= 0");
  if (!(o.adam.eps > 0.0)) throw Error("config key 'adam.eps' must be > 0");
  o.eval_every = positive(c, "eval_every", true);
  return o;
}

int64_t thread_count(const Config& c) {
  const int64_t n = positive(c, "threads", true);
  if (n > 0) return n;
  return std::max<int64_t>(1, std::thread::hardware_concurrency());
}

}  // namespace cwrf::config
