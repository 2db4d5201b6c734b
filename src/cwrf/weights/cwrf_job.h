// CWRF on a trained model directory (paper Alg. 1): score the weights, select the top r,
// rewind them to θ_vn (Eq. 6), freeze them and fine-tune the rest with any training
// objective (Eq. 7), the learning rate rewound to its initial value with a fresh cosine
// schedule over E epochs. The ablations of Sec. 4.4 (A1 remove, A2 rewind-only) and the
// lottery retraining of Fig. 4 (M2) are the same job with another `cwrf.mode`.
//
// The result is a new model directory (same layout as a trained one, manifest kind "cwrf")
// whose hash includes its parent's, plus rewound.pt (θ_rw, before fine-tuning) and mask.pt
// (the selected weights, B_r). Its membership is its parent's.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/train/model_dir.h"
#include "cwrf/train/train_job.h"
#include "cwrf/weights/mask.h"
#include "cwrf/weights/scores.h"

#include <filesystem>
#include <string>

namespace cwrf::weights {

// The config of a model derived from `parent`: the parent's effective config, to which the
// caller then applies its own overrides.
config::Config derived_config(const train::ModelDir& parent);

// Checks that `config` keeps every key that defines the parent's data, split and architecture
// (data.*, split.*, model.*, epochs), fills cwrf.lambda's default, and validates cwrf.*.
void resolve_cwrf_config(config::Config& config, const train::ModelDir& parent);

ScoreOptions score_options(const config::Config& resolved);

// The scores of the parent's final weights on its own members / reference set, cached under
// <cache_dir>/<parent-hash>-<options-hash>.pt (scoring is deterministic given the options).
Scores parent_scores(const train::ModelDir& parent, const config::Config& resolved, const train::ModelSets& sets,
                     const std::filesystem::path& cache_dir);

// What a mode selects, rewinds, zeroes and trains, given the scores and r.
struct CwrfMasks {
  WeightMask selected;   // the top-r (or, for lottery, bottom-r) weights
  WeightMask trainable;  // what fine-tuning may move
};
CwrfMasks cwrf_masks(const std::string& mode, const Scores& scores, double rate);

// Applies the mode to a model holding θ_up: A3/A2 rewind the selected weights to θ_vn, A1
// zeroes them, lottery zeroes them and rewinds everything else (parameters and buffers).
void apply_mode(const std::string& mode, models::Classifier& model, const TensorMap& theta_vn, const CwrfMasks& masks);

train::TrainJobResult run_cwrf_job(config::Config config, const std::filesystem::path& parent_dir,
                                   const std::filesystem::path& out_root, const train::JobCallbacks& callbacks = {},
                                   const train::JobData* preloaded = nullptr);

}  // namespace cwrf::weights
