// The model job's CWRF step and its ablations on a tiny trained model: what is rewound, zeroed,
// frozen and trained.
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/tensor_io.h"
#include "cwrf/job/keys.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/job/model_job.h"
#include "cwrf/weights/mask_ops.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::weights {
namespace {

class CwrfStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cwrf::testing::write_synthetic_idx_dataset(dir_ / "data", 400, 100, 8, 3);
    const config::Config c = cwrf::testing::tiny_idx_config(
        dir_ / "data", {{"data.train_size", 120}, {"data.ref_size", 60}, {"split.models", 2}, {"lr", 3e-3}});
    parent_ = job::run_model_job(c, dir_ / "runs", {}).dir;
  }

  job::ModelJobResult run(const std::string& mode, double rate, int64_t epochs = 2) {
    const job::ModelDir parent = job::open_model_dir(parent_);
    config::Config c = job::model_config(parent);
    c.set("cwrf.mode", mode);
    c.set("cwrf.rate", rate);
    c.set("cwrf.epochs", epochs);
    c.set("cwrf.iterations", 3);
    c.set("cwrf.batch_size", 32);
    return job::run_model_job(c, dir_ / "runs", parent_);
  }

  cwrf::testing::TempDir dir_;
  std::filesystem::path parent_;
};

TEST_F(CwrfStepTest, RewoundWeightsStayBitIdenticalToThetaVnAndTheRestTrain) {
  const auto result = run("cwrf", 0.05);
  ASSERT_FALSE(result.reused);
  const TensorMap vn = load_tensors(parent_ / "init.pt");
  const TensorMap up = load_tensors(parent_ / "final.pt");
  const TensorMap rewound = load_tensors(result.dir / "rewound.pt");
  const TensorMap final_state = load_tensors(result.dir / "final.pt");
  const models::WeightMask selected = load_tensors(result.dir / "mask.pt");
  ASSERT_FALSE(selected.empty());
  const int64_t total = count_all(selected);
  EXPECT_EQ(count_true(selected), selected_count(0.05, total));
  bool others_moved = false;
  for (const auto& [name, m] : selected) {
    const auto keep = m.logical_not();
    // Eq. 6: θ_rw = B_f ⊙ θ_up + B_r ⊙ θ_vn
    EXPECT_TRUE(torch::equal(rewound.at(name).masked_select(m), vn.at(name).masked_select(m))) << name;
    EXPECT_TRUE(torch::equal(rewound.at(name).masked_select(keep), up.at(name).masked_select(keep))) << name;
    // Eq. 7 with Adam and weight decay: frozen entries are bit-identical after fine-tuning.
    EXPECT_TRUE(torch::equal(final_state.at(name).masked_select(m), vn.at(name).masked_select(m))) << name;
    others_moved |= !torch::equal(final_state.at(name).masked_select(keep), up.at(name).masked_select(keep));
  }
  EXPECT_TRUE(others_moved);
  // BatchNorm statistics are buffers: they keep updating.
  EXPECT_FALSE(torch::equal(final_state.at("bn1.running_mean"), rewound.at("bn1.running_mean")));
  // The new directory records its parent and carries the parent's membership.
  const job::ModelDir child = job::open_model_dir(result.dir);
  EXPECT_EQ(child.manifest.at("parent"), job::open_model_dir(parent_).hash());
  EXPECT_EQ(child.manifest.at("kind"), "cwrf");
  EXPECT_EQ(read_file(result.dir / "train_indices.npy"), read_file(parent_ / "train_indices.npy"));
  EXPECT_EQ(read_file(result.dir / "keep.npy"), read_file(parent_ / "keep.npy"));
  for (const char* key : {"rewound_test_acc", "rewound_train_acc", "test_acc", "train_acc", "selected_weights"})
    EXPECT_TRUE(result.metrics.contains(key)) << key;
  // Rerunning finds it; another r is another model.
  EXPECT_TRUE(run("cwrf", 0.05).reused);
  EXPECT_NE(run("cwrf", 0.1).dir, result.dir);
}

TEST_F(CwrfStepTest, RemovedWeightsStayZero) {
  const auto result = run("remove", 0.1);
  const TensorMap final_state = load_tensors(result.dir / "final.pt");
  const models::WeightMask selected = load_tensors(result.dir / "mask.pt");
  for (const auto& [name, m] : selected)
    EXPECT_TRUE(final_state.at(name).masked_select(m).eq(0).all().item<bool>()) << name;
}

TEST_F(CwrfStepTest, RewindOnlyChangesOnlyTheRewoundWeights) {
  const auto result = run("rewind-only", 0.1);
  const TensorMap up = load_tensors(parent_ / "final.pt");
  const TensorMap vn = load_tensors(parent_ / "init.pt");
  const TensorMap final_state = load_tensors(result.dir / "final.pt");
  const models::WeightMask selected = load_tensors(result.dir / "mask.pt");
  bool rewound_moved = false;
  for (const auto& [name, m] : selected) {
    const auto keep = m.logical_not();
    EXPECT_TRUE(torch::equal(final_state.at(name).masked_select(keep), up.at(name).masked_select(keep))) << name;
    rewound_moved |= !torch::equal(final_state.at(name).masked_select(m), vn.at(name).masked_select(m));
  }
  EXPECT_TRUE(rewound_moved);
}

TEST_F(CwrfStepTest, LotteryPrunesTheLowestAndRetrainsTheRestFromThetaVn) {
  const auto result = run("lottery", 0.85, 1);
  const TensorMap vn = load_tensors(parent_ / "init.pt");
  const TensorMap rewound = load_tensors(result.dir / "rewound.pt");
  const TensorMap final_state = load_tensors(result.dir / "final.pt");
  const models::WeightMask pruned = load_tensors(result.dir / "mask.pt");
  EXPECT_EQ(count_true(pruned), selected_count(0.85, count_all(pruned)));
  for (const auto& [name, m] : pruned) {
    EXPECT_TRUE(final_state.at(name).masked_select(m).eq(0).all().item<bool>()) << name;
    EXPECT_TRUE(torch::equal(rewound.at(name).masked_select(m.logical_not()), vn.at(name).masked_select(m.logical_not())));
  }
}

TEST_F(CwrfStepTest, ClearErrors) {
  const job::ModelDir parent = job::open_model_dir(parent_);
  auto expect_error = [&](config::Config c, const std::string& fragment) {
    try {
      job::run_model_job(c, dir_ / "runs", parent_);
      ADD_FAILURE() << "expected an error with " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  config::Config c = job::model_config(parent);
  c.set("model.width", 8);
  expect_error(c, "'model.width'");
  // Out-of-range CWRF values fail where they are written, naming the key and where it came from.
  c = job::model_config(parent);
  auto set_error = [&](const std::string& assignment) {
    try {
      c.set_assignment(assignment);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(set_error("cwrf.rate=1.5").find("config key 'cwrf.rate' must be in [0, 1], got 1.5 (from --set cwrf.rate=1.5)"),
            std::string::npos);
  EXPECT_NE(set_error("cwrf.lambda=-0.1").find("config key 'cwrf.lambda' must be in [0, 1]"), std::string::npos);
  EXPECT_NE(set_error("cwrf.iterations=0").find("'cwrf.iterations' must be >= 1"), std::string::npos);
  EXPECT_THROW(job::run_model_job(job::model_config(parent), dir_ / "runs", dir_ / "missing"), Error);
  // CWRF keys on a model trained from scratch are refused rather than silently ignored.
  config::Config t = job::model_config(parent);
  t.set("cwrf.rate", 0.2);
  try {
    job::run_model_job(t, dir_ / "runs", {});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config key 'cwrf.rate'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not to training from scratch"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cwrf::weights
