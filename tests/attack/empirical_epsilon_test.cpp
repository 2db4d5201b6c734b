// Empirical ε lower bounds: Clopper-Pearson bounds against closed forms, textbook values and a
// bisection of the binomial distribution function written here; ε on hand-made ROCs, and the
// maximum over thresholds against a direct re-computation.
#include "cwrf/attack/empirical_epsilon.h"
#include "cwrf/attack/roc.h"
#include "cwrf/common/error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace cwrf::attack {
namespace {

// P(X <= k) for X ~ Binomial(n, p), term by term.
double binomial_cdf(int64_t k, int64_t n, double p) {
  double total = 0.0;
  for (int64_t i = 0; i <= k; ++i)
    total += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) +
                      (i > 0 ? i * std::log(p) : 0.0) + (n - i > 0 ? (n - i) * std::log1p(-p) : 0.0));
  return total;
}

// The exact bounds by their definition: upper = the p with P(X <= k; p) = 1 − level, lower = the
// p with P(X >= k; p) = 1 − level, by bisection (both tails are monotone in p).
double brute_upper(int64_t k, int64_t n, double level) {
  if (k == n) return 1.0;
  double lo = 0.0, hi = 1.0;
  for (int i = 0; i < 64; ++i) {
    const double mid = 0.5 * (lo + hi);
    (binomial_cdf(k, n, mid) > 1.0 - level ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}
double brute_lower(int64_t k, int64_t n, double level) {
  if (k == 0) return 0.0;
  double lo = 0.0, hi = 1.0;
  for (int i = 0; i < 64; ++i) {
    const double mid = 0.5 * (lo + hi);
    (1.0 - binomial_cdf(k - 1, n, mid) < 1.0 - level ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

TEST(ClopperPearson, ClosedFormsAtTheEnds) {
  for (int64_t n : {1, 10, 100, 10000})
    for (double level : {0.9, 0.95, 0.975}) {
      const double alpha = 1.0 - level;
      EXPECT_NEAR(clopper_pearson_upper(0, n, level), 1.0 - std::pow(alpha, 1.0 / n), 1e-14) << n;
      EXPECT_NEAR(clopper_pearson_lower(n, n, level), std::pow(alpha, 1.0 / n), 1e-14) << n;
      EXPECT_EQ(clopper_pearson_lower(0, n, level), 0.0);
      EXPECT_EQ(clopper_pearson_upper(n, n, level), 1.0);
    }
}

TEST(ClopperPearson, TextbookValues) {
  // The two-sided 95 % interval for 5 of 10 is [0.1871, 0.8129] (each end one-sided at 97.5 %);
  // for 0 of 10 the upper end is 1 − 0.025^{1/10} = 0.3085.
  EXPECT_NEAR(clopper_pearson_lower(5, 10, 0.975), 0.18709, 1e-5);
  EXPECT_NEAR(clopper_pearson_upper(5, 10, 0.975), 0.81291, 1e-5);
  EXPECT_NEAR(clopper_pearson_upper(0, 10, 0.975), 0.30850, 1e-5);
}

TEST(ClopperPearson, MatchesBisectionOfTheBinomialDistribution) {
  struct Case {
    int64_t k, n;
  };
  for (const Case c : {Case{1, 4}, Case{3, 4}, Case{7, 20}, Case{1, 100}, Case{50, 100}, Case{99, 100},
                       Case{3, 1000}, Case{640, 1000}})
    for (double level : {0.95, 0.975, 0.999}) {
      EXPECT_NEAR(clopper_pearson_upper(c.k, c.n, level), brute_upper(c.k, c.n, level), 1e-11) << c.k << "/" << c.n;
      EXPECT_NEAR(clopper_pearson_lower(c.k, c.n, level), brute_lower(c.k, c.n, level), 1e-11) << c.k << "/" << c.n;
    }
}

TEST(EmpiricalEpsilon, HandMadeRocPointEstimate) {
  // Members 0.8 0.7 0.6 0.1, non-members 0.9 0.5 0.4 0.3. At threshold 0.6: TP 3, FP 1, so
  // TPR = TNR = 3/4 and FPR = FNR = 1/4: ε = log 3, the best threshold (no rate is ever 0 there).
  const std::vector<double> scores = {0.8, 0.7, 0.6, 0.1, 0.9, 0.5, 0.4, 0.3};
  const std::vector<uint8_t> members = {1, 1, 1, 1, 0, 0, 0, 0};
  EmpiricalEpsilon e = empirical_epsilon(scores, members);
  EXPECT_NEAR(e.point.epsilon, std::log(3.0), 1e-15);
  EXPECT_EQ(e.point.threshold, 0.6);
  EXPECT_EQ(e.point.true_positives, 3);
  EXPECT_EQ(e.point.false_positives, 1);
  EXPECT_FALSE(e.point.complement);  // both forms give log 3; the direct one is kept on ties
  // With δ = 0.1: log((3/4 − 0.1)/(1/4)) = log 2.6.
  e = empirical_epsilon(scores, members, {0.95, 0.1});
  EXPECT_NEAR(e.point.epsilon, std::log(2.6), 1e-15);
  // Four of each cannot bound ε away from 0 at 95 %: TPR_lo(3/4) < FPR_hi(1/4).
  EXPECT_LT(brute_lower(3, 4, 0.975), brute_upper(1, 4, 0.975));
  EXPECT_EQ(e.lower_bound.epsilon, 0.0);
  EXPECT_EQ(e.lower_bound.threshold, INFINITY);
}

TEST(EmpiricalEpsilon, SeparatedScoresHaveAClosedFormBound) {
  // Ten members all above ten non-members: the point estimate is unbounded, and the bound is
  // attained where TP = 10, FP = 0: TPR_lo = a, FPR_hi = 1 − a with a = 0.025^{1/10}.
  std::vector<double> scores;
  std::vector<uint8_t> members;
  for (int i = 0; i < 10; ++i) {
    scores.push_back(10.0 + i);
    members.push_back(1);
    scores.push_back(i);
    members.push_back(0);
  }
  const EmpiricalEpsilon e = empirical_epsilon(scores, members);
  EXPECT_EQ(e.point.epsilon, INFINITY);
  const double a = std::pow(0.025, 0.1);
  EXPECT_NEAR(e.lower_bound.epsilon, std::log(a / (1 - a)), 1e-13);
  EXPECT_EQ(e.lower_bound.threshold, 10.0);
  EXPECT_EQ(e.lower_bound.true_positives, 10);
  EXPECT_EQ(e.lower_bound.false_positives, 0);
  EXPECT_NEAR(e.lower_bound.true_rate, a, 1e-14);
  EXPECT_NEAR(e.lower_bound.false_rate, 1 - a, 1e-14);
}

TEST(EmpiricalEpsilon, MaximumOverThresholdsMatchesDirectRecomputation) {
  for (unsigned seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise;
    std::vector<double> scores;
    std::vector<uint8_t> members;
    for (int i = 0; i < 150; ++i) {
      scores.push_back(2.0 + noise(rng));
      members.push_back(1);
    }
    for (int i = 0; i < 130; ++i) {
      scores.push_back(noise(rng));
      members.push_back(0);
    }
    for (double delta : {0.0, 1e-2}) {
      const EmpiricalEpsilon e = empirical_epsilon(scores, members, {0.9, delta});
      const RocCurve roc = roc_curve(scores, members);
      double best = 0.0, best_point = 0.0;
      for (size_t i = 0; i < roc.size(); ++i) {
        const int64_t tp = roc.true_positives[i], fp = roc.false_positives[i], P = 150, N = 130;
        const double tpr_lo = brute_lower(tp, P, 0.95), fpr_hi = brute_upper(fp, N, 0.95);
        const double tnr_lo = 1 - fpr_hi, fnr_hi = 1 - tpr_lo;
        if (tpr_lo > delta) best = std::max(best, std::log((tpr_lo - delta) / fpr_hi));
        if (tnr_lo > delta) best = std::max(best, std::log((tnr_lo - delta) / fnr_hi));
        const double tpr = double(tp) / P, fpr = double(fp) / N;
        if (fp > 0 && tpr > delta) best_point = std::max(best_point, std::log((tpr - delta) / fpr));
        if (tp < P && 1 - fpr > delta) best_point = std::max(best_point, std::log((1 - fpr - delta) / (1 - tpr)));
      }
      EXPECT_NEAR(e.lower_bound.epsilon, best, 1e-9) << seed;
      EXPECT_GT(e.lower_bound.epsilon, 0.5) << seed;  // a mean shift of 2 is far from private
      EXPECT_LE(e.lower_bound.epsilon, e.point.epsilon);
      if (std::isfinite(e.point.epsilon)) {
        EXPECT_NEAR(e.point.epsilon, best_point, 1e-12);
      }
      // Less confidence, a looser claim: the bound can only grow.
      EXPECT_GE(empirical_epsilon(scores, members, {0.5, delta}).lower_bound.epsilon, e.lower_bound.epsilon);
    }
  }
}

TEST(EmpiricalEpsilon, BadInputsAreErrors) {
  EXPECT_THROW(empirical_epsilon({1.0, 2.0}, {1, 1}), Error);
  EXPECT_THROW(empirical_epsilon({1.0, 2.0}, {1, 0}, {1.0, 0.0}), Error);
  EXPECT_THROW(empirical_epsilon({1.0, 2.0}, {1, 0}, {0.95, -0.1}), Error);
  EXPECT_THROW(empirical_epsilon({1.0, NAN}, {1, 0}), Error);
  EXPECT_THROW(clopper_pearson_upper(5, 4, 0.95), Error);
  EXPECT_THROW(clopper_pearson_lower(0, 0, 0.95), Error);
  EXPECT_THROW(clopper_pearson_lower(1, 4, 1.5), Error);
}

}  // namespace
}  // namespace cwrf::attack
