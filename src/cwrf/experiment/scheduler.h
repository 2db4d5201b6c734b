// Runs a plan's jobs in `parallel` worker processes (`cwrf job --worker`, child_job.h), each
// job as soon as the jobs it takes inputs from are done; a worker runs one job at a time and
// keeps its dataset for the next. A worker dies with the runner (PR_SET_PDEATHSIG), and a
// half-written model or attack only ever exists under a temporary name (or without its
// results.json), so killing the run at any moment loses nothing that finished.
#pragma once

#include "cwrf/experiment/plan.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::experiment {

struct JobResult {
  bool done = false;
  std::filesystem::path dir;
  bool reused = false;    // found finished; nothing was computed
  nlohmann::json result;  // the job's metrics.json (models) or results.json (attacks)
  double seconds = 0.0;   // wall time from handing the job to a worker to its result
};

struct SchedulerOptions {
  std::filesystem::path executable;  // the cwrf binary (default: this process's)
  std::filesystem::path spec_dir;    // where job specs are written
  int64_t parallel = 1;
  int64_t threads_per_job = 1;
  // GPU indices: worker slot s runs every job it is given on slot_device(s, gpus) (the spec's
  // "device"); empty: each spec's own device.
  std::vector<int64_t> gpus;
};

// The device of worker slot `slot` when the jobs are spread over `gpus`, round-robin: slot s on
// gpus[s mod n], so with n GPUs and `parallel` = n·J workers each GPU runs J jobs at a time.
// "cuda:N"; "" when `gpus` is empty.
std::string slot_device(int64_t slot, const std::vector<int64_t>& gpus);

struct SchedulerCallbacks {
  std::function<void(int job)> on_start;
  std::function<void(int job, const nlohmann::json& event)> on_event;  // the worker's JSON lines
  std::function<void(int job, const JobResult& result)> on_done;
};

// Runs every job of `plan` that `results` (one entry per job) does not hold as done, and fills
// it in. `spec(j)` is job j's spec; it is asked when j starts, so it may use its inputs' results.
// If a job fails, no new job starts, the running ones finish (their outputs are kept), and an
// Error names the failed job and repeats its error line.
void run_jobs(const Plan& plan, std::vector<JobResult>& results, const std::function<nlohmann::json(int)>& spec,
              const SchedulerOptions& options, const SchedulerCallbacks& callbacks = {});

std::filesystem::path current_executable();

}  // namespace cwrf::experiment
