// The cwrf.* config keys (paper Alg. 1, Sec. 4.3-4.4: scoring, rewinding, freezing,
// fine-tuning) and their conversion into scoring options. A model trained from scratch has
// none of these keys; a model derived by a CWRF step records them.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/weights/scores.h"

#include <vector>

namespace cwrf::weights {

std::vector<config::Option> cwrf_keys();

// λ when cwrf.lambda is unset: 0.7, or 0.9 with 100 classes or more (the paper's CIFAR-100).
double default_lambda(int64_t num_classes);

// T, B, λ (cwrf.lambda must be resolved), η_e and the seed of the scoring batches.
ScoreOptions score_options(const config::Config& resolved);

}  // namespace cwrf::weights
