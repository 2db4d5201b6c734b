// `defense = "dpsgd"` through a whole (tiny) training job: the model directory's metrics carry
// the privacy spent and its config the noise multiplier that was used.
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/job/keys.h"
#include "cwrf/job/model_job.h"
#include "cwrf/train/dp/accountant.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cwrf::train::dp {
namespace {

class DpSgdJobTest : public ::testing::Test {
 protected:
  void SetUp() override { cwrf::testing::write_synthetic_idx_dataset(dir_ / "data", 300, 60, 8, 3); }

  config::Config tiny_config() const {
    return cwrf::testing::tiny_idx_config(dir_ / "data", {{"data.train_size", 100},
                                                          {"data.ref_size", 20},
                                                          {"batch_size", 25},
                                                          {"model.norm", "group"},
                                                          {"defense", "dpsgd"},
                                                          {"dp.epsilon", 8.0}});
  }

  cwrf::testing::TempDir dir_;
};

TEST_F(DpSgdJobTest, TrainsAndReportsEpsilon) {
  const auto result = job::run_model_job(tiny_config(), dir_ / "runs", {});
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
  config::Config again(job::schema());
  again.merge_toml_file(result.dir / "config.toml");
  EXPECT_TRUE(job::run_model_job(again, dir_ / "runs", {}).reused);
}

// CWRF fine-tuning under DP-SGD goes through the same pipeline: its log carries ε per epoch too
// (it did not when fine-tuning was a job of its own), and ε accounts for the fine-tuning steps.
TEST_F(DpSgdJobTest, CwrfFineTuningUnderDpSgdLogsEpsilonPerEpoch) {
  config::Config base = tiny_config();
  base.set("defense", "ce");
  base.clear_prefix("dp.");
  const auto parent = job::run_model_job(base, dir_ / "runs", {});
  config::Config c = job::model_config(job::open_model_dir(parent.dir));
  c.set("defense", "dpsgd");
  c.set("dp.epsilon", 8.0);
  c.set("cwrf.epochs", 3);
  c.set("cwrf.iterations", 2);
  c.set("cwrf.batch_size", 16);
  const auto result = job::run_model_job(c, dir_ / "runs", parent.dir);
  const std::string log = read_file(result.dir / "log.jsonl");
  std::vector<nlohmann::json> lines;
  for (size_t at = 0, nl; (nl = log.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(nlohmann::json::parse(log.substr(at, nl - at)));
  ASSERT_EQ(lines.size(), 3u);
  double previous = 0.0;
  for (const auto& line : lines) {
    ASSERT_TRUE(line.contains("epsilon")) << line.dump();
    EXPECT_GT(line.at("epsilon").get<double>(), previous);
    previous = line.at("epsilon").get<double>();
  }
  EXPECT_EQ(lines.back().at("steps").get<int64_t>(), 12);  // 3 epochs x ceil(100 / 25)
  EXPECT_DOUBLE_EQ(previous, result.metrics.at("epsilon").get<double>());
  EXPECT_LE(previous, 8.0);
}

TEST_F(DpSgdJobTest, BatchNormModelIsRejected) {
  config::Config c = tiny_config();
  c.set("model.norm", "batch");
  try {
    job::run_model_job(c, dir_ / "runs", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.norm = \"group\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cwrf::train::dp
