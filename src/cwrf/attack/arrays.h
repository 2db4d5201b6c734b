// The two arrays every attack consumes (docs/DESIGN.md: attacks see signals and membership
// masks, never models): a per-(model, example, query) statistic in float64 and the models'
// IN/OUT flags per example. Plain row-major buffers, so attacks are pure loops, fast to test.
#pragma once

#include <cstdint>
#include <vector>

namespace cwrf::attack {

// values[(m * examples + n) * queries + q]: one statistic (φ, loss, ...) of example n under
// query q (identity, mirror, ...) as model m sees it.
struct SignalArray {
  int64_t models = 0;
  int64_t examples = 0;
  int64_t queries = 0;
  std::vector<double> values;

  SignalArray() = default;
  SignalArray(int64_t m, int64_t n, int64_t q, double fill = 0.0)
      : models(m), examples(n), queries(q), values(static_cast<size_t>(m * n * q), fill) {}
  double& operator()(int64_t m, int64_t n, int64_t q) { return values[static_cast<size_t>((m * examples + n) * queries + q)]; }
  double operator()(int64_t m, int64_t n, int64_t q) const {
    return values[static_cast<size_t>((m * examples + n) * queries + q)];
  }
};

// in[m * examples + n] != 0: example n is in model m's training set (keep.npy, one row per model).
struct MembershipMask {
  int64_t models = 0;
  int64_t examples = 0;
  std::vector<uint8_t> in;

  MembershipMask() = default;
  MembershipMask(int64_t m, int64_t n) : models(m), examples(n), in(static_cast<size_t>(m * n), 0) {}
  bool operator()(int64_t m, int64_t n) const { return in[static_cast<size_t>(m * examples + n)] != 0; }
  void set(int64_t m, int64_t n, bool value) { in[static_cast<size_t>(m * examples + n)] = value ? 1 : 0; }
};

}  // namespace cwrf::attack
