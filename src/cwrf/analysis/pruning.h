// One-shot pruning of the least important weights by TFO score (paper Fig. 1): accuracy and
// train / test loss at each sparsity, without retraining.
#pragma once

#include "cwrf/analysis/model_context.h"
#include "cwrf/common/table.h"

#include <vector>

namespace cwrf::analysis {

// Columns: sparsity, pruned_weights, test_acc, test_loss, train_acc, train_loss, loss_gap.
Table pruning_sweep(const ModelContext& context, const weights::Scores& tfo, const std::vector<double>& sparsities);

void plot_pruning(const Table& table, const std::filesystem::path& dir);

}  // namespace cwrf::analysis
