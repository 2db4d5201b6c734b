// DP-SGD (Abadi et al. 2016, as pytorch/opacus runs it; docs/ALGORITHMS.md §3) as a step
// strategy: Poisson-sampled batches, per-sample gradients (per_sample_grads.h), each sample's
// total gradient norm clipped to C, Gaussian noise of std σ·C added to the sum, division by the
// expected batch size. The optimiser then applies its freeze mask to this noised gradient, so
// CWRF's frozen weights never move. `defense = "dpsgd"` selects it, with the dp.* keys.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/train/dp/per_sample_grads.h"
#include "cwrf/train/objectives/registry.h"
#include "cwrf/train/step.h"

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace cwrf::train::dp {

struct DpSgdOptions {
  double noise_multiplier = 1.0;       // σ: the noise std is σ·C
  double max_grad_norm = 1.0;          // C: per-sample clipping norm
  double expected_batch_size = 256.0;  // q·N, the divisor of the noised sum (opacus: expected_batch_size)
  double sampling_rate = 0.0;          // q, for the accountant
  double delta = 1e-5;                 // δ of the reported (ε, δ)
  int64_t planned_steps = 0;           // epochs × steps per epoch (what the noise was calibrated for)
  std::optional<double> target_epsilon;
  std::string accountant = "rdp";      // of the reported ε and of the noise search: rdp | prv (accountants.h)
  uint64_t seed = 0;                   // the noise stream
  NormRoute route = NormRoute::Auto;   // how per-sample norms are formed (results are identical)
};

// Per-sample clip factors c_i = min(1, C / (‖g_i‖ + 1e-6)) (opacus optimizers/optimizer.py).
torch::Tensor clip_factors(const torch::Tensor& norms, double max_grad_norm);

// The step reports epsilon (over the steps taken so far, by options.accountant), accountant, delta,
// noise_multiplier, max_grad_norm, sampling_rate, steps (and target_epsilon when one was set).
std::unique_ptr<StepStrategy> make_dpsgd_step(const DpSgdOptions& options);

// The dp.* keys resolved for a run: q = min(1, B/N), steps = epochs × steps per epoch; σ searched
// for dp.epsilon when set (by dp.accountant: rdp unless set) (it must agree with dp.noise_multiplier if both are set, as in a model's
// effective config), else dp.noise_multiplier; max_grad_norm 1.0 and delta 1e-5 unless set. The
// values used are written back into `config`. Throws Error naming the key at fault.
DpSgdOptions resolve_dpsgd_options(config::Config& config, const StepContext& context);

// The registry entry `dpsgd`: cross-entropy as the per-sample loss, the dp.* options, make_step.
ObjectiveInfo dpsgd_info();

}  // namespace cwrf::train::dp
