// Turning a dataset subset into model-ready batches: normalisation once up front,
// seeded shuffling and augmentation per epoch.
#pragma once

#include "cwrf/data/augment.h"
#include "cwrf/data/dataset.h"

#include <torch/types.h>

#include <cstdint>
#include <optional>

namespace cwrf::data {

// A subset of a dataset with model-ready inputs: images as normalised float32
// [N, C, H, W]; text (int64 tokens) unchanged.
struct Prepared {
  torch::Tensor inputs;
  torch::Tensor labels;   // int64 [N]
  torch::Tensor indices;  // int64 [N]: the rows of the source dataset these came from
  int64_t num_classes = 0;
  int64_t size() const { return labels.size(0); }
};

// indices: int64 rows of `dataset` (any order; kept as given). Undefined = all rows.
Prepared prepare(const Dataset& dataset, const torch::Tensor& indices, const Normalization& normalization);

struct Batch {
  torch::Tensor inputs;
  torch::Tensor labels;
  torch::Tensor positions;  // int64 rows of the Prepared set in this batch
};

struct LoaderOptions {
  int64_t batch_size = 256;
  bool shuffle = true;
  bool drop_last = false;
  AugmentOptions augment;  // applied only where enabled
  uint64_t seed = 0;       // order and augmentation of epoch e depend on (seed, e) only
};

// A stream of batches over a Prepared set, epoch by epoch.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual int64_t num_batches() const = 0;
  virtual void start_epoch(int64_t epoch) = 0;
  virtual std::optional<Batch> next() = 0;  // nullopt at the end of the epoch
};

// Iterates over a Prepared set in batches (it keeps a reference: `data` must outlive the
// loader). Epoch e's order and augmentation are a pure function of (seed, e), so a run is
// reproducible and can restart at any epoch.
class BatchLoader final : public BatchSource {
 public:
  BatchLoader(const Prepared& data, LoaderOptions options);

  int64_t num_batches() const override;
  void start_epoch(int64_t epoch) override;
  std::optional<Batch> next() override;

 private:
  const Prepared& data_;
  LoaderOptions options_;
  torch::Tensor order_;         // this epoch's row order, CPU (Batch::positions are slices of it)
  torch::Tensor device_order_;  // the same on the data's device
  int64_t cursor_ = 0;
  at::Generator generator_;
};

// Poisson sampling, as DP-SGD's accounting assumes (Abadi et al. 2016; Opacus'
// UniformWithReplacementSampler): every step, each row joins the batch independently with
// probability q = batch_size / N, so batch sizes vary and may be 0 (an empty batch, which the
// step must handle). An epoch is ceil(N / batch_size) steps. shuffle and drop_last are ignored.
class PoissonBatchLoader final : public BatchSource {
 public:
  PoissonBatchLoader(const Prepared& data, LoaderOptions options);

  double sampling_rate() const { return rate_; }
  int64_t num_batches() const override;
  void start_epoch(int64_t epoch) override;
  std::optional<Batch> next() override;

 private:
  const Prepared& data_;
  LoaderOptions options_;
  double rate_ = 0.0;
  int64_t step_ = 0;
  at::Generator generator_;
};

}  // namespace cwrf::data
