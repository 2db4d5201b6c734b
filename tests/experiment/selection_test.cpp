// The choice of r among several rates (selection.h) and the paired difference with its bootstrap
// interval (comparison.h), on hand-made numbers.
#include "cwrf/experiment/comparison.h"
#include "cwrf/experiment/selection.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cwrf::experiment {
namespace {

TEST(RateSelection, LargestRateWithinToleranceOfTheReference) {
  // Reference (the defense alone) at 80 % validation accuracy, tolerance 1 point.
  const std::vector<RateCandidate> c = {{0.01, 0.805}, {0.03, 0.797}, {0.05, 0.788}, {0.10, 0.760}};
  bool within = false;
  EXPECT_EQ(choose_rate(c, 0.80, 0.01, &within), 1u);  // 0.03: 79.7 >= 79.0; 0.05: 78.8 < 79.0
  EXPECT_TRUE(within);
  EXPECT_EQ(choose_rate(c, 0.80, 0.02, &within), 2u);  // a looser tolerance admits 0.05
  EXPECT_EQ(choose_rate(c, 0.80, 0.0, &within), 0u);   // only candidates at least as good as the reference
  // No candidate close enough: the one with the best validation accuracy.
  EXPECT_EQ(choose_rate(c, 0.90, 0.01, &within), 0u);
  EXPECT_FALSE(within);
  // The order of the candidates does not matter.
  const std::vector<RateCandidate> shuffled = {c[2], c[0], c[3], c[1]};
  EXPECT_DOUBLE_EQ(shuffled[choose_rate(shuffled, 0.80, 0.01)].rate, 0.03);
}

TEST(PairedDifference, MeanAndIntervalOfPairedDifferences) {
  // One run, six targets: b - a = 1 for every pair: the interval collapses on 1.
  const std::vector<std::vector<double>> a = {{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}};
  std::vector<std::vector<double>> b = a;
  for (double& x : b[0]) x += 1.0;
  Difference d = paired_difference(a, b, 500, 1);
  EXPECT_NEAR(d.mean, 1.0, 1e-12);
  EXPECT_NEAR(d.low, 1.0, 1e-12);
  EXPECT_NEAR(d.high, 1.0, 1e-12);
  EXPECT_TRUE(d.excludes_zero);
  EXPECT_EQ(d.pairs, 6);
  // Differences of both signs around 0: the interval contains 0.
  b = {{0.2, 0.1, 0.4, 0.3, 0.6, 0.5}};  // +0.1, -0.1, +0.1, -0.1, +0.1, -0.1
  d = paired_difference(a, b, 2000, 2);
  EXPECT_NEAR(d.mean, 0.0, 1e-12);
  EXPECT_LT(d.low, 0.0);
  EXPECT_GT(d.high, 0.0);
  EXPECT_FALSE(d.excludes_zero);
  // The interval of a mean of six ±0.1 values: its sd is 0.1/sqrt(6) = 0.041, so the 95 % interval is
  // about ±0.08 (a bootstrap of 6 values is a little narrower).
  EXPECT_GT(d.high, 0.04);
  EXPECT_LT(d.high, 0.1 + 1e-12);
  // Pairing matters: the same values unpaired would vary by 0.5; paired, the difference is constant.
  d = paired_difference({{0.1, 0.9}, {0.3, 0.7}}, {{0.15, 0.95}, {0.35, 0.75}}, 1000, 3);
  EXPECT_NEAR(d.mean, 0.05, 1e-12);
  EXPECT_NEAR(d.low, 0.05, 1e-12);
  EXPECT_NEAR(d.high, 0.05, 1e-12);
  // Missing values (NaN) drop their pair; nothing at all gives NaN.
  d = paired_difference({{0.1, std::nan("")}}, {{0.3, 0.5}}, 100, 4);
  EXPECT_EQ(d.pairs, 1);
  EXPECT_NEAR(d.mean, 0.2, 1e-12);
  EXPECT_TRUE(std::isnan(paired_difference({{std::nan("")}}, {{0.1}}).mean));
}

// With several runs, whole runs are resampled first: a run whose differences all sit far from the
// others' widens the interval (targets of one run are not independent).
TEST(PairedDifference, RunsAreResampledAsWholes) {
  const std::vector<std::vector<double>> a = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
  const std::vector<std::vector<double>> b = {{0.1, 0.1, 0.1, 0.1}, {0.1, 0.1, 0.1, 0.1}, {0.7, 0.7, 0.7, 0.7}};
  const Difference d = paired_difference(a, b, 4000, 5);
  EXPECT_NEAR(d.mean, 0.3, 1e-12);
  EXPECT_NEAR(d.low, 0.1, 1e-12);   // all three draws of the first two runs
  EXPECT_NEAR(d.high, 0.7, 1e-12);  // ... and of the third
}

}  // namespace
}  // namespace cwrf::experiment
