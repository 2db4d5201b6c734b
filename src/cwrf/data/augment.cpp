#include "cwrf/data/augment.h"

#include "cwrf/common/device.h"
#include "cwrf/common/error.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::data {

AugmentOptions default_augment(const Dataset& dataset) {
  AugmentOptions options;
  // The CIFAR training recipe (RandomCrop(32, padding=4) + RandomHorizontalFlip) that the
  // paper's CIFAR models use; 28x28 grey images and text train without augmentation.
  if (dataset.is_image() && dataset.inputs.size(2) == 32 && dataset.inputs.size(3) == 32) {
    options.crop = true;
    options.padding = 4;
    options.flip = true;
  }
  return options;
}

torch::Tensor augment(const torch::Tensor& batch, const AugmentOptions& options, at::Generator& generator) {
  if (!options.enabled()) return batch;
  if (batch.dim() != 4)
    throw Error(fmt::format("augment: expected an image batch [B, C, H, W], got {} dims", batch.dim()));
  if (options.crop && options.padding < 0)
    throw Error(fmt::format("augment: padding must be >= 0 (got {})", options.padding));
  const int64_t b = batch.size(0);
  const int64_t c = batch.size(1);
  const int64_t h = batch.size(2);
  const int64_t w = batch.size(3);
  // Every draw comes from the CPU generator, in a fixed order, so a seed gives the same crops and
  // flips on any device; only the b offsets and coins travel (non-blocking), and the index
  // tensors are built where the batch lives: on a GPU the augmentation never leaves it.
  const auto cpu_long = torch::TensorOptions().dtype(torch::kInt64);
  const auto long_options = cpu_long.device(batch.device());
  torch::Tensor out = batch;

  // Draw order (crop offsets, then flip coins) is part of the reproducibility contract.
  if (options.crop && options.padding > 0) {
    const int64_t p = options.padding;
    torch::Tensor padded = torch::constant_pad_nd(batch, {p, p, p, p}, 0);
    // Per-sample top-left corner in [0, 2p], as torchvision's RandomCrop on the padded image.
    const torch::Tensor top = to_device(torch::randint(0, 2 * p + 1, {b}, generator, cpu_long), batch.device());
    const torch::Tensor left = to_device(torch::randint(0, 2 * p + 1, {b}, generator, cpu_long), batch.device());
    // Two gathers cut every sample's window at once: rows first, then columns.
    torch::Tensor rows = (top.view({b, 1, 1, 1}) + torch::arange(h, long_options).view({1, 1, h, 1}))
                             .expand({b, c, h, w + 2 * p});
    torch::Tensor cols =
        (left.view({b, 1, 1, 1}) + torch::arange(w, long_options).view({1, 1, 1, w})).expand({b, c, h, w});
    out = padded.gather(2, rows).gather(3, cols);
  }
  if (options.flip) {
    const torch::Tensor coin = torch::rand({b}, generator, torch::TensorOptions().dtype(torch::kFloat32)) < 0.5;
    out = torch::where(to_device(coin, batch.device()).view({b, 1, 1, 1}), out.flip({3}), out);
  }
  return out;
}

}  // namespace cwrf::data
