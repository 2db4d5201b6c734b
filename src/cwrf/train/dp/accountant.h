// Rényi-DP accountant for the sampled Gaussian mechanism (Mironov, Talwar & Zhang 2019,
// "Rényi Differential Privacy of the Sampled Gaussian Mechanism"), as opacus
// accountants/analysis/rdp.py and tensorflow-privacy rdp_accountant.py compute it, with the
// RDP -> (ε, δ) conversion and noise-multiplier search of docs/ALGORITHMS.md §3.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace cwrf::train::dp {

// Opacus' DEFAULT_ALPHAS: 1.1, 1.2, ..., 10.9, then 12, 13, ..., 63.
const std::vector<double>& default_orders();

// RDP of one step of the sampled Gaussian mechanism at order alpha > 1, sampling rate q in
// [0, 1], noise multiplier sigma >= 0 (infinite for sigma = 0 and q > 0). Integer orders by the
// binomial expansion, fractional ones by the two-sided erfc series (Mironov et al. 2019, Sec. 3.3;
// opacus _compute_log_a_frac); q = 1: alpha / (2 sigma^2).
double sampled_gaussian_rdp(double q, double sigma, double alpha);

struct PrivacySpent {
  double epsilon = 0.0;  // +inf when no order gives a finite bound
  double order = 0.0;    // the order that attained it (0 when steps = 0)
};

// ε after `steps` steps at (q, sigma), for δ in (0, 1), minimised over `orders`:
// ε = min_α [T·rdp(α) − (log δ + log α)/(α − 1) + log((α − 1)/α)] (the conversion of Balle et al.
// 2020, opacus get_privacy_spent). steps = 0 spends nothing (ε = 0).
// Throws Error naming the argument at fault.
PrivacySpent privacy_spent(double sigma, double q, int64_t steps, double delta,
                           const std::vector<double>& orders = default_orders());

double epsilon(double sigma, double q, int64_t steps, double delta);

// The noise multiplier that gives ε ≤ target_epsilon after `steps` steps (opacus
// get_noise_multiplier): σ_high doubles from 10 until ε(σ_high) < target, then bisection on
// [0, σ_high] until target − ε(σ_high) ≤ tolerance; returns σ_high. Throws Error when the target
// needs σ > 1e6 (a budget too low) or an argument is out of range.
double noise_multiplier_for(double target_epsilon, double q, int64_t steps, double delta, double tolerance = 0.01);
// The same search with another accountant's ε(σ) (non-increasing in σ; +inf where it cannot tell).
double noise_multiplier_for(double target_epsilon, double q, int64_t steps, double delta, double tolerance,
                            const std::function<double(double sigma)>& epsilon_of);

}  // namespace cwrf::train::dp
