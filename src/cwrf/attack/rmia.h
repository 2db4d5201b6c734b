// RMIA, the relative membership inference attack (Zarifzadeh et al. 2024; docs/ALGORITHMS.md §4
// "RMIA"; privacytrustlab/ml_privacy_meter research/2024_rmia main.py, the "relative" branch).
//
// Signal s(x): the target's (soft-margin, tempered) softmax probability of the true class
// (statistics.h). P(x) is s averaged over reference (shadow) models:
//   online   P(x) = ½ (P_in(x) + P_out(x)), the mean over IN and OUT shadows with equal weight
//            (the reference concatenates equally many IN and OUT models);
//   offline  P(x) = ((1 + a)/2) P_out(x) + (1 − a)/2.
// ratio(x) = s(x)/P(x), LR(x, z) = ratio(x)/ratio(z), and
//   score(x) = |{z ∈ Z, z ≠ x : LR(x, z) > γ}| / |Z \ {x}|,
// per query, averaged over queries (the research code takes a majority vote over queries per
// pair; with two queries that is an AND of both comparisons and no longer a rank statistic).
// Everything is computed with logarithms: LR > γ  ⟺  log ratio(x) − log ratio(z) > log γ.
//
// The score is a rank statistic: with log ratio(z) sorted once, the comparison is monotone in
// the sorted value, so each x needs one binary search with the very predicate the pairwise
// definition uses — O((N + |Z|) log |Z|) per query, and equal to the pairwise result bit for bit.
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
};

std::string rmia_variant(const RmiaOptions& options);  // "online" | "offline"
// Empty when the split has the shadows the variant needs, otherwise why not.
std::string rmia_shortfall(const ShadowSplit& split, const RmiaOptions& options);

// log ratio(x) = log s(x) − log P(x) of every example under every query for the split's target,
// [examples × queries]. log_signal: log s, [models, examples, queries].
std::vector<double> rmia_log_ratios(const SignalArray& log_signal, const ShadowSplit& split, const RmiaOptions& options);

// The comparison both implementations use for one pair.
inline bool rmia_pair_wins(double log_ratio_x, double log_ratio_z, double log_gamma) {
  return log_ratio_x - log_ratio_z > log_gamma;
}

// Scores of all examples against the population (example indices), sort-based.
std::vector<double> rmia_scores(const std::vector<double>& log_ratios, int64_t examples, int64_t queries,
                                const std::vector<int64_t>& population, double gamma);
// The same by the direct pairwise definition, O(N |Z|) per query: for tests and the benchmark.
// `only` > 0 scores just the first `only` examples (the benchmark extrapolates from a subset).
std::vector<double> rmia_scores_pairwise(const std::vector<double>& log_ratios, int64_t examples, int64_t queries,
                                         const std::vector<int64_t>& population, double gamma, int64_t only = 0);

}  // namespace cwrf::attack
