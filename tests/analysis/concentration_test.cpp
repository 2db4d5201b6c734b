// How concentrated a score is, against hand counts.
#include "cwrf/analysis/concentration.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::analysis {
namespace {

TEST(Concentration, MassShareAndOverlapByHand) {
  // 20 weights in two tensors: one score of 10, the rest 1 (total 29).
  weights::Scores s;
  s["a"] = torch::ones({10});
  s["b"] = torch::ones({2, 5});
  s["b"][1][3] = 10.0;
  EXPECT_NEAR(mass_share(s, 0.05), 10.0 / 29.0, 1e-9);  // the top 1 of 20
  EXPECT_NEAR(mass_share(s, 0.10), 11.0 / 29.0, 1e-9);  // the top 2
  EXPECT_NEAR(mass_share(s, 1.0), 1.0, 1e-9);
  // Uniform scores: the share is the fraction.
  weights::Scores u;
  u["a"] = torch::full({100}, 3.0);
  EXPECT_NEAR(mass_share(u, 0.2), 0.2, 1e-9);
  // Overlap of top sets: identical scores overlap fully; disjoint tops not at all.
  EXPECT_NEAR(top_overlap(s, s, 0.1), 1.0, 1e-12);
  weights::Scores t;
  t["a"] = torch::arange(10, torch::kFloat32);  // its top weights are in tensor a
  t["b"] = torch::zeros({2, 5});
  EXPECT_NEAR(top_overlap(s, t, 0.05), 0.0, 1e-12);
}

TEST(Concentration, BootstrapIsSeededAndAroundTheEstimate) {
  const torch::Tensor flat = torch::cat({torch::full({50}, 10.0), torch::ones({950})});  // top 5 % hold 500/1450
  const auto a = mass_share_replicates(flat, 0.05, 50, 3), b = mass_share_replicates(flat, 0.05, 50, 3);
  ASSERT_EQ(a.size(), 50u);
  EXPECT_EQ(a, b);
  double mean = 0;
  for (double v : a) mean += v / a.size();
  EXPECT_NEAR(mean, 500.0 / 1450.0, 0.05);
  EXPECT_NE(mass_share_replicates(flat, 0.05, 50, 4), a);
}

}  // namespace
}  // namespace cwrf::analysis
