#include "cwrf/experiment/comparison.h"

#include "cwrf/common/error.h"
#include "cwrf/common/mean_sd.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace cwrf::experiment {

Difference paired_difference(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b,
                             int64_t replicates, uint64_t seed, double confidence) {
  require(a.size() == b.size(), "paired_difference: the two rows have different numbers of runs");
  // Per run, the differences of its complete pairs.
  std::vector<std::vector<double>> runs;
  Difference d;
  double sum = 0.0;
  for (size_t r = 0; r < a.size(); ++r) {
    require(a[r].size() == b[r].size(), "paired_difference: the two rows have different numbers of targets");
    std::vector<double> diffs;
    for (size_t t = 0; t < a[r].size(); ++t)
      if (std::isfinite(a[r][t]) && std::isfinite(b[r][t])) diffs.push_back(b[r][t] - a[r][t]);
    for (double x : diffs) sum += x;
    d.pairs += static_cast<int64_t>(diffs.size());
    if (!diffs.empty()) runs.push_back(std::move(diffs));
  }
  if (d.pairs == 0) {
    d.mean = d.low = d.high = std::nan("");
    return d;
  }
  d.mean = sum / static_cast<double>(d.pairs);
  std::mt19937_64 rng(seed);
  std::vector<double> means;
  means.reserve(static_cast<size_t>(replicates));
  std::uniform_int_distribution<size_t> pick_run(0, runs.size() - 1);
  for (int64_t i = 0; i < replicates; ++i) {
    double total = 0.0;
    int64_t count = 0;
    for (size_t r = 0; r < runs.size(); ++r) {
      const std::vector<double>& run = runs[pick_run(rng)];
      std::uniform_int_distribution<size_t> pick_target(0, run.size() - 1);
      for (size_t t = 0; t < run.size(); ++t) total += run[pick_target(rng)];
      count += static_cast<int64_t>(run.size());
    }
    means.push_back(total / static_cast<double>(count));
  }
  d.low = percentile(means, (1.0 - confidence) / 2.0);
  d.high = percentile(means, 1.0 - (1.0 - confidence) / 2.0);
  d.excludes_zero = d.low > 0.0 || d.high < 0.0;
  return d;
}

}  // namespace cwrf::experiment
