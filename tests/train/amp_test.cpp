// Mixed precision (the amp key): autocast on and off exactly around the forward pass; bf16
// training of each image model tracks fp32 training within a stated tolerance while the weights,
// gradients and Adam state stay float32; DP-SGD's per-sample norms likewise; the key's hashing.
#include "cwrf/common/error.h"
#include "cwrf/common/torch_compat.h"
#include "cwrf/job/keys.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/adam.h"
#include "cwrf/train/amp.h"
#include "cwrf/train/dp/per_sample_grads.h"
#include "cwrf/train/step.h"
#include "cwrf/train/train_keys.h"
#include "cwrf/train/trainer.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>

namespace cwrf::train {
namespace {

// The stated tolerance: over a few Adam steps from the same initialisation and batches, each
// step's bf16 loss is within 5 % (relative) of the fp32 one. bf16 keeps 8 mantissa bits (a
// relative rounding of 2^-9 per value); the measured gaps are printed by the test.
constexpr double kLossTolerance = 5e-2;

TEST(Amp, ParsesTheKeyValues) {
  EXPECT_EQ(parse_amp("off"), Amp::Off);
  EXPECT_EQ(parse_amp("bf16"), Amp::Bf16);
  EXPECT_EQ(to_string(Amp::Bf16), "bf16");
  EXPECT_THROW(parse_amp("fp16"), Error);
  config::Config c(job::schema());
  EXPECT_EQ(c.get_string("amp"), "off");
  EXPECT_THROW(c.set("amp", "fp8"), Error);
  EXPECT_EQ(train_options(c).amp, Amp::Off);
  c.set("amp", "bf16");
  EXPECT_EQ(train_options(c).amp, Amp::Bf16);
}

TEST(Amp, OffKeepsTheHashOfModelsTrainedBeforeTheKeyExisted) {
  config::Config c(job::schema());
  EXPECT_EQ(c.canonical_text().find("\"amp\""), std::string::npos) << c.canonical_text();
  c.set("amp", "bf16");
  EXPECT_NE(c.canonical_text().find("\"amp\":\"bf16\""), std::string::npos) << c.canonical_text();
  EXPECT_NE(c.to_toml().find("amp"), std::string::npos);  // config.toml still shows it
}

TEST(Amp, ScopeTurnsCpuAutocastOnAndRestoresTheStateOnExit) {
  const torch::Tensor a = torch::randn({8, 8}), b = torch::randn({8, 8});
  const c10::DeviceType cpu = c10::DeviceType::CPU;
  ASSERT_FALSE(compat::autocast_enabled(cpu));
  const c10::ScalarType before = compat::autocast_dtype(cpu);
  {
    AutocastScope scope(Amp::Bf16, torch::Device(torch::kCPU));
    EXPECT_TRUE(compat::autocast_enabled(cpu));
    EXPECT_EQ(compat::autocast_dtype(cpu), torch::kBFloat16);
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
    {
      AutocastScope nested(Amp::Bf16, torch::Device(torch::kCPU));
      EXPECT_TRUE(compat::autocast_enabled(cpu));
    }
    EXPECT_TRUE(compat::autocast_enabled(cpu));  // the inner scope restored the outer one's state
  }
  EXPECT_FALSE(compat::autocast_enabled(cpu));
  EXPECT_EQ(compat::autocast_dtype(cpu), before);
  EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat32);
  {
    AutocastScope off(Amp::Off, torch::Device(torch::kCPU));
    EXPECT_FALSE(compat::autocast_enabled(cpu));
  }
  EXPECT_EQ(full_precision(torch::ones({2}, torch::kBFloat16)).scalar_type(), torch::kFloat32);
  EXPECT_EQ(full_precision(torch::ones({2}, torch::kFloat64)).scalar_type(), torch::kFloat64);
}

class Ce final : public Objective {
 public:
  std::string name() const override { return "ce"; }
  torch::Tensor loss(const LossInput& in) override {
    EXPECT_EQ(in.logits.scalar_type(), torch::kFloat32);  // the objective always sees float32 logits
    return torch::nn::functional::cross_entropy(in.logits, in.labels);
  }
};


struct TrainRun {
  std::vector<double> losses;
  models::ClassifierPtr model;
};

// `steps` Adam steps from the seed's initialisation on fixed random batches (a few distinct
// ones, cycled), as the training loop takes them.
TrainRun train_steps(const models::ModelSpec& spec, Amp amp, int steps, bool channels_last) {
  torch::manual_seed(11);
  TrainRun run;
  run.model = models::make_model(spec);
  run.model->train();
  if (channels_last) to_channels_last(*run.model);
  MaskedAdam optimizer(named_trainable_parameters(*run.model), AdamOptions{});
  auto step = make_standard_step();
  step->set_amp(amp);
  Ce ce;
  torch::manual_seed(12);
  std::vector<data::Batch> batches;
  for (int b = 0; b < 3; ++b) {
    torch::Tensor x = torch::randn({32, spec.in_channels, spec.image_size, spec.image_size});
    if (channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    batches.push_back({x, torch::randint(spec.num_classes, {32}, torch::kLong), torch::arange(32)});
  }
  for (int s = 0; s < steps; ++s) {
    optimizer.zero_grad();
    const StepStats stats = step->compute_gradients(*run.model, batches[static_cast<size_t>(s) % 3], ce, 0, s);
    run.losses.push_back(stats.loss_sum / static_cast<double>(stats.count));
    optimizer.step(1e-3);
  }
  return run;
}

TEST(Amp, Bf16TrainingTracksFp32AndKeepsFloat32MasterWeights) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cnn", "batch"}, {"cnn", "group"}, {"resnet18", "batch"}, {"resnet18", "group"}, {"vit", "batch"}};
  for (const auto& [model_name, norm] : cases) {
    const std::string name = model_name + (norm == "group" ? "-group" : "");
    const models::ModelSpec spec = cwrf::testing::small_image_spec(model_name, norm);
    const bool channels_last = model_name != "vit";
    const TrainRun fp32 = train_steps(spec, Amp::Off, 8, channels_last);
    const TrainRun bf16 = train_steps(spec, Amp::Bf16, 8, channels_last);
    double worst = 0.0;
    for (size_t s = 0; s < fp32.losses.size(); ++s) {
      const double gap = std::abs(bf16.losses[s] - fp32.losses[s]) / std::abs(fp32.losses[s]);
      worst = std::max(worst, gap);
      EXPECT_LE(gap, kLossTolerance) << name << " step " << s << ": fp32 " << fp32.losses[s] << " bf16 "
                                     << bf16.losses[s];
    }
    // Training moved the loss (the comparison is not of two untrained models).
    EXPECT_LT(fp32.losses.back(), fp32.losses.front()) << name;
    std::printf("[ amp ] %s: 8 steps, loss %.4f -> %.4f (fp32), %.4f -> %.4f (bf16), max relative gap %.2e\n",
                name.c_str(), fp32.losses.front(), fp32.losses.back(), bf16.losses.front(), bf16.losses.back(), worst);
    for (const auto& p : bf16.model->named_parameters()) {
      EXPECT_EQ(p.value().scalar_type(), torch::kFloat32) << name << " " << p.key();
      if (p.value().grad().defined()) {
        EXPECT_EQ(p.value().grad().scalar_type(), torch::kFloat32) << p.key();
      }
    }
    for (const auto& b : bf16.model->named_buffers())
      if (b.value().is_floating_point()) {
        EXPECT_EQ(b.value().scalar_type(), torch::kFloat32) << name << " " << b.key();
      }
    // Evaluation is in full precision whatever the training's amp.
    bf16.model->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(bf16.model->forward(torch::randn({2, 3, 16, 16})).scalar_type(), torch::kFloat32);
  }
}

TEST(Amp, DpSgdPerSampleNormsUnderBf16AreFloat32AndClose) {
  models::ModelSpec spec = cwrf::testing::small_image_spec("cnn");
  spec.norm = "group";
  torch::manual_seed(3);
  models::ClassifierPtr model = models::make_model(models::resolve(spec));
  model->train();
  const torch::Tensor x = torch::randn({16, 3, 16, 16});
  const torch::Tensor y = torch::randint(5, {16}, torch::kLong);
  auto norms = [&](Amp amp) {
    const dp::TappedPass pass = dp::run_tapped(
        *model, x,
        [&](const torch::Tensor& logits) {
          EXPECT_EQ(logits.scalar_type(), torch::kFloat32);
          return torch::nn::functional::cross_entropy(logits, y);
        },
        amp);
    for (const auto& g : pass.backprops) EXPECT_EQ(g.scalar_type(), torch::kFloat32);
    return dp::PerSampleGradients(*model, pass).squared_norms().sqrt();
  };
  const torch::Tensor full = norms(Amp::Off), half = norms(Amp::Bf16);
  EXPECT_EQ(half.scalar_type(), torch::kFloat32);
  const double gap = ((half - full).abs() / full).max().item<double>();
  EXPECT_LE(gap, kLossTolerance) << "per-sample gradient norms, max relative gap";
  std::printf("[ amp ] DP-SGD per-sample gradient norms: max relative gap bf16 vs fp32 %.2e\n", gap);
}

}  // namespace
}  // namespace cwrf::train
