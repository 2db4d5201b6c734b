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

// log of the mean of e^{v_k} over the listed models.
double log_mean_exp(const SignalArray& log_signal, const int32_t* models, int64_t count, int64_t n, int64_t q) {
  double peak = -std::numeric_limits<double>::infinity();
  for (int64_t k = 0; k < count; ++k) peak = std::max(peak, log_signal(models[k], n, q));
  if (!std::isfinite(peak)) return peak;
  double sum = 0.0;
  for (int64_t k = 0; k < count; ++k) sum += std::exp(log_signal(models[k], n, q) - peak);
  return peak + std::log(sum / static_cast<double>(count));
}

void check_inputs(const std::vector<double>& log_ratios, int64_t examples, int64_t queries,
                  const std::vector<int64_t>& population, double gamma) {
  require(static_cast<int64_t>(log_ratios.size()) == examples * queries,
          "rmia_scores: log_ratios must have examples × queries entries");
  require(gamma > 0.0, fmt::format("--rmia-gamma must be > 0, got {}", gamma));
  require(!population.empty(), "RMIA: the population Z is empty (the target has no non-members)");
  for (int64_t z : population) require(z >= 0 && z < examples, fmt::format("RMIA: population index {} out of range", z));
  for (double v : log_ratios)
    require(!std::isnan(v), "RMIA: a probability ratio is NaN (non-finite logits from some model?)");
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
  require(log_signal.examples == split.examples && split.target < log_signal.models,
          "rmia_log_ratios: the signal array and the shadow split disagree on the examples or models");
  require(o.offline_a >= 0.0 && o.offline_a <= 1.0, fmt::format("--rmia-offline-a must be in [0, 1], got {}", o.offline_a));
  const std::string shortfall = rmia_shortfall(split, o);
  require(shortfall.empty(), shortfall);
  const int64_t N = log_signal.examples, Q = log_signal.queries;
  const double log_half = std::log(0.5);
  const double log_w_out = std::log((1.0 + o.offline_a) / 2.0);
  const double log_w_const = std::log((1.0 - o.offline_a) / 2.0);  // −inf for a = 1: P = P_out
  std::vector<double> out(static_cast<size_t>(N * Q));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t q = 0; q < Q; ++q) {
      const double log_p_out = log_mean_exp(log_signal, split.out_row(n), split.out_count, n, q);
      double log_p;
      if (o.online) {
        const double log_p_in = log_mean_exp(log_signal, split.in_row(n), split.in_count, n, q);
        log_p = log_add_exp(log_p_in, log_p_out) + log_half;
      } else {
        log_p = log_add_exp(log_w_out + log_p_out, log_w_const);
      }
      out[static_cast<size_t>(n * Q + q)] = log_signal(split.target, n, q) - log_p;
    }
  return out;
}

std::vector<double> rmia_scores(const std::vector<double>& log_ratios, int64_t examples, int64_t queries,
                                const std::vector<int64_t>& population, double gamma) {
  check_inputs(log_ratios, examples, queries, population, gamma);
  const double log_gamma = std::log(gamma);
  const std::vector<uint8_t> in_population = population_flags(examples, population);
  const bool self_wins = rmia_pair_wins(0.0, 0.0, log_gamma);  // LR(x, x) = 1 > γ only for γ < 1
  const double size = static_cast<double>(population.size());
  std::vector<double> scores(static_cast<size_t>(examples), 0.0);
  std::vector<double> sorted(population.size());
  for (int64_t q = 0; q < queries; ++q) {
    for (size_t i = 0; i < population.size(); ++i)
      sorted[i] = log_ratios[static_cast<size_t>(population[i] * queries + q)];
    std::sort(sorted.begin(), sorted.end());
    for (int64_t n = 0; n < examples; ++n) {
      const double lx = log_ratios[static_cast<size_t>(n * queries + q)];
      // The predicate is true on a prefix of the ascending values: count it by binary search.
      const auto end = std::partition_point(sorted.begin(), sorted.end(),
                                            [&](double lz) { return rmia_pair_wins(lx, lz, log_gamma); });
      double wins = static_cast<double>(end - sorted.begin());
      double others = size;
      if (in_population[static_cast<size_t>(n)]) {
        wins -= self_wins ? 1.0 : 0.0;
        others -= 1.0;
      }
      scores[static_cast<size_t>(n)] += others > 0 ? wins / others : 0.0;
    }
  }
  for (double& s : scores) s /= static_cast<double>(queries);
  return scores;
}

std::vector<double> rmia_scores_pairwise(const std::vector<double>& log_ratios, int64_t examples, int64_t queries,
                                         const std::vector<int64_t>& population, double gamma, int64_t only) {
  check_inputs(log_ratios, examples, queries, population, gamma);
  const double log_gamma = std::log(gamma);
  const int64_t count = only > 0 ? std::min(only, examples) : examples;
  std::vector<double> scores(static_cast<size_t>(count), 0.0);
  for (int64_t n = 0; n < count; ++n) {
    double total = 0.0;
    for (int64_t q = 0; q < queries; ++q) {
      const double lx = log_ratios[static_cast<size_t>(n * queries + q)];
      int64_t wins = 0, others = 0;
      for (int64_t z : population) {
        if (z == n) continue;  // x is not compared with itself
        ++others;
        wins += rmia_pair_wins(lx, log_ratios[static_cast<size_t>(z * queries + q)], log_gamma) ? 1 : 0;
      }
      total += others > 0 ? static_cast<double>(wins) / static_cast<double>(others) : 0.0;
    }
    scores[static_cast<size_t>(n)] = total / static_cast<double>(queries);
  }
  return scores;
}

}  // namespace cwrf::attack
