// The choice of DP-SGD accountant: "rdp" (accountant.h, Rényi DP, opacus' default) or "prv"
// (prv_accountant.h, the numerical composition of Gopi et al. 2021; its certified upper bound).
// `cwrf dp epsilon|sigma --accountant` and the DP-SGD defense's dp.accountant key use these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::train::dp {

const std::vector<std::string>& accountant_names();  // {"rdp", "prv"}

// ε after `steps` steps at (σ, q) for δ by the named accountant (PRV: the upper end of its
// certified interval, as opacus' PRVAccountant.get_epsilon). Error for an unknown name or bad arguments.
double accountant_epsilon(const std::string& accountant, double sigma, double q, int64_t steps, double delta);

// The noise-multiplier search of accountant.h with the named accountant's ε. For PRV, a σ whose
// privacy loss is too large to compose numerically counts as above the target (the search then
// only ever returns a σ the PRV accountant certifies).
double accountant_noise_multiplier(const std::string& accountant, double target_epsilon, double q, int64_t steps,
                                   double delta, double tolerance = 0.01);

}  // namespace cwrf::train::dp
