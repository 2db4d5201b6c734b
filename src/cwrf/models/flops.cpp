#include "cwrf/models/flops.h"

#include "cwrf/models/taps.h"

#include <torch/torch.h>

#include <map>

namespace cwrf::models {

FlopCount count_flops(Classifier& model, const torch::Tensor& example) {
  std::map<const torch::nn::Module*, std::string> names;
  for (const auto& item : model.named_modules()) names[item.value().get()] = item.key();
  // The taps record only outputs that are part of an autograd graph: forward with gradients on.
  const bool was_training = model.is_training();
  model.eval();
  taps::Capture capture;
  model.forward(example);
  model.train(was_training);

  FlopCount count;
  for (const taps::Record& r : capture.records()) {
    if (r.kind != taps::LayerKind::Linear && r.kind != taps::LayerKind::Conv2d) continue;
    const std::string name = names.count(r.module) ? names.at(r.module) : "?";
    const int64_t batch = r.output.size(0);
    LayerFlops layer;
    layer.name = name;
    layer.input_shape = r.input.sizes().vec();
    layer.module = r.module;
    if (r.kind == taps::LayerKind::Conv2d) {
      auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(r.module);
      const torch::Tensor& w = conv->weight;  // [C_out, C_in / groups, k_h, k_w]
      layer.kind = "conv";
      layer.weight_shape = w.sizes().vec();
      layer.flops = 2.0 * static_cast<double>(r.output.numel() / batch) * static_cast<double>(w.numel() / w.size(0));
      count.conv += layer.flops;
    } else {
      auto* linear = dynamic_cast<torch::nn::LinearImpl*>(r.module);
      const torch::Tensor& w = linear->weight;  // [out, in]
      layer.kind = "linear";
      layer.weight_shape = w.sizes().vec();
      layer.flops = 2.0 * static_cast<double>(r.output.numel() / batch) * static_cast<double>(w.size(1));
      count.linear += layer.flops;
      // The block's attention products follow from its qkv projection: [B, N, 3·inner].
      if (name.size() >= 4 && name.compare(name.size() - 4, 4, ".qkv") == 0 && r.output.dim() == 3) {
        const double n = static_cast<double>(r.output.size(1)), inner = static_cast<double>(r.output.size(2) / 3);
        LayerFlops attention;
        attention.name = name.substr(0, name.size() - 4) + " (QKᵀ, AV)";
        attention.kind = "attention";
        attention.flops = 2.0 * 2.0 * n * n * inner;
        attention.input_shape = layer.input_shape;
        count.attention += attention.flops;
        count.layers.push_back(layer);
        count.layers.push_back(attention);
        continue;
      }
    }
    count.layers.push_back(layer);
  }
  return count;
}

}  // namespace cwrf::models
