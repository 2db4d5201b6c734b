// One model, end to end — the pipeline behind `cwrf train`, `cwrf rewind`, the analyses and
// every model of an experiment:
//
//   resolve the config → load the data and the membership split → find a finished model by
//   hash, or: initialise θ_vn (from scratch) | take the parent's θ_up and run the CWRF step
//   (weights/cwrf_step.h: score, select, rewind) → train / fine-tune with the configured
//   objective and step strategy (the CWRF mask frozen, the learning rate rewound) → evaluate →
//   publish a content-addressed model directory (model_dir.h).
//
// A derived (CWRF) model keeps its parent's data, split and architecture, and its hash includes
// the parent's.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/job/job_data.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/train/trainer.h"
#include "cwrf/weights/scores.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>

namespace cwrf::job {

struct JobCallbacks {
  train::TrainCallbacks train;
  std::function<void(const std::string&)> log;  // one human-readable line
};

struct ModelJobResult {
  std::filesystem::path dir;
  bool reused = false;  // an identical finished model was found; nothing was trained
  nlohmann::json metrics;
};

// Trains (or finds) the model `config` describes under `out_root`. With a `parent` model
// directory, the model is derived from it by the CWRF step (cwrf.* keys) and fine-tuned for
// cwrf.epochs; `config` is then the parent's config (model_config) with the caller's overrides.
// `preloaded` spares loading the dataset again when the caller has it.
ModelJobResult run_model_job(config::Config config, const std::filesystem::path& out_root,
                             const std::filesystem::path& parent = {}, const JobCallbacks& callbacks = {},
                             const JobData* preloaded = nullptr);

// The checks and defaults a derived model's config gets: it keeps every key that defines the
// parent's data, split and architecture (data.*, split.*, model.*, epochs), and cwrf.lambda's
// default follows the parent's class count. Throws Error naming the changed key.
void resolve_derived_config(config::Config& config, const ModelDir& parent);

// The PVE or TFO scores (cwrf.score and the other cwrf.* keys of `resolved`) of a model
// directory's final weights on its own members and reference set, cached under `cache_dir`
// (a CWRF step of this model uses <out_root>/scores, so analyses can share its file).
weights::Scores model_scores(const ModelDir& model, const config::Config& resolved, const ModelSets& sets,
                             const std::filesystem::path& cache_dir);

}  // namespace cwrf::job
