#include "cwrf/common/mean_sd.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cwrf {
namespace {

TEST(MeanSd, SampleStandardDeviation) {
  const MeanSd s = mean_sd({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.sd, 1.0);  // ddof 1: sqrt(2 / 2)
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(mean_sd({2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}).sd, std::sqrt(32.0 / 7.0));
  EXPECT_DOUBLE_EQ(mean_sd({4.0}).sd, 0.0);
  EXPECT_TRUE(std::isnan(mean_sd({}).mean));
  EXPECT_EQ(mean_sd({}).n, 0);
}

}  // namespace
}  // namespace cwrf
