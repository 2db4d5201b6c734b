// The PRV accountant (see prv_accountant.h): the steps follow Gopi et al. 2021 and the
// organisation of opacus accountants/analysis/prv/{domain,prvs,compose}.py.
#include "cwrf/train/dp/prv_accountant.h"

#include "cwrf/common/error.h"
#include "cwrf/train/dp/accountant.h"

#include <fmt/format.h>
#include <torch/fft.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <vector>

namespace cwrf::train::dp {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMaxGridPoints = int64_t{1} << 26;  // ~0.5 GiB of pmf and transform
constexpr double kMaxDomain = 700.0;                  // e^{±L} must stay a finite double

// The privacy loss of one step of the Poisson-subsampled Gaussian mechanism (prv_accountant.h).
class SubsampledGaussianLoss {
 public:
  SubsampledGaussianLoss(double q, double sigma) : q_(q), sigma_(sigma) {}

  // ω_t, the mechanism output whose privacy loss is t; −inf below the support (t ≤ log(1 − q)).
  double output_at(double t) const {
    double u = t;  // q = 1: the loss is u = (2ω − 1)/(2σ²) itself
    if (q_ < 1.0) {
      const double shifted = std::expm1(t) + q_;  // e^t − 1 + q
      if (!(shifted > 0.0)) return -kInf;
      u = std::log(shifted) - std::log(q_);
    }
    return sigma_ * sigma_ * u + 0.5;
  }
  // The loss at output ω: log(1 − q + q e^u), u = (2ω − 1)/(2σ²), without overflow or cancellation.
  double loss_at(double omega) const {
    const double u = (2.0 * omega - 1.0) / (2.0 * sigma_ * sigma_);
    if (q_ == 1.0) return u;
    return u > 0.0 ? u + std::log(q_ + (1.0 - q_) * std::exp(-u)) : std::log1p(q_ * std::expm1(u));
  }
  // The density of ω under P = q N(1, σ²) + (1 − q) N(0, σ²).
  double output_density(double omega) const {
    const double a = (omega - 1.0) / sigma_, b = omega / sigma_;
    return (q_ * std::exp(-0.5 * a * a) + (1.0 - q_) * std::exp(-0.5 * b * b)) / (sigma_ * std::sqrt(2.0 * M_PI));
  }
  // Pr[Y ≤ t] and Pr[Y > t], each from its own erfc terms (no 1 − x cancellation in either tail).
  double cdf(double t) const {
    const double w = output_at(t);
    if (w == -kInf) return 0.0;
    return q_ * normal_cdf((w - 1.0) / sigma_) + (1.0 - q_) * normal_cdf(w / sigma_);
  }
  double sf(double t) const {
    const double w = output_at(t);
    if (w == -kInf) return 1.0;
    return q_ * normal_cdf(-(w - 1.0) / sigma_) + (1.0 - q_) * normal_cdf(-w / sigma_);
  }
  double sigma() const { return sigma_; }

 private:
  static double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
  double q_, sigma_;
};

// Probability of (a, b], from the tail where the values are small.
double interval_mass(const SubsampledGaussianLoss& y, double a, double b) {
  const double sa = y.sf(a);
  return sa < 0.5 ? sa - y.sf(b) : y.cdf(b) - y.cdf(a);
}

// E[Y 1{a < Y ≤ b}] by composite Simpson in the output ω, where the integrand y(ω) p(ω) is smooth;
// beyond 38σ of either mixture component the density is below e^-722 and contributes nothing.
double truncated_first_moment(const SubsampledGaussianLoss& y, double a, double b) {
  const double s = y.sigma();
  const double lo = std::max(y.output_at(a), -38.0 * s), hi = std::min(y.output_at(b), 1.0 + 38.0 * s);
  if (!(hi > lo)) return 0.0;
  const int64_t intervals = 400000;  // even; h ≈ 2e-4 σ over the widest range
  const double h = (hi - lo) / static_cast<double>(intervals);
  double total = 0.0;
  for (int64_t i = 0; i <= intervals; ++i) {
    const double w = lo + static_cast<double>(i) * h;
    const double weight = (i == 0 || i == intervals) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0);
    total += weight * y.loss_at(w) * y.output_density(w);
  }
  return total * h / 3.0;
}

// The T-fold circular self-convolution of a pmf on n (even) points by FFT, x̂ ↦ x̂^T by repeated
// squaring, and the index shift that puts the sum of T grid values back on the grid: with
// t_i = (i − n/2 + 1) h, the sum of indices i_1 + ... + i_T lands at j + (T − 1)(n/2 − 1)
// (opacus compose.py _compose_fourier's roll by T − 1, plus n/2 for even T).
std::vector<double> self_compose(const std::vector<double>& pmf, int64_t steps) {
  const int64_t n = static_cast<int64_t>(pmf.size());
  torch::Tensor x = torch::from_blob(const_cast<double*>(pmf.data()), {n}, torch::kFloat64);
  torch::Tensor spectrum = torch::fft::rfft(x).contiguous();
  auto* c = spectrum.data_ptr<c10::complex<double>>();
  const int64_t bins = spectrum.size(0);
  for (int64_t k = 0; k < bins; ++k) {
    std::complex<double> base(c[k].real(), c[k].imag()), power(1.0, 0.0);
    for (int64_t e = steps; e > 0; e >>= 1) {
      if (e & 1) power *= base;
      base *= base;
    }
    c[k] = c10::complex<double>(power.real(), power.imag());
  }
  torch::Tensor composed = torch::fft::irfft(spectrum, n).contiguous();
  const double* out = composed.data_ptr<double>();
  const int64_t roll = ((steps - 1) % n + (steps % 2 == 0 ? n / 2 : 0)) % n;
  std::vector<double> rolled(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) rolled[static_cast<size_t>((j + roll) % n)] = out[j];
  return rolled;
}

// ε̂(δ) of a pmf p on the grid t_i: the root of δ(ε) = Σ_{t_j > ε} p_j (1 − e^{ε − t_j}), exact between
// grid points (opacus prvs.py DiscretePRV.compute_epsilon). Clamped at 0: a DP ε is not negative.
class DiscreteLoss {
 public:
  DiscreteLoss(const std::vector<double>& pmf, double t0, double h) : t0_(t0), h_(h) {
    const size_t n = pmf.size();
    tail_.resize(n);
    weighted_tail_.resize(n);
    minus_delta_.resize(n);
    long double d1 = 0.0L, d2 = 0.0L;
    for (size_t i = n; i-- > 0;) {
      d1 += pmf[i];
      d2 += static_cast<long double>(pmf[i]) * std::exp(-static_cast<long double>(t(i)));
      tail_[i] = d1;
      weighted_tail_[i] = d2;
      minus_delta_[i] = std::exp(static_cast<long double>(t(i))) * d2 - d1;  // −δ(t_i)
    }
  }
  double epsilon(double delta) const {
    // The first grid point with δ(t_i) ≤ δ; the root lies between it and its predecessor.
    const auto it = std::partition_point(minus_delta_.begin(), minus_delta_.end(),
                                         [&](long double v) { return v < -static_cast<long double>(delta); });
    const size_t i = static_cast<size_t>(it - minus_delta_.begin());
    if (i == 0) return 0.0;  // δ(ε) ≤ δ already at −L
    const long double eps = std::log((tail_[i] - delta) / weighted_tail_[i]);
    return std::max(0.0, static_cast<double>(eps));
  }

 private:
  double t(size_t i) const { return t0_ + static_cast<double>(i) * h_; }
  double t0_, h_;
  std::vector<long double> tail_, weighted_tail_, minus_delta_;
};

}  // namespace

PrvEpsilon prv_epsilon(double sigma, double q, int64_t steps, double delta, const PrvOptions& options) {
  require(std::isfinite(sigma) && sigma >= 0.0, fmt::format("PRV accountant: the noise multiplier sigma = {} must be "
                                                            "finite and >= 0", sigma));
  require(q >= 0.0 && q <= 1.0, fmt::format("PRV accountant: the sampling rate q = {} must be in [0, 1]", q));
  require(steps >= 0, fmt::format("PRV accountant: the number of steps = {} must be >= 0", steps));
  require(delta > 0.0 && delta < 1.0, fmt::format("PRV accountant: delta = {} must be in (0, 1)", delta));
  require(options.eps_error > 0.0 && std::isfinite(options.eps_error),
          fmt::format("PRV accountant: eps_error = {} must be finite and > 0", options.eps_error));
  const double delta_error = options.delta_error > 0.0 ? options.delta_error : delta / 1000.0;
  require(delta_error < delta && !(options.delta_error < 0.0),
          fmt::format("PRV accountant: delta_error = {} must be in (0, delta = {})", options.delta_error, delta));
  PrvEpsilon out;
  out.eps_error = options.eps_error;
  out.delta_error = delta_error;
  if (steps == 0 || q == 0.0) return out;
  if (sigma == 0.0) {
    out.lower = out.estimate = out.upper = kInf;
    return out;
  }

  // 1. The domain: RDP tail bounds of the composition and of one step (Remark 5.6).
  const double T = static_cast<double>(steps);
  const double rdp_bound = std::max(privacy_spent(sigma, q, steps, delta_error / 4.0).epsilon,
                                    privacy_spent(sigma, q, 1, delta_error / (8.0 * T)).epsilon);
  const double L = std::max(rdp_bound, options.eps_error) + 3.0;
  require(L <= kMaxDomain, fmt::format("PRV accountant: epsilon is too large to compose numerically (the RDP bound {} "
                                       "at sigma = {}, q = {}, {} steps): use the RDP accountant", rdp_bound, sigma, q,
                                       steps));
  // 2. The grid: t_i = (i − c) h for i = 0..n−1, n = 2c + 2 (even, as the FFT composition needs).
  const double h = options.eps_error / std::sqrt(T * std::log(12.0 / delta_error) / 2.0);
  const double cells = std::ceil(L / h);
  require(2.0 * cells + 2.0 <= static_cast<double>(kMaxGridPoints),
          fmt::format("PRV accountant: the grid would need {:.3g} points (eps_error = {}, {} steps); raise eps_error",
                      2.0 * cells + 2.0, options.eps_error, steps));
  const int64_t c = static_cast<int64_t>(cells), n = 2 * c + 2;
  const double t0 = -static_cast<double>(c) * h, t_end = t0 + static_cast<double>(n - 1) * h;
  out.domain_bound = L;
  out.mesh = h;
  out.grid_points = n;

  // Truncated to [t0, t_end] and binned: bin i holds the mass of (t_i − h/2, t_i + h/2] ∩ [t0, t_end].
  const SubsampledGaussianLoss loss(q, sigma);
  const double mass = interval_mass(loss, t0, t_end);
  std::vector<double> pmf(static_cast<size_t>(n));
  double discrete_mean = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double t = t0 + static_cast<double>(i) * h;
    const double a = std::max(t0, t - 0.5 * h), b = std::min(t_end, t + 0.5 * h);
    pmf[static_cast<size_t>(i)] = interval_mass(loss, a, b) / mass;
    discrete_mean += t * pmf[static_cast<size_t>(i)];
  }
  // Shift the grid so the discrete mean is the continuous one (opacus prvs.py discretize, after Gopi et al.).
  const double shift = truncated_first_moment(loss, t0, t_end) / mass - discrete_mean;
  require(std::abs(shift) < 0.5 * h, fmt::format("PRV accountant: the discretised mean is off by {} (more than half the "
                                                 "mesh {}) at sigma = {}, q = {}", shift, h, sigma, q));

  // 3. Compose; the T shifts add up.
  const std::vector<double> composed = steps == 1 ? pmf : self_compose(pmf, steps);
  const DiscreteLoss y(composed, t0 + T * shift, h);
  require(std::numeric_limits<long double>::epsilon() * static_cast<long double>(n) < delta - delta_error,
          fmt::format("PRV accountant: rounding over {} grid points would dominate delta = {}", n, delta));

  // 4. The estimate and the bounds the error budgets certify.
  out.estimate = y.epsilon(delta);
  out.upper = y.epsilon(delta - delta_error) + options.eps_error;
  out.lower = std::max(0.0, y.epsilon(delta + delta_error) - options.eps_error);
  return out;
}

}  // namespace cwrf::train::dp
