#include "cwrf/common/error.h"
#include "cwrf/data/normalize.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::data {
namespace {

// Two images, two channels, 1x2 pixels. Channel 0 values {0, 255, 51, 102}; channel 1 {10, 10, 10, 30}.
Dataset two_channel() {
  Dataset d;
  d.inputs = torch::tensor({0, 255, 10, 10, 51, 102, 10, 30}, torch::kInt64).to(torch::kUInt8).reshape({2, 2, 1, 2});
  d.labels = torch::tensor({0, 1}, torch::kInt64);
  d.num_classes = 2;
  d.name = "two";
  return d;
}

TEST(Normalize, MatchesAHandComputation) {
  Normalization n = compute_normalization(two_channel());
  ASSERT_EQ(n.mean.size(), 2u);
  // Channel 0: values/255 = {0, 1, 0.2, 0.4}; mean 0.4; population variance
  // (0.16 + 0.36 + 0.04 + 0) / 4 = 0.14.
  EXPECT_NEAR(n.mean[0], 0.4, 1e-12);
  EXPECT_NEAR(n.std[0], std::sqrt(0.14), 1e-12);
  // Channel 1: {10, 10, 10, 30}/255: mean 15/255; variance (3 * 25 + 225) / 4 / 255^2 = 75 / 255^2.
  EXPECT_NEAR(n.mean[1], 15.0 / 255.0, 1e-12);
  EXPECT_NEAR(n.std[1], std::sqrt(75.0) / 255.0, 1e-12);
}

TEST(Normalize, ImagesBecomeStandardisedFloat32) {
  Dataset d = two_channel();
  Normalization n = compute_normalization(d);
  torch::Tensor x = normalize_images(d.inputs, n);
  EXPECT_EQ(x.scalar_type(), torch::kFloat32);
  EXPECT_EQ(x.sizes(), d.inputs.sizes());
  // Pixel (image 1, channel 0, 0, 1) = 102: (0.4 - 0.4) / std = 0.
  EXPECT_NEAR(x[1][0][0][1].item<float>(), 0.0f, 1e-6);
  // Pixel (image 0, channel 0, 0, 1) = 255: (1 - 0.4) / sqrt(0.14).
  EXPECT_NEAR(x[0][0][0][1].item<float>(), 0.6 / std::sqrt(0.14), 1e-5);
  // Per channel, the result has mean 0 and population std 1.
  torch::Tensor per_channel = x.transpose(0, 1).reshape({2, -1}).to(torch::kFloat64);
  EXPECT_TRUE(torch::allclose(per_channel.mean(1), torch::zeros({2}, torch::kFloat64), 0, 1e-6));
  EXPECT_TRUE(torch::allclose(per_channel.std(1, /*unbiased=*/false), torch::ones({2}, torch::kFloat64), 0, 1e-6));
}

TEST(Normalize, ChannelCountMustMatch) {
  Normalization one{{0.5}, {0.25}};
  EXPECT_THROW(normalize_images(two_channel().inputs, one), Error);
}

TEST(Normalize, TextHasNoNormalisation) {
  Dataset text;
  text.inputs = torch::zeros({3, 5}, torch::kInt64);
  text.labels = torch::zeros({3}, torch::kInt64);
  Normalization n = compute_normalization(text);
  EXPECT_TRUE(n.mean.empty());
  EXPECT_TRUE(n.std.empty());
}

}  // namespace
}  // namespace cwrf::data
