// Floating-point operations of a model's forward pass per example, counted from the layer
// shapes a real forward pass records (taps.h): convolutions (2·C_in/groups·k_h·k_w per output
// element), linear layers (2·in per output element) and the attention products of transformer
// blocks (QKᵀ and AV: 2·2·N²·inner per block). Normalisation, activations, pooling and the
// softmax are not counted: they are memory-bound, not compute-bound. A training step is taken as
// 3x the forward (the backward computes gradients for inputs and weights), the usual estimate.
#pragma once

#include "cwrf/models/classifier.h"

#include <cstdint>
#include <vector>

namespace cwrf::models {

struct LayerFlops {
  std::string name;          // module name ("conv1", "blocks.0.attention.qkv")
  std::string kind;          // "conv" | "linear" | "attention"
  double flops = 0.0;        // forward, per example
  std::vector<int64_t> input_shape, weight_shape;  // batch 1
  torch::nn::Module* module = nullptr;             // the layer (null for attention products)
};

struct FlopCount {
  double conv = 0.0, linear = 0.0, attention = 0.0;  // forward, per example
  std::vector<LayerFlops> layers;
  double forward() const { return conv + linear + attention; }
  double train_step() const { return 3.0 * forward(); }
};

// Runs one forward pass on `example` (a batch of one, shaped as the model's inputs).
FlopCount count_flops(Classifier& model, const torch::Tensor& example);

}  // namespace cwrf::models
