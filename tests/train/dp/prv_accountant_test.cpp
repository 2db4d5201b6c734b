// The PRV accountant against (a) the RDP accountant, which it must not exceed; (b) monotonicity;
// (c) the exact Gaussian mechanism for full batches (Balle & Wang 2018, Theorem 8, composed: the
// T-fold Gaussian mechanism is one Gaussian mechanism with μ = √T/σ); (d) δ(ε) by direct
// numerical integration over the mechanism's outputs, for 1 to 3 steps; (e) the values opacus
// tests its PRV accountant with, computed with microsoft/prv_accountant.
#include "cwrf/common/error.h"
#include "cwrf/train/dp/accountant.h"
#include "cwrf/train/dp/prv_accountant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <iomanip>
#include <iostream>

namespace cwrf::train::dp {
namespace {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// The ε in [0, 200] with delta_of(ε) = δ, by bisection (δ(ε) decreases in ε).
double solve_epsilon(const std::function<double(double)>& delta_of, double delta) {
  double lo = 0.0, hi = 200.0;
  if (delta_of(0.0) <= delta) return 0.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (delta_of(mid) > delta ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// Balle & Wang 2018: the Gaussian mechanism with sensitivity / noise μ has
// δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2).
double gaussian_epsilon(double mu, double delta) {
  return solve_epsilon([mu](double eps) { return normal_cdf(-eps / mu + mu / 2) - std::exp(eps) * normal_cdf(-eps / mu - mu / 2); },
                       delta);
}

// The subsampled Gaussian mechanism written out: outputs ω ~ P = q N(1, σ²) + (1 − q) N(0, σ²)
// against Q = N(0, σ²), loss y(ω) = log(P/Q)(ω). One step: δ_1(u) = Pr_P[y > u] − e^u Pr_Q[y > u]
// (as p(ω) e^{−y(ω)} = q(ω)); T steps: δ_T(ε) = E_{ω_1..ω_{T−1} ~ P}[δ_1(ε − Σ y(ω_i))], integrated
// by Simpson's rule over ±12σ (mass e^-72 left out).
struct Mechanism {
  double q, sigma;
  double loss(double w) const { return std::log(1 - q + q * std::exp((2 * w - 1) / (2 * sigma * sigma))); }
  double density(double w) const {
    const double a = (w - 1) / sigma, b = w / sigma;
    return (q * std::exp(-a * a / 2) + (1 - q) * std::exp(-b * b / 2)) / (sigma * std::sqrt(2 * M_PI));
  }
  double delta_one(double u) const {
    const double e = std::exp(u) - 1 + q;  // the output where the loss is u: σ² log(e/q) + ½
    if (e <= 0) return 1 - std::exp(u);
    const double w = sigma * sigma * std::log(e / q) + 0.5;
    const double sp = q * normal_cdf(-(w - 1) / sigma) + (1 - q) * normal_cdf(-w / sigma);
    return sp - std::exp(u) * normal_cdf(-w / sigma);
  }
  double delta(double eps, int steps, int intervals) const {
    const double lo = -12 * sigma, hi = 1 + 12 * sigma, h = (hi - lo) / intervals;
    auto weight = [&](int i) { return (i == 0 || i == intervals ? 1.0 : (i % 2 ? 4.0 : 2.0)) * h / 3; };
    if (steps == 1) return delta_one(eps);
    double total = 0;
    for (int i = 0; i <= intervals; ++i) {
      const double w1 = lo + i * h, f1 = weight(i) * density(w1), y1 = loss(w1);
      if (steps == 2) {
        total += f1 * delta_one(eps - y1);
        continue;
      }
      for (int j = 0; j <= intervals; ++j) {
        const double w2 = lo + j * h;
        total += f1 * weight(j) * density(w2) * delta_one(eps - y1 - loss(w2));
      }
    }
    return total;
  }
};

TEST(PrvAccountant, NeverAboveTheRdpAccountant) {
  std::cout << std::setprecision(9);
  struct Case {
    double sigma, q;
    int64_t steps;
  };
  for (const Case c : {Case{1.1, 0.01, 10000}, Case{1.0, 0.004, 5000}, Case{0.8, 0.05, 100}, Case{2.0, 0.2, 50},
                       Case{1.5, 1.0, 10}, Case{0.7, 0.001, 1000}}) {
    const PrvEpsilon prv = prv_epsilon(c.sigma, c.q, c.steps, 1e-5);
    const double rdp = epsilon(c.sigma, c.q, c.steps, 1e-5);
    std::cout << "sigma " << c.sigma << " q " << c.q << " T " << c.steps << ": PRV [" << prv.lower << ", "
              << prv.estimate << ", " << prv.upper << "] (" << prv.grid_points << " points), RDP " << rdp << "\n";
    EXPECT_LE(prv.upper, rdp) << c.sigma << " " << c.q << " " << c.steps;
    EXPECT_LE(prv.lower, prv.estimate);
    EXPECT_LE(prv.estimate, prv.upper);
  }
}

TEST(PrvAccountant, MonotoneInStepsAndNoise) {
  double previous = 0;
  for (int64_t steps : {1, 10, 100, 1000, 5000}) {
    const double eps = prv_epsilon(1.0, 0.01, steps, 1e-5).estimate;
    EXPECT_GT(eps, previous) << steps;
    previous = eps;
  }
  previous = INFINITY;
  for (double sigma : {0.7, 1.0, 1.5, 3.0}) {
    const double eps = prv_epsilon(sigma, 0.01, 1000, 1e-5).estimate;
    EXPECT_LT(eps, previous) << sigma;
    previous = eps;
  }
}

TEST(PrvAccountant, FullBatchIsTheAnalyticGaussianMechanism) {
  struct Case {
    double sigma;
    int64_t steps;
    bool fine;  // also at eps_error 1e-3 (10× the grid points: kept to the small cases)
  };
  for (const Case c : {Case{2.0, 10, true}, Case{3.0, 100, false}, Case{5.0, 1000, false}, Case{0.8, 1, true}}) {
    const double exact = gaussian_epsilon(std::sqrt(static_cast<double>(c.steps)) / c.sigma, 1e-5);
    const PrvEpsilon prv = prv_epsilon(c.sigma, 1.0, c.steps, 1e-5);
    std::cout << "q = 1, sigma " << c.sigma << ", T " << c.steps << ": exact " << exact << ", PRV estimate "
              << prv.estimate << " in [" << prv.lower << ", " << prv.upper << "]\n";
    EXPECT_LE(prv.lower, exact);
    EXPECT_GE(prv.upper, exact);
    EXPECT_NEAR(prv.estimate, exact, prv.eps_error);
    if (c.fine) {
      EXPECT_NEAR(prv_epsilon(c.sigma, 1.0, c.steps, 1e-5, {1e-3, 0.0}).estimate, exact, 1e-3);
    }
  }
}

TEST(PrvAccountant, AgreesWithDirectIntegrationForFewSteps) {
  struct Case {
    double sigma, q;
    int steps, intervals;
  };
  for (const Case c : {Case{0.9, 0.3, 1, 0}, Case{0.8, 0.2, 2, 4000}, Case{1.0, 0.05, 3, 500}}) {
    const Mechanism m{c.q, c.sigma};
    const double exact = solve_epsilon([&](double eps) { return m.delta(eps, c.steps, c.intervals); }, 1e-5);
    const PrvEpsilon coarse = prv_epsilon(c.sigma, c.q, c.steps, 1e-5);
    const PrvEpsilon fine = prv_epsilon(c.sigma, c.q, c.steps, 1e-5, {1e-3, 0.0});
    std::cout << "sigma " << c.sigma << " q " << c.q << " T " << c.steps << ": direct " << exact << ", PRV "
              << coarse.estimate << " [" << coarse.lower << ", " << coarse.upper << "], fine " << fine.estimate << "\n";
    EXPECT_LE(coarse.lower, exact);
    EXPECT_GE(coarse.upper, exact);
    EXPECT_NEAR(coarse.estimate, exact, 0.01);
    EXPECT_NEAR(fine.estimate, exact, 1e-3);
  }
}

TEST(PrvAccountant, MatchesPublishedValues) {
  // opacus/tests/prv_accountant.py msr_values, "computed from https://github.com/microsoft/prv_accountant":
  // ε_upper at δ = 1e-6 with eps_error 0.01 and δ_err = δ/1000 (opacus asserts 4 places).
  struct Case {
    double sigma, q;
    int64_t steps;
    double epsilon;
  };
  for (const Case c : {Case{0.8, 0.001, 100, 0.270403364058018680360362395731},
                       Case{1.5, 0.05, 100, 1.95385313568420015961635272106},
                       Case{0.8, 0.2, 100, 24.3336641779225644199868838768},
                       Case{3.0, 0.001, 1000, 0.0476159308713589302097801692071},
                       Case{2.0, 0.05, 1000, 4.17279986668931890392286732094},
                       Case{2.0, 0.001, 20000, 0.305837939762453436820521801565}}) {
    const PrvEpsilon prv = prv_epsilon(c.sigma, c.q, c.steps, 1e-6);
    std::cout << "sigma " << c.sigma << " q " << c.q << " T " << c.steps << ": upper " << prv.upper << ", published "
              << c.epsilon << ", difference " << prv.upper - c.epsilon << "\n";
    EXPECT_NEAR(prv.upper, c.epsilon, 1e-4);
  }
}

TEST(PrvAccountant, EdgeCasesAndErrors) {
  EXPECT_EQ(prv_epsilon(1.0, 0.01, 0, 1e-5).upper, 0.0);
  EXPECT_EQ(prv_epsilon(1.0, 0.0, 100, 1e-5).upper, 0.0);
  EXPECT_EQ(prv_epsilon(0.0, 0.01, 100, 1e-5).estimate, INFINITY);
  EXPECT_THROW(prv_epsilon(1.0, 0.01, 10, 0.0), Error);
  EXPECT_THROW(prv_epsilon(1.0, 0.01, 10, 1.0), Error);
  EXPECT_THROW(prv_epsilon(1.0, 1.5, 10, 1e-5), Error);
  EXPECT_THROW(prv_epsilon(-1.0, 0.1, 10, 1e-5), Error);
  EXPECT_THROW(prv_epsilon(1.0, 0.1, -1, 1e-5), Error);
  EXPECT_THROW(prv_epsilon(1.0, 0.1, 10, 1e-5, {0.0, 0.0}), Error);
  EXPECT_THROW(prv_epsilon(1.0, 0.1, 10, 1e-5, {0.01, 1e-5}), Error);
  try {
    prv_epsilon(1.0, 0.1, 10, 1e-5, {1e-9, 0.0});
    FAIL() << "a grid of billions of points was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("raise eps_error"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cwrf::train::dp
