// `cwrf run`: a whole experiment end to end — plan, train (in parallel child processes),
// rewind and fine-tune, attack, report — resumable at any point: finished models and attack
// results are found by content hash, so rerunning after a kill continues where it stopped
// and produces the same report as an uninterrupted run.
//
// Output layout under the experiment's out directory:
//   models/    model directories (content-addressed, shared between rows)
//   attacks/   one directory per row and run: signals cache, results.json (with the job's key),
//              scores, ROC curves
//   report/    report.md, results.csv, results.json, roc-*.png, privacy-utility.png, experiment.json
//   jobs/      the job specs given to the child processes
#pragma once

#include "cwrf/attack/attack_job.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/plan.h"

#include <filesystem>
#include <functional>
#include <string>

namespace cwrf::experiment {

struct RunCallbacks {
  std::function<void(const std::string&)> log;        // one line per event (job finished, attack done)
  // The one-line progress display (may redraw often): the fraction done of the current phase
  // (model jobs by epochs, then attacks) and its text.
  std::function<void(double fraction, const std::string&)> status;
};

struct RunSummary {
  std::filesystem::path report_dir;
  std::string markdown;      // the Table-3-style table
  int64_t trained = 0;       // model jobs that ran now (not found finished)
  int64_t reused = 0;        // model jobs found finished
  int64_t attacked = 0;      // attack jobs that ran now
  double seconds = 0.0;
};

// The attack job of one row and run: its K model directories, the run's attack settings, the
// experiment's device (signals are computed where the models train), its folder under
// `attacks_root`.
attack::AttackJob row_attack_job(const Experiment& experiment, const AttackJob& job,
                                 const std::vector<std::filesystem::path>& model_dirs,
                                 const std::filesystem::path& attacks_root, int64_t threads);

// `executable` runs the model jobs (`<executable> job --spec FILE`); empty = this program.
RunSummary run_experiment(const Experiment& experiment, const RunCallbacks& callbacks = {},
                          const std::filesystem::path& executable = {});

}  // namespace cwrf::experiment
