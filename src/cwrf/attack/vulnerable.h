// The per-example view of an attack run: the examples most exposed to its strongest variant.
//
// Strongest: the variant with the highest mean TPR at FPR <= `fpr_level` over its targets (ties:
// the higher mean AUC). Exposure of example n to target t, for a member of t: the fraction of t's
// non-members scored at least as high, FPR(n, t) — the false-positive rate of the threshold that
// flags n, comparable across targets and attacks whatever the scale of their scores. An example's
// exposure is its mean FPR over the targets it is a member of; the list ranks examples by it
// (lowest first; ties: more member targets, then pool order). Examples that are a member of none
// of the attacked targets are not listed.
#pragma once

#include "cwrf/attack/runner.h"

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::attack {

struct VulnerableExample {
  int64_t example = 0;        // pool position
  double fpr = 0.0;           // mean over member targets of FPR(n, t)
  double score = 0.0;         // mean over member targets of the variant's score
  int64_t member_targets = 0; // attacked targets that trained on it
};

struct VulnerableList {
  std::string variant;     // "lira-online", ... ("" when no variant ran)
  double fpr_level = 0.0;
  std::vector<VulnerableExample> examples;  // most exposed first, at most `top`
};

VulnerableList vulnerable_examples(const AttackRun& run, double fpr_level, int64_t top);

// rank,example,pool_index,label,fpr,score,member_targets,attack (pool/labels: int64 [examples], may be undefined).
std::string vulnerable_csv(const VulnerableList& list, const torch::Tensor& pool, const torch::Tensor& labels);

// A contact sheet of images (uint8 [N, C, H, W], C = 1 or 3) in the given order: `columns` per row,
// each image scaled by an integer factor to at least 48 pixels, 2-pixel white gaps; uint8 [3, H', W'].
torch::Tensor image_grid(const torch::Tensor& images, const std::vector<int64_t>& order, int64_t columns = 8);

}  // namespace cwrf::attack
