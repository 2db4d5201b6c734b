// HAMP's training part (Chen & Pattabiraman, NDSS 2024): train on fixed high-entropy soft
// labels with an entropy bonus, so the model is not over-confident on its members. The
// test-time output modification of HAMP is not part of this project (the paper excludes it).
// docs/ALGORITHMS.md §3.
#pragma once

#include "cwrf/train/objectives/registry.h"

#include <torch/types.h>

#include <cstdint>

namespace cwrf::train {

// `defense = "hamp"`; keys defense.gamma (in (0, 1]) and defense.alpha (>= 0).
ObjectiveInfo hamp_info();

// The soft label's true-class and other-class probabilities for `classes` classes: the first
// point of the 0.01-step walk from one-hot whose entropy reaches gamma·ln(classes).
struct HampLabel {
  double top1 = 1.0;
  double other = 0.0;
};
HampLabel hamp_soft_label(int64_t classes, double gamma);

// KL(t ‖ softmax z) averaged over B·C elements − alpha · mean entropy of softmax z.
torch::Tensor hamp_loss(const torch::Tensor& logits, const torch::Tensor& labels, const HampLabel& label,
                        double alpha);

}  // namespace cwrf::train
