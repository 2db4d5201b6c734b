// How concentrated a score is over the weights (claim (i) of the paper: privacy vulnerability sits
// in a small fraction of the weights): the share of the total score the top fraction of weights
// holds (uniform scores: the fraction itself), the overlap of two scores' top sets, and a
// percentile bootstrap over the weights for the share.
#pragma once

#include "cwrf/weights/scores.h"

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace cwrf::analysis {

// The share of sum(scores) held by the top `fraction` of weights (one global ranking, Eq. 5's B_r).
double mass_share(const weights::Scores& scores, double fraction);

// |top_a ∩ top_b| / |top_a ∪ top_b| (Jaccard) of the two scores' top `fraction` of weights.
double top_overlap(const weights::Scores& a, const weights::Scores& b, double fraction);

// mass_share of `flat` (non-negative scores, one vector) on `replicates` resamples of its
// entries with replacement (seeded).
std::vector<double> mass_share_replicates(const torch::Tensor& flat, double fraction, int64_t replicates, uint64_t seed);

}  // namespace cwrf::analysis
