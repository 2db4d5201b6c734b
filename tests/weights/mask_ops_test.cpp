#include "cwrf/common/error.h"
#include "cwrf/weights/mask_ops.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::weights {
namespace {

TEST(MaskOps, SelectedCountIsTheCeilingOfRTimesN) {
  EXPECT_EQ(selected_count(0.0, 100), 0);
  EXPECT_EQ(selected_count(0.05, 100), 5);
  EXPECT_EQ(selected_count(0.07, 100), 7);    // 0.07·100 = 7.000000000000001 in floating point
  EXPECT_EQ(selected_count(0.001, 1500), 2);  // ⌈1.5⌉
  EXPECT_EQ(selected_count(0.01, 11173962), 111740);  // ⌈111739.62⌉, ResNet18 at r = 1 %
  EXPECT_EQ(selected_count(1e-9, 10), 1);     // any r > 0 selects something
  EXPECT_EQ(selected_count(1.0, 10), 10);
  EXPECT_THROW(selected_count(-0.1, 10), Error);
  EXPECT_THROW(selected_count(1.1, 10), Error);
}

TEST(MaskOps, TopFractionIsAGlobalRankingWithExactCount) {
  torch::manual_seed(0);
  Scores s{{"a", torch::rand({10, 10})}, {"b", torch::rand({37})}, {"c", torch::rand({3, 3, 3})}};
  const int64_t n = 100 + 37 + 27;
  for (double r : {0.001, 0.01, 0.05, 0.1, 0.5}) {
    const WeightMask m = top_fraction(s, r);
    EXPECT_EQ(count_true(m), selected_count(r, n)) << r;
    EXPECT_EQ(count_all(m), n);
    // Every selected score is >= every unselected one, across tensors.
    float min_selected = 2, max_unselected = -1;
    for (const auto& [name, t] : s) {
      if (m.at(name).any().item<bool>()) min_selected = std::min(min_selected, t.masked_select(m.at(name)).min().item<float>());
      if (m.at(name).logical_not().any().item<bool>())
        max_unselected = std::max(max_unselected, t.masked_select(m.at(name).logical_not()).max().item<float>());
    }
    EXPECT_GE(min_selected, max_unselected) << r;
  }
  const WeightMask low = bottom_fraction(s, 0.1);
  EXPECT_EQ(count_true(low), 17);  // ⌈0.1·164⌉
  for (const auto& [name, t] : s)  // the lowest scores: none of them is among the top half
    EXPECT_FALSE((low.at(name) & top_fraction(s, 0.5).at(name)).any().item<bool>()) << name;
}

TEST(MaskOps, TiesAreBrokenDeterministicallyByNameThenPosition) {
  Scores s{{"b", torch::ones({4})}, {"a", torch::ones({2, 2})}};
  const WeightMask m = top_fraction(s, 0.5);  // 4 of 8 equal scores: all of "a" (first name)
  EXPECT_TRUE(m.at("a").all().item<bool>());
  EXPECT_FALSE(m.at("b").any().item<bool>());
  const WeightMask m2 = top_fraction(s, 0.75);  // then the first two of "b"
  EXPECT_TRUE(torch::equal(m2.at("b"), torch::tensor({true, true, false, false})));
  EXPECT_TRUE(torch::equal(top_fraction(s, 0.75).at("b"), m2.at("b")));
}

TEST(MaskOps, RewindSetsExactlyTheSelectedWeightsToThetaVn) {
  torch::manual_seed(1);
  auto model = std::make_shared<torch::nn::LinearImpl>(5, 4);
  const torch::Tensor up_w = model->weight.detach().clone(), up_b = model->bias.detach().clone();
  TensorMap vn{{"weight", torch::randn({4, 5})}, {"bias", torch::randn({4})}};
  Scores s{{"weight", torch::rand({4, 5})}, {"bias", torch::rand({4})}};
  const WeightMask m = top_fraction(s, 0.25);
  rewind(*model, vn, m);
  const torch::Tensor w = model->weight.detach();
  EXPECT_TRUE(torch::equal(w.masked_select(m.at("weight")), vn.at("weight").masked_select(m.at("weight"))));
  EXPECT_TRUE(torch::equal(w.masked_select(m.at("weight").logical_not()), up_w.masked_select(m.at("weight").logical_not())));
  EXPECT_EQ(count_true(m), 6);  // ⌈0.25·24⌉
  zero_masked(*model, complement(m));
  EXPECT_EQ(model->weight.detach().ne(0).sum().item<int64_t>() + model->bias.detach().ne(0).sum().item<int64_t>(), 6);
  EXPECT_THROW(rewind(*model, vn, {{"nope", torch::ones({1}, torch::kBool)}}), Error);
}

}  // namespace
}  // namespace cwrf::weights
