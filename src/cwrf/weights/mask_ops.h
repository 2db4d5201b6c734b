// Building and applying weight masks (models/weight_mask.h): the global top-r selection of Eq. 5,
// rewinding (Eq. 6), removal (ablation A1) and pruning (Fig. 1, Fig. 4).
#pragma once

#include "cwrf/common/tensor_io.h"
#include "cwrf/models/weight_mask.h"
#include "cwrf/weights/scores.h"

#include <torch/nn/module.h>

#include <cstdint>
#include <set>
#include <string>

namespace cwrf::weights {

using models::WeightMask;

// The number of weights a fraction r of n selects: ⌈r·n⌉ (at least one weight for any r > 0,
// never more than n). A 1e-9 slack keeps r·n that is an integer in exact arithmetic but a hair
// above it in floating point (0.07·100) from rounding up.
int64_t selected_count(double fraction, int64_t total);

// B_r of Eq. 5: true for the selected_count(r, N) highest scores over the whole model (one
// global ranking). Ties are broken deterministically: the earlier weight wins, in the order of
// parameter names, then row-major position. Throws Error unless 0 <= r <= 1.
WeightMask top_fraction(const Scores& scores, double fraction);
// The selected_count(r, N) lowest scores (for pruning the least important weights).
WeightMask bottom_fraction(const Scores& scores, double fraction);

// The scores of the tensors in `eligible` only (ranking then runs over them alone).
Scores restrict_to(const Scores& scores, const std::set<std::string>& eligible);
// A mask over the tensors of `scores`: `partial`'s entries, all-false for the tensors it lacks.
WeightMask extend_mask(const WeightMask& partial, const Scores& scores);

WeightMask complement(const WeightMask& mask);  // B_f = 1 − B_r
int64_t count_true(const WeightMask& mask);
int64_t count_all(const WeightMask& mask);

// Eq. 6: θ ← B_f ⊙ θ + B_r ⊙ θ_vn for the parameters (buffers are not weights: untouched).
void rewind(torch::nn::Module& model, const TensorMap& theta_vn, const WeightMask& rewind_mask);
// Sets the masked entries to zero (removal, pruning).
void zero_masked(torch::nn::Module& model, const WeightMask& mask);

}  // namespace cwrf::weights
