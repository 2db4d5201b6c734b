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
#include <utility>
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
  std::function<void(const std::string& line)> log;  // the executor's own news (submissions, failures)
  // A batch system's view of the queue for the progress line ("Slurm: 2 running, 9 queued").
  std::function<void(const std::string& summary)> on_queue;
};

// Runs every job of `plan` that `results` (one entry per job) does not hold as done, and fills
// it in. `spec(j)` is job j's spec; it is asked when j starts, so it may use its inputs' results.
// If a job fails, no new job starts, the running ones finish (their outputs are kept), and an
// Error names the failed job and repeats its error line.
void run_jobs(const Plan& plan, std::vector<JobResult>& results, const std::function<nlohmann::json(int)>& spec,
              const SchedulerOptions& options, const SchedulerCallbacks& callbacks = {});

std::filesystem::path current_executable();

// ---- Executors: where a plan's jobs run ----
//
// An executor runs (or hands over) every job of a plan that `results` does not hold as done,
// and fills in what is done, with run_jobs' contract: spec(j) is asked when j is handed over,
// callbacks report starts, progress and results, and a failed job is an Error that names it.
// One more outcome: a round may end *incomplete* (jobs submitted to a batch system and not
// waited for, or still queued): then `complete` is false and `pending` says what is outstanding
// and how to continue; the caller writes no report and stops.
//
// An executor that hands a job over before its inputs are done (Slurm: a dependency) asks
// spec(j) with each such input's `dir` in `results` set to a placeholder (task.h), which the
// job resolves when it starts; specs must therefore take their inputs' directories from
// `results[input].dir`, as job_spec does.
struct RoundOutcome {
  bool complete = true;
  std::string pending;  // when incomplete: what was submitted / is outstanding, and what to do next
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual RoundOutcome run(const Plan& plan, std::vector<JobResult>& results,
                           const std::function<nlohmann::json(int)>& spec, const SchedulerCallbacks& callbacks) = 0;
  // For the run's first log line, e.g. "2 parallel jobs x 1 threads".
  virtual std::string describe() const = 0;
};

// Worker processes on this machine (run_jobs above); every round is complete.
class LocalExecutor : public Executor {
 public:
  explicit LocalExecutor(SchedulerOptions options) : options_(std::move(options)) {}
  RoundOutcome run(const Plan& plan, std::vector<JobResult>& results, const std::function<nlohmann::json(int)>& spec,
                   const SchedulerCallbacks& callbacks) override;
  std::string describe() const override;

 private:
  SchedulerOptions options_;
};

}  // namespace cwrf::experiment
