// The `cuda` suite (ctest -L cuda): the same computation on the CPU and on a GPU agrees, for every
// model's forward and backward, DP-SGD's per-sample gradients, PVE scores, the augmentation and
// the batch order, and bf16 autocast on the GPU tracks fp32. Every test skips with the reason
// where this LibTorch has no GPU, so the suite stays green on CPU machines (CI).
//
// Float32 on both sides: TF32 tensor-core math is turned off for the comparisons (cuDNN would use it
// for convolutions by default), so the tolerances are those of reordered float32 sums.
#include "cwrf/common/device.h"
#include "cwrf/common/torch_compat.h"
#include "cwrf/data/augment.h"
#include "cwrf/data/batches.h"
#include "cwrf/models/model_state.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/adam.h"
#include "cwrf/train/amp.h"
#include "cwrf/train/dp/per_sample_grads.h"
#include "cwrf/train/step.h"
#include "cwrf/train/trainer.h"
#include "cwrf/weights/scores.h"
#include "test_support.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>

namespace cwrf {
namespace {

#define REQUIRE_CUDA()                                                                          \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: " << cuda_unavailable_reason(); \
  compat::set_allow_tf32(false)

const torch::Device kCuda(torch::kCUDA, 0);

double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a.detach().to(torch::kCPU, torch::kFloat64), y = b.detach().to(torch::kCPU, torch::kFloat64);
  return (x - y).norm().item<double>() / std::max(y.norm().item<double>(), 1e-12);
}

struct Case {
  std::string label;
  models::ModelSpec spec;
};

std::vector<Case> model_cases() {
  std::vector<Case> out;
  out.push_back({"cnn", testing::small_image_spec("cnn", "batch")});
  out.push_back({"cnn-group", testing::small_image_spec("cnn", "group")});
  out.push_back({"resnet18", testing::small_image_spec("resnet18", "batch")});
  out.push_back({"resnet18-group", testing::small_image_spec("resnet18", "group")});
  out.push_back({"vit", testing::small_image_spec("vit", "batch")});
  models::ModelSpec text;
  text.name = "transformer";
  text.vocab_size = 200;
  text.seq_len = 24;
  text.num_classes = 3;
  out.push_back({"transformer", models::resolve(text)});
  return out;
}

torch::Tensor inputs_for(const models::ModelSpec& spec, int64_t n) {
  if (spec.name == "transformer") return torch::randint(2, spec.vocab_size, {n, spec.seq_len}, torch::kLong);
  return torch::randn({n, spec.in_channels, spec.image_size, spec.image_size});
}

// The same weights on both devices.
std::pair<models::ClassifierPtr, models::ClassifierPtr> twin_models(const models::ModelSpec& spec) {
  torch::manual_seed(7);
  models::ClassifierPtr cpu = models::make_model(spec);
  models::ClassifierPtr gpu = models::make_model(spec);
  models::load_model_state(*gpu, models::model_state(*cpu), "the CPU twin");
  gpu->to(kCuda);
  cpu->train();
  gpu->train();
  return {cpu, gpu};
}

TEST(Cuda, ForwardAndBackwardAgreeWithTheCpuForEachModel) {
  REQUIRE_CUDA();
  for (const Case& c : model_cases()) {
    auto [cpu, gpu] = twin_models(c.spec);
    torch::manual_seed(8);
    const torch::Tensor x = inputs_for(c.spec, 24);
    const torch::Tensor y = torch::randint(c.spec.num_classes, {24}, torch::kLong);
    const torch::Tensor out_cpu = cpu->forward(x), out_gpu = gpu->forward(x.to(kCuda));
    EXPECT_TRUE(out_gpu.is_cuda()) << c.label;
    EXPECT_LT(relative_error(out_gpu, out_cpu), 1e-4) << c.label << ": logits";
    torch::nn::functional::cross_entropy(out_cpu, y).backward();
    torch::nn::functional::cross_entropy(out_gpu, y.to(kCuda)).backward();
    auto gp = gpu->named_parameters();
    for (const auto& p : cpu->named_parameters()) {
      const torch::Tensor& g = gp[p.key()].grad();
      ASSERT_TRUE(g.defined() && g.is_cuda()) << c.label << " " << p.key();
      EXPECT_LT(relative_error(g, p.value().grad()), 1e-3) << c.label << ": gradient of " << p.key();
    }
  }
}

TEST(Cuda, PerSampleGradientsAgreeWithTheCpu) {
  REQUIRE_CUDA();
  for (const Case& c : model_cases()) {
    if (c.spec.norm == "batch" && c.spec.name != "vit" && c.spec.name != "transformer") continue;  // DP-SGD needs no BatchNorm
    auto [cpu, gpu] = twin_models(c.spec);
    torch::manual_seed(9);
    const torch::Tensor x = inputs_for(c.spec, 12);
    const torch::Tensor y = torch::randint(c.spec.num_classes, {12}, torch::kLong);
    const torch::Tensor w = torch::rand({12});
    auto run = [&](models::Classifier& model, const torch::Device& d) {
      const torch::Tensor yd = y.to(d);
      const train::dp::TappedPass pass = train::dp::run_tapped(
          model, x.to(d), [&](const torch::Tensor& logits) { return torch::nn::functional::cross_entropy(logits, yd); });
      const train::dp::PerSampleGradients psg(model, pass);
      return std::make_pair(psg.squared_norms(), psg.weighted_sums(w.to(d)));
    };
    const auto [norms_cpu, sums_cpu] = run(*cpu, torch::kCPU);
    const auto [norms_gpu, sums_gpu] = run(*gpu, kCuda);
    EXPECT_TRUE(norms_gpu.is_cuda()) << c.label;
    EXPECT_LT(relative_error(norms_gpu, norms_cpu), 1e-3) << c.label << ": per-sample norms";
    ASSERT_EQ(sums_cpu.size(), sums_gpu.size());
    for (size_t i = 0; i < sums_cpu.size(); ++i)
      EXPECT_LT(relative_error(sums_gpu[i], sums_cpu[i]), 1e-3) << c.label << ": clipped sum " << i;
  }
}

TEST(Cuda, PveScoresAgreeWithTheCpu) {
  REQUIRE_CUDA();
  const Case c = model_cases().front();  // the BatchNorm CNN
  torch::manual_seed(10);
  models::ClassifierPtr init = models::make_model(c.spec), trained = models::make_model(c.spec);
  data::Prepared members{torch::randn({64, 3, 16, 16}), torch::randint(5, {64}, torch::kLong), torch::arange(64), 5};
  data::Prepared reference{torch::randn({64, 3, 16, 16}), torch::randint(5, {64}, torch::kLong), torch::arange(64), 5};
  weights::ScoreOptions o;
  o.method = weights::ScoreMethod::Pve;
  o.iterations = 3;
  o.batch_size = 32;
  o.lambda = 0.7;
  o.lr = 1e-3;
  auto on = [](data::Prepared p, const torch::Device& d) {
    p.inputs = p.inputs.to(d);
    p.labels = p.labels.to(d);
    return p;
  };
  const auto theta_up = models::model_state(*trained), theta_vn = models::model_state(*init);
  const weights::Scores cpu = weights::compute_scores(c.spec, theta_up, theta_vn, members, &reference, o);
  const data::Prepared m_gpu = on(members, kCuda), r_gpu = on(reference, kCuda);
  const weights::Scores gpu = weights::compute_scores(c.spec, theta_up, theta_vn, m_gpu, &r_gpu, o);
  for (const auto& [name, s] : cpu) {
    EXPECT_EQ(gpu.at(name).scalar_type(), torch::kFloat32) << name;
    EXPECT_LT(relative_error(gpu.at(name), s), 1e-3) << "PVE score of " << name;
  }
}

TEST(Cuda, AugmentationAndBatchOrderAreTheCpusExactly) {
  REQUIRE_CUDA();
  const torch::Tensor x = torch::randn({40, 3, 32, 32});
  data::AugmentOptions a;
  a.crop = a.flip = true;
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(5), g2 = at::make_generator<at::CPUGeneratorImpl>(5);
  const torch::Tensor cpu = data::augment(x, a, g1), gpu = data::augment(x.to(kCuda), a, g2);
  EXPECT_TRUE(gpu.is_cuda());
  EXPECT_TRUE(torch::equal(gpu.cpu(), cpu));

  data::Prepared set{x, torch::randint(10, {40}, torch::kLong), torch::arange(40), 10};
  data::Prepared set_gpu{x.to(kCuda), set.labels.to(kCuda), set.indices, 10};
  data::LoaderOptions lo;
  lo.batch_size = 16;
  lo.augment = a;
  lo.seed = 3;
  data::BatchLoader on_cpu(set, lo), on_gpu(set_gpu, lo);
  for (int64_t epoch : {0, 1}) {
    on_cpu.start_epoch(epoch);
    on_gpu.start_epoch(epoch);
    while (auto b = on_cpu.next()) {
      auto bg = on_gpu.next();
      ASSERT_TRUE(bg);
      EXPECT_TRUE(bg->inputs.is_cuda() && bg->labels.is_cuda());
      EXPECT_TRUE(torch::equal(bg->positions, b->positions));
      EXPECT_TRUE(torch::equal(bg->inputs.cpu(), b->inputs));
      EXPECT_TRUE(torch::equal(bg->labels.cpu(), b->labels));
    }
    EXPECT_FALSE(on_gpu.next());
  }
}

TEST(Cuda, Bf16AutocastOnTheGpuTracksFp32WithFloat32MasterWeights) {
  REQUIRE_CUDA();
  class Ce final : public train::Objective {
   public:
    std::string name() const override { return "ce"; }
    torch::Tensor loss(const train::LossInput& in) override {
      return torch::nn::functional::cross_entropy(in.logits, in.labels);
    }
  } ce;
  for (const Case& c : model_cases()) {
    std::vector<double> losses[2];
    models::ClassifierPtr last;
    for (int k = 0; k < 2; ++k) {
      auto [cpu, gpu] = twin_models(c.spec);
      train::MaskedAdam adam(train::named_trainable_parameters(*gpu), train::AdamOptions{});
      auto step = train::make_standard_step();
      step->set_amp(k == 0 ? train::Amp::Off : train::Amp::Bf16);
      torch::manual_seed(12);
      const data::Batch batch{inputs_for(c.spec, 32).to(kCuda),
                              torch::randint(c.spec.num_classes, {32}, torch::kLong).to(kCuda), torch::arange(32)};
      for (int s = 0; s < 6; ++s) {
        adam.zero_grad();
        const train::StepStats st = step->compute_gradients(*gpu, batch, ce, 0, s);
        losses[k].push_back(st.loss_sum / st.count);
        adam.step(1e-3);
      }
      last = gpu;
    }
    for (size_t s = 0; s < losses[0].size(); ++s)
      EXPECT_LE(std::abs(losses[1][s] - losses[0][s]) / losses[0][s], 5e-2) << c.label << " step " << s;
    for (const auto& p : last->named_parameters()) EXPECT_EQ(p.value().scalar_type(), torch::kFloat32) << p.key();
    std::printf("[ cuda ] %s: bf16 loss %.4f -> %.4f, fp32 %.4f -> %.4f\n", c.label.c_str(), losses[1].front(),
                losses[1].back(), losses[0].front(), losses[0].back());
  }
}

}  // namespace
}  // namespace cwrf
