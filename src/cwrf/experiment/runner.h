// `cwrf run`: a whole experiment end to end — plan, train (in parallel worker processes),
// rewind and fine-tune, choose r where a row gives several, attack, report — resumable at any
// point: finished models and attack results are found by content hash, so rerunning after a
// kill continues where it stopped and produces the same report as an uninterrupted run.
//
// Output layout under the experiment's out directory:
//   models/    model directories (content-addressed, shared between rows)
//   attacks/   one directory per row and run: signals cache, results.json (with the job's key),
//              scores, ROC curves
//   analyses/  one directory per [[analysis]]: its tables, plots and result.json (with the job's key)
//   report/    report.md, results.csv/json, pairs.csv/json, selection.json, roc-*.png,
//              privacy-utility.png, experiment.json, timing.json; with analyses also paper.md,
//              paper.html (self-contained, figures inline) and verdicts.json (paper_report.h)
//   jobs/      the job specs given to the worker processes
//   slurm/     with executor.kind = slurm: the Slurm executor's state, specs, results, logs (slurm_state.h)
#pragma once

#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/plan.h"
#include "cwrf/experiment/scheduler.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::experiment {

struct RunCallbacks {
  std::function<void(const std::string&)> log;  // one line per event (job finished, attack done)
  // The one-line progress display (may redraw often): the fraction of the work done and its text.
  std::function<void(double fraction, const std::string&)> status;
};

struct RunSummary {
  // False when the executor left jobs outstanding (Slurm with --no-wait, or still queued): then
  // no report was written, and `pending` says what is outstanding and how to continue.
  bool complete = true;
  std::string pending;
  std::filesystem::path report_dir;
  std::string markdown;      // the report's tables
  int64_t trained = 0;       // model jobs that ran now (not found finished)
  int64_t reused = 0;        // model jobs found finished
  int64_t attacked = 0;      // attack jobs that ran now
  int64_t analysed = 0;      // analysis jobs that ran now
  double seconds = 0.0;
};

// The spec a worker runs for job j of `plan` (child_job.h), its inputs' outputs taken from
// `results`; models under <out>/models, attacks under <out>/attacks, on the experiment's device.
nlohmann::json job_spec(const Experiment& experiment, const Plan& plan, int job, const std::vector<JobResult>& results);

// How many jobs run at once: `requested` (experiment.jobs / --jobs; 0 = the default) per GPU on
// CUDA, over max(1, gpus) GPUs; on the CPU `requested`, by default one per thread.
int64_t parallel_jobs(int64_t requested, bool cuda, size_t gpus, int64_t threads);

// `executable` runs the jobs (`<executable> job --worker`, or a Slurm task's
// `<executable> job --spec S --result R`); empty = this program. experiment.executor says where.
RunSummary run_experiment(const Experiment& experiment, const RunCallbacks& callbacks = {},
                          const std::filesystem::path& executable = {});

}  // namespace cwrf::experiment
