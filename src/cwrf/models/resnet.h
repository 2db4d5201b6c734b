// ResNet18 in its CIFAR form (kuangliu/pytorch-cifar models/resnet.py): 3x3 stem, no max-pool.
#pragma once

#include "cwrf/models/classifier.h"

#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>

namespace cwrf::models {

// Two 3x3 convs with a residual connection; a 1x1 conv + norm shortcut when the shape changes.
// Parameter names: conv1, bn1, conv2, bn2, shortcut.0 (conv), shortcut.1 (norm).
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride, const std::string& norm);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1 = nullptr, conv2 = nullptr;
  torch::nn::AnyModule bn1, bn2;        // batch | group | none (see norm.h)
  torch::nn::Sequential shortcut = nullptr;  // null: identity shortcut
};
TORCH_MODULE(BasicBlock);

// Stem conv3x3(in -> w) + norm + ReLU, stages layer1..layer4 of two BasicBlocks each with
// w, 2w, 4w, 8w channels and strides 1, 2, 2, 2, adaptive average pool, Linear(8w -> classes)
// named `linear`. With w = 64, 3 channels, 10 classes: 11,173,962 parameters. Any image size
// (28x28 inputs end the last stage at 4x4). Expects a resolved spec.
class ResNet18Impl : public Classifier {
 public:
  explicit ResNet18Impl(const ModelSpec& spec);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  torch::nn::Conv2d conv1 = nullptr;
  torch::nn::AnyModule bn1;
  torch::nn::Sequential layer1 = nullptr, layer2 = nullptr, layer3 = nullptr, layer4 = nullptr;
  torch::nn::Linear linear = nullptr;
};
TORCH_MODULE(ResNet18);

}  // namespace cwrf::models
