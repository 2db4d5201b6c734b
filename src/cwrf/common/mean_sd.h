// The mean and sample standard deviation (ddof 1, as the paper's "mean (std)" over runs and
// numpy's std(ddof=1)) of a list of values, and its percentiles: the one definition every
// report, benchmark, bootstrap interval and attack summary uses.
#pragma once

#include <cstdint>
#include <vector>

namespace cwrf {

struct MeanSd {
  double mean = 0.0;
  double sd = 0.0;  // 0 for a single value
  int64_t n = 0;
};

// Empty input: n = 0, mean and sd NaN.
MeanSd mean_sd(const std::vector<double>& values);

// The p-quantile (p in [0, 1]) with numpy's default linear interpolation between order
// statistics, as bootstrap percentile intervals use it. NaN for no values.
double percentile(std::vector<double> values, double p);

}  // namespace cwrf
