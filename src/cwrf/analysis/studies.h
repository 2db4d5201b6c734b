// The retraining studies of Sec. 4.4 and the rewinding observation of Sec. 4.3, as the models
// they need and the tables those models give:
//  - the lottery study (Fig. 4): M1 trained; M2 = M1 with the lowest-TFO `sparsity` of its
//    weights pruned, the survivors rewound to θ_vn and retrained; M3 = the same pruning of M1,
//    not retrained;
//  - the ablation (Fig. 5, Table 2): A1 remove / A2 rewind-only / A3 CWRF over r, fine-tuned with
//    a defense, against that defense trained from scratch;
//  - rewinding alone (Sec. 4.3, "usually leads to random-guess-level utility"): accuracy right
//    after rewinding the top-r PVE weights, before any fine-tuning.
// Each derived model is a model job (job/model_job.h) given by the overrides below, so `cwrf
// analyze` and an experiment's analysis jobs build exactly the same models and reuse each other's.
#pragma once

#include "cwrf/analysis/model_context.h"
#include "cwrf/common/table.h"
#include "cwrf/job/model_job.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::analysis {

// ---- Lottery (Fig. 4) ----

// M2's keys over M1's config: TFO scores, the lowest `sparsity` pruned (of the tensors
// cwrf.scope names), retrained for `epochs` (M1's) from θ_vn.
nlohmann::json lottery_overrides(double sparsity, int64_t epochs);
// Columns: model, description, test_acc, test_loss, train_acc, train_loss, epochs. M3 is
// evaluated here (M1 pruned with M2's mask rule, m1.config's cwrf.scope, from the TFO scores
// M2's job cached under `scores_dir`).
Table lottery_table(const ModelContext& m1, const job::ModelDir& m2, double sparsity,
                    const std::filesystem::path& scores_dir);
void plot_lottery(const Table& table, const std::filesystem::path& dir);

// ---- Ablation (Fig. 5, Table 2) ----

struct Approach {
  std::string label;  // "A1", "A2", "A3"
  std::string mode;   // cwrf.mode
  std::string title;  // for plots
};
const std::vector<Approach>& ablation_approaches();
nlohmann::json ablation_overrides(const std::string& mode, double rate);

struct AblationModel {
  std::string approach;   // "A1" | "A2" | "A3" | "scratch"
  double rate = -1.0;     // -1 for scratch
  nlohmann::json metrics;
  std::string dir;
};
// Columns: approach, rate, test_acc, train_ce, test_ce, rewound_test_acc, model.
Table ablation_table(const std::vector<AblationModel>& models);
void plot_ablation(const Table& table, const std::filesystem::path& dir);

// ---- Rewinding without fine-tuning (Sec. 4.3) ----

nlohmann::json rewinding_overrides(double rate);  // CWRF at r with E = 0
// Columns: rate, rewound_test_acc, rewound_train_acc, test_acc_before, chance.
Table rewinding_table(const std::vector<std::pair<double, nlohmann::json>>& models, const nlohmann::json& parent_metrics,
                      int64_t classes);

// ---- The studies as `cwrf analyze` runs them, in this process ----

Table lottery_study(const ModelContext& context, double sparsity, const std::filesystem::path& models_dir,
                    const std::filesystem::path& dir, const job::JobCallbacks& callbacks = {});
// `adjust` sets the fine-tuning objective (defense.*) and cwrf.* keys for A1-A3, and the
// objective of the from-scratch baseline.
Table ablation_study(const ModelContext& context, const std::vector<double>& rates,
                     const std::function<void(config::Config&)>& adjust, const std::filesystem::path& models_dir,
                     const job::JobCallbacks& callbacks = {});

}  // namespace cwrf::analysis
