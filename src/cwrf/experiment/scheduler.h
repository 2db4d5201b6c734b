// Runs a plan's model jobs in `parallel` worker processes (`cwrf job --worker`, child_job.h),
// each job as soon as its parent model is done; a worker runs one job at a time and keeps its
// dataset for the next. A worker dies with the runner (PR_SET_PDEATHSIG), and a half-written
// model only ever exists under a temporary name, so killing the run at any moment loses nothing
// that finished.
#pragma once

#include "cwrf/experiment/plan.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::experiment {

struct ModelResult {
  bool done = false;
  std::filesystem::path dir;
  bool reused = false;
  nlohmann::json metrics;
  double seconds = 0.0;  // wall time from handing the job to a worker to its result
};

struct SchedulerOptions {
  std::filesystem::path executable;   // the cwrf binary (default: this process's)
  std::filesystem::path models_root;  // where model directories go
  std::filesystem::path spec_dir;     // where job specs are written
  int64_t parallel = 1;
  int64_t threads_per_job = 1;
};

struct SchedulerCallbacks {
  std::function<void(int job)> on_start;
  std::function<void(int job, const nlohmann::json& event)> on_event;  // the child's JSON lines
  std::function<void(int job, const ModelResult& result)> on_done;
};

// Runs every job; returns their results in plan order. If a job fails, no new job starts,
// the running ones finish (their models are kept), and an Error names the failed job and
// repeats its error line.
std::vector<ModelResult> run_model_jobs(const Plan& plan, const SchedulerOptions& options,
                                        const SchedulerCallbacks& callbacks = {});

std::filesystem::path current_executable();

}  // namespace cwrf::experiment
