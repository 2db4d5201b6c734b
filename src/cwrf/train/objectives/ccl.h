// Convex-concave loss, CCEL (Liu et al., ICML 2024): a concave term in the sample loss raises
// the variance of the training losses, which blurs the member / non-member loss gap.
// docs/ALGORITHMS.md §3.
#pragma once

#include "cwrf/train/objectives/registry.h"

#include <torch/types.h>

namespace cwrf::train {

// `defense = "ccl"`; keys defense.alpha (in [0, 1]) and defense.beta (> 0).
ObjectiveInfo ccl_info();

// beta · mean_i[alpha·ℓ_i − (1 − alpha)·exp(exp(−ℓ_i))] with ℓ_i the sample's cross-entropy.
torch::Tensor ccl_loss(const torch::Tensor& logits, const torch::Tensor& labels, double alpha, double beta);

}  // namespace cwrf::train
