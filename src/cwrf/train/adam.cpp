#include "cwrf/train/adam.h"

#include "cwrf/common/error.h"

#include <torch/torch.h>

#include <cmath>

namespace cwrf::train {

MaskedAdam::MaskedAdam(std::vector<NamedParameter> parameters, AdamOptions options) : options_(options) {
  for (auto& p : parameters) {
    Slot slot;
    slot.exp_avg = torch::zeros_like(p.tensor, torch::MemoryFormat::Preserve);
    slot.exp_avg_sq = torch::zeros_like(p.tensor, torch::MemoryFormat::Preserve);
    slot.param = std::move(p);
    slots_.push_back(std::move(slot));
  }
}

void MaskedAdam::set_trainable(const models::WeightMask& mask) {
  for (const auto& [name, m] : mask) {
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.param.name == name; });
    if (it == slots_.end()) throw Error("mask names '" + name + "', which is not a trainable parameter of this model");
    if (m.sizes() != it->param.tensor.sizes())
      throw Error(fmt::format("mask for '{}' has shape {}, the parameter has {}", name, fmt::join(m.sizes(), "x"),
                              fmt::join(it->param.tensor.sizes(), "x")));
  }
  for (auto& slot : slots_) {
    auto it = mask.find(slot.param.name);
    if (it == mask.end()) {
      slot.trainable = torch::Tensor();
      slot.frozen = false;
      continue;
    }
    const torch::Tensor& m = it->second;
    slot.frozen = !m.any().item<bool>();
    slot.trainable = m.all().item<bool>()
                         ? torch::Tensor()
                         : m.to(slot.param.tensor.options()).contiguous(slot.param.tensor.suggest_memory_format());
  }
}

void MaskedAdam::zero_grad() {
  for (auto& slot : slots_) {
    auto& g = slot.param.tensor.mutable_grad();
    if (g.defined()) g.zero_();
  }
}

void MaskedAdam::step(double lr) {
  torch::NoGradGuard no_grad;
  ++step_;
  const double bias_correction1 = 1.0 - std::pow(options_.beta1, static_cast<double>(step_));
  const double bias_correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(step_));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  for (auto& slot : slots_) {
    torch::Tensor& p = slot.param.tensor;
    const torch::Tensor& grad0 = p.grad();
    if (!grad0.defined() || slot.frozen) continue;
    // Same operation order as torch/optim/adam.py (_single_tensor_adam) for identical results.
    torch::Tensor grad = options_.weight_decay != 0.0 ? grad0.add(p, options_.weight_decay) : grad0;
    if (slot.trainable.defined()) grad = grad.mul(slot.trainable);
    slot.exp_avg.mul_(options_.beta1).add_(grad, 1.0 - options_.beta1);
    slot.exp_avg_sq.mul_(options_.beta2).addcmul_(grad, grad.conj(), 1.0 - options_.beta2);
    torch::Tensor denom = (slot.exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(options_.eps);
    if (slot.trainable.defined()) {
      // Frozen entries: exp_avg is exactly 0 there, but an update of -0.0 is still an
      // update; write only the trainable entries.
      torch::Tensor updated = p.addcdiv(slot.exp_avg, denom, -step_size);
      p.copy_(torch::where(slot.trainable.to(torch::kBool), updated, p));
    } else {
      p.addcdiv_(slot.exp_avg, denom, -step_size);
    }
  }
}

}  // namespace cwrf::train
