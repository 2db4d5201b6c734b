// RMIA: the sort-based scores equal the direct pairwise definition; P(x) and the ratios against a
// direct re-computation in probabilities; separable and random signals.
#include "cwrf/attack/rmia.h"
#include "cwrf/attack/roc.h"
#include "cwrf/common/error.h"
#include "synthetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace cwrf::attack {
namespace {

using testing::lira_membership;

// log s with s a probability in (0, 1): members of a model get higher values when shift > 0.
SignalArray log_probabilities(const MembershipMask& m, int64_t queries, double shift, unsigned seed) {
  const SignalArray logit = testing::noisy_signal(m, queries, 0.0, shift, 1.0, seed);
  SignalArray out = logit;
  for (double& v : out.values) v = -std::log1p(std::exp(-v));  // log sigmoid
  return out;
}

std::vector<uint8_t> members_of(const MembershipMask& m, int64_t target) {
  std::vector<uint8_t> v(m.examples);
  for (int64_t n = 0; n < m.examples; ++n) v[n] = m(target, n);
  return v;
}

TEST(Rmia, SortedEqualsPairwiseExactly) {
  std::mt19937 rng(1);
  std::normal_distribution<double> d;
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t N = 300, Q = 1 + trial % 3;
    std::vector<double> ratios(N * Q);
    for (double& r : ratios) {
      r = d(rng);
      if (trial % 2 == 1) r = std::round(r * 4) / 4;  // many exact ties
    }
    std::vector<int64_t> population;
    for (int64_t n = 0; n < N; ++n)
      if (n % 3 != 0 || trial % 4 == 0) population.push_back(n);
    for (double gamma : {0.5, 1.0, 2.0, std::exp(0.25)}) {
      const auto fast = rmia_scores(ratios, N, Q, population, gamma);
      const auto direct = rmia_scores_pairwise(ratios, N, Q, population, gamma);
      ASSERT_EQ(fast.size(), direct.size());
      for (int64_t n = 0; n < N; ++n) ASSERT_EQ(fast[n], direct[n]) << "trial " << trial << " gamma " << gamma << " x " << n;
    }
  }
}

TEST(Rmia, SelfComparisonIsExcluded) {
  // Two examples, both in Z; γ = 0.5 < 1 so LR(x, x) = 1 would count if x met itself.
  const std::vector<double> ratios = {std::log(1.0), std::log(4.0)};
  const auto s = rmia_scores(ratios, 2, 1, {0, 1}, 0.5);
  EXPECT_DOUBLE_EQ(s[0], 0.0);  // LR(0, 1) = 1/4 < 0.5
  EXPECT_DOUBLE_EQ(s[1], 1.0);  // LR(1, 0) = 4 > 0.5
  // An example outside Z is compared with all of Z.
  const auto t = rmia_scores({0.0, 0.0, std::log(3.0)}, 3, 1, {0, 1}, 2.0);
  EXPECT_DOUBLE_EQ(t[2], 1.0);
  EXPECT_DOUBLE_EQ(t[0], 0.0);
}

TEST(Rmia, RatiosMatchDirectComputationInProbabilities) {
  const MembershipMask m = lira_membership(9, 30, 2);
  const SignalArray ls = log_probabilities(m, 2, 1.0, 3);
  const ShadowSplit split = split_shadows(m, 0);
  for (bool online : {true, false}) {
    RmiaOptions o;
    o.online = online;
    o.offline_a = 0.3;
    const auto ratios = rmia_log_ratios(ls, split, o);
    for (int64_t n = 0; n < m.examples; ++n)
      for (int64_t q = 0; q < 2; ++q) {
        double p_in = 0, p_out = 0;
        for (int64_t k = 0; k < split.in_count; ++k) p_in += std::exp(ls(split.in_row(n)[k], n, q));
        for (int64_t k = 0; k < split.out_count; ++k) p_out += std::exp(ls(split.out_row(n)[k], n, q));
        p_in /= split.in_count;
        p_out /= split.out_count;
        const double p = online ? 0.5 * (p_in + p_out) : (1 + 0.3) / 2 * p_out + (1 - 0.3) / 2;
        EXPECT_NEAR(ratios[n * 2 + q], std::log(std::exp(ls(0, n, q)) / p), 1e-12);
      }
  }
}

TEST(Rmia, ScoresAreTheDirectDefinitionOnSignals) {
  // End to end on small arrays: score(x) = mean_q |{z ∈ Z \ {x} : (s(x)/P(x)) / (s(z)/P(z)) > γ}| / |Z \ {x}|.
  const MembershipMask m = lira_membership(5, 25, 7);
  const SignalArray ls = log_probabilities(m, 2, 1.0, 8);
  RmiaOptions o;
  const ShadowSplit split = split_shadows(m, 0);
  const auto ratios = rmia_log_ratios(ls, split, o);
  const auto population = rmia_population(m, 0, 0, 0);
  const auto scores = rmia_scores(ratios, m.examples, 2, population, o.gamma);
  for (int64_t x = 0; x < m.examples; ++x) {
    double total = 0;
    for (int64_t q = 0; q < 2; ++q) {
      double wins = 0, others = 0;
      for (int64_t z : population) {
        if (z == x) continue;
        ++others;
        wins += std::exp(ratios[x * 2 + q]) / std::exp(ratios[z * 2 + q]) > o.gamma ? 1 : 0;
      }
      total += wins / others;
    }
    EXPECT_NEAR(scores[x], total / 2, 1e-12);
  }
}

TEST(Rmia, SeparableSignalsGiveAucOne) {
  const MembershipMask m = lira_membership(9, 400, 9);
  // s = 0.9 for members of a model, 0.1 otherwise (tiny noise): ratio 1.8 vs 0.2, LR = 9 > γ.
  SignalArray ls(m.models, m.examples, 2);
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> jitter(-0.01, 0.01);
  for (int64_t k = 0; k < m.models; ++k)
    for (int64_t n = 0; n < m.examples; ++n)
      for (int64_t q = 0; q < 2; ++q) ls(k, n, q) = std::log((m(k, n) ? 0.9 : 0.1) + jitter(rng));
  for (bool online : {true, false}) {
    RmiaOptions o;
    o.online = online;
    const auto ratios = rmia_log_ratios(ls, split_shadows(m, 0), o);
    const auto scores = rmia_scores(ratios, m.examples, 2, rmia_population(m, 0, 0, 0), o.gamma);
    EXPECT_DOUBLE_EQ(roc_auc(roc_curve(scores, members_of(m, 0))), 1.0) << rmia_variant(o);
  }
}

TEST(Rmia, RandomSignalsGiveAucNearOneHalfOverSeeds) {
  for (bool online : {true, false}) {
    double total = 0;
    const int seeds = 20;
    for (int s = 0; s < seeds; ++s) {
      const MembershipMask m = lira_membership(9, 1000, 300 + s);
      const SignalArray ls = log_probabilities(m, 2, 0.0, 400 + s);
      RmiaOptions o;
      o.online = online;
      o.gamma = 1.0;
      const auto ratios = rmia_log_ratios(ls, split_shadows(m, 0), o);
      const auto scores = rmia_scores(ratios, m.examples, 2, rmia_population(m, 0, 0, 0), o.gamma);
      const double auc = roc_auc(roc_curve(scores, members_of(m, 0)));
      EXPECT_NEAR(auc, 0.5, 0.07) << "seed " << s;
      total += auc;
    }
    EXPECT_NEAR(total / seeds, 0.5, 0.02) << (online ? "online" : "offline");
  }
}

TEST(Rmia, ClearErrors) {
  const MembershipMask m = lira_membership(2, 10, 1);
  const SignalArray ls = log_probabilities(m, 1, 1.0, 1);
  RmiaOptions o;
  EXPECT_NE(rmia_shortfall(split_shadows(m, 0), o).find("IN reference model"), std::string::npos);
  EXPECT_THROW(rmia_log_ratios(ls, split_shadows(m, 0), o), Error);
  o.online = false;
  o.offline_a = 1.5;
  EXPECT_THROW(rmia_log_ratios(ls, split_shadows(lira_membership(4, 10, 1), 0), o), Error);
  EXPECT_THROW(rmia_scores({0.0, 1.0}, 2, 1, {}, 2.0), Error);
  EXPECT_THROW(rmia_scores({0.0, 1.0}, 2, 1, {0}, 0.0), Error);
}

}  // namespace
}  // namespace cwrf::attack
