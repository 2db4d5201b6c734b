// PAST: module grouping, γ normalisation, the penalty's value and gradient, and the objective on
// a tiny linear model whose loss-gap gradient is worked out by hand.
#include "cwrf/common/error.h"
#include "cwrf/job/keys.h"
#include "cwrf/train/objectives/past.h"
#include "cwrf/train/objectives/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::train {
namespace {

// logits = W x + b with W [2, 2], b [2]; parameter names "fc.weight", "fc.bias".
class TinyLinear : public models::Classifier {
 public:
  TinyLinear() { fc = register_module("fc", torch::nn::Linear(2, 2)); }
  torch::Tensor forward(const torch::Tensor& x) override { return fc->forward(x); }
  torch::nn::Linear fc = nullptr;
};

data::Prepared make_set(std::vector<double> x, std::vector<int64_t> y) {
  data::Prepared p;
  p.inputs = torch::tensor(x, torch::kDouble).view({-1, 2});
  p.labels = torch::tensor(y, torch::kLong);
  p.indices = torch::arange(p.labels.size(0));
  p.num_classes = 2;
  return p;
}

TEST(Past, ModuleGroups) {
  const std::vector<std::string> names = {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "cls_token",
                                          "blocks.0.attn.weight"};
  EXPECT_EQ(past_module_groups(names, "tensor"), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(past_module_groups(names, "layer"), (std::vector<int64_t>{0, 0, 1, 1, 2, 3}));
  EXPECT_THROW(past_module_groups(names, "block"), Error);
}

TEST(Past, GammaIsNormalisedToTheModuleSize) {
  const torch::Tensor a = torch::tensor({1.0, -3.0}, torch::kDouble);       // own group: Σ|g| = 4, |M| = 2
  const torch::Tensor w = torch::tensor({2.0}, torch::kDouble);             // w and b share a group:
  const torch::Tensor b = torch::tensor({0.0, -2.0}, torch::kDouble);       //   Σ|g| = 4, |M| = 3
  const torch::Tensor z = torch::zeros({3}, torch::kDouble);                // all-zero group
  const auto gamma = past_gamma({a, w, b, z}, {0, 1, 1, 2});
  // γ = |M|·|g|/Σ|g|: a -> 2·[1, 3]/4 = [0.5, 1.5]; w -> 3·2/4 = 1.5; b -> 3·[0, 2]/4 = [0, 1.5]; zeros -> 1.
  EXPECT_TRUE(torch::allclose(gamma[0], torch::tensor({0.5, 1.5}, torch::kDouble)));
  EXPECT_TRUE(torch::allclose(gamma[1], torch::tensor({1.5}, torch::kDouble)));
  EXPECT_TRUE(torch::allclose(gamma[2], torch::tensor({0.0, 1.5}, torch::kDouble)));
  EXPECT_TRUE(torch::allclose(gamma[3], torch::ones({3}, torch::kDouble)));
  EXPECT_DOUBLE_EQ(gamma[0].sum().item<double>(), 2.0);
  EXPECT_DOUBLE_EQ((gamma[1].sum() + gamma[2].sum()).item<double>(), 3.0);
}

TEST(Past, PenaltyValueAndGradient) {
  // Σ γ|θ| = 0.5·|0.5| + 1.5·|−2| = 3.25; ∂/∂θ = γ·sign(θ) = [0.5, −1.5].
  torch::Tensor theta = torch::tensor({0.5, -2.0}, torch::kDouble).requires_grad_(true);
  const torch::Tensor penalty = past_penalty({theta}, {torch::tensor({0.5, 1.5}, torch::kDouble)});
  EXPECT_DOUBLE_EQ(penalty.item<double>(), 3.25);
  penalty.backward();
  EXPECT_TRUE(torch::allclose(theta.grad(), torch::tensor({0.5, -1.5}, torch::kDouble)));
}

class PastOnTinyModel : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = std::make_shared<TinyLinear>();
    model_->to(torch::kDouble);
    torch::NoGradGuard no_grad;
    model_->fc->weight.zero_();
    model_->fc->bias.zero_();
    context_.model = model_.get();
    context_.members = &members_;
    context_.non_members = &non_members_;
    context_.num_classes = 2;
    context_.epochs = 1;
    context_.steps_per_epoch = 1;
  }

  std::unique_ptr<Objective> make(const std::string& module, int64_t refresh_steps = 0, double lambda = 0.1) {
    config::Config c(job::schema());
    c.set("defense.name", "past");
    c.set("defense.lambda", lambda);
    c.set("defense.module", module);
    c.set("defense.refresh_steps", refresh_steps);
    return make_objective(c);
  }

  // At W = 0, b = 0 every p = [0.5, 0.5].
  //   member x = [1, 0], y = 0:     ∂CE/∂z = [−0.5, 0.5]; ∂/∂W = [[−0.5, 0], [0.5, 0]]; ∂/∂b = [−0.5, 0.5]
  //   non-member x = [0, 2], y = 1: ∂CE/∂z = [0.5, −0.5]; ∂/∂W = [[0, 1], [0, −1]];   ∂/∂b = [0.5, −0.5]
  //   G = CE_member − CE_non-member: ∂G/∂W = [[−0.5, −1], [0.5, 1]], ∂G/∂b = [−1, 1]
  std::shared_ptr<TinyLinear> model_;
  data::Prepared members_ = make_set({1.0, 0.0}, {0});
  data::Prepared non_members_ = make_set({0.0, 2.0}, {1});
  ObjectiveContext context_;
};

TEST_F(PastOnTinyModel, GammaPerTensor) {
  auto objective = make("tensor");
  objective->prepare(context_);
  objective->begin_epoch(0);
  auto& past = dynamic_cast<PastObjective&>(*objective);
  ASSERT_EQ(past.gamma().size(), 2u);  // fc.weight, fc.bias
  // W: |M| = 4, Σ|g| = 3 -> γ = 4/3·[[0.5, 1], [0.5, 1]]; b: |M| = 2, Σ|g| = 2 -> γ = [1, 1].
  const torch::Tensor gamma_w = torch::tensor({2.0 / 3, 4.0 / 3, 2.0 / 3, 4.0 / 3}, torch::kDouble).view({2, 2});
  EXPECT_TRUE(torch::allclose(past.gamma()[0], gamma_w));
  EXPECT_TRUE(torch::allclose(past.gamma()[1], torch::tensor({1.0, 1.0}, torch::kDouble)));
  EXPECT_DOUBLE_EQ(past.gamma()[0].sum().item<double>(), 4.0);
  EXPECT_DOUBLE_EQ(past.gamma()[1].sum().item<double>(), 2.0);
  // G = ln 2 − ln 2 = 0 at the zero model.
  EXPECT_NEAR(past.last_gap(), 0.0, 1e-12);
  EXPECT_TRUE(model_->is_training());  // γ is computed in eval mode, and the mode restored

  // The loss: CE of the batch + λ·Σγ|θ|. Move θ off zero:
  //   W = [[1, −1], [0.5, 2]], b = [−1, 0]:
  //   Σγ|θ| = 2/3·1 + 4/3·1 + 2/3·0.5 + 4/3·2 + 1·1 + 1·0 = 6; λ = 0.1 -> penalty 0.6.
  {
    torch::NoGradGuard no_grad;
    model_->fc->weight.copy_(torch::tensor({1.0, -1.0, 0.5, 2.0}, torch::kDouble).view({2, 2}));
    model_->fc->bias.copy_(torch::tensor({-1.0, 0.0}, torch::kDouble));
  }
  const torch::Tensor x = torch::tensor({1.0, 1.0}, torch::kDouble).view({1, 2});
  const torch::Tensor y = torch::tensor({0}, torch::kLong);
  const torch::Tensor logits = model_->forward(x);  // [1 − 1 − 1, 0.5 + 2 + 0] = [−1, 2.5]
  const torch::Tensor positions = torch::arange(1);
  const torch::Tensor loss = objective->loss({logits, y, positions, 0, 1, model_.get()});
  const double ce = std::log(std::exp(-1.0) + std::exp(2.5)) + 1.0;
  EXPECT_NEAR(loss.item<double>(), ce + 0.6, 1e-12);
  loss.backward();
  // ∂/∂W = ∂CE/∂W + λγ·sign(W); ∂CE/∂z = p − onehot with p = softmax([−1, 2.5]), x = [1, 1].
  const double p0 = 1.0 / (1.0 + std::exp(3.5));
  const double d0 = p0 - 1.0, d1 = 1.0 - p0;
  const torch::Tensor expected_w =
      torch::tensor({d0 + 0.1 * 2.0 / 3, d0 - 0.1 * 4.0 / 3, d1 + 0.1 * 2.0 / 3, d1 + 0.1 * 4.0 / 3}, torch::kDouble)
          .view({2, 2});
  EXPECT_TRUE(torch::allclose(model_->fc->weight.grad(), expected_w, 1e-10, 1e-12)) << model_->fc->weight.grad();
  // b: sign(−1) = −1, sign(0) = 0 -> [d0 − 0.1, d1].
  EXPECT_TRUE(torch::allclose(model_->fc->bias.grad(), torch::tensor({d0 - 0.1, d1}, torch::kDouble), 1e-10, 1e-12));
}

TEST_F(PastOnTinyModel, GammaPerLayer) {
  auto objective = make("layer");
  objective->prepare(context_);
  objective->begin_epoch(0);
  auto& past = dynamic_cast<PastObjective&>(*objective);
  // One module {W, b}: |M| = 6, Σ|g| = 3 + 2 = 5 -> γ = 1.2·|g|.
  EXPECT_TRUE(torch::allclose(past.gamma()[0], torch::tensor({0.6, 1.2, 0.6, 1.2}, torch::kDouble).view({2, 2})));
  EXPECT_TRUE(torch::allclose(past.gamma()[1], torch::tensor({1.2, 1.2}, torch::kDouble)));
  EXPECT_NEAR((past.gamma()[0].sum() + past.gamma()[1].sum()).item<double>(), 6.0, 1e-12);
}

TEST_F(PastOnTinyModel, RefreshSchedule) {
  const torch::Tensor x = members_.inputs;
  const torch::Tensor positions = torch::arange(1);
  {
    auto objective = make("tensor", /*refresh_steps=*/2);
    objective->prepare(context_);
    auto& past = dynamic_cast<PastObjective&>(*objective);
    objective->begin_epoch(0);
    EXPECT_EQ(past.refresh_count(), 0);
    for (int64_t step = 0; step < 5; ++step)
      objective->loss({model_->forward(x), members_.labels, positions, 0, step, model_.get()});
    EXPECT_EQ(past.refresh_count(), 3);  // steps 0, 2, 4
  }
  {
    auto objective = make("tensor", /*refresh_steps=*/0);
    objective->prepare(context_);
    auto& past = dynamic_cast<PastObjective&>(*objective);
    for (int64_t epoch = 0; epoch < 3; ++epoch) {
      objective->begin_epoch(epoch);
      objective->loss({model_->forward(x), members_.labels, positions, epoch, epoch, model_.get()});
    }
    EXPECT_EQ(past.refresh_count(), 3);  // once per epoch
  }
}

TEST_F(PastOnTinyModel, LambdaZeroIsCrossEntropy) {
  auto objective = make("tensor", 0, 0.0);
  objective->prepare(context_);
  objective->begin_epoch(0);
  const torch::Tensor logits = model_->forward(members_.inputs);
  const torch::Tensor positions = torch::arange(1);
  EXPECT_NEAR(objective->loss({logits, members_.labels, positions, 0, 0, model_.get()}).item<double>(), std::log(2.0),
              1e-12);
}

TEST_F(PastOnTinyModel, NeedsNonMembers) {
  auto objective = make("tensor");
  context_.non_members = nullptr;
  EXPECT_THROW(objective->prepare(context_), Error);
}

TEST(Past, FactoryDefaultsAndErrors) {
  config::Config c(job::schema());
  c.set("defense.name", "past");
  make_objective(c);
  for (const char* key : {"defense.lambda", "defense.refresh_steps", "defense.member_size", "defense.nonmember_size",
                          "defense.module"})
    EXPECT_TRUE(c.has(key)) << key;
  EXPECT_EQ(c.get_string("defense.module"), "tensor");
  auto error_of = [](const std::string& key, const config::Json& value) {
    config::Config bad(job::schema());
    bad.set("defense.name", "past");
    bad.set(key, value);
    try {
      make_objective(bad);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("defense.lambda", -1e-4).find("'defense.lambda'"), std::string::npos);
  EXPECT_NE(error_of("defense.member_size", 0).find("'defense.member_size'"), std::string::npos);
  EXPECT_NE(error_of("defense.nonmember_size", -3).find("-3"), std::string::npos);
  EXPECT_NE(error_of("defense.refresh_steps", -1).find("'defense.refresh_steps'"), std::string::npos);
  EXPECT_THROW(error_of("defense.module", "block"), Error);  // rejected by the key's choices on set
}

}  // namespace
}  // namespace cwrf::train
