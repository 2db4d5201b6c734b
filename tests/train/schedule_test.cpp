#include "cwrf/common/error.h"
#include "cwrf/train/schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cwrf::train {
namespace {

TEST(Schedule, CosineMatchesClosedForm) {
  EXPECT_DOUBLE_EQ(cosine_lr(1e-3, 0, 100), 1e-3);
  EXPECT_NEAR(cosine_lr(1e-3, 50, 100), 0.5e-3, 1e-15);
  EXPECT_NEAR(cosine_lr(1e-3, 25, 100), 1e-3 * (1 + std::cos(M_PI / 4)) / 2, 1e-15);
  EXPECT_NEAR(cosine_lr(1e-3, 100, 100), 0.0, 1e-15);
  // Monotone decreasing over the run.
  for (int t = 1; t <= 100; ++t) EXPECT_LT(cosine_lr(1.0, t, 100), cosine_lr(1.0, t - 1, 100));
}

TEST(Schedule, ConstantAndUnknown) {
  EXPECT_EQ(scheduled_lr("constant", 0.1, 77, 100), 0.1);
  EXPECT_THROW(scheduled_lr("linear", 0.1, 0, 10), Error);
}

}  // namespace
}  // namespace cwrf::train
