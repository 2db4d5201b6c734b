// PVE and TFO scores (Eq. 2-4, Alg. 1 lines 1-10) against a hand computation on a linear
// classifier, whose gradients have a closed form.
#include "cwrf/common/error.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/weights/scores.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::weights {
namespace {

// logits = x Wᵀ + b, 2 features, 3 classes.
class Linear final : public models::Classifier {
 public:
  Linear() { fc = register_module("fc", torch::nn::Linear(2, 3)); }
  torch::Tensor forward(const torch::Tensor& x) override { return fc->forward(x); }
  torch::nn::Linear fc{nullptr};
};

data::Prepared make_set(torch::Tensor x, torch::Tensor y) {
  data::Prepared p;
  p.inputs = x;
  p.labels = y;
  p.indices = torch::arange(x.size(0));
  p.num_classes = 3;
  return p;
}

struct Fixture {
  torch::Tensor W_up = torch::tensor({{0.5, -0.2}, {0.1, 0.3}, {-0.4, 0.2}}, torch::kFloat64);
  torch::Tensor b_up = torch::tensor({0.05, -0.1, 0.02}, torch::kFloat64);
  torch::Tensor W_vn = torch::tensor({{0.1, 0.0}, {-0.1, 0.2}, {0.05, -0.05}}, torch::kFloat64);
  torch::Tensor b_vn = torch::tensor({0.0, 0.01, -0.01}, torch::kFloat64);
  torch::Tensor x_tr = torch::tensor({{1.0, 2.0}, {-1.0, 0.5}, {0.3, -0.7}, {2.0, 1.0}}, torch::kFloat64);
  torch::Tensor y_tr = torch::tensor({0, 1, 2, 0}, torch::kLong);
  torch::Tensor x_re = torch::tensor({{0.2, 0.1}, {-0.5, -1.5}, {1.5, -0.3}}, torch::kFloat64);
  torch::Tensor y_re = torch::tensor({1, 2, 0}, torch::kLong);

  TensorMap up() const { return {{"fc.weight", W_up}, {"fc.bias", b_up}}; }
  TensorMap vn() const { return {{"fc.weight", W_vn}, {"fc.bias", b_vn}}; }
  ModelFactory factory() const {
    return [] {
      auto m = std::make_shared<Linear>();
      m->to(torch::kFloat64);
      return std::static_pointer_cast<models::Classifier>(m);
    };
  }
};

// The hand computation, iteration by iteration: d CE/dz = (p − onehot)/B;
// d KL(q ‖ p)/dz = (p − q)/B_re with batchmean; g_W = Σ_i dz_i x_iᵀ, g_b = Σ_i dz_i.
std::pair<torch::Tensor, torch::Tensor> hand_scores(const Fixture& f, double lambda, double lr, int iterations) {
  torch::Tensor W = f.W_up.clone(), b = f.b_up.clone();
  torch::Tensor sW = torch::zeros_like(W), sb = torch::zeros_like(b);
  const torch::Tensor onehot = torch::one_hot(f.y_tr, 3).to(torch::kFloat64);
  const torch::Tensor q = torch::softmax(f.x_re.matmul(f.W_vn.t()) + f.b_vn, 1);
  for (int t = 0; t < iterations; ++t) {
    const torch::Tensor p_tr = torch::softmax(f.x_tr.matmul(W.t()) + b, 1);
    const torch::Tensor dz_tr = (p_tr - onehot) / f.x_tr.size(0);
    torch::Tensor gW = (1 - lambda) * dz_tr.t().matmul(f.x_tr);
    torch::Tensor gb = (1 - lambda) * dz_tr.sum(0);
    if (lambda > 0) {
      const torch::Tensor p_re = torch::softmax(f.x_re.matmul(W.t()) + b, 1);
      const torch::Tensor dz_re = (p_re - q) / f.x_re.size(0);
      gW = gW + lambda * dz_re.t().matmul(f.x_re);
      gb = gb + lambda * dz_re.sum(0);
    }
    sW += (gW * W).abs();  // θ' before the update
    sb += (gb * b).abs();
    W = W - lr * gW;
    b = b - lr * gb;
  }
  return {sW, sb};
}

TEST(Scores, PveMatchesTheHandComputationOverTwoIterations) {
  Fixture f;
  ScoreOptions o;
  o.method = ScoreMethod::Pve;
  o.iterations = 2;
  o.batch_size = 4;  // whole sets: the batch order cannot matter
  o.lambda = 0.7;
  o.lr = 0.5;        // large, so the second iteration really sees an updated θ'
  const auto members = make_set(f.x_tr, f.y_tr);
  const auto reference = make_set(f.x_re, f.y_re);
  const Scores s = compute_scores(f.factory(), f.up(), f.vn(), members, &reference, o);
  const auto [sW, sb] = hand_scores(f, 0.7, 0.5, 2);
  EXPECT_TRUE(torch::allclose(s.at("fc.weight").to(torch::kFloat64), sW, 1e-5, 1e-7)) << s.at("fc.weight") << sW;
  EXPECT_TRUE(torch::allclose(s.at("fc.bias").to(torch::kFloat64), sb, 1e-5, 1e-7)) << s.at("fc.bias") << sb;
  // The scores are not those of one iteration, nor of a fixed θ' (the update is used).
  const auto [one_W, one_b] = hand_scores(f, 0.7, 0.5, 1);
  EXPECT_FALSE(torch::allclose(s.at("fc.weight").to(torch::kFloat64), 2 * one_W, 1e-3, 1e-6));
}

TEST(Scores, TfoIsCrossEntropyOnlyAndNeedsNoReferenceSet) {
  Fixture f;
  ScoreOptions o;
  o.method = ScoreMethod::Tfo;
  o.iterations = 2;
  o.batch_size = 4;
  o.lambda = 0.7;  // ignored by TFO
  o.lr = 0.5;
  const Scores s = compute_scores(f.factory(), f.up(), f.vn(), make_set(f.x_tr, f.y_tr), nullptr, o);
  const auto [sW, sb] = hand_scores(f, 0.0, 0.5, 2);
  EXPECT_TRUE(torch::allclose(s.at("fc.weight").to(torch::kFloat64), sW, 1e-5, 1e-7));
  EXPECT_TRUE(torch::allclose(s.at("fc.bias").to(torch::kFloat64), sb, 1e-5, 1e-7));
}

TEST(Scores, LeaveThetaUpUntouchedAndRejectBadInput) {
  Fixture f;
  const TensorMap up = f.up();
  const torch::Tensor before = up.at("fc.weight").clone();
  ScoreOptions o;
  o.batch_size = 2;
  o.iterations = 3;
  const auto members = make_set(f.x_tr, f.y_tr);
  const auto reference = make_set(f.x_re, f.y_re);
  compute_scores(f.factory(), up, f.vn(), members, &reference, o);
  EXPECT_TRUE(torch::equal(up.at("fc.weight"), before));
  EXPECT_THROW(compute_scores(f.factory(), up, f.vn(), members, nullptr, o), Error);  // PVE without D_re
  o.lambda = 1.5;
  EXPECT_THROW(compute_scores(f.factory(), up, f.vn(), members, &reference, o), Error);
}

TEST(Scores, SavedScoresReloadIdentically) {
  cwrf::testing::TempDir dir;
  Scores s{{"a.weight", torch::rand({3, 4})}, {"a.bias", torch::rand({4})}};
  save_scores(dir / "s.pt", s);
  const Scores back = load_scores(dir / "s.pt");
  ASSERT_EQ(back.size(), 2u);
  for (const auto& [name, t] : s) EXPECT_TRUE(torch::equal(back.at(name), t)) << name;
}

}  // namespace
}  // namespace cwrf::weights
