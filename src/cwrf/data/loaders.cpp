#include "cwrf/data/loaders.h"

#include "cwrf/common/error.h"
#include "cwrf/data/cifar.h"
#include "cwrf/data/idx.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace cwrf::data {

namespace {

std::string known_names() { return fmt::format("{}", fmt::join(dataset_names(), ", ")); }

void check_name(const std::string& name) {
  const auto names = dataset_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw Error(fmt::format("data.name: unknown dataset '{}' (known: {})", name, known_names()));
}

TrainTest load_idx(const std::filesystem::path& dir, const DataOptions& options) {
  return {read_idx_dataset(dir / options.train_images, dir / options.train_labels, options.name + "/train"),
          read_idx_dataset(dir / options.test_images, dir / options.test_labels, options.name + "/test")};
}

}  // namespace

std::vector<std::string> dataset_names() { return {"fashion-mnist", "idx", "cifar10", "cifar100"}; }

std::string default_data_path(const std::string& name) {
  check_name(name);
  if (name == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";  // Debian's dataset-fashion-mnist
  return "";  // nothing installs the others here: the user says where they are
}

TrainTest load_dataset(const DataOptions& options) {
  check_name(options.name);
  // Options first, files second: a bad value is reported even when the files are also missing.
  const CifarLabels cifar100_labels =
      options.name == "cifar100" ? parse_cifar100_labels(options.cifar100_labels) : CifarLabels::kFine;
  std::string path = options.path.empty() ? default_data_path(options.name) : options.path;
  if (path.empty())
    throw Error(fmt::format("data.path: dataset '{}' has no default location; set data.path to the directory "
                            "holding its files",
                            options.name));
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec))
    throw Error(fmt::format("data.path: '{}' is not a directory (dataset '{}')", path, options.name));

  if (options.name == "fashion-mnist" || options.name == "idx") return load_idx(path, options);
  if (options.name == "cifar10") return load_cifar10(path);
  if (options.name == "cifar100") return load_cifar100(path, cifar100_labels);
  throw Error(fmt::format("data.name: unknown dataset '{}' (known: {})", options.name, known_names()));
}

}  // namespace cwrf::data
