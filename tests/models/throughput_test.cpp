// Training-step throughput of the models (disabled: a measurement, not a check). Run with
//   cwrf_unit_tests --gtest_also_run_disabled_tests --gtest_filter='ModelThroughput.*'
#include "cwrf/models/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <chrono>
#include <iostream>

namespace cwrf::models {
namespace {

// Images per second of forward + backward + Adam step at batch 256 (paper Sec. 5.1 settings).
double train_throughput(const ModelSpec& spec, bool channels_last, int warmup, int steps) {
  constexpr int64_t kBatch = 256;
  torch::manual_seed(0);
  auto model = make_model(spec);
  model->train();
  if (channels_last) {
    // nn::Module::to has no memory-format overload in LibTorch 1.13 (docs/DESIGN.md).
    for (auto& p : model->parameters()) {
      if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3).weight_decay(5e-4));
  torch::Tensor x = torch::randn({kBatch, spec.in_channels, spec.image_size, spec.image_size});
  if (channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
  torch::Tensor y = torch::randint(spec.num_classes, {kBatch}, torch::kInt64);
  auto step = [&] {
    adam.zero_grad();
    torch::Tensor loss = torch::cross_entropy_loss(model->forward(x), y);
    loss.backward();
    adam.step();
  };
  for (int i = 0; i < warmup; ++i) step();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return kBatch * steps / seconds;
}

TEST(ModelThroughput, DISABLED_TrainStep) {
  torch::set_num_threads(2);
  struct Case {
    std::string label;
    ModelSpec spec;
    bool channels_last;
    int warmup, steps;
  };
  ModelSpec cnn;
  cnn.name = "cnn";
  ModelSpec vit;
  vit.name = "vit";
  ModelSpec resnet;
  resnet.name = "resnet18";
  resnet.in_channels = 3;
  resnet.image_size = 32;
  const std::vector<Case> cases = {
      {"cnn w=32 1x28x28", cnn, false, 3, 20},      {"cnn w=32 1x28x28 channels-last", cnn, true, 3, 20},
      {"vit cpu preset 1x28x28", vit, false, 2, 10}, {"resnet18 w=64 3x32x32", resnet, false, 1, 2},
      {"resnet18 w=64 3x32x32 channels-last", resnet, true, 1, 2},
  };
  for (const auto& c : cases) {
    std::cout << fmt::format("[throughput] {}: {:.0f} images/s\n", c.label,
                             train_throughput(c.spec, c.channels_last, c.warmup, c.steps))
              << std::flush;
  }
}

}  // namespace
}  // namespace cwrf::models
