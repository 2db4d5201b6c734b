// LiRA, the likelihood-ratio attack (Carlini et al. 2022; docs/ALGORITHMS.md §4 "LiRA";
// tensorflow/privacy research/mi_lira_2021 plot.py generate_ours / generate_ours_offline).
//
// Per example and query, the shadows' logit-scaled confidences φ give μ_in, μ_out (medians)
// and σ_in, σ_out (standard deviations, ddof 0, as np.std). Scores, averaged over queries
// (higher = more likely a member):
//   online   log N(φ; μ_in, σ_in) − log N(φ; μ_out, σ_out)
//   offline  −log Pr[N(μ_out, σ_out) ≥ φ], the one-sided test of the paper (the reference code
//            scores with the two-sided density −log N(φ; μ_out, σ_out), which also flags
//            unusually *low* φ as members; we follow the paper).
// Fixed variance: one global σ, the square root of the pooled within-group variance
// (residuals about each example's group mean, IN and OUT groups together online, OUT offline).
// The reference takes np.std over all IN values (between-example spread included) and reuses
// it for OUT online; we avoid both (ALGORITHMS.md).
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/protocol.h"

#include <string>
#include <vector>

namespace cwrf::attack {

struct LiraOptions {
  bool online = true;
  bool fixed_variance = false;
};

// "online", "online-fixed", "offline", "offline-fixed"
std::string lira_variant(const LiraOptions& options);

// Empty when the split has enough shadows for the variant, otherwise why not (online needs
// IN and OUT shadows for every example; a per-example variance needs two of each).
std::string lira_shortfall(const ShadowSplit& split, const LiraOptions& options);

// Scores of the target's examples [examples]. phi: [models, examples, queries] (the target's own
// row is read for the observed φ). Throws Error with lira_shortfall's message.
std::vector<double> lira_scores(const SignalArray& phi, const ShadowSplit& split, const LiraOptions& options);

// log Pr[Z ≥ z] for a standard normal Z, accurate in both tails.
double log_normal_sf(double z);

}  // namespace cwrf::attack
