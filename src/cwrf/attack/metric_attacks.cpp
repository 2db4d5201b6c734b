#include "cwrf/attack/metric_attacks.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace cwrf::attack {

std::string metric_name(MetricKind kind) {
  switch (kind) {
    case MetricKind::kLoss: return "loss";
    case MetricKind::kConfidence: return "confidence";
    case MetricKind::kEntropy: return "entropy";
    case MetricKind::kModifiedEntropy: return "modified-entropy";
  }
  return "?";
}

std::vector<MetricKind> all_metrics() {
  return {MetricKind::kLoss, MetricKind::kConfidence, MetricKind::kEntropy, MetricKind::kModifiedEntropy};
}

MetricKind parse_metric(const std::string& name) {
  for (MetricKind k : all_metrics())
    if (metric_name(k) == name) return k;
  throw Error(fmt::format("unknown metric attack '{}'; known: loss, confidence, entropy, modified-entropy", name));
}

ThresholdFit fit_threshold(const std::vector<double>& in_values, const std::vector<double>& out_values) {
  require(!in_values.empty() && !out_values.empty(), "fit_threshold: needs IN and OUT values");
  std::vector<std::pair<double, bool>> all;  // (value, is IN)
  all.reserve(in_values.size() + out_values.size());
  for (double v : in_values) all.emplace_back(v, true);
  for (double v : out_values) all.emplace_back(v, false);
  std::sort(all.begin(), all.end());
  const double n_in = static_cast<double>(in_values.size()), n_out = static_cast<double>(out_values.size());
  ThresholdFit best{all.front().first, -1.0};
  size_t in_below = 0, out_below = 0;  // values strictly below the candidate
  for (size_t i = 0; i < all.size();) {
    const double t = all[i].first;
    const double acc = 0.5 * ((n_in - static_cast<double>(in_below)) / n_in + static_cast<double>(out_below) / n_out);
    if (acc > best.accuracy) best = {t, acc};
    for (; i < all.size() && all[i].first == t; ++i) (all[i].second ? in_below : out_below) += 1;
  }
  return best;
}

MetricResult metric_attack(const SignalArray& statistic, MetricKind kind, const std::vector<int64_t>& labels,
                           int64_t classes, const ShadowSplit& split) {
  require(statistic.examples == split.examples && static_cast<int64_t>(labels.size()) == split.examples,
          "metric_attack: the statistic, labels and shadow split disagree on the examples");
  if (split.in_count < 1 || split.out_count < 1)
    throw Error(fmt::format("metric attack ({}) for target model {} needs IN and OUT shadow models for every "
                            "example, has {} IN and {} OUT", metric_name(kind), split.target, split.in_count,
                            split.out_count));
  const double sign = (kind == MetricKind::kConfidence) ? 1.0 : -1.0;
  const int64_t Q = statistic.queries;
  auto value = [&](int64_t m, int64_t n) {
    double sum = 0.0;
    for (int64_t q = 0; q < Q; ++q) sum += statistic(m, n, q);
    return sign * sum / static_cast<double>(Q);
  };
  std::vector<std::vector<double>> in(static_cast<size_t>(classes)), out(static_cast<size_t>(classes));
  std::vector<double> all_in, all_out;
  for (int64_t n = 0; n < split.examples; ++n) {
    const auto c = static_cast<size_t>(labels[static_cast<size_t>(n)]);
    require(labels[static_cast<size_t>(n)] >= 0 && labels[static_cast<size_t>(n)] < classes,
            fmt::format("metric_attack: label of example {} outside [0, {})", n, classes));
    for (int64_t k = 0; k < split.in_count; ++k) in[c].push_back(value(split.in_row(n)[k], n));
    for (int64_t k = 0; k < split.out_count; ++k) out[c].push_back(value(split.out_row(n)[k], n));
  }
  for (size_t c = 0; c < in.size(); ++c) {
    all_in.insert(all_in.end(), in[c].begin(), in[c].end());
    all_out.insert(all_out.end(), out[c].begin(), out[c].end());
  }
  // A class absent from the pool (or seen on one side only) falls back to one global threshold.
  const double global = fit_threshold(all_in, all_out).threshold;
  MetricResult result;
  result.thresholds.resize(static_cast<size_t>(classes), global);
  for (size_t c = 0; c < in.size(); ++c)
    if (!in[c].empty() && !out[c].empty()) result.thresholds[c] = fit_threshold(in[c], out[c]).threshold;
  result.scores.resize(static_cast<size_t>(split.examples));
  for (int64_t n = 0; n < split.examples; ++n)
    result.scores[static_cast<size_t>(n)] =
        value(split.target, n) - result.thresholds[static_cast<size_t>(labels[static_cast<size_t>(n)])];
  return result;
}

}  // namespace cwrf::attack
