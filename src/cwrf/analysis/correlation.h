// Correlation between privacy vulnerability (PVE) and learnability (TFO) scores, over all
// weights and per weight kind (paper Table 1, Fig. 3).
#pragma once

#include "cwrf/common/table.h"
#include "cwrf/models/weight_kinds.h"
#include "cwrf/weights/scores.h"

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>

namespace cwrf::analysis {

// Pearson's r of two equally long vectors, in float64. NaN when either is constant.
double pearson(const torch::Tensor& a, const torch::Tensor& b);

// Flattened scores of the parameters of one kind group (empty kinds list = all), in name order.
torch::Tensor gather_scores(const weights::Scores& scores, const std::map<std::string, models::WeightKind>& kinds,
                            const std::vector<models::WeightKind>& group);

// Rows: "all", each kind present, and "attention+mlp" when both are (the paper's Att+MLP).
// Columns: weight_type, pcc, pcc_log (Pearson of log10 scores, zeros excluded), weights, share.
Table correlation_table(const weights::Scores& pve, const weights::Scores& tfo,
                        const std::map<std::string, models::WeightKind>& kinds);

// Pearson's r of each row group of correlation_table (same names) on `replicates` resamples of
// the group's weights with replacement (seeded): a percentile interval over which weights the
// model has, not over training randomness.
std::map<std::string, std::vector<double>> pcc_replicates(const weights::Scores& pve, const weights::Scores& tfo,
                                                          const std::map<std::string, models::WeightKind>& kinds,
                                                          int64_t replicates, uint64_t seed);

// One log-log scatter plot (TFO x, PVE y) per row group, subsampled to `max_points` per plot
// with a fixed seed; writes the plotted points as <dir>/scatter-<group>.dat too.
void plot_score_scatter(const weights::Scores& pve, const weights::Scores& tfo,
                        const std::map<std::string, models::WeightKind>& kinds, const std::filesystem::path& dir,
                        int64_t max_points = 20000);

}  // namespace cwrf::analysis
