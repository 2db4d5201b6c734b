// Statistics of logits against naive formulas in long double, and their stability at extremes.
#include "cwrf/attack/statistics.h"
#include "cwrf/common/error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

namespace cwrf::attack {
namespace {

RowStatistics naive(const std::vector<double>& z, int64_t y) {
  long double sum = 0;
  for (double v : z) sum += std::exp(static_cast<long double>(v));
  std::vector<long double> p;
  for (double v : z) p.push_back(std::exp(static_cast<long double>(v)) / sum);
  RowStatistics s;
  s.confidence = static_cast<double>(p[y]);
  s.loss = static_cast<double>(-std::log(p[y]));
  s.logit_scaled = static_cast<double>(std::log(p[y]) - std::log(1 - p[y]));
  long double h = 0, mh = -(1 - p[y]) * std::log(p[y]);
  for (size_t i = 0; i < p.size(); ++i) {
    h -= p[i] * std::log(p[i]);
    if (static_cast<int64_t>(i) != y) mh -= p[i] * std::log(1 - p[i]);
  }
  s.entropy = static_cast<double>(h);
  s.modified_entropy = static_cast<double>(mh);
  return s;
}

TEST(Statistics, MatchNaiveFormulasOnModerateLogits) {
  std::mt19937 rng(1);
  std::normal_distribution<double> d(0.0, 3.0);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> z(10);
    for (double& v : z) v = d(rng);
    const int64_t y = trial % 10;
    const RowStatistics a = row_statistics(z.data(), 10, y), b = naive(z, y);
    EXPECT_NEAR(a.logit_scaled, b.logit_scaled, 1e-10);
    EXPECT_NEAR(a.loss, b.loss, 1e-10);
    EXPECT_NEAR(a.confidence, b.confidence, 1e-12);
    EXPECT_NEAR(a.entropy, b.entropy, 1e-10);
    EXPECT_NEAR(a.modified_entropy, b.modified_entropy, 1e-10);
  }
}

TEST(Statistics, StableAtExtremes) {
  // p_y = 1 − 2e^{−1000}: the naive log p − log(1 − p) is inf in double; φ = 1000 − log 2.
  std::vector<double> z = {1000, 0, 0};
  RowStatistics s = row_statistics(z.data(), 3, 0);
  EXPECT_NEAR(s.logit_scaled, 1000 - std::log(2.0), 1e-9);
  EXPECT_GE(s.loss, 0.0);
  EXPECT_LT(s.loss, 1e-300);
  EXPECT_DOUBLE_EQ(s.confidence, 1.0);
  EXPECT_TRUE(std::isfinite(s.modified_entropy));
  // 1 − p_y = e^{−40} is below double's resolution near 1, yet φ = 40 exactly.
  z = {40, 0};
  s = row_statistics(z.data(), 2, 0);
  EXPECT_NEAR(s.logit_scaled, 40.0, 1e-12);
  // Hopelessly wrong: p_y = e^{−1000}/(1 + ...): loss 1000, φ −1000.
  z = {-1000, 0};
  s = row_statistics(z.data(), 2, 0);
  EXPECT_NEAR(s.logit_scaled, -1000.0, 1e-9);
  EXPECT_NEAR(s.loss, 1000.0, 1e-9);
  EXPECT_TRUE(std::isfinite(s.modified_entropy));
  // −(1 − p_y) log p_y ≈ 1000, and the wrong class with p ≈ 1 adds −p log(1 − p) ≈ 1000.
  EXPECT_NEAR(s.modified_entropy, 2000.0, 1e-6);
}

TEST(Statistics, RmiaSignal) {
  const std::vector<double> z = {2.0, -1.0, 0.5};
  // T = 1, m = 0: log softmax.
  const double lse = std::log(std::exp(2.0) + std::exp(-1.0) + std::exp(0.5));
  EXPECT_NEAR(row_log_rmia_signal(z.data(), 3, 0, 1.0, 0.0), 2.0 - lse, 1e-14);
  // T = 2, m = 0.6: e^{1 − 0.6} / (e^{1 − 0.6} + e^{−0.5} + e^{0.25}).
  const double num = std::exp(0.4);
  EXPECT_NEAR(row_log_rmia_signal(z.data(), 3, 0, 2.0, 0.6), std::log(num / (num + std::exp(-0.5) + std::exp(0.25))),
              1e-14);
}

TEST(Statistics, TensorLayoutIsModelsExamplesQueries) {
  torch::manual_seed(0);
  const torch::Tensor logits = torch::randn({3, 4, 2, 5});
  const torch::Tensor labels = torch::tensor({0, 4, 2, 1}, torch::kLong);
  const Statistics s = compute_statistics(logits, labels);
  ASSERT_EQ(s.logit_scaled.models, 3);
  ASSERT_EQ(s.logit_scaled.examples, 4);
  ASSERT_EQ(s.logit_scaled.queries, 2);
  const torch::Tensor z = logits.to(torch::kFloat64);
  for (int64_t m = 0; m < 3; ++m)
    for (int64_t n = 0; n < 4; ++n)
      for (int64_t q = 0; q < 2; ++q) {
        const torch::Tensor row = z[m][n][q].contiguous();
        const int64_t y = labels[n].item<int64_t>();
        const RowStatistics r = row_statistics(row.data_ptr<double>(), 5, y);
        EXPECT_EQ(s.logit_scaled(m, n, q), r.logit_scaled);
        EXPECT_EQ(s.modified_entropy(m, n, q), r.modified_entropy);
        EXPECT_NEAR(s.confidence(m, n, q), torch::softmax(row, 0)[y].item<double>(), 1e-14);
      }
  const SignalArray ls = compute_log_rmia_signal(logits, labels, 1.0, 0.0);
  EXPECT_NEAR(ls(2, 3, 1), std::log(s.confidence(2, 3, 1)), 1e-13);
  EXPECT_THROW(compute_statistics(logits, torch::tensor({0, 9, 2, 1}, torch::kLong)), Error);
  EXPECT_THROW(compute_log_rmia_signal(logits, labels, 0.0, 0.0), Error);
}

}  // namespace
}  // namespace cwrf::attack
