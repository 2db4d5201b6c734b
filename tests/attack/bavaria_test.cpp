// BaVarIA: the Student-t density and tail against hand computations; the conjugate update against
// a re-derivation in another parametrisation; the limits of the prior strength against LiRA
// (lira_scores); empirical Bayes on simulated hierarchies; separable and random signals; errors.
#include "cwrf/attack/bavaria.h"
#include "cwrf/attack/lira.h"
#include "cwrf/attack/roc.h"
#include "cwrf/common/error.h"
#include "synthetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>

namespace cwrf::attack {
namespace {

using testing::lira_membership;
using testing::noisy_signal;

std::vector<uint8_t> members_of(const MembershipMask& m, int64_t target) {
  std::vector<uint8_t> v(static_cast<size_t>(m.examples));
  for (int64_t n = 0; n < m.examples; ++n) v[n] = m(target, n);
  return v;
}

// Examples of different difficulty and spread: φ = base_n + shift·IN + sd_n·ε, sd_n from 0.3 to 3.
SignalArray heterogeneous_signal(const MembershipMask& m, int64_t queries, double shift, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise;
  std::uniform_real_distribution<double> log_sd(std::log(0.3), std::log(3.0));
  SignalArray a(m.models, m.examples, queries);
  for (int64_t n = 0; n < m.examples; ++n) {
    const double base = 2.0 * noise(rng), sd = std::exp(log_sd(rng));
    for (int64_t k = 0; k < m.models; ++k)
      for (int64_t q = 0; q < queries; ++q) a(k, n, q) = base + (m(k, n) ? shift * sd : 0.0) + sd * noise(rng);
  }
  return a;
}

// LiRA's fixed variance: pooled squared deviations about each group's mean over the groups' sizes.
double pooled_variance(const SignalArray& phi, const ShadowSplit& s, bool online) {
  double ss = 0, count = 0;
  for (int64_t n = 0; n < phi.examples; ++n)
    for (int64_t q = 0; q < phi.queries; ++q)
      for (bool in : {true, false}) {
        if (in && !online) continue;
        const int64_t k = in ? s.in_count : s.out_count;
        const int32_t* row = in ? s.in_row(n) : s.out_row(n);
        double mean = 0;
        for (int64_t j = 0; j < k; ++j) mean += phi(row[j], n, q) / k;
        for (int64_t j = 0; j < k; ++j) ss += (phi(row[j], n, q) - mean) * (phi(row[j], n, q) - mean);
        count += k;
      }
  return ss / count;
}

TEST(StudentT, LogDensityByHand) {
  const double loc = 1.5, s = 2.0;
  for (double x : {-7.0, 0.0, 1.5, 2.5, 40.0}) {
    const double z = (x - loc) / s;
    // ν = 1: Cauchy, 1/(π s (1 + z²)).
    EXPECT_NEAR(student_t_log_pdf(x, loc, s, 1), -std::log(M_PI * s * (1 + z * z)), 1e-13) << x;
    // ν = 2: (2 + z²)^{-3/2} / s.
    EXPECT_NEAR(student_t_log_pdf(x, loc, s, 2), -1.5 * std::log(2 + z * z) - std::log(s), 1e-13) << x;
    // ν = 3: Γ(2)/(√(3π) Γ(3/2)) = 2/(π√3), times (1 + z²/3)^{-2} / s.
    EXPECT_NEAR(student_t_log_pdf(x, loc, s, 3), std::log(2 / (M_PI * std::sqrt(3.0))) - 2 * std::log1p(z * z / 3) - std::log(s),
                1e-13) << x;
    // ν → ∞: the normal density, up to the t's own correction z⁴/(4ν).
    const double normal = -0.5 * std::log(2 * M_PI) - std::log(s) - 0.5 * z * z;
    EXPECT_NEAR(student_t_log_pdf(x, loc, s, 1e12), normal, 1e-12 + z * z * z * z / 1e12) << x;
  }
  // Across the switch to the asymptotic series for lgamma((ν + 1)/2) − lgamma(ν/2) (at ν = 100), against
  // the same constants in long double (~19 digits).
  for (double dof : {7.0, 99.0, 101.0, 2e4}) {  // beyond, long double lgamma itself rounds at 1e-13
    const long double c = std::lgamma((dof + 1) / 2.0L) - std::lgamma(dof / 2.0L) - 0.5L * std::log(dof * M_PIl);
    EXPECT_NEAR(student_t_log_pdf(0.0, 0.0, 1.0, dof), static_cast<double>(c), 1e-13) << dof;
  }
}

TEST(StudentT, UpperTailByHand) {
  for (double z : {-1e3, -5.0, -0.3, 0.0, 0.7, 4.0, 1e3}) {
    // ν = 1: ½ − atan(z)/π; ν = 2: ½ − z / (2√(2 + z²)).
    const double cauchy = z > 0 ? std::atan(1 / z) / M_PI : 0.5 - std::atan(z) / M_PI;  // the same, without cancellation
    EXPECT_NEAR(student_t_log_sf(3 + 2 * z, 3, 2, 1), std::log(cauchy), 1e-12) << z;
    const double two = z > 0 ? 1.0 / (std::sqrt(2 + z * z) * (std::sqrt(2 + z * z) + z)) : 0.5 - z / (2 * std::sqrt(2 + z * z));
    EXPECT_NEAR(student_t_log_sf(z, 0, 1, 2), std::log(two), 1e-12) << z;
    EXPECT_NEAR(student_t_log_sf(z, 0, 1, 1e12), log_normal_sf(z), 1e-9 * (1 + z * z)) << z;
  }
  // Far in the tail, where the sf underflows a naive 1 − cdf: for ν = 3 the density is
  // 2/(π√3) (1 + z²/3)^-2 ≈ 18/(π√3) z^-4, so Pr[T ≥ z] ≈ 6/(π√3) z^-3 (relative error O(z^-2)).
  EXPECT_NEAR(student_t_log_sf(1e8, 0, 1, 3), std::log(6 / (M_PI * std::sqrt(3.0))) - 3 * std::log(1e8), 1e-9);
}

TEST(Bavaria, ConjugateUpdateMatchesTheScaledInverseChiSquareForm) {
  // Gelman et al., BDA3 §3.3: ν_n = ν0 + k, κ_n = κ0 + k, μ_n = (κ0 μ0 + k x̄)/κ_n,
  // ν_n σ_n² = ν0 σ0² + S + κ0 k (x̄ − μ0)²/κ_n; predictive t_{ν_n}(μ_n, σ_n² (1 + 1/κ_n)).
  const MembershipMask m = lira_membership(9, 25, 21);
  const SignalArray phi = heterogeneous_signal(m, 2, 1.0, 22);
  const ShadowSplit split = split_shadows(m, 0);
  BavariaOptions o;
  o.mean_strength = 2.0;
  o.variance_strength = 3.0;
  o.prior_variance = 0.7;
  const BavariaPrior prior = bavaria_prior(phi, split, o);
  for (bool student : {true, false}) {
    o.student_t = student;
    const auto scores = bavaria_scores(phi, split, o);
    for (int64_t n = 0; n < m.examples; ++n) {
      double total = 0;
      for (int64_t q = 0; q < 2; ++q) {
        double log_p[2];
        for (int g = 0; g < 2; ++g) {
          const bool in = g == 0;
          const int64_t k = in ? split.in_count : split.out_count;
          const int32_t* row = in ? split.in_row(n) : split.out_row(n);
          double mean = 0, ss = 0;
          for (int64_t j = 0; j < k; ++j) mean += phi(row[j], n, q) / k;
          for (int64_t j = 0; j < k; ++j) ss += (phi(row[j], n, q) - mean) * (phi(row[j], n, q) - mean);
          const double mu0 = in ? prior.mean_in[q] : prior.mean_out[q];
          const double nu_n = 3.0 + k, kappa_n = 2.0 + k, mu_n = (2.0 * mu0 + k * mean) / kappa_n;
          const double s2_n = (3.0 * 0.7 + ss + 2.0 * k * (mean - mu0) * (mean - mu0) / kappa_n) / nu_n;
          const double x = phi(0, n, q);
          if (student) {
            const double s = std::sqrt(s2_n * (1 + 1 / kappa_n)), z = (x - mu_n) / s;
            log_p[g] = std::lgamma((nu_n + 1) / 2) - std::lgamma(nu_n / 2) - 0.5 * std::log(nu_n * M_PI) - std::log(s) -
                       (nu_n + 1) / 2 * std::log1p(z * z / nu_n);
          } else {  // NIG α_n = ν_n/2, β_n = ν_n σ_n²/2: the stabilised variance β_n/α_n is σ_n²
            const double z = (x - mu_n) / std::sqrt(s2_n);
            log_p[g] = -0.5 * std::log(2 * M_PI * s2_n) - 0.5 * z * z;
          }
        }
        total += log_p[0] - log_p[1];
      }
      EXPECT_NEAR(scores[n], total / 2, 1e-10) << (student ? "t " : "n ") << n;
    }
  }
}

TEST(Bavaria, PriorStrengthLimitsAreLira) {
  // K = 6: two IN and two OUT shadows per example, so LiRA's medians are the means BaVarIA uses.
  const MembershipMask m = lira_membership(6, 80, 31);
  const SignalArray phi = heterogeneous_signal(m, 2, 1.0, 32);
  const ShadowSplit split = split_shadows(m, 0);
  ASSERT_EQ(split.in_count, 2);
  ASSERT_EQ(split.out_count, 2);
  double worst_weak = 0, worst_strong = 0, worst_t = 0;
  for (bool online : {true, false}) {
    BavariaOptions o;
    o.online = online;
    o.student_t = false;
    // ν0 → 0: the per-example variance S/k, i.e. LiRA per-example (ν0 σ0² must be small against the
    // smallest S, which two shadows make ~1e-6 somewhere).
    o.variance_strength = 1e-15;
    o.prior_variance = 1.0;
    const auto weak = bavaria_scores(phi, split, o);
    const auto lira = lira_scores(phi, split, {online, false});
    for (int64_t n = 0; n < m.examples; ++n) {
      EXPECT_NEAR(weak[n], lira[n], 1e-6 * (1 + std::abs(lira[n]))) << n;
      worst_weak = std::max(worst_weak, std::abs(weak[n] - lira[n]));
    }
    // ν0 → ∞ with σ0² = LiRA's pooled variance: LiRA with the fixed variance.
    const double pooled = pooled_variance(phi, split, online);
    o.variance_strength = 1e12;
    o.prior_variance = pooled;
    const auto strong = bavaria_scores(phi, split, o);
    const auto fixed = lira_scores(phi, split, {online, true});
    for (int64_t n = 0; n < m.examples; ++n) {
      EXPECT_NEAR(strong[n], fixed[n], 1e-8 * (1 + std::abs(fixed[n]))) << n;
      worst_strong = std::max(worst_strong, std::abs(strong[n] - fixed[n]));
    }
    // BaVarIA-t at ν0 → ∞: the Gaussian with variance σ0² (1 + 1/k) about the group means.
    o.student_t = true;
    const auto t = bavaria_scores(phi, split, o);
    const double s = std::sqrt(pooled * 1.5);
    for (int64_t n = 0; n < m.examples; ++n) {
      double total = 0;
      for (int64_t q = 0; q < 2; ++q) {
        const double x = phi(0, n, q);
        const double mi = 0.5 * (phi(split.in_row(n)[0], n, q) + phi(split.in_row(n)[1], n, q));
        const double mo = 0.5 * (phi(split.out_row(n)[0], n, q) + phi(split.out_row(n)[1], n, q));
        total += online ? 0.5 * ((x - mo) * (x - mo) - (x - mi) * (x - mi)) / (s * s) : -log_normal_sf((x - mo) / s);
      }
      EXPECT_NEAR(t[n], total / 2, 1e-6 * (1 + std::abs(total))) << n;
      worst_t = std::max(worst_t, std::abs(t[n] - total / 2));
    }
  }
  std::cout << "max |BaVarIA-n(nu0=1e-15) - LiRA per-example| = " << worst_weak
            << ", max |BaVarIA-n(nu0=1e12, pooled) - LiRA fixed| = " << worst_strong
            << ", max |BaVarIA-t(nu0=1e12) - Gaussian(1 + 1/k)| = " << worst_t << "\n";
}

// φ for a hierarchy with known hyper-parameters: σ²_{n,g} ~ InvGamma(ν0/2, ν0 σ0²/2) per example and group.
SignalArray hierarchical_signal(const MembershipMask& m, double nu0, double sigma0_sq, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise;
  std::chi_squared_distribution<double> chi(nu0);
  SignalArray a(m.models, m.examples, 1);
  for (int64_t n = 0; n < m.examples; ++n) {
    const double base = noise(rng);
    const double sd_in = std::sqrt(nu0 * sigma0_sq / chi(rng)), sd_out = std::sqrt(nu0 * sigma0_sq / chi(rng));
    for (int64_t k = 0; k < m.models; ++k) a(k, n, 0) = base + (m(k, n) ? 1.0 + sd_in * noise(rng) : sd_out * noise(rng));
  }
  return a;
}

TEST(Bavaria, EmpiricalBayesRecoversTheHyperParameters) {
  const MembershipMask m = lira_membership(10, 3000, 41);  // 4 IN and 4 OUT shadows: 3 degrees of freedom each
  for (double nu0 : {4.0, 12.0}) {
    const BavariaPrior p = bavaria_prior(hierarchical_signal(m, nu0, 0.5, 42), split_shadows(m, 0), {});
    std::cout << "simulated nu0 " << nu0 << ", sigma0^2 0.5: fitted nu0 " << p.variance_strength << ", sigma0^2 "
              << p.prior_variance << " from " << p.fitted_groups << " groups\n";
    EXPECT_EQ(p.fitted_groups, 6000);
    EXPECT_NEAR(p.variance_strength, nu0, 0.3 * nu0);
    EXPECT_NEAR(p.prior_variance, 0.5, 0.05);
    EXPECT_FALSE(p.strength_at_bound);
  }
  // Equal variances everywhere: the fit wants a very strong prior (a fixed variance).
  const SignalArray flat = noisy_signal(m, 1, 0.0, 1.0, 0.8, 43);
  const BavariaPrior p = bavaria_prior(flat, split_shadows(m, 0), {});
  EXPECT_GT(p.variance_strength, 50.0);  // far above the 4 shadows per group
  EXPECT_NEAR(p.prior_variance, 0.64, 0.03);
  // Offline the prior comes from the OUT groups alone.
  BavariaOptions off;
  off.online = false;
  EXPECT_EQ(bavaria_prior(flat, split_shadows(m, 0), off).fitted_groups, 3000);
}

TEST(Bavaria, FewShadowsComparedWithLira) {
  // Heterogeneous variances: what the stabilised variance buys with 2 and with 7 shadows per group (reported;
  // asserted only against LiRA's noisy per-example variance at K = 6).
  for (int64_t models : {6, 16}) {
    double auc[4] = {0, 0, 0, 0};
    const int seeds = 5;
    for (int s = 0; s < seeds; ++s) {
      const MembershipMask m = lira_membership(models, 2000, 50 + s);
      const SignalArray phi = heterogeneous_signal(m, 2, 1.0, 60 + s);
      const ShadowSplit split = split_shadows(m, 0);
      const auto member = members_of(m, 0);
      BavariaOptions t, n;
      n.student_t = false;
      auc[0] += roc_auc(roc_curve(lira_scores(phi, split, {true, false}), member)) / seeds;
      auc[1] += roc_auc(roc_curve(lira_scores(phi, split, {true, true}), member)) / seeds;
      auc[2] += roc_auc(roc_curve(bavaria_scores(phi, split, n), member)) / seeds;
      auc[3] += roc_auc(roc_curve(bavaria_scores(phi, split, t), member)) / seeds;
    }
    std::cout << "K = " << models << ", mean AUC over " << seeds << " seeds: LiRA per-example " << auc[0]
              << ", LiRA fixed " << auc[1] << ", BaVarIA-n " << auc[2] << ", BaVarIA-t " << auc[3] << "\n";
    if (models == 6) {
      EXPECT_GT(auc[2], auc[0]);
      EXPECT_GT(auc[3], auc[0]);
    }
  }
}

TEST(Bavaria, SeparableAndRandomSignals) {
  const MembershipMask m = lira_membership(9, 400, 71);
  const SignalArray phi = noisy_signal(m, 2, 0.0, 3.0, 0.1, 72);
  for (bool online : {true, false})
    for (bool student : {true, false}) {
      BavariaOptions o;
      o.online = online;
      o.student_t = student;
      EXPECT_DOUBLE_EQ(roc_auc(roc_curve(bavaria_scores(phi, split_shadows(m, 0), o), members_of(m, 0))), 1.0)
          << bavaria_variant(o);
      double total = 0;
      const int seeds = 10;
      for (int s = 0; s < seeds; ++s) {
        const MembershipMask r = lira_membership(9, 1000, 700 + s);
        const SignalArray noise = noisy_signal(r, 2, 0.0, 0.0, 1.0, 800 + s);
        const double auc = roc_auc(roc_curve(bavaria_scores(noise, split_shadows(r, 0), o), members_of(r, 0)));
        EXPECT_NEAR(auc, 0.5, 0.07) << bavaria_variant(o) << " seed " << s;
        total += auc;
      }
      EXPECT_NEAR(total / seeds, 0.5, 0.03) << bavaria_variant(o);
    }
}

TEST(Bavaria, ShortfallsAndErrors) {
  MembershipMask m = lira_membership(2, 10, 1);
  SignalArray phi = noisy_signal(m, 1, 0, 1, 1, 1);
  EXPECT_NE(bavaria_shortfall(split_shadows(m, 0), {}).find("IN shadow"), std::string::npos);
  EXPECT_THROW(bavaria_scores(phi, split_shadows(m, 0), {}), Error);
  // K = 4: one IN and one OUT shadow each: no spread to fit a prior to, but a given prior works.
  m = lira_membership(4, 10, 1);
  phi = noisy_signal(m, 1, 0, 1, 1, 1);
  EXPECT_NE(bavaria_shortfall(split_shadows(m, 0), {}).find("2 shadows"), std::string::npos);
  BavariaOptions given;
  given.variance_strength = 4.0;
  given.prior_variance = 1.0;
  EXPECT_EQ(bavaria_shortfall(split_shadows(m, 0), given), "");
  EXPECT_EQ(bavaria_scores(phi, split_shadows(m, 0), given).size(), 10u);
  BavariaOptions bad;
  bad.variance_strength = -1.0;
  EXPECT_THROW(bavaria_scores(phi, split_shadows(lira_membership(6, 10, 1), 0), bad), Error);
  bad = BavariaOptions{};
  bad.mean_strength = NAN;
  EXPECT_THROW(bavaria_scores(phi, split_shadows(lira_membership(6, 10, 1), 0), bad), Error);
  // Identical shadow values give nothing to fit.
  const MembershipMask six = lira_membership(6, 10, 2);
  EXPECT_THROW(bavaria_scores(SignalArray(6, 10, 1, 0.5), split_shadows(six, 0), {}), Error);
  EXPECT_THROW(student_t_log_pdf(0, 0, 0, 3), Error);
  EXPECT_THROW(student_t_log_sf(0, 0, 1, 0), Error);
  EXPECT_EQ(bavaria_variant(BavariaOptions{}), "t-online");
}

}  // namespace
}  // namespace cwrf::attack
