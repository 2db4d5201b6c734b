// RelaxLoss against hand calculations on two samples, three classes:
//   sample 0: z = [ln 2, 0, 0], y = 0 -> p = [1/2, 1/4, 1/4], correct,   CE = ln 2 = 0.693147
//   sample 1: z = [0, ln 3, 0], y = 0 -> p = [1/5, 3/5, 1/5], incorrect, CE = ln 5 = 1.609438
//   batch mean L = (ln 2 + ln 5)/2 = ln(10)/2 = 1.151293
// ∂CE_i/∂z_i = p_i − onehot_i, so ∂L/∂z_0 = ([1/2, 1/4, 1/4] − [1, 0, 0])/2 = [−0.25, 0.125, 0.125].
#include "cwrf/common/error.h"
#include "cwrf/job/keys.h"
#include "cwrf/train/objectives/registry.h"
#include "cwrf/train/objectives/relaxloss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::train {
namespace {

struct Batch {
  torch::Tensor logits = torch::tensor({std::log(2.0), 0.0, 0.0, 0.0, std::log(3.0), 0.0}, torch::kDouble)
                             .view({2, 3})
                             .requires_grad_(true);
  torch::Tensor labels = torch::tensor({0, 0}, torch::kLong);
};

constexpr double kMeanCe = 1.1512925464970227;  // ln(10)/2

// Returns (loss, ∂loss/∂logits).
std::pair<double, torch::Tensor> run(int64_t epoch, double alpha, double upper = 1.0) {
  Batch b;
  torch::Tensor loss = relaxloss_loss(b.logits, b.labels, epoch, alpha, upper);
  loss.backward();
  return {loss.item<double>(), b.logits.grad()};
}

void expect_row(const torch::Tensor& grad, int64_t row, std::vector<double> expected, double tol = 1e-9) {
  for (int64_t j = 0; j < 3; ++j) EXPECT_NEAR(grad[row][j].item<double>(), expected[j], tol) << "row " << row << " col " << j;
}

TEST(RelaxLoss, EvenEpochAboveAlphaDescends) {
  // |L − 0.5| = 1.151293 − 0.5 = 0.651293; above α the gradient is CE's: descent.
  auto [value, grad] = run(0, 0.5);
  EXPECT_NEAR(value, kMeanCe - 0.5, 1e-12);
  expect_row(grad, 0, {-0.25, 0.125, 0.125});
  // sample 1: (p − onehot)/2 = ([0.2, 0.6, 0.2] − [1, 0, 0])/2
  expect_row(grad, 1, {-0.4, 0.3, 0.1});
}

TEST(RelaxLoss, EvenEpochBelowAlphaAscends) {
  // |L − 2| = 2 − 1.151293 = 0.848707; below α the sign flips: gradient ascent on CE.
  auto [value, grad] = run(2, 2.0);
  EXPECT_NEAR(value, 2.0 - kMeanCe, 1e-12);
  expect_row(grad, 0, {0.25, -0.125, -0.125});
  expect_row(grad, 1, {0.4, -0.3, -0.1});
}

TEST(RelaxLoss, OddEpochAboveAlphaIsPlainCrossEntropy) {
  auto [value, grad] = run(1, 0.5);
  EXPECT_NEAR(value, kMeanCe, 1e-12);
  expect_row(grad, 0, {-0.25, 0.125, 0.125});
  expect_row(grad, 1, {-0.4, 0.3, 0.1});
}

TEST(RelaxLoss, OddEpochBelowAlphaFlattensPosteriors) {
  // L = 1.151 <= α = 2: posterior flattening with upper = 1.
  //  sample 0 (correct): −CE_0 = −ln 2 (pure ascent).
  //  sample 1 (incorrect): t = [p_y, (1 − p_y)/2, (1 − p_y)/2] = [0.2, 0.4, 0.4];
  //    CE_soft = −(0.2 ln 0.2 + 0.4 ln 0.6 + 0.4 ln 0.2) = 1.169993; term = 1.169993 − ln 5 = −0.439445.
  //  loss = (−0.693147 − 0.439445)/2 = −0.566296.
  auto [value, grad] = run(1, 2.0);
  EXPECT_NEAR(value, -0.5662960480135946, 1e-12);
  // sample 0: ∂(−CE_0/2)/∂z_0 = −(p − onehot)/2 = [0.25, −0.125, −0.125]: ascent (z_y is pushed down).
  expect_row(grad, 0, {0.25, -0.125, -0.125});
  EXPECT_GT(grad[0][0].item<double>(), 0.0);
  // sample 1, t not detached (as in the reference). With f = CE_soft(z, t(z)) − CE(z):
  //   ∂/∂z_j [−Σ_k t_k log p_k] at fixed t = p_j − t_j                 -> [0, 0.2, −0.2]
  //   through t: −(∂p_y/∂z_j)·(log p_y − Σ_{k≠y} log p_k/(C − 1)), ∂p_y/∂z_j = p_y(δ_yj − p_j)
  //     = −[0.16, −0.12, −0.04]·(ln 0.2 − (ln 0.6 + ln 0.2)/2 = −ln(3)/2)  -> [0.087889, −0.065917, −0.021972]
  //   −∂CE/∂z = −(p − onehot)                                          -> [0.8, −0.6, −0.2]
  //   sum / B=2 = [0.443944, −0.232958, −0.210986]
  // (With t detached it would be [0.4, −0.2, −0.2].)
  expect_row(grad, 1, {0.44394449154672444, -0.2329583686600433, -0.21098612288668112});
}

TEST(RelaxLoss, OddEpochUpperCapsTheSoftTarget) {
  // upper = 0.1 < p_y = 0.2 for sample 1: t = [0.1, 0.45, 0.45];
  //   CE_soft = −(0.1 ln 0.2 + 0.45 ln 0.6 + 0.45 ln 0.2) = 1.115062; term = 1.115062 − ln 5 = −0.494376;
  //   loss = (−ln 2 − 0.494376)/2 = −0.593761.
  // The clamp is active, so t is constant: grad of sample 1 = ((p − t) − (p − onehot))/2 = (onehot − t)/2.
  auto [value, grad] = run(3, 2.0, 0.1);
  EXPECT_NEAR(value, -0.5937613552302972, 1e-12);
  expect_row(grad, 1, {0.45, -0.225, -0.225});
  expect_row(grad, 0, {0.25, -0.125, -0.125});
}

TEST(RelaxLoss, EpochParityDecidesTheBranch) {
  for (int64_t epoch : {0, 2, 4}) EXPECT_NEAR(run(epoch, 2.0).first, 2.0 - kMeanCe, 1e-12) << epoch;
  for (int64_t epoch : {1, 3, 5}) EXPECT_NEAR(run(epoch, 2.0).first, -0.5662960480135946, 1e-12) << epoch;
}

TEST(RelaxLoss, ObjectiveFromConfigUsesTheFormula) {
  config::Config c(job::schema());
  c.set("defense.name", "relaxloss");
  c.set("defense.alpha", 2.0);
  auto objective = make_objective(c);
  EXPECT_EQ(objective->name(), "relaxloss");
  EXPECT_DOUBLE_EQ(c.get_float("defense.upper"), 1.0);  // resolved default written back
  Batch b;
  const torch::Tensor positions = torch::arange(2);
  const torch::Tensor loss = objective->loss({b.logits, b.labels, positions, /*epoch=*/1, /*step=*/0, nullptr});
  EXPECT_NEAR(loss.item<double>(), -0.5662960480135946, 1e-12);
}

TEST(RelaxLoss, RejectsBadValues) {
  auto error_of = [](const std::string& key, double value) {
    config::Config c(job::schema());
    c.set("defense.name", "relaxloss");
    c.set(key, value);
    try {
      make_objective(c);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("defense.alpha", -1.0).find("'defense.alpha'"), std::string::npos);
  EXPECT_NE(error_of("defense.alpha", -1.0).find("-1"), std::string::npos);
  EXPECT_NE(error_of("defense.upper", 0.0).find("'defense.upper'"), std::string::npos);
  EXPECT_NE(error_of("defense.upper", 1.5).find("1.5"), std::string::npos);
  EXPECT_EQ(error_of("defense.alpha", 0.0), "no error");
}

}  // namespace
}  // namespace cwrf::train
