// PAST, privacy-aware sparsity tuning (Hu, Zhang & Wei 2024, arXiv 2410.06814): CE plus an L1
// penalty whose per-weight strength γ_i follows how much the weight drives the member /
// non-member loss gap. There is no public code; the choices the paper leaves open are knobs here,
// documented in docs/defenses.md and docs/ALGORITHMS.md §3:
//
//  * G = mean CE on a random member subset − mean CE on a random non-member subset (the model's
//    reference set), computed in eval mode: the gap an attacker querying the finished model
//    sees, and BatchNorm's running statistics are left untouched. Fresh subsets at every refresh.
//  * γ_i = |M|·|∂G/∂θ_i| / Σ_{j∈M}|∂G/∂θ_j|, detached, so γ averages 1 over each module M and
//    λ reads as the strength of a plain L1 penalty that PAST redistributes inside each module.
//  * "Module" defaults to one parameter tensor (defense.module = "tensor"): a layer's weight and
//    its bias (or a norm layer's scale and shift) have gradients of very different size and
//    count, so normalising them together would let the few bias entries take almost no penalty
//    or almost all of it; per tensor is also defined for every architecture (ViT's cls token
//    and position embedding belong to no layer). "layer" groups the tensors of one owning layer
//    (same name up to the last '.'), the literal reading of the paper's "module".
//  * γ is recomputed every defense.refresh_steps steps, or at the start of every epoch (0).
//  * Every trainable tensor is penalised (weights, biases, norm affine), like CWRF's scoring.
#pragma once

#include "cwrf/train/objectives/registry.h"

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::train {

struct PastOptions {
  double lambda = 5e-4;           // λ, the weighted L1 penalty's strength (Fashion-MNIST sweep)
  int64_t refresh_steps = 0;      // recompute γ every n steps; 0 = at the start of every epoch
  int64_t member_size = 512;      // members in the loss gap's subset (capped at the set's size)
  int64_t nonmember_size = 512;   // non-members in it (capped at the reference set's size)
  std::string module = "tensor";  // normalisation unit: "tensor" or "layer"
};

// `defense = "past"`; keys defense.lambda, defense.refresh_steps, defense.member_size,
// defense.nonmember_size, defense.module.
ObjectiveInfo past_info();

// The normalisation group of each named parameter: its own index for "tensor"; for "layer", one
// group per owning module (the name up to its last '.'; a top-level parameter is its own group).
std::vector<int64_t> past_module_groups(const std::vector<std::string>& names, const std::string& module);

// γ from the loss gap's gradients (undefined = zero): within each group M,
// γ_i = |M|·|g_i| / Σ_{j∈M}|g_j|; a group whose gradients are all zero gets γ = 1 (plain L1).
std::vector<torch::Tensor> past_gamma(const std::vector<torch::Tensor>& grads, const std::vector<int64_t>& groups);

// Σ_i γ_i·|θ_i| over all tensors.
torch::Tensor past_penalty(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& gamma);

class PastObjective final : public Objective {
 public:
  explicit PastObjective(PastOptions options);
  std::string name() const override { return "past"; }
  void prepare(const ObjectiveContext& context) override;
  void begin_epoch(int64_t epoch) override;
  torch::Tensor loss(const LossInput& input) override;

  // Recomputes γ from fresh subsets now (called by the schedule above; public for tests).
  void refresh();
  const std::vector<torch::Tensor>& gamma() const { return gamma_; }
  double last_gap() const { return last_gap_; }        // G at the last refresh
  int64_t refresh_count() const { return refreshes_; }

 private:
  PastOptions options_;
  ObjectiveContext context_;
  std::vector<torch::Tensor> params_;
  std::vector<int64_t> groups_;
  std::vector<torch::Tensor> gamma_;
  double last_gap_ = 0.0;
  int64_t refreshes_ = 0;
};

}  // namespace cwrf::train
