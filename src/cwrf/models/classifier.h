// The model interface every architecture implements, and the spec that builds one.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace cwrf::models {

// Everything that determines an architecture (not its weights). Zero means "the
// architecture's default" for the integer knobs.
struct ModelSpec {
  std::string name = "cnn";   // registry name: cnn | resnet18 | vit (images) | transformer (text)
  int64_t in_channels = 1;    // image channels
  int64_t image_size = 28;    // square images, height = width
  int64_t vocab_size = 0;     // text: token ids in [0, vocab_size), 0 = padding
  int64_t seq_len = 0;        // text: tokens per example
  int64_t num_classes = 10;
  int64_t width = 0;          // resnet18: base channels (64); cnn: first conv channels; vit/transformer: embedding dim
  int64_t depth = 0;          // vit/transformer: transformer blocks
  int64_t heads = 0;          // vit/transformer: attention heads
  int64_t mlp_dim = 0;        // vit/transformer: hidden size of the block MLP
  int64_t patch = 0;          // vit: patch side (4 in the paper)
  std::string norm = "batch"; // cnn / resnet18: batch | group | none; the vit always uses layer norm
  double dropout = 0.0;
};

// A classifier maps an input batch to logits [B, num_classes].
class Classifier : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

using ClassifierPtr = std::shared_ptr<Classifier>;

}  // namespace cwrf::models
