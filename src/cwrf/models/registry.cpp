// Building a model by name, and the defaults behind a spec's zero fields.
#include "cwrf/models/registry.h"

#include "cwrf/common/error.h"
#include "cwrf/models/cnn.h"
#include "cwrf/models/norm.h"
#include "cwrf/models/resnet.h"
#include "cwrf/models/text_transformer.h"
#include "cwrf/models/vit.h"

#include <torch/torch.h>

#include <fmt/format.h>

namespace cwrf::models {
namespace {

// Defaults: the CPU preset. The paper's ViT (dim 512, depth 6, heads 8, mlp 512) is set by config.
constexpr int64_t kCnnWidth = 32;     // first conv's channels
constexpr int64_t kResNetWidth = 64;  // the standard ResNet18
constexpr int64_t kVitDim = 64;
constexpr int64_t kVitDepth = 4;
constexpr int64_t kVitHeads = 4;
constexpr int64_t kVitMlpDim = 128;
constexpr int64_t kVitPatch = 4;  // paper Sec. 5.1: 4x4 patches
// The text transformer's CPU preset; the paper (App. C.2) gives no sizes for its DBpedia model.
constexpr int64_t kTextDim = 64;
constexpr int64_t kTextDepth = 2;
constexpr int64_t kTextHeads = 4;
constexpr int64_t kTextMlpDim = 128;

int64_t or_default(int64_t value, int64_t fallback) { return value == 0 ? fallback : value; }

}  // namespace

std::vector<std::string> model_names() { return {"cnn", "resnet18", "vit", "transformer"}; }

bool is_text_model(const std::string& name) { return name == "transformer"; }

ModelSpec resolve(const ModelSpec& spec) {
  const auto names = model_names();
  require(std::find(names.begin(), names.end(), spec.name) != names.end(),
          fmt::format("model.name = \"{}\" is not a known model; expected one of: {}", spec.name,
                      fmt::join(names, ", ")));
  check_norm(spec.norm);
  if (is_text_model(spec.name)) {
    require(spec.vocab_size > 0, fmt::format("the {} needs a vocabulary (text data), got vocab_size = {}", spec.name,
                                             spec.vocab_size));
    require(spec.seq_len > 0, fmt::format("data.seq_len = {} must be positive for the {}", spec.seq_len, spec.name));
  } else {
    require(spec.in_channels > 0, fmt::format("model.in_channels = {} must be positive", spec.in_channels));
    require(spec.image_size > 0, fmt::format("model.image_size = {} must be positive", spec.image_size));
  }
  require(spec.num_classes > 0, fmt::format("model.num_classes = {} must be positive", spec.num_classes));
  require(spec.dropout >= 0 && spec.dropout < 1, fmt::format("model.dropout = {} must be in [0, 1)", spec.dropout));
  for (const auto& [key, value] : std::vector<std::pair<std::string, int64_t>>{{"model.width", spec.width},
                                                                              {"model.depth", spec.depth},
                                                                              {"model.heads", spec.heads},
                                                                              {"model.mlp_dim", spec.mlp_dim},
                                                                              {"model.patch", spec.patch}}) {
    require(value >= 0, fmt::format("{} = {} must be positive (or 0 for the default)", key, value));
  }

  ModelSpec out = spec;
  if (spec.name == "cnn") {
    out.width = or_default(spec.width, kCnnWidth);
    require(spec.image_size % 4 == 0,
            fmt::format("model.image_size = {} must be a multiple of 4 for the cnn (two 2x2 max-pools)",
                        spec.image_size));
  } else if (spec.name == "resnet18") {
    out.width = or_default(spec.width, kResNetWidth);
  } else if (spec.name == "transformer") {
    out.width = or_default(spec.width, kTextDim);
    out.depth = or_default(spec.depth, kTextDepth);
    out.heads = or_default(spec.heads, kTextHeads);
    out.mlp_dim = or_default(spec.mlp_dim, kTextMlpDim);
    require(out.width % out.heads == 0,
            fmt::format("model.width = {} (the transformer's embedding dim) must be divisible by model.heads = {}",
                        out.width, out.heads));
  } else {  // vit
    out.width = or_default(spec.width, kVitDim);
    out.depth = or_default(spec.depth, kVitDepth);
    out.heads = or_default(spec.heads, kVitHeads);
    out.mlp_dim = or_default(spec.mlp_dim, kVitMlpDim);
    out.patch = or_default(spec.patch, kVitPatch);
    require(out.width % out.heads == 0,
            fmt::format("model.width = {} (the vit's embedding dim) must be divisible by model.heads = {}", out.width,
                        out.heads));
    require(spec.image_size % out.patch == 0,
            fmt::format("model.image_size = {} must be divisible by model.patch = {}", spec.image_size, out.patch));
  }
  return out;
}

ClassifierPtr make_model(const ModelSpec& spec) {
  const ModelSpec resolved = resolve(spec);
  if (resolved.name == "cnn") return Cnn(resolved).ptr();
  if (resolved.name == "resnet18") return ResNet18(resolved).ptr();
  if (resolved.name == "transformer") return TextTransformer(resolved).ptr();
  return Vit(resolved).ptr();
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

}  // namespace cwrf::models
