// Synthetic membership masks and signals for the attack tests (header-only).
#pragma once

#include "cwrf/attack/arrays.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace cwrf::attack::testing {

// LiRA's split: each example IN for exactly floor(models/2) models, chosen at random.
inline MembershipMask lira_membership(int64_t models, int64_t examples, unsigned seed) {
  std::mt19937 rng(seed);
  MembershipMask m(models, examples);
  std::vector<int64_t> order(static_cast<size_t>(models));
  for (int64_t n = 0; n < examples; ++n) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (int64_t k = 0; k < models / 2; ++k) m.set(order[static_cast<size_t>(k)], n, true);
  }
  return m;
}

// value = base + shift·IN + sd·N(0, 1) per (model, example, query); shift = 0 is pure noise.
inline SignalArray noisy_signal(const MembershipMask& m, int64_t queries, double base, double shift, double sd,
                                unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  SignalArray a(m.models, m.examples, queries);
  for (int64_t k = 0; k < m.models; ++k)
    for (int64_t n = 0; n < m.examples; ++n)
      for (int64_t q = 0; q < queries; ++q) a(k, n, q) = base + (m(k, n) ? shift : 0.0) + sd * noise(rng);
  return a;
}

}  // namespace cwrf::attack::testing
