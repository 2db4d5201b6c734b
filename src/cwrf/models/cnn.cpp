// A small two-block CNN for fast CPU experiments.
#include "cwrf/models/cnn.h"

#include "cwrf/common/error.h"
#include "cwrf/models/norm.h"
#include "cwrf/models/taps.h"

#include <torch/torch.h>

#include <fmt/format.h>

namespace cwrf::models {

CnnImpl::CnnImpl(const ModelSpec& spec) : dropout_(spec.dropout) {
  require(spec.width > 0, fmt::format("model.width = {} must be positive for the cnn", spec.width));
  require(spec.image_size > 0 && spec.image_size % 4 == 0,
          fmt::format("model.image_size = {} must be a positive multiple of 4 for the cnn (two 2x2 max-pools)",
                      spec.image_size));
  const int64_t w = spec.width;
  // Conv biases are kept (unlike the ResNet) so that norm = "none" is still an ordinary CNN and
  // the parameter layout is the same for every norm choice.
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(spec.in_channels, w, 3).padding(1)));
  bn1 = make_norm2d(spec.norm, w);
  register_module("bn1", bn1.ptr());
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(w, 2 * w, 3).padding(1)));
  bn2 = make_norm2d(spec.norm, 2 * w);
  register_module("bn2", bn2.ptr());
  const int64_t side = spec.image_size / 4;
  fc1 = register_module("fc1", torch::nn::Linear(2 * w * side * side, kHidden));
  fc2 = register_module("fc2", torch::nn::Linear(kHidden, spec.num_classes));
}

torch::Tensor CnnImpl::forward(const torch::Tensor& x) {
  // Layers through taps::call, so DP-SGD can capture per-sample gradients (taps.h).
  torch::Tensor h = torch::max_pool2d(torch::relu(taps::call(bn1, taps::call(conv1, x))), 2);
  h = torch::max_pool2d(torch::relu(taps::call(bn2, taps::call(conv2, h))), 2);
  h = torch::relu(taps::call(fc1, h.flatten(1)));
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  return taps::call(fc2, h);
}

}  // namespace cwrf::models
