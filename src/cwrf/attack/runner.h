// The attack stage end to end over a signals tensor: statistics, then LiRA, RMIA and the metric
// attacks for each target under the leave-one-out protocol (protocol.h), ROC metrics per target
// and their mean (sd) over targets; and the files `cwrf attack` writes (results.json, per-example
// scores and membership as .npy and CSV, ROC curves as CSV, a log-log plot).
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/lira.h"
#include "cwrf/attack/metric_attacks.h"
#include "cwrf/attack/rmia.h"
#include "cwrf/attack/roc.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::attack {

struct AttackPlan {
  bool lira = true, rmia = true, metric = true;
  std::vector<LiraOptions> lira_variants = {{true, false}, {true, true}, {false, false}, {false, true}};
  std::vector<bool> rmia_online = {true, false};  // the RMIA variants
  double rmia_gamma = 2.0;
  double rmia_offline_a = 0.3;
  double rmia_temperature = 1.0;  // the signal: softmax(z/T) with soft margin m (statistics.h)
  double rmia_margin = 0.0;
  int64_t rmia_population = 0;    // |Z|; 0 = every non-member of the target
  std::vector<MetricKind> metrics = all_metrics();
  int64_t targets = 0;            // the first `targets` models are attacked; 0 = all
  RocOptions roc;
  uint64_t seed = 0;              // population subsets and bootstrap
};

// The plan's settings, as results.json records them.
nlohmann::json plan_json(const AttackPlan& plan);

struct TargetResult {
  int64_t target = 0;
  std::vector<double> scores;  // [examples], higher = member
  RocMetrics metrics;
  double threshold_accuracy = -1.0;  // metric attacks: balanced accuracy at the fitted thresholds
};

struct VariantResult {
  std::string name;     // "lira-online", "rmia-offline", "metric-loss", ...
  std::string attack;   // "lira" | "rmia" | "metric"
  std::string variant;  // "online", "offline-fixed", "loss", ...
  nlohmann::json options;
  std::string skipped;  // non-empty: why it did not run (too few shadow models)
  std::vector<TargetResult> targets;
  double seconds = 0.0;
};

struct AttackRun {
  std::vector<int64_t> targets;                  // model indices attacked
  std::vector<std::vector<uint8_t>> membership;  // per target [examples]
  std::vector<VariantResult> variants;
  int64_t examples = 0;
  double seconds = 0.0;
};

// Throws the Error run_attacks would throw for too few shadow models, without any signals: the
// command checks this before spending minutes on inference.
void check_feasible(const MembershipMask& membership, const AttackPlan& plan);

// logits: [models, examples, queries, classes] (float32/64); labels int64 [examples].
// A family (lira, rmia, metric) none of whose variants has enough shadows is an Error naming the
// shortfall; a variant alone that cannot run is recorded as skipped (and logged).
AttackRun run_attacks(const torch::Tensor& logits, const torch::Tensor& labels, const MembershipMask& membership,
                      const AttackPlan& plan, const std::function<void(const std::string&)>& log = {});

// Mean and sample sd (ddof 1; 0 for one value) of a metric over targets (and, later, runs).
struct MeanSd {
  double mean = 0.0, sd = 0.0;
};
MeanSd mean_sd(const std::vector<double>& values);

// results.json's "attacks" entries: per variant, mean/sd over targets and the per-target metrics.
nlohmann::json variant_json(const VariantResult& v, const std::vector<std::string>& target_names);

struct OutputContext {
  std::vector<std::string> model_paths;  // per model index
  torch::Tensor pool;                    // int64 [examples]: training-file rows
  torch::Tensor labels;                  // int64 [examples]
  nlohmann::json extra;                  // merged into results.json (command, models, timing, ...)
  bool plot = true;
};

// Writes into `out`: results.json, membership.npy (bool [targets, examples]), scores/<name>.npy
// (float64 [targets, examples]), scores.csv (one row per target and example, one column per
// variant), roc/<name>.csv (target, threshold, fpr, tpr; ties merged, collinear points dropped),
// roc.png (log-log, first target). Returns warnings (e.g. no gnuplot) for the caller to print.
std::vector<std::string> write_attack_outputs(const AttackRun& run, const AttackPlan& plan,
                                              const std::filesystem::path& out, const OutputContext& context);

// A text table of the mean (sd) metrics per variant, for the terminal.
std::string summary_table(const AttackRun& run);

}  // namespace cwrf::attack
