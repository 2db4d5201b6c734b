// RelaxLoss (Chen et al., ICLR 2022): keep the mean training loss near a target level α instead
// of driving it to zero, alternating with posterior flattening and gradient ascent on the
// samples the model already classifies correctly. docs/ALGORITHMS.md §3.
#pragma once

#include "cwrf/train/objectives/registry.h"

#include <torch/types.h>

#include <cstdint>

namespace cwrf::train {

// `defense = "relaxloss"`; keys defense.alpha (α >= 0) and defense.upper (in (0, 1]).
ObjectiveInfo relaxloss_info();

// The RelaxLoss batch loss of `epoch` (0-based) for logits [B, C] and int64 labels [B].
torch::Tensor relaxloss_loss(const torch::Tensor& logits, const torch::Tensor& labels, int64_t epoch, double alpha,
                             double upper);

}  // namespace cwrf::train
