#include "cwrf/train/schedule.h"

#include "cwrf/common/error.h"

#include <cmath>

namespace cwrf::train {

double cosine_lr(double lr0, int64_t step, int64_t total_steps) {
  if (total_steps <= 0) return lr0;
  const double progress = static_cast<double>(step) / static_cast<double>(total_steps);
  return lr0 * (1.0 + std::cos(M_PI * progress)) / 2.0;
}

double scheduled_lr(const std::string& schedule, double lr0, int64_t step, int64_t total_steps) {
  if (schedule == "cosine") return cosine_lr(lr0, step, total_steps);
  if (schedule == "constant") return lr0;
  throw Error("lr_schedule must be 'cosine' or 'constant', got '" + schedule + "'");
}

}  // namespace cwrf::train
