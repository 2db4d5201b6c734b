// ResNet18 in its CIFAR form (kuangliu/pytorch-cifar models/resnet.py).
#include "cwrf/models/resnet.h"

#include "cwrf/common/error.h"
#include "cwrf/models/norm.h"
#include "cwrf/models/taps.h"

#include <torch/torch.h>

#include <fmt/format.h>

namespace cwrf::models {
namespace {

torch::nn::Conv2d conv_no_bias(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  // No bias: every conv is followed by a norm layer that has its own shift.
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride, const std::string& norm) {
  conv1 = register_module("conv1", conv_no_bias(in_planes, planes, 3, stride));
  bn1 = make_norm2d(norm, planes);
  register_module("bn1", bn1.ptr());
  conv2 = register_module("conv2", conv_no_bias(planes, planes, 3, 1));
  bn2 = make_norm2d(norm, planes);
  register_module("bn2", bn2.ptr());
  if (stride != 1 || in_planes != planes) {
    shortcut = torch::nn::Sequential();
    shortcut->push_back(conv_no_bias(in_planes, planes, 1, stride));
    shortcut->push_back(make_norm2d(norm, planes));
    register_module("shortcut", shortcut);
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  // Layers through taps::call, so DP-SGD can capture per-sample gradients (taps.h).
  torch::Tensor out = torch::relu(taps::call(bn1, taps::call(conv1, x)));
  out = taps::call(bn2, taps::call(conv2, out));
  out = out + (shortcut ? taps::call(shortcut, x) : x);
  return torch::relu(out);
}

ResNet18Impl::ResNet18Impl(const ModelSpec& spec) {
  require(spec.width > 0, fmt::format("model.width = {} must be positive for resnet18", spec.width));
  const int64_t w = spec.width;
  conv1 = register_module("conv1", conv_no_bias(spec.in_channels, w, 3, 1));
  bn1 = make_norm2d(spec.norm, w);
  register_module("bn1", bn1.ptr());

  int64_t in_planes = w;
  auto make_stage = [&](int64_t planes, int64_t stride) {
    torch::nn::Sequential stage;
    for (int64_t s : {stride, int64_t{1}}) {
      stage->push_back(BasicBlock(in_planes, planes, s, spec.norm));
      in_planes = planes;
    }
    return stage;
  };
  layer1 = register_module("layer1", make_stage(w, 1));
  layer2 = register_module("layer2", make_stage(2 * w, 2));
  layer3 = register_module("layer3", make_stage(4 * w, 2));
  layer4 = register_module("layer4", make_stage(8 * w, 2));
  linear = register_module("linear", torch::nn::Linear(8 * w, spec.num_classes));
}

torch::Tensor ResNet18Impl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::relu(taps::call(bn1, taps::call(conv1, x)));
  out = layer4->forward(layer3->forward(layer2->forward(layer1->forward(out))));
  // Adaptive rather than kuangliu's fixed avg_pool2d(4), so 28x28 inputs (4x4 here) and others work.
  out = torch::adaptive_avg_pool2d(out, {1, 1}).flatten(1);
  return taps::call(linear, out);
}

}  // namespace cwrf::models
