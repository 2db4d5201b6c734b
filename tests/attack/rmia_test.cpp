// RMIA: the sort-based scores equal the direct pairwise definition (log and linear space); P(x) and
// the ratios against a direct re-computation in probabilities; the research code's options (Taylor
// signal, trimmed mean, majority vote) against a re-implementation of its numpy/torch lines;
// separable and random signals.
#include "cwrf/attack/rmia.h"
#include "cwrf/attack/roc.h"
#include "cwrf/attack/statistics.h"
#include "cwrf/common/error.h"
#include "synthetic.h"

#include <gtest/gtest.h>

#include <algorithm>
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

TEST(Rmia, LinearSortedEqualsPairwiseExactlyWithSignsAndTies) {
  // Ratios of either sign (the Taylor signal), zeros and ties: one binary search per x on the sorted
  // reciprocals gives the pairwise count, bit for bit.
  std::mt19937 rng(7);
  std::normal_distribution<double> d;
  for (int trial = 0; trial < 8; ++trial) {
    const int64_t N = 250, Q = 1 + trial % 3;
    std::vector<double> ratios(N * Q);
    for (double& r : ratios) {
      r = d(rng) * 2.0;
      if (trial % 2 == 1) r = std::round(r * 2) / 2;  // ties, and exact zeros
    }
    std::vector<int64_t> population;
    for (int64_t n = 0; n < N; ++n)
      if (n % 4 != 1) population.push_back(n);
    for (double gamma : {0.5, 1.0, 2.0}) {
      RmiaScoring linear;
      linear.linear = true;
      const auto fast = rmia_scores(ratios, N, Q, population, gamma, linear);
      const auto direct = rmia_scores_pairwise(ratios, N, Q, population, gamma, 0, linear);
      for (int64_t n = 0; n < N; ++n) ASSERT_EQ(fast[n], direct[n]) << "trial " << trial << " gamma " << gamma << " x " << n;
    }
  }
}

TEST(Rmia, TaylorSignalByHand) {
  // signals.py get_taylor(x, 4) = 1 + x + x²/2 + x³/6; "taylor-soft-margin" with T = 2, m = 0.6.
  const double z[3] = {4.0, -5.0, 1.0};
  auto t4 = [](double x) { return 1 + x + x * x / 2 + x * x * x / 6; };
  const double own = t4(4.0 / 2 - 0.6), others = t4(-5.0 / 2) + t4(1.0 / 2);
  EXPECT_NEAR(row_rmia_taylor_signal(z, 3, 0, 2.0, 0.6, 4), own / (own + others), 1e-15);
  EXPECT_LT(t4(-2.5), 0.0);  // the polynomial of a low logit is negative: the signal is not a probability
  EXPECT_DOUBLE_EQ(taylor_exp(0.3, 1), 1.3);   // range(2, n) is empty below n = 3: 1 + x
  EXPECT_DOUBLE_EQ(taylor_exp(0.3, 2), 1.3);
  EXPECT_NEAR(taylor_exp(0.3, 30), std::exp(0.3), 1e-15);
  // With a high order it is the soft-margin softmax.
  EXPECT_NEAR(std::log(row_rmia_taylor_signal(z, 3, 2, 2.0, 0.6, 60)), row_log_rmia_signal(z, 3, 2, 2.0, 0.6), 1e-12);
}

// scipy.stats.trim_mean(values, proportiontocut) spelled out.
double trim_mean(std::vector<double> v, double cut) {
  std::sort(v.begin(), v.end());
  const size_t k = static_cast<size_t>(cut * static_cast<double>(v.size()));
  double sum = 0;
  for (size_t i = k; i < v.size() - k; ++i) sum += v[i];
  return sum / static_cast<double>(v.size() - 2 * k);
}

TEST(Rmia, TrimmedMeanIsTheReferencesTrimMean) {
  // K = 13 (6 models IN per point): 5 IN and 6 OUT shadows per example after equalising; online the
  // reference trims the union of 5 IN and 5 OUT (cut ⌊0.2·10⌋ = 2 a side), offline the 6 OUT (cut 1).
  const MembershipMask m = lira_membership(13, 30, 41);
  const SignalArray s = log_probabilities(m, 2, 1.0, 42);
  SignalArray lin = s;
  for (double& v : lin.values) v = std::exp(v);
  const ShadowSplit split = split_shadows(m, 0);
  ASSERT_EQ(split.in_count, 5);
  ASSERT_EQ(split.out_count, 6);
  for (bool online : {true, false}) {
    RmiaOptions o;
    o.online = online;
    o.trim = 0.2;
    const auto log_ratios = rmia_log_ratios(s, split, o);
    const auto linear = rmia_linear_ratios(lin, split, o);
    for (int64_t n = 0; n < m.examples; ++n)
      for (int64_t q = 0; q < 2; ++q) {
        std::vector<double> refs;
        if (online) {
          for (int64_t k = 0; k < 5; ++k) refs.push_back(lin(split.in_row(n)[k], n, q));
          for (int64_t k = 0; k < 5; ++k) refs.push_back(lin(split.out_row(n)[k], n, q));
        } else {
          for (int64_t k = 0; k < 6; ++k) refs.push_back(lin(split.out_row(n)[k], n, q));
        }
        const double tm = trim_mean(refs, 0.2);
        const double p = online ? tm : (1 + o.offline_a) / 2 * tm + (1 - o.offline_a) / 2;
        const double expected = lin(0, n, q) / p;
        EXPECT_NEAR(linear[n * 2 + q], expected, 1e-14 * expected) << n;
        EXPECT_NEAR(log_ratios[n * 2 + q], std::log(expected), 1e-12) << n;
      }
  }
  // trim = 0 is this project's ½(P_in + P_out) online, over all 5 IN and 6 OUT.
  RmiaOptions plain;
  const auto r = rmia_linear_ratios(lin, split, plain);
  double p_in = 0, p_out = 0;
  for (int64_t k = 0; k < 5; ++k) p_in += lin(split.in_row(3)[k], 3, 1) / 5;
  for (int64_t k = 0; k < 6; ++k) p_out += lin(split.out_row(3)[k], 3, 1) / 6;
  EXPECT_NEAR(r[3 * 2 + 1], lin(0, 3, 1) / (0.5 * (p_in + p_out)), 1e-14);
}

TEST(Rmia, MajorityVoteIsTheReferencesTorchModeOverQueries) {
  // main.py: per query k, score = outer(prob_ratio_x, prob_ratio_z_rev) > γ; torch.mode over the
  // queries (a tie is the smaller value: False); the mean over z. Here z = x is left out.
  std::mt19937 rng(9);
  std::normal_distribution<double> d;
  for (int64_t Q : {2, 3, 4, 18}) {
    const int64_t N = 60;
    std::vector<double> ratios(N * Q);
    for (double& r : ratios) r = std::exp(d(rng));
    std::vector<int64_t> population;
    for (int64_t n = 0; n < N; n += 2) population.push_back(n);
    for (double gamma : {1.0, 2.0}) {
      RmiaScoring vote;
      vote.linear = true;
      vote.vote = true;
      const auto scores = rmia_scores(ratios, N, Q, population, gamma, vote);
      RmiaScoring log_vote;
      log_vote.vote = true;
      std::vector<double> logs(ratios.size());
      for (size_t i = 0; i < ratios.size(); ++i) logs[i] = std::log(ratios[i]);
      const auto log_scores = rmia_scores(logs, N, Q, population, gamma, log_vote);
      for (int64_t x = 0; x < N; ++x) {
        double won = 0, others = 0;
        for (int64_t z : population) {
          if (z == x) continue;
          ++others;
          int64_t trues = 0;
          for (int64_t k = 0; k < Q; ++k) trues += ratios[x * Q + k] * (1.0 / ratios[z * Q + k]) > gamma ? 1 : 0;
          const bool mode = trues > Q - trues;  // torch.mode: the most frequent, the smaller (False) on a tie
          won += mode ? 1 : 0;
        }
        ASSERT_EQ(scores[x], won / others) << "Q " << Q << " x " << x;
        EXPECT_NEAR(log_scores[x], won / others, 1.0 / others + 1e-12) << "Q " << Q << " x " << x;  // rounding ties only
      }
    }
  }
  // Two queries: the vote is an AND of both comparisons.
  const std::vector<double> two = {std::log(10.0), std::log(10.0), std::log(10.0), std::log(1.0), 0.0, 0.0};
  RmiaScoring vote;
  vote.vote = true;
  const auto s = rmia_scores(two, 3, 2, {1, 2}, 2.0, vote);
  EXPECT_DOUBLE_EQ(s[0], 0.5);  // beats z = 2 on both queries, z = 1 on one only
}

}  // namespace
}  // namespace cwrf::attack
