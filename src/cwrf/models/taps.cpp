// Per-sample taps: a thread-local capture of the layer calls (see taps.h).
#include "cwrf/models/taps.h"

#include "cwrf/common/error.h"

#include <torch/torch.h>

namespace cwrf::models::taps {

namespace {

thread_local Capture* current = nullptr;

void record(LayerKind kind, torch::nn::Module* module, const torch::Tensor& x, const torch::Tensor& y) {
  // Only calls that autograd can reach carry a per-sample gradient.
  if (!y.requires_grad()) return;
  Record r;
  r.kind = kind;
  r.module = module;
  r.input = x;
  r.output = y;
  current->add(std::move(r));
}

// A typed layer's forward, recorded under an active capture.
template <typename Holder>
torch::Tensor forward_and_record(Holder& layer, LayerKind kind, const torch::Tensor& x) {
  torch::Tensor y = layer->forward(x);
  if (current != nullptr) record(kind, layer.get(), x, y);
  return y;
}

// A GroupNorm's input in float32 when autocast made it bfloat16 / float16 (amp = "bf16"): CUDA's
// autocast runs group_norm in float32 itself (it is on its float32 list); LibTorch 1.13's CPU
// autocast does not, and the CPU kernel refuses a bf16 input with float32 weights.
torch::Tensor group_norm_input(const torch::Tensor& x) {
  const auto type = x.scalar_type();
  return type == torch::kBFloat16 || type == torch::kHalf ? x.to(torch::kFloat32) : x;
}

}  // namespace

Capture::Capture() {
  if (current != nullptr) throw Error("per-sample taps: a capture is already active on this thread");
  current = this;
}

Capture::~Capture() { current = nullptr; }

Capture* active() { return current; }

torch::Tensor call(torch::nn::Linear& layer, const torch::Tensor& x) {
  return forward_and_record(layer, LayerKind::Linear, x);
}
torch::Tensor call(torch::nn::Conv2d& layer, const torch::Tensor& x) {
  return forward_and_record(layer, LayerKind::Conv2d, x);
}
torch::Tensor call(torch::nn::LayerNorm& layer, const torch::Tensor& x) {
  return forward_and_record(layer, LayerKind::LayerNorm, x);
}
torch::Tensor call(torch::nn::GroupNorm& layer, const torch::Tensor& x) {
  return forward_and_record(layer, LayerKind::GroupNorm, group_norm_input(x));
}
torch::Tensor call(torch::nn::Embedding& layer, const torch::Tensor& ids) {
  return forward_and_record(layer, LayerKind::Embedding, ids);
}

torch::Tensor call(torch::nn::AnyModule& layer, const torch::Tensor& input) {
  torch::nn::Module* m = layer.ptr().get();
  const torch::Tensor x = dynamic_cast<torch::nn::GroupNormImpl*>(m) != nullptr ? group_norm_input(input) : input;
  torch::Tensor y = layer.forward(x);
  if (current == nullptr) return y;
  if (dynamic_cast<torch::nn::LinearImpl*>(m) != nullptr) {
    record(LayerKind::Linear, m, x, y);
  } else if (dynamic_cast<torch::nn::Conv2dImpl*>(m) != nullptr) {
    record(LayerKind::Conv2d, m, x, y);
  } else if (dynamic_cast<torch::nn::LayerNormImpl*>(m) != nullptr) {
    record(LayerKind::LayerNorm, m, x, y);
  } else if (dynamic_cast<torch::nn::GroupNormImpl*>(m) != nullptr) {
    record(LayerKind::GroupNorm, m, x, y);
  } else if (dynamic_cast<torch::nn::EmbeddingImpl*>(m) != nullptr) {
    record(LayerKind::Embedding, m, x, y);
  }
  return y;
}

torch::Tensor call(torch::nn::Sequential& layers, const torch::Tensor& x) {
  torch::Tensor h = x;
  for (auto& layer : *layers) h = call(layer, h);
  return h;
}

torch::Tensor expand_batch(const torch::Tensor& parameter, int64_t batch) {
  std::vector<int64_t> sizes(parameter.sizes().begin(), parameter.sizes().end());
  sizes.at(0) = batch;
  torch::Tensor y = parameter.expand(sizes);
  if (current != nullptr && y.requires_grad()) {
    Record r;
    r.kind = LayerKind::Broadcast;
    r.parameter = parameter;
    r.output = y;
    current->add(std::move(r));
  }
  return y;
}

torch::Tensor add_broadcast(const torch::Tensor& x, const torch::Tensor& parameter) {
  torch::Tensor y = x + parameter;
  if (current != nullptr && parameter.requires_grad()) {
    Record r;
    r.kind = LayerKind::Broadcast;
    r.parameter = parameter;
    r.output = y;
    current->add(std::move(r));
  }
  return y;
}

}  // namespace cwrf::models::taps
