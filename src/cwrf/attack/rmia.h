// RMIA, the relative membership inference attack (Zarifzadeh et al. 2024; docs/ALGORITHMS.md §4
// "RMIA"; privacytrustlab/ml_privacy_meter research/2024_rmia main.py, the "relative" branch of
// aggregate_signals, at the commit the paper links, d327341).
//
// Signal s(x): the target's (soft-margin, tempered) softmax probability of the true class, or the
// reference's Taylor soft-margin signal (statistics.h). P(x) is s averaged over reference (shadow)
// models:
//   online   P(x) = ½ (P_in(x) + P_out(x)), the mean over IN and OUT shadows with equal weight
//            (the reference concatenates equally many IN and OUT models);
//   offline  P(x) = ((1 + a)/2) P_out(x) + (1 − a)/2.
// With trim > 0 the means are trimmed as the reference's scipy.stats.trim_mean(proportiontocut =
// trim) over the reference models: ⌊trim·n⌋ values cut from each end; online over the union of the
// first m IN and the first m OUT shadows, m = min of the two counts (the reference's
// num_ref_models//2 of each), offline over the OUT shadows.
// ratio(x) = s(x)/P(x), LR(x, z) = ratio(x)/ratio(z), and with aggregation over queries:
//   mean  score(x) = mean over queries of |{z ∈ Z, z ≠ x : LR_q(x, z) > γ}| / |Z \ {x}|  (this project's
//         default; a rank statistic per query, below);
//   vote  score(x) = |{z ∈ Z, z ≠ x : LR_q(x, z) > γ for more than half of the queries}| / |Z \ {x}|,
//         the reference's majority vote (torch.mode over the queries' booleans: a tie is the smaller
//         value, no win; with two queries an AND).
// The reference scores a population point x against itself too and then maps the fraction f to
// (f|Z| + 1)/(|Z| − 1) for x ∈ Z ("to avoid overlapping cases"); here x is simply not compared with
// itself (z ≠ x), which the paper's definition says.
// Log space: LR > γ ⟺ log ratio(x) − log ratio(z) > log γ (the softmax signal, always > 0). Linear
// space (the Taylor signal, which can be ≤ 0): ratio(x) · (1/ratio(z)) > γ, the reference's own
// outer product of prob_ratio_x and prob_ratio_z_rev.
//
// The mean score is a rank statistic: with the population's values sorted once, the comparison is
// monotone in the sorted value (in linear space in 1/ratio(z), increasing for ratio(x) > 0 and
// decreasing below), so each x needs one binary search with the very predicate the pairwise
// definition uses — O((N + |Z|) log |Z|) per query, and equal to the pairwise result bit for bit.
// The vote is pairwise, O(N |Z| Q).
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/protocol.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::attack {

struct RmiaOptions {
  bool online = true;
  double offline_a = 0.3;  // paper: 0.3 for CIFAR-10, 0.6 for CIFAR-100
  double gamma = 2.0;      // paper: 2 (the ml_privacy_meter tool uses 1)
  double trim = 0.0;       // proportion cut from each end of the reference models for P(x), [0, 0.5) (reference: 0.2)
};

// How pairs are compared and queries combined.
struct RmiaScoring {
  bool linear = false;  // ratios in linear space (the Taylor signal), else log ratios
  bool vote = false;    // majority vote over queries per pair, else the mean of per-query scores
};

std::string rmia_variant(const RmiaOptions& options);  // "online" | "offline"
// Empty when the split has the shadows the variant needs, otherwise why not.
std::string rmia_shortfall(const ShadowSplit& split, const RmiaOptions& options);

// log ratio(x) = log s(x) − log P(x) of every example under every query for the split's target,
// [examples × queries]. log_signal: log s, [models, examples, queries].
std::vector<double> rmia_log_ratios(const SignalArray& log_signal, const ShadowSplit& split, const RmiaOptions& options);
// ratio(x) = s(x)/P(x) in linear space, for signals of any sign (the Taylor signal); s: [models, examples, queries].
std::vector<double> rmia_linear_ratios(const SignalArray& signal, const ShadowSplit& split, const RmiaOptions& options);

// The comparisons every implementation uses for one pair.
inline bool rmia_pair_wins(double log_ratio_x, double log_ratio_z, double log_gamma) {
  return log_ratio_x - log_ratio_z > log_gamma;
}
inline bool rmia_linear_pair_wins(double ratio_x, double ratio_z, double gamma) {
  return ratio_x * (1.0 / ratio_z) > gamma;
}

// Scores of all examples against the population (example indices): sort-based for the mean, pairwise
// for the vote. ratios: [examples × queries], log or linear as `how` says.
std::vector<double> rmia_scores(const std::vector<double>& ratios, int64_t examples, int64_t queries,
                                const std::vector<int64_t>& population, double gamma, const RmiaScoring& how = {});
// The same by the direct pairwise definition, O(N |Z| Q): for tests and the benchmark.
// `only` > 0 scores just the first `only` examples (the benchmark extrapolates from a subset).
std::vector<double> rmia_scores_pairwise(const std::vector<double>& ratios, int64_t examples, int64_t queries,
                                         const std::vector<int64_t>& population, double gamma, int64_t only = 0,
                                         const RmiaScoring& how = {});

}  // namespace cwrf::attack
