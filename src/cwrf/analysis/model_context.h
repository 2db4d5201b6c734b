// A trained model directory opened for analysis: its effective config (plus the caller's
// cwrf.* overrides), its data, and its member / reference / test sets.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/job/job_data.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/weights/scores.h"

#include <filesystem>
#include <functional>
#include <memory>

namespace cwrf::analysis {

struct ModelContext {
  job::ModelDir dir;
  config::Config config;  // resolved
  std::shared_ptr<job::JobData> job;
  std::shared_ptr<job::ModelSets> sets;
};

// `adjust` may change the derived config (cwrf.* keys, threads) before it is resolved.
ModelContext open_model_context(const std::filesystem::path& model_dir,
                                const std::function<void(config::Config&)>& adjust = {});

// PVE or TFO scores of the model's final weights (cached under <cache_dir>).
weights::Scores model_scores(const ModelContext& context, weights::ScoreMethod method,
                             const std::filesystem::path& cache_dir);

}  // namespace cwrf::analysis
