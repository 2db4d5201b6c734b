// The PRV accountant (Gopi, Lee & Wutschitz, "Numerical composition of differential privacy",
// NeurIPS 2021; as opacus accountants/prv.py and accountants/analysis/prv/ organise it, after
// microsoft/prv_accountant): ε(δ) of T steps of the Poisson-subsampled Gaussian mechanism from
// the distribution of its privacy loss, composed numerically, with a certified error.
//
// One step's privacy loss random variable (PRV) is Y = log(P(ω)/Q(ω)) for ω ~ P, with
// P = q N(1, σ²) + (1 − q) N(0, σ²) and Q = N(0, σ²) (Gopi et al. App. B, Prop. B1/B4):
//   Y = log(1 − q + q e^{(2ω − 1)/(2σ²)}),  Pr[Y ≤ t] = q Φ((ω_t − 1)/σ) + (1 − q) Φ(ω_t/σ),
//   ω_t = σ² log((e^t − 1 + q)/q) + ½.
// T-fold composition is the sum of T independent copies, and δ(ε) = E[(1 − e^{ε − Y_T})_+].
// The algorithm (Gopi et al.; opacus prv.py _get_dprv and get_epsilon):
//   1. truncate Y to [−L, L], L from the RDP bound (Remark 5.6, opacus compute_safe_domain_size):
//      L = max(ε_RDP(T steps, δ_err/4), ε_RDP(1 step, δ_err/(8T)), eps_error) + 3 (opacus' FIXME:
//      this rule of the authors' code departs subtly from the remark; kept as both codes have it);
//   2. discretise on a grid of mesh h = eps_error / √(T log(12/δ_err)/2) (the bins' probabilities,
//      then the grid shifted so the discrete mean equals the continuous truncated mean);
//   3. compose by FFT: the pmf's transform to the T-th power, a circular convolution whose
//      wrap-around the choice of L keeps inside the δ_err budget;
//   4. ε(δ) from the composed pmf exactly (the hockey-stick divergence is piecewise exponential
//      between grid points), and the interval the error budgets certify:
//        ε_lower = ε̂(δ + δ_err) − eps_error ≤ ε(δ) ≤ ε̂(δ − δ_err) + eps_error = ε_upper.
// Opacus' get_epsilon returns ε_upper, with eps_error = 0.01 and δ_err = δ/1000 by default.
#pragma once

#include <cstdint>

namespace cwrf::train::dp {

struct PrvOptions {
  double eps_error = 0.01;   // the ε error the discretisation may make (opacus default 0.01)
  double delta_error = 0.0;  // the δ error of truncation and discretisation; 0: δ/1000 (opacus)
};

struct PrvEpsilon {
  double lower = 0.0, estimate = 0.0, upper = 0.0;  // ε(δ) ∈ [lower, upper]; estimate: the grid's ε̂(δ)
  double eps_error = 0.0, delta_error = 0.0;        // the errors the bounds account for
  double domain_bound = 0.0;                        // L: the PRV is truncated to [−L, L]
  double mesh = 0.0;                                // the grid step h
  int64_t grid_points = 0;                          // the size of the discretised pmf (0: no grid needed)
};

// ε of `steps` steps at noise multiplier sigma (>= 0) and Poisson sampling rate q in [0, 1], for
// δ in (0, 1). Steps = 0 or q = 0 spend nothing (ε = 0); sigma = 0 gives +inf. Throws Error naming
// the argument at fault, or when the grid would be too large (more than 2^26 points) or ε too large
// for double precision (L > 700).
PrvEpsilon prv_epsilon(double sigma, double q, int64_t steps, double delta, const PrvOptions& options = {});

}  // namespace cwrf::train::dp
