// One-shot pruning of the least important weights by TFO score (paper Fig. 1): accuracy and
// train / test loss at each sparsity, without retraining.
#pragma once

#include "cwrf/analysis/model_context.h"
#include "cwrf/common/table.h"

#include <string>
#include <vector>

namespace cwrf::analysis {

struct PruningOptions {
  std::string scope = "all";         // cwrf.scope's values: which tensors may be pruned (the sparsity a fraction of those)
  std::string criterion = "tfo";     // "tfo" (the paper) | "magnitude" (|w|, the classic control)
  bool recalibrate_norm = false;     // re-estimate BatchNorm running statistics on the members after pruning (at every
                                     // sparsity, 0 included, so the rows stay comparable)
};

// The criteria pruning knows.
const std::vector<std::string>& pruning_criteria();

// Columns: sparsity, pruned_weights, test_acc, test_loss, train_acc, train_loss, loss_gap.
// `tfo`: the model's TFO scores (used when options.criterion is "tfo").
Table pruning_sweep(const ModelContext& context, const weights::Scores& tfo, const std::vector<double>& sparsities,
                    const PruningOptions& options = {});

void plot_pruning(const Table& table, const std::filesystem::path& dir);

}  // namespace cwrf::analysis
