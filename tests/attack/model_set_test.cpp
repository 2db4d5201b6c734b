// Model sets over real tiny model directories: the IN/OUT sets the attacks use are exactly the
// ones the models recorded, and inconsistent sets are clear errors.
#include "cwrf/attack/model_set.h"
#include "cwrf/attack/protocol.h"
#include "cwrf/common/error.h"
#include "cwrf/common/npy.h"
#include "tiny_models.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

namespace cwrf::attack {
namespace {

void expect_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ModelSet, KeepMasksAreExactlyThoseTheModelsRecorded) {
  testing::TinyModels tiny;
  testing::train_tiny_models(tiny, 4);
  const ModelSet set = open_model_set(tiny.models);
  ASSERT_EQ(set.models.size(), 4u);
  EXPECT_EQ(set.split_models, 4);
  const torch::Tensor pool = load_npy(tiny.models[0] / "pool.npy");
  EXPECT_TRUE(torch::equal(set.pool, pool));
  for (size_t m = 0; m < 4; ++m) {
    EXPECT_EQ(set.models[m].split_model, static_cast<int64_t>(m));
    // IN for model m <=> the pool point is in its train_indices.npy.
    const torch::Tensor train = load_npy(tiny.models[m] / "train_indices.npy");
    const torch::Tensor in = torch::isin(pool, train);
    for (int64_t n = 0; n < pool.size(0); ++n)
      ASSERT_EQ(set.membership(static_cast<int64_t>(m), n), in[n].item<bool>()) << "model " << m << " point " << n;
  }
  // Each pool point is IN for exactly K/2 = 2 models, and the leave-one-out split of target 0 uses
  // IN shadows that trained on the point and OUT shadows that did not.
  for (int64_t n = 0; n < pool.size(0); ++n) {
    int count = 0;
    for (int64_t m = 0; m < 4; ++m) count += set.membership(m, n);
    EXPECT_EQ(count, 2);
  }
  const ShadowSplit split = split_shadows(set.membership, 0);
  EXPECT_EQ(split.in_count, 1);
  EXPECT_EQ(split.out_count, 1);
  for (int64_t n = 0; n < pool.size(0); ++n) {
    const int64_t in_model = split.in_row(n)[0], out_model = split.out_row(n)[0];
    const torch::Tensor point = pool[n];
    EXPECT_TRUE(torch::isin(point, load_npy(tiny.models[in_model] / "train_indices.npy")).item<bool>());
    EXPECT_FALSE(torch::isin(point, load_npy(tiny.models[out_model] / "train_indices.npy")).item<bool>());
  }
  // Given in another order, rows follow the directories.
  const ModelSet reversed = open_model_set({tiny.models[3], tiny.models[1]});
  EXPECT_EQ(reversed.models[0].split_model, 3);
  for (int64_t n = 0; n < pool.size(0); ++n) EXPECT_EQ(reversed.membership(0, n), set.membership(3, n));
}

TEST(ModelSet, InconsistentSetsAreClearErrors) {
  testing::TinyModels tiny;
  testing::train_tiny_models(tiny, 4);
  expect_error([&] { open_model_set({tiny.models[0]}); }, "at least 2 model directories");
  expect_error([&] { open_model_set({tiny.models[0], tiny.models[0]}); }, "given twice");
  expect_error([&] { open_model_set({tiny.models[0], tiny.dir / "nowhere"}); }, "nowhere");

  // Another split seed: another pool.
  testing::TinyModels other_split;
  testing::train_tiny_models(other_split, 2, {"split.seed=7"});
  expect_error([&] { open_model_set({tiny.models[0], other_split.models[0]}); }, "different membership split");
  // Another dataset: another data fingerprint.
  testing::TinyModels other_data;
  testing::train_tiny_models(other_data, 2, {}, 99);
  expect_error([&] { open_model_set({tiny.models[0], other_data.models[0]}); }, "different data");

  // A tampered membership file.
  torch::Tensor train = load_npy(tiny.models[1] / "train_indices.npy");
  save_npy(tiny.models[1] / "train_indices.npy", train.slice(0, 1));
  expect_error([&] { open_model_set({tiny.models[0], tiny.models[1]}); }, "train_indices.npy disagrees");
  save_npy(tiny.models[1] / "train_indices.npy", train);
  torch::Tensor keep = load_npy(tiny.models[0] / "keep.npy");
  save_npy(tiny.models[0] / "keep.npy", keep.logical_not());
  expect_error([&] { open_model_set({tiny.models[0], tiny.models[1]}); }, "keep_hash");
}

}  // namespace
}  // namespace cwrf::attack
