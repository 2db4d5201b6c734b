#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::train {
namespace {

class NanObjective final : public Objective {
 public:
  std::string name() const override { return "nan-test"; }
  torch::Tensor loss(const LossInput& in) override { return in.logits.sum() * std::numeric_limits<double>::quiet_NaN(); }
};

TEST(StandardStep, NonFiniteLossIsAClearError) {
  models::ModelSpec spec;
  spec.image_size = 8;
  spec.num_classes = 3;
  auto model = models::make_model(models::resolve(spec));
  data::Batch batch{torch::randn({4, 1, 8, 8}), torch::tensor({0, 1, 2, 0}), torch::arange(4)};
  NanObjective objective;
  auto step = make_standard_step();
  try {
    step->compute_gradients(*model, batch, objective, 2, 17);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nan-test loss became nan at epoch 3 step 18"), std::string::npos) << e.what();
  }
}

TEST(StandardStep, GradientsAreThoseOfTheObjective) {
  torch::manual_seed(0);
  models::ModelSpec spec;
  spec.image_size = 8;
  spec.num_classes = 3;
  auto model = models::make_model(models::resolve(spec));
  model->eval();  // no batch statistics, so the two passes agree exactly
  data::Batch batch{torch::randn({4, 1, 8, 8}), torch::tensor({0, 1, 2, 0}), torch::arange(4)};
  class Ce final : public Objective {
   public:
    std::string name() const override { return "ce"; }
    torch::Tensor loss(const LossInput& in) override { return torch::nn::functional::cross_entropy(in.logits, in.labels); }
  } ce;
  auto stats = make_standard_step()->compute_gradients(*model, batch, ce, 0, 0);
  EXPECT_EQ(stats.count, 4);
  std::vector<torch::Tensor> grads;
  for (auto& p : model->parameters()) grads.push_back(p.grad().clone());
  for (auto& p : model->parameters()) p.mutable_grad().zero_();
  auto loss = torch::nn::functional::cross_entropy(model->forward(batch.inputs), batch.labels);
  loss.backward();
  size_t i = 0;
  for (auto& p : model->parameters()) EXPECT_TRUE(torch::allclose(p.grad(), grads[i++]));
  EXPECT_NEAR(stats.loss_sum / 4, loss.item<double>(), 1e-6);
}

}  // namespace
}  // namespace cwrf::train
