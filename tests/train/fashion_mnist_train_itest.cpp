// Training on the real Fashion-MNIST files reduces the loss and learns something.
#include "cwrf/job/keys.h"
#include "cwrf/job/model_job.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cwrf::train {
namespace {

TEST(FashionMnistTraining, LossFallsAndAccuracyRises) {
  if (!cwrf::testing::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  cwrf::testing::TempDir dir;
  config::Config c(job::schema());
  c.set("data.train_size", 3000);
  c.set("data.ref_size", 500);
  c.set("data.test_size", 2000);
  c.set("epochs", 3);
  c.set("model.width", 16);
  std::vector<EpochRecord> history;
  job::JobCallbacks callbacks;
  callbacks.train.on_epoch = [&](const EpochRecord& r) { history.push_back(r); };
  const auto result = job::run_model_job(c, dir.path(), {}, callbacks);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_LT(history[0].train_loss, std::log(10.0));  // below chance level already
  EXPECT_LT(history[1].train_loss, history[0].train_loss);
  EXPECT_LT(history[2].train_loss, history[1].train_loss);
  EXPECT_LT(history[2].test_loss, history[0].test_loss);
  EXPECT_GT(result.metrics.at("test_acc").get<double>(), 0.75);
  EXPECT_GT(result.metrics.at("train_acc").get<double>(), 0.75);
  EXPECT_EQ(result.metrics.at("train_size").get<int64_t>(), 3000);
  EXPECT_EQ(result.metrics.at("test_size").get<int64_t>(), 2000);
}

}  // namespace
}  // namespace cwrf::train
