#include "cwrf/train/roofline.h"

#include "cwrf/common/threads.h"
#include "cwrf/models/registry.h"

#include <torch/torch.h>

#include <chrono>

namespace cwrf::train {

namespace {

// Seconds per call of `f`, the best of three timed rounds after a warm-up, each round long enough
// (>= 0.2 s) to be measured.
double seconds_per_call(const std::function<void()>& f) {
  using Clock = std::chrono::steady_clock;
  f();
  int64_t calls = 1;
  for (;;) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) f();
    if (std::chrono::duration<double>(Clock::now() - t0).count() >= 0.2) break;
    calls *= 2;
  }
  double best = 1e30;
  for (int round = 0; round < 3; ++round) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(calls));
  }
  return best;
}

std::vector<int64_t> with_batch(std::vector<int64_t> shape, int64_t batch) {
  shape.at(0) = batch;
  return shape;
}

}  // namespace

Roofline measure_roofline(const ThroughputOptions& options) {
  check_throughput_options(options);
  const int previous = torch::get_num_threads();
  if (options.threads > 0) apply_thread_count(options.threads);
  Roofline r;
  const models::ModelSpec spec = models::resolve(options.spec);
  torch::manual_seed(options.seed);
  models::ClassifierPtr model = models::make_model(spec);
  r.flops = models::count_flops(*model, torch::zeros({1, spec.in_channels, spec.image_size, spec.image_size}));
  r.step = measure_train_throughput(*model, options);
  r.achieved_gflops = r.step.mean * r.flops.train_step() / 1e9;

  // Each layer's forward alone, at the step's batch size and layout.
  torch::NoGradGuard no_grad;
  model->eval();
  const int64_t b = options.batch_size;
  double layer_seconds = 0.0;
  for (const models::LayerFlops& layer : r.flops.layers) {
    double seconds = 0.0;
    if (layer.kind == "conv") {
      auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(layer.module);
      torch::Tensor x = torch::randn(with_batch(layer.input_shape, b));
      if (options.channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
      seconds = seconds_per_call([&] { conv->forward(x); });
    } else if (layer.kind == "linear") {
      auto* linear = dynamic_cast<torch::nn::LinearImpl*>(layer.module);
      const torch::Tensor x = torch::randn(with_batch(layer.input_shape, b));
      seconds = seconds_per_call([&] { linear->forward(x); });
    } else {  // attention products of one block, as one head of the full inner width
      const int64_t n = layer.input_shape.at(1);
      const int64_t inner = static_cast<int64_t>(layer.flops / (4.0 * n * n));
      const torch::Tensor q = torch::randn({b, n, inner}), k = torch::randn({b, n, inner});
      seconds = seconds_per_call([&] {
        const torch::Tensor a = torch::bmm(q, k.transpose(1, 2));
        torch::bmm(a, k);
      });
    }
    const double flops = layer.flops * static_cast<double>(b);
    r.layers.push_back({layer.name, layer.kind, layer.flops, flops / seconds / 1e9});
    layer_seconds += seconds;
  }
  r.layer_bound_gflops = layer_seconds > 0 ? r.flops.forward() * static_cast<double>(b) / layer_seconds / 1e9 : 0.0;

  const torch::Tensor a = torch::randn({1024, 1024}), c = torch::randn({1024, 1024});
  r.gemm_peak_gflops = 2.0 * 1024.0 * 1024.0 * 1024.0 / seconds_per_call([&] { torch::mm(a, c); }) / 1e9;
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(64, 64, 3).padding(1));
  torch::Tensor x = torch::randn({b, 64, 32, 32}).contiguous(at::MemoryFormat::ChannelsLast);
  conv->weight.set_data(conv->weight.contiguous(at::MemoryFormat::ChannelsLast));
  r.conv_peak_gflops =
      2.0 * b * 64.0 * 32 * 32 * 64 * 9 / seconds_per_call([&] { conv->forward(x); }) / 1e9;
  apply_thread_count(previous);
  return r;
}

}  // namespace cwrf::train
