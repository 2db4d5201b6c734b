// A small two-block CNN for fast CPU experiments (the quick preset's model).
#pragma once

#include "cwrf/models/classifier.h"

#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace cwrf::models {

// conv3x3(in -> w) + norm + ReLU + maxpool2, conv3x3(w -> 2w) + norm + ReLU + maxpool2,
// Linear(2w * (s/4)^2 -> 128) + ReLU (+ dropout), Linear(128 -> classes).
// Parameter names: conv1, bn1, conv2, bn2, fc1, fc2. Expects a resolved spec (see registry.h):
// image_size divisible by 4, width > 0.
class CnnImpl : public Classifier {
 public:
  static constexpr int64_t kHidden = 128;  // units of the hidden fully-connected layer

  explicit CnnImpl(const ModelSpec& spec);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  double dropout_ = 0.0;
  torch::nn::Conv2d conv1 = nullptr, conv2 = nullptr;
  torch::nn::AnyModule bn1, bn2;  // batch | group | none (see norm.h)
  torch::nn::Linear fc1 = nullptr, fc2 = nullptr;
};
TORCH_MODULE(Cnn);

}  // namespace cwrf::models
