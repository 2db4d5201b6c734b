#include "cwrf/common/mean_sd.h"

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

}  // namespace cwrf
