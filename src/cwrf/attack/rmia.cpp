#include "cwrf/attack/rmia.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace cwrf::attack {

namespace {

double log_add_exp(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == -std::numeric_limits<double>::infinity()) return a;
  return a + std::log1p(std::exp(b - a));
}

// ⌊trim · n⌋, as scipy.stats.trim_mean computes its cut (int(proportiontocut * nobs)).
int64_t trim_cut(double trim, int64_t n) { return static_cast<int64_t>(trim * static_cast<double>(n)); }

// The values of the listed models for (n, q), sorted when trimming (the trimmed ends are dropped).
std::vector<double> reference_values(const SignalArray& signal, const int32_t* models, int64_t count, int64_t n,
                                     int64_t q, double trim) {
  std::vector<double> v(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) v[static_cast<size_t>(k)] = signal(models[k], n, q);
  const int64_t cut = trim_cut(trim, count);
  if (cut > 0) {
    std::sort(v.begin(), v.end());
    v.erase(v.end() - cut, v.end());
    v.erase(v.begin(), v.begin() + cut);
  }
  return v;
}

// log of the mean of e^{v_k}.
double log_mean_exp(const std::vector<double>& v) {
  double peak = -std::numeric_limits<double>::infinity();
  for (double x : v) peak = std::max(peak, x);
  if (!std::isfinite(peak)) return peak;
  double sum = 0.0;
  for (double x : v) sum += std::exp(x - peak);
  return peak + std::log(sum / static_cast<double>(v.size()));
}

double mean(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// The union of the first m IN and the first m OUT models of example n, m = min of the counts (the
// reference's trimmed online P(x)).
std::vector<int32_t> balanced_references(const ShadowSplit& split, int64_t n) {
  const int64_t m = std::min(split.in_count, split.out_count);
  std::vector<int32_t> models(split.in_row(n), split.in_row(n) + m);
  models.insert(models.end(), split.out_row(n), split.out_row(n) + m);
  return models;
}

// P(x) for example n under query q, in log or linear space (rmia.h).
double reference_mean(const SignalArray& signal, const ShadowSplit& split, int64_t n, int64_t q, const RmiaOptions& o,
                      bool linear) {
  auto average = [&](const std::vector<double>& v) { return linear ? mean(v) : log_mean_exp(v); };
  if (o.online) {
    if (o.trim > 0.0) {
      const std::vector<int32_t> both = balanced_references(split, n);
      return average(reference_values(signal, both.data(), static_cast<int64_t>(both.size()), n, q, o.trim));
    }
    const double p_in = average(reference_values(signal, split.in_row(n), split.in_count, n, q, 0.0));
    const double p_out = average(reference_values(signal, split.out_row(n), split.out_count, n, q, 0.0));
    return linear ? 0.5 * (p_in + p_out) : log_add_exp(p_in, p_out) + std::log(0.5);
  }
  const double p_out = average(reference_values(signal, split.out_row(n), split.out_count, n, q, o.trim));
  if (linear) return (1.0 + o.offline_a) / 2.0 * p_out + (1.0 - o.offline_a) / 2.0;
  return log_add_exp(std::log((1.0 + o.offline_a) / 2.0) + p_out, std::log((1.0 - o.offline_a) / 2.0));  // −inf for a = 1
}

void check_ratio_inputs(const SignalArray& signal, const ShadowSplit& split, const RmiaOptions& o) {
  require(signal.examples == split.examples && split.target < signal.models,
          "RMIA: the signal array and the shadow split disagree on the examples or models");
  require(o.offline_a >= 0.0 && o.offline_a <= 1.0, fmt::format("--rmia-offline-a must be in [0, 1], got {}", o.offline_a));
  require(o.trim >= 0.0 && o.trim < 0.5, fmt::format("--rmia-trim must be in [0, 0.5), got {}", o.trim));
  const std::string shortfall = rmia_shortfall(split, o);
  require(shortfall.empty(), shortfall);
}

void check_inputs(const std::vector<double>& log_ratios, int64_t examples, int64_t queries,
                  const std::vector<int64_t>& population, double gamma) {
  require(static_cast<int64_t>(log_ratios.size()) == examples * queries,
          "rmia_scores: log_ratios must have examples × queries entries");
  require(gamma > 0.0, fmt::format("--rmia-gamma must be > 0, got {}", gamma));
  require(!population.empty(), "RMIA: the population Z is empty (the target has no non-members)");
  for (int64_t z : population) require(z >= 0 && z < examples, fmt::format("RMIA: population index {} out of range", z));
  for (double v : log_ratios)
    require(!std::isnan(v), "RMIA: a probability ratio is NaN (non-finite logits from some model, or a reference mean of 0?)");
}

// Whether each example is in the population, and |Z \ {x}| for each.
std::vector<uint8_t> population_flags(int64_t examples, const std::vector<int64_t>& population) {
  std::vector<uint8_t> flags(static_cast<size_t>(examples), 0);
  for (int64_t z : population) flags[static_cast<size_t>(z)] = 1;
  return flags;
}

}  // namespace

std::string rmia_variant(const RmiaOptions& o) { return o.online ? "online" : "offline"; }

std::string rmia_shortfall(const ShadowSplit& s, const RmiaOptions& o) {
  if (o.online && s.in_count < 1)
    return fmt::format("RMIA online for target model {} needs an IN reference model for every example, but some "
                       "example is IN for none of the other models (train more models sharing the split)", s.target);
  if (s.out_count < 1)
    return fmt::format("RMIA {} for target model {} needs an OUT reference model for every example, but some "
                       "example is OUT for none of the other models", rmia_variant(o), s.target);
  return "";
}

std::vector<double> rmia_log_ratios(const SignalArray& log_signal, const ShadowSplit& split, const RmiaOptions& o) {
  check_ratio_inputs(log_signal, split, o);
  const int64_t N = log_signal.examples, Q = log_signal.queries;
  std::vector<double> out(static_cast<size_t>(N * Q));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t q = 0; q < Q; ++q)
      out[static_cast<size_t>(n * Q + q)] = log_signal(split.target, n, q) - reference_mean(log_signal, split, n, q, o, false);
  return out;
}

std::vector<double> rmia_linear_ratios(const SignalArray& signal, const ShadowSplit& split, const RmiaOptions& o) {
  check_ratio_inputs(signal, split, o);
  const int64_t N = signal.examples, Q = signal.queries;
  std::vector<double> out(static_cast<size_t>(N * Q));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t q = 0; q < Q; ++q)
      out[static_cast<size_t>(n * Q + q)] = signal(split.target, n, q) / reference_mean(signal, split, n, q, o, true);
  return out;
}

namespace {

// The one predicate of a pair under query q (rmia.h): log or linear.
struct PairTest {
  bool linear;
  double threshold;  // log γ or γ
  bool operator()(double rx, double rz) const {
    return linear ? rmia_linear_pair_wins(rx, rz, threshold) : rmia_pair_wins(rx, rz, threshold);
  }
};

PairTest pair_test(double gamma, const RmiaScoring& how) { return {how.linear, how.linear ? gamma : std::log(gamma)}; }

// The majority vote of pair (x, z) over the queries: more than half of them win (a tie does not).
bool vote_wins(const std::vector<double>& ratios, int64_t queries, int64_t x, int64_t z, const PairTest& wins) {
  int64_t count = 0;
  for (int64_t q = 0; q < queries; ++q)
    count += wins(ratios[static_cast<size_t>(x * queries + q)], ratios[static_cast<size_t>(z * queries + q)]) ? 1 : 0;
  return 2 * count > queries;
}

}  // namespace

std::vector<double> rmia_scores(const std::vector<double>& ratios, int64_t examples, int64_t queries,
                                const std::vector<int64_t>& population, double gamma, const RmiaScoring& how) {
  if (how.vote) return rmia_scores_pairwise(ratios, examples, queries, population, gamma, 0, how);
  check_inputs(ratios, examples, queries, population, gamma);
  const PairTest wins = pair_test(gamma, how);
  const std::vector<uint8_t> in_population = population_flags(examples, population);
  const double size = static_cast<double>(population.size());
  std::vector<double> scores(static_cast<size_t>(examples), 0.0);
  std::vector<double> sorted(population.size());
  for (int64_t q = 0; q < queries; ++q) {
    // Log space: the log ratios, ascending; the predicate lx − lz > log γ holds on a prefix.
    // Linear space: the reciprocals 1/ratio(z), ascending; ratio(x)·(1/ratio(z)) > γ holds on a suffix
    // for ratio(x) > 0, on a prefix for ratio(x) < 0, nowhere for 0.
    for (size_t i = 0; i < population.size(); ++i) {
      const double r = ratios[static_cast<size_t>(population[i] * queries + q)];
      sorted[i] = how.linear ? 1.0 / r : r;
    }
    std::sort(sorted.begin(), sorted.end());
    for (int64_t n = 0; n < examples; ++n) {
      const double rx = ratios[static_cast<size_t>(n * queries + q)];
      double count = 0.0;
      if (!how.linear) {
        count = static_cast<double>(std::partition_point(sorted.begin(), sorted.end(), [&](double lz) {
                                      return wins(rx, lz);
                                    }) - sorted.begin());
      } else if (rx > 0.0) {
        count = static_cast<double>(sorted.end() - std::partition_point(sorted.begin(), sorted.end(), [&](double rev) {
                                      return !(rx * rev > gamma);
                                    }));
      } else if (rx < 0.0) {
        count = static_cast<double>(std::partition_point(sorted.begin(), sorted.end(), [&](double rev) {
                                      return rx * rev > gamma;
                                    }) - sorted.begin());
      }
      double others = size;
      if (in_population[static_cast<size_t>(n)]) {
        count -= wins(rx, rx) ? 1.0 : 0.0;  // x is not compared with itself
        others -= 1.0;
      }
      scores[static_cast<size_t>(n)] += others > 0 ? count / others : 0.0;
    }
  }
  for (double& s : scores) s /= static_cast<double>(queries);
  return scores;
}

std::vector<double> rmia_scores_pairwise(const std::vector<double>& ratios, int64_t examples, int64_t queries,
                                         const std::vector<int64_t>& population, double gamma, int64_t only,
                                         const RmiaScoring& how) {
  check_inputs(ratios, examples, queries, population, gamma);
  const PairTest wins = pair_test(gamma, how);
  const int64_t count = only > 0 ? std::min(only, examples) : examples;
  std::vector<double> scores(static_cast<size_t>(count), 0.0);
  for (int64_t n = 0; n < count; ++n) {
    if (how.vote) {
      int64_t won = 0, others = 0;
      for (int64_t z : population) {
        if (z == n) continue;  // x is not compared with itself
        ++others;
        won += vote_wins(ratios, queries, n, z, wins) ? 1 : 0;
      }
      scores[static_cast<size_t>(n)] = others > 0 ? static_cast<double>(won) / static_cast<double>(others) : 0.0;
      continue;
    }
    double total = 0.0;
    for (int64_t q = 0; q < queries; ++q) {
      const double rx = ratios[static_cast<size_t>(n * queries + q)];
      int64_t won = 0, others = 0;
      for (int64_t z : population) {
        if (z == n) continue;
        ++others;
        won += wins(rx, ratios[static_cast<size_t>(z * queries + q)]) ? 1 : 0;
      }
      total += others > 0 ? static_cast<double>(won) / static_cast<double>(others) : 0.0;
    }
    scores[static_cast<size_t>(n)] = total / static_cast<double>(queries);
  }
  return scores;
}

}  // namespace cwrf::attack
