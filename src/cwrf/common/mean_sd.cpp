#include <stdexcept>
#include "cwrf/common/mean_sd.h"

#include <algorithm>
#include <cmath>

namespace cwrf {

MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd r;
  r.n = static_cast<int64_t>(values.size());
  if (values.empty()) {
    r.mean = r.sd = std::nan("");
    return r;
  }
  for (double v : values) r.mean += v;
  r.mean /= static_cast<double>(values.size());
  if (values.size() > 1) {
    double ss = 0.0;
    for (double v : values) ss += (v - r.mean) * (v - r.mean);
    r.sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  }
  return r;
}

double percentile(std::vector<double> v, double p) {
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("percentile: p must be in [0, 1]");
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace cwrf
