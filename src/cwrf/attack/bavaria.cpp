#include "cwrf/attack/bavaria.h"

#include "cwrf/attack/lira.h"
#include "cwrf/common/error.h"
#include "cwrf/common/incomplete_beta.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace cwrf::attack {

namespace {

// The range the "fit" prior searches for ν0 = 2α0: from a prior worth a tenth of an observation to
// one that outweighs any realistic shadow budget (a fixed variance, in effect).
constexpr double kMinStrength = 0.1, kMaxStrength = 1e6;

// lgamma(x + ½) − lgamma(x), without the cancellation of two large lgamma values (at x = 1e4 each
// carries ~1e-11 of rounding): from x = 50 the asymptotic series
//   ½ log x + Σ_{n≥2} (−1)^n (B_n(½) − B_n)/(n(n − 1) x^{n−1}) = ½ log x − 1/(8x) + 1/(192x³) − 1/(640x⁵) + 17/(14336x⁷),
// B_n the Bernoulli numbers and B_n(½) = (2^{1−n} − 1) B_n (the Stirling series, DLMF §5.11 and §24.4); the next term is < 1e-18.
double log_gamma_ratio_half(double x) {
  if (x < 50.0) return std::lgamma(x + 0.5) - std::lgamma(x);
  const double r = 1.0 / (x * x);
  return 0.5 * std::log(x) + (-1.0 / 8.0 + r * (1.0 / 192.0 + r * (-1.0 / 640.0 + r * 17.0 / 14336.0))) / x;
}

// Mean and sum of squared deviations of one group's shadow values, per (example, query).
struct GroupStats {
  int64_t count = 0;
  std::vector<double> mean, sum_sq;  // [examples × queries]
};

GroupStats group_stats(const SignalArray& phi, const ShadowSplit& split, bool in) {
  GroupStats g;
  g.count = in ? split.in_count : split.out_count;
  const int64_t N = phi.examples, Q = phi.queries;
  g.mean.assign(static_cast<size_t>(N * Q), 0.0);
  g.sum_sq.assign(g.mean.size(), 0.0);
  for (int64_t n = 0; n < N; ++n) {
    const int32_t* row = in ? split.in_row(n) : split.out_row(n);
    for (int64_t q = 0; q < Q; ++q) {
      double mean = 0.0, ss = 0.0;
      for (int64_t k = 0; k < g.count; ++k) mean += phi(row[k], n, q);
      mean /= static_cast<double>(g.count);
      for (int64_t k = 0; k < g.count; ++k) ss += (phi(row[k], n, q) - mean) * (phi(row[k], n, q) - mean);
      require(std::isfinite(mean) && std::isfinite(ss),
              fmt::format("BaVarIA: a shadow signal of example {} is not finite", n));
      g.mean[static_cast<size_t>(n * Q + q)] = mean;
      g.sum_sq[static_cast<size_t>(n * Q + q)] = ss;
    }
  }
  return g;
}

// The groups' half sums of squares h = S/2 and half degrees of freedom m = (k − 1)/2, for the
// marginal likelihood of the variance prior IG(a, b) (a = ν0/2, b = ν0 σ0²/2):
//   log p(S | a, b) = −a log(1 + h/b) − m log(h + b) + lgamma(a + m) − lgamma(a) + (terms free of a, b).
class VariancePriorFit {
 public:
  void add(const GroupStats& g) {
    if (g.count < 2) return;
    const double m = 0.5 * static_cast<double>(g.count - 1);
    for (double s : g.sum_sq) {
      half_ss_.push_back(0.5 * s);
      half_dof_.push_back(m);
      total_half_ss_ += 0.5 * s;
      total_half_dof_ += m;
    }
    groups_by_dof_[m] += static_cast<int64_t>(g.sum_sq.size());
  }
  int64_t groups() const { return static_cast<int64_t>(half_ss_.size()); }
  bool has_spread() const { return total_half_ss_ > 0.0; }

  double log_likelihood(double a, double b) const {
    double total = 0.0;
    for (size_t i = 0; i < half_ss_.size(); ++i)
      total += -a * std::log1p(half_ss_[i] / b) - half_dof_[i] * std::log(half_ss_[i] + b);
    for (const auto& [m, count] : groups_by_dof_)
      total += static_cast<double>(count) * (std::lgamma(a + m) - std::lgamma(a));
    return total;
  }

  // The b maximising the likelihood for fixed a: the root of Σ_i [a − (a + m_i) b/(h_i + b)], which
  // falls from a·groups (b → 0) to −Σ m_i (b → ∞); safeguarded Newton in log b.
  double best_scale(double a) const {
    auto slope = [&](double u, double* derivative) {
      const double b = std::exp(u);
      double f = 0.0, df = 0.0;
      for (size_t i = 0; i < half_ss_.size(); ++i) {
        const double w = (a + half_dof_[i]) / (half_ss_[i] + b);
        f += a - w * b;
        df -= w * b * half_ss_[i] / (half_ss_[i] + b);
      }
      *derivative = df;
      return f;
    };
    double derivative = 0.0;
    double u = std::log(a * total_half_ss_ / total_half_dof_);  // a × the pooled variance
    double lo = u, hi = u;
    while (slope(lo, &derivative) < 0.0) lo -= std::log(10.0);
    while (slope(hi, &derivative) > 0.0) hi += std::log(10.0);
    for (int iteration = 0; iteration < 200 && hi - lo > 1e-13; ++iteration) {
      const double f = slope(u, &derivative);
      (f > 0.0 ? lo : hi) = u;
      double next = derivative < 0.0 ? u - f / derivative : 0.5 * (lo + hi);
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (std::abs(next - u) < 1e-14) return std::exp(next);
      u = next;
    }
    return std::exp(u);
  }

 private:
  std::vector<double> half_ss_, half_dof_;
  std::map<double, int64_t> groups_by_dof_;
  double total_half_ss_ = 0.0, total_half_dof_ = 0.0;
};

// The maximiser of f over log a in [log lo, log hi]: a grid, then golden section around its best.
template <typename F>
double maximise_log_scale(F f, double lo, double hi) {
  const int grid = 61;
  const double ulo = std::log(lo), uhi = std::log(hi), step = (uhi - ulo) / (grid - 1);
  int best = 0;
  double best_value = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < grid; ++i) {
    const double value = f(std::exp(ulo + i * step));
    if (value > best_value) best_value = value, best = i;
  }
  double a = ulo + std::max(0, best - 1) * step, b = ulo + std::min(grid - 1, best + 1) * step;
  const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
  double c = b - ratio * (b - a), d = a + ratio * (b - a);
  double fc = f(std::exp(c)), fd = f(std::exp(d));
  for (int iteration = 0; iteration < 80; ++iteration) {
    if (fc > fd) {
      b = d, d = c, fd = fc;
      c = b - ratio * (b - a), fc = f(std::exp(c));
    } else {
      a = c, c = d, fc = fd;
      d = a + ratio * (b - a), fd = f(std::exp(d));
    }
  }
  const double u = fc > fd ? c : d;
  return std::exp(std::max(fc, fd) >= best_value ? u : ulo + best * step);
}

constexpr double kMinVariance = 1e-10;  // methods.py EPS

struct Predictive {
  double location = 0.0, scale = 1.0, dof = 0.0;  // dof 0: Gaussian
};

// The posterior (or, with count 0, the prior) predictive of one group (bavaria.h).
Predictive predictive(bool student_t, double kappa0, double alpha0, double beta0, double prior_mean, double mean,
                      double sum_sq, int64_t count) {
  const double k = static_cast<double>(count);
  const double kappa = kappa0 + k, alpha = alpha0 + 0.5 * k;
  const double beta =
      beta0 + (count > 0 ? 0.5 * sum_sq + kappa0 * k * (mean - prior_mean) * (mean - prior_mean) / (2.0 * kappa) : 0.0);
  Predictive p;
  if (student_t) {
    p.location = (kappa0 * prior_mean + k * mean) / kappa;
    p.dof = 2.0 * alpha;
    p.scale = std::sqrt(std::max(beta * (kappa + 1.0) / (alpha * kappa), kMinVariance));
  } else {
    p.location = count > 0 ? mean : prior_mean;
    p.scale = std::sqrt(std::max(alpha > 1.0 ? beta / (alpha - 1.0) : beta, kMinVariance));
  }
  return p;
}

double log_density(const Predictive& p, double x) {
  if (p.dof > 0.0) return student_t_log_pdf(x, p.location, p.scale, p.dof);
  const double z = (x - p.location) / p.scale;
  return -std::log(p.scale) - 0.5 * z * z;  // −½ log 2π cancels in the ratio
}

void check_options(const BavariaOptions& o) {
  require(o.kappa0 > 0.0 && std::isfinite(o.kappa0),
          fmt::format("BaVarIA: kappa0 must be finite and > 0, got {}", o.kappa0));
  require(o.alpha0 >= 0.0 && std::isfinite(o.alpha0),
          fmt::format("BaVarIA: alpha0 must be finite and > 0 (0: 1 for BaVarIA-n, 2 for BaVarIA-t), got {}", o.alpha0));
  require(o.beta0 >= 0.0 && std::isfinite(o.beta0),
          fmt::format("BaVarIA: beta0 must be finite and >= 0 (0: from the prior), got {}", o.beta0));
  require(o.prior == "moments" || o.prior == "fit",
          fmt::format("BaVarIA: the prior must be 'moments' or 'fit', got '{}'", o.prior));
}

// Mean and variance (ddof 0) of one group's values pooled over examples, per query.
void pooled_moments(const SignalArray& phi, const ShadowSplit& split, bool in, std::vector<double>& mean,
                    std::vector<double>& variance) {
  const int64_t N = phi.examples, Q = phi.queries, k = in ? split.in_count : split.out_count;
  mean.assign(static_cast<size_t>(Q), 0.0);
  variance.assign(static_cast<size_t>(Q), 0.0);
  for (int64_t q = 0; q < Q; ++q) {
    // Two passes about the mean: the values are O(10) and there are ~1e4 of them.
    double sum = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const int32_t* row = in ? split.in_row(n) : split.out_row(n);
      for (int64_t j = 0; j < k; ++j) sum += phi(row[j], n, q);
    }
    const double count = static_cast<double>(N * k), m = sum / count;
    double ss = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const int32_t* row = in ? split.in_row(n) : split.out_row(n);
      for (int64_t j = 0; j < k; ++j) ss += (phi(row[j], n, q) - m) * (phi(row[j], n, q) - m);
    }
    mean[static_cast<size_t>(q)] = m;
    variance[static_cast<size_t>(q)] = ss / count;
  }
}

// What the scores need: both groups' statistics and the prior.
struct Fitted {
  GroupStats in, out;
  BavariaPrior prior;
};

Fitted fit(const SignalArray& phi, const ShadowSplit& split, const BavariaOptions& o) {
  check_options(o);
  require(phi.examples == split.examples && split.target < phi.models,
          "BaVarIA: the signal array and the shadow split disagree on the examples or models");
  const std::string shortfall = bavaria_shortfall(split, o);
  require(shortfall.empty(), shortfall);
  Fitted f;
  f.out = group_stats(phi, split, false);
  f.in = group_stats(phi, split, true);
  BavariaPrior& prior = f.prior;
  prior.kappa0 = o.kappa0;
  prior.alpha0 = bavaria_alpha0(o);
  std::vector<double> var_in, var_out;
  pooled_moments(phi, split, true, prior.mean_in, var_in);
  pooled_moments(phi, split, false, prior.mean_out, var_out);
  const size_t Q = static_cast<size_t>(phi.queries);
  if (o.beta0 > 0.0) {
    prior.beta_in.assign(Q, o.beta0);
    prior.beta_out.assign(Q, o.beta0);
  } else if (o.prior == "moments") {
    // methods.py _nig_priors: E[σ²] = β0/(α0 − 1) matches the pooled variance (β0 = V for α0 ≤ 1).
    const double factor = prior.alpha0 > 1.0 ? prior.alpha0 - 1.0 : 1.0;
    for (size_t q = 0; q < Q; ++q) {
      prior.beta_in.push_back(std::max(var_in[q] * factor, kMinVariance));
      prior.beta_out.push_back(std::max(var_out[q] * factor, kMinVariance));
    }
  } else {
    VariancePriorFit fitter;
    if (o.online) fitter.add(f.in);
    fitter.add(f.out);
    require(fitter.has_spread(), "BaVarIA: every shadow group has identical signals, so there is no variance to fit a "
                                 "prior to (use --bavaria-prior moments)");
    prior.fitted_groups = fitter.groups();
    if (o.alpha0 <= 0.0) {
      auto profile = [&](double a) { return fitter.log_likelihood(a, fitter.best_scale(a)); };
      prior.alpha0 = maximise_log_scale(profile, 0.5 * kMinStrength, 0.5 * kMaxStrength);
      prior.strength_at_bound =
          prior.alpha0 <= 0.5 * kMinStrength * (1 + 1e-6) || prior.alpha0 >= 0.5 * kMaxStrength * (1 - 1e-6);
    }
    const double b = fitter.best_scale(prior.alpha0);
    prior.beta_in.assign(Q, b);
    prior.beta_out.assign(Q, b);
  }
  return f;
}

}  // namespace

double student_t_log_pdf(double x, double location, double scale, double dof) {
  require(scale > 0.0 && dof > 0.0, fmt::format("Student-t: scale {} and dof {} must be > 0", scale, dof));
  const double z = (x - location) / scale;
  return log_gamma_ratio_half(0.5 * dof) - 0.5 * std::log(dof * M_PI) - std::log(scale) -
         0.5 * (dof + 1.0) * std::log1p(z * z / dof);
}

double student_t_log_sf(double x, double location, double scale, double dof) {
  require(scale > 0.0 && dof > 0.0, fmt::format("Student-t: scale {} and dof {} must be > 0", scale, dof));
  const double z = (x - location) / scale;
  // Beyond 1e9 degrees of freedom the Gaussian tail is exact to ~z⁴/dof and the continued
  // fraction would need ~√dof terms.
  if (dof > 1e9) return log_normal_sf(z);
  // Pr[T ≥ z] = ½ I_{ν/(ν+z²)}(ν/2, ½) for z ≥ 0 (and 1 minus it below 0), with 1 − ν/(ν + z²) = z²/(ν + z²).
  const double w = dof + z * z;
  const double log_i = log_incomplete_beta(0.5 * dof, 0.5, dof / w, z * z / w);
  return z >= 0.0 ? std::log(0.5) + log_i : std::log1p(-0.5 * std::exp(log_i));
}

std::string bavaria_variant(const BavariaOptions& o) {
  return std::string(o.student_t ? "t" : "n") + (o.online ? "-online" : "-offline");
}

double bavaria_alpha0(const BavariaOptions& o) { return o.alpha0 > 0.0 ? o.alpha0 : (o.student_t ? 2.0 : 1.0); }

std::string bavaria_shortfall(const ShadowSplit& s, const BavariaOptions& o) {
  const std::string who = fmt::format("BaVarIA-{} for target model {}", bavaria_variant(o), s.target);
  if (s.in_count < 1)
    return fmt::format("{} needs an IN shadow model for every example ({}), but some example is IN for none of the "
                       "other models (train more models sharing the split: split.models)", who,
                       o.online ? "its IN posterior" : "the pooled IN values of its IN prior");
  if (s.out_count < 1)
    return fmt::format("{} needs an OUT shadow model for every example, but some example is OUT for none of the "
                       "other models", who);
  if (o.prior == "fit" && o.beta0 <= 0.0 && s.out_count < 2 && (!o.online || s.in_count < 2))
    return fmt::format("{} fits its variance prior to the spread of the shadows and needs 2 shadows in some group, "
                       "has {} IN and {} OUT (use the prior 'moments')", who, s.in_count, s.out_count);
  return "";
}

BavariaPrior bavaria_prior(const SignalArray& phi, const ShadowSplit& split, const BavariaOptions& o) {
  return fit(phi, split, o).prior;
}

std::vector<double> bavaria_scores(const SignalArray& phi, const ShadowSplit& split, const BavariaOptions& o) {
  const Fitted fitted = fit(phi, split, o);
  const BavariaPrior& prior = fitted.prior;
  const GroupStats &in = fitted.in, &out = fitted.out;
  const int64_t N = phi.examples, Q = phi.queries;
  std::vector<double> scores(static_cast<size_t>(N), 0.0);
  for (int64_t n = 0; n < N; ++n) {
    double total = 0.0;
    for (int64_t q = 0; q < Q; ++q) {
      const size_t i = static_cast<size_t>(n * Q + q), qi = static_cast<size_t>(q);
      const double x = phi(split.target, n, q);
      require(!std::isnan(x), fmt::format("BaVarIA: the target's signal of example {} is NaN", n));
      const Predictive p_out = predictive(o.student_t, prior.kappa0, prior.alpha0, prior.beta_out[qi],
                                          prior.mean_out[qi], out.mean[i], out.sum_sq[i], out.count);
      // Offline the IN class is the prior itself (no IN observations of the example).
      const Predictive p_in = predictive(o.student_t, prior.kappa0, prior.alpha0, prior.beta_in[qi], prior.mean_in[qi],
                                         in.mean[i], in.sum_sq[i], o.online ? in.count : 0);
      const double score = log_density(p_in, x) - log_density(p_out, x);
      total += std::isfinite(score) ? score : 0.0;  // methods.py: scores[~isfinite] = 0
    }
    scores[static_cast<size_t>(n)] = total / static_cast<double>(Q);
  }
  return scores;
}

}  // namespace cwrf::attack
