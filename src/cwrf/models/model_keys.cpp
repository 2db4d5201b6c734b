#include "cwrf/models/model_keys.h"

#include "cwrf/models/registry.h"

namespace cwrf::models {

using config::Type;

std::vector<config::Option> model_keys() {
  const config::Bounds knob = config::at_least(0);  // 0: the architecture's default
  return {
      {"model.name", Type::String, "cnn", "architecture", model_names()},
      {"model.width", Type::Int, 0, "cnn: first conv channels; resnet18: base channels; vit: embedding dim (0: default)", {}, true, knob},
      {"model.depth", Type::Int, 0, "vit: transformer blocks (0: default)", {}, true, knob},
      {"model.heads", Type::Int, 0, "vit: attention heads (0: default)", {}, true, knob},
      {"model.mlp_dim", Type::Int, 0, "vit: block MLP hidden size (0: default)", {}, true, knob},
      {"model.patch", Type::Int, 0, "vit: patch side (0: default 4)", {}, true, knob},
      {"model.norm", Type::String, "batch", "cnn/resnet18 normalisation", {"batch", "group", "none"}},
      {"model.dropout", Type::Float, 0.0, "dropout probability", {}, true, config::half_open(0, 1)},
  };
}

ModelSpec model_spec(const config::Config& c) {
  ModelSpec spec;
  spec.name = c.get_string("model.name");
  spec.width = c.get_int("model.width");
  spec.depth = c.get_int("model.depth");
  spec.heads = c.get_int("model.heads");
  spec.mlp_dim = c.get_int("model.mlp_dim");
  spec.patch = c.get_int("model.patch");
  spec.norm = c.get_string("model.norm");
  spec.dropout = c.get_float("model.dropout");
  return spec;
}

}  // namespace cwrf::models
