#include "cwrf/attack/lira.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace cwrf::attack {

namespace {

// A guard against σ = 0 (identical shadow values), playing the reference's "+1e-30".
constexpr double kMinSigma = 1e-12;

// np.median of a small buffer (reorders it).
double median(std::vector<double>& v) {
  const size_t n = v.size(), mid = n / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double upper = v[mid];
  if (n % 2 == 1) return upper;
  return 0.5 * (upper + *std::max_element(v.begin(), v.begin() + mid));
}

struct Moments {
  double median = 0.0, mean = 0.0, sum_sq = 0.0;  // sum_sq: Σ (v − mean)²
};

Moments moments(std::vector<double>& v) {
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.sum_sq += (x - m.mean) * (x - m.mean);
  m.median = median(v);
  return m;
}

double log_normal_pdf_unnormalised(double x, double mu, double sigma) {
  const double z = (x - mu) / sigma;
  return -std::log(sigma) - 0.5 * z * z;  // the common −½ log 2π cancels in the ratio
}

}  // namespace

std::string lira_variant(const LiraOptions& o) {
  return std::string(o.online ? "online" : "offline") + (o.fixed_variance ? "-fixed" : "");
}

double log_normal_sf(double z) {
  // erfc is accurate while its value is a normal double (z up to ~37); beyond, the asymptotic
  // series log Φc(z) = −z²/2 − log(z √(2π)) + log(1 − 1/z² + 3/z⁴ − 15/z⁶), error < 1e-11 there.
  if (z < 35.0) return std::log(0.5 * std::erfc(z / std::sqrt(2.0)));
  const double r = 1.0 / (z * z);
  return -0.5 * z * z - std::log(z) - 0.5 * std::log(2.0 * M_PI) + std::log1p(r * (-1.0 + r * (3.0 - 15.0 * r)));
}

std::string lira_shortfall(const ShadowSplit& s, const LiraOptions& o) {
  const std::string who = fmt::format("LiRA {} for target model {}", lira_variant(o), s.target);
  if (o.online && s.in_count < 1)
    return fmt::format("{} needs an IN shadow model for every example, but some example is IN for none of the "
                       "other models (train more models sharing the split: split.models)", who);
  if (s.out_count < 1)
    return fmt::format("{} needs an OUT shadow model for every example, but some example is OUT for none of the "
                       "other models", who);
  const int64_t need = 2;
  if (!o.fixed_variance && ((o.online && s.in_count < need) || s.out_count < need))
    return fmt::format("{} estimates a variance per example and needs 2 IN and 2 OUT shadows per example, "
                       "has {} IN and {} OUT (use the fixed-variance variant or more models)", who, s.in_count,
                       s.out_count);
  if (o.fixed_variance && s.out_count < need && (!o.online || s.in_count < need))
    return fmt::format("{} needs 2 shadows in some group to estimate a variance, has {} IN and {} OUT", who,
                       s.in_count, s.out_count);
  return "";
}

std::vector<double> lira_scores(const SignalArray& phi, const ShadowSplit& split, const LiraOptions& options) {
  require(phi.examples == split.examples && split.target < phi.models,
          "lira_scores: the signal array and the shadow split disagree on the examples or models");
  const std::string shortfall = lira_shortfall(split, options);
  require(shortfall.empty(), shortfall);
  const int64_t N = phi.examples, Q = phi.queries;
  // Per (example, query): medians and within-group variances of both groups.
  std::vector<double> mu_in(static_cast<size_t>(N * Q)), mu_out(mu_in.size()), var_in(mu_in.size()),
      var_out(mu_in.size());
  double pooled_sum = 0.0, pooled_count = 0.0;
  std::vector<double> buffer;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t q = 0; q < Q; ++q) {
      const size_t i = static_cast<size_t>(n * Q + q);
      if (options.online) {
        buffer.clear();
        for (int64_t k = 0; k < split.in_count; ++k) buffer.push_back(phi(split.in_row(n)[k], n, q));
        const Moments m = moments(buffer);
        mu_in[i] = m.median;
        var_in[i] = m.sum_sq / static_cast<double>(split.in_count);
        pooled_sum += m.sum_sq;
        pooled_count += static_cast<double>(split.in_count);
      }
      buffer.clear();
      for (int64_t k = 0; k < split.out_count; ++k) buffer.push_back(phi(split.out_row(n)[k], n, q));
      const Moments m = moments(buffer);
      mu_out[i] = m.median;
      var_out[i] = m.sum_sq / static_cast<double>(split.out_count);
      pooled_sum += m.sum_sq;
      pooled_count += static_cast<double>(split.out_count);
    }
  const double pooled_sigma = std::max(kMinSigma, std::sqrt(pooled_sum / pooled_count));

  std::vector<double> scores(static_cast<size_t>(N), 0.0);
  for (int64_t n = 0; n < N; ++n) {
    double total = 0.0;
    for (int64_t q = 0; q < Q; ++q) {
      const size_t i = static_cast<size_t>(n * Q + q);
      const double x = phi(split.target, n, q);
      const double s_out = options.fixed_variance ? pooled_sigma : std::max(kMinSigma, std::sqrt(var_out[i]));
      if (options.online) {
        const double s_in = options.fixed_variance ? pooled_sigma : std::max(kMinSigma, std::sqrt(var_in[i]));
        total += log_normal_pdf_unnormalised(x, mu_in[i], s_in) - log_normal_pdf_unnormalised(x, mu_out[i], s_out);
      } else {
        total += -log_normal_sf((x - mu_out[i]) / s_out);
      }
    }
    scores[static_cast<size_t>(n)] = total / static_cast<double>(Q);
  }
  return scores;
}

}  // namespace cwrf::attack
