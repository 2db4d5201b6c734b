// The pieces of the CWRF step of a model job (paper Alg. 1 lines 1-12): scores of θ_up (PVE,
// Eq. 3-4, or TFO, Eq. 2), cached; the selection of the top r (Eq. 5); rewinding the selection
// to θ_vn (Eq. 6) in place. The ablations of Sec. 4.4 (A1 remove, A2 rewind-only) and the
// lottery retraining of Fig. 4 (M2) are the same step with another `cwrf.mode`. Fine-tuning
// with the frozen mask (Eq. 7) is the job's training loop, given `trainable`.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/models/classifier.h"
#include "cwrf/models/weight_mask.h"
#include "cwrf/weights/scores.h"

#include <filesystem>
#include <set>
#include <string>

namespace cwrf::weights {

// What a mode selects, rewinds, zeroes and trains, given the scores and r.
struct CwrfMasks {
  models::WeightMask selected;   // the top-r (or, for lottery, bottom-r) weights
  models::WeightMask trainable;  // what fine-tuning may move
};
// `eligible`: the tensors selection may pick (cwrf.scope); empty = all of them. r is a fraction
// of the eligible weights; the others are never selected (and, for lottery, never pruned).
CwrfMasks cwrf_masks(const std::string& mode, const Scores& scores, double rate,
                     const std::set<std::string>& eligible = {});

// The tensors a scope makes eligible: "all" (every trainable tensor, the paper's CWRF: empty set),
// "weights" (convolution, linear, attention, MLP and embedding weights: no normalisation
// parameters, no biases). Error for another scope.
std::set<std::string> scope_tensors(const std::string& scope, const models::Classifier& model);

// Applies the mode to a model holding θ_up: A3/A2 rewind the selected weights to θ_vn, A1
// zeroes them, lottery zeroes them and rewinds everything else (parameters and buffers).
void apply_mode(const std::string& mode, models::Classifier& model, const TensorMap& theta_vn, const CwrfMasks& masks);

// The scores `options` give for θ_up, read from `cache_file` when it exists (scoring is
// deterministic given θ_up, θ_vn, the sets and the options), else computed and saved there.
Scores cached_scores(const models::ModelSpec& spec, const TensorMap& theta_up, const TensorMap& theta_vn,
                     const data::Prepared& members, const data::Prepared& reference, const ScoreOptions& options,
                     const std::filesystem::path& cache_file);

// The text of everything in `options` that determines the scores (for cache file names).
std::string score_options_key(const ScoreOptions& options);

}  // namespace cwrf::weights
