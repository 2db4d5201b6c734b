#include "cwrf/attack/base.h"

#include "cwrf/attack/rmia.h"
#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <cmath>

namespace cwrf::attack {

std::string base_variant(const BaseOptions& o) { return o.online ? "online" : "offline"; }

std::string base_shortfall(const ShadowSplit& s, const BaseOptions& o) {
  if (o.online && s.in_count < 1)
    return fmt::format("BASE online for target model {} needs an IN reference model for every example, but some "
                       "example is IN for none of the other models (train more models sharing the split)", s.target);
  if (s.out_count < 1)
    return fmt::format("BASE {} for target model {} needs an OUT reference model for every example, but some "
                       "example is OUT for none of the other models", base_variant(o), s.target);
  return "";
}

std::vector<double> base_scores(const SignalArray& log_signal, const ShadowSplit& split, const BaseOptions& o) {
  require(o.temperature > 0.0 && std::isfinite(o.temperature),
          fmt::format("BASE: the temperature must be finite and > 0, got {}", o.temperature));
  require(o.offline_scale >= 0.0 && o.offline_scale <= 1.0,
          fmt::format("BASE: the offline scale must be in [0, 1], got {}", o.offline_scale));
  require(log_signal.examples == split.examples && split.target < log_signal.models,
          "base_scores: the signal array and the shadow split disagree on the examples or models");
  const std::string shortfall = base_shortfall(split, o);
  require(shortfall.empty(), shortfall);
  // Both forms are RMIA's log ratio log s(x) − log P(x) (rmia.h): online with P = ½(P_in + P_out),
  // offline with a = 1 (P = P_out), then own − c·log P_out = (1 − c)·own + c·ratio.
  RmiaOptions rmia;
  rmia.online = o.online;
  rmia.offline_a = 1.0;
  const std::vector<double> ratios = rmia_log_ratios(log_signal, split, rmia);
  const int64_t N = log_signal.examples, Q = log_signal.queries;
  std::vector<double> scores(static_cast<size_t>(N), 0.0);
  for (int64_t n = 0; n < N; ++n) {
    double total = 0.0;
    for (int64_t q = 0; q < Q; ++q) {
      const double own = log_signal(split.target, n, q);
      require(!std::isnan(own), fmt::format("BASE: the target's signal of example {} is NaN", n));
      const double ratio = ratios[static_cast<size_t>(n * Q + q)];
      // s = 0 (a softmax that underflowed) is the least member-like signal in every form.
      if (std::isinf(own) || o.online) total += ratio;
      else total += own - o.offline_scale * (own - ratio);
    }
    scores[static_cast<size_t>(n)] = total / static_cast<double>(Q);
  }
  return scores;
}

}  // namespace cwrf::attack
