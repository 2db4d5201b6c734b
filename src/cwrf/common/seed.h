// Deriving independent generator seeds from one user seed, so each random stream (a
// model's initialisation, a loader's epoch, a model's reference set) depends only on what
// names it and never on call order.
#pragma once

#include <cstdint>

namespace cwrf {

// SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection that scatters nearby inputs.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Domains keep streams apart when two uses share a seed and an index (epoch 3 vs model 3).
enum class SeedDomain : uint64_t {
  kLoaderEpoch = 1,
  kReferenceSet = 2,
  kModelInit = 3,
  kDataOrder = 4,
  kTestSubset = 5,
  kObjective = 6,
};

inline uint64_t derive_seed(uint64_t seed, SeedDomain domain, uint64_t index = 0) {
  return splitmix64(splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(domain)) ^ index);
}

}  // namespace cwrf
