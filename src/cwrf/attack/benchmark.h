// Timing of the attack scoring on synthetic signals (`cwrf bench attack`, docs/performance.md):
// RMIA sort-based against the direct pairwise definition, and LiRA, at a given size.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace cwrf::attack {

struct AttackBenchOptions {
  int64_t examples = 50000;        // N: every example is scored
  int64_t population = 25000;      // |Z|
  int64_t references = 8;          // shadow/reference models (the target comes on top)
  int64_t queries = 2;
  int64_t pairwise_subset = 5000;  // examples scored pairwise (timed, then extrapolated to N); 0 = all
  int64_t repeats = 3;
  uint64_t seed = 0;
};

// Returns {"rmia_sorted_seconds": {mean, sd, runs, cpu_mean, cpu_runs}, "rmia_pairwise_cpu_seconds_extrapolated",
// ...}: wall-clock and thread CPU seconds (the loops are single-threaded). It also checks that both RMIA implementations agree on the pairwise subset ("rmia_agree": true).
nlohmann::json run_attack_benchmark(const AttackBenchOptions& options);

}  // namespace cwrf::attack
