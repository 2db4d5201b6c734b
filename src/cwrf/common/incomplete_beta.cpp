#include "cwrf/common/incomplete_beta.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace cwrf {

namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
constexpr double kTiny = 1e-300;  // Lentz's guard against a zero denominator

double log_beta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// The continued fraction 1/(1 + d1/(1 + d2/(1 + ...))) of DLMF §8.17(v), with
//   d_{2m+1} = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),  d_{2m} = m (b − m) x / ((a + 2m − 1)(a + 2m)),
// so that I_x(a, b) = x^a (1 − x)^b / (a B(a, b)) · fraction. It converges fast for
// x < (a + 1)/(a + b + 2); callers use the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) beyond.
double beta_fraction(double a, double b, double x) {
  // Modified Lentz: f = C·D products of the forward ratios, restarted away from zero.
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double f = d;
  for (int m = 1; m <= 100000; ++m) {
    const double dm = static_cast<double>(m);
    for (int half = 0; half < 2; ++half) {
      const double term = half == 0 ? dm * (b - dm) * x / ((a + 2 * dm - 1.0) * (a + 2 * dm))
                                    : -(a + dm) * (a + b + dm) * x / ((a + 2 * dm) * (a + 2 * dm + 1.0));
      d = 1.0 + term * d;
      if (std::abs(d) < kTiny) d = kTiny;
      c = 1.0 + term / c;
      if (std::abs(c) < kTiny) c = kTiny;
      d = 1.0 / d;
      const double delta = c * d;
      f *= delta;
      if (half == 1 && std::abs(delta - 1.0) < 4 * kEpsilon) return f;
    }
  }
  throw Error(fmt::format("incomplete beta: the continued fraction did not converge (a = {}, b = {}, x = {})", a, b, x));
}

void check_shape(double a, double b) {
  require(a > 0.0 && std::isfinite(a), fmt::format("incomplete beta: a = {} must be finite and > 0", a));
  require(b > 0.0 && std::isfinite(b), fmt::format("incomplete beta: b = {} must be finite and > 0", b));
}

}  // namespace

double log_incomplete_beta(double a, double b, double x, double y) {
  check_shape(a, b);
  require(x >= 0.0 && y >= 0.0 && std::abs(x + y - 1.0) <= 1e-12,
          fmt::format("incomplete beta: x = {} and 1 − x = {} must be in [0, 1] and sum to 1", x, y));
  if (x == 0.0) return -std::numeric_limits<double>::infinity();
  if (y == 0.0) return 0.0;
  const double log_front = a * std::log(x) + b * std::log(y) - log_beta(a, b);
  if (x < (a + 1.0) / (a + b + 2.0)) return log_front + std::log(beta_fraction(a, b, x) / a);
  // 1 − I_x(a, b) = I_y(b, a), small here: subtract it in the log domain.
  return std::log1p(-std::exp(log_front) * beta_fraction(b, a, y) / b);
}

double log_incomplete_beta(double a, double b, double x) {
  require(x >= 0.0 && x <= 1.0, fmt::format("incomplete beta: x = {} must be in [0, 1]", x));
  return log_incomplete_beta(a, b, x, 1.0 - x);
}

double incomplete_beta(double a, double b, double x) { return std::exp(log_incomplete_beta(a, b, x)); }

double inverse_incomplete_beta(double a, double b, double p) {
  check_shape(a, b);
  require(p >= 0.0 && p <= 1.0, fmt::format("inverse incomplete beta: p = {} must be in [0, 1]", p));
  if (p == 0.0) return 0.0;
  if (p == 1.0) return 1.0;
  // Newton on I_x − p, whose derivative is the beta density, inside a bracket that every
  // evaluation narrows; a step that would leave the bracket bisects it instead (geometrically
  // when the bracket spans decades, so tiny quantiles are reached in few steps).
  double lo = 0.0, hi = 1.0;
  double x = a / (a + b);
  const double log_b = log_beta(a, b);
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const double f = incomplete_beta(a, b, x) - p;
    if (f == 0.0) return x;
    (f < 0.0 ? lo : hi) = x;
    const double log_density = (a - 1.0) * std::log(x) + (b - 1.0) * std::log1p(-x) - log_b;
    double next = x - f / std::exp(log_density);
    if (!(next > lo && next < hi)) next = lo > 0.0 && hi > 4.0 * lo ? std::sqrt(lo * hi) : (lo == 0.0 ? hi / 4.0 : 0.5 * (lo + hi));
    if (std::abs(next - x) <= 2 * kEpsilon * next || hi - lo <= 2 * kEpsilon * hi) return next;
    x = next;
  }
  throw Error(fmt::format("inverse incomplete beta did not converge (a = {}, b = {}, p = {})", a, b, p));
}

}  // namespace cwrf
