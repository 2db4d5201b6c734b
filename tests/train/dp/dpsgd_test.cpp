// The DP-SGD step: clipping, the noised average (exact without noise, statistically with it),
// empty Poisson batches, frozen weights under CWRF's mask, and the dp.* config keys.
#include "cwrf/common/error.h"
#include "cwrf/job/keys.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/adam.h"
#include "cwrf/train/dp/accountant.h"
#include "cwrf/train/dp/dpsgd.h"
#include "cwrf/train/objectives/registry.h"
#include "cwrf/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::train::dp {
namespace {

class Ce final : public Objective {
 public:
  std::string name() const override { return "ce"; }
  torch::Tensor loss(const LossInput& in) override { return torch::nn::functional::cross_entropy(in.logits, in.labels); }
};

models::ModelSpec small_spec(const std::string& name) {
  models::ModelSpec spec;
  spec.name = name;
  spec.image_size = 8;
  spec.num_classes = 4;
  spec.width = name == "vit" ? 16 : 4;
  spec.norm = "group";
  if (name == "vit") {
    spec.depth = 2;
    spec.heads = 2;
    spec.mlp_dim = 24;
    spec.patch = 4;
  }
  return models::resolve(spec);
}

data::Batch random_batch(int64_t n, int64_t classes = 4) {
  return {torch::randn({n, 1, 8, 8}), torch::randint(classes, {n}, torch::kLong), torch::arange(n)};
}

// The clipped per-sample gradients of `model` on `batch`, [n, *shape] per parameter.
std::vector<torch::Tensor> clipped(models::Classifier& model, const data::Batch& batch, double c) {
  Ce ce;
  const TappedPass pass = run_tapped(model, batch.inputs, [&](const torch::Tensor& logits) {
    return ce.loss({logits, batch.labels, batch.positions, 0, 0, &model});
  });
  const PerSampleGradients psg(model, pass);
  const torch::Tensor factors = clip_factors(psg.squared_norms().sqrt(), c);
  std::vector<torch::Tensor> out;
  for (const auto& g : psg.materialize()) {
    std::vector<int64_t> shape(g.dim(), 1);
    shape[0] = -1;
    out.push_back(g * factors.view(shape));
  }
  return out;
}

torch::Tensor total_norms(const std::vector<torch::Tensor>& per_sample) {
  torch::Tensor s = torch::zeros({per_sample.at(0).size(0)}, per_sample[0].options());
  for (const auto& g : per_sample) s += g.flatten(1).pow(2).sum(1);
  return s.sqrt();
}

TEST(DpSgdClipping, ClippedNormsAreAtMostCAndSmallOnesUnchanged) {
  torch::manual_seed(1);
  auto model = models::make_model(small_spec("cnn"));
  model->to(torch::kFloat64);
  data::Batch batch = random_batch(12);
  batch.inputs = batch.inputs.to(torch::kFloat64);
  const auto raw = clipped(*model, batch, 1e9);  // C huge: nothing clipped
  const torch::Tensor norms = total_norms(raw);
  // C between the smallest and largest norm, so both cases occur.
  const double c = norms.median().item<double>();
  const auto clipped_grads = clipped(*model, batch, c);
  const torch::Tensor clipped_norms = total_norms(clipped_grads);
  int64_t clipped_count = 0, kept = 0;
  for (int64_t i = 0; i < 12; ++i) {
    EXPECT_LE(clipped_norms[i].item<double>(), c * (1 + 1e-12)) << i;
    if (norms[i].item<double>() + 1e-6 < c) {
      ++kept;
      for (size_t k = 0; k < raw.size(); ++k) EXPECT_TRUE(torch::equal(clipped_grads[k][i], raw[k][i])) << i;
    } else {
      ++clipped_count;
      EXPECT_NEAR(clipped_norms[i].item<double>(), c, 1e-6 * c + 1e-6) << i;
    }
  }
  EXPECT_GT(kept, 0);
  EXPECT_GT(clipped_count, 0);
}

class DpSgdStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(2);
    model_ = models::make_model(small_spec("vit"));
    model_->to(torch::kFloat64);
    batch_ = random_batch(7);
    batch_.inputs = batch_.inputs.to(torch::kFloat64);
  }

  // Σ_i clipped g_i per parameter.
  std::vector<torch::Tensor> clipped_sum(double c) {
    std::vector<torch::Tensor> sums;
    for (const auto& g : clipped(*model_, batch_, c)) sums.push_back(g.sum(0));
    return sums;
  }

  std::vector<torch::Tensor> step_gradients(const DpSgdOptions& o) {
    for (auto& p : model_->parameters())
      if (p.grad().defined()) p.mutable_grad().zero_();
    Ce ce;
    auto step = make_dpsgd_step(o);
    const StepStats stats = step->compute_gradients(*model_, batch_, ce, 0, 0);
    EXPECT_EQ(stats.count, 7);
    std::vector<torch::Tensor> grads;
    for (const auto& p : model_->parameters()) grads.push_back(p.grad().clone());
    return grads;
  }

  models::ClassifierPtr model_;
  data::Batch batch_;
};

TEST_F(DpSgdStepTest, WithoutNoiseTheGradientIsTheClippedSumOverTheExpectedBatchSize) {
  DpSgdOptions o;
  o.noise_multiplier = 0.0;
  o.max_grad_norm = 0.05;
  o.expected_batch_size = 10.0;  // Poisson: the divisor is the expected size, not the batch's 7
  const auto grads = step_gradients(o);
  const auto sums = clipped_sum(0.05);
  ASSERT_EQ(grads.size(), sums.size());
  for (size_t k = 0; k < grads.size(); ++k) EXPECT_TRUE(torch::allclose(grads[k], sums[k] / 10.0, 1e-10, 1e-14)) << k;
}

TEST_F(DpSgdStepTest, NoiseHasStdSigmaCOverB) {
  DpSgdOptions o;
  o.noise_multiplier = 2.0;
  o.max_grad_norm = 0.5;
  o.expected_batch_size = 10.0;
  o.seed = 11;
  const auto grads = step_gradients(o);
  const auto sums = clipped_sum(0.5);
  std::vector<torch::Tensor> z;
  for (size_t k = 0; k < grads.size(); ++k) z.push_back(((grads[k] - sums[k] / 10.0) * 10.0 / (2.0 * 0.5)).flatten());
  const torch::Tensor all = torch::cat(z);
  const double n = static_cast<double>(all.numel());
  ASSERT_GT(n, 4000);
  // Standard normal: mean within 5 standard errors, sd within 5 standard errors (≈ 1/√(2n)).
  EXPECT_LT(std::abs(all.mean().item<double>()), 5.0 / std::sqrt(n));
  EXPECT_LT(std::abs(all.std().item<double>() - 1.0), 5.0 / std::sqrt(2 * n));
  // The same seed gives the same noise; another seed does not.
  const auto again = step_gradients(o);
  for (size_t k = 0; k < grads.size(); ++k) EXPECT_TRUE(torch::equal(grads[k], again[k]));
  o.seed = 12;
  const auto other = step_gradients(o);
  EXPECT_FALSE(torch::equal(grads[0], other[0]));
}

TEST(DpSgdStep, EmptyBatchIsANoiseOnlyStep) {
  torch::manual_seed(3);
  auto model = models::make_model(small_spec("cnn"));
  Ce ce;
  DpSgdOptions o;
  o.noise_multiplier = 1.5;
  o.max_grad_norm = 2.0;
  o.expected_batch_size = 4.0;
  auto step = make_dpsgd_step(o);
  EXPECT_TRUE(step->poisson_sampling());
  const data::Batch empty{torch::zeros({0, 1, 8, 8}), torch::zeros({0}, torch::kLong), torch::zeros({0}, torch::kLong)};
  const StepStats stats = step->compute_gradients(*model, empty, ce, 0, 0);
  EXPECT_EQ(stats.count, 0);
  EXPECT_EQ(stats.loss_sum, 0.0);
  std::vector<torch::Tensor> all;
  for (const auto& p : model->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    all.push_back(p.grad().flatten());
  }
  const torch::Tensor g = torch::cat(all);
  EXPECT_NEAR(g.std().item<double>(), 1.5 * 2.0 / 4.0, 0.05);
  EXPECT_EQ(step->report().at("steps"), 1);
  // Without noise an empty batch changes nothing.
  for (auto& p : model->parameters()) p.mutable_grad().zero_();
  o.noise_multiplier = 0.0;
  make_dpsgd_step(o)->compute_gradients(*model, empty, ce, 0, 1);
  for (const auto& p : model->parameters()) EXPECT_EQ(p.grad().abs().sum().item<double>(), 0.0);
}

TEST(DpSgdStep, FrozenWeightsStayBitIdentical) {
  // CWRF freezes entries through MaskedAdam::set_trainable; the noise lands on their gradients,
  // and the mask, applied after the noising, keeps them fixed.
  torch::manual_seed(4);
  auto model = models::make_model(small_spec("cnn"));
  MaskedAdam optimizer(named_trainable_parameters(*model), AdamOptions{});
  models::WeightMask mask;
  std::map<std::string, torch::Tensor> before;
  for (const auto& item : model->named_parameters()) {
    mask[item.key()] = torch::rand(item.value().sizes()) < 0.5;
    before[item.key()] = item.value().detach().clone();
  }
  mask["fc2.bias"] = torch::zeros_like(mask["fc2.bias"]);  // a wholly frozen tensor too
  optimizer.set_trainable(mask);
  DpSgdOptions o;
  o.noise_multiplier = 1.0;
  o.expected_batch_size = 8.0;
  auto step = make_dpsgd_step(o);
  Ce ce;
  for (int64_t s = 0; s < 4; ++s) {
    optimizer.zero_grad();
    step->compute_gradients(*model, random_batch(s == 2 ? 0 : 8), ce, 0, s);
    optimizer.step(1e-2);
  }
  int64_t moved = 0;
  for (const auto& item : model->named_parameters()) {
    const torch::Tensor frozen = mask[item.key()].logical_not();
    EXPECT_TRUE(torch::equal(item.value().detach().masked_select(frozen), before[item.key()].masked_select(frozen)))
        << item.key();
    moved += item.value().detach().ne(before[item.key()]).sum().item<int64_t>();
  }
  EXPECT_GT(moved, 0);
}

TEST(DpSgdStep, RejectsBatchNormModels) {
  models::ModelSpec spec = small_spec("cnn");
  spec.norm = "batch";
  auto model = models::make_model(spec);
  Ce ce;
  auto step = make_dpsgd_step(DpSgdOptions{});
  EXPECT_THROW(step->compute_gradients(*model, random_batch(4), ce, 0, 0), Error);
}

TEST(DpSgdStep, ReportsThePrivacySpent) {
  DpSgdOptions o;
  o.noise_multiplier = 1.1;
  o.sampling_rate = 0.01;
  o.delta = 1e-5;
  o.target_epsilon = 6.0;
  auto step = make_dpsgd_step(o);
  torch::manual_seed(5);
  auto model = models::make_model(small_spec("cnn"));
  Ce ce;
  for (int64_t s = 0; s < 3; ++s) step->compute_gradients(*model, random_batch(2), ce, 0, s);
  const auto r = step->report();
  EXPECT_EQ(r.at("steps"), 3);
  EXPECT_DOUBLE_EQ(r.at("epsilon").get<double>(), epsilon(1.1, 0.01, 3, 1e-5));
  for (const char* key : {"delta", "noise_multiplier", "max_grad_norm", "sampling_rate", "target_epsilon"})
    EXPECT_TRUE(r.contains(key)) << key;
}

// The registry entry and its config keys.
class DpSgdConfigTest : public ::testing::Test {
 protected:
  config::Config config_{job::schema()};
  StepContext context_{10000, 256, 5, 40};  // N, B, epochs, steps per epoch
};

TEST_F(DpSgdConfigTest, TargetEpsilonSearchesSigmaAndWritesBackTheValuesUsed) {
  config_.set("defense", "dpsgd");
  config_.set("dp.epsilon", 8.0);
  EXPECT_EQ(make_objective(config_)->name(), "dpsgd");
  auto step = make_step_strategy(config_, context_);
  EXPECT_TRUE(step->poisson_sampling());
  const double sigma = config_.get_float("dp.noise_multiplier");
  const double eps = epsilon(sigma, 256.0 / 10000.0, 200, 1e-5);
  EXPECT_LE(eps, 8.0);
  EXPECT_GE(eps, 8.0 - 0.01);
  EXPECT_EQ(config_.get_float("dp.max_grad_norm"), 1.0);
  EXPECT_EQ(config_.get_float("dp.delta"), 1e-5);
  // The effective config (both keys set, as in a model's config.toml) resolves again.
  config::Config again(job::schema());
  again.merge_toml_string(config_.to_toml(), "config.toml");
  EXPECT_NO_THROW(make_step_strategy(again, context_));
  EXPECT_EQ(again.get_float("dp.noise_multiplier"), sigma);
  // A σ that contradicts the target is named.
  again.set("dp.noise_multiplier", sigma * 2);
  try {
    make_step_strategy(again, context_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'dp.noise_multiplier'"), std::string::npos) << e.what();
  }
}

TEST_F(DpSgdConfigTest, SigmaWithoutTargetAndMissingPrivacyLevel) {
  config_.set("defense", "dpsgd");
  try {
    make_step_strategy(config_, context_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dp.epsilon"), std::string::npos) << e.what();
  }
  config_.set("dp.noise_multiplier", 1.3);
  config_.set("dp.max_grad_norm", 0.5);
  const DpSgdOptions o = resolve_dpsgd_options(config_, context_);
  EXPECT_EQ(o.noise_multiplier, 1.3);
  EXPECT_EQ(o.max_grad_norm, 0.5);
  EXPECT_DOUBLE_EQ(o.sampling_rate, 0.0256);
  EXPECT_DOUBLE_EQ(o.expected_batch_size, 256.0);
  EXPECT_EQ(o.planned_steps, 200);
  EXPECT_FALSE(config_.has("dp.epsilon"));
  config_.set("dp.max_grad_norm", -1.0);
  EXPECT_THROW(resolve_dpsgd_options(config_, context_), Error);
}

TEST_F(DpSgdConfigTest, DpKeysDoNotApplyToOtherDefenses) {
  config_.set("dp.epsilon", 8.0);  // defense stays "ce"
  try {
    make_objective(config_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config key 'dp.epsilon' does not apply to defense 'ce'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cwrf::train::dp
