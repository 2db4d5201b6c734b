// BASE, the Bayes-optimal approximation of Lassila, Östman, Ngo & Graell i Amat, "Practical
// Bayes-optimal membership inference attacks" (NeurIPS 2025, arXiv 2505.24089), for i.i.d. data;
// the paper's attack for graphs (G-BASE) is not part of this project.
//
// Sablayrolles et al. (2019) model the trained parameters as a posterior p(θ | D) ∝
// exp(−Σ_{z∈D} ℓ(θ, z)/T). Under that model the posterior log-odds of "x is a member of θ's
// training set" (prior ½) is
//   score(x) = −ℓ(θ, x)/T − log E_θ'[exp(−ℓ(θ', x)/T)],
// where θ' is a model trained on the rest of the data with x in it or not, each with probability ½.
// BASE estimates the expectation with the reference (shadow) models; with ℓ the cross-entropy,
// exp(−ℓ/T) is the temperature-T softmax probability of the true class, s_T(x) = softmax(z/T)_y:
//   online   score(x) = log s_T(x; θ) − log(½ P_in(x) + ½ P_out(x)),   P_g = mean of s_T over group g;
//   offline  score(x) = log s_T(x; θ) − c · log P_out(x),
// averaged over queries (as LiRA and RMIA here). Online, ½/½ is the prior of the derivation and
// keeps the IN and OUT groups equally weighted when the equalised split has unequal counts (with
// equal counts it is the plain mean over all references, aidotse/LeakPro
// leakpro/attacks/mia_attacks/base.py: logsumexp − log K). Offline, the LogSumExp threshold of the
// OUT models is rescaled by c to make up for the missing IN models (LeakPro base.py
// `offline_scale_factor`, default 0.33). T = 2 is LeakPro's default temperature.
//
// The score is RMIA's log ratio: with the same T (RMIA's signal without margin), online BASE is
// log(s(x)/P(x)) of rmia.h, and RMIA's final score at γ = 1 is a non-decreasing function of it
// (the fraction of the population with a smaller ratio), so every RMIA threshold is a BASE
// threshold and the two rank the target's examples alike up to RMIA's ties
// (tests/attack/base_test.cpp). The abstract states that "BASE and RMIA are equivalent under a
// specific hyperparameter setting"; the paper's body (its equations and exact statement) was not
// available to this implementation, which follows the Sablayrolles derivation and LeakPro's code.
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/protocol.h"

#include <string>
#include <vector>

namespace cwrf::attack {

struct BaseOptions {
  bool online = true;
  // The softmax temperature of the signal: log_signal must be log s_T, i.e.
  // compute_log_rmia_signal(logits, labels, temperature, /*margin=*/0) (statistics.h). LeakPro: 2.
  double temperature = 2.0;
  double offline_scale = 0.33;  // c of the offline score, in [0, 1] (LeakPro offline_scale_factor)
};

std::string base_variant(const BaseOptions& options);  // "online" | "offline"
// Empty when the split has the reference models the variant needs, otherwise why not.
std::string base_shortfall(const ShadowSplit& split, const BaseOptions& options);

// Log-odds scores of the target's examples [examples] (higher = member). log_signal: log s_T,
// [models, examples, queries] (the target's own row gives s_T(x; θ)). Throws Error for a bad
// option, a split that does not fit, or a NaN signal.
std::vector<double> base_scores(const SignalArray& log_signal, const ShadowSplit& split, const BaseOptions& options);

}  // namespace cwrf::attack
