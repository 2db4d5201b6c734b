#include "cwrf/common/error.h"
#include "cwrf/train/adam.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::train {
namespace {

// Runs `steps` updates of MaskedAdam and of torch::optim::Adam on the same quadratic-ish loss.
void compare_with_torch_adam(double weight_decay, int steps) {
  torch::manual_seed(3);
  auto w_ours = torch::randn({5, 4}, torch::kFloat64).requires_grad_();
  auto w_ref = w_ours.detach().clone().requires_grad_();
  auto x = torch::randn({16, 5}, torch::kFloat64);
  AdamOptions o;
  o.weight_decay = weight_decay;
  MaskedAdam ours({{"w", w_ours}}, o);
  torch::optim::Adam ref({w_ref}, torch::optim::AdamOptions(1e-2).betas({0.9, 0.999}).eps(1e-8).weight_decay(weight_decay));
  for (int i = 0; i < steps; ++i) {
    ours.zero_grad();
    ref.zero_grad();
    x.matmul(w_ours).tanh().pow(2).sum().backward();
    x.matmul(w_ref).tanh().pow(2).sum().backward();
    ours.step(1e-2);
    ref.step();
  }
  // Same operations in the same order: bit-identical.
  EXPECT_TRUE(torch::equal(w_ours.detach(), w_ref.detach()));
}

TEST(MaskedAdam, MatchesTorchAdamBitForBit) {
  compare_with_torch_adam(0.0, 20);
  compare_with_torch_adam(5e-4, 20);
}

TEST(MaskedAdam, FrozenEntriesStayBitIdenticalUnderWeightDecay) {
  torch::manual_seed(0);
  auto w = torch::randn({6, 6}).requires_grad_();
  const auto before = w.detach().clone();
  auto trainable = torch::rand({6, 6}) > 0.3;
  MaskedAdam adam({{"w", w}}, AdamOptions{0.9, 0.999, 1e-8, 5e-4});
  adam.set_trainable({{"w", trainable}});
  for (int i = 0; i < 50; ++i) {
    adam.zero_grad();
    (w * w * torch::arange(36).reshape({6, 6})).sum().backward();
    adam.step(1e-2);
  }
  auto frozen = trainable.logical_not();
  EXPECT_TRUE(torch::equal(w.detach().masked_select(frozen), before.masked_select(frozen)));
  // and the trainable ones did move
  EXPECT_FALSE(torch::equal(w.detach().masked_select(trainable), before.masked_select(trainable)));
}

TEST(MaskedAdam, AllFalseMaskFreezesTensorAndUnmaskedTensorsTrain) {
  auto a = torch::ones({3}).requires_grad_();
  auto b = torch::ones({3}).requires_grad_();
  MaskedAdam adam({{"a", a}, {"b", b}}, AdamOptions{});
  adam.set_trainable({{"a", torch::zeros({3}, torch::kBool)}});
  for (int i = 0; i < 3; ++i) {
    adam.zero_grad();
    (a.sum() + b.sum()).backward();
    adam.step(0.1);
  }
  EXPECT_TRUE(torch::equal(a.detach(), torch::ones({3})));
  EXPECT_TRUE((b.detach() < 1.0).all().item<bool>());
}

TEST(MaskedAdam, MaskErrorsNameTheParameter) {
  auto a = torch::ones({3}).requires_grad_();
  MaskedAdam adam({{"a", a}}, AdamOptions{});
  EXPECT_THROW(adam.set_trainable({{"nope", torch::ones({3}, torch::kBool)}}), Error);
  try {
    adam.set_trainable({{"a", torch::ones({4}, torch::kBool)}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos);
  }
}

}  // namespace
}  // namespace cwrf::train
