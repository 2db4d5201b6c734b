#include "cwrf/data/batches.h"

#include "cwrf/common/device.h"
#include "cwrf/common/error.h"
#include "cwrf/data/normalize.h"
#include "cwrf/common/seed.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::data {

Prepared prepare(const Dataset& dataset, const torch::Tensor& indices, const Normalization& normalization) {
  const int64_t n = dataset.size();
  torch::Tensor rows;
  if (!indices.defined()) {
    rows = torch::arange(n, torch::kInt64);
  } else {
    if (indices.dim() != 1 || indices.scalar_type() != torch::kInt64)
      throw Error(fmt::format("{}: row indices must be int64 [N], got {} with {} dims", dataset.name,
                              c10::toString(indices.scalar_type()), indices.dim()));
    rows = indices.contiguous();
    if (rows.numel() > 0) {
      const int64_t lo = rows.min().item<int64_t>();
      const int64_t hi = rows.max().item<int64_t>();
      if (lo < 0 || hi >= n)
        throw Error(fmt::format("{}: row index {} is out of range (the dataset has {} rows)", dataset.name,
                                lo < 0 ? lo : hi, n));
    }
  }

  Prepared prepared;
  // Only the selected rows are converted: a model's subset, not the whole file, in float32.
  torch::Tensor selected = dataset.inputs.index_select(0, rows);
  if (dataset.is_image()) {
    prepared.inputs = normalize_images(selected, normalization);
  } else {
    prepared.inputs = selected;  // text: token ids stay int64
  }
  prepared.labels = dataset.labels.index_select(0, rows);
  prepared.indices = indices.defined() ? rows.clone() : rows;
  prepared.num_classes = dataset.num_classes;
  return prepared;
}

BatchLoader::BatchLoader(const Prepared& data, LoaderOptions options)
    : data_(data), options_(std::move(options)), generator_(at::make_generator<at::CPUGeneratorImpl>(options_.seed)) {
  if (options_.batch_size < 1)
    throw Error(fmt::format("batch size must be >= 1 (got {})", options_.batch_size));
  start_epoch(0);
}

int64_t BatchLoader::num_batches() const {
  const int64_t n = data_.size();
  const int64_t b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void BatchLoader::start_epoch(int64_t epoch) {
  // A fresh generator per epoch, seeded from (seed, epoch) alone: restarting at epoch e
  // replays exactly what an uninterrupted run would have done.
  generator_ = at::make_generator<at::CPUGeneratorImpl>(
      derive_seed(options_.seed, SeedDomain::kLoaderEpoch, static_cast<uint64_t>(epoch)));
  const int64_t n = data_.size();
  order_ = options_.shuffle ? torch::randperm(n, generator_, torch::TensorOptions().dtype(torch::kInt64))
                            : torch::arange(n, torch::kInt64);
  // The order is drawn on the CPU (its generator is a CPU one: the same order on any device) and
  // goes to the data's device once per epoch, not once per batch.
  device_order_ = to_device(order_, data_.inputs.device());
  cursor_ = 0;
}

std::optional<Batch> BatchLoader::next() {
  const int64_t n = data_.size();
  const int64_t remaining = n - cursor_;
  if (remaining <= 0 || (options_.drop_last && remaining < options_.batch_size)) return std::nullopt;
  const int64_t take = std::min(options_.batch_size, remaining);
  Batch batch;
  batch.positions = order_.narrow(0, cursor_, take);
  const torch::Tensor rows = device_order_.narrow(0, cursor_, take);
  cursor_ += take;
  batch.inputs = data_.inputs.index_select(0, rows);
  batch.labels = data_.labels.index_select(0, rows.to(data_.labels.device()));
  if (options_.augment.enabled() && batch.inputs.dim() == 4)
    batch.inputs = augment(batch.inputs, options_.augment, generator_);
  return batch;
}

PoissonBatchLoader::PoissonBatchLoader(const Prepared& data, LoaderOptions options)
    : data_(data), options_(std::move(options)), generator_(at::make_generator<at::CPUGeneratorImpl>(options_.seed)) {
  if (options_.batch_size < 1)
    throw Error(fmt::format("batch size must be >= 1 (got {})", options_.batch_size));
  if (data_.size() < 1) throw Error("Poisson sampling needs a non-empty training set");
  rate_ = std::min(1.0, static_cast<double>(options_.batch_size) / static_cast<double>(data_.size()));
  start_epoch(0);
}

int64_t PoissonBatchLoader::num_batches() const {
  return (data_.size() + options_.batch_size - 1) / options_.batch_size;
}

void PoissonBatchLoader::start_epoch(int64_t epoch) {
  generator_ = at::make_generator<at::CPUGeneratorImpl>(
      derive_seed(options_.seed, SeedDomain::kLoaderEpoch, static_cast<uint64_t>(epoch)));
  step_ = 0;
}

std::optional<Batch> PoissonBatchLoader::next() {
  if (step_ >= num_batches()) return std::nullopt;
  ++step_;
  torch::Tensor chosen = torch::rand({data_.size()}, generator_, torch::TensorOptions().dtype(torch::kFloat64)) < rate_;
  Batch batch;
  batch.positions = chosen.nonzero().view({-1});
  const torch::Tensor rows = to_device(batch.positions, data_.inputs.device());
  batch.inputs = data_.inputs.index_select(0, rows);
  batch.labels = data_.labels.index_select(0, rows.to(data_.labels.device()));
  if (options_.augment.enabled() && batch.inputs.dim() == 4 && batch.inputs.size(0) > 0)
    batch.inputs = augment(batch.inputs, options_.augment, generator_);
  return batch;
}

}  // namespace cwrf::data
