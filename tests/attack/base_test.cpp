// BASE against its definition in probabilities, and its equivalence with RMIA: equal log ratios,
// RMIA's γ = 1 score as the population's empirical distribution function of BASE's score, hence the
// same ranking and RMIA's ROC vertices among BASE's.
#include "cwrf/attack/base.h"
#include "cwrf/attack/rmia.h"
#include "cwrf/attack/roc.h"
#include "cwrf/common/error.h"
#include "synthetic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>
#include <utility>

namespace cwrf::attack {
namespace {

using testing::lira_membership;

// log s with s in (0, 1): log sigmoid of a noisy logit, shifted up for a model's members.
SignalArray log_probabilities(const MembershipMask& m, int64_t queries, double shift, unsigned seed) {
  SignalArray out = testing::noisy_signal(m, queries, 0.0, shift, 1.0, seed);
  for (double& v : out.values) v = -std::log1p(std::exp(-v));
  return out;
}

std::vector<uint8_t> members_of(const MembershipMask& m, int64_t target) {
  std::vector<uint8_t> v(static_cast<size_t>(m.examples));
  for (int64_t n = 0; n < m.examples; ++n) v[n] = m(target, n);
  return v;
}

TEST(Base, MatchesTheDefinitionInProbabilities) {
  const MembershipMask m = lira_membership(9, 30, 1);  // 3 IN and 4 OUT references after equalising
  const SignalArray ls = log_probabilities(m, 2, 1.0, 2);
  const ShadowSplit split = split_shadows(m, 0);
  ASSERT_NE(split.in_count, split.out_count);
  for (bool online : {true, false}) {
    BaseOptions o;
    o.online = online;
    const auto scores = base_scores(ls, split, o);
    for (int64_t n = 0; n < m.examples; ++n) {
      double total = 0;
      for (int64_t q = 0; q < 2; ++q) {
        double p_in = 0, p_out = 0;
        for (int64_t k = 0; k < split.in_count; ++k) p_in += std::exp(ls(split.in_row(n)[k], n, q)) / split.in_count;
        for (int64_t k = 0; k < split.out_count; ++k) p_out += std::exp(ls(split.out_row(n)[k], n, q)) / split.out_count;
        const double s = std::exp(ls(0, n, q));
        total += online ? std::log(s / (0.5 * p_in + 0.5 * p_out)) : std::log(s) - 0.33 * std::log(p_out);
      }
      EXPECT_NEAR(scores[n], total / 2, 1e-12) << n;
    }
  }
}

TEST(Base, WithEqualCountsIsLeakProsLogSumExpOverAllReferences) {
  // K = 6: two IN and two OUT references per example; LeakPro: log s − (logsumexp_k log s_k − log K).
  const MembershipMask m = lira_membership(6, 40, 3);
  const SignalArray ls = log_probabilities(m, 1, 1.5, 4);
  const ShadowSplit split = split_shadows(m, 0);
  ASSERT_EQ(split.in_count, split.out_count);
  const auto scores = base_scores(ls, split, {});
  for (int64_t n = 0; n < m.examples; ++n) {
    double sum = 0;
    for (int64_t k = 0; k < split.in_count; ++k) sum += std::exp(ls(split.in_row(n)[k], n, 0));
    for (int64_t k = 0; k < split.out_count; ++k) sum += std::exp(ls(split.out_row(n)[k], n, 0));
    EXPECT_NEAR(scores[n], ls(0, n, 0) - std::log(sum / (split.in_count + split.out_count)), 1e-12);
  }
}

TEST(Base, IsEquivalentToRmiaWithGammaOne) {
  double base_auc_total = 0, rmia_auc_total = 0;
  for (unsigned seed : {11u, 12u, 13u}) {
    const MembershipMask m = lira_membership(9, 600, seed);
    const SignalArray ls = log_probabilities(m, 1, 0.8, seed + 100);
    const ShadowSplit split = split_shadows(m, 0);
    const auto base = base_scores(ls, split, {});
    // (1) BASE's online score is RMIA's online log ratio log(s(x)/P(x)), bit for bit.
    RmiaOptions ro;
    const auto ratios = rmia_log_ratios(ls, split, ro);
    for (int64_t n = 0; n < m.examples; ++n) ASSERT_EQ(base[n], ratios[n]);
    // (2) RMIA's score at γ = 1 is the fraction of Z \ {x} whose BASE score is smaller.
    const auto population = rmia_population(m, 0, 0, 0);
    const auto rmia = rmia_scores(ratios, m.examples, 1, population, 1.0);
    for (int64_t x = 0; x < m.examples; ++x) {
      double below = 0, others = 0;
      for (int64_t z : population) {
        if (z == x) continue;
        ++others;
        below += base[z] < base[x] ? 1 : 0;
      }
      ASSERT_EQ(rmia[x], below / others) << x;
    }
    // (3) So RMIA's score is a non-decreasing function of BASE's: the same ranking up to ties.
    std::vector<int64_t> order(static_cast<size_t>(m.examples));
    for (int64_t n = 0; n < m.examples; ++n) order[n] = n;
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return base[a] < base[b]; });
    for (size_t i = 1; i < order.size(); ++i) ASSERT_LE(rmia[order[i - 1]], rmia[order[i]]);
    // (4) Every threshold of RMIA selects the same examples as some threshold of BASE: its ROC
    // vertices are among BASE's. What differs is ties: RMIA merges examples no population point separates.
    const auto member = members_of(m, 0);
    const RocCurve rb = roc_curve(base, member), rr = roc_curve(rmia, member);
    std::set<std::pair<int64_t, int64_t>> base_points;
    for (size_t i = 0; i < rb.size(); ++i) base_points.insert({rb.true_positives[i], rb.false_positives[i]});
    for (size_t i = 0; i < rr.size(); ++i)
      ASSERT_TRUE(base_points.count({rr.true_positives[i], rr.false_positives[i]})) << i;
    const double auc_base = roc_auc(rb), auc_rmia = roc_auc(rr);
    EXPECT_NEAR(auc_base, auc_rmia, 2e-3) << seed;
    base_auc_total += auc_base;
    rmia_auc_total += auc_rmia;
    std::cout << "seed " << seed << ": AUC BASE " << auc_base << ", RMIA(gamma 1) " << auc_rmia << ", TPR@1%FPR BASE "
              << tpr_at_fpr(rb, 0.01) << ", RMIA " << tpr_at_fpr(rr, 0.01) << "\n";
  }
  EXPECT_GT(base_auc_total / 3, 0.6);  // the shift is a real signal
  EXPECT_NEAR(base_auc_total, rmia_auc_total, 3e-3);
}

TEST(Base, OfflineWithFullScaleIsRmiaOfflineWithAOne) {
  const MembershipMask m = lira_membership(8, 50, 5);
  const SignalArray ls = log_probabilities(m, 2, 1.0, 6);
  const ShadowSplit split = split_shadows(m, 0);
  BaseOptions bo;
  bo.online = false;
  bo.offline_scale = 1.0;
  RmiaOptions ro;
  ro.online = false;
  ro.offline_a = 1.0;
  const auto base = base_scores(ls, split, bo);
  const auto ratios = rmia_log_ratios(ls, split, ro);
  for (int64_t n = 0; n < m.examples; ++n) EXPECT_NEAR(base[n], 0.5 * (ratios[2 * n] + ratios[2 * n + 1]), 1e-13);
  // c = 0 is the target's own log-probability: a global-threshold (confidence) attack.
  bo.offline_scale = 0.0;
  const auto own = base_scores(ls, split, bo);
  for (int64_t n = 0; n < m.examples; ++n) EXPECT_NEAR(own[n], 0.5 * (ls(0, n, 0) + ls(0, n, 1)), 1e-15);
}

TEST(Base, SeparableAndRandomSignals) {
  const MembershipMask m = lira_membership(9, 400, 7);
  SignalArray ls(m.models, m.examples, 1);
  for (int64_t k = 0; k < m.models; ++k)
    for (int64_t n = 0; n < m.examples; ++n) ls(k, n, 0) = std::log(m(k, n) ? 0.9 : 0.1) + 1e-3 * ((n * 7 + k) % 5);
  for (bool online : {true, false}) {
    BaseOptions o;
    o.online = online;
    EXPECT_DOUBLE_EQ(roc_auc(roc_curve(base_scores(ls, split_shadows(m, 0), o), members_of(m, 0))), 1.0);
  }
  double total = 0;
  for (int s = 0; s < 20; ++s) {
    const MembershipMask r = lira_membership(9, 1000, 500 + s);
    const double auc = roc_auc(roc_curve(base_scores(log_probabilities(r, 2, 0.0, 600 + s), split_shadows(r, 0), {}),
                                         members_of(r, 0)));
    EXPECT_NEAR(auc, 0.5, 0.07) << s;
    total += auc;
  }
  EXPECT_NEAR(total / 20, 0.5, 0.02);
}

TEST(Base, ClearErrors) {
  const MembershipMask m = lira_membership(2, 10, 1);
  const SignalArray ls = log_probabilities(m, 1, 1.0, 1);
  EXPECT_NE(base_shortfall(split_shadows(m, 0), {}).find("IN reference model"), std::string::npos);
  EXPECT_THROW(base_scores(ls, split_shadows(m, 0), {}), Error);
  const MembershipMask ok = lira_membership(4, 10, 1);
  const SignalArray ls4 = log_probabilities(ok, 1, 1.0, 1);
  BaseOptions o;
  o.temperature = 0.0;
  EXPECT_THROW(base_scores(ls4, split_shadows(ok, 0), o), Error);
  o = BaseOptions{};
  o.offline_scale = 1.5;
  EXPECT_THROW(base_scores(ls4, split_shadows(ok, 0), o), Error);
  EXPECT_EQ(base_variant(o), "online");
}

}  // namespace
}  // namespace cwrf::attack
