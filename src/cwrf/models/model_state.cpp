#include "cwrf/models/model_state.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::models {

TensorMap model_state(const torch::nn::Module& model) {
  TensorMap state;
  for (const auto& p : model.named_parameters()) state[p.key()] = p.value().detach();
  for (const auto& b : model.named_buffers()) state[b.key()] = b.value().detach();
  return state;
}

void load_model_state(torch::nn::Module& model, const TensorMap& state, const std::string& origin) {
  torch::NoGradGuard no_grad;
  auto assign = [&](const std::string& name, torch::Tensor& target) {
    auto it = state.find(name);
    if (it == state.end()) throw Error(fmt::format("{}: no entry for '{}' (a different model?)", origin, name));
    if (it->second.sizes() != target.sizes())
      throw Error(fmt::format("{}: '{}' has shape [{}], the model expects [{}]", origin, name,
                              fmt::join(it->second.sizes(), ", "), fmt::join(target.sizes(), ", ")));
    target.copy_(it->second);
  };
  for (auto& p : model.named_parameters()) assign(p.key(), p.value());
  for (auto& b : model.named_buffers()) assign(b.key(), b.value());
  const size_t expected = model.named_parameters().size() + model.named_buffers().size();
  if (state.size() != expected)
    throw Error(fmt::format("{}: has {} entries, the model has {} (a different model?)", origin, state.size(), expected));
}

}  // namespace cwrf::models
