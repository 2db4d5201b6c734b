// BaVarIA, Bayesian variance inference attacks (Brännvall, "Exponential-family membership
// inference: from LiRA and RMIA to BaVarIA", arXiv 2603.11799, 2026): LiRA's Gaussian
// likelihood ratio with each example's IN and OUT means and variances given conjugate
// normal-inverse-gamma (NIG) priors, instead of LiRA's switch from one global variance to
// per-example variances once there are enough shadow models.
//
// Sources. The abstract fixes the model: conjugate NIG priors, a Student-t predictive (BaVarIA-t)
// or a Gaussian with a stabilised variance (BaVarIA-n), no extra hyper-parameter tuning, the largest
// gains with few shadows and offline. The paper's body was not readable here; its author's code
// demo is (github.com/rickardbrannvall/exponential-family-mia methods.py, also in
// rickardbrannvall/uai2026_rebuttal code_demo/methods.py: "same likelihood formulae, same NIG
// hyperparameters" as the paper), and this file follows it:
//
// Per example, query and group g ∈ {IN, OUT}, the k shadow values φ_1..φ_k (mean φ̄,
// S = Σ(φ − φ̄)²) update the prior NIG(μ0_g, κ0, α0, β0_g) — σ² ~ InvGamma(α0, β0),
// μ | σ² ~ N(μ0, σ²/κ0) — to (methods.py _nig_posterior; Murphy 2007, the NIG prior):
//   κ_n = κ0 + k,  μ_n = (κ0 μ0 + k φ̄)/κ_n,  α_n = α0 + k/2,  β_n = β0 + S/2 + κ0 k (φ̄ − μ0)²/(2 κ_n).
// The predictive of the target's φ:
//   BaVarIA-t  Student-t with 2α_n degrees of freedom, location μ_n, scale² β_n (κ_n + 1)/(α_n κ_n)
//              (the posterior predictive; methods.py bavaria_t);
//   BaVarIA-n  N(φ̄, v) with v = β_n/(α_n − 1), the posterior mean of σ² (β_n when α_n ≤ 1), about the
//              shadows' own mean φ̄ (methods.py bavaria_n).
// Prior (methods.py _nig_priors, "empirical-Bayes NIG hyperparameters from the pooled shadow
// population"): μ0_g and V_g are the mean and variance (ddof 0) of all of group g's shadow values,
// pooled over examples (per query here), and β0_g = V_g (α0 − 1) (so that E[σ²] = V_g; β0_g = V_g
// for α0 ≤ 1); κ0 = 1; α0 = 1 for BaVarIA-n, 2 for BaVarIA-t ("so the prior predictive has
// finite variance").
// Scores, averaged over queries (higher = member), log p_IN(φ) − log p_OUT(φ):
//   online   both groups' posteriors;
//   offline  p_OUT as online, p_IN the prior itself, NIG(μ0_IN, κ0, α0, β0_IN) ("offline replaces the IN
//            class with a global prior estimated from the shadow population"). The prior needs IN
//            values pooled over examples; an offline attacker has such from its reference models'
//            own training points, here they are the IN shadows' values (two numbers per query).
// Non-finite scores become 0 and variances are floored at 1e-10, as methods.py does.
//
// This project's additions (options, not defaults): prior = "fit" replaces the moment-matched
// β0 (and α0 unless given) by a type-II maximum-likelihood fit over the examples — all groups' S
// under S | σ² ~ σ² χ²_{k−1}, σ² ~ InvGamma(α0, β0), whose marginal is a scaled F — with one β0
// shared by the groups (IN and OUT online, OUT offline). The moment match uses the total variance
// of the pooled values (between-example spread included), so its prior is wide; the fit measures
// the within-example spread only.
//
// Limits (tests/attack/bavaria_test.cpp): with κ0 → 0, α0 = 1, β0 → 0, BaVarIA-n is the per-example
// Gaussian likelihood ratio with ddof-0 variances, the BaVarIA paper's BASE4 ("equivalent to LiRA
// online"; lira.h with two shadows per group, where its medians are means); with α0 → ∞ and
// β0 = (α0 − 1) σ² it is LiRA with the fixed variance σ².
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/protocol.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::attack {

struct BavariaOptions {
  bool online = true;
  bool student_t = true;  // BaVarIA-t; false: BaVarIA-n
  double kappa0 = 1.0;    // κ0 > 0 (methods.py: 1)
  double alpha0 = 0.0;    // α0 > 0; 0: methods.py's default for the predictive, 1 (n) or 2 (t)
  std::string prior = "moments";  // "moments" (methods.py) | "fit" (type-II maximum likelihood)
  double beta0 = 0.0;     // > 0 fixes β0 for both groups (limits, tests); 0: from `prior`
};

// "t-online", "t-offline", "n-online", "n-offline"
std::string bavaria_variant(const BavariaOptions& options);

// The α0 the options mean (their alpha0, or 1 for BaVarIA-n and 2 for BaVarIA-t).
double bavaria_alpha0(const BavariaOptions& options);

// Empty when the split supports the variant, otherwise why not: IN and OUT shadows for every
// example (offline too: the IN prior), and for prior = "fit" two shadows in some group.
std::string bavaria_shortfall(const ShadowSplit& split, const BavariaOptions& options);

// The prior the scores use, per query.
struct BavariaPrior {
  double kappa0 = 0.0, alpha0 = 0.0;
  std::vector<double> mean_in, mean_out;    // μ0 per query
  std::vector<double> beta_in, beta_out;    // β0 per query
  int64_t fitted_groups = 0;                // prior = "fit": the (example, query, group) sums of squares used
  bool strength_at_bound = false;           // prior = "fit": α0 ran into its search range [0.05, 5e5]
};
BavariaPrior bavaria_prior(const SignalArray& phi, const ShadowSplit& split, const BavariaOptions& options);

// Scores of the target's examples [examples]. phi: logit-scaled confidences φ, [models, examples,
// queries] (the target's own row gives the observed φ). Throws Error with bavaria_shortfall's
// message, for options out of range, or for non-finite shadow signals.
std::vector<double> bavaria_scores(const SignalArray& phi, const ShadowSplit& split, const BavariaOptions& options);

// The Student-t density and upper tail with `dof` degrees of freedom, location and scale > 0.
// log_sf is accurate in both tails (incomplete beta, incomplete_beta.h).
double student_t_log_pdf(double x, double location, double scale, double dof);
double student_t_log_sf(double x, double location, double scale, double dof);

}  // namespace cwrf::attack
