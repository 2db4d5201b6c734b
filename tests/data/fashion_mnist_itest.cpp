// Integration: the real Fashion-MNIST files from Debian's dataset-fashion-mnist.
#include "cwrf/data/loaders.h"
#include "cwrf/data/normalize.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <iostream>

namespace cwrf::data {
namespace {

TEST(FashionMnist, LoadsWithTheExpectedShapesClassesAndStatistics) {
  if (!testing::have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  DataOptions options;  // defaults: fashion-mnist from its Debian location
  const auto start = std::chrono::steady_clock::now();
  TrainTest data = load_dataset(options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ timing   ] Fashion-MNIST train + test loaded in " << seconds << " s\n";

  EXPECT_EQ(data.train.inputs.sizes(), (std::vector<int64_t>{60000, 1, 28, 28}));
  EXPECT_EQ(data.test.inputs.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(data.train.inputs.scalar_type(), torch::kUInt8);
  EXPECT_EQ(data.train.labels.scalar_type(), torch::kInt64);
  EXPECT_EQ(data.train.num_classes, 10);
  EXPECT_EQ(data.test.num_classes, 10);
  EXPECT_TRUE(torch::equal(torch::bincount(data.train.labels), torch::full({10}, 6000, torch::kInt64)));
  EXPECT_TRUE(torch::equal(torch::bincount(data.test.labels), torch::full({10}, 1000, torch::kInt64)));
  EXPECT_EQ(data.train.name, "fashion-mnist/train");

  const auto stats_start = std::chrono::steady_clock::now();
  Normalization n = compute_normalization(data.train);
  std::cout << "[ timing   ] normalisation statistics in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - stats_start).count() << " s\n";
  ASSERT_EQ(n.mean.size(), 1u);
  EXPECT_NEAR(n.mean[0], 0.2860, 5e-4);
  EXPECT_NEAR(n.std[0], 0.3530, 5e-4);
}

}  // namespace
}  // namespace cwrf::data
