#include "cwrf/data/data_keys.h"

namespace cwrf::data {

using config::Type;

namespace {

// What the loaders read: these keys alone determine the dataset's tensors.
std::vector<config::Option> loading_keys() {
  const config::Bounds non_negative = config::at_least(0);
  return {
      {"data.name", Type::String, "fashion-mnist", "dataset", dataset_names()},
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
      {"data.test_fraction", Type::Float, 0.2, "spam-assassin: share of each group held out as the test set (fixed hash split)", {}, true, config::half_open(0, 1)},
      {"data.seq_len", Type::Int, 0, "text: tokens per example, longer texts truncated (0: 256 spam-assassin, 128 otherwise)", {}, true, non_negative},
      {"data.vocab_size", Type::Int, 20000, "text: vocabulary cap, <pad> and <unk> included (built from the training file)", {}, true, config::at_least(3)},
      {"data.min_count", Type::Int, 2, "text: words seen fewer times in the training file map to <unk>", {}, true, config::at_least(1)},
  };
}

// How each model's sets are drawn from them.
std::vector<config::Option> split_keys() {
  const config::Bounds non_negative = config::at_least(0);
  return {
      {"data.train_size", Type::Int, 0, "training points per model (0: the dataset's Table 4 preset)", {}, true, non_negative},
      {"data.ref_size", Type::Int, 0, "reference (non-member) points per model (0: preset)", {}, true, non_negative},
      {"data.val_size", Type::Int, 0, "validation points outside the pool and every reference set, for sweeps (0: none)", {}, true, non_negative},
      {"data.pool_size", Type::Int, 0, "points shared by the K models (0: train_size*K/floor(K/2), or train_size if K=1)", {}, true, non_negative},
      {"data.test_size", Type::Int, 0, "test points used (0: the whole official test set)", {}, true, non_negative},
      {"data.augment", Type::String, "auto", "crop+flip augmentation (auto: on for 32x32 images)", {"auto", "on", "off"}},
      {"split.models", Type::Int, 1, "K, the number of models sharing the pool (shadow models + targets)", {}, true, config::at_least(1)},
      {"split.model", Type::Int, 0, "which of the K models this is (0-based)", {}, true, non_negative},
      {"split.seed", Type::Int, 0, "seed of the pool / keep-mask / reference draw, shared by all K models"},
  };
}

}  // namespace

std::vector<config::Option> data_keys() {
  std::vector<config::Option> keys = loading_keys();
  for (config::Option& o : split_keys()) keys.push_back(std::move(o));
  return keys;
}

std::vector<std::string> loading_key_names() {
  std::vector<std::string> names;
  for (const config::Option& o : loading_keys()) names.push_back(o.key);
  return names;
}

DataOptions data_options(const config::Config& c) {
  DataOptions o;
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
  return o;
}

}  // namespace cwrf::data
