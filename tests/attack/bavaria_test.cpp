// BaVarIA: the Student-t density and tail against hand computations; the scores against a direct
// re-implementation of the author's formulas (rickardbrannvall/exponential-family-mia methods.py,
// bavaria.h) and against a re-derivation in BDA3's parametrisation; the limits that are LiRA
// (lira_scores; the BaVarIA paper's BASE4 ≡ LiRA online); the "fit" prior on simulated
// hierarchies; separable and random signals; errors.
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

// log of scipy.stats.t.pdf(x, nu, loc, scale) and norm.pdf, spelled out.
double t_log_pdf(double x, double nu, double loc, double scale) {
  const double z = (x - loc) / scale;
  return std::lgamma((nu + 1) / 2) - std::lgamma(nu / 2) - 0.5 * std::log(nu * M_PI) - std::log(scale) -
         (nu + 1) / 2 * std::log1p(z * z / nu);
}
double n_log_pdf(double x, double loc, double var) { return -0.5 * std::log(2 * M_PI * var) - 0.5 * (x - loc) * (x - loc) / var; }

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

TEST(Bavaria, MatchesTheAuthorsFormulas) {
  // methods.py, one example and query at a time: _nig_priors (μ0, var over all of a group's values,
  // β0 = var (α0 − 1) or var), _nig_posterior, bavaria_n / bavaria_t, online and offline (the IN
  // class is the prior: bavaria_t's prior predictive, bavaria_n's (μ0_in, β0_in/(α0 − 1) or β0_in)).
  const MembershipMask m = lira_membership(9, 40, 11);  // 3 IN and 4 OUT shadows after equalising
  const SignalArray phi = heterogeneous_signal(m, 2, 1.0, 12);
  const ShadowSplit split = split_shadows(m, 0);
  ASSERT_NE(split.in_count, split.out_count);
  for (bool student : {true, false})
    for (bool online : {true, false}) {
      BavariaOptions o;
      o.student_t = student;
      o.online = online;
      const double kappa0 = 1.0, alpha0 = student ? 2.0 : 1.0;
      const auto scores = bavaria_scores(phi, split, o);
      for (int64_t n = 0; n < m.examples; ++n) {
        double total = 0;
        for (int64_t q = 0; q < 2; ++q) {
          double mu0[2], beta0[2];
          for (int g = 0; g < 2; ++g) {  // 0: IN, 1: OUT
            double sum = 0, sq = 0, count = 0;
            for (int64_t e = 0; e < m.examples; ++e) {
              const int64_t k = g == 0 ? split.in_count : split.out_count;
              for (int64_t j = 0; j < k; ++j) {
                const double v = phi(g == 0 ? split.in_row(e)[j] : split.out_row(e)[j], e, q);
                sum += v, sq += v * v, count += 1;
              }
            }
            mu0[g] = sum / count;
            const double var = sq / count - mu0[g] * mu0[g];
            beta0[g] = alpha0 > 1 ? var * (alpha0 - 1) : var;
          }
          double log_p[2];
          for (int g = 0; g < 2; ++g) {
            const int64_t k = (g == 0 && !online) ? 0 : (g == 0 ? split.in_count : split.out_count);
            double xbar = mu0[g], ss = 0;
            if (k > 0) {
              xbar = 0;
              for (int64_t j = 0; j < k; ++j) xbar += phi(g == 0 ? split.in_row(n)[j] : split.out_row(n)[j], n, q) / k;
              for (int64_t j = 0; j < k; ++j) {
                const double d = phi(g == 0 ? split.in_row(n)[j] : split.out_row(n)[j], n, q) - xbar;
                ss += d * d;
              }
            }
            const double kappa_n = kappa0 + k, alpha_n = alpha0 + k / 2.0;
            const double beta_n = beta0[g] + 0.5 * ss + 0.5 * kappa0 * k * (xbar - mu0[g]) * (xbar - mu0[g]) / kappa_n;
            const double x = phi(0, n, q);
            if (student) {
              const double mu_n = (kappa0 * mu0[g] + k * xbar) / kappa_n;
              log_p[g] = t_log_pdf(x, 2 * alpha_n, mu_n, std::sqrt(beta_n * (kappa_n + 1) / (alpha_n * kappa_n)));
            } else {
              log_p[g] = n_log_pdf(x, xbar, alpha_n > 1 ? beta_n / (alpha_n - 1) : beta_n);
            }
          }
          total += log_p[0] - log_p[1];
        }
        EXPECT_NEAR(scores[n], total / 2, 1e-10) << bavaria_variant(o) << " " << n;
      }
    }
}

TEST(Bavaria, ConjugateUpdateMatchesTheScaledInverseChiSquareForm) {
  // Gelman et al., BDA3 §3.3: ν_n = ν0 + k, κ_n = κ0 + k, μ_n = (κ0 μ0 + k x̄)/κ_n,
  // ν_n σ_n² = ν0 σ0² + S + κ0 k (x̄ − μ0)²/κ_n; predictive t_{ν_n}(μ_n, σ_n² (1 + 1/κ_n)); the
  // posterior mean of σ² is ν_n σ_n²/(ν_n − 2). NIG: α0 = ν0/2, β0 = ν0 σ0²/2.
  const MembershipMask m = lira_membership(9, 25, 21);
  const SignalArray phi = heterogeneous_signal(m, 2, 1.0, 22);
  const ShadowSplit split = split_shadows(m, 0);
  BavariaOptions o;
  o.kappa0 = 2.0;
  o.alpha0 = 1.5;         // ν0 = 3
  o.beta0 = 1.5 * 0.7;    // σ0² = 0.7
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
          log_p[g] = student ? t_log_pdf(x, nu_n, mu_n, std::sqrt(s2_n * (1 + 1 / kappa_n)))
                             : n_log_pdf(x, mean, nu_n * s2_n / (nu_n - 2));
        }
        total += log_p[0] - log_p[1];
      }
      EXPECT_NEAR(scores[n], total / 2, 1e-10) << (student ? "t " : "n ") << n;
    }
  }
}

TEST(Bavaria, PriorLimitsAreLira) {
  // K = 6: two IN and two OUT shadows per example, so LiRA's medians are the means BaVarIA uses.
  const MembershipMask m = lira_membership(6, 80, 31);
  const SignalArray phi = heterogeneous_signal(m, 2, 1.0, 32);
  const ShadowSplit split = split_shadows(m, 0);
  ASSERT_EQ(split.in_count, 2);
  ASSERT_EQ(split.out_count, 2);
  BavariaOptions o;
  o.student_t = false;
  // κ0 → 0, α0 = 1, β0 → 0: the variance β_n/(α_n − 1) is S/k, LiRA's per-example variance (ddof 0):
  // the BaVarIA paper's BASE4, "equivalent to LiRA online".
  o.kappa0 = 1e-20;
  o.alpha0 = 1.0;
  o.beta0 = 1e-300;
  const auto weak = bavaria_scores(phi, split, o);
  const auto lira = lira_scores(phi, split, {true, false});
  double worst_weak = 0, worst_strong = 0, worst_t = 0;
  for (int64_t n = 0; n < m.examples; ++n) {
    EXPECT_NEAR(weak[n], lira[n], 1e-6 * (1 + std::abs(lira[n]))) << n;
    worst_weak = std::max(worst_weak, std::abs(weak[n] - lira[n]));
  }
  // α0 → ∞ with β0 = (α0 − 1) σ², σ² LiRA's pooled variance: LiRA with the fixed variance.
  const double pooled = pooled_variance(phi, split, true);
  o.alpha0 = 1e12;
  o.beta0 = (o.alpha0 - 1) * pooled;
  const auto strong = bavaria_scores(phi, split, o);
  const auto fixed = lira_scores(phi, split, {true, true});
  for (int64_t n = 0; n < m.examples; ++n) {
    EXPECT_NEAR(strong[n], fixed[n], 1e-6 * (1 + std::abs(fixed[n]))) << n;
    worst_strong = std::max(worst_strong, std::abs(strong[n] - fixed[n]));
  }
  // BaVarIA-t there: the Gaussian with variance σ² (1 + 1/k) about the group means.
  o.student_t = true;
  const auto t = bavaria_scores(phi, split, o);
  const double s = std::sqrt(pooled * 1.5);
  for (int64_t n = 0; n < m.examples; ++n) {
    double total = 0;
    for (int64_t q = 0; q < 2; ++q) {
      const double x = phi(0, n, q);
      const double mi = 0.5 * (phi(split.in_row(n)[0], n, q) + phi(split.in_row(n)[1], n, q));
      const double mo = 0.5 * (phi(split.out_row(n)[0], n, q) + phi(split.out_row(n)[1], n, q));
      total += 0.5 * ((x - mo) * (x - mo) - (x - mi) * (x - mi)) / (s * s);
    }
    EXPECT_NEAR(t[n], total / 2, 1e-5 * (1 + std::abs(total))) << n;
    worst_t = std::max(worst_t, std::abs(t[n] - total / 2));
  }
  std::cout << "max |BaVarIA-n(kappa0, beta0 -> 0) - LiRA per-example| = " << worst_weak
            << ", max |BaVarIA-n(alpha0 -> inf) - LiRA fixed| = " << worst_strong
            << ", max |BaVarIA-t(alpha0 -> inf) - Gaussian(1 + 1/k)| = " << worst_t << "\n";
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

TEST(Bavaria, FittedPriorRecoversTheHyperParameters) {
  const MembershipMask m = lira_membership(10, 3000, 41);  // 4 IN and 4 OUT shadows: 3 degrees of freedom each
  BavariaOptions fit;
  fit.prior = "fit";
  for (double nu0 : {4.0, 12.0}) {
    const BavariaPrior p = bavaria_prior(hierarchical_signal(m, nu0, 0.5, 42), split_shadows(m, 0), fit);
    const double sigma0_sq = p.beta_in[0] / p.alpha0;
    std::cout << "simulated nu0 " << nu0 << ", sigma0^2 0.5: fitted nu0 " << 2 * p.alpha0 << ", sigma0^2 " << sigma0_sq
              << " from " << p.fitted_groups << " groups\n";
    EXPECT_EQ(p.fitted_groups, 6000);
    EXPECT_NEAR(2 * p.alpha0, nu0, 0.3 * nu0);
    EXPECT_NEAR(sigma0_sq, 0.5, 0.05);
    EXPECT_FALSE(p.strength_at_bound);
  }
  // Equal variances everywhere: the fit wants a very strong prior (a fixed variance).
  const SignalArray flat = noisy_signal(m, 1, 0.0, 1.0, 0.8, 43);
  const BavariaPrior p = bavaria_prior(flat, split_shadows(m, 0), fit);
  EXPECT_GT(2 * p.alpha0, 50.0);  // far above the 4 shadows per group
  EXPECT_NEAR(p.beta_out[0] / p.alpha0, 0.64, 0.03);
  // Offline the variance prior comes from the OUT groups alone; a given α0 fits β0 only.
  fit.online = false;
  EXPECT_EQ(bavaria_prior(flat, split_shadows(m, 0), fit).fitted_groups, 3000);
  fit.alpha0 = 3.0;
  EXPECT_EQ(bavaria_prior(flat, split_shadows(m, 0), fit).alpha0, 3.0);
  // The default, moment-matched prior: β0 = V (α0 − 1) with V the pooled variance, which for this
  // signal is 0.8² within examples plus the membership shift's spread, ¼ online (IN and OUT) ...
  const BavariaPrior moments = bavaria_prior(flat, split_shadows(m, 0), {});
  EXPECT_EQ(moments.alpha0, 2.0);
  EXPECT_NEAR(moments.beta_out[0], 0.64, 0.03);  // the OUT values alone have no shift
  EXPECT_NEAR(moments.mean_in[0], 1.0, 0.02);
  EXPECT_NEAR(moments.mean_out[0], 0.0, 0.02);
  EXPECT_EQ(moments.fitted_groups, 0);
}

TEST(Bavaria, FewShadowsComparedWithLira) {
  // Heterogeneous variances: what the prior buys with 2 and with 7 shadows per group (reported;
  // asserted only against LiRA's noisy per-example variance at K = 6).
  for (int64_t models : {6, 16}) {
    double auc[6] = {0, 0, 0, 0, 0, 0};
    const int seeds = 5;
    for (int s = 0; s < seeds; ++s) {
      const MembershipMask m = lira_membership(models, 2000, 50 + s);
      const SignalArray phi = heterogeneous_signal(m, 2, 1.0, 60 + s);
      const ShadowSplit split = split_shadows(m, 0);
      const auto member = members_of(m, 0);
      BavariaOptions t, n, t_off, n_off;
      n.student_t = n_off.student_t = false;
      t_off.online = n_off.online = false;
      auc[0] += roc_auc(roc_curve(lira_scores(phi, split, {true, false}), member)) / seeds;
      auc[1] += roc_auc(roc_curve(lira_scores(phi, split, {true, true}), member)) / seeds;
      auc[2] += roc_auc(roc_curve(bavaria_scores(phi, split, n), member)) / seeds;
      auc[3] += roc_auc(roc_curve(bavaria_scores(phi, split, t), member)) / seeds;
      auc[4] += roc_auc(roc_curve(lira_scores(phi, split, {false, true}), member)) / seeds;
      auc[5] += roc_auc(roc_curve(bavaria_scores(phi, split, t_off), member)) / seeds;
    }
    std::cout << "K = " << models << ", mean AUC over " << seeds << " seeds: online LiRA per-example " << auc[0]
              << ", LiRA fixed " << auc[1] << ", BaVarIA-n " << auc[2] << ", BaVarIA-t " << auc[3]
              << "; offline LiRA fixed " << auc[4] << ", BaVarIA-t " << auc[5] << "\n";
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
  BavariaOptions offline;
  offline.online = false;
  EXPECT_NE(bavaria_shortfall(split_shadows(m, 0), offline).find("IN prior"), std::string::npos);
  EXPECT_THROW(bavaria_scores(phi, split_shadows(m, 0), {}), Error);
  // K = 4: one IN and one OUT shadow each: the moment-matched prior works, a fitted one has no spread to fit.
  m = lira_membership(4, 10, 1);
  phi = noisy_signal(m, 1, 0, 1, 1, 1);
  EXPECT_EQ(bavaria_shortfall(split_shadows(m, 0), {}), "");
  EXPECT_EQ(bavaria_scores(phi, split_shadows(m, 0), {}).size(), 10u);
  BavariaOptions fit;
  fit.prior = "fit";
  EXPECT_NE(bavaria_shortfall(split_shadows(m, 0), fit).find("2 shadows"), std::string::npos);
  BavariaOptions bad;
  bad.kappa0 = 0.0;
  EXPECT_THROW(bavaria_scores(phi, split_shadows(lira_membership(6, 10, 1), 0), bad), Error);
  bad = BavariaOptions{};
  bad.alpha0 = NAN;
  EXPECT_THROW(bavaria_scores(phi, split_shadows(lira_membership(6, 10, 1), 0), bad), Error);
  bad = BavariaOptions{};
  bad.prior = "flat";
  EXPECT_THROW(bavaria_scores(phi, split_shadows(lira_membership(6, 10, 1), 0), bad), Error);
  // Identical shadow values: nothing to fit; the moment prior is floored and scores are finite.
  const MembershipMask six = lira_membership(6, 10, 2);
  EXPECT_THROW(bavaria_scores(SignalArray(6, 10, 1, 0.5), split_shadows(six, 0), fit), Error);
  for (double v : bavaria_scores(SignalArray(6, 10, 1, 0.5), split_shadows(six, 0), {})) EXPECT_TRUE(std::isfinite(v));
  EXPECT_THROW(student_t_log_pdf(0, 0, 0, 3), Error);
  EXPECT_THROW(student_t_log_sf(0, 0, 1, 0), Error);
  EXPECT_EQ(bavaria_variant(BavariaOptions{}), "t-online");
  EXPECT_EQ(bavaria_alpha0(BavariaOptions{}), 2.0);
}

}  // namespace
}  // namespace cwrf::attack
