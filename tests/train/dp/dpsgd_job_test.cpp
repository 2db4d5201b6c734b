// `defense = "dpsgd"` through a whole (tiny) training job: the model directory's metrics carry
// the privacy spent and its config the noise multiplier that was used.
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/config/keys.h"
#include "cwrf/train/dp/accountant.h"
#include "cwrf/train/train_job.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cwrf::train::dp {
namespace {

class DpSgdJobTest : public ::testing::Test {
 protected:
  void SetUp() override { cwrf::testing::write_synthetic_idx_dataset(dir_ / "data", 300, 60, 8, 3); }

  config::Config tiny_config() const {
    config::Config c(config::schema());
    c.set("data.name", "idx");
    c.set("data.path", (dir_ / "data").string());
    c.set("data.train_size", 100);
    c.set("data.ref_size", 20);
    c.set("epochs", 2);
    c.set("batch_size", 25);
    c.set("model.width", 4);
    c.set("model.norm", "group");
    c.set("threads", 1);
    c.set("defense", "dpsgd");
    c.set("dp.epsilon", 8.0);
    return c;
  }

  cwrf::testing::TempDir dir_;
};

TEST_F(DpSgdJobTest, TrainsAndReportsEpsilon) {
  const auto result = run_train_job(tiny_config(), dir_ / "runs");
  const auto& m = result.metrics;
  EXPECT_EQ(result.dir.filename().string().rfind("cnn-dpsgd-m0-", 0), 0u) << result.dir;
  EXPECT_EQ(m.at("steps").get<int64_t>(), 8);  // 2 epochs x ceil(100 / 25)
  EXPECT_DOUBLE_EQ(m.at("sampling_rate").get<double>(), 0.25);
  const double eps = m.at("epsilon").get<double>();
  EXPECT_LE(eps, 8.0);
  EXPECT_GE(eps, 7.99);
  EXPECT_DOUBLE_EQ(eps, epsilon(m.at("noise_multiplier").get<double>(), 0.25, 8, 1e-5));
  EXPECT_EQ(m.at("delta").get<double>(), 1e-5);
  EXPECT_EQ(m.at("max_grad_norm").get<double>(), 1.0);
  // The training log carries the ε spent after each epoch; the last one is the model's.
  const std::string log = read_file(result.dir / "log.jsonl");
  const auto first = nlohmann::json::parse(log.substr(0, log.find('\n')));
  const auto last = nlohmann::json::parse(log.substr(log.rfind('\n', log.size() - 2) + 1));
  EXPECT_EQ(first.at("steps").get<int64_t>(), 4);
  EXPECT_LT(first.at("epsilon").get<double>(), eps);
  EXPECT_DOUBLE_EQ(last.at("epsilon").get<double>(), eps);
  const std::string toml = read_file(result.dir / "config.toml");
  EXPECT_NE(toml.find("noise_multiplier"), std::string::npos) << toml;
  // The effective config trains the same model: found, not retrained.
  config::Config again(config::schema());
  again.merge_toml_file(result.dir / "config.toml");
  EXPECT_TRUE(run_train_job(again, dir_ / "runs").reused);
}

TEST_F(DpSgdJobTest, BatchNormModelIsRejected) {
  config::Config c = tiny_config();
  c.set("model.norm", "batch");
  try {
    run_train_job(c, dir_ / "runs");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.norm = \"group\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cwrf::train::dp
