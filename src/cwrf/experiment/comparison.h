// Whether a row differs from another beyond the noise: the mean paired difference of a metric
// (CWRF row minus its defense alone) over targets and runs, with a 95 % bootstrap interval.
//
// Pairs: the same run and the same target index have the same membership split and targets
// (every row of a run trains its K models on the same split), so row B's target k is compared
// with row A's target k. The bootstrap is hierarchical, because targets of one run share their
// shadow models and are not independent: each replicate draws runs with replacement, then
// targets with replacement within each drawn run, and takes the mean difference over the draws.
// With one run it is a bootstrap over targets. Percentile interval; "excludes zero" when both
// ends are on the same side of 0.
#pragma once

#include <cstdint>
#include <vector>

namespace cwrf::experiment {

struct Difference {
  double mean = 0.0;           // mean over all pairs of (b - a)
  double low = 0.0, high = 0.0;
  bool excludes_zero = false;
  int64_t pairs = 0;
};

// a[run][target], b[run][target]: the same shape (pairs with a NaN on either side are left out).
Difference paired_difference(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b,
                             int64_t replicates = 2000, uint64_t seed = 0, double confidence = 0.95);

}  // namespace cwrf::experiment
