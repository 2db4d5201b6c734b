// The incomplete beta function against closed forms and the binomial sum it equals, and its
// inverse by round trips down to tiny quantiles.
#include "cwrf/common/error.h"
#include "cwrf/common/incomplete_beta.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cwrf {
namespace {

// P(X >= k) for X ~ Binomial(n, p), summed term by term in the log domain.
double binomial_upper_tail(int k, int n, double p) {
  double total = 0.0;
  for (int i = k; i <= n; ++i)
    total += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) + i * std::log(p) +
                      (n - i) * std::log1p(-p));
  return total;
}

TEST(IncompleteBeta, ClosedForms) {
  for (double x : {0.0, 1e-8, 0.1, 0.37, 0.5, 0.9, 1.0}) {
    EXPECT_NEAR(incomplete_beta(1, 1, x), x, 1e-15);
    EXPECT_NEAR(incomplete_beta(3.5, 1, x), std::pow(x, 3.5), 1e-15);
    EXPECT_NEAR(incomplete_beta(1, 4, x), 1 - std::pow(1 - x, 4), 1e-14);
    EXPECT_NEAR(incomplete_beta(2, 2, x), 3 * x * x - 2 * x * x * x, 1e-14);
  }
  // By symmetry; at a = 400 the log-gamma prefactor alone carries ~1e-13 of rounding.
  for (double a : {0.3, 1.0, 7.5, 400.0}) EXPECT_NEAR(incomplete_beta(a, a, 0.5), 0.5, 1e-12) << a;
}

TEST(IncompleteBeta, EqualsTheBinomialTail) {
  // P(X >= k) = I_p(k, n − k + 1) for X ~ Binomial(n, p).
  for (int n : {1, 7, 40, 500})
    for (int k = 1; k <= n; k += std::max(1, n / 7))
      for (double p : {0.01, 0.3, 0.5, 0.93}) {
        const double direct = binomial_upper_tail(k, n, p);
        EXPECT_NEAR(incomplete_beta(k, n - k + 1, p), direct, 1e-13 + 1e-11 * direct) << n << " " << k << " " << p;
      }
}

TEST(IncompleteBeta, LogFormSurvivesUnderflow) {
  // I_x(a, 1) = x^a: log = a log x even where x^a underflows.
  EXPECT_NEAR(log_incomplete_beta(400, 1, 1e-3), 400 * std::log(1e-3), 1e-9);
  EXPECT_NEAR(log_incomplete_beta(2, 3, 0.25, 0.75), std::log(incomplete_beta(2, 3, 0.25)), 1e-14);
  EXPECT_EQ(log_incomplete_beta(2, 3, 0.0), -INFINITY);
  EXPECT_EQ(log_incomplete_beta(2, 3, 1.0), 0.0);
}

TEST(IncompleteBeta, InverseRoundTrips) {
  for (double a : {0.5, 1.0, 3.0, 50.0, 5000.0})
    for (double b : {0.5, 1.0, 2.0, 80.0, 20000.0})
      for (double p : {1e-12, 1e-6, 0.025, 0.3, 0.5, 0.975, 1 - 1e-9}) {
        const double x = inverse_incomplete_beta(a, b, p);
        ASSERT_GE(x, 0.0);
        ASSERT_LE(x, 1.0);
        // Either I_x hits p, or no double does much better: p lies between I at two doubles within
        // 4 ulps of x (with b < 1 and p near 1 the exact root is closer to 1 than any double below it).
        double lo = x, hi = x;
        for (int ulp = 0; ulp < 4; ++ulp) lo = std::nextafter(lo, 0.0), hi = std::nextafter(hi, 1.0);
        const bool bracketed = incomplete_beta(a, b, lo) <= p && p <= incomplete_beta(a, b, hi);
        EXPECT_TRUE(std::abs(incomplete_beta(a, b, x) - p) <= 1e-12 + 1e-9 * p || bracketed)
            << a << " " << b << " " << p << ": I_x = " << incomplete_beta(a, b, x);
      }
  EXPECT_NEAR(inverse_incomplete_beta(1, 10, 0.05), 1 - std::pow(0.95, 0.1), 1e-15);
  EXPECT_EQ(inverse_incomplete_beta(2, 3, 0.0), 0.0);
  EXPECT_EQ(inverse_incomplete_beta(2, 3, 1.0), 1.0);
}

TEST(IncompleteBeta, BadArgumentsAreErrors) {
  EXPECT_THROW(incomplete_beta(0.0, 1.0, 0.5), Error);
  EXPECT_THROW(incomplete_beta(1.0, -2.0, 0.5), Error);
  EXPECT_THROW(incomplete_beta(1.0, 1.0, 1.5), Error);
  EXPECT_THROW(inverse_incomplete_beta(1.0, 1.0, -0.1), Error);
  EXPECT_THROW(inverse_incomplete_beta(NAN, 1.0, 0.5), Error);
}

}  // namespace
}  // namespace cwrf
