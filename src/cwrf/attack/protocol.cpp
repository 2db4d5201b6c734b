#include "cwrf/attack/protocol.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace cwrf::attack {

ShadowSplit split_shadows(const MembershipMask& membership, int64_t target) {
  require(target >= 0 && target < membership.models,
          fmt::format("attack: target model {} is outside [0, {})", target, membership.models));
  ShadowSplit split;
  split.target = target;
  split.examples = membership.examples;
  int64_t min_in = std::numeric_limits<int64_t>::max(), min_out = min_in;
  for (int64_t n = 0; n < membership.examples; ++n) {
    int64_t in = 0, out = 0;
    for (int64_t m = 0; m < membership.models; ++m)
      if (m != target) (membership(m, n) ? in : out) += 1;
    min_in = std::min(min_in, in);
    min_out = std::min(min_out, out);
  }
  if (membership.examples == 0) min_in = min_out = 0;
  split.in_count = min_in;
  split.out_count = min_out;
  split.in_models.reserve(static_cast<size_t>(membership.examples * min_in));
  split.out_models.reserve(static_cast<size_t>(membership.examples * min_out));
  for (int64_t n = 0; n < membership.examples; ++n) {
    int64_t in = 0, out = 0;
    for (int64_t m = 0; m < membership.models; ++m) {
      if (m == target) continue;
      if (membership(m, n)) {
        if (in++ < min_in) split.in_models.push_back(static_cast<int32_t>(m));
      } else if (out++ < min_out) {
        split.out_models.push_back(static_cast<int32_t>(m));
      }
    }
  }
  return split;
}

std::vector<uint8_t> target_membership(const MembershipMask& membership, int64_t target) {
  require(target >= 0 && target < membership.models,
          fmt::format("attack: target model {} is outside [0, {})", target, membership.models));
  const auto begin = membership.in.begin() + target * membership.examples;
  return std::vector<uint8_t>(begin, begin + membership.examples);
}

std::vector<int64_t> rmia_population(const MembershipMask& membership, int64_t target, int64_t size, uint64_t seed) {
  std::vector<int64_t> out;
  for (int64_t n = 0; n < membership.examples; ++n)
    if (!membership(target, n)) out.push_back(n);
  require(size >= 0, fmt::format("--rmia-population must be >= 0, got {}", size));
  if (size == 0 || size == static_cast<int64_t>(out.size())) return out;
  require(size <= static_cast<int64_t>(out.size()),
          fmt::format("--rmia-population {} is larger than the {} non-members of target model {}", size, out.size(),
                      target));
  // Partial Fisher-Yates: the first `size` entries are a uniform random subset.
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < size; ++i) {
    std::uniform_int_distribution<int64_t> pick(i, static_cast<int64_t>(out.size()) - 1);
    std::swap(out[static_cast<size_t>(i)], out[static_cast<size_t>(pick(rng))]);
  }
  out.resize(static_cast<size_t>(size));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cwrf::attack
