// BaVarIA, Bayesian variance inference attacks (Brännvall, "Exponential-family membership
// inference: from LiRA and RMIA to BaVarIA", arXiv 2603.11799, 2026): LiRA's Gaussian
// likelihood ratio with each example's IN and OUT means and variances given conjugate
// normal-inverse-gamma priors, instead of LiRA's switch from per-example to one global variance
// at small shadow budgets.
//
// Per example, query and group g ∈ {IN, OUT}, the k shadow values φ_1..φ_k (mean φ̄, S = Σ(φ − φ̄)²)
// update the prior NIG(μ0, κ0, α0, β0) — σ² ~ InvGamma(α0, β0), μ | σ² ~ N(μ0, σ²/κ0) — to
// (Murphy 2007, "Conjugate Bayesian analysis of the Gaussian distribution", the NIG prior):
//   κ_n = κ0 + k,  μ_n = (κ0 μ0 + k φ̄)/κ_n,  α_n = α0 + k/2,  β_n = β0 + S/2 + κ0 k (φ̄ − μ0)² / (2 κ_n).
// The predictive of the target's φ is then
//   BaVarIA-t  Student-t with 2α_n degrees of freedom, location μ_n, scale² β_n (κ_n + 1)/(α_n κ_n)
//              (the exact posterior predictive);
//   BaVarIA-n  N(μ_n, β_n/α_n): a Gaussian whose variance is stabilised by the prior
//              (β_n/α_n = 1/E[σ⁻² | data], the posterior-mean precision).
// Scores, averaged over queries (higher = member), as LiRA's (lira.h):
//   online   log p_IN(φ) − log p_OUT(φ);   offline   −log Pr_OUT[Φ ≥ φ] (the one-sided test).
//
// Sources. The abstract fixes the model (conjugate normal-inverse-gamma priors, a Student-t or a
// stabilised-variance Gaussian predictive, no hyper-parameter tuning); the paper's body, with its
// equations, defaults and BASE1–4 hierarchy, was not available to this implementation. The
// conjugate algebra is Murphy's; the choice of the stabilised variance (β_n/α_n) and the
// empirical-Bayes fit below are this implementation's, made so that the limits are LiRA's.
//
// Hyper-parameters. The prior is written with two strengths and a scale: κ0 (pseudo-observations
// of the mean), ν0 = 2α0 (pseudo-observations of the variance) and σ0² = β0/α0. μ0 is the mean
// of the group's shadow means over all examples (per query); with the default κ0 = 0 it plays no
// part, because an example's mean is its membership signal and shrinking it toward the
// population would blur the per-example difficulty LiRA exploits. ν0 and σ0² are set by
// empirical Bayes over the examples — type-II maximum likelihood of all groups' S under
// S | σ² ~ σ² χ²_{k−1}, σ² ~ InvGamma(ν0/2, ν0 σ0²/2), whose marginal is a scaled F — unless the
// options fix them. With κ0 = 0 the stabilised variance is (ν0 σ0² + S)/(ν0 + k), so
//   ν0 → 0   gives LiRA with per-example variances (S/k, ddof 0, as np.std);
//   ν0 → ∞   gives LiRA with one fixed variance σ0² (LiRA's when σ0² is its pooled within-group
//            variance), and BaVarIA-t tends to the Gaussian with variance σ0² (1 + 1/k).
// Which groups inform the prior: IN and OUT online, OUT offline (as LiRA's fixed variance).
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/protocol.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::attack {

struct BavariaOptions {
  bool online = true;
  bool student_t = true;           // BaVarIA-t; false: BaVarIA-n
  double mean_strength = 0.0;      // κ0 >= 0
  double variance_strength = 0.0;  // ν0 = 2α0 > 0; 0: empirical Bayes
  double prior_variance = 0.0;     // σ0² = β0/α0 > 0; 0: empirical Bayes
};

// "t-online", "t-offline", "n-online", "n-offline"
std::string bavaria_variant(const BavariaOptions& options);

// Empty when the split supports the variant, otherwise why not: IN (online) and OUT shadows for
// every example, and, for empirical Bayes, two shadows per group to measure a variance.
std::string bavaria_shortfall(const ShadowSplit& split, const BavariaOptions& options);

// The prior the scores use: the options' values, or the empirical-Bayes fit.
struct BavariaPrior {
  double mean_strength = 0.0;       // κ0
  double variance_strength = 0.0;   // ν0
  double prior_variance = 0.0;      // σ0²
  std::vector<double> mean_in, mean_out;  // μ0 per query (mean_in empty offline)
  int64_t fitted_groups = 0;        // the (example, query, group) sums of squares the fit used (0: none)
  bool strength_at_bound = false;   // the fit ran into the search range [0.1, 1e6] of ν0
};
BavariaPrior bavaria_prior(const SignalArray& phi, const ShadowSplit& split, const BavariaOptions& options);

// Scores of the target's examples [examples]. phi: logit-scaled confidences φ, [models, examples,
// queries] (the target's own row gives the observed φ). Throws Error with bavaria_shortfall's
// message, for options out of range, or for shadow signals with no spread at all.
std::vector<double> bavaria_scores(const SignalArray& phi, const ShadowSplit& split, const BavariaOptions& options);

// The Student-t density and upper tail with `dof` degrees of freedom, location and scale > 0.
// log_sf is accurate in both tails (incomplete beta, incomplete_beta.h).
double student_t_log_pdf(double x, double location, double scale, double dof);
double student_t_log_sf(double x, double location, double scale, double dof);

}  // namespace cwrf::attack
