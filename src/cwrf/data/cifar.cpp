#include "cwrf/data/cifar.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::data {

namespace {

constexpr int64_t kChannels = 3;
constexpr int64_t kSide = 32;
constexpr int64_t kPixels = kChannels * kSide * kSide;  // 3072

// One file as uint8 [records, record_size]; Error names the file when its length is not
// a whole number of records.
torch::Tensor read_records(const std::filesystem::path& file, int64_t record_size, const std::string& format) {
  std::string bytes = read_file(file);
  const auto size = static_cast<int64_t>(bytes.size());
  if (size == 0) throw Error(fmt::format("{}: empty file (expected {} records)", file.string(), format));
  if (size % record_size != 0)
    throw Error(fmt::format("{}: {} bytes is not a whole number of {} records of {} bytes (truncated or not a {} "
                            "binary file)",
                            file.string(), size, format, record_size, format));
  return torch::from_blob(bytes.data(), {size / record_size, record_size}, torch::kUInt8).clone();
}

// Labels as int64, checked against the number of classes (a wrong file or format shows here).
torch::Tensor checked_labels(const torch::Tensor& column, int64_t num_classes, const std::filesystem::path& file,
                             const std::string& what) {
  torch::Tensor labels = column.to(torch::kInt64);
  torch::Tensor bad = (labels >= num_classes).nonzero();
  if (bad.size(0) > 0) {
    const int64_t row = bad[0][0].item<int64_t>();
    throw Error(fmt::format("{}: record {} has {} label {}, but there are only {} classes (not a {} file?)",
                            file.string(), row, what, labels[row].item<int64_t>(), num_classes, what));
  }
  return labels;
}

torch::Tensor images_of(const torch::Tensor& records, int64_t offset) {
  return records.narrow(1, offset, kPixels).reshape({-1, kChannels, kSide, kSide}).contiguous();
}

// The official tarballs unpack into a folder; accept either that folder or its parent.
std::filesystem::path resolve_dir(const std::filesystem::path& dir, const std::string& probe,
                                  const std::string& subdir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / probe, ec) && std::filesystem::exists(dir / subdir / probe, ec))
    return dir / subdir;
  return dir;
}

}  // namespace

CifarLabels parse_cifar100_labels(const std::string& value) {
  if (value == "fine") return CifarLabels::kFine;
  if (value == "coarse") return CifarLabels::kCoarse;
  throw Error(fmt::format("data.cifar100_labels: unknown value '{}' (expected fine or coarse)", value));
}

Dataset read_cifar10(const std::vector<std::filesystem::path>& files, const std::string& name) {
  if (files.empty()) throw Error(fmt::format("{}: no CIFAR-10 files given", name));
  std::vector<torch::Tensor> images;
  std::vector<torch::Tensor> labels;
  for (const auto& file : files) {
    torch::Tensor records = read_records(file, 1 + kPixels, "CIFAR-10");
    labels.push_back(checked_labels(records.select(1, 0), 10, file, "CIFAR-10"));
    images.push_back(images_of(records, 1));
  }
  Dataset dataset;
  dataset.inputs = images.size() == 1 ? images[0] : torch::cat(images);
  dataset.labels = labels.size() == 1 ? labels[0] : torch::cat(labels);
  dataset.num_classes = 10;
  dataset.name = name;
  return dataset;
}

Dataset read_cifar100(const std::filesystem::path& file, CifarLabels labels, const std::string& name) {
  torch::Tensor records = read_records(file, 2 + kPixels, "CIFAR-100");
  Dataset dataset;
  // Both label bytes are checked: a CIFAR-10 file read as CIFAR-100 fails here or on the length.
  torch::Tensor coarse = checked_labels(records.select(1, 0), 20, file, "CIFAR-100 coarse");
  torch::Tensor fine = checked_labels(records.select(1, 1), 100, file, "CIFAR-100 fine");
  dataset.labels = labels == CifarLabels::kFine ? fine : coarse;
  dataset.num_classes = labels == CifarLabels::kFine ? 100 : 20;
  dataset.inputs = images_of(records, 2);
  dataset.name = name;
  return dataset;
}

TrainTest load_cifar10(const std::filesystem::path& dir_in) {
  const auto dir = resolve_dir(dir_in, "test_batch.bin", "cifar-10-batches-bin");
  std::vector<std::filesystem::path> train_files;
  for (int i = 1; i <= 5; ++i) train_files.push_back(dir / fmt::format("data_batch_{}.bin", i));
  return {read_cifar10(train_files, "cifar10/train"), read_cifar10({dir / "test_batch.bin"}, "cifar10/test")};
}

TrainTest load_cifar100(const std::filesystem::path& dir_in, CifarLabels labels) {
  const auto dir = resolve_dir(dir_in, "test.bin", "cifar-100-binary");
  return {read_cifar100(dir / "train.bin", labels, "cifar100/train"),
          read_cifar100(dir / "test.bin", labels, "cifar100/test")};
}

}  // namespace cwrf::data
