// The attack stage over a signals tensor: statistics, then every selected attack family
// (family.h; settings.h says which, with which settings) for each target under the leave-one-out
// protocol (protocol.h), ROC metrics and the empirical ε lower bound (empirical_epsilon.h) per
// target and their mean (sd) over targets; and the files an attack job writes (results.json,
// per-example scores and membership as .npy and CSV, ROC curves as CSV, a log-log plot, the most
// exposed examples: vulnerable.csv and vulnerable.png, vulnerable.h).
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/empirical_epsilon.h"
#include "cwrf/attack/roc.h"
#include "cwrf/config/config.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::attack {

class ModelAccess;  // model_access.h

struct TargetResult {
  int64_t target = 0;
  std::vector<double> scores;  // [examples], higher = member
  RocMetrics metrics;
  EmpiricalEpsilon epsilon;    // ε lower bound (Clopper-Pearson) and point estimate from this ROC
  double threshold_accuracy = -1.0;  // metric attacks: balanced accuracy at the fitted thresholds
  nlohmann::json details = nlohmann::json::object();  // the family's per-target facts
};

struct VariantResult {
  std::string name;     // "lira-online", "rmia-offline", "metric-loss", ...
  std::string attack;   // the family: "lira" | "rmia" | "metric" | ...
  std::string variant;  // "online", "offline-fixed", "loss", ...
  nlohmann::json options;
  std::string skipped;  // non-empty: why it did not run (too few shadow models)
  std::vector<TargetResult> targets;  // the run's first targets.size() targets (a family may attack fewer)
  double seconds = 0.0;
};

struct AttackRun {
  std::vector<int64_t> targets;                  // model indices attacked
  std::vector<std::vector<uint8_t>> membership;  // per target [examples]
  std::vector<VariantResult> variants;
  int64_t examples = 0;
  double seconds = 0.0;
};

// Throws the Error run_attacks would throw for too few shadow models (or an attack.targets
// beyond the models), without any signals: a job checks this before minutes of inference.
// `settings` are over attack_schema() (settings.h).
void check_feasible(const MembershipMask& membership, const config::Config& settings);

// logits: [models, examples, queries, classes] (float32/64); labels int64 [examples].
// A family none of whose variants has enough shadows is an Error naming the shortfall; a
// variant alone that cannot run is recorded as skipped (and logged). `models` is what families
// with needs_models use (attack_job.cpp gives it); selecting one without it is an Error.
AttackRun run_attacks(const torch::Tensor& logits, const torch::Tensor& labels, const MembershipMask& membership,
                      const config::Config& settings, const std::function<void(const std::string&)>& log = {},
                      ModelAccess* models = nullptr);

// results.json's "attacks" entries: per variant, mean/sd over targets and the per-target metrics.
nlohmann::json variant_json(const VariantResult& v, const std::vector<std::string>& target_names);

struct OutputContext {
  std::vector<std::string> model_paths;  // per model index
  torch::Tensor pool;                    // int64 [examples]: training-file rows
  torch::Tensor labels;                  // int64 [examples]
  torch::Tensor images;                  // uint8 [examples, C, H, W], raw pool images (image data; else undefined)
  nlohmann::json extra;                  // merged into results.json (command, models, timing, ...)
  bool plot = true;
};

// Writes into `out`: results.json, membership.npy (bool [targets, examples]), scores/<name>.npy
// (float64 [targets, examples], NaN rows for targets a variant did not attack), scores.csv (one row
// per target and example, one column per variant), roc/<name>.csv (target, threshold, fpr, tpr;
// ties merged, collinear points dropped), roc.png (log-log, first target), vulnerable.csv and, with
// images, vulnerable.png (vulnerable.h). Returns warnings (e.g. no gnuplot) for the caller to print.
// results.json records the settings in full ("settings").
std::vector<std::string> write_attack_outputs(const AttackRun& run, const config::Config& settings,
                                              const std::filesystem::path& out, const OutputContext& context);

// A text table of the mean (sd) metrics per variant, for the terminal.
std::string summary_table(const AttackRun& run);

}  // namespace cwrf::attack
