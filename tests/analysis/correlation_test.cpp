// The correlation analysis of Table 1 / Fig. 3 on hand-made scores: Pearson's r against hand
// computations, the grouping by weight kind and each kind's share of the weights.
#include "cwrf/analysis/correlation.h"
#include "cwrf/common/error.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::analysis {
namespace {

using models::WeightKind;

TEST(Pearson, MatchesHandComputation) {
  // x = 1,2,3,4; y = 2,4,5,9: means 2.5, 5; dx = -1.5,-0.5,0.5,1.5; dy = -3,-1,0,4;
  // Σdxdy = 4.5 + 0.5 + 0 + 6 = 11, Σdx² = 5, Σdy² = 26 → r = 11/√130.
  const torch::Tensor x = torch::tensor({1.0, 2.0, 3.0, 4.0}), y = torch::tensor({2.0, 4.0, 5.0, 9.0});
  EXPECT_NEAR(pearson(x, y), 11.0 / std::sqrt(130.0), 1e-12);
  EXPECT_NEAR(pearson(x, -2.0 * x + 1.0), -1.0, 1e-12);
  EXPECT_TRUE(std::isnan(pearson(x, torch::ones({4}))));  // a constant has no correlation
  EXPECT_TRUE(std::isnan(pearson(torch::tensor({1.0}), torch::tensor({2.0}))));
  EXPECT_THROW(pearson(x, torch::ones({3})), Error);
}

TEST(CorrelationTable, GroupsByKindWithShares) {
  // Two conv tensors (6 weights), one norm (2), one linear (2): 10 in all.
  weights::Scores pve = {{"conv1.weight", torch::tensor({1.0, 2.0, 3.0, 4.0})},
                         {"conv2.weight", torch::tensor({5.0, 6.0})},
                         {"bn.weight", torch::tensor({1.0, 3.0})},
                         {"fc.weight", torch::tensor({2.0, 1.0})}};
  weights::Scores tfo = {{"conv1.weight", torch::tensor({2.0, 4.0, 6.0, 8.0})},  // conv: exactly 2x pve
                         {"conv2.weight", torch::tensor({10.0, 12.0})},
                         {"bn.weight", torch::tensor({3.0, 1.0})},               // norm: reversed
                         {"fc.weight", torch::tensor({1.0, 2.0})}};              // linear: reversed
  const std::map<std::string, WeightKind> kinds = {{"conv1.weight", WeightKind::Conv},
                                                    {"conv2.weight", WeightKind::Conv},
                                                    {"bn.weight", WeightKind::Norm},
                                                    {"fc.weight", WeightKind::Linear}};
  // Concatenation follows the scores' (name) order: bn, conv1, conv2, fc.
  const torch::Tensor all = gather_scores(pve, kinds, {});
  EXPECT_TRUE(torch::equal(all, torch::tensor({1.0, 3.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 2.0, 1.0}, torch::kFloat64)));
  const Table t = correlation_table(pve, tfo, kinds);
  ASSERT_EQ(t.rows.size(), 4u);  // all, conv, linear, norm
  std::map<std::string, std::vector<nlohmann::json>> rows;
  for (const auto& r : t.rows) rows[r[0].get<std::string>()] = r;
  EXPECT_NEAR(rows.at("conv")[1].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(rows.at("norm")[1].get<double>(), -1.0, 1e-12);
  EXPECT_NEAR(rows.at("linear")[1].get<double>(), -1.0, 1e-12);
  EXPECT_NEAR(rows.at("all")[1].get<double>(), pearson(all, gather_scores(tfo, kinds, {})), 1e-12);
  EXPECT_EQ(rows.at("conv")[3].get<int64_t>(), 6);
  EXPECT_DOUBLE_EQ(rows.at("conv")[4].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(rows.at("norm")[4].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(rows.at("all")[4].get<double>(), 1.0);
  // The log-scale column: log10 of 2x is log10 x + log10 2, still perfectly correlated.
  EXPECT_NEAR(rows.at("conv")[2].get<double>(), 1.0, 1e-12);
}

TEST(CorrelationTable, AttentionAndMlpAreAlsoReportedTogether) {
  weights::Scores s = {{"a", torch::tensor({1.0, 2.0})}, {"m", torch::tensor({3.0, 5.0})}};
  const std::map<std::string, WeightKind> kinds = {{"a", WeightKind::Attention}, {"m", WeightKind::Mlp}};
  const Table t = correlation_table(s, s, kinds);
  std::vector<std::string> names;
  for (const auto& r : t.rows) names.push_back(r[0].get<std::string>());
  EXPECT_EQ(names, (std::vector<std::string>{"all", "attention+mlp", "attention", "mlp"}));
  EXPECT_THROW(gather_scores(s, {{"a", WeightKind::Attention}}, {}), Error);  // a scored tensor of no kind
}

}  // namespace
}  // namespace cwrf::analysis
