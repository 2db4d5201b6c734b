// Metric attacks: the threshold fit against the reference's brute force, class-dependent
// thresholds, orientation.
#include "cwrf/attack/metric_attacks.h"
#include "cwrf/attack/roc.h"
#include "cwrf/common/error.h"
#include "synthetic.h"

#include <gtest/gtest.h>

#include <random>

namespace cwrf::attack {
namespace {

// inspire-group membership_inference_attacks.py _thre_setting, the best accuracy it reaches.
double brute_force_accuracy(const std::vector<double>& in, const std::vector<double>& out, double t) {
  double a = 0, b = 0;
  for (double v : in) a += v >= t;
  for (double v : out) b += v < t;
  return 0.5 * (a / in.size() + b / out.size());
}

TEST(MetricAttacks, ThresholdFitMatchesBruteForce) {
  std::mt19937 rng(2);
  std::normal_distribution<double> d;
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<double> in(20 + trial), out(25);
    for (double& v : in) v = std::round((d(rng) + 0.7) * (trial % 2 ? 2 : 100)) / 4;  // ties in odd trials
    for (double& v : out) v = std::round(d(rng) * (trial % 2 ? 2 : 100)) / 4;
    double best = 0, best_t = 0;
    for (const auto* side : {&in, &out})
      for (double t : *side) {
        const double acc = brute_force_accuracy(in, out, t);
        if (acc > best || (acc == best && t < best_t)) best = acc, best_t = t;
      }
    const ThresholdFit fit = fit_threshold(in, out);
    EXPECT_DOUBLE_EQ(fit.accuracy, best) << trial;
    EXPECT_DOUBLE_EQ(fit.accuracy, brute_force_accuracy(in, out, fit.threshold)) << trial;
    EXPECT_EQ(fit.threshold, best_t) << trial;  // the smallest maximiser
  }
}

TEST(MetricAttacks, ClassDependentThresholdsSeparateWhatAGlobalOneCannot) {
  // Class 0: members' confidence ≈ 0.9, non-members' ≈ 0.7; class 1: members ≈ 0.5, non-members ≈ 0.3.
  // One global threshold mixes the classes (0.5 < 0.7); per class they separate perfectly.
  const MembershipMask m = testing::lira_membership(9, 400, 3);
  std::vector<int64_t> labels(m.examples);
  for (int64_t n = 0; n < m.examples; ++n) labels[n] = n % 2;
  SignalArray conf(m.models, m.examples, 2);
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> jitter(-0.05, 0.05);
  for (int64_t k = 0; k < m.models; ++k)
    for (int64_t n = 0; n < m.examples; ++n)
      for (int64_t q = 0; q < 2; ++q)
        conf(k, n, q) = (labels[n] == 0 ? 0.7 : 0.3) + (m(k, n) ? 0.2 : 0.0) + jitter(rng);
  const MetricResult r = metric_attack(conf, MetricKind::kConfidence, labels, 2, split_shadows(m, 0));
  ASSERT_EQ(r.thresholds.size(), 2u);
  EXPECT_GT(r.thresholds[0], 0.75);
  EXPECT_LT(r.thresholds[0], 0.86);
  EXPECT_GT(r.thresholds[1], 0.35);
  EXPECT_LT(r.thresholds[1], 0.46);
  std::vector<uint8_t> members(m.examples);
  for (int64_t n = 0; n < m.examples; ++n) members[n] = m(0, n);
  EXPECT_DOUBLE_EQ(roc_auc(roc_curve(r.scores, members)), 1.0);
  // The fitted operating point (score ≥ 0): a target member may fall a hair below the lowest
  // shadow member of its class, so allow a stray error or two.
  int64_t right = 0;
  for (int64_t n = 0; n < m.examples; ++n) right += (r.scores[n] >= 0) == (members[n] != 0);
  EXPECT_GE(right, m.examples - 2);
}

TEST(MetricAttacks, LossAndEntropiesAreNegated) {
  // Members have low loss: with the value negated, members still score high.
  const MembershipMask m = testing::lira_membership(9, 200, 5);
  const SignalArray loss = testing::noisy_signal(m, 1, 2.0, -1.5, 0.1, 6);
  const std::vector<int64_t> labels(m.examples, 0);
  std::vector<uint8_t> members(m.examples);
  for (int64_t n = 0; n < m.examples; ++n) members[n] = m(0, n);
  for (MetricKind k : {MetricKind::kLoss, MetricKind::kEntropy, MetricKind::kModifiedEntropy}) {
    const MetricResult r = metric_attack(loss, k, labels, 1, split_shadows(m, 0));
    EXPECT_DOUBLE_EQ(roc_auc(roc_curve(r.scores, members)), 1.0) << metric_name(k);
  }
  const MetricResult wrong_way = metric_attack(loss, MetricKind::kConfidence, labels, 1, split_shadows(m, 0));
  EXPECT_LT(roc_auc(roc_curve(wrong_way.scores, members)), 0.1);
}

TEST(MetricAttacks, NamesAndErrors) {
  for (MetricKind k : all_metrics()) EXPECT_EQ(parse_metric(metric_name(k)), k);
  EXPECT_THROW(parse_metric("accuracy"), Error);
  EXPECT_THROW(fit_threshold({}, {1.0}), Error);
  const MembershipMask m = testing::lira_membership(2, 10, 1);
  EXPECT_THROW(metric_attack(testing::noisy_signal(m, 1, 0, 1, 1, 1), MetricKind::kLoss, std::vector<int64_t>(10, 0), 1,
                             split_shadows(m, 0)),
               Error);
}

}  // namespace
}  // namespace cwrf::attack
