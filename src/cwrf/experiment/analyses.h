// The paper's weight-level analyses as jobs of an experiment ([[analysis]] tables), one entry
// each in analyses.cpp, each kind's planning and computing in analyses/<kind>.cpp:
//
//   correlation  Table 1 / Fig. 3: PVE vs TFO scores per weight kind, and how concentrated PVE is
//   pruning      Fig. 1: one-shot TFO pruning over sparsities (accuracy, train / test loss)
//   lottery      Fig. 4: M1 / M2 (pruned, rewound, retrained) / M3 (pruned)
//   ablation     Fig. 5 / Table 2: A1 remove / A2 rewind-only / A3 CWRF over r, and from scratch
//   rewinding    Sec. 4.3: accuracy right after rewinding r of the weights, before fine-tuning
//
// An analysis takes a trained model (the base model k = 0 of run 0 with the entry's model keys,
// shared with Table 3 when it has none) and the models it derives from it (model jobs of the
// plan, content-identified like every other), so its work is shared, parallel and resumable;
// its own job then reads them and writes <out>/analyses/<name>/ (tables, plots, result.json).
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/plan.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::experiment {

// What an analysis job computes from, in a worker.
struct AnalysisRun {
  std::string kind, name;
  config::Config knobs;                  // over the kind's knob schema
  nlohmann::json derived_overrides;      // defense.* / cwrf.* of the derived models
  std::vector<std::filesystem::path> models;  // the inputs' directories: [0] the analysed model, then the derived ones
  std::vector<nlohmann::json> labels;    // per derived input, what it is (the plan's "role")
  std::filesystem::path out;
  int64_t threads = 1;
  explicit AnalysisRun(config::Config k) : knobs(std::move(k)) {}
};

// Adds the models an analysis derives to the plan: `derive(overrides, role)` adds a CWRF job on
// the analysed model with those cwrf.* / defense.* keys (after the entry's own) and returns its
// index; `train(overrides, role)` a model trained from scratch with the analysed model's config
// plus `overrides`.
struct AnalysisPlanning {
  const Experiment& experiment;
  const AnalysisEntry& entry;
  const config::Config& knobs;  // the entry's knobs over the kind's schema, defaults filled in
  std::function<int(const nlohmann::json& overrides, const nlohmann::json& role)> derive;
  std::function<int(const nlohmann::json& overrides, const nlohmann::json& role)> train;
  int64_t model_epochs = 0;  // the analysed model's training epochs
};

struct AnalysisKind {
  std::string name;
  std::string description;  // with the paper's table / figure
  std::vector<config::Option> knobs;  // keys "<name>.<knob>"
  // The derived models (their job indices, in the order `run` will see them).
  std::function<std::vector<int>(const AnalysisPlanning&)> plan;
  // Computes from the inputs and writes run.out; returns result.json's content.
  std::function<nlohmann::json(const AnalysisRun&)> run;
  double cost = 1.0;  // its own work in training-epoch equivalents (progress estimates)
};

const std::vector<AnalysisKind>& analysis_kinds();
const AnalysisKind& find_analysis(const std::string& name);  // Error naming the known ones

// The knob schema of a kind (its options; for reading an [[analysis]] table).
const config::Schema& analysis_schema(const std::string& kind);

// Runs an analysis job (child_job.h kind "analysis"): spec {"analysis", "name", "knobs",
// "derived", "models", "roles", "out", "key"}; a result.json in `out` with the same key is
// returned as it is ("reused": true).
nlohmann::json run_analysis_job(const nlohmann::json& spec);

}  // namespace cwrf::experiment
