// The RDP accountant against reference values computed independently of its code: A_α by
// numerical integration of its definition, E_{z~N(0,σ²)}[((1−q) + q·e^{(2z−1)/(2σ²)})^α]
// (Mironov et al. 2019, Sec. 3.3), with mpmath at 40 digits, and ε by the conversion of
// docs/ALGORITHMS.md §3 over the default orders.
#include "cwrf/common/error.h"
#include "cwrf/train/dp/accountant.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cwrf::train::dp {
namespace {

void expect_relative(double value, double reference, double tolerance) {
  EXPECT_LT(std::abs(value - reference) / std::abs(reference), tolerance) << value << " vs " << reference;
}

TEST(Accountant, DefaultOrdersAreOpacus) {
  const auto& orders = default_orders();
  ASSERT_EQ(orders.size(), 99u + 52u);
  EXPECT_DOUBLE_EQ(orders.front(), 1.1);
  EXPECT_DOUBLE_EQ(orders[98], 10.9);
  EXPECT_DOUBLE_EQ(orders[99], 12.0);
  EXPECT_DOUBLE_EQ(orders.back(), 63.0);
}

TEST(Accountant, EpsilonMatchesReferenceValues) {
  // σ = 1.1, q = 0.01, 10,000 steps, δ = 1e-5: reference ε = 5.63199236868 (best order 4.7).
  const PrivacySpent a = privacy_spent(1.1, 0.01, 10000, 1e-5);
  expect_relative(a.epsilon, 5.63199236868, 1e-6);
  EXPECT_NEAR(a.order, 4.7, 1e-12);
  // σ = 1.0, q = 0.004, 5,000 steps, δ = 1e-5: reference ε = 1.69907177537 (best order 9.7).
  const PrivacySpent b = privacy_spent(1.0, 0.004, 5000, 1e-5);
  expect_relative(b.epsilon, 1.69907177537, 1e-6);
  EXPECT_NEAR(b.order, 9.7, 1e-12);
}

TEST(Accountant, FractionalOrdersMatchNumericalIntegration) {
  struct Case {
    double q, sigma, alpha, rdp;
  };
  for (const Case& c : {Case{0.01, 1.1, 2.5, 0.000162077409369989}, Case{0.004, 1.0, 6.5, 9.4091669856778e-5},
                        Case{0.02, 0.8, 1.5, 0.00106489389590162}, Case{0.01, 1.1, 10.9, 0.00140489964148108}})
    expect_relative(sampled_gaussian_rdp(c.q, c.sigma, c.alpha), c.rdp, 1e-9);
  // Integer orders (binomial expansion) against the same integration.
  expect_relative(sampled_gaussian_rdp(0.01, 1.1, 2.0), 0.000128510081605145, 1e-9);
  expect_relative(sampled_gaussian_rdp(0.01, 1.1, 3.0), 0.000196277889914983, 1e-9);
  expect_relative(sampled_gaussian_rdp(0.02, 0.8, 3.0), 0.0026405319588001, 1e-9);
}

TEST(Accountant, FractionalSeriesMeetsItsIntegerNeighbour) {
  // The erfc series just off an integer order agrees with the binomial expansion at it, and the
  // RDP curve is increasing in the order across the boundary.
  for (double alpha : {2.0, 3.0, 7.0, 12.0}) {
    const double at = sampled_gaussian_rdp(0.01, 1.1, alpha);
    expect_relative(sampled_gaussian_rdp(0.01, 1.1, alpha + 1e-7), at, 1e-5);
    EXPECT_LT(sampled_gaussian_rdp(0.01, 1.1, alpha - 0.1), at);
    EXPECT_GT(sampled_gaussian_rdp(0.01, 1.1, alpha + 0.1), at);
  }
  double previous = 0.0;
  for (double alpha : default_orders()) {
    const double r = sampled_gaussian_rdp(0.004, 1.0, alpha);
    EXPECT_GT(r, previous) << alpha;
    previous = r;
  }
}

TEST(Accountant, FullBatchIsTheGaussianMechanism) {
  for (double alpha : {1.5, 2.0, 10.9, 63.0}) EXPECT_DOUBLE_EQ(sampled_gaussian_rdp(1.0, 2.0, alpha), alpha / 8.0);
  // ε for q = 1, σ = 2, 100 steps, δ = 1e-5 (reference 35.0817540190563 at order 1.9).
  const PrivacySpent spent = privacy_spent(2.0, 1.0, 100, 1e-5);
  expect_relative(spent.epsilon, 35.0817540190563, 1e-12);
  EXPECT_NEAR(spent.order, 1.9, 1e-12);
}

TEST(Accountant, EdgeCases) {
  EXPECT_EQ(epsilon(1.0, 0.01, 0, 1e-5), 0.0);                  // nothing spent yet
  EXPECT_TRUE(std::isinf(epsilon(0.0, 0.01, 10, 1e-5)));        // no noise: no privacy
  EXPECT_EQ(sampled_gaussian_rdp(0.0, 1.0, 2.0), 0.0);          // never sampled
  EXPECT_LT(epsilon(1.0, 0.01, 100, 1e-5), epsilon(1.0, 0.01, 1000, 1e-5));
  EXPECT_GT(epsilon(1.0, 0.01, 100, 1e-5), epsilon(2.0, 0.01, 100, 1e-5));
  EXPECT_THROW(epsilon(1.0, 1.5, 10, 1e-5), Error);
  EXPECT_THROW(epsilon(-1.0, 0.1, 10, 1e-5), Error);
  EXPECT_THROW(epsilon(1.0, 0.1, 10, 0.0), Error);
  EXPECT_THROW(epsilon(1.0, 0.1, -1, 1e-5), Error);
  EXPECT_THROW(sampled_gaussian_rdp(0.1, 1.0, 1.0), Error);
}

TEST(Accountant, NoiseMultiplierSearchMeetsTheTarget) {
  for (double target : {1.0, 3.0, 8.0}) {
    const double sigma = noise_multiplier_for(target, 0.0256, 1560, 1e-5);
    const double eps = epsilon(sigma, 0.0256, 1560, 1e-5);
    EXPECT_LE(eps, target) << target;
    EXPECT_GE(eps, target - 0.01) << target;
  }
  // The reference pair the other way round: ε(1.1) ≈ 5.632, so the σ for ε = 5.632 is ≈ 1.1.
  EXPECT_NEAR(noise_multiplier_for(5.632, 0.01, 10000, 1e-5, 1e-4), 1.1, 1e-3);
  try {
    noise_multiplier_for(0.01, 1.0, 100, 1e-5);
    FAIL() << "an unreachable target passed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("privacy budget is too low"), std::string::npos) << e.what();
  }
  EXPECT_THROW(noise_multiplier_for(0.0, 0.01, 100, 1e-5), Error);
}

}  // namespace
}  // namespace cwrf::train::dp
