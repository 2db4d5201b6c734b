// ROC curves and metrics against hand-worked examples (ties merged), TPR@FPR at exact
// boundaries, and the bootstrap interval.
#include "cwrf/attack/roc.h"
#include "cwrf/common/error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace cwrf::attack {
namespace {

// Scores .9 .8 .8 .7 .5 .5 .3 with members 1 1 0 1 0 1 0 (4 members, 3 non-members).
// Descending tie blocks: .9{1} .8{1,0} .7{1} .5{0,1} .3{0}, so the curve is
// (0,0) (0,1/4) (1/3,1/2) (1/3,3/4) (2/3,1) (1,1).
const std::vector<double> kScores = {0.9, 0.8, 0.8, 0.7, 0.5, 0.5, 0.3};
const std::vector<uint8_t> kMembers = {1, 1, 0, 1, 0, 1, 0};

TEST(Roc, HandWorkedCurveWithTies) {
  const RocCurve roc = roc_curve(kScores, kMembers);
  ASSERT_EQ(roc.size(), 6u);
  const std::vector<double> fpr = {0, 0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 1};
  const std::vector<double> tpr = {0, 0.25, 0.5, 0.75, 1, 1};
  const std::vector<double> thr = {INFINITY, 0.9, 0.8, 0.7, 0.5, 0.3};
  for (size_t i = 0; i < roc.size(); ++i) {
    EXPECT_DOUBLE_EQ(roc.fpr(i), fpr[i]) << i;
    EXPECT_DOUBLE_EQ(roc.tpr(i), tpr[i]) << i;
    EXPECT_EQ(roc.threshold[i], thr[i]) << i;
  }
  // Trapezoids: 1/3·(1/4+1/2)/2 + 1/3·(3/4+1)/2 + 1/3·1 = 0.125 + 0.2917 + 0.3333 = 0.75,
  // the Mann-Whitney count (9 of 12 pairs, ties ½).
  EXPECT_NEAR(roc_auc(roc), 0.75, 1e-15);
  // max ½(TPR + 1 − FPR) is at (1/3, 3/4): 17/24.
  EXPECT_NEAR(balanced_accuracy(roc), 17.0 / 24.0, 1e-15);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 0.3), 0.25);      // 0 false positives allowed
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 1.0 / 3), 0.75);  // exactly 1/3: the point at FPR = 1/3 counts (≤)
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 0.999), 1.0);
}

TEST(Roc, AllTiedIsTheDiagonal) {
  const RocCurve roc = roc_curve({1, 1, 1, 1}, {1, 0, 1, 0});
  ASSERT_EQ(roc.size(), 2u);
  EXPECT_DOUBLE_EQ(roc_auc(roc), 0.5);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 0.1), 0.0);
  EXPECT_DOUBLE_EQ(balanced_accuracy(roc), 0.5);
}

TEST(Roc, SeparableAndReversed) {
  const std::vector<double> s = {5, 4, 3, 2, 1, 0};
  EXPECT_DOUBLE_EQ(roc_auc(roc_curve(s, {1, 1, 1, 0, 0, 0})), 1.0);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc_curve(s, {1, 1, 1, 0, 0, 0}), 1e-5), 1.0);
  EXPECT_DOUBLE_EQ(balanced_accuracy(roc_curve(s, {1, 1, 1, 0, 0, 0})), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc(roc_curve(s, {0, 0, 0, 1, 1, 1})), 0.0);
}

// 1000 non-members: 997 at −1 and three high ones at 10, 8, 6; 100 members: 20 at 11, 30 at 9,
// 50 at 7. So TPR is 0.2 with 0 false positives, 0.5 with 1, 1.0 with 2.
TEST(Roc, TprAtFprExactBoundaries) {
  std::vector<double> s;
  std::vector<uint8_t> m;
  for (int i = 0; i < 997; ++i) s.push_back(-1), m.push_back(0);
  for (double v : {10.0, 8.0, 6.0}) s.push_back(v), m.push_back(0);
  for (int i = 0; i < 20; ++i) s.push_back(11), m.push_back(1);
  for (int i = 0; i < 30; ++i) s.push_back(9), m.push_back(1);
  for (int i = 0; i < 50; ++i) s.push_back(7), m.push_back(1);
  const RocCurve roc = roc_curve(s, m);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 0.00099), 0.2);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 1e-3), 0.5);  // FPR = 1/1000 exactly is allowed (≤)
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 0.0019), 0.5);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 2e-3), 1.0);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 1e-5), 0.2);  // n = 1000 cannot resolve 1e-5: 0 false positives
}

TEST(Roc, TprAtOneInAHundredThousand) {
  // 100,000 non-members (FPR resolution 1e-5): one false positive is allowed at 1e-5.
  std::vector<double> s(100000, 0.0);
  std::vector<uint8_t> m(100000, 0);
  s[0] = 5.0;  // the single high non-member
  for (double v : {6.0, 6.0, 4.0, 4.0}) s.push_back(v), m.push_back(1);
  const RocCurve roc = roc_curve(s, m);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 1e-5), 1.0);
  EXPECT_DOUBLE_EQ(tpr_at_fpr(roc, 0.9e-5), 0.5);
}

TEST(Roc, NanScoresAndLengthMismatchAreErrors) {
  EXPECT_THROW(roc_curve({0.1, NAN}, {1, 0}), Error);
  EXPECT_THROW(roc_curve({0.1}, {1, 0}), Error);
}

TEST(Roc, BootstrapIntervalIsSeededAndBracketsTheEstimate) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise;
  std::vector<double> s;
  std::vector<uint8_t> m;
  for (int i = 0; i < 4000; ++i) {
    const bool member = i % 2 == 0;
    s.push_back(noise(rng) + (member ? 1.5 : 0.0));
    m.push_back(member);
  }
  const std::vector<double> levels = {1e-2, 1e-1};
  const auto a = bootstrap_tpr_at_fpr(s, m, levels, 300, 0.95, 7);
  const auto b = bootstrap_tpr_at_fpr(s, m, levels, 300, 0.95, 7);
  const RocCurve roc = roc_curve(s, m);
  ASSERT_EQ(a.size(), 2u);
  for (size_t l = 0; l < levels.size(); ++l) {
    EXPECT_EQ(a[l].low, b[l].low);
    EXPECT_EQ(a[l].high, b[l].high);
    const double point = tpr_at_fpr(roc, levels[l]);
    EXPECT_LE(a[l].low, point);
    EXPECT_GE(a[l].high, point);
    EXPECT_LT(a[l].high - a[l].low, 0.2);
    EXPECT_GT(a[l].high - a[l].low, 0.0);
  }
  // Perfectly separable: every replicate gives TPR 1.
  const auto sep = bootstrap_tpr_at_fpr({3, 2, 1, 0}, {1, 1, 0, 0}, {1e-3}, 50, 0.95, 1);
  EXPECT_EQ(sep[0].low, 1.0);
  EXPECT_EQ(sep[0].high, 1.0);
}

TEST(Roc, EvaluateRocCollectsTheMetrics) {
  RocOptions o;
  o.fpr_levels = {0.3, 1.0 / 3};
  o.bootstrap = 20;
  const RocMetrics m = evaluate_roc(kScores, kMembers, o);
  EXPECT_NEAR(m.auc, 0.75, 1e-15);
  EXPECT_EQ(m.members, 4);
  EXPECT_EQ(m.non_members, 3);
  ASSERT_EQ(m.tpr.size(), 2u);
  EXPECT_DOUBLE_EQ(m.tpr[0], 0.25);
  EXPECT_DOUBLE_EQ(m.tpr[1], 0.75);
  EXPECT_EQ(m.tpr_interval.size(), 2u);
}

}  // namespace
}  // namespace cwrf::attack
