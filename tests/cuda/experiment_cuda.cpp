// The `cuda` suite, end to end: a tiny experiment (train, PVE scoring, rewind + fine-tune, LiRA and
// RMIA) runs with device = "cuda", with two jobs sharing the GPU and spread over the GPUs there are;
// a model trained with amp = "bf16" on the GPU. Skipped where this LibTorch has no GPU.
#include "cwrf/common/device.h"
#include "cwrf/common/files.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/runner.h"
#include "cwrf/job/model_job.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf {
namespace {

namespace fs = std::filesystem;

class CudaExperiment : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: " << cuda_unavailable_reason();
    testing::write_synthetic_idx_dataset(dir_ / "data", 400, 100, 8, 3);
    testing::TinyExperiment tiny;
    tiny.epochs = 2;
    tiny.name = "tiny on cuda";
    tiny.top_keys = "device = \"cuda\"\n";
    testing::write_bytes(dir_ / "exp.toml", testing::tiny_experiment_toml(dir_ / "data", tiny));
  }

  experiment::RunSummary run(const fs::path& out, const std::vector<std::string>& set = {}) {
    experiment::Experiment e = experiment::read_experiment(dir_ / "exp.toml", set);
    e.settings.set("experiment.out", out.string(), "test");
    return experiment::run_experiment(e, {}, CWRF_BINARY);
  }

  testing::TempDir dir_;
};

TEST_F(CudaExperiment, RunsEveryStageOnTheGpu) {
  const experiment::RunSummary s = run(dir_ / "out");
  EXPECT_EQ(s.trained, 12);
  EXPECT_EQ(s.attacked, 2);
  const auto timing = nlohmann::json::parse(read_file(s.report_dir / "timing.json"));
  EXPECT_EQ(timing.at("device"), "cuda");
  EXPECT_EQ(timing.at("parallel_jobs"), 2);  // --jobs 2 on one GPU
  EXPECT_NE(s.markdown.find("CE + CWRF"), std::string::npos);
  // Every attack computed its signals on the GPU.
  for (const auto& entry : fs::directory_iterator(dir_ / "out" / "attacks")) {
    const auto results = nlohmann::json::parse(read_file(entry.path() / "results.json"));
    EXPECT_EQ(results.at("device"), "cuda") << entry.path();
  }
}

TEST_F(CudaExperiment, SpreadsJobsOverTheGpus) {
  const int64_t n = static_cast<int64_t>(torch::cuda::device_count());
  std::string devices = "experiment.devices=0";
  for (int64_t g = 1; g < std::min<int64_t>(n, 4); ++g) devices += "," + std::to_string(g);
  const experiment::RunSummary s = run(dir_ / "spread", {devices, "experiment.jobs=1"});
  EXPECT_EQ(s.trained, 12);
  const auto timing = nlohmann::json::parse(read_file(s.report_dir / "timing.json"));
  EXPECT_EQ(timing.at("parallel_jobs"), std::min<int64_t>(n, 4));
  EXPECT_EQ(timing.at("gpus").size(), static_cast<size_t>(std::min<int64_t>(n, 4)));
}

TEST_F(CudaExperiment, Bf16ModelTrainsOnTheGpu) {
  config::Config c = testing::tiny_idx_config(dir_ / "data", {{"device", "cuda"}, {"amp", "bf16"}, {"epochs", 3},
                                                              {"data.train_size", 300}, {"data.ref_size", 50}});
  const job::ModelJobResult r = job::run_model_job(c, dir_ / "models", {});
  EXPECT_GT(r.metrics.at("train_acc").get<double>(), 0.5);  // 3 classes: chance is 1/3
  config::Config off = testing::tiny_idx_config(dir_ / "data", {{"device", "cuda"}, {"epochs", 3},
                                                                {"data.train_size", 300}, {"data.ref_size", 50}});
  const job::ModelJobResult r_off = job::run_model_job(off, dir_ / "models", {});
  EXPECT_NE(r.dir, r_off.dir);  // amp is part of the model's identity
  EXPECT_NEAR(r.metrics.at("test_acc").get<double>(), r_off.metrics.at("test_acc").get<double>(), 0.15);
}

}  // namespace
}  // namespace cwrf
