// RDP accountant of the sampled Gaussian mechanism (see accountant.h). The formulas follow
// opacus accountants/analysis/rdp.py (itself from tensorflow-privacy rdp_accountant.py).
#include "cwrf/train/dp/accountant.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace cwrf::train::dp {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxSigma = 1e6;  // opacus accountants/utils.py MAX_SIGMA

// log(exp(a) + exp(b))
double log_add(double a, double b) {
  const double hi = std::max(a, b), lo = std::min(a, b);
  if (lo == -kInf) return hi;
  return hi + std::log1p(std::exp(lo - hi));
}

// log(exp(a) - exp(b)), a >= b
double log_sub(double a, double b) {
  if (b > a) throw Error("RDP accountant: log_sub of a larger term (numerical failure of the erfc series)");
  if (b == -kInf) return a;
  if (a == b) return -kInf;
  return a + std::log(-std::expm1(b - a));
}

// log(erfc(x)); std::erfc underflows past x ≈ 26, so beyond 20 the asymptotic series at infinity
// (tensorflow-privacy rdp_accountant.py _log_erfc): erfc(x) ~ exp(-x² - .5/x² + .625/x⁴ - ...)/(x√π).
double log_erfc(double x) {
  if (x < 20.0) return std::log(std::erfc(x));
  const double x2 = x * x;
  return -0.5 * std::log(M_PI) - std::log(x) - x2 - 0.5 / x2 + 0.625 / (x2 * x2) - 37.0 / 24.0 / (x2 * x2 * x2) +
         353.0 / 64.0 / (x2 * x2 * x2 * x2);
}

// log A_α for integer α: logsumexp_i [log C(α,i) + i log q + (α−i) log(1−q) + (i² − i)/(2σ²)].
double log_a_int(double q, double sigma, int64_t alpha) {
  double log_a = -kInf;
  for (int64_t i = 0; i <= alpha; ++i) {
    const double log_binom = std::lgamma(alpha + 1.0) - std::lgamma(i + 1.0) - std::lgamma(alpha - i + 1.0);
    const double di = static_cast<double>(i);
    const double s = log_binom + di * std::log(q) + (alpha - di) * std::log1p(-q) + (di * di - di) / (2 * sigma * sigma);
    log_a = log_add(log_a, s);
  }
  return log_a;
}

// log A_α for fractional α: the two-sided series over (−∞, z0] and [z0, ∞) of Mironov et al.
// 2019 Sec. 3.3 (opacus _compute_log_a_frac), summed until both terms fall below e^-30.
double log_a_frac(double q, double sigma, double alpha) {
  double log_a0 = -kInf, log_a1 = -kInf;
  const double z0 = sigma * sigma * std::log(1.0 / q - 1.0) + 0.5;
  double coef = 1.0;  // binom(α, i), by the recurrence binom(α, i+1) = binom(α, i)(α − i)/(i + 1)
  for (int64_t i = 0;; ++i) {
    const double di = static_cast<double>(i);
    const double j = alpha - di;
    const double log_coef = std::log(std::abs(coef));
    const double log_t0 = log_coef + di * std::log(q) + j * std::log1p(-q);
    const double log_t1 = log_coef + j * std::log(q) + di * std::log1p(-q);
    const double log_e0 = std::log(0.5) + log_erfc((di - z0) / (std::sqrt(2.0) * sigma));
    const double log_e1 = std::log(0.5) + log_erfc((z0 - j) / (std::sqrt(2.0) * sigma));
    const double log_s0 = log_t0 + (di * di - di) / (2 * sigma * sigma) + log_e0;
    const double log_s1 = log_t1 + (j * j - j) / (2 * sigma * sigma) + log_e1;
    if (coef > 0) {
      log_a0 = log_add(log_a0, log_s0);
      log_a1 = log_add(log_a1, log_s1);
    } else {
      log_a0 = log_sub(log_a0, log_s0);
      log_a1 = log_sub(log_a1, log_s1);
    }
    if (std::max(log_s0, log_s1) < -30) break;
    if (i > 100000) throw Error(fmt::format("RDP accountant: the erfc series did not converge (q = {}, sigma = {}, "
                                            "order {})", q, sigma, alpha));
    coef *= (alpha - di) / (di + 1.0);
  }
  return log_add(log_a0, log_a1);
}

void check_rate_sigma(double q, double sigma) {
  if (!(q >= 0.0 && q <= 1.0)) throw Error(fmt::format("the sampling rate q = {} must be in [0, 1]", q));
  if (!(sigma >= 0.0) || std::isinf(sigma))
    throw Error(fmt::format("the noise multiplier sigma = {} must be finite and >= 0", sigma));
}

void check_delta_steps(double delta, int64_t steps) {
  if (!(delta > 0.0 && delta < 1.0)) throw Error(fmt::format("delta = {} must be in (0, 1)", delta));
  if (steps < 0) throw Error(fmt::format("the number of steps = {} must be >= 0", steps));
}

}  // namespace

const std::vector<double>& default_orders() {
  static const std::vector<double> orders = [] {
    std::vector<double> out;
    for (int x = 1; x < 100; ++x) out.push_back(1.0 + x / 10.0);
    for (int a = 12; a < 64; ++a) out.push_back(a);
    return out;
  }();
  return orders;
}

double sampled_gaussian_rdp(double q, double sigma, double alpha) {
  check_rate_sigma(q, sigma);
  if (!(alpha > 1.0)) throw Error(fmt::format("an RDP order must be > 1, got {}", alpha));
  if (q == 0.0) return 0.0;
  if (sigma == 0.0) return kInf;
  if (q == 1.0) return alpha / (2 * sigma * sigma);
  if (std::isinf(alpha)) return kInf;
  const bool integer = alpha == std::floor(alpha) && alpha < 1e9;
  const double log_a = integer ? log_a_int(q, sigma, static_cast<int64_t>(alpha)) : log_a_frac(q, sigma, alpha);
  return log_a / (alpha - 1.0);
}

PrivacySpent privacy_spent(double sigma, double q, int64_t steps, double delta, const std::vector<double>& orders) {
  check_rate_sigma(q, sigma);
  check_delta_steps(delta, steps);
  if (orders.empty()) throw Error("the RDP accountant needs at least one order");
  if (steps == 0) return {0.0, 0.0};  // opacus RDPAccountant: an empty history spends nothing
  PrivacySpent best{kInf, 0.0};
  for (double alpha : orders) {
    const double rdp = static_cast<double>(steps) * sampled_gaussian_rdp(q, sigma, alpha);
    const double eps = rdp - (std::log(delta) + std::log(alpha)) / (alpha - 1.0) + std::log((alpha - 1.0) / alpha);
    if (std::isfinite(eps) && eps < best.epsilon) best = {eps, alpha};
  }
  return best;
}

double epsilon(double sigma, double q, int64_t steps, double delta) { return privacy_spent(sigma, q, steps, delta).epsilon; }

double noise_multiplier_for(double target_epsilon, double q, int64_t steps, double delta, double tolerance) {
  return noise_multiplier_for(target_epsilon, q, steps, delta, tolerance,
                              [&](double sigma) { return epsilon(sigma, q, steps, delta); });
}

double noise_multiplier_for(double target_epsilon, double q, int64_t steps, double delta, double tolerance,
                            const std::function<double(double sigma)>& epsilon_of) {
  if (!(target_epsilon > 0.0) || std::isinf(target_epsilon))
    throw Error(fmt::format("the target epsilon = {} must be finite and > 0", target_epsilon));
  if (!(tolerance > 0.0)) throw Error(fmt::format("the epsilon tolerance = {} must be > 0", tolerance));
  check_rate_sigma(q, 1.0);
  check_delta_steps(delta, steps);
  double eps_high = kInf, sigma_low = 0.0, sigma_high = 10.0;
  while (eps_high > target_epsilon) {
    sigma_high *= 2.0;
    eps_high = epsilon_of(sigma_high);
    if (sigma_high > kMaxSigma)
      throw Error(fmt::format("the privacy budget is too low: epsilon = {} at delta = {} over {} steps at q = {} needs a "
                              "noise multiplier above {}",
                              target_epsilon, delta, steps, q, kMaxSigma));
  }
  // The iteration cap only matters where ε does not depend on σ (q = 0, steps = 0).
  for (int iteration = 0; iteration < 200 && target_epsilon - eps_high > tolerance; ++iteration) {
    const double sigma = (sigma_low + sigma_high) / 2.0;
    const double eps = epsilon_of(sigma);
    if (eps < target_epsilon) {
      sigma_high = sigma;
      eps_high = eps;
    } else {
      sigma_low = sigma;
    }
  }
  return sigma_high;
}

}  // namespace cwrf::train::dp
