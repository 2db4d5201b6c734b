// Seeded data augmentation for image batches (random crop with zero padding, horizontal flip).
#pragma once

#include "cwrf/data/dataset.h"

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace cwrf::data {

struct AugmentOptions {
  bool crop = false;     // random crop back to the original size after zero padding
  int64_t padding = 4;
  bool flip = false;     // horizontal flip with probability 1/2
  bool enabled() const { return crop || flip; }
};

// The usual CIFAR recipe for 32x32 images (crop with 4-pixel padding + flip); off for
// other sizes (28x28 Fashion-MNIST) and for text.
AugmentOptions default_augment(const Dataset& dataset);

// Augments a float batch [B, C, H, W] (already normalised: padding adds zeros in that
// space, as torchvision's RandomCrop after Normalize would add the mean). Deterministic given the generator's state.
torch::Tensor augment(const torch::Tensor& batch, const AugmentOptions& options, at::Generator& generator);

}  // namespace cwrf::data
