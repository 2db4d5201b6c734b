// Per-channel input normalisation: statistics from a training set, applied to uint8 images.
#pragma once

#include "cwrf/data/dataset.h"

#include <torch/types.h>

namespace cwrf::data {

// Mean and (population) standard deviation per channel of inputs/255 over every image and
// pixel of `train`, in float64. Text datasets (non-image inputs) give an empty Normalization.
Normalization compute_normalization(const Dataset& train);

// uint8 [N, C, H, W] -> float32 (x/255 - mean[c]) / std[c]. Error if C differs from the
// normalisation's channel count.
torch::Tensor normalize_images(const torch::Tensor& uint8_images, const Normalization& normalization);

}  // namespace cwrf::data
