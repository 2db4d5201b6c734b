// The leave-one-out shadow protocol (docs/ALGORITHMS.md §4 "Shadow protocol"): a target model
// is attacked with every other model as a shadow (reference) model; for each example, the
// shadows that trained on it are its IN models and the others its OUT models.
#pragma once

#include "cwrf/attack/arrays.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::attack {

// For one target: the IN and OUT shadow models of every example, in model order.
//
// The counts are equalised over examples (the first in_count IN and out_count OUT shadows,
// in_count = the smallest IN count of any example), as the reference does (mi_lira_2021
// plot.py truncates to in_size/out_size). Without it the counts themselves leak membership:
// with K models and K/2 IN per point, a member of the target has K/2 − 1 IN shadows and a
// non-member K/2, so per-example variances and means would differ by membership alone.
struct ShadowSplit {
  int64_t target = 0;
  int64_t examples = 0;
  int64_t in_count = 0;
  int64_t out_count = 0;
  std::vector<int32_t> in_models;   // [examples × in_count]
  std::vector<int32_t> out_models;  // [examples × out_count]

  const int32_t* in_row(int64_t n) const { return in_models.data() + n * in_count; }
  const int32_t* out_row(int64_t n) const { return out_models.data() + n * out_count; }
};

ShadowSplit split_shadows(const MembershipMask& membership, int64_t target);

// The target's membership of every example (1 = member).
std::vector<uint8_t> target_membership(const MembershipMask& membership, int64_t target);

// RMIA's population Z for a target: the examples OUT for it (never in its training set; its
// reference set lies outside the pool), ascending; `size` > 0 takes a seeded random subset of
// that many (Error when fewer exist). docs/ALGORITHMS.md §4 "RMIA".
std::vector<int64_t> rmia_population(const MembershipMask& membership, int64_t target, int64_t size, uint64_t seed);

}  // namespace cwrf::attack
