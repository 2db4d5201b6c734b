#include "cwrf/train/objectives/past.h"

#include "cwrf/common/error.h"
#include "cwrf/train/objectives/defense_keys.h"
#include "cwrf/train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <map>

namespace cwrf::train {

namespace F = torch::nn::functional;

namespace {

constexpr int64_t kGapChunk = 256;  // images per forward pass while computing ∂G/∂θ

}  // namespace

std::vector<int64_t> past_module_groups(const std::vector<std::string>& names, const std::string& module) {
  if (module != "tensor" && module != "layer")
    throw Error(fmt::format("config key 'defense.module' must be \"tensor\" or \"layer\", got \"{}\"", module));
  std::vector<int64_t> groups(names.size());
  std::map<std::string, int64_t> layer_ids;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto dot = names[i].rfind('.');
    if (module == "tensor" || dot == std::string::npos) {
      groups[i] = static_cast<int64_t>(layer_ids.size());
      layer_ids.emplace("\n" + names[i], groups[i]);  // a key no layer name can take
    } else {
      const auto [it, added] = layer_ids.emplace(names[i].substr(0, dot), static_cast<int64_t>(layer_ids.size()));
      groups[i] = it->second;
    }
  }
  return groups;
}

// PAST (arXiv 2410.06814), adaptive weight: γ_i = |M|·|∂G/∂θ_i| / Σ_{j∈M}|∂G/∂θ_j|.
std::vector<torch::Tensor> past_gamma(const std::vector<torch::Tensor>& grads, const std::vector<int64_t>& groups) {
  if (grads.size() != groups.size()) throw std::logic_error("past_gamma: one group per gradient tensor");
  std::map<int64_t, std::pair<double, int64_t>> totals;  // group -> (Σ|g|, |M|)
  std::vector<torch::Tensor> magnitude(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    magnitude[i] = grads[i].detach().abs().to(torch::kDouble);
    auto& [sum, count] = totals[groups[i]];
    sum += magnitude[i].sum().item<double>();
    count += magnitude[i].numel();
  }
  std::vector<torch::Tensor> gamma(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const auto [sum, count] = totals.at(groups[i]);
    const torch::Tensor g = sum > 0.0 && std::isfinite(sum) ? magnitude[i] * (static_cast<double>(count) / sum)
                                                            : torch::ones_like(magnitude[i]);
    gamma[i] = g.to(grads[i].scalar_type());
  }
  return gamma;
}

torch::Tensor past_penalty(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& gamma) {
  if (params.size() != gamma.size()) throw std::logic_error("past_penalty: one γ per parameter tensor");
  if (params.empty()) return torch::zeros({});
  torch::Tensor total = (gamma[0] * params[0].abs()).sum();
  for (size_t i = 1; i < params.size(); ++i) total = total + (gamma[i] * params[i].abs()).sum();
  return total;
}

PastObjective::PastObjective(PastOptions options) : options_(std::move(options)) {}

void PastObjective::prepare(const ObjectiveContext& context) {
  if (context.model == nullptr || context.members == nullptr || context.members->size() == 0)
    throw Error("defense 'past' needs the model and its training set");
  if (context.non_members == nullptr || context.non_members->size() == 0)
    throw Error("defense 'past' needs held-out non-members for its loss gap (the model's reference set): "
                "set data.ref_size > 0");
  context_ = context;
  params_.clear();
  std::vector<std::string> names;
  for (auto& p : named_trainable_parameters(*context.model)) {
    names.push_back(p.name);
    params_.push_back(p.tensor);
  }
  groups_ = past_module_groups(names, options_.module);
  gamma_.clear();
  refreshes_ = 0;
}

void PastObjective::begin_epoch(int64_t epoch) {
  if (options_.refresh_steps == 0) refresh();
}

void PastObjective::refresh() {
  if (context_.model == nullptr) throw std::logic_error("PastObjective::refresh before prepare");
  models::Classifier& model = *context_.model;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<torch::Tensor> grads(params_.size());
  double gap = 0.0;
  // sign · mean CE over a fresh random subset of `set`, its gradient accumulated chunk by chunk.
  auto accumulate = [&](const data::Prepared& set, int64_t size, double sign) {
    const int64_t n = std::min(size, set.size());
    const torch::Tensor rows = torch::randperm(set.size(), torch::kLong).slice(0, 0, n).to(set.inputs.device());
    for (int64_t start = 0; start < n; start += kGapChunk) {
      const torch::Tensor chunk = rows.slice(0, start, std::min(n, start + kGapChunk));
      const torch::Tensor logits = model.forward(set.inputs.index_select(0, chunk));
      const torch::Tensor ce_sum = F::cross_entropy(logits, set.labels.index_select(0, chunk),
                                                    F::CrossEntropyFuncOptions().reduction(torch::kSum));
      const torch::Tensor part = ce_sum * (sign / static_cast<double>(n));
      gap += part.item<double>();
      auto g = torch::autograd::grad({part}, params_, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                     /*allow_unused=*/true);
      for (size_t i = 0; i < g.size(); ++i)
        if (g[i].defined()) grads[i] = grads[i].defined() ? grads[i] + g[i] : g[i];
    }
  };
  try {
    accumulate(*context_.members, options_.member_size, 1.0);
    accumulate(*context_.non_members, options_.nonmember_size, -1.0);
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  for (size_t i = 0; i < grads.size(); ++i)
    if (!grads[i].defined()) grads[i] = torch::zeros_like(params_[i]);
  gamma_ = past_gamma(grads, groups_);
  last_gap_ = gap;
  ++refreshes_;
}

torch::Tensor PastObjective::loss(const LossInput& in) {
  if (options_.refresh_steps > 0 && in.step % options_.refresh_steps == 0) refresh();
  if (gamma_.empty()) throw std::logic_error("PastObjective::loss before prepare/begin_epoch");
  const torch::Tensor ce = F::cross_entropy(in.logits, in.labels);
  if (options_.lambda == 0.0) return ce;
  return ce + options_.lambda * past_penalty(params_, gamma_);
}

namespace {

// No published values: λ from our Fashion-MNIST sweep serves every dataset (docs/defenses.md).
constexpr double kDefaultLambda = 5e-4;

}  // namespace

ObjectiveInfo past_info() {
  return {"past",
          "PAST (Hu et al. 2024): CE + defense.lambda * sum_i gamma_i |theta_i|, gamma from the member/non-member "
          "loss gap's gradient",
          {{"defense.lambda", config::Type::Float, nullptr,
            "past: strength λ of the γ-weighted L1 penalty, >= 0 (default 5e-4)"},
           {"defense.refresh_steps", config::Type::Int, nullptr,
            "past: recompute γ every n training steps (0: at the start of every epoch; default 0)"},
           {"defense.member_size", config::Type::Int, nullptr,
            "past: members drawn for the loss gap at each refresh (default 512)"},
           {"defense.nonmember_size", config::Type::Int, nullptr,
            "past: reference-set non-members drawn for the loss gap at each refresh (default 512)"},
           {"defense.module", config::Type::String, nullptr,
            "past: unit γ is normalised over: tensor (each parameter tensor) or layer (default tensor)",
            {"tensor", "layer"}}},
          [](config::Config& c) -> std::unique_ptr<Objective> {
            PastOptions o;
            o.lambda = resolve_float(c, "defense.lambda", {}, kDefaultLambda);
            o.refresh_steps = resolve_int(c, "defense.refresh_steps", o.refresh_steps);
            o.member_size = resolve_int(c, "defense.member_size", o.member_size);
            o.nonmember_size = resolve_int(c, "defense.nonmember_size", o.nonmember_size);
            o.module = resolve_string(c, "defense.module", o.module);
            require_at_least("defense.lambda", o.lambda, 0.0);
            require_at_least("defense.refresh_steps", static_cast<double>(o.refresh_steps), 0.0);
            require_above("defense.member_size", static_cast<double>(o.member_size), 0.0);
            require_above("defense.nonmember_size", static_cast<double>(o.nonmember_size), 0.0);
            past_module_groups({}, o.module);  // checks the value
            return std::make_unique<PastObjective>(o);
          }};
}

}  // namespace cwrf::train
