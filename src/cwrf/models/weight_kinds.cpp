// What kind of weight each parameter is, decided by the type of the module that owns it.
#include "cwrf/models/weight_kinds.h"

#include "cwrf/common/error.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <optional>

namespace cwrf::models {
namespace {

bool has_segment(const std::string& path, const std::string& segment) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('.', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, segment) == 0 && end - start == segment.size()) return true;
    start = end + 1;
  }
  return false;
}

std::string last_segment(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <typename... Impls>
bool is_any_of(const torch::nn::Module& m) {
  return ((dynamic_cast<const Impls*>(&m) != nullptr) || ...);
}

// The kind of parameter `local` (its name inside its owner) of module `owner` at `path`
// ("" for the root), or nothing when no rule applies.
std::optional<WeightKind> kind_of(const torch::nn::Module& owner, const std::string& path, const std::string& local) {
  using namespace torch::nn;
  // Learned tokens and positional embeddings are registered as bare parameters (vit.h).
  if (ends_with(local, "_token") || local == "pos_embed") return WeightKind::Embedding;
  const bool weight = local == "weight", bias = local == "bias";
  if (!weight && !bias) return std::nullopt;

  if (is_any_of<EmbeddingImpl>(owner) && weight) return WeightKind::Embedding;
  if (is_any_of<BatchNorm1dImpl, BatchNorm2dImpl, BatchNorm3dImpl, GroupNormImpl, LayerNormImpl>(owner)) {
    return WeightKind::Norm;
  }
  if (is_any_of<Conv1dImpl, Conv2dImpl, Conv3dImpl>(owner)) return weight ? WeightKind::Conv : WeightKind::Bias;
  if (is_any_of<LinearImpl>(owner)) {
    // The patch projection is the input embedding of a transformer, bias included.
    if (last_segment(path) == "patch_embed") return WeightKind::Embedding;
    if (bias) return WeightKind::Bias;
    if (has_segment(path, "attn")) return WeightKind::Attention;
    if (has_segment(path, "mlp")) return WeightKind::Mlp;
    return WeightKind::Linear;  // classifier heads and the CNN's hidden layer (paper Table 1 "Linear")
  }
  return std::nullopt;
}

}  // namespace

std::string to_string(WeightKind kind) {
  switch (kind) {
    case WeightKind::Conv: return "conv";
    case WeightKind::Attention: return "attention";
    case WeightKind::Mlp: return "mlp";
    case WeightKind::Linear: return "linear";
    case WeightKind::Norm: return "norm";
    case WeightKind::Embedding: return "embedding";
    case WeightKind::Bias: return "bias";
  }
  return "unknown";
}

std::map<std::string, WeightKind> classify_weights(const torch::nn::Module& module) {
  std::map<std::string, WeightKind> kinds;
  auto classify_direct = [&](const torch::nn::Module& owner, const std::string& path) {
    for (const auto& item : owner.named_parameters(/*recurse=*/false)) {
      const std::string name = path.empty() ? item.key() : path + "." + item.key();
      auto kind = kind_of(owner, path, item.key());
      if (!kind) {
        throw Error(fmt::format("cannot classify parameter \"{}\" (shape {}) of a {} module: no weight-kind rule "
                                "covers it",
                                name, fmt::join(item.value().sizes(), "x"), owner.name()));
      }
      kinds.emplace(name, *kind);
    }
  };
  // include_self = false: the root need not be owned by a shared_ptr; its own parameters come here.
  classify_direct(module, "");
  for (const auto& item : module.named_modules(/*name_prefix=*/"", /*include_self=*/false)) {
    classify_direct(*item.value(), item.key());
  }
  for (const auto& item : module.named_parameters()) {
    require(kinds.count(item.key()) == 1,
            fmt::format("parameter \"{}\" was not reached while classifying weights", item.key()));
  }
  return kinds;
}

}  // namespace cwrf::models
