// Per-sample "taps": how DP-SGD sees each parameterised layer call of a model. LibTorch C++ has
// no module forward/backward hooks (Opacus' GradSampleModule relies on them), so the models call
// their Linear / Conv2d / LayerNorm / GroupNorm / Embedding layers, and use their raw parameters
// (the ViT's cls token and position embedding), through the helpers below. With no capture active
// on the calling thread a helper is the plain forward plus one branch; under a Capture it also
// records the layer, its input activation and its output, whose gradient (the "backprop") the
// DP-SGD step asks autograd for (src/cwrf/train/dp/per_sample_grads.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace cwrf::models::taps {

enum class LayerKind {
  Linear,     // torch::nn::LinearImpl, any leading dims
  Conv2d,     // torch::nn::Conv2dImpl
  LayerNorm,  // torch::nn::LayerNormImpl
  GroupNorm,  // torch::nn::GroupNormImpl
  Embedding,  // torch::nn::EmbeddingImpl
  Broadcast,  // a raw parameter broadcast along the batch dimension into `output`
};

// One tapped call. `module` is null for Broadcast, which names its parameter instead.
struct Record {
  LayerKind kind = LayerKind::Linear;
  torch::nn::Module* module = nullptr;
  torch::Tensor parameter;  // Broadcast only
  torch::Tensor input;      // the layer's input activation (token ids for Embedding)
  torch::Tensor output;     // the layer's output, part of the autograd graph
};

// Activates recording on the calling thread for its lifetime. Captures do not nest.
class Capture {
 public:
  Capture();
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  const std::vector<Record>& records() const { return records_; }
  void add(Record record) { records_.push_back(std::move(record)); }
  std::vector<Record> release() { return std::move(records_); }

 private:
  std::vector<Record> records_;
};

// The capture active on this thread, or null.
Capture* active();

torch::Tensor call(torch::nn::Linear& layer, const torch::Tensor& x);
torch::Tensor call(torch::nn::Conv2d& layer, const torch::Tensor& x);
torch::Tensor call(torch::nn::LayerNorm& layer, const torch::Tensor& x);
torch::Tensor call(torch::nn::GroupNorm& layer, const torch::Tensor& x);
torch::Tensor call(torch::nn::Embedding& layer, const torch::Tensor& ids);
// A type-erased layer (the models' norm slot: BatchNorm2d / GroupNorm / Identity, or a Sequential's
// entries): recorded when it is one of the kinds above; anything else runs untapped (a layer with
// parameters and no rule is rejected before training, see dp::check_supported).
torch::Tensor call(torch::nn::AnyModule& layer, const torch::Tensor& x);
// Every entry of a Sequential in order, each through call(AnyModule&).
torch::Tensor call(torch::nn::Sequential& layers, const torch::Tensor& x);

// parameter [1, ...] expanded to [batch, ...] (the ViT's cls token).
torch::Tensor expand_batch(const torch::Tensor& parameter, int64_t batch);
// x + parameter, the parameter broadcast over x's batch dimension (the ViT's position embedding).
torch::Tensor add_broadcast(const torch::Tensor& x, const torch::Tensor& parameter);

}  // namespace cwrf::models::taps
