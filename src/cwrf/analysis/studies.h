// The retraining studies of Sec. 4.4: the lottery study (Fig. 4: M1 trained, M2 = 85 %
// pruned by TFO with the survivors rewound to θ_vn and retrained, M3 = 85 % pruned without
// retraining) and the ablation (Fig. 5, Table 2: A1 remove, A2 rewind-only, A3 CWRF over r,
// against a model trained from scratch with the same objective). Each retrained model is a
// model directory made by the CWRF job, so reruns reuse finished work.
#pragma once

#include "cwrf/analysis/model_context.h"
#include "cwrf/common/table.h"
#include "cwrf/job/model_job.h"

#include <filesystem>
#include <vector>

namespace cwrf::analysis {

// Columns: model, description, test_acc, test_loss, train_acc, train_loss, epochs.
// M2 retrains for the parent's `epochs`. Per-epoch test accuracy of M1 and M2 goes to
// <dir>/lottery-curves.dat and a plot.
Table lottery_study(const ModelContext& context, double sparsity, const std::filesystem::path& models_dir,
                    const std::filesystem::path& dir, const job::JobCallbacks& callbacks = {});

// Columns: approach (A1/A2/A3/scratch), rate, test_acc, train_ce, test_ce, rewound_test_acc.
// `adjust` sets the fine-tuning objective (defense.*) and cwrf.* keys for A1-A3, and the
// objective of the from-scratch baseline.
Table ablation_study(const ModelContext& context, const std::vector<double>& rates,
                     const std::function<void(config::Config&)>& adjust, const std::filesystem::path& models_dir,
                     const job::JobCallbacks& callbacks = {});

void plot_ablation(const Table& table, const std::filesystem::path& dir);

}  // namespace cwrf::analysis
