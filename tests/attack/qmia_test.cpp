// QMIA: the pinball loss by hand; its minimiser over a constant is the empirical quantile (brute
// force over candidates); a regressor trained on synthetic images learns each group's quantiles and
// flags about α of fresh non-members; the query-averaged φ.
#include "cwrf/attack/qmia.h"
#include "cwrf/attack/statistics.h"
#include "cwrf/common/error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

namespace cwrf::attack {
namespace {

TEST(Qmia, PinballLossByHand) {
  // τ = 0.9: an under-prediction by 2 costs 2·0.9, an over-prediction by 1 costs 1·0.1; τ = 0.5: half the
  // absolute error.
  const torch::Tensor pred = torch::tensor({{1.0, 1.0}, {3.0, 3.0}}, torch::kFloat64);
  const torch::Tensor target = torch::tensor({3.0, 2.0}, torch::kFloat64);
  const torch::Tensor levels = torch::tensor({0.9, 0.5}, torch::kFloat64);
  const double expected = (2 * 0.9 + 2 * 0.5 + 1 * 0.1 + 1 * 0.5) / 4;
  EXPECT_NEAR(pinball_loss(pred, target, levels).item<double>(), expected, 1e-15);
  EXPECT_THROW(pinball_loss(pred, target, torch::tensor({0.5})), Error);
}

TEST(Qmia, ConstantMinimiserIsTheEmpiricalQuantile) {
  // Over the sample points themselves (where a piecewise-linear loss attains its minimum), the
  // pinball loss at τ is smallest at the ⌈τ n⌉-th order statistic: the (1 − α) quantile QMIA thresholds at.
  std::mt19937 rng(3);
  std::normal_distribution<double> d(1.0, 2.0);
  for (int64_t n : {11, 101, 401}) {  // τ n never an integer: a unique minimiser
    std::vector<double> t(static_cast<size_t>(n));
    for (double& v : t) v = d(rng);
    const torch::Tensor targets = torch::tensor(t, torch::kFloat64);
    std::vector<double> sorted = t;
    std::sort(sorted.begin(), sorted.end());
    for (double tau : {0.5, 0.9, 0.99}) {
      double best = 0, best_loss = INFINITY;
      for (double c : t) {
        const double loss =
            pinball_loss(torch::full({n, 1}, c, torch::kFloat64), targets, torch::tensor({tau}, torch::kFloat64)).item<double>();
        if (loss < best_loss - 1e-15) best_loss = loss, best = c;
      }
      const double order_statistic = sorted[static_cast<size_t>(std::ceil(tau * n)) - 1];
      EXPECT_EQ(best, order_statistic) << "n " << n << " tau " << tau;
    }
  }
}

// 8x8 one-channel images of three groups (intensity pattern g); scores N(μ_g, σ_g²).
struct Groups {
  data::Prepared inputs;
  torch::Tensor scores;
  std::vector<int64_t> group;
};
const double kMu[3] = {-2.0, 1.0, 4.0}, kSd[3] = {0.5, 1.0, 2.0};

Groups make_groups(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise;
  Groups g;
  torch::Tensor x = torch::zeros({n, 1, 8, 8});
  std::vector<double> s(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i % 3;
    g.group.push_back(k);
    x[i][0].slice(0, 0, 8).slice(1, 0, 8).fill_(static_cast<double>(k) - 1.0);
    x[i][0][k][k] = 2.0;
    x[i] += 0.1 * torch::randn({1, 8, 8}, at::TensorOptions().dtype(torch::kFloat32));
    s[static_cast<size_t>(i)] = kMu[k] + kSd[k] * noise(rng);
  }
  g.inputs.inputs = x;
  g.inputs.labels = torch::zeros({n}, torch::kLong);
  g.inputs.num_classes = 1;
  g.scores = torch::tensor(s, torch::kFloat64);
  return g;
}

TEST(Qmia, RegressorLearnsEachGroupsQuantilesAndControlsTheFalsePositiveRate) {
  torch::manual_seed(5);
  const Groups train = make_groups(900, 6), fresh = make_groups(3000, 7);
  QuantileRegressionOptions o;
  o.spec.name = "cnn";
  o.spec.in_channels = 1;
  o.spec.image_size = 8;
  o.spec.width = 8;
  o.epochs = 40;
  o.batch_size = 64;
  o.lr = 3e-3;
  o.seed = 11;
  const std::vector<double> alphas = {0.5, 0.1};
  QuantileRegressor r = train_quantile_regressor(train.inputs, train.scores, {1 - alphas[0], 1 - alphas[1]}, o);
  const torch::Tensor q = predict_quantiles(r, fresh.inputs.inputs);
  ASSERT_EQ(q.sizes(), (std::vector<int64_t>{3000, 2}));
  // The true quantiles μ + σ Φ⁻¹(τ): Φ⁻¹(0.5) = 0, Φ⁻¹(0.9) = 1.2816.
  const double z[2] = {0.0, 1.2815515655446004};
  for (int64_t k = 0; k < 3; ++k)
    for (int64_t a = 0; a < 2; ++a) {
      double mean = 0, count = 0;
      for (int64_t i = 0; i < 3000; ++i)
        if (fresh.group[i] == k) mean += q[i][a].item<double>(), ++count;
      mean /= count;
      const double truth = kMu[k] + kSd[k] * z[a];
      std::cout << "group " << k << " tau " << 1 - alphas[a] << ": predicted " << mean << ", true " << truth << "\n";
      EXPECT_NEAR(mean, truth, 0.35 * kSd[k] + 0.1) << k << " " << a;
    }
  // Fresh non-members above their predicted (1 − α) quantile: about α of them, in every group.
  for (int64_t a = 0; a < 2; ++a) {
    double above = 0;
    for (int64_t i = 0; i < 3000; ++i) above += fresh.scores[i].item<double>() > q[i][a].item<double>() ? 1 : 0;
    std::cout << "alpha " << alphas[a] << ": fresh non-members flagged " << above / 3000 << "\n";
    EXPECT_NEAR(above / 3000, alphas[a], 0.06) << alphas[a];
  }
  EXPECT_GT(r.seconds, 0.0);
  EXPECT_THROW(train_quantile_regressor(train.inputs, train.scores, {1.0}, o), Error);
  EXPECT_THROW(train_quantile_regressor(train.inputs, train.scores.slice(0, 0, 10), {0.5}, o), Error);
}

TEST(Qmia, MeanLogitScaledAveragesTheQueries) {
  const torch::Tensor logits = torch::tensor({{{2.0, 0.0, -1.0}, {1.0, 1.0, 1.0}}, {{0.0, 3.0, 0.0}, {0.5, 0.0, 0.0}}});
  const torch::Tensor labels = torch::tensor({0, 1}, torch::kLong);
  const auto phi = mean_logit_scaled(logits, labels);
  const double a = 2.0 - std::log(std::exp(0.0) + std::exp(-1.0)), b = 1.0 - std::log(2 * std::exp(1.0));
  const double c = 3.0 - std::log(2.0), d = 0.0 - std::log(std::exp(0.5) + 1.0);
  EXPECT_NEAR(phi[0], (a + b) / 2, 1e-12);
  EXPECT_NEAR(phi[1], (c + d) / 2, 1e-12);
}

}  // namespace
}  // namespace cwrf::attack
