// CCL (CCEL) against a hand calculation and against autograd of the formula written directly.
#include "cwrf/common/error.h"
#include "cwrf/job/keys.h"
#include "cwrf/train/objectives/ccl.h"
#include "cwrf/train/objectives/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::train {
namespace {

TEST(Ccl, ValueAndGradientByHand) {
  // z = [ln 2, 0, 0], y = 0: p_y = 0.5, ℓ = ln 2; α 0.5, β 0.05:
  //   loss = 0.05·(0.5·ln 2 − 0.5·e^0.5) = 0.05·(0.346574 − 0.824361) = −0.0238894
  //   dloss/dℓ = β(α + (1 − α)·p·e^p) = 0.05·(0.5 + 0.5·0.5·1.648721) = 0.0456090
  //   dℓ/dz = p − onehot = [−0.5, 0.25, 0.25] -> grad = [−0.0228045, 0.0114023, 0.0114023]
  torch::Tensor logits = torch::tensor({std::log(2.0), 0.0, 0.0}, torch::kDouble).view({1, 3}).requires_grad_(true);
  const torch::Tensor loss = ccl_loss(logits, torch::tensor({0}, torch::kLong), 0.5, 0.05);
  EXPECT_NEAR(loss.item<double>(), -0.023889352253504574, 1e-12);
  loss.backward();
  EXPECT_NEAR(logits.grad()[0][0].item<double>(), -0.0228045079418758, 1e-12);
  EXPECT_NEAR(logits.grad()[0][1].item<double>(), 0.0114022539709379, 1e-12);
  EXPECT_NEAR(logits.grad()[0][2].item<double>(), 0.0114022539709379, 1e-12);
}

TEST(Ccl, MatchesTheDirectFormulaAndItsAutograd) {
  torch::manual_seed(3);
  for (auto [alpha, beta] : std::vector<std::pair<double, double>>{{0.5, 0.05}, {0.2, 1.0}, {1.0, 0.3}, {0.0, 2.0}}) {
    const torch::Tensor base = torch::randn({6, 5}, torch::kDouble) * 2.0;
    const torch::Tensor labels = torch::tensor({0, 1, 2, 3, 4, 0}, torch::kLong);
    torch::Tensor a = base.clone().requires_grad_(true);
    torch::Tensor b = base.clone().requires_grad_(true);
    const torch::Tensor ours = ccl_loss(a, labels, alpha, beta);
    // ℓ = logsumexp(z) − z_y, p = softmax(z)_y, β·mean[αℓ − (1 − α)·exp(p)].
    const torch::Tensor ell = torch::logsumexp(b, 1) - b.gather(1, labels.unsqueeze(1)).squeeze(1);
    const torch::Tensor p = torch::softmax(b, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
    const torch::Tensor direct = beta * (alpha * ell - (1 - alpha) * torch::exp(p)).mean();
    EXPECT_NEAR(ours.item<double>(), direct.item<double>(), 1e-12);
    ours.backward();
    direct.backward();
    EXPECT_TRUE(torch::allclose(a.grad(), b.grad(), 1e-10, 1e-12)) << alpha << " " << beta;
  }
}

TEST(Ccl, FactoryDefaultsAndErrors) {
  config::Config c(job::schema());
  c.set("defense.name", "ccl");
  c.set("data.name", "cifar10");
  auto objective = make_objective(c);
  EXPECT_EQ(objective->name(), "ccl");
  EXPECT_DOUBLE_EQ(c.get_float("defense.alpha"), 0.5);
  EXPECT_DOUBLE_EQ(c.get_float("defense.beta"), 0.05);
  config::Config bad(job::schema());
  bad.set("defense.name", "ccl");
  bad.set("defense.alpha", 1.5);
  EXPECT_THROW(make_objective(bad), Error);
  bad.set("defense.alpha", 0.5);
  bad.set("defense.beta", 0.0);
  try {
    make_objective(bad);
    ADD_FAILURE() << "accepted beta 0";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'defense.beta'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cwrf::train
