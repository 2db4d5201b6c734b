// HAMP's soft labels and loss against hand calculations.
#include "cwrf/common/error.h"
#include "cwrf/job/keys.h"
#include "cwrf/train/objectives/hamp.h"
#include "cwrf/train/objectives/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::train {
namespace {

double entropy(double top1, double other, int64_t classes) {
  return -top1 * std::log(top1) - (classes - 1) * other * std::log(other);
}

TEST(Hamp, SoftLabelMatchesTheReference) {
  // docs/ALGORITHMS.md §3: CIFAR-10 γ 0.95 -> top1 0.26; CIFAR-100 γ 0.5 -> 0.64.
  const HampLabel ten = hamp_soft_label(10, 0.95);
  EXPECT_NEAR(ten.top1, 0.26, 1e-9);
  EXPECT_NEAR(ten.other, 0.74 / 9, 1e-9);
  const HampLabel hundred = hamp_soft_label(100, 0.5);
  EXPECT_NEAR(hundred.top1, 0.64, 1e-9);
  EXPECT_NEAR(hundred.other, 0.36 / 99, 1e-9);
  // The first 0.01 step that reaches γ·ln C: one step less is still below the threshold.
  for (auto [classes, gamma] : std::vector<std::pair<int64_t, double>>{{10, 0.95}, {100, 0.5}, {10, 0.5}, {3, 0.9}}) {
    const HampLabel l = hamp_soft_label(classes, gamma);
    EXPECT_NEAR(l.top1 + (classes - 1) * l.other, 1.0, 1e-9);
    EXPECT_GE(entropy(l.top1, l.other, classes), gamma * std::log(classes));
    const double before = l.top1 + 0.01;
    EXPECT_LT(entropy(before, (1.0 - before) / (classes - 1), classes), gamma * std::log(classes))
        << classes << " " << gamma;
  }
}

TEST(Hamp, GammaOneGivesTheUniformLabelAndTerminates) {
  for (int64_t classes : {2, 3, 10, 100}) {
    const HampLabel l = hamp_soft_label(classes, 1.0);
    EXPECT_NEAR(l.top1, 1.0 / classes, 1e-12) << classes;
    EXPECT_NEAR(l.other, 1.0 / classes, 1e-12) << classes;
  }
}

TEST(Hamp, LossOnUniformPredictions) {
  // z = 0 (p = 0.1 for all 10 classes), γ 0.95: t = [0.26, 0.74/9 = 0.082222 ...].
  //   KL per sample = 0.26 ln(2.6) + 0.74 ln(0.82222) = 0.248433 − 0.144851 = 0.103582;
  //   'mean' over B·C elements: 0.103582 / 10 = 0.0103582 (the same for every sample);
  //   entropy = ln 10 = 2.302585, α = 0.001 -> loss = 0.0103582 − 0.0023026 = 0.0080556.
  const torch::Tensor logits = torch::zeros({2, 10}, torch::kDouble);
  const torch::Tensor labels = torch::tensor({3, 7}, torch::kLong);
  const double loss = hamp_loss(logits, labels, hamp_soft_label(10, 0.95), 0.001).item<double>();
  EXPECT_NEAR(loss, 0.008055613770388244, 1e-12);
}

TEST(Hamp, LossAndGradientByHand) {
  // z = [ln 2, 0, 0], y = 0: p = [0.5, 0.25, 0.25]; t = [0.6, 0.2, 0.2].
  //   KL = 0.6 ln(0.6/0.5) + 2·0.2 ln(0.2/0.25) = 0.109393 − 0.089257 = 0.020136; / (B·C = 3) = 0.0067118
  //   H(p) = 0.5 ln 2 + 0.5 ln 4 = 1.039721; α = 0.01 -> loss = 0.0067118 − 0.0103972 = −0.0036854.
  const torch::Tensor labels = torch::tensor({0}, torch::kLong);
  torch::Tensor logits = torch::tensor({std::log(2.0), 0.0, 0.0}, torch::kDouble).view({1, 3}).requires_grad_(true);
  const torch::Tensor loss = hamp_loss(logits, labels, {0.6, 0.2}, 0.01);
  EXPECT_NEAR(loss.item<double>(), -0.003685369858169557, 1e-12);
  // KL part alone (α = 0): ∂/∂z_j = (p_j − t_j)/(B·C) = [−0.1, 0.05, 0.05]/3.
  torch::Tensor z = logits.detach().clone().requires_grad_(true);
  hamp_loss(z, labels, {0.6, 0.2}, 0.0).backward();
  EXPECT_NEAR(z.grad()[0][0].item<double>(), -0.1 / 3, 1e-12);
  EXPECT_NEAR(z.grad()[0][1].item<double>(), 0.05 / 3, 1e-12);
  EXPECT_NEAR(z.grad()[0][2].item<double>(), 0.05 / 3, 1e-12);
}

TEST(Hamp, ObjectiveBuildsItsLabelsFromTheClassCount) {
  config::Config c(job::schema());
  c.set("defense.name", "hamp");
  auto objective = make_objective(c);
  // Fashion-MNIST preset written back.
  EXPECT_TRUE(c.has("defense.gamma"));
  EXPECT_TRUE(c.has("defense.alpha"));
  ObjectiveContext context;
  context.num_classes = 10;
  objective->prepare(context);
  const torch::Tensor logits = torch::randn({4, 10}, torch::kDouble);
  const torch::Tensor labels = torch::tensor({0, 1, 2, 9}, torch::kLong);
  const torch::Tensor positions = torch::arange(4);
  const double expected =
      hamp_loss(logits, labels, hamp_soft_label(10, c.get_float("defense.gamma")), c.get_float("defense.alpha"))
          .item<double>();
  EXPECT_DOUBLE_EQ(objective->loss({logits, labels, positions, 0, 0, nullptr}).item<double>(), expected);
}

TEST(Hamp, RejectsBadValues) {
  for (double gamma : {0.0, -0.1, 1.01}) {
    config::Config c(job::schema());
    c.set("defense.name", "hamp");
    c.set("defense.gamma", gamma);
    try {
      make_objective(c);
      ADD_FAILURE() << "accepted gamma " << gamma;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'defense.gamma'"), std::string::npos) << e.what();
    }
  }
  config::Config c(job::schema());
  c.set("defense.name", "hamp");
  c.set("defense.alpha", -0.5);
  EXPECT_THROW(make_objective(c), Error);
  c.set("defense.alpha", 0.0);
  c.set("defense.gamma", 1.0);
  EXPECT_NO_THROW(make_objective(c));
}

}  // namespace
}  // namespace cwrf::train
