// The mean and sample standard deviation (ddof 1, as the paper's "mean (std)" over runs and
// numpy's std(ddof=1)) of a list of values: the one definition every report, benchmark and
// attack summary uses.
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

}  // namespace cwrf
