// `cwrf run CONFIG.toml`: the main job, a whole experiment ending in the paper's Table 3;
// and `cwrf job --spec FILE [--result FILE]`, the child process (or Slurm task) that runs one
// of its jobs.
#include "commands.h"

#include "cwrf/common/error.h"
#include "cwrf/common/progress.h"
#include "cwrf/experiment/child_job.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/runner.h"
#include "cwrf/experiment/task.h"
#include "cwrf/common/files.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace cwrf::app {

void register_run_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("run", "run a whole experiment (train, CWRF, attacks, report); resumable");
  auto file = std::make_shared<std::string>();
  auto set = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto jobs = std::make_shared<int64_t>(-1);
  auto threads = std::make_shared<int64_t>(-1);
  auto device = std::make_shared<std::string>();
  auto devices = std::make_shared<std::string>();
  auto executor = std::make_shared<std::string>();
  auto no_wait = std::make_shared<bool>(false);
  command->add_option("config", *file, "experiment TOML file (e.g. configs/quick.toml)")->required();
  command->add_option("-s,--set", *set, "override: a model key (epochs=5), experiment.* or attack.* (repeatable)");
  command->add_option("-o,--out", *out, "output directory (default: [experiment] out)");
  command->add_option("-j,--jobs", *jobs, "model jobs at once; with CUDA, per GPU (default: one per core on CPU, one per GPU)");
  command->add_option("--threads", *threads, "total threads (default: all cores)");
  command->add_option("--device", *device, "cpu | cuda | cuda:N (the same as --set device=...; default: the config's)")
      ->check(device_name());
  command->add_option("--devices", *devices,
                      "GPUs to spread the jobs over, round-robin, e.g. 0,1,2,3 (experiment.devices; implies --device cuda)");
  command->add_option("--executor", *executor,
                      "local | slurm: where the jobs run (the same as --set executor.kind=...; default: the config's "
                      "[executor] kind, else local)")
      ->check(CLI::IsMember({"local", "slurm"}));
  command->add_flag("--no-wait", *no_wait,
                    "slurm: return once the jobs are submitted; run the same command again later to collect them");
  command->footer(
      "Kill it at any time and run the same command again: finished models and attacks are found by content\n"
      "hash and reused. The report (report.md, results.csv/json, ROC and privacy-utility plots) goes to <out>/report.\n"
      "With --executor slurm each job is an sbatch job (the [executor] table: partition, account, time, gpus, cpus,\n"
      "memory, sbatch_args); a rerun waits for queued jobs, resubmits failed ones and writes the report when all are done.");
  command->callback([=, &exit_code] {
    std::vector<std::string> overrides = *set;
    if (!device->empty()) overrides.push_back("device=" + *device);
    else if (!devices->empty()) overrides.push_back("device=cuda");
    experiment::Experiment e = experiment::read_experiment(*file, overrides);
    if (!out->empty()) e.settings.set("experiment.out", *out, "--out");
    if (*jobs >= 0) e.settings.set("experiment.jobs", *jobs, "--jobs");
    if (*threads >= 0) e.settings.set("experiment.threads", *threads, "--threads");
    if (!devices->empty()) e.settings.set_text("experiment.devices", *devices, "--devices");
    if (!executor->empty()) e.executor.set("executor.kind", *executor, "--executor");
    if (*no_wait) e.executor.set("executor.wait", false, "--no-wait");
    auto progress = std::make_shared<ProgressLine>();
    experiment::RunCallbacks callbacks;
    callbacks.log = [progress](const std::string& line) {
      progress->clear();
      std::cerr << line << "\n";
    };
    callbacks.status = [progress](double fraction, const std::string& line) { progress->update(fraction, line); };
    const experiment::RunSummary summary = experiment::run_experiment(e, callbacks);
    progress->clear();
    if (!summary.complete) {
      std::cout << summary.pending << "\n"
                << fmt::format("No report yet. Run the same command again (cwrf run {} ...) to {} and write the report "
                               "once every job has finished; it submits only what is missing or failed.\n",
                               *file, *no_wait ? "collect what has finished (without --no-wait: wait for the rest)"
                                               : "wait for the jobs");
      exit_code = 0;
      return;
    }
    std::cout << summary.markdown << "\n";
    std::cout << fmt::format("report: {} ({} models trained, {} found finished, {} attacks run; {})\n",
                             summary.report_dir.string(), summary.trained, summary.reused, summary.attacked,
                             format_duration(summary.seconds));
    exit_code = 0;
  });

  auto* job = app.add_subcommand("job", "internal: train one model of an experiment (used by `cwrf run`)");
  job->group("");  // hidden from --help
  auto spec = std::make_shared<std::string>();
  auto result = std::make_shared<std::string>();
  auto worker = std::make_shared<bool>(false);
  auto* spec_option = job->add_option("--spec", *spec, "job spec (JSON)");
  job->add_option("--result", *result, "with --spec: write the job's result here when it succeeds (a Slurm task)")
      ->needs(spec_option);
  job->add_flag("--worker", *worker, "serve job spec paths read from stdin, one per line")->excludes(spec_option);
  job->callback([spec, result, worker, &exit_code] {
    if (*worker) experiment::run_worker(std::cin);
    else if (!result->empty()) experiment::run_task(*spec, *result);
    else if (!spec->empty()) experiment::run_child_job(nlohmann::json::parse(read_file(*spec)));
    else throw Error("cwrf job: give --spec FILE or --worker");
    exit_code = 0;
  });
}

}  // namespace cwrf::app
