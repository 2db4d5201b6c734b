#include "cwrf/attack/benchmark.h"

#include "cwrf/attack/lira.h"
#include "cwrf/attack/protocol.h"
#include "cwrf/attack/rmia.h"
#include "cwrf/common/error.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include <time.h>

namespace cwrf::attack {

namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Wall-clock and this thread's CPU seconds of one call: on a shared machine the CPU time is the
// reproducible figure (the scoring loops are single-threaded).
struct Timing {
  double wall = 0.0, cpu = 0.0;
};

template <typename F>
Timing time_once(F&& f) {
  const auto start = Clock::now();
  const double cpu = thread_cpu_seconds();
  f();
  return {std::chrono::duration<double>(Clock::now() - start).count(), thread_cpu_seconds() - cpu};
}

nlohmann::json summary(const std::vector<Timing>& timings) {
  std::vector<double> runs, cpu;
  for (const Timing& t : timings) runs.push_back(t.wall), cpu.push_back(t.cpu);
  double cpu_mean = std::accumulate(cpu.begin(), cpu.end(), 0.0) / static_cast<double>(cpu.size());
  double mean = std::accumulate(runs.begin(), runs.end(), 0.0) / static_cast<double>(runs.size()), ss = 0.0;
  for (double r : runs) ss += (r - mean) * (r - mean);
  const double sd = runs.size() > 1 ? std::sqrt(ss / static_cast<double>(runs.size() - 1)) : 0.0;
  return {{"mean", mean}, {"sd", sd}, {"runs", runs}, {"cpu_mean", cpu_mean}, {"cpu_runs", cpu}};
}

}  // namespace

nlohmann::json run_attack_benchmark(const AttackBenchOptions& o) {
  require(o.examples > 0 && o.references >= 2 && o.queries >= 1 && o.repeats >= 1,
          "bench attack: --examples, --references (>= 2), --queries and --repeats must be positive");
  const int64_t M = o.references + 1, N = o.examples, Q = o.queries;
  std::mt19937_64 rng(o.seed);
  // LiRA's split: keep = argsort(U, axis 0) < M/2 — each example IN for half of the models.
  MembershipMask membership(M, N);
  std::vector<int64_t> order(static_cast<size_t>(M));
  for (int64_t n = 0; n < N; ++n) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (int64_t k = 0; k < M / 2; ++k) membership.set(order[static_cast<size_t>(k)], n, true);
  }
  // Synthetic statistics: members get a higher φ and probability.
  std::normal_distribution<double> noise(0.0, 1.0);
  SignalArray phi(M, N, Q), log_signal(M, N, Q);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t q = 0; q < Q; ++q) {
        const double v = (membership(m, n) ? 1.0 : 0.0) + noise(rng);
        phi(m, n, q) = 2.0 + v;
        log_signal(m, n, q) = -std::log1p(std::exp(-(2.0 + v)));  // log sigmoid(φ): a probability
      }
  const ShadowSplit split = split_shadows(membership, 0);
  const int64_t non_members = static_cast<int64_t>(rmia_population(membership, 0, 0, 0).size());
  require(o.population <= non_members,
          fmt::format("bench attack: --population {} exceeds the target's {} non-members", o.population, non_members));
  const std::vector<int64_t> population = rmia_population(membership, 0, o.population, o.seed + 1);
  RmiaOptions rmia;
  const std::vector<double> ratios = rmia_log_ratios(log_signal, split, rmia);

  std::vector<Timing> ratio_runs, sorted_runs, lira_online_runs, lira_offline_runs;
  std::vector<double> sorted;
  for (int64_t r = 0; r < o.repeats; ++r) {
    ratio_runs.push_back(time_once([&] { (void)rmia_log_ratios(log_signal, split, rmia); }));
    sorted_runs.push_back(time_once([&] { sorted = rmia_scores(ratios, N, Q, population, rmia.gamma); }));
    lira_online_runs.push_back(time_once([&] { (void)lira_scores(phi, split, {true, false}); }));
    lira_offline_runs.push_back(time_once([&] { (void)lira_scores(phi, split, {false, false}); }));
  }
  const int64_t subset = o.pairwise_subset > 0 ? std::min(o.pairwise_subset, N) : N;
  std::vector<double> pairwise;
  const Timing pairwise_time =
      time_once([&] { pairwise = rmia_scores_pairwise(ratios, N, Q, population, rmia.gamma, subset); });
  const double scale = static_cast<double>(N) / static_cast<double>(subset);
  bool agree = true;
  for (int64_t n = 0; n < subset; ++n) agree = agree && pairwise[static_cast<size_t>(n)] == sorted[static_cast<size_t>(n)];
  const double sorted_cpu = summary(sorted_runs)["cpu_mean"].get<double>();
  return {{"examples", N},
          {"population", static_cast<int64_t>(population.size())},
          {"reference_models", o.references},
          {"queries", Q},
          {"repeats", o.repeats},
          {"rmia_log_ratios_seconds", summary(ratio_runs)},
          {"rmia_sorted_seconds", summary(sorted_runs)},
          {"rmia_pairwise_examples", subset},
          {"rmia_pairwise_seconds_measured", pairwise_time.wall},
          {"rmia_pairwise_cpu_seconds_measured", pairwise_time.cpu},
          {"rmia_pairwise_seconds_extrapolated", pairwise_time.wall * scale},
          {"rmia_pairwise_cpu_seconds_extrapolated", pairwise_time.cpu * scale},
          {"rmia_pairwise_extrapolated", subset < N},
          {"rmia_speedup_cpu", sorted_cpu > 0 ? pairwise_time.cpu * scale / sorted_cpu : 0.0},
          {"rmia_agree", agree},
          {"lira_online_seconds", summary(lira_online_runs)},
          {"lira_offline_seconds", summary(lira_offline_runs)}};
}

}  // namespace cwrf::attack
